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
    static SERVER: OnceLock<jifen::serve::Running> = OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let policy = jifen::bundled_policy().expect("the bundled policy compiles");
        jifen::serve::start(policy, "127.0.0.1:0").expect("the server starts")
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
