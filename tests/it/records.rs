//! Records and lists of records: applicants' rows read from JSON, TOML and cells, every
//! problem named by its place (`periods[1].base`), lengths bounded, and the aggregates'
//! values worked by hand.

use jifen::{ApplicantError, RawValue, RuleSet};

fn policy() -> RuleSet {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/records/good/insurance_periods.policy");
    let text = std::fs::read_to_string(path).expect("the fixture is readable");
    jifen::check_with("insurance_periods.policy", &text, &jifen::FsLoader).ruleset.expect("the fixture compiles")
}

fn total(rs: &RuleSet, json: &str) -> i64 {
    let applicant = rs.applicant_from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    rs.evaluate(&applicant).expect("evaluates").total
}

fn refused(rs: &RuleSet, json: &str) -> ApplicantError {
    rs.applicant_from_json(json).expect_err(json)
}

#[test]
fn rows_in_json_score_as_worked_by_hand() {
    let rs = policy();
    // The fixture's "three periods and four patents", as JSON: 6 + 5 + 0 + 20 + 6 = 37.
    let json = r#"{"periods": [{"months": 24, "base": 25000}, {"months": 13, "base": "30000"},
        {"months": 36, "base": 12000.00}],
        "patents": [{"level": "national"}, {"level": "city"}, {"level": "provincial"}, {"level": "national"}],
        "age": 30}"#;
    assert_eq!(total(&rs, json), 37);
    // A list left out, or null, is the empty list: every aggregate over no rows, total 0.
    assert_eq!(total(&rs, r#"{"age": 30}"#), 0);
    assert_eq!(total(&rs, r#"{"age": 30, "periods": null, "patents": []}"#), 0);
}

/// A sum over no rows is zero of the summed field's kind: a decimal for amounts in yuan.
#[test]
fn a_sum_over_no_rows_is_zero_of_the_fields_kind() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/records/good/insurance_periods.policy");
    let text = std::fs::read_to_string(path).expect("the fixture is readable");
    let text = format!(
        "{text}\noutput paid_base \"缴费基数合计\" = sum(p.base for p in periods)\n\
         output paid_months \"月数合计\" = sum(p.months for p in periods)\n"
    );
    let report = jifen::check_with("insurance_periods.policy", &text, &jifen::FsLoader);
    let rs = report.ruleset.unwrap_or_else(|| panic!("{:?}", report.diagnostics.list));
    let applicant = rs.applicant_from_json(r#"{"age": 30}"#).expect("a valid applicant");
    let outputs = rs.evaluate(&applicant).expect("evaluates").outputs;
    assert_eq!(outputs, [jifen::rules::Value::Dec(0.into()), jifen::rules::Value::Int(0)]);
}

#[test]
fn a_bad_row_is_refused_naming_its_place() {
    let rs = policy();
    let e = refused(&rs, r#"{"age": 30, "periods": [{"months": 1, "base": 1}, {"months": 2, "bse": 1}]}"#);
    assert_eq!(e.key(), Some("periods[1].bse"));
    assert!(e.to_string().contains("unknown key"), "{e}");
    let e = refused(&rs, r#"{"age": 30, "periods": [{"months": 1, "base": true}]}"#);
    assert_eq!(e.key(), Some("periods[0].base"));
    let e = refused(&rs, r#"{"age": 30, "periods": [{"months": 1}]}"#);
    assert_eq!(e.key(), Some("periods[0].base"));
    assert!(e.to_string().contains("missing"), "{e}");
    // months is 0..=600.
    let e = refused(&rs, r#"{"age": 30, "periods": [{"months": 601, "base": 1}]}"#);
    assert_eq!(e.key(), Some("periods[0].months"));
    let e = refused(&rs, r#"{"age": 30, "periods": [{"months": 1, "base": 1, "months": 2}]}"#);
    assert_eq!(e.key(), Some("periods[0].months"));
    let e = refused(&rs, r#"{"age": 30, "patents": [{"level": "global"}]}"#);
    assert_eq!(e.key(), Some("patents[0].level"));
    // Not an array of objects.
    assert_eq!(refused(&rs, r#"{"age": 30, "periods": 3}"#).key(), Some("periods"));
    assert_eq!(refused(&rs, r#"{"age": 30, "periods": [1]}"#).key(), Some("periods[0]"));
    assert_eq!(refused(&rs, r#"{"age": 30, "periods": [[{"months": 1}]]}"#).key(), Some("periods[0]"));
    // A row's field is a plain value, never a nested list.
    let e = refused(&rs, r#"{"age": 30, "periods": [{"months": [1], "base": 1}]}"#);
    assert_eq!(e.key(), Some("periods[0].months"));
}

#[test]
fn a_list_over_its_bound_is_refused_naming_the_key_and_the_bound() {
    let rs = policy();
    // `periods` is declared `max 20`: 20 rows are read, 21 refused.
    let rows = |n: usize| vec![r#"{"months": 1, "base": 1}"#; n].join(",");
    assert_eq!(total(&rs, &format!(r#"{{"age": 30, "periods": [{}]}}"#, rows(20))), 0);
    let e = refused(&rs, &format!(r#"{{"age": 30, "periods": [{}]}}"#, rows(21)));
    assert!(matches!(&e, ApplicantError::TooManyRows { key, max: 20 } if key == "periods"), "{e:?}");
    assert!(e.to_string().contains("more than 20 rows"), "{e}");
    // `patents` has no declared bound: the global one, 1000, applies.
    let patents = vec![r#"{"level": "city"}"#; 1001].join(",");
    let e = refused(&rs, &format!(r#"{{"age": 30, "patents": [{patents}]}}"#));
    assert!(matches!(&e, ApplicantError::TooManyRows { max: 1000, .. }), "{e:?}");
    // Rows are refused as soon as there is one too many: in a cell (read only when its
    // input's rows are read) what follows the 21st row is never parsed.
    let cell = format!("[{}, oops", rows(21));
    let fields = [("age", RawValue::Cell("30".into())), ("periods", RawValue::Cell(cell.into()))];
    let e = rs.applicant_from_fields(fields).expect_err("too long");
    assert!(matches!(&e, ApplicantError::TooManyRows { max: 20, .. }), "{e:?}");
}

#[test]
fn rows_in_toml_are_arrays_of_tables_or_of_inline_tables() {
    let rs = policy();
    let toml = r#"
age = 30
patents = [{ level = "national" }, { level = "city" }]

[[periods]]
months = 24
base = 25_000.00

[[periods]]
months = 13
base = 30000
"#;
    let applicant = rs.applicant_from_toml(toml).expect("reads");
    // si_high: 37 months at ≥ 24000 → 3 years → 6; si_any 5; best_base 0 (30000 < 36000);
    // national 10; others 3. Total 24.
    assert_eq!(rs.evaluate(&applicant).expect("evaluates").total, 24);
    let e = rs.applicant_from_toml("age = 30\n[[periods]]\nmonths = 1\nbse = 2\n").expect_err("bad field");
    assert_eq!(e.key(), Some("periods[0].bse"));
}

#[test]
fn rows_in_a_cell_are_json_text() {
    let rs = policy();
    let cells = [
        ("age", RawValue::Cell("30".into())),
        ("periods", RawValue::Cell(r#"[{"months": 24, "base": 25000}]"#.into())),
        ("patents", RawValue::Cell("".into())),
    ];
    let applicant = rs.applicant_from_fields(cells).expect("reads");
    // 24 months at ≥ 24000: 2 years → 4; si_any 5; total 9.
    assert_eq!(rs.evaluate(&applicant).expect("evaluates").total, 9);
    let bad = [("age", RawValue::Cell("30".into())), ("periods", RawValue::Cell("[{\"months\": 1,".into()))];
    let e = rs.applicant_from_fields(bad).expect_err("not JSON");
    assert_eq!(e.key(), Some("periods"));
}

#[test]
fn the_scorer_agrees_with_the_reference_on_rows() {
    let rs = policy();
    let scorer = rs.scorer();
    let json = r#"{"periods": [{"months": 600, "base": 99999999}, {"months": 0, "base": 0}],
        "patents": [{"level": "national"}], "age": 70}"#;
    let applicant = rs.applicant_from_json(json).expect("reads");
    assert_eq!(scorer.evaluate(&applicant), rs.evaluate(&applicant));
}

mod drawn {
    use proptest::prelude::*;

    /// Rows of the fixture's two lists as JSON, with values over their whole ranges (bases up
    /// to 2^96 − 1 yuan, so sums pass i64 and carry on in decimals).
    fn applicant() -> impl Strategy<Value = String> {
        let base = prop_oneof![
            4 => (0u64..100_000).prop_map(|b| b.to_string()),
            1 => (0u64..100_000, 0u32..100).prop_map(|(b, c)| format!("{b}.{c:02}")),
            1 => Just("79228162514264337593543950335".to_string()),
        ];
        let period = (0u32..=600, base).prop_map(|(m, b)| format!(r#"{{"months": {m}, "base": {b}}}"#));
        let level = proptest::sample::select(vec!["national", "provincial", "city"]);
        let patent = level.prop_map(|l| format!(r#"{{"level": "{l}"}}"#));
        (proptest::collection::vec(period, 0..=20), proptest::collection::vec(patent, 0..8), 16u32..=70).prop_map(
            |(periods, patents, age)| {
                format!(r#"{{"periods": [{}], "patents": [{}], "age": {age}}}"#, periods.join(","), patents.join(","))
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn the_scorer_gives_the_reference_outcome_on_drawn_rows(json in applicant()) {
            let rs = super::policy();
            let applicant = rs.applicant_from_json(&json).expect("drawn rows are valid");
            let reference = rs.evaluate(&applicant);
            prop_assert_eq!(rs.scorer().evaluate(&applicant), reference.clone());
            // Counts are never negative and no item passes its cap: the aggregates' ranges.
            if let Ok(outcome) = reference {
                prop_assert!(outcome.items.iter().all(|i| (0..=30).contains(&i.points)));
            }
        }
    }
}
