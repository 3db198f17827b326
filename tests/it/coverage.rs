//! `jifen test`: coverage counts every decision a test can miss, and a failing test says why.
//!
//! Each expected goal and reason below is worked from the policy text beside it.

use crate::common::{BIN, ROOT};
use std::path::PathBuf;
use std::process::Command;

/// A fresh folder under the system temp dir, unique per test; removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("jifen-coverage-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, file: &str, text: &str) -> String {
        let path = self.0.join(file);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `jifen ARGS` from the crate root: (exit code, stdout).
fn jifen(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN).args(args).current_dir(ROOT).env("NO_COLOR", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "jifen {args:?} panicked:\n{stderr}");
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap())
}

/// Everything from the `///` comment above `test "NAME"` to the end of that test block.
fn without_test(text: &str, name: &str) -> String {
    let head = format!("test \"{name}\"");
    let start = text.find(&head).unwrap_or_else(|| panic!("no test {name:?}"));
    let start = text[..start].rfind("\n\n").map_or(start, |p| p + 1);
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn the_bundled_policies_cover_every_goal() {
    let (code, out) = jifen(&["test", "--min-coverage", "100", "policies/"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("not covered"), "{out}");
}

/// "veto serious crime" is the only test of 2024.policy with `serious_crime: true`: without
/// it no test sees the veto apply, so coverage drops below 100 % and names the veto.
#[test]
fn deleting_the_only_test_of_a_veto_is_noticed() {
    let text = std::fs::read_to_string(format!("{ROOT}/policies/2024.policy")).unwrap();
    let cut = without_test(&text, "veto serious crime");
    assert!(!cut.contains("serious_crime: true"), "the cut removed the only such test");
    let dir = TempDir::new("veto");
    let path = dir.write("2024.policy", &cut);
    let (code, out) = jifen(&["test", "--min-coverage", "100", &path]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not covered: veto serious_crime: applies: \"有严重刑事犯罪记录\""), "{out}");
    // The veto is written on line 256 of the policy, above every test: the cut keeps it there.
    assert!(out.contains("2024.policy:256)"), "{out}");
    let (code, json) = jifen(&["test", "--coverage", "--format", "json", &path]);
    assert_eq!(code, 0, "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let goals = value[0]["coverage"]["goals"].as_array().unwrap();
    let missed: Vec<&serde_json::Value> = goals.iter().filter(|g| g["covered"] == false).collect();
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0]["subject"], "veto serious_crime");
}

const DECISIONS: &str = r#"policy demo "演示" {
    year 2025
    effective 2025-01-01
    standard 50
}

input {
    age: int 16..=70 "年龄",
    service: int 0..=40 "年限",
    degree: bool = false "学位",
    title: bool = false "职称",
    has_permit: bool = false "居住证",
    banned: bool = false "记录",
}

section basic "基础" cap 60 {
    item age "年龄" {
        max(when age < 35 => 30 else => 10, 5)
    }
    item service "年限" {
        requires has_permit "需持有居住证"
        2 * service
        cap 20
    }
    item degree "学位" {
        when degree => 40
        else => 0
    }
    item title "职称" {
        when title => 45
        else => 0
    }
    best_of edu "学位与职称二选一" { degree, title }
}

eligibility {
    require adult: age >= 18 "须年满18岁"
}

vetoes {
    veto banned: banned "有记录"
}

/// age 40: max(10, 5) = 10; service 3 without a permit: 0; degree 40; total 50
test "one applicant" {
    given { age: 40, service: 3, degree: true }
    expect total = 50
}
"#;

/// One test of a policy with a nested arm, a section cap, a group, a requirement and a veto:
/// every decision that test did not take is listed with its line.
#[test]
fn coverage_lists_each_decision_not_taken() {
    let dir = TempDir::new("decisions");
    let path = dir.write("demo.policy", DECISIONS);
    let (code, out) = jifen(&["test", "--coverage", &path]);
    assert_eq!(code, 0, "{out}");
    let missed: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("not covered: "))
        .map(|l| l.split("  (").next().unwrap())
        .collect();
    // age 40 takes the `else` of the `when` inside `max`, never `when age < 35`; years 3
    // without a permit: precondition unmet, scores 0, cap never reached; the section sums
    // 10 + 0 + 40 = 50 ≤ 60; only `degree` computes points, so no member wins over another;
    // age 40 ≥ 18 and no record: the requirement is met and the veto does not apply.
    assert_eq!(
        missed,
        [
            "item age: scores 0",
            "item age: nested arm: when age < 35 => 30",
            "item service: scores",
            "item service: cap 20 binds",
            "item service: cap 20 does not bind",
            "item service: precondition met: 需持有居住证",
            "item degree: scores 0",
            "item degree: arm: else",
            "item title: scores",
            "item title: arm: when title",
            "section basic: cap 60 binds",
            "best_of edu: degree wins over another member",
            "best_of edu: title wins over another member",
            "requirement adult: not met: \"须年满18岁\"",
            "veto banned: applies: \"有记录\"",
        ],
        "{out}"
    );
    // The nested arm is named at its item's line (line 17 of the policy).
    assert!(out.contains("nested arm: when age < 35 => 30  (") && out.contains("demo.policy:17)"), "{out}");
}

const FAILING: &str = r#"policy demo "演示" {
    year 2025
    effective 2025-01-01
    standard 50
}

input {
    age: int 16..=70 "年龄",
    has_permit: bool = false "居住证",
}

section basic "基础" {
    item high_skill "高技能" {
        requires has_permit "需持有居住证"
        when age < 35 => 30
        else => 10
    }
    item young "年龄" {
        when age < 35 => 20
        else => 5
    }
}

/// no permit: high_skill's precondition fails, 0; age 30 < 35: young takes its first arm, 20
test "no permit" {
    given { age: 30 }
    expect item high_skill = 30, item young = 5
}
"#;

/// A failing expectation on an item says why the item scored what it did: the precondition
/// not met with its reason, or the arm taken, in human, JSON and JUnit output.
#[test]
fn a_failing_test_says_why() {
    let dir = TempDir::new("failing");
    let path = dir.write("failing.policy", FAILING);
    let (code, out) = jifen(&["test", &path]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("item high_skill: expected 30, got 0 — precondition not met: \"需持有居住证\""), "{out}");
    assert!(out.contains("item young: expected 5, got 20 — arm taken: when age < 35"), "{out}");

    let (_, json) = jifen(&["test", "--format", "json", &path]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mismatches = &value[0]["tests"][0]["mismatches"];
    assert_eq!(mismatches[0]["why"], "precondition not met: \"需持有居住证\"");
    assert_eq!(mismatches[1]["why"], "arm taken: when age < 35");

    let (_, junit) = jifen(&["test", "--format", "junit", &path]);
    assert!(junit.contains("precondition not met: &quot;需持有居住证&quot;"), "{junit}");
}
