//! Limits and hostile policy text: every input ends in a clear coded diagnostic or is
//! accepted — never a stack overflow, a panic or a hang. The limits are documented in
//! docs/language.md, "Limits".

use crate::common::BIN;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use jifen::syntax::{MAX_COUNT, MAX_EXPR_DEPTH};

const HEAD: &str = "policy limits \"界限\" {\n    year      2025\n    effective 2025-01-01\n    standard  120\n}\n\
input {\n    x: int 0..=10 \"x\"\n    b: bool = false \"b\"\n}\n";

/// A policy whose one item has `body` as its rule, after the declarations `before`.
fn policy(before: &str, body: &str) -> String {
    format!("{HEAD}{before}section s \"s\" {{\n    item a \"a\" {{\n        {body}\n    }}\n}}\n")
}

/// The codes of the errors found in `text`.
fn error_codes(text: &str) -> Vec<&'static str> {
    let report = jifen::check_with("limits.policy", text, &jifen::FsLoader);
    report.diagnostics.list.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect()
}

/// Checks `text` on a thread with the 2 MiB stack of a test or a rayon worker, so that a
/// recursion the limits miss fails here rather than only on a smaller machine.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap()
}

fn assert_too_deep(text: String) {
    let codes = on_small_stack(move || error_codes(&text));
    assert_eq!(codes, ["E0407"], "one E0407 and nothing else");
}

// ---------------------------------------------------------------- deep expressions

#[test]
fn hundred_thousand_nested_parentheses_are_too_deep() {
    let n = 100_000;
    assert_too_deep(policy("", &format!("{}x{}", "(".repeat(n), ")".repeat(n))));
}

#[test]
fn hundred_thousand_prefix_minus_signs_are_too_deep() {
    assert_too_deep(policy("", &format!("max(0, {}x)", "- ".repeat(100_000))));
}

#[test]
fn hundred_thousand_nots_are_too_deep() {
    assert_too_deep(policy("", &format!("when {}b => 1 else => 0", "not ".repeat(100_000))));
}

#[test]
fn prefix_operators_between_infix_ones_are_too_deep() {
    // Each `-` opens a new level of pest's Pratt parser although no two are adjacent.
    assert_too_deep(policy("", &format!("max(0, {}x)", "- x ?? ".repeat(50_000))));
}

#[test]
fn hundred_thousand_term_sum_is_too_deep() {
    assert_too_deep(policy("", &vec!["1"; 100_000].join(" + ")));
}

#[test]
fn ten_thousand_whens_nested_in_else_arms_are_too_deep() {
    assert_too_deep(policy("", &format!("{}0", "when b => 1 else => ".repeat(10_000))));
}

#[test]
fn ten_thousand_whens_nested_in_arms_are_too_deep() {
    let n = 10_000;
    assert_too_deep(policy("", &format!("{}0{}", "when b => ".repeat(n), " else => 0".repeat(n))));
}

#[test]
fn ten_thousand_matches_nested_in_their_scrutinee_are_too_deep() {
    // `match match x { … } { … }` nests without a bracket around the inner match.
    let n = 10_000;
    assert_too_deep(policy("", &format!("{}x{}", "match ".repeat(n), " { _ => 1 }".repeat(n))));
}

#[test]
fn whens_nested_after_names_that_are_also_words_of_the_language_are_too_deep() {
    // `plan` and `deduction` start declarations but may be names too.
    let before = "input {\n    plan: int 0..=9 \"p\"\n    deduction: int 0..=9 \"d\"\n}\n";
    let n = 10_000;
    let body = format!("{}1{}", "when b => plan + deduction + ".repeat(n), " else => 0".repeat(n));
    assert_too_deep(policy(before, &body));
}

#[test]
fn whens_nested_at_the_limit_inside_brackets_at_the_limit_do_not_overflow_the_stack() {
    // The deepest the parser can be sent before the scan stops it: 128 nested `when`s,
    // each arm in 64 brackets (the item's own braces are two of them). Nothing may
    // crash; the expression tree is too deep, so E0407.
    let n = jifen::syntax::MAX_WHEN_NESTING;
    let open = "(".repeat(jifen::syntax::MAX_NESTING - 2);
    let close = ")".repeat(jifen::syntax::MAX_NESTING - 2);
    let body = format!("{open}{}1{}{close}", "when b => ".repeat(n), " else => 0".repeat(n));
    assert_too_deep(policy("", &body));
    // And one `when` more is stopped before parsing, at that `when`.
    let body = format!("{}1{}", "when b => ".repeat(n + 1), " else => 0".repeat(n + 1));
    let report = jifen::check_with("limits.policy", &policy("", &body), &jifen::FsLoader);
    let [d] = report.diagnostics.list.as_slice() else { panic!("one diagnostic: {:?}", report.diagnostics.list) };
    assert_eq!(d.code, "E0407");
    assert_eq!(d.message, format!("`when` and `match` nested more than {n} deep"));
}

