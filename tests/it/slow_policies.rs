//! Policies built to be slow to check: a `match` with ten thousand arms, a name of tens of
//! thousands of characters. The checker (which the language server runs on every change)
//! must stay near-linear in the size of the file. Each file is generated here.
//!
//! The bounds are generous wall-clock limits for a debug build on a loaded 2-core machine;
//! the work counts behind them are tested exactly in `src/check/matching.rs`.

use std::time::{Duration, Instant};

const HEAD: &str = "policy slow \"慢\" {\n    year      2025\n    effective 2025-01-01\n    standard  1\n}\n";

/// Far above what the fixed checker needs in a debug build (well under a second here), far
/// below what the old one took (17.8 s in a release build for the match below).
const GENEROUS: Duration = Duration::from_secs(8);

fn check(text: &str) -> (jifen::Report, Duration) {
    let start = Instant::now();
    let report = jifen::check_with("slow.policy", text, &jifen::FsLoader);
    (report, start.elapsed())
}

fn codes(report: &jifen::Report) -> Vec<&'static str> {
    report.diagnostics.list.iter().map(|d| d.code.as_str()).collect()
}

/// Two enums of `n` variants and one item matching every pair of them, one arm per pair
/// (`n²` arms), then `extra` catch-all arms after them.
fn pair_match(n: usize, extra: usize) -> String {
    let variants = |prefix: char| (0..n).map(|i| format!("    {prefix}{i}\n")).collect::<String>();
    let mut text = format!("{HEAD}enum A {{\n{}}}\nenum B {{\n{}}}\n", variants('a'), variants('b'));
    text.push_str(
        "input {\n    x: A \"x\"\n    y: B \"y\"\n}\nsection s \"s\" {\n    item m \"m\" {\n        match (x, y) {\n",
    );
    for i in 0..n {
        for j in 0..n {
            text.push_str(&format!("(a{i},b{j})=>1\n"));
        }
    }
    for _ in 0..extra {
        text.push_str("(_,_)=>0\n");
    }
    text.push_str("        }\n    }\n}\n");
    text
}

#[test]
fn a_match_of_ten_thousand_literal_arms_checks_in_linear_time() {
    // 104² = 10816 arms in about 100 KB, as in the attack (10872 arms, 99.5 KB). Each arm
    // names one case, so the arms cover every case exactly once: no diagnostic at all.
    let text = pair_match(104, 0);
    assert!(text.len() > 100_000, "{} bytes", text.len());
    let (report, took) = check(&text);
    assert_eq!(codes(&report), Vec::<&str>::new());
    assert!(took < GENEROUS, "checking took {took:?}");
}

#[test]
fn catch_all_arms_after_full_coverage_are_unreachable_at_no_cost() {
    // 100² cases covered one by one, then 3000 `(_, _)` arms: each is unreachable (W0101),
    // and each would enumerate all 10000 cases if checked naively (30 million steps).
    let text = pair_match(100, 3000);
    let (report, took) = check(&text);
    let codes = codes(&report);
    assert_eq!(codes.len(), 3000, "{:?}", &codes[..codes.len().min(5)]);
    assert!(codes.iter().all(|c| *c == "W0101"), "{:?}", &codes[..5]);
    assert!(took < GENEROUS, "checking took {took:?}");
}

#[test]
fn overlapping_wildcard_arms_past_the_budget_are_refused() {
    // 300 × 300 = 90000 cases, and 2000 arms `(a0, _)`: the first covers a row, the others
    // repeat it. Each costs 300 steps (one row), so 600000 in all: within the budget of a
    // million. With 5000 arms (1.5 million steps) the checker gives up with E0406.
    let arms = |k: usize| {
        let mut text = pair_match(300, 0);
        let start = text.find("(a0,b0)").unwrap_or(0);
        let end = text.rfind("        }").unwrap_or(text.len());
        text.replace_range(start..end, &"(a0,_)=>1\n".repeat(k));
        text.insert_str(text.rfind("        }").unwrap_or(0), "(_,_)=>0\n");
        text
    };
    let (report, took) = check(&arms(2000));
    let found = codes(&report);
    assert_eq!(
        found.len(),
        1999,
        "every repeat of the first arm is unreachable: {:?}",
        report.diagnostics.list.first()
    );
    assert!(found.iter().all(|c| *c == "W0101"));
    assert!(took < GENEROUS, "checking took {took:?}");

    let (report, took) = check(&arms(5000));
    let errors: Vec<&str> = report.diagnostics.list.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect();
    assert_eq!(errors, ["E0406"]);
    assert!(took < GENEROUS, "checking took {took:?}");
}

