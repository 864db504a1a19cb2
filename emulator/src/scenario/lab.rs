//! `setup.lab`: the Lab 4 topology (../shared/lab/lab-4-codedeploy-blue-green.md) built through
//! the API, as the lab's own commands build it: a VPC with two subnets and a security group, the
//! ALB `alb-container-labs` with its port-80 production listener (a `/api/threads*` rule forwards
//! to `threads-tg`) and the port-8080 test listener (to `threads-tg-2`), cluster
//! `my_first_ecs_cluster`, the `threads` service with the CODE_DEPLOY controller, the CodeDeploy
//! role, application `threadsApp` and group `threadsDG`; then the hook functions. The clock then
//! runs until the service is steady and its target healthy.
//!
//! The variables it leaves for the steps are listed in [`build`].

use super::run::{Backend, Failure};
use super::{HookDef, LabSetup};
use crate::model::Service;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

pub const ACCOUNT: &str = "000000000000";
pub const CLUSTER: &str = "my_first_ecs_cluster";
pub const SERVICE: &str = "threads";
pub const FAMILY: &str = "threads-task-def";
pub const CONTAINER: &str = "threads-cntr";
pub const BLUE_TG: &str = "threads-tg";
pub const GREEN_TG: &str = "threads-tg-2";
pub const APP: &str = "threadsApp";
pub const GROUP: &str = "threadsDG";
pub const LB: &str = "alb-container-labs";

/// The lab's task definition (fargate-task-def-threads.json) with `image`.
pub fn task_definition(image: &str) -> Value {
    json!({
        "family": FAMILY,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"),
        "containerDefinitions": [{
            "name": CONTAINER,
            "image": image,
            "memoryReservation": 128,
            "essential": true,
            "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
        }],
    })
}

pub fn image(tag: &str) -> String {
    format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/threads:{tag}")
}

fn tg_input(name: &str, vpc: &str) -> Value {
    json!({
        "Name": name, "VpcId": vpc, "Port": 3000, "Protocol": "HTTP", "TargetType": "ip",
        "HealthCheckProtocol": "HTTP", "HealthCheckPath": "/", "HealthCheckIntervalSeconds": 6,
        "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2,
    })
}

/// The text at `path` (as [`super::run::lookup`] reads paths) of a setup call's output.
fn text(v: &Value, path: &str) -> Result<String, Failure> {
    super::run::lookup(v, path)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Failure::setup(format!("the lab setup found no {path} in {v}")))
}

/// The hook's code: it reports `HOOK_STATUS` (or, for testTraffic, the result of a GET of
/// `TEST_URL`, the test listener as the lab's hook checks it) with PutLifecycleEventHookExecutionStatus
/// through the `AWS_ENDPOINT_URL` the emulator hands every function. No SDK is needed: a plain
/// awsJson request with the function's own credentials in the Authorization header.
const HOOK_JS: &str = r#"exports.handler = async function (event) {
  console.log("hook invoked: " + JSON.stringify(event));
  let status = process.env.HOOK_STATUS;
  if (status === "never") {
    console.log("not reporting (the scenario lets this lifecycle event time out)");
    return "no report";
  }
  if (status === "testTraffic") {
    try {
      const res = await fetch(process.env.TEST_URL);
      console.log("GET " + process.env.TEST_URL + " answered " + res.status + ": " + (await res.text()));
      status = res.status === 200 ? "Succeeded" : "Failed";
    } catch (e) {
      console.log("GET " + process.env.TEST_URL + " failed: " + e);
      status = "Failed";
    }
  }
  const headers = {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus",
    authorization: "AWS4-HMAC-SHA256 Credential=" + process.env.AWS_ACCESS_KEY_ID + "/20250101/" +
      process.env.AWS_REGION + "/codedeploy/aws4_request, SignedHeaders=host, Signature=0",
  };
  if (process.env.AWS_SESSION_TOKEN) headers["x-amz-security-token"] = process.env.AWS_SESSION_TOKEN;
  const body = JSON.stringify({
    deploymentId: event.DeploymentId,
    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
    status,
  });
  const res = await fetch(process.env.AWS_ENDPOINT_URL, { method: "POST", headers, body });
  console.log("reported " + status + ": " + res.status + " " + (await res.text()));
  return status;
};
"#;

const HOOK_PY: &str = r#"import json, os, urllib.request

