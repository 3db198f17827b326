//! W0103: a cap that can never bind — the item's rule never computes more than it.

use crate::check::ranges::{show, Ext, ItemFacts};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{ItemDef, RuleSet};
use crate::syntax::ast;

pub(super) fn check(
    ruleset: &RuleSet,
    def: &ItemDef,
    decl: &ast::ItemDecl,
    deduction: bool,
    facts: &ItemFacts,
) -> Option<Diagnostic> {
    let cap = Ext::Fin(ruleset.points_decimal(def.cap?));
    let binds = if deduction { facts.raw.lo < cap.neg() } else { facts.raw.hi > cap };
    if binds {
        return None;
    }
    let span = decl.cap.as_ref().map(|c| c.span).unwrap_or(decl.name.span);
    Some(
        Diagnostic::warning(
            codes::CAP_NEVER_BINDS,
            format!("the cap of item `{}` can never bind", def.id),
            span,
            format!("the points range over {} here", show(facts.raw)),
        )
        .with_help("remove the cap, or check the item's formula and the inputs' ranges"),
    )
}
