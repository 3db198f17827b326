//! Any bytes as an applicant of the bundled 2025 policy. An applicant that passes
//! validation must evaluate: `evaluate` never fails for one.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn policy() -> &'static jifen::RuleSet {
    static POLICY: OnceLock<jifen::RuleSet> = OnceLock::new();
    POLICY.get_or_init(|| match jifen::bundled_policy() {
        Ok(policy) => policy,
        Err(diagnostics) => panic!("the bundled policy does not compile:\n{diagnostics}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let policy = policy();
    if let Ok(applicant) = policy.applicant_from_json(text) {
        if let Err(e) = policy.evaluate(&applicant) {
            panic!("a valid applicant did not evaluate: {e}");
        }
    }
    // The same text as one row of a batch (JSON lines).
    let row = jifen::population::RawRow::json(1, text.to_string());
    if let Ok((_, applicant)) = row.parse(policy) {
        if let Err(e) = policy.evaluate(&applicant) {
            panic!("a valid row did not evaluate: {e}");
        }
    }
});
