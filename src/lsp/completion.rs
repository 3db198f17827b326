//! Completion. The context is read from the text before the cursor, which rarely parses
//! while someone types; the names come from the last symbol index that was built.

use lsp_types::{CompletionItem, CompletionItemKind};

use super::index::{DefKind, RecordField, SymbolIndex};

const EXPRESSION: &[&str] = &["when", "else", "match", "per", "of", "and", "or", "not", "in", "true", "false"];
const FUNCTIONS: &[(&str, &str)] = &[
    ("min", "min(a, b, …): the smallest"),
    ("max", "max(a, b, …): the largest"),
    ("floor", "floor(x): round down"),
    ("to_months", "to_months(years)"),
    ("full_years", "full_years(months): whole years"),
    ("present", "present(optional_input): whether it was given"),
    ("points", "points(item): another item's points"),
];
const TYPES: &[&str] = &["int", "decimal", "bool", "date", "years", "months", "yuan"];
const UNITS: &[&str] = &["years", "months", "yuan"];
const TARGETS: &[&str] = &["total", "eligible", "vetoed", "meets_standard"];

/// What the text before the cursor says about the place being completed.
struct Context {
    /// The current line before the cursor, without strings and comments.
    line: String,
    /// The line of each `{` still open around the cursor, innermost last.
    blocks: Vec<String>,
}

impl Context {
    /// `None` inside a string or a comment.
    fn read(before: &str) -> Option<Context> {
        let mut line = String::new();
        let mut blocks = Vec::new();
        let mut chars = before.chars().peekable();
        let (mut in_string, mut in_comment) = (false, false);
        while let Some(c) = chars.next() {
            if c == '\n' {
                line.clear();
                (in_string, in_comment) = (false, false);
            } else if in_comment {
            } else if in_string {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => in_string = false,
                    _ => {}
                }
            } else {
                match c {
                    '"' => in_string = true,
                    '/' if chars.peek() == Some(&'/') => in_comment = true,
                    '{' => blocks.push(line.clone()),
                    '}' => {
                        blocks.pop();
                    }
                    _ => {}
                }
                if !in_string && !in_comment && c != '"' {
                    line.push(c);
                }
            }
        }
        (!in_string && !in_comment).then_some(Context { line, blocks })
    }

    /// The line before the word being typed, trimmed.
    fn before_word(&self) -> &str {
        self.line.trim_end_matches(is_ident_char).trim_end()
    }

    fn block_has(&self, word: &str) -> bool {
        self.blocks.last().is_some_and(|b| words(b).any(|w| w == word))
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_ident_char(c)).filter(|w| !w.is_empty())
}

fn last_word(text: &str) -> Option<&str> {
    let trimmed = text.trim_end();
    let start = trimmed.trim_end_matches(is_ident_char).len();
    Some(&trimmed[start..]).filter(|w| !w.is_empty())
}

