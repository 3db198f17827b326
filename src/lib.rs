//! jifen: a rules-authoring language and compiler for the Shanghai residence-permit
//! points system (上海市居住证积分).
//!
//! ```
//! let policy = jifen::bundled_policy().expect("the bundled policy compiles");
//! let applicant = policy
//!     .applicant_from_json(r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#)
//!     .expect("a valid applicant");
//! let outcome = policy.evaluate(&applicant).expect("evaluates");
//! assert_eq!(outcome.total, 120);
//! assert!(outcome.meets_standard);
//! ```
//!
//! The public API, in the order a policy goes through it:
//!
//! - [`check_with`] checks a policy's text into a [`Report`]: the [`RuleSet`] when it
//!   compiles, and every [`Diagnostic`] ([`Diagnostics`]). What it `extends` is read through
//!   a [`Loader`] ([`FsLoader`], [`MemoryLoader`]; [`extends_path`] names the file). [`compile`],
//!   [`compile_bundled`] and [`bundled_policy`] are the short ways to a rule set.
//! - [`syntax`] parses text into the spanned AST ([`syntax::parse`], [`syntax::ast`]);
//!   [`source`] holds the files read and the spans into them; [`diagnostic`] is the one
//!   diagnostic model and its renderers; [`i18n`] chooses the language they are rendered in.
//! - [`rules`] is the compiled IR: [`RuleSet`] and the declarations it holds.
//! - Evaluating: [`RuleSet::applicant_from_json`] (or `_toml`, `_fields`) reads an
//!   [`Applicant`] or says what is wrong ([`ApplicantError`]); [`RuleSet::evaluate`] gives its
//!   [`Outcome`] (items, sections, groups) or an [`EvalError`]. To score many applicants,
//!   prepare the rule set once with [`RuleSet::scorer`]: a [`Scorer`] fills [`Scores`].
//! - [`testing`] runs the policy's own tests and measures their coverage; [`mutants`] how
//!   well they catch a changed rule.
//! - [`diff`] compares two policies, [`plan`] finds the smallest changes that let an
//!   applicant meet the standard, [`docgen`] prints the indicator table (Markdown, HTML).
//! - `cli` (feature `cli`, on by default) is the `jifen` command: `cli::main`.
//!
//! Everything else is internal to the crate. (`internals`, hidden from these docs, is a door
//! for jifen's own tests, benches and fuzz targets, not a stable API.)
#![forbid(unsafe_code)]
// An item marked `pub` inside the crate's internal modules is caught: it says `pub(crate)`.
#![warn(unreachable_pub)]
// The language server, the HTTP server and the JSON reports are run by the command: without
// `cli` (the core library, the fuzz targets) the parts only it calls are unused. With `cli`,
// as clippy runs in CI, unused code is still an error.
#![cfg_attr(not(feature = "cli"), allow(dead_code))]
// No panics by construction: a value that may be missing is handled, not unwrapped.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

