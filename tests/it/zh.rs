//! Diagnostics in Chinese (`--lang zh-CN`): every case of the corpus reads in Chinese, and
//! the mistakes of a Chinese keyboard (issue 16) are snapshots in Chinese.
//!
//! The language is a process-wide choice; every test of this binary chooses Chinese, so
//! they may run side by side.

use std::path::Path;

use jifen::i18n::{with_lang, Lang};
use jifen::internals::i18n::{english_residue, translate};
use jifen::FsLoader;

/// Texts that are not words to translate: none so far. A path or a piece of code is
/// already left alone when it stands in backticks or quotes.
const NOT_TRANSLATABLE: &[&str] = &[];

fn corpus_files() -> Vec<String> {
    let mut files = Vec::new();
    let Ok(features) = std::fs::read_dir("tests") else { return files };
    for feature in features.flatten() {
        for folder in ["bad", "good"] {
            let Ok(entries) = std::fs::read_dir(feature.path().join(folder)) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.ends_with(".policy") && !name.starts_with('_') && (folder == "bad" || name.contains("warn")) {
                    files.push(format!("tests/{}/{folder}/{name}", feature.file_name().to_string_lossy()));
                }
            }
        }
    }
    files.sort();
    files
}

/// Why `text` would reach the reader in English, if it would. Names the policy itself
/// declares (`master`, `loyalty`) are the author's words, not English to translate.
fn fallback(text: &str, policy: &str) -> Option<String> {
    if NOT_TRANSLATABLE.contains(&text) {
        return None;
    }
    match translate(text) {
        None => Some(format!("no template matches `{text}`")),
        Some(zh) => {
            let declared =
                |w: &String| policy.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|x| x == w);
            let residue: Vec<String> = english_residue(&zh).into_iter().filter(|w| !declared(w)).collect();
            if english_comma(&zh) {
                return Some(format!("`{text}` → `{zh}` joins a list with `, ` (write `、`)"));
            }
            (!residue.is_empty()).then(|| format!("`{text}` → `{zh}` leaves English: {}", residue.join(" ")))
        }
    }
}

/// Whether Chinese text joins items with the English `, ` outside code and quotes (ASCII
/// brackets are code too: a tuple pattern `(bachelor, false)`, a range `[1, 2)`).
fn english_comma(zh: &str) -> bool {
    let mut plain = String::new();
    let (mut closing, mut depth): (Option<char>, i32) = (None, 0);
    for c in zh.chars() {
        match closing {
            Some(end) if c == end => closing = None,
            Some(_) => {}
            None if c == '`' || c == '"' => closing = Some(c),
            None if c == '(' || c == '[' => depth += 1,
            None if c == ')' || c == ']' => depth -= 1,
            None if depth == 0 => plain.push(c),
            None => {}
        }
    }
    plain.contains(", ")
}

#[test]
fn an_english_comma_outside_code_is_found() {
    assert!(english_comma("可选：a, b"));
    assert!(!english_comma("可选：`min(30, age)`、\"甲, 乙\"、(bachelor, false)"));
}

/// Every message, label and help of every case of the corpus has its Chinese in
/// src/i18n/zh-CN.txt, with no English word (and no list joined with `, `) left outside
/// code and quotes.
#[test]
fn every_corpus_diagnostic_reads_in_chinese() {
    with_lang(Lang::ZhCn, || {
        let files = corpus_files();
        assert!(files.len() > 50, "the corpus is found from the crate root: {files:?}");
        let mut missing = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
            let report = jifen::check_with(file, &text, &FsLoader);
            for d in &report.diagnostics.list {
                let texts = std::iter::once(&d.message)
                    .chain(std::iter::once(&d.primary.message))
                    .chain(d.secondary.iter().map(|l| &l.message))
                    .chain(d.help.iter());
                for t in texts {
                    if let Some(why) = fallback(t, &text) {
                        missing.push(format!("{file} {}: {why}", d.code));
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "add these to src/i18n/zh-CN.txt:\n{}", missing.join("\n"));
    })
}

/// An unknown name with no name close to it: the help says to declare it, in Chinese (the
/// corpus has only names with a suggestion).
#[test]
fn an_unknown_name_without_suggestion_reads_in_chinese() {
    with_lang(Lang::ZhCn, || {
        let text = "policy demo \"示例\" {\n    year      2025\n    effective 2025-01-01\n    standard  0\n}\n\n\
                    input {\n    age: int 16..=70 \"年龄\"\n}\n\n\
                    section basic \"基础指标\" {\n    item age \"年龄\" { min(30, 70 - age) + zzqqxx }\n}\n";
        let report = jifen::check_with("unknown.policy", text, &FsLoader);
        let d = report.diagnostics.list.first().expect("an unknown name is reported");
        assert_eq!(d.code, "E0201");
        for t in [&d.message, &d.primary.message].into_iter().chain(d.help.iter()) {
            assert_eq!(fallback(t, text), None);
        }
    })
}

/// The renderer itself writes Chinese: the message, the label and `提示：` for help.
#[test]
fn the_human_view_is_in_chinese() {
    with_lang(Lang::ZhCn, || {
        let out = render("tests/syntax/bad/fullwidth_comma_in_call.policy");
        assert!(out.contains("全角逗号") && out.contains("提示：把它换成 `,`"), "{out}");
        assert!(!out.contains("help:"), "{out}");
    })
}

fn render(file: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
    jifen::check_with(file, &text, &FsLoader).diagnostics.render_human(false, 100)
}

/// The mistakes of issue 16, as a Chinese reader sees them. Each file's English snapshot is
/// the corpus's; this is the same diagnostic in Chinese.
#[test]
fn chinese_keyboard_mistakes_in_chinese() {
    with_lang(Lang::ZhCn, || {
        for name in [
            "fullwidth_everywhere",
            "fullwidth_colon",
            "fullwidth_comma_in_call",
            "fullwidth_parentheses",
            "chinese_quotes",
            "yuan_in_chinese",
            "chinese_units",
            "thousands_separator",
            "percent_sign",
            "misspelt_unit",
            "chinese_item_id",
            "chinese_name_in_condition",
            "single_equals_in_condition",
            "double_ampersand",
            "or_and_not_symbols",
            "chained_comparison",
            "unclosed_label_quote",
            "unclosed_section_label",
            "missing_brace",
            "missing_closing_brace",
        ] {
            let file = format!("tests/syntax/bad/{name}.policy");
            assert!(Path::new(&file).exists(), "{file}");
            insta::assert_snapshot!(name, render(&file));
        }
    })
}

/// A file saved as GBK (Windows "ANSI"): `年龄` is C4EA C1E4 there.
#[test]
fn a_gbk_file_is_named_in_chinese() {
    with_lang(Lang::ZhCn, || {
        let gbk = b"item age \"\xC4\xEA\xC1\xE4\" {}\n".to_vec();
        let Err(e) = jifen::internals::load::utf8(gbk, "draft.policy") else { panic!("GBK is not UTF-8") };
        insta::assert_snapshot!("gbk_file", jifen::i18n::tr(&e.to_string()));
    })
}
