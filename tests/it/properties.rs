//! Properties of evaluation under the bundled 2025 policy, for applicants drawn from its
//! input schema (each input within its declared range): points add up, caps hold, the
//! result is deterministic and monotone in months of social insurance, and an applicant
//! that passed validation always evaluates — extreme values included — and the scorer
//! gives what the reference evaluator gives.

use std::sync::OnceLock;

use jifen::internals::applicant::NumberProblem;
use jifen::rules::{InputDef, InputType, RuleSet, Value};
use jifen::{Applicant, Outcome};
use proptest::prelude::*;

fn policy() -> &'static RuleSet {
    static POLICY: OnceLock<RuleSet> = OnceLock::new();
    POLICY.get_or_init(|| jifen::bundled_policy().unwrap())
}

/// How far values are drawn: as people have them, or anywhere the schema allows.
#[derive(Clone, Copy, Debug)]
enum Reach {
    Plausible,
    Extreme,
}

/// A bound of an input's range as a whole number (decimal bounds rounded inward).
fn bound(d: Option<impl ToString>, lower: bool) -> Option<i64> {
    let text = d?.to_string();
    let value: f64 = text.parse().ok()?;
    let whole = if lower { value.ceil() } else { value.floor() };
    Some(whole.clamp(i64::MIN as f64, i64::MAX as f64) as i64)
}

/// The JSON text of one value for `input`, drawn within its declared range.
fn value(input: &InputDef, reach: Reach) -> BoxedStrategy<String> {
    let lo = bound(input.min, true).unwrap_or(0);
    let declared_hi = bound(input.max, false);
    let hi = match reach {
        Reach::Plausible => declared_hi.unwrap_or(lo.saturating_add(600)),
        Reach::Extreme => declared_hi.unwrap_or(i64::MAX),
    };
    let ruleset = policy();
    match input.ty {
        InputType::Bool => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        InputType::Enum(e) => {
            let names: Vec<String> =
                ruleset.enums()[e as usize].variants.iter().map(|v| format!("\"{}\"", v.name)).collect();
            proptest::sample::select(names).boxed()
        }
        InputType::Int { .. } => {
            prop_oneof![3 => lo..=hi, 1 => Just(lo), 1 => Just(hi)].prop_map(|v| v.to_string()).boxed()
        }
        InputType::Decimal { .. } => {
            let cents = (0u32..100).prop_map(|c| format!(".{c:02}"));
            let whole = prop_oneof![3 => lo..hi.max(lo + 1), 1 => Just(lo)];
            let drawn = (whole, cents).prop_map(|(w, c)| format!("{w}{c}"));
            match (reach, declared_hi) {
                // The largest decimal there is: 2^96 − 1.
                (Reach::Extreme, None) => {
                    prop_oneof![3 => drawn, 1 => Just("79228162514264337593543950335".to_string())].boxed()
                }
                (_, Some(hi)) => prop_oneof![3 => drawn, 1 => Just(hi.to_string())].boxed(),
                _ => drawn.boxed(),
            }
        }
        // Any day of the years a date may have.
        InputType::Date => {
            (-354_285i32..=2_932_896).prop_map(|d| format!("\"{}\"", jifen::internals::date::format(d))).boxed()
        }
        // The 2025 policy has no lists (tests/it/records.rs draws rows for one that has).
        InputType::List { .. } => Just("[]".to_string()).boxed(),
    }
}

/// An applicant as JSON text: every required input, each optional one or one with a
/// default sometimes left out (or given as null, when optional).
fn applicant_json(reach: Reach) -> impl Strategy<Value = String> {
    let fields: Vec<BoxedStrategy<Option<String>>> = policy()
        .inputs()
        .iter()
        .map(|input| {
            let name = input.name.to_string();
            let given = value(input, reach).prop_map(move |v| Some(format!("\"{name}\": {v}")));
            let null = format!("\"{}\": null", input.name);
            match (input.optional, input.default.is_some()) {
                (true, _) => prop_oneof![2 => given, 1 => Just(None), 1 => Just(Some(null))].boxed(),
                (false, true) => prop_oneof![1 => given, 1 => Just(None)].boxed(),
                (false, false) => given.boxed(),
            }
        })
        .collect();
    fields.prop_map(|fields| format!("{{{}}}", fields.into_iter().flatten().collect::<Vec<_>>().join(", ")))
}

fn read(json: &str) -> Applicant {
    match policy().applicant_from_json(json) {
        Ok(applicant) => applicant,
        Err(e) => panic!("a drawn applicant is valid: {e}\n{json}"),
    }
}

fn evaluate<'r>(ruleset: &'r RuleSet, applicant: &Applicant) -> Outcome<'r> {
    match ruleset.evaluate(applicant) {
        Ok(outcome) => outcome,
        Err(e) => panic!("a valid applicant evaluates: {e}"),
    }
}

