//! A light lexer over policy text, for what the AST does not keep: comments (the
//! grammar skips them), braces and a few labels. It splits text the way the grammar
//! does for strings and comments, and is only ever run on text that parsed.

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `//…` to the end of the line (a `///` doc comment too).
    Comment,
    /// A string literal, quotes included.
    String,
    /// Letters, digits and `_`.
    Word,
    /// Any other character.
    Punct,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// A comment of the source, with what the layout needs to know about its place.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub start: usize,
    /// The text from `//`, trailing blanks removed.
    pub text: String,
    /// `///`: a doc comment, which belongs to the declaration below it.
    pub doc: bool,
    /// Code stands before it on its line.
    pub trailing: bool,
    /// A blank line separates it from what comes before.
    pub blank_before: bool,
    /// A blank line separates it from what comes after.
    pub blank_after: bool,
}

pub(super) struct Scan<'t> {
    pub text: &'t str,
    pub tokens: Vec<Token>,
}

impl<'t> Scan<'t> {
    pub(crate) fn new(text: &'t str) -> Scan<'t> {
        Scan { text, tokens: tokenize(text) }
    }

    /// Every comment, in order.
    pub(crate) fn comments(&self) -> Vec<Comment> {
        let mut out = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if t.kind != Kind::Comment {
                continue;
            }
            let raw = &self.text[t.start..t.end];
            let before = i.checked_sub(1).map(|j| &self.text[self.tokens[j].end..t.start]);
            let after = self.tokens.get(i + 1).map(|n| &self.text[t.end..n.start]);
            out.push(Comment {
                start: t.start,
                text: raw.trim_end().to_string(),
                doc: raw.starts_with("///") && !raw.starts_with("////"),
                trailing: before.is_some_and(|b| !b.contains('\n')),
                blank_before: before.is_some_and(|b| b.matches('\n').count() >= 2),
                blank_after: after.is_some_and(|a| a.matches('\n').count() >= 2),
            });
        }
        out
    }

    /// Index of the first token that starts at or after `pos` and is not a comment.
    fn next_code(&self, pos: usize) -> Option<usize> {
        let from = self.tokens.partition_point(|t| t.start < pos);
        (from..self.tokens.len()).find(|&i| self.tokens[i].kind != Kind::Comment)
    }

    fn is_punct(&self, i: usize, c: char) -> bool {
        let t = self.tokens[i];
        t.kind == Kind::Punct && self.text[t.start..].starts_with(c)
    }

    /// Just after the first `{` at or after `pos` (strings and comments skipped).
    pub(crate) fn open_after(&self, pos: usize) -> usize {
        let from = self.tokens.partition_point(|t| t.start < pos);
        (from..self.tokens.len()).find(|&i| self.is_punct(i, '{')).map_or(pos, |i| self.tokens[i].end)
    }

    /// Just after the `}` that closes a block whose last content ends at `pos` (a
    /// separating `,` may stand between), or `pos` when the next token is not a `}`.
    pub(crate) fn close_after(&self, pos: usize) -> usize {
        let mut i = self.next_code(pos);
        if let Some(j) = i.filter(|&j| self.is_punct(j, ',')) {
            i = self.next_code(self.tokens[j].end);
        }
        match i {
            Some(j) if self.is_punct(j, '}') => self.tokens[j].end,
            _ => pos,
        }
    }

    /// The end of the last token (not a comment) that ends at or before `pos`.
    pub(crate) fn code_end_before(&self, pos: usize) -> usize {
        let upto = self.tokens.partition_point(|t| t.end <= pos);
        (0..upto).rev().find(|&i| self.tokens[i].kind != Kind::Comment).map_or(pos, |i| self.tokens[i].end)
    }

    /// The first string literal in `from..to` (quotes included), before any `{`.
    pub(crate) fn string_between(&self, from: usize, to: usize) -> Option<&'t str> {
        let first = self.tokens.partition_point(|t| t.start < from);
        for t in self.tokens[first..].iter().take_while(|t| t.end <= to) {
            match t.kind {
                Kind::String => return Some(&self.text[t.start..t.end]),
                Kind::Punct if self.text[t.start..].starts_with('{') => return None,
                _ => {}
            }
        }
        None
    }

    /// The code tokens of a span, comments left out.
    pub(crate) fn code_in(&self, span: Span) -> impl Iterator<Item = &'t str> + '_ {
        let (start, end) = (span.start as usize, span.end as usize);
        let first = self.tokens.partition_point(|t| t.start < start);
        self.tokens[first..]
            .iter()
            .take_while(move |t| t.end <= end)
            .filter(|t| t.kind != Kind::Comment)
            .map(|t| &self.text[t.start..t.end])
    }

    /// A number as written (`100_000`, `0.80`, `-150`), with its unit word as written
    /// (`1 year`, `12 months`) after one space.
    pub(crate) fn number(&self, span: Span) -> String {
        let tokens: Vec<&str> = self.code_in(span).collect();
        // A unit is a name: it starts with a letter or `_` (as `_months` may), never a digit.
        let unit_at = tokens
            .len()
            .checked_sub(1)
            .filter(|&i| tokens[i].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
        match unit_at {
            Some(0) => tokens[0].to_string(),
            Some(i) => format!("{} {}", tokens[..i].concat(), tokens[i]),
            None => tokens.concat(),
        }
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let start = i;
        let kind = if c.is_whitespace() || c == '\u{FEFF}' {
            i += c.len_utf8();
            continue;
        } else if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(text.len(), |n| i + n);
            Kind::Comment
        } else if c == '"' {
            i += 1;
            while i < text.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                // An escape takes the next character, whatever it is (but not a newline).
                if bytes[i] == b'\\' && i + 1 < text.len() && bytes[i + 1] != b'\n' {
                    i += 1;
                }
                i += text[i..].chars().next().map_or(1, char::len_utf8);
            }
            if i < text.len() && bytes[i] == b'"' {
                i += 1;
            }
            Kind::String
        } else if c.is_ascii_digit() {
            // As in the grammar, a number ends at its last digit or `_`: `30per` is `30 per`.
            while i < text.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            Kind::Word
        } else if c.is_ascii_alphanumeric() || c == '_' {
            while i < text.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Kind::Word
        } else {
            i += c.len_utf8();
            Kind::Punct
        };
        tokens.push(Token { kind, start, end: i });
    }
    tokens
}

/// The value of a string literal as the parser reads it (quotes included in `raw`).
pub(super) fn unescape(raw: &str) -> String {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    crate::syntax::unescape(inner)
}

/// A string literal for `value`: quotes, backslashes, newlines and tabs escaped.
pub(super) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_found_outside_strings_only() {
        let text = "a \"// not\" // yes\n/// doc\n\n//// plain\nb";
        let comments = Scan::new(text).comments();
        let texts: Vec<&str> = comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// yes", "/// doc", "//// plain"]);
        assert!(comments[0].trailing && !comments[1].trailing);
        assert!(comments[1].doc && !comments[2].doc);
        assert!(comments[1].blank_after && comments[2].blank_before);
    }

    #[test]
    fn strings_round_trip() {
        for s in ["plain", "a \"quoted\" word", "back\\slash", "new\nline\tand tab", "中文"] {
            assert_eq!(unescape(&quote(s)), s);
        }
    }
}
