//! Every policy example in the documentation compiles, and the shown output of `jifen check`
//! and `jifen test` on those examples is what the library gives (docs/testing.md, "Examples in
//! the documentation", describes the markings).
//!
//! - ```` ```jifen ```` is a complete policy: it must check without errors.
//! - ```` ```jifen,fails=E0302 ```` must fail, and its errors must all have that code.
//! - ```` ```jifen,warns=W0103 ```` must check without errors and give that warning.
//! - ```` ```jifen,name=small.policy ```` names the block, so that a later block may
//!   `extends "small"` and a ```` ```console ```` block may run `jifen check small.policy`.
//! - ```` ```jifen,tests=fail ```` compiles, and one of its tests must fail (an example of a
//!   failing test); otherwise every test of a block must pass.
//! - ```` ```jifen,prelude ```` is prepended (with a blank line) to every later block of the
//!   same page that has no header of its own.
//! - ```` ```jifen,fragment ```` is part of a policy, shown for its shape: not compiled
//!   (with `name=`, a file a later block extends or a console block checks).
//!
//! A ```` ```console ```` block whose commands are `$ jifen check F` and/or `$ jifen test F`
//! (joined by `&&`), F being a named block or a file of the repository, must show exactly
//! the diagnostics, summary and test report the library gives (`NO_COLOR`, 100 columns).
//!
//! `extends` of a repository file is resolved by `FsLoader` against the crate root, where
//! `cargo test` runs integration tests (as in `tests/it/corpus.rs`).

use crate::common::ROOT;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jifen::{FsLoader, Loader};

#[derive(Debug)]
struct Block {
    info: String,
    text: String,
    line: usize,
}

/// The fenced blocks of a Markdown page, with their info strings and first lines.
fn blocks(page: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(String, String, usize, usize)> = None; // info, text, line, fence length
    for (n, line) in page.lines().enumerate() {
        let trimmed = line.trim_start();
        let fence = trimmed.len() - trimmed.trim_start_matches('`').len();
        match &mut open {
            None if fence >= 3 => open = Some((trimmed[fence..].trim().to_string(), String::new(), n + 1, fence)),
            Some((_, _, _, len)) if fence >= *len && trimmed[fence..].trim().is_empty() => {
                if let Some((info, text, line, _)) = open.take() {
                    out.push(Block { info, text, line });
                }
            }
            Some((_, text, _, _)) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    out
}

/// `jifen,fails=E0302,name=x.policy` → the language and its options.
fn options(info: &str) -> (&str, HashMap<&str, &str>) {
    let mut parts = info.split(',').map(str::trim);
    let lang = parts.next().unwrap_or_default();
    let opts = parts.map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
    (lang, opts)
}

fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> =
            std::fs::read_dir(dir).expect("docs/ is readable").flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = vec![Path::new(ROOT).join("README.md")];
    walk(&Path::new(ROOT).join("docs"), &mut out);
    out
}

/// Named blocks of the page first, then the repository (relative to its root).
struct DocLoader<'a> {
    named: &'a HashMap<String, String>,
}

impl Loader for DocLoader<'_> {
    fn load(&self, from: &str, target: &str) -> Result<(String, String), String> {
        let file = jifen::extends_path(from, target).to_string_lossy().replace('\\', "/");
        match self.named.get(&file) {
            Some(text) => Ok((file, text.clone())),
            None => FsLoader.load(from, target),
        }
    }
}

fn has_header(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("//"))
        .is_some_and(|l| l.starts_with("policy "))
}

