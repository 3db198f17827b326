//! Resolve names, check types and units, and build the [`RuleSet`] from the AST.
//!
//! The checker reports every problem of a file in one run; the rule set is returned
//! only when none of them is an error.

mod expr;
mod lints;
mod matching;
mod points;
mod ranges;
mod rank;
mod records;
mod types;
pub(crate) mod units;

pub use ranges::{item_points, PointsRange, Ranges};

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rust_decimal::Decimal;

pub use crate::diagnostic::suggest::{did_you_mean, did_you_mean_within, MAX_SUGGESTED_LEN};
use crate::diagnostic::{codes, Code, Diagnostic, REGISTRY};
use crate::rules::{self, InputDef, InputType, RuleSet, Value};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Decl, ValueKind};
use crate::syntax::MAX_COUNT;
use types::Ty;

/// What a name in the value namespace stands for.
#[derive(Debug, Clone, Copy)]
enum Symbol {
    Input(u16),
    Param(u16),
    Let(u16),
}

struct EnumInfo {
    name: String,
    span: Span,
    variants: Vec<(String, Span)>,
}

struct ParamInfo {
    value: Value,
    ty: Ty,
    span: Span,
}

enum LetState {
    Todo,
    InProgress,
    /// `height` and `nodes` measure `expr`, which is copied wherever the `let` is used.
    Done {
        expr: rules::Expr,
        ty: Ty,
        reads: BTreeSet<u16>,
        deps: BTreeSet<u16>,
        height: usize,
        nodes: u64,
    },
}

struct LetInfo<'a> {
    decl: &'a ast::LetDecl,
    state: LetState,
}

struct ItemInfo<'a> {
    decl: &'a ast::ItemDecl,
    section: u16,
    deduction: bool,
}

/// What the expression being checked has read so far.
#[derive(Default, Clone)]
struct Reads {
    inputs: BTreeSet<u16>,
    items: BTreeSet<u16>,
}

pub(crate) struct Checker<'a> {
    sources: &'a SourceMap,
    /// The file checked (a child's, when it extends another): of two places that clash, the
    /// one written here is where the mistake is reported.
    root_file: crate::source::FileId,
    diags: Vec<Diagnostic>,
    enums: Vec<EnumInfo>,
    enum_index: HashMap<String, u16>,
    inputs: Vec<InputDef>,
    input_spans: Vec<Span>,
    /// Inputs a child left unread by removing items; it was told at its `remove item`.
    unread_after_remove: Vec<String>,
    params: Vec<ParamInfo>,
    param_defs: Vec<rules::ParamDef>,
    lets: Vec<LetInfo<'a>>,
    names: HashMap<String, Symbol>,
    items: Vec<ItemInfo<'a>>,
    item_index: HashMap<String, u16>,
    reads: Reads,
    used_inputs: Vec<bool>,
    used_params: Vec<bool>,
    /// Inputs whose declaration had an error: their uses are not reported again.
    failed_inputs: BTreeSet<String>,
    /// The `let`s being defined, innermost last: the path of a cycle among them.
    let_stack: Vec<u16>,
    /// Items with an error in their own definition: range lints skip them.
    broken_items: BTreeSet<u16>,
    /// Size of the lowered expressions, `let`s substituted (see `check::expr`).
    size: Size,
    /// What is left of [`SUGGESTION_BUDGET`].
    suggestion_budget: Cell<usize>,
    /// The header's effective date, the value of `effective` in expressions.
    effective: Option<i32>,
    /// The `let`s tests expect (`expect let NAME = …`), compiled for the test runner.
    kept_lets: Vec<rules::DerivedDef>,
    /// The header's precision of points; `None`: whole points.
    precision: Option<rules::Precision>,
    records: Vec<rules::RecordDef>,
    record_index: HashMap<String, u16>,
    /// The row variable of the aggregate over a list being checked.
    row_scope: Option<records::RowScope>,
    /// The units, the language's first (see [`units`]).
    units: Vec<rules::UnitDef>,
    /// Each unit by its plural and its singular form.
    unit_index: HashMap<String, (rules::Unit, units::UnitOrigin)>,
    /// Variants added by a child's `extend enum` (name, where added) left uncovered by a
    /// `match` of the extended policy (where the match is): reported together at the end.
    uncovered_added: Vec<(String, Span, Span)>,
}

