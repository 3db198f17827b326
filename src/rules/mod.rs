//! The compiled rule set: what the evaluator runs. Names are bound to slots when it is
//! built; nothing here refers to parser types. It is serde-serialisable so that a
//! compiled policy can be stored and diffed.

use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub(crate) mod print;
mod types;
mod validate;

pub use types::{Type, ValueKind};

/// A unit of quantities, by index into [`RuleSet::units`]. The language's own units
/// (src/prelude.policy) come first, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Unit(pub u16);

impl Unit {
    pub const YEARS: Unit = Unit(0);
    pub const MONTHS: Unit = Unit(1);
    pub const YUAN: Unit = Unit(2);
}

/// A declared unit: `unit hours / hour "小时"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDef {
    /// The plural form, which types and most quantities use.
    pub name: Arc<str>,
    /// The singular form (`per hour of x`); the plural when none was declared.
    pub singular: Arc<str>,
    pub label: Option<Arc<str>>,
    /// Its quantities may have decimals.
    pub decimal: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

impl UnitDef {
    /// The singular form for one, the plural for any other amount.
    pub fn word(&self, one: bool) -> &str {
        if one {
            &self.singular
        } else {
            &self.name
        }
    }
}

/// A runtime value. Numbers are exact: whole numbers as `i64`, the rest as decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    Int(i64),
    Dec(Decimal),
    Bool(bool),
    /// A variant, by index into its enum's variants.
    Enum(u16),
    /// An optional input that was not given.
    Absent,
    /// A calendar date, as days since 1970-01-01 (see `src/date.rs`).
    Date(i32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The same comparison with its sides swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

/// One position of a match pattern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pattern {
    Any,
    OneOf(Vec<Value>),
}

/// A compiled expression: what it computes, and the type the checker proved it has.
/// `let`s are already substituted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
}

/// What an expression computes; every subexpression is an [`Expr`], typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExprKind {
    Const(Value),
    Input(u16),
    /// A yearly parameter, by index into [`RuleSet::params`]. Kept symbolic so that a
    /// new year's value shows as a parameter change, not as a change of every item.
    Param(u16),
    /// The points of another item (after its preconditions and cap, before any
    /// exclusive group is decided).
    Points(u16),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    In(Box<Expr>, Vec<Value>),
    Coalesce(Box<Expr>, Box<Expr>),
    IsPresent(Box<Expr>),
    /// rate × ⌊operand × scale / amount⌋: "3 per year of si_months" is
    /// 3 × ⌊si_months × 1 / 12⌋.
    Per {
        rate: Box<Expr>,
        operand: Box<Expr>,
        scale: i64,
        amount: Decimal,
    },
    Min(Vec<Expr>),
    Max(Vec<Expr>),
    Floor(Box<Expr>),
    When {
        arms: Vec<(Expr, Expr)>,
        otherwise: Box<Expr>,
    },
    Match {
        scrutinee: Vec<Expr>,
        arms: Vec<(Vec<Pattern>, Expr)>,
    },
    /// A subexpression that reads no input, computed once when the policy is compiled
    /// (`3 * average_wage`). The source is kept for diffs and display.
    Folded {
        value: Value,
        source: Box<Expr>,
    },
    /// Full years, full months or days from the first date to the second, negative when
    /// the second is earlier: `years_between(birth, effective)`.
    Between(DateUnit, Box<Expr>, Box<Expr>),
    /// A field of the row an [`ExprKind::Each`] is at, by index into its record's fields.
    Field(u16),
    /// An aggregate over the rows of the list input in slot `list`: the `body` of each row
    /// whose `filter` holds (`Count`, `Any` and `All` have no body; `Any`/`All` test the filter).
    Each {
        kind: EachKind,
        list: u16,
        body: Option<Box<Expr>>,
        filter: Option<Box<Expr>>,
    },
}

/// What an [`ExprKind::Each`] makes of the rows it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EachKind {
    Sum,
    Count,
    /// The largest body; absent over no rows.
    Max,
    /// The smallest body; absent over no rows.
    Min,
    /// Whether some row passes the filter (false over no rows).
    Any,
    /// Whether every row passes the filter (true over no rows).
    All,
}

