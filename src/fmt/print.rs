//! The AST, printed as lines in the canonical layout. Every line remembers where its last
//! token ends in the source, so that the comments can be put back next to it.

use unicode_width::UnicodeWidthStr;

use super::scan::{quote, unescape, Scan};
use crate::syntax::ast::*;

/// Spaces per level of nesting.
pub(super) const INDENT: usize = 4;

/// A condition and its reason share a line when it fits in this many columns.
pub(super) const MAX_WIDTH: usize = 100;

/// Width of the header's keyword column (`effective` and one space).
const HEADER_KEY: usize = 10;

#[derive(Debug, Clone)]
pub(super) struct Line {
    pub indent: usize,
    pub text: String,
    /// Where the line's last token ends in the source.
    pub end: usize,
    /// A blank line goes before this line (and before the comments placed above it).
    pub blank_before: bool,
    /// A closing `}`: comments placed above it are indented as the block's content.
    pub closer: bool,
}

type Lines = Vec<Line>;

fn line(indent: usize, text: impl Into<String>, end: usize) -> Line {
    Line { indent, text: text.into(), end, blank_before: false, closer: false }
}

fn closer(indent: usize, end: usize) -> Line {
    Line { closer: true, ..line(indent, "}", end) }
}

/// `b` continues the last line of `a`, after `sep`.
fn join(mut a: Lines, sep: &str, b: Lines) -> Lines {
    let mut rest = b.into_iter();
    if let (Some(last), Some(first)) = (a.last_mut(), rest.next()) {
        last.text.push_str(sep);
        last.text.push_str(&first.text);
        last.end = last.end.max(first.end);
    }
    a.extend(rest);
    a
}

fn prefixed(prefix: &str, mut a: Lines) -> Lines {
    if let Some(first) = a.first_mut() {
        first.text.insert_str(0, prefix);
    }
    a
}

fn suffixed(mut a: Lines, suffix: &str, end: usize) -> Lines {
    if let Some(last) = a.last_mut() {
        last.text.push_str(suffix);
        last.end = last.end.max(end);
    }
    a
}

fn is_when(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::When { .. })
}

/// Binding strength, as in `pratt()` of `syntax/from_pest.rs`: or < and < not <
/// comparisons and `in` < `+ -` < `* / per` < unary `-` < `??` < a primary.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => match op {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
            BinOp::Coalesce => 8,
        },
        ExprKind::Unary(UnOp::Not, _) => 3,
        ExprKind::In { .. } => 4,
        ExprKind::Per { .. } => 6,
        ExprKind::Unary(UnOp::Neg, _) => 7,
        ExprKind::When { .. } => 0,
        _ => 9,
    }
}

pub(super) struct Printer<'a, 't> {
    scan: &'a Scan<'t>,
}

impl<'a, 't> Printer<'a, 't> {
    pub(crate) fn new(scan: &'a Scan<'t>) -> Self {
        Printer { scan }
    }

    fn start(&self, span: crate::source::Span) -> usize {
        span.start as usize
    }

    pub(crate) fn file(&self, file: &PolicyFile) -> Lines {
        let mut out = self.header(&file.header);
        for decl in &file.decls {
            let prev_end = out.last().map_or(0, |l| l.end);
            let mut lines = self.decl(decl, prev_end);
            if let Some(first) = lines.first_mut() {
                first.blank_before = true;
            }
            out.extend(lines);
        }
        out
    }

    // ------------------------------------------------------------ declarations

    fn header(&self, h: &Header) -> Lines {
        let mut head = format!("policy {} {}", h.id.name, quote(&h.title.value));
        let mut after = h.title.span.end as usize;
        if let Some(parent) = &h.extends {
            head.push_str(&format!(" extends {}", quote(&parent.value)));
            after = parent.span.end as usize;
        }
        let mut out = vec![line(0, head + " {", self.scan.open_after(after))];
        let mut fields = Vec::new();
        for (key, span) in [
            ("year", h.year.map(|(_, s)| s)),
            ("effective", h.effective.as_ref().map(|(_, s)| *s)),
            ("standard", h.standard.map(|(_, s)| s)),
            ("floor", h.floor.map(|(_, s)| s)),
        ] {
            if let Some(span) = span {
                // The value as written: the field's tokens after the keyword, which may be
                // written against it (`year2025` reads as `year 2025`).
                let mut tokens = self.scan.code_in(span);
                let first = tokens.next().and_then(|t| t.get(key.len()..)).unwrap_or("");
                let value: String = std::iter::once(first).chain(tokens).collect();
                fields.push((span.start, line(INDENT, format!("{key:<HEADER_KEY$}{value}"), span.end as usize)));
            }
        }
        if let Some(p) = &h.points {
            // Tokens of their own: `points 0.01 round half_up`, spaced as written here.
            let rounding = p.rounding.as_ref().map(|r| format!(" round {}", r.name)).unwrap_or_default();
            let text = format!("{:<HEADER_KEY$}{}{rounding}", "points", p.precision);
            fields.push((p.span.start, line(INDENT, text, p.span.end as usize)));
        }
        fields.sort_by_key(|(start, _)| *start);
        out.extend(fields.into_iter().map(|(_, l)| l));
        out.push(closer(0, h.span.end as usize));
        out
    }

