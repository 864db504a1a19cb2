#!/usr/bin/env bash
# ALB data plane benchmark: throughput and latency through a listener against a direct baseline, in
# the same run, with the same load generator, for both kinds of target:
#   1. a task's built-in stand-in (the listener answers it in-process; it has no socket of its own,
#      so the baseline is the emulator's own port answering GET /_emulator/health: the same HTTP
#      stack without routing);
#   2. a real local process (a minimal Node HTTP server, bench/alb_app.js) that cutover runs for the
#      task's image through --app-config; the listener reaches it over loopback through its
#      keep-alive connection pool.
# Writes bench/results/<date>-alb.md and prints it.
#
#   bench/alb.sh                          # defaults: 3 rounds of 8 s per side and path, 8 connections
#   ROUNDS=5 DURATION=10 bench/alb.sh
#
# Knobs (environment): ROUNDS (3), CONNECTIONS (8), WARMUP (1), DURATION (8), CLIENT_THREADS (1),
# PYTHON (an interpreter with boto3; default python3), NODE (the node the process backend runs
# with; default node on PATH), CARGO_TARGET_DIR (as cargo resolves it).
# Bounded: every loadgen run stops after DURATION s (and at most 2,000,000 requests); loopback only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATE="$(date +%F)"
LOADAVG_BEFORE="$(cat /proc/loadavg)"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-8}"
WARMUP="${WARMUP:-1}"
DURATION="${DURATION:-8}"
CLIENT_THREADS="${CLIENT_THREADS:-1}"
PYTHON="${PYTHON:-python3}"
NODE="$(command -v "${NODE:-node}")" || { echo "node not found (set NODE)" >&2; exit 1; }
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | "${PYTHON:-python3}" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
RESULTS="$ROOT/bench/results"
OUT="$RESULTS/$DATE-alb.md"
mkdir -p "$RESULTS"

echo "== building cutover and loadgen (release)" >&2
cargo build --release --quiet -p cutover -p loadgen
CUTOVER="$TARGET_DIR/release/cutover"
LOADGEN="$TARGET_DIR/release/loadgen"

TMP="$(mktemp -d)"
LOG="$TMP/cutover.log"; TIMES="$TMP/times"; APP_PID_FILE="$TMP/app.pid"
# The process backend: images bench-process:* run bench/alb_app.js; bench:1 keeps the built-in stand-in.
"$PYTHON" - "$TMP/apps.json" "$NODE" "$ROOT/bench/alb_app.js" "$APP_PID_FILE" <<'PY'
import json, sys
path, node, app, pid_file = sys.argv[1:]
json.dump({"apps": [{"image": "bench-process:*", "command": [node, app], "env": {"BENCH_PID_FILE": pid_file}}]},
          open(path, "w"))
PY
"$CUTOVER" serve --bind 127.0.0.1:0 --clock manual --log-level error --app-config "$TMP/apps.json" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do grep -q '^ready ' "$LOG" && break; sleep 0.1; done
URL="$(sed -n 's/^ready //p' "$LOG" | head -1)"
[[ -n "$URL" ]] || { echo "cutover did not start" >&2; cat "$LOG" >&2; exit 1; }

echo "== setting up an ALB and one task (built-in stand-in) on $URL" >&2
read -r LISTENER TARGET < <("$PYTHON" "$ROOT/bench/alb_setup.py" "$URL")
TARGET="${URL#http://}" # the stand-in has no socket: the baseline is the emulator's own port
echo "   listener $LISTENER -> stand-in (in-process); baseline $TARGET/_emulator/health" >&2
echo "== setting up a second ALB and one task whose image runs $NODE bench/alb_app.js" >&2
read -r PLISTENER PTARGET < <("$PYTHON" "$ROOT/bench/alb_setup.py" "$URL" bench-process bench-process:1)
APP_PID="$(cat "$APP_PID_FILE")"
trap 'kill $PID 2>/dev/null || true; kill $APP_PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
[[ -d "/proc/$APP_PID" ]] || { echo "the process backend (pid $APP_PID) is not running" >&2; exit 1; }
echo "   listener $PLISTENER -> process $PTARGET (pid $APP_PID)" >&2

TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system CPU of pid $1
app_stats() { # "<connections accepted> <requests answered>" by the process backend so far
  "$PYTHON" -c 'import json,sys,urllib.request as u; s=json.load(u.urlopen(sys.argv[1])); print(s["connections"], s["requests"])' \
    "http://$PTARGET/_bench/stats"
}
run() { # $1 = address, $2 = path; prints loadgen's JSON with the CPU seconds cutover, the process backend and
  # loadgen used, and the connections the process backend accepted and the requests it answered
  local s0 s1 a0 a1 out cu cs c0 r0 c1 r1
  read -r c0 r0 < <(app_stats)
  s0="$(cpu_ticks "$PID")"; a0="$(cpu_ticks "$APP_PID")"
  out="$( { TIMEFORMAT='%U %S'; time "$LOADGEN" --url "http://$1" --op "get:${2:-/api/threads}" -c "$CONNECTIONS" \
    -w "$WARMUP" -d "$DURATION" -n 2000000 --threads "$CLIENT_THREADS" 2>/dev/null; } 2>"$TIMES" )"
  s1="$(cpu_ticks "$PID")"; a1="$(cpu_ticks "$APP_PID")"
  read -r cu cs <"$TIMES"
  read -r c1 r1 < <(app_stats)
  echo "${out%\}},\"app_connections\":$((c1 - c0 - 1)),\"app_requests\":$((r1 - r0 - 1)),\"server_cpu_s\":$(awk "BEGIN{print ($s1 - $s0) / $TCK}"),\"app_cpu_s\":$(awk "BEGIN{print ($a1 - $a0) / $TCK}"),\"client_cpu_s\":$(awk "BEGIN{print $cu + $cs}")}"
}
DIRECT=(); PROXY=(); PDIRECT=(); PPROXY=()
for r in $(seq "$ROUNDS"); do
  echo "== round $r: baseline (the emulator's own port, /_emulator/health)" >&2; DIRECT+=("$(run "$TARGET" /_emulator/health)")
  echo "== round $r: stand-in through the listener" >&2; PROXY+=("$(run "$LISTENER")")
  echo "== round $r: process direct" >&2; PDIRECT+=("$(run "$PTARGET")")
  echo "== round $r: process through the listener" >&2; PPROXY+=("$(run "$PLISTENER")")
done

LOADAVG_AFTER="$(cat /proc/loadavg)"
"$PYTHON" - "$OUT" "$DATE" "$ROUNDS" "$CONNECTIONS" "$DURATION" "$CLIENT_THREADS" "$(nproc)" "$LOADAVG_BEFORE" "$LOADAVG_AFTER" \
  "$("$NODE" --version)" "$(printf '%s\n' "${DIRECT[@]}")" "$(printf '%s\n' "${PROXY[@]}")" \
  "$(printf '%s\n' "${PDIRECT[@]}")" "$(printf '%s\n' "${PPROXY[@]}")" <<'PY'
import json, statistics, sys
out, date, rounds, conns, dur, threads, cores, la0, la1, node_version, *runs = sys.argv[1:]
d, p, pd, pp = ([json.loads(l) for l in r.splitlines() if l.strip()] for r in runs)
med = lambda xs, k: statistics.median(x[k] for x in xs)
# CPU microseconds per request: the CPU of the whole loadgen run (warm-up included) over the requests
# answered in it, those of the warm-up estimated at the measured rate.
us = lambda x, k: 1e6 * x[k] / max(1.0, x['answered'] * (x['warmup_s'] + x['duration_s']) / x['duration_s'])
for x in d + p + pd + pp:
    x['srv_us'], x['app_us'], x['cli_us'] = us(x, 'server_cpu_s'), us(x, 'app_cpu_s'), us(x, 'client_cpu_s')
    x['err'] = x['non_200'] + x['errors']

