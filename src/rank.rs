//! Ranking applicants for a quota (`rank { … }` in a policy, `jifen rank`).
//!
//! Each scored applicant leaves a compact key (the points ranked by, the tie-break values,
//! and whether they are ranked at all); the keys are sorted in memory. Ranks are standard
//! competition ranks: identical keys share a rank (1, 2, 2, 4). Without `admit ties`
//! exactly the first `quota` in order are admitted, equal keys ordered by input order; with
//! it, everyone whose whole key equals the quota-th applicant's is admitted too.

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::eval::{Applicant, Scores};
use crate::rules::{RankDef, RuleSet, Value};

/// Whether an applicant takes part in the ranking, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Standing {
    Ranked,
    Ineligible,
    Vetoed,
    BelowStandard,
}

impl Standing {
    pub(crate) fn of(scores: &Scores) -> Standing {
        if !scores.eligible {
            Standing::Ineligible
        } else if scores.vetoed {
            Standing::Vetoed
        } else if !scores.meets_standard {
            Standing::BelowStandard
        } else {
            Standing::Ranked
        }
    }

    /// Why an applicant is not ranked (empty for one who is).
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Standing::Ranked => "",
            Standing::Ineligible => "ineligible",
            Standing::Vetoed => "vetoed",
            Standing::BelowStandard => "below the standard",
        }
    }
}

/// Points as text: the one place a ranking turns points into words or cells (fractional
/// points with the policy's places).
pub(crate) fn show_points(rules: &RuleSet, points: i64) -> String {
    rules.show_points(points)
}

/// The keys of applicants in input order, as they are scored.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keys {
    stride: usize,
    points: Vec<i64>,
    standing: Vec<Standing>,
    /// `stride` tie-break values per applicant.
    ties: Vec<Value>,
}

impl Keys {
    pub(crate) fn new(def: &RankDef) -> Keys {
        Keys { stride: def.then.len(), ..Keys::default() }
    }

    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }

    /// Keep the key of one applicant scored into `scores`.
    pub(crate) fn push(&mut self, def: &RankDef, scores: &Scores, applicant: &Applicant) {
        let points = match def.section {
            Some(s) => scores.section_points(s as usize).unwrap_or(0),
            None => scores.total,
        };
        self.points.push(points);
        self.standing.push(Standing::of(scores));
        let value = |slot: u16| applicant.values.get(slot as usize).copied().unwrap_or(Value::Absent);
        self.ties.extend(def.then.iter().map(|t| value(t.slot)));
    }

    /// Add the keys of the applicants that follow.
    pub(crate) fn append(&mut self, mut later: Keys) {
        self.points.append(&mut later.points);
        self.standing.append(&mut later.standing);
        self.ties.append(&mut later.ties);
    }

    fn ties_of(&self, row: usize) -> &[Value] {
        &self.ties[row * self.stride..(row + 1) * self.stride]
    }

    /// Order of two applicants' whole keys: more points first, then each tie-break.
    fn compare(&self, def: &RankDef, a: usize, b: usize) -> Ordering {
        self.points[b].cmp(&self.points[a]).then_with(|| {
            let (x, y) = (self.ties_of(a), self.ties_of(b));
            def.then
                .iter()
                .zip(x.iter().zip(y))
                .map(|(t, (x, y))| tie_order(*x, *y, t.descending))
                .fold(Ordering::Equal, Ordering::then)
        })
    }

    /// Rank the applicants kept.
    pub(crate) fn rank(self, def: &RankDef) -> Ranking {
        let mut order: Vec<u32> =
            (0..self.len() as u32).filter(|&i| self.standing[i as usize] == Standing::Ranked).collect();
        // Input order decides between equal keys: it only matters for who is admitted.
        order.sort_unstable_by(|&a, &b| self.compare(def, a as usize, b as usize).then(a.cmp(&b)));
        let mut rank = vec![0u32; self.len()];
        let mut admitted = vec![false; self.len()];
        let quota = def.quota.map_or(usize::MAX, |q| usize::try_from(q).unwrap_or(usize::MAX));
        let mut last_admitted = None;
        for (position, &row) in order.iter().enumerate() {
            let same_as_before =
                position > 0 && self.compare(def, order[position - 1] as usize, row as usize) == Ordering::Equal;
            rank[row as usize] = if same_as_before { rank[order[position - 1] as usize] } else { position as u32 + 1 };
            let at_line = last_admitted.is_some_and(|l: usize| {
                def.admit_ties && self.compare(def, order[l] as usize, row as usize) == Ordering::Equal
            });
            if position < quota || at_line {
                admitted[row as usize] = true;
                last_admitted = Some(position);
            }
        }
        let summary = self.summarise(def, &order, &admitted);
        Ranking { keys: self, rank, admitted, quota: def.quota, summary }
    }

    fn summarise(&self, def: &RankDef, order: &[u32], admitted: &[bool]) -> Summary {
        let count = |s: Standing| self.standing.iter().filter(|&&x| x == s).count() as u64;
        let mut summary = Summary {
            quota: def.quota,
            applicants: self.len() as u64,
            ranked: order.len() as u64,
            ineligible: count(Standing::Ineligible),
            vetoed: count(Standing::Vetoed),
            below_standard: count(Standing::BelowStandard),
            admitted: admitted.iter().filter(|&&a| a).count() as u64,
            line: None,
            tied_at_line: 0,
            tied_left_out: 0,
        };
        let Some(quota) = def.quota else { return summary };
        // The line is the key of the quota-th applicant (or of the last, when fewer are ranked).
        let at = (quota.min(order.len() as u64) as usize).checked_sub(1);
        if let Some(line) = at.map(|p| order[p] as usize) {
            let tied: Vec<usize> =
                order.iter().map(|&r| r as usize).filter(|&r| self.compare(def, r, line) == Ordering::Equal).collect();
            summary.tied_at_line = tied.len() as u64;
            summary.tied_left_out = tied.iter().filter(|&&r| !admitted[r]).count() as u64;
            summary.line = Some(Line { points: self.points[line], ties: self.ties_of(line).to_vec() });
        }
        summary
    }
}

