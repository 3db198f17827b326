//! The types the checker gives expressions.

use std::fmt;

use crate::rules::{self, Unit, ValueKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    /// A number; `int` when it is known to be whole, with its unit if it has one.
    Num {
        int: bool,
        unit: Option<Unit>,
    },
    Bool,
    Enum(u16),
    /// An optional input: must go through `??` or `present(…)` before use.
    Optional(Box<Ty>),
    /// Already reported: accepted everywhere so that one mistake is reported once.
    Error,
    /// A calendar date: compared, never computed with.
    Date,
}

impl Ty {
    pub(crate) const POINTS: Ty = Ty::Num { int: true, unit: None };

    pub(crate) fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    pub(crate) fn unit(&self) -> Option<Unit> {
        match self {
            Ty::Num { unit, .. } => *unit,
            _ => None,
        }
    }

    /// The type an expression of this type carries in the IR.
    pub(crate) fn ir(&self) -> rules::Type {
        match self {
            Ty::Num { int: true, unit } => rules::Type::number(ValueKind::Int, *unit),
            Ty::Num { int: false, unit } => rules::Type::number(ValueKind::Dec, *unit),
            Ty::Bool => rules::Type::BOOL,
            Ty::Enum(e) => rules::Type::variant(*e),
            Ty::Date => rules::Type::of(ValueKind::Date),
            Ty::Optional(inner) => rules::Type { optional: true, ..inner.ir() },
            Ty::Error => rules::Type::UNKNOWN,
        }
    }

    /// How the type reads in a message; enum and unit names come from the caller.
    pub(crate) fn describe(&self, enum_names: &[String], unit_names: &[String]) -> String {
        match self {
            Ty::Num { int, unit } => match (int, unit) {
                (_, Some(u)) => format!("a quantity in {}", unit_name(Some(*u), unit_names)),
                (true, None) => "a whole number".to_string(),
                (false, None) => "a decimal number".to_string(),
            },
            Ty::Bool => "a yes/no value (bool)".to_string(),
            Ty::Enum(e) => {
                format!("a value of enum `{}`", enum_names.get(*e as usize).map(String::as_str).unwrap_or("?"))
            }
            Ty::Optional(inner) => format!("an optional value ({} or absent)", inner.describe(enum_names, unit_names)),
            Ty::Error => "an invalid value".to_string(),
            Ty::Date => "a date".to_string(),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units: Vec<String> = crate::check::units::prelude().iter().map(|u| u.name.to_string()).collect();
        f.write_str(&self.describe(&[], &units))
    }
}

/// "months" / "a plain number", for messages; unit names come from the caller.
pub(crate) fn unit_name(unit: Option<Unit>, unit_names: &[String]) -> String {
    match unit {
        Some(u) => unit_names.get(u.0 as usize).map_or("?", String::as_str).to_string(),
        None => "a plain number".to_string(),
    }
}

/// "this is in months" / "this is a plain number", for labels.
pub(crate) fn unit_phrase(unit: Option<Unit>, unit_names: &[String]) -> String {
    match unit {
        Some(_) => format!("this is in {}", unit_name(unit, unit_names)),
        None => "this is a plain number".to_string(),
    }
}