impl EachKind {
    pub fn name(self) -> &'static str {
        match self {
            EachKind::Sum => "sum",
            EachKind::Count => "count",
            EachKind::Max => "max",
            EachKind::Min => "min",
            EachKind::Any => "any",
            EachKind::All => "all",
        }
    }
}

/// What [`ExprKind::Between`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateUnit {
    Years,
    Months,
    Days,
}

impl DateUnit {
    /// The function that counts it.
    pub fn function(self) -> &'static str {
        match self {
            DateUnit::Years => "years_between",
            DateUnit::Months => "months_between",
            DateUnit::Days => "days_between",
        }
    }

    /// The count from `from` to `to`.
    pub fn count(self, from: i32, to: i32) -> i64 {
        match self {
            DateUnit::Years => crate::date::full_years(from, to),
            DateUnit::Months => crate::date::full_months(from, to),
            DateUnit::Days => crate::date::days(from, to),
        }
    }
}

impl Expr {
    pub fn new(kind: ExprKind, ty: Type) -> Expr {
        Expr { kind, ty }
    }

    /// The subexpressions evaluation reads, in source order. A [`ExprKind::Folded`] has none:
    /// its value was computed when the policy was compiled (its source is kept for display).
    /// Every walker of the IR goes through this, so a new construct is taught here once.
    pub fn children(&self) -> impl Iterator<Item = &Expr> + '_ {
        use ExprKind as K;
        let (head, list): ([Option<&Expr>; 2], &[Expr]) = match &self.kind {
            K::Const(_) | K::Input(_) | K::Param(_) | K::Points(_) | K::Folded { .. } => ([None, None], &[]),
            K::Field(_) => ([None, None], &[]),
            K::Each { body, filter, .. } => ([body.as_deref(), filter.as_deref()], &[]),
            K::Neg(a) | K::Not(a) | K::IsPresent(a) | K::Floor(a) | K::In(a, _) => ([Some(a), None], &[]),
            K::Arith(_, a, b)
            | K::Cmp(_, a, b)
            | K::And(a, b)
            | K::Or(a, b)
            | K::Coalesce(a, b)
            | K::Between(_, a, b) => ([Some(a), Some(b)], &[]),
            K::Per { rate, operand, .. } => ([Some(rate), Some(operand)], &[]),
            K::Min(args) | K::Max(args) => ([None, None], args),
            K::When { .. } => ([None, None], &[]),
            K::Match { scrutinee, .. } => ([None, None], scrutinee),
        };
        let (when_arms, otherwise, match_arms) = match &self.kind {
            K::When { arms, otherwise } => (arms.as_slice(), Some(&**otherwise), &[][..]),
            K::Match { arms, .. } => (&[][..], None, arms.as_slice()),
            _ => (&[][..], None, &[][..]),
        };
        head.into_iter()
            .flatten()
            .chain(list)
            .chain(when_arms.iter().flat_map(|(c, r)| [c, r]))
            .chain(otherwise)
            .chain(match_arms.iter().map(|(_, r)| r))
    }

    /// The same expression, of the same type, with `f` applied to each of its
    /// [`children`](Expr::children).
    pub fn map_children(self, mut f: impl FnMut(Expr) -> Expr) -> Expr {
        use ExprKind as K;
        let mut boxed = |e: Box<Expr>| Box::new(f(*e));
        let kind = match self.kind {
            K::Const(_) | K::Input(_) | K::Param(_) | K::Points(_) | K::Folded { .. } | K::Field(_) => return self,
            K::Neg(a) => K::Neg(boxed(a)),
            K::Not(a) => K::Not(boxed(a)),
            K::IsPresent(a) => K::IsPresent(boxed(a)),
            K::Floor(a) => K::Floor(boxed(a)),
            K::In(a, set) => K::In(boxed(a), set),
            K::Arith(op, a, b) => K::Arith(op, boxed(a), boxed(b)),
            K::Cmp(op, a, b) => K::Cmp(op, boxed(a), boxed(b)),
            K::And(a, b) => K::And(boxed(a), boxed(b)),
            K::Or(a, b) => K::Or(boxed(a), boxed(b)),
            K::Coalesce(a, b) => K::Coalesce(boxed(a), boxed(b)),
            K::Per { rate, operand, scale, amount } => {
                K::Per { rate: boxed(rate), operand: boxed(operand), scale, amount }
            }
            K::Min(args) => K::Min(args.into_iter().map(f).collect()),
            K::Max(args) => K::Max(args.into_iter().map(f).collect()),
            K::When { arms, otherwise } => {
                let arms = arms.into_iter().map(|(c, r)| (f(c), f(r))).collect();
                K::When { arms, otherwise: Box::new(f(*otherwise)) }
            }
            K::Match { scrutinee, arms } => K::Match {
                scrutinee: scrutinee.into_iter().map(&mut f).collect(),
                arms: arms.into_iter().map(|(p, r)| (p, f(r))).collect(),
            },
            K::Between(unit, a, b) => K::Between(unit, boxed(a), boxed(b)),
            K::Each { kind, list, body, filter } => {
                K::Each { kind, list, body: body.map(&mut boxed), filter: filter.map(boxed) }
            }
        };
        Expr { kind, ty: self.ty }
    }

    /// Whether the value depends on the applicant (an input or another item's points).
    pub fn reads_applicant(&self) -> bool {
        match &self.kind {
            ExprKind::Input(_) | ExprKind::Points(_) | ExprKind::Field(_) | ExprKind::Each { .. } => true,
            _ => self.children().any(Expr::reads_applicant),
        }
    }

    /// Replace every subexpression that reads no input by its value (see [`ExprKind::Folded`]).
    /// The folded node keeps the source's type, of the kind of the value it holds.
    pub fn fold(self, params: &[Value]) -> Expr {
        let folded = match self.kind {
            ExprKind::Const(_) | ExprKind::Input(_) | ExprKind::Points(_) | ExprKind::Folded { .. } => return self,
            _ => self.map_children(|c| c.fold(params)),
        };
        if folded.reads_applicant() {
            return folded;
        }
        match crate::eval::constant(&folded, params) {
            Some(value) => {
                let ty = Type { kind: ValueKind::of_value(value), ..folded.ty };
                Expr { kind: ExprKind::Folded { value, source: Box::new(folded) }, ty }
            }
            None => folded,
        }
    }

    /// A placeholder left where an expression is taken out to be rebuilt.
    pub(crate) fn taken() -> Expr {
        Expr::new(ExprKind::Const(Value::Absent), Type::UNKNOWN)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnumDef {
    pub name: Arc<str>,
    pub variants: Vec<VariantDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantDef {
    pub name: Arc<str>,
    pub label: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputType {
    Int {
        unit: Option<Unit>,
    },
    Decimal {
        unit: Option<Unit>,
    },
    Bool,
    Enum(u16),
    Date,
    /// Rows of record `record` (index into [`RuleSet::records`]), at most `max` of them.
    List {
        record: u16,
        max: u32,
    },
}

/// Most rows a list input may hold, whatever its declared bound (`list of Period max 20`
/// lowers it): an applicant or a test with more is refused.
pub const MAX_LIST_ROWS: u32 = 1000;

/// A record: the fields of each row of a list input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordDef {
    pub name: Arc<str>,
    pub doc: Option<String>,
    /// Each field as an input is declared: type, range, default, label.
    pub fields: Vec<InputDef>,
}

impl RecordDef {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| &*f.name == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputDef {
    pub name: Arc<str>,
    pub label: Option<Arc<str>>,
    pub ty: InputType,
    pub optional: bool,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    /// `None` with `optional == false`: the applicant must give it.
    pub default: Option<Value>,
}

impl InputDef {
    pub fn required(&self) -> bool {
        self.default.is_none() && !self.optional
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamDef {
    pub name: Arc<str>,
    pub label: Option<Arc<str>>,
    pub value: Value,
    pub unit: Option<Unit>,
    pub doc: Option<String>,
    /// Where the parameter is declared, `file:line`.
    #[serde(default)]
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Precondition {
    pub condition: Expr,
    pub reason: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDef {
    pub id: Arc<str>,
    pub label: Arc<str>,
    pub section: u16,
    pub doc: Option<String>,
    pub preconditions: Vec<Precondition>,
    pub body: Expr,
    /// The source text of each arm of a top-level `when`/`match`, for the trace.
    pub arms: Vec<String>,
    pub cap: Option<i64>,
    /// The exclusive group this item belongs to, if any.
    pub group: Option<u16>,
    /// Input slots the item reads, directly or through `let`s.
    pub reads: Vec<u16>,
    /// Where the item is defined, `file:line`.
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionDef {
    pub id: Arc<str>,
    pub label: Arc<str>,
    pub deduction: bool,
    pub cap: Option<i64>,
    pub items: Vec<u16>,
    /// Where the section is declared, `file:line`.
    #[serde(default)]
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDef {
    pub id: Arc<str>,
    pub label: Option<Arc<str>>,
    /// In the order written: on a tie the first one counts.
    pub members: Vec<u16>,
}

/// `group NAME "label" cap N { … }`: items of one section whose points together count at
/// most `cap` (after their own caps, before the section's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapGroupDef {
    pub id: Arc<str>,
    pub label: Option<Arc<str>>,
    pub section: u16,
    pub cap: i64,
    pub members: Vec<u16>,
}

/// A named value computed for each applicant: an `output`, or a `let` kept for tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivedDef {
    pub name: Arc<str>,
    pub label: Option<Arc<str>>,
    pub doc: Option<String>,
    /// Its type, as an input's: the unit, the enum.
    pub ty: InputType,
    pub value: Expr,
}

/// An eligibility requirement or a veto.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDef {
    pub id: Arc<str>,
    pub reason: Arc<str>,
    pub condition: Expr,
    /// Where the rule is written, `file:line`.
    #[serde(default)]
    pub location: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    Total,
    Eligible,
    Vetoed,
    MeetsStandard,
    Item(u16),
    Section(u16),
    /// A capped group, by index into [`RuleSet::caps`].
    Group(u16),
    /// A `let`, by index into [`RuleSet::lets`].
    Let(u16),
    Output(u16),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    pub target: Target,
    pub value: Value,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestDef {
    pub name: String,
    /// `file:line` of the test.
    pub location: String,
    pub facts: Vec<(u16, Value)>,
    pub expectations: Vec<Expectation>,
    /// The rows given for list inputs, by slot.
    #[serde(default)]
    pub lists: Vec<(u16, Vec<Vec<Value>>)>,
}

/// What a year of waiting adds to one input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitDef {
    pub slot: u16,
    pub amount: Value,
    /// Only when this holds for the applicant as they are now.
    pub when: Option<Expr>,
}

/// How an applicant's facts can change, for `jifen plan` (declared by `plan { … }`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanDef {
    pub wait: Vec<WaitDef>,
    /// Inputs the applicant can raise (numbers up, enums to later variants, false to true).
    pub raise: Vec<u16>,
    /// Conditions every profile considered must satisfy.
    pub assume: Vec<Expr>,
}

/// How applicants are ranked for a quota (declared by `rank { … }`), for `jifen rank`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankDef {
    pub label: Option<String>,
    /// The section whose subtotal ranks; none: the total.
    pub section: Option<u16>,
    /// Tie-breaks by inputs, in order.
    pub then: Vec<TieBreakDef>,
    /// How many are admitted; none: ranks only.
    pub quota: Option<u64>,
    /// Everyone whose whole key equals the last admitted applicant's is admitted too.
    pub admit_ties: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TieBreakDef {
    pub slot: u16,
    /// Larger values first (`desc`, the default).
    pub descending: bool,
}

/// A compiled policy. Made by the checker, or deserialised and then validated
/// ([`RuleSet::validate`]): a rule set whose indices do not hold together is refused there,
/// never run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct RuleSet {
    pub(crate) id: Arc<str>,
    pub(crate) title: String,
    pub(crate) year: i64,
    pub(crate) effective: String,
    /// The standard in points units (see [`RuleSet::points`]); `None`: a yes/no programme
    /// whose verdict is eligible and not vetoed.
    pub(crate) standard: Option<i64>,
    pub(crate) extends: Option<String>,
    pub(crate) doc: Option<String>,
    pub(crate) enums: Vec<EnumDef>,
    pub(crate) inputs: Vec<InputDef>,
    pub(crate) params: Vec<ParamDef>,
    pub(crate) sections: Vec<SectionDef>,
    pub(crate) items: Vec<ItemDef>,
    pub(crate) groups: Vec<GroupDef>,
    /// Items in an order where every item comes after those whose points it reads.
    pub(crate) order: Vec<u16>,
    pub(crate) eligibility: Vec<RuleDef>,
    pub(crate) vetoes: Vec<RuleDef>,
    pub(crate) tests: Vec<TestDef>,
    #[serde(default)]
    pub(crate) plan: PlanDef,
    #[serde(default)]
    pub(crate) caps: Vec<CapGroupDef>,
    #[serde(default)]
    pub(crate) outputs: Vec<DerivedDef>,
    /// The `let`s a test expects (`expect let NAME = …`), compiled; others are only
    /// substituted where they are used.
    #[serde(default)]
    pub(crate) lets: Vec<DerivedDef>,
    /// The declared precision of points (`points 0.01 round half_up`); `None`: whole points.
    /// Every count of points in the rule set (caps, standard, floor, the evaluators' points)
    /// is a whole number of this precision's units: 49.17 at 0.01 is 4917.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) points: Option<Precision>,
    /// The total never goes below this (`floor 0`), in points units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) floor: Option<i64>,
    /// Records the list inputs' rows follow.
    #[serde(default)]
    pub(crate) records: Vec<RecordDef>,
    /// How applicants are ranked for a quota (`rank { … }`), if the policy says.
    #[serde(default)]
    pub(crate) rank: Option<RankDef>,
    /// The units quantities are counted in: the language's own, then the policy's.
    pub(crate) units: Vec<UnitDef>,
}

/// How an item's points are rounded to the declared precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rounding {
    /// Ties away from zero.
    HalfUp,
    /// Ties to the even neighbour.
    HalfEven,
    /// Toward zero.
    Down,
    /// Away from zero.
    Up,
}

impl Rounding {
    pub const NAMES: [(&'static str, Rounding); 4] = [
        ("half_up", Rounding::HalfUp),
        ("half_even", Rounding::HalfEven),
        ("down", Rounding::Down),
        ("up", Rounding::Up),
    ];

    pub fn name(self) -> &'static str {
        Rounding::NAMES.iter().find(|(_, r)| *r == self).map_or("half_up", |(n, _)| n)
    }

    fn strategy(self) -> rust_decimal::RoundingStrategy {
        use rust_decimal::RoundingStrategy as S;
        match self {
            Rounding::HalfUp => S::MidpointAwayFromZero,
            Rounding::HalfEven => S::MidpointNearestEven,
            Rounding::Down => S::ToZero,
            Rounding::Up => S::AwayFromZero,
        }
    }
}

/// The precision points are counted in: 10^-places, rounded per item as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precision {
    /// 0 (whole points) to [`Precision::MAX_PLACES`].
    pub places: u32,
    pub rounding: Rounding,
}

impl Precision {
    pub const MAX_PLACES: u32 = 4;

    /// Units in one point: 10^places.
    pub fn unit(self) -> i64 {
        10i64.pow(self.places.min(Precision::MAX_PLACES))
    }

    /// A number of points rounded to this precision, in units; `None` past ±i64 units.
    pub fn to_units(self, points: Decimal) -> Option<i64> {
        let rounded = points.round_dp_with_strategy(self.places, self.rounding.strategy());
        i64::try_from(rounded.checked_mul(Decimal::from(self.unit()))?).ok()
    }

    /// The exact decimal a number of units stands for.
    pub fn decimal(self, units: i64) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(units), self.places.min(Precision::MAX_PLACES))
    }
}

