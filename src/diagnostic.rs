//! One model for every problem the compiler finds, and its renderers.
//!
//! Stages build [`Diagnostic`]s and collect them; nothing is printed from inside a
//! stage. The CLI picks a view: human (miette), JSON, or CI annotations.

pub(crate) mod suggest;

use std::fmt;

use serde::Serialize;

use crate::source::{SourceFile, SourceMap, Span};

/// A diagnostic's stable code. Each is listed once in `REGISTRY` and documented, with a
/// failing example and the fix, under its heading in `docs/errors.md` (a test holds the two
/// together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    E0101,
    E0102,
    E0103,
    E0104,
    E0105,
    E0201,
    E0202,
    E0203,
    E0204,
    E0205,
    E0206,
    E0207,
    E0208,
    E0301,
    E0302,
    E0303,
    E0304,
    E0305,
    E0306,
    E0401,
    E0402,
    E0403,
    E0404,
    E0405,
    E0406,
    E0407,
    E0408,
    E0501,
    E0502,
    E0503,
    E0504,
    E0601,
    E0602,
    E0603,
    E0604,
    E0605,
    E0606,
    E0607,
    W0101,
    W0102,
    W0103,
    W0104,
    W0105,
    W0106,
    W0107,
    W0108,
    E0110,
    E0801,
    E0802,
    E0803,
    E0804,
    W0109,
    W0110,
    W0111,
    W0112,
    W0113,
    E0701,
    E0702,
    E0703,
}

/// What the project says of a code: its heading in `docs/errors.md`, and whether
/// `allow CODE "reason"` on an item may silence it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: Code,
    pub title: &'static str,
    pub allowable: bool,
}

