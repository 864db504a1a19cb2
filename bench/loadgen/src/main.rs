//! `loadgen`: a small closed-loop HTTP/1.1 load generator for the cutover benchmarks.
//!
//! C connections each send one request at a time (keep-alive; a connection the server closes is
//! reopened and counted as a reconnect) for a fixed duration after a warm-up, bounded by a request
//! cap and a per-request timeout, so it always stops by itself. The AWS requests are the
//! form-encoded awsQuery requests botocore sends, with a SigV4-shaped `Authorization` header whose
//! credential scope names the service (neither cutover nor moto checks the signature).
//!
//! A response counts as OK only if its status is 200; anything else is counted by status, and
//! transport failures and timeouts are counted separately. The result is printed as one JSON
//! object on standard output (and a human summary on standard error).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

const USAGE: &str = "\
loadgen: closed-loop HTTP load generator for the cutover benchmarks

USAGE:
    loadgen --url http://HOST:PORT --op OP [options]

OP:
    sts-get-caller-identity   POST / Action=GetCallerIdentity (awsQuery, STS scope)
    iam-get-role              POST / Action=GetRole&RoleName=ROLE (awsQuery, IAM scope)
    iam-create-role           POST / Action=CreateRole&RoleName=ROLE&AssumeRolePolicyDocument=...
    get:/PATH                 GET /PATH (e.g. get:/_emulator/health)

OPTIONS:
    -c, --connections N   concurrent keep-alive connections (default 8)
    -d, --duration SECS   measured duration in seconds (default 8)
    -w, --warmup SECS     warm-up before measuring, not counted (default 1)
    -n, --max-requests N  stop after N requests in total, warm-up included (default 5000000)
    --timeout SECS        per-request timeout (default 5)
    --threads N           client runtime worker threads (default 1)
    --role-name NAME      role for the IAM operations (default bench-role)
    --tg-arn ARN          target group for elbv2-describe-target-health
    --once                send one request, print the status and body, exit 0 if it was 200
";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    StsGetCallerIdentity,
    IamGetRole,
    IamCreateRole,
    Get,
    EcsDescribeServices,
    Elbv2DescribeTargetHealth,
}

struct Config {
    host: String,
    port: u16,
    op: Op,
    op_name: String,
    path: String,
    body: Bytes,
    service: &'static str,
    connections: usize,
    duration: Duration,
    warmup: Duration,
    max_requests: u64,
    timeout: Duration,
    threads: usize,
    once: bool,
}

/// Percent-encodes like botocore's query serializer (`quote(value, safe='-_.~')`).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--url must start with http:// (got '{url}')"))?;
    let hostport = rest.split('/').next().unwrap_or("");
    let (host, port) = hostport
        .rsplit_once(':')
        .ok_or_else(|| format!("--url needs an explicit port (got '{url}')"))?;
    let port: u16 = port.parse().map_err(|_| format!("bad port in --url '{url}'"))?;
    Ok((host.to_owned(), port))
}

