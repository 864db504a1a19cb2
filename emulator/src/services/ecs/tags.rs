//! Tags on ECS resources: TagResource, UntagResource, ListTagsForResource, and the `tags` member
//! that the create calls accept.

use super::status::ClusterStatus;
use super::{invalid_parameter, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, str_list};
use crate::services::Ctx;
use serde_json::{json, Value};

pub const MAX_TAGS: usize = 50;

/// The tags of `arn` as the API returns them (`[{key, value}]`).
pub fn tags_json(state: &State, arn: &str) -> Value {
    let list: Vec<Value> = state
        .tags
        .get(arn)
        .map(|t| t.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
        .unwrap_or_default();
    Value::Array(list)
}

/// Adds (or overwrites) tags given as `[{key, value}]`, with ECS's limits.
pub fn add_tags(state: &mut State, arn: &str, tags: Option<&Value>) -> AwsResult<()> {
    let Some(items) = tags.and_then(Value::as_array) else {
        return Ok(());
    };
    let mut current = state.tags.get(arn).cloned().unwrap_or_default();
    for t in items {
        let key = t.get("key").and_then(Value::as_str).unwrap_or("");
        let value = t.get("value").and_then(Value::as_str).unwrap_or("");
        if key.is_empty() || key.chars().count() > 128 {
            return Err(invalid_parameter("Tag keys must be between 1 and 128 characters."));
        }
        if value.chars().count() > 256 {
            return Err(invalid_parameter("Tag values must be 256 characters or fewer."));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_parameter(
                "Tag keys cannot start with the reserved prefix 'aws:'.",
            ));
        }
        match current.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_owned(),
            None => current.push((key.to_owned(), value.to_owned())),
        }
    }
    if current.len() > MAX_TAGS {
        return Err(invalid_parameter(format!(
            "The number of tags exceeds the limit of {MAX_TAGS}."
        )));
    }
    state.tags.insert(arn.to_owned(), current);
    Ok(())
}

/// Whether an ARN names a resource that exists in this region's ECS state.
pub fn resource_exists(state: &State, arn: &str) -> bool {
    let Some(resource) = arn.splitn(6, ':').nth(5) else {
        return false;
    };
    let (kind, rest) = resource.split_once('/').unwrap_or((resource, ""));
    match kind {
        "cluster" => state
            .clusters
            .get(rest)
            .is_some_and(|c| c.status == ClusterStatus::Active),
        "task-definition" => super::task_definitions::find(state, arn).is_some(),
        _ => state.tags.contains_key(arn) || super::resource_exists_elsewhere(state, arn),
    }
}

fn require_resource(state: &State, arn: &str) -> AwsResult<()> {
    if !arn.starts_with("arn:aws:ecs:") {
        return Err(invalid_parameter("The ARN provided is invalid."));
    }
    if resource_exists(state, arn) {
        Ok(())
    } else {
        Err(AwsError::new(
            "ResourceNotFoundException",
            "The specified resource could not be found.",
        ))
    }
}

pub fn tag_resource(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "resourceArn").unwrap_or_default().to_owned();
    let state = &mut *st;
    require_resource(state, &arn)?;
    add_tags(state, &arn, input.get("tags"))?;
    Ok(json!({}))
}

pub fn untag_resource(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "resourceArn").unwrap_or_default().to_owned();
    let keys = str_list(&input, "tagKeys");
    let state = &mut *st;
    require_resource(state, &arn)?;
    if let Some(t) = state.tags.get_mut(&arn) {
        t.retain(|(k, _)| !keys.contains(k));
    }
    Ok(json!({}))
}

pub fn list_tags_for_resource(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "resourceArn").unwrap_or_default().to_owned();
    let state = &*st;
    require_resource(state, &arn)?;
    Ok(json!({"tags": tags_json(state, &arn)}))
}
