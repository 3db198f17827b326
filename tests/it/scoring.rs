//! Scoring tests: the `test` blocks of the bundled policies, and direct checks through the
//! JSON/TOML applicant API. Every expected value is hand-worked from the indicator table
//! (`rules/indicators.md` §2, §5.1) and the decisions of the applicant contract.

use crate::common::ITEM_IDS;
use jifen::{ApplicantError, Outcome, RuleSet, Status};

const Y2024: &str = "policies/2024.policy";
const Y2025: &str = "policies/2025.policy";

fn compile(name: &str) -> RuleSet {
    match jifen::compile_bundled(name) {
        Ok(rs) => rs,
        Err(diags) => panic!("{name} does not compile:\n{diags}"),
    }
}

/// Run every in-policy test; panic with a readable list of the failures.
fn run_policy_tests(name: &str) -> usize {
    let ruleset = compile(name);
    let results = ruleset.run_tests(None);
    let mut report = Vec::new();
    for r in results.iter().filter(|r| !r.passed) {
        let mut lines = vec![format!("  test \"{}\" ({})", r.name, r.location)];
        if let Some(e) = &r.error {
            lines.push(format!("      error: {e}"));
        }
        for m in &r.mismatches {
            lines.push(format!("      {}: expected {}, got {} ({})", m.target, m.expected, m.actual, m.location));
        }
        report.push(lines.join("\n"));
    }
    assert!(
        report.is_empty(),
        "{name}: {} of {} policy tests failed:\n{}",
        report.len(),
        results.len(),
        report.join("\n")
    );
    results.len()
}

#[test]
fn policy_tests_2024_pass() {
    let n = run_policy_tests(Y2024);
    assert!(n >= 40, "2024.policy has only {n} tests");
}

#[test]
fn policy_tests_2025_pass() {
    let n = run_policy_tests(Y2025);
    assert!(n >= 40, "2025.policy has only {n} tests, expected at least 40");
}

#[test]
fn policy_2025_inherits_and_overrides_tests() {
    let (rs_2024, rs_2025) = (compile(Y2024), compile(Y2025));
    let tests_2024 = rs_2024.run_tests(None);
    let tests_2025 = rs_2025.run_tests(None);
    let names_2025: Vec<&str> = tests_2025.iter().map(|t| t.name.as_str()).collect();
    // Inherited.
    assert!(names_2025.contains(&"R1 本科+学士+年龄 = 120"));
    assert!(names_2025.contains(&"R15' 四级+1倍基数+3年 = 119"));
    // Removed, and replaced by a 2025 boundary.
    assert!(tests_2024.iter().any(|t| t.name == "base exactly 1x 2024"));
    assert!(!names_2025.contains(&"base exactly 1x 2024"));
    assert!(names_2025.contains(&"base exactly 1x 2025"));
    // Overridden: the same name, the 2025 value.
    let lingang = |results: &[jifen::testing::TestResult]| {
        results.iter().find(|t| t.name == "lingang 2 years").and_then(|t| t.outcome.as_ref()).map(|o| o.total)
    };
    assert_eq!(lingang(&tests_2024), Some(116));
    assert_eq!(lingang(&tests_2025), Some(120));
}

// ------------------------------------------------------------------ JSON API

fn score<'r>(ruleset: &'r RuleSet, json: &str) -> Outcome<'r> {
    let applicant = ruleset.applicant_from_json(json).unwrap_or_else(|e| panic!("applicant {json}: {e}"));
    ruleset.evaluate(&applicant).unwrap_or_else(|e| panic!("evaluate {json}: {e}"))
}

fn points(outcome: &Outcome<'_>, id: &str) -> i64 {
    outcome.item(id).unwrap_or_else(|| panic!("no item `{id}`")).points
}

