//! Typing and lowering of expressions: names to slots, units checked, `let`s and
//! parameters substituted.

use rust_decimal::Decimal;

use super::types::Ty;
use super::{Checker, LetState, Symbol};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::Unit;
use crate::rules::{self, ArithOp, CmpOp, Expr as Ir, ExprKind as IrKind, Value};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, ExprKind, UnOp};
use crate::syntax::MAX_EXPR_DEPTH;

/// Most expression nodes a policy may compile to, `let`s substituted: each use of a `let`
/// copies its tree, so a few lines could otherwise ask for more memory than there is.
pub(crate) const MAX_POLICY_NODES: u64 = 4_000_000;

/// What to do instead of computing with a date.
const DATE_FUNCTIONS_HELP: &str = "a date is compared, never computed with: count between two dates with \
     `years_between(from, to)`, `months_between(from, to)` or `days_between(from, to)`";

const ERR: (IrKind, Ty) = (IrKind::Const(Value::Int(0)), Ty::Error);

impl<'a> Checker<'a> {
    /// Type and lower `e`: the node carries the type proved here. `expected` only guides
    /// how bare enum variants resolve.
    pub(super) fn expr(&mut self, e: &ast::Expr, expected: Option<&Ty>) -> (Ir, Ty) {
        self.size.nesting += 1;
        self.size.deepest = self.size.deepest.max(self.size.nesting);
        self.size.nodes += 1;
        let lowered = if self.size.nesting > MAX_EXPR_DEPTH || self.size.nodes > MAX_POLICY_NODES {
            self.too_large(e.span);
            ERR
        } else {
            self.lower(e, expected)
        };
        self.size.nesting -= 1;
        let (kind, ty) = lowered;
        (Ir::new(kind, ty.ir()), ty)
    }

    /// E0407, once per policy, where substituting `let`s makes an expression too deep or
    /// the policy too large.
    fn too_large(&mut self, span: Span) {
        if std::mem::replace(&mut self.size.reported, true) {
            return;
        }
        let (message, help) = if self.size.nodes > MAX_POLICY_NODES {
            (
                format!("the policy grows past {MAX_POLICY_NODES} expression nodes once its `let`s are substituted"),
                "each use of a `let` copies its expression: use large `let`s in fewer places, or build them from \
                 items with `points(…)`",
            )
        } else {
            (
                format!("expression nested more than {MAX_EXPR_DEPTH} deep once its `let`s are substituted"),
                "each use of a `let` copies its expression: shorten the chain of `let`s built on one another",
            )
        };
        self.error(
            Diagnostic::error(codes::TOO_DEEP, message, span, "too deep or too large from here").with_help(help),
        );
    }

