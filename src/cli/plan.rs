//! `jifen plan`: what would bring an applicant to the standard, and the routes to it.

use crate::plan::{BlockerKind, Limits, Plan, PlanReport, DEFAULT_BUDGET};
use crate::RuleSet;

use super::input::{load_policy, read};
use super::{exit, fail, Format};

/// Find the smallest changes that make an applicant meet the standard, or (--routes) the
/// minimal combinations of facts that reach it from an empty profile.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  jifen plan examples/near-120.json\n  jifen plan --max-changes 3 --max-wait 5 examples/near-120.json\n  \
jifen plan --routes\n  jifen plan --routes --age 45 --format json\n\n\
What can change is declared by the policy's `plan { wait { … } raise { … } assume { … } }` block:\n\
waiting a year applies every `wait` step (age included, which can cost age points); `raise`\n\
lists the facts an applicant can improve. Plans are ranked by facts changed, then years waited.\n\
A plan is shown only if no other plan reaches the standard with a subset of its changes (each no\n\
further) and no more waiting. A veto or requirement that no plan can change is named instead."
)]
pub(crate) struct Args {
    /// The applicant (JSON or TOML, `-` for stdin). Not used with --routes.
    pub applicant: Option<String>,
    /// Policy file (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// List the minimal combinations of facts that reach the standard from an empty profile.
    #[arg(long)]
    pub routes: bool,
    /// Age of the empty profile for --routes (shorthand for `--given age=N`; default 30 when
    /// the policy has an input `age`).
    #[arg(long)]
    pub age: Option<i64>,
    /// A fact of the empty profile for --routes, never chosen by a route (repeatable):
    /// `--given age=45 --given education=master`.
    #[arg(long, value_name = "KEY=VALUE")]
    pub given: Vec<String>,
    /// Facts changed at most in one plan (routes: facts chosen at most).
    #[arg(long)]
    pub max_changes: Option<usize>,
    /// Years of waiting considered at most (lowered to the years after which waiting changes
    /// nothing the rules compare).
    #[arg(long, default_value_t = 10)]
    pub max_wait: u32,
    /// Work the search may spend: profiles evaluated, plus combinations ruled out without one.
    /// The output says when it ran out.
    #[arg(long, default_value_t = DEFAULT_BUDGET)]
    pub budget: u64,
}

fn describe(p: &Plan) -> String {
    let mut parts: Vec<String> = p
        .changes
        .iter()
        .map(|c| {
            if c.implied {
                format!("({}: {} → {})", c.input, c.from, c.to)
            } else {
                format!("{}: {} → {}", c.input, c.from, c.to)
            }
        })
        .collect();
    if p.wait_years > 0 {
        parts.push(format!("wait {} year{}", p.wait_years, if p.wait_years == 1 { "" } else { "s" }));
    }
    parts.join(", ")
}

/// The vetoes that hold and the requirements not met, one a line.
fn blockers(report: &PlanReport) -> String {
    let mut out = String::new();
    for b in &report.blockers {
        let what = match b.kind {
            BlockerKind::Veto => "vetoed by",
            BlockerKind::Requirement => "not eligible:",
        };
        let after = if b.can_change { "; every plan below meets it too" } else { "" };
        out.push_str(&format!("  {what} {} — {} (reads {}{after})\n", b.id, b.reason, b.inputs.join(", ")));
    }
    if !out.is_empty() {
        out.insert_str(0, "\nWhat stands in the way whatever the score:\n");
    }
    out
}

/// The item changes in parentheses after two spaces, or nothing when no item changes.
fn in_parens(ruleset: &RuleSet, items: &[(String, i64)]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("  ({})", deltas(ruleset, items))
    }
}

/// Each item's gain, signed, in the policy's places.
fn deltas(ruleset: &RuleSet, items: &[(String, i64)]) -> String {
    let signed = |d: i64| if d >= 0 { format!("+{}", ruleset.show_points(d)) } else { ruleset.show_points(d) };
    items.iter().map(|(id, d)| format!("{id} {}", signed(*d))).collect::<Vec<_>>().join(", ")
}

