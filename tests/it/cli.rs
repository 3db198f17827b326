//! End-to-end tests of the `jifen` command as a user runs it: the built binary, real files,
//! exit codes, stdout and stderr.
//!
//! Every expected score is worked by hand from the indicator table
//! (`rules/indicators.md` §2 and §5.1) and the decisions of the applicant contract
//! (`applicant.md`); the arithmetic is written next to each value. The yearly parameters
//! used: average wage 12307 yuan (2024) and 12434 yuan (2025), so the tiers are
//! 0.8× = 9845.6 / 9947.2, 1× = 12307 / 12434, 2× = 24614 / 24868, 3× = 36921 / 37302;
//! 临港 counted from 3 years (2024) and from 1 year (2025).

use crate::common::{BIN, ITEM_IDS, ROOT};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

// ------------------------------------------------------------------ helpers

/// What one run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    fn assert_code(&self, code: i32, what: &str) -> &Self {
        assert_eq!(self.code, code, "{what}: exit code\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

/// Run `jifen ARGS` from the crate root, with `NO_COLOR=1`.
fn jifen(args: &[&str]) -> Run {
    jifen_stdin(args, None)
}

/// Run `jifen ARGS` from the crate root with `stdin` as standard input.
fn jifen_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the jifen binary runs");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    assert!(!run.stderr.contains("panicked"), "jifen {args:?} panicked:\n{}", run.stderr);
    assert_ne!(run.code, 70, "jifen {args:?}: internal error\n{}", run.stderr);
    run
}

/// A fresh folder under the system temp dir, unique per test and per run; removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "jifen-cli-{name}-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Write `text` to `name` and return the path as a string for the command line.
    fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&p, text).unwrap();
        s(&p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn s(p: &Path) -> String {
    p.to_str().expect("temp paths are UTF-8").to_string()
}

fn root(rel: &str) -> String {
    s(&Path::new(ROOT).join(rel))
}

/// Score an applicant given as JSON text through `jifen score --format json -` (stdin),
/// with an optional `--policy`.
fn score_stdin(applicant: &str, policy: Option<&str>) -> Value {
    let mut args = vec!["score", "--format", "json"];
    if let Some(p) = policy {
        args.extend(["--policy", p]);
    }
    args.push("-");
    let run = jifen_stdin(&args, Some(applicant));
    run.assert_code(0, &format!("score {applicant}"));
    run.json()
}

fn total(v: &Value) -> i64 {
    v["total"].as_i64().unwrap_or_else(|| panic!("no integer `total` in {v}"))
}

fn item_points(v: &Value) -> BTreeMap<String, i64> {
    v["items"]
        .as_array()
        .expect("items is an array")
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i["points"].as_i64().unwrap()))
        .collect()
}

/// A minimal policy with one unknown name (`agee`, line 11, column 14).
const BAD_POLICY: &str = r#"policy p "P" {
    year      2024
    effective 2024-01-01
    standard  120
}
input {
    age: int 16..=70 "年龄"
}
section basic "基础" {
    item age "年龄" {
        when agee > 60 => 0
        else => 30
    }
}
"#;

/// A minimal policy that compiles with one warning: `unused_flag` is never read (W0106).
/// The standard is 30 so that it is reachable (age gives 30 below 61).
const WARN_POLICY: &str = r#"policy p "P" {
    year      2024
    effective 2024-01-01
    standard  30
}
input {
    age: int 16..=70 "年龄"
    unused_flag: bool = false "未使用"
}
section basic "基础" {
    item age "年龄" {
        when age > 60 => 0
        else => 30
    }
}
"#;

// ------------------------------------------------------------------ 1. check

#[test]
fn check_bundled_policies_pass() {
    let run = jifen(&["check", "policies/2024.policy", "policies/2025.policy"]);
    run.assert_code(0, "check 2024 + 2025");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains("E0"), "no error codes expected:\n{all}");

    // CI runs it with --deny-warnings on the folder: the bundled files have no warnings.
    jifen(&["check", "--deny-warnings", "policies/"]).assert_code(0, "check --deny-warnings policies/");
}

#[test]
fn check_unknown_name_reports_e0201_with_location_and_help() {
    let tmp = TempDir::new("check-e0201");
    let file = tmp.write("bad.policy", BAD_POLICY);

    let run = jifen(&["check", &file]);
    run.assert_code(1, "check of a policy with an unknown name");
    assert!(run.stderr.contains("E0201"), "code E0201 in stderr:\n{}", run.stderr);
    assert!(run.stderr.contains(&format!("{file}:11:14")), "file:line:col in stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("help:"), "a help line in stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("agee"), "names the unknown name:\n{}", run.stderr);
    assert!(run.stderr.contains("`age`"), "suggests `age`:\n{}", run.stderr);

    // --format json: an array (one entry per file) whose diagnostics carry code/line/column.
    let run = jifen(&["check", "--format", "json", &file]);
    run.assert_code(1, "check --format json");
    let v = run.json();
    let files = v.as_array().expect("a JSON array");
    let diags: Vec<Value> =
        files.iter().flat_map(|f| f["diagnostics"].as_array().cloned().unwrap_or_default()).collect();
    let e = diags.iter().find(|d| d["code"] == "E0201").unwrap_or_else(|| panic!("no E0201 in {v}"));
    assert_eq!(e["line"].as_u64(), Some(11), "{e}");
    assert_eq!(e["column"].as_u64(), Some(14), "{e}");
    assert_eq!(e["severity"], "error");

    // --format github: workflow annotations.
    let run = jifen(&["check", "--format", "github", &file]);
    run.assert_code(1, "check --format github");
    let lines: Vec<&str> = run.stdout.lines().chain(run.stderr.lines()).collect();
    let err = lines
        .iter()
        .find(|l| l.starts_with("::error file="))
        .unwrap_or_else(|| panic!("an ::error annotation:\n{lines:#?}"));
    assert!(err.contains("line=11") && err.contains("col=14") && err.contains("E0201"), "{err}");
}

