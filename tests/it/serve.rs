//! `jifen serve` over real HTTP on loopback: the JSON API, its errors, and the page.

use crate::http;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// One server for the whole file, on a free port.
fn addr() -> SocketAddr {
    static SERVER: OnceLock<jifen::internals::serve::Running> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let policy = jifen::bundled_policy().expect("the bundled policy compiles");
            jifen::internals::serve::start(policy, "127.0.0.1:0").expect("the server starts")
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

// ---------------------------------------------------------------- one client against the rest

/// A server of its own, with these limits.
fn start(config: jifen::internals::serve::Config) -> jifen::internals::serve::Running {
    let policy = jifen::bundled_policy().expect("the bundled policy compiles");
    jifen::internals::serve::start_with(policy, "127.0.0.1:0", config).expect("the server starts")
}

fn config() -> jifen::internals::serve::Config {
    jifen::internals::serve::Config::default()
}

const R1: &str = r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#;
/// Vetoed: the plan search finds nothing and tries everything (seconds in a debug build).
const VETOED: &str = r#"{"age": 30, "si_months": 6, "serious_crime": true}"#;

fn raw_post(path: &str, host: &str, content_type: Option<&str>, body: &str) -> Vec<u8> {
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n", body.len());
    if let Some(t) = content_type {
        head.push_str(&format!("Content-Type: {t}\r\n"));
    }
    format!("{head}\r\n{body}").into_bytes()
}

fn raw_get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes()
}

fn send(addr: SocketAddr, request: &[u8]) -> http::Response {
    let mut conn = http::Conn::connect_waiting(addr, Duration::from_secs(10)).expect("connect");
    conn.send(request).expect("send");
    conn.answer().expect("an answer")
}

#[test]
fn a_host_that_is_not_this_server_is_a_403() {
    // DNS rebinding: a page at http://evil.example:PORT whose name now resolves to
    // 127.0.0.1 sends `Host: evil.example:PORT`. IP literals and localhost are this server.
    let mut c = config();
    c.allowed_hosts = vec!["points.example.org".into()];
    let server = start(c);
    let a = server.addr();
    let port = a.port();
    for host in [format!("evil.example:{port}"), "localhost.evil.example".into(), "127.0.0.1.nip.io".into()] {
        let r = send(a, &raw_get("/api/policy", &host));
        assert_eq!(r.status, 403, "{host}: {}", r.text());
        assert!(r.json()["error"].as_str().is_some_and(|e| e.contains("host")), "{}", r.text());
        let r = send(a, &raw_post("/api/score", &host, Some("application/json"), R1));
        assert_eq!(r.status, 403, "{host}");
    }
    for host in [
        a.to_string(),
        format!("localhost:{port}"),
        "LOCALHOST".into(),
        format!("[::1]:{port}"),
        "points.example.org".into(),
    ] {
        assert_eq!(send(a, &raw_get("/api/policy", &host)).status, 200, "{host}");
    }
    // No Host at all (HTTP/1.0 style): no browser sends that; refused.
    assert_eq!(send(a, b"GET /api/policy HTTP/1.0\r\n\r\n").status, 400);
}

#[test]
fn a_body_not_declared_json_is_a_415() {
    // A page of another site may post `text/plain` or a form without the browser asking
    // this server first; only `application/json` (any parameters) is read.
    let a = addr();
    let host = a.to_string();
    for content_type in
        [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data"), None]
    {
        for path in ["/api/score", "/api/plan"] {
            let r = send(a, &raw_post(path, &host, content_type, R1));
            assert_eq!(r.status, 415, "{path} {content_type:?}: {}", r.text());
            assert!(r.json()["help"].as_str().is_some_and(|h| h.contains("application/json")));
        }
    }
    let r = send(a, &raw_post("/api/score", &host, Some("application/json; charset=utf-8"), R1));
    assert_eq!((r.status, r.json()["total"].as_i64()), (200, Some(120)));
}

#[test]
fn the_page_cannot_be_framed() {
    let r = http::get(addr(), "/");
    let csp = r.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
}

#[test]
fn connections_over_the_limit_are_refused_and_idle_ones_closed() {
    // 4 connections at most, and one that sends nothing is closed after 500 ms. Before,
    // every idle connection was kept for ever and any number was accepted.
    let mut c = config();
    c.max_connections = 4;
    c.header_timeout = Duration::from_millis(500);
    let server = start(c);
    let a = server.addr();
    let started = Instant::now();
    let mut idle: Vec<http::Conn> =
        (0..4).map(|_| http::Conn::connect_waiting(a, Duration::from_secs(5)).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(100));
    // The fifth is answered at once: 503, try again.
    let mut fifth = http::Conn::connect_waiting(a, Duration::from_secs(5)).expect("connect");
    let r = fifth.request("GET", "/api/policy", None).expect("an answer");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r.json()["error"].as_str().is_some_and(|e| e.contains("too many connections")));
    // The idle ones are closed by the server after the head timeout (not before).
    for conn in &mut idle {
        assert!(conn.is_closed_by_server(), "an idle connection was kept");
    }
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(4), "{waited:?}");
    // Their places are free again.
    let r = http::get(a, "/api/policy");
    assert_eq!(r.status, 200);
}

