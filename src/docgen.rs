//! The indicator table of a compiled policy, for people: Markdown or a standalone HTML page.
//!
//! The page is built once as a small document model (headings, paragraphs, tables of
//! cells made of lines of spans) from the [`RuleSet`]; [`markdown`] and [`html`] are two
//! views of it. Rules are printed from the IR by the one printer of policy syntax
//! ([`Printer::for_readers`]: yearly parameters with their value, enum variants by their
//! Chinese label), one line per arm of a rule's `when` or `match`.

use crate::rules::print::{quantity, Printer};
use crate::rules::{InputDef, InputType, ItemDef, ParamDef, RuleDef, RuleSet, SectionDef, Value};

/// The indicator table as Markdown (GitHub-flavoured: tables, `<br>` inside cells).
pub fn markdown(rs: &RuleSet) -> String {
    let mut out = String::new();
    for block in document(rs) {
        block.write_markdown(&mut out);
    }
    // One trailing newline, so the committed file diffs cleanly.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The indicator table as a standalone HTML page: UTF-8, inline CSS, no external resources.
pub fn html(rs: &RuleSet) -> String {
    let title = escape_html(&format!("{} {}", rs.title, rs.year));
    let mut body = String::new();
    for block in document(rs) {
        block.write_html(&mut body);
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    )
}

const STYLE: &str = "body { font-family: system-ui, -apple-system, \"PingFang SC\", \"Noto Sans CJK SC\", \
\"Microsoft YaHei\", sans-serif; margin: 0; color: #1f2328; background: #fff; line-height: 1.5; }
main { max-width: 80rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.8rem; border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .8rem 0; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .35rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
tr:nth-child(even) td { background: #fbfcfd; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; \
background: #eff1f3; padding: .1em .3em; border-radius: 4px; }
p.note { color: #59636e; font-size: .9rem; }
@media print { main { max-width: none; padding: 0; } tr { break-inside: avoid; } }
";

// ------------------------------------------------------------------ document model

/// A run of text.
enum Span {
    Text(String),
    Code(String),
    Strong(String),
}

/// One line of a paragraph or a table cell.
type Line = Vec<Span>;

/// A table cell: lines shown one under the other.
type Cell = Vec<Line>;

enum Block {
    Heading(u8, Line),
    Para(Line),
    /// A paragraph in a quieter style (generated-file note).
    Note(Line),
    Table {
        head: &'static [&'static str],
        rows: Vec<Vec<Cell>>,
    },
}

fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

fn code(s: impl Into<String>) -> Span {
    Span::Code(s.into())
}

fn strong(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}

/// A cell of one line of plain text.
fn cell(s: impl Into<String>) -> Cell {
    vec![vec![text(s)]]
}

impl Block {
    fn write_markdown(&self, out: &mut String) {
        match self {
            Block::Heading(level, line) => {
                out.push_str(&"#".repeat(usize::from(*level)));
                out.push(' ');
                out.push_str(&md_line(line));
                out.push_str("\n\n");
            }
            Block::Para(line) => {
                out.push_str(&md_line(line));
                out.push_str("\n\n");
            }
            Block::Note(line) => {
                out.push_str(&format!("_{}_\n\n", md_line(line)));
            }
            Block::Table { head, rows } => {
                out.push_str(&format!("| {} |\n", head.join(" | ")));
                out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                for row in rows {
                    let cells: Vec<String> =
                        row.iter().map(|c| c.iter().map(|l| md_line(l)).collect::<Vec<_>>().join("<br>")).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                out.push('\n');
            }
        }
    }

    fn write_html(&self, out: &mut String) {
        match self {
            Block::Heading(level, line) => out.push_str(&format!("<h{level}>{}</h{level}>\n", html_line(line))),
            Block::Para(line) => out.push_str(&format!("<p>{}</p>\n", html_line(line))),
            Block::Note(line) => out.push_str(&format!("<p class=\"note\">{}</p>\n", html_line(line))),
            Block::Table { head, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for h in head.iter() {
                    out.push_str(&format!("<th>{}</th>", escape_html(h)));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for c in row {
                        let lines: Vec<String> = c.iter().map(|l| html_line(l)).collect();
                        out.push_str(&format!("<td>{}</td>", lines.join("<br>")));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
}

fn md_line(line: &[Span]) -> String {
    line.iter()
        .map(|span| match span {
            Span::Text(s) => escape_md(s),
            Span::Code(s) if !s.contains('`') && !s.contains('|') && !s.is_empty() => format!("`{s}`"),
            Span::Code(s) => escape_md(s),
            Span::Strong(s) => format!("**{}**", escape_md(s)),
        })
        .collect()
}

fn html_line(line: &[Span]) -> String {
    line.iter()
        .map(|span| match span {
            Span::Text(s) => escape_html(s),
            Span::Code(s) => format!("<code>{}</code>", escape_html(s)),
            Span::Strong(s) => format!("<strong>{}</strong>", escape_html(s)),
        })
        .collect()
}

/// Text safe inside a Markdown table cell: no `|` that ends the cell, no `<` that opens a
/// tag, no line break. Comparisons such as `age < 60` stay readable.
fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push_str("\\|"),
            '\\' => out.push_str("\\\\"),
            '<' if chars.peek().is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) => {
                out.push_str("&lt;")
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text made safe for HTML content and attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A doc comment as one paragraph: its lines are wrapping, not structure.
fn prose(doc: &str) -> String {
    doc.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

// ------------------------------------------------------------------ the page

fn document(rs: &RuleSet) -> Vec<Block> {
    let printer = Printer::for_readers(rs);
    let mut blocks = vec![
        Block::Heading(1, vec![text(format!("{} {}", rs.title, rs.year))]),
        Block::Note(vec![
            text("Generated by "),
            code("jifen doc"),
            text(" from the compiled policy; change the policy, not this file."),
        ]),
    ];
    if let Some(doc) = &rs.doc {
        blocks.push(Block::Para(vec![text(prose(doc))]));
    }
    blocks.push(header_table(rs));
    blocks.push(standard_para(rs));
    // The units the policy declares; the language's own (years, months, yuan) go unsaid.
    let declared = rs.units.iter().skip(crate::check::units::prelude().len());
    let rows: Vec<Vec<Cell>> = declared
        .map(|u| {
            vec![
                vec![vec![code(&*u.name)]],
                vec![vec![code(&*u.singular)]],
                cell(u.label.as_deref().unwrap_or("")),
                cell(if u.decimal { "exact decimals" } else { "whole numbers" }),
                cell(u.doc.as_deref().map(prose).unwrap_or_default()),
            ]
        })
        .collect();
    if !rows.is_empty() {
        blocks.push(Block::Heading(2, vec![text("Units")]));
        blocks.push(Block::Table { head: &["Unit", "Singular", "Label", "Quantities", "Notes"], rows });
    }
    if !rs.params.is_empty() {
        blocks.push(Block::Heading(2, vec![text("Yearly parameters")]));
        let rows = rs.params.iter().map(|p| param_row(rs, p)).collect();
        blocks.push(Block::Table { head: &["Parameter", "Value", "Label", "Notes"], rows });
    }
    // Sections that add points first, then deductions, as in the indicator table.
    let (adding, deducting): (Vec<&SectionDef>, Vec<&SectionDef>) = rs.sections.iter().partition(|s| !s.deduction);
    for section in adding.into_iter().chain(deducting) {
        section_blocks(rs, &printer, section, &mut blocks);
    }
    rule_blocks(rs, &printer, &mut blocks);
    if !rs.outputs.is_empty() {
        blocks.push(Block::Heading(2, vec![text("Outputs")]));
        blocks.push(Block::Para(vec![text("Values computed for each applicant and shown with the score.")]));
        let rows = rs
            .outputs
            .iter()
            .map(|o| {
                let label = o.label.as_deref().unwrap_or("");
                let notes = o.doc.as_deref().map(prose).unwrap_or_default();
                vec![vec![vec![code(&*o.name)]], cell(label), cell(printer.expr(&o.value)), cell(notes)]
            })
            .collect();
        blocks.push(Block::Table { head: &["Output", "Label", "Value", "Notes"], rows });
    }
    rank_blocks(rs, &mut blocks);
    input_blocks(rs, &mut blocks);
    blocks
}

/// The policy's `rank` declaration in words.
fn rank_blocks(rs: &RuleSet, blocks: &mut Vec<Block>) {
    let Some(def) = &rs.rank else { return };
    blocks.push(Block::Heading(2, vec![text(def.label.clone().unwrap_or_else(|| "Ranking".to_string()))]));
    let mut line = vec![text("Eligible applicants to whom no veto applies and who meet the standard are ranked by ")];
    match def.section.and_then(|s| rs.sections.get(s as usize)) {
        Some(section) => {
            line.extend([text("the points of section "), code(&*section.id), text(format!(" ({})", section.label))])
        }
        None => line.push(text("the total")),
    }
    for tie in &def.then {
        let input = &rs.inputs[tie.slot as usize];
        let order = if tie.descending { "larger first" } else { "smaller first" };
        line.extend([text(", then by "), code(&*input.name), text(format!(" ({order})"))]);
    }
    line.push(text("; identical keys share a rank."));
    if let Some(quota) = def.quota {
        line.push(text(match def.admit_ties {
            true => format!(" The first {quota} are admitted, and everyone tied with the {quota}th."),
            false => format!(" Exactly the first {quota} are admitted; among equal keys, input order decides."),
        }));
    }
    blocks.push(Block::Para(line));
}

fn header_table(rs: &RuleSet) -> Block {
    let extends = match &rs.extends {
        Some(parent) => vec![vec![code(parent)]],
        None => cell("—"),
    };
    let row = vec![
        vec![vec![code(&*rs.id)]],
        cell(&rs.title),
        cell(rs.year.to_string()),
        cell(&rs.effective),
        cell(rs.standard.map_or("—".to_string(), |s| rs.show_points(s))),
        extends,
    ];
    Block::Table { head: &["Policy id", "Title", "Year", "Effective", "Standard score", "Extends"], rows: vec![row] }
}

fn standard_para(rs: &RuleSet) -> Block {
    let mut line = vec![text(match rs.standard {
        Some(s) => format!(
            "An eligible applicant to whom no veto applies meets the standard with a total of at least {} points.",
            rs.show_points(s)
        ),
        None => "This policy has no standard: an eligible applicant to whom no veto applies qualifies.".to_string(),
    })];
    if let Some(floor) = rs.floor {
        line.push(text(format!(" The total never goes below {} points.", rs.show_points(floor))));
    }
    if let Some(parent) = &rs.extends {
        line.extend([text(" Everything this policy does not restate is inherited from "), code(parent), text(".")]);
    }
    Block::Para(line)
}

fn param_row(rs: &RuleSet, p: &ParamDef) -> Vec<Cell> {
    vec![
        vec![vec![code(&*p.name)]],
        cell(quantity(rs, p.value, p.unit)),
        cell(p.label.as_deref().unwrap_or("")),
        cell(p.doc.as_deref().map(prose).unwrap_or_default()),
    ]
}

fn section_blocks(rs: &RuleSet, printer: &Printer<'_>, section: &SectionDef, blocks: &mut Vec<Block>) {
    let kind = if section.deduction { " — deductions" } else { "" };
    blocks.push(Block::Heading(
        2,
        vec![text(format!("{} (", section.label)), code(&*section.id), text(format!("){kind}"))],
    ));
    let mut about = match section.cap {
        Some(cap) => format!("The section counts at most {cap} points."),
        None => "No cap on the section's total.".to_string(),
    };
    if section.deduction {
        about.push_str(" Its points are negative and are subtracted from the total.");
    }
    blocks.push(Block::Para(vec![text(about)]));
    let rows = section
        .items
        .iter()
        .filter_map(|&i| rs.items.get(usize::from(i)))
        .map(|item| item_row(rs, printer, item))
        .collect();
    blocks.push(Block::Table { head: &["Item", "Id", "Points", "Cap", "Conditions", "Statute and notes"], rows });
    // Exclusive groups are described under the section of their first member.
    for group in &rs.groups {
        let first = group.members.first().and_then(|&m| rs.items.get(usize::from(m)));
        if first.is_none_or(|f| rs.sections.get(usize::from(f.section)).map(|s| &s.id) != Some(&section.id)) {
            continue;
        }
        let members: Vec<String> = group.members.iter().map(|&m| item_name(rs, m)).collect();
        let mut line = vec![strong(pick_one(group.members.len()))];
        if let Some(label) = &group.label {
            line.push(text(format!(" {label}")));
        }
        line.extend([text(" ("), code(&*group.id), text(format!("): {} — the higher counts", members.join(", ")))]);
        if let Some(&first) = group.members.first() {
            line.push(text(format!("; on a tie, {}.", item_name(rs, first))));
        }
        blocks.push(Block::Para(line));
    }
    for group in rs.caps.iter().filter(|g| rs.sections.get(usize::from(g.section)).map(|s| &s.id) == Some(&section.id))
    {
        let members: Vec<String> = group.members.iter().map(|&m| item_name(rs, m)).collect();
        let mut line = vec![strong("合计上限")];
        if let Some(label) = &group.label {
            line.push(text(format!(" {label}")));
        }
        line.extend([
            text(" ("),
            code(&*group.id),
            text(format!("): {} together count at most {} points.", members.join(", "), group.cap)),
        ]);
        blocks.push(Block::Para(line));
    }
}

/// "二选一" for a group of two, "三选一" for three, …
fn pick_one(members: usize) -> String {
    const DIGITS: [&str; 11] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    match DIGITS.get(members) {
        Some(d) => format!("{d}选一"),
        None => format!("{members}选一"),
    }
}

fn item_name(rs: &RuleSet, index: u16) -> String {
    rs.items.get(usize::from(index)).map(|i| format!("{} ({})", i.label, i.id)).unwrap_or_default()
}

fn item_row(rs: &RuleSet, printer: &Printer<'_>, item: &ItemDef) -> Vec<Cell> {
    let mut conditions: Cell = item
        .preconditions
        .iter()
        .map(|p| vec![strong("requires"), text(format!(" {} — {}", printer.expr(&p.condition), p.reason))])
        .collect();
    if let Some(group) = item.group.and_then(|g| rs.groups.get(usize::from(g))) {
        let others: Vec<String> = group
            .members
            .iter()
            .filter(|&&m| rs.items.get(usize::from(m)).map(|i| &i.id) != Some(&item.id))
            .map(|&m| rs.items.get(usize::from(m)).map(|i| i.id.to_string()).unwrap_or_default())
            .collect();
        conditions.push(vec![
            strong(pick_one(group.members.len())),
            text(format!(" with {} — the higher counts", others.join(", "))),
        ]);
    }
    vec![
        cell(&*item.label),
        vec![vec![code(&*item.id)]],
        printer.lines(&item.body).into_iter().map(|line| vec![text(line)]).collect(),
        cell(item.cap.map(|c| c.to_string()).unwrap_or_else(|| "—".to_string())),
        conditions,
        cell(item.doc.as_deref().map(prose).unwrap_or_default()),
    ]
}

fn rule_blocks(rs: &RuleSet, printer: &Printer<'_>, blocks: &mut Vec<Block>) {
    let rows = |rules: &[RuleDef]| -> Vec<Vec<Cell>> {
        rules
            .iter()
            .map(|r| vec![vec![vec![code(&*r.id)]], cell(printer.expr(&r.condition)), cell(&*r.reason)])
            .collect()
    };
    if !rs.vetoes.is_empty() {
        blocks.push(Block::Heading(2, vec![text("Vetoes (一票否决)")]));
        blocks.push(Block::Para(vec![text(
            "An applicant to whom any of these applies cannot apply, whatever the score.",
        )]));
        blocks.push(Block::Table { head: &["Veto", "Applies when", "Reason"], rows: rows(&rs.vetoes) });
    }
    if !rs.eligibility.is_empty() {
        blocks.push(Block::Heading(2, vec![text("Eligibility (申请条件)")]));
        blocks.push(Block::Para(vec![text("Every requirement must hold for the applicant to be eligible.")]));
        blocks.push(Block::Table { head: &["Requirement", "Holds when", "Reason"], rows: rows(&rs.eligibility) });
    }
}

fn input_blocks(rs: &RuleSet, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading(2, vec![text("Inputs")]));
    blocks.push(Block::Para(vec![text("The facts an applicant gives, by name (the keys of an applicant file).")]));
    let rows = rs.inputs.iter().map(|i| input_row(rs, i)).collect();
    blocks.push(Block::Table { head: &["Input", "Type", "Range", "Default", "Label"], rows });
    if rs.enums.is_empty() {
        return;
    }
    blocks.push(Block::Heading(3, vec![text("Values")]));
    let rows = rs
        .enums
        .iter()
        .map(|e| {
            let mut values: Line = Vec::new();
            for (n, v) in e.variants.iter().enumerate() {
                if n > 0 {
                    values.push(text(" · "));
                }
                values.push(code(&*v.name));
                if let Some(label) = &v.label {
                    values.push(text(format!(" {label}")));
                }
            }
            vec![vec![vec![code(&*e.name)]], vec![values]]
        })
        .collect();
    blocks.push(Block::Table { head: &["Type", "Values"], rows });
}

fn input_row(rs: &RuleSet, input: &InputDef) -> Vec<Cell> {
    let ty = match input.ty {
        InputType::List { record, max } => {
            let record = rs.records.get(usize::from(record));
            let fields: Vec<String> = record
                .map(|r| r.fields.iter().map(|f| format!("{}: {}", f.name, field_type(rs, f))).collect())
                .unwrap_or_default();
            let name = record.map(|r| r.name.to_string()).unwrap_or_default();
            format!("list of {name} (at most {max} rows; each {{ {} }})", fields.join(", "))
        }
        ty => type_text(rs, ty),
    };
    let range = match (input.min, input.max) {
        (Some(lo), Some(hi)) => format!("{}–{}", lo.normalize(), hi.normalize()),
        (Some(lo), None) => format!("≥ {}", lo.normalize()),
        (None, Some(hi)) => format!("≤ {}", hi.normalize()),
        (None, None) => String::new(),
    };
    let default = match input.default {
        Some(Value::Enum(v)) => {
            let name = rs.show_value(input.ty, Value::Enum(v));
            let en = match input.ty {
                InputType::Enum(e) => Some(e),
                _ => None,
            };
            let label = Printer::for_readers(rs).value(Value::Enum(v), None, en);
            if label == name {
                name
            } else {
                format!("{name} ({label})")
            }
        }
        Some(d) => rs.show_value(input.ty, d),
        None if input.optional => "may be left out".to_string(),
        None => "required".to_string(),
    };
    vec![
        vec![vec![code(&*input.name)]],
        cell(ty),
        cell(range),
        cell(default),
        cell(input.label.as_deref().unwrap_or("")),
    ]
}

/// A type in words: a unit, "whole number", an enum's name, "date (YYYY-MM-DD)".
fn type_text(rs: &RuleSet, ty: InputType) -> String {
    match ty {
        InputType::Int { unit: Some(u) } | InputType::Decimal { unit: Some(u) } => rs.unit_name(u).to_string(),
        InputType::Int { unit: None } => "whole number".to_string(),
        InputType::Decimal { unit: None } => "number".to_string(),
        InputType::Bool => "true/false".to_string(),
        InputType::Enum(e) => rs.enums.get(usize::from(e)).map(|e| e.name.to_string()).unwrap_or_default(),
        InputType::Date => "date (YYYY-MM-DD)".to_string(),
        InputType::List { .. } => "list".to_string(),
    }
}

/// A record field's type, as `input_row` writes an input's.
fn field_type(rs: &RuleSet, f: &InputDef) -> String {
    let ty = type_text(rs, f.ty);
    if f.optional {
        format!("{ty}?")
    } else {
        ty
    }
}
