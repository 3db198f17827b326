//! Expressions specialised for speed: each subexpression typed once (whole number, decimal,
//! yes/no, enum variant) so that evaluation does no kind dispatch, parameters replaced by
//! their values, every `match` turned into a table from the scrutinee's values to its
//! arm, and whatever reads only inputs with few values into a table of its answers
//! ([`super::table`]).
//!
//! Specialised code never decides anything the reference evaluator would decide differently:
//! whenever it meets what it does not handle itself — an overflow, an absent value, a
//! value of an unexpected kind, a division by zero — it gives up with [`Leave`], and the
//! caller evaluates the applicant again with the reference evaluator.

use std::cell::Cell;
use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::table::{self, Table};
use super::Ctx;
use crate::rules::{ArithOp, CmpOp, DateUnit, Expr, ExprKind, Pattern, Precision, RuleSet, Value, ValueKind as Kind};

/// The specialised code cannot decide this applicant; the reference evaluator will.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Leave;

pub(super) type Fast<T> = Result<T, Leave>;

/// A whole-number expression.
#[derive(Debug)]
pub(super) enum Int<'r> {
    Const(i64),
    Input(u16),
    Points(u16),
    Neg(Box<Int<'r>>),
    /// constant × operand, constant + operand, constant − operand: the common shapes
    /// (`-150 * count`, `5 + …`, `56 - age`) in one step each.
    Times(i64, Box<Int<'r>>),
    /// constant × input: a deduction per record, `-150 * false_material_count`.
    TimesInput(i64, u16),
    Plus(i64, Box<Int<'r>>),
    Minus(i64, Box<Int<'r>>),
    /// rate × ⌊input × scale / amount⌋ with a constant rate: `3 per year of si_months`.
    /// The same for an optional input with a constant in its absence:
    /// `4 per year of spouse_hukou_years ?? 0 years`. A leaf of its own rather than an
    /// `Option` in `PerInput`, which measured slower (docs/performance.md).
    PerInputOr {
        rate: i64,
        slot: u16,
        scale: i64,
        amount: i64,
        absent: i64,
    },
    PerInput {
        rate: i64,
        slot: u16,
        scale: i64,
        amount: i64,
    },
    /// Add, subtract or multiply (a division gives a decimal).
    Arith(ArithOp, Box<Int<'r>>, Box<Int<'r>>),
    /// rate × ⌊operand × scale / amount⌋ over whole numbers.
    Per {
        rate: Box<Int<'r>>,
        operand: Box<Int<'r>>,
        scale: i64,
        amount: i64,
    },
    /// rate × ⌊input × scale / amount⌋ with a constant rate and a decimal input:
    /// `10 per 100000 yuan of invest_tax_yuan`.
    PerDecInput(Box<PerDecInput>),
    /// rate × ⌊operand × scale / amount⌋ for a decimal operand.
    PerDec {
        rate: Box<Int<'r>>,
        operand: Box<Dec<'r>>,
        scale: i64,
        amount: Decimal,
    },
    Min(Vec<Int<'r>>),
    Max(Vec<Int<'r>>),
    Floor(Box<Dec<'r>>),
    /// A decimal that must be a whole number (an item's points).
    Exact(Box<Dec<'r>>),
    When(Vec<(Bool<'r>, Int<'r>)>, Box<Int<'r>>),
    Match(Box<Switch<'r, Int<'r>>>),
    /// An optional input, or the fallback when it is absent.
    Coalesce(u16, Box<Int<'r>>),
    Table(Box<Table<i64>>),
    Slow(&'r Expr),
    /// Full years, full months or days between two dates.
    Between(DateUnit, Day, Day),
    /// A decimal item's points rounded to the declared precision, in its units.
    Round(Box<Dec<'r>>, Precision),
}

/// A decimal expression (any number, whole numbers widened).
#[derive(Debug)]
pub(super) enum Dec<'r> {
    Const(Decimal),
    Input(u16),
    Whole(Box<Int<'r>>),
    Neg(Box<Dec<'r>>),
    Arith(ArithOp, Box<Dec<'r>>, Box<Dec<'r>>),
    Min(Vec<Dec<'r>>),
    Max(Vec<Dec<'r>>),
    When(Vec<(Bool<'r>, Dec<'r>)>, Box<Dec<'r>>),
    Match(Box<Switch<'r, Dec<'r>>>),
    Coalesce(u16, Box<Dec<'r>>),
    Slow(&'r Expr),
    /// Another item's points in a policy with fractional points, by its decimal places.
    Points(u16, u32),
}

/// A yes/no expression.
#[derive(Debug)]
pub(super) enum Bool<'r> {
    Const(bool),
    Input(u16),
    Not(Box<Bool<'r>>),
    And(Box<Bool<'r>>, Box<Bool<'r>>),
    Or(Box<Bool<'r>>, Box<Bool<'r>>),
    /// A whole-number input against a constant: `age >= 56`.
    IntInput(u16, CmpOp, i64),
    /// A decimal input against a constant: `si_base_yuan >= 37302 yuan`.
    DecInput(u16, CmpOp, Box<Threshold>),
    CmpInt(CmpOp, Box<Int<'r>>, Box<Int<'r>>),
    CmpDec(CmpOp, Box<Dec<'r>>, Box<Dec<'r>>),
    CmpVariant(CmpOp, Variant, Variant),
    CmpYesNo(CmpOp, Box<Bool<'r>>, Box<Bool<'r>>),
    /// The variant is one of those whose bit is set.
    InVariants(Variant, u64),
    Present(u16),
    Table(Box<Table<bool>>),
    Slow(&'r Expr),
    /// Two dates compared as their day numbers.
    CmpDate(CmpOp, Day, Day),
}

/// A date: an input's or a constant (a day number).
#[derive(Debug, Clone, Copy)]
pub(super) enum Day {
    Const(i32),
    Input(u16),
}

/// An enum variant: an input's or a constant.
#[derive(Debug, Clone, Copy)]
pub(super) enum Variant {
    Const(u16),
    Input(u16),
}

/// A match: the scrutinee's values, read as one index into a table of arms.
#[derive(Debug)]
pub(super) struct Switch<'r, T> {
    keys: Vec<Key<'r>>,
    /// The arm for each combination of scrutinee values; `NO_ARM` where none applies.
    table: Vec<u16>,
    pub(super) results: Vec<T>,
}

const NO_ARM: u16 = u16::MAX;
/// Larger tuples of scrutinees stay with the reference evaluator.
const MAX_TABLE: usize = 4096;

/// One scrutinee of a match, and how many values it has.
#[derive(Debug)]
enum Key<'r> {
    Variant(Variant, u16),
    Bool(Bool<'r>),
}

/// Specialises the expressions of one rule set.
pub(super) struct Specialiser<'r> {
    rules: &'r RuleSet,
}

impl<'r> Specialiser<'r> {
    pub(super) fn new(rules: &'r RuleSet) -> Specialiser<'r> {
        Specialiser { rules }
    }

    fn param(&self, p: u16) -> Value {
        self.rules.params.get(p as usize).map_or(Value::Absent, |p| p.value)
    }

    /// The decimal places of other items' points as expressions read them.
    fn places(&self) -> u32 {
        self.rules.points.map_or(0, |p| p.places)
    }

    /// An item's points as a whole-number expression: without a declared precision decimal
    /// points must come out whole; with one, they count in its units, rounded as declared.
    pub(super) fn points(&self, e: &'r Expr) -> Int<'r> {
        match (e.ty.kind, self.rules.points) {
            (Kind::Int, None) => self.int(e),
            (_, None) => Int::Exact(Box::new(self.dec(e))),
            (Kind::Int, Some(p)) if p.unit() == 1 => self.int(e),
            (Kind::Int, Some(p)) => Int::Times(p.unit(), Box::new(self.int(e))),
            (_, Some(p)) => Int::Round(Box::new(self.dec(e)), p),
        }
    }

    /// An item's points or a number: whole numbers where the kinds allow, else decimals.
    pub(super) fn number(&self, e: &'r Expr) -> Num<'r> {
        if self.rules.points.is_some() {
            return Num::Int(self.points(e));
        }
        match e.ty.kind {
            Kind::Int => Num::Int(self.int(e)),
            _ => Num::Dec(self.dec(e)),
        }
    }

    pub(super) fn int(&self, e: &'r Expr) -> Int<'r> {
        if e.ty.kind != Kind::Int {
            return Int::Slow(e);
        }
        if let Some(t) = self.table(e, |v| if let Value::Int(i) = v { Some(i) } else { None }) {
            return Int::Table(Box::new(t));
        }
        match &e.kind {
            ExprKind::Const(Value::Int(i)) | ExprKind::Folded { value: Value::Int(i), .. } => Int::Const(*i),
            ExprKind::Param(p) => match self.param(*p) {
                Value::Int(i) => Int::Const(i),
                _ => Int::Slow(e),
            },
            ExprKind::Input(slot) => Int::Input(*slot),
            ExprKind::Points(i) => Int::Points(*i),
            ExprKind::Neg(a) => Int::Neg(Box::new(self.int(a))),
            ExprKind::Arith(op, a, b) => arith(*op, self.int(a), self.int(b)),
            ExprKind::Per { rate, operand, scale, amount } => match operand.ty.kind {
                Kind::Int if amount.fract().is_zero() && !amount.is_zero() => match i64::try_from(*amount) {
                    Ok(amount) => match (self.int(rate), self.int(operand)) {
                        (Int::Const(rate), Int::Input(slot)) => Int::PerInput { rate, slot, scale: *scale, amount },
                        (Int::Const(rate), Int::Coalesce(slot, fallback)) if let Int::Const(absent) = *fallback => {
                            Int::PerInputOr { rate, slot, scale: *scale, amount, absent }
                        }
                        (rate, operand) => {
                            Int::Per { rate: Box::new(rate), operand: Box::new(operand), scale: *scale, amount }
                        }
                    },
                    Err(_) => Int::Slow(e),
                },
                Kind::Int | Kind::Dec if !amount.is_zero() => match (self.int(rate), self.dec(operand)) {
                    (Int::Const(rate), Dec::Input(slot)) => {
                        Int::PerDecInput(Box::new(PerDecInput::new(rate, slot, *scale, *amount)))
                    }
                    (rate, operand) => {
                        Int::PerDec { rate: Box::new(rate), operand: Box::new(operand), scale: *scale, amount: *amount }
                    }
                },
                _ => Int::Slow(e),
            },
            ExprKind::Min(args) => Int::Min(args.iter().map(|a| self.int(a)).collect()),
            ExprKind::Max(args) => Int::Max(args.iter().map(|a| self.int(a)).collect()),
            ExprKind::Floor(a) => match a.ty.kind {
                Kind::Int => self.int(a),
                Kind::Dec => Int::Floor(Box::new(self.dec(a))),
                _ => Int::Slow(e),
            },
            ExprKind::When { arms, otherwise } => Int::When(
                arms.iter().map(|(c, r)| (self.bool(c), self.int(r))).collect(),
                Box::new(self.int(otherwise)),
            ),
            ExprKind::Match { scrutinee, arms } => match self.switch(scrutinee, arms, |r| self.int(r)) {
                Some(s) => Int::Match(Box::new(s)),
                None => Int::Slow(e),
            },
            ExprKind::Coalesce(a, b) => match &a.kind {
                ExprKind::Input(slot) => Int::Coalesce(*slot, Box::new(self.int(b))),
                _ => Int::Slow(e),
            },
            ExprKind::Between(unit, a, b) => match (self.day(a), self.day(b)) {
                (Some(from), Some(to)) => Int::Between(*unit, from, to),
                _ => Int::Slow(e),
            },
            _ => Int::Slow(e),
        }
    }

    pub(super) fn dec(&self, e: &'r Expr) -> Dec<'r> {
        match e.ty.kind {
            Kind::Int => {
                return match self.int(e) {
                    Int::Const(c) => Dec::Const(Decimal::from(c)),
                    whole => Dec::Whole(Box::new(whole)),
                }
            }
            Kind::Dec => {}
            _ => return Dec::Slow(e),
        }
        match &e.kind {
            ExprKind::Const(Value::Dec(d)) | ExprKind::Folded { value: Value::Dec(d), .. } => Dec::Const(*d),
            ExprKind::Param(p) => match self.param(*p) {
                Value::Dec(d) => Dec::Const(d),
                _ => Dec::Slow(e),
            },
            ExprKind::Input(slot) => Dec::Input(*slot),
            ExprKind::Points(i) => Dec::Points(*i, self.places()),
            ExprKind::Neg(a) => Dec::Neg(Box::new(self.dec(a))),
            ExprKind::Arith(op, a, b) => Dec::Arith(*op, Box::new(self.dec(a)), Box::new(self.dec(b))),
            ExprKind::Min(args) => Dec::Min(args.iter().map(|a| self.dec(a)).collect()),
            ExprKind::Max(args) => Dec::Max(args.iter().map(|a| self.dec(a)).collect()),
            ExprKind::When { arms, otherwise } => Dec::When(
                arms.iter().map(|(c, r)| (self.bool(c), self.dec(r))).collect(),
                Box::new(self.dec(otherwise)),
            ),
            ExprKind::Match { scrutinee, arms } => match self.switch(scrutinee, arms, |r| self.dec(r)) {
                Some(s) => Dec::Match(Box::new(s)),
                None => Dec::Slow(e),
            },
            ExprKind::Coalesce(a, b) => match &a.kind {
                ExprKind::Input(slot) => Dec::Coalesce(*slot, Box::new(self.dec(b))),
                _ => Dec::Slow(e),
            },
            _ => Dec::Slow(e),
        }
    }

    pub(super) fn bool(&self, e: &'r Expr) -> Bool<'r> {
        if let Some(t) = self.table(e, |v| if let Value::Bool(b) = v { Some(b) } else { None }) {
            return Bool::Table(Box::new(t));
        }
        match &e.kind {
            ExprKind::Const(Value::Bool(b)) | ExprKind::Folded { value: Value::Bool(b), .. } => Bool::Const(*b),
            ExprKind::Input(slot) if e.ty.kind == Kind::Bool => Bool::Input(*slot),
            ExprKind::Not(a) => Bool::Not(Box::new(self.bool(a))),
            ExprKind::And(a, b) => {
                let (a, b) = cheaper_first(self.bool(a), self.bool(b));
                Bool::And(Box::new(a), Box::new(b))
            }
            ExprKind::Or(a, b) => {
                let (a, b) = cheaper_first(self.bool(a), self.bool(b));
                Bool::Or(Box::new(a), Box::new(b))
            }
            ExprKind::Cmp(op, a, b) => match (a.ty.kind, b.ty.kind) {
                (Kind::Int, Kind::Int) => match (self.int(a), self.int(b)) {
                    (Int::Input(slot), Int::Const(c)) => Bool::IntInput(slot, *op, c),
                    (Int::Const(c), Int::Input(slot)) => Bool::IntInput(slot, op.flipped(), c),
                    (x, y) => Bool::CmpInt(*op, Box::new(x), Box::new(y)),
                },
                (x, y) if x.numeric() && y.numeric() => match (self.dec(a), self.dec(b)) {
                    (Dec::Input(slot), Dec::Const(c)) => Bool::DecInput(slot, *op, Box::new(Threshold::new(c))),
                    (Dec::Const(c), Dec::Input(slot)) => {
                        Bool::DecInput(slot, op.flipped(), Box::new(Threshold::new(c)))
                    }
                    (x, y) => Bool::CmpDec(*op, Box::new(x), Box::new(y)),
                },
                (Kind::Bool, Kind::Bool) => Bool::CmpYesNo(*op, Box::new(self.bool(a)), Box::new(self.bool(b))),
                (Kind::Date, Kind::Date) => match (self.day(a), self.day(b)) {
                    (Some(x), Some(y)) => Bool::CmpDate(*op, x, y),
                    _ => Bool::Slow(e),
                },
                (Kind::Variant, Kind::Variant) => match (self.variant(a), self.variant(b)) {
                    (Some(Variant::Input(slot)), Some(Variant::Const(v)))
                    | (Some(Variant::Const(v)), Some(Variant::Input(slot)))
                        if matches!(op, CmpOp::Eq | CmpOp::Ne) && v < 64 =>
                    {
                        let one = 1u64 << v;
                        Bool::InVariants(Variant::Input(slot), if *op == CmpOp::Eq { one } else { !one })
                    }
                    (Some(x), Some(y)) => Bool::CmpVariant(*op, x, y),
                    _ => Bool::Slow(e),
                },
                _ => Bool::Slow(e),
            },
            ExprKind::In(a, set) => {
                let mut mask = 0u64;
                for m in set {
                    match m {
                        Value::Enum(v) if *v < 64 => mask |= 1 << v,
                        _ => return Bool::Slow(e),
                    }
                }
                match self.variant(a) {
                    Some(v) => Bool::InVariants(v, mask),
                    None => Bool::Slow(e),
                }
            }
            ExprKind::IsPresent(a) => match &a.kind {
                ExprKind::Input(slot) => Bool::Present(*slot),
                _ => Bool::Slow(e),
            },
            _ => Bool::Slow(e),
        }
    }

    /// `e` as a table of its values, if it is large enough to be worth one and reads only
    /// inputs with few values (see [`super::table`]).
    fn table<T: Copy>(&self, e: &Expr, of: impl Fn(Value) -> Option<T>) -> Option<Table<T>> {
        const WORTH_A_TABLE: usize = 4;
        if table::size(e) < WORTH_A_TABLE {
            return None;
        }
        Table::build(self.rules, e, |ctx| super::eval(ctx, e).ok().and_then(&of))
    }

    pub(super) fn rules(&self) -> &'r RuleSet {
        self.rules
    }

    fn variant(&self, e: &Expr) -> Option<Variant> {
        match &e.kind {
            ExprKind::Const(Value::Enum(v)) | ExprKind::Folded { value: Value::Enum(v), .. } => {
                Some(Variant::Const(*v))
            }
            ExprKind::Param(p) => match self.param(*p) {
                Value::Enum(v) => Some(Variant::Const(v)),
                _ => None,
            },
            ExprKind::Input(slot) if e.ty.kind == Kind::Variant => Some(Variant::Input(*slot)),
            _ => None,
        }
    }

    fn day(&self, e: &Expr) -> Option<Day> {
        match &e.kind {
            ExprKind::Const(Value::Date(d)) | ExprKind::Folded { value: Value::Date(d), .. } => Some(Day::Const(*d)),
            ExprKind::Param(p) => match self.param(*p) {
                Value::Date(d) => Some(Day::Const(d)),
                _ => None,
            },
            ExprKind::Input(slot) if e.ty.kind == Kind::Date => Some(Day::Input(*slot)),
            _ => None,
        }
    }

    /// How many values a scrutinee has, if it is an enum input, a variant or yes/no.
    fn key(&self, e: &'r Expr) -> Option<(Key<'r>, usize)> {
        if e.ty.kind == Kind::Bool {
            return Some((Key::Bool(self.bool(e)), 2));
        }
        let variant = self.variant(e)?;
        let count = match variant {
            Variant::Input(_) => self.rules.enums.get(usize::from(e.ty.en?))?.variants.len(),
            Variant::Const(v) => v as usize + 1,
        };
        Some((Key::Variant(variant, u16::try_from(count).ok()?), count))
    }

    /// An item's top-level match, with its arms' points.
    pub(super) fn top_switch(&self, e: &'r Expr) -> Option<Switch<'r, Num<'r>>> {
        match &e.kind {
            ExprKind::Match { scrutinee, arms } => self.switch(scrutinee, arms, |r| self.number(r)),
            _ => None,
        }
    }

    /// A match as a table over every combination of its scrutinees' values; `None` if a
    /// scrutinee is not an enum or yes/no, or the table would be too large.
    fn switch<T>(
        &self,
        scrutinee: &'r [Expr],
        arms: &'r [(Vec<Pattern>, Expr)],
        specialise: impl Fn(&'r Expr) -> T,
    ) -> Option<Switch<'r, T>> {
        let mut keys = Vec::with_capacity(scrutinee.len());
        let mut sizes = Vec::with_capacity(scrutinee.len());
        for s in scrutinee {
            let (key, size) = self.key(s)?;
            keys.push(key);
            sizes.push(size);
        }
        let combinations = sizes.iter().try_fold(1usize, |acc, s| acc.checked_mul(*s)).filter(|n| *n <= MAX_TABLE)?;
        let mut table = Vec::with_capacity(combinations);
        let mut values = vec![Value::Absent; keys.len()];
        for index in 0..combinations {
            // The last scrutinee varies fastest, as in `Switch::arm`.
            let mut rest = index;
            for k in (0..keys.len()).rev() {
                let v = rest % sizes[k];
                rest /= sizes[k];
                values[k] = match keys[k] {
                    Key::Bool(_) => Value::Bool(v == 1),
                    Key::Variant(..) => Value::Enum(v as u16),
                };
            }
            let arm = arms.iter().position(|(pattern, _)| {
                pattern.iter().zip(&values).all(|(p, v)| match p {
                    Pattern::Any => true,
                    Pattern::OneOf(options) => options.contains(v),
                })
            });
            table.push(arm.map_or(NO_ARM, |a| a as u16));
        }
        Some(Switch { keys, table, results: arms.iter().map(|(_, r)| specialise(r)).collect() })
    }
}

/// An item's rule as specialised: whole points, or decimal points that must come out whole.
#[derive(Debug)]
pub(super) enum Num<'r> {
    Int(Int<'r>),
    Dec(Dec<'r>),
}

impl Num<'_> {
    #[inline(always)]
    pub(super) fn points(&self, cx: &Cx<'_>) -> Fast<i64> {
        match self {
            Num::Int(i) => i.get(cx),
            Num::Dec(d) => Num::whole(d.eval(cx)?),
        }
    }

    /// Decimal points as a whole number. Fractions are an error and huge values saturate:
    /// both the reference's call.
    fn whole(d: Decimal) -> Fast<i64> {
        if d.fract().is_zero() {
            i64::try_from(d).map_err(|_| Leave)
        } else {
            Err(Leave)
        }
    }
}

/// What specialised code reads: the same context as the reference evaluator's.
pub(super) use super::Ctx as Cx;

impl Cx<'_> {
    /// Evaluate with the reference evaluator (rare: what specialising left as it was).
    pub(super) fn reference<T>(&self, run: impl FnOnce(&Ctx<'_>) -> T) -> T {
        run(self)
    }
}

/// A table's answer as a step of its own (see [`Int::eval`]).
#[inline(never)]
fn look_up<T: Copy>(t: &Table<T>, cx: &Cx<'_>) -> Fast<T> {
    t.look_up(cx)
}

#[cold]
fn slow(cx: &Cx<'_>, e: &Expr) -> Fast<Value> {
    cx.reference(|ctx| super::eval(ctx, e)).map_err(|_| Leave)
}

/// An input, read in place: a copy of a decimal, read again field by field, can stall on
/// the store of the copy.
#[inline(always)]
fn input<'a>(cx: &Cx<'a>, slot: u16) -> Fast<&'a Value> {
    cx.inputs.get(slot as usize).ok_or(Leave)
}

/// The two sides of an `and`/`or`, the cheaper one to be tested first: it decides alone
/// as often as the other. Specialised code reads nothing but facts, so the order changes no
/// answer; a side it cannot decide makes the reference evaluator decide, whatever the order.
fn cheaper_first<'r>(a: Bool<'r>, b: Bool<'r>) -> (Bool<'r>, Bool<'r>) {
    if b.cost() < a.cost() {
        (b, a)
    } else {
        (a, b)
    }
}

impl Bool<'_> {
    /// A rough cost of testing: a fact read and compared, a decimal compared, anything else.
    fn cost(&self) -> u8 {
        match self {
            Bool::Const(_)
            | Bool::Input(_)
            | Bool::IntInput(..)
            | Bool::InVariants(Variant::Input(_), _)
            | Bool::Present(_) => 1,
            Bool::DecInput(..) => 2,
            _ => 3,
        }
    }
}

/// Whether `ord` is one of the orderings `op` accepts, with no branch: a bit each for
/// less, equal and greater.
#[inline(always)]
fn ordered(op: CmpOp, ord: Ordering) -> bool {
    let accepted: u8 = match op {
        CmpOp::Eq => 0b010,
        CmpOp::Ne => 0b101,
        CmpOp::Lt => 0b001,
        CmpOp::Le => 0b011,
        CmpOp::Gt => 0b100,
        CmpOp::Ge => 0b110,
    };
    (accepted >> (ord as i8 + 1)) & 1 == 1
}

impl Int<'_> {
    /// A leaf computed in place; anything else through [`Int::eval`]. Inlining the
    /// leaves at each use saves a call per leaf, the larger part of a tree walk's cost.
    #[inline(always)]
    pub(super) fn get(&self, cx: &Cx<'_>) -> Fast<i64> {
        match self {
            Int::Const(i) => Ok(*i),
            Int::Input(slot) => match *input(cx, *slot)? {
                Value::Int(i) => Ok(i),
                _ => Err(Leave),
            },
            Int::TimesInput(c, slot) => Int::times_input(*c, *slot, cx),
            Int::PerInput { rate, slot, scale, amount } => Int::per_input(*rate, *slot, *scale, *amount, cx),
            Int::PerInputOr { rate, slot, scale, amount, absent } => {
                Int::per_input_or(*rate, *slot, *scale, *amount, *absent, cx)
            }
            _ => self.eval(cx),
        }
    }

    /// One step of a tree walk. Every arm that does more than a load is a function of its
    /// own, which this one jumps to: the dispatch then saves no registers, and each step
    /// saves only the few it uses.
    pub(super) fn eval(&self, cx: &Cx<'_>) -> Fast<i64> {
        match self {
            Int::Const(i) => Ok(*i),
            Int::Input(slot) => match *input(cx, *slot)? {
                Value::Int(i) => Ok(i),
                _ => Err(Leave),
            },
            Int::Points(i) => cx.points.get(*i as usize).map(Cell::get).ok_or(Leave),
            Int::Neg(a) => Int::neg(a, cx),
            Int::Times(c, a) => Int::times(*c, a, cx),
            Int::Plus(c, a) => Int::plus(*c, a, cx),
            Int::Minus(c, a) => Int::minus(*c, a, cx),
            Int::TimesInput(c, slot) => Int::times_input(*c, *slot, cx),
            Int::PerInput { rate, slot, scale, amount } => Int::per_input(*rate, *slot, *scale, *amount, cx),
            Int::PerInputOr { rate, slot, scale, amount, absent } => {
                Int::per_input_or(*rate, *slot, *scale, *amount, *absent, cx)
            }
            Int::Arith(op, a, b) => Int::arith(*op, a, b, cx),
            Int::Per { rate, operand, scale, amount } => Int::per(rate, operand, *scale, *amount, cx),
            Int::PerDecInput(p) => p.eval(cx),
            Int::PerDec { rate, operand, scale, amount } => Int::per_dec(rate, operand, *scale, *amount, cx),
            Int::Min(args) => Int::min(args, cx),
            Int::Max(args) => Int::max(args, cx),
            Int::Floor(a) => Int::floor(a, cx),
            Int::Exact(a) => Int::exact(a, cx),
            Int::When(arms, otherwise) => Int::when(arms, otherwise, cx),
            Int::Match(switch) => Int::switch(switch, cx),
            Int::Coalesce(slot, fallback) => Int::coalesce(*slot, fallback, cx),
            Int::Table(t) => look_up(t, cx),
            Int::Round(a, precision) => Int::round(a, *precision, cx),
            Int::Slow(e) => Int::slow(e, cx),
            Int::Between(unit, from, to) => Int::between(*unit, *from, *to, cx),
        }
    }

    #[inline(never)]
    fn between(unit: DateUnit, from: Day, to: Day, cx: &Cx<'_>) -> Fast<i64> {
        Ok(unit.count(from.eval(cx)?, to.eval(cx)?))
    }

    #[inline(never)]
    fn neg(a: &Int<'_>, cx: &Cx<'_>) -> Fast<i64> {
        a.get(cx)?.checked_neg().ok_or(Leave)
    }

    #[inline(never)]
    fn times(c: i64, a: &Int<'_>, cx: &Cx<'_>) -> Fast<i64> {
        c.checked_mul(a.get(cx)?).ok_or(Leave)
    }

    #[inline(never)]
    fn plus(c: i64, a: &Int<'_>, cx: &Cx<'_>) -> Fast<i64> {
        c.checked_add(a.get(cx)?).ok_or(Leave)
    }

    #[inline(never)]
    fn minus(c: i64, a: &Int<'_>, cx: &Cx<'_>) -> Fast<i64> {
        c.checked_sub(a.get(cx)?).ok_or(Leave)
    }

    #[inline(always)]
    fn times_input(c: i64, slot: u16, cx: &Cx<'_>) -> Fast<i64> {
        match *input(cx, slot)? {
            Value::Int(v) => c.checked_mul(v).ok_or(Leave),
            _ => Err(Leave),
        }
    }

    #[inline(always)]
    fn per_input(rate: i64, slot: u16, scale: i64, amount: i64, cx: &Cx<'_>) -> Fast<i64> {
        match *input(cx, slot)? {
            Value::Int(v) => rate.checked_mul(units(v, scale, amount)?).ok_or(Leave),
            _ => Err(Leave),
        }
    }

    #[inline(always)]
    fn per_input_or(rate: i64, slot: u16, scale: i64, amount: i64, absent: i64, cx: &Cx<'_>) -> Fast<i64> {
        let value = match *input(cx, slot)? {
            Value::Int(v) => v,
            Value::Absent => absent,
            _ => return Err(Leave),
        };
        rate.checked_mul(units(value, scale, amount)?).ok_or(Leave)
    }

    #[inline(never)]
    fn arith(op: ArithOp, a: &Int<'_>, b: &Int<'_>, cx: &Cx<'_>) -> Fast<i64> {
        let (x, y) = (a.get(cx)?, b.get(cx)?);
        match op {
            ArithOp::Add => x.checked_add(y),
            ArithOp::Sub => x.checked_sub(y),
            ArithOp::Mul => x.checked_mul(y),
            ArithOp::Div => None,
        }
        .ok_or(Leave)
    }

    #[inline(never)]
    fn per(rate: &Int<'_>, operand: &Int<'_>, scale: i64, amount: i64, cx: &Cx<'_>) -> Fast<i64> {
        let count = units(operand.get(cx)?, scale, amount)?;
        rate.get(cx)?.checked_mul(count).ok_or(Leave)
    }

    #[inline(never)]
    fn per_dec(rate: &Int<'_>, operand: &Dec<'_>, scale: i64, amount: Decimal, cx: &Cx<'_>) -> Fast<i64> {
        let count = full_units(operand.eval(cx)?, scale, amount)?;
        rate.get(cx)?.checked_mul(count).ok_or(Leave)
    }

    #[inline(never)]
    fn min(args: &[Int<'_>], cx: &Cx<'_>) -> Fast<i64> {
        extreme(args, |a| a.get(cx), Ordering::Less)
    }

    #[inline(never)]
    fn max(args: &[Int<'_>], cx: &Cx<'_>) -> Fast<i64> {
        extreme(args, |a| a.get(cx), Ordering::Greater)
    }

    #[inline(never)]
    fn floor(a: &Dec<'_>, cx: &Cx<'_>) -> Fast<i64> {
        i64::try_from(a.eval(cx)?.floor()).map_err(|_| Leave)
    }

    /// Rounded to the precision; past ±i64 units it saturates, which the reference decides.
    #[inline(never)]
    fn round(a: &Dec<'_>, precision: Precision, cx: &Cx<'_>) -> Fast<i64> {
        precision.to_units(a.eval(cx)?).ok_or(Leave)
    }

    #[inline(never)]
    fn exact(a: &Dec<'_>, cx: &Cx<'_>) -> Fast<i64> {
        Num::whole(a.eval(cx)?)
    }

    #[inline(never)]
    fn when(arms: &[(Bool<'_>, Int<'_>)], otherwise: &Int<'_>, cx: &Cx<'_>) -> Fast<i64> {
        for (cond, result) in arms {
            if cond.test(cx)? {
                return result.get(cx);
            }
        }
        otherwise.get(cx)
    }

    #[inline(never)]
    fn switch(switch: &Switch<'_, Int<'_>>, cx: &Cx<'_>) -> Fast<i64> {
        switch.results[switch.arm(cx)?].get(cx)
    }

    #[inline(never)]
    fn coalesce(slot: u16, fallback: &Int<'_>, cx: &Cx<'_>) -> Fast<i64> {
        match *input(cx, slot)? {
            Value::Int(i) => Ok(i),
            Value::Absent => fallback.get(cx),
            _ => Err(Leave),
        }
    }

    #[cold]
    fn slow(e: &Expr, cx: &Cx<'_>) -> Fast<i64> {
        match slow(cx, e)? {
            Value::Int(i) => Ok(i),
            _ => Err(Leave),
        }
    }
}

/// ⌊value × scale / amount⌋ of whole numbers; a plain division in the usual case of
/// nothing negative (the Euclidean one costs more).
#[inline]
fn units(value: i64, scale: i64, amount: i64) -> Fast<i64> {
    let scaled = value.checked_mul(scale).ok_or(Leave)?;
    if scaled >= 0 && amount > 0 {
        Ok(scaled / amount)
    } else {
        scaled.checked_div_euclid(amount).ok_or(Leave)
    }
}

/// Whole-number arithmetic, with a constant operand folded into the step where it can be.
fn arith<'r>(op: ArithOp, a: Int<'r>, b: Int<'r>) -> Int<'r> {
    match (op, a, b) {
        (ArithOp::Mul, Int::Const(c), Int::Input(slot)) | (ArithOp::Mul, Int::Input(slot), Int::Const(c)) => {
            Int::TimesInput(c, slot)
        }
        (ArithOp::Mul, Int::Const(c), x) | (ArithOp::Mul, x, Int::Const(c)) => Int::Times(c, Box::new(x)),
        (ArithOp::Add, Int::Const(c), x) | (ArithOp::Add, x, Int::Const(c)) => Int::Plus(c, Box::new(x)),
        (ArithOp::Sub, Int::Const(c), x) => Int::Minus(c, Box::new(x)),
        (op, a, b) => Int::Arith(op, Box::new(a), Box::new(b)),
    }
}

/// The first of the smallest (or largest) values, as `min`/`max` choose.
fn extreme<A, T: Ord>(args: &[A], mut value: impl FnMut(&A) -> Fast<T>, wanted: Ordering) -> Fast<T> {
    let (first, rest) = args.split_first().ok_or(Leave)?;
    let mut best = value(first)?;
    for a in rest {
        let v = value(a)?;
        if v.cmp(&best) == wanted {
            best = v;
        }
    }
    Ok(best)
}

/// ⌊value × scale / amount⌋ of a decimal, in integers. The reference divides in decimals,
/// which round past 28 digits; here the quotient and the divisor are kept small enough that
/// such rounding could never reach the next whole number, and anything larger is left to it.
fn full_units(value: Decimal, scale: i64, amount: Decimal) -> Fast<i64> {
    let pow = |s: u32| ten_to(s).ok_or(Leave);
    // value × scale / amount = (m_v × scale × 10^s_a) / (m_a × 10^s_v)
    let numerator = value
        .mantissa()
        .checked_mul(i128::from(scale))
        .and_then(|n| n.checked_mul(pow(amount.scale()).ok()?))
        .ok_or(Leave)?;
    let denominator = amount.mantissa().checked_mul(pow(value.scale())?).ok_or(Leave)?;
    if denominator <= 0 || denominator > SMALL {
        return Err(Leave);
    }
    // A 64-bit division when the numerator allows: a 128-bit one costs several times more.
    let quotient = match i64::try_from(numerator) {
        Ok(n) => i128::from(n.div_euclid(denominator as i64)),
        Err(_) => numerator.div_euclid(denominator),
    };
    if quotient.abs() >= SMALL {
        return Err(Leave);
    }
    i64::try_from(quotient).map_err(|_| Leave)
}

/// Below this, a quotient of [`full_units`] is exact whatever way it was computed.
const SMALL: i128 = 1_000_000_000_000;

/// `rate per amount of input` for a decimal input, brought once to the scales inputs have
/// (as a [`Threshold`] is): ⌊m × 10^−s × scale / amount⌋ = ⌊m × multiplier / divisor_s⌋, in
/// 64-bit integers for an input of mantissa m and scale s.
#[derive(Debug)]
pub(super) struct PerDecInput {
    rate: i64,
    slot: u16,
    scale: i64,
    amount: Decimal,
    /// For an input of scale `s` below [`QUICK_SCALES`]: (multiplier, divisor), where they
    /// fit; the divisor is positive and small, as [`full_units`] requires of its own.
    at_scale: [Option<(i64, i64)>; QUICK_SCALES],
}

impl PerDecInput {
    fn new(rate: i64, slot: u16, scale: i64, amount: Decimal) -> PerDecInput {
        let multiplier = ten_to(amount.scale()).and_then(|p| p.checked_mul(i128::from(scale)));
        let at_scale = std::array::from_fn(|s| {
            let divisor = amount.mantissa().checked_mul(ten_to(s as u32)?)?;
            if divisor <= 0 || divisor > SMALL {
                return None;
            }
            Some((i64::try_from(multiplier?).ok()?, i64::try_from(divisor).ok()?))
        });
        PerDecInput { rate, slot, scale, amount, at_scale }
    }

    #[inline(never)]
    fn eval(&self, cx: &Cx<'_>) -> Fast<i64> {
        let count = match input(cx, self.slot)? {
            Value::Dec(d) => self.units(d)?,
            &Value::Int(i) => self.units(&Decimal::from(i))?,
            _ => return Err(Leave),
        };
        self.rate.checked_mul(count).ok_or(Leave)
    }

    /// ⌊d × scale / amount⌋, as [`full_units`] gives it.
    #[inline]
    fn units(&self, d: &Decimal) -> Fast<i64> {
        if let Some(&Some((multiplier, divisor))) = self.at_scale.get(d.scale() as usize) {
            if let Some(n) = i64::try_from(d.mantissa()).ok().and_then(|m| m.checked_mul(multiplier)) {
                let quotient = if n >= 0 { n / divisor } else { n.div_euclid(divisor) };
                return if i128::from(quotient).abs() < SMALL { Ok(quotient) } else { Err(Leave) };
            }
        }
        full_units(*d, self.scale, self.amount)
    }
}

/// 10^n for the scales a decimal has (0 to 28), from a table: `checked_pow` multiplies in a loop.
fn ten_to(n: u32) -> Option<i128> {
    const POWERS: [i128; 29] = {
        let mut table = [1i128; 29];
        let mut k = 1;
        while k < 29 {
            table[k] = table[k - 1] * 10;
            k += 1;
        }
        table
    };
    POWERS.get(n as usize).copied()
}

/// A decimal constant that inputs are compared with, brought once to the scales inputs
/// have: an input is then compared by its mantissa alone, many times quicker than
/// `Decimal::cmp`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Threshold {
    value: Decimal,
    /// For an input of scale `s` below [`QUICK_SCALES`]: ⌊threshold × 10^s⌋, and whether
    /// that is exact, so that the input's mantissa is compared with no multiplication.
    at_scale: [Option<(i128, bool)>; QUICK_SCALES],
}

/// The scales of inputs compared in one step (amounts of money have 0 to 2 decimals).
const QUICK_SCALES: usize = 8;

impl Threshold {
    fn new(value: Decimal) -> Threshold {
        let (mantissa, scale) = (value.mantissa(), value.scale());
        let at_scale = std::array::from_fn(|s| {
            let s = s as u32;
            if s >= scale {
                Some((mantissa.checked_mul(ten_to(s - scale)?)?, true))
            } else {
                let p = ten_to(scale - s)?;
                Some((mantissa.div_euclid(p), mantissa.rem_euclid(p) == 0))
            }
        });
        Threshold { value, at_scale }
    }

    /// How `d` compares with the threshold.
    #[inline]
    fn compare(&self, d: &Decimal) -> Ordering {
        // A whole mantissa m against ⌊t⌋: below or equal to it is below t unless t is exactly
        // that; above it is at least ⌊t⌋ + 1, above t.
        if let Some(&Some((floor, exact))) = self.at_scale.get(d.scale() as usize) {
            return match d.mantissa().cmp(&floor) {
                Ordering::Equal if !exact => Ordering::Less,
                ordering => ordering,
            };
        }
        self.compare_slowly(d)
    }

    #[cold]
    #[inline(never)]
    fn compare_slowly(&self, d: &Decimal) -> Ordering {
        compare_decimals(*d, self.value)
    }
}

/// Decimals compared by their integer mantissas brought to one scale (see [`Threshold`]),
/// several times quicker than `Decimal::cmp`.
fn compare_decimals(a: Decimal, b: Decimal) -> Ordering {
    let (m, s, bm, bs) = (a.mantissa(), a.scale(), b.mantissa(), b.scale());
    let pair = match s.cmp(&bs) {
        Ordering::Equal => Some((m, bm)),
        Ordering::Greater => ten_to(s - bs).and_then(|p| bm.checked_mul(p)).map(|t| (m, t)),
        Ordering::Less => ten_to(bs - s).and_then(|p| m.checked_mul(p)).map(|m| (m, bm)),
    };
    match pair {
        Some((x, y)) => x.cmp(&y),
        None => a.cmp(&b),
    }
}

impl Dec<'_> {
    pub(super) fn eval(&self, cx: &Cx<'_>) -> Fast<Decimal> {
        match self {
            Dec::Const(d) => Ok(*d),
            Dec::Input(slot) => match *input(cx, *slot)? {
                Value::Dec(d) => Ok(d),
                Value::Int(i) => Ok(Decimal::from(i)),
                _ => Err(Leave),
            },
            Dec::Whole(i) => i.get(cx).map(Decimal::from),
            Dec::Neg(a) => Ok(-a.eval(cx)?),
            Dec::Arith(op, a, b) => {
                let (x, y) = (a.eval(cx)?, b.eval(cx)?);
                match op {
                    ArithOp::Add => x.checked_add(y),
                    ArithOp::Sub => x.checked_sub(y),
                    ArithOp::Mul => x.checked_mul(y),
                    ArithOp::Div if y.is_zero() => None,
                    ArithOp::Div => x.checked_div(y),
                }
                .ok_or(Leave)
            }
            Dec::Min(args) => extreme(args, |a| a.eval(cx), Ordering::Less),
            Dec::Max(args) => extreme(args, |a| a.eval(cx), Ordering::Greater),
            Dec::When(arms, otherwise) => {
                for (cond, result) in arms {
                    if cond.test(cx)? {
                        return result.eval(cx);
                    }
                }
                otherwise.eval(cx)
            }
            Dec::Match(switch) => switch.results[switch.arm(cx)?].eval(cx),
            Dec::Coalesce(slot, fallback) => match *input(cx, *slot)? {
                Value::Dec(d) => Ok(d),
                Value::Int(i) => Ok(Decimal::from(i)),
                Value::Absent => fallback.eval(cx),
                _ => Err(Leave),
            },
            Dec::Slow(e) => match slow(cx, e)? {
                Value::Dec(d) => Ok(d),
                Value::Int(i) => Ok(Decimal::from(i)),
                _ => Err(Leave),
            },
            Dec::Points(i, places) => {
                let units = cx.points.get(*i as usize).map(Cell::get).ok_or(Leave)?;
                Ok(Decimal::from_i128_with_scale(i128::from(units), *places))
            }
        }
    }
}

impl Bool<'_> {
    /// A leaf decided in place; anything else through [`Bool::eval`] (see [`Int::get`]).
    #[inline(always)]
    pub(super) fn test(&self, cx: &Cx<'_>) -> Fast<bool> {
        match self {
            Bool::Input(slot) => match *input(cx, *slot)? {
                Value::Bool(b) => Ok(b),
                _ => Err(Leave),
            },
            Bool::IntInput(slot, op, c) => match *input(cx, *slot)? {
                Value::Int(i) => Ok(ordered(*op, i.cmp(c))),
                _ => Err(Leave),
            },
            Bool::InVariants(Variant::Input(slot), mask) => match *input(cx, *slot)? {
                Value::Enum(v) => Ok(v < 64 && mask & (1 << v) != 0),
                _ => Err(Leave),
            },
            _ => self.eval(cx),
        }
    }

    /// One step of a tree walk, as [`Int::eval`] is: what does more than a load is a step
    /// of its own.
    pub(super) fn eval(&self, cx: &Cx<'_>) -> Fast<bool> {
        match self {
            Bool::Const(b) => Ok(*b),
            Bool::Input(slot) => match *input(cx, *slot)? {
                Value::Bool(b) => Ok(b),
                _ => Err(Leave),
            },
            Bool::Not(a) => Bool::not(a, cx),
            Bool::And(a, b) => Bool::and(a, b, cx),
            Bool::Or(a, b) => Bool::or(a, b, cx),
            Bool::IntInput(slot, op, c) => match *input(cx, *slot)? {
                Value::Int(i) => Ok(ordered(*op, i.cmp(c))),
                _ => Err(Leave),
            },
            Bool::DecInput(slot, op, c) => Bool::dec_input(*slot, *op, c, cx),
            Bool::CmpInt(op, a, b) => Bool::cmp_int(*op, a, b, cx),
            Bool::CmpDec(op, a, b) => Bool::cmp_dec(*op, a, b, cx),
            Bool::CmpYesNo(op, a, b) => Bool::cmp_yes_no(*op, a, b, cx),
            Bool::CmpVariant(op, a, b) => Ok(ordered(*op, a.eval(cx)?.cmp(&b.eval(cx)?))),
            Bool::InVariants(v, mask) => {
                let v = v.eval(cx)?;
                Ok(v < 64 && mask & (1 << v) != 0)
            }
            Bool::Present(slot) => Ok(!matches!(input(cx, *slot)?, Value::Absent)),
            Bool::Table(t) => look_up(t, cx),
            Bool::Slow(e) => Bool::slow(e, cx),
            Bool::CmpDate(op, a, b) => Ok(ordered(*op, a.eval(cx)?.cmp(&b.eval(cx)?))),
        }
    }

    #[inline(never)]
    fn not(a: &Bool<'_>, cx: &Cx<'_>) -> Fast<bool> {
        Ok(!a.test(cx)?)
    }

    #[inline(never)]
    fn and(a: &Bool<'_>, b: &Bool<'_>, cx: &Cx<'_>) -> Fast<bool> {
        Ok(a.test(cx)? && b.test(cx)?)
    }

    #[inline(never)]
    fn or(a: &Bool<'_>, b: &Bool<'_>, cx: &Cx<'_>) -> Fast<bool> {
        Ok(a.test(cx)? || b.test(cx)?)
    }

    #[inline(never)]
    fn dec_input(slot: u16, op: CmpOp, threshold: &Threshold, cx: &Cx<'_>) -> Fast<bool> {
        match input(cx, slot)? {
            Value::Dec(d) => Ok(ordered(op, threshold.compare(d))),
            &Value::Int(i) => Ok(ordered(op, threshold.compare(&Decimal::from(i)))),
            _ => Err(Leave),
        }
    }

    #[inline(never)]
    fn cmp_int(op: CmpOp, a: &Int<'_>, b: &Int<'_>, cx: &Cx<'_>) -> Fast<bool> {
        Ok(ordered(op, a.get(cx)?.cmp(&b.get(cx)?)))
    }

    #[inline(never)]
    fn cmp_dec(op: CmpOp, a: &Dec<'_>, b: &Dec<'_>, cx: &Cx<'_>) -> Fast<bool> {
        Ok(ordered(op, compare_decimals(a.eval(cx)?, b.eval(cx)?)))
    }

    #[inline(never)]
    fn cmp_yes_no(op: CmpOp, a: &Bool<'_>, b: &Bool<'_>, cx: &Cx<'_>) -> Fast<bool> {
        Ok(ordered(op, a.test(cx)?.cmp(&b.test(cx)?)))
    }

    #[cold]
    fn slow(e: &Expr, cx: &Cx<'_>) -> Fast<bool> {
        match slow(cx, e)? {
            Value::Bool(b) => Ok(b),
            _ => Err(Leave),
        }
    }
}

impl Day {
    fn eval(self, cx: &Cx<'_>) -> Fast<i32> {
        match self {
            Day::Const(d) => Ok(d),
            Day::Input(slot) => match *input(cx, slot)? {
                Value::Date(d) => Ok(d),
                _ => Err(Leave),
            },
        }
    }
}

impl Variant {
    fn eval(self, cx: &Cx<'_>) -> Fast<u16> {
        match self {
            Variant::Const(v) => Ok(v),
            Variant::Input(slot) => match *input(cx, slot)? {
                Value::Enum(v) => Ok(v),
                _ => Err(Leave),
            },
        }
    }
}

impl<T> Switch<'_, T> {
    /// The arm the scrutinees' values select.
    pub(super) fn arm(&self, cx: &Cx<'_>) -> Fast<usize> {
        let mut index = 0usize;
        for key in &self.keys {
            let (value, size) = match key {
                Key::Variant(v, size) => (v.eval(cx)? as usize, *size as usize),
                Key::Bool(b) => (usize::from(b.test(cx)?), 2),
            };
            if value >= size {
                return Err(Leave);
            }
            index = index * size + value;
        }
        match self.table.get(index) {
            Some(&arm) if arm != NO_ARM => Ok(arm as usize),
            _ => Err(Leave),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn decimals_compare_as_decimal_does_across_scales_signs_and_sizes() {
        let values = [
            "0",
            "-0.00",
            "1",
            "1.0",
            "0.99",
            "-1",
            "-1.01",
            "12434",
            "9947.2",
            "9947.20",
            "9947.19",
            "37302.00",
            "-37302.001",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "7922816251426433759354395033.5",
            "0.5",
            "-0.5",
            "12434.5",
            "-9947.25",
            "9947.2500000",
            "1.23456789",
            "-1.2345678",
        ];
        for a in values {
            for b in values {
                let (x, y) = (Decimal::from_str(a).unwrap(), Decimal::from_str(b).unwrap());
                assert_eq!(compare_decimals(x, y), x.cmp(&y), "{a} vs {b}");
                assert_eq!(Threshold::new(y).compare(&x), x.cmp(&y), "{a} vs threshold {b}");
            }
        }
    }

    #[test]
    fn ordered_accepts_what_each_operator_means() {
        use Ordering::{Equal, Greater, Less};
        let cases = [
            (CmpOp::Eq, [false, true, false]),
            (CmpOp::Ne, [true, false, true]),
            (CmpOp::Lt, [true, false, false]),
            (CmpOp::Le, [true, true, false]),
            (CmpOp::Gt, [false, false, true]),
            (CmpOp::Ge, [false, true, true]),
        ];
        for (op, expected) in cases {
            let got = [Less, Equal, Greater].map(|ord| ordered(op, ord));
            assert_eq!(got, expected, "{op:?}");
        }
    }

    #[test]
    fn full_units_floors_exactly_or_leaves() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(full_units(d("199999.99"), 1, d("100000")), Ok(1));
        assert_eq!(full_units(d("200000"), 1, d("100000")), Ok(2));
        assert_eq!(full_units(d("-0.01"), 1, d("100000")), Ok(-1), "the floor, not truncation");
        assert_eq!(full_units(d("2.5"), 12, d("0.5")), Ok(60));
        assert_eq!(
            full_units(d("79228162514264337593543950335"), 1, d("1")),
            Err(Leave),
            "too large: the reference decides"
        );
    }

    #[test]
    fn per_decimal_input_counts_as_full_units_does() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        let values = [
            "0",
            "-0.01",
            "-100000",
            "-199999.99",
            "99999.99",
            "100000",
            "100000.00",
            "199999.999",
            "43935.47",
            "1234567.8",
            "0.00000001",
            "-0.000000001",
            "922337203685477580.7",
            "79228162514264337593543950335",
            "99999999999999999.99",
        ];
        let amounts = ["100000", "0.5", "3", "10", "0.001", "-7", "1000000000000"];
        for amount in amounts {
            for scale in [1, 12, -3] {
                let per = PerDecInput::new(10, 0, scale, d(amount));
                for v in values {
                    assert_eq!(per.units(&d(v)), full_units(d(v), scale, d(amount)), "{v} × {scale} / {amount}");
                }
            }
        }
    }
}
