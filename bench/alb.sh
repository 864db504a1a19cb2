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

run() { # $1 = address
  "$LOADGEN" --url "http://$1" --op get:/api/threads -c "$CONNECTIONS" -w "$WARMUP" -d "$DURATION" \
    -n 2000000 --threads "$CLIENT_THREADS"
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
for i, (a, b) in enumerate(zip(d, p), 1):
    rows.append(f"| {i} | {a['ok_rps']:.0f} | {b['ok_rps']:.0f} | {100*b['ok_rps']/a['ok_rps']:.0f}% | "
                f"{a['p50_ms']*1000:.0f} / {b['p50_ms']*1000:.0f} | {a['p99_ms']*1000:.0f} / {b['p99_ms']*1000:.0f} | "
                f"{a['non_200']+a['errors']} / {b['non_200']+b['errors']} |")
ratio = med(p, 'ok_rps') / med(d, 'ok_rps')
added50 = (med(p, 'p50_ms') - med(d, 'p50_ms')) * 1000
added99 = (med(p, 'p99_ms') - med(d, 'p99_ms')) * 1000
text = f"""# ALB data plane benchmark ({date})

`bench/alb.sh`: one ALB listener forwarding to one ECS task's built-in stand-in. Each round runs
`loadgen` (closed loop, {conns} keep-alive connections, {threads} client thread, {dur} s measured)
first straight at the stand-in's loopback address, then at the listener, in the same run. The
machine has {cores} cores shared by the client, the emulator and the stand-in (and whatever else
runs: load average `{la0}` before, `{la1}` after). Requests through the listener cross one more
loopback hop (client → listener → stand-in) than direct ones, on the same cores.

| round | direct req/s | via listener req/s | ratio | p50 µs direct / via | p99 µs direct / via | errors direct / via |
| --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

Medians over {rounds} rounds: throughput through the listener **{100*ratio:.0f}%** of direct
(target ≥ 70%), added latency **{added50:.0f} µs at p50** (target < 200 µs), {added99:.0f} µs at p99.
"""
open(out, "w").write(text)
print(text)
PY
