//! `jifen lsp` as an editor sees it: real LSP messages (Content-Length framed JSON-RPC)
//! over the server's stdin/stdout. Every wait has a timeout, so a hung server fails the
//! test instead of hanging it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);

/// The typo `agee` sits after Chinese text on its line, so its UTF-16 column differs
/// from its byte column.
const POLICY: &str = r#"/// A small policy for the language server test.
policy lsp_test "语言服务器测试" {
    year      2025
    effective 2025-01-01
    standard  10
}

enum Education {
    none     "无"
    bachelor "大学本科学历"
}

input {
    age:       int 16..=70        "年龄(周岁)"
    education: Education = none   "学历(学位)"
}

section basic "基础指标" {
    /// Art. 6 (一) 1 年龄.
    item age "年龄" { when agee > 60 => 0 else => 5 }

    /// Art. 6 (一) 2 教育背景.
    item education "教育背景" {
        match education {
            none     => 0
            bachelor => 60
        }
    }
}
"#;

struct Server {
    child: Child,
    /// `None` once closed (the end of the server's input).
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jifen"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("jifen lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Server { child, stdin: Some(stdin), messages, next_id: 0 }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("the server's input is open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush");
    }

    /// Send a request that must fail; its whole response.
    fn request_error(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let response = self.response_to(&json!(id));
        assert!(response.get("error").is_some(), "{method} must fail: {response}");
        response
    }

    /// The next response with this id (`null` for a message the server could not read).
    fn response_to(&mut self, id: &Value) -> Value {
        loop {
            let message = self.receive(&format!("the response with id {id}"));
            if message.get("method").is_none() && &message["id"] == id {
                return message;
            }
        }
    }

    fn initialize(&mut self) {
        self.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
        self.notify("initialized", json!({}));
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Send a request and wait for its response, skipping notifications.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive(&format!("the response to `{method}`"));
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
        }
    }

    /// The next notification of `method`.
    fn notification(&mut self, method: &str) -> Value {
        loop {
            let message = self.receive(&format!("a `{method}` notification"));
            if message["method"] == json!(method) {
                return message["params"].clone();
            }
        }
    }

    fn receive(&mut self, what: &str) -> Value {
        match self.messages.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(_) => panic!("no answer from jifen lsp within {TIMEOUT:?} while waiting for {what}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn workspace() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The LSP position (0-based line, UTF-16 character) of the `nth` occurrence of `needle`.
fn position_of(text: &str, needle: &str, nth: usize) -> Value {
    let offset = text.match_indices(needle).nth(nth).map(|(i, _)| i).expect("needle in text");
    let line = text[..offset].matches('\n').count();
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": character })
}

fn line_of(text: &str, needle: &str) -> u64 {
    position_of(text, needle, 0)["line"].as_u64().expect("line")
}

#[test]
fn an_editor_session() {
    let dir = workspace();
    let path = dir.join("typo.policy");
    std::fs::write(&path, POLICY).expect("write the policy");
    let uri = format!("file://{}", path.display());
    let document = json!({ "uri": uri });

    // What `jifen check` says about the file.
    let output = Command::new(env!("CARGO_BIN_EXE_jifen"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .expect("jifen check runs");
    let reports: Value = serde_json::from_slice(&output.stdout).expect("check writes JSON");
    let expected = &reports[0]["diagnostics"][0];
    assert_eq!(expected["code"], "E0201", "{reports}");

    let mut server = Server::start();
    let init = server.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    assert_eq!(init["capabilities"]["hoverProvider"], true, "{init}");
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "jifen-policy", "version": 1, "text": POLICY } }),
    );

    // Diagnostics: the same code and place as `jifen check`, columns in UTF-16 units.
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], json!(uri));
    let diagnostic = &published["diagnostics"][0];
    assert_eq!(diagnostic["code"], expected["code"], "{published}");
    assert_eq!(diagnostic["source"], "jifen");
    assert_eq!(diagnostic["severity"], 1);
    assert_eq!(diagnostic["range"]["start"]["line"].as_u64().map(|l| l + 1), expected["line"].as_u64());
    assert_eq!(diagnostic["range"]["start"]["character"].as_u64().map(|c| c + 1), expected["column"].as_u64());
    assert_eq!(diagnostic["range"]["start"], position_of(POLICY, "agee", 0));
    let message = diagnostic["message"].as_str().unwrap_or("");
    assert!(message.contains("`agee`") && message.contains("help: did you mean `age`?"), "{message}");

    // Hover on an item name: its label and doc comment.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": document, "position": position_of(POLICY, "education \"教育背景\"", 0) }),
    );
    let shown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("教育背景") && shown.contains("item `education`"), "{hover}");
    assert!(shown.contains("Art. 6 (一) 2"), "{hover}");

    // Hover on an input (here its declaration): its type, range and label.
    let hover = server
        .request("textDocument/hover", json!({ "textDocument": document, "position": position_of(POLICY, "age:", 0) }));
    let shown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("年龄(周岁)") && shown.contains("age: int 16..=70"), "{hover}");

    // Go to definition: the input read by `match education` is declared in `input`.
    let definition = server.request(
        "textDocument/definition",
        json!({ "textDocument": document, "position": position_of(POLICY, "education {", 0) }),
    );
    assert_eq!(definition["uri"], json!(uri), "{definition}");
    assert_eq!(definition["range"]["start"]["line"], line_of(POLICY, "education: Education"));

    // Completion in a pattern of a match on an enum: its variants first.
    let completion = server.request(
        "textDocument/completion",
        json!({ "textDocument": document, "position": position_of(POLICY, "bachelor => 60", 0) }),
    );
    let mut items = completion.as_array().cloned().unwrap_or_default();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or("").to_string());
    let first: Vec<&str> = items.iter().take(2).filter_map(|i| i["label"].as_str()).collect();
    assert_eq!(first, ["bachelor", "none"], "{completion}");

    // The outline: the section with its items, the input block, the enum.
    let symbols = server.request("textDocument/documentSymbol", json!({ "textDocument": document }));
    let names: Vec<&str> = symbols.as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["Education", "input", "basic"], "{symbols}");
    let section = &symbols[2];
    let items: Vec<&str> =
        section["children"].as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(items, ["age", "education"], "{section}");
    assert_eq!(section["children"][0]["selectionRange"]["start"]["line"], line_of(POLICY, "item age"));

    // Fixing the typo clears the diagnostic.
    let fixed = POLICY.replace("agee", "age");
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    let errors: Vec<&Value> =
        published["diagnostics"].as_array().into_iter().flatten().filter(|d| d["severity"] == 1).collect();
    assert!(errors.is_empty(), "{published}");

    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    let status = wait_for_exit(&mut server.child);
    assert_eq!(status, Some(0), "jifen lsp exits 0 after shutdown and exit");
}

