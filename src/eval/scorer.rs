//! A rule set prepared for scoring many applicants: its expressions specialised once
//! (see [`super::specialise`]) and its per-applicant scratch reused from one applicant to the
//! next.
//!
//! A [`Scorer`] gives exactly what [`RuleSet::evaluate`] gives — the reference evaluator
//! is what it falls back to for any applicant its specialised code cannot decide alone.

use super::aggregate::{aggregate, outcome, outcome_into, Computed, Evaluator, Layout, Scores};
use super::specialise::{Bool, Cx, Fast, Int, Leave, Num, Specialiser, Switch};
use super::table::{self, Table};
use super::{Applicant, Ctx, EvalError, Outcome};
use crate::rules::{Expr, ExprKind, Precision, RuleSet};

/// An item's rule, specialised; a top-level `when`/`match` keeps track of its arm.
#[derive(Debug)]
enum Body<'r> {
    When(Vec<(Bool<'r>, Num<'r>)>, Num<'r>),
    Match(Switch<'r, Num<'r>>),
    /// No arm to note: the item's `points` say it all.
    Plain,
    /// Points and arm looked up by the values of the few inputs the rule reads.
    Table(Table<(i64, Option<u16>)>),
    /// Left to the reference evaluator (a match it cannot tabulate), with the precision
    /// its points round to.
    Slow(&'r Expr, Option<Precision>),
}

/// An item's points for scoring alone: a table's lookup in place, as most items are.
#[derive(Debug)]
enum Points<'r> {
    Table(Table<i64>),
    Int(Int<'r>),
}

#[derive(Debug)]
struct SpecialisedItem<'r> {
    preconditions: Vec<Bool<'r>>,
    /// The item's computed points, for scoring alone.
    points: Points<'r>,
    /// The same with the top-level arm it takes, for the full outcome.
    body: Body<'r>,
}

/// A rule set ready to score applicants quickly; build it once with [`RuleSet::scorer`].
#[derive(Debug)]
pub struct Scorer<'r> {
    rules: &'r RuleSet,
    layout: Layout,
    /// By item index, as the rule set lists them.
    items: Vec<SpecialisedItem<'r>>,
    eligibility: Vec<Bool<'r>>,
    vetoes: Vec<Bool<'r>>,
}

impl RuleSet {
    /// Prepare this rule set for scoring many applicants.
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer::new(self)
    }
}

impl<'r> Scorer<'r> {
    pub fn new(rules: &'r RuleSet) -> Scorer<'r> {
        let spec = Specialiser::new(rules);
        let items = rules
            .items
            .iter()
            .map(|def| {
                let body = body(&spec, &def.body);
                let points = match &body {
                    Body::Table(t) => Points::Table(t.map(|(points, _)| points)),
                    _ => Points::Int(spec.points(&def.body)),
                };
                SpecialisedItem {
                    preconditions: def.preconditions.iter().map(|p| spec.bool(&p.condition)).collect(),
                    points,
                    body,
                }
            })
            .collect();
        Scorer {
            rules,
            layout: Layout::of(rules),
            items,
            eligibility: rules.eligibility.iter().map(|r| spec.bool(&r.condition)).collect(),
            vetoes: rules.vetoes.iter().map(|r| spec.bool(&r.condition)).collect(),
        }
    }

    pub fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    /// Score an applicant into `scores`, reusing its storage.
    pub fn score(&self, applicant: &Applicant, scores: &mut Scores) -> Result<(), EvalError> {
        if aggregate::<_, false>(self.rules, &self.layout, self, applicant, scores).is_ok() {
            return Ok(());
        }
        self.rules.score_by_reference(applicant, scores)
    }

    /// Score an applicant with the full explanation; the same as [`RuleSet::evaluate`].
    pub fn evaluate(&self, applicant: &Applicant) -> Result<Outcome<'r>, EvalError> {
        let mut scores = Scores::default();
        if aggregate::<_, true>(self.rules, &self.layout, self, applicant, &mut scores).is_err() {
            return self.rules.evaluate(applicant);
        }
        let mut outcome = outcome(self.rules, &scores);
        outcome.outputs = self.rules.outputs_of(applicant, &outcome.computed)?;
        Ok(outcome)
    }

