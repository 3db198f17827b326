//! The scorer (lowered expressions, reused scratch) against the reference evaluator: the
//! same outcome, item by item and status by status, for every policy in the repository,
//! on each policy's own test applicants and on generated ones.

use std::path::{Path, PathBuf};

use jifen::internals::population::{generate_row, Rng};
use jifen::{Applicant, FsLoader, RuleSet, Scores};

/// Every policy that compiles: the bundled years and the corpus's good examples.
fn policies() -> Vec<(String, RuleSet)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = vec![root.join("policies/2024.policy"), root.join("policies/2025.policy")];
    for feature in std::fs::read_dir(root.join("tests")).expect("tests/ is readable").flatten() {
        if let Ok(good) = std::fs::read_dir(feature.path().join("good")) {
            files.extend(good.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "policy")));
        }
    }
    files.sort();
    let compiled: Vec<(String, RuleSet)> = files
        .iter()
        .filter_map(|path| {
            let name = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(path).ok()?;
            jifen::check_with(&name, &text, &FsLoader).ruleset.map(|rs| (name, rs))
        })
        .collect();
    assert!(compiled.len() >= 15, "expected the bundled policies and the good corpus, found {}", compiled.len());
    compiled
}

/// The policy's own test applicants and some generated ones.
fn applicants(rs: &RuleSet) -> Vec<Applicant> {
    let mut all: Vec<Applicant> = rs.tests().iter().map(|t| rs.test_applicant(t)).collect();
    let mut rng = Rng::new(11);
    for i in 0..300 {
        let row = generate_row(rs, &mut rng, i);
        // `gen` names its rows `synthetic-NNNNNN`; the id is not a fact of the policy.
        let id = format!("\"id\":\"synthetic-{i:06}\"");
        let row = row.replacen(&format!("{{{id},"), "{", 1).replacen(&format!("{{{id}}}"), "{}", 1);
        if let Ok(a) = rs.applicant_from_json(&row) {
            all.push(a);
        }
    }
    all
}

#[test]
fn the_scorer_gives_the_reference_outcome_for_every_policy() {
    let mut compared = 0;
    for (name, rs) in policies() {
        let scorer = rs.scorer();
        let mut scores = Scores::default();
        for (k, applicant) in applicants(&rs).iter().enumerate() {
            let reference = rs.evaluate(applicant);
            let fast = scorer.evaluate(applicant);
            assert_eq!(fast, reference, "{name}, applicant {k}: {applicant:?}");
            let light = scorer.score(applicant, &mut scores);
            match reference {
                Ok(o) => {
                    assert!(light.is_ok(), "{name}, applicant {k}");
                    assert_eq!(scores.total, o.total, "{name}, applicant {k}");
                    assert_eq!(
                        (scores.eligible, scores.vetoed, scores.meets_standard),
                        (o.eligible, o.vetoed, o.meets_standard),
                        "{name}, applicant {k}"
                    );
                    let points: Vec<i64> = o.items.iter().map(|i| i.points).collect();
                    assert_eq!(scores.points, points, "{name}, applicant {k}");
                }
                Err(e) => assert_eq!(light, Err(e), "{name}, applicant {k}"),
            }
            compared += 1;
        }
    }
    assert!(compared > 4000, "compared only {compared} applicants");
}

#[test]
fn the_lowered_code_decides_plausible_applicants_of_the_bundled_years_alone() {
    // Falling back is always right but slow; for the real policies it must be the exception.
    for year in ["policies/2024.policy", "policies/2025.policy"] {
        let rs = jifen::compile_bundled(year).expect("the bundled policies compile");
        let scorer = rs.scorer();
        let applicants = applicants(&rs);
        let alone = applicants.iter().filter(|a| scorer.decides_alone(a)).count();
        assert_eq!(alone, applicants.len(), "{year}: {alone} of {} decided without falling back", applicants.len());
    }
}

/// Every policy the repository compiles is whole: it validates, and reads back from its JSON
/// as the same rule set.
#[test]
fn every_compiled_policy_validates_and_reads_back_from_json() {
    for (name, rs) in policies() {
        rs.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let json = serde_json::to_string(&rs).expect("a rule set serialises");
        let back: RuleSet = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(back == rs, "{name}: read back differently");
    }
}

