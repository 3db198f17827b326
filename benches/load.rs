//! `cargo bench --bench load`: `jifen serve` under load, on loopback only.
//!
//! 1. Fixed rate: `LOAD_RATE` requests/s (default 1,000) of `POST /api/score` for
//!    `LOAD_SECS` seconds (default 10), spread over `LOAD_THREADS` kept-alive
//!    connections (default 4), each request sent at its scheduled time. Latency is
//!    measured from the scheduled time, so a server that falls behind shows it.
//! 2. Capacity: as fast as 2 connections go, for `LOAD_MAX_SECS` seconds (default 3).
//! 3. `plan` for the R15′ applicant, in-process and over HTTP (target: under 100 ms).
//! 4. Scoring beside plans: the fixed rate of 1. for `LOAD_SECS`, while `LOAD_PLANNERS`
//!    clients (default 64) ask, one after the other, for the plan of a vetoed applicant
//!    (the longest search). Plans run on `--plan-workers` threads within `--plan-timeout`
//!    (else 503): scoring's latency should barely move.
//!
//! The server runs in this process on 127.0.0.1 with a port of the system's choosing;
//! every loop is bounded in time. Results are printed, never asserted; see
//! docs/performance.md.

#[path = "../tests/support/http.rs"]
mod http;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use jifen::plan::Limits;

const BODIES: &[&str] = &[
    r#"{"age": 30, "si_months": 6, "education": "bachelor_with_degree"}"#,
    r#"{"age": 28, "education": "bachelor", "si_base_yuan": 13000, "si_base_months_48": 36, "si_months": 36}"#,
    r#"{"age": 30, "title_skill": "skill_4", "si_base_yuan": 13000, "si_base_months_48": 36, "si_base_months_12": 12, "si_base_months_36": 36, "si_months": 36}"#,
    r#"{"age": 41, "si_months": 150, "education": "junior_college", "remote_area": "lingang", "remote_area_years": 3, "spouse_hukou_years": 4}"#,
];

const R15_PRIME: &str = BODIES[2];

/// Vetoed: the plan search finds nothing and tries everything.
const VETOED: &str = r#"{"age": 30, "si_months": 6, "serious_crime": true}"#;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Run {
    /// Latency of each request answered 200.
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn report(name: &str, mut run: Run) {
    run.latencies.sort();
    let ok = run.latencies.len();
    let l = &run.latencies;
    println!(
        "{name}: {ok} ok, {} errors in {:.2} s = {:.0} req/s; latency p50 {}, p90 {}, p99 {}, p99.9 {}, max {}",
        run.errors,
        run.elapsed.as_secs_f64(),
        ok as f64 / run.elapsed.as_secs_f64(),
        ms(percentile(l, 0.50)),
        ms(percentile(l, 0.90)),
        ms(percentile(l, 0.99)),
        ms(percentile(l, 0.999)),
        ms(l.last().copied().unwrap_or_default()),
    );
}

