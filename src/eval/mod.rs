//! Evaluation: a compiled [`RuleSet`] and an [`Applicant`] give an [`Outcome`].
//!
//! Arithmetic is exact (`i64` and decimals, checked). Evaluating one applicant reads
//! inputs by slot and allocates nothing but the outcome's item list.

mod aggregate;
mod decisions;
mod scorer;
mod specialise;
mod table;

use std::cell::Cell;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;

pub use aggregate::Scores;
pub(crate) use aggregate::POINTS_LIMIT;
pub(crate) use decisions::{arm_count, nested_arms_taken, nested_choices};
pub use scorer::Scorer;

use aggregate::{Computed, Evaluator, Layout};

use crate::rules::{ArithOp, CmpOp, EachKind, Expr, ExprKind, ParamDef, Pattern, Precision, RuleSet, Value, ValueKind};

/// An applicant's facts, one value per input slot of the rule set it was read for.
/// A list input's slot holds its number of rows; the rows are in `lists`, which stays
/// empty (and costs nothing) for a policy without lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applicant {
    pub values: Vec<Value>,
    /// The rows of each list input given, by slot: each row one value per record field.
    pub lists: Vec<(u16, Rows)>,
}

/// The rows of a list input, each one value per field of its record.
pub type Rows = Vec<Vec<Value>>;

impl Applicant {
    /// An applicant of plain facts (no list rows).
    pub fn new(values: Vec<Value>) -> Applicant {
        Applicant { values, lists: Vec::new() }
    }

    /// The rows of the list input in `slot` (none when not given).
    pub fn rows(&self, slot: u16) -> &[Vec<Value>] {
        rows_of(&self.lists, slot)
    }
}

fn rows_of(lists: &[(u16, Rows)], slot: u16) -> &[Vec<Value>] {
    lists.iter().find(|(s, _)| *s == slot).map_or(&[], |(_, rows)| rows.as_slice())
}

/// Why an item scored what it did.
/// Names and reasons borrow from the rule set: an outcome costs no string copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Status<'r> {
    /// Scored its points as computed.
    Scored,
    /// Computed more than its cap; the cap counts.
    Capped,
    /// A precondition was not met; the item scores 0.
    PreconditionUnmet { reason: &'r str },
    /// Lost to another item of its exclusive group; scores 0.
    Excluded { group: &'r str, by: &'r str },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemOutcome<'r> {
    pub id: &'r str,
    pub label: &'r str,
    pub section: &'r str,
    /// The points that count toward the total.
    pub points: i64,
    /// The points the item's rule computed, before preconditions, cap and group.
    pub raw_points: i64,
    pub status: Status<'r>,
    /// Index of the top-level `when`/`match` arm taken, if the rule has one.
    #[serde(skip)]
    pub arm: Option<u16>,
    /// Bit i set: precondition i was met.
    #[serde(skip)]
    pub preconditions_met: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionOutcome<'r> {
    pub id: &'r str,
    pub points: i64,
    pub capped: bool,
    /// The sum of its items (after capped groups), before the section's cap.
    #[serde(skip)]
    pub raw_points: i64,
}

/// A capped group's points: `group NAME cap N { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupOutcome<'r> {
    pub id: &'r str,
    pub section: &'r str,
    /// What the group counts toward its section.
    pub points: i64,
    /// The sum of its items' points, before the group's cap.
    pub raw_points: i64,
    pub capped: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome<'r> {
    /// Points are counted in the rule set's units (see [`RuleSet::points`]).
    pub total: i64,
    /// `None`: the policy has no standard, and `meets_standard` is eligible and not vetoed.
    pub standard: Option<i64>,
    pub eligible: bool,
    pub vetoed: bool,
    pub meets_standard: bool,
    /// Whether the policy's floor lifted the total.
    #[serde(skip)]
    pub floored: bool,
    pub items: Vec<ItemOutcome<'r>>,
    pub sections: Vec<SectionOutcome<'r>>,
    pub ineligible_reasons: Vec<&'r str>,
    pub vetoes: Vec<&'r str>,
    pub groups: Vec<GroupOutcome<'r>>,
    /// Each `output`'s value, in the rule set's order.
    pub outputs: Vec<Value>,
    /// Each item's points before exclusive groups, as `points(item)` reads them.
    #[serde(skip)]
    pub computed: Vec<i64>,
}

impl<'r> Outcome<'r> {
    pub fn item(&self, id: &str) -> Option<&ItemOutcome<'r>> {
        self.items.iter().find(|i| i.id == id)
    }
}

