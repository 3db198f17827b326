//! The one aggregation both evaluators share: an item's preconditions and cap, exclusive
//! groups, section sums and caps, the total and the verdict.
//!
//! The reference evaluator ([`RuleSet::evaluate`]) and the [`Scorer`](super::Scorer) differ
//! only in how they evaluate an expression; each gives that through [`Evaluator`], and
//! everything that turns items' computed points into an outcome is here, once.

use std::cell::Cell;

use super::{Applicant, Ctx, GroupOutcome, ItemOutcome, Outcome, SectionOutcome, Status};
use crate::rules::RuleSet;

/// Points never leave ±`POINTS_LIMIT`: an item's computed points, a section's points and
/// the total saturate there, symmetrically. Sums are exact before they saturate.
pub(crate) const POINTS_LIMIT: i64 = i64::MAX;

/// An item's rule and preconditions, evaluated: what the aggregation needs of an evaluator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Computed {
    /// The points the rule computed, before precondition, cap and group.
    pub(super) raw: i64,
    /// The first precondition not met.
    pub(super) unmet: Option<u16>,
    /// The top-level `when`/`match` arm taken (noted when tracing).
    pub(super) arm: Option<u16>,
    /// Bit k set: precondition k was met (noted when tracing).
    pub(super) met: u64,
}

