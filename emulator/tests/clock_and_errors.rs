//! The clock stays within what every SDK parses, reset puts it back, and every error the server
//! sends before (or instead of) an operation is in the protocol the request spoke. Real HTTP to
//! a server on a free loopback port, requests written by hand as a client (or a broken client)
//! sends them.

use cutover::server::{serve_with, ServeOptions, ServerHandle};
use cutover::sim::{ClockMode, SimTime};
use cutover::Emulator;
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const START: SimTime = SimTime(1_700_000_000_000);
const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");

async fn server(mode: ClockMode) -> ServerHandle {
    serve_with(
        "127.0.0.1:0",
        Emulator::starting_at(mode, START),
        ServeOptions {
            alb: None,
            ..Default::default()
        },
    )
    .await
    .expect("serve on a free port")
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The text of the first `<name>` element.
    fn xml(&self, name: &str) -> Option<&str> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))?;
        Some(&self.body[start..start + end])
    }
}

/// One HTTP/1.1 request; `declared` overrides the Content-Length (and then no body is sent).
async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    declared: Option<u64>,
) -> Answer {
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\n\r\n",
        declared.unwrap_or(body.len() as u64)
    ));
    let mut data = head.into_bytes();
    if declared.is_none() {
        data.extend_from_slice(body);
    }
    let io = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let _ = s.write_all(&data).await;
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        out
    };
    let out = tokio::time::timeout(Duration::from_secs(30), io)
        .await
        .expect("the server answers (no hang)");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete HTTP answer");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_owned(),
    }
}

async fn clock(addr: SocketAddr, body: &str) -> Answer {
    send(
        addr,
        "POST",
        "/_emulator/clock",
        &[("content-type", "application/json")],
        body.as_bytes(),
        None,
    )
    .await
}

async fn now(addr: SocketAddr) -> f64 {
    let a = send(addr, "GET", "/_emulator/clock", &[], b"", None).await;
    a.json()["now"].as_f64().expect("now")
}

