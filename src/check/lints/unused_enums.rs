//! Lint W0106 for enums: an enum whose variants nothing can read.
//!
//! Within an enum that some input has, every variant is read: a `match` must name each one
//! (or cover it with `_`), and a comparison sends the others to `else` on purpose. So the
//! variants nothing reads are those of an enum that no input has.

use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{InputType, RuleSet};
use crate::source::Span;

/// `enum_spans[e]` is where enum `e` is declared.
pub(super) fn check(rs: &RuleSet, enum_spans: &[Span]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (e, def) in rs.enums.iter().enumerate() {
        let read = rs
            .inputs
            .iter()
            .chain(rs.records.iter().flat_map(|r| &r.fields))
            .any(|i| i.ty == InputType::Enum(e as u16))
            || rs.params.iter().any(|p| matches!(p.value, crate::rules::Value::Enum(_)));
        let Some(span) = enum_spans.get(e) else { continue };
        if !read {
            out.push(
                Diagnostic::warning(
                    codes::UNUSED,
                    format!("enum `{}` is never read: no input has this type", def.name),
                    *span,
                    "declared here, read nowhere",
                )
                .with_help("give an input this type, or remove the enum"),
            );
        }
    }
    out
}
