"""The spawned-server harness for client-tests/python and client-tests/cli.

One `cutover serve --bind 127.0.0.1:0 --clock manual` per test session (CUTOVER_BIND is not
used: the port is read from the first stdout line, `ready http://HOST:PORT`). Every test starts
from a reset emulator. At the end the server gets SIGTERM and must exit 0: graceful shutdown is
part of the contract.

The clients find the server the way a user points them at it: AWS_ENDPOINT_URL and static
credentials in the environment (the real AWS CLI, run through subprocess, inherits it).
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 30.0
EXIT_TIMEOUT = 15.0


def cutover_bin() -> str:
    explicit = os.environ.get("CUTOVER_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    return str(Path(target) / "debug" / "cutover")


class Server:
    def __init__(self, proc, url, stderr_path):
        self.proc = proc
        self.url = url
        self.stderr_path = stderr_path

    def control(self, method, path, body=None, raw=None):
        """Calls the control API; returns (status, parsed JSON body or None)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + "/_emulator/" + path.lstrip("/"), data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return status, parsed

    def stderr_tail(self, n=40):
        try:
            return "\n".join(Path(self.stderr_path).read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _spawn():
    binary = cutover_bin()
    if not os.path.exists(binary):
        pytest.exit(f"cutover binary not found at {binary}: run `cargo build -p cutover --bin cutover` or set CUTOVER_BIN", 2)
    stderr = tempfile.NamedTemporaryFile(prefix="cutover-server-", suffix=".log", delete=False)
    env = dict(os.environ)
    env.pop("CUTOVER_BIND", None)
    env.pop("CUTOVER_CLOCK", None)
    proc = subprocess.Popen(
        [binary, "serve", "--bind", "127.0.0.1:0", "--clock", "manual"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        env=env,
    )
    first = []

    def read_first():
        first.append(proc.stdout.readline())

    t = threading.Thread(target=read_first, daemon=True)
    t.start()
    t.join(READY_TIMEOUT)
    line = first[0].decode(errors="replace").strip() if first else ""
    if not line.startswith("ready http://"):
        proc.kill()
        proc.wait()
        log = Path(stderr.name).read_text(errors="replace")
        pytest.exit(f"cutover did not print `ready http://HOST:PORT` (got {line!r}); stderr:\n{log}", 2)
    # Keep draining stdout so a chatty server can never block on a full pipe.
    threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()
    return Server(proc, line.split(" ", 1)[1], stderr.name)


@pytest.fixture(scope="session")
def server():
    srv = _spawn()
    isolated = tempfile.mkdtemp(prefix="cutover-aws-config-")
    saved = {}
    env = {
        "AWS_ENDPOINT_URL": srv.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # Never read a developer's own ~/.aws files or profile; never ask instance metadata.
        "AWS_CONFIG_FILE": os.path.join(isolated, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(isolated, "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        # One attempt: a retried 5xx would hide an emulator bug and slow every failure down.
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_PAGER": "",
    }
    for k in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CA_BUNDLE"):
        saved[k] = os.environ.pop(k, None)
    for k, v in env.items():
        saved.setdefault(k, os.environ.get(k))
        os.environ[k] = v
    try:
        yield srv
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if srv.proc.poll() is None:
            srv.proc.send_signal(signal.SIGTERM)
            try:
                code = srv.proc.wait(EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                srv.proc.kill()
                srv.proc.wait()
                pytest.fail(f"cutover did not exit within {EXIT_TIMEOUT}s of SIGTERM\n{srv.stderr_tail()}")
            assert code == 0, f"cutover exited {code} after SIGTERM (graceful shutdown must exit 0)\n{srv.stderr_tail()}"
        else:
            pytest.fail(f"cutover died during the tests with {srv.proc.returncode}\n{srv.stderr_tail()}")


@pytest.fixture(autouse=True)
def fresh(server):
    """Every test starts from a reset emulator (and a manual clock)."""
    if server.proc.poll() is not None:
        pytest.fail(f"cutover is not running (exit {server.proc.returncode})\n{server.stderr_tail()}")
    status, _ = server.control("POST", "reset")
    assert status == 200, "POST /_emulator/reset failed"
    status, _ = server.control("POST", "clock", {"mode": "manual"})
    assert status == 200
    yield


def pytest_report_header(config):
    return f"cutover binary: {cutover_bin()}"


def make_client(service, validate=True, **kwargs):
    """A boto3 client configured only by the environment the `server` fixture set."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(parameter_validation=validate), **kwargs)


@pytest.fixture
def sts(server):
    return make_client("sts")


@pytest.fixture
def iam(server):
    return make_client("iam")


@pytest.fixture
def ec2(server):
    return make_client("ec2")


@pytest.fixture
def unchecked(server):
    """Clients that send whatever they are given (botocore's parameter validation off), so the
    emulator's own validation answers."""
    return lambda service: make_client(service, validate=False)
