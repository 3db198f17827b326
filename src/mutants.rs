//! Mutation testing of a policy's own tests (`jifen test --mutants`): each number,
//! comparison and arm of the compiled rule set is changed one at a time, in memory, and the
//! policy's tests are run against the changed rules. A change no test notices ("a surviving
//! mutant") is a gap in the tests, unless no applicant can notice it either: those
//! equivalent changes are recognised by the range analysis and not counted (docs/cli.md).

use rust_decimal::Decimal;
use serde::Serialize;

use crate::check::Ranges;
use crate::rules::print::Printer;
use crate::rules::{CmpOp, Expr, ExprKind, InputType, Pattern, RuleSet, Type, Unit, Value, ValueKind};

/// At most this many changes are tried per policy; the rest are reported as not run.
pub const MAX_MUTANTS: usize = 5_000;

/// What the tests made of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A test failed: the tests notice the change.
    Killed,
    /// Every test still passed.
    Survived,
    /// No applicant within the inputs' declared ranges can score differently.
    Equivalent,
}

/// One change of the rules and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mutant {
    /// `file:line` of the item, rule, section or parameter changed.
    pub location: String,
    /// `item age`, `requirement social_insurance`, `section bonus`, `param average_wage`, `standard`.
    pub place: String,
    /// `constant`, `comparison`, `logic`, `when arm`, `match arm`, `precondition`, `cap`, `per`, `param`, `standard`.
    pub kind: &'static str,
    /// The change in policy words: `` `age > 60` → `age >= 60` ``.
    pub change: String,
    pub verdict: Verdict,
    /// The first test that failed, for a killed change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub killed_by: Option<String>,
    /// Why no applicant can notice it, for an equivalent change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What test would notice it, for a surviving change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The mutation testing of one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MutationReport {
    pub killed: usize,
    pub survived: usize,
    pub equivalent: usize,
    /// Changes beyond [`MAX_MUTANTS`], not tried.
    pub not_run: usize,
    /// killed / (killed + survived), in percent (100 when there is nothing to kill).
    pub score: f64,
    pub mutants: Vec<Mutant>,
}

impl MutationReport {
    fn new(mutants: Vec<Mutant>, not_run: usize) -> MutationReport {
        let count = |v: Verdict| mutants.iter().filter(|m| m.verdict == v).count();
        let (killed, survived, equivalent) =
            (count(Verdict::Killed), count(Verdict::Survived), count(Verdict::Equivalent));
        // A ratio for display and a CI threshold, not a score of an applicant: f64 is fine.
        let score = if killed + survived == 0 { 100.0 } else { killed as f64 * 100.0 / (killed + survived) as f64 };
        MutationReport { killed, survived, equivalent, not_run, score, mutants }
    }
}

/// Which expression of the rule set a change replaces a part of.
#[derive(Debug, Clone, Copy)]
enum Root {
    Body(usize),
    Precondition(usize, usize),
    Requirement(usize),
    Veto(usize),
}

/// One change, not yet applied.
#[derive(Debug, Clone)]
enum Edit {
    /// Replace the subexpression at `path` (child indices, [`INTO_FOLDED`] to enter a folded source).
    Expr {
        root: Root,
        path: Vec<usize>,
        replacement: Expr,
    },
    DropPrecondition(usize, usize),
    ItemCap(usize, i64),
    SectionCap(usize, i64),
    Param(usize, Value),
    Standard(i64),
}

/// The path step into the source of an [`ExprKind::Folded`] (which has no children of its own).
const INTO_FOLDED: usize = usize::MAX;

struct Candidate {
    edit: Edit,
    location: String,
    place: String,
    kind: &'static str,
    change: String,
    hint: String,
    /// Set when the range analysis proves no applicant can notice the change.
    equivalent: Option<String>,
    /// A whole-number input and the one value of it where the change can make a difference.
    boundary: Option<(u16, Value)>,
}

impl RuleSet {
    /// Change each number, comparison and arm of this rule set in turn and run its tests
    /// against each change. The tests should pass on the rule set itself.
    pub fn mutants(&self) -> MutationReport {
        let mut candidates = Enumerate::new(self).all();
        let not_run = candidates.len().saturating_sub(MAX_MUTANTS);
        candidates.truncate(MAX_MUTANTS);
        let mutants = run_all(self, candidates);
        MutationReport::new(mutants, not_run)
    }
}

#[cfg(feature = "cli")]
fn run_all(rs: &RuleSet, candidates: Vec<Candidate>) -> Vec<Mutant> {
    use rayon::prelude::*;
    candidates.into_par_iter().map(|c| run_one(rs, c)).collect()
}

#[cfg(not(feature = "cli"))]
fn run_all(rs: &RuleSet, candidates: Vec<Candidate>) -> Vec<Mutant> {
    candidates.into_iter().map(|c| run_one(rs, c)).collect()
}

