//! Running the `test` blocks written inside a policy.

use serde::Serialize;

use crate::eval::{Applicant, Outcome};
use crate::rules::{show_plain, RuleSet, Target, TestDef, Value};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// `total`, `eligible`, `vetoed`, `meets_standard` or `item NAME`.
    pub target: String,
    pub expected: String,
    pub actual: String,
    /// `file:line` of the expectation.
    pub location: String,
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

/// One thing the tests of a policy should exercise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Goal {
    pub item: String,
    /// `scores`, `scores 0`, `arm: …`, `cap binds`, `precondition met: …`, `precondition unmet: …`.
    pub what: String,
    pub covered: bool,
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
    /// Which items scored and scored 0, which arms fired, which caps bound and which
    /// preconditions were both met and unmet, over the outcomes of `results`.
    pub fn coverage(&self, results: &[TestResult<'_>]) -> Coverage {
        let outcomes: Vec<&Outcome<'_>> = results.iter().filter_map(|r| r.outcome.as_ref()).collect();
        let mut goals = Vec::new();
        for (i, def) in self.items.iter().enumerate() {
            let seen: Vec<_> = outcomes.iter().filter_map(|o| o.items.get(i)).collect();
            let id = def.id.to_string();
            let mut goal = |what: String, covered: bool| goals.push(Goal { item: id.clone(), what, covered });
            goal("scores".to_string(), seen.iter().any(|o| o.points != 0));
            goal("scores 0".to_string(), seen.iter().any(|o| o.points == 0));
            for (k, arm) in def.arms.iter().enumerate() {
                goal(format!("arm: {arm}"), seen.iter().any(|o| o.arm == Some(k as u16)));
            }
            if def.cap.is_some() {
                goal(
                    "cap binds".to_string(),
                    seen.iter().any(|o| o.raw_points != o.points && o.status == crate::eval::Status::Capped),
                );
            }
            for (k, p) in def.preconditions.iter().enumerate() {
                let bit = if k < 64 { 1u64 << k } else { 0 };
                goal(format!("precondition met: {}", p.reason), seen.iter().any(|o| o.preconditions_met & bit != 0));
                goal(format!("precondition unmet: {}", p.reason), seen.iter().any(|o| o.preconditions_met & bit == 0));
            }
        }
        // A capped group: its cap both binding and not, as an item's cap.
        for (g, def) in self.caps.iter().enumerate() {
            let seen: Vec<_> = outcomes.iter().filter_map(|o| o.groups.get(g)).collect();
            let item = format!("group {}", def.id);
            goals.push(Goal {
                item: item.clone(),
                what: "cap binds".to_string(),
                covered: seen.iter().any(|o| o.capped),
            });
            goals.push(Goal { item, what: "cap does not bind".to_string(), covered: seen.iter().any(|o| !o.capped) });
        }
        let covered = goals.iter().filter(|g| g.covered).count();
        Coverage { covered, total: goals.len(), goals }
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
