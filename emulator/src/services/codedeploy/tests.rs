//! Tests of CodeDeploy: the lab topology built through the handlers of EC2, ELBv2, IAM, ECS and
//! CodeDeploy on a `World` whose clock moves only through `run_until`.

use crate::model::Service;
use crate::protocol::{AwsError, AwsResult};
use crate::services::{cloudwatch, lambda, Ctx};
use crate::sim::SimTime;
use crate::world::{PartitionKey, World};
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;
const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";
const HOOK: &str = "CodeDeployHook_pre-traffic-hook";

fn key() -> PartitionKey {
    PartitionKey::new(ACCOUNT, REGION)
}

fn call(w: &mut World, svc: Service, op: &str, input: Value) -> AwsResult<Value> {
    crate::dispatch::testing::call(w, &Ctx::internal(svc, ACCOUNT, REGION), op, input)
}

fn ok(w: &mut World, svc: Service, op: &str, input: Value) -> Value {
    call(w, svc, op, input).unwrap_or_else(|e| panic!("{op}: {e:?}"))
}

fn cd(w: &mut World, op: &str, input: Value) -> AwsResult<Value> {
    call(w, Service::CodeDeploy, op, input)
}

fn cd_ok(w: &mut World, op: &str, input: Value) -> Value {
    ok(w, Service::CodeDeploy, op, input)
}

fn cd_err(w: &mut World, op: &str, input: Value) -> AwsError {
    match cd(w, op, input) {
        Ok(v) => panic!("{op} succeeded: {v}"),
        Err(e) => e,
    }
}

fn advance(w: &mut World, secs: f64) {
    let until = w.now.plus_secs(secs);
    crate::lifecycle::run_until(w, until);
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

struct Lab {
    tg1: String,
    tg2: String,
    prod: String,
    test: String,
    rule: String,
    subnets: Vec<String>,
    sg: String,
    service_arn: String,
    other_lb: String,
}

/// The lab: IAM role, an ALB in the default subnets with `threads-tg`/`threads-tg-2`, a port-80
/// listener whose `/api/threads*` rule forwards to `threads-tg`, a port-8080 test listener on
/// `threads-tg-2`, cluster `my_first_ecs_cluster`, task definition `threads-task-def:1` and the
/// CODE_DEPLOY service `threads` running steady; application `threadsApp` (ECS).
fn lab(w: &mut World) -> Lab {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["codedeploy.amazonaws.com"]}, "Action": "sts:AssumeRole"}]});
    ok(
        w,
        Service::Iam,
        "CreateRole",
        json!({"RoleName": "ecsCodeDeployServiceRole", "AssumeRolePolicyDocument": trust.to_string()}),
    );
    let vpc = crate::services::ec2::default_vpc_id(&w.region_mut(&key()).ec2).to_owned();
    let subnets: Vec<String> = ok(w, Service::Ec2, "DescribeSubnets", json!({}))["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["VpcId"] == json!(vpc))
        .map(|x| s(&x["SubnetId"]))
        .collect();
    let sg = ok(w, Service::Ec2, "DescribeSecurityGroups", json!({}))["SecurityGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["VpcId"] == json!(vpc))
        .map(|g| s(&g["GroupId"]))
        .unwrap();
    let e = Service::Elbv2;
    let lb_of = |w: &mut World, name: &str| {
        s(&ok(
            w,
            e,
            "CreateLoadBalancer",
            json!({"Name": name, "Subnets": [subnets[0], subnets[1]], "SecurityGroups": [sg]}),
        )["LoadBalancers"][0]["LoadBalancerArn"])
    };
    let lb = lb_of(w, "alb-container-labs");
    let other_lb = lb_of(w, "other-alb");
    let tg = |w: &mut World, name: &str| {
        s(&ok(
            w,
            e,
            "CreateTargetGroup",
            json!({"Name": name, "Protocol": "HTTP", "Port": 3000, "VpcId": vpc, "TargetType": "ip",
                   "HealthCheckProtocol": "HTTP", "HealthCheckPath": "/", "HealthCheckIntervalSeconds": 6,
                   "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}),
        )["TargetGroups"][0]["TargetGroupArn"])
    };
    let tg1 = tg(w, "threads-tg");
    let tg2 = tg(w, "threads-tg-2");
    let prod = s(&ok(
        w,
        e,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 80, "DefaultActions": [
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "not found"}}]}),
    )["Listeners"][0]["ListenerArn"]);
    let rule = s(&ok(
        w,
        e,
        "CreateRule",
        json!({"ListenerArn": prod, "Priority": 2,
               "Conditions": [{"Field": "path-pattern", "Values": ["/api/threads*"]}],
               "Actions": [{"Type": "forward", "TargetGroupArn": tg1}]}),
    )["Rules"][0]["RuleArn"]);
    let test = s(&ok(
        w,
        e,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 8080,
               "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg2}]}),
    )["Listeners"][0]["ListenerArn"]);
    ok(
        w,
        Service::Ecs,
        "CreateCluster",
        json!({"clusterName": "my_first_ecs_cluster"}),
    );
    register_td(w, "threads:0.0");
    let svc = ok(
        w,
        Service::Ecs,
        "CreateService",
        json!({
            "cluster": "my_first_ecs_cluster", "serviceName": "threads", "taskDefinition": "threads-task-def:1",
            "loadBalancers": [{"targetGroupArn": tg1, "containerName": "threads-cntr", "containerPort": 3000}],
            "desiredCount": 1, "launchType": "FARGATE", "schedulingStrategy": "REPLICA",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": [subnets[0], subnets[1]], "securityGroups": [sg], "assignPublicIp": "DISABLED"}},
            "deploymentController": {"type": "CODE_DEPLOY"}
        }),
    );
    advance(w, 120.0);
    cd_ok(
        w,
        "CreateApplication",
        json!({"applicationName": "threadsApp", "computePlatform": "ECS"}),
    );
    Lab {
        tg1,
        tg2,
        prod,
        test,
        rule,
        subnets,
        sg,
        service_arn: s(&svc["service"]["serviceArn"]),
        other_lb,
    }
}

/// Registers the next revision of `threads-task-def` with `image`.
fn register_td(w: &mut World, image: &str) -> String {
    let out = ok(
        w,
        Service::Ecs,
        "RegisterTaskDefinition",
        json!({"family": "threads-task-def", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
               "cpu": "256", "memory": "512",
               "containerDefinitions": [{"name": "threads-cntr", "image": image, "essential": true,
                                         "portMappings": [{"containerPort": 3000, "protocol": "tcp"}]}]}),
    );
    s(&out["taskDefinition"]["taskDefinitionArn"])
}

fn group_input(l: &Lab, name: &str) -> Value {
    json!({
        "applicationName": "threadsApp", "deploymentGroupName": name,
        "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
        "serviceRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/ecsCodeDeployServiceRole"),
        "ecsServices": [{"serviceName": "threads", "clusterName": "my_first_ecs_cluster"}],
        "alarmConfiguration": {"enabled": false, "ignorePollAlarmFailure": true, "alarms": []},
        "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"]},
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}},
        "loadBalancerInfo": {"targetGroupPairInfoList": [{
            "targetGroups": [{"name": "threads-tg"}, {"name": "threads-tg-2"}],
            "prodTrafficRoute": {"listenerArns": [l.prod]},
            "testTrafficRoute": {"listenerArns": [l.test]}}]}
    })
}

