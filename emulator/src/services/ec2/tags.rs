//! Tags on VPCs, subnets and security groups: CreateTags, DeleteTags, DescribeTags, and the
//! `TagSpecifications` of the Create* calls.

use super::filters::{self, s};
use super::{err, group_not_found, invalid, missing, subnet_not_found, vpc_not_found, well_formed, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::Ctx;
use cutover_types::ec2 as t;

/// The resource type of an id this module can tag, if the resource exists.
fn resource_type(st: &State, id: &str) -> AwsResult<&'static str> {
    if id.starts_with("vpc-") && well_formed(id, "vpc-") {
        st.vpc(id).map(|_| "vpc").ok_or_else(|| vpc_not_found(id))
    } else if id.starts_with("subnet-") && well_formed(id, "subnet-") {
        super::subnet(st, id)
            .map(|_| "subnet")
            .ok_or_else(|| subnet_not_found(id))
    } else if id.starts_with("sg-") && well_formed(id, "sg-") {
        super::security_group(st, id)
            .map(|_| "security-group")
            .ok_or_else(|| group_not_found(id))
    } else {
        Err(err("InvalidID", format!("The ID '{id}' is not valid")))
    }
}

/// `(key, value)` pairs of a `TagList`, checking keys.
fn parse_tags(list: Option<&[t::Tag]>) -> AwsResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for tag in list.unwrap_or_default() {
        let key = tag.key.as_deref().unwrap_or_default();
        if key.is_empty() {
            return Err(invalid("Tag keys must not be empty"));
        }
        if key.len() > 128 {
            return Err(invalid(format!(
                "Tag key exceeds the maximum length of 128 characters: {key}"
            )));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid("Tag keys starting with 'aws:' are reserved for internal use"));
        }
        let value = tag.value.as_deref().unwrap_or_default();
        if value.len() > 256 {
            return Err(invalid(format!(
                "Tag value exceeds the maximum length of 256 characters: {value}"
            )));
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// Sets tags on a resource: existing keys get the new value, new keys are appended.
pub fn set_tags(st: &mut State, id: &str, tags: &[(String, String)]) -> AwsResult<()> {
    let list = st.tags.entry(id.to_owned()).or_default();
    for (k, v) in tags {
        match list.iter_mut().find(|(key, _)| key == k) {
            Some(existing) => existing.1.clone_from(v),
            None => list.push((k.clone(), v.clone())),
        }
    }
    if list.len() > 50 {
        return Err(err(
            "TagLimitExceeded",
            format!("The maximum number of Tags for a resource has been reached: {id}"),
        ));
    }
    if list.is_empty() {
        st.tags.remove(id);
    }
    Ok(())
}

/// The tags `TagSpecifications` gives for `resource_type`, validated before the resource is made.
pub fn from_specifications(
    specs: Option<&[t::TagSpecification]>,
    resource_type: &str,
) -> AwsResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for spec in specs.unwrap_or_default() {
        let rt = spec.resource_type.as_ref().map_or("", |r| r.as_str());
        if rt != resource_type {
            return Err(invalid(format!(
                "'{rt}' is not a valid taggable resource type for this operation."
            )));
        }
        out.extend(parse_tags(spec.tags.as_deref())?);
    }
    if out.len() > 50 {
        return Err(err(
            "TagLimitExceeded",
            "The maximum number of Tags for a resource has been reached",
        ));
    }
    Ok(out)
}

pub fn create_tags(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: t::CreateTagsRequest) -> AwsResult<()> {
    let resources = &input.resources;
    if resources.is_empty() {
        return Err(missing("ResourceId"));
    }
    let tags = parse_tags(Some(&input.tags))?;
    for id in resources {
        resource_type(st, id)?;
    }
    for id in resources {
        let before = st.tags.get(id).cloned();
        if let Err(e) = set_tags(st, id, &tags) {
            match before {
                Some(b) => st.tags.insert(id.clone(), b),
                None => st.tags.remove(id),
            };
            return Err(e);
        }
    }
    Ok(())
}

pub fn delete_tags(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: t::DeleteTagsRequest) -> AwsResult<()> {
    let resources = &input.resources;
    if resources.is_empty() {
        return Err(missing("ResourceId"));
    }
    for id in resources {
        resource_type(st, id)?;
    }
    // Without Tags every tag goes; a tag with a Value is only deleted when the value matches.
    let wanted: Option<Vec<(String, Option<String>)>> = input.tags.as_ref().map(|a| {
        a.iter()
            .filter_map(|t| Some((t.key.clone()?, t.value.clone())))
            .collect()
    });
    for id in resources {
        let Some(list) = st.tags.get_mut(id) else {
            continue;
        };
        match &wanted {
            None => list.clear(),
            Some(w) => list.retain(|(k, v)| !w.iter().any(|(wk, wv)| wk == k && wv.as_ref().is_none_or(|wv| wv == v))),
        }
        if list.is_empty() {
            st.tags.remove(id);
        }
    }
    Ok(())
}

pub fn describe_tags(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeTagsRequest,
) -> AwsResult<t::DescribeTagsResult> {
    let filters = filters::parse(
        input.filters.as_deref(),
        &["resource-id", "resource-type", "key", "value"],
        true,
    )?;
    let mut out = Vec::new();
    for (id, tags) in &st.tags {
        let Ok(rt) = resource_type(st, id) else {
            continue;
        };
        for (k, v) in tags {
            let pair = [(k.clone(), v.clone())];
            let pass = filters::matches(&filters, &pair, |name| match name {
                "resource-id" => s(id),
                "resource-type" => s(rt),
                "key" => s(k),
                "value" => s(v),
                _ => vec![],
            });
            if pass {
                out.push(t::TagDescription {
                    resource_id: Some(id.clone()),
                    resource_type: Some(rt.into()),
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                });
            }
        }
    }
    let (page, next) = super::page(
        out,
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        5,
        1000,
    )?;
    Ok(t::DescribeTagsResult {
        tags: Some(page),
        next_token: next,
    })
}
