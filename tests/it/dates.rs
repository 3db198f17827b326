//! Dates end to end: a literal `2025-07-01` is a date (it used to be the number 2017),
//! applicants give dates as `YYYY-MM-DD`, and both evaluators count between them alike.

use std::borrow::Cow;

use jifen::rules::{Expr, ExprKind, Value};
use jifen::{ApplicantError, MemoryLoader, RawValue, RuleSet};

const POLICY: &str = r#"policy p "P" { year 2026 effective 2026-07-01 standard 10 }
input { birth: date "出生日期", cert_date: date? "证书日期" }
section s "S" {
    item cert "证书" {
        when (cert_date ?? 1970-01-01) >= 2025-07-01 => 5
        else => 0
    }
    item age "年龄" {
        when years_between(birth, effective) <= 35 years => 10
        else => 0
    }
}
"#;

fn policy() -> RuleSet {
    let report = jifen::check_with("p.policy", POLICY, &MemoryLoader { files: Default::default() });
    report.ruleset.unwrap_or_else(|| panic!("{}", report.diagnostics.render_human(false, 100)))
}

fn day(text: &str) -> i32 {
    jifen::internals::date::parse(text).expect("a date")
}

/// Every constant of an expression, in source order.
fn constants(e: &Expr, out: &mut Vec<Value>) {
    match &e.kind {
        ExprKind::Const(v) => out.push(*v),
        ExprKind::Folded { value, .. } => out.push(*value),
        _ => e.children().for_each(|c| constants(c, out)),
    }
}

#[test]
fn a_date_literal_is_a_date_not_2025_minus_7_minus_1() {
    let rs = policy();
    let mut found = Vec::new();
    constants(&rs.items()[0].body, &mut found);
    assert!(found.contains(&Value::Date(day("2025-07-01"))), "{found:?}");
    assert!(!found.contains(&Value::Int(2017)), "the literal was read as arithmetic: {found:?}");
}

#[test]
fn years_between_a_birth_date_and_effective_counts_birthdays_reached() {
    let rs = policy();
    // Effective 2026-07-01. Born 1990-07-02: 35 full years (the 36th birthday is the next
    // day) → 10. Born 1990-07-01: 36 on the day → 0. The certificate 2025-07-01 ≥ 2025-07-01 → 5.
    for (birth, cert, total) in [("1990-07-02", "2025-07-01", 15), ("1990-07-01", "2025-06-30", 0)] {
        let json = format!(r#"{{"birth": "{birth}", "cert_date": "{cert}"}}"#);
        let applicant = rs.applicant_from_json(&json).expect("valid");
        let reference = rs.evaluate(&applicant).expect("evaluates");
        assert_eq!(reference.total, total, "{json}");
        assert_eq!(rs.scorer().evaluate(&applicant).expect("evaluates"), reference, "{json}");
    }
}

#[test]
fn applicants_give_dates_as_yyyy_mm_dd_in_json_toml_and_cells() {
    let rs = policy();
    let json = rs.applicant_from_json(r#"{"birth": "1990-07-01"}"#).expect("a JSON date string");
    assert_eq!(json.values[0], Value::Date(day("1990-07-01")));
    assert_eq!(json.values[1], Value::Absent);
    // A TOML local date, and a TOML string.
    let toml = rs.applicant_from_toml("birth = 1990-07-01\ncert_date = \"2025-07-01\"").expect("TOML dates");
    assert_eq!(toml.values, vec![Value::Date(day("1990-07-01")), Value::Date(day("2025-07-01"))]);
    // A CSV/JSONL/key=value cell, blanks around it trimmed.
    let cell =
        rs.applicant_from_fields(vec![("birth", RawValue::Cell(Cow::Borrowed(" 1990-07-01 ")))]).expect("a cell");
    assert_eq!(cell.values[0], Value::Date(day("1990-07-01")));
}

#[test]
fn a_value_that_is_not_a_calendar_date_is_refused_naming_the_key() {
    let rs = policy();
    for bad in [r#""2025-02-30""#, r#""2025-7-1""#, r#""1990/07/01""#, "19900701", "true", r#""""#] {
        let json = format!(r#"{{"birth": {bad}}}"#);
        let err = rs.applicant_from_json(&json).expect_err(&json);
        assert!(matches!(err, ApplicantError::WrongType { .. }), "{json}: {err:?}");
        assert_eq!(err.key(), Some("birth"));
        assert!(err.to_string().contains("`birth` must be a date written YYYY-MM-DD"), "{err}");
    }
    // A TOML date with a time of day is not a date of the calendar.
    let err = rs.applicant_from_toml("birth = 1990-07-01T08:00:00").expect_err("a time");
    assert_eq!(err.key(), Some("birth"));
}

#[test]
fn a_date_in_a_test_given_a_param_and_a_default_is_checked_against_the_calendar() {
    let text = r#"policy p "P" { year 2026 effective 2026-07-01 standard 10 }
input { birth: date "出生日期" }
section s "S" { item a "A" { when birth >= 2000-01-01 => 10 else => 0 } }
test "t" { given { birth: 2023-02-29 } expect total = 10 }
"#;
    let report = jifen::check_with("p.policy", text, &MemoryLoader { files: Default::default() });
    let rendered = report.diagnostics.render_human(false, 100);
    assert!(rendered.contains("E0104") && rendered.contains("2023-02-29"), "{rendered}");
}

#[test]
fn a_date_compared_with_a_number_is_an_error_naming_both() {
    let text = r#"policy p "P" { year 2026 effective 2026-07-01 standard 10 }
input { birth: date "出生日期", n: int 0.. "N" }
section s "S" { item a "A" { when birth == n => 10 else => 0 } }
"#;
    let report = jifen::check_with("p.policy", text, &MemoryLoader { files: Default::default() });
    let rendered = report.diagnostics.render_human(false, 100);
    assert!(rendered.contains("cannot compare a date with a whole number"), "{rendered}");
}

/// The first and last days a date may have: 1000-01-01 and 9999-12-31.
const FIRST_DAY: i32 = -354_285;
const LAST_DAY: i32 = 2_932_896;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// The scorer's lowered date comparisons and counts agree with the reference evaluator
    /// on any two days (the fixture's `>=` on an optional date and `years_between`).
    #[test]
    fn the_scorer_and_the_reference_agree_on_any_dates(
        birth in FIRST_DAY..=LAST_DAY,
        cert in proptest::option::of(FIRST_DAY..=LAST_DAY),
    ) {
        let rs = policy();
        let mut values = vec![Value::Date(birth), cert.map_or(Value::Absent, Value::Date)];
        let applicant = jifen::Applicant { values: std::mem::take(&mut values), lists: Vec::new() };
        let reference = rs.evaluate(&applicant);
        proptest::prop_assert_eq!(rs.scorer().evaluate(&applicant), reference);
    }
}