/// Completions at the end of `before` (the document up to the cursor).
pub(crate) fn complete(before: &str, index: &SymbolIndex) -> Vec<CompletionItem> {
    let Some(cx) = Context::read(before) else { return Vec::new() };
    let prior = cx.before_word();
    let mut out = Completions { list: Vec::new(), index };
    if prior.ends_with("points(") || cx.block_has("best_of") || (prior.ends_with("item") && cx.line.contains("expect"))
    {
        out.defs(DefKind::Item, CompletionItemKind::FIELD, '0');
        return out.list;
    }
    if let Some(kind) = modified_kind(prior) {
        out.defs(kind, CompletionItemKind::REFERENCE, '0');
        return out.list;
    }
    let qualifier = prior.strip_suffix('.').and_then(last_word);
    // `p.` where `p` is the row of an aggregate on this line (`for p in periods`, `(p in periods`).
    if let Some(fields) = qualifier.and_then(|p| row_fields(&cx.line, p, index)) {
        for f in fields {
            let detail = Some(match &f.label {
                Some(l) => format!("{} · {l}", f.ty),
                None => f.ty.clone(),
            });
            out.push(&f.name, CompletionItemKind::FIELD, detail, '0');
        }
        return out.list;
    }
    if let Some(en) = qualifier.filter(|w| index.of_kind(DefKind::Enum).any(|d| d.name == *w)) {
        out.variants(en, '0');
        return out.list;
    }
    if prior.ends_with(|c: char| c.is_ascii_digit()) {
        UNITS.iter().for_each(|u| out.keyword(u, '0'));
        // The policy's own units, in both forms.
        for (plural, singular) in &index.units {
            out.keyword(plural, '0');
            if let Some(s) = singular {
                out.keyword(s, '0');
            }
        }
        out.keyword("per", '1');
        return out.list;
    }
    match cx.blocks.last().and_then(|b| last_word(b)) {
        None if !cx.line.contains('=') => {
            crate::syntax::TOP_LEVEL
                .iter()
                .filter(|k| k.starts_with(char::is_alphabetic))
                .for_each(|k| out.keyword(k, '0'));
            return out.list;
        }
        Some("input") if prior.ends_with(':') => {
            TYPES.iter().for_each(|t| out.keyword(t, '0'));
            index.units.iter().for_each(|(plural, _)| out.keyword(plural, '0'));
            out.defs(DefKind::Enum, CompletionItemKind::ENUM, '0');
            return out.list;
        }
        Some("input" | "enum") => return out.list,
        Some("given") => {
            match prior.strip_suffix(':').and_then(last_word) {
                Some(fact) => {
                    if let Some(en) = index.enum_of_value(fact) {
                        out.variants(en, '0');
                    }
                    ["true", "false", "absent"].iter().for_each(|k| out.keyword(k, '1'));
                }
                None => out.defs(DefKind::Input, CompletionItemKind::VARIABLE, '0'),
            }
            return out.list;
        }
        _ => {}
    }
    if cx.block_has("section") && !cx.block_has("item") {
        ["item", "best_of"].iter().for_each(|k| out.keyword(k, '0'));
        return out.list;
    }
    if cx.block_has("test") {
        ["given", "expect", "item"].iter().for_each(|k| out.keyword(k, '0'));
        TARGETS.iter().for_each(|k| out.keyword(k, '1'));
        return out.list;
    }
    let rules = [("eligibility", "require"), ("vetoes", "veto")];
    if let Some((_, keyword)) = rules.iter().find(|(block, _)| cx.block_has(block) && !cx.line.contains(':')) {
        out.keyword(keyword, '0');
        return out.list;
    }
    if let Some(en) = expected_enum(&cx, prior, index) {
        out.variants(en, '0');
        out.keyword("_", '1');
    }
    out.expression(cx.block_has("item"));
    out.list
}

/// After `override param`, `remove item` and the like: the kind of name that follows.
fn modified_kind(prior: &str) -> Option<DefKind> {
    let mut w = prior.split_whitespace().rev();
    let (kind, verb) = (w.next()?, w.next()?);
    if verb != "override" && verb != "remove" {
        return None;
    }
    Some(match kind {
        "item" => DefKind::Item,
        "param" => DefKind::Param,
        "require" => DefKind::Require,
        "veto" => DefKind::Veto,
        "test" => DefKind::Test,
        _ => return None,
    })
}

/// The enum whose variant probably comes next: after `x ==`, in `x in [`, or in a
/// pattern of `match x { … }`.
fn expected_enum<'i>(cx: &Context, prior: &str, index: &'i SymbolIndex) -> Option<&'i str> {
    if let Some(lhs) = prior.strip_suffix("==").or_else(|| prior.strip_suffix("!=")) {
        return index.enum_of_value(last_word(lhs)?);
    }
    if let Some(open) = prior.rfind('[').filter(|o| !prior[*o..].contains(']')) {
        let head = prior[..open].trim_end().strip_suffix("in")?;
        let head = head.trim_end();
        let head = head.strip_suffix("not").unwrap_or(head);
        return index.enum_of_value(last_word(head)?);
    }
    let block = cx.blocks.last()?;
    let scrutinee = &block[block.rfind("match")? + "match".len()..];
    if cx.line.contains("=>") {
        return None;
    }
    let scrutinee = scrutinee.trim();
    let position = if scrutinee.starts_with('(') { cx.line.matches(',').count() } else { 0 };
    let name = words(scrutinee).nth(position)?;
    index.enum_of_value(name)
}

