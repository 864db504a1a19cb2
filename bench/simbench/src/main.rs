//! simbench: the cost of clock advances with many running tasks, and memory per 10,000 tasks.
//!
//! It builds 10,000 RUNNING Fargate tasks (10 services × 1,000, awsvpc, no load balancer) in one
//! account on a manual clock, inside this process, then measures:
//! - an advance that fires nothing (the common case between events), averaged over many calls;
//! - the named baseline, in the same run: one pass over every task (what a scan-per-tick design
//!   would pay on every advance);
//! - resident memory before and after creating the tasks (VmRSS of this process);
//! - with load balancing: a 1,000-task service behind a target group whose health checks run
//!   every 6 s, the cost per fired event over one simulated minute.
//!
//! - blue/green deployments: the lab's deployment from CreateDeployment to Succeeded, and 100
//!   CODE_DEPLOY services behind one ALB deploying at once (three rounds).
//!
//! Prints a JSON object; bench/sim.sh turns it into bench/results/<date>-simulation.md.

use cutover::dispatch::call;
use cutover::model::Service;
use cutover::sim::SimTime;
use cutover::world::World;
use serde_json::{json, Value};
use std::time::Instant;

const ACCT: &str = "000000000000";
const REGION: &str = "us-east-1";

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn ok(w: &mut World, svc: Service, op: &str, input: Value) -> Value {
    match call(w, svc, ACCT, REGION, op, input) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("simbench: {op} failed: {e}");
            std::process::exit(1);
        }
    }
}

fn advance(w: &mut World, secs: f64) -> usize {
    let t = w.now.plus_secs(secs);
    cutover::lifecycle::run_until(w, t)
}

