//! `jifen diff`: what changed between two policies, and what it does to applicants.

use rayon::prelude::*;
use serde_json::json;

use crate::diff::regions::ItemRegions;
use crate::diff::{rule_changes, Change, DeltaColumns, DriverKind, Summary, Tally, YearSchema};
use crate::population::RowParser;
use crate::{Applicant, Scorer, Scores};

use super::batch::{progress, push_csv_cell, Batch, Rows};
use super::input::load_policy;
use super::output::Output;
use super::render::pad;
use super::{exit, fail, Format};
use crate::i18n::tr;

/// Compare two policies: the rules that changed, and with --applicants who gains, who loses,
/// and who crosses the standard.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen diff policies/2024.policy policies/2025.policy\n  \
jifen gen --count 100000 -o people.jsonl && jifen diff policies/2024.policy policies/2025.policy --applicants people.jsonl\n  \
jifen diff --format csv --applicants people.csv old.policy new.policy -o changes.csv\n  \
jifen diff 2025.policy 2026-draft.policy --applicants people.jsonl --by education --html report.html\n  \
jifen diff 2025.policy 2026-draft.policy --applicants people.xlsx --by education --xlsx briefing.xlsx\n\n\
Rules are compared as compiled: a reformatted policy with the same meaning shows no difference.\n\
--format csv writes one row per applicant (id or line, old and new totals, change, and the change per item).")]
pub(crate) struct Args {
    /// The older policy file.
    pub old: String,
    /// The newer policy file.
    pub new: String,
    /// Applicants to score under both (JSON lines or CSV).
    #[arg(long)]
    pub applicants: Option<String>,
    /// Format of the applicants file (default: from its extension).
    #[arg(long, value_enum)]
    pub input_format: Option<Rows>,
    /// Break the change down by FACT (an enum or bool input: counts and mean change per
    /// value), or by `standard` (the old total's distance from the standard, in bands).
    #[arg(long, value_name = "FACT", requires = "applicants")]
    pub by: Option<String>,
    /// Output file (default: standard output).
    #[arg(short, long)]
    pub output: Option<String>,
    /// Also write the briefing as one standalone HTML page (no outside resources, printable).
    #[arg(long, value_name = "FILE")]
    pub html: Option<String>,
    /// Also write the briefing as an Excel workbook: summary, breakdown, drivers, rule
    /// changes, regions, and (with --applicants) one row per applicant whose points change.
    #[arg(long, value_name = "FILE")]
    pub xlsx: Option<String>,
}

/// What `--by` groups applicants by.
#[derive(Debug, Clone, Copy)]
enum By {
    Nothing,
    /// The band of the old total minus the old standard.
    /// The old standard and the units of a point, both in points units.
    Standard(i64, i64),
    /// An enum or bool input, by slot, of the new year (else of the old one).
    Fact {
        in_new: bool,
        slot: usize,
    },
}

impl By {
    fn from_args(by: Option<&str>, old: &crate::RuleSet, new: &crate::RuleSet) -> Result<By, String> {
        let Some(name) = by else { return Ok(By::Nothing) };
        if name == "standard" {
            let Some(standard) = old.standard() else {
                return Err(format!("`{}` has no standard to group by", old.id()));
            };
            return Ok(By::Standard(standard, old.point_unit()));
        }
        let groupable = |rs: &crate::RuleSet, slot: usize| {
            matches!(rs.inputs()[slot].ty, crate::rules::InputType::Bool | crate::rules::InputType::Enum(_))
        };
        let found = match (new.input_slot(name), old.input_slot(name)) {
            (Some(slot), _) => Some((true, slot, groupable(new, slot))),
            (None, Some(slot)) => Some((false, slot, groupable(old, slot))),
            _ => None,
        };
        match found {
            Some((in_new, slot, true)) => Ok(By::Fact { in_new, slot }),
            Some(_) => Err(format!("--by {name}: `{name}` is a number; give an enum or bool input, or `standard`")),
            None => Err(format!("--by {name}: neither policy declares an input `{name}`")),
        }
    }

