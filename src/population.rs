//! Many applicants at once: rows of JSON lines or CSV, read as a stream, and plausible
//! applicants generated from a policy's input schema.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;

use crate::applicant::{json_entries, ApplicantError, FastInputs, RawValue};
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
    Csv {
        record: csv::StringRecord,
        headers: Arc<[String]>,
    },
    /// Facts already split into key and value by a reader of another format (a workbook's
    /// row); `id` is taken out as from a JSON row.
    Fields(Vec<(Arc<str>, RawValue<'static>)>),
    /// A row that was read but cannot be an applicant (not UTF-8, too long): an invalid row
    /// like any other, which `--skip-invalid` skips.
    Unreadable(String),
}

impl RawRow {
    /// A row of JSON text (used by tests and tools that hold rows in memory).
    pub fn json(line: usize, text: String) -> RawRow {
        RawRow { line, data: RowData::Json(text) }
    }

    /// A row of facts read from another format (a workbook): `line` is its row number.
    pub fn fields(line: usize, fields: Vec<(Arc<str>, RawValue<'static>)>) -> RawRow {
        RawRow { line, data: RowData::Fields(fields) }
    }

    /// Check the row against a policy's schema; returns its `id` (if any) and the applicant.
    /// `id` names the row; it is not a fact unless the policy declares it.
    pub fn parse(&self, ruleset: &RuleSet) -> Result<(Option<String>, Applicant), ApplicantError> {
        let declares_id = ruleset.input_slot("id").is_some();
        match &self.data {
            RowData::Json(text) => {
                let mut fields = json_entries(text)?;
                let id = if declares_id { None } else { take_id(&mut fields)? };
                Ok((id, ruleset.applicant_from_fields(fields)?))
            }
            RowData::Fields(cells) => {
                let mut fields: Vec<(&str, RawValue<'_>)> = cells.iter().map(|(k, v)| (&**k, v.clone())).collect();
                let id = if declares_id { None } else { take_id(&mut fields)? };
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
            RowData::Unreadable(message) => Err(ApplicantError::Unreadable { message: message.clone() }),
        }
    }
}

/// Take a row's `id` out of its facts, if it has one.
fn take_id<K: AsRef<str>>(fields: &mut Vec<(K, RawValue<'_>)>) -> Result<Option<String>, ApplicantError> {
    match id_position(fields.iter().map(|(k, _)| k.as_ref()))? {
        Some(at) => Ok(row_id(fields.remove(at).1)?.map(Cow::into_owned)),
        None => Ok(None),
    }
}

/// Where a row's `id` key is, if it has one; given twice, it is an error like any key's.
fn id_position<'k>(keys: impl Iterator<Item = &'k str>) -> Result<Option<usize>, ApplicantError> {
    let mut ids = keys.enumerate().filter(|(_, k)| *k == "id").map(|(at, _)| at);
    let first = ids.next();
    if ids.next().is_some() {
        return Err(ApplicantError::DuplicateKey { key: "id".into() });
    }
    Ok(first)
}

/// A row's `id`, as written: a string or a whole number (`null`: no id). Anything else
/// could not be written back as the row's name.
fn row_id(raw: RawValue<'_>) -> Result<Option<Cow<'_, str>>, ApplicantError> {
    match raw {
        RawValue::Null => Ok(None),
        RawValue::Text(s) | RawValue::Cell(s) => Ok(Some(s)),
        RawValue::Number(n) if is_whole_number(&n) => Ok(Some(n)),
        other => Err(ApplicantError::WrongType {
            key: "id".into(),
            expected: "a string or a whole number (it names the row)".into(),
            found: other.found(),
        }),
    }
}

/// `-?digits`: a JSON number with neither fraction nor exponent.
fn is_whole_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Checks many rows against one policy, reusing its storage from one row to the next.
pub struct RowParser<'r> {
    rules: &'r RuleSet,
    declares_id: bool,
    fast: Option<FastInputs<'r>>,
    fields: Vec<Field>,
    applicant: Applicant,
}

impl<'r> RowParser<'r> {
    pub fn new(rules: &'r RuleSet) -> RowParser<'r> {
        RowParser {
            rules,
            declares_id: rules.input_slot("id").is_some(),
            fast: FastInputs::new(rules),
            fields: Vec::with_capacity(32),
            applicant: Applicant { values: Vec::new() },
        }
    }

    /// The same as [`RawRow::parse`]; the applicant is valid until the next row is parsed.
    pub fn parse<'t>(&mut self, row: &'t RawRow) -> Result<(Option<Cow<'t, str>>, &Applicant), ApplicantError> {
        if let RowData::Json(text) = &row.data {
            if plain_json_fields(text, &mut self.fields).is_some() {
                let id = self.fill(text)?;
                return Ok((id, &self.applicant));
            }
        }
        // Anything unusual (escapes, errors, CSV) takes the general path and its messages.
        let (id, applicant) = row.parse(self.rules)?;
        self.applicant = applicant;
        Ok((id.map(Cow::Owned), &self.applicant))
    }

    /// Read the scanned facts of `text` into the applicant, as `RawRow::parse` would.
    fn fill<'t>(&mut self, text: &'t str) -> Result<Option<Cow<'t, str>>, ApplicantError> {
        let id_at = if self.declares_id { None } else { id_position(self.fields.iter().map(|f| f.key(text)))? };
        let id = match id_at {
            Some(k) => row_id(self.fields[k].raw(text))?,
            None => None,
        };
        let fields = &self.fields;
        let facts = || {
            fields.iter().enumerate().filter(move |(k, _)| Some(*k) != id_at).map(|(_, f)| (f.key(text), f.raw(text)))
        };
        if !self.fast.as_ref().is_some_and(|fast| fast.fill(facts(), &mut self.applicant)) {
            self.rules.fill_applicant(facts(), &mut self.applicant)?;
        }
        Ok(id)
    }
}

/// A fact of a JSON row as byte offsets into its text (so the storage outlives the row).
#[derive(Debug, Clone, Copy)]
struct Field {
    key: (usize, usize),
    value: FieldValue,
}

#[derive(Debug, Clone, Copy)]
enum FieldValue {
    Null,
    Bool(bool),
    Number(usize, usize),
    Text(usize, usize),
}

impl Field {
    fn key<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.key.0..self.key.1).unwrap_or_default()
    }

    fn raw<'t>(&self, text: &'t str) -> RawValue<'t> {
        let slice = |a: usize, b: usize| Cow::Borrowed(text.get(a..b).unwrap_or_default());
        match self.value {
            FieldValue::Null => RawValue::Null,
            FieldValue::Bool(b) => RawValue::Bool(b),
            FieldValue::Number(a, b) => RawValue::Number(slice(a, b)),
            FieldValue::Text(a, b) => RawValue::Text(slice(a, b)),
        }
    }
}

