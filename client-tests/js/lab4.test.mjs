// The client matrix's workflow through the JS SDK v3 (see client-tests/README.md): Lab 4 with a
// hook, then a deployment whose hook fails and rolls back. The same steps run through boto3
// (client-tests/python/test_lab4.py), aws-sdk-rust (client-tests/rust/tests/lab4.rs) and the AWS
// CLI's `aws ecs deploy` (client-tests/cli/test_ecs_deploy.py).
//
// The hooks are nodejs20.x functions that use the JS SDK v3 themselves: the emulator is started
// with CUTOVER_LAMBDA_NODE_PATH pointing at this directory's node_modules, so
// `require("@aws-sdk/client-codedeploy")` resolves inside the function, which finds the emulator
// through the AWS_ENDPOINT_URL every function gets.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EC2Client,
  CreateVpcCommand,
  CreateSubnetCommand,
  CreateSecurityGroupCommand,
  DescribeAvailabilityZonesCommand,
} from "@aws-sdk/client-ec2";
import {
  ElasticLoadBalancingV2Client,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  CreateListenerCommand,
  CreateRuleCommand,
  DescribeRulesCommand,
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  ECSClient,
  CreateClusterCommand,
  RegisterTaskDefinitionCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
} from "@aws-sdk/client-ecs";
import { IAMClient, CreateRoleCommand, AttachRolePolicyCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { LambdaClient, CreateFunctionCommand, GetFunctionCommand } from "@aws-sdk/client-lambda";
import {
  CodeDeployClient,
  CreateApplicationCommand,
  CreateDeploymentGroupCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  DeploymentNotStartedException,
} from "@aws-sdk/client-codedeploy";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { ACCOUNT, blueGreenGroupInput, startServer, targetGroupInput, taskDefinitionInput, waitWall, zipOf } from "./harness.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const CLUSTER = "my_first_ecs_cluster";
const BLUE = "threads-tg";
const GREEN = "threads-tg-2";
const HOOK_OK = "CodeDeployHook_after-test-traffic";
const HOOK_FAILING = "CodeDeployHook_after-test-traffic-failing";
const EVENTS = [
  "BeforeInstall",
  "Install",
  "AfterInstall",
  "AllowTestTraffic",
  "AfterAllowTestTraffic",
  "BeforeAllowTraffic",
  "AllowTraffic",
  "AfterAllowTraffic",
];
const TERMINAL = ["Succeeded", "Failed", "Stopped"];

const HOOK_JS = `
const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require("@aws-sdk/client-codedeploy");
exports.handler = async function (event) {
  console.log("Entering hook " + JSON.stringify(event));
  const status = process.env.HOOK_STATUS || "Succeeded";
  const out = await new CodeDeployClient({}).send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status,
    }),
  );
  console.log("reported " + status + " for " + out.lifecycleEventHookExecutionId);
  return "Successfully reported hook results";
};
`;

let server;
let c;

before(async () => {
  process.env.CUTOVER_LAMBDA_NODE_PATH = join(here, "node_modules");
  server = await startServer();
  await server.reset();
  c = {
    ec2: new EC2Client({}),
    elb: new ElasticLoadBalancingV2Client({}),
    ecs: new ECSClient({}),
    iam: new IAMClient({}),
    lambda: new LambdaClient({}),
    cd: new CodeDeployClient({}),
    logs: new CloudWatchLogsClient({}),
  };
});

after(async () => {
  const { code, stderr } = await server.stop();
  assert.equal(code, 0, `cutover must exit 0 on SIGTERM; stderr:\n${stderr}`);
});

const taskDefinition = (tag) =>
  new RegisterTaskDefinitionCommand(
    taskDefinitionInput("threads-task-def", "threads-cntr", `threads:${tag}`, { memoryReservation: 128 }),
  );

// Lab 4's topology through the JS SDK: network, ALB with the port-80 listener and the
// `/api/threads*` rule, threads-tg and threads-tg-2 with the port-8080 test listener, the
// CODE_DEPLOY service threads on revision 1, the CodeDeploy role, threadsApp and threadsDG.
async function buildLab() {
  const lab = { tgs: {} };
  lab.vpc = (await c.ec2.send(new CreateVpcCommand({ CidrBlock: "10.0.0.0/16" }))).Vpc.VpcId;
  const zones = (await c.ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones.slice(0, 2);
  lab.subnets = [];
  for (const [i, z] of zones.entries()) {
    const s = await c.ec2.send(
      new CreateSubnetCommand({ VpcId: lab.vpc, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: z.ZoneName }),
    );
    lab.subnets.push(s.Subnet.SubnetId);
  }
  lab.sg = (
    await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: "container-labs", Description: "labs", VpcId: lab.vpc }))
  ).GroupId;
  const lb = (
    await c.elb.send(new CreateLoadBalancerCommand({ Name: "alb-container-labs", Subnets: lab.subnets, SecurityGroups: [lab.sg] }))
  ).LoadBalancers[0].LoadBalancerArn;
  lab.prod = (
    await c.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: "HTTP",
        Port: 80,
        DefaultActions: [
          { Type: "fixed-response", FixedResponseConfig: { StatusCode: "404", ContentType: "text/plain", MessageBody: "not found" } },
        ],
      }),
    )
  ).Listeners[0].ListenerArn;
  for (const name of [BLUE, GREEN]) {
    lab.tgs[name] = (await c.elb.send(new CreateTargetGroupCommand(targetGroupInput(name, lab.vpc)))).TargetGroups[0].TargetGroupArn;
  }
  lab.rule = (
    await c.elb.send(
      new CreateRuleCommand({
        ListenerArn: lab.prod,
        Priority: 2,
        Conditions: [{ Field: "path-pattern", Values: ["/api/threads*"] }],
        Actions: [{ Type: "forward", TargetGroupArn: lab.tgs[BLUE] }],
      }),
    )
  ).Rules[0].RuleArn;
  lab.test = (
    await c.elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: "HTTP",
        Port: 8080,
        DefaultActions: [{ Type: "forward", TargetGroupArn: lab.tgs[GREEN] }],
      }),
    )
  ).Listeners[0].ListenerArn;

  await c.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  const td = (await c.ecs.send(taskDefinition("latest"))).taskDefinition;
  assert.equal(td.revision, 1);
  await c.ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: "threads",
      taskDefinition: "threads-task-def:1",
      loadBalancers: [{ targetGroupArn: lab.tgs[BLUE], containerName: "threads-cntr", containerPort: 3000 }],
      desiredCount: 1,
      launchType: "FARGATE",
      schedulingStrategy: "REPLICA",
      networkConfiguration: {
        awsvpcConfiguration: { subnets: lab.subnets, securityGroups: [lab.sg], assignPublicIp: "DISABLED" },
      },
      deploymentController: { type: "CODE_DEPLOY" },
    }),
  );

  const codedeployTrust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: ["codedeploy.amazonaws.com"] }, Action: "sts:AssumeRole" }],
  };
  const role = (
    await c.iam.send(
      new CreateRoleCommand({ RoleName: "ecsCodeDeployServiceRole", AssumeRolePolicyDocument: JSON.stringify(codedeployTrust) }),
    )
  ).Role.Arn;
  await c.iam.send(
    new AttachRolePolicyCommand({
      RoleName: "ecsCodeDeployServiceRole",
      PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS",
    }),
  );
  await c.cd.send(new CreateApplicationCommand({ applicationName: "threadsApp", computePlatform: "ECS" }));
  await c.cd.send(
    new CreateDeploymentGroupCommand({
      applicationName: "threadsApp",
      deploymentGroupName: "threadsDG",
      deploymentConfigName: "CodeDeployDefault.ECSAllAtOnce",
      serviceRoleArn: role,
      ecsServices: [{ serviceName: "threads", clusterName: CLUSTER }],
      ...blueGreenGroupInput(BLUE, GREEN, lab.prod, lab.test),
    }),
  );
  await server.advanceUntil(
    async () => {
      const sets = await taskSets(lab);
      const health = await c.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: lab.tgs[BLUE] }));
      return (
        sets.length === 1 &&
        sets[0].stabilityStatus === "STEADY_STATE" &&
        health.TargetHealthDescriptions.map((h) => h.TargetHealth.State).join() === "healthy"
      );
    },
    "threads steady and healthy",
    10,
    600,
  );
  return lab;
}