#[test]
fn a_when_with_many_arms_and_many_items_with_whens_are_not_nesting() {
    // The scan that bounds nesting counts a `when` after an operand as the next arm, and
    // forgets an item's `when`s at its closing brace: neither adds up to a false limit.
    let arms: String = (0..500).map(|k| format!("when x == {} => {k} ", k % 11)).collect();
    let items: String = (0..300)
        .map(|k| format!("    item i{k} \"i\" {{\n        when b => 1 else => when x > 3 => 2 else => 0\n    }}\n"))
        .collect();
    let text = format!("{HEAD}section s \"s\" {{\n    item a \"a\" {{\n        {arms}else => 0\n    }}\n{items}}}\n");
    assert_eq!(on_small_stack(move || error_codes(&text)), Vec::<&str>::new());
}

#[test]
fn too_deep_is_reported_once_with_help() {
    let report = jifen::check_with("limits.policy", &policy("", &vec!["1"; 5_000].join(" + ")), &jifen::FsLoader);
    let [d] = report.diagnostics.list.as_slice() else { panic!("one diagnostic: {:?}", report.diagnostics.list) };
    assert_eq!(d.code, "E0407");
    assert_eq!(d.message, format!("expression nested more than {MAX_EXPR_DEPTH} deep"));
    assert!(d.help.as_deref().is_some_and(|h| h.contains("`let`")), "{:?}", d.help);
}

#[test]
fn a_policy_at_the_depth_limit_compiles_and_evaluates_on_a_small_stack() {
    let n = MAX_EXPR_DEPTH;
    let shapes = [
        // Each is exactly MAX_EXPR_DEPTH deep.
        ("sum", vec!["x"; n].join(" + ")),
        ("minus", format!("max(0, {}x)", "- ".repeat(n - 2))),
        ("when in arms", format!("{}1{}", "when b => ".repeat(n - 1), " else => 0".repeat(n - 1))),
        ("when in else", format!("{}1", "when b => 1 else => ".repeat(n - 1))),
    ];
    for (shape, body) in shapes {
        let text = policy("", &body);
        let total = on_small_stack(move || {
            let ruleset = jifen::compile("limits.policy", &text).map_err(|d| d.to_string())?;
            let applicant = ruleset.applicant_from_json(r#"{"x": 3, "b": true}"#).map_err(|e| e.to_string())?;
            let outcome = ruleset.evaluate(&applicant).map_err(|e| e.to_string())?;
            Ok::<i64, String>(outcome.total)
        });
        assert!(total.is_ok(), "{shape}: {total:?}");
        let deeper = policy("", &format!("({body}) + 1"));
        assert_eq!(on_small_stack(move || error_codes(&deeper)), ["E0407"], "{shape}, one level more");
    }
}

#[test]
fn a_chain_of_lets_deeper_than_the_limit_is_too_deep() {
    // Each `let` is copied where it is used: l2000 would be 2000 levels deep.
    let mut lets = String::from("let l0 = x\n");
    for i in 1..2000 {
        lets.push_str(&format!("let l{i} = l{} + 1\n", i - 1));
    }
    let text = policy(&lets, "l1999");
    let report = on_small_stack(move || jifen::check_with("limits.policy", &text, &jifen::FsLoader));
    let errors: Vec<_> = report.diagnostics.list.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "E0407");
    assert!(errors[0].message.contains("once its `let`s are substituted"), "{}", errors[0].message);
}

#[test]
fn lets_that_double_at_each_step_are_too_large_not_a_hang() {
    // l39 would have 2^40 nodes.
    let mut lets = String::from("let l0 = x\n");
    for i in 1..40 {
        lets.push_str(&format!("let l{i} = l{0} + l{0}\n", i - 1));
    }
    let start = Instant::now();
    let report = jifen::check_with("limits.policy", &policy(&lets, "l39"), &jifen::FsLoader);
    assert!(start.elapsed() < Duration::from_secs(60), "took {:?}", start.elapsed());
    let errors: Vec<_> = report.diagnostics.list.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "E0407");
    assert!(errors[0].message.contains("expression nodes"), "{}", errors[0].message);
}