/// One tie-break's order: larger first when descending; a value not given comes last either way.
fn tie_order(a: Value, b: Value, descending: bool) -> Ordering {
    match (a, b) {
        (Value::Absent, Value::Absent) => Ordering::Equal,
        (Value::Absent, _) => Ordering::Greater,
        (_, Value::Absent) => Ordering::Less,
        _ if descending => compare_values(b, a),
        _ => compare_values(a, b),
    }
}

fn compare_values(a: Value, b: Value) -> Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(&y),
        (Value::Dec(x), Value::Dec(y)) => x.cmp(&y),
        (Value::Int(x), Value::Dec(y)) => Decimal::from(x).cmp(&y),
        (Value::Dec(x), Value::Int(y)) => x.cmp(&Decimal::from(y)),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(&y),
        (Value::Enum(x), Value::Enum(y)) => x.cmp(&y),
        // A later date is larger: `then cert_date asc` ranks the earlier date first.
        (Value::Date(x), Value::Date(y)) => x.cmp(&y),
        _ => Ordering::Equal,
    }
}

/// The key at the cut line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Line {
    pub points: i64,
    #[serde(skip)]
    pub ties: Vec<Value>,
}

/// Counts of a ranking and its cut line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Summary {
    pub quota: Option<u64>,
    pub applicants: u64,
    pub ranked: u64,
    pub ineligible: u64,
    pub vetoed: u64,
    pub below_standard: u64,
    pub admitted: u64,
    /// The key of the quota-th ranked applicant (none without a quota or with no one ranked).
    pub line: Option<Line>,
    /// Ranked applicants whose whole key equals the line's (the one at the line included).
    pub tied_at_line: u64,
    /// Of those, how many input order left out (without `admit ties`).
    pub tied_left_out: u64,
}

