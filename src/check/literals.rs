//! Literal values checked against an input's type and range: defaults, test facts,
//! `wait` steps and expected values; and enum variants by name.

use rust_decimal::Decimal;

use super::Checker;
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{InputDef, InputType, Value};
use crate::syntax::ast::{self, ValueKind};

impl<'a> Checker<'a> {
    /// Check a literal against an input's type and range (defaults and test facts).
    pub(super) fn literal_for_input(&mut self, def: &InputDef, value: &ast::Value, what: &str) -> Option<Value> {
        let code = if what == "default" { codes::BAD_INPUT_DECL } else { codes::TEST_BAD_VALUE };
        let name = &def.name;
        // Built only for a mismatch: most test values are fine, and this runs for each.
        let help = |this: &Self| match def.ty {
            InputType::Int { unit: Some(u) } => {
                format!("`{name}` is a whole number of {}, e.g. `12 {}`", this.unit_str(u), this.unit_str(u))
            }
            InputType::Decimal { unit: Some(u) } => {
                format!("`{name}` is an amount in {}, e.g. `12000 {}`", this.unit_str(u), this.unit_str(u))
            }
            InputType::Int { unit: None } => format!("`{name}` is a whole number without a unit, e.g. `3`"),
            InputType::Decimal { unit: None } => format!("`{name}` is a number without a unit, e.g. `2.5`"),
            InputType::Bool => "write `true` or `false`".to_string(),
            InputType::Enum(e) => {
                let info = &this.enums[e as usize];
                let variants: Vec<&str> = info.variants.iter().map(|(v, _)| v.as_str()).collect();
                format!("`{name}` takes a variant of `{}`: {}", info.name, variants.join(", "))
            }
            InputType::Date => format!("`{name}` is a date, written e.g. `2025-07-01`"),
            InputType::List { .. } => format!("`{name}` takes rows: `[ {{ field: value, … }}, … ]`"),
        };
        let mismatch = |this: &mut Self, expected: String| {
            this.error(
                Diagnostic::error(
                    code,
                    format!("{what} for `{name}` must be {expected}"),
                    value.span,
                    "wrong kind of value",
                )
                .with_help(help(this)),
            );
            None
        };
        let v = match (&value.kind, def.ty) {
            (ValueKind::Absent, _) if def.optional => Value::Absent,
            (ValueKind::Bool(b), InputType::Bool) => Value::Bool(*b),
            (ValueKind::Date(d), InputType::Date) => Value::Date(*d),
            (ValueKind::Number(n), InputType::Int { unit } | InputType::Decimal { unit }) => {
                let written = match &n.unit {
                    Some(name) => match self.unit(name) {
                        Some(u) => Some(u),
                        None => return None,
                    },
                    None => None,
                };
                if written.is_some() && written != unit {
                    let expected = match unit {
                        Some(u) => format!("a number of {}", self.unit_str(u)),
                        None => "a plain number".to_string(),
                    };
                    return mismatch(self, expected);
                }
                if matches!(def.ty, InputType::Int { .. }) {
                    if !n.value.fract().is_zero() {
                        return mismatch(self, "a whole number".to_string());
                    }
                    Value::Int(i64::try_from(n.value).unwrap_or(0))
                } else {
                    Value::Dec(n.value)
                }
            }
            (ValueKind::Variant { enum_name, variant }, InputType::Enum(e)) => {
                if let Some(en) = enum_name {
                    if self.enum_index.get(&en.name) != Some(&e) {
                        return mismatch(self, format!("a variant of `{}`", self.enums[e as usize].name));
                    }
                }
                match self.variant_index(e, &variant.name) {
                    Some(i) => {
                        if let Some(en) = enum_name {
                            self.resolved(en.span, self.enums[e as usize].span);
                        }
                        self.resolved_variant(variant.span, e, i);
                        Value::Enum(i)
                    }
                    None => {
                        self.unknown_variant(e, variant);
                        return None;
                    }
                }
            }
            (_, ty) => {
                let expected = match ty {
                    InputType::Int { unit } | InputType::Decimal { unit } => match unit {
                        Some(u) => format!("a number of {}", self.unit_str(u)),
                        None => "a number".to_string(),
                    },
                    InputType::Bool => "true or false".to_string(),
                    InputType::Enum(e) => format!("a variant of `{}`", self.enums[e as usize].name),
                    InputType::Date => "a date".to_string(),
                    InputType::List { .. } => "a list of rows".to_string(),
                };
                return mismatch(self, expected);
            }
        };
        let numeric = match v {
            Value::Int(i) => Some(Decimal::from(i)),
            Value::Dec(d) => Some(d),
            _ => None,
        };
        if let Some(n) = numeric {
            if def.min.is_some_and(|m| n < m) || def.max.is_some_and(|m| n > m) {
                self.error(
                    Diagnostic::error(
                        code,
                        format!("{what} {n} for `{}` is outside its range", def.name),
                        value.span,
                        "out of range",
                    )
                    .with_help(format!("`{}` takes values in {}", def.name, range_text(def))),
                );
                return None;
            }
        }
        Some(v)
    }

    pub(super) fn variant_index(&self, e: u16, name: &str) -> Option<u16> {
        self.enums.get(e as usize)?.variants.iter().position(|(n, _)| n == name).map(|i| i as u16)
    }

    pub(super) fn unknown_variant(&mut self, e: u16, variant: &ast::Ident) {
        let info = &self.enums[e as usize];
        let names: Vec<&str> = info.variants.iter().map(|(n, _)| n.as_str()).collect();
        let help = match self.suggest(&variant.name, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? `{}` has: {}", info.name, names.join(", ")),
            None => format!("`{}` has: {}", info.name, names.join(", ")),
        };
        let message = format!("`{}` is not a variant of enum `{}`", variant.name, info.name);
        self.error(Diagnostic::error(codes::UNKNOWN_VARIANT, message, variant.span, "unknown variant").with_help(help));
    }
}

fn range_text(def: &InputDef) -> String {
    match (def.min, def.max) {
        (Some(lo), Some(hi)) => format!("{lo}..={hi}"),
        (Some(lo), None) => format!("{lo}.. (no upper bound)"),
        _ => "any value".to_string(),
    }
}
