//! Fractional points, the total floor and policies without a standard, as a user sees them:
//! `score` (human, --explain, JSON) and `batch` on the fixture policies of `tests/points/good`.
//! The expected totals are worked by hand in the policies' test comments.

use crate::common::BIN;
use std::io::Write;
use std::process::{Command, Stdio};

const CITY: &str = "tests/points/good/fractional_city.policy";
const YES_NO: &str = "tests/points/good/yes_no_programme.policy";

/// Run `jifen ARGS` with `stdin`; its exit code and standard output.
fn jifen(args: &[&str], stdin: &str) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jifen runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin written");
    let out = child.wait_with_output().expect("jifen ends");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// 20.25 (硕士) + 30 (150 × 0.25, capped) + 3 (36 / 12) + 6.67 (20 / 3, half_up) = 59.92
const MASTER: &str = r#"{"degree":"master","employment_months":150,"residence_months":36,"patent":true,"inventors":3}"#;
/// 10.5 + 2.5 − 25 = −12, lifted to the floor of 0.
const FLOORED: &str = r#"{"degree":"bachelor","employment_months":10,"violations":2}"#;

#[test]
fn human_score_prints_points_with_the_declared_places() {
    let (code, out) = jifen(&["score", "--policy", CITY, "-"], MASTER);
    assert_eq!(code, 0, "{out}");
    insta::assert_snapshot!("city_human", out);
}

#[test]
fn json_score_writes_exact_decimal_numbers() {
    let (code, out) = jifen(&["score", "--format", "json", "--policy", CITY, "-"], MASTER);
    assert_eq!(code, 0, "{out}");
    // Written from the decimal: `59.92`, not 59.920000000000002 through a float.
    assert!(out.contains("\"total\": 59.92,"), "{out}");
    assert!(out.contains("\"standard\": 72.50,"), "{out}");
    insta::assert_snapshot!("city_json", out);
}

#[test]
fn explain_says_when_the_floor_lifted_the_total() {
    let (code, out) = jifen(&["score", "--explain", "--policy", CITY, "-"], FLOORED);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("total           0.00\n"), "{out}");
    assert!(out.contains("the floor of 0.00 lifted the total from -12.00"), "{out}");
    let (_, plain) = jifen(&["score", "--policy", CITY, "-"], FLOORED);
    assert!(!plain.contains("lifted"), "only --explain tells: {plain}");
    let (_, json) = jifen(&["score", "--format", "json", "--policy", CITY, "-"], FLOORED);
    assert!(json.contains("\"floored\": true"), "{json}");
}

#[test]
fn a_policy_without_a_standard_gives_an_eligibility_verdict() {
    let (code, out) = jifen(&["score", "--policy", YES_NO, "-"], r#"{"permit_years":7}"#);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("verdict         eligible\n"), "{out}");
    assert!(!out.contains("standard"), "no standard line: {out}");
    let (_, out) = jifen(&["score", "--policy", YES_NO, "-"], r#"{"permit_years":6,"crime":true}"#);
    assert!(out.contains("verdict         not eligible: 持证满7年; 有刑事犯罪记录\n"), "{out}");
    let (_, json) = jifen(&["score", "--format", "json", "--policy", YES_NO, "-"], r#"{"permit_years":7}"#);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["standard"], serde_json::Value::Null, "{json}");
    assert_eq!(v["meets_standard"], serde_json::Value::Null, "{json}");
    assert_eq!(v["eligible"], serde_json::Value::Bool(true), "{json}");
}

#[test]
fn batch_csv_columns_hold_decimal_points() {
    let rows = format!("{MASTER}\n{FLOORED}\n");
    let (code, out) =
        jifen(&["batch", "--policy", CITY, "--input-format", "jsonl", "--output-format", "csv", "-"], &rows);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "id,total,eligible,vetoed,meets_standard,degree,employment,residence,patent,violations\n\
         ,59.92,true,false,false,20.25,30.00,3.00,6.67,0.00\n\
         ,0.00,true,false,false,10.50,2.50,0.00,0.00,-25.00\n"
    );
    // No standard: the meets_standard cell is empty, as JSON's null.
    let (_, out) = jifen(
        &["batch", "--policy", YES_NO, "--input-format", "jsonl", "--output-format", "csv", "-"],
        "{\"permit_years\":7}\n",
    );
    assert_eq!(out, "id,total,eligible,vetoed,meets_standard\n,0,true,false,\n");
}

#[test]
fn whole_point_policies_print_as_before() {
    // The 2025 policy declares no precision: integers, no places, as every snapshot has them.
    let (_, out) =
        jifen(&["score", "--format", "json", "-"], &std::fs::read_to_string("examples/applicant.json").unwrap());
    assert!(out.contains("\"total\": 149,"), "{out}");
}
