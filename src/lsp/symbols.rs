//! The outline of one policy file (document symbols), from that file's own AST: its
//! sections with their items, inputs, parameters, enums, rules and tests.

use lsp_types::{DocumentSymbol, SymbolKind};

use super::position::LineIndex;
use crate::source::Span;
use crate::syntax::ast::*;

pub(crate) fn outline(policy: &PolicyFile, lines: &LineIndex) -> Vec<DocumentSymbol> {
    let mut out = Vec::new();
    for decl in &policy.decls {
        match decl {
            Decl::Override(o) => {
                if let Some(mut s) = overridden(o, lines) {
                    s.detail = Some(format!("override · {}", s.detail.unwrap_or_default()));
                    out.push(s);
                }
            }
            other => out.extend(declaration(other, lines)),
        }
    }
    out
}

fn declaration(decl: &Decl, lines: &LineIndex) -> Option<DocumentSymbol> {
    Some(match decl {
        Decl::Enum(e) => {
            let variants: Vec<DocumentSymbol> = e
                .variants
                .iter()
                .map(|v| {
                    let end = v.label.as_ref().map(|l| l.span).unwrap_or(v.name.span);
                    symbol(
                        &v.name.name,
                        label(&v.label),
                        SymbolKind::ENUM_MEMBER,
                        v.name.span.to(end),
                        v.name.span,
                        lines,
                    )
                })
                .collect();
            let end = e.variants.last().map(|v| v.label.as_ref().map(|l| l.span).unwrap_or(v.name.span));
            let whole = end.map(|s| e.name.span.to(s)).unwrap_or(e.name.span);
            symbol(&e.name.name, None, SymbolKind::ENUM, whole, e.name.span, lines).with(variants)
        }
        Decl::Input(fields) => {
            let children: Vec<DocumentSymbol> = fields
                .iter()
                .map(|f| symbol(&f.name.name, label(&f.label), SymbolKind::FIELD, field_span(f), f.name.span, lines))
                .collect();
            let first = fields.first()?;
            let whole = fields.iter().map(field_span).fold(field_span(first), Span::to);
            symbol("input", None, SymbolKind::STRUCT, whole, first.name.span, lines).with(children)
        }
        Decl::Param(p) => param(p, lines),
        Decl::Let(l) => {
            symbol(&l.name.name, None, SymbolKind::VARIABLE, l.name.span.to(l.value.span), l.name.span, lines)
        }
        Decl::Section(s) => section(s, lines),
        Decl::Eligibility(rules) | Decl::Vetoes(rules) => {
            let (name, kind) = match decl {
                Decl::Eligibility(_) => ("eligibility", SymbolKind::BOOLEAN),
                _ => ("vetoes", SymbolKind::BOOLEAN),
            };
            let children: Vec<DocumentSymbol> = rules.iter().map(|r| rule(r, kind, lines)).collect();
            let first = rules.first()?;
            let whole = rules.iter().fold(first.name.span, |acc, r| acc.to(r.reason.span));
            symbol(name, None, SymbolKind::NAMESPACE, whole, first.name.span, lines).with(children)
        }
        Decl::Test(t) => test(t, lines),
        _ => return None,
    })
}

fn overridden(o: &Override, lines: &LineIndex) -> Option<DocumentSymbol> {
    Some(match o {
        Override::Param(p) => param(p, lines),
        Override::Item(i) => item(i, lines),
        Override::Require(r) => rule(r, SymbolKind::BOOLEAN, lines),
        Override::Veto(r) => rule(r, SymbolKind::BOOLEAN, lines),
        Override::Test(t) => test(t, lines),
        Override::RenamedTest { test: t, .. } => test(t, lines),
        Override::Input(_) | Override::Let(_) | Override::Output(_) => return None,
    })
}

fn param(p: &ParamDecl, lines: &LineIndex) -> DocumentSymbol {
    let end = p.label.as_ref().map(|l| l.span).unwrap_or(p.value.span);
    symbol(&p.name.name, label(&p.label), SymbolKind::CONSTANT, p.name.span.to(end), p.name.span, lines)
}

fn section(s: &SectionDecl, lines: &LineIndex) -> DocumentSymbol {
    let mut children: Vec<DocumentSymbol> = s.items.iter().map(|i| item(i, lines)).collect();
    let mut whole = s.name.span;
    for i in &s.items {
        whole = whole.to(i.span);
    }
    for g in &s.groups {
        let end = g.members.last().map(|m| m.span).unwrap_or(g.name.span);
        whole = whole.to(end);
        children.push(symbol(
            &g.name.name,
            label(&g.label),
            SymbolKind::OPERATOR,
            g.name.span.to(end),
            g.name.span,
            lines,
        ));
    }
    children.sort_by_key(|c| (c.range.start.line, c.range.start.character));
    let kind = if s.deduction { "deduction section" } else { "section" };
    let detail = Some(match &s.label {
        Some(l) => format!("{} · {kind}", l.value),
        None => kind.to_string(),
    });
    symbol(&s.name.name, detail, SymbolKind::NAMESPACE, whole, s.name.span, lines).with(children)
}

fn item(i: &ItemDecl, lines: &LineIndex) -> DocumentSymbol {
    symbol(&i.name.name, Some(i.label.value.clone()), SymbolKind::FUNCTION, i.span.to(i.name.span), i.name.span, lines)
}

fn rule(r: &RuleDecl, kind: SymbolKind, lines: &LineIndex) -> DocumentSymbol {
    symbol(&r.name.name, Some(r.reason.value.clone()), kind, r.name.span.to(r.reason.span), r.name.span, lines)
}

fn test(t: &TestDecl, lines: &LineIndex) -> DocumentSymbol {
    symbol(&t.name.value, Some("test".to_string()), SymbolKind::METHOD, t.span.to(t.name.span), t.name.span, lines)
}

fn field_span(f: &InputField) -> Span {
    let mut end = f.ty.span;
    if let Some(r) = &f.range {
        end = end.to(r.span);
    }
    if let Some(d) = &f.default {
        end = end.to(d.span);
    }
    if let Some(l) = &f.label {
        end = end.to(l.span);
    }
    f.name.span.to(end)
}

fn label(text: &Option<Text>) -> Option<String> {
    text.as_ref().map(|t| t.value.clone())
}

fn symbol(
    name: &str,
    detail: Option<String>,
    kind: SymbolKind,
    whole: Span,
    name_span: Span,
    lines: &LineIndex,
) -> DocumentSymbol {
    #[allow(deprecated)] // `deprecated` is a required field of the LSP type
    DocumentSymbol {
        name: if name.is_empty() { "_".to_string() } else { name.to_string() },
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: lines.range(whole.start as usize, whole.end as usize),
        selection_range: lines.range(name_span.start as usize, name_span.end as usize),
        children: None,
    }
}

trait WithChildren {
    fn with(self, children: Vec<DocumentSymbol>) -> Self;
}

impl WithChildren for DocumentSymbol {
    fn with(mut self, children: Vec<DocumentSymbol>) -> Self {
        self.children = (!children.is_empty()).then_some(children);
        self
    }
}
