#!/usr/bin/env python3
"""Throughput benchmark: drives bench/loadgen against cutover and moto_server, one after the other.

For each server: start it (cutover release on port 0, moto_server on a free port), create the
role `bench-role` with `loadgen --op iam-create-role --once`, check each operation once with
`--once` (status recorded), then run `loadgen --op OP` for every operation, with the same
connections, warm-up and duration for both servers. cutover additionally gets a run against
GET /_emulator/health, which checks the harness and gives the HTTP-stack ceiling. Client and
server share the machine's cores (nothing is pinned). Writes a JSON file with every loadgen
result and the exact commands.
"""

import argparse
import json
import os
import subprocess
import sys

import servers

OPS = ["sts-get-caller-identity", "iam-get-role", "ecs-describe-services", "elbv2-describe-target-health"]


def run(cmd, timeout):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def bench_server(kind, args):
    srv = servers.start_cutover(args.cutover) if kind == "cutover" else servers.start_moto(args.moto_python)
    out = {"argv": srv.argv, "setup": [], "runs": []}
    try:
        servers.wait_ready(srv)
        setup_py = [args.moto_python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "setup_control_plane.py"), srv.url]
        rc, so, se = run(setup_py, 60)
        tg_arn = so.strip().splitlines()[-1] if rc == 0 and so.strip() else ""
        out["setup"].append({"cmd": setup_py, "status": f"target group {tg_arn}" if tg_arn else f"failed: {se.strip()[-300:]}"})
        base = [args.loadgen, "--url", srv.url, "--tg-arn", tg_arn]
        setup_cmd = base + ["--op", "iam-create-role", "--once"]
        rc, so, _ = run(setup_cmd, 30)
        out["setup"].append({"cmd": setup_cmd, "status": so.split("\n", 1)[0].strip() or f"rc {rc}"})
        ops = list(OPS) + (["get:/_emulator/health"] if kind == "cutover" else [])
        for op in ops:
            check_cmd = base + ["--op", op, "--once"]
            rc, so, se = run(check_cmd, 30)
            status = so.split("\n", 1)[0].strip() or f"no answer: {se.strip()}"
            out["setup"].append({"cmd": check_cmd, "status": status})
            cmd = base + [
                "--op", op,
                "--connections", str(args.connections),
                "--warmup", str(args.warmup),
                "--duration", str(args.duration),
                "--threads", str(args.client_threads),
            ]
            limit = args.warmup + args.duration + 30
            rc, so, se = run(cmd, limit)
            sys.stderr.write(se)
            try:
                res = json.loads(so.strip().splitlines()[-1])
            except (ValueError, IndexError):
                res = {"op": op, "failed": f"loadgen exited {rc}: {se.strip()[-300:]}"}
            res["cmd"] = cmd
            res["check_status"] = status
            out["runs"].append(res)
        out["rss_after_kib"] = servers.rss_kib(srv.proc.pid)
    finally:
        srv.stop()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cutover", required=True)
    ap.add_argument("--moto-python", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--client-threads", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    result = {
        "connections": args.connections,
        "warmup_s": args.warmup,
        "duration_s": args.duration,
        "client_threads": args.client_threads,
        "servers": {kind: bench_server(kind, args) for kind in ("cutover", "moto")},
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
