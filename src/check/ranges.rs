//! Static range analysis: the interval of values every expression can take, given the
//! declared ranges of the inputs. It proves the sign of deductions and finds caps that
//! never bind, arms that never fire and items that never score.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::Checker;
use crate::rules::{ArithOp, CmpOp, EachKind, Expr, ExprKind, InputType, ItemDef, RuleSet, Value};

/// An extended number: a bound that may be infinite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ext {
    NegInf,
    Fin(Decimal),
    PosInf,
}

impl PartialOrd for Ext {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ext {
    fn cmp(&self, other: &Self) -> Ordering {
        use Ext::*;
        match (self, other) {
            (NegInf, NegInf) | (PosInf, PosInf) => Ordering::Equal,
            (NegInf, _) | (_, PosInf) => Ordering::Less,
            (_, NegInf) | (PosInf, _) => Ordering::Greater,
            (Fin(a), Fin(b)) => a.cmp(b),
        }
    }
}

impl Ext {
    fn sign(self) -> i32 {
        match self {
            Ext::NegInf => -1,
            Ext::PosInf => 1,
            Ext::Fin(d) if d.is_zero() => 0,
            Ext::Fin(d) if d.is_sign_negative() => -1,
            Ext::Fin(_) => 1,
        }
    }

    fn inf(sign: i32) -> Ext {
        if sign < 0 {
            Ext::NegInf
        } else {
            Ext::PosInf
        }
    }

    fn add(self, other: Ext) -> Ext {
        match (self, other) {
            (Ext::Fin(a), Ext::Fin(b)) => {
                a.checked_add(b).map(Ext::Fin).unwrap_or(Ext::inf(if a.is_sign_negative() { -1 } else { 1 }))
            }
            (Ext::NegInf, _) | (_, Ext::NegInf) => Ext::NegInf,
            _ => Ext::PosInf,
        }
    }

    pub(super) fn neg(self) -> Ext {
        match self {
            Ext::NegInf => Ext::PosInf,
            Ext::PosInf => Ext::NegInf,
            Ext::Fin(d) => Ext::Fin(-d),
        }
    }

    fn mul(self, other: Ext) -> Ext {
        match (self, other) {
            (Ext::Fin(a), Ext::Fin(b)) => {
                a.checked_mul(b).map(Ext::Fin).unwrap_or(Ext::inf(self.sign() * other.sign()))
            }
            _ => match self.sign() * other.sign() {
                0 => Ext::Fin(Decimal::ZERO),
                s => Ext::inf(s),
            },
        }
    }

