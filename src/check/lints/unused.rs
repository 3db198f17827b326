//! W0106: an input or a parameter nothing reads.

use crate::check::Checker;
use crate::diagnostic::{codes, Diagnostic};

pub(super) fn check(checker: &Checker<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (slot, used) in checker.used_inputs.iter().enumerate() {
        if !used && !checker.unread_after_remove.iter().any(|n| **n == *checker.inputs[slot].name) {
            out.push(
                Diagnostic::warning(
                    codes::UNUSED,
                    format!("input `{}` is never read", checker.inputs[slot].name),
                    checker.input_spans[slot],
                    "declared here, read nowhere",
                )
                .with_help("use it in an item, precondition, eligibility rule or veto, or remove it"),
            );
        }
    }
    for (index, used) in checker.used_params.iter().enumerate() {
        if !used {
            out.push(
                Diagnostic::warning(
                    codes::UNUSED,
                    format!("parameter `{}` is never read", checker.param_defs[index].name),
                    checker.params[index].span,
                    "declared here, read nowhere",
                )
                .with_help("use it or remove it"),
            );
        }
    }
    out
}
