//! The ALB data plane end to end: listeners answering real HTTP on loopback, rules, weighted
//! forwards, stand-in tasks, real health checks, DNS names, and a bounded load across a traffic
//! shift with no failed request.

use bytes::Bytes;
use cutover::dispatch::handler;
use cutover::model::Service;
use cutover::runtime::alb::Runtime;
use cutover::server::{serve, ServerHandle};
use cutover::services::Ctx;
use cutover::sim::{ClockMode, SimTime};
use cutover::Emulator;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn call(em: &Emulator, svc: Service, op: &str, input: Value) -> Value {
    em.with_world(|w| match handler(svc, op) {
        Some(h) => h
            .call(w, &Ctx::internal(svc, "000000000000", "us-east-1"), input)
            .unwrap_or_else(|e| panic!("{op}: {e:?}")),
        _ => panic!("no handler {op}"),
    })
}

struct Lab {
    srv: ServerHandle,
    rt: Arc<Runtime>,
    dns: String,
    prod: String,
    test: String,
    blue: String,
    green: String,
    cluster: String,
    service: String,
    subnets: Vec<String>,
}

async fn settle(lab: &Lab, secs: f64) {
    lab.srv.emulator.advance(secs);
    lab.rt.sync().await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    lab.rt.sync().await;
}

fn healthy_count(em: &Emulator, tg: &str) -> usize {
    let out = call(
        em,
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

fn create_task_set(em: &Emulator, lab_cluster: &str, service: &str, tg: &str, td: &str, subnets: &[String]) -> String {
    let out = call(
        em,
        Service::Ecs,
        "CreateTaskSet",
        json!({"service": service, "cluster": lab_cluster, "taskDefinition": td, "launchType": "FARGATE",
               "loadBalancers": [{"targetGroupArn": tg, "containerName": "threads-cntr", "containerPort": 3000}],
               "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED"}},
               "scale": {"value": 100.0, "unit": "PERCENT"}}),
    );
    out["taskSet"]["taskSetArn"].as_str().unwrap().to_owned()
}