#[test]
fn an_unknown_name_of_fifty_thousand_characters_gets_no_suggestion() {
    // The attack: did-you-mean compared a 49000-character name with the names in scope
    // (4.75 s); against a declared name as long, one comparison is 49000² steps (minutes).
    // Names over 64 characters are not compared at all now.
    let long = "a".repeat(49_000);
    let inputs: String = (0..200).map(|i| format!("    n{i}: int 0..=10 \"n\"\n")).collect();
    let text = format!(
        "{HEAD}input {{\n{inputs}    {long}b: int 0..=10\n}}\nsection s \"s\" {{\n    item a \"a\" {{ when {long}c > 1 => 1 else => {long}b }}\n}}\n"
    );
    let (report, took) = check(&text);
    let unknown = report.diagnostics.list.iter().find(|d| d.code == "E0201").expect("an unknown name");
    let help = unknown.help.as_deref().unwrap_or("");
    assert!(!help.contains("did you mean"), "no suggestion for a name this long: {help}");
    assert!(took < GENEROUS, "checking took {took:?}");
}

#[test]
fn thousands_of_unknown_names_among_a_thousand_inputs() {
    // 3500 items each reading an unknown name `nKx`, 1000 inputs `nK`: 3.5 million pairs to
    // consider for suggestions (4.5 s in a debug build when each pair was compared, 1.6 s
    // now). Names that share too few characters to score are passed over without comparing,
    // and the policy's budget for suggestions bounds the rest.
    let inputs: String = (0..1000).map(|i| format!("    n{i}: int 0..=10\n")).collect();
    let items: String = (0..3500).map(|i| format!("item a{i} \"a\" {{ n{i}x }}\n")).collect();
    let text = format!("{HEAD}input {{\n{inputs}}}\nsection s \"s\" {{\n{items}}}\n");
    assert!(text.len() > 100_000);
    let (report, took) = check(&text);
    let unknown: Vec<&jifen::Diagnostic> = report.diagnostics.list.iter().filter(|d| d.code == "E0201").collect();
    assert_eq!(unknown.len(), 3500);
    // `n7x` is one edit from `n7` (and scores highest); `n1234x` has no input `n1234`.
    assert_eq!(unknown[7].help.as_deref(), Some("did you mean `n7`?"));
    assert!(took < GENEROUS, "checking took {took:?}");
}

/// Nested calls, `max(max(max(…), 1), 1)`, and nested matches over parenthesised subjects,
/// `match (match (… ) { … }) { … }`: each level was read twice (once as an aggregate or a
/// pair, once as a call or a value), 2ⁿ readings for n levels. 22 levels took minutes, the
/// mangled policy the parse fuzzer found (tests/it/fuzz_regressions.rs) seven seconds. Now
/// each level is read once.
#[test]
fn nested_calls_and_nested_match_subjects_parse_in_linear_time() {
    let depth = 40;
    let mut call = "1".to_string();
    let mut matched = "x".to_string();
    let mut pairs = "x".to_string();
    for _ in 0..depth {
        call = format!("max({call}, 1)");
        matched = format!("match ({matched}) {{ _ => true }}");
        pairs = format!("match ({pairs}, f) {{ (_, _) => true }}");
    }
    let body = |e: &str| {
        format!("{HEAD}input {{\n    x: bool \"x\"\n    f: bool \"f\"\n}}\nsection s \"s\" {{\n    item a \"a\" {{ when {e} => 1 else => 0 }}\n}}\n")
    };
    for (what, text) in [("calls", body(&format!("{call} > 0"))), ("matches", body(&matched)), ("pairs", body(&pairs))]
    {
        let (report, took) = check(&text);
        assert!(took < GENEROUS, "{depth} nested {what} took {took:?}");
        assert!(!codes(&report).contains(&"E0101"), "{what}: {:?}", codes(&report));
    }
}

/// `(a, b)` is a pair only as a match's subject; elsewhere it is one syntax error.
#[test]
fn a_pair_outside_a_match_subject_is_one_syntax_error() {
    let text = format!("{HEAD}input {{\n    a: int \"a\"\n}}\nsection s \"s\" {{\n    item i \"i\" {{ (a, 1) }}\n}}\n");
    let (report, _) = check(&text);
    let messages: Vec<&str> = report.diagnostics.list.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, ["a list in parentheses is only a match's subject"]);
}
