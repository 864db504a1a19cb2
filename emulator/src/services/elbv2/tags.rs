//! Tags on load balancers, target groups, listeners and rules: AddTags, RemoveTags, DescribeTags.

use super::{
    lb_not_found_one, listeners_not_found, parse_tags, rules_not_found, tags_value, tg_not_found_one, validation,
    State, Tags,
};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::elbv2 as t;

/// The tags of the resource an ARN names, or the NotFound error of its kind.
fn tags_mut<'a>(st: &'a mut State, arn: &str) -> AwsResult<&'a mut Tags> {
    if arn.contains(":listener-rule/") {
        st.rules.get_mut(arn).map(|r| &mut r.tags).ok_or_else(rules_not_found)
    } else if arn.contains(":listener/") {
        st.listeners
            .get_mut(arn)
            .map(|l| &mut l.tags)
            .ok_or_else(listeners_not_found)
    } else if arn.contains(":targetgroup/") {
        st.target_groups
            .get_mut(arn)
            .map(|t| &mut t.tags)
            .ok_or_else(|| tg_not_found_one(arn))
    } else if arn.contains(":loadbalancer/") {
        st.load_balancers
            .get_mut(arn)
            .map(|l| &mut l.tags)
            .ok_or_else(|| lb_not_found_one(arn))
    } else {
        Err(validation(format!("Resource ARN '{arn}' is not valid")))
    }
}

fn arns(arns: &[String]) -> AwsResult<&[String]> {
    if arns.is_empty() {
        return Err(validation("At least one resource ARN must be specified"));
    }
    if arns.len() > 20 {
        return Err(validation("You can specify at most 20 resource ARNs"));
    }
    Ok(arns)
}

pub(super) fn add_tags(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::AddTagsInput,
) -> AwsResult<t::AddTagsOutput> {
    let new = parse_tags(Some(&input.tags))?;
    if new.is_empty() {
        return Err(validation("At least one tag must be specified"));
    }
    let arns = arns(&input.resource_arns)?;
    // Check every resource first, so a failure changes nothing.
    for arn in arns {
        let tags = tags_mut(st, arn)?;
        let added = new.iter().filter(|(k, _)| !tags.iter().any(|(x, _)| x == k)).count();
        if tags.len() + added > 50 {
            return Err(AwsError::new(
                "TooManyTags",
                "The quota for the number of tags that can be assigned to a resource has been reached",
            ));
        }
    }
    for arn in arns {
        let tags = tags_mut(st, arn)?;
        for (k, v) in &new {
            match tags.iter_mut().find(|(x, _)| x == k) {
                Some(t) => t.1 = v.clone(),
                None => tags.push((k.clone(), v.clone())),
            }
        }
    }
    Ok(t::AddTagsOutput {})
}

pub(super) fn remove_tags(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::RemoveTagsInput,
) -> AwsResult<t::RemoveTagsOutput> {
    let keys = &input.tag_keys;
    let arns = arns(&input.resource_arns)?;
    for arn in arns {
        tags_mut(st, arn)?;
    }
    for arn in arns {
        tags_mut(st, arn)?.retain(|(k, _)| !keys.contains(k));
    }
    Ok(t::RemoveTagsOutput {})
}

pub(super) fn describe_tags(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeTagsInput,
) -> AwsResult<t::DescribeTagsOutput> {
    let arns = arns(&input.resource_arns)?;
    let mut out = Vec::new();
    for arn in arns {
        let tags = tags_mut(st, arn)?;
        out.push(t::TagDescription {
            resource_arn: Some(arn.clone()),
            tags: Some(tags_value(tags)),
        });
    }
    Ok(t::DescribeTagsOutput {
        tag_descriptions: Some(out),
    })
}
