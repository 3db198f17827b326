//! Declarations: enums, inputs, parameters, `let`s, sections with their items, groups
//! (`group` and `best_of`), outputs, requirements and vetoes.

use std::collections::HashMap;
use std::sync::Arc;

use super::types::Ty;
use super::{
    derived_type, enum_decls, section_decls, Checker, EnumInfo, ItemInfo, LetInfo, LetState, ParamInfo, Reads, Symbol,
};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{self, InputDef, InputType, Value};
use crate::source::Span;
use crate::syntax::ast::{self, Decl, ValueKind};

impl<'a> Checker<'a> {
    pub(super) fn declare_enums(&mut self, policy: &ast::PolicyFile) {
        for decl in enum_decls(policy) {
            if self.unit_type(&decl.name.name).is_some() {
                self.error(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("`{}` is the name of a unit", decl.name.name),
                        decl.name.span,
                        "a unit has this name",
                    )
                    .with_help("a type names either a unit or an enum: rename the enum"),
                );
            }
            if let Some(&first) = self.enum_index.get(&decl.name.name) {
                let first_span = self.enums[first as usize].span;
                self.duplicate("enum", &decl.name.name, decl.name.span, first_span);
            }
            let mut variants: Vec<(String, Span)> = Vec::new();
            for v in &decl.variants {
                if let Some((_, first)) = variants.iter().find(|(n, _)| *n == v.name.name) {
                    let first = *first;
                    self.duplicate("variant", &v.name.name, v.name.span, first);
                }
                variants.push((v.name.name.clone(), v.name.span));
            }
            if variants.is_empty() {
                self.error(
                    Diagnostic::error(
                        codes::BAD_INPUT_DECL,
                        format!("enum `{}` has no variants", decl.name.name),
                        decl.name.span,
                        "empty enum",
                    )
                    .with_help("list its variants inside the braces, e.g. `none \"无\"`"),
                );
            }
            let index = self.enums.len() as u16;
            self.enum_index.entry(decl.name.name.clone()).or_insert(index);
            self.enums.push(EnumInfo { name: decl.name.name.clone(), span: decl.name.span, variants });
        }
    }

    pub(super) fn declare_inputs(&mut self, policy: &ast::PolicyFile) {
        for decl in &policy.decls {
            let Decl::Input(fields) = decl else { continue };
            for field in fields {
                let Some(def) = self.input_def(field) else {
                    self.failed_inputs.insert(field.name.name.clone());
                    continue;
                };
                if let Some(first) = self.name_span(&field.name.name) {
                    self.duplicate("input", &field.name.name, field.name.span, first);
                    continue;
                }
                let slot = self.inputs.len() as u16;
                self.names.insert(field.name.name.clone(), Symbol::Input(slot));
                self.inputs.push(def);
                self.input_spans.push(field.name.span);
                self.used_inputs.push(false);
            }
        }
    }

    fn name_span(&self, name: &str) -> Option<Span> {
        match self.names.get(name)? {
            Symbol::Input(i) => self.input_spans.get(*i as usize).copied(),
            Symbol::Param(p) => self.params.get(*p as usize).map(|p| p.span),
            Symbol::Let(l) => self.lets.get(*l as usize).map(|l| l.decl.name.span),
        }
    }

    pub(super) fn input_def(&mut self, field: &ast::InputField) -> Option<InputDef> {
        if let Some(list) = &field.list {
            let ty = self.list_type(list)?;
            return Some(InputDef {
                name: Arc::from(field.name.name.as_str()),
                label: field.label.as_ref().map(|l| Arc::from(l.value.as_str())),
                ty,
                optional: false,
                min: None,
                max: None,
                // No rows unless given; the slot holds the number of rows.
                default: Some(Value::Int(0)),
            });
        }
        let ty = match field.ty.name.as_str() {
            "int" => InputType::Int { unit: None },
            "decimal" => InputType::Decimal { unit: None },
            "bool" => InputType::Bool,
            "date" => InputType::Date,
            other if self.unit_type(other).is_some() => {
                let unit = self.unit_type(other);
                match unit.and_then(|u| self.units.get(u.0 as usize)) {
                    Some(def) if def.decimal => InputType::Decimal { unit },
                    _ => InputType::Int { unit },
                }
            }
            other => match self.enum_index.get(other) {
                Some(&e) => {
                    self.resolved(field.ty.span, self.enums[usize::from(e)].span);
                    InputType::Enum(e)
                }
                None => {
                    let mut candidates: Vec<String> =
                        ["int", "decimal", "bool", "date"].iter().map(|s| s.to_string()).collect();
                    candidates.extend(self.unit_names());
                    candidates.extend(self.enum_names());
                    let kinds = format!(
                        "int, decimal, bool, date, a unit ({}) or an enum declared in the policy",
                        self.unit_list()
                    );
                    let help = match self.suggest(other, candidates.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `{s}`? Types are {kinds}"),
                        None => format!("types are {kinds}"),
                    };
                    self.error(
                        Diagnostic::error(
                            codes::UNKNOWN_TYPE,
                            format!("unknown type `{other}`"),
                            field.ty.span,
                            "not a type",
                        )
                        .with_help(help),
                    );
                    return None;
                }
            },
        };
        let mut def = InputDef {
            name: Arc::from(field.name.name.as_str()),
            label: field.label.as_ref().map(|l| Arc::from(l.value.as_str())),
            ty,
            optional: field.optional,
            min: None,
            max: None,
            default: None,
        };
        if let Some(range) = &field.range {
            match ty {
                InputType::Int { .. } | InputType::Decimal { .. } => {
                    let whole = matches!(ty, InputType::Int { .. });
                    if whole && (!range.low.fract().is_zero() || range.high.is_some_and(|h| !h.fract().is_zero())) {
                        self.error(
                            Diagnostic::error(
                                codes::BAD_INPUT_DECL,
                                "a range of whole numbers has a fractional bound",
                                range.span,
                                "not whole",
                            )
                            .with_help("give whole-number bounds, or declare the input `decimal`"),
                        );
                    }
                    if range.high.is_some_and(|h| h < range.low) {
                        self.error(
                            Diagnostic::error(
                                codes::BAD_INPUT_DECL,
                                "the range is empty",
                                range.span,
                                "upper bound below lower bound",
                            )
                            .with_help("write the range as `LOW..=HIGH` with LOW ≤ HIGH"),
                        );
                    }
                    def.min = Some(range.low);
                    def.max = range.high;
                }
                _ => self.error(
                    Diagnostic::error(
                        codes::BAD_INPUT_DECL,
                        "only numbers can have a range",
                        range.span,
                        "range on a non-number",
                    )
                    .with_help("remove the range"),
                ),
            }
        }
        if let Some(default) = &field.default {
            if field.optional {
                self.error(
                    Diagnostic::error(codes::BAD_INPUT_DECL, "an optional input cannot have a default", default.span, "default of an optional input")
                        .with_help("drop the `?` to make the default apply, or drop the default: an absent optional input stays absent"),
                );
            } else if let Some(value) = self.literal_for_input(&def, default, "default") {
                def.default = Some(value);
            }
        }
        Some(def)
    }

    pub(super) fn declare_params(&mut self, policy: &ast::PolicyFile) {
        for decl in &policy.decls {
            let Decl::Param(p) = decl else { continue };
            let (value, ty) = match &p.value.kind {
                ValueKind::Number(n) => {
                    let int = n.integral;
                    let value = if int { Value::Int(i64::try_from(n.value).unwrap_or(0)) } else { Value::Dec(n.value) };
                    let unit = match &n.unit {
                        Some(name) => match self.unit(name) {
                            Some(u) => Some(u),
                            None => continue,
                        },
                        None => None,
                    };
                    (value, Ty::Num { int, unit })
                }
                ValueKind::Bool(b) => (Value::Bool(*b), Ty::Bool),
                ValueKind::Date(d) => (Value::Date(*d), Ty::Date),
                ValueKind::Variant { enum_name: Some(en), variant } => match self.enum_index.get(&en.name).copied() {
                    Some(e) => match self.variant_index(e, &variant.name) {
                        Some(v) => {
                            self.resolved(en.span, self.enums[usize::from(e)].span);
                            self.resolved_variant(variant.span, e, v);
                            (Value::Enum(v), Ty::Enum(e))
                        }
                        None => {
                            self.unknown_variant(e, variant);
                            (Value::Absent, Ty::Error)
                        }
                    },
                    None => {
                        self.unknown_name(en, "enum");
                        (Value::Absent, Ty::Error)
                    }
                },
                ValueKind::Variant { enum_name: None, variant } => {
                    let owners: Vec<String> = self
                        .enums
                        .iter()
                        .filter(|e| e.variants.iter().any(|(n, _)| *n == variant.name))
                        .map(|e| format!("`{}.{}`", e.name, variant.name))
                        .collect();
                    let help = if owners.is_empty() {
                        "give a number with its unit (`12434 yuan`), true/false, or an enum variant as `Enum.variant`"
                            .to_string()
                    } else {
                        format!("a parameter's variant names its enum: write {}", owners.join(" or "))
                    };
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("parameter `{}` needs its enum named", p.name.name),
                            p.value.span,
                            "bare variant",
                        )
                        .with_help(help),
                    );
                    (Value::Absent, Ty::Error)
                }
                _ => {
                    self.error(
                        Diagnostic::error(codes::TYPE_MISMATCH, format!("parameter `{}` needs a value", p.name.name), p.value.span, "not a parameter value")
                            .with_help("give a number with its unit (`12434 yuan`), true/false, or an enum variant as `Enum.variant`"),
                    );
                    // Declared all the same, so its uses are not reported again.
                    (Value::Absent, Ty::Error)
                }
            };
            if let Some(first) = self.name_span(&p.name.name) {
                self.duplicate("param", &p.name.name, p.name.span, first);
                continue;
            }
            let index = self.params.len() as u16;
            self.names.insert(p.name.name.clone(), Symbol::Param(index));
            self.params.push(ParamInfo { value, ty: ty.clone(), span: p.name.span });
            self.used_params.push(false);
            self.param_defs.push(rules::ParamDef {
                name: Arc::from(p.name.name.as_str()),
                label: p.label.as_ref().map(|l| Arc::from(l.value.as_str())),
                value,
                unit: ty.unit(),
                doc: p.docs.clone(),
                location: self.location(p.name.span),
            });
        }
    }

    pub(super) fn declare_lets(&mut self, policy: &'a ast::PolicyFile) {
        for decl in &policy.decls {
            let Decl::Let(l) = decl else { continue };
            if let Some(first) = self.name_span(&l.name.name) {
                self.duplicate("let", &l.name.name, l.name.span, first);
                continue;
            }
            let index = self.lets.len() as u16;
            self.names.insert(l.name.name.clone(), Symbol::Let(index));
            self.lets.push(LetInfo { decl: l, state: LetState::Todo });
        }
    }

    pub(super) fn declare_sections(&mut self, policy: &'a ast::PolicyFile) -> Vec<rules::SectionDef> {
        let mut sections: Vec<rules::SectionDef> = Vec::new();
        let mut section_spans: Vec<Span> = Vec::new();
        for decl in section_decls(policy) {
            if let Some(i) = sections.iter().position(|s| *s.id == *decl.name.name) {
                let first = section_spans[i];
                self.duplicate("section", &decl.name.name, decl.name.span, first);
            }
            let label = match &decl.label {
                Some(l) => l.value.clone(),
                None => {
                    self.error(
                        Diagnostic::error(
                            codes::SYNTAX,
                            format!("section `{}` has no label", decl.name.name),
                            decl.name.span,
                            "label missing",
                        )
                        .with_help(format!(
                            "give the section's name as printed, e.g. `section {} \"基础指标\" {{`",
                            decl.name.name
                        )),
                    );
                    String::new()
                }
            };
            let index = sections.len() as u16;
            let mut item_ids = Vec::new();
            for item in &decl.items {
                if let Some(&first) = self.item_index.get(&item.name.name) {
                    let first_span = self.items[first as usize].decl.name.span;
                    self.duplicate("item", &item.name.name, item.name.span, first_span);
                    continue;
                }
                let id = self.items.len() as u16;
                self.item_index.insert(item.name.name.clone(), id);
                self.items.push(ItemInfo { decl: item, section: index, deduction: decl.deduction });
                item_ids.push(id);
            }
            section_spans.push(decl.name.span);
            sections.push(rules::SectionDef {
                id: Arc::from(decl.name.name.as_str()),
                label: Arc::from(label.as_str()),
                deduction: decl.deduction,
                cap: None,
                items: item_ids,
                location: self.location(decl.name.span),
            });
        }
        sections
    }

    /// `best_of` groups, and capped groups (their caps computed later, with the sections').
    #[allow(clippy::type_complexity)]
    pub(super) fn declare_groups(
        &mut self,
        policy: &'a ast::PolicyFile,
        _sections: &mut [rules::SectionDef],
    ) -> (Vec<rules::GroupDef>, Vec<(rules::CapGroupDef, &'a ast::Expr)>) {
        let mut groups: Vec<rules::GroupDef> = Vec::new();
        let mut group_spans: Vec<Span> = Vec::new();
        // Each grouped item's first mention, and whether it was in a capped group.
        let mut member_of: HashMap<u16, (Span, bool)> = HashMap::new();
        let mut caps: Vec<(rules::CapGroupDef, &'a ast::Expr)> = Vec::new();
        let mut cap_spans: Vec<Span> = Vec::new();
        for (index, section) in section_decls(policy).enumerate() {
            for group in &section.caps {
                let mut members = Vec::new();
                for m in &group.members {
                    let Some(item) = self.new_member(m, &member_of, true) else { continue };
                    let home = self.items[item as usize].section;
                    if usize::from(home) != index {
                        let home_name = section_decls(policy).nth(usize::from(home)).map_or("", |s| &s.name.name);
                        self.error(
                            Diagnostic::error(
                                codes::BAD_GROUP,
                                format!(
                                    "item `{}` is in section `{home_name}`, not in `{}`",
                                    m.name, section.name.name
                                ),
                                m.span,
                                "item of another section",
                            )
                            .with_help("a group caps items of its own section; move the group or the item"),
                        );
                        continue;
                    }
                    member_of.insert(item, (m.span, true));
                    members.push(item);
                }
                if group.members.len() < 2 {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_GROUP,
                            format!("`group {}` needs at least two items", group.name.name),
                            group.name.span,
                            "one item only",
                        )
                        .with_help("a group caps several items together; to cap one item, give the item its own `cap`"),
                    );
                }
                if let Some(first) = caps.iter().position(|(g, _)| *g.id == *group.name.name) {
                    self.duplicate("group", &group.name.name, group.name.span, cap_spans[first]);
                }
                cap_spans.push(group.name.span);
                let def = rules::CapGroupDef {
                    id: Arc::from(group.name.name.as_str()),
                    label: group.label.as_ref().map(|l| Arc::from(l.value.as_str())),
                    section: index as u16,
                    cap: 0,
                    members,
                };
                caps.push((def, &group.cap));
            }
        }
        for section in section_decls(policy) {
            for group in &section.groups {
                let mut members = Vec::new();
                for m in &group.members {
                    let Some(item) = self.new_member(m, &member_of, false) else { continue };
                    member_of.insert(item, (m.span, false));
                    members.push(item);
                }
                if group.members.len() < 2 {
                    self.error(
                        Diagnostic::error(
                            codes::BAD_GROUP,
                            format!("`best_of {}` needs at least two items", group.name.name),
                            group.name.span,
                            "one item only",
                        )
                        .with_help("list two or more items that exclude each other, or remove the group"),
                    );
                }
                if let Some(first) = groups.iter().position(|g| *g.id == *group.name.name) {
                    let first_span = group_spans[first];
                    self.duplicate("best_of", &group.name.name, group.name.span, first_span);
                }
                group_spans.push(group.name.span);
                groups.push(rules::GroupDef {
                    id: Arc::from(group.name.name.as_str()),
                    label: group.label.as_ref().map(|l| Arc::from(l.value.as_str())),
                    members,
                });
            }
        }
        (groups, caps)
    }

    /// E0207 for an item named by two groups, at the later mention in the source.
    /// The item a `group` or `best_of` names, if it exists and is in no group yet (else
    /// reported: unknown, or in two groups — `capped` tells which kind this one is).
    fn new_member(&mut self, m: &ast::Ident, member_of: &HashMap<u16, (Span, bool)>, capped: bool) -> Option<u16> {
        let Some(&item) = self.item_index.get(&m.name) else {
            self.unknown_item(m);
            return None;
        };
        self.resolved_item(m.span, item);
        if let Some(&(first, was_capped)) = member_of.get(&item) {
            self.in_two_groups(&m.name, m.span, first, capped || was_capped);
            return None;
        }
        Some(item)
    }

    fn in_two_groups(&mut self, name: &str, span: Span, other: Span, capped: bool) {
        // In one file the later mention is the second; across files, the one in the file
        // checked (an `amend group … { add … }` of a child) is.
        let later = if other.file == span.file { other.start > span.start } else { other.file == self.root_file };
        let (second, first) = if later { (other, span) } else { (span, other) };
        let d = if capped {
            Diagnostic::error(codes::BAD_GROUP, format!("item `{name}` is in two groups"), second, "second group")
                .with_help("an item can be in one `group` or `best_of` at most; merge the groups")
        } else {
            Diagnostic::error(
                codes::BAD_GROUP,
                format!("item `{name}` is in two exclusive groups"),
                second,
                "second group",
            )
            .with_help("an item can be in one `best_of` group at most; merge the groups")
        };
        self.error(d.with_label(first, "first group"));
    }

    /// `output NAME "label" = expr`: typed and lowered like a `let`, kept by name.
    pub(super) fn outputs(&mut self, policy: &'a ast::PolicyFile) -> Vec<rules::DerivedDef> {
        let mut out: Vec<rules::DerivedDef> = Vec::new();
        let mut spans: Vec<Span> = Vec::new();
        for decl in &policy.decls {
            let Decl::Output(o) = decl else { continue };
            if let Some(first) = out.iter().position(|d| *d.name == *o.name.name) {
                self.duplicate("output", &o.name.name, o.name.span, spans[first]);
                continue;
            }
            self.reads = Reads::default();
            let (value, ty) = self.expr(&o.value, None);
            self.reads = Reads::default();
            let Some(ty) = derived_type(&ty) else {
                if !ty.is_error() {
                    let found = self.describe(&ty);
                    self.error(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("output `{}` cannot be {found}", o.name.name),
                            o.value.span,
                            format!("this is {found}"),
                        )
                        .with_help("an output is a number (with its unit), true/false or an enum variant"),
                    );
                }
                continue;
            };
            spans.push(o.name.span);
            out.push(rules::DerivedDef {
                name: Arc::from(o.name.name.as_str()),
                label: o.label.as_ref().map(|l| Arc::from(l.value.as_str())),
                doc: o.docs.clone(),
                ty,
                value,
            });
        }
        out
    }

    pub(super) fn rules(&mut self, policy: &ast::PolicyFile, eligibility: bool) -> Vec<rules::RuleDef> {
        let mut out: Vec<rules::RuleDef> = Vec::new();
        let mut spans: Vec<Span> = Vec::new();
        let what = if eligibility { "requirement" } else { "veto" };
        for decl in &policy.decls {
            let list = match (decl, eligibility) {
                (Decl::Eligibility(r), true) | (Decl::Vetoes(r), false) => r,
                _ => continue,
            };
            for rule in list {
                if let Some(i) = out.iter().position(|r| *r.id == *rule.name.name) {
                    let first = spans[i];
                    self.duplicate(what, &rule.name.name, rule.name.span, first);
                    continue;
                }
                self.reads = Reads::default();
                let (condition, ty) = self.expr(&rule.condition, Some(&Ty::Bool));
                self.expect_type(&ty, &Ty::Bool, rule.condition.span, &format!("a {what}"), "write a yes/no condition");
                spans.push(rule.name.span);
                out.push(rules::RuleDef {
                    id: Arc::from(rule.name.name.as_str()),
                    reason: Arc::from(rule.reason.value.as_str()),
                    condition,
                    location: self.location(rule.name.span),
                });
            }
        }
        out
    }
}
