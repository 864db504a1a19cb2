//! Log groups, log streams, retention policies and tags.

use super::{group_not_found, invalid, log_group_arn, stream_not_found, LogGroup, LogStream, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::Ctx;
use crate::sim::PartitionKey;
use cutover_types::logs as t;
use serde_json::json;
use std::collections::BTreeMap;

/// The retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/// The group name of a `log-group` ARN of this account and region (with or without `:*`).
fn name_from_arn<'a>(key: &PartitionKey, arn: &'a str) -> Option<&'a str> {
    let prefix = format!("arn:aws:logs:{}:{}:log-group:", key.region, key.account);
    let rest = arn.strip_prefix(&prefix)?;
    Some(rest.strip_suffix(":*").unwrap_or(rest))
}

/// The log group an input names through `logGroupName` or `logGroupIdentifier` (a name or ARN).
pub(super) fn group_name(key: &PartitionKey, name: Option<&str>, identifier: Option<&str>) -> AwsResult<String> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(invalid(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        )),
        (Some(n), None) => Ok(n.to_owned()),
        (None, Some(id)) if id.starts_with("arn:") => {
            name_from_arn(key, id).map(str::to_owned).ok_or_else(group_not_found)
        }
        (None, Some(id)) => Ok(id.to_owned()),
        (None, None) => Err(invalid("Should provide either a logGroupName or a logGroupIdentifier.")),
    }
}

pub(super) fn group<'a>(logs: &'a State, name: &str) -> AwsResult<&'a LogGroup> {
    logs.groups.get(name).ok_or_else(group_not_found)
}

pub(super) fn group_mut<'a>(logs: &'a mut State, name: &str) -> AwsResult<&'a mut LogGroup> {
    logs.groups.get_mut(name).ok_or_else(group_not_found)
}

pub fn create_log_group(
    logs: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::CreateLogGroupRequest,
) -> AwsResult<()> {
    let name = input.log_group_name;
    let now = env.now.0;
    let groups = &mut logs.groups;
    if groups.contains_key(&name) {
        return Err(AwsError::new(
            "ResourceAlreadyExistsException",
            "The specified log group already exists",
        ));
    }
    groups.insert(
        name.clone(),
        LogGroup {
            name: name.clone(),
            created: now,
            tags: input.tags.unwrap_or_default(),
            kms_key_id: input.kms_key_id,
            class: input
                .log_group_class
                .as_ref()
                .map_or("STANDARD", t::LogGroupClass::as_str)
                .to_owned(),
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            ..Default::default()
        },
    );
    env.record(crate::timeline::Entry::resource(
        "logs",
        format!("log group {name} created"),
        json!({"logGroup": name}),
    ));
    Ok(())
}

pub fn delete_log_group(
    logs: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteLogGroupRequest,
) -> AwsResult<()> {
    logs.groups.remove(&input.log_group_name).ok_or_else(group_not_found)?;
    Ok(())
}

fn group_value(key: &PartitionKey, g: &LogGroup) -> t::LogGroup {
    let arn = log_group_arn(key, &g.name);
    let stored: i64 = g.streams.values().map(LogStream::stored_bytes).sum();
    t::LogGroup {
        log_group_name: Some(g.name.clone()),
        creation_time: Some(g.created),
        metric_filter_count: Some(0),
        arn: Some(format!("{arn}:*")),
        stored_bytes: Some(stored),
        log_group_class: Some(t::LogGroupClass::from(if g.class.is_empty() {
            "STANDARD"
        } else {
            g.class.as_str()
        })),
        log_group_arn: Some(arn),
        deletion_protection_enabled: Some(g.deletion_protection),
        // A retention period is one of RETENTION_DAYS.
        retention_in_days: g.retention_days.and_then(|r| i32::try_from(r).ok()),
        kms_key_id: g.kms_key_id.clone(),
        ..Default::default()
    }
}

