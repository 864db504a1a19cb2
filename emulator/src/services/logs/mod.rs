//! Amazon CloudWatch Logs: log groups and streams, events (PutLogEvents, GetLogEvents,
//! FilterLogEvents), retention policies and tags. The Lambda runtime writes through [`append`].
//!
//! `groups.rs` has groups, streams, retention and tags; `events.rs` the event operations;
//! `pattern.rs` the filter pattern matcher (plain terms, quoted phrases, `?` alternatives and
//! `-` exclusions; JSON and space-delimited patterns are refused). Retention is recorded and used
//! to reject expired events on PutLogEvents, but stored events are never purged.
//!
//! The handlers are typed over `cutover_types::logs` and over this service's [`State`] (see
//! `services::typed!`).

mod events;
mod groups;
mod pattern;

#[cfg(test)]
mod tests;

use super::Op;
use crate::protocol::AwsError;
use crate::sim::{PartitionKey, SimTime};
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
    /// In timestamp order (events with equal timestamps in arrival order).
    pub events: Vec<LogEvent>,
    /// How many PutLogEvents calls the stream has taken (its upload sequence token).
    pub uploads: u64,
    /// The ingestion time of the last event received.
    pub last_ingestion: Option<i64>,
}

impl LogStream {
    /// Inserts an event after every event with a timestamp at or before its own.
    fn insert(&mut self, event: LogEvent) {
        let at = self.events.partition_point(|e| e.timestamp <= event.timestamp);
        self.last_ingestion = Some(event.ingestion_time);
        self.events.insert(at, event);
    }

    fn sequence_token(&self) -> String {
        format!("49{:054}", self.uploads)
    }

    fn stored_bytes(&self) -> i64 {
        self.events.iter().map(|e| e.message.len() as i64).sum()
    }
}

#[derive(Debug, Clone, Default)]
pub struct LogGroup {
    pub name: String,
    pub created: i64,
    pub retention_days: Option<i64>,
    pub streams: BTreeMap<String, LogStream>,
    pub tags: BTreeMap<String, String>,
    pub kms_key_id: Option<String>,
    /// `STANDARD` when empty.
    pub class: String,
    pub deletion_protection: bool,
}

#[derive(Debug, Default)]
pub struct State {
    pub groups: BTreeMap<String, LogGroup>,
}

/// Appends events to `group`/`stream`, creating either when missing (as Lambda's service does).
pub fn append(logs: &mut State, now: SimTime, group: &str, stream: &str, messages: &[(i64, String)]) {
    let now = now.0;
    let g = logs.groups.entry(group.to_owned()).or_insert_with(|| LogGroup {
        name: group.to_owned(),
        created: now,
        ..Default::default()
    });
    let s = g.streams.entry(stream.to_owned()).or_insert_with(|| LogStream {
        name: stream.to_owned(),
        created: now,
        ..Default::default()
    });
    for (ts, m) in messages {
        s.insert(LogEvent {
            timestamp: *ts,
            ingestion_time: now,
            message: m.clone(),
        });
    }
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>` (DescribeLogGroups' `arn` adds `:*`).
pub fn log_group_arn(key: &PartitionKey, name: &str) -> String {
    format!("arn:aws:logs:{}:{}:log-group:{}", key.region, key.account, name)
}

pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterException", message)
}

pub(crate) fn group_not_found() -> AwsError {
    AwsError::new("ResourceNotFoundException", "The specified log group does not exist.")
}

pub(crate) fn stream_not_found() -> AwsError {
    AwsError::new("ResourceNotFoundException", "The specified log stream does not exist.")
}

pub fn handler(op: &str) -> Option<Op<State>> {
    let f: Op<State> = match op {
        "CreateLogGroup" => typed!(groups::create_log_group),
        "DeleteLogGroup" => typed!(groups::delete_log_group),
        "DescribeLogGroups" => typed!(groups::describe_log_groups),
        "CreateLogStream" => typed!(groups::create_log_stream),
        "DeleteLogStream" => typed!(groups::delete_log_stream),
        "DescribeLogStreams" => typed!(groups::describe_log_streams),
        "PutRetentionPolicy" => typed!(groups::put_retention_policy),
        "DeleteRetentionPolicy" => typed!(groups::delete_retention_policy),
        "TagLogGroup" => typed!(groups::tag_log_group),
        "UntagLogGroup" => typed!(groups::untag_log_group),
        "ListTagsLogGroup" => typed!(groups::list_tags_log_group),
        "TagResource" => typed!(groups::tag_resource),
        "UntagResource" => typed!(groups::untag_resource),
        "ListTagsForResource" => typed!(groups::list_tags_for_resource),
        "PutLogEvents" => typed!(events::put_log_events),
        "GetLogEvents" => typed!(events::get_log_events),
        "FilterLogEvents" => typed!(events::filter_log_events),
        _ => return None,
    };
    Some(f)
}
