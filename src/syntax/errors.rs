//! pest errors in words a policy editor understands.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::{Rule, MAX_NESTING};
use crate::diagnostic::{codes, Diagnostic};
use crate::source::{FileId, Span};

/// Offset (within the parsed text) where pest stopped.
pub(super) fn error_offset(error: &Error<Rule>) -> usize {
    match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

/// What to call a rule in "expected …"; `None` for rules an editor never needs named.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::header => "the `policy` header",
        Rule::ident => "a name",
        Rule::type_name => "a type",
        Rule::qualified => "an enum variant",
        Rule::string => "a quoted label",
        Rule::number | Rule::signed_number | Rule::quantity | Rule::signed_quantity => "a number",
        Rule::integer => "a whole number",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::unit => "a unit (years, months, yuan)",
        Rule::per_amount => "an amount such as `year` or `100000 yuan`",
        Rule::bool_lit => "true or false",
        Rule::value => "a value",
        Rule::expr | Rule::paren | Rule::call => "an expression",
        Rule::when_expr | Rule::when_arm => "`when`",
        Rule::else_arm => "`else =>` (every `when` chain ends with an `else` arm)",
        Rule::match_expr => "`match`",
        Rule::match_arm | Rule::pattern | Rule::alternatives | Rule::pat_atom => "a pattern",
        Rule::wildcard => "`_`",
        Rule::year_field => "`year`",
        Rule::effective_field => "`effective`",
        Rule::standard_field => "`standard`",
        Rule::extends => "`extends`",
        Rule::enum_decl => "`enum`",
        Rule::input_decl => "`input`",
        Rule::input_field => "an input field (`name: type`)",
        Rule::optional => "`?`",
        Rule::range => "a range such as `0..` or `16..=70`",
        Rule::default => "a default (`= value`)",
        Rule::param_decl => "`param`",
        Rule::let_decl => "`let`",
        Rule::section_decl => "`section`",
        Rule::deduction => "`deduction`",
        Rule::section_cap | Rule::item_cap => "`cap`",
        Rule::item_decl => "`item`",
        Rule::requires => "`requires`",
        Rule::allow => "`allow`",
        Rule::lint_code => "a lint code such as W0103",
        Rule::best_of_decl => "`best_of`",
        Rule::eligibility_decl => "`eligibility`",
        Rule::require_rule => "`require`",
        Rule::vetoes_decl => "`vetoes`",
        Rule::veto_rule => "`veto`",
        Rule::test_decl => "`test`",
        Rule::given => "`given { … }`",
        Rule::fact => "a fact (`name: value`)",
        Rule::expect => "`expect`",
        Rule::expectation => "an expectation (`total = 120`)",
        Rule::override_decl => "`override`",
        Rule::remove_decl => "`remove`",
        Rule::remove_kind => "item, param, require, veto or test",
        Rule::variant => "a variant name",
        Rule::doc | Rule::docs => "a doc comment",
        Rule::neg | Rule::sub => "`-`",
        Rule::not => "`not`",
        Rule::in_list => "`in [ … ]`",
        Rule::not_in => "`not in [ … ]`",
        Rule::or => "`or`",
        Rule::and => "`and`",
        Rule::eq => "`==`",
        Rule::ne => "`!=`",
        Rule::le => "`<=`",
        Rule::ge => "`>=`",
        Rule::lt => "`<`",
        Rule::gt => "`>`",
        Rule::add => "`+`",
        Rule::mul => "`*`",
        Rule::div => "`/`",
        Rule::per => "`per`",
        Rule::coalesce => "`??`",
        _ => return None,
    })
}

/// The binary operators are listed as one entry so that "expected" stays short.
fn is_operator(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::or
            | Rule::and
            | Rule::eq
            | Rule::ne
            | Rule::le
            | Rule::ge
            | Rule::lt
            | Rule::gt
            | Rule::add
            | Rule::sub
            | Rule::mul
            | Rule::div
            | Rule::per
            | Rule::coalesce
            | Rule::in_list
            | Rule::not_in
    )
}

