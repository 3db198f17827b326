//! Reading applicants (JSON, TOML, or key/value fields) against a rule set's input
//! schema. Every problem names the key; numbers are read from their text, exactly.

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::eval::{Applicant, Rows};
use crate::rules::{InputDef, InputType, RuleSet, Value};

/// A fact as it arrives, before it is checked against the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue<'a> {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(Cow<'a, str>),
    Text(Cow<'a, str>),
    /// A CSV cell: text whose meaning comes from the input's type.
    Cell(Cow<'a, str>),
    /// Arrays, objects, dates…: never a valid fact. The name of the kind.
    Other(&'static str),
    /// A JSON array, as written: the rows of a list input (anything else for other inputs).
    List(Cow<'a, str>),
    /// An exact number given by its digits, `unscaled × 10^-scale` (a Parquet integer or
    /// DECIMAL value). It means exactly what its text (`decimal_text`) means as a
    /// [`RawValue::Number`], checked alike and with the same messages: it only spares a
    /// column reader writing that text and the applicant reader parsing it back.
    Decimal {
        unscaled: i128,
        scale: u32,
    },
    /// A calendar date as days since 1970-01-01 (a Parquet DATE value): it means exactly what
    /// its text `YYYY-MM-DD` means as a [`RawValue::Cell`].
    Date(i32),
}

impl<'a> RawValue<'a> {
    /// The same value, owning its text.
    pub fn into_owned(self) -> RawValue<'static> {
        match self {
            RawValue::Null => RawValue::Null,
            RawValue::Bool(b) => RawValue::Bool(b),
            RawValue::Number(n) => RawValue::Number(Cow::Owned(n.into_owned())),
            RawValue::Text(t) => RawValue::Text(Cow::Owned(t.into_owned())),
            RawValue::Cell(c) => RawValue::Cell(Cow::Owned(c.into_owned())),
            RawValue::Other(k) => RawValue::Other(k),
            RawValue::List(t) => RawValue::List(Cow::Owned(t.into_owned())),
            RawValue::Decimal { unscaled, scale } => RawValue::Decimal { unscaled, scale },
            RawValue::Date(days) => RawValue::Date(days),
        }
    }

    /// A typed fact ([`RawValue::Decimal`], [`RawValue::Date`]) as the text it stands for;
    /// any other fact as it is. Whatever a typed fact's reader does not take at once goes
    /// through this text, so that it is checked, and reported, exactly as the text would be.
    pub fn textual(self) -> RawValue<'a> {
        match self {
            RawValue::Decimal { unscaled, scale } => RawValue::Number(Cow::Owned(decimal_text(unscaled, scale))),
            RawValue::Date(days) => RawValue::Cell(Cow::Owned(crate::date::format(days))),
            other => other,
        }
    }

    /// What was found, for a message: the text itself (its first 40 characters) or its kind.
    pub fn found(&self) -> String {
        match self {
            // A date where none is read (a date cell of a workbook, too): say it is one.
            RawValue::Text(s) if crate::date::parse(s).is_ok() => format!("a date ({s})"),
            RawValue::Text(s) => format!("the string \"{}\"", s.chars().take(40).collect::<String>()),
            RawValue::Number(n) => format!("the number {}", n.chars().take(40).collect::<String>()),
            typed @ (RawValue::Decimal { .. } | RawValue::Date(_)) => typed.clone().textual().found(),
            other => other.kind().to_string(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            RawValue::Null => "null",
            RawValue::Bool(_) => "a boolean",
            RawValue::Number(_) => "a number",
            RawValue::Text(_) => "a string",
            RawValue::Cell(_) => "a cell",
            RawValue::Other(k) => k,
            RawValue::List(_) => "an array",
            RawValue::Decimal { .. } => "a number",
            RawValue::Date(_) => "a cell",
        }
    }
}

/// What is wrong with an applicant. Each variant names the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum ApplicantError {
    #[error("the applicant is not valid {format}: {message}")]
    #[diagnostic(code(jifen::applicant::syntax), help("check the file's syntax near the position given"))]
    Syntax { format: &'static str, message: String },

    #[error("{message}")]
    #[diagnostic(code(jifen::applicant::unreadable), help("fix the row, or pass --skip-invalid to skip it"))]
    Unreadable { message: String },

    #[error("the applicant must be an object of facts (key: value), found {found}")]
    #[diagnostic(
        code(jifen::applicant::not_object),
        help("write the applicant as {{\"age\": 30, \"si_months\": 36, …}}")
    )]
    NotAnObject { found: String },

    #[error("unknown key `{key}`")]
    #[diagnostic(code(jifen::applicant::unknown_key), help("{help}"))]
    UnknownKey { key: String, help: String },

    #[error("key `{key}` is given twice")]
    #[diagnostic(code(jifen::applicant::duplicate_key), help("give each fact once"))]
    DuplicateKey { key: String },

    #[error("missing key `{key}`, which every applicant must give")]
    #[diagnostic(code(jifen::applicant::missing_key), help("add `{key}` ({expected})"))]
    MissingKey { key: String, expected: String },

    #[error("key `{key}` must be {expected}, found {found}")]
    #[diagnostic(code(jifen::applicant::wrong_type), help("give `{key}` as {expected}"))]
    WrongType { key: String, expected: String, found: String },

    #[error("key `{key}`: {value} is outside the allowed range {range}")]
    #[diagnostic(code(jifen::applicant::out_of_range), help("give `{key}` a value in {range}"))]
    OutOfRange { key: String, value: String, range: String },

    #[error("key `{key}`: {value} has more digits than can be held exactly")]
    #[diagnostic(
        code(jifen::applicant::inexact),
        help("round `{key}` to at most 28 significant digits, at most 28 of them after the decimal point")
    )]
    Inexact { key: String, value: String },

    #[error("key `{key}`: `{value}` is not one of the allowed values")]
    #[diagnostic(code(jifen::applicant::unknown_variant), help("allowed: {allowed}"))]
    UnknownVariant { key: String, value: String, allowed: String },

    #[error("key `{key}` has more than {max} rows")]
    #[diagnostic(code(jifen::applicant::too_many_rows), help("give `{key}` at most {max} rows"))]
    TooManyRows { key: String, max: u32 },

    /// A value its file's reader cannot make a fact of (a Parquet float that is not exactly
    /// a decimal, bytes that are not UTF-8): the message says why.
    #[error("key `{key}`: {message}")]
    #[diagnostic(
        code(jifen::applicant::unreadable_value),
        help("fix the value, or pass --skip-invalid to skip its row")
    )]
    UnreadableValue { key: String, message: String },
}