    /// [`Scorer::evaluate`] into storage kept from one applicant to the next: `scores` and
    /// `outcome`'s lists are reused, so explaining many applicants allocates nothing per
    /// applicant once they have grown (outputs aside, when the policy has any). `outcome`
    /// afterwards equals what `evaluate` returns; on an error its contents are unspecified.
    pub fn evaluate_into(
        &self,
        applicant: &Applicant,
        scores: &mut Scores,
        outcome: &mut Outcome<'r>,
    ) -> Result<(), EvalError> {
        if aggregate::<_, true>(self.rules, &self.layout, self, applicant, scores).is_err() {
            *outcome = self.rules.evaluate(applicant)?;
            return Ok(());
        }
        outcome_into(self.rules, scores, outcome);
        outcome.outputs.clear();
        if !self.rules.outputs.is_empty() {
            outcome.outputs = self.rules.outputs_of(applicant, &outcome.computed)?;
        }
        Ok(())
    }

    /// Whether the specialised code decides this applicant without the reference evaluator
    /// (for tests: a scorer that always fell back would still be right, only slow).
    #[doc(hidden)]
    pub fn decides_alone(&self, applicant: &Applicant) -> bool {
        aggregate::<_, false>(self.rules, &self.layout, self, applicant, &mut Scores::default()).is_ok()
    }
}

impl Evaluator for Scorer<'_> {
    /// Anything the specialised code does not decide alone is left to the reference evaluator.
    type Fail = Leave;

    #[inline(always)]
    fn points(&self, index: usize, cx: &Cx<'_>) -> Fast<Option<i64>> {
        let item = self.items.get(index).ok_or(Leave)?;
        let raw = item.points.eval(cx)?;
        if item.preconditions.is_empty() || item.all_met(cx)? {
            Ok(Some(raw))
        } else {
            Ok(None)
        }
    }

    fn traced(&self, index: usize, cx: &Cx<'_>) -> Fast<Computed> {
        let item = self.items.get(index).ok_or(Leave)?;
        let mut computed = Computed::default();
        for (k, pre) in item.preconditions.iter().enumerate() {
            if pre.test(cx)? {
                if k < 64 {
                    computed.met |= 1 << k;
                }
            } else if computed.unmet.is_none() {
                computed.unmet = Some(k as u16);
            }
        }
        (computed.raw, computed.arm) = item.body.eval(&item.points, cx)?;
        Ok(computed)
    }

    fn requirement(&self, k: usize, cx: &Cx<'_>) -> Fast<bool> {
        self.eligibility.get(k).ok_or(Leave)?.test(cx)
    }

    fn veto(&self, k: usize, cx: &Cx<'_>) -> Fast<bool> {
        self.vetoes.get(k).ok_or(Leave)?.test(cx)
    }
}

fn body<'r>(spec: &Specialiser<'r>, e: &'r Expr) -> Body<'r> {
    let points_and_arm = |ctx: &Ctx<'_>| {
        let (value, arm) = super::eval_top(ctx, e).ok()?;
        Some((super::to_points(value, spec.rules().points).ok()?, arm))
    };
    if table::size(e) >= 4 {
        if let Some(t) = Table::build(spec.rules(), e, points_and_arm) {
            return Body::Table(t);
        }
    }
    match &e.kind {
        ExprKind::When { arms, otherwise } => {
            Body::When(arms.iter().map(|(c, r)| (spec.bool(c), spec.number(r))).collect(), spec.number(otherwise))
        }
        ExprKind::Match { .. } => match spec.top_switch(e) {
            Some(s) => Body::Match(s),
            None => Body::Slow(e, spec.rules().points),
        },
        _ => Body::Plain,
    }
}

impl SpecialisedItem<'_> {
    /// Whether every precondition is met. Every one is evaluated, as the reference does:
    /// one it cannot evaluate is its error even after another was not met.
    #[inline(never)]
    fn all_met(&self, cx: &Cx<'_>) -> Fast<bool> {
        let mut met = true;
        for pre in &self.preconditions {
            met &= pre.test(cx)?;
        }
        Ok(met)
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
            Body::Slow(e, precision) => {
                let (value, arm) = cx.reference(|ctx| super::eval_top(ctx, e)).map_err(|_| Leave)?;
                Ok((super::to_points(value, *precision).map_err(|_| Leave)?, arm))
            }
        }
    }
}
