//! Log groups, log streams, retention policies and tags.

use super::{group_not_found, invalid, log_group_arn, stream_not_found, LogGroup, LogStream};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_bool, opt_i64, opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::world::{PartitionKey, World};
use serde_json::{json, Map, Value};
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
pub(super) fn group_name(key: &PartitionKey, input: &Value) -> AwsResult<String> {
    match (opt_str(input, "logGroupName"), opt_str(input, "logGroupIdentifier")) {
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

pub(super) fn group<'a>(world: &'a World, key: &PartitionKey, name: &str) -> AwsResult<&'a LogGroup> {
    world
        .region(key)
        .and_then(|r| r.logs.groups.get(name))
        .ok_or_else(group_not_found)
}

pub(super) fn group_mut<'a>(world: &'a mut World, key: &PartitionKey, name: &str) -> AwsResult<&'a mut LogGroup> {
    world
        .region_mut(key)
        .logs
        .groups
        .get_mut(name)
        .ok_or_else(group_not_found)
}

fn tag_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn tags_value(tags: &BTreeMap<String, String>) -> Value {
    Value::Object(tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>())
}

pub fn create_log_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "logGroupName").unwrap_or("").to_owned();
    let now = world.now.0;
    let groups = &mut world.region_mut(&key).logs.groups;
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
            tags: tag_map(input.get("tags")),
            kms_key_id: opt_str(&input, "kmsKeyId").map(str::to_owned),
            class: opt_str(&input, "logGroupClass").unwrap_or("STANDARD").to_owned(),
            deletion_protection: opt_bool(&input, "deletionProtectionEnabled").unwrap_or(false),
            ..Default::default()
        },
    );
    world.record(crate::timeline::Entry::resource(
        "logs",
        format!("log group {name} created"),
        json!({"logGroup": name}),
    ));
    Ok(json!({}))
}

pub fn delete_log_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "logGroupName").unwrap_or("");
    world
        .region_mut(&key)
        .logs
        .groups
        .remove(name)
        .ok_or_else(group_not_found)?;
    Ok(json!({}))
}

fn group_value(key: &PartitionKey, g: &LogGroup) -> Value {
    let arn = log_group_arn(key, &g.name);
    let stored: i64 = g.streams.values().map(LogStream::stored_bytes).sum();
    let mut v = json!({
        "logGroupName": g.name,
        "creationTime": g.created,
        "metricFilterCount": 0,
        "arn": format!("{arn}:*"),
        "storedBytes": stored,
        "logGroupClass": if g.class.is_empty() { "STANDARD" } else { g.class.as_str() },
        "logGroupArn": arn,
        "deletionProtectionEnabled": g.deletion_protection,
    });
    if let Some(r) = g.retention_days {
        v["retentionInDays"] = json!(r);
    }
    if let Some(k) = &g.kms_key_id {
        v["kmsKeyId"] = json!(k);
    }
    v
}