    /// The applicant's group, given both years' applicants and the old total.
    fn key(self, old: &Applicant, new: &Applicant, old_total: i64) -> Option<u32> {
        match self {
            By::Nothing => None,
            By::Standard(standard, unit) => Some(crate::diff::band_in(old_total.saturating_sub(standard), unit) as u32),
            By::Fact { in_new, slot } => {
                let a = if in_new { new } else { old };
                Some(match a.values.get(slot) {
                    Some(crate::rules::Value::Bool(b)) => u32::from(*b),
                    Some(crate::rules::Value::Enum(v)) => u32::from(*v),
                    _ => u32::MAX,
                })
            }
        }
    }

    fn label(self, key: u32, old: &crate::RuleSet, new: &crate::RuleSet) -> String {
        match self {
            By::Nothing => String::new(),
            By::Standard(..) => crate::diff::BANDS.get(key as usize).map(|b| b.2.to_string()).unwrap_or_default(),
            By::Fact { .. } if key == u32::MAX => "absent".to_string(),
            By::Fact { in_new, slot } => {
                let rs = if in_new { new } else { old };
                let value = match rs.inputs()[slot].ty {
                    crate::rules::InputType::Bool => crate::rules::Value::Bool(key == 1),
                    _ => crate::rules::Value::Enum(u16::try_from(key).unwrap_or(u16::MAX)),
                };
                rs.show_value(rs.inputs()[slot].ty, value)
            }
        }
    }
}

fn describe(c: &Change) -> String {
    let sign = match c.kind {
        "added" => "+",
        "removed" => "-",
        _ => "~",
    };
    let mut s = format!("  {sign} {} {}", c.what, c.id);
    if let Some(f) = c.field {
        s.push_str(&format!(" ({f})"));
    }
    match (&c.old, &c.new) {
        (Some(a), Some(b)) => s.push_str(&format!(": {a} → {b}")),
        (None, Some(b)) => s.push_str(&format!(": {b}")),
        (Some(a), None) => s.push_str(&tr(&format!(": was {a}"))),
        _ => {}
    }
    if !c.affects.is_empty() {
        s.push_str(&format!("{} {}", tr("; read by"), crate::i18n::join_list(&c.affects)));
    }
    s.push('\n');
    s
}

