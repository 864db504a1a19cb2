//! Roles: create/get/list/update/delete, trust policy, tags, permissions boundary, service-linked
//! roles, and inline role policies. Typed over `cutover_types::iam`; policy documents stay the
//! strings they were given.

use super::documents::{self, DocKind};
use super::{
    merge_tags, no_such_role, page, read_tags, tags_out, validation, Role, State, INLINE_ROLE_POLICIES_MAX,
    TRUST_POLICY_MAX,
};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::iam as t;
use serde_json::json;
use std::collections::BTreeMap;

/// How a role appears in outputs. `full` adds what GetRole has and ListRoles leaves out.
pub(crate) fn role_out(r: &Role, full: bool) -> t::Role {
    let mut out = t::Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn.clone(),
        create_date: r.create_date,
        assume_role_policy_document: Some(documents::url_encode(&r.assume_role_policy)),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session_duration as i32),
        ..Default::default()
    };
    if full {
        out.permissions_boundary = boundary_out(r);
        out.tags = (!r.tags.is_empty()).then(|| tags_out(&r.tags));
        out.role_last_used = Some(match &r.last_used {
            Some((at, region)) => t::RoleLastUsed {
                last_used_date: Some(*at),
                region: Some(region.clone()),
            },
            None => t::RoleLastUsed::default(),
        });
    }
    out
}

/// The role's permissions boundary as outputs show it (IAM answers the type `Policy`).
fn boundary_out(r: &Role) -> Option<t::AttachedPermissionsBoundary> {
    r.permissions_boundary.as_ref().map(|b| t::AttachedPermissionsBoundary {
        permissions_boundary_type: Some(t::PermissionsBoundaryAttachmentType::from("Policy")),
        permissions_boundary_arn: Some(b.clone()),
    })
}

fn check_role_name(name: &str) -> AwsResult<()> {
    let ok_chars = name.chars().all(|c| c.is_alphanumeric() || "_+=,.@-".contains(c));
    if name.is_empty() || name.chars().count() > 64 || !ok_chars {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )));
    }
    Ok(())
}

pub(crate) fn check_path(path: &str, member: &str) -> AwsResult<()> {
    let ok = path.starts_with('/')
        && path.ends_with('/')
        && path.len() <= 512
        && path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !ok {
        return Err(validation(format!(
            "1 validation error detected: Value '{path}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
        )));
    }
    Ok(())
}

fn check_max_session(v: i64) -> AwsResult<()> {
    if v < 3600 {
        return Err(validation(format!(
            "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
        )));
    }
    if v > 43200 {
        return Err(validation(format!(
            "1 validation error detected: Value '{v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"
        )));
    }
    Ok(())
}

/// Validates a trust policy: size, document rules, and that `"AWS"` principals name something real.
fn check_trust_policy(st: &State, account: &str, doc: &str) -> AwsResult<()> {
    if documents::size(doc) > TRUST_POLICY_MAX {
        return Err(AwsError::new(
            "LimitExceeded",
            format!("Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_MAX}"),
        ));
    }
    let parsed = documents::validate(doc, DocKind::Trust)?;
    for p in documents::aws_principals(&parsed) {
        let is_account = p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit());
        let valid = if p == "*" || is_account {
            true
        } else if let Some((acct, name)) = super::parse_role_arn(&p) {
            // A role of this account must exist (IAM resolves it to its id on save).
            acct != account || st.role(&name).is_some()
        } else {
            p.starts_with("arn:aws:iam::") || p.starts_with("arn:aws:sts::")
        };
        if !valid {
            return Err(AwsError::new(
                "MalformedPolicyDocument",
                format!("Invalid principal in policy: \"AWS\":\"{p}\""),
            ));
        }
    }
    Ok(())
}

fn protected(role: &Role) -> AwsResult<()> {
    if role.is_service_linked() {
        return Err(AwsError::new(
            "UnmodifiableEntity",
            format!(
                "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                role.name
            ),
        ));
    }
    Ok(())
}

