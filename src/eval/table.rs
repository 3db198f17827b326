//! Expressions whose every input has a few possible values — yes/no facts, enums, whole
//! numbers with a small declared range such as `age 16..=70` — computed once for every
//! combination of those values when the scorer is built, so that scoring looks the
//! answer up instead of evaluating the expression.
//!
//! Each entry is what the reference evaluator gives for that combination; a combination it
//! cannot evaluate is an empty entry, and meeting one at scoring time makes the scorer
//! fall back to the reference evaluator, as anything else it does not decide itself.

use super::specialise::{Cx, Fast, Leave};
use super::{Applicant, Ctx};
use crate::rules::{Expr, ExprKind, InputType, RuleSet, Value};

/// Larger tables cost more to build than they save.
const MAX_ENTRIES: usize = 256;
/// The widest whole-number range read as a finite domain.
const MAX_RANGE: i64 = 128;

/// The values one input can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Domain {
    YesNo,
    Variants(u16),
    Range { min: i64, size: u16 },
}

impl Domain {
    fn size(self) -> usize {
        match self {
            Domain::YesNo => 2,
            Domain::Variants(n) => n as usize,
            Domain::Range { size, .. } => size as usize,
        }
    }

    fn value(self, k: usize) -> Value {
        match self {
            Domain::YesNo => Value::Bool(k == 1),
            Domain::Variants(_) => Value::Enum(k as u16),
            Domain::Range { min, .. } => Value::Int(min + k as i64),
        }
    }
}

/// One input a table is looked up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    slot: u16,
    domain: Domain,
    /// How many values the domain has, and how far apart in the table two neighbouring
    /// values of this input are (the product of the sizes of the keys after it).
    size: u32,
    stride: u32,
}

impl Key {
    /// The position of the input's value in the domain, with no overflow to check: a
    /// difference from the range's start that wraps comes out at least the size (the
    /// range ends by `i64::MAX`, so the true difference is at least `size - 2^64`).
    #[inline(always)]
    fn position(&self, value: &Value) -> Fast<usize> {
        let k = match (self.domain, value) {
            (Domain::YesNo, &Value::Bool(b)) => u64::from(b),
            (Domain::Variants(_), &Value::Enum(v)) => u64::from(v),
            (Domain::Range { min, .. }, &Value::Int(i)) => i.wrapping_sub(min) as u64,
            _ => return Err(Leave),
        };
        if k < u64::from(self.size) {
            Ok(k as usize)
        } else {
            Err(Leave)
        }
    }
}

/// Answers looked up by the values of a few inputs.
#[derive(Debug)]
pub(super) struct Table<T> {
    keys: Vec<Key>,
    entries: Vec<Option<T>>,
}

