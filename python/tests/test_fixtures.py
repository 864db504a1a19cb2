"""The pytest plugin's fixtures, as a user's test suite uses them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cutover as cutover_pkg


def test_the_plugin_is_registered_by_its_entry_point(pytestconfig):
    plugin = pytestconfig.pluginmanager.get_plugin("cutover")
    assert plugin is not None and plugin.__name__ == "cutover.pytest_plugin"
    # The installed package, not the source tree.
    assert "site-packages" in cutover_pkg.__file__, cutover_pkg.__file__


def test_the_installed_program_runs_and_is_on_path(cutover_server):
    scripts = Path(sys.prefix) / "bin"
    assert cutover_server.binary == str(scripts / "cutover"), cutover_server.binary
    # On the PATH of the activated environment (its bin/ first), as pip puts every script.
    path = f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"
    assert shutil.which("cutover", path=path) == str(scripts / "cutover")
    out = subprocess.run(["cutover", "--version"], capture_output=True, text=True, check=True, env={**os.environ, "PATH": path})
    assert out.stdout.startswith("cutover ")


def test_a_boto3_call(cutover):
    ecs = cutover.client("ecs")
    arn = ecs.create_cluster(clusterName="leftover")["cluster"]["clusterArn"]
    assert arn == "arn:aws:ecs:us-east-1:000000000000:cluster/leftover"
    assert ecs.list_clusters()["clusterArns"] == [arn]


def test_each_test_starts_clean(cutover):
    # test_a_boto3_call left a cluster behind on the same session server.
    assert cutover.client("ecs").list_clusters()["clusterArns"] == []
    # The timeline holds only the reset (or restore) that cleaned it.
    assert [e["kind"] for e in cutover.events()] in (["note"], [])


def test_the_session_server_is_shared(cutover, cutover_server):
    assert cutover is cutover_server


def test_advance_moves_the_manual_clock(cutover):
    before = cutover.clock()
    assert before["mode"] == "manual"
    after = cutover.advance(90)
    assert after["now"] - before["now"] == pytest.approx(90)
    assert cutover.clock()["now"] == pytest.approx(after["now"])


def test_reset_between_tests_puts_the_clock_back(cutover):
    # The manual clock starts where it started for every test: test_advance moved it by 90 s.
    fresh = cutover.clock()["now"]
    cutover.advance(3600)
    cutover.reset()
    assert cutover.clock()["now"] == pytest.approx(fresh)


@pytest.mark.cutover_clock("scaled:60")
def test_the_marker_chooses_a_scaled_clock(cutover):
    c = cutover.clock()
    assert (c["mode"], c["scale"]) == ("scaled", 60)


@pytest.mark.cutover_clock("real")
def test_the_marker_chooses_the_real_clock(cutover):
    assert cutover.clock()["mode"] == "real"


def test_without_a_marker_the_clock_is_manual_again(cutover):
    assert cutover.clock()["mode"] == "manual"


def test_events_since(cutover):
    start = cutover.events()[-1]["seq"]
    cutover.fault("threads-task-def:1")
    cutover.clear_faults()
    events = cutover.events(since=start)
    assert [e["kind"] for e in events] == ["faultInjected", "faultsCleared"]
    assert events[0]["taskDefinition"] == "threads-task-def:1"
    assert [e["kind"] for e in cutover.events(since=events[0]["seq"])] == ["faultsCleared"]


def test_accounts_are_12_digit_access_keys(cutover):
    assert cutover.client("sts").get_caller_identity()["Account"] == "000000000000"
    other = cutover.client("sts", account="123456789012", region="eu-west-1")
    assert other.get_caller_identity()["Account"] == "123456789012"
    # Resources are per account and region.
    cutover.client("ecs", account="123456789012", region="eu-west-1").create_cluster(clusterName="mine")
    assert cutover.client("ecs").list_clusters()["clusterArns"] == []
    with pytest.raises(ValueError, match="12-digit"):
        cutover.client("sts", account="1234")


def test_cutover_env_points_default_clients_at_it(cutover_env):
    import boto3

    assert os.environ["AWS_ENDPOINT_URL"] == cutover_env.url
    assert boto3.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_env_drives_the_aws_cli(cutover, tmp_path):
    aws = shutil.which("aws", path=str(Path(sys.prefix) / "bin")) or shutil.which("aws")
    if aws is None:
        pytest.skip("the AWS CLI is not installed in this environment")
    env = {**os.environ, **cutover.env(account="210987654321")}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "config")  # never a developer's own profile
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "credentials")
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    out = subprocess.run(
        [aws, "sts", "get-caller-identity", "--query", "Account", "--output", "text"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "210987654321"


def test_snapshots_or_a_clear_error(cutover):
    ecs = cutover.client("ecs")
    ecs.create_cluster(clusterName="kept")
    try:
        cutover.snapshot("one")
    except cutover_pkg.NotSupported as e:
        assert "POST /_emulator/snapshot" in str(e)
        with pytest.raises(cutover_pkg.NotSupported, match="/_emulator/restore"):
            cutover.restore("one")
        return
    ecs.delete_cluster(cluster="kept")
    cutover.restore("one")
    assert [a.rsplit("/", 1)[1] for a in ecs.list_clusters()["clusterArns"]] == ["kept"]
    with pytest.raises(cutover_pkg.ControlError) as e:
        cutover.restore("no-such-snapshot")
    assert e.value.status == 404 and not isinstance(e.value, cutover_pkg.NotSupported)
