//! The generated indicator table (`jifen doc`, `jifen::docgen`), and the other views of the
//! command line generated from its definition: shell completions, manual pages, `--help`.

use crate::common::{BIN, ROOT};
use std::path::PathBuf;
use std::process::Command;

use jifen::RuleSet;

const REGENERATE: &str = "run `cargo run -- doc policies/2025.policy -o docs/2025.md` and commit the result";

fn policy_2025() -> RuleSet {
    jifen::bundled_policy().expect("the bundled 2025 policy compiles")
}

fn jifen(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).current_dir(ROOT).env("NO_COLOR", "1").output().expect("jifen runs")
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// A temporary folder of this test process, removed and made anew.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jifen-doc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    dir
}

#[test]
fn committed_doc_is_current() {
    let committed = std::fs::read_to_string(PathBuf::from(ROOT).join("docs/2025.md"))
        .unwrap_or_else(|e| panic!("cannot read docs/2025.md ({e}): {REGENERATE}"));
    let generated = jifen::docgen::markdown(&policy_2025());
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| committed.lines().count().min(generated.lines().count()) + 1, |n| n + 1);
        panic!(
            "docs/2025.md is stale (first difference at line {line}):\n  committed: {}\n  generated: {}\n{REGENERATE}",
            committed.lines().nth(line - 1).unwrap_or("<end of file>"),
            generated.lines().nth(line - 1).unwrap_or("<end of file>"),
        );
    }
}

