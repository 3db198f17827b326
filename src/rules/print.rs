//! Prints compiled expressions back in policy syntax, with units: `si_months >= 6 months`,
//! `3 per year of si_months`, `match education { doctor => 50, _ => 0 }`. `jifen diff`
//! shows rule changes with it, the language server's hover shows a rule with it, and
//! `jifen doc` writes the indicator table's rules with it ([`Printer::for_readers`]: the
//! same syntax, annotated for people). What [`Printer::new`] prints parses again to the
//! same IR.

use rust_decimal::Decimal;

use super::types::is_full_years;
use super::{ArithOp, CmpOp, Expr, ExprKind, Pattern, RuleSet, Unit, Value};

/// How tightly an operator binds, as in the grammar's precedence table.
mod prec {
    /// `when … else` and `match`: parenthesised anywhere but at the top.
    pub(crate) const ARMS: u8 = 0;
    pub(crate) const OR: u8 = 1;
    pub(crate) const AND: u8 = 2;
    pub(crate) const NOT: u8 = 3;
    pub(crate) const CMP: u8 = 4;
    pub(crate) const ADD: u8 = 5;
    pub(crate) const MUL: u8 = 6;
    pub(crate) const NEG: u8 = 7;
    pub(crate) const COALESCE: u8 = 8;
    pub(crate) const ATOM: u8 = 9;
}

/// Prints the expressions of one rule set.
#[derive(Clone, Copy)]
pub(crate) struct Printer<'r> {
    rs: &'r RuleSet,
    /// Inside an aggregate over a list: the list input whose row `p` is.
    row: Option<u16>,
    /// Enum variants by their label (`大专(高职)`) where they have one, not their name.
    labels: bool,
    /// Yearly parameters followed by their value (`average_wage (12434 yuan)`), and a part
    /// computed from them by the value it comes to (`3 * average_wage (= 37302 yuan)`).
    values: bool,
}

/// What a constant is known to stand for where it is printed.
#[derive(Clone, Copy, Default)]
struct Context {
    unit: Option<Unit>,
    en: Option<u16>,
}