fn run_one(rs: &RuleSet, c: Candidate) -> Mutant {
    let (edit, boundary) = (c.edit.clone(), c.boundary);
    let mut mutant = Mutant {
        location: c.location,
        place: c.place,
        kind: c.kind,
        change: c.change,
        verdict: Verdict::Survived,
        killed_by: None,
        reason: None,
        hint: None,
    };
    if let Some(reason) = c.equivalent {
        mutant.verdict = Verdict::Equivalent;
        mutant.reason = Some(reason);
        return mutant;
    }
    let changed = apply(rs, &edit);
    if let Some(reason) = not_counted(rs, &changed, &edit, boundary) {
        mutant.verdict = Verdict::Equivalent;
        mutant.reason = Some(reason);
        return mutant;
    }
    match changed.run_tests(None).into_iter().find(|r| !r.passed) {
        Some(failed) => {
            mutant.verdict = Verdict::Killed;
            mutant.killed_by = Some(failed.name);
        }
        None => mutant.hint = Some(c.hint),
    }
    mutant
}

/// Why a change that the range analysis alone did not rule out is not counted: the
/// checker would reject the changed policy, or evaluating every combination of the few
/// inputs the changed item reads shows the same points.
fn not_counted(rs: &RuleSet, changed: &RuleSet, edit: &Edit, boundary: Option<(u16, Value)>) -> Option<String> {
    if let Edit::Param(..) = edit {
        return param_not_counted(rs, changed, boundary);
    }
    let item = match *edit {
        Edit::Expr { root: Root::Body(i) | Root::Precondition(i, _), .. } | Edit::DropPrecondition(i, _) => i,
        _ => return None,
    };
    let deduction =
        changed.items.get(item).and_then(|d| changed.sections.get(d.section as usize)).is_some_and(|s| s.deduction);
    let points = Ranges::of(changed).points(item);
    let wrong_sign = if deduction {
        points.high.is_some_and(|h| h > Decimal::ZERO)
    } else {
        points.low.is_some_and(|l| l < Decimal::ZERO)
    };
    if wrong_sign {
        return Some("the checker rejects the changed policy (points of the wrong sign, E0403/E0404)".to_string());
    }
    same_on_every_input(rs, changed, item, boundary)
        .then(|| "every combination of the inputs the item reads gives the same points".to_string())
}

/// A changed parameter that no applicant can notice: the requirements and vetoes do not
/// read it, and each item whose rule reads it gives the same points for every combination
/// of the inputs it reads — with `boundary`, the one value of a whole-number input at which
/// the comparisons with the parameter change, pinned (see [`param_boundary`]).
fn param_not_counted(rs: &RuleSet, changed: &RuleSet, boundary: Option<(u16, Value)>) -> Option<String> {
    if changed.eligibility != rs.eligibility || changed.vetoes != rs.vetoes {
        return None;
    }
    let affected: Vec<usize> = (0..rs.items.len()).filter(|&i| rs.items.get(i) != changed.items.get(i)).collect();
    let same = !affected.is_empty() && affected.iter().all(|&i| same_on_every_input(rs, changed, i, boundary));
    same.then(|| "every combination of the inputs the item reads gives the same points".to_string())
}

/// When parameter `p` is read only as one side of comparisons with a single whole-number
/// input (`years_here >= min_years`), changing it from its value to `new` changes those
/// comparisons for at most one value of that input: the input and that value. `None` when
/// it is read in any other way (arithmetic, another input, a requirement against
/// something else) or the comparisons change at different values.
fn param_boundary(rs: &RuleSet, p: usize, new: Value) -> Option<(u16, Value)> {
    let old = rs.params.get(p)?.value;
    let mut found: Option<(u16, Value)> = None;
    let mut ok = true;
    let roots = rs
        .items
        .iter()
        .flat_map(|d| std::iter::once(&d.body).chain(d.preconditions.iter().map(|c| &c.condition)))
        .chain(rs.eligibility.iter().chain(&rs.vetoes).map(|r| &r.condition))
        .chain(rs.lets.iter().chain(&rs.outputs).map(|d| &d.value));
    for root in roots {
        visit_param_reads(root, p, old, new, &mut found, &mut ok);
    }
    if ok {
        found
    } else {
        None
    }
}

fn visit_param_reads(e: &Expr, p: usize, old: Value, new: Value, found: &mut Option<(u16, Value)>, ok: &mut bool) {
    let is_param = |x: &Expr| match &x.kind {
        ExprKind::Param(q) => *q as usize == p,
        ExprKind::Folded { source, .. } => matches!(source.kind, ExprKind::Param(q) if q as usize == p),
        _ => false,
    };
    match &e.kind {
        ExprKind::Cmp(op, a, b) if is_param(a) || is_param(b) => {
            let (input, right) = if is_param(b) { (&**a, true) } else { (&**b, false) };
            let ExprKind::Input(slot) = &input.kind else {
                *ok = false;
                return;
            };
            if input.ty.kind != ValueKind::Int || number(old).is_none_or(|d| !d.fract().is_zero()) {
                *ok = false;
                return;
            }
            let at = [old, new].into_iter().find(|v| {
                if right {
                    cmp(*op, *v, old) != cmp(*op, *v, new)
                } else {
                    cmp(*op, old, *v) != cmp(*op, new, *v)
                }
            });
            match (at, *found) {
                (None, _) => {}
                (Some(v), None) => *found = Some((*slot, v)),
                (Some(v), Some(f)) if f == (*slot, v) => {}
                (Some(_), Some(_)) => *ok = false,
            }
        }
        _ if is_param(e) => *ok = false,
        ExprKind::Folded { source, .. } => visit_param_reads(source, p, old, new, found, ok),
        _ => e.children().for_each(|c| visit_param_reads(c, p, old, new, found, ok)),
    }
}

