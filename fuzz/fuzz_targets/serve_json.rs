//! Any bytes as the body of `POST /api/score` and `POST /api/plan` of `jifen serve`, without
//! a network (`jifen::internals::serve::api`, the functions the handlers call). The answer is always
//! JSON: 200 with the outcome exactly when the body is a valid applicant, else 400 with an
//! error message. The same bytes as a `Host` header value never panic the check.
#![no_main]

use jifen::plan::Limits;
use jifen::internals::serve::api;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let policy = common::policy();
    let valid = api::read_applicant(policy, data);
    for explain in [false, true] {
        let answer = api::score_answer(policy, data, explain);
        let json: serde_json::Value = match serde_json::from_str(&answer.body) {
            Ok(v) => v,
            Err(e) => panic!("the answer is not JSON ({e}): {}", answer.body),
        };
        match (&valid, answer.status.as_u16()) {
            (Ok(applicant), 200) => {
                let outcome = policy.evaluate(applicant).expect("a valid applicant evaluates");
                assert_eq!(json["total"].as_i64(), Some(outcome.total), "{json}");
                assert_eq!(json["items"][0].get("trace").is_some(), explain, "{json}");
            }
            (Err(_), 400) => assert!(json["error"].as_str().is_some_and(|e| !e.is_empty()), "{json}"),
            (v, status) => panic!("status {status} for a body that is valid: {}", v.is_ok()),
        }
    }
    // The plan, with a search small enough for a fuzzer's pace.
    let limits = Limits { max_changes: 1, max_wait_years: 1, max_plans: 2, ..Limits::default() };
    let plan = api::plan_answer(policy, data, limits);
    assert_eq!(plan.status.as_u16(), if valid.is_ok() { 200 } else { 400 }, "{}", plan.body);
    assert!(serde_json::from_str::<serde_json::Value>(&plan.body).is_ok(), "{}", plan.body);
    if let Ok(host) = std::str::from_utf8(data) {
        let _ = jifen::internals::serve::Hosts::default().allows(host);
        let _ = api::is_json(data);
    }
});