pub fn describe_log_groups(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let prefix = opt_str(&input, "logGroupNamePrefix");
    let pattern = opt_str(&input, "logGroupNamePattern").map(str::to_lowercase);
    let identifiers = str_list(&input, "logGroupIdentifiers");
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
    let class = opt_str(&input, "logGroupClass");
    let limit = opt_i64(&input, "limit").unwrap_or(50).clamp(1, 50) as usize;
    let groups: Vec<Value> = world
        .region(&key)
        .map(|r| {
            r.logs
                .groups
                .values()
                .filter(|g| prefix.is_none_or(|p| g.name.starts_with(p)))
                .filter(|g| pattern.as_deref().is_none_or(|p| g.name.to_lowercase().contains(p)))
                .filter(|g| wanted.is_empty() || wanted.contains(&g.name))
                .filter(|g| class.is_none_or(|c| (if g.class.is_empty() { "STANDARD" } else { &g.class }) == c))
                .map(|g| group_value(&key, g))
                .collect()
        })
        .unwrap_or_default();
    let (page, next) = paginate(
        &groups,
        opt_str(&input, "nextToken"),
        limit,
        "InvalidParameterException",
    )?;
    let mut out = json!({ "logGroups": page });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn create_log_stream(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let group_name = opt_str(&input, "logGroupName").unwrap_or("");
    let stream = opt_str(&input, "logStreamName").unwrap_or("").to_owned();
    let now = world.now.0;
    let g = group_mut(world, &key, group_name)?;
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
    Ok(json!({}))
}

pub fn delete_log_stream(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let group_name = opt_str(&input, "logGroupName").unwrap_or("");
    let stream = opt_str(&input, "logStreamName").unwrap_or("");
    let g = group_mut(world, &key, group_name)?;
    g.streams.remove(stream).ok_or_else(stream_not_found)?;
    Ok(json!({}))
}

fn stream_value(key: &PartitionKey, group: &str, s: &LogStream) -> Value {
    let mut v = json!({
        "logStreamName": s.name,
        "creationTime": s.created,
        "arn": format!("{}:log-stream:{}", log_group_arn(key, group), s.name),
        "storedBytes": 0,
    });
    if let (Some(first), Some(last)) = (s.events.first(), s.events.last()) {
        v["firstEventTimestamp"] = json!(first.timestamp);
        v["lastEventTimestamp"] = json!(last.timestamp);
    }
    if let Some(t) = s.last_ingestion {
        v["lastIngestionTime"] = json!(t);
    }
    if s.uploads > 0 {
        v["uploadSequenceToken"] = json!(s.sequence_token());
    }
    v
}

pub fn describe_log_streams(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = group_name(&key, &input)?;
    let prefix = opt_str(&input, "logStreamNamePrefix");
    let by_time = opt_str(&input, "orderBy") == Some("LastEventTime");
    if by_time && prefix.is_some() {
        return Err(invalid("Cannot order by LastEventTime with a logStreamNamePrefix."));
    }
    let descending = opt_bool(&input, "descending").unwrap_or(false);
    let limit = opt_i64(&input, "limit").unwrap_or(50).clamp(1, 50) as usize;
    let g = group(world, &key, &name)?;
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
    let values: Vec<Value> = streams.into_iter().map(|s| stream_value(&key, &name, s)).collect();
    let (page, next) = paginate(
        &values,
        opt_str(&input, "nextToken"),
        limit,
        "InvalidParameterException",
    )?;
    let mut out = json!({ "logStreams": page });
    if let Some(t) = next {
        out["nextToken"] = json!(t);
    }
    Ok(out)
}

pub fn put_retention_policy(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "logGroupName").unwrap_or("");
    let days = opt_i64(&input, "retentionInDays").unwrap_or(0);
    if !RETENTION_DAYS.contains(&days) {
        let list: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
        return Err(invalid(format!(
            "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            list.join(", ")
        )));
    }
    group_mut(world, &key, name)?.retention_days = Some(days);
    Ok(json!({}))
}

pub fn delete_retention_policy(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "logGroupName").unwrap_or("");
    group_mut(world, &key, name)?.retention_days = None;
    Ok(json!({}))
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

pub fn tag_log_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "logGroupName").unwrap_or("");
    add_tags(group_mut(world, &key, name)?, tag_map(input.get("tags")))?;
    Ok(json!({}))
}

pub fn untag_log_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "logGroupName").unwrap_or("");
    let keys = str_list(&input, "tags");
    group_mut(world, &key, name)?.tags.retain(|k, _| !keys.contains(k));
    Ok(json!({}))
}

pub fn list_tags_log_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "logGroupName").unwrap_or("");
    Ok(json!({ "tags": tags_value(&group(world, &key, name)?.tags) }))
}

/// The group a taggable resource ARN names (only log groups are taggable here).
fn arn_group(key: &PartitionKey, input: &Value) -> AwsResult<String> {
    let arn = opt_str(input, "resourceArn").unwrap_or("");
    match name_from_arn(key, arn) {
        Some(n) if !n.contains(':') => Ok(n.to_owned()),
        _ if arn.starts_with("arn:") => Err(group_not_found()),
        _ => Err(invalid(format!("Invalid ARN: {arn}"))),
    }
}

pub fn tag_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = arn_group(&key, &input)?;
    add_tags(group_mut(world, &key, &name)?, tag_map(input.get("tags")))?;
    Ok(json!({}))
}

pub fn untag_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = arn_group(&key, &input)?;
    let keys = str_list(&input, "tagKeys");
    group_mut(world, &key, &name)?.tags.retain(|k, _| !keys.contains(k));
    Ok(json!({}))
}

pub fn list_tags_for_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = arn_group(&key, &input)?;
    Ok(json!({ "tags": tags_value(&group(world, &key, &name)?.tags) }))
}
