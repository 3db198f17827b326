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
//! first, for the instructions per compile the same way.

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
    let rs = jifen::bundled_policy().expect("the bundled policy compiles");
    let applicants = common::population(&rs, var("N", 1_000).max(1));
    let total = var("TOTAL", 3_000_000);
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
