//! Who changes, without a population: for each item, the regions of its inputs where its
//! points differ between two years, found from the two rule sets alone.
//!
//! An item's points can only change where one of its comparisons changes its answer. Each
//! input the item reads (in either year) is cut at every constant it is compared with, into
//! single values and the open stretches between them; a grid of one representative per
//! piece then covers every case, and both years' rules are evaluated at each. Cells where
//! the points differ are merged into boxes (adjacent pieces with the same change), and each
//! box is said in words. This is exact when the item only compares its inputs with constants
//! (every 2024 → 2025 change does); when it computes with an input (`3 per year of
//! si_months`, `a + b`) the grid is only a sample, and the result says so.
//!
//! An item the grid cannot cover (it reads the rows of a list, or too many combinations)
//! falls back to a sample: [`SAMPLE_SIZE`] applicants drawn by `jifen gen`'s model of the new
//! year (a fixed seed), scored under both years, and what the sample shows is reported as
//! such — how many change, by how much, and a few of them in words.

use std::cell::OnceCell;
use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::eval::{Applicant, Status};
use crate::rules::{Expr, ExprKind, InputDef, InputType, ItemDef, Pattern, RuleSet, Value};

/// Most grid cells evaluated for one item; past it the item is reported as too wide.
const MAX_CELLS: usize = 50_000;
/// Most stretches one numeric input is cut into.
const MAX_PIECES: usize = 200;
/// Most steps of a `per` cut into pieces.
const PER_STEPS: i64 = 40;
/// Applicants drawn for an item whose regions cannot be found exactly.
pub(crate) const SAMPLE_SIZE: u64 = 2_000;
/// The generator's seed for that sample: the same two policies always give the same sample.
pub(crate) const SAMPLE_SEED: u64 = 1;
/// Changed applicants shown in words per sampled item.
const SAMPLE_EXAMPLES: usize = 3;
/// Distinct changes listed per sampled item (the most frequent).
pub(crate) const SAMPLE_CHANGES: usize = 5;

/// The regions where one item's points change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ItemRegions {
    pub item: String,
    /// Every case was covered: the regions are the whole truth, not a sample.
    pub exact: bool,
    pub regions: Vec<Region>,
    /// Why the regions are not exact or could not be found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When they could not be found: what a sample of generated applicants shows instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
}

/// What a sample of generated applicants shows of one item: not exact, a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Sample {
    /// Applicants drawn (`jifen gen`'s model of the new year) and read by both years.
    pub applicants: usize,
    /// The generator's seed.
    pub seed: u64,
    /// How many of them the item's own points change for: in all, up and down.
    pub changed: usize,
    pub up: usize,
    pub down: usize,
    /// The smallest and the largest change seen (signed; absent when none change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub least: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub most: Option<serde_json::Value>,
    /// The most frequent changes (at most [`SAMPLE_CHANGES`]), the most frequent first.
    pub changes: Vec<SampledChange>,
    /// How many other distinct changes were seen and are not listed.
    pub other_changes: usize,
    /// The first few changed applicants, in words: their id, the facts the item reads, the
    /// change.
    pub examples: Vec<String>,
}

/// `applicants` of the sample go from `old` to `new` points on the item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct SampledChange {
    pub old: serde_json::Value,
    pub new: serde_json::Value,
    pub applicants: usize,
}

impl Sample {
    /// "sample of 2000 generated applicants (…; not exact): 12 change (0 up, 12 down, by -10
    /// to -10): 10 → 0 for 12".
    pub(crate) fn headline(&self) -> String {
        let mut changes: Vec<String> =
            self.changes.iter().map(|c| format!("{} → {} for {}", c.old, c.new, c.applicants)).collect();
        if self.other_changes > 0 {
            changes.push(format!("{} other changes", self.other_changes));
        }
        let head =
            format!("sample of {} generated applicants (jifen gen, seed {}; not exact)", self.applicants, self.seed);
        match (&self.least, &self.most) {
            (Some(least), Some(most)) => format!(
                "{head}: {} change ({} up, {} down, by {} to {}): {}",
                self.changed,
                self.up,
                self.down,
                text(least),
                text(most),
                changes.join("; ")
            ),
            _ => format!("{head}: none change (others outside the sample may)"),
        }
    }
}

fn text(v: &serde_json::Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// Applicants whose facts meet every condition go from `old` to `new` points on the item
/// (numbers as the policy prints points: `49.17` at a precision of 0.01).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Region {
    pub conditions: Vec<String>,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
}

impl ItemRegions {
    /// "si_base_yuan in [9845.6, 9947.2) yuan and … : 25 → 0", one line a region.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .regions
            .iter()
            .map(|r| {
                let who = if r.conditions.is_empty() { "everyone".to_string() } else { r.conditions.join(" and ") };
                format!("{}: {who}: {} → {}", self.item, r.old, r.new)
            })
            .collect();
        if let Some(note) = &self.note {
            lines.push(format!("{}: {note}", self.item));
        }
        if let Some(sample) = &self.sample {
            lines.push(format!("{}: {}", self.item, sample.headline()));
            lines.extend(sample.examples.iter().map(|e| format!("{}: e.g. {e}", self.item)));
        }
        lines
    }
}

