//! Messages known to be unclear, recorded as snapshots until someone improves them.
//!
//! Each test says what is wrong with its message. When a fix lands, the snapshot
//! changes: check that the new message is the clear one, then move the case into the
//! corpus (`tests/<feature>/bad/`) and delete it here.

use std::collections::HashMap;

use jifen::MemoryLoader;

fn render(name: &str, files: &[(&str, &str)]) -> String {
    let loader =
        MemoryLoader { files: files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect::<HashMap<_, _>>() };
    let text = files.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).unwrap_or_default();
    let report = jifen::check_with(name, text, &loader);
    assert!(report.diagnostics.has_errors(), "{name} should fail");
    report.diagnostics.render_human(false, 100)
}

const A_EXTENDS_B: &str = r#"policy a "甲" extends "b" {
    year      2025
    effective 2025-01-01
    standard  120
}
"#;

const B_EXTENDS_A: &str = r#"policy b "乙" extends "a" {
    year      2025
    effective 2025-01-01
    standard  120
}
"#;

/// The cycle is printed without its last step: "`a.policy` extends itself through
/// a.policy → b.policy" should read "a.policy → b.policy → a.policy", so that the
/// reader sees where it closes. (src/load.rs: add the parent's name to the path.)
#[test]
fn extends_cycle_path_stops_short() {
    insta::assert_snapshot!(render("a.policy", &[("a.policy", A_EXTENDS_B), ("b.policy", B_EXTENDS_A)]));
}

const BASE: &str = r#"policy base "基础" {
    year      2024
    effective 2024-01-01
    standard  120
}

param rate = 3 "每满1年积分"

input {
    si_months: months 0.. "在本市缴纳职工社会保险的月数"
}

section basic "基础指标" {
    item si_years "社保年限" {
        rate per year of si_months
    }
}
"#;

const OVERRIDE_RATES: &str = r#"policy child "子" extends "base" {
    year      2025
    effective 2025-01-01
    standard  120
}

override param rates = 4 "每满1年积分"
"#;

/// `override param rates` when the parent has `rate`: the message does not suggest the
/// close name, as every other unknown-name message does ("did you mean `rate`?").
/// (src/load.rs `nothing_to_change`: collect the names of that kind and use
/// `check::did_you_mean`.)
#[test]
fn override_of_a_misspelt_name_has_no_suggestion() {
    insta::assert_snapshot!(render("child.policy", &[("child.policy", OVERRIDE_RATES), ("base.policy", BASE)]));
}
