//! Applicant numbers are read exactly or refused: a number with more digits than a decimal
//! holds (28–29 significant digits) is an error naming the key, never a rounded value, on
//! every path that reads applicant data — JSON and TOML for `score`, JSON lines and CSV for
//! `batch`, the JSON body of `POST /api/score`. Underscores are not digits.

use crate::common::{BIN, ROOT};
use crate::http;

use std::process::{Command, Output, Stdio};

use jifen::internals::population::{RawRow, RowFormat, RowReader};
use jifen::rules::Value;
use jifen::ApplicantError;

fn policy() -> jifen::RuleSet {
    jifen::bundled_policy().unwrap()
}

/// 12,434 yuan (the 2025 average wage) less 10^−25: below 1× the average wage, so `si_base`
/// is 25 (≥ 0.8×, 48 months) — rounded to 28 digits it would be 12434 and score 50.
const BELOW_ONE: &str = "12433.9999999999999999999999999";
/// 0.8 × 12,434 = 9947.2, less 10^−25: below 0.8×, so `si_base` is 0 — rounded, 25.
const BELOW_EIGHT_TENTHS: &str = "9947.1999999999999999999999999";
/// Six months and 10^−29: not whole — rounded, 6 and eligible.
const SIX_AND_A_BIT: &str = "6.00000000000000000000000000001";

