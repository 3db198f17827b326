//! `jifen fmt`: one canonical layout of a policy file, keeping every comment.
//!
//! The AST gives the structure and the printer (`fmt/print.rs`) lays it out as lines.
//! The grammar skips comments, so they are read from the text (`fmt/scan.rs`) and put
//! back by position: a comment goes above the first printed line that ends after it, or
//! at the end of the line it followed on the same line. Doc comments (`///`) are placed
//! the same way, so they stay directly above the declaration they document.
//!
//! The layout (docs/cli.md, `jifen fmt`): 4-space indentation; one declaration per
//! line; a blank line between top-level declarations and between the items of a
//! section, and nowhere else unless the source had one next to a comment; header values,
//! enum labels, input columns and match arms aligned; `when` arms one per line; the
//! fewest parentheses that keep the parse; numbers and units as written (`100_000`,
//! `1 year`); strings re-escaped.
//!
//! Before it returns, the result is parsed again and must give the same AST (spans
//! aside), the same comments in the same order and the same strings: a formatted file
//! means what the original meant, or nothing is returned.

pub(crate) mod fix;
mod print;
mod scan;

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceMap};
use crate::syntax::{self, ast::PolicyFile};

use print::{Line, Printer, INDENT};
use scan::{Comment, Scan};

/// Why a policy was not formatted.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FormatError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(#[from] SyntaxErrors),
    #[error(transparent)]
    #[diagnostic(transparent)]
    CommentNotKept(#[from] CommentNotKept),
    #[error(transparent)]
    #[diagnostic(transparent)]
    MeaningChanged(#[from] MeaningChanged),
}

/// The file has syntax errors; they are in `diagnostics`, as `jifen check` reports them.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{name}` has {} syntax error(s); it was not formatted", .diagnostics.error_count())]
#[diagnostic(code(jifen::fmt::syntax), help("fix the errors shown above, then format again"))]
pub struct SyntaxErrors {
    pub name: String,
    pub diagnostics: Diagnostics,
}

/// A comment could not be put back where it was: the file is left as it is.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{name}`: the comment on line {line} could not be kept in place (`{comment}`); the file was not formatted")]
#[diagnostic(
    code(jifen::fmt::comment),
    help("this is a bug in `jifen fmt`: please report it with the file; meanwhile move the comment to a line of its own above the declaration")
)]
pub struct CommentNotKept {
    pub name: String,
    pub line: usize,
    pub comment: String,
}

/// The layout would have changed what the file says: it is left as it is.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{name}`: formatting would {what}; the file was not formatted")]
#[diagnostic(code(jifen::fmt::changed), help("this is a bug in `jifen fmt`: please report it with the file"))]
pub struct MeaningChanged {
    pub name: String,
    pub what: String,
}

/// The canonical layout of a policy file. `name` is used in error messages only.
pub fn format_source(name: &str, text: &str) -> Result<String, FormatError> {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (ast, list) = syntax::parse(file, text);
    let ast = match ast {
        Some(ast) if !list.iter().any(Diagnostic::is_error) => ast,
        _ => return Err(SyntaxErrors { name: name.to_string(), diagnostics: Diagnostics { sources, list } }.into()),
    };
    let scan = Scan::new(text);
    let comments = scan.comments();
    let lines = Printer::new(&scan).file(&ast);
    let formatted = place_comments(&lines, &comments, text);
    verify(name, text, &ast, &scan, &comments, &formatted)?;
    Ok(formatted)
}

/// Write the lines with the comments put back: each above the first line that ends
/// after it, or at the end of the line it followed on its own line.
fn place_comments(lines: &[Line], comments: &[Comment], text: &str) -> String {
    let places = assign(lines, comments, text);
    let mut out = Writer::default();
    for (k, group) in places.above.iter().enumerate() {
        let line = lines.get(k);
        let indent = line.map_or(0, |l| l.indent + if l.closer { INDENT } else { 0 });
        // A blank line between declarations goes above their comments.
        let mut blank = line.is_some_and(|l| l.blank_before);
        for comment in group {
            // A doc comment stays against what it documents.
            out.write(indent, &comment.text, blank || comment.blank_before, false, comment.doc);
            blank = comment.blank_after && !comment.doc;
        }
        if let Some(line) = line {
            let opens = line.text.ends_with('{') || line.text.ends_with("=>") || line.text.ends_with(" =");
            match places.trailing[k] {
                Some(comment) => {
                    let text = format!("{} {}", line.text, comment.text);
                    out.write(line.indent, &text, blank, line.closer, opens);
                }
                None => out.write(line.indent, &line.text, blank, line.closer, opens),
            }
        }
    }
    out.text
}

/// Where each comment goes: above line k (`above[k]`; k = the number of lines is the end
/// of the file) or at the end of line k.
struct Places<'c> {
    above: Vec<Vec<&'c Comment>>,
    trailing: Vec<Option<&'c Comment>>,
}

