//! The semantic difference between two compiled policies, and the effect of a change
//! on a population of applicants.
//!
//! Rules are compared through a canonical text of the compiled rule set (inputs,
//! parameters and variants by name), so a reformatted file with the same meaning
//! shows no difference, and a new parameter value shows once, as a parameter change.

use serde::Serialize;

pub(crate) mod regions;

use crate::eval::{Applicant, Outcome, Scores};
use crate::rules::print::Printer;
use crate::rules::{Expr, ExprKind, InputType, RuleSet, Value};

/// One difference between the rules of two policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `added`, `removed` or `changed`.
    pub kind: &'static str,
    /// `policy`, `param`, `input`, `enum`, `section`, `item`, `group`, `requirement`, `veto`.
    pub what: &'static str,
    pub id: String,
    /// For `changed`: which part (`value`, `rule`, `cap`, `preconditions`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// The items whose points read a changed parameter.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affects: Vec<String>,
}

fn change(kind: &'static str, what: &'static str, id: &str) -> Change {
    Change { kind, what, id: id.to_string(), field: None, old: None, new: None, affects: Vec::new() }
}

fn changed(what: &'static str, id: &str, field: &'static str, old: String, new: String) -> Change {
    Change { field: Some(field), old: Some(old), new: Some(new), ..change("changed", what, id) }
}

fn cap_text(rs: &RuleSet, cap: Option<i64>) -> String {
    cap.map(|c| rs.show_points(c)).unwrap_or_else(|| "none".to_string())
}

fn params_read(e: &Expr, out: &mut Vec<u16>) {
    match &e.kind {
        ExprKind::Param(p) => out.push(*p),
        // A folded value still names the parameters it was computed from.
        ExprKind::Folded { source, .. } => params_read(source, out),
        _ => e.children().for_each(|c| params_read(c, out)),
    }
}

fn input_text(rs: &RuleSet, i: &crate::rules::InputDef) -> String {
    let ty = match i.ty {
        InputType::Int { unit: Some(u) } | InputType::Decimal { unit: Some(u) } => rs.unit_name(u).to_string(),
        InputType::Int { unit: None } => "int".to_string(),
        InputType::Decimal { unit: None } => "decimal".to_string(),
        InputType::Bool => "bool".to_string(),
        InputType::Enum(e) => rs.enums.get(e as usize).map(|e| e.name.to_string()).unwrap_or_default(),
        InputType::Date => "date".to_string(),
        InputType::List { record, max } => {
            let name = rs.records.get(usize::from(record)).map(|r| r.name.to_string()).unwrap_or_default();
            format!("list of {name} max {max}")
        }
    };
    let mut s = format!("{ty}{}", if i.optional { "?" } else { "" });
    if let Some(lo) = i.min {
        s.push_str(&format!(" {lo}..{}", i.max.map(|h| format!("={h}")).unwrap_or_default()));
    }
    if let Some(d) = i.default {
        s.push_str(&format!(" = {}", rs.show_value(i.ty, d)));
    }
    s
}

