//! Resolve names, check types and units, and build the [`RuleSet`] from the AST.
//!
//! The checker reports every problem of a file in one run; the rule set is returned
//! only when none of them is an error.

mod allow;
mod declare;
mod expr;
mod items;
mod lints;
mod literals;
mod matching;
mod plan;
mod points;
mod ranges;
mod rank;
mod records;
mod test_blocks;
mod types;
pub(crate) mod units;

pub(crate) use ranges::Ranges;
#[cfg(feature = "lsp")]
pub(crate) use ranges::{item_points, PointsRange};

use std::cell::Cell;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

pub(crate) use crate::diagnostic::suggest::{did_you_mean, did_you_mean_within};
use crate::diagnostic::{codes, Diagnostic};
use crate::rules::{self, InputDef, InputType, RuleSet, Value};
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, Decl};
use crate::syntax::MAX_COUNT;
use types::Ty;

/// What the checker resolved, for a tool that shows the policy as written (the language
/// server): each name where it is used with the name it stands for where declared, and the
/// enum each input, parameter and `let` holds. Go-to-definition, hover and completion read
/// these rather than resolving names a second time.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    /// (the name where used, the name where declared), in the order the checker met them.
    pub(crate) uses: Vec<(Span, Span)>,
    /// (the declared name of an input, parameter or `let`, the name of its enum).
    pub(crate) enums: Vec<(Span, String)>,
}

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
    /// Each record's name and its fields' names where declared, in [`Self::records`]' order.
    record_spans: Vec<(Span, Vec<Span>)>,
    resolved: Resolved,
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

/// Check a merged policy; return the rule set (when there is no error), every diagnostic
/// found, and what each name resolved to (see [`Resolved`]), errors or not.
pub(crate) fn check(policy: &ast::PolicyFile, sources: &SourceMap) -> (Option<RuleSet>, Vec<Diagnostic>, Resolved) {
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
        record_spans: Vec::new(),
        resolved: Resolved::default(),
    };
    let ruleset = checker.run(policy);
    let errors = checker.diags.iter().any(Diagnostic::is_error);
    let resolved = checker.value_enums();
    (ruleset.filter(|_| !errors), checker.diags, resolved)
}

impl<'a> Checker<'a> {
    /// The closest name to a misspelt one, within the policy's budget for suggestions.
    fn suggest<'n>(&self, name: &str, candidates: impl Iterator<Item = &'n str>) -> Option<&'n str> {
        did_you_mean_within(name, candidates, &self.suggestion_budget)
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// The name at `used` stands for the one declared at `declared`.
    fn resolved(&mut self, used: Span, declared: Span) {
        self.resolved.uses.push((used, declared));
    }

    fn resolved_input(&mut self, used: Span, slot: u16) {
        if let Some(&declared) = self.input_spans.get(usize::from(slot)) {
            self.resolved(used, declared);
        }
    }

    fn resolved_variant(&mut self, used: Span, e: u16, v: u16) {
        if let Some(&(_, declared)) = self.enums.get(usize::from(e)).and_then(|en| en.variants.get(usize::from(v))) {
            self.resolved(used, declared);
        }
    }

    fn resolved_item(&mut self, used: Span, item: u16) {
        if let Some(declared) = self.items.get(usize::from(item)).map(|i| i.decl.name.span) {
            self.resolved(used, declared);
        }
    }

    /// The names resolved, with the enum each input, parameter and `let` was found to hold.
    fn value_enums(&mut self) -> Resolved {
        let mut resolved = std::mem::take(&mut self.resolved);
        let enum_of = |ty: &Ty| match ty {
            Ty::Enum(e) => Some(*e),
            Ty::Optional(inner) => match &**inner {
                Ty::Enum(e) => Some(*e),
                _ => None,
            },
            _ => None,
        };
        let inputs = self.inputs.iter().zip(&self.input_spans).filter_map(|(input, span)| match input.ty {
            InputType::Enum(e) => Some((*span, e)),
            _ => None,
        });
        let params = self.params.iter().filter_map(|p| Some((p.span, enum_of(&p.ty)?)));
        let lets = self.lets.iter().filter_map(|l| match &l.state {
            LetState::Done { ty, .. } => Some((l.decl.name.span, enum_of(ty)?)),
            _ => None,
        });
        for (span, e) in inputs.chain(params).chain(lets) {
            if let Some(info) = self.enums.get(usize::from(e)) {
                resolved.enums.push((span, info.name.clone()));
            }
        }
        resolved
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
