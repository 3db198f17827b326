//! The policy's own `test "…" { given … expect … }` blocks, compiled for the test runner.

use std::collections::HashMap;
use std::sync::Arc;

use super::{derived_type, Checker, LetState, Symbol};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{self, InputDef, InputType, RuleSet, Value};
use crate::source::Span;
use crate::syntax::ast::{self, Decl, ValueKind};

impl<'a> Checker<'a> {
    pub(super) fn tests(&mut self, policy: &ast::PolicyFile, ruleset: &RuleSet) -> Vec<rules::TestDef> {
        let mut out: Vec<rules::TestDef> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for decl in &policy.decls {
            let Decl::Test(test) = decl else { continue };
            if let Some(&first) = seen.get(&test.name.value) {
                self.duplicate("test", &test.name.value, test.name.span, first);
                continue;
            }
            seen.insert(test.name.value.clone(), test.name.span);
            let mut facts: Vec<(u16, Value)> = Vec::new();
            let mut lists: Vec<(u16, Vec<Vec<Value>>)> = Vec::new();
            for fact in &test.given {
                let Some(slot) = ruleset.input_slot(&fact.name.name) else {
                    if self.failed_inputs.contains(&fact.name.name) {
                        continue;
                    }
                    let names: Vec<&str> = ruleset.inputs.iter().map(|i| &*i.name).collect();
                    let help = match self.suggest(&fact.name.name, names.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "a test can only give facts declared in `input { … }`".to_string(),
                    };
                    self.error(
                        Diagnostic::error(
                            codes::TEST_UNKNOWN_FACT,
                            format!("test sets `{}`, which is not an input", fact.name.name),
                            fact.name.span,
                            "undeclared fact",
                        )
                        .with_help(help),
                    );
                    continue;
                };
                self.resolved_input(fact.name.span, slot as u16);
                if let Some((_, _)) = facts.iter().find(|(s, _)| *s as usize == slot) {
                    self.error(
                        Diagnostic::error(
                            codes::TEST_BAD_VALUE,
                            format!("test sets `{}` twice", fact.name.name),
                            fact.name.span,
                            "given again",
                        )
                        .with_help("give each fact once"),
                    );
                    continue;
                }
                let def = ruleset.inputs[slot].clone();
                if matches!(def.ty, InputType::List { .. }) {
                    if let Some(rows) = self.test_rows(&def, &fact.value) {
                        facts.push((slot as u16, Value::Int(rows.len() as i64)));
                        lists.push((slot as u16, rows));
                    }
                    continue;
                }
                if let Some(v) = self.literal_for_input(&def, &fact.value, "test value") {
                    facts.push((slot as u16, v));
                }
            }
            for def in &ruleset.inputs {
                if def.required() && !test.given.iter().any(|f| *f.name.name == *def.name) {
                    self.error(
                        Diagnostic::error(
                            codes::TEST_MISSING_FACT,
                            format!("test does not give `{}`, which every applicant must have", def.name),
                            test.name.span,
                            "in this test",
                        )
                        .with_help(format!("add `{}: …` to its `given` block", def.name)),
                    );
                }
            }
            let mut expectations = Vec::new();
            for e in &test.expect {
                if let Some(x) = self.expectation(e, ruleset) {
                    expectations.push(x);
                }
            }
            out.push(rules::TestDef {
                name: test.name.value.clone(),
                location: self.location(test.name.span),
                facts,
                expectations,
                lists,
            });
        }
        out
    }

    fn expectation(&mut self, e: &ast::Expectation, ruleset: &RuleSet) -> Option<rules::Expectation> {
        let line = self.sources.line(e.target.span.file, e.target.span.start);
        if let Some(scope) = e.scope {
            return self.scoped_expectation(scope, e, ruleset, line);
        }
        let target = if e.is_item {
            if let Some(&declared) = self.item_index.get(&e.target.name) {
                self.resolved_item(e.target.span, declared);
            }
            match ruleset.item_index(&e.target.name) {
                Some(i) => rules::Target::Item(i as u16),
                None => {
                    self.unknown_item(&e.target);
                    return None;
                }
            }
        } else {
            match e.target.name.as_str() {
                "total" => rules::Target::Total,
                "eligible" => rules::Target::Eligible,
                "vetoed" => rules::Target::Vetoed,
                "meets_standard" => rules::Target::MeetsStandard,
                other => {
                    let help = if ruleset.item_index(other).is_some() {
                        format!("to check an item's points write `item {other} = …`")
                    } else {
                        "a test can expect total, eligible, vetoed, meets_standard or `item NAME`".to_string()
                    };
                    self.error(
                        Diagnostic::error(
                            codes::TEST_UNKNOWN_TARGET,
                            format!("a test cannot expect `{other}`"),
                            e.target.span,
                            "unknown expectation",
                        )
                        .with_help(help),
                    );
                    return None;
                }
            }
        };
        let value = match (target, &e.value.kind) {
            (rules::Target::Total | rules::Target::Item(_), ValueKind::Number(n)) if n.unit.is_none() => {
                Value::Int(self.points_units(self.precision, n.value, e.value.span, "the expected points")?)
            }
            (rules::Target::Eligible | rules::Target::Vetoed | rules::Target::MeetsStandard, ValueKind::Bool(b)) => {
                Value::Bool(*b)
            }
            (rules::Target::Total | rules::Target::Item(_), _) => {
                self.error(
                    Diagnostic::error(
                        codes::TEST_BAD_VALUE,
                        "points are expected as a whole number",
                        e.value.span,
                        "not points",
                    )
                    .with_help("write the points without a unit, e.g. `total = 120`"),
                );
                return None;
            }
            _ => {
                self.error(
                    Diagnostic::error(
                        codes::TEST_BAD_VALUE,
                        format!("`{}` is expected as true or false", e.target.name),
                        e.value.span,
                        "not true/false",
                    )
                    .with_help(format!("write `{} = true` or `{} = false`", e.target.name, e.target.name)),
                );
                return None;
            }
        };
        Some(rules::Expectation { target, value, line })
    }