/// The lab's group `threadsDG`, with `patch` merged over the lab's input.
fn create_group(w: &mut World, l: &Lab, patch: Value) {
    let mut input = group_input(l, "threadsDG");
    if let (Some(o), Some(p)) = (input.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            o.insert(k.clone(), v.clone());
        }
    }
    cd_ok(w, "CreateDeploymentGroup", input);
}

fn appspec(td: &str, hooks: Value) -> String {
    json!({
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": td,
            "LoadBalancerInfo": {"ContainerName": "threads-cntr", "ContainerPort": 3000},
            "PlatformVersion": "LATEST"}}}],
        "Hooks": hooks
    })
    .to_string()
}

fn deploy(w: &mut World, content: &str, extra: Value) -> AwsResult<String> {
    use sha2::{Digest, Sha256};
    let sha: String = Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut input = json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG",
        "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content, "sha256": sha}}});
    if let (Some(o), Some(p)) = (input.as_object_mut(), extra.as_object()) {
        for (k, v) in p {
            o.insert(k.clone(), v.clone());
        }
    }
    cd(w, "CreateDeployment", input).map(|v| s(&v["deploymentId"]))
}

fn info(w: &mut World, id: &str) -> Value {
    cd_ok(w, "GetDeployment", json!({"deploymentId": id}))["deploymentInfo"].clone()
}

fn status(w: &mut World, id: &str) -> String {
    s(&info(w, id)["status"])
}

fn target(w: &mut World, id: &str) -> Value {
    cd_ok(
        w,
        "GetDeploymentTarget",
        json!({"deploymentId": id, "targetId": "my_first_ecs_cluster:threads"}),
    )["deploymentTarget"]["ecsTarget"]
        .clone()
}

fn events_of(t: &Value) -> Vec<(String, String)> {
    t["lifecycleEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (s(&e["lifecycleEventName"]), s(&e["status"])))
        .collect()
}

fn weights(w: &World, arn: &str) -> Vec<(String, i64)> {
    crate::services::elbv2::forward_weights(&w.region(&key()).unwrap().elbv2, arn).unwrap_or_default()
}

/// (id, status, target group ARN) of the service's task sets, PRIMARY first.
fn task_sets(w: &World, l: &Lab) -> Vec<(String, String, String)> {
    crate::services::ecs::task_sets::views(&w.region(&key()).unwrap().ecs, &l.service_arn)
        .into_iter()
        .map(|v| {
            (
                v.id,
                v.status.as_str().to_owned(),
                v.target_groups.first().cloned().unwrap_or_default(),
            )
        })
        .collect()
}

fn add_hook_function(w: &mut World, name: &str) {
    let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}");
    w.region_mut(&key()).lambda.functions.insert(
        name.to_owned(),
        lambda::Function {
            name: name.to_owned(),
            arn,
        },
    );
}

/// The hook invocations queued for Lambda since the last call: (DeploymentId, execution id).
fn take_invocations(w: &mut World) -> Vec<(String, String)> {
    let q = &mut w.region_mut(&key()).lambda.pending;
    q.drain(..)
        .map(|i| {
            (
                s(&i.payload["DeploymentId"]),
                s(&i.payload["LifecycleEventHookExecutionId"]),
            )
        })
        .collect()
}

fn answer(w: &mut World, id: &str, exec: &str, status: &str) -> AwsResult<Value> {
    cd(
        w,
        "PutLifecycleEventHookExecutionStatus",
        json!({"deploymentId": id, "lifecycleEventHookExecutionId": exec, "status": status}),
    )
}

/// Advances in steps until `f` holds (at most `limit` seconds).
fn advance_until(w: &mut World, limit: f64, mut f: impl FnMut(&mut World) -> bool) -> bool {
    let mut t = 0.0;
    while t < limit {
        if f(w) {
            return true;
        }
        advance(w, 1.0);
        t += 1.0;
    }
    f(w)
}

fn set_alarm(w: &mut World, name: &str, state: &str) {
    w.region_mut(&key()).cloudwatch.alarms.insert(
        name.to_owned(),
        cloudwatch::Alarm {
            name: name.to_owned(),
            arn: format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"),
            state_value: cutover_types::cloudwatch::StateValue::from(state),
            ..Default::default()
        },
    );
}

// ---- the happy path ---------------------------------------------------------------------------------