    fn decl(&self, decl: &Decl, prev_end: usize) -> Lines {
        match decl {
            Decl::Enum(e) => self.enum_decl(e, ""),
            Decl::Extend(e) => self.enum_decl(e, "extend "),
            Decl::Amend(a) => self.amend(a),
            Decl::AmendGroup(a) => self.amend_group(a),
            Decl::Input(fields) => self.input(fields, prev_end, ""),
            Decl::Param(p) => self.param(p, ""),
            Decl::Let(l) => self.let_decl(l, ""),
            Decl::Section(s) => self.section(s),
            Decl::Eligibility(rules) => self.rule_block("eligibility", "require", rules, prev_end),
            Decl::Vetoes(rules) => self.rule_block("vetoes", "veto", rules, prev_end),
            Decl::Test(t) => self.test(t, ""),
            Decl::Record(r) => self.record(r),
            Decl::Unit(u) => self.unit_decl(u),
            Decl::Override(o) => match o {
                Override::Param(p) => self.param(p, "override "),
                Override::Item(i) => self.item(i, 0, "override "),
                Override::Require(r) => self.rule("override require", r, 0),
                Override::Veto(r) => self.rule("override veto", r, 0),
                Override::Test(t) => self.test(t, "override "),
                Override::Input(fields) => self.input(fields, prev_end, "override "),
                Override::Let(l) => self.let_decl(l, "override "),
                Override::RenamedTest { old, test } => {
                    self.test_headed(test, &format!("override test {} as ", quote(&old.value)))
                }
                Override::Output(o) => self.output(o, "override "),
            },
            Decl::Remove(r) => self.remove(r),
            Decl::Plan(p) => self.plan(p),
            Decl::Output(o) => self.output(o, ""),
            Decl::Rank(r) => self.rank(r),
        }
    }

    fn enum_decl(&self, e: &EnumDecl, prefix: &str) -> Lines {
        let open = self.scan.open_after(e.name.span.end as usize);
        let mut out = vec![line(0, format!("{prefix}enum {} {{", e.name.name), open)];
        let width = e.variants.iter().filter(|v| v.label.is_some()).map(|v| v.name.name.width()).max().unwrap_or(0);
        let mut last = open;
        for v in &e.variants {
            let (text, end) = match &v.label {
                Some(label) => (format!("{:<width$} {}", v.name.name, quote(&label.value)), label.span.end),
                None => (v.name.name.clone(), v.name.span.end),
            };
            last = end as usize;
            out.push(line(INDENT, text, last));
        }
        out.push(closer(0, self.scan.close_after(last)));
        out
    }

    fn input(&self, fields: &[InputField], prev_end: usize, prefix: &str) -> Lines {
        self.fields(&format!("{prefix}input {{"), fields, prev_end)
    }

    fn record(&self, r: &RecordDecl) -> Lines {
        self.fields(&format!("record {} {{", r.name.name), &r.fields, r.name.span.end as usize)
    }

