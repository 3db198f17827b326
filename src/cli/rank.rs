//! `jifen rank`: rank a population by the policy's `rank { … }`, streaming.
//!
//! The first pass scores rows in parallel chunks (as `batch` does) and keeps per row only
//! its compact key; the keys are sorted in memory; a second pass reads the file again for
//! each row's id and writes the rows in input order. Standard input and workbooks cannot
//! (or need not) be read twice: their ids are kept in memory during the first pass.

use std::io::Read;

use rayon::prelude::*;

use crate::population::{RawRow, RowParser, RowReader};
use crate::rank::{self, Keys, Placed, Summary};
use crate::rules::{RankDef, Value};
use crate::{RuleSet, Scores};

use super::batch::{csv_cell, open_input, push_csv_cell, read_ahead, row_format, Rows};
use super::input::load_policy;
use super::output::Output;
use super::xlsx::{self, SheetWriter};
use super::{exit, fail, Format};

/// Rows read together; memory stays flat whatever the input's size.
const CHUNK: usize = 16_384;
/// Rows per rayon task.
const PART: usize = 512;

/// Rank a population by the policy's `rank` declaration: each applicant's rank, whether they
/// are admitted, and the cut line.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen rank --policy quota.policy people.jsonl -o ranked.csv\n  \
jifen rank --policy quota.policy 申请人.xlsx -o ranked.xlsx\n  \
jifen gen --policy quota.policy --count 100000 | jifen rank --policy quota.policy - > ranked.jsonl\n  \
jifen --format json rank --policy quota.policy people.csv -o ranked.csv\n\n\
Columns: line, id (when the input has ids), total (or the section ranked by), rank, admitted\n\
(yes/no; empty without a quota), not_ranked (ineligible, vetoed, below the standard), then each\n\
tie-break input. Rows come out in input order. Identical keys share a rank (1, 2, 2, 4);\n\
without `admit ties` exactly the quota is admitted, equal keys at the line taken in input order.\n\
The cut line is printed to standard error (to standard output when -o names a file); with\n\
--format json as a JSON object. A file is read twice (keys first, then ids); from standard\n\
input or a workbook the ids are kept in memory instead.\n\
An invalid row stops the run (exit 3) naming its line and key; no output file is left behind.")]
pub(crate) struct Args {
    /// The population: JSON lines, CSV or an Excel workbook (by extension), or `-` for standard input.
    pub input: String,
    /// Policy whose `rank` declaration ranks (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Output file (default: standard output). Written whole or not at all.
    #[arg(short, long)]
    pub output: Option<String>,
    /// Input format (default: from the extension; `.csv` is CSV, `.xlsx` a workbook, otherwise JSON lines).
    #[arg(long, value_enum)]
    pub input_format: Option<Rows>,
    /// Output format (default: from the output's extension: `.csv`, `.xlsx`, otherwise JSON lines).
    #[arg(long, value_enum)]
    pub output_format: Option<Rows>,
}

/// One row that could not be ranked: where, the key at fault, and why.
struct Failure {
    line: usize,
    key: Option<String>,
    reason: String,
}

/// A row's line and id, kept when the input cannot be read a second time.
type Ids = Vec<(usize, Option<Box<str>>)>;

/// The rows of the first pass: a stream read ahead, or a workbook's rows.
enum Source {
    Stream(super::batch::Chunks),
    Sheet(std::vec::IntoIter<RawRow>),
}

impl Source {
    fn next(&mut self) -> Result<Vec<RawRow>, String> {
        match self {
            Source::Stream(chunks) => match chunks.next() {
                Some((Ok(rows), _)) => Ok(rows),
                Some((Err(e), _)) => Err(e.to_string()),
                None => Err("the reading thread stopped".into()),
            },
            Source::Sheet(rows) => Ok(rows.by_ref().take(CHUNK).collect()),
        }
    }
}

