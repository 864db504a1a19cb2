"""Lambda benchmark: cold start and warm Invoke latency of a Python and a Node function, each
against a baseline measured in the same run. Driven by bench/lambda.sh, which starts cutover
(release build, manual clock) and passes its URL; prints one JSON object.

Baselines:
- cold start: the bare interpreter (`python3 -c pass`, `node -e 0`), spawned and waited for
  (spawn → exit) in the environment cutover gives functions (PATH, LANG, TZ), alternating
  sample by sample with the cold invocations (and the two runtimes with each other);
- warm invoke: the handler's own time, measured inside the handler (time.perf_counter_ns /
  process.hrtime.bigint from entry to return) and returned in the payload; the emulator's
  overhead of one invocation is the client's end-to-end latency minus that time. For scale, the
  same client's round trip to `GET /_emulator/health` (cutover's HTTP stack and the client, with
  no AWS codec and no function) is measured in the same run.

Client: Python's http.client over one keep-alive connection, sending the request botocore sends
for Invoke (POST /2015-03-31/functions/NAME/invocations, SigV4-shaped Authorization; cutover
does not check signatures). Every loop is bounded by its sample count; loopback only.
"""

import base64
import http.client
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile

import boto3
from botocore.config import Config

URL = sys.argv[1]
COLD = int(os.environ.get("COLD", "20"))
WARM = int(os.environ.get("WARM", "1000"))
WARMUP = int(os.environ.get("WARM_WARMUP", "50"))
PYTHON = os.environ.get("FUNCTION_PYTHON") or shutil.which("python3")
NODE = os.environ.get("FUNCTION_NODE") or shutil.which("node")

PY_CODE = """
import time

def handler(event, context):
    t0 = time.perf_counter_ns()
    out = {"echo": event.get("n")}
    out["own_ns"] = time.perf_counter_ns() - t0
    return out
"""

NODE_CODE = """
exports.handler = async (event) => {
  const t0 = process.hrtime.bigint();
  const out = { echo: event.n };
  out.own_ns = Number(process.hrtime.bigint() - t0);
  return out;
};
"""

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def control(path, body):
    req = urllib.request.Request(
        URL + "/_emulator/" + path, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def zip_of(name, text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, text)
    return buf.getvalue()


def client(service):
    return boto3.client(
        service, endpoint_url=URL, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}),
    )


class Invoker:
    """One keep-alive connection; sends what botocore sends for Invoke."""

    def __init__(self):
        u = urllib.parse.urlsplit(URL)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def invoke(self, name, event, tail=False):
        body = json.dumps(event).encode()
        headers = {
            "Content-Type": "application/octet-stream",
            "X-Amz-Date": "20250101T000000Z",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/lambda/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=0",
        }
        if tail:
            headers["X-Amz-Log-Type"] = "Tail"
        t0 = time.perf_counter_ns()
        self.conn.request("POST", f"/2015-03-31/functions/{name}/invocations", body, headers)
        r = self.conn.getresponse()
        data = r.read()
        took = time.perf_counter_ns() - t0
        if r.status != 200 or r.getheader("X-Amz-Function-Error"):
            raise SystemExit(f"Invoke {name} answered {r.status} {r.getheader('X-Amz-Function-Error')}: {data[:500]!r}")
        log = base64.b64decode(r.getheader("X-Amz-Log-Result") or "").decode(errors="replace")
        return took, json.loads(data), log

    def health(self):
        t0 = time.perf_counter_ns()
        self.conn.request("GET", "/_emulator/health")
        r = self.conn.getresponse()
        r.read()
        took = time.perf_counter_ns() - t0
        assert r.status == 200
        return took


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs)) - 1))]


def summary_ms(ns):
    ms = [x / 1e6 for x in ns]
    return {"n": len(ms), "p50": pct(ms, 50), "p99": pct(ms, 99), "min": min(ms), "max": max(ms),
            "mean": statistics.fmean(ms)}


# The environment cutover gives a function's process (it passes nothing else of its own): the bare
# start must not pay for what the caller's environment adds (NODE_EXTRA_CA_CERTS, for one, makes
# node read a CA bundle at start-up).
BARE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "en_US.UTF-8", "TZ": ":UTC"}


def bare_start(argv):
    env = dict(BARE_ENV, PYTHONUNBUFFERED="1") if argv[0] == PYTHON else BARE_ENV
    t0 = time.perf_counter_ns()
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, env=env)
    return time.perf_counter_ns() - t0


def main():
    iam, lam = client("iam"), client("lambda")
    role = iam.create_role(RoleName="bench-lambda", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    functions = {
        "python": ("bench-python", "python3.12", "app.handler", zip_of("app.py", PY_CODE), [PYTHON, "-c", "pass"]),
        "node": ("bench-node", "nodejs20.x", "index.handler", zip_of("index.js", NODE_CODE), [NODE, "-e", "0"]),
    }
    for name, runtime, handler, code, _ in functions.values():
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=handler,
                            Code={"ZipFile": code}, MemorySize=128, Timeout=10)
    control("clock", {"advance": 5})
    inv = Invoker()
    out = {"cold": COLD, "warm": WARM, "warmup": WARMUP, "python": PYTHON, "node": NODE,
           "python_version": subprocess.run([PYTHON, "--version"], capture_output=True, text=True).stdout.strip(),
           "node_version": subprocess.run([NODE, "--version"], capture_output=True, text=True).stdout.strip(),
           "results": {}}

    # The two runtimes alternate sample by sample (and each cold sample with its bare start), so
    # that both see the same machine load.
    samples = {k: {m: [] for m in ("cold", "init", "bare", "warm", "own", "health")} for k in functions}
    print(f"== cold starts ({COLD} per runtime), alternating with the bare interpreters", file=sys.stderr)
    for i in range(COLD):
        for key, (name, _, _, _, bare_argv) in functions.items():
            s = samples[key]
            # A configuration update stops the warm instances: the next Invoke starts a process.
            lam.update_function_configuration(FunctionName=name, Description=f"cold {i}")
            control("clock", {"advance": 5})
            s["bare"].append(bare_start(bare_argv))
            took, body, log = inv.invoke(name, {"n": i}, tail=True)
            assert body["echo"] == i, body
            m = re.search(r"Init Duration: ([0-9.]+) ms", log)
            assert m, f"a cold invocation without Init Duration:\n{log}"
            s["cold"].append(took)
            s["init"].append(float(m.group(1)) * 1e6)

    print(f"== warm invokes ({WARM} per runtime after {WARMUP} unmeasured)", file=sys.stderr)
    for i in range(WARMUP):
        for name, *_ in functions.values():
            inv.invoke(name, {"n": i})
    for i in range(WARM):
        for key, (name, *_rest) in functions.items():
            s = samples[key]
            took, body, _ = inv.invoke(name, {"n": i})
            assert body["echo"] == i, body
            s["warm"].append(took)
            s["own"].append(body["own_ns"])
            s["health"].append(inv.health())

    for key, (name, runtime, *_rest) in functions.items():
        s = samples[key]
        out["results"][key] = {
            "runtime": runtime,
            "bare_start": summary_ms(s["bare"]),
            "cold_invoke": summary_ms(s["cold"]),
            "init_duration": summary_ms(s["init"]),
            "warm_invoke": summary_ms(s["warm"]),
            "handler_own": summary_ms(s["own"]),
            "warm_overhead": summary_ms([w - o for w, o in zip(s["warm"], s["own"])]),
            "health_round_trip": summary_ms(s["health"]),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