impl ApplicantError {
    /// The key the error is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ApplicantError::UnknownKey { key, .. }
            | ApplicantError::DuplicateKey { key }
            | ApplicantError::MissingKey { key, .. }
            | ApplicantError::WrongType { key, .. }
            | ApplicantError::OutOfRange { key, .. }
            | ApplicantError::Inexact { key, .. }
            | ApplicantError::UnknownVariant { key, .. }
            | ApplicantError::TooManyRows { key, .. }
            | ApplicantError::UnreadableValue { key, .. } => Some(key),
            _ => None,
        }
    }

    /// The same error about another key (a field of a row: `periods[2].base`).
    fn at_key(mut self, place: impl FnOnce() -> String) -> ApplicantError {
        match &mut self {
            ApplicantError::UnknownKey { key, .. }
            | ApplicantError::DuplicateKey { key }
            | ApplicantError::MissingKey { key, .. }
            | ApplicantError::WrongType { key, .. }
            | ApplicantError::OutOfRange { key, .. }
            | ApplicantError::Inexact { key, .. }
            | ApplicantError::UnknownVariant { key, .. }
            | ApplicantError::TooManyRows { key, .. }
            | ApplicantError::UnreadableValue { key, .. } => *key = place(),
            _ => {}
        }
        self
    }
}

/// A key of a JSON object, borrowed from the text unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The top-level JSON object as ordered entries (so duplicate keys can be seen), each
/// value kept as its raw text: numbers are read from what was written, exactly.
struct Entries<'a>(Vec<(Cow<'a, str>, &'a serde_json::value::RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of facts")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut out = Vec::with_capacity(32);
                while let Some((k, v)) = map.next_entry::<Key<'de>, &'de serde_json::value::RawValue>()? {
                    out.push((k.0, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The facts of a JSON object, in order, duplicates kept (so they can be reported).
pub fn json_entries(text: &str) -> Result<Vec<(Cow<'_, str>, RawValue<'_>)>, ApplicantError> {
    // Editors on Windows may save a byte-order mark; it is not part of the JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        let found = match serde_json::from_str::<&serde_json::value::RawValue>(text) {
            Ok(v) => json_raw(v).kind().to_string(),
            Err(e) => return Err(ApplicantError::Syntax { format: "JSON", message: e.to_string() }),
        };
        return Err(ApplicantError::NotAnObject { found });
    }
    let entries: Entries<'_> =
        serde_json::from_str(text).map_err(|e| ApplicantError::Syntax { format: "JSON", message: e.to_string() })?;
    Ok(entries.0.into_iter().map(|(k, v)| (k, json_raw(v))).collect())
}

fn json_raw(v: &serde_json::value::RawValue) -> RawValue<'_> {
    let text = v.get();
    match text.as_bytes().first() {
        Some(b'n') => RawValue::Null,
        Some(b't') => RawValue::Bool(true),
        Some(b'f') => RawValue::Bool(false),
        Some(b'"') => match serde_json::from_str::<Key<'_>>(text) {
            Ok(k) => RawValue::Text(k.0),
            Err(_) => RawValue::Other("a string"),
        },
        Some(b'[') => RawValue::List(Cow::Borrowed(text)),
        Some(b'{') => RawValue::Other("an object"),
        _ => RawValue::Number(Cow::Borrowed(text)),
    }
}

impl RuleSet {
    /// Read an applicant from a JSON object.
    pub fn applicant_from_json(&self, text: &str) -> Result<Applicant, ApplicantError> {
        self.applicant_from_fields(json_entries(text)?)
    }

