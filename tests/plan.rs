//! `jifen plan`: routes and plans checked against cases worked by hand from the
//! indicator table (shared/rules/indicators.md §5.1) and the 2025 wage of 12,434 yuan
//! (0.8× = 9,947.2; 2× = 24,868; 3× = 37,302).

use jifen::plan::{Limits, Plan};
use jifen::RuleSet;

fn policy() -> RuleSet {
    jifen::bundled_policy().expect("the bundled policy compiles")
}

/// The facts a route chooses (implied ones left out), as `input=value` strings, sorted.
fn chosen(p: &Plan) -> Vec<String> {
    let mut v: Vec<String> = p.changes.iter().filter(|c| !c.implied).map(|c| format!("{}={}", c.input, c.to)).collect();
    v.sort();
    v
}

fn find_route(routes: &[Plan], facts: &[&str]) -> Option<i64> {
    let mut want: Vec<String> = facts.iter().map(|s| s.to_string()).collect();
    want.sort();
    routes.iter().find(|r| chosen(r) == want).map(|r| r.total)
}

#[test]
fn routes_reproduce_every_route_of_the_seed_list() {
    let rs = policy();
    // Age 30 (30 points) and the least social insurance that is eligible (6 months, 0 points).
    let base = rs.empty_profile(30);
    let routes = rs.routes(&base, 4);
    // (route, chosen facts, total worked by hand; SI months implied by the base months
    // are counted, as in the table: 36 months of base imply 3 years of SI = 9 points)
    let cases: &[(&str, &[&str], i64)] = &[
        ("R1 本科+学士", &["education=bachelor_with_degree"], 30 + 90),
        ("R2 本科+社保10年", &["education=bachelor", "si_months=120 months"], 30 + 60 + 30),
        (
            "R3 本科+1倍基数",
            &["education=bachelor", "si_base_yuan=12434 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 50,
        ),
        (
            "R4 本科+0.8倍基数",
            &["education=bachelor", "si_base_yuan=9947.2 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 25,
        ),
        ("R5 专科+社保14年", &["education=junior_college", "si_months=168 months"], 30 + 50 + 42),
        (
            "R6 专科+1倍基数",
            &["education=junior_college", "si_base_yuan=12434 yuan", "si_base_months_48=36 months"],
            30 + 50 + 9 + 50,
        ),
        (
            "R7 专科+0.8倍基数+5年",
            &[
                "education=junior_college",
                "si_base_yuan=9947.2 yuan",
                "si_base_months_48=36 months",
                "si_months=60 months",
            ],
            30 + 50 + 15 + 25,
        ),
        (
            "R8 专科+紧缺+4年",
            &["education=junior_college", "shortage_major=true", "si_months=48 months"],
            30 + 50 + 30 + 12,
        ),
        ("R9 2倍基数", &["si_base_yuan=24868 yuan", "si_base_months_48=36 months"], 30 + 9 + 100),
        ("R10 3倍基数", &["si_base_yuan=37302 yuan", "si_base_months_36=24 months"], 30 + 6 + 120),
        (
            "R11 高级职称",
            &[
                "education=junior_college",
                "title_skill=title_senior",
                "si_base_yuan=12434 yuan",
                "si_base_months_12=6 months",
            ],
            30 + 140,
        ),
        (
            "R12 中级职称",
            &[
                "education=junior_college",
                "title_skill=title_intermediate",
                "si_base_yuan=12434 yuan",
                "si_base_months_12=6 months",
            ],
            30 + 100,
        ),
        (
            "R13 三级+1倍基数",
            &["title_skill=skill_3", "si_base_yuan=12434 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 50,
        ),
        (
            "R14 三级+0.8倍基数",
            &["title_skill=skill_3", "si_base_yuan=9947.2 yuan", "si_base_months_48=36 months"],
            30 + 60 + 9 + 25,
        ),
        (
            "R15 四级+1倍基数+4年",
            &["title_skill=skill_4", "si_base_yuan=12434 yuan", "si_base_months_48=36 months", "si_months=48 months"],
            30 + 30 + 12 + 50,
        ),
    ];
    let mut missing = Vec::new();
    for (name, facts, total) in cases {
        match find_route(&routes, facts) {
            Some(t) if t == *total => {}
            Some(t) => missing.push(format!("{name}: found with total {t}, expected {total}")),
            None => missing.push(format!("{name}: no route {facts:?}")),
        }
    }
    assert!(missing.is_empty(), "routes not reproduced:\n{}", missing.join("\n"));
    // Routes the seed list does not have, e.g. 创业人才 alone: 30 + 120.
    assert_eq!(find_route(&routes, &["startup_talent=true"]), Some(150));
    // Every route meets the standard and is minimal in what it chooses.
    assert!(routes.iter().all(|r| r.total >= 120));
}

#[test]
fn plan_for_one_point_short() {
    let rs = policy();
    // R15′: age 30 (30) + 四级 (30) + 3 years SI (9) + base ≥ 1× for 36 of 48 months (50) = 119.
    let a = rs
        .applicant_from_json(
            r#"{"age": 30, "si_months": 36, "title_skill": "skill_4", "si_base_yuan": 13000,
                "si_base_months_48": 36, "si_base_months_12": 12}"#,
        )
        .expect("valid");
    let report = rs.plan(&a, Limits::default());
    assert_eq!(report.total, 119);
    assert!(!report.meets_standard);
    // Waiting a year: age 31 still 30 points, SI 4 years = 12 (+3) → 122.
    let wait = report.plans.iter().find(|p| p.changes.is_empty()).expect("waiting is a plan");
    assert_eq!((wait.wait_years, wait.total), (1, 122));
    // Raising the skill to 三级: 30 + 60 + 9 + 50 = 149, with no waiting.
    let skill =
        report.plans.iter().find(|p| p.changes.len() == 1 && p.changes[0].to == "skill_3").expect("skill_3 plan");
    assert_eq!((skill.wait_years, skill.total), (0, 149));
    // Plans are ranked by facts changed, then years waited.
    let keys: Vec<(usize, u32)> = report.plans.iter().map(|p| (p.changes.len(), p.wait_years)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn waiting_ages_the_applicant() {
    let rs = policy();
    // Age 44 (29) + 本科 (60) + 10 years SI (30) = 119. A year later: age 45 (27, −2) and
    // 11 years SI (33, +3): 120 — waiting helps by one point only because SI grows faster
    // than age costs.
    let a = rs.applicant_from_json(r#"{"age": 44, "si_months": 120, "education": "bachelor"}"#).expect("valid");
    let report = rs.plan(&a, Limits::default());
    assert_eq!(report.total, 119);
    let one = &report.waiting[0];
    assert_eq!((one.years, one.total, one.meets_standard), (1, 120, true));
    assert!(one.items.contains(&("age".to_string(), -2)), "{:?}", one.items);
    assert!(one.items.contains(&("si_years".to_string(), 3)), "{:?}", one.items);
    // Age 56 (5) + 本科+学士 (90) + 8 years SI (24) = 119; a year later age 57 stays at 5 and
    // SI 9 years = 27: 122.
    let b =
        rs.applicant_from_json(r#"{"age": 56, "si_months": 96, "education": "bachelor_with_degree"}"#).expect("valid");
    let report = rs.plan(&b, Limits::default());
    assert_eq!(report.total, 119);
    assert_eq!(report.waiting[0].total, 122);
}

#[test]
fn plan_cli_runs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["plan", "--routes"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("routes to 120"), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["--format", "json", "plan", "examples/near-120.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["total"], 119);
    assert!(v["plans"].as_array().is_some_and(|p| !p.is_empty()));
}