#[test]
fn check_missing_file_exits_4_naming_it() {
    let tmp = TempDir::new("check-missing");
    let missing = s(&tmp.path("no-such.policy"));
    let run = jifen(&["check", &missing]);
    run.assert_code(4, "check of a missing file (4: not readable, as for every verb)");
    assert!(run.stderr.contains(&missing), "stderr names the file:\n{}", run.stderr);
}

#[test]
fn check_deny_warnings_fails_on_a_warning() {
    let tmp = TempDir::new("check-warn");
    let file = tmp.write("warn.policy", WARN_POLICY);

    let run = jifen(&["check", &file]);
    run.assert_code(0, "a warning alone does not fail");
    assert!(run.stderr.contains("W0106"), "{}", run.stderr);
    assert!(run.stderr.contains("unused_flag"), "{}", run.stderr);

    let run = jifen(&["check", "--deny-warnings", &file]);
    run.assert_code(1, "--deny-warnings with a warning");
    assert!(run.stderr.contains("W0106"), "{}", run.stderr);

    let run = jifen(&["check", "--deny-warnings", "--format", "json", &file]);
    run.assert_code(1, "--deny-warnings --format json");
    let v = run.json();
    let codes: Vec<&str> =
        v[0]["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["W0106"], "{v}");
}

// ------------------------------------------------------------------ 2. score

#[test]
fn score_example_applicant_human() {
    // examples/applicant.json is route R3: age 28 → 30; 本科 → 60; 36 months → 3 × 3 = 9;
    // base 13000 ≥ 1 × 12434 for 36 of 48 months → 50. 30 + 60 + 9 + 50 = 149.
    let run = jifen(&["score", "examples/applicant.json"]);
    run.assert_code(0, "score examples/applicant.json");
    let total_line = run.stdout.lines().find(|l| l.starts_with("total")).expect("a total line");
    assert_eq!(total_line.split_whitespace().collect::<Vec<_>>(), ["total", "149"], "{}", run.stdout);
    let meets = run.stdout.lines().find(|l| l.starts_with("meets_standard")).expect("a meets_standard line");
    assert_eq!(meets.split_whitespace().collect::<Vec<_>>(), ["meets_standard", "yes"]);
    assert!(run.stdout.contains("meets_standard  yes"), "{}", run.stdout);
}

#[test]
fn score_json_has_the_contract_fields() {
    let run = jifen(&["score", "--format", "json", "examples/applicant.json"]);
    run.assert_code(0, "score --format json");
    let v = run.json();
    let obj = v.as_object().expect("an object");
    for key in
        ["policy", "total", "standard", "eligible", "vetoed", "meets_standard", "items", "ineligible_reasons", "vetoes"]
    {
        assert!(obj.contains_key(key), "missing `{key}` in {v}");
    }
    assert_eq!(v["policy"]["id"], "shanghai_points");
    assert_eq!(v["policy"]["year"].as_i64(), Some(2025));
    // R3: 30 + 60 + 9 + 50 = 149 ≥ 120.
    assert_eq!(total(&v), 149);
    assert_eq!(v["standard"].as_i64(), Some(120));
    assert_eq!(v["eligible"], true);
    assert_eq!(v["vetoed"], false);
    assert_eq!(v["meets_standard"], true);
    assert_eq!(v["ineligible_reasons"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["vetoes"].as_array().map(Vec::len), Some(0));

    let items = v["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ITEM_IDS, "every item, in the policy's order");
    for i in items {
        assert!(i["label"].is_string(), "{i}");
        assert!(i["points"].is_i64(), "points is a JSON number: {i}");
    }
    let sections: Vec<&str> = items.iter().map(|i| i["section"].as_str().unwrap()).collect();
    let mut expected_sections = vec!["basic"; 4];
    expected_sections.extend(vec!["bonus"; 10]);
    expected_sections.extend(vec!["deduction"; 3]);
    assert_eq!(sections, expected_sections);
    assert_eq!(items[0]["label"], "年龄");

    let pts = item_points(&v);
    assert_eq!(pts["age"], 30);
    assert_eq!(pts["education"], 60);
    assert_eq!(pts["si_years"], 9);
    assert_eq!(pts["si_base"], 50);
    assert_eq!(pts.values().sum::<i64>(), 149, "items add up to the total");
}

#[test]
fn score_stdin_and_toml() {
    // stdin: R1: age 30 → 30; 本科+学士 → 90; 6 months → 0 years. 30 + 90 = 120.
    let run = jifen_stdin(
        &["score", "--format", "json", "-"],
        Some(r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#),
    );
    run.assert_code(0, "score -");
    let v = run.json();
    assert_eq!(total(&v), 120);
    assert_eq!(v["meets_standard"], true);

    // The same applicant as TOML on stdin (sniffed).
    let run = jifen_stdin(
        &["score", "--format", "json", "-"],
        Some("age = 30\nsi_months = 6\neducation = \"bachelor_with_degree\"\n"),
    );
    run.assert_code(0, "score - (TOML)");
    assert_eq!(total(&run.json()), 120);

    // examples/applicant.toml is R12: age 38 → 30; max(本科+学士 90, 中级职称 100 with 13000 ≥ 1×
    // 12434 for 6 of 12 months, and a 学历 that counts) = 100; 24 months → 2 × 3 = 6.
    // 30 + 100 + 6 = 136.
    let run = jifen(&["score", "--format", "json", "examples/applicant.toml"]);
    run.assert_code(0, "score applicant.toml");
    let v = run.json();
    assert_eq!(total(&v), 136);
    let pts = item_points(&v);
    assert_eq!((pts["title_skill"], pts["education"], pts["si_years"]), (100, 0, 6));

    let run = jifen(&["score", "examples/applicant.toml"]);
    run.assert_code(0, "score applicant.toml (human)");
    assert!(run.stdout.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["total", "136"]), "{}", run.stdout);
}

#[test]
fn score_lingang_2024_vs_2025() {
    // examples/lingang.json: age 30 → 30; 大专 → 50; 144 months → 12 × 3 = 36; 临港 2 years.
    // 2024: 临港 counted from 3 years, 2 < 3 → 0.    30 + 50 + 36 + 0 = 116, below 120.
    // 2025: counted from 1 year → 2 × 2 = 4.          30 + 50 + 36 + 4 = 120, meets 120.
    let run = jifen(&["score", "--format", "json", "--policy", "policies/2024.policy", "examples/lingang.json"]);
    run.assert_code(0, "score --policy 2024");
    let v24 = run.json();
    assert_eq!(v24["policy"]["year"].as_i64(), Some(2024));
    assert_eq!(total(&v24), 116);
    assert_eq!(item_points(&v24)["remote_area"], 0);
    assert_eq!(v24["meets_standard"], false);

    let run = jifen(&["score", "--format", "json", "examples/lingang.json"]);
    run.assert_code(0, "score (default 2025)");
    let v25 = run.json();
    assert_eq!(v25["policy"]["year"].as_i64(), Some(2025));
    assert_eq!(total(&v25), 120);
    assert_eq!(item_points(&v25)["remote_area"], 4);
    assert_eq!(v25["meets_standard"], true);

    // Naming the 2025 file explicitly gives the same as the bundled default.
    let run = jifen(&["score", "--format", "json", "--policy", "policies/2025.policy", "examples/lingang.json"]);
    run.assert_code(0, "score --policy 2025");
    assert_eq!(total(&run.json()), 120);

    // Human output of 2024.
    let run = jifen(&["score", "--policy", "policies/2024.policy", "examples/lingang.json"]);
    run.assert_code(0, "score --policy 2024 (human)");
    assert!(run.stdout.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["total", "116"]), "{}", run.stdout);
    assert!(run.stdout.contains("meets_standard  no"), "{}", run.stdout);
}

#[test]
fn score_explain_shows_arm_and_facts() {
    let run = jifen(&["score", "--explain", "examples/applicant.json"]);
    run.assert_code(0, "score --explain");
    assert!(run.stdout.contains("arm:"), "{}", run.stdout);
    assert!(run.stdout.contains("facts:"), "{}", run.stdout);
    // The facts read by the age item, and the arm taken by education.
    assert!(run.stdout.contains("age = 28"), "{}", run.stdout);
    assert!(run.stdout.lines().any(|l| l.trim() == "arm:    bachelor"), "{}", run.stdout);
}

#[test]
fn score_excluded_and_unmet_items_say_why() {
    // R11: age 45 → 5 + 2 × 11 = 27; 本科+学士 90 vs 高级职称 140 (13000 ≥ 1× for 6 of 12
    // months): 140 counts and education reports 0; 12 months → 3. 27 + 140 + 3 = 170.
    let v = score_stdin(
        r#"{"age": 45, "si_months": 12, "education": "bachelor_with_degree", "title_skill": "title_senior",
            "si_base_yuan": 13000, "si_base_months_12": 6}"#,
        None,
    );
    assert_eq!(total(&v), 170);
    let edu = &v["items"][1];
    assert_eq!(edu["id"], "education");
    assert_eq!(edu["points"].as_i64(), Some(0));
    assert!(edu["reason"].as_str().is_some_and(|r| !r.is_empty()), "the excluded item says why: {edu}");

    // Vetoed and not eligible: the total is still computed. age 45 → 27, 3 months → 0 years.
    let v = score_stdin(r#"{"age": 45, "si_months": 3, "has_residence_permit": false, "serious_crime": true}"#, None);
    assert_eq!(total(&v), 27);
    assert_eq!(v["eligible"], false);
    assert_eq!(v["vetoed"], true);
    assert_eq!(v["meets_standard"], false);
    assert_eq!(v["ineligible_reasons"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["vetoes"].as_array().map(Vec::len), Some(1), "{v}");
}

#[test]
fn score_invalid_applicants_exit_3_naming_the_key() {
    let tmp = TempDir::new("score-invalid");
    // (file contents, texts stderr must contain)
    let cases: &[(&str, &[&str])] = &[
        (r#"{"agee": 30, "si_months": 12}"#, &["`agee`", "`age`"]),
        (r#"{"age": "thirty", "si_months": 12}"#, &["`age`"]),
        (r#"{"age": 30, "si_months": 12, "has_residence_permit": "yes"}"#, &["`has_residence_permit`"]),
        (r#"{"age": 15, "si_months": 12}"#, &["`age`", "15"]),
        (r#"{"age": 71, "si_months": 12}"#, &["`age`", "71"]),
        (r#"{"age": 30, "si_months": -1}"#, &["`si_months`"]),
        (r#"{"age": 30, "si_months": 12, "si_base_months_48": 49}"#, &["`si_base_months_48`"]),
        (r#"{"age": 30, "si_months": 12, "education": "phd"}"#, &["`education`", "phd"]),
        (r#"{"age": 30}"#, &["`si_months`"]),
        (r#"{"age": 30, "si_months": 12,"#, &["line 1"]),
        (r#"{"age": 30, "si_months": 12}}"#, &["line 1 column 29"]),
    ];
    for (i, (text, needles)) in cases.iter().enumerate() {
        let file = tmp.write(&format!("a{i}.json"), text);
        let run = jifen(&["score", &file]);
        run.assert_code(3, text);
        assert!(run.stderr.contains(&file), "{text}: stderr names the file:\n{}", run.stderr);
        for n in *needles {
            assert!(run.stderr.contains(n), "{text}: stderr should contain {n}:\n{}", run.stderr);
        }
        assert!(run.stdout.is_empty(), "{text}: nothing on stdout:\n{}", run.stdout);
    }

    // The typo is suggested: "did you mean `age`?"
    let file = tmp.write("typo.json", r#"{"agee": 30, "si_months": 12}"#);
    let run = jifen(&["score", &file]);
    assert!(run.stderr.contains("did you mean `age`"), "{}", run.stderr);

    // TOML: a typo'd key and a wrong type.
    let file = tmp.write("typo.toml", "agee = 30\nsi_months = 6\n");
    let run = jifen(&["score", &file]);
    run.assert_code(3, "typo in TOML");
    assert!(run.stderr.contains("`agee`") && run.stderr.contains("`age`"), "{}", run.stderr);
    let file = tmp.write("type.toml", "age = \"30\"\nsi_months = 6\n");
    jifen(&["score", &file]).assert_code(3, "wrong type in TOML");
}

#[test]
fn score_missing_applicant_file_exits_4() {
    let tmp = TempDir::new("score-missing");
    let missing = s(&tmp.path("nobody.json"));
    let run = jifen(&["score", &missing]);
    run.assert_code(4, "score of a missing file");
    assert!(run.stderr.contains(&missing), "{}", run.stderr);
}

// ------------------------------------------------------------------ 3. every route of §5.1

/// The routes of §5.1, with applicant facts meeting the same tiers under both years' wages
/// (13000 ≥ 1× 12434 and 12307; 10500 ≥ 0.8× = 9947.2 and 9845.6, < 1×; 26000 ≥ 2× = 24868
/// and 24614, < 3×; 37302 = 3× 12434 ≥ 3× 12307), so each total is the same in 2024 and 2025.
const ROUTES: &[(&str, &str, i64, bool)] = &[
    // 30 (age 30) + 90 (本科+学士) + 0 (6 months) = 120
    ("R1", r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#, 120, true),
    // 30 (age 35) + 60 (本科) + 30 (10 years × 3), no base = 120
    ("R2", r#"{"age": 35, "si_months": 120, "education": "bachelor"}"#, 120, true),
    // 30 + 60 + 27 (9 years × 3) = 117
    ("R2'", r#"{"age": 35, "si_months": 108, "education": "bachelor"}"#, 117, false),
    // 30 (age 28) + 60 (本科) + 9 (3 years × 3) + 50 (13000 ≥ 1×, 36 of 48) = 149
    (
        "R3",
        r#"{"age": 28, "si_months": 36, "education": "bachelor", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12}"#,
        149,
        true,
    ),
    // 30 (age 28) + 60 (本科) + 9 (3 years × 3) + 25 (10500 ≥ 0.8×, 36 of 48) = 124
    (
        "R4",
        r#"{"age": 28, "si_months": 36, "education": "bachelor", "si_base_yuan": 10500, "si_base_months_48": 36}"#,
        124,
        true,
    ),
    // 30 (age 40) + 50 (大专) + 42 (14 years × 3) = 122
    ("R5", r#"{"age": 40, "si_months": 168, "education": "junior_college"}"#, 122, true),
    // 30 + 50 + 39 (13 years × 3) = 119
    ("R5'", r#"{"age": 40, "si_months": 156, "education": "junior_college"}"#, 119, false),
    // 30 (age 30) + 50 (大专) + 9 (3 years × 3) + 50 (13000 ≥ 1×) = 139
    (
        "R6",
        r#"{"age": 30, "si_months": 36, "education": "junior_college", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12}"#,
        139,
        true,
    ),
    // 30 (age 30) + 50 (大专) + 15 (5 years × 3) + 25 (10500 ≥ 0.8×) = 120
    (
        "R7",
        r#"{"age": 30, "si_months": 60, "education": "junior_college", "si_base_yuan": 10500, "si_base_months_48": 36}"#,
        120,
        true,
    ),
    // 30 + 50 + 12 (4 years × 3) + 25 = 117
    (
        "R7'",
        r#"{"age": 30, "si_months": 48, "education": "junior_college", "si_base_yuan": 10500, "si_base_months_48": 36}"#,
        117,
        false,
    ),
    // 30 (age 25) + 50 (全日制大专) + 12 (4 years × 3) + 30 (紧缺急需专业) = 122
    (
        "R8",
        r#"{"age": 25, "si_months": 48, "education": "junior_college", "education_full_time": true, "shortage_major": true}"#,
        122,
        true,
    ),
    // 30 + 50 + 9 (3 years × 3) + 30 = 119
    (
        "R8'",
        r#"{"age": 25, "si_months": 36, "education": "junior_college", "education_full_time": true, "shortage_major": true}"#,
        119,
        false,
    ),
    // 30 (age 35) + 0 (no 学历) + 9 (3 years × 3) + 100 (26000 ≥ 2×, 36 of 48) = 139
    ("R9", r#"{"age": 35, "si_months": 36, "si_base_yuan": 26000, "si_base_months_48": 36}"#, 139, true),
    // 30 (age 35) + 6 (2 years × 3) + 120 (37302 ≥ 3×, 24 of 36) = 156
    ("R10", r#"{"age": 35, "si_months": 24, "si_base_yuan": 37302, "si_base_months_36": 24}"#, 156, true),
    // 27 (age 45: 5 + 2 × 11) + max(50 大专, 140 高级职称: matches the post, 13000 ≥ 1× for
    // 6 of 12 months, and 大专 counts on its own as applicant.md requires) + 3 (1 year) = 170
    (
        "R11",
        r#"{"age": 45, "si_months": 12, "education": "junior_college", "title_skill": "title_senior", "title_matches_post": true, "si_base_yuan": 13000, "si_base_months_12": 6}"#,
        170,
        true,
    ),
    // 30 (age 38) + max(90 本科+学士, 100 中级职称, 1× precondition met) + 6 (2 years × 3) = 136
    (
        "R12",
        r#"{"age": 38, "si_months": 24, "education": "bachelor_with_degree", "title_skill": "title_intermediate", "si_base_yuan": 13000, "si_base_months_12": 6}"#,
        136,
        true,
    ),
    // 30 + max(90, 0: 12000 < 1× in both years) + 6 = 126
    (
        "R12'",
        r#"{"age": 38, "si_months": 24, "education": "bachelor_with_degree", "title_skill": "title_intermediate", "si_base_yuan": 12000, "si_base_months_12": 12}"#,
        126,
        true,
    ),
    // 30 + max(50 大专, 0: 12000 < 1×) + 6 = 86
    (
        "R12''",
        r#"{"age": 38, "si_months": 24, "education": "junior_college", "title_skill": "title_intermediate", "si_base_yuan": 12000, "si_base_months_12": 12}"#,
        86,
        false,
    ),
    // 30 (age 30) + 60 (三级, no base precondition) + 9 (3 years × 3) + 50 (13000 ≥ 1×) = 149
    (
        "R13",
        r#"{"age": 30, "si_months": 36, "title_skill": "skill_3", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12}"#,
        149,
        true,
    ),
    // 30 + 60 (三级) + 9 + 25 (10500 ≥ 0.8×) = 124
    (
        "R14",
        r#"{"age": 30, "si_months": 36, "title_skill": "skill_3", "si_base_yuan": 10500, "si_base_months_48": 36}"#,
        124,
        true,
    ),
    // 30 + 30 (四级) + 12 (4 years × 3) + 50 (13000 ≥ 1×) = 122
    (
        "R15",
        r#"{"age": 30, "si_months": 48, "title_skill": "skill_4", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12}"#,
        122,
        true,
    ),
    // 30 + 30 + 9 (3 years × 3) + 50 = 119
    (
        "R15'",
        r#"{"age": 30, "si_months": 36, "title_skill": "skill_4", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12}"#,
        119,
        false,
    ),
    // The table's R11 literally (高级职称 with no 学历): applicant.md requires a 学历 that
    // scores on its own for 中级/高级, so the title gives 0: 27 (age 45) + 0 + 3 (1 year) = 30.
    (
        "R11 without 学历",
        r#"{"age": 45, "si_months": 12, "title_skill": "title_senior", "si_base_yuan": 13000, "si_base_months_12": 6}"#,
        30,
        false,
    ),
];

#[test]
fn every_route_of_5_1_scores_the_tables_total() {
    let tmp = TempDir::new("routes");
    let mut failures = Vec::new();
    for (i, (name, facts, expected, meets)) in ROUTES.iter().enumerate() {
        let file = tmp.write(&format!("route{i}.json"), facts);
        for policy in [None, Some("policies/2024.policy"), Some("policies/2025.policy")] {
            let mut args = vec!["score", "--format", "json"];
            if let Some(p) = policy {
                args.extend(["--policy", p]);
            }
            args.push(&file);
            let run = jifen(&args);
            run.assert_code(0, name);
            let v = run.json();
            let got = total(&v);
            let got_meets = v["meets_standard"].as_bool().unwrap();
            if got != *expected || got_meets != *meets {
                failures.push(format!(
                    "{name} ({}): expected total {expected} meets {meets}, got {got} meets {got_meets}",
                    policy.unwrap_or("bundled")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "routes that disagree with §5.1:\n{}", failures.join("\n"));
}

// ------------------------------------------------------------------ 4. test

#[test]
fn test_verb_passes_on_bundled_policies() {
    let run = jifen(&["test", "policies/"]);
    run.assert_code(0, "test policies/");
    assert!(run.stdout.contains("passed, 0 failed"), "{}", run.stdout);
    assert!(!run.stdout.contains("FAILED"), "{}", run.stdout);

    let run = jifen(&["test", "--format", "junit", "policies/"]);
    run.assert_code(0, "test --format junit");
    assert!(run.stdout.starts_with("<?xml"), "{}", run.stdout);
    assert!(run.stdout.contains("<testsuite"), "{}", run.stdout);
    assert!(!run.stdout.contains("<failure"), "{}", run.stdout);

    // --filter runs only the matching tests: R1 is in 2024 and inherited by 2025.
    let run = jifen(&["test", "--filter", "R1 ", "policies/2024.policy"]);
    run.assert_code(0, "test --filter");
    assert!(run.stdout.contains("1 passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn test_verb_reports_a_broken_number() {
    let tmp = TempDir::new("test-broken");
    let src24 = fs::read_to_string(root("policies/2024.policy")).unwrap();
    let src25 = fs::read_to_string(root("policies/2025.policy")).unwrap();
    assert_eq!(src24.matches("junior_college       => 50").count(), 1);
    let broken = src24.replace("junior_college       => 50", "junior_college       => 55");
    tmp.write("pol/2024.policy", &broken);
    tmp.write("pol/2025.policy", &src25);
    let dir = s(&tmp.path("pol"));

    let run = jifen(&["test", &dir]);
    run.assert_code(1, "test with a broken 2024 copy");
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("FAILED"), "{out}");
    // R5: 30 (age 40) + 55 (the broken 大专) + 42 (14 years × 3) = 127, not 122.
    assert!(out.contains("R5 专科+年龄+社保14年 = 122"), "the test's name:\n{out}");
    assert!(out.contains("expected"), "{out}");
    assert!(out.contains("expected 122, got 127"), "{out}");
    assert!(out.contains("item education"), "{out}");
    assert!(out.contains("expected 50, got 55"), "{out}");
    assert!(!out.contains(" 0 failed"), "{out}");

    let run = jifen(&["test", "--format", "junit", &dir]);
    run.assert_code(1, "junit with failures");
    assert!(run.stdout.contains("<testsuite"), "{}", run.stdout);
    assert!(run.stdout.contains("<failure"), "{}", run.stdout);

    // The unbroken copies pass: extends "2024" resolves to the copy next to 2025.policy.
    tmp.write("pol/2024.policy", &src24);
    let run = jifen(&["test", &dir]);
    run.assert_code(0, "test on restored copies");
    assert!(run.stdout.contains("passed, 0 failed"), "{}", run.stdout);
}

#[test]
fn test_verb_on_a_policy_that_does_not_compile_exits_2() {
    let tmp = TempDir::new("test-bad");
    let file = tmp.write("bad.policy", BAD_POLICY);
    let run = jifen(&["test", &file]);
    run.assert_code(2, "test of a non-compiling policy");
    assert!(run.stderr.contains("E0201"), "{}", run.stderr);

    let missing = s(&tmp.path("none.policy"));
    jifen(&["test", &missing]).assert_code(4, "test of a missing file");
}

// ------------------------------------------------------------------ 5. gen and batch

#[test]
fn gen_is_deterministic_and_batch_agrees_with_score() {
    let tmp = TempDir::new("gen-batch");
    let a = jifen(&["gen", "--count", "200", "--seed", "5"]);
    a.assert_code(0, "gen");
    let b = jifen(&["gen", "--count", "200", "--seed", "5"]);
    assert_eq!(a.stdout, b.stdout, "same seed, same applicants");
    let c = jifen(&["gen", "--count", "200", "--seed", "6"]);
    assert_ne!(a.stdout, c.stdout, "another seed, other applicants");

    let lines: Vec<&str> = a.stdout.lines().collect();
    assert_eq!(lines.len(), 200);
    let people: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("gen line {} is not JSON ({e}): {l}", i + 1)))
        .collect();
    assert!(people.iter().all(Value::is_object));

    let pop = tmp.write("pop.jsonl", &a.stdout);
    let out = s(&tmp.path("scores.csv"));
    jifen(&["batch", &pop, "-o", &out]).assert_code(0, "batch to CSV");
    let csv = fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 201, "a header and 200 rows");
    let header: Vec<&str> = rows[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no {name} column"));
    let (c_total, c_meets) = (col("total"), col("meets_standard"));
    for id in ITEM_IDS {
        col(id);
    }

    // Score each applicant on its own. `gen` writes an `id` that batch takes as the row id;
    // `score` takes only the policy's inputs, so the id is dropped first.
    let mut mismatches = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let mut facts = person.as_object().unwrap().clone();
        facts.remove("id");
        let file = tmp.write(&format!("p/{i}.json"), &serde_json::to_string(&facts).unwrap());
        let run = jifen(&["score", "--format", "json", &file]);
        run.assert_code(0, &format!("score of gen line {}", i + 1));
        let v = run.json();
        let cells: Vec<&str> = rows[i + 1].split(',').collect();
        let batch_total: i64 = cells[c_total].parse().unwrap();
        let batch_meets = cells[c_meets] == "true";
        if batch_total != total(&v) || batch_meets != v["meets_standard"].as_bool().unwrap() {
            mismatches.push(format!("line {}: batch {} / score {}", i + 1, rows[i + 1], v["total"]));
        }
        // Item columns too.
        let pts = item_points(&v);
        for id in ITEM_IDS {
            let cell: i64 = cells[col(id)].parse().unwrap();
            if cell != pts[id] {
                mismatches.push(format!("line {}: item {id} batch {cell} / score {}", i + 1, pts[id]));
            }
        }
    }
    assert!(mismatches.is_empty(), "batch and score disagree:\n{}", mismatches.join("\n"));

    // JSON lines out: one score object per applicant, in input order, with its input line.
    let run = jifen(&["batch", &pop]);
    run.assert_code(0, "batch to stdout");
    let out_lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(out_lines.len(), 200);
    for (i, v) in out_lines.iter().enumerate() {
        assert_eq!(v["line"].as_u64(), Some(i as u64 + 1), "{v}");
        let csv_total: i64 = rows[i + 1].split(',').nth(c_total).unwrap().parse().unwrap();
        assert_eq!(total(v), csv_total, "line {}", i + 1);
    }
}

#[test]
fn batch_hand_worked_rows_via_stdin() {
    // R1 (120), R5 (30 + 50 + 42 = 122), R2' (30 + 60 + 27 = 117).
    let input = [ROUTES[0].1, ROUTES[5].1, ROUTES[2].1].join("\n") + "\n";
    let run = jifen_stdin(&["batch", "--input-format", "jsonl", "--output-format", "csv", "-"], Some(&input));
    run.assert_code(0, "batch - (stdin)");
    // From JSON lines the id column is always there (empty here: the rows have no id).
    let totals: Vec<&str> = run.stdout.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(totals, ["120", "122", "117"], "{}", run.stdout);
    assert!(run.stdout.starts_with("id,total,eligible,vetoed,meets_standard,age,"), "{}", run.stdout);
}

/// JSON lines out are scored and written in batches of 2,048 rows within a chunk: across
/// batch and chunk boundaries every row comes out once, in input order, with its line, and
/// the same total as CSV out gives it. 20,000 rows: one full chunk of 16,384 (eight
/// batches), then 3,616 (two batches, the second of 1,568).
#[test]
fn batch_json_lines_keep_every_row_in_order_across_batches() {
    let rows = jifen(&["gen", "--count", "20000", "--seed", "11"]);
    rows.assert_code(0, "gen");
    let json = jifen_stdin(&["batch", "--input-format", "jsonl", "-"], Some(&rows.stdout));
    json.assert_code(0, "batch to JSON lines");
    let csv = jifen_stdin(&["batch", "--input-format", "jsonl", "--output-format", "csv", "-"], Some(&rows.stdout));
    csv.assert_code(0, "batch to CSV");
    let objects: Vec<Value> = json.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON object")).collect();
    assert_eq!(objects.len(), 20_000);
    let csv_totals: Vec<&str> = csv.stdout.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(csv_totals.len(), 20_000);
    for (k, (object, csv_total)) in objects.iter().zip(&csv_totals).enumerate() {
        assert_eq!(object["line"], k + 1, "row {} out of order", k + 1);
        assert_eq!(object["total"].to_string(), *csv_total, "row {}", k + 1);
    }
}

#[test]
fn batch_bad_row_stops_and_leaves_no_output() {
    let tmp = TempDir::new("batch-bad");
    // line 1: R1 = 120; line 2: bad; line 3: R5 = 30 + 50 + 42 = 122.
    let input = format!("{}\n{}\n{}\n", ROUTES[0].1, r#"{"age": "x", "si_months": 12}"#, ROUTES[5].1);
    let file = tmp.write("people.jsonl", &input);
    let out_dir = tmp.path("out");
    fs::create_dir_all(&out_dir).unwrap();

    for target in ["scores.jsonl", "scores.csv"] {
        let out = s(&out_dir.join(target));
        let run = jifen(&["batch", &file, "-o", &out]);
        run.assert_code(3, "batch with a bad row");
        assert!(run.stderr.contains("line 2"), "{}", run.stderr);
        assert!(run.stderr.contains("`age`"), "{}", run.stderr);
        assert!(!Path::new(&out).exists(), "{out} must not exist after a failed run");
        let left: Vec<_> = fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.is_empty(), "nothing left in the output folder: {left:?}");
    }

    // An existing output is not clobbered by a failed run.
    let out = s(&out_dir.join("keep.csv"));
    fs::write(&out, "old contents\n").unwrap();
    jifen(&["batch", &file, "-o", &out]).assert_code(3, "batch over an existing file");
    assert_eq!(fs::read_to_string(&out).unwrap(), "old contents\n");
    fs::remove_file(&out).unwrap();

    // --skip-invalid: the two good rows only, and the skip is reported.
    let out = s(&out_dir.join("scores.csv"));
    let run = jifen(&["batch", "--skip-invalid", &file, "-o", &out]);
    run.assert_code(0, "batch --skip-invalid");
    assert!(run.stderr.contains("line 2"), "the skipped row is reported:\n{}", run.stderr);
    let csv = fs::read_to_string(&out).unwrap();
    let totals: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
    assert_eq!(totals, ["120", "122"], "{csv}");

    let out = s(&out_dir.join("scores.jsonl"));
    jifen(&["batch", "--skip-invalid", &file, "-o", &out]).assert_code(0, "batch --skip-invalid to JSONL");
    let lines: Vec<Value> =
        fs::read_to_string(&out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().map(total).collect::<Vec<_>>(), [120, 122]);
    assert_eq!(lines.iter().map(|v| v["line"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 3]);
}

#[test]
fn batch_csv_input_with_id_column() {
    let tmp = TempDir::new("batch-csv");
    // alice: R1, 30 + 90 = 120. bob: 30 (age 40) + 50 (大专) + 42 (14 years × 3) + 25 (10500 ≥ 0.8×,
    // 36 of 48) = 147. carol: empty cells take the defaults: 30 (age 30) + 0 = 30, 5 months: not eligible.
    let csv = "id,age,si_months,education,si_base_yuan,si_base_months_48\n\
               alice,30,6,bachelor_with_degree,,\n\
               bob,40,168,junior_college,10500,36\n\
               carol,30,5,,,\n";
    let file = tmp.write("people.csv", csv);
    let out = s(&tmp.path("scores.csv"));
    jifen(&["batch", &file, "-o", &out]).assert_code(0, "batch CSV in");
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("id,total,eligible,vetoed,meets_standard,age,"), "{text}");
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[0][..5], ["alice", "120", "true", "false", "true"]);
    assert_eq!(rows[1][..5], ["bob", "147", "true", "false", "true"]);
    assert_eq!(rows[2][..5], ["carol", "30", "false", "false", "false"]);

    // A row with missing columns: exit 3 naming its line (line 3: header, alice, then bob).
    let short = tmp.write("short.csv", "id,age,si_months,education\nalice,30,6,bachelor_with_degree\nbob,40\n");
    let out = s(&tmp.path("short-out.csv"));
    let run = jifen(&["batch", &short, "-o", &out]);
    run.assert_code(3, "batch CSV with a short row");
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
    assert!(!Path::new(&out).exists());

    // A CSV with an unknown column is refused, naming the column.
    let typo = tmp.write("typo.csv", "id,agee,si_months\nx,30,6\n");
    let run = jifen(&["batch", &typo, "--output-format", "csv"]);
    run.assert_code(3, "batch CSV with an unknown column");
    assert!(run.stderr.contains("agee"), "{}", run.stderr);
}

#[test]
fn batch_missing_input_exits_4() {
    let tmp = TempDir::new("batch-missing");
    let missing = s(&tmp.path("none.jsonl"));
    let run = jifen(&["batch", &missing]);
    run.assert_code(4, "batch of a missing file");
    assert!(run.stderr.contains(&missing), "{}", run.stderr);
}

// ------------------------------------------------------------------ 6. diff

#[test]
fn diff_2024_2025_lists_the_two_parameter_changes() {
    let run = jifen(&["diff", "policies/2024.policy", "policies/2025.policy"]);
    run.assert_code(0, "diff 2024 2025");
    let out = &run.stdout;
    assert!(out.contains("2 rule change(s)"), "{out}");
    assert!(out.contains("average_wage") && out.contains("12307") && out.contains("12434"), "{out}");
    assert!(out.contains("lingang_counting_years") && out.contains("3 years"), "{out}");
    // Nothing else changed: exactly two entries.
    let entries = out.lines().filter(|l| l.trim_start().starts_with('~') || l.trim_start().starts_with('+')).count();
    let removed = out.lines().filter(|l| l.trim_start().starts_with("- ")).count();
    assert_eq!((entries, removed), (2, 0), "{out}");

    let run = jifen(&["diff", "--format", "json", "policies/2024.policy", "policies/2025.policy"]);
    run.assert_code(0, "diff --format json");
    let v = run.json();
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{v}");
    let by_id: BTreeMap<&str, &Value> = changes.iter().map(|c| (c["id"].as_str().unwrap(), c)).collect();
    let wage = by_id["average_wage"];
    assert!(wage["old"].as_str().unwrap().contains("12307") && wage["new"].as_str().unwrap().contains("12434"));
    let lingang = by_id["lingang_counting_years"];
    assert!(lingang["old"].as_str().unwrap().starts_with('3') && lingang["new"].as_str().unwrap().starts_with('1'));
    assert_eq!((v["old"]["year"].as_i64(), v["new"]["year"].as_i64()), (Some(2024), Some(2025)));
}

#[test]
fn diff_against_a_reformatted_copy_is_empty() {
    let tmp = TempDir::new("diff-reformat");
    let src = fs::read_to_string(root("policies/2024.policy")).unwrap();
    // Reformat: other indentation, runs of spaces collapsed outside lines with strings or
    // doc comments, a blank line after every line, and plain comments sprinkled in.
    let mut out = String::new();
    for (i, line) in src.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("///") || t.contains('"') {
            out.push_str("      ");
            out.push_str(t);
        } else {
            out.push_str("  ");
            out.push_str(&t.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        out.push_str("\n\n");
        if i % 7 == 3 && !t.starts_with("///") {
            out.push_str("    // a reformatting comment\n");
        }
    }
    assert_ne!(out, src);
    let copy = tmp.write("2024.policy", &out);
    jifen(&["check", &copy]).assert_code(0, "the reformatted copy compiles");

    let run = jifen(&["diff", "policies/2024.policy", &copy]);
    run.assert_code(0, "diff against a reformatted copy");
    assert!(run.stdout.contains("The rules are the same."), "{}", run.stdout);
    let run = jifen(&["diff", "--format", "json", "policies/2024.policy", &copy]);
    assert_eq!(run.json()["changes"].as_array().map(Vec::len), Some(0));

    // ...and a one-number change is found: 大专 50 → 55.
    let broken = tmp.write("broken.policy", &src.replace("junior_college       => 50", "junior_college       => 55"));
    let run = jifen(&["diff", "policies/2024.policy", &broken]);
    run.assert_code(0, "diff against a changed copy");
    assert!(run.stdout.contains("1 rule change(s)"), "{}", run.stdout);
    assert!(run.stdout.contains("item education"), "{}", run.stdout);
}

#[test]
fn diff_applicants_summary_is_hand_worked() {
    let tmp = TempDir::new("diff-applicants");
    // Hand-worked 2024 → 2025:
    // lingang2:  30 (age 30) + 50 (大专) + 36 (12 years × 3) + 临港 2 years: 0 in 2024 (< 3),
    //            4 in 2025 (from 1 year) → 116 → 120: gain +4, newly meets the standard.
    // base12400: 30 + 50 (大专) + 12 (4 years × 3) + si_base: 12400 ≥ 1× 12307 → 50 in 2024;
    //            12400 < 1× 12434 but ≥ 0.8× 9947.2 → 25 in 2025 → 142 → 117: lose −25, no
    //            longer meets.
    // base37000: 30 (age 35) + 9 (3 years × 3) + si_base: 37000 ≥ 3× 36921 with 24 of 36 → 120
    //            in 2024; 37000 < 3× 37302, ≥ 2× 24868 with 36 of 48 → 100 in 2025
    //            → 159 → 139: lose −20, meets in both.
    // r1:  30 + 90 = 120 both years. r5: 30 + 50 + 42 = 122 both. r3: 30 + 60 + 9 + 50 (13000
    //      ≥ 1× in both, < 2×) = 149 both.
    // Summary: 6 applicants, 1 gain, 2 lose, 3 same, 1 newly meet, 1 no longer meet.
    // Drivers: remote_area 1 applicant +4; si_base 2 applicants −25 − 20 = −45.
    let pop = [
        r#"{"id": "lingang2", "age": 30, "si_months": 144, "education": "junior_college", "remote_area": "lingang", "remote_area_years": 2}"#,
        r#"{"id": "base12400", "age": 30, "si_months": 48, "education": "junior_college", "si_base_yuan": 12400, "si_base_months_48": 36}"#,
        r#"{"id": "base37000", "age": 35, "si_months": 36, "si_base_yuan": 37000, "si_base_months_36": 24, "si_base_months_48": 36}"#,
        r#"{"id": "r1", "age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#,
        r#"{"id": "r5", "age": 40, "si_months": 168, "education": "junior_college"}"#,
        r#"{"id": "r3", "age": 28, "si_months": 36, "education": "bachelor", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12}"#,
    ]
    .join("\n")
        + "\n";
    let file = tmp.write("six.jsonl", &pop);

    let run =
        jifen(&["diff", "--format", "json", "--applicants", &file, "policies/2024.policy", "policies/2025.policy"]);
    run.assert_code(0, "diff --applicants");
    let v = run.json();
    let sum = &v["summary"];
    let count = |k: &str| sum[k].as_i64().unwrap_or_else(|| panic!("no {k} in {sum}"));
    assert_eq!(count("applicants"), 6, "{sum}");
    assert_eq!(count("gain"), 1, "{sum}");
    assert_eq!(count("lose"), 2, "{sum}");
    assert_eq!(count("same"), 3, "{sum}");
    assert_eq!(count("newly_meet_standard"), 1, "{sum}");
    assert_eq!(count("no_longer_meet_standard"), 1, "{sum}");

    let drivers: BTreeMap<&str, (i64, i64)> = sum["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["item"].as_str().unwrap(), (d["applicants"].as_i64().unwrap(), d["total_change"].as_i64().unwrap()))
        })
        .collect();
    let expected: BTreeMap<&str, (i64, i64)> = [("remote_area", (1, 4)), ("si_base", (2, -45))].into();
    assert_eq!(drivers, expected, "{sum}");

    // The per-applicant CSV: old and new totals worked above.
    let run =
        jifen(&["diff", "--format", "csv", "--applicants", &file, "policies/2024.policy", "policies/2025.policy"]);
    run.assert_code(0, "diff --format csv");
    let rows: Vec<Vec<&str>> = run.stdout.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let got: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2])).collect();
    assert_eq!(
        got,
        [
            ("lingang2", "116", "120"),
            ("base12400", "142", "117"),
            ("base37000", "159", "139"),
            ("r1", "120", "120"),
            ("r5", "122", "122"),
            ("r3", "149", "149"),
        ],
        "{}",
        run.stdout
    );

    // A bad row in the population: exit 3 naming the line.
    let bad = tmp.write("bad.jsonl", &format!("{}\n{}\n", ROUTES[0].1, r#"{"age": "x", "si_months": 12}"#));
    let run = jifen(&["diff", "--applicants", &bad, "policies/2024.policy", "policies/2025.policy"]);
    run.assert_code(3, "diff --applicants with a bad row");
    assert!(run.stderr.contains("line 2") && run.stderr.contains("`age`"), "{}", run.stderr);
}

// ------------------------------------------------------------------ regressions
// Problems found while writing the tests above, fixed since.

/// `jifen score --format json examples/applicant.json | head -1` once panicked with
/// "failed printing to stdout: Broken pipe" (exit 101); it must exit quietly.
#[test]
fn closed_stdout_does_not_panic() {
    let mut child = Command::new(BIN)
        .args(["score", "--format", "json", "examples/applicant.json"])
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

/// An unknown key with no close match gets the help "the policy's inputs are listed by
/// `jifen inputs`", but there is no `inputs` verb (`jifen inputs` exits 2).
#[test]
fn unknown_key_help_names_an_existing_verb() {
    let run = jifen_stdin(&["score", "-"], Some(r#"{"age": 30, "si_months": 12, "foo": 1}"#));
    run.assert_code(3, "unknown key foo");
    if run.stderr.contains("jifen inputs") {
        jifen(&["inputs"]).assert_code(0, "the verb named by the help exists");
    }
}