/// The regions of every item whose rule changed (its body, preconditions or cap, or a
/// parameter it reads), was added (from 0) or was removed (to 0), where its points change.
pub(crate) fn regions(old: &RuleSet, new: &RuleSet) -> Vec<ItemRegions> {
    let mut out = Vec::new();
    // Drawn once, and only if some item needs it.
    let sample = OnceCell::new();
    for item in &new.items {
        let prev = old.items.iter().find(|p| p.id == item.id);
        let changed =
            prev.is_none_or(|p| p.body != item.body || p.preconditions != item.preconditions || p.cap != item.cap);
        if changed {
            out.push(item_regions(old, prev, new, Some(item), &sample));
        }
    }
    for prev in old.items.iter().filter(|p| new.item_index(&p.id).is_none()) {
        out.push(item_regions(old, Some(prev), new, None, &sample));
    }
    for r in &mut out {
        if r.exact && r.regions.is_empty() && r.note.is_none() {
            r.note = Some("its rule changed, but no applicant's points do".to_string());
        }
    }
    out
}

/// What an item reads in either year: its inputs, the constants each is compared with,
/// whether it only compares them, and the lists whose rows it reads.
struct Reads {
    names: BTreeSet<String>,
    constants: Vec<(String, Decimal)>,
    exact: bool,
    lists: Vec<String>,
}

fn scan(old: &RuleSet, prev: Option<&ItemDef>, new: &RuleSet, item: Option<&ItemDef>) -> Reads {
    let mut reads = Reads { names: BTreeSet::new(), constants: Vec::new(), exact: true, lists: Vec::new() };
    for (rs, def) in [(old, prev), (new, item)] {
        let Some(def) = def else { continue };
        let exprs = std::iter::once(&def.body).chain(def.preconditions.iter().map(|p| &p.condition));
        for e in exprs {
            let mut scan = Scan {
                rs,
                inputs: &mut reads.names,
                constants: &mut reads.constants,
                exact: true,
                items: Vec::new(),
                lists: Vec::new(),
            };
            scan.walk(e);
            // Another item's points (`points(education) > 0`): its inputs are cut too.
            let mut seen = Vec::new();
            while let Some(j) = scan.items.pop() {
                if seen.contains(&j) {
                    continue;
                }
                seen.push(j);
                if let Some(other) = rs.items.get(usize::from(j)) {
                    scan.walk(&other.body);
                    other.preconditions.iter().for_each(|p| scan.walk(&p.condition));
                }
            }
            reads.exact &= scan.exact;
            for list in scan.lists {
                if !reads.lists.contains(&list) {
                    reads.lists.push(list);
                }
            }
        }
    }
    reads
}

/// One input of the grid: its name and the pieces its values are cut into.
struct Dim {
    name: String,
    unit: Option<crate::rules::UnitDef>,
    pieces: Vec<Piece>,
    /// The enum the variants belong to, in the new year (for their names).
    kind: DimKind,
}

#[derive(Clone, Copy, PartialEq)]
enum DimKind {
    Number,
    /// Numbers of days since 1970-01-01, shown as dates.
    Date,
    Bool,
    Enum,
}

/// A part of an input's values, with the value that stands for it.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Absent,
    /// Exactly this value.
    At(Decimal),
    /// Strictly between the two (either end open when `None`), represented by `rep`.
    Between(Option<Decimal>, Option<Decimal>, Decimal),
    Bool(bool),
    Variant(String),
}

fn item_regions(
    old: &RuleSet,
    prev: Option<&ItemDef>,
    new: &RuleSet,
    item: Option<&ItemDef>,
    sample: &OnceCell<Vec<Drawn>>,
) -> ItemRegions {
    let id = item.or(prev).map(|i| i.id.to_string()).unwrap_or_default();
    match grid(old, prev, new, item) {
        Ok(g) => ItemRegions {
            item: id,
            exact: g.exact,
            regions: g
                .boxes
                .iter()
                .map(|(b, a, z)| region(&g.dims, b, old.points_json(*a), new.points_json(*z)))
                .collect(),
            note: (!g.exact).then(|| {
                "computes with an input (not only compares it): these regions are a sample; measure it with --applicants"
                    .to_string()
            }),
            sample: None,
        },
        Err(note) => {
            let drawn = sample.get_or_init(|| draw(old, new));
            let reads = scan(old, prev, new, item);
            ItemRegions {
                item: id,
                exact: false,
                regions: Vec::new(),
                note: Some(format!("{note}; no exact regions, so a sample of generated applicants was scored")),
                sample: Some(sampled(old, prev, new, item, drawn, &reads)),
            }
        }
    }
}

/// One generated applicant, scored by each year.
struct Drawn {
    id: String,
    /// The row as `jifen gen` writes it, for examples in words.
    row: serde_json::Value,
    /// Each item's own points, by item index, in the old and the new year (evaluated once
    /// whatever the number of items sampled).
    old: Vec<Option<i64>>,
    new: Vec<Option<i64>>,
}

