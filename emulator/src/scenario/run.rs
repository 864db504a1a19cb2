//! Runs a [`Scenario`]: in-process (an emulator started inside this process on a manual clock,
//! with its HTTP endpoint, ALB listeners and Lambda runtime, so hooks run as real processes), or
//! against a running emulator (`--endpoint URL`) through its control API.
//!
//! Before the clock moves, the runner waits (on the wall clock, up to a minute) until no Lambda
//! Event invocation is queued or running: a hook is a real process that takes real milliseconds,
//! and a manual clock must not run past it. That is what makes runs with hooks deterministic.

use super::lab;
use super::report::Timeline;
use super::yaml::Pos;
use super::{DeploySpec, Expectation, Matcher, Probe, Scenario, Step, StepKind};
use crate::model::Service;
use crate::server::{ServeOptions, ServerHandle};
use crate::sim::ClockMode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Why a scenario stopped: a failed expectation, an API error, a bad variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub message: String,
    /// The step (1-based) and its place in the file, when a step failed.
    pub step: Option<(usize, Pos)>,
    /// An AWS error answered to a call: while waiting, that means "not yet" (the resource is not
    /// there yet); every other failure (a missing variable, say) ends the wait at once.
    pub from_api: bool,
}

impl Failure {
    pub fn setup(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            step: None,
            from_api: false,
        }
    }
}

/// An AWS error answered to a call.
fn api_error(service: Service, op: &str, code: &str, message: &str) -> Failure {
    Failure {
        from_api: true,
        ..Failure::setup(format!("{}.{op} failed: {code}: {message}", service.name()))
    }
}

/// Where the scenario's calls go.
pub enum Backend {
    Local(ServerHandle),
    Remote(Remote),
}

/// A running emulator's control API over one keep-alive HTTP/1.1 connection (reopened when it
/// closes).
pub struct Remote {
    /// `http://HOST:PORT`
    pub url: String,
    conn: tokio::sync::Mutex<Option<hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>>>,
}

impl Remote {
    pub fn new(url: &str) -> Remote {
        Remote {
            url: url.trim_end_matches('/').to_owned(),
            conn: tokio::sync::Mutex::new(None),
        }
    }
}

impl Backend {
    /// Starts an emulator in this process: a manual clock, port 0, ALB listeners on free ports
    /// when their own are taken.
    pub async fn local() -> Result<Backend, Failure> {
        let em = crate::Emulator::new(ClockMode::Manual);
        let options = ServeOptions {
            alb: Some(crate::runtime::alb::Config::default()),
            ..ServeOptions::default()
        };
        crate::server::serve_with("127.0.0.1:0", em, options)
            .await
            .map(Backend::Local)
            .map_err(|e| Failure::setup(format!("cannot start an emulator in this process: {e}")))
    }

    pub fn url(&self) -> String {
        match self {
            Backend::Local(h) => h.url.clone(),
            Backend::Remote(r) => r.url.clone(),
        }
    }

    pub async fn shutdown(self) {
        if let Backend::Local(h) = self {
            h.shutdown().await;
        }
    }

    /// Calls an operation; the AWS error as `(code, message)`.
    pub async fn try_call(
        &self,
        service: Service,
        op: &str,
        input: Value,
    ) -> Result<Result<Value, (String, String)>, Failure> {
        match self {
            Backend::Local(h) => {
                // As on the endpoint, a handler that panics is a failed call, not a dead runner.
                let (em, op2) = (h.emulator.clone(), op.to_owned());
                let joined = tokio::spawn(async move {
                    crate::dispatch::call_any(&em, service, lab::ACCOUNT, "us-east-1", &op2, input).await
                })
                .await;
                match joined {
                    Ok(r) => Ok(r.map_err(|e| (e.code, e.message))),
                    Err(_) => Err(Failure::setup(format!(
                        "{}.{op} failed inside the emulator (a bug: please report it with this scenario)",
                        service.name()
                    ))),
                }
            }
            Backend::Remote(_) => {
                let (status, body) = self
                    .control(
                        "POST",
                        "call",
                        Some(json!({"service": service.name(), "operation": op, "input": input})),
                    )
                    .await?;
                if status == 200 {
                    return Ok(Ok(body.get("output").cloned().unwrap_or(json!({}))));
                }
                let e = body.get("error").cloned().unwrap_or(Value::Null);
                let code = e.get("code").and_then(Value::as_str);
                match code {
                    Some(code) => Ok(Err((
                        code.to_owned(),
                        e.get("message").and_then(Value::as_str).unwrap_or("").to_owned(),
                    ))),
                    None => Err(Failure::setup(format!(
                        "the emulator at {} answered /_emulator/call with {status}: {body}",
                        self.url()
                    ))),
                }
            }
        }
    }

    /// Calls an operation that must succeed.
    pub async fn call(&self, service: Service, op: &str, input: Value) -> Result<Value, Failure> {
        match self.try_call(service, op, input).await? {
            Ok(v) => Ok(v),
            Err((code, message)) => Err(api_error(service, op, &code, &message)),
        }
    }

