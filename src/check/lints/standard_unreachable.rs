//! W0105: a standard no applicant can reach — the most any applicant can score (each
//! item's highest points, exclusive groups by their best, section caps applied) is below it.

use crate::check::ranges::{Ext, Facts};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::RuleSet;
use crate::syntax::ast;

pub(super) fn check(ruleset: &RuleSet, policy: &ast::PolicyFile, facts: &Facts) -> Option<Diagnostic> {
    let standard = ruleset.standard?;
    if facts.best_total >= Ext::Fin(ruleset.points_decimal(standard)) {
        return None;
    }
    let (_, span) = policy.header.standard?;
    let label = match facts.best_total {
        Ext::Fin(d) => format!("the most any applicant can score is {}", d.normalize()),
        _ => "no applicant scores this much".to_string(),
    };
    Some(
        Diagnostic::warning(
            codes::STANDARD_UNREACHABLE,
            format!("no applicant can reach the standard of {}", ruleset.show_points(standard)),
            span,
            label,
        )
        .with_help("lower the standard or check the items' points"),
    )
}
