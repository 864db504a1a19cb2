"""Lab 4 through `aws ecs deploy`, the real CLI with AWS_ENDPOINT_URL set (its CodeDeploy client
ignores --endpoint-url).

The CLI's DeploymentSuccessful waiter polls GetDeployment every 15 s of wall time. Each test runs
`aws ecs deploy` as a subprocess and, while it waits, drives the manual clock from the test: once
the deployment exists the clock jumps an hour (and, with a hook, first steps to the hook event and
waits on the wall clock for the Lambda process to answer), so the next poll sees the end. One
deploy takes about 15 s of wall time.

The hook is a nodejs20.x function without npm packages (labkit.HOOK_JS): it reports the status in
its HOOK_STATUS variable with Node's fetch and a hand-built awsJson request."""

import json
import subprocess

import pytest

import labkit
from labkit import APP, CLUSTER, GROUP, HOOK_FUNCTION, advance, aws, share, wait_wall

BLUE, GREEN = "threads-tg", "threads-tg-2"
FAILED_MESSAGE = (
    'Waiter DeploymentSuccessful failed: Waiter encountered a terminal failure state: '
    'For expression "deploymentInfo.status" we matched expected path: "Failed"'
)


@pytest.fixture
def lab(server):
    return labkit.build(server, codedeploy=False)


def create_codedeploy_with_cli(lab, cwd):
    """Lab 4 step 9, as the lab writes it."""
    app = aws("deploy", "create-application", "--region", "us-east-1", "--application-name", APP,
              "--compute-platform", "ECS", cwd=cwd)
    assert set(app) == {"applicationId"}
    doc = labkit.deployment_group_input(lab.prod_listener, lab.test_listener)
    (cwd / "deployment-group-threads.json").write_text(json.dumps(doc, indent=4))
    group = aws("deploy", "create-deployment-group", "--region", "us-east-1",
                "--cli-input-json", "file://deployment-group-threads.json", cwd=cwd)
    assert set(group) == {"deploymentGroupId"}


def create_hook_with_cli(lab, cwd, status, name=HOOK_FUNCTION, role=None):
    """The hook role (labkit.create_hook_role, unless `role` is given) and `aws lambda
    create-function` as Lab 4 has it, with a runtime AWS still accepts and HOOK_STATUS for the
    answer the hook gives. Returns the role's ARN."""
    role = role or labkit.create_hook_role(lab.iam)
    (cwd / "hook.zip").write_bytes(labkit.hook_zip())
    fn = aws(
        "lambda", "create-function", "--region", "us-east-1",
        "--function-name", name,
        "--zip-file", "fileb://hook.zip",
        "--role", role,
        "--environment", f"Variables={{HOOK_STATUS={status}}}",
        "--handler", "pre-traffic-hook.handler",
        "--runtime", "nodejs20.x",
        cwd=cwd,
    )
    assert fn["Environment"]["Variables"] == {"HOOK_STATUS": status}
    advance(lab.server, 5)  # Pending -> Active
    assert lab_lambda_state(fn["FunctionName"]) == "Active"
    return role


def lab_lambda_state(name):
    return labkit.make_client("lambda").get_function(FunctionName=name)["Configuration"]["State"]


