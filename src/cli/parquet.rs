//! Applicant lists and results as Parquet files (`batch`, `gen`, `diff --applicants`),
//! chosen by the `.parquet` extension.
//!
//! Written through the `parquet` crate's own column API (no Arrow): one flat, optional
//! column per key, typed from the policy's schema — int as INT64; decimal as DECIMAL with
//! the scale the values need (INT64 up to 18 digits, a 16-byte FIXED_LEN_BYTE_ARRAY up to
//! 38), or as UTF8 text when no DECIMAL holds them all exactly; bool as BOOLEAN; an enum as
//! its variant's name (UTF8); a date as DATE; a list as its JSON text (UTF8); `id` as UTF8.
//! Never a float. Rows go out in row groups of [`ROW_GROUP`], so memory stays flat.
//!
//! Read column by column: a chunk's rows of every column are decoded into typed buffers
//! (across row groups) on the reading thread, and the scoring workers read each row's facts
//! from them, typed — integers and DECIMALs as their digits, DATEs as days, text borrowed —
//! through the same applicant reader as JSON and CSV, where each means what its text would
//! (integer, DECIMAL, BOOLEAN, UTF8 or plain BYTE_ARRAY holding UTF-8, and DATE columns). A
//! FLOAT or DOUBLE value is read only when it is exactly the decimal it prints as
//! (`12434.5`, `3`): `0.1` is not (its binary value is 0.1000000000000000055…), and its
//! row is refused, naming the row and column. A file with a column of another type is read
//! row by row by the crate's record reader, which refuses nested, repeated, time and
//! timestamp values by row and column.

/// Whether a path names a Parquet file (by its extension).
pub(crate) fn is_parquet(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".parquet")
}

/// Refuse a Parquet file in a jifen built without the `parquet` feature.
#[cfg(not(feature = "parquet"))]
pub(crate) fn unavailable(path: &str) -> u8 {
    super::fail(
        &format!("{path}: this jifen was built without Parquet support"),
        Some("install it with `cargo install --features parquet`, or use CSV or JSON lines"),
    );
    super::exit::IO
}

#[cfg(feature = "parquet")]
pub(crate) use file::*;

#[cfg(feature = "parquet")]
mod file {
    use std::borrow::Cow;
    use std::fs::File;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use parquet::basic::{LogicalType, Repetition, Type as Physical};
    use parquet::column::reader::ColumnReader;
    use parquet::data_type::{
        BoolType, ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int32Type, Int64Type,
    };
    use parquet::file::properties::WriterProperties;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::record::reader::RowIter;
    use parquet::record::Field;
    use parquet::schema::types::{ColumnDescriptor, Type};
    use rayon::prelude::*;
    use rust_decimal::Decimal;

    use crate::applicant::FastInputs;
    use crate::applicant::{exact_decimal, json_entries, ApplicantError, RawValue};
    use crate::eval::Applicant;
    use crate::population::{values_of_facts, FactColumns, Model, RawRow, ReadError, Rng, RowParser, TextValues};
    use crate::rules::{InputType, Value};
    use crate::RuleSet;

    use checked::CheckedFile;
    use positioned::PositionedFile;
    use texts::{TextReader, Texts};

    use super::super::batch::Batch;
    use super::super::output::Output;
    use super::super::{contain_panics, exit, fail};

    mod bounded;
    mod checked;
    mod positioned;
    mod texts;

    /// Rows per row group written: a few MiB of columns at most.
    pub(crate) const ROW_GROUP: usize = 65_536;

