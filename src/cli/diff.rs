//! `jifen diff`: what changed between two policies, and what it does to applicants.

use rayon::prelude::*;
use serde_json::json;

use jifen::diff::{applicant_delta, rule_changes, Change, Summary};
use jifen::population::RowReader;

use super::batch::{csv_cell, open_input, progress, row_format, Rows};
use super::input::load_policy;
use super::output::Output;
use super::{exit, fail, Format};

/// Compare two policies: the rules that changed, and with --applicants who gains, who loses,
/// and who crosses the standard.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen diff policies/2024.policy policies/2025.policy\n  \
jifen gen --count 100000 -o people.jsonl && jifen diff policies/2024.policy policies/2025.policy --applicants people.jsonl\n  \
jifen diff --format csv --applicants people.csv old.policy new.policy -o changes.csv\n\n\
Rules are compared as compiled: a reformatted policy with the same meaning shows no difference.\n\
--format csv writes one row per applicant (id or line, old and new totals, change, and the change per item).")]
pub struct Args {
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
    /// Output file (default: standard output).
    #[arg(short, long)]
    pub output: Option<String>,
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
        (Some(a), Some(b)) => s.push_str(&format!(":\n      was: {a}\n      now: {b}")),
        (None, Some(b)) => s.push_str(&format!(": {b}")),
        (Some(a), None) => s.push_str(&format!(": was {a}")),
        _ => {}
    }
    if !c.affects.is_empty() {
        s.push_str(&format!("\n      read by: {}", c.affects.join(", ")));
    }
    s.push('\n');
    s
}

