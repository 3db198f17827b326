//! `jifen diff` as a briefing between two years whose inputs differ, and `jifen gen` as a
//! population drawn from a documented model. Expected values are worked by hand beside
//! each assertion.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_jifen");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self, what: &str) -> Run {
        assert_eq!(self.code, 0, "{what}\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }
}

fn jifen(args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(ROOT)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A folder under the system's temporary folder, removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "jifen-briefing-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A small parent policy: age 30 or 10, education 0/60/80, an old bonus of 5.
const PARENT: &str = r#"policy mini "迷你积分" {
    year      2024
    effective 2024-01-01
    standard  100
}

enum Edu {
    none     "无"
    bachelor "本科"
    master   "硕士"
}

input {
    age:       int 16..=70      "年龄"
    edu:       Edu = none       "学历"
    old_bonus: bool = false     "旧加分"
}

section basic "基础" {
    item age "年龄" {
        when age <= 35 => 30
        else => 10
    }
    item edu "学历" {
        match edu {
            none     => 0
            bachelor => 60
            master   => 80
        }
    }
    item old_bonus "旧加分" {
        when old_bonus => 5
        else => 0
    }
}
"#;

/// Its child: the old bonus and its input are gone, a certificate worth 20 is new.
const CHILD: &str = r#"policy mini "迷你积分" extends "old" {
    year      2025
    effective 2025-01-01
}

remove item old_bonus
remove input old_bonus

input {
    cert: bool = false "证书"
}

section basic {
    item cert "证书" {
        when cert => 20
        else => 0
    }
}
"#;

fn pair(tmp: &TempDir) -> (String, String) {
    (tmp.write("old.policy", PARENT), tmp.write("new.policy", CHILD))
}

#[test]
fn each_year_reads_the_facts_it_knows_and_the_report_counts_new_inputs_not_given() {
    let tmp = TempDir::new("schema");
    let (old, new) = pair(&tmp);
    jifen(&["check", &old, &new]).ok("the pair compiles");
    // a: old 30 + 60 + 5 (old_bonus) = 95; new 30 + 60 (old_bonus unknown, ignored) = 90: −5.
    // b: old 10 + 80 = 90; new 10 + 80 = 90 (cert absent → false): 0.
    // c: old 30 + 80 = 110 (cert unknown to 2024, ignored); new 30 + 80 + 20 = 130: +20.
    // cert is not given by a and b: 2 of 3 = 66.7 %.
    let people = tmp.write(
        "people.jsonl",
        concat!(
            r#"{"id": "a", "age": 30, "edu": "bachelor", "old_bonus": true}"#,
            "\n",
            r#"{"id": "b", "age": 40, "edu": "master"}"#,
            "\n",
            r#"{"id": "c", "age": 30, "edu": "master", "cert": true}"#,
            "\n"
        ),
    );
    let run = jifen(&["diff", "--format", "csv", "--applicants", &people, &old, &new]).ok("diff csv");
    let rows: Vec<Vec<&str>> = run.stdout.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let got: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2])).collect();
    assert_eq!(got, [("a", "95", "90"), ("b", "90", "90"), ("c", "110", "130")], "{}", run.stdout);

    let run = jifen(&["diff", "--format", "json", "--applicants", &people, &old, &new]).ok("diff json");
    let v = run.json();
    let not_given = &v["summary"]["not_given"];
    assert_eq!(not_given.as_array().map(Vec::len), Some(1), "only cert is new: {not_given}");
    assert_eq!(not_given[0]["input"], "cert");
    assert_eq!(not_given[0]["applicants"], 2);
    assert_eq!(not_given[0]["percent"].to_string(), "66.7");

    let run = jifen(&["diff", "--applicants", &people, &old, &new]).ok("diff human");
    assert!(run.stdout.contains("cert: not given for 66.7 %"), "{}", run.stdout);

    // Nobody gives cert: its effect cannot be measured, and the report says so.
    let without = tmp.write("without.jsonl", "{\"age\": 30}\n{\"age\": 50}\n");
    let run = jifen(&["diff", "--applicants", &without, &old, &new]).ok("diff without cert");
    assert!(run.stdout.contains("cert: not given for 100 % — the new item's effect is not measured"), "{}", run.stdout);
}

#[test]
fn a_fact_neither_year_knows_is_still_an_error_naming_the_line() {
    let tmp = TempDir::new("unknown");
    let (old, new) = pair(&tmp);
    let people = tmp.write("people.jsonl", "{\"age\": 30}\n{\"age\": 30, \"nosuch\": 1}\n");
    let run = jifen(&["diff", "--applicants", &people, &old, &new]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("line 2") && run.stderr.contains("`nosuch`"), "{}", run.stderr);
    // A fact only the old year knows is still checked against its declaration there.
    let people = tmp.write("typed.jsonl", "{\"age\": 30, \"old_bonus\": 3}\n");
    let run = jifen(&["diff", "--applicants", &people, &old, &new]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("`old_bonus`"), "{}", run.stderr);
}
