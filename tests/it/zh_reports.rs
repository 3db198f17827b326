//! The reports of `jifen test`, `score` and `diff` in Chinese (`--lang zh-CN`): snapshots of
//! the bundled policies, a check that no English word is left outside the policy's own
//! names and text, and machine output that does not change with the language.

use crate::common::BIN;
use std::process::Command;

use jifen::internals::i18n::english_residue;

/// stdout of `jifen --lang LANG args…`, run from the crate root with no locale set.
fn run(lang: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .args(["--lang", lang])
        .args(args)
        .output()
        .expect("the jifen binary runs");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// A copy of the 2024 policy with three wrong expectations, so that the failing-test lines
/// show: R1's education is 90 (本科+学士), not 100; R2' totals 117 < 120, so it does not meet
/// the standard; R3's si_base is 50 (13000 ≥ 1 × 12307, < 2×), not 60.
fn broken_policy() -> String {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/2024.policy"))
        .expect("policies/2024.policy");
    let text = text
        .replacen("item education = 90, meets_standard = true", "item education = 100, meets_standard = true", 1)
        .replacen(
            "item si_years = 27, eligible = true, meets_standard = false",
            "item si_years = 27, eligible = true, meets_standard = true",
            1,
        )
        .replacen("item si_years = 9, item si_base = 50", "item si_years = 9, item si_base = 60", 1);
    let dir = std::env::temp_dir().join(format!("jifen-zh-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("broken.policy");
    std::fs::write(&path, text).expect("the broken copy is written");
    // Applicants for the diff's population report (the hand-worked rows of tests/it/cli.rs).
    let people = [
        r#"{"id": "lingang2", "age": 30, "si_months": 144, "education": "junior_college", "remote_area": "lingang", "remote_area_years": 2}"#,
        r#"{"id": "base12400", "age": 30, "si_months": 48, "education": "junior_college", "si_base_yuan": 12400, "si_base_months_48": 36}"#,
        r#"{"id": "r1", "age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#,
    ];
    std::fs::write(dir.join("people.jsonl"), people.join("\n") + "\n").expect("the applicants are written");
    path.to_string_lossy().into_owned()
}

/// The reports the tests look at, by name: (snapshot name, arguments).
fn reports(broken: &str) -> Vec<(&'static str, Vec<String>)> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("test_coverage_mutants_2025", v(&["test", "--coverage", "--mutants", "policies/2025.policy"])),
        ("test_failing", v(&["test", broken])),
        ("score_explain", v(&["score", "--explain", "examples/applicant.json"])),
        ("score_2024_lingang", v(&["score", "--policy", "policies/2024.policy", "examples/lingang.json"])),
        ("diff_2024_2025", v(&["diff", "policies/2024.policy", "policies/2025.policy"])),
        ("diff_population_by_education", {
            let people = broken.replace("broken.policy", "people.jsonl");
            v(&["diff", "policies/2024.policy", "policies/2025.policy", "--applicants", &people, "--by", "education"])
        }),
    ]
}

/// The policies' own words: identifiers of their code, their labels and doc comments (they
/// are the editors' text, shown as written). Whatever is left must read as Chinese.
fn policy_words() -> Vec<String> {
    let mut words = Vec::new();
    for file in ["policies/2024.policy", "policies/2025.policy"] {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + file).unwrap();
        // Split as `english_residue` does (a test name's `non-full-time` is one word), and
        // also at `-`.
        for w in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            words.push(w.to_string());
            words.extend(w.split('-').map(str::to_string));
        }
    }
    words.sort();
    words.dedup();
    words
}

/// Lines that are the policy's text, not jifen's: the explain trace's `依据：` line (the
/// item's doc comment) and lines of code the diff quotes (rule changes and regions).
fn jifen_text(line: &str) -> &str {
    let t = line.trim_start();
    if let Some((head, _)) = t.split_once("依据：") {
        return head;
    }
    t
}

#[test]
fn reports_in_chinese_leave_no_english_word() {
    let broken = broken_policy();
    let mut words = policy_words();
    // The applicants' ids are the data's own names.
    words.extend(["lingang2", "base12400", "r1"].map(String::from));
    words.sort();
    let mut left = Vec::new();
    for (name, args) in reports(&broken) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run("zh-CN", &args);
        assert!(!out.trim().is_empty(), "{name}: no output");
        for line in out.lines() {
            // Words of the policy's code and doc comments (conditions, ids, the "source" line)
            // are the editors' own.
            let residue: Vec<String> =
                english_residue(jifen_text(line)).into_iter().filter(|w| words.binary_search(w).is_err()).collect();
            if !residue.is_empty() {
                left.push(format!("{name}: `{line}` leaves {}", residue.join(" ")));
            }
        }
    }
    assert!(left.is_empty(), "add these to src/i18n/zh-CN.txt:\n{}", left.join("\n"));
}

