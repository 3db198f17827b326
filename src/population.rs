//! Many applicants at once: rows of JSON lines or CSV, read as a stream, and plausible
//! applicants generated from a policy's input schema.

use std::borrow::Cow;
use std::io::{BufRead, Read};
use std::sync::Arc;

use crate::applicant::{json_entries, ApplicantError, RawValue};
use crate::eval::Applicant;
use crate::rules::{InputType, RuleSet, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    Jsonl,
    Csv,
}

impl RowFormat {
    /// From a file name's extension: `.csv` is CSV, anything else JSON lines.
    pub fn from_path(path: &str) -> RowFormat {
        if path.to_ascii_lowercase().ends_with(".csv") {
            RowFormat::Csv
        } else {
            RowFormat::Jsonl
        }
    }
}

/// One row as read: its text, parsed only when checked against a policy (which batch
/// work does in parallel).
#[derive(Debug, Clone)]
pub struct RawRow {
    /// 1-based line of the input where the row starts.
    pub line: usize,
    data: RowData,
}

#[derive(Debug, Clone)]
enum RowData {
    Json(String),
    Csv { record: csv::StringRecord, headers: Arc<[String]> },
}

impl RawRow {
    /// A row of JSON text (used by tests and tools that hold rows in memory).
    pub fn json(line: usize, text: String) -> RawRow {
        RawRow { line, data: RowData::Json(text) }
    }

    /// Check the row against a policy's schema; returns its `id` (if any) and the applicant.
    /// `id` names the row; it is not a fact unless the policy declares it.
    pub fn parse(&self, ruleset: &RuleSet) -> Result<(Option<String>, Applicant), ApplicantError> {
        let declares_id = ruleset.input_slot("id").is_some();
        match &self.data {
            RowData::Json(text) => {
                let mut fields = json_entries(text)?;
                let mut id = None;
                if !declares_id {
                    if let Some(i) = fields.iter().position(|(k, _)| k == "id") {
                        id = Some(match fields.remove(i).1 {
                            RawValue::Text(s) | RawValue::Number(s) | RawValue::Cell(s) => s.into_owned(),
                            RawValue::Bool(b) => b.to_string(),
                            _ => String::new(),
                        });
                    }
                }
                Ok((id, ruleset.applicant_from_fields(fields)?))
            }
            RowData::Csv { record, headers } => {
                let mut id = None;
                let mut fields = Vec::with_capacity(record.len());
                for (h, cell) in headers.iter().zip(record.iter()) {
                    if h == "id" && !declares_id {
                        id = Some(cell.to_string());
                    } else {
                        fields.push((h.as_str(), RawValue::Cell(Cow::Borrowed(cell))));
                    }
                }
                Ok((id, ruleset.applicant_from_fields(fields)?))
            }
        }
    }

    /// Whether the row carries an `id` (which output then repeats).
    pub fn has_id(&self) -> bool {
        match &self.data {
            RowData::Json(text) => json_entries(text).is_ok_and(|f| f.iter().any(|(k, _)| k == "id")),
            RowData::Csv { headers, .. } => headers.iter().any(|h| h == "id"),
        }
    }
}

/// A row that could not be read at all (broken CSV, unreadable input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ReadError {
    pub line: usize,
    pub message: String,
}

/// Reads rows in chunks, so memory stays flat whatever the input's size.
pub struct RowReader<R: Read> {
    inner: Inner<R>,
    /// Bytes consumed so far (for progress).
    pub bytes: u64,
}

enum Inner<R: Read> {
    Jsonl { reader: std::io::BufReader<R>, line: usize },
    Csv { reader: csv::Reader<R>, headers: Arc<[String]> },
}