    /// `head` then one field per line, as in `input { … }` and `record NAME { … }`.
    fn fields(&self, head: &str, fields: &[InputField], prev_end: usize) -> Lines {
        let open = self.scan.open_after(prev_end);
        let mut out = vec![line(0, head.to_string(), open)];
        let rows: Vec<(String, String, Option<String>, usize)> = fields
            .iter()
            .map(|f| {
                let mut ty = f.ty.name.clone();
                let mut end = f.ty.span.end;
                if let Some(list) = &f.list {
                    ty = format!("list of {}", list.record.name);
                    end = end.max(list.record.span.end);
                    if let Some((max, span)) = list.max {
                        ty.push_str(&format!(" max {max}"));
                        end = end.max(span.end);
                    }
                }
                if f.optional {
                    ty.push('?');
                }
                if let Some(range) = &f.range {
                    ty.push(' ');
                    ty.push_str(&self.scan.code_in(range.span).collect::<String>());
                    end = end.max(range.span.end);
                }
                if let Some(default) = &f.default {
                    ty.push_str(" = ");
                    ty.push_str(&self.value(default));
                    end = end.max(default.span.end);
                }
                let label = f.label.as_ref().map(|l| {
                    end = end.max(l.span.end);
                    quote(&l.value)
                });
                (format!("{}:", f.name.name), ty, label, end as usize)
            })
            .collect();
        let name_width = rows.iter().map(|r| r.0.width()).max().unwrap_or(0);
        let type_width = rows.iter().filter(|r| r.2.is_some()).map(|r| r.1.width()).max().unwrap_or(0);
        let mut last = open;
        for (name, ty, label, end) in rows {
            let text = match label {
                Some(label) => format!("{name:<name_width$} {ty:<type_width$} {label}"),
                None => format!("{name:<name_width$} {ty}"),
            };
            out.push(line(INDENT, text, end));
            last = end;
        }
        out.push(closer(0, self.scan.close_after(last)));
        out
    }

    fn unit_decl(&self, u: &UnitDecl) -> Lines {
        let mut text = format!("unit {}", u.name.name);
        if let Some(s) = &u.singular {
            text.push_str(&format!(" / {}", s.name));
        }
        if let Some(label) = &u.label {
            text.push(' ');
            text.push_str(&quote(&label.value));
        }
        if u.decimal {
            text.push_str(" decimal");
        }
        vec![line(0, text, u.span.end as usize)]
    }

    fn param(&self, p: &ParamDecl, prefix: &str) -> Lines {
        let mut text = format!("{prefix}param {} = {}", p.name.name, self.value(&p.value));
        let mut end = p.value.span.end;
        if let Some(label) = &p.label {
            text.push(' ');
            text.push_str(&quote(&label.value));
            end = label.span.end;
        }
        vec![line(0, text, end as usize)]
    }

    fn let_decl(&self, l: &LetDecl, prefix: &str) -> Lines {
        let head = format!("{prefix}let {} =", l.name.name);
        if is_when(&l.value) {
            let mut out = vec![line(0, head, self.scan.code_end_before(self.start(l.value.span)))];
            out.extend(self.block(&l.value, INDENT));
            out
        } else {
            prefixed(&format!("{head} "), self.expr(&l.value, 0))
        }
    }

    fn output(&self, o: &OutputDecl, prefix: &str) -> Lines {
        let mut head = format!("{prefix}output {}", o.name.name);
        if let Some(label) = &o.label {
            head.push(' ');
            head.push_str(&quote(&label.value));
        }
        head.push_str(" =");
        if is_when(&o.value) {
            let mut out = vec![line(0, head, self.scan.code_end_before(self.start(o.value.span)))];
            out.extend(self.block(&o.value, INDENT));
            out
        } else {
            prefixed(&format!("{head} "), self.expr(&o.value, 0))
        }
    }

    fn section(&self, s: &SectionDecl) -> Lines {
        let mut head = format!("section {}", s.name.name);
        let mut after = s.name.span.end as usize;
        if let Some(label) = &s.label {
            head.push(' ');
            head.push_str(&quote(&label.value));
            after = label.span.end as usize;
        }
        if s.deduction {
            head.push_str(" deduction");
        }
        let mut out = match &s.cap {
            Some(cap) => {
                after = cap.span.end as usize;
                prefixed(&format!("{head} cap "), self.expr(cap, 0))
            }
            None => vec![line(0, head, after)],
        };
        let open = self.scan.open_after(after);
        out = suffixed(out, " {", open);
        // Items and `best_of` groups, in the order written.
        let mut members: Vec<(u32, Lines)> =
            s.items.iter().map(|i| (i.name.span.start, self.item(i, INDENT, ""))).collect();
        members.extend(s.groups.iter().map(|g| (g.name.span.start, self.group(g))));
        members.extend(s.caps.iter().map(|g| (g.name.span.start, self.cap_group(g))));
        members.sort_by_key(|(start, _)| *start);
        let mut last = open;
        for (i, (_, mut lines)) in members.into_iter().enumerate() {
            if let Some(first) = lines.first_mut() {
                first.blank_before = i > 0;
            }
            last = lines.last().map_or(last, |l| l.end);
            out.extend(lines);
        }
        out.push(closer(0, self.scan.close_after(last)));
        out
    }

