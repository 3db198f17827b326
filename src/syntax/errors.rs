//! pest errors in words a policy editor understands.

use std::sync::Mutex;

use pest::error::{Error, ErrorVariant, InputLocation};

use super::{Rule, MAX_NESTING, MAX_WHEN_NESTING};
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
        Rule::string => "a quoted label",
        Rule::number | Rule::signed_number | Rule::quantity | Rule::signed_quantity => "a number",
        Rule::integer => "a whole number",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::unit => "a unit",
        Rule::per_amount => "an amount such as `year` or `100000 yuan`",
        Rule::bool_lit => "true or false",
        Rule::value => "a value",
        Rule::expr | Rule::paren => "an expression",
        Rule::when_expr | Rule::when_arm => "`when`",
        Rule::else_arm => "`else =>`",
        Rule::match_expr => "`match`",
        Rule::match_arm | Rule::pattern | Rule::alternatives | Rule::pat_atom => "a pattern",
        Rule::wildcard => "`_`",
        Rule::year_field | Rule::kw_year => "`year`",
        Rule::effective_field | Rule::kw_effective => "`effective`",
        Rule::standard_field | Rule::kw_standard => "`standard`",
        Rule::points_field | Rule::kw_points => "`points`",
        Rule::floor_field | Rule::kw_floor => "`floor`",
        Rule::kw_round => "`round`",
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
        Rule::plan_decl => "`plan`",
        Rule::rank_decl | Rule::kw_rank => "`rank`",
        Rule::rank_by | Rule::kw_by => "`by total` or `by section NAME`",
        Rule::rank_total => "`total`",
        Rule::rank_then | Rule::kw_then => "`then`",
        Rule::tie_break => "a tie-break such as `si_months desc`",
        Rule::tie_order => "`asc` or `desc`",
        Rule::rank_quota | Rule::kw_quota => "`quota`",
        Rule::rank_ties | Rule::kw_admit => "`admit ties`",
        Rule::kw_ties => "`ties`",
        Rule::plan_wait | Rule::plan_raise | Rule::plan_assume => "`wait`, `raise` or `assume`",
        Rule::wait_step => "a step such as `age + 1`",
        Rule::remove_kind => "item, param, require, veto, test or input",
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
        Rule::kw_when => "`when`",
        Rule::kw_else => "`else =>`",
        Rule::kw_item => "`item`",
        Rule::kw_requires => "`requires`",
        Rule::kw_cap => "`cap`",
        Rule::kw_best_of => "`best_of`",
        Rule::kw_require => "`require`",
        Rule::kw_veto => "`veto`",
        Rule::kw_given => "`given { … }`",
        Rule::kw_expect => "`expect`",
        Rule::kw_extends => "`extends`",
        Rule::kw_extend => "`extend`",
        Rule::kw_amend => "`amend`",
        Rule::kw_add => "`add`",
        Rule::members_add => "`add ITEM, …`",
        Rule::members_remove => "`remove ITEM, …`",
        Rule::kw_deduction => "`deduction`",
        Rule::kw_of => "`of`",
        Rule::record_decl => "`record`",
        Rule::record_field => "a record field (`name: type`)",
        Rule::field_name => "a field name",
        Rule::row_fact => "a field (`name: value`)",
        Rule::list_type => "`list of RECORD`",
        Rule::list_max => "`max N`",
        Rule::rows_value => "`[ { … }, … ]`",
        Rule::row_value => "a row `{ field: value, … }`",
        Rule::each_where | Rule::kw_where => "`where`",
        Rule::kw_for => "`for`",
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
            | Rule::kw_in
            | Rule::kw_not
            | Rule::kw_per
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
];

/// Runs `parse` with pest's error detail switched on, so that a failure records every
/// token tried at the furthest point reached (a missing `:` or `=>`, which rule names
/// cannot show). The switch is global in pest: the lock keeps one detailed parse at a
/// time, so a report never depends on what other threads parse.
pub(super) fn with_detail<T>(parse: impl FnOnce() -> T) -> T {
    static DETAIL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = DETAIL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    pest::set_error_detail(true);
    let out = parse();
    pest::set_error_detail(false);
    out
}