    fn floor(self) -> Ext {
        match self {
            Ext::Fin(d) => Ext::Fin(d.floor()),
            other => other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Interval {
    pub(super) lo: Ext,
    pub(super) hi: Ext,
}

impl Interval {
    const ANY: Interval = Interval { lo: Ext::NegInf, hi: Ext::PosInf };

    fn point(d: Decimal) -> Interval {
        Interval { lo: Ext::Fin(d), hi: Ext::Fin(d) }
    }

    fn union(self, o: Interval) -> Interval {
        Interval { lo: self.lo.min(o.lo), hi: self.hi.max(o.hi) }
    }

    fn is_empty(self) -> bool {
        self.lo > self.hi
    }

    fn add(self, o: Interval) -> Interval {
        Interval { lo: self.lo.add(o.lo), hi: self.hi.add(o.hi) }
    }

    fn neg(self) -> Interval {
        Interval { lo: self.hi.neg(), hi: self.lo.neg() }
    }

    fn mul(self, o: Interval) -> Interval {
        let c = [self.lo.mul(o.lo), self.lo.mul(o.hi), self.hi.mul(o.lo), self.hi.mul(o.hi)];
        Interval {
            lo: c.iter().copied().min().unwrap_or(Ext::NegInf),
            hi: c.iter().copied().max().unwrap_or(Ext::PosInf),
        }
    }

    fn div(self, o: Interval) -> Interval {
        // Only a divisor that is known to stay on one side of zero gives a bound; an
        // unbounded end has the reciprocal 0 (`20 / n` with `n >= 1` is within 0..20).
        let zero = Ext::Fin(Decimal::ZERO);
        if o.lo <= zero && o.hi >= zero {
            return Interval::ANY;
        }
        let recip = |e: Ext| match e {
            Ext::Fin(d) => Decimal::ONE.checked_div(d).map(Ext::Fin),
            Ext::NegInf | Ext::PosInf => Some(zero),
        };
        match (recip(o.hi), recip(o.lo)) {
            (Some(a), Some(b)) => self.mul(Interval { lo: a.min(b), hi: a.max(b) }),
            _ => Interval::ANY,
        }
    }

    /// The part of both intervals (the first when they do not meet: a fact that contradicts
    /// the intervals adds nothing).
    fn within(self, o: Interval) -> Interval {
        let both = Interval { lo: self.lo.max(o.lo), hi: self.hi.min(o.hi) };
        if both.lo <= both.hi {
            both
        } else {
            self
        }
    }

    fn floor(self) -> Interval {
        Interval { lo: self.lo.floor(), hi: self.hi.floor() }
    }
}

/// The abstract value of an expression.
#[derive(Debug, Clone, Copy)]
enum Abs {
    Num(Interval),
    /// Which truth values a condition can take.
    Bool {
        can_true: bool,
        can_false: bool,
    },
    Other,
}

const EITHER: Abs = Abs::Bool { can_true: true, can_false: true };

fn num(a: Abs) -> Interval {
    match a {
        Abs::Num(i) => i,
        _ => Interval::ANY,
    }
}

fn truth(a: Abs) -> (bool, bool) {
    match a {
        Abs::Bool { can_true, can_false } => (can_true, can_false),
        _ => (true, true),
    }
}

struct Env<'r> {
    inputs: Vec<Interval>,
    items: &'r [Interval],
    params: &'r [Value],
    /// Per input slot: whether it holds whole numbers (so `x > 60` means `x >= 61`).
    whole: &'r [bool],
    /// For the rows of a list: the record fields' ranges.
    rules: &'r RuleSet,
    /// The record whose row an aggregate over a list is at.
    row: Option<u16>,
    /// Per input slot: whether it is a yes/no fact, kept as the interval 0..=1 (0 no, 1 yes).
    bools: &'r [bool],
}

impl Env<'_> {
    fn with(&self, inputs: Vec<Interval>) -> Env<'_> {
        Env {
            inputs,
            items: self.items,
            params: self.params,
            whole: self.whole,
            bools: self.bools,
            rules: self.rules,
            row: self.row,
        }
    }

