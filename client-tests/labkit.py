"""The container-labs topology, shared by client-tests/python and client-tests/cli.

The lab (aajolly/container-labs, see /work/shared/spec/blue-green-semantics.md §8) runs three
Fargate services `users`, `threads` and `posts` behind the ALB `alb-container-labs`: one target
group per service (HTTP:3000, ip, health check `/` every 6 s, timeout 5 s, thresholds 2/2), a
port-80 listener whose `/api/<service>*` path rules forward to them, and cluster
`my_first_ecs_cluster`. Lab 4 recreates `threads` with the CODE_DEPLOY controller, adds
`threads-tg-2` and a port-8080 test listener, and deploys it through CodeDeploy (`threadsApp` /
`threadsDG`).

This module has the lab's documents (task definitions, service inputs, the deployment group, the
appspec, the IAM policies), a boto3 builder for the whole topology (`build`), the clock helpers
(`advance`, `advance_until`) and a runner for the real AWS CLI (`aws`). It lives next to
conftest.py, whose directory pytest puts on sys.path, so tests in both folders import it.
"""

import copy
import hashlib
import io
import json
import subprocess
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from conftest import make_client

ACCOUNT = "000000000000"
REGION = "us-east-1"
CLUSTER = "my_first_ecs_cluster"
SERVICES = ("users", "threads", "posts")
# rule.json of lab-2 gives threads priority 2; users and posts take 1 and 3.
RULE_PRIORITY = {"users": 1, "threads": 2, "posts": 3}
APP = "threadsApp"
GROUP = "threadsDG"
HOOK_FUNCTION = "CodeDeployHook_pre-traffic-hook"
TERMINAL = ("Succeeded", "Failed", "Stopped")

# ---------------------------------------------------------------------------------------------
# The lab's documents
# ---------------------------------------------------------------------------------------------

CODEDEPLOY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "", "Effect": "Allow", "Principal": {"Service": ["codedeploy.amazonaws.com"]}, "Action": "sts:AssumeRole"}
    ],
}
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
HOOK_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Action": ["codedeploy:PutLifecycleEventHookExecutionStatus"],
            "Resource": f"arn:aws:codedeploy:us-east-1:{ACCOUNT}:deploymentgroup:*",
            "Effect": "Allow",
        }
    ],
}


def task_definition(svc, tag="latest"):
    """fargate-task-def-<svc>.json of lab-2 step 4."""
    return {
        "requiresCompatibilities": ["FARGATE"],
        "containerDefinitions": [
            {
                "name": f"{svc}-cntr",
                "image": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{svc}:{tag}",
                "memoryReservation": 128,
                "essential": True,
                "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/{svc}",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
        "volumes": [],
        "networkMode": "awsvpc",
        "memory": "512",
        "cpu": "256",
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole",
        "taskRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ECSTaskRole",
        "family": f"{svc}-task-def",
    }


def service_input(svc, tg_arn, subnets, sg, controller="ECS"):
    """ecs-service-<svc>.json: lab-2 step 10 (controller ECS), Lab 4 step 6 (CODE_DEPLOY)."""
    doc = {
        "cluster": CLUSTER,
        "serviceName": svc,
        "taskDefinition": f"{svc}-task-def:1",
        "loadBalancers": [{"targetGroupArn": tg_arn, "containerName": f"{svc}-cntr", "containerPort": 3000}],
        "desiredCount": 1,
        "clientToken": "",
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": list(subnets), "securityGroups": [sg], "assignPublicIp": "DISABLED"}
        },
        "deploymentController": {"type": controller},
    }
    if controller == "CODE_DEPLOY":
        doc["schedulingStrategy"] = "REPLICA"
    return doc


def deployment_group_input(prod_listener, test_listener, **overrides):
    """deployment-group-threads.json of Lab 4 step 9; `overrides` replace top-level members."""
    doc = {
        "applicationName": APP,
        "deploymentGroupName": GROUP,
        "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
        "serviceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecsCodeDeployServiceRole",
        "ecsServices": [{"serviceName": "threads", "clusterName": CLUSTER}],
        "alarmConfiguration": {"enabled": False, "ignorePollAlarmFailure": True, "alarms": []},
        "autoRollbackConfiguration": {
            "enabled": True,
            "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
        },
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0},
        },
        "loadBalancerInfo": {
            "targetGroupPairInfoList": [
                {
                    "targetGroups": [{"name": "threads-tg"}, {"name": "threads-tg-2"}],
                    "prodTrafficRoute": {"listenerArns": [prod_listener]},
                    "testTrafficRoute": {"listenerArns": [test_listener]},
                }
            ]
        },
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def appspec(subnets, sg, task_definition_ref="threads-task-def:1", hooks=None):
    """appspec.json of Lab 4 step 9 (lower-camel-case network keys, as the lab writes them)."""
    doc = {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "TaskDefinition": task_definition_ref,
                        "LoadBalancerInfo": {"ContainerName": "threads-cntr", "ContainerPort": 3000},
                        "PlatformVersion": "LATEST",
                        "NetworkConfiguration": {
                            "awsvpcConfiguration": {
                                "subnets": list(subnets),
                                "securityGroups": [sg],
                                "assignPublicIp": "DISABLED",
                            }
                        },
                    },
                }
            }
        ],
    }
    if hooks:
        doc["Hooks"] = [{event: fn} for event, fn in hooks.items()]
    return doc


