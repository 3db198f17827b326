//! `jifen test`: run the tests written inside policies.

use serde::Serialize;

use crate::i18n::tr;
use crate::testing::{Mismatch, TestResult};

use super::input::{policy_loader, policy_paths, read};
use super::render::pad;
use super::{exit, stderr_color, stdout_color, width, Format};

/// Run the `test` blocks of policies: each example applicant must score what it says.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  jifen test                       # every policy in policies/\n  \
jifen test policies/2025.policy --filter R1\n  jifen test --format junit policies/ > report.xml\n\n\
Exit codes: 0 all passed, 1 a test failed, 2 a policy does not compile, 4 a file not readable.")]
pub(crate) struct Args {
    /// Policy files or folders (default: policies/).
    #[arg(default_value = "policies")]
    pub paths: Vec<String>,
    /// Run only the tests whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Report coverage: items scoring and not, arms fired, caps bound, preconditions met and unmet.
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 1) when a file's coverage is below this percentage (implies --coverage).
    #[arg(long, value_name = "PERCENT")]
    pub min_coverage: Option<u32>,
    /// Mutation testing: change each number, comparison and arm of the policy in turn and
    /// list the changes no test notices (docs/cli.md).
    #[arg(long)]
    pub mutants: bool,
    /// Fail (exit 1) when a file's mutation score is below this percentage (implies --mutants).
    #[arg(long, value_name = "PERCENT")]
    pub min_mutation_score: Option<u32>,
}

#[derive(Serialize)]
struct FileResults {
    file: String,
    passed: usize,
    failed: usize,
    tests: Vec<TestResult<'static>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<crate::testing::Coverage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mutants: Option<crate::mutants::MutationReport>,
}

pub(crate) fn run(args: Args, format: Format) -> u8 {
    let files = policy_paths(&args.paths);
    let mut all = Vec::new();
    let mut worst = exit::OK;
    for file in &files {
        let text = match read(file) {
            Ok(t) => t,
            Err(code) => {
                worst = worst.max(code);
                continue;
            }
        };
        let report = crate::check_with(file, &text, &policy_loader());
        let Some(ruleset) = report.ruleset else {
            // A file that does not compile shows as a failed suite in machine output too.
            let first = report.diagnostics.to_json().into_iter().find(|d| d.severity == crate::Severity::Error);
            let message = first.map(|d| format!("{}:{}:{}: {} [{}]", d.file, d.line, d.column, d.message, d.code));
            all.push(FileResults {
                file: file.clone(),
                passed: 0,
                failed: 1,
                tests: vec![TestResult {
                    name: "compiles".to_string(),
                    location: file.clone(),
                    passed: false,
                    mismatches: Vec::new(),
                    error: Some(message.unwrap_or_else(|| "the policy does not compile".to_string())),
                    outcome: None,
                }],
                coverage: None,
                mutants: None,
            });
            stderr_text!("{}", report.diagnostics.render_human(stderr_color(), width()));
            super::fail(&format!("{file} does not compile; its tests were not run"), Some("run `jifen check` on it"));
            worst = worst.max(exit::POLICY);
            continue;
        };
        let results = ruleset.run_tests(args.filter.as_deref());
        let failed = results.iter().filter(|r| !r.passed).count();
        if failed > 0 && worst == exit::OK {
            worst = exit::FAILED;
        }
        if format == Format::Human {
            out!("{}", human(file, &ruleset, &results, stdout_color()));
        }
        let coverage = (args.coverage || args.min_coverage.is_some()).then(|| ruleset.coverage(&results));
        if let Some(c) = &coverage {
            if format == Format::Human {
                out!("{}", coverage_text(c));
            }
            if let Some(min) = args.min_coverage {
                if c.percent() < f64::from(min) {
                    super::fail(
                        &format!("{file}: coverage {:.1}% is below the minimum of {min}%", c.percent()),
                        Some("add tests for the goals listed as not covered (run with --coverage)"),
                    );
                    if worst == exit::OK {
                        worst = exit::FAILED;
                    }
                }
            }
        }
        let mutants = if !(args.mutants || args.min_mutation_score.is_some()) {
            None
        } else if failed > 0 {
            super::fail(
                &format!("{file}: mutation testing skipped: a test fails on the policy itself"),
                Some("make every test pass first"),
            );
            None
        } else {
            let report = ruleset.mutants();
            if format == Format::Human {
                out!("{}", mutants_text(file, &report));
            }
            if let Some(min) = args.min_mutation_score {
                if report.score < f64::from(min) {
                    super::fail(
                        &format!("{file}: mutation score {:.1}% is below the minimum of {min}%", report.score),
                        Some("add tests that notice the surviving changes listed"),
                    );
                    if worst == exit::OK {
                        worst = exit::FAILED;
                    }
                }
            }
            Some(report)
        };
        all.push(FileResults {
            file: file.clone(),
            passed: results.len() - failed,
            failed,
            tests: results.into_iter().map(TestResult::detach).collect(),
            coverage,
            mutants,
        });
    }
    let passed: usize = all.iter().map(|f| f.passed).sum();
    let failed: usize = all.iter().map(|f| f.failed).sum();
    match format {
        Format::Json => match serde_json::to_string_pretty(&all) {
            Ok(s) => outln!("{s}"),
            Err(_) => return exit::INTERNAL,
        },
        Format::Junit => out!("{}", junit(&all)),
        Format::Github => {
            for f in &all {
                for t in f.tests.iter().filter(|t| !t.passed) {
                    for m in &t.mismatches {
                        let (file, line) = m.location.rsplit_once(':').unwrap_or((&m.location, "1"));
                        outln!(
                            "::error file={file},line={line},title=jifen test::test \"{}\": {}",
                            t.name,
                            mismatch_text(m)
                        );
                    }
                }
            }
            outln!("{passed} passed, {failed} failed");
        }
        Format::Human | Format::Csv => outln!("\n{}", tr(&format!("{passed} passed, {failed} failed"))),
    }
    worst
}

