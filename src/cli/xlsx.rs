//! Applicant lists and results as Excel workbooks (`.xlsx`, also what WPS writes).
//!
//! Reading (calamine): the first sheet, its first row naming the columns (an input's key,
//! its Chinese label from the policy, or `id`), then one applicant per row. Each cell
//! becomes the fact it would be in JSON or CSV and goes through the same applicant reader:
//! a number cell as the shortest decimal text of Excel's f64 (`12434.5`, never rounded), a
//! text cell as its text (read as a CSV cell is), an empty cell as absent. Writing
//! (rust_xlsxwriter, rows streamed to a temporary file): one sheet, a header row, numbers
//! as numbers, `true`/`false` as booleans, ids as text; the workbook's bytes then go through
//! [`super::output::Output`], so a failed run leaves no file behind.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::Arc;

use calamine::{DataRef, Reader, Xlsx};
use rust_xlsxwriter::{Workbook, Worksheet};

use crate::applicant::{exact_decimal, RawValue};
use crate::population::RawRow;
use crate::RuleSet;

use super::{exit, fail};

/// The most a workbook may unpack to, in bytes: its parts are zipped, and a few MiB can
/// unpack to far more than memory holds (a "zip bomb").
pub(crate) const MAX_UNPACKED_BYTES: u64 = 512 << 20;

/// The most cells read from a sheet (an Excel sheet holds 1 048 576 rows).
pub(crate) const MAX_CELLS: usize = 1 << 25;

/// The rows an Excel sheet holds, its header row included.
pub(crate) const MAX_ROWS: u32 = 1_048_576;

/// Whether a path names a workbook (by its extension).
pub(crate) fn is_xlsx(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".xlsx")
}

/// A sheet of applicants, read whole.
pub(crate) struct Sheet {
    pub name: String,
    /// The key (input name or `id`) each column holds, and the column's index.
    columns: Vec<(Arc<str>, u32)>,
    pub rows: Vec<RawRow>,
}

impl Sheet {
    /// Whether a column holds the rows' ids.
    pub(crate) fn has_id(&self) -> bool {
        self.columns.iter().any(|(k, _)| &**k == "id")
    }

    /// Where a problem with `key` in row `row` is: `Sheet1!D17`, or `Sheet1 row 17` when no
    /// column holds the key.
    pub(crate) fn place(&self, row: usize, key: Option<&str>) -> String {
        match key.and_then(|k| self.columns.iter().find(|(c, _)| &**c == k)) {
            Some((_, col)) => format!("{}!{}{row}", self.name, column_letters(*col)),
            None => format!("{} row {row}", self.name),
        }
    }
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column index.
pub(crate) fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A cell's address: `Sheet1!D17` (row and column 0-based).
fn address(sheet: &str, row: u32, col: u32) -> String {
    format!("{sheet}!{}{}", column_letters(col), row + 1)
}

/// Read the applicants of a workbook's first sheet. On failure, prints why (naming the
/// sheet, row and column) and returns the exit code.
pub(crate) fn read_applicants(path: &str, ruleset: &RuleSet) -> Result<Sheet, u8> {
    let (input, _) = super::input::open_stream(path)?;
    let mut bytes = Vec::new();
    let refused = |message: String| {
        fail(&format!("{path}: {message}"), Some("save the workbook again as .xlsx, or export it as CSV"));
        exit::APPLICANT
    };
    // The largest applicant file read (`--max-file-size`, 64 MiB unless told): a list of
    // 100 000 applicants takes a few MiB.
    let limit = super::input::policy_loader().max_file_size;
    input.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| {
        fail(&format!("cannot read `{path}`: {e}"), None);
        exit::IO
    })?;
    if bytes.len() as u64 > limit {
        return Err(refused(format!(
            "the workbook is larger than {limit} bytes (--max-file-size); split it, or export it as CSV"
        )));
    }
    let bytes = unpacked_within(bytes, MAX_UNPACKED_BYTES).map_err(refused)?;
    let mut book =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| refused(format!("not a readable Excel workbook (.xlsx): {e}")))?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(refused("the workbook has no sheet".into()));
    };
    let mut cells =
        book.worksheet_cells_reader(&name).map_err(|e| refused(format!("cannot read sheet `{name}`: {e}")))?;
    let mut reading = Rows::new(name, ruleset);
    let mut count = 0usize;
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => return Err(refused(format!("cannot read sheet `{}`: {e}", reading.sheet.name))),
        };
        count += 1;
        if count > MAX_CELLS {
            return Err(refused(format!("sheet `{}` has more than {MAX_CELLS} cells", reading.sheet.name)));
        }
        let (row, col) = cell.get_position();
        reading.cell(row, col, cell.get_value()).map_err(|m| {
            fail(&format!("{path}: {m}"), Some("fix the cell, or name the column by an input's key or label"));
            exit::APPLICANT
        })?;
    }
    Ok(reading.finish())
}

