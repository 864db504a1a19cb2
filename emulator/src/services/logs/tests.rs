//! Tests of CloudWatch Logs: handlers called directly with canonical inputs on a `World`.

use super::*;
use crate::dispatch::testing;
use crate::model::Service;
use crate::protocol::AwsResult;
use crate::services::Ctx;
use crate::sim::{PartitionKey, SimTime};
use crate::world::World;
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

fn ctx() -> Ctx {
    Ctx::internal(Service::Logs, "123456789012", "eu-west-1")
}

fn world() -> World {
    crate::lifecycle::new_world(SimTime(T0))
}

/// `append` in the world's region `key` at the world's time, as the Lambda runtime calls it.
fn append(w: &mut World, key: &PartitionKey, group: &str, stream: &str, messages: &[(i64, String)]) {
    let now = w.now;
    super::append(&mut w.region_mut(key).logs, now, group, stream, messages)
}

fn call(w: &mut World, op: &str, input: Value) -> AwsResult<Value> {
    testing::call(w, &ctx(), op, input)
}

fn ok(w: &mut World, op: &str, input: Value) -> Value {
    testing::ok(w, &ctx(), op, input)
}

fn fails(w: &mut World, op: &str, input: Value) -> AwsError {
    testing::fails(w, &ctx(), op, input)
}

fn group_and_stream(w: &mut World, g: &str, s: &str) {
    if call(w, "CreateLogGroup", json!({"logGroupName": g})).is_err() {
        // already there
    }
    ok(w, "CreateLogStream", json!({"logGroupName": g, "logStreamName": s}));
}

fn put(w: &mut World, g: &str, s: &str, events: &[(i64, &str)]) -> Value {
    let evs: Vec<Value> = events
        .iter()
        .map(|(t, m)| json!({"timestamp": t, "message": m}))
        .collect();
    ok(
        w,
        "PutLogEvents",
        json!({"logGroupName": g, "logStreamName": s, "logEvents": evs}),
    )
}

fn messages(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn log_groups_create_describe_delete() {
    let mut w = world();
    ok(
        &mut w,
        "CreateLogGroup",
        json!({"logGroupName": "/ecs/web", "tags": {"team": "web"}}),
    );
    let e = fails(&mut w, "CreateLogGroup", json!({"logGroupName": "/ecs/web"}));
    assert_eq!(e.code, "ResourceAlreadyExistsException");
    assert_eq!(e.message, "The specified log group already exists");
    ok(&mut w, "CreateLogGroup", json!({"logGroupName": "/ecs/api"}));
    ok(&mut w, "CreateLogGroup", json!({"logGroupName": "/aws/lambda/hook"}));
    let d = ok(&mut w, "DescribeLogGroups", json!({"logGroupNamePrefix": "/ecs/"}));
    let g = &d["logGroups"][1];
    assert_eq!(g["logGroupName"], "/ecs/web");
    assert_eq!(g["arn"], "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/web:*");
    assert_eq!(
        g["logGroupArn"],
        "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/web"
    );
    assert_eq!(g["creationTime"], T0);
    assert_eq!(g["metricFilterCount"], 0);
    assert_eq!(g["storedBytes"], 0);
    assert!(g.get("retentionInDays").is_none());
    assert_eq!(d["logGroups"].as_array().unwrap().len(), 2);
    let pat = ok(&mut w, "DescribeLogGroups", json!({"logGroupNamePattern": "LAMBDA"}));
    assert_eq!(pat["logGroups"][0]["logGroupName"], "/aws/lambda/hook");
    assert_eq!(pat["logGroups"].as_array().unwrap().len(), 1);
    assert_eq!(
        fails(
            &mut w,
            "DescribeLogGroups",
            json!({"logGroupNamePrefix": "/", "logGroupNamePattern": "x"})
        )
        .code,
        "InvalidParameterException"
    );
    let p1 = ok(&mut w, "DescribeLogGroups", json!({"limit": 2}));
    assert_eq!(p1["logGroups"].as_array().unwrap().len(), 2);
    let p2 = ok(
        &mut w,
        "DescribeLogGroups",
        json!({"limit": 2, "nextToken": p1["nextToken"]}),
    );
    assert_eq!(p2["logGroups"][0]["logGroupName"], "/ecs/web");
    assert!(p2.get("nextToken").is_none());
    ok(&mut w, "DeleteLogGroup", json!({"logGroupName": "/ecs/web"}));
    let e = fails(&mut w, "DeleteLogGroup", json!({"logGroupName": "/ecs/web"}));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ResourceNotFoundException", "The specified log group does not exist.")
    );
}