struct Completions<'i> {
    list: Vec<CompletionItem>,
    index: &'i SymbolIndex,
}

impl Completions<'_> {
    fn push(&mut self, label: &str, kind: CompletionItemKind, detail: Option<String>, rank: char) {
        if self.list.iter().any(|c| c.label == label) {
            return;
        }
        self.list.push(CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail,
            sort_text: Some(format!("{rank}{label}")),
            ..CompletionItem::default()
        });
    }

    fn keyword(&mut self, word: &str, rank: char) {
        self.push(word, CompletionItemKind::KEYWORD, None, rank);
    }

    fn defs(&mut self, kind: DefKind, as_kind: CompletionItemKind, rank: char) {
        let found: Vec<(String, Option<String>)> =
            self.index.of_kind(kind).map(|d| (d.name.clone(), d.label.clone())).collect();
        for (name, label) in found {
            self.push(&name, as_kind, label, rank);
        }
    }

    fn variants(&mut self, enum_name: &str, rank: char) {
        let found: Vec<(String, Option<String>)> =
            self.index.variants_of(enum_name).map(|d| (d.name.clone(), d.label.clone())).collect();
        for (name, label) in found {
            let detail = Some(match label {
                Some(l) => format!("{enum_name} · {l}"),
                None => enum_name.to_string(),
            });
            self.push(&name, CompletionItemKind::ENUM_MEMBER, detail, rank);
        }
    }

    /// Everything an expression can use.
    fn expression(&mut self, in_item: bool) {
        self.defs(DefKind::Input, CompletionItemKind::VARIABLE, '1');
        self.defs(DefKind::Param, CompletionItemKind::CONSTANT, '1');
        self.defs(DefKind::Let, CompletionItemKind::VARIABLE, '1');
        for (name, detail) in FUNCTIONS {
            self.push(name, CompletionItemKind::FUNCTION, Some(detail.to_string()), '2');
        }
        self.defs(DefKind::Enum, CompletionItemKind::ENUM, '2');
        EXPRESSION.iter().for_each(|k| self.keyword(k, '3'));
        if in_item {
            ["requires", "allow", "cap"].iter().for_each(|k| self.keyword(k, '3'));
        }
    }
}

