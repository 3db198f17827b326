//! Routes to the standard: what an applicant could change to reach it (`jifen plan`),
//! and the minimal combinations of facts that reach it from an empty profile
//! (`jifen plan --routes`). Everything is searched over the compiled rules and the
//! policy's `plan { … }` declaration; no advice is written in Rust.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::eval::{Applicant, Outcome};
use crate::rules::{CmpOp, Expr, InputType, RuleSet, Value};

/// One fact changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub input: String,
    #[serde(skip)]
    pub slot: u16,
    pub from: String,
    pub to: String,
    /// Set only to keep the profile consistent (a `plan` assumption), not chosen.
    pub implied: bool,
}

/// A way to reach the standard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub wait_years: u32,
    pub total: i64,
    /// Items whose points change, with the change.
    pub items: Vec<(String, i64)>,
}

/// Totals after waiting alone, year by year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    pub years: u32,
    pub total: i64,
    pub meets_standard: bool,
    pub items: Vec<(String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanReport {
    pub total: i64,
    pub standard: i64,
    pub meets_standard: bool,
    pub plans: Vec<Plan>,
    pub waiting: Vec<Waiting>,
}

/// Limits of the search.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Facts changed at most in one plan (waiting not counted).
    pub max_changes: usize,
    pub max_wait_years: u32,
    /// Plans reported at most.
    pub max_plans: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_changes: 2, max_wait_years: 10, max_plans: 12 }
    }
}

/// A plan found by the search: the facts changed, the years waited, and the outcome.
type Found<'r> = (Vec<(u16, Value)>, u32, Outcome<'r>);

/// A position in an input's order: enums by variant, booleans false < true, absent lowest.
fn rank(v: Value) -> Decimal {
    match v {
        Value::Int(i) => Decimal::from(i),
        Value::Dec(d) => d,
        Value::Bool(b) => Decimal::from(u8::from(b)),
        Value::Enum(e) => Decimal::from(e),
        Value::Absent => Decimal::MIN,
    }
}

/// How the candidates of an input were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Discrete levels (enums, yes/no, thresholds compared against): each level may
    /// open a different route.
    Tiered,
    /// Counted per unit (`3 per year of si_months`): only the smallest value that reaches
    /// the standard matters.
    Accumulating,
}

struct Candidates {
    values: Vec<Value>,
    kind: Kind,
}

impl RuleSet {
    /// Interesting values of an input above `current`: the thresholds the rules compare it
    /// against, whole units of `per` rates, later enum variants.
    fn candidates(&self, slot: u16, current: Value) -> Candidates {
        let Some(def) = self.inputs.get(slot as usize) else {
            return Candidates { values: Vec::new(), kind: Kind::Tiered };
        };
        let mut found: Vec<Decimal> = Vec::new();
        let mut per_steps: Vec<(Decimal, i64)> = Vec::new();
        let mut visit = |e: &Expr| collect_thresholds(e, slot, &mut found, &mut per_steps);
        for item in &self.items {
            visit(&item.body);
            item.preconditions.iter().for_each(|p| visit(&p.condition));
        }
        self.eligibility.iter().for_each(|r| visit(&r.condition));
        let whole = matches!(def.ty, InputType::Int { .. });
        let values: Vec<Value> =
            match def.ty {
                InputType::Enum(e) => {
                    let n = self.enums.get(e as usize).map(|d| d.variants.len()).unwrap_or(0) as u16;
                    (0..n).map(Value::Enum).collect()
                }
                InputType::Bool => vec![Value::Bool(false), Value::Bool(true)],
                InputType::Int { .. } | InputType::Decimal { .. } => {
                    for (amount, scale) in &per_steps {
                        // Whole units up to what could matter: the standard in points at one point a unit.
                        let unit = *amount / Decimal::from(*scale);
                        for k in 1..=self.standard.clamp(1, 200) {
                            found.push(unit * Decimal::from(k));
                        }
                    }
                    let mut v: Vec<Decimal> = found
                        .into_iter()
                        .map(|d| if whole { d.ceil() } else { d })
                        .filter(|d| def.min.is_none_or(|m| *d >= m) && def.max.is_none_or(|m| *d <= m))
                        .collect();
                    v.sort();
                    v.dedup();
                    v.into_iter()
                        .map(|d| {
                            if whole {
                                i64::try_from(d).map(Value::Int).unwrap_or(Value::Dec(d))
                            } else {
                                Value::Dec(d)
                            }
                        })
                        .collect()
                }
            };
        let now = rank(current);
        let kind = if per_steps.is_empty() { Kind::Tiered } else { Kind::Accumulating };
        Candidates { values: values.into_iter().filter(|v| rank(*v) > now).collect(), kind }
    }