impl Summary {
    /// "quota 5000: 5003 admitted (4 tied at the line: total 98, si_months 120 months); cut line total 98".
    pub(crate) fn describe(&self, rules: &RuleSet, def: &RankDef) -> String {
        let by = by_name(rules, def);
        let not_ranked = format!(
            "{} ranked of {} ({} ineligible, {} vetoed, {} below the standard)",
            self.ranked, self.applicants, self.ineligible, self.vetoed, self.below_standard
        );
        let (Some(quota), Some(line)) = (self.quota, &self.line) else {
            return match self.quota {
                Some(q) => format!("quota {q}: {} admitted, no one ranked; {not_ranked}", self.admitted),
                None => not_ranked,
            };
        };
        let mut key = vec![format!("{by} {}", show_points(rules, line.points))];
        for (tie, value) in def.then.iter().zip(&line.ties) {
            let input = &rules.inputs[tie.slot as usize];
            key.push(format!("{} {}", input.name, rules.show_value(input.ty, *value)));
        }
        let tied = match (self.tied_at_line, self.tied_left_out) {
            (0 | 1, _) => String::new(),
            (n, 0) => format!(" ({n} tied at the line: {})", key.join(", ")),
            (n, out) => {
                format!(" ({n} tied at the line: {}; {out} of them not admitted, by input order)", key.join(", "))
            }
        };
        format!(
            "quota {quota}: {} admitted{tied}; cut line {by} {}; {not_ranked}",
            self.admitted,
            show_points(rules, line.points)
        )
    }
}

/// `total`, or the id of the section ranked by.
pub(crate) fn by_name<'r>(rules: &'r RuleSet, def: &RankDef) -> &'r str {
    def.section.and_then(|s| rules.sections.get(s as usize)).map_or("total", |s| &s.id)
}

/// Applicants ranked: each one's rank and admission, in input order.
#[derive(Debug, Clone)]
pub(crate) struct Ranking {
    keys: Keys,
    rank: Vec<u32>,
    admitted: Vec<bool>,
    quota: Option<u64>,
    pub summary: Summary,
}

/// One applicant's place in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Placed<'k> {
    pub points: i64,
    pub standing: Standing,
    /// None when not ranked.
    pub rank: Option<u32>,
    /// None without a quota.
    pub admitted: Option<bool>,
    #[serde(skip)]
    pub ties: &'k [Value],
}

impl Ranking {
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The `row`-th applicant (0-based, in input order).
    pub(crate) fn get(&self, row: usize) -> Option<Placed<'_>> {
        let points = *self.keys.points.get(row)?;
        Some(Placed {
            points,
            standing: self.keys.standing[row],
            rank: Some(self.rank[row]).filter(|&r| r > 0),
            admitted: self.quota.map(|_| self.admitted[row]),
            ties: self.keys.ties_of(row),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::EvalError;
    use crate::population::RawRow;

    /// Score and rank `applicants` by the policy's ranking (none when it declares none).
    fn rank_applicants(rules: &RuleSet, applicants: &[Applicant]) -> Option<Result<Ranking, EvalError>> {
        let def = rules.rank.as_ref()?;
        let scorer = rules.scorer();
        let mut scores = Scores::default();
        let mut keys = Keys::new(def);
        for applicant in applicants {
            if let Err(e) = scorer.score(applicant, &mut scores) {
                return Some(Err(e));
            }
            keys.push(def, &scores, applicant);
        }
        Some(Ok(keys.rank(def)))
    }

    /// The population of tests/it/rank.rs (see the table there), from one file: `jifen rank`
    /// gives these ranks too.
    const POPULATION: &str = include_str!("../tests/rank/population.jsonl");

    #[test]
    fn the_library_ranks_as_the_cli_does() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rank/good/quota.policy");
        let source = std::fs::read_to_string(path).expect("policy");
        let rules = crate::compile("quota.policy", &source).expect("compiles");
        let applicants: Vec<Applicant> = POPULATION
            .lines()
            .map(|l| {
                let row = RawRow::json(1, l.to_string());
                row.parse(&rules).expect("valid row").1
            })
            .collect();
        let ranking = rank_applicants(&rules, &applicants).expect("ranks").expect("scores");
        let ranks: Vec<Option<u32>> = (0..ranking.len()).map(|i| ranking.get(i).and_then(|p| p.rank)).collect();
        assert_eq!(ranks, [Some(1), Some(3), Some(3), Some(2), Some(6), Some(7), None, None, None, Some(3)]);
    }
}
