//! Hostile applicants: wrong types, numbers that do not fit, duplicate keys, deep JSON,
//! unknown variants, broken CSV and JSON lines, empty files. Each is an error that names
//! the key and/or the line, with exit code 3 (invalid applicant data); `batch` and
//! `diff --applicants` leave no output file behind, not even a partial one.

use crate::common::{BIN, ROOT};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use jifen::ApplicantError;

fn policy() -> jifen::RuleSet {
    jifen::bundled_policy().unwrap()
}

fn read(json: &str) -> Result<jifen::Applicant, ApplicantError> {
    policy().applicant_from_json(json)
}

// ---------------------------------------------------------------- the library

#[test]
fn a_wrong_type_names_the_key_and_what_was_found() {
    let e = read(r#"{"age": "thirty", "si_months": 6}"#).unwrap_err();
    assert_eq!(e.key(), Some("age"));
    assert_eq!(e.to_string(), "key `age` must be a whole number, found the string \"thirty\"");
    let e = read(r#"{"age": 30, "si_months": 6, "fresh_graduate": "yes"}"#).unwrap_err();
    assert_eq!(e.key(), Some("fresh_graduate"));
    let e = read(r#"{"age": 30, "si_months": {"months": 6}}"#).unwrap_err();
    assert_eq!(e.to_string(), "key `si_months` must be a whole number of months, found an object");
}

#[test]
fn numbers_that_do_not_fit_are_out_of_range_not_a_wrong_type() {
    for (json, key, shown) in [
        (r#"{"age": 30, "si_months": 1e400}"#, "si_months", "1e400 (too large)"),
        (r#"{"age": 30, "si_months": 99999999999999999999999}"#, "si_months", "99999999999999999999999 (too large)"),
        (r#"{"age": 30, "si_months": 6, "invest_tax_yuan": 1e400}"#, "invest_tax_yuan", "1e400 (too large)"),
        (
            r#"{"age": 30, "si_months": 6, "invest_tax_yuan": 99999999999999999999999999999999999}"#,
            "invest_tax_yuan",
            "99999999999999999999999999999999999 (too large)",
        ),
        (r#"{"age": 30, "si_months": 6, "invest_tax_yuan": 1e-400}"#, "invest_tax_yuan", "1e-400 (too small to hold)"),
    ] {
        match read(json) {
            Err(ApplicantError::OutOfRange { key: k, value, .. }) => {
                assert_eq!((k.as_str(), value.as_str()), (key, shown), "{json}");
            }
            other => panic!("{json}: {other:?}"),
        }
    }
}

#[test]
fn extreme_values_within_the_schema_are_accepted_and_evaluate() {
    let policy = policy();
    let json = format!(
        r#"{{"age": 70, "si_months": {max}, "invest_tax_yuan": 79228162514264337593543950335,
            "si_base_yuan": 79228162514264337593543950335, "si_base_months_48": 48,
            "invest_hukou_hires": {max}, "public_service_years": {max}, "remote_area": "lingang",
            "remote_area_years": {max}, "spouse_hukou_years": {max}, "false_material_count": {max},
            "detention_count": {max}, "minor_crime_count": {max}}}"#,
        max = i64::MAX
    );
    let applicant = policy.applicant_from_json(&json).unwrap();
    let outcome = policy.evaluate(&applicant).unwrap();
    // Points saturate at ±i64::MAX rather than fail; sums are exact before they saturate.
    let sum: i128 = outcome.sections.iter().map(|s| s.points as i128).sum();
    assert_eq!(outcome.total as i128, sum.clamp(-(i64::MAX as i128), i64::MAX as i128));
    assert!(outcome.items.iter().all(|i| i.points > i64::MIN && i.raw_points > i64::MIN));
    assert!(outcome.sections.iter().any(|s| s.points == i64::MAX), "{:?}", outcome.sections);
}

#[test]
fn a_duplicate_key_is_named() {
    let e = read(r#"{"age": 30, "si_months": 6, "age": 31}"#).unwrap_err();
    assert_eq!(e, ApplicantError::DuplicateKey { key: "age".into() });
    // null counts as given: a second one is still a duplicate.
    let e = read(r#"{"age": 30, "si_months": 6, "spouse_hukou_years": null, "spouse_hukou_years": 2}"#).unwrap_err();
    assert_eq!(e.key(), Some("spouse_hukou_years"));
}

#[test]
fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let as_value = format!(r#"{{"age": {deep}, "si_months": 6}}"#);
    let unclosed = format!(r#"{{"age": {}"#, "[".repeat(100_000));
    let results = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || (read(&deep).unwrap_err(), read(&as_value).unwrap_err(), read(&unclosed).unwrap_err()))
        .unwrap()
        .join()
        .unwrap();
    assert!(matches!(results.0, ApplicantError::NotAnObject { .. } | ApplicantError::Syntax { .. }), "{:?}", results.0);
    assert_eq!(results.1.to_string(), "key `age` must be a whole number, found an array");
    assert!(matches!(results.2, ApplicantError::Syntax { .. }), "{:?}", results.2);
}

#[test]
fn an_unknown_variant_lists_the_allowed_ones() {
    let e = read(r#"{"age": 30, "si_months": 6, "education": "phd"}"#).unwrap_err();
    assert_eq!(e.key(), Some("education"));
    assert_eq!(e.to_string(), "key `education`: `phd` is not one of the allowed values");
    let ApplicantError::UnknownVariant { allowed, .. } = e else { unreachable!() };
    assert!(allowed.contains("bachelor_with_degree"), "{allowed}");
}

#[test]
fn an_empty_or_blank_applicant_is_a_syntax_error() {
    for text in ["", "   \n", "\u{feff}"] {
        assert!(matches!(read(text), Err(ApplicantError::Syntax { .. })), "{text:?}");
    }
}

#[test]
fn a_byte_order_mark_before_the_json_is_ignored() {
    let plain = read(r#"{"age": 30, "si_months": 6}"#).unwrap();
    assert_eq!(read("\u{feff}{\"age\": 30, \"si_months\": 6}").unwrap(), plain);
}

// ---------------------------------------------------------------- jifen score

#[test]
fn score_rejects_each_hostile_applicant_with_exit_3_naming_the_key() {
    let dir = temp_dir();
    let cases = [
        ("wrong_type.json", r#"{"age": "thirty", "si_months": 6}"#.to_string(), "key `age`"),
        ("huge.json", r#"{"age": 30, "si_months": 1e400}"#.to_string(), "key `si_months`: 1e400 (too large)"),
        ("huge_whole.json", r#"{"age": 30, "si_months": 99999999999999999999999}"#.to_string(), "key `si_months`"),
        ("duplicate.json", r#"{"age": 30, "si_months": 6, "age": 31}"#.to_string(), "key `age` is given twice"),
        ("deep.json", format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)), "must be an object of facts"),
        ("variant.json", r#"{"age": 30, "si_months": 6, "education": "phd"}"#.to_string(), "key `education`"),
        ("empty.json", String::new(), "not valid JSON"),
        ("unknown.json", r#"{"age": 30, "si_month": 6}"#.to_string(), "did you mean `si_months`?"),
    ];
    for (name, text, expected) in cases {
        let file = dir.join(name);
        std::fs::write(&file, &text).unwrap();
        let out = jifen(&["score", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: nothing on stdout");
    }
}

#[test]
fn score_rejects_hostile_toml_with_exit_3() {
    let dir = temp_dir();
    for (name, text) in [
        ("deep.toml", format!("age = {}{}\n", "[".repeat(10_000), "]".repeat(10_000))),
        ("dup.toml", "age = 30\nage = 31\nsi_months = 6\n".to_string()),
        ("type.toml", "age = \"thirty\"\nsi_months = 6\n".to_string()),
    ] {
        let file = dir.join(name);
        std::fs::write(&file, &text).unwrap();
        let out = jifen(&["score", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
        assert!(stderr.len() < 4000, "{name}: the message is short: {} bytes", stderr.len());
    }
}

// ---------------------------------------------------------------- jifen batch and diff

/// Rows files that must stop a run, and what the error must say.
fn bad_rows() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("missing_column.csv", "age,si_months\n30,6\n31\n", "line 3: the row has 1 fields, the header has 2"),
        ("extra_column.csv", "age,si_months\n30,6\n31,6,7\n", "line 3: the row has 3 fields, the header has 2"),
        ("broken_quote.csv", "age,si_months\n30,6\n\"31,6\n32,6\n", "line 3"),
        ("huge_cell.csv", "age,si_months\n30,6\n31,1e400\n", "line 3: key `si_months`: 1e400 (too large)"),
        ("unknown_column.csv", "age,si_month\n30,6\n", "unknown key `si_month`"),
        (
            "invalid_line.jsonl",
            "{\"age\": 30, \"si_months\": 6}\n{\"age\": 31,\n",
            "line 2: the applicant is not valid JSON",
        ),
        ("wrong_type.jsonl", "{\"age\": 30, \"si_months\": 6}\n{\"age\": true, \"si_months\": 6}\n", "line 2"),
        ("duplicate.jsonl", "{\"age\": 30, \"si_months\": 6, \"si_months\": 7}\n", "key `si_months` is given twice"),
    ]
}

#[test]
fn batch_stops_on_a_bad_row_with_exit_3_and_writes_no_file() {
    for (name, text, expected) in bad_rows() {
        let dir = temp_dir();
        let input = dir.join(name);
        std::fs::write(&input, text).unwrap();
        let out_dir = dir.join("out");
        std::fs::create_dir(&out_dir).unwrap();
        for output in ["scores.jsonl", "scores.csv"] {
            let target = out_dir.join(output);
            let out = jifen(&["batch", input.to_str().unwrap(), "-o", target.to_str().unwrap()]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
            assert!(stderr.contains(expected), "{name}: {stderr}");
            assert_eq!(files_in(&out_dir), Vec::<String>::new(), "{name}: no output, no temporary file");
        }
    }
}

#[test]
fn diff_with_bad_applicants_exits_3_and_writes_no_file() {
    let old = Path::new(ROOT).join("policies/2024.policy");
    let new = Path::new(ROOT).join("policies/2025.policy");
    for (name, text, expected) in bad_rows() {
        let dir = temp_dir();
        let input = dir.join(name);
        std::fs::write(&input, text).unwrap();
        let out_dir = dir.join("out");
        std::fs::create_dir(&out_dir).unwrap();
        let target = out_dir.join("changes.csv");
        let out = jifen(&[
            "diff",
            "--format",
            "csv",
            "--applicants",
            input.to_str().unwrap(),
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "-o",
            target.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
        // diff names the line; a value's error also names the policy it was read for.
        let line = expected.split(':').next().unwrap_or(expected);
        assert!(stderr.contains(line), "{name}: {stderr}");
        assert_eq!(files_in(&out_dir), Vec::<String>::new(), "{name}: no output, no temporary file");
    }
}

#[test]
fn batch_reads_a_csv_with_a_byte_order_mark() {
    let dir = temp_dir();
    let input = dir.join("excel.csv");
    std::fs::write(&input, "\u{feff}age,si_months\n30,6\n").unwrap();
    let out = jifen(&["batch", input.to_str().unwrap(), "--output-format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

#[test]
fn batch_of_invalid_utf8_exits_3_naming_the_line() {
    let dir = temp_dir();
    let input = dir.join("latin1.csv");
    std::fs::write(&input, b"age,si_months\n30,6\n31,\xff\n").unwrap();
    let out_dir = dir.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("scores.csv");
    let out = jifen(&["batch", input.to_str().unwrap(), "-o", target.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("line 3") && stderr.contains("UTF-8"), "{stderr}");
    assert_eq!(files_in(&out_dir), Vec::<String>::new());
}

#[test]
fn plan_and_diff_handle_an_applicant_whose_points_saturate() {
    // 2^63 − 1 records of false material: the deduction saturates at the bound of i64.
    let dir = temp_dir();
    let path = dir.join("extreme.json");
    let json = r#"{"age": 30, "si_months": 36, "false_material_count": 9223372036854775807}"#;
    std::fs::write(&path, json).unwrap();
    let path = path.to_str().unwrap();
    let plan = jifen(&["plan", path]);
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert_eq!(plan.status.code(), Some(0), "{}", String::from_utf8_lossy(&plan.stderr));
    assert!(stdout.contains("— 9223372036854775807 short."), "{stdout}");
    let rows = dir.join("people.jsonl");
    std::fs::write(&rows, format!("{json}\n")).unwrap();
    let diff = jifen(&[
        "diff",
        "policies/2024.policy",
        "policies/2025.policy",
        "--applicants",
        rows.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(diff.status.code(), Some(0), "{}", String::from_utf8_lossy(&diff.stderr));
    let report: serde_json::Value = serde_json::from_slice(&diff.stdout).unwrap();
    assert_eq!(report["summary"]["same"], 1, "{report}");
}

#[test]
fn points_saturate_symmetrically_at_plus_or_minus_i64_max() {
    // −150 × (2^63 − 1) false-material records is far below i64::MIN: the item, its section
    // and the deductions saturate at −9223372036854775807, never −9223372036854775808 (the docs
    // promise ±9223372036854775807). The total is that plus age 30 and si_years 3 × 3 = 9.
    let policy = policy();
    let json = r#"{"age": 30, "si_months": 36, "false_material_count": 9223372036854775807}"#;
    let applicant = policy.applicant_from_json(json).unwrap();
    let outcome = policy.evaluate(&applicant).unwrap();
    let item = outcome.items.iter().find(|i| i.id == "false_material").unwrap();
    assert_eq!((item.points, item.raw_points), (-i64::MAX, -i64::MAX));
    assert_eq!(outcome.sections.iter().find(|s| s.id == "deduction").unwrap().points, -i64::MAX);
    assert_eq!(outcome.total, -i64::MAX + 39);
    assert_eq!(policy.scorer().evaluate(&applicant).unwrap(), outcome);

    // Whole-number arithmetic that lands on i64::MIN exactly (0 − n − 1) saturates too, in the
    // reference and in the scorer; a second such item keeps the section at −i64::MAX.
    let text = "policy sat \"饱和\" {\n    year 2025\n    effective 2025-01-01\n    standard 120\n}\n\
        input {\n    n: int 0.. \"n\"\n}\n\
        section minus \"减\" deduction {\n    item a \"a\" {\n        0 - n - 1\n    }\n    item b \"b\" {\n        0 - n\n    }\n}\n";
    let ruleset = jifen::compile("sat.policy", text).unwrap();
    let applicant = ruleset.applicant_from_json(r#"{"n": 9223372036854775807}"#).unwrap();
    let outcome = ruleset.evaluate(&applicant).unwrap();
    assert_eq!(outcome.items.iter().map(|i| i.points).collect::<Vec<_>>(), [-i64::MAX, -i64::MAX]);
    assert_eq!((outcome.sections[0].points, outcome.total), (-i64::MAX, -i64::MAX));
    assert_eq!(ruleset.scorer().evaluate(&applicant).unwrap(), outcome);
    let mut scores = jifen::Scores::default();
    ruleset.scorer().score(&applicant, &mut scores).unwrap();
    assert_eq!(scores.total, -i64::MAX);
}

// ---------------------------------------------------------------- batch rows

/// `batch` of `input` (`jsonl` or `csv`) to CSV on standard output.
fn batch_csv(input: &[u8], format: &str, skip_invalid: bool) -> Output {
    let dir = temp_dir();
    let path = dir.join("people.in");
    std::fs::write(&path, input).unwrap();
    let path = path.to_str().unwrap();
    let mut args = vec!["batch", "--output-format", "csv", "--input-format", format, path];
    if skip_invalid {
        args.push("--skip-invalid");
    }
    jifen(&args)
}

#[test]
fn every_rows_id_is_written_whatever_the_first_row_has() {
    // The first row has no id: its cell is empty, and the later rows keep theirs (they were
    // dropped when the column was decided from the first row alone).
    let rows = "{\"age\": 30, \"si_months\": 6}\n{\"id\": \"b\", \"age\": 30, \"si_months\": 6}\n{\"id\": 7, \"age\": 30, \"si_months\": 6}\n";
    let out = batch_csv(rows.as_bytes(), "jsonl", false);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<&str> = stdout.lines().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, ["id", "", "b", "7"], "{stdout}");
}

#[test]
fn an_id_that_is_not_a_string_or_a_whole_number_is_an_error_naming_the_row() {
    for (id, found) in
        [("{\"x\": 1}", "an object"), ("[1]", "an array"), ("true", "a boolean"), ("1.5", "the number 1.5")]
    {
        let rows = format!("{{\"age\": 30, \"si_months\": 6}}\n{{\"id\": {id}, \"age\": 30, \"si_months\": 6}}\n");
        let out = batch_csv(rows.as_bytes(), "jsonl", false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "line 2: key `id` must be a string or a whole number (it names the row), found {found}"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn a_duplicated_id_is_a_duplicated_key_not_an_unknown_one() {
    let e = jifen::internals::population::RawRow::json(1, r#"{"id": 1, "id": 2, "age": 30, "si_months": 6}"#.into())
        .parse(&policy())
        .unwrap_err();
    assert_eq!(e, ApplicantError::DuplicateKey { key: "id".into() });
    let out = batch_csv(b"{\"id\": 1, \"age\": 30, \"id\": 2, \"si_months\": 6}\n", "jsonl", false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 1: key `id` is given twice"), "{stderr}");
}

#[test]
fn a_csv_column_named_twice_is_an_error_naming_it() {
    // The second `age` silently replaced the first.
    let out = batch_csv(b"age,si_months,age\n30,6,31\n", "csv", false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("line 1: the CSV header names `age` twice (columns 1 and 3)"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_row_that_is_not_utf8_is_skipped_with_skip_invalid() {
    // JSON lines and CSV: the row of line 2 is skipped and reported; lines 1 and 3 are scored
    // (ages 30 and 32: 30 points each, si_years 0).
    for (input, format) in [
        (&b"{\"age\": 30, \"si_months\": 6}\n{\"age\": 31, \"si_months\": \"\xff\"}\n{\"age\": 32, \"si_months\": 6}\n"[..], "jsonl"),
        (&b"age,si_months\n30,6\n31,\xff\n32,6\n"[..], "csv"),
    ] {
        let out = batch_csv(input, format, true);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3, "{format}: header and two rows");
        let line = if format == "csv" { 3 } else { 2 };
        assert!(stderr.contains("not valid UTF-8") && stderr.contains(&format!("first at line {line}")), "{stderr}");
        // Without --skip-invalid it stops there, naming the line, and nothing is written.
        let out = batch_csv(input, format, false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(stderr.contains(&format!("line {line}: the row is not valid UTF-8")), "{stderr}");
        assert!(stderr.contains("nothing was written") && out.stdout.is_empty(), "{stderr}");
    }
}

#[test]
fn a_row_longer_than_a_mebibyte_is_an_invalid_row_naming_its_line() {
    let long = format!("{{\"id\": \"{}\", \"age\": 30, \"si_months\": 6}}", "x".repeat(1 << 20));
    let rows = format!("{{\"age\": 30, \"si_months\": 6}}\n{long}\n{{\"age\": 31, \"si_months\": 6}}\n");
    let out = batch_csv(rows.as_bytes(), "jsonl", true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the row is longer than 1048576 bytes (first at line 2)"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    let out = batch_csv(rows.as_bytes(), "jsonl", false);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: the row is longer than 1048576 bytes"));
}

#[test]
fn a_failed_batch_says_truly_what_it_wrote_to_standard_output() {
    // A bad first row: not even the CSV header is written (it was, before "no output was written").
    let out = batch_csv(b"{\"age\": 3, \"si_months\": 6}\n", "jsonl", false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(out.stdout.is_empty() && stderr.contains("nothing was written"), "{stderr}");
    // A bad row after the first chunk (16384 rows): those rows' results are out already, and
    // the message says so.
    let good = "{\"age\": 30, \"si_months\": 6}\n".repeat(16_384);
    let out = batch_csv(format!("{good}{{\"age\": 3, \"si_months\": 6}}\n").as_bytes(), "jsonl", false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 16_385);
    assert!(
        stderr.contains(
            "the CSV header and the results of the first 16384 row(s) were already written to standard output"
        ),
        "{stderr}"
    );
}

// ---------------------------------------------------------------- helpers

fn jifen(args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(ROOT).env("NO_COLOR", "1").stdin(Stdio::null()).output().unwrap()
}

/// Names of the entries of a folder, hidden ones included, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    names.sort();
    names
}

/// A fresh folder under the system's temporary folder.
fn temp_dir() -> PathBuf {
    crate::common::temp_dir("hostile")
}

/// Standard error closed early (`jifen check … 2>&1 | head`) with half a megabyte of
/// diagnostics still to write: the rest is dropped and the run ends with its own exit code
/// (1: the check failed), not an abort from a panic while printing (exit 134 before).
#[test]
fn a_closed_standard_error_drops_the_rest_of_the_messages_without_a_crash() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("jifen-closed-stderr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let items: String = (0..1500)
        .map(|i| format!("    item a{i} \"项{i}\" {{\n        when nope{i} >= 1 => 1\n        else => 0\n    }}\n"))
        .collect();
    let policy = format!(
        "policy t \"t\" {{\n    year 2025\n    effective 2025-07-01\n    standard 10\n}}\n\
         input {{\n    n: int 0..=3 \"n\"\n}}\nsection s \"s\" {{\n{items}}}\n"
    );
    std::fs::write(dir.join("many.policy"), policy).unwrap();
    let mut child = Command::new(BIN)
        .args(["check", "many.policy"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stderr.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe's reading end is dropped here: every later write fails.
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
