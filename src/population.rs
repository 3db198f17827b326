//! Many applicants at once: rows of JSON lines or CSV, read as a stream, and plausible
//! applicants generated from a policy's input schema.

use std::borrow::Cow;
use std::io::Read;
use std::ops::Range;
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
pub(crate) fn row_id(raw: RawValue<'_>) -> Result<Option<Cow<'_, str>>, ApplicantError> {
    match raw.textual() {
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
    block: Block,
}

/// Rows read column by column ([`RowParser::read_block`]), waiting to be handed out.
#[derive(Default)]
struct Block {
    /// The chunk the rows were read from ([`FactColumns::chunk`]; none yet), and the rows.
    chunk: Option<u64>,
    /// The chunk whose texts [`Self::texts`] holds.
    read_from: Option<u64>,
    rows: Range<usize>,
    /// Each row's applicant, handed out as it is (not copied into the parser's): at least
    /// as many as the block has rows, kept from one block to the next, the inputs no column
    /// fills holding their defaults (written again only when the columns change).
    applicants: Vec<Applicant>,
    /// Whether the fast path took each row (if not, it is read fact by fact).
    taken: Vec<bool>,
    /// The inputs each row gives, one bit per slot.
    given: Vec<u64>,
    /// The column of the rows' ids.
    id: Option<usize>,
    /// The keys of the columns read last (kept, so that they are told apart by address) and
    /// the input each fills: found once per set of columns, not per block.
    keys: Vec<Arc<str>>,
    slots: Vec<Option<usize>>,
    /// Per column, the values of texts already read from the chunk.
    texts: Vec<TextValues>,
}

/// The values a column's texts gave, by the place of their bytes, for one chunk: in a chunk
/// the same place is the same text (a column's dictionary gives each entry from one place),
/// so an enum's text is looked up once per dictionary entry, not once per row. A small
/// direct-mapped cache: a text whose entry was taken by another is looked up again.
pub struct TextValues {
    entries: Box<[Option<TextValue>; TEXT_ENTRIES]>,
}

/// A text's place and the value it gave (as [`FastInputs::value`] gives it).
type TextValue = (TextPlace, Option<Option<Value>>);

const TEXT_ENTRIES: usize = 64;

/// Where a borrowed text's bytes are (as an address), and how many.
type TextPlace = (usize, usize);

impl Default for TextValues {
    fn default() -> Self {
        TextValues { entries: Box::new([None; TEXT_ENTRIES]) }
    }
}

impl TextValues {
    /// The value of `text`, from the cache or made by `read` (and then kept).
    #[inline]
    pub fn value(&mut self, text: &[u8], read: impl FnOnce() -> Option<Option<Value>>) -> Option<Option<Value>> {
        let place = (text.as_ptr() as usize, text.len());
        // Entries of one dictionary lie side by side: the address's low bits tell them apart.
        let entry = &mut self.entries[(place.0 ^ (place.0 >> 6) ^ place.1) % TEXT_ENTRIES];
        match entry {
            Some((was, value)) if *was == place => *value,
            _ => {
                let value = read();
                *entry = Some((place, value));
                value
            }
        }
    }

    fn clear(&mut self) {
        self.entries.fill(None);
    }
}

/// Facts given column by column (a Parquet file's decoded columns), for
/// [`RowParser::read_block`] and [`RowParser::parse_columns`].
pub trait FactColumns {
    /// Each column's key: an input's name, `id`, or a name no input has.
    fn keys(&self) -> &[Arc<str>];

    /// The fact of a row's value in a column (`Null` for none), or why it cannot be one.
    fn fact(&self, column: usize, row: usize) -> Result<RawValue<'_>, ApplicantError>;

    /// A row's id in a column of ids when it is plain text, as [`row_id`] makes it of
    /// [`Self::fact`]; `None` for anything else (then the fact is read).
    fn id_text(&self, _column: usize, _row: usize) -> Option<&str> {
        None
    }

    /// `f(row, fact)` for each of `rows` in a column, in order, with the facts [`Self::fact`]
    /// gives, except that a value that cannot be a fact is given as a [`RawValue::Other`].
    fn each<'a>(&'a self, column: usize, rows: Range<usize>, f: impl FnMut(usize, RawValue<'a>));

    /// `f(row, value)` for each of `rows` in a column: the value it gives input `slot`, as
    /// `fast` reads [`Self::each`]'s fact (`Some(None)` for a null, `None` when declined).
    /// `texts` keeps the values of the chunk's texts already read from this column.
    fn values(
        &self,
        column: usize,
        rows: Range<usize>,
        fast: &FastInputs<'_>,
        slot: usize,
        texts: &mut TextValues,
        f: impl FnMut(usize, Option<Option<Value>>),
    ) {
        values_of_facts(self, column, rows, fast, slot, texts, f);
    }

    /// Which chunk of the input these columns hold (for a file, the number of rows before
    /// its first): two different chunks a parser is given must differ, so that the block
    /// read from one is never taken for rows of the other, and a text borrowed from one
    /// (whose value is kept by its place, [`TextValues`]) is never taken for another's.
    fn chunk(&self) -> u64;
}

/// [`FactColumns::values`] made from the column's facts, one at a time.
pub(crate) fn values_of_facts<C: FactColumns + ?Sized>(
    columns: &C,
    column: usize,
    rows: Range<usize>,
    fast: &FastInputs<'_>,
    slot: usize,
    texts: &mut TextValues,
    mut f: impl FnMut(usize, Option<Option<Value>>),
) {
    columns.each(column, rows, |r, raw| {
        let value = match &raw {
            RawValue::Cell(Cow::Borrowed(text)) => texts.value(text.as_bytes(), || fast.value(slot, raw.clone())),
            _ => fast.value(slot, raw),
        };
        f(r, value)
    });
}

impl<'r> RowParser<'r> {
    pub fn new(rules: &'r RuleSet) -> RowParser<'r> {
        RowParser {
            rules,
            declares_id: rules.input_slot("id").is_some(),
            fast: FastInputs::new(rules),
            fields: Vec::with_capacity(32),
            applicant: Applicant::default(),
            block: Block::default(),
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
        // Facts already split (a Parquet file's columns): into the reused applicant, with
        // the same checks and messages as `RawRow::parse`, copying no text.
        if let RowData::Fields(cells) = &row.data {
            let id_at = if self.declares_id { None } else { id_position(cells.iter().map(|(k, _)| &**k))? };
            let id = match id_at {
                Some(k) => row_id(borrowed(&cells[k].1))?,
                None => None,
            };
            let facts =
                cells.iter().enumerate().filter(|(k, _)| Some(*k) != id_at).map(|(_, (k, v))| (&**k, borrowed(v)));
            self.rules.fill_applicant(facts, &mut self.applicant)?;
            return Ok((id, &self.applicant));
        }
        // Anything unusual (escapes, errors, CSV) takes the general path and its messages.
        let (id, applicant) = row.parse(self.rules)?;
        self.applicant = applicant;
        Ok((id.map(Cow::Owned), &self.applicant))
    }

    /// Read row `row` of facts given column by column ([`FactColumns`]: a Parquet file's
    /// decoded columns, typed facts welcome) into the reused applicant, with the same checks
    /// and messages as [`RawRow::parse`] of the same facts, copying no text. A null is no
    /// fact: its key is left out, as a row read value by value leaves it out.
    ///
    /// Rows of the block [`Self::read_block`] read last from `columns` and found plainly
    /// valid are taken from it; any other row is read here fact by fact. A value the columns
    /// cannot make a fact of (a float that is not exactly a decimal, bytes that are not
    /// UTF-8) is the row's error whatever else is wrong with it, the first in column order,
    /// as when a row's values were all made before it was read.
    pub fn parse_columns<'c, C: FactColumns>(
        &mut self,
        columns: &'c C,
        row: usize,
    ) -> Result<(Option<Cow<'c, str>>, &Applicant), ApplicantError> {
        if let Some((id, r)) = self.block_row(columns, row) {
            return Ok((id, &self.block.applicants[r]));
        }
        match self.fill_columns(columns, row) {
            Ok(id) => Ok((id, &self.applicant)),
            Err(e) => Err((0..columns.keys().len()).find_map(|k| columns.fact(k, row).err()).unwrap_or(e)),
        }
    }

    fn fill_columns<'c, C: FactColumns>(
        &mut self,
        columns: &'c C,
        row: usize,
    ) -> Result<Option<Cow<'c, str>>, ApplicantError> {
        let keys = columns.keys();
        let given = |k: usize| !matches!(columns.fact(k, row), Ok(RawValue::Null));
        let mut id_at = None;
        if !self.declares_id {
            for (k, key) in keys.iter().enumerate() {
                if &**key == "id" && given(k) && id_at.replace(k).is_some() {
                    return Err(ApplicantError::DuplicateKey { key: "id".into() });
                }
            }
        }
        let id = match id_at {
            Some(k) => row_id(columns.fact(k, row)?)?,
            None => None,
        };
        // A value that cannot be made a fact is one no input takes (the caller then finds why).
        let facts = || {
            (0..keys.len()).filter(move |&k| Some(k) != id_at).filter_map(|k| {
                match columns.fact(k, row).unwrap_or(RawValue::Other("a value that cannot be read")) {
                    RawValue::Null => None,
                    raw => Some((&*keys[k], raw)),
                }
            })
        };
        if !self.fast.as_ref().is_some_and(|fast| fast.fill(facts(), &mut self.applicant)) {
            self.rules.fill_applicant(facts(), &mut self.applicant)?;
        }
        Ok(id)
    }

    /// Read rows `rows` of `columns` column by column, each column's values in one pass
    /// through the checks of the applicant reader's fast path, for [`Self::parse_columns`]
    /// to hand out. A row the fast path declines anywhere (a value out of range, a key no
    /// input has, a required input left out, a list) is left to be read fact by fact.
    pub fn read_block<C: FactColumns>(&mut self, columns: &C, rows: Range<usize>) {
        let block = &mut self.block;
        block.chunk = Some(columns.chunk());
        block.rows = rows.start..rows.start;
        let Some(fast) = &self.fast else { return };
        let len = rows.len();
        block.taken.clear();
        block.taken.resize(len, true);
        block.given.clear();
        block.given.resize(len, 0);
        block.id = None;
        let keys = columns.keys();
        let same =
            |a: &[Arc<str>], b: &[Arc<str>]| a.len() == b.len() && a.iter().zip(b).all(|(a, b)| Arc::ptr_eq(a, b));
        if !same(&block.keys, keys) {
            block.keys = keys.to_vec();
            // A key no input has, or an input already filled by another column, fills none.
            let mut filled = 0u64;
            block.slots = keys
                .iter()
                .map(|key| {
                    let slot = fast.slot(key).filter(|&slot| filled & 1 << slot == 0)?;
                    filled |= 1 << slot;
                    Some(slot)
                })
                .collect();
            // Inputs no column fills keep their defaults from one block to the next.
            block.applicants.iter_mut().for_each(|a| a.values.clone_from_slice(fast.defaults()));
        }
        if block.applicants.len() < len {
            block.applicants.resize_with(len, || Applicant::new(fast.defaults().to_vec()));
        }
        let applicants = &mut block.applicants[..len];
        if block.texts.len() != keys.len() || block.read_from != block.chunk {
            block.texts.resize_with(keys.len(), TextValues::default);
            block.texts.iter_mut().for_each(TextValues::clear);
            block.read_from = block.chunk;
        }
        let (taken, given) = (&mut block.taken, &mut block.given);
        for (((k, key), &slot), texts) in keys.iter().enumerate().zip(&block.slots).zip(&mut block.texts) {
            if !self.declares_id && &**key == "id" {
                if block.id.replace(k).is_some() {
                    // Two id columns: which names a row depends on its nulls.
                    taken.iter_mut().for_each(|t| *t = false);
                }
                continue;
            }
            // A row with a value in a column that fills no input is read fact by fact (for
            // its error, or to see which of two columns of one input is given).
            let Some(slot) = slot else {
                columns.each(k, rows.clone(), |r, raw| {
                    if !matches!(raw, RawValue::Null) {
                        taken[r - rows.start] = false;
                    }
                });
                continue;
            };
            // Every row's value for the slot is written, a null's as the default: a taken row's
            // applicant holds no value of an earlier block's row.
            let default = fast.defaults()[slot];
            // One store per row, whatever the value (a small body, inlined into each loop).
            columns.values(k, rows.clone(), fast, slot, texts, |r, value| {
                let r = r - rows.start;
                let (v, gives) = match value {
                    Some(Some(v)) => (v, 1 << slot),
                    Some(None) => (default, 0),
                    None => {
                        taken[r] = false;
                        (default, 0)
                    }
                };
                applicants[r].values[slot] = v;
                given[r] |= gives;
            });
        }
        for (t, g) in taken.iter_mut().zip(given.iter()) {
            *t &= (fast.required() & !g) == 0;
        }
        block.rows = rows;
    }

    /// Row `row` from the block read last, if it was read from these columns and taken:
    /// its id and its place in the block's applicants (one there is).
    fn block_row<'c, C: FactColumns>(&self, columns: &'c C, row: usize) -> Option<(Option<Cow<'c, str>>, usize)> {
        let block = &self.block;
        if block.chunk != Some(columns.chunk()) || !block.rows.contains(&row) {
            return None;
        }
        let r = row - block.rows.start;
        if !*block.taken.get(r)? || r >= block.applicants.len() {
            return None;
        }
        let id = match block.id {
            Some(k) => match columns.id_text(k, row) {
                Some(text) => Some(Cow::Borrowed(text)),
                None => row_id(columns.fact(k, row).ok()?).ok()?,
            },
            None => None,
        };
        Some((id, r))
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

/// A fact borrowing its text from `value`.
fn borrowed<'a>(value: &'a RawValue<'_>) -> RawValue<'a> {
    match value {
        RawValue::Null => RawValue::Null,
        RawValue::Bool(b) => RawValue::Bool(*b),
        RawValue::Number(n) => RawValue::Number(Cow::Borrowed(n)),
        RawValue::Text(t) => RawValue::Text(Cow::Borrowed(t)),
        RawValue::Cell(c) => RawValue::Cell(Cow::Borrowed(c)),
        RawValue::Other(k) => RawValue::Other(k),
        RawValue::List(t) => RawValue::List(Cow::Borrowed(t)),
        RawValue::Decimal { unscaled, scale } => RawValue::Decimal { unscaled: *unscaled, scale: *scale },
        RawValue::Date(days) => RawValue::Date(*days),
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
pub(crate) const MAX_ROW_BYTES: usize = 1 << 20;

/// The rows of one chunk hold at most about this many bytes (a chunk ends at the row that
/// reaches it), so memory follows the chunk, not the size of the rows.
pub(crate) const CHUNK_BYTES: usize = 8 << 20;

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
    /// `spare`: the texts of rows already scored, handed back to be filled again.
    Jsonl {
        reader: std::io::BufReader<R>,
        line: usize,
        buf: Vec<u8>,
        spare: Vec<String>,
    },
    Csv {
        reader: csv::Reader<Bounded<R>>,
        headers: Arc<[String]>,
    },
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
            RowFormat::Jsonl => Inner::Jsonl {
                reader: std::io::BufReader::with_capacity(1 << 16, input),
                line: 0,
                buf: Vec::new(),
                spare: Vec::new(),
            },
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
        self.chunk_reusing(max, None)
    }

    /// [`Self::chunk`], filling the rows' texts into the storage of `scored`, a chunk this
    /// reader gave before and that is no longer needed (a long run then allocates no text
    /// per row).
    pub fn chunk_reusing(&mut self, max: usize, scored: Option<Vec<RawRow>>) -> Result<Vec<RawRow>, ReadError> {
        let mut rows = Vec::with_capacity(max.min(1024));
        let mut held = 0;
        let max_row = self.max_row;
        match &mut self.inner {
            Inner::Jsonl { reader, line, buf, spare } => {
                spare.extend(scored.into_iter().flatten().filter_map(|row| match row.data {
                    RowData::Json(text) => Some(text),
                    _ => None,
                }));
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
                            Ok(text) => {
                                let mut kept = spare.pop().unwrap_or_default();
                                kept.clear();
                                kept.push_str(text.trim());
                                RowData::Json(kept)
                            }
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
        let take = match memchr::memchr(b'\n', available) {
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
        // The span of any two `i64`s fits a `u64`; all of them is every `u64`.
        let offset = match hi.abs_diff(lo).checked_add(1) {
            Some(span) => self.next_u64() % span,
            None => self.next_u64(),
        };
        lo.wrapping_add_unsigned(offset)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// Upper bound used for inputs without one, by unit, so generated values stay plausible.
fn plausible_max(ty: InputType) -> i64 {
    match ty {
        InputType::Int { unit: Some(crate::rules::Unit::MONTHS) } => 300,
        InputType::Int { unit: Some(crate::rules::Unit::YEARS) } => 25,
        InputType::Decimal { unit: Some(crate::rules::Unit::YUAN) } => 60_000,
        _ => 3,
    }
}

impl Rng {
    /// True with probability `per_mille` / 1000.
    pub fn per_mille(&mut self, per_mille: u32) -> bool {
        self.next_u64() % 1000 < u64::from(per_mille)
    }

    /// An index drawn with the given relative weights (not all zero).
    fn weighted(&mut self, weights: impl Iterator<Item = u64> + Clone) -> usize {
        let total: u64 = weights.clone().sum();
        if total == 0 {
            return 0;
        }
        let mut at = self.next_u64() % total;
        for (k, w) in weights.enumerate() {
            if at < w {
                return k;
            }
            at -= w;
        }
        0
    }
}

/// How one fact is drawn (see docs/cli.md, `jifen gen`).
#[derive(Debug, Clone)]
enum Draw {
    /// A bool, true with this probability per mille.
    Flag(u32),
    /// An enum variant by relative weight (index = variant).
    Values(Vec<u64>),
    /// A whole number from weighted ranges `(from, to, weight)`.
    Ranges(Vec<(i64, i64, u64)>),
    /// A date, uniform between two days (day numbers, both included).
    Dates(i32, i32),
    /// 0 to this many rows of a list, each field drawn as an input of its type would be.
    Rows(u32),
}

/// A value's upper limit, from another fact already drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// (age − 16) × 12.
    WorkingMonths,
    /// age − 16.
    WorkingYears,
    /// Another input's drawn number (0 when it was not given).
    Fact(usize),
}

#[derive(Debug, Clone)]
struct Fact {
    draw: Draw,
    /// Per mille: how often the fact is written at all (else it takes its default).
    given: u32,
    at_most: Option<Limit>,
    /// Drawn only when this other input was given a value other than its default.
    only_if: Option<usize>,
}

/// A population model: per input of a policy, how its values are drawn. Deterministic:
/// the same model, policy and seed give the same rows.
#[derive(Debug, Clone)]
pub struct Model {
    facts: Vec<Fact>,
    /// The order facts are drawn in: each after the facts its limits read.
    order: Vec<usize>,
}

/// The model used without `--model`: [`Model::derived`] with the bundled Shanghai
/// proportions (`examples/shanghai.model.toml`) for the facts the policy declares.
pub(crate) const BUNDLED_MODEL: &str = include_str!("../examples/shanghai.model.toml");

impl Model {
    /// A model from the policy alone: inputs mostly keep their defaults, flags that
    /// default to false are true for 5 per mille, required inputs are drawn from their range.
    pub fn derived(ruleset: &RuleSet) -> Model {
        let facts = ruleset.inputs.iter().map(|input| derived_fact(ruleset, input)).collect();
        Model { facts, order: (0..ruleset.inputs.len()).collect() }
    }

    /// The default model: [`Self::derived`] refined by [`BUNDLED_MODEL`] where the policy
    /// declares the fact (and the bundled description fits its declaration).
    pub fn default_for(ruleset: &RuleSet) -> Model {
        Model::from_toml(ruleset, BUNDLED_MODEL, false).unwrap_or_else(|_| Model::derived(ruleset))
    }

    /// A model read from TOML text (format in docs/cli.md). With `strict`, a fact the policy
    /// does not declare is an error; without, it is skipped.
    pub fn from_toml(ruleset: &RuleSet, text: &str, strict: bool) -> Result<Model, String> {
        let doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| e.to_string())?;
        let mut model = Model::derived(ruleset);
        for (name, item) in doc.as_table().iter() {
            let Some(slot) = ruleset.input_slot(name) else {
                if strict {
                    let names = ruleset.inputs.iter().map(|i| &*i.name);
                    let help = match crate::check::did_you_mean(name, names) {
                        Some(s) => format!(" (did you mean `{s}`?)"),
                        None => String::new(),
                    };
                    return Err(format!("[{name}]: the policy has no input `{name}`{help}"));
                }
                continue;
            };
            let table = item.as_table_like().ok_or_else(|| format!("[{name}]: must be a table"))?;
            let fact = read_fact(ruleset, slot, table).map_err(|e| format!("[{name}]: {e}"))?;
            model.facts[slot] = fact;
        }
        model.order = draw_order(ruleset, &model.facts)?;
        Ok(model)
    }

    /// One applicant as a JSON object line, named `synthetic-NNNNNN`.
    pub fn row(&self, ruleset: &RuleSet, rng: &mut Rng, id: u64) -> String {
        // Per input: the number drawn (for limits), whether it differs from the default,
        // and its JSON text (None: not written).
        let n = ruleset.inputs.len();
        let mut numbers = vec![0i64; n];
        let mut active = vec![false; n];
        let mut texts: Vec<Option<String>> = vec![None; n];
        let age = ruleset.input_slot("age");
        for &slot in &self.order {
            let (Some(input), Some(fact)) = (ruleset.inputs.get(slot), self.facts.get(slot)) else { continue };
            if fact.only_if.is_some_and(|o| !active[o]) || !rng.per_mille(fact.given) {
                continue;
            }
            let (lo, hi) = bounds(input);
            let limit = fact.at_most.map(|l| match l {
                Limit::WorkingMonths => age.map_or(i64::MAX, |a| numbers[a].saturating_sub(16).max(0) * 12),
                Limit::WorkingYears => age.map_or(i64::MAX, |a| numbers[a].saturating_sub(16).max(0)),
                Limit::Fact(other) => numbers[other],
            });
            let (text, number, differs) = match &fact.draw {
                Draw::Flag(p) => {
                    let b = rng.per_mille(*p);
                    (b.to_string(), i64::from(b), input.default != Some(Value::Bool(b)))
                }
                Draw::Values(weights) => {
                    let v = rng.weighted(weights.iter().copied());
                    let name = ruleset
                        .enums
                        .get(match input.ty {
                            InputType::Enum(e) => e as usize,
                            _ => usize::MAX,
                        })
                        .and_then(|d| d.variants.get(v))
                        .map(|v| v.name.to_string())
                        .unwrap_or_default();
                    let differs = input.default != Some(Value::Enum(v as u16));
                    (format!("\"{name}\""), v as i64, differs)
                }
                Draw::Ranges(ranges) => {
                    let k = rng.weighted(ranges.iter().map(|r| r.2));
                    let (from, to, _) = ranges.get(k).copied().unwrap_or((lo, lo, 1));
                    let mut v = rng.range(from.max(lo), to.min(hi));
                    if let Some(max) = limit {
                        if v > max {
                            // Beyond the limit: uniform within what the limit allows.
                            v = rng.range(lo, max.max(lo));
                        }
                    }
                    (v.to_string(), v, v != 0)
                }
                Draw::Dates(from, to) => {
                    let v = rng.range(i64::from(*from), i64::from(*to));
                    let day = i32::try_from(v).unwrap_or(*from);
                    (format!("\"{}\"", crate::date::format(day)), v, input.default != Some(Value::Date(day)))
                }
                Draw::Rows(most) => {
                    let rows = draw_rows(ruleset, input, *most, rng);
                    (rows.0, rows.1, rows.1 != 0)
                }
            };
            numbers[slot] = number;
            active[slot] = differs;
            texts[slot] = Some(text);
        }
        let mut out = String::with_capacity(512);
        out.push_str(&format!("{{\"id\":\"synthetic-{id:06}\""));
        for (input, text) in ruleset.inputs.iter().zip(texts) {
            if let Some(text) = text {
                out.push_str(&format!(",\"{}\":{text}", input.name));
            }
        }
        out.push('}');
        out
    }
}

/// Most rows `gen` draws for a list (whatever its bound).
const MAX_DRAWN_ROWS: u32 = 6;

/// A list's rows as JSON text, and how many: 0 to `most`, each field drawn as an input of
/// its type and range would be (an optional field left out now and then).
fn draw_rows(ruleset: &RuleSet, input: &crate::rules::InputDef, most: u32, rng: &mut Rng) -> (String, i64) {
    let Some((_, record)) =
        ruleset.inputs.iter().position(|i| i.name == input.name).and_then(|s| ruleset.record_of(s as u16))
    else {
        return ("[]".to_string(), 0);
    };
    let n = rng.range(0, i64::from(most));
    let mut out = String::from("[");
    for r in 0..n {
        if r > 0 {
            out.push(',');
        }
        out.push('{');
        let mut first = true;
        for field in &record.fields {
            let fact = derived_fact(ruleset, field);
            if !field.required() && !rng.per_mille(fact.given) {
                continue;
            }
            let (lo, hi) = bounds(field);
            let text = match &fact.draw {
                Draw::Flag(p) => rng.per_mille(*p).to_string(),
                Draw::Values(weights) => {
                    let v = rng.weighted(weights.iter().copied());
                    let variant = match field.ty {
                        InputType::Enum(e) => ruleset.enums.get(e as usize).and_then(|d| d.variants.get(v)),
                        _ => None,
                    };
                    format!("\"{}\"", variant.map(|v| &*v.name).unwrap_or_default())
                }
                Draw::Dates(from, to) => {
                    let day = i32::try_from(rng.range(i64::from(*from), i64::from(*to))).unwrap_or(*from);
                    format!("\"{}\"", crate::date::format(day))
                }
                Draw::Ranges(_) | Draw::Rows(_) => rng.range(lo, hi).to_string(),
            };
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&format!("\"{}\":{text}", field.name));
        }
        out.push('}');
    }
    out.push(']');
    (out, n)
}

/// The whole numbers an input allows, bounded by [`plausible_max`] when it has no maximum.
fn bounds(input: &crate::rules::InputDef) -> (i64, i64) {
    let lo = input.min.and_then(|m| i64::try_from(m.ceil()).ok()).unwrap_or(0);
    let hi = input
        .max
        .and_then(|m| i64::try_from(m.floor()).ok())
        .unwrap_or_else(|| lo.max(0).saturating_add(plausible_max(input.ty)));
    (lo, hi.max(lo))
}

fn derived_fact(ruleset: &RuleSet, input: &crate::rules::InputDef) -> Fact {
    let (lo, hi) = bounds(input);
    let fact = |draw, given| Fact { draw, given, at_most: None, only_if: None };
    match input.ty {
        InputType::List { max, .. } => fact(Draw::Rows(max.min(MAX_DRAWN_ROWS)), 1000),
        InputType::Bool => fact(Draw::Flag(if input.default == Some(Value::Bool(true)) { 990 } else { 5 }), 1000),
        InputType::Enum(e) => {
            let n = ruleset.enums.get(e as usize).map_or(1, |d| d.variants.len());
            let weights = (0..n)
                .map(|v| match input.default {
                    Some(Value::Enum(d)) if d as usize == v => 900 * n.saturating_sub(1).max(1) as u64,
                    Some(_) => 100,
                    None => 1,
                })
                .collect();
            fact(Draw::Values(weights), 1000)
        }
        InputType::Date => {
            let given = if input.required() {
                1000
            } else if input.optional {
                300
            } else {
                100
            };
            let (from, to) = default_dates(ruleset);
            fact(Draw::Dates(from, to), given)
        }
        _ if input.required() => fact(Draw::Ranges(vec![(lo, hi, 1)]), 1000),
        // Counts of records: given rarely, and then once.
        _ if plausible_max(input.ty) == 3 && input.max.is_none() => {
            fact(Draw::Ranges(vec![(lo.max(1), lo.max(1), 1)]), 5)
        }
        _ => fact(Draw::Ranges(vec![(lo, hi, 1)]), if input.optional { 300 } else { 100 }),
    }
}

/// How many years before the policy's effective date a drawn date may lie by default.
pub(crate) const DATE_SPAN_YEARS: i32 = 70;

/// The days a date input is drawn from unless the model says otherwise: the
/// [`DATE_SPAN_YEARS`] years up to the policy's effective date (both included).
fn default_dates(ruleset: &RuleSet) -> (i32, i32) {
    let to = crate::date::parse(&ruleset.effective).unwrap_or(0);
    let (y, m, d) = crate::date::civil(to);
    let year = (y - DATE_SPAN_YEARS).max(crate::date::MIN_YEAR);
    // 02-29 of a leap year may not exist in the earlier year: take 02-28.
    let from = crate::date::from_civil(year, m, d.min(crate::date::month_days(year, m))).unwrap_or(to);
    (from.min(to), to)
}

fn per_mille(v: &toml_edit::Item, key: &str) -> Result<u32, String> {
    v.as_integer()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n <= 1000)
        .ok_or_else(|| format!("`{key}` must be a whole number of per mille, 0 to 1000"))
}

fn read_fact(ruleset: &RuleSet, slot: usize, t: &dyn toml_edit::TableLike) -> Result<Fact, String> {
    let input = &ruleset.inputs[slot];
    let mut fact = derived_fact(ruleset, input);
    fact.given = 1000;
    for (key, v) in t.iter() {
        match key {
            "per_mille" => {
                if input.ty != InputType::Bool {
                    return Err("`per_mille` is for bool inputs".into());
                }
                fact.draw = Draw::Flag(per_mille(v, key)?);
            }
            "given_per_mille" => fact.given = per_mille(v, key)?,
            "values" => {
                let InputType::Enum(e) = input.ty else { return Err("`values` is for enum inputs".into()) };
                let variants = ruleset.enums.get(e as usize).map(|d| &d.variants[..]).unwrap_or_default();
                let table = v.as_table_like().ok_or("`values` must be a table of variant = weight")?;
                let mut weights = vec![0u64; variants.len()];
                for (name, w) in table.iter() {
                    let k = variants.iter().position(|x| &*x.name == name).ok_or_else(|| {
                        let all: Vec<&str> = variants.iter().map(|x| &*x.name).collect();
                        format!("`{name}` is not a variant (allowed: {})", all.join(", "))
                    })?;
                    weights[k] = w
                        .as_integer()
                        .and_then(|n| u64::try_from(n).ok())
                        .ok_or_else(|| format!("the weight of `{name}` must be a whole number ≥ 0"))?;
                }
                if weights.iter().all(|w| *w == 0) {
                    return Err("`values` needs a weight above 0".into());
                }
                fact.draw = Draw::Values(weights);
            }
            "dates" => {
                if input.ty != InputType::Date {
                    return Err("`dates` is for date inputs".into());
                }
                let bad =
                    || "`dates` must be [\"YYYY-MM-DD\", \"YYYY-MM-DD\"], the first not after the second".to_string();
                let list = v.as_array().ok_or_else(bad)?;
                let days: Vec<i32> =
                    list.iter().filter_map(|x| x.as_str()).filter_map(|s| crate::date::parse(s).ok()).collect();
                match days[..] {
                    [from, to] if list.len() == 2 && from <= to => fact.draw = Draw::Dates(from, to),
                    _ => return Err(bad()),
                }
            }
            "ranges" => {
                if matches!(input.ty, InputType::Bool | InputType::Enum(_) | InputType::Date) {
                    return Err("`ranges` is for number inputs".into());
                }
                let bad = || "`ranges` must be a list of [from, to, weight] whole numbers, from ≤ to".to_string();
                let list = v.as_array().ok_or_else(bad)?;
                let mut ranges = Vec::new();
                for r in list.iter() {
                    let r = r.as_array().ok_or_else(bad)?;
                    let n: Vec<i64> = r.iter().filter_map(|x| x.as_integer()).collect();
                    match n[..] {
                        [from, to, w] if r.len() == 3 && from <= to && w >= 0 => ranges.push((from, to, w as u64)),
                        _ => return Err(bad()),
                    }
                }
                if ranges.iter().all(|r| r.2 == 0) {
                    return Err("`ranges` needs a weight above 0".into());
                }
                fact.draw = Draw::Ranges(ranges);
            }
            "at_most" => {
                let name = v.as_str().ok_or("`at_most` must be a string")?;
                fact.at_most = Some(match name {
                    "working_months" => Limit::WorkingMonths,
                    "working_years" => Limit::WorkingYears,
                    other => Limit::Fact(ruleset.input_slot(other).ok_or_else(|| {
                        format!("`at_most = \"{other}\"`: no such input (or `working_months`, `working_years`)")
                    })?),
                });
            }
            "only_if" => {
                let name = v.as_str().ok_or("`only_if` must be a string")?;
                fact.only_if =
                    Some(ruleset.input_slot(name).ok_or_else(|| format!("`only_if = \"{name}\"`: no such input"))?);
            }
            other => {
                return Err(format!(
                    "unknown key `{other}` (allowed: per_mille, values, ranges, given_per_mille, at_most, only_if)"
                ))
            }
        }
    }
    Ok(fact)
}

/// Inputs in an order where each comes after the inputs its `at_most` and `only_if` read.
fn draw_order(ruleset: &RuleSet, facts: &[Fact]) -> Result<Vec<usize>, String> {
    let age = ruleset.input_slot("age");
    let deps = |f: &Fact| -> Vec<usize> {
        let mut d: Vec<usize> = f.only_if.into_iter().collect();
        match f.at_most {
            Some(Limit::Fact(s)) => d.push(s),
            Some(_) => d.extend(age),
            None => {}
        }
        d
    };
    let mut order = Vec::with_capacity(facts.len());
    let mut placed = vec![false; facts.len()];
    while order.len() < facts.len() {
        let before = order.len();
        for (slot, f) in facts.iter().enumerate() {
            if !placed[slot] && deps(f).iter().all(|&d| placed[d] && d != slot) {
                placed[slot] = true;
                order.push(slot);
            }
        }
        if order.len() == before {
            let stuck: Vec<&str> = (0..facts.len()).filter(|&s| !placed[s]).map(|s| &*ruleset.inputs[s].name).collect();
            return Err(format!("`at_most`/`only_if` go round in a circle between {}", stuck.join(", ")));
        }
    }
    Ok(order)
}

/// One plausible applicant under the default model ([`Model::default_for`]). To write many,
/// build the model once and call [`Model::row`].
pub fn generate_row(ruleset: &RuleSet, rng: &mut Rng, id: u64) -> String {
    Model::default_for(ruleset).row(ruleset, rng, id)
}
