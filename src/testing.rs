//! Running the `test` blocks written inside a policy.

use serde::Serialize;

use crate::eval::{Applicant, Outcome, Status};
use crate::rules::{show_plain, Expr, ExprKind, RuleSet, Target, TestDef, Value};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// `total`, `eligible`, `vetoed`, `meets_standard` or `item NAME`.
    pub target: String,
    pub expected: String,
    pub actual: String,
    /// `file:line` of the expectation.
    pub location: String,
    /// Why the value came out as it did, as `score --explain` tells it: the arm taken or the
    /// precondition not met (items), the requirements failed or vetoes hit (verdicts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult<'r> {
    pub name: String,
    pub location: String,
    pub passed: bool,
    pub mismatches: Vec<Mismatch>,
    /// Set when the test could not be evaluated at all.
    pub error: Option<String>,
    #[serde(skip)]
    pub outcome: Option<Outcome<'r>>,
}

impl RuleSet {
    /// The applicant a test describes: its facts over the inputs' defaults.
    pub fn test_applicant(&self, test: &TestDef) -> Applicant {
        let mut values: Vec<Value> = self.inputs.iter().map(|i| i.default.unwrap_or(Value::Absent)).collect();
        for (slot, v) in &test.facts {
            if let Some(x) = values.get_mut(*slot as usize) {
                *x = *v;
            }
        }
        Applicant { values, lists: test.lists.clone() }
    }

    /// Run the tests whose name contains `filter` (all when `None`).
    pub fn run_tests(&self, filter: Option<&str>) -> Vec<TestResult<'_>> {
        self.tests.iter().filter(|t| filter.is_none_or(|f| t.name.contains(f))).map(|t| self.run_test(t)).collect()
    }

    fn run_test(&self, test: &TestDef) -> TestResult<'_> {
        let applicant = self.test_applicant(test);
        let outcome = match self.evaluate(&applicant) {
            Ok(o) => o,
            Err(e) => {
                return TestResult {
                    name: test.name.clone(),
                    location: test.location.clone(),
                    passed: false,
                    mismatches: Vec::new(),
                    error: Some(e.to_string()),
                    outcome: None,
                }
            }
        };
        let file = test.location.rsplit_once(':').map(|(f, _)| f).unwrap_or(&test.location);
        let mismatches: Vec<Mismatch> = test
            .expectations
            .iter()
            .filter_map(|e| {
                // How the expected and the actual value read: a derived value with its unit.
                let mut ty = None;
                let (name, actual) = match e.target {
                    Target::Total => ("total".to_string(), Value::Int(outcome.total)),
                    Target::Eligible => ("eligible".to_string(), Value::Bool(outcome.eligible)),
                    Target::Vetoed => ("vetoed".to_string(), Value::Bool(outcome.vetoed)),
                    Target::MeetsStandard => ("meets_standard".to_string(), Value::Bool(outcome.meets_standard)),
                    Target::Item(i) => {
                        let item = outcome.items.get(i as usize)?;
                        (format!("item {}", item.id), Value::Int(item.points))
                    }
                    Target::Section(i) => {
                        let section = outcome.sections.get(i as usize)?;
                        (format!("section {}", section.id), Value::Int(section.points))
                    }
                    Target::Group(i) => {
                        let group = outcome.groups.get(i as usize)?;
                        (format!("group {}", group.id), Value::Int(group.points))
                    }
                    Target::Output(i) => {
                        let def = self.outputs.get(i as usize)?;
                        ty = Some(def.ty);
                        (format!("output {}", def.name), *outcome.outputs.get(i as usize)?)
                    }
                    Target::Let(i) => {
                        let def = self.lets.get(i as usize)?;
                        ty = Some(def.ty);
                        let name = format!("let {}", def.name);
                        match self.derived(def, &applicant, &outcome.computed) {
                            Ok(v) => (name, v),
                            Err(err) => {
                                return Some(Mismatch {
                                    target: name,
                                    expected: self.show_value(def.ty, e.value),
                                    actual: format!("no value ({err})"),
                                    location: format!("{file}:{}", e.line),
                                    why: None,
                                })
                            }
                        }
                    }
                };
                // Points are compared in units and shown as the policy prints them; a derived
                // value with its unit.
                let show = |v: Value| match (ty, e.target, v) {
                    (Some(ty), _, v) => self.show_value(ty, v),
                    (
                        None,
                        Target::Total | Target::Item(_) | Target::Section(_) | Target::Group(_),
                        Value::Int(units),
                    ) => self.show_points(units),
                    _ => show_plain(v),
                };
                (!same_value(actual, e.value)).then(|| Mismatch {
                    target: name,
                    expected: show(e.value),
                    actual: show(actual),
                    location: format!("{file}:{}", e.line),
                    why: self.why(e.target, &outcome),
                })
            })
            .collect();
        TestResult {
            name: test.name.clone(),
            location: test.location.clone(),
            passed: mismatches.is_empty(),
            mismatches,
            error: None,
            outcome: Some(outcome),
        }
    }
}