fn parse_args(args: &[String]) -> Result<Config, String> {
    let mut url = None;
    let mut op = None;
    let mut connections = 8usize;
    let mut duration = 8.0f64;
    let mut warmup = 1.0f64;
    let mut max_requests = 5_000_000u64;
    let mut timeout = 5.0f64;
    let mut threads = 1usize;
    let mut role = "bench-role".to_owned();
    let mut tg_arn = String::new();
    let mut once = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T, String> {
            v.parse().map_err(|_| format!("{name}: '{v}' is not a valid number"))
        }
        match a.as_str() {
            "--url" => url = Some(value("--url")?),
            "--op" => op = Some(value("--op")?),
            "-c" | "--connections" => connections = num("--connections", value("--connections")?)?,
            "-d" | "--duration" => duration = num("--duration", value("--duration")?)?,
            "-w" | "--warmup" => warmup = num("--warmup", value("--warmup")?)?,
            "-n" | "--max-requests" => max_requests = num("--max-requests", value("--max-requests")?)?,
            "--timeout" => timeout = num("--timeout", value("--timeout")?)?,
            "--threads" => threads = num("--threads", value("--threads")?)?,
            "--role-name" => role = value("--role-name")?,
            "--tg-arn" => tg_arn = value("--tg-arn")?,
            "--once" => once = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let url = url.ok_or("--url is required")?;
    let op_name = op.ok_or("--op is required")?;
    let (host, port) = parse_url(&url)?;
    if connections == 0 || threads == 0 {
        return Err("--connections and --threads must be at least 1".into());
    }
    for (name, v) in [("--duration", duration), ("--warmup", warmup), ("--timeout", timeout)] {
        if !(0.0..=3600.0).contains(&v) {
            return Err(format!("{name} must be between 0 and 3600 seconds"));
        }
    }
    let role_enc = encode(&role);
    let (op, path, body, service) = match op_name.as_str() {
        "sts-get-caller-identity" => (
            Op::StsGetCallerIdentity,
            "/".to_owned(),
            "Action=GetCallerIdentity&Version=2011-06-15".to_owned(),
            "sts",
        ),
        "iam-get-role" => (
            Op::IamGetRole,
            "/".to_owned(),
            format!("Action=GetRole&Version=2010-05-08&RoleName={role_enc}"),
            "iam",
        ),
        "iam-create-role" => {
            let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
            (
                Op::IamCreateRole,
                "/".to_owned(),
                format!(
                    "Action=CreateRole&Version=2010-05-08&RoleName={role_enc}&AssumeRolePolicyDocument={}",
                    encode(doc)
                ),
                "iam",
            )
        }
        "ecs-describe-services" => (
            Op::EcsDescribeServices,
            "/".to_owned(),
            r#"{"cluster": "bench", "services": ["bench"]}"#.to_owned(),
            "ecs",
        ),
        "elbv2-describe-target-health" => (
            Op::Elbv2DescribeTargetHealth,
            "/".to_owned(),
            format!(
                "Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn={}",
                encode(&tg_arn)
            ),
            "elasticloadbalancing",
        ),
        other => match other.strip_prefix("get:") {
            Some(p) if p.starts_with('/') => (Op::Get, p.to_owned(), String::new(), ""),
            _ => return Err(format!("unknown --op '{other}'")),
        },
    };
    Ok(Config {
        host,
        port,
        op,
        op_name,
        path,
        body: Bytes::from(body),
        service,
        connections,
        duration: Duration::from_secs_f64(duration),
        warmup: Duration::from_secs_f64(warmup),
        max_requests,
        timeout: Duration::from_secs_f64(timeout),
        threads,
        once,
    })
}

const USER_AGENT: &str = "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.43.11";
const SIGNATURE: &str = "0d1c00a80fd3dc71577283339ad8dc7c591ecc8a8894b50ce682e455fea247a4";

fn build_request(cfg: &Config, host_header: &str, seq: u64) -> Result<Request<Full<Bytes>>, String> {
    let mut b = Request::builder().uri(cfg.path.as_str()).header("host", host_header);
    if cfg.op == Op::EcsDescribeServices {
        b = b.header("x-amz-target", "AmazonEC2ContainerServiceV20141113.DescribeServices");
    }
    let req = if cfg.op == Op::Get {
        b.method("GET")
            .header("user-agent", "loadgen")
            .body(Full::new(Bytes::new()))
    } else {
        // The headers botocore 1.43 sends for an awsQuery (or awsJson 1.1) call, in its order.
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{}/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={SIGNATURE}",
            cfg.service
        );
        b.method("POST")
            .header("accept-encoding", "identity")
            .header(
                "content-type",
                if cfg.op == Op::EcsDescribeServices {
                    "application/x-amz-json-1.1"
                } else {
                    "application/x-www-form-urlencoded; charset=utf-8"
                },
            )
            .header("user-agent", USER_AGENT)
            .header("x-amz-date", "20250101T000000Z")
            .header("authorization", auth)
            .header(
                "amz-sdk-invocation-id",
                format!("00000000-0000-4000-8000-{:012x}", seq & 0xffff_ffff_ffff),
            )
            .header("amz-sdk-request", "attempt=1")
            .header("content-length", cfg.body.len())
            .body(Full::new(cfg.body.clone()))
    };
    req.map_err(|e| format!("cannot build the request: {e}"))
}

type Sender = SendRequest<Full<Bytes>>;