/// The rule set with one change made.
fn apply(rs: &RuleSet, edit: &Edit) -> RuleSet {
    let mut out = rs.clone();
    let params: Vec<Value> = rs.params.iter().map(|p| p.value).collect();
    match edit {
        Edit::Expr { root, path, replacement } => {
            let slot = match *root {
                Root::Body(i) => out.items.get_mut(i).map(|d| &mut d.body),
                Root::Precondition(i, k) => {
                    out.items.get_mut(i).and_then(|d| d.preconditions.get_mut(k)).map(|p| &mut p.condition)
                }
                Root::Requirement(k) => out.eligibility.get_mut(k).map(|r| &mut r.condition),
                Root::Veto(k) => out.vetoes.get_mut(k).map(|r| &mut r.condition),
            };
            if let Some(e) = slot {
                let taken = std::mem::replace(e, Expr::taken());
                *e = replace_at(taken, path, &mut Some(replacement.clone()), &params);
            }
        }
        Edit::DropPrecondition(i, k) => {
            if let Some(d) = out.items.get_mut(*i) {
                if *k < d.preconditions.len() {
                    d.preconditions.remove(*k);
                }
            }
        }
        Edit::ItemCap(i, cap) => {
            if let Some(d) = out.items.get_mut(*i) {
                d.cap = Some(*cap);
            }
        }
        Edit::SectionCap(s, cap) => {
            if let Some(d) = out.sections.get_mut(*s) {
                d.cap = Some(*cap);
            }
        }
        Edit::Param(p, value) => {
            if let Some(d) = out.params.get_mut(*p) {
                d.value = *value;
            }
            // Values folded from the parameter are computed again.
            let refold = |e: &mut Expr| {
                let taken = std::mem::replace(e, Expr::taken());
                *e = unfold(taken);
            };
            for item in &mut out.items {
                refold(&mut item.body);
                item.preconditions.iter_mut().for_each(|p| refold(&mut p.condition));
            }
            out.eligibility.iter_mut().chain(out.vetoes.iter_mut()).for_each(|r| refold(&mut r.condition));
            out.fold_constants();
        }
        Edit::Standard(s) => out.standard = Some(*s),
    }
    out
}

fn unfold(e: Expr) -> Expr {
    match e.kind {
        ExprKind::Folded { source, .. } => unfold(*source),
        kind => Expr { kind, ..e }.map_children(unfold),
    }
}

fn replace_at(e: Expr, path: &[usize], new: &mut Option<Expr>, params: &[Value]) -> Expr {
    let Some((&step, rest)) = path.split_first() else {
        return new.take().unwrap_or(e);
    };
    let ty = e.ty;
    if let ExprKind::Folded { value, source } = e.kind {
        if step != INTO_FOLDED {
            return Expr { kind: ExprKind::Folded { value, source }, ty };
        }
        let source = replace_at(*source, rest, new, params);
        return match crate::eval::constant(&source, params) {
            Some(value) => {
                let ty = Type { kind: ValueKind::of_value(value), ..ty };
                Expr { kind: ExprKind::Folded { value, source: Box::new(source) }, ty }
            }
            None => source,
        };
    }
    let mut k = 0;
    e.map_children(|c| {
        let out = if k == step { replace_at(c, rest, new, params) } else { c };
        k += 1;
        out
    })
}

/// A number as a decimal, if it is one.
fn number(v: Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(i)),
        Value::Dec(d) => Some(d),
        _ => None,
    }
}

/// The numeric value of a constant or folded node.
fn constant_of(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Const(v) | ExprKind::Folded { value: v, .. } if number(*v).is_some() => Some(*v),
        _ => None,
    }
}

/// The smallest step of a value's own scale: 1 for whole numbers, 0.01 for `12.34`.
fn own_step(v: Value) -> Decimal {
    match v {
        Value::Dec(d) if d.scale() > 0 => Decimal::new(1, d.scale()),
        _ => Decimal::ONE,
    }
}

/// `v + delta`, kept a whole number when both are.
fn shifted(v: Value, delta: Decimal) -> Option<Value> {
    let sum = number(v)?.checked_add(delta)?;
    Some(match v {
        Value::Int(_) if delta.fract().is_zero() => Value::Int(i64::try_from(sum).ok()?),
        _ => Value::Dec(sum),
    })
}

struct Enumerate<'r> {
    rs: &'r RuleSet,
    ranges: Ranges<'r>,
    printer: Printer<'r>,
    out: Vec<Candidate>,
}

/// Where a subexpression stands: what must hold for its value to matter.
struct Site<'a> {
    root: Root,
    location: &'a str,
    place: &'a str,
}