/// A diagnostic with a suggestion (a full-width comma after Chinese text) gets a quick fix
/// whose edit replaces the comma, its range in UTF-16 units as the diagnostic's.
#[test]
fn a_full_width_comma_has_a_quick_fix() {
    let text = POLICY.replace("\"年龄(周岁)\"", "\"年龄(周岁)\"，").replace("agee", "age");
    let uri = format!("file://{}", workspace().join("comma.policy").display());
    let document = json!({ "uri": uri });
    let mut server = Server::start();
    let init = server.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(init["capabilities"]["codeActionProvider"], true, "{init}");
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "jifen-policy", "version": 1, "text": text } }),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    let diagnostic = published["diagnostics"][0].clone();
    let start = position_of(&text, "，", 0);
    // `    age:       int 16..=70        ` is 34 ASCII characters, then the quoted label of
    // 6 characters (one UTF-16 unit each, 3 bytes in UTF-8) and its 2 quotes: the comma is
    // at 34 + 8 = 42 (at byte 54), and one unit long.
    assert_eq!(start["character"], 42);
    let end = json!({ "line": start["line"], "character": 43 });
    assert_eq!(diagnostic["range"], json!({ "start": start, "end": end }), "{published}");

    // Asked for the line of the comma, one quick fix: replace it with `,`.
    let line = json!({ "start": { "line": start["line"], "character": 0 }, "end": end });
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": document, "range": line, "context": { "diagnostics": [] } }),
    );
    let list = actions.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{actions}");
    let action = &list[0];
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(action["title"], "replace it with `,`");
    assert_eq!(action["diagnostics"][0]["range"], diagnostic["range"]);
    let edits = &action["edit"]["changes"][uri.as_str()];
    assert_eq!(edits, &json!([{ "range": { "start": start, "end": end }, "newText": "," }]), "{action}");

    // Elsewhere (the header), none.
    let header = json!({ "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 5 } });
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": document, "range": header, "context": { "diagnostics": [] } }),
    );
    assert_eq!(actions, json!([]));

    // Applied, the file checks clean.
    let fixed = text.replace('，', ",");
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["diagnostics"], json!([]), "{published}");

    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
}