// The hook's role (Lab 4: basic execution plus PutLifecycleEventHookExecutionStatus) and the two
// functions, one reporting Succeeded and one Failed.
async function createHooks() {
  const trust = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
  };
  const role = (
    await c.iam.send(new CreateRoleCommand({ RoleName: "CodeDeployHookRole", AssumeRolePolicyDocument: JSON.stringify(trust) }))
  ).Role.Arn;
  await c.iam.send(
    new AttachRolePolicyCommand({
      RoleName: "CodeDeployHookRole",
      PolicyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    }),
  );
  await c.iam.send(
    new PutRolePolicyCommand({
      RoleName: "CodeDeployHookRole",
      PolicyName: "PutLifecycleEventHookExecutionStatus",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Action: ["codedeploy:PutLifecycleEventHookExecutionStatus"],
            Resource: `arn:aws:codedeploy:us-east-1:${ACCOUNT}:deploymentgroup:*`,
            Effect: "Allow",
          },
        ],
      }),
    }),
  );
  const zip = zipOf({ "hook.js": HOOK_JS });
  for (const [name, status] of [
    [HOOK_OK, "Succeeded"],
    [HOOK_FAILING, "Failed"],
  ]) {
    await c.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: "nodejs20.x",
        Role: role,
        Handler: "hook.handler",
        Code: { ZipFile: zip },
        Environment: { Variables: { HOOK_STATUS: status } },
      }),
    );
  }
  await server.advance(5);
  for (const name of [HOOK_OK, HOOK_FAILING]) {
    const fn = await c.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    assert.equal(fn.Configuration.State, "Active");
  }
}

