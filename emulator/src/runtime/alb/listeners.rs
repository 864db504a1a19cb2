//! Listener sockets: one TCP listener on loopback (the `--bind` host) per listener of an active
//! load balancer, bound when the listener appears and closed when it goes (or its port changes).
//!
//! The local port is the listener's port, moved by `--listener-port-offset N` or replaced by a
//! `--listener-ports 80=8080,...` entry; with [`ListenerPorts::ephemeral`] (what tests use) every
//! listener gets a free port. A port that cannot be bound (in use, or below 1024 without the
//! privilege) falls back to a free port; the log and `GET /_emulator/listeners` say where each
//! listener really is. Connections are HTTP/1.1 with keep-alive and closed after the load
//! balancer's `idle_timeout.timeout_seconds` without a byte either way.

use super::proxy::{Body, BoxError};
use super::Runtime;
use crate::net;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::net::TcpListener;

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
    pub server: net::Server,
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

/// One listener's side of [`net::serve`]: its requests go to the runtime's router.
#[derive(Clone)]
struct Listener {
    rt: Weak<Runtime>,
    arn: Arc<str>,
    port: u16,
}

impl net::Handler for Listener {
    type Body = Body;
    type Error = BoxError;

    async fn call(&self, req: http::Request<hyper::body::Incoming>, peer: SocketAddr) -> http::Response<Body> {
        match self.rt.upgrade() {
            Some(rt) => {
                use http_body_util::BodyExt;
                let req = req.map(|b| b.map_err(Into::into).boxed_unsync());
                rt.handle_for_listener(&self.arn, self.port, req, peer.ip()).await
            }
            None => super::plain(503, "text/plain", "the load balancer is shutting down"),
        }
    }

    /// The load balancer's `idle_timeout.timeout_seconds`, as it is when the connection opens.
    fn idle_timeout(&self) -> Option<Duration> {
        let rt = self.rt.upgrade()?;
        let secs = rt
            .view()
            .listeners
            .get(&*self.arn)
            .map(|l| l.raw.idle_timeout_secs)
            .unwrap_or(60);
        Some(Duration::from_secs(secs.max(1)))
    }
}

/// Serves a bound listener with the emulator's connection limits (header timeout, connection
/// cap, accept backoff) and the load balancer's idle timeout, which runs mid-request too, as an
/// ALB closes a connection that moves no byte either way for that long.
pub fn serve(rt: &Arc<Runtime>, listener_arn: &str, port: u16, sock: TcpListener) -> net::Server {
    let limits = net::Limits {
        idle_while_busy: true,
        ..rt.config.limits.clone()
    };
    let handler = Listener {
        rt: Arc::downgrade(rt),
        arn: Arc::from(listener_arn),
        port,
    };
    net::serve(sock, limits, handler)
}