/// The kind of value each node of the IR carries (`Expr::ty`, which the `Scorer` lowers by)
/// agrees with what was declared: every item's points are a number, every precondition,
/// requirement and veto a yes/no, and every `output` of the kind it was declared with — on
/// every policy the repository compiles.
#[test]
fn kinds_carried_by_the_ir_agree_with_the_declarations() {
    use jifen::rules::{InputType, ValueKind};
    let declared = |ty: InputType| match ty {
        InputType::Int { .. } => ValueKind::Int,
        InputType::Decimal { .. } => ValueKind::Dec,
        InputType::Bool => ValueKind::Bool,
        InputType::Enum(_) => ValueKind::Variant,
        InputType::Date => ValueKind::Date,
        InputType::List { .. } => ValueKind::Unknown,
    };
    let mut checked = 0;
    for (name, rs) in policies() {
        for item in rs.items() {
            let kind = item.body.ty.kind;
            assert!(kind.numeric(), "{name}: item `{}` gives {kind:?}", item.id);
            for p in &item.preconditions {
                assert_eq!(p.condition.ty.kind, ValueKind::Bool, "{name}: a precondition of `{}`", item.id);
            }
            checked += 1;
        }
        for rule in rs.eligibility().iter().chain(rs.vetoes()) {
            assert_eq!(rule.condition.ty.kind, ValueKind::Bool, "{name}: rule `{}`", rule.id);
        }
        for output in rs.outputs() {
            let (got, want) = (output.value.ty.kind, declared(output.ty));
            let widened = want == ValueKind::Dec && got == ValueKind::Int;
            assert!(got == want || widened, "{name}: output `{}`: {got:?}, declared {want:?}", output.name);
        }
    }
    assert!(checked > 100, "the policies were found ({checked} items)");
}

/// A rule set read from JSON whose indices do not hold together is refused when read, naming
/// what is wrong, so no evaluator ever runs it: an item left out of `order`, an item listed by
/// a section it does not name, an input slot past the end, a test expecting a missing item,
/// a type naming a unit or an enum that is not declared.
#[test]
fn a_deserialised_rule_set_that_does_not_hold_together_is_refused() {
    let rs = jifen::bundled_policy().expect("the bundled policy compiles");
    let json = serde_json::to_value(&rs).expect("a rule set serialises");
    let refused = |changed: serde_json::Value| -> String {
        match serde_json::from_value::<RuleSet>(changed) {
            Ok(_) => panic!("an inconsistent rule set was read"),
            Err(e) => e.to_string(),
        }
    };
    let n = rs.items().len();

    let mut short_order = json.clone();
    short_order["order"].as_array_mut().expect("order").pop();
    let e = refused(short_order);
    assert!(e.contains(&format!("`order` lists {} items of {n}", n - 1)), "{e}");

    let mut moved = json.clone();
    let item = moved["sections"][0]["items"].as_array_mut().expect("items").remove(0);
    let last = rs.sections().len() - 1;
    moved["sections"][last]["items"].as_array_mut().expect("items").push(item);
    let e = refused(moved);
    assert!(e.contains("is not listed once, by its own section"), "{e}");

    let mut far = json.clone();
    far["items"][0]["body"] = serde_json::json!({"kind": {"Input": 999}, "ty": {"kind": "Int"}});
    let e = refused(far);
    assert!(e.contains(&format!("item `{}`: input #999 does not exist", rs.items()[0].id)), "{e}");

    for (named, what) in [("unit", "unit #999"), ("enum", "enum #999")] {
        let mut typed = json.clone();
        typed["items"][0]["body"]["ty"][named] = serde_json::json!(999);
        let e = refused(typed);
        assert!(e.contains(&format!("item `{}`: a type names {what} does not exist", rs.items()[0].id)), "{e}");
    }

    let mut expects = json.clone();
    let test = &mut expects["tests"][0]["expectations"][0];
    test["target"] = serde_json::json!({"Item": n});
    let e = refused(expects);
    assert!(e.contains(&format!("item #{n} does not exist")), "{e}");

    // Types are the checker's to prove: a yes/no input typed as a whole number and added to
    // one reads (its indices hold), and evaluating it is an error of that item in both
    // evaluators, not a panic.
    let flag = rs.inputs().iter().position(|i| i.ty == jifen::rules::InputType::Bool).expect("a yes/no input");
    let mut mistyped = json.clone();
    let int = serde_json::json!({"kind": "Int"});
    mistyped["items"][0]["body"] = serde_json::json!({
        "kind": {"Arith": ["Add", {"kind": {"Input": flag}, "ty": int}, {"kind": {"Const": {"Int": 1}}, "ty": int}]},
        "ty": int,
    });
    let mistyped: RuleSet = serde_json::from_value(mistyped).expect("indices hold");
    let applicant = mistyped
        .applicant_from_json(r#"{"age": 30, "si_months": 36, "education": "master"}"#)
        .expect("a valid applicant");
    assert!(mistyped.evaluate(&applicant).is_err(), "a number made of a yes/no");
    assert!(mistyped.scorer().evaluate(&applicant).is_err(), "a number made of a yes/no");
}