pub(crate) fn run(args: Args, format: Format) -> u8 {
    let old = match load_policy(Some(&args.old)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let new = match load_policy(Some(&args.new)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut changes = rule_changes(&old, &new);
    let regions = crate::diff::regions::regions(&old, &new);
    let by = match By::from_args(args.by.as_deref(), &old, &new) {
        Ok(by) => by,
        Err(message) => {
            fail(&message, Some("e.g. --by education, --by fresh_graduate or --by standard"));
            return exit::POLICY;
        }
    };
    let mut out = match Output::create(args.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    // Both years must count points alike for their totals to be compared.
    if old.point_unit() != new.point_unit() {
        fail(
            "the two policies count points in different precisions",
            Some("declare the same `points` precision in both headers to compare their totals"),
        );
        return exit::POLICY;
    }
    let mut tally = Tally::with_unit(new.point_unit());
    let mut synthetic = 0usize;
    let columns = DeltaColumns::new(&old, &new);
    // For --xlsx: the CSV lines of the applicants whose points change, and how many.
    let (mut changed, mut changed_rows) = (Vec::new(), 0usize);
    if args.xlsx.is_some() && args.applicants.is_some() {
        changed.extend_from_slice(csv_header(&columns).as_bytes());
    }
    let same_schema = old.inputs() == new.inputs() && old.enums() == new.enums();
    let schemas = (YearSchema::new(&old, &new, false), YearSchema::new(&new, &old, !same_schema));
    if let Some(path) = &args.applicants {
        // JSON lines, CSV or a workbook (its headings read as either year's keys or labels).
        let (mut chunks, size, _, sheet) = match super::batch::open_source(path, args.input_format, &schemas.0.reading)
        {
            Ok(x) => x,
            Err(code) => return code,
        };
        let bar = progress(size);
        let years = Years {
            old: old.scorer(),
            new: new.scorer(),
            same_schema,
            schemas: &schemas,
            by,
            names: (&args.old, &args.new),
            columns: &columns,
            csv: format == Format::Csv,
            xlsx: args.xlsx.is_some(),
        };
        let mut first = true;
        loop {
            let Some((chunk, bytes)) = chunks.next() else {
                return exit::INTERNAL;
            };
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    fail(&format!("{path}: {e}"), None);
                    return exit::APPLICANT;
                }
            };
            if chunk.is_empty() {
                break;
            }
            let parts: Vec<Part> = chunk
                .parts(0..chunk.len(), PART)
                .map_init(|| Worker::new(&years), |worker, range| years.compare_part(worker, &chunk, range))
                .collect();
            if let Some((line, reason)) = parts.iter().find_map(|p| p.failed.as_ref()) {
                let place = match &sheet {
                    Some(sheet) => sheet.place(*line, None),
                    None => format!("{path} line {line}"),
                };
                fail(&format!("{place}: {reason}"), Some("fix the row; no output was written"));
                return exit::APPLICANT;
            }
            if first && years.csv {
                first = false;
                if let Err(code) = out.write(csv_header(&columns).as_bytes()) {
                    return code;
                }
            }
            for part in parts {
                if let Err(code) = out.write(&part.csv) {
                    return code;
                }
                tally.merge(part.tally);
                synthetic += part.synthetic;
                changed_rows += part.changed_rows;
                changed.extend_from_slice(&part.changed);
            }
            if changed_rows > super::diff_xlsx::MAX_APPLICANTS {
                fail(
                    &format!(
                        "more than {} applicants change: too many for one Excel sheet",
                        super::diff_xlsx::MAX_APPLICANTS
                    ),
                    Some("write the per-applicant rows with --format csv; no output was written"),
                );
                return exit::IO;
            }
            chunks.done(chunk);
            if let Some(b) = &bar {
                b.set_position(bytes);
                b.set_message(format!("{} applicants", tally.applicants()));
            }
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
    }
    let summary = tally.summary(&columns, schemas.1.measured(), &|k| by.label(k, &old, &new));
    if args.applicants.is_some() {
        sort_by_effect(&mut changes, &summary);
    }
    let report = || {
        let mut v = json!({
            "old": { "file": args.old, "id": old.id(), "year": old.year() },
            "new": { "file": args.new, "id": new.id(), "year": new.year() },
            "changes": changes,
            "regions": regions,
        });
        if let Some(path) = &args.applicants {
            v["summary"] = summary_json(&new, &summary, args.by.as_deref());
            v["summary"]["population"] = json!(path);
            v["summary"]["synthetic"] = json!(synthetic);
            v["summary"]["population_line"] = json!(population_line(path, summary.applicants, synthetic));
        }
        v
    };
    if let Some(path) = &args.html {
        let page = super::diff_html::render(&report(), new.title());
        let written = Output::create(Some(path)).and_then(|mut o| o.write(page.as_bytes()).and_then(|_| o.commit()));
        if let Err(code) = written {
            return code;
        }
    }
    if let Some(path) = &args.xlsx {
        let rows = args.applicants.is_some().then_some(&changed[..]);
        let book = match super::diff_xlsx::render(&report(), new.title(), rows) {
            Ok(book) => book,
            Err(message) => {
                fail(&message, None);
                return exit::IO;
            }
        };
        let written = Output::create(Some(path)).and_then(|mut o| o.write(&book).and_then(|_| o.commit()));
        if let Err(code) = written {
            return code;
        }
    }
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&report()).map(|s| s + "\n").unwrap_or_default(),
        Format::Csv => String::new(),
        _ => human(&args, &old, &new, &changes, &regions, &summary, synthetic),
    };
    if let Err(code) = out.write(text.as_bytes()).and_then(|_| out.commit()) {
        return code;
    }
    exit::OK
}

/// Rows compared by one rayon task: their tally, CSV lines, and the first row that failed.
struct Part {
    tally: Tally,
    csv: Vec<u8>,
    failed: Option<(usize, String)>,
    /// Rows named `synthetic-…` (written by `jifen gen`).
    synthetic: usize,
    /// For --xlsx: the CSV lines of the rows whose points change, and how many.
    changed: Vec<u8>,
    changed_rows: usize,
}

/// Rows per rayon task.
const PART: usize = 512;

/// How `jifen gen` names its rows.
const SYNTHETIC: &str = "synthetic-";

/// "people.jsonl: 1000 applicants, all synthetic (jifen gen)": the population a report ran on.
fn population_line(path: &str, applicants: usize, synthetic: usize) -> String {
    let origin = match synthetic {
        0 => String::new(),
        n if n == applicants => ", all synthetic (jifen gen)".to_string(),
        n => format!(", {n} of them synthetic (jifen gen)"),
    };
    format!("{path}: {applicants} applicants{origin}")
}

