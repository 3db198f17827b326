//! `jifen batch`: score many applicants, streaming, in parallel, output in input order.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::io::{IsTerminal, Read};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::Arc;

use clap::ValueEnum;
use rayon::prelude::*;

use crate::population::{RawRow, ReadError, RowFormat, RowParser, RowReader};
use crate::report::OutcomeWriter;
use crate::{Applicant, ApplicantError, Outcome, RuleSet, Scorer, Scores};

use super::input::load_policy;
use super::output::Output;
use super::parquet;
use super::xlsx::{self, Sheet, SheetWriter};
use super::{exit, fail};

/// Rows evaluated together; memory stays flat whatever the input's size.
const CHUNK: usize = 16_384;

/// Rows of a Parquet file decoded together: the decoded columns of 4,096 rows (about 1 MiB)
/// are still in the shared cache when the workers read them, those of 16,384 were not
/// (about 7 % more CPU; docs/performance.md).
const PARQUET_CHUNK: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Rows {
    /// One JSON object per line.
    Jsonl,
    /// A header row naming the inputs (and optionally `id`), then one applicant per row.
    Csv,
}

/// Score many applicants (JSON lines, CSV or an Excel workbook) and write one result per applicant.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen batch people.jsonl > scores.jsonl\n  \
jifen batch people.csv -o scores.csv\n  jifen gen --count 1000000 | jifen batch --input-format jsonl --output-format csv - -o scores.csv\n  \
jifen batch --skip-invalid --policy policies/2024.policy people.jsonl -o scores.jsonl\n  \
jifen batch 申请人.xlsx -o scores.xlsx\n\n\
JSON lines out: the `score --format json` object per applicant, with its `id` and input `line`.\n\
CSV out: id, total, eligible, vetoed, meets_standard, one column per `output`, one per item; the\n\
id column is there when a CSV input has one, and always from JSON lines (empty without an id).\n\
Excel (.xlsx, by the extension): the first sheet, a header row of input keys or their labels\n\
(and optionally `id`), one applicant per row, empty cells absent; out, the CSV columns as a sheet.\n\
An invalid row (a bad fact, not UTF-8, longer than 1 MiB) stops the run (exit 3) naming its line\n\
and key, and no output file is left behind; with --skip-invalid it is skipped and counted.")]
pub(crate) struct Args {
    /// Input file, or `-` for standard input.
    pub input: String,
    /// Policy to score with (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Output file (default: standard output). Written whole or not at all.
    #[arg(short, long)]
    pub output: Option<String>,
    /// Input format (default: from the extension; `.csv` is CSV, `.xlsx` an Excel workbook,
    /// otherwise JSON lines).
    #[arg(long, value_enum)]
    pub input_format: Option<Rows>,
    /// Output format (default: from the output's extension: `.csv`, `.xlsx`, otherwise JSON lines).
    #[arg(long, value_enum)]
    pub output_format: Option<Rows>,
    /// Skip invalid rows and report them, instead of stopping.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// A chunk of rows (or why it could not be read) and the input's bytes read so far.
pub(crate) type Chunk<T = Vec<RawRow>> = (Result<T, ReadError>, u64);

/// What a reading thread hands on: some rows, none at the end.
pub(crate) trait ChunkRows: Send + 'static {
    fn is_empty(&self) -> bool;
}

impl ChunkRows for Vec<RawRow> {
    fn is_empty(&self) -> bool {
        self.is_empty()
    }
}

/// Read chunks on a thread of their own, one chunk ahead of their scoring, so reading and
/// scoring overlap while memory stays flat. The thread ends after the last chunk, at the
/// first error, or when the receiver is dropped (it is never joined: a run that stops
/// early does not wait for a blocked read of standard input).
pub(crate) fn read_ahead(mut reader: RowReader<Box<dyn Read + Send>>, rows: usize) -> Chunks {
    read_ahead_with(move |rows, scored| (reader.chunk_reusing(rows, scored), reader.bytes), rows)
}

