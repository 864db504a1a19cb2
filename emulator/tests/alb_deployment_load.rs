//! Zero downtime during real CodeDeploy blue/green deployments: several keep-alive clients send a
//! bounded load to the production listener (real HTTP on loopback, the in-process emulator on a
//! manual clock) while a deployment created through CodeDeploy runs to its end step by step of the
//! simulated clock. Every request must be answered 200 by a blue or a green task (a connection
//! error or a timeout is a failure too), and while each set of listener weights holds, the share
//! of requests green answered must be green's weight within a few percent.

use bytes::Bytes;
use cutover::dispatch::handler;
use cutover::model::Service;
use cutover::runtime::alb::Runtime;
use cutover::server::{serve, ServerHandle};
use cutover::services::Ctx;
use cutover::sim::{ClockMode, SimTime};
use cutover::world::PartitionKey;
use cutover::Emulator;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";
/// Concurrent keep-alive clients.
const CLIENTS: usize = 6;
/// Requests answered after each clock step before the next one.
const PER_STEP: u64 = 120;
/// Requests answered while a new set of weights holds, before the clock moves on.
const PER_SHIFT: u64 = 1_500;

fn call(em: &Emulator, svc: Service, op: &str, input: Value) -> Value {
    em.with_world(|w| match handler(svc, op) {
        Some(h) => h
            .call(w, &Ctx::internal(svc, ACCOUNT, REGION), input)
            .unwrap_or_else(|e| panic!("{op}: {e:?}")),
        _ => panic!("no handler {op}"),
    })
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

struct Lab {
    srv: ServerHandle,
    rt: Arc<Runtime>,
    prod: String,
    blue: String,
    green: String,
}

impl Lab {
    fn em(&self) -> &Arc<Emulator> {
        &self.srv.emulator
    }

    async fn step(&self, secs: f64) {
        self.em().advance(secs);
        self.rt.sync().await;
    }

    /// Production weights `(green, blue)` in percent of their sum.
    fn weights(&self) -> (i64, i64) {
        let key = PartitionKey::new(ACCOUNT, REGION);
        let w = self.em().with_world(|w| {
            cutover::services::elbv2::forward_weights(&w.region(&key).unwrap().elbv2, &self.prod).unwrap_or_default()
        });
        let of = |tg: &str| w.iter().filter(|(a, _)| a == tg).map(|(_, x)| *x).sum::<i64>();
        let (g, b) = (of(&self.green), of(&self.blue));
        let total = (g + b).max(1);
        (g * 100 / total, b * 100 / total)
    }

    fn healthy(&self, tg: &str) -> usize {
        let out = call(
            self.em(),
            Service::Elbv2,
            "DescribeTargetHealth",
            json!({"TargetGroupArn": tg}),
        );
        out["TargetHealthDescriptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["TargetHealth"]["State"] == "healthy")
            .count()
    }

    fn deployment(&self, id: &str) -> Value {
        call(
            self.em(),
            Service::CodeDeploy,
            "GetDeployment",
            json!({"deploymentId": id}),
        )["deploymentInfo"]
            .clone()
    }

    /// Task ARNs of the service's running tasks.
    fn running_tasks(&self) -> usize {
        call(
            self.em(),
            Service::Ecs,
            "ListTasks",
            json!({"cluster": "my_first_ecs_cluster", "serviceName": "threads", "desiredStatus": "RUNNING"}),
        )["taskArns"]
            .as_array()
            .map_or(0, Vec::len)
    }
}

fn register_td(em: &Emulator, image: &str) -> String {
    let out = call(
        em,
        Service::Ecs,
        "RegisterTaskDefinition",
        json!({"family": "threads-task-def", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
               "cpu": "256", "memory": "512",
               "containerDefinitions": [{"name": "threads-cntr", "image": image, "essential": true,
                                         "portMappings": [{"containerPort": 3000, "protocol": "tcp"}]}]}),
    );
    s(&out["taskDefinition"]["taskDefinitionArn"])
}

/// The lab: an ALB with a production listener :80 forwarding to `threads-tg` and a test listener
/// :8080 on `threads-tg-2`, the CODE_DEPLOY service `threads` (2 tasks of `threads-task-def:1`)
/// with both targets healthy through real health checks, application `threadsApp` and group
/// `threadsDG` using `config`.
async fn lab(config: &str) -> Lab {
    let em = Emulator::starting_at(ClockMode::Manual, SimTime(1_700_000_000_000));
    let srv = serve("127.0.0.1:0", em.clone()).await.unwrap();
    let rt = srv.alb.clone().unwrap();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": ["codedeploy.amazonaws.com"]}, "Action": "sts:AssumeRole"}]});
    call(
        &em,
        Service::Iam,
        "CreateRole",
        json!({"RoleName": "ecsCodeDeployServiceRole", "AssumeRolePolicyDocument": trust.to_string()}),
    );
    let vpc = s(&call(&em, Service::Ec2, "DescribeVpcs", json!({}))["Vpcs"][0]["VpcId"]);
    let subnets: Vec<String> = call(&em, Service::Ec2, "DescribeSubnets", json!({}))["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["VpcId"] == json!(vpc))
        .map(|x| s(&x["SubnetId"]))
        .collect();
    let lb = call(
        &em,
        Service::Elbv2,
        "CreateLoadBalancer",
        json!({"Name": "alb-container-labs", "Subnets": [subnets[0], subnets[1]]}),
    );
    let lb_arn = s(&lb["LoadBalancers"][0]["LoadBalancerArn"]);
    let tg = |name: &str| {
        let out = call(
            &em,
            Service::Elbv2,
            "CreateTargetGroup",
            json!({"Name": name, "Protocol": "HTTP", "Port": 3000, "VpcId": vpc, "TargetType": "ip",
                   "HealthCheckPath": "/", "HealthCheckIntervalSeconds": 6, "HealthCheckTimeoutSeconds": 5,
                   "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}),
        );
        let arn = s(&out["TargetGroups"][0]["TargetGroupArn"]);
        call(
            &em,
            Service::Elbv2,
            "ModifyTargetGroupAttributes",
            json!({"TargetGroupArn": arn, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}]}),
        );
        arn
    };
    let blue = tg("threads-tg");
    let green = tg("threads-tg-2");
    em.advance(31.0);
    let listener = |port: i64, tg: &str| {
        let out = call(
            &em,
            Service::Elbv2,
            "CreateListener",
            json!({"LoadBalancerArn": lb_arn, "Protocol": "HTTP", "Port": port,
                   "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}]}),
        );
        s(&out["Listeners"][0]["ListenerArn"])
    };
    let prod = listener(80, &blue);
    let test = listener(8080, &green);
    call(
        &em,
        Service::Ecs,
        "CreateCluster",
        json!({"clusterName": "my_first_ecs_cluster"}),
    );
    register_td(&em, "threads:0.1");
    call(
        &em,
        Service::Ecs,
        "CreateService",
        json!({
            "cluster": "my_first_ecs_cluster", "serviceName": "threads", "taskDefinition": "threads-task-def:1",
            "loadBalancers": [{"targetGroupArn": blue, "containerName": "threads-cntr", "containerPort": 3000}],
            "desiredCount": 2, "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": [subnets[0], subnets[1]], "assignPublicIp": "DISABLED"}},
            "deploymentController": {"type": "CODE_DEPLOY"}
        }),
    );
    let lab = Lab {
        srv,
        rt,
        prod: prod.clone(),
        blue: blue.clone(),
        green,
    };
    for _ in 0..120 {
        lab.step(1.0).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        if lab.healthy(&blue) == 2 {
            break;
        }
    }
    assert_eq!(lab.healthy(&blue), 2, "blue targets healthy");
    call(
        &em,
        Service::CodeDeploy,
        "CreateApplication",
        json!({"applicationName": "threadsApp", "computePlatform": "ECS"}),
    );
    call(
        &em,
        Service::CodeDeploy,
        "CreateDeploymentGroup",
        json!({
            "applicationName": "threadsApp", "deploymentGroupName": "threadsDG", "deploymentConfigName": config,
            "serviceRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/ecsCodeDeployServiceRole"),
            "ecsServices": [{"serviceName": "threads", "clusterName": "my_first_ecs_cluster"}],
            "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"]},
            "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            "blueGreenDeploymentConfiguration": {
                "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 1},
                "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}},
            "loadBalancerInfo": {"targetGroupPairInfoList": [{
                "targetGroups": [{"name": "threads-tg"}, {"name": "threads-tg-2"}],
                "prodTrafficRoute": {"listenerArns": [prod]},
                "testTrafficRoute": {"listenerArns": [test]}}]}
        }),
    );
    lab
}

