//! `rank { … }` and `jifen rank`: a hand-worked population ranked by the fixture policies
//! in tests/rank/good, with and without `admit ties`, through the library and the CLI;
//! CSV, JSON lines and an .xlsx read back by Python's openpyxl (skipped, saying so, when
//! it is not installed).

use crate::common::{text, BIN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn jifen(args: &[&str], dir: &Path, stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run jifen");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or("").as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("jifen ends")
}

fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir =
        std::env::temp_dir().join(format!("jifen-rank-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn policy(name: &str) -> String {
    root().join("tests/rank/good").join(name).display().to_string()
}

/// Ten applicants. The policy (quota.policy): total = score; standard 100; ranked by total,
/// then si_months (more first), then age (younger first); quota 4.
///
/// | id | total | si | age | standing            | key order                        |
/// |----|-------|----|-----|---------------------|----------------------------------|
/// | a  | 130   | 100| 30  | ranked              | 1st alone: rank 1                |
/// | b  | 120   | 120| 35  | ranked              | b, c, j share a key: rank 3      |
/// | c  | 120   | 120| 35  | ranked              | rank 3                           |
/// | d  | 120   | 120| 28  | ranked              | younger than b, c, j: rank 2     |
/// | e  | 120   | 90 | 25  | ranked              | fewer months: after the three, 6 |
/// | f  | 110   | 60 | 40  | ranked              | rank 7                           |
/// | g  | 150   |    |     | ineligible (permit) | not ranked                       |
/// | h  | 160   |    |     | vetoed (fraud)      | not ranked                       |
/// | i  | 90    |    |     | below standard 100  | not ranked                       |
/// | j  | 120   | 120| 35  | ranked              | rank 3                           |
///
/// Sorted: a, d, b, c, j, e, f. The quota-th (4th) is c: the line is (120, 120, 35), and
/// b, c, j are tied at it (3). Without `admit ties`: a, d, b, c admitted (input order puts j
/// after b and c), j is left out. With `admit ties`: j too, 5 admitted.
const POPULATION: &str = include_str!("../rank/population.jsonl");

const RANKED: &str = "line,id,total,rank,admitted,not_ranked,si_months,age
1,a,130,1,yes,,100,30
2,b,120,3,yes,,120,35
3,c,120,3,yes,,120,35
4,d,120,2,yes,,120,28
5,e,120,6,no,,90,25
6,f,110,7,no,,60,40
7,g,150,,no,ineligible,200,30
8,h,160,,no,vetoed,200,30
9,i,90,,no,below the standard,200,30
10,j,120,3,no,,120,35
";

#[test]
fn a_quota_admits_exactly_its_number_and_names_the_tie_at_the_line() {
    let dir = temp_dir();
    std::fs::write(dir.join("people.jsonl"), POPULATION).expect("write");
    let out = jifen(&["rank", "--policy", &policy("quota.policy"), "people.jsonl", "-o", "ranked.csv"], &dir, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("ranked.csv")).expect("output"), RANKED);
    // Written to a file: the cut line goes to standard output.
    assert_eq!(
        text(&out.stdout),
        "quota 4: 4 admitted (3 tied at the line: total 120, si_months 120 months, age 35 years; \
         1 of them not admitted, by input order); cut line total 120; \
         7 ranked of 10 (1 ineligible, 1 vetoed, 1 below the standard)\n"
    );
}

#[test]
fn admit_ties_admits_everyone_at_the_line_and_stdin_keeps_ids() {
    let dir = temp_dir();
    let out = jifen(
        &["--format", "json", "rank", "--policy", &policy("quota_ties.policy"), "--output-format", "csv", "-"],
        &dir,
        Some(POPULATION),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Only j changes: it shares the line's key, so it is admitted too.
    assert_eq!(text(&out.stdout), RANKED.replace("10,j,120,3,no,", "10,j,120,3,yes,"));
    let summary: serde_json::Value = serde_json::from_str(text(&out.stderr).trim()).expect("json summary");
    assert_eq!(summary["admitted"], 5);
    assert_eq!(summary["tied_at_line"], 3);
    assert_eq!(summary["tied_left_out"], 0);
    assert_eq!(summary["line"], serde_json::json!({"total": 120, "si_months": 120, "age": 35}));
}

#[test]
fn json_lines_out_and_a_bad_row_named() {
    let dir = temp_dir();
    std::fs::write(dir.join("people.jsonl"), POPULATION).expect("write");
    let out = jifen(&["rank", "--policy", &policy("quota.policy"), "people.jsonl"], &dir, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let first = text(&out.stdout).lines().next().map(str::to_string).unwrap_or_default();
    assert_eq!(
        first,
        r#"{"line":1,"id":"a","total":130,"rank":1,"admitted":true,"not_ranked":null,"si_months":100,"age":30}"#
    );
    // Line 3 has an age out of range: the run stops naming the line and the key.
    let bad = POPULATION.replace(
        r#""id":"c","score":120,"si_months":120,"age":35"#,
        r#""id":"c","score":120,"si_months":120,"age":99"#,
    );
    std::fs::write(dir.join("bad.jsonl"), bad).expect("write");
    let out = jifen(&["rank", "--policy", &policy("quota.policy"), "bad.jsonl", "-o", "out.csv"], &dir, None);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("line 3") && err.contains("age"), "{err}");
    assert!(!dir.join("out.csv").exists(), "no output is left behind");
}

#[test]
fn a_policy_without_a_ranking_is_refused() {
    let dir = temp_dir();
    std::fs::write(dir.join("people.jsonl"), "{}\n").expect("write");
    let out = jifen(&["rank", "people.jsonl"], &dir, None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("declares no ranking"), "{}", text(&out.stderr));
}

#[test]
fn an_xlsx_population_ranks_into_a_workbook_openpyxl_reads() {
    let probe = Command::new("python3").args(["-c", "import openpyxl"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: Python's openpyxl is not installed (pip install openpyxl)");
        return;
    }
    let dir = temp_dir();
    std::fs::write(dir.join("people.jsonl"), POPULATION).expect("write");
    // The workbook in: jifen's own CSV of the population, written by openpyxl.
    let write = r#"
import json, openpyxl
wb = openpyxl.Workbook(); ws = wb.active
keys = ["id", "score", "si_months", "age", "has_permit", "fraud"]
ws.append(keys)
for line in open("people.jsonl"):
    row = json.loads(line)
    ws.append([row.get(k) for k in keys])
wb.save("people.xlsx")
"#;
    let py = Command::new("python3").args(["-c", write]).current_dir(&dir).output().expect("python");
    assert!(py.status.success(), "{}", text(&py.stderr));
    let out = jifen(&["rank", "--policy", &policy("quota.policy"), "people.xlsx", "-o", "ranked.xlsx"], &dir, None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let read = r#"
import openpyxl
ws = openpyxl.load_workbook("ranked.xlsx").worksheets[0]
for row in ws.iter_rows(values_only=True):
    print(','.join('' if v is None else str(v) for v in row))
"#;
    let py = Command::new("python3").args(["-c", read]).current_dir(&dir).output().expect("python");
    assert!(py.status.success(), "{}", text(&py.stderr));
    // The same cells as the CSV; the line is the sheet's row (the header is row 1).
    let expected: String = RANKED
        .lines()
        .enumerate()
        .map(|(k, l)| match k {
            0 => format!("{l}\n"),
            _ => {
                let (line, rest) = l.split_once(',').unwrap_or_default();
                format!("{},{rest}\n", line.parse::<usize>().unwrap_or(0) + 1)
            }
        })
        .collect();
    assert_eq!(text(&py.stdout), expected);
}