/// The differences in rules between `old` and `new`, each in policy words: expressions as
/// the policy writes them (with units), one change per precondition, variant or field.
pub fn rule_changes(old: &RuleSet, new: &RuleSet) -> Vec<Change> {
    let (po, pn) = (Printer::new(old), Printer::new(new));
    let mut out = Vec::new();
    // The year and effective date name the policies; only the standard is a rule.
    if old.standard != new.standard {
        let show = |rs: &RuleSet| rs.standard.map_or("none".to_string(), |s| rs.show_points(s));
        out.push(changed("policy", &new.id, "standard", show(old), show(new)));
    }
    param_changes(old, new, &mut out);
    unit_changes(old, new, &mut out);
    // Inputs: an added one with its declaration, a changed one with both.
    for i in &new.inputs {
        match old.inputs.iter().find(|j| j.name == i.name) {
            None => out.push(Change { new: Some(input_text(new, i)), ..change("added", "input", &i.name) }),
            Some(j) => {
                let (a, b) = (input_text(old, j), input_text(new, i));
                if a != b {
                    out.push(changed("input", &i.name, "declaration", a, b));
                }
                if j.label != i.label {
                    let label = |l: &Option<std::sync::Arc<str>>| l.as_deref().unwrap_or("").to_string();
                    out.push(changed("input", &i.name, "label", label(&j.label), label(&i.label)));
                }
            }
        }
    }
    for j in &old.inputs {
        if !new.inputs.iter().any(|i| i.name == j.name) {
            out.push(Change { old: Some(input_text(old, j)), ..change("removed", "input", &j.name) });
        }
    }
    variant_changes(old, new, &mut out);
    // Sections, with their caps.
    for s in &new.sections {
        match old.sections.iter().find(|t| t.id == s.id) {
            None => out.push(Change { new: Some(section_text(new, s)), ..change("added", "section", &s.id) }),
            Some(t) => {
                if t.cap != s.cap {
                    out.push(changed("section", &s.id, "cap", cap_text(old, t.cap), cap_text(new, s.cap)));
                }
                if t.label != s.label {
                    out.push(changed("section", &s.id, "label", t.label.to_string(), s.label.to_string()));
                }
            }
        }
    }
    for t in &old.sections {
        if !new.sections.iter().any(|s| s.id == t.id) {
            out.push(Change { old: Some(section_text(old, t)), ..change("removed", "section", &t.id) });
        }
    }
    // Items: the rule, the cap, and each precondition that changed, alone.
    for item in &new.items {
        let Some(prev) = old.items.iter().find(|p| p.id == item.id) else {
            out.push(Change { new: Some(item_text(&pn, new, item)), ..change("added", "item", &item.id) });
            continue;
        };
        let section = |rs: &RuleSet, s: u16| rs.sections.get(s as usize).map(|x| x.id.to_string()).unwrap_or_default();
        if section(old, prev.section) != section(new, item.section) {
            out.push(changed("item", &item.id, "section", section(old, prev.section), section(new, item.section)));
        }
        if prev.label != item.label {
            out.push(changed("item", &item.id, "label", prev.label.to_string(), item.label.to_string()));
        }
        let (a, b) = (po.expr(&prev.body), pn.expr(&item.body));
        if a != b {
            out.push(changed("item", &item.id, "rule", a, b));
        }
        if prev.cap != item.cap {
            out.push(changed("item", &item.id, "cap", cap_text(old, prev.cap), cap_text(new, item.cap)));
        }
        precondition_changes(&po, prev, &pn, item, &mut out);
        let group = |rs: &RuleSet, g: Option<u16>| {
            g.and_then(|g| rs.groups.get(g as usize)).map(|g| g.id.to_string()).unwrap_or_else(|| "none".into())
        };
        if group(old, prev.group) != group(new, item.group) {
            out.push(changed("item", &item.id, "group", group(old, prev.group), group(new, item.group)));
        }
    }
    for prev in &old.items {
        if !new.items.iter().any(|i| i.id == prev.id) {
            out.push(Change { old: Some(item_text(&po, old, prev)), ..change("removed", "item", &prev.id) });
        }
    }
    // Eligibility requirements and vetoes.
    for (what, olds, news) in [("requirement", &old.eligibility, &new.eligibility), ("veto", &old.vetoes, &new.vetoes)]
    {
        let text = |p: &Printer<'_>, r: &crate::rules::RuleDef| format!("{} \"{}\"", p.expr(&r.condition), r.reason);
        for r in news {
            match olds.iter().find(|q| q.id == r.id) {
                None => out.push(Change { new: Some(text(&pn, r)), ..change("added", what, &r.id) }),
                Some(q) => {
                    let (a, b) = (text(&po, q), text(&pn, r));
                    if a != b {
                        out.push(changed(what, &r.id, "condition", a, b));
                    }
                }
            }
        }
        for q in olds {
            if !news.iter().any(|r| r.id == q.id) {
                out.push(Change { old: Some(text(&po, q)), ..change("removed", what, &q.id) });
            }
        }
    }
    // Capped groups: added (with the cap), removed, cap or members changed.
    let ids = |rs: &'_ RuleSet, g: &crate::rules::CapGroupDef| -> Vec<String> {
        g.members.iter().filter_map(|&m| rs.items.get(m as usize)).map(|i| i.id.to_string()).collect()
    };
    let members = |rs: &RuleSet, g: &crate::rules::CapGroupDef| ids(rs, g).join(", ");
    for g in &new.caps {
        match old.caps.iter().find(|h| h.id == g.id) {
            None => out.push(Change {
                new: Some(format!("{} cap {}", members(new, g), new.show_points(g.cap))),
                ..change("added", "group", &g.id)
            }),
            Some(h) => {
                if h.cap != g.cap {
                    out.push(changed("group", &g.id, "cap", old.show_points(h.cap), new.show_points(g.cap)));
                }
                if h.label != g.label {
                    let text = |l: &Option<std::sync::Arc<str>>| l.as_deref().unwrap_or("none").to_string();
                    out.push(changed("group", &g.id, "label", text(&h.label), text(&g.label)));
                }
                // Each member added or removed is one line, as a precondition is.
                let (was, now) = (ids(old, h), ids(new, g));
                for m in now.iter().filter(|m| !was.contains(m)) {
                    out.push(Change { field: Some("member"), new: Some(m.clone()), ..change("added", "group", &g.id) });
                }
                for m in was.iter().filter(|m| !now.contains(m)) {
                    out.push(Change {
                        field: Some("member"),
                        old: Some(m.clone()),
                        ..change("removed", "group", &g.id)
                    });
                }
            }
        }
    }
    for h in &old.caps {
        if !new.caps.iter().any(|g| g.id == h.id) {
            out.push(change("removed", "group", &h.id));
        }
    }
    // Outputs: added (with what they compute), removed, or computed differently.
    for o in &new.outputs {
        match old.outputs.iter().find(|q| q.name == o.name) {
            None => out.push(Change { new: Some(pn.expr(&o.value)), ..change("added", "output", &o.name) }),
            Some(q) => {
                let (a, b) = (po.expr(&q.value), pn.expr(&o.value));
                if a != b {
                    out.push(changed("output", &o.name, "value", a, b));
                }
            }
        }
    }
    for q in &old.outputs {
        if !new.outputs.iter().any(|o| o.name == q.name) {
            out.push(Change { old: Some(po.expr(&q.value)), ..change("removed", "output", &q.name) });
        }
    }
    out
}