async fn connect(cfg: &Config) -> Result<Sender, String> {
    let stream = TcpStream::connect((cfg.host.as_str(), cfg.port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// Result of one request: status, body, whether a new connection had to be opened.
struct Answer {
    status: u16,
    body: Bytes,
    reconnected: bool,
}

async fn one(cfg: &Config, host_header: &str, sender: &mut Option<Sender>, seq: u64) -> Result<Answer, String> {
    let mut reconnected = false;
    let reusable = match sender.as_mut() {
        Some(s) if !s.is_closed() => s.ready().await.is_ok(),
        _ => false,
    };
    if !reusable {
        *sender = Some(connect(cfg).await?);
        reconnected = true;
    }
    let s = sender.as_mut().ok_or("no connection")?;
    let req = build_request(cfg, host_header, seq)?;
    let resp = s.send_request(req).await.map_err(|e| format!("send: {e}"))?;
    let status = resp.status().as_u16();
    let close = resp
        .headers()
        .get(hyper::header::CONNECTION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    if close {
        *sender = None;
    }
    Ok(Answer {
        status,
        body,
        reconnected,
    })
}

#[derive(Default)]
struct Stats {
    /// Latencies in microseconds of measured requests that got a response.
    latencies_us: Vec<u32>,
    ok: u64,
    statuses: BTreeMap<u16, u64>,
    transport_errors: u64,
    timeouts: u64,
    reconnects: u64,
    first_error: Option<String>,
}

async fn worker(cfg: Arc<Config>, id: usize, start: Instant, issued: Arc<AtomicU64>) -> Stats {
    let host_header = format!("{}:{}", cfg.host, cfg.port);
    let warm_end = start + cfg.warmup;
    let end = warm_end + cfg.duration;
    let mut st = Stats::default();
    let mut sender: Option<Sender> = None;
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let seq = issued.fetch_add(1, Ordering::Relaxed);
        if seq >= cfg.max_requests {
            break;
        }
        let res = tokio::time::timeout(cfg.timeout, one(&cfg, &host_header, &mut sender, seq)).await;
        let dt = t0.elapsed();
        let measured = t0 >= warm_end;
        match res {
            Ok(Ok(a)) => {
                if !measured {
                    continue;
                }
                st.latencies_us.push(u32::try_from(dt.as_micros()).unwrap_or(u32::MAX));
                *st.statuses.entry(a.status).or_default() += 1;
                if a.reconnected {
                    st.reconnects += 1;
                }
                if a.status == 200 {
                    st.ok += 1;
                } else if st.first_error.is_none() {
                    let body = String::from_utf8_lossy(&a.body);
                    st.first_error = Some(format!(
                        "status {}: {}",
                        a.status,
                        body.chars().take(300).collect::<String>()
                    ));
                }
            }
            Ok(Err(e)) => {
                sender = None;
                if measured {
                    st.transport_errors += 1;
                    st.first_error.get_or_insert(e);
                }
            }
            Err(_) => {
                sender = None;
                if measured {
                    st.timeouts += 1;
                    st.first_error
                        .get_or_insert_with(|| format!("timeout after {:?} on connection {id}", cfg.timeout));
                }
            }
        }
    }
    st
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted.len()) - 1;
    f64::from(sorted[idx]) / 1000.0
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

async fn run_once(cfg: Arc<Config>) -> ExitCode {
    let host_header = format!("{}:{}", cfg.host, cfg.port);
    let mut sender = None;
    match tokio::time::timeout(cfg.timeout, one(&cfg, &host_header, &mut sender, 0)).await {
        Ok(Ok(a)) => {
            println!("{}", a.status);
            println!("{}", String::from_utf8_lossy(&a.body));
            if a.status == 200 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Ok(Err(e)) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!("loadgen: timeout after {:?}", cfg.timeout);
            ExitCode::from(2)
        }
    }
}

async fn run_load(cfg: Arc<Config>) -> ExitCode {
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..cfg.connections)
        .map(|i| tokio::spawn(worker(cfg.clone(), i, start, issued.clone())))
        .collect();
    let mut total = Stats::default();
    for h in handles {
        match h.await {
            Ok(s) => {
                total.latencies_us.extend_from_slice(&s.latencies_us);
                total.ok += s.ok;
                for (k, v) in s.statuses {
                    *total.statuses.entry(k).or_default() += v;
                }
                total.transport_errors += s.transport_errors;
                total.timeouts += s.timeouts;
                total.reconnects += s.reconnects;
                if total.first_error.is_none() {
                    total.first_error = s.first_error;
                }
            }
            Err(e) => {
                total.transport_errors += 1;
                total.first_error.get_or_insert_with(|| format!("worker failed: {e}"));
            }
        }
    }
    // The measured window ends when the last request started before the deadline finished.
    let elapsed = start.elapsed().saturating_sub(cfg.warmup).as_secs_f64().max(1e-9);
    let window = elapsed
        .min(cfg.duration.as_secs_f64() + cfg.timeout.as_secs_f64())
        .max(1e-9);
    total.latencies_us.sort_unstable();
    let answered = total.latencies_us.len() as u64;
    let non_200 = answered - total.ok;
    let errors = non_200 + total.transport_errors + total.timeouts;
    let rps = answered as f64 / window;
    let ok_rps = total.ok as f64 / window;
    let p50 = percentile(&total.latencies_us, 50.0);
    let p99 = percentile(&total.latencies_us, 99.0);
    let max = percentile(&total.latencies_us, 100.0);
    let statuses: Vec<String> = total.statuses.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    let capped = issued.load(Ordering::Relaxed) >= cfg.max_requests;
    println!(
        "{{\"op\":{},\"url\":{},\"connections\":{},\"client_threads\":{},\"warmup_s\":{},\"duration_s\":{:.3},\"capped\":{},\"answered\":{},\"ok\":{},\"non_200\":{},\"transport_errors\":{},\"timeouts\":{},\"errors\":{},\"reconnects\":{},\"rps\":{:.1},\"ok_rps\":{:.1},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3},\"statuses\":{{{}}},\"first_error\":{}}}",
        json_str(&cfg.op_name),
        json_str(&format!("http://{}:{}{}", cfg.host, cfg.port, cfg.path)),
        cfg.connections,
        cfg.threads,
        cfg.warmup.as_secs_f64(),
        window,
        capped,
        answered,
        total.ok,
        non_200,
        total.transport_errors,
        total.timeouts,
        errors,
        total.reconnects,
        rps,
        ok_rps,
        p50,
        p99,
        max,
        statuses.join(","),
        total.first_error.as_deref().map(json_str).unwrap_or_else(|| "null".into()),
    );
    eprintln!(
        "loadgen {} c={} {:.1}s: {answered} answered ({} ok, {non_200} non-200, {} transport errors, {} timeouts), {rps:.0} req/s, p50 {p50:.3} ms, p99 {p99:.3} ms, {} reconnects",
        cfg.op_name, cfg.connections, window, total.ok, total.transport_errors, total.timeouts, total.reconnects
    );
    if answered == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = match parse_args(&args) {
        Ok(c) => Arc::new(c),
        Err(e) if e.is_empty() => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("loadgen: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = if cfg.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cfg.threads)
            .enable_all()
            .build()
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    if cfg.once {
        rt.block_on(run_once(cfg))
    } else {
        rt.block_on(run_load(cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_botocore() {
        assert_eq!(encode("a b/c:{\"x\"}-_.~"), "a%20b%2Fc%3A%7B%22x%22%7D-_.~");
    }

    #[test]
    fn percentiles_pick_the_nearest_rank() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn builds_the_sts_request_botocore_sends() {
        let args: Vec<String> = ["--url", "http://127.0.0.1:4566", "--op", "sts-get-caller-identity"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cfg = parse_args(&args).unwrap();
        let req = build_request(&cfg, "127.0.0.1:4566", 7).unwrap();
        assert_eq!(req.method(), "POST");
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sts/aws4_request, "));
        assert_eq!(req.headers()["content-length"], "43");
        assert_eq!(
            cfg.body,
            Bytes::from_static(b"Action=GetCallerIdentity&Version=2011-06-15")
        );
    }

    #[test]
    fn rejects_bad_arguments() {
        let a = |v: &[&str]| parse_args(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(a(&["--url", "https://x:1", "--op", "iam-get-role"]).is_err());
        assert!(a(&["--url", "http://x", "--op", "iam-get-role"]).is_err());
        assert!(a(&["--url", "http://x:1", "--op", "nope"]).is_err());
        assert!(a(&["--url", "http://x:1", "--op", "iam-get-role", "-c", "0"]).is_err());
    }
}