/// Evaluation failed: an arithmetic overflow or a division by zero on extreme inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("cannot evaluate {place}: {message}")]
#[diagnostic(code(jifen::eval), help("the applicant's numbers are too large for this rule; check the input values"))]
pub struct EvalError {
    pub place: String,
    pub message: String,
}

type Result<T> = std::result::Result<T, &'static str>;

/// What expressions read: the applicant's facts and the points of the items scored so far
/// (cells, so that the aggregation writes an item's points while the context is held).
struct Ctx<'a> {
    inputs: &'a [Value],
    points: &'a [Cell<i64>],
    params: &'a [ParamDef],
    /// The decimal places of the points in `points` (0: whole points, read as whole numbers).
    places: u32,
    /// The rows of list inputs.
    lists: &'a [(u16, Rows)],
    /// The row an aggregate over a list is at (empty outside one).
    row: &'a [Value],
}

impl RuleSet {
    /// Score an applicant. The total is computed whatever the eligibility or vetoes.
    pub fn evaluate(&self, applicant: &Applicant) -> std::result::Result<Outcome<'_>, EvalError> {
        let mut scores = Scores::default();
        aggregate::aggregate::<_, true>(self, &Layout::of(self), &Reference(self), applicant, &mut scores)?;
        let mut outcome = aggregate::outcome(self, &scores);
        outcome.outputs = self.outputs_of(applicant, &outcome.computed)?;
        Ok(outcome)
    }

    /// Each `output`'s value for an applicant, given the items' points before exclusive
    /// groups (as `points(item)` reads them).
    pub(crate) fn outputs_of(
        &self,
        applicant: &Applicant,
        computed: &[i64],
    ) -> std::result::Result<Vec<Value>, EvalError> {
        self.outputs.iter().map(|o| self.derived(o, applicant, computed)).collect()
    }

    /// The value of an `output` or a kept `let` for an applicant.
    pub(crate) fn derived(
        &self,
        def: &crate::rules::DerivedDef,
        applicant: &Applicant,
        computed: &[i64],
    ) -> std::result::Result<Value, EvalError> {
        let cells: Vec<Cell<i64>> = computed.iter().map(|&p| Cell::new(p)).collect();
        let places = self.points.map_or(0, |p| p.places);
        let ctx = Ctx {
            inputs: &applicant.values,
            points: &cells,
            params: &self.params,
            places,
            lists: &applicant.lists,
            row: &[],
        };
        eval(&ctx, &def.value).map_err(|m| EvalError { place: format!("`{}`", def.name), message: m.to_string() })
    }

    /// Score an applicant into `scores` with the reference evaluator.
    fn score_by_reference(&self, applicant: &Applicant, scores: &mut Scores) -> std::result::Result<(), EvalError> {
        aggregate::aggregate::<_, false>(self, &Layout::of(self), &Reference(self), applicant, scores)
    }
}

/// The reference evaluator: a plain tree walk over [`Value`]s.
struct Reference<'r>(&'r RuleSet);

impl Evaluator for Reference<'_> {
    type Fail = EvalError;

    fn points(&self, index: usize, ctx: &Ctx<'_>) -> std::result::Result<Option<i64>, EvalError> {
        let computed = self.traced(index, ctx)?;
        Ok(computed.unmet.is_none().then_some(computed.raw))
    }

    fn traced(&self, index: usize, ctx: &Ctx<'_>) -> std::result::Result<Computed, EvalError> {
        let def = &self.0.items[index];
        let fail =
            |message: &'static str| EvalError { place: format!("item `{}`", def.id), message: message.to_string() };
        let mut computed = Computed::default();
        for (k, pre) in def.preconditions.iter().enumerate() {
            if truthy(ctx, &pre.condition).map_err(fail)? {
                if k < 64 {
                    computed.met |= 1 << k;
                }
            } else if computed.unmet.is_none() {
                computed.unmet = Some(k as u16);
            }
        }
        let (raw, arm) = eval_top(ctx, &def.body).map_err(fail)?;
        computed.raw = to_points(raw, self.0.points).map_err(fail)?;
        computed.arm = arm;
        Ok(computed)
    }

    fn requirement(&self, k: usize, ctx: &Ctx<'_>) -> std::result::Result<bool, EvalError> {
        let rule = &self.0.eligibility[k];
        truthy(ctx, &rule.condition)
            .map_err(|m| EvalError { place: format!("requirement `{}`", rule.id), message: m.to_string() })
    }

    fn veto(&self, k: usize, ctx: &Ctx<'_>) -> std::result::Result<bool, EvalError> {
        let rule = &self.0.vetoes[k];
        truthy(ctx, &rule.condition)
            .map_err(|m| EvalError { place: format!("veto `{}`", rule.id), message: m.to_string() })
    }
}

