//! Metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
//! SetAlarmState, DescribeAlarmHistory, EnableAlarmActions and DisableAlarmActions.

use super::{alarm_arn, Alarm, HistoryItem};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{obj, opt_bool, opt_i64, opt_str, paginate, str_list};
use crate::services::{err, now_secs, Ctx};
use crate::timeline::{AlarmStateValue, Entry};
use crate::world::{PartitionKey, World};
use serde_json::{json, Map, Value};

const INITIAL_REASON: &str = "Unchecked: Initial alarm creation";
const STATES: [&str; 3] = ["OK", "ALARM", "INSUFFICIENT_DATA"];

/// `PutMetricAlarm` members kept as the alarm's configuration (and echoed by `MetricAlarm`).
const CONFIG_MEMBERS: [&str; 21] = [
    "AlarmActions",
    "AlarmDescription",
    "ComparisonOperator",
    "DatapointsToAlarm",
    "Dimensions",
    "EvaluateLowSampleCountPercentile",
    "EvaluationCriteria",
    "EvaluationInterval",
    "EvaluationPeriods",
    "ExtendedStatistic",
    "InsufficientDataActions",
    "MetricName",
    "Metrics",
    "Namespace",
    "OKActions",
    "Period",
    "Statistic",
    "Threshold",
    "ThresholdMetricId",
    "TreatMissingData",
    "Unit",
];