pub fn run(args: Args, format: Format) -> u8 {
    let old = match load_policy(Some(&args.old)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let new = match load_policy(Some(&args.new)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let changes = rule_changes(&old, &new);
    let mut out = match Output::create(args.output.as_deref()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut summary = Summary::default();
    let mut csv_header_done = false;
    if let Some(path) = &args.applicants {
        let (input, size) = match open_input(path) {
            Ok(x) => x,
            Err(code) => return code,
        };
        let mut reader = match RowReader::new(input, row_format(args.input_format, path)) {
            Ok(r) => r,
            Err(e) => {
                fail(&format!("{path}: {e}"), None);
                return exit::APPLICANT;
            }
        };
        let bar = progress(size);
        loop {
            let chunk = match reader.chunk(16_384) {
                Ok(c) => c,
                Err(e) => {
                    fail(&format!("{path}: {e}"), None);
                    return exit::APPLICANT;
                }
            };
            if chunk.is_empty() {
                break;
            }
            let same_schema = old.inputs == new.inputs && old.enums == new.enums;
            let results: Vec<Result<(Option<String>, jifen::diff::ApplicantDelta), String>> = chunk
                .par_iter()
                .map(|row| {
                    let (id, a_old) = row.parse(&old).map_err(|e| format!("under {}: {e}", args.old))?;
                    let a_new = if same_schema {
                        a_old.clone()
                    } else {
                        row.parse(&new).map_err(|e| format!("under {}: {e}", args.new))?.1
                    };
                    let o_old = old.evaluate(&a_old).map_err(|e| e.to_string())?;
                    let o_new = new.evaluate(&a_new).map_err(|e| e.to_string())?;
                    Ok((id, applicant_delta(&o_old, &o_new)))
                })
                .collect();
            let mut buf = String::new();
            for (row, result) in chunk.iter().zip(results) {
                let (id, d) = match result {
                    Ok(x) => x,
                    Err(reason) => {
                        fail(
                            &format!("{path} line {}: {reason}", row.line),
                            Some("fix the row; no output was written"),
                        );
                        return exit::APPLICANT;
                    }
                };
                if format != Format::Csv {
                    summary.add(&d);
                    continue;
                }
                summary.add(&d);
                if !csv_header_done {
                    csv_header_done = true;
                    buf.push_str("id,old_total,new_total,change,old_meets_standard,new_meets_standard");
                    for (id, _) in &d.items {
                        buf.push_str(&format!(",{id}"));
                    }
                    buf.push('\n');
                }
                let id = id.unwrap_or_else(|| format!("line {}", row.line));
                buf.push_str(&format!(
                    "{},{},{},{},{},{}",
                    csv_cell(&id),
                    d.old_total,
                    d.new_total,
                    d.delta(),
                    d.old_meets,
                    d.new_meets
                ));
                for (_, change) in &d.items {
                    buf.push_str(&format!(",{change}"));
                }
                buf.push('\n');
            }
            if let Err(code) = out.write(buf.as_bytes()) {
                return code;
            }
            if let Some(b) = &bar {
                b.set_position(reader.bytes);
                b.set_message(format!("{} applicants", summary.applicants));
            }
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
    }
    let text = match format {
        Format::Json => {
            let mut v = json!({
                "old": { "file": args.old, "id": &*old.id, "year": old.year },
                "new": { "file": args.new, "id": &*new.id, "year": new.year },
                "changes": changes,
            });
            if args.applicants.is_some() {
                v["summary"] = json!(summary_json(&summary));
            }
            serde_json::to_string_pretty(&v).map(|s| s + "\n").unwrap_or_default()
        }
        Format::Csv => String::new(),
        _ => human(&args, &old, &new, &changes, &summary),
    };
    if let Err(code) = out.write(text.as_bytes()).and_then(|_| out.commit()) {
        return code;
    }
    exit::OK
}

fn summary_json(s: &Summary) -> serde_json::Value {
    let drivers: Vec<serde_json::Value> =
        s.drivers.iter().map(|(id, (n, sum))| json!({ "item": id, "applicants": n, "total_change": sum })).collect();
    let distribution: Vec<serde_json::Value> =
        s.distribution.iter().map(|(change, n)| json!({ "change": change, "applicants": n })).collect();
    json!({
        "applicants": s.applicants,
        "gain": s.gain,
        "lose": s.lose,
        "same": s.same,
        "newly_meet_standard": s.newly_meet,
        "no_longer_meet_standard": s.no_longer_meet,
        "distribution": distribution,
        "drivers": drivers,
    })
}

fn human(args: &Args, old: &jifen::RuleSet, new: &jifen::RuleSet, changes: &[Change], s: &Summary) -> String {
    let mut out = format!(
        "{} {} ({}, effective {}) → {} ({}, effective {})\n\n",
        new.title, new.id, args.old, old.effective, new.year, args.new, new.effective
    );
    out = out.replacen(&format!("{} ({}", new.id, args.old), &format!("{} {} ({}", new.id, old.year, args.old), 1);
    if changes.is_empty() {
        out.push_str("The rules are the same.\n");
    } else {
        out.push_str(&format!("{} rule change(s):\n", changes.len()));
        for c in changes {
            out.push_str(&describe(c));
        }
    }
    if args.applicants.is_none() {
        return out;
    }
    out.push_str(&format!(
        "\n{} applicant(s): {} gain, {} lose, {} unchanged\n  newly meet the standard: {}\n  no longer meet it:       {}\n",
        s.applicants, s.gain, s.lose, s.same, s.newly_meet, s.no_longer_meet
    ));
    if s.gain + s.lose > 0 {
        out.push_str("\nchange of total → applicants:\n");
        for (change, n) in &s.distribution {
            if *change != 0 {
                out.push_str(&format!("  {change:+6} {n}\n"));
            }
        }
        out.push_str("\nitems driving the changes (applicants affected, total change):\n");
        let mut drivers: Vec<_> = s.drivers.iter().collect();
        drivers.sort_by_key(|(_, (n, _))| std::cmp::Reverse(*n));
        for (id, (n, sum)) in drivers {
            out.push_str(&format!("  {id:<24} {n:>8} {sum:+}\n"));
        }
    }
    out
}