#[test]
fn a_let_used_at_the_limit_is_accepted() {
    // l254 is 255 levels deep; used alone it stands at the top of the item's rule.
    let mut lets = String::from("let l0 = x\n");
    for i in 1..MAX_EXPR_DEPTH - 1 {
        lets.push_str(&format!("let l{i} = l{} + 1\n", i - 1));
    }
    let last = MAX_EXPR_DEPTH - 2;
    let text = policy(&lets, &format!("l{last}"));
    let codes = on_small_stack(move || error_codes(&text));
    assert_eq!(codes, Vec::<&str>::new());
    let text = policy(&lets, &format!("l{last} + l{last}"));
    assert!(on_small_stack(move || error_codes(&text)).is_empty(), "one level more is still within the limit");
    let text = policy(&lets, &format!("(l{last} + 1) + 1"));
    assert_eq!(on_small_stack(move || error_codes(&text)), ["E0407"]);
}

// ---------------------------------------------------------------- size

/// A file of `n` sections of 50 items, each with a doc comment, a precondition, a `when`
/// of four arms and a cap.
fn many_items(sections: usize, doc: &str) -> String {
    let mut text = String::from(HEAD);
    for s in 0..sections {
        text.push_str(&format!("section s{s} \"section {s}\" {{\n"));
        for i in 0..50 {
            text.push_str(&format!(
                "    /// {doc} {s}.{i}\n    item i{s}_{i} \"item {s} {i}\" {{\n        requires b or x >= 1 \"needs b\"\n        \
                 when b and x > {} => {} when x == 3 => 2 when x == 4 => 3 else => 1\n        cap 5\n    }}\n",
                i % 10,
                i % 7
            ));
        }
        text.push_str("}\n");
    }
    text
}

#[test]
fn a_twenty_megabyte_policy_checks_in_linear_time() {
    // 62,500 items, 53,750 of which draw a warning: rendering is measured too.
    let text = many_items(1250, &"每满1年积3分, a long doc comment to make the file large. ".repeat(3));
    assert!(text.len() > 20_000_000, "{} bytes", text.len());
    let dir = temp_dir();
    let file = dir.join("huge.policy");
    std::fs::write(&file, &text).unwrap();
    let start = Instant::now();
    let out = jifen(&["check", file.to_str().unwrap()], None);
    let took = start.elapsed();
    // A quadratic step (once: miette reading each excerpt from the start of the file)
    // takes hours here; linear work takes well under a minute even unoptimised.
    assert!(took < Duration::from_secs(300), "took {took:?}");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Diagnostics and the summary go to stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("");
    assert!(last.ends_with("huge.policy: ok (0 error(s), 53750 warning(s))"), "{last}");
}

#[test]
fn a_large_file_full_of_syntax_errors_reports_the_first_fifty_quickly() {
    // Each pest error scans the rest of the file: reporting all 200,000 would be quadratic.
    let broken: String =
        (0..200_000).map(|i| format!("section s{i} \"s\" {{\n    item a{i} \"a\" {{ x + }}\n}}\n")).collect();
    let text = format!("{HEAD}{broken}");
    let start = Instant::now();
    let report = jifen::check_with("limits.policy", &text, &jifen::FsLoader);
    assert!(start.elapsed() < Duration::from_secs(60), "took {:?}", start.elapsed());
    let list = &report.diagnostics.list;
    assert_eq!(list.len(), jifen::syntax::MAX_SYNTAX_ERRORS);
    assert!(list.iter().all(|d| d.code == "E0101"));
    let help = list[list.len() - 1].help.as_deref().unwrap_or("");
    assert!(help.ends_with("(syntax errors after the first 50 are not reported)"), "{help}");
}

#[test]
fn more_items_than_can_be_numbered_is_a_coded_error() {
    let mut text = String::from(HEAD);
    text.push_str("section s \"s\" {\n");
    for i in 0..=MAX_COUNT {
        text.push_str(&format!("item i{i} \"i\" {{ 1 }}\n"));
    }
    text.push_str("}\n");
    let report = jifen::check_with("limits.policy", &text, &jifen::FsLoader);
    let errors: Vec<_> = report.diagnostics.list.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "E0408");
    assert_eq!(errors[0].message, format!("more than {MAX_COUNT} items in one policy"));
    assert_eq!(report.diagnostics.sources.slice(errors[0].primary.span), format!("i{MAX_COUNT}"));
}