fn slot(name: &str) -> usize {
    policy().inputs().iter().position(|i| &*i.name == name).unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

#[test]
fn the_2025_policy_has_no_section_caps() {
    // The sums below are plain sums because of this.
    assert!(policy().sections().iter().all(|s| s.cap.is_none()));
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_total_is_the_sum_of_the_sections_and_each_section_the_sum_of_its_items(json in applicant_json(Reach::Plausible)) {
        let ruleset = policy();
        let outcome = evaluate(ruleset, &read(&json));
        let sections: i64 = outcome.sections.iter().map(|s| s.points).sum();
        prop_assert_eq!(outcome.total, sections);
        for (section, def) in outcome.sections.iter().zip(ruleset.sections()) {
            let items: i64 = def.items.iter().map(|i| outcome.items[*i as usize].points).sum();
            prop_assert_eq!(section.points, items, "section {}", section.id);
        }
    }

    #[test]
    fn no_item_exceeds_its_cap(json in applicant_json(Reach::Extreme)) {
        let ruleset = policy();
        let outcome = evaluate(ruleset, &read(&json));
        for (item, def) in outcome.items.iter().zip(ruleset.items()) {
            let Some(cap) = def.cap else { continue };
            if ruleset.sections()[def.section as usize].deduction {
                prop_assert!(item.points >= -cap, "{} = {} beyond −{}", item.id, item.points, cap);
            } else {
                prop_assert!(item.points <= cap, "{} = {} over {}", item.id, item.points, cap);
            }
        }
    }

    #[test]
    fn evaluation_is_deterministic(json in applicant_json(Reach::Plausible)) {
        let ruleset = policy();
        let applicant = read(&json);
        let first = evaluate(ruleset, &applicant);
        let second = evaluate(ruleset, &read(&json));
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(&first, &evaluate(ruleset, &applicant));
    }

    #[test]
    fn more_months_of_social_insurance_never_lower_the_total(
        json in applicant_json(Reach::Plausible),
        more in 1i64..=240,
    ) {
        let ruleset = policy();
        let applicant = read(&json);
        let si_months = slot("si_months");
        let Value::Int(months) = applicant.values[si_months] else { panic!("si_months is whole") };
        let mut longer = applicant.clone();
        longer.values[si_months] = Value::Int(months.saturating_add(more));
        let before = evaluate(ruleset, &applicant).total;
        let after = evaluate(ruleset, &longer).total;
        prop_assert!(after >= before, "{} months: {}, {} months: {}", months, before, months.saturating_add(more), after);
    }

    #[test]
    fn the_scorer_gives_the_reference_outcome_even_with_extreme_values(
        json in prop_oneof![applicant_json(Reach::Plausible), applicant_json(Reach::Extreme)],
    ) {
        let ruleset = policy();
        let applicant = read(&json);
        prop_assert_eq!(ruleset.scorer().evaluate(&applicant), ruleset.evaluate(&applicant));
    }

    #[test]
    fn a_valid_applicant_always_evaluates_even_with_extreme_values(json in applicant_json(Reach::Extreme)) {
        let ruleset = policy();
        let outcome = evaluate(ruleset, &read(&json));
        // Points saturate at ±i64::MAX rather than overflow; sums are exact before they
        // saturate, so a huge bonus and a huge deduction cancel out.
        let sections: i128 = outcome.sections.iter().map(|s| s.points as i128).sum();
        prop_assert_eq!(outcome.total as i128, sections.clamp(-(i64::MAX as i128), i64::MAX as i128));
        prop_assert!(outcome.items.iter().all(|i| i.points != i64::MIN));
    }
}

#[test]
fn the_largest_values_of_every_input_evaluate() {
    // Every unbounded whole number at i64::MAX and every unbounded decimal at 2^96 − 1.
    let ruleset = policy();
    let fields: Vec<String> = ruleset
        .inputs()
        .iter()
        .filter_map(|input| {
            let v = match input.ty {
                InputType::Bool => "true".to_string(),
                InputType::Enum(e) => format!("\"{}\"", ruleset.enums()[e as usize].variants.last()?.name),
                InputType::Int { .. } => bound(input.max, false).unwrap_or(i64::MAX).to_string(),
                InputType::Decimal { .. } => match bound(input.max, false) {
                    Some(hi) => hi.to_string(),
                    None => "79228162514264337593543950335".to_string(),
                },
                InputType::Date => "\"9999-12-31\"".to_string(),
                InputType::List { .. } => "[]".to_string(),
            };
            Some(format!("\"{}\": {v}", input.name))
        })
        .collect();
    let json = format!("{{{}}}", fields.join(", "));
    evaluate(ruleset, &read(&json));
}

// ---------------------------------------------------------------- numbers read exactly

/// A number's text as a test draws it: sign, whole digits, fraction digits (`None`: no
/// point), exponent (`None`: none). Zeros are drawn often, so that leading and trailing
/// zeros (which a decimal does not count) come up.
fn number_text() -> impl Strategy<Value = String> {
    let digits = |max: usize| {
        proptest::collection::vec(prop_oneof![2 => Just('0'), 3 => proptest::char::range('0', '9')], 0..max)
    };
    (
        proptest::sample::select(vec!["", "-"]),
        digits(40),
        proptest::option::of(digits(40)),
        proptest::option::of(-45i32..45),
    )
        .prop_filter_map("a number has a digit", |(sign, whole, fraction, exponent)| {
            let whole: String = whole.into_iter().collect();
            let fraction: Option<String> = fraction.map(|f| f.into_iter().collect());
            // JSON's grammar: a whole part, without leading zeros, and digits after a point.
            let whole = match whole.trim_start_matches('0') {
                "" => "0".to_string(),
                w => w.to_string(),
            };
            let fraction = match fraction {
                Some(f) if f.is_empty() => None,
                f => f,
            };
            let mut text = format!("{sign}{whole}");
            if let Some(f) = fraction {
                text.push('.');
                text.push_str(&f);
            }
            if let Some(e) = exponent {
                text.push_str(&format!("e{e}"));
            }
            Some(text)
        })
}

/// What a number's text means, worked out on its digits alone: the significand without
/// its zeros at either end and the power of ten it is multiplied by, or `None` for zero.
fn significand_and_power(text: &str) -> Option<(bool, String, i64)> {
    let negative = text.starts_with('-');
    let text = text.trim_start_matches('-');
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i64>().unwrap()),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let power = exponent - fraction.len() as i64;
    let trimmed = digits.trim_start_matches('0');
    let significand = trimmed.trim_end_matches('0');
    if significand.is_empty() {
        return None;
    }
    Some((negative, significand.to_string(), power + (trimmed.len() - significand.len()) as i64))
}