/// What stands at `offset`: a word, a symbol, or the end of the file.
fn found_at(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if first == '\n' || first == '\r' {
        return "end of line".to_string();
    }
    if first.is_alphanumeric() || first == '_' {
        let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').take(40).collect();
        return format!("`{word}`");
    }
    if rest.starts_with("///") {
        return "a doc comment".to_string();
    }
    let symbol: String = rest.chars().take_while(|c| !c.is_whitespace() && !c.is_alphanumeric()).take(3).collect();
    format!("`{symbol}`")
}

const KEYWORDS: &[&str] = &[
    "policy",
    "extends",
    "enum",
    "input",
    "param",
    "let",
    "section",
    "item",
    "requires",
    "cap",
    "best_of",
    "eligibility",
    "require",
    "vetoes",
    "veto",
    "test",
    "given",
    "expect",
    "override",
    "remove",
    "absent",
    "when",
    "else",
    "match",
    "per",
    "of",
    "and",
    "or",
    "not",
    "in",
    "true",
    "false",
    "years",
    "year",
    "months",
    "month",
    "yuan",
];

pub(super) fn syntax_error(file: FileId, text: &str, base: usize, error: &Error<Rule>) -> Diagnostic {
    let offset = base + error_offset(error);
    let found = found_at(text, offset);
    let mut expected: Vec<&'static str> = Vec::new();
    let mut operator = false;
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if is_operator(*rule) {
                operator = true;
                continue;
            }
            if let Some(d) = describe(*rule) {
                if !expected.contains(&d) {
                    expected.push(d);
                }
            }
        }
    }
    if operator {
        expected.push("an operator");
    }
    let expected_text = match expected.len() {
        0 => String::new(),
        1 => expected[0].to_string(),
        n => format!("{} or {}", expected[..n - 1].join(", "), expected[n - 1]),
    };
    let message = if expected_text.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {expected_text}, found {found}")
    };
    let width = text
        .get(offset..)
        .and_then(|r| r.chars().next())
        .map(|c| if c == '\n' { 0 } else { c.len_utf8() })
        .unwrap_or(0);
    let span = Span::new(file, offset, offset + width);
    let word = found.trim_matches('`');
    let help = if found == "a doc comment" {
        "a doc comment (`///`) stands directly above a declaration, enum variant, input, item or rule; use `//` for any other comment".to_string()
    } else if KEYWORDS.contains(&word) && expected.contains(&"a name") {
        format!("`{word}` is a reserved word of the policy language; choose another name")
    } else if expected.iter().any(|e| e.starts_with("`else")) {
        "end the `when` chain with `else => …`, the points when no arm applies".to_string()
    } else if expected.contains(&"a quoted label") {
        "labels and reasons are written in double quotes, e.g. \"年龄\"".to_string()
    } else if expected == ["end of file"] || expected.iter().any(|e| e.starts_with("`enum`")) {
        "a top-level declaration starts with enum, input, param, let, section, eligibility, vetoes, test, override or remove; check that every `{` before this point is closed".to_string()
    } else if found == "end of file" {
        "the file ends inside a block: add the missing `}`".to_string()
    } else {
        "see docs/language.md for the syntax of each declaration".to_string()
    };
    Diagnostic::error(codes::SYNTAX, format!("syntax error: {message}"), span, "here").with_help(help)
}

/// Reject nesting deeper than the parser's recursion can safely take.
pub(super) fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'\n' => {
                in_comment = false;
                in_string = false;
            }
            _ if in_comment => {}
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'/' if bytes.get(i + 1) == Some(&b'/') => in_comment = true,
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::error(
                            codes::TOO_DEEP,
                            format!("brackets nested more than {MAX_NESTING} deep"),
                            Span::new(file, i, i + 1),
                            "this bracket is too deep",
                        )
                        .with_help("split the expression with `let` definitions"),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}
