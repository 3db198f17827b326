//! Excel workbooks in and out of `batch` and `gen`, checked with a reader and a writer that
//! are not jifen's own: Python's openpyxl. Without it (`pip install openpyxl`) the tests
//! that need it say so and pass without checking.

use crate::common::{text, BIN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn jifen(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("run jifen")
}

fn temp_dir() -> PathBuf {
    crate::common::temp_dir("xlsx")
}

/// Run a Python script in `dir`; `None` (after saying why) when openpyxl is not there.
fn python(script: &str, dir: &Path) -> Option<String> {
    crate::common::python("openpyxl", script, dir)
}

/// Every row of the first sheet, as Python's repr of each value's type and value.
const DUMP: &str = r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1] if len(sys.argv) > 1 else 'out.xlsx')
ws = wb.worksheets[0]
for row in ws.iter_rows(values_only=True):
    print('|'.join('' if v is None else type(v).__name__ + ':' + str(v) for v in row))
"#;

fn dump(file: &str, dir: &Path) -> Option<String> {
    python(&DUMP.replace("sys.argv[1] if len(sys.argv) > 1 else 'out.xlsx'", &format!("{file:?}")), dir)
}

#[test]
fn batch_reads_gen_workbooks_as_it_reads_json_lines() {
    // The same seed gives the same applicants in both files, so the scores must be equal
    // byte for byte: every fact of the workbook (numbers with cents among them) read exactly.
    let dir = temp_dir();
    for args in [
        &["gen", "--count", "300", "--seed", "11", "-o", "people.jsonl"][..],
        &["gen", "--count", "300", "--seed", "11", "-o", "people.xlsx"],
        &["batch", "people.jsonl", "-o", "from-jsonl.csv"],
        &["batch", "people.xlsx", "-o", "from-xlsx.csv"],
    ] {
        let out = jifen(args, &dir);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    }
    let a = std::fs::read_to_string(dir.join("from-jsonl.csv")).unwrap();
    let b = std::fs::read_to_string(dir.join("from-xlsx.csv")).unwrap();
    assert_eq!(a.lines().count(), 301);
    assert_eq!(a, b);
}