    fn is_bool(&self, slot: u16) -> bool {
        self.bools.get(slot as usize).copied().unwrap_or(false)
    }
}

/// The range of an aggregate over a list: a count is within the list's bound, a sum within
/// the bound times its rows' range (so at least 0 when no row is negative), a max or min
/// within its rows' range.
fn each_range(kind: EachKind, list: u16, body: Option<&Expr>, env: &Env<'_>) -> Abs {
    let Some(InputType::List { record, max }) = env.rules.inputs.get(list as usize).map(|i| i.ty) else {
        return Abs::Other;
    };
    let rows = Interval { lo: Ext::Fin(Decimal::ZERO), hi: Ext::Fin(Decimal::from(max)) };
    let inside = Env { row: Some(record), ..env.with(env.inputs.clone()) };
    let body = || body.map_or(Interval::ANY, |b| num(eval(b, &inside)));
    match kind {
        EachKind::Count => Abs::Num(rows),
        EachKind::Any | EachKind::All => EITHER,
        EachKind::Sum => Abs::Num(body().mul(rows)),
        EachKind::Max | EachKind::Min => Abs::Num(body()),
    }
}

/// The range of a field of the row an aggregate is at.
fn field_range(k: u16, env: &Env<'_>) -> Abs {
    let Some(def) = env.row.and_then(|r| env.rules.records.get(r as usize)).and_then(|r| r.fields.get(k as usize))
    else {
        return Abs::Other;
    };
    match def.ty {
        InputType::Int { .. } | InputType::Decimal { .. } => Abs::Num(Interval {
            lo: def.min.map(Ext::Fin).unwrap_or(Ext::NegInf),
            hi: def.max.map(Ext::Fin).unwrap_or(Ext::PosInf),
        }),
        InputType::Bool => EITHER,
        _ => Abs::Other,
    }
}

fn abs_value(v: Value) -> Abs {
    match v {
        Value::Int(i) => Abs::Num(Interval::point(Decimal::from(i))),
        Value::Dec(d) => Abs::Num(Interval::point(d)),
        Value::Bool(b) => Abs::Bool { can_true: b, can_false: !b },
        _ => Abs::Other,
    }
}

fn eval(e: &Expr, env: &Env<'_>) -> Abs {
    match &e.kind {
        ExprKind::Const(v) => abs_value(*v),
        ExprKind::Input(slot) if env.is_bool(*slot) => match env.inputs.get(*slot as usize) {
            Some(i) => {
                Abs::Bool { can_true: i.hi >= Ext::Fin(Decimal::ONE), can_false: i.lo <= Ext::Fin(Decimal::ZERO) }
            }
            None => EITHER,
        },
        ExprKind::Input(slot) => env.inputs.get(*slot as usize).map(|i| Abs::Num(*i)).unwrap_or(Abs::Other),
        ExprKind::Param(p) => env.params.get(*p as usize).map(|v| abs_value(*v)).unwrap_or(Abs::Other),
        ExprKind::Folded { value, .. } => abs_value(*value),
        ExprKind::Points(i) => Abs::Num(env.items.get(*i as usize).copied().unwrap_or(Interval::ANY)),
        ExprKind::Neg(a) => Abs::Num(num(eval(a, env)).neg()),
        ExprKind::Not(a) => {
            let (t, f) = truth(eval(a, env));
            Abs::Bool { can_true: f, can_false: t }
        }
        ExprKind::Arith(op, a, b) => {
            let (x, y) = (num(eval(a, env)), num(eval(b, env)));
            Abs::Num(match op {
                ArithOp::Add => x.add(y),
                ArithOp::Sub => match difference_bounds(a, b) {
                    Some(known) => x.add(y.neg()).within(known),
                    None => x.add(y.neg()),
                },
                ArithOp::Mul => x.mul(y),
                ArithOp::Div => x.div(y),
            })
        }
        ExprKind::Cmp(op, a, b) => compare(*op, eval(a, env), eval(b, env)),
        ExprKind::And(a, b) => {
            let (at, af) = truth(eval(a, env));
            let narrowed = narrow(a, true, env);
            let (bt, bf) = truth(eval(b, &env.with(narrowed)));
            Abs::Bool { can_true: at && bt, can_false: af || bf }
        }
        ExprKind::Or(a, b) => {
            let (at, af) = truth(eval(a, env));
            let narrowed = narrow(a, false, env);
            let (bt, bf) = truth(eval(b, &env.with(narrowed)));
            Abs::Bool { can_true: at || bt, can_false: af && bf }
        }
        ExprKind::In(..) | ExprKind::IsPresent(_) => EITHER,
        ExprKind::Coalesce(a, b) => match (eval(a, env), eval(b, env)) {
            (Abs::Num(x), Abs::Num(y)) => Abs::Num(x.union(y)),
            _ => Abs::Other,
        },
        ExprKind::Per { rate, operand, scale, amount } => {
            let count = num(eval(operand, env))
                .mul(Interval::point(Decimal::from(*scale)))
                .div(Interval::point(*amount))
                .floor();
            Abs::Num(num(eval(rate, env)).mul(count))
        }
        ExprKind::Min(args) | ExprKind::Max(args) => {
            let is_min = matches!(&e.kind, ExprKind::Min(_));
            let mut acc: Option<Interval> = None;
            for a in args {
                let i = num(eval(a, env));
                acc = Some(match acc {
                    None => i,
                    Some(x) if is_min => Interval { lo: x.lo.min(i.lo), hi: x.hi.min(i.hi) },
                    Some(x) => Interval { lo: x.lo.max(i.lo), hi: x.hi.max(i.hi) },
                });
            }
            Abs::Num(acc.unwrap_or(Interval::ANY))
        }
        ExprKind::Floor(a) => Abs::Num(num(eval(a, env)).floor()),
        ExprKind::When { arms, otherwise } => {
            let mut acc: Option<Abs> = None;
            let mut inputs = env.inputs.clone();
            for (cond, result) in arms {
                let here = env.with(inputs.clone());
                let (can_true, _) = truth(eval(cond, &here));
                if can_true {
                    let inside = env.with(narrow(cond, true, &here));
                    if !inside.inputs.iter().any(|i| i.is_empty()) {
                        acc = Some(join(acc, eval(result, &inside)));
                    }
                }
                inputs = narrow(cond, false, &here);
            }
            let rest = env.with(inputs);
            if !rest.inputs.iter().any(|i| i.is_empty()) {
                acc = Some(join(acc, eval(otherwise, &rest)));
            }
            acc.unwrap_or(Abs::Other)
        }
        ExprKind::Field(k) => field_range(*k, env),
        ExprKind::Each { kind, list, body, .. } => each_range(*kind, *list, body.as_deref(), env),
        ExprKind::Match { arms, .. } => {
            arms.iter().fold(None, |acc, (_, r)| Some(join(acc, eval(r, env)))).unwrap_or(Abs::Other)
        }
        // A date has no numeric range: the count is known only between two constant dates.
        ExprKind::Between(unit, a, b) => match (date_constant(a, env), date_constant(b, env)) {
            (Some(from), Some(to)) => Abs::Num(Interval::point(Decimal::from(unit.count(from, to)))),
            _ => Abs::Num(Interval::ANY),
        },
    }
}

fn date_constant(e: &Expr, env: &Env<'_>) -> Option<i32> {
    match &e.kind {
        ExprKind::Const(Value::Date(d)) | ExprKind::Folded { value: Value::Date(d), .. } => Some(*d),
        ExprKind::Param(p) => match env.params.get(*p as usize) {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        },
        _ => None,
    }
}

/// What `a − b` is known to lie in from the shapes of `a` and `b`, which intervals alone lose:
/// `a − min(…, a, …) ≥ 0`, `max(…, b, …) − b ≥ 0`, and the remainder after whole units,
/// `a − c × ⌊a × scale / amount⌋` with `c = amount / scale` (`m − to_months(full_years(m))`),
/// which lies in `0..c`.
fn difference_bounds(a: &Expr, b: &Expr) -> Option<Interval> {
    let zero = Ext::Fin(Decimal::ZERO);
    let not_negative = Interval { lo: zero, hi: Ext::PosInf };
    match (&a.kind, &b.kind) {
        (_, ExprKind::Min(args)) if args.contains(a) => return Some(not_negative),
        (ExprKind::Max(args), _) if args.contains(b) => return Some(not_negative),
        _ => {}
    }
    let constant = |e: &Expr| match &e.kind {
        ExprKind::Const(Value::Int(i)) | ExprKind::Folded { value: Value::Int(i), .. } => Some(Decimal::from(*i)),
        ExprKind::Const(Value::Dec(d)) | ExprKind::Folded { value: Value::Dec(d), .. } => Some(*d),
        _ => None,
    };
    // b = c × ⌊operand × scale / amount⌋: a `per` with a constant rate, or a constant times
    // a `per` (`to_months(full_years(m))` is `12 × (1 per 12 months of m)`).
    fn per_of(e: &Expr, constant: impl Fn(&Expr) -> Option<Decimal>) -> Option<(Decimal, &Expr, i64, Decimal)> {
        match &e.kind {
            ExprKind::Per { rate, operand, scale, amount } => {
                Some((constant(rate)?, operand.as_ref(), *scale, *amount))
            }
            _ => None,
        }
    }
    let (c, operand, scale, amount) = match &b.kind {
        ExprKind::Arith(ArithOp::Mul, x, y) => {
            let (k, (rate, operand, scale, amount)) = match (constant(x), constant(y)) {
                (Some(k), None) => (k, per_of(y, constant)?),
                (None, Some(k)) => (k, per_of(x, constant)?),
                _ => return None,
            };
            (k.checked_mul(rate)?, operand, scale, amount)
        }
        _ => per_of(b, constant)?,
    };
    let unit = amount.checked_div(Decimal::from(scale))?;
    if *operand != *a || c != unit || unit <= Decimal::ZERO {
        return None;
    }
    Some(Interval { lo: zero, hi: Ext::Fin(unit) })
}

fn join(acc: Option<Abs>, a: Abs) -> Abs {
    match (acc, a) {
        (None, a) => a,
        (Some(Abs::Num(x)), Abs::Num(y)) => Abs::Num(x.union(y)),
        (Some(Abs::Bool { can_true: t1, can_false: f1 }), Abs::Bool { can_true: t2, can_false: f2 }) => {
            Abs::Bool { can_true: t1 || t2, can_false: f1 || f2 }
        }
        _ => Abs::Other,
    }
}

fn compare(op: CmpOp, a: Abs, b: Abs) -> Abs {
    let (Abs::Num(x), Abs::Num(y)) = (a, b) else {
        return EITHER;
    };
    let (can_true, can_false) = match op {
        CmpOp::Lt => (x.lo < y.hi, x.hi >= y.lo),
        CmpOp::Le => (x.lo <= y.hi, x.hi > y.lo),
        CmpOp::Gt => (x.hi > y.lo, x.lo <= y.hi),
        CmpOp::Ge => (x.hi >= y.lo, x.lo < y.hi),
        CmpOp::Eq => (x.lo <= y.hi && y.lo <= x.hi, !(x.lo == x.hi && y.lo == y.hi && x.lo == y.lo)),
        CmpOp::Ne => (!(x.lo == x.hi && y.lo == y.hi && x.lo == y.lo), x.lo <= y.hi && y.lo <= x.hi),
    };
    Abs::Bool { can_true, can_false }
}

/// Input intervals once `cond` is known to be `holds`.
fn narrow(cond: &Expr, holds: bool, env: &Env<'_>) -> Vec<Interval> {
    let mut inputs = env.inputs.clone();
    match &cond.kind {
        ExprKind::Not(a) => return narrow(a, !holds, env),
        ExprKind::Input(slot) if env.is_bool(*slot) => {
            if let Some(current) = inputs.get_mut(*slot as usize) {
                let known = Ext::Fin(if holds { Decimal::ONE } else { Decimal::ZERO });
                current.lo = current.lo.max(known);
                current.hi = current.hi.min(known);
            }
            return inputs;
        }
        ExprKind::And(a, b) if holds => {
            let first = narrow(a, true, env);
            return narrow(b, true, &env.with(first));
        }
        ExprKind::Or(a, b) if !holds => {
            let first = narrow(a, false, env);
            return narrow(b, false, &env.with(first));
        }
        ExprKind::Cmp(op, a, b) => {
            let (slot, op, bound) = match (&a.kind, &b.kind) {
                (ExprKind::Input(s), _) => (*s, *op, num(eval(b, env))),
                (_, ExprKind::Input(s)) => (*s, op.flipped(), num(eval(a, env))),
                _ => return inputs,
            };
            let op = if holds { op } else { negate(op) };
            let Some(current) = inputs.get_mut(slot as usize) else {
                return inputs;
            };
            // For whole-number inputs a strict bound moves to the next whole number; for
            // decimals the closed bound is kept, which over-approximates (never wrongly).
            let whole = env.whole.get(slot as usize).copied().unwrap_or(false);
            let floor = |e: Ext| match e {
                Ext::Fin(d) => Ext::Fin(d.floor()),
                other => other,
            };
            let ceil = |e: Ext| match e {
                Ext::Fin(d) => Ext::Fin(d.ceil()),
                other => other,
            };
            match op {
                CmpOp::Gt if whole => current.lo = current.lo.max(floor(bound.lo).add(Ext::Fin(Decimal::ONE))),
                CmpOp::Ge if whole => current.lo = current.lo.max(ceil(bound.lo)),
                CmpOp::Lt if whole => current.hi = current.hi.min(ceil(bound.hi).add(Ext::Fin(-Decimal::ONE))),
                CmpOp::Le if whole => current.hi = current.hi.min(floor(bound.hi)),
                CmpOp::Gt | CmpOp::Ge => current.lo = current.lo.max(bound.lo),
                CmpOp::Lt | CmpOp::Le => current.hi = current.hi.min(bound.hi),
                CmpOp::Eq => {
                    current.lo = current.lo.max(bound.lo);
                    current.hi = current.hi.min(bound.hi);
                }
                CmpOp::Ne => {}
            }
        }
        _ => {}
    }
    inputs
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
    }
}