#[test]
fn retention_policies() {
    let mut w = world();
    ok(&mut w, "CreateLogGroup", json!({"logGroupName": "g"}));
    ok(
        &mut w,
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 7}),
    );
    let d = ok(&mut w, "DescribeLogGroups", json!({}));
    assert_eq!(d["logGroups"][0]["retentionInDays"], 7);
    let e = fails(
        &mut w,
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 2}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    assert!(
        e.message
            .contains("Member must satisfy enum value set: [1, 3, 5, 7, 14"),
        "{}",
        e.message
    );
    assert_eq!(
        fails(
            &mut w,
            "PutRetentionPolicy",
            json!({"logGroupName": "nope", "retentionInDays": 1})
        )
        .code,
        "ResourceNotFoundException"
    );
    ok(&mut w, "DeleteRetentionPolicy", json!({"logGroupName": "g"}));
    assert!(ok(&mut w, "DescribeLogGroups", json!({}))["logGroups"][0]
        .get("retentionInDays")
        .is_none());
}

#[test]
fn streams_create_describe_order_and_delete() {
    let mut w = world();
    group_and_stream(&mut w, "g", "b-stream");
    group_and_stream(&mut w, "g", "a-stream");
    group_and_stream(&mut w, "g", "c-empty");
    let e = fails(
        &mut w,
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "a-stream"}),
    );
    assert_eq!(e.code, "ResourceAlreadyExistsException");
    let e = fails(
        &mut w,
        "CreateLogStream",
        json!({"logGroupName": "nope", "logStreamName": "x"}),
    );
    assert_eq!(e.message, "The specified log group does not exist.");
    w.now = SimTime(T0 + 5_000);
    put(&mut w, "g", "a-stream", &[(T0 + 1_000, "one"), (T0 + 4_000, "two")]);
    put(&mut w, "g", "b-stream", &[(T0 + 2_000, "x")]);
    let d = ok(&mut w, "DescribeLogStreams", json!({"logGroupName": "g"}));
    let names: Vec<&str> = d["logStreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["logStreamName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a-stream", "b-stream", "c-empty"]);
    let a = &d["logStreams"][0];
    assert_eq!(a["firstEventTimestamp"], T0 + 1_000);
    assert_eq!(a["lastEventTimestamp"], T0 + 4_000);
    assert_eq!(a["lastIngestionTime"], T0 + 5_000);
    assert_eq!(a["creationTime"], T0);
    assert_eq!(
        a["arn"],
        "arn:aws:logs:eu-west-1:123456789012:log-group:g:log-stream:a-stream"
    );
    assert!(a["uploadSequenceToken"].as_str().unwrap().len() >= 40);
    assert!(d["logStreams"][2].get("lastEventTimestamp").is_none());
    let by_time = ok(
        &mut w,
        "DescribeLogStreams",
        json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true}),
    );
    let names: Vec<&str> = by_time["logStreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["logStreamName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a-stream", "b-stream", "c-empty"]);
    let pre = ok(
        &mut w,
        "DescribeLogStreams",
        json!({"logGroupIdentifier": "arn:aws:logs:eu-west-1:123456789012:log-group:g:*", "logStreamNamePrefix": "b"}),
    );
    assert_eq!(pre["logStreams"].as_array().unwrap().len(), 1);
    assert_eq!(
        fails(
            &mut w,
            "DescribeLogStreams",
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "logStreamNamePrefix": "a"})
        )
        .code,
        "InvalidParameterException"
    );
    let p1 = ok(&mut w, "DescribeLogStreams", json!({"logGroupName": "g", "limit": 1}));
    let p2 = ok(
        &mut w,
        "DescribeLogStreams",
        json!({"logGroupName": "g", "limit": 1, "nextToken": p1["nextToken"]}),
    );
    assert_eq!(p2["logStreams"][0]["logStreamName"], "b-stream");
    ok(
        &mut w,
        "DeleteLogStream",
        json!({"logGroupName": "g", "logStreamName": "c-empty"}),
    );
    let e = fails(
        &mut w,
        "DeleteLogStream",
        json!({"logGroupName": "g", "logStreamName": "c-empty"}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ResourceNotFoundException", "The specified log stream does not exist.")
    );
    let stored = ok(&mut w, "DescribeLogGroups", json!({}))["logGroups"][0]["storedBytes"].clone();
    assert_eq!(stored, 7);
}

