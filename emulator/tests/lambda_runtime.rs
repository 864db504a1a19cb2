//! Lambda functions that really run: real `python3` and `node` processes behind the Runtime API.
//! Needs python3 and node on PATH (the JS SDK v2 test also needs npm to reach its registry).

use base64::Engine as _;
use cutover::model::Service;
use cutover::protocol::AwsError;
use cutover::runtime::lambda::invoke;
use cutover::server::{self, ServerHandle};
use cutover::services::lambda::functions;
use cutover::services::Ctx;
use cutover::sim::ClockMode;
use cutover::Emulator;
use serde_json::{json, Value};
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

async fn setup() -> (ServerHandle, Arc<Emulator>) {
    let h = server::start("127.0.0.1:0", ClockMode::Manual).await.unwrap();
    let em = h.emulator.clone();
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
    (h, em)
}

fn create(
    em: &Emulator,
    name: &str,
    runtime: &str,
    handler: &str,
    files: &[(&str, &str)],
    extra: Value,
) -> Result<Value, AwsError> {
    let mut input = json!({
        "FunctionName": name, "Runtime": runtime, "Handler": handler, "Role": ROLE,
        "Code": {"ZipFile": zip_of(files)},
    });
    if let (Some(o), Value::Object(e)) = (input.as_object_mut(), extra) {
        o.extend(e);
    }
    em.with_world(|w| direct("CreateFunction", w, &ctx(), input))
}

/// Creates a function and lets it become Active.
fn create_active(em: &Emulator, name: &str, runtime: &str, handler: &str, files: &[(&str, &str)], extra: Value) {
    create(em, name, runtime, handler, files, extra).unwrap();
    em.advance(functions::SETTLE_SECS + 1.0);
}

async fn call(em: &Arc<Emulator>, input: Value) -> Result<Value, AwsError> {
    invoke::invoke(em.clone(), ctx(), input).await
}

async fn invoke_json(em: &Arc<Emulator>, name: &str, payload: Value) -> (Value, Value) {
    let out = call(
        em,
        json!({"FunctionName": name, "Payload": B64.encode(payload.to_string()), "LogType": "Tail"}),
    )
    .await
    .unwrap();
    let body = B64.decode(out["Payload"].as_str().unwrap()).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::String(String::from_utf8_lossy(&body).into()));
    (out, v)
}

