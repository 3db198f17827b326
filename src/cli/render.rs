//! The human table of a score.

use unicode_width::UnicodeWidthStr;

use jifen::eval::{Applicant, Outcome};
use jifen::report::{fact_text, group_cut, section_cut, why};
use jifen::RuleSet;

fn pad(text: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub fn outcome_table(
    ruleset: &RuleSet,
    outcome: &Outcome,
    applicant: &Applicant,
    explain: bool,
    color: bool,
) -> String {
    let bold = |s: &str| if color { format!("\x1b[1m{s}\x1b[0m") } else { s.to_string() };
    let dim = |s: &str| if color { format!("\x1b[2m{s}\x1b[0m") } else { s.to_string() };
    let mut out = String::new();
    out.push_str(&bold(&format!("{} · {} {}", ruleset.title, ruleset.id, ruleset.year)));
    out.push('\n');
    let label_width = ruleset.items.iter().map(|i| UnicodeWidthStr::width(&*i.label)).max().unwrap_or(10).min(40);
    let id_width = ruleset.items.iter().map(|i| i.id.len()).max().unwrap_or(10);
    for (s, section) in ruleset.sections.iter().enumerate() {
        let points = outcome.sections.get(s).map(|x| x.points).unwrap_or(0);
        let cut = section_cut(ruleset, s, outcome).map(|c| format!(" ({c})")).unwrap_or_default();
        out.push_str(&format!(
            "\n{} ({}){}\n",
            bold(&section.label),
            section.id,
            dim(&format!("  {} points{cut}", ruleset.show_points(points)))
        ));
        for &i in &section.items {
            let i = i as usize;
            let (Some(def), Some(item)) = (ruleset.items.get(i), outcome.items.get(i)) else { continue };
            let reason = why(ruleset, i, outcome).map(|w| format!("  {w}")).unwrap_or_default();
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
        for (g, def) in ruleset.caps.iter().enumerate().filter(|(_, d)| usize::from(d.section) == s) {
            let Some(group) = outcome.groups.get(g) else { continue };
            let members: Vec<&str> =
                def.members.iter().filter_map(|&m| ruleset.items.get(m as usize)).map(|i| &*i.id).collect();
            let cut = group_cut(ruleset, g, outcome).map(|c| format!("  {c}")).unwrap_or_default();
            let label = def.label.as_deref().unwrap_or(&def.id);
            out.push_str(&format!("  group {label} ({}): {} {:>5}{cut}\n", def.id, members.join(" + "), group.points));
            if explain {
                out.push_str(&format!("    sum {}, cap {}\n", group.raw_points, def.cap));
            }
        }
    }
    if !ruleset.outputs.is_empty() {
        out.push_str(&format!("\n{}\n", bold("Outputs")));
        let width = ruleset.outputs.iter().map(|o| UnicodeWidthStr::width(o.label.as_deref().unwrap_or(""))).max();
        for (def, value) in ruleset.outputs.iter().zip(&outcome.outputs) {
            let label = def.label.as_deref().unwrap_or("");
            let shown = ruleset.show_value(def.ty, *value);
            out.push_str(&format!("  {} {}  {shown}\n", pad(label, width.unwrap_or(0)), def.name));
        }
    }
    out.push('\n');
    let meets = if color {
        if outcome.meets_standard {
            "\x1b[1;32myes\x1b[0m".to_string()
        } else {
            "\x1b[1;31mno\x1b[0m".to_string()
        }
    } else {
        yes(outcome.meets_standard).to_string()
    };
    out.push_str(&format!("total           {}\n", bold(&ruleset.show_points(outcome.total))));
    if let (true, Some(floor)) = (explain && outcome.floored, ruleset.floor) {
        let before = outcome.sections.iter().fold(0i64, |sum, s| sum.saturating_add(s.points));
        out.push_str(&format!(
            "                the floor of {} lifted the total from {}\n",
            ruleset.show_points(floor),
            ruleset.show_points(before)
        ));
    }
    if let Some(standard) = outcome.standard {
        out.push_str(&format!("standard        {}\n", ruleset.show_points(standard)));
    }
    out.push_str(&format!("eligible        {}\n", yes(outcome.eligible)));
    for r in &outcome.ineligible_reasons {
        out.push_str(&format!("                not met: {r}\n"));
    }
    out.push_str(&format!("vetoed          {}\n", yes(outcome.vetoed)));
    for r in &outcome.vetoes {
        out.push_str(&format!("                veto: {r}\n"));
    }
    if outcome.standard.is_some() {
        out.push_str(&format!("meets_standard  {meets}\n"));
    } else {
        // No standard: the verdict is eligible and not vetoed.
        let verdict = if outcome.meets_standard {
            "eligible".to_string()
        } else {
            let why: Vec<&str> = outcome.ineligible_reasons.iter().chain(&outcome.vetoes).copied().collect();
            format!("not eligible: {}", why.join("; "))
        };
        out.push_str(&format!("verdict         {verdict}\n"));
    }
    out
}

fn explain_item(ruleset: &RuleSet, i: usize, outcome: &Outcome, applicant: &Applicant, indent: usize) -> String {
    let (Some(def), Some(item)) = (ruleset.items.get(i), outcome.items.get(i)) else {
        return String::new();
    };
    let pad = " ".repeat(indent.min(12));
    let mut out = String::new();
    if let Some(arm) = item.arm.and_then(|a| def.arms.get(a as usize)) {
        out.push_str(&format!("{pad}arm:    {arm}\n"));
    }
    out.push_str(&format!("{pad}raw:    {}", ruleset.show_points(item.raw_points)));
    if let Some(cap) = def.cap {
        out.push_str(&format!(", cap {}", ruleset.show_points(cap)));
    }
    out.push('\n');
    for (k, p) in def.preconditions.iter().enumerate() {
        let met = k < 64 && item.preconditions_met & (1 << k) != 0;
        out.push_str(&format!("{pad}{}  {}\n", if met { "met:  " } else { "unmet:" }, p.reason));
    }
    let facts: Vec<String> = def.reads.iter().filter_map(|s| fact_text(ruleset, *s, applicant)).collect();
    if !facts.is_empty() {
        out.push_str(&format!("{pad}facts:  {}\n", facts.join(", ")));
    }
    if let Some(doc) = &def.doc {
        let first = doc.lines().next().unwrap_or("");
        out.push_str(&format!("{pad}source: {first}\n"));
    }
    out
}
