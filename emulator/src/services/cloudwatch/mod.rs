//! Amazon CloudWatch: metric alarms (what CodeDeploy's blue/green deployments watch), their
//! history, tags, and a minimal store of `PutMetricData` datapoints.
//!
//! Alarms are never evaluated against metrics: a new alarm stays `INSUFFICIENT_DATA` until
//! `SetAlarmState` (or [`set_alarm_state`] from another service or a scenario) moves it. Alarm
//! actions are recorded as enabled or disabled but never run.
//!
//! `alarms.rs` has the alarm operations and the history, `metrics.rs` the datapoint store,
//! `tags.rs` tagging.
//!
//! The handlers are typed over `cutover_types::cloudwatch` and over this service's [`State`] (see
//! `services::typed!`).

mod alarms;
mod metrics;
mod tags;

#[cfg(test)]
mod tests;

pub use alarms::set_alarm_state;

use super::Op;
use crate::sim::PartitionKey;
use cutover_types::cloudwatch as t;
use std::collections::BTreeMap;

/// Tags in the order they were added.
pub type Tags = Vec<(String, String)>;

/// A metric alarm (a new one, `Alarm::default()`, is `INSUFFICIENT_DATA`).
#[derive(Debug, Clone)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    pub state_value: t::StateValue,
    pub state_reason: String,
    /// JSON text, when the state change carried some.
    pub state_reason_data: Option<String>,
    /// Epoch seconds.
    pub state_updated: f64,
    pub state_transitioned: f64,
    pub config_updated: f64,
    pub actions_enabled: bool,
    /// The alarm's configuration as `PutMetricAlarm` gave it: the members of `MetricAlarm` that
    /// `PutMetricAlarm` sets (no name, ARN, actions flag, state or timestamps).
    pub config: t::MetricAlarm,
    pub tags: Tags,
}

impl Default for Alarm {
    fn default() -> Alarm {
        Alarm {
            name: String::new(),
            arn: String::new(),
            state_value: t::StateValue::InsufficientData,
            state_reason: String::new(),
            state_reason_data: None,
            state_updated: 0.0,
            state_transitioned: 0.0,
            config_updated: 0.0,
            actions_enabled: false,
            config: t::MetricAlarm::default(),
            tags: Tags::new(),
        }
    }
}

/// One `DescribeAlarmHistory` item.
#[derive(Debug, Clone)]
pub struct HistoryItem {
    pub alarm_name: String,
    /// Epoch seconds.
    pub timestamp: f64,
    /// `ConfigurationUpdate` or `StateUpdate`.
    pub item_type: t::HistoryItemType,
    pub summary: String,
    /// JSON text.
    pub data: String,
}

/// One stored datapoint of `PutMetricData`.
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    /// Epoch seconds.
    pub timestamp: f64,
    pub value: Option<f64>,
    pub unit: Option<t::StandardUnit>,
}

#[derive(Debug, Default)]
pub struct State {
    /// Metric alarms by name.
    pub alarms: BTreeMap<String, Alarm>,
    /// Every history item, oldest first (kept after an alarm is deleted, as AWS does).
    pub history: Vec<HistoryItem>,
    /// The most recent datapoints, oldest first, at most [`metrics::MAX_DATAPOINTS`].
    pub datapoints: std::collections::VecDeque<Datapoint>,
}

/// The state of a metric alarm (`OK`, `ALARM`, `INSUFFICIENT_DATA`), or `None` when it does not exist.
pub fn alarm_state<'a>(cw: &'a State, name: &str) -> Option<&'a str> {
    cw.alarms.get(name).map(|a| a.state_value.as_str())
}

/// `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`
pub fn alarm_arn(key: &PartitionKey, name: &str) -> String {
    format!("arn:aws:cloudwatch:{}:{}:alarm:{}", key.region, key.account, name)
}

pub fn handler(op: &str) -> Option<Op<State>> {
    let f: Op<State> = match op {
        "PutMetricAlarm" => typed!(alarms::put_metric_alarm),
        "DescribeAlarms" => typed!(alarms::describe_alarms),
        "DescribeAlarmsForMetric" => typed!(alarms::describe_alarms_for_metric),
        "DeleteAlarms" => typed!(alarms::delete_alarms),
        "SetAlarmState" => typed!(alarms::set_alarm_state_op),
        "DescribeAlarmHistory" => typed!(alarms::describe_alarm_history),
        "EnableAlarmActions" => typed!(alarms::enable_alarm_actions),
        "DisableAlarmActions" => typed!(alarms::disable_alarm_actions),
        "TagResource" => typed!(tags::tag_resource),
        "UntagResource" => typed!(tags::untag_resource),
        "ListTagsForResource" => typed!(tags::list_tags_for_resource),
        "PutMetricData" => typed!(metrics::put_metric_data),
        _ => return None,
    };
    Some(f)
}

/// Whether a double member of the canonical input is non-finite: the canonical form carries
/// `NaN`, `Infinity` and `-Infinity` as strings, which a generated `f64` does not take. The
/// input types of PutMetricAlarm and PutMetricData take them out before deserialising and
/// treat them as the `Value` handlers did (a non-number read as absent).
fn non_finite(v: Option<&serde_json::Value>) -> bool {
    v.is_some_and(serde_json::Value::is_string)
}
