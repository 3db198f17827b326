//! The diagnostic corpus, by language feature.
//!
//! - `tests/<feature>/good/*.policy` must check clean: no error, and no warning unless
//!   the file's name says `warn` (then it must warn, and its warnings are a snapshot).
//!   The `test` blocks of a good file must pass.
//! - `tests/<feature>/bad/*.policy` must fail; the rendered diagnostics are a snapshot,
//!   and every diagnostic carries a code and a help line.
//! - Files whose name starts with `_` are helpers (the parents named by `extends`): they
//!   must check clean and are not cases of their own.
//!
//! Names are relative to the crate root (`tests/syntax/bad/missing_brace.policy`), so the
//! snapshots do not depend on where the repository is checked out; `extends` is resolved
//! by `FsLoader` against that name, which works because `cargo test` runs integration
//! tests from the crate root.

use std::path::Path;

use jifen::{Diagnostics, FsLoader};

#[test]
fn corpus() {
    insta::glob!("..", "*/{good,bad}/*.policy", check_case);
}

fn check_case(path: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let relative = path.strip_prefix(&root).unwrap_or(path);
    let name = relative.to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    let report = jifen::check_with(&name, &text, &FsLoader);
    let diagnostics = &report.diagnostics;
    let rendered = diagnostics.render_human(false, 100);

    let file_name = relative.file_name().and_then(|f| f.to_str()).unwrap_or_default();
    let folder = relative.parent().and_then(|p| p.file_name()).and_then(|f| f.to_str()).unwrap_or_default();
    if file_name.starts_with('_') {
        assert!(diagnostics.list.is_empty(), "helper {name} must check clean:\n{rendered}");
        return;
    }
    match folder {
        "good" => {
            assert!(!diagnostics.has_errors(), "{name} must check without errors:\n{rendered}");
            if file_name.contains("warn") {
                assert!(diagnostics.warning_count() > 0, "{name} says `warn` but gives no warning");
                assert!(rendered.contains("W0"), "{name}: no warning code in\n{rendered}");
                assert_every_diagnostic_helps(&name, diagnostics, &rendered);
                insta::assert_snapshot!("diagnostics", rendered);
            } else {
                assert!(diagnostics.list.is_empty(), "{name} must check without warnings:\n{rendered}");
            }
            let ruleset =
                report.ruleset.as_ref().unwrap_or_else(|| panic!("{name} checked clean but gave no rule set"));
            for result in ruleset.run_tests(None) {
                assert!(
                    result.passed,
                    "{name}: test {:?} failed: {:?} {:?}",
                    result.name, result.mismatches, result.error
                );
            }
        }
        "bad" => {
            assert!(diagnostics.has_errors(), "{name} must fail to check, but gave:\n{rendered}");
            assert!(report.ruleset.is_none(), "{name} failed but still gave a rule set");
            assert!(rendered.contains("E0"), "{name}: no error code in\n{rendered}");
            assert_every_diagnostic_helps(&name, diagnostics, &rendered);
            insta::assert_snapshot!("diagnostics", rendered);
        }
        other => panic!("{name}: corpus files live in `good` or `bad`, not `{other}`"),
    }
}

/// A diagnostic without a help line leaves the reader to guess the fix.
fn assert_every_diagnostic_helps(name: &str, diagnostics: &Diagnostics, rendered: &str) {
    assert!(rendered.contains("help:"), "{name}: no `help:` line in\n{rendered}");
    for d in &diagnostics.list {
        assert!(d.help.is_some(), "{name}: {} `{}` has no help", d.code, d.message);
    }
}