pub fn describe_log_groups(
    logs: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DescribeLogGroupsRequest,
) -> AwsResult<t::DescribeLogGroupsResponse> {
    let key = ctx.partition();
    let prefix = input.log_group_name_prefix.as_deref();
    let pattern = input.log_group_name_pattern.as_deref().map(str::to_lowercase);
    let identifiers = input.log_group_identifiers.unwrap_or_default();
    if prefix.is_some() && pattern.is_some() {
        return Err(invalid(
            "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        ));
    }
    if !identifiers.is_empty() && (prefix.is_some() || pattern.is_some()) {
        return Err(invalid(
            "logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.",
        ));
    }
    let wanted: Vec<String> = identifiers
        .iter()
        .map(|i| name_from_arn(&key, i).unwrap_or(i).to_owned())
        .collect();
    let class = input.log_group_class.as_ref().map(t::LogGroupClass::as_str);
    let limit = input.limit.map_or(50, i64::from).clamp(1, 50) as usize;
    let groups: Vec<t::LogGroup> = logs
        .groups
        .values()
        .filter(|g| prefix.is_none_or(|p| g.name.starts_with(p)))
        .filter(|g| pattern.as_deref().is_none_or(|p| g.name.to_lowercase().contains(p)))
        .filter(|g| wanted.is_empty() || wanted.contains(&g.name))
        .filter(|g| class.is_none_or(|c| (if g.class.is_empty() { "STANDARD" } else { &g.class }) == c))
        .map(|g| group_value(&key, g))
        .collect();
    let (page, next) = paginate(&groups, input.next_token.as_deref(), limit, "InvalidParameterException")?;
    Ok(t::DescribeLogGroupsResponse {
        log_groups: Some(page),
        next_token: next,
    })
}

pub fn create_log_stream(
    logs: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::CreateLogStreamRequest,
) -> AwsResult<()> {
    let stream = input.log_stream_name;
    let now = env.now.0;
    let g = group_mut(logs, &input.log_group_name)?;
    if g.streams.contains_key(&stream) {
        return Err(AwsError::new(
            "ResourceAlreadyExistsException",
            "The specified log stream already exists",
        ));
    }
    g.streams.insert(
        stream.clone(),
        LogStream {
            name: stream,
            created: now,
            ..Default::default()
        },
    );
    Ok(())
}

pub fn delete_log_stream(
    logs: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteLogStreamRequest,
) -> AwsResult<()> {
    let g = group_mut(logs, &input.log_group_name)?;
    g.streams.remove(&input.log_stream_name).ok_or_else(stream_not_found)?;
    Ok(())
}

fn stream_value(key: &PartitionKey, group: &str, s: &LogStream) -> t::LogStream {
    t::LogStream {
        log_stream_name: Some(s.name.clone()),
        creation_time: Some(s.created),
        arn: Some(format!("{}:log-stream:{}", log_group_arn(key, group), s.name)),
        stored_bytes: Some(0),
        first_event_timestamp: s.events.first().map(|e| e.timestamp),
        last_event_timestamp: s.events.last().map(|e| e.timestamp),
        last_ingestion_time: s.last_ingestion,
        upload_sequence_token: (s.uploads > 0).then(|| s.sequence_token()),
    }
}

pub fn describe_log_streams(
    logs: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DescribeLogStreamsRequest,
) -> AwsResult<t::DescribeLogStreamsResponse> {
    let key = ctx.partition();
    let name = group_name(
        &key,
        input.log_group_name.as_deref(),
        input.log_group_identifier.as_deref(),
    )?;
    let prefix = input.log_stream_name_prefix.as_deref();
    let by_time = input.order_by == Some(t::OrderBy::LastEventTime);
    if by_time && prefix.is_some() {
        return Err(invalid("Cannot order by LastEventTime with a logStreamNamePrefix."));
    }
    let descending = input.descending.unwrap_or(false);
    let limit = input.limit.map_or(50, i64::from).clamp(1, 50) as usize;
    let g = group(logs, &name)?;
    let mut streams: Vec<&LogStream> = g
        .streams
        .values()
        .filter(|s| prefix.is_none_or(|p| s.name.starts_with(p)))
        .collect();
    if by_time {
        // Streams without events sort first (as if their last event were at time zero).
        streams.sort_by_key(|s| (s.events.last().map(|e| e.timestamp).unwrap_or(0), s.name.clone()));
    }
    if descending {
        streams.reverse();
    }
    let values: Vec<t::LogStream> = streams.into_iter().map(|s| stream_value(&key, &name, s)).collect();
    let (page, next) = paginate(&values, input.next_token.as_deref(), limit, "InvalidParameterException")?;
    Ok(t::DescribeLogStreamsResponse {
        log_streams: Some(page),
        next_token: next,
    })
}

pub fn put_retention_policy(
    logs: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::PutRetentionPolicyRequest,
) -> AwsResult<()> {
    let days = i64::from(input.retention_in_days);
    if !RETENTION_DAYS.contains(&days) {
        let list: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
        return Err(invalid(format!(
            "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            list.join(", ")
        )));
    }
    group_mut(logs, &input.log_group_name)?.retention_days = Some(days);
    Ok(())
}

pub fn delete_retention_policy(
    logs: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteRetentionPolicyRequest,
) -> AwsResult<()> {
    group_mut(logs, &input.log_group_name)?.retention_days = None;
    Ok(())
}

fn add_tags(g: &mut LogGroup, tags: BTreeMap<String, String>) -> AwsResult<()> {
    let mut merged = g.tags.clone();
    merged.extend(tags);
    if merged.len() > 50 {
        return Err(AwsError::new(
            "TooManyTagsException",
            "A resource can have no more than 50 tags.",
        ));
    }
    g.tags = merged;
    Ok(())
}

pub fn tag_log_group(logs: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: t::TagLogGroupRequest) -> AwsResult<()> {
    add_tags(group_mut(logs, &input.log_group_name)?, input.tags)
}

pub fn untag_log_group(
    logs: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::UntagLogGroupRequest,
) -> AwsResult<()> {
    let keys = input.tags;
    group_mut(logs, &input.log_group_name)?
        .tags
        .retain(|k, _| !keys.contains(k));
    Ok(())
}

pub fn list_tags_log_group(
    logs: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListTagsLogGroupRequest,
) -> AwsResult<t::ListTagsLogGroupResponse> {
    Ok(t::ListTagsLogGroupResponse {
        tags: Some(group(logs, &input.log_group_name)?.tags.clone()),
    })
}

/// The group a taggable resource ARN names (only log groups are taggable here).
fn arn_group(key: &PartitionKey, arn: &str) -> AwsResult<String> {
    match name_from_arn(key, arn) {
        Some(n) if !n.contains(':') => Ok(n.to_owned()),
        _ if arn.starts_with("arn:") => Err(group_not_found()),
        _ => Err(invalid(format!("Invalid ARN: {arn}"))),
    }
}

pub fn tag_resource(logs: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: t::TagResourceRequest) -> AwsResult<()> {
    let key = ctx.partition();
    let name = arn_group(&key, &input.resource_arn)?;
    add_tags(group_mut(logs, &name)?, input.tags)
}

pub fn untag_resource(
    logs: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UntagResourceRequest,
) -> AwsResult<()> {
    let key = ctx.partition();
    let name = arn_group(&key, &input.resource_arn)?;
    let keys = input.tag_keys;
    group_mut(logs, &name)?.tags.retain(|k, _| !keys.contains(k));
    Ok(())
}

pub fn list_tags_for_resource(
    logs: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListTagsForResourceRequest,
) -> AwsResult<t::ListTagsForResourceResponse> {
    let key = ctx.partition();
    let name = arn_group(&key, &input.resource_arn)?;
    Ok(t::ListTagsForResourceResponse {
        tags: Some(group(logs, &name)?.tags.clone()),
    })
}
