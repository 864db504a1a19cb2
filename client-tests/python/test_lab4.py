"""The client matrix's workflow through boto3 (see client-tests/README.md): Lab 4 with a hook, then
a deployment whose hook fails and rolls back. The same steps run through aws-sdk-rust
(client-tests/rust/tests/lab4.rs), the JS SDK v3 (client-tests/js/lab4.test.mjs) and the AWS CLI's
`aws ecs deploy` (client-tests/cli/test_ecs_deploy.py).

The hooks here are python3.12 functions (labkit.HOOK_PY, urllib only: the emulator's Python
runtime has no boto3)."""

import labkit
from labkit import CLUSTER, advance_until, share

BLUE, GREEN = "threads-tg", "threads-tg-2"
HOOK_OK = "CodeDeployHook_after-test-traffic"
HOOK_FAILING = "CodeDeployHook_after-test-traffic-failing"
EVENTS = (
    "BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
    "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic",
)


def task_sets(lab):
    return sorted(
        (ts["status"], ts["taskDefinition"].rsplit("/", 1)[1], lab.tg_name(ts["loadBalancers"][0]["targetGroupArn"]))
        for ts in lab.task_sets()
    )


def events(lab, deployment_id):
    return {e["lifecycleEventName"]: e["status"] for e in lab.ecs_target(deployment_id)["lifecycleEvents"]}


def test_lab4_hook_then_rollback(server):
    lab = labkit.build(server)
    role = labkit.create_hook_role(lab.iam)
    labkit.create_hook(lab, role, HOOK_OK, "Succeeded")
    labkit.create_hook(lab, role, HOOK_FAILING, "Failed")
    assert task_sets(lab) == [("PRIMARY", "threads-task-def:1", BLUE)]

    # Revision 2 with an AfterAllowTestTraffic hook that reports Succeeded.
    rev2 = lab.register("threads", "0.1")
    assert rev2.endswith(":task-definition/threads-task-def:2")
    d = lab.deploy(rev2, {"AfterAllowTestTraffic": HOOK_OK})
    labkit.until_hook_invoked(lab, d, "AfterAllowTestTraffic")
    # While the hook runs, production is still on blue and the test listener reaches green.
    assert share(lab.rule_weights(), BLUE) == 100
    assert share(lab.listener_weights(lab.test_listener), GREEN) == 100
    assert labkit.hook_answer(lab, d, "AfterAllowTestTraffic") == "Succeeded"
    advance_until(server, lambda: lab.target_status(d) == "Succeeded", step=5, limit=600, what="target done")
    # Traffic is on green; blue waits out the termination wait (5 minutes) and the deployment with it.
    assert share(lab.rule_weights(), GREEN) == 100
    assert lab.status(d) == "InProgress"
    assert task_sets(lab) == [("ACTIVE", "threads-task-def:1", BLUE), ("PRIMARY", "threads-task-def:2", GREEN)]
    info = lab.settle(d)
    assert info["status"] == "Succeeded"
    assert "errorInformation" not in info
    assert events(lab, d) == {e: "Succeeded" for e in EVENTS}
    assert lab.drained() and task_sets(lab) == [("PRIMARY", "threads-task-def:2", GREEN)]
    assert share(lab.rule_weights(), GREEN) == 100
    assert lab.target_states(GREEN) == ["healthy"]

    # Revision 3 with a hook that reports Failed: the deployment fails and rolls back to green.
    rev3 = lab.register("threads", "0.2")
    d3 = lab.deploy(rev3, {"AfterAllowTestTraffic": HOOK_FAILING})
    assert labkit.run_hook(lab, d3, "AfterAllowTestTraffic") == "Failed"
    info = lab.deployment(d3)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {
        "code": "HOOK_EXECUTION_FAILURE",
        "message": "The deployment failed because the AfterAllowTestTraffic lifecycle hook reported Failed.",
    }
    assert events(lab, d3) == {
        **{e: "Succeeded" for e in EVENTS[:4]},
        "AfterAllowTestTraffic": "Failed",
        **{e: "Skipped" for e in EVENTS[5:]},
    }
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    lab.settle(d3)
    rollback = lab.deployment(rollback_id)
    assert rollback["status"] == "Succeeded"
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == d3
    # Production never left green; the test listener is back on it, revision 2 PRIMARY again.
    assert share(lab.rule_weights(), GREEN) == 100
    assert share(lab.listener_weights(lab.test_listener), GREEN) == 100
    assert lab.drained() and task_sets(lab) == [("PRIMARY", "threads-task-def:2", GREEN)]
    svc = lab.ecs.describe_services(cluster=CLUSTER, services=["threads"])["services"][0]
    assert svc["taskDefinition"].endswith("threads-task-def:2")
