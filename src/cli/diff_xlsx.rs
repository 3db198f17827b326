//! `jifen diff --xlsx`: the briefing as an Excel workbook — a summary sheet (headline counts
//! and bands), a sheet for the `--by` breakdown, the drivers, the rule changes in policy
//! words, the regions, and (with `--applicants`) one row per applicant whose points change.
//! Like `--html`, it is drawn from the same JSON report `--format json` writes; the
//! per-applicant rows are the lines `--format csv` writes.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

use super::xlsx::{exactly_f64, MAX_ROWS};

/// The sheets' names, in order (the breakdown's is `By <fact>`).
pub(crate) const SUMMARY: &str = "Summary";
pub(crate) const DRIVERS: &str = "Drivers";
pub(crate) const RULE_CHANGES: &str = "Rule changes";
pub(crate) const REGIONS: &str = "Regions";
pub(crate) const APPLICANTS: &str = "Applicants";

/// Most applicant rows the workbook holds (a sheet's rows less its header).
pub(crate) const MAX_APPLICANTS: usize = MAX_ROWS as usize - 1;

/// The workbook for a diff report `v` (the `--format json` value) of the policy `title`;
/// `applicants`: CSV text (a header, then one line per applicant whose points change) as
/// `--format csv` writes it.
pub(crate) fn render(v: &Value, title: &str, applicants: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let bad = |e: XlsxError| format!("cannot write the workbook: {e}");
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    summary(book.add_worksheet().set_name(SUMMARY).map_err(bad)?, v, title, &bold).map_err(bad)?;
    let s = &v["summary"];
    if let Some(groups) = s["by"]["groups"].as_array() {
        let name = sheet_name(&format!("By {}", text(&s["by"]["fact"])));
        let sheet = book.add_worksheet().set_name(name).map_err(bad)?;
        let head = ["value", "applicants", "gain", "lose", "total change", "mean change"];
        let keys = ["value", "applicants", "gain", "lose", "total_change", "mean_change"];
        table(sheet, &head, groups, &keys, &bold).map_err(bad)?;
    }
    if let Some(drivers) = s["drivers"].as_array() {
        let sheet = book.add_worksheet().set_name(DRIVERS).map_err(bad)?;
        let head = ["item", "kind", "applicants", "total change"];
        table(sheet, &head, drivers, &["item", "kind", "applicants", "total_change"], &bold).map_err(bad)?;
    }
    changes(book.add_worksheet().set_name(RULE_CHANGES).map_err(bad)?, v, &bold).map_err(bad)?;
    regions(book.add_worksheet().set_name(REGIONS).map_err(bad)?, v, &bold).map_err(bad)?;
    if let Some(csv) = applicants {
        // Rows go to a temporary file as they are written: memory stays flat.
        let sheet = book.add_worksheet_with_constant_memory().set_name(APPLICANTS).map_err(bad)?;
        applicant_rows(sheet, csv, &bold)?;
    }
    book.save_to_buffer().map_err(bad)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).take(31).collect()
}

/// A JSON value in a cell: numbers as numbers when Excel holds them exactly (else as text,
/// no digit lost), yes/no as booleans, lists joined with `, `.
fn cell(sheet: &mut Worksheet, row: u32, col: u16, v: &Value) -> Result<(), XlsxError> {
    match v {
        Value::Null => {}
        Value::Bool(b) => {
            sheet.write_boolean(row, col, *b)?;
        }
        Value::Number(n) => match exactly_f64(&n.to_string()) {
            Some(f) => {
                sheet.write_number(row, col, f)?;
            }
            None => {
                sheet.write_string(row, col, n.to_string())?;
            }
        },
        Value::String(s) => {
            sheet.write_string(row, col, s)?;
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(text).collect();
            sheet.write_string(row, col, parts.join(", "))?;
        }
        Value::Object(_) => {
            sheet.write_string(row, col, v.to_string())?;
        }
    }
    Ok(())
}

