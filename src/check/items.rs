//! Items: typing and lowering each item's body, the points and caps it gives, and the order
//! items are scored in (an item reading another's points comes after it).

use std::collections::BTreeSet;
use std::sync::Arc;

use super::types::Ty;
use super::{points, Checker, Reads};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules;
use crate::source::{SourceMap, Span};
use crate::syntax::ast;

impl<'a> Checker<'a> {
    pub(super) fn unknown_item(&mut self, name: &ast::Ident) {
        let names: Vec<String> = self.item_index.keys().cloned().collect();
        let help = match self.suggest(&name.name, names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "name an item defined in one of the policy's sections".to_string(),
        };
        self.error(
            Diagnostic::error(
                codes::UNKNOWN_ITEM,
                format!("unknown item `{}`", name.name),
                name.span,
                "no item of this name",
            )
            .with_help(help),
        );
    }

    /// Type and lower one item. Returns its definition and the items it reads.
    pub(super) fn item(&mut self, index: u16, groups: &[rules::GroupDef]) -> (rules::ItemDef, BTreeSet<u16>) {
        let info = &self.items[index as usize];
        let decl = info.decl;
        let section = info.section;
        self.reads = Reads::default();
        let mut preconditions = Vec::new();
        for req in &decl.requires {
            let (condition, ty) = self.expr(&req.condition, Some(&Ty::Bool));
            self.expect_type(
                &ty,
                &Ty::Bool,
                req.condition.span,
                "a precondition",
                "write a yes/no condition, e.g. `si_months >= 6 months`",
            );
            preconditions.push(rules::Precondition { condition, reason: Arc::from(req.reason.value.as_str()) });
        }
        let (body, ty) = self.expr(&decl.body, None);
        let points_span = match ty {
            Ty::Num { int: false, unit: None } => fractional_arm(&decl.body).unwrap_or(decl.body.span),
            _ => decl.body.span,
        };
        self.expect_points(&ty, points_span);
        if ty.is_error() {
            // Its error was reported where it arose (a `let`, say): range lints would echo it.
            self.broken_items.insert(index);
        }
        let reads = std::mem::take(&mut self.reads);
        let cap = decl.cap.as_ref().and_then(|c| self.constant_points(c, "an item cap"));
        let arms = arm_texts(&decl.body, self.sources);
        let group = groups.iter().position(|g| g.members.contains(&index)).map(|g| g as u16);
        let item = rules::ItemDef {
            id: Arc::from(decl.name.name.as_str()),
            label: Arc::from(decl.label.value.as_str()),
            section,
            doc: decl.docs.clone(),
            preconditions,
            body,
            arms,
            cap,
            group,
            reads: reads.inputs.into_iter().collect(),
            location: self.location(decl.name.span),
        };
        (item, reads.items)
    }