/// Lists jifen writes in a Chinese report are joined with `、` (clauses `a = 1` with `，`),
/// never with the English `, `: the items of a failing test, the facts an item read and
/// the rules a changed parameter reaches.
#[test]
fn chinese_reports_join_lists_the_chinese_way() {
    let broken = broken_policy();
    let mut seen = 0;
    for (name, args) in reports(&broken) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for line in run("zh-CN", &args).lines() {
            let Some((_, list)) = ["各项得分：", "事实：", "读取它的："].iter().find_map(|h| line.split_once(h))
            else {
                continue;
            };
            seen += 1;
            assert!(!list.contains(", "), "{name}: `{line}` joins with `, `");
        }
    }
    // The three kinds of line are there at all (failing test, score --explain, diff).
    assert!(seen >= 3, "only {seen} list lines found");
}

/// Deleting the only test of a veto (2024's `serious_crime`): `--min-coverage 100` fails and
/// names the veto, all in Chinese.
#[test]
fn deleting_the_only_test_of_a_veto_is_named_in_chinese() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/2024.policy"))
        .expect("policies/2024.policy");
    let start = text.find("test \"veto serious crime\"").expect("the veto's test");
    let end = start + text[start..].find("\n}\n").expect("its end") + 3;
    let dir = std::env::temp_dir().join(format!("jifen-zh-veto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("2024.policy");
    std::fs::write(&file, format!("{}{}", &text[..start], &text[end..])).expect("write");
    let out = Command::new(BIN)
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .args(["--lang", "zh-CN", "test", "--coverage", "--min-coverage", "100"])
        .arg(&file)
        .output()
        .expect("the jifen binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = stdout.lines().find(|l| l.contains("serious_crime")).unwrap_or_default();
    assert!(line.contains("未覆盖：否决条件 `serious_crime`：生效："), "{stdout}");
    assert!(stderr.contains("覆盖率") && stderr.contains("低于要求的最低值 100%"), "{stderr}");
    let words: Vec<String> = [line].into_iter().chain(stderr.lines()).flat_map(english_residue).collect();
    assert!(words.is_empty(), "{words:?}\n{line}\n{stderr}");
}

/// A file saved as GBK (Windows "ANSI"), checked with `--lang zh-CN`: the error and its help
/// are in Chinese, after Chinese colons.
#[test]
fn a_gbk_file_gets_chinese_error_and_help() {
    let dir = std::env::temp_dir().join(format!("jifen-zh-gbk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("gbk.policy");
    // `item age "年龄" {}` with 年龄 in GBK.
    std::fs::write(&file, b"item age \"\xC4\xEA\xC1\xE4\" {}\n").expect("write");
    let out = Command::new(BIN)
        .env("LANG", "C")
        .env("NO_COLOR", "1")
        .args(["--lang", "zh-CN", "check"])
        .arg(&file)
        .output()
        .expect("the jifen binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("错误：") && stderr.contains("GBK") && stderr.contains("提示：把文件另存为 UTF-8"),
        "{stderr}"
    );
    let words: Vec<String> =
        stderr.lines().flat_map(|l| english_residue(l.split_once('`').map_or(l, |(a, _)| a))).collect();
    assert!(words.is_empty(), "{stderr}");
}

#[test]
fn reports_in_chinese_snapshots() {
    let broken = broken_policy();
    for (name, args) in reports(&broken) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let people = broken.replace("broken.policy", "people.jsonl");
        let out = run("zh-CN", &args).replace(&broken, "[broken.policy]").replace(&people, "[people.jsonl]");
        insta::assert_snapshot!(name, out);
    }
}

/// English stays as it was: the words the English tests look for are there.
#[test]
fn english_is_the_default() {
    let out = run("en", &["score", "examples/applicant.json"]);
    assert!(out.contains("meets_standard  yes") && out.contains("total           149"), "{out}");
}

/// JSON and JUnit are for programs: the same bytes in both languages.
#[test]
fn json_does_not_change_with_the_language() {
    let broken = broken_policy();
    let junit = ["--format", "junit", "test", &broken];
    let en = run("en", &junit);
    assert!(en.contains("expected 100, got 90"), "{en}");
    assert_eq!(en, run("zh-CN", &junit), "JUnit");
    for args in [
        &["--format", "json", "test", "policies/2025.policy"][..],
        &["--format", "json", "score", "--explain", "examples/applicant.json"][..],
        &["--format", "json", "diff", "policies/2024.policy", "policies/2025.policy"][..],
    ] {
        let en = run("en", args);
        assert!(en.starts_with('{') || en.starts_with('['), "{args:?}: {en}");
        assert_eq!(en, run("zh-CN", args), "{args:?}");
    }
}
