//! `jifen fmt --fix`: apply the machine-applicable suggestions of the diagnostics
//! (`Diagnostic::fix`), round after round, then lay the result out as `jifen fmt` does.
//!
//! A round checks the text as `jifen check` does and applies every suggestion that points
//! into the file itself and overlaps no other, from the end of the file backwards (so the
//! offsets of the ones before stay true). A syntax error hides the ones after it, so the
//! next round checks again; the rounds stop when none applies, the text stops changing or
//! after [`MAX_ROUNDS`].

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::load::Loader;
use crate::source::FileId;

/// Rounds of check-and-apply at most: one for the look-alike characters (all reported at
/// once) and one for each syntax error hidden behind another.
pub(crate) const MAX_ROUNDS: usize = 8;

/// One suggestion applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The round it was applied in (1-based); its line and column are in the text of that round.
    pub round: usize,
    /// 1-based line and column (in characters) of what was replaced.
    pub line: usize,
    pub column: usize,
    /// The diagnostic's message, as the user reads it (localised).
    pub message: String,
    /// What was there, and what replaced it.
    pub was: String,
    pub replacement: String,
}

/// The result of fixing a file.
#[derive(Debug)]
pub struct Fixed {
    /// The text with the suggestions applied, in the canonical layout if it parses.
    pub text: String,
    pub applied: Vec<Applied>,
    /// Whether `text` is in `jifen fmt`'s layout (false when it still has syntax errors).
    pub formatted: bool,
    /// What checking `text` finds: the diagnostics no suggestion could remove.
    pub remaining: Diagnostics,
}

/// Apply the suggestions of the diagnostics of `text` (checked as `name`, `extends`
/// resolved by `loader`), then format it if it parses. Errors of `jifen fmt` itself (a
/// comment it cannot keep) leave the fixed text unformatted, as the text was fixed.
pub fn fix_source(name: &str, text: &str, loader: &dyn Loader) -> Fixed {
    let mut current = text.to_string();
    let mut applied = Vec::new();
    // A bound on growth: a suggestion copies text of the file at most, so this only stops
    // a run of suggestions that would feed on each other.
    let limit = text.len().saturating_mul(2).saturating_add(4096);
    for round in 1..=MAX_ROUNDS {
        let report = crate::check_with(name, &current, loader);
        let (next, done) = apply_round(&current, &report.diagnostics, round);
        if done.is_empty() || next == current || next.len() > limit {
            break;
        }
        applied.extend(done);
        current = next;
    }
    let (text, formatted) = match super::format_source(name, &current) {
        Ok(formatted) => (formatted, true),
        Err(_) => (current, false),
    };
    let remaining = crate::check_with(name, &text, loader).diagnostics;
    Fixed { text, applied, formatted, remaining }
}

/// The text with every suggestion of `diagnostics` into the file itself (file 0) that
/// overlaps no other applied, and what was applied.
fn apply_round(text: &str, diagnostics: &Diagnostics, round: usize) -> (String, Vec<Applied>) {
    let mut fixes: Vec<(usize, usize, &str, &Diagnostic)> = diagnostics
        .list
        .iter()
        .filter_map(|d| {
            let (span, replacement) = d.fix.as_ref()?;
            let (start, end) = (span.start as usize, span.end as usize);
            // Only the file itself, and only a range that is a piece of its text.
            (span.file == FileId(0) && start <= end && text.get(start..end).is_some()).then_some((
                start,
                end,
                replacement.as_str(),
                d,
            ))
        })
        .collect();
    fixes.sort_by_key(|(start, end, _, _)| (*start, *end));
    // Keep those that overlap none kept before; two at the same place wait for the next round.
    let mut kept: Vec<(usize, usize, &str, &Diagnostic)> = Vec::new();
    for fix in fixes {
        if kept.last().is_none_or(|last| fix.0 >= last.1 && fix.0 > last.0) {
            kept.push(fix);
        }
    }
    let mut out = text.to_string();
    let mut applied = Vec::new();
    for &(start, end, replacement, d) in kept.iter().rev() {
        if &text[start..end] == replacement {
            continue;
        }
        out.replace_range(start..end, replacement);
        let (line, column) = diagnostics.sources.line_col(FileId(0), start as u32);
        applied.push(Applied {
            round,
            line,
            column,
            message: crate::i18n::localize(d).message.clone(),
            was: text[start..end].to_string(),
            replacement: replacement.to_string(),
        });
    }
    applied.reverse();
    (out, applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryLoader;

    fn fix(text: &str) -> Fixed {
        fix_source("a.policy", text, &MemoryLoader { files: Default::default() })
    }

    #[test]
    fn overlapping_suggestions_wait_for_the_next_round() {
        use crate::diagnostic::codes;
        use crate::source::{SourceMap, Span};
        let mut sources = SourceMap::new();
        let file = sources.add("a.policy", "abcdef");
        let d = |s, e, with: &str| {
            Diagnostic::error(codes::SYNTAX, "m", Span::new(file, s, e), "l").with_fix(Span::new(file, s, e), with)
        };
        // [1,3) and [2,4) overlap: the first is kept; [4,4) is an insertion after both.
        let list = vec![d(2, 4, "Y"), d(1, 3, "X"), d(4, 4, "+"), d(4, 5, "Z")];
        let (text, applied) = apply_round("abcdef", &Diagnostics { sources, list }, 1);
        // a + X (for bc) + d + `+` + ef: [4,5) waits, it starts where the insertion is.
        assert_eq!(text, "aXd+ef");
        assert_eq!(applied.len(), 2);
        assert_eq!((applied[0].was.as_str(), applied[0].replacement.as_str()), ("bc", "X"));
    }

    #[test]
    fn a_clean_file_is_only_formatted() {
        let fixed = fix("policy p \"p\" {   year 2025 }\n");
        assert!(fixed.applied.is_empty());
        assert!(fixed.formatted);
    }
}
