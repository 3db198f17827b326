//! `jifen gen`: plausible applicants drawn from a policy's input schema.

use crate::applicant::json_entries;
use crate::population::{Model, Rng};
use crate::RuleSet;

use super::exit;
use super::fail;
use super::input::load_policy;
use super::output::Output;
use super::xlsx::{self, SheetWriter};

/// Write generated applicants as JSON lines or a workbook (for demos, benchmarks and diffs without private data).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen gen --count 1000 --seed 7 > people.jsonl\n  \
jifen gen --count 1000000 -o million.jsonl\n  jifen gen --count 5 --policy policies/2024.policy\n  jifen gen --model examples/shanghai.model.toml --count 1000\n  \
jifen gen --count 500 -o people.xlsx\n\n\
The same seed, model and policy always give the same applicants. Rows are named\n\
synthetic-000001, … so nobody takes them for real people. An output named `.xlsx` is an Excel\n\
workbook: a header row (`id` and the inputs' keys), one applicant per row, absent facts empty.\n\
An output named `.parquet` is a Parquet file: `id` and one typed column per input (int as INT64,\n\
decimal as DECIMAL of the scale its values need, date as DATE, enum and list as UTF8 text).")]
pub(crate) struct Args {
    /// How many applicants to write.
    #[arg(long, default_value_t = 100)]
    pub count: u64,
    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Policy whose inputs to draw from (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Population model (TOML, see docs/cli.md); default: the bundled Shanghai model over
    /// the policy's own defaults.
    #[arg(long, value_name = "FILE")]
    pub model: Option<String>,
    /// Output file (default: standard output); `.xlsx` writes an Excel workbook, `.parquet` a
    /// Parquet file.
    #[arg(short, long)]
    pub output: Option<String>,
}

pub(crate) fn run(args: Args) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let model = match &args.model {
        None => Model::default_for(&ruleset),
        Some(path) => {
            let text = match super::input::read(path) {
                Ok(t) => t,
                Err(code) => return code,
            };
            match Model::from_toml(&ruleset, &text, true) {
                Ok(m) => m,
                Err(e) => {
                    super::fail(&format!("{path}: {e}"), Some("the model format is in docs/cli.md (`jifen gen`)"));
                    return exit::POLICY;
                }
            }
        }
    };
    let mut out = match Output::create(args.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if args.output.as_deref().is_some_and(super::parquet::is_parquet) {
        #[cfg(not(feature = "parquet"))]
        return super::parquet::unavailable(args.output.as_deref().unwrap_or_default());
        #[cfg(feature = "parquet")]
        return match super::parquet::write_generated(&ruleset, &model, args.seed, args.count, out) {
            Ok(out) => out.commit().err().unwrap_or(exit::OK),
            Err(message) => {
                fail(&message, None);
                exit::IO
            }
        };
    }
    let mut rng = Rng::new(args.seed);
    if args.output.as_deref().is_some_and(xlsx::is_xlsx) {
        let bytes = match workbook(&ruleset, &model, &mut rng, args.count) {
            Ok(bytes) => bytes,
            Err(message) => {
                fail(&message, Some("write fewer applicants, or JSON lines"));
                return exit::IO;
            }
        };
        return match out.write(&bytes).and_then(|_| out.commit()) {
            Ok(()) => exit::OK,
            Err(code) => code,
        };
    }
    let mut buf = String::with_capacity(1 << 16);
    for id in 1..=args.count {
        buf.push_str(&model.row(&ruleset, &mut rng, id));
        buf.push('\n');
        if buf.len() > 60_000 {
            if let Err(code) = out.write(buf.as_bytes()) {
                return code;
            }
            buf.clear();
        }
    }
    if let Err(code) = out.write(buf.as_bytes()).and_then(|_| out.commit()) {
        return code;
    }
    exit::OK
}

/// The generated applicants as a workbook: `id` and one column per input, in the policy's
/// order; a fact left out (its default applies) is an empty cell.
fn workbook(ruleset: &RuleSet, model: &Model, rng: &mut Rng, count: u64) -> Result<Vec<u8>, String> {
    if count >= u64::from(xlsx::MAX_ROWS) {
        return Err(format!("{count} applicants do not fit in an Excel sheet (at most {})", xlsx::MAX_ROWS - 1));
    }
    let mut sheet = SheetWriter::new()?;
    let names: Vec<&str> = std::iter::once("id").chain(ruleset.inputs().iter().map(|i| &*i.name)).collect();
    sheet.header(&names)?;
    for id in 1..=count {
        let row = model.row(ruleset, rng, id);
        let facts = json_entries(&row).map_err(|e| format!("generated an unreadable row: {e}"))?;
        let mut cells = vec![None; names.len()];
        for (key, value) in facts {
            if let Some(col) = names.iter().position(|n| *n == key) {
                cells[col] = Some(value);
            }
        }
        sheet.row(cells)?;
    }
    sheet.finish()
}
