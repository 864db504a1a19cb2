//! Tests of CloudWatch: handlers called directly with canonical inputs on a `World`.

use crate::dispatch::testing;
use crate::model::Service;
use crate::protocol::AwsError;
use crate::services::Ctx;
use crate::sim::{PartitionKey, SimTime};
use crate::world::World;
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

fn ctx() -> Ctx {
    Ctx::internal(Service::CloudWatch, "123456789012", "eu-west-1")
}

fn world() -> World {
    crate::lifecycle::new_world(SimTime(T0))
}

/// The alarm's state in the world's region `key`.
fn alarm_state<'a>(w: &'a World, key: &PartitionKey, name: &str) -> Option<&'a str> {
    super::alarm_state(&w.region(key)?.cloudwatch, name)
}

/// `set_alarm_state` in the world's region `key`, as another service or a scenario calls it.
fn set_alarm_state(
    w: &mut World,
    key: &PartitionKey,
    name: &str,
    value: &str,
    reason: &str,
    data: Option<&str>,
) -> crate::protocol::AwsResult<()> {
    let (r, mut env) = w.split(key);
    super::set_alarm_state(&mut r.cloudwatch, &mut env, name, value, reason, data)
}

fn ok(w: &mut World, op: &str, input: Value) -> Value {
    testing::ok(w, &ctx(), op, input)
}

fn fails(w: &mut World, op: &str, input: Value) -> AwsError {
    testing::fails(w, &ctx(), op, input)
}

fn alarm_input(name: &str) -> Value {
    json!({
        "AlarmName": name,
        "MetricName": "HTTPCode_Target_5XX_Count",
        "Namespace": "AWS/ApplicationELB",
        "Statistic": "Sum",
        "Dimensions": [{"Name": "TargetGroup", "Value": "targetgroup/blue/1"}],
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    })
}

fn put(w: &mut World, name: &str) {
    ok(w, "PutMetricAlarm", alarm_input(name));
}