/// [`SAMPLE_SIZE`] applicants of `jifen gen`'s default model of the new year; each year
/// reads the facts it declares (a fact only the new year knows is left out of the old
/// year's applicant). A row one year cannot read (a fact declared differently) is dropped.
fn draw(old: &RuleSet, new: &RuleSet) -> Vec<Drawn> {
    let model = crate::population::Model::default_for(new);
    let mut rng = crate::population::Rng::new(SAMPLE_SEED);
    let points = |rs: &RuleSet, text: &str| {
        let fields = crate::applicant::json_entries(text).ok()?;
        let applicant =
            rs.applicant_from_fields(fields.into_iter().filter(|(k, _)| rs.input_slot(k).is_some())).ok()?;
        let outcome = rs.evaluate(&applicant).ok()?;
        Some(rs.items.iter().map(|item| own_of(&outcome, item)).collect::<Vec<_>>())
    };
    (1..=SAMPLE_SIZE)
        .filter_map(|n| {
            let text = model.row(new, &mut rng, n);
            let row: serde_json::Value = serde_json::from_str(&text).ok()?;
            let id = row.get("id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            Some(Drawn { id, old: points(old, &text)?, new: points(new, &text)?, row })
        })
        .collect()
}

/// What the drawn applicants show of one item: how many change, how, and a few examples.
fn sampled(
    old: &RuleSet,
    prev: Option<&ItemDef>,
    new: &RuleSet,
    item: Option<&ItemDef>,
    drawn: &[Drawn],
    reads: &Reads,
) -> Sample {
    let mut counts: Vec<((i64, i64), usize)> = Vec::new();
    let (mut applicants, mut examples) = (0, Vec::new());
    // An item the year does not have scores nothing in it.
    let own = |rs: &RuleSet, def: Option<&ItemDef>, points: &[Option<i64>]| match def {
        None => Some(0),
        Some(def) => rs.item_index(&def.id).and_then(|i| points.get(i).copied().flatten()),
    };
    for d in drawn {
        let (Some(a), Some(b)) = (own(old, prev, &d.old), own(new, item, &d.new)) else { continue };
        applicants += 1;
        if a == b {
            continue;
        }
        match counts.iter_mut().find(|(k, _)| *k == (a, b)) {
            Some((_, n)) => *n += 1,
            None => counts.push(((a, b), 1)),
        }
        if examples.len() < SAMPLE_EXAMPLES {
            let facts = in_words(new, old, &d.row, reads);
            examples.push(format!("{} with {facts}: {} → {}", d.id, old.points_json(a), new.points_json(b)));
        }
    }
    // The most frequent first; ties in the order of the change.
    counts.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    let count = |up: bool| counts.iter().filter(|((a, b), _)| (b > a) == up).map(|c| c.1).sum();
    let deltas = counts.iter().map(|((a, b), _)| b.saturating_sub(*a));
    let signed = |units: i64| {
        let text = new.show_points(units);
        serde_json::Value::String(if units > 0 { format!("+{text}") } else { text })
    };
    Sample {
        applicants,
        seed: SAMPLE_SEED,
        changed: counts.iter().map(|c| c.1).sum(),
        up: count(true),
        down: count(false),
        least: deltas.clone().min().map(signed),
        most: deltas.max().map(signed),
        changes: counts
            .iter()
            .take(SAMPLE_CHANGES)
            .map(|((a, b), n)| SampledChange { old: old.points_json(*a), new: new.points_json(*b), applicants: *n })
            .collect(),
        other_changes: counts.len().saturating_sub(SAMPLE_CHANGES),
        examples,
    }
}

/// The facts an item reads, from a generated row, in policy words: `periods = [{start:
/// 2020-01-01, months: 24 months, base: 8000 yuan}]`, `cert_date not given`.
fn in_words(new: &RuleSet, old: &RuleSet, row: &serde_json::Value, reads: &Reads) -> String {
    let mut parts = Vec::new();
    for rs in [new, old] {
        for (slot, input) in rs.inputs.iter().enumerate() {
            let name = &*input.name;
            let read = reads.names.contains(name) || reads.lists.iter().any(|l| l == name);
            if !read || (std::ptr::eq(rs, old) && new.input_slot(name).is_some()) {
                continue;
            }
            parts.push(match row.get(name) {
                None | Some(serde_json::Value::Null) => format!("{name} not given"),
                Some(v) => {
                    let fields = u16::try_from(slot).ok().and_then(|s| rs.record_of(s)).map(|(_, r)| &r.fields[..]);
                    format!("{name} = {}", value_in_words(rs, input, fields, v))
                }
            });
        }
    }
    if parts.is_empty() {
        "its facts at their defaults".to_string()
    } else {
        parts.join(", ")
    }
}

/// One generated value as a policy writes it: numbers with their unit, dates and variants
/// bare, a list's rows as `{field: value, …}`.
fn value_in_words(rs: &RuleSet, def: &InputDef, fields: Option<&[InputDef]>, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(rows) => {
            let rows: Vec<String> = rows
                .iter()
                .map(|r| {
                    let cells: Vec<String> = fields
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|f| {
                            r.get(&*f.name).map(|x| format!("{}: {}", f.name, value_in_words(rs, f, None, x)))
                        })
                        .collect();
                    format!("{{{}}}", cells.join(", "))
                })
                .collect();
            format!("[{}]", rows.join(", "))
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => {
            let unit = match def.ty {
                InputType::Int { unit } | InputType::Decimal { unit } => unit.and_then(|u| rs.units.get(u.0 as usize)),
                _ => None,
            };
            match unit {
                Some(u) => format!("{n} {}", u.word(n.to_string() == "1")),
                None => n.to_string(),
            }
        }
        other => other.to_string(),
    }
}

