"""docker-compose.yml, the Dockerfile and the Lab 4 walkthrough, without a Docker engine.

There is no Docker on the project's machines, so nothing here builds an image or starts a
container. What can be checked is: the files' structure (services, build targets, ports, the
health check, every path they reference), that the image builds the same binary it runs, and,
above all, that the walkthrough service's exact command (scripts/lab-walkthrough.sh with the
service's environment) passes against a real `cutover serve`: the one the harness spawned, with
its clock switched to scaled:60 as the compose file's emulator runs, and AWS_ENDPOINT_URL pointing
at it instead of http://cutover:4566.
"""

import http.client
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

import labkit
from conftest import REPO, cutover_bin, make_client

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
WALKTHROUGH_TIMEOUT = 900  # wall seconds; about 3 minutes on a loaded 2-core machine


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def dockerfile_stages():
    """{stage name: [(instruction, argument text)]} of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, rest = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.IGNORECASE)
            assert m, f"FROM line {line!r}"
            current = m.group(2) or f"stage{len(stages)}"
            stages[current] = [("FROM", m.group(1))]
        else:
            assert current, f"{instr} before any FROM"
            stages[current].append((instr, rest.strip()))
    return stages


def instructions(stage, name):
    return [arg for instr, arg in stage if instr == name]


def exec_form(arg):
    """The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD as a list."""
    value = json.loads(arg)
    assert isinstance(value, list) and all(isinstance(x, str) for x in value), arg
    return value


def ignored_patterns():
    return [p.strip() for p in DOCKERIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")]


def is_ignored(rel):
    """Whether .dockerignore keeps `rel` (a path relative to the repo) out of the build context.
    Supports the pattern forms the file uses: plain paths and `**/` prefixes."""
    parts = Path(rel).parts
    for pat in ignored_patterns():
        if pat.startswith("**/"):
            name = pat[3:]
            if any(Path(*parts[: i + 1]).match(name) for i in range(len(parts))):
                return True
        elif Path(*parts[: len(Path(pat).parts)]) == Path(pat) or Path(rel).match(pat):
            return True
    return False


def workspace_members():
    text = (REPO / "Cargo.toml").read_text()
    m = re.search(r"members\s*=\s*\[([^\]]*)\]", text)
    return re.findall(r'"([^"]+)"', m.group(1))


# ---------------------------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------------------------


def test_emulator_service(compose):
    svc = compose["services"]["cutover"]
    build = svc["build"]
    assert (REPO / build["context"]).resolve() == REPO
    assert (REPO / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
    assert build["target"] in dockerfile_stages()
    assert svc["ports"] == ["4566:4566"]
    env = svc["environment"]
    assert env["CUTOVER_BIND"] == "0.0.0.0:4566"
    assert env["CUTOVER_CLOCK"] == "scaled:60"
    check = svc["healthcheck"]
    assert check["test"] == ["CMD", "curl", "-fsS", "http://127.0.0.1:4566/_emulator/health"]
    assert int(check["retries"]) >= 5


def test_the_emulator_answers_the_walkthrough_by_its_service_name(compose):
    """cutover answers only loopback names, its bound address and --allow-host names (DNS
    rebinding): the compose file must allow the name the walkthrough container calls it by."""
    emulator_env = {k: str(v) for k, v in compose["services"]["cutover"]["environment"].items()}
    client_url = compose["services"]["walkthrough"]["environment"]["AWS_ENDPOINT_URL"]
    host = client_url.split("://", 1)[1]
    for with_env, want in ((True, 200), (False, 403)):
        env = dict(os.environ)
        if with_env:
            env.update(emulator_env)
        env["CUTOVER_BIND"] = "127.0.0.1:0"  # a free port here instead of the container's 0.0.0.0:4566
        env["CUTOVER_CLOCK"] = "manual"
        proc = subprocess.Popen([cutover_bin(), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            url = proc.stdout.readline().decode().split()[1]
            conn = http.client.HTTPConnection(url.split("://", 1)[1], timeout=10)
            conn.request("GET", "/_emulator/health", headers={"Host": host})
            status = conn.getresponse().status
            assert status == want, f"Host {host} with the compose environment={with_env}: {status}"
        finally:
            proc.kill()
            proc.wait()


def test_walkthrough_service(compose):
    svc = compose["services"]["walkthrough"]
    assert svc["depends_on"] == {"cutover": {"condition": "service_healthy"}}
    env = svc["environment"]
    assert env["AWS_ENDPOINT_URL"] == "http://cutover:4566"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert svc["build"]["target"] in dockerfile_stages()
    for volume in svc["volumes"]:
        source = volume.split(":")[0]
        assert (REPO / source).exists(), f"volume source {source} does not exist"
    # The command names a script that the volumes bring into the container.
    host_cmd = host_command(svc)
    assert host_cmd[0] == "bash"
    assert Path(host_cmd[1]) == REPO / "scripts" / "lab-walkthrough.sh"
    assert Path(host_cmd[1]).is_file()
    r = subprocess.run(["bash", "-n", host_cmd[1]], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_the_healthcheck_answers_where_compose_asks(server):
    """The health check's path answers 200 with status ok on a running emulator (the compose file's
    port is fixed; the path is the part that can be checked here)."""
    status, body = server.control("GET", "health")
    assert status == 200
    assert body["status"] == "ok"


def test_dockerfile_builds_and_runs_the_same_binary(compose):
    stages = dockerfile_stages()
    target = compose["services"]["cutover"]["build"]["target"]
    assert list(stages)[-1] == target, "a plain `docker build .` must give the emulator image"
    runs = " ".join(arg for stage in stages.values() for arg in instructions(stage, "RUN"))
    m = re.search(r"cargo build --release (?:--locked )?-p cutover --bin cutover", runs)
    assert m, runs
    build_stage = next(name for name, st in stages.items() if any("cargo build" in a for a in instructions(st, "RUN")))
    workdir = instructions(stages[build_stage], "WORKDIR")[-1]
    runtime = stages[target]
    copies = instructions(runtime, "COPY")
    binary = f"{workdir}/target/release/cutover"
    copy = next(c for c in copies if c.startswith(f"--from={build_stage} {binary} "))
    installed = copy.split()[-1]
    assert installed == "/usr/local/bin/cutover"
    entry = exec_form(instructions(runtime, "ENTRYPOINT")[-1])
    assert entry == ["cutover", "serve"], entry
    assert "4566" in instructions(runtime, "EXPOSE")
    assert "CUTOVER_BIND=0.0.0.0:4566" in instructions(runtime, "ENV")
    # The health check's curl and the Lambda interpreters are in the image.
    packages = " ".join(instructions(runtime, "RUN"))
    for pkg in ("curl", "python3", "nodejs"):
        assert re.search(rf"\b{pkg}\b", packages), pkg
    health = instructions(runtime, "HEALTHCHECK")[-1]
    assert "http://127.0.0.1:4566/_emulator/health" in health


def test_walkthrough_image_has_the_pinned_cli(compose):
    stage = dockerfile_stages()[compose["services"]["walkthrough"]["build"]["target"]]
    pins = dict(
        line.split("==") for line in (REPO / "client-tests/python/requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    runs = " ".join(instructions(stage, "RUN"))
    assert f"awscli=={pins['awscli']}" in runs
    assert re.search(r"\bcurl\b", runs)


def test_build_context_has_what_the_build_needs():
    """The build copies the whole context; .dockerignore must not drop anything Cargo needs (every
    workspace member, the lock file, the emulator's models and sources) and must drop the bulk."""
    needed = ["Cargo.toml", "Cargo.lock", "emulator/models", "emulator/src", *workspace_members()]
    for rel in needed:
        assert (REPO / rel).exists(), rel
        assert not is_ignored(rel), f".dockerignore drops {rel}"
    for member in workspace_members():
        assert (REPO / member / "Cargo.toml").is_file(), member
    for bulky in ("target", ".git", ".venv", "client-tests/js/node_modules"):
        assert is_ignored(bulky), f".dockerignore keeps {bulky}"
    for stage in dockerfile_stages().values():
        for arg in instructions(stage, "COPY"):
            if arg.startswith("--from="):
                continue
            *sources, _dest = arg.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY source {source} does not exist"


# ---------------------------------------------------------------------------------------------
# The walkthrough service's command, for real
# ---------------------------------------------------------------------------------------------


def host_command(svc):
    """The service's command with container paths of its bind mounts mapped to the repository."""
    mounts = []
    for volume in svc.get("volumes", []):
        source, target = volume.split(":")[:2]
        mounts.append((target.rstrip("/"), (REPO / source).resolve()))
    command = svc["command"]
    if isinstance(command, str):
        command = shlex.split(command)
    out = []
    for arg in command:
        for target, source in mounts:
            if arg == target or arg.startswith(target + "/"):
                arg = str(source) + arg[len(target):]
        out.append(arg)
    return out


def walkthrough_env(svc, server, workdir):
    env = dict(os.environ)
    env.update({k: str(v) for k, v in svc["environment"].items()})
    assert env["AWS_ENDPOINT_URL"] == "http://cutover:4566"
    env["AWS_ENDPOINT_URL"] = server.url  # the spawned emulator instead of the compose one
    env["WALKTHROUGH_DIR"] = str(workdir)
    return env


def test_walkthrough_refuses_a_manual_clock(compose, server, tmp_path):
    svc = compose["services"]["walkthrough"]
    r = subprocess.run(
        host_command(svc), env=walkthrough_env(svc, server, tmp_path), capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1
    assert "clock is manual" in r.stderr, r.stderr
    # It stopped before creating anything.
    assert make_client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"] == []


def test_walkthrough_runs_lab4_to_a_succeeded_deployment(compose, server, tmp_path):
    svc = compose["services"]["walkthrough"]
    labkit.set_clock(server, "scaled", 60)  # as the compose file's emulator runs
    r = subprocess.run(
        host_command(svc),
        env=walkthrough_env(svc, server, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=WALKTHROUGH_TIMEOUT,
    )
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}\nserver:\n{server.stderr_tail()}"
    out = r.stdout
    labkit.set_clock(server, "manual")

    codedeploy = make_client("codedeploy")
    [deployment] = codedeploy.list_deployments(applicationName="threadsApp", deploymentGroupName="threadsDG")[
        "deployments"
    ]
    info = codedeploy.get_deployment(deploymentId=deployment)["deploymentInfo"]
    assert info["status"] == "Succeeded"
    assert f"Successfully created deployment {deployment}" in out
    assert "Successfully deployed arn:aws:ecs:us-east-1:000000000000:task-definition/threads-task-def:2" in out
    events = codedeploy.get_deployment_target(deploymentId=deployment, targetId=f"{labkit.CLUSTER}:threads")[
        "deploymentTarget"
    ]["ecsTarget"]["lifecycleEvents"]
    assert {e["lifecycleEventName"]: e["status"] for e in events}["BeforeAllowTraffic"] == "Succeeded"

    # The hook really checked green through the test listener.
    logs = make_client("logs").filter_log_events(logGroupName="/aws/lambda/CodeDeployHook_pre-traffic-hook")
    text = "".join(e["message"] for e in logs["events"])
    assert re.search(r"GET http://alb-container-labs-\d+\.us-east-1\.elb\.localhost:8080/api/threads -> 200 ", text)
    assert "threads-task-def:2" in text
    assert "reported Succeeded" in text

    # Traffic: every service still there, threads on green.
    ecs = make_client("ecs")
    services = ecs.describe_services(cluster=labkit.CLUSTER, services=list(labkit.SERVICES))["services"]
    assert [(s["serviceName"], s["runningCount"]) for s in services] == [("users", 1), ("threads", 1), ("posts", 1)]
    [task_set] = services[1]["taskSets"]
    assert task_set["taskDefinition"].endswith("threads-task-def:2")
    assert "/api/threads* rule: threads-tg-2=100 threads-tg=0" in out
    # The traffic watcher saw blue first and green last.
    runs = re.findall(r"^\s+\d+ x (\S+)$", out.split("Traffic seen on the production listener")[1], re.M)
    assert runs[0] == "threads-task-def:1" and runs[-1] == "threads-task-def:2", runs
    # The lab's files were written where WALKTHROUGH_DIR says.
    for name in ("ecs-service-threads.json", "deployment-group-threads.json", "appspec.json", "pre-traffic-hook.zip"):
        assert (tmp_path / name).is_file(), name


# ---------------------------------------------------------------------------------------------
# The GitHub Actions example
# ---------------------------------------------------------------------------------------------


def test_github_actions_example():
    wf = yaml.safe_load((REPO / "docs/github-actions.yml").read_text())
    env = wf["env"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_DEFAULT_REGION"]
    jobs = wf["jobs"]
    assert set(jobs) == {"from-source", "with-compose"}
    for name, job in jobs.items():
        steps = job["steps"]
        names = [s.get("name") for s in steps]
        start = names.index("Start cutover")
        assert start < names.index("Run your tests"), name
        script = steps[start]["run"]
        if name == "from-source":
            assert "cargo run --release -p cutover -- serve" in script
            assert "$AWS_ENDPOINT_URL/_emulator/health" in script
        else:
            assert "docker compose up --build --detach --wait cutover" in script
        r = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert r.returncode == 0, (name, r.stderr)
        tests = steps[names.index("Run your tests")]["run"]
        for path in re.findall(r"\.cutover/(\S+)", tests):
            assert (REPO / path).exists(), path
