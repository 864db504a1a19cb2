//! Tags on applications, deployment groups and deployment configs: TagResource, UntagResource,
//! ListTagsForResource (and the `tags` of CreateApplication / CreateDeploymentGroup).

use super::{configs, err, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::codedeploy as t;

const MAX_TAGS: usize = 50;

/// Adds `[{Key, Value}]` tags to `arn` (replacing values of existing keys).
pub fn add(st: &mut State, arn: &str, tags: Option<&[t::Tag]>) -> AwsResult<()> {
    let Some(list) = tags else {
        return Ok(());
    };
    let mut current = st.tags.get(arn).cloned().unwrap_or_default();
    for tag in list {
        let k = tag.key.clone().unwrap_or_default();
        if k.is_empty() {
            return Err(err("InvalidTagsToAddException", "A tag key must be specified."));
        }
        let v = tag.value.clone().unwrap_or_default();
        match current.iter_mut().find(|(ck, _)| *ck == k) {
            Some(e) => e.1 = v,
            None => current.push((k, v)),
        }
    }
    if current.len() > MAX_TAGS {
        return Err(err(
            "InvalidTagsToAddException",
            format!("A resource can have at most {MAX_TAGS} tags."),
        ));
    }
    st.tags.insert(arn.to_owned(), current);
    Ok(())
}

/// Checks that `arn` names an existing application, deployment group or deployment config of this
/// partition.
fn check_arn(st: &State, ctx: &Ctx, arn: &str) -> AwsResult<()> {
    if arn.is_empty() {
        return Err(err(
            "ResourceArnRequiredException",
            "The ARN of a resource is required.",
        ));
    }
    let key = ctx.partition();
    let prefix = super::arn(&key, "");
    let invalid = || {
        err(
            "InvalidArnException",
            format!("The specified ARN is not in a valid format: {arn}"),
        )
    };
    if !arn.starts_with("arn:aws:codedeploy:") {
        return Err(invalid());
    }
    let Some(resource) = arn.strip_prefix(&prefix) else {
        return Err(invalid());
    };
    let (kind, rest) = resource.split_once(':').ok_or_else(invalid)?;
    match kind {
        "application" => {
            super::application(st, rest)?;
        }
        "deploymentgroup" => {
            let (app, group) = rest.split_once('/').ok_or_else(invalid)?;
            if !st.groups.contains_key(&(app.to_owned(), group.to_owned())) {
                return Err(err(
                    "DeploymentGroupDoesNotExistException",
                    format!("The deployment group {group} does not exist for application {app}."),
                ));
            }
        }
        "deploymentconfig" => {
            if configs::find(st, rest).is_none() {
                return Err(configs::no_config(rest));
            }
        }
        _ => {
            return Err(err(
                "ArnNotSupportedException",
                format!("The specified ARN is not supported: {arn}"),
            ))
        }
    }
    Ok(())
}

pub fn tag_resource(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::TagResourceInput,
) -> AwsResult<t::TagResourceOutput> {
    let arn = input.resource_arn;
    check_arn(st, ctx, &arn)?;
    if input.tags.is_empty() {
        return Err(err("TagRequiredException", "A tag was not specified."));
    }
    add(st, &arn, Some(&input.tags))?;
    Ok(t::TagResourceOutput {})
}

pub fn untag_resource(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UntagResourceInput,
) -> AwsResult<t::UntagResourceOutput> {
    let arn = input.resource_arn;
    check_arn(st, ctx, &arn)?;
    let keys = input.tag_keys;
    if keys.is_empty() {
        return Err(err("TagRequiredException", "A tag was not specified."));
    }
    if let Some(t) = st.tags.get_mut(&arn) {
        t.retain(|(k, _)| !keys.contains(k));
    }
    Ok(t::UntagResourceOutput {})
}

pub fn list_tags_for_resource(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListTagsForResourceInput,
) -> AwsResult<t::ListTagsForResourceOutput> {
    let arn = input.resource_arn;
    check_arn(st, ctx, &arn)?;
    let tags: Vec<t::Tag> = st
        .tags
        .get(&arn)
        .map(|tags| {
            tags.iter()
                .map(|(k, v)| t::Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        })
        .unwrap_or_default();
    let (page, next) = paginate(&tags, input.next_token.as_deref(), 100, "InvalidNextTokenException")
        .map_err(|e: AwsError| err("InvalidArnException", e.message))?;
    Ok(t::ListTagsForResourceOutput {
        tags: Some(page),
        next_token: next,
    })
}