/// `rate` requests/s for `secs`, over `threads` connections, each on its schedule.
fn fixed_rate(addr: SocketAddr, rate: u64, secs: u64, threads: u64) -> Run {
    let interval = Duration::from_secs_f64(threads as f64 / rate as f64);
    let start = Instant::now() + Duration::from_millis(100);
    let end = start + Duration::from_secs(secs);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let mut conn = http::Conn::connect(addr).expect("connect");
                let offset = interval.mul_f64(t as f64 / threads as f64);
                let mut latencies = Vec::with_capacity((rate * secs / threads + 16) as usize);
                let mut errors = 0;
                for i in 0u32.. {
                    let scheduled = start + offset + interval * i;
                    if scheduled >= end {
                        break;
                    }
                    let now = Instant::now();
                    if scheduled > now {
                        std::thread::sleep(scheduled - now);
                    }
                    let body = BODIES[(i as usize + t as usize) % BODIES.len()];
                    match conn.request("POST", "/api/score", Some(body.as_bytes())) {
                        Ok(r) if r.status == 200 => latencies.push(scheduled.elapsed()),
                        Ok(_) => errors += 1,
                        Err(_) => {
                            errors += 1;
                            conn = http::Conn::connect(addr).expect("reconnect");
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut run = Run { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO };
    for h in handles {
        let (l, e) = h.join().expect("a load thread");
        run.latencies.extend(l);
        run.errors += e;
    }
    run.elapsed = start.elapsed();
    run
}

/// As fast as `threads` connections go, one request at a time each, for `secs`.
fn capacity(addr: SocketAddr, secs: u64, threads: usize) -> Run {
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let mut conn = http::Conn::connect(addr).expect("connect");
                let (mut latencies, mut errors) = (Vec::new(), 0);
                let mut i = t;
                while Instant::now() < end {
                    let sent = Instant::now();
                    match conn.request("POST", "/api/score", Some(BODIES[i % BODIES.len()].as_bytes())) {
                        Ok(r) if r.status == 200 => latencies.push(sent.elapsed()),
                        _ => errors += 1,
                    }
                    i += 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut run = Run { latencies: Vec::new(), errors: 0, elapsed: Duration::ZERO };
    for h in handles {
        let (l, e) = h.join().expect("a load thread");
        run.latencies.extend(l);
        run.errors += e;
    }
    run.elapsed = start.elapsed();
    run
}

/// `planners` clients asking for plans, one after the other each, until `end`: the
/// answers counted by status (200, 503, other).
fn plans_until(addr: SocketAddr, planners: u64, end: Instant) -> std::thread::JoinHandle<[usize; 3]> {
    std::thread::spawn(move || {
        let handles: Vec<_> = (0..planners)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut counts = [0; 3];
                    let Ok(mut conn) = http::Conn::connect(addr) else { return counts };
                    while Instant::now() < end {
                        match conn.request("POST", "/api/plan", Some(VETOED.as_bytes())).map(|r| r.status) {
                            Ok(200) => counts[0] += 1,
                            Ok(503) => counts[1] += 1,
                            _ => {
                                counts[2] += 1;
                                match http::Conn::connect(addr) {
                                    Ok(c) => conn = c,
                                    Err(_) => return counts,
                                }
                            }
                        }
                    }
                    counts
                })
            })
            .collect();
        let mut total = [0; 3];
        for h in handles {
            let c = h.join().unwrap_or_default();
            (0..3).for_each(|i| total[i] += c[i]);
        }
        total
    })
}

fn main() {
    let rate = env_num("LOAD_RATE", 1000).max(1);
    let secs = env_num("LOAD_SECS", 10).clamp(1, 120);
    let threads = env_num("LOAD_THREADS", 4).clamp(1, 64);
    let max_secs = env_num("LOAD_MAX_SECS", 3).clamp(1, 60);
    let policy = jifen::bundled_policy().expect("the bundled policy compiles");
    let server = jifen::internals::serve::start(policy.clone(), "127.0.0.1:0").expect("the server starts");
    let addr = server.addr();
    println!(
        "jifen serve on http://{addr}; {} cores; {} applicants in rotation",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        BODIES.len()
    );

    // Warm up (connections, allocator, caches).
    let _ = capacity(addr, 1, 1);

    println!("\n== POST /api/score at a fixed rate: {rate} req/s for {secs} s over {threads} kept-alive connections");
    report("fixed rate", fixed_rate(addr, rate, secs, threads));

    println!("\n== POST /api/score as fast as 2 kept-alive connections go, {max_secs} s");
    report("capacity", capacity(addr, max_secs, 2));

    println!("\n== plan for R15′ (target: under 100 ms)");
    let row = jifen::internals::population::RawRow::json(1, R15_PRIME.to_string());
    let (_, applicant) = row.parse(&policy).expect("R15′ is a valid applicant");
    let mut times = Vec::new();
    let mut plans = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let report = policy.plan(&applicant, Limits::default());
        times.push(t.elapsed());
        plans = report.plans.len();
    }
    times.sort();
    println!(
        "in-process: {plans} plans; min {}, median {}, max {} over {} runs",
        ms(times[0]),
        ms(percentile(&times, 0.5)),
        ms(times[times.len() - 1]),
        times.len()
    );
    let mut conn = http::Conn::connect(addr).expect("connect");
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let r = conn.request("POST", "/api/plan", Some(R15_PRIME.as_bytes())).expect("an answer");
        assert_eq!(r.status, 200, "{}", r.text());
        times.push(t.elapsed());
    }
    times.sort();
    println!("POST /api/plan: min {}, median {}, max {} over 5 requests", ms(times[0]), ms(times[2]), ms(times[4]));

    let planners = env_num("LOAD_PLANNERS", 64).clamp(1, 256);
    println!(
        "\n== POST /api/score at {rate} req/s for {secs} s over {threads} connections, beside {planners} clients asking for plans"
    );
    let planning = plans_until(addr, planners, Instant::now() + Duration::from_secs(secs) + Duration::from_millis(100));
    report("score beside plans", fixed_rate(addr, rate, secs, threads));
    let [found, refused, failed] = planning.join().unwrap_or_default();
    println!("plans: {found} answered 200, {refused} answered 503 (over the plan budget), {failed} failed");
    drop(server);
}
