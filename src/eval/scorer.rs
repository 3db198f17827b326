//! A rule set prepared for scoring many applicants: its expressions lowered once
//! (see [`super::lower`]) and its per-applicant scratch reused from one applicant to the
//! next.
//!
//! A [`Scorer`] gives exactly what [`RuleSet::evaluate`] gives — the reference evaluator
//! is what it falls back to for any applicant its lowered code cannot decide alone.

use std::cell::Cell;

use super::lower::{Bool, Cx, Fast, Int, Leave, Lowering, Num, Switch};
use super::table::{self, Table};
use super::{apply_cap, Applicant, Ctx, EvalError, ItemOutcome, Outcome, SectionOutcome, Status};
use crate::rules::{Expr, RuleSet};

/// An item's rule, lowered; a top-level `when`/`match` keeps track of its arm.
#[derive(Debug)]
enum Body<'r> {
    When(Vec<(Bool<'r>, Num<'r>)>, Num<'r>),
    Match(Switch<'r, Num<'r>>),
    /// No arm to note: the item's `points` say it all.
    Plain,
    /// Points and arm looked up by the values of the few inputs the rule reads.
    Table(Table<(i64, Option<u16>)>),
    /// Left to the reference evaluator (a match it cannot tabulate).
    Slow(&'r Expr),
}

/// An item's points for scoring alone: a table's lookup in place, as most items are.
#[derive(Debug)]
enum Points<'r> {
    Table(Table<i64>),
    Int(Int<'r>),
}

#[derive(Debug)]
struct LoweredItem<'r> {
    /// The item's index in the rule set.
    index: usize,
    preconditions: Vec<Bool<'r>>,
    /// The item's computed points, for scoring alone.
    points: Points<'r>,
    /// The same with the top-level arm it takes, for the full outcome.
    body: Body<'r>,
    cap: Option<i64>,
    deduction: bool,
    /// The item's section, by index.
    section: usize,
}

/// A rule set ready to score applicants quickly; build it once with [`RuleSet::scorer`].
#[derive(Debug)]
pub struct Scorer<'r> {
    rules: &'r RuleSet,
    /// In evaluation order: each after the items whose points it reads.
    items: Vec<LoweredItem<'r>>,
    eligibility: Vec<Bool<'r>>,
    vetoes: Vec<Bool<'r>>,
    /// Whether the evaluation order names every item once and each section lists exactly
    /// the items of that section, as in a checked rule set: scoring relies on it to
    /// overwrite every item's entry and to sum sections as it goes (otherwise it always
    /// falls back).
    consistent: bool,
}

/// One applicant's scores, without the explanation an [`Outcome`] carries. Reuse one
/// `Scores` for many applicants: scoring into it allocates nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scores {
    pub total: i64,
    pub eligible: bool,
    pub vetoed: bool,
    pub meets_standard: bool,
    /// The points each item counts toward the total, in the rule set's item order.
    pub points: Vec<i64>,
    /// Points before exclusive groups are decided, as `points(item)` reads them.
    computed: Vec<i64>,
    /// How each item came to its points (for the full outcome).
    trace: Vec<ItemTrace>,
    sections: Vec<(i64, bool)>,
    failed_requirements: Vec<u16>,
    hit_vetoes: Vec<u16>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ItemTrace {
    raw: i64,
    met: u64,
    arm: Option<u16>,
    /// The first precondition not met.
    unmet: Option<u16>,
    capped: bool,
    /// The group and the winner that excluded the item.
    excluded_by: Option<(u16, u16)>,
}

impl RuleSet {
    /// Prepare this rule set for scoring many applicants.
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer::new(self)
    }
}