fn default_subnets(w: &mut World) -> Vec<String> {
    ok(w, Service::Ec2, "DescribeSubnets", json!({}))["Subnets"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["SubnetId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn task_definition(w: &mut World) {
    ok(
        w,
        Service::Ecs,
        "RegisterTaskDefinition",
        json!({"family": "app", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
               "containerDefinitions": [{"name": "app", "image": "app:1", "portMappings": [{"containerPort": 3000}]}]}),
    );
}

fn running_tasks(w: &World) -> usize {
    w.accounts[ACCT].regions[REGION]
        .ecs
        .tasks
        .values()
        .filter(|t| t.status == cutover::services::ecs::tasks::Status::Running)
        .count()
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codedeploy.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// `n` CODE_DEPLOY services behind one ALB (rule `/svcN*` → target group `aN` on port 80, with a
/// test listener on 8080 when `test_listener`), one deployment group each, all steady.
fn blue_green_world(n: usize, test_listener: bool) -> (World, Vec<String>) {
    let mut w = cutover::lifecycle::new_world(SimTime(1_700_000_000_000));
    let subnets = default_subnets(&mut w);
    let vpc = ok(&mut w, Service::Ec2, "DescribeVpcs", json!({}))["Vpcs"][0]["VpcId"].clone();
    ok(
        &mut w,
        Service::Iam,
        "CreateRole",
        json!({"RoleName": "cd", "AssumeRolePolicyDocument": TRUST}),
    );
    let lb = ok(
        &mut w,
        Service::Elbv2,
        "CreateLoadBalancer",
        json!({"Name": "bg", "Subnets": subnets[..2]}),
    )["LoadBalancers"][0]["LoadBalancerArn"]
        .clone();
    let listener = |w: &mut World, port: i64| {
        ok(
            w,
            Service::Elbv2,
            "CreateListener",
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": port,
                   "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}),
        )["Listeners"][0]["ListenerArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let prod = listener(&mut w, 80);
    let test = if test_listener {
        Some(listener(&mut w, 8080))
    } else {
        None
    };
    ok(&mut w, Service::Ecs, "CreateCluster", json!({"clusterName": "bg"}));
    ok(
        &mut w,
        Service::CodeDeploy,
        "CreateApplication",
        json!({"applicationName": "app", "computePlatform": "ECS"}),
    );
    let mut tds = Vec::new();
    for i in 0..n {
        let tg = |w: &mut World, name: String| {
            ok(
                w,
                Service::Elbv2,
                "CreateTargetGroup",
                json!({"Name": name, "Protocol": "HTTP", "Port": 3000, "VpcId": vpc, "TargetType": "ip",
                       "HealthCheckIntervalSeconds": 6, "HealthyThresholdCount": 2}),
            )["TargetGroups"][0]["TargetGroupArn"]
                .clone()
        };
        let a = tg(&mut w, format!("a{i}"));
        let b = tg(&mut w, format!("b{i}"));
        let pattern = format!("/svc{i}*");
        ok(
            &mut w,
            Service::Elbv2,
            "CreateRule",
            json!({"ListenerArn": prod, "Priority": i + 1, "Conditions": [{"Field": "path-pattern", "Values": [pattern]}],
                   "Actions": [{"Type": "forward", "TargetGroupArn": a}]}),
        );
        if let Some(t) = &test {
            ok(
                &mut w,
                Service::Elbv2,
                "CreateRule",
                json!({"ListenerArn": t, "Priority": i + 1, "Conditions": [{"Field": "path-pattern", "Values": [pattern]}],
                       "Actions": [{"Type": "forward", "TargetGroupArn": b}]}),
            );
        }
        let family = format!("f{i}");
        let td = ok(
            &mut w,
            Service::Ecs,
            "RegisterTaskDefinition",
            json!({"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                   "containerDefinitions": [{"name": "app", "image": "app:1", "portMappings": [{"containerPort": 3000}]}]}),
        )["taskDefinition"]["taskDefinitionArn"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        tds.push(td);
        ok(
            &mut w,
            Service::Ecs,
            "CreateService",
            json!({"cluster": "bg", "serviceName": format!("s{i}"), "taskDefinition": format!("{family}:1"), "desiredCount": 1,
                   "launchType": "FARGATE", "deploymentController": {"type": "CODE_DEPLOY"},
                   "loadBalancers": [{"targetGroupArn": a, "containerName": "app", "containerPort": 3000}],
                   "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets}}}),
        );
        let mut route = json!({"targetGroups": [{"name": format!("a{i}")}, {"name": format!("b{i}")}],
                               "prodTrafficRoute": {"listenerArns": [prod]}});
        if let Some(t) = &test {
            route["testTrafficRoute"] = json!({"listenerArns": [t]});
        }
        ok(
            &mut w,
            Service::CodeDeploy,
            "CreateDeploymentGroup",
            json!({"applicationName": "app", "deploymentGroupName": format!("g{i}"),
                   "serviceRoleArn": format!("arn:aws:iam::{ACCT}:role/cd"),
                   "ecsServices": [{"serviceName": format!("s{i}"), "clusterName": "bg"}],
                   "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
                   "blueGreenDeploymentConfiguration": {
                       "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
                       "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}},
                   "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]},
                   "loadBalancerInfo": {"targetGroupPairInfoList": [route]}}),
        );
    }
    advance(&mut w, 120.0);
    (w, tds)
}

/// Creates one deployment per group (a new revision of each service's task definition).
fn create_deployments(w: &mut World, tds: &[String]) -> Vec<String> {
    tds.iter()
        .enumerate()
        .map(|(i, td)| {
            let content =
                json!({"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
                "TaskDefinition": td, "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 3000}}}}]})
                .to_string();
            ok(
                w,
                Service::CodeDeploy,
                "CreateDeployment",
                json!({"applicationName": "app", "deploymentGroupName": format!("g{i}"),
                       "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}}),
            )["deploymentId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Advances in one-minute steps until every deployment has ended; returns (statuses, simulated seconds).
fn run_deployments(w: &mut World, ids: &[String]) -> (Vec<String>, f64) {
    let start = w.now;
    for _ in 0..240 {
        advance(w, 60.0);
        let infos = ok(
            w,
            Service::CodeDeploy,
            "BatchGetDeployments",
            json!({"deploymentIds": ids[..ids.len().min(25)]}),
        );
        let done = infos["deploymentsInfo"].as_array().is_some_and(|a| {
            a.iter()
                .all(|d| matches!(d["status"].as_str(), Some("Succeeded" | "Failed" | "Stopped")))
        });
        if done {
            break;
        }
    }
    let mut statuses = Vec::new();
    for chunk in ids.chunks(25) {
        let infos = ok(
            w,
            Service::CodeDeploy,
            "BatchGetDeployments",
            json!({"deploymentIds": chunk}),
        );
        for d in infos["deploymentsInfo"].as_array().into_iter().flatten() {
            statuses.push(d["status"].as_str().unwrap_or("?").to_owned());
        }
    }
    (statuses, (w.now.0 - start.0) as f64 / 1000.0)
}

/// The lab deployment (one service, test listener, AllAtOnce, 5-minute termination wait) and 100
/// services deploying at once.
fn deployments() -> Value {
    let (mut w, tds) = blue_green_world(1, true);
    let t0 = Instant::now();
    let ids = create_deployments(&mut w, &tds);
    let (lab_status, lab_sim_secs) = run_deployments(&mut w, &ids);
    let lab_wall = t0.elapsed().as_secs_f64();

    let (mut w, tds) = blue_green_world(100, false);
    let mut rounds = Vec::new();
    // Three rounds: each redeploys every service, so the target groups swap roles every round.
    for _ in 0..3 {
        let t0 = Instant::now();
        let ids = create_deployments(&mut w, &tds);
        let (statuses, sim_secs) = run_deployments(&mut w, &ids);
        let wall = t0.elapsed().as_secs_f64();
        let succeeded = statuses.iter().filter(|s| *s == "Succeeded").count();
        rounds.push(
            json!({"deployments": ids.len(), "succeeded": succeeded, "wall_secs": wall, "sim_secs": sim_secs,
                           "per_sec": ids.len() as f64 / wall}),
        );
    }
    json!({"lab": {"status": lab_status, "wall_ms": lab_wall * 1000.0, "sim_secs": lab_sim_secs}, "parallel_100": rounds})
}

fn main() {
    let rss_start = rss_kib();
    let mut w = cutover::lifecycle::new_world(SimTime(1_700_000_000_000));
    let subnets = default_subnets(&mut w);
    ok(&mut w, Service::Ecs, "CreateCluster", json!({"clusterName": "bench"}));
    task_definition(&mut w);
    let rss_before = rss_kib();
    let build = Instant::now();
    for i in 0..10 {
        ok(
            &mut w,
            Service::Ecs,
            "CreateService",
            json!({"cluster": "bench", "serviceName": format!("svc{i}"), "taskDefinition": "app:1", "desiredCount": 1000,
                   "launchType": "FARGATE", "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets}}}),
        );
    }
    let start_events = advance(&mut w, 60.0);
    let build_secs = build.elapsed().as_secs_f64();
    let running = running_tasks(&w);
    let rss_after = rss_kib();

    // An advance that fires nothing.
    let n = 100_000u32;
    let t0 = Instant::now();
    let mut fired = 0;
    for _ in 0..n {
        fired += advance(&mut w, 0.001);
    }
    let idle_advance_ns = t0.elapsed().as_nanos() as f64 / f64::from(n);

    // Baseline: one pass over every task, as a scan-per-tick design would do on each advance.
    let passes = 200u32;
    let t0 = Instant::now();
    let mut seen = 0usize;
    for _ in 0..passes {
        let tasks = &w.accounts[ACCT].regions[REGION].ecs.tasks;
        seen += tasks.values().filter(|t| t.desired_running).count();
    }
    let scan_ns = t0.elapsed().as_nanos() as f64 / f64::from(passes);
    std::hint::black_box(seen);

    // With a load balancer: 1,000 tasks behind a target group with 6 s health checks.
    let mut w2 = cutover::lifecycle::new_world(SimTime(1_700_000_000_000));
    let subnets2 = default_subnets(&mut w2);
    let vpc = ok(&mut w2, Service::Ec2, "DescribeVpcs", json!({}))["Vpcs"][0]["VpcId"].clone();
    let lb = ok(
        &mut w2,
        Service::Elbv2,
        "CreateLoadBalancer",
        json!({"Name": "bench", "Subnets": subnets2[..2]}),
    )["LoadBalancers"][0]["LoadBalancerArn"]
        .clone();
    let tg = ok(
        &mut w2,
        Service::Elbv2,
        "CreateTargetGroup",
        json!({"Name": "bench", "Protocol": "HTTP", "Port": 3000, "VpcId": vpc, "TargetType": "ip",
               "HealthCheckIntervalSeconds": 6, "HealthyThresholdCount": 2}),
    )["TargetGroups"][0]["TargetGroupArn"]
        .clone();
    ok(
        &mut w2,
        Service::Elbv2,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}]}),
    );
    ok(&mut w2, Service::Ecs, "CreateCluster", json!({"clusterName": "bench"}));
    task_definition(&mut w2);
    ok(
        &mut w2,
        Service::Ecs,
        "CreateService",
        json!({"cluster": "bench", "serviceName": "lb", "taskDefinition": "app:1", "desiredCount": 1000, "launchType": "FARGATE",
               "loadBalancers": [{"targetGroupArn": tg, "containerName": "app", "containerPort": 3000}],
               "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets2}}}),
    );
    advance(&mut w2, 120.0);
    let t0 = Instant::now();
    let minute_events = advance(&mut w2, 60.0);
    let minute_secs = t0.elapsed().as_secs_f64();

    let deploy = deployments();
    let out = json!({
        "deployments": deploy,
        "tasks_running": running,
        "build_secs": build_secs,
        "events_to_start_10k": start_events,
        "idle_advance_ns": idle_advance_ns,
        "idle_advances": n,
        "idle_advance_fired": fired,
        "baseline_scan_ns": scan_ns,
        "rss_start_kib": rss_start,
        "rss_before_tasks_kib": rss_before,
        "rss_after_tasks_kib": rss_after,
        "kib_per_10k_tasks": rss_after.saturating_sub(rss_before),
        "lb_tasks_running": running_tasks(&w2),
        "lb_minute_events": minute_events,
        "lb_minute_wall_secs": minute_secs,
        "lb_ns_per_event": if minute_events > 0 { minute_secs * 1e9 / minute_events as f64 } else { 0.0 },
    });
    println!("{out}");
}
