//! The control API under `/_emulator/` (plain JSON): health, reset, the clock, the timeline and
//! injected faults, exactly as `contracts.md` fixes them; and `GET /_emulator/timeline`, the
//! timeline as an HTML page (`report::html`) that reloads itself while the timeline grows.

use crate::protocol::HttpResponse;
use crate::sim::ClockMode;
use crate::Emulator;
use serde_json::{json, Value};
use std::sync::Arc;

fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse::new(status, "application/json", body.to_string())
}

fn bad_request(field: &str, message: &str) -> HttpResponse {
    reply(400, json!({"error": "BadRequest", "field": field, "message": message}))
}

fn clock_json(em: &Emulator) -> Value {
    let mode = em.clock.mode();
    json!({"now": em.clock.now().as_secs_f64(), "mode": mode.name(), "scale": mode.scale()})
}

/// `POST /_emulator/call` `{"service": "ecs", "operation": "DescribeServices", "input": {...},
/// "region"?: "us-east-1", "account"?: "000000000000"}`: calls an operation with its input as the
/// canonical JSON value (member names as in the service model), validated as the API validates it,
/// for harnesses that drive a running emulator without an SDK (`cutover scenario run --endpoint`).
/// Answers `200 {"output": {...}}`, or the AWS error's status with `{"error": {"code", "message"}}`.
pub async fn call(em: &Arc<Emulator>, body: &[u8]) -> HttpResponse {
    let b = match json_object(body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let text = |k: &str| b.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let Some(service) = text("service") else {
        return bad_request("service", "service (e.g. \"ecs\") is required");
    };
    let Some(service) = crate::model::Service::ALL.iter().copied().find(|s| s.name() == service) else {
        return bad_request("service", &format!("'{service}' is not a service cutover emulates"));
    };
    let Some(op) = text("operation") else {
        return bad_request("operation", "operation (e.g. \"DescribeServices\") is required");
    };
    let input = match b.get("input") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return bad_request("input", "input must be a JSON object"),
    };
    let region = text("region").unwrap_or("us-east-1").to_owned();
    let account = text("account").unwrap_or("000000000000").to_owned();
    let (em2, op2) = (em.clone(), op.to_owned());
    // A panicking handler is a bug: it answers 500 here as it does on the AWS endpoint.
    let joined =
        tokio::spawn(async move { crate::dispatch::call_any(&em2, service, &account, &region, &op2, input).await })
            .await;
    match joined {
        Ok(Ok(out)) => reply(200, json!({"output": out})),
        Ok(Err(e)) => reply(
            e.status.unwrap_or(if e.sender_fault { 400 } else { 500 }),
            json!({"error": {"code": e.code, "message": e.message}}),
        ),
        Err(_) => reply(
            500,
            json!({"error": {"code": "InternalFailure", "message": "the operation failed inside the emulator"}}),
        ),
    }
}

/// A control call's body: a JSON object (an empty body is `{}`), or the 400 naming `body`.
fn json_object(body: &[u8]) -> Result<Value, HttpResponse> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(bad_request("body", "the body must be a JSON object")),
        Err(e) => Err(bad_request("body", &format!("the body is not valid JSON: {e}"))),
    }
}

/// The body of `POST /_emulator/clock`: an advance in seconds and/or a new mode, both checked
/// before either takes effect.
/// An advance must be a finite, non-negative number of seconds that keeps the clock at or before
/// 9999-12-31T23:59:59.999Z (the last time every SDK parses); anything else answers 400 and
/// moves nothing.
fn parse_clock(em: &Emulator, body: &[u8]) -> Result<(Option<f64>, Option<ClockMode>, bool), HttpResponse> {
    let b = json_object(body)?;
    let advance = match b.get("advance") {
        None => None,
        Some(adv) => match adv.as_f64() {
            Some(s) if s.is_finite() && s >= 0.0 => {
                if !em.clock.can_advance(s) {
                    return Err(bad_request(
                        "advance",
                        "advance would move the clock past 9999-12-31T23:59:59.999Z, the last time every SDK can parse",
                    ));
                }
                Some(s)
            }
            _ => {
                return Err(bad_request(
                    "advance",
                    "advance must be a non-negative number of seconds",
                ))
            }
        },
    };
    let mode = match b.get("mode") {
        None => None,
        Some(mode) => Some(match mode.as_str() {
            Some("manual") => ClockMode::Manual,
            Some("real") => ClockMode::Real,
            Some("scaled") => match b.get("scale").and_then(Value::as_f64) {
                Some(n) if n.is_finite() && n > 0.0 => ClockMode::Scaled(n),
                _ => return Err(bad_request("scale", "scaled mode needs a positive number scale")),
            },
            _ => return Err(bad_request("mode", "mode must be manual, real or scaled")),
        }),
    };
    if advance.is_none() && mode.is_none() {
        return Err(bad_request("advance", "give advance (seconds) or mode"));
    }
    let wait_hooks = match b.get("waitForHooks") {
        None => false,
        Some(Value::Bool(w)) => *w,
        Some(_) => return Err(bad_request("waitForHooks", "waitForHooks must be true or false")),
    };
    Ok((advance, mode, wait_hooks))
}

