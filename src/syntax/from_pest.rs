//! pest pairs to the spanned AST. Lexical problems the grammar lets through on purpose
//! (an unterminated string, a number too large) become diagnostics here.

use std::str::FromStr;
use std::sync::OnceLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use rust_decimal::Decimal;

use super::ast::*;
use super::{Rule, MAX_COUNT, MAX_EXPR_DEPTH};
use crate::diagnostic::{codes, Diagnostic};
use crate::source::{FileId, Span};

pub(crate) struct Builder {
    file: FileId,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// How many expressions the one being built is nested in.
    depth: usize,
    /// E0407 is reported once per file.
    too_deep_reported: bool,
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::or, Assoc::Left))
            .op(Op::infix(Rule::and, Assoc::Left))
            .op(Op::prefix(Rule::not))
            .op(Op::infix(Rule::eq, Assoc::Left)
                | Op::infix(Rule::ne, Assoc::Left)
                | Op::infix(Rule::lt, Assoc::Left)
                | Op::infix(Rule::le, Assoc::Left)
                | Op::infix(Rule::gt, Assoc::Left)
                | Op::infix(Rule::ge, Assoc::Left)
                | Op::postfix(Rule::in_list)
                | Op::postfix(Rule::not_in))
            .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
            .op(Op::infix(Rule::mul, Assoc::Left)
                | Op::infix(Rule::div, Assoc::Left)
                | Op::infix(Rule::per, Assoc::Left))
            .op(Op::prefix(Rule::neg))
            .op(Op::infix(Rule::coalesce, Assoc::Left))
    })
}

/// Parse the digits of a number literal (underscores allowed between digits).
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    // Most numbers are a few plain digits: summed here, not through `Decimal::from_str`,
    // which costs several times as much. 18 digits always fit in a u64; the value and its
    // scale (0) are those `from_str` gives.
    if !text.is_empty() && text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit()) {
        let whole = text.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        return Some(Decimal::from(whole));
    }
    // Most other numbers have no underscore: no copy for them.
    if !text.contains('_') {
        return Decimal::from_str(text).ok();
    }
    let cleaned: String = text.chars().filter(|c| *c != '_').collect();
    Decimal::from_str(&cleaned).ok()
}

impl Builder {
    pub(crate) fn new(file: FileId) -> Builder {
        Builder { file, diagnostics: Vec::new(), depth: 0, too_deep_reported: false }
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    pub(crate) fn file(&mut self, pair: Pair<'_, Rule>) -> Option<PolicyFile> {
        let mut inner = pair.children();
        let header = self.header(inner.next()?);
        let decls = self.decl_list(inner);
        Some(PolicyFile { header, decls, unread_after_remove: Vec::new() })
    }

    fn decl_list<'i>(&mut self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Vec<Decl> {
        pairs.filter(|p| p.as_rule() != Rule::EOI).filter_map(|p| self.decl(p)).collect()
    }

