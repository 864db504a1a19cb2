//! Metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
//! SetAlarmState, DescribeAlarmHistory, EnableAlarmActions and DisableAlarmActions.

use super::{alarm_arn, non_finite, t, Alarm, HistoryItem, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::{err, Ctx};
use crate::timeline::{AlarmStateValue, Entry};
use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::{json, Map, Value};

const INITIAL_REASON: &str = "Unchecked: Initial alarm creation";

fn is_anomaly_operator(op: &t::ComparisonOperator) -> bool {
    use t::ComparisonOperator as C;
    matches!(
        op,
        C::LessThanLowerOrGreaterThanUpperThreshold | C::LessThanLowerThreshold | C::GreaterThanUpperThreshold
    )
}

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

/// `PutMetricAlarmInput`, with a non-finite `Threshold` (a string in the canonical form, see
/// [`non_finite`](super::non_finite)) taken out: the `Value` handler read it as no number, so it
/// counts as set but is not a threshold.
pub struct PutMetricAlarm {
    pub input: t::PutMetricAlarmInput,
    pub non_finite_threshold: bool,
}

impl<'de> Deserialize<'de> for PutMetricAlarm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = Value::deserialize(d)?;
        let non_finite_threshold = non_finite(v.get("Threshold"));
        if non_finite_threshold {
            if let Some(m) = v.as_object_mut() {
                m.remove("Threshold");
            }
        }
        let input = t::PutMetricAlarmInput::deserialize(v).map_err(D::Error::custom)?;
        Ok(PutMetricAlarm {
            input,
            non_finite_threshold,
        })
    }
}