/// The inputs an item reads in either year, cut into pieces, and the merged cells where its
/// points differ.
struct Grid {
    dims: Vec<Dim>,
    boxes: Vec<Cells>,
    exact: bool,
}

fn grid(old: &RuleSet, prev: Option<&ItemDef>, new: &RuleSet, item: Option<&ItemDef>) -> Result<Grid, String> {
    let Reads { names, constants, exact, lists } = scan(old, prev, new, item);
    if let Some(list) = lists.first() {
        return Err(format!("reads the rows of `{list}`"));
    }
    let mut dims = Vec::new();
    for name in &names {
        let declared = |rs: &RuleSet| rs.inputs.iter().find(|i| &*i.name == name).cloned();
        let Some(def) = declared(new).or_else(|| declared(old)) else { continue };
        let cuts: BTreeSet<Decimal> = constants.iter().filter(|(n, _)| n == name).map(|(_, c)| *c).collect();
        let d = dim(new, old, &def, &cuts).ok_or_else(|| format!("`{name}` is cut into too many pieces"))?;
        dims.push(d);
    }
    let cells = dims.iter().try_fold(1usize, |n, d| n.checked_mul(d.pieces.len().max(1)));
    if cells.is_none_or(|n| n > MAX_CELLS) {
        return Err(format!("reads {} inputs with too many combinations to cover", dims.len()));
    }
    // Every cell of the grid: where the two years disagree, a box of one piece per input.
    let mut boxes: Vec<Cells> = Vec::new();
    let mut index = vec![0usize; dims.len()];
    let bases = (base(old), base(new));
    loop {
        let a = own_points(old, prev, &bases.0, &dims, &index);
        let b = own_points(new, item, &bases.1, &dims, &index);
        if let (Some(a), Some(b)) = (a, b) {
            if a != b {
                boxes.push((index.iter().map(|&i| vec![i]).collect(), a, b));
            }
        }
        // Next cell, the last input fastest.
        let mut d = dims.len();
        loop {
            if d == 0 {
                let boxes = merge(boxes, &dims);
                return Ok(Grid { dims, boxes, exact });
            }
            d -= 1;
            index[d] += 1;
            if index[d] < dims[d].pieces.len() {
                break;
            }
            index[d] = 0;
        }
    }
}

/// The pieces of one input: its absence, its booleans or variants, or the stretches between
/// the constants it is compared with (within its declared range).
fn dim(new: &RuleSet, old: &RuleSet, def: &InputDef, cuts: &BTreeSet<Decimal>) -> Option<Dim> {
    let mut pieces = Vec::new();
    if def.optional {
        pieces.push(Piece::Absent);
    }
    let mut unit = None;
    let kind = match def.ty {
        InputType::Bool => {
            pieces.extend([Piece::Bool(false), Piece::Bool(true)]);
            DimKind::Bool
        }
        // Rows are not cut into pieces: an item reading a list is measured with --applicants.
        InputType::List { .. } => return None,
        InputType::Enum(_) => {
            // Variants of either year, by name: a variant only one year knows scores
            // nothing comparable and is left out by the evaluation.
            let mut seen = BTreeSet::new();
            for rs in [old, new] {
                if let Some(en) = rs.inputs.iter().find(|i| i.name == def.name).and_then(|i| match i.ty {
                    InputType::Enum(e) => rs.enums.get(usize::from(e)),
                    _ => None,
                }) {
                    for v in &en.variants {
                        if seen.insert(v.name.to_string()) {
                            pieces.push(Piece::Variant(v.name.to_string()));
                        }
                    }
                }
            }
            DimKind::Enum
        }
        InputType::Int { .. } | InputType::Decimal { .. } | InputType::Date => {
            if let InputType::Int { unit: u } | InputType::Decimal { unit: u } = def.ty {
                unit = u.and_then(|u| new.units.get(u.0 as usize).cloned());
            }
            // Dates are cut as whole days.
            let whole = matches!(def.ty, InputType::Int { .. } | InputType::Date);
            let cuts: Vec<Decimal> = cuts
                .iter()
                .copied()
                .filter(|c| def.min.is_none_or(|m| *c >= m) && def.max.is_none_or(|m| *c <= m))
                .collect();
            if cuts.len() * 2 + 1 > MAX_PIECES {
                return None;
            }
            let step = Decimal::ONE;
            let mut low: Option<Decimal> = None;
            for &c in &cuts {
                push_between(&mut pieces, low, Some(c), def, whole, step);
                pieces.push(Piece::At(c));
                low = Some(c);
            }
            push_between(&mut pieces, low, None, def, whole, step);
            if def.ty == InputType::Date {
                DimKind::Date
            } else {
                DimKind::Number
            }
        }
    };
    Some(Dim { name: def.name.to_string(), unit, pieces, kind })
}