impl Serialize for RuleSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RuleSet::serialize(self, serializer)
    }
}

/// Deserialising checks the result whole before handing it out.
impl<'de> Deserialize<'de> for RuleSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let rules = RuleSet::deserialize(deserializer)?;
        rules.validate().map_err(|e| serde::de::Error::custom(format!("not a valid rule set: {e}")))?;
        Ok(rules)
    }
}

/// A rule set read: its parts as the checker built them. The fields are private, so a rule
/// set is made only by the checker or by deserialising one, which validates it
/// ([`RuleSet::validate`]); what reads it can rely on every index in it.
impl RuleSet {
    /// The policy's id (`policy ID "title"`).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn year(&self) -> i64 {
        self.year
    }

    /// The date the policy takes effect, `YYYY-MM-DD`.
    pub fn effective(&self) -> &str {
        &self.effective
    }

    /// The standard in points units (see [`RuleSet::point_unit`]); `None` for a yes/no
    /// programme.
    pub fn standard(&self) -> Option<i64> {
        self.standard
    }

    /// The file the policy extends, as written.
    pub fn extends(&self) -> Option<&str> {
        self.extends.as_deref()
    }

    pub fn doc(&self) -> Option<&str> {
        self.doc.as_deref()
    }

    pub fn enums(&self) -> &[EnumDef] {
        &self.enums
    }

    /// The inputs, by slot (`ExprKind::Input(slot)`).
    pub fn inputs(&self) -> &[InputDef] {
        &self.inputs
    }

    /// The parameters, by slot (`ExprKind::Param(slot)`).
    pub fn params(&self) -> &[ParamDef] {
        &self.params
    }

    pub fn sections(&self) -> &[SectionDef] {
        &self.sections
    }

    /// The items, by index (`ExprKind::Points(index)`), in written order.
    pub fn items(&self) -> &[ItemDef] {
        &self.items
    }

    /// The `best_of` groups.
    pub fn groups(&self) -> &[GroupDef] {
        &self.groups
    }

    /// Item indices in an order where every item comes after those whose points it reads.
    pub fn order(&self) -> &[u16] {
        &self.order
    }

    pub fn eligibility(&self) -> &[RuleDef] {
        &self.eligibility
    }

    pub fn vetoes(&self) -> &[RuleDef] {
        &self.vetoes
    }

    /// The policy's own tests (`test "name" { … }`).
    pub fn tests(&self) -> &[TestDef] {
        &self.tests
    }

    /// What `jifen plan` may change and must assume (`plan { … }`).
    pub fn plan_def(&self) -> &PlanDef {
        &self.plan
    }

    /// The capped groups (`group NAME "label" cap N { … }`).
    pub fn caps(&self) -> &[CapGroupDef] {
        &self.caps
    }

    /// The `output`s, in written order.
    pub fn outputs(&self) -> &[DerivedDef] {
        &self.outputs
    }

    /// The `let`s a test expects, compiled.
    pub fn lets(&self) -> &[DerivedDef] {
        &self.lets
    }

    /// The declared precision of points; `None`: whole points.
    pub fn points(&self) -> Option<Precision> {
        self.points
    }

    /// The total's floor, in points units.
    pub fn floor(&self) -> Option<i64> {
        self.floor
    }

    /// The records list inputs' rows follow.
    pub fn records(&self) -> &[RecordDef] {
        &self.records
    }

    /// How applicants are ranked (`rank { … }`), if the policy says.
    pub fn rank(&self) -> Option<&RankDef> {
        self.rank.as_ref()
    }

    /// The units quantities are counted in, by index (`Unit`).
    pub fn units(&self) -> &[UnitDef] {
        &self.units
    }
}