fn json_with_base(base: &str) -> String {
    format!(r#"{{"age": 30, "si_months": 48, "si_base_yuan": {base}, "si_base_months_48": 48}}"#)
}

#[test]
fn a_decimal_with_too_many_digits_is_refused_naming_the_key() {
    let rules = policy();
    for base in [BELOW_ONE, BELOW_EIGHT_TENTHS] {
        for given in [base.to_string(), format!("\"{base}\"")] {
            let e = rules.applicant_from_json(&json_with_base(&given)).unwrap_err();
            assert_eq!(e, ApplicantError::Inexact { key: "si_base_yuan".into(), value: base.into() }, "{given}");
            assert_eq!(e.to_string(), format!("key `si_base_yuan`: {base} has more digits than can be held exactly"));
        }
    }
    // One digit fewer fits, and is the value written: 12433.999…9 (24 nines) is below 1×, so 25.
    let a = rules.applicant_from_json(&json_with_base("12433.999999999999999999999999")).unwrap();
    let slot = rules.inputs().iter().position(|i| &*i.name == "si_base_yuan").unwrap();
    assert_eq!(a.values[slot], Value::Dec("12433.999999999999999999999999".parse().unwrap()));
    let outcome = rules.evaluate(&a).unwrap();
    assert_eq!(outcome.items.iter().find(|i| i.id == "si_base").unwrap().points, 25);
}

#[test]
fn a_whole_number_with_a_fraction_beyond_28_digits_is_not_whole() {
    let e = policy().applicant_from_json(&format!(r#"{{"age": 30, "si_months": {SIX_AND_A_BIT}}}"#)).unwrap_err();
    assert_eq!(e.key(), Some("si_months"));
    assert_eq!(
        e.to_string(),
        format!("key `si_months` must be a whole number of months, found the number {SIX_AND_A_BIT}")
    );
    // 6.0 and 60e-1 are six exactly: accepted.
    for six in ["6.0", "60e-1", "6.000000000000000000000000000000000"] {
        assert!(policy().applicant_from_json(&format!(r#"{{"age": 30, "si_months": {six}}}"#)).is_ok(), "{six}");
    }
}

#[test]
fn toml_numbers_are_read_exactly_too() {
    let rules = policy();
    let e = rules
        .applicant_from_toml(&format!("age = 30\nsi_months = 48\nsi_base_yuan = {BELOW_ONE}\nsi_base_months_48 = 48\n"))
        .unwrap_err();
    assert_eq!(e.key(), Some("si_base_yuan"));
    assert!(matches!(e, ApplicantError::Inexact { .. }), "{e:?}");
    let e = rules.applicant_from_toml(&format!("age = 30\nsi_months = {SIX_AND_A_BIT}\n")).unwrap_err();
    assert_eq!(e.key(), Some("si_months"));
    // TOML's own `_` between digits stays TOML's syntax: 12_434 is the integer 12434.
    assert!(rules.applicant_from_toml("age = 30\nsi_months = 6\nsi_base_yuan = 12_434.5\n").is_ok());
}

#[test]
fn underscores_are_not_digits_in_applicant_data() {
    let rules = policy();
    // A JSON string: 1_2434 is no number (it was read as 12434 yuan).
    let e = rules.applicant_from_json(r#"{"age": 30, "si_months": 6, "si_base_yuan": "1_2434"}"#).unwrap_err();
    assert_eq!(e.to_string(), "key `si_base_yuan` must be a number of yuan, found the string \"1_2434\"");
    // A CSV cell, for a decimal and for a whole number.
    for (csv, key) in
        [("age,si_months,si_base_yuan\n30,6,1_2434\n", "si_base_yuan"), ("age,si_months\n30,1_2\n", "si_months")]
    {
        let rows = RowReader::new(csv.as_bytes(), RowFormat::Csv).unwrap().chunk(10).unwrap();
        let e = rows[0].parse(&rules).unwrap_err();
        assert_eq!(e.key(), Some(key), "{csv}");
        assert!(matches!(e, ApplicantError::WrongType { .. }), "{e:?}");
    }
}

#[test]
fn csv_and_json_lines_rows_are_read_exactly() {
    let rules = policy();
    let csv = format!("age,si_months,si_base_yuan,si_base_months_48\n30,48,{BELOW_ONE},48\n30,{SIX_AND_A_BIT},,\n");
    let rows = RowReader::new(csv.as_bytes(), RowFormat::Csv).unwrap().chunk(10).unwrap();
    assert_eq!(rows[0].parse(&rules).unwrap_err().key(), Some("si_base_yuan"));
    assert_eq!(rows[1].parse(&rules).unwrap_err().key(), Some("si_months"));
    let row = RawRow::json(1, json_with_base(BELOW_EIGHT_TENTHS));
    assert_eq!(row.parse(&rules).unwrap_err().key(), Some("si_base_yuan"));
    // The batch parser (its fast path) agrees.
    let mut parser = jifen::internals::population::RowParser::new(&rules);
    assert_eq!(parser.parse(&row).map(|_| ()).unwrap_err().key(), Some("si_base_yuan"));
}

#[test]
fn score_and_batch_exit_3_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("jifen-exact-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("applicant.json");
    std::fs::write(&path, json_with_base(BELOW_ONE)).unwrap();
    let out = jifen(&["score", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("si_base_yuan") && stderr.contains("held exactly"), "{stderr}");
    assert!(out.stdout.is_empty());

    let rows = dir.join("people.jsonl");
    std::fs::write(&rows, format!("{}\n{}\n", json_with_base("12434"), json_with_base(BELOW_EIGHT_TENTHS))).unwrap();
    let out = jifen(&["batch", rows.to_str().unwrap(), "-o", dir.join("out.jsonl").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("line 2") && stderr.contains("si_base_yuan"), "{stderr}");
}

#[test]
fn the_server_answers_400_naming_the_key() {
    let policy = jifen::bundled_policy().unwrap();
    let server = jifen::internals::serve::start(policy, "127.0.0.1:0").unwrap();
    let r = http::post(server.addr(), "/api/score", &json_with_base(BELOW_ONE));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("si_base_yuan"), "{}", r.text());
    let r = http::post(server.addr(), "/api/score", &format!(r#"{{"age": 30, "si_months": {SIX_AND_A_BIT}}}"#));
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("si_months"), "{}", r.text());
}

// ---------------------------------------------------------------- helpers

fn jifen(args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(ROOT).env("NO_COLOR", "1").stdin(Stdio::null()).output().unwrap()
}

/// The library reads an applicant as `score`, `batch` and `serve` do: an `id` names the
/// applicant (a string or whole number) and is not an unknown fact; a second `id` or an id
/// that cannot name a row is refused.
#[test]
fn the_library_accepts_an_id_as_every_command_does() {
    let rs = jifen::bundled_policy().expect("bundled");
    let a = rs.applicant_from_json(r#"{"id": "x1", "age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#);
    let outcome = rs.evaluate(&a.expect("an id is accepted")).expect("evaluates");
    assert_eq!(outcome.total, 120, "30 (age 30) + 90 (本科+学士)");
    assert!(rs.applicant_from_json(r#"{"id": 7, "age": 30, "si_months": 6}"#).is_ok());
    assert!(rs.applicant_from_toml("id = \"x\"\nage = 30\nsi_months = 6\n").is_ok());
    let twice = rs.applicant_from_json(r#"{"id": "a", "id": "b", "age": 30, "si_months": 6}"#).unwrap_err();
    assert!(twice.to_string().contains("id"), "{twice}");
    let bad = rs.applicant_from_json(r#"{"id": [1], "age": 30, "si_months": 6}"#).unwrap_err();
    assert!(bad.to_string().contains("id"), "{bad}");
}