    pub(super) fn expect_type(&mut self, ty: &Ty, expected: &Ty, span: Span, what: &str, help: &str) {
        if ty.is_error() || ty == expected {
            return;
        }
        let found = self.describe(ty);
        let wanted = self.describe(expected);
        let d = if let Ty::Optional(_) = ty {
            Diagnostic::error(
                codes::OPTIONAL_UNCHECKED,
                format!("{what} uses an optional value that may be absent"),
                span,
                "may be absent",
            )
            .with_help(
                "give a value for when it is absent with `??`, e.g. `x ?? 0 years`, or test it with `present(x)`",
            )
        } else {
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("{what} must be {wanted}, found {found}"),
                span,
                format!("this is {found}"),
            )
            .with_help(help)
        };
        self.error(d);
    }

    fn expect_points(&mut self, ty: &Ty, span: Span) {
        match ty {
            Ty::Error => {}
            Ty::Num { int: true, unit: None } => {}
            // Rounded to the declared precision, item by item.
            Ty::Num { int: false, unit: None } if self.precision.is_some() => {}
            Ty::Num { int: false, unit: None } => self.error(
                Diagnostic::error(
                    codes::NOT_WHOLE_POINTS,
                    "points must be whole numbers",
                    span,
                    "this can have a fraction",
                )
                .with_help(format!(
                    "round explicitly with `floor(…)`, use `N per AMOUNT of x` to count full units, or {}",
                    points::DECLARE_POINTS
                )),
            ),
            Ty::Num { unit: Some(u), .. } => self.error(
                Diagnostic::error(
                    codes::UNIT_MISMATCH,
                    format!("points cannot be a quantity in {}", self.unit_str(*u)),
                    span,
                    format!("this is in {}", self.unit_str(*u)),
                )
                .with_help(format!(
                    "turn {} into points with a rate, e.g. `3 per year of si_months`",
                    self.unit_str(*u)
                )),
            ),
            Ty::Bool => self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "a yes/no value cannot be used as points",
                    span,
                    "this is a bool",
                )
                .with_help("score it with `when CONDITION => POINTS else => 0`"),
            ),
            other => {
                let found = self.describe(other);
                self.expect_type(
                    other,
                    &Ty::POINTS,
                    span,
                    "points",
                    &format!("an item scores a whole number, not {found}"),
                );
            }
        }
    }

    /// A cap: a whole number known when the policy is compiled.
    pub(super) fn constant_points(&mut self, expr: &ast::Expr, what: &str) -> Option<i64> {
        self.reads = Reads::default();
        let (lowered, ty) = self.expr(expr, None);
        let reads = std::mem::take(&mut self.reads);
        self.expect_points(&ty, expr.span);
        if !reads.inputs.is_empty() || !reads.items.is_empty() {
            self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("{what} must be a constant"),
                    expr.span,
                    "depends on the applicant",
                )
                .with_help("write a number or a `param`; to limit points by a condition use `min(…)` in the item"),
            );
            return None;
        }
        let value = crate::eval::constant(&lowered, &self.param_values())?;
        match points::constant_units(self.precision, value) {
            Some(Ok(i)) if i >= 0 => Some(i),
            Some(Err(d)) => {
                self.points_units(self.precision, d, expr.span, what);
                None
            }
            Some(Ok(_)) => {
                self.error(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("{what} cannot be negative"),
                        expr.span,
                        "negative cap",
                    )
                    .with_help("a cap limits the size of the points; in a deduction section it limits the deduction"),
                );
                None
            }
            _ => None,
        }
    }

    pub(super) fn order_items(&mut self, deps: &[BTreeSet<u16>]) -> Vec<u16> {
        // Depth-first topological sort; a back edge is a cycle.
        let n = deps.len();
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, Vec<u16>)> = vec![(start, deps[start].iter().copied().collect())];
            state[start] = 1;
            while let Some((node, pending)) = stack.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(next) => {
                        let next = next as usize;
                        match state.get(next) {
                            Some(0) => {
                                state[next] = 1;
                                stack.push((next, deps[next].iter().copied().collect()));
                            }
                            Some(1) => {
                                let path: Vec<String> = stack
                                    .iter()
                                    .map(|(i, _)| self.items[*i].decl.name.name.clone())
                                    .skip_while(|name| *name != self.items[next].decl.name.name)
                                    .chain(std::iter::once(self.items[next].decl.name.name.clone()))
                                    .collect();
                                let span = self.items[node].decl.name.span;
                                self.error(
                                    Diagnostic::error(codes::CYCLE, format!("items depend on each other's points: {}", path.join(" → ")), span, "part of the cycle")
                                        .with_help("an item can read the points of items it does not itself feed; remove one `points(…)`"),
                                );
                            }
                            _ => {}
                        }
                    }
                    None => {
                        state[node] = 2;
                        order.push(node as u16);
                        stack.pop();
                    }
                }
            }
        }
        order
    }
}

/// The source text of each arm of an item's top-level `when` or `match`.
fn arm_texts(body: &ast::Expr, sources: &SourceMap) -> Vec<String> {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match &body.kind {
        ast::ExprKind::When { arms, .. } => arms
            .iter()
            .map(|a| format!("when {}", squash(sources.slice(a.condition.span))))
            .chain(std::iter::once("else".to_string()))
            .collect(),
        ast::ExprKind::Match { arms, .. } => arms.iter().map(|a| squash(sources.slice(a.pattern_span))).collect(),
        _ => Vec::new(),
    }
}

/// The first arm of a `when` or `match` that gives a decimal literal such as `2.5`.
fn fractional_arm(body: &ast::Expr) -> Option<Span> {
    match &body.kind {
        ast::ExprKind::Number(n) if !n.integral => Some(body.span),
        ast::ExprKind::When { arms, otherwise } => {
            arms.iter().map(|a| &a.result).chain(std::iter::once(&**otherwise)).find_map(fractional_arm)
        }
        ast::ExprKind::Match { arms, .. } => arms.iter().find_map(|a| fractional_arm(&a.result)),
        _ => None,
    }
}
