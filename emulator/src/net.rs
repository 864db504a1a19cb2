//! Serving HTTP/1.1 connections with limits, for the API endpoint and the load balancers'
//! listeners alike: nothing a slow or careless client does can tie the server up.
//!
//! Every connection is in one of three phases, tracked by [`Tracked`] (the socket) and
//! [`serve`] (the service around each request):
//!
//! * **idle**: no byte of the next request yet (just connected, or between keep-alive requests).
//!   It is closed after [`Limits::idle_timeout`] without a byte either way.
//! * **head**: bytes of a request arrived but its headers are not complete. It is closed when
//!   the headers take longer than [`Limits::header_timeout`] (the slowloris defence).
//! * **busy**: a request is being answered. The body must arrive within
//!   [`Limits::body_timeout`] (enforced where the body is read, `server::read_request`); the answer
//!   itself is never cut short (an advance that waits for hooks may take a while).
//!
//! At most [`Limits::max_connections`] connections are open at once. One more makes room by
//! closing the idle connection that has been quiet longest (then the slowest header), as a server
//! that reuses keep-alive slots would; when every connection is busy the newcomer is answered
//! `503` and closed. The default cap follows the process's descriptor limit (`ulimit -n`), leaving
//! room for listeners, Lambda processes and files, so a flood of idle connections never starves
//! the server of descriptors: health checks and API calls keep being answered. An `accept` that
//! fails (out of descriptors anyway) backs off instead of spinning.
//!
//! On shutdown the server stops accepting, closes idle and half-sent connections at once, and lets
//! busy ones finish for up to [`Limits::shutdown_grace`].

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// Connection limits (flags of `cutover serve`; see the README).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// How long a request's headers may take once its first byte arrived.
    pub header_timeout: Duration,
    /// How long a request's body may take, from its headers to its last byte.
    pub body_timeout: Duration,
    /// How long a connection may sit with no request and no byte either way.
    pub idle_timeout: Duration,
    /// Connections open at once (see the module docs).
    pub max_connections: usize,
    /// How long busy connections may take to finish at shutdown.
    pub shutdown_grace: Duration,
    /// Whether the idle clock also runs while a request is answered (a load balancer's listener
    /// closes a connection that moves no byte either way for its idle timeout, mid-request too;
    /// the API never cuts an answer short).
    pub idle_while_busy: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(60),
            max_connections: default_max_connections(),
            shutdown_grace: Duration::from_secs(10),
            idle_while_busy: false,
        }
    }
}

/// Descriptors kept back from the connection cap: listeners, Lambda processes' pipes, the
/// data plane's outbound connections, files.
const RESERVE_FDS: u64 = 256;

/// The connection cap for this process: its soft descriptor limit less [`RESERVE_FDS`], at
/// least 16 and at most 16,384.
pub fn default_max_connections() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let cap = if soft > RESERVE_FDS * 2 {
        soft - RESERVE_FDS
    } else {
        soft / 2
    };
    cap.clamp(16, 16_384) as usize
}

const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;

fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

fn millis_now() -> u64 {
    epoch().elapsed().as_millis() as u64
}

/// What the server knows of one connection.
struct Conn {
    phase: AtomicU8,
    /// When the current phase began (ms since [`epoch`]).
    since: AtomicU64,
    /// When a byte last went either way.
    last_io: AtomicU64,
    /// Told to close (evicted to make room).
    close: Notify,
    /// This connection's idle timeout (ms): [`Limits::idle_timeout`], or what the handler says.
    idle_ms: u64,
}

impl Conn {
    fn new(idle: Duration) -> Conn {
        let now = millis_now();
        Conn {
            phase: AtomicU8::new(IDLE),
            since: AtomicU64::new(now),
            last_io: AtomicU64::new(now),
            close: Notify::new(),
            idle_ms: idle.as_millis() as u64,
        }
    }

    fn set(&self, phase: u8) {
        let now = millis_now();
        self.since.store(now, Ordering::Relaxed);
        self.last_io.store(now, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }

    /// When the connection should be closed if nothing changes (`None`: busy, never).
    fn deadline(&self, limits: &Limits) -> Option<u64> {
        match self.phase.load(Ordering::Relaxed) {
            IDLE => Some(self.last_io.load(Ordering::Relaxed) + self.idle_ms),
            HEAD => Some(self.since.load(Ordering::Relaxed) + limits.header_timeout.as_millis() as u64),
            _ if limits.idle_while_busy => Some(self.last_io.load(Ordering::Relaxed) + self.idle_ms),
            _ => None,
        }
    }
}

/// A socket that tells its [`Conn`] when bytes move (the first byte of a request starts its
/// header clock).
pub struct Tracked {
    inner: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let now = millis_now();
            self.conn.last_io.store(now, Ordering::Relaxed);
            if self
                .conn
                .phase
                .compare_exchange(IDLE, HEAD, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                self.conn.since.store(now, Ordering::Relaxed);
            }
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.conn.last_io.store(millis_now(), Ordering::Relaxed);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The open connections of one server.
#[derive(Default)]
struct Table {
    next: u64,
    conns: HashMap<u64, Arc<Conn>>,
}

impl Table {
    /// Closes the connection that is cheapest to lose (quiet longest, then slowest header);
    /// `false` when every connection is busy.
    fn evict_one(&mut self) -> bool {
        let pick = |phase: u8, key: fn(&Conn) -> u64| {
            self.conns
                .iter()
                .filter(|(_, c)| c.phase.load(Ordering::Relaxed) == phase)
                .min_by_key(|(_, c)| key(c))
                .map(|(id, _)| *id)
        };
        let victim = pick(IDLE, |c| c.last_io.load(Ordering::Relaxed))
            .or_else(|| pick(HEAD, |c| c.since.load(Ordering::Relaxed)));
        match victim.and_then(|id| self.conns.remove(&id)) {
            Some(c) => {
                c.close.notify_one();
                true
            }
            None => false,
        }
    }
}

/// What answers a request: the request and the client's address in, the response out.
pub trait Handler: Clone + Send + Sync + 'static {
    type Body: http_body::Body<Data = bytes::Bytes, Error = Self::Error> + Send + 'static;
    type Error: Into<Box<dyn std::error::Error + Send + Sync>>;
    fn call(&self, req: Request<Incoming>, peer: SocketAddr) -> impl Future<Output = Response<Self::Body>> + Send;
    /// The idle timeout of a connection accepted now (`None`: [`Limits::idle_timeout`]).
    fn idle_timeout(&self) -> Option<Duration> {
        None
    }
}

/// A running accept loop; dropping it does not stop it, [`Server::shutdown`] does.
pub struct Server {
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Stops accepting, closes idle and half-sent connections, waits for busy ones up to the grace
    /// period, and returns when every connection is gone.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }

    /// Waits until the accept loop ends (it does not, unless shut down or dropped elsewhere).
    pub async fn wait(self) {
        let Server { stop, done } = self;
        let _keep = stop;
        let _ = done.await;
    }

    /// Stops accepting and drops every connection at once (the listener went away).
    pub fn abort(&self) {
        self.done.abort();
    }

    /// Whether the accept loop has ended.
    pub fn is_finished(&self) -> bool {
        self.done.is_finished()
    }
}

/// The `503` a connection over the cap gets before it is closed.
fn busy_response() -> Vec<u8> {
    let body = r#"{"__type":"ServiceUnavailableException","message":"Too many open connections: every one is busy. Retry when one has closed."}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves every connection `listener` accepts with `handler`, within `limits`.
pub fn serve<H: Handler>(listener: TcpListener, limits: Limits, handler: H) -> Server {
    let (stop, mut stopped) = watch::channel(false);
    let done = tokio::spawn(async move {
        let table: Arc<Mutex<Table>> = Arc::default();
        let mut tasks = tokio::task::JoinSet::new();
        let limits = Arc::new(limits);
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stopped.changed() => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors (or a transient error): make room and back off rather
                    // than spin on a listener that stays readable.
                    crate::debug!("accept failed: {e}");
                    table.lock().unwrap_or_else(|p| p.into_inner()).evict_one();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let conn = Arc::new(Conn::new(handler.idle_timeout().unwrap_or(limits.idle_timeout)));
            let id = {
                let mut t = table.lock().unwrap_or_else(|p| p.into_inner());
                if t.conns.len() >= limits.max_connections && !t.evict_one() {
                    None
                } else {
                    t.next += 1;
                    let id = t.next;
                    t.conns.insert(id, conn.clone());
                    Some(id)
                }
            };
            let Some(id) = id else {
                tasks.spawn(async move {
                    let mut stream = stream;
                    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&busy_response())).await;
                    let _ = stream.shutdown().await;
                });
                continue;
            };
            let handler = handler.clone();
            let limits = limits.clone();
            let table = table.clone();
            let stopped = stopped.clone();
            tasks.spawn(async move {
                serve_connection(stream, peer, conn, &limits, handler, stopped).await;
                table.lock().unwrap_or_else(|p| p.into_inner()).conns.remove(&id);
            });
        }
        drop(listener);
        // Shutdown: every connection task sees the stop and closes or finishes.
        let grace = limits.shutdown_grace;
        let _ = tokio::time::timeout(grace + Duration::from_millis(500), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        tasks.abort_all();
    });
    Server { stop, done }
}

async fn serve_connection<H: Handler>(
    stream: TcpStream,
    peer: SocketAddr,
    conn: Arc<Conn>,
    limits: &Limits,
    handler: H,
    mut stopped: watch::Receiver<bool>,
) {
    let io = Tracked {
        inner: stream,
        conn: conn.clone(),
    };
    let state = conn.clone();
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let handler = handler.clone();
        let state = state.clone();
        async move {
            state.set(BUSY);
            let resp = handler.call(req, peer).await;
            state.set(IDLE);
            Ok::<_, Infallible>(resp)
        }
    });
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        // The header and idle clocks are this module's (hyper's one clock would close idle
        // keep-alive connections at the header timeout).
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(http);
    let mut grace_until: Option<tokio::time::Instant> = None;
    // A dropped stop sender counts as a stop.
    let mut stopping = *stopped.borrow();
    loop {
        if stopping && grace_until.is_none() {
            if conn.phase.load(Ordering::Relaxed) != BUSY {
                return;
            }
            http.as_mut().graceful_shutdown();
            grace_until = Some(tokio::time::Instant::now() + limits.shutdown_grace);
        }
        let wake = match (conn.deadline(limits), grace_until) {
            (_, Some(g)) => g,
            (Some(ms), None) => {
                let now = millis_now();
                tokio::time::Instant::now() + Duration::from_millis(ms.saturating_sub(now))
            }
            // Busy: look again in a while (the phase changes without waking this loop).
            (None, None) => tokio::time::Instant::now() + Duration::from_millis(conn.idle_ms.clamp(1, 1000)),
        };
        tokio::select! {
            _ = http.as_mut() => return,
            _ = conn.close.notified() => return,
            r = stopped.changed(), if !stopping => stopping = r.is_err() || *stopped.borrow(),
            _ = tokio::time::sleep_until(wake) => {
                if grace_until.is_some_and(|g| tokio::time::Instant::now() >= g) {
                    return;
                }
                if grace_until.is_none() && conn.deadline(limits).is_some_and(|d| millis_now() >= d) {
                    return;
                }
            }
        }
    }
}
