//! The HTTP server: one endpoint for every emulated AWS API plus the control API.

use crate::protocol::{HttpRequest, HttpResponse};
use crate::runtime::alb;
use crate::sim::ClockMode;
use crate::{control, dispatch, Emulator};
use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::Router;
use http::{HeaderName, HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The largest request body accepted (Lambda zip uploads are the big ones: 50 MB zipped, base64).
pub const MAX_BODY: usize = 72 * 1024 * 1024;

/// Converts a codec response into an HTTP response.
pub fn to_http(resp: HttpResponse) -> Response {
    let mut r = Response::new(Body::from(resp.body));
    *r.status_mut() = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in resp.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
            r.headers_mut().append(k, v);
        }
    }
    r
}

/// Reads a whole request into the protocol layer's form (the body up to [`MAX_BODY`]).
pub async fn read_request(req: Request<Body>) -> Result<HttpRequest, HttpResponse> {
    let (parts, body) = req.into_parts();
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    // Errors before the body is read are written in the protocol the headers and path name.
    let (path, query) = (parts.uri.path(), parts.uri.query().unwrap_or(""));
    // A declared length over the limit is answered at once, without waiting for the body.
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(crate::protocol::request_too_large(
            &parts.headers,
            path,
            query,
            MAX_BODY,
        ));
    }
    let body = match limited.collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return Err(crate::protocol::request_too_large(
                &parts.headers,
                path,
                query,
                MAX_BODY,
            ))
        }
    };
    let mut headers = parts.headers;
    // (The headers change only when the body inflates.)
    let body = match gunzip_if_encoded(&mut headers, body) {
        Ok(b) => b,
        Err(None) => return Err(crate::protocol::request_too_large(&headers, path, query, MAX_BODY)),
        Err(Some(e)) => return Err(crate::protocol::undecodable_body(&headers, path, query, &e)),
    };
    Ok(HttpRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers,
        body,
    })
}

/// SDKs compress large request bodies of operations the model marks `requestcompression`
/// (CloudWatch PutMetricData: botocore gzips bodies from 10 KiB up) and say so with
/// `Content-Encoding: gzip`. The body is inflated here (up to [`MAX_BODY`]) and the encoding
/// removed, so every codec sees the plain body. `Err(None)`: it inflates past [`MAX_BODY`];
/// `Err(Some(why))`: it is not gzip data.
fn gunzip_if_encoded(headers: &mut http::HeaderMap, body: bytes::Bytes) -> Result<bytes::Bytes, Option<String>> {
    let gzip = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| e.trim().eq_ignore_ascii_case("gzip"));
    if !gzip {
        return Ok(body);
    }
    use std::io::Read;
    let mut out = Vec::new();
    let read = flate2::read::GzDecoder::new(&body[..])
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut out);
    match read {
        Ok(_) if out.len() > MAX_BODY => Err(None),
        Ok(_) => {
            // Any other encodings listed (none that SDKs send) stay; gzip is undone.
            let rest: Vec<String> = headers
                .get_all(http::header::CONTENT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|e| e.trim().to_owned())
                .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("gzip"))
                .collect();
            headers.remove(http::header::CONTENT_ENCODING);
            if let Ok(v) = http::HeaderValue::from_str(&rest.join(", ")) {
                if !rest.is_empty() {
                    headers.insert(http::header::CONTENT_ENCODING, v);
                }
            }
            Ok(bytes::Bytes::from(out))
        }
        Err(e) => Err(Some(e.to_string())),
    }
}

/// Answers any request: the control API under `/_emulator/`, AWS APIs everywhere else.
pub async fn handle(em: Arc<Emulator>, req: Request<Body>) -> HttpResponse {
    let req = match read_request(req).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if let Some(rest) = req.path.strip_prefix("/_emulator/") {
        if req.method == http::Method::POST {
            match rest.trim_end_matches('/') {
                "call" => return control::call(&em, &req.body).await,
                "clock" => return control::post_clock(&em, &req.body).await,
                _ => {}
            }
        }
        return control::handle(&em, &req.method, rest, &req.query, &req.body);
    }
    dispatch::handle(em, req).await
}

