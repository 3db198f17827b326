//! What every request passes before a handler: the `Host` check, the JSON content type
//! of the API's bodies, JSON for the bare errors of tower's layers, and the access log.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::mpsc::{channel, sync_channel, Sender, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api::{is_json, Answer};

// ---------------------------------------------------------------- Host

/// The `Host` values the server answers; any other is refused, so that a page of another
/// site whose name is made to resolve to this machine (DNS rebinding) cannot read it.
#[derive(Debug, Clone, Default)]
pub struct Hosts {
    /// Names given by `--allow-host`, lowercase, without a trailing dot.
    names: Vec<String>,
}

impl Hosts {
    pub fn new(names: &[String]) -> Hosts {
        Hosts { names: names.iter().map(|n| normal(n).to_string()).collect() }
    }

    /// Whether a `Host` value (`name`, `name:port`, `[v6]:port`) names this server: an IP
    /// address (no rebinding goes through a literal address: the browser's origin is
    /// then that address), `localhost`, or a name given by `--allow-host`.
    pub fn allows(&self, host: &str) -> bool {
        let name = normal(strip_port(host));
        if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
            return v6.parse::<Ipv6Addr>().is_ok();
        }
        name.parse::<IpAddr>().is_ok() || name == "localhost" || self.names.contains(&name)
    }
}

fn normal(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `host:port` → `host`; `[v6]:port` → `[v6]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Refuse a request whose `Host` (or absolute URI's host) is not this server's, with 403.
pub(crate) async fn check_host(State(hosts): State<Arc<Hosts>>, request: Request, next: Next) -> Response {
    let header = request.headers().get(header::HOST).map(|h| h.to_str().unwrap_or("\u{fffd}"));
    let authority = request.uri().authority().map(|a| a.as_str());
    let Some(host) = authority.or(header) else {
        let help = "send the `Host` header, as every HTTP/1.1 client does";
        return Answer::error(StatusCode::BAD_REQUEST, "the request has no `Host` header", None, Some(help))
            .into_response();
    };
    if header.is_some_and(|h| !hosts.allows(h)) || !hosts.allows(host) {
        let shown: String = host.chars().take(100).collect();
        let help = "open the page at the address jifen printed, or start it with `--allow-host NAME`";
        let message = format!("this server does not answer for the host `{shown}`");
        return Answer::error(StatusCode::FORBIDDEN, message, None, Some(help)).into_response();
    }
    next.run(request).await
}

// ---------------------------------------------------------------- Content-Type

/// The API's bodies are JSON, declared as such: 415 otherwise. (A page of another site
/// can post a form or `text/plain` without asking; JSON needs the server's consent.)
pub(crate) async fn require_json(request: Request, next: Next) -> Response {
    let declared = request.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes());
    if !declared.is_some_and(is_json) {
        let message = match declared {
            Some(v) => {
                format!("the body is `{}`, not JSON", String::from_utf8_lossy(v).chars().take(60).collect::<String>())
            }
            None => "the request does not say that its body is JSON".to_string(),
        };
        let help = "send the applicant with `Content-Type: application/json`";
        return Answer::error(StatusCode::UNSUPPORTED_MEDIA_TYPE, message, None, Some(help)).into_response();
    }
    next.run(request).await
}

// ---------------------------------------------------------------- bare errors

/// The 408 of tower-http's timeout has no body: give it the API's JSON error.
pub(crate) async fn explain_timeout(response: Response) -> Response {
    if response.status() == StatusCode::REQUEST_TIMEOUT && response.body().size_hint().exact() == Some(0) {
        let help = "send the whole request at once; the server does not wait for a slow one";
        let message = "the request was not received and answered in time";
        return Answer::error(StatusCode::REQUEST_TIMEOUT, message, None, Some(help)).into_response();
    }
    response
}

// ---------------------------------------------------------------- access log

/// One line per request on stderr, written by a thread of its own: a stalled stderr drops
/// lines instead of stalling the server.
#[derive(Debug, Clone)]
pub(crate) struct AccessLog {
    lines: SyncSender<Line>,
}

#[derive(Debug)]
enum Line {
    Text(String),
    /// Answered once every line before it is written.
    Flush(Sender<()>),
}

impl AccessLog {
    pub(crate) fn start() -> AccessLog {
        let (lines, rx) = sync_channel::<Line>(1024);
        let _ = std::thread::Builder::new().name("jifen-access-log".into()).spawn(move || {
            let stderr = std::io::stderr();
            for line in rx {
                match line {
                    Line::Text(text) => drop(stderr.lock().write_all(text.as_bytes())),
                    Line::Flush(done) => drop(done.send(())),
                }
            }
        });
        AccessLog { lines }
    }

    pub(crate) fn write(&self, line: String) {
        let _ = self.lines.try_send(Line::Text(line));
    }

    /// Wait (up to `patience`) until the lines sent so far are written: before the
    /// process exits.
    pub(crate) fn flush(&self, patience: Duration) {
        let (done, written) = channel();
        if self.lines.try_send(Line::Flush(done)).is_ok() {
            let _ = written.recv_timeout(patience);
        }
    }
}

/// `POST /api/score 200 1.2ms`: method, path (never the query: it may hold facts), status
/// and the time to the answer's head.
pub(crate) async fn access_log(State(log): State<AccessLog>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut line = format!("{} ", request.method());
    line.extend(request.uri().path().chars().take(200));
    let response = next.run(request).await;
    let _ = writeln!(line, " {} {:.1?}", response.status().as_u16(), start.elapsed());
    log.write(line);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let hosts = Hosts::new(&["Points.Example.org.".to_string()]);
        for ok in ["127.0.0.1:8080", "127.0.0.1", "localhost:8080", "LOCALHOST", "[::1]:80", "[::1]", "10.0.0.7:1"] {
            assert!(hosts.allows(ok), "{ok}");
        }
        assert!(hosts.allows("points.example.org:443") && hosts.allows("points.example.org"));
        // A rebound name, a look-alike, a suffix trick, garbage.
        for bad in ["evil.example:8080", "localhost.evil.example", "127.0.0.1.evil.example", "[nope]:1", "", ":80"] {
            assert!(!hosts.allows(bad), "{bad}");
        }
    }
}