/// An item's computed value as points in units of the precision: rounded as the policy
/// declares, or, without a declaration, whole.
fn to_points(v: Value, precision: Option<Precision>) -> Result<i64> {
    let saturated = |negative: bool| if negative { -POINTS_LIMIT } else { POINTS_LIMIT };
    match (v, precision) {
        (Value::Int(i), Some(p)) => Ok(i.checked_mul(p.unit()).unwrap_or(saturated(i < 0)).max(-POINTS_LIMIT)),
        (Value::Dec(d), Some(p)) => Ok(p.to_units(d).unwrap_or(saturated(d.is_sign_negative())).max(-POINTS_LIMIT)),
        _ => whole_points(v),
    }
}

fn whole_points(v: Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(i),
        // Beyond the limit the points saturate; any cap then applies as usual.
        Value::Dec(d) if d.fract().is_zero() => Ok(i64::try_from(d)
            .unwrap_or(if d.is_sign_negative() { -POINTS_LIMIT } else { POINTS_LIMIT })
            .max(-POINTS_LIMIT)),
        Value::Dec(_) => Err("points are not a whole number"),
        _ => Err("points are not a number"),
    }
}

/// Evaluate an item's rule, noting which top-level arm was taken.
fn eval_top(ctx: &Ctx<'_>, e: &Expr) -> Result<(Value, Option<u16>)> {
    match &e.kind {
        ExprKind::When { arms, otherwise } => {
            for (k, (cond, result)) in arms.iter().enumerate() {
                if truthy(ctx, cond)? {
                    return Ok((eval(ctx, result)?, Some(k as u16)));
                }
            }
            Ok((eval(ctx, otherwise)?, Some(arms.len() as u16)))
        }
        ExprKind::Match { scrutinee, arms } => {
            let k = match_arm(ctx, scrutinee, arms)?;
            Ok((eval(ctx, &arms[k].1)?, Some(k as u16)))
        }
        _ => Ok((eval(ctx, e)?, None)),
    }
}

fn truthy(ctx: &Ctx<'_>, e: &Expr) -> Result<bool> {
    match eval(ctx, e)? {
        Value::Bool(b) => Ok(b),
        _ => Err("a condition is not a yes/no value"),
    }
}

fn match_arm(ctx: &Ctx<'_>, scrutinee: &[Expr], arms: &[(Vec<Pattern>, Expr)]) -> Result<usize> {
    // Scrutinees are few (checked tuples of enums/bools); evaluate them once.
    let mut values = [Value::Absent; 8];
    let mut heap = Vec::new();
    let vals: &[Value] = if scrutinee.len() <= values.len() {
        for (slot, s) in values.iter_mut().zip(scrutinee) {
            *slot = eval(ctx, s)?;
        }
        &values[..scrutinee.len()]
    } else {
        for s in scrutinee {
            heap.push(eval(ctx, s)?);
        }
        &heap
    };
    arms.iter()
        .position(|(pattern, _)| {
            pattern.iter().zip(vals).all(|(p, v)| match p {
                Pattern::Any => true,
                Pattern::OneOf(options) => options.contains(v),
            })
        })
        .ok_or("no match arm applies")
}