/// Comments keep their order whatever the positions say: slot 2k is above line k, slot
/// 2k + 1 at its end, and the slots of successive comments never decrease.
fn assign<'c>(lines: &[Line], comments: &'c [Comment], text: &str) -> Places<'c> {
    let n = lines.len();
    let mut places = Places { above: vec![Vec::new(); n + 1], trailing: vec![None; n] };
    let mut slot = 0;
    let mut next_line = 0;
    for comment in comments {
        while next_line < n && lines[next_line].end <= comment.start {
            next_line += 1;
        }
        let mut s = 2 * next_line;
        if comment.trailing && !comment.doc && next_line > 0 {
            // Only blanks, commas and closing brackets stand between the line and the comment.
            let between = text.get(lines[next_line - 1].end..comment.start).unwrap_or("\n");
            if between.chars().all(|c| (c.is_whitespace() && c != '\n') || ",)]}".contains(c)) {
                s = 2 * next_line - 1;
            }
        }
        s = s.max(slot);
        if s % 2 == 1 && places.trailing[s / 2].is_some() {
            s += 1;
        }
        if s % 2 == 1 {
            places.trailing[s / 2] = Some(comment);
        } else {
            places.above[s / 2].push(comment);
        }
        slot = s;
    }
    places
}

#[derive(Default)]
struct Writer {
    text: String,
    /// The last line written opens a block or is a doc comment: no blank line follows it.
    after_opener: bool,
}

impl Writer {
    fn write(&mut self, indent: usize, line: &str, blank_before: bool, closer: bool, opens: bool) {
        if blank_before && !self.text.is_empty() && !self.after_opener && !closer {
            self.text.push('\n');
        }
        self.text.extend(std::iter::repeat_n(' ', indent));
        self.text.push_str(line);
        self.text.push('\n');
        self.after_opener = opens;
    }
}

/// The formatted text must parse to the same AST (spans aside), with the same comments
/// and strings in the same order.
fn verify(
    name: &str,
    original: &str,
    ast: &PolicyFile,
    scan: &Scan<'_>,
    comments: &[Comment],
    formatted: &str,
) -> Result<(), FormatError> {
    let changed = |what: &str| MeaningChanged { name: name.to_string(), what: what.to_string() };
    let (again, list) = syntax::parse(FileId(0), formatted);
    let again = match again {
        Some(a) if !list.iter().any(Diagnostic::is_error) => a,
        _ => return Err(changed("give text that does not parse").into()),
    };
    let after = Scan::new(formatted);
    let kept = after.comments();
    for (i, comment) in comments.iter().enumerate() {
        if kept.get(i).map(|k| &k.text) != Some(&comment.text) {
            let line = original[..comment.start].matches('\n').count() + 1;
            return Err(CommentNotKept { name: name.to_string(), line, comment: comment.text.clone() }.into());
        }
    }
    if kept.len() != comments.len() {
        return Err(changed("add a comment").into());
    }
    if strings(scan) != strings(&after) {
        return Err(changed("change a label, reason or name in quotes").into());
    }
    if without_spans(ast) != without_spans(&again) {
        return Err(changed("change how the file parses").into());
    }
    Ok(())
}

fn strings(scan: &Scan<'_>) -> Vec<String> {
    scan.tokens
        .iter()
        .filter(|t| t.kind == scan::Kind::String)
        .map(|t| scan::unescape(&scan.text[t.start..t.end]))
        .collect()
}

/// The AST as JSON with every span replaced by `null`.
fn without_spans(ast: &PolicyFile) -> Json {
    fn strip(v: &mut Json) {
        match v {
            Json::Object(map) => {
                let is_span = map.len() == 3 && ["file", "start", "end"].iter().all(|k| map.contains_key(*k));
                if is_span {
                    *v = Json::Null;
                } else {
                    map.values_mut().for_each(strip);
                }
            }
            Json::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut json = serde_json::to_value(ast).unwrap_or(Json::Null);
    strip(&mut json);
    json
}

#[cfg(test)]
mod tests {
    use super::format_source;

    fn fmt(text: &str) -> String {
        format_source("t.policy", text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn body(expr: &str) -> String {
        let text = format!("policy p \"p\" {{\n}}\n\nlet x = {expr}\n");
        let out = fmt(&text);
        out.split("let x = ").nth(1).unwrap_or_default().trim_end().to_string()
    }

    #[test]
    fn parentheses_only_where_the_parse_needs_them() {
        assert_eq!(body("(a + b) * c"), "(a + b) * c");
        assert_eq!(body("a + (b * c)"), "a + b * c");
        assert_eq!(body("a - (b - c)"), "a - (b - c)");
        assert_eq!(body("(a - b) - c"), "a - b - c");
        assert_eq!(body("not (a and b)"), "not (a and b)");
        assert_eq!(body("(not a) and b"), "not a and b");
        assert_eq!(body("-(a ?? b)"), "-a ?? b");
        assert_eq!(body("(-a) ?? b"), "(-a) ?? b");
        assert_eq!(body("not (a == b)"), "not a == b");
        assert_eq!(body("(a or b) and c"), "(a or b) and c");
        assert_eq!(body("a == (b in [c, d])"), "a == (b in [c, d])");
        assert_eq!(body("(3 per year of (m ?? 0 months))"), "3 per year of m ?? 0 months");
        assert_eq!(body("min( 30 ,5+2*( 56-age ) )"), "min(30, 5 + 2 * (56 - age))");
    }

    #[test]
    fn numbers_and_units_stay_as_written() {
        assert_eq!(body("10 per 100_000 yuan of t"), "10 per 100_000 yuan of t");
        assert_eq!(body("0.80 * w"), "0.80 * w");
        assert_eq!(body("1   year"), "1 year");
    }
}