/// Looks a role up for reading.
pub(crate) fn find<'s>(st: &'s mut State, name: &str) -> AwsResult<&'s mut Role> {
    st.role_mut(name).ok_or_else(|| no_such_role(name))
}

/// What a new role is made of.
struct NewRole {
    name: String,
    path: String,
    trust: String,
    description: Option<String>,
    max_session: i64,
    tags: Vec<(String, String)>,
    boundary: Option<String>,
}

fn insert_role(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, new: NewRole) -> AwsResult<Role> {
    let name = &new.name;
    if st.role(name).is_some() {
        return Err(AwsError::new(
            "EntityAlreadyExists",
            format!("Role with name {name} already exists."),
        ));
    }
    let id = format!("AROA{}", env.ids.upper_alnum(17));
    let role = Role {
        name: name.clone(),
        id,
        arn: format!("arn:aws:iam::{}:role{}{}", ctx.account, new.path, name),
        path: new.path,
        assume_role_policy: new.trust,
        description: new.description,
        max_session_duration: new.max_session,
        permissions_boundary: new.boundary,
        tags: new.tags,
        create_date: env.now_secs(),
        last_used: None,
        inline_policies: BTreeMap::new(),
        attached: Vec::new(),
    };
    st.roles.insert(name.to_lowercase(), role.clone());
    env.record(crate::timeline::Entry::resource(
        "iam",
        format!("role {} created", role.arn),
        serde_json::Value::Null,
    ));
    Ok(role)
}

pub fn create_role(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateRoleRequest,
) -> AwsResult<t::CreateRoleResponse> {
    let name = input.role_name;
    check_role_name(&name)?;
    let path = input.path.unwrap_or_else(|| "/".into());
    check_path(&path, "path")?;
    let trust = input.assume_role_policy_document;
    let max_session = input.max_session_duration.map_or(3600, i64::from);
    check_max_session(max_session)?;
    let tags = read_tags(input.tags)?;
    let boundary = input.permissions_boundary;
    if let Some(b) = &boundary {
        super::policies::require_policy(st, b)?;
    }
    check_trust_policy(st, &ctx.account, &trust)?;
    let new = NewRole {
        name,
        path,
        trust,
        description: input.description,
        max_session,
        tags,
        boundary,
    };
    let role = insert_role(st, env, ctx, new)?;
    // CreateRole answers without MaxSessionDuration, with the tags and boundary it was given.
    let mut out = role_out(&role, false);
    out.max_session_duration = None;
    out.tags = (!role.tags.is_empty()).then(|| tags_out(&role.tags));
    out.permissions_boundary = boundary_out(&role);
    Ok(t::CreateRoleResponse { role: out })
}

pub fn get_role(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetRoleRequest,
) -> AwsResult<t::GetRoleResponse> {
    let role = find(st, &input.role_name)?;
    Ok(t::GetRoleResponse {
        role: role_out(role, true),
    })
}

