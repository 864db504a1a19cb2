//! What answers for a task's container: the built-in stand-in application, or a local process the
//! app config names for the container's image.
//!
//! The built-in stand-in has no socket: it is answered in-process ([`Local::answer`]) by the
//! listeners, by the main port's `Host` routing and by the health checker
//! ([`Local::health_status`]), so thousands of running tasks cost no file descriptors (5,000 fit
//! under `ulimit -n 1024`, `tests/many_tasks.rs`). It answers the health-check path of its target
//! groups with 200, or 503 while its task definition is listed in
//! `world.faults.unhealthy_task_definitions`, and every other request with 200 and a JSON body
//! naming the task, its task definition, container, image and target groups (and echoing the
//! method, path, host and `X-Forwarded-*` headers it received). `GET /_emulator/targets` reports
//! it as `"answeredBy": "stand-in"` with a null `address`.
//!
//! A process backend (`--app-config FILE`, env `CUTOVER_APP_CONFIG`) is a JSON file
//! `{"apps": [{"image": "<glob>", "command": ["prog", "arg"], "cwd": "dir", "env": {"K": "V"}}]}`;
//! the first entry whose glob (`*`, `?`) matches the container image is run with `PORT` (the local
//! port it must listen on, on 127.0.0.1), `CONTAINER_PORT`, `ECS_TASK_ARN`, `ECS_CONTAINER_NAME`
//! and `CUTOVER_IMAGE` in its environment, and killed when the task stops. It is reached over TCP
//! (a real socket per task, and its health checks are real HTTP requests). When it cannot start
//! (no free loopback port, the command cannot be run, or fewer than [`RESERVED_FILES`] open files
//! would be left to the emulator under its `ulimit -n`), its task stops with stop code
//! `TaskFailedToStart` and a `stoppedReason` starting `CannotStartContainerError:` that says why;
//! the API and the other tasks go on. When the process exits on its own, its task stops as ECS
//! stops a task whose essential container exited (`EssentialContainerExited`, "Essential container
//! in task exited").

use super::proxy::{Body, BoxError};
use super::view::{RawTaskPort, View};
use super::Runtime;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// The built-in stand-in: no socket, answered in-process.
    Builtin(Arc<Local>),
    Process {
        addr: SocketAddr,
        child: Box<tokio::process::Child>,
    },
}

/// Where a target really answers on this machine.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The built-in stand-in, answered in-process (no socket).
    Local(Arc<Local>),
    /// A process backend listening on this loopback address.
    Tcp(SocketAddr),
}

impl StandIn {
    pub fn backend(&self) -> Backend {
        match self {
            StandIn::Builtin(local) => Backend::Local(local.clone()),
            StandIn::Process { addr, .. } => Backend::Tcp(*addr),
        }
    }

    /// The process's loopback address (`None` for the built-in stand-in).
    pub fn addr(&self) -> Option<SocketAddr> {
        match self {
            StandIn::Builtin(_) => None,
            StandIn::Process { addr, .. } => Some(*addr),
        }
    }

    /// For a process backend that has exited: how (`Some("exit status: 1")`).
    pub fn exited(&mut self) -> Option<String> {
        match self {
            StandIn::Builtin(_) => None,
            StandIn::Process { child, .. } => match child.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                Ok(None) => None,
                Err(e) => Some(e.to_string()),
            },
        }
    }

    pub fn stop(self) {
        match self {
            StandIn::Builtin(_) => {}
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

/// Open files a process backend must leave to the rest of the emulator (API connections,
/// listeners, health checks of process backends, Lambda functions).
pub const RESERVED_FILES: u64 = 64;

/// `(open files, the soft limit)` of this process, where the system tells (Linux `/proc`).
fn open_files() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))?
        .split_whitespace()
        .nth(3)?;
    let limit = match soft {
        "unlimited" => u64::MAX,
        n => n.parse().ok()?,
    };
    let open = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some((open, limit))
}

/// Why what answers for a task's container could not start: the task stops with this reason.
#[derive(Debug)]
pub struct CannotStart(pub String);

/// Starts what answers for `port` of `task_arn`: the built-in stand-in (nothing to open), or the
/// process the app config names for its image, on a free loopback port. A process that cannot get
/// its port or its descriptors, or cannot be run, is an error naming why (its task is stopped
/// with it), never a failure of the emulator.
pub fn start(
    rt: &Arc<Runtime>,
    task_arn: &str,
    task_definition_arn: &str,
    port: &RawTaskPort,
) -> Result<StandIn, CannotStart> {
    let Some(app) = rt.config.apps.iter().find(|a| a.image.is_match(&port.image)) else {
        crate::debug!("stand-in for task {task_arn} port {} (in-process)", port.port);
        return Ok(StandIn::Builtin(Arc::new(Local {
            id: Arc::new(Identity {
                task_arn: task_arn.to_owned(),
                task_definition_arn: task_definition_arn.to_owned(),
                port: port.clone(),
            }),
        })));
    };
    let cannot = |what: String| {
        CannotStart(format!(
            "CannotStartContainerError: cutover could not start `{}` for container {} ({}): {what}",
            app.command.join(" "),
            port.container,
            port.image
        ))
    };
    if let Some((open, limit)) = open_files() {
        if open.saturating_add(RESERVED_FILES) > limit {
            return Err(cannot(format!(
                "the emulator has {open} of its {limit} open files in use and keeps {RESERVED_FILES} for its API (raise `ulimit -n`)"
            )));
        }
    }
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| cannot(format!("no free loopback port: {e}")))?;
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
    let child = cmd.spawn().map_err(|e| cannot(e.to_string()))?;
    crate::info!(
        "task {task_arn} container {} ({}) runs `{}` on {free}",
        port.container,
        port.image,
        app.command.join(" ")
    );
    Ok(StandIn::Process {
        addr: free,
        child: Box::new(child),
    })
}

/// A running built-in stand-in, asked in-process by the listeners and the health checker.
#[derive(Debug)]
pub struct Local {
    id: Arc<Identity>,
}

impl Local {
    /// What the stand-in answers to `req` (as an HTTP server for the task would answer it).
    pub fn answer<B>(&self, view: &View, req: &Request<B>) -> Response<Body> {
        answer(view, &self.id, req)
    }

    /// The status it answers a health check `GET path` with: 503 while its task definition is
    /// faulted and `path` is a health-check path of its target groups, else 200 (what
    /// [`Local::answer`] would answer, without building the body).
    pub fn health_status(&self, view: &View, path: &str) -> u16 {
        let (faulted, paths) = facts(view, &self.id);
        if faulted && paths.iter().any(|p| p == path) {
            503
        } else {
            200
        }
    }
}

/// Whether the task is faulted, and its target groups' health-check paths.
fn facts(view: &View, id: &Identity) -> (bool, Vec<String>) {
    let faulted = view.tasks.get(&id.task_arn).is_some_and(|t| t.faulted);
    let paths = id
        .port
        .target_groups
        .iter()
        .filter_map(|g| view.groups.get(g))
        .map(|g| g.health_check.path.clone().unwrap_or_else(|| "/".into()))
        .collect();
    (faulted, paths)
}

fn answer<B>(view: &View, id: &Identity, req: &Request<B>) -> Response<Body> {
    let (faulted, health_paths) = facts(view, id);
    let names: Vec<&str> = id
        .port
        .target_groups
        .iter()
        .filter_map(|g| view.groups.get(g))
        .map(|g| g.name.as_str())
        .collect();
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