/// Scan a plain JSON object: keys and strings without escapes, values that are numbers,
/// strings, booleans or null. `None` for anything else (escapes, nesting, any error): the
/// full parser then reads the row, with its exact messages. Accepts only what serde_json
/// accepts, and reads the same facts from it.
fn plain_json_fields(text: &str, out: &mut Vec<Field>) -> Option<()> {
    out.clear();
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return only_ws(b, i + 1);
    }
    loop {
        let key = plain_string(b, i)?;
        i = skip_ws(b, key.1 + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let (value, next) = plain_value(b, i)?;
        out.push(Field { key, value });
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return only_ws(b, i + 1),
            _ => return None,
        }
    }
}

/// JSON's whitespace (not Unicode's).
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

fn only_ws(b: &[u8], i: usize) -> Option<()> {
    (skip_ws(b, i) == b.len()).then_some(())
}

/// The content of a string starting at `i` (its opening quote), if it has no escapes or
/// control characters; returns where the content starts and ends (at the closing quote).
fn plain_string(b: &[u8], i: usize) -> Option<(usize, usize)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let len = b.get(i + 1..)?.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
    let end = i + 1 + len;
    (b[end] == b'"').then_some((i + 1, end))
}

/// A value starting at `i`, and where it ends.
fn plain_value(b: &[u8], i: usize) -> Option<(FieldValue, usize)> {
    let word = |w: &[u8], v: FieldValue| b.get(i..i + w.len()).filter(|s| *s == w).map(|_| (v, i + w.len()));
    match b.get(i)? {
        b'"' => plain_string(b, i).map(|(s, e)| (FieldValue::Text(s, e), e + 1)),
        b't' => word(b"true", FieldValue::Bool(true)),
        b'f' => word(b"false", FieldValue::Bool(false)),
        b'n' => word(b"null", FieldValue::Null),
        b'-' | b'0'..=b'9' => json_number(b, i).map(|e| (FieldValue::Number(i, e), e)),
        _ => None,
    }
}