impl<'r> Printer<'r> {
    /// Policy text, as an editor writes it.
    pub(crate) fn new(rs: &'r RuleSet) -> Printer<'r> {
        Printer { rs, row: None, labels: false, values: false }
    }

    /// Policy text for people reading the indicator table: enum variants by their label,
    /// yearly parameters with their value. It reads as the policy does, but is not meant
    /// to be parsed again.
    pub(crate) fn for_readers(rs: &'r RuleSet) -> Printer<'r> {
        Printer { rs, row: None, labels: true, values: true }
    }

    /// A rule as lines: one per arm of a `when` or `match` at its top, else one line.
    pub(crate) fn lines(&self, e: &Expr) -> Vec<String> {
        let result = Context { unit: e.ty.unit, en: e.ty.en };
        match &e.kind {
            ExprKind::When { arms, otherwise } => {
                let mut lines: Vec<String> = arms
                    .iter()
                    .map(|(c, r)| format!("when {} => {}", self.expr(c), self.at(r, prec::OR, result)))
                    .collect();
                lines.push(format!("else => {}", self.at(otherwise, prec::OR, result)));
                lines
            }
            ExprKind::Match { scrutinee, arms } => {
                let mut lines = vec![format!("match {} {{", self.subject(scrutinee))];
                lines.extend(arms.iter().map(|(pattern, r)| {
                    format!("{} => {},", self.patterns(scrutinee, pattern), self.at(r, prec::OR, result))
                }));
                lines.push("}".to_string());
                lines
            }
            _ => vec![self.expr(e)],
        }
    }

    /// `e` in policy syntax.
    pub(crate) fn expr(&self, e: &Expr) -> String {
        self.at(e, prec::ARMS, Context::default())
    }

    /// `e` where its value is known to be in `unit` (a constant gets it written after it).
    pub(crate) fn expr_in(&self, e: &Expr, unit: Option<Unit>) -> String {
        self.at(e, prec::ARMS, Context { unit, en: None })
    }

    /// A value in policy syntax: `6 months`, `doctor`, `true`.
    pub(crate) fn value(&self, v: Value, unit: Option<Unit>, en: Option<u16>) -> String {
        match v {
            Value::Int(_) | Value::Dec(_) => quantity(self.rs, v, unit),
            Value::Enum(i) => match en {
                Some(en) if self.labels => self
                    .rs
                    .enums
                    .get(usize::from(en))
                    .and_then(|d| d.variants.get(usize::from(i)))
                    .and_then(|v| v.label.as_deref())
                    .map_or_else(|| self.rs.variant_name(en, i), str::to_string),
                Some(en) => self.rs.variant_name(en, i),
                None => format!("#{i}"),
            },
            Value::Bool(b) => b.to_string(),
            Value::Absent => "absent".to_string(),
            Value::Date(d) => crate::date::format(d),
        }
    }

    fn at(&self, e: &Expr, min: u8, cx: Context) -> String {
        let (s, p) = self.shown(e, cx);
        if p < min {
            format!("({s})")
        } else {
            s
        }
    }

    /// The context both sides of a comparison or sum share.
    fn shared(&self, a: &Expr, b: &Expr, outer: Context) -> Context {
        Context { unit: a.ty.unit.or(b.ty.unit).or(outer.unit), en: a.ty.en.or(b.ty.en).or(outer.en) }
    }

    fn shown(&self, e: &Expr, cx: Context) -> (String, u8) {
        use prec::*;
        let rs = self.rs;
        let plain = Context::default();
        match &e.kind {
            // The policy's own effective date reads as `effective`, as the editor wrote it.
            ExprKind::Const(Value::Date(d)) if crate::date::parse(&rs.effective).ok() == Some(*d) => {
                ("effective".to_string(), ATOM)
            }
            ExprKind::Const(v) => {
                let p = if matches!(v, Value::Int(i) if *i < 0) || matches!(v, Value::Dec(d) if d.is_sign_negative()) {
                    NEG
                } else {
                    ATOM
                };
                (self.value(*v, e.ty.unit.or(cx.unit), e.ty.en.or(cx.en)), p)
            }
            ExprKind::Input(s) => {
                (rs.inputs.get(usize::from(*s)).map(|i| i.name.to_string()).unwrap_or_default(), ATOM)
            }
            ExprKind::Param(p) => match rs.params.get(usize::from(*p)) {
                Some(p) if self.values => (format!("{} ({})", p.name, quantity(rs, p.value, p.unit)), ATOM),
                Some(p) => (p.name.to_string(), ATOM),
                None => (String::new(), ATOM),
            },
            ExprKind::Points(i) => (format!("points({})", rs.items.get(usize::from(*i)).map_or("?", |i| &*i.id)), ATOM),
            // For readers, a part computed from yearly parameters: its source with the
            // parameters by name, then the value it comes to.
            ExprKind::Folded { value, source } if self.values && mentions_param(source) && !is_param(source) => {
                let bare = Printer { values: false, ..*self };
                let (s, p) = bare.shown(source, cx);
                let unit = source.ty.unit.or(cx.unit);
                (format!("{s} (= {})", self.value(*value, unit, source.ty.en.or(cx.en))), p)
            }
            // The source, as written: `3 * average_wage`, not its value.
            ExprKind::Folded { source, .. } => self.shown(source, cx),
            ExprKind::Neg(a) => (format!("-{}", self.at(a, NEG + 1, cx)), NEG),
            ExprKind::Not(a) => match &a.kind {
                ExprKind::In(x, set) => (self.member(x, set, "not in"), CMP),
                _ => (format!("not {}", self.at(a, NOT, plain)), NOT),
            },
            ExprKind::Arith(op, a, b) => {
                let (sym, p) = match op {
                    ArithOp::Add => ("+", ADD),
                    ArithOp::Sub => ("-", ADD),
                    ArithOp::Mul => ("*", MUL),
                    ArithOp::Div => ("/", MUL),
                };
                // A sum's sides share its unit; a product's constant factor is plain.
                let sides = match op {
                    ArithOp::Add | ArithOp::Sub => self.shared(a, b, cx),
                    ArithOp::Mul | ArithOp::Div => plain,
                };
                (format!("{} {sym} {}", self.at(a, p, sides), self.at(b, p + 1, sides)), p)
            }
            ExprKind::Cmp(op, a, b) => {
                let sym = match op {
                    CmpOp::Eq => "==",
                    CmpOp::Ne => "!=",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                let sides = self.shared(a, b, plain);
                (format!("{} {sym} {}", self.at(a, CMP + 1, sides), self.at(b, CMP + 1, sides)), CMP)
            }
            ExprKind::And(a, b) => (format!("{} and {}", self.at(a, AND, plain), self.at(b, AND + 1, plain)), AND),
            // An `and` beside an `or` keeps its parentheses, so a reader needs no precedence rules.
            ExprKind::Or(a, b) => {
                let side = |x: &Expr, min: u8| match x.kind {
                    ExprKind::And(..) => format!("({})", self.expr(x)),
                    _ => self.at(x, min, plain),
                };
                (format!("{} or {}", side(a, OR), side(b, OR + 1)), OR)
            }
            ExprKind::In(x, set) => (self.member(x, set, "in"), CMP),
            ExprKind::Coalesce(a, b) => {
                let sides = self.shared(a, b, cx);
                (format!("{} ?? {}", self.at(a, COALESCE, sides), self.at(b, COALESCE + 1, sides)), COALESCE)
            }
            ExprKind::IsPresent(a) => (format!("present({})", self.expr(a)), ATOM),
            ExprKind::Per { rate, operand, scale, amount } => {
                if is_full_years(e) {
                    return (format!("full_years({})", self.expr(operand)), ATOM);
                }
                let amount = per_amount(rs, operand.ty.unit, *scale, *amount);
                (format!("{} per {amount} of {}", self.at(rate, MUL, plain), self.at(operand, MUL + 1, plain)), MUL)
            }
            ExprKind::Min(args) | ExprKind::Max(args) => {
                let f = if matches!(e.kind, ExprKind::Min(_)) { "min" } else { "max" };
                let unit = e.ty.unit.or(cx.unit);
                let inner = Context { unit, ..cx };
                let args: Vec<String> = args.iter().map(|a| self.at(a, OR, inner)).collect();
                (format!("{f}({})", args.join(", ")), ATOM)
            }
            ExprKind::Floor(a) => (format!("floor({})", self.expr_in(a, cx.unit)), ATOM),
            ExprKind::Between(unit, a, b) => (format!("{}({}, {})", unit.function(), self.expr(a), self.expr(b)), ATOM),
            ExprKind::Field(k) => {
                let record = self.row.and_then(|l| rs.record_of(l)).map(|(r, _)| r);
                (format!("p.{}", rs.field_name(record, *k)), ATOM)
            }
            ExprKind::Each { kind, list, body, filter } => {
                let inside = Printer { row: Some(*list), ..*self };
                let name = rs.inputs.get(usize::from(*list)).map(|i| i.name.to_string()).unwrap_or_default();
                let head = match body {
                    Some(b) => format!("{} for p in {name}", inside.expr(b)),
                    None => format!("p in {name}"),
                };
                let filter = filter.as_ref().map(|f| format!(" where {}", inside.expr(f))).unwrap_or_default();
                (format!("{}({head}{filter})", kind.name()), ATOM)
            }
            ExprKind::When { arms, otherwise } => {
                let result = Context { unit: e.ty.unit.or(cx.unit), en: e.ty.en.or(cx.en) };
                let mut parts: Vec<String> =
                    arms.iter().map(|(c, r)| format!("when {} => {}", self.expr(c), self.at(r, OR, result))).collect();
                parts.push(format!("else => {}", self.at(otherwise, OR, result)));
                (parts.join(" "), ARMS)
            }
            ExprKind::Match { scrutinee, arms } => {
                let result = Context { unit: e.ty.unit.or(cx.unit), en: e.ty.en.or(cx.en) };
                let arms: Vec<String> = arms
                    .iter()
                    .map(|(pattern, r)| format!("{} => {}", self.patterns(scrutinee, pattern), self.at(r, OR, result)))
                    .collect();
                (format!("match {} {{ {} }}", self.subject(scrutinee), arms.join(", ")), ARMS)
            }
        }
    }

    /// What a `match` looks at: `education`, or `(a, b)` for several.
    fn subject(&self, scrutinee: &[Expr]) -> String {
        let shown: Vec<String> = scrutinee.iter().map(|s| self.at(s, prec::OR, Context::default())).collect();
        parenthesised(shown)
    }

    /// One arm's patterns, each in the unit and enum of what it is matched against.
    fn patterns(&self, scrutinee: &[Expr], pattern: &[Pattern]) -> String {
        parenthesised(self.pattern_cells(scrutinee, pattern, true))
    }

    /// One arm's patterns one by one: `_`, or its values joined by `|`, each in the enum of
    /// what it is matched against (and its unit, `with_units`).
    pub(crate) fn pattern_cells(&self, scrutinee: &[Expr], pattern: &[Pattern], with_units: bool) -> Vec<String> {
        pattern
            .iter()
            .zip(scrutinee)
            .map(|(p, s)| match p {
                Pattern::Any => "_".to_string(),
                Pattern::OneOf(values) => {
                    let unit = if with_units { s.ty.unit } else { None };
                    values.iter().map(|v| self.value(*v, unit, s.ty.en)).collect::<Vec<_>>().join(" | ")
                }
            })
            .collect()
    }

    fn member(&self, x: &Expr, set: &[Value], word: &str) -> String {
        let cx = Context { unit: x.ty.unit, en: x.ty.en };
        let values: Vec<String> = set.iter().map(|v| self.value(*v, cx.unit, cx.en)).collect();
        format!("{} {word} [{}]", self.at(x, prec::CMP + 1, Context::default()), values.join(", "))
    }
}

/// One shown alone, several as a tuple: `a` or `(a, b)`.
fn parenthesised(shown: Vec<String>) -> String {
    if shown.len() == 1 {
        shown.concat()
    } else {
        format!("({})", shown.join(", "))
    }
}

/// Whether a computed part reads a yearly parameter (so its value is worth showing).
fn mentions_param(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Param(_) => true,
        ExprKind::Folded { source, .. } | ExprKind::Neg(source) => mentions_param(source),
        ExprKind::Arith(_, a, b) => mentions_param(a) || mentions_param(b),
        _ => false,
    }
}

/// A parameter alone (its value is shown beside its name already).
fn is_param(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Param(_) => true,
        ExprKind::Folded { source, .. } => is_param(source),
        _ => false,
    }
}

/// A number with its unit: `6 months`, `1 year`, `12434 yuan`, `2.5`.
pub(crate) fn quantity(rs: &RuleSet, v: Value, unit: Option<Unit>) -> String {
    let n = super::show_plain(v);
    match unit {
        Some(u) => format!("{n} {}", rs.unit_word(u, n == "1")),
        None => n,
    }
}

/// The amount a `per` counts, in the unit of what it counts, as the policy writes it:
/// `year` for twelve months, `6 months`, `1000 yuan`, `10`.
fn per_amount(rs: &RuleSet, unit: Option<Unit>, scale: i64, amount: Decimal) -> String {
    let plain = |d: Decimal| d.normalize().to_string();
    let one_or = |n: Decimal, u: Unit| {
        if n == Decimal::ONE {
            rs.unit_word(u, true).to_string()
        } else {
            format!("{} {}", plain(n), rs.unit_word(u, false))
        }
    };
    let twelve = Decimal::from(12);
    match unit {
        // Counted in months: the amount is in months (a whole number of years reads as years).
        Some(Unit::MONTHS) if !amount.is_zero() && (amount % twelve).is_zero() => one_or(amount / twelve, Unit::YEARS),
        // Counted in years: a scale of 12 means the amount is in months.
        Some(Unit::YEARS) if scale == 12 => one_or(amount, Unit::MONTHS),
        Some(u) => one_or(amount, u),
        None => plain(amount / Decimal::from(scale.max(1))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::MemoryLoader;
    use crate::rules::{Type, ValueKind};

    fn bundled(name: &str) -> RuleSet {
        crate::compile_bundled(name).expect("bundled policy compiles")
    }

    /// `Folded` nodes carry their source; compare what evaluation reads.
    fn strip(e: &Expr) -> Expr {
        match &e.kind {
            ExprKind::Folded { source, .. } => strip(source),
            _ => e.clone().map_children(|c| strip(&c)),
        }
    }

    /// Every rule of the bundled policies prints as policy text that compiles back to the
    /// same IR: each item is overridden, in a child year, by its printed body and
    /// preconditions.
    #[test]
    fn printed_rules_compile_back_to_the_same_rules() {
        for year in ["2024", "2025"] {
            let rs = bundled(&format!("policies/{year}.policy"));
            let p = Printer::new(&rs);
            let mut child = format!(
                "policy printed \"printed\" extends \"{year}\" {{\n    year 2099\n    effective 2099-01-01\n}}\n"
            );
            for item in &rs.items {
                child.push_str(&format!("override item {} \"{}\" {{\n", item.id, item.label));
                for pre in &item.preconditions {
                    child.push_str(&format!("    requires {} \"{}\"\n", p.expr(&pre.condition), pre.reason));
                }
                child.push_str(&format!("    {}\n}}\n", p.expr(&item.body)));
            }
            let files = crate::BUNDLED.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
            let report = crate::check_with("printed.policy", &child, &MemoryLoader { files });
            let errors: Vec<String> =
                report.diagnostics.list.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
            let again =
                report.ruleset.unwrap_or_else(|| panic!("{year}: printed rules do not compile: {errors:?}\n{child}"));
            for item in &rs.items {
                let other = &again.items[again.item_index(&item.id).expect("same items")];
                assert_eq!(strip(&other.body), strip(&item.body), "{year} {}: `{}`", item.id, p.expr(&item.body));
                for (a, b) in other.preconditions.iter().zip(&item.preconditions) {
                    assert_eq!(
                        strip(&a.condition),
                        strip(&b.condition),
                        "{year} {}: `{}`",
                        item.id,
                        p.expr(&b.condition)
                    );
                }
            }
        }
    }

    #[test]
    fn constants_take_the_unit_of_what_they_are_compared_with() {
        let rs = bundled("policies/2025.policy");
        let slot = |n: &str| {
            let slot = rs.input_slot(n).expect(n);
            let ty = Type::of_input(rs.inputs[slot].ty);
            Box::new(Expr::new(ExprKind::Input(u16::try_from(slot).expect("slot")), ty))
        };
        // Plain numbers: their unit comes from what they are compared with.
        let int = |i: i64| Box::new(Expr::new(ExprKind::Const(Value::Int(i)), Type::INT));
        let whole = |kind: ExprKind| Expr::new(kind, Type::INT);
        let p = Printer::new(&rs);
        let cmp = |op, a, b| Expr::new(ExprKind::Cmp(op, a, b), Type::BOOL);
        assert_eq!(p.expr(&cmp(CmpOp::Ge, slot("si_months"), int(6))), "si_months >= 6 months");
        assert_eq!(p.expr(&cmp(CmpOp::Lt, int(1), slot("si_months"))), "1 month < si_months");
        let per = |rate: i64, ty| {
            Expr::new(ExprKind::Per { rate: int(rate), operand: slot("si_months"), scale: 1, amount: 12.into() }, ty)
        };
        assert_eq!(p.expr(&per(3, Type::INT)), "3 per year of si_months");
        let years = Type::number(ValueKind::Int, Some(Unit::YEARS));
        assert_eq!(p.expr(&per(1, years)), "full_years(si_months)");
        assert_eq!(p.expr(&per(1, Type::INT)), "1 per year of si_months", "a plain count is not in years");
        let sum = whole(ExprKind::Arith(
            ArithOp::Mul,
            Box::new(whole(ExprKind::Arith(ArithOp::Add, int(1), int(2)))),
            int(3),
        ));
        assert_eq!(p.expr(&sum), "(1 + 2) * 3");
        let nested = whole(ExprKind::Arith(
            ArithOp::Sub,
            int(1),
            Box::new(whole(ExprKind::Arith(ArithOp::Sub, int(2), int(3)))),
        ));
        assert_eq!(p.expr(&nested), "1 - (2 - 3)");
    }
}