/// Units declared, with their declaration, or no longer declared.
fn unit_changes(old: &RuleSet, new: &RuleSet, out: &mut Vec<Change>) {
    let declared = |u: &crate::rules::UnitDef| {
        let singular = if u.singular == u.name { String::new() } else { format!(" / {}", u.singular) };
        let label = u.label.as_deref().map(|l| format!(" \"{l}\"")).unwrap_or_default();
        format!("unit {}{singular}{label}{}", u.name, if u.decimal { " decimal" } else { "" })
    };
    for u in &new.units {
        match old.units.iter().find(|v| v.name == u.name) {
            None => out.push(Change { new: Some(declared(u)), ..change("added", "unit", &u.name) }),
            Some(v) if declared(v) != declared(u) => {
                out.push(changed("unit", &u.name, "declaration", declared(v), declared(u)))
            }
            Some(_) => {}
        }
    }
    for v in &old.units {
        if !new.units.iter().any(|u| u.name == v.name) {
            out.push(Change { old: Some(declared(v)), ..change("removed", "unit", &v.name) });
        }
    }
}

/// Parameters, with their values and the items that read a changed one.
fn param_changes(old: &RuleSet, new: &RuleSet, out: &mut Vec<Change>) {
    let shown = |rs: &RuleSet, p: &crate::rules::ParamDef| crate::rules::print::quantity(rs, p.value, p.unit);
    for p in &new.params {
        match old.params.iter().find(|q| q.name == p.name) {
            None => out.push(Change { new: Some(shown(new, p)), ..change("added", "param", &p.name) }),
            Some(q) if q.value != p.value || q.unit.map(|u| old.unit_name(u)) != p.unit.map(|u| new.unit_name(u)) => {
                let mut c = changed("param", &p.name, "value", shown(old, q), shown(new, p));
                let index = new.params.iter().position(|x| x.name == p.name).unwrap_or(0) as u16;
                c.affects = new
                    .items
                    .iter()
                    .filter(|item| {
                        let mut read = Vec::new();
                        params_read(&item.body, &mut read);
                        item.preconditions.iter().for_each(|pre| params_read(&pre.condition, &mut read));
                        read.contains(&index)
                    })
                    .map(|item| item.id.to_string())
                    .collect();
                out.push(c);
            }
            _ => {}
        }
    }
    for q in &old.params {
        if !new.params.iter().any(|p| p.name == q.name) {
            out.push(Change { old: Some(shown(old, q)), ..change("removed", "param", &q.name) });
        }
    }
}