/// The stretch strictly between `low` and `high` (open ends unbounded, clipped to the
/// input's range), if it holds any value.
fn push_between(
    pieces: &mut Vec<Piece>,
    low: Option<Decimal>,
    high: Option<Decimal>,
    def: &InputDef,
    whole: bool,
    step: Decimal,
) {
    // The declared range closes an open end: `(−∞, c)` of an input `0..` is `[0, c)`.
    let (low_in, high_in) = (low.or(def.min.map(|m| m - step)), high.or(def.max.map(|m| m + step)));
    let rep = match (low_in, high_in) {
        (Some(a), Some(b)) if whole => {
            let r = a.floor() + Decimal::ONE;
            (r < b).then_some(r)
        }
        (Some(a), Some(b)) => (a < b).then(|| (a + b) / Decimal::TWO),
        (Some(a), None) => Some(a.floor() + Decimal::ONE),
        (None, Some(b)) => Some(b.ceil() - Decimal::ONE),
        (None, None) => Some(Decimal::ZERO),
    };
    let Some(rep) = rep else { return };
    if def.min.is_some_and(|m| rep < m) || def.max.is_some_and(|m| rep > m) {
        return;
    }
    pieces.push(Piece::Between(low, high, rep));
}

/// Every input at its default (or its lowest value): the facts the item does not read.
fn base(rs: &RuleSet) -> Applicant {
    let values = rs
        .inputs
        .iter()
        .map(|i| match (i.default, i.ty) {
            (Some(v), _) => v,
            (None, _) if i.optional => Value::Absent,
            (None, InputType::Bool) => Value::Bool(false),
            (None, InputType::Enum(_)) => Value::Enum(0),
            (None, InputType::Int { .. }) => Value::Int(i.min.and_then(|m| i64::try_from(m).ok()).unwrap_or(0)),
            (None, InputType::Decimal { .. }) => Value::Dec(i.min.unwrap_or(Decimal::ZERO)),
            (None, InputType::Date) => Value::Date(0),
            (None, InputType::List { .. }) => Value::Int(0),
        })
        .collect();
    Applicant { values, lists: Vec::new() }
}

/// The item's own points for one cell of the grid: after its preconditions and cap, before
/// any `best_of` (which is another item's doing). `None` when the cell is not a valid
/// applicant of this year (a variant it does not know).
fn own_points(rs: &RuleSet, item: Option<&ItemDef>, base: &Applicant, dims: &[Dim], index: &[usize]) -> Option<i64> {
    // An item the year does not have scores nothing in it.
    let Some(item) = item else { return Some(0) };
    let mut applicant = base.clone();
    for (d, &i) in dims.iter().zip(index) {
        let Some(slot) = rs.input_slot(&d.name) else { continue };
        let def = &rs.inputs[slot];
        applicant.values[slot] = match &d.pieces[i] {
            Piece::Absent => Value::Absent,
            Piece::Bool(b) => Value::Bool(*b),
            Piece::Variant(name) => {
                let InputType::Enum(e) = def.ty else { return None };
                let v = rs.enums.get(usize::from(e))?.variants.iter().position(|v| &*v.name == name)?;
                Value::Enum(u16::try_from(v).ok()?)
            }
            Piece::At(n) | Piece::Between(_, _, n) => match def.ty {
                InputType::Int { .. } => Value::Int(i64::try_from(*n).ok()?),
                InputType::Date => Value::Date(i32::try_from(*n).ok()?),
                _ => Value::Dec(*n),
            },
        };
    }
    item_points(rs, Some(item), &applicant)
}

/// An item's own points for one applicant: after its preconditions and cap, before any
/// `best_of`; 0 when the year does not have the item.
fn item_points(rs: &RuleSet, item: Option<&ItemDef>, applicant: &Applicant) -> Option<i64> {
    let Some(item) = item else { return Some(0) };
    own_of(&rs.evaluate(applicant).ok()?, item)
}

/// [`item_points`] from an outcome already evaluated.
fn own_of(outcome: &crate::eval::Outcome<'_>, item: &ItemDef) -> Option<i64> {
    let own = outcome.item(&item.id)?;
    Some(match own.status {
        Status::Scored | Status::Capped => own.points,
        Status::PreconditionUnmet { .. } => 0,
        Status::Excluded { .. } => item.cap.map_or(own.raw_points, |c| own.raw_points.min(c)),
    })
}