/// The shortest plain text of a number (as `Decimal`'s `Display` gives a normalised value).
fn canonical(negative: bool, significand: &str, power: i64) -> String {
    let sign = if negative { "-" } else { "" };
    if power >= 0 {
        return format!("{sign}{significand}{}", "0".repeat(power as usize));
    }
    let scale = (-power) as usize;
    if significand.len() > scale {
        let (whole, fraction) = significand.split_at(significand.len() - scale);
        format!("{sign}{whole}.{fraction}")
    } else {
        format!("{sign}0.{}{significand}", "0".repeat(scale - significand.len()))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..config() })]

    /// No accepted number changes value: what is read is exactly what was written, and a
    /// number of at most 28 significant digits and 28 after the point is always accepted.
    #[test]
    fn no_accepted_number_changes_value(text in number_text()) {
        let read = jifen::internals::applicant::exact_decimal(&text);
        match significand_and_power(&text) {
            None => prop_assert_eq!(read.map(|d| d.is_zero()), Ok(true), "{}", text),
            Some((negative, significand, power)) => {
                let expected = canonical(negative, &significand, power);
                match read {
                    Ok(d) => prop_assert_eq!(d.normalize().to_string(), expected, "{}", text),
                    Err(problem) => {
                        // Digits before the point: the value is below 10^before, at least 10^(before − 1).
                        let before = significand.len() as i64 + power;
                        let fits = significand.len() <= 28 && power >= -28 && before <= 28;
                        prop_assert!(!fits, "{} ({}) fits 28 digits but was refused: {:?}", text, expected, problem);
                        let why_holds = match problem {
                            // 2^96 has 29 digits.
                            NumberProblem::TooLarge => before >= 29,
                            NumberProblem::TooSmall => before <= -28,
                            NumberProblem::TooPrecise => significand.len() > 28 || power < -28,
                            NumberProblem::NotANumber => false,
                        };
                        prop_assert!(why_holds, "{} ({}): {:?}", text, expected, problem);
                    }
                }
            }
        }
    }

    /// The same through the applicant reader, as a JSON number and as a string: a decimal
    /// input takes the exact value or the applicant is refused naming the key.
    #[test]
    fn an_applicants_decimal_is_the_number_written(text in number_text()) {
        let text = text.trim_start_matches('-');
        let expected = match significand_and_power(text) {
            None => "0".to_string(),
            Some((negative, significand, power)) => canonical(negative, &significand, power),
        };
        let slot = slot("invest_tax_yuan");
        for given in [text.to_string(), format!("\"{text}\"")] {
            let json = format!(r#"{{"age": 30, "si_months": 6, "invest_tax_yuan": {given}}}"#);
            match policy().applicant_from_json(&json) {
                Ok(applicant) => match applicant.values[slot] {
                    Value::Dec(d) => prop_assert_eq!(d.normalize().to_string(), expected.clone(), "{}", given),
                    other => prop_assert!(false, "{}: {:?}", given, other),
                },
                Err(e) => prop_assert_eq!(e.key(), Some("invest_tax_yuan"), "{}: {}", given, e),
            }
        }
    }
}
