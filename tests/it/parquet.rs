//! Parquet files in and out of `batch` and `gen`, read back by jifen and checked with a
//! reader and a writer that are not jifen's own: Python's pyarrow. Without it
//! (`pip install pyarrow`) the tests that need it say so and pass without checking.
#![cfg(feature = "parquet")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_jifen");

fn jifen(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("run jifen")
}

fn ok(args: &[&str], dir: &Path) -> String {
    let out = jifen(args, dir);
    assert!(out.status.success(), "jifen {args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir =
        std::env::temp_dir().join(format!("jifen-parquet-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run a Python script in `dir`; `None` (after saying why) when pyarrow is not there.
fn python(script: &str, dir: &Path) -> Option<String> {
    let probe = Command::new("python3").args(["-c", "import pyarrow"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: Python's pyarrow is not installed (pip install pyarrow)");
        return None;
    }
    let out = Command::new("python3").args(["-c", script]).current_dir(dir).output().expect("run python3");
    assert!(out.status.success(), "python failed: {}", text(&out.stderr));
    Some(text(&out.stdout))
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

#[test]
fn gen_parquet_scores_as_json_lines_do_and_batch_writes_parquet_back() {
    // The same seed gives the same applicants in both files, so the scores must be equal
    // byte for byte: every fact of the Parquet file read as exactly as from JSON.
    let dir = temp_dir();
    ok(&["gen", "--count", "300", "--seed", "11", "-o", "people.jsonl"], &dir);
    ok(&["gen", "--count", "300", "--seed", "11", "-o", "people.parquet"], &dir);
    ok(&["batch", "people.jsonl", "-o", "from_json.csv"], &dir);
    ok(&["batch", "people.parquet", "-o", "from_parquet.csv"], &dir);
    assert_eq!(read(&dir, "from_json.csv"), read(&dir, "from_parquet.csv"));
    ok(&["batch", "people.parquet", "-o", "scores.parquet"], &dir);
    // pyarrow reads both files: the inputs typed (money as DECIMAL, never a float), and the
    // scores equal to the CSV's cell for cell.
    let script = r#"
import pyarrow.parquet as pq, csv
people = pq.read_table('people.parquet')
types = {f.name: str(f.type) for f in people.schema}
print(types['id'], types['age'], types['si_base_yuan'], types['education'], types['fresh_graduate'])
scores = pq.read_table('scores.parquet').to_pylist()
rows = list(csv.DictReader(open('from_json.csv')))
assert len(scores) == len(rows) == 300, (len(scores), len(rows))
for s, r in zip(scores, rows):
    for k, v in s.items():
        shown = '' if v is None else ('true' if v is True else 'false' if v is False else str(v))
        assert shown == r[k], (k, shown, r[k])
print('same')
"#;
    if let Some(out) = python(script, &dir) {
        assert_eq!(out, "string int64 decimal128(18, 0) string bool\nsame\n");
    }
}

#[test]
fn wide_decimals_and_exact_floats_are_read_and_an_inexact_float_is_named() {
    let dir = temp_dir();
    ok(&["gen", "--count", "50", "--seed", "3", "-o", "people.parquet"], &dir);
    ok(&["batch", "people.parquet", "-o", "base.csv"], &dir);
    // The same money as DECIMAL(30, 8) (16 bytes) and as doubles holding whole yuan (exact),
    // then row 5's as the double 0.1, which is not exactly 0.1.
    let script = r#"
import pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table('people.parquet')
i = t.schema.get_field_index('si_base_yuan')
pq.write_table(t.set_column(i, 'si_base_yuan', t.column(i).cast(pa.decimal128(30, 8))), 'wide.parquet')
floats = t.column(i).cast(pa.float64())
pq.write_table(t.set_column(i, 'si_base_yuan', floats), 'floats.parquet')
values = floats.to_pylist()
values[4] = 0.1
pq.write_table(t.set_column(i, 'si_base_yuan', pa.array(values, pa.float64())), 'inexact.parquet')
"#;
    if python(script, &dir).is_none() {
        return;
    }
    ok(&["batch", "wide.parquet", "-o", "wide.csv"], &dir);
    ok(&["batch", "floats.parquet", "-o", "floats.csv"], &dir);
    assert_eq!(read(&dir, "base.csv"), read(&dir, "wide.csv"));
    assert_eq!(read(&dir, "base.csv"), read(&dir, "floats.csv"));
    let out = jifen(&["batch", "inexact.parquet", "-o", "inexact.csv"], &dir);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("row 5, column `si_base_yuan`"), "{err}");
    assert!(err.contains("0.1 is not exactly a decimal"), "{err}");
    assert!(err.contains("write the column as DECIMAL"), "{err}");
    assert!(!dir.join("inexact.csv").exists(), "no output is left behind");
}

#[test]
fn a_bad_value_is_named_by_its_row_and_column() {
    // pyarrow writes `age` as text with row 3's "abc": the applicant reader refuses it,
    // and the place says which row and column.
    let dir = temp_dir();
    ok(&["gen", "--count", "5", "--seed", "3", "-o", "people.parquet"], &dir);
    let script = r#"
import pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table('people.parquet')
i = t.schema.get_field_index('age')
ages = [str(a) for a in t.column(i).to_pylist()]
ages[2] = 'abc'
pq.write_table(t.set_column(i, 'age', pa.array(ages)), 'bad.parquet')
t2 = t.append_column('when', pa.array([1, 2, 3, 4, 5], pa.timestamp('ms')))
pq.write_table(t2, 'timestamp.parquet', compression='none')
# A decimal input (`si_base_yuan: yuan 0..`) in a column of int64, below its range at row 2.
i = t.schema.get_field_index('si_base_yuan')
wages = t.column(i).to_pylist()
wages[1] = -5
pq.write_table(t.set_column(i, 'si_base_yuan', pa.array(wages, pa.int64())), 'negative.parquet')
import decimal
wages = pa.array([decimal.Decimal(w) for w in wages], pa.decimal128(18, 0))
pq.write_table(t.set_column(i, 'si_base_yuan', wages), 'negative_decimal.parquet')
"#;
    if python(script, &dir).is_none() {
        return;
    }
    let out = jifen(&["batch", "bad.parquet"], &dir);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("bad.parquet row 3, column `age`"), "{err}");
    let out = jifen(&["batch", "timestamp.parquet"], &dir);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(err.contains("row 1, column `when`: a timestamp value"), "{err}");
    for file in ["negative", "negative_decimal"] {
        let out = jifen(&["batch", &format!("{file}.parquet")], &dir);
        assert_eq!(out.status.code(), Some(3));
        let err = text(&out.stderr);
        assert!(err.contains(&format!("{file}.parquet row 2, column `si_base_yuan`")), "{err}");
        assert!(err.contains("-5"), "{err}");
    }
}

#[test]
fn standard_input_and_non_parquet_files_are_refused() {
    let dir = temp_dir();
    std::fs::write(dir.join("fake.parquet"), "id,age\n1,30\n").unwrap();
    let out = jifen(&["batch", "fake.parquet"], &dir);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("not a readable Parquet file"), "{}", text(&out.stderr));
}

/// A Parquet file is an applicant file like any other: larger than `--max-file-size`, it is
/// refused before it is opened (exit 4), naming the limit.
#[test]
fn a_parquet_file_over_the_size_limit_is_refused() {
    let dir = temp_dir();
    ok(&["gen", "--count", "50", "-o", "people.parquet"], &dir);
    let out = jifen(&["batch", "--max-file-size", "1K", "people.parquet", "-o", "scores.csv"], &dir);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--max-file-size"), "{}", text(&out.stderr));
    assert!(!dir.join("scores.csv").exists(), "nothing is written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The column-wise reader crosses row groups (65,536 rows each) and its own chunks (16,384
/// rows) without losing, repeating or shifting a row: 70,000 generated applicants (two row
/// groups, the second partial; five chunks) score byte for byte as the same applicants in
/// JSON lines do, ids and all. Nulls are among them (the generator leaves optional facts out).
#[test]
fn a_file_of_several_row_groups_scores_as_its_json_lines_do() {
    let dir = temp_dir();
    ok(&["gen", "--count", "70000", "--seed", "19", "-o", "people.jsonl"], &dir);
    ok(&["gen", "--count", "70000", "--seed", "19", "-o", "people.parquet"], &dir);
    ok(&["batch", "people.jsonl", "-o", "from_json.csv"], &dir);
    ok(&["batch", "people.parquet", "-o", "from_parquet.csv"], &dir);
    let (json, parquet) = (read(&dir, "from_json.csv"), read(&dir, "from_parquet.csv"));
    // The header and one line per applicant.
    assert_eq!(parquet.lines().count(), 70_001);
    assert!(json == parquet, "the CSV from Parquet differs from the CSV from JSON lines");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Text columns are decoded by jifen itself when their pages are PLAIN or dictionary pages:
/// the same applicants written by pyarrow in every way it writes text (dictionary pages, v2
/// data pages, plain pages, DELTA_BYTE_ARRAY, a dictionary given up halfway for plain
/// pages, nulls, row groups that are not a multiple of jifen's chunk) score alike.
#[test]
fn text_columns_score_alike_however_they_are_encoded() {
    let dir = temp_dir();
    ok(&["gen", "--count", "20000", "--seed", "23", "-o", "people.parquet"], &dir);
    let script = r#"
import pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table('people.parquet')
texts = [f.name for f in t.schema if pa.types.is_string(f.type)]
pq.write_table(t, 'dictionary.parquet', row_group_size=7000)
pq.write_table(t, 'v2.parquet', data_page_version='2.0', compression='none')
pq.write_table(t, 'plain.parquet', use_dictionary=False)
pq.write_table(t, 'delta.parquet', use_dictionary=False, column_encoding={n: 'DELTA_BYTE_ARRAY' for n in texts})
pq.write_table(t, 'fallback.parquet', dictionary_pagesize_limit=64, data_page_size=4096)
i = t.schema.get_field_index('education')
values = t.column(i).to_pylist()
values[::7] = [None] * len(values[::7])
t = t.set_column(i, 'education', pa.array(values, pa.string()))
pq.write_table(t, 'nulls.parquet', row_group_size=3000)
pq.write_table(t, 'nulls_v2.parquet', row_group_size=3000, data_page_version='2.0')
pq.write_table(t, 'nulls_delta.parquet', use_dictionary=False, column_encoding={n: 'DELTA_BYTE_ARRAY' for n in texts})
print(','.join(texts))
"#;
    let Some(texts) = python(script, &dir) else { return };
    assert!(texts.contains("education"), "{texts}");
    ok(&["batch", "people.parquet", "-o", "base.csv"], &dir);
    for file in ["dictionary", "v2", "plain", "delta", "fallback"] {
        ok(&["batch", &format!("{file}.parquet"), "-o", &format!("{file}.csv")], &dir);
        assert!(read(&dir, "base.csv") == read(&dir, &format!("{file}.csv")), "{file}.parquet scores differently");
    }
    // Nulls: read by jifen's decoder (v1 and v2 pages) as by the crate's (DELTA_BYTE_ARRAY).
    for file in ["nulls", "nulls_v2", "nulls_delta"] {
        ok(&["batch", &format!("{file}.parquet"), "-o", &format!("{file}.csv")], &dir);
    }
    assert_eq!(read(&dir, "nulls.csv").lines().count(), 20_001);
    assert!(read(&dir, "nulls.csv") != read(&dir, "base.csv"), "the nulls change some scores");
    assert!(read(&dir, "nulls.csv") == read(&dir, "nulls_delta.csv"), "nulls score differently");
    assert!(read(&dir, "nulls_v2.csv") == read(&dir, "nulls_delta.csv"), "v2 pages with nulls score differently");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Damaged files, made by changing a few bytes of a generated one: on some, the `parquet`
/// crate panics (an index out of bounds in its RLE decoder, an `unwrap` in its footer's
/// reader). jifen reports the file as damaged, naming the row where reading stopped, exits
/// 3 as for any unreadable input, and says nothing of a bug in itself; no output is left.
#[test]
fn a_damaged_file_is_reported_as_damaged_not_as_a_bug() {
    let dir = temp_dir();
    let inputs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_inputs");
    for (file, place) in [
        ("damaged-footer.parquet", "damaged-footer.parquet: the file is damaged"),
        ("damaged-rle.parquet", "damaged-rle.parquet: row 1: the file is damaged"),
    ] {
        std::fs::copy(inputs.join(file), dir.join(file)).unwrap();
        let out = jifen(&["batch", file, "-o", "scores.csv"], &dir);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{file}: {err}");
        assert!(err.contains(place), "{file}: {err}");
        assert!(err.contains("the file is damaged (the Parquet reader stopped"), "{file}: {err}");
        assert!(!err.contains("internal error") && !err.contains("bug in jifen"), "{file}: {err}");
        assert!(!dir.join("scores.csv").exists(), "{file}: no output is left");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Python for the tests below, which damage a small file to claim more than it holds:
/// `varint(n)` as Parquet's Thrift writes it, and `fine(table, **options)`, which writes
/// `table` (by default 100 applicants of two columns) to `fine.parquet` and returns its
/// bytes.
const DAMAGE: &str = r#"
import struct, pyarrow as pa, pyarrow.parquet as pq
def varint(n):
    out = b''
    while True:
        b, n = n & 0x7f, n >> 7
        out += bytes([b | 0x80]) if n else bytes([b])
        if not n:
            return out
def fine(table=None, **options):
    if table is None:
        table = pa.table({'age': pa.array([40] * 100, pa.int64()), 'si_months': pa.array([80] * 100, pa.int64())})
    pq.write_table(table, 'fine.parquet', **options)
    return bytearray(open('fine.parquet', 'rb').read())
"#;

/// Run `script` after [`DAMAGE`] in `dir`, and check that `fine.parquet` scores; `false`
/// (the test then checks nothing) when pyarrow is not there.
fn damaged(script: &str, dir: &Path) -> bool {
    if python(&format!("{DAMAGE}{script}"), dir).is_none() {
        return false;
    }
    ok(&["batch", "fine.parquet", "-o", "fine.csv"], dir);
    true
}

/// `batch` refuses `file` as unreadable (exit 3), saying each of `says`, never as a bug,
/// and writes nothing.
fn refused(file: &str, says: &[&str], dir: &Path) {
    let _ = std::fs::remove_file(dir.join("scores.csv"));
    let out = jifen(&["batch", file, "-o", "scores.csv"], dir);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{file}: {err}");
    for said in says {
        assert!(err.contains(said), "{file}: {err}");
    }
    assert!(!err.contains("internal error") && !err.contains("bug in jifen"), "{file}: {err}");
    assert!(!dir.join("scores.csv").exists(), "{file}: no output is left");
}

/// A page whose header says it holds far more bytes than its compressed bytes could give
/// (a few bytes of a hostile file could say 2 GiB, which the `parquet` crate would allocate
/// and zero before decompressing): refused before it is decompressed, naming the row.
/// Made from a small Snappy file by raising one page's uncompressed size in place (its
/// varint keeps its length); the crate alone reads that file, padded with zeros.
#[test]
fn a_page_that_says_it_holds_more_than_it_can_is_refused() {
    let dir = temp_dir();
    let script = r#"
data = fine(compression='snappy', use_dictionary=False)
at = pq.ParquetFile('fine.parquet').metadata.row_group(0).column(0).data_page_offset
# The header: 0x15 <type>, 0x15 <uncompressed size>, 0x15 <compressed size>, as zigzag varints.
assert data[at] == 0x15 and data[at + 2] == 0x15, data[at:at + 8]
at += 3
# The largest even varint of the same length: zigzag's largest positive value.
first = True
while data[at] & 0x80:
    data[at] = 0xfe if first else 0xff
    first = False
    at += 1
data[at] = 0x7f
open('bomb.parquet', 'wb').write(bytes(data))
"#;
    if damaged(script, &dir) {
        refused(
            "bomb.parquet",
            &["bomb.parquet: row 1:", "the page says it holds 8191 bytes from 53 compressed"],
            &dir,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A footer whose list of row groups says it holds 2³¹ - 1 of them in a few bytes: the
/// `parquet` crate reserved room for them all (200 GB) and the process aborted. jifen
/// checks the footer first and reports the file as damaged (exit 3). Likewise a schema
/// element that says it has 2³¹ - 1 children (16 GiB reserved: an abort wherever memory
/// is bounded).
#[test]
fn a_footer_that_claims_more_than_it_holds_is_refused_not_a_crash() {
    let dir = temp_dir();
    let script = r#"
data = bytes(fine())
length = struct.unpack('<I', data[-8:-4])[0]
start = len(data) - 8 - length
meta = data[start:-8]
def write(name, meta):
    open(name, 'wb').write(data[:start] + meta + struct.pack('<I', len(meta)) + b'PAR1')
# Field 3 (num_rows, 100), then field 4 (row_groups): a list of one struct, 0x1c.
at = meta.index(b'\x16' + varint(200) + b'\x19\x1c') + 4
write('bomb.parquet', meta[:at] + b'\xfc' + varint(2**31 - 1) + meta[at + 1:])
# The schema's root, named `schema`, says it has 2^31 - 1 children (field 5, zigzag).
at = meta.index(b'schema') + len(b'schema')
assert meta[at] == 0x15
end = at + 1
while meta[end] & 0x80:
    end += 1
write('schema.parquet', meta[:at + 1] + varint((2**31 - 1) * 2) + meta[end + 1:])
"#;
    if damaged(script, &dir) {
        let says = "bomb.parquet: the file is damaged (its footer: a list says it holds 2147483647";
        refused("bomb.parquet", &[says], &dir);
        refused("schema.parquet", &["a schema element says it has 2147483647 children, of 3 elements"], &dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A DELTA_LENGTH_BYTE_ARRAY page whose lengths say they are 2³⁶ (the crate sized their
/// buffer by it, 256 GiB, and the process aborted): refused as unreadable at its row
/// (exit 3), naming what it claims. The file as written is read.
#[test]
fn a_delta_page_that_claims_more_values_than_it_has_is_refused_not_a_crash() {
    let dir = temp_dir();
    let script = r#"
schema = pa.schema([pa.field('id', pa.string(), nullable=False), pa.field('age', pa.int64()), pa.field('si_months', pa.int64())])
t = pa.table({'id': [f'p{i:04d}' for i in range(100)], 'age': [40] * 100, 'si_months': [80] * 100}, schema=schema)
data = fine(t, use_dictionary=False, compression='none', column_encoding={'id': 'DELTA_LENGTH_BYTE_ARRAY'})
column = pq.ParquetFile('fine.parquet').metadata.row_group(0).column(0)
assert 'DELTA_LENGTH_BYTE_ARRAY' in column.encodings, column.encodings
# The lengths' header: 128 values a block, 4 miniblocks, 100 values (0x64).
at = data.index(b'\x80\x01\x04\x64', column.data_page_offset) + 3
patch = varint(2 ** 36) + b'\x00' * 6
data[at:at + len(patch)] = patch
open('bomb.parquet', 'wb').write(bytes(data))
"#;
    if damaged(script, &dir) {
        let says = ["bomb.parquet: row 1:", "a page of 100 values says it holds 68719476736 text lengths"];
        refused("bomb.parquet", &says, &dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