def summary(d, p, cpu_keys):
    """The headline of one path: each round measures direct and through the listener back to back,
    so its ratio is the least disturbed by other load on the machine; the headline is the median of
    the rounds' ratios. Targets (the issue's): ≥ 70% of direct throughput, < 200 µs added at p50."""
    s = dict(
        ratio=statistics.median(b['ok_rps'] / a['ok_rps'] for a, b in zip(d, p)),
        ratio_of_medians=med(p, 'ok_rps') / med(d, 'ok_rps'),
        cpu_ratio=sum(med(d, k) for k in cpu_keys) / sum(med(p, k) for k in cpu_keys),
        added50=(med(p, 'p50_ms') - med(d, 'p50_ms')) * 1000,
        added99=(med(p, 'p99_ms') - med(d, 'p99_ms')) * 1000,
        errors=sum(x['err'] for x in d + p),
    )
    s['tput_ok'] = s['ratio'] >= 0.70 and s['errors'] == 0
    s['lat_ok'] = s['added50'] < 200 and s['errors'] == 0
    verdict = lambda ok: "met" if ok else "**NOT met**"
    s['tput_verdict'], s['lat_verdict'] = verdict(s['tput_ok']), verdict(s['lat_ok'])
    s['err_note'] = "" if s['errors'] == 0 else f" ({s['errors']} failed requests: targets not met)"
    return s

def row(i, a, b, keys, conns=False):
    cpu = " | ".join(f"{a[k]:.1f} / {b[k]:.1f}" for k in keys)
    extra = f" {a['app_connections']} / {b['app_connections']} |" if conns else ""
    return (f"| {i} | {a['ok_rps']:.0f} | {b['ok_rps']:.0f} | {100*b['ok_rps']/a['ok_rps']:.0f}% | "
            f"{a['p50_ms']*1000:.0f} / {b['p50_ms']*1000:.0f} | {a['p99_ms']*1000:.0f} / {b['p99_ms']*1000:.0f} | "
            f"{cpu} | {a['err']} / {b['err']} |{extra}")

s = summary(d, p, ['srv_us', 'cli_us'])
ps = summary(pd, pp, ['srv_us', 'app_us', 'cli_us'])
rows = "\n".join(row(i, a, b, ['srv_us', 'cli_us']) for i, (a, b) in enumerate(zip(d, p), 1))
prows = "\n".join(row(i, a, b, ['srv_us', 'app_us', 'cli_us'], True) for i, (a, b) in enumerate(zip(pd, pp), 1))
# What bounds the process path: the CPU per request each of the three processes spends, direct and
# through the listener (medians); they share the machine's cores.
share = lambda xs: {k: med(xs, k) for k in ('srv_us', 'app_us', 'cli_us')}
pdc, ppc = share(pd), share(pp)
total_d, total_p = sum(pdc.values()), sum(ppc.values())
need = total_d / 0.7 - ppc['app_us'] - ppc['cli_us']
most = max(x['app_connections'] for x in pp)
pool_note = (f"through the listener at most {most} per run for {conns} loadgen connections, so the listener's pool "
             f"kept its connections open (no connection per request)." if most <= int(conns) else
             f"through the listener up to {most} per run for {conns} loadgen connections: the pool opened "
             f"more connections than requests in flight.")
