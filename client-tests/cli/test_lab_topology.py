"""Lab 2 and the start of Lab 4 with the real AWS CLI, the commands written as the labs write them.

The lab's CloudFormation core setup (VPC, two subnets, the ALB `alb-container-labs` and its
port-80 listener) and Lab 1a's cluster come from labkit.base through boto3. Then, per service
(users, threads, posts), Lab 2 steps 4-10: task definition file, log group, register, target group
(HTTP:3000, ip, / 6s/5s/2/2), the `/api/<svc>*` rule on the port-80 listener, and the service from
its JSON file with the ECS controller. Then Lab 4 steps 2 and 6-8 for threads.

Departures from the lab's text, each because the lab's command fails on AWS too: create-target-group
gets `--target-type ip` (Fargate tasks can only register as ip targets), and create-rule gets the
`--listener-arn` and `--priority` it leaves out (lab-2 rule.json has them)."""

import json
from concurrent.futures import ThreadPoolExecutor

import labkit
from labkit import CLUSTER, SERVICES, advance_until, aws

REGION = ["--region", "us-east-1"]


def lab2_service(lab, cwd, listener, svc):
    """Lab 2 steps 4-10 for one service; returns its target group ARN."""
    (cwd / f"fargate-task-def-{svc}.json").write_text(json.dumps(labkit.task_definition(svc), indent=3))
    # (Step 5, the awslogs log group, is left out: nothing here reads container logs.)
    td = aws("ecs", "register-task-definition", "--cli-input-json", f"file://fargate-task-def-{svc}.json", cwd=cwd)
    assert td["taskDefinition"]["taskDefinitionArn"].endswith(f":task-definition/{svc}-task-def:1")
    tg = aws(
        "elbv2", "create-target-group", *REGION,
        "--name", f"{svc}-tg",
        "--vpc-id", lab.vpc,
        "--port", "3000",
        "--protocol", "HTTP",
        "--target-type", "ip",
        "--health-check-protocol", "HTTP",
        "--health-check-path", "/",
        "--health-check-interval-seconds", "6",
        "--health-check-timeout-seconds", "5",
        "--healthy-threshold-count", "2",
        "--unhealthy-threshold-count", "2",
        "--query", "TargetGroups[0].TargetGroupArn",
        "--output", "text",
        cwd=cwd,
    )
    assert tg.startswith(f"arn:aws:elasticloadbalancing:us-east-1:{labkit.ACCOUNT}:targetgroup/{svc}-tg/"), tg
    rule = aws(
        "elbv2", "create-rule", *REGION,
        "--listener-arn", listener,
        "--priority", str(labkit.RULE_PRIORITY[svc]),
        "--conditions", f"Field=path-pattern,Values='/api/{svc}*'",
        "--actions", f"Type=forward,TargetGroupArn={tg}",
        cwd=cwd,
    )["Rules"][0]
    assert rule["Conditions"][0]["Values"] == [f"/api/{svc}*"]
    assert rule["Actions"][0]["TargetGroupArn"] == tg
    (cwd / f"ecs-service-{svc}.json").write_text(
        json.dumps(labkit.service_input(svc, tg, lab.subnets, lab.sg, "ECS"), indent=3)
    )
    created = aws("ecs", "create-service", "--cli-input-json", f"file://ecs-service-{svc}.json", cwd=cwd)["service"]
    assert (created["serviceName"], created["status"], created["desiredCount"]) == (svc, "ACTIVE", 1)
    assert created["deploymentController"] == {"type": "ECS"}
    lab.tgs[f"{svc}-tg"] = tg
    lab.rules[svc] = rule["RuleArn"]
    return tg


def running(lab, svc):
    return lab.ecs.describe_services(cluster=CLUSTER, services=[svc])["services"][0]["runningCount"]