/// The tokens pest tried, in words: symbols such as `:` first (rule names never show
/// them), then everything else.
fn tried_tokens(tokens: &[String]) -> (Vec<String>, Vec<String>) {
    const SKIPPED: &[&str] = &[" ", "\t", "\r", "\n", "\u{feff}", "//", "///", "////", "("];
    const OPERATORS: &[&str] =
        &["!=", "*", "+", "-", "/", "<", "<=", "==", ">", ">=", "??", "and", "or", "in", "not", "per"];
    let mut symbols: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut tail: Vec<String> = Vec::new();
    for token in tokens {
        let t = token.as_str();
        let chars: Vec<char> = t.chars().collect();
        let (list, d) = if SKIPPED.contains(&t) {
            continue;
        } else if OPERATORS.contains(&t) {
            (&mut tail, "an operator".to_string())
        } else if t == "\"" {
            (&mut words, "a quoted label".to_string())
        } else if chars.len() == 4 && chars[1] == '.' && chars[2] == '.' {
            // A character range such as `0..9`.
            let what = if chars[0].is_ascii_digit() { "a number" } else { "a name" };
            (&mut words, what.to_string())
        } else if t == "_" {
            (&mut words, "a name".to_string())
        } else if chars.iter().all(|c| c.is_alphanumeric() || *c == '_') {
            (&mut words, format!("`{t}`"))
        } else {
            (&mut symbols, format!("`{t}`"))
        };
        if !list.contains(&d) {
            list.push(d);
        }
    }
    tail.sort();
    tail.reverse(); // "a unit …" before "an operator", as in the rule-based list
    words.extend(tail);
    (symbols, words)
}

/// The first offset at or after `offset` that is not blank or inside a plain comment.
fn skip_blank(text: &str, mut offset: usize) -> usize {
    loop {
        let rest = text.get(offset..).unwrap_or("");
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '\u{feff}']);
        offset += rest.len() - trimmed.len();
        if trimmed.starts_with("//") && (!trimmed.starts_with("///") || trimmed.starts_with("////")) {
            offset += trimmed.find('\n').unwrap_or(trimmed.len());
        } else {
            return offset;
        }
    }
}

/// The `{` that no `}` closes, outside strings and comments. When a `}` on a line of its
/// own is indented like an enclosing block rather than the block it closes, that inner
/// block is the one left open (the usual slip: an item's `}` forgotten before its
/// section's).
fn unclosed_brace(text: &str) -> Option<usize> {
    let indent_of_line = |at: usize| {
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[start..];
        (start, line.len() - line.trim_start_matches([' ', '\t']).len())
    };
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut suspect = None;
    for (i, b) in braces(text) {
        if b == b'{' {
            open.push((i, indent_of_line(i).1));
            continue;
        }
        let Some((brace, indent)) = open.pop() else { continue };
        let (line_start, closing) = indent_of_line(i);
        let alone = line_start + closing == i;
        if alone && indent != closing && suspect.is_none() && open.iter().any(|(_, o)| *o == closing) {
            suspect = Some(brace);
        }
    }
    let last = open.last()?.0;
    Some(suspect.unwrap_or(last))
}

