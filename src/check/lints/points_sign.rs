//! E0403 / E0404: points of the wrong sign for their section — negative points outside a
//! deduction section, positive points inside one. Errors, proven by the range analysis.

use rust_decimal::Decimal;

use crate::check::ranges::{show, Ext, ItemFacts};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::ItemDef;
use crate::syntax::ast;

pub(super) fn check(def: &ItemDef, decl: &ast::ItemDecl, deduction: bool, facts: &ItemFacts) -> Option<Diagnostic> {
    let zero = Ext::Fin(Decimal::ZERO);
    let points = facts.points;
    if deduction && points.hi > zero {
        return Some(
            Diagnostic::error(
                codes::POSITIVE_DEDUCTION,
                format!("item `{}` can add points inside a deduction section", def.id),
                decl.body.span,
                format!("ranges over {}", show(points)),
            )
            .with_help("a deduction is written as negative points, e.g. `-150 * false_material_count`; or move the item to a section without `deduction`"),
        );
    }
    if !deduction && points.lo < zero {
        return Some(
            Diagnostic::error(
                codes::NEGATIVE_POINTS,
                format!("item `{}` can give negative points outside a deduction section", def.id),
                decl.body.span,
                format!("ranges over {}", show(points)),
            )
            .with_help("keep it at zero or above, e.g. with `max(0, …)`, or move the item to a `deduction` section"),
        );
    }
    None
}