/// The work all did-you-mean suggestions of one policy may take (see [`did_you_mean_within`]):
/// about a million comparisons of short names. Thousands of unknown names among thousands
/// of declared ones cost seconds without it; past it an unknown name gets the plain help.
const SUGGESTION_BUDGET: usize = 20_000_000;

/// How large the lowered expression being built is. `let`s are substituted where they
/// are used, so a short policy could otherwise grow a tree too deep for the stages that
/// recurse on it, or exponentially large (`let b = a + a`, `let c = b + b`, …).
#[derive(Default, Clone)]
struct Size {
    /// Depth of the node being lowered in the expression being built.
    nesting: usize,
    /// The deepest level reached so far.
    deepest: usize,
    /// Nodes built so far in the whole policy.
    nodes: u64,
    /// E0407 is reported once per policy.
    reported: bool,
}

/// Check a merged policy; return the rule set (when there is no error) and every
/// diagnostic found.
pub fn check(policy: &ast::PolicyFile, sources: &SourceMap) -> (Option<RuleSet>, Vec<Diagnostic>) {
    let mut checker = Checker {
        sources,
        root_file: policy.header.id.span.file,
        diags: Vec::new(),
        enums: Vec::new(),
        enum_index: HashMap::new(),
        inputs: Vec::new(),
        input_spans: Vec::new(),
        unread_after_remove: policy.unread_after_remove.clone(),
        params: Vec::new(),
        param_defs: Vec::new(),
        lets: Vec::new(),
        names: HashMap::new(),
        items: Vec::new(),
        item_index: HashMap::new(),
        reads: Reads::default(),
        used_inputs: Vec::new(),
        used_params: Vec::new(),
        failed_inputs: BTreeSet::new(),
        let_stack: Vec::new(),
        broken_items: BTreeSet::new(),
        size: Size::default(),
        suggestion_budget: Cell::new(SUGGESTION_BUDGET),
        effective: policy.header.effective.as_ref().and_then(|(e, _)| crate::date::parse(e).ok()),
        kept_lets: Vec::new(),
        precision: None,
        records: Vec::new(),
        record_index: HashMap::new(),
        row_scope: None,
        units: Vec::new(),
        unit_index: HashMap::new(),
        uncovered_added: Vec::new(),
    };
    let ruleset = checker.run(policy);
    let errors = checker.diags.iter().any(Diagnostic::is_error);
    (ruleset.filter(|_| !errors), checker.diags)
}

impl<'a> Checker<'a> {
    /// The closest name to a misspelt one, within the policy's budget for suggestions.
    fn suggest<'n>(&self, name: &str, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
        did_you_mean_within(name, candidates, &self.suggestion_budget)
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn param_values(&self) -> Vec<Value> {
        self.params.iter().map(|p| p.value).collect()
    }

    fn enum_names(&self) -> Vec<String> {
        self.enums.iter().map(|e| e.name.clone()).collect()
    }

    fn describe(&self, ty: &Ty) -> String {
        ty.describe(&self.enum_names(), &self.unit_names())
    }

    fn location(&self, span: Span) -> String {
        let line = self.sources.line(span.file, span.start);
        format!("{}:{line}", self.sources.name(span.file))
    }