/// The two policies, ready to score the same applicants.
struct Years<'r> {
    old: Scorer<'r>,
    new: Scorer<'r>,
    /// The same inputs: a row read once serves both years.
    same_schema: bool,
    /// How each year reads rows written for either year.
    schemas: &'r (YearSchema, YearSchema),
    by: By,
    /// The policies' file names, for messages.
    names: (&'r str, &'r str),
    columns: &'r DeltaColumns<'r>,
    csv: bool,
    /// Keep the CSV lines of the rows whose points change (for the workbook).
    xlsx: bool,
}

/// What each rayon worker keeps from one row to the next.
struct Worker<'r> {
    old: RowParser<'r>,
    new: RowParser<'r>,
    scores: (Scores, Scores),
    /// Each year's applicant, its own facts only.
    applicants: (Applicant, Applicant),
    changes: Vec<i64>,
}

impl<'r> Worker<'r> {
    fn new(years: &Years<'r>) -> Worker<'r> {
        Worker {
            old: RowParser::new(&years.schemas.0.reading),
            new: RowParser::new(&years.schemas.1.reading),
            scores: (Scores::default(), Scores::default()),
            applicants: (Applicant::default(), Applicant::default()),
            changes: Vec::new(),
        }
    }
}

impl Years<'_> {
    fn compare_part(&self, worker: &mut Worker<'_>, rows: &Batch, range: std::ops::Range<usize>) -> Part {
        let mut part = Part {
            tally: Tally::with_unit(self.new.rules().point_unit()),
            csv: Vec::new(),
            failed: None,
            synthetic: 0,
            changed: Vec::new(),
            changed_rows: 0,
        };
        for at in range {
            if let Err(reason) = self.compare_row(worker, rows, at, &mut part) {
                // The run stops at this row: the rest of the part does not matter.
                part.failed = Some((rows.line(at), reason));
                break;
            }
        }
        part
    }

    /// Score a row under both years, count it, and (for CSV) write its line.
    fn compare_row(&self, w: &mut Worker<'_>, rows: &Batch, at: usize, part: &mut Part) -> Result<(), String> {
        let line = rows.line(at);
        let (id, read) = rows.parse(at, &mut w.old).map_err(|e| format!("under {}: {e}", self.names.0))?;
        part.synthetic += usize::from(id.as_deref().is_some_and(|id| id.starts_with(SYNTHETIC)));
        let (a_old, a_new) = &mut w.applicants;
        self.schemas.0.finish(read, a_old, &mut []).map_err(|e| format!("under {}: {e}", self.names.0))?;
        if self.same_schema {
            a_new.values.clone_from(&a_old.values);
            a_new.lists.clone_from(&a_old.lists);
        } else {
            if part.tally.not_given.is_empty() {
                part.tally.not_given.resize(self.schemas.1.measured().count(), 0);
            }
            let read = rows.parse(at, &mut w.new).map_err(|e| format!("under {}: {e}", self.names.1))?.1;
            self.schemas
                .1
                .finish(read, a_new, &mut part.tally.not_given)
                .map_err(|e| format!("under {}: {e}", self.names.1))?;
        }
        let (a_old, a_new) = (&*a_old, &*a_new);
        let (s_old, s_new) = &mut w.scores;
        self.old.score(a_old, s_old).map_err(|e| e.to_string())?;
        self.new.score(a_new, s_new).map_err(|e| e.to_string())?;
        self.columns.changes(s_old, s_new, &mut w.changes);
        part.tally.add(s_old, s_new, &w.changes);
        let delta = s_new.total.saturating_sub(s_old.total);
        part.tally.example(delta, || id.as_deref().map_or_else(|| format!("line {}", line), str::to_string));
        if let Some(key) = self.by.key(a_old, a_new, s_old.total) {
            part.tally.group(key, delta);
        }
        if self.csv {
            csv_line(&mut part.csv, self.new.rules(), id.as_deref(), line, s_old, s_new, &w.changes);
        }
        if self.xlsx && (delta != 0 || w.changes.iter().any(|c| *c != 0)) {
            part.changed_rows += 1;
            csv_line(&mut part.changed, self.new.rules(), id.as_deref(), line, s_old, s_new, &w.changes);
        }
        Ok(())
    }
}

/// The header of the per-applicant CSV: the columns of [`csv_line`].
fn csv_header(columns: &DeltaColumns<'_>) -> String {
    let mut header = "id,old_total,new_total,change,old_meets_standard,new_meets_standard".to_string();
    for id in columns.ids() {
        header.push(',');
        header.push_str(id);
    }
    header.push('\n');
    header
}