    /// A column's type in a file jifen writes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Kind {
        Int,
        Bool,
        Text,
        Date,
        /// DECIMAL with this scale: precision 18 in an INT64, or 38 in 16 bytes when `wide`.
        Decimal {
            scale: u32,
            wide: bool,
        },
    }

    impl Kind {
        /// The narrowest DECIMAL holding values of up to `whole` digits before the point and
        /// `scale` after it, or text when none does.
        pub(crate) fn decimal(whole: u32, scale: u32) -> Kind {
            match whole + scale {
                0..=18 => Kind::Decimal { scale, wide: false },
                19..=38 => Kind::Decimal { scale, wide: true },
                _ => Kind::Text,
            }
        }
    }

    /// A column's values waiting for their row group.
    enum Values {
        Int(Vec<i64>),
        Date(Vec<i32>),
        Bool(Vec<bool>),
        Bytes(Vec<ByteArray>),
        Fixed(Vec<FixedLenByteArray>),
    }

    struct Column {
        name: String,
        kind: Kind,
        /// 1 for a value, 0 for a null, one per row.
        defs: Vec<i16>,
        values: Values,
    }

    /// Rows written as Parquet to an [`Output`], a row group at a time.
    pub(crate) struct Writer {
        file: SerializedFileWriter<Pending>,
        /// The bytes the file writer wrote and the output has not yet had.
        pending: Pending,
        out: Output,
        columns: Vec<Column>,
        rows: usize,
    }

    /// Bytes written, until [`Writer`] hands them to its output (which is not `Send`, as the
    /// file writer's destination must be).
    #[derive(Clone, Default)]
    struct Pending(Arc<Mutex<Vec<u8>>>);

    impl Write for Pending {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            let mut pending = self.0.lock().map_err(|_| std::io::Error::other("a Parquet writer panicked"))?;
            pending.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn column_type(name: &str, kind: Kind) -> parquet::errors::Result<Type> {
        let builder = match kind {
            Kind::Int => Type::primitive_type_builder(name, Physical::INT64),
            Kind::Bool => Type::primitive_type_builder(name, Physical::BOOLEAN),
            Kind::Text => {
                Type::primitive_type_builder(name, Physical::BYTE_ARRAY).with_logical_type(Some(LogicalType::String))
            }
            Kind::Date => {
                Type::primitive_type_builder(name, Physical::INT32).with_logical_type(Some(LogicalType::Date))
            }
            Kind::Decimal { scale, wide } => {
                let (physical, precision) =
                    if wide { (Physical::FIXED_LEN_BYTE_ARRAY, 38) } else { (Physical::INT64, 18) };
                Type::primitive_type_builder(name, physical)
                    .with_length(if wide { 16 } else { -1 })
                    .with_logical_type(Some(LogicalType::Decimal { scale: scale as i32, precision }))
                    .with_precision(precision)
                    .with_scale(scale as i32)
            }
        };
        builder.with_repetition(Repetition::OPTIONAL).build()
    }

    impl Writer {
        pub(crate) fn new(out: Output, columns: &[(&str, Kind)]) -> Result<Self, String> {
            let problem = |e: parquet::errors::ParquetError| format!("cannot write Parquet: {e}");
            let fields = columns
                .iter()
                .map(|&(name, kind)| column_type(name, kind).map(Arc::new))
                .collect::<Result<Vec<_>, _>>()
                .map_err(problem)?;
            let schema = Type::group_type_builder("applicants").with_fields(fields).build().map_err(problem)?;
            let props =
                WriterProperties::builder().set_created_by(format!("jifen {}", env!("CARGO_PKG_VERSION"))).build();
            let pending = Pending::default();
            let file =
                SerializedFileWriter::new(pending.clone(), Arc::new(schema), Arc::new(props)).map_err(problem)?;
            let columns = columns
                .iter()
                .map(|&(name, kind)| Column {
                    name: name.to_string(),
                    kind,
                    defs: Vec::new(),
                    values: match kind {
                        Kind::Int | Kind::Decimal { wide: false, .. } => Values::Int(Vec::new()),
                        Kind::Decimal { wide: true, .. } => Values::Fixed(Vec::new()),
                        Kind::Bool => Values::Bool(Vec::new()),
                        Kind::Text => Values::Bytes(Vec::new()),
                        Kind::Date => Values::Date(Vec::new()),
                    },
                })
                .collect();
            Ok(Writer { file, pending, out, columns, rows: 0 })
        }

        /// One row: a cell per column, as text (`None` or empty is a null).
        pub(crate) fn row<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a str>>) -> Result<(), String> {
            let mut cells = cells.into_iter();
            for column in &mut self.columns {
                let cell = cells.next().flatten().filter(|c| !c.is_empty());
                column.push(cell).map_err(|m| format!("column `{}`: {m}", column.name))?;
            }
            self.rows += 1;
            if self.rows == ROW_GROUP {
                self.flush()?;
            }
            Ok(())
        }

        /// Rows as CSV lines (what `batch` writes for CSV), in the writer's column order.
        pub(crate) fn csv_rows(&mut self, bytes: &[u8]) -> Result<(), String> {
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
            let mut record = csv::StringRecord::new();
            loop {
                match reader.read_record(&mut record) {
                    Ok(true) => self.row(record.iter().map(Some))?,
                    Ok(false) => return Ok(()),
                    Err(e) => return Err(format!("cannot write a result row: {e}")),
                }
            }
        }

        fn flush(&mut self) -> Result<(), String> {
            let problem = |e: parquet::errors::ParquetError| format!("cannot write Parquet: {e}");
            let mut group = self.file.next_row_group().map_err(problem)?;
            for column in &mut self.columns {
                let Some(mut writer) = group.next_column().map_err(problem)? else {
                    return Err("cannot write Parquet: fewer columns than the schema".into());
                };
                let defs = Some(&column.defs[..]);
                let written = match &mut column.values {
                    Values::Int(v) => writer.typed::<Int64Type>().write_batch(v, defs, None),
                    Values::Date(v) => writer.typed::<Int32Type>().write_batch(v, defs, None),
                    Values::Bool(v) => writer.typed::<BoolType>().write_batch(v, defs, None),
                    Values::Bytes(v) => writer.typed::<ByteArrayType>().write_batch(v, defs, None),
                    Values::Fixed(v) => writer.typed::<FixedLenByteArrayType>().write_batch(v, defs, None),
                };
                written.map_err(problem)?;
                writer.close().map_err(problem)?;
                column.clear();
            }
            group.close().map_err(problem)?;
            self.rows = 0;
            self.hand_on()
        }

        /// Give the output the bytes written so far.
        fn hand_on(&mut self) -> Result<(), String> {
            let mut pending = self.pending.0.lock().map_err(|_| "a Parquet writer panicked".to_string())?;
            self.out.write(&pending).map_err(|_| "the output cannot be written".to_string())?;
            pending.clear();
            Ok(())
        }

        /// Write the last row group and the footer; returns the output, not yet committed.
        pub(crate) fn finish(mut self) -> Result<Output, String> {
            if self.rows > 0 {
                self.flush()?;
            }
            self.file.finish().map_err(|e| format!("cannot write Parquet: {e}"))?;
            self.hand_on()?;
            Ok(self.out)
        }
    }

    impl Column {
        fn clear(&mut self) {
            self.defs.clear();
            match &mut self.values {
                Values::Int(v) => v.clear(),
                Values::Date(v) => v.clear(),
                Values::Bool(v) => v.clear(),
                Values::Bytes(v) => v.clear(),
                Values::Fixed(v) => v.clear(),
            }
        }

        fn push(&mut self, cell: Option<&str>) -> Result<(), String> {
            let Some(text) = cell else {
                self.defs.push(0);
                return Ok(());
            };
            match (&mut self.values, self.kind) {
                (Values::Int(v), Kind::Int) => {
                    v.push(text.parse().map_err(|_| format!("`{text}` is not a whole number"))?);
                }
                (Values::Int(v), Kind::Decimal { scale, .. }) => {
                    let unscaled = unscaled(text, scale)?;
                    v.push(i64::try_from(unscaled).map_err(|_| format!("`{text}` has too many digits"))?);
                }
                (Values::Fixed(v), Kind::Decimal { scale, .. }) => {
                    let unscaled = unscaled(text, scale)?;
                    v.push(FixedLenByteArray::from(unscaled.to_be_bytes().to_vec()));
                }
                (Values::Date(v), _) => {
                    v.push(crate::date::parse(text).map_err(|_| format!("`{text}` is not a date"))?)
                }
                (Values::Bool(v), _) => v.push(match text {
                    "true" => true,
                    "false" => false,
                    _ => return Err(format!("`{text}` is not true or false")),
                }),
                (Values::Bytes(v), _) => v.push(ByteArray::from(text.as_bytes().to_vec())),
                _ => return Err("internal: a column's values do not match its type".into()),
            }
            self.defs.push(1);
            Ok(())
        }
    }

    /// The integer `text × 10^scale`, exactly, or why there is none.
    fn unscaled(text: &str, scale: u32) -> Result<i128, String> {
        let d = exact_decimal(text).map_err(|_| format!("`{text}` is not an exact number"))?;
        if d.scale() > scale {
            return Err(format!("`{text}` has more than {scale} decimal places"));
        }
        let factor = 10i128.checked_pow(scale - d.scale());
        factor.and_then(|f| d.mantissa().checked_mul(f)).ok_or_else(|| format!("`{text}` has too many digits"))
    }

    /// Digits before the point and after it of an exact decimal.
    fn digits(d: Decimal) -> (u32, u32) {
        let d = d.normalize();
        let all = d.mantissa().unsigned_abs().to_string().len() as u32;
        (all.saturating_sub(d.scale()), d.scale())
    }

    /// The column type of an input (a decimal's scale as given), or of an output.
    pub(crate) fn kind_of(ty: InputType, decimal: Kind) -> Kind {
        match ty {
            InputType::Int { .. } => Kind::Int,
            InputType::Decimal { .. } => decimal,
            InputType::Bool => Kind::Bool,
            InputType::Date => Kind::Date,
            InputType::Enum(_) | InputType::List { .. } => Kind::Text,
        }
    }

    /// The types of `batch`'s result columns (`id`, `total`, `eligible`, `vetoed`,
    /// `meets_standard`, one per `output`, one per item), named as `names` has them: points
    /// as INT64, or DECIMAL with the policy's places; an output as its type (a decimal one as
    /// text: its scale is not known before the rows are).
    pub(crate) fn result_columns<'a>(ruleset: &RuleSet, names: &[&'a str]) -> Vec<(&'a str, Kind)> {
        let places = ruleset.points().map_or(0, |p| p.places);
        let points = if places > 0 { Kind::Decimal { scale: places, wide: false } } else { Kind::Int };
        let with_id = usize::from(names.len() > 4 + ruleset.outputs().len() + ruleset.items().len());
        let scores = [points, Kind::Bool, Kind::Bool, Kind::Bool];
        let kinds = std::iter::repeat_n(Kind::Text, with_id)
            .chain(scores)
            .chain(ruleset.outputs().iter().map(|o| kind_of(o.ty, Kind::Text)))
            .chain(ruleset.items().iter().map(|_| points));
        names.iter().copied().zip(kinds).collect()
    }

    /// `jifen gen -o people.parquet`: `id` and one column per input. The applicants are drawn
    /// twice from the same seed: first to learn each decimal column's scale, then to write.
    pub(crate) fn write_generated(
        ruleset: &RuleSet,
        model: &Model,
        seed: u64,
        count: u64,
        out: Output,
    ) -> Result<Output, String> {
        let names: Vec<&str> = std::iter::once("id").chain(ruleset.inputs().iter().map(|i| &*i.name)).collect();
        let unreadable = |e: crate::applicant::ApplicantError| format!("generated an unreadable row: {e}");
        // Digits before and after the point of each decimal input, over all rows.
        let mut widths = vec![(0u32, 0u32); names.len()];
        let decimal = |col: usize| col > 0 && matches!(ruleset.inputs()[col - 1].ty, InputType::Decimal { .. });
        if (1..names.len()).any(decimal) {
            let mut rng = Rng::new(seed);
            for id in 1..=count {
                let row = model.row(ruleset, &mut rng, id);
                for (key, value) in json_entries(&row).map_err(unreadable)? {
                    let Some(col) = names.iter().position(|n| *n == key).filter(|&c| decimal(c)) else { continue };
                    if let Some(d) = text_of(&value).and_then(|t| exact_decimal(&t).ok()) {
                        let (whole, scale) = digits(d);
                        widths[col] = (widths[col].0.max(whole), widths[col].1.max(scale));
                    }
                }
            }
        }
        let columns: Vec<(&str, Kind)> = names
            .iter()
            .enumerate()
            .map(|(col, &name)| match col {
                0 => (name, Kind::Text),
                _ => (name, kind_of(ruleset.inputs()[col - 1].ty, Kind::decimal(widths[col].0, widths[col].1))),
            })
            .collect();
        let mut writer = Writer::new(out, &columns)?;
        let mut rng = Rng::new(seed);
        let mut cells: Vec<Option<Cow<'_, str>>> = vec![None; names.len()];
        for id in 1..=count {
            let row = model.row(ruleset, &mut rng, id);
            cells.iter_mut().for_each(|c| *c = None);
            for (key, value) in json_entries(&row).map_err(unreadable)? {
                if let Some(col) = names.iter().position(|n| *n == key) {
                    cells[col] = text_of(&value).map(|t| Cow::Owned(t.into_owned()));
                }
            }
            writer.row(cells.iter().map(|c| c.as_deref()))?;
        }
        writer.finish()
    }

    /// A fact's text as a cell holds it; `None` for null.
    fn text_of<'a>(value: &'a RawValue<'_>) -> Option<Cow<'a, str>> {
        match value {
            RawValue::Null | RawValue::Other(_) => None,
            RawValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            RawValue::Number(t) | RawValue::Text(t) | RawValue::Cell(t) | RawValue::List(t) => Some(Cow::Borrowed(t)),
            typed @ (RawValue::Decimal { .. } | RawValue::Date(_)) => match typed.clone().textual() {
                RawValue::Number(t) | RawValue::Cell(t) => Some(Cow::Owned(t.into_owned())),
                _ => None,
            },
        }
    }

    /// A Parquet file's rows, read a row group at a time.
    pub(crate) struct Reader {
        rows: Rows,
        /// Each column's key (an input's name, `id`, or the column's own name) and input type.
        columns: Vec<(Arc<str>, Option<InputType>)>,
        line: usize,
    }

    /// How the rows are decoded: column by column (every column of a type read directly),
    /// or, for a file with a column of another type, row by row through the crate's record
    /// reader (whose values name their type in messages).
    enum Rows {
        Columns(Box<Columns>),
        Records(RowIter<'static>),
    }

    /// The column-wise reader: the row group being read and a reader per column.
    struct Columns {
        file: CheckedFile<SerializedFileReader<PositionedFile>>,
        /// The next row group to open.
        group: usize,
        /// Rows of the open row group not yet read.
        left: usize,
        readers: Vec<ColumnRead>,
        layout: Arc<Layout>,
    }

    /// A column's reader: a text column's gives its dictionary's entries once and an index per
    /// value ([`texts`]), any other the crate's typed values.
    enum ColumnRead {
        Typed(Box<ColumnReader>),
        Text(Box<TextReader>),
    }

    /// What the chunks of a file share: each column's key and how its values become facts.
    struct Layout {
        keys: Vec<Arc<str>>,
        plans: Vec<Plan>,
    }

    /// How one column's values become facts.
    #[derive(Clone, Copy)]
    struct Plan {
        shape: Shape,
        /// What a text value is: an id's name, a list's JSON, or a cell typed by its input.
        text: Text,
        /// Whether the column can hold nulls (its definition levels are read only then).
        optional: bool,
        physical: Physical,
    }

    /// How a column's values become facts.
    #[derive(Clone, Copy)]
    enum Shape {
        Bool,
        Int,
        Float,
        Double,
        Date,
        Text,
        /// DECIMAL with this scale.
        Decimal(i32),
    }

    #[derive(Clone, Copy)]
    enum Text {
        Id,
        List,
        Cell,
    }

    /// Rows decoded column by column: a chunk of up to [`super::super::batch`]'s chunk size,
    /// read by the scoring workers in parallel, each row straight from the typed values
    /// (integers and DECIMALs as their digits, dates as days, text borrowed from the pages).
    pub(crate) struct ColumnRows {
        /// Rows of the file before this chunk's first.
        before: usize,
        rows: usize,
        layout: Arc<Layout>,
        columns: Vec<Decoded>,
    }

    /// One column's values for a chunk.
    struct Decoded {
        /// Definition levels (optional columns only): 0 for a null.
        defs: Vec<i16>,
        /// One value per row, at the row's place (a null's holds a copy of another value,
        /// [`spread`]): a row's value is found with no lookup in between, which would wait
        /// for memory twice.
        values: Buffer,
    }

    enum Buffer {
        Bool(Vec<bool>),
        Int32(Vec<i32>),
        Int64(Vec<i64>),
        Float(Vec<f32>),
        Double(Vec<f64>),
        Bytes(Vec<ByteArray>),
        /// A text column's values ([`texts`]).
        Text(Texts),
        Fixed(Vec<FixedLenByteArray>),
    }

    /// The shape of a column jifen decodes column-wise; `None` sends the file to the row reader.
    fn shape_of(column: &ColumnDescriptor) -> Option<Shape> {
        use parquet::basic::ConvertedType as C;
        if column.max_rep_level() != 0 || column.max_def_level() > 1 {
            return None;
        }
        let logical = column.logical_type_ref();
        if let Some(LogicalType::Decimal { .. }) = logical {
            return match column.physical_type() {
                Physical::INT32 | Physical::INT64 | Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY => {
                    Some(Shape::Decimal(column.type_scale()))
                }
                _ => None,
            };
        }
        let plain_logical = match logical {
            None | Some(LogicalType::String) | Some(LogicalType::Date) => true,
            Some(LogicalType::Integer { is_signed, .. }) => *is_signed,
            _ => false,
        };
        if !plain_logical {
            return None;
        }
        let converted = column.converted_type();
        match (column.physical_type(), converted) {
            (Physical::BOOLEAN, C::NONE) => Some(Shape::Bool),
            (Physical::INT32, C::NONE | C::INT_8 | C::INT_16 | C::INT_32) => Some(Shape::Int),
            (Physical::INT32, C::DATE) => Some(Shape::Date),
            (Physical::INT64, C::NONE | C::INT_64) => Some(Shape::Int),
            (Physical::FLOAT, C::NONE) => Some(Shape::Float),
            (Physical::DOUBLE, C::NONE) => Some(Shape::Double),
            (Physical::BYTE_ARRAY, C::NONE | C::UTF8) => Some(Shape::Text),
            (_, C::DECIMAL) => match column.physical_type() {
                Physical::INT32 | Physical::INT64 | Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY => {
                    Some(Shape::Decimal(column.type_scale()))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Open a Parquet file of applicants and check its columns' shapes. On failure, prints why
    /// and returns the exit code.
    pub(crate) fn open(path: &str, ruleset: &RuleSet) -> Result<Reader, u8> {
        let refused = |message: String| {
            fail(&format!("{path}: {message}"), Some("write flat columns of int, DECIMAL, BOOLEAN, UTF8 or DATE"));
            exit::APPLICANT
        };
        if path == "-" {
            fail("a Parquet file cannot be read from standard input", Some("save it to a file and name the file"));
            return Err(exit::IO);
        }
        // Every applicant file read is bounded (`--max-file-size`, 64 MiB unless told).
        let limit = crate::cli::input::policy_loader().max_file_size;
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() && m.len() > limit => {
                fail(
                    &format!("`{path}` is larger than {limit} bytes (--max-file-size)"),
                    Some("raise --max-file-size (e.g. --max-file-size 2G) to read it"),
                );
                return Err(exit::IO);
            }
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                fail(&format!("`{path}` is not a regular file"), None);
                return Err(exit::IO);
            }
            Err(e) => {
                fail(&format!("cannot read `{path}`: {e}"), None);
                return Err(exit::IO);
            }
        }
        let file = File::open(path).map_err(|e| {
            fail(&format!("cannot read `{path}`: {e}"), None);
            exit::IO
        })?;
        let file = PositionedFile::new(file).map_err(|e| {
            fail(&format!("cannot read `{path}`: {e}"), None);
            exit::IO
        })?;
        if let Err(why) = file.check_footer() {
            fail(&format!("{path}: the file is damaged ({why})"), Some("write the file again from where it came from"));
            return Err(exit::APPLICANT);
        }
        let reader = match guarded(|| SerializedFileReader::new(file)) {
            Ok(Ok(reader)) => CheckedFile(reader),
            Ok(Err(e)) => return Err(refused(format!("not a readable Parquet file: {e}"))),
            Err(damaged) => {
                fail(&format!("{path}: {damaged}"), Some("write the file again from where it came from"));
                return Err(exit::APPLICANT);
            }
        };
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        let mut columns = Vec::new();
        for field in schema.root_schema().get_fields() {
            let name = field.name();
            if field.is_group() || field.get_basic_info().repetition() == Repetition::REPEATED {
                return Err(refused(format!("column `{name}` is nested or repeated; jifen reads flat columns")));
            }
            let input = ruleset.inputs().iter().find(|i| &*i.name == name || i.label.as_deref() == Some(name));
            match input {
                Some(def) => columns.push((def.name.clone(), Some(def.ty))),
                None => columns.push((Arc::from(name), None)),
            }
        }
        let shapes: Option<Vec<Shape>> = schema.columns().iter().map(|c| shape_of(c)).collect();
        let rows = match shapes {
            Some(shapes) if shapes.len() == columns.len() => {
                let plans = shapes
                    .iter()
                    .zip(schema.columns())
                    .zip(&columns)
                    .map(|((&shape, column), (key, ty))| Plan {
                        shape,
                        text: match ty {
                            _ if &**key == "id" => Text::Id,
                            Some(InputType::List { .. }) => Text::List,
                            _ => Text::Cell,
                        },
                        optional: column.max_def_level() > 0,
                        physical: column.physical_type(),
                    })
                    .collect();
                let keys = columns.iter().map(|(key, _)| key.clone()).collect();
                let layout = Arc::new(Layout { keys, plans });
                Rows::Columns(Box::new(Columns { file: reader, group: 0, left: 0, readers: Vec::new(), layout }))
            }
            _ => Rows::Records(RowIter::from_file_into(Box::new(reader))),
        };
        Ok(Reader { rows, columns, line: 0 })
    }

    impl Reader {
        /// Whether a column holds the rows' ids.
        pub(crate) fn has_id(&self) -> bool {
            self.columns.iter().any(|(k, _)| &**k == "id")
        }

        /// Up to `rows` more rows (none at the end), or why they cannot be read, naming the
        /// row. `reuse` is a chunk already scored, whose buffers the next one may take.
        pub(crate) fn chunk(&mut self, rows: usize, reuse: Option<Batch>) -> Result<Batch, ReadError> {
            let Rows::Columns(columns) = &mut self.rows else {
                return self.record_chunk(rows).map(Batch::Rows);
            };
            let mut decoded = match reuse {
                Some(Batch::Columns(old)) if Arc::ptr_eq(&old.layout, &columns.layout) => old.columns,
                _ => columns.layout.plans.iter().map(Decoded::new).collect(),
            };
            decoded.iter_mut().for_each(Decoded::clear);
            let mut got = 0;
            while got < rows {
                let at = self.line + got + 1;
                let n = columns
                    .decode(rows - got, &mut decoded)
                    .map_err(|message| ReadError { line: at, message: format!("row {at}: {message}") })?;
                if n == 0 {
                    break;
                }
                got += n;
            }
            let chunk = ColumnRows { before: self.line, rows: got, layout: columns.layout.clone(), columns: decoded };
            self.line += got;
            Ok(Batch::Columns(chunk))
        }

        /// [`Self::chunk`] through the crate's record reader.
        fn record_chunk(&mut self, rows: usize) -> Result<Vec<RawRow>, ReadError> {
            let Rows::Records(records) = &mut self.rows else { return Ok(Vec::new()) };
            let mut chunk = Vec::with_capacity(rows);
            while chunk.len() < rows {
                let unreadable = |message: String| ReadError {
                    line: self.line + 1,
                    message: format!("row {}: {message}", self.line + 1),
                };
                let row = match guarded(|| records.next()).map_err(unreadable)? {
                    None => break,
                    Some(Ok(row)) => row,
                    Some(Err(e)) => return Err(unreadable(e.to_string())),
                };
                self.line += 1;
                let mut facts = Vec::with_capacity(self.columns.len());
                for ((_, field), (key, ty)) in row.get_column_iter().zip(&self.columns) {
                    let fact = fact(field, *ty, &**key == "id").map_err(|m| ReadError {
                        line: self.line,
                        message: format!("row {}, column `{key}`: {m}", self.line),
                    })?;
                    if let Some(fact) = fact {
                        facts.push((key.clone(), fact));
                    }
                }
                chunk.push(RawRow::fields(self.line, facts));
            }
            Ok(chunk)
        }
    }

    impl Columns {
        /// Decode up to `wanted` more rows of every column into `into` (opening the next row
        /// group when the last is done); returns how many (0 at the end of the file).
        fn decode(&mut self, wanted: usize, into: &mut [Decoded]) -> Result<usize, String> {
            while self.left == 0 {
                if self.group >= self.file.num_row_groups() {
                    return Ok(0);
                }
                guarded(|| self.open_group(into.len()))??;
            }
            let n = wanted.min(self.left);
            let left = self.left;
            // Each column has a reader of its own: the columns are decoded in parallel, by the
            // workers that score (decoding on this thread alone would hold them up).
            let read: Vec<Result<(), String>> = self
                .readers
                .par_iter_mut()
                .zip(into.par_iter_mut())
                .zip(self.layout.plans.par_iter())
                .map(|((reader, decoded), plan)| guarded(|| decode_column(reader, decoded, plan, n, left))?)
                .collect();
            // The first column's failure, whichever worker saw it first.
            read.into_iter().collect::<Result<(), String>>()?;
            self.left -= n;
            Ok(n)
        }

        /// Open the next row group: a reader for each of its `columns` columns.
        fn open_group(&mut self, columns: usize) -> Result<(), String> {
            let problem = |e: parquet::errors::ParquetError| format!("cannot be read: {e}");
            let group = self.file.get_row_group(self.group).map_err(problem)?;
            let rows = group.metadata().num_rows();
            self.left = usize::try_from(rows).map_err(|_| format!("row group {} has {rows} rows", self.group))?;
            let text = |c: usize| texts::readable(group.metadata().column(c));
            self.readers = (0..columns)
                .zip(&self.layout.plans)
                .map(|(c, plan)| match plan.shape {
                    Shape::Text if plan.physical == Physical::BYTE_ARRAY && text(c) => {
                        Ok(ColumnRead::Text(Box::new(TextReader::new(group.get_column_page_reader(c)?, plan.optional))))
                    }
                    _ => group.get_column_reader(c).map(|r| ColumnRead::Typed(Box::new(r))),
                })
                .collect::<Result<_, _>>()
                .map_err(problem)?;
            self.group += 1;
            Ok(())
        }
    }

    /// `read()`, or what a panic of the `parquet` crate in it says of the file: it is damaged.
    fn guarded<T>(read: impl FnOnce() -> T) -> Result<T, String> {
        contain_panics(read).map_err(|what| format!("the file is damaged (the Parquet reader stopped: {what})"))
    }

    /// Decode `n` more rows of one column into `decoded`, of a row group with `left` rows
    /// left to read.
    fn decode_column(
        reader: &mut ColumnRead,
        decoded: &mut Decoded,
        plan: &Plan,
        n: usize,
        left: usize,
    ) -> Result<(), String> {
        let (defs_before, values_before) = (decoded.defs.len(), decoded.values.len());
        let defs = plan.optional.then_some(&mut decoded.defs);
        let read = match (reader, &mut decoded.values) {
            (ColumnRead::Text(r), Buffer::Text(v)) => r.read_records(n, defs, v),
            (ColumnRead::Typed(reader), values) => read_typed(reader, n, defs, values),
            _ => return Err("a column's reader does not match its type".into()),
        };
        let (records, values, _) = read.map_err(|e| format!("cannot be read: {e}"))?;
        let levels = decoded.defs.len() - defs_before;
        let nulls_ok = if plan.optional { levels == n } else { values == n };
        if records != n || !nulls_ok || decoded.values.len() - values_before != values {
            return Err(format!("a column ends before its row group's {left} rows"));
        }
        if plan.optional {
            decoded.spread(values_before)?;
        }
        Ok(())
    }

    /// Up to `n` rows of a column read by the crate's typed reader.
    fn read_typed(
        reader: &mut ColumnReader,
        n: usize,
        defs: Option<&mut Vec<i16>>,
        values: &mut Buffer,
    ) -> parquet::errors::Result<(usize, usize, usize)> {
        match (reader, values) {
            (ColumnReader::ByteArrayColumnReader(r), Buffer::Text(texts)) => {
                let mut v = Vec::new();
                let read = r.read_records(n, defs, None, &mut v)?;
                texts.push_all(&v)?;
                Ok(read)
            }
            (ColumnReader::BoolColumnReader(r), Buffer::Bool(v)) => r.read_records(n, defs, None, v),
            (ColumnReader::Int32ColumnReader(r), Buffer::Int32(v)) => r.read_records(n, defs, None, v),
            (ColumnReader::Int64ColumnReader(r), Buffer::Int64(v)) => r.read_records(n, defs, None, v),
            (ColumnReader::FloatColumnReader(r), Buffer::Float(v)) => r.read_records(n, defs, None, v),
            (ColumnReader::DoubleColumnReader(r), Buffer::Double(v)) => r.read_records(n, defs, None, v),
            (ColumnReader::ByteArrayColumnReader(r), Buffer::Bytes(v)) => r.read_records(n, defs, None, v),
            (ColumnReader::FixedLenByteArrayColumnReader(r), Buffer::Fixed(v)) => r.read_records(n, defs, None, v),
            _ => Err(parquet::errors::ParquetError::General("a column's reader does not match its type".into())),
        }
    }

    impl Decoded {
        fn new(plan: &Plan) -> Decoded {
            let values = match plan.physical {
                Physical::BOOLEAN => Buffer::Bool(Vec::new()),
                Physical::INT32 => Buffer::Int32(Vec::new()),
                Physical::INT64 => Buffer::Int64(Vec::new()),
                Physical::FLOAT => Buffer::Float(Vec::new()),
                Physical::DOUBLE => Buffer::Double(Vec::new()),
                Physical::FIXED_LEN_BYTE_ARRAY => Buffer::Fixed(Vec::new()),
                Physical::BYTE_ARRAY if matches!(plan.shape, Shape::Text) => Buffer::Text(Texts::default()),
                _ => Buffer::Bytes(Vec::new()),
            };
            Decoded { defs: Vec::new(), values }
        }

        fn clear(&mut self) {
            self.defs.clear();
            match &mut self.values {
                Buffer::Bool(v) => v.clear(),
                Buffer::Int32(v) => v.clear(),
                Buffer::Int64(v) => v.clear(),
                Buffer::Float(v) => v.clear(),
                Buffer::Double(v) => v.clear(),
                Buffer::Bytes(v) => v.clear(),
                Buffer::Text(v) => v.clear(),
                Buffer::Fixed(v) => v.clear(),
            }
        }

        /// Move each value read since `from` rows (the earlier rows' values are at their
        /// places already) to its row's place, as the definition levels say; the values must
        /// be exactly the non-null rows'.
        fn spread(&mut self, from: usize) -> Result<(), String> {
            let defs = self.defs.get(from..).unwrap_or_default();
            let given = defs.iter().filter(|&&d| d != 0).count();
            if self.values.len() != from + given {
                return Err("a column's values do not match its nulls".into());
            }
            if given == defs.len() {
                // No nulls: every value is at its row's place already.
                return Ok(());
            }
            match &mut self.values {
                Buffer::Bool(v) => spread(v, from, defs),
                Buffer::Int32(v) => spread(v, from, defs),
                Buffer::Int64(v) => spread(v, from, defs),
                Buffer::Float(v) => spread(v, from, defs),
                Buffer::Double(v) => spread(v, from, defs),
                Buffer::Bytes(v) => spread(v, from, defs),
                Buffer::Text(v) => spread(&mut v.values, from, defs),
                Buffer::Fixed(v) => spread(v, from, defs),
            }
            Ok(())
        }

        /// Whether row `row` of the column is null.
        #[inline(always)]
        fn null(&self, plan: &Plan, row: usize) -> bool {
            plan.optional && self.defs.get(row) == Some(&0)
        }
    }

    impl Decoded {
        /// `f(row, read(value))` for each of `rows`: `Some(None)` for a null, `None` for a
        /// value missing from the column.
        #[inline(always)]
        fn each<T>(
            &self,
            plan: &Plan,
            values: &[T],
            rows: std::ops::Range<usize>,
            mut f: impl FnMut(usize, Option<Option<Value>>),
            mut read: impl FnMut(&T) -> Option<Option<Value>>,
        ) {
            for row in rows {
                match self.null(plan, row) {
                    true => f(row, Some(None)),
                    false => f(row, values.get(row).and_then(&mut read)),
                }
            }
        }
    }

    /// Each value of `values[from..]` (the non-null rows' of `defs`, in order) moved to its
    /// row's place, `from + row`. A null's place gets a copy of the value before it (or the
    /// first place's), so every place holds a value of the column: the loop has no branch
    /// to guess at each row, and reading a null's place costs what reading any place does.
    fn spread<T: Clone + Default>(values: &mut Vec<T>, from: usize, defs: &[i16]) {
        let mut next = values.len() - from;
        values.resize_with(from + defs.len(), T::default);
        let Some(moved) = values.get_mut(from..) else { return };
        for (row, &d) in defs.iter().enumerate().rev() {
            // Before a given row, the values not yet moved are `moved[..next]`, its own last.
            moved[row] = moved[next.saturating_sub(1)].clone();
            next -= usize::from(d != 0);
        }
    }

    impl Buffer {
        fn len(&self) -> usize {
            match self {
                Buffer::Bool(v) => v.len(),
                Buffer::Int32(v) => v.len(),
                Buffer::Int64(v) => v.len(),
                Buffer::Float(v) => v.len(),
                Buffer::Double(v) => v.len(),
                Buffer::Bytes(v) => v.len(),
                Buffer::Text(v) => v.values.len(),
                Buffer::Fixed(v) => v.len(),
            }
        }
    }

    impl ColumnRows {
        pub(crate) fn len(&self) -> usize {
            self.rows
        }

        /// The row number (1-based, in the file) of the chunk's row `at`.
        pub(crate) fn line(&self, at: usize) -> usize {
            self.before + at + 1
        }

        /// Read row `at` into `parser`'s applicant: every column's value as its fact, typed,
        /// through the same checks and messages as any row's facts.
        pub(crate) fn parse<'a>(
            &'a self,
            at: usize,
            parser: &'a mut RowParser<'_>,
        ) -> Result<(Option<Cow<'a, str>>, &'a Applicant), ApplicantError> {
            parser.parse_columns(self, at)
        }

        /// Read rows `rows` column by column, for [`Self::parse`] to hand out.
        pub(crate) fn read_block(&self, rows: std::ops::Range<usize>, parser: &mut RowParser<'_>) {
            parser.read_block(self, rows);
        }

        /// Where a row's value is in its column's values (`None` for a null), and the
        /// column's plan and values.
        fn place(&self, column: usize, row: usize) -> Result<(Option<usize>, &Plan, &Buffer), String> {
            let (Some(plan), Some(decoded)) = (self.layout.plans.get(column), self.columns.get(column)) else {
                return Err("the column is missing".into());
            };
            let at = (!decoded.null(plan, row)).then_some(row);
            Ok((at, plan, &decoded.values))
        }
    }

    impl FactColumns for ColumnRows {
        fn keys(&self) -> &[Arc<str>] {
            &self.layout.keys
        }

        /// The rows of the file before this chunk: no two chunks of a file share it.
        fn chunk(&self) -> u64 {
            self.before as u64
        }

        /// The fact of a row's value in a column (`Null` for a null), or why it cannot be one.
        fn fact(&self, column: usize, row: usize) -> Result<RawValue<'_>, ApplicantError> {
            let refused = |message: String| ApplicantError::UnreadableValue {
                key: self.layout.keys.get(column).map(|k| k.to_string()).unwrap_or_default(),
                message,
            };
            match self.place(column, row).map_err(refused)? {
                (None, ..) => Ok(RawValue::Null),
                (Some(at), plan, values) => plan.fact(values, at).map_err(refused),
            }
        }

        /// An id column's text straight from the chunk's texts: no fact made, no type asked.
        #[inline]
        fn id_text(&self, column: usize, row: usize) -> Option<&str> {
            let (plan, decoded) = (self.layout.plans.get(column)?, self.columns.get(column)?);
            match (&decoded.values, plan.text) {
                (Buffer::Text(v), Text::Id) if !decoded.null(plan, row) => std::str::from_utf8(v.get(row)?).ok(),
                _ => None,
            }
        }

        /// One loop over the rows, the usual values (integers, DECIMALs of up to 8 bytes,
        /// dates, booleans, text) made facts on the spot, any other through [`Self::fact`].
        fn each<'a>(&'a self, column: usize, rows: std::ops::Range<usize>, mut f: impl FnMut(usize, RawValue<'a>)) {
            let (plan, decoded) = (self.layout.plans.get(column), self.columns.get(column));
            let mut last = None;
            // One call of `f`, so that it is compiled into the loop.
            for row in rows {
                let raw = match (plan, decoded) {
                    (Some(plan), Some(decoded)) => self.quick_fact(column, row, plan, decoded, &mut last),
                    _ => UNREADABLE,
                };
                f(row, raw);
            }
        }

        /// One loop per pair of column type and input type: the value each row gives, with no
        /// fact made in between but for the types that need one (and each text once per
        /// dictionary entry).
        fn values(
            &self,
            column: usize,
            rows: std::ops::Range<usize>,
            fast: &FastInputs<'_>,
            slot: usize,
            texts: &mut TextValues,
            f: impl FnMut(usize, Option<Option<Value>>),
        ) {
            let (Some(plan), Some(decoded)) = (self.layout.plans.get(column), self.columns.get(column)) else {
                return values_of_facts(self, column, rows, fast, slot, texts, f);
            };
            let whole = |n: i64| fast.value(slot, RawValue::Decimal { unscaled: i128::from(n), scale: 0 });
            match (&decoded.values, plan.shape) {
                (Buffer::Int64(v), Shape::Int) => decoded.each(plan, v, rows, f, |&n| whole(n)),
                (Buffer::Int32(v), Shape::Int) => decoded.each(plan, v, rows, f, |&n| whole(i64::from(n))),
                (Buffer::Int64(v), Shape::Decimal(scale @ 0..=38)) => decoded.each(plan, v, rows, f, |&n| {
                    fast.value(slot, RawValue::Decimal { unscaled: i128::from(n), scale: scale as u32 })
                }),
                (Buffer::Int32(v), Shape::Date) => decoded.each(plan, v, rows, f, |&days| {
                    fast.value(slot, RawValue::Date(days)).filter(|_| (-400_000..=3_000_000).contains(&days))
                }),
                (Buffer::Bool(v), _) => decoded.each(plan, v, rows, f, |&b| fast.value(slot, RawValue::Bool(b))),
                (Buffer::Text(v), _) => decoded.each(plan, &v.values, rows, f, |&entry| {
                    let bytes = v.entry(entry).unwrap_or_default();
                    texts.value(bytes, || fast.value(slot, plan.text(bytes).unwrap_or(UNREADABLE)))
                }),
                _ => values_of_facts(self, column, rows, fast, slot, texts, f),
            }
        }
    }

    /// Where a text's bytes are, and how many: in one chunk, the same place is the same text.
    type TextPlace = (*const u8, usize);

    impl ColumnRows {
        /// The fact of a row in a column as [`FactColumns::fact`] makes it, a value that
        /// cannot be one as [`UNREADABLE`]. Text is made a fact once for a run of rows naming
        /// the same dictionary entry (`last`: the text made last, by its place).
        #[inline(always)]
        fn quick_fact<'a>(
            &'a self,
            column: usize,
            row: usize,
            plan: &Plan,
            decoded: &'a Decoded,
            last: &mut Option<(TextPlace, RawValue<'a>)>,
        ) -> RawValue<'a> {
            if decoded.null(plan, row) {
                return RawValue::Null;
            }
            let at = row;
            if let Buffer::Text(v) = &decoded.values {
                let Some(bytes) = v.get(at) else { return UNREADABLE };
                let place = (bytes.as_ptr(), bytes.len());
                match last {
                    Some((was, raw)) if *was == place => return raw.clone(),
                    _ => {
                        let raw = plan.text(bytes).unwrap_or(UNREADABLE);
                        *last = Some((place, raw.clone()));
                        return raw;
                    }
                }
            }
            match plan.quick(&decoded.values, at) {
                Some(raw) => raw,
                None => self.fact(column, row).unwrap_or(UNREADABLE),
            }
        }
    }

    /// What [`FactColumns::each`] gives for a value that cannot be a fact.
    const UNREADABLE: RawValue<'static> = RawValue::Other("a value that cannot be read");

    impl Plan {
        /// The fact of the value at `at` when it is a usual one and readable, as
        /// [`Self::fact`] makes it; `None` otherwise (then [`Self::fact`] says what it is).
        #[inline(always)]
        fn quick<'a>(&self, values: &'a Buffer, at: usize) -> Option<RawValue<'a>> {
            let whole = |n: i64| RawValue::Decimal { unscaled: i128::from(n), scale: 0 };
            match (values, self.shape) {
                (Buffer::Int64(v), Shape::Int) => v.get(at).map(|&n| whole(n)),
                (Buffer::Int32(v), Shape::Int) => v.get(at).map(|&n| whole(i64::from(n))),
                (Buffer::Int64(v), Shape::Decimal(scale @ 0..=38)) => {
                    v.get(at).map(|&n| RawValue::Decimal { unscaled: i128::from(n), scale: scale as u32 })
                }
                (Buffer::Int32(v), Shape::Date) => {
                    v.get(at).copied().filter(|d| (-400_000..=3_000_000).contains(d)).map(RawValue::Date)
                }
                (Buffer::Bool(v), _) => v.get(at).map(|&b| RawValue::Bool(b)),
                (Buffer::Text(v), _) => self.text(v.get(at)?).ok(),
                _ => None,
            }
        }

        /// The fact of the value at `at`, as the record reader's [`fact`] makes it, typed:
        /// an integer or DECIMAL as its digits, a DATE as its day, text borrowed.
        fn fact<'a>(&self, values: &'a Buffer, at: usize) -> Result<RawValue<'a>, String> {
            let missing = || "a value is missing from its column".to_string();
            let whole = |n: i128| Ok(RawValue::Decimal { unscaled: n, scale: 0 });
            match (values, self.shape) {
                (Buffer::Bool(v), _) => Ok(RawValue::Bool(*v.get(at).ok_or_else(missing)?)),
                (Buffer::Int32(v), Shape::Date) => {
                    let days = *v.get(at).ok_or_else(missing)?;
                    if (-400_000..=3_000_000).contains(&days) {
                        Ok(RawValue::Date(days))
                    } else {
                        Err(format!("day {days} is no date jifen reads"))
                    }
                }
                (Buffer::Int32(v), Shape::Decimal(scale)) => {
                    decimal(decimal_digits(&v.get(at).ok_or_else(missing)?.to_be_bytes(), scale)?)
                }
                (Buffer::Int32(v), _) => whole(i128::from(*v.get(at).ok_or_else(missing)?)),
                (Buffer::Int64(v), Shape::Decimal(scale)) => {
                    decimal(decimal_digits(&v.get(at).ok_or_else(missing)?.to_be_bytes(), scale)?)
                }
                (Buffer::Int64(v), _) => whole(i128::from(*v.get(at).ok_or_else(missing)?)),
                (Buffer::Float(v), _) => {
                    let f = *v.get(at).ok_or_else(missing)?;
                    Ok(RawValue::Number(Cow::Owned(exact_float(f64::from(f), f.to_string())?)))
                }
                (Buffer::Double(v), _) => {
                    let f = *v.get(at).ok_or_else(missing)?;
                    Ok(RawValue::Number(Cow::Owned(exact_float(f, f.to_string())?)))
                }
                (Buffer::Bytes(v), Shape::Decimal(scale)) => {
                    decimal(decimal_digits(v.get(at).ok_or_else(missing)?.data(), scale)?)
                }
                (Buffer::Bytes(v), _) => self.text(v.get(at).ok_or_else(missing)?.data()),
                (Buffer::Text(v), _) => self.text(v.get(at).ok_or_else(missing)?),
                (Buffer::Fixed(v), Shape::Decimal(scale)) => {
                    decimal(decimal_digits(v.get(at).ok_or_else(missing)?.data(), scale)?)
                }
                (Buffer::Fixed(v), _) => self.text(v.get(at).ok_or_else(missing)?.data()),
            }
        }

        /// UTF-8 bytes as the fact they are, borrowed.
        #[inline]
        fn text<'a>(&self, bytes: &'a [u8]) -> Result<RawValue<'a>, String> {
            let s = std::str::from_utf8(bytes).map_err(|_| "binary data, not UTF-8 text".to_string())?;
            Ok(match self.text {
                Text::Id => RawValue::Text(Cow::Borrowed(s)),
                Text::List => RawValue::List(Cow::Borrowed(s)),
                Text::Cell => RawValue::Cell(Cow::Borrowed(s)),
            })
        }
    }

    /// A DECIMAL's digits and scale as a typed fact.
    fn decimal((unscaled, scale): (i128, u32)) -> Result<RawValue<'static>, String> {
        Ok(RawValue::Decimal { unscaled, scale })
    }

    /// Text as the fact it is: an id's name, a list's JSON, or a cell typed by its input.
    fn text_fact(s: String, ty: Option<InputType>, id: bool) -> Result<Option<RawValue<'static>>, String> {
        match ty {
            _ if id => Ok(Some(RawValue::Text(Cow::Owned(s)))),
            Some(InputType::List { .. }) => Ok(Some(RawValue::List(Cow::Owned(s)))),
            _ => Ok(Some(RawValue::Cell(Cow::Owned(s)))),
        }
    }

    /// A DATE (days since 1970-01-01) as its text, if it is a date jifen reads.
    fn date_fact(days: i32, ty: Option<InputType>, id: bool) -> Result<Option<RawValue<'static>>, String> {
        match days.checked_add(0).filter(|d| (-400_000..=3_000_000).contains(d)) {
            Some(d) => text_fact(crate::date::format(d), ty, id),
            None => Err(format!("day {days} is no date jifen reads")),
        }
    }

    /// The fact a Parquet value is (`None` for a null), or why it cannot be one.
    fn fact(field: &Field, ty: Option<InputType>, id: bool) -> Result<Option<RawValue<'static>>, String> {
        let number = |n: String| Ok(Some(RawValue::Number(Cow::Owned(n))));
        let text = |s: String| text_fact(s, ty, id);
        match field {
            Field::Null => Ok(None),
            Field::Bool(b) => Ok(Some(RawValue::Bool(*b))),
            Field::Byte(n) => number(n.to_string()),
            Field::Short(n) => number(n.to_string()),
            Field::Int(n) => number(n.to_string()),
            Field::Long(n) => number(n.to_string()),
            Field::UByte(n) => number(n.to_string()),
            Field::UShort(n) => number(n.to_string()),
            Field::UInt(n) => number(n.to_string()),
            Field::ULong(n) => number(n.to_string()),
            Field::Float(f) => number(exact_float(f64::from(*f), f.to_string())?),
            Field::Double(f) => number(exact_float(*f, f.to_string())?),
            Field::Decimal(d) => number(decimal_text(d.data(), d.scale())?),
            Field::Str(s) => text(s.clone()),
            Field::Bytes(b) => match std::str::from_utf8(b.data()) {
                Ok(s) => text(s.to_string()),
                Err(_) => Err("binary data, not UTF-8 text".into()),
            },
            Field::Date(days) => date_fact(*days, ty, id),
            other => Err(format!(
                "a {} value ({other}); jifen reads integer, DECIMAL, BOOLEAN, UTF8 and DATE columns",
                kind_name(other)
            )),
        }
    }

    fn kind_name(field: &Field) -> &'static str {
        match field {
            Field::Float16(_) => "half-precision float",
            Field::TimeMillis(_) | Field::TimeMicros(_) => "time",
            Field::TimestampMillis(_) | Field::TimestampMicros(_) => "timestamp",
            Field::Group(_) | Field::ListInternal(_) | Field::MapInternal(_) => "nested",
            _ => "unsupported",
        }
    }

    /// A float's value as exact decimal text, if the decimal it prints as is exactly its
    /// binary value: a decimal `m / 10^s` is a binary fraction only when 5^s divides `m`.
    fn exact_float(f: f64, shown: String) -> Result<String, String> {
        let refused = || {
            format!(
                "the floating-point value {shown} is not exactly a decimal (its binary value only approximates it); \
             write the column as DECIMAL, integer or text so that its value is exact"
            )
        };
        if !f.is_finite() {
            return Err(refused());
        }
        let d = exact_decimal(&shown).map_err(|_| refused())?.normalize();
        let five = 5i128.checked_pow(d.scale()).ok_or_else(refused)?;
        if d.mantissa() % five != 0 {
            return Err(refused());
        }
        Ok(shown)
    }

    /// A DECIMAL's big-endian two's-complement unscaled value and scale as decimal text.
    fn decimal_text(bytes: &[u8], scale: i32) -> Result<String, String> {
        let (unscaled, scale) = decimal_digits(bytes, scale)?;
        Ok(crate::applicant::decimal_text(unscaled, scale))
    }

    /// A DECIMAL's big-endian two's-complement unscaled value, and its scale, if jifen reads
    /// it: at most 16 bytes, a scale of 0 to 38.
    fn decimal_digits(bytes: &[u8], scale: i32) -> Result<(i128, u32), String> {
        let scale_ok = u32::try_from(scale).ok().filter(|s| *s <= 38);
        let (Some(scale), Some(&first), true) = (scale_ok, bytes.first(), bytes.len() <= 16) else {
            return Err(format!("a DECIMAL of {} bytes and scale {scale} is wider than jifen reads", bytes.len()));
        };
        let fill = if first & 0x80 != 0 { 0xff } else { 0 };
        let mut wide = [fill; 16];
        wide[16 - bytes.len()..].copy_from_slice(bytes);
        Ok((i128::from_be_bytes(wide), scale))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn floats_are_read_only_when_exact() {
            // 12434.5 = 124345 / 10 and 5 divides 124345: exactly a binary fraction.
            assert_eq!(exact_float(12434.5, 12434.5f64.to_string()).as_deref(), Ok("12434.5"));
            // 0.25 = 25 / 100, 25 divides 25.
            assert!(exact_float(0.25, "0.25".into()).is_ok());
            // 0.1 = 1 / 10 and 5 does not divide 1: the double is 0.1000000000000000055…
            assert!(exact_float(0.1, 0.1f64.to_string()).is_err());
            assert!(exact_float(f64::NAN, "NaN".into()).is_err());
        }

        #[test]
        fn decimals_print_exactly() {
            // 1234 at scale 2 is 12.34; -5 at scale 3 is -0.005; 16 bytes of all ones is -1.
            assert_eq!(decimal_text(&1234i64.to_be_bytes(), 2).as_deref(), Ok("12.34"));
            assert_eq!(decimal_text(&(-5i32).to_be_bytes(), 3).as_deref(), Ok("-0.005"));
            assert_eq!(decimal_text(&[0xff; 16], 0).as_deref(), Ok("-1"));
            assert!(decimal_text(&[0; 17], 0).is_err());
        }

        #[test]
        fn decimal_columns_are_as_narrow_as_their_values_allow() {
            // 12 digits before the point and 2 after fit an INT64's 18; 30 + 8 need 16 bytes;
            // 30 + 10 = 40 fit no DECIMAL, so the column is text.
            assert_eq!(Kind::decimal(12, 2), Kind::Decimal { scale: 2, wide: false });
            assert_eq!(Kind::decimal(30, 8), Kind::Decimal { scale: 8, wide: true });
            assert_eq!(Kind::decimal(30, 10), Kind::Text);
            assert_eq!(unscaled("12.5", 2), Ok(1250));
            assert!(unscaled("12.345", 2).is_err());
        }
    }
}