impl<'r> Scorer<'r> {
    pub fn new(rules: &'r RuleSet) -> Scorer<'r> {
        let lower = Lowering::new(rules);
        let mut seen = vec![false; rules.items.len()];
        let order_complete = rules.order.len() == rules.items.len()
            && rules.order.iter().all(|&i| seen.get_mut(i as usize).is_some_and(|s| !std::mem::replace(s, true)));
        let sections_agree = rules.sections.iter().enumerate().all(|(k, section)| {
            let mut listed = section.items.clone();
            listed.sort_unstable();
            let members: Vec<u16> =
                (0..rules.items.len() as u16).filter(|&i| rules.items[i as usize].section as usize == k).collect();
            listed == members
        }) && rules.items.iter().all(|i| (i.section as usize) < rules.sections.len());
        let consistent = order_complete && sections_agree;
        let items = rules
            .order
            .iter()
            .filter(|_| consistent)
            .filter_map(|&index| Some((index as usize, rules.items.get(index as usize)?)))
            .map(|(index, def)| {
                let body = body(&lower, &def.body);
                let points = match &body {
                    Body::Table(t) => Points::Table(t.map(|(points, _)| points)),
                    _ => Points::Int(lower.points(&def.body)),
                };
                LoweredItem {
                    index,
                    preconditions: def.preconditions.iter().map(|p| lower.bool(&p.condition)).collect(),
                    points,
                    body,
                    cap: def.cap,
                    deduction: rules.sections.get(def.section as usize).is_some_and(|s| s.deduction),
                    section: def.section as usize,
                }
            })
            .collect();
        Scorer {
            rules,
            items,
            consistent,
            eligibility: rules.eligibility.iter().map(|r| lower.bool(&r.condition)).collect(),
            vetoes: rules.vetoes.iter().map(|r| lower.bool(&r.condition)).collect(),
        }
    }

    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// Score an applicant into `scores`, reusing its storage.
    pub fn score(&self, applicant: &Applicant, scores: &mut Scores) -> Result<(), EvalError> {
        scores.reset(self.rules);
        if self.run::<false>(applicant, scores).is_ok() {
            return Ok(());
        }
        let outcome = self.rules.evaluate(applicant)?;
        scores.copy_from(self.rules, &outcome);
        Ok(())
    }

    /// Score an applicant with the full explanation; the same as [`RuleSet::evaluate`].
    pub fn evaluate(&self, applicant: &Applicant) -> Result<Outcome<'r>, EvalError> {
        let mut scores = Scores::default();
        scores.reset(self.rules);
        if self.run::<true>(applicant, &mut scores).is_err() {
            return self.rules.evaluate(applicant);
        }
        Ok(self.outcome(&scores))
    }

    /// Whether the lowered code decides this applicant without the reference evaluator
    /// (for tests: a scorer that always fell back would still be right, only slow).
    #[doc(hidden)]
    pub fn decides_alone(&self, applicant: &Applicant) -> bool {
        let mut scores = Scores::default();
        scores.reset(self.rules);
        self.run::<false>(applicant, &mut scores).is_ok()
    }

