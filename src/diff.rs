//! The semantic difference between two compiled policies, and the effect of a change
//! on a population of applicants.
//!
//! Rules are compared through a canonical text of the compiled rule set (inputs,
//! parameters and variants by name), so a reformatted file with the same meaning
//! shows no difference, and a new parameter value shows once, as a parameter change.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::eval::{Applicant, Outcome, Scores};
use crate::rules::{ArithOp, CmpOp, Expr, InputType, Pattern, RuleSet, Value};

/// One difference between the rules of two policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `added`, `removed` or `changed`.
    pub kind: &'static str,
    /// `policy`, `param`, `input`, `enum`, `section`, `item`, `group`, `requirement`, `veto`.
    pub what: &'static str,
    pub id: String,
    /// For `changed`: which part (`value`, `rule`, `cap`, `preconditions`, …).
    pub field: Option<&'static str>,
    pub old: Option<String>,
    pub new: Option<String>,
    /// The items whose points read a changed parameter.
    pub affects: Vec<String>,
}

fn change(kind: &'static str, what: &'static str, id: &str) -> Change {
    Change { kind, what, id: id.to_string(), field: None, old: None, new: None, affects: Vec::new() }
}

fn changed(what: &'static str, id: &str, field: &'static str, old: String, new: String) -> Change {
    Change { field: Some(field), old: Some(old), new: Some(new), ..change("changed", what, id) }
}

/// Prints a compiled expression with names, for comparison and display.
struct Printer<'r> {
    rs: &'r RuleSet,
}

