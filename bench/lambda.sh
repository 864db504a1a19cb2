#!/usr/bin/env bash
# Lambda benchmark: cold start and warm Invoke latency (p50, p99) of a Python and a Node function,
# each against a baseline measured in the same run (bare interpreter start-up for cold starts, the
# handler's own time for warm invokes). Writes bench/results/<date>-lambda.md and prints it.
#
#   bench/lambda.sh                       # defaults: 20 cold starts and 1000 warm invokes per runtime
#   COLD=30 WARM=3000 bench/lambda.sh
#
# Knobs (environment): COLD (20), WARM (1000), WARM_WARMUP (50, unmeasured), PYTHON (an
# interpreter with boto3, for the driver; default python3), FUNCTION_PYTHON / FUNCTION_NODE (the
# interpreters functions run with; default the python3 and node on PATH, shims resolved), CARGO_TARGET_DIR (as cargo
# resolves it). Bounded by the sample counts; loopback only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DATE="$(date +%F)"
PYTHON="${PYTHON:-python3}"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
RESULTS="$ROOT/bench/results"
OUT="$RESULTS/$DATE-lambda.md"
RAW="$RESULTS/lambda.json.tmp"
mkdir -p "$RESULTS"
# The real interpreters, not a version manager's shim (whose own start-up would be counted).
export FUNCTION_PYTHON="${FUNCTION_PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}"
export FUNCTION_NODE="${FUNCTION_NODE:-$(command -v node)}"

echo "== building cutover (release)" >&2
cargo build --release --quiet -p cutover
CUTOVER="$TARGET_DIR/release/cutover"

LOADAVG_BEFORE="$(cat /proc/loadavg)"
LOG="$(mktemp)"
CUTOVER_LAMBDA_PYTHON="$FUNCTION_PYTHON" CUTOVER_LAMBDA_NODE="$FUNCTION_NODE" \
  "$CUTOVER" serve --bind 127.0.0.1:0 --clock manual --log-level error >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 100); do grep -q '^ready ' "$LOG" && break; sleep 0.1; done
URL="$(sed -n 's/^ready //p' "$LOG" | head -1)"
[[ -n "$URL" ]] || { echo "cutover did not start" >&2; cat "$LOG" >&2; exit 1; }

echo "== measuring against $URL" >&2
"$PYTHON" "$ROOT/bench/lambda_bench.py" "$URL" >"$RAW"
LOADAVG_AFTER="$(cat /proc/loadavg)"

"$PYTHON" "$ROOT/bench/lambda_report.py" "$RAW" "$OUT" "$DATE" "$(nproc)" "$LOADAVG_BEFORE" "$LOADAVG_AFTER" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" "$(git rev-parse --short HEAD)"
rm -f "$RAW"
cat "$OUT"
