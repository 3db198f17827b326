//! The symbol index: every name the policy declares, where, and what it means, built
//! from the merged AST (so a child policy sees its parent's definitions), and every
//! place a name is used. Hover, go to definition and completion read it.

use std::collections::HashMap;

use crate::check::PointsRange;
use crate::rules::RuleSet;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefKind {
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
pub struct RecordField {
    pub name: String,
    /// Its type and range as written: `months 0..=600`, `date?`.
    pub ty: String,
    pub label: Option<String>,
}

impl RecordField {
    /// "- `months`: months 0..=600 · 月数", a line of a hover.
    pub fn line(&self) -> String {
        match &self.label {
            Some(l) => format!("- `{}`: {} · {l}", self.name, self.ty),
            None => format!("- `{}`: {}", self.name, self.ty),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Definition {
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
pub struct Reference {
    pub span: Span,
    pub def: usize,
}

#[derive(Debug, Clone, Default)]
pub struct SymbolIndex {
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
    /// Index a policy; `ruleset` (when it compiled) gives the items' points ranges.
    pub fn from_ast(policy: &PolicyFile, sources: &SourceMap, ruleset: Option<&RuleSet>) -> SymbolIndex {
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
        builder.let_enums(&decls);
        for decl in &decls {
            builder.uses(decl);
        }
        builder.index
    }

    /// The name at `offset` of `file` and its definition.
    pub fn at(&self, file: FileId, offset: u32) -> Option<(Span, &Definition)> {
        self.refs
            .iter()
            .filter(|r| r.span.file == file && r.span.start <= offset && offset <= r.span.end)
            .min_by_key(|r| r.span.len())
            .map(|r| (r.span, &self.defs[r.def]))
    }

    pub fn of_kind(&self, kind: DefKind) -> impl Iterator<Item = &Definition> {
        self.defs.iter().filter(move |d| d.kind == kind)
    }

    /// The enum whose values an input, param or let holds.
    pub fn enum_of_value(&self, name: &str) -> Option<&str> {
        self.defs
            .iter()
            .find(|d| matches!(d.kind, DefKind::Input | DefKind::Param | DefKind::Let) && d.name == name)
            .and_then(|d| d.enum_name.as_deref())
    }

    pub fn variants_of<'a>(&'a self, enum_name: &'a str) -> impl Iterator<Item = &'a Definition> {
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
    /// Inputs, params and lets: one namespace.
    values: HashMap<String, usize>,
    enums: HashMap<String, usize>,
    variants: HashMap<(String, String), usize>,
    items: HashMap<String, usize>,
    records: HashMap<String, usize>,
    /// Each record's fields: (record, field) → definition.
    fields: HashMap<(String, String), usize>,
    /// The rows in scope: `p` of `sum(p.months for p in periods)` and its record.
    rows: Vec<(String, String)>,
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
                let def = self.define(DefKind::Param, &p.name, p.label.as_ref(), hover);
                if let ValueKind::Variant { enum_name: Some(en), .. } = &p.value.kind {
                    self.index.defs[def].enum_name = Some(en.name.clone());
                }
                self.values.entry(p.name.name.clone()).or_insert(def);
            }
            Decl::Let(l) => {
                let code = format!("let {} = {}", l.name.name, self.slice(l.value.span));
                let hover = block(&code).trim_start().to_string() + &docs(&l.docs) + &self.origin(l.name.span);
                let def = self.define(DefKind::Let, &l.name, None, hover);
                self.values.entry(l.name.name.clone()).or_insert(def);
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
        let def = self.define(DefKind::Enum, &e.name, None, hover);
        self.enums.entry(e.name.name.clone()).or_insert(def);
        for v in &e.variants {
            let title = format!("`{}.{}`", e.name.name, v.name.name);
            let hover = match &v.label {
                Some(l) => format!("**{}** · variant {title}", l.value),
                None => format!("variant {title}"),
            } + &docs(&v.docs)
                + &self.origin(v.name.span);
            let def = self.define(DefKind::Variant, &v.name, v.label.as_ref(), hover);
            self.index.defs[def].enum_name = Some(e.name.name.clone());
            self.variants.entry((e.name.name.clone(), v.name.name.clone())).or_insert(def);
        }
    }

    fn declare_record(&mut self, r: &RecordDecl) {
        let fields: Vec<String> = r.fields.iter().map(|f| self.field_code(f)).collect();
        let code = format!("record {} {{\n    {}\n}}", r.name.name, fields.join("\n    "));
        let hover = block(&code).trim_start().to_string() + &docs(&r.docs) + &self.origin(r.name.span);
        let def = self.define(DefKind::Record, &r.name, None, hover);
        self.records.entry(r.name.name.clone()).or_insert(def);
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
            let def = self.define(DefKind::Field, &f.name, f.label.as_ref(), hover);
            self.fields.entry((r.name.name.clone(), f.name.name.clone())).or_insert(def);
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
            let def = self.define(DefKind::Input, &f.name, f.label.as_ref(), hover);
            self.index.lists.insert(f.name.name.clone(), list.record.name.clone());
            self.values.entry(f.name.name.clone()).or_insert(def);
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
        let def = self.define(DefKind::Input, &f.name, f.label.as_ref(), hover);
        if self.enums.contains_key(&f.ty.name) {
            self.index.defs[def].enum_name = Some(f.ty.name.clone());
        }
        self.values.entry(f.name.name.clone()).or_insert(def);
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
            let def = self.define(DefKind::Item, &item.name, Some(&item.label), hover);
            self.items.entry(item.name.name.clone()).or_insert(def);
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

    /// Which enum each `let` holds, once every name is declared.
    fn let_enums(&mut self, decls: &[Decl]) {
        for _ in 0..4 {
            for decl in decls {
                let Decl::Let(l) = decl else { continue };
                let Some(&def) = self.values.get(&l.name.name) else { continue };
                if self.index.defs[def].enum_name.is_none() {
                    self.index.defs[def].enum_name = self.enum_of(&l.value);
                }
            }
        }
    }

    /// The enum an expression's value belongs to, when it is plain to see.
    fn enum_of(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Name(id) => self.values.get(&id.name).and_then(|d| self.index.defs[*d].enum_name.clone()),
            ExprKind::Qualified { enum_name, .. } => Some(enum_name.name.clone()),
            ExprKind::When { arms, otherwise } => {
                arms.first().map(|a| &a.result).or(Some(otherwise)).and_then(|r| self.enum_of(r))
            }
            ExprKind::Match { arms, .. } => arms.first().and_then(|a| self.enum_of(&a.result)),
            _ => None,
        }
    }

    /// The record of the row `name` in scope, innermost first.
    fn row(&self, name: &str) -> Option<&str> {
        self.rows.iter().rev().find(|(var, _)| var == name).map(|(_, record)| record.as_str())
    }

    fn refer(&mut self, span: Span, def: Option<usize>) {
        if let Some(def) = def {
            self.index.refs.push(Reference { span, def });
        }
    }

    /// A bare variant: of the enum the context expects, or of the only enum that has it.
    fn variant(&mut self, id: &Ident, expected: Option<&str>) {
        if let Some(en) = expected {
            if let Some(&def) = self.variants.get(&(en.to_string(), id.name.clone())) {
                return self.refer(id.span, Some(def));
            }
        }
        let mut owners = self.variants.iter().filter(|((_, v), _)| *v == id.name).map(|(_, d)| *d);
        if let (Some(def), None) = (owners.next(), owners.next()) {
            self.refer(id.span, Some(def));
        }
    }

    fn value(&mut self, v: &Value, expected: Option<&str>) {
        if let ValueKind::Variant { enum_name, variant } = &v.kind {
            match enum_name {
                Some(en) => {
                    self.refer(en.span, self.enums.get(&en.name).copied());
                    self.refer(variant.span, self.variants.get(&(en.name.clone(), variant.name.clone())).copied());
                }
                None => self.variant(variant, expected),
            }
        }
    }

    fn uses(&mut self, decl: &Decl) {
        match decl {
            Decl::Input(fields) => {
                for f in fields {
                    self.refer(f.ty.span, self.enums.get(&f.ty.name).copied());
                    if let Some(list) = &f.list {
                        self.refer(list.record.span, self.records.get(&list.record.name).copied());
                    }
                    if let Some(d) = &f.default {
                        self.value(d, Some(&f.ty.name));
                    }
                }
            }
            Decl::Param(p) => self.value(&p.value, None),
            Decl::Let(l) => self.expr(&l.value, None),
            Decl::Section(s) => {
                if let Some(cap) = &s.cap {
                    self.expr(cap, None);
                }
                for item in &s.items {
                    for r in &item.requires {
                        self.expr(&r.condition, None);
                    }
                    self.expr(&item.body, None);
                    if let Some(cap) = &item.cap {
                        self.expr(cap, None);
                    }
                }
                for g in &s.groups {
                    for m in &g.members {
                        self.refer(m.span, self.items.get(&m.name).copied());
                    }
                }
            }
            Decl::Eligibility(rules) | Decl::Vetoes(rules) => rules.iter().for_each(|r| self.expr(&r.condition, None)),
            Decl::Test(t) => {
                for fact in &t.given {
                    let def = self.values.get(&fact.name.name).copied();
                    self.refer(fact.name.span, def);
                    let en = def.and_then(|d| self.index.defs[d].enum_name.clone());
                    self.value(&fact.value, en.as_deref());
                }
                for e in t.expect.iter().filter(|e| e.is_item) {
                    self.refer(e.target.span, self.items.get(&e.target.name).copied());
                }
            }
            _ => {}
        }
    }

    fn expr(&mut self, e: &Expr, expected: Option<&str>) {
        match &e.kind {
            ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Date(_) => {}
            ExprKind::Name(id) => match self.values.get(&id.name).copied() {
                Some(def) => self.refer(id.span, Some(def)),
                None => self.variant(id, expected),
            },
            ExprKind::Qualified { enum_name, variant } if self.row(&enum_name.name).is_some() => {
                let record = self.row(&enum_name.name).unwrap_or_default().to_string();
                self.refer(enum_name.span, self.records.get(&record).copied());
                self.refer(variant.span, self.fields.get(&(record, variant.name.clone())).copied());
            }
            ExprKind::Qualified { enum_name, variant } => {
                self.refer(enum_name.span, self.enums.get(&enum_name.name).copied());
                self.refer(variant.span, self.variants.get(&(enum_name.name.clone(), variant.name.clone())).copied());
            }
            ExprKind::Unary(_, a) => self.expr(a, None),
            ExprKind::Binary(op, a, b) => {
                let (ea, eb) = match op {
                    BinOp::Eq | BinOp::Ne | BinOp::Coalesce => (self.enum_of(a), self.enum_of(b)),
                    _ => (None, None),
                };
                let keep = matches!(op, BinOp::Coalesce).then_some(expected).flatten();
                self.expr(a, eb.as_deref().or(keep));
                self.expr(b, ea.as_deref().or(keep));
            }
            ExprKind::Per { rate, operand, .. } => {
                self.expr(rate, None);
                self.expr(operand, None);
            }
            ExprKind::In { value, set, .. } => {
                let en = self.enum_of(value);
                self.expr(value, None);
                set.iter().for_each(|s| self.expr(s, en.as_deref()));
            }
            ExprKind::Call { func, args } => match (func.name.as_str(), args.as_slice()) {
                ("points", [Expr { kind: ExprKind::Name(item), .. }]) => {
                    self.refer(item.span, self.items.get(&item.name).copied())
                }
                _ => args.iter().for_each(|a| self.expr(a, None)),
            },
            ExprKind::When { arms, otherwise } => {
                for arm in arms {
                    self.expr(&arm.condition, None);
                    self.expr(&arm.result, expected);
                }
                self.expr(otherwise, expected);
            }
            ExprKind::Each(each) => {
                self.refer(each.list.span, self.values.get(&each.list.name).copied());
                // The row `p` is of the list's record: hovering it shows the record's fields.
                let record = self.index.lists.get(&each.list.name).cloned().unwrap_or_default();
                self.refer(each.var.span, self.records.get(&record).copied());
                self.rows.push((each.var.name.clone(), record));
                each.body.iter().chain(&each.filter).for_each(|e| self.expr(e, None));
                self.rows.pop();
            }
            ExprKind::Match { scrutinee, arms } => {
                let enums: Vec<Option<String>> = scrutinee.iter().map(|s| self.enum_of(s)).collect();
                scrutinee.iter().for_each(|s| self.expr(s, None));
                for arm in arms {
                    for (position, alternatives) in arm.pattern.iter().enumerate() {
                        for atom in alternatives {
                            if let PatternAtom::Variant(id) = atom {
                                self.variant(id, enums.get(position).cloned().flatten().as_deref());
                            }
                        }
                    }
                    self.expr(&arm.result, expected);
                }
            }
        }
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