/// Equal values; numbers by their value, so that `12 months` expected equals a computed 12.0.
fn same_value(a: Value, b: Value) -> bool {
    use rust_decimal::Decimal;
    match (a, b) {
        (Value::Int(x), Value::Dec(y)) | (Value::Dec(y), Value::Int(x)) => Decimal::from(x) == y,
        (Value::Dec(x), Value::Dec(y)) => x == y,
        _ => a == b,
    }
}

impl RuleSet {
    /// Why an expectation's target came out as it did for `outcome`, in words.
    fn why(&self, target: Target, outcome: &Outcome<'_>) -> Option<String> {
        let quoted = |list: &[&str]| list.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", ");
        let verdict = || {
            let mut parts = Vec::new();
            if !outcome.ineligible_reasons.is_empty() {
                parts.push(format!("requirement not met: {}", quoted(&outcome.ineligible_reasons)));
            }
            if !outcome.vetoes.is_empty() {
                parts.push(format!("vetoed: {}", quoted(&outcome.vetoes)));
            }
            (!parts.is_empty()).then(|| parts.join("; "))
        };
        match target {
            Target::Total => None,
            Target::Eligible | Target::Vetoed => verdict(),
            Target::MeetsStandard => verdict().or_else(|| {
                let standard = outcome.standard.map_or("none".to_string(), |s| self.show_points(s));
                Some(format!("total {} against the standard {standard}", self.show_points(outcome.total)))
            }),
            Target::Item(i) => {
                let (def, item) = (self.items.get(i as usize)?, outcome.items.get(i as usize)?);
                let arm = item.arm.and_then(|k| def.arms.get(k as usize)).map(|a| format!("arm taken: {a}"));
                let why = match &item.status {
                    Status::PreconditionUnmet { reason } => format!("precondition not met: \"{reason}\""),
                    Status::Excluded { group, by } => {
                        format!(
                            "`best_of {group}` counts `{by}` instead ({} computed)",
                            self.show_points(item.raw_points)
                        )
                    }
                    Status::Capped => {
                        let cap = def.cap.map_or(String::new(), |c| format!(" {}", self.show_points(c)));
                        let capped = format!("capped at{cap} (computed {})", self.show_points(item.raw_points));
                        arm.map_or(capped.clone(), |a| format!("{a}; {capped}"))
                    }
                    Status::Scored => arm?,
                };
                Some(why)
            }
            Target::Section(_) | Target::Group(_) | Target::Output(_) | Target::Let(_) => None,
        }
    }
}

/// One thing the tests of a policy should exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Goal {
    /// What the goal is about: `item NAME`, `veto NAME`, `requirement NAME`,
    /// `section NAME` or `best_of NAME`.
    pub subject: String,
    /// `scores`, `scores 0`, `arm: …`, `nested arm: …`, `cap binds`, `cap does not bind`,
    /// `precondition met: …`, `precondition unmet: …`, `applies`, `does not apply`, `met`,
    /// `not met`, `NAME wins`.
    pub what: String,
    pub covered: bool,
    /// `file:line` of what the goal is about (for a section or group: its first item).
    pub location: String,
}