/// Enums: each variant added or removed, by name, with its label.
fn variant_changes(old: &RuleSet, new: &RuleSet, out: &mut Vec<Change>) {
    let text = |v: &crate::rules::VariantDef| v.label.as_deref().map(|l| format!("\"{l}\"")).unwrap_or_default();
    for e in &new.enums {
        let Some(f) = old.enums.iter().find(|f| f.name == e.name) else {
            let names: Vec<&str> = e.variants.iter().map(|v| &*v.name).collect();
            out.push(Change { new: Some(names.join(", ")), ..change("added", "enum", &e.name) });
            continue;
        };
        for v in &e.variants {
            if !f.variants.iter().any(|w| w.name == v.name) {
                let id = format!("{}.{}", e.name, v.name);
                out.push(Change { new: Some(text(v)).filter(|t| !t.is_empty()), ..change("added", "variant", &id) });
            }
        }
        for w in &f.variants {
            if !e.variants.iter().any(|v| v.name == w.name) {
                let id = format!("{}.{}", e.name, w.name);
                out.push(change("removed", "variant", &id));
            }
        }
    }
    for f in &old.enums {
        if !new.enums.iter().any(|e| e.name == f.name) {
            out.push(change("removed", "enum", &f.name));
        }
    }
}

/// The preconditions of an item kept by both years, matched by their reasons: only the
/// ones added, removed or changed.
fn precondition_changes(
    po: &Printer<'_>,
    prev: &crate::rules::ItemDef,
    pn: &Printer<'_>,
    item: &crate::rules::ItemDef,
    out: &mut Vec<Change>,
) {
    let text = |p: &Printer<'_>, x: &crate::rules::Precondition| format!("{} \"{}\"", p.expr(&x.condition), x.reason);
    for x in &item.preconditions {
        match prev.preconditions.iter().find(|y| y.reason == x.reason) {
            None => out.push(Change {
                new: Some(text(pn, x)),
                field: Some("precondition"),
                ..change("added", "item", &item.id)
            }),
            Some(y) => {
                let (a, b) = (text(po, y), text(pn, x));
                if a != b {
                    out.push(changed("item", &item.id, "precondition", a, b));
                }
            }
        }
    }
    for y in &prev.preconditions {
        if !item.preconditions.iter().any(|x| x.reason == y.reason) {
            out.push(Change {
                old: Some(text(po, y)),
                field: Some("precondition"),
                ..change("removed", "item", &prev.id)
            });
        }
    }
}

/// An item as a whole, for one added or removed: its section, preconditions, rule and cap.
fn item_text(p: &Printer<'_>, rs: &RuleSet, item: &crate::rules::ItemDef) -> String {
    let mut parts = Vec::new();
    if let Some(s) = rs.sections.get(usize::from(item.section)) {
        parts.push(format!("in section {}", s.id));
    }
    for x in &item.preconditions {
        parts.push(format!("requires {} \"{}\"", p.expr(&x.condition), x.reason));
    }
    parts.push(p.expr(&item.body));
    if let Some(cap) = item.cap {
        parts.push(format!("cap {}", rs.show_points(cap)));
    }
    parts.join("; ")
}

fn section_text(rs: &RuleSet, s: &crate::rules::SectionDef) -> String {
    let mut text = format!("\"{}\"", s.label);
    if s.deduction {
        text.push_str(" deduction");
    }
    if let Some(cap) = s.cap {
        text.push_str(&format!(" cap {}", rs.show_points(cap)));
    }
    text
}

/// How one year reads rows written for either year: facts only the other year declares are
/// read (checked against the other year's declaration) and then dropped; the year's new or
/// changed inputs are read as optional so that their absence can be counted, then take
/// their defaults.
#[derive(Debug, Clone)]
pub(crate) struct YearSchema {
    /// The year's rules with the other year's extra inputs appended and its measured
    /// inputs made optional: for reading rows only, never for scoring.
    pub reading: RuleSet,
    /// The year's own inputs, which come first in `reading`.
    inputs: usize,
    /// The year's inputs whose absence is counted, with their real declaration.
    measured: Vec<(usize, crate::rules::InputDef)>,
}

