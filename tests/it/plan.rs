//! `jifen plan`: routes and plans checked against cases worked by hand from the
//! indicator table (shared/rules/indicators.md §5.1) and the 2025 wage of 12,434 yuan
//! (0.8× = 9,947.2; 2× = 24,868; 3× = 37,302).

use jifen::plan::{BlockerKind, Limits, Plan};
use jifen::RuleSet;

fn policy() -> RuleSet {
    jifen::bundled_policy().expect("the bundled policy compiles")
}

/// The facts a route chooses (implied ones left out), as `input=value` strings, sorted.
fn chosen(p: &Plan) -> Vec<String> {
    let mut v: Vec<String> = p.changes.iter().filter(|c| !c.implied).map(|c| format!("{}={}", c.input, c.to)).collect();
    v.sort();
    v
}

fn find_route(routes: &[Plan], facts: &[&str]) -> Option<i64> {
    let mut want: Vec<String> = facts.iter().map(|s| s.to_string()).collect();
    want.sort();
    routes.iter().find(|r| chosen(r) == want).map(|r| r.total)
}

#[test]
fn routes_reproduce_every_route_of_the_seed_list() {
    let rs = policy();
    // Age 30 (30 points) and the least social insurance that is eligible (6 months, 0 points).
    let age = rs.fact_from_text("age=30").expect("age");
    let base = rs.empty_profile(&[age]);
    let routes = rs.routes(&base, &[age.0], 4);
    // (route, chosen facts, total worked by hand; SI months implied by the base months
    // are counted, as in the table: 36 months of base imply 3 years of SI = 9 points)
    let cases: &[(&str, &[&str], i64)] = &[
        ("R1 本科+学士", &["education=bachelor_with_degree"], 30 + 90),
        ("R2 本科+社保10年", &["education=bachelor", "si_months=120 months"], 30 + 60 + 30),
        (
            "R3 本科+1倍基数",
            &["education=bachelor", "si_base_yuan=12434 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 50,
        ),
        (
            "R4 本科+0.8倍基数",
            &["education=bachelor", "si_base_yuan=9947.2 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 25,
        ),
        ("R5 专科+社保14年", &["education=junior_college", "si_months=168 months"], 30 + 50 + 42),
        (
            "R6 专科+1倍基数",
            &["education=junior_college", "si_base_yuan=12434 yuan", "si_base_months_48=36 months"],
            30 + 50 + 9 + 50,
        ),
        (
            "R7 专科+0.8倍基数+5年",
            &[
                "education=junior_college",
                "si_base_yuan=9947.2 yuan",
                "si_base_months_48=36 months",
                "si_months=60 months",
            ],
            30 + 50 + 15 + 25,
        ),
        (
            "R8 专科+紧缺+4年",
            &["education=junior_college", "shortage_major=true", "si_months=48 months"],
            30 + 50 + 30 + 12,
        ),
        ("R9 2倍基数", &["si_base_yuan=24868 yuan", "si_base_months_48=36 months"], 30 + 9 + 100),
        ("R10 3倍基数", &["si_base_yuan=37302 yuan", "si_base_months_36=24 months"], 30 + 6 + 120),
        (
            "R11 高级职称",
            &[
                "education=junior_college",
                "title_skill=title_senior",
                "si_base_yuan=12434 yuan",
                "si_base_months_12=6 months",
            ],
            30 + 140,
        ),
        (
            "R12 中级职称",
            &[
                "education=junior_college",
                "title_skill=title_intermediate",
                "si_base_yuan=12434 yuan",
                "si_base_months_12=6 months",
            ],
            30 + 100,
        ),
        (
            "R13 三级+1倍基数",
            &["title_skill=skill_3", "si_base_yuan=12434 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 50,
        ),
        (
            "R14 三级+0.8倍基数",
            &["title_skill=skill_3", "si_base_yuan=9947.2 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 25,
        ),
        (
            "R15 四级+1倍基数+4年",
            &["title_skill=skill_4", "si_base_yuan=12434 yuan", "si_base_months_48=36 months", "si_months=48 months"],
            30 + 30 + 12 + 50,
        ),
    ];
    let mut missing = Vec::new();
    for (name, facts, total) in cases {
        match find_route(&routes, facts) {
            Some(t) if t == *total => {}
            Some(t) => missing.push(format!("{name}: found with total {t}, expected {total}")),
            None => missing.push(format!("{name}: no route {facts:?}")),
        }
    }
    assert!(missing.is_empty(), "routes not reproduced:\n{}", missing.join("\n"));
    // Routes the seed list does not have, e.g. 创业人才 alone: 30 + 120.
    assert_eq!(find_route(&routes, &["startup_talent=true"]), Some(150));
    // Every route meets the standard and is minimal in what it chooses.
    assert!(routes.iter().all(|r| r.total >= 120));
}

#[test]
fn plan_for_one_point_short() {
    let rs = policy();
    // R15′: age 30 (30) + 四级 (30) + 3 years SI (9) + base ≥ 1× for 36 of 48 months (50) = 119.
    let a = rs
        .applicant_from_json(
            r#"{"age": 30, "si_months": 36, "title_skill": "skill_4", "si_base_yuan": 13000,
                "si_base_months_48": 36, "si_base_months_12": 12}"#,
        )
        .expect("valid");
    let report = rs.plan(&a, Limits::default());
    assert_eq!(report.total, 119);
    assert!(!report.meets_standard);
    // Waiting a year: age 31 still 30 points, SI 4 years = 12 (+3) → 122.
    let wait = report.plans.iter().find(|p| p.changes.is_empty()).expect("waiting is a plan");
    assert_eq!((wait.wait_years, wait.total), (1, 122));
    // Raising the skill to 三级: 30 + 60 + 9 + 50 = 149, with no waiting.
    let skill =
        report.plans.iter().find(|p| p.changes.len() == 1 && p.changes[0].to == "skill_3").expect("skill_3 plan");
    assert_eq!((skill.wait_years, skill.total), (0, 149));
    // Plans are ranked by facts changed, then years waited.
    let keys: Vec<(usize, u32)> = report.plans.iter().map(|p| (p.changes.len(), p.wait_years)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn waiting_ages_the_applicant() {
    let rs = policy();
    // Age 44 (29) + 本科 (60) + 10 years SI (30) = 119. A year later: age 45 (27, −2) and
    // 11 years SI (33, +3): 120 — waiting helps by one point only because SI grows faster
    // than age costs.
    let a = rs.applicant_from_json(r#"{"age": 44, "si_months": 120, "education": "bachelor"}"#).expect("valid");
    let report = rs.plan(&a, Limits::default());
    assert_eq!(report.total, 119);
    let one = &report.waiting[0];
    assert_eq!((one.years, one.total, one.meets_standard), (1, 120, true));
    assert!(one.items.contains(&("age".to_string(), -2)), "{:?}", one.items);
    assert!(one.items.contains(&("si_years".to_string(), 3)), "{:?}", one.items);
    // Age 56 (5) + 本科+学士 (90) + 8 years SI (24) = 119; a year later age 57 stays at 5 and
    // SI 9 years = 27: 122.
    let b =
        rs.applicant_from_json(r#"{"age": 56, "si_months": 96, "education": "bachelor_with_degree"}"#).expect("valid");
    let report = rs.plan(&b, Limits::default());
    assert_eq!(report.total, 119);
    assert_eq!(report.waiting[0].total, 122);
}

#[test]
fn plan_cli_runs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["plan", "--routes"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("routes to 120"), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["--format", "json", "plan", "examples/near-120.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["total"], 119);
    assert!(v["plans"].as_array().is_some_and(|p| !p.is_empty()));
}

fn applicant(rs: &RuleSet, json: &str) -> jifen::Applicant {
    rs.applicant_from_json(json).expect("valid applicant")
}

/// A plan as `input=value` changes, years waited and total, for comparing whole lists.
fn summary(p: &Plan) -> (Vec<String>, u32, i64) {
    (chosen(p), p.wait_years, p.total)
}

#[test]
fn a_veto_no_plan_can_change_is_named_instead_of_searched() {
    let rs = policy();
    // 30 (age 30) + 9 (3 years × 3) = 39, vetoed by 严重刑事犯罪. `serious_crime` is neither
    // raised nor waited by the policy's `plan` block: no plan can lift the veto.
    let report = rs.plan(&applicant(&rs, r#"{"age": 30, "si_months": 36, "serious_crime": true}"#), Limits::default());
    assert_eq!((report.total, report.vetoed, report.eligible), (39, true, true));
    assert_eq!(report.blockers.len(), 1, "{:?}", report.blockers);
    let b = &report.blockers[0];
    assert_eq!(b.kind, BlockerKind::Veto);
    assert_eq!((b.id.as_str(), b.reason.as_str()), ("serious_crime", "有严重刑事犯罪记录"));
    assert_eq!(b.inputs, ["serious_crime"]);
    assert!(!b.can_change);
    assert!(report.plans.is_empty() && report.waiting.is_empty());
    assert_eq!((report.search.ran, report.search.work), (false, 0));
}

#[test]
fn a_requirement_no_plan_can_change_is_named_instead_of_searched() {
    let rs = policy();
    // No 居住证: `has_residence_permit` is neither raised nor waited.
    let report =
        rs.plan(&applicant(&rs, r#"{"age": 30, "si_months": 36, "has_residence_permit": false}"#), Limits::default());
    assert!(!report.eligible);
    let ids: Vec<(&str, bool)> = report.blockers.iter().map(|b| (b.id.as_str(), b.can_change)).collect();
    assert_eq!(ids, [("residence_permit", false)]);
    assert_eq!(report.blockers[0].kind, BlockerKind::Requirement);
    assert!(report.plans.is_empty());
    assert!(!report.search.ran);
}

#[test]
fn a_requirement_waiting_can_meet_is_searched_and_every_plan_meets_it() {
    let rs = policy();
    // Age 30 (30) and 3 months of social insurance (0 points, and short of the 6 months the
    // requirement asks): 30. A year of waiting makes 15 months (eligible, 1 year = 3 points).
    let report = rs.plan(&applicant(&rs, r#"{"age": 30, "si_months": 3}"#), Limits::default());
    assert_eq!((report.total, report.eligible), (30, false));
    let ids: Vec<(&str, bool)> = report.blockers.iter().map(|b| (b.id.as_str(), b.can_change)).collect();
    assert_eq!(ids, [("social_insurance", true)]);
    assert!(report.search.ran);
    // 省部级表彰 (110) after a year: 30 + 3 + 110 = 143.
    let award = (vec!["award=provincial_or_above".to_string()], 1, 143);
    assert!(report.plans.iter().any(|p| summary(p) == award), "{:?}", report.plans);
    // Nothing the applicant raises adds months: every plan waits at least the one year.
    assert!(report.plans.iter().all(|p| p.wait_years >= 1 && p.total >= 120), "{:?}", report.plans);
}

#[test]
fn the_search_stays_within_its_budget_and_says_when_it_was_cut() {
    let rs = policy();
    let a = applicant(&rs, r#"{"age": 30, "si_months": 3}"#);
    for budget in [100, 5_000, jifen::plan::DEFAULT_BUDGET] {
        let limits = Limits { max_changes: 4, budget, ..Limits::default() };
        let report = rs.plan(&a, limits);
        assert!(report.search.work <= budget, "{:?}", report.search);
        // Four changes among six raisable facts with their values are far more than these
        // budgets: every one is spent and the report says so.
        assert!(report.search.cut, "{:?}", report.search);
        assert!(report.plans.iter().all(|p| p.total >= 120));
    }
    // Two changes for the 44-year-old below are searched to the end well within the budget.
    let report = rs.plan(&applicant(&rs, FORTY_FOUR), Limits::default());
    assert!(!report.search.cut && report.search.work < 1_000, "{:?}", report.search);
}

/// Age 44: min(30, 5 + 2 × (56 − 44)) = 29; 本科 60; 120 months = 10 years × 3 = 30;
/// 29 + 60 + 30 = 119. A year later: age 45 → 5 + 2 × 11 = 27 (−2), 11 years → 33 (+3): 120.
const FORTY_FOUR: &str = r#"{"age": 44, "si_months": 120, "education": "bachelor"}"#;

#[test]
fn waiting_is_clamped_to_the_years_that_can_matter() {
    let rs = policy();
    let limits = Limits { max_wait_years: 1_000_000, ..Limits::default() };
    let report = rs.plan(&applicant(&rs, FORTY_FOUR), limits);
    // The waited facts that can change for this applicant: age (compared with 56 and 60, so
    // past 61 in 17 years), si_months (3 points a year: 40 years = 480 months earn the 120,
    // 360 months from 120, 30 years) and the base months once a base is raised (36 of 48
    // months: 3 years). Public service, remote area and spouse years wait only for someone
    // already in them, which raising nothing changes. So 30 years.
    assert_eq!((report.search.max_wait_years, report.search.wait_clamped), (30, true));
    assert_eq!(report.waiting.len(), 30);
    assert!(!report.search.cut);
}

#[test]
fn a_plan_that_adds_a_change_and_gains_nothing_is_not_shown() {
    let rs = policy();
    let report = rs.plan(&applicant(&rs, FORTY_FOUR), Limits::default());
    assert_eq!(report.total, 119);
    // Waiting a year reaches 120 (see FORTY_FOUR), so a plan that also waits a year must
    // change nothing: "title_skill → skill_5, wait 1 year" (15 < 本科's 60, which wins the
    // either/or) and "si_base_yuan → 9947.2, wait 1 year" (12 months at the base, short of
    // 36) gain nothing over it. What remains reaches 120 at once with one change:
    // 本科+学士 29 + 90 + 30 = 149; 市级专项表彰 119 + 30 = 149; 10万 tax or 10 hires
    // 119 + 10 = 129. A title or a base alone scores nothing now (skill_3's 60 ties 本科
    // and education wins a tie; 二级 and above need 6 months at ≥ 1× the wage).
    let plans: Vec<(Vec<String>, u32, i64)> = report.plans.iter().map(summary).collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        plans,
        vec![
            (s(&[]), 1, 120),
            (s(&["education=bachelor_with_degree"]), 0, 149),
            (s(&["award=municipal_special"]), 0, 149),
            (s(&["invest_tax_yuan=100000 yuan"]), 0, 129),
            (s(&["invest_hukou_hires=10"]), 0, 129),
        ]
    );
}

#[test]
fn no_plan_shown_is_dominated_by_another() {
    let rs = policy();
    let people = [
        FORTY_FOUR,
        r#"{"age": 30, "si_months": 3}"#,
        r#"{"age": 30, "si_months": 36, "title_skill": "skill_4", "si_base_yuan": 13000, "si_base_months_48": 36}"#,
        r#"{"age": 52, "si_months": 60, "education": "junior_college"}"#,
    ];
    // `a` would be dominated by `b` if `b` made a subset of `a`'s changes (here: the same
    // values) and waited no longer.
    for json in people {
        let report = rs.plan(&applicant(&rs, json), Limits { max_changes: 3, ..Limits::default() });
        for a in &report.plans {
            for b in &report.plans {
                if std::ptr::eq(a, b) {
                    continue;
                }
                let subset = b.changes.iter().all(|c| a.changes.iter().any(|d| d.input == c.input && d.to == c.to));
                assert!(
                    !(subset && b.wait_years <= a.wait_years),
                    "{json}: {:?} is shown beside {:?}, which changes a subset and waits no longer",
                    summary(a),
                    summary(b)
                );
            }
        }
    }
}

/// A veto that reads `age` only inside a `min`, a `when` or a `match`: a 17-year-old is
/// vetoed, and a year of waiting (age + 1) lifts it. The plan must see that the veto reads a
/// waited fact (else it would call the veto permanent) and that 18 is a value of age the
/// rules compare (else it would think waiting changes nothing).
#[test]
fn a_veto_reading_a_fact_inside_min_when_or_match_is_known_to_the_plan() {
    for condition in
        ["min(age, 18) < 18", "(when age < 18 => 1 else => 0) == 1", "(match stage { child => age  adult => 18 }) < 18"]
    {
        let source = format!(
            r#"policy tiny "小" {{
    year      2025
    effective 2025-01-01
    standard  10
}}

enum Stage {{
    child "未成年"
    adult "成年"
}}

input {{
    age:   int 16..=70    "年龄(周岁)"
    stage: Stage = child  "阶段"
}}

section basic "基础指标" {{
    item base "基础分" {{
        when age >= 16 => 10
        else => 0
    }}
    item stage "阶段分" {{
        match stage {{
            child => 0
            adult => 0
        }}
    }}
}}

vetoes {{
    veto minor: {condition} "未满18周岁"
}}

plan {{
    wait {{ age + 1 }}
}}
"#
        );
        let rs = jifen::compile("minor.policy", &source).unwrap_or_else(|d| panic!("{condition}: {d:?}"));
        let report = rs.plan(&applicant(&rs, r#"{"age": 17}"#), Limits::default());
        // 10 points (age ≥ 16), vetoed at 17.
        assert_eq!((report.total, report.vetoed), (10, true), "{condition}");
        let b = &report.blockers[0];
        assert!(b.can_change && b.inputs.contains(&"age".to_string()), "{condition}: {b:?}");
        // Age 18 after a year: the veto no longer holds, 10 ≥ 10. Waiting further changes
        // nothing the rules compare (16 and 18 are passed), so one year is all that is considered.
        let plans: Vec<(Vec<String>, u32, i64)> = report.plans.iter().map(summary).collect();
        assert_eq!(plans, vec![(Vec::new(), 1, 10)], "{condition}");
        assert_eq!(report.search.max_wait_years, 1, "{condition}");
    }
}

#[test]
fn plan_cli_names_blockers_and_the_limits_it_met() {
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("writes");
        let out = child.wait_with_output().expect("finishes");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = run(&["plan", "-"], r#"{"age": 30, "si_months": 36, "serious_crime": true}"#);
    assert!(text.contains("vetoed by serious_crime — 有严重刑事犯罪记录 (reads serious_crime)"), "{text}");
    assert!(text.contains("no plan was searched for"), "{text}");
    let text = run(&["plan", "--max-changes", "4", "--budget", "100", "-"], r#"{"age": 30, "si_months": 3}"#);
    assert!(text.contains("not eligible: social_insurance"), "{text}");
    assert!(text.contains("The search stopped at its budget (100 units of work"), "{text}");
    let text = run(&["plan", "--max-wait", "1000000", "-"], FORTY_FOUR);
    assert!(text.contains("Waiting is considered up to 30 year(s), not 1000000"), "{text}");
    let json = run(
        &["--format", "json", "plan", "--budget", "100", "--max-changes", "4", "-"],
        r#"{"age": 30, "si_months": 3}"#,
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["search"]["cut"], true);
    assert_eq!(v["blockers"][0]["kind"], "requirement");
}

/// `--given` fixes facts of the empty profile (they are never chosen by a route); a profile
/// that already meets the standard says so: age 45 (27 points) + master (100) = 127 ≥ 120.
#[test]
fn routes_take_given_facts_and_say_when_nothing_is_needed() {
    let bin = env!("CARGO_BIN_EXE_jifen");
    let out = std::process::Command::new(bin)
        .args(["plan", "--routes", "--given", "age=45", "--given", "education=master"])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("already meets the standard: 127 ≥ 120"), "{stdout}");
    let out = std::process::Command::new(bin).args(["plan", "--routes", "--given", "nosuch=1"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(3), "an unknown fact is an applicant error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown input `nosuch`"));
}
