//! A points system of another city written in the language (`examples/other_city.policy`):
//! a birth date, periods of social insurance at different bases, fractional points, a
//! certificate date, a group cap, an output and a quota, all in one policy. Its own tests
//! (worked by hand in the file) pass, and a generated population is ranked.

use crate::common::{BIN, ROOT};
use std::process::Command;

fn jifen(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).current_dir(ROOT).env("NO_COLOR", "1").output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_other_city_checks_clean_and_its_tests_pass() {
    let (code, out, err) = jifen(&["check", "--deny-warnings", "examples/other_city.policy"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = jifen(&["test", "--min-coverage", "0", "examples/other_city.policy"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 passed, 0 failed"), "{out}");
}

/// Scored as the file's first test worked it: 55.67 points, with the output and group.
#[test]
fn the_other_city_scores_in_hundredths() {
    let applicant = r#"{"birth": "1990-07-01", "education": "bachelor",
        "periods": [{"start": "2020-01-01", "months": 24, "base": 8000}, {"start": "2022-01-01", "months": 24, "base": 30000}],
        "cert_date": "2025-09-01", "inventors": 3, "patent": true}"#;
    let dir = std::env::temp_dir().join(format!("jifen-other-city-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("a.json");
    std::fs::write(&file, applicant).expect("written");
    let (code, out, err) = jifen(&[
        "score",
        "--policy",
        "examples/other_city.policy",
        "--format",
        "json",
        file.to_str().expect("utf-8 path"),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["total"].to_string(), "55.67");
    assert_eq!(v["outputs"]["months_to_cap"], 72);
}

/// 2,000 generated applicants (dates and rows drawn by gen) are ranked against the quota of
/// 100 with everyone tied at the line admitted; every row gets a line.
#[test]
fn a_generated_population_of_the_other_city_is_ranked() {
    let dir = std::env::temp_dir().join(format!("jifen-other-city-rank-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (pop, ranked) = (dir.join("pop.jsonl"), dir.join("ranked.csv"));
    let (code, _, err) = jifen(&[
        "gen",
        "--policy",
        "examples/other_city.policy",
        "--count",
        "2000",
        "--seed",
        "7",
        "-o",
        pop.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = jifen(&[
        "rank",
        "--policy",
        "examples/other_city.policy",
        pop.to_str().expect("utf-8 path"),
        "-o",
        ranked.to_str().expect("utf-8 path"),
    ]);
    let rows = std::fs::read_to_string(&ranked).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("quota 100:"), "{out}{err}");
    assert_eq!(rows.lines().count(), 2001, "a header and one line per applicant");
    let admitted = rows.lines().filter(|l| l.contains(",yes,")).count();
    assert!(admitted >= 100, "at least the quota is admitted when enough are ranked: {admitted}");
}

/// A diff between two years that count points in hundredths speaks in hundredths: the
/// 0.25 a month of social insurance becomes 0.5 (cap 30 unchanged); an applicant with 24
/// months goes from 6.00 to 12.00 points on that item (+6.00), in the band +1…+9.
#[test]
fn a_diff_of_fractional_policies_counts_in_hundredths() {
    let dir = std::env::temp_dir().join(format!("jifen-other-city-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let policy = std::fs::read_to_string(format!("{ROOT}/examples/other_city.policy")).expect("example");
    let next = policy.replace("0.25 per month of si_months", "0.5 per month of si_months");
    let (old, new, people) = (dir.join("old.policy"), dir.join("new.policy"), dir.join("p.jsonl"));
    std::fs::write(&old, &policy).expect("written");
    std::fs::write(&new, next).expect("written");
    std::fs::write(
        &people,
        r#"{"id": "a", "birth": "1990-07-01", "periods": [{"start": "2020-01-01", "months": 24, "base": 8000}]}"#,
    )
    .expect("written");
    let path = |p: &std::path::Path| p.to_str().expect("utf-8 path").to_string();
    let (code, out, err) =
        jifen(&["diff", &path(&old), &path(&new), "--applicants", &path(&people), "--format", "json"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let driver = &v["summary"]["drivers"][0];
    assert_eq!(driver["item"], "social_insurance");
    assert_eq!(driver["total_change"].to_string(), "6.00");
    let band = v["summary"]["bands"].as_array().expect("bands").iter().find(|b| b["band"] == "+1…+9").cloned();
    assert_eq!(band.expect("band")["applicants"], 1);
}