/// Every code, in order.
pub(crate) const REGISTRY: &[CodeInfo] = &[
    CodeInfo { code: Code::E0101, title: "syntax error", allowable: false },
    CodeInfo { code: Code::E0102, title: "unterminated string", allowable: false },
    CodeInfo { code: Code::E0103, title: "number too large, or a `per` amount of zero", allowable: false },
    CodeInfo { code: Code::E0104, title: "not a calendar date", allowable: false },
    CodeInfo { code: Code::E0105, title: "header field twice or missing", allowable: false },
    CodeInfo { code: Code::E0201, title: "unknown name", allowable: false },
    CodeInfo { code: Code::E0202, title: "defined twice", allowable: false },
    CodeInfo { code: Code::E0203, title: "unknown type", allowable: false },
    CodeInfo { code: Code::E0204, title: "unknown variant", allowable: false },
    CodeInfo { code: Code::E0205, title: "unknown item", allowable: false },
    CodeInfo { code: Code::E0206, title: "unknown function", allowable: false },
    CodeInfo { code: Code::E0207, title: "bad exclusive group", allowable: false },
    CodeInfo { code: Code::E0208, title: "unknown unit", allowable: false },
    CodeInfo { code: Code::E0301, title: "type mismatch", allowable: false },
    CodeInfo { code: Code::E0302, title: "unit mismatch", allowable: false },
    CodeInfo { code: Code::E0303, title: "optional value used unchecked", allowable: false },
    CodeInfo { code: Code::E0304, title: "points must be whole", allowable: false },
    CodeInfo { code: Code::E0305, title: "wrong number of arguments", allowable: false },
    CodeInfo { code: Code::E0306, title: "bad input declaration", allowable: false },
    CodeInfo { code: Code::E0401, title: "`match` does not cover every case", allowable: false },
    CodeInfo { code: Code::E0402, title: "cycle", allowable: false },
    CodeInfo { code: Code::E0403, title: "negative points outside a deduction section", allowable: false },
    CodeInfo { code: Code::E0404, title: "positive points inside a deduction section", allowable: false },
    CodeInfo { code: Code::E0405, title: "pattern has the wrong number of positions", allowable: false },
    CodeInfo { code: Code::E0406, title: "`match` too large", allowable: false },
    CodeInfo { code: Code::E0407, title: "nested too deep", allowable: false },
    CodeInfo { code: Code::E0408, title: "too many declarations", allowable: false },
    CodeInfo { code: Code::E0501, title: "test sets an unknown fact", allowable: false },
    CodeInfo { code: Code::E0502, title: "bad test value", allowable: false },
    CodeInfo { code: Code::E0503, title: "test misses a required fact", allowable: false },
    CodeInfo { code: Code::E0504, title: "unknown expectation", allowable: false },
    CodeInfo { code: Code::E0601, title: "extended policy not found", allowable: false },
    CodeInfo { code: Code::E0602, title: "`extends` cycle", allowable: false },
    CodeInfo { code: Code::E0603, title: "nothing to override or remove", allowable: false },
    CodeInfo { code: Code::E0604, title: "`override`/`remove` without `extends`", allowable: false },
    CodeInfo { code: Code::E0605, title: "`override input` changes the type", allowable: false },
    CodeInfo { code: Code::E0606, title: "removed input still read", allowable: false },
    CodeInfo { code: Code::E0607, title: "year or effective date not after the parent's", allowable: false },
    CodeInfo { code: Code::W0101, title: "unreachable `match` arm", allowable: true },
    CodeInfo { code: Code::W0102, title: "`when` arm can never fire", allowable: true },
    CodeInfo { code: Code::W0103, title: "cap never binds", allowable: true },
    CodeInfo { code: Code::W0104, title: "item never scores", allowable: true },
    CodeInfo { code: Code::W0105, title: "standard unreachable", allowable: false },
    CodeInfo { code: Code::W0106, title: "never read", allowable: false },
    CodeInfo { code: Code::W0107, title: "a child policy that changes nothing", allowable: false },
    CodeInfo { code: Code::W0108, title: "a test's name states another total", allowable: false },
    CodeInfo { code: Code::E0110, title: "bad points precision, rounding or number of points", allowable: false },
    CodeInfo { code: Code::E0801, title: "unknown record", allowable: false },
    CodeInfo { code: Code::E0802, title: "unknown field of a record", allowable: false },
    CodeInfo { code: Code::E0803, title: "list used as a value", allowable: false },
    CodeInfo { code: Code::E0804, title: "bad aggregate over a list", allowable: false },
    CodeInfo { code: Code::W0109, title: "`when` arm shadowed by earlier arms", allowable: true },
    CodeInfo { code: Code::W0110, title: "dead arm inside an expression", allowable: true },
    CodeInfo { code: Code::W0111, title: "section cap never binds", allowable: false },
    CodeInfo { code: Code::W0112, title: "precondition always or never true", allowable: true },
    CodeInfo { code: Code::W0113, title: "requirement or veto always or never true", allowable: false },
    CodeInfo { code: Code::E0701, title: "a ranking declared twice", allowable: false },
    CodeInfo { code: Code::E0702, title: "a tie-break named twice", allowable: false },
    CodeInfo { code: Code::E0703, title: "a quota below 1", allowable: false },
];

