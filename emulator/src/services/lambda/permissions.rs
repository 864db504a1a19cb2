//! Resource-based policies (AddPermission, RemovePermission, GetPolicy) and tags (TagResource,
//! UntagResource, ListTags). Typed over `cutover_types::lambda`; the policy statements are kept as
//! the documents they are.

use super::functions::{not_found_fn, qualifier, record, record_mut, split_qualifier, Record};
use super::State;
use super::{conflict, invalid, not_found, user_err};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::Ctx;
use cutover_types::lambda as t;
use serde_json::{json, Map, Value};

/// Largest resource policy Lambda keeps for one function or qualifier, in bytes.
pub const MAX_POLICY: usize = 20 * 1024;

fn check_qualifier(ctx: &Ctx, r: &Record, q: Option<&str>) -> AwsResult<()> {
    if r.config(q).is_none() {
        return Err(not_found_fn(ctx, &r.name, q));
    }
    Ok(())
}

fn policy_document(statements: &[Value]) -> Value {
    json!({"Version": "2012-10-17", "Id": "default", "Statement": statements})
}

pub fn add_permission(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::AddPermissionRequest,
) -> AwsResult<t::AddPermissionResponse> {
    let name_in = input.function_name.as_str();
    let sid = input.statement_id.as_str();
    let action = input.action.as_str();
    let principal = input.principal.as_str();
    if action.is_empty() {
        return Err(invalid("Action is required."));
    }
    let r = record_mut(st, ctx, name_in)?;
    let q = qualifier(input.qualifier.as_deref(), split_qualifier(name_in).1)?.map(str::to_owned);
    check_qualifier(ctx, r, q.as_deref())?;
    let resource = match &q {
        Some(q) => format!("{}:{q}", r.arn),
        None => r.arn.clone(),
    };
    let principal_json = if principal == "*" {
        json!("*")
    } else if principal.contains(".amazonaws.com") || (!principal.starts_with("arn:") && principal.contains('.')) {
        json!({"Service": principal})
    } else if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        json!({"AWS": format!("arn:aws:iam::{principal}:root")})
    } else {
        json!({"AWS": principal})
    };
    let mut statement = Map::new();
    statement.insert("Sid".into(), json!(sid));
    statement.insert("Effect".into(), json!("Allow"));
    statement.insert("Principal".into(), principal_json);
    statement.insert("Action".into(), json!(action));
    statement.insert("Resource".into(), json!(resource));
    let mut condition = Map::new();
    if let Some(acct) = &input.source_account {
        condition.insert("StringEquals".into(), json!({"AWS:SourceAccount": acct}));
    }
    if let Some(arn) = &input.source_arn {
        condition.insert("ArnLike".into(), json!({"AWS:SourceArn": arn}));
    }
    if let Some(org) = &input.principal_org_id {
        if let Some(m) = condition
            .entry("StringEquals")
            .or_insert_with(|| json!({}))
            .as_object_mut()
        {
            m.insert("aws:PrincipalOrgID".into(), json!(org));
        }
    }
    if let Some(auth) = &input.function_url_auth_type {
        condition.insert(
            "StringEquals".into(),
            json!({"lambda:FunctionUrlAuthType": auth.as_str()}),
        );
    }
    if !condition.is_empty() {
        statement.insert("Condition".into(), Value::Object(condition));
    }
    let statement = Value::Object(statement);
    let key = q.clone().unwrap_or_default();
    let statements = r.policies.entry(key.clone()).or_default();
    if statements
        .iter()
        .any(|s| s.get("Sid").and_then(Value::as_str) == Some(sid))
    {
        return Err(conflict(format!(
            "The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
        )));
    }
    let mut candidate = statements.clone();
    candidate.push(statement.clone());
    if policy_document(&candidate).to_string().len() > MAX_POLICY {
        return Err(user_err(
            "PolicyLengthExceededException",
            "The final policy size (bigger than the limit) is bigger than the limit.",
        ));
    }
    *statements = candidate;
    Ok(t::AddPermissionResponse {
        statement: Some(statement.to_string()),
    })
}

pub fn remove_permission(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::RemovePermissionRequest,
) -> AwsResult<()> {
    let name_in = input.function_name.as_str();
    let sid = input.statement_id.as_str();
    let r = record_mut(st, ctx, name_in)?;
    let q = qualifier(input.qualifier.as_deref(), split_qualifier(name_in).1)?.map(str::to_owned);
    check_qualifier(ctx, r, q.as_deref())?;
    let key = q.unwrap_or_default();
    let missing = || not_found(format!("Statement {sid} is not found in resource policy."));
    let statements = r.policies.get_mut(&key).ok_or_else(missing)?;
    let before = statements.len();
    statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(sid));
    if statements.len() == before {
        return Err(missing());
    }
    if statements.is_empty() {
        r.policies.remove(&key);
    }
    Ok(())
}

pub fn get_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::GetPolicyRequest,
) -> AwsResult<t::GetPolicyResponse> {
    let (r, q) = record(st, ctx, &input.function_name)?;
    let q = qualifier(input.qualifier.as_deref(), q)?;
    check_qualifier(ctx, r, q)?;
    let statements = r
        .policies
        .get(q.unwrap_or(""))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| not_found("The resource you requested does not exist."))?;
    let revision = r.config(q).map(|c| c.revision_id.clone()).unwrap_or_default();
    Ok(t::GetPolicyResponse {
        policy: Some(policy_document(statements).to_string()),
        revision_id: Some(revision),
    })
}

/// The function a tagging `Resource` ARN names (tags belong to the unqualified function).
fn tagged<'a>(st: &'a mut State, ctx: &Ctx, resource: &str) -> AwsResult<&'a mut Record> {
    let (name, q) = split_qualifier(resource);
    if !resource.starts_with("arn:") || resource.split(':').nth(5) != Some("function") {
        return Err(invalid(format!("Invalid resource ARN: {resource}")));
    }
    if q.is_some() {
        return Err(invalid(
            "Tags are not supported on a function version or alias; tag the unqualified function ARN.",
        ));
    }
    st.records.get_mut(name).ok_or_else(|| not_found_fn(ctx, name, None))
}

pub fn tag_resource(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: t::TagResourceRequest) -> AwsResult<()> {
    let r = tagged(st, ctx, &input.resource)?;
    let mut tags = r.tags.clone();
    tags.extend(input.tags);
    if tags.len() > 50 {
        return Err(invalid("Number of tags exceeds resource tag limit."));
    }
    r.tags = tags;
    Ok(())
}

pub fn untag_resource(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: t::UntagResourceRequest) -> AwsResult<()> {
    let r = tagged(st, ctx, &input.resource)?;
    for k in &input.tag_keys {
        r.tags.remove(k);
    }
    Ok(())
}

pub fn list_tags(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListTagsRequest,
) -> AwsResult<t::ListTagsResponse> {
    let r = tagged(st, ctx, &input.resource)?;
    Ok(t::ListTagsResponse {
        tags: Some(r.tags.clone()),
    })
}