#[test]
fn lab_deployment_all_at_once_succeeds_with_every_step_visible() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let l = lab(&mut w);
    create_group(&mut w, &l, json!({}));
    add_hook_function(&mut w, HOOK);
    let g = cd_ok(
        &mut w,
        "GetDeploymentGroup",
        json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG"}),
    )["deploymentGroupInfo"]
        .clone();
    assert_eq!(g["computePlatform"], "ECS");
    assert_eq!(
        g["blueGreenDeploymentConfiguration"]["deploymentReadyOption"]["waitTimeInMinutes"],
        0
    );
    assert_eq!(
        g["blueGreenDeploymentConfiguration"]["terminateBlueInstancesOnDeploymentSuccess"]
            ["terminationWaitTimeInMinutes"],
        5
    );
    let blue = task_sets(&w, &l)[0].clone();
    assert_eq!((blue.1.as_str(), blue.2.as_str()), ("PRIMARY", l.tg1.as_str()));

    let td2 = register_td(&mut w, "threads:0.1");
    let id = deploy(&mut w, &appspec(&td2, json!([{"BeforeAllowTraffic": HOOK}])), json!({})).unwrap();
    assert!(id.starts_with("d-") && id.len() == 11, "{id}");
    assert_eq!(status(&mut w, &id), "Created");
    assert_eq!(
        cd_err(&mut w, "ListDeploymentTargets", json!({"deploymentId": id})).code,
        "DeploymentNotStartedException"
    );
    assert_eq!(
        cd_ok(&mut w, "ListDeployments", json!({}))["deployments"],
        json!([id.clone()])
    );

    advance(&mut w, 1.0);
    assert_eq!(status(&mut w, &id), "InProgress");
    let t = target(&mut w, &id);
    assert_eq!(
        events_of(&t),
        vec![
            ("BeforeInstall".into(), "Succeeded".into()),
            ("Install".into(), "InProgress".into()),
            ("AfterInstall".into(), "Pending".into()),
            ("AllowTestTraffic".into(), "Pending".into()),
            ("AfterAllowTestTraffic".into(), "Pending".into()),
            ("BeforeAllowTraffic".into(), "Pending".into()),
            ("AllowTraffic".into(), "Pending".into()),
            ("AfterAllowTraffic".into(), "Pending".into()),
        ]
    );
    assert_eq!(t["targetId"], "my_first_ecs_cluster:threads");
    assert_eq!(t["targetArn"], json!(l.service_arn));
    // Green exists, ACTIVE, behind threads-tg-2, made by CodeDeploy for this deployment.
    let sets = task_sets(&w, &l);
    assert_eq!(sets.len(), 2);
    let green = sets[1].clone();
    assert_eq!((green.1.as_str(), green.2.as_str()), ("ACTIVE", l.tg2.as_str()));
    let described = ok(
        &mut w,
        Service::Ecs,
        "DescribeServices",
        json!({"cluster": "my_first_ecs_cluster", "services": ["threads"]}),
    );
    let green_json = &described["services"][0]["taskSets"][1];
    assert_eq!(green_json["startedBy"], "CODE_DEPLOY");
    assert_eq!(green_json["externalId"], json!(id));
    assert_eq!(green_json["scale"]["value"], 100.0);
    let infos = t["taskSetsInfo"].as_array().unwrap().clone();
    assert_eq!(infos[0]["identifer"], json!(blue.0));
    assert_eq!(infos[0]["taskSetLabel"], "Blue");
    assert_eq!(infos[0]["trafficWeight"], 100.0);
    assert_eq!(infos[0]["targetGroup"]["name"], "threads-tg");
    assert_eq!(infos[1]["identifer"], json!(green.0));
    assert_eq!(infos[1]["taskSetLabel"], "Green");
    assert_eq!(infos[1]["trafficWeight"], 0.0);
    // Production and test traffic untouched so far.
    assert_eq!(weights(&w, &l.rule), vec![(l.tg1.clone(), 1)]);
    assert_eq!(weights(&w, &l.test), vec![(l.tg2.clone(), 1)]);

    // Green turns steady; test traffic moves to it; the hook is invoked.
    assert!(advance_until(&mut w, 300.0, |w| !w
        .region_mut(&key())
        .lambda
        .pending
        .is_empty()));
    assert_eq!(weights(&w, &l.test), vec![(l.tg2.clone(), 100), (l.tg1.clone(), 0)]);
    assert_eq!(weights(&w, &l.rule), vec![(l.tg1.clone(), 1)]);
    let inv = take_invocations(&mut w);
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].0, id);
    let t = target(&mut w, &id);
    assert_eq!(events_of(&t)[5], ("BeforeAllowTraffic".into(), "InProgress".into()));
    // Execution ids are opaque base64 JSON.
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD.decode(&inv[0].1).unwrap();
    let doc: Value = serde_json::from_slice(&raw).unwrap();
    assert!(doc.get("encryptedData").is_some());
    // A bad status or id is refused; Succeeded moves it on.
    assert_eq!(
        answer(&mut w, &id, &inv[0].1, "Skipped").unwrap_err().code,
        "InvalidLifecycleEventHookExecutionStatusException"
    );
    assert_eq!(
        answer(&mut w, &id, "bm9wZQ==", "Succeeded").unwrap_err().code,
        "InvalidLifecycleEventHookExecutionIdException"
    );
    let out = answer(&mut w, &id, &inv[0].1, "Succeeded").unwrap();
    assert_eq!(out["lifecycleEventHookExecutionId"], json!(inv[0].1));
    assert_eq!(
        answer(&mut w, &id, &inv[0].1, "Succeeded").unwrap_err().code,
        "LifecycleEventAlreadyCompletedException"
    );

    // All at once: green 100, blue kept at 0; green PRIMARY; target Succeeded; termination wait.
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 100), (l.tg1.clone(), 0)]);
    let sets = task_sets(&w, &l);
    assert_eq!((sets[0].0.as_str(), sets[0].1.as_str()), (green.0.as_str(), "PRIMARY"));
    assert_eq!((sets[1].0.as_str(), sets[1].1.as_str()), (blue.0.as_str(), "ACTIVE"));
    assert_eq!(status(&mut w, &id), "InProgress");
    let t = target(&mut w, &id);
    assert_eq!(t["status"], "Succeeded");
    assert!(events_of(&t).iter().all(|(_, st)| st == "Succeeded"));
    let infos = t["taskSetsInfo"].as_array().unwrap().clone();
    assert_eq!(infos[0]["trafficWeight"], 0.0);
    assert_eq!(infos[1]["trafficWeight"], 100.0);
    assert_eq!(infos[1]["status"], "PRIMARY");
    for e in t["lifecycleEvents"].as_array().unwrap() {
        assert!(e["startTime"].as_f64().unwrap() <= e["endTime"].as_f64().unwrap());
        assert!(e["startTime"].as_f64().unwrap() >= T0 as f64 / 1000.0);
    }
    assert_eq!(info(&mut w, &id)["instanceTerminationWaitTimeStarted"], true);

    advance(&mut w, 4.0 * 60.0);
    assert_eq!(status(&mut w, &id), "InProgress");
    advance(&mut w, 61.0);
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Succeeded");
    assert!(i["completeTime"].as_f64().unwrap() >= i["startTime"].as_f64().unwrap() + 300.0);
    assert_eq!(i["creator"], "user");
    assert_eq!(i["deploymentOverview"]["Succeeded"], 1);
    assert!(i["revision"]["appSpecContent"].get("content").is_none());
    let sets = task_sets(&w, &l);
    assert!(sets
        .iter()
        .all(|(id, st, _)| *id == green.0 && st == "PRIMARY" || st == "DRAINING"));
    // The timeline and the ECS service events tell the story.
    let lines: Vec<String> = w
        .timeline_since(0)
        .filter(|e| e.source() == "codedeploy")
        .map(|e| e.message())
        .collect();
    assert!(lines.iter().any(|m| m.contains("AllowTraffic succeeded")));
    assert!(lines.iter().any(|m| m.ends_with("Succeeded")));
    let svc = &w.region(&key()).unwrap().ecs.services[&l.service_arn];
    assert!(svc
        .events
        .iter()
        .any(|(_, _, m)| m.contains("CodeDeploy deployment") && m.contains("Install")));
    // The revision was registered with the group that used it.
    let rev = cd_ok(
        &mut w,
        "ListApplicationRevisions",
        json!({"applicationName": "threadsApp"}),
    )["revisions"][0]
        .clone();
    let got = cd_ok(
        &mut w,
        "GetApplicationRevision",
        json!({"applicationName": "threadsApp", "revision": rev}),
    );
    assert!(s(&got["revision"]["appSpecContent"]["content"]).contains("threads-cntr"));
    assert_eq!(got["revisionInfo"]["deploymentGroups"], json!(["threadsDG"]));
    let g = cd_ok(
        &mut w,
        "GetDeploymentGroup",
        json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG"}),
    )["deploymentGroupInfo"]
        .clone();
    assert_eq!(g["lastSuccessfulDeployment"]["deploymentId"], json!(id));

    // The next deployment swaps the roles of the target groups.
    let td3 = register_td(&mut w, "threads:0.2");
    let id2 = deploy(&mut w, &appspec(&td3, json!([])), json!({})).unwrap();
    advance(&mut w, 1.0);
    let sets = task_sets(&w, &l);
    assert_eq!(sets[1].2, l.tg1, "the new green runs behind threads-tg");
    assert!(advance_until(&mut w, 400.0, |w| status(w, &id2) != "InProgress"
        || weights(w, &l.rule) == vec![(l.tg1.clone(), 100), (l.tg2.clone(), 0)]));
    assert_eq!(weights(&w, &l.rule), vec![(l.tg1.clone(), 100), (l.tg2.clone(), 0)]);
    assert_eq!(weights(&w, &l.test), vec![(l.tg1.clone(), 100), (l.tg2.clone(), 0)]);
    assert_eq!(info(&mut w, &id2)["previousRevision"]["revisionType"], "AppSpecContent");
    cd_ok(
        &mut w,
        "ContinueDeployment",
        json!({"deploymentId": id2, "deploymentWaitType": "TERMINATION_WAIT"}),
    );
    assert_eq!(status(&mut w, &id2), "Succeeded");
    assert_eq!(
        cd_ok(
            &mut w,
            "ListDeployments",
            json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG"})
        )["deployments"],
        json!([id2, id])
    );
}

