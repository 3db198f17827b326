//! Policy text to spanned AST. Syntax errors become coded diagnostics; after an
//! error the parser resumes at the next top-level declaration, so one broken item
//! does not hide the problems further down.

pub mod ast;
mod errors;
mod from_pest;

pub(crate) use from_pest::unescape;

use pest::error::Error;
use pest::Parser;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
pub(crate) struct PolicyParser;

/// Words that start a top-level declaration; the parser resynchronises on them, and the
/// language server offers them at the top level.
pub(crate) const TOP_LEVEL: &[&str] = &[
    "enum",
    "input",
    "param",
    "let",
    "section",
    "eligibility",
    "vetoes",
    "test",
    "override",
    "remove",
    "extend",
    "amend",
    "plan",
    "record",
    "rank",
    "unit",
    "output",
    "///",
];

/// Deepest nesting of parentheses and brackets accepted, so that hostile input cannot
/// exhaust the stack of the recursive-descent parser.
pub const MAX_NESTING: usize = 64;

/// Deepest nesting of `when` and `match` accepted (counted apart from brackets, which they
/// need not use), for the same reason. An expression tree is at most `MAX_EXPR_DEPTH` deep
/// anyway, and each nested `when` or `match` is a level of it.
pub const MAX_WHEN_NESTING: usize = MAX_EXPR_DEPTH;

/// Syntax errors reported for one file at most; the parser stops looking after them.
pub const MAX_SYNTAX_ERRORS: usize = 50;

/// Deepest expression tree accepted (a leaf has depth 1). The AST builder enforces it, so
/// the checker, the range analysis, the evaluator and `Drop`, which all recurse on the
/// tree, never see a deeper one. Unoptimised builds on a 2 MiB stack (a test or a rayon
/// worker) take about 350 levels; 128 leaves room for frames that grow.
pub const MAX_EXPR_DEPTH: usize = 128;

/// Most declarations of one kind in a policy (enums, variants of an enum, inputs,
/// parameters, `let`s, sections, items) and arms of one `when` or `match`: they are
/// numbered with 16 bits once compiled.
pub const MAX_COUNT: usize = 65_000;

/// Parse one policy file. Returns the AST when the whole file parsed, and every
/// diagnostic found. After a syntax error the parser goes on at the next top-level
/// declaration to report further syntax errors; the checker runs only on a file that
/// parsed, so it never reports errors that are echoes of a broken declaration.
///
/// Characters that look like symbols and are not (`，` `（` `“`) are reported first, each
/// where it stands; the text with them replaced is then parsed for the other mistakes, and
/// those on the lines of a replaced character are left out (they may be its echoes).
pub fn parse(file: FileId, text: &str) -> (Option<ast::PolicyFile>, Vec<Diagnostic>) {
    let (mut found, patched) = errors::confusables(file, text);
    if found.is_empty() {
        return parse_ascii(file, text);
    }
    // The lines of the characters found (at most MAX_SYNTAX_ERRORS of them).
    let lines: Vec<(usize, usize)> = found
        .iter()
        .map(|d| {
            let at = (d.primary.span.start as usize).min(text.len());
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            (start, text[at..].find('\n').map_or(text.len(), |i| at + i))
        })
        .collect();
    let (_, others) = parse_ascii(file, &patched);
    let on_their_lines = |d: &Diagnostic| {
        let at = d.primary.span.start as usize;
        lines.iter().any(|(start, end)| (*start..=*end).contains(&at))
    };
    found.extend(others.into_iter().filter(|d| !on_their_lines(d)));
    found.sort_by_key(|d| d.primary.span.start);
    found.truncate(MAX_SYNTAX_ERRORS);
    (None, found)
}

/// [`parse`] of a text without look-alike characters.
fn parse_ascii(file: FileId, text: &str) -> (Option<ast::PolicyFile>, Vec<Diagnostic>) {
    if let Some(d) = errors::check_nesting(file, text) {
        return (None, vec![d]);
    }
    let error = match parse_whole(file, text) {
        Ok(parsed) => return parsed,
        // pest ran out of stack (it checks): report the nesting, not a syntax error.
        Err(error) if errors::is_limit(&error) => {
            return (None, vec![errors::too_deep_to_parse(file, text, 0, &error)])
        }
        // Parse again, slower, to learn every token the parser was waiting for.
        Err(error) => errors::with_detail(|| PolicyParser::parse(Rule::file, text)).err().unwrap_or(error),
    };
    let (first, mut at) = errors::syntax_error(file, text, 0, &error);
    let mut diagnostics = vec![first];
    let mut chunk_start = 0;
    while let Some(start) = next_top_level(text, chunk_start, at) {
        if diagnostics.len() == MAX_SYNTAX_ERRORS {
            // Each pest error costs a scan of the rest of the file: stop while it is cheap.
            if let Some(last) = diagnostics.last_mut() {
                let help = last.help.take().unwrap_or_default();
                last.help =
                    Some(format!("{help}\n(syntax errors after the first {MAX_SYNTAX_ERRORS} are not reported)"));
            }
            break;
        }
        match errors::with_detail(|| PolicyParser::parse(Rule::decls_tail, &text[start..])) {
            Ok(_) => break,
            Err(error) if errors::is_limit(&error) => {
                diagnostics.push(errors::too_deep_to_parse(file, text, start, &error));
                break;
            }
            Err(error) => {
                let (next, stop) = errors::syntax_error(file, text, start, &error);
                diagnostics.push(next);
                at = stop;
                chunk_start = start;
            }
        }
    }
    (None, diagnostics)
}

/// The `file` rule over `text`, built into the AST, with what the builder found.
fn parse_whole(file: FileId, text: &str) -> Result<(Option<ast::PolicyFile>, Vec<Diagnostic>), Error<Rule>> {
    let mut pairs = PolicyParser::parse(Rule::file, text)?;
    let mut builder = from_pest::Builder::new(file);
    let policy = pairs.next().and_then(|pair| builder.file(pair));
    Ok((policy, builder.diagnostics))
}

/// The first line after `after` and at or after `at` that starts (in column 0) with a
/// top-level keyword or a doc comment.
fn next_top_level(text: &str, after: usize, at: usize) -> Option<usize> {
    // Start at the first line that can qualify, not at the top of the file: a file with an
    // error every few lines would otherwise be scanned once per error.
    let from = at.max(after.saturating_add(1)).min(text.len());
    let mut offset = match text.as_bytes()[..from].iter().rposition(|b| *b == b'\n') {
        Some(newline) => newline + 1,
        None => 0,
    };
    for line in text[offset..].split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start <= after || start < at {
            continue;
        }
        let starts = TOP_LEVEL.iter().any(|kw| {
            line.strip_prefix(kw).is_some_and(|rest| {
                *kw == "///" || rest.starts_with(|c: char| c.is_whitespace() || c == '"' || c == '{')
            })
        });
        if starts {
            return Some(start);
        }
    }
    None
}
