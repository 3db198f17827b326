//! `match` over enums, booleans and tuples of them, and the proof that every case is
//! covered.

use super::types::Ty;
use super::Checker;
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{Expr as Ir, Pattern, Value};
use crate::source::Span;
use crate::syntax::ast::{self, PatternAtom};

/// Largest number of cases a `match` may enumerate.
const MAX_CASES: usize = 100_000;
/// Missing cases named in one diagnostic.
const SHOWN_MISSING: usize = 6;

impl<'a> Checker<'a> {
    pub(super) fn match_expr(
        &mut self,
        scrutinee: &[ast::Expr],
        arms: &[ast::MatchArm],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Ir, Ty) {
        let mut lowered = Vec::new();
        let mut kinds: Vec<Ty> = Vec::new();
        let mut broken = false;
        for s in scrutinee {
            let (ir, ty) = self.expr(s, None);
            match &ty {
                Ty::Enum(_) | Ty::Bool => {}
                Ty::Error => broken = true,
                other => {
                    let found = self.describe(other);
                    let d = if let Ty::Optional(_) = other {
                        Diagnostic::error(
                            codes::OPTIONAL_UNCHECKED,
                            "`match` on an optional value that may be absent",
                            s.span,
                            "may be absent",
                        )
                        .with_help("give a value for when it is absent with `??`")
                    } else {
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("`match` works on enums and yes/no values, found {found}"),
                            s.span,
                            format!("this is {found}"),
                        )
                        .with_help("for numbers use `when x >= … => … else => …`")
                    };
                    self.error(d);
                    broken = true;
                }
            }
            kinds.push(ty);
            lowered.push(ir);
        }
        let sizes: Vec<usize> = kinds
            .iter()
            .map(|k| match k {
                Ty::Enum(e) => self.enums.get(*e as usize).map(|e| e.variants.len()).unwrap_or(0),
                _ => 2,
            })
            .collect();