#[test]
fn put_log_events_checks_order_size_and_rejects_old_and_new() {
    let mut w = world();
    group_and_stream(&mut w, "g", "s");
    let e = fails(
        &mut w,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": T0, "message": "b"}, {"timestamp": T0 - 1, "message": "a"}]}),
    );
    assert_eq!(e.code, "InvalidParameterException");
    assert!(e.message.contains("chronological"));
    let e = fails(
        &mut w,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "missing", "logEvents": [{"timestamp": T0, "message": "a"}]}),
    );
    assert_eq!(e.message, "The specified log stream does not exist.");
    let big = "x".repeat(600_000);
    let e = fails(
        &mut w,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": T0, "message": big}, {"timestamp": T0, "message": big}]}),
    );
    assert!(e.message.contains("1048576"), "{}", e.message);
    let e = fails(
        &mut w,
        "PutLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": T0 - 2 * 86_400_000, "message": "a"}, {"timestamp": T0, "message": "b"}]}),
    );
    assert!(e.message.contains("24 hours"));
    let day = 86_400_000;
    let r = put(
        &mut w,
        "g",
        "s",
        &[(T0 - 15 * day + 10, "old1"), (T0 - 15 * day + 20, "old2")],
    );
    assert_eq!(r["rejectedLogEventsInfo"]["tooOldLogEventEndIndex"], 1);
    let r = put(&mut w, "g", "s", &[(T0, "ok"), (T0 + 3 * 3_600_000, "future")]);
    assert_eq!(r["rejectedLogEventsInfo"]["tooNewLogEventStartIndex"], 1);
    assert!(r["rejectedLogEventsInfo"].get("tooOldLogEventEndIndex").is_none());
    let first_token = r["nextSequenceToken"].as_str().unwrap().to_owned();
    ok(
        &mut w,
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 1}),
    );
    let r = put(&mut w, "g", "s", &[(T0 - day - 10, "expired"), (T0 - 20, "kept")]);
    assert_eq!(r["rejectedLogEventsInfo"]["expiredLogEventEndIndex"], 0);
    assert_ne!(r["nextSequenceToken"].as_str().unwrap(), first_token);
    let all = ok(
        &mut w,
        "GetLogEvents",
        json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true}),
    );
    assert_eq!(messages(&all), ["kept", "ok"]);
}

#[test]
fn get_log_events_pages_forward_and_backward() {
    let mut w = world();
    group_and_stream(&mut w, "g", "s");
    let evs: Vec<(i64, String)> = (0..5).map(|i| (T0 + i * 1000, format!("m{i}"))).collect();
    let refs: Vec<(i64, &str)> = evs.iter().map(|(t, m)| (*t, m.as_str())).collect();
    put(&mut w, "g", "s", &refs);
    let base = json!({"logGroupName": "g", "logStreamName": "s", "limit": 2});
    let with = |extra: Value| {
        let mut v = base.clone();
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    // Default: the newest events.
    let last = ok(&mut w, "GetLogEvents", base.clone());
    assert_eq!(messages(&last), ["m3", "m4"]);
    assert_eq!(last["nextForwardToken"], "f/5");
    assert_eq!(last["nextBackwardToken"], "b/3");
    assert_eq!(last["events"][0]["ingestionTime"], T0);
    let before = ok(
        &mut w,
        "GetLogEvents",
        with(json!({"nextToken": last["nextBackwardToken"]})),
    );
    assert_eq!(messages(&before), ["m1", "m2"]);
    let before2 = ok(
        &mut w,
        "GetLogEvents",
        with(json!({"nextToken": before["nextBackwardToken"]})),
    );
    assert_eq!(messages(&before2), ["m0"]);
    let start = ok(
        &mut w,
        "GetLogEvents",
        with(json!({"nextToken": before2["nextBackwardToken"]})),
    );
    assert_eq!(messages(&start), Vec::<String>::new());
    assert_eq!(start["nextBackwardToken"], "b/0");
    // At the end the forward token comes back unchanged, then new events show up through it.
    let end = ok(&mut w, "GetLogEvents", with(json!({"nextToken": "f/5"})));
    assert_eq!(messages(&end), Vec::<String>::new());
    assert_eq!(end["nextForwardToken"], "f/5");
    put(&mut w, "g", "s", &[(T0 + 9_000, "m5")]);
    let more = ok(&mut w, "GetLogEvents", with(json!({"nextToken": "f/5"})));
    assert_eq!(messages(&more), ["m5"]);
    // From the head, within a time window (end exclusive).
    let head = ok(
        &mut w,
        "GetLogEvents",
        with(json!({"startFromHead": true, "startTime": T0 + 1000, "endTime": T0 + 3000, "limit": 10})),
    );
    assert_eq!(messages(&head), ["m1", "m2"]);
    assert_eq!(
        fails(&mut w, "GetLogEvents", with(json!({"nextToken": "x/1"}))).code,
        "InvalidParameterException"
    );
    assert_eq!(
        fails(&mut w, "GetLogEvents", json!({"logStreamName": "s"})).code,
        "InvalidParameterException"
    );
    assert_eq!(
        fails(
            &mut w,
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "nope"})
        )
        .message,
        "The specified log stream does not exist."
    );
}

