//! Static checks over the range analysis and the resolved policy: one file each, each with
//! its entry in docs/errors.md. Warnings can be allowed on one item with
//! `allow CODE "reason"`; the two sign checks are errors.
//!
//! W0101 (a `match` arm that can never be taken) is found while proving a `match`
//! exhaustive, in `check/matching.rs`.

mod cap_never_binds;
mod impossible_arm;
mod never_scores;
mod points_sign;
mod standard_unreachable;
mod test_names;
mod unused;
mod unused_enums;

use super::ranges::Facts;
use super::Checker;
use crate::diagnostic::Diagnostic;
use crate::rules::RuleSet;
use crate::syntax::ast;

/// Every lint's findings for a checked policy.
pub(super) fn run(
    ruleset: &RuleSet,
    checker: &Checker<'_>,
    policy: &ast::PolicyFile,
    facts: &Facts,
    no_errors: bool,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in &facts.items {
        let (def, info) = (&ruleset.items[item.index as usize], &checker.items[item.index as usize]);
        out.extend(cap_never_binds::check(ruleset, def, info.decl, info.deduction, item));
        out.extend(points_sign::check(def, info.decl, info.deduction, item));
        out.extend(never_scores::check(def, info.decl, info.deduction, item));
        out.extend(impossible_arm::check(info.decl, item));
    }
    out.extend(test_names::check(policy));
    if checker.broken_items.is_empty() {
        out.extend(standard_unreachable::check(ruleset, policy, facts));
    }
    // After an error a use may be the misspelt one: "never read" would only echo it.
    if no_errors {
        out.extend(unused::check(checker));
        if checker.broken_items.is_empty() {
            out.extend(unused_enums::check(ruleset, &checker.enums.iter().map(|e| e.span).collect::<Vec<_>>()));
        }
    }
    out
}
