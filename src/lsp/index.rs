//! The symbol index: every name the policy declares, where, and what it means, built
//! from the merged AST (so a child policy sees its parent's definitions), and every
//! place a name is used, as the checker resolved it ([`crate::check::Resolved`]): the
//! server does not resolve names itself. Hover, go to definition and completion read it.

use std::collections::HashMap;

use crate::check::{PointsRange, Resolved};
use crate::rules::RuleSet;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefKind {
    Input,
    Param,
    Let,
    Enum,
    Variant,
    Section,
    Item,
    Group,
    Require,
    Veto,
    Test,
    Record,
    /// A field of a record.
    Field,
}

/// A field of a record as declared: `months: months 0..=600 "月数"`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RecordField {
    pub name: String,
    /// Its type and range as written: `months 0..=600`, `date?`.
    pub ty: String,
    pub label: Option<String>,
}

impl RecordField {
    /// "- `months`: months 0..=600 · 月数", a line of a hover.
    pub(crate) fn line(&self) -> String {
        match &self.label {
            Some(l) => format!("- `{}`: {} · {l}", self.name, self.ty),
            None => format!("- `{}`: {}", self.name, self.ty),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Definition {
    pub kind: DefKind,
    pub name: String,
    /// The name where it is declared.
    pub span: Span,
    /// The label written after it, if any.
    pub label: Option<String>,
    /// Markdown shown on hover.
    pub hover: String,
    /// For a variant its enum; for an input, param or let, the enum of its values.
    pub enum_name: Option<String>,
}

/// A use (or the declaration) of a name, resolved to its definition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reference {
    pub span: Span,
    pub def: usize,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SymbolIndex {
    pub defs: Vec<Definition>,
    refs: Vec<Reference>,
    /// Each record's fields, with their types and labels.
    pub records: HashMap<String, Vec<RecordField>>,
    /// The record of each list input.
    pub lists: HashMap<String, String>,
    /// The units the policy declares (`unit hours / hour`): (plural, singular).
    pub units: Vec<(String, Option<String>)>,
}

impl SymbolIndex {
    /// Index a policy: its declarations from the AST, its uses of names as the checker
    /// resolved them (`resolved`; without it only the declarations themselves are found);
    /// `ruleset` (when it compiled) gives the items' points ranges.
    pub(crate) fn from_ast(
        policy: &PolicyFile,
        sources: &SourceMap,
        ruleset: Option<&RuleSet>,
        resolved: Option<&Resolved>,
    ) -> SymbolIndex {
        let ranges: HashMap<String, PointsRange> = match ruleset {
            Some(rs) => rs.items.iter().map(|i| i.id.to_string()).zip(crate::check::item_points(rs)).collect(),
            None => HashMap::new(),
        };
        // Each item's rule as compiled (`let`s substituted), in policy syntax.
        let compiled: HashMap<String, String> = match ruleset {
            Some(rs) => {
                let printer = crate::rules::print::Printer::new(rs);
                rs.items.iter().map(|i| (i.id.to_string(), printer.expr(&i.body))).collect()
            }
            None => HashMap::new(),
        };
        let mut builder = Builder { sources: Some(sources), ranges, compiled, ..Builder::default() };
        let decls = flatten(&policy.decls);
        // Records first: a list input's hover shows its record's fields, wherever declared.
        for decl in &decls {
            match decl {
                Decl::Record(r) => builder.declare_record(r),
                Decl::Unit(u) => {
                    builder.index.units.push((u.name.name.clone(), u.singular.as_ref().map(|s| s.name.clone())))
                }
                _ => {}
            }
        }
        for decl in &decls {
            builder.declare(decl);
        }
        if let Some(resolved) = resolved {
            builder.index.resolve(resolved);
        }
        builder.index
    }

    /// Every use the checker resolved, to the definition declared where it points; and
    /// the enum of each value, which the checker worked out (a `let`'s too).
    fn resolve(&mut self, resolved: &Resolved) {
        let mut declared_at: HashMap<Span, usize> = HashMap::with_capacity(self.defs.len());
        for (def, d) in self.defs.iter().enumerate() {
            declared_at.entry(d.span).or_insert(def);
        }
        for (used, declared) in &resolved.uses {
            if let Some(&def) = declared_at.get(declared) {
                self.refs.push(Reference { span: *used, def });
            }
        }
        for (declared, enum_name) in &resolved.enums {
            if let Some(&def) = declared_at.get(declared) {
                self.defs[def].enum_name = Some(enum_name.clone());
            }
        }
    }

    /// The name at `offset` of `file` and its definition.
    pub(crate) fn at(&self, file: FileId, offset: u32) -> Option<(Span, &Definition)> {
        self.refs
            .iter()
            .filter(|r| r.span.file == file && r.span.start <= offset && offset <= r.span.end)
            .min_by_key(|r| r.span.len())
            .map(|r| (r.span, &self.defs[r.def]))
    }

    pub(crate) fn of_kind(&self, kind: DefKind) -> impl Iterator<Item = &Definition> {
        self.defs.iter().filter(move |d| d.kind == kind)
    }

    /// The enum whose values an input, param or let holds.
    pub(crate) fn enum_of_value(&self, name: &str) -> Option<&str> {
        self.defs
            .iter()
            .find(|d| matches!(d.kind, DefKind::Input | DefKind::Param | DefKind::Let) && d.name == name)
            .and_then(|d| d.enum_name.as_deref())
    }

    pub(crate) fn variants_of<'a>(&'a self, enum_name: &'a str) -> impl Iterator<Item = &'a Definition> {
        self.of_kind(DefKind::Variant).filter(move |d| d.enum_name.as_deref() == Some(enum_name))
    }
}

/// Declarations with `override`s unwrapped: in a merged AST there are none, but the
/// index of a file whose parent cannot be loaded is built from the file alone.
fn flatten(decls: &[Decl]) -> Vec<Decl> {
    decls
        .iter()
        .map(|d| match d {
            Decl::Override(Override::Param(p)) => Decl::Param(p.clone()),
            Decl::Override(Override::Require(r)) => Decl::Eligibility(vec![r.clone()]),
            Decl::Override(Override::Veto(r)) => Decl::Vetoes(vec![r.clone()]),
            Decl::Override(Override::Test(t)) => Decl::Test(t.clone()),
            Decl::Override(Override::Item(i)) => Decl::Section(SectionDecl {
                docs: None,
                name: Ident { name: String::new(), span: i.name.span },
                label: None,
                deduction: false,
                cap: None,
                items: vec![i.clone()],
                groups: Vec::new(),
                caps: Vec::new(),
            }),
            other => other.clone(),
        })
        .collect()
}

#[derive(Default)]
struct Builder<'a> {
    sources: Option<&'a SourceMap>,
    ranges: HashMap<String, PointsRange>,
    compiled: HashMap<String, String>,
    index: SymbolIndex,
}

impl<'a> Builder<'a> {
    fn define(&mut self, kind: DefKind, name: &Ident, label: Option<&Text>, hover: String) -> usize {
        let def = self.index.defs.len();
        self.index.defs.push(Definition {
            kind,
            name: name.name.clone(),
            span: name.span,
            label: label.map(|l| l.value.clone()),
            hover,
            enum_name: None,
        });
        self.index.refs.push(Reference { span: name.span, def });
        def
    }

    fn slice(&self, span: Span) -> String {
        let text = self.sources.map(|s| s.slice(span)).unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// "in `2024.policy`, line 12" for a definition outside the file being edited.
    fn origin(&self, span: Span) -> String {
        match self.sources {
            Some(s) if span.file != FileId(0) => {
                let (line, _) = s.line_col(span.file, span.start);
                let name = s.name(span.file);
                let short = std::path::Path::new(name).file_name().map(|n| n.to_string_lossy()).unwrap_or(name.into());
                format!("\n\n*declared in `{short}`, line {line}*")
            }
            _ => String::new(),
        }
    }

    fn declare(&mut self, decl: &Decl) {
        match decl {
            Decl::Enum(e) => self.declare_enum(e),
            Decl::Input(fields) => fields.iter().for_each(|f| self.declare_input(f)),
            Decl::Param(p) => {
                let code = format!("param {} = {}", p.name.name, self.slice(p.value.span));
                let hover = heading(p.label.as_ref(), "param", &p.name.name) + &block(&code) + &docs(&p.docs);
                let hover = hover + &self.origin(p.name.span);
                self.define(DefKind::Param, &p.name, p.label.as_ref(), hover);
            }
            Decl::Let(l) => {
                let code = format!("let {} = {}", l.name.name, self.slice(l.value.span));
                let hover = block(&code).trim_start().to_string() + &docs(&l.docs) + &self.origin(l.name.span);
                self.define(DefKind::Let, &l.name, None, hover);
            }
            Decl::Section(s) => self.declare_section(s),
            Decl::Eligibility(rules) | Decl::Vetoes(rules) => {
                let (kind, word) = match decl {
                    Decl::Eligibility(_) => (DefKind::Require, "require"),
                    _ => (DefKind::Veto, "veto"),
                };
                for r in rules {
                    let code = format!("{word} {}: {}", r.name.name, self.slice(r.condition.span));
                    let hover = format!("**{}**", r.reason.value) + &block(&code) + &docs(&r.docs);
                    let hover = hover + &self.origin(r.name.span);
                    self.define(kind, &r.name, Some(&r.reason), hover);
                }
            }
            Decl::Test(t) => {
                let name = Ident { name: t.name.value.clone(), span: t.name.span };
                let hover = format!("test \"{}\"", t.name.value) + &docs(&t.docs) + &self.origin(t.name.span);
                self.define(DefKind::Test, &name, None, hover);
            }
            _ => {}
        }
    }

    fn declare_enum(&mut self, e: &EnumDecl) {
        let list: Vec<String> = e
            .variants
            .iter()
            .map(|v| match &v.label {
                Some(l) => format!("- `{}` {}", v.name.name, l.value),
                None => format!("- `{}`", v.name.name),
            })
            .collect();
        let hover =
            format!("enum `{}`\n\n{}", e.name.name, list.join("\n")) + &docs(&e.docs) + &self.origin(e.name.span);
        self.define(DefKind::Enum, &e.name, None, hover);
        for v in &e.variants {
            let title = format!("`{}.{}`", e.name.name, v.name.name);
            let hover = match &v.label {
                Some(l) => format!("**{}** · variant {title}", l.value),
                None => format!("variant {title}"),
            } + &docs(&v.docs)
                + &self.origin(v.name.span);
            let def = self.define(DefKind::Variant, &v.name, v.label.as_ref(), hover);
            self.index.defs[def].enum_name = Some(e.name.name.clone());
        }
    }

    fn declare_record(&mut self, r: &RecordDecl) {
        let fields: Vec<String> = r.fields.iter().map(|f| self.field_code(f)).collect();
        let code = format!("record {} {{\n    {}\n}}", r.name.name, fields.join("\n    "));
        let hover = block(&code).trim_start().to_string() + &docs(&r.docs) + &self.origin(r.name.span);
        self.define(DefKind::Record, &r.name, None, hover);
        let mut described = Vec::with_capacity(r.fields.len());
        for f in &r.fields {
            let field = RecordField {
                name: f.name.name.clone(),
                ty: self.field_type(f),
                label: f.label.as_ref().map(|l| l.value.clone()),
            };
            let hover = heading(f.label.as_ref(), "field", &f.name.name)
                + &format!(" of record `{}`", r.name.name)
                + &block(&self.field_code(f))
                + &docs(&f.docs)
                + &self.origin(f.name.span);
            self.define(DefKind::Field, &f.name, f.label.as_ref(), hover);
            described.push(field);
        }
        self.index.records.entry(r.name.name.clone()).or_insert(described);
    }

    /// A field's type and range as declared: `months 0..=600`, `date?`.
    fn field_type(&self, f: &InputField) -> String {
        let code = self.field_code(f);
        let ty = code.split_once(": ").map_or(code.as_str(), |(_, t)| t);
        match &f.label {
            Some(l) => ty.trim_end_matches(&format!(" \"{}\"", l.value)).to_string(),
            None => ty.to_string(),
        }
    }

    /// A field as declared: `name: type? range = default "label"`.
    fn field_code(&self, f: &InputField) -> String {
        let mut code = format!("{}: {}", f.name.name, f.ty.name);
        if let Some(list) = &f.list {
            code = format!("{}: list of {}", f.name.name, list.record.name);
        }
        if f.optional {
            code.push('?');
        }
        if let Some(r) = &f.range {
            code.push(' ');
            code.push_str(&self.slice(r.span));
        }
        if let Some(d) = &f.default {
            code.push_str(" = ");
            code.push_str(&self.slice(d.span));
        }
        if let Some(l) = &f.label {
            code.push_str(&format!(" \"{}\"", l.value));
        }
        code
    }

    fn declare_input(&mut self, f: &InputField) {
        if let Some(list) = &f.list {
            let mut code = format!("{}: list of {}", f.name.name, list.record.name);
            if let Some((max, _)) = list.max {
                code.push_str(&format!(" max {max}"));
            }
            let mut hover = heading(f.label.as_ref(), "input", &f.name.name) + &block(&code);
            if let Some(fields) = self.index.records.get(&list.record.name) {
                let lines: Vec<String> = fields.iter().map(RecordField::line).collect();
                hover.push_str(&format!("\n\nrows of `{}`:\n\n{}", list.record.name, lines.join("\n")));
            }
            let hover = hover + &docs(&f.docs) + &self.origin(f.name.span);
            self.define(DefKind::Input, &f.name, f.label.as_ref(), hover);
            self.index.lists.insert(f.name.name.clone(), list.record.name.clone());
            return;
        }
        let mut code = format!("{}: {}", f.name.name, f.ty.name);
        if f.optional {
            code.push('?');
        }
        if let Some(r) = &f.range {
            code.push(' ');
            code.push_str(&self.slice(r.span));
        }
        if let Some(d) = &f.default {
            code.push_str(" = ");
            code.push_str(&self.slice(d.span));
        }
        let mut hover = heading(f.label.as_ref(), "input", &f.name.name) + &block(&code);
        if f.ty.name == "date" {
            hover.push_str(
                "\n\na date (`YYYY-MM-DD`): compare it with dates, count with `years_between`, \
                 `months_between` or `days_between`",
            );
        }
        if f.optional {
            hover.push_str("\n\noptional: may be absent (use `??` or `present(…)`)");
        } else if f.default.is_none() {
            hover.push_str("\n\nrequired: every applicant must give it");
        }
        let hover = hover + &docs(&f.docs) + &self.origin(f.name.span);
        self.define(DefKind::Input, &f.name, f.label.as_ref(), hover);
    }

    fn declare_section(&mut self, s: &SectionDecl) {
        if !s.name.name.is_empty() {
            let mut hover = heading(s.label.as_ref(), "section", &s.name.name);
            if s.deduction {
                hover.push_str("\n\ndeduction: its items take points away");
            }
            if let Some(cap) = &s.cap {
                hover.push_str(&format!("\n\ncap {}", self.slice(cap.span)));
            }
            let names: Vec<String> = s.items.iter().map(|i| format!("`{}`", i.name.name)).collect();
            hover.push_str(&format!("\n\nitems: {}", names.join(", ")));
            let hover = hover + &docs(&s.docs) + &self.origin(s.name.span);
            self.define(DefKind::Section, &s.name, s.label.as_ref(), hover);
        }
        for item in &s.items {
            let group = s.groups.iter().find(|g| g.members.iter().any(|m| m.name == item.name.name));
            let hover = self.item_hover(item, s, group);
            self.define(DefKind::Item, &item.name, Some(&item.label), hover);
        }
        for g in &s.groups {
            let members: Vec<String> = g.members.iter().map(|m| format!("`{}`", m.name)).collect();
            let hover = heading(g.label.as_ref(), "best_of", &g.name.name)
                + &format!("\n\nthe highest of {} counts; on a tie, the first", members.join(", "))
                + &docs(&g.docs)
                + &self.origin(g.name.span);
            self.define(DefKind::Group, &g.name, g.label.as_ref(), hover);
        }
    }

    fn item_hover(&self, item: &ItemDecl, section: &SectionDecl, group: Option<&GroupDecl>) -> String {
        let mut hover = heading(Some(&item.label), "item", &item.name.name);
        if !section.name.name.is_empty() {
            let label = section.label.as_ref().map(|l| format!("{} ", l.value)).unwrap_or_default();
            hover.push_str(&format!(" in section {label}(`{}`)", section.name.name));
        }
        hover.push_str("\n\n");
        hover.push_str(&match self.ranges.get(&item.name.name) {
            Some(r) => format!("possible points: {}", show_range(r)),
            None => "possible points: known once the policy checks without errors".to_string(),
        });
        if let Some(cap) = &item.cap {
            hover.push_str(&format!(" · cap {}", self.slice(cap.span)));
        }
        if let Some(g) = group {
            hover.push_str(&format!("\n\nin `best_of {}`: counts only if it is the highest", g.name.name));
        }
        for r in &item.requires {
            hover.push_str(&format!("\n\nrequires: {}", r.reason.value));
        }
        if let Some(rule) = self.compiled.get(&item.name.name) {
            hover.push_str(&format!("\n\ncomputes:{}", block(rule)));
        }
        hover + &docs(&item.docs) + &self.origin(item.name.span)
    }
}

fn heading(label: Option<&Text>, kind: &str, name: &str) -> String {
    match label {
        Some(l) => format!("**{}** · {kind} `{name}`", l.value),
        None => format!("{kind} `{name}`"),
    }
}

fn block(code: &str) -> String {
    format!("\n```jifen\n{code}\n```")
}

fn docs(docs: &Docs) -> String {
    match docs {
        Some(d) if !d.trim().is_empty() => format!("\n\n---\n{}", d.trim()),
        _ => String::new(),
    }
}

fn show_range(r: &PointsRange) -> String {
    match (r.low, r.high) {
        (Some(lo), Some(hi)) if lo == hi => format!("always {lo}"),
        (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
        (Some(lo), None) => format!("{lo} or more (no upper bound)"),
        (None, Some(hi)) => format!("{hi} or less (no lower bound)"),
        (None, None) => "unbounded".to_string(),
    }
}