    fn item(&self, item: &ItemDecl, indent: usize, prefix: &str) -> Lines {
        let inner = indent + INDENT;
        let head = format!("{prefix}item {} {} {{", item.name.name, quote(&item.label.value));
        let mut out = vec![line(indent, head, self.scan.open_after(item.label.span.end as usize))];
        // `allow` and `requires` lines, in the order written.
        let mut members: Vec<(u32, Lines)> = item
            .allows
            .iter()
            .map(|a| {
                let text = format!("allow {} {}", a.code, quote(&a.reason.value));
                (a.code_span.start, vec![line(inner, text, a.reason.span.end as usize)])
            })
            .collect();
        members.extend(
            item.requires
                .iter()
                .map(|r| (r.condition.span.start, self.with_reason("requires ", &r.condition, &r.reason, inner))),
        );
        members.sort_by_key(|(start, _)| *start);
        out.extend(members.into_iter().flat_map(|(_, lines)| lines));
        out.extend(self.block(&item.body, inner));
        if let Some(cap) = &item.cap {
            out.extend(prefixed("cap ", self.expr(cap, inner)));
        }
        out.push(closer(indent, item.span.end as usize));
        out
    }

    /// `amend item NAME { … }`: its parts in the order written.
    fn amend(&self, a: &AmendDecl) -> Lines {
        let mut out =
            vec![line(0, format!("amend item {} {{", a.name.name), self.scan.open_after(a.name.span.end as usize))];
        let mut members: Vec<(u32, Lines)> = Vec::new();
        if let Some(label) = &a.label {
            members.push((
                label.span.start,
                vec![line(INDENT, format!("label {}", quote(&label.value)), label.span.end as usize)],
            ));
        }
        members.extend(
            a.requires
                .iter()
                .map(|r| (r.condition.span.start, self.with_reason("requires ", &r.condition, &r.reason, INDENT))),
        );
        members.extend(a.unrequire.iter().map(|r| {
            (r.span.start, vec![line(INDENT, format!("remove requires {}", quote(&r.value)), r.span.end as usize)])
        }));
        if let Some(cap) = &a.cap {
            members.push((cap.span.start, prefixed("cap ", self.expr(cap, INDENT))));
        }
        members.sort_by_key(|(start, _)| *start);
        out.extend(members.into_iter().flat_map(|(_, lines)| lines));
        out.push(closer(0, a.span.end as usize));
        out
    }

    /// `amend group NAME { … }`: its parts in the order written; the items of several `add`
    /// (or `remove`) lines are listed on the first one's line.
    fn amend_group(&self, a: &AmendGroupDecl) -> Lines {
        let mut out =
            vec![line(0, format!("amend group {} {{", a.name.name), self.scan.open_after(a.name.span.end as usize))];
        let mut parts: Vec<(u32, Lines)> = Vec::new();
        if let Some(label) = &a.label {
            parts.push((
                label.span.start,
                vec![line(INDENT, format!("label {}", quote(&label.value)), label.span.end as usize)],
            ));
        }
        if let Some(cap) = &a.cap {
            parts.push((cap.span.start, prefixed("cap ", self.expr(cap, INDENT))));
        }
        for (word, names) in [("add", &a.add), ("remove", &a.remove)] {
            if let (Some(first), Some(last)) = (names.first(), names.last()) {
                let list: Vec<&str> = names.iter().map(|m| m.name.as_str()).collect();
                parts.push((
                    first.span.start,
                    vec![line(INDENT, format!("{word} {}", list.join(", ")), last.span.end as usize)],
                ));
            }
        }
        parts.sort_by_key(|(start, _)| *start);
        out.extend(parts.into_iter().flat_map(|(_, lines)| lines));
        out.push(closer(0, a.span.end as usize));
        out
    }

    fn group(&self, g: &GroupDecl) -> Lines {
        let mut text = format!("best_of {}", g.name.name);
        if let Some(label) = &g.label {
            text.push(' ');
            text.push_str(&quote(&label.value));
        }
        let members: Vec<&str> = g.members.iter().map(|m| m.name.as_str()).collect();
        text.push_str(&format!(" {{ {} }}", members.join(", ")));
        let last = g.members.last().map_or(g.name.span.end, |m| m.span.end) as usize;
        vec![line(INDENT, text, self.scan.close_after(last))]
    }

