//! Which arm each `when`/`match` nested inside an item's rule took for one applicant, for
//! test coverage. The top-level arm is in the [`Outcome`](super::Outcome) already; this
//! walks the rest of the rule as evaluation does (`and`, `or` and `??` short-circuit, only
//! the arm taken is evaluated), so an arm counts only when evaluation reached it.

use std::cell::Cell;
use std::collections::HashMap;

use super::aggregate::apply_cap;
use super::{eval, match_arm, truthy, Applicant, Ctx, Outcome, Status};
use crate::rules::{Expr, ExprKind, RuleSet};

/// The `when`/`match` nodes nested in a rule, in source order, without the top-level one
/// (whose arms are [`ItemDef::arms`](crate::rules::ItemDef::arms)).
pub(crate) fn nested_choices(body: &Expr) -> Vec<&Expr> {
    fn walk<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        if matches!(&e.kind, ExprKind::When { .. } | ExprKind::Match { .. }) {
            out.push(e);
        }
        e.children().for_each(|c| walk(c, out));
    }
    let mut out = Vec::new();
    match &body.kind {
        ExprKind::When { .. } | ExprKind::Match { .. } => body.children().for_each(|c| walk(c, &mut out)),
        _ => walk(body, &mut out),
    }
    out
}

/// For each item, for each of its [`nested_choices`], the arms taken for `applicant`
/// (a `when`'s `else` is the arm after its last `when`). `outcome` is the applicant's
/// outcome: the points other items' rules read are taken from it.
pub(crate) fn nested_arms_taken(rules: &RuleSet, applicant: &Applicant, outcome: &Outcome<'_>) -> Vec<Vec<Vec<bool>>> {
    // `points(item)` reads points after preconditions and cap, before exclusive groups.
    let computed: Vec<Cell<i64>> = rules
        .items
        .iter()
        .zip(&outcome.items)
        .map(|(def, item)| {
            let deduction = rules.sections.get(def.section as usize).is_some_and(|s| s.deduction);
            let points = match item.status {
                Status::PreconditionUnmet { .. } => 0,
                _ => apply_cap(item.raw_points, def.cap, deduction).0,
            };
            Cell::new(points)
        })
        .collect();
    let places = rules.points.map_or(0, |p| p.places);
    let ctx = Ctx {
        inputs: &applicant.values,
        points: &computed,
        params: &rules.params,
        places,
        lists: &applicant.lists,
        row: &[],
    };
    rules
        .items
        .iter()
        .map(|def| {
            let choices = nested_choices(&def.body);
            let index: HashMap<*const Expr, usize> =
                choices.iter().enumerate().map(|(k, e)| (*e as *const Expr, k)).collect();
            let mut taken: Vec<Vec<bool>> = choices.iter().map(|e| vec![false; arm_count(e)]).collect();
            let mut walker = Walker { ctx: &ctx, index, taken: &mut taken };
            // An evaluation error stops the walk; what was reached still counts.
            let _ = walker.walk(&def.body);
            taken
        })
        .collect()
}

/// The arms of a `when` (its `else` included) or a `match`.
pub(crate) fn arm_count(e: &Expr) -> usize {
    match &e.kind {
        ExprKind::When { arms, .. } => arms.len() + 1,
        ExprKind::Match { arms, .. } => arms.len(),
        _ => 0,
    }
}

struct Walker<'a, 'c> {
    ctx: &'a Ctx<'c>,
    index: HashMap<*const Expr, usize>,
    taken: &'a mut Vec<Vec<bool>>,
}

impl Walker<'_, '_> {
    fn note(&mut self, e: &Expr, arm: usize) {
        if let Some(arms) = self.index.get(&(e as *const Expr)).and_then(|&k| self.taken.get_mut(k)) {
            if let Some(hit) = arms.get_mut(arm) {
                *hit = true;
            }
        }
    }

    fn walk(&mut self, e: &Expr) -> super::Result<()> {
        match &e.kind {
            ExprKind::When { arms, otherwise } => {
                for (k, (cond, result)) in arms.iter().enumerate() {
                    self.walk(cond)?;
                    if truthy(self.ctx, cond)? {
                        self.note(e, k);
                        return self.walk(result);
                    }
                }
                self.note(e, arms.len());
                self.walk(otherwise)
            }
            ExprKind::Match { scrutinee, arms } => {
                for s in scrutinee {
                    self.walk(s)?;
                }
                let k = match_arm(self.ctx, scrutinee, arms)?;
                self.note(e, k);
                self.walk(&arms[k].1)
            }
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                self.walk(a)?;
                if truthy(self.ctx, a)? == matches!(&e.kind, ExprKind::And(..)) {
                    self.walk(b)?;
                }
                Ok(())
            }
            ExprKind::Coalesce(a, b) => {
                self.walk(a)?;
                if matches!(eval(self.ctx, a)?, crate::rules::Value::Absent) {
                    self.walk(b)?;
                }
                Ok(())
            }
            _ => e.children().try_for_each(|c| self.walk(c)),
        }
    }
}
