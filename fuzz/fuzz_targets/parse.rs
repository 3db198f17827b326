//! Any text through the parser and the AST builder: diagnostics, never a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (ast, diagnostics) = jifen::syntax::parse(jifen::source::FileId(0), text);
    // A file that parsed has no syntax error, and one that did not says why.
    assert!(ast.is_some() || !diagnostics.is_empty());
});
