//! The spanned syntax tree of a policy file, as the parser builds it.
//!
//! Nothing here is resolved or typed: names are plain identifiers with spans, and the
//! checker (`crate::check`) decides what they mean.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::source::Span;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal (a label or a reason), already unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

/// `///` lines directly above a declaration, joined by newlines.
pub type Docs = Option<String>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyFile {
    pub header: Header,
    pub decls: Vec<Decl>,
    /// Inputs left unread because a child removed the items that read them: the child was
    /// told where it did so (at its `remove item`), so the parent's input is not warned about.
    pub unread_after_remove: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    pub docs: Docs,
    pub id: Ident,
    pub title: Text,
    pub extends: Option<Text>,
    pub year: Option<(i64, Span)>,
    pub effective: Option<(String, Span)>,
    pub standard: Option<(Decimal, Span)>,
    pub span: Span,
    /// `points PRECISION round MODE`: the precision, and the mode's name and place if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<PointsDecl>,
    /// `floor N`: the total never goes below N.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<(Decimal, Span)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointsDecl {
    pub precision: Decimal,
    pub precision_span: Span,
    pub rounding: Option<Ident>,
    /// The whole `points …` field.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Decl {
    Enum(EnumDecl),
    Input(Vec<InputField>),
    Param(ParamDecl),
    Let(LetDecl),
    Section(SectionDecl),
    Eligibility(Vec<RuleDecl>),
    Vetoes(Vec<RuleDecl>),
    Test(TestDecl),
    Override(Override),
    Remove(Remove),
    /// `extend enum NAME { … }`: variants added to an inherited enum.
    Extend(EnumDecl),
    Amend(AmendDecl),
    /// `amend group NAME { … }`: an inherited capped group changed.
    AmendGroup(AmendGroupDecl),
    Plan(PlanDecl),
    Output(OutputDecl),
    Record(RecordDecl),
    /// `rank "…" { … }` (or `override rank …`): how applicants are ranked for a quota.
    Rank(RankDecl),
    /// `unit hours / hour "小时"`: a unit the policy declares.
    Unit(UnitDecl),
}

/// `output NAME "label" = expr`: a derived value shown with the score and checkable by tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputDecl {
    pub docs: Docs,
    pub name: Ident,
    pub label: Option<Text>,
    pub value: Expr,
}

/// `record Period { months: months 0.. "月数", base: yuan 0.. "基数" }`: the fields of each
/// row of a `list of Period` input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordDecl {
    pub docs: Docs,
    pub name: Ident,
    pub fields: Vec<InputField>,
}

/// `list of Period max 20` as an input's type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListOf {
    pub record: Ident,
    /// The declared bound on the number of rows, with where it was written.
    pub max: Option<(u64, Span)>,
}

/// `rank "LABEL" { by total  then si_months desc, age asc  quota 5000  admit ties }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankDecl {
    pub docs: Docs,
    /// Written `override rank`: replaces the ranking of the policy this one extends.
    pub overrides: bool,
    pub label: Option<Text>,
    pub by: RankBy,
    /// Tie-breaks, in order.
    pub then: Vec<TieBreak>,
    /// How many are admitted, with where it is written; none: ranks only.
    pub quota: Option<(i64, Span)>,
    /// `admit ties`: everyone whose whole key equals the last admitted one's is admitted too.
    pub admit_ties: bool,
    pub span: Span,
}

/// What applicants are ranked by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum RankBy {
    /// `by total` (the span of `total`).
    Total(Span),
    /// `by section NAME`: the section's subtotal.
    Section(Ident),
}

/// `si_months desc` / `age asc`: a tie-break by an input; `desc` (larger first) unless `asc`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TieBreak {
    pub input: Ident,
    pub descending: bool,
    pub span: Span,
}

/// `amend item NAME { cap N  label "…"  requires … "…"  remove requires "…" }`: parts of an
/// inherited item changed, the rest kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmendDecl {
    pub docs: Docs,
    pub name: Ident,
    pub cap: Option<Expr>,
    pub label: Option<Text>,
    /// Preconditions added.
    pub requires: Vec<Requirement>,
    /// Preconditions removed, by their reason.
    pub unrequire: Vec<Text>,
    pub span: Span,
}

/// `amend group NAME { cap N  label "…"  add a, b  remove c }`: parts of an inherited
/// capped group changed, the rest kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmendGroupDecl {
    pub docs: Docs,
    pub name: Ident,
    pub cap: Option<Expr>,
    pub label: Option<Text>,
    /// Items added to the group, each as written.
    pub add: Vec<Ident>,
    /// Members taken out of the group (they stay items of the section).
    pub remove: Vec<Ident>,
    pub span: Span,
}