    /// Score into `s`; with `TRACE`, also note how each item came to its points (for the
    /// full outcome), which scoring alone does not pay for.
    fn run<const TRACE: bool>(&self, applicant: &Applicant, s: &mut Scores) -> Fast<()> {
        let rules = self.rules;
        if !self.consistent {
            return Err(Leave);
        }
        let Scores { computed, trace, points, sections, failed_requirements, hit_vetoes, .. } = s;
        // Section sums as items are scored; exact (an overflow leaves it to the reference,
        // whose saturating sums then decide), so the order of addition does not matter.
        for section in sections.iter_mut() {
            section.0 = 0;
        }
        let cells = Cell::from_mut(&mut computed[..]).as_slice_of_cells();
        let cx = Cx { inputs: &applicant.values, points: cells, params: &rules.params };
        for item in &self.items {
            let i = item.index;
            let value = if TRACE {
                let mut met = 0u64;
                let mut unmet = None;
                for (k, pre) in item.preconditions.iter().enumerate() {
                    if pre.test(&cx)? {
                        if k < 64 {
                            met |= 1 << k;
                        }
                    } else if unmet.is_none() {
                        unmet = Some(k as u16);
                    }
                }
                let (raw, arm) = item.body.eval(&item.points, &cx)?;
                // The reference saturates there (at −i64::MAX): it decides.
                if raw == i64::MIN {
                    return Err(Leave);
                }
                let (capped_points, capped) = apply_cap(raw, item.cap, item.deduction);
                trace[i] = ItemTrace { raw, met, arm, unmet, capped, excluded_by: None };
                if unmet.is_some() {
                    0
                } else {
                    capped_points
                }
            } else {
                let raw = item.points.eval(&cx)?;
                // Without preconditions, the points capped in place.
                match (item.preconditions.is_empty(), item.cap) {
                    (true, None) => raw,
                    (true, cap) => apply_cap(raw, cap, item.deduction).0,
                    (false, _) => item.finish(raw, &cx)?,
                }
            };
            if value == i64::MIN {
                return Err(Leave);
            }
            cells[i].set(value);
            let sum = &mut sections[item.section].0;
            *sum = points_sum(sum.checked_add(value))?;
        }
        for (k, rule) in self.eligibility.iter().enumerate() {
            if !rule.test(&cx)? {
                failed_requirements.push(k as u16);
            }
        }
        for (k, rule) in self.vetoes.iter().enumerate() {
            if rule.test(&cx)? {
                hit_vetoes.push(k as u16);
            }
        }
        // Exclusive groups decide on the points before any exclusion, as `points(item)`
        // reads them; the points that count are a copy, with the excluded ones zeroed.
        points.copy_from_slice(computed);
        for (g, group) in rules.groups.iter().enumerate() {
            let Some(&winner) = group.members.iter().rev().max_by_key(|m| computed[**m as usize]) else {
                continue;
            };
            for &m in &group.members {
                let m = m as usize;
                if m as u16 != winner && computed[m] != 0 {
                    // Subtracted once, should a rule set built by hand put it in two groups.
                    let sum = &mut sections[rules.items[m].section as usize].0;
                    *sum = points_sum(sum.checked_sub(std::mem::take(&mut points[m])))?;
                    if TRACE {
                        trace[m].excluded_by = Some((g as u16, winner));
                    }
                }
            }
        }
        let mut total: i64 = 0;
        for (section, (sum, capped)) in rules.sections.iter().zip(sections.iter_mut()) {
            (*sum, *capped) = apply_cap(*sum, section.cap, section.deduction);
            total = points_sum(total.checked_add(*sum))?;
        }
        s.total = total;
        s.eligible = s.failed_requirements.is_empty();
        s.vetoed = !s.hit_vetoes.is_empty();
        s.meets_standard = s.eligible && !s.vetoed && total >= rules.standard;
        Ok(())
    }

    fn outcome(&self, s: &Scores) -> Outcome<'r> {
        let rules = self.rules;
        let items = rules
            .items
            .iter()
            .enumerate()
            .map(|(i, def)| {
                let trace = &s.trace[i];
                let status = match (trace.unmet, trace.excluded_by) {
                    (Some(k), _) => Status::PreconditionUnmet { reason: &def.preconditions[k as usize].reason },
                    (None, Some((g, by))) => {
                        Status::Excluded { group: &rules.groups[g as usize].id, by: &rules.items[by as usize].id }
                    }
                    (None, None) if trace.capped => Status::Capped,
                    (None, None) => Status::Scored,
                };
                ItemOutcome {
                    id: &def.id,
                    label: &def.label,
                    section: rules.sections.get(def.section as usize).map(|s| &*s.id).unwrap_or(""),
                    points: s.points[i],
                    raw_points: trace.raw,
                    status,
                    arm: trace.arm,
                    preconditions_met: trace.met,
                }
            })
            .collect();
        Outcome {
            total: s.total,
            standard: rules.standard,
            eligible: s.eligible,
            vetoed: s.vetoed,
            meets_standard: s.meets_standard,
            items,
            sections: rules
                .sections
                .iter()
                .zip(&s.sections)
                .map(|(def, &(points, capped))| SectionOutcome { id: &def.id, points, capped })
                .collect(),
            ineligible_reasons: s.failed_requirements.iter().map(|&k| &*rules.eligibility[k as usize].reason).collect(),
            vetoes: s.hit_vetoes.iter().map(|&k| &*rules.vetoes[k as usize].reason).collect(),
        }
    }
}