impl YearSchema {
    /// `own` read alongside `other`; with `measure`, own inputs that `other` lacks or
    /// declares otherwise are counted when not given.
    pub(crate) fn new(own: &RuleSet, other: &RuleSet, measure: bool) -> YearSchema {
        let mut reading = own.clone();
        let mut measured = Vec::new();
        if measure {
            for (slot, def) in own.inputs.iter().enumerate() {
                let changed = match other.inputs.iter().find(|o| o.name == def.name) {
                    None => true,
                    Some(o) => input_text(other, o) != input_text(own, def),
                };
                if changed {
                    measured.push((slot, def.clone()));
                    let read = &mut reading.inputs[slot];
                    (read.optional, read.default) = (true, None);
                }
            }
        }
        for def in &other.inputs {
            if own.input_slot(&def.name).is_some() {
                continue;
            }
            let mut def = def.clone();
            if let InputType::Enum(e) = def.ty {
                // The other year's enum travels with the input, for reading its values.
                if let Some(en) = other.enums.get(e as usize) {
                    reading.enums.push(en.clone());
                    def.ty = InputType::Enum(u16::try_from(reading.enums.len() - 1).unwrap_or(u16::MAX));
                }
            }
            (def.optional, def.default) = (true, None);
            reading.inputs.push(def);
        }
        YearSchema { reading, inputs: own.inputs.len(), measured }
    }

    /// The inputs whose absence is counted, in order.
    pub(crate) fn measured(&self) -> impl Iterator<Item = &str> + '_ {
        self.measured.iter().map(|(_, d)| &*d.name)
    }

    /// Make an applicant read with [`Self::reading`] one of the year's own: measured inputs
    /// not given are counted in `not_given` (by position in [`Self::measured`]) and take
    /// their defaults; the other year's facts are dropped.
    pub(crate) fn finish(
        &self,
        read: &Applicant,
        out: &mut Applicant,
        not_given: &mut [usize],
    ) -> Result<(), crate::applicant::ApplicantError> {
        out.values.clear();
        out.values.extend(read.values.iter().take(self.inputs).copied());
        // The rows of the year's own list inputs (their slots come first, as the values').
        out.lists.clear();
        out.lists.extend(read.lists.iter().filter(|(slot, _)| usize::from(*slot) < self.inputs).cloned());
        for (k, (slot, def)) in self.measured.iter().enumerate() {
            let Some(v) = out.values.get_mut(*slot) else { continue };
            if *v != Value::Absent {
                continue;
            }
            if let Some(n) = not_given.get_mut(k) {
                *n += 1;
            }
            *v = match def.default {
                Some(d) => d,
                None if def.optional => Value::Absent,
                None => {
                    return Err(crate::applicant::ApplicantError::MissingKey {
                        key: def.name.to_string(),
                        expected: self.reading.expected(def),
                    })
                }
            };
        }
        Ok(())
    }
}

/// How one applicant's score changes between two policies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicantDelta {
    pub old_total: i64,
    pub new_total: i64,
    pub old_meets: bool,
    pub new_meets: bool,
    /// Per item id, new points minus old points (items in either policy).
    pub items: Vec<(String, i64)>,
}

impl ApplicantDelta {
    pub fn delta(&self) -> i64 {
        self.new_total.saturating_sub(self.old_total)
    }
}

/// Compare the outcomes of one applicant.
pub fn applicant_delta(old: &Outcome, new: &Outcome) -> ApplicantDelta {
    let mut items: Vec<(String, i64)> = Vec::new();
    for item in &new.items {
        let before = old.item(item.id).map(|i| i.points).unwrap_or(0);
        items.push((item.id.to_string(), item.points.saturating_sub(before)));
    }
    for item in &old.items {
        if new.item(item.id).is_none() {
            items.push((item.id.to_string(), 0i64.saturating_sub(item.points)));
        }
    }
    ApplicantDelta {
        old_total: old.total,
        new_total: new.total,
        old_meets: old.meets_standard,
        new_meets: new.meets_standard,
        items,
    }
}

/// The bands a change of total falls in: `(from, to, label)`, both ends included.
pub(crate) const BANDS: [(Option<i64>, Option<i64>, &str); 7] = [
    (None, Some(-50), "≤ -50"),
    (Some(-49), Some(-10), "-49…-10"),
    (Some(-9), Some(-1), "-9…-1"),
    (Some(0), Some(0), "0"),
    (Some(1), Some(9), "+1…+9"),
    (Some(10), Some(49), "+10…+49"),
    (Some(50), None, "≥ +50"),
];

/// The index in [`BANDS`] of a change counted in units of `unit` points (1 for whole
/// points, 100 at a precision of 0.01): a part of a point counts as one point of its sign, so
/// that only no change at all is the band `0`.
pub(crate) fn band_in(change: i64, unit: i64) -> usize {
    let unit = unit.max(1);
    let whole = change / unit;
    band(if whole == 0 { change.signum() } else { whole })
}