    fn docs(&mut self, pair: Pair<'_, Rule>) -> Docs {
        debug_assert_eq!(pair.as_rule(), Rule::docs);
        // The lines joined with `\n`, gathered into one string rather than a vector of them.
        let mut text: Docs = None;
        for d in pair.children() {
            let t = d.as_str().trim_start_matches("///");
            let line = t.strip_prefix(' ').unwrap_or(t).trim_end();
            match &mut text {
                Some(s) => {
                    s.push('\n');
                    s.push_str(line);
                }
                None => text = Some(line.to_string()),
            }
        }
        text
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn text(&mut self, pair: Pair<'_, Rule>) -> Text {
        let span = self.span(&pair);
        let mut value = String::new();
        for part in pair.children() {
            match part.as_rule() {
                Rule::string_inner => value = unescape(part.as_str()),
                Rule::unterminated => self.diagnostics.push(
                    Diagnostic::error(
                        codes::UNTERMINATED_STRING,
                        "unterminated string",
                        Span::new(self.file, span.start as usize, span.start as usize + 1),
                        "this string has no closing quote on its line",
                    )
                    .with_help("add the closing `\"` before the end of the line"),
                ),
                _ => {}
            }
        }
        Text { value, span }
    }

    fn number(&mut self, pair: Pair<'_, Rule>) -> Number {
        let span = self.span(&pair);
        let mut value = Decimal::ZERO;
        let mut integral = true;
        let mut unit = None;
        for part in pair.children() {
            match part.as_rule() {
                Rule::number => {
                    let digits = part.as_str();
                    integral = !digits.contains('.');
                    value = match parse_decimal(digits) {
                        Some(v) if !integral || i64::try_from(v).is_ok() => v,
                        _ => {
                            self.diagnostics.push(
                                Diagnostic::error(codes::BAD_NUMBER, "number too large", span, "this number does not fit")
                                    .with_help("numbers in a policy are at most 9223372036854775807 (whole) or 28 significant digits (decimal)"),
                            );
                            Decimal::ZERO
                        }
                    };
                }
                Rule::unit => unit = Some(Ident { name: part.as_str().to_string(), span: self.span(&part) }),
                _ => {}
            }
        }
        Number { value, integral, unit }
    }

    fn header(&mut self, pair: Pair<'_, Rule>) -> Header {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let docs = inner.next().map(|d| self.docs(d)).unwrap_or(None);
        let mut id = None;
        let mut title = None;
        let mut header = Header {
            docs,
            id: Ident { name: String::new(), span },
            title: Text { value: String::new(), span },
            extends: None,
            year: None,
            effective: None,
            standard: None,
            span,
            points: None,
            floor: None,
        };
        let mut points: Option<(PointsDecl, Span)> = None;
        for part in inner {
            let part_span = self.span(&part);
            match part.as_rule() {
                Rule::ident => id = Some(self.ident(part)),
                Rule::string => title = Some(self.text(part)),
                Rule::extends => {
                    if let Some(s) = part.children().next() {
                        header.extends = Some(self.text(s));
                    }
                }
                Rule::year_field => {
                    let v = part.children().next().map(|p| p.as_str().to_string()).unwrap_or_default();
                    let year = v.parse::<i64>().ok();
                    if year.is_none() {
                        self.diagnostics.push(Diagnostic::error(
                            codes::BAD_NUMBER,
                            "number too large",
                            part_span,
                            "this number does not fit",
                        ));
                    }
                    self.set_header_field(&mut header.year, year.map(|y| (y, part_span)), "year", part_span);
                }
                Rule::effective_field => {
                    let v = part.children().next().map(|p| p.as_str().to_string()).unwrap_or_default();
                    if !valid_date(&v) {
                        self.diagnostics.push(
                            Diagnostic::error(
                                codes::BAD_DATE,
                                format!("`{v}` is not a calendar date"),
                                part_span,
                                "invalid date",
                            )
                            .with_help("write the date as YYYY-MM-DD, e.g. 2025-01-01"),
                        );
                    }
                    self.set_header_field(&mut header.effective, Some((v, part_span)), "effective", part_span);
                }
                Rule::standard_field => {
                    let standard = self.header_number(&part, part_span);
                    self.set_header_field(
                        &mut header.standard,
                        standard.map(|s| (s, part_span)),
                        "standard",
                        part_span,
                    );
                }
                Rule::points_field => {
                    let precision = self.header_number(&part, part_span);
                    let mut children = part.children();
                    let precision_span = children.next().map_or(part_span, |p| self.span(&p));
                    let rounding = children.next().map(|r| self.ident(r));
                    let decl = precision.map(|precision| {
                        (PointsDecl { precision, precision_span, rounding, span: part_span }, part_span)
                    });
                    let mut slot = points.take();
                    self.set_header_field(&mut slot, decl, "points", part_span);
                    points = slot;
                }
                Rule::floor_field => {
                    let floor = self.header_number(&part, part_span);
                    self.set_header_field(&mut header.floor, floor.map(|f| (f, part_span)), "floor", part_span);
                }
                _ => {}
            }
        }
        header.points = points.map(|(p, _)| p);
        if let Some(id) = id {
            header.id = id;
        }
        if let Some(title) = title {
            header.title = title;
        }
        header
    }

    /// The number of a header field (`standard 72.5`, `floor -5`), if it fits.
    fn header_number(&mut self, part: &Pair<'_, Rule>, span: Span) -> Option<Decimal> {
        let text = part.clone().children().next().map(|p| p.as_str().to_string()).unwrap_or_default();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        // Whole numbers fit an i64, as every other whole number in a policy does.
        let value = parse_decimal(digits).filter(|v| digits.contains('.') || i64::try_from(*v).is_ok()).map(|v| {
            if negative {
                -v
            } else {
                v
            }
        });
        if value.is_none() {
            self.diagnostics.push(Diagnostic::error(
                codes::BAD_NUMBER,
                "number too large",
                span,
                "this number does not fit",
            ));
        }
        value
    }

    fn set_header_field<T>(&mut self, slot: &mut Option<(T, Span)>, value: Option<(T, Span)>, name: &str, span: Span) {
        if let Some((_, first)) = slot {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::HEADER_FIELD,
                    format!("`{name}` is given twice in the header"),
                    span,
                    "second time here",
                )
                .with_label(*first, "first given here")
                .with_help(format!("keep one `{name}` line")),
            );
        } else {
            *slot = value;
        }
    }

    fn decl(&mut self, pair: Pair<'_, Rule>) -> Option<Decl> {
        Some(match pair.as_rule() {
            Rule::enum_decl => Decl::Enum(self.enum_decl(pair)),
            Rule::input_decl => {
                let mut inner = pair.children();
                let _docs = inner.next();
                Decl::Input(inner.map(|f| self.input_field(f)).collect())
            }
            Rule::param_decl => Decl::Param(self.param_decl(pair)),
            Rule::record_decl => Decl::Record(self.record_decl(pair)?),
            Rule::let_decl => Decl::Let(self.let_decl(pair)?),
            Rule::extend_decl => {
                // The same parts as an enum's, with the `extend` keyword before `enum`.
                Decl::Extend(self.enum_decl(pair))
            }
            Rule::amend_decl => {
                let span = self.span(&pair);
                let mut inner = pair.children();
                let docs = self.docs(inner.next()?);
                let name = self.ident(inner.next()?);
                let mut amend =
                    AmendDecl { docs, name, cap: None, label: None, requires: Vec::new(), unrequire: Vec::new(), span };
                for part in inner {
                    match part.as_rule() {
                        Rule::item_cap => amend.cap = part.children().next().map(|e| self.expr(e)),
                        Rule::amend_label => amend.label = part.children().next().map(|l| self.text(l)),
                        Rule::requires => {
                            let mut p = part.children();
                            let docs = self.docs(p.next()?);
                            let condition = self.expr(p.next()?);
                            let reason = self.text(p.next()?);
                            amend.requires.push(Requirement { docs, condition, reason });
                        }
                        Rule::unrequire => amend.unrequire.extend(part.children().next().map(|r| self.text(r))),
                        _ => {}
                    }
                }
                Decl::Amend(amend)
            }
            Rule::amend_group => {
                let span = self.span(&pair);
                let mut inner = pair.children();
                let docs = self.docs(inner.next()?);
                let name = self.ident(inner.next()?);
                let mut amend =
                    AmendGroupDecl { docs, name, cap: None, label: None, add: Vec::new(), remove: Vec::new(), span };
                for part in inner {
                    match part.as_rule() {
                        Rule::item_cap => amend.cap = part.children().next().map(|e| self.expr(e)),
                        Rule::amend_label => amend.label = part.children().next().map(|l| self.text(l)),
                        Rule::members_add => amend.add.extend(part.children().map(|m| self.ident(m))),
                        Rule::members_remove => amend.remove.extend(part.children().map(|m| self.ident(m))),
                        _ => {}
                    }
                }
                Decl::AmendGroup(amend)
            }
            Rule::section_decl => Decl::Section(self.section_decl(pair)),
            Rule::eligibility_decl | Rule::vetoes_decl => {
                let is_eligibility = pair.as_rule() == Rule::eligibility_decl;
                let rules = pair
                    .children()
                    .filter(|p| matches!(p.as_rule(), Rule::require_rule | Rule::veto_rule))
                    .filter_map(|p| self.rule_decl(p))
                    .collect();
                if is_eligibility {
                    Decl::Eligibility(rules)
                } else {
                    Decl::Vetoes(rules)
                }
            }
            Rule::test_decl => Decl::Test(self.test_decl(pair)?),
            Rule::override_decl => {
                let mut inner = pair.children();
                let docs = self.docs(inner.next()?);
                let target = inner.next()?;
                // Doc lines above `override` and below it both document the declaration, in
                // that order (fmt writes them all above `override`).
                let with_docs = |d: Docs| match (docs.clone(), d) {
                    (Some(above), Some(below)) => Some(format!("{above}\n{below}")),
                    (above, below) => above.or(below),
                };
                Decl::Override(match target.as_rule() {
                    Rule::param_decl => {
                        let mut p = self.param_decl(target);
                        p.docs = with_docs(p.docs);
                        Override::Param(p)
                    }
                    Rule::item_decl => {
                        let mut i = self.item_decl(target)?;
                        i.docs = with_docs(i.docs);
                        Override::Item(i)
                    }
                    Rule::require_rule => {
                        let mut r = self.rule_decl(target)?;
                        r.docs = with_docs(r.docs);
                        Override::Require(r)
                    }
                    Rule::veto_rule => {
                        let mut r = self.rule_decl(target)?;
                        r.docs = with_docs(r.docs);
                        Override::Veto(r)
                    }
                    Rule::test_decl => {
                        let mut t = self.test_decl(target)?;
                        t.docs = with_docs(t.docs);
                        Override::Test(t)
                    }
                    Rule::input_decl => {
                        Override::Input(target.children().skip(1).map(|f| self.input_field(f)).collect())
                    }
                    Rule::let_decl => {
                        let mut l = self.let_decl(target)?;
                        l.docs = with_docs(l.docs);
                        Override::Let(l)
                    }
                    Rule::renamed_test => {
                        // The parts of a test with the old name between `test` and `as`.
                        let span = self.span(&target);
                        let mut p = target.children();
                        let t_docs = self.docs(p.next()?);
                        let old = self.text(p.next()?);
                        let name = self.text(p.next()?);
                        let (given, expect) = self.test_body(p)?;
                        let test = TestDecl { docs: with_docs(t_docs), name, given, expect, span };
                        Override::RenamedTest { old, test }
                    }
                    Rule::output_decl => {
                        let mut o = self.output_decl(target)?;
                        o.docs = with_docs(o.docs);
                        Override::Output(o)
                    }
                    _ => return None,
                })
            }
            Rule::plan_decl => {
                let span = self.span(&pair);
                let mut plan = PlanDecl { docs: None, wait: Vec::new(), raise: Vec::new(), assume: Vec::new(), span };
                for part in pair.children() {
                    match part.as_rule() {
                        Rule::docs => plan.docs = self.docs(part),
                        Rule::plan_wait => {
                            for step in part.children() {
                                let mut p = step.children();
                                let input = self.ident(p.next()?);
                                let amount = self.value_from_quantity(p.next()?);
                                let when = p.next().map(|e| self.expr(e));
                                plan.wait.push(WaitStep { input, amount, when });
                            }
                        }
                        Rule::plan_raise => plan.raise.extend(part.children().map(|i| self.ident(i))),
                        Rule::plan_assume => {
                            let exprs: Vec<Expr> = part.children().map(|e| self.expr(e)).collect();
                            plan.assume.extend(exprs);
                        }
                        _ => {}
                    }
                }
                Decl::Plan(plan)
            }
            Rule::rank_decl => Decl::Rank(self.rank_decl(pair)?),
            Rule::unit_decl => Decl::Unit(self.unit_decl(pair)?),
            Rule::remove_decl => {
                let span = self.span(&pair);
                let target = pair.children().nth(1)?;
                let mut parts = target.children();
                let kind = match parts.next()?.as_str().trim() {
                    "item" => RemoveKind::Item,
                    "param" => RemoveKind::Param,
                    "require" => RemoveKind::Require,
                    "veto" => RemoveKind::Veto,
                    "input" => RemoveKind::Input,
                    "output" => RemoveKind::Output,
                    _ => RemoveKind::Test,
                };
                let name_pair = parts.next()?;
                let name = if name_pair.as_rule() == Rule::string {
                    self.text(name_pair).value
                } else {
                    name_pair.as_str().to_string()
                };
                Decl::Remove(Remove { kind, name, span })
            }
            Rule::output_decl => Decl::Output(self.output_decl(pair)?),
            _ => return None,
        })
    }

    fn output_decl(&mut self, pair: Pair<'_, Rule>) -> Option<OutputDecl> {
        let mut docs = None;
        let mut name = None;
        let mut label = None;
        let mut value = None;
        for part in pair.children() {
            match part.as_rule() {
                Rule::docs => docs = self.docs(part),
                Rule::ident => name = Some(self.ident(part)),
                Rule::string => label = Some(self.text(part)),
                Rule::expr => value = Some(self.expr(part)),
                _ => {}
            }
        }
        Some(OutputDecl { docs, name: name?, label, value: value? })
    }

    fn rank_decl(&mut self, pair: Pair<'_, Rule>) -> Option<RankDecl> {
        let span = self.span(&pair);
        let mut rank = RankDecl {
            docs: None,
            overrides: false,
            label: None,
            by: RankBy::Total(span),
            then: Vec::new(),
            quota: None,
            admit_ties: false,
            span,
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::docs => rank.docs = self.docs(part),
                Rule::rank_override => rank.overrides = true,
                Rule::string => rank.label = Some(self.text(part)),
                Rule::rank_by => {
                    let by = part.into_inner().find(|p| matches!(p.as_rule(), Rule::rank_total | Rule::ident))?;
                    rank.by = match by.as_rule() {
                        Rule::rank_total => RankBy::Total(self.span(&by)),
                        _ => RankBy::Section(self.ident(by)),
                    };
                }
                Rule::rank_then => {
                    for tie in part.into_inner().filter(|p| p.as_rule() == Rule::tie_break) {
                        let tie_span = self.span(&tie);
                        let mut p = tie.into_inner();
                        let input = self.ident(p.next()?);
                        let descending = p.next().is_none_or(|o| o.as_str() == "desc");
                        rank.then.push(TieBreak { input, descending, span: tie_span });
                    }
                }
                Rule::rank_quota => {
                    let part_span = self.span(&part);
                    let digits = part.into_inner().find(|p| p.as_rule() == Rule::integer)?;
                    let quota = digits.as_str().parse::<i64>().ok();
                    if quota.is_none() {
                        self.diagnostics.push(Diagnostic::error(
                            codes::BAD_NUMBER,
                            "number too large",
                            part_span,
                            "this number does not fit",
                        ));
                    }
                    rank.quota = quota.map(|q| (q, part_span));
                }
                Rule::rank_ties => rank.admit_ties = true,
                _ => {}
            }
        }
        Some(rank)
    }

    fn let_decl(&mut self, pair: Pair<'_, Rule>) -> Option<LetDecl> {
        let mut inner = pair.children();
        let docs = self.docs(inner.next()?);
        let name = self.ident(inner.next()?);
        let value = self.expr(inner.next()?);
        Some(LetDecl { docs, name, value, replaced: None })
    }

    fn unit_decl(&mut self, pair: Pair<'_, Rule>) -> Option<UnitDecl> {
        let span = self.span(&pair);
        let mut inner = pair.children();
        let docs = self.docs(inner.next()?);
        let name = self.ident(inner.next()?);
        let mut unit = UnitDecl { docs, name, singular: None, label: None, decimal: false, span };
        // The pair's span ends after the blanks and comments that follow it: end at the
        // last part written.
        unit.span.end = unit.name.span.end;
        for part in inner {
            unit.span.end = self.span(&part).end;
            match part.as_rule() {
                Rule::ident => unit.singular = Some(self.ident(part)),
                Rule::string => unit.label = Some(self.text(part)),
                Rule::unit_decimal => unit.decimal = true,
                _ => {}
            }
        }
        Some(unit)
    }

    fn enum_decl(&mut self, pair: Pair<'_, Rule>) -> EnumDecl {
        let mut inner = pair.children();
        let docs = inner.next().and_then(|d| self.docs(d));
        let name = inner.next().map(|p| self.ident(p));
        let variants = inner
            .filter_map(|v| {
                let mut parts = v.children();
                let docs = self.docs(parts.next()?);
                let name = self.ident(parts.next()?);
                let label = parts.next().map(|l| self.text(l));
                Some(Variant { docs, name, label })
            })
            .collect();
        EnumDecl { docs, name: name.unwrap_or_else(|| Ident { name: String::new(), span: Span::default() }), variants }
    }

    fn input_field(&mut self, pair: Pair<'_, Rule>) -> InputField {
        let span = self.span(&pair);
        let mut field = InputField {
            docs: None,
            name: Ident { name: String::new(), span },
            ty: Ident { name: String::new(), span },
            optional: false,
            range: None,
            default: None,
            label: None,
            list: None,
        };
        let mut idents = 0;
        for part in pair.children() {
            match part.as_rule() {
                Rule::docs => field.docs = self.docs(part),
                Rule::ident | Rule::field_name if idents == 0 => {
                    field.name = self.ident(part);
                    idents += 1;
                }
                Rule::type_name => field.ty = Ident { name: part.as_str().to_string(), span: self.span(&part) },
                Rule::optional => field.optional = true,
                Rule::range => field.range = Some(self.range(part)),
                Rule::default => field.default = part.children().next().map(|v| self.value(v)),
                Rule::string => field.label = Some(self.text(part)),
                Rule::list_type => {
                    let word = Span { end: self.span(&part).start + 4, ..self.span(&part) };
                    field.ty = Ident { name: "list".to_string(), span: word };
                    let mut inner = part.children();
                    let record = inner.next().map(|r| self.ident(r)).unwrap_or(Ident { name: String::new(), span });
                    let max = inner.next().and_then(|m| {
                        let n = m.children().next()?;
                        let at = self.span(&n);
                        match n.as_str().parse::<u64>() {
                            Ok(v) => Some((v, at)),
                            Err(_) => {
                                self.diagnostics.push(
                                    Diagnostic::error(codes::BAD_NUMBER, "number too large", at, "this bound")
                                        .with_help("a list's bound is a whole number such as `max 20`"),
                                );
                                None
                            }
                        }
                    });
                    field.list = Some(ListOf { record, max });
                }
                _ => {}
            }
        }
        field
    }

    fn record_decl(&mut self, pair: Pair<'_, Rule>) -> Option<RecordDecl> {
        let mut inner = pair.children();
        let docs = self.docs(inner.next()?);
        let name = self.ident(inner.next()?);
        let fields = inner.map(|f| self.input_field(f)).collect();
        Some(RecordDecl { docs, name, fields })
    }

    fn range(&mut self, pair: Pair<'_, Rule>) -> RangeDecl {
        let span = self.span(&pair);
        let mut bounds = pair.children().map(|p| parse_decimal(p.as_str()));
        let low = bounds.next().flatten();
        let high = bounds.next();
        if low.is_none() || high.is_some_and(|h| h.is_none()) {
            self.diagnostics.push(
                Diagnostic::error(codes::BAD_NUMBER, "number too large", span, "in this range")
                    .with_help("a bound has at most 28 significant digits"),
            );
        }
        let high = high.flatten();
        RangeDecl { low: low.unwrap_or_default(), high, span }
    }

    fn value(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let Some(inner) = pair.children().next() else {
            return Value { kind: ValueKind::Absent, span };
        };
        let kind = match inner.as_rule() {
            Rule::absent => ValueKind::Absent,
            Rule::date_lit => ValueKind::Date(self.date_lit(&inner)),
            Rule::rows_value => {
                let mut rows = Vec::new();
                for row in inner.children() {
                    let row_span = self.span(&row);
                    let mut fields = Vec::new();
                    for fact in row.children() {
                        let mut f = fact.children();
                        let (Some(name), Some(value)) = (f.next(), f.next()) else { continue };
                        let name = self.ident(name);
                        let value = self.value(value);
                        fields.push(Fact { name, value });
                    }
                    rows.push(Row { fields, span: row_span });
                }
                ValueKind::Rows(rows)
            }
            Rule::bool_lit => ValueKind::Bool(inner.as_str() == "true"),
            Rule::signed_quantity => {
                let mut negative = false;
                let mut number = Number { value: Decimal::ZERO, integral: true, unit: None };
                for p in inner.children() {
                    match p.as_rule() {
                        Rule::neg_sign => negative = true,
                        Rule::quantity => number = self.number(p),
                        _ => {}
                    }
                }
                if negative {
                    number.value = -number.value;
                }
                ValueKind::Number(number)
            }
            // `variant` or `Enum.variant`.
            _ => {
                let mut parts = inner.children();
                let (Some(first), second) = (parts.next(), parts.next()) else {
                    return Value { kind: ValueKind::Absent, span };
                };
                let first = self.ident(first);
                match second {
                    Some(v) => ValueKind::Variant { enum_name: Some(first), variant: self.ident(v) },
                    None => ValueKind::Variant { enum_name: None, variant: first },
                }
            }
        };
        Value { kind, span }
    }

    /// A date literal's day number; an invalid one is reported here (E0104) and read as
    /// 1970-01-01, so that checking stops at this error, not at a second one.
    fn date_lit(&mut self, pair: &Pair<'_, Rule>) -> i32 {
        let text = pair.as_str();
        crate::date::parse(text).unwrap_or_else(|why| {
            let help = match why {
                crate::date::DateError::Form => "write a date with four, two and two digits, e.g. 2025-07-01",
                crate::date::DateError::NoSuchDay => {
                    "months have 28 to 31 days (February 29 only in leap years): check the month and the day"
                }
                crate::date::DateError::Year => "write a year from 1000 to 9999",
            };
            self.diagnostics.push(
                Diagnostic::error(
                    codes::BAD_DATE,
                    format!("`{text}` {}", why.describe()),
                    self.span(pair),
                    "invalid date",
                )
                .with_help(help),
            );
            0
        })
    }

    /// A `signed_quantity` pair as a literal value.
    fn value_from_quantity(&mut self, pair: Pair<'_, Rule>) -> Value {
        let span = self.span(&pair);
        let mut negative = false;
        let mut number = Number { value: Decimal::ZERO, integral: true, unit: None };
        for p in pair.children() {
            match p.as_rule() {
                Rule::neg_sign => negative = true,
                Rule::quantity => number = self.number(p),
                _ => {}
            }
        }
        if negative {
            number.value = -number.value;
        }
        Value { kind: ValueKind::Number(number), span }
    }

    fn param_decl(&mut self, pair: Pair<'_, Rule>) -> ParamDecl {
        let span = self.span(&pair);
        let mut decl = ParamDecl {
            docs: None,
            name: Ident { name: String::new(), span },
            value: Value { kind: ValueKind::Absent, span },
            label: None,
        };
        for part in pair.children() {
            match part.as_rule() {
                Rule::docs => decl.docs = self.docs(part),
                Rule::ident => decl.name = self.ident(part),
                Rule::value => decl.value = self.value(part),
                Rule::string => decl.label = Some(self.text(part)),
                _ => {}
            }
        }
        decl
    }

    fn section_decl(&mut self, pair: Pair<'_, Rule>) -> SectionDecl {
        let span = self.span(&pair);
        let mut decl = SectionDecl {
            docs: None,
            name: Ident { name: String::new(), span },
            label: None,
            deduction: false,
            cap: None,
            items: Vec::new(),
            groups: Vec::new(),
            caps: Vec::new(),
        };
        for part in pair.children() {
            match part.as_rule() {
                Rule::docs => decl.docs = self.docs(part),
                Rule::ident => decl.name = self.ident(part),
                Rule::string => decl.label = Some(self.text(part)),
                Rule::deduction => decl.deduction = true,
                Rule::section_cap => decl.cap = part.children().next().map(|e| self.expr(e)),
                Rule::item_decl => {
                    if let Some(item) = self.item_decl(part) {
                        decl.items.push(item);
                    }
                }
                Rule::best_of_decl => {
                    let mut group = GroupDecl {
                        docs: None,
                        name: Ident { name: String::new(), span },
                        label: None,
                        members: Vec::new(),
                    };
                    let mut named = false;
                    for p in part.children() {
                        match p.as_rule() {
                            Rule::docs => group.docs = self.docs(p),
                            Rule::ident if !named => {
                                group.name = self.ident(p);
                                named = true;
                            }
                            Rule::ident => group.members.push(self.ident(p)),
                            Rule::string => group.label = Some(self.text(p)),
                            _ => {}
                        }
                    }
                    decl.groups.push(group);
                }
                Rule::group_decl => {
                    let mut docs = None;
                    let mut name = None;
                    let mut label = None;
                    let mut cap = None;
                    let mut members = Vec::new();
                    for p in part.children() {
                        match p.as_rule() {
                            Rule::docs => docs = self.docs(p),
                            Rule::ident if name.is_none() => name = Some(self.ident(p)),
                            Rule::ident => members.push(self.ident(p)),
                            Rule::string => label = Some(self.text(p)),
                            Rule::section_cap => cap = p.children().next().map(|e| self.expr(e)),
                            _ => {}
                        }
                    }
                    if let (Some(name), Some(cap)) = (name, cap) {
                        decl.caps.push(CapGroupDecl { docs, name, label, cap, members });
                    }
                }
                _ => {}
            }
        }
        decl
    }

    fn item_decl(&mut self, pair: Pair<'_, Rule>) -> Option<ItemDecl> {
        let span = self.span(&pair);
        let mut docs = None;
        let mut name = None;
        let mut label = None;
        let mut requires = Vec::new();
        let mut allows = Vec::new();
        let mut body = None;
        let mut cap = None;
        for part in pair.children() {
            match part.as_rule() {
                Rule::docs => docs = self.docs(part),
                Rule::ident => name = Some(self.ident(part)),
                Rule::string => label = Some(self.text(part)),
                Rule::requires => {
                    let mut p = part.children();
                    let docs = self.docs(p.next()?);
                    let condition = self.expr(p.next()?);
                    let reason = self.text(p.next()?);
                    requires.push(Requirement { docs, condition, reason });
                }
                Rule::allow => {
                    let mut p = part.children();
                    let code = p.next()?;
                    let code_span = self.span(&code);
                    let reason = self.text(p.next()?);
                    allows.push(Allow { code: code.as_str().to_string(), code_span, reason });
                }
                Rule::expr => body = Some(self.expr(part)),
                Rule::item_cap => cap = part.children().next().map(|e| self.expr(e)),
                _ => {}
            }
        }
        Some(ItemDecl { docs, name: name?, label: label?, requires, allows, body: body?, cap, span })
    }

    fn rule_decl(&mut self, pair: Pair<'_, Rule>) -> Option<RuleDecl> {
        let mut p = pair.children();
        let docs = self.docs(p.next()?);
        let name = self.ident(p.next()?);
        let condition = self.expr(p.next()?);
        let reason = self.text(p.next()?);
        Some(RuleDecl { docs, name, condition, reason })
    }

    fn test_decl(&mut self, pair: Pair<'_, Rule>) -> Option<TestDecl> {
        let span = self.span(&pair);
        let mut p = pair.children();
        let docs = self.docs(p.next()?);
        let name = self.text(p.next()?);
        let (given, expect) = self.test_body(p)?;
        Some(TestDecl { docs, name, given, expect, span })
    }

    /// A test's `given` and `expect` parts.
    fn test_body<'i>(&mut self, p: impl Iterator<Item = Pair<'i, Rule>>) -> Option<(Vec<Fact>, Vec<Expectation>)> {
        let mut given = Vec::new();
        let mut expect = Vec::new();
        for part in p {
            match part.as_rule() {
                Rule::given => {
                    for fact in part.children() {
                        let mut f = fact.children();
                        let name = self.ident(f.next()?);
                        let value = self.value(f.next()?);
                        given.push(Fact { name, value });
                    }
                }
                Rule::expect => {
                    for e in part.children() {
                        // One walk of the children: `item` first if it is there.
                        let mut f = e.into_inner().peekable();
                        let is_item = f.next_if(|t| t.as_rule() == Rule::kw_item).is_some();
                        let scope = f.next_if(|t| t.as_rule() == Rule::expect_scope).map(|t| match t.as_str().trim() {
                            "section" => ExpectScope::Section,
                            "group" => ExpectScope::Group,
                            "let" => ExpectScope::Let,
                            _ => ExpectScope::Output,
                        });
                        let target = self.ident(f.next()?);
                        let value = self.value(f.next()?);
                        expect.push(Expectation { is_item, target, value, scope });
                    }
                }
                _ => {}
            }
        }
        Some((given, expect))
    }

    // ------------------------------------------------------------ expressions

    pub(crate) fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        self.expr_h(pair).0
    }

    /// An expression and its height (1 for a leaf). Nesting is counted while the tree is
    /// built, so that no stage after this one ever sees a tree deeper than
    /// `MAX_EXPR_DEPTH`: the checker, the range analysis, the evaluator and even `Drop`
    /// recurse on it.
    fn expr_h(&mut self, pair: Pair<'_, Rule>) -> (Expr, usize) {
        let span = self.span(&pair);
        if self.depth >= MAX_EXPR_DEPTH {
            return self.too_deep(span);
        }
        // pest's Pratt parser recurses once per prefix operator (`- - - x`, `not a == not b
        // == …`): bound their number before it runs.
        let mut prefixes = pair.clone().into_inner().filter(|p| matches!(p.as_rule(), Rule::neg | Rule::not));
        if let Some(op) = prefixes.nth(MAX_EXPR_DEPTH) {
            let at = self.span(&op);
            return self.too_deep(at);
        }
        self.depth += 1;
        let file = self.file;
        let to_span = move |p: &Pair<'_, Rule>| {
            let s = p.as_span();
            Span::new(file, s.start(), s.end())
        };
        // The Pratt closures cannot borrow `self` mutably together, so diagnostics
        // found inside are gathered through a RefCell.
        let this = std::cell::RefCell::new(&mut *self);
        let result = pratt()
            .map_primary(|primary| this.borrow_mut().primary(primary))
            .map_prefix(|op, (operand, height)| {
                let s = to_span(&op).to(operand.span);
                let unop = if op.as_rule() == Rule::neg { UnOp::Neg } else { UnOp::Not };
                this.borrow_mut().node(ExprKind::Unary(unop, Box::new(operand)), s, height + 1)
            })
            .map_postfix(|(operand, height), op| {
                let s = operand.span.to(to_span(&op));
                let negated = op.as_rule() == Rule::not_in;
                let mut set = Vec::new();
                let mut tallest = height;
                for e in op.children() {
                    let (e, h) = this.borrow_mut().expr_h(e);
                    tallest = tallest.max(h);
                    set.push(e);
                }
                this.borrow_mut().node(ExprKind::In { negated, value: Box::new(operand), set }, s, tallest + 1)
            })
            .map_infix(|(lhs, lh), op, (rhs, rh)| {
                let s = lhs.span.to(rhs.span);
                let height = lh.max(rh) + 1;
                if op.as_rule() == Rule::per {
                    let amount_pair = op.children().next();
                    let (amount, amount_span) = match amount_pair {
                        Some(a) => {
                            let a_span = to_span(&a);
                            (this.borrow_mut().per_amount(a), a_span)
                        }
                        None => (Number { value: Decimal::ONE, integral: true, unit: None }, s),
                    };
                    let kind = ExprKind::Per { rate: Box::new(lhs), amount, amount_span, operand: Box::new(rhs) };
                    return this.borrow_mut().node(kind, s, height);
                }
                let binop = match op.as_rule() {
                    Rule::or => BinOp::Or,
                    Rule::and => BinOp::And,
                    Rule::eq => BinOp::Eq,
                    Rule::ne => BinOp::Ne,
                    Rule::lt => BinOp::Lt,
                    Rule::le => BinOp::Le,
                    Rule::gt => BinOp::Gt,
                    Rule::ge => BinOp::Ge,
                    Rule::add => BinOp::Add,
                    Rule::sub => BinOp::Sub,
                    Rule::mul => BinOp::Mul,
                    Rule::div => BinOp::Div,
                    _ => BinOp::Coalesce,
                };
                this.borrow_mut().node(ExprKind::Binary(binop, Box::new(lhs), Box::new(rhs)), s, height)
            })
            .parse(pair.into_inner());
        self.depth -= 1;
        result
    }

    /// A node of the given height, or a placeholder and E0407 when it is too tall. The
    /// node dropped is at most one level over the limit, so dropping it is safe.
    fn node(&mut self, kind: ExprKind, span: Span, height: usize) -> (Expr, usize) {
        if height > MAX_EXPR_DEPTH {
            return self.too_deep(span);
        }
        (Expr { kind, span }, height)
    }

    /// Report E0407 (once per file: the first place is enough to act on) and stand a leaf
    /// in for the expression. The file then has an error, so no later stage runs on it.
    fn too_deep(&mut self, span: Span) -> (Expr, usize) {
        if !self.too_deep_reported {
            self.too_deep_reported = true;
            self.diagnostics.push(
                Diagnostic::error(
                    codes::TOO_DEEP,
                    format!("expression nested more than {MAX_EXPR_DEPTH} deep"),
                    Span::new(span.file, span.start as usize, (span.start as usize + 1).min(span.end as usize)),
                    "the expression is too deep from here",
                )
                .with_help(
                    "split the expression with `let` definitions, or write a long `when … else => when …` \
                     chain as one `when` with several arms",
                ),
            );
        }
        (Expr { kind: ExprKind::Bool(false), span }, 1)
    }

    /// E0408 for a `when` or `match` with more arms than a compiled policy can number.
    fn count_arms(&mut self, arms: usize, span: Span) {
        if arms > MAX_COUNT {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::TOO_MANY,
                    format!("{arms} arms in one `when` or `match`; at most {MAX_COUNT} are allowed"),
                    Span::new(span.file, span.start as usize, (span.start as usize + 4).min(span.end as usize)),
                    "too many arms",
                )
                .with_help("split the rule over several items, or compute it with `per` or a parameter"),
            );
        }
    }

    fn per_amount(&mut self, pair: Pair<'_, Rule>) -> Number {
        let mut value = Decimal::ONE;
        let mut integral = true;
        let mut unit = None;
        for part in pair.children() {
            match part.as_rule() {
                Rule::number => {
                    integral = !part.as_str().contains('.');
                    value = parse_decimal(part.as_str()).unwrap_or(Decimal::ONE);
                }
                Rule::unit => unit = Some(Ident { name: part.as_str().to_string(), span: self.span(&part) }),
                _ => {}
            }
        }
        Number { value, integral, unit }
    }

    // `primary` and the functions it calls for nested expressions are on the path of every
    // nesting level: they are kept apart so that each frame holds only its own locals.
    fn primary(&mut self, pair: Pair<'_, Rule>) -> (Expr, usize) {
        let span = self.span(&pair);
        let (kind, tallest) = match pair.as_rule() {
            Rule::quantity => (ExprKind::Number(self.number(pair)), 0),
            Rule::bool_lit => (ExprKind::Bool(pair.as_str() == "true"), 0),
            Rule::date_lit => (ExprKind::Date(self.date_lit(&pair)), 0),
            Rule::reference => self.reference(pair, span),
            Rule::paren => {
                let mut inner = pair.children();
                let first = inner.next();
                if let Some(second) = inner.next() {
                    let at = self.span(&second);
                    self.diagnostics.push(
                        Diagnostic::error(
                            codes::SYNTAX,
                            "a list in parentheses is only a match's subject",
                            at,
                            "a second value",
                        )
                        .with_help("parentheses hold one value, e.g. `(a + b)`; `match (a, b) { … }` matches a pair"),
                    );
                }
                match first {
                    Some(e) => return self.expr_h(e),
                    None => (ExprKind::Bool(false), 0),
                }
            }
            Rule::when_expr => self.when_expr(pair, span),
            Rule::match_expr => self.match_expr(pair, span),
            Rule::expr => return self.expr_h(pair),
            _ => (ExprKind::Bool(false), 0),
        };
        self.node(kind, span, tallest + 1)
    }

    /// A name, `Enum.variant` or call's kind and the height of its tallest argument.
    fn reference(&mut self, pair: Pair<'_, Rule>, span: Span) -> (ExprKind, usize) {
        let mut parts = pair.children();
        let name = match parts.next() {
            Some(f) => self.ident(f),
            None => Ident { name: String::new(), span },
        };
        let Some(next) = parts.next() else {
            return (ExprKind::Name(name), 0);
        };
        if matches!(next.as_rule(), Rule::ident | Rule::field_name) {
            return (ExprKind::Qualified { enum_name: name, variant: self.ident(next) }, 0);
        }
        if next.clone().into_inner().any(|p| p.as_rule() == Rule::each_var) {
            return self.each(name, next, span);
        }
        let mut tallest = 0;
        let mut args = Vec::new();
        for a in next.children() {
            let (a, h) = self.expr_h(a);
            tallest = tallest.max(h);
            args.push(a);
        }
        (ExprKind::Call { func: name, args }, tallest)
    }

    /// `func(body for var in list where filter)` or `func(var in list where filter)`.
    fn each(&mut self, func: Ident, pair: Pair<'_, Rule>, span: Span) -> (ExprKind, usize) {
        let missing = Ident { name: String::new(), span };
        let (mut body, mut var, mut list, mut filter) = (None, None, None, None);
        let mut tallest = 0;
        for part in pair.children() {
            match part.as_rule() {
                Rule::expr => {
                    let (e, h) = self.expr_h(part);
                    tallest = tallest.max(h);
                    body = Some(e);
                }
                Rule::each_var => var = part.children().next().map(|v| self.ident(v)),
                Rule::ident => list = Some(self.ident(part)),
                Rule::each_where => {
                    if let Some(e) = part.children().next() {
                        let (e, h) = self.expr_h(e);
                        tallest = tallest.max(h);
                        filter = Some(e);
                    }
                }
                _ => {}
            }
        }
        let var = var.unwrap_or_else(|| missing.clone());
        let list = list.unwrap_or(missing);
        (ExprKind::Each(Box::new(Each { func, body, var, list, filter })), tallest)
    }

    /// A `when` chain's kind and the height of its tallest part.
    fn when_expr(&mut self, pair: Pair<'_, Rule>, span: Span) -> (ExprKind, usize) {
        let mut tallest = 0;
        let mut arms = Vec::new();
        let mut otherwise = None;
        for arm in pair.children() {
            let arm_span = self.span(&arm);
            let is_else = arm.as_rule() == Rule::else_arm;
            let mut parts = arm.children();
            if is_else {
                if let Some(e) = parts.next() {
                    let (e, h) = self.expr_h(e);
                    tallest = tallest.max(h);
                    otherwise = Some(e);
                }
            } else if let (Some(c), Some(r)) = (parts.next(), parts.next()) {
                let (condition, ch) = self.expr_h(c);
                let (result, rh) = self.expr_h(r);
                tallest = tallest.max(ch).max(rh);
                arms.push(WhenArm { condition, result, span: arm_span });
            }
        }
        self.count_arms(arms.len(), span);
        let otherwise = otherwise.unwrap_or(Expr {
            kind: ExprKind::Number(Number { value: Decimal::ZERO, integral: true, unit: None }),
            span,
        });
        (ExprKind::When { arms, otherwise: Box::new(otherwise) }, tallest)
    }

    /// A `match`'s kind and the height of its tallest part.
    fn match_expr(&mut self, pair: Pair<'_, Rule>, span: Span) -> (ExprKind, usize) {
        let mut tallest = 0;
        let mut scrutinee = Vec::new();
        let mut arms = Vec::new();
        for part in pair.children() {
            match part.as_rule() {
                Rule::scrutinee => {
                    // `(a, b)`: the expression is one parenthesised list, its values the pair.
                    let whole = part.children().next();
                    let mut parts = whole.clone().map(|e| e.children().collect::<Vec<_>>()).unwrap_or_default();
                    let values: Vec<Pair<'_, Rule>> = match parts.as_slice() {
                        [p] if p.as_rule() == Rule::paren && p.clone().into_inner().count() > 1 => {
                            parts.remove(0).children().collect()
                        }
                        _ => whole.into_iter().collect(),
                    };
                    for e in values {
                        let (e, h) = self.expr_h(e);
                        tallest = tallest.max(h);
                        scrutinee.push(e);
                    }
                }
                Rule::match_arm => {
                    let mut p = part.children();
                    let (Some(pat), Some(res)) = (p.next(), p.next()) else {
                        continue;
                    };
                    let (pattern, pattern_span) = self.pattern(pat);
                    let (result, h) =
                        if res.as_rule() == Rule::arm_number { self.arm_number(res) } else { self.expr_h(res) };
                    tallest = tallest.max(h);
                    arms.push(MatchArm { pattern, pattern_span, result });
                }
                _ => {}
            }
        }
        self.count_arms(arms.len(), span);
        (ExprKind::Match { scrutinee, arms }, tallest)
    }

    /// A match arm's value that is a bare number (`0` in `none => 0 bachelor => 60`).
    fn arm_number(&mut self, pair: Pair<'_, Rule>) -> (Expr, usize) {
        let span = self.span(&pair);
        let mut negated = false;
        let mut expr =
            Expr { kind: ExprKind::Number(Number { value: Decimal::ZERO, integral: true, unit: None }), span };
        for part in pair.children() {
            match part.as_rule() {
                Rule::neg => negated = true,
                Rule::bare_number => {
                    let at = self.span(&part);
                    expr = Expr { kind: ExprKind::Number(self.number(part)), span: at };
                }
                _ => {}
            }
        }
        if negated {
            return (Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(expr)), span }, 1);
        }
        (expr, 0)
    }

    fn pattern(&mut self, pat: Pair<'_, Rule>) -> (Vec<Vec<PatternAtom>>, Span) {
        // pest's span of a lone alternative includes the blanks before `=>`.
        let mut pattern_span = self.span(&pat);
        pattern_span.end -= (pat.as_str().len() - pat.as_str().trim_end().len()) as u32;
        let pattern = pat
            .children()
            .map(|alts| {
                alts.children()
                    .filter_map(|atom| atom.children().next())
                    .map(|atom| match atom.as_rule() {
                        Rule::wildcard => PatternAtom::Wildcard(self.span(&atom)),
                        Rule::bool_lit => PatternAtom::Bool(atom.as_str() == "true", self.span(&atom)),
                        _ => PatternAtom::Variant(self.ident(atom)),
                    })
                    .collect()
            })
            .collect();
        (pattern, pattern_span)
    }
}

