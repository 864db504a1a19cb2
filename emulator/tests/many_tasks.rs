//! Safe to leave running with many tasks: 5,000 RUNNING tasks behind target groups while the
//! emulator process may hold at most 1,024 open files. The built-in stand-in of each task answers
//! in-process (no socket per task), so the API keeps answering, every target turns healthy through
//! real health checks, and a listener still reaches a stand-in that names its task.
//!
//! The real binary runs under `prlimit --nofile=1024:1024` (util-linux) and is driven only through
//! its HTTP API (`POST /_emulator/call`, `POST /_emulator/clock`, `GET /_emulator/listeners`).

use serde_json::{json, Value};
use std::io::{BufRead, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Services, each with its own load balancer and target group (an ALB target group holds at most
/// 1,000 targets, as on AWS).
const SERVICES: usize = 5;
/// Tasks per service.
const PER_SERVICE: usize = 1_000;
/// The open-files limit the emulator runs under.
const NOFILE: usize = 1024;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cutover serve --clock manual` under `prlimit --nofile=1024:1024`, ready.
fn start(args: &[&str]) -> Server {
    start_with(NOFILE, args)
}

/// `cutover serve --clock manual` under `prlimit --nofile=N:N`, ready.
fn start_with(nofile: usize, args: &[&str]) -> Server {
    let nofile = format!("--nofile={nofile}:{nofile}");
    let mut child = Command::new("prlimit")
        .args([nofile.as_str(), "--", env!("CARGO_BIN_EXE_cutover")])
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--clock",
            "manual",
            "--log-level",
            "error",
        ])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cutover serve under prlimit (util-linux)");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("no ready line: {line:?}"))
        .to_owned();
    Server { child, url }
}

/// One HTTP/1.1 request with std only; `(status, body)`, or the error (the API must answer).
fn http(addr: &str, method: &str, path: &str, host: &str, body: &str) -> Result<(u16, String), String> {
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).map_err(|e| format!("read from {addr}: {e}"))?;
    let out = String::from_utf8_lossy(&out).into_owned();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {out:?}"))?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    // Chunked bodies (hyper chunks large answers).
    let body = if out.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(&body)
    } else {
        body
    };
    Ok((status, body))
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

impl Server {
    fn addr(&self) -> &str {
        self.url.strip_prefix("http://").unwrap()
    }

    fn get(&self, path: &str) -> Result<(u16, String), String> {
        http(self.addr(), "GET", path, self.addr(), "")
    }

    fn post(&self, path: &str, body: &Value) -> Result<(u16, String), String> {
        http(self.addr(), "POST", path, self.addr(), &body.to_string())
    }

    /// An API operation through `POST /_emulator/call`; its output.
    fn call(&self, service: &str, op: &str, input: Value) -> Value {
        let (status, body) = self
            .post(
                "/_emulator/call",
                &json!({"service": service, "operation": op, "input": input}),
            )
            .unwrap_or_else(|e| panic!("{op}: the API did not answer: {e}"));
        assert_eq!(status, 200, "{op}: {body}");
        serde_json::from_str::<Value>(&body).unwrap()["output"].take()
    }

    fn advance(&self, secs: f64) {
        let (status, body) = self
            .post("/_emulator/clock", &json!({"advance": secs}))
            .unwrap_or_else(|e| panic!("advance: the API did not answer: {e}"));
        assert_eq!(status, 200, "{body}");
    }

    fn listener_addrs(&self) -> Vec<String> {
        let (status, body) = self.get("/_emulator/listeners").expect("listeners");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["address"].as_str().map(str::to_owned))
            .collect()
    }

    fn healthy(&self, tg: &str) -> usize {
        self.call("elbv2", "DescribeTargetHealth", json!({"TargetGroupArn": tg}))["TargetHealthDescriptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["TargetHealth"]["State"] == "healthy")
            .count()
    }

    fn running(&self, cluster: &str) -> usize {
        let mut n = 0;
        let mut token: Option<String> = None;
        loop {
            let mut input = json!({"cluster": cluster, "desiredStatus": "RUNNING", "maxResults": 100});
            if let Some(t) = &token {
                input["nextToken"] = json!(t);
            }
            let out = self.call("ecs", "ListTasks", input);
            n += out["taskArns"].as_array().map_or(0, Vec::len);
            match out["nextToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => return n,
            }
        }
    }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

/// One VPC's default subnets, a cluster, one task definition, and per service a load balancer with
/// a listener forwarding to its target group; `(cluster, target groups, DNS names)`.
fn topology(srv: &Server) -> (String, Vec<String>, Vec<String>) {
    let subnets: Vec<String> = srv.call("ec2", "DescribeSubnets", json!({}))["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["DefaultForAz"] == json!(true))
        .map(|x| s(&x["SubnetId"]))
        .collect();
    assert!(subnets.len() >= 2, "default subnets: {subnets:?}");
    let vpc = s(&srv.call("ec2", "DescribeVpcs", json!({}))["Vpcs"][0]["VpcId"]);
    let cluster = s(&srv.call("ecs", "CreateCluster", json!({"clusterName": "many"}))["cluster"]["clusterArn"]);
    srv.call(
        "ecs",
        "RegisterTaskDefinition",
        json!({"family": "many", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
               "cpu": "256", "memory": "512",
               "containerDefinitions": [{"name": "app", "image": "many:1", "essential": true,
                                         "portMappings": [{"containerPort": 3000}]}]}),
    );
    let mut groups = Vec::new();
    let mut names = Vec::new();
    for i in 0..SERVICES {
        let lb = &srv.call(
            "elbv2",
            "CreateLoadBalancer",
            json!({"Name": format!("many-{i}"), "Subnets": [subnets[0], subnets[1]]}),
        )["LoadBalancers"][0];
        let tg = s(&srv.call(
            "elbv2",
            "CreateTargetGroup",
            json!({"Name": format!("many-{i}"), "Protocol": "HTTP", "Port": 3000, "VpcId": vpc,
                   "TargetType": "ip", "HealthCheckPath": "/health", "HealthCheckIntervalSeconds": 5,
                   "HealthCheckTimeoutSeconds": 2, "HealthyThresholdCount": 2,
                   "UnhealthyThresholdCount": 2}),
        )["TargetGroups"][0]["TargetGroupArn"]);
        srv.call(
            "elbv2",
            "CreateListener",
            json!({"LoadBalancerArn": s(&lb["LoadBalancerArn"]), "Protocol": "HTTP", "Port": 80,
                   "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}]}),
        );
        groups.push(tg);
        names.push(s(&lb["DNSName"]));
    }
    for (i, tg) in groups.iter().enumerate() {
        srv.call(
            "ecs",
            "CreateService",
            json!({"cluster": cluster, "serviceName": format!("many-{i}"), "taskDefinition": "many:1",
                   "desiredCount": PER_SERVICE, "launchType": "FARGATE",
                   "loadBalancers": [{"targetGroupArn": tg, "containerName": "app", "containerPort": 3000}],
                   "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED"}}}),
        );
    }
    (cluster, groups, names)
}

#[tokio::test]
async fn five_thousand_stand_in_tasks_fit_under_1024_open_files() {
    let srv = start(&[]);
    let (cluster, groups, names) = topology(&srv);
    let started = Instant::now();
    // The clock moves on in steps; between steps the health checks of the due targets run.
    let mut healthy = vec![0; groups.len()];
    while started.elapsed() < Duration::from_secs(240) {
        srv.advance(10.0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        healthy = groups.iter().map(|tg| srv.healthy(tg)).collect();
        if healthy.iter().all(|&n| n == PER_SERVICE) {
            break;
        }
    }
    assert_eq!(
        healthy,
        vec![PER_SERVICE; groups.len()],
        "every target healthy through its health checks"
    );
    assert_eq!(srv.running(&cluster), SERVICES * PER_SERVICE, "tasks RUNNING");
    // No descriptor per task (prlimit runs the emulator in its own process).
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{}/fd", srv.child.id())) {
        let open = fds.count();
        eprintln!(
            "{} tasks healthy after {:.1} s; the emulator has {open} files open",
            SERVICES * PER_SERVICE,
            started.elapsed().as_secs_f64()
        );
        assert!(open < SERVICES * PER_SERVICE / 10, "{open} files open");
    }
    // The API still answers, and so does the data plane: each listener reaches a stand-in that
    // names a task of the cluster, and so does the main port for the load balancer's DNS name.
    let (status, body) = srv.get("/_emulator/clock").expect("the API answers");
    assert_eq!(status, 200, "{body}");
    let listeners = srv.listener_addrs();
    assert_eq!(listeners.len(), SERVICES, "every listener bound");
    for addr in &listeners {
        let (status, body) = http(addr, "GET", "/api/threads", "many.example", "").expect("the listener answers");
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            s(&v["taskArn"]).starts_with("arn:aws:ecs:us-east-1:000000000000:task/many/"),
            "{body}"
        );
        assert_eq!(v["request"]["path"], "/api/threads", "{body}");
    }
    let (status, body) = http(srv.addr(), "GET", "/x", &names[0], "").expect("the main port answers");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(s(&v["taskArn"]).contains(":task/many/"), "{body}");
    assert_eq!(v["targetGroups"], json!(["many-0"]), "{body}");
}

/// An `--app-config` process needs a real socket and descriptors of its own: when the emulator
/// cannot give them (here its open-files limit leaves less than it keeps for its API), the task
/// stops with a reason that says so, while the API and the built-in stand-ins go on.
#[tokio::test]
async fn a_process_task_short_of_descriptors_stops_with_a_reason_and_the_api_goes_on() {
    let dir = std::env::temp_dir().join(format!("cutover-many-tasks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let apps = dir.join("apps.json");
    std::fs::write(
        &apps,
        json!({"apps": [{"image": "proc:*", "command": ["sleep", "300"]}]}).to_string(),
    )
    .unwrap();
    // 64 open files: the emulator's API runs, but no process backend may start (it keeps 64).
    let srv = start_with(64, &["--app-config", apps.to_str().unwrap()]);
    let subnets: Vec<String> = srv.call("ec2", "DescribeSubnets", json!({}))["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["DefaultForAz"] == json!(true))
        .map(|x| s(&x["SubnetId"]))
        .collect();
    let vpc = s(&srv.call("ec2", "DescribeVpcs", json!({}))["Vpcs"][0]["VpcId"]);
    let cluster = s(&srv.call("ecs", "CreateCluster", json!({"clusterName": "procs"}))["cluster"]["clusterArn"]);
    let lb = s(&srv.call(
        "elbv2",
        "CreateLoadBalancer",
        json!({"Name": "procs", "Subnets": [subnets[0], subnets[1]]}),
    )["LoadBalancers"][0]["LoadBalancerArn"]);
    let mut groups = Vec::new();
    for (i, image) in ["proc:1", "standin:1"].iter().enumerate() {
        let tg = s(&srv.call(
            "elbv2",
            "CreateTargetGroup",
            json!({"Name": format!("procs-{i}"), "Protocol": "HTTP", "Port": 3000, "VpcId": vpc,
                   "TargetType": "ip", "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
                   "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2}),
        )["TargetGroups"][0]["TargetGroupArn"]);
        srv.call(
            "elbv2",
            "ModifyTargetGroupAttributes",
            json!({"TargetGroupArn": tg, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}]}),
        );
        srv.call(
            "elbv2",
            "CreateListener",
            json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 8080 + i,
                   "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}]}),
        );
        let family = format!("procs-{i}");
        srv.call(
            "ecs",
            "RegisterTaskDefinition",
            json!({"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                   "cpu": "256", "memory": "512",
                   "containerDefinitions": [{"name": "app", "image": image, "essential": true,
                                             "portMappings": [{"containerPort": 3000}]}]}),
        );
        srv.call(
            "ecs",
            "CreateService",
            json!({"cluster": cluster, "serviceName": family, "taskDefinition": family, "desiredCount": 1,
                   "launchType": "FARGATE",
                   "loadBalancers": [{"targetGroupArn": tg, "containerName": "app", "containerPort": 3000}],
                   "networkConfiguration": {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED"}}}),
        );
        groups.push(tg);
    }
    let stopped = || -> Vec<Value> {
        let arns = srv.call(
            "ecs",
            "ListTasks",
            json!({"cluster": cluster, "serviceName": "procs-0", "desiredStatus": "STOPPED"}),
        )["taskArns"]
            .clone();
        if arns.as_array().is_none_or(Vec::is_empty) {
            return Vec::new();
        }
        srv.call("ecs", "DescribeTasks", json!({"cluster": cluster, "tasks": arns}))["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["lastStatus"] == "STOPPED")
            .cloned()
            .collect()
    };
    let started = Instant::now();
    let mut found = Vec::new();
    while started.elapsed() < Duration::from_secs(60) {
        srv.advance(5.0);
        tokio::time::sleep(Duration::from_millis(200)).await;
        found = stopped();
        if !found.is_empty() && srv.healthy(&groups[1]) == 1 {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let task = found.first().expect("the process task stopped");
    assert_eq!(task["stopCode"], "TaskFailedToStart", "{task}");
    let reason = s(&task["stoppedReason"]);
    assert!(
        reason
            .starts_with("CannotStartContainerError: cutover could not start `sleep 300` for container app (proc:1): "),
        "{reason}"
    );
    assert!(
        reason.contains("open files") && reason.contains("ulimit -n"),
        "{reason}"
    );
    // The API answers, and the built-in stand-in task of the other service is healthy.
    assert_eq!(srv.healthy(&groups[1]), 1, "the stand-in task is healthy");
    let (status, body) = srv.get("/_emulator/clock").expect("the API answers");
    assert_eq!(status, 200, "{body}");
}