def test_lab2_then_lab4_threads_to_code_deploy(server, tmp_path):
    lab = labkit.base(server)
    cwd = tmp_path

    # Lab 2 step 8: the listener of the existing load balancer.
    listener = aws(
        "elbv2", "describe-listeners", *REGION,
        "--query", "Listeners[0].ListenerArn",
        "--load-balancer-arn", lab.lb,
        "--output", "text",
        cwd=cwd,
    )
    assert listener == lab.prod_listener
    # The three services' steps are independent: run them side by side to save wall time.
    with ThreadPoolExecutor(3) as pool:
        for f in [pool.submit(lab2_service, lab, cwd, listener, svc) for svc in SERVICES]:
            f.result()

    rules = lab.elbv2.describe_rules(ListenerArn=listener)["Rules"]
    assert sorted((r["Priority"], r["Conditions"][0]["Values"][0]) for r in rules if not r["IsDefault"]) == [
        ("1", "/api/users*"), ("2", "/api/threads*"), ("3", "/api/posts*")
    ]
    # Nothing runs until the clock moves.
    assert [running(lab, s) for s in SERVICES] == [0, 0, 0]
    for svc in SERVICES:
        assert "healthy" not in lab.target_states(f"{svc}-tg")

    advance_until(
        server,
        lambda: all(lab.target_states(f"{s}-tg") == ["healthy"] for s in SERVICES),
        step=5, limit=300, what="every service's target healthy",
    )
    counts = aws(
        "ecs", "describe-services", "--cluster", CLUSTER, "--services", *SERVICES,
        "--query", "services[*].[serviceName,runningCount,deployments[0].rolloutState]",
        cwd=cwd,
    )
    assert counts == [["users", 1, "COMPLETED"], ["threads", 1, "COMPLETED"], ["posts", 1, "COMPLETED"]]
    for svc in SERVICES:
        health = lab.elbv2.describe_target_health(TargetGroupArn=lab.tgs[f"{svc}-tg"])
        [desc] = health["TargetHealthDescriptions"]
        assert desc["TargetHealth"] == {"State": "healthy"}
        assert desc["Target"]["Port"] == 3000
        task = lab.ecs.list_tasks(cluster=CLUSTER, serviceName=svc)["taskArns"]
        attachment = lab.ecs.describe_tasks(cluster=CLUSTER, tasks=task)["tasks"][0]["attachments"][0]
        ips = [d["value"] for d in attachment["details"] if d["name"] == "privateIPv4Address"]
        assert ips == [desc["Target"]["Id"]]

    # Lab 4 step 2: threads to zero, wait for the running count, delete.
    updated = aws(
        "ecs", "update-service", "--region", "us-east-1", "--cluster", CLUSTER,
        "--service", "threads", "--desired-count", "0", cwd=cwd,
    )["service"]
    assert (updated["desiredCount"], updated["runningCount"]) == (0, 1)
    lab_query = [
        "ecs", "describe-services", "--region", "us-east-1", "--cluster", CLUSTER,
        "--service", "threads", "--query", "services[*].taskSets[*].runningCount",
    ]
    # An ECS-controller service has no task sets: the lab's query has nothing to show.
    assert aws(*lab_query, cwd=cwd) in ([], [[]])
    advance_until(server, lambda: running(lab, "threads") == 0, step=5, limit=600, what="threads at 0")
    assert aws(*lab_query[:-2], "--query", "services[0].runningCount", cwd=cwd) == 0
    assert lab.target_states("threads-tg") in ([], ["draining"], ["unused"])
    deleted = aws(
        "ecs", "delete-service", "--region", "us-east-1", "--cluster", CLUSTER, "--service", "threads", cwd=cwd
    )["service"]
    assert deleted["status"] in ("DRAINING", "INACTIVE")
    advance_until(
        server,
        lambda: lab.ecs.describe_services(cluster=CLUSTER, services=["threads"])["services"][0]["status"] == "INACTIVE",
        step=5, limit=600, what="threads INACTIVE",
    )

    # Steps 6-7: recreate threads with the CODE_DEPLOY controller.
    doc = labkit.service_input("threads", lab.tgs["threads-tg"], lab.subnets, lab.sg, "CODE_DEPLOY")
    (cwd / "ecs-service-threads.json").write_text(json.dumps(doc, indent=4))
    svc = aws(
        "ecs", "create-service", "--region", "us-east-1", "--cluster", CLUSTER,
        "--service-name", "threads", "--cli-input-json", "file://ecs-service-threads.json", cwd=cwd,
    )["service"]
    assert svc["deploymentController"] == {"type": "CODE_DEPLOY"}
    assert svc["status"] == "ACTIVE"
    assert svc.get("deployments", []) == []
    [task_set] = svc["taskSets"]
    assert task_set["status"] == "PRIMARY"
    assert task_set["taskDefinition"].endswith(":task-definition/threads-task-def:1")
    assert task_set["loadBalancers"][0]["targetGroupArn"] == lab.tgs["threads-tg"]

    # Step 8: the green target group and the port-8080 listener.
    tg2 = aws(
        "elbv2", "create-target-group", "--region", "us-east-1",
        "--name", "threads-tg-2",
        "--vpc-id", lab.vpc,
        "--port", "3000",
        "--protocol", "HTTP",
        "--target-type", "ip",
        "--health-check-protocol", "HTTP",
        "--health-check-path", "/",
        "--health-check-interval-seconds", "6",
        "--health-check-timeout-seconds", "5",
        "--healthy-threshold-count", "2",
        "--unhealthy-threshold-count", "2",
        "--query", "TargetGroups[0].TargetGroupArn",
        "--output", "text",
        cwd=cwd,
    )
    assert "/threads-tg-2/" in tg2
    lab.tgs["threads-tg-2"] = tg2
    printed = aws(
        "elbv2", "create-listener", "--region", "us-east-1",
        "--load-balancer-arn", lab.lb,
        "--port", "8080",
        "--protocol", "HTTP",
        "--default-actions", f"Type=forward,TargetGroupArn={tg2}",
        "--query", "Listener[0].Listener.Arn",
        "--output", "text",
        cwd=cwd,
    )
    # The lab's query names a member the answer does not have (it is `Listeners`): the CLI prints None.
    assert printed == "None"
    listeners = lab.elbv2.describe_listeners(LoadBalancerArn=lab.lb)["Listeners"]
    assert sorted((x["Port"], x["DefaultActions"][0].get("TargetGroupArn")) for x in listeners) == [
        (80, None), (8080, tg2)
    ]

    # The recreated service runs and its target turns healthy again; the others never stopped.
    advance_until(server, lambda: labkit.threads_ready(lab), step=5, limit=300, what="threads steady")
    assert aws(*lab_query, cwd=cwd) == [[1]]
    assert [running(lab, s) for s in SERVICES] == [1, 1, 1]
    assert lab.target_states("threads-tg-2") == []