    async fn control(&self, method: &str, path: &str, body: Option<Value>) -> Result<(u16, Value), Failure> {
        match self {
            Backend::Local(h) => {
                let bytes = body.map(|b| b.to_string()).unwrap_or_default();
                let m = http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::GET);
                let (path, query) = path.split_once('?').unwrap_or((path, ""));
                let r = crate::control::handle(&h.emulator, &m, path, query, bytes.as_bytes());
                Ok((r.status, serde_json::from_slice(&r.body).unwrap_or(Value::Null)))
            }
            Backend::Remote(r) => http_json(r, method, &format!("/_emulator/{path}"), body).await,
        }
    }

    async fn expect_ok(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Failure> {
        let (status, out) = self.control(method, path, body).await?;
        if status != 200 {
            return Err(Failure::setup(format!(
                "{method} /_emulator/{path} answered {status}: {out}"
            )));
        }
        Ok(out)
    }

    pub async fn now(&self) -> Result<f64, Failure> {
        let c = self.expect_ok("GET", "clock", None).await?;
        c.get("now")
            .and_then(Value::as_f64)
            .ok_or_else(|| Failure::setup(format!("GET /_emulator/clock answered {c}")))
    }

    /// Waits until no Lambda Event invocation is queued or running (up to a minute of wall time).
    pub async fn settle(&self) -> Result<(), Failure> {
        let still = |pending: usize| {
            Failure::setup(format!(
                "{pending} Lambda invocation(s) still running after a minute of wall time"
            ))
        };
        let cap = Duration::from_secs(60);
        match self {
            Backend::Local(h) => match h.emulator.settle(cap).await {
                true => Ok(()),
                false => Err(still(crate::runtime::lambda::Runtime::pending_events(&h.emulator))),
            },
            Backend::Remote(_) => {
                let deadline = Instant::now() + cap;
                loop {
                    let hb = self.expect_ok("GET", "health", None).await?;
                    let pending = hb
                        .pointer("/lambda/eventInvocationsPending")
                        .and_then(Value::as_u64)
                        .unwrap_or(0) as usize;
                    if pending == 0 {
                        return Ok(());
                    }
                    if Instant::now() > deadline {
                        return Err(still(pending));
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
    }

    /// Moves simulated time forward, letting hooks finish first.
    pub async fn advance(&self, secs: f64) -> Result<(), Failure> {
        self.settle().await?;
        match self {
            Backend::Local(h) => {
                h.emulator.advance_settled(secs, Duration::from_secs(60)).await;
            }
            Backend::Remote(_) => {
                self.expect_ok("POST", "clock", Some(json!({"advance": secs, "waitForHooks": true})))
                    .await?;
            }
        }
        self.settle().await
    }

    pub async fn events_since(&self, seq: u64) -> Result<Vec<Value>, Failure> {
        let out = self.expect_ok("GET", &format!("events?since={seq}"), None).await?;
        Ok(out.get("events").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    pub async fn reset(&self) -> Result<(), Failure> {
        self.expect_ok("POST", "reset", None).await.map(|_| ())
    }
}

/// `http://HOST:PORT[/]` → `HOST:PORT` (port 80 when absent); anything else is refused with why.
pub fn endpoint_authority(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("'{url}' is not an http:// URL"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
        return Err(format!("'{url}': give the emulator's base URL, http://HOST:PORT"));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => match p.parse::<u16>() {
            Ok(p) if p > 0 => (h, p),
            _ => return Err(format!("'{url}': '{p}' is not a port")),
        },
        _ => (rest, 80),
    };
    if host.is_empty() {
        return Err(format!("'{url}' names no host"));
    }
    Ok(format!("{host}:{port}"))
}

/// A small HTTP/1.1 JSON client for the control API of a running emulator.
async fn http_json(remote: &Remote, method: &str, path: &str, body: Option<Value>) -> Result<(u16, Value), Failure> {
    use http_body_util::{BodyExt, Full};
    let base = &remote.url;
    let fail = |e: String| Failure::setup(format!("{method} {base}{path}: {e}"));
    let authority = base
        .strip_prefix("http://")
        .ok_or_else(|| fail("the endpoint must be an http:// URL".into()))?;
    let mut conn = remote.conn.lock().await;
    // The kept connection, if the server has not closed it; else a new one.
    let reusable = match conn.as_mut() {
        Some(sender) => sender.ready().await.is_ok(),
        None => false,
    };
    if !reusable {
        let stream = tokio::net::TcpStream::connect(authority)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let (sender, c) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| fail(e.to_string()))?;
        tokio::spawn(c);
        *conn = Some(sender);
    }
    let Some(sender) = conn.as_mut() else {
        return Err(fail("no connection".into()));
    };
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::HOST, authority)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(bytes::Bytes::from(bytes)))
        .map_err(|e| fail(e.to_string()))?;
    let resp = tokio::time::timeout(Duration::from_secs(120), sender.send_request(req)).await;
    let resp = match resp {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            *conn = None;
            return Err(fail(e.to_string()));
        }
        Err(_) => {
            *conn = None;
            return Err(fail("no answer within 120 s".into()));
        }
    };
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(e.to_string()))?
        .to_bytes();
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

/// What a run gives back.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub file: String,
    pub name: String,
    pub failure: Option<Failure>,
    /// The printed timeline.
    pub timeline: String,
    /// The emulator's timeline entries of the run (the shape of `GET /_emulator/events`).
    pub events: Vec<Value>,
    pub wall: Duration,
    /// Simulated seconds the steps took.
    pub simulated: f64,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

pub struct Options {
    /// A running emulator's URL; None runs one in this process.
    pub endpoint: Option<String>,
    /// Print the timeline as it happens.
    pub echo: bool,
    /// Show every timeline entry, the lab setup's too.
    pub verbose: bool,
}

struct Runner<'a> {
    backend: &'a Backend,
    vars: BTreeMap<String, Value>,
    timeline: Timeline,
    seq: u64,
    events: Vec<Value>,
    /// Simulated seconds the runner has moved the clock.
    moved: f64,
}

/// Runs one scenario to its end or its first failure.
pub async fn run(scenario: &Scenario, options: &Options) -> Outcome {
    let started = Instant::now();
    let mut timeline = Timeline::new(options.echo, options.verbose);
    timeline.header(scenario);
    let backend = match &options.endpoint {
        Some(url) => Ok(Backend::Remote(Remote::new(url))),
        None => Backend::local().await,
    };
    let backend = match backend {
        Ok(b) => b,
        Err(f) => {
            timeline.failure(&f);
            return Outcome {
                file: scenario.file.clone(),
                name: scenario.name.clone(),
                failure: Some(f),
                timeline: timeline.text,
                events: Vec::new(),
                wall: started.elapsed(),
                simulated: 0.0,
            };
        }
    };
    let mut r = Runner {
        backend: &backend,
        vars: BTreeMap::new(),
        timeline,
        seq: 0,
        events: Vec::new(),
        moved: 0.0,
    };
    let mut simulated = 0.0;
    // A running emulator on a real or scaled clock is held on a manual clock for the run (time
    // moving between steps would make the run depend on wall time), and given its mode back after.
    let mut restore_clock = None;
    let result = async {
        if matches!(backend, Backend::Remote(_)) {
            backend.reset().await?;
            let c = backend.expect_ok("GET", "clock", None).await?;
            if c["mode"] != "manual" {
                let mut back = json!({"mode": c["mode"]});
                if c["mode"] == "scaled" {
                    back["scale"] = c["scale"].clone();
                }
                restore_clock = Some(back);
                backend
                    .expect_ok("POST", "clock", Some(json!({"mode": "manual"})))
                    .await?;
            }
        }
        r.seq = backend
            .events_since(0)
            .await?
            .last()
            .and_then(|e| e["seq"].as_u64())
            .unwrap_or(0);
        let t_setup = backend.now().await?;
        r.timeline.origin = t_setup;
        if let Some(setup) = &scenario.lab {
            r.vars = lab::build(&backend, setup, &scenario.hooks).await?;
            r.timeline.names_from_lab(&r.vars);
            for line in lab::summary(setup, &scenario.hooks, &r.vars) {
                r.timeline.line(t_setup, "setup", &line);
            }
            r.wait_lab_ready().await?;
            r.drain_events(!options.verbose).await?;
            let t = backend.now().await?;
            r.timeline.line(
                t,
                "setup",
                "Lab 4 topology ready: threads steady on threads-tg, its target healthy",
            );
        }
        let t0 = backend.now().await?;
        r.timeline.origin = t0;
        for step in &scenario.steps {
            r.timeline.step(step);
            let res = r.step(step).await;
            r.drain_events(false).await?;
            if let Err(mut f) = res {
                f.step = Some((step.index, step.pos));
                return Err(f);
            }
        }
        simulated = backend.now().await? - t0;
        Ok::<(), Failure>(())
    }
    .await;
    let mut failure = result.err();
    if let Some(back) = restore_clock {
        if let Err(f) = backend.expect_ok("POST", "clock", Some(back)).await {
            failure.get_or_insert(f);
        }
    }
    match &failure {
        Some(f) => r.timeline.failure_in(f, &scenario.file),
        None => r.timeline.passed(scenario, started.elapsed(), simulated),
    }
    let Runner { timeline, events, .. } = r;
    backend.shutdown().await;
    Outcome {
        file: scenario.file.clone(),
        name: scenario.name.clone(),
        failure,
        timeline: timeline.text,
        events,
        wall: started.elapsed(),
        simulated,
    }
}

impl Runner<'_> {
    async fn drain_events(&mut self, quiet: bool) -> Result<(), Failure> {
        let new = self.backend.events_since(self.seq).await?;
        if let Some(last) = new.last().and_then(|e| e["seq"].as_u64()) {
            self.seq = last;
        }
        for e in &new {
            if !quiet {
                self.timeline.event(e);
            }
        }
        self.events.extend(new);
        Ok(())
    }

    async fn wait_lab_ready(&mut self) -> Result<(), Failure> {
        let mut spent = 0.0;
        loop {
            let sets = self.probe(&Probe::TaskSets).await?;
            let targets = self.probe(&Probe::Targets).await?;
            let steady = sets.as_array().is_some_and(|a| {
                a.len() == 1
                    && a[0]["stabilityStatus"] == cutover_types::ecs::StabilityStatus::SteadyState.as_str()
                    && a[0]["runningCount"] == 1
            });
            if steady && targets[lab::BLUE_TG] == json!(["healthy"]) {
                return Ok(());
            }
            if spent >= 600.0 {
                return Err(Failure::setup(format!(
                    "the lab's threads service was not steady and healthy after 600 simulated seconds: task sets {sets}, targets {targets}"
                )));
            }
            self.advance(5.0).await?;
            spent += 5.0;
        }
    }

    async fn step(&mut self, step: &Step) -> Result<(), Failure> {
        match &step.kind {
            StepKind::Advance(secs) => self.advance(*secs).await,
            StepKind::Note(text) => {
                let text = self.interpolate_str(text)?;
                let t = self.backend.now().await?;
                self.timeline.line(t, "note", &text);
                Ok(())
            }
            StepKind::Fault(body) => {
                let body = self.interpolate(body)?;
                self.backend.expect_ok("POST", "faults", Some(body)).await.map(|_| ())
            }
            StepKind::ClearFaults => self.backend.expect_ok("DELETE", "faults", None).await.map(|_| ()),
            StepKind::Call {
                probe,
                expect,
                save,
                error,
            } => {
                let Probe::Call {
                    service,
                    operation,
                    input,
                } = probe
                else {
                    return Err(Failure::setup("a call step without a call"));
                };
                let input = self.interpolate(input)?;
                let res = self.backend.try_call(*service, operation, input).await?;
                match (res, error) {
                    (Ok(out), None) => {
                        self.check(&out, expect)?;
                        for (name, path) in save {
                            match lookup(&out, path) {
                                Some(v) => {
                                    self.vars.insert(name.clone(), v.clone());
                                }
                                None => {
                                    return Err(Failure::setup(format!(
                                        "save {name}: the output has nothing at '{path}': {}",
                                        brief(&out)
                                    )))
                                }
                            }
                        }
                        Ok(())
                    }
                    (Ok(out), Some(code)) => Err(Failure::setup(format!(
                        "expected {}.{operation} to fail with {code}, but it succeeded: {}",
                        service.name(),
                        brief(&out)
                    ))),
                    (Err((code, message)), None) => Err(api_error(*service, operation, &code, &message)),
                    (Err((code, message)), Some(want)) => {
                        if &code == want {
                            Ok(())
                        } else {
                            Err(Failure::setup(format!(
                                "expected {}.{operation} to fail with {want}, it failed with {code}: {message}",
                                service.name()
                            )))
                        }
                    }
                }
            }
            StepKind::Expect { probe, expect } => {
                let v = self.probe(probe).await?;
                self.check(&v, expect)
            }
            StepKind::Wait {
                probe,
                expect,
                every,
                timeout,
            } => self.wait(probe, expect, *every, *timeout).await,
            StepKind::Deploy(d) => self.deploy(d).await,
        }
    }

    /// Looks every `every` until the expectations hold, the timeout passes, or they can no longer
    /// hold: a deployment that ended (Succeeded, Failed, Stopped) never changes again. Target
    /// health is also read between looks, from the timeline entries of the time in between, so
    /// a state held for less than `every` (a target unhealthy for a moment) is seen.
    async fn wait(&mut self, probe: &Probe, expect: &[Expectation], every: f64, timeout: f64) -> Result<(), Failure> {
        let mut spent = 0.0;
        // Target health at the last look, and the timeline entries since.
        let mut last_targets: Option<TargetsDetail> = None;
        let mut seen = self.events.len();
        loop {
            // An API error while waiting (say, a resource not there yet) is a "not yet"; any
            // other failure (a missing variable) ends the wait.
            let looked = match probe {
                Probe::Targets => self.targets_detail().await.map(|d| {
                    let v = targets_value(&d);
                    (v, Some(d))
                }),
                _ => self.probe(probe).await.map(|v| (v, None)),
            };
            let (checked, value) = match looked {
                Ok((v, detail)) => {
                    let mut checked = self.check(&v, expect);
                    if let (Err(_), Some(prev)) = (&checked, last_targets.take()) {
                        if let Some(t) = self.replay_targets(prev, seen, expect)? {
                            let at = super::report::clock_text(t - self.timeline.origin);
                            let now = self.backend.now().await?;
                            self.timeline.line(
                                now,
                                "scenario",
                                &format!("the target health held at {at}, between two looks"),
                            );
                            checked = Ok(());
                        }
                    }
                    last_targets = detail;
                    (checked, Some(v))
                }
                Err(f) if f.from_api => (Err(f), None),
                Err(f) => return Err(f),
            };
            seen = self.events.len();
            match checked {
                Ok(()) => return Ok(()),
                Err(f) if f.message.starts_with("no variable") => return Err(f),
                Err(f) => {
                    if let (Probe::Deployment(id), Some(v)) = (probe, &value) {
                        if let Some(end) = self.ended(id, v, expect, &f)? {
                            return Err(Failure::setup(end));
                        }
                    }
                    if spent >= timeout {
                        return Err(Failure::setup(format!(
                            "not reached within {} simulated: {}",
                            super::report::duration_text(timeout),
                            f.message
                        )));
                    }
                }
            }
            // Never look past the timeout: the last look is at exactly `timeout`.
            let step = every.min(timeout - spent);
            self.advance(step).await?;
            spent += step;
            self.drain_events(false).await?;
        }
    }

    /// `deployment d-X ended Succeeded at +0:10:36; wanted Failed` when the deployment `v` (its
    /// GetDeployment info) has ended, so that expectations that fail now fail for good.
    fn ended(&self, id: &str, v: &Value, expect: &[Expectation], f: &Failure) -> Result<Option<String>, Failure> {
        use crate::timeline::DeploymentStatus;
        let status = match v["status"].as_str().and_then(DeploymentStatus::parse) {
            Some(s @ (DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped)) => s,
            _ => return Ok(None),
        };
        let id = self.interpolate_str(id)?;
        // When it ended: its timeline entry, else its completeTime.
        let time = self
            .events
            .iter()
            .rev()
            .filter_map(crate::timeline::Event::from_json)
            .find(|e| matches!(&e.entry, crate::timeline::Entry::DeploymentEnded { deployment_id, .. } if *deployment_id == id))
            .map(|e| e.time)
            .or_else(|| v["completeTime"].as_f64());
        let at = time.map_or(String::new(), |t| {
            format!(" at {}", super::report::clock_text(t - self.timeline.origin))
        });
        let wanted: Vec<String> = expect
            .iter()
            .filter(|e| e.path == "status")
            .map(|e| describe_matcher(&e.matcher).trim_matches('"').to_owned())
            .collect();
        let code = v
            .pointer("/errorInformation/code")
            .and_then(Value::as_str)
            .map_or(String::new(), |c| format!(" ({c})"));
        Ok(Some(if wanted.is_empty() {
            format!(
                "deployment {id} ended {status}{code}{at}, so this can no longer hold: {}",
                f.message
            )
        } else {
            format!(
                "deployment {id} ended {status}{code}{at}; wanted {}",
                wanted.join(" and ")
            )
        }))
    }

    /// Replays the target health entries of the timeline from `self.events[from..]` over the
    /// health at the last look; the time of the first entry after which `expect` held.
    fn replay_targets(
        &self,
        mut state: TargetsDetail,
        from: usize,
        expect: &[Expectation],
    ) -> Result<Option<f64>, Failure> {
        use crate::timeline::Entry;
        let names = self.tg_names();
        for v in self.events.get(from..).unwrap_or_default() {
            let Some(e) = crate::timeline::Event::from_json(v) else {
                continue;
            };
            let (arn, target, new) = match &e.entry {
                Entry::TargetHealth {
                    target_group_arn,
                    target,
                    state,
                    ..
                } => (target_group_arn, target, Some(json!(state.as_str()))),
                Entry::TargetRegistered {
                    target_group_arn,
                    target,
                    ..
                } => (target_group_arn, target, Some(json!("initial"))),
                Entry::TargetDraining {
                    target_group_arn,
                    target,
                    ..
                } => (target_group_arn, target, Some(json!("draining"))),
                Entry::TargetDeregistered {
                    target_group_arn,
                    target,
                    ..
                } => (target_group_arn, target, None),
                _ => continue,
            };
            let Some(group) = names.get(arn).and_then(|n| state.get_mut(n)) else {
                continue;
            };
            let at = group.iter().position(|(k, _)| k == target);
            match (at, new) {
                (Some(i), Some(s)) => group[i].1 = s,
                (None, Some(s)) => group.push((target.clone(), s)),
                (Some(i), None) => {
                    group.remove(i);
                }
                (None, None) => {}
            }
            if self.check(&targets_value(&state), expect).is_ok() {
                return Ok(Some(e.time));
            }
        }
        Ok(None)
    }

    /// The lab's two target groups: `{name: [(id:port, state)]}`.
    async fn targets_detail(&self) -> Result<TargetsDetail, Failure> {
        let mut m = BTreeMap::new();
        for (var, name) in [
            ("lab.blueTargetGroup", lab::BLUE_TG),
            ("lab.greenTargetGroup", lab::GREEN_TG),
        ] {
            let arn = self.var(var)?;
            let out = self
                .backend
                .call(Service::Elbv2, "DescribeTargetHealth", json!({"TargetGroupArn": arn}))
                .await?;
            let states: Vec<(String, Value)> = out["TargetHealthDescriptions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| {
                    let key = format!(
                        "{}:{}",
                        d.pointer("/Target/Id").and_then(Value::as_str).unwrap_or(""),
                        d.pointer("/Target/Port").map_or(String::new(), Value::to_string)
                    );
                    (key, d.pointer("/TargetHealth/State").cloned().unwrap_or(Value::Null))
                })
                .collect();
            m.insert(name.to_owned(), states);
        }
        Ok(m)
    }

    async fn deploy(&mut self, d: &DeploySpec) -> Result<(), Failure> {
        let td = match (&d.image, &d.task_definition) {
            (_, Some(td)) => self.interpolate_str(td)?,
            (image, None) => {
                // `threads:v2` or a bare tag `v2`: the lab's ECR repository; anything else with
                // a `:` or `/` (nginx:1.27, registry/app:tag) is used as written.
                let image = match image {
                    Some(i) => {
                        let i = self.interpolate_str(i)?;
                        match i.strip_prefix("threads:") {
                            Some(tag) => lab::image(tag),
                            None if i.contains(':') || i.contains('/') => i,
                            None => lab::image(&i),
                        }
                    }
                    None => lab::image("latest"),
                };
                let out = self
                    .backend
                    .call(Service::Ecs, "RegisterTaskDefinition", lab::task_definition(&image))
                    .await?;
                out.pointer("/taskDefinition/taskDefinitionArn")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        let hooks: Vec<(String, String)> = d
            .hooks
            .iter()
            .map(|(e, f)| Ok((e.clone(), self.interpolate_str(f)?)))
            .collect::<Result<_, Failure>>()?;
        let spec = lab::appspec(&self.vars, &td, &hooks);
        let mut input = json!({
            "applicationName": lab::APP,
            "deploymentGroupName": lab::GROUP,
            "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": spec.to_string()}},
        });
        if let Some(c) = &d.deployment_config {
            input["deploymentConfigName"] = json!(self.interpolate_str(c)?);
        }
        if let Some(c) = &d.description {
            input["description"] = json!(self.interpolate_str(c)?);
        }
        let res = self
            .backend
            .try_call(Service::CodeDeploy, "CreateDeployment", input)
            .await?;
        match (res, &d.error) {
            (Ok(out), None) => {
                let id = out["deploymentId"].clone();
                let t = self.backend.now().await?;
                let short = td.rsplit('/').next().unwrap_or(&td).to_owned();
                self.timeline.line(
                    t,
                    "scenario",
                    &format!(
                        "deploy {short}: deployment {} saved as ${{{}}}",
                        id.as_str().unwrap_or("?"),
                        d.save
                    ),
                );
                self.vars.insert(d.save.clone(), id);
                Ok(())
            }
            (Ok(out), Some(code)) => Err(Failure::setup(format!(
                "expected CreateDeployment to fail with {code}, but it created {}",
                out["deploymentId"]
            ))),
            (Err((code, message)), None) => Err(api_error(Service::CodeDeploy, "CreateDeployment", &code, &message)),
            (Err((code, message)), Some(want)) if &code == want => {
                let _ = message;
                Ok(())
            }
            (Err((code, message)), Some(want)) => Err(Failure::setup(format!(
                "expected CreateDeployment to fail with {want}, it failed with {code}: {message}"
            ))),
        }
    }

    /// Moves the clock, within the scenario's budget of simulated time.
    async fn advance(&mut self, secs: f64) -> Result<(), Failure> {
        self.moved += secs;
        if self.moved > super::MAX_SCENARIO_SECS {
            return Err(Failure::setup(format!(
                "the scenario has moved the clock more than {} in all; split it",
                super::report::duration_text(super::MAX_SCENARIO_SECS)
            )));
        }
        self.backend.advance(secs).await
    }

    fn interpolate_str(&self, s: &str) -> Result<String, Failure> {
        Ok(match self.interpolate(&Value::String(s.to_owned()))? {
            Value::String(t) => t,
            other => other.to_string(),
        })
    }

    fn var(&self, name: &str) -> Result<Value, Failure> {
        self.vars.get(name).cloned().ok_or_else(|| {
            Failure::setup(format!(
                "no variable ${{{name}}}; defined here: {}",
                if self.vars.is_empty() {
                    "none".to_owned()
                } else {
                    self.vars.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))
        })
    }

    /// `${name}` in strings: a string that is only `${name}` becomes the variable's value (a list
    /// stays a list); inside a longer string the value is spliced in as text.
    fn interpolate(&self, v: &Value) -> Result<Value, Failure> {
        Ok(match v {
            Value::String(s) => {
                if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                    if !name.contains("${") && !name.contains('}') {
                        return self.var(name);
                    }
                }
                let mut out = String::new();
                let mut rest = s.as_str();
                while let Some(i) = rest.find("${") {
                    out.push_str(&rest[..i]);
                    let after = &rest[i + 2..];
                    let Some(j) = after.find('}') else {
                        return Err(Failure::setup(format!("'{s}': a ${{ without its closing }}")));
                    };
                    match self.var(&after[..j])? {
                        Value::String(t) => out.push_str(&t),
                        other => out.push_str(&other.to_string()),
                    }
                    rest = &after[j + 1..];
                }
                out.push_str(rest);
                Value::String(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.interpolate(x)).collect::<Result<_, _>>()?),
            Value::Object(m) => {
                let mut o = serde_json::Map::new();
                for (k, x) in m {
                    o.insert(k.clone(), self.interpolate(x)?);
                }
                Value::Object(o)
            }
            other => other.clone(),
        })
    }

    fn check(&self, v: &Value, expect: &[Expectation]) -> Result<(), Failure> {
        let mut problems = Vec::new();
        for e in expect {
            let actual = lookup(v, &e.path);
            let ok = match (&e.matcher, actual) {
                (Matcher::Exists(want), a) => a.is_some() == *want,
                // AWS leaves absent members out: `path: null` holds when there is nothing there.
                (Matcher::Equals(Value::Null), None) => true,
                (_, None) => false,
                (Matcher::Equals(want), Some(a)) => {
                    let want = self.interpolate(want)?;
                    a == &want || numbers_equal(a, &want)
                }
                (Matcher::In(list), Some(a)) => {
                    let list = self.interpolate(&Value::Array(list.clone()))?;
                    list.as_array()
                        .is_some_and(|l| l.iter().any(|w| w == a || numbers_equal(a, w)))
                }
                (Matcher::Contains(want), Some(a)) => {
                    let want = self.interpolate(want)?;
                    match (a, &want) {
                        (Value::String(s), Value::String(w)) => s.contains(w.as_str()),
                        (Value::Array(items), w) => items.iter().any(|x| x == w || numbers_equal(x, w)),
                        (Value::Object(m), Value::String(w)) => m.contains_key(w),
                        _ => false,
                    }
                }
                (Matcher::Matches(re), Some(a)) => {
                    let text = a.as_str().map(str::to_owned).unwrap_or_else(|| a.to_string());
                    let re = self.interpolate_str(re)?;
                    match regex::Regex::new(&re) {
                        Ok(r) => r.is_match(&text),
                        Err(e) => return Err(Failure::setup(format!("/{re}/ is not a regular expression: {e}"))),
                    }
                }
                (Matcher::Length(n), Some(a)) => match a {
                    Value::Array(x) => x.len() == *n,
                    Value::Object(x) => x.len() == *n,
                    Value::String(x) => x.chars().count() == *n,
                    _ => false,
                },
                (Matcher::AtLeast(n), Some(a)) => a.as_f64().is_some_and(|x| x >= *n),
                (Matcher::AtMost(n), Some(a)) => a.as_f64().is_some_and(|x| x <= *n),
            };
            if !ok {
                problems.push(format!(
                    "{} (line {}): expected {}, actual {}",
                    if e.path.is_empty() { "." } else { &e.path },
                    e.pos.line,
                    describe_matcher(&e.matcher),
                    actual.map_or("nothing there".to_owned(), brief)
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Failure::setup(problems.join("; ")))
        }
    }

    async fn probe(&self, probe: &Probe) -> Result<Value, Failure> {
        match probe {
            Probe::Call {
                service,
                operation,
                input,
            } => {
                let input = self.interpolate(input)?;
                self.backend.call(*service, operation, input).await
            }
            Probe::Deployment(id) => {
                let id = self.interpolate(&json!(id))?;
                let out = self
                    .backend
                    .call(Service::CodeDeploy, "GetDeployment", json!({"deploymentId": id}))
                    .await?;
                Ok(out.get("deploymentInfo").cloned().unwrap_or(Value::Null))
            }
            Probe::Lifecycle(id) => {
                let id = self.interpolate(&json!(id))?;
                let ids = match self
                    .backend
                    .try_call(
                        Service::CodeDeploy,
                        "ListDeploymentTargets",
                        json!({"deploymentId": id}),
                    )
                    .await?
                {
                    Ok(v) => v,
                    // Created, not started yet: no lifecycle events so far.
                    Err((code, _)) if code == "DeploymentNotStartedException" => return Ok(json!({})),
                    Err((code, message)) => {
                        return Err(api_error(Service::CodeDeploy, "ListDeploymentTargets", &code, &message))
                    }
                };
                let targets = ids.get("targetIds").cloned().unwrap_or(json!([]));
                if targets.as_array().is_none_or(|a| a.is_empty()) {
                    return Ok(json!({}));
                }
                let out = self
                    .backend
                    .call(
                        Service::CodeDeploy,
                        "BatchGetDeploymentTargets",
                        json!({"deploymentId": id, "targetIds": targets}),
                    )
                    .await?;
                let mut m = serde_json::Map::new();
                if let Some(events) = out
                    .pointer("/deploymentTargets/0/ecsTarget/lifecycleEvents")
                    .and_then(Value::as_array)
                {
                    for e in events {
                        if let (Some(n), Some(s)) = (e["lifecycleEventName"].as_str(), e.get("status")) {
                            m.insert(n.to_owned(), s.clone());
                        }
                    }
                }
                Ok(Value::Object(m))
            }
            Probe::Traffic(which) => {
                let names = self.tg_names();
                let mut weights = serde_json::Map::new();
                for n in [lab::BLUE_TG, lab::GREEN_TG] {
                    weights.insert(n.to_owned(), json!(0));
                }
                let actions = if which == "test" {
                    let l = self.var("lab.testListener")?;
                    let out = self
                        .backend
                        .call(Service::Elbv2, "DescribeListeners", json!({"ListenerArns": [l]}))
                        .await?;
                    out.pointer("/Listeners/0/DefaultActions").cloned().unwrap_or(json!([]))
                } else {
                    let rule = self.var("lab.productionRule")?;
                    let out = self
                        .backend
                        .call(Service::Elbv2, "DescribeRules", json!({"RuleArns": [rule]}))
                        .await?;
                    out.pointer("/Rules/0/Actions").cloned().unwrap_or(json!([]))
                };
                for a in actions.as_array().into_iter().flatten() {
                    if a["Type"] != "forward" {
                        continue;
                    }
                    match a.pointer("/ForwardConfig/TargetGroups").and_then(Value::as_array) {
                        Some(groups) => {
                            for g in groups {
                                let arn = g["TargetGroupArn"].as_str().unwrap_or_default();
                                let name = names.get(arn).cloned().unwrap_or_else(|| arn.to_owned());
                                weights.insert(name, g.get("Weight").cloned().unwrap_or(json!(1)));
                            }
                        }
                        None => {
                            let arn = a["TargetGroupArn"].as_str().unwrap_or_default();
                            let name = names.get(arn).cloned().unwrap_or_else(|| arn.to_owned());
                            weights.insert(name, json!(100));
                        }
                    }
                }
                // As percentages of the total, the way CodeDeploy's steps are written.
                let total: f64 = weights.values().filter_map(Value::as_f64).sum();
                for w in weights.values_mut() {
                    let pct = if total > 0.0 {
                        w.as_f64().unwrap_or(0.0) * 100.0 / total
                    } else {
                        0.0
                    };
                    *w = if pct.fract() == 0.0 {
                        json!(pct as i64)
                    } else {
                        json!(pct)
                    };
                }
                Ok(Value::Object(weights))
            }
            Probe::TaskSets => {
                let out = self
                    .backend
                    .call(
                        Service::Ecs,
                        "DescribeServices",
                        json!({"cluster": lab::CLUSTER, "services": [lab::SERVICE]}),
                    )
                    .await?;
                let names = self.tg_names();
                let sets = out
                    .pointer("/services/0/taskSets")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                Ok(Value::Array(
                    sets.iter()
                        .map(|t| {
                            let tg = t.pointer("/loadBalancers/0/targetGroupArn").and_then(Value::as_str).unwrap_or("");
                            json!({
                                "id": t["id"],
                                "status": t["status"],
                                "taskDefinition": t["taskDefinition"].as_str().and_then(|a| a.rsplit('/').next()).unwrap_or(""),
                                "stabilityStatus": t["stabilityStatus"],
                                "scale": t.pointer("/scale/value").cloned().unwrap_or(Value::Null),
                                "runningCount": t["runningCount"],
                                "targetGroup": names.get(tg).cloned().unwrap_or_else(|| tg.to_owned()),
                            })
                        })
                        .collect(),
                ))
            }
            Probe::Targets => Ok(targets_value(&self.targets_detail().await?)),
        }
    }

    fn tg_names(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        for (var, name) in [
            ("lab.blueTargetGroup", lab::BLUE_TG),
            ("lab.greenTargetGroup", lab::GREEN_TG),
        ] {
            if let Some(Value::String(a)) = self.vars.get(var) {
                m.insert(a.clone(), name.to_owned());
            }
        }
        m
    }
}

/// Target health by target group name: `(id:port, state)` for each target.
type TargetsDetail = BTreeMap<String, Vec<(String, Value)>>;

/// What the `targets` probe shows: `{target group name: [states]}`.
fn targets_value(d: &TargetsDetail) -> Value {
    Value::Object(
        d.iter()
            .map(|(k, v)| (k.clone(), Value::Array(v.iter().map(|(_, s)| s.clone()).collect())))
            .collect(),
    )
}

fn numbers_equal(a: &Value, b: &Value) -> bool {
    matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
}

fn describe_matcher(m: &Matcher) -> String {
    match m {
        Matcher::Equals(v) => brief(v),
        Matcher::In(v) => format!("one of {}", brief(&Value::Array(v.clone()))),
        Matcher::Contains(v) => format!("something containing {}", brief(v)),
        Matcher::Matches(r) => format!("a match of /{r}/"),
        Matcher::Exists(true) => "something there".into(),
        Matcher::Exists(false) => "nothing there".into(),
        Matcher::Length(n) => format!("length {n}"),
        Matcher::AtLeast(n) => format!("at least {n}"),
        Matcher::AtMost(n) => format!("at most {n}"),
    }
}

/// A value as text, cut short when long.
pub fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        format!("{}… ({} characters)", s.chars().take(300).collect::<String>(), s.len())
    } else {
        s
    }
}