/// Units by name, for showing quantities.
impl RuleSet {
    /// A unit's plural name (`months`); `?` for a unit this rule set does not declare.
    pub fn unit_name(&self, unit: Unit) -> &str {
        self.units.get(unit.0 as usize).map_or("?", |u| &*u.name)
    }

    /// `month` for one, `months` for any other amount.
    pub fn unit_word(&self, unit: Unit, one: bool) -> &str {
        self.units.get(unit.0 as usize).map_or("?", |u| u.word(one))
    }

    /// A unit's label for people (`个月`), or its name when it has none.
    pub fn unit_label(&self, unit: Unit) -> &str {
        self.units.get(unit.0 as usize).map_or("?", |u| u.label.as_deref().unwrap_or(&u.name))
    }
}

/// Points in a rule set's units, for showing and comparing.
impl RuleSet {
    /// The units of a whole point: 1 for whole points.
    pub fn point_unit(&self) -> i64 {
        self.points.map_or(1, Precision::unit)
    }

    /// The exact number of points a count of units stands for.
    pub fn points_decimal(&self, units: i64) -> Decimal {
        self.points.map_or(Decimal::from(units), |p| p.decimal(units))
    }

    /// Points as a value: whole points as they are, fractional ones as exact decimals.
    pub fn points_value(&self, units: i64) -> Value {
        match self.points {
            Some(p) if p.places > 0 => Value::Dec(p.decimal(units)),
            _ => Value::Int(units),
        }
    }