    fn cap_group(&self, g: &CapGroupDecl) -> Lines {
        let mut head = format!("group {}", g.name.name);
        if let Some(label) = &g.label {
            head.push(' ');
            head.push_str(&quote(&label.value));
        }
        let members: Vec<&str> = g.members.iter().map(|m| m.name.as_str()).collect();
        let last = g.members.last().map_or(g.cap.span.end, |m| m.span.end) as usize;
        let out = prefixed(&format!("{head} cap "), self.expr(&g.cap, 0));
        let mut out = suffixed(out, &format!(" {{ {} }}", members.join(", ")), self.scan.close_after(last));
        out.iter_mut().for_each(|l| l.indent += INDENT);
        out
    }

    /// `head COND "reason"`, the reason on its own line when the whole is too wide.
    fn with_reason(&self, head: &str, condition: &Expr, reason: &Text, indent: usize) -> Lines {
        let mut out = prefixed(head, self.expr(condition, indent));
        let reason_text = quote(&reason.value);
        let end = reason.span.end as usize;
        if let Some(last) = out.last_mut() {
            if last.indent + last.text.width() + 1 + reason_text.width() <= MAX_WIDTH {
                last.text.push(' ');
                last.text.push_str(&reason_text);
                last.end = end;
                return out;
            }
        }
        out.push(line(indent + INDENT, reason_text, end));
        out
    }

    fn rule(&self, keyword: &str, rule: &RuleDecl, indent: usize) -> Lines {
        self.with_reason(&format!("{keyword} {}: ", rule.name.name), &rule.condition, &rule.reason, indent)
    }

    /// `eligibility` and `vetoes`. The block's label is not in the AST: it is read from
    /// the text.
    fn rule_block(&self, block: &str, keyword: &str, rules: &[RuleDecl], prev_end: usize) -> Lines {
        let open = self.scan.open_after(prev_end);
        let label = self.scan.string_between(prev_end, open).map(|raw| format!(" {}", quote(&unescape(raw))));
        let mut out = vec![line(0, format!("{block}{} {{", label.unwrap_or_default()), open)];
        let mut last = open;
        for rule in rules {
            out.extend(self.rule(keyword, rule, INDENT));
            last = rule.reason.span.end as usize;
        }
        out.push(closer(0, self.scan.close_after(last)));
        out
    }

    fn test(&self, t: &TestDecl, prefix: &str) -> Lines {
        self.test_headed(t, &format!("{prefix}test "))
    }

    /// A test whose name follows `head` (`test `, `override test "old" as `).
    fn test_headed(&self, t: &TestDecl, head: &str) -> Lines {
        let open = self.scan.open_after(t.name.span.end as usize);
        let mut out = vec![line(0, format!("{head}{} {{", quote(&t.name.value)), open)];
        let given_open = self.scan.open_after(open);
        let facts: Vec<String> = t.given.iter().map(|f| format!("{}: {}", f.name.name, self.value(&f.value))).collect();
        let last_fact = t.given.last().map_or(given_open, |f| f.value.span.end as usize);
        let has_rows = t.given.iter().any(|f| matches!(&f.value.kind, ValueKind::Rows(rows) if !rows.is_empty()));
        if has_rows {
            // Rows of a list take a line each.
            out.push(line(INDENT, "given {", given_open));
            let inner = INDENT + INDENT;
            for f in &t.given {
                match &f.value.kind {
                    ValueKind::Rows(rows) if !rows.is_empty() => {
                        out.push(line(inner, format!("{}: [", f.name.name), f.name.span.end as usize));
                        for row in rows {
                            let fields: Vec<String> = row
                                .fields
                                .iter()
                                .map(|x| format!("{}: {}", x.name.name, self.value(&x.value)))
                                .collect();
                            out.push(line(
                                inner + INDENT,
                                format!("{{ {} }},", fields.join(", ")),
                                row.span.end as usize,
                            ));
                        }
                        out.push(line(inner, "],", f.value.span.end as usize));
                    }
                    _ => out.push(line(
                        inner,
                        format!("{}: {},", f.name.name, self.value(&f.value)),
                        f.value.span.end as usize,
                    )),
                }
            }
            out.push(closer(INDENT, self.scan.close_after(last_fact)));
        } else {
            let given =
                if facts.is_empty() { "given {}".to_string() } else { format!("given {{ {} }}", facts.join(", ")) };
            out.push(line(INDENT, given, self.scan.close_after(last_fact)));
        }
        if let Some(last) = t.expect.last() {
            let expectations: Vec<String> = t
                .expect
                .iter()
                .map(|e| {
                    let item = match e.scope {
                        _ if e.is_item => "item ".to_string(),
                        Some(scope) => format!("{} ", scope.keyword()),
                        None => String::new(),
                    };
                    format!("{item}{} = {}", e.target.name, self.value(&e.value))
                })
                .collect();
            out.push(line(INDENT, format!("expect {}", expectations.join(", ")), last.value.span.end as usize));
        }
        out.push(closer(0, t.span.end as usize));
        out
    }

