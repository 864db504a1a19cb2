//! Nothing a web page or a slow client does can drive or starve the server: cross-origin and
//! rebinding requests are refused, the control API reads JSON only, slow and idle connections are
//! closed, an idle flood under a low descriptor limit leaves the API answering, and SIGTERM ends
//! the server while a client holds a half-sent request. Real HTTP, requests written as a browser
//! or a broken client would send them.

use cutover::net::Limits;
use cutover::server::{serve_with, Access, ServeOptions, ServerHandle};
use cutover::sim::ClockMode;
use cutover::Emulator;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn server(access: Access, limits: Limits) -> ServerHandle {
    let options = ServeOptions {
        alb: None,
        access,
        limits,
    };
    serve_with("127.0.0.1:0", Emulator::new(ClockMode::Manual), options)
        .await
        .expect("serve on a free port")
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

/// Sends raw bytes and reads the answer until the server closes.
async fn raw(addr: SocketAddr, data: &[u8]) -> Answer {
    let io = async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let _ = s.write_all(data).await;
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(20), io)
        .await
        .expect("the server answers and closes within 20 s");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// One request with a `Host` and extra headers.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    raw(addr, head.as_bytes()).await
}

const STS_FORM: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");
const ECS_JSON: (&str, &str) = ("content-type", "application/x-amz-json-1.1");
const ECS_LIST: (&str, &str) = ("x-amz-target", "AmazonEC2ContainerServiceV20141113.ListClusters");