    /// Read an applicant from a TOML table. Numbers are taken from their text, so
    /// `12400.50` stays exact.
    pub fn applicant_from_toml(&self, text: &str) -> Result<Applicant, ApplicantError> {
        let doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| ApplicantError::Syntax {
            format: "TOML",
            message: shorten_lines(e.to_string().trim()),
        })?;
        let mut fields = Vec::new();
        for (key, item) in doc.as_table().iter() {
            let raw = match item.as_value() {
                Some(toml_edit::Value::Boolean(b)) => RawValue::Bool(*b.value()),
                Some(toml_edit::Value::Integer(i)) => RawValue::Number(i.value().to_string().into()),
                // TOML's `_` between digits is its own syntax; the number is read from its
                // text, never from the binary float toml_edit also gives.
                Some(toml_edit::Value::Float(f)) => match f.as_repr().and_then(|r| r.as_raw().as_str()) {
                    Some(text) => RawValue::Number(text.replace('_', "").into()),
                    None => RawValue::Other("a number without its text"),
                },
                Some(toml_edit::Value::String(s)) => RawValue::Text(s.value().clone().into()),
                Some(toml_edit::Value::Array(a)) => match toml_rows_json(a.iter().map(|v| v.as_inline_table())) {
                    Some(json) => RawValue::List(json.into()),
                    None => RawValue::Other("an array"),
                },
                Some(toml_edit::Value::InlineTable(_)) => RawValue::Other("a table"),
                // A plain TOML date (`birth = 1990-07-01`) is read as its text; with a time
                // or an offset it is not a date of the calendar.
                Some(toml_edit::Value::Datetime(d)) => match (d.value().date, d.value().time, d.value().offset) {
                    (Some(date), None, None) => RawValue::Text(date.to_string().into()),
                    _ => RawValue::Other("a date and time"),
                },
                None => match item.as_array_of_tables() {
                    Some(tables) => match toml_rows_json(tables.iter().map(Some)) {
                        Some(json) => RawValue::List(json.into()),
                        None => RawValue::Other("an array"),
                    },
                    None => RawValue::Other("a table"),
                },
            };
            fields.push((Cow::Owned(key.to_string()), raw));
        }
        self.applicant_from_fields(fields)
    }

    /// Read an applicant from key/value facts; absent keys take their defaults.
    pub fn applicant_from_fields<'a, K: AsRef<str>>(
        &self,
        fields: impl IntoIterator<Item = (K, RawValue<'a>)>,
    ) -> Result<Applicant, ApplicantError> {
        let mut applicant = Applicant::default();
        self.fill_applicant(fields, &mut applicant)?;
        Ok(applicant)
    }

    /// [`Self::applicant_from_fields`] into an existing applicant, reusing its storage
    /// (batch work reads millions of rows into one applicant per thread).
    pub(crate) fn fill_applicant<'a, K: AsRef<str>>(
        &self,
        fields: impl IntoIterator<Item = (K, RawValue<'a>)>,
        applicant: &mut Applicant,
    ) -> Result<(), ApplicantError> {
        // UNSET: no key yet; NOT_GIVEN: the key was there with no value (null, empty cell).
        applicant.lists.clear();
        let values = &mut applicant.values;
        values.clear();
        values.resize(self.inputs.len(), UNSET);
        // Keys usually come in the schema's order: look from just after the last one.
        let mut cursor = 0;
        let declares_id = self.input_slot("id").is_some();
        let mut id_seen = false;
        for (key, raw) in fields {
            let key = key.as_ref();
            // `id` names the applicant (as in batch rows) unless the policy declares it: every
            // reader — library, score, batch, diff, serve — accepts and checks it alike.
            if key == "id" && !declares_id {
                if std::mem::replace(&mut id_seen, true) {
                    return Err(ApplicantError::DuplicateKey { key: key.to_string() });
                }
                crate::population::row_id(raw)?;
                continue;
            }
            let n = self.inputs.len();
            let found = (cursor..n).chain(0..cursor).find(|&slot| &*self.inputs[slot].name == key);
            let Some(slot) = found else {
                let names: Vec<&str> = self.inputs.iter().map(|i| &*i.name).collect();
                let help = match crate::check::did_you_mean(key, names.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("the policy's inputs are: {}", names.join(", ")),
                };
                return Err(ApplicantError::UnknownKey { key: key.to_string(), help });
            };
            cursor = slot + 1;
            if values[slot] != UNSET {
                return Err(ApplicantError::DuplicateKey { key: key.to_string() });
            }
            if let InputType::List { record, max } = self.inputs[slot].ty {
                let rows = self.read_rows(&self.inputs[slot], record, max, raw)?;
                values[slot] = Value::Int(rows.len() as i64);
                applicant.lists.push((slot as u16, rows));
                continue;
            }
            values[slot] = self.read_value(&self.inputs[slot], raw)?.unwrap_or(NOT_GIVEN);
        }
        for (def, v) in self.inputs.iter().zip(values.iter_mut()) {
            if *v == UNSET || *v == NOT_GIVEN {
                *v = match def.default {
                    Some(d) => d,
                    None if def.optional => Value::Absent,
                    None => {
                        return Err(ApplicantError::MissingKey {
                            key: def.name.to_string(),
                            expected: self.expected(def),
                        })
                    }
                };
            }
        }
        Ok(())
    }

    /// The rows of a list input: a JSON array of objects, one key per field of the record.
    /// Each problem names its place, `periods[2].base`; more than `max` rows are refused
    /// before any is read.
    fn read_rows(&self, def: &InputDef, record: u16, max: u32, raw: RawValue<'_>) -> Result<Rows, ApplicantError> {
        let wrong = |found: String| ApplicantError::WrongType {
            key: def.name.to_string(),
            expected: self.expected(def),
            found,
        };
        let text = match raw.textual() {
            RawValue::Null => return Ok(Vec::new()),
            // A string holds the rows as JSON text, as a CSV cell does (the calculator page).
            RawValue::List(text) | RawValue::Cell(text) | RawValue::Text(text) => text,
            other => return Err(wrong(other.found())),
        };
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let items = bounded_array(text, max as usize).map_err(|e| match e {
            ArrayProblem::TooLong => ApplicantError::TooManyRows { key: def.name.to_string(), max },
            ArrayProblem::NotAnArray(message) => wrong(format!("text that is not a JSON array of objects ({message})")),
        })?;
        let Some(fields) = self.records.get(record as usize).map(|r| &r.fields) else {
            return Err(wrong("rows of an unknown record".to_string()));
        };
        let mut rows = Vec::with_capacity(items.len());
        for (r, item) in items.into_iter().enumerate() {
            let place = |field: &str| format!("{}[{r}]{field}", def.name);
            let entries = json_entries(item.get()).map_err(|_| ApplicantError::WrongType {
                key: place(""),
                expected: format!("an object of {}", field_list(fields)),
                found: json_raw(item).found(),
            })?;
            let mut row = vec![UNSET; fields.len()];
            for (key, raw) in entries {
                let Some(k) = fields.iter().position(|f| *f.name == *key) else {
                    let names: Vec<&str> = fields.iter().map(|f| &*f.name).collect();
                    let help = match crate::check::did_you_mean(&key, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("a row has: {}", names.join(", ")),
                    };
                    return Err(ApplicantError::UnknownKey { key: place(&format!(".{key}")), help });
                };
                if row[k] != UNSET {
                    return Err(ApplicantError::DuplicateKey { key: place(&format!(".{key}")) });
                }
                let f = &fields[k];
                let value = self.read_value(f, raw).map_err(|e| e.at_key(|| place(&format!(".{}", f.name))))?;
                row[k] = value.unwrap_or(NOT_GIVEN);
            }
            for (f, v) in fields.iter().zip(row.iter_mut()) {
                if *v == UNSET || *v == NOT_GIVEN {
                    *v = match f.default {
                        Some(d) => d,
                        None if f.optional => Value::Absent,
                        None => {
                            return Err(ApplicantError::MissingKey {
                                key: place(&format!(".{}", f.name)),
                                expected: self.expected(f),
                            })
                        }
                    };
                }
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// How an input's values are written, for messages.
    pub(crate) fn expected(&self, def: &InputDef) -> String {
        let base = match def.ty {
            InputType::Int { unit } => {
                format!("a whole number{}", unit.map(|u| format!(" of {}", self.unit_name(u))).unwrap_or_default())
            }
            InputType::Decimal { unit } => {
                format!("a number{}", unit.map(|u| format!(" of {}", self.unit_name(u))).unwrap_or_default())
            }
            InputType::Bool => "true or false".to_string(),
            InputType::List { record, .. } => format!(
                "a list of rows [{{…}}, …], each an object of {}",
                self.records.get(record as usize).map(|r| field_list(&r.fields)).unwrap_or_default()
            ),
            InputType::Enum(e) => format!(
                "one of {}",
                self.enums
                    .get(e as usize)
                    .map(|d| d.variants.iter().map(|v| format!("\"{}\"", v.name)).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            ),
            InputType::Date => "a date written YYYY-MM-DD".to_string(),
        };
        if def.optional {
            format!("{base}, or null when absent")
        } else {
            base
        }
    }

    /// Check one raw fact against its input; `None` means "not given".
    /// One fact written `key=value` on a command line: its slot and value, read as a CSV
    /// cell is (so `age=45`, `education=master`, `si_base_yuan=12434.5`).
    pub fn fact_from_text(&self, text: &str) -> Result<(u16, Value), String> {
        let Some((key, value)) = text.split_once('=') else {
            return Err(format!("`{text}`: write a fact as KEY=VALUE, e.g. age=45"));
        };
        let key = key.trim();
        let slot = self.input_slot(key).ok_or_else(|| format!("unknown input `{key}`"))?;
        let def = &self.inputs[slot];
        let raw = cell_value(value.trim(), def.ty);
        match self.read_value(def, raw) {
            Ok(Some(v)) => Ok((u16::try_from(slot).map_err(|_| "too many inputs".to_string())?, v)),
            Ok(None) => Ok((u16::try_from(slot).map_err(|_| "too many inputs".to_string())?, Value::Absent)),
            Err(e) => Err(e.to_string()),
        }
    }

    fn read_value(&self, def: &InputDef, raw: RawValue<'_>) -> Result<Option<Value>, ApplicantError> {
        // The key is copied only into an error: valid facts cost no allocation.
        let key = || def.name.to_string();
        let wrong = |found: &RawValue| ApplicantError::WrongType {
            key: key(),
            expected: self.expected(def),
            found: found.found(),
        };
        // A typed fact is taken at once when it is a plainly valid value of the input's type;
        // anything else is read from its text, as it would have been written.
        let raw = match raw {
            RawValue::Decimal { unscaled, scale } => match exact_value(unscaled, scale, def.ty) {
                Some(value) => return self.in_range(def, value),
                None => raw.textual(),
            },
            RawValue::Date(days) if def.ty == InputType::Date && crate::date::is_readable(days) => {
                return Ok(Some(Value::Date(days)))
            }
            other => other.textual(),
        };
        let raw = match raw {
            RawValue::Cell(text) => cell_value(text.trim(), def.ty).into_owned(),
            other => other,
        };
        let value = match (&raw, def.ty) {
            (RawValue::Null, _) => return Ok(None),
            (RawValue::Bool(b), InputType::Bool) => Value::Bool(*b),
            // Plain digits (the usual case) need no decimal parsing.
            (RawValue::Number(n), InputType::Int { .. }) if plain_int(n).is_some() => {
                Value::Int(plain_int(n).unwrap_or_default())
            }
            // A whole number is never given as a string.
            (RawValue::Text(_), InputType::Int { .. }) => return Err(wrong(&raw)),
            (RawValue::Number(n) | RawValue::Text(n), InputType::Int { .. } | InputType::Decimal { .. }) => {
                let whole = matches!(def.ty, InputType::Int { .. });
                let shown = || n.trim().chars().take(40).collect::<String>();
                let out_of_range = |why: &str| ApplicantError::OutOfRange {
                    key: key(),
                    value: format!("{} ({why})", shown()),
                    range: range_text(def),
                };
                let d = match exact_decimal(n) {
                    Ok(d) => d,
                    Err(NumberProblem::TooLarge) => return Err(out_of_range("too large")),
                    // Not zero, so not whole: for an int, only the type is wrong.
                    Err(NumberProblem::TooSmall | NumberProblem::TooPrecise | NumberProblem::NotANumber) if whole => {
                        return Err(wrong(&raw))
                    }
                    Err(NumberProblem::TooSmall) => return Err(out_of_range("too small to hold")),
                    Err(NumberProblem::TooPrecise) => {
                        return Err(ApplicantError::Inexact { key: key(), value: shown() })
                    }
                    Err(NumberProblem::NotANumber) => return Err(wrong(&raw)),
                };
                if !whole {
                    Value::Dec(d)
                } else if !d.fract().is_zero() {
                    return Err(wrong(&raw));
                } else {
                    Value::Int(i64::try_from(d).map_err(|_| out_of_range("too large"))?)
                }
            }
            (RawValue::Text(s), InputType::Enum(e)) => {
                let Some(en) = self.enums.get(e as usize) else {
                    return Err(wrong(&raw));
                };
                match en.variants.iter().position(|v| *v.name == **s) {
                    Some(i) => Value::Enum(i as u16),
                    None => {
                        return Err(ApplicantError::UnknownVariant {
                            key: key(),
                            value: s.chars().take(40).collect(),
                            allowed: en.variants.iter().map(|v| v.name.to_string()).collect::<Vec<_>>().join(", "),
                        })
                    }
                }
            }
            (RawValue::Text(s), InputType::Date) => match crate::date::parse(s.trim()) {
                Ok(days) => Value::Date(days),
                Err(_) => return Err(wrong(&raw)),
            },
            _ => return Err(wrong(&raw)),
        };
        self.in_range(def, value)
    }

    /// A value read for an input, if it is within the input's `min` and `max`.
    fn in_range(&self, def: &InputDef, value: Value) -> Result<Option<Value>, ApplicantError> {
        let n = match value {
            Value::Int(i) => Some(Decimal::from(i)),
            Value::Dec(d) => Some(d),
            _ => None,
        };
        if let Some(n) = n {
            if def.min.is_some_and(|m| n < m) || def.max.is_some_and(|m| n > m) {
                return Err(ApplicantError::OutOfRange {
                    key: def.name.to_string(),
                    value: n.normalize().to_string(),
                    range: range_text(def),
                });
            }
        }
        Ok(Some(value))
    }
}

/// The value `unscaled × 10^-scale` is for an input of type `ty`, when reading its text
/// (`decimal_text`) would give that value without an error: a whole number that fits an
/// `i64` for an int, a decimal of at most 28 places and 96 bits for a decimal (its trailing
/// zeros dropped, as [`exact_decimal`] drops them). `None` otherwise: the text is then read,
/// with its messages. The input's range is not checked here.
fn exact_value(unscaled: i128, scale: u32, ty: InputType) -> Option<Value> {
    let (mut digits, mut scale) = (unscaled, scale);
    // The usual value fits an i64, whose division is many times cheaper than an i128's.
    if let Ok(mut small) = i64::try_from(digits) {
        while scale > 0 && small % 10 == 0 {
            small /= 10;
            scale -= 1;
        }
        digits = i128::from(small);
    } else {
        while scale > 0 && digits % 10 == 0 {
            digits /= 10;
            scale -= 1;
        }
    }
    match ty {
        InputType::Int { .. } if scale == 0 => i64::try_from(digits).ok().map(Value::Int),
        InputType::Decimal { .. } if scale <= 28 && digits.unsigned_abs() <= MAX_SIGNIFICAND => {
            Decimal::try_from_i128_with_scale(digits, scale).ok().map(Value::Dec)
        }
        _ => None,
    }
}

/// `unscaled × 10^-scale` written out exactly: `1234` at scale 2 is `12.34`, `-5` at
/// scale 3 is `-0.005`, `1200` at scale 2 is `12.00` (the places kept, as a DECIMAL has them).
pub(crate) fn decimal_text(unscaled: i128, scale: u32) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

/// A rule set's inputs prepared for reading many applicants: a fast path for plainly
/// valid facts. It declines (`false`) anything it would not read exactly as
/// [`RuleSet::fill_applicant`] does — errors, text for numbers, unusual bounds — and the
/// caller then takes that path, with its messages.
#[derive(Debug)]
pub struct FastInputs<'r> {
    rules: &'r RuleSet,
    /// Each input's value when not given (`Absent` for optional ones).
    defaults: Vec<Value>,
    /// The inputs an applicant must give, one bit per slot.
    required: u64,
    /// Int and decimal inputs' bounds as whole numbers (`None`: another type, or bounds
    /// too large).
    whole_bounds: Vec<Option<WholeBounds>>,
}

impl<'r> FastInputs<'r> {
    /// `None` for a rule set of more than 64 inputs (their bits would not fit).
    pub(crate) fn new(rules: &'r RuleSet) -> Option<FastInputs<'r>> {
        if rules.inputs.len() > 64 {
            return None;
        }
        let required = rules.inputs.iter().enumerate().filter(|(_, d)| d.required()).fold(0, |m, (k, _)| m | 1 << k);
        Some(FastInputs {
            rules,
            defaults: rules.inputs.iter().map(|d| d.default.unwrap_or(Value::Absent)).collect(),
            required,
            whole_bounds: rules.inputs.iter().map(whole_bounds).collect(),
        })
    }

    /// Read facts into `applicant`; `false` (the applicant then undefined) when declined.
    pub(crate) fn fill<'a>(
        &self,
        fields: impl IntoIterator<Item = (&'a str, RawValue<'a>)>,
        applicant: &mut Applicant,
    ) -> bool {
        let inputs = &self.rules.inputs;
        applicant.lists.clear();
        let values = &mut applicant.values;
        values.clear();
        values.extend_from_slice(&self.defaults);
        let (mut seen, mut given) = (0u64, 0u64);
        let mut cursor = 0;
        for (key, raw) in fields {
            let Some(slot) = (cursor..inputs.len()).chain(0..cursor).find(|&slot| &*inputs[slot].name == key) else {
                return false;
            };
            let bit = 1u64 << slot;
            if seen & bit != 0 {
                return false;
            }
            seen |= bit;
            cursor = slot + 1;
            match self.value(slot, raw) {
                Some(Some(v)) => {
                    values[slot] = v;
                    given |= bit;
                }
                // Null: the default stands.
                Some(None) => {}
                None => return false,
            }
        }
        self.required & !given == 0
    }

    /// The slot of the input a key names, if the fast path reads it.
    pub(crate) fn slot(&self, key: &str) -> Option<usize> {
        self.rules.inputs.iter().position(|i| &*i.name == key)
    }

    /// Each input's value when not given.
    pub(crate) fn defaults(&self) -> &[Value] {
        &self.defaults
    }

    /// The inputs an applicant must give, one bit per slot.
    pub(crate) fn required(&self) -> u64 {
        self.required
    }

    /// An int or decimal input's bounds as whole numbers (`None` for another input, or one
    /// whose bounds do not fit an `i64`).
    #[inline]
    fn whole_bounds(&self, slot: usize) -> Option<WholeBounds> {
        *self.whole_bounds.get(slot)?
    }

    /// An int input's bounds as whole numbers.
    #[inline(always)]
    fn int_bounds(&self, slot: usize) -> Option<(i64, i64)> {
        self.whole_bounds(slot).filter(|b| !b.decimal).map(|b| (b.lo, b.hi))
    }

    /// A fact's value (`Some(None)`: null), or `None` to decline.
    #[inline(always)]
    pub(crate) fn value(&self, slot: usize, raw: RawValue<'_>) -> Option<Option<Value>> {
        let def = self.rules.inputs.get(slot)?;
        let value = match (raw, def.ty) {
            (RawValue::Null, _) => return Some(None),
            (RawValue::Bool(b), InputType::Bool) => Value::Bool(b),
            (RawValue::Number(n), InputType::Int { .. }) => {
                let i = plain_int(&n)?;
                let (lo, hi) = self.int_bounds(slot)?;
                (lo..=hi).contains(&i).then_some(Value::Int(i))?
            }
            // A typed whole number, for an int or a decimal: what its text `-?digits` reads as.
            (RawValue::Decimal { unscaled, scale: 0 }, InputType::Int { .. } | InputType::Decimal { .. })
                if self.whole_bounds(slot).is_some() =>
            {
                self.whole_bounds(slot)?.value(i64::try_from(unscaled).ok()?)?
            }
            (raw @ (RawValue::Number(_) | RawValue::Decimal { .. }), InputType::Decimal { .. }) => {
                self.rules.read_value(def, raw).ok()??
            }
            (RawValue::Date(days), InputType::Date) => crate::date::is_readable(days).then_some(Value::Date(days))?,
            // A cell naming a variant exactly, with nothing to trim.
            (RawValue::Cell(s), InputType::Enum(e)) if s.trim().len() == s.len() => {
                let variants = &self.rules.enums.get(e as usize)?.variants;
                Value::Enum(variants.iter().position(|v| *v.name == *s)? as u16)
            }
            (RawValue::Text(s), InputType::Enum(e)) => {
                let variants = &self.rules.enums.get(e as usize)?.variants;
                Value::Enum(variants.iter().position(|v| *v.name == *s)? as u16)
            }
            (RawValue::Text(s) | RawValue::Cell(s), InputType::Date) => Value::Date(crate::date::parse(s.trim()).ok()?),
            _ => return None,
        };
        Some(Some(value))
    }
}

/// The whole numbers an int or decimal input takes, and which of the two it is.
#[derive(Debug, Clone, Copy)]
struct WholeBounds {
    lo: i64,
    hi: i64,
    decimal: bool,
}

impl WholeBounds {
    /// The input's value for the whole number `n`, as reading it would give it (an int, or
    /// a decimal of scale 0), when `n` is within the bounds; `None` otherwise.
    #[inline(always)]
    fn value(self, n: i64) -> Option<Value> {
        if !(self.lo..=self.hi).contains(&n) {
            return None;
        }
        Some(if self.decimal { Value::Dec(Decimal::from(n)) } else { Value::Int(n) })
    }
}

/// An int or decimal input's bounds as whole numbers: an integer is at least `min` exactly
/// when it is at least `ceil(min)`, and at most `max` when at most `floor(max)`.
fn whole_bounds(def: &InputDef) -> Option<WholeBounds> {
    let decimal = match def.ty {
        InputType::Int { .. } => false,
        InputType::Decimal { .. } => true,
        _ => return None,
    };
    let lo = match def.min {
        Some(m) => i64::try_from(m.ceil()).ok()?,
        None => i64::MIN,
    };
    let hi = match def.max {
        Some(m) => i64::try_from(m.floor()).ok()?,
        None => i64::MAX,
    };
    Some(WholeBounds { lo, hi, decimal })
}

/// A message with each line cut to 200 characters: toml_edit quotes the whole line in
/// error, however long it is.
fn shorten_lines(message: &str) -> String {
    let lines: Vec<String> = message
        .lines()
        .map(|line| match line.char_indices().nth(200) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line.to_string(),
        })
        .collect();
    lines.join("\n")
}

/// Marks a key that was given as null (not given, but seen: a second one is a duplicate).
const NOT_GIVEN: Value = Value::Enum(u16::MAX);
/// Marks a slot no key has named yet.
const UNSET: Value = Value::Enum(u16::MAX - 1);

/// What a CSV cell means for an input of type `ty`: empty is "not given".
fn cell_value(text: &str, ty: InputType) -> RawValue<'_> {
    if text.is_empty() {
        return RawValue::Null;
    }
    match ty {
        InputType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => RawValue::Bool(true),
            "false" => RawValue::Bool(false),
            _ => RawValue::Text(text.into()),
        },
        InputType::Int { .. } | InputType::Decimal { .. } if looks_numeric(text) => RawValue::Number(text.into()),
        // A list's rows in a cell are JSON text.
        InputType::List { .. } => RawValue::List(text.into()),
        _ => RawValue::Text(text.into()),
    }
}

