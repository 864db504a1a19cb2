#!/usr/bin/env bash
# ALB data plane benchmark: throughput and latency through a listener (proxy to a task's stand-in)
# against direct requests to the same stand-in, in the same run, with the same load generator.
# Writes bench/results/<date>-alb.md and prints it.
#
#   bench/alb.sh                          # defaults: 3 rounds of 8 s per side, 8 connections
#   ROUNDS=5 DURATION=10 bench/alb.sh
#
# Knobs (environment): ROUNDS (3), CONNECTIONS (8), WARMUP (1), DURATION (8), CLIENT_THREADS (1),
# PYTHON (an interpreter with boto3; default python3), CARGO_TARGET_DIR (as cargo resolves it).
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
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | "${PYTHON:-python3}" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
RESULTS="$ROOT/bench/results"
OUT="$RESULTS/$DATE-alb.md"
mkdir -p "$RESULTS"

echo "== building cutover and loadgen (release)" >&2
cargo build --release --quiet -p cutover -p loadgen
CUTOVER="$TARGET_DIR/release/cutover"
LOADGEN="$TARGET_DIR/release/loadgen"

LOG="$(mktemp)"
"$CUTOVER" serve --bind 127.0.0.1:0 --clock manual --log-level error >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 100); do grep -q '^ready ' "$LOG" && break; sleep 0.1; done
URL="$(sed -n 's/^ready //p' "$LOG" | head -1)"
[[ -n "$URL" ]] || { echo "cutover did not start" >&2; cat "$LOG" >&2; exit 1; }

echo "== setting up an ALB and one task on $URL" >&2
read -r LISTENER TARGET < <("$PYTHON" "$ROOT/bench/alb_setup.py" "$URL")
echo "   listener $LISTENER -> stand-in $TARGET" >&2

TIMES="$(mktemp)"
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG" "$TIMES"' EXIT
TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; } # cutover's user + system CPU
run() { # $1 = address; prints loadgen's JSON with the CPU seconds cutover and loadgen used
  local s0 s1 out cu cs
  s0="$(cpu_ticks)"
  out="$( { TIMEFORMAT='%U %S'; time "$LOADGEN" --url "http://$1" --op get:/api/threads -c "$CONNECTIONS" \
    -w "$WARMUP" -d "$DURATION" -n 2000000 --threads "$CLIENT_THREADS" 2>/dev/null; } 2>"$TIMES" )"
  s1="$(cpu_ticks)"
  read -r cu cs <"$TIMES"
  echo "${out%\}},\"server_cpu_s\":$(awk "BEGIN{print ($s1 - $s0) / $TCK}"),\"client_cpu_s\":$(awk "BEGIN{print $cu + $cs}")}"
}
DIRECT=(); PROXY=()
for r in $(seq "$ROUNDS"); do
  echo "== round $r: direct" >&2; DIRECT+=("$(run "$TARGET")")
  echo "== round $r: through the listener" >&2; PROXY+=("$(run "$LISTENER")")
done

LOADAVG_AFTER="$(cat /proc/loadavg)"
"$PYTHON" - "$OUT" "$DATE" "$ROUNDS" "$CONNECTIONS" "$DURATION" "$CLIENT_THREADS" "$(nproc)" "$LOADAVG_BEFORE" "$LOADAVG_AFTER" \
  "$(printf '%s\n' "${DIRECT[@]}")" "$(printf '%s\n' "${PROXY[@]}")" <<'PY'
import json, statistics, sys
out, date, rounds, conns, dur, threads, cores, la0, la1, direct, proxy = sys.argv[1:]
d = [json.loads(l) for l in direct.splitlines() if l.strip()]
p = [json.loads(l) for l in proxy.splitlines() if l.strip()]
med = lambda xs, k: statistics.median(x[k] for x in xs)
rows = []
# CPU microseconds per request: the CPU of the whole loadgen run (warm-up included) over the requests
# answered in it, those of the warm-up estimated at the measured rate.
us = lambda x, k: 1e6 * x[k] / max(1.0, x['answered'] * (x['warmup_s'] + x['duration_s']) / x['duration_s'])
for x in d + p:
    x['srv_us'], x['cli_us'] = us(x, 'server_cpu_s'), us(x, 'client_cpu_s')
for i, (a, b) in enumerate(zip(d, p), 1):
    rows.append(f"| {i} | {a['ok_rps']:.0f} | {b['ok_rps']:.0f} | {100*b['ok_rps']/a['ok_rps']:.0f}% | "
                f"{a['p50_ms']*1000:.0f} / {b['p50_ms']*1000:.0f} | {a['p99_ms']*1000:.0f} / {b['p99_ms']*1000:.0f} | "
                f"{a['srv_us']:.1f} / {b['srv_us']:.1f} | {a['cli_us']:.1f} / {b['cli_us']:.1f} | "
                f"{a['non_200']+a['errors']} / {b['non_200']+b['errors']} |")
# Each round measures direct and through-the-listener back to back, so its ratio is the least
# disturbed by other load on the machine; the headline is the median of the rounds' ratios.
ratio = statistics.median(b['ok_rps'] / a['ok_rps'] for a, b in zip(d, p))
ratio_of_medians = med(p, 'ok_rps') / med(d, 'ok_rps')
cpu_ratio = (med(d, 'srv_us') + med(d, 'cli_us')) / (med(p, 'srv_us') + med(p, 'cli_us'))
added50 = (med(p, 'p50_ms') - med(d, 'p50_ms')) * 1000
added99 = (med(p, 'p99_ms') - med(d, 'p99_ms')) * 1000
text = f"""# ALB data plane benchmark ({date})

`bench/alb.sh`: one ALB listener forwarding to one ECS task's built-in stand-in. Each round runs
`loadgen` (closed loop, {conns} keep-alive connections, {threads} client thread, {dur} s measured)
first straight at the stand-in's loopback address, then at the listener, in the same run. The
machine has {cores} cores shared by the client, the emulator and the stand-in (and whatever else
runs: load average `{la0}` before, `{la1}` after). Direct requests reach the stand-in's own
socket; requests through the listener are routed (rules, weighted forward, target choice, the
`X-Forwarded-*` and trace headers) and answered by the same built-in stand-in in-process, as the
listener does for every built-in stand-in (a process backend from `--app-config` is reached over a
second loopback connection from a keep-alive pool instead; this run does not measure that path).
CPU columns: microseconds of CPU per answered request used by cutover (server, stand-in included)
and by loadgen (client), from `/proc/<pid>/stat` and the shell's `time`.

| round | direct req/s | via listener req/s | ratio | p50 µs direct / via | p99 µs direct / via | server CPU µs/req direct / via | client CPU µs/req direct / via | errors direct / via |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Median over {rounds} rounds of each round's ratio: throughput through the listener **{100*ratio:.0f}%** of
direct (target ≥ 70%; the median through the listener over the median direct is {100*ratio_of_medians:.0f}%), added latency **{added50:.0f} µs at p50** (target < 200 µs), {added99:.0f} µs at p99;
server CPU per request {med(d, 'srv_us'):.1f} µs direct, {med(p, 'srv_us'):.1f} µs through the listener;
client CPU per request {med(d, 'cli_us'):.1f} / {med(p, 'cli_us'):.1f} µs. With the client, the server
and the stand-in on the same {cores} cores, throughput is bounded by their CPU per request together:
by CPU alone, through the listener would reach {100*cpu_ratio:.0f}% of direct.
"""
open(out, "w").write(text)
print(text)
PY