/// A syntax error as a diagnostic, and the offset in `text` where the parser stopped.
pub(super) fn syntax_error(file: FileId, text: &str, base: usize, error: &Error<Rule>) -> (Diagnostic, usize) {
    let mut offset = base + error_offset(error);
    let mut expected: Vec<String> = Vec::new();
    let mut operator = false;
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if is_operator(*rule) {
                operator = true;
                continue;
            }
            if let Some(d) = describe(*rule) {
                if !expected.iter().any(|e| e == d) {
                    expected.push(d.to_string());
                }
            }
        }
    }
    // A unit can follow any number: name it after the words that more likely went missing.
    const UNIT: &str = "a unit";
    if let Some(i) = expected.iter().position(|e| e == UNIT) {
        let unit = expected.remove(i);
        expected.push(unit);
    }
    if operator {
        expected.push("an operator".to_string());
    }
    let mut symbols = Vec::new();
    if let Some(attempts) = error.parse_attempts() {
        let tokens: Vec<String> = attempts.expected_tokens().iter().map(|t| t.to_string()).collect();
        let (tried_symbols, tried_words) = tried_tokens(&tokens);
        let furthest = skip_blank(text, base + attempts.max_position);
        let here = skip_blank(text, offset);
        if furthest > here && !tried_symbols.is_empty() {
            // The parser got further than any rule it names: it was waiting for a symbol.
            offset = furthest;
            expected = tried_words;
        }
        if furthest >= here {
            symbols = tried_symbols;
        }
    }
    for (i, symbol) in symbols.iter().enumerate() {
        if !expected.contains(symbol) {
            expected.insert(i.min(expected.len()), symbol.clone());
        }
    }
    if let Some(d) = recognised(file, text, offset, &expected) {
        return (d, offset);
    }
    let found = found_at(text, offset);
    let expected_text = match expected.len() {
        0 => String::new(),
        1 => expected[0].clone(),
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
    let mut span = Span::new(file, offset, offset + width);
    let mut label = "here";
    let word = found.trim_matches('`');
    let names_here = expected.iter().any(|e| {
        matches!(e.as_str(), "a name" | "an input field (`name: type`)" | "a variant name" | "a fact (`name: value`)")
    });
    let unclosed = if found == "end of file" { unclosed_brace(text) } else { None };
    // A `///` line directly above the error, where no declaration may follow it.
    let doc_above = text
        .get(..offset)
        .and_then(|before| before.trim_end().lines().last())
        .is_some_and(|l| l.trim_start().starts_with("///"));
    // `year2025`, `cap50`: an expected keyword with a number written against it (a name
    // after a keyword's letters, as `index` after `in`, is more likely a name).
    let glued = expected.iter().find_map(|e| {
        let keyword = e.strip_prefix('`')?.strip_suffix('`')?;
        let rest = word.strip_prefix(keyword).filter(|_| keyword.chars().all(|c| c.is_ascii_lowercase()))?;
        rest.starts_with(|c: char| c.is_ascii_digit()).then_some((keyword, rest))
    });
    let help = if found == "a doc comment" || doc_above && !names_here {
        "a doc comment (`///`) stands directly above a declaration, enum variant, input, item or rule; use `//` for any other comment".to_string()
    } else if let Some((keyword, rest)) = glued {
        format!("write a space after `{keyword}`: `{keyword} {rest}`")
    } else if KEYWORDS.contains(&word) && names_here {
        format!("`{word}` is a reserved word of the policy language; choose another name")
    } else if expected.iter().any(|e| e.starts_with("`else")) {
        "end the `when` chain with `else => …`, the points when no arm applies".to_string()
    } else if let Some(brace) = unclosed {
        // Point at the block left open rather than at the end of the file.
        span = Span::new(file, brace, brace + 1);
        label = "the file ends before this `{` is closed";
        "add the missing `}`; every `{` needs its own".to_string()
    } else if expected.iter().any(|e| e == "the `policy` header") {
        "a policy file starts with its header: `policy NAME \"TITLE\" { year 2025 effective 2025-01-01 standard 120 }`"
            .to_string()
    } else if expected.iter().any(|e| e == "a quoted label") {
        "labels and reasons are written in double quotes, e.g. \"年龄\"".to_string()
    } else if expected == ["end of file"] || expected.iter().any(|e| e.starts_with("`enum`")) {
        "a top-level declaration starts with enum, input, param, let, section, eligibility, vetoes, test, override or remove; check that every `{` before this point is closed".to_string()
    } else if found == "end of file" {
        "the file ends inside a block: add the missing `}`".to_string()
    } else if expected.iter().any(|e| e.starts_with("an amount")) {
        "name what is counted between `per` and `of`, e.g. `3 per year of si_months` or `10 per 100000 yuan of invest_tax_yuan`".to_string()
    } else if let [symbol] = symbols.as_slice() {
        format!("add {symbol} before {found}")
    } else {
        "see docs/language.md for the syntax of each declaration".to_string()
    };
    let mut d = Diagnostic::error(codes::SYNTAX, format!("syntax error: {message}"), span, label).with_help(help);
    if let Some((keyword, _)) = glued.filter(|_| text.get(offset..).is_some_and(|here| here.starts_with(word))) {
        let after = offset + keyword.len();
        d = d.with_fix(Span::new(file, after, after), " ");
    }
    (d, offset)
}

