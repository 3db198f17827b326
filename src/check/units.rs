//! Units: the language's own (`src/prelude.policy`) and those a policy declares
//! (`unit hours / hour "小时"`), and the names quantities give them.

use std::sync::{Arc, OnceLock};

use super::Checker;
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{Unit, UnitDef};
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, Decl};

/// The prelude's text: unit declarations in policy syntax.
pub(crate) const PRELUDE: &str = include_str!("../prelude.policy");

/// The units every policy has, from [`PRELUDE`]: `years`, `months`, `yuan`, in the order
/// of [`Unit::YEARS`], [`Unit::MONTHS`] and [`Unit::YUAN`].
pub(crate) fn prelude() -> &'static [UnitDef] {
    static UNITS: OnceLock<Vec<UnitDef>> = OnceLock::new();
    UNITS.get_or_init(|| {
        let (file, _) = crate::syntax::parse(FileId::default(), PRELUDE);
        let decls = file.map(|f| f.decls).unwrap_or_default();
        decls
            .iter()
            .filter_map(|d| match d {
                Decl::Unit(u) => Some(unit_def(u)),
                _ => None,
            })
            .collect()
    })
}

fn unit_def(decl: &ast::UnitDecl) -> UnitDef {
    UnitDef {
        name: Arc::from(decl.name.name.as_str()),
        singular: Arc::from(decl.singular.as_ref().unwrap_or(&decl.name).name.as_str()),
        label: decl.label.as_ref().map(|l| Arc::from(l.value.as_str())),
        decimal: decl.decimal,
        doc: decl.docs.clone(),
    }
}

/// Where a unit was declared: in the policy, or by the language.
#[derive(Debug, Clone, Copy)]
pub(super) enum UnitOrigin {
    Prelude,
    Policy(Span),
}

impl<'a> Checker<'a> {
    /// The language's units, then each `unit` the policy (and those it extends) declares.
    pub(super) fn declare_units(&mut self, policy: &ast::PolicyFile) {
        for def in prelude() {
            self.add_unit(def.clone(), UnitOrigin::Prelude);
        }
        for decl in &policy.decls {
            let Decl::Unit(u) = decl else { continue };
            let mut clash = None;
            for form in std::iter::once(&u.name).chain(&u.singular) {
                if let Some(&(_, origin)) = self.unit_index.get(&form.name) {
                    clash = Some((form, origin));
                    break;
                }
            }
            if let Some((form, origin)) = clash {
                match origin {
                    UnitOrigin::Policy(first) => self.duplicate("unit", &form.name, form.span, first),
                    UnitOrigin::Prelude => self.error(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!("unit `{}` is declared by the language", form.name),
                            form.span,
                            "declared again here",
                        )
                        .with_help("years, months and yuan are every policy's units: remove this line, or give your unit another name"),
                    ),
                }
                continue;
            }
            if self.units.len() >= usize::from(u16::MAX) {
                continue;
            }
            self.add_unit(unit_def(u), UnitOrigin::Policy(u.name.span));
            if let Some(s) = &u.singular {
                if s.name == u.name.name {
                    continue;
                }
                self.unit_index.insert(s.name.clone(), (Unit(self.units.len() as u16 - 1), UnitOrigin::Policy(s.span)));
            }
        }
    }

    fn add_unit(&mut self, def: UnitDef, origin: UnitOrigin) {
        let unit = Unit(self.units.len() as u16);
        self.unit_index.insert(def.name.to_string(), (unit, origin));
        if def.singular != def.name {
            self.unit_index.insert(def.singular.to_string(), (unit, origin));
        }
        self.units.push(def);
    }

    /// The unit a quantity names (`12 months`, `per hour`), or E0208 with the closest
    /// declared one.
    pub(super) fn unit(&mut self, name: &ast::Ident) -> Option<Unit> {
        if let Some(&(unit, _)) = self.unit_index.get(&name.name) {
            return Some(unit);
        }
        let forms: Vec<String> = self.unit_index.keys().cloned().collect();
        let closest = self.suggest(&name.name, forms.iter().map(String::as_str)).map(str::to_string);
        let declared = self.unit_list();
        let mut d =
            Diagnostic::error(codes::UNKNOWN_UNIT, format!("unknown unit `{}`", name.name), name.span, "not a unit");
        d = match closest {
            Some(s) => d.with_help(format!("did you mean `{s}`? The units are {declared}")).with_fix(name.span, s),
            None => d.with_help(format!(
                "the units are {declared}; declare another with `unit {} \"…\"` at the top of the policy",
                name.name
            )),
        };
        self.error(d);
        None
    }

    /// The unit a type names (`input x: hours`): its plural form only.
    pub(super) fn unit_type(&self, name: &str) -> Option<Unit> {
        let &(unit, _) = self.unit_index.get(name)?;
        (&*self.units[unit.0 as usize].name == name).then_some(unit)
    }

    /// "years, months, yuan": the declared units' plural names.
    pub(super) fn unit_list(&self) -> String {
        self.units.iter().map(|u| &*u.name).collect::<Vec<_>>().join(", ")
    }

    /// A unit's plural name, for messages.
    pub(super) fn unit_str(&self, unit: Unit) -> String {
        self.units.get(unit.0 as usize).map_or("?", |u| &*u.name).to_string()
    }

    /// "months" / "a plain number", for messages.
    pub(super) fn unit_name(&self, unit: Option<Unit>) -> String {
        super::types::unit_name(unit, &self.unit_names())
    }

    /// "this is in months" / "this is a plain number", for labels.
    pub(super) fn unit_phrase(&self, unit: Option<Unit>) -> String {
        super::types::unit_phrase(unit, &self.unit_names())
    }

    pub(super) fn unit_names(&self) -> Vec<String> {
        self.units.iter().map(|u| u.name.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prelude_declares_years_months_and_yuan_in_their_order() {
        let names: Vec<(&str, &str, bool)> = prelude().iter().map(|u| (&*u.name, &*u.singular, u.decimal)).collect();
        assert_eq!(names, [("years", "year", false), ("months", "month", false), ("yuan", "yuan", true)]);
        assert_eq!(&*prelude()[Unit::YEARS.0 as usize].name, "years");
        assert_eq!(&*prelude()[Unit::MONTHS.0 as usize].name, "months");
        assert_eq!(&*prelude()[Unit::YUAN.0 as usize].name, "yuan");
    }
}
