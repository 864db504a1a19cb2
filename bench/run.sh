#!/usr/bin/env bash
# Runs every cutover benchmark against moto_server in the same run and writes
# bench/results/<date>-foundation.md (then prints it).
#
#   bench/run.sh                      # defaults below, about 1.5 minutes after the build
#   RUNS=10 DURATION=15 bench/run.sh  # longer
#
# Knobs (environment): RUNS (start-up repetitions, 5), IDLE (seconds idle before reading RSS, 1),
# CONNECTIONS (loadgen connections, 8), WARMUP (1), DURATION (measured seconds per run, 8),
# CLIENT_THREADS (loadgen runtime threads, 1), CARGO_TARGET_DIR (default ./target),
# MOTO_PYTHON (an interpreter that can import moto.server; default: python3 if it can,
# else bench/.venv, created with moto[server]==5.2.1 if missing).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
START_S=$(date +%s)
LOADAVG_BEFORE="$(cat /proc/loadavg)"
DATE="$(date +%F)"
RUNS="${RUNS:-5}"
IDLE="${IDLE:-1}"
CONNECTIONS="${CONNECTIONS:-8}"
WARMUP="${WARMUP:-1}"
DURATION="${DURATION:-8}"
CLIENT_THREADS="${CLIENT_THREADS:-1}"
MOTO_PIN="5.2.1"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
RESULTS="$ROOT/bench/results"
mkdir -p "$RESULTS"

echo "== building cutover and loadgen (release)" >&2
cargo build --release --quiet -p cutover -p loadgen
CUTOVER="$TARGET_DIR/release/cutover"
LOADGEN="$TARGET_DIR/release/loadgen"

echo "== finding moto" >&2
can_moto() { "$1" -c 'import moto, moto.server' >/dev/null 2>&1; }
if [[ -n "${MOTO_PYTHON:-}" ]]; then
  can_moto "$MOTO_PYTHON" || { echo "MOTO_PYTHON=$MOTO_PYTHON cannot import moto.server" >&2; exit 1; }
elif can_moto "$ROOT/bench/.venv/bin/python"; then
  MOTO_PYTHON="$ROOT/bench/.venv/bin/python"
elif can_moto python3; then
  # The real interpreter, not a pyenv shim, so that moto's start-up time is not inflated by it.
  MOTO_PYTHON="$(python3 -c 'import sys; print(sys.executable)')"
else
  echo "moto is not importable: installing moto[server]==$MOTO_PIN into bench/.venv" >&2
  python3 -m venv "$ROOT/bench/.venv"
  "$ROOT/bench/.venv/bin/python" -m pip install --quiet "moto[server]==$MOTO_PIN"
  MOTO_PYTHON="$ROOT/bench/.venv/bin/python"
fi
MOTO_VERSION="$("$MOTO_PYTHON" -c 'import moto; print(moto.__version__)')"
echo "   $MOTO_PYTHON (moto $MOTO_VERSION)" >&2

STARTUP_JSON="$RESULTS/$DATE-startup.json.tmp"
LOAD_JSON="$RESULTS/$DATE-load.json.tmp"
OUT="$RESULTS/$DATE-foundation.md"

echo "== start-up: $RUNS runs each" >&2
python3 "$ROOT/bench/startup.py" --cutover "$CUTOVER" --moto-python "$MOTO_PYTHON" \
  --runs "$RUNS" --idle "$IDLE" --out "$STARTUP_JSON"

echo "== throughput: $CONNECTIONS connections, ${WARMUP}s warm-up + ${DURATION}s per run" >&2
python3 "$ROOT/bench/load.py" --cutover "$CUTOVER" --moto-python "$MOTO_PYTHON" --loadgen "$LOADGEN" \
  --connections "$CONNECTIONS" --warmup "$WARMUP" --duration "$DURATION" \
  --client-threads "$CLIENT_THREADS" --out "$LOAD_JSON"

RUN_CMD="RUNS=$RUNS IDLE=$IDLE CONNECTIONS=$CONNECTIONS WARMUP=$WARMUP DURATION=$DURATION CLIENT_THREADS=$CLIENT_THREADS bench/run.sh"
python3 "$ROOT/bench/report.py" --startup "$STARTUP_JSON" --load "$LOAD_JSON" --out "$OUT" \
  --date "$DATE" --root "$ROOT" --loadavg-before "$LOADAVG_BEFORE" \
  --moto-version "$MOTO_VERSION" --moto-python "$MOTO_PYTHON" \
  --run-command "$RUN_CMD" --elapsed "$(( $(date +%s) - START_S ))"
echo "== written to ${OUT#"$ROOT"/}" >&2
