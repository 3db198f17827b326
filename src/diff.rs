//! The semantic difference between two compiled policies, and the effect of a change
//! on a population of applicants.
//!
//! Rules are compared through a canonical text of the compiled rule set (inputs,
//! parameters and variants by name), so a reformatted file with the same meaning
//! shows no difference, and a new parameter value shows once, as a parameter change.

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

/// Prints a compiled expression with names, for comparison and display.
struct Printer<'r> {
    rs: &'r RuleSet,
    /// The record whose fields `Expr::Field` names (inside an aggregate over a list).
    row: Option<u16>,
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
            Expr::Field(k) => format!("p.{}", self.rs.field_name(self.row, *k)),
            Expr::Each { kind, list, body, filter } => {
                let inside = Printer { rs: self.rs, row: self.rs.record_of(*list).map(|(r, _)| r) };
                let list = self.rs.inputs.get(*list as usize).map(|i| i.name.to_string()).unwrap_or_default();
                let head = match body {
                    Some(b) => format!("{} for p in {list}", inside.expr(b)),
                    None => format!("p in {list}"),
                };
                let filter = filter.as_ref().map(|f| format!(" where {}", inside.expr(f))).unwrap_or_default();
                format!("{}({head}{filter})", kind.name())
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
        InputType::List { record, max } => {
            let name = rs.records.get(record as usize).map(|r| r.name.to_string()).unwrap_or_default();
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

/// The differences in rules between `old` and `new`.
pub fn rule_changes(old: &RuleSet, new: &RuleSet) -> Vec<Change> {
    let (po, pn) = (Printer { rs: old, row: None }, Printer { rs: new, row: None });
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

/// The bands a change of total falls in: `(from, to, label)`, both ends included.
pub const BANDS: [(Option<i64>, Option<i64>, &str); 7] = [
    (None, Some(-50), "≤ -50"),
    (Some(-49), Some(-10), "-49…-10"),
    (Some(-9), Some(-1), "-9…-1"),
    (Some(0), Some(0), "0"),
    (Some(1), Some(9), "+1…+9"),
    (Some(10), Some(49), "+10…+49"),
    (Some(50), None, "≥ +50"),
];

/// The index in [`BANDS`] of a change (or of a distance from the standard).
pub fn band(change: i64) -> usize {
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
pub const EXAMPLES_PER_BAND: usize = 3;

/// Applicants of one band, or of one value of a `--by` fact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
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
    pub fn mean_change(&self) -> rust_decimal::Decimal {
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
pub enum DriverKind {
    /// The item's rule, cap, preconditions or group changed, or a parameter or input it reads.
    Direct,
    /// The item's rule is the same: its points moved through a `best_of` group, a cap or a
    /// precondition reading another item.
    KnockOn,
}

/// An item whose points changed for some applicants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Driver {
    pub item: String,
    pub kind: DriverKind,
    pub applicants: usize,
    pub total_change: i64,
}

/// One band of changes of total, with a few of its applicants (by id, or `line N`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Band {
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
pub struct Summary {
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
pub struct DeltaColumns<'r> {
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
    match e {
        Expr::Input(s) => out.push(*s),
        Expr::Folded { source, .. } => inputs_read(source, out),
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
    pub fn new(old: &'r RuleSet, new: &'r RuleSet) -> DeltaColumns<'r> {
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

/// A [`Summary`] being counted, by column and by key: cheap to add to and to merge, so
/// each thread keeps one. Merged in input order, it keeps the first examples of each band.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    summary: Summary,
    bands: [usize; BANDS.len()],
    examples: [Vec<String>; BANDS.len()],
    /// Per column: applicants whose points for the item changed, and the sum of the changes.
    drivers: Vec<(usize, i64)>,
    /// Per key of the `--by` fact (see [`Tally::group`]).
    groups: Vec<(u32, Count)>,
    /// Per measured input of the new year ([`YearSchema::measured`]): applicants without it.
    pub not_given: Vec<usize>,
}

impl Tally {
    /// Count one applicant, scored under both policies, with its [`DeltaColumns::changes`].
    pub fn add(&mut self, old: &Scores, new: &Scores, changes: &[i64]) {
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
        self.bands[band(delta)] += 1;
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
    pub fn example(&mut self, delta: i64, name: impl FnOnce() -> String) {
        let examples = &mut self.examples[band(delta)];
        if examples.len() < EXAMPLES_PER_BAND {
            examples.push(name());
        }
    }

    /// Count the applicant under `key`, its value of the `--by` fact.
    pub fn group(&mut self, key: u32, delta: i64) {
        match self.groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, count)) => count.add(delta),
            None => {
                let mut count = Count::default();
                count.add(delta);
                self.groups.push((key, count));
            }
        }
    }

    pub fn applicants(&self) -> usize {
        self.summary.applicants
    }

    pub fn merge(&mut self, other: Tally) {
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
    pub fn summary<'n>(
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
