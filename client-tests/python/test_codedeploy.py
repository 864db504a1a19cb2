"""CodeDeploy ECS blue/green through boto3 on the lab's topology (labkit.build), driven by the
manual clock: traffic shifting configs with the production rule's weights at each step, stop
and alarm rollbacks, the Ready and termination waits, an Install that never gets healthy, the
one-active-deployment limit and the deployment target's shape."""

import pytest
from botocore.exceptions import ClientError

import labkit
from conftest import make_client
from labkit import CLUSTER, advance, advance_until

BLUE, GREEN = "threads-tg", "threads-tg-2"


def code(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def lab(server):
    return labkit.build(server)


def start(lab, hooks=None, **extra):
    """Registers threads-task-def:2 and deploys it; returns the deployment id."""
    arn = lab.register("threads", "0.1")
    assert arn.endswith(":task-definition/threads-task-def:2")
    return lab.deploy(arn, hooks, **extra)


def until_green(lab, deployment_id, weight, limit=600):
    """Advances 5 s at a time until the production rule gives green `weight`."""
    advance_until(
        lab.server,
        lambda: lab.rule_weights().get(GREEN, 0) == weight,
        step=5,
        limit=limit,
        what=f"green at {weight}",
    )
    assert lab.status(deployment_id) == "InProgress"


def on_blue_only(lab):
    """Production and test traffic back on blue, blue the only (PRIMARY) task set."""
    weights = lab.rule_weights()
    assert weights.get(GREEN, 0) == 0 and weights[BLUE] > 0, weights
    sets = lab.drained()
    assert [(ts["status"], ts["taskDefinition"].rsplit("/", 1)[1]) for ts in sets] == [
        ("PRIMARY", "threads-task-def:1")
    ]
    assert lab.target_states(BLUE) == ["healthy"]


def check_rollback(lab, deployment_id, status, error_code):
    info = lab.settle(deployment_id)
    assert info["status"] == status
    assert info["errorInformation"]["code"] == error_code, info["errorInformation"]
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    rollback = lab.deployment(rollback_id)
    assert rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert rollback["status"] == "Succeeded"
    assert info["creator"] == "user"
    on_blue_only(lab)
    return info, rollback


def test_canary_shifts_ten_percent_then_the_rest(lab):
    d = start(lab, deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes")
    assert lab.deployment(d)["deploymentConfigName"] == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    assert lab.rule_weights() == {BLUE: 1}
    until_green(lab, d, 10)
    assert lab.rule_weights() == {GREEN: 10, BLUE: 90}
    by_label = {t["taskSetLabel"]: t for t in lab.ecs_target(d)["taskSetsInfo"]}
    assert by_label["Green"]["trafficWeight"] == 10.0 and by_label["Blue"]["trafficWeight"] == 90.0
    # The canary holds for five minutes; blue stays PRIMARY meanwhile.
    advance(lab.server, 290)
    assert lab.rule_weights() == {GREEN: 10, BLUE: 90}
    assert {ts["status"] for ts in lab.task_sets()} == {"PRIMARY", "ACTIVE"}
    primary = next(ts for ts in lab.task_sets() if ts["status"] == "PRIMARY")
    assert primary["taskDefinition"].endswith("threads-task-def:1")
    advance(lab.server, 10)
    assert lab.rule_weights() == {GREEN: 100, BLUE: 0}
    primary = next(ts for ts in lab.task_sets() if ts["status"] == "PRIMARY")
    assert primary["taskDefinition"].endswith("threads-task-def:2")
    assert lab.settle(d)["status"] == "Succeeded"
    assert [ts["taskDefinition"].rsplit("/", 1)[1] for ts in lab.drained()] == ["threads-task-def:2"]


def test_linear_shifts_ten_percent_every_minute(lab):
    lab.codedeploy.update_deployment_group(
        applicationName=labkit.APP,
        currentDeploymentGroupName=labkit.GROUP,
        deploymentConfigName="CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    )
    d = start(lab)
    assert lab.deployment(d)["deploymentConfigName"] == "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    until_green(lab, d, 10)
    seen = [lab.rule_weights()]
    for _ in range(9):
        advance(lab.server, 60)
        seen.append(lab.rule_weights())
    assert seen == [{GREEN: g, BLUE: 100 - g} for g in range(10, 101, 10)]
    assert lab.settle(d)["status"] == "Succeeded"


def test_stop_with_auto_rollback_rolls_back(lab):
    d = start(lab, deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes")
    until_green(lab, d, 10)
    out = lab.codedeploy.stop_deployment(deploymentId=d, autoRollbackEnabled=True)
    assert out["status"] in ("Pending", "Succeeded")
    assert lab.status(d) == "Stopped"
    info, _ = check_rollback(lab, d, "Stopped", "MANUAL_STOP")
    with pytest.raises(ClientError) as e:
        lab.codedeploy.stop_deployment(deploymentId=d)
    assert code(e) == "DeploymentAlreadyCompletedException"


def test_alarm_stops_and_rolls_back(lab):
    cw = make_client("cloudwatch")
    cw.put_metric_alarm(
        AlarmName="threads-5xx",
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    lab.codedeploy.update_deployment_group(
        applicationName=labkit.APP,
        currentDeploymentGroupName=labkit.GROUP,
        deploymentConfigName="CodeDeployDefault.ECSCanary10Percent5Minutes",
        alarmConfiguration={"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "threads-5xx"}]},
    )
    d = start(lab)
    until_green(lab, d, 10)
    # An alarm that is not in ALARM does not stop anything.
    advance(lab.server, 60)
    assert lab.status(d) == "InProgress"
    cw.set_alarm_state(AlarmName="threads-5xx", StateValue="ALARM", StateReason="test")
    advance_until(lab.server, lambda: lab.status(d) != "InProgress", step=5, limit=120, what="alarm noticed")
    info, _ = check_rollback(lab, d, "Stopped", "ALARM_ACTIVE")
    assert "threads-5xx" in info["errorInformation"]["message"]


def test_ready_wait_holds_until_continue(lab):
    lab.codedeploy.update_deployment_group(
        applicationName=labkit.APP,
        currentDeploymentGroupName=labkit.GROUP,
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30},
        },
    )
    d = start(lab)
    with pytest.raises(ClientError) as e:
        lab.codedeploy.continue_deployment(deploymentId=d, deploymentWaitType="READY_WAIT")
    assert code(e) == "DeploymentIsNotInReadyStateException"
    advance_until(lab.server, lambda: lab.status(d) == "Ready", step=5, limit=600, what="Ready")
    # Ready: the test listener reaches green, production still blue, and it stays so.
    assert lab.listener_weights(lab.test_listener) in ({GREEN: 100, BLUE: 0}, {GREEN: 1})
    assert lab.rule_weights() == {BLUE: 1}
    assert lab.ecs_target(d)["status"] == "Ready"
    advance(lab.server, 20 * 60)
    assert lab.status(d) == "Ready"
    assert lab.rule_weights() == {BLUE: 1}
    lab.codedeploy.continue_deployment(deploymentId=d, deploymentWaitType="READY_WAIT")
    advance(lab.server, 5)
    assert lab.rule_weights() == {GREEN: 100, BLUE: 0}
    assert lab.settle(d)["status"] == "Succeeded"


def test_termination_wait_ends_on_continue(lab):
    lab.codedeploy.update_deployment_group(
        applicationName=labkit.APP,
        currentDeploymentGroupName=labkit.GROUP,
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 120},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        },
    )
    d = start(lab)
    with pytest.raises(ClientError) as e:
        lab.codedeploy.continue_deployment(deploymentId=d, deploymentWaitType="TERMINATION_WAIT")
    assert code(e) == "InvalidDeploymentStatusException"
    advance_until(lab.server, lambda: lab.target_status(d) == "Succeeded", step=5, limit=600, what="target done")
    # Traffic is on green, blue still exists, and the deployment waits InProgress.
    advance(lab.server, 30 * 60)
    assert lab.status(d) == "InProgress"
    assert lab.rule_weights() == {GREEN: 100, BLUE: 0}
    assert sorted(ts["status"] for ts in lab.task_sets()) == ["ACTIVE", "PRIMARY"]
    lab.codedeploy.continue_deployment(deploymentId=d, deploymentWaitType="TERMINATION_WAIT")
    advance_until(lab.server, lambda: lab.status(d) != "InProgress", step=5, limit=120, what="Succeeded")
    assert lab.status(d) == "Succeeded"
    assert sorted((ts["status"], ts["taskDefinition"].rsplit("/", 1)[1]) for ts in lab.task_sets()) == [
        ("DRAINING", "threads-task-def:1"), ("PRIMARY", "threads-task-def:2")
    ]
    assert [ts["taskDefinition"].rsplit("/", 1)[1] for ts in lab.drained()] == ["threads-task-def:2"]
    with pytest.raises(ClientError) as e:
        lab.codedeploy.continue_deployment(deploymentId=d, deploymentWaitType="TERMINATION_WAIT")
    assert code(e) == "DeploymentAlreadyCompletedException"


def test_green_never_healthy_fails_after_install_timeout(lab):
    status, _ = lab.server.control(
        "POST", "faults", {"targetHealth": "unhealthy", "taskDefinition": "threads-task-def:2"}
    )
    assert status == 200
    d = start(lab)
    # Green runs but its target never turns healthy: Install is still going after 50 minutes.
    advance(lab.server, 50 * 60)
    assert lab.status(d) == "InProgress"
    assert lab.event_status(d, "Install") == "InProgress"
    assert lab.target_states(GREEN) and "healthy" not in lab.target_states(GREEN)
    assert lab.rule_weights() == {BLUE: 1}
    advance(lab.server, 11 * 60)
    assert lab.status(d) == "Failed"
    events = {e["lifecycleEventName"]: e["status"] for e in lab.ecs_target(d)["lifecycleEvents"]}
    assert events["BeforeInstall"] == "Succeeded"
    assert events["Install"] == "Failed"
    assert events["AllowTraffic"] == "Skipped"
    check_rollback(lab, d, "Failed", "TIMEOUT")


def test_second_active_deployment_is_refused(lab):
    d = start(lab)
    with pytest.raises(ClientError) as e:
        lab.deploy(lab.register("threads", "0.2"))
    assert code(e) == "DeploymentLimitExceededException"
    assert e.value.response["Error"]["Message"] == (
        f"The Deployment Group '{labkit.GROUP}' already has an active Deployment '{d}'"
    )
    assert lab.settle(d)["status"] == "Succeeded"
    # Once it is over, the next one is accepted.
    assert lab.deploy(lab.register("threads", "0.3")).startswith("d-")


def test_deployment_target_shape(lab):
    d = start(lab)
    target_id = f"{CLUSTER}:threads"
    with pytest.raises(ClientError) as e:
        lab.codedeploy.list_deployment_targets(deploymentId=d)
    assert code(e) == "DeploymentNotStartedException"
    # Run to the termination wait: target done, blue not yet deleted.
    advance_until(lab.server, lambda: lab.target_status(d) == "Succeeded", step=5, limit=600, what="target done")
    assert lab.status(d) == "InProgress"
    assert lab.codedeploy.list_deployment_targets(deploymentId=d)["targetIds"] == [target_id]
    filtered = lab.codedeploy.list_deployment_targets(deploymentId=d, targetFilters={"TargetStatus": ["Failed"]})
    assert filtered["targetIds"] == []
    target = lab.codedeploy.get_deployment_target(deploymentId=d, targetId=target_id)["deploymentTarget"]
    assert target["deploymentTargetType"] == "ECSTarget"
    ecs_target = target["ecsTarget"]
    service_arn = lab.ecs.describe_services(cluster=CLUSTER, services=["threads"])["services"][0]["serviceArn"]
    assert ecs_target["deploymentId"] == d
    assert ecs_target["targetId"] == target_id
    assert ecs_target["targetArn"] == service_arn
    assert ecs_target["status"] == "Succeeded"
    events = ecs_target["lifecycleEvents"]
    assert [e["lifecycleEventName"] for e in events] == list(
        ("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic")
        + ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")
    )
    for e in events:
        assert e["status"] == "Succeeded"
        assert e["startTime"] <= e["endTime"]
    for a, b in zip(events, events[1:]):
        assert a["endTime"] <= b["startTime"]
    sets = {ts["taskSetLabel"]: ts for ts in ecs_target["taskSetsInfo"]}
    assert set(sets) == {"Blue", "Green"}
    ecs_sets = {ts["id"]: ts for ts in lab.task_sets()}
    for label, tg, status, weight in (("Blue", BLUE, "ACTIVE", 0.0), ("Green", GREEN, "PRIMARY", 100.0)):
        ts = sets[label]
        assert ts["identifer"] in ecs_sets, ts
        assert ts["identifer"].startswith("ecs-svc/")
        assert ts["status"] == status == ecs_sets[ts["identifer"]]["status"]
        assert ts["trafficWeight"] == weight
        assert ts["targetGroup"] == {"name": tg}
        assert (ts["desiredCount"], ts["runningCount"], ts["pendingCount"]) == (1, 1, 0)
    batch = lab.codedeploy.batch_get_deployment_targets(deploymentId=d, targetIds=[target_id])["deploymentTargets"]
    assert batch == [target]
    with pytest.raises(ClientError) as e:
        lab.codedeploy.get_deployment_target(deploymentId=d, targetId=f"{CLUSTER}:users")
    assert code(e) == "DeploymentTargetDoesNotExistException"