/// A set of grid cells: for each input, the pieces it covers (sorted), with the change.
type Cells = (Vec<Vec<usize>>, i64, i64);

/// Boxes merged while two with the same change differ in one input only and can be joined
/// there: any two sets of variants or yes/no values, or two touching stretches of a number.
fn merge(mut boxes: Vec<Cells>, dims: &[Dim]) -> Vec<Cells> {
    loop {
        let mut merged = false;
        for (d, dim) in dims.iter().enumerate() {
            let key = |x: &Cells| {
                let others: Vec<&Vec<usize>> =
                    x.0.iter().enumerate().filter(|(i, _)| *i != d).map(|(_, r)| r).collect();
                (x.1, x.2, others.into_iter().cloned().collect::<Vec<_>>(), x.0[d].clone())
            };
            boxes.sort_by_key(key);
            let mut out: Vec<Cells> = Vec::with_capacity(boxes.len());
            for b in boxes.drain(..) {
                if let Some(last) = out.last_mut() {
                    let same_elsewhere = last.0.iter().zip(&b.0).enumerate().all(|(i, (x, y))| i == d || x == y);
                    let joinable = dim.kind != DimKind::Number
                        || last.0[d].last().zip(b.0[d].first()).is_some_and(|(x, y)| x + 1 == *y);
                    if last.1 == b.1 && last.2 == b.2 && same_elsewhere && joinable {
                        last.0[d].extend(b.0[d].iter().copied());
                        last.0[d].sort_unstable();
                        last.0[d].dedup();
                        merged = true;
                        continue;
                    }
                }
                out.push(b);
            }
            boxes = out;
        }
        if !merged {
            return boxes;
        }
    }
}

fn region(dims: &[Dim], b: &[Vec<usize>], old: serde_json::Value, new: serde_json::Value) -> Region {
    let conditions = dims.iter().zip(b).filter_map(|(d, pieces)| condition(d, pieces)).collect();
    Region { conditions, old, new }
}

/// One input's part of a region in words; `None` when it spans every value.
fn condition(d: &Dim, pieces: &[usize]) -> Option<String> {
    if pieces.len() == d.pieces.len() {
        return None;
    }
    let chosen: Vec<Piece> = pieces.iter().filter_map(|&i| d.pieces.get(i).cloned()).collect();
    match d.kind {
        DimKind::Bool => Some(match chosen.as_slice() {
            [Piece::Bool(true)] => d.name.clone(),
            [Piece::Bool(false)] => format!("not {}", d.name),
            _ => format!("{} not given", d.name),
        }),
        DimKind::Enum => {
            let names: Vec<&str> = chosen
                .iter()
                .map(|p| match p {
                    Piece::Variant(v) => v.as_str(),
                    _ => "absent",
                })
                .collect();
            Some(match names.as_slice() {
                [one] => format!("{} = {one}", d.name),
                many => format!("{} in [{}]", d.name, many.join(", ")),
            })
        }
        DimKind::Number | DimKind::Date => Some(number_condition(d, &chosen)),
    }
}

fn number_condition(d: &Dim, chosen: &[Piece]) -> String {
    let date = |n: Decimal| i32::try_from(n).map(crate::date::format).unwrap_or_else(|_| n.to_string());
    let q = |n: Decimal| match (&d.kind, &d.unit) {
        (DimKind::Date, _) => date(n),
        (_, Some(u)) => format!("{} {}", n.normalize(), u.word(n == Decimal::ONE)),
        (_, None) => n.normalize().to_string(),
    };
    let plain = |n: Decimal| if d.kind == DimKind::Date { date(n) } else { n.normalize().to_string() };
    let absent = matches!(chosen.first(), Some(Piece::Absent));
    let chosen: Vec<&Piece> = chosen.iter().filter(|p| **p != Piece::Absent).collect();
    // The lower end: a value included (`≥`), a value excluded (`>`), or none.
    let low = match chosen.first() {
        Some(Piece::At(c)) => Some((*c, true)),
        Some(Piece::Between(Some(a), _, _)) => Some((*a, false)),
        _ => None,
    };
    let high = match chosen.last() {
        Some(Piece::At(c)) => Some((*c, true)),
        Some(Piece::Between(_, Some(b), _)) => Some((*b, false)),
        _ => None,
    };
    let text = match (low, high) {
        (Some((a, true)), Some((b, true))) if a == b => format!("{} = {}", d.name, q(a)),
        (Some((a, ai)), Some((b, bi))) => format!(
            "{} in {}{}, {}{} {}",
            d.name,
            if ai { "[" } else { "(" },
            plain(a),
            plain(b),
            if bi { "]" } else { ")" },
            d.unit.as_ref().map_or("", |u| &*u.name)
        )
        .trim_end()
        .to_string(),
        (Some((a, true)), None) => format!("{} ≥ {}", d.name, q(a)),
        (Some((a, false)), None) => format!("{} > {}", d.name, q(a)),
        (None, Some((b, true))) => format!("{} ≤ {}", d.name, q(b)),
        (None, Some((b, false))) => format!("{} < {}", d.name, q(b)),
        (None, None) => format!("{} given", d.name),
    };
    if absent {
        format!("{text} or not given")
    } else {
        text
    }
}

