//! The types the checker gives expressions.

use std::fmt;

use crate::syntax::ast::Unit;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
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
    pub const POINTS: Ty = Ty::Num { int: true, unit: None };

    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    pub fn unit(&self) -> Option<Unit> {
        match self {
            Ty::Num { unit, .. } => *unit,
            _ => None,
        }
    }

    /// How the type reads in a message; enum names come from the caller.
    pub fn describe(&self, enum_names: &[String]) -> String {
        match self {
            Ty::Num { int, unit } => match (int, unit) {
                (_, Some(u)) => format!("a quantity in {}", u.name()),
                (true, None) => "a whole number".to_string(),
                (false, None) => "a decimal number".to_string(),
            },
            Ty::Bool => "a yes/no value (bool)".to_string(),
            Ty::Enum(e) => {
                format!("a value of enum `{}`", enum_names.get(*e as usize).map(String::as_str).unwrap_or("?"))
            }
            Ty::Optional(inner) => format!("an optional value ({} or absent)", inner.describe(enum_names)),
            Ty::Error => "an invalid value".to_string(),
            Ty::Date => "a date".to_string(),
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&[]))
    }
}

pub fn unit_name(unit: Option<Unit>) -> &'static str {
    unit.map(Unit::name).unwrap_or("a plain number")
}

/// "is in months" / "is a plain number", for labels.
pub fn unit_phrase(unit: Option<Unit>) -> String {
    match unit {
        Some(u) => format!("this is in {}", u.name()),
        None => "this is a plain number".to_string(),
    }
}
