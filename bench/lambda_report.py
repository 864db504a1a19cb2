"""Writes bench/results/<date>-lambda.md from the JSON bench/lambda_bench.py printed.
Every number comes from that JSON; nothing is typed in."""

import json
import sys

raw, out, date, cores, la0, la1, cpu, commit = sys.argv[1:]
d = json.load(open(raw))
R = d["results"]
WARM_TARGET_MS = 2.0


def row(label, s):
    return f"| {label} | {s['p50']:.2f} | {s['p99']:.2f} | {s['min']:.2f} | {s['max']:.2f} | {s['n']} |"


sections = []
verdicts = []
for key, title in (("python", "Python (python3.12)"), ("node", "Node (nodejs20.x)")):
    r = R[key]
    bare, cold, init = r["bare_start"], r["cold_invoke"], r["init_duration"]
    warm, own, over, health = r["warm_invoke"], r["handler_own"], r["warm_overhead"], r["health_round_trip"]
    share = bare["p50"] / cold["p50"]
    cold_extra = cold["p50"] - bare["p50"]
    warm_met = over["p50"] < WARM_TARGET_MS
    warm_p99_met = over["p99"] < WARM_TARGET_MS
    cold_met = share >= 0.5
    verdicts.append(
        f"- {title}: warm overhead p50 **{over['p50']:.2f} ms**, p99 {over['p99']:.2f} ms "
        f"(target < {WARM_TARGET_MS:.0f} ms: p50 {'met' if warm_met else 'NOT met'}, "
        f"p99 {'met' if warm_p99_met else 'NOT met'}); cold Invoke p50 **{cold['p50']:.1f} ms** of which the bare "
        f"interpreter start is {bare['p50']:.1f} ms = **{100 * share:.0f}%** (target: dominated, ≥ 50%: "
        f"{'met' if cold_met else 'NOT met'}); cutover and its runtime client add {cold_extra:.1f} ms. "
        f"For scale, the bare HTTP round trip (`GET /_emulator/health`) is p50 {health['p50']:.2f} ms, "
        f"p99 {health['p99']:.2f} ms on this machine in the same run."
    )
    sections.append(
        f"""### {title}

Cold start ({cold['n']} samples; each after an UpdateFunctionConfiguration that stopped the warm
process, right after one bare start; the two runtimes alternate sample by sample):

| ms | p50 | p99 | min | max | n |
| --- | --- | --- | --- | --- | --- |
{row("baseline: bare interpreter (spawn → exit)", bare)}
{row("cold Invoke, end to end (client)", cold)}
{row("Init Duration (REPORT line)", init)}

Warm Invoke ({warm['n']} samples after {d['warmup']} unmeasured, one keep-alive connection; the two
runtimes and the health call alternate sample by sample):

| ms | p50 | p99 | min | max | n |
| --- | --- | --- | --- | --- | --- |
{row("baseline: handler's own time (inside the handler)", own)}
{row("warm Invoke, end to end (client)", warm)}
{row("overhead = end to end − handler's own time", over)}
{row("for scale: GET /_emulator/health, same client", health)}
"""
    )

text = f"""# Lambda benchmark ({date})

`bench/lambda.sh` (commit `{commit}`): cutover (release build, `--clock manual`) runs a trivial
Python and a trivial Node function as local processes; `bench/lambda_bench.py` invokes them over
HTTP/1.1 with one keep-alive connection (Python's http.client sending botocore's Invoke request)
and measures, in the same run:

- **cold start**: the client's end-to-end latency of an Invoke that has to start the process,
  against the **bare interpreter start-up** (`{d['python']} -c pass`, `{d['node']} -e 0`, spawned
  and waited for with the environment cutover gives functions: PATH, LANG, TZ), alternating
  sample by sample;
- **warm invoke**: the client's end-to-end latency of an Invoke answered by the running process,
  against the **handler's own time** (measured inside the handler and returned in the payload);
  their difference is what cutover adds (HTTP and the Lambda codec, routing, the Runtime API hops
  to the process and back, the runtime client in the interpreter, logging the invocation to
  CloudWatch Logs). The same client's round trip to `GET /_emulator/health` is shown for scale
  (HTTP stack and client alone).

Interpreters: {d['python_version']} (`{d['python']}`), Node {d['node_version']} (`{d['node']}`).
Machine: {cores} cores ({cpu}), shared by the client, cutover and the function process (and
whatever else runs: load average `{la0}` before, `{la1}` after).

## Verdict

Targets (issue #5): warm Invoke under 2 ms of emulator overhead above the function's own time;
cold start dominated by the interpreter's own start-up.

{chr(10).join(verdicts)}

## Numbers

{chr(10).join(sections)}
Reproduce: `CARGO_TARGET_DIR=<dir> bench/lambda.sh` (knobs `COLD`, `WARM`, `WARM_WARMUP`).
"""
open(out, "w").write(text)
