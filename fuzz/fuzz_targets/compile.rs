//! Any text as a policy, checked with the bundled policies as what it may extend; when
//! it compiles, its own tests are run (which evaluates their applicants).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let loader = jifen::bundled_loader();
    let report = jifen::check_with("fuzz.policy", text, &loader);
    // Rendering reads every span back from the sources.
    let _ = report.diagnostics.render_human(false, 80);
    let _ = report.diagnostics.to_json();
    if let Some(ruleset) = &report.ruleset {
        assert!(!report.diagnostics.has_errors());
        let _ = ruleset.run_tests(None);
    }
});