async function taskSets(lab) {
  const out = await c.ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ["threads"] }));
  return out.services[0].taskSets ?? [];
}

// [status, "family:revision", target group name] of each task set, sorted.
async function taskSetSummary(lab) {
  const names = Object.fromEntries(Object.entries(lab.tgs).map(([n, a]) => [a, n]));
  return (await taskSets(lab))
    .map((ts) => [ts.status, ts.taskDefinition.split("/").pop(), names[ts.loadBalancers[0].targetGroupArn]])
    .sort((a, b) => a.join().localeCompare(b.join()));
}

// The share (percent) of a forward action's traffic that goes to `tg`.
function share(lab, actions, tg) {
  const fwd = actions.find((a) => a.Type === "forward");
  const groups = fwd.ForwardConfig?.TargetGroups ?? [{ TargetGroupArn: fwd.TargetGroupArn, Weight: 1 }];
  const total = groups.reduce((s, g) => s + (g.Weight ?? 1), 0);
  const mine = groups.filter((g) => g.TargetGroupArn === lab.tgs[tg]).reduce((s, g) => s + (g.Weight ?? 1), 0);
  return (100 * mine) / total;
}

async function prodShare(lab, tg) {
  const rule = (await c.elb.send(new DescribeRulesCommand({ RuleArns: [lab.rule] }))).Rules[0];
  return share(lab, rule.Actions, tg);
}

async function testShare(lab, tg) {
  const l = (await c.elb.send(new DescribeListenersCommand({ ListenerArns: [lab.test] }))).Listeners[0];
  return share(lab, l.DefaultActions, tg);
}

async function deployment(id) {
  return (await c.cd.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
}

async function ecsTarget(id) {
  try {
    const out = await c.cd.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: `${CLUSTER}:threads` }));
    return out.deploymentTarget.ecsTarget;
  } catch (e) {
    if (e instanceof DeploymentNotStartedException) return null;
    throw e;
  }
}

async function events(id) {
  const t = await ecsTarget(id);
  return Object.fromEntries((t?.lifecycleEvents ?? []).map((e) => [e.lifecycleEventName, e.status]));
}

async function deploy(lab, taskDefinitionArn, hookFunction) {
  const content = JSON.stringify({
    version: 0.0,
    Resources: [
      {
        TargetService: {
          Type: "AWS::ECS::Service",
          Properties: {
            TaskDefinition: taskDefinitionArn,
            LoadBalancerInfo: { ContainerName: "threads-cntr", ContainerPort: 3000 },
            PlatformVersion: "LATEST",
            NetworkConfiguration: {
              awsvpcConfiguration: { subnets: lab.subnets, securityGroups: [lab.sg], assignPublicIp: "DISABLED" },
            },
          },
        },
      },
    ],
    Hooks: [{ AfterAllowTestTraffic: hookFunction }],
  });
  const out = await c.cd.send(
    new CreateDeploymentCommand({
      applicationName: "threadsApp",
      deploymentGroupName: "threadsDG",
      revision: {
        revisionType: "AppSpecContent",
        appSpecContent: { content, sha256: createHash("sha256").update(content).digest("hex") },
      },
    }),
  );
  return out.deploymentId;
}

const hookInvoked = (id) =>
  server.advanceUntil(async () => (await events(id)).AfterAllowTestTraffic === "InProgress", "AfterAllowTestTraffic invoked");