/// `plan { wait { … } raise { … } assume { … } }`: how facts can change, for `jifen plan`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDecl {
    pub docs: Docs,
    pub wait: Vec<WaitStep>,
    pub raise: Vec<Ident>,
    pub assume: Vec<Expr>,
    pub span: Span,
}

/// `si_months + 12 months [when COND]`: what one year of waiting adds to a fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitStep {
    pub input: Ident,
    pub amount: Value,
    pub when: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnumDecl {
    pub docs: Docs,
    pub name: Ident,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    pub docs: Docs,
    pub name: Ident,
    pub label: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputField {
    pub docs: Docs,
    pub name: Ident,
    pub ty: Ident,
    pub optional: bool,
    pub range: Option<RangeDecl>,
    pub default: Option<Value>,
    pub label: Option<Text>,
    /// `list of RECORD [max N]`; `ty` is then the word `list`.
    pub list: Option<ListOf>,
}

/// `lo..` or `lo..=hi` on an input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RangeDecl {
    pub low: Decimal,
    pub high: Option<Decimal>,
    pub span: Span,
}

/// A literal value: in defaults, parameters and test facts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ValueKind {
    Number(Number),
    Bool(bool),
    /// An enum variant, bare (`bachelor`) or qualified (`Education.bachelor`).
    Variant {
        enum_name: Option<Ident>,
        variant: Ident,
    },
    Absent,
    /// A date literal `2025-07-01`, as days since 1970-01-01 (see `src/date.rs`).
    Date(i32),
    /// The rows of a list in a test: `[ { months: 24 months }, … ]`.
    Rows(Vec<Row>),
}

/// One row of a list in a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub fields: Vec<Fact>,
    pub span: Span,
}

/// A number as written, with its unit if one was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Number {
    pub value: Decimal,
    /// Written without a decimal point.
    pub integral: bool,
    /// The unit's name as written (`months`, `month`, `hours`): the checker resolves it
    /// among the declared units.
    pub unit: Option<Ident>,
}

/// `unit hours / hour "小时" decimal`: a unit of quantities a policy declares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitDecl {
    pub docs: Docs,
    /// The plural form, the one a type names (`input x: hours`).
    pub name: Ident,
    /// The singular form (`per hour of x`, `1 hour`), when it differs.
    pub singular: Option<Ident>,
    pub label: Option<Text>,
    /// Its quantities may have decimals (`yuan`); otherwise they are whole (`months`).
    pub decimal: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamDecl {
    pub docs: Docs,
    pub name: Ident,
    pub value: Value,
    pub label: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LetDecl {
    pub docs: Docs,
    pub name: Ident,
    pub value: Expr,
    /// Set by `override let` in a child: the extended policy's expression, so that a change
    /// of its type is reported at the override, not at each of the parent's uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<Box<Expr>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionDecl {
    pub docs: Docs,
    pub name: Ident,
    pub label: Option<Text>,
    pub deduction: bool,
    pub cap: Option<Expr>,
    pub items: Vec<ItemDecl>,
    pub groups: Vec<GroupDecl>,
    /// `group NAME "label" cap N { … }`: items whose points together count at most N.
    pub caps: Vec<CapGroupDecl>,
}

/// `group NAME "label" cap N { a, b }` inside a section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapGroupDecl {
    pub docs: Docs,
    pub name: Ident,
    pub label: Option<Text>,
    pub cap: Expr,
    pub members: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemDecl {
    pub docs: Docs,
    pub name: Ident,
    pub label: Text,
    pub requires: Vec<Requirement>,
    /// `allow CODE "reason"`: lints silenced on this item.
    pub allows: Vec<Allow>,
    pub body: Expr,
    pub cap: Option<Expr>,
    pub span: Span,
}

/// `allow W0103 "reason"` inside an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allow {
    pub code: String,
    pub code_span: Span,
    pub reason: Text,
}

/// `requires COND "reason"` inside an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub docs: Docs,
    pub condition: Expr,
    pub reason: Text,
}

/// `best_of NAME "label" { a, b }`: mutually exclusive items, the highest counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupDecl {
    pub docs: Docs,
    pub name: Ident,
    pub label: Option<Text>,
    pub members: Vec<Ident>,
}

/// A named condition in `eligibility` (`require`) or `vetoes` (`veto`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleDecl {
    pub docs: Docs,
    pub name: Ident,
    pub condition: Expr,
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestDecl {
    pub docs: Docs,
    pub name: Text,
    pub given: Vec<Fact>,
    pub expect: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    pub name: Ident,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    /// `item NAME` when true; otherwise one of total, eligible, vetoed, meets_standard.
    pub is_item: bool,
    pub target: Ident,
    pub value: Value,
    /// `section`, `group`, `let` or `output` before the name.
    pub scope: Option<ExpectScope>,
}