pub(super) fn show(i: Interval) -> String {
    format!("{} to {}", show_bound(i.lo), show_bound(i.hi))
}

pub(super) fn show_bound(e: Ext) -> String {
    match e {
        Ext::NegInf => "-∞".to_string(),
        Ext::PosInf => "+∞".to_string(),
        Ext::Fin(d) => d.normalize().to_string(),
    }
}

/// What the range analysis proves about one item.
pub(super) struct ItemFacts {
    pub(super) index: u16,
    /// The points its rule can compute, before the cap.
    pub(super) raw: Interval,
    /// The points it can count: after the cap, and 0 when a precondition or group drops it.
    pub(super) points: Interval,
    /// Every `when` of its rule, nested ones too, in source order: what becomes of each arm.
    pub(super) whens: Vec<Vec<ArmFate>>,
    /// Per precondition: whether it can be true, whether it can be false.
    pub(super) preconditions: Vec<(bool, bool)>,
}

/// What the range analysis proves of one `when` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArmFate {
    /// It can fire.
    Live,
    /// Its condition is never true for the inputs' declared ranges.
    Impossible,
    /// Its condition can be true, but never once the arms above it are false.
    Shadowed,
}

/// What the range analysis proves about a policy; the lints in `lints/` read it.
pub(super) struct Facts {
    /// Items without errors of their own, in evaluation order.
    pub(super) items: Vec<ItemFacts>,
    /// The most any applicant can score (sections after their caps, groups by their best).
    pub(super) best_total: Ext,
    /// Per section: the most it can sum before its cap (for a deduction section, the lowest).
    pub(super) sections: Vec<(u16, Ext)>,
    /// Per eligibility requirement, then per veto: whether it can be true, can be false.
    pub(super) eligibility: Vec<(bool, bool)>,
    pub(super) vetoes: Vec<(bool, bool)>,
}

