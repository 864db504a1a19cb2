//! Tags on applications, deployment groups and deployment configs: TagResource, UntagResource,
//! ListTagsForResource (and the `tags` of CreateApplication / CreateDeploymentGroup).

use super::{configs, err, State};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::world::World;
use serde_json::{json, Value};

const MAX_TAGS: usize = 50;

/// Adds `[{Key, Value}]` tags to `arn` (replacing values of existing keys).
pub fn add(st: &mut State, arn: &str, tags: Option<&Value>) -> AwsResult<()> {
    let Some(list) = tags.and_then(Value::as_array) else {
        return Ok(());
    };
    let mut current = st.tags.get(arn).cloned().unwrap_or_default();
    for t in list {
        let k = opt_str(t, "Key").unwrap_or("").to_owned();
        if k.is_empty() {
            return Err(err("InvalidTagsToAddException", "A tag key must be specified."));
        }
        let v = opt_str(t, "Value").unwrap_or("").to_owned();
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
fn check_arn(world: &mut World, ctx: &Ctx, arn: &str) -> AwsResult<()> {
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
    let st = &world.region_mut(&key).codedeploy;
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

fn resource_arn(input: &Value) -> String {
    opt_str(input, "ResourceArn").unwrap_or("").to_owned()
}

pub fn tag_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = resource_arn(&input);
    check_arn(world, ctx, &arn)?;
    if input.get("Tags").and_then(Value::as_array).is_none_or(|a| a.is_empty()) {
        return Err(err("TagRequiredException", "A tag was not specified."));
    }
    add(
        &mut world.region_mut(&ctx.partition()).codedeploy,
        &arn,
        input.get("Tags"),
    )?;
    Ok(json!({}))
}

pub fn untag_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = resource_arn(&input);
    check_arn(world, ctx, &arn)?;
    let keys = str_list(&input, "TagKeys");
    if keys.is_empty() {
        return Err(err("TagRequiredException", "A tag was not specified."));
    }
    if let Some(t) = world.region_mut(&ctx.partition()).codedeploy.tags.get_mut(&arn) {
        t.retain(|(k, _)| !keys.contains(k));
    }
    Ok(json!({}))
}

pub fn list_tags_for_resource(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = resource_arn(&input);
    check_arn(world, ctx, &arn)?;
    let tags: Vec<Value> = world
        .region_mut(&ctx.partition())
        .codedeploy
        .tags
        .get(&arn)
        .map(|t| t.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
        .unwrap_or_default();
    let (page, next) = paginate(&tags, opt_str(&input, "NextToken"), 100, "InvalidNextTokenException")
        .map_err(|e: AwsError| err("InvalidArnException", e.message))?;
    let mut out = json!({"Tags": page});
    if let Some(n) = next {
        out["NextToken"] = json!(n);
    }
    Ok(out)
}