/// [`read_ahead`] of any reader: `next(rows, reuse)` gives up to `rows` rows (none at the
/// end) and the bytes read so far; `reuse` is a chunk already scored, whose storage the
/// reader may take for the next (or free: it is freed on this thread either way).
pub(crate) fn read_ahead_with<T: ChunkRows>(
    mut next: impl FnMut(usize, Option<T>) -> Chunk<T> + Send + 'static,
    rows: usize,
) -> Chunks<T> {
    let (send, receive) = sync_channel(1);
    let (done, recycle) = channel::<T>();
    std::thread::spawn(move || loop {
        // Rows are freed by the thread that made them: cheaper, and not on the critical path.
        let mut reuse = None;
        while let Ok(scored) = recycle.try_recv() {
            reuse = Some(scored);
        }
        let (chunk, bytes) = next(rows, reuse);
        let last = !matches!(&chunk, Ok(c) if !c.is_empty());
        if send.send((chunk, bytes)).is_err() || last {
            break;
        }
    });
    Chunks { receive, done }
}

/// The chunks [`read_ahead`] reads.
pub(crate) struct Chunks<T = Vec<RawRow>> {
    receive: Receiver<Chunk<T>>,
    done: Sender<T>,
}

impl<T> Chunks<T> {
    /// The next chunk; `None` only if the reading thread died.
    pub(crate) fn next(&self) -> Option<Chunk<T>> {
        self.receive.recv().ok()
    }

    /// Hand a scored chunk back to be freed (or reused) off the critical path.
    pub(crate) fn done(&self, rows: T) {
        // The reader may have finished: then the rows are simply dropped here.
        let _ = self.done.send(rows);
    }
}

/// A chunk's rows as read: rows of text or of split facts (JSON lines, CSV, a workbook,
/// Parquet through its row reader), or a Parquet file's columns, decoded and typed.
pub(crate) enum Batch {
    Rows(Vec<RawRow>),
    #[cfg(feature = "parquet")]
    Columns(parquet::ColumnRows),
}

impl ChunkRows for Batch {
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Batch {
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Batch::Rows(rows) => rows.len(),
            #[cfg(feature = "parquet")]
            Batch::Columns(columns) => columns.len(),
        }
    }

    /// The line (or row of a file) of the chunk's row `at`, for messages and output.
    pub(crate) fn line(&self, at: usize) -> usize {
        match self {
            Batch::Rows(rows) => rows.get(at).map_or(0, |r| r.line),
            #[cfg(feature = "parquet")]
            Batch::Columns(columns) => columns.line(at),
        }
    }

    /// Read the chunk's row `at` into the worker's applicant: its id, and the applicant
    /// (valid until the parser reads another row).
    pub(crate) fn parse<'a>(
        &'a self,
        at: usize,
        parser: &'a mut RowParser<'_>,
    ) -> Result<(Option<Cow<'a, str>>, &'a Applicant), ApplicantError> {
        match self {
            Batch::Rows(rows) => match rows.get(at) {
                Some(row) => parser.parse(row),
                None => Err(ApplicantError::Unreadable { message: format!("no row {at} in the chunk") }),
            },
            #[cfg(feature = "parquet")]
            Batch::Columns(columns) => columns.parse(at, parser),
        }
    }

    /// Prepare `parser` to read rows `rows` of the chunk: a block of Parquet columns is read
    /// column by column (rows of text need nothing).
    pub(crate) fn read_block(&self, rows: std::ops::Range<usize>, parser: &mut RowParser<'_>) {
        match self {
            Batch::Rows(_) => {}
            #[cfg(feature = "parquet")]
            Batch::Columns(columns) => columns.read_block(rows, parser),
        }
    }

    /// The chunk's rows `within` split into ranges of `part` rows, in order, for parallel
    /// work.
    pub(crate) fn parts(
        &self,
        within: std::ops::Range<usize>,
        part: usize,
    ) -> impl IndexedParallelIterator<Item = std::ops::Range<usize>> {
        let (start, end) = (within.start, within.end.min(self.len()));
        let part = part.max(1);
        (0..end.saturating_sub(start).div_ceil(part))
            .into_par_iter()
            .map(move |p| start + p * part..(start + (p + 1) * part).min(end))
    }
}

/// Where a run's rows come from: a stream read ahead, a workbook's sheet read whole, or a
/// Parquet file's columns decoded ahead.
pub(super) enum Source {
    Stream(Chunks),
    Sheet(std::vec::IntoIter<RawRow>),
    #[cfg(feature = "parquet")]
    Columns(Chunks<Batch>),
}

impl Source {
    pub(super) fn next(&mut self) -> Option<Chunk<Batch>> {
        match self {
            Source::Stream(chunks) => chunks.next().map(|(rows, bytes)| (rows.map(Batch::Rows), bytes)),
            Source::Sheet(rows) => Some((Ok(Batch::Rows(rows.by_ref().take(CHUNK).collect())), 0)),
            #[cfg(feature = "parquet")]
            Source::Columns(chunks) => chunks.next(),
        }
    }