const ANOMALY_OPERATORS: [&str; 3] = [
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

fn validation(message: impl Into<String>) -> AwsError {
    err("ValidationError", message)
}

fn invalid_value(message: impl Into<String>) -> AwsError {
    err("InvalidParameterValue", message)
}

/// `p99`, `p99.9`, `tm90`, `wm99`, `tc95`, `ts90`, or the range forms `TM(10%:90%)`, `PR(:300)`.
fn valid_extended_statistic(s: &str) -> bool {
    let lower = ["p", "tm", "wm", "tc", "ts"];
    for prefix in lower {
        if let Some(rest) = s.strip_prefix(prefix) {
            return !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
                && rest.parse::<f64>().is_ok_and(|v| (0.0..=100.0).contains(&v));
        }
    }
    ["TM(", "WM(", "TC(", "TS(", "PR("]
        .iter()
        .any(|p| s.starts_with(p) && s.ends_with(')') && s.contains(':'))
}

fn check_put_metric_alarm(input: &Value) -> AwsResult<()> {
    let has = |m: &str| input.get(m).is_some();
    let metrics = input.get("Metrics").and_then(Value::as_array);
    if metrics.is_some() {
        for m in [
            "MetricName",
            "Namespace",
            "Statistic",
            "ExtendedStatistic",
            "Period",
            "Unit",
        ] {
            if has(m) {
                return Err(validation(format!("{m} should not be set if list of Metrics is set.")));
            }
        }
        if input
            .get("Dimensions")
            .and_then(Value::as_array)
            .is_some_and(|d| !d.is_empty())
        {
            return Err(validation("Dimensions should not be set if list of Metrics is set."));
        }
        let returning = metrics
            .map(|ms| {
                ms.iter()
                    .filter(|m| m.get("ReturnData").and_then(Value::as_bool).unwrap_or(true))
                    .count()
            })
            .unwrap_or(0);
        if returning != 1 {
            return Err(validation(
                "Exactly one element of the metrics list should return data.",
            ));
        }
    } else {
        for m in ["MetricName", "Namespace", "Period"] {
            if !has(m) {
                return Err(validation(format!("{m} must not be null")));
            }
        }
        match (has("Statistic"), has("ExtendedStatistic")) {
            (true, true) | (false, false) => {
                return Err(err(
                    "InvalidParameterCombination",
                    "Exactly one of Statistic or ExtendedStatistic must be set.",
                ))
            }
            _ => {}
        }
    }
    if let Some(ext) = opt_str(input, "ExtendedStatistic") {
        if !valid_extended_statistic(ext) {
            return Err(invalid_value(format!(
                "The value {ext} for parameter ExtendedStatistic is not supported."
            )));
        }
    }
    if !has("EvaluationPeriods") {
        return Err(validation("EvaluationPeriods must not be null"));
    }
    let Some(op) = opt_str(input, "ComparisonOperator") else {
        return Err(validation("ComparisonOperator must not be null"));
    };
    if ANOMALY_OPERATORS.contains(&op) {
        if !has("ThresholdMetricId") {
            return Err(validation(format!(
                "ThresholdMetricId must be set when ComparisonOperator is {op}."
            )));
        }
        if has("Threshold") {
            return Err(validation("Threshold should not be set if ThresholdMetricId is set."));
        }
    } else {
        if has("ThresholdMetricId") {
            return Err(validation(format!(
                "ThresholdMetricId should not be set when ComparisonOperator is {op}."
            )));
        }
        match input.get("Threshold").and_then(Value::as_f64) {
            None => return Err(validation("Threshold must not be null")),
            Some(t) if !t.is_finite() => {
                return Err(invalid_value(
                    "The value for parameter Threshold must be a finite number.",
                ))
            }
            _ => {}
        }
    }
    let evaluation_periods = opt_i64(input, "EvaluationPeriods").unwrap_or(1);
    let period = match opt_i64(input, "Period") {
        Some(p) => Some(p),
        None => metrics.and_then(|ms| {
            ms.iter()
                .filter_map(|m| {
                    m.get("MetricStat")
                        .and_then(|s| opt_i64(s, "Period"))
                        .or(opt_i64(m, "Period"))
                })
                .max()
        }),
    };
    if let Some(p) = period {
        if !(p == 10 || p == 20 || p == 30 || (p > 0 && p % 60 == 0)) {
            return Err(invalid_value(
                "The parameter Period must be 10, 20, 30 or a multiple of 60.",
            ));
        }
        let total = p.saturating_mul(evaluation_periods);
        if total > 604_800 {
            return Err(validation(
                "The evaluation period (Period multiplied by EvaluationPeriods) must not exceed 7 days (604800 seconds).",
            ));
        }
        if p < 3600 && total > 86_400 {
            return Err(validation(
                "For a Period under one hour, Period multiplied by EvaluationPeriods must not exceed one day (86400 seconds).",
            ));
        }
    }
    if let Some(d) = opt_i64(input, "DatapointsToAlarm") {
        if d > evaluation_periods {
            return Err(validation(
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods.",
            ));
        }
    }
    if let Some(t) = opt_str(input, "TreatMissingData") {
        if !["breaching", "notBreaching", "ignore", "missing"].contains(&t) {
            return Err(invalid_value(format!(
                "The value {t} for parameter TreatMissingData is invalid. Valid values: breaching, notBreaching, ignore, missing."
            )));
        }
    }
    if let Some(e) = opt_str(input, "EvaluateLowSampleCountPercentile") {
        if !["evaluate", "ignore"].contains(&e) {
            return Err(invalid_value(format!(
                "The value {e} for parameter EvaluateLowSampleCountPercentile is invalid. Valid values: evaluate, ignore."
            )));
        }
    }
    Ok(())
}

/// lowerCamel of a member name, as AWS spells alarm fields inside `HistoryData`.
fn lower_camel(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn lower_camel_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (lower_camel(k), lower_camel_keys(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(lower_camel_keys).collect()),
        other => other.clone(),
    }
}

/// The alarm as `HistoryData` of a configuration update shows it.
fn history_alarm(a: &Alarm) -> Value {
    let mut m = Map::new();
    m.insert("alarmName".into(), json!(a.name));
    m.insert("alarmArn".into(), json!(a.arn));
    m.insert("actionsEnabled".into(), json!(a.actions_enabled));
    m.insert("stateValue".into(), json!(a.state_value));
    m.insert("timestamp".into(), json!(iso8601(a.config_updated)));
    for (k, v) in &a.config {
        m.insert(lower_camel(k), lower_camel_keys(v));
    }
    Value::Object(m)
}

/// `2024-01-02T03:04:05.678+0000`, the form CloudWatch writes inside `HistoryData`.
fn iso8601(secs: f64) -> String {
    let ms = (secs * 1000.0).round() as i64;
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}+0000",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

fn push_history(world: &mut World, key: &PartitionKey, name: &str, item_type: &str, summary: String, data: Value) {
    let timestamp = now_secs(world);
    world.region_mut(key).cloudwatch.history.push(HistoryItem {
        alarm_name: name.to_owned(),
        timestamp,
        item_type: item_type.to_owned(),
        summary,
        data: data.to_string(),
    });
}

fn tags_of(input: &Value) -> Vec<(String, String)> {
    input
        .get("Tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        opt_str(t, "Key")?.to_owned(),
                        opt_str(t, "Value").unwrap_or("").to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn put_metric_alarm(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = opt_str(&input, "AlarmName")
        .ok_or_else(|| validation("AlarmName must not be null"))?
        .to_owned();
    check_put_metric_alarm(&input)?;
    let key = ctx.partition();
    let now = now_secs(world);
    let mut config = Map::new();
    for m in CONFIG_MEMBERS {
        if let Some(v) = input.get(m) {
            config.insert(m.to_owned(), v.clone());
        }
    }
    for list in ["OKActions", "AlarmActions", "InsufficientDataActions"] {
        config.entry(list).or_insert_with(|| json!([]));
    }
    if !config.contains_key("Metrics") {
        config.entry("Dimensions").or_insert_with(|| json!([]));
    }
    let actions_enabled = opt_bool(&input, "ActionsEnabled").unwrap_or(true);
    let state = &mut world.region_mut(&key).cloudwatch;
    let (summary, data) = match state.alarms.get_mut(&name) {
        Some(existing) => {
            let original = history_alarm(existing);
            existing.config = config;
            existing.actions_enabled = actions_enabled;
            existing.config_updated = now;
            let updated = history_alarm(existing);
            (
                format!("Alarm \"{name}\" updated"),
                json!({"version": "1.0", "type": "Update", "updatedAlarm": updated, "originalUpdatedAlarm": original}),
            )
        }
        None => {
            let alarm = Alarm {
                name: name.clone(),
                arn: alarm_arn(&key, &name),
                state_value: "INSUFFICIENT_DATA".into(),
                state_reason: INITIAL_REASON.into(),
                state_reason_data: None,
                state_updated: now,
                state_transitioned: now,
                config_updated: now,
                actions_enabled,
                config,
                tags: tags_of(&input),
            };
            let created = history_alarm(&alarm);
            state.alarms.insert(name.clone(), alarm);
            (
                format!("Alarm \"{name}\" created"),
                json!({"version": "1.0", "type": "Create", "createdAlarm": created}),
            )
        }
    };
    push_history(world, &key, &name, "ConfigurationUpdate", summary, data);
    world.record(Entry::resource(
        "cloudwatch",
        format!("alarm {name} put"),
        json!({"alarm": name}),
    ));
    Ok(json!({}))
}

/// The `MetricAlarm` output value of an alarm.
fn metric_alarm(a: &Alarm) -> Value {
    let mut m = a.config.clone();
    m.insert("AlarmName".into(), json!(a.name));
    m.insert("AlarmArn".into(), json!(a.arn));
    m.insert("AlarmConfigurationUpdatedTimestamp".into(), json!(a.config_updated));
    m.insert("ActionsEnabled".into(), json!(a.actions_enabled));
    m.insert("StateValue".into(), json!(a.state_value));
    m.insert("StateReason".into(), json!(a.state_reason));
    if let Some(d) = &a.state_reason_data {
        m.insert("StateReasonData".into(), json!(d));
    }
    m.insert("StateUpdatedTimestamp".into(), json!(a.state_updated));
    m.insert("StateTransitionedTimestamp".into(), json!(a.state_transitioned));
    Value::Object(m)
}

fn actions_of(a: &Alarm) -> impl Iterator<Item = &str> {
    ["OKActions", "AlarmActions", "InsufficientDataActions"]
        .into_iter()
        .flat_map(|k| a.config.get(k).and_then(Value::as_array).into_iter().flatten())
        .filter_map(Value::as_str)
}

pub fn describe_alarms(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let names = str_list(&input, "AlarmNames");
    let prefix = opt_str(&input, "AlarmNamePrefix");
    if !names.is_empty() && prefix.is_some() {
        return Err(err(
            "InvalidParameterCombination",
            "AlarmNames and AlarmNamePrefix cannot be specified together.",
        ));
    }
    let types = str_list(&input, "AlarmTypes");
    let want_metric = types.is_empty() || types.iter().any(|t| t == "MetricAlarm");
    let want_composite = types.iter().any(|t| t == "CompositeAlarm");
    let state_value = opt_str(&input, "StateValue");
    let action_prefix = opt_str(&input, "ActionPrefix");
    let max = opt_i64(&input, "MaxRecords").unwrap_or(50).clamp(1, 100) as usize;
    let key = ctx.partition();
    let matching: Vec<Value> = match world.region(&key) {
        Some(r) if want_metric => r
            .cloudwatch
            .alarms
            .values()
            .filter(|a| names.is_empty() || names.contains(&a.name))
            .filter(|a| prefix.is_none_or(|p| a.name.starts_with(p)))
            .filter(|a| state_value.is_none_or(|s| a.state_value == s))
            .filter(|a| action_prefix.is_none_or(|p| actions_of(a).any(|x| x.starts_with(p))))
            .map(metric_alarm)
            .collect(),
        _ => Vec::new(),
    };
    let (page, next) = paginate(&matching, opt_str(&input, "NextToken"), max, "InvalidNextToken")?;
    let composite = if want_composite { json!([]) } else { Value::Null };
    Ok(obj([
        ("MetricAlarms", Value::Array(page)),
        ("CompositeAlarms", composite),
        ("NextToken", next.map(Value::String).unwrap_or(Value::Null)),
    ]))
}

fn dimensions_of(v: Option<&Value>) -> Vec<(String, String)> {
    let mut d: Vec<(String, String)> = v
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| Some((opt_str(x, "Name")?.to_owned(), opt_str(x, "Value")?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    d.sort();
    d
}

pub fn describe_alarms_for_metric(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let same = |a: &Alarm, m: &str| input.get(m).is_none_or(|v| a.config.get(m) == Some(v));
    let alarms: Vec<Value> = world
        .region(&key)
        .map(|r| {
            r.cloudwatch
                .alarms
                .values()
                .filter(|a| {
                    [
                        "MetricName",
                        "Namespace",
                        "Statistic",
                        "ExtendedStatistic",
                        "Period",
                        "Unit",
                    ]
                    .iter()
                    .all(|m| same(a, m))
                })
                .filter(|a| {
                    input.get("Dimensions").is_none()
                        || dimensions_of(input.get("Dimensions")) == dimensions_of(a.config.get("Dimensions"))
                })
                .map(metric_alarm)
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({ "MetricAlarms": alarms }))
}

/// Deletes the named alarms. Names that match no alarm are skipped without an error: AWS's
/// DeleteAlarms is idempotent in practice (CloudFormation's alarm handler has to check for
/// existence itself because a second delete succeeds), whatever the model lists.
pub fn delete_alarms(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    for name in str_list(&input, "AlarmNames") {
        let removed = world.region_mut(&key).cloudwatch.alarms.remove(&name);
        if let Some(a) = removed {
            let data = json!({"version": "1.0", "type": "Delete", "deletedAlarm": history_alarm(&a)});
            push_history(
                world,
                &key,
                &name,
                "ConfigurationUpdate",
                format!("Alarm \"{name}\" deleted"),
                data,
            );
            world.record(Entry::resource(
                "cloudwatch",
                format!("alarm {name} deleted"),
                json!({"alarm": name}),
            ));
        }
    }
    Ok(json!({}))
}

/// Moves an alarm to `value` (`OK`, `ALARM`, `INSUFFICIENT_DATA`) with `reason`, recording a
/// `StateUpdate` history item, as `SetAlarmState` does. For other services and scenarios.
pub fn set_alarm_state(
    world: &mut World,
    key: &PartitionKey,
    name: &str,
    value: &str,
    reason: &str,
    reason_data: Option<&str>,
) -> AwsResult<()> {
    if !STATES.contains(&value) {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
        )));
    }
    let parsed_data = match reason_data {
        Some(d) => match serde_json::from_str::<Value>(d) {
            Ok(v) if v.is_object() => Some(v),
            _ => {
                return Err(err(
                    "InvalidFormat",
                    "Invalid value for StateReasonData: it must be a JSON object.",
                ))
            }
        },
        None => None,
    };
    let now = now_secs(world);
    let Some(a) = world.region_mut(key).cloudwatch.alarms.get_mut(name) else {
        return Err(err("ResourceNotFound", format!("Alarm {name} not found")));
    };
    let old_value = std::mem::replace(&mut a.state_value, value.to_owned());
    let old_reason = std::mem::replace(&mut a.state_reason, reason.to_owned());
    let old_data = std::mem::replace(&mut a.state_reason_data, reason_data.map(str::to_owned));
    a.state_updated = now;
    if old_value != value {
        a.state_transitioned = now;
    }
    let mut old_state = json!({"stateValue": old_value, "stateReason": old_reason});
    if let Some(d) = old_data.and_then(|d| serde_json::from_str::<Value>(&d).ok()) {
        old_state["stateReasonData"] = d;
    }
    let mut new_state = json!({"stateValue": value, "stateReason": reason});
    if let Some(d) = parsed_data {
        new_state["stateReasonData"] = d;
    }
    push_history(
        world,
        key,
        name,
        "StateUpdate",
        format!("Alarm updated from {old_value} to {value}"),
        json!({"version": "1.0", "oldState": old_state, "newState": new_state}),
    );
    world.record(
        match (AlarmStateValue::parse(&old_value), AlarmStateValue::parse(value)) {
            (Some(from), Some(to)) => Entry::AlarmState {
                alarm: name.into(),
                from,
                to,
                reason: reason.into(),
            },
            _ => Entry::resource(
                "cloudwatch",
                format!("alarm {name}: {old_value} -> {value}"),
                json!({"alarm": name}),
            ),
        },
    );
    Ok(())
}

pub fn set_alarm_state_op(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = opt_str(&input, "AlarmName").unwrap_or("");
    let value = opt_str(&input, "StateValue").unwrap_or("");
    let reason = opt_str(&input, "StateReason").unwrap_or("");
    set_alarm_state(
        world,
        &ctx.partition(),
        name,
        value,
        reason,
        opt_str(&input, "StateReasonData"),
    )?;
    Ok(json!({}))
}

pub fn describe_alarm_history(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = opt_str(&input, "AlarmName");
    let item_type = opt_str(&input, "HistoryItemType");
    let start = input.get("StartDate").and_then(Value::as_f64);
    let end = input.get("EndDate").and_then(Value::as_f64);
    let types = str_list(&input, "AlarmTypes");
    let ascending = opt_str(&input, "ScanBy") == Some("TimestampAscending");
    let max = opt_i64(&input, "MaxRecords").unwrap_or(100).clamp(1, 100) as usize;
    let key = ctx.partition();
    let mut items: Vec<Value> = if types.is_empty() || types.iter().any(|t| t == "MetricAlarm") {
        world
            .region(&key)
            .map(|r| {
                r.cloudwatch
                    .history
                    .iter()
                    .filter(|h| name.is_none_or(|n| h.alarm_name == n))
                    .filter(|h| item_type.is_none_or(|t| h.item_type == t))
                    .filter(|h| start.is_none_or(|s| h.timestamp >= s))
                    .filter(|h| end.is_none_or(|e| h.timestamp <= e))
                    .map(|h| {
                        json!({
                            "AlarmName": h.alarm_name,
                            "AlarmType": "MetricAlarm",
                            "Timestamp": h.timestamp,
                            "HistoryItemType": h.item_type,
                            "HistorySummary": h.summary,
                            "HistoryData": h.data,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    if !ascending {
        items.reverse();
    }
    let (page, next) = paginate(&items, opt_str(&input, "NextToken"), max, "InvalidNextToken")?;
    Ok(obj([
        ("AlarmHistoryItems", Value::Array(page)),
        ("NextToken", next.map(Value::String).unwrap_or(Value::Null)),
    ]))
}

fn set_actions_enabled(world: &mut World, ctx: &Ctx, input: &Value, enabled: bool) {
    let key = ctx.partition();
    let alarms = &mut world.region_mut(&key).cloudwatch.alarms;
    for name in str_list(input, "AlarmNames") {
        if let Some(a) = alarms.get_mut(&name) {
            a.actions_enabled = enabled;
        }
    }
}

pub fn enable_alarm_actions(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    set_actions_enabled(world, ctx, &input, true);
    Ok(json!({}))
}

pub fn disable_alarm_actions(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    set_actions_enabled(world, ctx, &input, false);
    Ok(json!({}))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn history_timestamps_are_iso8601_utc() {
        assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000+0000");
        assert_eq!(iso8601(1_700_000_000.123), "2023-11-14T22:13:20.123+0000");
    }

    #[test]
    fn extended_statistics() {
        for ok in ["p99", "p99.9", "p0", "p100", "tm90", "TM(10%:90%)", "PR(:300)"] {
            assert!(valid_extended_statistic(ok), "{ok}");
        }
        for bad in ["p", "p101", "Average", "q50", "px"] {
            assert!(!valid_extended_statistic(bad), "{bad}");
        }
    }
}
