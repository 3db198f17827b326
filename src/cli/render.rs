//! The human table of a score.

use unicode_width::UnicodeWidthStr;

use crate::eval::{Applicant, Outcome};
use crate::i18n::tr;
use crate::report::{fact_text, group_cut, section_cut, why};
use crate::RuleSet;

/// `text` padded with spaces to `width` columns (a Chinese character takes two).
pub(super) fn pad(text: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

/// A heading, translated, padded to `width` columns and followed by at least one space
/// (an empty heading is blank space).
fn heading_pad(heading: &str, width: usize) -> String {
    let text = tr(heading);
    let w = UnicodeWidthStr::width(&*text);
    let gap = if heading.is_empty() { width } else { width.saturating_sub(w).max(1) };
    format!("{text}{}", " ".repeat(gap))
}

fn yes(b: bool) -> String {
    tr(if b { "yes" } else { "no" }).into_owned()
}

/// A line of the verdict: the heading (translated) padded to 16 columns, then the value.
fn field(heading: &str, value: &str) -> String {
    format!("{}{value}\n", heading_pad(heading, 16))
}

pub(crate) fn outcome_table(
    ruleset: &RuleSet,
    outcome: &Outcome,
    applicant: &Applicant,
    explain: bool,
    color: bool,
) -> String {
    let bold = |s: &str| if color { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() };
    let dim = |s: &str| if color { format!("\x1b[2m{s}\x1b[0m") } else { s.to_string() };
    let mut out = String::new();
    out.push_str(&bold(&format!("{} · {} {}", ruleset.title(), ruleset.id(), ruleset.year())));
    out.push('\n');
    let label_width = ruleset.items().iter().map(|i| UnicodeWidthStr::width(&*i.label)).max().unwrap_or(10).min(40);
    let id_width = ruleset.items().iter().map(|i| i.id.len()).max().unwrap_or(10);
    for (s, section) in ruleset.sections().iter().enumerate() {
        let points = outcome.sections.get(s).map(|x| x.points).unwrap_or(0);
        let cut = section_cut(ruleset, s, outcome).map(|c| format!(" ({})", tr(&c))).unwrap_or_default();
        let points = tr(&format!("{} points", ruleset.show_points(points))).into_owned();
        out.push_str(&format!("\n{} ({}){}\n", bold(&section.label), section.id, dim(&format!("  {points}{cut}"))));
        for &i in &section.items {
            let i = i as usize;
            let (Some(def), Some(item)) = (ruleset.items().get(i), outcome.items.get(i)) else { continue };
            let reason = why(ruleset, i, outcome).map(|w| format!("  {}", tr(&w))).unwrap_or_default();
            out.push_str(&format!(
                "  {} {} {:>5}{}\n",
                pad(&def.label, label_width),
                pad(&def.id, id_width),
                ruleset.show_points(item.points),
                reason
            ));
            if explain {
                out.push_str(&explain_item(ruleset, i, outcome, applicant, label_width + id_width + 4));
            }
        }
        for (g, def) in ruleset.caps().iter().enumerate().filter(|(_, d)| usize::from(d.section) == s) {
            let Some(group) = outcome.groups.get(g) else { continue };
            let members: Vec<&str> =
                def.members.iter().filter_map(|&m| ruleset.items().get(m as usize)).map(|i| &*i.id).collect();
            let cut = group_cut(ruleset, g, outcome).map(|c| format!("  {}", tr(&c))).unwrap_or_default();
            let label = def.label.as_deref().unwrap_or(&def.id);
            let group_line = format!("group {label} ({}): {}", def.id, members.join(" + "));
            out.push_str(&format!("  {} {:>5}{cut}\n", tr(&group_line), group.points));
            if explain {
                out.push_str(&format!("    {}\n", tr(&format!("sum {}, cap {}", group.raw_points, def.cap))));
            }
        }
    }
    if !ruleset.outputs().is_empty() {
        out.push_str(&format!("\n{}\n", bold(&tr("Outputs"))));
        let width = ruleset.outputs().iter().map(|o| UnicodeWidthStr::width(o.label.as_deref().unwrap_or(""))).max();
        for (def, value) in ruleset.outputs().iter().zip(&outcome.outputs) {
            let label = def.label.as_deref().unwrap_or("");
            let shown = ruleset.show_value(def.ty, *value);
            out.push_str(&format!("  {} {}  {shown}\n", pad(label, width.unwrap_or(0)), def.name));
        }
    }
    out.push('\n');
    let meets = if color {
        if outcome.meets_standard {
            format!("\x1b[1;32m{}\x1b[0m", yes(true))
        } else {
            format!("\x1b[1;31m{}\x1b[0m", yes(false))
        }
    } else {
        yes(outcome.meets_standard)
    };
    out.push_str(&field("total", &bold(&ruleset.show_points(outcome.total))));
    if let (true, Some(floor)) = (explain && outcome.floored, ruleset.floor()) {
        let before = outcome.sections.iter().fold(0i64, |sum, s| sum.saturating_add(s.points));
        let lifted = format!(
            "the floor of {} lifted the total from {}",
            ruleset.show_points(floor),
            ruleset.show_points(before)
        );
        out.push_str(&field("", &tr(&lifted)));
    }
    if let Some(standard) = outcome.standard {
        out.push_str(&field("standard", &ruleset.show_points(standard)));
    }
    out.push_str(&field("eligible", &yes(outcome.eligible)));
    for r in &outcome.ineligible_reasons {
        out.push_str(&field("", &tr(&format!("not met: {r}"))));
    }
    out.push_str(&field("vetoed", &yes(outcome.vetoed)));
    for r in &outcome.vetoes {
        out.push_str(&field("", &tr(&format!("veto: {r}"))));
    }
    if outcome.standard.is_some() {
        out.push_str(&field("meets_standard", &meets));
    } else {
        // No standard: the verdict is eligible and not vetoed.
        let verdict = if outcome.meets_standard {
            "eligible".to_string()
        } else {
            let why: Vec<&str> = outcome.ineligible_reasons.iter().chain(&outcome.vetoes).copied().collect();
            format!("not eligible: {}", why.join("; "))
        };
        out.push_str(&field("verdict", &tr(&verdict)));
    }
    out
}

/// A line of the trace: its heading (translated) padded to 8 columns, then the value.
fn trace(indent: &str, heading: &str, value: &str) -> String {
    format!("{indent}{}{value}\n", heading_pad(heading, 8))
}

fn explain_item(ruleset: &RuleSet, i: usize, outcome: &Outcome, applicant: &Applicant, indent: usize) -> String {
    let (Some(def), Some(item)) = (ruleset.items().get(i), outcome.items.get(i)) else {
        return String::new();
    };
    let pad = " ".repeat(indent.min(12));
    let mut out = String::new();
    if let Some(arm) = item.arm.and_then(|a| def.arms.get(a as usize)) {
        out.push_str(&trace(&pad, "arm:", &arm.to_string()));
    }
    let mut raw = ruleset.show_points(item.raw_points);
    if let Some(cap) = def.cap {
        raw.push_str(&tr(&format!(", cap {}", ruleset.show_points(cap))));
    }
    out.push_str(&trace(&pad, "raw:", &raw));
    for (k, p) in def.preconditions.iter().enumerate() {
        let met = k < 64 && item.preconditions_met & (1 << k) != 0;
        out.push_str(&trace(&pad, if met { "met:" } else { "unmet:" }, &p.reason));
    }
    let facts: Vec<String> = def.reads.iter().filter_map(|s| fact_text(ruleset, *s, applicant)).collect();
    if !facts.is_empty() {
        out.push_str(&trace(&pad, "facts:", &crate::i18n::join_clauses(&facts)));
    }
    if let Some(doc) = &def.doc {
        out.push_str(&trace(&pad, "source:", doc.lines().next().unwrap_or("")));
    }
    out
}