/// What every [`Env`] over one rule set shares: the parameters' values, and which inputs
/// are whole numbers and which yes/no facts.
struct Basis<'r> {
    rules: &'r RuleSet,
    params: Vec<Value>,
    whole: Vec<bool>,
    bools: Vec<bool>,
}

impl<'r> Basis<'r> {
    fn of(rules: &'r RuleSet) -> Basis<'r> {
        Basis {
            rules,
            params: rules.params.iter().map(|p| p.value).collect(),
            whole: rules.inputs.iter().map(|i| matches!(i.ty, InputType::Int { .. })).collect(),
            bools: rules.inputs.iter().map(|i| matches!(i.ty, InputType::Bool)).collect(),
        }
    }

    /// The environment with these input ranges and items' points, outside any row.
    fn env<'e>(&'e self, inputs: Vec<Interval>, items: &'e [Interval]) -> Env<'e> {
        Env {
            inputs,
            items,
            params: &self.params,
            whole: &self.whole,
            bools: &self.bools,
            rules: self.rules,
            row: None,
        }
    }
}

/// Run the range analysis over a checked rule set.
pub(super) fn analyse(ruleset: &RuleSet, checker: &Checker<'_>) -> Facts {
    let inputs = input_intervals(ruleset);
    let basis = Basis::of(ruleset);
    let mut finals = vec![Interval::ANY; ruleset.items.len()];
    let mut items = Vec::new();
    for &index in &ruleset.order {
        let item = &ruleset.items[index as usize];
        let Some(info) = checker.items.get(index as usize) else { continue };
        if checker.broken_items.contains(&index) {
            continue;
        }
        // Items are analysed in dependency order: those it reads already have their points.
        // (Borrowed, not copied: a copy per item is quadratic in a policy's size.)
        let env = basis.env(inputs.clone(), &finals);
        let raw = num(eval(&item.body, &env));
        let points = final_points(ruleset, item, raw, info.deduction);
        let mut whens = Vec::new();
        arm_fates(&item.body, &env, &mut whens);
        let preconditions = item.preconditions.iter().map(|p| truth(eval(&p.condition, &env))).collect();
        finals[index as usize] = points;
        items.push(ItemFacts { index, raw, points, whens, preconditions });
    }
    let env = basis.env(inputs.clone(), &finals);
    let rule_truth = |list: &[crate::rules::RuleDef]| list.iter().map(|r| truth(eval(&r.condition, &env))).collect();
    let (eligibility, vetoes) = (rule_truth(&ruleset.eligibility), rule_truth(&ruleset.vetoes));
    let mut best = Ext::Fin(Decimal::ZERO);
    let mut sections = Vec::new();
    for (s, section) in ruleset.sections.iter().enumerate() {
        if section.deduction {
            // The largest deduction is the sum of the items' lowest points.
            let least = section.items.iter().map(|&i| finals[i as usize].lo).fold(Ext::Fin(Decimal::ZERO), Ext::add);
            sections.push((s as u16, least));
            continue;
        }
        let mut sum = Ext::Fin(Decimal::ZERO);
        let mut counted_groups = Vec::new();
        for &i in &section.items {
            match ruleset.items[i as usize].group {
                Some(g) if counted_groups.contains(&g) => {}
                Some(g) => {
                    counted_groups.push(g);
                    let top = ruleset.groups[g as usize]
                        .members
                        .iter()
                        .map(|m| finals[*m as usize].hi)
                        .max()
                        .unwrap_or(Ext::Fin(Decimal::ZERO));
                    sum = sum.add(top);
                }
                None => sum = sum.add(finals[i as usize].hi),
            }
        }
        sections.push((s as u16, sum));
        if let Some(cap) = section.cap {
            sum = sum.min(Ext::Fin(ruleset.points_decimal(cap)));
        }
        best = best.add(sum);
    }
    Facts { items, best_total: best, sections, eligibility, vetoes }
}

/// The interval of each input, from its declared range.
fn input_intervals(ruleset: &RuleSet) -> Vec<Interval> {
    ruleset
        .inputs
        .iter()
        .map(|def| match def.ty {
            InputType::Int { .. } | InputType::Decimal { .. } => Interval {
                lo: def.min.map(Ext::Fin).unwrap_or(Ext::NegInf),
                hi: def.max.map(Ext::Fin).unwrap_or(Ext::PosInf),
            },
            InputType::Bool => Interval { lo: Ext::Fin(Decimal::ZERO), hi: Ext::Fin(Decimal::ONE) },
            _ => Interval::ANY,
        })
        .collect()
}

/// An item's points after its cap; 0 too when a precondition or its group can drop it.
fn final_points(ruleset: &RuleSet, item: &ItemDef, raw: Interval, deduction: bool) -> Interval {
    let mut fin = raw;
    if let Some(cap) = item.cap {
        let cap = Ext::Fin(ruleset.points_decimal(cap));
        if deduction {
            fin.lo = fin.lo.max(cap.neg());
            fin.hi = fin.hi.max(cap.neg());
        } else {
            fin.lo = fin.lo.min(cap);
            fin.hi = fin.hi.min(cap);
        }
    }
    if !item.preconditions.is_empty() || item.group.is_some() {
        fin = fin.union(Interval::point(Decimal::ZERO));
    }
    fin
}

/// The points an item can give, as the range analysis proves them; `None` is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PointsRange {
    pub low: Option<Decimal>,
    pub high: Option<Decimal>,
}

