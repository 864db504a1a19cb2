// The spawned-server harness for the JS SDK tests: `cutover serve --bind 127.0.0.1:0 --clock
// manual` (CUTOVER_BIN overrides the binary), the URL from its first stdout line, the environment
// a user would set, a reset before each test, and SIGTERM at the end with exit code 0 required.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

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