fn header(sheet: &mut Worksheet, row: u32, names: &[&str], bold: &Format) -> Result<(), XlsxError> {
    for (col, name) in names.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *name, bold)?;
    }
    Ok(())
}

/// A header row, then one row per object with the values of `keys`.
fn table(sheet: &mut Worksheet, head: &[&str], rows: &[Value], keys: &[&str], bold: &Format) -> Result<(), XlsxError> {
    header(sheet, 0, head, bold)?;
    for (r, object) in rows.iter().enumerate() {
        for (col, key) in keys.iter().enumerate() {
            cell(sheet, r as u32 + 1, col as u16, &object[*key])?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Label and value rows: the policies, the population and the headline counts; then the
/// bands and the inputs applicants did not give.
fn summary(sheet: &mut Worksheet, v: &Value, title: &str, bold: &Format) -> Result<(), XlsxError> {
    let (old, new, s) = (&v["old"], &v["new"], &v["summary"]);
    let year = |p: &Value| format!("{} ({})", text(&p["year"]), text(&p["file"]));
    let mut rows: Vec<(&str, Value)> = vec![
        ("policy", Value::from(title)),
        ("old", Value::from(year(old))),
        ("new", Value::from(year(new))),
        ("rule changes", Value::from(v["changes"].as_array().map_or(0, Vec::len))),
    ];
    if s.is_object() {
        rows.extend([
            ("population", s["population_line"].clone()),
            ("applicants", s["applicants"].clone()),
            ("gain", s["gain"].clone()),
            ("lose", s["lose"].clone()),
            ("unchanged", s["same"].clone()),
            ("newly meet the standard", s["newly_meet_standard"].clone()),
            ("no longer meet it", s["no_longer_meet_standard"].clone()),
        ]);
    } else {
        rows.push(("population", Value::from("none given (--applicants): the rule changes and regions only")));
    }
    for (r, (label, value)) in rows.iter().enumerate() {
        sheet.write_string_with_format(r as u32, 0, *label, bold)?;
        cell(sheet, r as u32, 1, value)?;
    }
    let mut at = rows.len() as u32 + 1;
    if let Some(bands) = s["bands"].as_array() {
        header(sheet, at, &["change of total", "applicants", "examples"], bold)?;
        for b in bands {
            at += 1;
            for (col, key) in ["band", "applicants", "examples"].iter().enumerate() {
                cell(sheet, at, col as u16, &b[*key])?;
            }
        }
        at += 2;
    }
    if let Some(list) = s["not_given"].as_array() {
        header(sheet, at, &["input not given", "applicants", "percent"], bold)?;
        for n in list {
            at += 1;
            for (col, key) in ["input", "applicants", "percent"].iter().enumerate() {
                cell(sheet, at, col as u16, &n[*key])?;
            }
        }
    }
    sheet.set_column_width(0, 26)?;
    sheet.set_column_width(1, 48)?;
    Ok(())
}

/// One row per rule change, in policy words: added, removed or changed; what; the field; the
/// old and new text; the items that read it.
fn changes(sheet: &mut Worksheet, v: &Value, bold: &Format) -> Result<(), XlsxError> {
    let list = v["changes"].as_array().map(Vec::as_slice).unwrap_or_default();
    let head = ["change", "what", "id", "field", "old", "new", "read by"];
    table(sheet, &head, list, &["kind", "what", "id", "field", "old", "new", "affects"], bold)?;
    sheet.set_column_width(4, 60)?;
    sheet.set_column_width(5, 60)?;
    Ok(())
}

/// One row per region (its conditions joined with `and`), a row per note, and for a sampled
/// item its sample: one row per change seen and one per example, each marked as a sample.
fn regions(sheet: &mut Worksheet, v: &Value, bold: &Format) -> Result<(), XlsxError> {
    header(sheet, 0, &["item", "exact", "applicants with", "old points", "new points", "note"], bold)?;
    let mut row = 0;
    for item in v["regions"].as_array().into_iter().flatten() {
        let id = &item["item"];
        let mut line = |who: Value, old: &Value, new: &Value, note: Value| -> Result<(), XlsxError> {
            row += 1;
            for (col, value) in [id, &item["exact"], &who, old, new, &note].into_iter().enumerate() {
                cell(sheet, row, col as u16, value)?;
            }
            Ok(())
        };
        for r in item["regions"].as_array().into_iter().flatten() {
            let conditions: Vec<String> = r["conditions"].as_array().into_iter().flatten().map(text).collect();
            let who = if conditions.is_empty() { "everyone".to_string() } else { conditions.join(" and ") };
            line(Value::from(who), &r["old"], &r["new"], Value::Null)?;
        }
        if let Some(note) = item["note"].as_str() {
            line(Value::Null, &Value::Null, &Value::Null, Value::from(note))?;
        }
        let sample = &item["sample"];
        if sample.is_object() {
            let of = format!(
                "a sample, not exact: {} of {} applicants generated by jifen gen (seed {}) change: {} up, {} down, by {} to {}; {} other changes not listed",
                text(&sample["changed"]),
                text(&sample["applicants"]),
                text(&sample["seed"]),
                text(&sample["up"]),
                text(&sample["down"]),
                text(&sample["least"]),
                text(&sample["most"]),
                text(&sample["other_changes"])
            );
            line(Value::Null, &Value::Null, &Value::Null, Value::from(of))?;
            for c in sample["changes"].as_array().into_iter().flatten() {
                let who = format!("{} sampled applicants", text(&c["applicants"]));
                line(Value::from(who), &c["old"], &c["new"], Value::from("sample"))?;
            }
            for e in sample["examples"].as_array().into_iter().flatten() {
                line(Value::Null, &Value::Null, &Value::Null, Value::from(format!("e.g. {}", text(e))))?;
            }
        }
    }
    sheet.set_column_width(2, 80)?;
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The `--format csv` lines of the applicants whose points change, as typed cells (`id` as
/// text, numbers as numbers, `true`/`false` as booleans), with a last column naming the items
/// that changed and by how much (`title +100, edu -80`).
fn applicant_rows(sheet: &mut Worksheet, csv: &[u8], bold: &Format) -> Result<(), String> {
    let bad = |e: XlsxError| format!("cannot write the workbook: {e}");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let head: Vec<String> =
        reader.headers().map_err(|e| format!("cannot write the workbook: {e}"))?.iter().map(str::to_string).collect();
    // Columns after the sixth are the items' changes.
    const ITEMS_FROM: usize = 6;
    let changed_col = head.len() as u16;
    for (col, name) in head.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, name, bold).map_err(bad)?;
    }
    sheet.write_string_with_format(0, changed_col, "changed items", bold).map_err(bad)?;
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("cannot write the workbook: {e}"))?;
        let row = u32::try_from(r + 1).ok().filter(|r| *r < MAX_ROWS).ok_or_else(|| {
            format!("more than {MAX_APPLICANTS} applicants change: too many for one Excel sheet; use --format csv")
        })?;
        let mut changed = Vec::new();
        for (col, value) in record.iter().enumerate() {
            let c = col as u16;
            match value {
                _ if col == 0 => sheet.write_string(row, c, value).map(|_| ()),
                "true" | "false" => sheet.write_boolean(row, c, value == "true").map(|_| ()),
                _ => match exactly_f64(value) {
                    Some(f) => sheet.write_number(row, c, f).map(|_| ()),
                    None => sheet.write_string(row, c, value).map(|_| ()),
                },
            }
            .map_err(bad)?;
            if col >= ITEMS_FROM && value.parse::<rust_decimal::Decimal>().is_ok_and(|d| !d.is_zero()) {
                let sign = if value.starts_with('-') { "" } else { "+" };
                changed.push(format!("{} {sign}{value}", head.get(col).map_or("", String::as_str)));
            }
        }
        sheet.write_string(row, changed_col, changed.join(", ")).map_err(bad)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_ones_excel_accepts() {
        assert_eq!(sheet_name("By education"), "By education");
        assert_eq!(sheet_name("By a/b:c"), "By a_b_c");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