    /// What `e` computes and its type; [`Checker::expr`] makes them one typed node.
    fn lower(&mut self, e: &ast::Expr, expected: Option<&Ty>) -> (IrKind, Ty) {
        match &e.kind {
            ExprKind::Number(n) => self.number(n),
            ExprKind::Bool(b) => (IrKind::Const(Value::Bool(*b)), Ty::Bool),
            ExprKind::Name(id) => self.name(id, expected),
            ExprKind::Qualified { enum_name, variant }
                if self.row_scope.as_ref().is_some_and(|s| s.var == enum_name.name) =>
            {
                self.field(enum_name, variant).unwrap_or(ERR)
            }
            ExprKind::Qualified { enum_name, variant } => match self.enum_index.get(&enum_name.name).copied() {
                Some(en) => match self.variant_index(en, &variant.name) {
                    Some(v) => {
                        self.resolved(enum_name.span, self.enums[usize::from(en)].span);
                        self.resolved_variant(variant.span, en, v);
                        (IrKind::Const(Value::Enum(v)), Ty::Enum(en))
                    }
                    None => {
                        self.unknown_variant(en, variant);
                        ERR
                    }
                },
                None => {
                    self.unknown_name(enum_name, "enum");
                    ERR
                }
            },
            ExprKind::Unary(op, operand) => self.unary(*op, operand),
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, e.span),
            ExprKind::Per { rate, amount, amount_span, operand } => self.per(rate, amount, *amount_span, operand),
            ExprKind::In { negated, value, set } => self.in_set(*negated, value, set),
            ExprKind::Call { func, args } => self.call(func, args, e.span),
            ExprKind::When { arms, otherwise } => self.when(arms, otherwise, expected),
            ExprKind::Match { scrutinee, arms } => self.match_expr(scrutinee, arms, e.span, expected),
            ExprKind::Date(days) => (IrKind::Const(Value::Date(*days)), Ty::Date),
            ExprKind::Each(each) => {
                let ast::Each { func, body, var, list, filter } = &**each;
                self.each(func, body.as_ref(), var, list, filter.as_ref(), e.span)
            }
        }
    }

    pub(super) fn unknown_name(&mut self, id: &ast::Ident, what: &str) {
        let mut candidates: Vec<String> = self.names.keys().cloned().collect();
        candidates.extend(self.enums.iter().flat_map(|e| e.variants.iter().map(|(n, _)| n.clone())));
        candidates.extend(self.enum_names());
        let help = match self.suggest(&id.name, candidates.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "declare it as an input, a `param` or a `let` before using it".to_string(),
        };
        let message = if what == "name" {
            format!("unknown name `{}`", id.name)
        } else {
            format!("unknown {what} `{}`", id.name)
        };
        self.error(Diagnostic::error(codes::UNKNOWN_NAME, message, id.span, "not defined").with_help(help));
    }

    fn name(&mut self, id: &ast::Ident, expected: Option<&Ty>) -> (IrKind, Ty) {
        if self.list_as_value(id) {
            return ERR;
        }
        if let Some(symbol) = self.names.get(&id.name).copied() {
            let declared = match symbol {
                Symbol::Input(slot) => self.input_spans.get(usize::from(slot)).copied(),
                Symbol::Param(p) => self.params.get(usize::from(p)).map(|p| p.span),
                Symbol::Let(l) => self.lets.get(usize::from(l)).map(|l| l.decl.name.span),
            };
            if let Some(declared) = declared {
                self.resolved(id.span, declared);
            }
            return match symbol {
                Symbol::Input(slot) => {
                    self.reads.inputs.insert(slot);
                    if let Some(u) = self.used_inputs.get_mut(slot as usize) {
                        *u = true;
                    }
                    let def = &self.inputs[slot as usize];
                    let base = super::records::input_ty(def.ty);
                    let ty = if def.optional { Ty::Optional(Box::new(base)) } else { base };
                    (IrKind::Input(slot), ty)
                }
                Symbol::Param(p) => {
                    if let Some(u) = self.used_params.get_mut(p as usize) {
                        *u = true;
                    }
                    let info = &self.params[p as usize];
                    (IrKind::Param(p), info.ty.clone())
                }
                Symbol::Let(l) => self.let_ref(l, id.span),
            };
        }
        if id.name == "effective" {
            return self.effective_date(id);
        }
        // A bare variant: resolved by the type the context expects, or by being unique.
        if let Some(Ty::Enum(e)) = expected {
            if let Some(v) = self.variant_index(*e, &id.name) {
                self.resolved_variant(id.span, *e, v);
                return (IrKind::Const(Value::Enum(v)), Ty::Enum(*e));
            }
        }
        let owners: Vec<u16> =
            (0..self.enums.len() as u16).filter(|e| self.variant_index(*e, &id.name).is_some()).collect();
        match owners.as_slice() {
            [e] => {
                let v = self.variant_index(*e, &id.name).unwrap_or(0);
                if let Some(Ty::Enum(want)) = expected {
                    if want != e {
                        self.unknown_variant(*want, id);
                        return ERR;
                    }
                }
                self.resolved_variant(id.span, *e, v);
                (IrKind::Const(Value::Enum(v)), Ty::Enum(*e))
            }
            [] if self.failed_inputs.contains(&id.name) => ERR,
            [] => {
                if let Some(Ty::Enum(want)) = expected {
                    self.unknown_variant(*want, id);
                } else {
                    self.unknown_name(id, "name");
                }
                ERR
            }
            several => {
                let names: Vec<String> =
                    several.iter().map(|e| format!("`{}.{}`", self.enums[*e as usize].name, id.name)).collect();
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        format!("`{}` is a variant of several enums", id.name),
                        id.span,
                        "ambiguous variant",
                    )
                    .with_help(format!("compare it with a value of the enum, or write {}", names.join(" or "))),
                );
                ERR
            }
        }
    }

    /// `effective`: the header's effective date, a date constant.
    fn effective_date(&mut self, id: &ast::Ident) -> (IrKind, Ty) {
        match self.effective {
            Some(days) => (IrKind::Const(Value::Date(days)), Ty::Date),
            None => {
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        "`effective` is the policy's effective date, and this policy has none",
                        id.span,
                        "no effective date",
                    )
                    .with_help("give the header a date, e.g. `effective 2025-07-01`, or write the date itself"),
                );
                ERR
            }
        }
    }

    pub(super) fn let_value(&mut self, index: u16) -> (Ir, Ty) {
        let span = self.lets[index as usize].decl.name.span;
        let (kind, ty) = self.let_ref(index, span);
        (Ir::new(kind, ty.ir()), ty)
    }

    fn let_ref(&mut self, index: u16, use_span: Span) -> (IrKind, Ty) {
        let info = &self.lets[index as usize];
        match &info.state {
            LetState::Done { expr, ty, reads, deps, height, nodes } => {
                // The `let`'s tree takes the place of this name.
                let deepest = self.size.nesting.saturating_sub(1) + height;
                if deepest > MAX_EXPR_DEPTH || self.size.nodes.saturating_add(*nodes) > MAX_POLICY_NODES {
                    self.size.nodes = self.size.nodes.saturating_add(*nodes);
                    self.too_large(use_span);
                    return ERR;
                }
                self.size.deepest = self.size.deepest.max(deepest);
                self.size.nodes += nodes;
                let (expr, ty) = (expr.clone(), ty.clone());
                self.reads.inputs.extend(reads.iter().copied());
                self.reads.items.extend(deps.iter().copied());
                (expr.kind, ty)
            }
            LetState::InProgress => {
                let name = info.decl.name.name.clone();
                let def_span = info.decl.name.span;
                let mut path: Vec<&str> = self
                    .let_stack
                    .iter()
                    .skip_while(|l| **l != index)
                    .map(|l| self.lets[*l as usize].decl.name.name.as_str())
                    .collect();
                path.push(&name);
                let message = match path.len() {
                    0..=2 => format!("`{name}` is defined in terms of itself"),
                    _ => format!("`{name}` is defined in terms of itself: {}", path.join(" → ")),
                };
                self.error(
                    Diagnostic::error(codes::CYCLE, message, use_span, "used here while it is being defined")
                        .with_label(def_span, "defined here")
                        .with_help("a `let` may use other `let`s, but not in a circle; define one of them from the inputs directly"),
                );
                // Mark it so the cycle is reported once.
                self.lets[index as usize].state = LetState::Done {
                    expr: Ir::new(ERR.0, Ty::Error.ir()),
                    ty: Ty::Error,
                    reads: Default::default(),
                    deps: Default::default(),
                    height: 1,
                    nodes: 1,
                };
                ERR
            }
            LetState::Todo => {
                let decl = info.decl;
                self.lets[index as usize].state = LetState::InProgress;
                let outer = std::mem::take(&mut self.reads);
                self.let_stack.push(index);
                // The `let`'s tree takes the place of the name that uses it.
                let (nesting, deepest_before, nodes_before) = (self.size.nesting, self.size.deepest, self.size.nodes);
                let start = nesting.saturating_sub(1);
                self.size.nesting = start;
                self.size.deepest = start;
                let (mut expr, mut ty) = self.expr(&decl.value, None);
                // `override let` of another type: one error here, and the extended policy's
                // expression is kept so that its uses are not each reported as wrong.
                if let Some(old) = &decl.replaced {
                    // Checked quietly: what it reads and reports belongs to the parent's text.
                    let before = self.diags.len();
                    let (reads, used, size) = (self.reads.clone(), self.used_inputs.clone(), self.size.clone());
                    let (old_expr, old_ty) = self.expr(old, None);
                    self.diags.truncate(before);
                    let kept = std::mem::replace(&mut self.reads, reads);
                    let kept_used = std::mem::replace(&mut self.used_inputs, used);
                    self.size = size;
                    if !ty.is_error() && !old_ty.is_error() && !same_kind(&ty, &old_ty) {
                        let (was, now) = (self.describe(&old_ty), self.describe(&ty));
                        self.error(
                            Diagnostic::error(
                                codes::OVERRIDE_CHANGES_TYPE,
                                format!("`override let {}` changes its value from {was} to {now}", decl.name.name),
                                decl.value.span,
                                format!("this is {now}"),
                            )
                            .with_label(old.span, format!("the extended policy's `let` is {was}, and is used as such"))
                            .with_help(format!("give `{}` {was}, as the extended policy does", decl.name.name)),
                        );
                        (expr, ty) = (old_expr, old_ty);
                        (self.reads, self.used_inputs) = (kept, kept_used);
                    }
                }
                let height = self.size.deepest - start;
                let nodes = self.size.nodes - nodes_before;
                self.size.deepest = self.size.deepest.max(deepest_before);
                self.size.nesting = nesting;
                self.let_stack.pop();
                let inner = std::mem::replace(&mut self.reads, outer);
                if matches!(self.lets[index as usize].state, LetState::InProgress) {
                    self.lets[index as usize].state = LetState::Done {
                        expr: expr.clone(),
                        ty: ty.clone(),
                        reads: inner.inputs.clone(),
                        deps: inner.items.clone(),
                        height,
                        nodes,
                    };
                }
                self.reads.inputs.extend(inner.inputs);
                self.reads.items.extend(inner.items);
                (expr.kind, ty)
            }
        }
    }

    fn unary(&mut self, op: UnOp, operand: &ast::Expr) -> (IrKind, Ty) {
        let (inner, ty) = self.expr(operand, None);
        match (op, &ty) {
            (_, Ty::Error) => ERR,
            (UnOp::Neg, Ty::Num { .. }) => (IrKind::Neg(Box::new(inner)), ty),
            (UnOp::Not, Ty::Bool) => (IrKind::Not(Box::new(inner)), Ty::Bool),
            (UnOp::Neg, Ty::Date) => {
                self.date_arithmetic(operand.span, "`-`");
                ERR
            }
            (UnOp::Neg, _) => {
                self.operand_error(&ty, operand.span, "`-`", "a number");
                ERR
            }
            (UnOp::Not, _) => {
                self.operand_error(&ty, operand.span, "`not`", "a yes/no value");
                ERR
            }
        }
    }

    pub(super) fn operand_error(&mut self, ty: &Ty, span: Span, op: &str, wanted: &str) {
        if let Ty::Optional(_) = ty {
            self.error(
                Diagnostic::error(
                    codes::OPTIONAL_UNCHECKED,
                    format!("{op} is applied to an optional value that may be absent"),
                    span,
                    "may be absent",
                )
                .with_help(optional_help(self.sources.slice(span), ty, &self.unit_names())),
            );
            return;
        }
        let found = self.describe(ty);
        self.error(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("{op} needs {wanted}, found {found}"),
                span,
                format!("this is {found}"),
            )
            .with_help(format!("{op} works on {wanted}")),
        );
    }

    fn binary(&mut self, op: BinOp, lhs: &ast::Expr, rhs: &ast::Expr, span: Span) -> (IrKind, Ty) {
        // `5 years <= x <= 30 years` reads as `(5 years <= x) <= 30 years`: say that before any
        // type error of the comparison of a yes/no value (a bracketed left side is meant).
        if let ast::ExprKind::Binary(inner, _, middle) = &lhs.kind {
            // A `)` between the two sides: the left one was bracketed, `(a < b) == c`.
            let between = Span { start: lhs.span.end, end: rhs.span.start.max(lhs.span.end), ..span };
            if is_comparison(op) && is_comparison(*inner) && !self.sources.slice(between).contains(')') {
                let (first, shared) = (self.sources.slice(lhs.span), self.sources.slice(middle.span));
                let fixed = format!("{first} and {shared} {} {}", op.symbol(), self.sources.slice(rhs.span));
                self.error(
                    Diagnostic::error(codes::SYNTAX, "comparisons cannot be chained", span, "two comparisons in a row")
                        .with_help(format!("compare twice and join with `and`: write `{fixed}`"))
                        .with_fix(span, fixed),
                );
                return ERR;
            }
        }
        // With `==`/`!=`, a bare variant on either side takes its enum from the other side.
        let (l, lt, r, rt) = if matches!(op, BinOp::Eq | BinOp::Ne) && self.is_bare_variant(lhs) {
            let (r, rt) = self.expr(rhs, None);
            let (l, lt) = self.expr(lhs, Some(&rt));
            (l, lt, r, rt)
        } else if op == BinOp::Coalesce {
            let (l, lt) = self.expr(lhs, None);
            let inner = match &lt {
                Ty::Optional(t) => (**t).clone(),
                other => other.clone(),
            };
            let (r, rt) = self.expr(rhs, Some(&inner));
            (l, lt, r, rt)
        } else {
            let (l, lt) = self.expr(lhs, None);
            let (r, rt) = self.expr(rhs, Some(&lt));
            (l, lt, r, rt)
        };
        if lt.is_error() || rt.is_error() {
            return ERR;
        }
        let (lb, rb) = (Box::new(l), Box::new(r));
        match op {
            BinOp::Or | BinOp::And => {
                for (t, s) in [(&lt, lhs.span), (&rt, rhs.span)] {
                    if *t != Ty::Bool {
                        self.operand_error(t, s, &format!("`{}`", op.symbol()), "yes/no values");
                        return ERR;
                    }
                }
                let ir = if op == BinOp::Or { IrKind::Or(lb, rb) } else { IrKind::And(lb, rb) };
                (ir, Ty::Bool)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let cmp = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let ordered = !matches!(cmp, CmpOp::Eq | CmpOp::Ne);
                match (&lt, &rt) {
                    (Ty::Num { unit: lu, .. }, Ty::Num { unit: ru, .. }) => {
                        if lu != ru {
                            self.unit_mismatch(op, *lu, *ru, lhs.span, rhs.span);
                            return ERR;
                        }
                    }
                    (Ty::Bool, Ty::Bool) | (Ty::Enum(_), Ty::Enum(_)) if !ordered && lt == rt => {}
                    (Ty::Date, Ty::Date) => {}
                    (Ty::Date, other) | (other, Ty::Date) if !matches!(other, Ty::Optional(_)) => {
                        self.date_comparison(op, span, (&lt, lhs.span), (&rt, rhs.span));
                        return ERR;
                    }
                    _ => {
                        let (a, b) = (self.describe(&lt), self.describe(&rt));
                        let d = if matches!(lt, Ty::Optional(_)) || matches!(rt, Ty::Optional(_)) {
                            Diagnostic::error(
                                codes::OPTIONAL_UNCHECKED,
                                "a comparison uses an optional value that may be absent",
                                span,
                                "may be absent",
                            )
                            .with_help("give a value for when it is absent with `??`, or test it with `present(x)`")
                        } else if ordered && lt == rt {
                            Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                format!("`{}` orders numbers, not {a}", op.symbol()),
                                span,
                                "cannot be ordered",
                            )
                            .with_help("compare with `==` or `!=`, or use `in [ … ]` for several variants")
                        } else {
                            Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                format!("cannot compare {a} with {b}"),
                                span,
                                "different kinds of value",
                            )
                            .with_label(lhs.span, a)
                            .with_label(rhs.span, b)
                            .with_help("compare values of the same kind")
                        };
                        self.error(d);
                        return ERR;
                    }
                }
                (IrKind::Cmp(cmp, lb, rb), Ty::Bool)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div if lt == Ty::Date || rt == Ty::Date => {
                let place = if lt == Ty::Date { lhs.span } else { rhs.span };
                self.date_arithmetic(place, &format!("`{}`", op.symbol()));
                ERR
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let (Ty::Num { int: li, unit: lu }, Ty::Num { int: ri, unit: ru }) = (&lt, &rt) else {
                    let (bad, s) = if matches!(lt, Ty::Num { .. }) { (&rt, rhs.span) } else { (&lt, lhs.span) };
                    self.operand_error(bad, s, &format!("`{}`", op.symbol()), "numbers");
                    return ERR;
                };
                let (li, ri, lu, ru) = (*li, *ri, *lu, *ru);
                let (arith, ty) = match op {
                    BinOp::Add | BinOp::Sub => {
                        if lu != ru {
                            self.unit_mismatch(op, lu, ru, lhs.span, rhs.span);
                            if let (ExprKind::Per { operand, .. }, Some(_)) = (&lhs.kind, ru) {
                                self.per_precedence_help(lhs, operand, op, rhs);
                            }
                            return ERR;
                        }
                        let a = if op == BinOp::Add { ArithOp::Add } else { ArithOp::Sub };
                        (a, Ty::Num { int: li && ri, unit: lu })
                    }
                    BinOp::Mul => {
                        if lu.is_some() && ru.is_some() {
                            self.error(
                                Diagnostic::error(
                                    codes::UNIT_MISMATCH,
                                    format!("cannot multiply {} by {}", self.unit_name(lu), self.unit_name(ru)),
                                    span,
                                    "both sides have a unit",
                                )
                                .with_help("multiply a quantity by a plain number, e.g. `3 * average_wage`"),
                            );
                            return ERR;
                        }
                        (ArithOp::Mul, Ty::Num { int: li && ri, unit: lu.or(ru) })
                    }
                    _ => {
                        let unit = match (lu, ru) {
                            (u, None) => u,
                            (Some(a), Some(b)) if a == b => None,
                            _ => {
                                self.unit_mismatch(op, lu, ru, lhs.span, rhs.span);
                                return ERR;
                            }
                        };
                        (ArithOp::Div, Ty::Num { int: false, unit })
                    }
                };
                (IrKind::Arith(arith, lb, rb), ty)
            }
            BinOp::Coalesce => {
                let Ty::Optional(inner) = &lt else {
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            "`??` needs an optional value on its left",
                            lhs.span,
                            "this is never absent",
                        )
                        .with_help("drop `?? …`: the value is always given"),
                    );
                    return ERR;
                };
                let compatible = match (&**inner, &rt) {
                    (Ty::Num { unit: a, .. }, Ty::Num { unit: b, .. }) => a == b,
                    (a, b) => a == b,
                };
                if !compatible {
                    let (a, b) = (self.describe(inner), self.describe(&rt));
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("the value for when it is absent must be {a}, found {b}"),
                            rhs.span,
                            format!("this is {b}"),
                        )
                        .with_help(match inner.unit() {
                            Some(u) => format!("write it in {}, e.g. `0 {}`", self.unit_str(u), self.unit_str(u)),
                            None => "give a value of the same kind".to_string(),
                        }),
                    );
                    return ERR;
                }
                let ty = match (&**inner, &rt) {
                    (Ty::Num { int: a, unit }, Ty::Num { int: b, .. }) => Ty::Num { int: *a && *b, unit: *unit },
                    (t, _) => t.clone(),
                };
                (IrKind::Coalesce(lb, rb), ty)
            }
        }
    }

    /// E0301 where a date is computed with: a date is only compared or counted between.
    fn date_arithmetic(&mut self, span: Span, op: &str) {
        self.error(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("{op} cannot be applied to a date"),
                span,
                "this is a date",
            )
            .with_help(DATE_FUNCTIONS_HELP),
        );
    }

    /// E0301 where a date is compared with something else, at the operator.
    fn date_comparison(&mut self, op: BinOp, span: Span, (lt, ls): (&Ty, Span), (rt, rs): (&Ty, Span)) {
        let (a, b) = (self.describe(lt), self.describe(rt));
        let op_span = self.operator_span(ls, rs, op).unwrap_or(span);
        let help = if matches!(lt, Ty::Num { .. }) || matches!(rt, Ty::Num { .. }) {
            "compare the date with another date (`2025-07-01`, `effective`), or compare a count of years, months \
             or days between two dates: `years_between(from, to)`, `months_between(from, to)`, `days_between(from, to)`"
                .to_string()
        } else {
            "compare the date with another date, e.g. `2025-07-01` or `effective`".to_string()
        };
        self.error(
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("cannot compare {a} with {b}"),
                op_span,
                "different kinds of value",
            )
            .with_label(ls, a)
            .with_label(rs, b)
            .with_help(help),
        );
    }

    /// The span of `op` written between two operands, if it is there.
    fn operator_span(&self, ls: Span, rs: Span, op: BinOp) -> Option<Span> {
        let between = Span { start: ls.end, end: rs.start.max(ls.end), ..ls };
        let text = self.sources.slice(between);
        let at = text.find(op.symbol())? as u32;
        Some(Span { start: between.start + at, end: between.start + at + op.symbol().len() as u32, ..ls })
    }

    fn is_bare_variant(&self, e: &ast::Expr) -> bool {
        match &e.kind {
            ExprKind::Name(id) => !self.names.contains_key(&id.name),
            _ => false,
        }
    }

    /// A number as written; its unit resolved among the declared ones.
    fn number(&mut self, n: &ast::Number) -> (IrKind, Ty) {
        let unit = match &n.unit {
            Some(name) => match self.unit(name) {
                Some(u) => Some(u),
                None => return ERR,
            },
            None => None,
        };
        let value = if n.integral { Value::Int(i64::try_from(n.value).unwrap_or(0)) } else { Value::Dec(n.value) };
        (IrKind::Const(value), Ty::Num { int: n.integral, unit })
    }

    fn unit_mismatch(&mut self, op: BinOp, lu: Option<Unit>, ru: Option<Unit>, ls: Span, rs: Span) {
        let help = match (lu, ru) {
            (Some(Unit::YEARS), Some(Unit::MONTHS)) | (Some(Unit::MONTHS), Some(Unit::YEARS)) => {
                "convert first: `to_months(x)` turns years into months, `full_years(x)` counts the full years in months"
                    .to_string()
            }
            (Some(u), None) | (None, Some(u)) => {
                format!("give the plain number its unit, e.g. `6 {}`", self.unit_str(u))
            }
            _ => "both sides must be in the same unit".to_string(),
        };
        let verb = match op {
            BinOp::Add => "add",
            BinOp::Sub => "subtract",
            BinOp::Div => "divide",
            _ => "compare",
        };
        self.error(
            Diagnostic::error(
                codes::UNIT_MISMATCH,
                format!("cannot {verb} {} and {}", self.unit_name(lu), self.unit_name(ru)),
                rs,
                self.unit_phrase(ru),
            )
            .with_label(ls, self.unit_phrase(lu))
            .with_help(help),
        );
    }

    /// `3 per year of a + b` adds `b` to the points: say so where the sum was meant.
    fn per_precedence_help(&mut self, per: &ast::Expr, operand: &ast::Expr, op: BinOp, rhs: &ast::Expr) {
        let text = self.sources.slice(per.span);
        let prefix = text.get(..(operand.span.start - per.span.start) as usize).unwrap_or("");
        let counted = format!("{} {} {}", self.sources.slice(operand.span), op.symbol(), self.sources.slice(rhs.span));
        if let Some(d) = self.diags.last_mut() {
            d.help = Some(format!(
                "`per … of` counts only the value right after `of`; to count the {}, write `{prefix}({counted})`",
                if op == BinOp::Add { "sum" } else { "difference" }
            ));
        }
    }

    fn per(&mut self, rate: &ast::Expr, amount: &ast::Number, amount_span: Span, operand: &ast::Expr) -> (IrKind, Ty) {
        let (r, rt) = self.expr(rate, None);
        let (o, ot) = self.expr(operand, None);
        if rt.is_error() || ot.is_error() {
            return ERR;
        }
        let Ty::Num { int, unit: None } = rt else {
            self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "the rate of `per` must be plain points",
                    rate.span,
                    format!("this is {}", self.describe(&rt)),
                )
                .with_help("write the points first: `3 per year of si_months`"),
            );
            return ERR;
        };
        if ot == Ty::Date {
            self.date_arithmetic(operand.span, "`per … of`");
            return ERR;
        }
        let Ty::Num { unit: ou, .. } = ot else {
            self.operand_error(&ot, operand.span, "`per … of`", "a number or quantity");
            return ERR;
        };
        if amount.value <= Decimal::ZERO {
            self.error(
                Diagnostic::error(codes::BAD_NUMBER, "`per` needs an amount above zero", amount_span, "zero amount")
                    .with_help("write e.g. `per year` or `per 10`"),
            );
            return ERR;
        }
        let amount_unit = match &amount.unit {
            Some(name) => match self.unit(name) {
                Some(u) => Some(u),
                None => return ERR,
            },
            None => None,
        };
        let (scale, amount_value) = match (ou, amount_unit) {
            (a, b) if a == b => (1, amount.value),
            (Some(Unit::MONTHS), Some(Unit::YEARS)) => (1, amount.value * Decimal::from(12)),
            (Some(Unit::YEARS), Some(Unit::MONTHS)) => (12, amount.value),
            _ => {
                self.error(
                    Diagnostic::error(
                        codes::UNIT_MISMATCH,
                        format!("cannot count {} in {}", self.unit_name(amount_unit), self.unit_name(ou)),
                        amount_span,
                        format!("amount in {}", self.unit_name(amount_unit)),
                    )
                    .with_label(operand.span, format!("counted value in {}", self.unit_name(ou)))
                    .with_help(match ou {
                        Some(u) => format!("count in the value's unit, e.g. `per 1 {}`", self.unit_str(u)),
                        None => "the counted value has no unit: write a plain amount, e.g. `per 10`".to_string(),
                    }),
                );
                return ERR;
            }
        };
        (
            IrKind::Per { rate: Box::new(r), operand: Box::new(o), scale, amount: amount_value },
            Ty::Num { int, unit: None },
        )
    }

    fn in_set(&mut self, negated: bool, value: &ast::Expr, set: &[ast::Expr]) -> (IrKind, Ty) {
        let (v, vt) = self.expr(value, None);
        if vt.is_error() {
            return ERR;
        }
        if matches!(vt, Ty::Optional(_)) {
            self.operand_error(&vt, value.span, "`in`", "a value that is always given");
            return ERR;
        }
        let mut values = Vec::new();
        for member in set {
            let (m, mt) = self.expr(member, Some(&vt));
            if mt.is_error() {
                continue;
            }
            let same = match (&vt, &mt) {
                (Ty::Num { unit: a, .. }, Ty::Num { unit: b, .. }) => a == b,
                (a, b) => a == b,
            };
            if !same {
                let (a, b) = (self.describe(&vt), self.describe(&mt));
                self.error(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("`in` compares {a} with {b}"),
                        member.span,
                        format!("this is {b}"),
                    )
                    .with_help("list values of the same kind as the value tested"),
                );
                continue;
            }
            match crate::eval::constant(&m, &self.param_values()) {
                Some(c) => values.push(c),
                None => self.error(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        "`in [ … ]` lists constants",
                        member.span,
                        "depends on the applicant",
                    )
                    .with_help("list variants or numbers; combine conditions with `or` instead"),
                ),
            }
        }
        let test = IrKind::In(Box::new(v), values);
        (if negated { IrKind::Not(Box::new(Ir::new(test, rules::Type::BOOL))) } else { test }, Ty::Bool)
    }

    fn call(&mut self, func: &ast::Ident, args: &[ast::Expr], span: Span) -> (IrKind, Ty) {
        let arity = |this: &mut Self, want: &str| {
            this.error(
                Diagnostic::error(
                    codes::ARGUMENT_COUNT,
                    format!("`{}` takes {want}, found {}", func.name, args.len()),
                    span,
                    "wrong number of arguments",
                )
                .with_help(format!("call it as {}", signature(&func.name))),
            );
            ERR
        };
        match func.name.as_str() {
            "min" | "max" => {
                if args.is_empty() {
                    return arity(self, "one or more arguments");
                }
                let mut lowered = Vec::new();
                let mut int = true;
                let mut unit: Option<Option<Unit>> = None;
                for a in args {
                    let (ir, ty) = self.expr(a, None);
                    match ty {
                        Ty::Error => return ERR,
                        Ty::Num { int: i, unit: u } => {
                            if let Some(prev) = unit {
                                if prev != u {
                                    self.unit_mismatch(BinOp::Lt, prev, u, args[0].span, a.span);
                                    return ERR;
                                }
                            }
                            unit = Some(u);
                            int &= i;
                        }
                        Ty::Date => {
                            self.date_arithmetic(a.span, &format!("`{}`", func.name));
                            return ERR;
                        }
                        other => {
                            self.operand_error(&other, a.span, &format!("`{}`", func.name), "numbers");
                            return ERR;
                        }
                    }
                    lowered.push(ir);
                }
                let ty = Ty::Num { int, unit: unit.flatten() };
                (if func.name == "min" { IrKind::Min(lowered) } else { IrKind::Max(lowered) }, ty)
            }
            "floor" => {
                let [a] = args else { return arity(self, "one argument") };
                let (ir, ty) = self.expr(a, None);
                match ty {
                    Ty::Error => ERR,
                    Ty::Num { unit, .. } => (IrKind::Floor(Box::new(ir)), Ty::Num { int: true, unit }),
                    other => {
                        self.operand_error(&other, a.span, "`floor`", "a number");
                        ERR
                    }
                }
            }
            "to_months" | "full_years" => {
                let [a] = args else { return arity(self, "one argument") };
                let (ir, ty) = self.expr(a, None);
                let (from, to) =
                    if func.name == "to_months" { (Unit::YEARS, Unit::MONTHS) } else { (Unit::MONTHS, Unit::YEARS) };
                match ty {
                    Ty::Error => ERR,
                    Ty::Num { int, unit: Some(u) } if u == from => {
                        let twelve = Box::new(Ir::new(IrKind::Const(Value::Int(12)), rules::Type::INT));
                        if from == Unit::YEARS {
                            (IrKind::Arith(ArithOp::Mul, Box::new(ir), twelve), Ty::Num { int, unit: Some(to) })
                        } else {
                            (
                                IrKind::Per {
                                    rate: Box::new(Ir::new(IrKind::Const(Value::Int(1)), rules::Type::INT)),
                                    operand: Box::new(ir),
                                    scale: 1,
                                    amount: Decimal::from(12),
                                },
                                Ty::Num { int: true, unit: Some(to) },
                            )
                        }
                    }
                    other => {
                        self.operand_error(
                            &other,
                            a.span,
                            &format!("`{}`", func.name),
                            &format!("a quantity in {}", self.unit_str(from)),
                        );
                        ERR
                    }
                }
            }
            "present" => {
                let [a] = args else { return arity(self, "one argument") };
                let (ir, ty) = self.expr(a, None);
                match ty {
                    Ty::Error => ERR,
                    Ty::Optional(_) => (IrKind::IsPresent(Box::new(ir)), Ty::Bool),
                    _ => {
                        self.error(
                            Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                "`present` tests an optional input",
                                a.span,
                                "this is always given",
                            )
                            .with_help("only inputs declared with `?` can be absent"),
                        );
                        ERR
                    }
                }
            }
            "points" => {
                let [a] = args else { return arity(self, "one argument") };
                let ExprKind::Name(item) = &a.kind else {
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            "`points` takes an item's name",
                            a.span,
                            "not an item name",
                        )
                        .with_help("write e.g. `points(education)`"),
                    );
                    return ERR;
                };
                match self.item_index.get(&item.name).copied() {
                    Some(i) => {
                        self.reads.items.insert(i);
                        self.resolved_item(item.span, i);
                        // Points counted in fractions are read as decimals.
                        let fractional = self.precision.is_some_and(|p| p.places > 0);
                        (IrKind::Points(i), Ty::Num { int: !fractional, unit: None })
                    }
                    None => {
                        self.unknown_item(item);
                        ERR
                    }
                }
            }
            "years_between" | "months_between" | "days_between" => {
                let [from, to] = args else { return arity(self, "two arguments") };
                let (unit, ty) = match func.name.as_str() {
                    "years_between" => (rules::DateUnit::Years, Ty::Num { int: true, unit: Some(Unit::YEARS) }),
                    "months_between" => (rules::DateUnit::Months, Ty::Num { int: true, unit: Some(Unit::MONTHS) }),
                    _ => (rules::DateUnit::Days, Ty::Num { int: true, unit: None }),
                };
                let (f, ft) = self.expr(from, Some(&Ty::Date));
                let (t, tt) = self.expr(to, Some(&Ty::Date));
                let mut ok = !ft.is_error() && !tt.is_error();
                for (arg_ty, arg) in [(&ft, from), (&tt, to)] {
                    if !arg_ty.is_error() && *arg_ty != Ty::Date {
                        self.operand_error(arg_ty, arg.span, &format!("`{}`", func.name), "two dates");
                        ok = false;
                    }
                }
                if !ok {
                    return ERR;
                }
                (IrKind::Between(unit, Box::new(f), Box::new(t)), ty)
            }
            other => {
                let known = [
                    "min",
                    "max",
                    "floor",
                    "to_months",
                    "full_years",
                    "present",
                    "points",
                    "years_between",
                    "months_between",
                    "days_between",
                ];
                let help = match self.suggest(other, known.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? The functions are {}", known.join(", ")),
                    None => format!("the functions are {}", known.join(", ")),
                };
                self.error(
                    Diagnostic::error(
                        codes::UNKNOWN_FUNCTION,
                        format!("unknown function `{other}`"),
                        func.span,
                        "not a function",
                    )
                    .with_help(help),
                );
                for a in args {
                    self.expr(a, None);
                }
                ERR
            }
        }
    }

    fn when(&mut self, arms: &[ast::WhenArm], otherwise: &ast::Expr, expected: Option<&Ty>) -> (IrKind, Ty) {
        let mut lowered = Vec::new();
        let mut results: Vec<(Ty, Span)> = Vec::new();
        for arm in arms {
            let (c, ct) = self.expr(&arm.condition, Some(&Ty::Bool));
            self.expect_type(
                &ct,
                &Ty::Bool,
                arm.condition.span,
                "a `when` condition",
                "write a yes/no condition, e.g. `age > 60`",
            );
            let (r, rt) = self.expr(&arm.result, expected);
            results.push((rt, arm.result.span));
            lowered.push((c, r));
        }
        let (o, ot) = self.expr(otherwise, expected);
        results.push((ot, otherwise.span));
        let ty = self.unify(&results);
        (IrKind::When { arms: lowered, otherwise: Box::new(o) }, ty)
    }

    /// The common type of the results of `when`/`match` arms.
    pub(super) fn unify(&mut self, results: &[(Ty, Span)]) -> Ty {
        let mut acc: Option<(Ty, Span)> = None;
        for (ty, span) in results {
            if ty.is_error() {
                return Ty::Error;
            }
            let Some((a, first)) = acc.clone() else {
                acc = Some((ty.clone(), *span));
                continue;
            };
            let merged = match (&a, ty) {
                (Ty::Num { int: i1, unit: u1 }, Ty::Num { int: i2, unit: u2 }) if u1 == u2 => {
                    Some(Ty::Num { int: *i1 && *i2, unit: *u1 })
                }
                (x, y) if x == y => Some(x.clone()),
                _ => None,
            };
            match merged {
                Some(m) => acc = Some((m, first)),
                None => {
                    let (d1, d2) = (self.describe(&a), self.describe(ty));
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("arms give different kinds of value: {d1} and {d2}"),
                            *span,
                            format!("this is {d2}"),
                        )
                        .with_label(first, format!("this is {d1}"))
                        .with_help("every arm must give the same kind of value"),
                    );
                    return Ty::Error;
                }
            }
        }
        acc.map(|(t, _)| t).unwrap_or(Ty::Error)
    }
}

