//! The 2025 rules written by hand in Rust: the speed limit the compiled evaluator is
//! measured against. Kept only here, never used by jifen itself.
//!
//! Written as a careful person writing for speed would: the wage thresholds are constants
//! computed once, whole numbers stay integers, and the investment tax is counted in whole
//! yuan with integer division (the input is never negative), so no decimal is multiplied
//! or divided per applicant. Still exact: the social-insurance base is compared as a decimal.

use rust_decimal::Decimal;

#[derive(Clone, Copy)]
pub enum Education {
    None,
    JuniorCollege,
    Bachelor,
    BachelorWithDegree,
    Master,
    Doctor,
}

#[derive(Clone, Copy, PartialEq)]
pub enum TitleSkill {
    None,
    Skill5,
    Skill4,
    Skill3,
    Skill2,
    Skill1,
    TitleIntermediate,
    TitleSenior,
}

#[derive(Clone, Copy, PartialEq)]
pub enum RemoteArea {
    None,
    RemoteKeyArea,
    NewCity,
    Lingang,
}

#[derive(Clone, Copy)]
pub enum Award {
    None,
    MunicipalSpecial,
    MunicipalComprehensive,
    ProvincialOrAbove,
}

#[derive(Clone)]
pub struct Person {
    pub age: i64,
    pub has_residence_permit: bool,
    pub si_months: i64,
    pub education: Education,
    pub education_full_time: bool,
    pub education_location_ok: bool,
    pub title_skill: TitleSkill,
    pub title_matches_post: bool,
    pub shortage_major: bool,
    pub startup_talent: bool,
    pub innovation_intermediary: bool,
    pub invest_tax_yuan: Decimal,
    pub invest_hukou_hires: i64,
    pub si_base_yuan: Decimal,
    pub si_base_months_48: i64,
    pub si_base_months_36: i64,
    pub si_base_months_12: i64,
    pub public_service_years: i64,
    pub remote_area: RemoteArea,
    pub remote_area_years: i64,
    pub fresh_graduate: bool,
    pub award: Award,
    pub spouse_hukou_years: Option<i64>,
    pub false_material_count: i64,
    pub detention_count: i64,
    pub minor_crime_count: i64,
    pub family_planning_violation: bool,
    pub serious_crime: bool,
}

pub struct Score {
    pub items: [i64; 17],
    pub total: i64,
    pub meets_standard: bool,
}

/// 上年度全市职工月平均工资 and its multiples the table compares with.
const WAGE: Decimal = Decimal::from_parts(12434, 0, 0, false, 0);
const WAGE_X3: Decimal = Decimal::from_parts(37302, 0, 0, false, 0);
const WAGE_X2: Decimal = Decimal::from_parts(24868, 0, 0, false, 0);
const WAGE_X08: Decimal = Decimal::from_parts(99472, 0, 0, false, 1);

pub fn score(p: &Person) -> Score {
    let wage = WAGE;
    let age = if p.age > 60 {
        0
    } else if p.age >= 56 {
        5
    } else {
        (5 + 2 * (56 - p.age)).min(30)
    };
    let education = if matches!(p.education, Education::None) || p.education_full_time || p.education_location_ok {
        match p.education {
            Education::None => 0,
            Education::JuniorCollege => 50,
            Education::Bachelor => 60,
            Education::BachelorWithDegree => 90,
            Education::Master => 100,
            Education::Doctor => 110,
        }
    } else {
        0
    };
    let base_ok = p.si_base_yuan >= wage && p.si_base_months_12 >= 6;
    let high = matches!(
        p.title_skill,
        TitleSkill::Skill2 | TitleSkill::Skill1 | TitleSkill::TitleIntermediate | TitleSkill::TitleSenior
    );
    let title_needs_edu = matches!(p.title_skill, TitleSkill::TitleIntermediate | TitleSkill::TitleSenior);
    let mut title = match p.title_skill {
        TitleSkill::None => 0,
        TitleSkill::Skill5 => 15,
        TitleSkill::Skill4 => 30,
        TitleSkill::Skill3 => 60,
        TitleSkill::Skill2 | TitleSkill::TitleIntermediate => 100,
        TitleSkill::Skill1 | TitleSkill::TitleSenior => 140,
    };
    if (p.title_skill != TitleSkill::None && !p.title_matches_post)
        || (high && !base_ok)
        || (title_needs_edu && education == 0)
    {
        title = 0;
    }
    let (education, title) = if title > education { (0, title) } else { (education, 0) };
    let si_years = 3 * (p.si_months / 12);
    let startup = if p.startup_talent { 120 } else { 0 };
    let intermediary = if p.innovation_intermediary { 120 } else { 0 };
    let shortage = if p.shortage_major && matches!(p.education, Education::JuniorCollege) && p.education_full_time {
        30
    } else {
        0
    };
    // Whole yuan, then whole units of 100,000: the floor, as the input is never negative.
    let tax_units = i64::try_from(p.invest_tax_yuan.trunc()).map_or(i64::MAX / 20, |y| y / 100_000);
    let tax_points = 10 * tax_units.min(i64::MAX / 20);
    let invest = tax_points.max(10 * (p.invest_hukou_hires / 10)).min(120);
    let si_base = if p.si_base_yuan >= WAGE_X3 && p.si_base_months_36 >= 24 {
        120
    } else if p.si_base_yuan >= WAGE_X2 && p.si_base_months_48 >= 36 {
        100
    } else if p.si_base_yuan >= wage && p.si_base_months_48 >= 36 {
        50
    } else if p.si_base_yuan >= WAGE_X08 && p.si_base_months_48 >= 36 {
        25
    } else {
        0
    };
    let public_service = if p.public_service_years >= 5 { 4 * p.public_service_years } else { 0 };
    let remote = match p.remote_area {
        RemoteArea::None => 0,
        RemoteArea::RemoteKeyArea | RemoteArea::NewCity if p.remote_area_years >= 5 => 2 * p.remote_area_years,
        RemoteArea::Lingang if p.remote_area_years >= 1 => 2 * p.remote_area_years,
        _ => 0,
    }
    .min(20);
    let fresh = if p.fresh_graduate { 10 } else { 0 };
    let award = match p.award {
        Award::None => 0,
        Award::MunicipalSpecial => 30,
        Award::MunicipalComprehensive => 60,
        Award::ProvincialOrAbove => 110,
    };
    let spouse = (4 * p.spouse_hukou_years.unwrap_or(0)).min(40);
    let items = [
        age,
        education,
        title,
        si_years,
        startup,
        intermediary,
        shortage,
        invest,
        si_base,
        public_service,
        remote,
        fresh,
        award,
        spouse,
        -150 * p.false_material_count,
        -50 * p.detention_count,
        -150 * p.minor_crime_count,
    ];
    let total: i64 = items.iter().sum();
    let eligible = p.has_residence_permit && p.si_months >= 6;
    let vetoed = p.family_planning_violation || p.serious_crime;
    Score { items, total, meets_standard: eligible && !vetoed && total >= 120 }
}