/// A character typed on a Chinese keyboard (or pasted from a document) that looks like a
/// symbol of the language but is not: its Unicode name, what it looks like, and what to
/// write instead (empty: delete it).
fn confusable(c: char) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match c {
        '，' => ("Fullwidth Comma", ",", ","),
        '、' => ("Ideographic Comma", ",", ","),
        '（' => ("Fullwidth Left Parenthesis", "(", "("),
        '）' => ("Fullwidth Right Parenthesis", ")", ")"),
        '：' => ("Fullwidth Colon", ":", ":"),
        '；' => ("Fullwidth Semicolon", ";", ""),
        '“' => ("Left Double Quotation Mark", "\"", "\""),
        '”' => ("Right Double Quotation Mark", "\"", "\""),
        '‘' => ("Left Single Quotation Mark", "'", "\""),
        '’' => ("Right Single Quotation Mark", "'", "\""),
        '＂' => ("Fullwidth Quotation Mark", "\"", "\""),
        '＇' => ("Fullwidth Apostrophe", "'", "\""),
        '【' => ("Left Black Lenticular Bracket", "[", "["),
        '】' => ("Right Black Lenticular Bracket", "]", "]"),
        '〔' => ("Left Tortoise Shell Bracket", "[", "["),
        '〕' => ("Right Tortoise Shell Bracket", "]", "]"),
        '［' => ("Fullwidth Left Square Bracket", "[", "["),
        '］' => ("Fullwidth Right Square Bracket", "]", "]"),
        '｛' => ("Fullwidth Left Curly Bracket", "{", "{"),
        '｝' => ("Fullwidth Right Curly Bracket", "}", "}"),
        '＝' => ("Fullwidth Equals Sign", "=", "="),
        '＞' => ("Fullwidth Greater-Than Sign", ">", ">"),
        '＜' => ("Fullwidth Less-Than Sign", "<", "<"),
        '《' => ("Left Double Angle Bracket", "<", "<"),
        '》' => ("Right Double Angle Bracket", ">", ">"),
        '≥' => ("Greater-Than Or Equal To", ">=", ">="),
        '≤' => ("Less-Than Or Equal To", "<=", "<="),
        '≠' => ("Not Equal To", "!=", "!="),
        '！' => ("Fullwidth Exclamation Mark", "!", "!"),
        '？' => ("Fullwidth Question Mark", "?", "?"),
        '＋' => ("Fullwidth Plus Sign", "+", "+"),
        '－' => ("Fullwidth Hyphen-Minus", "-", "-"),
        '—' => ("Em Dash", "-", "-"),
        '＊' => ("Fullwidth Asterisk", "*", "*"),
        '×' => ("Multiplication Sign", "*", "*"),
        '／' => ("Fullwidth Solidus", "/", "/"),
        '÷' => ("Division Sign", "/", "/"),
        '．' => ("Fullwidth Full Stop", ".", "."),
        '。' => ("Ideographic Full Stop", ".", "."),
        '｜' => ("Fullwidth Vertical Line", "|", "|"),
        '＿' => ("Fullwidth Low Line", "_", "_"),
        '％' => ("Fullwidth Percent Sign", "%", "%"),
        '　' => ("Ideographic Space", " ", " "),
        '０' => ("Fullwidth Digit Zero", "0", "0"),
        '１' => ("Fullwidth Digit One", "1", "1"),
        '２' => ("Fullwidth Digit Two", "2", "2"),
        '３' => ("Fullwidth Digit Three", "3", "3"),
        '４' => ("Fullwidth Digit Four", "4", "4"),
        '５' => ("Fullwidth Digit Five", "5", "5"),
        '６' => ("Fullwidth Digit Six", "6", "6"),
        '７' => ("Fullwidth Digit Seven", "7", "7"),
        '８' => ("Fullwidth Digit Eight", "8", "8"),
        '９' => ("Fullwidth Digit Nine", "9", "9"),
        _ => return None,
    })
}

/// Chinese unit words written after a number, and the unit jifen spells.
fn chinese_unit(rest: &str) -> Option<(&'static str, &'static str)> {
    [("个月", "months"), ("元", "yuan"), ("年", "years"), ("月", "months")].into_iter().find(|(word, _)| {
        // `5 年` but not `5 年龄`, a name after a number.
        rest.strip_prefix(word).is_some_and(|after| !after.starts_with(char::is_alphanumeric))
    })
}

/// Every character outside strings and comments that looks like a symbol of the language
/// and is not (`，` `（` `“` …), and every Chinese unit after a number (`12434 元`), each
/// as its own diagnostic with the replacement; and the text with each replaced by ASCII of
/// the same length in bytes (padded with spaces), to parse for the other mistakes with the
/// same offsets. Inside `"…"` Chinese punctuation is text and left alone; so is the text
/// between Chinese quotes, which becomes a label once they are replaced.
pub(super) fn confusables(file: FileId, text: &str) -> (Vec<Diagnostic>, String) {
    let mut found = Vec::new();
    let mut patched = String::new();
    let mut copied = 0;
    // Inside a string: the characters that end it (besides the end of the line).
    let mut closing: Option<&[char]> = None;
    let mut escaped = false;
    let mut after_number = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' {
            closing = None;
            after_number = false;
            continue;
        }
        if let Some(ends) = closing {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if ends.contains(&c) {
                closing = None;
            }
            if c == '"' || !ends.contains(&c) {
                continue;
            }
        } else if c == '"' {
            closing = Some(&['"'][..]);
            after_number = false;
            continue;
        } else if c == '/' && text[i..].starts_with("//") {
            // A comment: on to the end of the line.
            while chars.next_if(|(_, c)| *c != '\n').is_some() {}
            continue;
        }
        let mut replacement = None;
        if let Some((name, looks, with)) = confusable(c) {
            // Every one is replaced in the text; the first are reported, as other syntax errors.
            if found.len() < super::MAX_SYNTAX_ERRORS {
                let message = match looks {
                    "'" => format!("Unicode character '{c}' ({name}) looks like a single quote but it is not"),
                    _ => format!("Unicode character '{c}' ({name}) looks like '{looks}' but it is not"),
                };
                let help = match with {
                    "" => format!("delete it: jifen needs no `{looks}`"),
                    _ if looks != with => format!("replace it with `{with}`: labels are written in double quotes"),
                    _ => format!("replace it with `{with}`"),
                };
                let span = Span::new(file, i, i + c.len_utf8());
                found.push(
                    Diagnostic::error(codes::SYNTAX, message, span, format!("not `{looks}`"))
                        .with_help(help)
                        .with_fix(span, with),
                );
            }
            replacement = Some(with);
            match c {
                '“' | '‘' | '＂' | '＇' => closing = Some(&['”', '’', '"', '＂', '＇', '“', '‘'][..]),
                _ => closing = None,
            }
        } else if after_number {
            if let Some((word, unit)) = chinese_unit(&text[i..]) {
                let span = Span::new(file, i, i + word.len());
                if found.len() < super::MAX_SYNTAX_ERRORS {
                    found.push(
                        Diagnostic::error(
                            codes::SYNTAX,
                            format!("units are written in English: `{word}` is `{unit}`"),
                            span,
                            "unit in Chinese",
                        )
                        .with_help(format!("write `{unit}`"))
                        .with_fix(span, unit),
                    );
                }
                patched.push_str(&text[copied..i]);
                patched.push_str(&" ".repeat(word.len()));
                copied = i + word.len();
                while chars.next_if(|(j, _)| *j < copied).is_some() {}
                after_number = false;
                continue;
            }
        }
        if let Some(with) = replacement {
            patched.push_str(&text[copied..i]);
            let width = c.len_utf8();
            let ascii = if with.len() <= width { with } else { "" };
            patched.push_str(ascii);
            patched.push_str(&" ".repeat(width - ascii.len()));
            copied = i + width;
        }
        if c.is_ascii_digit() {
            after_number = true;
        } else if !(c == ' ' || c == '\t' || c == '.' || c == '_') {
            after_number = false;
        }
    }
    patched.push_str(&text[copied..]);
    (found, patched)
}