impl<R: Read> RowReader<R> {
    pub fn new(input: R, format: RowFormat) -> Result<RowReader<R>, ReadError> {
        let inner = match format {
            RowFormat::Jsonl => Inner::Jsonl { reader: std::io::BufReader::with_capacity(1 << 16, input), line: 0 },
            RowFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(input);
                let headers = reader
                    .headers()
                    .map_err(|e| ReadError { line: 1, message: format!("cannot read the CSV header: {e}") })?
                    .iter()
                    // A byte-order mark (Excel's "CSV UTF-8") is not part of the first name.
                    .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
                    .collect::<Vec<_>>()
                    .into();
                Inner::Csv { reader, headers }
            }
        };
        Ok(RowReader { inner, bytes: 0 })
    }

    /// The CSV header, if the input is CSV.
    pub fn headers(&self) -> Option<&[String]> {
        match &self.inner {
            Inner::Csv { headers, .. } => Some(&headers[..]),
            Inner::Jsonl { .. } => None,
        }
    }

    /// Up to `max` rows; an empty chunk means the input is exhausted.
    pub fn chunk(&mut self, max: usize) -> Result<Vec<RawRow>, ReadError> {
        let mut rows = Vec::with_capacity(max);
        match &mut self.inner {
            Inner::Jsonl { reader, line } => {
                let mut buf = String::new();
                while rows.len() < max {
                    buf.clear();
                    let n = reader
                        .read_line(&mut buf)
                        .map_err(|e| ReadError { line: *line + 1, message: format!("cannot read the input: {e}") })?;
                    if n == 0 {
                        break;
                    }
                    self.bytes += n as u64;
                    *line += 1;
                    let text = buf.trim();
                    if text.is_empty() {
                        continue;
                    }
                    rows.push(RawRow { line: *line, data: RowData::Json(text.to_string()) });
                }
            }
            Inner::Csv { reader, headers } => {
                let mut record = csv::StringRecord::new();
                while rows.len() < max {
                    let more = reader.read_record(&mut record).map_err(|e| ReadError {
                        line: e.position().map(|p| p.line() as usize).unwrap_or(0),
                        message: csv_message(&e),
                    })?;
                    if !more {
                        break;
                    }
                    let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
                    self.bytes = record.position().map(|p| p.byte()).unwrap_or(self.bytes);
                    rows.push(RawRow {
                        line,
                        data: RowData::Csv { record: std::mem::take(&mut record), headers: headers.clone() },
                    });
                }
            }
        }
        Ok(rows)
    }
}

fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("the row has {len} fields, the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_string(),
        _ => e.to_string(),
    }
}

// ---------------------------------------------------------------- generation

/// A small deterministic generator (splitmix64): the same seed gives the same population.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// Upper bound used for inputs without one, by unit, so generated values stay plausible.
fn plausible_max(ty: InputType) -> i64 {
    match ty {
        InputType::Int { unit: Some(crate::rules::Unit::Months) } => 300,
        InputType::Int { unit: Some(crate::rules::Unit::Years) } => 25,
        InputType::Decimal { unit: Some(crate::rules::Unit::Yuan) } => 60_000,
        _ => 3,
    }
}

/// One plausible applicant as a JSON object line. Inputs keep their default most of the
/// time, so that every item is reached by some applicants and most score modestly.
pub fn generate_row(ruleset: &RuleSet, rng: &mut Rng, id: u64) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(&format!("{{\"id\":{id}"));
    for input in &ruleset.inputs {
        if input.optional && rng.chance(60) {
            continue;
        }
        if input.default.is_some() && rng.chance(55) {
            continue;
        }
        let lo = input.min.and_then(|m| i64::try_from(m.ceil()).ok()).unwrap_or(0);
        let hi = input
            .max
            .and_then(|m| i64::try_from(m.floor()).ok())
            .unwrap_or_else(|| lo.max(0) + plausible_max(input.ty));
        let value = match input.ty {
            InputType::Bool => {
                let default_true = input.default == Some(Value::Bool(true));
                // Flags that are rare in life (records, vetoes) stay rare.
                let flip = if default_true { 10 } else { 25 };
                (if rng.chance(flip) { !default_true } else { default_true }).to_string()
            }
            InputType::Int { .. }
                if input.default == Some(Value::Int(0)) && hi - lo > 0 && plausible_max(input.ty) == 3 =>
            {
                // Counts of records: mostly zero.
                (if rng.chance(85) { 0 } else { rng.range(1, 2) }).to_string()
            }
            InputType::Int { .. } => rng.range(lo, hi).to_string(),
            InputType::Decimal { .. } => {
                let whole = rng.range(lo, hi);
                let cents = rng.range(0, 99);
                format!("{whole}.{cents:02}")
            }
            InputType::Enum(e) => {
                let n = ruleset.enums.get(e as usize).map(|d| d.variants.len()).unwrap_or(1);
                let v = rng.range(0, n as i64 - 1) as usize;
                let name = ruleset
                    .enums
                    .get(e as usize)
                    .and_then(|d| d.variants.get(v))
                    .map(|v| v.name.to_string())
                    .unwrap_or_default();
                format!("\"{name}\"")
            }
        };
        out.push_str(&format!(",\"{}\":{value}", input.name));
    }
    out.push('}');
    out
}