/// The index in [`BANDS`] of a change (or of a distance from the standard), in whole points.
pub(crate) fn band(change: i64) -> usize {
    match change {
        i64::MIN..=-50 => 0,
        -49..=-10 => 1,
        -9..=-1 => 2,
        0 => 3,
        1..=9 => 4,
        10..=49 => 5,
        _ => 6,
    }
}

/// Applicants shown per band.
pub(crate) const EXAMPLES_PER_BAND: usize = 3;

/// Applicants of one band, or of one value of a `--by` fact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Count {
    pub applicants: usize,
    pub gain: usize,
    pub lose: usize,
    /// Sum of the changes of total.
    pub total_change: i64,
}

impl Count {
    fn add(&mut self, delta: i64) {
        self.applicants += 1;
        match delta.signum() {
            1 => self.gain += 1,
            -1 => self.lose += 1,
            _ => {}
        }
        self.total_change = self.total_change.saturating_add(delta);
    }

    fn merge(&mut self, other: Count) {
        self.applicants += other.applicants;
        self.gain += other.gain;
        self.lose += other.lose;
        self.total_change = self.total_change.saturating_add(other.total_change);
    }

    /// The mean change, exact to two decimals (rounded half away from zero).
    pub(crate) fn mean_change(&self) -> rust_decimal::Decimal {
        use rust_decimal::{Decimal, RoundingStrategy};
        if self.applicants == 0 {
            return Decimal::ZERO;
        }
        let mean = Decimal::from(self.total_change) / Decimal::from(self.applicants as u64);
        mean.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize()
    }
}

/// Whether an item's points changed because its own rule did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DriverKind {
    /// The item's rule, cap, preconditions or group changed, or a parameter or input it reads.
    Direct,
    /// The item's rule is the same: its points moved through a `best_of` group, a cap or a
    /// precondition reading another item.
    KnockOn,
}

/// An item whose points changed for some applicants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Driver {
    pub item: String,
    pub kind: DriverKind,
    pub applicants: usize,
    pub total_change: i64,
}

/// One band of changes of total, with a few of its applicants (by id, or `line N`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Band {
    pub band: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
    pub applicants: usize,
    pub examples: Vec<String>,
}

/// What a policy change does to a population.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Summary {
    pub applicants: usize,
    pub gain: usize,
    pub lose: usize,
    pub same: usize,
    pub newly_meet: usize,
    pub no_longer_meet: usize,
    /// The changes of total in [`BANDS`], in order.
    pub bands: Vec<Band>,
    /// The items whose points changed, largest effect (absolute total change) first.
    pub drivers: Vec<Driver>,
    /// Per value of the `--by` fact (in the fact's order): its applicants and their changes.
    pub by: Vec<(String, Count)>,
    /// The new year's new or changed inputs, with how many applicants did not give them.
    pub not_given: Vec<(String, usize)>,
}

/// The columns of an applicant's delta — the new policy's items, then those only in the
/// old one — matched by id once, so each applicant's delta is a few subtractions of
/// [`Scores`] (the same numbers [`applicant_delta`] gives from outcomes).
#[derive(Debug, Clone)]
pub(crate) struct DeltaColumns<'r> {
    columns: Vec<Column<'r>>,
}

#[derive(Debug, Clone, Copy)]
struct Column<'r> {
    id: &'r str,
    /// The item's index in the new and in the old policy.
    new: Option<usize>,
    old: Option<usize>,
    kind: DriverKind,
}

fn inputs_read(e: &Expr, out: &mut Vec<u16>) {
    match &e.kind {
        ExprKind::Input(s) => out.push(*s),
        ExprKind::Folded { source, .. } => inputs_read(source, out),
        _ => e.children().for_each(|c| inputs_read(c, out)),
    }
}

/// The items whose own definition changed between `old` and `new`: the item itself, a
/// parameter it reads, or an input it reads.
fn directly_changed(old: &RuleSet, new: &RuleSet) -> Vec<String> {
    let changes = rule_changes(old, new);
    let mut direct: Vec<String> = Vec::new();
    for c in &changes {
        match c.what {
            "item" => direct.push(c.id.clone()),
            "param" => direct.extend(c.affects.iter().cloned()),
            _ => {}
        }
    }
    let inputs: Vec<&str> = changes.iter().filter(|c| c.what == "input").map(|c| c.id.as_str()).collect();
    for item in &new.items {
        let mut read = Vec::new();
        inputs_read(&item.body, &mut read);
        item.preconditions.iter().for_each(|p| inputs_read(&p.condition, &mut read));
        if read.iter().any(|&s| new.inputs.get(s as usize).is_some_and(|i| inputs.contains(&&*i.name))) {
            direct.push(item.id.to_string());
        }
    }
    direct
}

