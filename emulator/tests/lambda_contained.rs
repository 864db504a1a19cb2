//! Lambda functions are contained: their children end with them, their output is capped, output
//! without a final newline is logged as written, failed Event invocations are retried on the
//! simulated clock, and over-long names are refused. Real `python3` processes; needs python3.

use base64::Engine as _;
use cutover::model::Service;
use cutover::protocol::AwsError;
use cutover::runtime::lambda::invoke;
use cutover::runtime::lambda::{Runtime, MAX_EVENT_BYTES};
use cutover::server::{self, ServerHandle};
use cutover::services::lambda::functions;
use cutover::services::Ctx;
use cutover::sim::ClockMode;
use cutover::world::PartitionKey;
use cutover::Emulator;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/lambda.rs"]
mod lambda_support;
use lambda_support::{ctx, zip_of, ACCT, B64, LAMBDA_TRUST, ROLE};

/// The synchronous handler of `op` called directly (no model validation).
fn direct(op: &str, w: &mut cutover::world::World, c: &Ctx, input: Value) -> Result<Value, AwsError> {
    match cutover::dispatch::handler(c.service, op) {
        Some(h) => h.call(w, c, input),
        None => panic!("no handler for {op}"),
    }
}

fn key() -> PartitionKey {
    PartitionKey::new(ACCT, "us-east-1")
}

/// The tests of this file run one at a time (one measures the process's peak memory).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn setup() -> (ServerHandle, Arc<Emulator>) {
    let h = server::start("127.0.0.1:0", ClockMode::Manual).await.unwrap();
    let em = h.emulator.clone();
    make_role(&em);
    (h, em)
}

fn make_role(em: &Emulator) {
    em.with_world(|w| {
        let c = Ctx::internal(Service::Iam, ACCT, "us-east-1");
        direct(
            "CreateRole",
            w,
            &c,
            json!({"RoleName": "fn-role", "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap();
    });
}

fn create(em: &Emulator, name: &str, code: &str, extra: Value) -> Result<Value, AwsError> {
    let mut input = json!({
        "FunctionName": name, "Runtime": "python3.11", "Handler": "app.handler", "Role": ROLE,
        "Code": {"ZipFile": zip_of(&[("app.py", code)])},
    });
    if let (Some(o), Value::Object(e)) = (input.as_object_mut(), extra) {
        o.extend(e);
    }
    em.with_world(|w| direct("CreateFunction", w, &ctx(), input))
}

fn create_active(em: &Emulator, name: &str, code: &str, extra: Value) {
    create(em, name, code, extra).unwrap();
    em.advance(functions::SETTLE_SECS + 1.0);
}

async fn invoke_json(em: &Arc<Emulator>, name: &str, payload: Value) -> (Value, Value) {
    let out = invoke::invoke(
        em.clone(),
        ctx(),
        json!({"FunctionName": name, "Payload": B64.encode(payload.to_string())}),
    )
    .await
    .unwrap();
    let body = B64.decode(out["Payload"].as_str().unwrap()).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (out, v)
}

/// The messages of every log event of a function, in stream order.
fn events(em: &Emulator, name: &str) -> Vec<String> {
    em.with_world(|w| {
        let Some(g) = w
            .region(&key())
            .and_then(|r| r.logs.groups.get(&format!("/aws/lambda/{name}")))
        else {
            return Vec::new();
        };
        g.streams
            .values()
            .flat_map(|s| s.events.iter().map(|e| e.message.clone()))
            .collect()
    })
}

/// Processes whose command line contains `marker` (other than zombies, which have none).
fn with_marker(marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if !e
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        if let Ok(c) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&c).replace('\0', " ");
            if c.contains(marker) {
                out.push(format!("{:?}: {c}", e.file_name()));
            }
        }
    }
    out
}