const hookAnswer = (id) =>
  waitWall(async () => {
    const s = (await events(id)).AfterAllowTestTraffic;
    return s !== "InProgress" && s;
  }, "the hook's answer");

const settled = (id) => server.advanceUntil(async () => TERMINAL.includes((await deployment(id)).status), `${id} done`, 15, 7200);

// A deleted task set stays DRAINING until its targets deregister and its tasks stop.
const drained = (lab) =>
  server.advanceUntil(async () => (await taskSets(lab)).every((ts) => ts.status !== "DRAINING"), "draining gone", 30, 900);

test("lab4_hook_then_rollback", async () => {
  const lab = await buildLab();
  await createHooks();
  assert.deepEqual(await taskSetSummary(lab), [["PRIMARY", "threads-task-def:1", BLUE]]);

  // Revision 2 with an AfterAllowTestTraffic hook that reports Succeeded.
  const rev2 = (await c.ecs.send(taskDefinition("0.1"))).taskDefinition.taskDefinitionArn;
  assert.ok(rev2.endsWith(":task-definition/threads-task-def:2"), rev2);
  const d = await deploy(lab, rev2, HOOK_OK);
  await hookInvoked(d);
  // While the hook runs, production is on blue and the test listener reaches green.
  assert.equal(await prodShare(lab, BLUE), 100);
  assert.equal(await testShare(lab, GREEN), 100);
  assert.equal(await hookAnswer(d), "Succeeded");
  await server.advanceUntil(async () => (await ecsTarget(d))?.status === "Succeeded", "target done");
  // Traffic on green; the deployment waits out the 5-minute termination wait with blue still there.
  assert.equal(await prodShare(lab, GREEN), 100);
  assert.equal((await deployment(d)).status, "InProgress");
  assert.deepEqual(await taskSetSummary(lab), [
    ["ACTIVE", "threads-task-def:1", BLUE],
    ["PRIMARY", "threads-task-def:2", GREEN],
  ]);
  await settled(d);
  const info = await deployment(d);
  assert.equal(info.status, "Succeeded");
  assert.equal(info.errorInformation, undefined);
  assert.ok(info.completeTime instanceof Date);
  assert.deepEqual(await events(d), Object.fromEntries(EVENTS.map((e) => [e, "Succeeded"])));
  // The hook reported through the JS SDK v3 inside the function, and logged so.
  const logged = await c.logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${HOOK_OK}` }));
  const text = logged.events.map((e) => e.message).join("");
  assert.match(text, /reported Succeeded for [A-Za-z0-9+/=]{20,}/);
  assert.ok(text.includes(d), text);
  await drained(lab);
  assert.deepEqual(await taskSetSummary(lab), [["PRIMARY", "threads-task-def:2", GREEN]]);
  assert.equal(await prodShare(lab, GREEN), 100);

  // Revision 3 with a hook that reports Failed: the deployment fails and rolls back to green.
  const rev3 = (await c.ecs.send(taskDefinition("0.2"))).taskDefinition.taskDefinitionArn;
  const d3 = await deploy(lab, rev3, HOOK_FAILING);
  await hookInvoked(d3);
  assert.equal(await testShare(lab, BLUE), 100);
  assert.equal(await hookAnswer(d3), "Failed");
  const failed = await deployment(d3);
  assert.equal(failed.status, "Failed");
  assert.deepEqual(failed.errorInformation, {
    code: "HOOK_EXECUTION_FAILURE",
    message: "The deployment failed because the AfterAllowTestTraffic lifecycle hook reported Failed.",
  });
  assert.deepEqual(
    await events(d3),
    Object.fromEntries(EVENTS.map((e, i) => [e, i < 4 ? "Succeeded" : i === 4 ? "Failed" : "Skipped"])),
  );
  const rollbackId = failed.rollbackInfo.rollbackDeploymentId;
  await settled(rollbackId);
  const rollback = await deployment(rollbackId);
  assert.equal(rollback.status, "Succeeded");
  assert.equal(rollback.creator, "codeDeployRollback");
  assert.equal(rollback.rollbackInfo.rollbackTriggeringDeploymentId, d3);
  assert.equal(await prodShare(lab, GREEN), 100);
  assert.equal(await testShare(lab, GREEN), 100);
  await drained(lab);
  assert.deepEqual(await taskSetSummary(lab), [["PRIMARY", "threads-task-def:2", GREEN]]);
});
