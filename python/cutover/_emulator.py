"""`Emulator`: one `cutover serve` process on a free port, and its control API.

Only the standard library is used (urllib for HTTP); boto3 is imported by `Emulator.client` alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

__all__ = [
    "CutoverError",
    "StartError",
    "ControlError",
    "NotSupported",
    "Emulator",
    "find_binary",
    "clock_body",
    "access_key_for",
]

#: A `serve` flag's value: a string or number (`--flag VALUE`), True (`--flag` alone), False or
#: None (left out), or a list of those (the flag repeated, e.g. `allow_host=["a", "b"]`).
FlagValue = Union[str, int, float, bool, None, Sequence[Union[str, int, float]]]

DEFAULT_SECRET = "test"
DEFAULT_ACCESS_KEY = "test"


class CutoverError(Exception):
    """Anything the cutover package raises about the emulator."""


class StartError(CutoverError):
    """`cutover serve` did not start: the program is missing, refused its flags, or printed no
    ready line in time. The message carries what the server wrote to its standard error."""


class ControlError(CutoverError):
    """A control API call (`/_emulator/...`) answered an error status."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else None
        super().__init__(f"{method} /_emulator/{path} answered {status}: {message or body!r}")


class NotSupported(ControlError):
    """The running cutover has no such control call (it answered 404 "no control call ..."): for
    example `POST /_emulator/snapshot` on a version without snapshots."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(method, path, status, body)
        self.args = (
            f"this cutover has no control call {method} /_emulator/{path} "
            f"(it answered {status}); a newer cutover may have it",
        )


def find_binary() -> str:
    """The `cutover` program to run: `CUTOVER_BIN` when set, else the one installed next to this
    Python (the package's own, in the environment's bin/), else `cutover` on PATH."""
    explicit = os.environ.get("CUTOVER_BIN")
    if explicit:
        return explicit
    exe = "cutover.exe" if sys.platform == "win32" else "cutover"
    scripts = sysconfig.get_path("scripts")
    if scripts:
        beside = Path(scripts) / exe
        if beside.is_file():
            return str(beside)
    on_path = shutil.which("cutover")
    if on_path:
        return on_path
    raise StartError(
        "the cutover program was not found: install the package (pip install ./python), "
        "put cutover on PATH, or set CUTOVER_BIN to its path"
    )


_SCALED = re.compile(r"^scaled:(.+)$")


def clock_body(mode: str) -> Dict[str, Any]:
    """The body of `POST /_emulator/clock` that switches to `mode` ("real", "manual" or
    "scaled:N", as `--clock` takes it)."""
    if mode in ("real", "manual"):
        return {"mode": mode}
    m = _SCALED.match(mode)
    if m:
        try:
            scale = float(m.group(1))
        except ValueError:
            scale = float("nan")
        if scale > 0 and scale != float("inf"):
            return {"mode": "scaled", "scale": scale}
    raise ValueError(f"clock mode {mode!r} is not real, manual or scaled:N (N a positive number)")


def access_key_for(account: Union[str, int, None]) -> str:
    """The access key id that makes cutover act as `account`: the 12 digits themselves (the
    contract's Identity section), or `test` (account 000000000000) for None."""
    if account is None:
        return DEFAULT_ACCESS_KEY
    if isinstance(account, bool):
        raise ValueError(f"account {account!r} is not a 12-digit AWS account id")
    if isinstance(account, int):
        if not 0 <= account <= 999_999_999_999:
            raise ValueError(f"account {account} is not a 12-digit AWS account id")
        return f"{account:012d}"
    if isinstance(account, str) and re.fullmatch(r"[0-9]{12}", account):
        return account
    raise ValueError(f"account {account!r} is not a 12-digit AWS account id")


def _flag_args(flags: Mapping[str, FlagValue]) -> List[str]:
    args: List[str] = []
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            for v in value:
                args += [flag, str(v)]
        else:
            args += [flag, str(value)]
    return args


def _stop(proc: "subprocess.Popen[bytes]", timeout: float) -> Optional[int]:
    """SIGTERM, then SIGKILL after `timeout` seconds; the exit status."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
        except OSError:
            pass
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


class Emulator:
    """A `cutover serve` process on a free loopback port, stopped when the `with` block ends (or on
    `close()`).

    `clock` is the `--clock` mode ("manual" by default: time moves only with `advance`; "real";
    "scaled:N"; None for the server's default). Every other keyword is a `serve` flag:
    `log_level="debug"` is `--log-level debug`, `allow_host=["a", "b"]` repeats the flag, True
    passes a switch alone, None or False leaves it out. Flags the server does not know are its to
    refuse: `StartError` then carries its message. `bind` defaults to `127.0.0.1:0`.

    `binary` overrides the program (default: `CUTOVER_BIN`, else the installed `cutover`).
    """

    def __init__(
        self,
        clock: Optional[str] = "manual",
        *,
        binary: Optional[str] = None,
        ready_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        env: Optional[Mapping[str, str]] = None,
        **serve_flags: FlagValue,
    ) -> None:
        self.binary = binary or find_binary()
        self.stop_timeout = stop_timeout
        self.returncode: Optional[int] = None
        flags: Dict[str, FlagValue] = {"bind": "127.0.0.1:0"}
        if clock is not None:
            flags["clock"] = clock
        flags.update(serve_flags)
        self.args: List[str] = [self.binary, "serve", *_flag_args(flags)]
        self._stderr: IO[bytes] = tempfile.NamedTemporaryFile(prefix="cutover-serve-", suffix=".log", delete=False)
        self.log_path = self._stderr.name
        child_env = dict(os.environ if env is None else env)
        try:
            self._proc: "subprocess.Popen[bytes]" = subprocess.Popen(
                self.args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=child_env,
            )
        except OSError as e:
            self._discard_log()
            raise StartError(f"cannot run {self.binary}: {e}") from e
        self._finalizer = weakref.finalize(self, _stop, self._proc, stop_timeout)
        try:
            self.url: str = self._read_ready(ready_timeout)
        except BaseException:
            self._finalizer()
            self._discard_log()
            raise
        # Keep draining stdout (a second line, e.g. `listening on ...`) so the server never
        # blocks on a full pipe.
        stdout = self._proc.stdout
        if stdout is not None:
            threading.Thread(target=stdout.read, name="cutover-stdout", daemon=True).start()

    # -- the process ---------------------------------------------------------------------------

    def _read_ready(self, timeout: float) -> str:
        got: List[bytes] = []
        stdout = self._proc.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: got.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        line = got[0].decode(errors="replace").strip() if got else ""
        if line.startswith("ready http://"):
            return line.split(" ", 1)[1]
        if reader.is_alive():
            problem = f"printed no ready line within {timeout:g}s"
        else:
            code = self._proc.wait(self.stop_timeout)
            problem = f"exited with status {code} before it was ready" if not line else f"printed {line!r}"
        raise StartError(f"`{' '.join(self.args)}` {problem}; its stderr:\n{self.stderr()}")

    def stderr(self, last: int = 60) -> str:
        """The last `last` lines the server wrote to its standard error (its log)."""
        try:
            lines = Path(self.log_path).read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-last:])

    def _discard_log(self) -> None:
        try:
            self._stderr.close()
            os.unlink(self.log_path)
        except OSError:
            pass

    @property
    def running(self) -> bool:
        """Whether the server process is still running."""
        return self._proc.poll() is None

    @property
    def exit_code(self) -> Optional[int]:
        """The server's exit status once it has exited, else None."""
        return self._proc.poll()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def close(self) -> Optional[int]:
        """Stops the server (SIGTERM, then SIGKILL after `stop_timeout` seconds) and returns its
        exit status (0 after a graceful shutdown). Calling it again does nothing."""
        if self._finalizer.alive:
            self.returncode = self._finalizer()
            self._discard_log()
        return self.returncode

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else f"stopped ({self.returncode})"
        return f"<cutover.Emulator {self.url} {state}>"

    # -- the control API -----------------------------------------------------------------------

    def control(self, method: str, path: str, body: Optional[Mapping[str, Any]] = None, timeout: float = 120.0) -> Any:
        """Calls `/_emulator/PATH` and returns its JSON answer; an error status raises
        `ControlError` (`NotSupported` when this server has no such call)."""
        path = path.lstrip("/")
        data = None if body is None and method in ("GET", "DELETE") else json.dumps(body or {}).encode()
        req = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data, method=method)
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        except urllib.error.URLError as e:
            alive = "is running" if self.running else f"exited with status {self.exit_code}"
            raise CutoverError(
                f"{method} {self.url}/_emulator/{path} failed: {e.reason} (the server {alive}); "
                f"its stderr:\n{self.stderr()}"
            ) from e
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        if status == 404 and isinstance(parsed, dict) and str(parsed.get("message", "")).startswith("no control call"):
            raise NotSupported(method, path, status, parsed)
        if status >= 400:
            raise ControlError(method, path, status, parsed)
        return parsed

    def health(self) -> Dict[str, Any]:
        """`GET /_emulator/health`."""
        return dict(self.control("GET", "health"))

    def reset(self) -> None:
        """Drops every resource in every account and region; the clock goes back (to where it
        started, in manual mode) and keeps its mode."""
        self.control("POST", "reset")

    def clock(self) -> Dict[str, Any]:
        """The simulated clock: `{"now": epoch seconds, "mode": ..., "scale": ...}`."""
        return dict(self.control("GET", "clock"))

    def set_clock(self, mode: str) -> Dict[str, Any]:
        """Switches the clock to `mode` ("real", "manual" or "scaled:N") from now on."""
        return dict(self.control("POST", "clock", clock_body(mode)))

    def advance(self, seconds: float, *, wait_for_hooks: bool = True) -> Dict[str, Any]:
        """Moves simulated time `seconds` forward, firing every event due in between in time
        order, and returns the clock. With `wait_for_hooks` (the default) time stops at each
        Lambda hook invocation until the hook has run, so a long advance never outruns a hook;
        False lets hooks run on the wall clock afterwards."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"advance takes a number of seconds, not {seconds!r}")
        body: Dict[str, Any] = {"advance": seconds}
        if wait_for_hooks:
            body["waitForHooks"] = True
        return dict(self.control("POST", "clock", body))

    def events(self, since: int = 0) -> List[Dict[str, Any]]:
        """The simulation's timeline after sequence number `since`: dicts with seq, time, source,
        message, kind and the entry's fields."""
        return list(self.control("GET", f"events?since={int(since)}")["events"])

    def snapshot(self, name: str) -> None:
        """Keeps a named copy of the whole state in the server (`POST /_emulator/snapshot`).
        Raises `NotSupported` on a cutover without snapshots."""
        self.control("POST", "snapshot", {"name": name})

    def restore(self, name: str) -> None:
        """Puts a snapshot back (`POST /_emulator/restore`). Raises `ControlError` (404) for an
        unknown name, `NotSupported` on a cutover without snapshots."""
        self.control("POST", "restore", {"name": name})

    def fault(self, task_definition: str, target_health: str = "unhealthy") -> None:
        """Every task of `task_definition` (family:revision or ARN) fails its load balancer health
        checks from now on."""
        self.control("POST", "faults", {"targetHealth": target_health, "taskDefinition": task_definition})

    def clear_faults(self) -> None:
        """Clears every fault."""
        self.control("DELETE", "faults")

    # -- clients -------------------------------------------------------------------------------

    def env(self, account: Union[str, int, None] = None, region: str = "us-east-1") -> Dict[str, str]:
        """Environment variables that point an AWS client in a subprocess (the AWS CLI, a deploy
        tool) at this emulator, as `account` in `region`: merge them into os.environ,
        `subprocess.run([...], env={**os.environ, **emu.env()})`."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": access_key_for(account),
            "AWS_SECRET_ACCESS_KEY": DEFAULT_SECRET,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(
        self, service: str, account: Union[str, int, None] = None, region: str = "us-east-1", **kwargs: Any
    ) -> Any:
        """A boto3 client for `service` pointed at this emulator, as `account` (a 12-digit id; None
        is 000000000000) in `region`. Other keywords go to `boto3.session.Session.client`."""
        try:
            import boto3  # type: ignore[import-not-found, import-untyped, unused-ignore]
        except ImportError as e:
            raise ImportError(
                "Emulator.client needs boto3, which is not installed: pip install boto3 "
                "(or pip install './python[boto3]'); env() gives the settings for other clients"
            ) from e
        session = boto3.session.Session(
            aws_access_key_id=access_key_for(account),
            aws_secret_access_key=DEFAULT_SECRET,
            region_name=region,
        )
        kwargs.setdefault("endpoint_url", self.url)
        return session.client(service, **kwargs)

    def wait_until(self, predicate: Callable[[], object], *, step: float = 1.0, limit: float = 3600.0) -> float:
        """Advances the clock `step` seconds at a time until `predicate()` is true, at most `limit`
        simulated seconds; returns the seconds advanced. Raises TimeoutError naming the limit."""
        moved = 0.0
        while not predicate():
            if moved >= limit:
                raise TimeoutError(f"still false after advancing {moved:g} simulated seconds")
            self.advance(step)
            moved += step
        return moved
