//! The calculator page in a real browser: headless Chromium loads `/` with facts in the
//! query string, runs the page's script against the server, and the rendered DOM (and a
//! screenshot, `target/browser/calculator.png`) is checked.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it). Without it the tests print why
//! and pass: a missing browser never fails the suite.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn base_url() -> String {
    static SERVER: OnceLock<jifen::internals::serve::Running> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let policy = jifen::bundled_policy().expect("the bundled policy compiles");
        jifen::internals::serve::start(policy, "127.0.0.1:0").expect("the server starts")
    });
    format!("http://{}", server.addr())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Run headless Chromium with `extra` arguments on `url`; ends it after a minute.
fn run_chromium(browser: &str, extra: &[&str], url: &str) -> Output {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    let profile = target_dir().join("browser").join(format!("profile-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&profile).expect("a profile folder");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read the output on threads so that a full pipe cannot stall the browser.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().expect("chromium ends");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = std::fs::remove_dir_all(&profile);
    Output { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() }
}

fn dump_dom(browser: &str, query: &str) -> String {
    let out = run_chromium(browser, &["--dump-dom"], &format!("{}/{query}", base_url()));
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(dom.contains("<html"), "no DOM from chromium ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    dom
}

/// The text of the element with `id` (the first text after its opening tag).
fn text_of<'d>(dom: &'d str, id: &str) -> &'d str {
    let at = dom.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("no #{id} in the DOM"));
    let rest = &dom[at..];
    let start = rest.find('>').map(|i| i + 1).unwrap_or(0);
    let end = rest[start..].find('<').map(|i| start + i).unwrap_or(rest.len());
    &rest[start..end]
}