fn signature(func: &str) -> &'static str {
    match func {
        "min" => "`min(a, b, …)`",
        "max" => "`max(a, b, …)`",
        "floor" => "`floor(x)`",
        "to_months" => "`to_months(years)`",
        "full_years" => "`full_years(months)`",
        "present" => "`present(optional_input)`",
        "points" => "`points(item)`",
        "years_between" => "`years_between(from_date, to_date)`",
        "months_between" => "`months_between(from_date, to_date)`",
        "days_between" => "`days_between(from_date, to_date)`",
        _ => "documented in docs/language.md",
    }
}

/// "give a value for when it is absent", with the value's own text and unit.
fn optional_help(text: &str, ty: &Ty, unit_names: &[String]) -> String {
    let name = if text.is_empty() || text.len() > 40 { "x" } else { text };
    let zero = match ty {
        Ty::Optional(inner) => match inner.unit() {
            Some(u) => format!("0 {}", super::types::unit_name(Some(u), unit_names)),
            None => "0".to_string(),
        },
        _ => "0".to_string(),
    };
    format!("give a value for when it is absent with `??`, e.g. `{name} ?? {zero}`, or test it with `present({name})`")
}

fn is_comparison(op: BinOp) -> bool {
    matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
}

/// Whether two types are the same kind of value for an override: numbers of the same unit
/// (whole or decimal alike), yes/no, the same enum, dates; an optional as its value.
fn same_kind(a: &Ty, b: &Ty) -> bool {
    match (a, b) {
        (Ty::Optional(a), b) | (b, Ty::Optional(a)) => same_kind(a, b),
        (Ty::Num { unit: x, .. }, Ty::Num { unit: y, .. }) => x == y,
        (a, b) => a == b,
    }
}
