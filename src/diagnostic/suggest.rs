//! "Did you mean …?": the closest of a list of names to a misspelt one, within a budget.

use std::cell::Cell;

/// Names longer than this (in characters) get no suggestion, and longer candidates are not
/// compared: comparing two names costs the product of their lengths.
pub(crate) const MAX_SUGGESTED_LEN: usize = 64;

/// The closest candidate to a misspelt name, if one is close enough.
pub(crate) fn did_you_mean<'n>(name: &str, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    did_you_mean_within(name, candidates, &Cell::new(usize::MAX))
}

/// [`did_you_mean`], spending at most `budget` (the product of the two lengths for each
/// comparison made, the candidate's length for each one passed over); `None` once spent.
pub(crate) fn did_you_mean_within<'n>(
    name: &str,
    candidates: impl Iterator<Item = &'n str>,
    budget: &Cell<usize>,
) -> Option<&'n str> {
    let own = Letters::of(name)?;
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let spend = |cost: usize| budget.get().checked_sub(cost).map(|left| budget.set(left));
        let other = Letters::of(c);
        spend(other.as_ref().map_or(MAX_SUGGESTED_LEN, |o| o.len))?;
        let Some(other) = other else { continue };
        let (la, lb, common) = (own.len, other.len, own.common_at_most(&other));
        // Jaro-Winkler is at most Jaro + 0.4·(1 − Jaro), so above 0.8 only where Jaro is
        // above 2/3, which needs more than la·lb/(la+lb) characters in common; one edit
        // keeps all but one. Neither: the comparison (the costly part) is skipped.
        let may_score = common * (la + lb) > la * lb;
        // Jaro-Winkler ranks; one slip (`mn` for `min`) is close even where it scores low.
        let may_be_one_edit = la.abs_diff(lb) <= 1 && common + 1 >= la.max(lb) && lb >= 3;
        if !may_score && !may_be_one_edit {
            continue;
        }
        spend(la * lb)?;
        let score = strsim::jaro_winkler(name, c);
        if (score > 0.8 || (may_be_one_edit && strsim::osa_distance(name, c) == 1))
            && best.is_none_or(|(top, _)| score >= top)
        {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// A name of at most [`MAX_SUGGESTED_LEN`] characters, with which characters it has (by
/// their code modulo 128), to bound cheaply how many it shares with another.
struct Letters<'n> {
    name: &'n str,
    len: usize,
    seen: u128,
}

impl<'n> Letters<'n> {
    /// `None` for a longer name (read no further than its limit).
    fn of(name: &'n str) -> Option<Letters<'n>> {
        let (mut len, mut seen) = (0, 0u128);
        for c in name.chars() {
            len += 1;
            if len > MAX_SUGGESTED_LEN {
                return None;
            }
            seen |= 1 << (c as u32 % 128);
        }
        Some(Letters { name, len, seen })
    }

    /// At least the number of characters the two share (as multisets).
    fn common_at_most(&self, other: &Letters) -> usize {
        let within = |a: &Letters, b: &Letters| a.name.chars().filter(|c| b.seen >> (*c as u32 % 128) & 1 == 1).count();
        within(self, other).min(within(other, self))
    }
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    /// What `did_you_mean` chose before names were counted first: every comparison made.
    fn compare_all<'n>(name: &str, candidates: &[&'n str]) -> Option<&'n str> {
        candidates
            .iter()
            .map(|c| (strsim::jaro_winkler(name, c), strsim::osa_distance(name, c), *c))
            .filter(|(score, edits, c)| *score > 0.8 || (*edits == 1 && c.chars().count() >= 3))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, _, c)| c)
    }

    #[test]
    fn skipping_by_characters_in_common_changes_no_suggestion() {
        let names = [
            "age",
            "agee",
            "ag",
            "a",
            "mn",
            "min",
            "max",
            "education",
            "edu",
            "eduction",
            "educatoin",
            "years",
            "yaers",
            "remote_area",
            "remote_area_years",
            "lingang",
            "lingnag",
            "x",
            "xy",
            "yx",
            "年龄",
            "年令",
            "social_insurance_base",
            "social_insurance",
            "points",
            "piont",
            "abcdef",
            "ab",
            "total",
            "totl",
        ];
        for name in names {
            assert_eq!(did_you_mean(name, names.iter().copied()), compare_all(name, &names), "{name}");
            let others: Vec<&str> = names.iter().copied().filter(|n| *n != name).collect();
            assert_eq!(did_you_mean(name, others.iter().copied()), compare_all(name, &others), "{name}");
        }
    }

    #[test]
    fn a_spent_budget_gives_no_suggestion() {
        use super::{did_you_mean_within, Cell};
        // `agee` against `age`: 3 to pass over it, 4·3 to compare.
        let budget = Cell::new(15);
        assert_eq!(did_you_mean_within("agee", ["age"].into_iter(), &budget), Some("age"));
        assert_eq!(budget.get(), 0);
        assert_eq!(did_you_mean_within("agee", ["age"].into_iter(), &budget), None);
        assert_eq!(did_you_mean_within("agee", ["age"].into_iter(), &Cell::new(14)), None);
    }

    #[test]
    fn names_over_64_characters_are_not_compared() {
        let long = "a".repeat(65);
        assert_eq!(did_you_mean(&long, [long.as_str()].into_iter()), None);
        assert_eq!(did_you_mean(&long[..64], [&long[..63]].into_iter()), Some(&long[..63]));
    }
}
