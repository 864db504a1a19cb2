"""The cutover pytest plugin (registered by the `pytest11` entry point of the package).

Fixtures:

- `cutover_server` (session): one `cutover.Emulator` for the whole test session.
- `cutover` (function): that emulator, in a clean state before each test (restored from a
  snapshot of its fresh state taken at the start when the server has snapshots, reset otherwise),
  with the clock in the test's mode.
- `cutover_env` (function): `cutover`, with its `env()` set in `os.environ` for the test (so code
  under test and subprocesses that read AWS_ENDPOINT_URL reach it).

The clock mode: `@pytest.mark.cutover_clock("real" | "manual" | "scaled:N")` on a test, else
`--cutover-clock MODE`, else the `cutover_clock` ini value, else "manual".
"""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

import pytest

from ._emulator import ControlError, Emulator, NotSupported, clock_body, find_binary

#: The snapshot of the fresh state each test starts from, when the server has snapshots.
CLEAN_SNAPSHOT = "cutover-pytest-clean"

_CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cutover", "cutover AWS emulator")
    group.addoption(
        "--cutover-clock",
        dest="cutover_clock",
        default=None,
        metavar="MODE",
        help="clock mode of the cutover fixtures: manual (default), real or scaled:N; "
        "a test's @pytest.mark.cutover_clock wins",
    )
    parser.addini("cutover_clock", "clock mode of the cutover fixtures (manual, real or scaled:N)", default="manual")


def _checked(mode: object, where: str) -> str:
    if not isinstance(mode, str):
        raise pytest.UsageError(f"{where}: the clock mode must be a string (manual, real or scaled:N), not {mode!r}")
    try:
        clock_body(mode)
    except ValueError as e:
        raise pytest.UsageError(f"{where}: {e}") from None
    return mode


def _default_clock(config: pytest.Config) -> str:
    option = config.getoption("cutover_clock", None)
    if option is not None:
        return _checked(option, "--cutover-clock")
    return _checked(str(config.getini("cutover_clock")), "ini cutover_clock")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cutover_clock(mode): the clock mode of the cutover fixture for this test: "
        '"manual", "real" or "scaled:N"',
    )
    _default_clock(config)


def pytest_report_header(config: pytest.Config) -> Optional[str]:
    try:
        binary = find_binary()
    except Exception as e:  # a missing program is reported when a fixture starts it
        binary = f"not found ({e})"
    return f"cutover: {binary}, clock {_default_clock(config)}"


def _marker_clock(item: pytest.Item) -> Optional[str]:
    marker = item.get_closest_marker("cutover_clock")
    if marker is None:
        return None
    if len(marker.args) != 1 or marker.kwargs:
        raise pytest.UsageError(
            f"{item.nodeid}: @pytest.mark.cutover_clock takes one mode, e.g. cutover_clock('scaled:60')"
        )
    return _checked(marker.args[0], f"{item.nodeid}: @pytest.mark.cutover_clock")


@pytest.fixture(scope="session")
def _cutover_session(pytestconfig: pytest.Config) -> Iterator[Tuple[Emulator, Optional[str]]]:
    with Emulator(clock=_default_clock(pytestconfig)) as emu:
        try:
            emu.snapshot(CLEAN_SNAPSHOT)
            clean: Optional[str] = CLEAN_SNAPSHOT
        except NotSupported:
            clean = None  # no snapshots in this cutover: each test starts from a reset
        yield emu, clean


@pytest.fixture(scope="session")
def cutover_server(_cutover_session: Tuple[Emulator, Optional[str]]) -> Emulator:
    """One cutover server for the whole test session (not cleaned between tests)."""
    return _cutover_session[0]


@pytest.fixture
def cutover(_cutover_session: Tuple[Emulator, Optional[str]], request: pytest.FixtureRequest) -> Emulator:
    """The session's cutover server, in a clean state and with the test's clock mode."""
    emu, clean = _cutover_session
    if not emu.running:
        pytest.fail(f"the cutover server is not running (exit {emu.exit_code}); its stderr:\n{emu.stderr()}")
    mode = _marker_clock(request.node) or _default_clock(request.config)
    try:
        if clean is not None:
            emu.restore(clean)
        else:
            emu.reset()
        emu.set_clock(mode)
    except ControlError as e:
        pytest.fail(f"cutover could not be cleaned before the test: {e}")
    return emu


@pytest.fixture
def cutover_env(cutover: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """`cutover`, with `cutover.env()` in os.environ for this test (and no AWS profile or session
    token left to interfere)."""
    for name in _CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in cutover.env().items():
        monkeypatch.setenv(name, value)
    return cutover