/// The workbook's bytes, if its parts unpack to at most `limit` bytes in all. Measured by
/// unpacking them (the sizes a zip declares may lie), before calamine holds any of them.
fn unpacked_within(bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>, String> {
    let not_a_workbook = |e: zip::result::ZipError| format!("not a readable Excel workbook (.xlsx): {e}");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
    let mut total = 0u64;
    for k in 0..archive.len() {
        let part = archive.by_index(k).map_err(not_a_workbook)?;
        // calamine finds the shared strings by this name, in any case, `\` or `/`.
        let strings = part.name().replace('\\', "/").eq_ignore_ascii_case("xl/sharedStrings.xml");
        let room = limit.saturating_sub(total);
        let unreadable = |e: std::io::Error| format!("not a readable Excel workbook (.xlsx): {e}");
        let read = if strings {
            let mut xml = Vec::new();
            part.take(room + 1).read_to_end(&mut xml).map_err(unreadable)?;
            shared_strings_there(&xml)?;
            xml.len() as u64
        } else {
            std::io::copy(&mut part.take(room + 1), &mut std::io::sink()).map_err(unreadable)?
        };
        total += read;
        if total > limit {
            return Err(format!(
                "the workbook unpacks to more than {} MiB; split it, or export it as CSV",
                limit >> 20
            ));
        }
    }
    Ok(archive.into_inner().into_inner())
}

/// Whether a workbook's shared strings (`xml`) hold as many strings as their `uniqueCount`
/// says: calamine reserves room for that many before reading any (a count of 10¹² in a
/// few bytes made it ask for 24 TB, and the process aborted). A count it would not read as
/// a number reserves nothing; XML it cannot read is left to it to refuse.
fn shared_strings_there(xml: &[u8]) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    // Read as calamine reads it: a mismatched end tag does not stop it before `sst`.
    reader.config_mut().check_end_names = false;
    let (mut declared, mut present) = (None, 0u64);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"sst" if declared.is_none() => {
                    let count = e.try_get_attribute("uniqueCount").ok().flatten();
                    declared =
                        Some(count.and_then(|a| std::str::from_utf8(&a.value).ok()?.trim().parse::<u128>().ok()));
                }
                b"si" => present += 1,
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    match declared.flatten() {
        Some(count) if count > u128::from(present) => {
            Err(format!("the workbook's shared strings say they are {count}, but it holds {present}; save it again"))
        }
        _ => Ok(()),
    }
}

/// A row's facts: each cell's key and value.
type Facts = Vec<(Arc<str>, RawValue<'static>)>;

/// A sheet being read, cell by cell, in the order the file holds them.
struct Rows<'r> {
    ruleset: &'r RuleSet,
    sheet: Sheet,
    /// The header's row, once a cell has been seen; whether it is complete.
    header: Option<(u32, bool)>,
    /// Column index → key, once the header is complete.
    keys: HashMap<u32, Arc<str>>,
    /// The row being read: its 0-based number and its facts.
    current: Option<(u32, Facts)>,
}