impl<'r> Enumerate<'r> {
    fn new(rs: &'r RuleSet) -> Enumerate<'r> {
        Enumerate { rs, ranges: Ranges::of(rs), printer: Printer::new(rs), out: Vec::new() }
    }

    fn all(mut self) -> Vec<Candidate> {
        let rs = self.rs;
        for (i, item) in rs.items.iter().enumerate() {
            let place = format!("item {}", item.id);
            let location = item.location.as_str();
            let pre: Vec<(Expr, bool)> = item.preconditions.iter().map(|p| (p.condition.clone(), true)).collect();
            let mut context = pre.clone();
            self.walk(
                &item.body,
                &Site { root: Root::Body(i), location, place: &place },
                &mut Vec::new(),
                &mut context,
            );
            for (k, p) in item.preconditions.iter().enumerate() {
                // A precondition matters only when the others hold.
                let mut others: Vec<(Expr, bool)> =
                    pre.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, c)| c.clone()).collect();
                let site = Site { root: Root::Precondition(i, k), location, place: &place };
                self.walk(&p.condition, &site, &mut Vec::new(), &mut others);
                let always = !self.ranges.satisfiable(&[(&p.condition, false)]);
                self.push(Candidate {
                    edit: Edit::DropPrecondition(i, k),
                    location: location.to_string(),
                    place: place.clone(),
                    kind: "precondition",
                    change: format!("precondition `{}` removed", self.printer.expr(&p.condition)),
                    hint: format!(
                        "a test where `{}` does not hold, so that item {} scores 0 (\"{}\")",
                        self.printer.expr(&p.condition),
                        item.id,
                        p.reason
                    ),
                    equivalent: always.then(|| "the precondition holds for every applicant".to_string()),
                    boundary: None,
                });
            }
            if let Some(cap) = item.cap {
                self.cap_mutant(i, cap);
            }
        }
        for (k, r) in rs.eligibility.iter().enumerate() {
            let place = format!("requirement {}", r.id);
            self.walk(
                &r.condition,
                &Site { root: Root::Requirement(k), location: &r.location, place: &place },
                &mut Vec::new(),
                &mut Vec::new(),
            );
        }
        for (k, r) in rs.vetoes.iter().enumerate() {
            let place = format!("veto {}", r.id);
            self.walk(
                &r.condition,
                &Site { root: Root::Veto(k), location: &r.location, place: &place },
                &mut Vec::new(),
                &mut Vec::new(),
            );
        }
        for (s, section) in rs.sections.iter().enumerate() {
            if let Some(cap) = section.cap {
                self.section_cap_mutant(s, cap);
            }
        }
        for p in 0..rs.params.len() {
            self.param_mutants(p);
        }
        // The standard moves by one unit of points (one point for whole points).
        let old = rs.standard;
        for standard in old.into_iter().flat_map(|s| [s.checked_add(1), s.checked_sub(1)]).flatten() {
            let Some(old) = old else { continue };
            self.push(Candidate {
                edit: Edit::Standard(standard),
                location: String::new(),
                place: "standard".to_string(),
                kind: "standard",
                change: format!("`standard {}` → `standard {}`", rs.show_points(old), rs.show_points(standard)),
                hint: format!(
                    "tests with totals of exactly {} and {} that check meets_standard",
                    rs.show_points(old),
                    rs.show_points(old.saturating_sub(1))
                ),
                equivalent: None,
                boundary: None,
            });
        }
        self.out
    }

    fn push(&mut self, c: Candidate) {
        self.out.push(c);
    }

    /// Whether the context can hold at all: `None` if it can, else why not.
    fn unreachable(&self, context: &[(Expr, bool)]) -> Option<String> {
        let conds: Vec<(&Expr, bool)> = context.iter().map(|(e, h)| (e, *h)).collect();
        (!self.ranges.satisfiable(&conds)).then(|| "no applicant in the inputs' declared ranges reaches it".to_string())
    }

    /// Equivalence of a changed condition: unreachable, or the old and new conditions
    /// agree for every applicant who reaches them.
    fn same_condition(&self, context: &[(Expr, bool)], old: &Expr, new: &Expr) -> Option<String> {
        if let Some(why) = self.unreachable(context) {
            return Some(why);
        }
        let base: Vec<(&Expr, bool)> = context.iter().map(|(e, h)| (e, *h)).collect();
        let differs = |a: bool| {
            let mut conds = base.clone();
            conds.push((old, a));
            conds.push((new, !a));
            self.ranges.satisfiable(&conds)
        };
        (!differs(true) && !differs(false)).then(|| {
            "no applicant in the inputs' declared ranges lies between the old and the new boundary".to_string()
        })
    }

    /// Positive context conditions in words, for hints.
    fn where_clause(&self, context: &[(Expr, bool)]) -> String {
        let held: Vec<String> = context
            .iter()
            .filter(|(e, h)| *h && !matches!(&e.kind, ExprKind::Const(_)))
            .map(|(e, _)| format!("`{}`", self.printer.expr(e)))
            .collect();
        if held.is_empty() {
            String::new()
        } else {
            format!(" where {}", held.join(" and "))
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn expr_candidate(
        &mut self,
        site: &Site<'_>,
        path: &[usize],
        kind: &'static str,
        old: &Expr,
        new: Expr,
        hint: String,
        equivalent: Option<String>,
    ) {
        let change = format!("`{}` → `{}`", self.printer.expr(old), self.printer.expr(&new));
        self.push(Candidate {
            edit: Edit::Expr { root: site.root, path: path.to_vec(), replacement: new },
            location: site.location.to_string(),
            place: site.place.to_string(),
            kind,
            change,
            hint,
            equivalent,
            boundary: None,
        });
    }

    /// The changes of one node, then of its children (with what must hold for each to matter).
    fn walk(&mut self, e: &Expr, site: &Site<'_>, path: &mut Vec<usize>, context: &mut Vec<(Expr, bool)>) {
        self.local(e, site, path, context);
        if let ExprKind::Folded { source, .. } = &e.kind {
            path.push(INTO_FOLDED);
            self.walk(source, site, path, context);
            path.pop();
            return;
        }
        let children: Vec<&Expr> = e.children().collect();
        for (k, child) in children.iter().enumerate() {
            // Comparison constants are changed as thresholds by `local`.
            if matches!(&e.kind, ExprKind::Cmp(..)) && matches!(&child.kind, ExprKind::Const(_)) {
                continue;
            }
            let before = context.len();
            match &e.kind {
                ExprKind::And(a, _) if k == 1 => context.push(((**a).clone(), true)),
                ExprKind::Or(a, _) if k == 1 => context.push(((**a).clone(), false)),
                ExprKind::When { arms, .. } => {
                    let arm = k / 2;
                    let earlier = arm.min(arms.len());
                    context.extend(arms[..earlier].iter().map(|(c, _)| (c.clone(), false)));
                    if arm < arms.len() && k % 2 == 1 {
                        context.push((arms[arm].0.clone(), true));
                    }
                }
                _ => {}
            }
            path.push(k);
            self.walk(child, site, path, context);
            path.pop();
            context.truncate(before);
        }
    }

    fn local(&mut self, e: &Expr, site: &Site<'_>, path: &[usize], context: &[(Expr, bool)]) {
        match &e.kind {
            ExprKind::Const(v) if number(*v).is_some() => {
                let step = own_step(*v);
                for delta in [step, -step] {
                    let Some(new) = shifted(*v, delta) else { continue };
                    let hint = format!(
                        "a test that checks the points given by `{}`{}",
                        self.printer.expr(e),
                        self.where_clause(context)
                    );
                    let equivalent = self.unreachable(context);
                    self.expr_candidate(
                        site,
                        path,
                        "constant",
                        e,
                        Expr::new(ExprKind::Const(new), e.ty),
                        hint,
                        equivalent,
                    );
                }
            }
            ExprKind::Cmp(op, a, b) => self.comparison(*op, a, b, e, site, path, context),
            ExprKind::And(a, b) | ExprKind::Or(a, b) => {
                let new = match &e.kind {
                    ExprKind::And(..) => ExprKind::Or(a.clone(), b.clone()),
                    _ => ExprKind::And(a.clone(), b.clone()),
                };
                let new = Expr::new(new, e.ty);
                let hint = format!(
                    "a test where exactly one of `{}` and `{}` holds{}",
                    self.printer.expr(a),
                    self.printer.expr(b),
                    self.where_clause(context)
                );
                let equivalent = self.same_condition(context, e, &new);
                self.expr_candidate(site, path, "logic", e, new, hint, equivalent);
            }
            ExprKind::When { arms, otherwise } => {
                for (k, (cond, result)) in arms.iter().enumerate() {
                    if result == &**otherwise {
                        continue;
                    }
                    let mut arm_context = context.to_vec();
                    arm_context.extend(arms[..k].iter().map(|(c, _)| (c.clone(), false)));
                    arm_context.push((cond.clone(), true));
                    let mut result_path = path.to_vec();
                    result_path.push(2 * k + 1);
                    let hint =
                        format!("a test that takes `when {}`{}", self.printer.expr(cond), self.where_clause(context));
                    let equivalent = self
                        .unreachable(&arm_context)
                        .map(|_| "no applicant in the inputs' declared ranges takes this arm".to_string());
                    let change = format!(
                        "`when {} => {}` → `when {} => {}` (the else result)",
                        self.printer.expr(cond),
                        self.printer.expr(result),
                        self.printer.expr(cond),
                        self.printer.expr(otherwise)
                    );
                    self.push(Candidate {
                        edit: Edit::Expr { root: site.root, path: result_path, replacement: (**otherwise).clone() },
                        location: site.location.to_string(),
                        place: site.place.to_string(),
                        kind: "when arm",
                        change,
                        hint,
                        equivalent,
                        boundary: None,
                    });
                }
            }
            ExprKind::Match { scrutinee, arms } => {
                for (k, (pattern, result)) in arms.iter().enumerate() {
                    // The next arm with a different result, else the nearest before.
                    let other = arms[k + 1..].iter().chain(arms[..k].iter().rev()).find(|(_, r)| r != result);
                    let Some((_, other)) = other else { continue };
                    let mut result_path = path.to_vec();
                    result_path.push(scrutinee.len() + k);
                    let shown = self.pattern(scrutinee, pattern);
                    self.push(Candidate {
                        edit: Edit::Expr { root: site.root, path: result_path, replacement: other.clone() },
                        location: site.location.to_string(),
                        place: site.place.to_string(),
                        kind: "match arm",
                        change: format!(
                            "`{shown} => {}` → `{shown} => {}`",
                            self.printer.expr(result),
                            self.printer.expr(other)
                        ),
                        hint: format!("a test with {shown} that checks the points{}", self.where_clause(context)),
                        equivalent: self.unreachable(context),
                        boundary: None,
                    });
                }
            }
            ExprKind::Per { rate, operand, scale, amount } => {
                let step = own_step(Value::Dec(*amount));
                for delta in [step, -step] {
                    let Some(new_amount) = amount.checked_add(delta).filter(|a| *a > Decimal::ZERO) else { continue };
                    let new = ExprKind::Per {
                        rate: rate.clone(),
                        operand: operand.clone(),
                        scale: *scale,
                        amount: new_amount,
                    };
                    let new = Expr::new(new, e.ty);
                    // One full unit under one amount and none under the other.
                    let at = amount.min(&new_amount).checked_div(Decimal::from(*scale));
                    let unit = operand.ty.unit;
                    let value = at
                        .map(|d| crate::rules::print::quantity(self.rs, Value::Dec(d.normalize()), unit))
                        .unwrap_or_default();
                    let hint =
                        format!("a test with {} = {value}{}", self.printer.expr(operand), self.where_clause(context));
                    let equivalent = self.unreachable(context);
                    self.expr_candidate(site, path, "per", e, new, hint, equivalent);
                }
            }
            _ => {}
        }
    }

    fn pattern(&self, scrutinee: &[Expr], pattern: &[Pattern]) -> String {
        self.printer.pattern_cells(scrutinee, pattern, false).join(", ")
    }

    #[allow(clippy::too_many_arguments)]
    fn comparison(
        &mut self,
        op: CmpOp,
        a: &Expr,
        b: &Expr,
        e: &Expr,
        site: &Site<'_>,
        path: &[usize],
        context: &[(Expr, bool)],
    ) {
        // The operator: `>=` ↔ `>`, `<=` ↔ `<`, `==` ↔ `!=`.
        let swapped = match op {
            CmpOp::Ge => CmpOp::Gt,
            CmpOp::Gt => CmpOp::Ge,
            CmpOp::Le => CmpOp::Lt,
            CmpOp::Lt => CmpOp::Le,
            CmpOp::Eq => CmpOp::Ne,
            CmpOp::Ne => CmpOp::Eq,
        };
        let new = Expr::new(ExprKind::Cmp(swapped, Box::new(a.clone()), Box::new(b.clone())), e.ty);
        let hint = match (constant_of(a), constant_of(b)) {
            (None, Some(c)) => {
                format!("a test with {} = {}{}", self.printer.expr(a), self.shown(c, a), self.where_clause(context))
            }
            (Some(c), None) => {
                format!("a test with {} = {}{}", self.printer.expr(b), self.shown(c, b), self.where_clause(context))
            }
            _ => format!(
                "a test where `{}` equals `{}`{}",
                self.printer.expr(a),
                self.printer.expr(b),
                self.where_clause(context)
            ),
        };
        let equivalent = self.same_condition(context, e, &new).or_else(|| self.discrete(a, b, op, swapped, None));
        self.expr_candidate(site, path, "comparison", e, new, hint, equivalent);
        let at = constant_of(b).map(|c| (a, c)).or_else(|| constant_of(a).map(|c| (b, c)));
        self.mark_boundary(at);
        // The threshold: a constant side moved by the smallest step of the other side.
        for (side, c, other) in [(1usize, constant_of(b), a), (0, constant_of(a), b)] {
            let Some(c) = c else { continue };
            if constant_of(other).is_some() {
                continue;
            }
            let step = self.step_against(c, other);
            for delta in [step, -step] {
                let Some(moved) = shifted(c, delta) else { continue };
                let (x, y) = if side == 1 {
                    (a.clone(), Expr::new(ExprKind::Const(moved), b.ty))
                } else {
                    (Expr::new(ExprKind::Const(moved), a.ty), b.clone())
                };
                let new = Expr::new(ExprKind::Cmp(op, Box::new(x), Box::new(y)), e.ty);
                // The value of the other side where the old and new thresholds disagree.
                let at = [c, moved].into_iter().find(|v| {
                    let (old, new) = if side == 1 {
                        (cmp(op, *v, c), cmp(op, *v, moved))
                    } else {
                        (cmp(op, c, *v), cmp(op, moved, *v))
                    };
                    old != new
                });
                let hint = match at {
                    Some(v) => format!(
                        "a test with {} = {}{}",
                        self.printer.expr(other),
                        self.shown(v, other),
                        self.where_clause(context)
                    ),
                    None => format!("a test at the boundary of `{}`", self.printer.expr(e)),
                };
                let equivalent = self
                    .same_condition(context, e, &new)
                    .or_else(|| self.discrete(a, b, op, op, Some((side, c, moved))));
                self.expr_candidate(site, path, "constant", e, new, hint, equivalent);
                self.mark_boundary(at.map(|v| (other, v)));
            }
        }
    }

    /// Note on the last change the one value of a whole-number input where it can matter.
    fn mark_boundary(&mut self, at: Option<(&Expr, Value)>) {
        let Some((Expr { kind: ExprKind::Input(slot), ty }, v)) = at else { return };
        let whole = ty.kind == ValueKind::Int;
        if let (true, Some(last)) = (whole && number(v).is_some_and(|d| d.fract().is_zero()), self.out.last_mut()) {
            last.boundary = Some((*slot, v));
        }
    }

    /// Equivalence of a comparison of an item's points with a constant, when the item can
    /// only give a few listed values and none of them tells the two comparisons apart.
    /// `moved`: which side's constant moved (1 = right), from what to what.
    fn discrete(
        &self,
        a: &Expr,
        b: &Expr,
        op: CmpOp,
        new_op: CmpOp,
        moved: Option<(usize, Value, Value)>,
    ) -> Option<String> {
        let (item, c, right) = match (&a.kind, &b.kind) {
            (ExprKind::Points(i), _) => (*i, constant_of(b)?, true),
            (_, ExprKind::Points(i)) => (*i, constant_of(a)?, false),
            _ => return None,
        };
        let values = listed_points(self.rs, item as usize)?;
        let new_c = match moved {
            Some((_, _, to)) => to,
            None => c,
        };
        let same = values.iter().all(|v| {
            let v = Value::Dec(*v);
            if right {
                cmp(op, v, c) == cmp(new_op, v, new_c)
            } else {
                cmp(op, c, v) == cmp(new_op, new_c, v)
            }
        });
        let shown: Vec<String> = values.iter().map(|v| v.normalize().to_string()).collect();
        same.then(|| {
            format!("the item compared can only give {}, which the change does not tell apart", shown.join(", "))
        })
    }

    /// A value as the other side of a comparison would be written (`9947.19 yuan`).
    fn shown(&self, v: Value, side: &Expr) -> String {
        let unit = side.ty.unit;
        match number(v) {
            Some(d) => crate::rules::print::quantity(self.rs, Value::Dec(d.normalize()), unit),
            None => self.printer.value(v, unit, side.ty.en),
        }
    }

    /// The smallest step of what `c` is compared with: a cent against yuan, 1 against a
    /// whole number, else the constant's own scale.
    fn step_against(&self, c: Value, other: &Expr) -> Decimal {
        match (&other.kind, other.ty.kind, other.ty.unit) {
            (ExprKind::Input(_), ValueKind::Dec, Some(Unit::YUAN)) => Decimal::new(1, 2).min(own_step(c)),
            (ExprKind::Input(_), ValueKind::Int, _) => Decimal::ONE,
            _ => own_step(c),
        }
    }

    fn cap_mutant(&mut self, i: usize, cap: i64) {
        let item = &self.rs.items[i];
        let deduction = self.rs.sections.get(item.section as usize).is_some_and(|s| s.deduction);
        let raw = self.ranges.raw_points(i);
        let cap_d = Decimal::from(cap);
        let binds = if deduction { raw.low.is_none_or(|lo| lo < -cap_d) } else { raw.high.is_none_or(|hi| hi > cap_d) };
        self.push(Candidate {
            edit: Edit::ItemCap(i, cap + 1),
            location: item.location.clone(),
            place: format!("item {}", item.id),
            kind: "cap",
            change: format!("`cap {cap}` → `cap {}`", cap + 1),
            hint: format!("a test where item {}'s rule computes more than {cap} points", item.id),
            equivalent: (!binds).then(|| "the cap can never bind".to_string()),
            boundary: None,
        });
    }

    fn section_cap_mutant(&mut self, s: usize, cap: i64) {
        let section = &self.rs.sections[s];
        let mut sum = Some(Decimal::ZERO);
        let mut groups = Vec::new();
        for &i in &section.items {
            let item = &self.rs.items[i as usize];
            let members: Vec<u16> = match item.group {
                Some(g) if groups.contains(&g) => continue,
                Some(g) => {
                    groups.push(g);
                    self.rs.groups.get(g as usize).map(|d| d.members.clone()).unwrap_or_default()
                }
                None => vec![i],
            };
            let far = members
                .iter()
                .map(|m| {
                    let r = self.ranges.points(*m as usize);
                    if section.deduction {
                        r.low.map(|l| -l)
                    } else {
                        r.high
                    }
                })
                .try_fold(Decimal::ZERO, |acc, x| x.map(|x| acc.max(x)));
            sum = sum.zip(far).and_then(|(a, b)| a.checked_add(b));
        }
        let binds = sum.is_none_or(|s| s > Decimal::from(cap));
        self.push(Candidate {
            edit: Edit::SectionCap(s, cap + 1),
            location: section.location.clone(),
            place: format!("section {}", section.id),
            kind: "cap",
            change: format!("`cap {cap}` → `cap {}`", cap + 1),
            hint: format!("a test whose section {} adds up to more than {cap} points", section.id),
            equivalent: (!binds).then(|| "the cap can never bind".to_string()),
            boundary: None,
        });
    }

    fn param_mutants(&mut self, p: usize) {
        let param = &self.rs.params[p];
        let Some(_) = number(param.value) else { return };
        let step = own_step(param.value);
        for delta in [step, -step] {
            let Some(new) = shifted(param.value, delta) else { continue };
            let edit = Edit::Param(p, new);
            let changed = apply(self.rs, &edit);
            let unread = changed.items == self.rs.items
                && changed.eligibility == self.rs.eligibility
                && changed.vetoes == self.rs.vetoes;
            self.push(Candidate {
                edit,
                location: param.location.clone(),
                place: format!("param {}", param.name),
                kind: "param",
                change: format!(
                    "`{} = {}` → `{} = {}`",
                    param.name,
                    crate::rules::print::quantity(self.rs, param.value, param.unit),
                    param.name,
                    crate::rules::print::quantity(self.rs, new, param.unit)
                ),
                hint: format!("a test exactly at a threshold set by {}", param.name),
                equivalent: unread.then(|| "no rule reads the parameter".to_string()),
                boundary: param_boundary(self.rs, p, new),
            });
        }
    }
}

/// The points an item can give when its rule is a `when` or `match` of constants (with 0
/// for a precondition not met), else `None`.
fn listed_points(rs: &RuleSet, index: usize) -> Option<Vec<Decimal>> {
    let item = rs.items.get(index)?;
    let results: Vec<&Expr> = match &item.body.kind {
        ExprKind::Match { arms, .. } => arms.iter().map(|(_, r)| r).collect(),
        ExprKind::When { arms, otherwise } => arms.iter().map(|(_, r)| r).chain([&**otherwise]).collect(),
        _ => vec![&item.body],
    };
    let mut values = vec![Decimal::ZERO];
    for r in results {
        let mut v = number(constant_of(r)?)?;
        if let Some(cap) = item.cap {
            v = v.min(Decimal::from(cap));
        }
        values.push(v);
    }
    values.sort();
    values.dedup();
    Some(values)
}

/// Whether item `index` gives the same points, before exclusive groups, under `changed`
/// as under `rs` for every combination of the inputs it reads — when it reads only
/// inputs of small finite range (whole numbers with both bounds, yes/no, enums; `fixed`
/// pins one input) and no other item's points.
fn same_on_every_input(rs: &RuleSet, changed: &RuleSet, index: usize, fixed: Option<(u16, Value)>) -> bool {
    const MAX_COMBINATIONS: usize = 10_000;
    let (Some(item), Some(base)) = (rs.items.get(index), rs.tests.first()) else { return false };
    let mut slots = Vec::new();
    let mut reads_points = false;
    let mut visit = |e: &Expr| collect_reads(e, &mut slots, &mut reads_points);
    visit(&item.body);
    item.preconditions.iter().for_each(|p| visit(&p.condition));
    if let Some(def) = changed.items.get(index) {
        visit(&def.body);
        def.preconditions.iter().for_each(|p| visit(&p.condition));
    }
    if reads_points {
        return false;
    }
    slots.sort_unstable();
    slots.dedup();
    let mut domains = Vec::new();
    let mut combinations = 1usize;
    for &slot in &slots {
        let Some(def) = rs.inputs.get(slot as usize) else { return false };
        let mut domain: Vec<Value> = match (fixed, def.ty) {
            (Some((s, v)), _) if s == slot => vec![v],
            (_, InputType::Bool) => vec![Value::Bool(false), Value::Bool(true)],
            (_, InputType::Enum(e)) => {
                let count = rs.enums.get(e as usize).map_or(0, |d| d.variants.len());
                (0..count as u16).map(Value::Enum).collect()
            }
            (_, InputType::Int { .. }) => {
                let (Some(lo), Some(hi)) = (def.min, def.max) else { return false };
                let (Ok(lo), Ok(hi)) = (i64::try_from(lo.ceil()), i64::try_from(hi.floor())) else { return false };
                if hi < lo || hi - lo > MAX_COMBINATIONS as i64 {
                    return false;
                }
                (lo..=hi).map(Value::Int).collect()
            }
            _ => return false,
        };
        if def.optional {
            domain.push(Value::Absent);
        }
        combinations = match combinations.checked_mul(domain.len()) {
            Some(c) if c <= MAX_COMBINATIONS => c,
            _ => return false,
        };
        domains.push(domain);
    }
    let mut applicant = rs.test_applicant(base);
    let before_groups = |rules: &RuleSet, a: &crate::eval::Applicant| -> Option<(i64, bool)> {
        let o = rules.evaluate(a).ok()?;
        let item = o.items.get(index)?;
        let unmet = matches!(item.status, crate::eval::Status::PreconditionUnmet { .. });
        Some((item.raw_points, unmet))
    };
    for n in 0..combinations {
        let mut rest = n;
        for (slot, domain) in slots.iter().zip(&domains) {
            if let Some(v) = applicant.values.get_mut(*slot as usize) {
                *v = domain[rest % domain.len()];
            }
            rest /= domain.len();
        }
        if before_groups(rs, &applicant) != before_groups(changed, &applicant) {
            return false;
        }
    }
    true
}

fn collect_reads(e: &Expr, slots: &mut Vec<u16>, reads_points: &mut bool) {
    match &e.kind {
        ExprKind::Input(s) => slots.push(*s),
        ExprKind::Points(_) => *reads_points = true,
        _ => e.children().for_each(|c| collect_reads(c, slots, reads_points)),
    }
}

/// A comparison of two numbers (`false` for anything else).
fn cmp(op: CmpOp, a: Value, b: Value) -> bool {
    let (Some(x), Some(y)) = (number(a), number(b)) else { return false };
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}
