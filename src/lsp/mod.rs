//! `jifen lsp`: a language server for policy files, over stdin/stdout.
//!
//! Every open document is checked as `jifen check` checks it, with the unsaved text of
//! open documents standing in for the files they are read from (`extends`). Diagnostics
//! are published per file, so a problem found in an extended policy shows in that file.
//! Hover, go to definition and completion read a symbol index built from the merged AST;
//! the outline comes from the document's own AST. Positions are in UTF-16 code units.
//!
//! Work is done on one thread: changes only mark a document stale, and the stale ones
//! are checked once the client has been quiet for a moment, or before a request is
//! answered, so a burst of keystrokes is checked once.

mod analysis;
mod completion;
mod index;
mod position;
mod symbols;

use std::collections::{BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    CompletionOptions, CompletionResponse, DocumentSymbol, DocumentSymbolResponse, GotoDefinitionResponse, Hover,
    HoverContents, HoverProviderCapability, MarkupContent, MarkupKind, OneOf, PositionEncodingKind,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentPositionParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Url,
};

use analysis::{Analysis, Indexed};
use position::LineIndex;

pub use analysis::document_name;

/// Why the server stopped other than by the client's `shutdown` and `exit`.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ServerError {
    #[error("the language client broke the protocol: {0}")]
    #[diagnostic(code(jifen::lsp::protocol), help("start `jifen lsp` from an editor's language client"))]
    Protocol(#[from] lsp_server::ProtocolError),
    #[error("cannot talk to the language client: {0}")]
    #[diagnostic(code(jifen::lsp::io))]
    Io(#[from] std::io::Error),
    #[error("the language client sent `exit` before `shutdown`")]
    #[diagnostic(code(jifen::lsp::exit))]
    ExitWithoutShutdown,
}

/// Serve the language server protocol on stdin/stdout until the client ends it.
pub fn run_stdio() -> Result<(), ServerError> {
    let (connection, io_threads) = Connection::stdio();
    // On an error the reader thread may still wait on stdin: do not wait for it.
    serve(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// What the server tells the client it can do.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
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

/// Initialise, then answer messages until `shutdown` and `exit`.
pub fn serve(connection: &Connection) -> Result<(), ServerError> {
    let (id, _params) = connection.initialize_start()?;
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": { "name": "jifen", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result)?;
    let mut server = Server::default();
    loop {
        let message = match connection.receiver.recv_timeout(SETTLE) {
            Ok(message) => message,
            Err(e) if e.is_timeout() => {
                server.flush(connection);
                match connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                }
            }
            Err(_) => return Ok(()),
        };
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                server.flush(connection);
                let response = catch_unwind(AssertUnwindSafe(|| server.answer(&request))).unwrap_or_else(|_| {
                    Response::new_err(
                        request.id.clone(),
                        ErrorCode::InternalError as i32,
                        "jifen failed; please report it".into(),
                    )
                });
                send(connection, response.into());
            }
            Message::Notification(n) if n.method == "exit" => return Err(ServerError::ExitWithoutShutdown),
            Message::Notification(n) => server.notify(n),
            Message::Response(_) => {}
        }
    }
}

fn send(connection: &Connection, message: Message) {
    // The client is gone when this fails; the next receive ends the loop.
    let _ = connection.sender.send(message);
}

struct Document {
    text: String,
    lines: LineIndex,
    version: i32,
    path: Option<PathBuf>,
    /// The analysis of `text`, unless the document is stale.
    analysis: Analysis,
    /// The last index and outline of a version that parsed, for completion and outline
    /// while the current text does not.
    last_index: Option<Indexed>,
    last_outline: Option<Vec<DocumentSymbol>>,
}

#[derive(Default)]
struct Server {
    documents: HashMap<Url, Document>,
    /// The text of open documents by path, for `extends`.
    open: HashMap<PathBuf, String>,
    stale: BTreeSet<Url>,
    /// Files whose published diagnostics may have changed without a check (a close).
    pending_publish: BTreeSet<Url>,
}

