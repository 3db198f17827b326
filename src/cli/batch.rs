//! `jifen batch`: score many applicants, streaming, in parallel, output in input order.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{IsTerminal, Read};

use clap::ValueEnum;
use rayon::prelude::*;

use jifen::population::{RawRow, RowFormat, RowReader};
use jifen::RuleSet;

use super::input::{io_reason, load_policy};
use super::output::Output;
use super::{exit, fail};

/// Rows evaluated together; memory stays flat whatever the input's size.
const CHUNK: usize = 16_384;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Rows {
    /// One JSON object per line.
    Jsonl,
    /// A header row naming the inputs (and optionally `id`), then one applicant per row.
    Csv,
}

/// Score many applicants (JSON lines or CSV) and write one result per applicant.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen batch people.jsonl > scores.jsonl\n  \
jifen batch people.csv -o scores.csv\n  jifen gen --count 1000000 | jifen batch --input-format jsonl --output-format csv - -o scores.csv\n  \
jifen batch --skip-invalid --policy policies/2024.policy people.jsonl -o scores.jsonl\n\n\
JSON lines out: the `score --format json` object per applicant, with its `id` and input `line`.\n\
CSV out: id (when the input has one), total, eligible, vetoed, meets_standard, one column per item.\n\
An invalid row stops the run (exit 3) naming its line and key, and no output file is left behind;\n\
with --skip-invalid it is skipped and counted.")]
pub struct Args {
    /// Input file, or `-` for standard input.
    pub input: String,
    /// Policy to score with (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Output file (default: standard output). Written whole or not at all.
    #[arg(short, long)]
    pub output: Option<String>,
    /// Input format (default: from the extension; `.csv` is CSV, otherwise JSON lines).
    #[arg(long, value_enum)]
    pub input_format: Option<Rows>,
    /// Output format (default: from the output's extension, otherwise JSON lines).
    #[arg(long, value_enum)]
    pub output_format: Option<Rows>,
    /// Skip invalid rows and report them, instead of stopping.
    #[arg(long)]
    pub skip_invalid: bool,
}

pub fn row_format(explicit: Option<Rows>, path: &str) -> RowFormat {
    match explicit {
        Some(Rows::Csv) => RowFormat::Csv,
        Some(Rows::Jsonl) => RowFormat::Jsonl,
        None => RowFormat::from_path(path),
    }
}

/// Open a file (or stdin) with its size in bytes when known.
pub fn open_input(path: &str) -> Result<(Box<dyn Read + Send>, Option<u64>), u8> {
    if path == "-" {
        return Ok((Box::new(std::io::stdin()), None));
    }
    let file = File::open(path).map_err(|e| {
        fail(&format!("cannot read `{path}`: {}", io_reason(&e)), Some("check the path; use `-` for standard input"));
        exit::IO
    })?;
    let size = file.metadata().ok().map(|m| m.len());
    Ok((Box::new(file), size))
}

pub fn progress(size: Option<u64>) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match size {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg} ({eta} left)").ok()?,
        ),
        None => indicatif::ProgressBar::new_spinner()
            .with_style(indicatif::ProgressStyle::with_template("{spinner} {msg}").ok()?),
    };
    Some(bar)
}

/// Invalid rows skipped, grouped by reason.
#[derive(Default)]
pub struct Skipped {
    pub count: usize,
    pub reasons: BTreeMap<String, (usize, usize)>,
}

impl Skipped {
    pub fn add(&mut self, line: usize, reason: String) {
        self.count += 1;
        self.reasons.entry(reason).or_insert((0, line)).0 += 1;
    }

    pub fn report(&self) {
        if self.count == 0 {
            return;
        }
        eprintln!("skipped {} invalid row(s):", self.count);
        for (reason, (n, first)) in &self.reasons {
            eprintln!("  {n} × {reason} (first at line {first})");
        }
    }
}