pub(crate) fn run(args: Args, format: Format) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    if args.routes {
        let mut given = args.given.clone();
        let age_given = given.iter().any(|g| g.trim_start().starts_with("age"));
        match args.age {
            Some(age) => given.push(format!("age={age}")),
            None if !age_given && ruleset.input_slot("age").is_some() => given.push("age=30".to_string()),
            None => {}
        }
        let mut fixed = Vec::new();
        for g in &given {
            match ruleset.fact_from_text(g) {
                Ok(fact) => fixed.push(fact),
                Err(e) => {
                    fail(&format!("--given {g}: {e}"), Some("e.g. --given age=45 (an input of the policy)"));
                    return exit::APPLICANT;
                }
            }
        }
        let base = ruleset.empty_profile(&fixed);
        let slots: Vec<u16> = fixed.iter().map(|(s, _)| *s).collect();
        let routes = ruleset.routes(&base, &slots, args.max_changes.unwrap_or(4));
        let age = fixed.iter().find(|(s, _)| ruleset.inputs()[usize::from(*s)].name.as_ref() == "age").map(|(_, v)| v);
        let age = age.and_then(|v| if let crate::rules::Value::Int(a) = v { Some(*a) } else { None });
        if format == Format::Json {
            let v = serde_json::json!({ "policy": { "id": ruleset.id(), "year": ruleset.year() }, "age": age, "given": given, "standard": ruleset.standard().map(|s| ruleset.points_json(s)), "routes": routes });
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return exit::OK;
        }
        if routes.is_empty() {
            if let Ok(o) = ruleset.evaluate(&base) {
                if let (true, Some(standard)) = (o.meets_standard, o.standard) {
                    outln!(
                        "The profile given ({}) already meets the standard: {} ≥ {}.",
                        given.join(", "),
                        ruleset.show_points(o.total),
                        ruleset.show_points(standard)
                    );
                    return exit::OK;
                }
            }
        }
        let mut out = format!(
            "{} routes to {} under {} {} ({}; facts in parentheses are implied by the policy's assumptions):\n\n",
            routes.len(),
            ruleset.standard().map_or("eligibility".to_string(), |s| ruleset.show_points(s)),
            ruleset.id(),
            ruleset.year(),
            match age {
                Some(age) if given.len() == 1 => format!("age {age}"),
                _ => format!("given {}", given.join(", ")),
            }
        );
        for (k, r) in routes.iter().enumerate() {
            out.push_str(&format!(
                "{:>3}. {:<90} → {}\n      {}\n",
                k + 1,
                describe(r),
                ruleset.show_points(r.total),
                deltas(&ruleset, &r.items)
            ));
        }
        out!("{out}");
        return exit::OK;
    }
    let Some(path) = args.applicant.as_deref() else {
        fail("name an applicant file (or `-`), or use --routes", Some("e.g. `jifen plan examples/near-120.json`"));
        return exit::POLICY;
    };
    let text = match read(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let applicant = if path.ends_with(".toml") || !text.trim_start().starts_with('{') {
        ruleset.applicant_from_toml(&text)
    } else {
        crate::population::RawRow::json(1, text.clone()).parse(&ruleset).map(|(_, a)| a)
    };
    let applicant = match applicant {
        Ok(a) => a,
        Err(e) => {
            let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
            fail(&format!("{path}: {e}"), help.as_deref());
            return exit::APPLICANT;
        }
    };
    let mut limits = Limits { max_wait_years: args.max_wait, budget: args.budget, ..Limits::default() };
    if let Some(m) = args.max_changes {
        limits.max_changes = m;
    }
    let report = ruleset.plan(&applicant, limits);
    if format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        return exit::OK;
    }
    let standard = report.standard.unwrap_or(i64::MIN);
    let mut out = format!(
        "total {} of {} under {} {}",
        ruleset.show_points(report.total),
        report.standard.map_or("no standard".to_string(), |s| ruleset.show_points(s)),
        ruleset.id(),
        ruleset.year()
    );
    if report.meets_standard {
        out.push_str(": meets the standard already.\n");
    } else {
        if report.total >= standard {
            out.push_str(": the points are enough, but a rule stands in the way.\n");
        } else {
            out.push_str(&format!(" — {} short.\n", ruleset.show_points(standard.saturating_sub(report.total))));
        }
        out.push_str(&blockers(&report));
        if report.blockers.iter().any(|b| !b.can_change) {
            out.push_str(
                "\nNo plan can lift it: no fact it reads changes by waiting or is one the policy's `plan` block lets an \
                 applicant raise, so no plan was searched for.\n",
            );
        } else if report.plans.is_empty() {
            out.push_str(&format!(
                "\nNo plan with at most {} change(s) and {} year(s) of waiting reaches it{}.\n",
                limits.max_changes,
                report.search.max_wait_years,
                if report.search.cut { "" } else { " (try --max-changes 3)" }
            ));
        } else {
            out.push_str("\nWays to reach it, fewest changes first:\n");
            for (k, p) in report.plans.iter().enumerate() {
                out.push_str(&format!(
                    "{:>3}. {} → {}{}\n",
                    k + 1,
                    describe(p),
                    ruleset.show_points(p.total),
                    in_parens(&ruleset, &p.items)
                ));
            }
        }
    }
    if report.search.cut {
        out.push_str(&format!(
            "\nThe search stopped at its budget ({} units of work; --budget to change it): plans with more changes \
             may be missing.\n",
            report.search.budget
        ));
    }
    if report.search.wait_clamped {
        out.push_str(&format!(
            "\nWaiting is considered up to {} year(s), not {}: after that, waiting changes nothing the rules compare.\n",
            report.search.max_wait_years, limits.max_wait_years
        ));
    }
    if !report.waiting.is_empty() {
        out.push_str("\nWaiting alone (each year ages the applicant and adds what the policy's `wait` declares):\n");
        for w in report.waiting.iter().take(5) {
            out.push_str(&format!(
                "  {} year{}: {}{}{}\n",
                w.years,
                if w.years == 1 { " " } else { "s" },
                ruleset.show_points(w.total),
                if w.meets_standard { "  meets the standard" } else { "" },
                in_parens(&ruleset, &w.items)
            ));
        }
    }
    out!("{out}");
    exit::OK
}
