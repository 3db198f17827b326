//! `jifen test --mutants`: a fixture whose tests leave a known gap, the same fixture with
//! the gap closed, the JSON shape and the exit code of `--min-mutation-score`.

use crate::common::{BIN, ROOT};
use std::process::Command;

use serde_json::Value;

const GAP: &str = "tests/mutants/gap.policy";

fn jifen(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).current_dir(ROOT).env("NO_COLOR", "1").output().expect("jifen runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{stderr}");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn gap() -> jifen::RuleSet {
    let text = std::fs::read_to_string(format!("{ROOT}/{GAP}")).expect("fixture readable");
    jifen::compile(GAP, &text).expect("fixture compiles")
}

fn survivors(report: &jifen::mutants::MutationReport) -> Vec<String> {
    report
        .mutants
        .iter()
        .filter(|m| m.verdict == jifen::mutants::Verdict::Survived)
        .map(|m| format!("{} {}: {}", m.location, m.place, m.change))
        .collect()
}

#[test]
fn a_threshold_tested_far_from_its_boundary_survives_and_a_boundary_test_kills_it() {
    let report = gap().mutants();
    // The tests use pay 5000 and 10: pay >= 1000 → 1000.01, 999.99 and `>` all pass them.
    assert_eq!(
        survivors(&report),
        [
            "tests/mutants/gap.policy:15 item bonus: `pay >= 1000 yuan` → `pay > 1000 yuan`",
            "tests/mutants/gap.policy:15 item bonus: `pay >= 1000 yuan` → `pay >= 1000.01 yuan`",
            "tests/mutants/gap.policy:15 item bonus: `pay >= 1000 yuan` → `pay >= 999.99 yuan`",
            // No test checks meets_standard at a total of 10 or 9.
            " standard: `standard 10` → `standard 11`",
            " standard: `standard 10` → `standard 9`",
        ]
    );
    let hint = report.mutants.iter().find(|m| m.change.contains("1000.01")).and_then(|m| m.hint.clone());
    assert_eq!(hint.as_deref(), Some("a test with pay = 1000 yuan"));
    // `years > 50 years` can never hold (tenure 0..=40): its changes are equivalent.
    let arm = report.mutants.iter().find(|m| m.change.starts_with("`tenure > 50 years` → `tenure > 51"));
    assert_eq!(arm.map(|m| m.verdict), Some(jifen::mutants::Verdict::Equivalent));

    // Close the gaps: a test at 1000 kills `>` and 1000.01, one at 999.99 kills 999.99;
    // totals of exactly 10 and 9 with meets_standard kill the two changes of the standard.
    let mut text = std::fs::read_to_string(format!("{ROOT}/{GAP}")).unwrap();
    text.push_str(
        "\n/// 10 (pay 1000 ≥ 1000) + 0 = 10\ntest \"pay at the threshold\" {\n    given { tenure: 0, pay: 1000 }\n    expect item bonus = 10, total = 10, meets_standard = true\n}\n\
         \n/// 0 (pay 999.99 < 1000) + 0 = 0\ntest \"pay just below\" {\n    given { tenure: 0, pay: 999.99 }\n    expect item bonus = 0\n}\n\
         \n/// 0 (pay 0) + 9 (9 years × 1) = 9, below the standard 10\ntest \"nine years\" {\n    given { tenure: 9, pay: 0 }\n    expect total = 9, meets_standard = false\n}\n",
    );
    let closed = jifen::compile(GAP, &text).expect("fixture with the new tests compiles").mutants();
    assert_eq!(survivors(&closed), Vec::<String>::new());
    assert_eq!(closed.score, 100.0);
}

