//! `jifen lsp`: a language server for policy files, over stdin/stdout.
//!
//! Every open document is checked as `jifen check` checks it, with the unsaved text of
//! open documents standing in for the files they are read from (`extends`). Diagnostics
//! are published per file, so a problem found in an extended policy shows in that file.
//! Hover, go to definition and completion read a symbol index built from the merged AST;
//! the outline comes from the document's own AST. While the document does not parse, they
//! answer from the last version that did, for names outside the edited part (`stale`). A
//! diagnostic with a suggestion gets a quick fix (`textDocument/codeAction`), the edit
//! `jifen fmt --fix` would make. Positions are in UTF-16 code units.
//!
//! Work is done on one thread: changes are applied in place to the document's rope and
//! mark it stale, and the stale ones are checked once the client has been quiet for a
//! moment, or before a request is answered, so a burst of keystrokes is checked once.
//!
//! Messages are read by [`transport`] on a thread of their own, with every read bounded;
//! a message that cannot be read, or comes at the wrong time in the lifecycle, is answered
//! with an error, and only `exit` (or the end of the input) stops the server.

mod analysis;
mod completion;
mod index;
mod position;
mod stale;
mod symbols;
pub(crate) mod transport;

use std::collections::{BTreeSet, HashMap};
use std::io::{BufReader, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Request as _,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionProviderCapability, CompletionOptions,
    CompletionResponse, DocumentSymbol, DocumentSymbolResponse, GotoDefinitionResponse, Hover, HoverContents,
    HoverProviderCapability, MarkupContent, MarkupKind, OneOf, PositionEncodingKind, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentPositionParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Url,
    WorkspaceEdit,
};
use ropey::Rope;

use analysis::{Analysis, Indexed};
use position::LineIndex;
use transport::{Incoming, MessageReader, Refusal};

pub(crate) use analysis::document_name;

/// Why the server stopped other than by the client's `shutdown` and `exit`.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(crate) enum ServerError {
    #[error("cannot talk to the language client: {0}")]
    #[diagnostic(code(jifen::lsp::io))]
    Io(#[from] std::io::Error),
    #[error("the language client sent `exit` before `shutdown`")]
    #[diagnostic(code(jifen::lsp::exit))]
    ExitWithoutShutdown,
    #[error("the language client closed the connection without `shutdown`")]
    #[diagnostic(code(jifen::lsp::closed))]
    ClosedWithoutShutdown,
}

/// Serve the language server protocol on stdin/stdout until the client ends it.
pub(crate) fn run_stdio() -> Result<(), ServerError> {
    serve(std::io::stdin(), std::io::stdout().lock())
}

/// What the server tells the client it can do.
pub(crate) fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::INCREMENTAL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["(", ".", "[", ":"].iter().map(|c| c.to_string()).collect()),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// How long the client must be quiet before stale documents are checked (a request is
/// answered at once, after checking them).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(30);

/// Where the client is in the lifecycle of a session.
#[derive(Clone, Copy, PartialEq)]
enum Lifecycle {
    /// Before `initialize`: other requests are refused, notifications dropped.
    Starting,
    Running,
    /// After `shutdown`: requests are refused, only `exit` is heard.
    ShutDown,
}

