//! W0110: an arm of a `when` nested inside the rule (in `max(…)`, a sum, another arm) whose
//! condition is never true for the inputs' declared ranges (the top-level `when` is W0102).

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
    arm_places(def, decl, facts, printer, ArmFate::Impossible)
        .into_iter()
        .filter(|place| place.nested)
        .map(|ArmPlace { span, text, .. }| {
            Diagnostic::warning(
                codes::DEAD_NESTED_ARM,
                format!("this arm inside the rule can never fire: `{text}` is never true here"),
                span,
                "never true for the inputs' declared ranges",
            )
            .with_help("remove the arm, or fix its condition or the input's declared range")
        })
        .collect()
}