/// Lab + group (with `patch`) + a deployment of a new task definition with `hooks`; returns
/// (lab, deployment id, new task definition ARN) right after CreateDeployment.
fn started(w: &mut World, patch: Value, hooks: Value, extra: Value) -> (Lab, String, String) {
    let l = lab(w);
    create_group(w, &l, patch);
    add_hook_function(w, HOOK);
    let td = register_td(w, "threads:0.1");
    let id = deploy(w, &appspec(&td, hooks), extra).unwrap();
    (l, id, td)
}

/// Runs until the deployment's production forwards reach green (or it ends).
fn until_weights(w: &mut World, l: &Lab, id: &str, green: i64, limit: f64) -> bool {
    let want = vec![(l.tg2.clone(), green), (l.tg1.clone(), 100 - green)];
    advance_until(w, limit, |w| {
        weights(w, &l.rule) == want || !["InProgress", "Created", "Ready"].contains(&status(w, id).as_str())
    })
}

/// After a rollback: production forwards only to the PRIMARY task set's target group.
fn assert_restored(w: &World, l: &Lab) {
    let sets = task_sets(w, l);
    let primary: Vec<_> = sets.iter().filter(|t| t.1 == "PRIMARY").collect();
    assert_eq!(primary.len(), 1, "{sets:?}");
    assert_eq!(primary[0].2, l.tg1);
    assert!(sets.iter().all(|t| t.1 == "PRIMARY" || t.1 == "DRAINING"), "{sets:?}");
    for (tg, wt) in weights(w, &l.rule) {
        assert!(wt == 0 || tg == l.tg1, "production still forwards to {tg}");
    }
    assert_eq!(weights(w, &l.test), vec![(l.tg2.clone(), 0), (l.tg1.clone(), 100)]);
}

fn rollback_of(w: &mut World, id: &str) -> String {
    let i = info(w, id);
    let r = s(&i["rollbackInfo"]["rollbackDeploymentId"]);
    assert!(!r.is_empty(), "no rollback for {id}: {i}");
    let ri = info(w, &r);
    assert_eq!(ri["creator"], "codeDeployRollback");
    assert_eq!(ri["rollbackInfo"]["rollbackTriggeringDeploymentId"], json!(id));
    r
}

#[test]
fn canary_weights_step_on_the_clock() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(
        &mut w,
        json!({}),
        json!([]),
        json!({"deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent5Minutes"}),
    );
    assert!(until_weights(&mut w, &l, &id, 10, 600.0));
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 10), (l.tg1.clone(), 90)]);
    let t = target(&mut w, &id);
    assert_eq!(t["taskSetsInfo"][1]["trafficWeight"], 10.0);
    assert_eq!(t["taskSetsInfo"][0]["status"], "PRIMARY");
    advance(&mut w, 299.0);
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 10), (l.tg1.clone(), 90)]);
    advance(&mut w, 1.0);
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 100), (l.tg1.clone(), 0)]);
    assert_eq!(task_sets(&w, &l)[0].2, l.tg2);
    assert_eq!(
        info(&mut w, &id)["deploymentConfigName"],
        "CodeDeployDefault.ECSCanary10Percent5Minutes"
    );
}

#[test]
fn linear_weights_step_every_interval_and_custom_configs_work() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let l = lab(&mut w);
    cd_ok(
        &mut w,
        "CreateDeploymentConfig",
        json!({"deploymentConfigName": "Linear30Every2", "computePlatform": "ECS",
               "trafficRoutingConfig": {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 30, "linearInterval": 2}}}),
    );
    create_group(&mut w, &l, json!({"deploymentConfigName": "Linear30Every2"}));
    let td = register_td(&mut w, "threads:0.1");
    let id = deploy(&mut w, &appspec(&td, json!([])), json!({})).unwrap();
    assert!(until_weights(&mut w, &l, &id, 30, 600.0));
    for (before, g) in [(30, 60), (60, 90), (90, 100)] {
        advance(&mut w, 119.0);
        assert_eq!(weights(&w, &l.rule)[0].1, before);
        advance(&mut w, 1.0);
        assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), g), (l.tg1.clone(), 100 - g)]);
    }
    assert_eq!(task_sets(&w, &l)[0].2, l.tg2);
    // The predefined linear config, 10% every minute.
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(
        &mut w,
        json!({"deploymentConfigName": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"}),
        json!([]),
        json!({}),
    );
    assert!(until_weights(&mut w, &l, &id, 10, 600.0));
    for g in (20..=100).step_by(10) {
        advance(&mut w, 60.0);
        assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), g), (l.tg1.clone(), 100 - g)]);
    }
}

#[test]
fn ready_wait_holds_until_continue_and_stops_when_it_expires() {
    let ready = json!({"blueGreenDeploymentConfiguration": {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        "deploymentReadyOption": {"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 30}}});
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(&mut w, ready.clone(), json!([]), json!({}));
    assert_eq!(
        cd_err(&mut w, "ContinueDeployment", json!({"deploymentId": id})).code,
        "DeploymentIsNotInReadyStateException"
    );
    assert!(advance_until(&mut w, 600.0, |w| status(w, &id) == "Ready"));
    assert_eq!(target(&mut w, &id)["status"], "Ready");
    assert_eq!(weights(&w, &l.test), vec![(l.tg2.clone(), 100), (l.tg1.clone(), 0)]);
    assert_eq!(weights(&w, &l.rule), vec![(l.tg1.clone(), 1)]);
    advance(&mut w, 20.0 * 60.0);
    assert_eq!(status(&mut w, &id), "Ready");
    cd_ok(
        &mut w,
        "ContinueDeployment",
        json!({"deploymentId": id, "deploymentWaitType": "READY_WAIT"}),
    );
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 100), (l.tg1.clone(), 0)]);
    assert_eq!(status(&mut w, &id), "Succeeded");
    // The stale expiry does nothing.
    advance(&mut w, 3600.0);
    assert_eq!(status(&mut w, &id), "Succeeded");
    assert_eq!(
        cd_err(&mut w, "ContinueDeployment", json!({"deploymentId": id})).code,
        "DeploymentAlreadyCompletedException"
    );

    // Expired: Stopped, and the group's DEPLOYMENT_STOP_ON_REQUEST rollback puts everything back.
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(&mut w, ready, json!([]), json!({}));
    assert!(advance_until(&mut w, 600.0, |w| status(w, &id) == "Ready"));
    advance(&mut w, 30.0 * 60.0 + 2.0);
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Stopped");
    assert_eq!(i["errorInformation"]["code"], "TIMEOUT");
    let r = rollback_of(&mut w, &id);
    assert_eq!(status(&mut w, &r), "Succeeded");
    assert_restored(&w, &l);
}

#[test]
fn keep_alive_leaves_blue_and_the_next_deployment_replaces_it() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(
        &mut w,
        json!({"blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "KEEP_ALIVE"}}}),
        json!([]),
        json!({}),
    );
    assert!(advance_until(&mut w, 600.0, |w| status(w, &id) == "Succeeded"));
    let sets = task_sets(&w, &l);
    assert_eq!(sets.len(), 2);
    assert_eq!((sets[1].1.as_str(), sets[1].2.as_str()), ("ACTIVE", l.tg1.as_str()));
    let td = register_td(&mut w, "threads:0.2");
    let id2 = deploy(&mut w, &appspec(&td, json!([])), json!({})).unwrap();
    advance(&mut w, 1.0);
    let sets = task_sets(&w, &l);
    assert!(sets.iter().any(|t| t.1 == "DRAINING" && t.2 == l.tg1), "{sets:?}");
    assert!(advance_until(&mut w, 600.0, |w| status(w, &id2) == "Succeeded"));
}

// ---- failures and rollbacks ----------------------------------------------------------------------

#[test]
fn hook_failed_fails_and_rolls_back() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(&mut w, json!({}), json!([{"AfterAllowTraffic": HOOK}]), json!({}));
    assert!(advance_until(&mut w, 600.0, |w| !w
        .region_mut(&key())
        .lambda
        .pending
        .is_empty()));
    // Production traffic already moved and green is PRIMARY.
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 100), (l.tg1.clone(), 0)]);
    let inv = take_invocations(&mut w);
    answer(&mut w, &id, &inv[0].1, "Failed").unwrap();
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Failed");
    assert_eq!(i["errorInformation"]["code"], "HOOK_EXECUTION_FAILURE");
    let t = target(&mut w, &id);
    assert_eq!(t["status"], "Failed");
    assert_eq!(events_of(&t)[7], ("AfterAllowTraffic".into(), "Failed".into()));
    assert_eq!(t["lifecycleEvents"][7]["diagnostics"]["errorCode"], "UnknownError");
    let r = rollback_of(&mut w, &id);
    assert_eq!(status(&mut w, &r), "Created");
    advance(&mut w, 1.0);
    assert_eq!(status(&mut w, &r), "Succeeded");
    assert_restored(&w, &l);
    let rt = target(&mut w, &r);
    assert!(events_of(&rt).contains(&("AllowTraffic".into(), "Succeeded".into())));
    // The group is free again.
    let td = register_td(&mut w, "threads:0.3");
    deploy(&mut w, &appspec(&td, json!([])), json!({})).unwrap();
}

