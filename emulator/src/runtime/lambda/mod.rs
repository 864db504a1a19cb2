//! The Lambda runtime: runs functions as local processes, without containers.
//!
//! * Code: a function's zip is unpacked once per code version into a private (0700) temporary
//!   directory (`code.rs`); entries that would escape it were already refused by CreateFunction.
//! * Processes: `python3` (python3.x runtimes), `node` (nodejs18.x and later) with small runtime
//!   clients embedded in the binary (`bootstrap/`), or the function's own `bootstrap`
//!   (provided.al2, provided.al2023). Each instance gets its own Runtime API listener on
//!   127.0.0.1 (`api.rs`), the environment Lambda sets, and credentials of the execution role
//!   issued through STS (so `GetCallerIdentity` inside the function shows the assumed role).
//! * Pool: warm instances are reused; more are started on demand up to [`Settings::concurrency`]
//!   per function version. Instances stop on DeleteFunction, UpdateFunctionCode/Configuration,
//!   reset and shutdown (and are killed if the emulator is dropped: `kill_on_drop`). An update
//!   lets invocations in flight finish on the old code (as Lambda does); DeleteFunction, reset and
//!   shutdown end busy instances too.
//! * Containment: each runtime process leads its own process group; stopping an instance (timeout,
//!   crash, DeleteFunction, update, reset, shutdown) SIGKILLs the whole group and every process
//!   whose initial environment carries the instance's [`INSTANCE_ENV`] tag (children that called
//!   `setsid` or were double-forked out of the group). Reset and shutdown stop busy instances too.
//!   Shutdown removes the runtime's temporary directory (bootstraps, unpacked code).
//! * Output caps (AWS is silent on a per-invocation cap; chosen so one invocation's output fits
//!   one `GetLogEvents` page): a line is cut at [`MAX_EVENT_BYTES`] (256 KB less CloudWatch's
//!   26 bytes of per-event overhead); an invocation keeps at most [`MAX_INVOCATION_BYTES`] (1 MB)
//!   and [`MAX_INVOCATION_EVENTS`] (10,000) lines. The rest is read (the function never blocks)
//!   and dropped, and counted in a last line before `END`, `cutover: output truncated: …`, and a
//!   timeline entry (`cutLines`, `cutBytes`, `droppedLines`, `droppedBytes`). An unterminated
//!   line is one event at the end of its invocation; the runtime client's mark is removed wherever
//!   it is in a line.
//! * Retries: a failed Event invocation (function error, crash, timeout) is queued again by a
//!   `FunctionSignal::Retry` on the simulated clock, 60 s then 120 s later, at most
//!   `lambda::DEFAULT_MAX_RETRIES` (2) times, with the same request id; each attempt and the
//!   final discard are timeline entries.
//! * Event invocations: `lambda.pending` (filled by `lifecycle::edges::invoke_async`) is drained by
//!   a task woken through [`Runtime::wake`]; each runs outside the state lock.
//! * Time: processes run in wall time. The function timeout, the 10 s init limit and the deadline
//!   handed to the runtime are wall-clock, whatever the simulation clock does; log events and
//!   timeline entries carry simulated time (the clock's `now` when they are written). With a
//!   manual clock, a function that runs for 3 s of wall time writes its logs at the same
//!   simulated instant.

pub mod api;
mod code;
pub mod invoke;

use crate::protocol::AwsError;
use crate::world::PartitionKey;
use crate::Emulator;
use api::{Api, Delivery, Report};
use base64::Engine as _;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::io::AsyncRead;
use tokio::sync::{mpsc, oneshot, watch, Notify};

const PYTHON_BOOTSTRAP: &str = include_str!("bootstrap/python_bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("bootstrap/node_bootstrap.js");
const NODE_SDK_V2_PRELOAD: &str = include_str!("bootstrap/node_sdk_v2_endpoint.js");

/// How long a runtime may take to initialize (until it asks for its first invocation).
pub const INIT_LIMIT: Duration = Duration::from_secs(10);
/// The tail of the log returned with `LogType: Tail`.
pub const LOG_TAIL: usize = 4096;
/// How long to wait for the end-of-invocation marks of cutover's runtime clients before falling
/// back to waiting for the process's output to go quiet.
const MARK_WAIT: Duration = Duration::from_millis(200);
/// The environment variable carrying an instance's end-of-invocation mark.
const MARK_ENV: &str = "_CUTOVER_LOG_MARK";
/// The environment variable tagging every process of an instance (inherited by its children), so
/// that a descendant which left the process group (`setsid`, a double fork) is still found in
/// `/proc` and ended with its instance.
pub const INSTANCE_ENV: &str = "_CUTOVER_LAMBDA_INSTANCE";
/// The largest log event: CloudWatch Logs' 256 KB event limit less the 26 bytes of overhead it
/// counts per event. A longer line is cut there; the rest of the line is dropped and counted.
pub const MAX_EVENT_BYTES: usize = 256 * 1024 - 26;
/// The most output one invocation keeps in its log (bytes of messages): one `GetLogEvents` page
/// (1 MB). Beyond it, lines are read (the function never blocks on a full pipe) and dropped.
pub const MAX_INVOCATION_BYTES: usize = 1024 * 1024;
/// The most log events one invocation's output keeps: one `GetLogEvents` page (10,000 events).
pub const MAX_INVOCATION_EVENTS: usize = 10_000;

/// What the runtime is configured with (tests and the CLI may change it).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The interpreter for python3.x runtimes.
    pub python: String,
    /// The interpreter for nodejs runtimes.
    pub node: String,
    /// Instances one function version may run at once.
    pub concurrency: usize,
    /// Extra directories on NODE_PATH (e.g. one holding `node_modules/aws-sdk`), from
    /// `CUTOVER_LAMBDA_NODE_PATH` (colon-separated).
    pub node_path: Vec<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            python: std::env::var("CUTOVER_LAMBDA_PYTHON").unwrap_or_else(|_| "python3".into()),
            node: std::env::var("CUTOVER_LAMBDA_NODE").unwrap_or_else(|_| "node".into()),
            concurrency: std::env::var("CUTOVER_LAMBDA_CONCURRENCY")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(10),
            node_path: std::env::var("CUTOVER_LAMBDA_NODE_PATH")
                .map(|v| v.split(':').filter(|s| !s.is_empty()).map(PathBuf::from).collect())
                .unwrap_or_default(),
        }
    }
}

