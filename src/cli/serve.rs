//! `jifen serve`: the policy over HTTP (a JSON API and a calculator page).

use jifen::serve;

use super::input::{io_reason, load_policy};
use super::{exit, fail};

/// Serve a policy over HTTP: a calculator page at `/` and a JSON API.
#[derive(Debug, clap::Args)]
#[command(after_help = "Endpoints:\n  GET  /             the calculator page (no outside resources)\n  \
GET  /api/policy   the policy's inputs, items and sections\n  \
POST /api/score    an applicant (JSON) → the `score --format json` object; ?explain=1 adds traces\n  \
POST /api/plan     an applicant (JSON) → the `plan --format json` report\n\n\
Errors are JSON: {\"error\": \"…\", \"key\": \"age\"}, with 400 (invalid applicant), 404, 405 or 413 (body over 64 KiB).\n\
The page takes initial facts from its query string: /?age=30&si_months=6&education=bachelor_with_degree\n\n\
Examples:\n  jifen serve\n  jifen serve --addr 127.0.0.1:0\n  jifen serve --policy policies/2024.policy --addr 127.0.0.1:9000\n\n\
Stops on Ctrl-C or SIGTERM, after finishing the requests in flight.")]
pub struct Args {
    /// Policy file (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
}

pub fn run(args: Args) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let listener = match serve::bind(&args.addr).and_then(|l| l.local_addr().map(|a| (l, a))) {
        Ok(l) => l,
        Err(e) => {
            fail(
                &format!("cannot listen on `{}`: {}", args.addr, io_reason(&e)),
                Some("give another --addr, e.g. 127.0.0.1:0 for any free port"),
            );
            return exit::IO;
        }
    };
    let (listener, addr) = listener;
    if !addr.ip().is_loopback() {
        eprintln!("warning: listening on {addr}: anyone who can reach this address can use the server");
    }
    outln!("jifen serve: listening on http://{addr}");
    match serve::run(ruleset, listener) {
        Ok(()) => exit::OK,
        Err(e) => {
            fail(&format!("the server stopped: {}", io_reason(&e)), None);
            exit::IO
        }
    }
}