/// Creates a deployment of a new task definition (`threads:0.2`) through CodeDeploy.
fn deploy(lab: &Lab) -> String {
    let td = register_td(lab.em(), "threads:0.2");
    let content = json!({
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": td,
            "LoadBalancerInfo": {"ContainerName": "threads-cntr", "ContainerPort": 3000}}}}]
    })
    .to_string();
    let out = call(
        lab.em(),
        Service::CodeDeploy,
        "CreateDeployment",
        json!({"applicationName": "threadsApp", "deploymentGroupName": "threadsDG",
               "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}}),
    );
    s(&out["deploymentId"])
}

/// What the clients saw in one window of the clock: answers by blue and green, failures.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    blue: u64,
    green: u64,
    failed: u64,
}

/// The load: `CLIENTS` keep-alive connections, each sending one request at a time. Answers are
/// tallied by the window (epoch) that was current both when the request was sent and when its
/// answer came; a request that spans two windows counts only towards the failures and totals.
struct Load {
    epoch: Arc<AtomicUsize>,
    answered: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<BTreeMap<usize, Tally>>>,
    spanning: Arc<Mutex<Tally>>,
    first_failure: Arc<Mutex<Option<String>>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

async fn connect(addr: SocketAddr) -> Option<SendRequest<Empty<Bytes>>> {
    let s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s)).await.ok()?;
    tokio::spawn(conn);
    Some(sender)
}