/// While the document has a syntax error, hover and go to definition answer from the last
/// version that parsed, for the names outside the edited part (at their current place).
#[test]
fn hover_and_definition_survive_a_syntax_error() {
    let good = POLICY.replace("agee", "age");
    // The edit breaks the `age` item's line (and the name read there): what is before it is
    // unchanged, what is after it moved back by the 4 bytes of `e` and ` 60`.
    let broken = good.replace("when age > 60 => 0", "when ag > => 0");
    let uri = format!("file://{}", workspace().join("broken.policy").display());
    let document = json!({ "uri": uri });
    let mut server = Server::start();
    server.initialize();
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "jifen-policy", "version": 1, "text": good } }),
    );
    // Checked (and indexed) once as it parses, before the edit.
    assert_eq!(server.notification("textDocument/publishDiagnostics")["version"], 1);
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": broken }] }),
    );
    let published = loop {
        let published = server.notification("textDocument/publishDiagnostics");
        if published["version"] == 2 {
            break published;
        }
    };
    assert_eq!(published["diagnostics"][0]["code"], "E0101", "{published}");

    // After the edit: the item `education`, its range where it now is.
    let at = position_of(&broken, "education \"教育背景\"", 0);
    let hover = server.request("textDocument/hover", json!({ "textDocument": document, "position": at }));
    let shown = hover["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("item `education`") && shown.contains("Art. 6 (一) 2"), "{hover}");
    assert_eq!(hover["range"]["start"], at, "{hover}");
    // Before the edit: the input `age`.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": document, "position": position_of(&broken, "age:", 0) }),
    );
    assert!(hover["contents"]["value"].as_str().unwrap_or("").contains("age: int 16..=70"), "{hover}");
    // Go to definition from after the edit to before it.
    let definition = server.request(
        "textDocument/definition",
        json!({ "textDocument": document, "position": position_of(&broken, "education {", 0) }),
    );
    assert_eq!(definition["range"]["start"]["line"], line_of(&broken, "education: Education"), "{definition}");
    // In the edited part (`ag`, once the `age` the broken `when` read): nothing, rather than
    // a guess.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": document, "position": position_of(&broken, "ag > =>", 0) }),
    );
    assert_eq!(hover, Value::Null);

    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
}

/// An extended policy's error is published for the parent's file, and the child says so
/// at its `extends`.
#[test]
fn errors_in_an_extended_policy_are_published_for_its_file() {
    let dir = workspace().join("extends");
    std::fs::create_dir_all(&dir).expect("dir");
    let parent = POLICY.replace("policy lsp_test", "policy parent");
    std::fs::write(dir.join("parent.policy"), &parent).expect("write the parent");
    let child = "policy child \"子\" extends \"parent\" {\n    year 2026\n}\n";
    let child_uri = format!("file://{}", dir.join("child.policy").display());
    let parent_uri = format!("file://{}", dir.join("parent.policy").display());

    let mut server = Server::start();
    server.request("initialize", json!({ "capabilities": {} }));
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": child_uri, "languageId": "jifen-policy", "version": 1, "text": child } }),
    );
    let mut by_file = std::collections::HashMap::new();
    while by_file.len() < 2 {
        let published = server.notification("textDocument/publishDiagnostics");
        by_file.insert(published["uri"].as_str().unwrap_or("").to_string(), published["diagnostics"].clone());
    }
    let in_parent = &by_file[&parent_uri][0];
    assert_eq!(in_parent["code"], "E0201", "{by_file:?}");
    assert_eq!(in_parent["range"]["start"], position_of(&parent, "agee", 0));
    // The child changes nothing but its year (W0107); the parent's error is the one to find.
    let in_child = by_file[&child_uri]
        .as_array()
        .and_then(|list| list.iter().find(|d| d["code"] == "E0201"))
        .unwrap_or_else(|| panic!("no E0201 in the child: {by_file:?}"));
    assert_eq!(in_child["range"]["start"], position_of(child, "\"parent\"", 0), "{by_file:?}");
    assert_eq!(in_child["relatedInformation"][0]["location"]["uri"], json!(parent_uri));

    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
}