    pub(super) fn done(&self, batch: Batch) {
        match (self, batch) {
            (Source::Stream(chunks), Batch::Rows(rows)) => chunks.done(rows),
            #[cfg(feature = "parquet")]
            (Source::Columns(chunks), batch) => chunks.done(batch),
            _ => {}
        }
    }
}

pub(crate) fn row_format(explicit: Option<Rows>, path: &str) -> RowFormat {
    match explicit {
        Some(Rows::Csv) => RowFormat::Csv,
        Some(Rows::Jsonl) => RowFormat::Jsonl,
        None => RowFormat::from_path(path),
    }
}

/// Open a file (or stdin) with its size in bytes when known: a regular file only, so that
/// `/dev/zero` or a FIFO is refused (`input::open_stream`); it is streamed, not read whole.
pub(crate) fn open_input(path: &str) -> Result<(Box<dyn Read + Send>, Option<u64>), u8> {
    super::input::open_stream(path)
}

pub(crate) fn progress(size: Option<u64>) -> Option<indicatif::ProgressBar> {
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
pub(crate) struct Skipped {
    pub count: usize,
    pub reasons: BTreeMap<String, (usize, usize)>,
}

impl Skipped {
    pub(crate) fn add(&mut self, line: usize, reason: String) {
        self.count += 1;
        self.reasons.entry(reason).or_insert((0, line)).0 += 1;
    }

    pub(crate) fn report(&self) {
        if self.count == 0 {
            return;
        }
        stderr_line!("skipped {} invalid row(s):", self.count);
        for (reason, (n, first)) in &self.reasons {
            stderr_line!("  {n} × {reason} (first at line {first})");
        }
    }
}

/// One rayon task's rows: their output, in input order, how many rows it holds, and the
/// rows that failed.
#[derive(Default)]
struct Part {
    out: Vec<u8>,
    written: usize,
    failed: Vec<Failure>,
}

/// A row that failed: its line (or sheet row), the key at fault if any, and why.
struct Failure {
    line: usize,
    key: Option<String>,
    reason: String,
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
    /// The explanation of the last row, its lists reused for the next (JSON lines).
    outcome: Outcome<'r>,
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

/// Rows scored and written together when the output is JSON lines. A row's explanation is
/// about 3.5 KB, so a whole chunk's (16,384 rows, 57 MB) went out to memory and back before
/// it was written; a batch of 2,048 (7 MB) stays in the cache (measured in
/// docs/performance.md, "batch with full explanations").
const JSONL_BATCH: usize = 2_048;

/// Rows per rayon task in a JSON-lines batch: 16 tasks a batch, as a chunk of CSV has 32.
const JSONL_PART: usize = 128;

/// Rows of Parquet columns read into applicants at a time: one column's values in one loop,
/// while the block's applicants (about 16 KiB) stay in the core's first-level cache.
const BLOCK: usize = 32;

/// Score rows `within` of a chunk in parallel; parts come back in input order.
fn score_chunk<'r>(
    scorer: &Scorer<'r>,
    json: &OutcomeWriter<'_>,
    (buffers, workers): (&Buffers, &Workers<'r>),
    rows: &Batch,
    within: std::ops::Range<usize>,
    shape: Shape,
) -> Vec<Part> {
    let rules = scorer.rules();
    rows.parts(within, if shape.csv { PART } else { JSONL_PART })
        .map_init(
            || Lent { worker: workers.take(), workers },
            |lent, range| {
                let worker = lent.worker.get_or_insert_with(|| Worker {
                    parser: RowParser::new(rules),
                    scores: Scores::default(),
                    outcome: Outcome::default(),
                });
                score_part(scorer, json, buffers, worker, rows, range, shape)
            },
        )
        .collect()
}

/// Workers whose parts are done, for the next parts: rayon starts each part it splits off
/// with a new worker (`map_init`), whose storage (an applicant per row of a block, the
/// texts' values) would otherwise be allocated and filled again every few hundred rows.
#[derive(Default)]
struct Workers<'r>(std::sync::Mutex<Vec<Worker<'r>>>);

impl<'r> Workers<'r> {
    fn take(&self) -> Option<Worker<'r>> {
        self.0.lock().ok()?.pop()
    }
}

/// A worker taken from [`Workers`] (or made on first use), given back when its part is done.
struct Lent<'w, 'r> {
    worker: Option<Worker<'r>>,
    workers: &'w Workers<'r>,
}

