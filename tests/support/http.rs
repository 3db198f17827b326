//! A minimal HTTP/1.1 client over `std::net::TcpStream`, for the server's tests and
//! its load benchmark: keep-alive connections, `Content-Length` and chunked answers.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One kept-alive connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
    addr: SocketAddr,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

impl Conn {
    pub fn connect(addr: SocketAddr) -> io::Result<Conn> {
        Conn::connect_waiting(addr, Duration::from_secs(60))
    }

    /// A connection whose reads give up after `patience`.
    pub fn connect_waiting(addr: SocketAddr, patience: Duration) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(patience))?;
        Ok(Conn { reader: BufReader::new(stream), addr })
    }

    /// Send these bytes as they are (part of a request, or a request with headers of
    /// one's choosing).
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    /// The answer to what was sent.
    pub fn answer(&mut self) -> io::Result<Response> {
        self.read_response()
    }

    /// Whether the server closes the connection before the read timeout: a read gives
    /// the end of the stream or a reset, rather than timing out (or data).
    pub fn is_closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        match self.reader.read(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut),
        }
    }

    /// Send a request (`body` with a JSON content type when given) and read the answer.
    pub fn request(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> io::Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if let Some(b) = body {
            head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        let mut message = head.into_bytes();
        message.extend_from_slice(body.unwrap_or_default());
        // The server may answer (413) and close before it has read the whole body: a
        // failed write is then not the end, the answer is still there to read.
        let written = self.reader.get_mut().write_all(&message);
        let answer = self.read_response();
        match (answer, written) {
            (Ok(r), _) => Ok(r),
            (Err(e), Ok(())) => Err(e),
            (Err(_), Err(w)) => Err(w),
        }
    }

    fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }

    fn read_response(&mut self) -> io::Result<Response> {
        let status_line = self.read_line()?;
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid(format!("bad status line `{status_line}`")))?;
        let mut headers = Vec::new();
        loop {
            let line = self.read_line()?;
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let get = |name: &str| headers.iter().find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name));
        let mut body = Vec::new();
        if get("transfer-encoding").is_some_and(|(_, v)| v.eq_ignore_ascii_case("chunked")) {
            loop {
                let size_line = self.read_line()?;
                let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| invalid(format!("bad chunk size `{size_line}`")))?;
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some((_, len)) = get("content-length") {
            let len: usize = len.parse().map_err(|_| invalid(format!("bad content-length `{len}`")))?;
            body.resize(len, 0);
            self.reader.read_exact(&mut body)?;
        }
        Ok(Response { status, headers, body })
    }
}

/// One request on a new connection.
pub fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&[u8]>) -> io::Result<Response> {
    Conn::connect(addr)?.request(method, path, body)
}

pub fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, None).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

pub fn post(addr: SocketAddr, path: &str, body: &str) -> Response {
    request(addr, "POST", path, Some(body.as_bytes())).unwrap_or_else(|e| panic!("POST {path}: {e}"))
}
