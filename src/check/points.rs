//! The header's points: the declared precision and rounding (`points 0.01 round half_up`),
//! the standard and the floor, and numbers of points written in the policy, turned into the
//! rule set's units (see [`rules::RuleSet::points`]).

use rust_decimal::Decimal;

use super::Checker;
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{self, Precision, Rounding};
use crate::source::Span;
use crate::syntax::ast;

/// The help that names the header line declaring fractional points.
pub(super) const DECLARE_POINTS: &str =
    "declare the precision of points in the header, e.g. `points 0.01 round half_up`";

impl Checker<'_> {
    /// The header's `points` line, checked: `None` for whole points. A broken line has its
    /// error, and the rest is checked as if it read `points 0.01 round half_up` (or its valid
    /// half), so that fractional items are not reported again.
    pub(super) fn precision(&mut self, header: &ast::Header) -> Option<Precision> {
        let decl = header.points.as_ref()?;
        let places = (0..=Precision::MAX_PLACES).find(|&p| decl.precision == Decimal::from_i128_with_scale(1, p));
        if places.is_none() {
            self.error(
                Diagnostic::error(
                    codes::BAD_POINTS,
                    format!("`{}` is not a precision of points", decl.precision),
                    decl.precision_span,
                    "not a power of ten from 1 to 0.0001",
                )
                .with_help("write 1, 0.1, 0.01, 0.001 or 0.0001, e.g. `points 0.01 round half_up`"),
            );
        }
        let modes = || Rounding::NAMES.iter().map(|(n, _)| *n);
        let rounding = match &decl.rounding {
            None => {
                self.error(
                    Diagnostic::error(
                        codes::BAD_POINTS,
                        "the precision of points says nothing of rounding",
                        decl.precision_span,
                        "how does an item round to this?",
                    )
                    .with_help(format!(
                        "add a rounding mode: `points {} round half_up` (or half_even, down, up)",
                        decl.precision
                    )),
                );
                None
            }
            Some(mode) => match Rounding::NAMES.iter().find(|(n, _)| *n == mode.name) {
                Some((_, r)) => Some(*r),
                None => {
                    let help = match self.suggest(&mode.name, modes()) {
                        Some(close) => format!("did you mean `{close}`? The modes are half_up, half_even, down and up"),
                        None => "the modes are half_up (ties away from zero), half_even, down (toward zero) and up (away from zero)".to_string(),
                    };
                    self.error(
                        Diagnostic::error(
                            codes::BAD_POINTS,
                            format!("unknown rounding mode `{}`", mode.name),
                            mode.span,
                            "not a rounding mode",
                        )
                        .with_help(help),
                    );
                    None
                }
            },
        };
        Some(Precision { places: places.unwrap_or(2), rounding: rounding.unwrap_or(Rounding::HalfUp) })
    }

    /// A number of points the header or a test writes, in units; an error where it is finer
    /// than the precision (or fractional without one).
    pub(super) fn points_units(
        &mut self,
        precision: Option<Precision>,
        value: Decimal,
        span: Span,
        what: &str,
    ) -> Option<i64> {
        let unit = Decimal::from(precision.map_or(1, Precision::unit));
        let units = value.checked_mul(unit);
        if let Some(units) = units.filter(|u| u.fract().is_zero()) {
            if let Ok(units) = i64::try_from(units) {
                return Some(units);
            }
            self.error(Diagnostic::error(codes::BAD_NUMBER, "number too large", span, "this number does not fit"));
            return None;
        }
        let d = match precision {
            Some(p) => Diagnostic::error(
                codes::BAD_POINTS,
                format!("{what} `{}` is finer than the precision of points", value.normalize()),
                span,
                format!("points are counted in steps of {}", p.decimal(1)),
            )
            .with_help(format!(
                "write {what} in steps of {}, or declare a finer precision in the header",
                p.decimal(1)
            )),
            None => Diagnostic::error(
                codes::BAD_POINTS,
                format!("{what} `{}` is not whole, and this policy counts whole points", value.normalize()),
                span,
                "a fraction of a point",
            )
            .with_help(DECLARE_POINTS),
        };
        self.error(d);
        None
    }

    /// The standard (none: a yes/no programme) and the floor, in units.
    pub(super) fn standard_and_floor(
        &mut self,
        header: &ast::Header,
        precision: Option<Precision>,
    ) -> (Option<i64>, Option<i64>) {
        let standard = header.standard.and_then(|(s, span)| self.points_units(precision, s, span, "the standard"));
        let floor = header.floor.and_then(|(f, span)| self.points_units(precision, f, span, "the floor"));
        (standard, floor)
    }
}

/// A constant number of points (a cap) in units, if exact at the precision.
pub(super) fn constant_units(precision: Option<Precision>, value: rules::Value) -> Option<Result<i64, Decimal>> {
    let d = match value {
        rules::Value::Int(i) => Decimal::from(i),
        rules::Value::Dec(d) => d,
        _ => return None,
    };
    let unit = Decimal::from(precision.map_or(1, Precision::unit));
    match d.checked_mul(unit) {
        Some(u) if u.fract().is_zero() => Some(i64::try_from(u).map_err(|_| d)),
        _ => Some(Err(d)),
    }
}