fn eval(ctx: &Ctx<'_>, e: &Expr) -> Result<Value> {
    Ok(match &e.kind {
        ExprKind::Const(v) => *v,
        ExprKind::Input(slot) => *ctx.inputs.get(*slot as usize).ok_or("applicant has no value for an input")?,
        ExprKind::Points(i) => {
            let units = ctx.points.get(*i as usize).ok_or("unknown item")?.get();
            match ctx.places {
                0 => Value::Int(units),
                places => Value::Dec(Decimal::from_i128_with_scale(i128::from(units), places)),
            }
        }
        ExprKind::Param(p) => ctx.params.get(*p as usize).ok_or("unknown parameter")?.value,
        ExprKind::Folded { value, .. } => *value,
        ExprKind::Neg(a) => match eval(ctx, a)? {
            Value::Int(i) => Value::Int(i.checked_neg().ok_or("overflow")?),
            Value::Dec(d) => Value::Dec(-d),
            _ => return Err("`-` of a non-number"),
        },
        ExprKind::Not(a) => Value::Bool(!truthy(ctx, a)?),
        ExprKind::Arith(op, a, b) => arith(*op, eval(ctx, a)?, eval(ctx, b)?)?,
        ExprKind::Cmp(op, a, b) => Value::Bool(compare(*op, eval(ctx, a)?, eval(ctx, b)?)?),
        ExprKind::And(a, b) => Value::Bool(truthy(ctx, a)? && truthy(ctx, b)?),
        ExprKind::Or(a, b) => Value::Bool(truthy(ctx, a)? || truthy(ctx, b)?),
        ExprKind::In(a, set) => {
            let v = eval(ctx, a)?;
            let mut found = false;
            for m in set {
                if compare(CmpOp::Eq, v, *m)? {
                    found = true;
                    break;
                }
            }
            Value::Bool(found)
        }
        ExprKind::Coalesce(a, b) => match eval(ctx, a)? {
            Value::Absent => eval(ctx, b)?,
            v => v,
        },
        ExprKind::IsPresent(a) => Value::Bool(!matches!(eval(ctx, a)?, Value::Absent)),
        ExprKind::Per { rate, operand, scale, amount } => {
            let count = full_units(eval(ctx, operand)?, *scale, *amount)?;
            arith(ArithOp::Mul, eval(ctx, rate)?, count)?
        }
        ExprKind::Min(args) | ExprKind::Max(args) => {
            let want_min = matches!(&e.kind, ExprKind::Min(_));
            let mut best: Option<Value> = None;
            for a in args {
                let v = eval(ctx, a)?;
                best = Some(match best {
                    None => v,
                    Some(b) => {
                        let less = compare(CmpOp::Lt, v, b)?;
                        if less == want_min {
                            v
                        } else {
                            b
                        }
                    }
                });
            }
            best.ok_or("min/max of nothing")?
        }
        ExprKind::Floor(a) => match eval(ctx, a)? {
            Value::Int(i) => Value::Int(i),
            Value::Dec(d) => i64::try_from(d.floor()).map(Value::Int).unwrap_or(Value::Dec(d.floor())),
            _ => return Err("floor of a non-number"),
        },
        ExprKind::When { arms, otherwise } => {
            for (cond, result) in arms {
                if truthy(ctx, cond)? {
                    return eval(ctx, result);
                }
            }
            eval(ctx, otherwise)?
        }
        ExprKind::Match { scrutinee, arms } => {
            let k = match_arm(ctx, scrutinee, arms)?;
            eval(ctx, &arms[k].1)?
        }
        ExprKind::Between(unit, a, b) => match (eval(ctx, a)?, eval(ctx, b)?) {
            (Value::Date(from), Value::Date(to)) => Value::Int(unit.count(from, to)),
            _ => return Err("a count between dates of a value that is not a date"),
        },
        ExprKind::Field(f) => *ctx.row.get(*f as usize).ok_or("a field outside a row")?,
        ExprKind::Each { kind, list, body, filter } => each(ctx, *kind, *list, body.as_deref(), filter.as_deref())?,
    })
}

/// An aggregate over the rows of a list: each row is evaluated with `ctx.row` set to it.
fn each(ctx: &Ctx<'_>, kind: EachKind, list: u16, body: Option<&Expr>, filter: Option<&Expr>) -> Result<Value> {
    let mut acc: Option<Value> = None;
    let mut count = 0i64;
    for row in rows_of(ctx.lists, list) {
        let at = Ctx { row, ..*ctx };
        let kept = match filter {
            Some(f) => truthy(&at, f)?,
            None => true,
        };
        match kind {
            EachKind::Any if kept => return Ok(Value::Bool(true)),
            EachKind::All if !kept => return Ok(Value::Bool(false)),
            EachKind::Any | EachKind::All => {}
            _ if !kept => {}
            EachKind::Count => count = count.checked_add(1).ok_or("overflow")?,
            EachKind::Sum | EachKind::Max | EachKind::Min => {
                let v = eval(&at, body.ok_or("an aggregate without a value")?)?;
                acc = Some(match acc {
                    None => v,
                    Some(a) => match kind {
                        EachKind::Sum => arith(ArithOp::Add, a, v)?,
                        EachKind::Max if compare(CmpOp::Gt, v, a)? => v,
                        EachKind::Min if compare(CmpOp::Lt, v, a)? => v,
                        _ => a,
                    },
                });
            }
        }
    }
    Ok(match kind {
        EachKind::Count => Value::Int(count),
        EachKind::Any => Value::Bool(false),
        EachKind::All => Value::Bool(true),
        // The sum of no rows is zero, in the body's kind.
        EachKind::Sum => acc.unwrap_or(match body {
            Some(b) if b.ty.kind == ValueKind::Dec => Value::Dec(Decimal::ZERO),
            _ => Value::Int(0),
        }),
        EachKind::Max | EachKind::Min => acc.unwrap_or(Value::Absent),
    })
}