impl<T: Copy> Table<T> {
    /// Tabulate `answer` over the inputs `e` reads, if they all have small domains and
    /// `e` reads nothing else that varies (another item's points).
    pub(super) fn build(rules: &RuleSet, e: &Expr, answer: impl Fn(&Ctx<'_>) -> Option<T>) -> Option<Table<T>> {
        let mut slots = Vec::new();
        if !finite_inputs(e, &mut slots) {
            return None;
        }
        slots.sort_unstable();
        slots.dedup();
        let domains: Vec<(u16, Domain)> =
            slots.iter().map(|&slot| domain(rules, slot).map(|d| (slot, d))).collect::<Option<_>>()?;
        let count =
            domains.iter().try_fold(1usize, |n, (_, d)| n.checked_mul(d.size())).filter(|n| *n <= MAX_ENTRIES)?;
        // The last key varies fastest.
        let mut keys = Vec::with_capacity(domains.len());
        let mut stride = 1usize;
        for &(slot, domain) in domains.iter().rev() {
            keys.push(Key { slot, domain, size: domain.size() as u32, stride: stride as u32 });
            stride *= domain.size();
        }
        keys.reverse();
        let mut applicant = Applicant::new(vec![Value::Absent; rules.inputs.len()]);
        let entries = (0..count)
            .map(|index| {
                for key in &keys {
                    let k = index / key.stride as usize % key.size as usize;
                    applicant.values[key.slot as usize] = key.domain.value(k);
                }
                answer(&Ctx {
                    inputs: &applicant.values,
                    points: &[],
                    params: &rules.params,
                    places: 0,
                    lists: &[],
                    row: &[],
                })
            })
            .collect();
        Some(Table { keys, entries })
    }

    /// The same table with each answer changed by `f`.
    pub(super) fn map<U>(&self, f: impl Fn(T) -> U) -> Table<U> {
        Table { keys: self.keys.clone(), entries: self.entries.iter().map(|e| e.map(&f)).collect() }
    }

    pub(super) fn look_up(&self, cx: &Cx<'_>) -> Fast<T> {
        let mut index = 0usize;
        for key in &self.keys {
            index += key.position(cx.inputs.get(key.slot as usize).ok_or(Leave)?)? * key.stride as usize;
        }
        self.entries.get(index).copied().flatten().ok_or(Leave)
    }
}

/// How many nodes an expression has: small ones are as quick to evaluate as to look up.
pub(super) fn size(e: &Expr) -> usize {
    1 + e.children().map(size).sum::<usize>()
}

/// Collect the inputs `e` reads; false if it reads another item's points.
fn finite_inputs(e: &Expr, slots: &mut Vec<u16>) -> bool {
    match &e.kind {
        ExprKind::Input(slot) => {
            slots.push(*slot);
            true
        }
        // Rows are not tabulated.
        ExprKind::Points(_) | ExprKind::Field(_) | ExprKind::Each { .. } => false,
        _ => e.children().all(|c| finite_inputs(c, slots)),
    }
}

/// The domain of an input that is always given (required or defaulted) and has few values.
fn domain(rules: &RuleSet, slot: u16) -> Option<Domain> {
    let input = rules.inputs.get(slot as usize)?;
    if input.optional {
        return None;
    }
    match input.ty {
        InputType::Bool => Some(Domain::YesNo),
        InputType::Enum(e) => Some(Domain::Variants(u16::try_from(rules.enums.get(e as usize)?.variants.len()).ok()?)),
        InputType::Int { .. } => {
            let min = i64::try_from(input.min?.ceil()).ok()?;
            let max = i64::try_from(input.max?.floor()).ok()?;
            let size = max.checked_sub(min)?.checked_add(1).filter(|s| (1..=MAX_RANGE).contains(s))?;
            Some(Domain::Range { min, size: size as u16 })
        }
        InputType::Decimal { .. } | InputType::List { .. } => None,
        InputType::Date => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::specialise::Cx;

    fn policy() -> RuleSet {
        crate::bundled_policy().expect("the bundled policy compiles")
    }

    #[test]
    fn the_age_rule_is_a_table_over_the_declared_ages_and_nothing_else() {
        let rs = policy();
        let age = rs.input_slot("age").unwrap() as u16;
        let body = &rs.items[rs.item_index("age").unwrap()].body;
        let table = Table::build(&rs, body, |ctx| crate::eval::eval(ctx, body).ok()).expect("age 16..=70 is small");
        assert_eq!(table.keys, [Key { slot: age, domain: Domain::Range { min: 16, size: 55 }, size: 55, stride: 1 }]);
        let mut values = vec![Value::Absent; rs.inputs.len()];
        let mut at = |years: i64| {
            values[age as usize] = Value::Int(years);
            table.look_up(&Cx { inputs: &values, points: &[], params: &rs.params, places: 0, lists: &[], row: &[] })
        };
        // The table: 30 up to 43 years (min(30, 5 + 2 × (56 − age))), then 2 fewer a year, 5 from 56, 0 past 60.
        assert_eq!(at(16), Ok(Value::Int(30)));
        assert_eq!(at(44), Ok(Value::Int(29)));
        assert_eq!(at(55), Ok(Value::Int(7)));
        assert_eq!(at(56), Ok(Value::Int(5)));
        assert_eq!(at(61), Ok(Value::Int(0)));
        assert_eq!(at(70), Ok(Value::Int(0)));
        // Outside the declared range the table does not answer; the reference evaluator will.
        assert_eq!(at(15), Err(Leave));
        assert_eq!(at(71), Err(Leave));
        assert_eq!(at(i64::MIN), Err(Leave), "a difference that wraps is no position");
        assert_eq!(at(i64::MAX), Err(Leave));
        assert_eq!(at(i64::MIN + 16), Err(Leave));
    }

    #[test]
    fn what_reads_an_unbounded_number_or_another_items_points_is_not_a_table() {
        let rs = policy();
        let body = |id: &str| &rs.items[rs.item_index(id).unwrap()].body;
        let none = |e: &Expr| Table::build(&rs, e, |ctx| crate::eval::eval(ctx, e).ok()).is_none();
        assert!(none(body("si_years")), "si_months has no upper bound");
        assert!(none(body("si_base")), "si_base_yuan is a decimal");
        assert!(none(body("spouse_hukou")), "spouse_hukou_years is optional");
        let title = &rs.items[rs.item_index("title_skill").unwrap()].preconditions[2].condition;
        assert!(none(title), "it reads points(education)");
    }
}