    fn run(&mut self, policy: &'a ast::PolicyFile) -> Option<RuleSet> {
        let header = &policy.header;
        self.precision = self.precision(header);
        let (standard, floor) = self.standard_and_floor(header, self.precision);
        let year = match header.year {
            Some((y, _)) => y,
            None => {
                self.missing_header_field(header, "year", "year      2025");
                0
            }
        };
        let effective = match &header.effective {
            Some((e, _)) => e.clone(),
            None => {
                self.missing_header_field(header, "effective", "effective 2025-01-01");
                String::new()
            }
        };

        if self.too_many(policy) {
            return None;
        }
        self.declare_units(policy);
        self.declare_enums(policy);
        self.declare_records(policy);
        self.declare_inputs(policy);
        self.declare_params(policy);
        self.declare_lets(policy);
        let mut sections = self.declare_sections(policy);
        let (groups, cap_groups) = self.declare_groups(policy, &mut sections);

        for index in 0..self.lets.len() {
            self.let_value(index as u16);
        }
        let mut items = Vec::new();
        let mut deps = Vec::new();
        for index in 0..self.items.len() {
            let errors_before = self.diags.len();
            let (item, item_deps) = self.item(index as u16, &groups);
            if self.diags[errors_before..].iter().any(Diagnostic::is_error) {
                self.broken_items.insert(index as u16);
            }
            items.push(item);
            deps.push(item_deps);
        }
        let order = self.order_items(&deps);
        for (section, decl) in sections.iter_mut().zip(section_decls(policy)) {
            if let Some(cap) = &decl.cap {
                section.cap = self.constant_points(cap, "a section cap");
            }
        }
        let mut caps = Vec::new();
        for (mut def, cap) in cap_groups {
            if let Some(c) = self.constant_points(cap, "a group cap") {
                def.cap = c;
                caps.push(def);
            }
        }
        let outputs = self.outputs(policy);
        let eligibility = self.rules(policy, true);
        let vetoes = self.rules(policy, false);

        let mut ruleset = RuleSet {
            id: Arc::from(header.id.name.as_str()),
            title: header.title.value.clone(),
            year,
            effective,
            standard,
            points: self.precision,
            floor,
            extends: header.extends.as_ref().map(|t| t.value.clone()),
            doc: header.docs.clone(),
            enums: self
                .enums
                .iter()
                .zip(enum_decls(policy))
                .map(|(info, decl)| rules::EnumDef {
                    name: Arc::from(info.name.as_str()),
                    variants: decl
                        .variants
                        .iter()
                        .map(|v| rules::VariantDef {
                            name: Arc::from(v.name.name.as_str()),
                            label: v.label.as_ref().map(|l| Arc::from(l.value.as_str())),
                        })
                        .collect(),
                })
                .collect(),
            inputs: self.inputs.clone(),
            params: self.param_defs.clone(),
            sections,
            items,
            groups,
            order,
            eligibility,
            vetoes,
            tests: Vec::new(),
            plan: rules::PlanDef::default(),
            caps,
            outputs,
            lets: Vec::new(),
            records: self.records.clone(),
            rank: None,
            units: self.units.clone(),
        };
        ruleset.plan = self.plan(policy, &ruleset);
        ruleset.rank = self.rank(policy, &ruleset);
        ruleset.tests = self.tests(policy, &ruleset);
        ruleset.lets = std::mem::take(&mut self.kept_lets);
        self.report_added_variants();
        ruleset.fold_constants();
        let facts = ranges::analyse(&ruleset, self);
        // After an error, a use may be the misspelt or rejected one: "never read" would be an echo.
        let errors_so_far = self.diags.iter().any(Diagnostic::is_error);
        let found = lints::run(&ruleset, self, policy, &facts, !errors_so_far);
        self.diags.extend(found);
        self.apply_allows();
        Some(ruleset)
    }