# The hook of Lab 4 (lab-3/hooks/pre-traffic-hook.js), without npm packages: the lab's version
# needs `aws-sdk` v2 and axios, and its HTTP check needs the ALB data plane. This one reports the
# status in HOOK_STATUS with Node's built-in fetch and a hand-built awsJson request to
# AWS_ENDPOINT_URL, which the emulator hands every function (it does not check signatures; the
# access key in the Authorization header tells it the caller, the function's role session).
HOOK_JS = r"""
exports.handler = async function (event) {
  console.log("Entering PreTraffic Hook!");
  console.log(JSON.stringify(event));
  const params = {
    deploymentId: event.DeploymentId,
    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
    status: process.env.HOOK_STATUS || "Succeeded",
  };
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus",
    authorization:
      "AWS4-HMAC-SHA256 Credential=" + process.env.AWS_ACCESS_KEY_ID + "/20250101/" + process.env.AWS_REGION +
      "/codedeploy/aws4_request, SignedHeaders=host, Signature=0",
  };
  if (process.env.AWS_SESSION_TOKEN) headers["x-amz-security-token"] = process.env.AWS_SESSION_TOKEN;
  const res = await fetch(process.env.AWS_ENDPOINT_URL, { method: "POST", headers, body: JSON.stringify(params) });
  const text = await res.text();
  if (res.status !== 200) throw new Error("PutLifecycleEventHookExecutionStatus answered " + res.status + ": " + text);
  console.log("reported " + params.status + ": " + text);
  return "Successfully reported hook results";
};
"""


# The same hook in Python (python3.12, handler `hook.handler`): client-tests/hooks/hook.py, which
# the Rust matrix test uses too. urllib only: the emulator's Python runtime has no boto3.
HOOK_PY = (Path(__file__).resolve().parent / "hooks" / "hook.py").read_text()


def hook_zip(lang="node"):
    """The hook's zip: pre-traffic-hook.js (handler `pre-traffic-hook.handler`), or with
    lang="python" hook.py (handler `hook.handler`)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if lang == "python":
            z.writestr("hook.py", HOOK_PY)
        else:
            z.writestr("pre-traffic-hook.js", HOOK_JS)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# The clock (control API)
# ---------------------------------------------------------------------------------------------


def advance(server, secs):
    status, body = server.control("POST", "clock", {"advance": secs})
    assert status == 200, f"advance {secs}: {status} {body}"
    return body


def set_clock(server, mode, scale=None):
    body = {"mode": mode}
    if scale is not None:
        body["scale"] = scale
    status, out = server.control("POST", "clock", body)
    assert status == 200, f"clock {body}: {status} {out}"
    return out


def advance_until(server, predicate, step=5, limit=3600, what="condition"):
    """Advances the manual clock `step` seconds at a time until `predicate()` is true; returns the
    simulated seconds it took. Fails after `limit` simulated seconds."""
    spent = 0
    while not predicate():
        assert spent < limit, f"{what} not reached within {limit} simulated seconds"
        advance(server, step)
        spent += step
    return spent


def wait_wall(predicate, timeout=30.0, what="condition"):
    """Waits on the wall clock (for things that run in real processes, such as Lambda hooks)."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < end, f"{what} not reached within {timeout}s of wall time"
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------
# The topology through boto3
# ---------------------------------------------------------------------------------------------


