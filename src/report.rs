//! Views of an [`Outcome`]: the JSON shape other programs rely on, and the per-item
//! trace. The human table is a view of the same data (see the CLI).

use serde_json::{json, Map, Value as Json};

use crate::eval::{Applicant, Outcome, Status};
use crate::rules::{InputType, RuleSet, Value};

/// Why an item scored what it did, in words; `None` when it simply scored.
pub(crate) fn why(ruleset: &RuleSet, index: usize, outcome: &Outcome) -> Option<String> {
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
pub(crate) fn value_json(ruleset: &RuleSet, ty: InputType, value: Value) -> Json {
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
pub(crate) fn trace_json(ruleset: &RuleSet, index: usize, outcome: &Outcome, applicant: &Applicant) -> Json {
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
pub(crate) fn outcome_json(ruleset: &RuleSet, outcome: &Outcome, applicant: Option<&Applicant>) -> Json {
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
pub(crate) fn outputs_json(ruleset: &RuleSet, outcome: &Outcome) -> Map<String, Json> {
    ruleset
        .outputs
        .iter()
        .zip(&outcome.outputs)
        .map(|(def, &v)| (def.name.to_string(), value_json(ruleset, def.ty, v)))
        .collect()
}

/// What a section's cap cut from its items' sum, in words (`None` when it cut nothing).
pub(crate) fn section_cut(ruleset: &RuleSet, index: usize, outcome: &Outcome) -> Option<String> {
    let (def, s) = (ruleset.sections.get(index)?, outcome.sections.get(index)?);
    let cut = s.raw_points.checked_sub(s.points)?.checked_abs()?;
    let cap = def.cap.unwrap_or(s.points.abs());
    (s.capped && cut != 0).then(|| format!("section cap {} cut {}", ruleset.show_points(cap), ruleset.show_points(cut)))
}

/// What a capped group's cap cut, in words (`None` when it cut nothing).
pub(crate) fn group_cut(ruleset: &RuleSet, index: usize, outcome: &Outcome) -> Option<String> {
    let (def, g) = (ruleset.caps.get(index)?, outcome.groups.get(index)?);
    let cut = g.raw_points.checked_sub(g.points)?.checked_abs()?;
    (g.capped && cut != 0)
        .then(|| format!("group cap {} cut {}", ruleset.show_points(def.cap), ruleset.show_points(cut)))
}

/// Facts of an applicant as `name = value` text, for traces.
pub(crate) fn fact_text(ruleset: &RuleSet, slot: u16, applicant: &Applicant) -> Option<String> {
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
pub(crate) fn type_name(rs: &RuleSet, ty: InputType) -> String {
    match ty {
        InputType::Int { unit: Some(u) } | InputType::Decimal { unit: Some(u) } => rs.unit_name(u).to_string(),
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
pub(crate) fn input_json(rs: &RuleSet, i: &crate::rules::InputDef) -> Json {
    let variants = match i.ty {
        InputType::Enum(e) => rs.enums.get(e as usize).map(|d| {
            d.variants.iter().map(|v| json!({ "name": &*v.name, "label": v.label.as_deref() })).collect::<Vec<_>>()
        }),
        _ => None,
    };
    let (kind, unit) = match i.ty {
        InputType::Int { unit } => ("int", unit.map(|u| rs.unit_name(u))),
        InputType::Decimal { unit } => ("decimal", unit.map(|u| rs.unit_name(u))),
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

/// The [`outcome_json`] object (without traces) written straight into bytes, as
/// `serde_json::to_writer` would write it, without building a `serde_json::Value`: for
/// `batch`, which writes one per applicant. Build one per rule set and share it; the
/// strings of items, sections and groups are escaped once here. A difference from
/// `outcome_json` is a bug: the tests below compare the two byte for byte.
pub(crate) struct OutcomeWriter<'r> {
    rules: &'r RuleSet,
    /// `{"policy":{"id":…,"year":…},"total":`
    head: Vec<u8>,
    items: Vec<Fixed<'r>>,
    sections: Vec<Fixed<'r>>,
    groups: Vec<Fixed<'r>>,
}

/// The fixed start of an item's (section's, group's) object and the names it was written
/// from; an outcome whose names are not these very strings is written the slow way.
struct Fixed<'r> {
    names: [&'r str; 3],
    bytes: Vec<u8>,
}

impl<'r> OutcomeWriter<'r> {
    pub(crate) fn new(rules: &'r RuleSet) -> OutcomeWriter<'r> {
        let section_id = |s: u16| rules.sections.get(s as usize).map_or("", |s| &*s.id);
        let mut head = Vec::new();
        head.extend_from_slice(b"{\"policy\":{\"id\":");
        push_json_str(&mut head, &rules.id);
        head.extend_from_slice(b",\"year\":");
        push_int(&mut head, rules.year);
        head.extend_from_slice(b"},\"total\":");
        let items = rules
            .items
            .iter()
            .map(|d| {
                let names = [&*d.id, &*d.label, section_id(d.section)];
                Fixed { names, bytes: item_head(names) }
            })
            .collect();
        let sections = rules
            .sections
            .iter()
            .map(|d| {
                let mut bytes = b"{\"id\":".to_vec();
                push_json_str(&mut bytes, &d.id);
                bytes.extend_from_slice(b",\"points\":");
                Fixed { names: [&*d.id, "", ""], bytes }
            })
            .collect();
        let groups = rules
            .caps
            .iter()
            .map(|d| {
                let names = [&*d.id, section_id(d.section), ""];
                Fixed { names, bytes: group_head(names) }
            })
            .collect();
        OutcomeWriter { rules, head, items, sections, groups }
    }

    /// The whole object, closed.
    #[cfg(test)]
    pub(crate) fn write(&self, out: &mut Vec<u8>, outcome: &Outcome) {
        self.write_open(out, outcome);
        out.push(b'}');
    }

    /// The object without its closing brace, for a caller that adds keys of its own
    /// (`batch` adds `id` and `line`, as `obj.insert` on the `Value` puts them last).
    pub(crate) fn write_open(&self, out: &mut Vec<u8>, outcome: &Outcome) {
        let rules = self.rules;
        out.extend_from_slice(&self.head);
        self.points(out, outcome.total);
        out.extend_from_slice(b",\"standard\":");
        match outcome.standard {
            Some(s) => self.points(out, s),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"eligible\":");
        push_bool(out, outcome.eligible);
        out.extend_from_slice(b",\"vetoed\":");
        push_bool(out, outcome.vetoed);
        out.extend_from_slice(b",\"meets_standard\":");
        match outcome.standard {
            Some(_) => push_bool(out, outcome.meets_standard),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"items\":[");
        for (i, item) in outcome.items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match self.items.get(i) {
                Some(f) if same(&f.names, &[item.id, item.label, item.section]) => out.extend_from_slice(&f.bytes),
                _ => out.extend_from_slice(&item_head([item.id, item.label, item.section])),
            }
            self.points(out, item.points);
            out.extend_from_slice(b",\"raw_points\":");
            self.points(out, item.raw_points);
            out.extend_from_slice(match &item.status {
                Status::Scored => b",\"status\":\"scored\",\"reason\":",
                Status::Capped => b",\"status\":\"capped\",\"reason\":",
                Status::PreconditionUnmet { .. } => b",\"status\":\"precondition_unmet\",\"reason\":",
                Status::Excluded { .. } => b",\"status\":\"excluded\",\"reason\":",
            });
            self.reason(out, i, item);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"sections\":[");
        for (i, s) in outcome.sections.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match self.sections.get(i) {
                Some(f) if same(&f.names[..1], &[s.id]) => out.extend_from_slice(&f.bytes),
                _ => {
                    out.extend_from_slice(b"{\"id\":");
                    push_json_str(out, s.id);
                    out.extend_from_slice(b",\"points\":");
                }
            }
            self.points(out, s.points);
            out.extend_from_slice(b",\"capped\":");
            push_bool(out, s.capped);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"ineligible_reasons\":");
        push_str_list(out, &outcome.ineligible_reasons);
        out.extend_from_slice(b",\"vetoes\":");
        push_str_list(out, &outcome.vetoes);
        if !outcome.groups.is_empty() {
            out.extend_from_slice(b",\"groups\":[");
            for (i, g) in outcome.groups.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                match self.groups.get(i) {
                    Some(f) if same(&f.names[..2], &[g.id, g.section]) => out.extend_from_slice(&f.bytes),
                    _ => out.extend_from_slice(&group_head([g.id, g.section, ""])),
                }
                self.points(out, g.points);
                out.extend_from_slice(b",\"raw_points\":");
                self.points(out, g.raw_points);
                out.extend_from_slice(b",\"capped\":");
                push_bool(out, g.capped);
                out.push(b'}');
            }
            out.push(b']');
        }
        if !rules.outputs.is_empty() {
            // Rare and small: the `Value` path keeps numbers and variants exactly as
            // `outputs_json` shows them (a `Map` keeps the last of two equal names, in the
            // first one's place).
            out.extend_from_slice(b",\"outputs\":");
            let map = Json::Object(outputs_json(rules, outcome));
            // Writing a `Value` into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *out, &map);
        }
        if rules.floor.is_some() {
            out.extend_from_slice(b",\"floored\":");
            push_bool(out, outcome.floored);
        }
    }

    /// Points as [`RuleSet::points_json`] writes them: the exact decimal at the policy's
    /// places, or the whole number.
    fn points(&self, out: &mut Vec<u8>, units: i64) {
        match self.rules.points {
            Some(p) if p.places > 0 => {
                use std::io::Write;
                // The same text as `show_points`; a `Vec` takes it without failing.
                let _ = write!(out, "{}", p.decimal(units));
            }
            _ => push_int(out, units),
        }
    }

    /// [`why`] as a JSON string (or `null`), written in pieces: numbers need no escaping,
    /// and escaping the pieces is escaping the whole.
    fn reason(&self, out: &mut Vec<u8>, index: usize, item: &crate::eval::ItemOutcome<'_>) {
        let rules = self.rules;
        match &item.status {
            Status::Scored => out.extend_from_slice(b"null"),
            Status::Capped => {
                out.extend_from_slice(b"\"capped at ");
                self.points(out, rules.items.get(index).and_then(|d| d.cap).unwrap_or(item.points));
                out.extend_from_slice(b" (computed ");
                self.points(out, item.raw_points);
                out.extend_from_slice(b")\"");
            }
            Status::PreconditionUnmet { reason } => {
                out.extend_from_slice(b"\"precondition unmet: ");
                push_escaped(out, reason);
                out.push(b'"');
            }
            Status::Excluded { group, by } => {
                let label = rules.groups.iter().find(|g| &*g.id == *group).and_then(|g| g.label.as_deref());
                out.extend_from_slice(b"\"not counted: ");
                push_escaped(out, by);
                out.extend_from_slice(b" scores higher (");
                push_escaped(out, label.unwrap_or(group));
                out.extend_from_slice(b"; computed ");
                self.points(out, item.raw_points);
                out.extend_from_slice(b")\"");
            }
        }
    }
}

/// The very same strings (address and length), not merely equal ones.
fn same(a: &[&str], b: &[&str]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| std::ptr::eq(*x, *y))
}

fn item_head([id, label, section]: [&str; 3]) -> Vec<u8> {
    let mut b = b"{\"id\":".to_vec();
    push_json_str(&mut b, id);
    b.extend_from_slice(b",\"label\":");
    push_json_str(&mut b, label);
    b.extend_from_slice(b",\"section\":");
    push_json_str(&mut b, section);
    b.extend_from_slice(b",\"points\":");
    b
}

fn group_head([id, section, _]: [&str; 3]) -> Vec<u8> {
    let mut b = b"{\"id\":".to_vec();
    push_json_str(&mut b, id);
    b.extend_from_slice(b",\"section\":");
    push_json_str(&mut b, section);
    b.extend_from_slice(b",\"points\":");
    b
}

fn push_bool(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

fn push_str_list(out: &mut Vec<u8>, list: &[&str]) {
    out.push(b'[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(out, s);
    }
    out.push(b']');
}

/// An integer in decimal, as serde_json writes it.
pub(crate) fn push_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut m = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

/// A string as a JSON string, escaped as serde_json escapes it.
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    push_escaped(out, s);
    out.push(b'"');
}

/// The inside of a JSON string: `"`, `\` and control characters escaped as serde_json
/// does (`\b \t \n \f \r`, others as `\u00xx` in lower case); everything else as it is.
pub(crate) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // No early exit: the check of a whole string vectorises, and most need no escape.
    if !bytes.iter().fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        out.extend_from_slice(bytes);
        return;
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{Model, RawRow, Rng};

    /// What `batch` wrote before the writer: `outcome_json`, then `id` and `line` inserted
    /// (last, in that order, since the map keeps insertion order), through `to_writer`.
    fn by_value(rules: &RuleSet, outcome: &Outcome, id: Option<&str>, line: usize) -> Vec<u8> {
        let mut value = outcome_json(rules, outcome, None);
        let obj = value.as_object_mut().expect("an object");
        if let Some(id) = id {
            obj.insert("id".into(), Json::String(id.into()));
        }
        obj.insert("line".into(), json!(line));
        serde_json::to_vec(&value).expect("a Value writes")
    }

    fn by_writer(w: &OutcomeWriter<'_>, outcome: &Outcome, id: Option<&str>, line: usize) -> Vec<u8> {
        let mut out = b"leftover".to_vec();
        w.write_open(&mut out, outcome);
        if let Some(id) = id {
            out.extend_from_slice(b",\"id\":");
            push_json_str(&mut out, id);
        }
        out.extend_from_slice(b",\"line\":");
        push_int(&mut out, line as i64);
        out.push(b'}');
        // It appends: what was in the buffer stays.
        assert_eq!(&out[..8], b"leftover");
        out.split_off(8)
    }

    /// Scores `count` generated applicants (and every `test` block's applicant) with both
    /// writers and compares the bytes; returns how many rows were compared and the statuses
    /// seen, so that a caller can tell the comparison was not vacuous.
    fn compare(name: &str, rules: &RuleSet, model: &Model, count: u64, seed: u64) -> (usize, [bool; 4]) {
        let scorer = rules.scorer();
        let writer = OutcomeWriter::new(rules);
        let mut rng = Rng::new(seed);
        let mut applicants = Vec::new();
        for n in 0..count {
            let row = RawRow::json(n as usize + 1, model.row(rules, &mut rng, n));
            // A policy's generated row may not be a valid applicant (a derived model knows
            // only the declared ranges): such rows are not outcomes, so nothing to compare.
            if let Ok((id, a)) = row.parse(rules) {
                applicants.push((id, a));
            }
        }
        for t in &rules.tests {
            applicants.push((None, rules.test_applicant(t)));
        }
        let mut seen = [false; 4];
        let mut compared = 0;
        // `batch` explains every row into the same storage: what one applicant leaves there
        // must not show in the next one's outcome.
        let (mut scores, mut reused) = (crate::Scores::default(), Outcome::default());
        for (line, (id, a)) in applicants.iter().enumerate() {
            let into = scorer.evaluate_into(a, &mut scores, &mut reused);
            let Ok(outcome) = scorer.evaluate(a) else {
                assert!(into.is_err(), "{name}, applicant {line}: evaluate fails, evaluate_into does not");
                continue;
            };
            assert!(into.is_ok(), "{name}, applicant {line}: evaluate_into fails, evaluate does not");
            assert_eq!(reused, outcome, "{name}, applicant {line}: evaluate_into differs from evaluate");
            for item in &outcome.items {
                seen[match item.status {
                    Status::Scored => 0,
                    Status::Capped => 1,
                    Status::PreconditionUnmet { .. } => 2,
                    Status::Excluded { .. } => 3,
                }] = true;
            }
            let (want, got) =
                (by_value(rules, &outcome, id.as_deref(), line), by_writer(&writer, &outcome, id.as_deref(), line));
            assert!(
                want == got,
                "{name}, applicant {line}:\nValue:  {}\nwriter: {}",
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&got)
            );
            let mut closed = Vec::new();
            writer.write(&mut closed, &outcome);
            assert_eq!(closed, serde_json::to_vec(&outcome_json(rules, &outcome, None)).unwrap_or_default(), "{name}");
            compared += 1;
        }
        (compared, seen)
    }

    #[test]
    fn the_writer_writes_the_bundled_policy_as_outcome_json_does() {
        let rules = crate::bundled_policy().expect("the bundled policy compiles");
        let model = Model::default_for(&rules);
        let (compared, seen) = compare("policies/2025.policy", &rules, &model, 4000, 19);
        // 4,000 generated applicants and the policy's tests all evaluate; the bundled
        // model's population and the policy's tests (its exclusive group of education and
        // title) have items scored, capped, with unmet preconditions and excluded.
        assert!(compared >= 4000, "only {compared} compared");
        assert_eq!(seen, [true; 4], "scored, capped, unmet, excluded");
        let older = crate::compile_bundled("policies/2024.policy").expect("2024 compiles");
        compare("policies/2024.policy", &older, &Model::default_for(&older), 1000, 20);
    }

    #[test]
    fn the_writer_writes_every_good_policy_of_the_corpus_as_outcome_json_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let mut files = Vec::new();
        for feature in std::fs::read_dir(&root).expect("tests/ reads").flatten() {
            if let Ok(good) = std::fs::read_dir(feature.path().join("good")) {
                files.extend(good.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "policy")));
            }
        }
        files.sort();
        let (mut policies, mut rows, mut seen) = (0, 0, [false; 4]);
        let mut shapes = [false; 4]; // groups, outputs, floor, no standard
        for path in &files {
            let name = path.to_string_lossy();
            let text = std::fs::read_to_string(path).expect("a good policy reads");
            let Ok(rules) = crate::compile(&name, &text) else { panic!("{name} must compile") };
            for (seed, model) in [(1, Model::derived(&rules)), (2, Model::default_for(&rules))] {
                let (n, s) = compare(&name, &rules, &model, 300, seed);
                rows += n;
                seen.iter_mut().zip(s).for_each(|(a, b)| *a |= b);
            }
            shapes[0] |= !rules.caps.is_empty();
            shapes[1] |= !rules.outputs.is_empty();
            shapes[2] |= rules.floor.is_some();
            shapes[3] |= rules.standard.is_none();
            policies += 1;
        }
        // The corpus has dozens of good policies, among them capped groups, outputs, a
        // floor and a yes/no programme; its rows are scored, capped and unmet (no good
        // policy of the corpus has an exclusive group: the bundled ones above do).
        assert!(policies >= 30 && rows >= 10_000, "{policies} policies, {rows} rows");
        assert_eq!(shapes, [true; 4], "groups, outputs, floor, no standard");
        assert_eq!(seen[..3], [true; 3], "scored, capped, unmet");
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0u32..0x80).filter_map(char::from_u32).map(|c| format!("a{c}b")).collect();
        samples.extend(
            ["", "\"", "\\", "落户 \u{7f}\u{2028}\u{1f600}", "\u{0}\u{1f}\u{1e}x\"\\\"\n\r\t\u{8}\u{c}"]
                .map(String::from),
        );
        samples.push((0u32..0x800).filter_map(char::from_u32).collect());
        for s in samples {
            let mut got = Vec::new();
            push_json_str(&mut got, &s);
            assert_eq!(String::from_utf8_lossy(&got), serde_json::to_string(&s).unwrap_or_default(), "{s:?}");
        }
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them() {
        for n in [0, 1, -1, 9, 10, -10, 99, 100, 123_456_789, i64::MAX, i64::MIN, i64::MIN + 1] {
            let mut got = Vec::new();
            push_int(&mut got, n);
            assert_eq!(String::from_utf8_lossy(&got), serde_json::to_string(&n).unwrap_or_default());
        }
    }

    /// `jifen inputs --format json` on a list input (the fixture of tests/it/records.rs).
    #[test]
    fn a_list_input_is_described_with_its_record() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/records/good/insurance_periods.policy");
        let text = std::fs::read_to_string(path).expect("the fixture is readable");
        let rs = crate::check_with("insurance_periods.policy", &text, &crate::FsLoader)
            .ruleset
            .expect("the fixture compiles");
        let slot = rs.input_slot("periods").expect("declared");
        let described = input_json(&rs, &rs.inputs()[slot]);
        assert_eq!(described["kind"], "list");
        assert_eq!(described["type"], "list of Period");
        assert_eq!(described["max_rows"], 20);
        assert_eq!(described["fields"][0]["name"], "months");
        assert_eq!(described["fields"][1]["unit"], "yuan");
        assert_eq!(described["default"], serde_json::json!([]));
    }
}