/// One request: `Ok(true)` green answered, `Ok(false)` blue, `Err` anything else.
async fn one(sender: &mut SendRequest<Empty<Bytes>>) -> Result<bool, String> {
    let req = http::Request::get("/api/threads")
        .header("host", "alb-container-labs.elb.localhost")
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let fut = async {
        sender.ready().await.map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let j: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        match (status, j["taskDefinitionArn"].as_str()) {
            (200, Some(td)) if td.ends_with("threads-task-def:2") => Ok(true),
            (200, Some(td)) if td.ends_with("threads-task-def:1") => Ok(false),
            _ => Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
        }
    };
    match tokio::time::timeout(Duration::from_secs(5), fut).await {
        Ok(r) => r,
        Err(_) => Err("timed out after 5 s".into()),
    }
}

impl Load {
    fn start(addr: SocketAddr) -> Load {
        let load = Load {
            epoch: Arc::default(),
            answered: Arc::default(),
            stop: Arc::default(),
            tally: Arc::default(),
            spanning: Arc::default(),
            first_failure: Arc::default(),
            workers: Vec::new(),
        };
        let mut workers = Vec::new();
        for _ in 0..CLIENTS {
            let (epoch, answered, stop, tally, spanning, first) = (
                load.epoch.clone(),
                load.answered.clone(),
                load.stop.clone(),
                load.tally.clone(),
                load.spanning.clone(),
                load.first_failure.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut conn: Option<SendRequest<Empty<Bytes>>> = None;
                // A bound on the work whatever happens (the driver stops the clients long before).
                for _ in 0..200_000 {
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    let before = epoch.load(Ordering::Acquire);
                    let outcome = match conn.as_mut() {
                        Some(c) => one(c).await,
                        None => match connect(addr).await {
                            Some(mut c) => {
                                let r = one(&mut c).await;
                                conn = Some(c);
                                r
                            }
                            None => Err("connection refused".into()),
                        },
                    };
                    let after = epoch.load(Ordering::Acquire);
                    if let Err(e) = &outcome {
                        conn = None;
                        first.lock().unwrap().get_or_insert_with(|| e.clone());
                    }
                    let count = |x: &mut Tally| match outcome {
                        Ok(true) => x.green += 1,
                        Ok(false) => x.blue += 1,
                        Err(_) => x.failed += 1,
                    };
                    if before == after {
                        count(tally.lock().unwrap().entry(before).or_default());
                    } else {
                        count(&mut spanning.lock().unwrap());
                    }
                    answered.fetch_add(1, Ordering::AcqRel);
                }
            }));
        }
        Load { workers, ..load }
    }

    /// Starts a new window (after the data plane took the new state) and waits for `n` answers.
    async fn window(&self, n: u64) -> usize {
        let e = self.epoch.fetch_add(1, Ordering::AcqRel) + 1;
        let until = self.answered.load(Ordering::Acquire) + n;
        for _ in 0..6_000 {
            if self.answered.load(Ordering::Acquire) >= until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        e
    }

    async fn finish(self) -> (BTreeMap<usize, Tally>, Tally, Option<String>) {
        self.stop.store(true, Ordering::Release);
        for w in self.workers {
            w.await.unwrap();
        }
        let t = self.tally.lock().unwrap().clone();
        let sp = *self.spanning.lock().unwrap();
        let f = self.first_failure.lock().unwrap().clone();
        (t, sp, f)
    }
}