/// `POST /_emulator/clock` as the server answers it. With `"waitForHooks": true` an advance stops
/// at each moment a Lambda hook is invoked until the hook has run (at most 30 s of wall time
/// each), so a manual clock never outruns a hook (see [`Emulator::advance_settled`]); without it,
/// hooks run on the wall clock while simulated time has already moved on (tests that want to look
/// at the deployment while its hook runs).
pub async fn post_clock(em: &Arc<Emulator>, body: &[u8]) -> HttpResponse {
    match parse_clock(em, body) {
        Ok((advance, mode, wait_hooks)) => {
            match advance {
                Some(secs) if wait_hooks => {
                    em.advance_settled(secs, std::time::Duration::from_secs(30)).await;
                }
                Some(secs) => {
                    em.advance(secs);
                }
                None => {}
            }
            if let Some(m) = mode {
                em.set_clock_mode(m);
            }
            reply(200, clock_json(em))
        }
        Err(r) => r,
    }
}

/// The `since` query parameter of the timeline calls (0 when absent).
fn since_param(query: &str) -> Result<u64, HttpResponse> {
    let mut since = 0u64;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "since" {
            match v.parse() {
                Ok(n) => since = n,
                Err(_) => return Err(bad_request("since", "since must be a non-negative integer")),
            }
        }
    }
    Ok(since)
}

/// Timeline entries after `since` as `GET /_emulator/events` answers them: seq, time, source,
/// message, kind, then the entry's fields (`timeline::Event::to_json`).
fn events_json(em: &Emulator, since: u64) -> Vec<Value> {
    em.with_world(|w| w.timeline_since(since).map(|e| e.event().to_json()).collect())
}

