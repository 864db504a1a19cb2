//! Listener sockets: one TCP listener on loopback (the `--bind` host) per listener of an active
//! load balancer, bound when the listener appears and closed when it goes (or its port changes).
//!
//! The local port is the listener's port, moved by `--listener-port-offset N` or replaced by a
//! `--listener-ports 80=8080,...` entry; with [`ListenerPorts::ephemeral`] (what tests use) every
//! listener gets a free port. A port that cannot be bound (in use, or below 1024 without the
//! privilege) falls back to a free port; the log and `GET /_emulator/listeners` say where each
//! listener really is. Connections are HTTP/1.1 with keep-alive and closed after the load
//! balancer's `idle_timeout.timeout_seconds` without a byte either way.

use super::Runtime;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Where listeners bind.
#[derive(Debug, Clone)]
pub struct ListenerPorts {
    pub host: IpAddr,
    pub offset: i32,
    pub map: BTreeMap<u16, u16>,
    /// Every listener on a free port (tests, several emulators in one process).
    pub ephemeral: bool,
}

impl Default for ListenerPorts {
    fn default() -> Self {
        ListenerPorts {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            offset: 0,
            map: BTreeMap::new(),
            ephemeral: false,
        }
    }
}

impl ListenerPorts {
    /// Parses `80=8080,8080=18080`.
    pub fn parse_map(text: &str) -> Result<BTreeMap<u16, u16>, String> {
        let mut map = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (a, b) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}' is not LISTENER_PORT=LOCAL_PORT"))?;
            let a: u16 = a.trim().parse().map_err(|_| format!("bad listener port in '{part}'"))?;
            let b: u16 = b.trim().parse().map_err(|_| format!("bad local port in '{part}'"))?;
            map.insert(a, b);
        }
        Ok(map)
    }

    /// The local port wanted for a listener port (0: any free port).
    pub fn local_port(&self, port: u16) -> u16 {
        if let Some(p) = self.map.get(&port) {
            return *p;
        }
        if self.ephemeral {
            return 0;
        }
        u16::try_from(i32::from(port) + self.offset).unwrap_or(0)
    }
}

pub struct Bound {
    pub port: u16,
    pub addr: SocketAddr,
    pub accept: JoinHandle<()>,
}

/// Binds the local socket of a listener (falling back to a free port).
pub async fn bind(ports: &ListenerPorts, port: u16) -> std::io::Result<TcpListener> {
    let want = ports.local_port(port);
    match TcpListener::bind(SocketAddr::new(ports.host, want)).await {
        Ok(l) => Ok(l),
        Err(e) if want != 0 => {
            crate::info!(
                "cannot bind {}:{want} for listener port {port} ({e}); using a free port",
                ports.host
            );
            TcpListener::bind(SocketAddr::new(ports.host, 0)).await
        }
        Err(e) => Err(e),
    }
}

/// Serves a bound listener until aborted.
pub fn spawn_accept(rt: &Arc<Runtime>, listener_arn: String, port: u16, sock: TcpListener) -> JoinHandle<()> {
    let weak = Arc::downgrade(rt);
    let arn: Arc<str> = Arc::from(listener_arn.as_str());
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match sock.accept().await {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, most likely: back off instead of spinning on a socket
                    // that stays readable (idle connections close on their own timeout).
                    crate::debug!("listener port {port}: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let Some(rt) = weak.upgrade() else {
                return;
            };
            let _ = stream.set_nodelay(true);
            let idle = rt
                .view()
                .listeners
                .get(&listener_arn)
                .map(|l| l.raw.idle_timeout_secs)
                .unwrap_or(60);
            tokio::spawn(serve_connection(rt, arn.clone(), port, stream, peer, idle));
        }
    })
}

fn epoch() -> Instant {
    static E: OnceLock<Instant> = OnceLock::new();
    *E.get_or_init(Instant::now)
}

fn millis_now() -> u64 {
    epoch().elapsed().as_millis() as u64
}

/// A stream that remembers when a byte last went either way.
struct Tracked {
    inner: TcpStream,
    last: Arc<AtomicU64>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.last.store(millis_now(), Ordering::Relaxed);
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.last.store(millis_now(), Ordering::Relaxed);
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

async fn serve_connection(
    rt: Arc<Runtime>,
    listener_arn: Arc<str>,
    port: u16,
    stream: TcpStream,
    peer: SocketAddr,
    idle_secs: u64,
) {
    let last = Arc::new(AtomicU64::new(millis_now()));
    let io = Tracked {
        inner: stream,
        last: last.clone(),
    };
    let weak = Arc::downgrade(&rt);
    drop(rt);
    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let weak = weak.clone();
        let arn = listener_arn.clone();
        async move {
            let resp = match weak.upgrade() {
                Some(rt) => {
                    use http_body_util::BodyExt;
                    let req = req.map(|b| b.map_err(Into::into).boxed_unsync());
                    rt.handle_for_listener(&arn, port, req, peer.ip()).await
                }
                None => super::plain(503, "text/plain", "the load balancer is shutting down"),
            };
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let idle = Duration::from_secs(idle_secs.max(1));
    loop {
        let since = Duration::from_millis(millis_now().saturating_sub(last.load(Ordering::Relaxed)));
        let wait = idle.saturating_sub(since);
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = tokio::time::sleep(wait) => {
                let since = Duration::from_millis(millis_now().saturating_sub(last.load(Ordering::Relaxed)));
                if since >= idle {
                    // Idle timeout: the connection closes, as an ALB closes it.
                    return;
                }
            }
        }
    }
}