/// The lab's topology: one ALB, prod listener :80 → blue, test listener :8080 → green, an EXTERNAL
/// service with a blue and a green task set of 2 tasks each, every target healthy.
async fn lab() -> Lab {
    let em = Emulator::starting_at(ClockMode::Manual, SimTime(1_700_000_000_000));
    let srv = serve("127.0.0.1:0", em.clone()).await.unwrap();
    let rt = srv.alb.clone().unwrap();
    let ec2 = |op: &str| call(&em, Service::Ec2, op, json!({}));
    let subnets: Vec<String> = ec2("DescribeSubnets")["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["DefaultForAz"] == json!(true))
        .map(|s| s["SubnetId"].as_str().unwrap().to_owned())
        .collect();
    let vpc = ec2("DescribeVpcs")["Vpcs"][0]["VpcId"].as_str().unwrap().to_owned();
    let lb = call(
        &em,
        Service::Elbv2,
        "CreateLoadBalancer",
        json!({"Name": "alb-container-labs", "Subnets": [subnets[0], subnets[1]]}),
    );
    let lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"].as_str().unwrap().to_owned();
    let dns = lb["LoadBalancers"][0]["DNSName"].as_str().unwrap().to_owned();
    let tg = |name: &str| {
        let out = call(
            &em,
            Service::Elbv2,
            "CreateTargetGroup",
            json!({"Name": name, "Protocol": "HTTP", "Port": 3000, "VpcId": vpc, "TargetType": "ip",
                   "HealthCheckPath": "/", "HealthCheckIntervalSeconds": 6, "HealthCheckTimeoutSeconds": 5,
                   "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}),
        );
        out["TargetGroups"][0]["TargetGroupArn"].as_str().unwrap().to_owned()
    };
    let blue = tg("threads-tg");
    let green = tg("threads-tg-2");
    for t in [&blue, &green] {
        call(
            &em,
            Service::Elbv2,
            "ModifyTargetGroupAttributes",
            json!({"TargetGroupArn": t, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}]}),
        );
    }
    em.advance(31.0);
    let listener = |port: i64, tg: &str| {
        let out = call(
            &em,
            Service::Elbv2,
            "CreateListener",
            json!({"LoadBalancerArn": lb_arn, "Protocol": "HTTP", "Port": port,
                   "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}]}),
        );
        out["Listeners"][0]["ListenerArn"].as_str().unwrap().to_owned()
    };
    let prod = listener(80, &blue);
    let test = listener(8080, &green);
    let cluster = call(
        &em,
        Service::Ecs,
        "CreateCluster",
        json!({"clusterName": "my_first_ecs_cluster"}),
    )["cluster"]["clusterArn"]
        .as_str()
        .unwrap()
        .to_owned();
    for image in ["threads:0.1", "threads:0.2"] {
        call(
            &em,
            Service::Ecs,
            "RegisterTaskDefinition",
            json!({"family": "threads-task-def", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
                   "containerDefinitions": [{"name": "threads-cntr", "image": image, "portMappings": [{"containerPort": 3000}]}]}),
        );
    }
    let service = call(
        &em,
        Service::Ecs,
        "CreateService",
        json!({"cluster": cluster, "serviceName": "threads", "desiredCount": 2, "deploymentController": {"type": "EXTERNAL"}}),
    )["service"]["serviceArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let lab = Lab {
        srv,
        rt,
        dns,
        prod,
        test,
        blue,
        green,
        cluster,
        service,
        subnets,
    };
    create_task_set(
        &lab.srv.emulator,
        &lab.cluster,
        &lab.service,
        &lab.blue,
        "threads-task-def:1",
        &lab.subnets,
    );
    create_task_set(
        &lab.srv.emulator,
        &lab.cluster,
        &lab.service,
        &lab.green,
        "threads-task-def:2",
        &lab.subnets,
    );
    for _ in 0..120 {
        settle(&lab, 1.0).await;
        if healthy_count(&lab.srv.emulator, &lab.blue) == 2 && healthy_count(&lab.srv.emulator, &lab.green) == 2 {
            break;
        }
    }
    assert_eq!(healthy_count(&lab.srv.emulator, &lab.blue), 2, "blue targets healthy");
    assert_eq!(healthy_count(&lab.srv.emulator, &lab.green), 2, "green targets healthy");
    lab
}

struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

async fn connect(addr: SocketAddr) -> SendRequest<Empty<Bytes>> {
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s)).await.unwrap();
    tokio::spawn(conn);
    sender
}

async fn send(
    sender: &mut SendRequest<Empty<Bytes>>,
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut b = http::Request::builder().method(method).uri(path).header("host", host);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    sender.ready().await.unwrap();
    let resp = sender.send_request(b.body(Empty::new()).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Reply { status, headers, body }
}

async fn get(addr: SocketAddr, host: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut s = connect(addr).await;
    send(&mut s, "GET", host, path, headers).await
}

fn listener_addr(lab: &Lab, arn: &str) -> SocketAddr {
    lab.rt.listener_addr(arn).expect("listener bound")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_route_like_an_alb_to_tasks_that_answer() {
    let lab = lab().await;
    let em = lab.srv.emulator.clone();
    assert!(lab.dns.ends_with(".us-east-1.elb.localhost"), "{}", lab.dns);
    let prod = listener_addr(&lab, &lab.prod);
    let test = listener_addr(&lab, &lab.test);
    assert!(prod.ip().is_loopback() && test.ip().is_loopback());

    // The control API lists both listeners with their real addresses.
    let listed = get(lab.srv.addr, "127.0.0.1", "/_emulator/listeners", &[]).await.json();
    let ports: Vec<(i64, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["port"].as_i64().unwrap(), l["address"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(ports, vec![(80, prod.to_string()), (8080, test.to_string())]);

    // The prod listener reaches a blue task's stand-in, with the ALB's forwarding headers.
    let r = get(prod, &lab.dns, "/api/threads", &[("x-forwarded-for", "203.0.113.9")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["targetGroups"], json!(["threads-tg"]));
    assert_eq!(j["image"], "threads:0.1");
    assert_eq!(j["containerName"], "threads-cntr");
    assert!(j["taskArn"].as_str().unwrap().contains(":task/my_first_ecs_cluster/"));
    assert_eq!(j["request"]["xForwardedFor"], "203.0.113.9, 127.0.0.1");
    assert_eq!(j["request"]["xForwardedProto"], "http");
    assert_eq!(j["request"]["xForwardedPort"], "80");
    assert_eq!(j["request"]["host"], lab.dns.as_str());
    // Round robin over both blue tasks.
    let mut s = connect(prod).await;
    let mut tasks = std::collections::BTreeSet::new();
    for _ in 0..4 {
        tasks.insert(
            send(&mut s, "GET", &lab.dns, "/", &[]).await.json()["taskArn"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(tasks.len(), 2);

    // The main port routes by Host: DNSName → port 80, DNSName:8080 → the test listener.
    let r = get(lab.srv.addr, &lab.dns, "/x", &[]).await;
    assert_eq!(r.json()["targetGroups"], json!(["threads-tg"]));
    let r = get(lab.srv.addr, &format!("{}:8080", lab.dns.to_uppercase()), "/x", &[]).await;
    assert_eq!(r.json()["targetGroups"], json!(["threads-tg-2"]));
    assert_eq!(r.json()["image"], "threads:0.2");

    // Rules by priority, every kind of action.
    let rule = |prio: i64, conditions: Value, actions: Value| {
        call(
            &em,
            Service::Elbv2,
            "CreateRule",
            json!({"ListenerArn": lab.prod, "Priority": prio, "Conditions": conditions, "Actions": actions}),
        );
    };
    rule(
        10,
        json!([{"Field": "path-pattern", "Values": ["/api/threads*"]}, {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["y?s"]}}]),
        json!([{"Type": "forward", "TargetGroupArn": lab.green}]),
    );
    rule(
        20,
        json!([{"Field": "path-pattern", "Values": ["/fixed"]}]),
        json!([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "application/json", "MessageBody": "{\"teapot\":true}"}}]),
    );
    rule(
        30,
        json!([{"Field": "path-pattern", "Values": ["/old/*"]}]),
        json!([{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Path": "/new/#{path}", "StatusCode": "HTTP_301"}}]),
    );
    rule(
        40,
        json!([{"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}, {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}]),
        json!([{"Type": "forward", "TargetGroupArn": lab.green}]),
    );
    let empty = call(
        &em,
        Service::Elbv2,
        "CreateTargetGroup",
        json!({"Name": "empty-tg", "Protocol": "HTTP", "Port": 3000, "TargetType": "ip",
        "VpcId": call(&em, Service::Ec2, "DescribeVpcs", json!({}))["Vpcs"][0]["VpcId"]}),
    );
    let empty = empty["TargetGroups"][0]["TargetGroupArn"].as_str().unwrap().to_owned();
    rule(
        50,
        json!([{"Field": "host-header", "Values": ["empty.*"]}]),
        json!([{"Type": "forward", "TargetGroupArn": empty}]),
    );
    rule(
        60,
        json!([{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}]),
        json!([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403"}}]),
    );
    lab.rt.sync().await;
    let tg_of = |r: &Reply| r.json()["targetGroups"][0].as_str().unwrap_or("").to_owned();
    assert_eq!(
        tg_of(&get(prod, &lab.dns, "/api/threads/1", &[("x-canary", "yes")]).await),
        "threads-tg-2"
    );
    assert_eq!(
        tg_of(&get(prod, &lab.dns, "/api/threads/1", &[("x-canary", "no")]).await),
        "threads-tg"
    );
    let r = get(prod, &lab.dns, "/fixed", &[]).await;
    assert_eq!((r.status, r.body.as_str()), (418, "{\"teapot\":true}"));
    assert_eq!(r.headers["content-type"], "application/json");
    let r = get(prod, &format!("{}:80", lab.dns), "/old/page", &[]).await;
    assert_eq!(r.status, 301);
    assert_eq!(r.headers["location"], format!("https://{}/new/old/page", lab.dns));
    assert_eq!(tg_of(&get(prod, &lab.dns, "/q?v=2", &[]).await), "threads-tg-2");
    assert_eq!(tg_of(&get(prod, &lab.dns, "/q?v=3", &[]).await), "threads-tg");
    assert_eq!(
        get(prod, "empty.example.com", "/", &[]).await.status,
        503,
        "no registered targets"
    );
    assert_eq!(
        get(prod, &lab.dns, "/", &[]).await.status,
        200,
        "source-ip 10/8 does not match loopback"
    );

    // Weighted forward with group stickiness: the cookie pins the client to its group.
    call(
        &em,
        Service::Elbv2,
        "ModifyListener",
        json!({"ListenerArn": lab.test, "DefaultActions": [{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": lab.blue, "Weight": 1}, {"TargetGroupArn": lab.green, "Weight": 1}],
        "TargetGroupStickinessConfig": {"Enabled": true, "DurationSeconds": 600}}}]}),
    );
    lab.rt.sync().await;
    let first = get(test, &lab.dns, "/", &[]).await;
    let set = first
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let tg_cookie = set
        .iter()
        .find(|c| c.starts_with("AWSALBTG="))
        .expect("AWSALBTG cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let pinned = tg_of(&first);
    for _ in 0..6 {
        assert_eq!(
            tg_of(&get(test, &lab.dns, "/", &[("cookie", &tg_cookie)]).await),
            pinned
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4 {
        seen.insert(tg_of(&get(test, &lab.dns, "/", &[]).await));
    }
    assert_eq!(seen.len(), 2, "without the cookie both groups get requests");

    // Health checks are real: the fault makes the green stand-ins answer 503 on "/", the targets
    // turn unhealthy on the clock, and with every target unhealthy the ALB fails open.
    em.with_world(|w| {
        w.faults.unhealthy_task_definitions.insert("threads-task-def:2".into());
    });
    // ECS replaces tasks whose targets fail: wait until green has targets again, none healthy.
    let mut went_unhealthy = false;
    let mut ready = false;
    for _ in 0..60 {
        settle(&lab, 1.0).await;
        went_unhealthy |= em.with_world(|w| {
            w.timeline_since(0)
                .any(|e| e.message().contains("of threads-tg-2 unhealthy"))
        });
        let states = call(
            &em,
            Service::Elbv2,
            "DescribeTargetHealth",
            json!({"TargetGroupArn": lab.green}),
        );
        let states: Vec<String> = states["TargetHealthDescriptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["TargetHealth"]["State"].as_str().unwrap().to_owned())
            .collect();
        if went_unhealthy
            && states.iter().any(|s| s == "initial" || s == "unhealthy")
            && !states.iter().any(|s| s == "healthy")
        {
            ready = true;
            break;
        }
    }
    assert!(went_unhealthy && ready, "green targets failed their real health checks");
    call(
        &em,
        Service::Elbv2,
        "ModifyListener",
        json!({"ListenerArn": lab.test, "DefaultActions": [{"Type": "forward", "TargetGroupArn": lab.green}]}),
    );
    lab.rt.sync().await;
    let r = get(test, &lab.dns, "/api/threads", &[]).await;
    assert_eq!(
        (r.status, r.json()["healthy"].clone()),
        (200, json!(false)),
        "fail open: {}",
        r.body
    );
    // The stand-in's health path answers what the fault says.
    let r = get(test, &lab.dns, "/", &[]).await;
    assert_eq!(r.status, 503);

    lab.srv.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(prod).await.is_err(),
        "listener closed on shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_names_resolve_for_curl_and_for_processes_the_emulator_starts() {
    let lab = lab().await;
    let prod = listener_addr(&lab, &lab.prod);
    // curl resolves *.localhost to loopback itself (RFC 6761).
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "10",
            &format!("http://{}:{}/api/threads", lab.dns, prod.port()),
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let j: Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(j["targetGroups"], json!(["threads-tg"]));
        }
        Ok(o) => panic!("curl failed: {} {}", o.status, String::from_utf8_lossy(&o.stderr)),
        Err(e) => eprintln!("curl not available, skipped: {e}"),
    }
    // A python3 process with the emulator's child environment fetches the lab hook's URL
    // (DNSName:8080) although nothing listens on 127.0.0.1:8080.
    let script = format!(
        "import json, urllib.request\nprint(json.load(urllib.request.urlopen('http://{}:8080/api/threads', timeout=10))['targetGroups'][0])",
        lab.dns
    );
    let out = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .envs(lab.rt.child_env())
        .output()
        .await
        .expect("python3 runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "threads-tg-2");
    // And node, when present.
    let js = format!(
        "require('http').get('http://{}:8080/api/threads', r => {{ let b=''; r.on('data', d => b += d); r.on('end', () => console.log(JSON.parse(b).targetGroups[0])); }}).on('error', e => {{ console.error(e); process.exit(1); }});",
        lab.dns
    );
    if let Ok(out) = tokio::process::Command::new("node")
        .arg("-e")
        .arg(&js)
        .envs(lab.rt.child_env())
        .output()
        .await
    {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "threads-tg-2");
    }
    lab.srv.shutdown().await;
}

/// 20,000 requests on 8 keep-alive connections to the production listener while the weights move
/// 100/0 → 90/10 → 50/50 → 10/90 → 0/100 and the blue task set is deleted at the end: no request
/// fails, and the green share of each step is its weight within 3 points.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_shift_under_load_loses_no_request() {
    let lab = Arc::new(lab().await);
    let prod = listener_addr(&lab, &lab.prod);
    const TOTAL: u64 = 20_000;
    const STEPS: [(i64, i64); 5] = [(100, 0), (90, 10), (50, 50), (10, 90), (0, 100)];
    let step = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let tally: Arc<Mutex<Vec<(u64, u64, u64)>>> = Arc::new(Mutex::new(vec![(0, 0, 0); STEPS.len()]));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (step, sent, tally, dns) = (step.clone(), sent.clone(), tally.clone(), lab.dns.clone());
        workers.push(tokio::spawn(async move {
            let mut s = connect(prod).await;
            while sent.fetch_add(1, Ordering::Relaxed) < TOTAL {
                let at = step.load(Ordering::Acquire);
                let r = send(&mut s, "GET", &dns, "/api/threads", &[]).await;
                let mut t = tally.lock().unwrap();
                if r.status != 200 {
                    t[at].2 += 1;
                } else if r.json()["targetGroups"][0] == "threads-tg-2" {
                    t[at].1 += 1;
                } else {
                    t[at].0 += 1;
                }
            }
        }));
    }
    let em = lab.srv.emulator.clone();
    let key = cutover::world::PartitionKey::new("000000000000", "us-east-1");
    for (i, (b, g)) in STEPS.iter().enumerate().skip(1) {
        while sent.load(Ordering::Relaxed) < TOTAL * i as u64 / STEPS.len() as u64 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        em.with_world(|w| {
            let (r, mut env) = w.split(&key);
            cutover::services::elbv2::set_forward_weights(
                &mut r.elbv2,
                &mut env,
                &key,
                &lab.prod,
                &[(lab.blue.clone(), *b), (lab.green.clone(), *g)],
            )
            .unwrap()
        });
        lab.rt.sync().await;
        step.store(i, Ordering::Release);
        if i == STEPS.len() - 1 {
            // Blue takes no traffic any more: delete its task set; its tasks drain and stop.
            let sets = call(
                &em,
                Service::Ecs,
                "DescribeTaskSets",
                json!({"cluster": lab.cluster, "service": lab.service}),
            );
            let blue_set = sets["taskSets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["taskDefinition"].as_str().unwrap().ends_with(":1"))
                .unwrap()["taskSetArn"]
                .as_str()
                .unwrap()
                .to_owned();
            call(
                &em,
                Service::Ecs,
                "DeleteTaskSet",
                json!({"cluster": lab.cluster, "service": lab.service, "taskSet": blue_set, "force": true}),
            );
            for _ in 0..30 {
                em.advance(1.0);
                lab.rt.sync().await;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    for w in workers {
        w.await.unwrap();
    }
    let t = tally.lock().unwrap().clone();
    let failed: u64 = t.iter().map(|x| x.2).sum();
    assert_eq!(failed, 0, "failed requests per step: {t:?}");
    assert_eq!(t.iter().map(|x| x.0 + x.1).sum::<u64>(), TOTAL);
    for (i, (b, g)) in STEPS.iter().enumerate() {
        let n = (t[i].0 + t[i].1) as f64;
        let share = 100.0 * t[i].1 as f64 / n;
        let want = 100.0 * *g as f64 / (*b + *g) as f64;
        assert!(
            (share - want).abs() <= 3.0,
            "step {i}: green share {share:.1}% for weight {want}% ({t:?})"
        );
    }
    // The blue tasks are gone and nothing listed them any more.
    let view = lab.rt.view();
    assert!(view.tasks.values().all(|t| t.task_definition_arn.ends_with(":2")));
}
