//! `jifen batch`: score many applicants, streaming, in parallel, output in input order.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

use clap::ValueEnum;
use rayon::prelude::*;

use jifen::population::{RawRow, ReadError, RowFormat, RowParser, RowReader};
use jifen::{RuleSet, Scorer, Scores};

use super::input::load_policy;
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
CSV out: id, total, eligible, vetoed, meets_standard, one column per item; the id column is there\n\
when a CSV input has one, and always from JSON lines (empty for a row without an id).\n\
An invalid row (a bad fact, not UTF-8, longer than 1 MiB) stops the run (exit 3) naming its line\n\
and key, and no output file is left behind; with --skip-invalid it is skipped and counted.")]
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

/// A chunk of rows (or why it could not be read) and the input's bytes read so far.
pub type Chunk = (Result<Vec<RawRow>, ReadError>, u64);

/// Read chunks on a thread of their own, one chunk ahead of their scoring, so reading and
/// scoring overlap while memory stays flat. The thread ends after the last chunk, at the
/// first error, or when the receiver is dropped (it is never joined: a run that stops
/// early does not wait for a blocked read of standard input).
pub fn read_ahead(mut reader: RowReader<Box<dyn Read + Send>>, rows: usize) -> Chunks {
    let (send, receive) = sync_channel(1);
    let (done, recycle) = channel::<Vec<RawRow>>();
    std::thread::spawn(move || loop {
        // Rows are freed by the thread that made them: cheaper, and not on the critical path.
        while recycle.try_recv().is_ok() {}
        let chunk = reader.chunk(rows);
        let last = !matches!(&chunk, Ok(c) if !c.is_empty());
        if send.send((chunk, reader.bytes)).is_err() || last {
            break;
        }
    });
    Chunks { receive, done }
}

/// The chunks [`read_ahead`] reads.
pub struct Chunks {
    receive: Receiver<Chunk>,
    done: Sender<Vec<RawRow>>,
}

impl Chunks {
    /// The next chunk; `None` only if the reading thread died.
    pub fn next(&self) -> Option<Chunk> {
        self.receive.recv().ok()
    }

    /// Hand a scored chunk back to be freed off the critical path.
    pub fn done(&self, rows: Vec<RawRow>) {
        // The reader may have finished: then the rows are simply dropped here.
        let _ = self.done.send(rows);
    }
}

pub fn row_format(explicit: Option<Rows>, path: &str) -> RowFormat {
    match explicit {
        Some(Rows::Csv) => RowFormat::Csv,
        Some(Rows::Jsonl) => RowFormat::Jsonl,
        None => RowFormat::from_path(path),
    }
}

/// Open a file (or stdin) with its size in bytes when known: a regular file only, so that
/// `/dev/zero` or a FIFO is refused (`input::open_stream`); it is streamed, not read whole.
pub fn open_input(path: &str) -> Result<(Box<dyn Read + Send>, Option<u64>), u8> {
    super::input::open_stream(path)
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

/// One rayon task's rows: their output, in input order, how many rows it holds, and the
/// rows that failed.
#[derive(Default)]
struct Part {
    out: Vec<u8>,
    written: usize,
    failed: Vec<(usize, String)>,
}

/// What a run has written so far, so that a run that stops says what it leaves behind.
struct Written {
    /// To a file (which is then removed), not standard output.
    to_file: bool,
    header: bool,
    rows: u64,
}

impl Written {
    fn note(&self) -> String {
        match (self.to_file, self.header, self.rows) {
            (true, ..) => "no output file was written".to_string(),
            (false, false, 0) => "nothing was written".to_string(),
            (false, true, 0) => "only the CSV header was written to standard output".to_string(),
            (false, header, n) => format!(
                "{}the results of the first {n} row(s) were already written to standard output",
                if header { "the CSV header and " } else { "" }
            ),
        }
    }
}

/// What each rayon worker keeps from one row to the next.
struct Worker<'r> {
    parser: RowParser<'r>,
    scores: Scores,
}

/// How rows are written out, the same for the whole run.
#[derive(Clone, Copy)]
struct Shape {
    csv: bool,
    with_id: bool,
    /// Keep going after a failed row (it is reported, not written).
    skip_invalid: bool,
}

/// Rows per rayon task: enough to make a task worth its scheduling.
const PART: usize = 512;

/// Score a chunk of rows in parallel; parts come back in input order.
fn score_chunk(scorer: &Scorer<'_>, rows: &[RawRow], shape: Shape) -> Vec<Part> {
    let rules = scorer.rules();
    rows.par_chunks(PART)
        .map_init(
            || Worker { parser: RowParser::new(rules), scores: Scores::default() },
            |worker, rows| score_part(scorer, worker, rows, shape),
        )
        .collect()
}