@dataclass
class Lab:
    server: object
    ec2: object
    elbv2: object
    ecs: object
    codedeploy: object
    iam: object
    vpc: str = ""
    subnets: list = field(default_factory=list)
    sg: str = ""
    lb: str = ""
    prod_listener: str = ""
    test_listener: str = ""
    tgs: dict = field(default_factory=dict)  # name -> ARN
    rules: dict = field(default_factory=dict)  # service -> rule ARN

    def tg_name(self, arn):
        return next(n for n, a in self.tgs.items() if a == arn)

    def rule_weights(self, svc="threads"):
        """The forward weights of the `/api/<svc>*` rule, by target group name."""
        rule = self.elbv2.describe_rules(RuleArns=[self.rules[svc]])["Rules"][0]
        return forward_weights(rule["Actions"], self.tg_name)

    def listener_weights(self, listener_arn):
        listener = self.elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]
        return forward_weights(listener["DefaultActions"], self.tg_name)

    def task_sets(self, svc="threads"):
        return self.ecs.describe_services(cluster=CLUSTER, services=[svc])["services"][0].get("taskSets", [])

    def target_states(self, tg_name):
        health = self.elbv2.describe_target_health(TargetGroupArn=self.tgs[tg_name])["TargetHealthDescriptions"]
        return [h["TargetHealth"]["State"] for h in health]

    def deployment(self, deployment_id):
        return self.codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]

    def status(self, deployment_id):
        return self.deployment(deployment_id)["status"]

    def ecs_target(self, deployment_id):
        target = f"{CLUSTER}:threads"
        return self.codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=target)["deploymentTarget"][
            "ecsTarget"
        ]

    def target_status(self, deployment_id):
        """The ECS target's status; None before the deployment starts."""
        try:
            return self.ecs_target(deployment_id)["status"]
        except self.codedeploy.exceptions.DeploymentNotStartedException:
            return None

    def event_status(self, deployment_id, event):
        try:
            events = self.ecs_target(deployment_id)["lifecycleEvents"]
        except self.codedeploy.exceptions.DeploymentNotStartedException:
            return "Pending"
        return next(e["status"] for e in events if e["lifecycleEventName"] == event)

    def drained(self, svc="threads", limit=900):
        """Advances until no task set of `svc` is DRAINING (a deleted task set stays DRAINING
        until its targets deregister and its tasks stop); returns the remaining task sets."""
        advance_until(
            self.server,
            lambda: all(ts["status"] != "DRAINING" for ts in self.task_sets(svc)),
            step=30,
            limit=limit,
            what="draining task sets gone",
        )
        return self.task_sets(svc)

    def settle(self, deployment_id, step=15, limit=7200):
        """Advances until the deployment and (if any) its rollback are over; returns the final info."""
        done = lambda: self.status(deployment_id) in TERMINAL  # noqa: E731
        advance_until(self.server, done, step, limit, f"{deployment_id} done")
        info = self.deployment(deployment_id)
        rollback = info.get("rollbackInfo", {}).get("rollbackDeploymentId")
        if rollback:
            done = lambda: self.status(rollback) in TERMINAL  # noqa: E731
            advance_until(self.server, done, 15, limit, f"rollback {rollback} done")
        return info

    def deploy(self, task_definition_ref, hooks=None, **extra):
        """CreateDeployment with the lab's appspec for `task_definition_ref`; returns the id."""
        content = json.dumps(appspec(self.subnets, self.sg, task_definition_ref, hooks))
        sha = hashlib.sha256(content.encode()).hexdigest()
        return self.codedeploy.create_deployment(
            applicationName=APP,
            deploymentGroupName=GROUP,
            revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": content, "sha256": sha}},
            **extra,
        )["deploymentId"]

    def register(self, svc="threads", tag="latest"):
        return self.ecs.register_task_definition(**task_definition(svc, tag))["taskDefinition"]["taskDefinitionArn"]