/// Messages the server cannot read are answered as JSON-RPC says, and the server goes on:
/// only `exit` ends it, with 0 after `shutdown`.
#[test]
fn bad_messages_are_answered_and_only_exit_ends_the_server() {
    let mut server = Server::start();
    let error_code = |response: &Value| response["error"]["code"].as_i64();

    // Before `initialize`: a request is refused with ServerNotInitialized (-32002).
    let refused =
        server.request_error("textDocument/documentSymbol", json!({ "textDocument": { "uri": "file:///x" } }));
    assert_eq!(error_code(&refused), Some(-32002), "{refused}");
    server.initialize();

    // Invalid JSON: ParseError (-32700) with id null. Not a message: InvalidRequest (-32600).
    server.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    assert_eq!(error_code(&server.response_to(&Value::Null)), Some(-32700));
    server.send_raw(b"Content-Length: 6\r\n\r\n[1, 2]");
    assert_eq!(error_code(&server.response_to(&Value::Null)), Some(-32600));
    // A length that is no number loses the framing: ParseError, and the server reads on
    // from the next `Content-Length`.
    server.send_raw(b"Content-Length: 99999999999999999999999\r\n\r\n{}");
    assert_eq!(error_code(&server.response_to(&Value::Null)), Some(-32700));
    // A second `initialize` is refused; the server still answers.
    let again = server.request_error("initialize", json!({ "capabilities": {} }));
    assert_eq!(error_code(&again), Some(-32600), "{again}");
    let symbols = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": "file:///x" } }));
    assert_eq!(symbols, Value::Null);

    // After `shutdown`, requests are refused with InvalidRequest and their id; notifications
    // other than `exit` are ignored.
    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    let late = server.request_error("textDocument/documentSymbol", json!({ "textDocument": { "uri": "file:///x" } }));
    assert_eq!(error_code(&late), Some(-32600), "{late}");
    assert_eq!(late["id"], json!(server.next_id));
    server.notify("textDocument/didOpen", json!({}));
    assert_eq!(error_code(&server.request_error("shutdown", Value::Null)), Some(-32600));
    server.notify("exit", Value::Null);
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
}

/// A length announced beyond 64 MiB is refused at once, with nothing allocated for it:
/// these lengths aborted, panicked or reserved 4 GiB before any data arrived.
#[test]
fn huge_content_lengths_are_refused_before_any_data() {
    for length in ["1000000000000", "18446744073709551615", "4294967296"] {
        let mut server = Server::start();
        server.initialize();
        server.send_raw(format!("Content-Length: {length}\r\n\r\n").as_bytes());
        let refused = server.response_to(&Value::Null);
        assert_eq!(refused["error"]["code"], -32600, "{length}: {refused}");
        let message = refused["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains("over the limit of 67108864 bytes"), "{message}");
        // Still running, and never reserved the announced length (the peak of its address
        // space stays far below the 4 GiB that `4294967296` used to reserve).
        assert_eq!(server.child.try_wait().ok().flatten(), None, "{length}: the server stopped");
        if let Some(peak) = peak_address_space_kib(server.child.id()) {
            assert!(peak < 1 << 20, "{length}: {peak} KiB reserved");
        }
        // The end of the input without `shutdown` ends the server with 1.
        server.stdin = None;
        assert_eq!(wait_for_exit(&mut server.child), Some(1), "{length}");
    }
}

/// `VmPeak` of a process, where /proc has it.
fn peak_address_space_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmPeak:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Incremental edits are applied in place. The attack: 20,000 edits to a 5 MB document
/// took 63 s, three copies of the document per edit. Here 20,000 edits to a 1 MB one:
/// the old server spent minutes on them in a debug build, the rope well under a second.
#[test]
fn twenty_thousand_incremental_edits_to_a_large_document() {
    let dir = workspace().join("edits");
    std::fs::create_dir_all(&dir).expect("dir");
    let uri = format!("file://{}", dir.join("big.policy").display());
    // The policy with the typo, then 1 MB of comment lines with Chinese text in them.
    let padding = "// 填充 padding line 一二三四五六七八九十 0123456789 abcdefghij\n".repeat(14_000);
    let text = format!("{POLICY}{padding}");
    assert!(text.len() > 1_000_000);
    let first_padding_line = POLICY.lines().count() as u64;

    let mut server = Server::start();
    server.initialize();
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "jifen-policy", "version": 1, "text": text } }),
    );
    assert_eq!(server.notification("textDocument/publishDiagnostics")["diagnostics"][0]["code"], "E0201");

    let started = std::time::Instant::now();
    let mut version = 1;
    // 10,000 pairs: insert `年x` after the 4th UTF-16 unit of a padding line (after
    // `// 填`), then delete those 2 units again; the text ends as it began.
    for i in 0..10_000u64 {
        let line = first_padding_line + (i * 7919) % 14_000;
        let at = json!({ "line": line, "character": 4 });
        let after = json!({ "line": line, "character": 6 });
        for (range, text) in [(json!({ "start": at, "end": at }), "年x"), (json!({ "start": at, "end": after }), "")] {
            version += 1;
            server.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version },
                        "contentChanges": [{ "range": range, "text": text }] }),
            );
        }
    }
    // Then fix the typo: `agee` becomes `age`, so the error goes.
    let typo = position_of(POLICY, "agee", 0);
    let end = json!({ "line": typo["line"], "character": typo["character"].as_u64().map(|c| c + 4) });
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": version + 1 },
                "contentChanges": [{ "range": { "start": typo, "end": end }, "text": "age" }] }),
    );
    // Checked once the client is quiet: the final version has no error.
    let published = loop {
        let published = server.notification("textDocument/publishDiagnostics");
        if published["version"] == json!(version + 1) {
            break published;
        }
    };
    let took = started.elapsed();
    let errors: Vec<&Value> =
        published["diagnostics"].as_array().into_iter().flatten().filter(|d| d["severity"] == 1).collect();
    assert!(errors.is_empty(), "{published}");
    let symbols = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(symbols.as_array().map(Vec::len), Some(3), "{symbols}");
    assert!(took < Duration::from_secs(20), "20,001 edits took {took:?}");

    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
}