/// The record of a run: for each window, the production weights `(green, blue)` it ran under.
struct Run {
    lab: Lab,
    load: Load,
    windows: Vec<(usize, (i64, i64))>,
    last: (i64, i64),
}

impl Run {
    async fn start(lab: Lab) -> Run {
        let addr = lab.rt.listener_addr(&lab.prod).expect("production listener bound");
        let load = Load::start(addr);
        let mut run = Run {
            lab,
            load,
            windows: Vec::new(),
            last: (-1, -1),
        };
        run.observe().await;
        run
    }

    /// A window of load under the current state (longer right after the weights changed).
    async fn observe(&mut self) {
        let w = self.lab.weights();
        let n = if w != self.last { PER_SHIFT } else { PER_STEP };
        self.last = w;
        let e = self.load.window(n).await;
        self.windows.push((e, w));
    }

    /// Moves the clock `secs`, lets the data plane take the new state, and observes a window.
    async fn tick(&mut self, secs: f64) {
        self.lab.step(secs).await;
        self.observe().await;
    }

    /// Ticks until `done` holds (at most `limit` simulated seconds).
    async fn until(&mut self, secs: f64, limit: f64, mut done: impl FnMut(&Lab) -> bool) -> bool {
        let mut t = 0.0;
        while t < limit {
            if done(&self.lab) {
                return true;
            }
            self.tick(secs).await;
            t += secs;
        }
        done(&self.lab)
    }

