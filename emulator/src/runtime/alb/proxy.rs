//! Forwarding one request to a target: a small keep-alive connection pool per local address, hop
//! headers dropped, `X-Forwarded-For/-Proto/-Port` and `X-Amzn-Trace-Id` added, bodies streamed
//! both ways (nothing is buffered).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::net::TcpStream;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Idle connections kept per target.
const MAX_IDLE: usize = 128;

type Idle = Mutex<HashMap<SocketAddr, Vec<SendRequest<Body>>>>;

/// Connections go back to the pool when the response body they carry has been read to its end
/// (see [`PooledBody`]), so every pooled connection is idle.
#[derive(Default)]
pub struct Pool {
    idle: Arc<Idle>,
}

/// A response body that gives its connection back to the pool once it has been read to its end.
pub struct PooledBody {
    inner: Incoming,
    back: Option<(Arc<Idle>, SocketAddr, SendRequest<Body>)>,
}

impl PooledBody {
    fn done(&mut self) {
        if let Some((idle, addr, s)) = self.back.take() {
            give_back(&idle, addr, s);
        }
    }
}

impl hyper::body::Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        match &r {
            Poll::Ready(None) => self.done(),
            Poll::Ready(Some(Ok(_))) if self.inner.is_end_stream() => self.done(),
            Poll::Ready(Some(Err(_))) => self.back = None,
            _ => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

fn give_back(idle: &Idle, addr: SocketAddr, s: SendRequest<Body>) {
    let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
    let list = idle.entry(addr).or_default();
    if list.len() < MAX_IDLE && !s.is_closed() {
        list.push(s);
    }
}

/// Why a request did not reach its target. `request` is given back when nothing was sent, so the
/// caller can try another target.
pub struct Failed {
    pub request: Option<Request<Body>>,
    pub error: String,
}

impl Pool {
    fn take(&self, addr: SocketAddr) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.get_mut(&addr)?;
        list.retain(|s| !s.is_closed());
        list.pop()
    }

    fn wrap(&self, addr: SocketAddr, s: SendRequest<Body>, resp: Response<Incoming>) -> Response<PooledBody> {
        let idle = self.idle.clone();
        resp.map(|inner| {
            let mut b = PooledBody {
                inner,
                back: Some((idle, addr, s)),
            };
            if hyper::body::Body::is_end_stream(&b.inner) {
                b.done();
            }
            b
        })
    }

    /// Drops every pooled connection to `addr` (its stand-in stopped).
    pub fn forget(&self, addr: SocketAddr) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).remove(&addr);
    }

    async fn connect(addr: SocketAddr) -> Result<SendRequest<Body>, String> {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Sends `req` to `addr` on a pooled or new connection.
    pub async fn send(&self, addr: SocketAddr, mut req: Request<Body>) -> Result<Response<PooledBody>, Failed> {
        // A pooled connection the target closed meanwhile gives the request back unsent: retry once
        // on a fresh connection.
        if let Some(mut s) = self.take(addr) {
            if s.ready().await.is_err() {
                return self.send_fresh(addr, req).await;
            }
            match s.try_send_request(req).await {
                Ok(resp) => return Ok(self.wrap(addr, s, resp)),
                Err(mut e) => match e.take_message() {
                    Some(r) => req = r,
                    None => {
                        return Err(Failed {
                            request: None,
                            error: e.into_error().to_string(),
                        })
                    }
                },
            }
        }
        self.send_fresh(addr, req).await
    }

    async fn send_fresh(&self, addr: SocketAddr, req: Request<Body>) -> Result<Response<PooledBody>, Failed> {
        let mut s = match Self::connect(addr).await {
            Ok(s) => s,
            Err(error) => {
                return Err(Failed {
                    request: Some(req),
                    error,
                })
            }
        };
        match s.try_send_request(req).await {
            Ok(resp) => Ok(self.wrap(addr, s, resp)),
            Err(mut e) => Err(Failed {
                request: e.take_message(),
                error: e.into_error().to_string(),
            }),
        }
    }
}

const HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "upgrade",
];

/// Removes hop-by-hop headers (and those `Connection` names).
pub fn strip_hop_headers(h: &mut HeaderMap) {
    let named: Vec<String> = h
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .filter(|s| !s.is_empty())
        .collect();
    for n in HOP.iter().copied().chain(named.iter().map(String::as_str)) {
        h.remove(n);
    }
}

/// Adds what an ALB adds in front of a target.
pub fn add_forwarded(h: &mut HeaderMap, client: std::net::IpAddr, listener_port: u16, trace_id: &str) {
    let xff = match h.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {client}"),
        None => client.to_string(),
    };
    let set = |h: &mut HeaderMap, k: &'static str, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(HeaderName::from_static(k), v);
        }
    };
    set(h, "x-forwarded-for", &xff);
    set(h, "x-forwarded-proto", "http");
    set(h, "x-forwarded-port", &listener_port.to_string());
    if !h.contains_key("x-amzn-trace-id") {
        set(h, "x-amzn-trace-id", trace_id);
    }
}