    /// Points as text: whole points as integers, fractional ones with the declared places
    /// (`49.17`, `120.00`).
    pub fn show_points(&self, units: i64) -> String {
        match self.points {
            Some(p) if p.places > 0 => p.decimal(units).to_string(),
            _ => units.to_string(),
        }
    }

    /// Points as a JSON number, written from the exact decimal (never through a float).
    pub(crate) fn points_json(&self, units: i64) -> serde_json::Value {
        match self.points {
            Some(p) if p.places > 0 => p
                .decimal(units)
                .to_string()
                .parse::<serde_json::Number>()
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            _ => serde_json::Value::from(units),
        }
    }

    /// A number of points written in the policy (a cap, the standard, a test's expectation)
    /// in units, if it is exact at the declared precision.
    pub fn exact_units(&self, points: Decimal) -> Option<i64> {
        let units = points.checked_mul(Decimal::from(self.point_unit()))?;
        if !units.fract().is_zero() {
            return None;
        }
        i64::try_from(units).ok()
    }
}

impl RuleSet {
    /// Compute once every part of the rules that reads no input.
    pub(crate) fn fold_constants(&mut self) {
        let params: Vec<Value> = self.params.iter().map(|p| p.value).collect();
        let fold = |e: &mut Expr| {
            let taken = std::mem::replace(e, Expr::taken());
            *e = taken.fold(&params);
        };
        for item in &mut self.items {
            fold(&mut item.body);
            item.preconditions.iter_mut().for_each(|p| fold(&mut p.condition));
        }
        self.eligibility.iter_mut().chain(self.vetoes.iter_mut()).for_each(|r| fold(&mut r.condition));
        self.outputs.iter_mut().chain(self.lets.iter_mut()).for_each(|d| fold(&mut d.value));
    }