#[test]
fn hook_without_answer_times_out_after_an_hour() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(&mut w, json!({}), json!([{"AfterInstall": HOOK}]), json!({}));
    assert!(advance_until(&mut w, 600.0, |w| !w
        .region_mut(&key())
        .lambda
        .pending
        .is_empty()));
    advance(&mut w, 3599.0);
    assert_eq!(status(&mut w, &id), "InProgress");
    advance(&mut w, 1.0);
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Failed");
    assert_eq!(i["errorInformation"]["code"], "TIMEOUT");
    let t = target(&mut w, &id);
    assert_eq!(events_of(&t)[2], ("AfterInstall".into(), "Failed".into()));
    assert!(events_of(&t)[3..].iter().all(|(_, st)| st == "Skipped"));
    let r = rollback_of(&mut w, &id);
    advance(&mut w, 1.0);
    assert_eq!(status(&mut w, &r), "Succeeded");
    assert_restored(&w, &l);
}

#[test]
fn missing_hook_function_fails_the_event_and_before_install_has_nothing_to_roll_back() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(
        &mut w,
        json!({}),
        json!([{"BeforeInstall": "NoSuchFunction"}]),
        json!({}),
    );
    advance(&mut w, 1.0);
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Failed");
    assert_eq!(i["errorInformation"]["code"], "HOOK_EXECUTION_FAILURE");
    assert!(i["rollbackInfo"].get("rollbackDeploymentId").is_none());
    assert!(s(&i["rollbackInfo"]["rollbackMessage"]).contains("not performed"));
    let t = target(&mut w, &id);
    assert_eq!(events_of(&t)[0], ("BeforeInstall".into(), "Failed".into()));
    assert!(events_of(&t)[1..].iter().all(|(_, st)| st == "Skipped"));
    assert_eq!(task_sets(&w, &l).len(), 1);
}

#[test]
fn green_that_never_turns_healthy_times_out_install_and_rolls_back() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, td) = started(&mut w, json!({}), json!([]), json!({}));
    w.faults.unhealthy_task_definitions.insert(td);
    advance(&mut w, 3600.0);
    assert_eq!(status(&mut w, &id), "InProgress");
    advance(&mut w, 10.0);
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Failed");
    assert_eq!(i["errorInformation"]["code"], "TIMEOUT");
    let r = rollback_of(&mut w, &id);
    advance(&mut w, 1.0);
    assert_eq!(status(&mut w, &r), "Succeeded");
    assert_restored(&w, &l);
}

#[test]
fn stop_during_canary_rolls_back_on_request_and_not_without() {
    let canary = json!({"deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent15Minutes"});
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(&mut w, json!({}), json!([]), canary.clone());
    assert!(until_weights(&mut w, &l, &id, 10, 600.0));
    let out = cd_ok(
        &mut w,
        "StopDeployment",
        json!({"deploymentId": id, "autoRollbackEnabled": true}),
    );
    assert_eq!(out["status"], "Succeeded");
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Stopped");
    assert_eq!(i["errorInformation"]["code"], "MANUAL_STOP");
    let r = rollback_of(&mut w, &id);
    advance(&mut w, 1.0);
    assert_eq!(status(&mut w, &r), "Succeeded");
    assert_restored(&w, &l);
    advance(&mut w, 3600.0);
    assert_eq!(weights(&w, &l.rule)[0], (l.tg2.clone(), 0), "no stale step fired");
    assert_eq!(
        cd_err(&mut w, "StopDeployment", json!({"deploymentId": id})).code,
        "DeploymentAlreadyCompletedException"
    );

    // autoRollbackEnabled=false: stopped where it was.
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (l, id, _) = started(&mut w, json!({}), json!([]), canary);
    assert!(until_weights(&mut w, &l, &id, 10, 600.0));
    cd_ok(
        &mut w,
        "StopDeployment",
        json!({"deploymentId": id, "autoRollbackEnabled": false}),
    );
    assert_eq!(status(&mut w, &id), "Stopped");
    assert!(info(&mut w, &id).get("rollbackInfo").is_none());
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 10), (l.tg1.clone(), 90)]);
}

#[test]
fn an_alarm_stops_the_deployment_and_rolls_back() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    set_alarm(&mut w, "threads-5xx", "OK");
    let (l, id, _) = started(
        &mut w,
        json!({"alarmConfiguration": {"enabled": true, "ignorePollAlarmFailure": false, "alarms": [{"name": "threads-5xx"}]}}),
        json!([]),
        json!({"deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent15Minutes"}),
    );
    assert!(until_weights(&mut w, &l, &id, 10, 600.0));
    advance(&mut w, 120.0);
    assert_eq!(status(&mut w, &id), "InProgress");
    set_alarm(&mut w, "threads-5xx", "ALARM");
    advance(&mut w, super::record::ALARM_POLL_SECS);
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Stopped");
    assert_eq!(i["errorInformation"]["code"], "ALARM_ACTIVE");
    let r = rollback_of(&mut w, &id);
    advance(&mut w, 1.0);
    assert_eq!(status(&mut w, &r), "Succeeded");
    assert_restored(&w, &l);
}

#[test]
fn one_active_deployment_per_group() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let (_, id, td) = started(&mut w, json!({}), json!([]), json!({}));
    let e = deploy(&mut w, &appspec(&td, json!([])), json!({})).unwrap_err();
    assert_eq!(e.code, "DeploymentLimitExceededException");
    assert_eq!(
        e.message,
        format!("The Deployment Group 'threadsDG' already has an active Deployment '{id}'")
    );
}