impl Printer<'_> {
    fn enum_of(&self, e: &Expr) -> Option<u16> {
        match e {
            Expr::Input(s) => match self.rs.inputs.get(*s as usize)?.ty {
                InputType::Enum(en) => Some(en),
                _ => None,
            },
            Expr::Param(p) => match self.rs.params.get(*p as usize)?.value {
                Value::Enum(_) => None,
                _ => None,
            },
            _ => None,
        }
    }

    fn value(&self, v: Value, en: Option<u16>) -> String {
        match (v, en) {
            (Value::Enum(i), Some(e)) => self
                .rs
                .enums
                .get(e as usize)
                .and_then(|d| d.variants.get(i as usize))
                .map(|v| v.name.to_string())
                .unwrap_or_else(|| format!("#{i}")),
            (v, _) => crate::rules::show_plain(v),
        }
    }

    fn expr(&self, e: &Expr) -> String {
        self.expr_in(e, None)
    }

    fn expr_in(&self, e: &Expr, en: Option<u16>) -> String {
        match e {
            Expr::Const(v) => self.value(*v, en),
            Expr::Input(s) => self.rs.inputs.get(*s as usize).map(|i| i.name.to_string()).unwrap_or_default(),
            Expr::Param(p) => self.rs.params.get(*p as usize).map(|p| p.name.to_string()).unwrap_or_default(),
            Expr::Folded { source, .. } => self.expr_in(source, en),
            Expr::Points(i) => format!("points({})", self.rs.items.get(*i as usize).map(|i| &*i.id).unwrap_or("?")),
            Expr::Neg(a) => format!("-{}", self.expr(a)),
            Expr::Not(a) => format!("not {}", self.expr(a)),
            Expr::Arith(op, a, b) => {
                let o = match op {
                    ArithOp::Add => "+",
                    ArithOp::Sub => "-",
                    ArithOp::Mul => "*",
                    ArithOp::Div => "/",
                };
                format!("({} {o} {})", self.expr(a), self.expr(b))
            }
            Expr::Cmp(op, a, b) => {
                let o = match op {
                    CmpOp::Eq => "==",
                    CmpOp::Ne => "!=",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                let hint = self.enum_of(a).or(self.enum_of(b));
                format!("{} {o} {}", self.expr_in(a, hint), self.expr_in(b, hint))
            }
            Expr::And(a, b) => format!("({} and {})", self.expr(a), self.expr(b)),
            Expr::Or(a, b) => format!("({} or {})", self.expr(a), self.expr(b)),
            Expr::In(a, set) => {
                let hint = self.enum_of(a);
                let items: Vec<String> = set.iter().map(|v| self.value(*v, hint)).collect();
                format!("{} in [{}]", self.expr(a), items.join(", "))
            }
            Expr::Coalesce(a, b) => format!("{} ?? {}", self.expr(a), self.expr(b)),
            Expr::IsPresent(a) => format!("present({})", self.expr(a)),
            Expr::Per { rate, operand, scale, amount } => {
                let per = if *scale == 1 {
                    amount.normalize().to_string()
                } else {
                    format!("{}/{scale}", amount.normalize())
                };
                format!("{} per {per} of {}", self.expr(rate), self.expr(operand))
            }
            Expr::Min(args) | Expr::Max(args) => {
                let f = if matches!(e, Expr::Min(_)) { "min" } else { "max" };
                format!("{f}({})", args.iter().map(|a| self.expr(a)).collect::<Vec<_>>().join(", "))
            }
            Expr::Floor(a) => format!("floor({})", self.expr(a)),
            Expr::When { arms, otherwise } => {
                let mut parts: Vec<String> =
                    arms.iter().map(|(c, r)| format!("when {} => {}", self.expr(c), self.expr_in(r, en))).collect();
                parts.push(format!("else => {}", self.expr_in(otherwise, en)));
                parts.join(" ")
            }
            Expr::Match { scrutinee, arms } => {
                let hints: Vec<Option<u16>> = scrutinee.iter().map(|s| self.enum_of(s)).collect();
                let arms: Vec<String> = arms
                    .iter()
                    .map(|(pattern, r)| {
                        let pats: Vec<String> = pattern
                            .iter()
                            .zip(&hints)
                            .map(|(p, h)| match p {
                                Pattern::Any => "_".to_string(),
                                Pattern::OneOf(vs) => {
                                    vs.iter().map(|v| self.value(*v, *h)).collect::<Vec<_>>().join(" | ")
                                }
                            })
                            .collect();
                        format!("({}) => {}", pats.join(", "), self.expr_in(r, en))
                    })
                    .collect();
                let s: Vec<String> = scrutinee.iter().map(|s| self.expr(s)).collect();
                format!("match ({}) {{ {} }}", s.join(", "), arms.join(", "))
            }
        }
    }
}

fn params_read(e: &Expr, out: &mut Vec<u16>) {
    match e {
        Expr::Param(p) => out.push(*p),
        // A folded value still names the parameters it was computed from.
        Expr::Folded { source, .. } => params_read(source, out),
        _ => e.children().for_each(|c| params_read(c, out)),
    }
}

