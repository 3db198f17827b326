//! What the benchmarks share: the hand-written rules and generated applicants.
// Each bench program uses a part of what is here.
#![allow(dead_code)]

pub mod handwritten;

use handwritten::{Award, Education, Person, RemoteArea, TitleSkill};
use jifen::rules::Value;
use jifen::{Applicant, RuleSet};

/// `count` plausible applicants drawn from the policy's input schema (the same seed each run).
///
/// Their facts are laid out one applicant after another in memory, as the hand-written
/// rules' people are in their `Vec`: read as they are parsed, each applicant's facts would
/// sit between the parser's leftovers, and an evaluation of many applicants would measure
/// the scattering as much as the evaluation.
pub fn population(rs: &RuleSet, count: usize) -> Vec<Applicant> {
    let mut rng = jifen::internals::population::Rng::new(42);
    let model = jifen::internals::population::Model::default_for(rs);
    let parsed: Vec<Applicant> = (0..count)
        .map(|i| {
            let row = model.row(rs, &mut rng, i as u64);
            // `gen` names its rows `synthetic-NNNNNN`; the id is not a fact of the policy.
            let row = row.replacen(&format!("{{\"id\":\"synthetic-{i:06}\","), "{", 1);
            rs.applicant_from_json(&row).expect("generated rows are valid")
        })
        .collect();
    parsed.to_vec()
}

/// The second, differently shaped policy of the benches: a birth date, a list of social
/// insurance periods, fractional points, a shared cap and a floor (no hand-written twin:
/// its scorer is compared with the reference evaluator).
pub const OTHER_CITY: &str = "examples/other_city.policy";

pub fn other_city() -> RuleSet {
    let source = std::fs::read_to_string(OTHER_CITY).expect("examples/other_city.policy reads");
    jifen::compile(OTHER_CITY, &source).expect("examples/other_city.policy compiles")
}

/// The rows of a population's list inputs, on average per applicant.
pub fn rows_per_applicant(rs: &RuleSet, applicants: &[Applicant]) -> f64 {
    let lists: Vec<u16> = (0..rs.inputs().len() as u16).filter(|&s| rs.record_of(s).is_some()).collect();
    let rows: usize = applicants.iter().map(|a| lists.iter().map(|&s| a.rows(s).len()).sum::<usize>()).sum();
    rows as f64 / applicants.len().max(1) as f64
}

/// The applicant as the hand-written rules take it.
pub fn person(rs: &RuleSet, a: &Applicant) -> Person {
    let get = |name: &str| rs.input_slot(name).map(|s| a.values[s]).unwrap_or(Value::Absent);
    let int = |name: &str| match get(name) {
        Value::Int(i) => i,
        _ => 0,
    };
    let dec = |name: &str| match get(name) {
        Value::Dec(d) => d,
        Value::Int(i) => i.into(),
        _ => 0.into(),
    };
    let flag = |name: &str| matches!(get(name), Value::Bool(true));
    let variant = |name: &str| match get(name) {
        Value::Enum(v) => v,
        _ => 0,
    };
    Person {
        age: int("age"),
        has_residence_permit: flag("has_residence_permit"),
        si_months: int("si_months"),
        education: [
            Education::None,
            Education::JuniorCollege,
            Education::Bachelor,
            Education::BachelorWithDegree,
            Education::Master,
            Education::Doctor,
        ][variant("education") as usize],
        education_full_time: flag("education_full_time"),
        education_location_ok: flag("education_location_ok"),
        title_skill: [
            TitleSkill::None,
            TitleSkill::Skill5,
            TitleSkill::Skill4,
            TitleSkill::Skill3,
            TitleSkill::Skill2,
            TitleSkill::Skill1,
            TitleSkill::TitleIntermediate,
            TitleSkill::TitleSenior,
        ][variant("title_skill") as usize],
        title_matches_post: flag("title_matches_post"),
        shortage_major: flag("shortage_major"),
        startup_talent: flag("startup_talent"),
        innovation_intermediary: flag("innovation_intermediary"),
        invest_tax_yuan: dec("invest_tax_yuan"),
        invest_hukou_hires: int("invest_hukou_hires"),
        si_base_yuan: dec("si_base_yuan"),
        si_base_months_48: int("si_base_months_48"),
        si_base_months_36: int("si_base_months_36"),
        si_base_months_12: int("si_base_months_12"),
        public_service_years: int("public_service_years"),
        remote_area: [RemoteArea::None, RemoteArea::RemoteKeyArea, RemoteArea::NewCity, RemoteArea::Lingang]
            [variant("remote_area") as usize],
        remote_area_years: int("remote_area_years"),
        fresh_graduate: flag("fresh_graduate"),
        award: [Award::None, Award::MunicipalSpecial, Award::MunicipalComprehensive, Award::ProvincialOrAbove]
            [variant("award") as usize],
        spouse_hukou_years: match get("spouse_hukou_years") {
            Value::Int(i) => Some(i),
            _ => None,
        },
        false_material_count: int("false_material_count"),
        detention_count: int("detention_count"),
        minor_crime_count: int("minor_crime_count"),
        family_planning_violation: flag("family_planning_violation"),
        serious_crime: flag("serious_crime"),
    }
}
