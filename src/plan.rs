//! Routes to the standard: what an applicant could change to reach it (`jifen plan`),
//! and the minimal combinations of facts that reach it from an empty profile
//! (`jifen plan --routes`). Everything is searched over the compiled rules and the
//! policy's `plan { … }` declaration; no advice is written in Rust.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::eval::{Applicant, Outcome, Scorer, Scores};
use crate::rules::{CmpOp, Expr, ExprKind, InputType, RuleDef, RuleSet, Value, WaitDef};

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
    pub standard: Option<i64>,
    pub meets_standard: bool,
    pub eligible: bool,
    pub vetoed: bool,
    /// Vetoes that hold and requirements not met now, each with whether a plan can change it.
    pub blockers: Vec<Blocker>,
    pub plans: Vec<Plan>,
    pub waiting: Vec<Waiting>,
    pub search: SearchReport,
}

/// Which rule stands between the applicant and the standard whatever the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockerKind {
    /// A `veto` whose condition holds.
    Veto,
    /// A `require` whose condition fails.
    Requirement,
}

/// A veto that holds or a requirement not met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocker {
    pub kind: BlockerKind,
    pub id: String,
    pub reason: String,
    /// The inputs its condition reads (through `points(item)` too).
    pub inputs: Vec<String>,
    /// Whether it reads a fact that waiting or a `raise` can change; if not, no plan can
    /// lift it and none is searched for.
    pub can_change: bool,
}

/// How much searching was done, and whether it was cut short.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchReport {
    /// False when a blocker no plan can change made searching pointless, or the standard is met.
    pub ran: bool,
    /// Work spent: profiles evaluated, plus combinations ruled out without an evaluation.
    pub work: u64,
    pub budget: u64,
    /// The budget ran out before every combination was tried: plans with more changes or
    /// other values may exist.
    pub cut: bool,
    /// Years of waiting considered: the limit asked for, or fewer when waiting longer can
    /// change nothing the rules compare.
    pub max_wait_years: u32,
    /// The limit asked for was more than can matter and was lowered to `max_wait_years`.
    pub wait_clamped: bool,
}

/// Limits of the search.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Facts changed at most in one plan (waiting not counted).
    pub max_changes: usize,
    pub max_wait_years: u32,
    /// Plans reported at most.
    pub max_plans: usize,
    /// Work the search may spend (see [`SearchReport::work`]): a bound that does not depend
    /// on the machine's speed.
    pub budget: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_changes: 2, max_wait_years: 10, max_plans: 12, budget: DEFAULT_BUDGET }
    }
}

/// The search's default budget, in units of work: chosen so that the slowest plan stays
/// well within the 50 ms a plan may take (measured in docs/performance.md, "plan").
pub const DEFAULT_BUDGET: u64 = 50_000;

/// Units an evaluation costs when the fast scorer cannot decide the applicant alone.
const SLOW_EVALUATION: u64 = 8;

/// A plan found by the search: the facts changed, the years waited, the total and each
/// item's points.
struct Found {
    changes: Vec<(u16, Value)>,
    /// The slots `changes` names, as a [`slot_mask`].
    slots: u64,
    years: u32,
    total: i64,
    points: Vec<i64>,
}