pub use crate::services::lambda::Target;

impl Target {
    fn pool_key(&self) -> PoolKey {
        (
            self.key.clone(),
            self.name.clone(),
            self.config.version.clone(),
            self.config.revision_id.clone(),
        )
    }
}

/// The result of one invocation.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub payload: Vec<u8>,
    /// `Unhandled` when the function failed.
    pub function_error: Option<String>,
    /// This invocation's log (START … REPORT), newline-separated.
    pub log: String,
}

impl Outcome {
    /// Base64 of the last 4 KB of the log, as `LogResult`.
    pub fn log_result(&self) -> String {
        let bytes = self.log.as_bytes();
        let mut start = bytes.len().saturating_sub(LOG_TAIL);
        while start < bytes.len() && !self.log.is_char_boundary(start) {
            start += 1;
        }
        base64::engine::general_purpose::STANDARD.encode(&bytes[start..])
    }
}

type PoolKey = (PartitionKey, String, String, String);

#[derive(Default)]
struct Pool {
    idle: Vec<Arc<Instance>>,
    all: Vec<Weak<Instance>>,
    live: usize,
    freed: Arc<Notify>,
}

/// What an invocation's output lost: (lines cut, bytes cut off them, lines dropped, their bytes).
type Truncation = (u64, u64, u64, u64);

/// The output of an instance not yet handed to an invocation's log, within the caps.
#[derive(Default)]
struct LogBuf {
    lines: Vec<(i64, String)>,
    /// Bytes of the messages in `lines`.
    bytes: usize,
    /// Lines dropped whole beyond the per-invocation caps, and their bytes.
    dropped_lines: u64,
    dropped_bytes: u64,
    /// Lines cut at [`MAX_EVENT_BYTES`], and the bytes cut off them.
    cut_lines: u64,
    cut_bytes: u64,
    /// The unterminated line of each pipe (stdout, stderr), at most [`MAX_EVENT_BYTES`].
    partial: [Vec<u8>; 2],
}

impl LogBuf {
    /// Adds one line (its bytes beyond the event cap already counted in `cut`).
    fn push(&mut self, ts: i64, line: &[u8], cut: u64) {
        if cut > 0 {
            self.cut_lines += 1;
            self.cut_bytes += cut;
        }
        if self.lines.len() >= MAX_INVOCATION_EVENTS || self.bytes + line.len() > MAX_INVOCATION_BYTES {
            self.dropped_lines += 1;
            self.dropped_bytes += line.len() as u64;
            return;
        }
        self.bytes += line.len();
        self.lines.push((ts, String::from_utf8_lossy(line).replace('\r', "\n")));
    }

    /// Takes what was written so far, unterminated lines included, and the truncation note (a
    /// final log line) when output was cut or dropped.
    fn take(&mut self, ts: i64) -> (Vec<(i64, String)>, Option<Truncation>) {
        for i in 0..2 {
            let p = std::mem::take(&mut self.partial[i]);
            if !p.is_empty() {
                self.push(ts, &p, 0);
            }
        }
        let lines = std::mem::take(&mut self.lines);
        let counts = (self.cut_lines, self.cut_bytes, self.dropped_lines, self.dropped_bytes);
        let note = (counts != (0, 0, 0, 0)).then_some(counts);
        *self = LogBuf::default();
        (lines, note)
    }
}

/// One running process and its Runtime API.
struct Instance {
    stream: String,
    api: Arc<Api>,
    reports: tokio::sync::Mutex<mpsc::UnboundedReceiver<Report>>,
    logs: Arc<Mutex<LogBuf>>,
    /// The value of [`INSTANCE_ENV`] in this instance's processes.
    tag: String,
    killed: AtomicBool,
    /// The request id of the last end-of-invocation mark read from stdout and from stderr
    /// (python and node instances, whose runtime clients write one before posting a result).
    marks: Option<watch::Receiver<[String; 2]>>,
    exit: watch::Receiver<Option<String>>,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    server: tokio::task::JoinHandle<()>,
    pid: Option<u32>,
    spawned: Instant,
    /// Set once the first invocation has reported the init duration.
    warm: AtomicBool,
    retired: AtomicBool,
}

impl Instance {
    /// Ends the instance: its whole process group and every process tagged with its
    /// [`INSTANCE_ENV`] (descendants that left the group), at once, then the Runtime API.
    fn stop(&self) {
        if !self.killed.swap(true, Ordering::SeqCst) {
            kill_tree(self.pid, &self.tag);
        }
        if let Some(tx) = lock(&self.kill).take() {
            let _ = tx.send(());
        }
        self.server.abort();
    }

