//! Tags on ECS resources: TagResource, UntagResource, ListTagsForResource, and the `tags` member
//! that the create calls accept.

use super::status::ClusterStatus;
use super::{invalid_parameter, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::ecs as t;

pub const MAX_TAGS: usize = 50;

/// The tags of `arn` as the API returns them.
pub fn tags_of(state: &State, arn: &str) -> Vec<t::Tag> {
    state
        .tags
        .get(arn)
        .map(|tags| {
            tags.iter()
                .map(|(k, v)| t::Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Adds (or overwrites) tags, with ECS's limits (`None`: the call had no `tags` member).
pub fn add_tags(state: &mut State, arn: &str, items: Option<&[t::Tag]>) -> AwsResult<()> {
    let Some(items) = items else {
        return Ok(());
    };
    let mut current = state.tags.get(arn).cloned().unwrap_or_default();
    for tag in items {
        let key = tag.key.as_deref().unwrap_or("");
        let value = tag.value.as_deref().unwrap_or("");
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

pub fn tag_resource(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::TagResourceRequest,
) -> AwsResult<t::TagResourceResponse> {
    require_resource(st, &input.resource_arn)?;
    add_tags(st, &input.resource_arn, Some(&input.tags))?;
    Ok(t::TagResourceResponse {})
}

pub fn untag_resource(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::UntagResourceRequest,
) -> AwsResult<t::UntagResourceResponse> {
    require_resource(st, &input.resource_arn)?;
    if let Some(tags) = st.tags.get_mut(&input.resource_arn) {
        tags.retain(|(k, _)| !input.tag_keys.contains(k));
    }
    Ok(t::UntagResourceResponse {})
}

pub fn list_tags_for_resource(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListTagsForResourceRequest,
) -> AwsResult<t::ListTagsForResourceResponse> {
    require_resource(st, &input.resource_arn)?;
    Ok(t::ListTagsForResourceResponse {
        tags: Some(tags_of(st, &input.resource_arn)),
    })
}
