//! ECS through its handlers on a manual clock: the lab's topology, rolling and CODE_DEPLOY services,
//! target registration and health, and the scheduler's invariants.

use crate::dispatch::call;
use crate::model::Service;
use crate::sim::SimTime;
use crate::world::World;
use serde_json::{json, Value};

const ACCT: &str = "000000000000";
const REGION: &str = "us-east-1";

fn ok(w: &mut World, svc: Service, op: &str, input: Value) -> Value {
    call(w, svc, ACCT, REGION, op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
}

fn advance(w: &mut World, secs: f64) {
    let t = w.now.plus_secs(secs);
    crate::lifecycle::run_until(w, t);
}

/// Lab 2's topology: an ALB in two default subnets, `threads-tg` behind a `/api/threads*` rule on
/// the port-80 listener, and the `threads` task definition.
struct Lab {
    subnets: Vec<String>,
    sg: String,
    tg1: String,
    tg2: String,
    lb: String,
    prod_listener: String,
}

fn lab(w: &mut World) -> Lab {
    let subnets: Vec<String> = ok(w, Service::Ec2, "DescribeSubnets", json!({}))["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|s| s["SubnetId"].as_str().unwrap().to_owned())
        .collect();
    let vpc = ok(w, Service::Ec2, "DescribeVpcs", json!({}))["Vpcs"][0]["VpcId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sg = ok(w, Service::Ec2, "DescribeSecurityGroups", json!({}))["SecurityGroups"][0]["GroupId"]
        .as_str()
        .unwrap()
        .to_owned();
    let lb = ok(
        w,
        Service::Elbv2,
        "CreateLoadBalancer",
        json!({"Name": "alb-container-labs", "Subnets": subnets, "SecurityGroups": [sg]}),
    )["LoadBalancers"][0]["LoadBalancerArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let tg = |w: &mut World, name: &str| {
        ok(
            w,
            Service::Elbv2,
            "CreateTargetGroup",
            json!({"Name": name, "Protocol": "HTTP", "Port": 3000, "VpcId": vpc, "TargetType": "ip",
                   "HealthCheckPath": "/", "HealthCheckIntervalSeconds": 6, "HealthCheckTimeoutSeconds": 5,
                   "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}),
        )["TargetGroups"][0]["TargetGroupArn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let tg1 = tg(w, "threads-tg");
    let tg2 = tg(w, "threads-tg-2");
    let prod_listener = ok(
        w,
        Service::Elbv2,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 80,
               "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}),
    )["Listeners"][0]["ListenerArn"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        w,
        Service::Elbv2,
        "CreateRule",
        json!({"ListenerArn": prod_listener, "Priority": 2,
               "Conditions": [{"Field": "path-pattern", "Values": ["/api/threads*"]}],
               "Actions": [{"Type": "forward", "TargetGroupArn": tg1}]}),
    );
    ok(
        w,
        Service::Ecs,
        "CreateCluster",
        json!({"clusterName": "my_first_ecs_cluster"}),
    );
    ok(
        w,
        Service::Ecs,
        "RegisterTaskDefinition",
        json!({"family": "threads-task-def", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
               "cpu": "256", "memory": "512",
               "containerDefinitions": [{"name": "threads-cntr", "image": "threads:0.1", "essential": true,
                                         "portMappings": [{"containerPort": 3000}]}]}),
    );
    Lab {
        subnets,
        sg,
        tg1,
        tg2,
        lb,
        prod_listener,
    }
}

fn service_input(l: &Lab, controller: &str, tg: &str) -> Value {
    json!({
        "cluster": "my_first_ecs_cluster", "serviceName": "threads", "taskDefinition": "threads-task-def:1",
        "loadBalancers": [{"targetGroupArn": tg, "containerName": "threads-cntr", "containerPort": 3000}],
        "desiredCount": 1, "launchType": "FARGATE", "schedulingStrategy": "REPLICA",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": l.subnets, "securityGroups": [l.sg], "assignPublicIp": "DISABLED"}},
        "deploymentController": {"type": controller}
    })
}

fn describe(w: &mut World) -> Value {
    ok(
        w,
        Service::Ecs,
        "DescribeServices",
        json!({"cluster": "my_first_ecs_cluster", "services": ["threads"]}),
    )["services"][0]
        .clone()
}

fn target_states(w: &mut World, tg: &str) -> Vec<String> {
    ok(w, Service::Elbv2, "DescribeTargetHealth", json!({"TargetGroupArn": tg}))["TargetHealthDescriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["TargetHealth"]["State"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn lab_service_runs_registers_and_reaches_steady_state_then_scales_to_zero_and_is_recreated_with_code_deploy() {
    let mut w = crate::lifecycle::new_world(SimTime(1_700_000_000_000));
    let l = lab(&mut w);
    let s = ok(&mut w, Service::Ecs, "CreateService", service_input(&l, "ECS", &l.tg1))["service"].clone();
    assert_eq!(s["deployments"].as_array().unwrap().len(), 1);
    assert_eq!(s["deployments"][0]["rolloutState"], "IN_PROGRESS");
    advance(&mut w, 1.0);
    let s = describe(&mut w);
    assert_eq!(
        (s["pendingCount"].as_i64(), s["runningCount"].as_i64()),
        (Some(1), Some(0))
    );
    assert!(s["events"][0]["message"]
        .as_str()
        .unwrap()
        .contains("has started 1 tasks"));
    // PROVISIONING 5 s, PENDING 15 s, ACTIVATING 3 s, then two health checks 6 s apart.
    advance(&mut w, 25.0);
    assert_eq!(describe(&mut w)["runningCount"], 1);
    assert_eq!(target_states(&mut w, &l.tg1), vec!["initial"]);
    advance(&mut w, 15.0);
    assert_eq!(target_states(&mut w, &l.tg1), vec!["healthy"]);
    let s = describe(&mut w);
    assert_eq!(s["deployments"][0]["rolloutState"], "COMPLETED");
    assert!(
        s["events"][0]["message"]
            .as_str()
            .unwrap()
            .ends_with("has reached a steady state."),
        "{}",
        s["events"]
    );
    // The task's ENI address is in one of the service's subnets and is the registered target.
    let tasks = ok(
        &mut w,
        Service::Ecs,
        "ListTasks",
        json!({"cluster": "my_first_ecs_cluster", "serviceName": "threads"}),
    );
    let t = ok(
        &mut w,
        Service::Ecs,
        "DescribeTasks",
        json!({"cluster": "my_first_ecs_cluster", "tasks": tasks["taskArns"]}),
    )["tasks"][0]
        .clone();
    assert_eq!(t["lastStatus"], "RUNNING");
    let ip = t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
        .as_str()
        .unwrap()
        .to_owned();
    let th = ok(
        &mut w,
        Service::Elbv2,
        "DescribeTargetHealth",
        json!({"TargetGroupArn": l.tg1}),
    );
    assert_eq!(th["TargetHealthDescriptions"][0]["Target"]["Id"], json!(ip));

    // Lab 4 step 2: scale to 0, wait for runningCount 0, delete.
    let e = call(
        &mut w,
        Service::Ecs,
        ACCT,
        REGION,
        "DeleteService",
        json!({"cluster": "my_first_ecs_cluster", "service": "threads"}),
    )
    .unwrap_err();
    assert_eq!(e.message, "The service cannot be stopped while it is scaled above 0.");
    ok(
        &mut w,
        Service::Ecs,
        "UpdateService",
        json!({"cluster": "my_first_ecs_cluster", "service": "threads", "desiredCount": 0}),
    );
    advance(&mut w, 1.0);
    assert_eq!(target_states(&mut w, &l.tg1), vec!["draining"]);
    // runningCount counts RUNNING tasks: the task is DEACTIVATING while its target drains.
    assert_eq!(describe(&mut w)["runningCount"], 0);
    let t = ok(
        &mut w,
        Service::Ecs,
        "DescribeTasks",
        json!({"cluster": "my_first_ecs_cluster", "tasks": tasks["taskArns"]}),
    )["tasks"][0]
        .clone();
    assert_eq!(
        (t["lastStatus"].as_str(), t["desiredStatus"].as_str()),
        (Some("DEACTIVATING"), Some("STOPPED"))
    );
    let d = ok(
        &mut w,
        Service::Ecs,
        "DeleteService",
        json!({"cluster": "my_first_ecs_cluster", "service": "threads"}),
    );
    assert_eq!(d["service"]["status"], "DRAINING");
    let e = call(
        &mut w,
        Service::Ecs,
        ACCT,
        REGION,
        "CreateService",
        service_input(&l, "CODE_DEPLOY", &l.tg1),
    )
    .unwrap_err();
    assert_eq!(e.message, "Unable to Start a service that is still Draining.");
    // The task drains for the deregistration delay (300 s), stops, and the service becomes INACTIVE.
    advance(&mut w, 320.0);
    assert_eq!(describe(&mut w)["status"], "INACTIVE");
    assert_eq!(target_states(&mut w, &l.tg1), Vec::<String>::new());

    // Steps 6-8: recreate with CODE_DEPLOY; it starts with a PRIMARY task set and no deployments.
    let s = ok(
        &mut w,
        Service::Ecs,
        "CreateService",
        service_input(&l, "CODE_DEPLOY", &l.tg1),
    )["service"]
        .clone();
    assert_eq!(s["deployments"], json!([]));
    assert_eq!(s["taskSets"][0]["status"], "PRIMARY");
    assert_eq!(s["taskSets"][0]["scale"], json!({"value": 100.0, "unit": "PERCENT"}));
    assert_eq!(s["taskSets"][0]["computedDesiredCount"], 1);
    advance(&mut w, 60.0);
    let s = describe(&mut w);
    assert_eq!(s["taskSets"][0]["runningCount"], 1);
    assert_eq!(s["taskSets"][0]["stabilityStatus"], "STEADY_STATE");
    let msgs: Vec<&str> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("updated state to STEADY_STATE")),
        "{msgs:?}"
    );
    // UpdateService refuses what CodeDeploy owns.
    for (field, value, what) in [
        ("taskDefinition", json!("threads-task-def:2"), "task definition"),
        ("loadBalancers", json!([]), "load balancers"),
        (
            "networkConfiguration",
            json!({"awsvpcConfiguration": {"subnets": l.subnets}}),
            "network parameters",
        ),
        ("platformVersion", json!("1.4.0"), "platform version"),
    ] {
        ok(
            &mut w,
            Service::Ecs,
            "RegisterTaskDefinition",
            json!({"family": "threads-task-def", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "threads-cntr", "image": "threads:0.2", "portMappings": [{"containerPort": 3000}]}]}),
        );
        let mut input = json!({"cluster": "my_first_ecs_cluster", "service": "threads"});
        input[field] = value;
        let e = call(&mut w, Service::Ecs, ACCT, REGION, "UpdateService", input).unwrap_err();
        assert_eq!(e.code, "InvalidParameterException");
        assert_eq!(
            e.message,
            format!("Unable to update {what} on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.")
        );
    }
    // Task set APIs are for EXTERNAL services only.
    let e = call(
        &mut w,
        Service::Ecs,
        ACCT,
        REGION,
        "CreateTaskSet",
        json!({"cluster": "my_first_ecs_cluster", "service": "threads", "taskDefinition": "threads-task-def:1"}),
    )
    .unwrap_err();
    assert!(e.message.contains("external deployment controllers"), "{e}");
    let _ = (&l.tg2, &l.lb, &l.prod_listener);
}

#[test]
fn code_deploy_service_needs_a_target_group_behind_a_listener() {
    let mut w = crate::lifecycle::new_world(SimTime(1_700_000_000_000));
    let l = lab(&mut w);
    let e = call(
        &mut w,
        Service::Ecs,
        ACCT,
        REGION,
        "CreateService",
        service_input(&l, "CODE_DEPLOY", &l.tg2),
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        format!(
            "The target group with targetGroupArn {} does not have an associated load balancer.",
            l.tg2
        )
    );
    let mut input = service_input(&l, "CODE_DEPLOY", &l.tg1);
    input["schedulingStrategy"] = json!("DAEMON");
    assert_eq!(
        call(&mut w, Service::Ecs, ACCT, REGION, "CreateService", input)
            .unwrap_err()
            .code,
        "InvalidParameterException"
    );
    let mut input = service_input(&l, "CODE_DEPLOY", &l.tg1);
    input["loadBalancers"][0]["containerPort"] = json!(8080);
    let e = call(&mut w, Service::Ecs, ACCT, REGION, "CreateService", input).unwrap_err();
    assert_eq!(
        e.message,
        "The container threads-cntr did not have a container port 8080 defined."
    );
}

#[test]
fn unhealthy_tasks_are_replaced_and_external_task_sets_follow_their_scale() {
    let mut w = crate::lifecycle::new_world(SimTime(1_700_000_000_000));
    let l = lab(&mut w);
    w.faults.unhealthy_task_definitions.insert("threads-task-def:1".into());
    ok(&mut w, Service::Ecs, "CreateService", service_input(&l, "ECS", &l.tg1));
    // Two failed checks 6 s apart after ACTIVATING: the target turns unhealthy and ECS stops the
    // task at once, so the target is already draining.
    advance(&mut w, 40.0);
    assert_eq!(target_states(&mut w, &l.tg1), vec!["draining"]);
    let s = describe(&mut w);
    let msgs: Vec<&str> = s["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("has stopped 1 running tasks") || m.contains("draining")),
        "{msgs:?}"
    );
    let stopped = ok(
        &mut w,
        Service::Ecs,
        "ListTasks",
        json!({"cluster": "my_first_ecs_cluster", "desiredStatus": "STOPPED"}),
    );
    let t = ok(
        &mut w,
        Service::Ecs,
        "DescribeTasks",
        json!({"cluster": "my_first_ecs_cluster", "tasks": stopped["taskArns"]}),
    )["tasks"][0]
        .clone();
    assert_eq!(
        t["stoppedReason"],
        json!(format!("Task failed ELB health checks in (target-group {})", l.tg1))
    );
    // The scheduler starts a replacement right away.
    assert_eq!(describe(&mut w)["pendingCount"], 1);
    w.faults.unhealthy_task_definitions.clear();

    // EXTERNAL: task sets by hand, computedDesiredCount = ceil(desired × scale).
    let mut input = service_input(&l, "EXTERNAL", &l.tg1);
    input["serviceName"] = json!("ext");
    input["desiredCount"] = json!(3);
    for k in ["taskDefinition", "loadBalancers", "networkConfiguration", "launchType"] {
        input.as_object_mut().unwrap().remove(k);
    }
    let s = ok(&mut w, Service::Ecs, "CreateService", input)["service"].clone();
    assert_eq!(
        (s["taskSets"].clone(), s["deployments"].clone()),
        (json!([]), json!([]))
    );
    let ts = ok(
        &mut w,
        Service::Ecs,
        "CreateTaskSet",
        json!({"cluster": "my_first_ecs_cluster", "service": "ext", "taskDefinition": "threads-task-def:1",
               "launchType": "FARGATE", "scale": {"value": 50.0, "unit": "PERCENT"},
               "networkConfiguration": {"awsvpcConfiguration": {"subnets": l.subnets}}}),
    )["taskSet"]
        .clone();
    assert_eq!(ts["status"], "ACTIVE");
    assert_eq!(ts["computedDesiredCount"], 2);
    assert!(ts["id"].as_str().unwrap().starts_with("ecs-svc/"));
    advance(&mut w, 30.0);
    let d = ok(
        &mut w,
        Service::Ecs,
        "DescribeTaskSets",
        json!({"cluster": "my_first_ecs_cluster", "service": "ext"}),
    );
    assert_eq!(d["taskSets"][0]["runningCount"], 2);
    ok(
        &mut w,
        Service::Ecs,
        "UpdateServicePrimaryTaskSet",
        json!({"cluster": "my_first_ecs_cluster", "service": "ext", "primaryTaskSet": ts["taskSetArn"]}),
    );
    let e = call(
        &mut w,
        Service::Ecs,
        ACCT,
        REGION,
        "DeleteTaskSet",
        json!({"cluster": "my_first_ecs_cluster", "service": "ext", "taskSet": ts["id"]}),
    )
    .unwrap_err();
    assert_eq!(e.code, "InvalidParameterException");
    let _ = (&l.tg2, &l.lb, &l.prod_listener);
}

mod invariants {
    use super::*;
    use crate::services::ecs::tasks::Status;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        CreateService { rolling: bool, desired: i64 },
        SetDesired(i64),
        NewRevision,
        Fault(bool),
        StopTask(usize),
        DeleteTargetGroup,
        Advance(u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<bool>(), 0i64..4).prop_map(|(rolling, desired)| Op::CreateService { rolling, desired }),
            (0i64..5).prop_map(Op::SetDesired),
            Just(Op::NewRevision),
            any::<bool>().prop_map(Op::Fault),
            (0usize..8).prop_map(Op::StopTask),
            Just(Op::DeleteTargetGroup),
            (1u32..400).prop_map(Op::Advance),
        ]
    }

    fn forwarded_groups(w: &World) -> Vec<String> {
        let st = &w.region(&crate::world::PartitionKey::new(ACCT, REGION)).unwrap().elbv2;
        let mut out = Vec::new();
        let actions = st
            .listeners
            .values()
            .flat_map(|l| l.default_actions.iter())
            .chain(st.rules.values().flat_map(|r| r.actions.iter()));
        for a in actions {
            if let Some(tg) = &a.target_group_arn {
                out.push(tg.to_owned());
            }
            for t in a
                .forward_config
                .as_ref()
                .and_then(|c| c.target_groups.as_ref())
                .into_iter()
                .flatten()
            {
                if let Some(tg) = &t.target_group_arn {
                    out.push(tg.to_owned());
                }
            }
        }
        out
    }

    fn check(w: &World) -> Result<(), TestCaseError> {
        let key = crate::world::PartitionKey::new(ACCT, REGION);
        let region = w.region(&key).unwrap();
        let (ecs, elbv2) = (&region.ecs, &region.elbv2);
        for svc in ecs
            .services
            .values()
            .filter(|s| s.status.as_str() == "ACTIVE" && s.controller.as_str() == "ECS")
        {
            let max_pct = svc.deployment_configuration.maximum_percent.map_or(200, i64::from);
            let cap = (svc.desired_count * max_pct / 100).max(svc.desired_count.min(1));
            let running = ecs
                .tasks
                .values()
                .filter(|t| {
                    t.group == format!("service:{}", svc.name) && t.desired_running && t.status == Status::Running
                })
                .count() as i64;
            prop_assert!(
                running <= cap,
                "{} running tasks exceed {cap} for desired {}",
                running,
                svc.desired_count
            );
        }
        let mut ips = std::collections::HashSet::new();
        for t in ecs.tasks.values().filter(|t| t.status != Status::Stopped) {
            if let Some(e) = &t.eni {
                prop_assert!(ips.insert(e.ip.clone()), "address {} handed out twice", e.ip);
            }
            if t.status == Status::Running && t.desired_running {
                for (tg, ip, port) in &t.registrations {
                    let group = elbv2.target_groups.get(tg);
                    prop_assert!(group.is_some(), "task registered in missing group {tg}");
                    let target = group.and_then(|g| g.targets.get(&format!("{ip}:{port}")));
                    prop_assert!(target.is_some(), "RUNNING task {} not registered in {tg}", t.arn);
                }
            }
        }
        for tg in forwarded_groups(w) {
            prop_assert!(
                elbv2.target_groups.contains_key(&tg),
                "forward to missing target group {tg}"
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn random_ecs_and_elbv2_sequences_keep_the_invariants(ops in proptest::collection::vec(op(), 1..30)) {
            let mut w = crate::lifecycle::new_world(SimTime(1_700_000_000_000));
            let l = lab(&mut w);
            let mut revision = 1;
            for op in ops {
                match op {
                    Op::CreateService { rolling, desired } => {
                        let mut input = service_input(&l, if rolling { "ECS" } else { "CODE_DEPLOY" }, &l.tg1);
                        input["desiredCount"] = json!(desired);
                        let _ = call(&mut w, Service::Ecs, ACCT, REGION, "CreateService", input);
                    }
                    Op::SetDesired(n) => {
                        let _ = call(&mut w, Service::Ecs, ACCT, REGION, "UpdateService",
                            json!({"cluster": "my_first_ecs_cluster", "service": "threads", "desiredCount": n}));
                    }
                    Op::NewRevision => {
                        revision += 1;
                        ok(&mut w, Service::Ecs, "RegisterTaskDefinition", json!({"family": "threads-task-def", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "threads-cntr", "image": format!("threads:{revision}"), "portMappings": [{"containerPort": 3000}]}]}));
                        let _ = call(&mut w, Service::Ecs, ACCT, REGION, "UpdateService",
                            json!({"cluster": "my_first_ecs_cluster", "service": "threads", "taskDefinition": format!("threads-task-def:{revision}")}));
                    }
                    Op::Fault(on) => {
                        if on {
                            w.faults.unhealthy_task_definitions.insert(format!("threads-task-def:{revision}"));
                        } else {
                            w.faults.unhealthy_task_definitions.clear();
                        }
                    }
                    Op::StopTask(i) => {
                        let arns = ok(&mut w, Service::Ecs, "ListTasks", json!({"cluster": "my_first_ecs_cluster"}))["taskArns"].clone();
                        if let Some(a) = arns.as_array().and_then(|a| a.get(i)) {
                            let _ = call(&mut w, Service::Ecs, ACCT, REGION, "StopTask", json!({"cluster": "my_first_ecs_cluster", "task": a}));
                        }
                    }
                    Op::DeleteTargetGroup => {
                        let e = call(&mut w, Service::Elbv2, ACCT, REGION, "DeleteTargetGroup", json!({"TargetGroupArn": l.tg1}));
                        prop_assert!(e.is_err(), "a target group in use by a rule was deleted");
                    }
                    Op::Advance(s) => advance(&mut w, f64::from(s)),
                }
                // What the next request sees: the emulator fires due events before every call.
                let now = w.now;
                crate::lifecycle::run_until(&mut w, now);
                check(&w)?;
            }
        }
    }
}