/// `id,old_total,new_total,change,old_meets_standard,new_meets_standard,changes…`
fn csv_line(
    out: &mut Vec<u8>,
    rules: &crate::RuleSet,
    id: Option<&str>,
    line: usize,
    old: &Scores,
    new: &Scores,
    changes: &[i64],
) {
    use std::io::Write;
    match id {
        Some(id) => push_csv_cell(out, id),
        None => push_csv_cell(out, &format!("line {line}")),
    }
    let p = |units: i64| rules.show_points(units);
    let delta = new.total.saturating_sub(old.total);
    let _ =
        write!(out, ",{},{},{},{},{}", p(old.total), p(new.total), p(delta), old.meets_standard, new.meets_standard);
    for change in changes {
        let _ = write!(out, ",{}", p(*change));
    }
    out.push(b'\n');
}

/// Rule changes with the largest effect on the population first (the absolute change of
/// the items they touch), the rest in rule order.
fn sort_by_effect(changes: &mut [Change], s: &Summary) {
    let effect = |item: &str| s.drivers.iter().find(|d| d.item == item).map_or(0, |d| d.total_change.unsigned_abs());
    changes.sort_by_cached_key(|c| {
        let own = if c.what == "item" { effect(&c.id) } else { 0 };
        std::cmp::Reverse(c.affects.iter().map(|a| effect(a)).fold(own, u64::saturating_add))
    });
}

/// An exact decimal as a JSON number.
fn exact(d: rust_decimal::Decimal) -> serde_json::Value {
    serde_json::from_str(&d.to_string()).unwrap_or(serde_json::Value::Null)
}

fn summary_json(rules: &crate::RuleSet, s: &Summary, by: Option<&str>) -> serde_json::Value {
    let unit = rust_decimal::Decimal::from(rules.point_unit());
    let not_given: Vec<serde_json::Value> = s
        .not_given
        .iter()
        .map(|(input, n)| json!({ "input": input, "applicants": n, "percent": percent_json(*n, s.applicants) }))
        .collect();
    let mut v = json!({
        "applicants": s.applicants,
        "gain": s.gain,
        "lose": s.lose,
        "same": s.same,
        "newly_meet_standard": s.newly_meet,
        "no_longer_meet_standard": s.no_longer_meet,
        "bands": s.bands,
        "drivers": s.drivers.iter().map(|d| {
            let mut v = json!(d);
            v["total_change"] = rules.points_json(d.total_change);
            v
        }).collect::<Vec<_>>(),
    });
    if !not_given.is_empty() {
        v["not_given"] = json!(not_given);
    }
    if let Some(fact) = by {
        let groups: Vec<serde_json::Value> =
            s.by.iter()
                .map(|(value, c)| {
                    json!({ "value": value, "applicants": c.applicants, "gain": c.gain, "lose": c.lose,
                        "total_change": rules.points_json(c.total_change), "mean_change": exact(c.mean_change() / unit) })
                })
                .collect();
        v["by"] = json!({ "fact": fact, "groups": groups });
    }
    v
}

