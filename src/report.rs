//! Views of an [`Outcome`]: the JSON shape other programs rely on, and the per-item
//! trace. The human table is a view of the same data (see the CLI).

use serde_json::{json, Map, Value as Json};

use crate::eval::{Applicant, Outcome, Status};
use crate::rules::{InputType, RuleSet, Value};

/// Why an item scored what it did, in words; `None` when it simply scored.
pub fn why(ruleset: &RuleSet, index: usize, outcome: &Outcome) -> Option<String> {
    let item = outcome.items.get(index)?;
    match &item.status {
        Status::Scored if item.points == 0 => None,
        Status::Scored => None,
        Status::Capped => Some(format!(
            "capped at {} (computed {})",
            ruleset.show_points(ruleset.items.get(index).and_then(|d| d.cap).unwrap_or(item.points)),
            ruleset.show_points(item.raw_points)
        )),
        Status::PreconditionUnmet { reason } => Some(format!("precondition unmet: {reason}")),
        Status::Excluded { group, by } => {
            let label = ruleset
                .groups
                .iter()
                .find(|g| &*g.id == *group)
                .and_then(|g| g.label.clone())
                .unwrap_or_else(|| std::sync::Arc::from(*group));
            Some(format!(
                "not counted: {by} scores higher ({label}; computed {})",
                ruleset.show_points(item.raw_points)
            ))
        }
    }
}

/// A value as JSON: numbers as numbers, variants by name.
pub fn value_json(ruleset: &RuleSet, ty: InputType, value: Value) -> Json {
    match value {
        Value::Int(i) => json!(i),
        Value::Dec(d) => serde_json::from_str(&d.normalize().to_string()).unwrap_or(Json::Null),
        Value::Bool(b) => json!(b),
        Value::Enum(_) => json!(ruleset.show_value(ty, value)),
        Value::Absent => Json::Null,
        Value::Date(d) => json!(crate::date::format(d)),
    }
}

/// The trace of one item: the arm taken, raw points, cap, preconditions, facts read.
pub fn trace_json(ruleset: &RuleSet, index: usize, outcome: &Outcome, applicant: &Applicant) -> Json {
    let (Some(def), Some(item)) = (ruleset.items.get(index), outcome.items.get(index)) else {
        return Json::Null;
    };
    let mut facts = Map::new();
    for &slot in &def.reads {
        if let (Some(input), Some(v)) = (ruleset.inputs.get(slot as usize), applicant.values.get(slot as usize)) {
            facts.insert(input.name.to_string(), value_json(ruleset, input.ty, *v));
        }
    }
    let preconditions: Vec<Json> = def
        .preconditions
        .iter()
        .enumerate()
        .map(|(k, p)| json!({ "reason": &*p.reason, "met": k < 64 && item.preconditions_met & (1 << k) != 0 }))
        .collect();
    json!({
        "arm": item.arm.and_then(|a| def.arms.get(a as usize)).map(String::as_str),
        "raw_points": ruleset.points_json(item.raw_points),
        "cap": def.cap.map(|c| ruleset.points_json(c)),
        "preconditions": preconditions,
        "facts": facts,
    })
}

/// The `score --format json` shape (see the applicant contract).
pub fn outcome_json(ruleset: &RuleSet, outcome: &Outcome, applicant: Option<&Applicant>) -> Json {
    let items: Vec<Json> = outcome
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut o = Map::new();
            o.insert("id".into(), json!(item.id));
            o.insert("label".into(), json!(item.label));
            o.insert("section".into(), json!(item.section));
            o.insert("points".into(), ruleset.points_json(item.points));
            o.insert("raw_points".into(), ruleset.points_json(item.raw_points));
            let status = match &item.status {
                Status::Scored => "scored",
                Status::Capped => "capped",
                Status::PreconditionUnmet { .. } => "precondition_unmet",
                Status::Excluded { .. } => "excluded",
            };
            o.insert("status".into(), json!(status));
            o.insert("reason".into(), why(ruleset, i, outcome).map(Json::String).unwrap_or(Json::Null));
            if let Some(a) = applicant {
                o.insert("trace".into(), trace_json(ruleset, i, outcome, a));
            }
            Json::Object(o)
        })
        .collect();
    let sections: Vec<Json> = outcome
        .sections
        .iter()
        .map(|s| json!({ "id": s.id, "points": ruleset.points_json(s.points), "capped": s.capped }))
        .collect();
    let mut out = json!({
        "policy": { "id": &*ruleset.id, "year": ruleset.year },
        "total": ruleset.points_json(outcome.total),
        "standard": outcome.standard.map(|s| ruleset.points_json(s)),
        "eligible": outcome.eligible,
        "vetoed": outcome.vetoed,
        // Without a standard there is no such verdict: null, and `eligible`/`vetoed` decide.
        "meets_standard": outcome.standard.map(|_| outcome.meets_standard),
        "items": items,
        "sections": sections,
        "ineligible_reasons": outcome.ineligible_reasons.iter().map(|r| &**r).collect::<Vec<_>>(),
        "vetoes": outcome.vetoes.iter().map(|r| &**r).collect::<Vec<_>>(),
    });
    // Only a policy with capped groups or outputs has these keys: others keep their shape.
    if !outcome.groups.is_empty() {
        out["groups"] = outcome
            .groups
            .iter()
            .map(|g| json!({ "id": g.id, "section": g.section, "points": ruleset.points_json(g.points), "raw_points": ruleset.points_json(g.raw_points), "capped": g.capped }))
            .collect();
    }
    if !ruleset.outputs.is_empty() {
        out["outputs"] = Json::Object(outputs_json(ruleset, outcome));
    }
    if ruleset.floor.is_some() {
        if let Some(o) = out.as_object_mut() {
            o.insert("floored".into(), json!(outcome.floored));
        }
    }
    out
}

