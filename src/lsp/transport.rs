//! The LSP base protocol on a byte stream: JSON-RPC messages framed by a `Content-Length`
//! header. Every read is bounded: a header line, the number of headers and a body
//! ([`MAX_MESSAGE`]), and a body is only stored as its bytes arrive, so no header can make
//! the server allocate ahead of the data. A message that cannot be read is answered (see
//! [`Refusal`]) and reading goes on: only the end of the input stops the reader.

use std::io::{self, BufRead, Read, Write};

use lsp_server::{ErrorCode, Message, RequestId};
use serde_json::Value;

/// Largest message body read: 64 MiB, hundreds of times the largest real policy.
pub(crate) const MAX_MESSAGE: u64 = 64 << 20;
/// Longest header line (`Content-Length: …` is about 30 bytes).
const MAX_HEADER_LINE: usize = 1024;
/// Most header lines before the blank line that ends them (LSP defines two).
const MAX_HEADERS: usize = 16;
const CONTENT_LENGTH: &[u8] = b"content-length:";

/// One message read from the client, or why the next one could not be read.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    Refused(Refusal),
}

/// A message refused as JSON-RPC says: the server answers it with an error response.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The request's id where it could be read; the response's id is `null` without it.
    pub id: Option<RequestId>,
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal { id: None, code, message: message.into() }
    }

    /// The error response, in JSON-RPC's own shape (its `id` may be `null`).
    pub fn response(&self) -> Value {
        serde_json::json!({
            "jsonrpc": "2.0",
            "id": self.id,
            "error": { "code": self.code as i32, "message": self.message },
        })
    }
}

/// Reads framed messages from `input`, one by one.
pub struct MessageReader<R> {
    input: R,
    /// Bytes still to skip: the body of a message refused for its length.
    skip: u64,
    /// The framing was lost (a bad header): the next message starts at the next
    /// `Content-Length:` found in the input.
    lost: bool,
}

/// A header block read, or why it is not one.
enum Headers {
    Length(u64),
    Bad(Refusal),
    End,
}

impl<R: BufRead> MessageReader<R> {
    pub fn new(input: R) -> MessageReader<R> {
        MessageReader { input, skip: 0, lost: false }
    }

    /// The next message, `None` at the end of the input. An error is one of reading the
    /// input itself; whatever the bytes are, they give a message or a refusal.
    pub fn read(&mut self) -> io::Result<Option<Incoming>> {
        if self.skip > 0 {
            io::copy(&mut (&mut self.input).take(self.skip), &mut io::sink())?;
            self.skip = 0;
        }
        let length = match self.headers()? {
            Headers::Length(length) => length,
            Headers::Bad(refusal) => {
                self.lost = true;
                return Ok(Some(Incoming::Refused(refusal)));
            }
            Headers::End => return Ok(None),
        };
        if length > MAX_MESSAGE {
            // Answered now; the body is skipped as it arrives, before the next message.
            self.skip = length;
            let message = format!("a message of {length} bytes is over the limit of {MAX_MESSAGE} bytes (64 MiB)");
            return Ok(Some(Incoming::Refused(Refusal::new(ErrorCode::InvalidRequest, message))));
        }
        // Grows with the bytes that arrive, never to more than `length`.
        let mut body = Vec::new();
        (&mut self.input).take(length).read_to_end(&mut body)?;
        if (body.len() as u64) < length {
            return Ok(None);
        }
        Ok(Some(parse(&body)))
    }

