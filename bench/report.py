#!/usr/bin/env python3
"""Writes the Markdown results file from the JSON that startup.py and load.py produced.

Every number in the report comes from those files or from commands run here (nproc, free,
/proc); nothing is typed in by hand.
"""

import argparse
import json
import os
import shlex
import subprocess

TARGET_START_MS = 20.0
TARGET_RSS_MIB = 10.0
TARGET_RATIO = 50.0


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.rstrip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def rel(argv, root):
    """A command line with the repository root shortened to `.`."""
    return " ".join(shlex.quote(a.replace(root + "/", "./") if a.startswith(root + "/") else a) for a in argv)


def ms(v):
    return f"{v:.1f} ms" if v < 1000 else f"{v / 1000:.2f} s"


def span(s, fmt):
    return f"{fmt(s['median'])} ({fmt(s['min'])} – {fmt(s['max'])})"


def verdict(ok):
    return "**met**" if ok else "**not met**"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--startup", required=True)
    ap.add_argument("--load", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--date", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--loadavg-before", default="?")
    ap.add_argument("--moto-version", default="?")
    ap.add_argument("--moto-python", default="?")
    ap.add_argument("--run-command", default="bench/run.sh")
    ap.add_argument("--elapsed", default="?")
    args = ap.parse_args()
    root = args.root.rstrip("/")
    with open(args.startup) as f:
        su = json.load(f)
    with open(args.load) as f:
        ld = json.load(f)

    L = []
    add = L.append
    commit = sh(f"git -C {shlex.quote(root)} rev-parse --short HEAD")
    dirty = sh(f"git -C {shlex.quote(root)} status --porcelain -- emulator Cargo.toml Cargo.lock")
    add(f"# cutover foundation benchmark, {args.date}")
    add("")
    add(f"Produced by `{args.run_command}` (wall time {args.elapsed} s) at commit `{commit}`"
        + (" with uncommitted changes in emulator/ or the workspace manifest" if dirty else "") + ".")
    add("")
    add("## Machine")
    add("")
    add(f"- CPU: {cpu_model()}; `nproc` = {sh('nproc')}")
    mem = sh("free -m").splitlines()
    add("- `free -m`:")
    add("")
    add("  ```")
    for line in mem:
        add("  " + line)
    add("  ```")
    add(f"- Kernel: {sh('uname -sr')}; {sh('rustc --version')}; moto {args.moto_version} "
        f"(`{args.moto_python}`, {sh(shlex.quote(args.moto_python) + ' --version')})")
    add(f"- /proc/loadavg before the run: `{args.loadavg_before}`; after: `{sh('cat /proc/loadavg')}`")
    add("- The load generator and the server under test share these cores; nothing is pinned. "
        "A load average above the core count means other work was competing for the CPU during "
        "the run, which lowers every number below.")
    add("")

    # Start-up
    c = su["servers"]["cutover"]
    m = su["servers"]["moto"]
    add(f"## Start-up ({su['runs']} runs each, interleaved; RSS read after {su['idle_s']:g} s idle)")
    add("")
    add("| server | ready probe | spawn → first 200 (median, min – max) | spawn → STS GetCallerIdentity answered | idle VmRSS (median, min – max) |")
    add("|---|---|---|---|---|")
    for name, s in (("cutover", c), ("moto_server", m)):
        statuses = ", ".join(str(x) for x in s["sts_statuses"])
        add(f"| {name} | {s['ready_probe']} | {span(s['t_ready_ms'], ms)} | {span(s['t_sts_ms'], ms)} (status {statuses}) "
            f"| {span(s['rss_mib'], lambda v: f'{v:.1f} MiB')} |")
    add("")
    c_first = c["t_sts_ms"] if c["sts_all_200"] else c["t_ready_ms"]
    c_probe = "STS GetCallerIdentity" if c["sts_all_200"] else "GET /_emulator/health"
    add(f"- cutover spawn → first 200 ({c_probe}): median {ms(c_first['median'])}, target ≤ {TARGET_START_MS:g} ms: "
        f"{verdict(c_first['median'] <= TARGET_START_MS)}.")
    add(f"- cutover idle RSS: median {c['rss_mib']['median']:.1f} MiB, target ≤ {TARGET_RSS_MIB:g} MiB: "
        f"{verdict(c['rss_mib']['median'] <= TARGET_RSS_MIB)}.")
    add(f"- moto_server (baseline, expected about 1.6 s and 160 MiB): median {ms(m['t_ready_ms']['median'])} to its first "
        f"STS answer, {m['rss_mib']['median']:.1f} MiB idle; cutover is "
        f"{m['t_ready_ms']['median'] / max(c_first['median'], 1e-9):.0f}× faster to start and uses "
        f"{m['rss_mib']['median'] / max(c['rss_mib']['median'], 1e-9):.1f}× less memory.")
    if not c["sts_all_200"]:
        add(f"- cutover did not answer STS GetCallerIdentity with 200 (status {', '.join(str(x) for x in c['sts_statuses'])}), "
            "so its first-200 time is that of /_emulator/health; the STS column shows when its (non-200) answer arrived.")
    add("")
    add("Per run (ms to first answer / MiB):")
    add("")
    add("| run | cutover health | cutover STS | cutover RSS | moto STS | moto RSS |")
    add("|---|---|---|---|---|---|")
    for i, (rc, rm) in enumerate(zip(c["raw"], m["raw"]), 1):
        add(f"| {i} | {rc['t_ready_ms']:.1f} | {rc['t_sts_ms']:.1f} ({rc['sts_status']}) | {rc['rss_kib'] / 1024:.1f} "
            f"| {rm['t_sts_ms']:.1f} ({rm['sts_status']}) | {rm['rss_kib'] / 1024:.1f} |")
    add("")

    # Throughput
    add(f"## Throughput ({ld['connections']} keep-alive connections, {ld['warmup_s']:g} s warm-up, "
        f"{ld['duration_s']:g} s measured, loadgen with {ld['client_threads']} client thread(s))")
    add("")
    add("| server | operation | one-shot check | answered req/s | 200 req/s | p50 | p99 | errors (non-200 / transport / timeout) | statuses | reconnects |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    by = {}
    for kind, name in (("cutover", "cutover"), ("moto", "moto_server")):
        for r in ld["servers"][kind]["runs"]:
            by[(kind, r.get("op"))] = r
            if "failed" in r:
                add(f"| {name} | {r['op']} | {r.get('check_status', '?')} | – | – | – | – | {r['failed']} | – | – |")
                continue
            st = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
            add(f"| {name} | {r['op']} | {r['check_status']} | {r['rps']:,.0f} | {r['ok_rps']:,.0f} | {r['p50_ms']:.3f} ms "
                f"| {r['p99_ms']:.3f} ms | {r['errors']} ({r['non_200']} / {r['transport_errors']} / {r['timeouts']}) "
                f"| {st} | {r['reconnects']} |")
    add("")
    for op in ("sts-get-caller-identity", "iam-get-role", "ecs-describe-services", "elbv2-describe-target-health"):
        rc, rm = by.get(("cutover", op)), by.get(("moto", op))
        if not rc or not rm or "failed" in rc or "failed" in rm:
            add(f"- {op}: no ratio (a loadgen run failed).")
            continue
        if rc["ok"] > 0 and rm["ok"] > 0 and rc["non_200"] == 0:
            ratio = rc["ok_rps"] / rm["ok_rps"]
            add(f"- {op}: cutover {rc['ok_rps']:,.0f} req/s vs moto_server {rm['ok_rps']:,.0f} req/s = {ratio:.0f}×, "
                f"target ≥ {TARGET_RATIO:g}×: {verdict(ratio >= TARGET_RATIO)}.")
        else:
            ratio = rc["rps"] / max(rm["rps"], 1e-9)
            add(f"- {op}: **no valid ratio**: cutover answered {', '.join(rc['statuses'])} "
                f"and moto_server {', '.join(rm['statuses'])} (only 200s count). For information only, answered req/s "
                f"(whatever the status) are {rc['rps']:,.0f} vs {rm['rps']:,.0f} ({ratio:.0f}×).")
    rss = [f"{name} {ld['servers'][kind]['rss_after_kib'] / 1024:.1f} MiB" for kind, name in (("cutover", "cutover"), ("moto", "moto_server"))
           if ld["servers"][kind].get("rss_after_kib")]
    if rss:
        add(f"- VmRSS right after its last run: {', '.join(rss)}.")
    hc = by.get(("cutover", "get:/_emulator/health"))
    if hc and "failed" not in hc:
        add(f"- cutover GET /_emulator/health (harness check and HTTP-stack ceiling, no AWS codec): "
            f"{hc['ok_rps']:,.0f} req/s, p50 {hc['p50_ms']:.3f} ms, p99 {hc['p99_ms']:.3f} ms.")
    add("- Latency is measured per request from the client's side and includes opening a new connection when the "
        "server closed the previous one (moto_server answers `Connection: close`, so every moto request reconnects; "
        "cutover keeps connections alive).")
    add("")

    # Commands
    add("## Commands")
    add("")
    add("```sh")
    add(f"{args.run_command}")
    add("# servers")
    add(rel(c["argv"], root))
    add(rel(m["argv"][:-1] + ["PORT"], root) + "   # PORT: a free port picked per start")
    add("# setup and one-shot checks, then the measured runs (URL as used in this run)")
    for kind in ("cutover", "moto"):
        for s in ld["servers"][kind]["setup"]:
            add(f"{rel(s['cmd'], root)}   # -> {s['status']}")
        for r in ld["servers"][kind]["runs"]:
            add(rel(r["cmd"], root))
    add("```")
    add("")
    text = "\n".join(L) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