#[test]
fn filter_log_events_across_streams() {
    let mut w = world();
    group_and_stream(&mut w, "g", "web/1");
    group_and_stream(&mut w, "g", "web/2");
    group_and_stream(&mut w, "g", "db/1");
    put(
        &mut w,
        "g",
        "web/1",
        &[(T0 + 1, "GET / 200"), (T0 + 4, "ERROR timeout talking to db")],
    );
    put(
        &mut w,
        "g",
        "web/2",
        &[(T0 + 2, "ERROR connection refused"), (T0 + 3, "GET /health 200")],
    );
    put(&mut w, "g", "db/1", &[(T0 + 5, "ERROR disk full")]);
    let all = ok(&mut w, "FilterLogEvents", json!({"logGroupName": "g"}));
    assert_eq!(all["events"].as_array().unwrap().len(), 5);
    assert_eq!(all["events"][0]["message"], "GET / 200");
    assert_eq!(all["events"][1]["logStreamName"], "web/2");
    assert_eq!(all["searchedLogStreams"].as_array().unwrap().len(), 3);
    let ids: std::collections::HashSet<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5);
    let errors = ok(
        &mut w,
        "FilterLogEvents",
        json!({"logGroupName": "g", "filterPattern": "ERROR", "logStreamNamePrefix": "web/"}),
    );
    assert_eq!(
        messages(&errors),
        ["ERROR connection refused", "ERROR timeout talking to db"]
    );
    let phrase = ok(
        &mut w,
        "FilterLogEvents",
        json!({"logGroupName": "g", "filterPattern": "\"disk full\"", "logStreamNames": ["db/1", "web/1"]}),
    );
    assert_eq!(messages(&phrase), ["ERROR disk full"]);
    let window = ok(
        &mut w,
        "FilterLogEvents",
        json!({"logGroupName": "g", "startTime": T0 + 2, "endTime": T0 + 3}),
    );
    assert_eq!(messages(&window), ["ERROR connection refused", "GET /health 200"]);
    let p1 = ok(&mut w, "FilterLogEvents", json!({"logGroupName": "g", "limit": 3}));
    assert_eq!(p1["events"].as_array().unwrap().len(), 3);
    let p2 = ok(
        &mut w,
        "FilterLogEvents",
        json!({"logGroupName": "g", "limit": 3, "nextToken": p1["nextToken"]}),
    );
    assert_eq!(messages(&p2), ["ERROR timeout talking to db", "ERROR disk full"]);
    assert!(p2.get("nextToken").is_none());
    assert_eq!(
        fails(
            &mut w,
            "FilterLogEvents",
            json!({"logGroupName": "g", "logStreamNames": ["a"], "logStreamNamePrefix": "a"})
        )
        .code,
        "InvalidParameterException"
    );
    assert_eq!(
        fails(
            &mut w,
            "FilterLogEvents",
            json!({"logGroupName": "g", "filterPattern": "{ $.a = 1 }"})
        )
        .code,
        "InvalidParameterException"
    );
    assert_eq!(
        fails(&mut w, "FilterLogEvents", json!({"logGroupName": "nope"})).code,
        "ResourceNotFoundException"
    );
}

