//! W0112 and W0113: a precondition (W0112), an eligibility requirement or a veto (W0113)
//! that is always true or never true for the inputs' declared ranges (`x or not x`,
//! `age >= 0` when age is `0..`). Preconditions sit in an item and can be allowed there.

use crate::check::ranges::{Facts, ItemFacts};
use crate::diagnostic::{codes, Code, Diagnostic};
use crate::rules::RuleSet;
use crate::source::Span;
use crate::syntax::ast;

fn finding(code: Code, what: &str, span: Span, (can_true, can_false): (bool, bool)) -> Option<Diagnostic> {
    let (always, label) = match (can_true, can_false) {
        (true, false) => ("always true", "true for every applicant"),
        (false, true) => ("never true", "false for every applicant"),
        _ => return None,
    };
    let help = if can_true {
        "it decides nothing: remove it, or fix the condition or the inputs' declared ranges"
    } else {
        "it can never hold for anyone: fix the condition or the inputs' declared ranges"
    };
    Some(Diagnostic::warning(code, format!("this {what} is {always}"), span, label).with_help(help))
}

pub(super) fn preconditions(decl: &ast::ItemDecl, facts: &ItemFacts) -> Vec<Diagnostic> {
    decl.requires
        .iter()
        .zip(&facts.preconditions)
        .filter_map(|(req, truth)| finding(codes::CONSTANT_PRECONDITION, "precondition", req.condition.span, *truth))
        .collect()
}

pub(super) fn rules(ruleset: &RuleSet, policy: &ast::PolicyFile, facts: &Facts) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for decl in &policy.decls {
        let (list, truths, defs, what) = match decl {
            ast::Decl::Eligibility(r) => (r, &facts.eligibility, &ruleset.eligibility, "requirement"),
            ast::Decl::Vetoes(r) => (r, &facts.vetoes, &ruleset.vetoes, "veto"),
            _ => continue,
        };
        for rule in list {
            let Some(k) = defs.iter().position(|d| *d.id == *rule.name.name) else { continue };
            let Some(truth) = truths.get(k) else { continue };
            out.extend(finding(codes::CONSTANT_RULE, what, rule.condition.span, *truth));
        }
    }
    out
}
