//! `jifen doc`: the indicator table of a policy, for people (Markdown, or a standalone HTML page).

use super::exit;
use super::input::load_policy;
use super::output::Output;

/// Render a policy's indicator table as Markdown or a standalone HTML page
///
/// The table is read from the compiled policy: header, yearly parameters, every item's points
/// rule in words, caps, preconditions, exclusive groups, deductions, vetoes, eligibility and
/// inputs.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen doc policies/2025.policy -o docs/2025.md\n  \
jifen doc --html policies/2025.policy -o 2025.html\n  jifen doc | less            # the bundled 2025 policy\n\n\
Markdown by default (GitHub tables); --html writes one page with its CSS inline and no external resources.\n\
Exit codes: 0 written, 2 the policy does not compile, 4 a file not readable or writable.")]
pub(crate) struct Args {
    /// Policy file (default: the bundled 2025 policy).
    pub policy: Option<String>,
    /// Write a standalone HTML page instead of Markdown.
    #[arg(long)]
    pub html: bool,
    /// Output file (default: standard output). Written whole or not at all.
    #[arg(short, long)]
    pub output: Option<String>,
}

pub(crate) fn run(args: Args) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let page = if args.html { crate::docgen::html(&ruleset) } else { crate::docgen::markdown(&ruleset) };
    let written = Output::create(args.output.as_deref()).and_then(|mut out| {
        out.write(page.as_bytes())?;
        out.commit()
    });
    match written {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}