def forward_weights(actions, name_of):
    """{target group name: weight} of the forward action among `actions`."""
    fwd = next(a for a in actions if a["Type"] == "forward")
    groups = fwd.get("ForwardConfig", {}).get("TargetGroups")
    if groups:
        return {name_of(g["TargetGroupArn"]): g.get("Weight", 1) for g in groups}
    return {name_of(fwd["TargetGroupArn"]): 1}


def share(weights, tg):
    """The percentage of a forward action's traffic (forward_weights) that goes to `tg`."""
    return 100 * weights.get(tg, 0) / sum(weights.values())


def clients(server):
    return dict(
        ec2=make_client("ec2"),
        elbv2=make_client("elbv2"),
        ecs=make_client("ecs"),
        codedeploy=make_client("codedeploy"),
        iam=make_client("iam"),
    )


def target_group_input(name, vpc):
    return dict(
        Name=name,
        VpcId=vpc,
        Port=3000,
        Protocol="HTTP",
        TargetType="ip",
        HealthCheckProtocol="HTTP",
        HealthCheckPath="/",
        HealthCheckIntervalSeconds=6,
        HealthCheckTimeoutSeconds=5,
        HealthyThresholdCount=2,
        UnhealthyThresholdCount=2,
    )


def build_network(lab):
    """The lab's core setup: a VPC with two subnets in two zones, a security group, the ALB and
    its port-80 listener (default action a fixed 404: the monolith is gone by Lab 2's end)."""
    ec2 = lab.ec2
    lab.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    lab.subnets = [
        ec2.create_subnet(VpcId=lab.vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
        for i, z in enumerate(zones)
    ]
    lab.sg = ec2.create_security_group(GroupName="container-labs", Description="labs", VpcId=lab.vpc)["GroupId"]
    lab.lb = lab.elbv2.create_load_balancer(Name="alb-container-labs", Subnets=lab.subnets, SecurityGroups=[lab.sg])[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    lab.prod_listener = lab.elbv2.create_listener(
        LoadBalancerArn=lab.lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "not found"},
            }
        ],
    )["Listeners"][0]["ListenerArn"]


def add_service(lab, svc, controller="ECS"):
    """Lab 2 steps 4-10 for one service: task definition, target group, path rule, service."""
    lab.register(svc)
    lab.tgs[f"{svc}-tg"] = lab.elbv2.create_target_group(**target_group_input(f"{svc}-tg", lab.vpc))["TargetGroups"][
        0
    ]["TargetGroupArn"]
    lab.rules[svc] = lab.elbv2.create_rule(
        ListenerArn=lab.prod_listener,
        Priority=RULE_PRIORITY[svc],
        Conditions=[{"Field": "path-pattern", "Values": [f"/api/{svc}*"]}],
        Actions=[{"Type": "forward", "TargetGroupArn": lab.tgs[f"{svc}-tg"]}],
    )["Rules"][0]["RuleArn"]
    lab.ecs.create_service(**service_input(svc, lab.tgs[f"{svc}-tg"], lab.subnets, lab.sg, controller))