fn input_text(rs: &RuleSet, i: &crate::rules::InputDef) -> String {
    let ty = match i.ty {
        InputType::Int { unit: Some(u) } | InputType::Decimal { unit: Some(u) } => u.name().to_string(),
        InputType::Int { unit: None } => "int".to_string(),
        InputType::Decimal { unit: None } => "decimal".to_string(),
        InputType::Bool => "bool".to_string(),
        InputType::Enum(e) => rs.enums.get(e as usize).map(|e| e.name.to_string()).unwrap_or_default(),
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

/// The differences in rules between `old` and `new`.
pub fn rule_changes(old: &RuleSet, new: &RuleSet) -> Vec<Change> {
    let (po, pn) = (Printer { rs: old }, Printer { rs: new });
    let mut out = Vec::new();
    // The year and effective date name the policies; only the standard is a rule.
    if old.standard != new.standard {
        out.push(changed("policy", &new.id, "standard", old.standard.to_string(), new.standard.to_string()));
    }
    // Parameters, with the items that read them.
    for p in &new.params {
        let shown = |_: &RuleSet, p: &crate::rules::ParamDef| {
            let n = crate::rules::show_plain(p.value);
            // "1 year", "3 years"
            let unit = p.unit.map(|u| if n == "1" { u.name().trim_end_matches('s') } else { u.name() });
            format!("{n}{}", unit.map(|u| format!(" {u}")).unwrap_or_default())
        };
        match old.params.iter().find(|q| q.name == p.name) {
            None => out.push(change("added", "param", &p.name)),
            Some(q) if q.value != p.value || q.unit != p.unit => {
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
            out.push(change("removed", "param", &q.name));
        }
    }
    // Inputs.
    for i in &new.inputs {
        match old.inputs.iter().find(|j| j.name == i.name) {
            None => out.push(change("added", "input", &i.name)),
            Some(j) => {
                let (a, b) = (input_text(old, j), input_text(new, i));
                if a != b {
                    out.push(changed("input", &i.name, "declaration", a, b));
                }
            }
        }
    }
    for j in &old.inputs {
        if !new.inputs.iter().any(|i| i.name == j.name) {
            out.push(change("removed", "input", &j.name));
        }
    }
    // Enums' variants.
    for e in &new.enums {
        if let Some(f) = old.enums.iter().find(|f| f.name == e.name) {
            let names = |d: &crate::rules::EnumDef| {
                d.variants.iter().map(|v| v.name.to_string()).collect::<Vec<_>>().join(", ")
            };
            if names(f) != names(e) {
                out.push(changed("enum", &e.name, "variants", names(f), names(e)));
            }
        } else {
            out.push(change("added", "enum", &e.name));
        }
    }
    // Sections.
    for s in &new.sections {
        match old.sections.iter().find(|t| t.id == s.id) {
            None => out.push(change("added", "section", &s.id)),
            Some(t) => {
                if t.cap != s.cap {
                    out.push(changed("section", &s.id, "cap", cap_text(t.cap), cap_text(s.cap)));
                }
                if t.label != s.label {
                    out.push(changed("section", &s.id, "label", t.label.to_string(), s.label.to_string()));
                }
            }
        }
    }
    for t in &old.sections {
        if !new.sections.iter().any(|s| s.id == t.id) {
            out.push(change("removed", "section", &t.id));
        }
    }
    // Items.
    for item in &new.items {
        let Some(prev) = old.items.iter().find(|p| p.id == item.id) else {
            out.push(Change { new: Some(pn.expr(&item.body)), ..change("added", "item", &item.id) });
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
            out.push(changed("item", &item.id, "cap", cap_text(prev.cap), cap_text(item.cap)));
        }
        let pre = |p: &Printer<'_>, d: &crate::rules::ItemDef| {
            d.preconditions
                .iter()
                .map(|x| format!("{} \"{}\"", p.expr(&x.condition), x.reason))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let (a, b) = (pre(&po, prev), pre(&pn, item));
        if a != b {
            out.push(changed("item", &item.id, "preconditions", a, b));
        }
        let group = |rs: &RuleSet, g: Option<u16>| {
            g.and_then(|g| rs.groups.get(g as usize)).map(|g| g.id.to_string()).unwrap_or_else(|| "none".into())
        };
        if group(old, prev.group) != group(new, item.group) {
            out.push(changed("item", &item.id, "group", group(old, prev.group), group(new, item.group)));
        }
    }
    for prev in &old.items {
        if !new.items.iter().any(|i| i.id == prev.id) {
            out.push(Change { old: Some(po.expr(&prev.body)), ..change("removed", "item", &prev.id) });
        }
    }
    // Eligibility requirements and vetoes.
    for (what, olds, news) in [("requirement", &old.eligibility, &new.eligibility), ("veto", &old.vetoes, &new.vetoes)]
    {
        for r in news {
            match olds.iter().find(|q| q.id == r.id) {
                None => out.push(Change { new: Some(pn.expr(&r.condition)), ..change("added", what, &r.id) }),
                Some(q) => {
                    let (a, b) = (po.expr(&q.condition), pn.expr(&r.condition));
                    if a != b || q.reason != r.reason {
                        out.push(changed(
                            what,
                            &r.id,
                            "condition",
                            format!("{a} \"{}\"", q.reason),
                            format!("{b} \"{}\"", r.reason),
                        ));
                    }
                }
            }
        }
        for q in olds {
            if !news.iter().any(|r| r.id == q.id) {
                out.push(change("removed", what, &q.id));
            }
        }
    }
    out
}

fn cap_text(cap: Option<i64>) -> String {
    cap.map(|c| c.to_string()).unwrap_or_else(|| "none".to_string())
}

/// How one year reads rows written for either year: facts only the other year declares are
/// read (checked against the other year's declaration) and then dropped; the year's new or
/// changed inputs are read as optional so that their absence can be counted, then take
/// their defaults.
#[derive(Debug, Clone)]
pub struct YearSchema {
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
    pub fn new(own: &RuleSet, other: &RuleSet, measure: bool) -> YearSchema {
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
    pub fn measured(&self) -> impl Iterator<Item = &str> + '_ {
        self.measured.iter().map(|(_, d)| &*d.name)
    }

    /// Make an applicant read with [`Self::reading`] one of the year's own: measured inputs
    /// not given are counted in `not_given` (by position in [`Self::measured`]) and take
    /// their defaults; the other year's facts are dropped.
    pub fn finish(
        &self,
        read: &Applicant,
        out: &mut Applicant,
        not_given: &mut [usize],
    ) -> Result<(), crate::applicant::ApplicantError> {
        out.values.clear();
        out.values.extend(read.values.iter().take(self.inputs).copied());
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

/// What a policy change does to a population.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub applicants: usize,
    pub gain: usize,
    pub lose: usize,
    pub same: usize,
    pub newly_meet: usize,
    pub no_longer_meet: usize,
    /// Change of total → number of applicants.
    pub distribution: BTreeMap<i64, usize>,
    /// Item id → (applicants whose points for it changed, sum of the changes).
    pub drivers: BTreeMap<String, (usize, i64)>,
    /// The new year's new or changed inputs, with how many applicants did not give them.
    pub not_given: Vec<(String, usize)>,
}

impl Summary {
    pub fn add(&mut self, d: &ApplicantDelta) {
        self.count(d.delta(), d.old_meets, d.new_meets);
        for (id, change) in &d.items {
            if *change != 0 {
                let e = self.drivers.entry(id.clone()).or_default();
                e.0 += 1;
                e.1 = e.1.saturating_add(*change);
            }
        }
    }

    /// Count one applicant's change of total and of meeting the standard.
    fn count(&mut self, delta: i64, old_meets: bool, new_meets: bool) {
        self.applicants += 1;
        match delta.signum() {
            1 => self.gain += 1,
            -1 => self.lose += 1,
            _ => self.same += 1,
        }
        if !old_meets && new_meets {
            self.newly_meet += 1;
        }
        if old_meets && !new_meets {
            self.no_longer_meet += 1;
        }
        *self.distribution.entry(delta).or_default() += 1;
    }

    pub fn merge(&mut self, other: Summary) {
        self.applicants += other.applicants;
        self.gain += other.gain;
        self.lose += other.lose;
        self.same += other.same;
        self.newly_meet += other.newly_meet;
        self.no_longer_meet += other.no_longer_meet;
        for (k, v) in other.distribution {
            *self.distribution.entry(k).or_default() += v;
        }
        for (k, (n, s)) in other.drivers {
            let e = self.drivers.entry(k).or_default();
            e.0 += n;
            e.1 = e.1.saturating_add(s);
        }
    }
}

/// The columns of an applicant's delta — the new policy's items, then those only in the
/// old one — matched by id once, so each applicant's delta is a few subtractions of
/// [`Scores`] (the same numbers [`applicant_delta`] gives from outcomes).
#[derive(Debug, Clone)]
pub struct DeltaColumns<'r> {
    columns: Vec<Column<'r>>,
}

#[derive(Debug, Clone, Copy)]
struct Column<'r> {
    id: &'r str,
    /// The item's index in the new and in the old policy.
    new: Option<usize>,
    old: Option<usize>,
}

impl<'r> DeltaColumns<'r> {
    pub fn new(old: &'r RuleSet, new: &'r RuleSet) -> DeltaColumns<'r> {
        let mut columns: Vec<Column<'r>> = new
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| Column { id: &item.id, new: Some(i), old: old.items.iter().position(|o| o.id == item.id) })
            .collect();
        for (i, item) in old.items.iter().enumerate() {
            if !new.items.iter().any(|n| n.id == item.id) {
                columns.push(Column { id: &item.id, new: None, old: Some(i) });
            }
        }
        DeltaColumns { columns }
    }

    /// The item ids, in column order.
    pub fn ids(&self) -> impl Iterator<Item = &'r str> + '_ {
        self.columns.iter().map(|c| c.id)
    }

    /// New points minus old points, per column, into `out`.
    pub fn changes(&self, old: &Scores, new: &Scores, out: &mut Vec<i64>) {
        let points = |s: &Scores, i: Option<usize>| i.and_then(|i| s.points.get(i).copied()).unwrap_or(0);
        out.clear();
        out.extend(self.columns.iter().map(|c| points(new, c.new).saturating_sub(points(old, c.old))));
    }
}