/// Waits (bounded) until no process carries `marker`; returns those left.
async fn gone(marker: &str) -> Vec<String> {
    let start = Instant::now();
    loop {
        let left = with_marker(marker);
        if left.is_empty() || start.elapsed() > Duration::from_secs(10) {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn present(marker: &str) -> Vec<String> {
    let start = Instant::now();
    loop {
        let p = with_marker(marker);
        if p.len() >= 2 || start.elapsed() > Duration::from_secs(10) {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts a child in the function's process group and one in a session of its own (detached),
/// both sleeping with the marker on their command line; then sleeps `sleep` seconds.
const SPAWNER: &str = r#"
import subprocess, sys, time
def handler(event, context):
    m = event["marker"]
    code = "import time; time.sleep(1000)"
    subprocess.Popen([sys.executable, "-c", code, m + "-child"])
    subprocess.Popen([sys.executable, "-c", code, m + "-detached"], start_new_session=True,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(event.get("sleep", 0))
    return "spawned"
"#;

fn marker() -> String {
    format!("cutover-marker-{}", uuid::Uuid::new_v4().simple())
}

async fn http_post(url: &str, path: &str) -> String {
    let addr = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_end_on_timeout_delete_reset_and_shutdown() {
    let _serial = SERIAL.lock().await;
    let (h, em) = setup().await;
    create_active(&em, "spawner", SPAWNER, json!({"Timeout": 1}));

    // Timeout: the invocation is cut, and what it started goes with it.
    let m = marker();
    let (out, body) = invoke_json(&em, "spawner", json!({"marker": m, "sleep": 30})).await;
    assert_eq!(out["FunctionError"], json!("Unhandled"), "{out}");
    assert_eq!(body["errorType"], json!("Sandbox.Timedout"), "{body}");
    let left = gone(&m).await;
    assert!(left.is_empty(), "left after the timeout: {left:?}");

    // DeleteFunction: a warm instance's children end with it.
    let m = marker();
    let (_, body) = invoke_json(&em, "spawner", json!({"marker": m})).await;
    assert_eq!(body, json!("spawned"));
    let p = present(&m).await;
    assert_eq!(p.len(), 2, "{p:?}");
    invoke::delete_function(em.clone(), ctx(), json!({"FunctionName": "spawner"}))
        .await
        .unwrap();
    let left = gone(&m).await;
    assert!(left.is_empty(), "left after DeleteFunction: {left:?}");

    // DeleteFunction while an invocation runs: it ends at once, as a crash, and its children too.
    create_active(&em, "spawner", SPAWNER, json!({"Timeout": 60}));
    let m = marker();
    let em2 = em.clone();
    let m2 = m.clone();
    let busy = tokio::spawn(async move { invoke_json(&em2, "spawner", json!({"marker": m2, "sleep": 50})).await });
    assert_eq!(present(&m).await.len(), 2);
    let asked = Instant::now();
    invoke::delete_function(em.clone(), ctx(), json!({"FunctionName": "spawner"}))
        .await
        .unwrap();
    let left = gone(&m).await;
    assert!(left.is_empty(), "left after DeleteFunction mid-invocation: {left:?}");
    let (out, _) = tokio::time::timeout(Duration::from_secs(15), busy)
        .await
        .expect("the invocation in flight ends with its function")
        .unwrap();
    assert_eq!(out["FunctionError"], json!("Unhandled"), "{out}");
    assert!(asked.elapsed() < Duration::from_secs(15), "{:?}", asked.elapsed());

    // Reset.
    create_active(&em, "spawner", SPAWNER, json!({"Timeout": 30}));
    let m = marker();
    let (_, body) = invoke_json(&em, "spawner", json!({"marker": m})).await;
    assert_eq!(body, json!("spawned"));
    assert_eq!(present(&m).await.len(), 2);
    let answer = http_post(&h.url, "/_emulator/reset").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let left = gone(&m).await;
    assert!(left.is_empty(), "left after reset: {left:?}");
    make_role(&em);

    // Shutdown, with an invocation still running.
    create_active(&em, "spawner", SPAWNER, json!({"Timeout": 30}));
    let m = marker();
    let (_, body) = invoke_json(&em, "spawner", json!({"marker": m})).await;
    assert_eq!(body, json!("spawned"));
    let em2 = em.clone();
    let m2 = marker();
    let busy = tokio::spawn(async move { invoke_json(&em2, "spawner", json!({"marker": m2, "sleep": 25})).await });
    assert_eq!(present(&m).await.len(), 2);
    h.shutdown().await;
    let left = gone(&m).await;
    assert!(left.is_empty(), "left after shutdown: {left:?}");
    let (out, _) = busy.await.unwrap();
    assert_eq!(out["FunctionError"], json!("Unhandled"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_runtime_takes_its_children_along() {
    let _serial = SERIAL.lock().await;
    let (_h, em) = setup().await;
    let code = r#"
import os, subprocess, sys
def handler(event, context):
    m = event["marker"]
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", m + "-child"])
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", m + "-detached"], start_new_session=True)
    os._exit(1)
"#;
    create_active(&em, "crasher", code, json!({}));
    let m = marker();
    let (_, body) = invoke_json(&em, "crasher", json!({"marker": m})).await;
    assert_eq!(body["errorType"], json!("Runtime.ExitError"), "{body}");
    let left = gone(&m).await;
    assert!(left.is_empty(), "left after the crash: {left:?}");
}

fn peak_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let l = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    l.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_megabytes_of_output_are_capped_and_counted() {
    let _serial = SERIAL.lock().await;
    let (_h, em) = setup().await;
    let code = r#"
import sys
def handler(event, context):
    sys.stdout.write("L" * (400 * 1024) + "\n")
    line = "x" * 1023 + "\n"
    block = line * 1024
    for _ in range(100):
        sys.stdout.write(block)
    sys.stdout.flush()
    return "wrote"
"#;
    create_active(&em, "loud", code, json!({"Timeout": 300}));
    create_active(
        &em,
        "quiet",
        "def handler(event, context):\n    return 'here'\n",
        json!({}),
    );
    let before = peak_kb();
    let em2 = em.clone();
    let loud = tokio::spawn(async move { invoke_json(&em2, "loud", json!({})).await });
    // The emulator answers other calls meanwhile.
    let (_, body) = invoke_json(&em, "quiet", json!({})).await;
    assert_eq!(body, json!("here"));
    let (out, body) = loud.await.unwrap();
    assert_eq!(body, json!("wrote"), "{out}");
    let grown_mb = peak_kb().saturating_sub(before) / 1024;
    assert!(grown_mb < 64, "the emulator's peak memory grew by {grown_mb} MB");

    let ev = events(&em, "loud");
    assert!(ev.iter().all(|e| e.len() <= 256 * 1024), "an event above 256 KB");
    let long: Vec<&String> = ev.iter().filter(|e| e.starts_with('L')).collect();
    assert_eq!(long.len(), 1);
    assert_eq!(long[0].len(), MAX_EVENT_BYTES);
    let total: usize = ev.iter().map(String::len).sum();
    assert!(total <= 1024 * 1024 + 4096, "kept {total} bytes");
    let note = ev
        .iter()
        .find(|e| e.starts_with("cutover: output truncated"))
        .unwrap_or_else(|| panic!("no truncation note in {} events", ev.len()));
    assert!(
        note.contains("1 line(s) cut at 262118 bytes (147482 bytes dropped)"),
        "{note}"
    );
    assert!(!note.contains(" 0 line(s) (0 bytes) dropped"), "{note}");
    // The note comes before END, and the timeline carries the counts.
    let end = ev.iter().position(|e| e.starts_with("END RequestId")).unwrap();
    let at = ev.iter().position(|e| e == note).unwrap();
    assert!(at < end);
    let rec = em.with_world(|w| {
        w.timeline_since(0)
            .find(|t| t.message().contains("truncated"))
            .map(|t| serde_json::to_value(&t.entry).unwrap_or_default())
    });
    let rec = rec.expect("a timeline entry");
    assert_eq!(rec["cutLines"], json!(1));
    assert!(rec["droppedLines"].as_u64().unwrap() > 99_000, "{rec}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_without_a_final_newline_is_logged_as_written() {
    let _serial = SERIAL.lock().await;
    let (_h, em) = setup().await;
    let code = r#"
import sys
def handler(event, context):
    sys.stdout.write("first line\nno newline at the end")
    sys.stderr.write("stderr without newline")
    return event["n"]
"#;
    create_active(&em, "partial", code, json!({}));
    for n in 0..3 {
        let (_, body) = invoke_json(&em, "partial", json!({"n": n})).await;
        assert_eq!(body, json!(n));
    }
    let ev = events(&em, "partial");
    let joined = ev.join("\n");
    assert!(!joined.contains("cutover_log_mark"), "{joined}");
    assert_eq!(
        ev.iter().filter(|e| *e == "no newline at the end").count(),
        3,
        "{joined}"
    );
    assert_eq!(
        ev.iter().filter(|e| *e == "stderr without newline").count(),
        3,
        "{joined}"
    );
    assert_eq!(ev.iter().filter(|e| *e == "first line").count(), 3, "{joined}");
}

fn starts(em: &Emulator, name: &str, id: &str) -> usize {
    events(em, name)
        .iter()
        .filter(|e| e.starts_with(&format!("START RequestId: {id} ")))
        .count()
}

async fn settle_events(em: &Arc<Emulator>) {
    let start = Instant::now();
    while Runtime::pending_events(em) > 0 && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_event_invocations_are_retried_twice_on_the_simulated_clock() {
    let _serial = SERIAL.lock().await;
    let (_h, em) = setup().await;
    let code = "import os\ndef handler(event, context):\n    print('attempt ran')\n    os._exit(1)\n";
    create_active(&em, "flaky", code, json!({}));
    let id = em
        .with_world(|w| cutover::lifecycle::edges::invoke_async(w, &key(), "flaky", json!({"hook": "x"})))
        .unwrap();
    settle_events(&em).await;
    assert_eq!(starts(&em, "flaky", &id), 1);
    // First retry one simulated minute later, not before.
    em.advance(59.0);
    settle_events(&em).await;
    assert_eq!(starts(&em, "flaky", &id), 1);
    em.advance(1.0);
    settle_events(&em).await;
    assert_eq!(starts(&em, "flaky", &id), 2);
    // The second two minutes after that.
    em.advance(119.0);
    settle_events(&em).await;
    assert_eq!(starts(&em, "flaky", &id), 2);
    em.advance(1.0);
    settle_events(&em).await;
    assert_eq!(starts(&em, "flaky", &id), 3);
    // No third retry.
    em.advance(3600.0);
    settle_events(&em).await;
    assert_eq!(starts(&em, "flaky", &id), 3);
    let discarded = em.with_world(|w| {
        w.timeline_since(0)
            .find(|t| t.message().contains("discarded after 3 attempt(s)"))
            .map(|t| serde_json::to_value(&t.entry).unwrap_or_default())
    });
    let d = discarded.expect("a timeline entry for the discarded event");
    assert_eq!(d["requestId"], json!(id));
    assert_eq!(d["attempts"], json!(3));
    assert_eq!(d["status"], json!("Runtime.ExitError"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_event_invocation_is_not_retried() {
    let _serial = SERIAL.lock().await;
    let (_h, em) = setup().await;
    create_active(&em, "fine", "def handler(event, context):\n    return 1\n", json!({}));
    let id = em
        .with_world(|w| cutover::lifecycle::edges::invoke_async(w, &key(), "fine", json!({})))
        .unwrap();
    settle_events(&em).await;
    em.advance(600.0);
    settle_events(&em).await;
    assert_eq!(starts(&em, "fine", &id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_names_longer_than_64_are_refused() {
    let _serial = SERIAL.lock().await;
    let (_h, em) = setup().await;
    let name = "f".repeat(65);
    let e = create(&em, &name, "def handler(e, c):\n    return 1\n", json!({})).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert_eq!(
        e.message,
        format!(
            "1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64"
        )
    );
    // 64 is fine.
    create(&em, &"f".repeat(64), "def handler(e, c):\n    return 1\n", json!({})).unwrap();
    // In an ARN, the name part counts.
    let arn = format!("arn:aws:lambda:us-east-1:{ACCT}:function:{name}");
    let e = invoke::invoke(em.clone(), ctx(), json!({"FunctionName": arn}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "ValidationException", "{}", e.message);
    let e = em
        .with_world(|w| direct("GetFunction", w, &ctx(), json!({"FunctionName": name})))
        .unwrap_err();
    assert_eq!(e.code, "ValidationException", "{}", e.message);
}