/// A whole number written as at most 18 digits (with an optional `-`): it fits an `i64`
/// and means the same as its decimal reading.
fn plain_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Why a number's text does not give an exact decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberProblem {
    /// Not written as a number (`1_2434`, `12,5`, `nan`).
    NotANumber,
    /// 2^96 or more in magnitude.
    TooLarge,
    /// Not zero, but smaller in magnitude than 10^−28.
    TooSmall,
    /// Within range, but with more digits than a decimal holds: rounding it would change it.
    TooPrecise,
}

/// The largest significand a decimal holds: 2^96 − 1.
const MAX_SIGNIFICAND: u128 = (1 << 96) - 1;

/// A number's text as written: `[+-] digits [. digits] [e [+-] digits]`, at least one digit
/// before or after the point. Nothing else: no `_`, no spaces, no `inf` or `nan`.
struct NumberText<'t> {
    negative: bool,
    whole: &'t [u8],
    fraction: &'t [u8],
    /// The exponent, clamped to ±1000000 (far beyond anything a decimal holds).
    exponent: i64,
}

fn number_text(text: &str) -> Option<NumberText<'_>> {
    let b = text.as_bytes();
    let (negative, b) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let w = digits(b);
    let (whole, rest) = b.split_at(w);
    let (fraction, rest) = match rest.split_first() {
        Some((b'.', after)) => after.split_at(digits(after)),
        _ => (&rest[..0], rest),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let exponent = match rest.split_first() {
        None => 0,
        Some((b'e' | b'E', after)) => {
            let (minus, after) = match after.first() {
                Some(b'-') => (true, &after[1..]),
                Some(b'+') => (false, &after[1..]),
                _ => (false, after),
            };
            if after.is_empty() || digits(after) != after.len() {
                return None;
            }
            let e = after.iter().fold(0i64, |e, c| (e * 10 + i64::from(c - b'0')).min(1_000_000));
            if minus {
                -e
            } else {
                e
            }
        }
        Some(_) => return None,
    };
    Some(NumberText { negative, whole, fraction, exponent })
}