/// Finds the inputs an expression reads, the constants each is compared with, and whether
/// it only compares them (then the pieces cover every case exactly).
struct Scan<'a> {
    rs: &'a RuleSet,
    inputs: &'a mut BTreeSet<String>,
    constants: &'a mut Vec<(String, Decimal)>,
    exact: bool,
    /// Items whose points are read, to scan in turn.
    items: Vec<u16>,
    /// List inputs read by an aggregate.
    lists: Vec<String>,
}

impl Scan<'_> {
    fn name(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Input(s) => self.rs.inputs.get(usize::from(*s)).map(|i| i.name.to_string()),
            ExprKind::Coalesce(a, b) if self.constant(b).is_some() => self.name(a),
            _ => None,
        }
    }

    /// A constant side of a comparison: `Some(Some(n))` a number, `Some(None)` a variant or
    /// yes/no (no cut needed), `None` not a constant.
    fn constant(&self, e: &Expr) -> Option<Option<Decimal>> {
        match &e.kind {
            ExprKind::Const(v) | ExprKind::Folded { value: v, .. } => Some(number(*v)),
            ExprKind::Param(p) => self.rs.params.get(usize::from(*p)).map(|p| number(p.value)),
            _ => None,
        }
    }

    fn walk(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Input(s) => {
                // Read as a value (points computed from it), not compared: not exact.
                if let Some(i) = self.rs.inputs.get(usize::from(*s)) {
                    self.inputs.insert(i.name.to_string());
                    if !matches!(i.ty, InputType::Bool | InputType::Enum(_)) {
                        self.exact = false;
                    }
                }
            }
            ExprKind::Points(j) => self.items.push(*j),
            // The rows of a list are not cut into pieces (its filter and body may read
            // inputs too).
            ExprKind::Each { list, .. } => {
                if let Some(i) = self.rs.inputs.get(usize::from(*list)) {
                    self.lists.push(i.name.to_string());
                }
                e.children().for_each(|c| self.walk(c));
            }
            // `2 per year of x`: the points step at each whole year; cut there (up to a
            // bound: past it the result is a sample).
            ExprKind::Per { rate, operand, scale, amount } if self.name(operand).is_some() => {
                self.walk(rate);
                if let Some(n) = self.name(operand) {
                    let step = *amount / Decimal::from((*scale).max(1));
                    let max = self.rs.inputs.iter().find(|i| *i.name == *n).and_then(|i| i.max);
                    let count = max.map(|m| (m / step).floor()).unwrap_or(Decimal::from(PER_STEPS + 1));
                    if step > Decimal::ZERO && count <= Decimal::from(PER_STEPS) {
                        let count = i64::try_from(count).unwrap_or(0);
                        (0..=count).for_each(|k| self.constants.push((n.clone(), step * Decimal::from(k))));
                    } else {
                        self.exact = false;
                        (0..=PER_STEPS).for_each(|k| self.constants.push((n.clone(), step * Decimal::from(k))));
                    }
                    self.inputs.insert(n);
                }
            }
            ExprKind::Cmp(_, a, b) => match (self.name(a), self.constant(b), self.name(b), self.constant(a)) {
                (Some(n), Some(c), _, _) | (_, _, Some(n), Some(c)) => {
                    self.inputs.insert(n.clone());
                    if let Some(c) = c {
                        self.constants.push((n, c));
                    }
                }
                _ => e.children().for_each(|c| self.walk(c)),
            },
            ExprKind::In(a, set) => match self.name(a) {
                Some(n) => {
                    for v in set {
                        if let Some(c) = number(*v) {
                            self.constants.push((n.clone(), c));
                        }
                    }
                    self.inputs.insert(n);
                }
                None => self.walk(a),
            },
            ExprKind::Match { scrutinee, arms } => {
                for (i, s) in scrutinee.iter().enumerate() {
                    match self.name(s) {
                        Some(n) => {
                            for (pattern, _) in arms {
                                if let Some(Pattern::OneOf(values)) = pattern.get(i) {
                                    for v in values {
                                        if let Some(c) = number(*v) {
                                            self.constants.push((n.clone(), c));
                                        }
                                    }
                                }
                            }
                            self.inputs.insert(n);
                        }
                        None => self.walk(s),
                    }
                }
                arms.iter().for_each(|(_, r)| self.walk(r));
            }
            ExprKind::IsPresent(a) => match self.name(a) {
                Some(n) => {
                    self.inputs.insert(n);
                }
                None => self.walk(a),
            },
            _ => e.children().for_each(|c| self.walk(c)),
        }
    }
}