/// The quote on the line `line_start..` that opens a string no quote closes on that line.
fn unterminated_quote(text: &str, line_start: usize) -> Option<usize> {
    let line = text.get(line_start..)?.split('\n').next().unwrap_or("");
    let mut open = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match (open, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(_), '"') => open = None,
            (None, '"') => open = Some(line_start + i),
            (None, '/') if line[i..].starts_with("//") => return None,
            _ => {}
        }
    }
    open
}

/// The start of the line holding `offset`, and of the last line above it that is not blank.
fn line_starts(text: &str, offset: usize) -> (usize, Option<usize>) {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut above = start;
    while above > 0 {
        let prev = text[..above - 1].rfind('\n').map_or(0, |i| i + 1);
        if !text[prev..above].trim().is_empty() {
            return (start, Some(prev));
        }
        above = prev;
    }
    (start, None)
}

/// The innermost `{` before `offset` that is not closed before it, outside strings and
/// comments.
fn open_brace_before(text: &str, offset: usize) -> Option<usize> {
    let mut open = Vec::new();
    for (i, b) in braces(text).take_while(|(i, _)| *i < offset) {
        if b == b'{' {
            open.push(i);
        } else {
            open.pop();
        }
    }
    open.pop()
}

/// The offsets of the `{` and `}` of `text` outside strings and comments, with which it is.
fn braces(text: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    let bytes = text.as_bytes();
    bytes.iter().enumerate().filter_map(move |(i, &b)| {
        match b {
            b'\n' => (in_comment, in_string) = (false, false),
            _ if in_comment => {}
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ if in_string => {}
            b'/' if bytes.get(i + 1) == Some(&b'/') => in_comment = true,
            b'{' | b'}' => return Some((i, b)),
            _ => {}
        }
        None
    })
}