fn log_text(em: &Emulator, name: &str) -> String {
    em.with_world(|w| {
        let key = cutover::world::PartitionKey::new(ACCT, "us-east-1");
        let Some(g) = w
            .region(&key)
            .and_then(|r| r.logs.groups.get(&format!("/aws/lambda/{name}")))
        else {
            return String::new();
        };
        g.streams
            .values()
            .flat_map(|s| s.events.iter().map(|e| format!("{}|{}", s.name, e.message)))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

async fn wait_for_log(em: &Emulator, name: &str, needle: &str, secs: u64) -> String {
    let start = Instant::now();
    loop {
        let t = log_text(em, name);
        if t.contains(needle) || start.elapsed() > Duration::from_secs(secs) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const PY_ECHO: &str = r#"
import json, os, urllib.request

def whoami():
    url = os.environ["AWS_ENDPOINT_URL"]
    auth = "AWS4-HMAC-SHA256 Credential=%s/20240101/%s/sts/aws4_request, SignedHeaders=host, Signature=0" % (
        os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_REGION"])
    req = urllib.request.Request(url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15", method="POST",
        headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(req).read().decode()

def handler(event, context):
    print("got event", json.dumps(event))
    return {"echo": event, "name": context.function_name, "env": {k: os.environ.get(k) for k in [
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION",
        "AWS_DEFAULT_REGION", "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "TZ", "MY_VAR"]}, "whoami": whoami(), "remaining": context.get_remaining_time_in_millis()}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_round_trip_with_environment_credentials_and_logs() {
    let (_h, em) = setup().await;
    create_active(
        &em,
        "py",
        "python3.12",
        "app.handler",
        &[("app.py", PY_ECHO)],
        json!({"Environment": {"Variables": {"MY_VAR": "hello"}}, "MemorySize": 256}),
    );
    let (out, v) = invoke_json(&em, "py", json!({"k": 1})).await;
    assert_eq!(out["StatusCode"], 200, "{out}");
    assert!(out.get("FunctionError").is_none(), "{v}");
    assert_eq!(out["ExecutedVersion"], "$LATEST");
    assert_eq!(v["echo"], json!({"k": 1}));
    assert_eq!(v["name"], "py");
    let env = &v["env"];
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "py");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["_HANDLER"], "app.handler");
    assert_eq!(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/py");
    assert_eq!(env["TZ"], ":UTC");
    assert_eq!(env["MY_VAR"], "hello");
    let stream = env["AWS_LAMBDA_LOG_STREAM_NAME"].as_str().unwrap();
    assert!(regex_like_stream(stream), "{stream}");
    assert!(v["remaining"].as_i64().unwrap() > 0);
    // Credentials of the execution role, seen by STS.
    let who = v["whoami"].as_str().unwrap();
    assert!(
        who.contains("<Arn>arn:aws:sts::000000000000:assumed-role/fn-role/py</Arn>"),
        "{who}"
    );
    // LogResult: the tail of this invocation's log.
    let tail = String::from_utf8(B64.decode(out["LogResult"].as_str().unwrap()).unwrap()).unwrap();
    assert!(tail.contains("START RequestId: "), "{tail}");
    assert!(tail.contains("got event {\"k\": 1}"), "{tail}");
    assert!(tail.contains("END RequestId: "), "{tail}");
    assert!(
        tail.contains("REPORT RequestId: ") && tail.contains("Memory Size: 256 MB"),
        "{tail}"
    );
    // CloudWatch Logs.
    let logs = log_text(&em, "py");
    assert!(logs.contains(&format!("{stream}|got event {{\"k\": 1}}")), "{logs}");
    assert!(logs.contains("Init Duration:"), "{logs}");
    // A second call reuses the warm instance: same stream, no init.
    let (out2, _) = invoke_json(&em, "py", json!({"k": 2})).await;
    let tail2 = String::from_utf8(B64.decode(out2["LogResult"].as_str().unwrap()).unwrap()).unwrap();
    assert!(!tail2.contains("Init Duration"), "{tail2}");
    assert_eq!(em.lambda.instance_count(), 1);
}

fn regex_like_stream(s: &str) -> bool {
    // YYYY/MM/DD/[$LATEST]<32 hex>
    let b = s.as_bytes();
    s.len() == 10 + 1 + 9 + 32
        && b[4] == b'/'
        && b[7] == b'/'
        && &s[10..20] == "/[$LATEST]"
        && s[20..].bytes().all(|c| c.is_ascii_hexdigit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_errors_timeouts_and_crashes() {
    let (_h, em) = setup().await;
    let code = r#"
import os, time
def boom(event, context):
    raise ValueError("boom")
def slow(event, context):
    time.sleep(5)
    return "late"
def crash(event, context):
    print("about to crash")
    os._exit(3)
"#;
    create_active(&em, "boom", "python3.12", "app.boom", &[("app.py", code)], json!({}));
    create_active(
        &em,
        "slow",
        "python3.12",
        "app.slow",
        &[("app.py", code)],
        json!({"Timeout": 1}),
    );
    create_active(&em, "crash", "python3.12", "app.crash", &[("app.py", code)], json!({}));
    create_active(
        &em,
        "noimport",
        "python3.12",
        "missing.handler",
        &[("app.py", code)],
        json!({}),
    );

    let (out, v) = invoke_json(&em, "boom", json!({})).await;
    assert_eq!(out["FunctionError"], "Unhandled");
    assert_eq!(v["errorType"], "ValueError");
    assert_eq!(v["errorMessage"], "boom");
    assert!(v["stackTrace"].as_array().is_some_and(|a| !a.is_empty()), "{v}");
    let logs = log_text(&em, "boom");
    assert!(logs.contains("[ERROR] ValueError: boom\nTraceback"), "{logs}");

    let started = Instant::now();
    let (out, v) = invoke_json(&em, "slow", json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout was not enforced"
    );
    assert_eq!(out["FunctionError"], "Unhandled");
    assert_eq!(v["errorType"], "Sandbox.Timedout");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Task timed out after 1.00 seconds"),
        "{v}"
    );
    assert!(log_text(&em, "slow").contains("Task timed out after 1.00 seconds"));

    let (out, v) = invoke_json(&em, "crash", json!({})).await;
    assert_eq!(out["FunctionError"], "Unhandled");
    assert_eq!(v["errorType"], "Runtime.ExitError", "{v}");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Runtime exited with error: exit status 3"),
        "{v}"
    );
    let tail = String::from_utf8(B64.decode(out["LogResult"].as_str().unwrap()).unwrap()).unwrap();
    assert!(
        tail.contains("about to crash") && tail.contains("Runtime.ExitError"),
        "{tail}"
    );

    let (out, v) = invoke_json(&em, "noimport", json!({})).await;
    assert_eq!(out["FunctionError"], "Unhandled");
    assert_eq!(v["errorType"], "Runtime.ImportModuleError", "{v}");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .starts_with("Unable to import module 'missing'"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_round_trip_and_error() {
    let (_h, em) = setup().await;
    let code = r#"
exports.ok = async (event, context) => {
  console.log('hello from node', JSON.stringify(event));
  return { echo: event, fn: context.functionName, v: process.env.AWS_LAMBDA_FUNCTION_VERSION };
};
exports.cb = (event, context, callback) => { callback(null, 'via callback'); };
exports.bad = async () => { throw new Error('nope'); };
"#;
    let esm = "export const handler = async (event) => ({ esm: true, n: event.n });\n";
    create_active(&em, "node", "nodejs20.x", "index.ok", &[("index.js", code)], json!({}));
    create_active(
        &em,
        "nodecb",
        "nodejs22.x",
        "index.cb",
        &[("index.js", code)],
        json!({}),
    );
    create_active(
        &em,
        "nodebad",
        "nodejs18.x",
        "index.bad",
        &[("index.js", code)],
        json!({}),
    );
    create_active(
        &em,
        "nodeesm",
        "nodejs20.x",
        "index.handler",
        &[("index.mjs", esm)],
        json!({}),
    );
    let (out, v) = invoke_json(&em, "node", json!({"a": [1, 2]})).await;
    assert!(out.get("FunctionError").is_none(), "{v}");
    assert_eq!(v, json!({"echo": {"a": [1, 2]}, "fn": "node", "v": "$LATEST"}));
    let logs = log_text(&em, "node");
    assert!(logs.contains("\tINFO\thello from node {\"a\":[1,2]}"), "{logs}");
    let (_, v) = invoke_json(&em, "nodecb", json!({})).await;
    assert_eq!(v, json!("via callback"));
    let (out, v) = invoke_json(&em, "nodebad", json!({})).await;
    assert_eq!(out["FunctionError"], "Unhandled");
    assert_eq!(v["errorType"], "Error");
    assert_eq!(v["errorMessage"], "nope");
    assert!(v["trace"].as_array().is_some_and(|a| !a.is_empty()), "{v}");
    let (_, v) = invoke_json(&em, "nodeesm", json!({"n": 7})).await;
    assert_eq!(v, json!({"esm": true, "n": 7}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_invocations_start_instances_on_demand() {
    let (_h, em) = setup().await;
    let code = "import time\ndef handler(event, context):\n    time.sleep(0.7)\n    return event\n";
    create_active(&em, "par", "python3.12", "app.handler", &[("app.py", code)], json!({}));
    let (a, b) = tokio::join!(invoke_json(&em, "par", json!(1)), invoke_json(&em, "par", json!(2)));
    assert_eq!((a.1, b.1), (json!(1), json!(2)));
    assert_eq!(em.lambda.instance_count(), 2);
    // Both warm now: a third call starts nothing new.
    invoke_json(&em, "par", json!(3)).await;
    assert_eq!(em.lambda.instance_count(), 2);
    let streams = em.with_world(|w| {
        let key = cutover::world::PartitionKey::new(ACCT, "us-east-1");
        w.region(&key).unwrap().logs.groups["/aws/lambda/par"].streams.len()
    });
    assert_eq!(streams, 2);
    // Deleting the function stops its instances.
    invoke::delete_function(em.clone(), ctx(), json!({"FunctionName": "par"}))
        .await
        .unwrap();
    assert_eq!(em.lambda.instance_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_invocations_are_drained_and_run() {
    let (_h, em) = setup().await;
    let code = "import json\ndef handler(event, context):\n    print('event ran', json.dumps(event))\n";
    create_active(&em, "ev", "python3.11", "app.handler", &[("app.py", code)], json!({}));
    let key = cutover::world::PartitionKey::new(ACCT, "us-east-1");
    em.with_world(|w| cutover::lifecycle::edges::invoke_async(w, &key, "ev", json!({"hook": "AfterInstall"})))
        .unwrap();
    let logs = wait_for_log(&em, "ev", "event ran {\"hook\": \"AfterInstall\"}", 15).await;
    assert!(logs.contains("event ran {\"hook\": \"AfterInstall\"}"), "{logs}");
    // Through the API too: 202, nothing in the payload.
    let out = call(
        &em,
        json!({"FunctionName": "ev", "InvocationType": "Event", "Payload": B64.encode(r#"{"n":2}"#)}),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"StatusCode": 202}));
    let logs = wait_for_log(&em, "ev", "event ran {\"n\": 2}", 15).await;
    assert!(logs.contains("event ran {\"n\": 2}"), "{logs}");
    let dry = call(&em, json!({"FunctionName": "ev", "InvocationType": "DryRun"}))
        .await
        .unwrap();
    assert_eq!(dry, json!({"StatusCode": 204}));
    assert!(em.with_world(|w| w.region(&key).unwrap().lambda.pending.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_invocation_with_a_missing_interpreter_logs_an_error() {
    let (_h, em) = setup().await;
    let mut s = em.lambda.settings();
    s.python = "/nonexistent/python3".into();
    em.lambda.set_settings(s);
    create_active(
        &em,
        "nopy",
        "python3.12",
        "app.handler",
        &[("app.py", "def handler(e, c):\n    return 1\n")],
        json!({}),
    );
    let key = cutover::world::PartitionKey::new(ACCT, "us-east-1");
    em.with_world(|w| cutover::lifecycle::edges::invoke_async(w, &key, "nopy", json!({})))
        .unwrap();
    let logs = wait_for_log(&em, "nopy", "could not start", 10).await;
    assert!(logs.contains("cutover could not start /nonexistent/python3"), "{logs}");
    assert!(logs.contains("REPORT RequestId:"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_while_pending_is_a_conflict() {
    let (_h, em) = setup().await;
    create(
        &em,
        "pend",
        "python3.12",
        "app.handler",
        &[("app.py", "def handler(e, c):\n    return 1\n")],
        json!({}),
    )
    .unwrap();
    let e = call(&em, json!({"FunctionName": "pend"})).await.unwrap_err();
    assert_eq!(e.code, "ResourceConflictException");
    assert_eq!(
        e.message,
        "The operation cannot be performed at this time. The function is currently in the following state: Pending"
    );
    em.advance(functions::SETTLE_SECS);
    let (out, v) = invoke_json(&em, "pend", json!({})).await;
    assert_eq!((out["StatusCode"].clone(), v), (json!(200), json!(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_updates_stop_old_instances_and_versions_run_their_code() {
    let (_h, em) = setup().await;
    create_active(
        &em,
        "ver",
        "python3.12",
        "app.handler",
        &[("app.py", "def handler(e, c):\n    return 'v1'\n")],
        json!({}),
    );
    em.with_world(|w| direct("PublishVersion", w, &ctx(), json!({"FunctionName": "ver"})))
        .unwrap();
    assert_eq!(invoke_json(&em, "ver", json!({})).await.1, json!("v1"));
    invoke::update_function_code(
        em.clone(),
        ctx(),
        json!({"FunctionName": "ver", "ZipFile": zip_of(&[("app.py", "def handler(e, c):\n    return 'v2'\n")])}),
    )
    .await
    .unwrap();
    assert_eq!(em.lambda.instance_count(), 0);
    em.advance(functions::SETTLE_SECS);
    assert_eq!(invoke_json(&em, "ver", json!({})).await.1, json!("v2"));
    let out = call(&em, json!({"FunctionName": "ver", "Qualifier": "1"}))
        .await
        .unwrap();
    assert_eq!(out["ExecutedVersion"], "1");
    assert_eq!(B64.decode(out["Payload"].as_str().unwrap()).unwrap(), b"\"v1\"");
}

/// A CodeDeploy lifecycle hook written like the lab's, without the SDK: an HTTP GET, then
/// PutLifecycleEventHookExecutionStatus as a raw awsJson call against the emulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_hook_calls_the_emulator() {
    let (h, em) = setup().await;
    let code = r#"
const http = require('http');
function req(method, path, headers, body) {
  const u = new URL(process.env.AWS_ENDPOINT_URL);
  return new Promise((resolve, reject) => {
    const r = http.request({ host: u.hostname, port: u.port, path, method, headers }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode, body: data }));
    });
    r.on('error', reject);
    if (body) r.write(body);
    r.end();
  });
}
exports.handler = async (event) => {
  const get = await req('GET', '/_emulator/health', {});
  const body = JSON.stringify({ deploymentId: event.DeploymentId, lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId, status: 'Succeeded' });
  const put = await req('POST', '/', {
    'Content-Type': 'application/x-amz-json-1.1',
    'X-Amz-Target': 'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus',
    Authorization: `AWS4-HMAC-SHA256 Credential=${process.env.AWS_ACCESS_KEY_ID}/20240101/${process.env.AWS_REGION}/codedeploy/aws4_request, SignedHeaders=host, Signature=0`,
    'X-Amz-Security-Token': process.env.AWS_SESSION_TOKEN,
  }, body);
  return { get: get.status, put: put.status, putBody: put.body };
};
"#;
    create_active(
        &em,
        "hook",
        "nodejs20.x",
        "index.handler",
        &[("index.js", code)],
        json!({}),
    );
    let (out, v) = invoke_json(
        &em,
        "hook",
        json!({"DeploymentId": "d-ABCDEFGHI", "LifecycleEventHookExecutionId": "x"}),
    )
    .await;
    assert!(out.get("FunctionError").is_none(), "{v}");
    assert_eq!(v["get"], 200, "{v}");
    // The call reached the emulator's CodeDeploy, which knows no such deployment.
    assert_eq!(v["put"], 400, "{v}");
    assert!(
        v["putBody"]
            .as_str()
            .unwrap()
            .contains("DeploymentDoesNotExistException"),
        "{v}"
    );
    drop(h);
}

/// The JS SDK v2 does not read AWS_ENDPOINT_URL; the preloaded module points it at the emulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_sdk_v2_is_pointed_at_the_emulator() {
    let cache = std::env::temp_dir().join("cutover-test-aws-sdk-v2");
    let modules = cache.join("node_modules");
    if !modules.join("aws-sdk").join("package.json").is_file() {
        std::fs::create_dir_all(&cache).unwrap();
        let status = tokio::time::timeout(
            Duration::from_secs(240),
            tokio::process::Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&cache)
                .arg("aws-sdk@2")
                .status(),
        )
        .await;
        if !matches!(status, Ok(Ok(s)) if s.success()) {
            eprintln!("SKIPPED js_sdk_v2_is_pointed_at_the_emulator: npm could not install aws-sdk@2 ({status:?})");
            return;
        }
    }
    let (_h, em) = setup().await;
    let mut s = em.lambda.settings();
    s.node_path = vec![modules.clone()];
    em.lambda.set_settings(s);
    let code = r#"
const AWS = require('aws-sdk');
exports.handler = async () => {
  const who = await new AWS.STS().getCallerIdentity({}).promise();
  return { arn: who.Arn, endpoint: AWS.config.endpoint };
};
"#;
    create_active(
        &em,
        "v2",
        "nodejs20.x",
        "index.handler",
        &[("index.js", code)],
        json!({"Timeout": 30}),
    );
    let (out, v) = invoke_json(&em, "v2", json!({})).await;
    assert!(out.get("FunctionError").is_none(), "{v}");
    assert_eq!(v["arn"], "arn:aws:sts::000000000000:assumed-role/fn-role/v2", "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refuses_bad_code_runtimes_and_roles() {
    let (_h, em) = setup().await;
    let hostile = create(
        &em,
        "evil",
        "python3.12",
        "app.handler",
        &[("../evil.py", "x = 1")],
        json!({}),
    )
    .unwrap_err();
    assert_eq!(hostile.code, "InvalidParameterValueException");
    assert!(
        hostile.message.starts_with("Could not unzip uploaded file."),
        "{}",
        hostile.message
    );
    let abs = create(
        &em,
        "evil2",
        "python3.12",
        "app.handler",
        &[("/etc/evil.py", "x = 1")],
        json!({}),
    )
    .unwrap_err();
    assert_eq!(abs.code, "InvalidParameterValueException");
    let garbage = em
        .with_world(|w| {
            direct("CreateFunction", 
                w,
                &ctx(),
                json!({"FunctionName": "g", "Runtime": "python3.12", "Handler": "a.b", "Role": ROLE, "Code": {"ZipFile": B64.encode(b"not a zip")}}),
            )
        })
        .unwrap_err();
    assert_eq!(garbage.code, "InvalidParameterValueException");
    let old = create(
        &em,
        "old",
        "nodejs8.10",
        "index.handler",
        &[("index.js", "")],
        json!({}),
    )
    .unwrap_err();
    assert_eq!(old.code, "InvalidParameterValueException");
    assert_eq!(
        old.message,
        "The runtime parameter of nodejs8.10 is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (nodejs22.x) while creating or updating functions."
    );
    em.with_world(|w| {
        let c = Ctx::internal(Service::Iam, ACCT, "us-east-1");
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        direct("CreateRole", w, &c, json!({"RoleName": "ec2-role", "AssumeRolePolicyDocument": trust})).unwrap();
    });
    for role in [
        "arn:aws:iam::000000000000:role/ec2-role",
        "arn:aws:iam::000000000000:role/nope",
    ] {
        let e = create(
            &em,
            "r",
            "python3.12",
            "app.handler",
            &[("app.py", "")],
            json!({"Role": role}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValueException");
        assert_eq!(
            e.message,
            "The role defined for the function cannot be assumed by Lambda."
        );
    }
    let s3 = em
        .with_world(|w| {
            direct("CreateFunction", 
                w,
                &ctx(),
                json!({"FunctionName": "s3", "Runtime": "python3.12", "Handler": "a.b", "Role": ROLE, "Code": {"S3Bucket": "b", "S3Key": "k"}}),
            )
        })
        .unwrap_err();
    assert_eq!(s3.code, "InvalidParameterValueException");
    assert!(s3.message.contains("cutover does not emulate"), "{}", s3.message);
}

/// provided.al2023: the function's own `bootstrap` (here a Python script) speaks the Runtime API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provided_runtime_runs_the_functions_bootstrap() {
    let (_h, em) = setup().await;
    let bootstrap = r#"#!/usr/bin/env python3
import json, os, urllib.request
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    r = urllib.request.urlopen("http://%s/2018-06-01/runtime/invocation/next" % api)
    rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    ev = json.loads(r.read())
    print("custom runtime got", ev, flush=True)
    body = json.dumps({"custom": ev, "handler": os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(
        "http://%s/2018-06-01/runtime/invocation/%s/response" % (api, rid), data=body, method="POST"))
"#;
    create_active(
        &em,
        "custom",
        "provided.al2023",
        "my.handler",
        &[("bootstrap", bootstrap)],
        json!({}),
    );
    let (out, v) = invoke_json(&em, "custom", json!({"x": 1})).await;
    assert!(out.get("FunctionError").is_none(), "{v}");
    assert_eq!(v, json!({"custom": {"x": 1}, "handler": "my.handler"}));
    assert!(log_text(&em, "custom").contains("custom runtime got {'x': 1}"));
    create_active(&em, "noboot", "provided.al2", "x", &[("other", "")], json!({}));
    let (out, v) = invoke_json(&em, "noboot", json!({})).await;
    assert_eq!(out["FunctionError"], "Unhandled");
    assert_eq!(v["errorType"], "Runtime.InvalidEntrypoint");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Couldn't find valid bootstrap(s)"),
        "{v}"
    );
}