impl Drop for Lent<'_, '_> {
    fn drop(&mut self) {
        if let (Some(worker), Ok(mut kept)) = (self.worker.take(), self.workers.0.lock()) {
            kept.push(worker);
        }
    }
}

/// Output buffers of parts already written, kept for the next chunk's parts: a part of
/// JSON lines holds about 2 MB, which would otherwise be allocated (and its pages faulted
/// in) again for every 512 rows. At most the parts of one chunk are kept.
#[derive(Default)]
struct Buffers(std::sync::Mutex<Vec<Vec<u8>>>);

impl Buffers {
    fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().ok()?.pop()
    }

    fn give(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        if let Ok(mut kept) = self.0.lock() {
            if kept.len() < CHUNK / PART {
                kept.push(buffer);
            }
        }
    }
}

fn score_part<'r>(
    scorer: &Scorer<'r>,
    json: &OutcomeWriter<'_>,
    buffers: &Buffers,
    worker: &mut Worker<'r>,
    rows: &Batch,
    range: std::ops::Range<usize>,
    shape: Shape,
) -> Part {
    let out = buffers.take().unwrap_or_else(|| Vec::with_capacity(range.len() * 96));
    let mut part = Part { out, written: 0, failed: Vec::new() };
    for at in range.clone() {
        if (at - range.start) % BLOCK == 0 {
            rows.read_block(at..(at + BLOCK).min(range.end), &mut worker.parser);
        }
        match score_row(scorer, json, worker, rows, at, shape, &mut part.out) {
            Ok(()) => part.written += 1,
            Err((key, reason)) => {
                part.failed.push(Failure { line: rows.line(at), key, reason });
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
fn score_row<'r>(
    scorer: &Scorer<'r>,
    json: &OutcomeWriter<'_>,
    worker: &mut Worker<'r>,
    rows: &Batch,
    at: usize,
    shape: Shape,
    out: &mut Vec<u8>,
) -> Result<(), (Option<String>, String)> {
    let (id, applicant) =
        rows.parse(at, &mut worker.parser).map_err(|e| (e.key().map(str::to_string), e.to_string()))?;
    let failed = |e: &dyn std::fmt::Display| (None, e.to_string());
    if shape.csv {
        scorer.score(applicant, &mut worker.scores).map_err(|e| failed(&e))?;
        if shape.with_id {
            push_csv_cell(out, id.as_deref().unwrap_or(""));
            out.push(b',');
        }
        let outputs = scorer.rules().outputs_of(applicant, worker.scores.computed()).map_err(|e| failed(&e))?;
        csv_scores(out, &worker.scores, scorer.rules(), &outputs);
        return Ok(());
    }
    // Explained into the worker's reused storage: no allocation per row once it has grown.
    scorer.evaluate_into(applicant, &mut worker.scores, &mut worker.outcome).map_err(|e| failed(&e))?;
    // The `score --format json` object, then `id` and `line`, written without building a
    // `serde_json::Value` (the same bytes: `crate::report`'s tests compare the two).
    json.write_open(out, &worker.outcome);
    if let Some(id) = id {
        out.extend_from_slice(b",\"id\":");
        crate::report::push_json_str(out, &id);
    }
    out.extend_from_slice(b",\"line\":");
    crate::report::push_int(out, i64::try_from(rows.line(at)).unwrap_or(i64::MAX));
    out.extend_from_slice(b"}\n");
    Ok(())
}

/// `total,eligible,vetoed,meets_standard,outputs…,points…` and the line's end. Fractional
/// points are written with the policy's places; without a standard `meets_standard` is empty.
fn csv_scores(out: &mut Vec<u8>, s: &Scores, rules: &RuleSet, outputs: &[crate::rules::Value]) {
    let fractional = rules.points().is_some_and(|p| p.places > 0);
    let mut num = itoa::Buffer::new();
    let mut points = |out: &mut Vec<u8>, p: i64| match p {
        _ if fractional => out.extend_from_slice(rules.show_points(p).as_bytes()),
        // Most points are a digit or two: pushed as they are, not copied from a buffer.
        0..=9 => out.push(b'0' + p as u8),
        10..=99 => out.extend_from_slice(&[b'0' + (p / 10) as u8, b'0' + (p % 10) as u8]),
        _ => out.extend_from_slice(num.format(p).as_bytes()),
    };
    points(out, s.total);
    // Each cell's bytes a constant, stored as they are rather than copied by `memcpy`.
    for flag in [s.eligible, s.vetoed] {
        if flag {
            out.extend_from_slice(b",true");
        } else {
            out.extend_from_slice(b",false");
        }
    }
    match (rules.standard(), s.meets_standard) {
        (None, _) => out.push(b','),
        (Some(_), true) => out.extend_from_slice(b",true"),
        (Some(_), false) => out.extend_from_slice(b",false"),
    }
    // An output's cell: a quantity's number, a variant's name, empty when absent.
    for (def, &v) in rules.outputs().iter().zip(outputs) {
        out.push(b',');
        let text = match v {
            crate::rules::Value::Absent => continue,
            crate::rules::Value::Enum(_) => rules.show_value(def.ty, v),
            _ => crate::rules::show_plain(v),
        };
        push_csv_cell(out, &text);
    }
    for &p in &s.points {
        match p {
            _ if fractional => {
                out.push(b',');
                points(out, p);
            }
            // A digit or two and its comma, in one go: most of a row's cells.
            0..=9 => out.extend_from_slice(&[b',', b'0' + p as u8]),
            10..=99 => out.extend_from_slice(&[b',', b'0' + (p / 10) as u8, b'0' + (p % 10) as u8]),
            _ => {
                out.push(b',');
                points(out, p);
            }
        }
    }
    out.push(b'\n');
}

/// The output's columns: `id` (when there are ids), the scores, one per `output`, one
/// per item.
fn columns(ruleset: &RuleSet, with_id: bool) -> Vec<&str> {
    let ids = with_id.then_some("id");
    let scores = ["total", "eligible", "vetoed", "meets_standard"];
    ids.into_iter()
        .chain(scores)
        .chain(ruleset.outputs().iter().map(|o| &*o.name))
        .chain(ruleset.items().iter().map(|i| &*i.id))
        .collect()
}

fn csv_header(ruleset: &RuleSet, with_id: bool) -> String {
    let cells: Vec<String> = columns(ruleset, with_id).into_iter().map(csv_cell).collect();
    cells.join(",") + "\n"
}

/// [`csv_cell`] appended to `out`, copying nothing else when no quotes are needed.
pub(crate) fn push_csv_cell(out: &mut Vec<u8>, s: &str) {
    // Bytes, not chars: in UTF-8 no byte of another character is one of these.
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(csv_cell(s).as_bytes());
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

pub(crate) fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Open the rows to score: a workbook read whole, or a stream read ahead in chunks.
/// Returns the source, the input's size, whether the output has an id column, and the
/// sheet (to name cells in messages) when the input is a workbook.
pub(super) fn open_source(
    path: &str,
    format: Option<Rows>,
    ruleset: &RuleSet,
) -> Result<(Source, Option<u64>, bool, Option<Sheet>), u8> {
    if format.is_none() && xlsx::is_xlsx(path) {
        let mut sheet = xlsx::read_applicants(path, ruleset)?;
        let rows = std::mem::take(&mut sheet.rows);
        let with_id = sheet.has_id();
        return Ok((Source::Sheet(rows.into_iter()), None, with_id, Some(sheet)));
    }
    if format.is_none() && parquet::is_parquet(path) {
        #[cfg(not(feature = "parquet"))]
        return Err(parquet::unavailable(path));
        #[cfg(feature = "parquet")]
        {
            let mut reader = parquet::open(path, ruleset)?;
            let with_id = reader.has_id();
            let chunks = read_ahead_with(move |rows, reuse| (reader.chunk(rows, reuse), 0), PARQUET_CHUNK);
            return Ok((Source::Columns(chunks), None, with_id, None));
        }
    }
    let (input, size) = open_input(path)?;
    let reader = RowReader::new(input, row_format(format, path)).map_err(|e| {
        fail(&format!("{path}: {e}"), None);
        exit::APPLICANT
    })?;
    // The header is written before all rows are seen: from CSV it follows the input's header,
    // from JSON lines the column is always there (empty for a row without an id).
    let with_id = match reader.headers() {
        Some(h) => h.iter().any(|c| c == "id"),
        None => ruleset.input_slot("id").is_none(),
    };
    Ok((Source::Stream(read_ahead(reader, CHUNK)), size, with_id, None))
}

/// Where the results go: written as they come, or into a workbook written at the end.
enum Sink {
    Bytes(Output),
    Workbook(Output, Box<SheetWriter>),
    /// Typed columns (`.parquet`), from the CSV lines `score_row` writes.
    #[cfg(feature = "parquet")]
    Parquet(Box<Option<parquet::Writer>>, Option<Output>),
}

impl Sink {
    fn header(&mut self, ruleset: &RuleSet, with_id: bool) -> Result<(), u8> {
        match self {
            Sink::Bytes(out) => out.write(csv_header(ruleset, with_id).as_bytes()),
            Sink::Workbook(_, sheet) => sheet.header(&columns(ruleset, with_id)).map_err(failed_output),
            #[cfg(feature = "parquet")]
            Sink::Parquet(writer, out) => {
                let out = out.take().ok_or(exit::INTERNAL)?;
                let kinds = parquet::result_columns(ruleset, &columns(ruleset, with_id));
                **writer = Some(parquet::Writer::new(out, &kinds).map_err(failed_output)?);
                Ok(())
            }
        }
    }

    /// Results as `score_row` wrote them (CSV lines when the sink is a workbook).
    fn rows(&mut self, bytes: &[u8]) -> Result<(), u8> {
        match self {
            Sink::Bytes(out) => out.write(bytes),
            Sink::Workbook(_, sheet) => sheet.csv_rows(bytes).map_err(failed_output),
            #[cfg(feature = "parquet")]
            Sink::Parquet(writer, _) => match writer.as_mut() {
                Some(w) => w.csv_rows(bytes).map_err(failed_output),
                None => Err(exit::INTERNAL),
            },
        }
    }

    /// A chunk's parts, in order: bytes in one write, not copied together first.
    fn parts(&mut self, parts: &[Part]) -> Result<(), u8> {
        match self {
            Sink::Bytes(out) => out.write_pieces(&parts.iter().map(|p| &p.out[..]).collect::<Vec<_>>()),
            _ => parts.iter().try_for_each(|part| self.rows(&part.out)),
        }
    }

    fn commit(self) -> Result<(), u8> {
        match self {
            Sink::Bytes(out) => out.commit(),
            Sink::Workbook(mut out, sheet) => {
                let bytes = sheet.finish().map_err(failed_output)?;
                out.write(&bytes)?;
                out.commit()
            }
            #[cfg(feature = "parquet")]
            Sink::Parquet(writer, _) => match *writer {
                Some(w) => w.finish().map_err(failed_output)?.commit(),
                None => Err(exit::INTERNAL),
            },
        }
    }
}

fn failed_output(message: String) -> u8 {
    fail(&message, None);
    exit::IO
}

pub(crate) fn run(args: Args) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let (mut source, size, with_id, sheet) = match open_source(&args.input, args.input_format, &ruleset) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let output_name = args.output.as_deref().unwrap_or("").to_ascii_lowercase();
    let xlsx_out = args.output_format.is_none() && xlsx::is_xlsx(&output_name);
    let parquet_out = args.output_format.is_none() && parquet::is_parquet(&output_name);
    #[cfg(not(feature = "parquet"))]
    if parquet_out {
        return parquet::unavailable(&output_name);
    }
    let csv_out = match args.output_format {
        Some(f) => f == Rows::Csv,
        None => output_name.ends_with(".csv") || xlsx_out || parquet_out,
    };
    let out = match Output::create(args.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let sink = if xlsx_out {
        match SheetWriter::new() {
            Ok(sheet) => Sink::Workbook(out, Box::new(sheet)),
            Err(message) => return failed_output(message),
        }
    } else if parquet_out {
        #[cfg(feature = "parquet")]
        {
            Sink::Parquet(Box::new(None), Some(out))
        }
        #[cfg(not(feature = "parquet"))]
        return exit::INTERNAL;
    } else {
        Sink::Bytes(out)
    };
    // Where a failed row is: its line, or its cell in a workbook.
    let parquet_in = args.input_format.is_none() && parquet::is_parquet(&args.input);
    let place = |line: usize, key: Option<&str>| match (&sheet, key) {
        (Some(sheet), _) => sheet.place(line, key),
        (None, Some(key)) if parquet_in => format!("row {line}, column `{key}`"),
        (None, None) if parquet_in => format!("row {line}"),
        (None, _) => format!("line {line}"),
    };
    let bar = progress(size);
    let mut skipped = Skipped::default();
    let mut rows_done = 0u64;
    // A workbook is written only at the end: until then nothing is.
    let to_file = args.output.as_deref().is_some_and(|o| o != "-");
    let mut written = Written { to_file, header: false, rows: 0 };
    let mut header_done = false;
    let scorer = ruleset.scorer();
    let json = OutcomeWriter::new(&ruleset);
    let buffers = Buffers::default();
    let workers = Workers::default();
    let shape = Shape { csv: csv_out, with_id, skip_invalid: args.skip_invalid };
    // The output is written on a thread of its own while the next pieces are scored, so the
    // scoring workers never wait for it. Leaving this scope early drops `send`: the writer
    // stops, and an output file it has not committed is removed.
    std::thread::scope(|scope| {
        let (send, receive) = sync_channel::<Out>(2);
        let writer = scope.spawn(|| write_out(sink, receive, &buffers, &ruleset, with_id));
        let scored = score_in_order(&mut source, (&scorer, &json), (&buffers, &workers), shape, |piece| {
            let scored = match piece {
                Piece::Scored(scored) => scored,
                Piece::Unreadable(e) => {
                    if let Some(b) = &bar {
                        b.abandon();
                    }
                    // A Parquet file's message names its row itself (it has no lines).
                    let what = if parquet_in { e.message.clone() } else { e.to_string() };
                    if args.skip_invalid && e.line > 0 {
                        skipped.add(e.line, e.message.clone());
                        fail(
                            &format!("{}: {what}; the rest of the input cannot be read", args.input),
                            Some(&written.note()),
                        );
                    } else {
                        fail(
                            &format!("{}: {what}", args.input),
                            Some(&format!(
                                "fix the row, or pass --skip-invalid to skip invalid rows; {}",
                                written.note()
                            )),
                        );
                    }
                    return Err(Some(exit::APPLICANT));
                }
            };
            let parts = scored.parts;
            for failure in parts.iter().flat_map(|p| &p.failed) {
                if args.skip_invalid {
                    skipped.add(failure.line, failure.reason.clone());
                    continue;
                }
                if let Some(b) = &bar {
                    b.abandon();
                }
                fail(
                    &format!("{} {}: {}", args.input, place(failure.line, failure.key.as_deref()), failure.reason),
                    Some(&format!("fix the row, or pass --skip-invalid to skip invalid rows; {}", written.note())),
                );
                return Err(Some(exit::APPLICANT));
            }
            // Nothing is written before the first piece has scored; with no rows at all, the
            // output still says what its columns would be.
            if csv_out && !header_done {
                header_done = true;
                written.header = !xlsx_out && !parquet_out;
                send.send(Out::Header).map_err(|_| None)?;
            }
            if !xlsx_out && !parquet_out {
                written.rows += parts.iter().map(|p| p.written as u64).sum::<u64>();
            }
            send.send(Out::Parts(parts)).map_err(|_| None)?;
            if let Some((rows, bytes)) = scored.end.filter(|&(rows, _)| rows > 0) {
                // Lets the tests see that a bug mid-run leaves no output behind (tests/it/limits.rs).
                if std::env::var_os("JIFEN_TEST_INTERNAL_ERROR").is_some_and(|v| v == "batch") {
                    panic!("JIFEN_TEST_INTERNAL_ERROR is batch");
                }
                rows_done += rows as u64;
                if let Some(b) = &bar {
                    b.set_position(bytes);
                    b.set_message(format!("{rows_done} rows"));
                }
            }
            Ok(())
        });
        drop(send);
        // A piece is refused by the writer only when it has stopped, by a failed write (its
        // code, said where it failed) or a panic.
        let sink = match (scored, writer.join()) {
            (Err(Some(code)), _) => return code,
            (_, Ok(Ok(sink))) => sink,
            (_, Ok(Err(code))) => return code,
            (_, Err(_)) => return exit::INTERNAL,
        };
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        if let Err(code) = sink.commit() {
            return code;
        }
        skipped.report();
        exit::OK
    })
}

/// Pieces of work scored at once: while the workers finish the last parts of one, they
/// start on the next, instead of waiting for the slowest part of each chunk.
const IN_FLIGHT: usize = 2;

/// What [`score_in_order`] hands on, in input order.
enum Piece {
    Scored(Scored),
    /// The input cannot be read any further.
    Unreadable(ReadError),
}

/// Some rows of a chunk, scored.
struct Scored {
    parts: Vec<Part>,
    /// On a chunk's last piece: the chunk's rows, and the input's bytes read so far.
    end: Option<(usize, u64)>,
}

/// A chunk of `n` rows in pieces: the whole chunk for CSV, batches of [`JSONL_BATCH`] rows
/// for JSON lines; an empty chunk (the end of the input) is one empty piece.
fn pieces(n: usize, csv: bool) -> VecDeque<std::ops::Range<usize>> {
    let size = if csv { n.max(1) } else { JSONL_BATCH };
    if n == 0 {
        return std::iter::once(0..0).collect();
    }
    (0..n).step_by(size).map(|start| start..(start + size).min(n)).collect()
}

/// A piece being scored, or the read error that ends the input, in input order.
enum Pending {
    Scoring(Receiver<(Scored, Arc<Batch>)>),
    Unreadable(ReadError),
}

/// Score `source`'s chunks a piece at a time (a chunk of CSV, or a batch of JSON lines),
/// [`IN_FLIGHT`] pieces at once, and give each to `take` in input order, with the read error
/// that ends the input in its place. The end of the input is an empty piece, so that `take`
/// still sees one. Stops when `take` fails: `Err(Some(code))` to exit with `code`,
/// `Err(None)` when the writer has stopped.
fn score_in_order<'r>(
    source: &mut Source,
    (scorer, json): (&Scorer<'r>, &OutcomeWriter<'_>),
    (buffers, workers): (&Buffers, &Workers<'r>),
    shape: Shape,
    mut take: impl FnMut(Piece) -> Result<(), Option<u8>>,
) -> Result<(), Option<u8>> {
    rayon::in_place_scope(|tasks| {
        let mut pending = VecDeque::new();
        // The chunk being split into pieces, the pieces not yet started, and its bytes read.
        let mut chunk: Option<(Arc<Batch>, VecDeque<std::ops::Range<usize>>, u64)> = None;
        let mut reading = true;
        loop {
            while pending.len() < IN_FLIGHT {
                if chunk.is_none() {
                    if !reading {
                        break;
                    }
                    match source.next() {
                        None => return Err(Some(exit::INTERNAL)),
                        Some((Err(e), _)) => {
                            reading = false;
                            pending.push_back(Pending::Unreadable(e));
                            break;
                        }
                        Some((Ok(batch), bytes)) => {
                            reading = !batch.is_empty();
                            let pieces = pieces(batch.len(), shape.csv);
                            chunk = Some((Arc::new(batch), pieces, bytes));
                        }
                    }
                }
                let Some((batch, pieces, bytes)) = &mut chunk else { break };
                let Some(within) = pieces.pop_front() else {
                    chunk = None;
                    continue;
                };
                let end = pieces.is_empty().then_some((batch.len(), *bytes));
                let batch = Arc::clone(batch);
                if end.is_some() {
                    // Its last piece is scoring: the chunk is given back when that is taken.
                    chunk = None;
                }
                let (done, receive) = sync_channel(1);
                tasks.spawn(move |_| {
                    let parts = score_chunk(scorer, json, (buffers, workers), &batch, within, shape);
                    let _ = done.send((Scored { parts, end }, batch));
                });
                pending.push_back(Pending::Scoring(receive));
            }
            let piece = match pending.pop_front() {
                None => return Ok(()),
                Some(Pending::Unreadable(e)) => Piece::Unreadable(e),
                // A piece that never comes back panicked: the scope says so when it ends.
                Some(Pending::Scoring(receive)) => match receive.recv() {
                    Ok((scored, batch)) => {
                        let last = scored.end.is_some();
                        take(Piece::Scored(scored))?;
                        // The chunk's other pieces were taken before: this is its last holder.
                        if let (true, Ok(batch)) = (last, Arc::try_unwrap(batch)) {
                            source.done(batch);
                        }
                        continue;
                    }
                    Err(_) => return Err(Some(exit::INTERNAL)),
                },
            };
            take(piece)?;
        }
    })
}

/// What the scoring loop hands the writer thread, in order.
enum Out {
    /// The CSV header (or the typed columns of a Parquet output).
    Header,
    /// A chunk's parts, in input order.
    Parts(Vec<Part>),
}

/// The writer thread of `batch`: writes what it is handed, in order, and gives each part's
/// buffer back for reuse. When the scoring side is done it returns the sink, to commit; a
/// write that fails ends it with its exit code (the failure is said where it happened).
fn write_out(
    mut sink: Sink,
    receive: std::sync::mpsc::Receiver<Out>,
    buffers: &Buffers,
    ruleset: &RuleSet,
    with_id: bool,
) -> Result<Sink, u8> {
    for out in receive {
        match out {
            Out::Header => sink.header(ruleset, with_id)?,
            Out::Parts(parts) => {
                sink.parts(&parts)?;
                parts.into_iter().for_each(|part| buffers.give(part.out));
            }
        }
    }
    Ok(sink)
}
