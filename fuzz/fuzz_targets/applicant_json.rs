//! Any bytes as an applicant of the bundled 2025 policy. An applicant that passes
//! validation must evaluate: `evaluate` never fails for one. The fast paths of batch work
//! must agree with the reference: the row parser with `RawRow::parse` (same id, applicant
//! or error) and the scorer with `evaluate` (same outcome).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let policy = common::policy();
    if let Ok(applicant) = policy.applicant_from_json(text) {
        let reference = policy.evaluate(&applicant);
        if let Err(e) = &reference {
            panic!("a valid applicant did not evaluate: {e}");
        }
        let scorer = policy.scorer();
        assert_eq!(scorer.evaluate(&applicant), reference, "the scorer differs from evaluate");
        common::same_scores(&scorer, &applicant, reference);
    }
    // The same text as one row of a batch (JSON lines).
    let row = jifen::internals::population::RawRow::json(1, text.to_string());
    let mut parser = jifen::internals::population::RowParser::new(policy);
    let fast = parser.parse(&row).map(|(id, a)| (id.map(|s| s.into_owned()), a.clone()));
    assert_eq!(fast, row.parse(policy), "the row parser differs from RawRow::parse");
    if let Ok((_, applicant)) = row.parse(policy) {
        if let Err(e) = policy.evaluate(&applicant) {
            panic!("a valid row did not evaluate: {e}");
        }
    }
});