/// The fields of the record whose rows `var` runs over in `line` (`for var in LIST` or
/// `(var in LIST`); before the list is written (`sum(p.` comes before `for p in …`), the
/// fields of every record, if `var` names nothing else.
fn row_fields(line: &str, var: &str, index: &SymbolIndex) -> Option<Vec<RecordField>> {
    let bound = [format!("for {var} in "), format!("({var} in ")]
        .iter()
        .find_map(|head| line.split(head.as_str()).nth(1))
        .and_then(|rest| rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next())
        .and_then(|list| index.records.get(index.lists.get(list)?));
    if let Some(fields) = bound {
        return Some(fields.clone());
    }
    if index.records.is_empty() || index.defs.iter().any(|d| d.name == var) {
        return None;
    }
    let mut all: Vec<RecordField> = index.records.values().flatten().cloned().collect();
    all.sort();
    all.dedup_by(|a, b| a.name == b.name);
    Some(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"policy p "P" { year 2025 effective 2025-01-01 standard 10 }
enum Education { none "无" bachelor "本科" }
input { age: int 16..=70 "年龄", education: Education = none "学历" }
param wage = 100 yuan "工资"
record Period { months: months 0.. "月数", base: yuan 0.. "基数" }
input { periods: list of Period "社保" }
section basic "基础" {
    item age "年龄" { when age > 60 => 0 else => 1 }
    item education "教育" { match education { none => 0 bachelor => 60 } }
}
"#;

    /// The index the server builds of `text`: its declarations and the checker's names.
    fn index_of(name: &str, text: &str) -> SymbolIndex {
        let analysed = crate::analyse_with(name, text, &crate::MemoryLoader { files: Default::default() });
        let policy = analysed.merged.expect("parses");
        SymbolIndex::from_ast(&policy, &analysed.report.diagnostics.sources, None, analysed.resolved.as_ref())
    }

    fn labels(before: &str) -> Vec<String> {
        let index = index_of("p.policy", POLICY);
        let mut list = complete(before, &index);
        list.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
        list.into_iter().map(|c| c.label).collect()
    }

    #[test]
    fn points_offers_items_only() {
        assert_eq!(labels("section s \"S\" {\n item x \"X\" { points(ed"), ["age", "education"]);
    }

    #[test]
    fn a_match_on_an_enum_offers_its_variants_first() {
        let got = labels("section s \"S\" {\n item x \"X\" { match education {\n   ");
        assert_eq!(got[..2], ["bachelor", "none"]);
        assert!(got.contains(&"age".to_string()));
    }

    #[test]
    fn a_comparison_offers_the_variants_of_its_left_side() {
        let got = labels("let x = education == ");
        assert_eq!(got[..2], ["bachelor", "none"]);
    }

    #[test]
    fn top_level_offers_declarations_and_nothing_in_strings() {
        assert!(labels("\nsec").contains(&"section".to_string()));
        assert!(labels("item x \"ab").is_empty());
        assert!(labels("// a comment ").is_empty());
    }

    #[test]
    fn an_enum_name_and_a_dot_offers_its_variants_only() {
        assert_eq!(labels("let x = Education.ba"), ["bachelor", "none"]);
    }

    #[test]
    fn a_type_after_a_colon_in_input() {
        let got = labels("input {\n  x: ");
        assert!(got.contains(&"int".to_string()) && got.contains(&"Education".to_string()));
    }

    #[test]
    fn declared_units_are_offered_after_a_number_and_as_types() {
        let text = "policy p \"p\" {\n}\nunit hours / hour \"小时\"\ninput { h: hours 0.. \"时长\" }\n";
        let index = index_of("u.policy", text);
        let labels = |before: &str| complete(before, &index).into_iter().map(|c| c.label).collect::<Vec<_>>();
        let after_number = labels("let x = h >= 50 ");
        for unit in ["hours", "hour", "months", "yuan"] {
            assert!(after_number.contains(&unit.to_string()), "{unit} missing from {after_number:?}");
        }
        let types = labels("input {\n  y: ");
        assert!(types.contains(&"hours".to_string()) && types.contains(&"date".to_string()), "{types:?}");
        assert!(!types.contains(&"hour".to_string()), "a type is the plural: {types:?}");
    }

    #[test]
    fn a_row_and_a_dot_offers_its_record_fields() {
        assert_eq!(labels("let x = count(p in periods where p."), ["base", "months"]);
        // Before `for p in periods` is written, the fields of every record.
        assert_eq!(labels("let x = sum(p."), ["base", "months"]);
        assert_eq!(labels("let x = Education.ba"), ["bachelor", "none"]);
    }

    #[test]
    fn a_list_input_and_a_record_hover_with_their_fields() {
        let index = index_of("p.policy", POLICY);
        let hover = |kind, name: &str| {
            index.of_kind(kind).find(|d| d.name == name).map(|d| d.hover.clone()).unwrap_or_default()
        };
        // Each field: its name, its type and range as declared, its label.
        let list = hover(DefKind::Input, "periods");
        assert!(list.contains("list of Period") && list.contains("- `months`: months 0.. · 月数"), "{list}");
        let record = hover(DefKind::Record, "Period");
        assert!(record.contains("base: yuan 0.. \"基数\""), "{record}");
        let field = hover(DefKind::Field, "base");
        assert!(field.contains("**基数** · field `base` of record `Period`"), "{field}");
    }

    #[test]
    fn a_field_completion_names_its_type_and_label() {
        let index = index_of("p.policy", POLICY);
        let got = complete("let x = sum(p.", &index);
        let details: Vec<(String, Option<String>)> = got.into_iter().map(|c| (c.label, c.detail)).collect();
        assert!(details.contains(&("months".to_string(), Some("months 0.. · 月数".to_string()))), "{details:?}");
    }
}