impl<'r> DeltaColumns<'r> {
    pub(crate) fn new(old: &'r RuleSet, new: &'r RuleSet) -> DeltaColumns<'r> {
        let direct = directly_changed(old, new);
        let kind = |id: &str| {
            if direct.iter().any(|d| d == id) {
                DriverKind::Direct
            } else {
                DriverKind::KnockOn
            }
        };
        let mut columns: Vec<Column<'r>> = new
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| Column {
                id: &item.id,
                new: Some(i),
                old: old.items.iter().position(|o| o.id == item.id),
                kind: kind(&item.id),
            })
            .collect();
        for (i, item) in old.items.iter().enumerate() {
            if !new.items.iter().any(|n| n.id == item.id) {
                columns.push(Column { id: &item.id, new: None, old: Some(i), kind: kind(&item.id) });
            }
        }
        DeltaColumns { columns }
    }

    /// The item ids, in column order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &'r str> + '_ {
        self.columns.iter().map(|c| c.id)
    }

    /// New points minus old points, per column, into `out`.
    pub(crate) fn changes(&self, old: &Scores, new: &Scores, out: &mut Vec<i64>) {
        let points = |s: &Scores, i: Option<usize>| i.and_then(|i| s.points.get(i).copied()).unwrap_or(0);
        out.clear();
        out.extend(self.columns.iter().map(|c| points(new, c.new).saturating_sub(points(old, c.old))));
    }
}

/// A [`Summary`] being counted, by column and by key: cheap to add to and to merge, so
/// each thread keeps one. Merged in input order, it keeps the first examples of each band.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    summary: Summary,
    bands: [usize; BANDS.len()],
    examples: [Vec<String>; BANDS.len()],
    /// Per column: applicants whose points for the item changed, and the sum of the changes.
    drivers: Vec<(usize, i64)>,
    /// Per key of the `--by` fact (see [`Tally::group`]).
    groups: Vec<(u32, Count)>,
    /// Per measured input of the new year ([`YearSchema::measured`]): applicants without it.
    pub not_given: Vec<usize>,
    /// Units of one point (see [`RuleSet::point_unit`]); 0 or 1 for whole points.
    unit: i64,
}

impl Tally {
    /// A tally of points counted in `unit`s of a point (`RuleSet::point_unit`).
    pub(crate) fn with_unit(unit: i64) -> Tally {
        Tally { unit, ..Tally::default() }
    }

    /// Count one applicant, scored under both policies, with its [`DeltaColumns::changes`].
    pub(crate) fn add(&mut self, old: &Scores, new: &Scores, changes: &[i64]) {
        let delta = new.total.saturating_sub(old.total);
        let s = &mut self.summary;
        s.applicants += 1;
        match delta.signum() {
            1 => s.gain += 1,
            -1 => s.lose += 1,
            _ => s.same += 1,
        }
        s.newly_meet += usize::from(!old.meets_standard && new.meets_standard);
        s.no_longer_meet += usize::from(old.meets_standard && !new.meets_standard);
        self.bands[band_in(delta, self.unit)] += 1;
        if self.drivers.len() < changes.len() {
            self.drivers.resize(changes.len(), (0, 0));
        }
        for (driver, &change) in self.drivers.iter_mut().zip(changes) {
            if change != 0 {
                driver.0 += 1;
                driver.1 = driver.1.saturating_add(change);
            }
        }
    }

    /// Keep the applicant as an example of its band while the band has few.
    pub(crate) fn example(&mut self, delta: i64, name: impl FnOnce() -> String) {
        let examples = &mut self.examples[band_in(delta, self.unit)];
        if examples.len() < EXAMPLES_PER_BAND {
            examples.push(name());
        }
    }