    /// E0408 for each kind of declaration that has more than a compiled policy can number
    /// (16 bits); true when there was one, and the policy is then checked no further.
    fn too_many(&mut self, policy: &ast::PolicyFile) -> bool {
        let mut kinds: Vec<(&str, Vec<Span>)> = vec![
            ("enums", Vec::new()),
            ("inputs", Vec::new()),
            ("parameters", Vec::new()),
            ("`let`s", Vec::new()),
            ("sections", Vec::new()),
            ("items", Vec::new()),
        ];
        let mut too_many_variants = None;
        for decl in &policy.decls {
            let (kind, spans): (usize, Vec<Span>) = match decl {
                Decl::Enum(e) => {
                    if e.variants.len() > MAX_COUNT && too_many_variants.is_none() {
                        too_many_variants =
                            Some((e.name.name.clone(), e.variants.len(), e.variants[MAX_COUNT].name.span));
                    }
                    (0, vec![e.name.span])
                }
                Decl::Input(fields) => (1, fields.iter().map(|f| f.name.span).collect()),
                Decl::Param(p) => (2, vec![p.name.span]),
                Decl::Let(l) => (3, vec![l.name.span]),
                Decl::Section(s) => {
                    kinds[5].1.extend(s.items.iter().map(|i| i.name.span));
                    (4, vec![s.name.span])
                }
                _ => continue,
            };
            // Only the first excess declaration is needed: stop counting past it.
            if kinds[kind].1.len() <= MAX_COUNT {
                kinds[kind].1.extend(spans);
            }
        }
        let mut found = false;
        for (what, spans) in kinds {
            if let Some(span) = spans.get(MAX_COUNT) {
                found = true;
                self.error(
                    Diagnostic::error(
                        codes::TOO_MANY,
                        format!("more than {MAX_COUNT} {what} in one policy"),
                        *span,
                        format!("{what} past the limit start here"),
                    )
                    .with_help("split the policy, or combine declarations"),
                );
            }
        }
        if let Some((name, count, span)) = too_many_variants {
            found = true;
            self.error(
                Diagnostic::error(
                    codes::TOO_MANY,
                    format!("enum `{name}` has {count} variants; at most {MAX_COUNT} are allowed"),
                    span,
                    "variants past the limit start here",
                )
                .with_help("use a number input instead of so many variants"),
            );
        }
        found
    }

    fn missing_header_field(&mut self, header: &ast::Header, field: &str, example: &str) {
        self.error(
            Diagnostic::error(
                codes::HEADER_FIELD,
                format!("the policy header has no `{field}`"),
                header.id.span,
                "in this header",
            )
            .with_help(format!("add a line `{example}` inside the header's braces")),
        );
    }

    /// Report a second definition of a name.
    fn duplicate(&mut self, what: &str, name: &str, span: Span, first: Span) {
        self.error(
            Diagnostic::error(codes::DUPLICATE, format!("{what} `{name}` is defined twice"), span, "defined again here")
                .with_label(first, "first defined here")
                .with_help(match what {
                    "item" | "param" | "veto" => format!("rename one of them; in a policy that extends another, write `override {what} {name} …` to replace the inherited one"),
                    "requirement" => format!("rename one of them; in a policy that extends another, write `override require {name} …` to replace the inherited one"),
                    "test" => format!("rename one of them; in a policy that extends another, write `override test \"{name}\" …` to replace the inherited one"),
                    _ => "rename or remove one of them".to_string(),
                }),
        );
    }