/// The end of a number written by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn json_number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |from: usize| from + b.get(from..).map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

/// A row that could not be read at all (broken CSV, unreadable input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ReadError {
    pub line: usize,
    pub message: String,
}

/// The longest row read, in bytes: an applicant is a few hundred bytes, and a longer row
/// is refused (as an invalid row, naming its line) rather than held in memory.
pub const MAX_ROW_BYTES: usize = 1 << 20;

/// The rows of one chunk hold at most about this many bytes (a chunk ends at the row that
/// reaches it), so memory follows the chunk, not the size of the rows.
pub const CHUNK_BYTES: usize = 8 << 20;

/// What the CSV reader reads ahead of the record it is at.
const CSV_BUFFER: usize = 1 << 16;

/// Reads rows in chunks bounded in rows and bytes, so memory stays flat whatever the
/// input's size and however long its rows.
pub struct RowReader<R: Read> {
    inner: Inner<R>,
    /// Bytes consumed so far (for progress).
    pub bytes: u64,
    max_row: usize,
    chunk_bytes: usize,
}

enum Inner<R: Read> {
    Jsonl { reader: std::io::BufReader<R>, line: usize, buf: Vec<u8> },
    Csv { reader: csv::Reader<Bounded<R>>, headers: Arc<[String]> },
}