def handler(event, context):
    print("hook invoked: " + json.dumps(event))
    status = os.environ["HOOK_STATUS"]
    if status == "never":
        print("not reporting (the scenario lets this lifecycle event time out)")
        return "no report"
    if status == "testTraffic":
        try:
            with urllib.request.urlopen(os.environ["TEST_URL"], timeout=5) as r:
                print("GET %s answered %d" % (os.environ["TEST_URL"], r.status))
                status = "Succeeded" if r.status == 200 else "Failed"
        except Exception as e:
            print("GET %s failed: %s" % (os.environ["TEST_URL"], e))
            status = "Failed"
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus",
        "authorization": "AWS4-HMAC-SHA256 Credential=%s/20250101/%s/codedeploy/aws4_request, SignedHeaders=host, Signature=0"
        % (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_REGION"]),
    }
    if os.environ.get("AWS_SESSION_TOKEN"):
        headers["x-amz-security-token"] = os.environ["AWS_SESSION_TOKEN"]
    body = json.dumps({
        "deploymentId": event["DeploymentId"],
        "lifecycleEventHookExecutionId": event["LifecycleEventHookExecutionId"],
        "status": status,
    }).encode()
    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"], data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        print("reported %s: %d" % (status, r.status))
    return status
"#;

fn zip_of(name: &str, code: &str) -> Result<String, Failure> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        z.start_file(name, opts)
            .and_then(|_| z.write_all(code.as_bytes()).map_err(Into::into))
            .and_then(|_| z.finish().map(|_| ()))
            .map_err(|e| Failure::setup(format!("cannot zip the hook's code: {e}")))?;
    }
    use base64::Engine;
    Ok(base64::engine::general_purpose::STANDARD.encode(buf.into_inner()))
}

