//! Capped groups, outputs and the scoped test expectations (issue 14 items 5 and 7, issue 15
//! item 6), through the library: scores worked by hand in the comments.

use jifen::rules::Value;
use jifen::RuleSet;

const POLICY: &str = r#"policy groups "合计上限" {
    year      2025
    effective 2025-01-01
    standard  10
}

input {
    a: int 0..=100 "甲"
    b: int 0..=100 "乙"
    c: int 0..=100 "丙"
    fines: int 0..=10 "罚款次数"
}

section basic "基础" cap 70 {
    item a "甲" { a }
    item b "乙" { b }
    item c "丙" { c }
    group ab "甲乙合计" cap 50 { a, b }
}

section deduction "减分" deduction {
    item fine "罚款" { -10 * fines }
    item fine_again "再罚" { -5 * fines }
    group fines_all "罚款合计" cap 30 { fine, fine_again }
}

let big = a + b >= 60

output room "距上限" = 70 - (a + b + c)
output over "超出" = big

test "都有" {
    given { a: 40, b: 30, c: 10, fines: 0 }
    expect total = 60, section basic = 60, group ab = 50, let big = true, output room = -10
}
"#;

fn compile() -> RuleSet {
    jifen::compile("groups.policy", POLICY).unwrap_or_else(|d| panic!("does not compile:\n{d}"))
}

fn score(rs: &RuleSet, a: i64, b: i64, c: i64, fines: i64) -> (i64, Vec<i64>, Vec<(i64, i64)>) {
    let applicant = jifen::Applicant { values: [a, b, c, fines].map(Value::Int).to_vec(), lists: Vec::new() };
    let outcome = rs.evaluate(&applicant).expect("evaluates");
    let sections = outcome.sections.iter().map(|s| s.points).collect();
    let groups = outcome.groups.iter().map(|g| (g.raw_points, g.points)).collect();
    // The scorer's aggregation is the same: it must agree.
    let mut scores = jifen::Scores::default();
    rs.scorer().score(&applicant, &mut scores).expect("scores");
    assert_eq!(scores.total, outcome.total);
    (outcome.total, sections, groups)
}

#[test]
fn a_group_cap_cuts_the_sum_of_its_items_before_the_section_cap() {
    let rs = compile();
    // a + b = 70 is cut to 50; c = 10: basic 60, under its cap of 70.
    assert_eq!(score(&rs, 40, 30, 10, 0), (60, vec![60, 0], vec![(70, 50), (0, 0)]));
    // a + b = 50 is not cut; c = 40: 90, cut to 70 by the section.
    assert_eq!(score(&rs, 20, 30, 40, 0), (70, vec![70, 0], vec![(50, 50), (0, 0)]));
}

#[test]
fn in_a_deduction_section_a_group_cap_bounds_the_size_of_the_deduction() {
    let rs = compile();
    // 3 fines: −30 − 15 = −45, bounded at −30. basic: a 10.
    assert_eq!(score(&rs, 10, 0, 0, 3), (-20, vec![10, -30], vec![(10, 10), (-45, -30)]));
    // 1 fine: −15, within the cap.
    assert_eq!(score(&rs, 10, 0, 0, 1), (-5, vec![10, -15], vec![(10, 10), (-15, -15)]));
}

#[test]
fn outputs_and_lets_are_computed_and_tested() {
    let rs = compile();
    let results = rs.run_tests(None);
    assert!(results.iter().all(|r| r.passed), "{:?}", results.iter().map(|r| &r.mismatches).collect::<Vec<_>>());
    let applicant = jifen::Applicant { values: [10, 20, 30, 0].map(Value::Int).to_vec(), lists: Vec::new() };
    let outcome = rs.evaluate(&applicant).expect("evaluates");
    // 70 − 60 = 10; 10 + 20 < 60.
    assert_eq!(outcome.outputs, vec![Value::Int(10), Value::Bool(false)]);
}

#[test]
fn a_failing_expectation_names_what_was_expected_and_got() {
    let text = POLICY.replace("let big = true, output room = -10", "let big = false, output room = 5");
    let rs = jifen::compile("groups.policy", &text).expect("compiles");
    let result = rs.run_tests(None).pop().expect("one test");
    let shown: Vec<String> =
        result.mismatches.iter().map(|m| format!("{}: expected {}, got {}", m.target, m.expected, m.actual)).collect();
    assert_eq!(shown, ["let big: expected false, got true", "output room: expected 5, got -10"]);
}

#[test]
fn coverage_counts_a_group_cap_binding_and_not() {
    let rs = compile();
    let coverage = rs.coverage(&rs.run_tests(None));
    let group: Vec<(&str, bool)> =
        coverage.goals.iter().filter(|g| g.subject == "group ab").map(|g| (g.what.as_str(), g.covered)).collect();
    // The one test cuts 70 to 50: binding is covered, not binding is not.
    assert_eq!(group, [("cap binds", true), ("cap does not bind", false)]);
}

#[test]
fn the_new_forms_are_formatted_and_stay_so() {
    let once = jifen::internals::fmt::format_source("groups.policy", POLICY).expect("formats");
    assert!(once.contains("    group ab \"甲乙合计\" cap 50 { a, b }\n"), "{once}");
    assert!(once.contains("output room \"距上限\" = 70 - (a + b + c)\n"), "{once}");
    assert!(once.contains("section basic = 60, group ab = 50, let big = true, output room = -10"), "{once}");
    assert_eq!(jifen::internals::fmt::format_source("groups.policy", &once).expect("formats"), once);
    let child = "policy c \"c\" extends \"p\" {\n    year 2026\n}\n\noverride test \"a\" as \"b\" {\n    given {}\n}\n\noverride output room \"r\" = 1\nremove output over\n";
    let formatted = jifen::internals::fmt::format_source("c.policy", child).expect("formats");
    assert!(formatted.contains("override test \"a\" as \"b\" {"), "{formatted}");
    assert!(formatted.contains("override output room \"r\" = 1\n"), "{formatted}");
    assert!(formatted.contains("remove output over\n"), "{formatted}");
}