fn names(v: &Value) -> Vec<String> {
    v["MetricAlarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AlarmName"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_new_alarm_is_insufficient_data_with_arn_and_timestamps() {
    let mut w = world();
    put(&mut w, "blue-5xx");
    let out = ok(&mut w, "DescribeAlarms", json!({"AlarmNames": ["blue-5xx"]}));
    let a = &out["MetricAlarms"][0];
    assert_eq!(
        a["AlarmArn"],
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:blue-5xx"
    );
    assert_eq!(a["StateValue"], "INSUFFICIENT_DATA");
    assert_eq!(a["StateReason"], "Unchecked: Initial alarm creation");
    assert_eq!(a["ActionsEnabled"], true);
    assert_eq!(a["AlarmConfigurationUpdatedTimestamp"], json!(T0 as f64 / 1000.0));
    assert_eq!(a["StateUpdatedTimestamp"], json!(T0 as f64 / 1000.0));
    assert_eq!(a["Threshold"], 1.0);
    assert_eq!(a["AlarmActions"], json!([]));
    assert_eq!(a["Dimensions"][0]["Name"], "TargetGroup");
    assert!(a.get("Tags").is_none());
    assert!(out.get("CompositeAlarms").is_none());
    assert_eq!(
        alarm_state(&w, &ctx().partition(), "blue-5xx"),
        Some("INSUFFICIENT_DATA")
    );
}

#[test]
fn put_replaces_the_configuration_and_keeps_the_state() {
    let mut w = world();
    put(&mut w, "a");
    ok(
        &mut w,
        "SetAlarmState",
        json!({"AlarmName": "a", "StateValue": "ALARM", "StateReason": "test"}),
    );
    w.now = SimTime(T0 + 5_000);
    let mut input = alarm_input("a");
    input["Threshold"] = json!(7.5);
    input["AlarmDescription"] = json!("changed");
    ok(&mut w, "PutMetricAlarm", input);
    let a = ok(&mut w, "DescribeAlarms", json!({}))["MetricAlarms"][0].clone();
    assert_eq!(a["Threshold"], 7.5);
    assert_eq!(a["AlarmDescription"], "changed");
    assert_eq!(a["StateValue"], "ALARM");
    assert_eq!(
        a["AlarmConfigurationUpdatedTimestamp"],
        json!((T0 + 5_000) as f64 / 1000.0)
    );
}

#[test]
fn put_metric_alarm_checks_its_inputs() {
    let mut w = world();
    let with = |k: &str, v: Value| {
        let mut i = alarm_input("x");
        if v.is_null() {
            i.as_object_mut().unwrap().remove(k);
        } else {
            i[k] = v;
        }
        i
    };
    let cases = [
        (with("Period", json!(45)), "InvalidParameterValue"),
        (with("Period", Value::Null), "ValidationError"),
        (with("EvaluationPeriods", Value::Null), "ValidationError"),
        (with("ComparisonOperator", Value::Null), "ValidationError"),
        (with("Threshold", Value::Null), "ValidationError"),
        (with("MetricName", Value::Null), "ValidationError"),
        (with("ExtendedStatistic", json!("p99")), "InvalidParameterCombination"),
        (with("Statistic", Value::Null), "InvalidParameterCombination"),
        (with("EvaluationPeriods", json!(1441)), "ValidationError"),
        (with("DatapointsToAlarm", json!(2)), "ValidationError"),
        (with("TreatMissingData", json!("sometimes")), "InvalidParameterValue"),
    ];
    for (input, code) in cases {
        let e = fails(&mut w, "PutMetricAlarm", input.clone());
        assert_eq!(e.code, code, "{input}: {e}");
    }
    let mut ext = with("Statistic", Value::Null);
    ext["ExtendedStatistic"] = json!("p101");
    assert_eq!(fails(&mut w, "PutMetricAlarm", ext).code, "InvalidParameterValue");
    let mut ext = with("Statistic", Value::Null);
    ext["ExtendedStatistic"] = json!("p99.9");
    ok(&mut w, "PutMetricAlarm", ext);
    // Ten-second and hour-long periods are fine; a week in total is the limit.
    ok(&mut w, "PutMetricAlarm", with("Period", json!(10)));
    let mut week = with("Period", json!(3600));
    week["EvaluationPeriods"] = json!(168);
    ok(&mut w, "PutMetricAlarm", week);
    // Metric math alarms carry no Statistic/Period of their own.
    let math = json!({
        "AlarmName": "math",
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "e1", "Expression": "m1*2", "ReturnData": true},
                    {"Id": "m1", "ReturnData": false, "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"}, "Period": 60, "Stat": "Sum"}}],
    });
    ok(&mut w, "PutMetricAlarm", math.clone());
    let mut bad = math;
    bad["Statistic"] = json!("Sum");
    assert_eq!(fails(&mut w, "PutMetricAlarm", bad).code, "ValidationError");
}

#[test]
fn describe_alarms_filters_and_pages() {
    let mut w = world();
    for n in ["app-a", "app-b", "app-c", "db-a"] {
        put(&mut w, n);
    }
    let mut with_action = alarm_input("db-b");
    with_action["AlarmActions"] = json!(["arn:aws:sns:eu-west-1:123456789012:page-me"]);
    ok(&mut w, "PutMetricAlarm", with_action);
    ok(
        &mut w,
        "SetAlarmState",
        json!({"AlarmName": "app-b", "StateValue": "OK", "StateReason": "r"}),
    );
    assert_eq!(
        names(&ok(&mut w, "DescribeAlarms", json!({"AlarmNamePrefix": "app-"}))),
        ["app-a", "app-b", "app-c"]
    );
    assert_eq!(
        names(&ok(&mut w, "DescribeAlarms", json!({"StateValue": "OK"}))),
        ["app-b"]
    );
    assert_eq!(
        names(&ok(
            &mut w,
            "DescribeAlarms",
            json!({"ActionPrefix": "arn:aws:sns:eu-west-1:123456789012:page"})
        )),
        ["db-b"]
    );
    assert_eq!(
        names(&ok(
            &mut w,
            "DescribeAlarms",
            json!({"AlarmNames": ["db-a", "nope", "app-c"]})
        )),
        ["app-c", "db-a"]
    );
    let composite_only = ok(&mut w, "DescribeAlarms", json!({"AlarmTypes": ["CompositeAlarm"]}));
    assert_eq!(composite_only["MetricAlarms"], json!([]));
    assert_eq!(composite_only["CompositeAlarms"], json!([]));
    let p1 = ok(&mut w, "DescribeAlarms", json!({"MaxRecords": 2}));
    assert_eq!(names(&p1), ["app-a", "app-b"]);
    let t = p1["NextToken"].as_str().unwrap();
    let p2 = ok(&mut w, "DescribeAlarms", json!({"MaxRecords": 2, "NextToken": t}));
    assert_eq!(names(&p2), ["app-c", "db-a"]);
    let p3 = ok(
        &mut w,
        "DescribeAlarms",
        json!({"MaxRecords": 2, "NextToken": p2["NextToken"]}),
    );
    assert_eq!(names(&p3), ["db-b"]);
    assert!(p3.get("NextToken").is_none());
    assert_eq!(
        fails(&mut w, "DescribeAlarms", json!({"NextToken": "bogus"})).code,
        "InvalidNextToken"
    );
    assert_eq!(
        fails(
            &mut w,
            "DescribeAlarms",
            json!({"AlarmNames": ["a"], "AlarmNamePrefix": "a"})
        )
        .code,
        "InvalidParameterCombination"
    );
}