    fn alive(&self) -> bool {
        self.exit.borrow().is_none() && !self.retired.load(Ordering::SeqCst)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The Lambda runtime of one emulator.
pub struct Runtime {
    /// Woken when an Event invocation is queued.
    pub wake: Arc<Notify>,
    settings: Mutex<Settings>,
    endpoint: Mutex<Option<String>>,
    pools: Mutex<HashMap<PoolKey, Pool>>,
    drainer: AtomicBool,
    /// Event invocations taken from the queues and not finished yet.
    events_running: Arc<std::sync::atomic::AtomicUsize>,
    stopping: Arc<AtomicBool>,
    dir: Mutex<Option<PathBuf>>,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_all();
        if let Some(d) = lock(&self.dir).take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

impl Runtime {
    pub fn new() -> Runtime {
        Runtime {
            wake: Arc::new(Notify::new()),
            settings: Mutex::new(Settings::default()),
            endpoint: Mutex::new(None),
            pools: Mutex::new(HashMap::new()),
            drainer: AtomicBool::new(false),
            events_running: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            stopping: Arc::new(AtomicBool::new(false)),
            dir: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub fn set_settings(&self, s: Settings) {
        *lock(&self.settings) = s;
    }

    /// The emulator's URL, handed to functions as AWS_ENDPOINT_URL.
    pub fn set_endpoint(&self, url: &str) {
        *lock(&self.endpoint) = Some(url.to_owned());
    }

    pub fn endpoint(&self) -> Option<String> {
        lock(&self.endpoint).clone()
    }

    /// Instances running now (all functions).
    pub fn instance_count(&self) -> usize {
        lock(&self.pools).values().map(|p| p.live).sum()
    }

    /// Event invocations (CodeDeploy hooks among them) queued or running now. Harnesses wait for
    /// this to reach 0 before moving a manual clock, so hooks are not outrun by simulated time.
    pub fn pending_events(em: &Emulator) -> usize {
        let queued = em.with_world(|w| crate::lifecycle::edges::queued_invocations(w));
        queued + em.lambda.events_running.load(Ordering::SeqCst)
    }

    /// Stops every instance of a function (all versions), e.g. on DeleteFunction or an update.
    /// Invocations in flight finish; their instances are stopped when they return.
    pub fn retire(&self, key: &PartitionKey, name: &str) {
        let mut pools = lock(&self.pools);
        let keys: Vec<PoolKey> = pools.keys().filter(|k| &k.0 == key && k.1 == name).cloned().collect();
        for k in keys {
            if let Some(p) = pools.remove(&k) {
                retire_pool(p);
            }
        }
    }

    /// Stops every instance of a deleted function, busy ones too: nothing of a deleted function
    /// keeps running, so an invocation in flight ends as a crash (its process group is killed).
    pub fn remove(&self, key: &PartitionKey, name: &str) {
        let mut pools = lock(&self.pools);
        let keys: Vec<PoolKey> = pools.keys().filter(|k| &k.0 == key && k.1 == name).cloned().collect();
        for k in keys {
            if let Some(p) = pools.remove(&k) {
                for i in p.all.iter().filter_map(Weak::upgrade) {
                    i.stop();
                }
                retire_pool(p);
            }
        }
    }

    /// Stops every instance (reset, shutdown), busy ones too: their invocations end as crashes.
    pub fn stop_all(&self) {
        let pools: Vec<Pool> = lock(&self.pools).drain().map(|(_, p)| p).collect();
        for p in pools {
            for i in p.all.iter().filter_map(Weak::upgrade) {
                i.stop();
            }
            retire_pool(p);
        }
    }

    /// Stops everything and the Event drainer.
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        self.stop_all();
        // The bootstraps and unpacked code go too (made again if the runtime is used after).
        if let Some(d) = lock(&self.dir).take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    /// The private directory of this runtime (bootstraps, unpacked code), created on first use.
    fn dir(&self) -> std::io::Result<PathBuf> {
        let mut d = lock(&self.dir);
        if let Some(p) = d.as_ref() {
            return Ok(p.clone());
        }
        let p = code::private_dir("cutover-lambda")?;
        std::fs::write(p.join("python_bootstrap.py"), PYTHON_BOOTSTRAP)?;
        std::fs::write(p.join("node_bootstrap.js"), NODE_BOOTSTRAP)?;
        std::fs::write(p.join("node_sdk_v2_endpoint.js"), NODE_SDK_V2_PRELOAD)?;
        std::fs::create_dir_all(p.join("code"))?;
        *d = Some(p.clone());
        Ok(p)
    }

    /// Starts the Event drainer once (the server does it at start; Invoke does it too).
    pub fn ensure_started(em: &Arc<Emulator>) {
        if !em.lambda.drainer.swap(true, Ordering::SeqCst) {
            tokio::spawn(drain(
                Arc::downgrade(em),
                em.lambda.wake.clone(),
                em.lambda.stopping.clone(),
            ));
        }
    }
}

fn retire_pool(p: Pool) {
    for i in p.all.iter().filter_map(Weak::upgrade) {
        i.retired.store(true, Ordering::SeqCst);
    }
    for i in p.idle {
        i.stop();
    }
    p.freed.notify_waiters();
}

/// Takes the queued Event invocations and runs each in its own task, until shutdown.
async fn drain(em: Weak<Emulator>, wake: Arc<Notify>, stopping: Arc<AtomicBool>) {
    loop {
        let notified = wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if stopping.load(Ordering::SeqCst) {
            return;
        }
        let Some(em_strong) = em.upgrade() else { return };
        let batch = em_strong.with_world(|w| {
            let out = crate::lifecycle::edges::take_queued_invocations(w);
            // Counted as running before the world is unlocked, so `pending_events` never sees a
            // moment where an invocation is in neither place.
            em_strong.lambda.events_running.fetch_add(out.len(), Ordering::SeqCst);
            out
        });
        for (key, inv) in batch {
            let running = em_strong.lambda.events_running.clone();
            let em2 = em_strong.clone();
            tokio::spawn(async move {
                // Counted down even if the invocation's task panics.
                struct Done(Arc<std::sync::atomic::AtomicUsize>);
                impl Drop for Done {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let _done = Done(running);
                run_event(em2, key, inv).await
            });
        }
        drop(em_strong);
        notified.await;
    }
}

async fn run_event(em: Arc<Emulator>, key: PartitionKey, inv: crate::services::lambda::Invocation) {
    let target = em.with_world(|w| crate::lifecycle::edges::invocation_target(w, &key, &inv.function_arn));
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            em.with_world(|w| {
                w.record(crate::timeline::Entry::InvocationDropped {
                    request_id: inv.id.clone(),
                    function_arn: inv.function_arn.clone(),
                    reason: e.message.clone(),
                })
            });
            return;
        }
    };
    let payload = serde_json::to_vec(&inv.payload).unwrap_or_else(|_| b"{}".to_vec());
    let result = invoke(&em, target.clone(), payload, inv.id.clone(), false).await;
    let status = match &result {
        Ok(o) => o.function_error.clone().unwrap_or_else(|| "Success".into()),
        Err(e) => e.message.clone(),
    };
    // A function error (an error answered, a crash, a timeout) is retried on the simulated clock.
    let failed = !matches!(&result, Ok(o) if o.function_error.is_none());
    let error_type = match &result {
        Ok(o) if failed => serde_json::from_slice::<serde_json::Value>(&o.payload)
            .ok()
            .and_then(|v| v.get("errorType").and_then(|t| t.as_str()).map(str::to_owned))
            .unwrap_or_else(|| status.clone()),
        _ => status.clone(),
    };
    em.with_world(|w| {
        w.record(crate::timeline::Entry::InvocationFinished {
            request_id: inv.id.clone(),
            function_arn: target.invoked_arn.clone(),
            status: status.to_string(),
            attempt: inv.retries + 1,
        });
        if failed && !em.lambda.stopping.load(Ordering::SeqCst) {
            crate::lifecycle::edges::invocation_failed(w, &key, &inv, &error_type);
        }
    });
}

enum Slot {
    Warm(Arc<Instance>),
    Cold,
}

async fn acquire(em: &Arc<Emulator>, key: &PoolKey, sync: bool) -> Result<Slot, AwsError> {
    loop {
        let limit = em.lambda.settings().concurrency;
        let freed = {
            let mut pools = lock(&em.lambda.pools);
            let pool = pools.entry(key.clone()).or_default();
            while let Some(i) = pool.idle.pop() {
                if i.alive() {
                    return Ok(Slot::Warm(i));
                }
                pool.live = pool.live.saturating_sub(1);
            }
            if pool.live < limit {
                pool.live += 1;
                return Ok(Slot::Cold);
            }
            if sync {
                return Err(AwsError::new("TooManyRequestsException", "Rate Exceeded.")
                    .with_extra("Reason", "ConcurrentInvocationLimitExceeded")
                    .with_status(429));
            }
            pool.freed.clone()
        };
        let n = freed.notified();
        tokio::select! {
            _ = n => {}
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

fn release(em: &Emulator, key: &PoolKey, inst: Option<Arc<Instance>>, healthy: bool) {
    let mut pools = lock(&em.lambda.pools);
    let Some(pool) = pools.get_mut(key) else {
        if let Some(i) = inst {
            i.stop();
        }
        return;
    };
    match inst {
        Some(i) if healthy && i.alive() => pool.idle.push(i),
        Some(i) => {
            i.stop();
            pool.live = pool.live.saturating_sub(1);
        }
        None => pool.live = pool.live.saturating_sub(1),
    }
    pool.all.retain(|w| w.strong_count() > 0);
    pool.freed.notify_waiters();
}

/// The wall-clock epoch in milliseconds (Lambda deadlines are wall-clock).
fn wall_ms() -> i64 {
    crate::sim::clock::wall_ms()
}

fn sim_ms(em: &Emulator) -> i64 {
    em.clock.now().0
}

/// Runs one invocation to its end: response, function error, timeout or crash.
/// `sync` invocations are throttled above the concurrency limit; Event ones wait.
pub async fn invoke(
    em: &Arc<Emulator>,
    target: Target,
    payload: Vec<u8>,
    request_id: String,
    sync: bool,
) -> Result<Outcome, AwsError> {
    Runtime::ensure_started(em);
    let key = target.pool_key();
    let slot = acquire(em, &key, sync).await?;
    let mut lines: Vec<String> = Vec::new();
    let (inst, cold_start) = match slot {
        Slot::Warm(i) => (i, false),
        Slot::Cold => match start_instance(em, &target).await {
            Ok(i) => {
                let i = Arc::new(i);
                if let Some(p) = lock(&em.lambda.pools).get_mut(&key) {
                    p.all.push(Arc::downgrade(&i));
                }
                (i, true)
            }
            Err(message) => {
                release(em, &key, None, false);
                let o = failed_start(em, &target, &request_id, &message);
                return Ok(o);
            }
        },
    };
    let _ = cold_start;
    let started = Instant::now();
    let timeout = Duration::from_secs(target.config.timeout.max(1) as u64);
    let delivery = Delivery {
        request_id: request_id.clone(),
        payload,
        deadline_ms: wall_ms() + timeout.as_millis() as i64 + INIT_LIMIT.as_millis() as i64,
        invoked_arn: target.invoked_arn.clone(),
        trace_id: format!(
            "Root=1-{:08x}-{}",
            wall_ms() / 1000,
            &request_id.replace('-', "")[..24.min(request_id.replace('-', "").len())]
        ),
    };
    // The simulated time the invocation starts at: its START line's (and INIT_START's).
    let start_ms = sim_ms(em);
    let (result, picked) = run_on(&inst, delivery, &request_id, timeout).await;
    let finished = Instant::now();
    // Let the last lines the process wrote reach the log: up to the runtime client's mark on both
    // pipes when it wrote one, else until the output goes quiet.
    let marked = match &result {
        RunResult::Response(_) | RunResult::Error(_) => wait_marks(&inst, &request_id).await,
        _ => false,
    };
    if !marked {
        settle_logs(&inst).await;
    }
    let (mut function_lines, truncated) = lock(&inst.logs).take(sim_ms(em));
    if let Some((cut_lines, cut_bytes, dropped_lines, dropped_bytes)) = truncated {
        function_lines.push((
            sim_ms(em),
            format!(
                "cutover: output truncated: {cut_lines} line(s) cut at {MAX_EVENT_BYTES} bytes ({cut_bytes} bytes dropped), {dropped_lines} line(s) ({dropped_bytes} bytes) dropped beyond {MAX_INVOCATION_BYTES} bytes or {MAX_INVOCATION_EVENTS} events per invocation"
            ),
        ));
        em.with_world(|w| {
            w.record(crate::timeline::Entry::OutputTruncated {
                request_id: request_id.to_string(),
                function_arn: target.invoked_arn.clone(),
                cut_lines,
                cut_bytes,
                dropped_lines,
                dropped_bytes,
            })
        });
    }
    let (payload, function_error, healthy, status_note) = match result {
        RunResult::Response(body) => (body, None, true, None),
        RunResult::Error(body) => (body, Some("Unhandled".to_owned()), true, None),
        RunResult::InitError(body, error_type) => {
            let t = error_type.unwrap_or_else(|| "Runtime.Unknown".into());
            (
                body,
                Some("Unhandled".to_owned()),
                false,
                Some(format!("Status: error\tError Type: {t}")),
            )
        }
        RunResult::Timeout => {
            let secs = timeout.as_secs_f64();
            let msg = format!("Task timed out after {secs:.2} seconds");
            function_lines.push((
                sim_ms(em),
                format!(
                    "{} {request_id} {msg}",
                    crate::services::lambda::functions::lambda_time(em.clock.now().as_secs_f64()).replace("+0000", "Z")
                ),
            ));
            let body = serde_json::json!({"errorType": "Sandbox.Timedout", "errorMessage": format!("RequestId: {request_id} Error: {msg}")});
            (
                body.to_string().into_bytes(),
                Some("Unhandled".to_owned()),
                false,
                Some("Status: timeout".to_owned()),
            )
        }
        RunResult::Exited(status) => {
            let msg = format!("RequestId: {request_id} Error: Runtime exited with error: {status}");
            function_lines.push((sim_ms(em), msg.clone()));
            function_lines.push((sim_ms(em), "Runtime.ExitError".to_owned()));
            let body = serde_json::json!({"errorType": "Runtime.ExitError", "errorMessage": msg});
            (
                body.to_string().into_bytes(),
                Some("Unhandled".to_owned()),
                false,
                Some("Status: error\tError Type: Runtime.ExitError".to_owned()),
            )
        }
    };
    // Duration runs from the runtime taking the invocation to its result; Init Duration from the
    // process's start to its first request for an invocation (as Lambda's REPORT line has them).
    let began = picked.unwrap_or(started);
    let duration_ms = finished.saturating_duration_since(began).as_secs_f64() * 1000.0;
    let init_ms = if !inst.warm.swap(true, Ordering::SeqCst) {
        Some(began.saturating_duration_since(inst.spawned).as_secs_f64() * 1000.0)
    } else {
        None
    };
    let max_mb = inst.pid.and_then(max_rss_mb).unwrap_or(0);
    let now = sim_ms(em);
    let c = &target.config;
    if let Some(init) = init_ms {
        lines.push(format!(
            "INIT_START Runtime Version: {}.cutover",
            c.runtime.as_ref().map_or("unknown", |r| r.as_str())
        ));
        let _ = init;
    }
    // START at the invocation's start, END and REPORT at its end, the function's own lines at
    // the simulated time each was written (within the two), so that the lines sort in order.
    let mut events: Vec<(i64, String)> = lines.iter().map(|l| (start_ms, l.clone())).collect();
    events.push((
        start_ms,
        format!("START RequestId: {request_id} Version: {}", c.version),
    ));
    events.extend(
        function_lines
            .into_iter()
            .map(|(ts, line)| (ts.clamp(start_ms, now.max(start_ms)), line)),
    );
    let now = now.max(start_ms);
    events.push((now, format!("END RequestId: {request_id}")));
    let mut report = format!(
        "REPORT RequestId: {request_id}\tDuration: {duration_ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {max_mb} MB",
        duration_ms.ceil().max(1.0) as i64,
        c.memory
    );
    if let Some(init) = init_ms {
        report.push_str(&format!("\tInit Duration: {:.2} ms", init.max(0.0)));
    }
    if let Some(n) = status_note {
        report.push('\t');
        report.push_str(&n);
    }
    events.push((now, report));
    let log = events.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("\n") + "\n";
    let group = format!("/aws/lambda/{}", target.name);
    let stream = inst.stream.clone();
    em.with_world(|w| crate::lifecycle::edges::append_logs(w, &target.key, &group, &stream, &events));
    release(em, &key, Some(inst), healthy);
    Ok(Outcome {
        payload,
        function_error,
        log,
    })
}

/// The outcome of an invocation whose process could not even start.
fn failed_start(em: &Emulator, target: &Target, request_id: &str, message: &str) -> Outcome {
    let now = sim_ms(em);
    let stream = log_stream(em, &target.config.version);
    let body = serde_json::json!({"errorType": "Runtime.InvalidEntrypoint", "errorMessage": format!("RequestId: {request_id} Error: {message}")});
    let events = vec![
        (now, format!("START RequestId: {request_id} Version: {}", target.config.version)),
        (now, format!("RequestId: {request_id} Error: {message}")),
        (now, "Runtime.InvalidEntrypoint".to_owned()),
        (now, format!("END RequestId: {request_id}")),
        (
            now,
            format!(
                "REPORT RequestId: {request_id}\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: {} MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: Runtime.InvalidEntrypoint",
                target.config.memory
            ),
        ),
    ];
    let log = events.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("\n") + "\n";
    let group = format!("/aws/lambda/{}", target.name);
    em.with_world(|w| crate::lifecycle::edges::append_logs(w, &target.key, &group, &stream, &events));
    Outcome {
        payload: body.to_string().into_bytes(),
        function_error: Some("Unhandled".into()),
        log,
    }
}

enum RunResult {
    Response(Vec<u8>),
    Error(Vec<u8>),
    InitError(Vec<u8>, Option<String>),
    Timeout,
    Exited(String),
}

/// Runs one invocation on an instance; also returns when the runtime took it, if it did.
async fn run_on(
    inst: &Instance,
    delivery: Delivery,
    request_id: &str,
    timeout: Duration,
) -> (RunResult, Option<Instant>) {
    let mut picked_at = None;
    let result = run_on_inner(inst, delivery, request_id, timeout, &mut picked_at).await;
    (result, picked_at)
}

async fn run_on_inner(
    inst: &Instance,
    delivery: Delivery,
    request_id: &str,
    timeout: Duration,
    picked_at: &mut Option<Instant>,
) -> RunResult {
    let mut reports = inst.reports.lock().await;
    // Stale reports of earlier invocations are of no interest.
    while reports.try_recv().is_ok() {}
    if inst.api.next_tx.send(delivery).await.is_err() {
        return RunResult::Exited("the runtime API is gone".into());
    }
    let mut exit = inst.exit.clone();
    let mut deadline = tokio::time::Instant::now() + INIT_LIMIT;
    let mut picked = false;
    loop {
        tokio::select! {
            r = reports.recv() => match r {
                Some(Report::Picked(id, at)) if id == request_id => {
                    picked = true;
                    *picked_at = Some(at);
                    deadline = tokio::time::Instant::from_std(at) + timeout;
                }
                Some(Report::Response(id, body)) if id == request_id => return RunResult::Response(body),
                Some(Report::Error(id, body, _)) if id == request_id => return RunResult::Error(body),
                Some(Report::InitError(body, t)) => return RunResult::InitError(body, t),
                Some(_) => {}
                None => return RunResult::Exited("the runtime API is gone".into()),
            },
            _ = exit.wait_for(|e| e.is_some()) => {
                // The process may have reported just before exiting.
                while let Ok(r) = reports.try_recv() {
                    match r {
                        Report::Response(id, body) if id == request_id => return RunResult::Response(body),
                        Report::Error(id, body, _) if id == request_id => return RunResult::Error(body),
                        Report::InitError(body, t) => return RunResult::InitError(body, t),
                        _ => {}
                    }
                }
                let status = inst.exit.borrow().clone().unwrap_or_default();
                return RunResult::Exited(status);
            }
            _ = tokio::time::sleep_until(deadline) => {
                inst.stop();
                if picked {
                    return RunResult::Timeout;
                }
                return RunResult::InitError(
                    serde_json::json!({"errorType": "Runtime.InitTimeout", "errorMessage": "The runtime did not ask for an invocation within 10 seconds of starting (init timeout)."})
                        .to_string()
                        .into_bytes(),
                    Some("Runtime.InitTimeout".into()),
                );
            }
        }
    }
}

/// Waits until both pipes have delivered the end-of-invocation mark of `request_id` (all the output
/// written before it has then been read); false if the instance writes none or it did not come.
async fn wait_marks(inst: &Instance, request_id: &str) -> bool {
    let Some(rx) = &inst.marks else { return false };
    let mut rx = rx.clone();
    let seen = rx.wait_for(|m| m[0] == request_id && m[1] == request_id);
    let done = matches!(tokio::time::timeout(MARK_WAIT, seen).await, Ok(Ok(_)));
    done
}

/// Waits until the process's output has been quiet for a moment (at most 200 ms).
async fn settle_logs(inst: &Instance) {
    let mut last = usize::MAX;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let n = {
            let l = lock(&inst.logs);
            l.lines.len() + l.partial[0].len() + l.partial[1].len()
        };
        if n == last {
            return;
        }
        last = n;
    }
}

/// `VmHWM` of a process, in MB (Linux); `None` elsewhere.
fn max_rss_mb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.div_ceil(1024))
}

fn log_stream(em: &Emulator, version: &str) -> String {
    let day = crate::protocol::timestamp::iso8601(em.clock.now().as_secs_f64());
    let date = day.get(..10).unwrap_or("1970-01-01").replace('-', "/");
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{date}/[{version}]{hex}")
}

/// Unpacks the code, starts the Runtime API listener and the process.
async fn start_instance(em: &Arc<Emulator>, target: &Target) -> Result<Instance, String> {
    let settings = em.lambda.settings();
    let dir = em
        .lambda
        .dir()
        .map_err(|e| format!("cutover could not create its Lambda directory: {e}"))?;
    let c = &target.config;
    let runtime = c.runtime.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default();
    let code_dir = {
        let sub = format!(
            "{}-{}-{}-{}",
            target.key.account,
            target.key.region,
            target.name,
            code::digest_name(&c.code.sha256)
        );
        let dest = dir.join("code").join(sub);
        let zip = c.code.clone();
        tokio::task::spawn_blocking(move || code::unpack(&zip.zip, &dest).map(|_| dest))
            .await
            .map_err(|e| format!("unpacking the code failed: {e}"))?
            .map_err(|e| format!("unpacking the code failed: {e}"))?
    };
    let (program, args): (PathBuf, Vec<String>) = if runtime.starts_with("python") {
        (
            PathBuf::from(&settings.python),
            vec!["-u".into(), dir.join("python_bootstrap.py").display().to_string()],
        )
    } else if runtime.starts_with("nodejs") {
        (
            PathBuf::from(&settings.node),
            vec![dir.join("node_bootstrap.js").display().to_string()],
        )
    } else if runtime.starts_with("provided") {
        let b = code_dir.join("bootstrap");
        if !b.is_file() {
            return Err(format!("Couldn't find valid bootstrap(s): [{}]", b.display()));
        }
        (b, vec![])
    } else {
        return Err(format!(
            "cutover runs python3.x, nodejs and provided.* functions only; {runtime} is not run"
        ));
    };

    // The Runtime API of this instance.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind the Runtime API: {e}"))?;
    let api_addr = listener
        .local_addr()
        .map_err(|e| format!("cannot bind the Runtime API: {e}"))?;
    let (api, reports) = Api::new();
    let router = api::router(api.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    let stream = log_stream(em, &c.version);
    let (role_arn, creds) = em.with_world(|w| crate::lifecycle::edges::instance_credentials(w, target));
    let mut env: Vec<(String, String)> = vec![
        (
            "PATH".into(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into()),
        ),
        ("LANG".into(), "en_US.UTF-8".into()),
        ("TZ".into(), ":UTC".into()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), target.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), c.version.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), c.memory.to_string()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".into(),
            format!("/aws/lambda/{}", target.name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), stream.clone()),
        ("AWS_LAMBDA_RUNTIME_API".into(), api_addr.to_string()),
        ("AWS_REGION".into(), target.key.region.clone()),
        ("AWS_DEFAULT_REGION".into(), target.key.region.clone()),
        ("AWS_EXECUTION_ENV".into(), format!("AWS_Lambda_{runtime}")),
        ("_HANDLER".into(), c.handler.clone().unwrap_or_default()),
        ("LAMBDA_TASK_ROOT".into(), code_dir.display().to_string()),
        ("LAMBDA_RUNTIME_DIR".into(), dir.display().to_string()),
        ("AWS_ACCESS_KEY_ID".into(), creds.0),
        ("AWS_SECRET_ACCESS_KEY".into(), creds.1),
        ("AWS_SESSION_TOKEN".into(), creds.2),
    ];
    if let Some(url) = em.lambda.endpoint() {
        env.push(("AWS_ENDPOINT_URL".into(), url));
    }
    if runtime.starts_with("python") {
        env.push(("PYTHONUNBUFFERED".into(), "1".into()));
    }
    if runtime.starts_with("nodejs") {
        let mut paths: Vec<String> = settings.node_path.iter().map(|p| p.display().to_string()).collect();
        paths.push(code_dir.join("node_modules").display().to_string());
        paths.push(code_dir.display().to_string());
        env.push(("NODE_PATH".into(), paths.join(":")));
        env.push((
            "NODE_OPTIONS".into(),
            format!("--require {}", dir.join("node_sdk_v2_endpoint.js").display()),
        ));
    }
    // Load balancer DNS names (`*.elb.localhost`) reach the ALB data plane from inside functions.
    if let Some(alb) = em.alb() {
        for (k, v) in alb.child_env() {
            match env.iter_mut().find(|(ek, _)| *ek == k) {
                Some(slot) if k == "NODE_OPTIONS" => slot.1 = format!("{} {v}", slot.1),
                Some(slot) if k == "PYTHONPATH" => slot.1 = format!("{}:{v}", slot.1),
                Some(slot) => slot.1 = v,
                None => env.push((k, v)),
            }
        }
    }
    if let Some(vars) = &c.environment {
        for (k, v) in vars {
            env.retain(|(ek, _)| ek != k);
            env.push((k.clone(), v.clone()));
        }
    }
    let _ = role_arn;
    // cutover's runtime clients mark the end of each invocation's output with this (a value the
    // function's own output cannot guess); they remove it from the function's environment.
    let mark = (runtime.starts_with("python") || runtime.starts_with("nodejs"))
        .then(|| format!("__cutover_log_mark_{}", uuid::Uuid::new_v4().simple()));
    if let Some(m) = &mark {
        env.retain(|(k, _)| k != MARK_ENV);
        env.push((MARK_ENV.into(), m.clone()));
    }
    let tag = uuid::Uuid::new_v4().simple().to_string();
    env.retain(|(k, _)| k != INSTANCE_ENV);
    env.push((INSTANCE_ENV.into(), tag.clone()));

    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&args)
        .env_clear()
        .envs(env)
        .current_dir(&code_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that the function's children end with it.
        .process_group(0)
        .kill_on_drop(true);
    let spawned = Instant::now();
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            server.abort();
            return Err(format!("cutover could not start {}: {e}", program.display()));
        }
    };
    let pid = child.id();
    let logs: Arc<Mutex<LogBuf>> = Arc::new(Mutex::new(LogBuf::default()));
    let weak = Arc::downgrade(em);
    let (marks_tx, marks_rx) = watch::channel([String::new(), String::new()]);
    let marks_tx = Arc::new(marks_tx);
    let marker = |i: usize| mark.clone().map(|m| (m, i, marks_tx.clone()));
    if let Some(out) = child.stdout.take() {
        tokio::spawn(read_lines(out, logs.clone(), weak.clone(), marker(0), 0));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(read_lines(err, logs.clone(), weak.clone(), marker(1), 1));
    }
    drop(marks_tx);
    let (exit_tx, exit_rx) = watch::channel(None);
    let (kill_tx, kill_rx) = oneshot::channel::<()>();
    let tag2 = tag.clone();
    tokio::spawn(async move {
        tokio::select! {
            status = child.wait() => {
                // The runtime process is gone (a crash, `exit`): what it started goes with it.
                kill_tree(pid, &tag2);
                let text = match status {
                    Ok(s) => describe_exit(s),
                    Err(e) => format!("wait failed: {e}"),
                };
                let _ = exit_tx.send(Some(text));
            }
            _ = kill_rx => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                let _ = exit_tx.send(Some("killed".into()));
            }
        }
    });
    Ok(Instance {
        stream,
        api,
        reports: tokio::sync::Mutex::new(reports),
        logs,
        tag,
        killed: AtomicBool::new(false),
        marks: mark.map(|_| marks_rx),
        exit: exit_rx,
        kill: Mutex::new(Some(kill_tx)),
        server,
        pid,
        spawned,
        warm: AtomicBool::new(false),
        retired: AtomicBool::new(false),
    })
}