fn human(file: &str, ruleset: &crate::RuleSet, results: &[TestResult], color: bool) -> String {
    let paint = |code: &str, s: &str| if color { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() };
    let mut out = format!("{file}\n");
    for r in results {
        if r.passed {
            out.push_str(&format!("  {} {}\n", paint("32", &pad(&tr("ok"), 6)), r.name));
            continue;
        }
        out.push_str(&format!("  {} {}  ({})\n", paint("1;31", &pad(&tr("FAILED"), 6)), r.name, r.location));
        if let Some(e) = &r.error {
            out.push_str(&format!("         {}\n", tr(&format!("error: {e}"))));
        }
        for m in &r.mismatches {
            out.push_str(&format!("         {}  ({})\n", tr(&mismatch_text(m)), m.location));
        }
        if let Some(o) = &r.outcome {
            let breakdown: Vec<String> = o
                .items
                .iter()
                .filter(|i| i.points != 0 || i.raw_points != 0)
                .map(|i| format!("{} {}", i.id, ruleset.show_points(i.points)))
                .collect();
            out.push_str(&format!("         {} {}\n", tr("items:"), crate::i18n::join_list(&breakdown)));
            let verdict = format!(
                "total {} (standard {}), eligible {}, vetoed {}",
                ruleset.show_points(o.total),
                ruleset.standard().map_or("none".to_string(), |s| ruleset.show_points(s)),
                o.eligible,
                o.vetoed
            );
            out.push_str(&format!("         {}\n", tr(&verdict)));
        }
    }
    out
}

/// `item high_skill: expected 30, got 0 — precondition not met: "需持有居住证"`
fn mismatch_text(m: &Mismatch) -> String {
    let why = m.why.as_ref().map(|w| format!(" — {w}")).unwrap_or_default();
    format!("{}: expected {}, got {}{why}", m.target, m.expected, m.actual)
}

fn coverage_text(c: &crate::testing::Coverage) -> String {
    let head = format!("coverage: {:.1}% ({}/{} goals)", c.percent(), c.covered, c.total);
    let mut out = format!("  {}\n", tr(&head));
    for g in c.goals.iter().filter(|g| !g.covered) {
        let goal = format!("not covered: {}: {}", g.subject, g.what);
        out.push_str(&format!("    {}  ({})\n", tr(&goal), g.location));
    }
    out
}

fn mutants_text(file: &str, r: &crate::mutants::MutationReport) -> String {
    let head = format!(
        "mutants: {} killed, {} survived, {} equivalent (not counted); mutation score {:.1}%",
        r.killed, r.survived, r.equivalent, r.score
    );
    let mut out = format!("  {}\n", tr(&head));
    if r.not_run > 0 {
        let more = format!("{} more changes not tried (limit {} per policy)", r.not_run, crate::mutants::MAX_MUTANTS);
        out.push_str(&format!("  {}\n", tr(&more)));
    }
    for m in r.mutants.iter().filter(|m| m.verdict == crate::mutants::Verdict::Survived) {
        let at = if m.location.is_empty() { file } else { &m.location };
        let change = format!("{}: {}", tr(&m.place), tr(&m.change));
        out.push_str(&format!("    {}  {at}  {change}\n", pad(&tr("survived"), 8)));
        if let Some(h) = &m.hint {
            out.push_str(&format!("              {}\n", tr(&format!("would be caught by {h}"))));
        }
    }
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Each change that counts as a test case; a surviving one fails.
fn junit_mutants(file: &str, r: &crate::mutants::MutationReport) -> String {
    use crate::mutants::Verdict;
    let counted: Vec<_> = r.mutants.iter().filter(|m| m.verdict != Verdict::Equivalent).collect();
    let mut out = format!(
        "  <testsuite name=\"{} (mutants)\" tests=\"{}\" failures=\"{}\">\n",
        xml(file),
        counted.len(),
        r.survived
    );
    for m in counted {
        let name = format!("{} {}: {}", m.location, m.place, m.change);
        out.push_str(&format!("    <testcase name=\"{}\" classname=\"{} (mutants)\"", xml(&name), xml(file)));
        if m.verdict == Verdict::Killed {
            out.push_str("/>\n");
        } else {
            let hint = m.hint.clone().unwrap_or_default();
            out.push_str(&format!(
                ">\n      <failure message=\"no test noticed this change\">would be caught by {}</failure>\n    </testcase>\n",
                xml(&hint)
            ));
        }
    }
    out.push_str("  </testsuite>\n");
    out
}

fn junit(all: &[FileResults]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for f in all {
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n",
            xml(&f.file),
            f.tests.len(),
            f.failed
        ));
        for t in &f.tests {
            out.push_str(&format!("    <testcase name=\"{}\" classname=\"{}\"", xml(&t.name), xml(&f.file)));
            if t.passed {
                out.push_str("/>\n");
            } else {
                let text: Vec<String> =
                    t.mismatches.iter().map(|m| format!("{} ({})", mismatch_text(m), m.location)).collect();
                let text = t.error.clone().unwrap_or_else(|| text.join("\n"));
                out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(text.lines().next().unwrap_or("")),
                    xml(&text)
                ));
            }
        }
        out.push_str("  </testsuite>\n");
        if let Some(m) = &f.mutants {
            out.push_str(&junit_mutants(&f.file, m));
        }
    }
    out.push_str("</testsuites>\n");
    out
}
