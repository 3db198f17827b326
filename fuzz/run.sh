#!/usr/bin/env bash
# Run one fuzz target on stable Rust for SECONDS (default 300), seeded from the repository.
# Usage: fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags…]
set -euo pipefail
cd "$(dirname "$0")"
target=$1
seconds=${2:-300}
shift $(( $# >= 2 ? 2 : 1 ))
./seed.sh
dict=policy.dict
features=()
case $target in
    applicant_json) dict=applicant.dict ;;
    serve_json) dict=applicant.dict features=(--features serve) ;;
    lsp_messages) dict=lsp.dict features=(--features lsp) ;;
esac
RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --debug-assertions "${features[@]}" "$target" -- \
    -max_total_time="$seconds" -max_len=2048 -timeout=10 -rss_limit_mb=4096 -dict="$dict" -print_final_stats=1 "$@"
