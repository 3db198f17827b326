//! The batch row parser (a plain-JSON scanner and a fast fill of the applicant, falling
//! back to the general path) against `RawRow::parse`: the same id, applicant, or error, on
//! generated rows and on rows mutated toward every corner the fast path must decline.

use std::sync::Arc;

use jifen::internals::population::{generate_row, FactColumns, RawRow, Rng, RowFormat, RowParser, RowReader};
use jifen::RuleSet;
use jifen::{ApplicantError, RawValue};

fn policy(name: &str) -> RuleSet {
    let path = format!("{}/policies/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the bundled policy is readable");
    jifen::check_with(&path, &text, &jifen::FsLoader).ruleset.expect("the bundled policy compiles")
}

/// Variants of a generated row: each edit is something a row may plausibly hold.
fn variants(row: &str) -> Vec<String> {
    let edits: [(&str, &str); 29] = [
        (":", " : "),
        (",", " ,\t"),
        ("{", " {\r\n "),
        ("\"age\":", "\"a\\u0067e\":"),
        ("\"age\":", "\"age\":null,\"age\":"),
        ("\"age\":", "\"agee\":"),
        ("\"age\":", "\"age\":1e1,\"x\":"),
        ("\"si_months\":", "\"si_months\":-0,\"y\":"),
        ("\"si_months\":", "\"si_months\":\"12\",\"z\":"),
        ("\"age\":", "\"age\":007,\"q\":"),
        ("\"age\":", "\"age\":30.0,\"q\":"),
        ("\"age\":", "\"age\":99999999999999999999,\"q\":"),
        ("\"age\":", "\"age\":null,\"q\":"),
        ("\"age\":", "\"age\":15,\"q\":"),
        ("\"age\":", "\"age\":70,\"age2\":"),
        ("\"age\":", "\"age\":true,\"q\":"),
        ("\"id\":", "\"id\":\"a,\\\"b\",\"i\":"),
        ("\"id\":", "\"id\":true,\"i\":"),
        ("\"id\":", "\"id\":null,\"i\":"),
        ("\"id\":", "\"id\":[1],\"i\":"),
        ("\"id\":", "\"id\":1.5,\"i\":"),
        ("\"id\":", "\"id\":-12,\"i\":"),
        ("\"id\":", "\"id\":1e3,\"i\":"),
        ("\"id\":", "\"id\":\"a\",\"id\":"),
        ("\"age\":", "\"age\":30,\"id\":null,\"q\":"),
        ("true", "tru"),
        ("false", "false "),
        ("}", "},"),
        ("\"none\"", "\"non\te\""),
    ];
    let mut out =
        vec![row.to_string(), format!("\u{feff}{row}"), format!("[{row}]"), row.replace("\"id\":", "\"id\" :")];
    for (from, to) in edits {
        if row.contains(from) {
            out.push(row.replacen(from, to, 1));
        }
    }
    // Every prefix of a short row: cut anywhere, the row is broken the same way.
    if row.len() < 200 {
        out.extend((0..row.len()).filter(|&i| row.is_char_boundary(i)).map(|i| row[..i].to_string()));
    }
    out
}

fn same(rules: &RuleSet, text: &str) {
    let row = RawRow::json(1, text.to_string());
    let mut parser = RowParser::new(rules);
    let fast = parser.parse(&row).map(|(id, a)| (id.map(|s| s.into_owned()), a.clone()));
    let slow = row.parse(rules);
    assert_eq!(fast, slow, "row: {text}");
}

#[test]
fn the_row_parser_reads_what_the_general_path_reads() {
    for name in ["2024.policy", "2025.policy"] {
        let rules = policy(name);
        let mut rng = Rng::new(3);
        for i in 0..400 {
            let row = generate_row(&rules, &mut rng, i);
            for text in variants(&row) {
                same(&rules, &text);
            }
        }
        same(&rules, "{}");
        same(&rules, " { } ");
        same(&rules, "{\"age\": 30, \"si_months\": 36}");
    }
}