fn open_stream(args: &Args) -> Result<(Source, bool), u8> {
    let (input, _) = open_input(&args.input)?;
    let reader =
        RowReader::new(input as Box<dyn Read + Send>, row_format(args.input_format, &args.input)).map_err(|e| {
            fail(&format!("{}: {e}", args.input), None);
            exit::APPLICANT
        })?;
    let with_id = reader.headers().is_none_or(|h| h.iter().any(|c| c == "id"));
    Ok((Source::Stream(read_ahead(reader, CHUNK)), with_id))
}

/// Score rows in parallel; each part gives its keys (and ids, when kept), in input order.
fn score_rows(ruleset: &RuleSet, def: &RankDef, rows: &[RawRow], keep_ids: bool) -> Result<(Keys, Ids), Failure> {
    let scorer = ruleset.scorer();
    let parts: Vec<Result<(Keys, Ids), Failure>> = rows
        .par_chunks(PART)
        .map_init(
            || (RowParser::new(ruleset), Scores::default()),
            |(parser, scores), rows| {
                let mut keys = Keys::new(def);
                let mut ids = Vec::new();
                for row in rows {
                    let fault = |key: Option<&str>, reason: String| Failure {
                        line: row.line,
                        key: key.map(str::to_string),
                        reason,
                    };
                    let (id, applicant) = parser.parse(row).map_err(|e| fault(e.key(), e.to_string()))?;
                    scorer.score(applicant, scores).map_err(|e| fault(None, e.to_string()))?;
                    keys.push(def, scores, applicant);
                    if keep_ids {
                        ids.push((row.line, id.map(|i| Box::from(&*i))));
                    }
                }
                Ok((keys, ids))
            },
        )
        .collect();
    let mut keys = Keys::new(def);
    let mut ids = Vec::new();
    for part in parts {
        let (k, mut i) = part?;
        keys.append(k);
        ids.append(&mut i);
    }
    Ok((keys, ids))
}

/// The ids (and lines) of rows read a second time, in parallel.
fn ids_of(ruleset: &RuleSet, rows: &[RawRow]) -> Result<Ids, Failure> {
    let parts: Vec<Result<Ids, Failure>> = rows
        .par_chunks(PART)
        .map_init(
            || RowParser::new(ruleset),
            |parser, rows| {
                rows.iter()
                    .map(|row| match parser.parse(row) {
                        Ok((id, _)) => Ok((row.line, id.map(|i| Box::from(&*i)))),
                        Err(e) => {
                            Err(Failure { line: row.line, key: e.key().map(str::to_string), reason: e.to_string() })
                        }
                    })
                    .collect()
            },
        )
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// The output's columns.
fn columns(ruleset: &RuleSet, def: &RankDef, with_id: bool) -> Vec<String> {
    let mut out = vec!["line".to_string()];
    if with_id {
        out.push("id".into());
    }
    out.push(rank::by_name(ruleset, def).to_string());
    out.extend(["rank", "admitted", "not_ranked"].map(String::from));
    out.extend(def.then.iter().map(|t| ruleset.inputs()[t.slot as usize].name.to_string()));
    out
}

/// A tie-break value in a cell: a variant's name, a plain number, empty when not given.
fn cell(ruleset: &RuleSet, slot: u16, value: Value) -> String {
    match (ruleset.inputs()[slot as usize].ty, value) {
        (_, Value::Absent) => String::new(),
        (crate::rules::InputType::Enum(_), v) => ruleset.show_value(ruleset.inputs()[slot as usize].ty, v),
        (_, v) => crate::rules::show_plain(v),
    }
}

/// A tie-break value in JSON: a number, true/false, a variant's name, null when not given.
fn json_value(ruleset: &RuleSet, slot: u16, value: Value) -> serde_json::Value {
    let text = cell(ruleset, slot, value);
    match value {
        Value::Absent => serde_json::Value::Null,
        Value::Bool(b) => b.into(),
        Value::Enum(_) => text.into(),
        _ => serde_json::from_str(&text).unwrap_or(text.into()),
    }
}

/// How rows are written.
struct Writer<'a> {
    ruleset: &'a RuleSet,
    def: &'a RankDef,
    csv: bool,
    with_id: bool,
}

