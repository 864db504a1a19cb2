"""botocore's own waiters (the ones `aws ... wait` and scripts use) against the emulator.

How the clock moves: each test builds its resources with the clock stopped (manual mode, as every
test starts), checks that the waiter's condition does not hold yet, then switches the server to
scaled mode (x300: a 30 s load-balancer provisioning is 0.1 s of wall time) for the waits, so the
simulation runs on its own while the waiter polls every second. The fixture puts the clock back to
manual afterwards."""

import pytest

import labkit
from labkit import CLUSTER

SCALE = 300
FAST = {"Delay": 1, "MaxAttempts": 30}


@pytest.fixture
def scaled(server):
    def go():
        labkit.set_clock(server, "scaled", SCALE)

    yield go
    labkit.set_clock(server, "manual")


def test_ecs_and_elbv2_waiters(server, scaled):
    lab = labkit.base(server)
    elbv2, ecs = lab.elbv2, lab.ecs
    assert elbv2.describe_load_balancers(LoadBalancerArns=[lab.lb])["LoadBalancers"][0]["State"]["Code"] == "provisioning"
    labkit.add_service(lab, "users", "ECS")
    tg = lab.tgs["users-tg"]
    labkit.advance(server, 1)
    tasks = ecs.list_tasks(cluster=CLUSTER, serviceName="users")["taskArns"]
    assert len(tasks) == 1
    assert ecs.describe_tasks(cluster=CLUSTER, tasks=tasks)["tasks"][0]["lastStatus"] != "RUNNING"
    svc = ecs.describe_services(cluster=CLUSTER, services=["users"])["services"][0]
    assert (svc["runningCount"], svc["desiredCount"]) == (0, 1)

    scaled()
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lab.lb], WaiterConfig=FAST)
    assert elbv2.describe_load_balancers(LoadBalancerArns=[lab.lb])["LoadBalancers"][0]["State"]["Code"] == "active"

    ecs.get_waiter("tasks_running").wait(cluster=CLUSTER, tasks=tasks, WaiterConfig=FAST)
    task = ecs.describe_tasks(cluster=CLUSTER, tasks=tasks)["tasks"][0]
    assert task["lastStatus"] == "RUNNING"
    ip = next(d["value"] for a in task["attachments"] for d in a["details"] if d["name"] == "privateIPv4Address")

    elbv2.get_waiter("target_in_service").wait(TargetGroupArn=tg, WaiterConfig=FAST)
    health = elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    assert [(h["Target"]["Id"], h["TargetHealth"]["State"]) for h in health] == [(ip, "healthy")]

    ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=["users"], WaiterConfig=FAST)
    svc = ecs.describe_services(cluster=CLUSTER, services=["users"])["services"][0]
    assert (svc["runningCount"], svc["desiredCount"]) == (1, 1)
    assert [d["rolloutState"] for d in svc["deployments"]] == ["COMPLETED"]

    # Scale to zero: the target deregisters and the task stops.
    elbv2.modify_target_group_attributes(
        TargetGroupArn=tg, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]
    )
    ecs.update_service(cluster=CLUSTER, service="users", desiredCount=0)
    elbv2.get_waiter("target_deregistered").wait(
        TargetGroupArn=tg, Targets=[{"Id": ip, "Port": 3000}], WaiterConfig=FAST
    )
    states = [h["TargetHealth"]["State"] for h in
              elbv2.describe_target_health(TargetGroupArn=tg, Targets=[{"Id": ip, "Port": 3000}])["TargetHealthDescriptions"]]
    assert states == ["unused"]
    ecs.get_waiter("tasks_stopped").wait(cluster=CLUSTER, tasks=tasks, WaiterConfig=FAST)
    assert ecs.describe_tasks(cluster=CLUSTER, tasks=tasks)["tasks"][0]["lastStatus"] == "STOPPED"

    ecs.delete_service(cluster=CLUSTER, service="users")
    ecs.get_waiter("services_inactive").wait(cluster=CLUSTER, services=["users"], WaiterConfig=FAST)
    assert ecs.describe_services(cluster=CLUSTER, services=["users"])["services"][0]["status"] == "INACTIVE"


def test_codedeploy_deployment_successful(server, scaled):
    lab = labkit.build(server)
    d = lab.deploy(lab.register("threads", "0.1"))
    assert lab.status(d) == "Created"
    scaled()
    # Install (~40 s), all at once, then the lab's 5-minute termination wait: 1-2 s at x300.
    lab.codedeploy.get_waiter("deployment_successful").wait(deploymentId=d, WaiterConfig=FAST)
    assert lab.status(d) == "Succeeded"
    assert [ts["taskDefinition"].rsplit("/", 1)[1] for ts in lab.task_sets() if ts["status"] == "PRIMARY"] == [
        "threads-task-def:2"
    ]
