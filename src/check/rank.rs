//! The `rank { … }` declaration: what it ranks by must exist, tie-breaks are inputs named
//! once each, and a quota admits someone.

use std::collections::HashMap;

use super::Checker;
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{self, InputType, RuleSet};
use crate::source::Span;
use crate::syntax::ast::{self, Decl, RankBy};

impl Checker<'_> {
    /// The policy's ranking, if it declares one (E0701 for a second one).
    pub(super) fn rank(&mut self, policy: &ast::PolicyFile, ruleset: &RuleSet) -> Option<rules::RankDef> {
        let mut declared = policy.decls.iter().filter_map(|d| match d {
            Decl::Rank(r) => Some(r),
            _ => None,
        });
        let first = declared.next()?;
        for again in declared {
            self.error(
                Diagnostic::error(
                    codes::RANK_TWICE,
                    "the policy declares its ranking twice",
                    again.span,
                    "second `rank` here",
                )
                .with_label(first.span, "first `rank` here")
                .with_help(
                    "keep one `rank`; in a policy that extends another, write `override rank { … }` to replace the inherited one",
                ),
            );
        }
        let mut broken = false;
        let section = match &first.by {
            RankBy::Total(_) => None,
            RankBy::Section(name) => {
                let found = self.rank_section(name, ruleset);
                broken |= found.is_none();
                found
            }
        };
        let mut then = Vec::new();
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for tie in &first.then {
            if let Some(&earlier) = seen.get(tie.input.name.as_str()) {
                self.error(
                    Diagnostic::error(
                        codes::TIE_BREAK_TWICE,
                        format!("the ranking breaks ties by `{}` twice", tie.input.name),
                        tie.span,
                        "named again here",
                    )
                    .with_label(earlier, "first named here")
                    .with_help("the second time can never decide anything: remove it"),
                );
                broken = true;
                continue;
            }
            seen.insert(&tie.input.name, tie.span);
            match self.tie_break_input(&tie.input, ruleset) {
                Some(slot) => then.push(rules::TieBreakDef { slot, descending: tie.descending }),
                None => broken = true,
            }
        }
        let quota = match first.quota {
            Some((q, span)) if q < 1 => {
                self.error(
                    Diagnostic::error(codes::QUOTA_BELOW_ONE, format!("a quota of {q} admits no one"), span, "here")
                        .with_help(
                            "give the number of places (at least 1), or remove `quota` to rank without admitting",
                        ),
                );
                broken = true;
                None
            }
            Some((q, _)) => Some(q as u64),
            None => None,
        };
        (!broken).then(|| rules::RankDef {
            label: first.label.as_ref().map(|l| l.value.clone()),
            section,
            then,
            quota,
            admit_ties: first.admit_ties,
        })
    }

    fn rank_section(&mut self, name: &ast::Ident, ruleset: &RuleSet) -> Option<u16> {
        let found = ruleset.sections.iter().position(|s| *s.id == *name.name);
        if found.is_none() {
            let help = match self.suggest(&name.name, ruleset.sections.iter().map(|s| &*s.id)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "name a section of this policy, or rank `by total`".to_string(),
            };
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("the ranking is by section `{}`, which the policy does not declare", name.name),
                    name.span,
                    "no such section",
                )
                .with_help(help),
            );
        }
        found.map(|i| i as u16)
    }

    fn tie_break_input(&mut self, name: &ast::Ident, ruleset: &RuleSet) -> Option<u16> {
        let Some(slot) = ruleset.input_slot(&name.name) else {
            if !self.failed_inputs.contains(&name.name) {
                let help = match self.suggest(&name.name, ruleset.inputs.iter().map(|i| &*i.name)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "ties are broken by inputs declared in `input { … }`".to_string(),
                };
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        format!("the ranking breaks ties by `{}`, which is not an input", name.name),
                        name.span,
                        "not an input",
                    )
                    .with_help(help),
                );
            }
            return None;
        };
        if !orders(ruleset.inputs[slot].ty) {
            self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("`{}` has no order: ties cannot be broken by it", name.name),
                    name.span,
                    "not a single value",
                )
                .with_help("break ties by a number, a date, a yes/no fact or an enum"),
            );
            return None;
        }
        // Ranking reads it: not an unread input (W0106).
        if let Some(used) = self.used_inputs.get_mut(slot) {
            *used = true;
        }
        Some(slot as u16)
    }
}

/// Whether values of an input's type compare (a list does not).
fn orders(ty: InputType) -> bool {
    match ty {
        InputType::Int { .. } | InputType::Decimal { .. } | InputType::Bool | InputType::Enum(_) | InputType::Date => {
            true
        }
        InputType::List { .. } => false,
    }
}