async fn entry(State(em): State<Arc<Emulator>>, req: Request<Body>) -> Response {
    // `Host: <load balancer DNSName>[:port]` reaches that listener (port 80 when none is given).
    let lb_host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(alb::looks_like_lb_host);
    if lb_host {
        let req = req.map(|b| b.map_err(Into::into).boxed_unsync());
        match alb::handle_main_port(&em, req).await {
            Ok(resp) => return resp.map(Body::new),
            Err(req) => return to_http(handle(em, req.map(Body::new)).await),
        }
    }
    to_http(handle(em, req).await)
}

/// The router for an emulator.
pub fn router(em: Arc<Emulator>) -> Router {
    Router::new().fallback(entry).with_state(em)
}

/// A running server.
pub struct ServerHandle {
    pub addr: SocketAddr,
    /// `http://HOST:PORT`
    pub url: String,
    pub emulator: Arc<Emulator>,
    shutdown: Option<oneshot::Sender<()>>,
    join: Option<JoinHandle<()>>,
    driver: JoinHandle<()>,
    /// The ALB data plane (listeners, stand-ins, health checks), when started.
    pub alb: Option<Arc<alb::Runtime>>,
}

impl ServerHandle {
    /// Stops accepting, lets requests in flight finish, then returns.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(j) = self.join.take() {
            let _ = j.await;
        }
        self.driver.abort();
        self.emulator.lambda.shutdown();
        if let Some(rt) = self.alb.take() {
            rt.stop();
        }
    }

    /// Waits until the server stops on its own (it does not, unless shut down).
    pub async fn wait(mut self) {
        if let Some(j) = self.join.take() {
            let _ = j.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.driver.abort();
        self.emulator.lambda.shutdown();
        if let Some(rt) = self.alb.take() {
            rt.stop();
        }
    }
}

/// What a server runs besides the API endpoint.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The ALB data plane with this configuration (`None`: API only).
    pub alb: Option<alb::Config>,
}

impl Default for ServeOptions {
    /// The data plane on, every listener on a free loopback port (several emulators can share a
    /// process or a machine).
    fn default() -> Self {
        let mut config = alb::Config::default();
        config.ports.ephemeral = true;
        ServeOptions { alb: Some(config) }
    }
}

/// Binds `bind` (port 0 picks a free port) and serves a new emulator with the given clock.
pub async fn start(bind: &str, mode: ClockMode) -> std::io::Result<ServerHandle> {
    serve(bind, Emulator::new(mode)).await
}

/// Binds `bind` and serves `em` (with the data plane, listeners on free ports).
pub async fn serve(bind: &str, em: Arc<Emulator>) -> std::io::Result<ServerHandle> {
    serve_with(bind, em, ServeOptions::default()).await
}

/// Binds `bind` and serves `em` with `options`.
pub async fn serve_with(bind: &str, em: Arc<Emulator>, options: ServeOptions) -> std::io::Result<ServerHandle> {
    let listener = TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let alb = match options.alb {
        Some(mut config) => {
            config.ports.host = addr.ip();
            Some(alb::Runtime::start(em.clone(), config, Some(addr)).await)
        }
        None => None,
    };
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(em.clone());
    let join = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    let driver = tokio::spawn(em.clone().drive());
    // Functions call the emulator on loopback when it listens on every address.
    let reach = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    em.lambda.set_endpoint(&format!("http://{reach}"));
    crate::runtime::lambda::Runtime::ensure_started(&em);
    Ok(ServerHandle {
        addr,
        url: format!("http://{addr}"),
        emulator: em,
        shutdown: Some(tx),
        join: Some(join),
        driver,
        alb,
    })
}
