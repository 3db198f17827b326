//! What the fuzz targets share.

use std::sync::OnceLock;

/// The bundled 2025 policy, compiled once.
#[allow(dead_code)]
pub fn policy() -> &'static jifen::RuleSet {
    static POLICY: OnceLock<jifen::RuleSet> = OnceLock::new();
    POLICY.get_or_init(|| match jifen::bundled_policy() {
        Ok(policy) => policy,
        Err(diagnostics) => panic!("the bundled policy does not compile:\n{diagnostics}"),
    })
}

/// Scoring alone (`Scorer::score`, the path batch work takes) gives the outcome's numbers.
#[allow(dead_code)]
pub fn same_scores(
    scorer: &jifen::Scorer<'_>,
    applicant: &jifen::Applicant,
    reference: Result<jifen::Outcome<'_>, jifen::EvalError>,
) {
    let mut scores = jifen::Scores::default();
    let scored = scorer.score(applicant, &mut scores);
    match reference {
        Ok(o) => {
            assert!(scored.is_ok(), "scoring failed where evaluate did not");
            let points: Vec<i64> = o.items.iter().map(|i| i.points).collect();
            assert_eq!(
                (scores.total, scores.eligible, scores.vetoed, scores.meets_standard, &scores.points),
                (o.total, o.eligible, o.vetoed, o.meets_standard, &points),
                "Scorer::score differs from evaluate"
            );
        }
        Err(e) => assert_eq!(scored, Err(e), "Scorer::score fails otherwise than evaluate"),
    }
}
