//! The HTTP server: one endpoint for every emulated AWS API plus the control API.

use crate::net;
use crate::protocol::{new_request_id as request_id, AwsError, HttpRequest, HttpResponse};
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
use std::time::Duration;
use tokio::net::TcpListener;
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
    read_request_within(req, None).await
}

/// [`read_request`], with the body given at most `body_timeout` to arrive (then `408`); a body
/// that breaks off or whose chunked framing is broken answers `400`.
pub async fn read_request_within(
    req: Request<Body>,
    body_timeout: Option<Duration>,
) -> Result<HttpRequest, HttpResponse> {
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
    let collected = match body_timeout {
        Some(t) => match tokio::time::timeout(t, limited.collect()).await {
            Ok(r) => r,
            Err(_) => {
                let err = AwsError::new(
                    "RequestTimeout",
                    format!(
                        "The request body did not arrive within {} seconds (cutover serve --body-timeout).",
                        t.as_secs_f64()
                    ),
                )
                .with_status(408);
                return Err(crate::protocol::early_error(
                    &parts.headers,
                    path,
                    query,
                    &err,
                    &request_id(),
                ));
            }
        },
        None => limited.collect().await,
    };
    let body = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(crate::protocol::request_too_large(
                &parts.headers,
                path,
                query,
                MAX_BODY,
            ))
        }
        Err(e) => {
            // The connection broke off mid-body, or its chunked framing is not HTTP.
            return Err(crate::protocol::undecodable_body(
                &parts.headers,
                path,
                query,
                &format!("the request body could not be read: {e}"),
            ));
        }
    };
    let mut headers = parts.headers;
    // (The headers change only when the body inflates.)
    let body = match gunzip_if_encoded(&mut headers, body) {
        Ok(b) => b,
        Err(None) => return Err(crate::protocol::request_too_large(&headers, path, query, MAX_BODY)),
        Err(Some(e)) => {
            return Err(crate::protocol::undecodable_body(
                &headers,
                path,
                query,
                &format!("The request body says Content-Encoding: gzip but is not gzip data: {e}"),
            ))
        }
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
    handle_within(em, req, None).await
}