/// The indentation (in bytes) of the line that starts at `line_start`.
fn indent(text: &str, line_start: usize) -> usize {
    let line = &text[line_start..];
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// A mistake at `offset` recognised by what is written there, with the fix in the words of
/// the language, instead of a list of what the parser expected.
fn recognised(file: FileId, text: &str, offset: usize, expected: &[String]) -> Option<Diagnostic> {
    let rest = text.get(offset..)?;
    let before = text[..offset].trim_end_matches([' ', '\t']);
    let at = |len: usize| Span::new(file, offset, offset + len);
    let (line_start, above) = line_starts(text, offset);
    // An unterminated label takes what follows on its line, often the `{` that was needed.
    for start in std::iter::once(line_start).chain(above) {
        if let Some(quote) = unterminated_quote(text, start).filter(|q| *q < offset) {
            let line = text[quote..].split('\n').next().unwrap_or("");
            let d = Diagnostic::error(
                codes::UNTERMINATED_STRING,
                "unterminated string",
                Span::new(file, quote, quote + 1),
                "this string has no closing quote on its line",
            );
            let trimmed = line.trim_end();
            return Some(match trimmed.strip_suffix('{') {
                Some(label) if trimmed.len() > 1 => {
                    let end = quote + label.trim_end().len();
                    d.with_help(format!("close it before the `{{`: write `{}\" {{`", label.trim_end()))
                        .with_fix(Span::new(file, end, end), "\"")
                }
                _ => d
                    .with_help("add the closing `\"` before the end of the line")
                    .with_fix(Span::new(file, quote + trimmed.len(), quote + trimmed.len()), "\""),
            });
        }
    }
    let operator = expected.iter().any(|e| e == "an operator");
    let replaced = |written: &str, with: &str, message: String, help: String| {
        Some(
            Diagnostic::error(codes::SYNTAX, message, at(written.len()), format!("write `{}` here", with.trim()))
                .with_help(help)
                .with_fix(at(written.len()), with),
        )
    };
    if rest.starts_with("&&") {
        return replaced(
            "&&",
            "and",
            "`&&` is written `and`".into(),
            "write `and` in place of `&&`, e.g. `has_permit and age < 35`".into(),
        );
    }
    if rest.starts_with("||") {
        return replaced(
            "||",
            "or",
            "`||` is written `or`".into(),
            "write `or` in place of `||`, e.g. `age < 35 or has_permit`".into(),
        );
    }
    if rest.starts_with('!') && !rest.starts_with("!=") {
        let with = if rest[1..].starts_with([' ', '(']) { "not" } else { "not " };
        return replaced(
            "!",
            with,
            "`!` is written `not`".into(),
            "write `not` in place of `!`, e.g. `not has_permit`".into(),
        );
    }
    if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") && operator {
        return replaced(
            "=",
            "==",
            "`=` compares nothing here: write `==`".into(),
            "to compare two values write `==`, e.g. `education == bachelor`; a single `=` only gives a `param` or `let` its value".into(),
        );
    }
    // A number just before: `12,434`, `80%`, `12434 yuna`.
    let digits = before.len() - before.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '_').len();
    let number = &before[before.len() - digits..];
    if digits > 0 && number.starts_with(|c: char| c.is_ascii_digit()) {
        let number_start = before.len() - digits;
        if rest.starts_with(',') && before.len() == offset {
            // Groups of three digits after each comma.
            let mut end = offset;
            while text[end..].starts_with(',')
                && text[end + 1..].len() >= 3
                && text.as_bytes()[end + 1..end + 4].iter().all(u8::is_ascii_digit)
                && !text.as_bytes().get(end + 4).is_some_and(u8::is_ascii_digit)
            {
                end += 4;
            }
            if end > offset {
                let written = &text[number_start..end];
                let plain = written.replace(',', "");
                let span = Span::new(file, number_start, end);
                return Some(
                    Diagnostic::error(
                        codes::SYNTAX,
                        "numbers are written without thousands separators",
                        span,
                        "no `,` in a number",
                    )
                    .with_help(format!("write `{plain}` (no thousands separators)"))
                    .with_fix(span, plain),
                );
            }
        }
        if rest.starts_with('%') && before.len() == offset {
            let value = number.replace('_', "").parse::<rust_decimal::Decimal>().ok()?;
            let fraction = (value / rust_decimal::Decimal::ONE_HUNDRED).normalize().to_string();
            let span = Span::new(file, number_start, offset + 1);
            return Some(
                Diagnostic::error(codes::SYNTAX, "percentages are written as fractions", span, "no `%` in a number")
                    .with_help(format!(
                        "write `{fraction}`: {number}% is {number} hundredths, {number} / 100 = {fraction}"
                    ))
                    .with_fix(span, fraction),
            );
        }
    }
    // A name in Chinese.
    if rest.starts_with(|c: char| !c.is_ascii() && c.is_alphanumeric()) {
        let word: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').take(40).collect();
        let help = if expected.iter().any(|e| e == "a name") {
            "ids are written in ASCII letters, digits and `_` (e.g. `age_points`); put the Chinese name in the \
             label, e.g. `item age_points \"年龄分\"`"
        } else {
            "names are written in ASCII letters, digits and `_`: use the name of the input, param or `let` \
             (e.g. `age`), not its Chinese label"
        };
        return Some(
            Diagnostic::error(
                codes::SYNTAX,
                format!("`{word}` is not a name jifen can read"),
                at(word.len()),
                "an id in Chinese",
            )
            .with_help(help),
        );
    }
    // A declaration where a `}` was needed: the block above it was left open.
    let word: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if expected.iter().any(|e| e == "`}`") && starts_anew(&word) {
        let brace = open_brace_before(text, offset)?;
        let brace_line = text[..brace].rfind('\n').map_or(0, |i| i + 1);
        if indent(text, brace_line) < indent(text, line_start) {
            return None;
        }
        let close_at = text[..offset].trim_end().len();
        let pad = " ".repeat(indent(text, brace_line));
        return Some(
            Diagnostic::error(
                codes::SYNTAX,
                format!("this `{{` is not closed before `{word}`"),
                Span::new(file, brace, brace + 1),
                "this `{` is never closed",
            )
            .with_label(at(word.len()), format!("`{word}` starts here, still inside it"))
            .with_help(format!("add the missing `}}` before `{word}`"))
            .with_fix(Span::new(file, close_at, close_at), format!("\n{pad}}}")),
        );
    }
    None
}

