//! W0108: a test whose name states a total (`… = 120`) that its `expect total` contradicts.
//! A stated number that some expectation of the test has (`detention 2 = -100` with
//! `item detention = -100`) names that expectation and is not warned about.
//!
//! Test names are what `jifen test` prints and what an editor reads first; a name left over
//! from last year's numbers misleads more than no number at all.

use rust_decimal::Decimal;

use crate::diagnostic::{codes, Diagnostic};
use crate::syntax::ast::{self, Decl, ValueKind};

pub(super) fn check(policy: &ast::PolicyFile) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for decl in &policy.decls {
        let Decl::Test(test) = decl else { continue };
        let stated = stated_totals(&test.name.value);
        if stated.is_empty() {
            continue;
        }
        let expected =
            test.expect.iter().filter(|e| !e.is_item && e.target.name == "total").find_map(|e| match &e.value.kind {
                ValueKind::Number(n) => Some((n.value, e.value.span)),
                _ => None,
            });
        let Some((total, at)) = expected else { continue };
        // `detention 2 = -100` states an item's points: a number any expectation has is not wrong.
        let expects =
            |n: &Decimal| test.expect.iter().any(|e| matches!(&e.value.kind, ValueKind::Number(v) if v.value == *n));
        if stated.iter().any(expects) {
            continue;
        }
        out.push(
            Diagnostic::warning(
                codes::TEST_NAME_TOTAL,
                format!("test \"{}\" says its total is {} but expects {}", test.name.value, stated[0], total),
                test.name.span,
                format!("the name says {}", stated[0]),
            )
            .with_label(at, format!("the test expects {total}"))
            .with_help(format!("rename the test to say {total}, or drop the total from its name")),
        );
    }
    out
}

/// The numbers a name states as a total: `= N`, `=N` or `＝N` (N optionally negative), at
/// the end of the name or followed by a space.
fn stated_totals(name: &str) -> Vec<Decimal> {
    let mut out = Vec::new();
    for (at, c) in name.char_indices() {
        if c != '=' && c != '＝' {
            continue;
        }
        let rest = name[at + c.len_utf8()..].trim_start();
        let (sign, digits_from) = match rest.strip_prefix('-') {
            Some(r) => (-1, r),
            None => (1, rest),
        };
        let digits: &str = &digits_from[..digits_from.find(|d: char| !d.is_ascii_digit()).unwrap_or(digits_from.len())];
        let after = &digits_from[digits.len()..];
        if digits.is_empty() || !(after.is_empty() || after.starts_with(char::is_whitespace)) {
            continue;
        }
        // At most 28 digits fit a Decimal; a longer "total" is not one a test could expect.
        if let Ok(n) = digits.parse::<Decimal>() {
            out.push(n * Decimal::from(sign));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::stated_totals;
    use rust_decimal::Decimal;

    #[test]
    fn finds_totals_at_the_end_or_before_a_space() {
        let n = |v: i64| vec![Decimal::from(v)];
        assert_eq!(stated_totals("本科+学士+年龄 = 120"), n(120));
        assert_eq!(stated_totals("a =120"), n(120));
        assert_eq!(stated_totals("a ＝120"), n(120));
        assert_eq!(stated_totals("a = 120 vs b"), n(120));
        assert_eq!(stated_totals("deduction = -50"), n(-50));
        // Not a total: followed by more text, or no digits.
        assert!(stated_totals("a = 120分").is_empty());
        assert!(stated_totals("a = b").is_empty());
        assert!(stated_totals("a == 1.5").is_empty());
        assert!(stated_totals("no equals 120").is_empty());
    }
}