impl Server {
    fn notify(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params) else { return };
                let doc = p.text_document;
                let path = doc.uri.to_file_path().ok().map(|p| analysis::normalize(&p));
                self.documents.insert(
                    doc.uri.clone(),
                    Document {
                        lines: LineIndex::new(doc.text.as_str()),
                        text: doc.text,
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
                            let (start, end) = (doc.lines.offset(range.start), doc.lines.offset(range.end));
                            doc.text.replace_range(start..end.max(start), &change.text);
                        }
                        None => doc.text = change.text,
                    }
                    doc.lines = LineIndex::new(doc.text.as_str());
                }
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
        let Some(doc) = self.documents.get(uri) else { return };
        let Some(path) = doc.path.clone() else { return };
        self.open.insert(path.clone(), doc.text.clone());
        for (other, d) in &self.documents {
            if d.analysis.reads.contains(&path) {
                self.stale.insert(other.clone());
            }
        }
    }

    /// Check the stale documents and publish what changed.
    fn flush(&mut self, connection: &Connection) {
        let mut targets = std::mem::take(&mut self.pending_publish);
        for uri in std::mem::take(&mut self.stale) {
            let Some(doc) = self.documents.get(&uri) else { continue };
            let checked = catch_unwind(AssertUnwindSafe(|| analysis::analyse(&uri, &doc.text, &self.open)));
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
            send(connection, Notification::new(PublishDiagnostics::METHOD.to_string(), params).into());
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

    /// The document, the byte offset of a position in it, and its fresh index.
    fn at(&self, at: &TextDocumentPositionParams) -> Option<(&Document, usize, &Indexed)> {
        let doc = self.documents.get(&at.text_document.uri)?;
        let offset = doc.lines.offset(at.position);
        Some((doc, offset, doc.analysis.indexed.as_ref()?))
    }

    fn hover(&self, p: &lsp_types::HoverParams) -> Option<Hover> {
        let (_, offset, indexed) = self.at(&p.text_document_position_params)?;
        let (span, def) = indexed.index.at(crate::source::FileId(0), offset as u32)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: def.hover.clone() }),
            range: Some(indexed.files.range(span)),
        })
    }

    fn definition(&self, at: &TextDocumentPositionParams) -> Option<GotoDefinitionResponse> {
        let (_, offset, indexed) = self.at(at)?;
        let (_, def) = indexed.index.at(crate::source::FileId(0), offset as u32)?;
        indexed.files.location(def.span).map(GotoDefinitionResponse::Scalar)
    }

    fn completion(&self, at: &TextDocumentPositionParams) -> Option<CompletionResponse> {
        let doc = self.documents.get(&at.text_document.uri)?;
        let offset = doc.lines.offset(at.position);
        let index = doc.analysis.indexed.as_ref().or(doc.last_index.as_ref()).map(|i| &i.index);
        let empty = index::SymbolIndex::default();
        let items = completion::complete(&doc.text[..offset], index.unwrap_or(&empty));
        Some(CompletionResponse::Array(items))
    }

    /// The whole document in `jifen fmt`'s layout: nothing while it has syntax errors
    /// (they are already shown), a failure when the formatter refuses the file.
    fn format(&self, uri: &Url) -> Result<Option<Vec<TextEdit>>, String> {
        let Some(doc) = self.documents.get(uri) else { return Ok(None) };
        match crate::fmt::format_source(&document_name(uri), &doc.text) {
            Ok(formatted) if formatted == doc.text => Ok(Some(Vec::new())),
            Ok(formatted) => {
                let range = doc.lines.range(0, doc.text.len());
                Ok(Some(vec![TextEdit { range, new_text: formatted }]))
            }
            Err(crate::fmt::FormatError::Syntax(_)) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn outline(&self, uri: &Url) -> Option<DocumentSymbolResponse> {
        let doc = self.documents.get(uri)?;
        let symbols = doc.analysis.outline.clone().or_else(|| doc.last_outline.clone())?;
        Some(DocumentSymbolResponse::Nested(symbols))
    }
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