/// Read messages from `input` and answer on `output` until `exit` (or the end of the
/// input): `Ok` when `shutdown` came first.
pub(crate) fn serve(input: impl Read + Send + 'static, output: impl Write) -> Result<(), ServerError> {
    // Rendezvous: the reader holds at most one message beyond the one being handled.
    let (sender, receiver) = mpsc::sync_channel::<std::io::Result<Incoming>>(0);
    std::thread::Builder::new().name("jifen-lsp-reader".into()).spawn(move || {
        let mut reader = MessageReader::new(BufReader::with_capacity(1 << 16, input));
        loop {
            let next = match reader.read() {
                Ok(Some(incoming)) => Ok(incoming),
                Ok(None) => return,
                Err(e) => Err(e),
            };
            let failed = next.is_err();
            if sender.send(next).is_err() || failed {
                return;
            }
        }
    })?;
    let mut out = Output { writer: output, failure: None };
    let mut server = Server::default();
    let mut lifecycle = Lifecycle::Starting;
    loop {
        let next = match receiver.recv_timeout(SETTLE) {
            Ok(next) => Some(next),
            Err(RecvTimeoutError::Timeout) => {
                server.flush(&mut out);
                receiver.recv().ok()
            }
            Err(RecvTimeoutError::Disconnected) => None,
        };
        let Some(next) = next else {
            return match lifecycle {
                Lifecycle::ShutDown => Ok(()),
                _ => Err(ServerError::ClosedWithoutShutdown),
            };
        };
        match next? {
            Incoming::Refused(refusal) => out.send(refusal.response()),
            Incoming::Message(Message::Request(request)) => {
                lifecycle = server.request(lifecycle, &request, &mut out);
            }
            Incoming::Message(Message::Notification(n)) if n.method == "exit" => {
                return match lifecycle {
                    Lifecycle::ShutDown => Ok(()),
                    _ => Err(ServerError::ExitWithoutShutdown),
                };
            }
            Incoming::Message(Message::Notification(n)) => {
                if lifecycle == Lifecycle::Running && catch_unwind(AssertUnwindSafe(|| server.notify(n))).is_err() {
                    (server.documents, server.open, server.stale) = Default::default();
                    out.send(log_message("jifen failed on a change; reopen the files; please report it"));
                }
            }
            Incoming::Message(Message::Response(_)) => {}
        }
        if let Some(e) = out.failure.take() {
            return Err(e.into());
        }
    }
}

/// The client's side of the connection: what fails to be written stops the server.
struct Output<W> {
    writer: W,
    failure: Option<std::io::Error>,
}

impl<W: Write> Output<W> {
    fn send(&mut self, message: impl serde::Serialize) {
        if self.failure.is_none() {
            let mut value = json(message);
            if let Some(object) = value.as_object_mut() {
                object.insert("jsonrpc".into(), "2.0".into());
            }
            self.failure = transport::write(&mut self.writer, &value).err();
        }
    }

    fn error(&mut self, id: RequestId, code: ErrorCode, message: impl Into<String>) {
        self.send(Refusal { id: Some(id), code, message: message.into() }.response());
    }
}

fn log_message(text: &str) -> Notification {
    let params = lsp_types::LogMessageParams { typ: lsp_types::MessageType::ERROR, message: text.to_string() };
    Notification::new(lsp_types::notification::LogMessage::METHOD.to_string(), params)
}

struct Document {
    /// The text as edited, change by change (an edit costs the log of the text's length).
    rope: Rope,
    /// The rope's text as of the last check, indexed by line (made by `flush`).
    lines: LineIndex,
    /// The rope changed since `lines` was made.
    edited: bool,
    version: i32,
    path: Option<PathBuf>,
    /// The analysis of `text`, unless the document is stale.
    analysis: Analysis,
    /// The last index and outline of a version that parsed, for completion, hover,
    /// definition and outline while the current text does not.
    last_index: Option<Indexed>,
    last_outline: Option<Vec<DocumentSymbol>>,
}

#[derive(Default)]
struct Server {
    documents: HashMap<Url, Document>,
    /// The text of open documents by path, for `extends` (as of their last check).
    open: HashMap<PathBuf, String>,
    stale: BTreeSet<Url>,
    /// Files whose published diagnostics may have changed without a check (a close).
    pending_publish: BTreeSet<Url>,
}