#[test]
fn json_lists_each_change_with_its_verdict() {
    let (code, stdout, stderr) = jifen(&["--format", "json", "test", "--mutants", GAP]);
    assert_eq!(code, 0, "{stderr}");
    let json: Value = serde_json::from_str(&stdout).expect("JSON");
    let m = &json[0]["mutants"];
    assert_eq!(m["survived"], 5);
    assert!(m["killed"].as_u64().unwrap() > 0);
    assert!(m["equivalent"].as_u64().unwrap() > 0);
    assert_eq!(m["not_run"], 0);
    let first = m["mutants"].as_array().unwrap().iter().find(|x| x["verdict"] == "survived").unwrap();
    for key in ["location", "place", "kind", "change", "verdict", "hint"] {
        assert!(first.get(key).is_some(), "a surviving mutant has `{key}`: {first}");
    }
    let killed = m["mutants"].as_array().unwrap().iter().find(|x| x["verdict"] == "killed").unwrap();
    assert!(killed["killed_by"].is_string(), "{killed}");
}

#[test]
fn min_mutation_score_fails_below_and_passes_at_the_score() {
    let report = gap().mutants();
    let counted = report.killed + report.survived;
    assert!(report.score < 100.0);
    let (code, _, stderr) = jifen(&["test", "--min-mutation-score", "100", GAP]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("mutation score"), "{stderr}");
    // killed / counted, rounded down to a whole percentage, passes.
    let floor = (report.killed * 100 / counted).to_string();
    let (code, stdout, stderr) = jifen(&["test", "--min-mutation-score", &floor, GAP]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("survived  tests/mutants/gap.policy:15  item bonus"), "{stdout}");
}

#[test]
fn the_bundled_policies_leave_no_change_that_can_alter_a_score() {
    for name in ["2024", "2025"] {
        let rs = jifen::compile_bundled(&format!("policies/{name}.policy")).expect("bundled policy compiles");
        let report = rs.mutants();
        assert_eq!(survivors(&report), Vec::<String>::new(), "{name}");
    }
    // 2025: lingang_counting_years 1 → 0 turns `remote_area_years >= 1 year` into `>= 0
    // years`, which differs only at 0 years, where `2 per year of 0 years` is 0 as the `else`
    // is: no applicant can notice it, and the analysis proves it.
    let rs = jifen::compile_bundled("policies/2025.policy").expect("2025 compiles");
    let verdict = rs.mutants().mutants.into_iter().find(|m| m.change.contains("`lingang_counting_years = 0 years`"));
    assert_eq!(verdict.map(|m| m.verdict), Some(jifen::mutants::Verdict::Equivalent));
}

/// A parameter compared only with one whole-number input changes those comparisons at one
/// value of the input; the input is pinned there and the other inputs the item reads are
/// enumerated, so an unbounded input does not stop the proof.
#[test]
fn a_parameter_threshold_is_equivalent_when_the_one_value_it_moves_scores_the_same() {
    let text = r#"policy p "param boundary" {
    year      2025
    effective 2025-01-01
    standard  0
}

enum Area { none "无", lingang "临港" }

param counting_years = 1 years "开始计入的年限"

input {
    area: Area "区域"
    area_years: years 0.. "年限"
}

section bonus "加分" {
    item area "区域" {
        match area {
            none => 0
            lingang =>
                when area_years >= counting_years => 2 per year of area_years
                else => 0
        }
    }
}

/// 2 per year × 3 years = 6
test "three years = 6" {
    given { area: lingang, area_years: 3 }
    expect item area = 6, total = 6
}
"#;
    let report = jifen::compile("boundary.policy", text).expect("fixture compiles").mutants();
    let verdict = |to: &str| {
        report.mutants.iter().find(|m| m.place == "param counting_years" && m.change.ends_with(to)).map(|m| m.verdict)
    };
    // 1 → 0: differs only at 0 years, where `2 per year of 0 years` = 0 = the `else`.
    assert_eq!(verdict("`counting_years = 0 years`"), Some(jifen::mutants::Verdict::Equivalent));
    // 1 → 2: at 1 year the item gives 2 before and 0 after; no test is at 1 year.
    assert_eq!(verdict("`counting_years = 2 years`"), Some(jifen::mutants::Verdict::Survived));
}