    /// The record of the list input in `slot`.
    pub fn record_of(&self, slot: u16) -> Option<(u16, &RecordDef)> {
        match self.inputs.get(slot as usize)?.ty {
            InputType::List { record, .. } => Some((record, self.records.get(record as usize)?)),
            _ => None,
        }
    }

    /// The name of field `k` of record `record` (`?` if there is none).
    pub fn field_name(&self, record: Option<u16>, k: u16) -> &str {
        record
            .and_then(|r| self.records.get(r as usize))
            .and_then(|r| r.fields.get(k as usize))
            .map_or("?", |f| &f.name)
    }

    pub fn input_slot(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|i| &*i.name == name)
    }

    pub fn item_index(&self, id: &str) -> Option<usize> {
        self.items.iter().position(|i| &*i.id == id)
    }

    /// Human text for a value of an input (the variant name for enums).
    pub fn show_value(&self, ty: InputType, value: Value) -> String {
        match (ty, value) {
            (_, Value::Absent) => "absent".to_string(),
            (InputType::Enum(e), Value::Enum(v)) => self
                .enums
                .get(e as usize)
                .and_then(|d| d.variants.get(v as usize))
                .map(|v| v.name.to_string())
                .unwrap_or_else(|| format!("#{v}")),
            (InputType::List { .. }, Value::Int(n)) => format!("{n} rows"),
            (InputType::Int { unit }, v) | (InputType::Decimal { unit }, v) => {
                let n = show_plain(v);
                match unit {
                    Some(u) => format!("{n} {}", self.unit_name(u)),
                    None => n,
                }
            }
            (_, v) => show_plain(v),
        }
    }
}

