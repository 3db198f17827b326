//! What the IR still says about an expression's type: the kind of value it gives, the unit
//! of a quantity and the enum of a variant. The checker proved all three; these read them
//! back from the declarations the expression refers to, for the evaluator's lowering, the
//! printer, `doc` and `diff`, so no tool works them out alone.

use rust_decimal::Decimal;

use super::{ArithOp, EachKind, Expr, InputType, RuleSet, Unit, Value};

/// The kind of value an expression gives, as far as the IR tells (the evaluator's lowering
/// chooses its whole-number, decimal, yes/no, variant and date paths by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Int,
    Dec,
    Bool,
    Variant,
    Date,
    /// Absent, a list, a row's field or a mix: only the reference evaluator handles it.
    Unknown,
}

impl ValueKind {
    pub fn of_value(v: Value) -> ValueKind {
        match v {
            Value::Int(_) => ValueKind::Int,
            Value::Dec(_) => ValueKind::Dec,
            Value::Bool(_) => ValueKind::Bool,
            Value::Enum(_) => ValueKind::Variant,
            Value::Absent => ValueKind::Unknown,
            Value::Date(_) => ValueKind::Date,
        }
    }

    /// The kind of a value that may be either: a whole number and a decimal give a decimal.
    pub fn join(self, other: ValueKind) -> ValueKind {
        match (self, other) {
            (a, b) if a == b => a,
            (ValueKind::Int, ValueKind::Dec) | (ValueKind::Dec, ValueKind::Int) => ValueKind::Dec,
            _ => ValueKind::Unknown,
        }
    }

    pub fn numeric(self) -> bool {
        matches!(self, ValueKind::Int | ValueKind::Dec)
    }

    /// `self` when it is a number, else unknown.
    fn number(self) -> ValueKind {
        if self.numeric() {
            self
        } else {
            ValueKind::Unknown
        }
    }
}

impl RuleSet {
    /// The kind of value `e` gives.
    pub fn kind_of(&self, e: &Expr) -> ValueKind {
        match e {
            Expr::Const(v) | Expr::Folded { value: v, .. } => ValueKind::of_value(*v),
            Expr::Param(p) => {
                self.params.get(usize::from(*p)).map_or(ValueKind::Unknown, |p| ValueKind::of_value(p.value))
            }
            Expr::Input(slot) => match self.inputs.get(usize::from(*slot)).map(|i| i.ty) {
                Some(InputType::Int { .. }) => ValueKind::Int,
                Some(InputType::Decimal { .. }) => ValueKind::Dec,
                Some(InputType::Bool) => ValueKind::Bool,
                Some(InputType::Enum(_)) => ValueKind::Variant,
                Some(InputType::Date) => ValueKind::Date,
                Some(InputType::List { .. }) | None => ValueKind::Unknown,
            },
            // Other items' points: whole, or decimals when the policy counts in fractions.
            Expr::Points(_) if self.points.is_some_and(|p| p.places > 0) => ValueKind::Dec,
            Expr::Points(_) | Expr::Floor(_) => ValueKind::Int,
            Expr::Not(_) | Expr::Cmp(..) | Expr::And(..) | Expr::Or(..) | Expr::In(..) | Expr::IsPresent(_) => {
                ValueKind::Bool
            }
            Expr::Neg(a) => self.kind_of(a).number(),
            Expr::Arith(ArithOp::Div, ..) => ValueKind::Dec,
            Expr::Arith(_, a, b) => self.kind_of(a).join(self.kind_of(b)).number(),
            Expr::Coalesce(a, b) => self.kind_of(a).join(self.kind_of(b)),
            Expr::Per { rate, .. } => self.kind_of(rate).number(),
            Expr::Min(args) | Expr::Max(args) => self.join_kinds(args.iter()),
            Expr::When { arms, otherwise } => self.join_kinds(arms.iter().map(|(_, r)| r).chain([&**otherwise])),
            Expr::Match { arms, .. } => self.join_kinds(arms.iter().map(|(_, r)| r)),
            Expr::Between(..) => ValueKind::Int,
            Expr::Each { kind: EachKind::Count, .. } => ValueKind::Int,
            Expr::Each { kind: EachKind::Any | EachKind::All, .. } => ValueKind::Bool,
            // A sum, max or min over rows, and a row's field: the field's type is the row's.
            Expr::Field(_) | Expr::Each { .. } => ValueKind::Unknown,
        }
    }