def ecs_deploy(lab, cwd, tag, hooks=None, on_hook=None):
    """Runs the lab's `aws ecs deploy` for threads:<tag> with the appspec's `hooks` ({event:
    function}) and drives the clock until it returns; `on_hook(deployment_id)` runs while the
    (single) hook's function is invoked, before it answers. Returns (CompletedProcess-like tuple
    (code, stdout, stderr), deployment id)."""
    (cwd / "fargate-task-def-threads.json").write_text(json.dumps(labkit.task_definition("threads", tag), indent=3))
    (cwd / "appspec.json").write_text(json.dumps(labkit.appspec(lab.subnets, lab.sg, "threads-task-def:1", hooks)))
    before = set(lab.codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"])
    proc = subprocess.Popen(
        [
            "aws", "ecs", "deploy", "--region", "us-east-1",
            "--cluster", CLUSTER,
            "--service", "threads",
            "--task-definition", "fargate-task-def-threads.json",
            "--codedeploy-appspec", "appspec.json",
            "--codedeploy-application", APP,
            "--codedeploy-deployment-group", GROUP,
        ],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        def created():
            assert proc.poll() is None, f"aws ecs deploy ended early: {proc.communicate()}"
            ids = lab.codedeploy.list_deployments(applicationName=APP, deploymentGroupName=GROUP)["deployments"]
            new = [i for i in ids if i not in before]
            return new[0] if new else None

        d = wait_wall(created, timeout=30, what="the CLI's deployment")
        for event in hooks or {}:
            labkit.until_hook_invoked(lab, d, event, limit=600)
            if on_hook:
                on_hook(d)
            labkit.hook_answer(lab, d, event)
        advance(lab.server, 3600)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return (proc.returncode, out, err), d


def assert_deployed(result, d, revision):
    code, out, err = result
    assert code == 0, err
    arn = f"arn:aws:ecs:us-east-1:{labkit.ACCOUNT}:task-definition/threads-task-def:{revision}"
    assert out.splitlines() == [
        f"Successfully registered new ECS task definition {arn}",
        f"Successfully created deployment {d}",
        f"Waiting for {d} to succeed (will wait up to 30 minutes)...",
        f"Successfully deployed {arn} to service 'threads'",
    ], out


def only_task_set(lab):
    [ts] = lab.task_sets()
    return ts["status"], ts["taskDefinition"].rsplit("/", 1)[1], lab.tg_name(ts["loadBalancers"][0]["targetGroupArn"])


def test_deploy_succeeds_and_the_next_one_swaps_back(lab, tmp_path):
    create_codedeploy_with_cli(lab, tmp_path)
    result, d = ecs_deploy(lab, tmp_path, "0.1")
    assert_deployed(result, d, 2)
    info = lab.deployment(d)
    assert info["status"] == "Succeeded"
    assert info["creator"] == "user"
    assert info["revision"]["revisionType"] == "AppSpecContent"
    assert only_task_set(lab) == ("PRIMARY", "threads-task-def:2", GREEN)
    assert lab.rule_weights() == {GREEN: 100, BLUE: 0}
    assert lab.target_states(GREEN) == ["healthy"]
    svc = lab.ecs.describe_services(cluster=CLUSTER, services=["threads"])["services"][0]
    assert svc["taskDefinition"].endswith("threads-task-def:2")

    result, d2 = ecs_deploy(lab, tmp_path, "0.2")
    assert_deployed(result, d2, 3)
    assert lab.status(d2) == "Succeeded"
    assert only_task_set(lab) == ("PRIMARY", "threads-task-def:3", BLUE)
    assert lab.rule_weights() == {BLUE: 100, GREEN: 0}
    assert lab.target_states(BLUE) == ["healthy"]


def test_hook_reporting_failed_fails_the_deploy_and_rolls_back(lab, tmp_path):
    labkit.create_codedeploy(lab)
    create_hook_with_cli(lab, tmp_path, "Failed")
    (code, out, err), d = ecs_deploy(lab, tmp_path, "0.1", {"BeforeAllowTraffic": HOOK_FUNCTION})
    assert code == 255, (out, err)
    assert FAILED_MESSAGE in err, err
    assert f"Successfully created deployment {d}" in out
    assert "Successfully deployed" not in out

    info = lab.deployment(d)
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    rollback = lab.deployment(rollback_id)
    assert rollback["status"] == "Succeeded"
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == d
    events = {e["lifecycleEventName"]: e["status"] for e in lab.ecs_target(d)["lifecycleEvents"]}
    assert events["AfterAllowTestTraffic"] == "Succeeded"
    assert events["BeforeAllowTraffic"] == "Failed"
    assert events["AllowTraffic"] == "Skipped"
    # Traffic never left blue, green is gone.
    assert lab.rule_weights().get(GREEN, 0) == 0
    assert only_task_set(lab) == ("PRIMARY", "threads-task-def:1", BLUE)
    # The hook ran as a real process and logged like the lab's.
    logs = labkit.make_client("logs").filter_log_events(logGroupName=f"/aws/lambda/{HOOK_FUNCTION}")["events"]
    text = "".join(e["message"] for e in logs)
    assert "Entering PreTraffic Hook!" in text
    assert d in text


def test_hook_reporting_succeeded_lets_the_deploy_through(lab, tmp_path):
    labkit.create_codedeploy(lab)
    create_hook_with_cli(lab, tmp_path, "Succeeded")
    result, d = ecs_deploy(lab, tmp_path, "0.1", {"BeforeAllowTraffic": HOOK_FUNCTION})
    assert_deployed(result, d, 2)
    events = {e["lifecycleEventName"]: e["status"] for e in lab.ecs_target(d)["lifecycleEvents"]}
    assert set(events.values()) == {"Succeeded"}
    assert only_task_set(lab) == ("PRIMARY", "threads-task-def:2", GREEN)
    assert lab.rule_weights() == {GREEN: 100, BLUE: 0}


def test_lab4_hook_then_rollback(lab, tmp_path):
    """The client matrix's workflow (client-tests/README.md) through `aws ecs deploy`: revision 2
    with an AfterAllowTestTraffic hook that reports Succeeded, then revision 3 with one that reports
    Failed, which fails the deploy and rolls back to revision 2 on threads-tg-2."""
    labkit.create_codedeploy(lab)
    ok, failing = "CodeDeployHook_after-test-traffic", "CodeDeployHook_after-test-traffic-failing"
    role = create_hook_with_cli(lab, tmp_path, "Succeeded", name=ok)
    create_hook_with_cli(lab, tmp_path, "Failed", name=failing, role=role)
    seen = {}

    def while_hook_runs(d):
        seen[d] = (share(lab.rule_weights(), GREEN), share(lab.listener_weights(lab.test_listener), GREEN))

    result, d = ecs_deploy(lab, tmp_path, "0.1", {"AfterAllowTestTraffic": ok}, while_hook_runs)
    assert_deployed(result, d, 2)
    # While the hook ran, production was on blue and the test listener on green.
    assert seen[d] == (0, 100)  # green's share of production, test
    info = lab.deployment(d)
    assert info["status"] == "Succeeded" and "errorInformation" not in info
    events = {e["lifecycleEventName"]: e["status"] for e in lab.ecs_target(d)["lifecycleEvents"]}
    assert len(events) == 8 and set(events.values()) == {"Succeeded"}
    # The CLI waited out the termination wait: blue is deleted (draining, then gone).
    assert lab.rule_weights() == {GREEN: 100, BLUE: 0}
    lab.drained()
    assert only_task_set(lab) == ("PRIMARY", "threads-task-def:2", GREEN)

    (code, out, err), d3 = ecs_deploy(lab, tmp_path, "0.2", {"AfterAllowTestTraffic": failing}, while_hook_runs)
    assert code == 255, (out, err)
    assert FAILED_MESSAGE in err, err
    assert "Successfully deployed" not in out
    assert seen[d3] == (100, 0)
    info = lab.deployment(d3)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {
        "code": "HOOK_EXECUTION_FAILURE",
        "message": "The deployment failed because the AfterAllowTestTraffic lifecycle hook reported Failed.",
    }
    events = {e["lifecycleEventName"]: e["status"] for e in lab.ecs_target(d3)["lifecycleEvents"]}
    assert events["AfterAllowTestTraffic"] == "Failed"
    assert events["AllowTraffic"] == "Skipped"
    rollback = lab.deployment(info["rollbackInfo"]["rollbackDeploymentId"])
    assert rollback["status"] == "Succeeded"
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == d3
    # Traffic back on (never off) threads-tg-2, the test listener too, revision 2 PRIMARY again.
    assert lab.rule_weights() == {GREEN: 100, BLUE: 0}
    assert share(lab.listener_weights(lab.test_listener), GREEN) == 100
    lab.drained()
    assert only_task_set(lab) == ("PRIMARY", "threads-task-def:2", GREEN)
