//! W0104: an item that can never score — its points are 0 for every applicant the inputs'
//! declared ranges allow.

use rust_decimal::Decimal;

use crate::check::ranges::{Ext, ItemFacts};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::ItemDef;
use crate::syntax::ast;

pub(super) fn check(def: &ItemDef, decl: &ast::ItemDecl, deduction: bool, facts: &ItemFacts) -> Option<Diagnostic> {
    let zero = Ext::Fin(Decimal::ZERO);
    // An item of the wrong sign is reported as an error by `points_sign` instead.
    let wrong_sign = if deduction { facts.points.hi > zero } else { facts.points.lo < zero };
    if wrong_sign || facts.points.lo != zero || facts.points.hi != zero {
        return None;
    }
    let help = if def.preconditions.is_empty() && def.arms.is_empty() {
        "check its formula against the inputs' declared ranges"
    } else {
        "check its conditions against the inputs' declared ranges"
    };
    Some(
        Diagnostic::warning(
            codes::NEVER_SCORES,
            format!("item `{}` can never score", def.id),
            decl.name.span,
            "always 0 points",
        )
        .with_help(help),
    )
}