#[test]
fn every_example_in_the_docs_is_checked() {
    let mut failures = Vec::new();
    let mut compiled = 0;
    let mut consoles = 0;
    for page in pages() {
        let shown = page.strip_prefix(ROOT).unwrap_or(&page).to_string_lossy().trim_start_matches('/').to_string();
        let text = std::fs::read_to_string(&page).expect("page is readable");
        let mut prelude: Option<String> = None;
        let mut named: HashMap<String, String> = HashMap::new();
        for block in blocks(&text) {
            let (lang, opts) = options(&block.info);
            let at = format!("{shown}:{}", block.line);
            if lang == "console" {
                if let Some(problem) = check_console(&block.text, &named) {
                    failures.push(format!("{at}: {problem}"));
                }
                consoles += block.text.lines().any(|l| l.starts_with("$ jifen check") || l.starts_with("$ jifen test"))
                    as usize;
                continue;
            }
            if lang != "jifen" {
                continue;
            }
            for key in opts.keys() {
                if !["fails", "warns", "name", "prelude", "fragment", "tests"].contains(key) {
                    failures.push(format!("{at}: unknown marking `{key}` (see docs/testing.md)"));
                }
            }
            if opts.contains_key("prelude") {
                prelude = Some(block.text.clone());
                continue;
            }
            let source = match &prelude {
                Some(head) if !has_header(&block.text) => format!("{head}\n{}", block.text),
                _ => block.text.clone(),
            };
            let name = opts.get("name").map(|n| n.to_string()).unwrap_or_else(|| format!("doc-{}.policy", block.line));
            named.insert(name.clone(), source.clone());
            if opts.contains_key("fragment") {
                continue;
            }
            let report = jifen::check_with(&name, &source, &DocLoader { named: &named });
            compiled += 1;
            let errors: Vec<&str> =
                report.diagnostics.list.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect();
            let rendered = || report.diagnostics.render_human(false, 100);
            match opts.get("fails") {
                Some(code) if errors.is_empty() || errors.iter().any(|e| e != code) => {
                    failures.push(format!("{at}: marked fails={code}, gave {errors:?}:\n{}", rendered()))
                }
                None if !errors.is_empty() => failures.push(format!("{at}: does not compile:\n{}", rendered())),
                _ => {}
            }
            if let Some(code) = opts.get("warns") {
                if !report.diagnostics.list.iter().any(|d| d.code == *code) {
                    failures.push(format!("{at}: marked warns={code}, gave:\n{}", rendered()));
                }
            }
            let expect_failing = opts.get("tests") == Some(&"fail");
            if let Some(ruleset) = &report.ruleset {
                let results = ruleset.run_tests(None);
                if expect_failing && results.iter().all(|r| r.passed) {
                    failures.push(format!("{at}: marked tests=fail, but every test passes"));
                }
                for result in results.iter().filter(|r| !r.passed && !expect_failing) {
                    failures.push(format!(
                        "{at}: test {:?} fails: {:?} {:?}",
                        result.name, result.mismatches, result.error
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} example(s) in the docs are wrong:\n\n{}", failures.len(), failures.join("\n\n"));
    // The walk found the examples at all (a changed fence syntax would check nothing).
    assert!(compiled >= 60, "only {compiled} policy examples found");
    assert!(consoles >= 50, "only {consoles} console blocks found");
}

/// What `jifen check F` and `jifen test F` print (without colour, 100 columns) when F is a
/// named block of the page or a file of the repository; `None` when the block shows that, or
/// runs something this test does not reproduce.
fn check_console(block: &str, named: &HashMap<String, String>) -> Option<String> {
    let first = block.lines().next()?.strip_prefix("$ ")?;
    let mut expected = String::new();
    let mut check_failed = false;
    for command in first.split("&&").map(str::trim) {
        let words: Vec<&str> = command.split_whitespace().collect();
        let (verb, file) = match words.as_slice() {
            ["jifen", verb @ ("check" | "test"), file] if file.ends_with(".policy") => (*verb, *file),
            _ => return None,
        };
        let source = match named.get(file) {
            Some(text) => text.clone(),
            None => std::fs::read_to_string(Path::new(ROOT).join(file)).ok()?,
        };
        let report = jifen::check_with(file, &source, &DocLoader { named });
        if verb == "check" {
            let d = &report.diagnostics;
            if !d.list.is_empty() {
                expected.push_str(&d.render_human(false, 100));
            }
            let status = if d.has_errors() { "FAILED" } else { "ok" };
            expected.push_str(&format!(
                "{file}: {status} ({} error(s), {} warning(s))\n",
                d.error_count(),
                d.warning_count()
            ));
            check_failed = d.has_errors();
        } else if !check_failed {
            let ruleset = report.ruleset.as_ref()?;
            let results = ruleset.run_tests(None);
            if results.iter().any(|r| !r.passed) {
                return None; // failure reports carry more detail: shown by tests/it/cli.rs
            }
            expected.push_str(&format!("{file}\n"));
            for r in &results {
                expected.push_str(&format!("  ok     {}\n", r.name));
            }
            expected.push_str(&format!("\n{} passed, 0 failed\n", results.len()));
        }
    }
    let shown: String = block.lines().skip(1).map(|l| format!("{}\n", l.trim_end())).collect();
    let want: String = expected.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    (shown.trim() != want.trim())
        .then(|| format!("shown output differs from what the library gives; it should be:\n{want}"))
}
