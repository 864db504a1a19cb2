//! The ALB data plane: listeners that answer real HTTP on loopback, route as an Application Load
//! Balancer does, and forward to tasks that really answer.
//!
//! * [`view`]: the data plane's copy of the world, taken every [`SYNC_EVERY`] under the world lock
//!   in one short synchronous call (nothing awaits while holding it) and compiled only when it
//!   changed. Changes made through the API reach the data plane within that period, as on AWS
//!   changes take a moment to propagate.
//! * [`listeners`]: one socket per listener of an active load balancer, bound and closed as
//!   listeners come and go.
//! * [`routing`]: rules and actions. [`proxy`]: forwarding with a keep-alive pool.
//! * [`standin`]: what answers for each task container: the built-in stand-in, answered
//!   in-process with no socket, or a local process (`--app-config`) with a real socket per task.
//! * [`health`]: real HTTP health checks whose outcome feeds the simulation's target states.
//! * [`names`]: how the `*.elb.localhost` DNS names resolve in processes the emulator starts.
//!
//! A [`Runtime`] is started by `server::serve_with` and stopped with the server; the emulator keeps
//! a weak reference to it (`Emulator::alb`) for the control API, the main port's `Host` routing and
//! the Lambda processes' environment. No process-global registry: several emulators in one process
//! each find their own.

pub mod health;
pub mod listeners;
pub mod names;
pub mod proxy;
pub mod routing;
pub mod standin;
pub mod view;

pub use listeners::ListenerPorts;

use crate::world::PartitionKey;
use crate::Emulator;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use proxy::{Body, BoxError, Pool};
use routing::{Act, Balancer, RequestFacts};
use serde_json::{json, Value};
use standin::{App, StandIn};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::task::JoinHandle;
use view::{Raw, View};

/// How often the data plane copies the world.
pub const SYNC_EVERY: Duration = Duration::from_millis(25);

/// How long a stopped task's stand-in keeps answering requests already routed to it.
const STANDIN_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub ports: ListenerPorts,
    /// Process backends by image (from `--app-config`).
    pub apps: Vec<App>,
    /// Connection limits of the listeners (the API's; the idle timeout is each load balancer's).
    pub limits: crate::net::Limits,
}

pub struct Runtime {
    pub em: Arc<Emulator>,
    pub config: Config,
    view: RwLock<Arc<View>>,
    balancer: Mutex<Balancer>,
    pool: Pool,
    bound: Mutex<HashMap<String, listeners::Bound>>,
    standins: Mutex<HashMap<(String, u16), StandIn>>,
    /// (task, port) whose process could not start (its task was stopped with the reason).
    failed: Mutex<HashSet<(String, u16)>>,
    jobs: Mutex<Vec<JoinHandle<()>>>,
    names: Mutex<Option<names::Shims>>,
    /// Requests forwarded (numbers the trace ids).
    requests: std::sync::atomic::AtomicU64,
}

pub(crate) fn plain(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(
        Full::new(body.into())
            .map_err(|n: std::convert::Infallible| -> BoxError { match n {} })
            .boxed_unsync(),
    );
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert(http::header::SERVER, HeaderValue::from_static("awselb/2.0"));
    r
}

fn elb_error(status: u16) -> Response<Body> {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    plain(
        status,
        "text/html",
        format!("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"),
    )
}

fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn encode_cookie(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn decode_cookie(text: &str) -> Option<String> {
    use base64::Engine;
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
    String::from_utf8(b).ok()
}

impl Runtime {
    /// Starts the data plane of `em`: the world sync, the stand-ins, the listeners, the health
    /// checks. `main` is the emulator's own address.
    pub async fn start(em: Arc<Emulator>, config: Config, main: Option<SocketAddr>) -> Arc<Runtime> {
        let rt = Arc::new(Runtime {
            em: em.clone(),
            config,
            view: RwLock::new(Arc::new(View::default())),
            balancer: Mutex::default(),
            pool: Pool::default(),
            bound: Mutex::default(),
            standins: Mutex::default(),
            failed: Mutex::default(),
            jobs: Mutex::default(),
            names: Mutex::new(None),
            requests: std::sync::atomic::AtomicU64::new(1),
        });
        if let Some(m) = main {
            match names::Shims::write(m) {
                Ok(s) => *rt.names.lock().unwrap_or_else(|p| p.into_inner()) = Some(s),
                Err(e) => crate::error!("cannot write the DNS name shims: {e}"),
            }
        }
        em.attach_alb(&rt);
        rt.sync().await;
        let weak = Arc::downgrade(&rt);
        let sync = tokio::spawn(async move {
            loop {
                tokio::time::sleep(SYNC_EVERY).await;
                let Some(rt) = weak.upgrade() else { return };
                rt.sync().await;
            }
        });
        let checks = tokio::spawn(health::run(rt.clone()));
        rt.jobs.lock().unwrap_or_else(|p| p.into_inner()).extend([sync, checks]);
        rt
    }

    /// Stops listeners, stand-ins, processes and background jobs.
    pub fn stop(&self) {
        for j in self.jobs.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            j.abort();
        }
        for (_, b) in self.bound.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            b.server.abort();
        }
        for (_, s) in self.standins.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            s.stop();
        }
        if let Some(s) = self.names.lock().unwrap_or_else(|p| p.into_inner()).take() {
            s.remove();
        }
    }

    pub fn view(&self) -> Arc<View> {
        self.view.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Environment for a process the emulator starts (Lambda functions, app processes) so that the
    /// load balancers' DNS names resolve in it (see [`names`]).
    pub fn child_env(&self) -> Vec<(String, String)> {
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|s| s.env())
            .unwrap_or_default()
    }

    /// Stops the task of every process backend that has exited (as ECS stops a task whose
    /// essential container exits).
    fn stop_exited(&self) {
        let exited: Vec<((String, u16), String)> = {
            let mut s = self.standins.lock().unwrap_or_else(|p| p.into_inner());
            let mut out = Vec::new();
            for (k, si) in s.iter_mut() {
                if let Some(how) = si.exited() {
                    out.push((k.clone(), how));
                }
            }
            let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            for (k, _) in &out {
                failed.insert(k.clone());
                if let Some(si) = s.remove(k) {
                    if let Some(addr) = si.addr() {
                        self.pool.forget(addr);
                    }
                    si.stop();
                }
            }
            out
        };
        if exited.is_empty() {
            return;
        }
        let view = self.view();
        self.em.with_world(|w| {
            for ((arn, port), how) in &exited {
                crate::info!("the process for task {arn} port {port} exited ({how}): the task stops");
                if let Some(t) = view.tasks.get(arn) {
                    crate::lifecycle::edges::stop_task(
                        w,
                        &t.partition,
                        arn,
                        "Essential container in task exited",
                        "EssentialContainerExited",
                    );
                }
            }
        });
        self.em.wake.notify_one();
    }

    /// Brings the data plane up to date with the world now (the background job does it every
    /// [`SYNC_EVERY`]; tests call it to not wait).
    pub async fn sync(self: &Arc<Self>) {
        self.stop_exited();
        let raw = self.em.with_world(|w| Raw::take(w));
        let current = self.view();
        if raw == current.raw {
            return;
        }
        // Stand-ins: start the new, stop the gone (a process after a grace period). A process
        // that cannot start stops its task with the reason, once.
        let wanted: HashMap<(&str, u16), (&view::RawTask, &view::RawTaskPort)> = raw
            .tasks
            .iter()
            .flat_map(|t| t.ports.iter().map(move |p| ((t.arn.as_str(), p.port), (t, p))))
            .collect();
        let mut cannot: Vec<(PartitionKey, String, String)> = Vec::new();
        let gone: Vec<StandIn> = {
            let mut s = self.standins.lock().unwrap_or_else(|p| p.into_inner());
            let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
            failed.retain(|(arn, port)| wanted.contains_key(&(arn.as_str(), *port)));
            for (&(arn, port), (t, p)) in &wanted {
                let key = (arn.to_owned(), port);
                if s.contains_key(&key) || failed.contains(&key) {
                    continue;
                }
                match standin::start(self, arn, &t.task_definition_arn, p) {
                    Ok(si) => {
                        s.insert(key, si);
                    }
                    Err(standin::CannotStart(reason)) => {
                        crate::error!("task {arn} port {port}: {reason}");
                        cannot.push((t.partition.clone(), arn.to_owned(), reason));
                        failed.insert(key);
                    }
                }
            }
            let keys: Vec<(String, u16)> = s
                .keys()
                .filter(|(arn, port)| !wanted.contains_key(&(arn.as_str(), *port)))
                .cloned()
                .collect();
            keys.into_iter().filter_map(|k| s.remove(&k)).collect()
        };
        if !cannot.is_empty() {
            self.em.with_world(|w| {
                for (key, arn, reason) in &cannot {
                    crate::lifecycle::edges::stop_task(w, key, arn, reason, "TaskFailedToStart");
                }
            });
            self.em.wake.notify_one();
        }
        for s in gone {
            let Some(addr) = s.addr() else { continue };
            let weak = Arc::downgrade(self);
            tokio::spawn(async move {
                tokio::time::sleep(STANDIN_GRACE).await;
                s.stop();
                if let Some(rt) = weak.upgrade() {
                    rt.pool.forget(addr);
                }
            });
        }
        let backends: HashMap<(String, u16), standin::Backend> = {
            let s = self.standins.lock().unwrap_or_else(|p| p.into_inner());
            wanted
                .iter()
                .filter_map(|(&(arn, port), (_, p))| {
                    let si = s.get(&(arn.to_owned(), port))?;
                    Some(((p.ip.clone(), p.port), si.backend()))
                })
                .collect()
        };
        drop(wanted);
        let wanted_listeners: Vec<(String, u16, String, String)> = raw
            .listeners
            .iter()
            .map(|l| (l.arn.clone(), l.port, l.lb_name.clone(), l.dns_name.clone()))
            .collect();
        let view = View::build(raw, backends);
        *self.view.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(view);
        // Listeners: bind the new (or moved), close the gone.
        let stale: Vec<String> = {
            let b = self.bound.lock().unwrap_or_else(|p| p.into_inner());
            b.iter()
                .filter(|(arn, bound)| !wanted_listeners.iter().any(|w| w.0 == **arn && w.1 == bound.port))
                .map(|(arn, _)| arn.clone())
                .collect()
        };
        for arn in stale {
            if let Some(b) = self.bound.lock().unwrap_or_else(|p| p.into_inner()).remove(&arn) {
                b.server.abort();
                crate::info!("listener {arn} closed ({})", b.addr);
            }
        }
        for (arn, port, lb, dns) in wanted_listeners {
            if self.bound.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&arn) {
                continue;
            }
            match listeners::bind(&self.config.ports, port).await {
                Ok(sock) => {
                    let addr = sock
                        .local_addr()
                        .unwrap_or_else(|_| SocketAddr::new(self.config.ports.host, 0));
                    let server = listeners::serve(self, &arn, port, sock);
                    crate::info!("load balancer {lb} listener port {port} ({dns}:{port}) serves on http://{addr}");
                    self.bound
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(arn, listeners::Bound { port, addr, server });
                }
                Err(e) => crate::error!("cannot bind listener port {port} of {lb}: {e}"),
            }
        }
    }

    /// `[{listenerArn, loadBalancerName, dnsName, port, address}]` for `GET /_emulator/listeners`.
    pub fn listeners_json(&self) -> Value {
        let view = self.view();
        let bound = self.bound.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<&view::RawListener> = view.raw.listeners.iter().collect();
        out.sort_by(|a, b| (&a.lb_name, a.port).cmp(&(&b.lb_name, b.port)));
        Value::Array(
            out.into_iter()
                .map(|l| {
                    json!({
                        "listenerArn": l.arn,
                        "loadBalancerArn": l.lb_arn,
                        "loadBalancerName": l.lb_name,
                        "dnsName": l.dns_name,
                        "port": l.port,
                        "protocol": l.protocol,
                        "address": bound.get(&l.arn).map(|b| b.addr.to_string()),
                        "url": bound.get(&l.arn).map(|b| format!("http://{}", b.addr)),
                    })
                })
                .collect(),
        )
    }

    /// `[{targetGroupArn, targetGroupName, id, port, state, answeredBy, address}]` for
    /// `GET /_emulator/targets`: what answers for each target of a used target group.
    /// `answeredBy` is `"stand-in"` (the built-in stand-in, answered in-process: `address` is
    /// null, it has no socket), `"process"` (an `--app-config` process: `address` is the loopback
    /// `ip:port` it listens on) or null (nothing answers: the task is not up, or its process could
    /// not start).
    pub fn targets_json(&self) -> Value {
        let view = self.view();
        let mut out = Vec::new();
        for g in &view.raw.groups {
            for t in &g.targets {
                out.push(json!({
                    "targetGroupArn": g.arn,
                    "targetGroupName": g.name,
                    "id": t.id,
                    "port": t.port,
                    "state": t.state.as_str(),
                    "answeredBy": match view.backends.get(&(t.id.clone(), t.port)) {
                        Some(standin::Backend::Local(_)) => json!("stand-in"),
                        Some(standin::Backend::Tcp(_)) => json!("process"),
                        None => Value::Null,
                    },
                    "address": match view.backends.get(&(t.id.clone(), t.port)) {
                        Some(standin::Backend::Tcp(a)) => json!(a.to_string()),
                        _ => Value::Null,
                    },
                }));
            }
        }
        Value::Array(out)
    }

    /// The local address a listener is bound to.
    pub fn listener_addr(&self, listener_arn: &str) -> Option<SocketAddr> {
        self.bound
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(listener_arn)
            .map(|b| b.addr)
    }

    /// Whether `host` (a `Host` header) names a load balancer; then the listener it reaches.
    pub fn listener_for_host(&self, host: &str) -> Option<(String, u16)> {
        let l = self.view().listener_for_host(host)?;
        Some((l.raw.arn.clone(), l.raw.port))
    }

    /// Answers one request that reached listener `arn`.
    pub async fn handle_for_listener(
        &self,
        arn: &str,
        port: u16,
        req: Request<Body>,
        client: IpAddr,
    ) -> Response<Body> {
        let view = self.view();
        let Some(listener) = view.listeners.get(arn) else {
            return elb_error(503);
        };
        let host_of = |req: &Request<Body>| -> String {
            match req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok()) {
                Some(h) => h.to_owned(),
                None => req.uri().authority().map(|a| a.to_string()).unwrap_or_default(),
            }
        };
        // Borrow the request only to choose the rule (no copies of the path, query or host).
        let rule = {
            let from_header = req.headers().get(http::header::HOST).and_then(|v| v.to_str().ok());
            let authority;
            let host_header = match from_header {
                Some(h) => h,
                None => {
                    authority = req.uri().authority().map(|a| a.to_string()).unwrap_or_default();
                    authority.as_str()
                }
            };
            let facts = RequestFacts {
                method: req.method().as_str(),
                path: req.uri().path(),
                query: req.uri().query().unwrap_or(""),
                host: view::split_host(host_header).0,
                headers: req.headers(),
                client,
            };
            routing::select(&listener.rules, &facts)
        };
        let Some(rule) = rule else {
            return elb_error(503);
        };
        match &rule.action {
            Act::Fixed {
                status,
                content_type,
                body,
            } => plain(
                *status,
                content_type.as_deref().unwrap_or("text/plain; charset=utf-8"),
                body.clone(),
            ),
            act @ Act::Redirect { status, .. } => {
                let host_header = host_of(&req);
                let (host, _) = view::split_host(&host_header);
                let loc = routing::redirect_location(
                    act,
                    &listener.raw.protocol,
                    host,
                    port,
                    req.uri().path(),
                    req.uri().query().unwrap_or(""),
                )
                .unwrap_or_default();
                let mut r = plain(*status, "text/html", "");
                if let Ok(v) = HeaderValue::from_str(&loc) {
                    r.headers_mut().insert(http::header::LOCATION, v);
                }
                r
            }
            Act::None => elb_error(503),
            Act::Forward { groups, stickiness } => {
                self.forward(&view, &rule.key, groups, *stickiness, port, req, client)
                    .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn forward(
        &self,
        view: &View,
        rule_key: &str,
        groups: &[(String, u32)],
        stickiness: Option<u64>,
        port: u16,
        mut req: Request<Body>,
        client: IpAddr,
    ) -> Response<Body> {
        let mut set_cookies: Vec<String> = Vec::new();
        // Group stickiness: a valid AWSALBTG cookie naming a group of this forward with weight > 0.
        let sticky_group = stickiness.and_then(|_| {
            let g = decode_cookie(&cookie(req.headers(), "AWSALBTG")?)?;
            groups.iter().position(|(a, w)| *a == g && *w > 0)
        });
        let group = match sticky_group {
            Some(i) => &groups[i].0,
            None => {
                let picked = self
                    .balancer
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pick_group(rule_key, groups);
                let Some(i) = picked else {
                    return elb_error(503);
                };
                let g = &groups[i].0;
                if let Some(d) = stickiness {
                    set_cookies.push(format!("AWSALBTG={}; Expires={}; Path=/", encode_cookie(g), d));
                    set_cookies.push(format!(
                        "AWSALBTGCORS={}; Expires={}; Path=/; SameSite=None",
                        encode_cookie(g),
                        d
                    ));
                }
                g
            }
        };
        let (Some(tg), Some(pick)) = (view.groups.get(group), view.picks.get(group)) else {
            return elb_error(503);
        };
        let candidates = &pick.candidates;
        if candidates.is_empty() {
            return elb_error(503);
        }
        // Target stickiness (lb_cookie) of the group.
        let sticky_target = pick.lb_cookie.as_ref().and_then(|_| {
            let t = decode_cookie(&cookie(req.headers(), "AWSALB")?)?;
            candidates
                .iter()
                .position(|c| format!("{}|{}:{}", tg.arn, c.id, c.port) == t)
        });
        let start = match sticky_target {
            Some(i) => i,
            None => {
                let i = self
                    .balancer
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .next_index(group, candidates.len());
                if let Some(d) = &pick.lb_cookie {
                    let c = &candidates[i];
                    let v = encode_cookie(&format!("{}|{}:{}", tg.arn, c.id, c.port));
                    set_cookies.push(format!("AWSALB={v}; Max-Age={d}; Path=/"));
                    set_cookies.push(format!("AWSALBCORS={v}; Max-Age={d}; Path=/; SameSite=None"));
                }
                i
            }
        };
        // Headers an ALB adds.
        let trace = {
            let n = self.em.clock.now().as_secs_f64() as u64;
            let seq = self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("Root=1-{n:08x}-{seq:024x}")
        };
        {
            let h = req.headers_mut();
            proxy::strip_hop_headers(h);
            proxy::add_forwarded(h, client, port, &trace);
        }
        if req.uri().scheme().is_some() || req.uri().authority().is_some() {
            // Absolute form: the target gets the origin form.
            let pq = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into());
            if let Ok(u) = pq.parse() {
                *req.uri_mut() = u;
            }
        }
        let finish = |mut resp: Response<Body>| {
            proxy::strip_hop_headers(resp.headers_mut());
            for c in &set_cookies {
                if let Ok(v) = HeaderValue::from_str(c) {
                    resp.headers_mut().append(http::header::SET_COOKIE, v);
                }
            }
            resp
        };
        // Try the chosen target; a target that refuses the connection (its task just stopped) is
        // skipped for the next candidate, as nothing was sent yet. A built-in stand-in answers
        // in-process.
        let mut req = Some(req);
        let mut last_error = String::new();
        for k in 0..candidates.len().min(3) {
            let t = &candidates[(start + k) % candidates.len()];
            let addr = match &t.backend {
                None => {
                    last_error = format!("nothing answers for target {}:{}", t.id, t.port);
                    continue;
                }
                Some(standin::Backend::Local(local)) => {
                    let Some(r) = req.take() else { break };
                    return finish(local.answer(view, &r));
                }
                Some(standin::Backend::Tcp(addr)) => *addr,
            };
            let Some(r) = req.take() else { break };
            match self.pool.send(addr, r).await {
                Ok(resp) => {
                    return finish(resp.map(|b| b.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync()));
                }
                Err(f) => {
                    last_error = f.error;
                    match f.request {
                        Some(r) => req = Some(r),
                        None => break,
                    }
                }
            }
        }
        crate::debug!("502 from {}: {last_error}", tg.name);
        elb_error(502)
    }
}

/// Serves a request that came to the emulator's main port with `Host: <DNSName>[:port]`; `None`
/// when the host names no listener (the caller answers it as an AWS API call).
pub async fn handle_main_port(em: &Arc<Emulator>, req: Request<Body>) -> Result<Response<Body>, Request<Body>> {
    let Some(rt) = em.alb() else {
        return Err(req);
    };
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let Some((arn, port)) = host.and_then(|h| rt.listener_for_host(&h)) else {
        return Err(req);
    };
    let client = IpAddr::from([127, 0, 0, 1]);
    Ok(rt.handle_for_listener(&arn, port, req, client).await)
}

/// Whether a `Host` header could name a load balancer (cheap pre-check for the main port).
pub fn looks_like_lb_host(host: &str) -> bool {
    let (h, _) = view::split_host(host);
    let h = h.to_ascii_lowercase();
    h.ends_with(".localhost") || h.ends_with(".amazonaws.com")
}
