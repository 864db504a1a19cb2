// Lambda through the JS SDK v3 (pinned in package.json) against a spawned cutover: functions
// that really run as python3 and node processes, and what a user sees of them: Invoke's status,
// payload, FunctionError and LogResult, CloudWatch Logs, versions and aliases, and AWS's errors.
// The server's clock is manual: functions become Active 2 simulated seconds after
// CreateFunction, so each test advances it; function timeouts run in wall time.

import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import {
  LambdaClient,
  CreateFunctionCommand,
  CreateAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  PublishVersionCommand,
  UpdateFunctionConfigurationCommand,
  InvalidParameterValueException,
  ResourceNotFoundException,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { IAMClient, CreateRoleCommand } from "@aws-sdk/client-iam";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ACCOUNT, startServer, zipOf } from "./harness.mjs";

const REGION = "us-east-1";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/lambda-basic`;
const trust = (service) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

const PY_CODE = `
import os, time

def handler(event, context):
    print("python says hello to " + str(event.get("name")))
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise RuntimeError(event["raise"])
    return {"echo": event, "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"], "tag": os.environ.get("TAG", "none")}
`;

const NODE_CODE = `
exports.handler = (event, context, callback) => {
  console.log("node says hello to " + event.name);
  if (event.handled) return callback(null, { statusCode: 400, error: "handled: " + event.handled });
  if (event.raise) throw new RangeError(event.raise);
  if (event.sleep) return setTimeout(() => callback(null, { slept: event.sleep }), event.sleep * 1000);
  callback(null, { echo: event, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, requestId: context.awsRequestId });
};
`;

// ---- the server and helpers --------------------------------------------------------------------

let server;
let lambda;
let logs;
let iam;

before(async () => {
  server = await startServer();
  lambda = new LambdaClient({});
  logs = new CloudWatchLogsClient({});
  iam = new IAMClient({});
});

beforeEach(async () => {
  await server.reset();
  const r = await server.control("POST", "clock", { mode: "manual" });
  assert.equal(r.status, 200);
  await iam.send(new CreateRoleCommand({ RoleName: "lambda-basic", AssumeRolePolicyDocument: trust("lambda.amazonaws.com") }));
});

after(async () => {
  const { code, stderr } = await server.stop();
  assert.equal(code, 0, `cutover must exit 0 on SIGTERM; stderr:\n${stderr}`);
});

async function create(name, { runtime = "nodejs20.x", timeout = 3, ...extra } = {}) {
  const python = runtime.startsWith("python");
  const out = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: runtime,
      Role: ROLE,
      Handler: python ? "app.handler" : "index.handler",
      Code: { ZipFile: zipOf(python ? { "app.py": PY_CODE } : { "index.js": NODE_CODE }) },
      Timeout: timeout,
      ...extra,
    }),
  );
  assert.equal(out.State, "Pending");
  await server.advance(5);
  const waited = await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
  assert.equal(waited.state, "SUCCESS");
  return out;
}

async function invoke(name, event, extra = {}) {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(event)), ...extra }),
  );
  const text = new TextDecoder().decode(out.Payload ?? new Uint8Array());
  return { ...out, body: text ? JSON.parse(text) : undefined, tail: out.LogResult ? Buffer.from(out.LogResult, "base64").toString() : undefined };
}

async function logMessages(name, needle, timeoutMs = 15000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const out = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${name}` }));
      const messages = out.events.map((e) => e.message);
      if (messages.some((m) => m.includes(needle))) return messages;
    } catch (e) {
      if (e.name !== "ResourceNotFoundException") throw e;
    }
    assert.ok(Date.now() < end, `${needle} never reached /aws/lambda/${name}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- tests -------------------------------------------------------------------------------------

for (const [runtime, greeting] of [
  ["nodejs20.x", "node says"],
  ["python3.12", "python says"],
]) {
  test(`${runtime}: RequestResponse round trip, LogType Tail, logs in CloudWatch Logs`, async () => {
    const name = `echo-${runtime.replace(".", "")}`;
    const created = await create(name, { runtime });
    assert.equal(created.FunctionArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    assert.equal(got.Configuration.State, "Active");

    const event = { name: "Ada", list: [1, 2.5, "three", null, true], unicode: "żółw 🐢" };
    const out = await invoke(name, event, { LogType: "Tail" });
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.equal(out.ExecutedVersion, "$LATEST");
    assert.deepEqual(out.body.echo, event);
    assert.equal(out.body.version, "$LATEST");
    assert.ok(out.tail.includes(`${greeting} hello to Ada`), out.tail);
    assert.match(out.tail, /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m);
    assert.match(out.tail, /^REPORT RequestId: [0-9a-f-]{36}\tDuration: [0-9.]+ ms\tBilled Duration: \d+ ms/m);
    // The first call started the process: Init Duration is its start-up (spawn to the runtime's
    // first /next), which no interpreter does in under a millisecond.
    const init = /\tInit Duration: ([0-9.]+) ms/.exec(out.tail);
    assert.ok(init && Number(init[1]) > 1, out.tail);

    const warm = await invoke(name, { name: "Grace" }, { LogType: "Tail" });
    assert.deepEqual(warm.body.echo, { name: "Grace" });
    assert.ok(!warm.tail.includes("Init Duration"), "the second call reuses the warm process");

    const messages = await logMessages(name, "hello to Grace");
    assert.ok(messages.some((m) => m.includes(`${greeting} hello to Ada`)));
    assert.equal(messages.filter((m) => m.startsWith("END RequestId: ")).length, 2);
    assert.ok(!messages.some((m) => m.includes("cutover_log_mark")), "end-of-output marks are never logged");
  });
}

test("Qualifier: a published version and an alias run what was published", async () => {
  await create("versioned", { Environment: { Variables: { TAG: "one" } }, runtime: "python3.12" });
  const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: "versioned" }));
  assert.equal(v1.Version, "1");
  await lambda.send(new CreateAliasCommand({ FunctionName: "versioned", Name: "live", FunctionVersion: "1" }));
  await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: "versioned", Environment: { Variables: { TAG: "two" } } }),
  );
  await server.advance(5);
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: "versioned" });

  const latest = await invoke("versioned", {});
  assert.deepEqual([latest.ExecutedVersion, latest.body.tag], ["$LATEST", "two"]);
  const one = await invoke("versioned", {}, { Qualifier: "1" });
  assert.deepEqual([one.ExecutedVersion, one.body.tag, one.body.version], ["1", "one", "1"]);
  const live = await invoke("versioned", {}, { Qualifier: "live" });
  assert.deepEqual([live.ExecutedVersion, live.body.tag], ["1", "one"]);
});

test("Event answers 202 and runs later; DryRun answers 204 and runs nothing", async () => {
  await create("async-fn");
  const dry = await invoke("async-fn", {}, { InvocationType: "DryRun" });
  assert.equal(dry.StatusCode, 204);
  const queued = await invoke("async-fn", { name: "later" }, { InvocationType: "Event" });
  assert.equal(queued.StatusCode, 202);
  assert.equal(queued.body, undefined);
  const messages = await logMessages("async-fn", "node says hello to later");
  assert.equal(messages.filter((m) => m.startsWith("START RequestId: ")).length, 1);
});

test("handled results, unhandled exceptions and a timeout", async () => {
  await create("node-errors", { timeout: 1 });
  const handled = await invoke("node-errors", { handled: "nope" });
  assert.equal(handled.StatusCode, 200);
  assert.equal(handled.FunctionError, undefined);
  assert.deepEqual(handled.body, { statusCode: 400, error: "handled: nope" });

  const thrown = await invoke("node-errors", { raise: "out of range" }, { LogType: "Tail" });
  assert.equal(thrown.StatusCode, 200);
  assert.equal(thrown.FunctionError, "Unhandled");
  assert.equal(thrown.body.errorType, "RangeError");
  assert.equal(thrown.body.errorMessage, "out of range");
  assert.equal(thrown.body.trace[0], "RangeError: out of range");
  assert.ok(thrown.body.trace.some((l) => l.includes("index.js")));

  const slow = await invoke("node-errors", { sleep: 3 }, { LogType: "Tail" });
  assert.equal(slow.FunctionError, "Unhandled");
  const rid = slow.$metadata.requestId;
  assert.deepEqual(slow.body, {
    errorType: "Sandbox.Timedout",
    errorMessage: `RequestId: ${rid} Error: Task timed out after 1.00 seconds`,
  });
  assert.ok(slow.tail.includes(`${rid} Task timed out after 1.00 seconds`), slow.tail);

  await create("py-errors", { runtime: "python3.12" });
  const py = await invoke("py-errors", { raise: "boom" });
  assert.equal(py.FunctionError, "Unhandled");
  assert.deepEqual(Object.keys(py.body).sort(), ["errorMessage", "errorType", "requestId", "stackTrace"]);
  assert.equal(py.body.errorType, "RuntimeError");
  assert.equal(py.body.errorMessage, "boom");
  assert.ok(Array.isArray(py.body.stackTrace) && py.body.stackTrace.some((f) => f.includes("app.py")));
});

test("bad roles and unknown functions get AWS's errors", async () => {
  const attempt = (role) =>
    lambda.send(
      new CreateFunctionCommand({
        FunctionName: "nope",
        Runtime: "nodejs20.x",
        Role: role,
        Handler: "index.handler",
        Code: { ZipFile: zipOf({ "index.js": NODE_CODE }) },
      }),
    );
  const message = "The role defined for the function cannot be assumed by Lambda.";
  await assert.rejects(attempt(`arn:aws:iam::${ACCOUNT}:role/missing`), (e) => {
    assert.ok(e instanceof InvalidParameterValueException, e.name);
    assert.equal(e.message, message);
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
  const ecs = await iam.send(new CreateRoleCommand({ RoleName: "ecs-only", AssumeRolePolicyDocument: trust("ecs-tasks.amazonaws.com") }));
  await assert.rejects(attempt(ecs.Role.Arn), (e) => e instanceof InvalidParameterValueException && e.message === message);

  await assert.rejects(invoke("nope", {}), (e) => {
    assert.ok(e instanceof ResourceNotFoundException, e.name);
    assert.equal(e.message, `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:nope`);
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
});

test("parallel invocations all succeed", async () => {
  await create("parallel");
  const n = 6;
  const outs = await Promise.all(Array.from({ length: n }, (_, i) => invoke("parallel", { name: `p${i}` })));
  assert.deepEqual(outs.map((o) => o.StatusCode), Array(n).fill(200));
  assert.ok(outs.every((o) => o.FunctionError === undefined));
  assert.deepEqual(outs.map((o) => o.body.echo.name).sort(), Array.from({ length: n }, (_, i) => `p${i}`).sort());
  assert.equal(new Set(outs.map((o) => o.body.requestId)).size, n);
});