fn score_row(ruleset: &RuleSet, row: &RawRow, csv: bool, with_id: bool) -> Result<String, String> {
    let (id, applicant) = row.parse(ruleset).map_err(|e| e.to_string())?;
    let outcome = ruleset.evaluate(&applicant).map_err(|e| e.to_string())?;
    if csv {
        let mut line = String::with_capacity(96);
        if with_id {
            line.push_str(&csv_cell(id.as_deref().unwrap_or("")));
            line.push(',');
        }
        use std::fmt::Write;
        let _ = write!(line, "{},{},{},{}", outcome.total, outcome.eligible, outcome.vetoed, outcome.meets_standard);
        for item in &outcome.items {
            let _ = write!(line, ",{}", item.points);
        }
        line.push('\n');
        Ok(line)
    } else {
        let mut value = jifen::report::outcome_json(ruleset, &outcome, None);
        if let Some(obj) = value.as_object_mut() {
            if let Some(id) = id {
                obj.insert("id".into(), serde_json::Value::String(id));
            }
            obj.insert("line".into(), serde_json::json!(row.line));
        }
        let mut s = serde_json::to_string(&value).map_err(|e| e.to_string())?;
        s.push('\n');
        Ok(s)
    }
}

fn csv_header(ruleset: &RuleSet, with_id: bool) -> String {
    let mut header = String::new();
    if with_id {
        header.push_str("id,");
    }
    header.push_str("total,eligible,vetoed,meets_standard");
    for item in &ruleset.items {
        header.push(',');
        header.push_str(&item.id);
    }
    header.push('\n');
    header
}

pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn run(args: Args) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let (input, size) = match open_input(&args.input) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let format = row_format(args.input_format, &args.input);
    let csv_out = match args.output_format {
        Some(f) => f == Rows::Csv,
        None => args.output.as_deref().is_some_and(|o| o.to_ascii_lowercase().ends_with(".csv")),
    };
    let mut reader = match RowReader::new(input, format) {
        Ok(r) => r,
        Err(e) => {
            fail(&format!("{}: {e}", args.input), None);
            return exit::APPLICANT;
        }
    };
    let mut out = match Output::create(args.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let bar = progress(size);
    let mut skipped = Skipped::default();
    let mut rows_done = 0u64;
    let mut with_id = reader.headers().is_some_and(|h| h.iter().any(|c| c == "id"));
    let mut first = true;
    loop {
        let chunk = match reader.chunk(CHUNK) {
            Ok(c) => c,
            Err(e) => {
                if let Some(b) = &bar {
                    b.abandon();
                }
                if args.skip_invalid && e.line > 0 {
                    skipped.add(e.line, e.message.clone());
                    fail(&format!("{}: {e}; the rest of the input cannot be read", args.input), None);
                } else {
                    fail(
                        &format!("{}: {e}", args.input),
                        Some("fix the row, or pass --skip-invalid to skip invalid rows"),
                    );
                }
                return exit::APPLICANT;
            }
        };
        if chunk.is_empty() {
            if first && csv_out {
                // No rows: the output still says what its columns would be.
                if let Err(code) = out.write(csv_header(&ruleset, with_id).as_bytes()) {
                    return code;
                }
            }
            break;
        }
        if first {
            first = false;
            with_id |= format == RowFormat::Jsonl && chunk.first().is_some_and(|r| r.has_id());
            if csv_out {
                if let Err(code) = out.write(csv_header(&ruleset, with_id).as_bytes()) {
                    return code;
                }
            }
        }
        let results: Vec<Result<String, String>> =
            chunk.par_iter().map(|row| score_row(&ruleset, row, csv_out, with_id)).collect();
        let mut buf = String::with_capacity(results.len() * 128);
        for (row, result) in chunk.iter().zip(results) {
            match result {
                Ok(s) => buf.push_str(&s),
                Err(reason) if args.skip_invalid => skipped.add(row.line, reason),
                Err(reason) => {
                    if let Some(b) = &bar {
                        b.abandon();
                    }
                    fail(
                        &format!("{} line {}: {reason}", args.input, row.line),
                        Some("fix the row, or pass --skip-invalid to skip invalid rows; no output was written"),
                    );
                    return exit::APPLICANT;
                }
            }
        }
        if let Err(code) = out.write(buf.as_bytes()) {
            return code;
        }
        rows_done += chunk.len() as u64;
        if let Some(b) = &bar {
            b.set_position(reader.bytes);
            b.set_message(format!("{rows_done} rows"));
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Err(code) = out.commit() {
        return code;
    }
    skipped.report();
    exit::OK
}
