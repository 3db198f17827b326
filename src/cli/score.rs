//! `jifen score`: score one applicant.

use std::path::Path;

use clap::ValueEnum;

use super::input::{load_policy, read};
use super::render::outcome_table;
use super::{exit, fail, stdout_color, Format};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InputFormat {
    Json,
    Toml,
}

/// Score an applicant: every item's points and why, the total, and whether it meets the standard.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "The applicant is a JSON or TOML file of facts (`jifen inputs` lists them), or `-` for stdin.\n\n\
Examples:\n  jifen score examples/applicant.json\n  jifen score --explain examples/applicant.toml\n  \
echo '{\"age\": 30, \"si_months\": 6, \"education\": \"bachelor_with_degree\"}' | jifen score --format json -\n  \
jifen score --policy policies/2024.policy examples/lingang.json\n\n\
Exit codes: 0 scored, 2 policy does not compile, 3 invalid applicant, 4 file not readable."
)]
pub(crate) struct Args {
    /// The applicant file (JSON or TOML), or `-` for standard input.
    pub applicant: String,
    /// Policy file to score with (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Show each item's trace: the arm taken, raw points, cap, preconditions and facts read.
    #[arg(long)]
    pub explain: bool,
    /// Format of the applicant (default: from the extension; `-` is sniffed).
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
}

pub(crate) fn run(args: Args, format: Format) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let text = match read(&args.applicant) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let input_format =
        args.input_format.unwrap_or_else(|| match Path::new(&args.applicant).extension().and_then(|e| e.to_str()) {
            Some("toml") => InputFormat::Toml,
            Some("json") => InputFormat::Json,
            _ if text.trim_start().starts_with(['{', '[']) => InputFormat::Json,
            _ => InputFormat::Toml,
        });
    let applicant = match input_format {
        // An `id` key names the applicant (as in batch input) unless the policy declares it.
        InputFormat::Json => crate::population::RawRow::json(1, text.clone()).parse(&ruleset).map(|(_, a)| a),
        InputFormat::Toml => ruleset.applicant_from_toml(&text),
    };
    let applicant = match applicant {
        Ok(a) => a,
        Err(e) => {
            let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
            fail(&format!("{}: {e}", args.applicant), help.as_deref());
            return exit::APPLICANT;
        }
    };
    let outcome = match ruleset.evaluate(&applicant) {
        Ok(o) => o,
        Err(e) => {
            fail(&e.to_string(), Some("the applicant's numbers are too large for the policy's arithmetic"));
            return exit::APPLICANT;
        }
    };
    match format {
        Format::Json => {
            let explain = args.explain.then_some(&applicant);
            let value = crate::report::outcome_json(&ruleset, &outcome, explain);
            match serde_json::to_string_pretty(&value) {
                Ok(s) => outln!("{s}"),
                Err(_) => return exit::INTERNAL,
            }
        }
        _ => out!("{}", outcome_table(&ruleset, &outcome, &applicant, args.explain, stdout_color())),
    }
    exit::OK
}