pub fn list_roles(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListRolesRequest,
) -> AwsResult<t::ListRolesResponse> {
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    // Roles are kept by lower-cased name, so this is name order.
    let roles: Vec<t::Role> = st
        .roles
        .values()
        .filter(|r| r.path.starts_with(prefix))
        .map(|r| role_out(r, false))
        .collect();
    let (roles, p) = page(&roles, input.max_items, input.marker.as_deref())?;
    Ok(t::ListRolesResponse {
        roles,
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

pub fn update_role(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::UpdateRoleRequest,
) -> AwsResult<t::UpdateRoleResponse> {
    let max = input.max_session_duration.map(i64::from);
    if let Some(m) = max {
        check_max_session(m)?;
    }
    let role = find(st, &input.role_name)?;
    protected(role)?;
    if let Some(d) = input.description {
        role.description = Some(d);
    }
    if let Some(m) = max {
        role.max_session_duration = m;
    }
    Ok(t::UpdateRoleResponse {})
}

pub fn update_role_description(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::UpdateRoleDescriptionRequest,
) -> AwsResult<t::UpdateRoleDescriptionResponse> {
    let role = find(st, &input.role_name)?;
    protected(role)?;
    role.description = Some(input.description);
    Ok(t::UpdateRoleDescriptionResponse {
        role: Some(role_out(role, true)),
    })
}

pub fn update_assume_role_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UpdateAssumeRolePolicyRequest,
) -> AwsResult<()> {
    let name = &input.role_name;
    protected(find(st, name)?)?;
    check_trust_policy(st, &ctx.account, &input.policy_document)?;
    find(st, name)?.assume_role_policy = input.policy_document;
    Ok(())
}

pub fn delete_role(st: &mut State, env: &mut Env<'_>, _ctx: &Ctx, input: t::DeleteRoleRequest) -> AwsResult<()> {
    let name = &input.role_name;
    let role = find(st, name)?;
    protected(role)?;
    if !role.attached.is_empty() {
        return Err(AwsError::new(
            "DeleteConflict",
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    if !role.inline_policies.is_empty() {
        return Err(AwsError::new(
            "DeleteConflict",
            "Cannot delete entity, must delete policies first.",
        ));
    }
    let arn = role.arn.clone();
    st.roles.remove(&name.to_lowercase());
    env.record(crate::timeline::Entry::resource(
        "iam",
        format!("role {arn} deleted"),
        serde_json::Value::Null,
    ));
    Ok(())
}

pub fn tag_role(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: t::TagRoleRequest) -> AwsResult<()> {
    let tags = read_tags(Some(input.tags))?;
    let role = find(st, &input.role_name)?;
    merge_tags(&mut role.tags, tags)?;
    Ok(())
}

pub fn untag_role(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: t::UntagRoleRequest) -> AwsResult<()> {
    let role = find(st, &input.role_name)?;
    role.tags
        .retain(|(k, _)| !input.tag_keys.iter().any(|d| d.eq_ignore_ascii_case(k)));
    Ok(())
}

pub fn list_role_tags(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListRoleTagsRequest,
) -> AwsResult<t::ListRoleTagsResponse> {
    let role = find(st, &input.role_name)?;
    let (items, p) = page(&role.tags, input.max_items, input.marker.as_deref())?;
    Ok(t::ListRoleTagsResponse {
        tags: tags_out(&items),
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

pub fn put_role_permissions_boundary(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::PutRolePermissionsBoundaryRequest,
) -> AwsResult<()> {
    let name = &input.role_name;
    protected(find(st, name)?)?;
    super::policies::require_policy(st, &input.permissions_boundary)?;
    find(st, name)?.permissions_boundary = Some(input.permissions_boundary);
    Ok(())
}

pub fn delete_role_permissions_boundary(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteRolePermissionsBoundaryRequest,
) -> AwsResult<()> {
    let name = &input.role_name;
    let role = find(st, name)?;
    protected(role)?;
    if role.permissions_boundary.take().is_none() {
        return Err(AwsError::new(
            "NoSuchEntity",
            format!("The role with name {name} does not have a permissions boundary."),
        ));
    }
    Ok(())
}

/// The service-linked role a service gets: (role name, description). Unknown services get
/// `AWSServiceRoleFor<First label>`.
fn service_linked_name(service: &str) -> (String, String) {
    let known: &[(&str, &str, &str)] = &[
        (
            "ecs.amazonaws.com",
            "AWSServiceRoleForECS",
            "Role to enable Amazon ECS to manage your cluster.",
        ),
        (
            "elasticloadbalancing.amazonaws.com",
            "AWSServiceRoleForElasticLoadBalancing",
            "Allows ELB to call AWS services on your behalf.",
        ),
        (
            "ecs.application-autoscaling.amazonaws.com",
            "AWSServiceRoleForApplicationAutoScaling_ECSService",
            "",
        ),
        (
            "autoscaling.amazonaws.com",
            "AWSServiceRoleForAutoScaling",
            "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling",
        ),
        ("events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents", ""),
        ("delivery.logs.amazonaws.com", "AWSServiceRoleForLogDelivery", ""),
        (
            "replicator.lambda.amazonaws.com",
            "AWSServiceRoleForLambdaReplicator",
            "",
        ),
        ("ec2.amazonaws.com", "AWSServiceRoleForEC2", ""),
    ];
    if let Some((_, name, desc)) = known.iter().find(|(s, _, _)| *s == service) {
        return ((*name).to_owned(), (*desc).to_owned());
    }
    let first = service.split('.').next().unwrap_or(service);
    let mut label = String::new();
    let mut upper = true;
    for c in first.chars() {
        if c == '-' {
            upper = true;
            continue;
        }
        label.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = false;
    }
    (format!("AWSServiceRoleFor{label}"), String::new())
}

pub fn create_service_linked_role(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateServiceLinkedRoleRequest,
) -> AwsResult<t::CreateServiceLinkedRoleResponse> {
    let service = input.aws_service_name.as_str();
    if !service.ends_with(".amazonaws.com") || service.starts_with('.') {
        return Err(AwsError::new(
            "InvalidInput",
            format!("Invalid service name: {service}"),
        ));
    }
    let (base, default_description) = service_linked_name(service);
    let name = match input.custom_suffix.as_deref() {
        Some(s) if !s.is_empty() => format!("{base}_{s}"),
        _ => base,
    };
    if st.role(&name).is_some() {
        return Err(AwsError::new(
            "InvalidInput",
            format!("Service role name {name} has been taken in this account, please try a different suffix."),
        ));
    }
    let path = format!("/aws-service-role/{service}/");
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": [service]}, "Action": ["sts:AssumeRole"]}]
    })
    .to_string();
    let description = input
        .description
        .or_else(|| (!default_description.is_empty()).then_some(default_description));
    let new = NewRole {
        name,
        path,
        trust,
        description,
        max_session: 3600,
        tags: Vec::new(),
        boundary: None,
    };
    let role = insert_role(st, env, ctx, new)?;
    Ok(t::CreateServiceLinkedRoleResponse {
        role: Some(role_out(&role, false)),
    })
}

// ---- inline role policies ----

pub fn put_role_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::PutRolePolicyRequest,
) -> AwsResult<()> {
    let policy_name = input.policy_name.as_str();
    let doc = input.policy_document.as_str();
    let role = find(st, &input.role_name)?;
    protected(role)?;
    documents::validate(doc, DocKind::Inline)?;
    let others: usize = role
        .inline_policies
        .iter()
        .filter(|(n, _)| n.as_str() != policy_name)
        .map(|(_, d)| documents::size(d))
        .sum();
    if others + documents::size(doc) > INLINE_ROLE_POLICIES_MAX {
        return Err(AwsError::new(
            "LimitExceeded",
            format!(
                "Maximum policy size of {INLINE_ROLE_POLICIES_MAX} bytes exceeded for role {}",
                role.name
            ),
        ));
    }
    role.inline_policies.insert(policy_name.to_owned(), doc.to_owned());
    Ok(())
}

fn no_such_role_policy(policy_name: &str) -> AwsError {
    AwsError::new(
        "NoSuchEntity",
        format!("The role policy with name {policy_name} cannot be found."),
    )
}

pub fn get_role_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetRolePolicyRequest,
) -> AwsResult<t::GetRolePolicyResponse> {
    let role = find(st, &input.role_name)?;
    let doc = role
        .inline_policies
        .get(&input.policy_name)
        .ok_or_else(|| no_such_role_policy(&input.policy_name))?;
    Ok(t::GetRolePolicyResponse {
        role_name: role.name.clone(),
        policy_document: documents::url_encode(doc),
        policy_name: input.policy_name,
    })
}

pub fn list_role_policies(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListRolePoliciesRequest,
) -> AwsResult<t::ListRolePoliciesResponse> {
    let role = find(st, &input.role_name)?;
    let names: Vec<String> = role.inline_policies.keys().cloned().collect();
    let (policy_names, p) = page(&names, input.max_items, input.marker.as_deref())?;
    Ok(t::ListRolePoliciesResponse {
        policy_names,
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

pub fn delete_role_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteRolePolicyRequest,
) -> AwsResult<()> {
    let role = find(st, &input.role_name)?;
    protected(role)?;
    role.inline_policies
        .remove(&input.policy_name)
        .ok_or_else(|| no_such_role_policy(&input.policy_name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::world::World;
    use serde_json::{json, Value};

    fn create(w: &mut World, name: &str) -> Value {
        direct(
            "CreateRole",
            w,
            &ctx(),
            json!({"RoleName": name, "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap()
    }

    fn decode(s: &str) -> String {
        let bytes: Vec<u8> = s.as_bytes().to_vec();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn create_get_list_delete() {
        let mut w = world();
        let c = ctx();
        let out = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "app", "Path": "/svc/", "AssumeRolePolicyDocument": LAMBDA_TRUST,
                   "Description": "d", "Tags": [{"Key": "team", "Value": "a"}]}),
        )
        .unwrap();
        let r = &out["Role"];
        assert_eq!(r["Arn"], format!("arn:aws:iam::{ACCT}:role/svc/app"));
        assert_eq!(r["Path"], "/svc/");
        let id = r["RoleId"].as_str().unwrap();
        assert!(
            id.starts_with("AROA")
                && id.len() == 21
                && id[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(r["CreateDate"], json!(T0 as f64 / 1000.0));
        assert_eq!(decode(r["AssumeRolePolicyDocument"].as_str().unwrap()), LAMBDA_TRUST);
        assert_eq!(r["Tags"], json!([{"Key": "team", "Value": "a"}]));

        let got = direct("GetRole", &mut w, &c, json!({"RoleName": "app"})).unwrap();
        assert_eq!(got["Role"]["MaxSessionDuration"], 3600);
        assert_eq!(got["Role"]["Description"], "d");
        assert_eq!(got["Role"]["RoleLastUsed"], json!({}));

        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "APP", "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("EntityAlreadyExists", "Role with name APP already exists.")
        );

        create(&mut w, "b");
        create(&mut w, "a");
        let all = direct("ListRoles", &mut w, &c, json!({})).unwrap();
        let names: Vec<&str> = all["Roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["RoleName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "app", "b"]);
        assert_eq!(all["IsTruncated"], false);
        assert!(all["Roles"][0].get("Tags").is_none());
        let svc = direct("ListRoles", &mut w, &c, json!({"PathPrefix": "/svc/"})).unwrap();
        assert_eq!(svc["Roles"].as_array().unwrap().len(), 1);
        let p1 = direct("ListRoles", &mut w, &c, json!({"MaxItems": 2})).unwrap();
        assert_eq!(p1["IsTruncated"], true);
        assert_eq!(p1["Roles"].as_array().unwrap().len(), 2);
        let p2 = direct("ListRoles", &mut w, &c, json!({"MaxItems": 2, "Marker": p1["Marker"]})).unwrap();
        assert_eq!(p2["Roles"][0]["RoleName"], "b");
        assert_eq!(p2["IsTruncated"], false);

        direct("DeleteRole", &mut w, &c, json!({"RoleName": "app"})).unwrap();
        let e = direct("GetRole", &mut w, &c, json!({"RoleName": "app"})).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("NoSuchEntity", "The role with name app cannot be found.")
        );
        assert_eq!(
            direct("DeleteRole", &mut w, &c, json!({"RoleName": "app"}))
                .unwrap_err()
                .code,
            "NoSuchEntity"
        );
    }

    #[test]
    fn create_validates_its_input() {
        let mut w = world();
        let c = ctx();
        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "AssumeRolePolicyDocument": "{"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("MalformedPolicyDocument", "Syntax errors in policy.")
        );
        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "AssumeRolePolicyDocument": S3_READ}),
        )
        .unwrap_err();
        assert_eq!(e.message, "Has prohibited field Resource");
        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "AssumeRolePolicyDocument": LAMBDA_TRUST, "MaxSessionDuration": 60}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(e.message.contains("greater than or equal to 3600"), "{}", e.message);
        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "Path": "svc", "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "bad name", "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let missing_role = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/nope"},"Action":"sts:AssumeRole"}]}"#;
        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "AssumeRolePolicyDocument": missing_role}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:role/nope\""
        );
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Principal":{{"Service":"lambda.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}"#,
            "x".repeat(2100)
        );
        let e = direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "AssumeRolePolicyDocument": big}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")
        );
        assert!(w.account_mut(ACCT).iam.roles.is_empty());
    }

    #[test]
    fn update_and_trust_policy() {
        let mut w = world();
        let c = ctx();
        create(&mut w, "r");
        direct(
            "UpdateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "Description": "new", "MaxSessionDuration": 7200}),
        )
        .unwrap();
        let r = direct("GetRole", &mut w, &c, json!({"RoleName": "r"})).unwrap();
        assert_eq!(
            (
                r["Role"]["Description"].clone(),
                r["Role"]["MaxSessionDuration"].clone()
            ),
            (json!("new"), json!(7200))
        );
        assert_eq!(
            direct(
                "UpdateRole",
                &mut w,
                &c,
                json!({"RoleName": "r", "MaxSessionDuration": 50000})
            )
            .unwrap_err()
            .code,
            "ValidationError"
        );
        assert_eq!(
            direct("UpdateRole", &mut w, &c, json!({"RoleName": "x"}))
                .unwrap_err()
                .code,
            "NoSuchEntity"
        );
        let out = direct(
            "UpdateRoleDescription",
            &mut w,
            &c,
            json!({"RoleName": "r", "Description": "d2"}),
        )
        .unwrap();
        assert_eq!(out["Role"]["Description"], "d2");

        direct(
            "UpdateAssumeRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyDocument": ACCOUNT_TRUST}),
        )
        .unwrap();
        let r = direct("GetRole", &mut w, &c, json!({"RoleName": "r"})).unwrap();
        assert_eq!(
            decode(r["Role"]["AssumeRolePolicyDocument"].as_str().unwrap()),
            ACCOUNT_TRUST
        );
        let e = direct(
            "UpdateAssumeRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyDocument": S3_READ}),
        )
        .unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocument");
    }

    #[test]
    fn tags() {
        let mut w = world();
        let c = ctx();
        create(&mut w, "r");
        direct(
            "TagRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}),
        )
        .unwrap();
        direct(
            "TagRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "Tags": [{"Key": "A", "Value": "3"}]}),
        )
        .unwrap();
        let t = direct("ListRoleTags", &mut w, &c, json!({"RoleName": "r"})).unwrap();
        assert_eq!(
            t["Tags"],
            json!([{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}])
        );
        direct("UntagRole", &mut w, &c, json!({"RoleName": "r", "TagKeys": ["b"]})).unwrap();
        let t = direct("ListRoleTags", &mut w, &c, json!({"RoleName": "r"})).unwrap();
        assert_eq!(t["Tags"].as_array().unwrap().len(), 1);
        let e = direct(
            "TagRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "Tags": [{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}]}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidInput");
        let many: Vec<Value> = (0..50).map(|i| json!({"Key": format!("k{i}"), "Value": "v"})).collect();
        assert_eq!(
            direct("TagRole", &mut w, &c, json!({"RoleName": "r", "Tags": many}))
                .unwrap_err()
                .code,
            "LimitExceeded"
        );
        assert_eq!(
            direct("ListRoleTags", &mut w, &c, json!({"RoleName": "nope"}))
                .unwrap_err()
                .code,
            "NoSuchEntity"
        );
    }

    #[test]
    fn service_linked_roles() {
        let mut w = world();
        let c = ctx();
        let out = direct(
            "CreateServiceLinkedRole",
            &mut w,
            &c,
            json!({"AWSServiceName": "ecs.amazonaws.com"}),
        )
        .unwrap();
        let r = &out["Role"];
        assert_eq!(r["RoleName"], "AWSServiceRoleForECS");
        assert_eq!(r["Path"], "/aws-service-role/ecs.amazonaws.com/");
        assert_eq!(
            r["Arn"],
            format!("arn:aws:iam::{ACCT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")
        );
        assert_eq!(
            super::super::role_trusts(
                |a| w.account(a).map(|x| &x.iam),
                ACCT,
                "AWSServiceRoleForECS",
                "ecs.amazonaws.com",
                "sts:AssumeRole"
            ),
            Ok(())
        );
        let e = direct(
            "CreateServiceLinkedRole",
            &mut w,
            &c,
            json!({"AWSServiceName": "ecs.amazonaws.com"}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidInput");
        assert_eq!(
            e.message,
            "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix."
        );
        let e = direct("DeleteRole", &mut w, &c, json!({"RoleName": "AWSServiceRoleForECS"})).unwrap_err();
        assert_eq!(e.code, "UnmodifiableEntity");
        let elb = direct(
            "CreateServiceLinkedRole",
            &mut w,
            &c,
            json!({"AWSServiceName": "elasticloadbalancing.amazonaws.com"}),
        )
        .unwrap();
        assert_eq!(elb["Role"]["RoleName"], "AWSServiceRoleForElasticLoadBalancing");
    }

    #[test]
    fn inline_policies_and_delete_conflict() {
        let mut w = world();
        let c = ctx();
        create(&mut w, "r");
        direct(
            "PutRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "s3", "PolicyDocument": S3_READ}),
        )
        .unwrap();
        direct(
            "PutRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "a", "PolicyDocument": S3_READ}),
        )
        .unwrap();
        let got = direct(
            "GetRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "s3"}),
        )
        .unwrap();
        assert_eq!(got["RoleName"], "r");
        assert_eq!(decode(got["PolicyDocument"].as_str().unwrap()), S3_READ);
        let l = direct("ListRolePolicies", &mut w, &c, json!({"RoleName": "r"})).unwrap();
        assert_eq!(l["PolicyNames"], json!(["a", "s3"]));

        let e = direct("DeleteRole", &mut w, &c, json!({"RoleName": "r"})).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("DeleteConflict", "Cannot delete entity, must delete policies first.")
        );

        let e = direct(
            "PutRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "t", "PolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap_err();
        assert_eq!(e.message, "Policy document should not specify a principal.");
        let e = direct(
            "PutRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "nope", "PolicyName": "t", "PolicyDocument": S3_READ}),
        )
        .unwrap_err();
        assert_eq!(e.code, "NoSuchEntity");
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"s3:*","Resource":"*"}}]}}"#,
            "x".repeat(10_200)
        );
        let e = direct(
            "PutRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "big", "PolicyDocument": big}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "LimitExceeded",
                "Maximum policy size of 10240 bytes exceeded for role r"
            )
        );

        direct(
            "DeleteRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "s3"}),
        )
        .unwrap();
        let e = direct(
            "GetRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "s3"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("NoSuchEntity", "The role policy with name s3 cannot be found.")
        );
        assert_eq!(
            direct(
                "DeleteRolePolicy",
                &mut w,
                &c,
                json!({"RoleName": "r", "PolicyName": "s3"})
            )
            .unwrap_err()
            .code,
            "NoSuchEntity"
        );
        direct(
            "DeleteRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyName": "a"}),
        )
        .unwrap();
        direct("DeleteRole", &mut w, &c, json!({"RoleName": "r"})).unwrap();
    }

    #[test]
    fn ids_are_deterministic() {
        let mut a = world();
        let mut b = world();
        let ra = create(&mut a, "r");
        let rb = create(&mut b, "r");
        assert_eq!(ra["Role"]["RoleId"], rb["Role"]["RoleId"]);
    }
}