#[test]
fn a_kept_alive_connection_is_closed_when_idle_and_a_slow_head_is_cut() {
    let mut c = config();
    c.header_timeout = Duration::from_millis(300);
    let server = start(c);
    let a = server.addr();
    let mut conn = http::Conn::connect_waiting(a, Duration::from_secs(5)).expect("connect");
    assert_eq!(conn.request("GET", "/api/policy", None).expect("an answer").status, 200);
    let idle = Instant::now();
    assert!(conn.is_closed_by_server());
    assert!(idle.elapsed() < Duration::from_secs(3), "{:?}", idle.elapsed());
    // Half a head, then nothing: closed too.
    let mut conn = http::Conn::connect_waiting(a, Duration::from_secs(5)).expect("connect");
    conn.send(format!("POST /api/score HTTP/1.1\r\nHost: {a}\r\nContent-Le").as_bytes()).expect("send");
    let slow = Instant::now();
    assert!(conn.is_closed_by_server());
    assert!(slow.elapsed() < Duration::from_secs(3), "{:?}", slow.elapsed());
}

#[test]
fn a_body_that_does_not_come_is_a_408() {
    // The head promises 100 bytes, 10 come: the request timeout (400 ms) answers.
    let mut c = config();
    c.request_timeout = Duration::from_millis(400);
    let server = start(c);
    let a = server.addr();
    let mut conn = http::Conn::connect_waiting(a, Duration::from_secs(5)).expect("connect");
    let head = format!(
        "POST /api/score HTTP/1.1\r\nHost: {a}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    );
    conn.send(head.as_bytes()).expect("send");
    conn.send(br#"{"age": 30"#).expect("send");
    let sent = Instant::now();
    let r = conn.answer().expect("an answer");
    assert_eq!(r.status, 408, "{}", r.text());
    assert!(r.json()["error"].as_str().is_some_and(|e| e.contains("in time")), "{}", r.text());
    assert!(sent.elapsed() < Duration::from_secs(3), "{:?}", sent.elapsed());
}

#[test]
fn a_plan_over_its_budget_is_a_503_and_scoring_goes_on() {
    // One plan worker, 300 ms per plan, waiting included. 8 clients ask for the plan of a
    // vetoed applicant (seconds of search in a debug build) while one client scores.
    // Every plan answer comes within the budget (and some slack): 200 if the plan was
    // found in time, else 503 with Retry-After. Before, each took as long as its search.
    let mut c = config();
    c.plan_workers = 1;
    c.plan_timeout = Duration::from_millis(300);
    let server = start(c);
    let a = server.addr();
    let planners: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let mut conn = http::Conn::connect_waiting(a, Duration::from_secs(20)).expect("connect");
                let sent = Instant::now();
                let r = conn.request("POST", "/api/plan", Some(VETOED.as_bytes())).expect("an answer");
                (r, sent.elapsed())
            })
        })
        .collect();
    let mut scoring = Vec::new();
    let mut conn = http::Conn::connect_waiting(a, Duration::from_secs(20)).expect("connect");
    let until = Instant::now() + Duration::from_millis(600);
    while Instant::now() < until {
        let sent = Instant::now();
        let r = conn.request("POST", "/api/score", Some(R1.as_bytes())).expect("an answer");
        assert_eq!(r.status, 200);
        scoring.push(sent.elapsed());
    }
    let mut refused = 0;
    for p in planners {
        let (r, took) = p.join().expect("a planner");
        assert!(took < Duration::from_secs(2), "a plan answer took {took:?}");
        match r.status {
            200 => assert!(r.json()["plans"].is_array()),
            503 => {
                refused += 1;
                assert_eq!(r.header("retry-after"), Some("1"));
                assert!(r.json()["error"].as_str().is_some_and(|e| e.contains("no plan within")), "{}", r.text());
            }
            s => panic!("plan answered {s}: {}", r.text()),
        }
    }
    scoring.sort();
    let worst = scoring.last().copied().unwrap_or_default();
    eprintln!("{refused} of 8 plans refused; {} scores, the slowest {worst:?}", scoring.len());
    assert!(scoring.len() >= 5, "scoring stalled: {} answers in 600 ms", scoring.len());
}