/// Children of a pair without the keyword tokens, which carry no information.
type Significant<'i> = std::iter::Filter<Pairs<'i, Rule>, fn(&Pair<'i, Rule>) -> bool>;

trait Children<'i> {
    fn children(self) -> Significant<'i>;
}

impl<'i> Children<'i> for Pair<'i, Rule> {
    fn children(self) -> Significant<'i> {
        self.into_inner().filter(|p| !is_keyword(p.as_rule()))
    }
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_policy
            | Rule::kw_extends
            | Rule::kw_extend
            | Rule::kw_amend
            | Rule::kw_add
            | Rule::kw_enum
            | Rule::kw_input
            | Rule::kw_param
            | Rule::kw_let
            | Rule::kw_section
            | Rule::kw_item
            | Rule::kw_requires
            | Rule::kw_allow
            | Rule::kw_cap
            | Rule::kw_best_of
            | Rule::kw_deduction
            | Rule::kw_eligibility
            | Rule::kw_require
            | Rule::kw_vetoes
            | Rule::kw_veto
            | Rule::kw_test
            | Rule::kw_plan
            | Rule::kw_given
            | Rule::kw_expect
            | Rule::kw_override
            | Rule::kw_remove
            | Rule::kw_absent
            | Rule::kw_when
            | Rule::kw_else
            | Rule::kw_match
            | Rule::kw_in
            | Rule::kw_not
            | Rule::kw_per
            | Rule::kw_of
            | Rule::kw_group
            | Rule::kw_output
            | Rule::kw_as
            | Rule::kw_record
            | Rule::kw_list
            | Rule::kw_max
            | Rule::kw_for
            | Rule::kw_where
            | Rule::kw_unit
            | Rule::kw_year
            | Rule::kw_effective
            | Rule::kw_standard
            | Rule::kw_points
            | Rule::kw_round
            | Rule::kw_floor
    )
}

/// A string literal's text with its escapes (`\n`, `\t`, `\"`, `\\`) resolved.
pub(crate) fn unescape(s: &str) -> String {
    // Most strings have no escape: one copy, not a push per character.
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn valid_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}