def add_green(lab):
    """Lab 4 step 8: threads-tg-2 and the port-8080 test listener forwarding to it."""
    lab.tgs["threads-tg-2"] = lab.elbv2.create_target_group(**target_group_input("threads-tg-2", lab.vpc))[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    lab.test_listener = lab.elbv2.create_listener(
        LoadBalancerArn=lab.lb,
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": lab.tgs["threads-tg-2"]}],
    )["Listeners"][0]["ListenerArn"]


def base(server):
    """The lab's core setup and cluster (no services yet), through boto3."""
    lab = Lab(server=server, **clients(server))
    build_network(lab)
    lab.ecs.create_cluster(clusterName=CLUSTER)
    return lab


def create_codedeploy_role(iam):
    """Lab 4 step 1: ecsCodeDeployServiceRole with AWSCodeDeployRoleForECS."""
    iam.create_role(RoleName="ecsCodeDeployServiceRole", AssumeRolePolicyDocument=json.dumps(CODEDEPLOY_TRUST))
    iam.attach_role_policy(
        RoleName="ecsCodeDeployServiceRole",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS",
    )


def create_codedeploy(lab, **group_overrides):
    """Lab 4 step 9: application threadsApp and group threadsDG (`group_overrides` replace
    top-level members of the lab's deployment-group input)."""
    lab.codedeploy.create_application(applicationName=APP, computePlatform="ECS")
    lab.codedeploy.create_deployment_group(
        **deployment_group_input(lab.prod_listener, lab.test_listener, **group_overrides)
    )


def threads_ready(lab):
    """The threads service has one steady task set whose target is healthy."""
    return lab.target_states("threads-tg") == ["healthy"] and [ts["stabilityStatus"] for ts in lab.task_sets()] == [
        "STEADY_STATE"
    ]


def build(server, codedeploy=True, **group_overrides):
    """Lab 4 ready to deploy, through boto3: the network and ALB, the CODE_DEPLOY service threads
    behind threads-tg and the `/api/threads*` rule, threads-tg-2 and the test listener, the
    CodeDeploy role and (with `codedeploy`) threadsApp/threadsDG. The clock then runs until the
    threads task set is steady and its target healthy."""
    lab = base(server)
    create_codedeploy_role(lab.iam)
    add_service(lab, "threads", "CODE_DEPLOY")
    add_green(lab)
    if codedeploy:
        create_codedeploy(lab, **group_overrides)
    advance_until(server, lambda: threads_ready(lab), step=10, limit=600, what="threads steady and healthy")
    return lab


def create_hook_role(iam):
    """The hook's role as Lab 4 sets it up: AWSLambdaBasicExecutionRole plus an inline policy
    allowing PutLifecycleEventHookExecutionStatus. Returns its ARN."""
    arn = iam.create_role(RoleName="CodeDeployHookRole", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"][
        "Arn"
    ]
    iam.attach_role_policy(
        RoleName="CodeDeployHookRole",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )
    iam.put_role_policy(
        RoleName="CodeDeployHookRole",
        PolicyName="PutLifecycleEventHookExecutionStatus",
        PolicyDocument=json.dumps(HOOK_POLICY),
    )
    return arn


def create_hook(lab, role_arn, name, status, lang="python"):
    """A hook function that reports `status` (HOOK_STATUS), through boto3; advances the clock past
    its Pending state. Returns the function's ARN."""
    lam = make_client("lambda")
    runtime, handler = ("python3.12", "hook.handler") if lang == "python" else ("nodejs20.x", "pre-traffic-hook.handler")
    arn = lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role_arn,
        Handler=handler,
        Code={"ZipFile": hook_zip(lang)},
        Environment={"Variables": {"HOOK_STATUS": status}},
    )["FunctionArn"]
    advance(lab.server, 5)
    assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active"
    return arn


def until_hook_invoked(lab, deployment_id, event, limit=900):
    """Advances the clock 5 s at a time until `event`'s hook is invoked (the event InProgress)."""
    advance_until(
        lab.server,
        lambda: lab.event_status(deployment_id, event) == "InProgress",
        step=5,
        limit=limit,
        what=f"{event} hook invoked",
    )


def hook_answer(lab, deployment_id, event):
    """Waits on the wall clock for the hook function (a real process) to report; returns the
    event's status then. The clock stands still meanwhile, the deployment goes on at once."""
    return wait_wall(
        lambda: (s := lab.event_status(deployment_id, event)) != "InProgress" and s,
        timeout=30,
        what=f"the {event} hook's answer",
    )


def run_hook(lab, deployment_id, event, limit=900):
    """until_hook_invoked, then hook_answer."""
    until_hook_invoked(lab, deployment_id, event, limit)
    return hook_answer(lab, deployment_id, event)


# ---------------------------------------------------------------------------------------------
# The real AWS CLI
# ---------------------------------------------------------------------------------------------


def aws(*args, cwd=None, check=True, timeout=120):
    """Runs the pinned `aws` with the environment the `server` fixture set; returns the parsed
    JSON output (None when empty, the raw text when not JSON). With check=False it returns the
    CompletedProcess instead."""
    r = subprocess.run(["aws", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if not check:
        return r
    assert r.returncode == 0, f"aws {' '.join(args)} exited {r.returncode}\n{r.stderr}"
    out = r.stdout.strip()
    if not out:
        return None
    try:
        return json.loads(out)
    except ValueError:
        return out
