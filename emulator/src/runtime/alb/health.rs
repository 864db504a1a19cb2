//! Real HTTP health checks.
//!
//! Each target of a target group that a listener uses (not draining, checks enabled) gets one
//! `GET <HealthCheckPath>` per `HealthCheckIntervalSeconds` of SIMULATED time to what really
//! answers for the target: a built-in stand-in is asked in-process (it has no socket; the outcomes
//! of one round are recorded under one world lock), a process backend gets a real HTTP request on
//! its loopback port with the group's timeout (in wall time, divided by the clock's scale, at
//! least 0.5 s); a target nothing answers for fails. A check passes when the status matches the group's
//! `Matcher` (`"200"`, `"200,202"`, `"200-299"`). The outcome is recorded on the target in the world
//! ([`elbv2::record_health_probe`]); the simulation's own scheduled health-check events apply the
//! thresholds and move the target between `initial`, `healthy` and `unhealthy`, so states only
//! change on the clock and a manual-clock run sees the same transitions for the same answers.

use super::standin::Backend;
use super::Runtime;
use crate::services::elbv2::TargetState;
use crate::sim::SimTime;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

type Key = (String, String, u16);

/// Whether `status` satisfies an ALB `HttpCode` matcher.
pub fn matches(matcher: &str, status: u16) -> bool {
    matcher
        .split(',')
        .map(str::trim)
        .any(|part| match part.split_once('-') {
            Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
                (Ok(a), Ok(b)) => (a..=b).contains(&status),
                _ => false,
            },
            None => part.parse::<u16>() == Ok(status),
        })
}

/// One check: `Ok(status)` or an error (refused, timed out).
async fn probe(addr: SocketAddr, host: &str, path: &str, timeout: Duration) -> Result<u16, String> {
    let fut = async {
        let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let req = http::Request::get(path)
            .header("host", host)
            .header("user-agent", "ELB-HealthChecker/2.0")
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let _ = resp.into_body().collect().await;
        Ok(status)
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err("Request timed out".into()),
    }
}

fn log(key: &Key, detail: &str, pass: bool) {
    crate::debug!(
        "health check {}:{} of {}: {detail} ({})",
        key.1,
        key.2,
        key.0,
        if pass { "pass" } else { "fail" }
    );
}

/// Runs until aborted: every 100 ms (wall), starts the checks that are due on the simulated clock.
pub async fn run(rt: Arc<Runtime>) {
    let mut due: HashMap<Key, SimTime> = HashMap::new();
    let in_flight: Arc<std::sync::Mutex<HashSet<Key>>> = Arc::default();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let view = rt.view();
        let now = rt.em.clock.now();
        let scale = rt.em.clock.mode().scale();
        let mut seen: HashSet<Key> = HashSet::new();
        // Outcomes of the checks answered in-process, recorded together under one world lock.
        let mut done: Vec<(crate::world::PartitionKey, Key, bool)> = Vec::new();
        for g in view.groups.values() {
            let hc = &g.health_check;
            if !hc.enabled {
                continue;
            }
            for t in &g.targets {
                if !matches!(
                    t.state,
                    TargetState::Initial | TargetState::Healthy | TargetState::Unhealthy
                ) {
                    continue;
                }
                let key: Key = (g.arn.clone(), t.id.clone(), t.port);
                seen.insert(key.clone());
                let at = *due.entry(key.clone()).or_insert(now);
                if now < at || in_flight.lock().unwrap_or_else(|p| p.into_inner()).contains(&key) {
                    continue;
                }
                due.insert(key.clone(), now.plus_secs(hc.interval.max(1) as f64));
                let hc_port = match hc.port.as_deref() {
                    None | Some("traffic-port") => t.port,
                    Some(p) => p.parse().unwrap_or(t.port),
                };
                let path = hc.path.clone().unwrap_or_else(|| "/".into());
                let matcher = hc
                    .matcher
                    .as_ref()
                    .and_then(|m| m.http_code.as_deref())
                    .unwrap_or("200");
                let addr = match view.backends.get(&(t.id.clone(), hc_port)) {
                    Some(Backend::Tcp(addr)) => *addr,
                    Some(Backend::Local(local)) => {
                        let status = local.health_status(&view, &path);
                        let pass = matches(matcher, status);
                        log(&key, &format!("HTTP {status} (in-process)"), pass);
                        done.push((g.partition.clone(), key, pass));
                        continue;
                    }
                    None => {
                        log(&key, "no process answers for this target", false);
                        done.push((g.partition.clone(), key, false));
                        continue;
                    }
                };
                let matcher = matcher.to_owned();
                let wall = if scale > 0.0 {
                    hc.timeout as f64 / scale
                } else {
                    hc.timeout as f64
                };
                let timeout = Duration::from_secs_f64(wall.clamp(0.5, hc.timeout.max(1) as f64));
                let partition = g.partition.clone();
                let host = format!("{}:{}", t.id, hc_port);
                let rt2 = rt.clone();
                let flight = in_flight.clone();
                flight.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone());
                tokio::spawn(async move {
                    let outcome = probe(addr, &host, &path, timeout).await;
                    let pass = matches!(outcome, Ok(s) if matches(&matcher, s));
                    let detail = match &outcome {
                        Ok(s) => format!("HTTP {s}"),
                        Err(e) => e.clone(),
                    };
                    log(&key, &detail, pass);
                    rt2.em.with_world(|w| {
                        crate::lifecycle::edges::record_health_probe(
                            w,
                            &partition,
                            &key.0,
                            &key.1,
                            i64::from(key.2),
                            pass,
                        );
                    });
                    flight.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
                });
            }
        }
        if !done.is_empty() {
            rt.em.with_world(|w| {
                for (partition, key, pass) in &done {
                    crate::lifecycle::edges::record_health_probe(w, partition, &key.0, &key.1, i64::from(key.2), *pass);
                }
            });
        }
        due.retain(|k, _| seen.contains(k));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn matchers_take_codes_lists_and_ranges() {
        assert!(super::matches("200", 200));
        assert!(!super::matches("200", 204));
        assert!(super::matches("200,204", 204));
        assert!(super::matches("200-299", 250));
        assert!(!super::matches("200-299", 301));
    }
}