fn both_years() -> [(&'static str, RuleSet); 2] {
    [(Y2024, compile(Y2024)), (Y2025, compile(Y2025))]
}

#[test]
fn route_r1_json() {
    // 30 (age 30) + 90 (本科+学士) + 0 (6 months) = 120
    for (name, rs) in both_years() {
        let o = score(&rs, r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#);
        assert_eq!(o.total, 120, "{name}");
        assert_eq!(points(&o, "age"), 30, "{name}");
        assert_eq!(points(&o, "education"), 90, "{name}");
        assert_eq!(points(&o, "si_years"), 0, "{name}");
        assert!(o.eligible && !o.vetoed && o.meets_standard, "{name}");
        assert_eq!(o.standard, Some(120), "{name}");
    }
}

#[test]
fn route_r2_json() {
    // 30 (age 35) + 60 (本科) + 30 (10 years × 3) = 120; 9 years: 117
    for (name, rs) in both_years() {
        let o = score(&rs, r#"{"age": 35, "si_months": 120, "education": "bachelor"}"#);
        assert_eq!(o.total, 120, "{name}");
        assert_eq!(points(&o, "si_years"), 30, "{name}");
        assert!(o.meets_standard, "{name}");
        let o = score(&rs, r#"{"age": 35, "si_months": 108, "education": "bachelor"}"#);
        assert_eq!(o.total, 117, "{name}");
        assert!(!o.meets_standard, "{name}");
    }
}

#[test]
fn route_r3_json() {
    // 30 (age 28) + 60 (本科) + 9 (3 years × 3) + 50 (13000 ≥ 1× for 36 of 48 months) = 149
    for (name, rs) in both_years() {
        let o = score(
            &rs,
            r#"{"age": 28, "education": "bachelor", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12, "si_months": 36}"#,
        );
        assert_eq!(o.total, 149, "{name}");
        assert_eq!(points(&o, "si_base"), 50, "{name}");
        assert_eq!(points(&o, "si_years"), 9, "{name}");
        assert!(o.meets_standard, "{name}");
    }
}

#[test]
fn items_are_listed_in_contract_order() {
    let rs = compile(Y2025);
    let o = score(&rs, r#"{"age": 30, "si_months": 6}"#);
    let ids: Vec<&str> = o.items.iter().map(|i| i.id).collect();
    assert_eq!(ids, ITEM_IDS);
}

#[test]
fn exclusive_group_reports_the_loser() {
    // R12: 30 + max(90 本科+学士, 100 中级) + 6 = 136; education loses to title_skill.
    for (name, rs) in both_years() {
        let o = score(
            &rs,
            r#"{"age": 38, "si_months": 24, "education": "bachelor_with_degree", "title_skill": "title_intermediate", "si_base_yuan": 13000, "si_base_months_12": 6}"#,
        );
        assert_eq!(o.total, 136, "{name}");
        let edu = o.item("education").unwrap();
        assert_eq!(edu.points, 0, "{name}");
        assert_eq!(edu.raw_points, 90, "{name}");
        match &edu.status {
            Status::Excluded { by, .. } => assert_eq!(*by, "title_skill", "{name}"),
            other => panic!("{name}: education should be excluded by title_skill, is {other:?}"),
        }
        let title = o.item("title_skill").unwrap();
        assert_eq!(title.points, 100, "{name}");
        assert_eq!(title.status, Status::Scored, "{name}");
    }
}

#[test]
fn exclusive_group_tie_goes_to_education() {
    // 30 + max(100 硕士, 100 中级) → tie: education 100, title 0 (excluded) = 130
    let rs = compile(Y2025);
    let o = score(
        &rs,
        r#"{"age": 30, "si_months": 6, "education": "master", "title_skill": "title_intermediate", "si_base_yuan": 13000, "si_base_months_12": 6}"#,
    );
    assert_eq!(o.total, 130);
    assert_eq!(points(&o, "education"), 100);
    let title = o.item("title_skill").unwrap();
    assert_eq!(title.points, 0);
    match &title.status {
        Status::Excluded { by, .. } => assert_eq!(*by, "education"),
        other => panic!("title_skill should be excluded by education, is {other:?}"),
    }
}

#[test]
fn precondition_unmet_status() {
    // R12′: 中级 with base 12000 < 1× in both years → title 0 (precondition unmet);
    // 30 + 90 (本科+学士) + 6 (2 years × 3) = 126
    for (name, rs) in both_years() {
        let o = score(
            &rs,
            r#"{"age": 38, "si_months": 24, "education": "bachelor_with_degree", "title_skill": "title_intermediate", "si_base_yuan": 12000, "si_base_months_12": 12}"#,
        );
        assert_eq!(o.total, 126, "{name}");
        assert_eq!(points(&o, "education"), 90, "{name}");
        let title = o.item("title_skill").unwrap();
        assert_eq!(title.points, 0, "{name}");
        assert!(matches!(title.status, Status::PreconditionUnmet { .. }), "{name}: {:?}", title.status);
    }
    // A title not matching the post: 30 + 0 = 30
    let rs = compile(Y2025);
    let o = score(&rs, r#"{"age": 30, "si_months": 6, "title_skill": "skill_3", "title_matches_post": false}"#);
    assert_eq!(o.total, 30);
    assert!(matches!(o.item("title_skill").unwrap().status, Status::PreconditionUnmet { .. }));
}

#[test]
fn cap_status() {
    // spouse 11 years × 4 = 44 → cap 40: 30 + 40 = 70
    let rs = compile(Y2025);
    let o = score(&rs, r#"{"age": 30, "si_months": 6, "spouse_hukou_years": 11}"#);
    assert_eq!(o.total, 70);
    let spouse = o.item("spouse_hukou").unwrap();
    assert_eq!(spouse.points, 40);
    assert_eq!(spouse.status, Status::Capped);
    // null = absent: 0
    let o = score(&rs, r#"{"age": 30, "si_months": 6, "spouse_hukou_years": null}"#);
    assert_eq!(points(&o, "spouse_hukou"), 0);
}

#[test]
fn year_specific_cases() {
    let (rs24, rs25) = (compile(Y2024), compile(Y2025));
    // 临港 2 years: 30 + 50 + 36 + 0 = 116 (2024); + 4 = 120 (2025)
    let lingang = r#"{"age": 30, "si_months": 144, "education": "junior_college", "remote_area": "lingang", "remote_area_years": 2}"#;
    let (a, b) = (score(&rs24, lingang), score(&rs25, lingang));
    assert_eq!((a.total, a.meets_standard), (116, false));
    assert_eq!((b.total, b.meets_standard), (120, true));
    // base 12400 for 36 of 48 months: 50 (≥ 1× 12307) in 2024, 25 (< 1× 12434) in 2025
    let base = r#"{"age": 30, "si_months": 48, "education": "junior_college", "si_base_yuan": 12400, "si_base_months_48": 36}"#;
    assert_eq!(points(&score(&rs24, base), "si_base"), 50);
    assert_eq!(points(&score(&rs25, base), "si_base"), 25);
    assert_eq!(score(&rs24, base).total, 142);
    assert_eq!(score(&rs25, base).total, 117);
    // decimal text stays exact: 9947.2 = 0.8 × 12434 → 25, 9947.19 → 0 (2025)
    let at = r#"{"age": 30, "si_months": 6, "si_base_yuan": 9947.2, "si_base_months_48": 36}"#;
    let below = r#"{"age": 30, "si_months": 6, "si_base_yuan": 9947.19, "si_base_months_48": 36}"#;
    assert_eq!(points(&score(&rs25, at), "si_base"), 25);
    assert_eq!(points(&score(&rs25, below), "si_base"), 0);
}

#[test]
fn veto_and_eligibility() {
    let rs = compile(Y2025);
    // R1 (120) with a veto: total stays 120, not meeting the standard
    let o = score(&rs, r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree", "serious_crime": true}"#);
    assert_eq!(o.total, 120);
    assert!(o.vetoed && o.eligible && !o.meets_standard);
    assert!(!o.vetoes.is_empty());
    // 5 months of SI: 120 but not eligible
    let o = score(&rs, r#"{"age": 30, "si_months": 5, "education": "bachelor_with_degree"}"#);
    assert_eq!(o.total, 120);
    assert!(!o.eligible && !o.vetoed && !o.meets_standard);
    assert!(!o.ineligible_reasons.is_empty());
    // deductions below zero: 30 − 150 = −120
    let o = score(&rs, r#"{"age": 30, "si_months": 6, "minor_crime_count": 1}"#);
    assert_eq!(o.total, -120);
    assert_eq!(points(&o, "minor_crime"), -150);
}

// ------------------------------------------------------------------ applicant errors

fn error(json: &str) -> ApplicantError {
    let rs = compile(Y2025);
    match rs.applicant_from_json(json) {
        Ok(_) => panic!("{json} should be rejected"),
        Err(e) => e,
    }
}

#[test]
fn unknown_key_is_named() {
    let e = error(r#"{"agee": 30, "age": 30, "si_months": 6}"#);
    assert!(matches!(e, ApplicantError::UnknownKey { .. }), "{e:?}");
    assert_eq!(e.key(), Some("agee"));
    assert!(e.to_string().contains("agee"), "{e}");
}

#[test]
fn wrong_type_is_named() {
    let e = error(r#"{"age": "thirty", "si_months": 6}"#);
    assert!(matches!(e, ApplicantError::WrongType { .. }), "{e:?}");
    assert_eq!(e.key(), Some("age"));
    assert!(e.to_string().contains("age"), "{e}");
}

#[test]
fn out_of_range_is_named() {
    let e = error(r#"{"age": 15, "si_months": 6}"#);
    assert!(matches!(e, ApplicantError::OutOfRange { .. }), "{e:?}");
    assert_eq!(e.key(), Some("age"));
    let e = error(r#"{"age": 30, "si_months": 6, "si_base_months_48": 49}"#);
    assert!(matches!(e, ApplicantError::OutOfRange { .. }), "{e:?}");
    assert_eq!(e.key(), Some("si_base_months_48"));
}

#[test]
fn missing_required_key_is_named() {
    let e = error(r#"{"age": 30}"#);
    assert!(matches!(e, ApplicantError::MissingKey { .. }), "{e:?}");
    assert_eq!(e.key(), Some("si_months"));
    assert!(e.to_string().contains("si_months"), "{e}");
}

#[test]
fn unknown_enum_value_is_named() {
    let e = error(r#"{"age": 30, "si_months": 6, "education": "phd"}"#);
    assert!(matches!(e, ApplicantError::UnknownVariant { .. }), "{e:?}");
    assert_eq!(e.key(), Some("education"));
    assert!(e.to_string().contains("phd"), "{e}");
}

#[test]
fn duplicate_key_is_named() {
    let e = error(r#"{"age": 30, "age": 31, "si_months": 6}"#);
    assert!(matches!(e, ApplicantError::DuplicateKey { .. }), "{e:?}");
    assert_eq!(e.key(), Some("age"));
}

// ------------------------------------------------------------------ examples/

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn example_applicants() {
    for (name, rs) in both_years() {
        // R3: 30 + 60 + 9 + 50 = 149
        let o = score(&rs, &example("applicant.json"));
        assert_eq!(o.total, 149, "{name} applicant.json");
        // R12: 30 + max(90, 100) + 6 = 136
        let a = rs.applicant_from_toml(&example("applicant.toml")).expect("applicant.toml");
        let o = rs.evaluate(&a).expect("evaluates");
        assert_eq!(o.total, 136, "{name} applicant.toml");
        assert!(o.meets_standard, "{name} applicant.toml");
        // R15′: 30 + 30 + 9 + 50 = 119
        let o = score(&rs, &example("near-120.json"));
        assert_eq!(o.total, 119, "{name} near-120.json");
        assert!(!o.meets_standard, "{name} near-120.json");
    }
    // 临港 2 years: 116 (2024), 120 (2025)
    assert_eq!(score(&compile(Y2024), &example("lingang.json")).total, 116);
    assert_eq!(score(&compile(Y2025), &example("lingang.json")).total, 120);
}
