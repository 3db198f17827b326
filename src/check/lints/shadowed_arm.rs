//! W0109: a `when` arm shadowed by the arms above it — its condition can be true, but never
//! once the earlier conditions are false (`when a => 30` then `when a and b => 20`, the
//! same condition twice, `when x >= 10` then `when x >= 20`), at any depth of the rule.

use super::{arm_places, ArmPlace};
use crate::check::ranges::{ArmFate, ItemFacts};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::ItemDef;
use crate::syntax::ast;

pub(super) fn check(
    def: &ItemDef,
    decl: &ast::ItemDecl,
    facts: &ItemFacts,
    printer: &crate::rules::print::Printer<'_>,
) -> Vec<Diagnostic> {
    arm_places(def, decl, facts, printer, ArmFate::Shadowed)
        .into_iter()
        .map(|ArmPlace { span, text, .. }| {
            Diagnostic::warning(
                codes::SHADOWED_ARM,
                format!("this `when` arm can never fire: the arms above it already take every case of `{text}`"),
                span,
                "shadowed by an earlier arm",
            )
            .with_help("put the narrower condition first, or remove this arm")
        })
        .collect()
}