        let mut ir_arms = Vec::new();
        let mut results = Vec::new();
        for arm in arms {
            let pattern = if broken { None } else { self.pattern(arm, &kinds) };
            let (r, rt) = self.expr(&arm.result, expected);
            results.push((rt, arm.result.span));
            if let Some(p) = pattern {
                ir_arms.push((p, r));
            } else {
                broken = true;
            }
        }
        let ty = self.unify(&results);
        if !broken {
            // Point at `match x` (or `match (x, y)`), not at the whole block.
            let head = match scrutinee.last() {
                Some(last) if scrutinee.len() > 1 => {
                    let rest = self.sources.text(span.file).get(last.span.end as usize..).unwrap_or("");
                    let close = rest.find(')').map_or(0, |i| i as u32 + 1);
                    Span { end: last.span.end + close, ..span }
                }
                Some(last) => Span { end: last.span.end, ..span },
                None => span,
            };
            self.coverage(&ir_arms, arms, &kinds, &sizes, head);
        }
        (Ir::Match { scrutinee: lowered, arms: ir_arms }, ty)
    }

    fn pattern(&mut self, arm: &ast::MatchArm, kinds: &[Ty]) -> Option<Vec<Pattern>> {
        if arm.pattern.len() != kinds.len() {
            self.error(
                Diagnostic::error(
                    codes::PATTERN_SHAPE,
                    format!(
                        "this pattern has {}, the matched value has {}",
                        positions(arm.pattern.len()),
                        positions(kinds.len())
                    ),
                    arm.pattern_span,
                    "wrong number of positions",
                )
                .with_help("write one pattern per matched value, e.g. `(bachelor, true) => …`"),
            );
            return None;
        }
        let mut out = Vec::new();
        for (alternatives, kind) in arm.pattern.iter().zip(kinds) {
            if alternatives.iter().any(|a| matches!(a, PatternAtom::Wildcard(_))) {
                out.push(Pattern::Any);
                continue;
            }
            let mut values = Vec::new();
            for atom in alternatives {
                let v = match (atom, kind) {
                    (PatternAtom::Bool(b, _), Ty::Bool) => Value::Bool(*b),
                    (PatternAtom::Variant(id), Ty::Enum(e)) => match self.variant_index(*e, &id.name) {
                        Some(v) => Value::Enum(v),
                        None => {
                            self.unknown_variant(*e, id);
                            return None;
                        }
                    },
                    (PatternAtom::Bool(_, s), _) | (PatternAtom::Variant(ast::Ident { span: s, .. }), _) => {
                        let want = self.describe(kind);
                        self.error(
                            Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                format!("this position matches {want}"),
                                *s,
                                "wrong kind of pattern",
                            )
                            .with_help("use the variants of the matched enum, true/false for a yes/no value, or `_`"),
                        );
                        return None;
                    }
                    (PatternAtom::Wildcard(_), _) => continue,
                };
                values.push(v);
            }
            out.push(Pattern::OneOf(values));
        }
        Some(out)
    }

    fn coverage(
        &mut self,
        ir_arms: &[(Vec<Pattern>, Ir)],
        arms: &[ast::MatchArm],
        kinds: &[Ty],
        sizes: &[usize],
        span: Span,
    ) {
        let total = sizes.iter().try_fold(1usize, |acc, s| acc.checked_mul(*s)).filter(|t| *t <= MAX_CASES);
        let Some(total) = total else {
            self.error(
                Diagnostic::error(
                    codes::MATCH_TOO_LARGE,
                    format!("this `match` has more than {MAX_CASES} cases to check"),
                    span,
                    "too many combinations",
                )
                .with_help("match on fewer values at once, or split it with `let`s"),
            );
            return;
        };
        let mut covered = vec![false; total];
        for ((pattern, _), arm) in ir_arms.iter().zip(arms) {
            let mut new = false;
            for (case, seen) in covered.iter_mut().enumerate() {
                if matches_case(pattern, case, sizes) && !*seen {
                    *seen = true;
                    new = true;
                }
            }
            if !new {
                self.diags.push(
                    Diagnostic::warning(
                        codes::UNREACHABLE_ARM,
                        "this arm can never be taken",
                        arm.pattern_span,
                        "every case it matches is matched above",
                    )
                    .with_help("remove the arm, or move it above the arm that shadows it"),
                );
            }
        }
        let missing: Vec<usize> = (0..total).filter(|c| !covered[*c]).collect();
        if missing.is_empty() {
            return;
        }
        let shown: Vec<String> = missing.iter().take(SHOWN_MISSING).map(|c| self.case_text(*c, kinds, sizes)).collect();
        let more = if missing.len() > SHOWN_MISSING {
            format!(" and {} more", missing.len() - SHOWN_MISSING)
        } else {
            String::new()
        };
        self.error(
            Diagnostic::error(
                codes::NON_EXHAUSTIVE,
                format!("`match` does not cover {}{more}", shown.join(", ")),
                span,
                match missing.len() {
                    1 => "1 case not covered".to_string(),
                    n => format!("{n} cases not covered"),
                },
            )
            .with_help(format!("add an arm for each missing case, e.g. `{} => 0`, or a final `_ => …`", shown[0])),
        );
    }

    fn case_text(&self, case: usize, kinds: &[Ty], sizes: &[usize]) -> String {
        let parts: Vec<String> = decompose(case, sizes)
            .into_iter()
            .zip(kinds)
            .map(|(i, k)| match k {
                Ty::Enum(e) => self.enums[*e as usize].variants.get(i).map(|(n, _)| n.clone()).unwrap_or_default(),
                _ => (i == 1).to_string(),
            })
            .collect();
        if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("({})", parts.join(", "))
        }
    }
}

fn positions(n: usize) -> String {
    if n == 1 {
        "1 position".to_string()
    } else {
        format!("{n} positions")
    }
}

/// The index of each position in case number `case` (mixed radix, first position most significant).
fn decompose(mut case: usize, sizes: &[usize]) -> Vec<usize> {
    let mut out = vec![0; sizes.len()];
    for (slot, size) in out.iter_mut().zip(sizes).rev() {
        *slot = case % size.max(&1);
        case /= size.max(&1);
    }
    out
}

fn matches_case(pattern: &[Pattern], case: usize, sizes: &[usize]) -> bool {
    decompose(case, sizes).iter().zip(pattern).all(|(index, p)| match p {
        Pattern::Any => true,
        Pattern::OneOf(values) => values.iter().any(|v| match v {
            Value::Enum(e) => *e as usize == *index,
            Value::Bool(b) => usize::from(*b) == *index,
            _ => false,
        }),
    })
}
