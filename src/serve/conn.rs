//! Connections: accepted up to a limit, each served by hyper with a deadline for a
//! request's head (which also closes an idle kept-alive connection), and all of them
//! wound down, up to a deadline, when the server stops.
//!
//! axum's own `serve` has neither a connection limit nor a way to set hyper's timeouts,
//! hence this loop.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Sleep;

use super::{Config, Stopped};

/// Connections over the limit are answered 503 by at most this many tasks at once; beyond
/// that they are closed unanswered, so that a flood holds no more than this many sockets.
const REFUSERS: usize = 32;

/// A request head larger than this gets 431.
const HEADER_LIMIT: usize = 16 * 1024;

/// Accept connections until `shutdown` completes; then stop accepting, let every
/// connection finish its request in flight, and wait for them up to the shutdown deadline.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    config: &Config,
    shutdown: impl Future<Output = ()>,
) -> Stopped {
    let max = config.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let open = Arc::new(Semaphore::new(max));
    let refusers = Arc::new(Semaphore::new(REFUSERS));
    let (stop, stopping) = watch::channel(false);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_header_size(HEADER_LIMIT)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match stream {
            Ok((stream, _)) => stream,
            // Out of file descriptors, or a connection reset before it was accepted:
            // wait a moment rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        // Small answers on kept-alive connections: never wait for Nagle.
        let _ = stream.set_nodelay(true);
        let Ok(permit) = open.clone().try_acquire_owned() else {
            if let Ok(refuser) = refusers.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(refuser);
                });
            }
            continue;
        };
        let stream = WriteDeadline::new(stream, config.header_timeout);
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router.clone()));
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let stop = async { stopping.wait_for(|stop| *stop).await.is_ok() };
            let closed = tokio::select! {
                _ = conn.as_mut() => true,
                _ = stop => false,
            };
            if !closed {
                // Idle connections close now; a request in flight is answered first.
                conn.as_mut().graceful_shutdown();
                let _ = conn.await;
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it closes: all permits back, all closed.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let closed = tokio::time::timeout(config.shutdown_timeout, open.acquire_many(all)).await.is_ok();
    if closed {
        Stopped::Finished
    } else {
        Stopped::Deadline { open: max - open.available_permits() }
    }
}

/// The answer to a connection over the limit.
fn refusal() -> String {
    let body = r#"{"error":"the server has too many connections open","key":null,"help":"try again in a moment"}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Answer 503 to a connection over the limit, within a fraction of a second.
async fn refuse(stream: TcpStream) {
    // Read the request first (what has come of it): closing a socket with unread data
    // resets the connection, and the client might not see the answer.
    let mut head = [0u8; 4096];
    if tokio::time::timeout(Duration::from_millis(100), stream.readable()).await.is_ok() {
        let _ = stream.try_read(&mut head);
    }
    // A few hundred bytes: the socket's buffer takes them at once.
    let _ = stream.try_write(refusal().as_bytes());
}

/// A socket on which a write that cannot proceed for `patience` fails: a client that
/// sends requests but does not read the answers cannot hold its connection for ever.
struct WriteDeadline {
    stream: TcpStream,
    patience: Duration,
    /// Armed while a write waits.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteDeadline {
    fn new(stream: TcpStream, patience: Duration) -> WriteDeadline {
        WriteDeadline { stream, patience, stalled: None }
    }

    /// `Pending` while the write may still wait, the error once it has waited too long.
    fn wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let patience = self.patience;
        let stalled = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(patience)));
        ready!(stalled.as_mut().poll(cx));
        Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "the client does not read its answers"))
    }

    fn poll_io<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match poll {
            Poll::Pending => self.wait(cx).map(Err),
            done => {
                self.stalled = None;
                done
            }
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.poll_io(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.poll_io(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.poll_io(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_shutdown(cx);
        self.poll_io(cx, poll)
    }
}
