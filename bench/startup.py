#!/usr/bin/env python3
"""Start-up benchmark: spawn-to-first-answer time and idle RSS of cutover and moto_server.

For each run (the two servers interleaved, so both see the same machine load):
  cutover: spawn `cutover serve --bind 127.0.0.1:0`, read its `ready http://...` line for the
           port, poll GET /_emulator/health every 2 ms until it answers (t_health), then send
           one STS GetCallerIdentity (t_sts, with its status).
  moto:    pick a free port, spawn `python -m moto.server -H 127.0.0.1 -p PORT`, poll STS
           GetCallerIdentity every 2 ms until it answers (t_sts; moto has no health call).
  Then stay idle IDLE seconds and read VmRSS (the process plus any children) from /proc.
Times are wall-clock from just before the spawn to the response. Writes a JSON file.
"""

import argparse
import json
import statistics
import sys
import time

import servers


def one_run(kind, binary, python, idle):
    srv = servers.start_cutover(binary) if kind == "cutover" else servers.start_moto(python)
    try:
        status, _, t_ready = servers.wait_ready(srv)
        rec = {"ready_status": status, "t_ready_ms": (t_ready - srv.t_spawn) * 1000}
        if kind == "cutover":
            sts_status, _ = servers.sts_call(srv.port)
            rec["t_sts_ms"] = (time.perf_counter() - srv.t_spawn) * 1000
            rec["sts_status"] = sts_status
        else:
            rec["t_sts_ms"] = rec["t_ready_ms"]
            rec["sts_status"] = status
        time.sleep(idle)
        rec["rss_kib"] = servers.rss_kib(srv.proc.pid)
        rec["argv"] = srv.argv
        return rec
    finally:
        srv.stop()


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cutover", required=True, help="path of the release cutover binary")
    ap.add_argument("--moto-python", required=True, help="python interpreter that can import moto.server")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=1.0, help="seconds idle before reading VmRSS")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    runs = {"cutover": [], "moto": []}
    for i in range(args.runs):
        for kind in ("cutover", "moto"):
            rec = one_run(kind, args.cutover, args.moto_python, args.idle)
            runs[kind].append(rec)
            print(
                f"startup run {i + 1}/{args.runs} {kind}: ready {rec['t_ready_ms']:.1f} ms "
                f"(status {rec['ready_status']}), sts {rec['t_sts_ms']:.1f} ms (status {rec['sts_status']}), "
                f"rss {rec['rss_kib'] / 1024:.1f} MiB",
                file=sys.stderr,
            )

    result = {"runs": args.runs, "idle_s": args.idle, "servers": {}}
    for kind, recs in runs.items():
        sts_ok = all(r["sts_status"] == 200 for r in recs)
        ready_ok = all(r["ready_status"] == 200 for r in recs)
        result["servers"][kind] = {
            "argv": recs[0]["argv"],
            "ready_probe": "GET /_emulator/health" if kind == "cutover" else "STS GetCallerIdentity",
            "ready_all_200": ready_ok,
            "sts_all_200": sts_ok,
            "sts_statuses": sorted({r["sts_status"] for r in recs}),
            "t_ready_ms": summary([r["t_ready_ms"] for r in recs]),
            "t_sts_ms": summary([r["t_sts_ms"] for r in recs]),
            "rss_mib": summary([r["rss_kib"] / 1024 for r in recs]),
            "raw": recs,
        }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