    /// Count the applicant under `key`, its value of the `--by` fact.
    pub(crate) fn group(&mut self, key: u32, delta: i64) {
        match self.groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => count.add(delta),
            None => {
                let mut count = Count::default();
                count.add(delta);
                self.groups.push((key, count));
            }
        }
    }

    pub(crate) fn applicants(&self) -> usize {
        self.summary.applicants
    }

    pub(crate) fn merge(&mut self, other: Tally) {
        let (s, o) = (&mut self.summary, other.summary);
        s.applicants += o.applicants;
        s.gain += o.gain;
        s.lose += o.lose;
        s.same += o.same;
        s.newly_meet += o.newly_meet;
        s.no_longer_meet += o.no_longer_meet;
        for (k, n) in other.bands.into_iter().enumerate() {
            self.bands[k] += n;
        }
        for (mine, theirs) in self.examples.iter_mut().zip(other.examples) {
            let room = EXAMPLES_PER_BAND.saturating_sub(mine.len());
            mine.extend(theirs.into_iter().take(room));
        }
        if self.drivers.len() < other.drivers.len() {
            self.drivers.resize(other.drivers.len(), (0, 0));
        }
        for (mine, (n, sum)) in self.drivers.iter_mut().zip(other.drivers) {
            mine.0 += n;
            mine.1 = mine.1.saturating_add(sum);
        }
        for (key, count) in other.groups {
            match self.groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, mine)) => mine.merge(count),
                None => self.groups.push((key, count)),
            }
        }
        if self.not_given.len() < other.not_given.len() {
            self.not_given.resize(other.not_given.len(), 0);
        }
        for (mine, n) in self.not_given.iter_mut().zip(other.not_given) {
            *mine += n;
        }
    }

    /// The summary: drivers named by item (only items some applicant's change involved),
    /// measured inputs named in order, `--by` keys named by `label`.
    pub(crate) fn summary<'n>(
        self,
        columns: &DeltaColumns<'_>,
        measured: impl Iterator<Item = &'n str>,
        label: &dyn Fn(u32) -> String,
    ) -> Summary {
        let mut summary = self.summary;
        summary.bands = BANDS
            .iter()
            .zip(self.bands)
            .zip(self.examples)
            .map(|(((from, to, band), applicants), examples)| Band { band, from: *from, to: *to, applicants, examples })
            .collect();
        summary.drivers = columns
            .columns
            .iter()
            .zip(self.drivers)
            .filter(|(_, (n, _))| *n > 0)
            .map(|(c, (applicants, total_change))| Driver {
                item: c.id.to_string(),
                kind: c.kind,
                applicants,
                total_change,
            })
            .collect();
        summary
            .drivers
            .sort_by_key(|d| (std::cmp::Reverse(d.total_change.unsigned_abs()), std::cmp::Reverse(d.applicants)));
        let mut groups = self.groups;
        groups.sort_by_key(|(k, _)| *k);
        summary.by = groups.into_iter().map(|(k, c)| (label(k), c)).collect();
        summary.not_given = measured
            .enumerate()
            .map(|(k, name)| (name.to_string(), self.not_given.get(k).copied().unwrap_or(0)))
            .collect();
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(total: i64, points: Vec<i64>, meets_standard: bool) -> Scores {
        let mut s = Scores::default();
        (s.total, s.points, s.meets_standard) = (total, points, meets_standard);
        s
    }

    #[test]
    fn changes_at_the_bounds_of_points_saturate_instead_of_overflowing() {
        let old_rules = crate::compile_bundled("policies/2024.policy").expect("2024 compiles");
        let new_rules = crate::bundled_policy().expect("2025 compiles");
        let columns = DeltaColumns::new(&old_rules, &new_rules);
        let n = new_rules.items.len();
        // Extreme applicants saturate at the bounds of i64 (see `eval`); a change between
        // two saturated scores must not overflow either.
        let old = scores(i64::MIN, vec![i64::MIN; n], false);
        let new = scores(i64::MAX, vec![i64::MAX; n], true);
        let mut changes = Vec::new();
        columns.changes(&old, &new, &mut changes);
        assert!(changes.iter().all(|&c| c == i64::MAX));
        let mut tally = Tally::default();
        tally.add(&old, &new, &changes);
        tally.add(&old, &new, &changes);
        let summary = tally.summary(&columns, std::iter::empty(), &|k| k.to_string());
        assert_eq!((summary.gain, summary.newly_meet), (2, 2));
        assert_eq!(summary.bands.last().map(|b| b.applicants), Some(2));
        assert!(summary.drivers.iter().all(|d| d.applicants == 2 && d.total_change == i64::MAX));
    }
}