    fn declare_enums(&mut self, policy: &ast::PolicyFile) {
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

    fn declare_inputs(&mut self, policy: &ast::PolicyFile) {
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

    fn input_def(&mut self, field: &ast::InputField) -> Option<InputDef> {
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
                Some(&e) => InputType::Enum(e),
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

    /// Check a literal against an input's type and range (defaults and test facts).
    fn literal_for_input(&mut self, def: &InputDef, value: &ast::Value, what: &str) -> Option<Value> {
        let code = if what == "default" { codes::BAD_INPUT_DECL } else { codes::TEST_BAD_VALUE };
        let name = &def.name;
        // Built only for a mismatch: most test values are fine, and this runs for each.
        let help = |this: &Self| match def.ty {
            InputType::Int { unit: Some(u) } => {
                format!("`{name}` is a whole number of {}, e.g. `12 {}`", this.unit_str(u), this.unit_str(u))
            }
            InputType::Decimal { unit: Some(u) } => {
                format!("`{name}` is an amount in {}, e.g. `12000 {}`", this.unit_str(u), this.unit_str(u))
            }
            InputType::Int { unit: None } => format!("`{name}` is a whole number without a unit, e.g. `3`"),
            InputType::Decimal { unit: None } => format!("`{name}` is a number without a unit, e.g. `2.5`"),
            InputType::Bool => "write `true` or `false`".to_string(),
            InputType::Enum(e) => {
                let info = &this.enums[e as usize];
                let variants: Vec<&str> = info.variants.iter().map(|(v, _)| v.as_str()).collect();
                format!("`{name}` takes a variant of `{}`: {}", info.name, variants.join(", "))
            }
            InputType::Date => format!("`{name}` is a date, written e.g. `2025-07-01`"),
            InputType::List { .. } => format!("`{name}` takes rows: `[ {{ field: value, … }}, … ]`"),
        };
        let mismatch = |this: &mut Self, expected: String| {
            this.error(
                Diagnostic::error(
                    code,
                    format!("{what} for `{name}` must be {expected}"),
                    value.span,
                    "wrong kind of value",
                )
                .with_help(help(this)),
            );
            None
        };
        let v = match (&value.kind, def.ty) {
            (ValueKind::Absent, _) if def.optional => Value::Absent,
            (ValueKind::Bool(b), InputType::Bool) => Value::Bool(*b),
            (ValueKind::Date(d), InputType::Date) => Value::Date(*d),
            (ValueKind::Number(n), InputType::Int { unit } | InputType::Decimal { unit }) => {
                let written = match &n.unit {
                    Some(name) => match self.unit(name) {
                        Some(u) => Some(u),
                        None => return None,
                    },
                    None => None,
                };
                if written.is_some() && written != unit {
                    let expected = match unit {
                        Some(u) => format!("a number of {}", self.unit_str(u)),
                        None => "a plain number".to_string(),
                    };
                    return mismatch(self, expected);
                }
                if matches!(def.ty, InputType::Int { .. }) {
                    if !n.value.fract().is_zero() {
                        return mismatch(self, "a whole number".to_string());
                    }
                    Value::Int(i64::try_from(n.value).unwrap_or(0))
                } else {
                    Value::Dec(n.value)
                }
            }
            (ValueKind::Variant { enum_name, variant }, InputType::Enum(e)) => {
                if let Some(en) = enum_name {
                    if self.enum_index.get(&en.name) != Some(&e) {
                        return mismatch(self, format!("a variant of `{}`", self.enums[e as usize].name));
                    }
                }
                match self.variant_index(e, &variant.name) {
                    Some(i) => Value::Enum(i),
                    None => {
                        self.unknown_variant(e, variant);
                        return None;
                    }
                }
            }
            (_, ty) => {
                let expected = match ty {
                    InputType::Int { unit } | InputType::Decimal { unit } => match unit {
                        Some(u) => format!("a number of {}", self.unit_str(u)),
                        None => "a number".to_string(),
                    },
                    InputType::Bool => "true or false".to_string(),
                    InputType::Enum(e) => format!("a variant of `{}`", self.enums[e as usize].name),
                    InputType::Date => "a date".to_string(),
                    InputType::List { .. } => "a list of rows".to_string(),
                };
                return mismatch(self, expected);
            }
        };
        let numeric = match v {
            Value::Int(i) => Some(Decimal::from(i)),
            Value::Dec(d) => Some(d),
            _ => None,
        };
        if let Some(n) = numeric {
            if def.min.is_some_and(|m| n < m) || def.max.is_some_and(|m| n > m) {
                self.error(
                    Diagnostic::error(
                        code,
                        format!("{what} {n} for `{}` is outside its range", def.name),
                        value.span,
                        "out of range",
                    )
                    .with_help(format!("`{}` takes values in {}", def.name, range_text(def))),
                );
                return None;
            }
        }
        Some(v)
    }

    fn variant_index(&self, e: u16, name: &str) -> Option<u16> {
        self.enums.get(e as usize)?.variants.iter().position(|(n, _)| n == name).map(|i| i as u16)
    }

    fn unknown_variant(&mut self, e: u16, variant: &ast::Ident) {
        let info = &self.enums[e as usize];
        let names: Vec<&str> = info.variants.iter().map(|(n, _)| n.as_str()).collect();
        let help = match self.suggest(&variant.name, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`? `{}` has: {}", info.name, names.join(", ")),
            None => format!("`{}` has: {}", info.name, names.join(", ")),
        };
        let message = format!("`{}` is not a variant of enum `{}`", variant.name, info.name);
        self.error(Diagnostic::error(codes::UNKNOWN_VARIANT, message, variant.span, "unknown variant").with_help(help));
    }

    fn declare_params(&mut self, policy: &ast::PolicyFile) {
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
                        Some(v) => (Value::Enum(v), Ty::Enum(e)),
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

    fn declare_lets(&mut self, policy: &'a ast::PolicyFile) {
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

    fn declare_sections(&mut self, policy: &'a ast::PolicyFile) -> Vec<rules::SectionDef> {
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
    fn declare_groups(
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
    fn outputs(&mut self, policy: &'a ast::PolicyFile) -> Vec<rules::DerivedDef> {
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

    fn unknown_item(&mut self, name: &ast::Ident) {
        let names: Vec<String> = self.item_index.keys().cloned().collect();
        let help = match self.suggest(&name.name, names.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "name an item defined in one of the policy's sections".to_string(),
        };
        self.error(
            Diagnostic::error(
                codes::UNKNOWN_ITEM,
                format!("unknown item `{}`", name.name),
                name.span,
                "no item of this name",
            )
            .with_help(help),
        );
    }

    /// Type and lower one item. Returns its definition and the items it reads.
    fn item(&mut self, index: u16, groups: &[rules::GroupDef]) -> (rules::ItemDef, BTreeSet<u16>) {
        let info = &self.items[index as usize];
        let decl = info.decl;
        let section = info.section;
        self.reads = Reads::default();
        let mut preconditions = Vec::new();
        for req in &decl.requires {
            let (condition, ty) = self.expr(&req.condition, Some(&Ty::Bool));
            self.expect_type(
                &ty,
                &Ty::Bool,
                req.condition.span,
                "a precondition",
                "write a yes/no condition, e.g. `si_months >= 6 months`",
            );
            preconditions.push(rules::Precondition { condition, reason: Arc::from(req.reason.value.as_str()) });
        }
        let (body, ty) = self.expr(&decl.body, None);
        let points_span = match ty {
            Ty::Num { int: false, unit: None } => fractional_arm(&decl.body).unwrap_or(decl.body.span),
            _ => decl.body.span,
        };
        self.expect_points(&ty, points_span);
        if ty.is_error() {
            // Its error was reported where it arose (a `let`, say): range lints would echo it.
            self.broken_items.insert(index);
        }
        let reads = std::mem::take(&mut self.reads);
        let cap = decl.cap.as_ref().and_then(|c| self.constant_points(c, "an item cap"));
        let arms = arm_texts(&decl.body, self.sources);
        let group = groups.iter().position(|g| g.members.contains(&index)).map(|g| g as u16);
        let item = rules::ItemDef {
            id: Arc::from(decl.name.name.as_str()),
            label: Arc::from(decl.label.value.as_str()),
            section,
            doc: decl.docs.clone(),
            preconditions,
            body,
            arms,
            cap,
            group,
            reads: reads.inputs.into_iter().collect(),
            location: self.location(decl.name.span),
        };
        (item, reads.items)
    }

    fn expect_type(&mut self, ty: &Ty, expected: &Ty, span: Span, what: &str, help: &str) {
        if ty.is_error() || ty == expected {
            return;
        }
        let found = self.describe(ty);
        let wanted = self.describe(expected);
        let d = if let Ty::Optional(_) = ty {
            Diagnostic::error(
                codes::OPTIONAL_UNCHECKED,
                format!("{what} uses an optional value that may be absent"),
                span,
                "may be absent",
            )
            .with_help(
                "give a value for when it is absent with `??`, e.g. `x ?? 0 years`, or test it with `present(x)`",
            )
        } else {
            Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("{what} must be {wanted}, found {found}"),
                span,
                format!("this is {found}"),
            )
            .with_help(help)
        };
        self.error(d);
    }

    fn expect_points(&mut self, ty: &Ty, span: Span) {
        match ty {
            Ty::Error => {}
            Ty::Num { int: true, unit: None } => {}
            // Rounded to the declared precision, item by item.
            Ty::Num { int: false, unit: None } if self.precision.is_some() => {}
            Ty::Num { int: false, unit: None } => self.error(
                Diagnostic::error(
                    codes::NOT_WHOLE_POINTS,
                    "points must be whole numbers",
                    span,
                    "this can have a fraction",
                )
                .with_help(format!(
                    "round explicitly with `floor(…)`, use `N per AMOUNT of x` to count full units, or {}",
                    points::DECLARE_POINTS
                )),
            ),
            Ty::Num { unit: Some(u), .. } => self.error(
                Diagnostic::error(
                    codes::UNIT_MISMATCH,
                    format!("points cannot be a quantity in {}", self.unit_str(*u)),
                    span,
                    format!("this is in {}", self.unit_str(*u)),
                )
                .with_help(format!(
                    "turn {} into points with a rate, e.g. `3 per year of si_months`",
                    self.unit_str(*u)
                )),
            ),
            Ty::Bool => self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "a yes/no value cannot be used as points",
                    span,
                    "this is a bool",
                )
                .with_help("score it with `when CONDITION => POINTS else => 0`"),
            ),
            other => {
                let found = self.describe(other);
                self.expect_type(
                    other,
                    &Ty::POINTS,
                    span,
                    "points",
                    &format!("an item scores a whole number, not {found}"),
                );
            }
        }
    }

    /// A cap: a whole number known when the policy is compiled.
    fn constant_points(&mut self, expr: &ast::Expr, what: &str) -> Option<i64> {
        self.reads = Reads::default();
        let (lowered, ty) = self.expr(expr, None);
        let reads = std::mem::take(&mut self.reads);
        self.expect_points(&ty, expr.span);
        if !reads.inputs.is_empty() || !reads.items.is_empty() {
            self.error(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("{what} must be a constant"),
                    expr.span,
                    "depends on the applicant",
                )
                .with_help("write a number or a `param`; to limit points by a condition use `min(…)` in the item"),
            );
            return None;
        }
        let value = crate::eval::constant(&lowered, &self.param_values())?;
        match points::constant_units(self.precision, value) {
            Some(Ok(i)) if i >= 0 => Some(i),
            Some(Err(d)) => {
                self.points_units(self.precision, d, expr.span, what);
                None
            }
            Some(Ok(_)) => {
                self.error(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("{what} cannot be negative"),
                        expr.span,
                        "negative cap",
                    )
                    .with_help("a cap limits the size of the points; in a deduction section it limits the deduction"),
                );
                None
            }
            _ => None,
        }
    }

    fn order_items(&mut self, deps: &[BTreeSet<u16>]) -> Vec<u16> {
        // Depth-first topological sort; a back edge is a cycle.
        let n = deps.len();
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, Vec<u16>)> = vec![(start, deps[start].iter().copied().collect())];
            state[start] = 1;
            while let Some((node, pending)) = stack.last_mut() {
                let node = *node;
                match pending.pop() {
                    Some(next) => {
                        let next = next as usize;
                        match state.get(next) {
                            Some(0) => {
                                state[next] = 1;
                                stack.push((next, deps[next].iter().copied().collect()));
                            }
                            Some(1) => {
                                let path: Vec<String> = stack
                                    .iter()
                                    .map(|(i, _)| self.items[*i].decl.name.name.clone())
                                    .skip_while(|name| *name != self.items[next].decl.name.name)
                                    .chain(std::iter::once(self.items[next].decl.name.name.clone()))
                                    .collect();
                                let span = self.items[node].decl.name.span;
                                self.error(
                                    Diagnostic::error(codes::CYCLE, format!("items depend on each other's points: {}", path.join(" → ")), span, "part of the cycle")
                                        .with_help("an item can read the points of items it does not itself feed; remove one `points(…)`"),
                                );
                            }
                            _ => {}
                        }
                    }
                    None => {
                        state[node] = 2;
                        order.push(node as u16);
                        stack.pop();
                    }
                }
            }
        }
        order
    }

    fn rules(&mut self, policy: &ast::PolicyFile, eligibility: bool) -> Vec<rules::RuleDef> {
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

    /// The `plan { … }` declarations: names must be inputs, steps in the input's unit.
    fn plan(&mut self, policy: &ast::PolicyFile, ruleset: &RuleSet) -> rules::PlanDef {
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

    fn tests(&mut self, policy: &ast::PolicyFile, ruleset: &RuleSet) -> Vec<rules::TestDef> {
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

    /// Drop the warnings an item allows (`allow W0103 "reason"`), and check the allows.
    fn apply_allows(&mut self) {
        let mut problems = Vec::new();
        let mut used = vec![false; self.items.iter().map(|i| i.decl.allows.len()).sum()];
        let allows: Vec<(&ast::Allow, Span)> =
            self.items.iter().flat_map(|i| i.decl.allows.iter().map(move |a| (a, i.decl.span))).collect();
        self.diags.retain(|d| {
            if d.is_error() {
                return true;
            }
            let s = d.primary.span;
            let hit = allows.iter().position(|(a, item)| {
                d.code == a.code.as_str() && item.file == s.file && item.start <= s.start && s.end <= item.end
            });
            if let Some(k) = hit {
                used[k] = true;
            }
            hit.is_none()
        });
        for (k, (allow, _)) in allows.iter().enumerate() {
            // Lints that point inside an item, as the registry says (others point at declarations).
            if !Code::parse(&allow.code).and_then(Code::info).is_some_and(|i| i.allowable) {
                problems.push(
                    Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        format!("`{}` is not a lint code", allow.code),
                        allow.code_span,
                        "unknown lint",
                    )
                    .with_help(format!(
                        "lints that can be allowed: {}",
                        REGISTRY.iter().filter(|i| i.allowable).map(|i| i.code.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                );
            } else if allow.reason.value.trim().is_empty() {
                problems.push(
                    Diagnostic::error(codes::SYNTAX, "an `allow` needs a reason", allow.reason.span, "empty reason")
                        .with_help(
                            "say why the lint does not apply here, e.g. \"the cap is the statute's, kept for clarity\"",
                        ),
                );
            } else if !used[k] {
                problems.push(
                    Diagnostic::warning(
                        codes::UNUSED,
                        format!("`allow {}` silences nothing here", allow.code),
                        allow.code_span,
                        "no such warning on this item",
                    )
                    .with_help("remove the `allow`"),
                );
            }
        }
        self.diags.extend(problems);
    }
}

fn enum_decls(policy: &ast::PolicyFile) -> impl Iterator<Item = &ast::EnumDecl> {
    policy.decls.iter().filter_map(|d| match d {
        Decl::Enum(e) => Some(e),
        _ => None,
    })
}

/// The type of an `output` or a `let` a test expects, as an input's type.
fn derived_type(ty: &Ty) -> Option<InputType> {
    match ty {
        Ty::Num { int: true, unit } => Some(InputType::Int { unit: *unit }),
        Ty::Num { int: false, unit } => Some(InputType::Decimal { unit: *unit }),
        Ty::Bool => Some(InputType::Bool),
        Ty::Enum(e) => Some(InputType::Enum(*e)),
        Ty::Date => Some(InputType::Date),
        Ty::Optional(inner) => derived_type(inner),
        _ => None,
    }
}

fn section_decls(policy: &ast::PolicyFile) -> impl Iterator<Item = &ast::SectionDecl> {
    policy.decls.iter().filter_map(|d| match d {
        Decl::Section(s) => Some(s),
        _ => None,
    })
}

/// The source text of each arm of an item's top-level `when` or `match`.
fn arm_texts(body: &ast::Expr, sources: &SourceMap) -> Vec<String> {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    match &body.kind {
        ast::ExprKind::When { arms, .. } => arms
            .iter()
            .map(|a| format!("when {}", squash(sources.slice(a.condition.span))))
            .chain(std::iter::once("else".to_string()))
            .collect(),
        ast::ExprKind::Match { arms, .. } => arms.iter().map(|a| squash(sources.slice(a.pattern_span))).collect(),
        _ => Vec::new(),
    }
}

/// The first arm of a `when` or `match` that gives a decimal literal such as `2.5`.
fn fractional_arm(body: &ast::Expr) -> Option<Span> {
    match &body.kind {
        ast::ExprKind::Number(n) if !n.integral => Some(body.span),
        ast::ExprKind::When { arms, otherwise } => {
            arms.iter().map(|a| &a.result).chain(std::iter::once(&**otherwise)).find_map(fractional_arm)
        }
        ast::ExprKind::Match { arms, .. } => arms.iter().find_map(|a| fractional_arm(&a.result)),
        _ => None,
    }
}

fn range_text(def: &InputDef) -> String {
    match (def.min, def.max) {
        (Some(lo), Some(hi)) => format!("{lo}..={hi}"),
        (Some(lo), None) => format!("{lo}.. (no upper bound)"),
        _ => "any value".to_string(),
    }
}