#[test]
fn without_a_test_listener_the_test_events_are_left_out() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let l = lab(&mut w);
    let mut input = group_input(&l, "threadsDG");
    input["loadBalancerInfo"]["targetGroupPairInfoList"][0]
        .as_object_mut()
        .unwrap()
        .remove("testTrafficRoute");
    cd_ok(&mut w, "CreateDeploymentGroup", input);
    // The test listener is gone too, so threads-tg-2 is behind nothing until Install.
    ok(&mut w, Service::Elbv2, "DeleteListener", json!({"ListenerArn": l.test}));
    let td = register_td(&mut w, "threads:0.1");
    let id = deploy(&mut w, &appspec(&td, json!([])), json!({})).unwrap();
    advance(&mut w, 2.0);
    assert_eq!(weights(&w, &l.rule), vec![(l.tg2.clone(), 0), (l.tg1.clone(), 100)]);
    assert!(advance_until(&mut w, 900.0, |w| status(w, &id) != "InProgress"));
    assert_eq!(status(&mut w, &id), "Succeeded");
    let names: Vec<String> = events_of(&target(&mut w, &id)).into_iter().map(|e| e.0).collect();
    assert_eq!(
        names,
        [
            "BeforeInstall",
            "Install",
            "AfterInstall",
            "BeforeAllowTraffic",
            "AllowTraffic",
            "AfterAllowTraffic"
        ]
    );
}

// ---- the API: validation and errors ----------------------------------------------------------------