/// Builds the lab and returns the variables the steps can use:
/// `lab.cluster`, `lab.service`, `lab.loadBalancer`, `lab.dnsName`, `lab.productionListener`,
/// `lab.productionRule`, `lab.testListener`, `lab.blueTargetGroup`, `lab.greenTargetGroup`,
/// `lab.subnets`, `lab.securityGroup`, `lab.taskDefinition` (revision 1's ARN), `lab.application`,
/// `lab.deploymentGroup`, and `lab.hook.NAME` (each hook function's ARN).
pub async fn build(b: &Backend, setup: &LabSetup, hooks: &[HookDef]) -> Result<BTreeMap<String, Value>, Failure> {
    let mut vars = BTreeMap::new();
    let ec2 = |op: &'static str, input: Value| b.call(Service::Ec2, op, input);
    let vpc = text(
        &ec2("CreateVpc", json!({"CidrBlock": "10.0.0.0/16"})).await?,
        "Vpc.VpcId",
    )?;
    let zones = ec2("DescribeAvailabilityZones", json!({})).await?;
    let mut subnets = Vec::new();
    for i in 0..2 {
        let zone = text(&zones, &format!("AvailabilityZones[{i}].ZoneName"))?;
        let out = ec2(
            "CreateSubnet",
            json!({"VpcId": vpc, "CidrBlock": format!("10.0.{i}.0/24"), "AvailabilityZone": zone}),
        )
        .await?;
        subnets.push(text(&out, "Subnet.SubnetId")?);
    }
    let sg = text(
        &ec2(
            "CreateSecurityGroup",
            json!({"GroupName": "container-labs", "Description": "labs", "VpcId": vpc}),
        )
        .await?,
        "GroupId",
    )?;
    let elb = |op: &'static str, input: Value| b.call(Service::Elbv2, op, input);
    let lb_out = elb(
        "CreateLoadBalancer",
        json!({"Name": LB, "Subnets": subnets, "SecurityGroups": [sg]}),
    )
    .await?;
    let lb = text(&lb_out, "LoadBalancers[0].LoadBalancerArn")?;
    let dns = text(&lb_out, "LoadBalancers[0].DNSName")?;
    let blue = text(
        &elb("CreateTargetGroup", tg_input(BLUE_TG, &vpc)).await?,
        "TargetGroups[0].TargetGroupArn",
    )?;
    let green = text(
        &elb("CreateTargetGroup", tg_input(GREEN_TG, &vpc)).await?,
        "TargetGroups[0].TargetGroupArn",
    )?;
    let prod = text(
        &elb(
            "CreateListener",
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 80, "DefaultActions": [{
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "not found"},
            }]}),
        )
        .await?,
        "Listeners[0].ListenerArn",
    )?;
    let rule = text(
        &elb(
            "CreateRule",
            json!({"ListenerArn": prod, "Priority": 2,
                "Conditions": [{"Field": "path-pattern", "Values": ["/api/threads*"]}],
                "Actions": [{"Type": "forward", "TargetGroupArn": blue}]}),
        )
        .await?,
        "Rules[0].RuleArn",
    )?;
    let test = text(
        &elb(
            "CreateListener",
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 8080,
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": green}]}),
        )
        .await?,
        "Listeners[0].ListenerArn",
    )?;

    let ecs = |op: &'static str, input: Value| b.call(Service::Ecs, op, input);
    ecs("CreateCluster", json!({"clusterName": CLUSTER})).await?;
    let td = text(
        &ecs("RegisterTaskDefinition", task_definition(&image("latest"))).await?,
        "taskDefinition.taskDefinitionArn",
    )?;
    ecs(
        "CreateService",
        json!({
            "cluster": CLUSTER, "serviceName": SERVICE, "taskDefinition": format!("{FAMILY}:1"),
            "loadBalancers": [{"targetGroupArn": blue, "containerName": CONTAINER, "containerPort": 3000}],
            "desiredCount": 1, "launchType": "FARGATE", "schedulingStrategy": "REPLICA",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg], "assignPublicIp": "DISABLED"}},
            "deploymentController": {"type": "CODE_DEPLOY"},
        }),
    )
    .await?;

    let iam = |op: &'static str, input: Value| b.call(Service::Iam, op, input);
    let trust = |svc: &str| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": svc}, "Action": "sts:AssumeRole"}]})
            .to_string()
    };
    let cd_role = text(
        &iam(
            "CreateRole",
            json!({"RoleName": "ecsCodeDeployServiceRole", "AssumeRolePolicyDocument": trust("codedeploy.amazonaws.com")}),
        )
        .await?,
        "Role.Arn",
    )?;
    iam(
        "AttachRolePolicy",
        json!({"RoleName": "ecsCodeDeployServiceRole", "PolicyArn": "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"}),
    )
    .await?;

    let cd = |op: &'static str, input: Value| b.call(Service::CodeDeploy, op, input);
    for cfg in &setup.deployment_configs {
        cd("CreateDeploymentConfig", cfg.clone()).await?;
    }
    for alarm in &setup.alarms {
        b.call(
            Service::CloudWatch,
            "PutMetricAlarm",
            json!({"AlarmName": alarm, "MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB",
                "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold"}),
        )
        .await?;
    }
    cd(
        "CreateApplication",
        json!({"applicationName": APP, "computePlatform": "ECS"}),
    )
    .await?;
    let ready = match setup.ready_wait_minutes {
        Some(m) => json!({"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": m}),
        None => json!({"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}),
    };
    cd(
        "CreateDeploymentGroup",
        json!({
            "applicationName": APP, "deploymentGroupName": GROUP,
            "deploymentConfigName": setup.deployment_config, "serviceRoleArn": cd_role,
            "ecsServices": [{"serviceName": SERVICE, "clusterName": CLUSTER}],
            "alarmConfiguration": {"enabled": !setup.alarms.is_empty(), "ignorePollAlarmFailure": false,
                "alarms": setup.alarms.iter().map(|a| json!({"name": a})).collect::<Vec<_>>()},
            "autoRollbackConfiguration": {"enabled": !setup.auto_rollback.is_empty(), "events": setup.auto_rollback},
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": setup.termination_wait_minutes},
                "deploymentReadyOption": ready,
            },
            "loadBalancerInfo": {"targetGroupPairInfoList": [{
                "targetGroups": [{"name": BLUE_TG}, {"name": GREEN_TG}],
                "prodTrafficRoute": {"listenerArns": [prod]},
                "testTrafficRoute": {"listenerArns": [test]},
            }]},
        }),
    )
    .await?;

    if !hooks.is_empty() {
        let role = text(
            &iam(
                "CreateRole",
                json!({"RoleName": "CodeDeployHookRole", "AssumeRolePolicyDocument": trust("lambda.amazonaws.com")}),
            )
            .await?,
            "Role.Arn",
        )?;
        iam(
            "PutRolePolicy",
            json!({"RoleName": "CodeDeployHookRole", "PolicyName": "PutLifecycleEventHookExecutionStatus",
                "PolicyDocument": json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Action": ["codedeploy:PutLifecycleEventHookExecutionStatus"], "Resource": "*"}]}).to_string()}),
        )
        .await?;
        let test_url = format!("http://{dns}:8080/api/threads");
        for h in hooks {
            let (file, code, handler) = if h.runtime.starts_with("python") {
                ("hook.py", HOOK_PY, "hook.handler")
            } else {
                ("hook.js", HOOK_JS, "hook.handler")
            };
            let out = b
                .call(
                    Service::Lambda,
                    "CreateFunction",
                    json!({
                        "FunctionName": h.name, "Runtime": h.runtime, "Role": role, "Handler": handler,
                        "Code": {"ZipFile": zip_of(file, code)?}, "Timeout": 30,
                        "Environment": {"Variables": {"HOOK_STATUS": h.reports.name(), "TEST_URL": test_url}},
                    }),
                )
                .await?;
            vars.insert(format!("lab.hook.{}", h.name), json!(text(&out, "FunctionArn")?));
        }
    }

    for (k, v) in [
        ("lab.cluster", json!(CLUSTER)),
        ("lab.service", json!(SERVICE)),
        ("lab.loadBalancer", json!(lb)),
        ("lab.dnsName", json!(dns)),
        ("lab.productionListener", json!(prod)),
        ("lab.productionRule", json!(rule)),
        ("lab.testListener", json!(test)),
        ("lab.blueTargetGroup", json!(blue)),
        ("lab.greenTargetGroup", json!(green)),
        ("lab.subnets", json!(subnets)),
        ("lab.securityGroup", json!(sg)),
        ("lab.taskDefinition", json!(td)),
        ("lab.application", json!(APP)),
        ("lab.deploymentGroup", json!(GROUP)),
    ] {
        vars.insert(k.to_owned(), v);
    }
    Ok(vars)
}

/// The lab's appspec (Lab 4 step 9) for `task_definition`, with `hooks` as (event, function).
pub fn appspec(vars: &BTreeMap<String, Value>, task_definition: &str, hooks: &[(String, String)]) -> Value {
    let mut doc = json!({
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": task_definition,
            "LoadBalancerInfo": {"ContainerName": CONTAINER, "ContainerPort": 3000},
            "PlatformVersion": "LATEST",
            "NetworkConfiguration": {"awsvpcConfiguration": {
                "subnets": vars.get("lab.subnets").cloned().unwrap_or(json!([])),
                "securityGroups": [vars.get("lab.securityGroup").cloned().unwrap_or(Value::Null)],
                "assignPublicIp": "DISABLED",
            }},
        }}}],
    });
    if !hooks.is_empty() {
        doc["Hooks"] = Value::Array(hooks.iter().map(|(e, f)| json!({ e: f })).collect());
    }
    doc
}

