//! What answers for a task's container: the built-in stand-in application, or a local process the
//! app config names for the container's image.
//!
//! The stand-in is a small HTTP server on `127.0.0.1:<ephemeral>`. It answers the health-check path
//! of its target groups with 200, or 503 while its task definition is listed in
//! `world.faults.unhealthy_task_definitions`, and every other request with 200 and a JSON body
//! naming the task, its task definition, container, image and target groups (and echoing the
//! method, path, host and `X-Forwarded-*` headers it received).
//!
//! A process backend (`--app-config FILE`, env `CUTOVER_APP_CONFIG`) is a JSON file
//! `{"apps": [{"image": "<glob>", "command": ["prog", "arg"], "cwd": "dir", "env": {"K": "V"}}]}`;
//! the first entry whose glob (`*`, `?`) matches the container image is run with `PORT` (the local
//! port it must listen on, on 127.0.0.1), `CONTAINER_PORT`, `ECS_TASK_ARN`, `ECS_CONTAINER_NAME`
//! and `CUTOVER_IMAGE` in its environment, and killed when the task stops.
//!
//! The listeners answer requests routed to a built-in stand-in in-process ([`Local::answer`], the
//! same answer it gives on its socket) rather than over a second loopback connection; its socket
//! still serves health checks and direct requests. Process backends are always reached over TCP.

use super::proxy::{Body, BoxError};
use super::view::{RawTaskPort, View};
use super::Runtime;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One entry of the app config.
#[derive(Debug, Clone)]
pub struct App {
    pub image: regex::Regex,
    pub command: Vec<String>,
    pub cwd: Option<PathBuf>,
    pub env: Vec<(String, String)>,
}

/// Reads an app config file.
pub fn load_apps(path: &Path) -> Result<Vec<App>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (i, a) in v
        .get("apps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let glob = a
            .get("image")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("apps[{i}].image (a glob) is required"))?;
        let command: Vec<String> = match a.get("command") {
            Some(Value::String(s)) => vec!["sh".into(), "-c".into(), s.clone()],
            Some(Value::Array(xs)) => xs.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        if command.is_empty() {
            return Err(format!("apps[{i}].command (a string or a list of strings) is required"));
        }
        let cwd = a.get("cwd").and_then(Value::as_str).map(|c| base.join(c));
        let env = a
            .get("env")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(App {
            image: super::routing::glob(glob, false).ok_or_else(|| format!("apps[{i}].image is not a valid glob"))?,
            command,
            cwd,
            env,
        });
    }
    Ok(out)
}

/// A running stand-in or process for one (task, container port).
pub enum StandIn {
    Builtin {
        addr: SocketAddr,
        server: JoinHandle<()>,
        local: Arc<Local>,
    },
    Process {
        addr: SocketAddr,
        child: tokio::process::Child,
    },
}

impl StandIn {
    pub fn addr(&self) -> SocketAddr {
        match self {
            StandIn::Builtin { addr, .. } | StandIn::Process { addr, .. } => *addr,
        }
    }

    /// The built-in stand-in, for in-process answers (`None` for a process backend).
    pub fn local(&self) -> Option<Arc<Local>> {
        match self {
            StandIn::Builtin { local, .. } => Some(local.clone()),
            StandIn::Process { .. } => None,
        }
    }

    pub fn stop(self) {
        match self {
            StandIn::Builtin { server, .. } => server.abort(),
            StandIn::Process { mut child, .. } => {
                let _ = child.start_kill();
                tokio::spawn(async move {
                    let _ = child.wait().await;
                });
            }
        }
    }
}

/// What a stand-in knows about itself.
#[derive(Debug, Clone)]
pub struct Identity {
    task_arn: String,
    task_definition_arn: String,
    port: RawTaskPort,
}

/// Starts what answers for `port` of `task_arn`.
pub async fn start(
    rt: &Arc<Runtime>,
    task_arn: &str,
    task_definition_arn: &str,
    port: &RawTaskPort,
) -> std::io::Result<StandIn> {
    if let Some(app) = rt.config.apps.iter().find(|a| a.image.is_match(&port.image)) {
        let free = TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
        let mut cmd = tokio::process::Command::new(&app.command[0]);
        cmd.args(&app.command[1..])
            .env("PORT", free.port().to_string())
            .env("CONTAINER_PORT", port.port.to_string())
            .env("ECS_TASK_ARN", task_arn)
            .env("ECS_CONTAINER_NAME", &port.container)
            .env("CUTOVER_IMAGE", &port.image)
            .envs(rt.child_env())
            .envs(app.env.iter().cloned())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(d) = &app.cwd {
            cmd.current_dir(d);
        }
        let child = cmd.spawn()?;
        crate::info!(
            "task {task_arn} container {} ({}) runs `{}` on {free}",
            port.container,
            port.image,
            app.command.join(" ")
        );
        return Ok(StandIn::Process { addr: free, child });
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let id = Arc::new(Identity {
        task_arn: task_arn.to_owned(),
        task_definition_arn: task_definition_arn.to_owned(),
        port: port.clone(),
    });
    let local = Arc::new(Local { id: id.clone() });
    let weak = Arc::downgrade(rt);
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let id = id.clone();
            let weak = weak.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let id = id.clone();
                    let weak = weak.clone();
                    async move {
                        let view = weak.upgrade().map(|rt| rt.view());
                        Ok::<_, std::convert::Infallible>(answer(view.as_deref(), &id, &req))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    crate::debug!("stand-in for task {task_arn} port {} on {addr}", port.port);
    Ok(StandIn::Builtin { addr, server, local })
}

/// A running built-in stand-in that the proxy can ask in-process.
#[derive(Debug)]
pub struct Local {
    id: Arc<Identity>,
}

impl Local {
    /// What the stand-in answers to `req` (the request as it would arrive on its socket).
    pub fn answer<B>(&self, view: &View, req: &Request<B>) -> Response<Body> {
        answer(Some(view), &self.id, req)
    }
}

fn answer<B>(view: Option<&View>, id: &Identity, req: &Request<B>) -> Response<Body> {
    let (faulted, health_paths, names) = match view {
        Some(view) => {
            let faulted = view.tasks.get(&id.task_arn).is_some_and(|t| t.faulted);
            let groups: Vec<_> = id
                .port
                .target_groups
                .iter()
                .filter_map(|g| view.groups.get(g))
                .collect();
            let paths: Vec<String> = groups
                .iter()
                .map(|g| g.health_check.path.clone().unwrap_or_else(|| "/".into()))
                .collect();
            let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
            (faulted, paths, names)
        }
        None => (false, vec!["/".to_owned()], Vec::new()),
    };
    let path = req.uri().path();
    let header = |k: &str| req.headers().get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let is_health = health_paths.iter().any(|p| p == path);
    let status = if is_health && faulted { 503 } else { 200 };
    let body = json!({
        "taskArn": id.task_arn,
        "taskDefinitionArn": id.task_definition_arn,
        "containerName": id.port.container,
        "image": id.port.image,
        "containerPort": id.port.port,
        "targetGroupArns": id.port.target_groups,
        "targetGroups": names,
        "healthy": !faulted,
        "request": {
            "method": req.method().as_str(),
            "path": path,
            "query": req.uri().query().unwrap_or(""),
            "host": header("host"),
            "xForwardedFor": header("x-forwarded-for"),
            "xForwardedProto": header("x-forwarded-proto"),
            "xForwardedPort": header("x-forwarded-port"),
        },
    });
    let mut r = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|n: std::convert::Infallible| -> BoxError { match n {} })
            .boxed_unsync(),
    );
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}