#[test]
fn applications_configs_and_tags() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    cd_ok(
        &mut w,
        "CreateApplication",
        json!({"applicationName": "a1", "computePlatform": "ECS",
        "tags": [{"Key": "team", "Value": "blue"}]}),
    );
    assert_eq!(
        cd_err(&mut w, "CreateApplication", json!({"applicationName": "a1"})).code,
        "ApplicationAlreadyExistsException"
    );
    let e = cd_err(&mut w, "GetApplication", json!({"applicationName": "nope"}));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ApplicationDoesNotExistException",
            "No application found for name: nope"
        )
    );
    let a = cd_ok(&mut w, "GetApplication", json!({"applicationName": "a1"}))["application"].clone();
    assert_eq!(
        (a["computePlatform"].as_str(), a["linkedToGitHub"].as_bool()),
        (Some("ECS"), Some(false))
    );
    cd_ok(&mut w, "CreateApplication", json!({"applicationName": "a0"}));
    assert_eq!(
        cd_ok(&mut w, "ListApplications", json!({}))["applications"],
        json!(["a0", "a1"])
    );
    assert_eq!(
        cd_ok(&mut w, "BatchGetApplications", json!({"applicationNames": ["a0"]}))["applicationsInfo"][0]
            ["computePlatform"],
        "Server"
    );
    let arn = format!("arn:aws:codedeploy:{REGION}:{ACCOUNT}:application:a1");
    cd_ok(
        &mut w,
        "TagResource",
        json!({"ResourceArn": arn, "Tags": [{"Key": "env", "Value": "dev"}]}),
    );
    assert_eq!(
        cd_ok(&mut w, "ListTagsForResource", json!({"ResourceArn": arn}))["Tags"],
        json!([{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}])
    );
    cd_ok(
        &mut w,
        "UntagResource",
        json!({"ResourceArn": arn, "TagKeys": ["team"]}),
    );
    assert_eq!(
        cd_ok(&mut w, "ListTagsForResource", json!({"ResourceArn": arn}))["Tags"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    cd_ok(
        &mut w,
        "UpdateApplication",
        json!({"applicationName": "a1", "newApplicationName": "a2"}),
    );
    assert_eq!(
        cd_err(&mut w, "ListTagsForResource", json!({"ResourceArn": arn})).code,
        "ApplicationDoesNotExistException"
    );
    assert_eq!(
        cd_err(
            &mut w,
            "TagResource",
            json!({"ResourceArn": "arn:aws:s3:::b", "Tags": []})
        )
        .code,
        "InvalidArnException"
    );

    let c = cd_ok(
        &mut w,
        "GetDeploymentConfig",
        json!({"deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent5Minutes"}),
    )["deploymentConfigInfo"]
        .clone();
    assert_eq!(c["computePlatform"], "ECS");
    assert_eq!(
        c["trafficRoutingConfig"],
        json!({"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}})
    );
    assert!(c.get("minimumHealthyHosts").is_none());
    let c = cd_ok(
        &mut w,
        "GetDeploymentConfig",
        json!({"deploymentConfigName": "CodeDeployDefault.OneAtATime"}),
    )["deploymentConfigInfo"]
        .clone();
    assert_eq!(c["minimumHealthyHosts"], json!({"type": "HOST_COUNT", "value": 1}));
    let c = cd_ok(
        &mut w,
        "GetDeploymentConfig",
        json!({"deploymentConfigName": "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"}),
    )["deploymentConfigInfo"]
        .clone();
    assert_eq!(c["trafficRoutingConfig"]["timeBasedLinear"]["linearInterval"], 1);
    assert_eq!(
        cd_err(
            &mut w,
            "DeleteDeploymentConfig",
            json!({"deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce"})
        )
        .code,
        "InvalidOperationException"
    );
    assert_eq!(
        cd_err(&mut w, "CreateDeploymentConfig", json!({"deploymentConfigName": "Bad", "computePlatform": "ECS",
            "trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 100, "canaryInterval": 5}}})).code,
        "InvalidTrafficRoutingConfigurationException"
    );
    assert_eq!(
        cd_err(
            &mut w,
            "CreateDeploymentConfig",
            json!({"deploymentConfigName": "CodeDeployDefault.Mine", "computePlatform": "ECS"})
        )
        .code,
        "InvalidDeploymentConfigNameException"
    );
    cd_ok(
        &mut w,
        "CreateDeploymentConfig",
        json!({"deploymentConfigName": "Canary25Percent45Minutes", "computePlatform": "ECS",
        "trafficRoutingConfig": {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 45}}}),
    );
    assert_eq!(
        cd_err(
            &mut w,
            "CreateDeploymentConfig",
            json!({"deploymentConfigName": "Canary25Percent45Minutes", "computePlatform": "ECS"})
        )
        .code,
        "DeploymentConfigAlreadyExistsException"
    );
    let list = cd_ok(&mut w, "ListDeploymentConfigs", json!({}))["deploymentConfigsList"].clone();
    assert!(list.as_array().unwrap().contains(&json!("Canary25Percent45Minutes")));
    assert!(list
        .as_array()
        .unwrap()
        .contains(&json!("CodeDeployDefault.ECSLinear10PercentEvery3Minutes")));
    cd_ok(
        &mut w,
        "DeleteDeploymentConfig",
        json!({"deploymentConfigName": "Canary25Percent45Minutes"}),
    );
    assert_eq!(
        cd_err(
            &mut w,
            "GetDeploymentConfig",
            json!({"deploymentConfigName": "Canary25Percent45Minutes"})
        )
        .code,
        "DeploymentConfigDoesNotExistException"
    );
}

#[test]
fn deployment_group_checks() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let l = lab(&mut w);
    let bad = |w: &mut World, f: &dyn Fn(&mut Value)| {
        let mut input = group_input(&l, "g2");
        f(&mut input);
        cd_err(w, "CreateDeploymentGroup", input).code
    };
    assert_eq!(
        bad(&mut w, &|i| i["deploymentStyle"]["deploymentType"] = json!("IN_PLACE")),
        "InvalidDeploymentStyleException"
    );
    assert_eq!(
        bad(&mut w, &|i| i["loadBalancerInfo"]["targetGroupPairInfoList"][0]
            ["targetGroups"][1]["name"] = json!("nope")),
        "InvalidTargetGroupPairException"
    );
    assert_eq!(
        bad(&mut w, &|i| {
            i["loadBalancerInfo"]["targetGroupPairInfoList"][0]["targetGroups"]
                .as_array_mut()
                .unwrap()
                .pop();
        }),
        "InvalidTargetGroupPairException"
    );
    assert_eq!(
        bad(&mut w, &|i| i["ecsServices"][0]["serviceName"] = json!("posts")),
        "InvalidECSServiceException"
    );
    assert_eq!(
        bad(&mut w, &|i| i["serviceRoleArn"] =
            json!(format!("arn:aws:iam::{ACCOUNT}:role/missing"))),
        "InvalidRoleException"
    );
    assert_eq!(
        bad(&mut w, &|i| i["blueGreenDeploymentConfiguration"]
            ["terminateBlueInstancesOnDeploymentSuccess"]
            ["terminationWaitTimeInMinutes"] = json!(2881)),
        "InvalidBlueGreenDeploymentConfigurationException"
    );
    assert_eq!(
        bad(&mut w, &|i| i["loadBalancerInfo"]["targetGroupPairInfoList"][0]
            ["prodTrafficRoute"]["listenerArns"] =
            json!([format!("{}x", l.prod)])),
        "InvalidLoadBalancerInfoException"
    );
    let other = s(&ok(
        &mut w,
        Service::Elbv2,
        "CreateListener",
        json!({"LoadBalancerArn": l.other_lb, "Protocol": "HTTP", "Port": 8080, "DefaultActions": [
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}),
    )["Listeners"][0]["ListenerArn"]);
    assert_eq!(
        bad(&mut w, &|i| i["loadBalancerInfo"]["targetGroupPairInfoList"][0]
            ["testTrafficRoute"]["listenerArns"] = json!([other])),
        "InvalidLoadBalancerInfoException"
    );
    assert_eq!(
        bad(&mut w, &|i| i["deploymentConfigName"] =
            json!("CodeDeployDefault.OneAtATime")),
        "InvalidDeploymentConfigNameException"
    );

    // Wait times default to 0 and are always returned.
    let mut input = group_input(&l, "threadsDG");
    input
        .as_object_mut()
        .unwrap()
        .remove("blueGreenDeploymentConfiguration");
    cd_ok(&mut w, "CreateDeploymentGroup", input);
    let g = cd_ok(
        &mut w,
        "GetDeploymentGroup",
        json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG"}),
    )["deploymentGroupInfo"]
        .clone();
    let bg = &g["blueGreenDeploymentConfiguration"];
    assert_eq!(bg["deploymentReadyOption"]["waitTimeInMinutes"], 0);
    assert_eq!(
        bg["terminateBlueInstancesOnDeploymentSuccess"]["terminationWaitTimeInMinutes"],
        0
    );
    assert_eq!(
        g["ecsServices"],
        json!([{"serviceName": "threads", "clusterName": "my_first_ecs_cluster"}])
    );
    // One group per ECS service, in any application.
    cd_ok(
        &mut w,
        "CreateApplication",
        json!({"applicationName": "otherApp", "computePlatform": "ECS"}),
    );
    let mut input = group_input(&l, "again");
    input["applicationName"] = json!("otherApp");
    assert_eq!(
        cd_err(&mut w, "CreateDeploymentGroup", input).code,
        "ECSServiceMappingLimitExceededException"
    );
    assert_eq!(
        cd_err(&mut w, "CreateDeploymentGroup", group_input(&l, "threadsDG")).code,
        "DeploymentGroupAlreadyExistsException"
    );
    // Update: rename and change the config; the service check leaves the group itself out.
    cd_ok(
        &mut w,
        "UpdateDeploymentGroup",
        json!({"applicationName": "threadsApp", "currentDeploymentGroupName": "threadsDG",
        "newDeploymentGroupName": "threadsDG2", "deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent5Minutes"}),
    );
    assert_eq!(
        cd_ok(&mut w, "ListDeploymentGroups", json!({"applicationName": "threadsApp"}))["deploymentGroups"],
        json!(["threadsDG2"])
    );
    let g = cd_ok(
        &mut w,
        "BatchGetDeploymentGroups",
        json!({"applicationName": "threadsApp", "deploymentGroupNames": ["threadsDG2", "x"]}),
    );
    assert_eq!(
        g["deploymentGroupsInfo"][0]["deploymentConfigName"],
        "CodeDeployDefault.ECSCanary10Percent5Minutes"
    );
    assert!(s(&g["errorMessage"]).contains('x'));
    cd_ok(
        &mut w,
        "DeleteDeploymentGroup",
        json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG2"}),
    );
    assert_eq!(
        cd_err(
            &mut w,
            "GetDeploymentGroup",
            json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG2"})
        )
        .code,
        "DeploymentGroupDoesNotExistException"
    );
}

#[test]
fn appspec_yaml_case_insensitive_and_its_errors() {
    let mut w = crate::lifecycle::new_world(SimTime(T0));
    let l = lab(&mut w);
    create_group(&mut w, &l, json!({}));
    let td = register_td(&mut w, "threads:0.1");
    let yaml = format!(
        "version: 0.0\nresources:\n  - TargetService:\n      type: AWS::ECS::Service\n      properties:\n        taskDefinition: \"{td}\"\n        loadBalancerInfo:\n          containerName: threads-cntr\n          containerPort: \"3000\"\n        networkConfiguration:\n          awsvpcConfiguration:\n            subnets: [{}]\n            securityGroups: [{}]\n            assignPublicIp: DISABLED\nhooks:\n  - beforeallowtraffic: {HOOK}\n",
        l.subnets[0], l.sg
    );
    let spec = super::appspec::parse(&yaml).unwrap();
    assert_eq!(spec.container_port, 3000);
    assert_eq!(
        spec.hook(super::record::LifecycleEventName::BeforeAllowTraffic),
        Some(HOOK)
    );
    assert_eq!(
        spec.network_configuration
            .as_ref()
            .map(|n| serde_json::to_value(n).unwrap()),
        Some(
            json!({"awsvpcConfiguration": {"subnets": [l.subnets[0]], "securityGroups": [l.sg], "assignPublicIp": "DISABLED"}})
        )
    );
    let bad = |w: &mut World, content: &str| deploy(w, content, json!({})).unwrap_err().code;
    assert_eq!(bad(&mut w, "{not json: [yaml"), "InvalidRevisionException");
    assert_eq!(
        bad(&mut w, &appspec(&td, json!([{"Install": HOOK}]))),
        "InvalidRevisionException"
    );
    assert_eq!(
        bad(
            &mut w,
            &appspec(&td, json!([{"AfterInstall": HOOK}, {"AfterInstall": HOOK}]))
        ),
        "InvalidRevisionException"
    );
    assert_eq!(
        bad(
            &mut w,
            &appspec(&td, json!([])).replace("threads-cntr\",\"ContainerPort\":3000", "x\"")
        ),
        "InvalidRevisionException"
    );
    let e = cd_err(
        &mut w,
        "CreateDeployment",
        json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG",
               "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": yaml, "sha256": "00"}}}),
    );
    assert_eq!(e.code, "InvalidRevisionException");
    assert_eq!(
        cd_err(
            &mut w,
            "CreateDeployment",
            json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG"})
        )
        .code,
        "RevisionRequiredException"
    );
    assert_eq!(
        cd_err(&mut w, "GetDeployment", json!({"deploymentId": "d-nope"})).code,
        "InvalidDeploymentIdException"
    );
    assert_eq!(
        cd_err(&mut w, "GetDeployment", json!({"deploymentId": "d-ABCDEFGHI"})).code,
        "DeploymentDoesNotExistException"
    );

    // The YAML deploys; a task definition that does not exist fails at Install instead.
    add_hook_function(&mut w, HOOK);
    let id = deploy(&mut w, &yaml, json!({})).unwrap();
    assert!(advance_until(&mut w, 600.0, |w| !w
        .region_mut(&key())
        .lambda
        .pending
        .is_empty()));
    let inv = take_invocations(&mut w);
    answer(&mut w, &id, &inv[0].1, "Succeeded").unwrap();
    cd_ok(
        &mut w,
        "ContinueDeployment",
        json!({"deploymentId": id, "deploymentWaitType": "TERMINATION_WAIT"}),
    );
    assert_eq!(status(&mut w, &id), "Succeeded");
    let id = deploy(&mut w, &appspec("threads-task-def:99", json!([])), json!({})).unwrap();
    advance(&mut w, 1.0);
    let i = info(&mut w, &id);
    assert_eq!(i["status"], "Failed");
    assert_eq!(i["errorInformation"]["code"], "ECS_UPDATE_ERROR");
    assert_eq!(
        cd_ok(
            &mut w,
            "ListDeployments",
            json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG",
            "includeOnlyStatuses": ["Failed"]})
        )["deployments"],
        json!([id])
    );
    let targets = cd_ok(&mut w, "ListDeploymentTargets", json!({"deploymentId": id}))["targetIds"].clone();
    assert_eq!(targets, json!(["my_first_ecs_cluster:threads"]));
    let b = cd_ok(
        &mut w,
        "BatchGetDeploymentTargets",
        json!({"deploymentId": id, "targetIds": ["my_first_ecs_cluster:threads"]}),
    );
    assert_eq!(b["deploymentTargets"][0]["deploymentTargetType"], "ECSTarget");
    assert_eq!(
        cd_err(
            &mut w,
            "GetDeploymentTarget",
            json!({"deploymentId": id, "targetId": "c:s"})
        )
        .code,
        "DeploymentTargetDoesNotExistException"
    );
}

