"""`cutover.Emulator` on its own: flags, errors, shutdown; and the plugin's option and marker in a
pytester sub-session."""

import os
import signal

import pytest

import cutover


def test_serve_flags_pass_through_and_close_is_graceful():
    with cutover.Emulator(clock="scaled:5", log_level="debug", allow_host=["a.test", "b.test"]) as emu:
        assert emu.url.startswith("http://127.0.0.1:")
        assert emu.args[2:] == [
            "--bind", "127.0.0.1:0", "--clock", "scaled:5", "--log-level", "debug",
            "--allow-host", "a.test", "--allow-host", "b.test",
        ]
        assert emu.clock()["scale"] == 5
        emu.client("sts").get_caller_identity()
        assert "sts" in emu.stderr().lower(), emu.stderr()  # debug logs one line per call
        assert emu.running
    assert not emu.running
    assert emu.returncode == 0  # SIGTERM: a graceful shutdown exits 0
    assert emu.close() == 0  # again: nothing more happens


def test_an_unknown_flag_is_the_servers_to_refuse():
    with pytest.raises(cutover.StartError) as e:
        cutover.Emulator(no_such_flag="x")
    assert "unknown argument '--no-such-flag'" in str(e.value)
    assert "exited with status 2" in str(e.value)


def test_a_bad_clock_is_refused_with_the_servers_message():
    with pytest.raises(cutover.StartError, match="scaled"):
        cutover.Emulator(clock="sideways")


def test_cutover_bin_overrides_the_program(monkeypatch, tmp_path):
    missing = tmp_path / "no-cutover-here"
    monkeypatch.setenv("CUTOVER_BIN", str(missing))
    assert cutover.find_binary() == str(missing)
    with pytest.raises(cutover.StartError, match="cannot run"):
        cutover.Emulator()


def test_control_errors_name_the_call():
    with cutover.Emulator() as emu:
        with pytest.raises(cutover.ControlError) as e:
            emu.control("POST", "clock", {"advance": -1})
        assert e.value.status == 400 and "advance" in str(e.value)
        with pytest.raises(cutover.NotSupported, match="GET /_emulator/nothing-here"):
            emu.control("GET", "nothing-here")
        with pytest.raises(ValueError, match="clock mode"):
            emu.set_clock("scaled:-3")


def test_a_server_that_died_is_reported():
    emu = cutover.Emulator()
    try:
        os.kill(emu.pid, signal.SIGKILL)
        emu._proc.wait(10)
        with pytest.raises(cutover.CutoverError, match="exited with status"):
            emu.health()
    finally:
        emu.close()


def test_the_option_and_the_marker_choose_the_clock(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_option(cutover):
            assert (cutover.clock()["mode"], cutover.clock()["scale"]) == ("scaled", 10)

        @pytest.mark.cutover_clock("manual")
        def test_marker_wins(cutover):
            assert cutover.clock()["mode"] == "manual"
        """
    )
    result = pytester.runpytest("--cutover-clock=scaled:10", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_bad_option_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x(cutover):\n    pass\n")
    result = pytester.runpytest("--cutover-clock=fast")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cutover-clock: clock mode 'fast' is not real, manual or scaled:N*"])


def test_a_bad_marker_fails_the_test_naming_it(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.cutover_clock("scaled:zero")
        def test_x(cutover):
            pass
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["*cutover_clock: clock mode 'scaled:zero' is not real, manual or scaled:N*"])
    assert result.ret != 0
