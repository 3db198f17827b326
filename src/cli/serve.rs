//! `jifen serve`: the policy over HTTP (a JSON API and a calculator page).

use std::time::Duration;

use crate::serve::{self, Config, Stopped};

use super::input::{io_reason, load_policy};
use super::{exit, fail};

/// Serve a policy over HTTP: a calculator page at `/` and a JSON API.
#[derive(Debug, clap::Args)]
#[command(after_help = "Endpoints:\n  GET  /             the calculator page (no outside resources)\n  \
GET  /api/policy   the policy's inputs, items and sections\n  \
POST /api/score    an applicant (JSON) → the `score --format json` object; ?explain=1 adds traces\n  \
POST /api/plan     an applicant (JSON) → the `plan --format json` report\n\n\
Errors are JSON: {\"error\": \"…\", \"key\": \"age\"}, with 400 (invalid applicant), 403 (a Host not allowed), \
404, 405, 408 (request too slow), 413 (body over 64 KiB), 415 (body not `Content-Type: application/json`) \
or 503 (plan over its time, or too many connections).\n\
The page takes initial facts from its query string: /?age=30&si_months=6&education=bachelor_with_degree \
(a list's rows as JSON: /?periods=[{\"months\":24}]); its form adds and removes rows of a list.\n\n\
Durations are written 500ms, 10s or 2m.\n\n\
Examples:\n  jifen serve\n  jifen serve --addr 127.0.0.1:0 --quiet\n  \
jifen serve --policy policies/2024.policy --addr 127.0.0.1:9000\n  \
jifen serve --addr 0.0.0.0:8080 --allow-host points.example.org\n\n\
The first Ctrl-C or SIGTERM stops accepting connections and finishes the requests in flight (up to \
--shutdown-timeout); a second one stops at once.")]
pub(crate) struct Args {
    /// Policy file (default: the bundled 2025 policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// A host name the server answers for (repeatable), besides IP addresses and
    /// `localhost`; requests with any other `Host` get 403 (against DNS rebinding).
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Connections open at once; one more is answered 503.
    #[arg(long, default_value_t = 512, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Time for a request's head to arrive; also how long an idle connection is kept, and
    /// how long an answer waits for a client that does not read it.
    #[arg(long, default_value = "10s", value_parser = duration, value_name = "DURATION")]
    pub header_timeout: Duration,
    /// Time for a whole request to arrive and be answered (else 408).
    #[arg(long, default_value = "15s", value_parser = duration, value_name = "DURATION")]
    pub request_timeout: Duration,
    /// Plans searched at once [default: half the cores, at least 1].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub plan_workers: Option<u32>,
    /// Time for a plan, waiting for a worker included (else 503).
    #[arg(long, default_value = "3s", value_parser = duration, value_name = "DURATION")]
    pub plan_timeout: Duration,
    /// After the first stop signal, how long requests in flight may still take.
    #[arg(long, default_value = "10s", value_parser = duration, value_name = "DURATION")]
    pub shutdown_timeout: Duration,
    /// No access log (one line per request on stderr: method, path, status, time).
    #[arg(long, short)]
    pub quiet: bool,
}

/// `500ms`, `10s`, `2m` (or a bare number of seconds): from 1 ms to 1 hour.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a duration such as 500ms, 10s or 2m"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("unknown unit `{unit}` in `{text}`: write ms, s or m")),
    };
    if d < Duration::from_millis(1) || d > Duration::from_secs(3600) {
        return Err(format!("`{text}` is out of range: from 1ms to 60m"));
    }
    Ok(d)
}

/// The soft limit on open files (Linux), to keep the connection limit under it.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn config(args: &Args) -> Config {
    let mut max_connections = args.max_connections as usize;
    // The server's own files and sockets, and the refused connections being answered.
    let reserve = 64;
    if let Some(files) = open_file_limit() {
        let room = files.saturating_sub(reserve).max(1);
        if max_connections > room {
            stderr_line!(
                "warning: --max-connections {max_connections} is over what the open-file limit ({files}) allows; \
                 using {room} (raise it with `ulimit -n`)"
            );
            max_connections = room;
        }
    }
    let defaults = Config::default();
    Config {
        max_connections,
        header_timeout: args.header_timeout,
        request_timeout: args.request_timeout,
        plan_workers: args.plan_workers.map_or(defaults.plan_workers, |n| n as usize),
        plan_timeout: args.plan_timeout,
        shutdown_timeout: args.shutdown_timeout,
        allowed_hosts: args.allow_hosts.clone(),
        log: !args.quiet,
    }
}

pub(crate) fn run(args: Args) -> u8 {
    let ruleset = match load_policy(args.policy.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let config = config(&args);
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
        stderr_line!("warning: listening on {addr}: anyone who can reach this address can use the server");
    }
    outln!("jifen serve: listening on http://{addr}");
    let quiet = args.quiet;
    match serve::run(ruleset, listener, config) {
        Ok(stopped) => {
            if !quiet {
                match stopped {
                    Stopped::Finished => stderr_line!("jifen serve: stopped"),
                    Stopped::Deadline { open } => {
                        stderr_line!("jifen serve: stopped at the shutdown deadline, closing {open} connection(s)")
                    }
                    Stopped::Forced => stderr_line!("jifen serve: stopped at once, on a second signal"),
                }
            }
            exit::OK
        }
        Err(e) => {
            fail(&format!("the server stopped: {}", io_reason(&e)), None);
            exit::IO
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "s", "0s", "61m", "10h", "-1s", "1.5s", "99999999999999999999s"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}
