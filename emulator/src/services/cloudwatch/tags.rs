//! TagResource, UntagResource, ListTagsForResource on alarms (the only taggable resource here).

use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, str_list};
use crate::services::Ctx;
use crate::world::World;
use serde_json::{json, Value};

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

pub fn tag_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "ResourceARN").unwrap_or("");
    let name = alarm_name(ctx, arn)?;
    let alarm = world
        .region_mut(&ctx.partition())
        .cloudwatch
        .alarms
        .get_mut(name)
        .ok_or_else(|| not_found(arn))?;
    for t in input.get("Tags").and_then(Value::as_array).into_iter().flatten() {
        let (Some(k), v) = (opt_str(t, "Key"), opt_str(t, "Value").unwrap_or("")) else {
            continue;
        };
        match alarm.tags.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v.to_owned(),
            None => alarm.tags.push((k.to_owned(), v.to_owned())),
        }
    }
    Ok(json!({}))
}

pub fn untag_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "ResourceARN").unwrap_or("");
    let name = alarm_name(ctx, arn)?;
    let keys = str_list(&input, "TagKeys");
    let alarm = world
        .region_mut(&ctx.partition())
        .cloudwatch
        .alarms
        .get_mut(name)
        .ok_or_else(|| not_found(arn))?;
    alarm.tags.retain(|(k, _)| !keys.contains(k));
    Ok(json!({}))
}

pub fn list_tags_for_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "ResourceARN").unwrap_or("");
    let name = alarm_name(ctx, arn)?;
    let alarm = world
        .region(&ctx.partition())
        .and_then(|r| r.cloudwatch.alarms.get(name))
        .ok_or_else(|| not_found(arn))?;
    let tags: Vec<Value> = alarm.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect();
    Ok(json!({ "Tags": tags }))
}