/// The possible points of every item of a compiled rule set, in item order, over the
/// inputs' declared ranges (for editors: what an item can give).
pub(crate) fn item_points(ruleset: &RuleSet) -> Vec<PointsRange> {
    Ranges::of(ruleset).finals.iter().map(|i| range_of(*i)).collect()
}

fn range_of(i: Interval) -> PointsRange {
    let bound = |e: Ext| match e {
        Ext::Fin(d) => Some(d.normalize()),
        _ => None,
    };
    PointsRange { low: bound(i.lo), high: bound(i.hi) }
}

/// The range analysis of a compiled rule set, kept to answer questions about it
/// (`jifen test --mutants` asks which changes no applicant can notice).
pub(crate) struct Ranges<'r> {
    basis: Basis<'r>,
    inputs: Vec<Interval>,
    /// Per item: the points its rule can compute, before preconditions and cap.
    raw: Vec<Interval>,
    /// Per item: the points it can count.
    finals: Vec<Interval>,
}

impl<'r> Ranges<'r> {
    pub(crate) fn of(ruleset: &'r RuleSet) -> Ranges<'r> {
        let inputs = input_intervals(ruleset);
        let basis = Basis::of(ruleset);
        let mut raw = vec![Interval::ANY; ruleset.items.len()];
        let mut finals = vec![Interval::ANY; ruleset.items.len()];
        for &index in &ruleset.order {
            let Some(item) = ruleset.items.get(index as usize) else { continue };
            let deduction = ruleset.sections.get(item.section as usize).is_some_and(|s| s.deduction);
            let env = basis.env(inputs.clone(), &finals);
            let computed = num(eval(&item.body, &env));
            raw[index as usize] = computed;
            finals[index as usize] = final_points(ruleset, item, computed, deduction);
        }
        Ranges { basis, inputs, raw, finals }
    }

    /// The points item `index`'s rule can compute, before its preconditions and cap.
    pub(crate) fn raw_points(&self, index: usize) -> PointsRange {
        range_of(self.raw.get(index).copied().unwrap_or(Interval::ANY))
    }

    /// The points item `index` can count (after its cap; 0 when it can be dropped).
    pub(crate) fn points(&self, index: usize) -> PointsRange {
        range_of(self.finals.get(index).copied().unwrap_or(Interval::ANY))
    }

    /// Whether some applicant within the inputs' declared ranges can make each condition
    /// hold (`true`) or fail (`false`), taken in order. `false` is a proof that none can;
    /// `true` only means the analysis cannot rule it out.
    pub(crate) fn satisfiable(&self, conditions: &[(&Expr, bool)]) -> bool {
        let mut inputs = self.inputs.clone();
        for (cond, holds) in conditions {
            let env = self.basis.env(inputs, &self.finals);
            let (can_true, can_false) = truth(eval(cond, &env));
            if (*holds && !can_true) || (!*holds && !can_false) {
                return false;
            }
            inputs = narrow(cond, *holds, &env);
            if inputs.iter().any(|i| i.is_empty()) {
                return false;
            }
        }
        true
    }
}

/// The fate of every arm of every `when` in `e`, in source order (the order of
/// [`Expr::children`]); a `when` inside an arm is judged knowing that arm's condition holds.
fn arm_fates(e: &Expr, env: &Env<'_>, out: &mut Vec<Vec<ArmFate>>) {
    let ExprKind::When { arms, otherwise } = &e.kind else {
        e.children().for_each(|c| arm_fates(c, env, out));
        return;
    };
    let slot = out.len();
    out.push(Vec::new());
    let mut fates = Vec::new();
    let mut inputs = env.inputs.clone();
    for (k, (cond, result)) in arms.iter().enumerate() {
        let can_fire = |here: &Env<'_>| {
            let narrowed = narrow(cond, true, here);
            truth(eval(cond, here)).0 && !narrowed.iter().any(|i| i.is_empty())
        };
        let here = env.with(inputs.clone());
        // `when a` above `when a and b`: the second implies the first, whatever a and b read.
        let implied =
            arms[..k].iter().any(|(earlier, _)| conjuncts(earlier).iter().all(|c| conjuncts(cond).contains(c)));
        let fate = if !can_fire(env) {
            ArmFate::Impossible
        } else if !can_fire(&here) || implied {
            ArmFate::Shadowed
        } else {
            ArmFate::Live
        };
        fates.push(fate);
        arm_fates(cond, &here, out);
        arm_fates(result, &here.with(narrow(cond, true, &here)), out);
        inputs = narrow(cond, false, &here);
    }
    out[slot] = fates;
    arm_fates(otherwise, &env.with(inputs), out);
}

/// The parts of a condition joined by `and`.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::And(a, b) => {
            let mut parts = conjuncts(a);
            parts.extend(conjuncts(b));
            parts
        }
        _ => vec![e],
    }
}
