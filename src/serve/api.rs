//! The JSON API without the network: a request body in, an [`Answer`] (status and JSON
//! text) out. The handlers in `serve` and the fuzz target `serve_json` call these.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value as Json};

use crate::eval::Applicant;
use crate::plan::Limits;
use crate::population::RawRow;
use crate::rules::RuleSet;

/// The largest request body accepted; a larger one gets 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// An answer of the API: a status and a JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: StatusCode,
    pub body: String,
}

impl Answer {
    fn ok(body: String) -> Answer {
        Answer { status: StatusCode::OK, body }
    }

    /// An answer of `{"error": …, "key": …, "help": …}` (`key` names the fact at fault).
    pub fn error(status: StatusCode, message: impl Into<String>, key: Option<&str>, help: Option<&str>) -> Answer {
        let body = json!({ "error": message.into(), "key": key, "help": help });
        Answer { status, body: body.to_string() }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        (self.status, content_type, self.body).into_response()
    }
}

/// The applicant in a request body, or the 400 answer naming what is wrong.
pub fn read_applicant(rs: &RuleSet, body: &[u8]) -> Result<Applicant, Answer> {
    let text = std::str::from_utf8(body).map_err(|e| {
        let message = format!("the body is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to());
        Answer::error(StatusCode::BAD_REQUEST, message, None, None)
    })?;
    RawRow::json(1, text.to_string()).parse(rs).map(|(_, a)| a).map_err(|e| {
        let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
        Answer::error(StatusCode::BAD_REQUEST, e.to_string(), e.key(), help.as_deref())
    })
}

/// `POST /api/score`: the `score --format json` object of the applicant in `body`, with
/// each item's trace when `explain`.
pub fn score_answer(rs: &RuleSet, body: &[u8], explain: bool) -> Answer {
    let applicant = match read_applicant(rs, body) {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    match rs.evaluate(&applicant) {
        Ok(outcome) => {
            let value = crate::report::outcome_json(rs, &outcome, explain.then_some(&applicant));
            Answer::ok(value.to_string())
        }
        Err(e) => {
            let help = "the applicant's numbers are too large for the policy's arithmetic";
            Answer::error(StatusCode::BAD_REQUEST, e.to_string(), None, Some(help))
        }
    }
}

/// The `plan --format json` report of a valid applicant. Milliseconds to seconds of work:
/// the server runs it off the runtime's threads, under a budget.
pub fn plan_of(rs: &RuleSet, applicant: &Applicant, limits: Limits) -> Answer {
    match serde_json::to_string(&rs.plan(applicant, limits)) {
        Ok(text) => Answer::ok(text),
        Err(e) => {
            Answer::error(StatusCode::INTERNAL_SERVER_ERROR, format!("the plan could not be written: {e}"), None, None)
        }
    }
}

/// `POST /api/plan` in one call: [`read_applicant`], then [`plan_of`].
pub fn plan_answer(rs: &RuleSet, body: &[u8], limits: Limits) -> Answer {
    match read_applicant(rs, body) {
        Ok(applicant) => plan_of(rs, &applicant, limits),
        Err(answer) => answer,
    }
}

/// Whether a `Content-Type` value is JSON (`application/json`, any parameters, any case).
pub fn is_json(content_type: &[u8]) -> bool {
    let essence = content_type.split(|&b| b == b';').next().unwrap_or_default();
    essence.trim_ascii().eq_ignore_ascii_case(b"application/json")
}

/// `GET /api/policy`: the policy, its inputs (the shape of `jifen --format json inputs`,
/// plus `kind` and `unit`), its items and sections.
pub fn policy_json(rs: &RuleSet) -> Json {
    let inputs: Vec<Json> = rs.inputs.iter().map(|i| crate::report::input_json(rs, i)).collect();
    let items: Vec<Json> = rs
        .items
        .iter()
        .map(|it| {
            json!({
                "id": &*it.id,
                "label": &*it.label,
                "section": rs.sections.get(it.section as usize).map(|s| &*s.id),
                "cap": it.cap.map(|c| rs.points_json(c)),
            })
        })
        .collect();
    let sections: Vec<Json> = rs
        .sections
        .iter()
        .map(|s| json!({ "id": &*s.id, "label": &*s.label, "deduction": s.deduction, "cap": s.cap.map(|c| rs.points_json(c)) }))
        .collect();
    let mut schema = json!({
        "policy": {
            "id": &*rs.id,
            "title": &rs.title,
            "year": rs.year,
            "effective": &rs.effective,
            "standard": rs.standard.map(|s| rs.points_json(s)),
        },
        "inputs": inputs,
        "items": items,
        "sections": sections,
    });
    // Only a policy with fractional points has places: whole-point schemas stay as they were.
    if let (Some(p), Some(policy)) = (rs.points.filter(|p| p.places > 0), schema.get_mut("policy")) {
        if let Some(policy) = policy.as_object_mut() {
            policy.insert("places".into(), json!(p.places));
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json(b"application/json"));
        assert!(is_json(b"Application/JSON; charset=utf-8"));
        assert!(!is_json(b"text/plain"));
        assert!(!is_json(b"application/jsonx"));
        assert!(!is_json(b"application/x-www-form-urlencoded"));
        assert!(!is_json(b""));
    }
}