    fn holds(&self, e: &Expr, applicant: &Applicant) -> bool {
        crate::eval::condition(self, e, applicant).unwrap_or(false)
    }

    /// Raise the larger side of violated `a <= b` assumptions; returns the slots raised.
    fn repair(&self, applicant: &mut Applicant) -> Vec<u16> {
        let mut raised = Vec::new();
        for _ in 0..8 {
            let mut changed = false;
            for a in &self.plan.assume {
                if self.holds(a, applicant) {
                    continue;
                }
                let (lo, hi) = match a {
                    Expr::Cmp(CmpOp::Le | CmpOp::Lt, x, y) => (&**x, &**y),
                    Expr::Cmp(CmpOp::Ge | CmpOp::Gt, x, y) => (&**y, &**x),
                    _ => continue,
                };
                if let (Expr::Input(l), Expr::Input(h)) = (lo, hi) {
                    let value = applicant.values[*l as usize];
                    applicant.values[*h as usize] = value;
                    raised.push(*h);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        raised
    }

    /// The profile after waiting `years`: each `wait` step whose condition holds now.
    fn after_waiting(&self, applicant: &Applicant, years: u32) -> Applicant {
        let mut out = applicant.clone();
        if years == 0 {
            return out;
        }
        for step in &self.plan.wait {
            if step.when.as_ref().is_some_and(|w| !self.holds(w, applicant)) {
                continue;
            }
            let slot = step.slot as usize;
            let Some(def) = self.inputs.get(slot) else { continue };
            let add = rank(step.amount) * Decimal::from(years);
            let now = match out.values[slot] {
                Value::Absent => Decimal::ZERO,
                v => rank(v),
            };
            let mut next = now + add;
            if let Some(max) = def.max {
                next = next.min(max);
            }
            out.values[slot] = match def.ty {
                InputType::Int { .. } => i64::try_from(next).map(Value::Int).unwrap_or(out.values[slot]),
                _ => Value::Dec(next),
            };
        }
        out
    }

    fn total(&self, applicant: &Applicant) -> Option<Outcome<'_>> {
        self.evaluate(applicant).ok()
    }

    fn item_deltas(before: &Outcome<'_>, after: &Outcome<'_>) -> Vec<(String, i64)> {
        after
            .items
            .iter()
            .zip(&before.items)
            .filter(|(a, b)| a.points != b.points)
            .map(|(a, b)| (a.id.to_string(), a.points.saturating_sub(b.points)))
            .collect()
    }

    fn change(&self, slot: u16, from: Value, to: Value, implied: bool) -> Change {
        let def = &self.inputs[slot as usize];
        Change {
            input: def.name.to_string(),
            slot,
            from: self.show_value(def.ty, from),
            to: self.show_value(def.ty, to),
            implied,
        }
    }

    /// What this applicant could change, or how long they could wait, to meet the standard.
    pub fn plan(&self, applicant: &Applicant, limits: Limits) -> PlanReport {
        let now = self.evaluate(applicant).ok();
        let (total, meets) = now.as_ref().map(|o| (o.total, o.meets_standard)).unwrap_or((0, false));
        let mut report = PlanReport {
            total,
            standard: self.standard,
            meets_standard: meets,
            plans: Vec::new(),
            waiting: Vec::new(),
        };
        let Some(now) = now else { return report };
        for years in 1..=limits.max_wait_years {
            let later = self.after_waiting(applicant, years);
            if let Some(o) = self.total(&later) {
                report.waiting.push(Waiting {
                    years,
                    total: o.total,
                    meets_standard: o.meets_standard,
                    items: Self::item_deltas(&now, &o),
                });
            }
        }
        if meets {
            return report;
        }
        // Every set of up to `max_changes` raises, each with every candidate value.
        let options: Vec<(u16, Candidates)> = self
            .plan
            .raise
            .iter()
            .map(|&slot| (slot, self.candidates(slot, applicant.values[slot as usize])))
            .filter(|(_, c)| !c.values.is_empty())
            .collect();
        let mut found: Vec<Found<'_>> = Vec::new();
        let mut chosen: Vec<(u16, Value)> = Vec::new();
        self.plan_search(applicant, &options, 0, limits, &mut chosen, &mut found);
        // Keep plans no other plan beats with a subset of its changes, each no higher, and no longer wait.
        let dominated = |a: &Found<'_>, b: &Found<'_>| {
            b.1 <= a.1
                && b.0.iter().all(|(s, v)| a.0.iter().any(|(t, w)| s == t && rank(*v) <= rank(*w)))
                && (b.0.len() < a.0.len()
                    || b.1 < a.1
                    || b.0.iter().any(|(s, v)| a.0.iter().any(|(t, w)| s == t && rank(*v) < rank(*w))))
        };
        let keep: Vec<usize> = (0..found.len())
            .filter(|&i| !found.iter().enumerate().any(|(j, b)| j != i && dominated(&found[i], b)))
            .collect();
        let mut plans: Vec<Plan> = keep
            .into_iter()
            .map(|i| {
                let (changes, years, outcome) = &found[i];
                Plan {
                    changes: changes
                        .iter()
                        .map(|(s, v)| self.change(*s, applicant.values[*s as usize], *v, false))
                        .collect(),
                    wait_years: *years,
                    total: outcome.total,
                    items: Self::item_deltas(&now, outcome),
                }
            })
            .collect();
        for w in report.waiting.iter().filter(|w| w.meets_standard).take(1) {
            plans.push(Plan { changes: Vec::new(), wait_years: w.years, total: w.total, items: w.items.clone() });
        }
        plans.sort_by_key(|p| (p.changes.len(), p.wait_years, std::cmp::Reverse(p.total)));
        plans.truncate(limits.max_plans);
        report.plans = plans;
        report
    }

    /// Depth-first over sets of raises. A set that meets the standard without waiting is
    /// not extended (more changes would only be beaten by it), and a counted fact is not
    /// raised further once a value of it meets.
    fn plan_search<'s>(
        &'s self,
        applicant: &Applicant,
        options: &[(u16, Candidates)],
        start: usize,
        limits: Limits,
        chosen: &mut Vec<(u16, Value)>,
        found: &mut Vec<Found<'s>>,
    ) -> bool {
        if !chosen.is_empty() {
            let mut changed = applicant.clone();
            for (s, v) in chosen.iter() {
                changed.values[*s as usize] = *v;
            }
            // Assumptions the applicant's own data already breaks cannot rule plans out.
            let consistent = self.plan.assume.iter().all(|a| !self.holds(a, applicant) || self.holds(a, &changed));
            if consistent {
                for years in 0..=limits.max_wait_years {
                    let later = self.after_waiting(&changed, years);
                    if let Some(o) = self.total(&later).filter(|o| o.meets_standard) {
                        found.push((chosen.clone(), years, o));
                        if years == 0 {
                            return true;
                        }
                        break;
                    }
                }
            }
        }
        if chosen.len() >= limits.max_changes {
            return false;
        }
        for (k, (slot, candidates)) in options.iter().enumerate().skip(start) {
            for v in &candidates.values {
                chosen.push((*slot, *v));
                let met = self.plan_search(applicant, options, k + 1, limits, chosen, found);
                chosen.pop();
                if met && candidates.kind == Kind::Accumulating {
                    break;
                }
            }
        }
        false
    }

    /// The inputs a route may set: everything but `age`, facts that only deduct or veto,
    /// and facts with nothing above their default.
    fn route_inputs(&self, base: &Applicant) -> Vec<(u16, Candidates)> {
        let mut against: BTreeSet<u16> = BTreeSet::new();
        for item in &self.items {
            if self.sections.get(item.section as usize).is_some_and(|s| s.deduction) {
                against.extend(item.reads.iter().copied());
            }
        }
        let mut veto_reads = Vec::new();
        for v in &self.vetoes {
            collect_inputs(&v.condition, &mut veto_reads);
        }
        against.extend(veto_reads);
        let mut favourable: BTreeSet<u16> = BTreeSet::new();
        for item in &self.items {
            if !self.sections.get(item.section as usize).is_some_and(|s| s.deduction) {
                favourable.extend(item.reads.iter().copied());
            }
        }
        let mut inputs: Vec<(u16, Candidates)> = (0..self.inputs.len() as u16)
            .filter(|s| favourable.contains(s) && !against.contains(s) && &*self.inputs[*s as usize].name != "age")
            .map(|s| (s, self.candidates(s, base.values[s as usize])))
            .filter(|(_, c)| !c.values.is_empty())
            .collect();
        // Levels first, counted facts last: a counted fact is then sized for the levels chosen.
        inputs.sort_by_key(|(s, c)| (c.kind == Kind::Accumulating, *s));
        inputs
    }

    /// The starting profile of `--routes`: defaults, the given age, and the least of each
    /// required fact that makes the applicant eligible.
    pub fn empty_profile(&self, age: i64) -> Applicant {
        let mut values: Vec<Value> = self
            .inputs
            .iter()
            .map(|i| match i.default {
                Some(d) => d,
                None if i.optional => Value::Absent,
                None => match i.ty {
                    InputType::Int { .. } => Value::Int(i.min.and_then(|m| i64::try_from(m).ok()).unwrap_or(0)),
                    InputType::Decimal { .. } => Value::Dec(i.min.unwrap_or_default()),
                    InputType::Bool => Value::Bool(false),
                    InputType::Enum(_) => Value::Enum(0),
                },
            })
            .collect();
        if let Some(slot) = self.input_slot("age") {
            values[slot] = Value::Int(age);
        }
        let mut profile = Applicant { values };
        for slot in 0..self.inputs.len() as u16 {
            let eligible = |p: &Applicant| self.evaluate(p).is_ok_and(|o| o.eligible);
            if eligible(&profile) {
                break;
            }
            if self.inputs[slot as usize].default.is_some() {
                continue;
            }
            for v in self.candidates(slot, profile.values[slot as usize]).values {
                let mut trial = profile.clone();
                trial.values[slot as usize] = v;
                if eligible(&trial) {
                    profile = trial;
                    break;
                }
            }
        }
        profile
    }

    /// Minimal combinations of facts (at most `max_facts` chosen) that meet the standard
    /// from `base`: removing any chosen fact falls short, and counted facts (years of
    /// social insurance, amounts) take the least value that reaches it.
    pub fn routes(&self, base: &Applicant, max_facts: usize) -> Vec<Plan> {
        let Some(base_outcome) = self.total(base) else { return Vec::new() };
        let inputs = self.route_inputs(base);
        let mut routes: Vec<Vec<(u16, Value)>> = Vec::new();
        let mut chosen: Vec<(u16, Value)> = Vec::new();
        self.route_search(base, &inputs, 0, max_facts, &mut chosen, &mut routes);
        let out: Vec<Plan> = routes
            .into_iter()
            .filter_map(|route| {
                let mut profile = base.clone();
                for (s, v) in &route {
                    profile.values[*s as usize] = *v;
                }
                let implied = self.repair(&mut profile);
                let o = self.total(&profile)?;
                let mut changes: Vec<Change> =
                    route.iter().map(|(s, v)| self.change(*s, base.values[*s as usize], *v, false)).collect();
                let mut seen: Vec<u16> = route.iter().map(|(s, _)| *s).collect();
                for s in implied {
                    if !seen.contains(&s) {
                        seen.push(s);
                        changes.push(self.change(s, base.values[s as usize], profile.values[s as usize], true));
                    }
                }
                Some(Plan { changes, wait_years: 0, total: o.total, items: Self::item_deltas(&base_outcome, &o) })
            })
            .collect();
        // A higher level of the same facts that scores the same items the same is no new route.
        let chosen = |p: &Plan| p.changes.iter().filter(|c| !c.implied).map(|c| c.slot).collect::<Vec<_>>();
        let mut kept: Vec<Plan> = Vec::new();
        for p in out {
            if !kept.iter().any(|k| chosen(k) == chosen(&p) && k.items == p.items) {
                kept.push(p);
            }
        }
        kept.sort_by_key(|p| (p.changes.iter().filter(|c| !c.implied).count(), p.total));
        kept
    }

    fn meets_with(&self, base: &Applicant, chosen: &[(u16, Value)]) -> bool {
        let mut profile = base.clone();
        for (s, v) in chosen {
            profile.values[*s as usize] = *v;
        }
        self.repair(&mut profile);
        self.total(&profile).is_some_and(|o| o.meets_standard)
    }

    fn route_search(
        &self,
        base: &Applicant,
        inputs: &[(u16, Candidates)],
        start: usize,
        max_facts: usize,
        chosen: &mut Vec<(u16, Value)>,
        routes: &mut Vec<Vec<(u16, Value)>>,
    ) {
        if !chosen.is_empty() && self.meets_with(base, chosen) {
            // Counted facts: the least value that still meets.
            let mut route = chosen.clone();
            for k in 0..route.len() {
                let (slot, _) = route[k];
                let Some((_, c)) = inputs.iter().find(|(s, _)| *s == slot) else { continue };
                if c.kind != Kind::Accumulating {
                    continue;
                }
                for v in &c.values {
                    let mut trial = route.clone();
                    trial[k].1 = *v;
                    if self.meets_with(base, &trial) {
                        route = trial;
                        break;
                    }
                }
            }
            // Minimal: without any one chosen fact (the facts it implied kept), the standard
            // is not met — so a fact that only drags others along is not a route of its own.
            let mut full = base.clone();
            for (s, v) in &route {
                full.values[*s as usize] = *v;
            }
            self.repair(&mut full);
            let minimal = (0..route.len()).all(|k| {
                let mut without = full.clone();
                let slot = route[k].0 as usize;
                without.values[slot] = base.values[slot];
                self.repair(&mut without);
                !self.total(&without).is_some_and(|o| o.meets_standard)
            });
            if minimal && !routes.contains(&route) {
                routes.push(route);
            }
            // Counted facts were tried at their most: with another fact they may need less,
            // which is another route. Without counted facts, more facts are never minimal.
            let counted =
                chosen.iter().any(|(s, _)| inputs.iter().any(|(t, c)| s == t && c.kind == Kind::Accumulating));
            if !counted {
                return;
            }
        }
        if chosen.len() >= max_facts {
            return;
        }
        for (k, (slot, c)) in inputs.iter().enumerate().skip(start) {
            let values: Vec<Value> = match c.kind {
                // Try the most that could matter; the least that reaches is found above.
                Kind::Accumulating => c.values.last().copied().into_iter().collect(),
                Kind::Tiered => c.values.clone(),
            };
            for v in values {
                chosen.push((*slot, v));
                self.route_search(base, inputs, k + 1, max_facts, chosen, routes);
                chosen.pop();
            }
        }
    }
}

/// Thresholds `slot` is compared against, and the `per` amounts it is counted in.
fn collect_thresholds(e: &Expr, slot: u16, found: &mut Vec<Decimal>, per: &mut Vec<(Decimal, i64)>) {
    let is_slot = |x: &Expr| match x {
        Expr::Input(s) => *s == slot,
        Expr::Coalesce(a, _) => matches!(&**a, Expr::Input(s) if *s == slot),
        _ => false,
    };
    let constant = |x: &Expr| match x {
        Expr::Const(v) | Expr::Folded { value: v, .. } => match v {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Dec(d) => Some(*d),
            _ => None,
        },
        _ => None,
    };
    match e {
        Expr::Cmp(op, a, b) => {
            let pair = if is_slot(a) {
                constant(b).map(|c| (c, *op))
            } else if is_slot(b) {
                constant(a).map(|c| (c, op.flipped()))
            } else {
                None
            };
            if let Some((c, op)) = pair {
                found.push(match op {
                    CmpOp::Gt => c + Decimal::new(1, 2),
                    _ => c,
                });
            }
            collect_thresholds(a, slot, found, per);
            collect_thresholds(b, slot, found, per);
            return;
        }
        Expr::Per { rate, operand, scale, amount } => {
            if is_slot(operand) {
                per.push((*amount, *scale));
            }
            collect_thresholds(rate, slot, found, per);
            collect_thresholds(operand, slot, found, per);
            return;
        }
        _ => {}
    }
    let mut recurse = |x: &Expr| collect_thresholds(x, slot, found, per);
    match e {
        Expr::Cmp(..) | Expr::Per { .. } => {}
        Expr::Const(_) | Expr::Input(_) | Expr::Param(_) | Expr::Points(_) | Expr::Folded { .. } => {}
        Expr::Neg(a) | Expr::Not(a) | Expr::IsPresent(a) | Expr::Floor(a) | Expr::In(a, _) => recurse(a),
        Expr::Arith(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) | Expr::Coalesce(a, b) => {
            recurse(a);
            recurse(b);
        }
        Expr::Min(args) | Expr::Max(args) => args.iter().for_each(recurse),
        Expr::When { arms, otherwise } => {
            for (c, r) in arms {
                recurse(c);
                recurse(r);
            }
            recurse(otherwise);
        }
        Expr::Match { scrutinee, arms } => {
            scrutinee.iter().for_each(&mut recurse);
            arms.iter().for_each(|(_, r)| recurse(r));
        }
    }
}

fn collect_inputs(e: &Expr, out: &mut Vec<u16>) {
    match e {
        Expr::Input(s) => out.push(*s),
        Expr::Neg(a) | Expr::Not(a) | Expr::IsPresent(a) | Expr::Floor(a) | Expr::In(a, _) => collect_inputs(a, out),
        Expr::Arith(_, a, b) | Expr::Cmp(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) | Expr::Coalesce(a, b) => {
            collect_inputs(a, out);
            collect_inputs(b, out);
        }
        _ => {}
    }
}
