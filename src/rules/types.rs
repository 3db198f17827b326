//! The types expressions of the IR carry: what the checker proved of each node (the kind of
//! value, the unit of a quantity, the enum of a variant, whether it may be absent), kept on
//! the node for the Scorer's specialising, the printer, `doc` and `diff`, so that no tool
//! works a type out again.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Expr, ExprKind, InputType, RuleSet, Unit, Value};

/// The kind of value an expression gives (the Scorer's specialising chooses its
/// whole-number, decimal, yes/no, variant and date paths by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ValueKind {
    Int,
    Dec,
    Bool,
    Variant,
    Date,
    /// Absent, or a value the checker could not type: only the reference evaluator handles it.
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

    pub fn numeric(self) -> bool {
        matches!(self, ValueKind::Int | ValueKind::Dec)
    }
}

/// The type of an expression, as the checker proved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Type {
    pub kind: ValueKind,
    /// The unit of a quantity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The enum of a variant, by index into [`RuleSet::enums`].
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub en: Option<u16>,
    /// It may be absent (an optional input or field, the largest or smallest of no rows)
    /// until `??` gives a value for that case.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

impl Type {
    pub const UNKNOWN: Type = Type::of(ValueKind::Unknown);
    pub const INT: Type = Type::of(ValueKind::Int);
    pub const BOOL: Type = Type::of(ValueKind::Bool);

    /// A value of this kind, with no unit or enum, always given.
    pub const fn of(kind: ValueKind) -> Type {
        Type { kind, unit: None, en: None, optional: false }
    }

    /// A number of this kind in `unit`.
    pub const fn number(kind: ValueKind, unit: Option<Unit>) -> Type {
        Type { unit, ..Type::of(kind) }
    }

    /// A value of enum `en`.
    pub const fn variant(en: u16) -> Type {
        Type { en: Some(en), ..Type::of(ValueKind::Variant) }
    }

    /// The type of a value of an input or field declared `ty`.
    pub fn of_input(ty: InputType) -> Type {
        match ty {
            InputType::Int { unit } => Type::number(ValueKind::Int, unit),
            InputType::Decimal { unit } => Type::number(ValueKind::Dec, unit),
            InputType::Bool => Type::BOOL,
            InputType::Enum(en) => Type::variant(en),
            InputType::Date => Type::of(ValueKind::Date),
            InputType::List { .. } => Type::UNKNOWN,
        }
    }
}

impl RuleSet {
    /// A variant by name: `#3` when the enum or variant is unknown.
    pub fn variant_name(&self, en: u16, v: u16) -> String {
        self.enums
            .get(usize::from(en))
            .and_then(|d| d.variants.get(usize::from(v)))
            .map(|d| d.name.to_string())
            .unwrap_or_else(|| format!("#{v}"))
    }
}

/// Whether `e` is `full_years(m)`: one per twelve months, counting years (a plain
/// `1 per year of m` counts the same but is a plain number).
pub(crate) fn is_full_years(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Per { rate, operand, scale, amount } => {
            e.ty.unit == Some(Unit::YEARS)
                && matches!(rate.kind, ExprKind::Const(Value::Int(1)))
                && operand.ty.unit == Some(Unit::MONTHS)
                && *amount == Decimal::from(12 * scale)
        }
        _ => false,
    }
}