    fn join_kinds<'e>(&self, mut exprs: impl Iterator<Item = &'e Expr>) -> ValueKind {
        let first = exprs.next().map_or(ValueKind::Unknown, |e| self.kind_of(e));
        exprs.fold(first, |k, e| k.join(self.kind_of(e)))
    }

    /// The unit the value of `e` is in, where the IR says it: inputs and parameters carry
    /// theirs, constants do not (their unit is the one of what they are compared with).
    pub fn unit_of(&self, e: &Expr) -> Option<Unit> {
        match e {
            Expr::Input(s) => match self.inputs.get(usize::from(*s))?.ty {
                InputType::Int { unit } | InputType::Decimal { unit } => unit,
                _ => None,
            },
            Expr::Param(p) => self.params.get(usize::from(*p))?.unit,
            Expr::Folded { source, .. } | Expr::Neg(source) | Expr::Floor(source) => self.unit_of(source),
            // `full_years(m)`: full years counted in months give years.
            Expr::Per { rate, operand, scale, amount } if is_full_years(self, rate, operand, *scale, *amount) => {
                Some(Unit::YEARS)
            }
            // `to_months(y)` is `y * 12`; otherwise a product or quotient keeps the unit of
            // its one quantity (`2 * average_wage`).
            Expr::Arith(ArithOp::Mul, a, b)
                if self.unit_of(a) == Some(Unit::YEARS) && matches!(**b, Expr::Const(Value::Int(12))) =>
            {
                Some(Unit::MONTHS)
            }
            Expr::Arith(_, a, b) | Expr::Coalesce(a, b) => self.unit_of(a).or_else(|| self.unit_of(b)),
            Expr::Min(args) | Expr::Max(args) => args.iter().find_map(|a| self.unit_of(a)),
            Expr::Between(super::DateUnit::Years, ..) => Some(Unit::YEARS),
            Expr::Between(super::DateUnit::Months, ..) => Some(Unit::MONTHS),
            Expr::Between(super::DateUnit::Days, ..) => None,
            // A sum, max or min of a field: the field's unit.
            Expr::Each { kind: EachKind::Sum | EachKind::Max | EachKind::Min, list, body: Some(b), .. } => {
                let Expr::Field(k) = **b else { return None };
                self.field_unit(*list, k)
            }
            // A field's unit depends on the row it is read in: see `field_unit`.
            Expr::Field(_) | Expr::Each { .. } => None,
            Expr::When { arms, otherwise } => {
                arms.iter().map(|(_, r)| r).chain([&**otherwise]).find_map(|r| self.unit_of(r))
            }
            Expr::Match { arms, .. } => arms.iter().find_map(|(_, r)| self.unit_of(r)),
            Expr::Const(_)
            | Expr::Points(_)
            | Expr::Not(_)
            | Expr::Cmp(..)
            | Expr::And(..)
            | Expr::Or(..)
            | Expr::In(..)
            | Expr::IsPresent(_)
            | Expr::Per { .. } => None,
        }
    }

    /// The enum whose variant `e` is, where the IR says it.
    pub fn enum_of(&self, e: &Expr) -> Option<u16> {
        match e {
            Expr::Input(s) => match self.inputs.get(usize::from(*s))?.ty {
                InputType::Enum(en) => Some(en),
                _ => None,
            },
            Expr::Coalesce(a, b) => self.enum_of(a).or_else(|| self.enum_of(b)),
            Expr::Folded { source, .. } => self.enum_of(source),
            Expr::When { arms, otherwise } => {
                arms.iter().map(|(_, r)| r).chain([&**otherwise]).find_map(|r| self.enum_of(r))
            }
            Expr::Match { arms, .. } => arms.iter().find_map(|(_, r)| self.enum_of(r)),
            _ => None,
        }
    }

    /// The unit of field `k` of the rows of list input `list`.
    pub fn field_unit(&self, list: u16, k: u16) -> Option<Unit> {
        match self.record_of(list)?.1.fields.get(usize::from(k))?.ty {
            InputType::Int { unit } | InputType::Decimal { unit } => unit,
            _ => None,
        }
    }

    /// A variant by name: `#3` when the enum or variant is unknown.
    pub fn variant_name(&self, en: u16, v: u16) -> String {
        self.enums
            .get(usize::from(en))
            .and_then(|d| d.variants.get(usize::from(v)))
            .map(|d| d.name.to_string())
            .unwrap_or_else(|| format!("#{v}"))
    }
}

/// Whether a `per` is `full_years(m)`: one point per twelve months.
pub(crate) fn is_full_years(rs: &RuleSet, rate: &Expr, operand: &Expr, scale: i64, amount: Decimal) -> bool {
    matches!(rate, Expr::Const(Value::Int(1)))
        && rs.unit_of(operand) == Some(Unit::MONTHS)
        && amount == Decimal::from(12 * scale)
}
