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
//! fault, or is `null`): 400 for an invalid applicant, 413 for a body over
//! [`BODY_LIMIT`], 404 for an unknown path, 405 for a wrong method.
//!
//! ```no_run
//! let policy = jifen::bundled_policy().expect("the bundled policy compiles");
//! let server = jifen::serve::start(policy, "127.0.0.1:0").expect("a free port");
//! println!("listening on http://{}", server.addr());
//! ```

pub mod page;

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use serde_json::{json, Value as Json};

use crate::eval::Applicant;
use crate::plan::Limits;
use crate::population::RawRow;
use crate::rules::RuleSet;

/// The largest request body accepted; a larger one gets 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every request shares: the rule set and the answers computed once from it.
struct App {
    ruleset: RuleSet,
    /// `GET /api/policy`, serialised once.
    policy: Bytes,
    /// `GET /`, rendered once.
    page: Bytes,
}

/// The routes, over a compiled policy.
pub fn router(ruleset: RuleSet) -> Router {
    let schema = policy_json(&ruleset);
    let page = page::render(&ruleset, &schema);
    let policy = serde_json::to_vec(&schema).unwrap_or_default();
    let app = Arc::new(App { ruleset, policy: Bytes::from(policy), page: Bytes::from(page) });
    Router::new()
        .route("/", get(index))
        .route("/api/policy", get(policy_handler))
        .route("/api/score", post(score))
        .route("/api/plan", post(plan))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

/// Bind a listening socket (`host:port`; port 0 picks a free one). Binding is done
/// before any runtime exists, so that the caller can report the address, or the error.
pub fn bind(addr: &str) -> io::Result<StdListener> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    let listener = StdListener::bind(&addrs[..])?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Serve on `listener` until `shutdown` completes, then finish the requests in flight.
pub async fn serve(
    ruleset: RuleSet,
    listener: StdListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?.tap_io(|stream| {
        // Small answers on kept-alive connections: never wait for Nagle.
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, router(ruleset)).with_graceful_shutdown(shutdown).await
}

/// Serve on `listener` until Ctrl-C or SIGTERM; blocks. Builds its own runtime.
pub fn run(ruleset: RuleSet, listener: StdListener) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(serve(ruleset, listener, stop_signal()))
}

async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
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

/// Start serving `ruleset` on `addr` in the background; returns once it listens.
pub fn start(ruleset: RuleSet, addr: &str) -> io::Result<Running> {
    let listener = bind(addr)?;
    let local = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.spawn(serve(ruleset, listener, std::future::pending()));
    Ok(Running { addr: local, runtime: Some(runtime) })
}

// ---------------------------------------------------------------- the schema

/// `GET /api/policy`: the policy, its inputs (the shape of `jifen --format json inputs`,
/// plus `kind` and `unit`), its items and sections.
pub fn policy_json(rs: &RuleSet) -> Json {
    let inputs: Vec<Json> = rs.inputs.iter().map(|i| crate::report::input_json(rs, i)).collect();
    let items: Vec<Json> = rs
        .items
        .iter()
        .map(|it| {
            json!({
                "id": &*it.id,
                "label": &*it.label,
                "section": rs.sections.get(it.section as usize).map(|s| &*s.id),
                "cap": it.cap,
            })
        })
        .collect();
    let sections: Vec<Json> = rs
        .sections
        .iter()
        .map(|s| json!({ "id": &*s.id, "label": &*s.label, "deduction": s.deduction, "cap": s.cap }))
        .collect();
    json!({
        "policy": {
            "id": &*rs.id,
            "title": &rs.title,
            "year": rs.year,
            "effective": &rs.effective,
            "standard": rs.standard,
        },
        "inputs": inputs,
        "items": items,
        "sections": sections,
    })
}

// ---------------------------------------------------------------- handlers

/// An answer of `{"error": …, "key": …, "help": …}`.
struct ApiError {
    status: StatusCode,
    message: String,
    key: Option<String>,
    help: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.message, "key": self.key, "help": self.help });
        let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
        (self.status, content_type, body.to_string()).into_response()
    }
}

fn error(status: StatusCode, message: impl Into<String>, key: Option<&str>, help: Option<String>) -> ApiError {
    ApiError { status, message: message.into(), key: key.map(str::to_string), help }
}

fn json_response(body: impl Into<axum::body::Body>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body.into()).into_response()
}

/// The applicant in a request body, or the error answer.
fn read_applicant(rs: &RuleSet, body: Result<Bytes, BytesRejection>) -> Result<Applicant, ApiError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {} KiB", BODY_LIMIT / 1024),
                None,
                Some("send one applicant per request".into()),
            )
        } else {
            error(r.status(), r.body_text(), None, None)
        }
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()),
            None,
            None,
        )
    })?;
    RawRow::json(1, text.to_string()).parse(rs).map(|(_, a)| a).map_err(|e| {
        let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
        error(StatusCode::BAD_REQUEST, e.to_string(), e.key(), help)
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
        ],
        app.page.clone(),
    )
        .into_response()
}

async fn policy_handler(State(app): State<Arc<App>>) -> Response {
    json_response(app.policy.clone())
}

async fn score(
    State(app): State<Arc<App>>,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let rs = &app.ruleset;
    let applicant = read_applicant(rs, body)?;
    // Microseconds of work: evaluated on the runtime's thread.
    let outcome = rs.evaluate(&applicant).map_err(|e| {
        let help = "the applicant's numbers are too large for the policy's arithmetic";
        error(StatusCode::BAD_REQUEST, e.to_string(), None, Some(help.into()))
    })?;
    let value = crate::report::outcome_json(rs, &outcome, explain(&uri).then_some(&applicant));
    Ok(json_response(value.to_string()))
}

async fn plan(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Result<Response, ApiError> {
    let applicant = read_applicant(&app.ruleset, body)?;
    // The search evaluates the rules many thousands of times (milliseconds, not
    // microseconds): off the runtime's threads, so that scoring stays responsive.
    let app2 = app.clone();
    let report = tokio::task::spawn_blocking(move || app2.ruleset.plan(&applicant, Limits::default())).await;
    match report.map(|r| serde_json::to_string(&r)) {
        Ok(Ok(text)) => Ok(json_response(text)),
        _ => Err(error(StatusCode::INTERNAL_SERVER_ERROR, "the plan could not be computed", None, None)),
    }
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    error(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
        None,
        Some("the endpoints are GET /, GET /api/policy, POST /api/score, POST /api/plan".into()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allowed = match uri.path() {
        "/api/score" | "/api/plan" => "POST",
        _ => "GET, HEAD",
    };
    let mut r = error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not accept {method}", uri.path()),
        None,
        Some(format!("use {allowed}")),
    )
    .into_response();
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed));
    r
}