/// What an `expect` names besides items: `expect section NAME = 30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ExpectScope {
    Section,
    Group,
    Let,
    Output,
}

impl ExpectScope {
    pub fn keyword(self) -> &'static str {
        match self {
            ExpectScope::Section => "section",
            ExpectScope::Group => "group",
            ExpectScope::Let => "let",
            ExpectScope::Output => "output",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Override {
    Param(ParamDecl),
    Item(ItemDecl),
    Require(RuleDecl),
    Veto(RuleDecl),
    Test(TestDecl),
    /// `override input { … }`: each field replaces the inherited input of its name.
    Input(Vec<InputField>),
    Let(LetDecl),
    /// `override test "old" as "new" { … }`: the test `old` replaced by `new`.
    RenamedTest {
        old: Text,
        test: TestDecl,
    },
    Output(OutputDecl),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RemoveKind {
    Item,
    Param,
    Require,
    Veto,
    Test,
    Input,
    Output,
}

impl RemoveKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RemoveKind::Item => "item",
            RemoveKind::Param => "param",
            RemoveKind::Require => "require",
            RemoveKind::Veto => "veto",
            RemoveKind::Test => "test",
            RemoveKind::Input => "input",
            RemoveKind::Output => "output",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Remove {
    pub kind: RemoveKind,
    /// The name removed (a test's name is its string).
    pub name: String,
    pub span: Span,
}

// ---------------------------------------------------------------- expressions

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Coalesce,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Coalesce => "??",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Number(Number),
    Bool(bool),
    Name(Ident),
    Qualified {
        enum_name: Ident,
        variant: Ident,
    },
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `rate per amount of operand`: rate × ⌊operand / amount⌋.
    Per {
        rate: Box<Expr>,
        amount: Number,
        amount_span: Span,
        operand: Box<Expr>,
    },
    In {
        negated: bool,
        value: Box<Expr>,
        set: Vec<Expr>,
    },
    Call {
        func: Ident,
        args: Vec<Expr>,
    },
    When {
        arms: Vec<WhenArm>,
        otherwise: Box<Expr>,
    },
    Match {
        scrutinee: Vec<Expr>,
        arms: Vec<MatchArm>,
    },
    /// A date literal `2025-07-01`, as days since 1970-01-01 (see `src/date.rs`).
    Date(i32),
    /// `sum(p.months for p in periods where …)`, `count(p in periods where …)`: an
    /// aggregate over the rows of a list input (boxed: it is larger than the other kinds).
    Each(Box<Each>),
}

/// An aggregate over the rows of a list. `func` is the aggregate's name as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Each {
    pub func: Ident,
    pub body: Option<Expr>,
    pub var: Ident,
    pub list: Ident,
    pub filter: Option<Expr>,
}

impl Expr {
    /// Every name this expression reads (inputs, parameters, `let`s), in source order.
    pub fn names<'a>(&'a self, out: &mut Vec<&'a Ident>) {
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Qualified { .. } | ExprKind::Date(_) => {}
            ExprKind::Name(id) => out.push(id),
            ExprKind::Unary(_, a) => a.names(out),
            ExprKind::Binary(_, a, b) => {
                a.names(out);
                b.names(out);
            }
            ExprKind::Per { rate, operand, .. } => {
                rate.names(out);
                operand.names(out);
            }
            ExprKind::In { value, set, .. } => {
                value.names(out);
                set.iter().for_each(|e| e.names(out));
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|e| e.names(out)),
            ExprKind::When { arms, otherwise } => {
                for arm in arms {
                    arm.condition.names(out);
                    arm.result.names(out);
                }
                otherwise.names(out);
            }
            ExprKind::Match { scrutinee, arms } => {
                scrutinee.iter().for_each(|e| e.names(out));
                arms.iter().for_each(|a| a.result.names(out));
            }
            ExprKind::Each(each) => {
                let Each { body, var, list, filter, .. } = &**each;
                out.push(list);
                // The row variable is no name of the policy's.
                let mut inner = Vec::new();
                body.iter().chain(filter).for_each(|e| e.names(&mut inner));
                out.extend(inner.into_iter().filter(|id| id.name != var.name));
            }
        }
    }
}

impl ItemDecl {
    /// Every expression of the item: preconditions, rule and cap.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.requires.iter().map(|r| &r.condition).chain(std::iter::once(&self.body)).chain(&self.cap)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhenArm {
    pub condition: Expr,
    pub result: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchArm {
    /// One list of alternatives per position of the scrutinee.
    pub pattern: Vec<Vec<PatternAtom>>,
    pub pattern_span: Span,
    pub result: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PatternAtom {
    Wildcard(Span),
    Bool(bool, Span),
    Variant(Ident),
}
