//! `jifen serve` over real HTTP on loopback: the JSON API, its errors, and the page.

#[path = "support/http.rs"]
mod http;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

/// One server for the whole file, on a free port.
fn addr() -> SocketAddr {
    static SERVER: OnceLock<jifen::serve::Running> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let policy = jifen::bundled_policy().expect("the bundled policy compiles");
            jifen::serve::start(policy, "127.0.0.1:0").expect("the server starts")
        })
        .addr()
}

fn item(score: &Value, id: &str) -> i64 {
    score["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id))
        .and_then(|i| i["points"].as_i64())
        .unwrap_or_else(|| panic!("no item {id} in {score}"))
}

#[test]
fn policy_lists_every_input_with_its_label() {
    let r = http::get(addr(), "/api/policy");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["policy"]["id"], "shanghai_points");
    assert_eq!(v["policy"]["year"], 2025);
    assert_eq!(v["policy"]["standard"], 120);
    assert_eq!(v["policy"]["title"], "上海市居住证积分");
    let inputs = v["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 28, "{inputs:#?}");
    for i in inputs {
        let label = i["label"].as_str().unwrap_or_else(|| panic!("input without a label: {i}"));
        assert!(!label.is_empty());
        for key in ["name", "type", "kind", "optional", "required", "min", "max", "default", "variants"] {
            assert!(i.get(key).is_some(), "input {} lacks `{key}`", i["name"]);
        }
    }
    let age = &inputs[0];
    assert_eq!((age["name"].as_str(), age["min"].as_str(), age["max"].as_str()), (Some("age"), Some("16"), Some("70")));
    assert!(age["label"].as_str().is_some_and(|l| l.contains("年龄")));
    assert_eq!(age["required"], true);
    let education = inputs.iter().find(|i| i["name"] == "education").expect("education");
    assert_eq!(education["kind"], "enum");
    assert_eq!(education["default"], "none");
    let degree = education["variants"]
        .as_array()
        .and_then(|vs| vs.iter().find(|v| v["name"] == "bachelor_with_degree"))
        .expect("the variant");
    assert_eq!(degree["label"], "大学本科学历和学士学位");
    let spouse = inputs.iter().find(|i| i["name"] == "spouse_hukou_years").expect("spouse_hukou_years");
    assert_eq!((spouse["optional"].as_bool(), spouse["unit"].as_str()), (Some(true), Some("years")));
    let wage = inputs.iter().find(|i| i["name"] == "si_base_yuan").expect("si_base_yuan");
    assert_eq!((wage["kind"].as_str(), wage["unit"].as_str()), (Some("decimal"), Some("yuan")));

    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 17);
    assert_eq!((items[0]["id"].as_str(), items[0]["label"].as_str()), (Some("age"), Some("年龄")));
    assert!(items.iter().all(|i| i["section"].is_string()));
    let sections: Vec<&str> =
        v["sections"].as_array().expect("sections").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(sections, ["basic", "bonus", "deduction"]);
    assert!(v["sections"][0]["label"].is_string());
}

#[test]
fn score_r1_bachelor_with_degree_meets_the_standard() {
    let r = http::post(addr(), "/api/score", r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["total"], 120);
    assert_eq!(v["standard"], 120);
    assert_eq!(v["meets_standard"], true);
    assert_eq!(v["eligible"], true);
    assert_eq!((item(&v, "age"), item(&v, "education")), (30, 90));
    assert_eq!(v["items"].as_array().map(Vec::len), Some(17));
    assert!(v["items"][0].get("trace").is_none(), "no trace unless asked");
}

#[test]
fn score_r3_bachelor_with_base_and_explain() {
    let body = r#"{"id": "R3", "age": 28, "education": "bachelor", "si_base_yuan": 13000,
                   "si_base_months_48": 36, "si_months": 36}"#;
    let v = http::post(addr(), "/api/score?explain=1", body).json();
    assert_eq!(v["total"], 30 + 60 + 9 + 50);
    assert_eq!(v["meets_standard"], true);
    assert_eq!((item(&v, "si_years"), item(&v, "si_base")), (9, 50));
    let trace = &v["items"][0]["trace"];
    assert_eq!(trace["facts"]["age"], 28, "{trace}");
    assert_eq!(trace["raw_points"], 30);
}