    /// Stops the load and checks it: no failure at all, and the green share of each set of weights
    /// within 3 points of green's weight. Returns the weights seen, in order, and the total.
    async fn check(self) -> (Vec<i64>, u64) {
        let (tally, spanning, first) = self.load.finish().await;
        let mut by_weights: Vec<((i64, i64), Tally)> = Vec::new();
        for (e, w) in &self.windows {
            let t = tally.get(e).copied().unwrap_or_default();
            match by_weights.last_mut() {
                Some((lw, acc)) if lw == w => {
                    acc.blue += t.blue;
                    acc.green += t.green;
                    acc.failed += t.failed;
                }
                _ => by_weights.push((*w, t)),
            }
        }
        let mut all = spanning;
        for t in tally.values() {
            all.blue += t.blue;
            all.green += t.green;
            all.failed += t.failed;
        }
        let total = all.blue + all.green + all.failed;
        eprintln!(
            "{total} requests ({} blue, {} green, {} spanning two windows), by production weights (green, blue):",
            all.blue,
            all.green,
            spanning.blue + spanning.green + spanning.failed
        );
        for ((g, b), t) in &by_weights {
            let n = t.blue + t.green;
            eprintln!(
                "  {g:>3}/{b:<3}: {n:>6} answered, green {:.1}%, {} failed",
                100.0 * t.green as f64 / n.max(1) as f64,
                t.failed
            );
        }
        assert_eq!(all.failed, 0, "failed requests; the first: {first:?}");
        for ((g, _), t) in &by_weights {
            let n = t.blue + t.green;
            assert!(n >= PER_STEP, "too few requests under weights {g}: {n}");
            let share = 100.0 * t.green as f64 / n as f64;
            assert!(
                (share - *g as f64).abs() <= 3.0,
                "green answered {share:.1}% of {n} requests while its weight was {g}%"
            );
        }
        self.lab.srv.shutdown().await;
        (by_weights.iter().map(|(w, _)| w.0).collect(), total)
    }
}

fn status(lab: &Lab, id: &str) -> String {
    s(&lab.deployment(id)["status"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_at_once_deployment_under_load_loses_no_request() {
    let lab = lab("CodeDeployDefault.ECSAllAtOnce").await;
    let mut run = Run::start(lab).await;
    let id = deploy(&run.lab);
    assert!(
        run.until(5.0, 900.0, |l| status(l, &id) == "Succeeded").await,
        "{}",
        run.lab.deployment(&id)
    );
    assert_eq!(run.lab.weights(), (100, 0));
    // The termination wait passes and blue's tasks drain and stop, still under load.
    assert!(run.until(5.0, 300.0, |l| l.running_tasks() == 2).await);
    run.tick(20.0).await;
    let (steps, total) = run.check().await;
    assert_eq!(steps, vec![0, 100]);
    assert!(total >= 5_000, "{total}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linear_deployment_under_load_follows_every_weight_step() {
    let lab = lab("CodeDeployDefault.ECSLinear10PercentEvery1Minutes").await;
    let mut run = Run::start(lab).await;
    let id = deploy(&run.lab);
    assert!(
        run.until(10.0, 1_800.0, |l| status(l, &id) == "Succeeded").await,
        "{}",
        run.lab.deployment(&id)
    );
    assert!(run.until(10.0, 300.0, |l| l.running_tasks() == 2).await);
    run.tick(20.0).await;
    let (steps, total) = run.check().await;
    assert_eq!(steps, vec![0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    assert!(total >= 15_000, "{total}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_deployment_rolls_traffic_back_to_blue_under_load() {
    let lab = lab("CodeDeployDefault.ECSLinear10PercentEvery1Minutes").await;
    let mut run = Run::start(lab).await;
    let id = deploy(&run.lab);
    // Until green takes 20% of production.
    assert!(run.until(10.0, 900.0, |l| l.weights().0 >= 20).await);
    run.tick(10.0).await;
    call(
        run.lab.em(),
        Service::CodeDeploy,
        "StopDeployment",
        json!({"deploymentId": id, "autoRollbackEnabled": true}),
    );
    run.lab.rt.sync().await;
    run.observe().await;
    let info = run.lab.deployment(&id);
    assert_eq!(info["status"], "Stopped", "{info}");
    let rollback = s(&info["rollbackInfo"]["rollbackDeploymentId"]);
    assert!(!rollback.is_empty(), "{info}");
    assert!(run.until(5.0, 600.0, |l| status(l, &rollback) == "Succeeded").await);
    assert_eq!(run.lab.weights(), (0, 100));
    // Green's tasks stop; blue keeps answering everything.
    assert!(run.until(5.0, 300.0, |l| l.running_tasks() == 2).await);
    run.tick(20.0).await;
    let (steps, _) = run.check().await;
    assert_eq!(steps, vec![0, 10, 20, 0]);
}