/// The exact decimal a number's text means (plain or with an exponent), or why there is
/// none. Never rounds: a value is either held exactly or refused.
pub fn exact_decimal(text: &str) -> Result<Decimal, NumberProblem> {
    let n = number_text(text.trim()).ok_or(NumberProblem::NotANumber)?;
    // The value is `significand × 10^point`, the significand's zeros at either end dropped.
    let all = || n.whole.iter().chain(n.fraction.iter()).copied();
    let leading = all().take_while(|&c| c == b'0').count();
    let total = n.whole.len() + n.fraction.len();
    if leading == total {
        return Ok(Decimal::ZERO);
    }
    let trailing = all().rev().take_while(|&c| c == b'0').count();
    let significand = all().skip(leading).take(total - leading - trailing);
    let count = (total - leading - trailing) as i64;
    let point = n.exponent - n.fraction.len() as i64 + trailing as i64;
    // Digits before the point: the value is below 10^before.
    let before = count + point;
    if before > 29 {
        return Err(NumberProblem::TooLarge);
    }
    let scale = (-point).max(0);
    if count <= 29 && scale <= 28 {
        // At most 29 digits, times 10^point when that is ≥ 0 (then `before` ≤ 29): fits a u128.
        let mut value = significand.fold(0u128, |v, c| v * 10 + u128::from(c - b'0'));
        for _ in 0..point.max(0) {
            value *= 10;
        }
        if value > MAX_SIGNIFICAND {
            // A whole number beyond 2^96 − 1 is too large; one with a fraction is then
            // below 10^28 (`before` < 29) and only has too many digits.
            return Err(if point >= 0 { NumberProblem::TooLarge } else { NumberProblem::TooPrecise });
        }
        let signed = if n.negative { -(value as i128) } else { value as i128 };
        return Decimal::try_from_i128_with_scale(signed, scale as u32).map_err(|_| NumberProblem::TooLarge);
    }
    if before == 29 {
        // 29 whole digits and a fraction: too large unless the whole part is below 2^96 − 1.
        let whole = all().skip(leading).take(29).fold(0u128, |v, c| v * 10 + u128::from(c - b'0'));
        if whole >= MAX_SIGNIFICAND {
            return Err(NumberProblem::TooLarge);
        }
    }
    // The smallest decimal above zero is 10^−28; below it nothing but zero is held.
    Err(if before <= -28 { NumberProblem::TooSmall } else { NumberProblem::TooPrecise })
}