/// A position in an input's order: enums by variant, booleans false < true, absent lowest.
fn rank(v: Value) -> Decimal {
    match v {
        Value::Int(i) => Decimal::from(i),
        Value::Dec(d) => d,
        Value::Bool(b) => Decimal::from(u8::from(b)),
        Value::Enum(e) => Decimal::from(e),
        Value::Absent => Decimal::MIN,
        Value::Date(d) => Decimal::from(d),
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
    /// Every value of an input the rules can tell from its neighbours: the thresholds they
    /// compare it against, whole units of its `per` rates (as many as could earn the standard
    /// at the rate, at most 200), every enum variant, both booleans; within its declared range.
    fn interesting(&self, slot: u16) -> Candidates {
        let Some(def) = self.inputs.get(slot as usize) else {
            return Candidates { values: Vec::new(), kind: Kind::Tiered };
        };
        let mut found: Vec<Decimal> = Vec::new();
        let mut per_steps: Vec<PerStep> = Vec::new();
        let mut visit = |e: &Expr| collect_thresholds(e, slot, &mut found, &mut per_steps);
        for item in &self.items {
            visit(&item.body);
            item.preconditions.iter().for_each(|p| visit(&p.condition));
        }
        self.eligibility.iter().chain(&self.vetoes).for_each(|r| visit(&r.condition));
        let whole = matches!(def.ty, InputType::Int { .. });
        let values: Vec<Value> =
            match def.ty {
                InputType::Enum(e) => {
                    let n = self.enums.get(e as usize).map(|d| d.variants.len()).unwrap_or(0) as u16;
                    (0..n).map(Value::Enum).collect()
                }
                InputType::Bool => vec![Value::Bool(false), Value::Bool(true)],
                // A date is a fact of the past: no plan changes it.
                InputType::Date => Vec::new(),
                // The rows of a list are not varied by the plan.
                InputType::List { .. } => Vec::new(),
                InputType::Int { .. } | InputType::Decimal { .. } => {
                    let standard = Decimal::from((self.standard.unwrap_or(1) / self.point_unit()).clamp(1, 200));
                    for step in &per_steps {
                        // One point a unit when the rate is not a constant of at least one point.
                        let units = match step.rate {
                            Some(r) if r >= Decimal::ONE => (standard / r).ceil(),
                            _ => standard,
                        };
                        let units = i64::try_from(units).unwrap_or(200).clamp(1, 200);
                        for k in 1..=units {
                            if let Some(v) = step.unit.checked_mul(Decimal::from(k)) {
                                found.push(v);
                            }
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
        let kind = if per_steps.is_empty() { Kind::Tiered } else { Kind::Accumulating };
        Candidates { values, kind }
    }

    /// The interesting values of an input above `current`.
    fn candidates(&self, slot: u16, current: Value) -> Candidates {
        let mut c = self.interesting(slot);
        let now = rank(current);
        c.values.retain(|v| rank(*v) > now);
        c
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
                let (lo, hi) = match &a.kind {
                    ExprKind::Cmp(CmpOp::Le | CmpOp::Lt, x, y) => (&**x, &**y),
                    ExprKind::Cmp(CmpOp::Ge | CmpOp::Gt, x, y) => (&**y, &**x),
                    _ => continue,
                };
                if let (ExprKind::Input(l), ExprKind::Input(h)) = (&lo.kind, &hi.kind) {
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
        if years > 0 {
            let steps: Vec<&WaitDef> = self.wait_steps(applicant);
            self.wait_into(applicant, &steps, years, &mut out);
        }
        out
    }

    /// The `wait` steps that apply to this applicant as they are now.
    fn wait_steps(&self, applicant: &Applicant) -> Vec<&WaitDef> {
        self.plan.wait.iter().filter(|s| s.when.as_ref().is_none_or(|w| self.holds(w, applicant))).collect()
    }

    /// `out` = `from` after `years` of the given steps, each fact within its declared maximum
    /// (a step that would overflow leaves its fact as it is).
    fn wait_into(&self, from: &Applicant, steps: &[&WaitDef], years: u32, out: &mut Applicant) {
        out.values.clone_from(&from.values);
        out.lists.clone_from(&from.lists);
        if years == 0 {
            return;
        }
        for step in steps {
            let slot = step.slot as usize;
            let (Some(def), Some(&now)) = (self.inputs.get(slot), from.values.get(slot)) else { continue };
            let start = match now {
                Value::Absent => Decimal::ZERO,
                v => rank(v),
            };
            let Some(mut next) = rank(step.amount).checked_mul(Decimal::from(years)).and_then(|a| start.checked_add(a))
            else {
                continue;
            };
            if let Some(max) = def.max {
                next = next.min(max);
            }
            out.values[slot] = match def.ty {
                InputType::Int { .. } => i64::try_from(next).map(Value::Int).unwrap_or(now),
                _ => Value::Dec(next),
            };
        }
    }

    /// Years after which waiting longer changes nothing the rules tell apart: each fact a
    /// `wait` step may change has passed every value the rules compare it with and earned
    /// the standard through its `per` rates (see [`RuleSet::interesting`]), or reached its
    /// declared bound.
    fn wait_horizon(&self, applicant: &Applicant) -> u32 {
        let raisable: BTreeSet<u16> = self.plan.raise.iter().copied().collect();
        // A step whose condition fails now and reads no raisable fact never applies.
        let may_apply = |step: &&WaitDef| {
            step.when
                .as_ref()
                .is_none_or(|w| self.holds(w, applicant) || self.inputs_read(w).iter().any(|s| raisable.contains(s)))
        };
        let mut horizon = 0u32;
        for step in self.plan.wait.iter().filter(may_apply) {
            let Some(def) = self.inputs.get(step.slot as usize) else { continue };
            let amount = rank(step.amount);
            if amount.is_zero() || !matches!(def.ty, InputType::Int { .. } | InputType::Decimal { .. }) {
                continue;
            }
            let now = match applicant.values.get(step.slot as usize) {
                Some(Value::Absent) | None => Decimal::ZERO,
                Some(v) => rank(*v),
            };
            let values = self.interesting(step.slot).values.into_iter().map(rank);
            let target = if amount > Decimal::ZERO {
                let last = values.max().unwrap_or(now);
                def.max.map_or(last, |m| last.min(m)).max(now)
            } else {
                let first = values.min().unwrap_or(now);
                def.min.map_or(first, |m| first.max(m)).min(now)
            };
            let years = (target - now).checked_div(amount).map(|y| y.ceil()).unwrap_or(Decimal::ZERO);
            horizon = horizon.max(u32::try_from(years).unwrap_or(u32::MAX));
        }
        horizon
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

    /// Every input an expression reads, with those of the items whose `points(…)` it reads.
    fn inputs_read(&self, e: &Expr) -> BTreeSet<u16> {
        let mut inputs = Vec::new();
        let mut items = Vec::new();
        collect_inputs(e, &mut inputs, &mut items);
        let mut seen = vec![false; self.items.len()];
        while let Some(i) = items.pop() {
            let Some(done) = seen.get_mut(i as usize) else { continue };
            if std::mem::replace(done, true) {
                continue;
            }
            let item = &self.items[i as usize];
            collect_inputs(&item.body, &mut inputs, &mut items);
            item.preconditions.iter().for_each(|p| collect_inputs(&p.condition, &mut inputs, &mut items));
        }
        inputs.into_iter().collect()
    }

    /// The vetoes that hold and the requirements not met, each with whether waiting or a
    /// `raise` can change a fact it reads.
    fn blockers(&self, now: &Outcome<'_>) -> Vec<Blocker> {
        let changeable: BTreeSet<u16> =
            self.plan.raise.iter().copied().chain(self.plan.wait.iter().map(|w| w.slot)).collect();
        // The outcome lists the reasons it borrowed from the rules: the same strings, not copies.
        let listed = |reasons: &[&str], rule: &RuleDef| reasons.iter().any(|r| std::ptr::eq(*r, &*rule.reason));
        let vetoes = self.vetoes.iter().filter(|r| listed(&now.vetoes, r)).map(|r| (BlockerKind::Veto, r));
        let unmet = self
            .eligibility
            .iter()
            .filter(|r| listed(&now.ineligible_reasons, r))
            .map(|r| (BlockerKind::Requirement, r));
        vetoes
            .chain(unmet)
            .map(|(kind, rule)| {
                let read = self.inputs_read(&rule.condition);
                Blocker {
                    kind,
                    id: rule.id.to_string(),
                    reason: rule.reason.to_string(),
                    inputs: read
                        .iter()
                        .filter_map(|s| self.inputs.get(*s as usize))
                        .map(|d| d.name.to_string())
                        .collect(),
                    can_change: read.iter().any(|s| changeable.contains(s)),
                }
            })
            .collect()
    }

    /// What this applicant could change, or how long they could wait, to meet the standard.
    /// A veto or requirement no plan can change is reported instead of searched for; the
    /// search spends at most `limits.budget` (see [`SearchReport`]).
    pub fn plan(&self, applicant: &Applicant, limits: Limits) -> PlanReport {
        let now = self.evaluate(applicant).ok();
        let max_wait = limits.max_wait_years.min(self.wait_horizon(applicant));
        let mut report = PlanReport {
            total: now.as_ref().map_or(0, |o| o.total),
            standard: self.standard,
            meets_standard: now.as_ref().is_some_and(|o| o.meets_standard),
            eligible: now.as_ref().is_some_and(|o| o.eligible),
            vetoed: now.as_ref().is_some_and(|o| o.vetoed),
            blockers: now.as_ref().map(|o| self.blockers(o)).unwrap_or_default(),
            plans: Vec::new(),
            waiting: Vec::new(),
            search: SearchReport {
                ran: false,
                work: 0,
                budget: limits.budget,
                cut: false,
                max_wait_years: max_wait,
                wait_clamped: max_wait < limits.max_wait_years,
            },
        };
        let Some(now) = now else { return report };
        if report.blockers.iter().any(|b| !b.can_change) {
            return report;
        }
        let mut search = Search::new(self, applicant, max_wait, limits.budget);
        for years in 1..=max_wait {
            if !search.spend(1) {
                break;
            }
            let later = self.after_waiting(applicant, years);
            let Some(o) = self.total(&later) else { continue };
            if o.meets_standard && search.found.is_empty() {
                let points = o.items.iter().map(|i| i.points).collect();
                search.found.push(Found { changes: Vec::new(), slots: 0, years, total: o.total, points });
            }
            report.waiting.push(Waiting {
                years,
                total: o.total,
                meets_standard: o.meets_standard,
                items: Self::item_deltas(&now, &o),
            });
        }
        if !report.meets_standard {
            report.search.ran = true;
            search.run(limits.max_changes);
        }
        report.search.work = search.work;
        report.search.cut = search.cut;
        // A plan is dominated by one that changes a subset of its facts, each no further, and
        // waits no longer (the search finds none such, but a cut search may leave a few).
        let dominated = |a: &Found, b: &Found| {
            b.years <= a.years
                && within(&b.changes, &a.changes)
                && !(b.years == a.years && within(&a.changes, &b.changes))
        };
        let found = &search.found;
        let mut plans: Vec<Plan> = found
            .iter()
            .filter(|a| !found.iter().any(|b| dominated(a, b)))
            .map(|f| Plan {
                changes: f
                    .changes
                    .iter()
                    .map(|(s, v)| self.change(*s, applicant.values[*s as usize], *v, false))
                    .collect(),
                wait_years: f.years,
                total: f.total,
                items: now
                    .items
                    .iter()
                    .zip(&f.points)
                    .filter(|(b, p)| b.points != **p)
                    .map(|(b, p)| (b.id.to_string(), p.saturating_sub(b.points)))
                    .collect(),
            })
            .collect();
        plans.sort_by_key(|p| (p.changes.len(), p.wait_years, std::cmp::Reverse(p.total)));
        plans.truncate(limits.max_plans);
        report.plans = plans;
        report
    }

    /// The inputs a route may set: everything but `age`, facts that only deduct or veto,
    /// and facts with nothing above their default.
    fn route_inputs(&self, base: &Applicant, fixed: &[u16]) -> Vec<(u16, Candidates)> {
        let mut against: BTreeSet<u16> = BTreeSet::new();
        for item in &self.items {
            if self.sections.get(item.section as usize).is_some_and(|s| s.deduction) {
                against.extend(item.reads.iter().copied());
            }
        }
        for v in &self.vetoes {
            against.extend(self.inputs_read(&v.condition));
        }
        let mut favourable: BTreeSet<u16> = BTreeSet::new();
        for item in &self.items {
            if !self.sections.get(item.section as usize).is_some_and(|s| s.deduction) {
                favourable.extend(item.reads.iter().copied());
            }
        }
        let mut inputs: Vec<(u16, Candidates)> = (0..self.inputs.len() as u16)
            .filter(|s| favourable.contains(s) && !against.contains(s) && !fixed.contains(s))
            .map(|s| (s, self.candidates(s, base.values[s as usize])))
            .filter(|(_, c)| !c.values.is_empty())
            .collect();
        // Levels first, counted facts last: a counted fact is then sized for the levels chosen.
        inputs.sort_by_key(|(s, c)| (c.kind == Kind::Accumulating, *s));
        inputs
    }

    /// The starting profile of `--routes`: defaults, the `given` facts (an age, say), and
    /// the least of each required fact that makes the applicant eligible.
    pub fn empty_profile(&self, given: &[(u16, Value)]) -> Applicant {
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
                    InputType::Date => Value::Date(crate::date::parse(&self.effective).unwrap_or(0)),
                    InputType::List { .. } => Value::Int(0),
                },
            })
            .collect();
        for &(slot, value) in given {
            if let Some(v) = values.get_mut(usize::from(slot)) {
                *v = value;
            }
        }
        let mut profile = Applicant::new(values);
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
    /// social insurance, amounts) take the least value that reaches it. The `fixed` inputs
    /// (given with the profile, such as an age) are never chosen.
    pub fn routes(&self, base: &Applicant, fixed: &[u16], max_facts: usize) -> Vec<Plan> {
        let Some(base_outcome) = self.total(base) else { return Vec::new() };
        let inputs = self.route_inputs(base, fixed);
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

/// A `per` rate an input is counted in: `3 per year of si_months` counts units of 12
/// months at 3 points each.
struct PerStep {
    unit: Decimal,
    /// Points a unit, when the rate is a constant.
    rate: Option<Decimal>,
}

/// Thresholds `slot` is compared against, and the `per` rates it is counted in.
fn collect_thresholds(e: &Expr, slot: u16, found: &mut Vec<Decimal>, per: &mut Vec<PerStep>) {
    let is_slot = |x: &Expr| passes_through(x, slot);
    let constant = |x: &Expr| match &x.kind {
        ExprKind::Const(v) | ExprKind::Folded { value: v, .. } => match v {
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Dec(d) => Some(*d),
            _ => None,
        },
        _ => None,
    };
    match &e.kind {
        ExprKind::Cmp(op, a, b) => {
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
        ExprKind::Per { rate, operand, scale, amount } => {
            if let Some(unit) = amount.checked_div(Decimal::from(*scale)).filter(|_| is_slot(operand)) {
                per.push(PerStep { unit, rate: constant(rate) });
            }
            collect_thresholds(rate, slot, found, per);
            collect_thresholds(operand, slot, found, per);
            return;
        }
        _ => {}
    }
    e.children().for_each(|c| collect_thresholds(c, slot, found, per));
}

/// Whether the value of `e` can be the input's own value: the input itself, or through
/// `??`, `floor`, `min`/`max` or the result of a `when` or `match` arm (`min(age, 18) < 18`
/// compares `age` with 18).
fn passes_through(e: &Expr, slot: u16) -> bool {
    match &e.kind {
        ExprKind::Input(s) => *s == slot,
        ExprKind::Coalesce(a, _) | ExprKind::Floor(a) => passes_through(a, slot),
        ExprKind::Min(args) | ExprKind::Max(args) => args.iter().any(|a| passes_through(a, slot)),
        ExprKind::When { arms, otherwise } => {
            passes_through(otherwise, slot) || arms.iter().any(|(_, r)| passes_through(r, slot))
        }
        ExprKind::Match { arms, .. } => arms.iter().any(|(_, r)| passes_through(r, slot)),
        _ => false,
    }
}

/// The slots a set of changes names, one bit each (slot modulo 64): when `a`'s facts are
/// among `b`'s, `slot_mask(a)` has no bit `slot_mask(b)` lacks, so a bit missing rules
/// [`within`] out at once.
fn slot_mask(changes: &[(u16, Value)]) -> u64 {
    changes.iter().fold(0, |mask, (slot, _)| mask | 1 << (slot % 64))
}

/// Whether every fact `a` changes is changed by `b` too, to a value at least as far along.
fn within(a: &[(u16, Value)], b: &[(u16, Value)]) -> bool {
    a.iter().all(|(s, v)| b.iter().any(|(t, w)| s == t && rank(*v) <= rank(*w)))
}

/// The inputs an expression reads, and the items whose `points(…)` it reads; every kind of
/// expression is walked (a veto's input inside a `when` or `match` counts as much as any).
fn collect_inputs(e: &Expr, inputs: &mut Vec<u16>, items: &mut Vec<u16>) {
    match &e.kind {
        ExprKind::Input(s) => inputs.push(*s),
        ExprKind::Points(i) => items.push(*i),
        _ => e.children().for_each(|c| collect_inputs(c, inputs, items)),
    }
}

/// The search for plans: combinations of raises, each tried with the years of waiting that
/// could still make it worth showing, within a budget of work.
struct Search<'r, 'a> {
    rules: &'r RuleSet,
    scorer: Scorer<'r>,
    scores: Scores,
    base: &'a Applicant,
    /// Whether each `assume` holds for the applicant as given (one that does not cannot rule
    /// plans out).
    assumed: Vec<bool>,
    /// Each raisable input with the values above the applicant's to try, ascending.
    options: Vec<(u16, Vec<Value>)>,
    /// The profile with the changes being tried, and the same after some years.
    changed: Applicant,
    later: Applicant,
    max_wait: u32,
    /// Units of work an evaluation costs: more when the scorer leaves the applicant to the
    /// reference evaluator (numbers too large for its fast path), about 5× slower.
    evaluation: u64,
    budget: u64,
    work: u64,
    cut: bool,
    found: Vec<Found>,
}

impl<'r, 'a> Search<'r, 'a> {
    fn new(rules: &'r RuleSet, base: &'a Applicant, max_wait: u32, budget: u64) -> Search<'r, 'a> {
        let options = rules
            .plan
            .raise
            .iter()
            .filter_map(|&slot| Some((slot, rules.candidates(slot, *base.values.get(slot as usize)?).values)))
            .filter(|(_, values)| !values.is_empty())
            .collect();
        let scorer = rules.scorer();
        let evaluation = if scorer.decides_alone(base) { 1 } else { SLOW_EVALUATION };
        Search {
            rules,
            scorer,
            scores: Scores::default(),
            base,
            assumed: rules.plan.assume.iter().map(|a| rules.holds(a, base)).collect(),
            options,
            changed: base.clone(),
            later: base.clone(),
            max_wait,
            evaluation,
            budget,
            work: 0,
            cut: false,
            found: Vec::new(),
        }
    }

    /// Take `n` units of work from the budget; false (and the search marked cut) when it
    /// would run out.
    fn spend(&mut self, n: u64) -> bool {
        match self.work.checked_add(n).filter(|w| *w <= self.budget) {
            Some(w) => {
                self.work = w;
                true
            }
            None => {
                self.cut = true;
                false
            }
        }
    }

    /// Combinations of one change, then two, … up to `max_changes`, each input's values in
    /// ascending order: every plan that could make another redundant is found before it.
    fn run(&mut self, max_changes: usize) {
        let mut chosen = Vec::new();
        for size in 1..=max_changes.min(self.options.len()) {
            self.extend(0, size, &mut chosen);
            if self.cut {
                return;
            }
        }
    }

    fn extend(&mut self, start: usize, size: usize, chosen: &mut Vec<(u16, Value)>) {
        for k in start..self.options.len() {
            // Too few inputs left to make up the size.
            if self.options.len() - k < size - chosen.len() {
                return;
            }
            for i in 0..self.options[k].1.len() {
                chosen.push((self.options[k].0, self.options[k].1[i]));
                let years = self.worth_waiting(chosen);
                if years > 0 {
                    if chosen.len() == size {
                        self.try_waiting(chosen, years);
                    } else {
                        self.extend(k + 1, size, chosen);
                    }
                }
                chosen.pop();
                if self.cut {
                    return;
                }
                // Higher values of this input are beaten by the same plan.
                if years == 0 {
                    break;
                }
            }
        }
    }

    /// How many years of waiting (0 to this, exclusive) could make a plan with these changes
    /// worth showing: fewer than any found plan that changes a subset of them, each no
    /// further. Comparing with the plans found costs work too (32 comparisons a unit).
    fn worth_waiting(&mut self, chosen: &[(u16, Value)]) -> u32 {
        if !self.spend(1 + self.found.len() as u64 / 32) {
            return 0;
        }
        let all = self.max_wait.saturating_add(1);
        // Most plans found change some fact these changes leave alone: their masks say so
        // without comparing values.
        let slots = slot_mask(chosen);
        self.found
            .iter()
            .filter(|f| f.slots & !slots == 0 && within(&f.changes, chosen))
            .map(|f| f.years)
            .min()
            .unwrap_or(all)
            .min(all)
    }

    /// Wait 0, 1, … up to `years` (exclusive) with these changes; keep the first that meets.
    fn try_waiting(&mut self, chosen: &[(u16, Value)], years: u32) {
        let rules = self.rules;
        self.changed.values.clone_from(&self.base.values);
        self.changed.lists.clone_from(&self.base.lists);
        for (s, v) in chosen {
            self.changed.values[*s as usize] = *v;
        }
        let consistent =
            rules.plan.assume.iter().zip(&self.assumed).all(|(a, held)| !held || rules.holds(a, &self.changed));
        if !consistent {
            return;
        }
        let steps = rules.wait_steps(&self.changed);
        for y in 0..years {
            if !self.spend(self.evaluation) {
                return;
            }
            rules.wait_into(&self.changed, &steps, y, &mut self.later);
            if self.scorer.score(&self.later, &mut self.scores).is_ok() && self.scores.meets_standard {
                self.found.push(Found {
                    changes: chosen.to_vec(),
                    slots: slot_mask(chosen),
                    years: y,
                    total: self.scores.total,
                    points: self.scores.points.clone(),
                });
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask never rules out a pair that `within` accepts: over every pair of change sets
    /// drawn from six slots (two of them 64 apart, so their bits alias) and two values each,
    /// `within(a, b)` implies that `a`'s mask has no bit `b`'s lacks.
    #[test]
    fn a_slot_mask_only_rules_out_what_within_rejects() {
        let slots = [0u16, 1, 5, 63, 64, 70];
        let mut sets: Vec<Vec<(u16, Value)>> = vec![Vec::new()];
        for &slot in &slots {
            let grown: Vec<Vec<(u16, Value)>> = sets
                .iter()
                .flat_map(|s| {
                    [1, 2].map(|v| {
                        let mut t = s.clone();
                        t.push((slot, Value::Int(v)));
                        t
                    })
                })
                .collect();
            sets.extend(grown);
        }
        let mut pruned = 0;
        for a in &sets {
            for b in &sets {
                let masked_out = slot_mask(a) & !slot_mask(b) != 0;
                assert!(!(masked_out && within(a, b)), "{a:?} within {b:?} but masked out");
                pruned += usize::from(masked_out);
            }
        }
        assert!(pruned > sets.len(), "the mask rules most pairs out ({pruned})");
    }
}