/// A [`Summary`] being counted, its drivers by column: cheap to add to and to merge, so
/// each thread keeps one.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    summary: Summary,
    /// Per column: applicants whose points for the item changed, and the sum of the changes.
    drivers: Vec<(usize, i64)>,
    /// Per measured input of the new year ([`YearSchema::measured`]): applicants without it.
    pub not_given: Vec<usize>,
}

impl Tally {
    /// Count one applicant, scored under both policies, with its [`DeltaColumns::changes`].
    pub fn add(&mut self, old: &Scores, new: &Scores, changes: &[i64]) {
        self.summary.count(new.total.saturating_sub(old.total), old.meets_standard, new.meets_standard);
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

    pub fn applicants(&self) -> usize {
        self.summary.applicants
    }

    pub fn merge(&mut self, other: Tally) {
        self.summary.merge(other.summary);
        if self.drivers.len() < other.drivers.len() {
            self.drivers.resize(other.drivers.len(), (0, 0));
        }
        for (mine, (n, sum)) in self.drivers.iter_mut().zip(other.drivers) {
            mine.0 += n;
            mine.1 = mine.1.saturating_add(sum);
        }
        if self.not_given.len() < other.not_given.len() {
            self.not_given.resize(other.not_given.len(), 0);
        }
        for (mine, n) in self.not_given.iter_mut().zip(other.not_given) {
            *mine += n;
        }
    }

    /// The summary, drivers named by item (only items some applicant's change involved).
    pub fn summary<'n>(self, columns: &DeltaColumns<'_>, measured: impl Iterator<Item = &'n str>) -> Summary {
        let mut summary = self.summary;
        summary.not_given = measured
            .enumerate()
            .map(|(k, name)| (name.to_string(), self.not_given.get(k).copied().unwrap_or(0)))
            .collect();
        for (id, (n, sum)) in columns.ids().zip(self.drivers) {
            if n > 0 {
                let e = summary.drivers.entry(id.to_string()).or_default();
                e.0 += n;
                e.1 = e.1.saturating_add(sum);
            }
        }
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
        let summary = tally.summary(&columns, std::iter::empty());
        assert_eq!((summary.gain, summary.newly_meet), (2, 2));
        assert_eq!(summary.distribution.get(&i64::MAX), Some(&2));
        assert!(summary.drivers.values().all(|&(count, sum)| count == 2 && sum == i64::MAX));
    }
}