/// Whether a CSV cell is written as a number (`-12`, `3.5`, `1e400`), whether or not it
/// fits: one that does not is then reported as out of range, not as text.
fn looks_numeric(text: &str) -> bool {
    number_text(text.trim()).is_some()
}

fn range_text(def: &InputDef) -> String {
    match (def.min, def.max) {
        (Some(lo), Some(hi)) => format!("{lo}..={hi}"),
        (Some(lo), None) => format!("{lo}.. ({lo} or more)"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "any".to_string(),
    }
}

/// "`months`, `base`": a record's fields, for messages.
fn field_list(fields: &[InputDef]) -> String {
    fields.iter().map(|f| format!("`{}`", f.name)).collect::<Vec<_>>().join(", ")
}

enum ArrayProblem {
    TooLong,
    NotAnArray(String),
}

/// The elements of a JSON array, as written, refused as soon as there are more than `max`
/// (so that a long array costs no more than `max` elements).
fn bounded_array(text: &str, max: usize) -> Result<Vec<&serde_json::value::RawValue>, ArrayProblem> {
    use serde::de::{DeserializeSeed, SeqAccess};
    struct Bounded(usize);
    impl<'de> DeserializeSeed<'de> for Bounded {
        type Value = Vec<&'de serde_json::value::RawValue>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Bounded {
        type Value = Vec<&'de serde_json::value::RawValue>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de serde_json::value::RawValue>()? {
                if items.len() == self.0 {
                    // Too many: stop reading here (serde_json then stops too).
                    return Err(serde::de::Error::custom(TOO_MANY_ROWS));
                }
                items.push(item);
            }
            Ok(items)
        }
    }
    const TOO_MANY_ROWS: &str = "jifen: too many rows";
    let mut de = serde_json::Deserializer::from_str(text);
    match Bounded(max).deserialize(&mut de) {
        Ok(items) => match de.end() {
            Ok(()) => Ok(items),
            Err(e) => Err(ArrayProblem::NotAnArray(e.to_string())),
        },
        Err(e) if e.to_string().starts_with(TOO_MANY_ROWS) => Err(ArrayProblem::TooLong),
        Err(e) => Err(ArrayProblem::NotAnArray(e.to_string())),
    }
}