#[test]
fn describe_alarms_for_metric_matches_metric_and_dimensions() {
    let mut w = world();
    put(&mut w, "one");
    let mut other = alarm_input("two");
    other["Dimensions"] = json!([{"Name": "TargetGroup", "Value": "targetgroup/green/2"}]);
    ok(&mut w, "PutMetricAlarm", other);
    let all = ok(
        &mut w,
        "DescribeAlarmsForMetric",
        json!({"MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB"}),
    );
    assert_eq!(names(&all), ["one", "two"]);
    let green = ok(
        &mut w,
        "DescribeAlarmsForMetric",
        json!({"MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB",
               "Dimensions": [{"Name": "TargetGroup", "Value": "targetgroup/green/2"}]}),
    );
    assert_eq!(names(&green), ["two"]);
    let none = ok(
        &mut w,
        "DescribeAlarmsForMetric",
        json!({"MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB", "Statistic": "Average"}),
    );
    assert_eq!(names(&none), Vec::<String>::new());
}

#[test]
fn set_alarm_state_validates_and_records_history() {
    let mut w = world();
    put(&mut w, "a");
    let e = fails(
        &mut w,
        "SetAlarmState",
        json!({"AlarmName": "missing", "StateValue": "ALARM", "StateReason": "r"}),
    );
    assert_eq!(e.code, "ResourceNotFound");
    let e = fails(
        &mut w,
        "SetAlarmState",
        json!({"AlarmName": "a", "StateValue": "ALARM", "StateReason": "r", "StateReasonData": "{not json"}),
    );
    assert_eq!(e.code, "InvalidFormat");
    assert_eq!(alarm_state(&w, &ctx().partition(), "a"), Some("INSUFFICIENT_DATA"));
    w.now = SimTime(T0 + 60_000);
    ok(
        &mut w,
        "SetAlarmState",
        json!({"AlarmName": "a", "StateValue": "ALARM", "StateReason": "5xx spike", "StateReasonData": "{\"n\":3}"}),
    );
    assert_eq!(alarm_state(&w, &ctx().partition(), "a"), Some("ALARM"));
    let a = ok(&mut w, "DescribeAlarms", json!({}))["MetricAlarms"][0].clone();
    assert_eq!(a["StateReason"], "5xx spike");
    assert_eq!(a["StateReasonData"], "{\"n\":3}");
    assert_eq!(a["StateTransitionedTimestamp"], json!((T0 + 60_000) as f64 / 1000.0));

    let h = ok(&mut w, "DescribeAlarmHistory", json!({"AlarmName": "a"}));
    let items = h["AlarmHistoryItems"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["HistoryItemType"], "StateUpdate");
    assert_eq!(
        items[0]["HistorySummary"],
        "Alarm updated from INSUFFICIENT_DATA to ALARM"
    );
    assert_eq!(items[0]["AlarmType"], "MetricAlarm");
    let data: Value = serde_json::from_str(items[0]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(data["oldState"]["stateValue"], "INSUFFICIENT_DATA");
    assert_eq!(data["oldState"]["stateReason"], "Unchecked: Initial alarm creation");
    assert_eq!(data["newState"]["stateValue"], "ALARM");
    assert_eq!(data["newState"]["stateReasonData"]["n"], 3);
    assert_eq!(items[1]["HistoryItemType"], "ConfigurationUpdate");
    assert_eq!(items[1]["HistorySummary"], "Alarm \"a\" created");
    let created: Value = serde_json::from_str(items[1]["HistoryData"].as_str().unwrap()).unwrap();
    assert_eq!(created["type"], "Create");
    assert_eq!(created["createdAlarm"]["alarmName"], "a");
    assert_eq!(created["createdAlarm"]["metricName"], "HTTPCode_Target_5XX_Count");
}

#[test]
fn alarm_history_filters_and_scans_both_ways() {
    let mut w = world();
    put(&mut w, "a");
    w.now = SimTime(T0 + 10_000);
    put(&mut w, "b");
    w.now = SimTime(T0 + 20_000);
    set_alarm_state(&mut w, &ctx().partition(), "a", "OK", "fine", None).unwrap();
    let summaries = |v: &Value| -> Vec<String> {
        v["AlarmHistoryItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["HistorySummary"].as_str().unwrap().to_owned())
            .collect()
    };
    let asc = ok(&mut w, "DescribeAlarmHistory", json!({"ScanBy": "TimestampAscending"}));
    assert_eq!(
        summaries(&asc),
        [
            "Alarm \"a\" created",
            "Alarm \"b\" created",
            "Alarm updated from INSUFFICIENT_DATA to OK"
        ]
    );
    let states = ok(
        &mut w,
        "DescribeAlarmHistory",
        json!({"HistoryItemType": "StateUpdate"}),
    );
    assert_eq!(summaries(&states).len(), 1);
    let window = ok(
        &mut w,
        "DescribeAlarmHistory",
        json!({"StartDate": (T0 + 5_000) as f64 / 1000.0, "EndDate": (T0 + 15_000) as f64 / 1000.0}),
    );
    assert_eq!(summaries(&window), ["Alarm \"b\" created"]);
    let page = ok(&mut w, "DescribeAlarmHistory", json!({"MaxRecords": 1}));
    assert_eq!(summaries(&page), ["Alarm updated from INSUFFICIENT_DATA to OK"]);
    let page2 = ok(
        &mut w,
        "DescribeAlarmHistory",
        json!({"MaxRecords": 1, "NextToken": page["NextToken"]}),
    );
    assert_eq!(summaries(&page2), ["Alarm \"b\" created"]);
    // History outlives the alarm.
    ok(&mut w, "DeleteAlarms", json!({"AlarmNames": ["a"]}));
    let a = ok(&mut w, "DescribeAlarmHistory", json!({"AlarmName": "a"}));
    assert_eq!(summaries(&a)[0], "Alarm \"a\" deleted");
}

#[test]
fn delete_alarms_ignores_unknown_names_and_actions_toggle() {
    let mut w = world();
    put(&mut w, "a");
    put(&mut w, "b");
    ok(&mut w, "DisableAlarmActions", json!({"AlarmNames": ["a", "ghost"]}));
    let d = ok(&mut w, "DescribeAlarms", json!({}));
    assert_eq!(d["MetricAlarms"][0]["ActionsEnabled"], false);
    assert_eq!(d["MetricAlarms"][1]["ActionsEnabled"], true);
    ok(&mut w, "EnableAlarmActions", json!({"AlarmNames": ["a"]}));
    assert_eq!(
        ok(&mut w, "DescribeAlarms", json!({}))["MetricAlarms"][0]["ActionsEnabled"],
        true
    );
    ok(&mut w, "DeleteAlarms", json!({"AlarmNames": ["a", "ghost"]}));
    assert_eq!(names(&ok(&mut w, "DescribeAlarms", json!({}))), ["b"]);
    assert_eq!(alarm_state(&w, &ctx().partition(), "a"), None);
}

#[test]
fn tags_on_alarms() {
    let mut w = world();
    let mut input = alarm_input("a");
    input["Tags"] = json!([{"Key": "team", "Value": "web"}]);
    ok(&mut w, "PutMetricAlarm", input);
    let arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a";
    ok(
        &mut w,
        "TagResource",
        json!({"ResourceARN": arn, "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "api"}]}),
    );
    let tags = ok(&mut w, "ListTagsForResource", json!({"ResourceARN": arn}));
    assert_eq!(
        tags["Tags"],
        json!([{"Key": "team", "Value": "api"}, {"Key": "env", "Value": "prod"}])
    );
    ok(
        &mut w,
        "UntagResource",
        json!({"ResourceARN": arn, "TagKeys": ["team"]}),
    );
    let tags = ok(&mut w, "ListTagsForResource", json!({"ResourceARN": arn}));
    assert_eq!(tags["Tags"], json!([{"Key": "env", "Value": "prod"}]));
    let e = fails(
        &mut w,
        "ListTagsForResource",
        json!({"ResourceARN": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:nope"}),
    );
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.extra["ResourceType"], "Alarm");
    assert_eq!(
        fails(&mut w, "TagResource", json!({"ResourceARN": "garbage", "Tags": []})).code,
        "InvalidParameterValue"
    );
}

#[test]
fn put_metric_data_is_stored() {
    let mut w = world();
    ok(
        &mut w,
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [
            {"MetricName": "Latency", "Value": 12.5, "Unit": "Milliseconds", "Dimensions": [{"Name": "Svc", "Value": "web"}]},
            {"MetricName": "Errors", "Value": 1.0, "Timestamp": (T0 - 60_000) as f64 / 1000.0},
        ]}),
    );
    let r = w.region(&ctx().partition()).unwrap();
    assert_eq!(r.cloudwatch.datapoints.len(), 2);
    assert_eq!(
        r.cloudwatch.datapoints[0].dimensions,
        vec![("Svc".to_string(), "web".to_string())]
    );
    assert_eq!(r.cloudwatch.datapoints[1].timestamp, (T0 - 60_000) as f64 / 1000.0);
    assert_eq!(
        fails(
            &mut w,
            "PutMetricData",
            json!({"Namespace": "AWS/EC2", "MetricData": []})
        )
        .code,
        "InvalidParameterValue"
    );
    assert_eq!(
        fails(
            &mut w,
            "PutMetricData",
            json!({"Namespace": "App", "MetricData": [{"MetricName": "Old", "Value": 1.0, "Timestamp": 1000.0}]})
        )
        .code,
        "InvalidParameterValue"
    );
}

#[test]
fn every_handled_operation_is_in_the_model() {
    let model = Service::CloudWatch.model();
    for op in [
        "PutMetricAlarm",
        "DescribeAlarms",
        "DescribeAlarmsForMetric",
        "DeleteAlarms",
        "SetAlarmState",
        "DescribeAlarmHistory",
        "EnableAlarmActions",
        "DisableAlarmActions",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "PutMetricData",
    ] {
        assert!(super::handler(op).is_some(), "{op}");
        assert!(model.operations.contains_key(op), "{op} not in the model");
    }
}

/// The canonical form carries a non-finite double as a string; the typed inputs take it as the
/// `Value` handlers did (no number).
#[test]
fn non_finite_doubles_read_as_no_number() {
    let mut w = world();
    let mut nan = alarm_input("x");
    nan["Threshold"] = json!("NaN");
    let e = fails(&mut w, "PutMetricAlarm", nan);
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ValidationError", "Threshold must not be null")
    );
    let mut anomaly = alarm_input("x");
    anomaly["Threshold"] = json!("Infinity");
    anomaly["ComparisonOperator"] = json!("LessThanLowerThreshold");
    anomaly["ThresholdMetricId"] = json!("ad1");
    let e = fails(&mut w, "PutMetricAlarm", anomaly);
    assert_eq!(e.message, "Threshold should not be set if ThresholdMetricId is set.");
    ok(
        &mut w,
        "PutMetricData",
        json!({"Namespace": "App", "MetricData": [
            {"MetricName": "A", "Value": "NaN"},
            {"MetricName": "B", "Values": [1.0, "-Infinity"], "Counts": ["NaN"]},
            {"MetricName": "C", "StatisticValues": {"SampleCount": 1.0, "Sum": "Infinity", "Minimum": 0.0, "Maximum": 1.0}},
        ]}),
    );
    let r = w.region(&ctx().partition()).unwrap();
    assert_eq!(r.cloudwatch.datapoints.len(), 3);
    assert_eq!(r.cloudwatch.datapoints[0].value, None);
}