impl Server {
    /// Answer one request; what the client may send next.
    fn request(&mut self, lifecycle: Lifecycle, request: &Request, out: &mut Output<impl Write>) -> Lifecycle {
        let id = request.id.clone();
        match (lifecycle, request.method.as_str()) {
            (Lifecycle::Starting, "initialize") => {
                let result = serde_json::json!({
                    "capabilities": capabilities(),
                    "serverInfo": { "name": "jifen", "version": env!("CARGO_PKG_VERSION") },
                });
                out.send(Response::new_ok(id, result));
                Lifecycle::Running
            }
            (Lifecycle::Starting, _) => {
                out.error(id, ErrorCode::ServerNotInitialized, "the client must send `initialize` first");
                lifecycle
            }
            (Lifecycle::Running, "initialize") => {
                out.error(id, ErrorCode::InvalidRequest, "`initialize` was already received");
                lifecycle
            }
            (Lifecycle::Running, "shutdown") => {
                out.send(Response::new_ok(id, ()));
                Lifecycle::ShutDown
            }
            (Lifecycle::Running, _) => {
                self.flush(out);
                let response = catch_unwind(AssertUnwindSafe(|| self.answer(request))).unwrap_or_else(|_| {
                    Response::new_err(id, ErrorCode::InternalError as i32, "jifen failed; please report it".into())
                });
                out.send(response);
                lifecycle
            }
            (Lifecycle::ShutDown, method) => {
                out.error(
                    id,
                    ErrorCode::InvalidRequest,
                    format!("`{method}` after `shutdown`: only `exit` is accepted"),
                );
                lifecycle
            }
        }
    }

    fn notify(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params) else { return };
                let doc = p.text_document;
                let path = doc.uri.to_file_path().ok().map(|p| analysis::normalize(&p));
                self.documents.insert(
                    doc.uri.clone(),
                    Document {
                        rope: Rope::from_str(&doc.text),
                        lines: LineIndex::new(doc.text),
                        edited: true,
                        version: doc.version,
                        path,
                        analysis: Analysis::default(),
                        last_index: None,
                        last_outline: None,
                    },
                );
                self.changed(&doc.uri);
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params) else { return };
                let Some(doc) = self.documents.get_mut(&p.text_document.uri) else { return };
                for change in p.content_changes {
                    match change.range {
                        Some(range) => {
                            let start = position::char_index(&doc.rope, range.start);
                            let end = position::char_index(&doc.rope, range.end).max(start);
                            doc.rope.remove(start..end);
                            doc.rope.insert(start, &change.text);
                        }
                        None => doc.rope = Rope::from_str(&change.text),
                    }
                }
                doc.edited = true;
                doc.version = p.text_document.version;
                self.changed(&p.text_document.uri);
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params) else { return };
                let uri = p.text_document.uri;
                self.changed(&uri);
                self.stale.remove(&uri);
                if let Some(doc) = self.documents.remove(&uri) {
                    if let Some(path) = &doc.path {
                        self.open.remove(path);
                    }
                    self.pending_publish.extend(doc.analysis.diagnostics.into_keys());
                }
            }
            _ => {}
        }
    }

    /// A document's text changed: it and every open document that reads it are stale.
    fn changed(&mut self, uri: &Url) {
        self.stale.insert(uri.clone());
        let Some(path) = self.documents.get(uri).and_then(|d| d.path.clone()) else { return };
        for (other, d) in &self.documents {
            if d.analysis.reads.contains(&path) {
                self.stale.insert(other.clone());
            }
        }
    }

    /// Check the stale documents and publish what changed.
    fn flush(&mut self, out: &mut Output<impl Write>) {
        let mut targets = std::mem::take(&mut self.pending_publish);
        let stale = std::mem::take(&mut self.stale);
        // The text of every edited document first, so that each check reads the latest
        // text of what it extends.
        for uri in &stale {
            let Some(doc) = self.documents.get_mut(uri).filter(|d| d.edited) else { continue };
            let text = doc.rope.to_string();
            doc.lines = LineIndex::new(text.as_str());
            doc.edited = false;
            if let Some(path) = &doc.path {
                self.open.insert(path.clone(), text);
            }
        }
        for uri in stale {
            let Some(doc) = self.documents.get(&uri) else { continue };
            let checked = catch_unwind(AssertUnwindSafe(|| analysis::analyse(&uri, doc.lines.text(), &self.open)));
            let fresh = checked.unwrap_or_else(|_| internal_error(&uri));
            let Some(doc) = self.documents.get_mut(&uri) else { continue };
            targets.extend(doc.analysis.diagnostics.keys().cloned());
            targets.extend(fresh.diagnostics.keys().cloned());
            if fresh.indexed.is_some() {
                doc.last_index = fresh.indexed.clone();
            }
            if fresh.outline.is_some() {
                doc.last_outline = fresh.outline.clone();
            }
            doc.analysis = fresh;
        }
        for target in targets {
            let params = PublishDiagnosticsParams {
                diagnostics: self.diagnostics_for(&target),
                version: self.documents.get(&target).map(|d| d.version),
                uri: target,
            };
            out.send(Notification::new(PublishDiagnostics::METHOD.to_string(), params));
        }
    }
}