#[test]
fn tags_through_both_apis() {
    let mut w = world();
    ok(
        &mut w,
        "CreateLogGroup",
        json!({"logGroupName": "g", "tags": {"a": "1"}}),
    );
    ok(&mut w, "TagLogGroup", json!({"logGroupName": "g", "tags": {"b": "2"}}));
    assert_eq!(
        ok(&mut w, "ListTagsLogGroup", json!({"logGroupName": "g"}))["tags"],
        json!({"a": "1", "b": "2"})
    );
    let arn = "arn:aws:logs:eu-west-1:123456789012:log-group:g";
    ok(&mut w, "TagResource", json!({"resourceArn": arn, "tags": {"c": "3"}}));
    ok(&mut w, "UntagResource", json!({"resourceArn": arn, "tagKeys": ["a"]}));
    ok(&mut w, "UntagLogGroup", json!({"logGroupName": "g", "tags": ["b"]}));
    assert_eq!(
        ok(&mut w, "ListTagsForResource", json!({"resourceArn": arn}))["tags"],
        json!({"c": "3"})
    );
    assert_eq!(
        fails(
            &mut w,
            "ListTagsForResource",
            json!({"resourceArn": "arn:aws:logs:eu-west-1:123456789012:log-group:nope"})
        )
        .code,
        "ResourceNotFoundException"
    );
    assert_eq!(
        fails(&mut w, "ListTagsLogGroup", json!({"logGroupName": "nope"})).code,
        "ResourceNotFoundException"
    );
}

#[test]
fn append_creates_and_keeps_time_order_for_the_read_apis() {
    let mut w = world();
    let key = ctx().partition();
    append(
        &mut w,
        &key,
        "/aws/lambda/f",
        "2024/01/01/[$LATEST]abc",
        &[(T0 + 2, "second".into())],
    );
    append(
        &mut w,
        &key,
        "/aws/lambda/f",
        "2024/01/01/[$LATEST]abc",
        &[(T0 + 1, "first".into())],
    );
    let r = ok(
        &mut w,
        "GetLogEvents",
        json!({"logGroupName": "/aws/lambda/f", "logStreamName": "2024/01/01/[$LATEST]abc", "startFromHead": true}),
    );
    assert_eq!(messages(&r), ["first", "second"]);
}

#[test]
fn every_handled_operation_is_in_the_model() {
    let model = Service::Logs.model();
    for op in [
        "CreateLogGroup",
        "DeleteLogGroup",
        "DescribeLogGroups",
        "CreateLogStream",
        "DeleteLogStream",
        "DescribeLogStreams",
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
        "TagLogGroup",
        "UntagLogGroup",
        "ListTagsLogGroup",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "PutLogEvents",
        "GetLogEvents",
        "FilterLogEvents",
    ] {
        assert!(super::handler(op).is_some(), "{op}");
        assert!(model.operations.contains_key(op), "{op} not in the model");
    }
}

#[test]
fn get_log_events_pages_hold_at_most_one_megabyte() {
    let mut w = world();
    let key = ctx().partition();
    let big = "y".repeat(200 * 1024);
    let events: Vec<(i64, String)> = (0..8).map(|i| (T0 + i, big.clone())).collect();
    append(&mut w, &key, "/aws/lambda/big", "s", &events);
    let head = ok(
        &mut w,
        "GetLogEvents",
        json!({"logGroupName": "/aws/lambda/big", "logStreamName": "s", "startFromHead": true}),
    );
    assert_eq!(head["events"].as_array().unwrap().len(), 5);
    assert_eq!(head["nextForwardToken"], "f/5");
    let next = ok(
        &mut w,
        "GetLogEvents",
        json!({"logGroupName": "/aws/lambda/big", "logStreamName": "s", "nextToken": "f/5"}),
    );
    assert_eq!(next["events"].as_array().unwrap().len(), 3);
    let tail = ok(
        &mut w,
        "GetLogEvents",
        json!({"logGroupName": "/aws/lambda/big", "logStreamName": "s"}),
    );
    assert_eq!(tail["events"].as_array().unwrap().len(), 5);
    assert_eq!(tail["nextBackwardToken"], "b/3");
}