#[tokio::test]
async fn an_absurd_advance_is_refused_and_moves_nothing() {
    let srv = server(ClockMode::Manual).await;
    let addr = srv.addr;
    let t0 = now(addr).await;
    let to_max = (SimTime::MAX.0 - START.0) as f64 / 1000.0;
    for body in [
        r#"{"advance": 1e300}"#.to_owned(),
        r#"{"advance": NaN}"#.to_owned(),
        r#"{"advance": "NaN"}"#.to_owned(),
        r#"{"advance": "60"}"#.to_owned(),
        r#"{"advance": -1}"#.to_owned(),
        r#"{"advance": -0.001}"#.to_owned(),
        format!(r#"{{"advance": {}}}"#, to_max + 1.0),
        r#"{"advance": 1e300, "mode": "real"}"#.to_owned(),
    ] {
        let a = clock(addr, &body).await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        let field = a.json()["field"].as_str().map(str::to_owned);
        assert!(
            field.as_deref() == Some("advance") || field.as_deref() == Some("body"),
            "{body}: {}",
            a.body
        );
        assert_eq!(now(addr).await, t0, "{body} moved the clock");
        let mode = send(addr, "GET", "/_emulator/clock", &[], b"", None).await.json()["mode"].clone();
        assert_eq!(mode, "manual", "{body} changed the mode");
    }
    // Up to the last moment of year 9999 is fine; not a millisecond further.
    let a = clock(addr, &format!(r#"{{"advance": {to_max}}}"#)).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["now"].as_f64(), Some(SimTime::MAX.as_secs_f64()));
    let a = clock(addr, r#"{"advance": 0.001}"#).await;
    assert_eq!(a.status, 400, "{}", a.body);
    let a = clock(addr, r#"{"advance": 0}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // A call still answers with timestamps an SDK parses (year 9999 at most).
    let a = send(
        addr,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "Logs_20140328.CreateLogGroup"),
        ],
        br#"{"logGroupName":"late"}"#,
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    srv.shutdown().await;
}

#[tokio::test]
async fn reset_puts_a_manual_clock_back_to_its_start() {
    let srv = server(ClockMode::Manual).await;
    let addr = srv.addr;
    assert_eq!(now(addr).await, START.as_secs_f64());
    let a = clock(addr, r#"{"advance": 86400}"#).await;
    assert_eq!(a.status, 200);
    assert_eq!(now(addr).await, START.as_secs_f64() + 86400.0);
    let a = send(addr, "POST", "/_emulator/reset", &[], b"", None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(now(addr).await, START.as_secs_f64(), "reset goes back to the start");
    let c = send(addr, "GET", "/_emulator/clock", &[], b"", None).await.json();
    assert_eq!(c["mode"], "manual", "reset keeps the mode");
    // Resources made after the reset carry the start time.
    let a = send(
        addr,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "Logs_20140328.CreateLogGroup"),
        ],
        br#"{"logGroupName":"after-reset"}"#,
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = send(
        addr,
        "POST",
        "/",
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "Logs_20140328.DescribeLogGroups"),
        ],
        b"{}",
        None,
    )
    .await;
    assert_eq!(
        a.json()["logGroups"][0]["creationTime"].as_i64(),
        Some(START.0),
        "{}",
        a.body
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn reset_puts_a_real_clock_back_to_the_wall_clock() {
    let srv = serve_with(
        "127.0.0.1:0",
        Emulator::new(ClockMode::Real),
        ServeOptions {
            alb: None,
            ..Default::default()
        },
    )
    .await
    .expect("serve on a free port");
    let addr = srv.addr;
    let a = clock(addr, r#"{"advance": 864000}"#).await;
    assert_eq!(a.status, 200);
    let ahead = now(addr).await;
    let a = send(addr, "POST", "/_emulator/reset", &[], b"", None).await;
    assert_eq!(a.status, 200);
    let back = now(addr).await;
    assert!(back < ahead - 86400.0, "reset went back from {ahead} (got {back})");
    srv.shutdown().await;
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[tokio::test]
async fn errors_before_the_operation_are_in_the_callers_protocol() {
    let srv = server(ClockMode::Manual).await;
    let addr = srv.addr;
    let iam_auth =
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0";
    let ecs = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
    ];

    // 413 on a declared length over the limit, answered at once, in each protocol.
    let a = send(addr, "POST", "/", &[FORM], b"", Some(100_000_000)).await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert!(a.header("content-type").unwrap_or("").contains("xml"), "{}", a.body);
    assert_eq!(a.xml("Code"), Some("RequestEntityTooLarge"), "{}", a.body);
    let a = send(
        addr,
        "POST",
        "/?Action=DescribeVpcs&Version=2016-11-15",
        &[],
        b"",
        Some(100_000_000),
    )
    .await;
    assert_eq!(
        (a.status, a.xml("Code")),
        (413, Some("RequestEntityTooLarge")),
        "{}",
        a.body
    );
    assert!(a.body.contains("<Response><Errors><Error>"), "EC2's shape: {}", a.body);
    let a = send(addr, "POST", "/", &ecs, b"", Some(100_000_000)).await;
    assert_eq!(a.status, 413);
    assert_eq!(a.json()["__type"], "RequestEntityTooLargeException");
    let a = send(
        addr,
        "POST",
        "/2015-03-31/functions/f/invocations",
        &[],
        b"",
        Some(100_000_000),
    )
    .await;
    assert_eq!(a.status, 413);
    assert_eq!(a.header("x-amzn-errortype"), Some("RequestTooLargeException"));

    // A gzip body over the limit once inflated: 413, in the protocol.
    let bomb = gzip(&vec![b'a'; 80 * 1024 * 1024]);
    let a = send(
        addr,
        "POST",
        "/",
        &[FORM, ("content-encoding", "gzip"), ("authorization", iam_auth)],
        &bomb,
        None,
    )
    .await;
    assert_eq!(
        (a.status, a.xml("Code")),
        (413, Some("RequestEntityTooLarge")),
        "{}",
        a.body
    );

    // A body that is not the gzip it says it is.
    let a = send(
        addr,
        "POST",
        "/",
        &[FORM, ("content-encoding", "gzip"), ("authorization", iam_auth)],
        b"Action=ListRoles&Version=2010-05-08",
        None,
    )
    .await;
    assert_eq!((a.status, a.xml("Code")), (400, Some("MalformedInput")), "{}", a.body);
    assert_eq!(a.xml("Type"), Some("Sender"));
    let a = send(
        addr,
        "POST",
        "/",
        &[ecs[0], ecs[1], ("content-encoding", "gzip")],
        b"{}",
        None,
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["__type"], "SerializationException");

    // Missing and unknown actions.
    let a = send(addr, "POST", "/", &[FORM], b"Version=2010-05-08", None).await;
    assert_eq!((a.status, a.xml("Code")), (400, Some("MissingAction")), "{}", a.body);
    let a = send(addr, "POST", "/", &[FORM], b"", None).await;
    assert_eq!((a.status, a.xml("Code")), (400, Some("MissingAction")), "{}", a.body);
    let a = send(addr, "POST", "/", &[FORM], b"Action=&Version=2010-05-08", None).await;
    assert_eq!((a.status, a.xml("Code")), (400, Some("MissingAction")), "{}", a.body);
    let a = send(
        addr,
        "POST",
        "/",
        &[FORM, ("authorization", iam_auth)],
        b"RoleName=x",
        None,
    )
    .await;
    assert_eq!((a.status, a.xml("Code")), (400, Some("MissingAction")), "{}", a.body);
    let a = send(addr, "POST", "/", &[FORM], b"Action=NoSuchThing", None).await;
    assert_eq!((a.status, a.xml("Code")), (400, Some("InvalidAction")), "{}", a.body);
    let a = send(
        addr,
        "POST",
        "/",
        &[FORM],
        b"Action=NoSuchThing&Version=2010-05-08",
        None,
    )
    .await;
    assert_eq!((a.status, a.xml("Code")), (400, Some("InvalidAction")), "{}", a.body);
    let a = send(
        addr,
        "POST",
        "/",
        &[
            ecs[0],
            ("x-amz-target", "AmazonEC2ContainerServiceV20141113.NoSuchThing"),
        ],
        b"{}",
        None,
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["__type"], "UnknownOperationException");

    // List members numbered other than 1..N.
    for body in [
        "Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys.member.2=b",
        "Action=UntagRole&Version=2010-05-08&RoleName=r&TagKeys.member.0=a",
    ] {
        let a = send(addr, "POST", "/", &[FORM], body.as_bytes(), None).await;
        assert_eq!(
            (a.status, a.xml("Code")),
            (400, Some("MalformedInput")),
            "{body}: {}",
            a.body
        );
    }
    let a = send(
        addr,
        "POST",
        "/",
        &[FORM],
        b"Action=DescribeVpcs&Version=2016-11-15&VpcId.2=vpc-1",
        None,
    )
    .await;
    assert_eq!(
        (a.status, a.xml("Code")),
        (400, Some("InvalidParameterValue")),
        "{}",
        a.body
    );

    // A region AWS does not have.
    let fake = |svc: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=test/20240101/xx-fake-1/{svc}/aws4_request, SignedHeaders=host, Signature=0"
        )
    };
    let a = send(
        addr,
        "POST",
        "/",
        &[FORM, ("authorization", &fake("sts"))],
        b"Action=GetCallerIdentity&Version=2011-06-15",
        None,
    )
    .await;
    assert_eq!(
        (a.status, a.xml("Code")),
        (403, Some("SignatureDoesNotMatch")),
        "{}",
        a.body
    );
    assert!(a.body.contains("xx-fake-1"), "{}", a.body);
    let a = send(
        addr,
        "POST",
        "/",
        &[ecs[0], ecs[1], ("authorization", &fake("ecs"))],
        b"{}",
        None,
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.json()["__type"], "InvalidSignatureException");
    let a = send(
        addr,
        "GET",
        "/2015-03-31/functions/",
        &[("authorization", &fake("lambda"))],
        b"",
        None,
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.header("x-amzn-errortype"), Some("InvalidSignatureException"));
    let a = send(
        addr,
        "POST",
        "/",
        &[FORM, ("authorization", &fake("ec2"))],
        b"Action=DescribeVpcs&Version=2016-11-15",
        None,
    )
    .await;
    assert_eq!((a.status, a.xml("Code")), (403, Some("AuthFailure")), "{}", a.body);
    // Nothing was made in the fake region.
    let made = srv
        .emulator
        .with_world(|w| w.accounts.values().any(|a| a.regions.contains_key("xx-fake-1")));
    assert!(!made, "a refused region gets no state");
    srv.shutdown().await;
}

#[tokio::test]
async fn whatever_the_clock_is_sent_it_stays_within_year_9999() {
    use rand::{Rng, SeedableRng};
    let srv = server(ClockMode::Manual).await;
    let addr = srv.addr;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(9999);
    let numbers = [
        "0",
        "1",
        "-1",
        "1e300",
        "-1e300",
        "1e-300",
        "253402300799",
        "2e11",
        "3e11",
        "60.5",
        "\"60\"",
        "null",
        "true",
        "[]",
        "{}",
        "1e309",
        "NaN",
    ];
    for _ in 0..300 {
        let mut fields = Vec::new();
        if rng.gen_bool(0.7) {
            fields.push(format!("\"advance\": {}", numbers[rng.gen_range(0..numbers.len())]));
        }
        if rng.gen_bool(0.3) {
            let mode = ["\"manual\"", "\"real\"", "\"scaled\"", "\"fast\"", "7"][rng.gen_range(0..5)];
            fields.push(format!("\"mode\": {mode}"));
            fields.push(format!("\"scale\": {}", numbers[rng.gen_range(0..numbers.len())]));
        }
        let body = format!("{{{}}}", fields.join(", "));
        let a = clock(addr, &body).await;
        assert!(a.status == 200 || a.status == 400, "{body}: {} {}", a.status, a.body);
        let c = send(addr, "GET", "/_emulator/clock", &[], b"", None).await.json();
        let now = c["now"].as_f64().expect("a number");
        assert!(
            now.is_finite() && now >= START.as_secs_f64() && now <= SimTime::MAX.as_secs_f64(),
            "{body}: now {now}"
        );
    }
    srv.shutdown().await;
}
