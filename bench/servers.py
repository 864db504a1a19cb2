"""Starting, probing and stopping the servers under benchmark (cutover and moto_server).

Used by startup.py and load.py. Standard library only.
"""

import http.client
import os
import selectors
import signal
import socket
import subprocess
import time

# The awsQuery request botocore 1.43 sends for `sts get-caller-identity` (the signature is not
# checked by either server; the credential scope tells moto which service is called).
STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
STS_HEADERS = {
    "Accept-Encoding": "identity",
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "User-Agent": "Boto3/1.43.11 md/Botocore#1.43.11 Botocore/1.43.11",
    "X-Amz-Date": "20250101T000000Z",
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sts/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, "
    "Signature=0d1c00a80fd3dc71577283339ad8dc7c591ecc8a8894b50ce682e455fea247a4",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=2.0):
    """One HTTP request on a fresh connection: (status, body bytes). Raises OSError if nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def sts_call(port, timeout=2.0):
    return request(port, "POST", "/", STS_BODY, STS_HEADERS, timeout)


def health_call(port, timeout=2.0):
    return request(port, "GET", "/_emulator/health", None, None, timeout)


def poll(fn, port, deadline, interval=0.002):
    """Calls fn(port) until it answers with any HTTP status; returns (status, body, time answered)."""
    while True:
        try:
            status, body = fn(port)
            return status, body, time.perf_counter()
        except (OSError, http.client.HTTPException):
            if time.perf_counter() > deadline:
                raise TimeoutError("server did not answer in time")
            time.sleep(interval)


def rss_kib(pid):
    """VmRSS of pid plus all its descendants, in KiB (0 if it is gone)."""
    total = 0
    stack = [pid]
    seen = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            for tid in os.listdir(f"/proc/{p}/task"):
                try:
                    with open(f"/proc/{p}/task/{tid}/children") as f:
                        stack.extend(int(c) for c in f.read().split())
                except OSError:
                    pass
        except OSError:
            pass
    return total


class Server:
    """A server process started for a benchmark: name, argv, Popen, port, spawn time."""

    def __init__(self, name, argv, proc, port, t_spawn):
        self.name = name
        self.argv = argv
        self.proc = proc
        self.port = port
        self.t_spawn = t_spawn

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def cutover_argv(binary):
    return [binary, "serve", "--bind", "127.0.0.1:0"]


def moto_argv(python, port):
    return [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def start_cutover(binary, timeout=10.0):
    """Spawns cutover on a free port; returns the Server once its `ready` line names the port."""
    argv = cutover_argv(binary)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = t0 + timeout
    try:
        while b"\n" not in buf:
            left = deadline - time.perf_counter()
            if left <= 0 or not sel.select(left):
                raise TimeoutError("cutover printed no ready line")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"cutover exited with {proc.wait()} before it was ready")
            buf += chunk
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        sel.close()
    line = buf.split(b"\n", 1)[0].decode()
    if not line.startswith("ready http://"):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"unexpected first line from cutover: {line!r}")
    port = int(line.rsplit(":", 1)[1])
    return Server("cutover", argv, proc, port, t0)


def start_moto(python):
    """Spawns moto_server on a free port (it does not announce readiness: poll it)."""
    port = free_port()
    argv = moto_argv(python, port)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return Server("moto", argv, proc, port, t0)


def wait_ready(server, timeout=30.0):
    """Polls until the server answers: cutover's /_emulator/health, moto's STS GetCallerIdentity."""
    deadline = server.t_spawn + timeout
    fn = health_call if server.name == "cutover" else sts_call
    status, body, t = poll(fn, server.port, deadline)
    if server.proc.poll() is not None:
        raise RuntimeError(f"{server.name} exited with {server.proc.returncode}")
    return status, body, t