impl<'r> Rows<'r> {
    fn new(name: String, ruleset: &'r RuleSet) -> Rows<'r> {
        Rows {
            ruleset,
            sheet: Sheet { name, columns: Vec::new(), rows: Vec::new() },
            header: None,
            keys: HashMap::new(),
            current: None,
        }
    }

    fn cell(&mut self, row: u32, col: u32, value: &DataRef<'_>) -> Result<(), String> {
        let Some(raw) = raw_value(value) else { return Ok(()) };
        match self.header {
            None => {
                self.header = Some((row, false));
                self.header_cell(row, col, raw)
            }
            Some((header, false)) if row == header => self.header_cell(row, col, raw),
            Some((header, false)) => {
                self.header = Some((header, true));
                self.data_cell(row, col, raw)
            }
            Some((_, true)) => self.data_cell(row, col, raw),
        }
    }

    /// A column's name: an input's key, its label, or `id`.
    fn header_cell(&mut self, row: u32, col: u32, raw: RawValue<'static>) -> Result<(), String> {
        let here = address(&self.sheet.name, row, col);
        let text = match &raw {
            RawValue::Cell(t) | RawValue::Text(t) | RawValue::Number(t) => t.trim().to_string(),
            other => return Err(format!("{here}: a column's name must be text, found {}", other.found())),
        };
        let inputs = self.ruleset.inputs();
        let key: Arc<str> = if text == "id" {
            "id".into()
        } else if let Some(def) = inputs.iter().find(|d| *d.name == *text) {
            def.name.to_string().into()
        } else if let Some(def) = inputs.iter().find(|d| d.label.as_deref().is_some_and(|l| l.trim() == text)) {
            def.name.to_string().into()
        } else {
            let names = inputs.iter().flat_map(|d| std::iter::once(&*d.name).chain(d.label.as_deref()));
            let hint = match crate::check::did_you_mean(&text, names) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => String::new(),
            };
            return Err(format!("{here}: unknown column `{text}`{hint}; name it by an input's key or label"));
        };
        if let Some((_, first)) = self.sheet.columns.iter().find(|(k, _)| *k == key) {
            return Err(format!(
                "{here}: column `{text}` gives `{key}` again (already given by column {})",
                column_letters(*first)
            ));
        }
        self.sheet.columns.push((key.clone(), col));
        self.keys.insert(col, key);
        Ok(())
    }

    fn data_cell(&mut self, row: u32, col: u32, raw: RawValue<'static>) -> Result<(), String> {
        let Some(key) = self.keys.get(&col).cloned() else {
            return Err(format!(
                "{}: a value in a column without a name in the header row",
                address(&self.sheet.name, row, col)
            ));
        };
        if self.current.as_ref().is_none_or(|(r, _)| *r != row) {
            self.end_row();
            self.current = Some((row, Vec::with_capacity(self.keys.len())));
        }
        if let Some((_, facts)) = &mut self.current {
            facts.push((key, raw));
        }
        Ok(())
    }

    fn end_row(&mut self) {
        if let Some((row, facts)) = self.current.take() {
            self.sheet.rows.push(RawRow::fields(row as usize + 1, facts));
        }
    }

    fn finish(mut self) -> Sheet {
        self.end_row();
        self.sheet
    }
}

