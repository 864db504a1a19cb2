//! Amazon CloudWatch alarms, as far as blue/green deployments need them. The API is being
//! written; this module already holds what CodeDeploy reads: alarm states.

use super::Handler;
use crate::world::{PartitionKey, World};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Alarm {
    pub name: String,
    pub arn: String,
    /// OK, ALARM or INSUFFICIENT_DATA.
    pub state_value: String,
}

#[derive(Debug, Default)]
pub struct State {
    /// Metric alarms by name.
    pub alarms: BTreeMap<String, Alarm>,
}

/// The state of a metric alarm (`OK`, `ALARM`, `INSUFFICIENT_DATA`), or `None` when it does not exist.
pub fn alarm_state<'a>(world: &'a World, key: &PartitionKey, name: &str) -> Option<&'a str> {
    world
        .region(key)?
        .cloudwatch
        .alarms
        .get(name)
        .map(|a| a.state_value.as_str())
}

pub fn handler(_op: &str) -> Option<Handler> {
    None
}