impl Writer<'_> {
    fn row(&self, out: &mut Vec<u8>, line: usize, id: Option<&str>, placed: &Placed<'_>) {
        let admitted = placed.admitted.map(|a| if a { "yes" } else { "no" });
        if self.csv {
            let mut cells: Vec<String> = vec![line.to_string()];
            if self.with_id {
                cells.push(id.unwrap_or("").to_string());
            }
            cells.push(rank::show_points(self.ruleset, placed.points));
            cells.push(placed.rank.map(|r| r.to_string()).unwrap_or_default());
            cells.push(admitted.unwrap_or("").to_string());
            cells.push(placed.standing.reason().to_string());
            cells.extend(self.def.then.iter().zip(placed.ties).map(|(t, v)| cell(self.ruleset, t.slot, *v)));
            for (k, c) in cells.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                push_csv_cell(out, c);
            }
            out.push(b'\n');
            return;
        }
        let mut object = serde_json::Map::new();
        object.insert("line".into(), line.into());
        if let Some(id) = id {
            object.insert("id".into(), id.into());
        }
        let points = rank::show_points(self.ruleset, placed.points);
        let points = serde_json::from_str::<serde_json::Value>(&points).unwrap_or(points.into());
        object.insert(rank::by_name(self.ruleset, self.def).into(), points);
        object.insert("rank".into(), placed.rank.into());
        object.insert("admitted".into(), placed.admitted.into());
        let reason = placed.standing.reason();
        object.insert("not_ranked".into(), if reason.is_empty() { serde_json::Value::Null } else { reason.into() });
        for (t, v) in self.def.then.iter().zip(placed.ties) {
            object
                .insert(self.ruleset.inputs()[t.slot as usize].name.to_string(), json_value(self.ruleset, t.slot, *v));
        }
        if serde_json::to_writer(&mut *out, &object).is_ok() {
            out.push(b'\n');
        }
    }
}

/// Where the ranked rows go: written as they come, or a workbook written at the end.
enum Sink {
    Bytes(Output),
    Workbook(Output, Box<SheetWriter>),
}

impl Sink {
    fn rows(&mut self, bytes: &[u8]) -> Result<(), u8> {
        match self {
            Sink::Bytes(out) => out.write(bytes),
            Sink::Workbook(_, sheet) => sheet.csv_rows(bytes).map_err(failed_output),
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
        }
    }
}

fn failed_output(message: String) -> u8 {
    fail(&message, None);
    exit::IO
}

fn report(input: &str, failure: &Failure, place: &dyn Fn(usize, Option<&str>) -> String) -> u8 {
    fail(
        &format!("{input} {}: {}", place(failure.line, failure.key.as_deref()), failure.reason),
        Some("fix the row; no output file was written"),
    );
    exit::APPLICANT
}

pub(crate) fn run(args: Args, format: Format) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let Some(def) = ruleset.rank() else {
        fail(
            &format!("policy `{}` declares no ranking", ruleset.id()),
            Some("add `rank \"…\" { by total  quota N }` to the policy (see docs/language.md, Ranking)"),
        );
        return exit::POLICY;
    };
    match rank_population(&args, &ruleset, def) {
        Ok(summary) => {
            print_summary(&args, &ruleset, def, &summary, format);
            exit::OK
        }
        Err(code) => code,
    }
}

