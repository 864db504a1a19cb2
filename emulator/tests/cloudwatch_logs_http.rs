//! CloudWatch and CloudWatch Logs through `server::router`, with HTTP requests built by hand as
//! the SDKs send them: CloudWatch over awsJson 1.0 in query-compatible mode (botocore 1.43) and
//! over awsQuery (older clients), Logs over awsJson 1.1.

use axum::body::Body;
use cutover::protocol::cbor::{self, Cbor};
use cutover::server::router;
use cutover::sim::{ClockMode, SimTime};
use cutover::Emulator;
use http::{Request, Response};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const AUTH_CW: &str = "AWS4-HMAC-SHA256 Credential=123456789012/20240101/eu-west-1/monitoring/aws4_request, SignedHeaders=host, Signature=x";
const AUTH_LOGS: &str =
    "AWS4-HMAC-SHA256 Credential=123456789012/20240101/eu-west-1/logs/aws4_request, SignedHeaders=host, Signature=x";

fn emulator() -> std::sync::Arc<Emulator> {
    Emulator::starting_at(ClockMode::Manual, SimTime(1_700_000_000_000))
}

async fn send(em: &std::sync::Arc<Emulator>, req: Request<Body>) -> (Response<()>, String) {
    let resp = router(em.clone()).oneshot(req).await.expect("router answers");
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (
        Response::from_parts(parts, ()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn cw_json(op: &str, body: Value) -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", format!("GraniteServiceVersion20100801.{op}"))
        .header("x-amzn-query-mode", "true")
        .header("authorization", AUTH_CW)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn cw_query(form: &str) -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .header("authorization", AUTH_CW)
        .body(Body::from(format!("{form}&Version=2010-08-01")))
        .unwrap()
}

fn logs(op: &str, body: Value) -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("Logs_20140328.{op}"))
        .header("authorization", AUTH_LOGS)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn header<'a>(r: &'a Response<()>, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn cloudwatch_over_query_compatible_json() {
    let em = emulator();
    let (r, body) = send(
        &em,
        cw_json(
            "PutMetricAlarm",
            json!({"AlarmName": "blue-5xx", "MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB",
                   "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 1,
                   "ComparisonOperator": "GreaterThanOrEqualToThreshold"}),
        ),
    )
    .await;
    assert_eq!(r.status(), 200, "{body}");
    let (r, body) = send(&em, cw_json("DescribeAlarms", json!({"AlarmNames": ["blue-5xx"]}))).await;
    assert_eq!(r.status(), 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let a = &v["MetricAlarms"][0];
    assert_eq!(
        a["AlarmArn"],
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:blue-5xx"
    );
    assert_eq!(a["StateValue"], "INSUFFICIENT_DATA");
    assert_eq!(a["StateUpdatedTimestamp"], 1_700_000_000.0);

    // An error of the model: its shape name in __type, the awsQuery code in x-amzn-query-error.
    let (r, body) = send(
        &em,
        cw_json(
            "SetAlarmState",
            json!({"AlarmName": "nope", "StateValue": "ALARM", "StateReason": "x"}),
        ),
    )
    .await;
    assert_eq!(r.status(), 404, "{body}");
    assert_eq!(header(&r, "x-amzn-query-error"), Some("ResourceNotFound;Sender"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["__type"], "ResourceNotFound");
    let (r, _) = send(
        &em,
        cw_json(
            "SetAlarmState",
            json!({"AlarmName": "blue-5xx", "StateValue": "ALARM", "StateReason": "x", "StateReasonData": "nope"}),
        ),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(header(&r, "x-amzn-query-error"), Some("InvalidFormat;Sender"));
    // The rejected calls left the alarm alone; other services read it through `alarm_state`.
    let key = cutover::world::PartitionKey::new("123456789012", "eu-west-1");
    let state = em.with_world(|w| {
        w.region(&key)
            .and_then(|r| cutover::services::cloudwatch::alarm_state(&r.cloudwatch, "blue-5xx"))
            .map(str::to_owned)
    });
    assert_eq!(state.as_deref(), Some("INSUFFICIENT_DATA"));
}

#[tokio::test]
async fn cloudwatch_over_query() {
    let em = emulator();
    let (r, body) = send(
        &em,
        cw_query(
            "Action=PutMetricAlarm&AlarmName=green-5xx&MetricName=Errors&Namespace=App&Statistic=Sum&Period=60\
             &EvaluationPeriods=2&Threshold=3&ComparisonOperator=GreaterThanThreshold\
             &Dimensions.member.1.Name=Svc&Dimensions.member.1.Value=web",
        ),
    )
    .await;
    assert_eq!(r.status(), 200, "{body}");
    let (r, body) = send(
        &em,
        cw_query("Action=SetAlarmState&AlarmName=green-5xx&StateValue=ALARM&StateReason=test"),
    )
    .await;
    assert_eq!(r.status(), 200, "{body}");
    let (r, body) = send(&em, cw_query("Action=DescribeAlarms&AlarmNames.member.1=green-5xx")).await;
    assert_eq!(r.status(), 200, "{body}");
    assert!(body.contains("<DescribeAlarmsResult>"), "{body}");
    assert!(body.contains("<AlarmName>green-5xx</AlarmName>"), "{body}");
    assert!(body.contains("<StateValue>ALARM</StateValue>"), "{body}");
    assert!(body.contains("<Name>Svc</Name>"), "{body}");
    assert!(body.contains("<StateUpdatedTimestamp>2023-11-14T22:13:20"), "{body}");
    let (r, body) = send(&em, cw_query("Action=DescribeAlarmHistory&AlarmName=green-5xx")).await;
    assert_eq!(r.status(), 200, "{body}");
    assert!(
        body.contains("<HistoryItemType>StateUpdate</HistoryItemType>"),
        "{body}"
    );

    // Errors in the awsQuery XML shape, with the model's code and status.
    let (r, body) = send(
        &em,
        cw_query("Action=SetAlarmState&AlarmName=nope&StateValue=OK&StateReason=x"),
    )
    .await;
    assert_eq!(r.status(), 404, "{body}");
    assert!(body.contains("<ErrorResponse"), "{body}");
    assert!(body.contains("<Code>ResourceNotFound</Code>"), "{body}");
    assert!(body.contains("<Type>Sender</Type>"), "{body}");
    let (r, body) = send(
        &em,
        cw_query(
            "Action=PutMetricAlarm&AlarmName=x&MetricName=E&Namespace=App&Statistic=Sum&Period=45\
             &EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanThreshold",
        ),
    )
    .await;
    assert_eq!(r.status(), 400, "{body}");
    assert!(body.contains("<Code>InvalidParameterValue</Code>"), "{body}");
}

#[tokio::test]
async fn logs_over_json() {
    let em = emulator();
    let (r, body) = send(&em, logs("CreateLogGroup", json!({"logGroupName": "/ecs/web"}))).await;
    assert_eq!(r.status(), 200, "{body}");
    let (r, body) = send(&em, logs("CreateLogGroup", json!({"logGroupName": "/ecs/web"}))).await;
    assert_eq!(r.status(), 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["__type"], "ResourceAlreadyExistsException");
    assert_eq!(v["message"], "The specified log group already exists");
    assert_eq!(header(&r, "x-amzn-query-error"), None);
    let (r, _) = send(
        &em,
        logs(
            "CreateLogStream",
            json!({"logGroupName": "/ecs/web", "logStreamName": "web/1"}),
        ),
    )
    .await;
    assert_eq!(r.status(), 200);
    let (r, body) = send(
        &em,
        logs(
            "PutLogEvents",
            json!({"logGroupName": "/ecs/web", "logStreamName": "web/1",
                   "logEvents": [{"timestamp": 1_700_000_000_000i64, "message": "ERROR boom"},
                                 {"timestamp": 1_700_000_000_500i64, "message": "ok"}]}),
        ),
    )
    .await;
    assert_eq!(r.status(), 200, "{body}");
    assert!(body.contains("nextSequenceToken"), "{body}");
    let (_, body) = send(
        &em,
        logs(
            "GetLogEvents",
            json!({"logGroupName": "/ecs/web", "logStreamName": "web/1", "startFromHead": true}),
        ),
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["events"][1]["message"], "ok");
    assert_eq!(v["nextForwardToken"], "f/2");
    let (_, body) = send(
        &em,
        logs(
            "FilterLogEvents",
            json!({"logGroupName": "/ecs/web", "filterPattern": "ERROR"}),
        ),
    )
    .await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["events"].as_array().unwrap().len(), 1);
    let (r, body) = send(&em, logs("DescribeLogStreams", json!({"logGroupName": "/nope"}))).await;
    assert_eq!(r.status(), 400);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["__type"], "ResourceNotFoundException");
    assert_eq!(v["message"], "The specified log group does not exist.");
}

fn cw_cbor(op: &str, body: Cbor) -> Request<Body> {
    let mut bytes = Vec::new();
    cbor::encode(&body, &mut bytes);
    Request::post(format!("/service/GraniteServiceVersion20100801/operation/{op}"))
        .header("content-type", "application/cbor")
        .header("accept", "application/cbor")
        .header("smithy-protocol", "rpc-v2-cbor")
        .header("authorization", AUTH_CW)
        .body(Body::from(bytes))
        .unwrap()
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.into())
}

fn get<'a>(m: &'a Cbor, key: &str) -> Option<&'a Cbor> {
    match m {
        Cbor::Map(entries) => entries.iter().find(|(k, _)| k == &text(key)).map(|(_, v)| v),
        _ => None,
    }
}