/// The fact a cell holds; `None` for an empty cell.
fn raw_value(value: &DataRef<'_>) -> Option<RawValue<'static>> {
    let text = |s: &str| (!s.trim().is_empty()).then(|| RawValue::Cell(s.to_string().into()));
    Some(match value {
        DataRef::Empty => return None,
        DataRef::String(s) => return text(s),
        DataRef::SharedString(s) => return text(s),
        DataRef::Int(i) => RawValue::Number(i.to_string().into()),
        // Rust prints an f64 as the shortest decimal that reads back as it: 12434.5 stays
        // 12434.5, and 0.1 stays 0.1 (never 0.1000000000000000055…).
        DataRef::Float(f) if f.is_finite() => RawValue::Number(format!("{f}").into()),
        DataRef::Float(_) => RawValue::Other("a number that is not finite"),
        DataRef::Bool(b) => RawValue::Bool(*b),
        // An Excel date is a day count (from 1899-12-30, or 1904-01-01 in the 1904 system,
        // with Excel's phantom 1900-02-29): calamine turns it into the calendar date; a
        // date is taken only without a time of day, written as the text a date input reads.
        DataRef::DateTime(d) => match d.to_ymd_hms_milli() {
            (y, m, day, 0, 0, 0, 0) if d.is_datetime() => {
                match crate::date::from_civil(i32::from(y), u32::from(m), u32::from(day)) {
                    Some(days) => RawValue::Cell(crate::date::format(days).into()),
                    None => RawValue::Other("a date outside the years 1000 to 9999"),
                }
            }
            _ if d.is_duration() => RawValue::Other("a duration"),
            _ => RawValue::Other("a date with a time of day"),
        },
        DataRef::DateTimeIso(s) if crate::date::parse(s).is_ok() => RawValue::Cell(s.to_string().into()),
        DataRef::DateTimeIso(_) => RawValue::Other("a date with a time of day"),
        DataRef::DurationIso(_) => RawValue::Other("a duration"),
        DataRef::Error(_) => RawValue::Other("an Excel error value (such as #N/A or #DIV/0!)"),
    })
}

// ---------------------------------------------------------------- writing

/// A workbook being written, one row after the other.
pub(crate) struct SheetWriter {
    book: Workbook,
    row: u32,
    /// The columns whose cells are always text (the ids).
    text_columns: Vec<bool>,
}

impl SheetWriter {
    pub(crate) fn new() -> Result<SheetWriter, String> {
        let mut book = Workbook::new();
        // Rows go to a temporary file as they are written: memory stays flat.
        book.add_worksheet_with_constant_memory();
        Ok(SheetWriter { book, row: 0, text_columns: Vec::new() })
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, String> {
        self.book.worksheet_from_index(0).map_err(|e| format!("cannot write the workbook: {e}"))
    }

    fn next_row(&mut self) -> Result<u32, String> {
        if self.row >= MAX_ROWS {
            return Err(format!(
                "more than {} rows do not fit in an Excel sheet; write CSV or JSON lines instead",
                MAX_ROWS - 1
            ));
        }
        self.row += 1;
        Ok(self.row - 1)
    }

    /// The header row; columns named `id` hold text.
    pub(crate) fn header<S: AsRef<str>>(&mut self, names: &[S]) -> Result<(), String> {
        let row = self.next_row()?;
        self.text_columns = names.iter().map(|n| n.as_ref() == "id").collect();
        let sheet = self.sheet()?;
        for (col, name) in names.iter().enumerate() {
            sheet.write_string(row, col as u16, name.as_ref()).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// One row of values (`None`: an empty cell).
    pub(crate) fn row<'a>(&mut self, values: impl IntoIterator<Item = Option<RawValue<'a>>>) -> Result<(), String> {
        let row = self.next_row()?;
        let text_columns = std::mem::take(&mut self.text_columns);
        let result = (|| {
            let sheet = self.sheet()?;
            for (col, value) in values.into_iter().enumerate() {
                let as_text = text_columns.get(col).copied().unwrap_or(false);
                let Some(value) = value else { continue };
                write_value(sheet, row, col as u16, value, as_text).map_err(|e| e.to_string())?;
            }
            Ok(())
        })();
        self.text_columns = text_columns;
        result
    }

    /// Rows of CSV text, as `batch` writes them: `true`/`false` become booleans, numbers
    /// numbers, the rest (and the `id` column) text.
    pub(crate) fn csv_rows(&mut self, csv: &[u8]) -> Result<(), String> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(csv);
        for record in reader.records() {
            let record = record.map_err(|e| format!("cannot write the workbook: {e}"))?;
            self.row(record.iter().map(|cell| match cell {
                "" => None,
                "true" => Some(RawValue::Bool(true)),
                "false" => Some(RawValue::Bool(false)),
                _ => Some(RawValue::Number(cell.into())),
            }))?;
        }
        Ok(())
    }

    /// The workbook's bytes.
    pub(crate) fn finish(mut self) -> Result<Vec<u8>, String> {
        self.book.save_to_buffer().map_err(|e| format!("cannot write the workbook: {e}"))
    }
}

/// A number is written as a number when Excel's f64 holds it exactly (it then reads back
/// as the same decimal), otherwise as text, so that no digit is lost either way.
fn write_value(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: RawValue<'_>,
    as_text: bool,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    match value {
        RawValue::Null => {}
        RawValue::Bool(b) if !as_text => {
            sheet.write_boolean(row, col, b)?;
        }
        RawValue::Bool(b) => {
            sheet.write_string(row, col, if b { "true" } else { "false" })?;
        }
        RawValue::Number(n) if !as_text && exactly_f64(&n).is_some() => {
            sheet.write_number(row, col, exactly_f64(&n).unwrap_or_default())?;
        }
        // A list's rows are written as their JSON text, which reads back as a list's cell.
        RawValue::Number(t) | RawValue::Text(t) | RawValue::Cell(t) | RawValue::List(t) => {
            sheet.write_string(row, col, &*t)?;
        }
        RawValue::Other(kind) => {
            sheet.write_string(row, col, kind)?;
        }
        typed @ (RawValue::Decimal { .. } | RawValue::Date(_)) => {
            write_value(sheet, row, col, typed.textual(), as_text)?;
        }
    }
    Ok(())
}

/// The f64 whose shortest text means the same decimal as `text`, if there is one.
pub(super) fn exactly_f64(text: &str) -> Option<f64> {
    let decimal = exact_decimal(text).ok()?;
    let f: f64 = text.trim().parse().ok()?;
    (f.is_finite() && exact_decimal(&format!("{f}")).ok()? == decimal).then_some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_like_excel() {
        // A..Z are 0..25, then AA (26), AZ (51), BA (52); XFD is Excel's last column (16383).
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(51), "AZ");
        assert_eq!(column_letters(52), "BA");
        assert_eq!(column_letters(16383), "XFD");
    }

    #[test]
    fn float_cells_read_as_their_shortest_decimal() {
        // 12434.5 and 0.1 are the decimals Excel shows; rounding to cents would also give
        // them, but 0.1 + 0.2 must stay 0.30000000000000004, as Excel holds it.
        let text = |f: f64| match raw_value(&DataRef::Float(f)) {
            Some(RawValue::Number(n)) => n.into_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(text(12434.5), "12434.5");
        assert_eq!(text(0.1), "0.1");
        assert_eq!(text(36.0), "36");
        assert_eq!(text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(raw_value(&DataRef::Float(f64::NAN)), Some(RawValue::Other("a number that is not finite")));
        assert_eq!(raw_value(&DataRef::String("  ".into())), None);
    }

    #[test]
    fn a_workbook_unpacking_beyond_the_limit_is_refused() {
        // 3 MiB of zeros deflates to a few KiB: within 4 MiB it passes, within 1 MiB not.
        let mut zipped = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut zipped);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("xl/sharedStrings.xml", options).unwrap();
        std::io::Write::write_all(&mut writer, &vec![b'0'; 3 << 20]).unwrap();
        writer.finish().unwrap();
        let bytes = zipped.into_inner();
        assert!(bytes.len() < 64 << 10, "{}", bytes.len());
        assert!(unpacked_within(bytes.clone(), 4 << 20).is_ok());
        let refused = unpacked_within(bytes, 1 << 20).unwrap_err();
        assert!(refused.contains("unpacks to more than 1 MiB"), "{refused}");
    }

    #[test]
    fn numbers_are_written_as_numbers_only_when_exact() {
        // 12434.5 is an f64 exactly; 0.1 reads back as 0.1; 2^53 + 1 does not fit an f64.
        assert_eq!(exactly_f64("12434.5"), Some(12434.5));
        assert_eq!(exactly_f64("0.1"), Some(0.1));
        assert_eq!(exactly_f64("9007199254740993"), None);
        assert_eq!(exactly_f64("abc"), None);
    }
}