impl Code {
    /// The code as written in diagnostics and docs: `E0101`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::E0101 => "E0101",
            Code::E0102 => "E0102",
            Code::E0103 => "E0103",
            Code::E0104 => "E0104",
            Code::E0105 => "E0105",
            Code::E0201 => "E0201",
            Code::E0202 => "E0202",
            Code::E0203 => "E0203",
            Code::E0204 => "E0204",
            Code::E0205 => "E0205",
            Code::E0206 => "E0206",
            Code::E0207 => "E0207",
            Code::E0208 => "E0208",
            Code::E0301 => "E0301",
            Code::E0302 => "E0302",
            Code::E0303 => "E0303",
            Code::E0304 => "E0304",
            Code::E0305 => "E0305",
            Code::E0306 => "E0306",
            Code::E0401 => "E0401",
            Code::E0402 => "E0402",
            Code::E0403 => "E0403",
            Code::E0404 => "E0404",
            Code::E0405 => "E0405",
            Code::E0406 => "E0406",
            Code::E0407 => "E0407",
            Code::E0408 => "E0408",
            Code::E0501 => "E0501",
            Code::E0502 => "E0502",
            Code::E0503 => "E0503",
            Code::E0504 => "E0504",
            Code::E0601 => "E0601",
            Code::E0602 => "E0602",
            Code::E0603 => "E0603",
            Code::E0604 => "E0604",
            Code::E0605 => "E0605",
            Code::E0606 => "E0606",
            Code::E0607 => "E0607",
            Code::W0101 => "W0101",
            Code::W0102 => "W0102",
            Code::W0103 => "W0103",
            Code::W0104 => "W0104",
            Code::W0105 => "W0105",
            Code::W0106 => "W0106",
            Code::W0107 => "W0107",
            Code::W0108 => "W0108",
            Code::E0110 => "E0110",
            Code::E0801 => "E0801",
            Code::E0802 => "E0802",
            Code::E0803 => "E0803",
            Code::E0804 => "E0804",
            Code::W0109 => "W0109",
            Code::W0110 => "W0110",
            Code::W0111 => "W0111",
            Code::W0112 => "W0112",
            Code::W0113 => "W0113",
            Code::E0701 => "E0701",
            Code::E0702 => "E0702",
            Code::E0703 => "E0703",
        }
    }

    /// Errors are `E…`, warnings `W…`.
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    pub fn info(self) -> Option<&'static CodeInfo> {
        REGISTRY.iter().find(|i| i.code == self)
    }

    /// The code written `text`, if there is one.
    pub fn parse(text: &str) -> Option<Code> {
        REGISTRY.iter().map(|i| i.code).find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The codes by what they mean, for the code that reports them.
pub(crate) mod codes {
    use super::Code;

    pub(crate) const SYNTAX: Code = Code::E0101;
    pub(crate) const UNTERMINATED_STRING: Code = Code::E0102;
    pub(crate) const BAD_NUMBER: Code = Code::E0103;
    pub(crate) const BAD_DATE: Code = Code::E0104;
    pub(crate) const HEADER_FIELD: Code = Code::E0105;
    pub(crate) const UNKNOWN_NAME: Code = Code::E0201;
    pub(crate) const DUPLICATE: Code = Code::E0202;
    pub(crate) const UNKNOWN_TYPE: Code = Code::E0203;
    pub(crate) const UNKNOWN_VARIANT: Code = Code::E0204;
    pub(crate) const UNKNOWN_ITEM: Code = Code::E0205;
    pub(crate) const UNKNOWN_FUNCTION: Code = Code::E0206;
    pub(crate) const BAD_GROUP: Code = Code::E0207;
    pub(crate) const UNKNOWN_UNIT: Code = Code::E0208;
    pub(crate) const TYPE_MISMATCH: Code = Code::E0301;
    pub(crate) const UNIT_MISMATCH: Code = Code::E0302;
    pub(crate) const OPTIONAL_UNCHECKED: Code = Code::E0303;
    pub(crate) const NOT_WHOLE_POINTS: Code = Code::E0304;
    pub(crate) const ARGUMENT_COUNT: Code = Code::E0305;
    pub(crate) const BAD_INPUT_DECL: Code = Code::E0306;
    pub(crate) const NON_EXHAUSTIVE: Code = Code::E0401;
    pub(crate) const CYCLE: Code = Code::E0402;
    pub(crate) const NEGATIVE_POINTS: Code = Code::E0403;
    pub(crate) const POSITIVE_DEDUCTION: Code = Code::E0404;
    pub(crate) const PATTERN_SHAPE: Code = Code::E0405;
    pub(crate) const MATCH_TOO_LARGE: Code = Code::E0406;
    pub(crate) const TOO_DEEP: Code = Code::E0407;
    pub(crate) const TOO_MANY: Code = Code::E0408;
    pub(crate) const TEST_UNKNOWN_FACT: Code = Code::E0501;
    pub(crate) const TEST_BAD_VALUE: Code = Code::E0502;
    pub(crate) const TEST_MISSING_FACT: Code = Code::E0503;
    pub(crate) const TEST_UNKNOWN_TARGET: Code = Code::E0504;
    pub(crate) const EXTENDS_NOT_FOUND: Code = Code::E0601;
    pub(crate) const EXTENDS_CYCLE: Code = Code::E0602;
    pub(crate) const NOTHING_TO_OVERRIDE: Code = Code::E0603;
    pub(crate) const OVERRIDE_WITHOUT_EXTENDS: Code = Code::E0604;
    pub(crate) const OVERRIDE_CHANGES_TYPE: Code = Code::E0605;
    pub(crate) const REMOVED_STILL_READ: Code = Code::E0606;
    pub(crate) const NOT_LATER: Code = Code::E0607;
    pub(crate) const UNREACHABLE_ARM: Code = Code::W0101;
    pub(crate) const IMPOSSIBLE_ARM: Code = Code::W0102;
    pub(crate) const CAP_NEVER_BINDS: Code = Code::W0103;
    pub(crate) const NEVER_SCORES: Code = Code::W0104;
    pub(crate) const STANDARD_UNREACHABLE: Code = Code::W0105;
    pub(crate) const UNUSED: Code = Code::W0106;
    pub(crate) const CHANGES_NOTHING: Code = Code::W0107;
    pub(crate) const TEST_NAME_TOTAL: Code = Code::W0108;
    pub(crate) const BAD_POINTS: Code = Code::E0110;
    pub(crate) const UNKNOWN_RECORD: Code = Code::E0801;
    pub(crate) const UNKNOWN_FIELD: Code = Code::E0802;
    pub(crate) const LIST_AS_VALUE: Code = Code::E0803;
    pub(crate) const BAD_AGGREGATE: Code = Code::E0804;
    pub(crate) const SHADOWED_ARM: Code = Code::W0109;
    pub(crate) const DEAD_NESTED_ARM: Code = Code::W0110;
    pub(crate) const SECTION_CAP_NEVER_BINDS: Code = Code::W0111;
    pub(crate) const CONSTANT_PRECONDITION: Code = Code::W0112;
    pub(crate) const CONSTANT_RULE: Code = Code::W0113;
    pub(crate) const RANK_TWICE: Code = Code::E0701;
    pub(crate) const TIE_BREAK_TWICE: Code = Code::E0702;
    pub(crate) const QUOTA_BELOW_ONE: Code = Code::E0703;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// A machine-applicable suggestion: replace the text of the span with the string.
    pub fix: Option<(Span, String)>,
}

impl Diagnostic {
    pub(crate) fn error(code: Code, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Label { span, message: label.into() },
            secondary: Vec::new(),
            help: None,
            fix: None,
        }
    }

    pub(crate) fn warning(code: Code, message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message, span, label) }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A suggestion a tool can apply: `replacement` in place of the text of `span`.
    pub(crate) fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix = Some((span, replacement.into()));
        self
    }

    pub(crate) fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The problems found in one policy, with the sources they point into.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub sources: SourceMap,
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.list.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.list.len() - self.error_count()
    }

    /// Human rendering with source excerpts; `color` adds ANSI styles.
    pub fn render_human(&self, color: bool, width: usize) -> String {
        let mut out = String::new();
        for diagnostic in &self.list {
            out.push_str(&render_one(&self.sources, &crate::i18n::localize(diagnostic), color, width));
        }
        out
    }

    /// Machine-readable records, one per diagnostic.
    pub fn to_json(&self) -> Vec<JsonDiagnostic> {
        self.list.iter().map(|d| JsonDiagnostic::new(&self.sources, &crate::i18n::localize(d))).collect()
    }

    /// GitHub workflow annotations, one line per diagnostic.
    pub fn render_github(&self) -> String {
        let mut out = String::new();
        for d in self.to_json() {
            let kind = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out.push_str(&format!(
                "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                escape_property(&d.file),
                d.line,
                d.column,
                d.end_line,
                d.end_column,
                escape_property(&d.code),
                escape_data(&match &d.help {
                    Some(help) => format!("{}: {} (help: {help})", d.message, d.label),
                    None => format!("{}: {}", d.message, d.label),
                })
            ));
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_human(false, 100))
    }
}

