//! `jifen diff` as a briefing between two years whose inputs differ, and `jifen gen` as a
//! population drawn from a documented model. Expected values are worked by hand beside
//! each assertion.

use crate::common::{BIN, ROOT};
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

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
    title:     bool = false     "职称"
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
    item title "职称" {
        when title => 70
        else => 0
    }
    best_of edu_or_title "学历与职称二选一" { edu, title }
}
"#;

/// Its child: the old bonus and its input are gone, a certificate worth 20 is new, and the
/// title is worth 100 instead of 70.
const CHILD: &str = r#"policy mini "迷你积分" extends "old" {
    year      2025
    effective 2025-01-01
}

remove item old_bonus
remove input old_bonus

override item title "职称" {
    when title => 100
    else => 0
}

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

#[test]
fn the_briefing_gives_bands_examples_breakdowns_and_direct_and_knock_on_drivers() {
    let tmp = TempDir::new("briefing");
    let (old, new) = pair(&tmp);
    // a: 95 → 90 (−5, old_bonus gone). b: 90 → 90. c: 110 → 130 (+20, cert).
    // d: old 30 + max(edu 80, title 70) = 110, edu counts; new title 100 beats edu 80:
    //    30 + 100 = 130 (+20): title +100 (its rule changed: direct), edu −80 (its rule is
    //    the same, it lost the best_of group: knock-on).
    let people = tmp.write(
        "people.jsonl",
        concat!(
            r#"{"id": "a", "age": 30, "edu": "bachelor", "old_bonus": true}"#,
            "\n",
            r#"{"id": "b", "age": 40, "edu": "master"}"#,
            "\n",
            r#"{"id": "c", "age": 30, "edu": "master", "cert": true}"#,
            "\n",
            r#"{"id": "d", "age": 30, "edu": "master", "title": true}"#,
            "\n"
        ),
    );
    let run = jifen(&["diff", "--format", "json", "--by", "edu", "--applicants", &people, &old, &new]).ok("json");
    let v = run.json();
    let s = &v["summary"];
    // Bands: a in −9…−1, b in 0, c and d in +10…+49; the others empty.
    let bands: Vec<(String, u64, Vec<String>)> = s["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let ex = b["examples"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect();
            (b["band"].as_str().unwrap().to_string(), b["applicants"].as_u64().unwrap(), ex)
        })
        .collect();
    let ex = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        bands,
        vec![
            ("≤ -50".to_string(), 0, ex(&[])),
            ("-49…-10".to_string(), 0, ex(&[])),
            ("-9…-1".to_string(), 1, ex(&["a"])),
            ("0".to_string(), 1, ex(&["b"])),
            ("+1…+9".to_string(), 0, ex(&[])),
            ("+10…+49".to_string(), 2, ex(&["c", "d"])),
            ("≥ +50".to_string(), 0, ex(&[])),
        ]
    );
    // Drivers, largest absolute effect first: title +100, edu −80, cert +20, old_bonus −5.
    let drivers: Vec<(String, String, i64)> = s["drivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["item"].as_str().unwrap().into(),
                d["kind"].as_str().unwrap().into(),
                d["total_change"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, i64)> =
        [("title", "direct", 100), ("edu", "knock_on", -80), ("cert", "direct", 20), ("old_bonus", "direct", -5)]
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
            .collect();
    assert_eq!(drivers, expected);
    // By edu (enum order): bachelor a (−5) → mean −5; master b, c, d (0 + 20 + 20) → 40 / 3 = 13.33.
    assert_eq!(s["by"]["fact"], "edu");
    let groups = s["by"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_eq!((groups[0]["value"].as_str(), groups[0]["applicants"].as_u64()), (Some("bachelor"), Some(1)));
    assert_eq!(groups[0]["mean_change"].to_string(), "-5");
    assert_eq!((groups[1]["value"].as_str(), groups[1]["applicants"].as_u64()), (Some("master"), Some(3)));
    assert_eq!(groups[1]["mean_change"].to_string(), "13.33");
    // Rule changes: the title's (effect 100) first; an added input carries its declaration
    // (`cert: bool = false`) and no null or empty noise.
    let changes = v["changes"].as_array().unwrap();
    assert_eq!(changes[0]["id"], "title", "{changes:?}");
    let added = changes.iter().find(|c| c["kind"] == "added" && c["what"] == "input").expect("cert added");
    assert_eq!(added["new"], "bool = false", "{added}");
    assert!(added.get("old").is_none() && added.get("affects").is_none(), "{added}");

    // By distance of the old total from the standard (100): b 90 → −10; a 95 → −5; c, d 110 → +10.
    let run = jifen(&["diff", "--by", "standard", "--applicants", &people, &old, &new]).ok("by standard");
    let out = &run.stdout;
    assert!(out.contains("by old total − standard:"), "{out}");
    for line in
        ["-49…-10                       1      0      0  +0", "-9…-1                         1      0      1  -5"]
    {
        assert!(out.contains(line), "{line:?} in\n{out}");
    }
    assert!(out.contains("+10…+49                       2      2      0  +20"), "{out}");
    assert!(out.contains("edu                      knock-on"), "{out}");

    // A number is not a breakdown; an unknown fact is named.
    let run = jifen(&["diff", "--by", "age", "--applicants", &people, &old, &new]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`age` is a number"), "{}", run.stderr);
    let run = jifen(&["diff", "--by", "nosuch", "--applicants", &people, &old, &new]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`nosuch`"), "{}", run.stderr);
}

#[test]
fn a_band_keeps_its_first_three_applicants_in_input_order() {
    let tmp = TempDir::new("examples");
    let (old, new) = pair(&tmp);
    // Five applicants without ids, each +20 (cert): named by line, the first three kept.
    let rows: String = (0..5).map(|_| "{\"age\": 30, \"cert\": true}\n").collect();
    let people = tmp.write("five.jsonl", &rows);
    let run = jifen(&["diff", "--format", "json", "--applicants", &people, &old, &new]).ok("json");
    let band = &run.json()["summary"]["bands"][5];
    assert_eq!(band["applicants"], 5);
    assert_eq!(band["examples"], serde_json::json!(["line 1", "line 2", "line 3"]));
}

#[test]
fn gen_draws_a_plausible_deterministic_synthetic_population() {
    let a = jifen(&["gen", "--count", "5000", "--seed", "9"]).ok("gen");
    let b = jifen(&["gen", "--count", "5000", "--seed", "9"]).ok("gen again");
    assert_eq!(a.stdout, b.stdout, "same seed, same rows");
    let rows: Vec<Value> = a.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows[0]["id"], "synthetic-000001");
    let n = |f: &dyn Fn(&Value) -> bool| rows.iter().filter(|r| f(r)).count();
    let int = |r: &Value, k: &str| r[k].as_i64().unwrap_or(0);
    // Constraints hold for every row: insurance within working years, base months within it.
    assert_eq!(n(&|r| int(r, "si_months") > (int(r, "age") - 16) * 12), 0);
    assert_eq!(n(&|r| int(r, "si_base_months_48") > int(r, "si_months")), 0);
    // Rare facts stay rare: the model gives 1–2 per mille, so well under 1 % of 5000 (50).
    for flag in ["serious_crime", "family_planning_violation", "startup_talent", "innovation_intermediary"] {
        assert!(n(&|r| r[flag] == true) < 50, "{flag}: {}", n(&|r| r[flag] == true));
    }
}

#[test]
fn gen_reads_a_model_file_and_names_its_mistakes() {
    let tmp = TempDir::new("model");
    // Everyone 30, all with a doctorate, half of them 创业人才.
    let model = tmp.write(
        "m.toml",
        "[age]\nranges = [[30, 30, 1]]\n[education]\nvalues = { doctor = 1 }\n[startup_talent]\nper_mille = 500\n",
    );
    let run = jifen(&["gen", "--count", "400", "--model", &model]).ok("gen --model");
    let rows: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(rows.iter().all(|r| r["age"] == 30 && r["education"] == "doctor"));
    let talent = rows.iter().filter(|r| r["startup_talent"] == true).count();
    assert!((120..=280).contains(&talent), "about half of 400: {talent}");
    for (text, says) in [
        ("[agee]\nranges = [[30, 30, 1]]\n", "did you mean `age`?"),
        ("[education]\nvalues = { phd = 1 }\n", "`phd` is not a variant"),
        ("[age]\nranges = [[40, 30, 1]]\n", "from ≤ to"),
        ("[serious_crime]\nper_mille = 2000\n", "0 to 1000"),
    ] {
        let bad = tmp.write("bad.toml", text);
        let run = jifen(&["gen", "--model", &bad]);
        assert_eq!(run.code, 2, "{text}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{text}: {}", run.stderr);
    }
}

/// Every kind of change a year brings is one line in policy words: units on constants
/// (`6 months`), one line per precondition added or removed (not the whole list twice), an
/// added variant by name and label, a removed input with its declaration, and a changed `let`
/// seen in the rule of the item that reads it (`young` is `age <= 35` → `age <= 40`).
#[test]
fn each_change_of_a_year_is_one_line_in_policy_words() {
    let run = jifen(&["diff", "tests/extends/good/_year_base.policy", "tests/extends/good/year_changes.policy"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = [
        "10 rule change(s):",
        "  ~ input age (declaration): int 16..=60 → int 16..=65",
        "  ~ input age (label): 年龄 → 申请人年龄",
        "  - input innovation: was bool = false",
        "  + variant Area.north_south: \"南北转型区域\"",
        "  ~ item age_points (label): 年龄 → 年龄积分",
        "  ~ item age_points (rule): when age <= 35 => 30 else => 10 → when age <= 40 => 30 else => 10",
        "  ~ item age_points (cap): none → 25",
        "  + item age_points (precondition): si_months >= 6 months \"需缴纳社保满6个月\"",
        "  - item age_points (precondition): was age >= 18 \"需年满18周岁\"",
        "  - item innovation_points: was in section basic; when innovation => 30 else => 0",
    ];
    let lines: Vec<&str> = run.stdout.lines().skip(2).take(expected.len()).collect();
    assert_eq!(lines, expected, "{}", run.stdout);
}

/// Without a population, diff names who changes from the two rule sets alone. 2024 → 2025
/// changes only the average wage (12307 → 12434 yuan) and the 临港 counting years (3 → 1):
/// - si_base (2025.policy tiers at 0.8×, 1×, 2×, 3× the wage, with months conditions):
///   0.8 × 12307 = 9845.6 and 0.8 × 12434 = 9947.2, so a base in [9845.6, 9947.2) with 36 of 48
///   months loses its 25; [12307, 12434) drops from the 1× tier (50) to 0.8× (25); and
///   [24614, 24868) from 2× (100) to 1× (50) — each an exact region, as the issue asks.
/// - remote_area: 临港 with 1 year now counts (2 per year → 2), 2 years → 4; 3 or more counted
///   in both years. The input has no upper bound, so the result is flagged as a sample.
/// - In the year fixture, `innovation_points` is removed: `innovation` true loses its 30.
#[test]
fn without_a_population_diff_names_the_regions_whose_points_change() {
    let run = jifen(&["diff", "policies/2024.policy", "policies/2025.policy"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "  si_base: si_base_months_48 ≥ 36 months and si_base_yuan in [9845.6, 9947.2) yuan: 25 → 0",
        "  si_base: si_base_months_48 ≥ 36 months and si_base_yuan in [12307, 12434) yuan: 50 → 25",
        "  si_base: si_base_months_48 ≥ 36 months and si_base_yuan in [24614, 24868) yuan: 100 → 50",
        "  remote_area: remote_area = lingang and remote_area_years = 1 year: 0 → 2",
        "  remote_area: remote_area = lingang and remote_area_years = 2 years: 0 → 4",
    ] {
        assert!(run.stdout.lines().any(|l| l == line), "{line:?} in\n{}", run.stdout);
    }
    let json = jifen(&["diff", "--format", "json", "policies/2024.policy", "policies/2025.policy"]).json();
    let regions = json["regions"].as_array().expect("regions");
    let si_base = regions.iter().find(|r| r["item"] == "si_base").expect("si_base");
    assert_eq!(si_base["exact"], true);
    let remote = regions.iter().find(|r| r["item"] == "remote_area").expect("remote_area");
    assert_eq!(remote["exact"], false, "no upper bound on remote_area_years: a sample");
    // Items whose rules did not change are not listed.
    assert!(regions.iter().all(|r| r["item"] != "age" && r["item"] != "education"), "{regions:?}");

    let run = jifen(&["diff", "tests/extends/good/_year_base.policy", "tests/extends/good/year_changes.policy"]);
    for line in [
        "  innovation_points: innovation: 30 → 0",
        "  age_points: age in (35, 40] and has_permit and si_months ≥ 6 months: 10 → 25",
    ] {
        assert!(run.stdout.lines().any(|l| l == line), "{line:?} in\n{}", run.stdout);
    }
}

/// `diff --applicants` reads a workbook as `batch` does: 20 generated applicants in an
/// `.xlsx` are each scored under both years.
#[test]
fn the_briefing_reads_an_excel_workbook() {
    let tmp = TempDir::new("xlsx");
    let book = tmp.0.join("people.xlsx");
    let book = book.to_str().expect("utf-8 path");
    let gen = jifen(&["gen", "--count", "20", "--seed", "5", "-o", book]);
    assert_eq!(gen.code, 0, "{}", gen.stderr);
    let v = jifen(&["diff", "policies/2024.policy", "policies/2025.policy", "--applicants", book, "--format", "json"])
        .json();
    assert_eq!(v["summary"]["applicants"], 20, "{v}");
    assert_eq!(v["summary"]["population"], book);
}

/// An item reading a list has no exact regions: diff falls back to a sample of 2000
/// applicants drawn by `jifen gen`'s model of the new year (seed 1) and says it is a sample.
/// tests/briefing/list_2025.policy → list_2026.policy moves high_base's threshold on the sum
/// of high-base months (base ≥ 2 × 12000 = 24000 yuan) from 24 to 36 months: exactly the
/// sampled applicants whose sum is 24..=35 go from 10 to 0, and nobody goes up. Counted here
/// independently from `jifen gen --count 2000 --seed 1` (the same rows).
#[test]
fn an_item_reading_a_list_is_sampled_and_said_to_be_a_sample() {
    let (old, new) = ("tests/briefing/list_2025.policy", "tests/briefing/list_2026.policy");
    let gen = jifen(&["gen", "--policy", new, "--count", "2000", "--seed", "1"]).ok("gen");
    let high_months = |row: &Value| -> i64 {
        let periods = row["periods"].as_array().cloned().unwrap_or_default();
        periods
            .iter()
            .filter(|p| p["base"].as_i64().unwrap_or(0) >= 24_000)
            .map(|p| p["months"].as_i64().unwrap())
            .sum()
    };
    let rows: Vec<Value> = gen.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let expected: Vec<String> = rows
        .iter()
        .filter(|r| (24..36).contains(&high_months(r)))
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty(), "some of the 2000 sum 24..35 high-base months");

    let v = jifen(&["diff", "--format", "json", old, new]).ok("diff json").json();
    let regions = v["regions"].as_array().expect("regions");
    let high = regions.iter().find(|r| r["item"] == "high_base").expect("high_base");
    assert_eq!(high["exact"], false);
    assert!(high["note"].as_str().unwrap().contains("reads the rows of `periods`"), "{high}");
    let sample = &high["sample"];
    assert_eq!(sample["applicants"], 2000);
    assert_eq!(sample["seed"], 1);
    assert_eq!(sample["changed"].as_u64(), Some(expected.len() as u64), "{sample}");
    // One change only, 10 → 0: nobody goes up.
    assert_eq!((sample["up"].as_u64(), sample["down"].as_u64()), (Some(0), Some(expected.len() as u64)));
    assert_eq!((sample["least"].as_str(), sample["most"].as_str()), (Some("-10"), Some("-10")));
    assert_eq!(sample["other_changes"], 0);
    assert_eq!(sample["changes"], serde_json::json!([{ "old": 10, "new": 0, "applicants": expected.len() }]));
    // The first three changed applicants, in input order, with the rows the item reads.
    let examples = sample["examples"].as_array().unwrap();
    assert_eq!(examples.len(), expected.len().min(3));
    for (e, id) in examples.iter().zip(&expected) {
        let e = e.as_str().unwrap();
        assert!(e.starts_with(&format!("{id} with periods = [{{start: ")) && e.ends_with(": 10 → 0"), "{e}");
    }
    // invention compares a bool: exact, patent 20 → 25, and not sampled.
    let invention = regions.iter().find(|r| r["item"] == "invention").expect("invention");
    assert_eq!(invention["exact"], true);
    assert!(invention.get("sample").is_none(), "{invention}");

    // The human report and the page say it is a sample, not exact.
    let run = jifen(&["diff", old, new]).ok("diff human");
    let headline = format!(
        "  high_base: sample of 2000 generated applicants (jifen gen, seed 1; not exact): {0} change (0 up, {0} down, by -10 to -10): 10 → 0 for {0}",
        expected.len()
    );
    assert!(run.stdout.lines().any(|l| l == headline), "{headline:?} in\n{}", run.stdout);
    assert!(run.stdout.contains(&format!("  high_base: e.g. {} with periods = [", expected[0])), "{}", run.stdout);
    let tmp = TempDir::new("sample-html");
    let page = tmp.0.join("report.html");
    let page = page.to_str().unwrap();
    jifen(&["diff", old, new, "--html", page]).ok("diff --html");
    let html = fs::read_to_string(page).unwrap();
    assert!(html.contains(&format!("A sample, not exact:</b> {} of 2000", expected.len())), "{html}");
    // The workbook's regions sheet says so too.
    let book = tmp.0.join("report.xlsx");
    let book = book.to_str().unwrap();
    jifen(&["diff", old, new, "--xlsx", book]).ok("diff --xlsx");
    if let Some(w) = workbook_json(book) {
        let rows = w["Regions"].as_array().unwrap();
        let said = format!("a sample, not exact: {} of 2000 applicants", expected.len());
        assert!(
            rows.iter().any(|r| r[0] == "high_base" && r[5].as_str().is_some_and(|n| n.starts_with(&said))),
            "{rows:?}"
        );
        assert!(rows.iter().any(|r| r[0] == "high_base" && r[3] == 10 && r[4] == 0 && r[5] == "sample"), "{rows:?}");
    }
}

/// The report names the population it ran on and how much of it `jifen gen` wrote (ids
/// `synthetic-…`): 5 generated rows are "all synthetic"; with one real row added, 5 of 6.
#[test]
fn the_report_says_how_much_of_the_population_is_synthetic() {
    let tmp = TempDir::new("synthetic");
    let gen = jifen(&["gen", "--count", "5", "--seed", "2"]).ok("gen");
    let all = tmp.write("gen.jsonl", &gen.stdout);
    let mixed = tmp.write(
        "mixed.jsonl",
        &format!("{}{{\"id\": \"real-1\", \"age\": 30, \"si_months\": 12, \"education\": \"bachelor\"}}\n", gen.stdout),
    );
    let (old, new) = ("policies/2024.policy", "policies/2025.policy");
    let run = jifen(&["diff", old, new, "--applicants", &all]).ok("all synthetic");
    assert!(
        run.stdout.contains(&format!("population: {all}: 5 applicants, all synthetic (jifen gen)\n")),
        "{}",
        run.stdout
    );
    let run = jifen(&["diff", old, new, "--applicants", &mixed]).ok("mixed");
    let line = format!("population: {mixed}: 6 applicants, 5 of them synthetic (jifen gen)\n");
    assert!(run.stdout.contains(&line), "{}", run.stdout);
    let v = jifen(&["diff", old, new, "--applicants", &mixed, "--format", "json"]).ok("json").json();
    assert_eq!(v["summary"]["synthetic"], 5);
    assert_eq!(v["summary"]["population"], mixed.as_str());
    // Real data only: no claim about its origin.
    let real =
        tmp.write("real.jsonl", "{\"id\": \"a\", \"age\": 30, \"si_months\": 12, \"education\": \"bachelor\"}\n");
    let run = jifen(&["diff", old, new, "--applicants", &real]).ok("real");
    assert!(run.stdout.contains(&format!("population: {real}: 1 applicants\n")), "{}", run.stdout);
}

/// Every sheet of a workbook as JSON (`{sheet: [[cell, …], …]}`), read by Python's openpyxl
/// (a reader that is not jifen's own); `None` when openpyxl is not installed.
fn workbook_json(path: &str) -> Option<Value> {
    let probe = Command::new("python3").args(["-c", "import openpyxl"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: Python's openpyxl is not installed (pip install openpyxl)");
        return None;
    }
    let script = "import sys, json, openpyxl\n\
        wb = openpyxl.load_workbook(sys.argv[1])\n\
        print(json.dumps({ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}))\n";
    let out = Command::new("python3").args(["-c", script, path]).output().expect("python3 runs");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).expect("JSON from python"))
}

/// `diff --xlsx` writes the briefing as a workbook whose sheets say what the JSON report
/// says. The mini pair and its four applicants (worked by hand in the briefing test above):
/// a 95 → 90, b 90 → 90 (no item changes), c 110 → 130, d 110 → 130 (title +100, edu −80).
#[test]
fn the_briefing_as_a_workbook_agrees_with_the_json_report() {
    let tmp = TempDir::new("workbook");
    let (old, new) = pair(&tmp);
    let people = tmp.write(
        "people.jsonl",
        concat!(
            r#"{"id": "a", "age": 30, "edu": "bachelor", "old_bonus": true}"#,
            "\n",
            r#"{"id": "b", "age": 40, "edu": "master"}"#,
            "\n",
            r#"{"id": "c", "age": 30, "edu": "master", "cert": true}"#,
            "\n",
            r#"{"id": "d", "age": 30, "edu": "master", "title": true}"#,
            "\n"
        ),
    );
    let book = tmp.0.join("briefing.xlsx");
    let book = book.to_str().unwrap();
    let args = ["diff", "--by", "edu", "--applicants", &people, &old, &new, "--format", "json", "--xlsx", book];
    let v = jifen(&args).ok("diff --xlsx").json();
    let Some(w) = workbook_json(book) else { return };
    let names: Vec<&str> = w.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = vec!["Summary", "By edu", "Drivers", "Rule changes", "Regions", "Applicants"];
    let mut sorted = names.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    let s = &v["summary"];
    // Summary: label in A, value in B; then the bands under their header.
    let summary = w["Summary"].as_array().unwrap();
    let value = |label: &str| summary.iter().find(|r| r[0] == label).map(|r| r[1].clone()).expect(label);
    assert_eq!(value("applicants"), s["applicants"]);
    assert_eq!(value("gain"), s["gain"]);
    assert_eq!(value("lose"), s["lose"]);
    assert_eq!(value("unchanged"), s["same"]);
    assert_eq!(value("population"), format!("{people}: 4 applicants").as_str());
    assert_eq!((s["gain"].as_u64(), s["lose"].as_u64()), (Some(2), Some(1)));
    let bands_at = summary.iter().position(|r| r[0] == "change of total").expect("bands") + 1;
    for (i, band) in s["bands"].as_array().unwrap().iter().enumerate() {
        let row = &summary[bands_at + i];
        assert_eq!((&row[0], &row[1]), (&band["band"], &band["applicants"]), "{row:?}");
    }
    // +10…+49: c and d.
    assert_eq!(summary[bands_at + 5][2], "c, d");
    // The breakdown and the drivers, row for row.
    for (sheet, list, keys) in [
        ("By edu", &s["by"]["groups"], &["value", "applicants", "gain", "lose", "total_change", "mean_change"][..]),
        ("Drivers", &s["drivers"], &["item", "kind", "applicants", "total_change"][..]),
    ] {
        let rows = w[sheet].as_array().unwrap();
        let list = list.as_array().unwrap();
        assert_eq!(rows.len(), list.len() + 1, "{sheet}: a header and a row each");
        for (row, object) in rows[1..].iter().zip(list) {
            let want: Vec<Value> = keys.iter().map(|k| object[*k].clone()).collect();
            let got: Vec<Value> = row.as_array().unwrap()[..keys.len()].to_vec();
            // 13.33 is read back as a float: compare as numbers.
            assert_eq!(format!("{got:?}"), format!("{want:?}"), "{sheet}");
        }
    }
    // One row per rule change, in policy words.
    let changes = w["Rule changes"].as_array().unwrap();
    assert_eq!(changes.len(), v["changes"].as_array().unwrap().len() + 1);
    let title = changes.iter().find(|r| r[2] == "title").expect("title's change");
    assert_eq!((&title[4], &title[5]), (&v["changes"][0]["old"], &v["changes"][0]["new"]));
    // Regions: title `title` 70 → 100 (exact).
    let regions = w["Regions"].as_array().unwrap();
    assert!(
        regions.iter().any(|r| r[0] == "title" && r[1] == true && r[2] == "title" && r[3] == 70 && r[4] == 100),
        "{regions:?}"
    );
    // Applicants whose points change: a, c, d (b changes nowhere), with their totals.
    let rows = w["Applicants"].as_array().unwrap();
    let head = rows[0].as_array().unwrap();
    assert_eq!(&head[..4], &["id", "old_total", "new_total", "change"]);
    assert_eq!(head.last().unwrap(), "changed items");
    let got: Vec<(String, i64, i64, String)> = rows[1..]
        .iter()
        .map(|r| {
            let r = r.as_array().unwrap();
            (
                r[0].as_str().unwrap().into(),
                r[1].as_i64().unwrap(),
                r[2].as_i64().unwrap(),
                r.last().unwrap().as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [("a", 95, 90, "old_bonus -5"), ("c", 110, 130, "cert +20"), ("d", 110, 130, "edu -80, title +100")];
    let want: Vec<(String, i64, i64, String)> =
        want.iter().map(|(a, b, c, d)| (a.to_string(), *b, *c, d.to_string())).collect();
    assert_eq!(got, want);

    // Without applicants: the summary, the rule changes and the regions only.
    let bare = tmp.0.join("bare.xlsx");
    let bare = bare.to_str().unwrap();
    jifen(&["diff", &old, &new, "--xlsx", bare]).ok("diff --xlsx without applicants");
    let w = workbook_json(bare).unwrap();
    let mut names: Vec<&str> = w.as_object().unwrap().keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(names, ["Regions", "Rule changes", "Summary"]);

    // The workbook may not overwrite an input.
    let run = jifen(&["diff", &old, &new, "--applicants", &people, "--xlsx", &people]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(run.stderr.contains("is also an input"), "{}", run.stderr);
    assert!(fs::read_to_string(&people).unwrap().starts_with("{\"id\": \"a\""), "the input is intact");
}
