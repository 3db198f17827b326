//! W0102: a `when` arm that can never fire — the inputs' declared ranges or the arms above
//! it rule it out (for the item's top-level `when`).

use crate::check::ranges::ItemFacts;
use crate::diagnostic::{codes, Diagnostic};
use crate::syntax::ast::{self, ExprKind};

pub(super) fn check(decl: &ast::ItemDecl, facts: &ItemFacts) -> Vec<Diagnostic> {
    let ExprKind::When { arms, .. } = &decl.body.kind else {
        return Vec::new();
    };
    facts
        .dead_arms
        .iter()
        .filter_map(|k| arms.get(*k))
        .map(|arm| {
            Diagnostic::warning(
                codes::IMPOSSIBLE_ARM,
                "this `when` arm can never fire",
                arm.condition.span,
                "never true here",
            )
            .with_help("the inputs' declared ranges or the arms above rule it out; remove it or fix the condition")
        })
        .collect()
}