/// `eprintln!`, but when standard error cannot be written (closed, as by `2>&1 | head`)
/// the line is dropped instead of the process panicking.
#[cfg(any(feature = "cli", feature = "serve"))]
macro_rules! stderr_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!`, likewise.
#[cfg(any(feature = "cli", feature = "serve"))]
macro_rules! stderr_text {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

// The public API: the stages a caller drives (see the crate documentation above).
pub mod diagnostic;
pub mod diff;
pub mod docgen;
pub mod i18n;
pub mod mutants;
pub mod plan;
pub mod rules;
pub mod source;
pub mod syntax;
pub mod testing;

/// The `jifen` command (src/cli/); its one public item is [`cli::main`].
#[cfg(feature = "cli")]
pub mod cli;

// Internal: reached through the functions and types re-exported below.
pub(crate) mod applicant;
pub(crate) mod check;
pub(crate) mod date;
pub(crate) mod eval;
pub(crate) mod fmt;
pub(crate) mod load;
#[cfg(feature = "lsp")]
pub(crate) mod lsp;
pub(crate) mod population;
#[cfg(feature = "cli")]
pub(crate) mod rank;
// Outcomes and inputs as the JSON of `jifen score` and of `jifen serve`.
#[cfg(any(feature = "cli", feature = "serve"))]
pub(crate) mod report;
#[cfg(feature = "serve")]
pub(crate) mod serve;

use std::collections::HashMap;

pub use applicant::{ApplicantError, RawValue};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use eval::{
    Applicant, EvalError, GroupOutcome, ItemOutcome, Outcome, Rows, Scorer, Scores, SectionOutcome, Status,
};
pub use load::{extends_path, FsLoader, Loader, MemoryLoader};
pub use rules::RuleSet;

/// For jifen's own tests, benches and fuzz targets; not a stable API: anything here may
/// change or go without notice. Each item is one the test suite drives directly and no
/// caller of the library needs.
#[doc(hidden)]
pub mod internals {
    /// Rows of applicants read from files, and the seeded generator behind `jifen gen`.
    pub mod population {
        pub use crate::population::{
            generate_row, FactColumns, Model, RawRow, Rng, RowFormat, RowParser, RowReader, TextValues,
        };
    }
    /// Reading an applicant's JSON and its numbers.
    pub mod applicant {
        pub use crate::applicant::{exact_decimal, json_entries, FastInputs, NumberProblem};
    }
    /// Dates as days since 1970-01-01.
    pub mod date {
        pub use crate::date::{format, parse};
    }
    /// `jifen fmt` and `jifen fmt --fix`.
    pub mod fmt {
        pub use crate::fmt::{fix::fix_source, format_source, FormatError};
    }
    /// The Chinese catalogue's matching, for the test that every message is translated.
    pub mod i18n {
        pub use crate::i18n::{english_residue, translate};
    }
    /// The one bounded read of a file.
    pub mod load {
        pub use crate::load::read::utf8;
    }
    /// `jifen serve`: a server on a port of its own, and the functions its handlers call.
    #[cfg(feature = "serve")]
    pub mod serve {
        pub use crate::serve::{api, guard::Hosts, start, start_with, Config, Running};
    }
    /// `jifen lsp`: the framed-message reader.
    #[cfg(feature = "lsp")]
    pub mod lsp {
        pub use crate::lsp::transport::{Incoming, MessageReader};
    }
}

/// The policies shipped inside the binary, by file name.
pub const BUNDLED: &[(&str, &str)] = &[
    ("policies/2024.policy", include_str!("../policies/2024.policy")),
    ("policies/2025.policy", include_str!("../policies/2025.policy")),
];

/// Name of the policy used when none is given.
pub const DEFAULT_POLICY: &str = "policies/2025.policy";

/// The result of checking a policy: the rule set when it compiled, and every
/// diagnostic (errors and warnings) with the sources they point into.
#[derive(Debug)]
pub struct Report {
    pub ruleset: Option<RuleSet>,
    pub diagnostics: Diagnostics,
}

/// Check a policy, resolving `extends` with `loader`.
pub fn check_with(name: &str, source: &str, loader: &dyn Loader) -> Report {
    check_keeping(name, source, loader, None).0
}

/// What one check saw, for a tool that shows the policy as written (the language server):
/// the report, the document as parsed (before its parents are applied; present even with
/// syntax errors when the parser recovered a policy), the merged policy it was checked as,
/// and what the checker resolved each name to (`None` when the policy could not be checked:
/// a syntax error, a parent that cannot be loaded). The document is parsed once for all.
#[derive(Debug)]
pub(crate) struct Analysed {
    pub(crate) report: Report,
    pub(crate) document: Option<syntax::ast::PolicyFile>,
    pub(crate) merged: Option<syntax::ast::PolicyFile>,
    pub(crate) resolved: Option<check::Resolved>,
}

/// [`check_with`], keeping the syntax trees and the names resolved (see [`Analysed`]).
pub(crate) fn analyse_with(name: &str, source: &str, loader: &dyn Loader) -> Analysed {
    let mut document = None;
    let (report, merged, resolved) = check_keeping(name, source, loader, Some(&mut document));
    Analysed { report, document, merged, resolved }
}

fn check_keeping(
    name: &str,
    source: &str,
    loader: &dyn Loader,
    document: Option<&mut Option<syntax::ast::PolicyFile>>,
) -> (Report, Option<syntax::ast::PolicyFile>, Option<check::Resolved>) {
    let mut sources = source::SourceMap::new();
    let mut list = Vec::new();
    let merged = load::load_keeping(name, source, loader, &mut sources, &mut list, document);
    let mut ruleset = None;
    let mut resolved = None;
    if let Some(policy) = &merged {
        if !list.iter().any(Diagnostic::is_error) {
            let (rs, found, names) = check::check(policy, &sources);
            list.extend(found);
            ruleset = rs;
            resolved = Some(names);
        }
    }
    if list.iter().any(Diagnostic::is_error) {
        ruleset = None;
    }
    (Report { ruleset, diagnostics: Diagnostics { sources, list } }, merged, resolved)
}

/// Compile a policy; `extends` is resolved against the file system, relative to `name`.
/// Warnings are dropped; use [`check_with`] to see them.
pub fn compile(name: &str, source: &str) -> Result<RuleSet, Diagnostics> {
    let report = check_with(name, source, &FsLoader);
    report.ruleset.ok_or(report.diagnostics)
}

/// A loader over the bundled policies.
pub fn bundled_loader() -> MemoryLoader {
    MemoryLoader { files: BUNDLED.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect::<HashMap<_, _>>() }
}

/// Compile one of the bundled policies by file name (e.g. `policies/2024.policy`).
pub fn compile_bundled(name: &str) -> Result<RuleSet, Diagnostics> {
    let text = BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).unwrap_or("");
    let report = check_with(name, text, &bundled_loader());
    report.ruleset.ok_or(report.diagnostics)
}

/// The bundled 2025 policy, compiled.
pub fn bundled_policy() -> Result<RuleSet, Diagnostics> {
    compile_bundled(DEFAULT_POLICY)
}