/// How an evaluator evaluates the expressions of a rule set.
pub(super) trait Evaluator {
    type Fail;
    /// Item `index`'s computed points, or `None` when a precondition is not met.
    fn points(&self, index: usize, ctx: &Ctx<'_>) -> Result<Option<i64>, Self::Fail>;
    /// The same with the arm taken and which preconditions were met, for the explanation.
    fn traced(&self, index: usize, ctx: &Ctx<'_>) -> Result<Computed, Self::Fail>;
    /// Whether eligibility requirement `k` holds.
    fn requirement(&self, k: usize, ctx: &Ctx<'_>) -> Result<bool, Self::Fail>;
    /// Whether veto `k` applies.
    fn veto(&self, k: usize, ctx: &Ctx<'_>) -> Result<bool, Self::Fail>;
}

/// One applicant's scores, without the explanation an [`Outcome`] carries. Reuse one
/// `Scores` for many applicants: scoring into it allocates nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scores {
    pub total: i64,
    pub eligible: bool,
    pub vetoed: bool,
    pub meets_standard: bool,
    /// Whether the policy's floor lifted the total.
    pub floored: bool,
    /// The points each item counts toward the total, in the rule set's item order.
    pub points: Vec<i64>,
    /// Points before exclusive groups are decided, as `points(item)` reads them.
    computed: Vec<i64>,
    /// How each item came to its points (filled when tracing, for the full outcome).
    trace: Vec<ItemTrace>,
    sections: Vec<(i64, bool)>,
    /// Each section's exact sum, as items are scored; left at zero by a run that ends.
    sums: Vec<i128>,
    /// Whether `sums` may hold a stopped run's partial sums.
    dirty: bool,
    failed_requirements: Vec<u16>,
    hit_vetoes: Vec<u16>,
    /// Each capped group's sum before and after its cap, in the rule set's order.
    pub groups: Vec<(i64, i64)>,
    /// Each section's sum before its cap.
    section_raw: Vec<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ItemTrace {
    computed: Computed,
    capped: bool,
    /// The group and the winner that excluded the item.
    excluded_by: Option<(u16, u16)>,
}

impl Scores {
    /// Each item's points before exclusive groups, as `points(item)` reads them (what an
    /// `output` reads).
    pub fn computed(&self) -> &[i64] {
        &self.computed
    }

    /// A section's points (after its cap), by the section's index, as the total counts them.
    pub fn section_points(&self, index: usize) -> Option<i64> {
        self.sections.get(index).map(|&(points, _)| points)
    }

    /// Size the storage for a rule set. A run leaves its sums at zero; one that stopped
    /// half way, and a layout that leaves items out, are zeroed here.
    #[inline]
    fn reset(&mut self, rules: &RuleSet, layout: &Layout) {
        let n = rules.items.len();
        if self.computed.len() != n {
            self.points.resize(n, 0);
            self.computed.resize(n, 0);
            self.trace.resize(n, ItemTrace::default());
        }
        if !layout.complete {
            self.computed.fill(0);
        }
        let m = rules.sections.len();
        if self.sums.len() != m {
            self.sections.resize(m, (0, false));
            self.sums.resize(m, 0);
        }
        if self.dirty {
            self.sums.fill(0);
        }
        if self.section_raw.len() != m {
            self.section_raw.resize(m, 0);
        }
        if self.groups.len() != rules.caps.len() {
            self.groups.resize(rules.caps.len(), (0, 0));
        }
        self.dirty = true;
        self.failed_requirements.clear();
        self.hit_vetoes.clear();
    }
}

/// What the aggregation reads of each item, in evaluation order, gathered once per rule set.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    order: Vec<Slot>,
    /// Whether the order names every item exactly once, so that each run writes every
    /// item's points (as in a checked rule set).
    complete: bool,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    cap: Option<i64>,
    index: u16,
    section: u16,
    deduction: bool,
}

impl Layout {
    /// The items of `rules.order`; one that names no item or section is left out.
    pub(super) fn of(rules: &RuleSet) -> Layout {
        let order = rules
            .order
            .iter()
            .filter_map(|&index| {
                let def = rules.items.get(index as usize)?;
                let section = rules.sections.get(def.section as usize)?;
                Some(Slot { index, section: def.section, cap: def.cap, deduction: section.deduction })
            })
            .collect();
        let mut seen = vec![false; rules.items.len()];
        let complete = rules.order.len() == rules.items.len()
            && rules.order.iter().all(|&i| seen.get_mut(i as usize).is_some_and(|s| !std::mem::replace(s, true)));
        Layout { order, complete }
    }
}

/// Score an applicant's facts with `evaluator` into `s`. With `TRACE`, also note how each
/// item came to its points, for [`outcome`].
pub(super) fn aggregate<E: Evaluator, const TRACE: bool>(
    rules: &RuleSet,
    layout: &Layout,
    evaluator: &E,
    applicant: &Applicant,
    s: &mut Scores,
) -> Result<(), E::Fail> {
    s.reset(rules, layout);
    let Scores {
        computed, trace, points, sections, sums, failed_requirements, hit_vetoes, groups, section_raw, ..
    } = s;
    let cells = Cell::from_mut(&mut computed[..]).as_slice_of_cells();
    let places = rules.points.map_or(0, |p| p.places);
    let ctx = Ctx {
        inputs: &applicant.values,
        points: cells,
        params: &rules.params,
        places,
        lists: &applicant.lists,
        row: &[],
    };
    // Each item counts in its own section; sections are summed exactly as items are scored.
    for slot in &layout.order {
        let (index, section) = (usize::from(slot.index), usize::from(slot.section));
        let value = if TRACE {
            let item = evaluator.traced(index, &ctx)?;
            let raw = item.raw.max(-POINTS_LIMIT);
            let (capped_points, capped) = apply_cap(raw, slot.cap, slot.deduction);
            trace[index] = ItemTrace { computed: Computed { raw, ..item }, capped, excluded_by: None };
            if item.unmet.is_some() {
                0
            } else {
                capped_points
            }
        } else {
            match evaluator.points(index, &ctx)? {
                Some(raw) => apply_cap(raw.max(-POINTS_LIMIT), slot.cap, slot.deduction).0,
                None => 0,
            }
        };
        cells[index].set(value);
        sums[section] += i128::from(value);
    }
    for k in 0..rules.eligibility.len() {
        if !evaluator.requirement(k, &ctx)? {
            failed_requirements.push(k as u16);
        }
    }
    for k in 0..rules.vetoes.len() {
        if evaluator.veto(k, &ctx)? {
            hit_vetoes.push(k as u16);
        }
    }
    // Exclusive groups decide on the points before any exclusion, as `points(item)` reads
    // them: the highest counts, the first written wins a tie.
    points.copy_from_slice(computed);
    for (g, group) in rules.groups.iter().enumerate() {
        let Some(&winner) = group.members.iter().rev().max_by_key(|m| computed.get(**m as usize)) else {
            continue;
        };
        for &m in &group.members {
            let m = m as usize;
            if m as u16 != winner && computed.get(m).is_some_and(|p| *p != 0) {
                if let Some(sum) = rules.items.get(m).and_then(|i| sums.get_mut(i.section as usize)) {
                    *sum -= i128::from(points[m]);
                }
                points[m] = 0;
                if TRACE {
                    trace[m].excluded_by = Some((g as u16, winner));
                }
            }
        }
    }
    // Capped groups: the members' points (after their caps and exclusive groups) together
    // count at most the cap; what is cut comes off the section's sum, before its cap.
    for (group, out) in rules.caps.iter().zip(groups.iter_mut()) {
        let sum: i128 = group.members.iter().filter_map(|&m| points.get(m as usize)).map(|&p| i128::from(p)).sum();
        let Some(section) = rules.sections.get(group.section as usize) else { continue };
        let (counted, _) = apply_cap(saturate(sum), Some(group.cap), section.deduction);
        if let Some(total) = sums.get_mut(group.section as usize) {
            *total -= sum - i128::from(counted);
        }
        *out = (saturate(sum), counted);
    }
    let mut total: i128 = 0;
    for (((section, out), sum), raw) in
        rules.sections.iter().zip(sections.iter_mut()).zip(sums.iter_mut()).zip(section_raw.iter_mut())
    {
        *raw = saturate(std::mem::take(sum));
        *out = apply_cap(*raw, section.cap, section.deduction);
        total += i128::from(out.0);
    }
    s.dirty = false;
    s.total = saturate(total);
    s.floored = rules.floor.is_some_and(|f| s.total < f);
    if let Some(floor) = rules.floor.filter(|_| s.floored) {
        s.total = floor;
    }
    s.eligible = s.failed_requirements.is_empty();
    s.vetoed = !s.hit_vetoes.is_empty();
    // Without a standard the verdict is eligible and not vetoed.
    s.meets_standard = s.eligible && !s.vetoed && rules.standard.is_none_or(|standard| s.total >= standard);
    Ok(())
}

/// An exact sum brought within ±[`POINTS_LIMIT`].
fn saturate(sum: i128) -> i64 {
    sum.clamp(-(POINTS_LIMIT as i128), POINTS_LIMIT as i128) as i64
}

/// Clamp points to a cap; in a deduction section the cap limits the size of the deduction.
pub(super) fn apply_cap(points: i64, cap: Option<i64>, deduction: bool) -> (i64, bool) {
    match cap {
        Some(c) if !deduction && points > c => (c, true),
        Some(c) if deduction && points < -c => (-c, true),
        _ => (points, false),
    }
}

/// The full outcome of a traced run of [`aggregate`].
pub(super) fn outcome<'r>(rules: &'r RuleSet, s: &Scores) -> Outcome<'r> {
    let mut out = Outcome::default();
    outcome_into(rules, s, &mut out);
    out
}

/// The same as [`outcome`], written into `out` and reusing its lists: after the first
/// applicant, explaining one allocates nothing (the names are the rule set's own strings).
/// `out.outputs` is left as it is.
pub(super) fn outcome_into<'r>(rules: &'r RuleSet, s: &Scores, out: &mut Outcome<'r>) {
    out.items.clear();
    out.items.extend(rules.items.iter().zip(&s.trace).zip(&s.points).map(|((def, trace), &points)| {
        let item = &trace.computed;
        let status = match (item.unmet, trace.excluded_by) {
            (Some(k), _) => {
                Status::PreconditionUnmet { reason: def.preconditions.get(k as usize).map_or("", |p| &*p.reason) }
            }
            (None, Some((g, by))) => Status::Excluded {
                group: rules.groups.get(g as usize).map_or("", |g| &*g.id),
                by: rules.items.get(by as usize).map_or("", |i| &*i.id),
            },
            (None, None) if trace.capped => Status::Capped,
            (None, None) => Status::Scored,
        };
        ItemOutcome {
            id: &def.id,
            label: &def.label,
            section: rules.sections.get(def.section as usize).map_or("", |s| &*s.id),
            points,
            raw_points: item.raw,
            status,
            arm: item.arm,
            preconditions_met: item.met,
        }
    }));
    out.total = s.total;
    out.standard = rules.standard;
    out.eligible = s.eligible;
    out.vetoed = s.vetoed;
    out.meets_standard = s.meets_standard;
    out.floored = s.floored;
    out.sections.clear();
    out.sections.extend(
        rules
            .sections
            .iter()
            .zip(&s.sections)
            .zip(&s.section_raw)
            .map(|((def, &(points, capped)), &raw_points)| SectionOutcome { id: &def.id, points, capped, raw_points }),
    );
    out.groups.clear();
    out.groups.extend(rules.caps.iter().zip(&s.groups).map(|(def, &(raw_points, points))| GroupOutcome {
        id: &def.id,
        section: rules.sections.get(def.section as usize).map_or("", |s| &*s.id),
        points,
        raw_points,
        capped: points != raw_points,
    }));
    out.computed.clear();
    out.computed.extend_from_slice(&s.computed);
    out.ineligible_reasons.clear();
    out.ineligible_reasons.extend(s.failed_requirements.iter().map(|&k| &*rules.eligibility[k as usize].reason));
    out.vetoes.clear();
    out.vetoes.extend(s.hit_vetoes.iter().map(|&k| &*rules.vetoes[k as usize].reason));
}