#[test]
fn the_calculator_scores_facts_from_the_query_string() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (install Debian's `chromium` to run the browser tests)");
        return;
    };
    let dom = dump_dom(browser, "?age=30&si_months=6&education=bachelor_with_degree");
    assert_eq!(text_of(&dom, "total"), "120", "the total");
    let verdict = text_of(&dom, "verdict");
    assert!(verdict.contains("meets the standard"), "verdict: {verdict}");
    assert!(dom.contains(r#"data-meets="true""#));
    // The breakdown: a row per item, with the points.
    assert!(dom.contains(r#"<tr class="pos" data-item="education"><td>教育背景<code class="key">education</code></td><td class="pts">90</td>"#), "{dom}");
    assert!(dom.contains(r#"data-item="award""#));
}

#[test]
fn the_calculator_shows_what_would_bring_an_applicant_to_120() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (install Debian's `chromium` to run the browser tests)");
        return;
    };
    let query = "?age=30&title_skill=skill_4&si_base_yuan=13000&si_base_months_48=36&si_base_months_12=12\
                 &si_base_months_36=36&si_months=36";
    let dom = dump_dom(browser, query);
    assert_eq!(text_of(&dom, "total"), "119");
    assert!(dom.contains(r#"data-meets="false""#));
    assert!(text_of(&dom, "verdict").contains("1 short"));
    assert!(dom.contains("等待 1 年 (wait 1 year) → <strong>122 分</strong>"), "no plan of waiting in:\n{dom}");
    assert!(dom.contains("技能类国家职业资格四级 → 技能类国家职业资格三级"), "variant labels in plans");

    // A typo'd value shows next to its field.
    let dom = dump_dom(browser, "?age=80&si_months=6");
    assert!(text_of(&dom, "err-age").contains("outside the allowed range"), "{dom}");

    // And a picture of the page, for people.
    let png = target_dir().join("browser").join("calculator.png");
    let _ = std::fs::remove_file(&png);
    let shot = format!("--screenshot={}", png.display());
    let out = run_chromium(browser, &[&shot, "--window-size=1200,1600"], &format!("{}/{query}", base_url()));
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "no screenshot at {} ({}): {}",
        png.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut head = [0u8; 8];
    let bytes = std::fs::read(&png).expect("the PNG");
    head.copy_from_slice(&bytes[..8]);
    assert_eq!(&head, b"\x89PNG\r\n\x1a\n");
}

/// `jifen diff --html` writes one standalone page that a browser renders without any outside
/// resource: the headline, the bands as bars, the drivers, the regions and the rule changes.
/// Its screenshot is `target/browser/diff.png`.
#[test]
fn the_diff_briefing_page_renders_standalone() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (install Debian's `chromium` to run the browser tests)");
        return;
    };
    let dir = target_dir().join("browser");
    std::fs::create_dir_all(&dir).expect("a folder for the page");
    let (people, page) = (dir.join("diff-people.jsonl"), dir.join("diff.html"));
    let root = env!("CARGO_MANIFEST_DIR");
    let gen = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["gen", "--count", "500", "--seed", "3", "-o"])
        .arg(&people)
        .current_dir(root)
        .output()
        .expect("gen runs");
    assert!(gen.status.success(), "{}", String::from_utf8_lossy(&gen.stderr));
    let diff = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["diff", "policies/2024.policy", "policies/2025.policy", "--by", "education", "--applicants"])
        .arg(&people)
        .arg("--html")
        .arg(&page)
        .current_dir(root)
        .output()
        .expect("diff runs");
    assert!(diff.status.success(), "{}", String::from_utf8_lossy(&diff.stderr));
    let html = std::fs::read_to_string(&page).expect("the page was written");
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "no outside resources");
    let url = format!("file://{}", page.display());
    let out = run_chromium(browser, &["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "上海市居住证积分: 2024 → 2025",
        "newly meet the standard",
        "Change of total",
        "By education",
        "Items driving the changes",
        "si_base_yuan in [9845.6, 9947.2) yuan",
        "<code>12307 yuan</code> → <code>12434 yuan</code>",
    ] {
        assert!(dom.contains(expected), "{expected:?} not rendered in:\n{dom}");
    }
    let shot = dir.join("diff.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(browser, &["--window-size=1100,1800", &format!("--screenshot={}", shot.display())], &url);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real screenshot, {} bytes", png.len());
}

/// A minimal DevTools client: one page of a headless Chromium, driven over the DevTools
/// WebSocket on loopback (the browser picks its port and writes it to its profile folder).
struct DevTools {
    child: std::process::Child,
    socket: std::net::TcpStream,
    next_id: u64,
    profile: PathBuf,
}

impl DevTools {
    fn start(browser: &str) -> DevTools {
        use std::io::{BufRead, BufReader, Read, Write};
        let profile = target_dir().join("browser").join(format!("devtools-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("a profile folder");
        let child = Command::new(browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
            .args(["--no-first-run", "--no-default-browser-check", "--remote-debugging-address=127.0.0.1"])
            .arg("--remote-debugging-port=0")
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            let text = std::fs::read_to_string(profile.join("DevToolsActivePort")).unwrap_or_default();
            if let Some(port) = text.lines().next().and_then(|l| l.trim().parse::<u16>().ok()) {
                break port;
            }
            assert!(Instant::now() < deadline, "chromium wrote no DevToolsActivePort");
            std::thread::sleep(Duration::from_millis(50));
        };
        // One answer of the DevTools HTTP endpoint: its head, then `Content-Length` bytes.
        let get = |path: &str| {
            let s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the DevTools port");
            s.set_read_timeout(Some(Duration::from_secs(10))).expect("a timeout");
            write!(&s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").expect("a request");
            let mut reader = BufReader::new(s);
            let (mut line, mut length) = (String::new(), 0usize);
            while reader.read_line(&mut line).expect("a header") > 0 && line.trim_end() != "" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0u8; length.min(1 << 20)];
            reader.read_exact(&mut body).expect("the body");
            String::from_utf8_lossy(&body).into_owned()
        };
        // The page's WebSocket: `"webSocketDebuggerUrl": "ws://127.0.0.1:PORT/devtools/page/ID"`.
        let list = get("/json/list");
        let path = list
            .split("\"webSocketDebuggerUrl\"")
            .skip(1)
            .find_map(|rest| rest.split('"').nth(1).filter(|u| u.contains("/devtools/page/")))
            .and_then(|url| url.find("/devtools/").map(|i| url[i..].to_string()))
            .unwrap_or_else(|| panic!("no page target in {list}"));
        let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the DevTools socket");
        socket.set_read_timeout(Some(Duration::from_secs(30))).expect("a timeout");
        write!(
            socket,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .expect("the upgrade");
        let mut reader = BufReader::new(socket.try_clone().expect("the socket"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("the upgrade's answer");
        assert!(line.contains(" 101 "), "no WebSocket: {line}");
        while line != "\r\n" {
            line.clear();
            reader.read_line(&mut line).expect("a header");
        }
        DevTools { child, socket, next_id: 0, profile }
    }

    /// Send a command; its result, skipping the events that come before it.
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        use std::io::{Read, Write};
        self.next_id += 1;
        let id = self.next_id;
        let text = serde_json::json!({ "id": id, "method": method, "params": params }).to_string();
        // A client's frame: final, text, masked (the mask is applied, whatever it is).
        let mask = [0x5a, 0x17, 0xc3, 0x09];
        let mut frame = vec![0x81u8];
        match text.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&mask);
        frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.socket.write_all(&frame).expect("a frame sent");
        loop {
            let mut message = Vec::new();
            loop {
                let mut head = [0u8; 2];
                self.socket.read_exact(&mut head).expect("a frame's head");
                let len = match head[1] & 0x7f {
                    126 => {
                        let mut b = [0u8; 2];
                        self.socket.read_exact(&mut b).expect("a length");
                        u64::from(u16::from_be_bytes(b))
                    }
                    127 => {
                        let mut b = [0u8; 8];
                        self.socket.read_exact(&mut b).expect("a length");
                        u64::from_be_bytes(b)
                    }
                    n => u64::from(n),
                };
                assert!(len < 64 << 20, "a frame of {len} bytes");
                let mut payload = vec![0u8; len as usize];
                self.socket.read_exact(&mut payload).expect("a frame's payload");
                message.extend_from_slice(&payload);
                if head[0] & 0x80 != 0 {
                    break;
                }
            }
            let value: serde_json::Value = serde_json::from_slice(&message).unwrap_or_default();
            if value["id"] == serde_json::json!(id) {
                assert!(value.get("error").is_none(), "{method} failed: {value}");
                return value["result"].clone();
            }
        }
    }

    /// Run `script` (an expression, awaited) in the page; its value, as JSON.
    fn eval(&mut self, script: &str) -> serde_json::Value {
        let params = serde_json::json!({ "expression": script, "awaitPromise": true, "returnByValue": true });
        let result = self.call("Runtime.evaluate", params);
        assert!(result.get("exceptionDetails").is_none(), "the script failed: {result}");
        result["result"]["value"].clone()
    }
}

impl Drop for DevTools {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The page's script helpers: wait for a condition, fill a control as a person would (an
/// `input` event), read the total once the answer for the latest facts is on screen.
const PAGE_HELPERS: &str = r##"
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const until = async (f) => { for (let i = 0; i < 300; i++) { const v = f(); if (v) return v; await sleep(50); } throw new Error("timed out"); };
const fill = (id, v) => { const e = document.getElementById(id); e.value = v; e.dispatchEvent(new Event("input", { bubbles: true })); };
const rowIds = () => Array.from(document.querySelectorAll("#rows-periods > li")).map((li) => li.dataset.row);
// The answer settles: the debounce (150 ms) has passed and the total stays the same.
const settled = async () => {
  await sleep(400);
  let last = null;
  for (let i = 0; i < 100; i++) {
    const t = document.getElementById("total").textContent;
    if (t === last && t !== "–") return t;
    last = t;
    await sleep(200);
  }
  throw new Error("no total");
};
"##;

/// A list of records on the page of `examples/other_city.policy`: a person adds two rows
/// of social insurance, fills them and gets the total `jifen score` gives for the same
/// applicant; removing a row changes the total as the policy says.
///
/// By hand, from the policy's text: born 1990-07-01 is 36 on the effective date 2026-07-01
/// (age_points 10); education none (0); the rows 24 months at 8000 yuan and 24 months at
/// 30000 yuan make si_months 48 (0.25 × 48 = 12, under the cap of 30) and high_months 24
/// (only 30000 ≥ 2 × 12000), so high_base 1 × ⌊24 / 12⌋ = 2; no certificate, no patent,
/// no fine: 10 + 12 + 2 = 24.00. Without the first row (8000 yuan): si_months 24 (6) and
/// high_base still 2: 10 + 6 + 2 = 18.00.
#[test]
fn the_calculator_adds_and_removes_rows_of_a_list() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: no chromium on PATH (install Debian's `chromium` to run the browser tests)");
        return;
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let source = std::fs::read_to_string(format!("{root}/examples/other_city.policy")).expect("the example reads");
    let rules = jifen::compile("examples/other_city.policy", &source).expect("the example compiles");
    let server = jifen::internals::serve::start(rules, "127.0.0.1:0").expect("the server starts");
    let mut devtools = DevTools::start(browser);
    devtools.call("Page.navigate", serde_json::json!({ "url": format!("http://{}/", server.addr()) }));

    let first = devtools.eval(&format!(
        r##"(async () => {{ {PAGE_HELPERS}
        const add = await until(() => document.querySelector('[data-add-row="periods"]'));
        await until(() => document.getElementById("f-birth"));
        fill("f-birth", "1990-07-01");
        add.click();
        add.click();
        const [a, b] = rowIds();
        fill("f-periods-" + a + "-start", "2020-01-01");
        fill("f-periods-" + a + "-months", "24");
        fill("f-periods-" + a + "-base", "8000");
        fill("f-periods-" + b + "-start", "2022-01-01");
        fill("f-periods-" + b + "-months", "24");
        fill("f-periods-" + b + "-base", "30000");
        const total = await settled();
        // Every control of a row has a label that names it.
        const unlabelled = Array.from(document.querySelectorAll("#rows-periods input, #rows-periods select"))
            .filter((e) => !e.labels || !e.labels.length).map((e) => e.id);
        const q = new URLSearchParams(location.search);
        return {{ total, unlabelled, rows: rowIds().length, legend: document.querySelector("#rows-periods legend").textContent,
                  applicant: {{ birth: q.get("birth"), periods: JSON.parse(q.get("periods")) }} }};
        }})()"##
    ));
    assert_eq!(first["total"], "24.00", "{first}");
    assert_eq!(first["rows"], 2);
    assert_eq!(first["unlabelled"], serde_json::json!([]), "{first}");
    assert!(first["legend"].as_str().unwrap_or("").contains("第 1 行"), "{first}");

    // The facts the page sent (its query string keeps them), scored by the CLI.
    let dir = target_dir().join("browser");
    std::fs::create_dir_all(&dir).expect("a folder");
    let applicant = dir.join(format!("rows-{}.json", std::process::id()));
    std::fs::write(&applicant, first["applicant"].to_string()).expect("the applicant");
    assert_eq!(
        first["applicant"]["periods"],
        serde_json::json!([
            { "start": "2020-01-01", "months": 24, "base": 8000 },
            { "start": "2022-01-01", "months": 24, "base": 30000 }
        ])
    );
    let score = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["--format", "json", "score", "--policy", "examples/other_city.policy"])
        .arg(&applicant)
        .current_dir(root)
        .output()
        .expect("jifen score runs");
    let _ = std::fs::remove_file(&applicant);
    assert!(score.status.success(), "{}", String::from_utf8_lossy(&score.stderr));
    let scored: serde_json::Value = serde_json::from_slice(&score.stdout).expect("JSON");
    assert_eq!(scored["total"].to_string(), "24.00", "{scored}");

    // Remove the first row: the total follows, the rows are numbered again.
    let second = devtools.eval(&format!(
        r##"(async () => {{ {PAGE_HELPERS}
        document.querySelector("#rows-periods > li [data-remove-row]").click();
        const total = await settled();
        return {{ total, rows: rowIds().length, legend: document.querySelector("#rows-periods legend").textContent,
                  add: document.querySelector('[data-add-row="periods"]').disabled }};
        }})()"##
    ));
    assert_eq!(second["total"], "18.00", "{second}");
    assert_eq!(second["rows"], 1);
    assert!(second["legend"].as_str().unwrap_or("").contains("第 1 行"), "{second}");
    assert_eq!(second["add"], false);

    // A screenshot of the page with its row, for people.
    let shot = devtools.call("Page.captureScreenshot", serde_json::json!({ "format": "png" }));
    let png = shot["data"].as_str().map(|d| d.len()).unwrap_or(0);
    assert!(png > 1000, "a screenshot");
}