fn wait_for_exit(child: &mut Child) -> Option<i32> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().ok().flatten() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("jifen lsp did not exit within {TIMEOUT:?} of `exit`");
}

/// The records of `examples/other_city.policy` in an editor: hovering the row `p` of an
/// aggregate, a field `p.months`, the list input and the record named in `list of Period`
/// shows the record's fields (name, type, label); completion after `sum(p.` offers them.
#[test]
fn records_and_rows_in_an_editor() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/other_city.policy"))
        .expect("the example reads");
    let dir = workspace();
    let path = dir.join("other_city.policy");
    std::fs::write(&path, &text).expect("write the policy");
    let uri = format!("file://{}", path.display());
    let document = json!({ "uri": uri });
    let mut server = Server::start();
    server.initialize();
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "jifen-policy", "version": 1, "text": text } }),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["diagnostics"], json!([]), "the example checks clean");
    let mut hover = |needle: &str, nth: usize| {
        let answer = server.request(
            "textDocument/hover",
            json!({ "textDocument": document, "position": position_of(&text, needle, nth) }),
        );
        answer["contents"]["value"].as_str().unwrap_or("").to_string()
    };
    let fields = ["start: date \"起始日期\"", "months: months 0..=600 \"月数\"", "base: yuan 0.. \"缴费基数\""];

    // The row `p` of `sum(p.months for p in periods)`, where it is bound and where it is read.
    for shown in [hover("p in periods)", 0), hover("p.months for", 0)] {
        assert!(shown.contains("record Period"), "{shown}");
        for f in fields {
            assert!(shown.contains(f), "{f} not in {shown}");
        }
    }
    // A field read from a row: its label, type and record.
    let shown = hover("months for p in", 0);
    assert!(shown.contains("**月数** · field `months` of record `Period`"), "{shown}");
    assert!(shown.contains("months: months 0..=600"), "{shown}");
    // The record named by the list input, and the list input itself.
    let shown = hover("Period max 30", 0);
    assert!(shown.contains("record Period") && shown.contains(fields[2]), "{shown}");
    let shown = hover("periods:", 0);
    assert!(shown.contains("periods: list of Period max 30"), "{shown}");
    assert!(shown.contains("- `base`: yuan 0.. · 缴费基数"), "{shown}");

    // Completion right after `sum(p.`: the record's fields, with their types and labels.
    let mut at = position_of(&text, "p.months for p in periods where", 0);
    at["character"] = json!(at["character"].as_u64().unwrap_or(0) + 2);
    let completion = server.request("textDocument/completion", json!({ "textDocument": document, "position": at }));
    let mut offered: Vec<(String, String)> = completion
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| (i["label"].as_str().unwrap_or("").to_string(), i["detail"].as_str().unwrap_or("").to_string()))
        .collect();
    offered.sort();
    assert_eq!(
        offered,
        [
            ("base".to_string(), "yuan 0.. · 缴费基数".to_string()),
            ("months".to_string(), "months 0..=600 · 月数".to_string()),
            ("start".to_string(), "date · 起始日期".to_string()),
        ],
        "{completion}"
    );
    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(wait_for_exit(&mut server.child), Some(0));
}
