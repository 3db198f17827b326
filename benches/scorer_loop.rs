//! `cargo bench --bench scorer_loop`: the scorer alone, in a loop, for profilers.
//!
//! Wall-clock numbers on a shared machine are noisy; instruction counts are not. To count
//! the instructions the scorer spends per applicant (what `docs/performance.md` quotes):
//!
//! ```sh
//! cargo bench --bench scorer_loop --no-run   # "Executable … (target/release/deps/scorer_loop-HASH)"
//! for n in 0 100000; do TOTAL=$n valgrind --tool=cachegrind --cache-sim=no --branch-sim=yes \
//!     --cachegrind-out-file=/dev/null target/release/deps/scorer_loop-HASH; done
//! ```
//!
//! and divide the difference of the two `I refs` by 100,000. `N` sets how many distinct
//! generated applicants are cycled through (default 1,000), `TOTAL` how many are scored
//! (default 3,000,000). `COMPILES=10` (with `TOTAL=0`) compiles `2025.policy` ten times
//! first, for the instructions per compile the same way. `HAND=1` runs the hand-written
//! rules of `benches/common/handwritten.rs` instead, on the same applicants (the baseline
//! of the ratio); `POLICY=FILE` scores with another policy (a rule set of constant items,
//! say, to count what the scorer's frame costs alone).

mod common;

use std::hint::black_box;
use std::time::Instant;

fn var(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    for _ in 0..var("COMPILES", 0) {
        black_box(jifen::compile_bundled(black_box("policies/2025.policy")).expect("the bundled policy compiles"));
    }
    let rs = match std::env::var("POLICY") {
        Ok(path) => {
            jifen::compile(&path, &std::fs::read_to_string(&path).expect("POLICY reads")).expect("POLICY compiles")
        }
        Err(_) => jifen::bundled_policy().expect("the bundled policy compiles"),
    };
    let applicants = common::population(&rs, var("N", 1_000).max(1));
    let total = var("TOTAL", 3_000_000);
    if var("HAND", 0) == 1 {
        let people: Vec<common::handwritten::Person> = applicants.iter().map(|a| common::person(&rs, a)).collect();
        let start = Instant::now();
        for _ in 0..total / people.len() {
            for p in &people {
                black_box(&common::handwritten::score(black_box(p)));
            }
        }
        let per = start.elapsed().as_nanos() as f64 / total.max(1) as f64;
        println!("hand-written: {total} applicants: {per:.0} ns each");
        return;
    }
    let scorer = rs.scorer();
    let mut scores = jifen::Scores::default();
    let start = Instant::now();
    for _ in 0..total / applicants.len() {
        for a in &applicants {
            let _ = scorer.score(black_box(a), &mut scores);
            black_box(&scores);
        }
    }
    let per = start.elapsed().as_nanos() as f64 / total.max(1) as f64;
    println!("scored {total} applicants: {per:.0} ns each");
}