/// ⌊value × scale / amount⌋ as a whole number.
fn full_units(value: Value, scale: i64, amount: Decimal) -> Result<Value> {
    match value {
        Value::Int(v) if amount.fract().is_zero() => {
            let amount = i64::try_from(amount).map_err(|_| "amount too large")?;
            let Some(scaled) = v.checked_mul(scale) else {
                return full_units(Value::Dec(Decimal::from(v)), scale, Decimal::from(amount));
            };
            Ok(Value::Int(scaled.div_euclid(amount)))
        }
        Value::Int(_) | Value::Dec(_) => {
            let d = as_decimal(value)?;
            let q = d.checked_mul(Decimal::from(scale)).and_then(|x| x.checked_div(amount)).ok_or("overflow")?.floor();
            Ok(i64::try_from(q).map(Value::Int).unwrap_or(Value::Dec(q)))
        }
        _ => Err("`per` of a non-number"),
    }
}

fn as_decimal(v: Value) -> Result<Decimal> {
    match v {
        Value::Int(i) => Ok(Decimal::from(i)),
        Value::Dec(d) => Ok(d),
        _ => Err("not a number"),
    }
}

fn arith(op: ArithOp, a: Value, b: Value) -> Result<Value> {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let r = match op {
            ArithOp::Add => x.checked_add(y),
            ArithOp::Sub => x.checked_sub(y),
            ArithOp::Mul => x.checked_mul(y),
            ArithOp::Div => {
                return Decimal::from(x).checked_div(Decimal::from(y)).map(Value::Dec).ok_or("division by zero");
            }
        };
        if let Some(r) = r {
            return Ok(Value::Int(r));
        }
        // Past i64: carry on in decimals (96 bits) rather than fail.
    }
    let (x, y) = (as_decimal(a)?, as_decimal(b)?);
    let r = match op {
        ArithOp::Add => x.checked_add(y),
        ArithOp::Sub => x.checked_sub(y),
        ArithOp::Mul => x.checked_mul(y),
        ArithOp::Div => {
            if y.is_zero() {
                return Err("division by zero");
            }
            x.checked_div(y)
        }
    };
    r.map(Value::Dec).ok_or("overflow")
}

fn compare(op: CmpOp, a: Value, b: Value) -> Result<bool> {
    let ord = match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(&y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(&y),
        (Value::Enum(x), Value::Enum(y)) => x.cmp(&y),
        (Value::Date(x), Value::Date(y)) => x.cmp(&y),
        (Value::Date(_), _) | (_, Value::Date(_)) => return Err("a date compared with a value that is not a date"),
        (Value::Absent, _) | (_, Value::Absent) => return Err("comparison with an absent value"),
        (x, y) => as_decimal(x)?.cmp(&as_decimal(y)?),
    };
    use std::cmp::Ordering::*;
    Ok(match op {
        CmpOp::Eq => ord == Equal,
        CmpOp::Ne => ord != Equal,
        CmpOp::Lt => ord == Less,
        CmpOp::Le => ord != Greater,
        CmpOp::Gt => ord == Greater,
        CmpOp::Ge => ord != Less,
    })
}

/// The value of an expression that reads no input and no item, if it has one.
pub(crate) fn constant(e: &Expr, params: &[Value]) -> Option<Value> {
    let params: Vec<ParamDef> = params
        .iter()
        .map(|v| ParamDef {
            name: Arc::from(""),
            label: None,
            value: *v,
            unit: None,
            doc: None,
            location: String::new(),
        })
        .collect();
    let ctx = Ctx { inputs: &[], points: &[], params: &params, places: 0, lists: &[], row: &[] };
    eval(&ctx, e).ok()
}

/// The truth of a condition for an applicant, outside any item (`None` if it reads an
/// item's points or cannot be evaluated).
pub(crate) fn condition(ruleset: &RuleSet, e: &Expr, applicant: &Applicant) -> Option<bool> {
    let ctx = Ctx {
        inputs: &applicant.values,
        points: &[],
        params: &ruleset.params,
        places: 0,
        lists: &applicant.lists,
        row: &[],
    };
    truthy(&ctx, e).ok()
}