#[test]
fn doc_verb_writes_what_the_library_renders() {
    let rs = policy_2025();
    let dir = scratch("verb");
    let md = dir.join("2025.md");
    let html = dir.join("2025.html");
    let run = jifen(&["doc", "policies/2025.policy", "-o", md.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read_to_string(&md).unwrap(), jifen::docgen::markdown(&rs));
    let run = jifen(&["doc", "--html", "policies/2025.policy", "-o", html.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read_to_string(&html).unwrap(), jifen::docgen::html(&rs));
    // Without a policy: the bundled one, to standard output.
    assert_eq!(stdout(&jifen(&["doc"])), jifen::docgen::markdown(&rs));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn doc_verb_exit_codes() {
    assert_eq!(jifen(&["doc", "no/such.policy"]).status.code(), Some(4));
    assert_eq!(jifen(&["--format", "json", "doc"]).status.code(), Some(2));
    let dir = scratch("broken");
    let broken = dir.join("broken.policy");
    std::fs::write(&broken, "policy x \"x\" {\n").unwrap();
    assert_eq!(jifen(&["doc", broken.to_str().unwrap()]).status.code(), Some(2));
    let out = dir.join("out.md");
    assert_eq!(jifen(&["doc", broken.to_str().unwrap(), "-o", out.to_str().unwrap()]).status.code(), Some(2));
    assert!(!out.exists(), "no output file is left behind when the policy does not compile");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn rules_read_in_words() {
    let md = jifen::docgen::markdown(&policy_2025());
    for expected in [
        "# 上海市居住证积分 2025",
        "| `shanghai_points` | 上海市居住证积分 | 2025 | 2025-01-01 | 120 | `2024` |",
        "| `average_wage` | 12434 yuan | 上年度全市职工月平均工资 |",
        // Rules in policy syntax, one line per arm, enum variants by their label and yearly
        // parameters with their value (C3: average_wage 12434 yuan; 3 × 12434 = 37302).
        "when age > 60 => 0<br>when age >= 56 => 5<br>else => min(30, 5 + 2 * (56 - age))",
        "match education {<br>无 => 0,<br>大专(高职) => 50,<br>大学本科学历 => 60,",
        "技能类国家职业资格二级 \\| 中级专业技术职务任职资格 => 100,",
        "3 per year of si_months",
        "when si_base_yuan >= 3 * average_wage (= 37302 yuan) and si_base_months_36 >= 24 months => 120",
        "when si_base_yuan >= average_wage (12434 yuan) and si_base_months_48 >= 36 months => 50",
        "remote_area_years >= lingang_counting_years (1 year)",
        "4 per year of spouse_hukou_years ?? 0 years",
        "**requires** title_skill not in [中级专业技术职务任职资格, 高级专业技术职务任职资格] or points(education) > 0 — 中级、高级职称须具有可计分的大专及以上学历",
        // An `and` beside an `or` keeps its parentheses.
        "or (si_base_yuan >= average_wage (12434 yuan) and si_base_months_12 >= 6 months)",
        "**二选一** with title_skill — the higher counts",
        "**二选一** 教育背景与职称技能二选一 (`education_or_title`): 教育背景 (education), 专业技术职称和技能等级 (title_skill) — the higher counts; on a tie, 教育背景 (education).",
        "| 投资纳税或带动本地就业 | `invest_tax_or_jobs` |",
        "Art. 6 (一) 1 年龄: 56–60周岁积5分",
        "## 减分指标 (`deduction`) — deductions",
        "| `serious_crime` | serious_crime | 有严重刑事犯罪记录 |",
        "| `social_insurance` | si_months >= 6 months | 须在本市参加职工社会保险满6个月 |",
        "| `si_base_months_48` | months | 0–48 | 0 months | 最近48个月内按该基数缴费的月数 |",
        "| `spouse_hukou_years` | years | ≥ 0 | may be left out |",
    ] {
        assert!(md.contains(expected), "the Markdown lacks {expected:?}\n\n{md}");
    }
    // Deductions come after the sections that add points, then vetoes, eligibility, inputs.
    let at = |s: &str| md.find(s).unwrap_or_else(|| panic!("no {s:?}"));
    assert!(at("## 基础指标") < at("## 加分指标"));
    assert!(at("## 加分指标") < at("## 减分指标"));
    assert!(at("## 减分指标") < at("## Vetoes"));
    assert!(at("## Vetoes") < at("## Eligibility"));
    assert!(at("## Eligibility") < at("## Inputs"));
}

#[test]
fn every_item_and_input_is_listed() {
    let rs = policy_2025();
    let md = jifen::docgen::markdown(&rs);
    let html = jifen::docgen::html(&rs);
    for item in rs.items() {
        assert!(md.contains(&format!("| {} | `{}` |", item.label, item.id)), "markdown lacks item {}", item.id);
        assert!(html.contains(&format!("<td>{}</td><td><code>{}</code></td>", item.label, item.id)), "{}", item.id);
    }
    for input in rs.inputs() {
        assert!(md.contains(&format!("| `{}` |", input.name)), "markdown lacks input {}", input.name);
    }
    for param in rs.params() {
        assert!(md.contains(&format!("| `{}` |", param.name)), "markdown lacks param {}", param.name);
    }
}

#[test]
fn html_is_standalone_and_escaped() {
    let plain = jifen::docgen::html(&policy_2025());
    assert!(plain.starts_with("<!DOCTYPE html>\n"));
    assert!(plain.contains("<meta charset=\"utf-8\">"));
    assert!(plain.contains("<style>"), "the CSS is inline");
    for external in ["<link", "<script", "src=", "http://", "https://", "@import", "url("] {
        assert!(!plain.contains(external), "the page refers to something outside it: {external:?}");
    }
    assert!(plain.trim_end().ends_with("</html>"));

    // Labels, a title and a doc comment with markup in them, as an editor could write.
    let rs = compile(
        "/// Art. 6 <img src=x onerror=alert(1)>\n\
         policy demo \"积分 <script>alert(1)</script>\" {\n    year 2025\n    effective 2025-01-01\n    standard 120\n}\n\
         param wage = 12434 yuan \"工资 <i>\"\n\
         input {\n    age: int 16..=70 \"年龄\"\n    si_base_yuan: yuan 0.. \"基数\"\n}\n\
         section basic \"基础\" {\n\
             item age \"年龄 <b>& \\\"quoted\\\"\" { when age <= 35 => 30 else => 0 }\n\
             /// Art. 6 <img src=x onerror=alert(1)>\n\
             item base \"基数\" { when si_base_yuan >= wage => 10 else => 0 }\n\
         }\n",
    );
    let html = jifen::docgen::html(&rs);
    assert!(html.contains("<title>积分 &lt;script&gt;alert(1)&lt;/script&gt; 2025</title>"), "{html}");
    assert!(html.contains("<td>年龄 &lt;b&gt;&amp; &quot;quoted&quot;</td>"), "{html}");
    assert!(html.contains("Art. 6 &lt;img src=x onerror=alert(1)&gt;"), "{html}");
    assert!(html.contains("<td>工资 &lt;i&gt;</td>"), "{html}");
    for tag in ["<script", "<b>", "<i>", "<img"] {
        assert!(!html.contains(tag), "{tag} is not escaped");
    }
    for item in &rs.items()[1..] {
        assert!(html.contains(&*item.label), "the page lacks the label of {}", item.id);
    }
}

/// A policy compiled from its text (a rule set is only ever made by the checker).
fn compile(text: &str) -> RuleSet {
    jifen::check_with("hostile.policy", text, &jifen::MemoryLoader { files: Default::default() })
        .ruleset
        .unwrap_or_else(|| panic!("the test's policy compiles:\n{text}"))
}

#[test]
fn markdown_escapes_what_would_break_a_table() {
    let rs = compile(
        "policy demo \"示例\" {\n    year 2025\n    effective 2025-01-01\n    standard 120\n}\n\
         input {\n    age: int 16..=70 \"年龄\"\n}\n\
         section basic \"基础\" {\n    item age \"年龄 | <b>bold</b>\" { when age < 60 => 30 else => 0 }\n}\n",
    );
    let md = jifen::docgen::markdown(&rs);
    assert!(md.contains("| 年龄 \\| &lt;b>bold&lt;/b> | `age` |"), "{md}");
    // A comparison keeps its `<`.
    assert!(md.contains("age < 60"), "{md}");
}

#[test]
fn the_2024_policy_renders_without_a_parent() {
    let rs = jifen::compile_bundled("policies/2024.policy").expect("2024 compiles");
    let md = jifen::docgen::markdown(&rs);
    assert!(md.starts_with("# 上海市居住证积分 2024\n"));
    assert!(md.contains("| `shanghai_points` | 上海市居住证积分 | 2024 | 2024-01-01 | 120 | — |"));
    assert!(md.contains("lingang_counting_years (3 years)"));
    assert!(!md.contains("inherited from"));
}

// ------------------------------------------------------------------ completions, man, --help

/// The verbs, as `jifen --help` lists them.
fn verbs() -> Vec<String> {
    let help = stdout(&jifen(&["--help"]));
    let list = help.split("Commands:").nth(1).and_then(|s| s.split("\nOptions:").next()).expect("a verb list");
    list.lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|v| *v != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_verb_has_examples_in_its_help() {
    let verbs = verbs();
    for v in ["check", "score", "test", "batch", "gen", "diff", "inputs", "doc", "completions", "man"] {
        assert!(verbs.iter().any(|x| x == v), "`jifen --help` does not list {v}: {verbs:?}");
    }
    for verb in &verbs {
        let help = stdout(&jifen(&[verb, "--help"]));
        assert!(help.contains("\nExamples:\n  jifen"), "`jifen {verb} --help` has no examples:\n{help}");
    }
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = jifen(&["completions", shell]);
        assert!(run.status.success(), "{shell}: {}", String::from_utf8_lossy(&run.stderr));
        let script = stdout(&run);
        for verb in ["check", "score", "doc", "completions", "man"] {
            assert!(script.contains(verb), "the {shell} script does not complete `{verb}`");
        }
    }
    assert_eq!(jifen(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_pages() {
    let page = stdout(&jifen(&["man"]));
    assert!(page.contains(".TH jifen 1"), "{page}");
    assert!(page.contains("Examples:"));
    let dir = scratch("man");
    let run = jifen(&["man", "-o", dir.join("man1").to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let mut written: Vec<String> = std::fs::read_dir(dir.join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    written.sort();
    let mut expected: Vec<String> = verbs().iter().map(|v| format!("jifen-{v}.1")).collect();
    expected.push("jifen.1".to_string());
    expected.sort();
    assert_eq!(written, expected);
    let doc = std::fs::read_to_string(dir.join("man1/jifen-doc.1")).unwrap();
    assert!(doc.contains(".TH jifen-doc 1") && doc.contains("\\-\\-html"), "{doc}");
    let _ = std::fs::remove_dir_all(dir);
}