// ---- random interleavings ------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Deploy { config: usize, hook: bool },
    Stop { rollback: Option<bool> },
    ContinueReady,
    ContinueTermination,
    Alarm(bool),
    Answer(bool),
    Advance(u32),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0usize..3, any::<bool>()).prop_map(|(config, hook)| Op::Deploy { config, hook }),
        proptest::option::of(any::<bool>()).prop_map(|rollback| Op::Stop { rollback }),
        Just(Op::ContinueReady),
        Just(Op::ContinueTermination),
        any::<bool>().prop_map(Op::Alarm),
        any::<bool>().prop_map(Op::Answer),
        (1u32..900).prop_map(Op::Advance),
        (1u32..90).prop_map(Op::Advance),
    ]
}

fn check_invariants(w: &mut World, l: &Lab) {
    for arn in [&l.rule, &l.test] {
        let ws = weights(w, arn);
        if ws.len() == 2 {
            assert_eq!(ws[0].1 + ws[1].1, 100, "{arn}: {ws:?}");
            assert!(
                ws.iter().all(|(_, x)| x % 10 == 0),
                "weights off the configured steps: {ws:?}"
            );
        }
    }
    let sets = task_sets(w, l);
    assert!(sets.iter().filter(|t| t.1 == "PRIMARY").count() <= 1, "{sets:?}");
    let st = &w.region(&key()).unwrap().codedeploy;
    let newest = st
        .deployment_order
        .last()
        .and_then(|id| st.deployments.get(id))
        .cloned();
    if let Some(d) = newest {
        if d.is_rollback() && d.status == super::record::Status::Succeeded {
            let primary: Vec<&String> = sets.iter().filter(|t| t.1 == "PRIMARY").map(|t| &t.2).collect();
            for (tg, wt) in weights(w, &l.rule) {
                assert!(
                    wt == 0 || primary.contains(&&tg),
                    "after rollback {} production forwards {wt} to {tg}; PRIMARY {primary:?}",
                    d.id
                );
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, .. proptest::prelude::ProptestConfig::default() })]
    #[test]
    fn random_interleavings_keep_traffic_and_task_sets_consistent(
        ready_stop in proptest::prelude::any::<bool>(),
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let mut w = crate::lifecycle::new_world(SimTime(T0));
        set_alarm(&mut w, "alarm", "OK");
        let l = lab(&mut w);
        let action = if ready_stop { "STOP_DEPLOYMENT" } else { "CONTINUE_DEPLOYMENT" };
        create_group(&mut w, &l, json!({
            "alarmConfiguration": {"enabled": true, "ignorePollAlarmFailure": false, "alarms": [{"name": "alarm"}]},
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 3},
                "deploymentReadyOption": {"actionOnTimeout": action, "waitTimeInMinutes": 5}}}));
        add_hook_function(&mut w, HOOK);
        let configs = ["CodeDeployDefault.ECSAllAtOnce", "CodeDeployDefault.ECSCanary10Percent5Minutes",
                       "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"];
        let mut last: Option<String> = None;
        for o in ops {
            match o {
                Op::Deploy { config, hook } => {
                    let td = register_td(&mut w, "threads:x");
                    let hooks = if hook { json!([{"AfterAllowTestTraffic": HOOK}, {"AfterAllowTraffic": HOOK}]) } else { json!([]) };
                    match deploy(&mut w, &appspec(&td, hooks), json!({"deploymentConfigName": configs[config]})) {
                        Ok(id) => last = Some(id),
                        Err(e) => proptest::prop_assert_eq!(e.code, "DeploymentLimitExceededException"),
                    }
                }
                Op::Stop { rollback } => {
                    if let Some(id) = &last {
                        let mut input = json!({"deploymentId": id});
                        if let Some(r) = rollback {
                            input["autoRollbackEnabled"] = json!(r);
                        }
                        let _ = cd(&mut w, "StopDeployment", input);
                    }
                }
                Op::ContinueReady | Op::ContinueTermination => {
                    if let Some(id) = &last {
                        let t = if matches!(o, Op::ContinueReady) { "READY_WAIT" } else { "TERMINATION_WAIT" };
                        let _ = cd(&mut w, "ContinueDeployment", json!({"deploymentId": id, "deploymentWaitType": t}));
                    }
                }
                Op::Alarm(on) => set_alarm(&mut w, "alarm", if on { "ALARM" } else { "OK" }),
                Op::Answer(good) => {
                    for (id, exec) in take_invocations(&mut w) {
                        let _ = answer(&mut w, &id, &exec, if good { "Succeeded" } else { "Failed" });
                    }
                }
                Op::Advance(secs) => {
                    for _ in 0..secs.div_ceil(10) {
                        advance(&mut w, 10.0);
                        check_invariants(&mut w, &l);
                    }
                }
            }
            check_invariants(&mut w, &l);
        }
        // Whatever happened, no more than one deployment of the group is active.
        let st = &w.region(&key()).unwrap().codedeploy;
        proptest::prop_assert!(st.deployments.values().filter(|d| d.status.is_active()).count() <= 1);
    }
}