#[test]
fn an_enum_with_too_many_variants_is_a_coded_error() {
    let variants: Vec<String> = (0..=MAX_COUNT).map(|i| format!("v{i}")).collect();
    let text = policy(&format!("enum Big {{ {} }}\n", variants.join(", ")), "1");
    assert_eq!(error_codes(&text), ["E0408"]);
}

#[test]
fn a_when_with_too_many_arms_is_a_coded_error() {
    let text = policy("", &format!("{}else => 0", "when x == 1 => 1 ".repeat(MAX_COUNT + 1)));
    assert_eq!(error_codes(&text), ["E0408"]);
}

#[test]
fn a_very_long_line_and_a_very_long_name_are_accepted() {
    let label = "长".repeat(1_000_000);
    let text = format!(
        "{HEAD}section s \"s\" {{\n    item {} \"{label}\" {{ x + {}1 }}\n}}\n",
        "n".repeat(1_000_000),
        " ".repeat(1_000_000)
    );
    let report = jifen::check_with("limits.policy", &text, &jifen::FsLoader);
    assert!(report.ruleset.is_some(), "{}", report.diagnostics);
    let ruleset = report.ruleset.unwrap();
    assert_eq!(ruleset.items()[0].id.len(), 1_000_000);
    assert_eq!(ruleset.items()[0].label.chars().count(), 1_000_000);
}

#[test]
fn a_diagnostic_on_a_very_long_line_shows_an_excerpt_of_it() {
    let text = policy("", &format!("x +{}y", " ".repeat(3_000_000)));
    let report = jifen::check_with("limits.policy", &text, &jifen::FsLoader);
    let json = report.diagnostics.to_json();
    assert_eq!((json[0].code.as_str(), json[0].line, json[0].column), ("E0201", 12, 3_000_012));
    let rendered = report.diagnostics.render_human(false, 100);
    assert!(rendered.contains("unknown name `y`"), "{rendered}");
    assert!(rendered.contains("limits.policy:12:3000012"), "{}", &rendered[..rendered.len().min(400)]);
    assert!(rendered.len() < 20_000, "the excerpt is cut: {} bytes", rendered.len());
}

#[test]
fn many_diagnostics_on_one_long_line_render_in_linear_time() {
    // 20,000 items on one line, each with an unknown name.
    let items: String = (0..20_000).map(|i| format!("item i{i} \"i\" {{ nope{i} }} ")).collect();
    let text = format!("{HEAD}section s \"s\" {{ {items} }}\n");
    let report = jifen::check_with("limits.policy", &text, &jifen::FsLoader);
    assert_eq!(report.diagnostics.error_count(), 20_000);
    let start = Instant::now();
    let rendered = report.diagnostics.render_human(false, 100);
    let json = report.diagnostics.to_json();
    assert!(start.elapsed() < Duration::from_secs(120), "took {:?}", start.elapsed());
    assert!(rendered.contains("unknown name `nope19999`"));
    assert_eq!(json[19_999].line, 10);
}

// ---------------------------------------------------------------- numbers

#[test]
fn numbers_that_do_not_fit_are_e0103() {
    let cases = [
        ("whole number beyond i64", policy("", "x + 9223372036854775808")),
        ("huge whole number", policy("", "x + 99999999999999999999999")),
        ("decimal beyond 28 digits", policy("", "floor(x + 123456789012345678901234567890.5)")),
        ("parameter", policy("param p = 99999999999999999999999 yuan\n", "x")),
        ("range bound", policy("", "x").replace("0..=10", "0..=99999999999999999999999999999999")),
        ("standard", policy("", "x").replace("standard  120", "standard  99999999999999999999999")),
        ("year", policy("", "x").replace("year      2025", "year      99999999999999999999999")),
        (
            "test fact",
            policy("", "x") + "test \"t\" {\n    given { x: 99999999999999999999999 }\n    expect total = 1\n}\n",
        ),
    ];
    for (what, text) in cases {
        assert_eq!(error_codes(&text), ["E0103"], "{what}");
    }
    // Decimal places past the 28th are rounded, not an error.
    assert!(error_codes(&policy("", "floor(x + 1.12345678901234567890123456789012345)")).is_empty());
    // i64::MAX itself fits.
    assert!(error_codes(&policy("", "min(x, 9223372036854775807)")).is_empty());
}

// ---------------------------------------------------------------- file forms