fn score_part(scorer: &Scorer<'_>, worker: &mut Worker<'_>, rows: &[RawRow], shape: Shape) -> Part {
    let mut part = Part { out: Vec::with_capacity(rows.len() * 96), written: 0, failed: Vec::new() };
    for row in rows {
        match score_row(scorer, worker, row, shape, &mut part.out) {
            Ok(()) => part.written += 1,
            Err(reason) => {
                part.failed.push((row.line, reason));
                if !shape.skip_invalid {
                    // The run stops at this row: the rest of the part does not matter.
                    break;
                }
            }
        }
    }
    part
}

/// Append one row's result to `out` (nothing when the row fails).
fn score_row(
    scorer: &Scorer<'_>,
    worker: &mut Worker<'_>,
    row: &RawRow,
    shape: Shape,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let (id, applicant) = worker.parser.parse(row).map_err(|e| e.to_string())?;
    if shape.csv {
        scorer.score(applicant, &mut worker.scores).map_err(|e| e.to_string())?;
        if shape.with_id {
            push_csv_cell(out, id.as_deref().unwrap_or(""));
            out.push(b',');
        }
        csv_scores(out, &worker.scores);
        return Ok(());
    }
    let outcome = scorer.evaluate(applicant).map_err(|e| e.to_string())?;
    let mut value = jifen::report::outcome_json(scorer.rules(), &outcome, None);
    if let Some(obj) = value.as_object_mut() {
        if let Some(id) = id {
            obj.insert("id".into(), serde_json::Value::String(id.into_owned()));
        }
        obj.insert("line".into(), serde_json::json!(row.line));
    }
    serde_json::to_writer(&mut *out, &value).map_err(|e| e.to_string())?;
    out.push(b'\n');
    Ok(())
}

/// `total,eligible,vetoed,meets_standard,points…` and the line's end.
fn csv_scores(out: &mut Vec<u8>, s: &Scores) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(num.format(s.total).as_bytes());
    for flag in [s.eligible, s.vetoed, s.meets_standard] {
        out.extend_from_slice(if flag { b",true" } else { b",false" });
    }
    for &p in &s.points {
        out.push(b',');
        out.extend_from_slice(num.format(p).as_bytes());
    }
    out.push(b'\n');
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

/// [`csv_cell`] appended to `out`, copying nothing else when no quotes are needed.
pub fn push_csv_cell(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.extend_from_slice(csv_cell(s).as_bytes());
    } else {
        out.extend_from_slice(s.as_bytes());
    }
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
    let reader = match RowReader::new(input, format) {
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
    // The header is written before all rows are seen: from CSV it follows the input's header,
    // from JSON lines the column is always there (empty for a row without an id).
    let with_id = match reader.headers() {
        Some(h) => h.iter().any(|c| c == "id"),
        None => ruleset.input_slot("id").is_none(),
    };
    let mut written = Written { to_file: args.output.as_deref().is_some_and(|o| o != "-"), header: false, rows: 0 };
    let scorer = ruleset.scorer();
    let chunks = read_ahead(reader, CHUNK);
    loop {
        let Some((chunk, bytes)) = chunks.next() else {
            return exit::INTERNAL;
        };
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                if let Some(b) = &bar {
                    b.abandon();
                }
                if args.skip_invalid && e.line > 0 {
                    skipped.add(e.line, e.message.clone());
                    fail(&format!("{}: {e}; the rest of the input cannot be read", args.input), Some(&written.note()));
                } else {
                    fail(
                        &format!("{}: {e}", args.input),
                        Some(&format!("fix the row, or pass --skip-invalid to skip invalid rows; {}", written.note())),
                    );
                }
                return exit::APPLICANT;
            }
        };
        let shape = Shape { csv: csv_out, with_id, skip_invalid: args.skip_invalid };
        let parts = score_chunk(&scorer, &chunk, shape);
        for (line, reason) in parts.iter().flat_map(|p| &p.failed) {
            if args.skip_invalid {
                skipped.add(*line, reason.clone());
                continue;
            }
            if let Some(b) = &bar {
                b.abandon();
            }
            fail(
                &format!("{} line {line}: {reason}", args.input),
                Some(&format!("fix the row, or pass --skip-invalid to skip invalid rows; {}", written.note())),
            );
            return exit::APPLICANT;
        }
        // Nothing is written before the first chunk has scored; with no rows at all, the
        // output still says what its columns would be.
        if csv_out && !written.header {
            written.header = true;
            if let Err(code) = out.write(csv_header(&ruleset, with_id).as_bytes()) {
                return code;
            }
        }
        if chunk.is_empty() {
            break;
        }
        for part in &parts {
            if let Err(code) = out.write(&part.out) {
                return code;
            }
            written.rows += part.written as u64;
        }
        // Lets the tests see that a bug mid-run leaves no output behind (tests/limits.rs).
        if std::env::var_os("JIFEN_TEST_INTERNAL_ERROR").is_some_and(|v| v == "batch") {
            panic!("JIFEN_TEST_INTERNAL_ERROR is batch");
        }
        rows_done += chunk.len() as u64;
        chunks.done(chunk);
        if let Some(b) = &bar {
            b.set_position(bytes);
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