impl Server {
    /// What to publish for one file: its own diagnostics, and those that checking the
    /// documents that extend it found in it (said once, with the document named).
    fn diagnostics_for(&self, target: &Url) -> Vec<lsp_types::Diagnostic> {
        let mut out: Vec<lsp_types::Diagnostic> = Vec::new();
        let mut seen = BTreeSet::new();
        let own = self.documents.get(target).into_iter().map(|d| (target, d));
        let others = self.documents.iter().filter(|(uri, _)| *uri != target);
        for (uri, doc) in own.chain(others) {
            for d in doc.analysis.diagnostics.get(target).into_iter().flatten() {
                let key = (d.range.start, d.range.end, format!("{:?}", d.code), d.message.clone());
                if !seen.insert(key) {
                    continue;
                }
                let mut d = d.clone();
                if uri != target {
                    let name = uri.path_segments().and_then(|mut s| s.next_back()).unwrap_or("");
                    d.message.push_str(&format!("\n(found while checking `{name}`)"));
                }
                out.push(d);
            }
        }
        out
    }

    fn answer(&self, request: &Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            HoverRequest::METHOD => {
                params::<HoverRequest>(request).map(|p| json(self.hover(&p))).map_err(|e| e.to_string())
            }
            GotoDefinition::METHOD => params::<GotoDefinition>(request)
                .map(|p| json(self.definition(&p.text_document_position_params)))
                .map_err(|e| e.to_string()),
            Completion::METHOD => params::<Completion>(request)
                .map(|p| json(self.completion(&p.text_document_position)))
                .map_err(|e| e.to_string()),
            DocumentSymbolRequest::METHOD => params::<DocumentSymbolRequest>(request)
                .map(|p| json(self.outline(&p.text_document.uri)))
                .map_err(|e| e.to_string()),
            CodeActionRequest::METHOD => params::<CodeActionRequest>(request)
                .map(|p| json(self.quick_fixes(&p.text_document.uri, p.range)))
                .map_err(|e| e.to_string()),
            Formatting::METHOD => match params::<Formatting>(request) {
                Ok(p) => self.format(&p.text_document.uri).map(json),
                Err(e) => Err(e.to_string()),
            },
            other => {
                let message = format!("jifen lsp does not answer `{other}`");
                return Response::new_err(id, ErrorCode::MethodNotFound as i32, message);
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(e) => Response::new_err(id, ErrorCode::RequestFailed as i32, e),
        }
    }