/// `a.b[0].c`, `[1].x`, `items[-1]`; an empty path is the value itself.
pub fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    if path.is_empty() || path == "." {
        return Some(v);
    }
    for seg in path.split('.') {
        let (name, mut idx) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        while let Some(rest) = idx.strip_prefix('[') {
            let end = rest.find(']')?;
            let i: i64 = rest[..end].trim().parse().ok()?;
            let arr = cur.as_array()?;
            let i = if i < 0 { arr.len() as i64 + i } else { i };
            cur = arr.get(usize::try_from(i).ok()?)?;
            idx = &rest[end + 1..];
        }
        if !idx.is_empty() {
            return None;
        }
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(endpoint_authority("http://127.0.0.1:4566/").unwrap(), "127.0.0.1:4566");
        assert_eq!(endpoint_authority("http://localhost").unwrap(), "localhost:80");
        assert!(endpoint_authority("https://x:1").is_err());
        assert!(endpoint_authority("http://127.0.0.1:4566/api").is_err());
        assert!(endpoint_authority("http://127.0.0.1:port").is_err());
        assert!(endpoint_authority("http://:80").is_err());
    }

    #[test]
    fn paths() {
        let v = json!({"a": {"b": [{"c": 1}, {"c": 2}]}, "threads-tg-2": 5});
        assert_eq!(lookup(&v, "a.b[1].c"), Some(&json!(2)));
        assert_eq!(lookup(&v, "a.b[-1].c"), Some(&json!(2)));
        assert_eq!(lookup(&v, "threads-tg-2"), Some(&json!(5)));
        assert_eq!(lookup(&v, "a.b[2]"), None);
        assert_eq!(lookup(&v, "a.x"), None);
        assert_eq!(lookup(&v, ""), Some(&v));
    }
}
