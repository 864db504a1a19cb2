//! TagResource, UntagResource, ListTagsForResource on alarms (the only taggable resource here).

use super::t;
use super::State;
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;

fn not_found(arn: &str) -> AwsError {
    AwsError::new("ResourceNotFoundException", format!("Resource {arn} not found"))
        .with_extra("ResourceType", "Alarm")
        .with_extra("ResourceId", arn)
}

/// The alarm an ARN names, in the caller's account and region.
fn alarm_name<'a>(ctx: &Ctx, arn: &'a str) -> AwsResult<&'a str> {
    let prefix = format!("arn:aws:cloudwatch:{}:{}:alarm:", ctx.region, ctx.account);
    if let Some(name) = arn.strip_prefix(&prefix) {
        return Ok(name);
    }
    if arn.starts_with("arn:") {
        return Err(not_found(arn));
    }
    Err(AwsError::new("InvalidParameterValue", format!("Invalid ARN: {arn}")))
}

pub fn tag_resource(
    cw: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::TagResourceInput,
) -> AwsResult<t::TagResourceOutput> {
    let arn = input.resource_arn.as_str();
    let name = alarm_name(ctx, arn)?;
    let alarm = cw.alarms.get_mut(name).ok_or_else(|| not_found(arn))?;
    for t::Tag { key, value } in input.tags {
        match alarm.tags.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => alarm.tags.push((key, value)),
        }
    }
    Ok(t::TagResourceOutput {})
}

pub fn untag_resource(
    cw: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UntagResourceInput,
) -> AwsResult<t::UntagResourceOutput> {
    let arn = input.resource_arn.as_str();
    let name = alarm_name(ctx, arn)?;
    let alarm = cw.alarms.get_mut(name).ok_or_else(|| not_found(arn))?;
    alarm.tags.retain(|(k, _)| !input.tag_keys.contains(k));
    Ok(t::UntagResourceOutput {})
}

pub fn list_tags_for_resource(
    cw: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListTagsForResourceInput,
) -> AwsResult<t::ListTagsForResourceOutput> {
    let arn = input.resource_arn.as_str();
    let name = alarm_name(ctx, arn)?;
    let alarm = cw.alarms.get(name).ok_or_else(|| not_found(arn))?;
    let tags = alarm
        .tags
        .iter()
        .map(|(k, v)| t::Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect();
    Ok(t::ListTagsForResourceOutput { tags: Some(tags) })
}