fn body<'r>(lower: &Lowering<'r>, e: &'r Expr) -> Body<'r> {
    let points_and_arm = |ctx: &Ctx<'_>| {
        let (value, arm) = super::eval_top(ctx, e).ok()?;
        Some((super::to_points(value).ok()?, arm))
    };
    if table::size(e) >= 4 {
        if let Some(t) = Table::build(lower.rules(), e, points_and_arm) {
            return Body::Table(t);
        }
    }
    match e {
        Expr::When { arms, otherwise } => {
            Body::When(arms.iter().map(|(c, r)| (lower.bool(c), lower.number(r))).collect(), lower.number(otherwise))
        }
        Expr::Match { .. } => match lower.top_switch(e) {
            Some(s) => Body::Match(s),
            None => Body::Slow(e),
        },
        _ => Body::Plain,
    }
}

/// An exact sum of points, or (beyond ±i64::MAX, where the reference saturates) `Leave`.
fn points_sum(sum: Option<i64>) -> Fast<i64> {
    sum.filter(|&s| s != i64::MIN).ok_or(Leave)
}

impl LoweredItem<'_> {
    /// An item's points with its preconditions and cap applied. Every precondition is
    /// evaluated, as the reference does: one it cannot evaluate is its error even after
    /// another was not met.
    #[inline(never)]
    fn finish(&self, raw: i64, cx: &Cx<'_>) -> Fast<i64> {
        let mut met = true;
        for pre in &self.preconditions {
            met &= pre.test(cx)?;
        }
        Ok(if met { apply_cap(raw, self.cap, self.deduction).0 } else { 0 })
    }
}

impl Points<'_> {
    #[inline(always)]
    fn eval(&self, cx: &Cx<'_>) -> Fast<i64> {
        match self {
            Points::Table(t) => t.look_up(cx),
            Points::Int(n) => n.get(cx),
        }
    }
}

impl Body<'_> {
    /// The item's computed points and the top-level arm taken.
    fn eval(&self, points: &Points<'_>, cx: &Cx<'_>) -> Fast<(i64, Option<u16>)> {
        match self {
            Body::Plain => Ok((points.eval(cx)?, None)),
            Body::When(arms, otherwise) => {
                for (k, (cond, result)) in arms.iter().enumerate() {
                    if cond.test(cx)? {
                        return Ok((result.points(cx)?, Some(k as u16)));
                    }
                }
                Ok((otherwise.points(cx)?, Some(arms.len() as u16)))
            }
            Body::Match(switch) => {
                let k = switch.arm(cx)?;
                Ok((switch.results[k].points(cx)?, Some(k as u16)))
            }
            Body::Table(t) => t.look_up(cx),
            Body::Slow(e) => {
                let (value, arm) = cx.reference(|ctx| super::eval_top(ctx, e)).map_err(|_| Leave)?;
                Ok((super::to_points(value).map_err(|_| Leave)?, arm))
            }
        }
    }
}

impl Scores {
    /// Size the storage for a rule set; every item's entries are written by each run
    /// (every item is in the evaluation order), so nothing else needs clearing.
    fn reset(&mut self, rules: &RuleSet) {
        let n = rules.items.len();
        if self.computed.len() != n {
            self.points.resize(n, 0);
            self.computed.resize(n, 0);
            self.trace.resize(n, ItemTrace::default());
        }
        if self.sections.len() != rules.sections.len() {
            self.sections.resize(rules.sections.len(), (0, false));
        }
        self.failed_requirements.clear();
        self.hit_vetoes.clear();
    }

    /// Take the scores of an outcome the reference evaluator gave.
    fn copy_from(&mut self, rules: &RuleSet, outcome: &Outcome<'_>) {
        self.total = outcome.total;
        self.eligible = outcome.eligible;
        self.vetoed = outcome.vetoed;
        self.meets_standard = outcome.meets_standard;
        self.points.clear();
        self.points.extend(outcome.items.iter().map(|i| i.points));
        self.points.resize(rules.items.len(), 0);
    }
}
