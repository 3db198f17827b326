//! `amend group NAME { … }` (issue 14): a child year changes an inherited group's cap, label
//! and members in a few lines; `diff` says each change in one line, `fmt` keeps the form,
//! `doc` shows the amended group. Fixtures: tests/extends/good/draft_2026.policy and
//! draft_2027.policy; the mistakes are in tests/extends/bad/amend_group_*.policy.

use std::io::Write;
use std::process::{Command, Stdio};

fn jifen(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LANG", "C")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jifen runs");
    if let Some(text) = stdin {
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("stdin written");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("jifen ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// draft_2027 amends draft_2026's `age_talent` (cap 50 → 60, a new label, `si_points` added):
/// three changes, three lines, the member by name alone.
#[test]
fn diff_says_each_change_of_an_amended_group_in_one_line() {
    let (code, out, err) =
        jifen(&["diff", "tests/extends/good/draft_2026.policy", "tests/extends/good/draft_2027.policy"], None);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().skip(2).take(4).collect();
    assert_eq!(
        lines,
        [
            "3 rule change(s):",
            "  ~ group age_talent (cap): 50 → 60",
            "  ~ group age_talent (label): 年龄与人才合计 → 年龄、人才与社保合计",
            "  + group age_talent (member): si_points",
        ],
        "{out}"
    );
    // The other way round, the member is removed: `- … (member): was si_points`.
    let (_, back, _) =
        jifen(&["diff", "tests/extends/good/draft_2027.policy", "tests/extends/good/draft_2026.policy"], None);
    assert!(back.lines().any(|l| l == "  - group age_talent (member): was si_points"), "{back}");
}

/// A messy `amend group` comes back in the canonical layout, parts in the order written and
/// a trailing comment kept; formatting that again changes nothing.
#[test]
fn fmt_lays_out_an_amended_group_and_keeps_it() {
    let messy = "policy c \"c\" extends \"_groups\" {\n year 2026\n effective 2026-01-01\n}\n\
                 amend group young_degree { add si_points   remove degree_points  cap 60 // higher\n label \"新\" }\n";
    let (code, once, err) = jifen(&["fmt", "-"], Some(messy));
    assert_eq!(code, 0, "{err}");
    assert!(
        once.contains(
            "amend group young_degree {\n    add si_points\n    remove degree_points\n    cap 60 // higher\n    label \"新\"\n}\n"
        ),
        "{once}"
    );
    let (_, twice, _) = jifen(&["fmt", "-"], Some(&once));
    assert_eq!(once, twice);
}

/// `doc` of the child shows the group as amended: its new label and cap, and the added item.
#[test]
fn doc_shows_the_amended_group() {
    let (code, out, err) = jifen(&["doc", "tests/extends/good/draft_2027.policy"], None);
    assert_eq!(code, 0, "{err}");
    // draft_2027's group: the label amended, si_points added, the cap raised to 60.
    assert!(out.contains("年龄、人才与社保合计 (`age_talent`)"), "{out}");
    assert!(out.contains("社保年限 (si_points) together count at most 60 points"), "{out}");
}