#[test]
fn a_typo_is_a_400_naming_the_key() {
    let r = http::post(addr(), "/api/score", r#"{"age": 30, "si_month": 6}"#);
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["key"], "si_month");
    assert!(v["error"].as_str().is_some_and(|e| e.contains("unknown key")), "{v}");
    assert!(v["help"].as_str().is_some_and(|h| h.contains("si_months")), "{v}");

    let v = http::post(addr(), "/api/score", r#"{"age": 80, "si_months": 6}"#).json();
    assert_eq!(v["key"], "age", "{v}");
    let r = http::post(addr(), "/api/plan", r#"{"age": 30}"#);
    assert_eq!((r.status, r.json()["key"].as_str()), (400, Some("si_months")));
    let r = http::post(addr(), "/api/score", "{not json");
    assert_eq!((r.status, r.json()["key"].clone()), (400, Value::Null));
}

#[test]
fn a_body_over_64_kib_is_a_413() {
    let padding = " ".repeat(100 * 1024);
    let body = format!(r#"{{"age": 30, "si_months": 6{padding}}}"#);
    let r = http::post(addr(), "/api/score", &body);
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.json()["error"].as_str().is_some_and(|e| e.contains("64 KiB")));
    // Just under the limit is fine.
    let body = format!(r#"{{"age": 30, "si_months": 6{}}}"#, " ".repeat(60 * 1024));
    assert_eq!(http::post(addr(), "/api/score", &body).status, 200);
}

#[test]
fn wrong_method_and_unknown_path_are_json() {
    let r = http::get(addr(), "/api/score");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("POST"));
    assert!(r.json()["error"].is_string());
    let r = http::post(addr(), "/api/policy", "{}");
    assert_eq!(r.status, 405);
    let r = http::get(addr(), "/api/nothing");
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().is_some_and(|e| e.contains("/api/nothing")));
}

#[test]
fn plan_of_r15_prime_includes_waiting_a_year() {
    let body = r#"{"age": 30, "title_skill": "skill_4", "si_base_yuan": 13000, "si_base_months_48": 36,
                   "si_base_months_12": 12, "si_base_months_36": 36, "si_months": 36}"#;
    let r = http::post(addr(), "/api/plan", body);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["total"].as_i64(), v["standard"].as_i64(), v["meets_standard"].as_bool()),
        (Some(119), Some(120), Some(false))
    );
    let plans = v["plans"].as_array().expect("plans");
    let wait = plans
        .iter()
        .find(|p| p["wait_years"] == 1 && p["changes"].as_array().is_some_and(Vec::is_empty))
        .unwrap_or_else(|| panic!("no plan of waiting 1 year in {v:#}"));
    assert_eq!(wait["total"], 122);
    assert!(plans.iter().any(|p| p["changes"][0]["input"] == "title_skill" && p["changes"][0]["to"] == "skill_3"));
    assert_eq!(v["waiting"][0]["total"], 122);
}

#[test]
fn the_page_is_self_contained_and_in_chinese() {
    let r = http::get(addr(), "/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = r.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), "{csp}");
    let html = r.text();
    assert!(html.contains("年龄"));
    assert!(!html.contains("http://") && !html.contains("https://"), "the page refers to another host");
    assert!(!html.contains("src=") && !html.contains("<link"), "the page loads a resource");
    // A field of the right kind per input.
    assert!(html.contains(
        r#"<input type="number" inputmode="numeric" id="f-age" name="age" step="1" min="16" max="70" required>"#
    ));
    assert!(html.contains(r#"id="f-si_base_yuan" name="si_base_yuan" step="0.01" min="0" value="0""#));
    assert!(html.contains(r#"<input type="checkbox" id="f-has_residence_permit" name="has_residence_permit" checked>"#));
    assert!(html.contains(r#"<option value="bachelor_with_degree">大学本科学历和学士学位</option>"#));
    assert!(html.contains(r#"<option value="none" selected>无</option>"#));
    assert!(html.contains(r#"data-absent-for="spouse_hukou_years" checked"#));
    for name in ["age", "si_months", "education", "award", "serious_crime"] {
        assert!(html.contains(&format!(r#"id="f-{name}""#)), "no field for {name}");
    }
}

#[test]
fn the_binary_prints_the_address_it_listens_on() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("jifen serve starts");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let addr = line.trim().strip_prefix("jifen serve: listening on http://").and_then(|a| a.parse::<SocketAddr>().ok());
    let answer = addr.map(|a| http::request(a, "GET", "/api/policy", None));
    let _ = child.kill();
    let _ = child.wait();
    assert!(read.is_ok(), "{read:?}");
    let addr = addr.unwrap_or_else(|| panic!("unexpected first line `{line}`"));
    assert_ne!(addr.port(), 0);
    let answer = answer.expect("an address").expect("an answer");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["inputs"].as_array().map(Vec::len), Some(28));
}

#[test]
fn the_binary_reports_an_address_it_cannot_use() {
    let out = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["serve", "--addr", "not an address"])
        .stdin(Stdio::null())
        .output()
        .expect("jifen runs");
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on `not an address`"));
}
