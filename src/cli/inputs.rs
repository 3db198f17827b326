//! `jifen inputs`: the facts a policy reads, for people filling in an applicant and for
//! programs that build a form from the schema.

use serde_json::json;

use crate::rules::InputType;

use super::input::load_policy;
use super::{exit, Format};

/// List the inputs a policy reads: name, type, allowed range, default and label.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  jifen inputs\n  jifen inputs --policy policies/2024.policy\n  jifen --format json inputs"
)]
pub(crate) struct Args {
    /// Policy file (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
}

pub(crate) fn run(args: Args, format: Format) -> u8 {
    let rs = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if format == Format::Json {
        let inputs: Vec<serde_json::Value> = rs.inputs().iter().map(|i| crate::report::input_json(&rs, i)).collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({ "policy": { "id": rs.id(), "year": rs.year() }, "inputs": inputs }))
                .unwrap_or_default()
        );
        return exit::OK;
    }
    let mut out = format!("inputs of {} {} ({} {}):\n\n", rs.title(), rs.year(), rs.id(), rs.effective());
    for i in rs.inputs() {
        let mut line = format!(
            "  {:<27} {:<11}",
            i.name,
            format!("{}{}", crate::report::type_name(&rs, i.ty), if i.optional { "?" } else { "" })
        );
        let range = match (i.min, i.max) {
            (Some(lo), Some(hi)) => format!("{lo}..={hi}"),
            (Some(lo), None) => format!("{lo}.."),
            _ => String::new(),
        };
        line.push_str(&format!(" {range:<8}"));
        let default = match i.default {
            Some(d) => format!("= {}", rs.show_value(i.ty, d)),
            None if i.optional => "(may be absent)".to_string(),
            None => "(required)".to_string(),
        };
        line.push_str(&format!(" {default:<18}"));
        if let Some(label) = &i.label {
            line.push_str(&format!(" {label}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if let InputType::Enum(e) = i.ty {
            if let Some(d) = rs.enums().get(e as usize) {
                let vs: Vec<String> = d
                    .variants
                    .iter()
                    .map(|v| match &v.label {
                        Some(l) => format!("{} ({l})", v.name),
                        None => v.name.to_string(),
                    })
                    .collect();
                out.push_str(&format!("      one of: {}\n", vs.join(", ")));
            }
        }
    }
    out!("{out}");
    exit::OK
}