/// Kills (SIGKILL) the process group `pgid` (an instance's runtime process leads its own group)
/// and every other process whose initial environment carries `INSTANCE_ENV=tag`: children that
/// called `setsid` or were double-forked away from the group.
fn kill_tree(pgid: Option<u32>, tag: &str) {
    use rustix::process::{kill_process, kill_process_group, Pid, Signal};
    if let Some(pg) = pgid.and_then(|p| i32::try_from(p).ok()).and_then(Pid::from_raw) {
        let _ = kill_process_group(pg, Signal::KILL);
    }
    let needle = format!("{INSTANCE_ENV}={tag}");
    let needle = needle.as_bytes();
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else { return };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        let tagged = environ.split(|&b| b == 0).any(|var| var == needle);
        if tagged {
            if let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(p, Signal::KILL);
            }
        }
    }
}

fn describe_exit(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = s.code() {
        format!("exit status {code}")
    } else if let Some(sig) = s.signal() {
        format!("signal: {sig}")
    } else {
        "exited".into()
    }
}

/// An end-of-invocation mark to look for on one pipe: (mark, pipe index, where to record it).
type Marker = (String, usize, Arc<watch::Sender<[String; 2]>>);

/// Reads one pipe of an instance into its log buffer: a line per log event, cut at
/// [`MAX_EVENT_BYTES`] (the rest of a longer line is read and dropped, never held), within the
/// per-invocation caps of [`LogBuf::push`]. An unterminated line waits in `partial` until its
/// newline or the end of the invocation. The runtime client's end-of-invocation mark is taken
/// out wherever it is in a line (output without a final newline runs into it).
async fn read_lines(
    mut r: impl AsyncRead + Unpin,
    logs: Arc<Mutex<LogBuf>>,
    em: Weak<Emulator>,
    marker: Option<Marker>,
    pipe: usize,
) {
    use tokio::io::AsyncReadExt as _;
    let mut buf = vec![0u8; 64 * 1024];
    // Bytes of the current line beyond the cap, and its last bytes (where a mark would be).
    let mut cut: u64 = 0;
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        let ts = em.upgrade().map(|e| sim_ms(&e)).unwrap_or(0);
        let mut l = lock(&logs);
        while !chunk.is_empty() {
            let (part, ended) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            chunk = if ended { &chunk[part.len() + 1..] } else { &[] };
            let room = MAX_EVENT_BYTES.saturating_sub(l.partial[pipe].len());
            let keep = part.len().min(room);
            l.partial[pipe].extend_from_slice(&part[..keep]);
            if keep < part.len() {
                cut += (part.len() - keep) as u64;
                tail.extend_from_slice(&part[keep..]);
                if tail.len() > 1024 {
                    tail.drain(..tail.len() - 512);
                }
            }
            if !ended {
                continue;
            }
            let mut line = std::mem::take(&mut l.partial[pipe]);
            if let Some((mark, i, tx)) = &marker {
                let m = mark.as_bytes();
                let found = |hay: &[u8]| hay.windows(m.len()).position(|w| w == m);
                if cut > 0 {
                    if let Some(p) = found(&tail) {
                        let id = String::from_utf8_lossy(&tail[p + m.len()..]).trim().to_owned();
                        tx.send_modify(|v| v[*i] = id);
                        cut = cut.saturating_sub((tail.len() - p) as u64);
                    }
                } else if let Some(p) = found(&line) {
                    let id = String::from_utf8_lossy(&line[p + m.len()..]).trim().to_owned();
                    line.truncate(p);
                    // Written before the mark: the function's last line, without its newline.
                    if !line.is_empty() {
                        l.push(ts, &line, 0);
                    }
                    tx.send_modify(|v| v[*i] = id);
                    continue;
                }
            }
            l.push(ts, &line, cut);
            cut = 0;
            tail.clear();
        }
    }
    // End of the pipe: an unterminated last line stays in `partial` for the invocation to take.
}
