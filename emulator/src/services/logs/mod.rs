//! Amazon CloudWatch Logs. The API is being written; this module already holds what the Lambda
//! runtime calls: appending events to a group's stream.

use super::Handler;
use crate::world::{PartitionKey, World};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    /// Milliseconds since the epoch (simulated time).
    pub timestamp: i64,
    pub ingestion_time: i64,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct LogStream {
    pub name: String,
    pub created: i64,
    pub events: Vec<LogEvent>,
}

#[derive(Debug, Clone, Default)]
pub struct LogGroup {
    pub name: String,
    pub created: i64,
    pub retention_days: Option<i64>,
    pub streams: BTreeMap<String, LogStream>,
}

#[derive(Debug, Default)]
pub struct State {
    pub groups: BTreeMap<String, LogGroup>,
}

/// Appends events to `group`/`stream`, creating either when missing (as Lambda's service does).
pub fn append(world: &mut World, key: &PartitionKey, group: &str, stream: &str, messages: &[(i64, String)]) {
    let now = world.now.0;
    let g = world
        .region_mut(key)
        .logs
        .groups
        .entry(group.to_owned())
        .or_insert_with(|| LogGroup {
            name: group.to_owned(),
            created: now,
            ..Default::default()
        });
    let s = g.streams.entry(stream.to_owned()).or_insert_with(|| LogStream {
        name: stream.to_owned(),
        created: now,
        events: Vec::new(),
    });
    for (ts, m) in messages {
        s.events.push(LogEvent {
            timestamp: *ts,
            ingestion_time: now,
            message: m.clone(),
        });
    }
}

pub fn handler(_op: &str) -> Option<Handler> {
    None
}