    /// `expect section|group|let|output NAME = V`.
    fn scoped_expectation(
        &mut self,
        scope: ast::ExpectScope,
        e: &ast::Expectation,
        ruleset: &RuleSet,
        line: usize,
    ) -> Option<rules::Expectation> {
        use ast::ExpectScope as S;
        let name = e.target.name.as_str();
        let found = match scope {
            S::Section => {
                ruleset.sections.iter().position(|s| &*s.id == name).map(|i| (rules::Target::Section(i as u16), None))
            }
            S::Group => {
                ruleset.caps.iter().position(|g| &*g.id == name).map(|i| (rules::Target::Group(i as u16), None))
            }
            S::Output => ruleset
                .outputs
                .iter()
                .position(|o| &*o.name == name)
                .map(|i| (rules::Target::Output(i as u16), Some(ruleset.outputs[i].ty))),
            S::Let => self.kept_let(name),
        };
        let Some((target, ty)) = found else {
            let candidates: Vec<String> = match scope {
                S::Section => ruleset.sections.iter().map(|s| s.id.to_string()).collect(),
                S::Group => ruleset.caps.iter().map(|g| g.id.to_string()).collect(),
                S::Output => ruleset.outputs.iter().map(|o| o.name.to_string()).collect(),
                S::Let => self.lets.iter().map(|l| l.decl.name.name.clone()).collect(),
            };
            let kind = scope.keyword();
            let help = match self.suggest(name, candidates.iter().map(String::as_str)) {
                Some(c) => format!("did you mean `{c}`?"),
                None if candidates.is_empty() => format!("the policy declares no {kind}"),
                None => format!("name one of the policy's {kind}s: {}", candidates.join(", ")),
            };
            self.error(
                Diagnostic::error(
                    codes::TEST_UNKNOWN_TARGET,
                    format!("a test cannot expect {kind} `{name}`: there is no such {kind}"),
                    e.target.span,
                    format!("no {kind} of this name"),
                )
                .with_help(help),
            );
            return None;
        };
        let value = match ty {
            // A section's or group's points.
            None => match &e.value.kind {
                ValueKind::Number(n) if n.unit.is_none() => {
                    Value::Int(self.points_units(self.precision, n.value, e.value.span, "the expected points")?)
                }
                _ => {
                    self.error(
                        Diagnostic::error(
                            codes::TEST_BAD_VALUE,
                            "points are expected as a whole number",
                            e.value.span,
                            "not points",
                        )
                        .with_help(format!("write the points without a unit, e.g. `{} {name} = 30`", scope.keyword())),
                    );
                    return None;
                }
            },
            Some(ty) => {
                let def = InputDef {
                    name: Arc::from(name),
                    label: None,
                    ty,
                    optional: true,
                    min: None,
                    max: None,
                    default: None,
                };
                self.literal_for_input(&def, &e.value, "expected value")?
            }
        };
        Some(rules::Expectation { target, value, line })
    }

    /// A `let` kept for the test runner, by name, with its type.
    fn kept_let(&mut self, name: &str) -> Option<(rules::Target, Option<InputType>)> {
        let Some(&Symbol::Let(index)) = self.names.get(name) else { return None };
        if let Some(k) = self.kept_lets.iter().position(|l| &*l.name == name) {
            return Some((rules::Target::Let(k as u16), Some(self.kept_lets[k].ty)));
        }
        let info = self.lets.get(index as usize)?;
        let LetState::Done { expr, ty, .. } = &info.state else { return None };
        let Some(ty) = derived_type(ty) else {
            // Already reported where the `let` is, or a type no test value can state.
            return Some((rules::Target::Let(u16::MAX), Some(InputType::Bool)));
        };
        self.kept_lets.push(rules::DerivedDef {
            name: Arc::from(name),
            label: None,
            doc: info.decl.docs.clone(),
            ty,
            value: expr.clone(),
        });
        Some((rules::Target::Let((self.kept_lets.len() - 1) as u16), Some(ty)))
    }
}