/// Whether pest stopped on one of its own limits, not on a syntax error: the grammar raises
/// no custom errors. jifen builds pest without its stack probe and sets no call limit (the
/// nesting is bounded by [`check_nesting`] instead), so this holds only if a build turns
/// pest's probe back on.
pub(super) fn is_limit(error: &Error<Rule>) -> bool {
    matches!(error.variant, ErrorVariant::CustomError { .. })
}

/// E0407 for a parse that pest stopped because the text nests too deep for the stack
/// (a long chain of `when` nested in `when` arms; brackets are caught before parsing).
pub(super) fn too_deep_to_parse(file: FileId, text: &str, base: usize, error: &Error<Rule>) -> Diagnostic {
    let at = (base + error_offset(error)).min(text.len());
    let width = text.get(at..).and_then(|r| r.chars().next()).map_or(0, char::len_utf8);
    Diagnostic::error(
        codes::TOO_DEEP,
        "expression nested too deep to parse",
        Span::new(file, at, at + width),
        "the parser gave up here",
    )
    .with_help(
        "split the expression with `let` definitions, or write a long `when … else => when …` chain as one \
         `when` with several arms",
    )
}

/// A list of words, and the same as a `match` (compared by length first, many times quicker
/// than looking through the list for every name in a file).
macro_rules! words {
    ($(#[$doc:meta])* $list:ident, $is:ident: [$($word:literal),* $(,)?]) => {
        $(#[$doc])*
        #[cfg(test)] // The scan asks the `match`; the tests go through the list.
        const $list: &[&str] = &[$($word),*];
        fn $is(word: &str) -> bool {
            matches!(word, $($word)|*)
        }
    };
}

words! {
    /// Words after which an expression has ended and another thing begins: an open `when` or
    /// `match` of the expression before cannot go on past them. Each is a keyword, never a
    /// name (so never inside an expression): `deduction` and `plan`, which may be names, are
    /// not here.
    STARTS_ANEW, starts_anew: [
        "allow",
        "best_of",
        "cap",
        "eligibility",
        "enum",
        "expect",
        "extends",
        "given",
        "input",
        "item",
        "let",
        "override",
        "param",
        "policy",
        "remove",
        "require",
        "requires",
        "section",
        "test",
        "veto",
        "vetoes",
    ]
}

/// Words after which an operand may follow (operators and the keywords that open an
/// expression's part); after any other word or a number an operand has just ended.
fn before_operand(word: &str) -> bool {
    matches!(word, "and" | "else" | "in" | "match" | "not" | "of" | "or" | "per" | "when")
}

/// Reject nesting deeper than the parser's recursion can safely take, before parsing: pest
/// does not guard its own recursion (it is built without its stack probe, which costs a
/// check on every rule it tries), so this scan bounds it.
///
/// The parser recurses into an expression only through brackets — `(`, `[`, `{` — and
/// through `when` and `match`, which need none: `when a => 1 else => when …` and
/// `match match x { … } { … }`. Brackets are counted as they open and close. A `when` or
/// `match` counts one level where an operand may stand (after an operator, `=>`, a bracket,
/// the start of a declaration), never where one has just ended, where a `when` is the next
/// arm of the `when` around it. Its level is counted until the bracket it stands in closes
/// or a declaration keyword ends the expression — an over-estimate of how deep the parser
/// goes, never an under-estimate.
pub(super) fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    // `when`s and `match`es counted within each open bracket, innermost last.
    let mut open: Vec<usize> = vec![0];
    let mut keywords = 0usize;
    let mut after_operand = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        i += 1;
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            b'/' if bytes.get(i) == Some(&b'/') => {
                i = bytes[i..].iter().position(|&c| c == b'\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'"' => {
                // A string ends at its closing quote or at the end of the line; `\` escapes the
                // character after it, unless that ends the line.
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' => break,
                        b'\\' if bytes.get(i + 1).is_some_and(|&n| n != b'\n') => i += 2,
                        _ => i += 1,
                    }
                }
                after_operand = false;
            }
            b'(' | b'[' | b'{' => {
                if open.len() > MAX_NESTING {
                    return Some(
                        Diagnostic::error(
                            codes::TOO_DEEP,
                            format!("brackets nested more than {MAX_NESTING} deep"),
                            Span::new(file, start, start + 1),
                            "this bracket is too deep",
                        )
                        .with_help("split the expression with `let` definitions"),
                    );
                }
                open.push(0);
                after_operand = false;
            }
            b')' | b']' | b'}' => {
                if open.len() > 1 {
                    keywords -= open.pop().unwrap_or(0);
                }
                after_operand = true;
            }
            b'0'..=b'9' => {
                i += bytes[i..].iter().position(|c| !matches!(c, b'0'..=b'9' | b'_' | b'.')).unwrap_or(bytes.len() - i);
                after_operand = true;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                i += bytes[i..]
                    .iter()
                    .position(|c| !matches!(c, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_'))
                    .unwrap_or(bytes.len() - i);
                let word = &text[start..i];
                let Some(level) = open.last_mut() else { continue };
                let anew = starts_anew(word);
                if (word == "when" || word == "match") && !after_operand {
                    *level += 1;
                    keywords += 1;
                    if keywords > MAX_WHEN_NESTING {
                        return Some(
                            Diagnostic::error(
                                codes::TOO_DEEP,
                                format!("`when` and `match` nested more than {MAX_WHEN_NESTING} deep"),
                                Span::new(file, start, i),
                                "nested too deep to parse",
                            )
                            .with_help(
                                "split the expression with `let` definitions, or write a long \
                                 `when … else => when …` chain as one `when` with several arms",
                            ),
                        );
                    }
                } else if anew {
                    keywords -= std::mem::take(level);
                }
                after_operand = !anew && !before_operand(word);
            }
            _ => after_operand = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use pest::Parser;

    use super::super::{PolicyParser, Rule};
    use super::STARTS_ANEW;

    /// The nesting scan forgets the open `when`s at these words; were one of them a name,
    /// `when a => w + when …` could nest without end past the scan.
    #[test]
    fn no_word_that_ends_an_expression_can_be_a_name() {
        for word in STARTS_ANEW {
            let parsed = PolicyParser::parse(Rule::ident, word).map(|mut p| p.next().map(|p| p.as_str()));
            assert!(!matches!(parsed, Ok(Some(w)) if w == *word), "`{word}` parses as a name");
        }
        assert!(PolicyParser::parse(Rule::ident, "plan").is_ok(), "the check itself would see a name");
    }

    /// `min(30，age)`: the full-width comma is the 3 bytes at offset 6; the suggestion is
    /// `,` in its place, and the JSON view gives it as line 1, columns 7 to 8 (characters).
    #[test]
    fn a_look_alike_is_named_with_its_replacement() {
        let mut sources = crate::source::SourceMap::new();
        let text = "min(30，age)";
        let file = sources.add("x.policy", text);
        let (found, patched) = super::confusables(file, text);
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert_eq!(d.message, "Unicode character '，' (Fullwidth Comma) looks like ',' but it is not");
        assert_eq!(d.help.as_deref(), Some("replace it with `,`"));
        assert_eq!(d.fix, Some((crate::source::Span::new(file, 6, 9), ",".to_string())));
        // Same length in bytes, so every offset after it still holds.
        assert_eq!(patched, "min(30,  age)");
        let json = crate::diagnostic::Diagnostics { sources, list: found }.to_json();
        let value = serde_json::to_value(&json[0]).expect("serialisable");
        assert_eq!(value["fix"]["column"], 7);
        assert_eq!(value["fix"]["end_column"], 8);
        assert_eq!(value["fix"]["replacement"], ",");
    }

    /// Inside a label, between Chinese quotes (a label once they are replaced) and in a
    /// comment, Chinese punctuation is text: only the two Chinese quotes are reported.
    #[test]
    fn punctuation_in_labels_and_comments_is_text() {
        let text = "item a \"甲，乙（丙）：“丁”\" { 1 } // 注：，\nitem b “甲，乙” { 1 }";
        let (found, _) = super::confusables(crate::source::FileId::default(), text);
        let chars: Vec<&str> =
            found.iter().map(|d| &text[d.primary.span.start as usize..d.primary.span.end as usize]).collect();
        assert_eq!(chars, ["“", "”"]);
    }

    /// A file of nothing but full-width commas: every one is replaced, only the first
    /// `MAX_SYNTAX_ERRORS` are reported (no diagnostic per character of a huge file).
    #[test]
    fn look_alikes_reported_are_bounded() {
        let text = "，".repeat(100_000);
        let (found, patched) = super::confusables(crate::source::FileId::default(), &text);
        assert_eq!(found.len(), super::super::MAX_SYNTAX_ERRORS);
        assert_eq!(patched.len(), text.len());
        assert!(patched.is_ascii());
    }
}