    fn remove(&self, r: &Remove) -> Lines {
        let written_as_string = self.scan.code_in(r.span).last().is_some_and(|t| t.starts_with('"'));
        let name = if written_as_string { quote(&r.name) } else { r.name.clone() };
        vec![line(0, format!("remove {} {name}", r.kind.keyword()), r.span.end as usize)]
    }

    fn plan(&self, p: &PlanDecl) -> Lines {
        let open = self.scan.open_after(p.span.start as usize);
        let mut out = vec![line(0, "plan {", open)];
        let inner = INDENT + INDENT;
        // Each block opens just before its first entry and closes just after its last.
        let mut blocks: Vec<(usize, Lines)> = Vec::new();
        if let (Some(first), Some(last)) = (p.wait.first(), p.wait.last()) {
            let start = first.input.span.start as usize;
            let mut lines = vec![line(INDENT, "wait {", self.scan.code_end_before(start))];
            for step in &p.wait {
                let head = format!("{} + {}", step.input.name, self.value(&step.amount));
                lines.extend(match &step.when {
                    Some(condition) => prefixed(&format!("{head} when "), self.expr(condition, inner)),
                    None => vec![line(inner, head, step.amount.span.end as usize)],
                });
            }
            let last_end = last.when.as_ref().map_or(last.amount.span.end, |w| w.span.end) as usize;
            lines.push(closer(INDENT, self.scan.close_after(last_end)));
            blocks.push((start, lines));
        }
        if let (Some(first), Some(last)) = (p.raise.first(), p.raise.last()) {
            let start = first.span.start as usize;
            let names: Vec<&str> = p.raise.iter().map(|i| i.name.as_str()).collect();
            let last_end = last.span.end as usize;
            blocks.push((
                start,
                vec![
                    line(INDENT, "raise {", self.scan.code_end_before(start)),
                    line(inner, names.join(", "), last_end),
                    closer(INDENT, self.scan.close_after(last_end)),
                ],
            ));
        }
        if let (Some(first), Some(last)) = (p.assume.first(), p.assume.last()) {
            let start = first.span.start as usize;
            let mut lines = vec![line(INDENT, "assume {", self.scan.code_end_before(start))];
            for (i, condition) in p.assume.iter().enumerate() {
                let mut condition = self.expr(condition, inner);
                // Commas keep `a <= b` and a next line `-c > 0` from reading as one condition.
                if i + 1 < p.assume.len() {
                    condition = suffixed(condition, ",", 0);
                }
                lines.extend(condition);
            }
            lines.push(closer(INDENT, self.scan.close_after(last.span.end as usize)));
            blocks.push((start, lines));
        }
        blocks.sort_by_key(|(start, _)| *start);
        out.extend(blocks.into_iter().flat_map(|(_, lines)| lines));
        out.push(closer(0, p.span.end as usize));
        out
    }

    /// `rank "…" {`, then one line each for `by`, `then`, `quota` and `admit ties`.
    fn rank(&self, r: &RankDecl) -> Lines {
        let prefix = if r.overrides { "override " } else { "" };
        let head = match &r.label {
            Some(label) => format!("{prefix}rank {} {{", quote(&label.value)),
            None => format!("{prefix}rank {{"),
        };
        let mut out = vec![line(0, head, self.scan.open_after(r.span.start as usize))];
        let (by, by_end) = match &r.by {
            RankBy::Total(span) => ("by total".to_string(), span.end),
            RankBy::Section(name) => (format!("by section {}", name.name), name.span.end),
        };
        out.push(line(INDENT, by, by_end as usize));
        if let Some(last) = r.then.last() {
            let ties: Vec<String> = r
                .then
                .iter()
                .map(|t| format!("{} {}", t.input.name, if t.descending { "desc" } else { "asc" }))
                .collect();
            out.push(line(INDENT, format!("then {}", ties.join(", ")), last.span.end as usize));
        }
        if let Some((quota, span)) = r.quota {
            out.push(line(INDENT, format!("quota {quota}"), span.end as usize));
        }
        if r.admit_ties {
            // `ties` is the last token before the closing `}`.
            out.push(line(INDENT, "admit ties", self.scan.code_end_before((r.span.end as usize).saturating_sub(1))));
        }
        out.push(closer(0, r.span.end as usize));
        out
    }