#[test]
fn gen_workbook_opens_in_openpyxl_with_numbers_as_numbers() {
    let dir = temp_dir();
    let out = jifen(&["gen", "--count", "20", "--seed", "5", "-o", "people.xlsx"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = jifen(&["gen", "--count", "20", "--seed", "5", "-o", "people.jsonl"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let Some(rows) = dump("people.xlsx", &dir) else { return };
    let rows: Vec<&str> = rows.lines().collect();
    assert_eq!(rows.len(), 21, "a header and 20 applicants");
    assert!(rows[0].starts_with("str:id|str:age|"), "{}", rows[0]);
    // The first applicant's id is the text "synthetic-000001" and its age a number equal to
    // the JSON line's.
    let first: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(dir.join("people.jsonl")).unwrap().lines().next().unwrap())
            .unwrap();
    let cells: Vec<&str> = rows[1].split('|').collect();
    assert_eq!(cells[0], "str:synthetic-000001");
    assert_eq!(cells[1], format!("int:{}", first["age"]));
}

#[test]
fn batch_writes_a_workbook_openpyxl_reads_with_the_csv_columns() {
    let dir = temp_dir();
    for args in [
        &["gen", "--count", "30", "--seed", "2", "-o", "people.jsonl"][..],
        &["batch", "people.jsonl", "-o", "scores.csv"],
        &["batch", "people.jsonl", "-o", "scores.xlsx"],
    ] {
        let out = jifen(args, &dir);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out.stderr));
    }
    let Some(rows) = dump("scores.xlsx", &dir) else { return };
    let csv = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    assert_eq!(rows.lines().count(), csv.lines().count());
    for (sheet_row, csv_row) in rows.lines().zip(csv.lines()) {
        // Each cell of the sheet, its type dropped, is the CSV's cell: the ids as text, the
        // flags as booleans (Python prints True), the points as whole numbers.
        let cells: Vec<String> = sheet_row
            .split('|')
            .map(|c| c.split_once(':').map_or(c, |(_, v)| v).replace("True", "true").replace("False", "false"))
            .collect();
        assert_eq!(cells.join(","), csv_row);
    }
    let second: Vec<&str> = rows.lines().nth(1).unwrap().split('|').collect();
    assert!(second[0].starts_with("str:"), "the id is text: {}", second[0]);
    assert!(second[1].starts_with("int:"), "the total is a number: {}", second[1]);
    assert!(second[2].starts_with("bool:"), "eligible is a boolean: {}", second[2]);
}

/// A workbook written by openpyxl, its header in the policy's Chinese labels (and one key),
/// numbers and text as a clerk would type them.
const CLERK: &str = r#"
import openpyxl, sys
wb = openpyxl.Workbook()
ws = wb.active
ws.title = 'Sheet1'
ws.append(['id', '年龄(周岁)', '学历(学位)', 'si_months', '职工社会保险缴费基数(月)', '最近48个月内按该基数缴费的月数'])
ws.append(['A-001', 30, 'junior_college', 48, 12434.5, 36])
ws.append(['A-002', 35, None, BAD, 9845.6, 36])
ws.append(['A-003', 41, 'master', '120', None, None])
wb.save(NAME)
"#;

/// The same applicants as CSV (A-002 with 60 months where the workbook may hold a bad cell).
const CLERK_CSV: &str = "id,age,education,si_months,si_base_yuan,si_base_months_48\n\
A-001,30,junior_college,48,12434.5,36\n\
A-002,35,,60,9845.6,36\n\
A-003,41,master,120,,\n";

#[test]
fn openpyxl_workbook_with_chinese_headers_scores_as_its_csv() {
    // 12434.5 and 9845.6 are f64 cells: read as their shortest decimal text they are the
    // CSV's numbers exactly, so every score agrees; the text cell '120' reads as a CSV cell.
    let dir = temp_dir();
    let script = CLERK.replace("BAD", "60").replace("NAME", "'clerk.xlsx'");
    if python(&script, &dir).is_none() {
        return;
    }
    std::fs::write(dir.join("clerk.csv"), CLERK_CSV).unwrap();
    let from_xlsx = jifen(&["batch", "clerk.xlsx", "-o", "a.csv"], &dir);
    assert_eq!(from_xlsx.status.code(), Some(0), "{}", text(&from_xlsx.stderr));
    let from_csv = jifen(&["batch", "clerk.csv", "-o", "b.csv"], &dir);
    assert_eq!(from_csv.status.code(), Some(0), "{}", text(&from_csv.stderr));
    let a = std::fs::read_to_string(dir.join("a.csv")).unwrap();
    assert_eq!(a, std::fs::read_to_string(dir.join("b.csv")).unwrap());
    assert!(a.lines().nth(1).unwrap().starts_with("A-001,"), "{a}");
}

#[test]
fn a_bad_cell_is_named_by_sheet_row_and_column() {
    // si_months is column D; A-002 is on row 3. 3.5 months is not a whole number.
    let dir = temp_dir();
    let script = CLERK.replace("BAD", "3.5").replace("NAME", "'bad.xlsx'");
    if python(&script, &dir).is_none() {
        return;
    }
    let out = jifen(&["batch", "bad.xlsx", "-o", "out.csv"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Sheet1!D3"), "{stderr}");
    assert!(stderr.contains("`si_months` must be a whole number"), "{stderr}");
    assert!(!dir.join("out.csv").exists(), "no output is left behind");
    // With --skip-invalid the other two rows are scored.
    let out = jifen(&["batch", "--skip-invalid", "bad.xlsx", "-o", "out.csv"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("out.csv")).unwrap().lines().count(), 3);
}

#[test]
fn a_text_in_a_number_column_and_a_date_are_named_by_their_cell() {
    // A text cell is read as its text: '三十' is no number (B2); a date is no fact (C2).
    let dir = temp_dir();
    let script = r#"
import openpyxl, datetime
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['si_months', 'age', 'si_base_yuan'])
ws.append([12, '三十', 100])
wb.save('text.xlsx')
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['si_months', 'age', 'si_base_yuan'])
ws.append([12, 30, datetime.date(2025, 1, 1)])
wb.save('date.xlsx')
"#;
    if python(script, &dir).is_none() {
        return;
    }
    let out = jifen(&["batch", "text.xlsx"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Sheet!B2") && stderr.contains("三十"), "{stderr}");
    let out = jifen(&["batch", "date.xlsx"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Sheet!C2") && stderr.contains("a date"), "{stderr}");
}

#[test]
fn an_unknown_or_repeated_column_is_named_in_the_header_row() {
    let dir = temp_dir();
    let script = r#"
import openpyxl
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['age', 'si_month'])
ws.append([30, 12])
wb.save('typo.xlsx')
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['age', 'si_months', '年龄(周岁)'])
wb.save('twice.xlsx')
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['age', 'si_months'])
ws.append([30, 12, 'stray'])
wb.save('stray.xlsx')
"#;
    if python(script, &dir).is_none() {
        return;
    }
    for (file, expected) in [
        ("typo.xlsx", &["Sheet!B1", "unknown column `si_month`", "did you mean `si_months`?"][..]),
        ("twice.xlsx", &["Sheet!C1", "gives `age` again", "column A"]),
        ("stray.xlsx", &["Sheet!C2", "without a name"]),
    ] {
        let out = jifen(&["batch", file], &dir);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{file}: {stderr}");
        for e in expected {
            assert!(stderr.contains(e), "{file}: expected {e:?} in {stderr}");
        }
    }
}

#[test]
fn a_file_that_is_not_a_workbook_is_refused_cleanly() {
    // Named .xlsx but plain text, or empty: an error naming the file, never a panic.
    let dir = temp_dir();
    std::fs::write(dir.join("fake.xlsx"), "age,si_months\n30,12\n").unwrap();
    std::fs::write(dir.join("empty.xlsx"), "").unwrap();
    for file in ["fake.xlsx", "empty.xlsx"] {
        let out = jifen(&["batch", file, "-o", "out.xlsx"], &dir);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{file}: {stderr}");
        assert!(stderr.contains(file) && stderr.contains("not a readable Excel workbook"), "{stderr}");
        assert!(!dir.join("out.xlsx").exists());
    }
}

#[test]
fn an_empty_sheet_gives_a_workbook_with_only_the_header() {
    // No rows: the output still names its columns, as the CSV output does.
    let dir = temp_dir();
    if python("import openpyxl\nopenpyxl.Workbook().save('none.xlsx')\n", &dir).is_none() {
        return;
    }
    let out = jifen(&["batch", "none.xlsx", "-o", "out.xlsx"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let Some(rows) = dump("out.xlsx", &dir) else { return };
    assert_eq!(rows.lines().count(), 1);
    assert!(rows.starts_with("str:total|str:eligible|"), "{rows}");
}

#[test]
fn a_workbook_larger_than_the_file_limit_is_refused() {
    // 300 generated applicants take well over 1 KiB zipped; --max-file-size bounds workbooks too.
    let dir = temp_dir();
    let out = jifen(&["gen", "--count", "300", "-o", "people.xlsx"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = jifen(&["batch", "--max-file-size", "1K", "people.xlsx"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("larger than 1024 bytes"), "{stderr}");
}

#[test]
fn a_date_cell_is_read_as_its_calendar_day_and_a_date_with_a_time_is_refused() {
    // Excel stores 1990-07-02 as the day count 33056 (from 1899-12-30); calamine gives the
    // calendar date. Born 1990-07-02 with a certificate of 2025-07-01 scores 30 + 5 + 8 + 1
    // = 44 in tests/dates/good/dates.policy (worked in that file's "one day short" test and
    // "36th birthday" test: age 35 → 30, certificate → 5, default start → 8, 365 days → 1).
    let dir = temp_dir();
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dates/good/dates.policy");
    let script = r#"
import openpyxl, datetime
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['birth', 'cert_date'])
ws.append([datetime.date(1990, 7, 2), datetime.date(2025, 7, 1)])
wb.save('dates.xlsx')
wb = openpyxl.Workbook(); ws = wb.active
ws.append(['birth'])
ws.append([datetime.datetime(1990, 7, 2, 8, 30)])
wb.save('time.xlsx')
"#;
    if python(script, &dir).is_none() {
        return;
    }
    let policy = policy.to_string_lossy();
    let out = jifen(&["batch", "--policy", &policy, "dates.xlsx", "--output-format", "csv"], &dir);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.lines().nth(1).is_some_and(|row| row.split(',').any(|c| c == "44")), "{stdout}");
    let out = jifen(&["batch", "--policy", &policy, "time.xlsx"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("Sheet!A2") && stderr.contains("a date with a time of day"), "{stderr}");
}

/// A workbook whose shared strings say they are 10¹² in a few bytes: calamine reserved room
/// for them all (24 TB) and the process aborted. jifen counts the strings first and refuses
/// the workbook, naming it (exit 3); the same workbook with the count it holds is read.
#[test]
fn shared_strings_that_claim_more_than_they_hold_are_refused_not_a_crash() {
    let dir = temp_dir();
    let out = jifen(&["gen", "--count", "3", "--seed", "1", "-o", "people.xlsx"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let script = r#"
import zipfile
for name, count in [('honest.xlsx', '1'), ('bomb.xlsx', '1000000000000')]:
    with zipfile.ZipFile('people.xlsx') as zin, zipfile.ZipFile(name, 'w', zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr('xl/sharedStrings.xml', '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
            'uniqueCount="' + count + '"><si><t>age</t></si></sst>')
"#;
    if crate::common::python("zipfile", script, &dir).is_none() {
        return;
    }
    let out = jifen(&["batch", "honest.xlsx", "-o", "honest.csv"], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = jifen(&["batch", "bomb.xlsx", "-o", "scores.csv"], &dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("bomb.xlsx: the workbook's shared strings say they are 1000000000000, but it holds 1"),
        "{stderr}"
    );
    assert!(!dir.join("scores.csv").exists(), "no output is left");
}
