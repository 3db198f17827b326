//! `jifen serve`: the policy over HTTP, and a calculator page for applicants.
//!
//! | method and path   | body            | answer                                             |
//! |-------------------|-----------------|----------------------------------------------------|
//! | `GET /`           |                 | the calculator page (HTML, inline CSS and JS)      |
//! | `GET /api/policy` |                 | the policy's schema: inputs, items, sections       |
//! | `POST /api/score` | applicant JSON  | the `score --format json` object (`?explain=1` adds each item's `trace`) |
//! | `POST /api/plan`  | applicant JSON  | the [`PlanReport`](crate::plan::PlanReport) of `plan --format json` |
//!
//! Errors are JSON, `{"error": "…", "key": "age", "help": "…"}` (`key` names the fact at
//! fault, or is `null`): 400 for an invalid applicant, 403 for a `Host` that is not this
//! server's, 408 for a request not received in time, 413 for a body over [`BODY_LIMIT`],
//! 415 for a body not declared `application/json`, 404 for an unknown path, 405 for a
//! wrong method, 503 for a plan over its budget or a connection over the limit.
//!
//! The work of one client is bounded ([`Config`]): connections, the time to send a
//! request's head or the whole request, and the plans searched at once and for how long.
//! A plan runs on a blocking thread, never on the threads that answer `score`.
//!
//! ```no_run
//! let policy = jifen::bundled_policy().expect("the bundled policy compiles");
//! let server = jifen::internals::serve::start(policy, "127.0.0.1:0").expect("a free port");
//! println!("listening on http://{}", server.addr());
//! ```

pub mod api;
mod conn;
pub(crate) mod guard;
pub(crate) mod page;

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{from_fn, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;

pub(crate) use api::{policy_json, Answer, BODY_LIMIT};

use crate::plan::Limits;
use crate::rules::RuleSet;

/// What one client may take of the server. [`Config::default`] is `jifen serve`'s
/// defaults, without the access log.
#[derive(Debug, Clone)]
pub struct Config {
    /// Connections open at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// Time for a request's head to arrive, from the connection's opening or from the
    /// last answer on it (so also how long an idle kept-alive connection stays open); and
    /// how long a write may wait for a client that does not read its answers.
    pub header_timeout: Duration,
    /// Time for a whole request, body included, to arrive and be answered (else 408).
    pub request_timeout: Duration,
    /// Plans searched at once; a plan waits for its turn within its own deadline.
    pub plan_workers: usize,
    /// Time for a plan, waiting included (else 503).
    pub plan_timeout: Duration,
    /// After the first stop signal, how long requests in flight may still take.
    pub shutdown_timeout: Duration,
    /// Names the server answers for besides IP addresses and `localhost`.
    pub allowed_hosts: Vec<String>,
    /// One line per request on stderr, and the server's own events.
    pub log: bool,
}

impl Default for Config {
    fn default() -> Config {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Config {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            // Half the cores, so that scoring always has the rest.
            plan_workers: (cores / 2).max(1),
            plan_timeout: Duration::from_secs(3),
            shutdown_timeout: Duration::from_secs(10),
            allowed_hosts: Vec::new(),
            log: false,
        }
    }
}

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// Every connection closed after the stop signal.
    Finished,
    /// The shutdown deadline passed with these connections still open.
    Deadline { open: usize },
    /// A second stop signal came before the connections closed.
    Forced,
}

/// What every request shares: the rule set and the answers computed once from it.
struct App {
    ruleset: RuleSet,
    /// `GET /api/policy`, serialised once.
    policy: Bytes,
    /// `GET /`, rendered once.
    page: Bytes,
    /// A permit per plan searched at once.
    plan_workers: Arc<Semaphore>,
    plan_timeout: Duration,
}

/// The routes over a compiled policy, with every guard of `config` but the ones on
/// connections (those are in [`serve`]).
fn routes(ruleset: RuleSet, config: &Config, log: Option<guard::AccessLog>) -> Router {
    let schema = policy_json(&ruleset);
    let page = page::render(&ruleset, &schema);
    let policy = serde_json::to_vec(&schema).unwrap_or_default();
    let app = Arc::new(App {
        ruleset,
        policy: Bytes::from(policy),
        page: Bytes::from(page),
        plan_workers: Arc::new(Semaphore::new(config.plan_workers.clamp(1, Semaphore::MAX_PERMITS))),
        plan_timeout: config.plan_timeout,
    });
    let hosts = Arc::new(guard::Hosts::new(&config.allowed_hosts));
    let router = Router::new()
        .route("/", get(index))
        .route("/api/policy", get(policy_handler))
        .route("/api/score", post(score).route_layer(from_fn(guard::require_json)))
        .route("/api/plan", post(plan).route_layer(from_fn(guard::require_json)))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(map_response(guard::explain_timeout))
        .layer(from_fn_with_state(hosts, guard::check_host));
    match log {
        Some(log) => router.layer(from_fn_with_state(log, guard::access_log)),
        None => router,
    }
}

/// Bind a listening socket (`host:port`; port 0 picks a free one). Binding is done
/// before any runtime exists, so that the caller can report the address, or the error.
pub(crate) fn bind(addr: &str) -> io::Result<StdListener> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    let listener = StdListener::bind(&addrs[..])?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serve on `listener` until `shutdown` completes; then stop accepting, finish the
/// requests in flight and close every connection, up to `config.shutdown_timeout`.
pub(crate) async fn serve(
    ruleset: RuleSet,
    listener: StdListener,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> io::Result<Stopped> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let log = config.log.then(guard::AccessLog::start);
    let router = routes(ruleset, &config, log.clone());
    let stopped = conn::accept_loop(listener, router, &config, shutdown).await;
    if let Some(log) = log {
        let _ = tokio::task::spawn_blocking(move || log.flush(Duration::from_secs(1))).await;
    }
    Ok(stopped)
}