    fn value(&self, v: &Value) -> String {
        match &v.kind {
            ValueKind::Number(_) => self.scan.number(v.span),
            ValueKind::Bool(b) => b.to_string(),
            ValueKind::Variant { enum_name: Some(e), variant } => format!("{}.{}", e.name, variant.name),
            ValueKind::Variant { enum_name: None, variant } => variant.name.clone(),
            ValueKind::Absent => "absent".to_string(),
            ValueKind::Date(d) => crate::date::format(*d),
            ValueKind::Rows(rows) if rows.is_empty() => "[]".to_string(),
            ValueKind::Rows(rows) => {
                let rows: Vec<String> = rows
                    .iter()
                    .map(|row| {
                        let fields: Vec<String> =
                            row.fields.iter().map(|f| format!("{}: {}", f.name.name, self.value(&f.value))).collect();
                        format!("{{ {} }}", fields.join(", "))
                    })
                    .collect();
                format!("[{}]", rows.join(", "))
            }
        }
    }

    // ------------------------------------------------------------ expressions

    /// An expression where a statement stands (an item's body, a `let`, an arm's
    /// result): a `when` is laid out one arm per line.
    fn block(&self, e: &Expr, indent: usize) -> Lines {
        let ExprKind::When { arms, otherwise } = &e.kind else {
            return self.expr(e, indent);
        };
        let mut out = Vec::new();
        for arm in arms {
            out.extend(self.arm(prefixed("when ", self.expr(&arm.condition, indent)), &arm.result, indent));
        }
        let head = vec![line(indent, "else", self.scan.code_end_before(self.start(otherwise.span)))];
        out.extend(self.arm(head, otherwise, indent));
        out
    }

    /// `head => result`; a `when` result goes on the lines below, one level deeper.
    fn arm(&self, head: Lines, result: &Expr, indent: usize) -> Lines {
        if is_when(result) {
            let mut out = suffixed(head, " =>", self.scan.code_end_before(self.start(result.span)));
            out.extend(self.block(result, indent + INDENT));
            out
        } else {
            join(head, " => ", self.expr(result, indent))
        }
    }

    /// An expression inside a line. `indent` is the indentation of the line it starts
    /// on (a `match` inside it takes lines of its own).
    fn expr(&self, e: &Expr, indent: usize) -> Lines {
        let end = e.span.end as usize;
        let leaf = |text: String| vec![line(indent, text, end)];
        let p = precedence(e);
        match &e.kind {
            ExprKind::Number(_) => leaf(self.scan.number(e.span)),
            ExprKind::Bool(b) => leaf(b.to_string()),
            ExprKind::Date(d) => leaf(crate::date::format(*d)),
            ExprKind::Name(name) => leaf(name.name.clone()),
            ExprKind::Qualified { enum_name, variant } => leaf(format!("{}.{}", enum_name.name, variant.name)),
            ExprKind::Unary(op, operand) => {
                let sign = if *op == UnOp::Neg { "-" } else { "not " };
                prefixed(sign, self.operand(operand, precedence(operand) < p, indent))
            }
            ExprKind::Binary(op, lhs, rhs) => {
                // `(a <= b) == c` keeps its brackets: the checker refuses `a <= b == c` as a chain.
                let left = self.operand(lhs, precedence(lhs) < p || p == 4 && precedence(lhs) == 4, indent);
                let right = self.operand(rhs, precedence(rhs) <= p, indent);
                join(left, &format!(" {} ", op.symbol()), right)
            }
            ExprKind::Per { rate, amount_span, operand, .. } => {
                let left = self.operand(rate, precedence(rate) < p, indent);
                let right = self.operand(operand, precedence(operand) <= p, indent);
                join(left, &format!(" per {} of ", self.scan.number(*amount_span)), right)
            }
            ExprKind::In { negated, value, set } => {
                let left = self.operand(value, precedence(value) < p, indent);
                let keyword = if *negated { " not in [" } else { " in [" };
                suffixed(join(left, keyword, self.list(set, indent)), "]", end)
            }
            ExprKind::Call { func, args } => {
                suffixed(prefixed(&format!("{}(", func.name), self.list(args, indent)), ")", end)
            }
            ExprKind::When { arms, otherwise } => {
                // Inside a line a `when` is written in parentheses: its last result would
                // otherwise run on into whatever follows.
                let mut out = vec![line(indent, "(", self.start(e.span))];
                for (i, arm) in arms.iter().enumerate() {
                    let condition = self.expr(&arm.condition, indent);
                    out = join(out, if i == 0 { "when " } else { " when " }, condition);
                    out = join(out, " => ", self.expr(&arm.result, indent));
                }
                out = join(out, " else => ", self.expr(otherwise, indent));
                suffixed(out, ")", end)
            }
            ExprKind::Match { .. } => self.match_expr(e, indent),
            ExprKind::Each(each) => {
                let Each { func, body, var, list, filter } = &**each;
                let mut out = vec![line(indent, format!("{}(", func.name), 0)];
                let rows = format!("{} in {}", var.name, list.name);
                out = match body {
                    Some(b) => join(join(out, "", self.expr(b, indent)), " for ", vec![line(indent, rows, 0)]),
                    None => join(out, "", vec![line(indent, rows, 0)]),
                };
                if let Some(f) = filter {
                    out = join(out, " where ", self.expr(f, indent));
                }
                suffixed(out, ")", end)
            }
        }
    }