    /// The headers of the next message, up to the blank line that ends them.
    fn headers(&mut self) -> io::Result<Headers> {
        let mut resumed = false;
        if self.lost {
            if !self.find_content_length()? {
                return Ok(Headers::End);
            }
            (self.lost, resumed) = (false, true);
        }
        let mut length = None;
        let mut count = 0;
        loop {
            let Some(mut line) = self.line()? else { return Ok(Headers::End) };
            if resumed {
                line.splice(0..0, CONTENT_LENGTH.iter().copied());
                resumed = false;
            }
            if line.is_empty() {
                if count == 0 {
                    continue; // a blank line between two messages
                }
                break;
            }
            count += 1;
            if count > MAX_HEADERS || line.len() > MAX_HEADER_LINE {
                return Ok(Headers::Bad(Refusal::new(ErrorCode::ParseError, "the message's header is too long")));
            }
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                return Ok(Headers::Bad(Refusal::new(
                    ErrorCode::ParseError,
                    format!("`{}` is not a header: expected `Content-Length: <bytes>`", String::from_utf8_lossy(&line)),
                )));
            };
            if line[..=colon].eq_ignore_ascii_case(CONTENT_LENGTH) {
                let value = String::from_utf8_lossy(&line[colon + 1..]).trim().to_string();
                match value.parse::<u64>() {
                    Ok(n) if value.bytes().all(|b| b.is_ascii_digit()) => length = Some(n),
                    _ => {
                        return Ok(Headers::Bad(Refusal::new(
                            ErrorCode::ParseError,
                            format!("`Content-Length: {value}` is not a length in bytes"),
                        )))
                    }
                }
            }
        }
        Ok(match length {
            Some(n) => Headers::Length(n),
            None => Headers::Bad(Refusal::new(ErrorCode::ParseError, "a message without a `Content-Length` header")),
        })
    }

    /// One header line without its line end, cut after [`MAX_HEADER_LINE`] bytes (the rest
    /// is left unread); `None` at the end of the input.
    fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Ok(if line.is_empty() { None } else { Some(line) });
            }
            let room = MAX_HEADER_LINE + 1 - line.len();
            let (used, done) = match available.iter().take(room).position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (available.len().min(room), line.len() + available.len() >= room),
            };
            line.extend_from_slice(&available[..used]);
            self.input.consume(used);
            if done {
                if line.last() == Some(&b'\n') {
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                }
                return Ok(Some(line));
            }
        }
    }

    /// Skips the input up to and through the next `Content-Length:` (in any case);
    /// `false` at the end of the input.
    fn find_content_length(&mut self) -> io::Result<bool> {
        let mut matched = 0;
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Ok(false);
            }
            for (i, b) in available.iter().enumerate() {
                let b = b.to_ascii_lowercase();
                // `c` occurs only at the start of the pattern, so a mismatch restarts there.
                matched = if b == CONTENT_LENGTH[matched] { matched + 1 } else { usize::from(b == CONTENT_LENGTH[0]) };
                if matched == CONTENT_LENGTH.len() {
                    self.input.consume(i + 1);
                    return Ok(true);
                }
            }
            let used = available.len();
            self.input.consume(used);
        }
    }
}

/// A body as a message: `ParseError` unless it is JSON, `InvalidRequest` unless it is a
/// JSON-RPC request, notification or response.
fn parse(body: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return Incoming::Refused(Refusal::new(ErrorCode::ParseError, format!("the message is not JSON: {e}")))
        }
    };
    let Some(object) = value.as_object() else {
        return Incoming::Refused(Refusal::new(ErrorCode::InvalidRequest, "a message must be a JSON object"));
    };
    let id = match object.get("id") {
        None | Some(Value::Null) => None,
        Some(id) => match serde_json::from_value::<RequestId>(id.clone()) {
            Ok(id) => Some(id),
            Err(_) => {
                let message = "a message's `id` must be a string or an integer of at most 32 bits";
                return Incoming::Refused(Refusal::new(ErrorCode::InvalidRequest, message));
            }
        },
    };
    match serde_json::from_value::<Message>(value) {
        Ok(message) => Incoming::Message(message),
        Err(e) => Incoming::Refused(Refusal {
            id,
            code: ErrorCode::InvalidRequest,
            message: format!("not a JSON-RPC request, notification or response: {e}"),
        }),
    }
}