/// Serve on `listener` until Ctrl-C or SIGTERM; blocks. Builds its own runtime. A second
/// signal stops at once, without waiting for the requests in flight.
pub(crate) fn run(ruleset: RuleSet, listener: StdListener, config: Config) -> io::Result<Stopped> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let stopped = runtime.block_on(async move {
        let mut signals = signal::Signals::new()?;
        let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
        let (log, grace) = (config.log, config.shutdown_timeout);
        let server = serve(ruleset, listener, config, async {
            let _ = stopping.await;
        });
        let mut server = std::pin::pin!(server);
        tokio::select! {
            stopped = &mut server => return stopped,
            () = signals.next() => {}
        }
        if log {
            stderr_line!(
                "jifen serve: stopping after the requests in flight (at most {grace:?}); a second signal stops at once"
            );
        }
        let _ = stop.send(());
        tokio::select! {
            stopped = server => stopped,
            () = signals.next() => Ok(Stopped::Forced),
        }
    });
    // Plans still searching on blocking threads are not waited for.
    runtime.shutdown_background();
    stopped
}

mod signal {
    use std::io;

    /// Ctrl-C and SIGTERM, as many times as they come.
    pub(crate) struct Signals {
        #[cfg(unix)]
        interrupt: tokio::signal::unix::Signal,
        #[cfg(unix)]
        terminate: tokio::signal::unix::Signal,
    }

    impl Signals {
        #[cfg(unix)]
        pub(crate) fn new() -> io::Result<Signals> {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
        }

        #[cfg(not(unix))]
        pub fn new() -> io::Result<Signals> {
            Ok(Signals {})
        }

        #[cfg(unix)]
        pub(crate) async fn next(&mut self) {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
            }
        }

        #[cfg(not(unix))]
        pub async fn next(&mut self) {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// A server running in the background of this process (for tests, benchmarks and
/// programs that embed jifen). Dropping it stops the server.
pub struct Running {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Running {
    /// The address it listens on (with the port chosen, if 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Start serving `ruleset` on `addr` in the background with the default [`Config`];
/// returns once it listens.
pub fn start(ruleset: RuleSet, addr: &str) -> io::Result<Running> {
    start_with(ruleset, addr, Config::default())
}

/// [`start`] with a [`Config`] of one's own.
pub fn start_with(ruleset: RuleSet, addr: &str, config: Config) -> io::Result<Running> {
    let listener = bind(addr)?;
    let local = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.spawn(serve(ruleset, listener, config, std::future::pending()));
    Ok(Running { addr: local, runtime: Some(runtime) })
}

// ---------------------------------------------------------------- handlers

/// The body, or the answer to a body that could not be read (413 over the limit).
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Answer> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let message = format!("the request body is larger than {} KiB", BODY_LIMIT / 1024);
            Answer::error(StatusCode::PAYLOAD_TOO_LARGE, message, None, Some("send one applicant per request"))
        } else {
            Answer::error(r.status(), r.body_text(), None, None)
        }
    })
}

/// Whether `?explain=…` asks for traces.
fn explain(uri: &Uri) -> bool {
    uri.query().unwrap_or("").split('&').any(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        k == "explain" && matches!(v, "" | "1" | "true" | "yes")
    })
}

async fn index(State(app): State<Arc<App>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(page::CSP)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            // For browsers that do not know CSP's frame-ancestors.
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        ],
        app.page.clone(),
    )
        .into_response()
}

async fn policy_handler(State(app): State<Arc<App>>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], app.policy.clone()).into_response()
}

async fn score(State(app): State<Arc<App>>, uri: Uri, body: Result<Bytes, BytesRejection>) -> Answer {
    // Microseconds of work: answered on the runtime's thread.
    match body_bytes(body) {
        Ok(bytes) => api::score_answer(&app.ruleset, &bytes, explain(&uri)),
        Err(answer) => answer,
    }
}

async fn plan(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    let applicant = match body_bytes(body).and_then(|bytes| api::read_applicant(&app.ruleset, &bytes)) {
        Ok(a) => a,
        Err(answer) => return answer.into_response(),
    };
    // The search evaluates the rules thousands of times: on a blocking thread, at most
    // `plan_workers` at once. The permit goes with the search, so that a search past its
    // deadline (whose answer is dropped) still counts until it ends.
    let search = async {
        let permit = app.plan_workers.clone().acquire_owned().await.ok()?;
        let app = app.clone();
        let work = move || {
            let answer = api::plan_of(&app.ruleset, &applicant, Limits::default());
            drop(permit);
            answer
        };
        tokio::task::spawn_blocking(work).await.ok()
    };
    match tokio::time::timeout(app.plan_timeout, search).await {
        Ok(Some(answer)) => answer.into_response(),
        Ok(None) => Answer::error(StatusCode::INTERNAL_SERVER_ERROR, "the plan could not be computed", None, None)
            .into_response(),
        Err(_) => {
            let message = format!("no plan within {:?}: the server is busy with other plans", app.plan_timeout);
            let help = "try again in a moment; `jifen plan` on the command line has no time limit";
            let mut r = Answer::error(StatusCode::SERVICE_UNAVAILABLE, message, None, Some(help)).into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
    }
}

async fn not_found(method: Method, uri: Uri) -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
        None,
        Some("the endpoints are GET /, GET /api/policy, POST /api/score, POST /api/plan"),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allowed = match uri.path() {
        "/api/score" | "/api/plan" => "POST",
        _ => "GET, HEAD",
    };
    let mut r = Answer::error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not accept {method}", uri.path()),
        None,
        Some(&format!("use {allowed}")),
    )
    .into_response();
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed));
    r
}