/// A reader that refuses to go further than `until` bytes: the CSV reader has no limit of
/// its own on a record's length, so this bounds what one (unterminated) record can take.
struct Bounded<R> {
    inner: R,
    read: u64,
    until: u64,
    /// The limit was reached: the error that follows is a row too long.
    tripped: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let room = self.until.saturating_sub(self.read);
        if room == 0 && !buf.is_empty() {
            self.tripped = true;
            return Err(std::io::Error::other("the row is too long"));
        }
        let len = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..len])?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Read> RowReader<R> {
    pub fn new(input: R, format: RowFormat) -> Result<RowReader<R>, ReadError> {
        RowReader::with_limits(input, format, MAX_ROW_BYTES, CHUNK_BYTES)
    }

    /// A reader with other bounds than [`MAX_ROW_BYTES`] and [`CHUNK_BYTES`] (for tests).
    pub fn with_limits(
        input: R,
        format: RowFormat,
        max_row: usize,
        chunk_bytes: usize,
    ) -> Result<RowReader<R>, ReadError> {
        let inner = match format {
            RowFormat::Jsonl => {
                Inner::Jsonl { reader: std::io::BufReader::with_capacity(1 << 16, input), line: 0, buf: Vec::new() }
            }
            RowFormat::Csv => {
                let bounded = Bounded { inner: input, read: 0, until: (max_row + CSV_BUFFER) as u64, tripped: false };
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(false)
                    .buffer_capacity(CSV_BUFFER)
                    .from_reader(bounded);
                let headers = match reader.headers() {
                    Ok(h) => h.clone(),
                    Err(e) => {
                        let message = if reader.get_ref().tripped {
                            format!("the CSV header is longer than {max_row} bytes")
                        } else {
                            format!("cannot read the CSV header: {e}")
                        };
                        return Err(ReadError { line: 1, message });
                    }
                };
                let headers: Vec<String> = headers
                    .iter()
                    // A byte-order mark (Excel's "CSV UTF-8") is not part of the first name.
                    .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
                    .collect();
                if let Some(message) = repeated_column(&headers) {
                    return Err(ReadError { line: 1, message });
                }
                Inner::Csv { reader, headers: headers.into() }
            }
        };
        Ok(RowReader { inner, bytes: 0, max_row, chunk_bytes })
    }

    /// The CSV header, if the input is CSV.
    pub fn headers(&self) -> Option<&[String]> {
        match &self.inner {
            Inner::Csv { headers, .. } => Some(&headers[..]),
            Inner::Jsonl { .. } => None,
        }
    }

    /// Up to `max` rows, fewer when they reach the reader's bytes per chunk; an empty chunk
    /// means the input is exhausted. A row that is not UTF-8 or too long comes back as a row
    /// that fails to parse, naming its line.
    pub fn chunk(&mut self, max: usize) -> Result<Vec<RawRow>, ReadError> {
        let mut rows = Vec::with_capacity(max.min(1024));
        let mut held = 0;
        let max_row = self.max_row;
        match &mut self.inner {
            Inner::Jsonl { reader, line, buf } => {
                while rows.len() < max && held < self.chunk_bytes {
                    let (n, too_long) = read_line(reader, buf, max_row)
                        .map_err(|e| ReadError { line: *line + 1, message: format!("cannot read the input: {e}") })?;
                    if n == 0 {
                        break;
                    }
                    self.bytes += n as u64;
                    *line += 1;
                    let data = if too_long {
                        RowData::Unreadable(format!("the row is longer than {max_row} bytes"))
                    } else {
                        match std::str::from_utf8(buf) {
                            Ok(text) if text.trim().is_empty() => continue,
                            Ok(text) => RowData::Json(text.trim().to_string()),
                            Err(_) => RowData::Unreadable("the row is not valid UTF-8".to_string()),
                        }
                    };
                    held += buf.len();
                    rows.push(RawRow { line: *line, data });
                }
            }
            Inner::Csv { reader, headers } => {
                let mut record = csv::ByteRecord::new();
                while rows.len() < max && held < self.chunk_bytes {
                    let more = match reader.read_byte_record(&mut record) {
                        Ok(more) => more,
                        Err(_) if reader.get_ref().tripped => {
                            let line = reader.position().line() as usize;
                            return Err(ReadError { line, message: format!("the row is longer than {max_row} bytes") });
                        }
                        Err(e) => {
                            return Err(ReadError {
                                line: e.position().map(|p| p.line() as usize).unwrap_or(0),
                                message: csv_message(&e),
                            })
                        }
                    };
                    if !more {
                        break;
                    }
                    let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
                    let start = record.position().map(|p| p.byte()).unwrap_or(self.bytes);
                    let end = reader.position().byte();
                    self.bytes = end;
                    // The next record may take up to a row's length beyond its start.
                    reader.get_mut().until = end + (max_row + CSV_BUFFER) as u64;
                    held += record.as_slice().len();
                    let data = if end - start > max_row as u64 {
                        RowData::Unreadable(format!("the row is longer than {max_row} bytes"))
                    } else {
                        match csv::StringRecord::from_byte_record(std::mem::take(&mut record)) {
                            Ok(record) => RowData::Csv { record, headers: headers.clone() },
                            Err(e) => RowData::Unreadable(match e.utf8_error().field() {
                                k if k < headers.len() => {
                                    format!("the row is not valid UTF-8 (column `{}`)", headers[k])
                                }
                                _ => "the row is not valid UTF-8".to_string(),
                            }),
                        }
                    };
                    rows.push(RawRow { line, data });
                }
            }
        }
        Ok(rows)
    }
}

/// Read one line (its `\n` included) into `buf`, keeping at most `max` bytes of it; returns
/// the bytes consumed and whether the line was longer than `max` (then `buf` is not the line).
fn read_line<R: Read>(
    reader: &mut std::io::BufReader<R>,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    use std::io::BufRead;
    buf.clear();
    let mut consumed = 0;
    let mut ended = false;
    while !ended {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let take = match available.iter().position(|&b| b == b'\n') {
            Some(i) => {
                ended = true;
                i + 1
            }
            None => available.len(),
        };
        // Past the limit (and room for the line's end) the rest is only counted, not kept.
        if consumed + take <= max + 2 {
            buf.extend_from_slice(&available[..take]);
        }
        reader.consume(take);
        consumed += take;
    }
    if consumed > max + 2 {
        buf.clear();
        return Ok((consumed, true));
    }
    // The line's end (`\n` or `\r\n`) does not count toward its length.
    let end = if buf.ends_with(b"\r\n") { 2 } else { usize::from(buf.ends_with(b"\n")) };
    Ok((consumed, buf.len() - end > max))
}

/// A column the CSV header names twice (its cells would silently replace each other).
fn repeated_column(headers: &[String]) -> Option<String> {
    headers.iter().enumerate().find_map(|(k, h)| {
        let first = headers[..k].iter().position(|other| other == h)?;
        Some(format!("the CSV header names `{h}` twice (columns {} and {})", first + 1, k + 1))
    })
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