impl std::error::Error for Diagnostics {}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// A diagnostic as programs read it: positions are 1-based lines and columns.
#[derive(Debug, Clone, Serialize)]
pub struct JsonDiagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub label: String,
    pub help: Option<String>,
    pub labels: Vec<JsonLabel>,
    /// The suggestion as a replacement of one range (end exclusive), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<JsonFix>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JsonFix {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub replacement: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct JsonLabel {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl JsonDiagnostic {
    fn new(sources: &SourceMap, d: &Diagnostic) -> JsonDiagnostic {
        let span = d.primary.span;
        let (line, column) = sources.line_col(span.file, span.start);
        let (end_line, end_column) = sources.line_col(span.file, span.end);
        JsonDiagnostic {
            code: d.code.to_string(),
            severity: d.severity,
            message: d.message.clone(),
            file: sources.name(span.file).to_string(),
            line,
            column,
            end_line,
            end_column,
            label: d.primary.message.clone(),
            help: d.help.clone(),
            labels: d
                .secondary
                .iter()
                .map(|l| {
                    let (line, column) = sources.line_col(l.span.file, l.span.start);
                    JsonLabel { file: sources.name(l.span.file).to_string(), line, column, message: l.message.clone() }
                })
                .collect(),
            fix: d.fix.as_ref().map(|(span, replacement)| {
                let (line, column) = sources.line_col(span.file, span.start);
                let (end_line, end_column) = sources.line_col(span.file, span.end);
                JsonFix { line, column, end_line, end_column, replacement: replacement.clone() }
            }),
        }
    }
}