fn number(v: Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(i)),
        Value::Date(d) => Some(Decimal::from(d)),
        Value::Dec(d) => Some(d),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The piece of `d` that holds `v`.
    fn piece_of(rs: &RuleSet, d: &Dim, v: Value) -> Option<usize> {
        let variant = |i: u16| {
            let slot = rs.input_slot(&d.name)?;
            let InputType::Enum(e) = rs.inputs[slot].ty else { return None };
            Some(rs.variant_name(e, i))
        };
        d.pieces.iter().position(|p| match (p, v) {
            (Piece::Variant(name), Value::Enum(i)) => variant(i).as_deref() == Some(name.as_str()),
            (Piece::Absent, Value::Absent) => true,
            (Piece::Bool(b), Value::Bool(x)) => *b == x,
            (Piece::At(c), v) => number(v) == Some(*c),
            (Piece::Between(lo, hi, _), v) => {
                number(v).is_some_and(|n| lo.is_none_or(|lo| n > lo) && hi.is_none_or(|hi| n < hi))
            }
            _ => false,
        })
    }

    /// The regions are exact: for applicants drawn at random (not from the grid), an exact
    /// item's own points differ between 2024 and 2025 exactly when the applicant's cell lies
    /// in a region, and then by that region's change.
    #[test]
    fn exact_regions_agree_with_scoring_random_applicants() {
        let old = crate::compile_bundled("policies/2024.policy").expect("2024");
        let new = crate::compile_bundled("policies/2025.policy").expect("2025");
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n.max(1)
        };
        let mut checked = 0;
        for id in ["si_base", "title_skill"] {
            let (prev, item) = (&old.items[old.item_index(id).expect(id)], &new.items[new.item_index(id).expect(id)]);
            let g = grid(&old, Some(prev), &new, Some(item)).expect("grid");
            assert!(g.exact, "{id} only compares its inputs with constants");
            for _ in 0..3000 {
                // A random applicant of 2025 (2024 reads the same inputs).
                let values: Vec<Value> = new
                    .inputs
                    .iter()
                    .map(|i| match i.ty {
                        InputType::Bool => Value::Bool(next(2) == 1),
                        InputType::Enum(e) => Value::Enum(next(new.enums[usize::from(e)].variants.len() as u64) as u16),
                        InputType::Int { .. } => {
                            let lo = i.min.and_then(|m| i64::try_from(m).ok()).unwrap_or(0);
                            let hi = i.max.and_then(|m| i64::try_from(m).ok()).unwrap_or(lo + 80);
                            Value::Int(lo + next((hi - lo + 1) as u64) as i64)
                        }
                        // Bases around the tiers, in cents.
                        InputType::Decimal { .. } => Value::Dec(Decimal::new(next(4_000_000) as i64, 2)),
                        InputType::Date => Value::Date(next(20_000) as i32),
                        InputType::List { .. } => Value::Int(0),
                    })
                    .collect();
                let applicant = Applicant { values, lists: Vec::new() };
                let own = |rs: &RuleSet, def: &ItemDef| {
                    let outcome = rs.evaluate(&applicant).expect("evaluates");
                    let o = outcome.item(&def.id).expect("item");
                    match o.status {
                        Status::Scored | Status::Capped => o.points,
                        Status::PreconditionUnmet { .. } => 0,
                        Status::Excluded { .. } => def.cap.map_or(o.raw_points, |c| o.raw_points.min(c)),
                    }
                };
                let (a, b) = (own(&old, prev), own(&new, item));
                let cell: Vec<usize> = g
                    .dims
                    .iter()
                    .map(|d| {
                        let v = applicant.values[new.input_slot(&d.name).expect("input")];
                        piece_of(&new, d, v)
                            .unwrap_or_else(|| panic!("{} = {v:?} in no piece of {:?}", d.name, d.pieces))
                    })
                    .collect();
                let found = g.boxes.iter().find(|(b, _, _)| b.iter().zip(&cell).all(|(set, i)| set.contains(i)));
                match found {
                    Some((_, x, y)) => assert_eq!((a, b), (*x, *y), "{id}: {applicant:?}"),
                    None => assert_eq!(a, b, "{id}: {applicant:?} changes outside every region"),
                }
                checked += usize::from(a != b);
            }
        }
        assert!(checked > 0, "some random applicants change");
    }
}

#[cfg(test)]
mod date_tests {
    /// A certificate's cut-off date moved from 2025-07-01 to 2025-01-01: certificates obtained
    /// in [2025-01-01, 2025-07-01) now count (0 → 5); the region is said with dates, exactly.
    #[test]
    fn a_moved_date_threshold_is_a_region_of_dates() {
        let policy = |date: &str| {
            format!(
                "policy p \"p\" {{\n    year 2025\n    effective 2025-01-01\n    standard 5\n}}\ninput {{\n    cert: date \"证书日期\"\n}}\n\
                 section s \"s\" {{\n    item c \"证书\" {{\n        when cert >= {date} => 5\n        else => 0\n    }}\n}}\n"
            )
        };
        let old = crate::compile("old.policy", &policy("2025-07-01")).expect("old compiles");
        let new = crate::compile("new.policy", &policy("2025-01-01")).expect("new compiles");
        let found = super::regions(&old, &new);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].exact);
        assert_eq!(found[0].lines(), ["c: cert in [2025-01-01, 2025-07-01): 0 → 5"]);
    }
}