fn lambda_create_body() -> String {
    serde_json::json!({
        "service": "lambda",
        "operation": "CreateFunction",
        "input": {
            "FunctionName": "pwned",
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::000000000000:role/any",
            "Handler": "index.handler",
            "Code": {"ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_web_page_cannot_post_to_the_api_or_the_control_api() {
    let s = server(Access::default(), Limits::default()).await;
    let addr = s.addr;
    let host = addr.to_string();
    let evil = ("origin", "http://evil.example");
    // The browser's no-preflight shapes: text/plain and form posts, with the page's Origin.
    let a = request(
        addr,
        "POST",
        "/_emulator/call",
        &host,
        &[evil, ("content-type", "text/plain")],
        &lambda_create_body(),
    )
    .await;
    assert_eq!(a.status, 403, "{}", a.body);
    let a = request(addr, "POST", "/", &host, &[evil, FORM], STS_FORM).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(
        a.body.contains("<Code>AccessDenied</Code>"),
        "awsQuery error shape: {}",
        a.body
    );
    let a = request(addr, "POST", "/", &host, &[evil, ECS_JSON, ECS_LIST], "{}").await;
    assert_eq!(a.status, 403, "{}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).expect("JSON error");
    assert_eq!(v["__type"], "AccessDeniedException", "{v}");
    // `Origin: null` (sandboxed frames, file:// pages) is another site too.
    let a = request(addr, "POST", "/", &host, &[("origin", "null"), FORM], STS_FORM).await;
    assert_eq!(a.status, 403, "{}", a.body);
    // Nothing was created.
    let list = serde_json::json!({"service": "lambda", "operation": "ListFunctions", "input": {}}).to_string();
    let a = request(
        addr,
        "POST",
        "/_emulator/call",
        &host,
        &[("content-type", "application/json")],
        &list,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(!a.body.contains("pwned"), "a function was created: {}", a.body);
    // The SDKs' and the CLI's requests (no Origin) are answered, and so is the server's own origin.
    let a = request(addr, "POST", "/", &host, &[FORM], STS_FORM).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let own = format!("http://{host}");
    let a = request(addr, "POST", "/", &host, &[("origin", &own), ECS_JSON, ECS_LIST], "{}").await;
    assert_eq!(a.status, 200, "{}", a.body);
    s.shutdown().await;
}

#[tokio::test]
async fn a_rebinding_host_is_refused_and_loopback_and_allowed_names_are_answered() {
    let access = Access {
        allow_hosts: vec!["cutover".into(), "*.svc.test".into()],
        cors_origins: vec![],
    };
    let s = server(access, Limits::default()).await;
    let addr = s.addr;
    let port = addr.port();
    for bad in [
        format!("attacker.example:{port}"),
        "rebind.evil".to_owned(),
        format!("cutover.evil:{port}"),
        "svc.test".to_owned(),
    ] {
        let a = request(addr, "POST", "/", &bad, &[FORM], STS_FORM).await;
        assert_eq!(a.status, 403, "Host {bad}: {}", a.body);
        assert!(a.body.contains("AccessDenied"), "{}", a.body);
        let a = request(addr, "GET", "/_emulator/health", &bad, &[], "").await;
        assert_eq!(a.status, 403, "Host {bad}: {}", a.body);
    }
    for good in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "threads-alb-123.us-east-1.elb.localhost".to_owned(),
        format!("cutover:{port}"),
        "api.svc.test".to_owned(),
    ] {
        let a = request(addr, "POST", "/", &good, &[FORM], STS_FORM).await;
        assert_eq!(a.status, 200, "Host {good}: {}", a.body);
    }
    s.shutdown().await;
}

#[tokio::test]
async fn the_control_api_takes_only_json_bodies() {
    let s = server(Access::default(), Limits::default()).await;
    let addr = s.addr;
    let host = addr.to_string();
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let a = request(
            addr,
            "POST",
            "/_emulator/clock",
            &host,
            &[("content-type", ct)],
            r#"{"advance": 5}"#,
        )
        .await;
        assert_eq!(a.status, 415, "{ct}: {}", a.body);
    }
    let a = request(addr, "POST", "/_emulator/clock", &host, &[], r#"{"advance": 5}"#).await;
    assert_eq!(a.status, 415, "no content type: {}", a.body);
    let before = s.emulator.clock.now();
    let a = request(
        addr,
        "POST",
        "/_emulator/clock",
        &host,
        &[("content-type", "application/json; charset=utf-8")],
        r#"{"advance": 5}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        s.emulator.clock.now().0 - before.0,
        5_000,
        "only the JSON advance moved the clock"
    );
    // A bodiless POST (curl -X POST .../reset) is still fine.
    let a = request(addr, "POST", "/_emulator/reset", &host, &[], "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    s.shutdown().await;
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_and_its_preflight_answered() {
    let access = Access {
        allow_hosts: vec![],
        cors_origins: vec!["http://localhost:3000".into()],
    };
    let s = server(access, Limits::default()).await;
    let addr = s.addr;
    let host = addr.to_string();
    let ui = ("origin", "http://localhost:3000");
    let a = request(
        addr,
        "OPTIONS",
        "/",
        &host,
        &[
            ui,
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "x-amz-target,content-type"),
        ],
        "",
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.head);
    assert_eq!(
        a.header("access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );
    assert_eq!(
        a.header("access-control-allow-headers").as_deref(),
        Some("x-amz-target,content-type")
    );
    let a = request(addr, "POST", "/", &host, &[ui, ECS_JSON, ECS_LIST], "{}").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.header("access-control-allow-origin").as_deref(),
        Some("http://localhost:3000")
    );
    let a = request(
        addr,
        "POST",
        "/",
        &host,
        &[("origin", "http://localhost:3001"), ECS_JSON, ECS_LIST],
        "{}",
    )
    .await;
    assert_eq!(a.status, 403, "another origin: {}", a.body);
    s.shutdown().await;
}

fn quick_limits() -> Limits {
    Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(1),
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_slowloris_client_is_cut_off_at_the_header_timeout() {
    let s = server(Access::default(), quick_limits()).await;
    let mut c = TcpStream::connect(s.addr).await.expect("connect");
    let started = Instant::now();
    let head = format!(
        "GET /_emulator/health HTTP/1.1\r\nhost: {}\r\nx-slow: {}\r\n\r\n",
        s.addr,
        "a".repeat(40)
    );
    let mut closed = false;
    for b in head.as_bytes() {
        if c.write_all(&[*b]).await.is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(250), c.read(&mut buf)).await {
            // The server's only word is the close (no answer to headers that never completed).
            assert!(!String::from_utf8_lossy(&buf[..r.unwrap_or(0)]).contains("200 OK"));
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "the connection stayed open for the whole {} s trickle",
        started.elapsed().as_secs()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // Everyone else is still answered.
    let a = request(s.addr, "GET", "/_emulator/health", &s.addr.to_string(), &[], "").await;
    assert_eq!(a.status, 200);
    s.shutdown().await;
}

#[tokio::test]
async fn idle_connections_close_and_keep_alive_requests_still_work() {
    let s = server(Access::default(), quick_limits()).await;
    // Connected, never a byte: closed after the idle timeout.
    let mut c = TcpStream::connect(s.addr).await.expect("connect");
    let mut buf = [0u8; 64];
    let r = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf)).await;
    assert!(
        matches!(r, Ok(Ok(0)) | Ok(Err(_))),
        "an idle connection is closed: {r:?}"
    );
    // Two requests on one keep-alive connection, then quiet: closed.
    let mut c = TcpStream::connect(s.addr).await.expect("connect");
    for _ in 0..2 {
        let req = format!("GET /_emulator/health HTTP/1.1\r\nhost: {}\r\n\r\n", s.addr);
        c.write_all(req.as_bytes()).await.expect("write");
        let mut got = Vec::new();
        while !String::from_utf8_lossy(&got).contains("\"status\":\"ok\"") {
            let n = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf))
                .await
                .expect("answered")
                .expect("read");
            assert!(n > 0, "closed before answering");
            got.extend_from_slice(&buf[..n]);
        }
    }
    // The rest of the second answer, then the close.
    let mut rest = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut rest)).await;
    assert!(
        r.is_ok(),
        "a quiet keep-alive connection is closed after the idle timeout"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn broken_and_slow_bodies_are_answered_in_the_protocol() {
    let s = server(Access::default(), quick_limits()).await;
    let host = s.addr.to_string();
    // Chunked framing that is not hex.
    let req = format!(
        "POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-target: AmazonEC2ContainerServiceV20141113.ListClusters\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    let a = raw(s.addr, req.as_bytes()).await;
    assert_eq!(a.status, 400, "{}\n{}", a.head, a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).expect("a JSON error");
    assert_eq!(v["__type"], "SerializationException", "{v}");
    // A body that never finishes arriving: 408 after the body timeout, in awsQuery's shape.
    let mut c = TcpStream::connect(s.addr).await.expect("connect");
    let head = format!("POST / HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\nAction=Get");
    c.write_all(head.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut out))
        .await
        .expect("answered within the body timeout");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("<Code>RequestTimeout</Code>"), "{text}");
    s.shutdown().await;
}

/// A `cutover serve` process on a free port; the first line it prints is its URL.
fn spawn(prefix: &[&str], args: &[&str]) -> (Child, SocketAddr) {
    let bin = env!("CARGO_BIN_EXE_cutover");
    let mut cmd = match prefix.split_first() {
        Some((p, rest)) => {
            let mut c = Command::new(p);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let mut child = cmd
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
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn cutover");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let url = line
        .trim()
        .strip_prefix("ready http://")
        .expect("ready http://...")
        .to_owned();
    (child, url.parse().expect("an address"))
}

/// The test process itself needs room for thousands of sockets.
fn raise_own_fd_limit(want: u64) -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let cur = getrlimit(Resource::Nofile);
    let max = cur.maximum.unwrap_or(u64::MAX);
    let soft = want.min(max);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(soft),
            maximum: cur.maximum,
        },
    );
    getrlimit(Resource::Nofile).current.unwrap_or(soft)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_idle_connections_under_ulimit_1024_leave_health_answering() {
    let limit = raise_own_fd_limit(8192);
    let flood = 3000.min(limit.saturating_sub(200) as usize);
    assert!(flood >= 1500, "the test needs room for 1500 sockets, has {limit}");
    let (mut child, addr) = spawn(&["prlimit", "--nofile=1024:1024", "--"], &["--idle-timeout", "300"]);
    let mut idle = Vec::with_capacity(flood);
    for _ in 0..flood {
        match TcpStream::connect(addr).await {
            Ok(c) => idle.push(c),
            Err(e) => panic!("connect {} failed: {e}", idle.len()),
        }
    }
    // The flood is open (the kernel's backlog takes what the server has not accepted yet); the API
    // is answered all the same, several times over.
    for i in 0..5 {
        let a = request(addr, "GET", "/_emulator/health", &addr.to_string(), &[], "").await;
        assert_eq!(
            a.status, 200,
            "health call {i} with {flood} idle connections: {}",
            a.head
        );
        let a = request(addr, "POST", "/", &addr.to_string(), &[FORM], STS_FORM).await;
        assert_eq!(a.status, 200, "STS call {i}: {}", a.head);
    }
    drop(idle);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn sigterm_ends_the_server_while_a_client_holds_a_half_sent_request() {
    let (mut child, addr) = spawn(&[], &["--shutdown-grace", "2"]);
    let mut half = TcpStream::connect(addr).await.expect("connect");
    half.write_all(b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 50\r\n")
        .await
        .expect("write");
    let mut half_body = TcpStream::connect(addr).await.expect("connect");
    half_body
        .write_all(b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 50\r\n\r\nAction=")
        .await
        .expect("write");
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("still running 15 s after SIGTERM (grace 2 s)");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status:?}");
    let mut buf = [0u8; 16];
    let _ = tokio::time::timeout(Duration::from_secs(1), idle.read(&mut buf)).await;
    let _ = half.write_all(b"x").await;
}

/// A server with the data plane on and one load balancer whose listener answers a fixed response,
/// its idle timeout `idle_secs`; returns the server and the listener's local address.
async fn with_listener(limits: Limits, idle_secs: u32) -> (ServerHandle, SocketAddr) {
    use cutover::dispatch::handler;
    use cutover::model::Service;
    use cutover::services::Ctx;
    let options = ServeOptions {
        limits,
        ..ServeOptions::default()
    };
    let s = serve_with("127.0.0.1:0", Emulator::new(ClockMode::Manual), options)
        .await
        .expect("serve on a free port");
    let call = |op: &str, input: serde_json::Value| -> serde_json::Value {
        s.emulator.with_world(|w| match handler(Service::Elbv2, op) {
            Some(h) => h
                .call(w, &Ctx::internal(Service::Elbv2, "000000000000", "us-east-1"), input)
                .unwrap_or_else(|e| panic!("{op}: {e:?}")),
            _ => panic!("no handler {op}"),
        })
    };
    let subnets: Vec<String> = s.emulator.with_world(|w| {
        let f = match handler(Service::Ec2, "DescribeSubnets") {
            Some(h) => h,
            _ => panic!("DescribeSubnets"),
        };
        let out = f
            .call(
                w,
                &Ctx::internal(Service::Ec2, "000000000000", "us-east-1"),
                serde_json::json!({}),
            )
            .expect("DescribeSubnets");
        out["Subnets"]
            .as_array()
            .unwrap()
            .iter()
            .take(2)
            .map(|s| s["SubnetId"].as_str().unwrap().to_owned())
            .collect()
    });
    let lb = call(
        "CreateLoadBalancer",
        serde_json::json!({"Name": "slow-clients", "Subnets": subnets}),
    );
    let lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"].as_str().unwrap().to_owned();
    call(
        "ModifyLoadBalancerAttributes",
        serde_json::json!({"LoadBalancerArn": lb_arn,
            "Attributes": [{"Key": "idle_timeout.timeout_seconds", "Value": idle_secs.to_string()}]}),
    );
    let l = call(
        "CreateListener",
        serde_json::json!({"LoadBalancerArn": lb_arn, "Protocol": "HTTP", "Port": 80,
            "DefaultActions": [{"Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "200", "ContentType": "text/plain", "MessageBody": "hello"}}]}),
    );
    let arn = l["Listeners"][0]["ListenerArn"].as_str().unwrap().to_owned();
    // The load balancer turns active after its provisioning time.
    s.emulator.advance(600.0);
    let rt = s.alb.clone().expect("the data plane runs");
    rt.sync().await;
    let addr = rt.listener_addr(&arn).expect("the listener is bound");
    (s, addr)
}

/// Writes `head` a byte every 250 ms; true when the server closed the connection before the end.
async fn trickle_until_closed(addr: SocketAddr, head: &str) -> bool {
    let mut c = TcpStream::connect(addr).await.expect("connect");
    for b in head.as_bytes() {
        if c.write_all(&[*b]).await.is_err() {
            return true;
        }
        let mut buf = [0u8; 256];
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(250), c.read(&mut buf)).await {
            assert!(!String::from_utf8_lossy(&buf[..r.unwrap_or(0)]).contains("200 OK"));
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_balancer_listener_cuts_off_slow_headers_and_keeps_its_own_idle_timeout() {
    // The API's idle timeout is long; the load balancer's is 2 s, its header timeout the API's 1 s.
    let limits = Limits {
        header_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(300),
        ..Limits::default()
    };
    let (s, addr) = with_listener(limits, 2).await;
    let started = Instant::now();
    let head = format!("GET / HTTP/1.1\r\nhost: {addr}\r\nx-slow: {}\r\n\r\n", "a".repeat(40));
    assert!(
        trickle_until_closed(addr, &head).await,
        "the listener kept a trickling request open for {} s",
        started.elapsed().as_secs()
    );
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    // A quiet connection closes after the load balancer's idle timeout, not the API's.
    let mut c = TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let r = tokio::time::timeout(Duration::from_secs(10), c.read(&mut buf)).await;
    assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "idle listener connection: {r:?}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1500) && took < Duration::from_secs(6),
        "closed after {took:?}, the idle timeout is 2 s"
    );
    // The listener still answers.
    let a = raw(
        addr,
        format!("GET / HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!((a.status, a.body.as_str()), (200, "hello"));
    s.shutdown().await;
}

/// Every `<tag>value</tag>` of an XML answer, in order.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    xml.split(&open)
        .skip(1)
        .map(|rest| rest.split('<').next().unwrap_or_default().to_owned())
        .collect()
}

/// A child process that is killed when the test ends, failed or not.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_idle_connections_on_a_listener_under_ulimit_1024_leave_it_answering() {
    let limit = raise_own_fd_limit(8192);
    let flood = 3000.min(limit.saturating_sub(200) as usize);
    assert!(flood >= 1500, "the test needs room for 1500 sockets, has {limit}");
    let (child, addr) = spawn(&["prlimit", "--nofile=1024:1024", "--"], &[]);
    let _child = KillOnDrop(child);
    let host = addr.to_string();
    let query = |body: String| {
        let host = host.clone();
        async move {
            let a = request(addr, "POST", "/", &host, &[FORM], &body).await;
            assert_eq!(a.status, 200, "{body}: {}", a.body);
            a.body
        }
    };
    let subnets = query("Action=DescribeSubnets&Version=2016-11-15".into()).await;
    let subnets = xml_values(&subnets, "subnetId");
    let lb = query(format!(
        "Action=CreateLoadBalancer&Version=2015-12-01&Name=flooded&Subnets.member.1={}&Subnets.member.2={}",
        subnets[0], subnets[1]
    ))
    .await;
    let lb_arn = xml_values(&lb, "LoadBalancerArn").remove(0);
    let a = request(
        addr,
        "POST",
        "/_emulator/clock",
        &host,
        &[("content-type", "application/json")],
        r#"{"advance": 600}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let enc = |t: &str| form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>();
    query(format!(
        "Action=CreateListener&Version=2015-12-01&LoadBalancerArn={}&Protocol=HTTP&Port=80\
         &DefaultActions.member.1.Type=fixed-response\
         &DefaultActions.member.1.FixedResponseConfig.StatusCode=200\
         &DefaultActions.member.1.FixedResponseConfig.ContentType={}\
         &DefaultActions.member.1.FixedResponseConfig.MessageBody=hello",
        enc(&lb_arn),
        enc("text/plain")
    ))
    .await;
    // Where the listener serves, once the data plane has seen it.
    let mut listener: Option<SocketAddr> = None;
    for _ in 0..100 {
        let a = request(addr, "GET", "/_emulator/listeners", &host, &[], "").await;
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_default();
        listener = v[0]["address"].as_str().and_then(|s| s.parse().ok());
        if listener.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listener = listener.expect("the listener is bound");
    let mut idle = Vec::with_capacity(flood);
    for _ in 0..flood {
        match TcpStream::connect(listener).await {
            Ok(c) => idle.push(c),
            Err(e) => panic!("connect {} failed: {e}", idle.len()),
        }
    }
    for i in 0..5 {
        let a = request(listener, "GET", "/", &listener.to_string(), &[], "").await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (200, "hello"),
            "listener request {i} with {flood} idle connections: {}",
            a.head
        );
        let a = request(addr, "GET", "/_emulator/health", &host, &[], "").await;
        assert_eq!(a.status, 200, "health call {i}: {}", a.head);
    }
    drop(idle);
}