    /// The name under a position and what it refers to: from the fresh index, or while the
    /// document does not parse from the last one that did, for a name still where it was
    /// then. The span of the name is in the current text; the definition's span in the
    /// text of the index it came from, unless the document's own (mapped back, or `None`).
    fn lookup(&self, at: &TextDocumentPositionParams) -> Option<Found<'_>> {
        let doc = self.documents.get(&at.text_document.uri)?;
        let offset = doc.lines.offset(at.position);
        let own = crate::source::FileId(0);
        if let Some(indexed) = doc.analysis.indexed.as_ref() {
            let (span, def) = indexed.index.at(own, offset as u32)?;
            let range = indexed.files.range(span);
            return Some(Found { def, range, def_location: indexed.files.location(def.span) });
        }
        let indexed = doc.last_index.as_ref()?;
        let text = doc.lines.text();
        let unchanged = stale::Unchanged::between(indexed.files.text(own), text);
        let (start, end) = stale::word_at(text, offset);
        let old = unchanged.to_old(start, end)? + (offset - start);
        let (span, def) = indexed.index.at(own, old as u32)?;
        let (s, e) = unchanged.to_new(span.start as usize, span.end as usize)?;
        let def_location = if def.span.file == own {
            let (ds, de) = unchanged.to_new(def.span.start as usize, def.span.end as usize)?;
            Some(lsp_types::Location { uri: at.text_document.uri.clone(), range: doc.lines.range(ds, de) })
        } else {
            indexed.files.location(def.span)
        };
        Some(Found { def, range: doc.lines.range(s, e), def_location })
    }

    fn hover(&self, p: &lsp_types::HoverParams) -> Option<Hover> {
        let found = self.lookup(&p.text_document_position_params)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: found.def.hover.clone(),
            }),
            range: Some(found.range),
        })
    }

    fn definition(&self, at: &TextDocumentPositionParams) -> Option<GotoDefinitionResponse> {
        self.lookup(at)?.def_location.map(GotoDefinitionResponse::Scalar)
    }

    fn completion(&self, at: &TextDocumentPositionParams) -> Option<CompletionResponse> {
        let doc = self.documents.get(&at.text_document.uri)?;
        let offset = doc.lines.offset(at.position);
        let index = doc.analysis.indexed.as_ref().or(doc.last_index.as_ref()).map(|i| &i.index);
        let empty = index::SymbolIndex::default();
        let items = completion::complete(&doc.lines.text()[..offset], index.unwrap_or(&empty));
        Some(CompletionResponse::Array(items))
    }

    /// The whole document in `jifen fmt`'s layout: nothing while it has syntax errors
    /// (they are already shown), a failure when the formatter refuses the file.
    fn format(&self, uri: &Url) -> Result<Option<Vec<TextEdit>>, String> {
        let Some(doc) = self.documents.get(uri) else { return Ok(None) };
        let text = doc.lines.text();
        match crate::fmt::format_source(&document_name(uri), text) {
            Ok(formatted) if formatted == text => Ok(Some(Vec::new())),
            Ok(formatted) => {
                let range = doc.lines.range(0, text.len());
                Ok(Some(vec![TextEdit { range, new_text: formatted }]))
            }
            Err(crate::fmt::FormatError::Syntax(_)) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A quick fix for each diagnostic of the document touching `range` that carries a
    /// suggestion: its edit replaces one range of the document (as `jifen fmt --fix` would).
    fn quick_fixes(&self, uri: &Url, range: lsp_types::Range) -> Vec<CodeActionOrCommand> {
        let touches = |r: &lsp_types::Range| r.start <= range.end && range.start <= r.end;
        self.diagnostics_for(uri)
            .into_iter()
            .filter(|d| touches(&d.range))
            .filter_map(|d| {
                let data = d.data.as_ref()?;
                let edit: TextEdit = serde_json::from_value(data.get("fix")?.clone()).ok()?;
                let title = data.get("title").and_then(|t| t.as_str()).unwrap_or("apply the suggested fix").to_string();
                let changes = HashMap::from([(uri.clone(), vec![edit])]);
                Some(CodeActionOrCommand::CodeAction(CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![d]),
                    edit: Some(WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }),
                    is_preferred: Some(true),
                    ..CodeAction::default()
                }))
            })
            .collect()
    }

    fn outline(&self, uri: &Url) -> Option<DocumentSymbolResponse> {
        let doc = self.documents.get(uri)?;
        let symbols = doc.analysis.outline.clone().or_else(|| doc.last_outline.clone())?;
        Some(DocumentSymbolResponse::Nested(symbols))
    }
}

/// What a name under the cursor refers to (see `Server::lookup`).
struct Found<'a> {
    def: &'a index::Definition,
    /// The name, in the current text.
    range: lsp_types::Range,
    def_location: Option<lsp_types::Location>,
}

fn params<R: lsp_types::request::Request>(request: &Request) -> Result<R::Params, serde_json::Error> {
    serde_json::from_value(request.params.clone())
}

fn json<T: serde::Serialize>(value: T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// What a document shows when checking it panicked: the server stays up.
fn internal_error(uri: &Url) -> Analysis {
    let d = lsp_types::Diagnostic {
        severity: Some(lsp_types::DiagnosticSeverity::ERROR),
        source: Some("jifen".to_string()),
        message: "internal error: jifen failed while checking this file; please report it with the file".to_string(),
        ..lsp_types::Diagnostic::default()
    };
    Analysis { diagnostics: HashMap::from([(uri.clone(), vec![d])]), ..Analysis::default() }
}