/// What `build` made, in the lab's words, for the printed timeline.
pub fn summary(setup: &LabSetup, hooks: &[HookDef], vars: &BTreeMap<String, Value>) -> Vec<String> {
    let dns = vars.get("lab.dnsName").and_then(Value::as_str).unwrap_or("?");
    let mut out = vec![
        format!("VPC with two subnets and security group container-labs; ALB {LB} ({dns})"),
        format!("production listener :80 (rule /api/threads* -> {BLUE_TG}), test listener :8080 -> {GREEN_TG}"),
        format!("cluster {CLUSTER}, service {SERVICE} (CODE_DEPLOY controller) running {FAMILY}:1 behind {BLUE_TG}"),
    ];
    let mut group = format!(
        "CodeDeploy {APP}/{GROUP}: {}, termination wait {} min",
        setup.deployment_config, setup.termination_wait_minutes
    );
    if let Some(m) = setup.ready_wait_minutes {
        let _ = std::fmt::Write::write_fmt(&mut group, format_args!(", Ready wait {m} min (STOP_DEPLOYMENT)"));
    }
    if setup.auto_rollback.is_empty() {
        group.push_str(", no automatic rollback");
    } else {
        group.push_str(&format!(", rollback on {}", setup.auto_rollback.join(", ")));
    }
    if !setup.alarms.is_empty() {
        group.push_str(&format!(", alarms {}", setup.alarms.join(", ")));
    }
    out.push(group);
    for h in hooks {
        out.push(format!(
            "hook function {} ({}, reports {})",
            h.name,
            h.runtime,
            h.reports.name()
        ));
    }
    out
}