/// Each output by name: a quantity as its number, a variant by name, absent as null.
pub fn outputs_json(ruleset: &RuleSet, outcome: &Outcome) -> Map<String, Json> {
    ruleset
        .outputs
        .iter()
        .zip(&outcome.outputs)
        .map(|(def, &v)| (def.name.to_string(), value_json(ruleset, def.ty, v)))
        .collect()
}

/// What a section's cap cut from its items' sum, in words (`None` when it cut nothing).
pub fn section_cut(ruleset: &RuleSet, index: usize, outcome: &Outcome) -> Option<String> {
    let (def, s) = (ruleset.sections.get(index)?, outcome.sections.get(index)?);
    let cut = s.raw_points.checked_sub(s.points)?.checked_abs()?;
    let cap = def.cap.unwrap_or(s.points.abs());
    (s.capped && cut != 0).then(|| format!("section cap {} cut {}", ruleset.show_points(cap), ruleset.show_points(cut)))
}

/// What a capped group's cap cut, in words (`None` when it cut nothing).
pub fn group_cut(ruleset: &RuleSet, index: usize, outcome: &Outcome) -> Option<String> {
    let (def, g) = (ruleset.caps.get(index)?, outcome.groups.get(index)?);
    let cut = g.raw_points.checked_sub(g.points)?.checked_abs()?;
    (g.capped && cut != 0)
        .then(|| format!("group cap {} cut {}", ruleset.show_points(def.cap), ruleset.show_points(cut)))
}

/// Facts of an applicant as `name = value` text, for traces.
pub fn fact_text(ruleset: &RuleSet, slot: u16, applicant: &Applicant) -> Option<String> {
    let input = ruleset.inputs.get(slot as usize)?;
    let v = applicant.values.get(slot as usize)?;
    let shown = match v {
        Value::Absent => "absent".to_string(),
        other => ruleset.show_value(input.ty, *other),
    };
    Some(format!("{} = {shown}", input.name))
}

/// An input's type as `jifen inputs` shows it: the unit, or `int`, `decimal`, `bool`, or
/// the enum's name.
pub fn type_name(rs: &RuleSet, ty: InputType) -> String {
    match ty {
        InputType::Int { unit: Some(u) } | InputType::Decimal { unit: Some(u) } => u.name().to_string(),
        InputType::Int { unit: None } => "int".to_string(),
        InputType::Decimal { unit: None } => "decimal".to_string(),
        InputType::Bool => "bool".to_string(),
        InputType::Enum(e) => rs.enums.get(e as usize).map(|e| e.name.to_string()).unwrap_or_default(),
        InputType::Date => "date".to_string(),
        InputType::List { record, .. } => {
            format!("list of {}", rs.records.get(record as usize).map(|r| &*r.name).unwrap_or("?"))
        }
    }
}

/// One input of the schema, as `jifen --format json inputs` and `GET /api/policy` give it.
pub fn input_json(rs: &RuleSet, i: &crate::rules::InputDef) -> Json {
    let variants = match i.ty {
        InputType::Enum(e) => rs.enums.get(e as usize).map(|d| {
            d.variants.iter().map(|v| json!({ "name": &*v.name, "label": v.label.as_deref() })).collect::<Vec<_>>()
        }),
        _ => None,
    };
    let (kind, unit) = match i.ty {
        InputType::Int { unit } => ("int", unit.map(|u| u.name())),
        InputType::Decimal { unit } => ("decimal", unit.map(|u| u.name())),
        InputType::Bool => ("bool", None),
        InputType::Enum(_) => ("enum", None),
        InputType::Date => ("date", None),
        InputType::List { .. } => ("list", None),
    };
    // A list's rows: its bound and its record's fields, each described as an input is.
    let (max_rows, fields) = match i.ty {
        InputType::List { record, max } => (
            Some(max),
            rs.records.get(record as usize).map(|r| r.fields.iter().map(|f| input_json(rs, f)).collect::<Vec<_>>()),
        ),
        _ => (None, None),
    };
    let mut out = json!({
        "name": &*i.name,
        "label": i.label.as_deref(),
        "type": type_name(rs, i.ty),
        "kind": kind,
        "unit": unit,
        "optional": i.optional,
        "required": i.required(),
        "min": i.min.map(|m| m.to_string()),
        "max": i.max.map(|m| m.to_string()),
        "default": i.default.map(|d| value_json(rs, i.ty, d)),
        "variants": variants,
    });
    if let (Some(max), Some(fields), Some(o)) = (max_rows, fields, out.as_object_mut()) {
        o.insert("record".into(), json!(type_name(rs, i.ty).trim_start_matches("list of ")));
        o.insert("max_rows".into(), json!(max));
        o.insert("fields".into(), json!(fields));
        o.insert("default".into(), json!([]));
    }
    out
}
