//! Connections: accepted up to a cap, each on its own task, with every wait bounded so that a
//! slow or silent client holds nothing for long. One port speaks both TLS (what kubectl needs
//! to send its token) and, where allowed, plain HTTP (the browser's login link on loopback):
//! the first byte tells them apart, as a TLS handshake always starts with 0x16.

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_util::either::Either;

/// Bounds on what one client may hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// A request head, a TLS handshake, a keep-alive connection's next request or a request
    /// body not complete within this is dropped.
    pub head: Duration,
    /// A write the client does not take for this long ends the connection: an answer it never
    /// reads does not stay in memory.
    pub stall: Duration,
    /// Connections open at once; more wait in the kernel's backlog until one closes.
    pub connections: usize,
    /// KiB of answers built and not yet taken by their clients, at most; past it, 429.
    pub answers_kib: usize,
    /// How often a watch that allows bookmarks gets one while it is held open (the apiserver
    /// sends them about once a minute, so informers keep their resourceVersion fresh).
    pub bookmarks: Duration,
    /// How old a location's listing may be before a request reads it again (a backup uploaded
    /// after the server started shows up then).
    pub rescan: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            head: Duration::from_secs(15),
            stall: Duration::from_secs(30),
            connections: 1024,
            answers_kib: 256 * 1024,
            bookmarks: Duration::from_secs(60),
            rescan: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` until `stop` completes, then lets open connections finish their
/// request (a few seconds at most). `tls`: the handshake's configuration; `plain`: whether
/// plain HTTP is answered too.
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<ServerConfig>>,
    plain: bool,
    router: axum::Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.connections));
    let (stopping, stopped) = tokio::sync::watch::channel(false);
    let acceptor = tls.map(TlsAcceptor::from);
    tokio::pin!(stop);
    loop {
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = &mut stop => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(_) => {
                    // Out of descriptors, or a connection reset before it was taken: go on.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let (acceptor, router, mut stopped) = (acceptor.clone(), router.clone(), stopped.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let Some(io) = open_connection(stream, acceptor, plain, limits.head).await else {
                return;
            };
            let io = TokioIo::new(Guarded::new(io, limits.stall));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.head)
                .max_buf_size(256 * 1024)
                .serve_connection(io, TowerToHyperService::new(router));
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopped.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                }
            }
        });
    }
    let _ = stopping.send(true);
}

type Conn = Either<TcpStream, Box<tokio_rustls::server::TlsStream<TcpStream>>>;

/// The connection once its first byte says what it speaks (TLS handshaken), or None to drop it.
async fn open_connection(
    stream: TcpStream,
    acceptor: Option<TlsAcceptor>,
    plain: bool,
    head: Duration,
) -> Option<Conn> {
    let _ = stream.set_nodelay(true);
    let mut first = [0u8; 1];
    match tokio::time::timeout(head, stream.peek(&mut first)).await {
        Ok(Ok(1)) => {}
        _ => return None,
    }
    if first[0] == 0x16 {
        let tls = tokio::time::timeout(head, acceptor?.accept(stream)).await;
        Some(Either::Right(Box::new(tls.ok()?.ok()?)))
    } else if plain {
        Some(Either::Left(stream))
    } else {
        None
    }
}

/// A connection whose writes time out: a client that stops reading is dropped after `stall`.
struct Guarded<T> {
    io: T,
    stall: Duration,
    waiting: Option<Pin<Box<Sleep>>>,
}

impl<T> Guarded<T> {
    fn new(io: T, stall: Duration) -> Guarded<T> {
        Guarded {
            io,
            stall,
            waiting: None,
        }
    }

    /// After a write that did not progress: an error once it has waited `stall`.
    fn check<R>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<R>>) -> Poll<io::Result<R>> {
        if poll.is_ready() {
            self.waiting = None;
            return poll;
        }
        let stall = self.stall;
        let timer = self
            .waiting
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.check(cx, poll)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.check(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_shutdown(cx);
        self.check(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.check(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
