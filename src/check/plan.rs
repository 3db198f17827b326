//! The `plan { wait … raise … assume … }` declarations that `jifen plan` searches with.

use super::types::Ty;
use super::{Checker, Reads};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{self, InputType, RuleSet};
use crate::syntax::ast::{self, Decl};

impl<'a> Checker<'a> {
    /// The `plan { … }` declarations: names must be inputs, steps in the input's unit.
    pub(super) fn plan(&mut self, policy: &ast::PolicyFile, ruleset: &RuleSet) -> rules::PlanDef {
        let mut out = rules::PlanDef::default();
        for decl in &policy.decls {
            let Decl::Plan(plan) = decl else { continue };
            for step in &plan.wait {
                let Some(slot) = self.plan_input(&step.input, ruleset) else { continue };
                let def = ruleset.inputs[slot].clone();
                if !matches!(def.ty, InputType::Int { .. } | InputType::Decimal { .. }) {
                    self.error(
                        Diagnostic::error(codes::TYPE_MISMATCH, format!("`{}` is not a number: waiting cannot add to it", def.name), step.input.span, "not a number")
                            .with_help("list numbers (years, months, counts) under `wait`; enums and yes/no facts go under `raise`"),
                    );
                    continue;
                }
                let mut counting = def.clone();
                counting.min = None;
                counting.max = None;
                counting.optional = false;
                let Some(amount) = self.literal_for_input(&counting, &step.amount, "wait step") else { continue };
                let when = step.when.as_ref().map(|w| {
                    self.reads = Reads::default();
                    let (cond, ty) = self.expr(w, Some(&Ty::Bool));
                    self.expect_type(&ty, &Ty::Bool, w.span, "a `when` condition", "write a yes/no condition");
                    cond
                });
                out.wait.push(rules::WaitDef { slot: slot as u16, amount, when });
            }
            for name in &plan.raise {
                if let Some(slot) = self.plan_input(name, ruleset) {
                    out.raise.push(slot as u16);
                }
            }
            for a in &plan.assume {
                self.reads = Reads::default();
                let (cond, ty) = self.expr(a, Some(&Ty::Bool));
                self.expect_type(
                    &ty,
                    &Ty::Bool,
                    a.span,
                    "an assumption",
                    "write a yes/no condition, e.g. `si_base_months_48 <= si_months`",
                );
                out.assume.push(cond);
            }
        }
        out
    }

    fn plan_input(&mut self, name: &ast::Ident, ruleset: &RuleSet) -> Option<usize> {
        let slot = ruleset.input_slot(&name.name);
        if slot.is_none() {
            let names: Vec<&str> = ruleset.inputs.iter().map(|i| &*i.name).collect();
            let help = match self.suggest(&name.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "a plan names inputs declared in `input { … }`".to_string(),
            };
            self.error(
                Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("`{}` is not an input", name.name),
                    name.span,
                    "not an input",
                )
                .with_help(help),
            );
        }
        slot
    }
}