#[test]
fn an_empty_file_says_a_policy_starts_with_its_header() {
    let report = jifen::check_with("limits.policy", "", &jifen::FsLoader);
    let [d] = report.diagnostics.list.as_slice() else { panic!("{:?}", report.diagnostics.list) };
    assert_eq!(d.code, "E0101");
    assert!(d.message.contains("the `policy` header"), "{}", d.message);
    assert!(d.help.as_deref().is_some_and(|h| h.contains("policy NAME")), "{:?}", d.help);
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let text = policy("", "x");
    let with_bom = format!("\u{feff}{text}");
    let plain = jifen::compile("limits.policy", &text).unwrap();
    let marked = jifen::compile("limits.policy", &with_bom).unwrap();
    assert_eq!(plain.items(), marked.items());
    // Spans stay on the right line and column after the mark.
    let report = jifen::check_with("limits.policy", &format!("\u{feff}{}", policy("", "x + y")), &jifen::FsLoader);
    let json = report.diagnostics.to_json();
    assert_eq!((json[0].line, json[0].column), (12, 13));
}

#[test]
fn crlf_line_ends_keep_lines_and_columns() {
    let text = policy("", "x + y").replace('\n', "\r\n");
    let report = jifen::check_with("limits.policy", &text, &jifen::FsLoader);
    let json = report.diagnostics.to_json();
    assert_eq!(json.len(), 1, "{json:?}");
    assert_eq!((json[0].code.as_str(), json[0].line, json[0].column), ("E0201", 12, 13));
    assert_eq!((json[0].end_line, json[0].end_column), (12, 14));
    // The human view points at the same place and shows the line without its `\r`.
    let rendered = report.diagnostics.render_human(false, 100);
    assert!(rendered.contains("limits.policy:12:13"), "{rendered}");
    assert!(rendered.contains(" 12 │         x + y\n"), "{rendered}");
    assert!(!rendered.contains('\r'), "{rendered:?}");
    // A CRLF policy compiles to the same rules as an LF one.
    let lf = jifen::compile("limits.policy", &policy("", "x")).unwrap();
    let crlf = jifen::compile("limits.policy", &policy("", "x").replace('\n', "\r\n")).unwrap();
    assert_eq!(lf.items(), crlf.items());
}

#[test]
fn crlf_syntax_errors_point_at_the_right_column() {
    let text = policy("", "x +").replace('\n', "\r\n");
    let report = jifen::check_with("limits.policy", &text, &jifen::FsLoader);
    let json = report.diagnostics.to_json();
    assert_eq!(json[0].code, "E0101");
    assert_eq!((json[0].line, json[0].column), (13, 5), "{json:?}");
}

#[test]
fn invalid_utf8_is_reported_by_the_cli_with_exit_4() {
    let dir = temp_dir();
    let file = dir.join("bad.policy");
    let mut bytes = policy("", "x").into_bytes();
    bytes.extend_from_slice(b"// \xff\xfe\n");
    std::fs::write(&file, bytes).unwrap();
    for args in [vec!["check"], vec!["score", "--policy"]] {
        let mut args = args.clone();
        args.push(file.to_str().unwrap());
        if args[0] == "score" {
            args.push("-");
        }
        let out = jifen(&args, Some(b"{}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {stderr}");
        assert!(stderr.contains("not valid UTF-8"), "{args:?}: {stderr}");
    }
}

// ---------------------------------------------------------------- internal errors

#[test]
fn a_panic_is_reported_as_a_bug_with_exit_70() {
    let out = Command::new(BIN)
        .args(["check", "policies/2025.policy"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("JIFEN_TEST_INTERNAL_ERROR", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(70), "{stderr}");
    assert!(stderr.starts_with("internal error: "), "{stderr}");
    assert!(stderr.contains("this is a bug in jifen; please report it with the command you ran and the input files"));
    assert!(!stderr.contains("panicked at") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
}

#[test]
fn a_bug_in_the_middle_of_a_batch_leaves_no_output_file_behind() {
    let dir = temp_dir();
    let input = dir.join("people.jsonl");
    let generated = Command::new(BIN).args(["gen", "--count", "100", "-o"]).arg(&input).output().unwrap();
    assert!(generated.status.success());
    let out = Command::new(BIN)
        .arg("batch")
        .arg(&input)
        .arg("-o")
        .arg(dir.join("scores.csv"))
        .env("JIFEN_TEST_INTERNAL_ERROR", "batch")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(70), "{stderr}");
    assert!(stderr.starts_with("internal error: JIFEN_TEST_INTERNAL_ERROR is batch"), "{stderr}");
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    left.sort();
    assert_eq!(left, ["people.jsonl"], "neither scores.csv nor its temporary file may remain");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- helpers

fn jifen(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// A fresh folder under the system's temporary folder.
fn temp_dir() -> PathBuf {
    crate::common::temp_dir("limits")
}