    fn operand(&self, e: &Expr, parens: bool, indent: usize) -> Lines {
        let out = self.expr(e, indent);
        if parens && !is_when(e) {
            suffixed(prefixed("(", out), ")", 0)
        } else {
            out
        }
    }

    /// `a, b, c` (call arguments, `in` sets, a tuple scrutinee).
    fn list(&self, items: &[Expr], indent: usize) -> Lines {
        let mut out = vec![line(indent, "", 0)];
        for (i, item) in items.iter().enumerate() {
            out = join(out, if i == 0 { "" } else { ", " }, self.expr(item, indent));
        }
        out
    }

    fn match_expr(&self, e: &Expr, indent: usize) -> Lines {
        let ExprKind::Match { scrutinee, arms } = &e.kind else {
            return Vec::new();
        };
        let inner = indent + INDENT;
        let head = match scrutinee.as_slice() {
            [one] => self.expr(one, indent),
            many => suffixed(prefixed("(", self.list(many, indent)), ")", 0),
        };
        let after = scrutinee.last().map_or(self.start(e.span), |s| s.span.end as usize);
        let mut out = suffixed(prefixed("match ", head), " {", self.scan.open_after(after));
        let patterns: Vec<String> = arms.iter().map(pattern).collect();
        let width =
            arms.iter().zip(&patterns).filter(|(a, _)| !is_when(&a.result)).map(|(_, p)| p.width()).max().unwrap_or(0);
        for (i, (arm, pattern)) in arms.iter().zip(&patterns).enumerate() {
            let mut lines = if is_when(&arm.result) {
                let head = vec![line(inner, pattern.clone(), arm.pattern_span.end as usize)];
                self.arm(head, &arm.result, inner)
            } else {
                let pad = " ".repeat(width.saturating_sub(pattern.width()));
                prefixed(&format!("{pattern}{pad} => "), self.expr(&arm.result, inner))
            };
            // `x` then `(a, b) => …` on the next line would read as the call `x(a, b)`.
            let next_is_tuple = arms.get(i + 1).is_some_and(|next| next.pattern.len() > 1);
            if next_is_tuple && lines.last().is_some_and(|l| ends_in_name(&l.text)) {
                lines = suffixed(lines, ",", 0);
            }
            out.extend(lines);
        }
        out.push(closer(indent, e.span.end as usize));
        out
    }
}

/// The line ends in a bare name (not a number, unit, `true`/`false` or `Enum.variant`).
fn ends_in_name(text: &str) -> bool {
    let word_start = text.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
    let word = &text[word_start..];
    let qualified = text[..word_start].ends_with('.');
    // A unit: a word after a number on its line (`24 months`, `50 hours`).
    let before = &text[..word_start];
    let unit = before.ends_with([' ', '\t']) && before.trim_end().ends_with(|c: char| c.is_ascii_digit());
    let literal = ["true", "false"].contains(&word) || unit;
    word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && !qualified && !literal
}

fn pattern(arm: &MatchArm) -> String {
    let alternatives = |atoms: &Vec<PatternAtom>| {
        let texts: Vec<String> = atoms
            .iter()
            .map(|a| match a {
                PatternAtom::Wildcard(_) => "_".to_string(),
                PatternAtom::Bool(b, _) => b.to_string(),
                PatternAtom::Variant(v) => v.name.clone(),
            })
            .collect();
        texts.join(" | ")
    };
    match arm.pattern.as_slice() {
        [one] => alternatives(one),
        many => format!("({})", many.iter().map(alternatives).collect::<Vec<_>>().join(", ")),
    }
}
