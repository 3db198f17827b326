//! `allow CODE "reason"` on items: drop the warnings they silence, then check the allows
//! themselves (a known lint code, a reason, something silenced).

use super::Checker;
use crate::diagnostic::{codes, Code, Diagnostic, REGISTRY};
use crate::source::Span;
use crate::syntax::ast;

impl<'a> Checker<'a> {
    /// Drop the warnings an item allows (`allow W0103 "reason"`), and check the allows.
    pub(super) fn apply_allows(&mut self) {
        let mut problems = Vec::new();
        let mut used = vec![false; self.items.iter().map(|i| i.decl.allows.len()).sum()];
        let allows: Vec<(&ast::Allow, Span)> =
            self.items.iter().flat_map(|i| i.decl.allows.iter().map(move |a| (a, i.decl.span))).collect();
        self.diags.retain(|d| {
            if d.is_error() {
                return true;
            }
            let s = d.primary.span;
            let hit = allows.iter().position(|(a, item)| {
                d.code == a.code.as_str() && item.file == s.file && item.start <= s.start && s.end <= item.end
            });
            if let Some(k) = hit {
                used[k] = true;
            }
            hit.is_none()
        });
        for (k, (allow, _)) in allows.iter().enumerate() {
            // Lints that point inside an item, as the registry says (others point at declarations).
            if !Code::parse(&allow.code).and_then(Code::info).is_some_and(|i| i.allowable) {
                problems.push(
                    Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        format!("`{}` is not a lint code", allow.code),
                        allow.code_span,
                        "unknown lint",
                    )
                    .with_help(format!(
                        "lints that can be allowed: {}",
                        REGISTRY.iter().filter(|i| i.allowable).map(|i| i.code.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                );
            } else if allow.reason.value.trim().is_empty() {
                problems.push(
                    Diagnostic::error(codes::SYNTAX, "an `allow` needs a reason", allow.reason.span, "empty reason")
                        .with_help(
                            "say why the lint does not apply here, e.g. \"the cap is the statute's, kept for clarity\"",
                        ),
                );
            } else if !used[k] {
                problems.push(
                    Diagnostic::warning(
                        codes::UNUSED,
                        format!("`allow {}` silences nothing here", allow.code),
                        allow.code_span,
                        "no such warning on this item",
                    )
                    .with_help("remove the `allow`"),
                );
            }
        }
        self.diags.extend(problems);
    }
}