fn rank_population(args: &Args, ruleset: &RuleSet, def: &RankDef) -> Result<Summary, u8> {
    let workbook = args.input_format.is_none() && xlsx::is_xlsx(&args.input);
    let stdin = args.input == "-";
    let (mut source, with_id, sheet) = if workbook {
        let mut sheet = xlsx::read_applicants(&args.input, ruleset)?;
        let rows = std::mem::take(&mut sheet.rows);
        let with_id = sheet.has_id();
        (Source::Sheet(rows.into_iter()), with_id, Some(sheet))
    } else {
        let (source, with_id) = open_stream(args)?;
        (source, with_id, None)
    };
    let place = |line: usize, key: Option<&str>| match &sheet {
        Some(sheet) => sheet.place(line, key),
        None => format!("line {line}"),
    };
    // Pass 1: every row's key (and, when it cannot be read again, its id).
    let keep_ids = workbook || stdin;
    let mut keys = Keys::new(def);
    let mut kept: Ids = Vec::new();
    loop {
        let rows = source.next().map_err(|e| {
            fail(&format!("{}: {e}", args.input), Some("fix the row; no output file was written"));
            exit::APPLICANT
        })?;
        if rows.is_empty() {
            break;
        }
        let (k, mut ids) = score_rows(ruleset, def, &rows, keep_ids).map_err(|f| report(&args.input, &f, &place))?;
        keys.append(k);
        kept.append(&mut ids);
    }
    let ranking = keys.rank(def);

    let output_name = args.output.as_deref().unwrap_or("").to_ascii_lowercase();
    let xlsx_out = args.output_format.is_none() && xlsx::is_xlsx(&output_name);
    let csv = match args.output_format {
        Some(f) => f == Rows::Csv,
        None => output_name.ends_with(".csv") || xlsx_out,
    };
    let out = Output::create(args.output.as_deref())?;
    let mut sink = if xlsx_out {
        Sink::Workbook(out, Box::new(SheetWriter::new().map_err(failed_output)?))
    } else {
        Sink::Bytes(out)
    };
    let writer = Writer { ruleset, def, csv, with_id };
    let header = columns(ruleset, def, with_id);
    match &mut sink {
        Sink::Workbook(_, sheet) => sheet.header(&header).map_err(failed_output)?,
        Sink::Bytes(out) if csv => {
            let cells: Vec<String> = header.into_iter().map(|c| csv_cell(&c)).collect();
            out.write((cells.join(",") + "\n").as_bytes())?;
        }
        Sink::Bytes(_) => {}
    }
    // Pass 2: rows in input order, with their ids.
    let mut written = 0usize;
    let mut buffer = Vec::with_capacity(1 << 16);
    let mut write_ids = |ids: &[(usize, Option<Box<str>>)], sink: &mut Sink| -> Result<(), u8> {
        buffer.clear();
        for (line, id) in ids {
            let Some(placed) = ranking.get(written) else {
                fail(&format!("{}: the input changed while it was ranked", args.input), None);
                return Err(exit::APPLICANT);
            };
            writer.row(&mut buffer, *line, id.as_deref(), &placed);
            written += 1;
        }
        sink.rows(&buffer)
    };
    if keep_ids {
        for ids in kept.chunks(CHUNK) {
            write_ids(ids, &mut sink)?;
        }
    } else {
        let (mut again, _) = open_stream(args)?;
        loop {
            let rows = again.next().map_err(|e| {
                fail(&format!("{}: {e}", args.input), None);
                exit::APPLICANT
            })?;
            if rows.is_empty() {
                break;
            }
            let ids = ids_of(ruleset, &rows).map_err(|f| report(&args.input, &f, &place))?;
            write_ids(&ids, &mut sink)?;
        }
    }
    if written != ranking.len() {
        fail(&format!("{}: the input changed while it was ranked", args.input), None);
        return Err(exit::APPLICANT);
    }
    sink.commit()?;
    Ok(ranking.summary)
}

fn print_summary(args: &Args, ruleset: &RuleSet, def: &RankDef, summary: &Summary, format: Format) {
    let text = if format == Format::Json {
        let mut value = serde_json::to_value(summary).unwrap_or_default();
        if let (Some(obj), Some(line)) = (value.as_object_mut(), &summary.line) {
            let mut key = serde_json::Map::new();
            key.insert(rank::by_name(ruleset, def).into(), line.points.into());
            for (t, v) in def.then.iter().zip(&line.ties) {
                key.insert(ruleset.inputs()[t.slot as usize].name.to_string(), json_value(ruleset, t.slot, *v));
            }
            obj.insert("line".into(), key.into());
            obj.insert("cut_line".into(), summary.describe(ruleset, def).into());
        }
        value.to_string()
    } else {
        summary.describe(ruleset, def)
    };
    let to_file = args.output.as_deref().is_some_and(|o| o != "-");
    if to_file {
        super::write_stdout(&format!("{text}\n"));
    } else {
        stderr_line!("{text}");
    }
}
