//! W0111: a section cap that can never bind — the most its items can sum (each `best_of`
//! group by its best member) is within the cap. Written on the section, outside any item,
//! so it cannot be allowed on one.

use rust_decimal::Decimal;

use crate::check::ranges::{show_bound, Ext, Facts};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::RuleSet;
use crate::syntax::ast;

pub(super) fn check(ruleset: &RuleSet, policy: &ast::PolicyFile, facts: &Facts) -> Vec<Diagnostic> {
    let decls: Vec<&ast::SectionDecl> = policy
        .decls
        .iter()
        .filter_map(|d| match d {
            ast::Decl::Section(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for &(s, most) in &facts.sections {
        let Some(section) = ruleset.sections.get(s as usize) else { continue };
        let Some(cap) = section.cap else { continue };
        let Some(decl) = decls.iter().find(|d| d.name.name == *section.id) else { continue };
        let Some(cap_expr) = &decl.cap else { continue };
        let limit = Ext::Fin(Decimal::from(cap));
        let binds = if section.deduction { most < limit.neg() } else { most > limit };
        if binds {
            continue;
        }
        let what = if section.deduction { "deduct" } else { "sum to" };
        out.push(
            Diagnostic::warning(
                codes::SECTION_CAP_NEVER_BINDS,
                format!("the cap of section `{}` can never bind", section.id),
                cap_expr.span,
                format!(
                    "its items {what} at most {} here",
                    show_bound(if section.deduction { most.neg() } else { most })
                ),
            )
            .with_help("remove the cap, or check the items' caps and the inputs' ranges"),
        );
    }
    out
}
