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
//! Prints a JSON object; bench/sim.sh turns it into bench/results/<date>-simulation.md.

use cutover::model::Service;
use cutover::services::call;
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
    w.run_until(t)
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

fn main() {
    let rss_start = rss_kib();
    let mut w = World::new(SimTime(1_700_000_000_000));
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
    let mut w2 = World::new(SimTime(1_700_000_000_000));
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

    let out = json!({
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