#[tokio::test]
async fn cloudwatch_over_rpc_v2_cbor() {
    let em = emulator();
    let put = Cbor::Map(vec![
        (text("AlarmName"), text("cbor-alarm")),
        (text("MetricName"), text("Errors")),
        (text("Namespace"), text("App")),
        (text("Statistic"), text("Sum")),
        (text("Period"), Cbor::Int(60)),
        (text("EvaluationPeriods"), Cbor::Int(1)),
        (text("Threshold"), Cbor::Float(2.5)),
        (text("ComparisonOperator"), text("GreaterThanThreshold")),
    ]);
    let (r, body) = send(&em, cw_cbor("PutMetricAlarm", put)).await;
    assert_eq!(r.status(), 200, "{body}");
    let resp = router(em.clone())
        .oneshot(cw_cbor(
            "DescribeAlarms",
            Cbor::Map(vec![(text("AlarmNames"), Cbor::Array(vec![text("cbor-alarm")]))]),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["smithy-protocol"], "rpc-v2-cbor");
    assert_eq!(resp.headers()["content-type"], "application/cbor");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = cbor::decode(&bytes).unwrap();
    let Some(Cbor::Array(alarms)) = get(&v, "MetricAlarms") else {
        panic!("no MetricAlarms in {v:?}")
    };
    assert_eq!(get(&alarms[0], "AlarmName"), Some(&text("cbor-alarm")));
    assert_eq!(get(&alarms[0], "Threshold"), Some(&Cbor::Float(2.5)));
    assert_eq!(
        get(&alarms[0], "StateUpdatedTimestamp"),
        Some(&Cbor::Tag(1, Box::new(Cbor::Int(1_700_000_000))))
    );

    let resp = router(em.clone())
        .oneshot(cw_cbor(
            "SetAlarmState",
            Cbor::Map(vec![
                (text("AlarmName"), text("missing")),
                (text("StateValue"), text("OK")),
                (text("StateReason"), text("r")),
            ]),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-amzn-query-error"], "ResourceNotFound;Sender");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = cbor::decode(&bytes).unwrap();
    assert_eq!(get(&v, "__type"), Some(&text("ResourceNotFound")));
    assert!(matches!(get(&v, "message"), Some(Cbor::Text(m)) if m.contains("missing")));

    // A body that is not CBOR is a SerializationException, not a crash.
    let bad = Request::post("/service/GraniteServiceVersion20100801/operation/DescribeAlarms")
        .header("content-type", "application/cbor")
        .header("smithy-protocol", "rpc-v2-cbor")
        .body(Body::from(vec![0xbfu8, 0x61]))
        .unwrap();
    let (r, _) = send(&em, bad).await;
    assert_eq!(r.status(), 400);
}

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn cw_query_gzip(body: Vec<u8>) -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .header("content-encoding", "gzip")
        .header("authorization", AUTH_CW)
        .body(Body::from(body))
        .unwrap()
}

/// botocore gzips PutMetricData bodies from 10 KiB up (`requestcompression` in the model) and
/// sends `Content-Encoding: gzip`; the server inflates them before the codec reads them.
#[tokio::test]
async fn gzip_request_bodies_are_inflated() {
    let em = emulator();
    let mut form = String::from("Action=PutMetricData&Version=2010-08-01&Namespace=App");
    for i in 1..=400 {
        form.push_str(&format!(
            "&MetricData.member.{i}.MetricName=Latency{i}&MetricData.member.{i}.Value={i}&MetricData.member.{i}.Unit=Milliseconds"
        ));
    }
    assert!(form.len() > 10 * 1024);
    let (r, body) = send(&em, cw_query_gzip(gzip(&form))).await;
    assert_eq!(r.status(), 200, "{body}");
    assert!(body.contains("<PutMetricDataResponse"), "{body}");

    // The inflated body is read like any other: a missing member is the service's own error.
    let (r, body) = send(
        &em,
        cw_query_gzip(gzip(
            "Action=PutMetricData&Version=2010-08-01&MetricData.member.1.MetricName=X&MetricData.member.1.Value=1",
        )),
    )
    .await;
    assert_eq!(r.status(), 400, "{body}");
    assert!(body.contains("ValidationError") && body.contains("namespace"), "{body}");

    // A body that is not gzip at all is refused, not read as garbage.
    let (r, body) = send(&em, cw_query_gzip(b"Action=PutMetricData".to_vec())).await;
    assert_eq!(r.status(), 400, "{body}");
    assert!(body.contains("not gzip data"), "{body}");
}
