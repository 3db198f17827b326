//! Evaluation: a compiled [`RuleSet`] and an [`Applicant`] give an [`Outcome`].
//!
//! Arithmetic is exact (`i64` and decimals, checked). Evaluating one applicant reads
//! inputs by slot and allocates nothing but the outcome's item list.

mod aggregate;
mod lower;
mod scorer;
mod table;

use std::cell::Cell;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::Serialize;

pub use aggregate::{Scores, POINTS_LIMIT};
pub use scorer::Scorer;

use aggregate::{Computed, Evaluator, Layout};

use crate::rules::{ArithOp, CmpOp, Expr, ParamDef, Pattern, RuleSet, Value};

/// An applicant's facts, one value per input slot of the rule set it was read for.
#[derive(Debug, Clone, PartialEq)]
pub struct Applicant {
    pub values: Vec<Value>,
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome<'r> {
    pub total: i64,
    pub standard: i64,
    pub eligible: bool,
    pub vetoed: bool,
    pub meets_standard: bool,
    pub items: Vec<ItemOutcome<'r>>,
    pub sections: Vec<SectionOutcome<'r>>,
    pub ineligible_reasons: Vec<&'r str>,
    pub vetoes: Vec<&'r str>,
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
}

impl RuleSet {
    /// Score an applicant. The total is computed whatever the eligibility or vetoes.
    pub fn evaluate(&self, applicant: &Applicant) -> std::result::Result<Outcome<'_>, EvalError> {
        let mut scores = Scores::default();
        aggregate::aggregate::<_, true>(self, &Layout::of(self), &Reference(self), &applicant.values, &mut scores)?;
        Ok(aggregate::outcome(self, &scores))
    }

    /// Score an applicant into `scores` with the reference evaluator.
    fn score_by_reference(&self, applicant: &Applicant, scores: &mut Scores) -> std::result::Result<(), EvalError> {
        aggregate::aggregate::<_, false>(self, &Layout::of(self), &Reference(self), &applicant.values, scores)
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
        computed.raw = to_points(raw).map_err(fail)?;
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

fn to_points(v: Value) -> Result<i64> {
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
    match e {
        Expr::When { arms, otherwise } => {
            for (k, (cond, result)) in arms.iter().enumerate() {
                if truthy(ctx, cond)? {
                    return Ok((eval(ctx, result)?, Some(k as u16)));
                }
            }
            Ok((eval(ctx, otherwise)?, Some(arms.len() as u16)))
        }
        Expr::Match { scrutinee, arms } => {
            let k = match_arm(ctx, scrutinee, arms)?;
            Ok((eval(ctx, &arms[k].1)?, Some(k as u16)))
        }
        other => Ok((eval(ctx, other)?, None)),
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
    Ok(match e {
        Expr::Const(v) => *v,
        Expr::Input(slot) => *ctx.inputs.get(*slot as usize).ok_or("applicant has no value for an input")?,
        Expr::Points(i) => Value::Int(ctx.points.get(*i as usize).ok_or("unknown item")?.get()),
        Expr::Param(p) => ctx.params.get(*p as usize).ok_or("unknown parameter")?.value,
        Expr::Folded { value, .. } => *value,
        Expr::Neg(a) => match eval(ctx, a)? {
            Value::Int(i) => Value::Int(i.checked_neg().ok_or("overflow")?),
            Value::Dec(d) => Value::Dec(-d),
            _ => return Err("`-` of a non-number"),
        },
        Expr::Not(a) => Value::Bool(!truthy(ctx, a)?),
        Expr::Arith(op, a, b) => arith(*op, eval(ctx, a)?, eval(ctx, b)?)?,
        Expr::Cmp(op, a, b) => Value::Bool(compare(*op, eval(ctx, a)?, eval(ctx, b)?)?),
        Expr::And(a, b) => Value::Bool(truthy(ctx, a)? && truthy(ctx, b)?),
        Expr::Or(a, b) => Value::Bool(truthy(ctx, a)? || truthy(ctx, b)?),
        Expr::In(a, set) => {
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
        Expr::Coalesce(a, b) => match eval(ctx, a)? {
            Value::Absent => eval(ctx, b)?,
            v => v,
        },
        Expr::IsPresent(a) => Value::Bool(!matches!(eval(ctx, a)?, Value::Absent)),
        Expr::Per { rate, operand, scale, amount } => {
            let count = full_units(eval(ctx, operand)?, *scale, *amount)?;
            arith(ArithOp::Mul, eval(ctx, rate)?, count)?
        }
        Expr::Min(args) | Expr::Max(args) => {
            let want_min = matches!(e, Expr::Min(_));
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
        Expr::Floor(a) => match eval(ctx, a)? {
            Value::Int(i) => Value::Int(i),
            Value::Dec(d) => i64::try_from(d.floor()).map(Value::Int).unwrap_or(Value::Dec(d.floor())),
            _ => return Err("floor of a non-number"),
        },
        Expr::When { arms, otherwise } => {
            for (cond, result) in arms {
                if truthy(ctx, cond)? {
                    return eval(ctx, result);
                }
            }
            eval(ctx, otherwise)?
        }
        Expr::Match { scrutinee, arms } => {
            let k = match_arm(ctx, scrutinee, arms)?;
            eval(ctx, &arms[k].1)?
        }
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
pub fn constant(e: &Expr, params: &[Value]) -> Option<Value> {
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
    let ctx = Ctx { inputs: &[], points: &[], params: &params };
    eval(&ctx, e).ok()
}

/// The truth of a condition for an applicant, outside any item (`None` if it reads an
/// item's points or cannot be evaluated).
pub fn condition(ruleset: &RuleSet, e: &Expr, applicant: &Applicant) -> Option<bool> {
    let ctx = Ctx { inputs: &applicant.values, points: &[], params: &ruleset.params };
    truthy(&ctx, e).ok()
}