/// Answers a control call; `path` is what follows `/_emulator/`.
pub fn handle(em: &Arc<Emulator>, method: &http::Method, path: &str, query: &str, body: &[u8]) -> HttpResponse {
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "health") => {
            let mode = em.clock.mode();
            reply(
                200,
                json!({
                    "status": "ok",
                    "version": env!("CARGO_PKG_VERSION"),
                    "clock": mode.name(),
                    "lambda": {"eventInvocationsPending": crate::runtime::lambda::Runtime::pending_events(em)},
                }),
            )
        }
        ("POST", "reset") => {
            // The clock goes back too (see `sim::clock`): to the wall clock in real and scaled
            // mode, to where it started in manual mode.
            em.with_world(|w| {
                w.now = em.clock.reset();
                w.reset();
            });
            em.wake.notify_one();
            em.lambda.stop_all();
            reply(200, json!({}))
        }
        ("GET", "clock") => reply(200, clock_json(em)),
        ("GET", "listeners") => match em.alb() {
            Some(rt) => reply(200, rt.listeners_json()),
            None => reply(200, json!([])),
        },
        ("GET", "targets") => match em.alb() {
            Some(rt) => reply(200, rt.targets_json()),
            None => reply(200, json!([])),
        },
        ("POST", "clock") => match parse_clock(em, body) {
            Ok((advance, mode, _)) => {
                if let Some(secs) = advance {
                    em.advance(secs);
                }
                if let Some(m) = mode {
                    em.set_clock_mode(m);
                }
                reply(200, clock_json(em))
            }
            Err(r) => r,
        },
        ("GET", "events") => match since_param(query) {
            Ok(since) => reply(200, json!({"events": events_json(em, since)})),
            Err(r) => r,
        },
        ("GET", "timeline") => match since_param(query) {
            Ok(since) => {
                let events = events_json(em, since);
                let opts = crate::report::Options {
                    poll_events: Some("events".into()),
                };
                let page = crate::report::timeline_html_with("cutover timeline", &events, &opts);
                HttpResponse::new(200, "text/html; charset=utf-8", page).header("cache-control", "no-store")
            }
            Err(r) => r,
        },
        ("POST", "faults") => {
            let b = match json_object(body) {
                Ok(b) => b,
                Err(r) => return r,
            };
            match b.get("targetHealth").and_then(Value::as_str) {
                Some("unhealthy") => {}
                _ => return bad_request("targetHealth", "targetHealth must be \"unhealthy\""),
            }
            let Some(td) = b
                .get("taskDefinition")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            else {
                return bad_request("taskDefinition", "taskDefinition (family:revision or ARN) is required");
            };
            em.with_world(|w| {
                w.faults.unhealthy_task_definitions.insert(td.to_owned());
                w.record(crate::timeline::Entry::FaultInjected {
                    task_definition: td.to_string(),
                });
            });
            reply(200, json!({}))
        }
        ("DELETE", "faults") => {
            em.with_world(|w| {
                w.faults = Default::default();
                w.record(crate::timeline::Entry::FaultsCleared {});
            });
            reply(200, json!({}))
        }
        _ => reply(
            404,
            json!({"error": "NotFound", "message": format!("no control call {method} /_emulator/{path}")}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimTime;

    fn get(em: &Arc<Emulator>, path: &str, query: &str) -> (u16, String, String) {
        let r = handle(em, &http::Method::GET, path, query, b"");
        let ct = r
            .headers
            .iter()
            .find(|(k, _)| k == "content-type")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        (r.status, ct, String::from_utf8_lossy(&r.body).into_owned())
    }

    #[test]
    fn the_timeline_page_shows_the_running_emulators_timeline() {
        let em = Emulator::starting_at(ClockMode::Manual, SimTime(1_700_000_000_000));
        let listener = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/alb/1/2";
        let tg = |n: &str| format!("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/{n}/1");
        use crate::timeline::{Entry, Weight};
        let weight = |target_group_arn: String, weight: i64| Weight {
            target_group_arn,
            weight,
        };
        em.with_world(|w| {
            w.record(Entry::note("faults", "<b>first</b>"));
            w.record(Entry::TrafficWeights {
                arn: listener.into(),
                weights: vec![weight(tg("blue"), 100)],
            });
        });
        em.advance(90.0);
        em.with_world(|w| {
            w.record(Entry::TrafficWeights {
                arn: listener.into(),
                weights: vec![weight(tg("blue"), 0), weight(tg("green"), 100)],
            })
        });

        let (status, ct, page) = get(&em, "timeline", "");
        assert_eq!(status, 200);
        assert_eq!(ct, "text/html; charset=utf-8");
        assert!(page.starts_with("<!DOCTYPE html>"));
        for seq in 1..=3 {
            assert!(page.contains(&format!("<tr id=\"ev-{seq}\"")), "row {seq}");
        }
        assert!(page.contains("&lt;b&gt;first&lt;/b&gt;") && !page.contains("<b>first"));
        assert!(page.contains("<td class=\"num\">+0:01:30</td>"));
        assert!(page.contains("data-tg=\"green\" data-weight=\"100\" data-percent=\"100\" data-t=\"90\""));
        // It polls the events call (relative to /_emulator/) from the last seq it shows.
        assert!(page.contains("data-last-seq=\"3\" data-poll=\"events\""));

        let (status, _, page) = get(&em, "timeline", "since=1");
        assert_eq!(status, 200);
        assert!(!page.contains("<tr id=\"ev-1\""));
        assert!(page.contains("<tr id=\"ev-2\"") && page.contains("<tr id=\"ev-3\""));

        let (status, ct, body) = get(&em, "timeline", "since=-1");
        assert_eq!((status, ct.as_str()), (400, "application/json"));
        assert_eq!(
            serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["field"].as_str().map(str::to_owned)),
            Some("since".into())
        );

        // The JSON call answers the same entries.
        let (status, _, body) = get(&em, "events", "since=2");
        assert_eq!(status, 200);
        let v: Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(v["events"].as_array().map(Vec::len), Some(1));
        assert_eq!(v["events"][0]["seq"], 3);
        assert_eq!(v["events"][0]["Weights"][1]["Weight"], 100);
    }
}
