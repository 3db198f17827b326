//! `match` over enums, booleans and tuples of them, and the proof that every case is
//! covered.

use super::types::Ty;
use super::Checker;
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{Expr as Ir, ExprKind as IrKind, Pattern, Value};
use crate::source::Span;
use crate::syntax::ast::{self, PatternAtom};

/// Largest number of cases a `match` may enumerate.
const MAX_CASES: usize = 100_000;
/// Most cases the arms of one `match` may name in all: an arm names every case of the box
/// its positions span (one case for an arm of variants only), so this bounds the work
/// however the arms overlap. Past it the check gives up with E0406.
const MAX_WORK: usize = 1_000_000;
/// Missing cases named in one diagnostic.
const SHOWN_MISSING: usize = 6;

impl<'a> Checker<'a> {
    pub(super) fn match_expr(
        &mut self,
        scrutinee: &[ast::Expr],
        arms: &[ast::MatchArm],
        span: Span,
        expected: Option<&Ty>,
    ) -> (IrKind, Ty) {
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
        (IrKind::Match { scrutinee: lowered, arms: ir_arms }, ty)
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
                        Some(v) => {
                            self.resolved_variant(id.span, *e, v);
                            Value::Enum(v)
                        }
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
        let mut coverage = Coverage::new(sizes, total);
        for ((pattern, _), arm) in ir_arms.iter().zip(arms) {
            let Some(new) = coverage.mark(pattern) else {
                self.error(
                    Diagnostic::error(
                        codes::MATCH_TOO_LARGE,
                        format!(
                            "checking this `match` would look at more than {MAX_WORK} cases: its arms overlap too much"
                        ),
                        span,
                        "too much overlap to check",
                    )
                    .with_help("merge the arms that repeat the same cases, or split the `match` with `let`s"),
                );
                return;
            };
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
        let missing: Vec<usize> = (0..total).filter(|c| !coverage.covered[*c]).collect();
        if missing.is_empty() {
            return;
        }
        let shown: Vec<String> = missing.iter().take(SHOWN_MISSING).map(|c| self.case_text(*c, kinds, sizes)).collect();
        let more = if missing.len() > SHOWN_MISSING {
            format!(" and {} more", missing.len() - SHOWN_MISSING)
        } else {
            String::new()
        };
        // A variant added by a child's `extend enum` that a match of the parent does not
        // cover: the mistake is in the child. It is noted here and reported once per added
        // variant, at the `extend`, with each such match as a label (see `report_added_variants`).
        let mut added: Vec<(String, Span)> = missing
            .iter()
            .flat_map(|c| decompose(*c, sizes).into_iter().zip(kinds))
            .filter_map(|(i, k)| match k {
                Ty::Enum(e) => self.enums[*e as usize].variants.get(i).cloned(),
                _ => None,
            })
            .filter(|(_, at)| at.file != span.file)
            .collect();
        if !added.is_empty() {
            added.sort_by_key(|(_, at)| (at.file.0, at.start));
            added.dedup_by_key(|(_, at)| *at);
            for (variant, at) in added {
                if !self.uncovered_added.iter().any(|(_, a, m)| *a == at && *m == span) {
                    self.uncovered_added.push((variant, at, span));
                }
            }
            return;
        }
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

    /// E0401 for each variant a child's `extend enum` added that `match`es of the extended
    /// policy do not cover: one error at the variant, every such `match` a label, so that the
    /// child's author sees at once all the matches to update.
    pub(super) fn report_added_variants(&mut self) {
        let noted = std::mem::take(&mut self.uncovered_added);
        let mut variants: Vec<(String, Span)> = Vec::new();
        for (variant, at, _) in &noted {
            if !variants.iter().any(|(_, a)| a == at) {
                variants.push((variant.clone(), *at));
            }
        }
        for (variant, at) in variants {
            let matches: Vec<Span> = noted.iter().filter(|(_, a, _)| *a == at).map(|(_, _, m)| *m).collect();
            let mut parents: Vec<&str> = Vec::new();
            for m in &matches {
                let name = self.sources.name(m.file);
                if !parents.contains(&name) {
                    parents.push(name);
                }
            }
            let parent = parents.join(", ");
            let (title, which, each) = match matches.len() {
                1 => (
                    format!("`{variant}`, added here, is not covered by a `match` of {parent}"),
                    "the item (or `let`) that holds this `match`",
                    "the `match`",
                ),
                n => (
                    format!("`{variant}`, added here, is not covered by {n} `match`es of {parent}"),
                    "each item (or `let`) that holds one of these `match`es",
                    "each `match`",
                ),
            };
            let mut d = Diagnostic::error(codes::NON_EXHAUSTIVE, title, at, "added by `extend enum`");
            for m in &matches {
                d = d.with_label(*m, format!("this `match` has no arm for `{variant}`"));
            }
            let d = d.with_help(format!(
                "in this file, `override` {which} with an arm for `{variant}`, or give {each} in {parent} a final `_ => …` arm"
            ));
            self.error(d);
        }
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

/// What one position of an arm matches: every index, or the ones listed (sorted, once each).
enum Choice {
    All(usize),
    Listed(Vec<usize>),
}

impl Choice {
    fn of(pattern: &Pattern, size: usize) -> Choice {
        match pattern {
            Pattern::Any => Choice::All(size),
            Pattern::OneOf(values) => {
                let mut listed: Vec<usize> = values
                    .iter()
                    .filter_map(|v| match v {
                        Value::Enum(e) => Some(*e as usize),
                        Value::Bool(b) => Some(usize::from(*b)),
                        _ => None,
                    })
                    .filter(|i| *i < size)
                    .collect();
                listed.sort_unstable();
                listed.dedup();
                Choice::Listed(listed)
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            Choice::All(n) => *n,
            Choice::Listed(l) => l.len(),
        }
    }

    fn get(&self, k: usize) -> usize {
        match self {
            Choice::All(_) => k,
            Choice::Listed(l) => l[k],
        }
    }
}

/// The cases of a `match` its arms have covered so far (case numbers in mixed radix, first
/// position most significant), and the work spent marking them.
struct Coverage {
    covered: Vec<bool>,
    count: usize,
    sizes: Vec<usize>,
    /// What one step in each position adds to the case number.
    strides: Vec<usize>,
    work: usize,
}

impl Coverage {
    fn new(sizes: &[usize], total: usize) -> Coverage {
        let mut strides = vec![1; sizes.len()];
        for i in (0..sizes.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * sizes[i + 1];
        }
        Coverage { covered: vec![false; total], count: 0, sizes: sizes.to_vec(), strides, work: 0 }
    }

    /// Marks the cases `pattern` matches, visiting only those: whether one of them was new,
    /// or `None` once the arms together would visit more than [`MAX_WORK`] cases.
    fn mark(&mut self, pattern: &[Pattern]) -> Option<bool> {
        if self.count == self.covered.len() {
            return Some(false);
        }
        let choices: Vec<Choice> = pattern.iter().zip(&self.sizes).map(|(p, size)| Choice::of(p, *size)).collect();
        let cases = choices.iter().map(Choice::len).product::<usize>();
        self.work = self.work.saturating_add(cases);
        if self.work > MAX_WORK {
            return None;
        }
        if cases == 0 {
            return Some(false);
        }
        let mut new = false;
        let mut digits = vec![0; choices.len()];
        loop {
            let case: usize = digits.iter().zip(&choices).zip(&self.strides).map(|((d, c), s)| c.get(*d) * s).sum();
            if !self.covered[case] {
                self.covered[case] = true;
                self.count += 1;
                new = true;
            }
            // The next combination, the last position turning fastest.
            let mut position = choices.len();
            loop {
                if position == 0 {
                    return Some(new);
                }
                position -= 1;
                digits[position] += 1;
                if digits[position] < choices[position].len() {
                    break;
                }
                digits[position] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variants(indices: &[u16]) -> Pattern {
        Pattern::OneOf(indices.iter().map(|i| Value::Enum(*i)).collect())
    }

    #[test]
    fn an_arm_of_variants_visits_only_its_own_cases() {
        // 104 × 104 cases, one arm per case: 10816 visits in all, where enumerating every
        // case for every arm took 10816² = 117 million.
        let mut coverage = Coverage::new(&[104, 104], 104 * 104);
        for i in 0..104 {
            for j in 0..104 {
                assert_eq!(coverage.mark(&[variants(&[i]), variants(&[j])]), Some(true));
            }
        }
        assert_eq!(coverage.work, 104 * 104);
        assert_eq!(coverage.count, 104 * 104);
        // Once every case is covered, a catch-all costs nothing and is unreachable.
        assert_eq!(coverage.mark(&[Pattern::Any, Pattern::Any]), Some(false));
        assert_eq!(coverage.work, 104 * 104);
    }

    #[test]
    fn a_wildcard_visits_its_row_and_alternatives_their_product() {
        let mut coverage = Coverage::new(&[3, 4, 2], 24);
        // (1, _, true): 4 cases, numbers 1·8 + k·2 + 1.
        assert_eq!(coverage.mark(&[variants(&[1]), Pattern::Any, Pattern::OneOf(vec![Value::Bool(true)])]), Some(true));
        assert_eq!(coverage.work, 4);
        let marked: Vec<usize> = (0..24).filter(|c| coverage.covered[*c]).collect();
        assert_eq!(marked, [9, 11, 13, 15]);
        // (1 | 1 | 2, 3, _): a repeated alternative counts once: 2 × 1 × 2 = 4 cases.
        assert_eq!(coverage.mark(&[variants(&[1, 1, 2]), variants(&[3]), Pattern::Any]), Some(true));
        assert_eq!(coverage.work, 8);
        // (1, 3, true) is covered already.
        assert_eq!(
            coverage.mark(&[variants(&[1]), variants(&[3]), Pattern::OneOf(vec![Value::Bool(true)])]),
            Some(false)
        );
    }

    #[test]
    fn overlapping_arms_stop_at_the_budget() {
        // Each `(_, _)` on 1000 × 1000 cases visits a million: the first fits, the second not.
        let mut coverage = Coverage::new(&[1000, 1000], 1_000_000);
        assert_eq!(coverage.mark(&[variants(&[0]), Pattern::Any]), Some(true));
        assert_eq!(coverage.mark(&[Pattern::Any, Pattern::Any]), None);
    }
}