fn check_put_metric_alarm(input: &t::PutMetricAlarmInput, non_finite_threshold: bool) -> AwsResult<()> {
    if let Some(metrics) = &input.metrics {
        for (m, set) in [
            ("MetricName", input.metric_name.is_some()),
            ("Namespace", input.namespace.is_some()),
            ("Statistic", input.statistic.is_some()),
            ("ExtendedStatistic", input.extended_statistic.is_some()),
            ("Period", input.period.is_some()),
            ("Unit", input.unit.is_some()),
        ] {
            if set {
                return Err(validation(format!("{m} should not be set if list of Metrics is set.")));
            }
        }
        if input.dimensions.as_ref().is_some_and(|d| !d.is_empty()) {
            return Err(validation("Dimensions should not be set if list of Metrics is set."));
        }
        let returning = metrics.iter().filter(|m| m.return_data.unwrap_or(true)).count();
        if returning != 1 {
            return Err(validation(
                "Exactly one element of the metrics list should return data.",
            ));
        }
    } else {
        for (m, set) in [
            ("MetricName", input.metric_name.is_some()),
            ("Namespace", input.namespace.is_some()),
            ("Period", input.period.is_some()),
        ] {
            if !set {
                return Err(validation(format!("{m} must not be null")));
            }
        }
        if input.statistic.is_some() == input.extended_statistic.is_some() {
            return Err(err(
                "InvalidParameterCombination",
                "Exactly one of Statistic or ExtendedStatistic must be set.",
            ));
        }
    }
    if let Some(ext) = input.extended_statistic.as_deref() {
        if !valid_extended_statistic(ext) {
            return Err(invalid_value(format!(
                "The value {ext} for parameter ExtendedStatistic is not supported."
            )));
        }
    }
    let Some(evaluation_periods) = input.evaluation_periods.map(i64::from) else {
        return Err(validation("EvaluationPeriods must not be null"));
    };
    let Some(op) = &input.comparison_operator else {
        return Err(validation("ComparisonOperator must not be null"));
    };
    if is_anomaly_operator(op) {
        if input.threshold_metric_id.is_none() {
            return Err(validation(format!(
                "ThresholdMetricId must be set when ComparisonOperator is {op}."
            )));
        }
        if input.threshold.is_some() || non_finite_threshold {
            return Err(validation("Threshold should not be set if ThresholdMetricId is set."));
        }
    } else {
        if input.threshold_metric_id.is_some() {
            return Err(validation(format!(
                "ThresholdMetricId should not be set when ComparisonOperator is {op}."
            )));
        }
        // A non-finite threshold is not a number here, as it was not for the `Value` handler.
        match input.threshold {
            None => return Err(validation("Threshold must not be null")),
            Some(t) if !t.is_finite() => {
                return Err(invalid_value(
                    "The value for parameter Threshold must be a finite number.",
                ))
            }
            _ => {}
        }
    }
    let period = match input.period {
        Some(p) => Some(i64::from(p)),
        None => input.metrics.as_ref().and_then(|ms| {
            ms.iter()
                .filter_map(|m| m.metric_stat.as_ref().map(|s| s.period).or(m.period))
                .map(i64::from)
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
    if let Some(d) = input.datapoints_to_alarm {
        if i64::from(d) > evaluation_periods {
            return Err(validation(
                "DatapointsToAlarm must be less than or equal to EvaluationPeriods.",
            ));
        }
    }
    if let Some(t) = input.treat_missing_data.as_deref() {
        if !["breaching", "notBreaching", "ignore", "missing"].contains(&t) {
            return Err(invalid_value(format!(
                "The value {t} for parameter TreatMissingData is invalid. Valid values: breaching, notBreaching, ignore, missing."
            )));
        }
    }
    if let Some(e) = input.evaluate_low_sample_count_percentile.as_deref() {
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
    m.insert("stateValue".into(), json!(a.state_value.as_str()));
    m.insert("timestamp".into(), json!(iso8601(a.config_updated)));
    if let Ok(Value::Object(config)) = serde_json::to_value(&a.config) {
        for (k, v) in &config {
            m.insert(lower_camel(k), lower_camel_keys(v));
        }
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

fn push_history(
    cw: &mut State,
    env: &Env<'_>,
    name: &str,
    item_type: t::HistoryItemType,
    summary: String,
    data: Value,
) {
    let timestamp = env.now_secs();
    cw.history.push(HistoryItem {
        alarm_name: name.to_owned(),
        timestamp,
        item_type,
        summary,
        data: data.to_string(),
    });
}

/// The configuration an alarm keeps of `PutMetricAlarm`'s input: the three action lists are
/// empty when not given, and so are the dimensions of an alarm on one metric.
fn config_of(input: &t::PutMetricAlarmInput) -> t::MetricAlarm {
    let i = input.clone();
    let dimensions = match i.metrics {
        Some(_) => i.dimensions,
        None => Some(i.dimensions.unwrap_or_default()),
    };
    t::MetricAlarm {
        alarm_actions: Some(i.alarm_actions.unwrap_or_default()),
        alarm_description: i.alarm_description,
        comparison_operator: i.comparison_operator,
        datapoints_to_alarm: i.datapoints_to_alarm,
        dimensions,
        evaluate_low_sample_count_percentile: i.evaluate_low_sample_count_percentile,
        evaluation_criteria: i.evaluation_criteria,
        evaluation_interval: i.evaluation_interval,
        evaluation_periods: i.evaluation_periods,
        extended_statistic: i.extended_statistic,
        insufficient_data_actions: Some(i.insufficient_data_actions.unwrap_or_default()),
        metric_name: i.metric_name,
        metrics: i.metrics,
        namespace: i.namespace,
        ok_actions: Some(i.ok_actions.unwrap_or_default()),
        period: i.period,
        statistic: i.statistic,
        threshold: i.threshold,
        threshold_metric_id: i.threshold_metric_id,
        treat_missing_data: i.treat_missing_data,
        unit: i.unit,
        ..Default::default()
    }
}

pub fn put_metric_alarm(cw: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: PutMetricAlarm) -> AwsResult<()> {
    let PutMetricAlarm {
        input,
        non_finite_threshold,
    } = input;
    let name = input.alarm_name.clone();
    check_put_metric_alarm(&input, non_finite_threshold)?;
    let key = ctx.partition();
    let now = env.now_secs();
    let config = config_of(&input);
    let actions_enabled = input.actions_enabled.unwrap_or(true);
    let state = &mut *cw;
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
                state_value: t::StateValue::InsufficientData,
                state_reason: INITIAL_REASON.into(),
                state_reason_data: None,
                state_updated: now,
                state_transitioned: now,
                config_updated: now,
                actions_enabled,
                config,
                tags: input
                    .tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key, t.value))
                    .collect(),
            };
            let created = history_alarm(&alarm);
            state.alarms.insert(name.clone(), alarm);
            (
                format!("Alarm \"{name}\" created"),
                json!({"version": "1.0", "type": "Create", "createdAlarm": created}),
            )
        }
    };
    push_history(cw, env, &name, t::HistoryItemType::ConfigurationUpdate, summary, data);
    env.record(Entry::resource(
        "cloudwatch",
        format!("alarm {name} put"),
        json!({"alarm": name}),
    ));
    Ok(())
}

/// The `MetricAlarm` output of an alarm.
fn metric_alarm(a: &Alarm) -> t::MetricAlarm {
    t::MetricAlarm {
        alarm_name: Some(a.name.clone()),
        alarm_arn: Some(a.arn.clone()),
        alarm_configuration_updated_timestamp: Some(a.config_updated),
        actions_enabled: Some(a.actions_enabled),
        state_value: Some(a.state_value.clone()),
        state_reason: Some(a.state_reason.clone()),
        state_reason_data: a.state_reason_data.clone(),
        state_updated_timestamp: Some(a.state_updated),
        state_transitioned_timestamp: Some(a.state_transitioned),
        ..a.config.clone()
    }
}

fn actions_of(a: &Alarm) -> impl Iterator<Item = &str> {
    let c = &a.config;
    [&c.ok_actions, &c.alarm_actions, &c.insufficient_data_actions]
        .into_iter()
        .flatten()
        .flatten()
        .map(String::as_str)
}

pub fn describe_alarms(
    cw: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeAlarmsInput,
) -> AwsResult<t::DescribeAlarmsOutput> {
    let names = input.alarm_names.unwrap_or_default();
    let prefix = input.alarm_name_prefix.as_deref();
    if !names.is_empty() && prefix.is_some() {
        return Err(err(
            "InvalidParameterCombination",
            "AlarmNames and AlarmNamePrefix cannot be specified together.",
        ));
    }
    let types = input.alarm_types.unwrap_or_default();
    let want_metric = types.is_empty() || types.contains(&t::AlarmType::MetricAlarm);
    let want_composite = types.contains(&t::AlarmType::CompositeAlarm);
    let state_value = input.state_value.as_ref();
    let action_prefix = input.action_prefix.as_deref();
    let max = input.max_records.map_or(50, i64::from).clamp(1, 100) as usize;
    let matching: Vec<t::MetricAlarm> = match want_metric {
        true => cw
            .alarms
            .values()
            .filter(|a| names.is_empty() || names.contains(&a.name))
            .filter(|a| prefix.is_none_or(|p| a.name.starts_with(p)))
            .filter(|a| state_value.is_none_or(|s| a.state_value == *s))
            .filter(|a| action_prefix.is_none_or(|p| actions_of(a).any(|x| x.starts_with(p))))
            .map(metric_alarm)
            .collect(),
        _ => Vec::new(),
    };
    let (page, next) = paginate(&matching, input.next_token.as_deref(), max, "InvalidNextToken")?;
    Ok(t::DescribeAlarmsOutput {
        metric_alarms: Some(page),
        composite_alarms: want_composite.then(Vec::new),
        next_token: next,
    })
}

fn dimensions_of(v: Option<&Vec<t::Dimension>>) -> Vec<(&str, &str)> {
    let mut d: Vec<(&str, &str)> = v
        .into_iter()
        .flatten()
        .map(|x| (x.name.as_str(), x.value.as_str()))
        .collect();
    d.sort();
    d
}

pub fn describe_alarms_for_metric(
    cw: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeAlarmsForMetricInput,
) -> AwsResult<t::DescribeAlarmsForMetricOutput> {
    /// A member the input leaves out matches any alarm.
    fn same<T: PartialEq>(wanted: &Option<T>, has: &Option<T>) -> bool {
        wanted.is_none() || wanted == has
    }
    let wanted_dimensions = input.dimensions.as_ref().map(|d| dimensions_of(Some(d)));
    let alarms: Vec<t::MetricAlarm> = cw
        .alarms
        .values()
        .filter(|a| {
            let c = &a.config;
            c.metric_name.as_deref() == Some(input.metric_name.as_str())
                && c.namespace.as_deref() == Some(input.namespace.as_str())
                && same(&input.statistic, &c.statistic)
                && same(&input.extended_statistic, &c.extended_statistic)
                && same(&input.period, &c.period)
                && same(&input.unit, &c.unit)
        })
        .filter(|a| {
            wanted_dimensions
                .as_ref()
                .is_none_or(|d| *d == dimensions_of(a.config.dimensions.as_ref()))
        })
        .map(metric_alarm)
        .collect();
    Ok(t::DescribeAlarmsForMetricOutput {
        metric_alarms: Some(alarms),
    })
}

/// Deletes the named alarms. Names that match no alarm are skipped without an error: AWS's
/// DeleteAlarms is idempotent in practice (CloudFormation's alarm handler has to check for
/// existence itself because a second delete succeeds), whatever the model lists.
pub fn delete_alarms(cw: &mut State, env: &mut Env<'_>, _ctx: &Ctx, input: t::DeleteAlarmsInput) -> AwsResult<()> {
    for name in input.alarm_names {
        let removed = cw.alarms.remove(&name);
        if let Some(a) = removed {
            let data = json!({"version": "1.0", "type": "Delete", "deletedAlarm": history_alarm(&a)});
            push_history(
                cw,
                env,
                &name,
                t::HistoryItemType::ConfigurationUpdate,
                format!("Alarm \"{name}\" deleted"),
                data,
            );
            env.record(Entry::resource(
                "cloudwatch",
                format!("alarm {name} deleted"),
                json!({"alarm": name}),
            ));
        }
    }
    Ok(())
}

/// Moves an alarm to `value` (`OK`, `ALARM`, `INSUFFICIENT_DATA`) with `reason`, recording a
/// `StateUpdate` history item, as `SetAlarmState` does. For other services and scenarios.
pub fn set_alarm_state(
    cw: &mut State,
    env: &mut Env<'_>,
    name: &str,
    value: &str,
    reason: &str,
    reason_data: Option<&str>,
) -> AwsResult<()> {
    if let t::StateValue::Unknown(_) = t::StateValue::from(value) {
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
    let now = env.now_secs();
    let Some(a) = cw.alarms.get_mut(name) else {
        return Err(err("ResourceNotFound", format!("Alarm {name} not found")));
    };
    let old = std::mem::replace(&mut a.state_value, t::StateValue::from(value));
    let old_value = old.as_str();
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
        cw,
        env,
        name,
        t::HistoryItemType::StateUpdate,
        format!("Alarm updated from {old_value} to {value}"),
        json!({"version": "1.0", "oldState": old_state, "newState": new_state}),
    );
    env.record(
        match (AlarmStateValue::parse(old_value), AlarmStateValue::parse(value)) {
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

pub fn set_alarm_state_op(
    cw: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::SetAlarmStateInput,
) -> AwsResult<()> {
    set_alarm_state(
        cw,
        env,
        &input.alarm_name,
        input.state_value.as_str(),
        &input.state_reason,
        input.state_reason_data.as_deref(),
    )
}

pub fn describe_alarm_history(
    cw: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeAlarmHistoryInput,
) -> AwsResult<t::DescribeAlarmHistoryOutput> {
    let name = input.alarm_name.as_deref();
    let item_type = input.history_item_type.as_ref();
    let (start, end) = (input.start_date, input.end_date);
    let types = input.alarm_types.unwrap_or_default();
    let ascending = input.scan_by == Some(t::ScanBy::TimestampAscending);
    let max = input.max_records.map_or(100, i64::from).clamp(1, 100) as usize;
    let mut items: Vec<t::AlarmHistoryItem> = if types.is_empty() || types.contains(&t::AlarmType::MetricAlarm) {
        cw.history
            .iter()
            .filter(|h| name.is_none_or(|n| h.alarm_name == n))
            .filter(|h| item_type.is_none_or(|t| h.item_type == *t))
            .filter(|h| start.is_none_or(|s| h.timestamp >= s))
            .filter(|h| end.is_none_or(|e| h.timestamp <= e))
            .map(|h| t::AlarmHistoryItem {
                alarm_name: Some(h.alarm_name.clone()),
                alarm_type: Some(t::AlarmType::MetricAlarm),
                timestamp: Some(h.timestamp),
                history_item_type: Some(h.item_type.clone()),
                history_summary: Some(h.summary.clone()),
                history_data: Some(h.data.clone()),
                ..Default::default()
            })
            .collect()
    } else {
        Vec::new()
    };
    if !ascending {
        items.reverse();
    }
    let (page, next) = paginate(&items, input.next_token.as_deref(), max, "InvalidNextToken")?;
    Ok(t::DescribeAlarmHistoryOutput {
        alarm_history_items: Some(page),
        next_token: next,
    })
}

fn set_actions_enabled(cw: &mut State, names: &[String], enabled: bool) {
    let alarms = &mut cw.alarms;
    for name in names {
        if let Some(a) = alarms.get_mut(name) {
            a.actions_enabled = enabled;
        }
    }
}

pub fn enable_alarm_actions(
    cw: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::EnableAlarmActionsInput,
) -> AwsResult<()> {
    set_actions_enabled(cw, &input.alarm_names, true);
    Ok(())
}

pub fn disable_alarm_actions(
    cw: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DisableAlarmActionsInput,
) -> AwsResult<()> {
    set_actions_enabled(cw, &input.alarm_names, false);
    Ok(())
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