/// TOML rows (an array of tables, or of inline tables) as the JSON text of an array of
/// objects, numbers kept as written; `None` if an element is not a table of plain values.
fn toml_rows_json<'t, T>(rows: impl Iterator<Item = Option<&'t T>>) -> Option<String>
where
    T: TomlTable + 't,
{
    let mut out = String::from("[");
    for (i, row) in rows.enumerate() {
        let row = row?;
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        for (k, (key, value)) in row.entries()?.into_iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(&key).ok()?);
            out.push(':');
            let text = match value {
                toml_edit::Value::Boolean(b) => b.value().to_string(),
                toml_edit::Value::Integer(i) => i.value().to_string(),
                toml_edit::Value::Float(f) => f.as_repr()?.as_raw().as_str()?.replace('_', ""),
                toml_edit::Value::String(s) => serde_json::to_string(s.value()).ok()?,
                _ => return None,
            };
            out.push_str(&text);
        }
        out.push('}');
    }
    out.push(']');
    Some(out)
}

/// The key/value pairs of a TOML table or inline table.
trait TomlTable {
    /// `None` when a value is itself a table.
    fn entries(&self) -> Option<Vec<(String, &toml_edit::Value)>>;
}

impl TomlTable for toml_edit::InlineTable {
    fn entries(&self) -> Option<Vec<(String, &toml_edit::Value)>> {
        Some(self.iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

impl TomlTable for toml_edit::Table {
    fn entries(&self) -> Option<Vec<(String, &toml_edit::Value)>> {
        self.iter().map(|(k, v)| Some((k.to_string(), v.as_value()?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A whole number for an int or decimal input is read on the fast path exactly as the
    /// applicant reader reads it, and declined (left to the reader and its message) where
    /// the reader would refuse it: bounds that are not whole are rounded inward.
    #[test]
    fn whole_numbers_read_fast_as_the_reader_reads_them() {
        let rules = crate::compile(
            "t.policy",
            "policy t \"t\" {\n    year 2025\n    effective 2025-07-01\n    standard 10\n}\n\n\
             input {\n    wage: yuan 0.5..=10.5 \"工资\"\n    n: int -3..=3 \"次数\"\n    ok: bool = false \"是\"\n}\n\n\
             section s \"分\" {\n    item a \"项\" {\n        when ok => 1\n        else => 0\n    }\n}\n",
        )
        .unwrap_or_else(|d| panic!("{d:?}"));
        let fast = FastInputs::new(&rules).unwrap();
        let slot = |key: &str| fast.slot(key).unwrap();
        let read = |key: &str, n: i64| {
            let def = &rules.inputs[slot(key)];
            rules.read_value(def, RawValue::Decimal { unscaled: i128::from(n), scale: 0 }).ok().flatten()
        };
        for (key, n) in [("wage", 0), ("wage", 1), ("wage", 10), ("wage", 11), ("n", -4), ("n", -3), ("n", 3), ("n", 4)]
        {
            let fast = fast.whole_bounds(slot(key)).and_then(|b| b.value(n));
            assert_eq!(fast, read(key, n), "{key} = {n}");
        }
        assert_eq!(fast.whole_bounds(slot("wage")).and_then(|b| b.value(7)), Some(Value::Dec(Decimal::from(7))));
        assert!(fast.whole_bounds(slot("ok")).is_none(), "a bool takes no whole number");
    }
}