#[test]
fn one_parser_reads_many_rows_without_leftovers() {
    let rules = policy("2025.policy");
    let mut parser = RowParser::new(&rules);
    let mut rng = Rng::new(5);
    for i in 0..500 {
        let text = generate_row(&rules, &mut rng, i);
        let row = RawRow::json(1, text.clone());
        let fast = parser.parse(&row).map(|(id, a)| (id.map(|s| s.into_owned()), a.clone()));
        assert_eq!(fast, row.parse(&rules), "row: {text}");
    }
}

#[test]
fn an_id_is_a_string_or_a_whole_number_for_both_parsers() {
    let rules = policy("2025.policy");
    let mut parser = RowParser::new(&rules);
    let read = |parser: &mut RowParser, text: &str| {
        let row = RawRow::json(1, text.to_string());
        let fast = parser.parse(&row).map(|(id, _)| id.map(|s| s.into_owned()));
        assert_eq!(fast, row.parse(&rules).map(|(id, _)| id), "{text}");
        fast
    };
    let facts = r#""age": 30, "si_months": 6"#;
    assert_eq!(read(&mut parser, &format!(r#"{{"id": "b", {facts}}}"#)), Ok(Some("b".into())));
    assert_eq!(read(&mut parser, &format!(r#"{{"id": 7, {facts}}}"#)), Ok(Some("7".into())));
    assert_eq!(read(&mut parser, &format!(r#"{{"id": null, {facts}}}"#)), Ok(None));
    for bad in ["true", "1.5", "1e3", "{}", "[]"] {
        let e = read(&mut parser, &format!(r#"{{"id": {bad}, {facts}}}"#)).unwrap_err();
        assert!(matches!(e, ApplicantError::WrongType { ref key, .. } if key == "id"), "{bad}: {e:?}");
    }
    // Given twice, `id` is a duplicate key (it was "unknown key `id`").
    let e = read(&mut parser, &format!(r#"{{"id": 1, {facts}, "id": 2}}"#)).unwrap_err();
    assert_eq!(e, ApplicantError::DuplicateKey { key: "id".into() });
}

/// All the rows of `input`, chunk by chunk, with the given bounds.
fn chunks(input: &[u8], format: RowFormat, max_row: usize, chunk_bytes: usize) -> Vec<Vec<RawRow>> {
    let mut reader = RowReader::with_limits(input, format, max_row, chunk_bytes).unwrap();
    let mut out = Vec::new();
    loop {
        let chunk = reader.chunk(16_384).unwrap();
        if chunk.is_empty() {
            return out;
        }
        out.push(chunk);
    }
}

#[test]
fn a_chunk_is_bounded_by_bytes_not_only_rows() {
    // 100 rows of about 20 KB with chunks of 64 KiB: a chunk ends at the row that reaches
    // 64 KiB, so 4 rows each (3 × 20 KB < 64 KiB ≤ 4 × 20 KB). Rows of 16384 to a chunk made
    // memory follow the rows' size (1 GB of 20 KB rows took 1.3 GB).
    let row = format!("{{\"id\": \"{}\", \"age\": 30, \"si_months\": 6}}\n", "x".repeat(20_000));
    let csv_row = format!("{},30,6\n", "x".repeat(20_000));
    for (input, format) in
        [(row.repeat(100), RowFormat::Jsonl), (format!("id,age,si_months\n{}", csv_row.repeat(100)), RowFormat::Csv)]
    {
        let chunks = chunks(input.as_bytes(), format, 1 << 20, 64 << 10);
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 100, "{format:?}");
        assert!(
            chunks.iter().all(|c| c.len() <= 4),
            "{format:?}: {:?}",
            chunks.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert_eq!(chunks[0].len(), 4, "{format:?}");
    }
}

#[test]
fn a_row_longer_than_the_limit_is_an_invalid_row_and_the_next_ones_are_read() {
    let rules = policy("2025.policy");
    let long = format!("{{\"id\": \"{}\", \"age\": 30, \"si_months\": 6}}", "x".repeat(5_000));
    // Exactly the limit (with a CRLF end) is accepted.
    let at_limit = format!("{{\"id\": \"{}\", \"age\": 30, \"si_months\": 6}}", "x".repeat(1_000 - 37));
    assert_eq!(at_limit.len(), 1_000);
    let over = at_limit.replacen('x', "xx", 1);
    let input =
        format!("{{\"age\": 30, \"si_months\": 6}}\n{long}\n{at_limit}\r\n{over}\n{{\"age\": 31, \"si_months\": 6}}");
    let rows: Vec<RawRow> = chunks(input.as_bytes(), RowFormat::Jsonl, 1_000, 1 << 20).concat();
    let read: Vec<_> = rows.iter().map(|r| (r.line, r.parse(&rules).map(|_| ()).map_err(|e| e.to_string()))).collect();
    assert_eq!(
        read,
        [
            (1, Ok(())),
            (2, Err("the row is longer than 1000 bytes".into())),
            (3, Ok(())),
            (4, Err("the row is longer than 1000 bytes".into())),
            (5, Ok(()))
        ]
    );
    // CSV: a row a little longer is read and refused; one far longer stops the reading
    // (a CSV record cannot be skipped without reading it), naming its line.
    let csv = format!("id,age,si_months\na,30,6\n{},30,6\nc,31,6\n", "x".repeat(1_200));
    let rows: Vec<RawRow> = chunks(csv.as_bytes(), RowFormat::Csv, 1_000, 1 << 20).concat();
    let read: Vec<_> = rows.iter().map(|r| (r.line, r.parse(&rules).map(|_| ()).map_err(|e| e.to_string()))).collect();
    assert_eq!(read, [(2, Ok(())), (3, Err("the row is longer than 1000 bytes".into())), (4, Ok(()))]);
    let csv = format!("id,age,si_months\na,30,6\n{},30,6\nc,31,6\n", "x".repeat(200_000));
    let mut reader = RowReader::with_limits(csv.as_bytes(), RowFormat::Csv, 1_000, 1 << 20).unwrap();
    let e = reader.chunk(100).unwrap_err();
    assert_eq!((e.line, e.message.as_str()), (3, "the row is longer than 1000 bytes"));
}

/// Facts given column by column, as a Parquet file's columns give them: typed, nulls, and
/// values that cannot be facts (`Err`: an inexact float, bytes that are not UTF-8).
struct Columns {
    keys: Vec<Arc<str>>,
    /// `cells[column][row]`.
    cells: Vec<Vec<Result<RawValue<'static>, String>>>,
}

impl FactColumns for Columns {
    fn keys(&self) -> &[Arc<str>] {
        &self.keys
    }

    /// One set of columns per test.
    fn chunk(&self) -> u64 {
        0
    }

    fn fact(&self, column: usize, row: usize) -> Result<RawValue<'_>, ApplicantError> {
        self.cells[column][row]
            .clone()
            .map_err(|message| ApplicantError::UnreadableValue { key: self.keys[column].to_string(), message })
    }

    fn each<'a>(&'a self, column: usize, rows: std::ops::Range<usize>, mut f: impl FnMut(usize, RawValue<'a>)) {
        for row in rows {
            f(row, self.cells[column][row].clone().unwrap_or(RawValue::Other("unreadable")));
        }
    }
}

/// A JSON fact as a column would give it: a number as its digits and scale.
fn typed(raw: RawValue<'_>) -> RawValue<'static> {
    match raw {
        RawValue::Number(n) => {
            let (whole, fraction) = n.split_once('.').unwrap_or((&n, ""));
            let digits: i128 = format!("{whole}{fraction}").parse().expect("a plain number");
            RawValue::Decimal { unscaled: digits, scale: fraction.len() as u32 }
        }
        RawValue::Text(t) => RawValue::Cell(t.into_owned().into()),
        other => other.into_owned(),
    }
}

#[test]
fn rows_read_column_by_column_are_read_as_their_facts_one_by_one() {
    // Generated rows as columns (id, every input, then a second `age` column and one no
    // input has, mostly null), each row changed toward a corner the fast path declines. Read
    // a block at a time through the fast path, each row must give what the same facts give
    // read one by one (typed ones as their text, nulls left out): the same id, applicant, or
    // error, and a value that cannot be a fact is the row's error whatever else is wrong.
    let rules = policy("2025.policy");
    let mut keys: Vec<Arc<str>> = vec!["id".into()];
    keys.extend(rules.inputs().iter().map(|i| i.name.clone()));
    keys.extend(["age".into(), "comment".into()]);
    let column = |key: &str| keys.iter().position(|k| &**k == key).unwrap();
    let (age, education, base, id) = (column("age"), column("education"), column("si_base_yuan"), 0);
    let (age2, comment) = (keys.len() - 2, keys.len() - 1);
    let mut cells = vec![Vec::new(); keys.len()];
    let mut rng = Rng::new(7);
    for r in 0..600usize {
        let row = generate_row(&rules, &mut rng, r as u64);
        let facts = jifen::internals::applicant::json_entries(&row).unwrap();
        let mut values: Vec<Result<RawValue<'static>, String>> = vec![Ok(RawValue::Null); keys.len()];
        for (key, raw) in facts {
            values[column(&key)] = Ok(typed(raw));
        }
        let number = |unscaled: i128, scale: u32| Ok(RawValue::Decimal { unscaled, scale });
        match r % 16 {
            1 => values[age] = number(999, 0),
            2 => values[age] = number(305, 1),
            3 => values[age] = number(3000, 2),
            4 => values[age] = Ok(RawValue::Null),
            5 => values[education] = Ok(RawValue::Cell("nonsense".into())),
            6 => values[education] = Ok(RawValue::Cell(" master ".into())),
            7 => values[base] = number(1, 30),
            8 => values[base] = Err("the floating-point value 0.1 is not exactly a decimal".into()),
            9 => values[comment] = Ok(RawValue::Cell("hello".into())),
            10 => values[id] = number(7, 0),
            11 => values[id] = number(15, 1),
            12 => values[age] = Ok(RawValue::Date(0)),
            13 => values[age2] = number(31, 0),
            14 => (values[age], values[age2]) = (Ok(RawValue::Null), number(31, 0)),
            15 => (values[age], values[base]) = (number(999, 0), Err("binary data, not UTF-8 text".into())),
            _ => {}
        }
        for (cell, value) in cells.iter_mut().zip(values) {
            cell.push(value);
        }
    }
    let columns = Columns { keys: keys.clone(), cells };
    let mut parser = RowParser::new(&rules);
    for start in (0..600).step_by(32) {
        parser.read_block(&columns, start..(start + 32).min(600));
        for r in start..(start + 32).min(600) {
            let read = parser.parse_columns(&columns, r).map(|(id, a)| (id.map(|s| s.into_owned()), a.clone()));
            let refused = (0..keys.len()).find_map(|c| columns.fact(c, r).err());
            let expected = match refused {
                Some(e) => Err(e),
                None => {
                    let facts = (0..keys.len())
                        .filter_map(|c| match columns.fact(c, r) {
                            Ok(RawValue::Null) => None,
                            Ok(raw) => Some((keys[c].clone(), raw.textual().into_owned())),
                            Err(_) => None,
                        })
                        .collect();
                    RawRow::fields(r + 1, facts).parse(&rules)
                }
            };
            assert_eq!(read, expected, "row {r}");
        }
    }
}
