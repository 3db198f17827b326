//! W0102: an arm of the item's top-level `when` that can never fire — the inputs' declared
//! ranges rule it out (an arm ruled out by the arms above it is W0109; a nested arm W0110).

use crate::check::ranges::{ArmFate, ItemFacts};
use crate::diagnostic::{codes, Diagnostic};
use crate::syntax::ast::{self, ExprKind};

pub(super) fn check(decl: &ast::ItemDecl, facts: &ItemFacts) -> Vec<Diagnostic> {
    let ExprKind::When { arms, .. } = &decl.body.kind else {
        return Vec::new();
    };
    let Some(fates) = facts.whens.first() else {
        return Vec::new();
    };
    fates
        .iter()
        .enumerate()
        .filter(|(_, f)| **f == ArmFate::Impossible)
        .filter_map(|(k, _)| arms.get(k))
        .map(|arm| {
            Diagnostic::warning(
                codes::IMPOSSIBLE_ARM,
                "this `when` arm can never fire",
                arm.condition.span,
                "never true here",
            )
            .with_help("the inputs' declared ranges rule it out; remove it or fix the condition")
        })
        .collect()
}