text = f"""# ALB data plane benchmark ({date})

`bench/alb.sh` measures two paths through an ALB listener, each against direct requests to the
same target in the same run, with the same load generator: `loadgen` (closed loop, {conns} keep-alive
connections, {threads} client thread, {dur} s measured after a warm-up), `GET /api/threads`. Each
round runs four measurements back to back: the baseline for the stand-in (the emulator's own port
answering `GET /_emulator/health`, as a built-in stand-in has no socket of its own), the stand-in
through its listener, process direct, process through its listener. The machine has {cores} cores shared by the client, the
emulator and the target (and whatever else runs: load average `{la0}` before, `{la1}` after).
CPU columns: microseconds of CPU per answered request used by cutover (server), by the Node process
(app) and by loadgen (client), from `/proc/<pid>/stat` and the shell's `time`.

Targets (the issue's), per path: throughput through the listener ≥ 70% of direct, and < 200 µs
added at p50.

| path | throughput via listener / direct | added p50 | added p99 | ≥ 70% | < 200 µs at p50 |
| --- | --- | --- | --- | --- | --- |
| built-in stand-in | {100*s['ratio']:.0f}% | {s['added50']:.0f} µs | {s['added99']:.0f} µs | {s['tput_verdict']} | {s['lat_verdict']} |
| process backend (`--app-config`) | {100*ps['ratio']:.0f}% | {ps['added50']:.0f} µs | {ps['added99']:.0f} µs | {ps['tput_verdict']} | {ps['lat_verdict']} |

## 1. Built-in stand-in

One ALB listener forwarding to one ECS task's built-in stand-in. A built-in stand-in has no
socket of its own (5,000 tasks fit under `ulimit -n 1024`), so "direct" is the emulator's own port
answering `GET /_emulator/health`: the same HTTP stack and connection handling, without routing.
Requests through the listener are routed (rules, weighted forward, target
choice, the `X-Forwarded-*` and trace headers) and answered by the same built-in stand-in
in-process, as the listener does for every built-in stand-in.

| round | direct req/s | via listener req/s | ratio | p50 µs direct / via | p99 µs direct / via | server CPU µs/req direct / via | client CPU µs/req direct / via | errors direct / via |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{rows}

Median over {rounds} rounds of each round's ratio: throughput through the listener **{100*s['ratio']:.0f}%** of
direct (target ≥ 70%: {s['tput_verdict']}; the median through the listener over the median direct is {100*s['ratio_of_medians']:.0f}%), added latency **{s['added50']:.0f} µs at p50** (target < 200 µs: {s['lat_verdict']}), {s['added99']:.0f} µs at p99{s['err_note']};
server CPU per request {med(d, 'srv_us'):.1f} µs direct, {med(p, 'srv_us'):.1f} µs through the listener;
client CPU per request {med(d, 'cli_us'):.1f} / {med(p, 'cli_us'):.1f} µs. With the client, the server
and the stand-in on the same {cores} cores, throughput is bounded by their CPU per request together:
by CPU alone, through the listener would reach {100*s['cpu_ratio']:.0f}% of direct.

## 2. Process backend (`--app-config`)

cutover runs with `--app-config` mapping the image `bench-process:*` to `node bench/alb_app.js`
(Node {node_version}: `http.createServer`, keep-alive, answering `{{"ok":true,"app":"bench-process","pid":…}}` on 127.0.0.1:`$PORT`), and a
second ALB forwards to one task of that image. Direct requests reach the Node process's socket
(the address `GET /_emulator/targets` gives); requests through the listener are routed as above and
forwarded over loopback through the listener's keep-alive connection pool to the same process.
The last column counts the TCP connections the process accepted during each run (its own counter):
{pool_note}

| round | direct req/s | via listener req/s | ratio | p50 µs direct / via | p99 µs direct / via | server CPU µs/req direct / via | app CPU µs/req direct / via | client CPU µs/req direct / via | errors direct / via | connections the process accepted direct / via |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{prows}

Median over {rounds} rounds of each round's ratio: throughput through the listener **{100*ps['ratio']:.0f}%** of
direct (target ≥ 70%: {ps['tput_verdict']}; the median through the listener over the median direct is {100*ps['ratio_of_medians']:.0f}%), added latency **{ps['added50']:.0f} µs at p50** (target < 200 µs: {ps['lat_verdict']}), {ps['added99']:.0f} µs at p99{ps['err_note']}.
CPU per request (medians), direct → through the listener: cutover {pdc['srv_us']:.1f} → {ppc['srv_us']:.1f} µs,
Node {pdc['app_us']:.1f} → {ppc['app_us']:.1f} µs, loadgen {pdc['cli_us']:.1f} → {ppc['cli_us']:.1f} µs; together
{total_d:.1f} → {total_p:.1f} µs. With the three processes on the same {cores} cores, throughput is bounded by
their CPU per request together: by CPU alone, through the listener would reach {100*ps['cpu_ratio']:.0f}% of direct.
By the same measure, 70% needs at most {total_d/0.7:.1f} µs of CPU per request through the listener in all,
which leaves cutover {need:.1f} µs per proxied request beside Node's and loadgen's {ppc['app_us'] + ppc['cli_us']:.1f} µs
(it spent {ppc['srv_us']:.1f} µs here; {med(p, 'srv_us'):.1f} µs per request answering the built-in stand-in through its listener).
"""
open(out, "w").write(text)
print(text)
PY
