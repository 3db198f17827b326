//! `cargo bench --bench criterion`: the same four measurements as `benches/throughput.rs`,
//! under criterion's statistics (warm-up, many samples, confidence intervals, and a
//! comparison with the previous run in `target/criterion/`).
//!
//! - compile `2025.policy` (with the `2024.policy` it extends)
//! - evaluate 1,000 applicants with the compiled rule set, and with the hand-written
//!   2025 rules (`benches/common/handwritten.rs`) as the speed limit
//! - evaluate 1,000 applicants of `examples/other_city.policy` (dates, a list of periods,
//!   fractional points), with the compiled scorer and with the reference evaluator
//! - `jifen batch` and `jifen diff` end to end on `BENCH_ROWS` generated applicants
//!   (default 100,000), through the release binary

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{handwritten, other_city, person, population};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn compile(c: &mut Criterion) {
    c.bench_function("compile 2025.policy", |b| {
        b.iter(|| jifen::compile_bundled(black_box("policies/2025.policy")).expect("the bundled policy compiles"))
    });
}

fn evaluate(c: &mut Criterion) {
    let rs = jifen::bundled_policy().expect("the bundled policy compiles");
    let applicants = population(&rs, 1_000);
    let people: Vec<handwritten::Person> = applicants.iter().map(|a| person(&rs, a)).collect();
    let scorer = rs.scorer();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(applicants.len() as u64));
    group.bench_function("compiled", |b| {
        let mut scores = jifen::Scores::default();
        b.iter(|| {
            for a in &applicants {
                let _ = scorer.score(black_box(a), &mut scores);
                black_box(&scores);
            }
        })
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            for p in &people {
                let s = handwritten::score(black_box(p));
                black_box((s.items, s.total, s.meets_standard));
            }
        })
    });
    group.finish();
}

fn evaluate_other_city(c: &mut Criterion) {
    let rs = other_city();
    let applicants = population(&rs, 1_000);
    let scorer = rs.scorer();
    let mut group = c.benchmark_group("evaluate other_city");
    group.throughput(Throughput::Elements(applicants.len() as u64));
    group.bench_function("compiled", |b| {
        let mut scores = jifen::Scores::default();
        b.iter(|| {
            for a in &applicants {
                let _ = scorer.score(black_box(a), &mut scores);
                black_box(&scores);
            }
        })
    });
    group.bench_function("reference", |b| {
        b.iter(|| {
            for a in &applicants {
                black_box(rs.evaluate(black_box(a)).map(|o| o.total).unwrap_or(0));
            }
        })
    });
    group.finish();
}

/// A generated population of `BENCH_ROWS` applicants in a scratch folder.
fn scratch_population() -> Option<(PathBuf, usize)> {
    let rows: usize = std::env::var("BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("jifen-criterion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let input = dir.join("people.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["gen", "--count", &rows.to_string(), "--seed", "7", "-o"])
        .arg(&input)
        .status()
        .ok()?;
    status.success().then_some((input, rows))
}

fn jifen(args: &[&str], input: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(args)
        .arg(input)
        .stdout(Stdio::null())
        .status()
        .expect("jifen runs");
    assert!(status.success(), "jifen {args:?} failed");
}

fn batch_and_diff(c: &mut Criterion) {
    let Some((input, rows)) = scratch_population() else {
        eprintln!("could not generate the population; skipping batch and diff");
        return;
    };
    let dir = input.parent().map(Path::to_path_buf).unwrap_or_default();
    let output = dir.join("scores.csv");
    let output = output.to_string_lossy();
    let mut group = c.benchmark_group("end to end");
    group.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Elements(rows as u64));
    group.bench_function("batch, JSON lines in, CSV out", |b| b.iter(|| jifen(&["batch", "-o", &output], &input)));
    group.bench_function("diff 2024 -> 2025", |b| {
        b.iter(|| {
            jifen(&["diff", "policies/2024.policy", "policies/2025.policy", "--format", "json", "--applicants"], &input)
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, compile, evaluate, evaluate_other_city, batch_and_diff);
criterion_main!(benches);
