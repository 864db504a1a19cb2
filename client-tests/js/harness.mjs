// The spawned-server harness for the JS SDK tests: `cutover serve --bind 127.0.0.1:0 --clock
// manual` (CUTOVER_BIN overrides the binary), the URL from its first stdout line, the environment
// a user would set, a reset before each test, and SIGTERM at the end with exit code 0 required.
// Also what several tests share: the manual clock's helpers, a hand-built zip for Lambda code, and
// the inputs of the labs' target groups, task definitions and blue/green deployment groups.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";

const repo = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

// The emulator's one account.
export const ACCOUNT = "000000000000";

export function cutoverBin() {
  if (process.env.CUTOVER_BIN) return process.env.CUTOVER_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(repo, "target");
  return join(target, "debug", "cutover");
}

export async function startServer() {
  const bin = cutoverBin();
  if (!existsSync(bin)) {
    throw new Error(`cutover binary not found at ${bin}: run \`cargo build -p cutover --bin cutover\` or set CUTOVER_BIN`);
  }
  const env = { ...process.env };
  delete env.CUTOVER_BIND;
  delete env.CUTOVER_CLOCK;
  const proc = spawn(bin, ["serve", "--bind", "127.0.0.1:0", "--clock", "manual"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((res) => proc.on("exit", (code, signal) => res({ code, signal })));
  const url = await new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => rej(new Error(`cutover printed no ready line in 30s; stderr:\n${stderr}`)), 30000);
    const onData = (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      proc.stdout.off("data", onData);
      proc.stdout.resume(); // keep draining
      const line = out.slice(0, nl).trim();
      if (line.startsWith("ready http://")) res(line.slice("ready ".length));
      else rej(new Error(`unexpected first line ${JSON.stringify(line)}; stderr:\n${stderr}`));
    };
    proc.stdout.on("data", onData);
    exited.then(({ code }) => rej(new Error(`cutover exited ${code} before it was ready; stderr:\n${stderr}`)));
  });

  const isolated = mkdtempSync(join(tmpdir(), "cutover-aws-config-"));
  for (const k of ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE"]) delete process.env[k];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: join(isolated, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(isolated, "credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
  });

  return {
    url,
    async control(method, path, body) {
      const r = await fetch(`${url}/_emulator/${path}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    async reset() {
      const r = await this.control("POST", "reset");
      if (r.status !== 200) throw new Error(`reset answered ${r.status}`);
    },
    // Moves the manual clock `secs` simulated seconds on.
    async advance(secs) {
      const r = await this.control("POST", "clock", { advance: secs });
      assert.equal(r.status, 200, `advance ${secs}: ${JSON.stringify(r.body)}`);
    },
    // Advances the manual clock `step` seconds at a time until `pred()` resolves truthy; gives the seconds spent.
    async advanceUntil(pred, what, step = 5, limit = 3600) {
      for (let spent = 0; ; spent += step) {
        if (await pred()) return spent;
        assert.ok(spent < limit, `${what} not reached within ${limit} simulated seconds`);
        await this.advance(step);
      }
    },
    // Sends SIGTERM and resolves to the exit code (graceful shutdown must give 0).
    async stop() {
      if (proc.exitCode !== null) return { code: proc.exitCode, stderr };
      proc.kill("SIGTERM");
      let timer;
      const timeout = new Promise((res) => {
        timer = setTimeout(() => res(null), 15000);
      });
      const done = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (done === null) {
        proc.kill("SIGKILL");
        return { code: "no exit within 15s of SIGTERM", stderr };
      }
      return { code: done.code, signal: done.signal, stderr };
    },
  };
}

// Waits on the wall clock (hooks and functions are real processes) until `pred()` resolves truthy; gives its value.
export async function waitWall(pred, what, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    assert.ok(Date.now() < end, `${what} not reached within ${ms} ms of wall time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A stored (uncompressed) zip of `files` ({ name: text }), built in memory: no npm package for it.
export function zipOf(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const nameBuf = Buffer.from(name, "utf8");
    const data = Buffer.from(text, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by: unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

// CreateTargetGroup's input for the labs' target groups: HTTP on port 3000, IP targets, `/` checked every 6 s.
export function targetGroupInput(name, vpc) {
  return {
    Name: name,
    VpcId: vpc,
    Port: 3000,
    Protocol: "HTTP",
    TargetType: "ip",
    HealthCheckProtocol: "HTTP",
    HealthCheckPath: "/",
    HealthCheckIntervalSeconds: 6,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 2,
    UnhealthyThresholdCount: 2,
  };
}

// RegisterTaskDefinition's input for a one-container Fargate task: `container` (and `extra`) runs ECR's `image` on 3000.
export function taskDefinitionInput(family, container, image, extra = {}) {
  return {
    family,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: "256",
    memory: "512",
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
    containerDefinitions: [
      {
        name: container,
        image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${image}`,
        ...extra,
        essential: true,
        portMappings: [{ containerPort: 3000, protocol: "tcp" }],
      },
    ],
  };
}

// CreateDeploymentGroup's blue/green part for the labs: traffic control, rollback on failure, blue terminated after 5 min.
export function blueGreenGroupInput(blue, green, prodListener, testListener) {
  return {
    autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE"] },
    deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
    blueGreenDeploymentConfiguration: {
      terminateBlueInstancesOnDeploymentSuccess: { action: "TERMINATE", terminationWaitTimeInMinutes: 5 },
      deploymentReadyOption: { actionOnTimeout: "CONTINUE_DEPLOYMENT", waitTimeInMinutes: 0 },
    },
    loadBalancerInfo: {
      targetGroupPairInfoList: [
        {
          targetGroups: [{ name: blue }, { name: green }],
          prodTrafficRoute: { listenerArns: [prodListener] },
          testTrafficRoute: { listenerArns: [testListener] },
        },
      ],
    },
  };
}
