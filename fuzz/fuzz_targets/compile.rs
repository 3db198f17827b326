//! Any text as a policy, checked with the bundled policies as what it may extend; when
//! it compiles, its own tests are run (which evaluates their applicants), and the scorer
//! must give `evaluate`'s outcome for those applicants and for generated ones.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|text: &str| {
    let loader = jifen::bundled_loader();
    let report = jifen::check_with("fuzz.policy", text, &loader);
    // Rendering reads every span back from the sources.
    let _ = report.diagnostics.render_human(false, 80);
    let _ = report.diagnostics.to_json();
    if let Some(ruleset) = &report.ruleset {
        assert!(!report.diagnostics.has_errors());
        let _ = ruleset.run_tests(None);
        let scorer = ruleset.scorer();
        let mut applicants: Vec<jifen::Applicant> = ruleset.tests().iter().map(|t| ruleset.test_applicant(t)).collect();
        let model = jifen::internals::population::Model::default_for(ruleset);
        let mut rng = jifen::internals::population::Rng::new(text.len() as u64);
        for i in 0..8 {
            let row = model.row(ruleset, &mut rng, i);
            if let Ok((_, a)) = jifen::internals::population::RawRow::json(1, row).parse(ruleset) {
                applicants.push(a);
            }
        }
        for a in &applicants {
            let reference = ruleset.evaluate(a);
            assert_eq!(scorer.evaluate(a), reference, "the scorer differs from evaluate for {a:?}");
            common::same_scores(&scorer, a, reference);
        }
    }
});