/// Writes one framed message.
pub(crate) fn write(output: &mut impl Write, message: &Value) -> io::Result<()> {
    let body = serde_json::to_string(message)?;
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything read from `input` until its end: `Ok` a message's method (or `response`),
    /// `Err` a refusal's code.
    fn read_all(input: &[u8]) -> Vec<Result<String, i32>> {
        let mut reader = MessageReader::new(input);
        let mut out = Vec::new();
        while let Some(incoming) = reader.read().expect("reading a slice does not fail") {
            out.push(match incoming {
                Incoming::Message(Message::Request(r)) => Ok(r.method),
                Incoming::Message(Message::Notification(n)) => Ok(n.method),
                Incoming::Message(Message::Response(_)) => Ok("response".to_string()),
                Incoming::Refused(r) => Err(r.code as i32),
            });
        }
        out
    }

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

    #[test]
    fn huge_lengths_are_refused_before_any_data() {
        // 10¹², u64::MAX and 2³² bytes announced, none sent: each is refused at once (no
        // allocation ahead of the data), and the input then ends inside its body.
        for length in ["1000000000000", "18446744073709551615", "4294967296"] {
            let input = format!("Content-Length: {length}\r\n\r\n{PING}");
            assert_eq!(read_all(input.as_bytes()), [Err(-32600)], "{length}");
        }
    }

    #[test]
    fn a_body_over_the_limit_is_skipped_exactly() {
        let big = MAX_MESSAGE + 1;
        let mut input = format!("Content-Length: {big}\r\n\r\n").into_bytes();
        input.resize(input.len() + big as usize, b' ');
        input.extend_from_slice(framed(PING).as_bytes());
        assert_eq!(read_all(&input), [Err(-32600), Ok("ping".to_string())]);
    }

    #[test]
    fn bad_framing_is_refused_and_reading_resumes_at_the_next_content_length() {
        for bad in [
            "Content-Length: 99999999999999999999999\r\n\r\n{}".to_string(), // over u64
            "Content-Length: -1\r\n\r\n{}".to_string(),
            "Content-Length: +1\r\n\r\n{}".to_string(),
            "Content-Type: x\r\n\r\n{\"no\":\"length\"}".to_string(),
            "garbage line\r\n\r\n".to_string(),
            format!("{}\r\n\r\n", "x".repeat(5000)), // a header line too long
            "A: b\r\n".repeat(20) + "\r\n",
        ] {
            // The next message is found whatever the case of its header.
            let input = bad.clone() + &framed(PING).replace("Content-Length", "content-LENGTH");
            assert_eq!(read_all(input.as_bytes()), [Err(-32700), Ok("ping".to_string())], "{bad}");
        }
        // Stray blank lines between messages are no error.
        let input = format!("\r\n\n{}\r\n{}", framed(PING), framed(PING));
        assert_eq!(read_all(input.as_bytes()), [Ok("ping".to_string()), Ok("ping".to_string())]);
    }

    #[test]
    fn bodies_that_are_not_messages_are_refused_one_by_one() {
        let input = [
            framed("{not json"),
            framed(""),
            framed("[1, 2]"),
            framed(r#"{"jsonrpc":"2.0","id":4294967296,"method":"ping"}"#),
            framed(r#"{"jsonrpc":"2.0","foo":1}"#),
            framed(&format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000))), // deeper than serde's 128
            framed(r#"{"jsonrpc":"2.0","method":"initialized"}"#),
            framed(r#"{"jsonrpc":"2.0","id":"a","result":null}"#),
        ]
        .concat();
        let expected = [Err(-32700), Err(-32700), Err(-32600), Err(-32600), Err(-32600), Err(-32700)];
        let mut expected: Vec<Result<String, i32>> = expected.to_vec();
        expected.extend([Ok("initialized".to_string()), Ok("response".to_string())]);
        assert_eq!(read_all(input.as_bytes()), expected);
    }

    #[test]
    fn a_refusal_keeps_the_request_id_it_could_read() {
        let input = framed(r#"{"jsonrpc":"2.0","id":7,"method":5}"#);
        let mut reader = MessageReader::new(input.as_bytes());
        let Ok(Some(Incoming::Refused(refusal))) = reader.read() else { panic!("refused") };
        assert_eq!(refusal.response()["id"], 7);
        assert_eq!(refusal.response()["error"]["code"], -32600);
        let Refusal { id: None, .. } = Refusal::new(ErrorCode::ParseError, "x") else { panic!() };
        assert_eq!(Refusal::new(ErrorCode::ParseError, "x").response()["id"], Value::Null);
    }

    #[test]
    fn an_input_cut_short_ends_reading() {
        assert!(read_all(b"Content-Length: 50\r\n\r\n{\"jsonrpc\"").is_empty());
        assert_eq!(read_all(b"Content-Len"), [Err(-32700)]);
    }
}