fn human(
    args: &Args,
    old: &crate::RuleSet,
    new: &crate::RuleSet,
    changes: &[Change],
    regions: &[ItemRegions],
    s: &Summary,
    synthetic: usize,
) -> String {
    // Each line is written in English and translated whole, so that its Chinese is in the
    // catalogue once; headings of tables are padded after translation.
    let line = |text: String| format!("{}\n", tr(&text));
    let mut out = line(format!(
        "{} {} {} ({}, effective {}) → {} ({}, effective {})",
        new.title(),
        new.id(),
        old.year(),
        args.old,
        old.effective(),
        new.year(),
        args.new,
        new.effective()
    ));
    out.push('\n');
    if changes.is_empty() {
        out.push_str(&line("The rules are the same.".to_string()));
    } else {
        out.push_str(&line(format!("{} rule change(s):", changes.len())));
        for c in changes {
            out.push_str(&describe(c));
        }
    }
    if !regions.is_empty() {
        out.push('\n');
        out.push_str(&line("who changes, from the rules alone (an item's own points, before best_of):".to_string()));
        for r in regions {
            for l in r.lines() {
                out.push_str(&format!("  {}\n", tr(&l)));
            }
        }
    }
    let Some(population) = &args.applicants else { return out };
    out.push('\n');
    out.push_str(&line(format!("population: {}", population_line(population, s.applicants, synthetic))));
    out.push_str(&line(format!(
        "{} applicant(s): {} gain, {} lose, {} unchanged",
        s.applicants, s.gain, s.lose, s.same
    )));
    out.push_str(&format!("  {}\n", tr(&format!("newly meet the standard: {}", s.newly_meet))));
    out.push_str(&format!("  {}\n", tr(&format!("no longer meet it:       {}", s.no_longer_meet))));
    if !s.not_given.is_empty() {
        out.push('\n');
        out.push_str(&line("new or changed inputs, not given by the applicants (they take the default):".to_string()));
        for (input, n) in &s.not_given {
            let note = if *n == s.applicants && *n > 0 {
                " — the new item's effect is not measured"
            } else if *n > 0 {
                " — for those, its effect is not measured"
            } else {
                ""
            };
            out.push_str(&format!(
                "  {}\n",
                tr(&format!("{input}: not given for {} %{note}", percent(*n, s.applicants)))
            ));
        }
    }
    out.push('\n');
    out.push_str(&format!(
        "{} {}  {}\n",
        pad(&tr("change of total"), 18),
        right(&tr("applicants"), 10),
        tr("examples")
    ));
    for b in &s.bands {
        out.push_str(&format!("  {:<16} {:>10}  {}\n", b.band, b.applicants, b.examples.join(", ")));
    }
    if !s.drivers.is_empty() {
        out.push('\n');
        out.push_str(&line("items driving the changes (largest effect first):".to_string()));
        out.push_str(&format!(
            "  {} {} {}  {}\n",
            pad(&tr("item"), 24),
            pad(&tr("kind"), 10),
            right(&tr("applicants"), 10),
            tr("total change")
        ));
        for d in &s.drivers {
            let kind = match d.kind {
                DriverKind::Direct => tr("direct"),
                DriverKind::KnockOn => tr("knock-on"),
            };
            out.push_str(&format!(
                "  {:<24} {} {:>10}  {}\n",
                d.item,
                pad(&kind, 10),
                d.applicants,
                signed(new, d.total_change)
            ));
        }
        if s.drivers.iter().any(|d| d.kind == DriverKind::KnockOn) {
            out.push_str(&format!(
                "  {}\n",
                tr("(knock-on: the item's rule is the same; points moved through a best_of group, a cap or a precondition)")
            ));
        }
    }
    if let Some(fact) = &args.by {
        let head = if fact == "standard" { tr("old total − standard").into_owned() } else { fact.clone() };
        out.push('\n');
        out.push_str(&line(format!("by {head}:")));
        out.push_str(&format!(
            "  {} {} {} {}  {}\n",
            pad(&tr("value"), 20),
            right(&tr("applicants"), 10),
            right(&tr("gain"), 6),
            right(&tr("lose"), 6),
            tr("mean change")
        ));
        for (value, c) in &s.by {
            out.push_str(&format!(
                "  {} {:>10} {:>6} {:>6}  {:+}\n",
                pad(if value == "absent" { tr(value) } else { value.into() }.as_ref(), 20),
                c.applicants,
                c.gain,
                c.lose,
                c.mean_change() / rust_decimal::Decimal::from(new.point_unit())
            ));
        }
    }
    out
}

/// `text` padded on the left to `width` columns.
fn right(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{}{text}", " ".repeat(width.saturating_sub(w)))
}

/// `n` of `total` in percent, exact to one decimal (rounded half away from zero).
fn percent(n: usize, total: usize) -> String {
    use rust_decimal::Decimal;
    if total == 0 {
        return "0".to_string();
    }
    let p = Decimal::from(n as u64) * Decimal::from(100) / Decimal::from(total as u64);
    p.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero).normalize().to_string()
}

/// [`percent`] as an exact JSON number.
fn percent_json(n: usize, total: usize) -> serde_json::Value {
    serde_json::from_str(&percent(n, total)).unwrap_or(serde_json::Value::Null)
}

/// Points with their sign, as the policy prints them: `+12`, `-0.50`.
fn signed(rules: &crate::RuleSet, units: i64) -> String {
    let text = rules.show_points(units);
    if units > 0 {
        format!("+{text}")
    } else {
        text
    }
}