/// A value without type context.
pub(crate) fn show_plain(value: Value) -> String {
    match value {
        Value::Int(i) => i.to_string(),
        Value::Dec(d) => d.normalize().to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Enum(v) => format!("#{v}"),
        Value::Absent => "absent".to_string(),
        Value::Date(d) => crate::date::format(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Expr {
        Expr::new(ExprKind::Const(Value::Int(i)), Type::INT)
    }

    fn input(slot: u16) -> Expr {
        Expr::new(ExprKind::Input(slot), Type::BOOL)
    }

    #[test]
    fn children_are_every_subexpression_evaluation_reads_in_source_order() {
        let when = Expr::new(
            ExprKind::When { arms: vec![(input(0), int(1)), (input(1), int(2))], otherwise: Box::new(int(3)) },
            Type::INT,
        );
        let order: Vec<&Expr> = when.children().collect();
        assert_eq!(order, [&input(0), &int(1), &input(1), &int(2), &int(3)]);
        let matched = Expr::new(
            ExprKind::Match { scrutinee: vec![input(2)], arms: vec![(vec![Pattern::Any], int(4))] },
            Type::INT,
        );
        assert_eq!(matched.children().collect::<Vec<_>>(), [&input(2), &int(4)]);
        let per = ExprKind::Per { rate: Box::new(int(3)), operand: Box::new(input(0)), scale: 1, amount: 12.into() };
        assert_eq!(Expr::new(per, Type::INT).children().count(), 2);
        let folded =
            ExprKind::Folded { value: Value::Int(5), source: Box::new(Expr::new(ExprKind::Param(0), Type::INT)) };
        assert_eq!(Expr::new(folded, Type::INT).children().count(), 0, "a folded value reads nothing at evaluation");
        // map_children visits the same nodes, and keeps the node's type.
        let mut seen = 0;
        let mapped = when.map_children(|c| {
            seen += 1;
            c
        });
        assert_eq!(seen, 5);
        assert_eq!(mapped.ty, Type::INT);
        // An aggregate over a list reads its value and its filter.
        let field = |k: u16| Expr::new(ExprKind::Field(k), Type::INT);
        let each = Expr::new(
            ExprKind::Each {
                kind: EachKind::Sum,
                list: 0,
                body: Some(Box::new(field(1))),
                filter: Some(Box::new(Expr::new(
                    ExprKind::Cmp(CmpOp::Ge, Box::new(field(0)), Box::new(int(6))),
                    Type::BOOL,
                ))),
            },
            Type::INT,
        );
        assert_eq!(each.children().count(), 2);
        assert!(each.reads_applicant() && field(0).reads_applicant(), "rows are the applicant's");
        let mut seen = 0;
        let _ = each.map_children(|c| {
            seen += 1;
            c
        });
        assert_eq!(seen, 2);
    }

    #[test]
    fn a_folded_node_keeps_its_sources_type_with_the_kind_of_its_value() {
        let months = Type::number(ValueKind::Int, Some(Unit::MONTHS));
        let twelve = Expr::new(ExprKind::Const(Value::Int(12)), months);
        let sum = Expr::new(ExprKind::Arith(ArithOp::Add, Box::new(twelve.clone()), Box::new(twelve)), months);
        let folded = sum.fold(&[]);
        assert!(matches!(folded.kind, ExprKind::Folded { value: Value::Int(24), .. }));
        assert_eq!(folded.ty, months);
    }
}