/// Coverage of a policy by its tests, in jifen's own terms (see docs/testing.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub covered: usize,
    pub total: usize,
    pub goals: Vec<Goal>,
}

impl Coverage {
    /// Percentage covered (100 when there is nothing to cover).
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            100.0
        } else {
            // A ratio for display, not a score: f64 is fine here.
            self.covered as f64 * 100.0 / self.total as f64
        }
    }
}

impl RuleSet {
    /// Every decision the tests of `results` can miss, and whether one of them took it:
    /// items scoring and scoring 0; each arm of each `when`/`match`, nested ones too; each
    /// cap binding and not; each precondition, requirement and veto both ways; each member
    /// of a `best_of` winning over another.
    pub fn coverage(&self, results: &[TestResult<'_>]) -> Coverage {
        let runs: Vec<(&Outcome<'_>, Vec<Vec<Vec<bool>>>)> = results
            .iter()
            .filter_map(|r| {
                let outcome = r.outcome.as_ref()?;
                let test = self.tests.iter().find(|t| t.name == r.name && t.location == r.location)?;
                let nested = crate::eval::nested_arms_taken(self, &self.test_applicant(test), outcome);
                Some((outcome, nested))
            })
            .collect();
        let outcomes: Vec<&Outcome<'_>> = runs.iter().map(|(o, _)| *o).collect();
        let mut goals = Vec::new();
        for (i, def) in self.items.iter().enumerate() {
            self.item_goals(i, def, &runs, &mut goals);
        }
        let first_item = |items: &[u16]| {
            items.first().and_then(|&i| self.items.get(i as usize)).map_or(String::new(), |d| d.location.clone())
        };
        for (s, section) in self.sections.iter().enumerate() {
            let Some(cap) = section.cap else { continue };
            let subject = format!("section {}", section.id);
            let capped: Vec<bool> = outcomes.iter().filter_map(|o| o.sections.get(s)).map(|x| x.capped).collect();
            for (what, binds) in [(format!("cap {cap} binds"), true), (format!("cap {cap} does not bind"), false)] {
                let covered = capped.contains(&binds);
                goals.push(Goal { subject: subject.clone(), what, covered, location: first_item(&section.items) });
            }
        }
        for group in &self.groups {
            for &m in &group.members {
                let Some(member) = self.items.get(m as usize) else { continue };
                // A win is a choice: another member computed points and was set aside.
                let covered = outcomes.iter().any(|o| {
                    o.items.iter().any(|x| matches!(x.status, Status::Excluded { group: g, by } if g == &*group.id && by == &*member.id))
                });
                goals.push(Goal {
                    subject: format!("best_of {}", group.id),
                    what: format!("{} wins over another member", member.id),
                    covered,
                    location: first_item(&group.members),
                });
            }
        }
        let rules = [("requirement", &self.eligibility, true), ("veto", &self.vetoes, false)];
        for (kind, list, eligibility) in rules {
            for rule in list.iter() {
                // The outcome lists the reasons it borrowed from this very rule.
                let hit = |o: &Outcome<'_>| {
                    let reasons = if eligibility { &o.ineligible_reasons } else { &o.vetoes };
                    reasons.iter().any(|r| std::ptr::eq(*r, &*rule.reason))
                };
                let words = if eligibility { ["met", "not met"] } else { ["does not apply", "applies"] };
                for (what, hits) in [(words[0], false), (words[1], true)] {
                    goals.push(Goal {
                        subject: format!("{kind} {}", rule.id),
                        what: format!("{what}: \"{}\"", rule.reason),
                        covered: outcomes.iter().any(|o| hit(o) == hits),
                        location: rule.location.clone(),
                    });
                }
            }
        }
        // A capped group: its cap both binding and not, as an item's cap.
        for (g, def) in self.caps.iter().enumerate() {
            let seen: Vec<_> = outcomes.iter().filter_map(|o| o.groups.get(g)).collect();
            let subject = format!("group {}", def.id);
            let location = def
                .members
                .first()
                .and_then(|&m| self.items.get(usize::from(m)))
                .map(|i| i.location.clone())
                .unwrap_or_default();
            goals.push(Goal {
                subject: subject.clone(),
                what: "cap binds".to_string(),
                covered: seen.iter().any(|o| o.capped),
                location: location.clone(),
            });
            goals.push(Goal {
                subject,
                what: "cap does not bind".to_string(),
                covered: seen.iter().any(|o| !o.capped),
                location,
            });
        }
        let covered = goals.iter().filter(|g| g.covered).count();
        Coverage { covered, total: goals.len(), goals }
    }

    fn item_goals(
        &self,
        i: usize,
        def: &crate::rules::ItemDef,
        runs: &[(&Outcome<'_>, Vec<Vec<Vec<bool>>>)],
        goals: &mut Vec<Goal>,
    ) {
        let seen: Vec<_> = runs.iter().filter_map(|(o, _)| o.items.get(i)).collect();
        let subject = format!("item {}", def.id);
        let mut goal = |what: String, covered: bool| {
            goals.push(Goal { subject: subject.clone(), what, covered, location: def.location.clone() })
        };
        goal("scores".to_string(), seen.iter().any(|o| o.points != 0));
        goal("scores 0".to_string(), seen.iter().any(|o| o.points == 0));
        for (k, arm) in def.arms.iter().enumerate() {
            goal(format!("arm: {arm}"), seen.iter().any(|o| o.arm == Some(k as u16)));
        }
        let printer = crate::rules::print::Printer::new(self);
        for (c, choice) in crate::eval::nested_choices(&def.body).into_iter().enumerate() {
            for k in 0..crate::eval::arm_count(choice) {
                let taken =
                    runs.iter().any(|(_, n)| n.get(i).and_then(|x| x.get(c)).and_then(|x| x.get(k)) == Some(&true));
                goal(format!("nested arm: {}", nested_arm_text(&printer, choice, k)), taken);
            }
        }
        if let Some(cap) = def.cap {
            let deduction = self.sections.get(def.section as usize).is_some_and(|s| s.deduction);
            let scored = || seen.iter().filter(|o| !matches!(o.status, Status::PreconditionUnmet { .. }));
            let over = |raw: i64| if deduction { raw < -cap } else { raw > cap };
            goal(format!("cap {cap} binds"), scored().any(|o| over(o.raw_points)));
            goal(format!("cap {cap} does not bind"), scored().any(|o| !over(o.raw_points)));
        }
        for (k, p) in def.preconditions.iter().enumerate() {
            let bit = if k < 64 { 1u64 << k } else { 0 };
            goal(format!("precondition met: {}", p.reason), seen.iter().any(|o| o.preconditions_met & bit != 0));
            goal(format!("precondition unmet: {}", p.reason), seen.iter().any(|o| o.preconditions_met & bit == 0));
        }
    }
}

/// Arm `k` of a nested `when` or `match`, in policy syntax.
fn nested_arm_text(printer: &crate::rules::print::Printer<'_>, choice: &Expr, k: usize) -> String {
    match &choice.kind {
        ExprKind::When { arms, otherwise } => match arms.get(k) {
            Some((cond, result)) => format!("when {} => {}", printer.expr(cond), printer.expr(result)),
            None => {
                let first = arms.first().map(|(c, _)| printer.expr(c)).unwrap_or_default();
                format!("else => {} (after `when {first}` …)", printer.expr(otherwise))
            }
        },
        ExprKind::Match { scrutinee, arms } => {
            let arm = arms.get(k).cloned().into_iter().collect();
            let one = Expr::new(ExprKind::Match { scrutinee: scrutinee.clone(), arms: arm }, choice.ty);
            format!("the arm of {}", printer.expr(&one))
        }
        _ => String::new(),
    }
}

impl TestResult<'_> {
    /// The result without the outcome, so it can outlive its rule set.
    pub fn detach(self) -> TestResult<'static> {
        TestResult {
            name: self.name,
            location: self.location,
            passed: self.passed,
            mismatches: self.mismatches,
            error: self.error,
            outcome: None,
        }
    }
}
