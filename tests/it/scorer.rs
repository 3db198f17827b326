//! The scorer (lowered expressions, reused scratch) against the reference evaluator: the
//! same outcome, item by item and status by status, for every policy in the repository,
//! on each policy's own test applicants and on generated ones.

use std::path::{Path, PathBuf};

use jifen::population::{generate_row, Rng};
use jifen::{Applicant, FsLoader, RuleSet, Scores};

/// Every policy that compiles: the bundled years and the corpus's good examples.
fn policies() -> Vec<(String, RuleSet)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = vec![root.join("policies/2024.policy"), root.join("policies/2025.policy")];
    for feature in std::fs::read_dir(root.join("tests")).expect("tests/ is readable").flatten() {
        if let Ok(good) = std::fs::read_dir(feature.path().join("good")) {
            files.extend(good.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "policy")));
        }
    }
    files.sort();
    let compiled: Vec<(String, RuleSet)> = files
        .iter()
        .filter_map(|path| {
            let name = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(path).ok()?;
            jifen::check_with(&name, &text, &FsLoader).ruleset.map(|rs| (name, rs))
        })
        .collect();
    assert!(compiled.len() >= 15, "expected the bundled policies and the good corpus, found {}", compiled.len());
    compiled
}

/// The policy's own test applicants and some generated ones.
fn applicants(rs: &RuleSet) -> Vec<Applicant> {
    let mut all: Vec<Applicant> = rs.tests.iter().map(|t| rs.test_applicant(t)).collect();
    let mut rng = Rng::new(11);
    for i in 0..300 {
        let row = generate_row(rs, &mut rng, i);
        // `gen` names its rows `synthetic-NNNNNN`; the id is not a fact of the policy.
        let id = format!("\"id\":\"synthetic-{i:06}\"");
        let row = row.replacen(&format!("{{{id},"), "{", 1).replacen(&format!("{{{id}}}"), "{}", 1);
        if let Ok(a) = rs.applicant_from_json(&row) {
            all.push(a);
        }
    }
    all
}

#[test]
fn the_scorer_gives_the_reference_outcome_for_every_policy() {
    let mut compared = 0;
    for (name, rs) in policies() {
        let scorer = rs.scorer();
        let mut scores = Scores::default();
        for (k, applicant) in applicants(&rs).iter().enumerate() {
            let reference = rs.evaluate(applicant);
            let fast = scorer.evaluate(applicant);
            assert_eq!(fast, reference, "{name}, applicant {k}: {applicant:?}");
            let light = scorer.score(applicant, &mut scores);
            match reference {
                Ok(o) => {
                    assert!(light.is_ok(), "{name}, applicant {k}");
                    assert_eq!(scores.total, o.total, "{name}, applicant {k}");
                    assert_eq!(
                        (scores.eligible, scores.vetoed, scores.meets_standard),
                        (o.eligible, o.vetoed, o.meets_standard),
                        "{name}, applicant {k}"
                    );
                    let points: Vec<i64> = o.items.iter().map(|i| i.points).collect();
                    assert_eq!(scores.points, points, "{name}, applicant {k}");
                }
                Err(e) => assert_eq!(light, Err(e), "{name}, applicant {k}"),
            }
            compared += 1;
        }
    }
    assert!(compared > 4000, "compared only {compared} applicants");
}

#[test]
fn the_lowered_code_decides_plausible_applicants_of_the_bundled_years_alone() {
    // Falling back is always right but slow; for the real policies it must be the exception.
    for year in ["policies/2024.policy", "policies/2025.policy"] {
        let rs = jifen::compile_bundled(year).expect("the bundled policies compile");
        let scorer = rs.scorer();
        let applicants = applicants(&rs);
        let alone = applicants.iter().filter(|a| scorer.decides_alone(a)).count();
        assert_eq!(alone, applicants.len(), "{year}: {alone} of {} decided without falling back", applicants.len());
    }
}

#[test]
fn a_rule_set_built_by_hand_with_an_incomplete_order_or_sections_scores_alike_in_both_evaluators() {
    // Both evaluators share one aggregation (items in `order`, sections from their lists),
    // so even an inconsistent rule set cannot make them disagree.
    let rs = jifen::bundled_policy().expect("the bundled policy compiles");
    let applicant =
        rs.applicant_from_json(r#"{"age": 30, "si_months": 36, "education": "master"}"#).expect("a valid applicant");
    let mut short_order = rs.clone();
    short_order.order.pop();
    let mut moved = rs.clone();
    let last = moved.sections.len() - 1;
    let item = moved.sections[0].items.remove(0);
    moved.sections[last].items.push(item);
    for changed in [&short_order, &moved] {
        let scorer = changed.scorer();
        assert!(scorer.decides_alone(&applicant));
        assert_eq!(scorer.evaluate(&applicant), changed.evaluate(&applicant));
        let mut scores = jifen::Scores::default();
        scorer.score(&applicant, &mut scores).expect("scores");
        assert_eq!(scores.total, changed.evaluate(&applicant).expect("evaluates").total);
    }
    assert!(rs.scorer().decides_alone(&applicant));
}
