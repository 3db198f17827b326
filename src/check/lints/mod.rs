//! Static checks over the range analysis and the resolved policy: one file each, each with
//! its entry in docs/errors.md. Warnings can be allowed on one item with
//! `allow CODE "reason"`; the two sign checks are errors. Lints written outside any item (a
//! section cap, a requirement, a veto) cannot be allowed.
//!
//! W0101 (a `match` arm that can never be taken) is found while proving a `match`
//! exhaustive, in `check/matching.rs`.

mod cap_never_binds;
mod constant_condition;
mod dead_nested_arm;
mod impossible_arm;
mod never_scores;
mod points_sign;
mod section_cap_never_binds;
mod shadowed_arm;
mod standard_unreachable;
mod test_names;
mod unused;
mod unused_enums;

use super::ranges::{ArmFate, Facts, ItemFacts};
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
    let printer = crate::rules::print::Printer::new(ruleset);
    for item in &facts.items {
        let (def, info) = (&ruleset.items[item.index as usize], &checker.items[item.index as usize]);
        out.extend(cap_never_binds::check(ruleset, def, info.decl, info.deduction, item));
        out.extend(points_sign::check(def, info.decl, info.deduction, item));
        out.extend(never_scores::check(def, info.decl, info.deduction, item));
        out.extend(impossible_arm::check(info.decl, item));
        out.extend(shadowed_arm::check(def, info.decl, item, &printer));
        out.extend(dead_nested_arm::check(def, info.decl, item, &printer));
        out.extend(constant_condition::preconditions(info.decl, item));
    }
    out.extend(test_names::check(policy));
    if checker.broken_items.is_empty() {
        out.extend(standard_unreachable::check(ruleset, policy, facts));
        out.extend(section_cap_never_binds::check(ruleset, policy, facts));
        out.extend(constant_condition::rules(ruleset, policy, facts));
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

/// One `when` arm the range analysis judged, where to point at it.
struct ArmPlace {
    span: crate::source::Span,
    /// Its condition, in policy syntax.
    text: String,
    /// Inside the rule rather than its top-level `when`.
    nested: bool,
}

/// The arms of an item's `when`s (nested ones too) whose fate is `fate`. The compiled rule
/// and the written one list their `when`s in the same order unless a `let` brought one in
/// or a constant one was folded away: then each is shown at the item's name.
fn arm_places(
    def: &crate::rules::ItemDef,
    decl: &ast::ItemDecl,
    facts: &ItemFacts,
    printer: &crate::rules::print::Printer<'_>,
    fate: ArmFate,
) -> Vec<ArmPlace> {
    let mut ir = Vec::new();
    ir_whens(&def.body, &mut ir);
    let mut written = Vec::new();
    ast_whens(&decl.body, &mut written);
    let aligned = written.len() == ir.len();
    let top_is_when = matches!(def.body.kind, crate::rules::ExprKind::When { .. });
    let mut out = Vec::new();
    for (w, (fates, arms)) in facts.whens.iter().zip(&ir).enumerate() {
        for (k, _) in fates.iter().enumerate().filter(|(_, f)| **f == fate) {
            let Some((cond, _)) = arms.get(k) else { continue };
            let span = match written.get(w).and_then(|a| a.get(k)) {
                Some(arm) if aligned => arm.condition.span,
                _ => decl.name.span,
            };
            out.push(ArmPlace { span, text: printer.expr(cond), nested: w > 0 || !top_is_when });
        }
    }
    out
}

fn ir_whens<'e>(e: &'e crate::rules::Expr, out: &mut Vec<&'e [(crate::rules::Expr, crate::rules::Expr)]>) {
    if let crate::rules::ExprKind::When { arms, .. } = &e.kind {
        out.push(arms);
    }
    e.children().for_each(|c| ir_whens(c, out));
}

fn ast_whens<'e>(e: &'e ast::Expr, out: &mut Vec<&'e [ast::WhenArm]>) {
    use ast::ExprKind as K;
    match &e.kind {
        K::Number(_) | K::Bool(_) | K::Name(_) | K::Qualified { .. } | K::Date(_) => {}
        K::Each(each) => {
            each.body.iter().chain(&each.filter).for_each(|x| ast_whens(x, out));
        }
        K::Unary(_, a) => ast_whens(a, out),
        K::Binary(_, a, b) => {
            ast_whens(a, out);
            ast_whens(b, out);
        }
        K::Per { rate, operand, .. } => {
            ast_whens(rate, out);
            ast_whens(operand, out);
        }
        K::In { value, set, .. } => {
            ast_whens(value, out);
            set.iter().for_each(|x| ast_whens(x, out));
        }
        K::Call { args, .. } => args.iter().for_each(|x| ast_whens(x, out)),
        K::When { arms, otherwise } => {
            out.push(arms);
            for arm in arms {
                ast_whens(&arm.condition, out);
                ast_whens(&arm.result, out);
            }
            ast_whens(otherwise, out);
        }
        K::Match { scrutinee, arms } => {
            scrutinee.iter().for_each(|x| ast_whens(x, out));
            arms.iter().for_each(|a| ast_whens(&a.result, out));
        }
    }
}