// ---------------------------------------------------------------- miette view

#[derive(Debug)]
struct MietteView<'s> {
    code: Code,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: Excerpts<'s>,
    labels: Vec<miette::LabeledSpan>,
}

/// A file as miette reads it, one excerpt at a time. miette's own reader scans the text
/// from its start for every span it shows; this one starts from the line index and
/// shows at most `REACH` bytes either side of a span, so rendering many diagnostics of a
/// large file (or of one very long line) costs the size of the excerpts, not of the file.
#[derive(Debug)]
struct Excerpts<'s> {
    file: Option<&'s SourceFile>,
}

/// Bytes of a long line shown either side of the span a diagnostic points at.
const REACH: usize = 1000;

impl miette::SourceCode for Excerpts<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let Some(file) = self.file else { return Err(miette::MietteError::OutOfBounds) };
        let text = &*file.text;
        let (lo, hi) = (span.offset(), span.offset() + span.len());
        if hi > text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        // Whole lines around the span (one spare each side, for miette's own counting),
        // then cut to `REACH` bytes either side of it.
        let context_start = file.line_start(file.line_of(lo).saturating_sub(before + 1));
        let mut start = context_start.max(lo.saturating_sub(REACH));
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let first_line = file.line_of(start);
        let last_line = file.line_of(hi) + after + 2;
        let mut end = file.line_start(last_line).min(hi.saturating_add(REACH)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let window = &text.as_bytes()[start..end];
        let inner =
            miette::SourceCode::read_span(&window, &miette::SourceSpan::from((lo - start, hi - lo)), before, after)?;
        let line = inner.line() + first_line;
        // Columns count characters, as the JSON and GitHub views and editors do (miette
        // counts bytes); from the line's real start, so a cut line keeps its columns.
        let contents_start = start + inner.span().offset();
        let column = text[file.line_start(file.line_of(contents_start))..contents_start].chars().count();
        let data: &'a [u8] =
            &text.as_bytes()[start + inner.span().offset()..start + inner.span().offset() + inner.span().len()];
        Ok(Box::new(miette::MietteSpanContents::new_named(
            file.name.clone(),
            data,
            miette::SourceSpan::from((start + inner.span().offset(), inner.span().len())),
            line,
            column,
            inner.line_count() + first_line,
        )))
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn render_one(sources: &SourceMap, d: &Diagnostic, color: bool, width: usize) -> String {
    let file = d.primary.span.file;
    let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
        Some(d.primary.message.clone()),
        (d.primary.span.start as usize, d.primary.span.len()),
    )];
    let mut help = d.help.clone();
    for label in &d.secondary {
        if label.span.file == file {
            labels.push(miette::LabeledSpan::new_with_span(
                Some(label.message.clone()),
                (label.span.start as usize, label.span.len()),
            ));
        } else {
            // miette shows one source per report: point at the other file in words.
            let (line, col) = sources.line_col(label.span.file, label.span.start);
            let note = format!("{} ({}:{line}:{col})", label.message, sources.name(label.span.file));
            help = Some(match help {
                Some(h) => format!("{h}\n{note}"),
                None => note,
            });
        }
    }
    let view = MietteView {
        code: d.code,
        severity: d.severity,
        message: d.message.clone(),
        help,
        source: Excerpts { file: sources.get(file) },
        labels,
    };
    let theme = if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(width);
    let mut out = String::new();
    if handler.render_report(&mut out, &view).is_err() {
        out = format!("{}[{}]: {}\n", severity_word(d.severity), d.code, d.message);
    }
    if crate::i18n::lang() == crate::i18n::Lang::ZhCn {
        out = out.lines().map(|l| crate::i18n::help_heading(l) + "\n").collect();
    }
    out.push('\n');
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code has its heading in docs/errors.md, with the registry's title, and every
    /// heading there is a code of the registry.
    #[test]
    fn the_registry_and_docs_errors_md_list_the_same_codes() {
        let docs = include_str!("../docs/errors.md");
        let headings: Vec<(&str, &str)> = docs
            .lines()
            .filter_map(|l| l.strip_prefix("### "))
            .filter_map(|h| h.split_once(" — "))
            .filter(|(code, _)| code.len() == 5 && (code.starts_with('E') || code.starts_with('W')))
            .collect();
        for info in REGISTRY {
            let found = headings.iter().find(|(code, _)| *code == info.code.as_str());
            assert_eq!(found.map(|(_, title)| *title), Some(info.title), "{} in docs/errors.md", info.code);
            assert_eq!(Code::parse(info.code.as_str()), Some(info.code));
        }
        for (code, _) in &headings {
            assert!(Code::parse(code).is_some(), "docs/errors.md documents {code}, which no diagnostic has");
        }
        assert!(REGISTRY.windows(2).all(|w| w[0].code < w[1].code), "the registry is in order, each code once");
    }

    /// Chinese text before the mistake: `年龄` is two characters and six bytes.
    #[test]
    fn human_output_counts_columns_in_characters_as_json_does() {
        let text = "policy demo \"演示\" {\n    item age \"年龄\" { oops }\n}\n";
        let mut sources = SourceMap::new();
        let file = sources.add("col.policy", text);
        let at = text.find("oops").expect("the mistake is in the text");
        let d = Diagnostic::error(codes::SYNTAX, "syntax error", Span::new(file, at, at + 4), "here");
        let diagnostics = Diagnostics { sources, list: vec![d] };
        // `    item age "年龄" { oops`: the mistake starts at character 21 of line 2.
        let json = &diagnostics.to_json()[0];
        assert_eq!((json.line, json.column), (2, 21));
        let human = diagnostics.render_human(false, 100);
        assert!(human.contains("[col.policy:2:21]"), "{human}");
    }
}