// ---------------------------------------------------------------- the binary: files, signals, log

/// `jifen serve ARGS` under `ulimit -n FILES`, on a free port: the child and its address.
#[cfg(unix)]
fn spawn_binary(files: u32, args: &str) -> (std::process::Child, SocketAddr) {
    let exe = env!("CARGO_BIN_EXE_jifen");
    let script = format!("ulimit -n {files} && exec '{exe}' serve --addr 127.0.0.1:0 {args}");
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jifen serve starts");
    let mut line = String::new();
    let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    let addr = line.trim().strip_prefix("jifen serve: listening on http://").and_then(|a| a.parse().ok());
    match addr {
        Some(addr) => (child, addr),
        None => {
            let _ = child.kill();
            let out = child.wait_with_output().expect("the child");
            panic!("unexpected first line `{line}`; stderr: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}

#[cfg(unix)]
fn signal(child: &std::process::Child, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{name}");
}

/// The child's exit code and stderr once it exits, or `None` (and it is killed) if it
/// is still running after `patience`.
#[cfg(unix)]
fn exit_within(mut child: std::process::Child, patience: Duration) -> Option<(Option<i32>, String)> {
    use std::io::Read;
    let until = Instant::now() + patience;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            _ if Instant::now() >= until => break None,
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    Some((status.code(), stderr))
}

#[cfg(unix)]
#[test]
fn more_idle_connections_than_open_files_do_not_lock_everyone_out() {
    // Under `ulimit -n 128`, 150 connections that send nothing. Before, they used up the
    // file descriptors and were kept for ever: no one else was answered again. Now at
    // most 16 are held (the rest refused), for 1 s each.
    let (child, a) = spawn_binary(128, "--quiet --max-connections 16 --header-timeout 1s");
    let idle: Vec<_> = (0..150).filter_map(|_| std::net::TcpStream::connect(a).ok()).collect();
    std::thread::sleep(Duration::from_millis(200));
    // Answered at once, if only to say "later".
    let sent = Instant::now();
    let first =
        http::Conn::connect_waiting(a, Duration::from_secs(3)).and_then(|mut c| c.request("GET", "/api/policy", None));
    let first_took = sent.elapsed();
    // After the head timeout the idle ones are gone: answered in full.
    std::thread::sleep(Duration::from_millis(1200));
    let later =
        http::Conn::connect_waiting(a, Duration::from_secs(3)).and_then(|mut c| c.request("GET", "/api/policy", None));
    drop(idle);
    signal(&child, "TERM");
    let exited = exit_within(child, Duration::from_secs(5));
    let first = first.expect("an answer while the idle connections are open");
    assert!(matches!(first.status, 200 | 503), "{}", first.text());
    assert!(first_took < Duration::from_secs(2), "{first_took:?}");
    assert_eq!(later.expect("an answer after the idle ones were closed").status, 200);
    assert_eq!(exited.map(|(code, _)| code), Some(Some(0)));
}

/// A request whose head is complete and whose body is half sent: in flight.
#[cfg(unix)]
fn half_sent(a: SocketAddr) -> http::Conn {
    let mut conn = http::Conn::connect_waiting(a, Duration::from_secs(10)).expect("connect");
    let head = format!(
        "POST /api/score HTTP/1.1\r\nHost: {a}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        R1.len()
    );
    conn.send(head.as_bytes()).expect("send");
    conn.send(&R1.as_bytes()[..10]).expect("send");
    std::thread::sleep(Duration::from_millis(200));
    conn
}

#[cfg(unix)]
#[test]
fn the_first_signal_finishes_the_request_in_flight() {
    let (child, a) = spawn_binary(1024, "");
    assert_eq!(http::get(a, "/api/policy").status, 200);
    let mut conn = half_sent(a);
    signal(&child, "TERM");
    std::thread::sleep(Duration::from_millis(200));
    // No new connection is taken, the one in flight is answered, then the server exits.
    let refused = std::net::TcpStream::connect_timeout(&a, Duration::from_secs(1)).is_err();
    conn.send(&R1.as_bytes()[10..]).expect("send the rest");
    let r = conn.answer().expect("the answer in flight");
    assert_eq!((r.status, r.json()["total"].as_i64()), (200, Some(120)));
    let (code, stderr) = exit_within(child, Duration::from_secs(5)).expect("the server exits");
    assert!(refused, "a connection was accepted after the stop signal");
    assert_eq!(code, Some(0));
    // The access log: one line per request, and the stop.
    assert!(stderr.contains("GET /api/policy 200 "), "{stderr}");
    assert!(stderr.contains("POST /api/score 200 "), "{stderr}");
    assert!(stderr.contains("jifen serve: stopped\n"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_half_sent_request_delays_the_stop_only_up_to_the_deadline() {
    // Before, one client that never finished its request kept SIGTERM from ending the
    // server, and a second signal did nothing.
    let (child, a) = spawn_binary(1024, "--quiet --header-timeout 60s --request-timeout 60s --shutdown-timeout 500ms");
    let _conn = half_sent(a);
    let sent = Instant::now();
    signal(&child, "TERM");
    let (code, stderr) = exit_within(child, Duration::from_secs(5)).expect("the server exits at the deadline");
    assert!(sent.elapsed() >= Duration::from_millis(400), "{:?}", sent.elapsed());
    assert_eq!(code, Some(0));
    assert!(!stderr.contains("POST"), "--quiet logs nothing: {stderr}");
}

#[cfg(unix)]
#[test]
fn a_second_signal_stops_at_once() {
    let (child, a) = spawn_binary(1024, "--header-timeout 60s --request-timeout 60s --shutdown-timeout 60s");
    let _conn = half_sent(a);
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let (code, stderr) = exit_within(child, Duration::from_secs(5)).expect("the server exits on the second signal");
    assert_eq!(code, Some(0));
    assert!(stderr.contains("second signal"), "{stderr}");
}

#[test]
fn a_client_that_does_not_read_its_answers_is_cut() {
    // One connection at most. A client asks for the page (34 KiB) 2,000 times without
    // reading: the socket buffers fill and the server's write waits. Before, it waited
    // for ever, holding the only connection; now the write gives up after 500 ms.
    let mut c = config();
    c.max_connections = 1;
    c.header_timeout = Duration::from_millis(500);
    let server = start(c);
    let a = server.addr();
    let mut hog = http::Conn::connect_waiting(a, Duration::from_secs(5)).expect("connect");
    let pipelined = raw_get("/", &a.to_string()).repeat(2000);
    let writer = std::thread::spawn(move || {
        // The server stops reading once it cannot write: this send may stay blocked
        // until the server closes the connection.
        let _ = hog.send(&pipelined);
        hog
    });
    std::thread::sleep(Duration::from_millis(300));
    let busy = http::get(a, "/api/policy");
    assert_eq!(busy.status, 503, "the hog's connection should still be open");
    let since = Instant::now();
    let freed = loop {
        std::thread::sleep(Duration::from_millis(100));
        if http::get(a, "/api/policy").status == 200 {
            break since.elapsed();
        }
        assert!(since.elapsed() < Duration::from_secs(5), "the connection of a client that does not read was kept");
    };
    drop(writer.join());
    eprintln!("freed after {freed:?}");
}