/// [`handle`], with the request body given at most `body_timeout` to arrive.
pub async fn handle_within(em: Arc<Emulator>, req: Request<Body>, body_timeout: Option<Duration>) -> HttpResponse {
    let req = match read_request_within(req, body_timeout).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if let Some(rest) = req.path.strip_prefix("/_emulator/") {
        if let Some(refused) = control_body_refused(&req) {
            return refused;
        }
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

/// The control API reads JSON only: a body of any other type (an HTML form, `text/plain`, which
/// a web page can send without asking first) is refused with `415`.
fn control_body_refused(req: &HttpRequest) -> Option<HttpResponse> {
    let content_type = req.header("content-type").map(str::trim);
    let json = content_type.is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if json || (content_type.is_none() && req.body.is_empty()) {
        return None;
    }
    let message = match content_type {
        Some(t) => format!(
            "The control API takes application/json bodies, not '{t}' (with curl: -H 'content-type: application/json')."
        ),
        None => "The control API takes application/json bodies: send Content-Type: application/json (with curl: -H 'content-type: application/json').".to_owned(),
    };
    Some(HttpResponse::new(
        415,
        "application/json",
        serde_json::json!({"error": "UnsupportedMediaType", "field": "Content-Type", "message": message}).to_string(),
    ))
}

async fn entry(State(em): State<Arc<Emulator>>, req: Request<Body>) -> Response {
    match lb_or_api(&em, req).await {
        Ok(resp) => resp,
        Err(req) => to_http(handle(em, req).await),
    }
}

/// `Host: <load balancer DNSName>[:port]` on the main port reaches that listener (port 80 when
/// none is given), as a request to the listener's own port would; any other request is answered
/// as an API call (`Err` gives it back).
async fn lb_or_api(em: &Arc<Emulator>, req: Request<Body>) -> Result<Response, Request<Body>> {
    let lb_host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(alb::looks_like_lb_host);
    if !lb_host {
        return Err(req);
    }
    let req = req.map(|b| b.map_err(Into::into).boxed_unsync());
    match alb::handle_main_port(em, req).await {
        Ok(resp) => Ok(resp.map(Body::new)),
        Err(req) => Err(req.map(Body::new)),
    }
}

/// The router for an emulator (no access checks or connection limits: for embedding in a server
/// of one's own; `serve_with` applies both).
pub fn router(em: Arc<Emulator>) -> Router {
    Router::new().fallback(entry).with_state(em)
}

/// Who may drive the API endpoint: the defence against web pages (cross-site requests) and DNS
/// rebinding. See the README's "Security" section.
///
/// * A request's `Host` must be a loopback name (`localhost`, `*.localhost`) or address, the
///   address the server is bound to (any IP address when it is bound to all of them: a name is
///   what rebinding needs), or a name of [`Access::allow_hosts`] (`name` or `*.suffix`). A
///   request without `Host` (HTTP/1.0 tools) passes. A load balancer's DNS name reaches its
///   listener, which answers whatever an ALB would.
/// * A request carrying `Origin` (browsers send it on cross-origin requests and on every POST)
///   must come from the server's own origin or one of [`Access::cors_origins`] (`*`: any);
///   allowed cross-origin requests get CORS headers and preflights are answered.
/// * Refusals are `403` in the caller's protocol (`AccessDenied` / `AccessDeniedException`), in
///   the control API's JSON under `/_emulator/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Access {
    /// `--allow-host NAME` (repeatable, or comma-separated; env `CUTOVER_ALLOW_HOSTS`).
    pub allow_hosts: Vec<String>,
    /// `--cors-origin ORIGIN` (repeatable, or comma-separated; env `CUTOVER_CORS_ORIGINS`).
    pub cors_origins: Vec<String>,
}

impl Access {
    /// Splits a comma-separated list of names (flags and environment variables).
    pub fn split_list(text: &str) -> Vec<String> {
        text.split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// The host part of a `Host` header or URL authority: `[::1]:80` → `::1`, `a.b:9` → `a.b`.
fn host_part(host: &str) -> &str {
    let h = host.trim();
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    match h.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => name,
        _ => h,
    }
    .trim_end_matches('.')
}

struct Gate {
    access: Access,
    bound: std::net::IpAddr,
}

impl Gate {
    fn host_allowed(&self, host: &str) -> bool {
        let h = host_part(host).to_ascii_lowercase();
        if let Ok(ip) = h.parse::<std::net::IpAddr>() {
            return ip.is_loopback() || ip == self.bound || self.bound.is_unspecified();
        }
        if h == "localhost" || h.ends_with(".localhost") {
            return true;
        }
        self.access.allow_hosts.iter().any(|a| match a.strip_prefix("*.") {
            Some(suffix) => h.ends_with(&format!(".{suffix}")),
            None => *a == h,
        })
    }

    /// Whether `origin` may call: the server's own origin (the host it was reached by), or one
    /// on the allow-list.
    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let o = origin.trim().to_ascii_lowercase();
        if self.access.cors_origins.iter().any(|a| a == "*" || *a == o) {
            return true;
        }
        let authority = o
            .strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
            .unwrap_or("");
        host.is_some_and(|h| !authority.is_empty() && authority == h.trim().to_ascii_lowercase())
    }

    fn cross_origin_listed(&self, origin: &str) -> bool {
        let o = origin.trim().to_ascii_lowercase();
        self.access.cors_origins.iter().any(|a| a == "*" || *a == o)
    }
}

fn refused(parts: &http::request::Parts, message: String) -> Response {
    crate::info!("refused {} {}: {message}", parts.method, parts.uri.path());
    let path = parts.uri.path();
    if path.starts_with("/_emulator/") {
        return to_http(HttpResponse::new(
            403,
            "application/json",
            serde_json::json!({"error": "Forbidden", "message": message}).to_string(),
        ));
    }
    let query = parts.uri.query().unwrap_or("");
    let (_, wire) = crate::protocol::detect::error_wire(&parts.headers, path, query);
    let code = match wire {
        crate::protocol::Wire::Query | crate::protocol::Wire::Ec2 => "AccessDenied",
        _ => "AccessDeniedException",
    };
    let err = AwsError::new(code, message).with_status(403);
    to_http(crate::protocol::early_error(
        &parts.headers,
        path,
        query,
        &err,
        &request_id(),
    ))
}

/// The API endpoint's handler for [`net::serve`]: access checks, then the load balancer route
/// or the API.
#[derive(Clone)]
struct Api {
    em: Arc<Emulator>,
    gate: Arc<Gate>,
    body_timeout: Duration,
}

impl net::Handler for Api {
    type Body = Body;
    type Error = axum::Error;

    async fn call(&self, req: Request<hyper::body::Incoming>, _peer: SocketAddr) -> Response {
        let req = req.map(Body::new);
        let host = req
            .headers()
            .get(http::header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| req.uri().authority().map(|a| a.to_string()));
        // A load balancer's DNS name: its listener answers, as an ALB answers anyone.
        let req = match lb_or_api(&self.em, req).await {
            Ok(resp) => return resp,
            Err(req) => req,
        };
        let (parts, body) = req.into_parts();
        if let Some(h) = &host {
            if !self.gate.host_allowed(h) {
                return refused(
                    &parts,
                    format!(
                        "Host '{h}' is not a loopback name or address, the address cutover is bound to, or a name given with --allow-host (this refuses DNS rebinding; see the README's Security section)."
                    ),
                );
            }
        }
        let origin = parts
            .headers
            .get(http::header::ORIGIN)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if let Some(o) = &origin {
            if !self.gate.origin_allowed(o, host.as_deref()) {
                return refused(
                    &parts,
                    format!(
                        "Origin '{o}' may not call cutover: cross-origin requests are answered only from origins given with --cors-origin (this refuses web pages; see the README's Security section)."
                    ),
                );
            }
        }
        let cors = origin.filter(|o| self.gate.cross_origin_listed(o));
        if cors.is_some() && parts.method == http::Method::OPTIONS {
            let mut r = to_http(HttpResponse::new(204, "text/plain", ""));
            add_cors(&mut r, cors.as_deref(), &parts.headers);
            return r;
        }
        let req_headers = cors.as_ref().map(|_| parts.headers.clone());
        let req = Request::from_parts(parts, body);
        let mut resp = to_http(handle_within(self.em.clone(), req, Some(self.body_timeout)).await);
        if let Some(h) = &req_headers {
            add_cors(&mut resp, cors.as_deref(), h);
        }
        resp
    }
}

/// CORS headers for an allowed cross-origin request (and its preflight).
fn add_cors(resp: &mut Response, origin: Option<&str>, req: &http::HeaderMap) {
    let Some(origin) = origin else { return };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    h.insert(http::header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, HEAD, OPTIONS"),
    );
    if let Some(v) = req.get(http::header::ACCESS_CONTROL_REQUEST_HEADERS) {
        h.insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
    }
    h.insert(
        http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-amzn-requestid, x-amz-request-id, x-amzn-errortype, x-amz-id-2"),
    );
    h.insert(http::header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
}

/// A running server.
pub struct ServerHandle {
    pub addr: SocketAddr,
    /// `http://HOST:PORT`
    pub url: String,
    pub emulator: Arc<Emulator>,
    server: Option<net::Server>,
    driver: JoinHandle<()>,
    /// The ALB data plane (listeners, stand-ins, health checks), when started.
    pub alb: Option<Arc<alb::Runtime>>,
}

impl ServerHandle {
    /// Stops accepting, closes idle and half-sent connections, lets requests in flight finish
    /// (within the shutdown grace period), then returns.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.driver.abort();
        self.emulator.lambda.shutdown();
        if let Some(rt) = self.alb.take() {
            rt.stop();
        }
    }

    /// Waits until the server stops on its own (it does not, unless shut down).
    pub async fn wait(mut self) {
        if let Some(s) = self.server.take() {
            s.wait().await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        // Dropping the server stops it (it closes its connections in the background).
        self.server.take();
        self.driver.abort();
        self.emulator.lambda.shutdown();
        if let Some(rt) = self.alb.take() {
            rt.stop();
        }
    }
}

/// What a server runs besides the API endpoint, and how it guards it.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The ALB data plane with this configuration (`None`: API only).
    pub alb: Option<alb::Config>,
    /// Which hosts and origins may call (see [`Access`]).
    pub access: Access,
    /// Timeouts and the connection cap (see [`net`]).
    pub limits: net::Limits,
}

impl Default for ServeOptions {
    /// The data plane on, every listener on a free loopback port (several emulators can share a
    /// process or a machine).
    fn default() -> Self {
        let mut config = alb::Config::default();
        config.ports.ephemeral = true;
        ServeOptions {
            alb: Some(config),
            access: Access::default(),
            limits: net::Limits::default(),
        }
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
            config.limits = options.limits.clone();
            Some(alb::Runtime::start(em.clone(), config, Some(addr)).await)
        }
        None => None,
    };
    let api = Api {
        em: em.clone(),
        gate: Arc::new(Gate {
            access: options.access,
            bound: addr.ip(),
        }),
        body_timeout: options.limits.body_timeout,
    };
    let server = net::serve(listener, options.limits, api);
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
        server: Some(server),
        driver,
        alb,
    })
}
