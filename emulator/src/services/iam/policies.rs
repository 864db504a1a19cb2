//! Managed policies: customer managed policies with their versions, the AWS managed policies
//! (read-only), attaching them to roles, and the lists over them. Typed over
//! `cutover_types::iam`; policy documents stay the strings they were given.

use super::documents::{self, DocKind};
use super::managed::{self, AwsManagedPolicy};
use super::roles::{check_path, find as find_role};
use super::{
    merge_tags, page, read_tags, tags_out, ManagedPolicy, PolicyVersion, State, MANAGED_POLICY_MAX,
    MAX_POLICIES_PER_ROLE, MAX_POLICY_VERSIONS,
};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::iam as t;
use serde_json::Value;

fn check_arn(arn: &str) -> AwsResult<()> {
    if arn.starts_with("arn:") && arn.split(':').count() >= 6 {
        Ok(())
    } else {
        Err(AwsError::new("InvalidInput", format!("ARN {arn} is not valid.")))
    }
}

fn not_found(arn: &str) -> AwsError {
    AwsError::new("NoSuchEntity", format!("Policy {arn} was not found."))
}

fn not_attachable(arn: &str) -> AwsError {
    AwsError::new(
        "NoSuchEntity",
        format!("Policy {arn} does not exist or is not attachable."),
    )
}

fn no_such_version(arn: &str, version: &str) -> AwsError {
    AwsError::new(
        "NoSuchEntity",
        format!("Policy {arn} version {version} does not exist or is not attachable."),
    )
}

fn aws_read_only(ctx: &Ctx, action: &str, arn: &str) -> AwsError {
    AwsError::new(
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: iam:{action} on resource: policy {arn}",
            ctx.caller.arn
        ),
    )
    .with_status(403)
}

/// Either kind of managed policy, by ARN.
enum Found {
    Aws(&'static AwsManagedPolicy),
    Customer,
}

fn lookup(st: &State, arn: &str) -> Option<Found> {
    if let Some(p) = managed::by_arn(arn) {
        return Some(Found::Aws(p));
    }
    st.policies.contains_key(arn).then_some(Found::Customer)
}

/// Checks that a policy ARN names an existing managed policy (for attaching it, or as a
/// permissions boundary).
pub(crate) fn require_policy(st: &State, arn: &str) -> AwsResult<()> {
    check_arn(arn)?;
    match lookup(st, arn) {
        Some(_) => Ok(()),
        None => Err(not_attachable(arn)),
    }
}

/// The counts and dates every managed policy output has.
fn policy_out(st: &State, arn: &str, name: &str, id: String, path: &str, default_version: &str) -> t::Policy {
    t::Policy {
        policy_name: Some(name.to_owned()),
        policy_id: Some(id),
        arn: Some(arn.to_owned()),
        path: Some(path.to_owned()),
        default_version_id: Some(default_version.to_owned()),
        attachment_count: Some(st.attachment_count(arn) as i32),
        permissions_boundary_usage_count: Some(st.boundary_count(arn) as i32),
        is_attachable: Some(true),
        ..Default::default()
    }
}

fn customer_out(st: &State, p: &ManagedPolicy, full: bool) -> t::Policy {
    let mut out = policy_out(st, &p.arn, &p.name, p.id.clone(), &p.path, &p.default_version);
    out.create_date = Some(p.create_date);
    out.update_date = Some(p.update_date);
    if full {
        out.description = p.description.clone();
        out.tags = (!p.tags.is_empty()).then(|| tags_out(&p.tags));
    }
    out
}

fn aws_out(st: &State, p: &AwsManagedPolicy, full: bool) -> t::Policy {
    let arn = p.arn();
    let mut out = policy_out(st, &arn, p.name, p.policy_id(), p.path, p.default_version);
    out.create_date = Some(p.create_date);
    out.update_date = Some(p.update_date);
    if full {
        out.description = Some(p.description.to_owned());
    }
    out
}

fn check_managed_document(doc: &str) -> AwsResult<()> {
    if documents::size(doc) > MANAGED_POLICY_MAX {
        return Err(AwsError::new(
            "LimitExceeded",
            format!("Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}"),
        ));
    }
    documents::validate(doc, DocKind::Managed).map(|_| ())
}

pub fn create_policy(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreatePolicyRequest,
) -> AwsResult<t::CreatePolicyResponse> {
    let name = input.policy_name.as_str();
    let doc = input.policy_document.as_str();
    let path = input.path.as_deref().unwrap_or("/");
    check_path(path, "path")?;
    let tags = read_tags(input.tags)?;
    check_managed_document(doc)?;
    let arn = format!("arn:aws:iam::{}:policy{}{}", ctx.account, path, name);
    if st.policies.values().any(|p| p.name.eq_ignore_ascii_case(name)) {
        return Err(AwsError::new(
            "EntityAlreadyExists",
            format!("A policy called {name} already exists. Duplicate names are not allowed."),
        ));
    }
    let now = env.now_secs();
    let id = format!("ANPA{}", env.ids.upper_alnum(17));
    let policy = ManagedPolicy {
        name: name.to_owned(),
        id,
        arn: arn.clone(),
        path: path.to_owned(),
        description: input.description.clone(),
        create_date: now,
        update_date: now,
        default_version: "v1".into(),
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document: doc.to_owned(),
            create_date: now,
        }],
        next_version: 2,
        tags,
    };
    let mut out = customer_out(st, &policy, false);
    if !policy.tags.is_empty() {
        out.tags = Some(tags_out(&policy.tags));
    }
    st.policies.insert(arn.clone(), policy);
    env.record(crate::timeline::Entry::resource(
        "iam",
        format!("policy {arn} created"),
        Value::Null,
    ));
    Ok(t::CreatePolicyResponse { policy: Some(out) })
}

pub fn get_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetPolicyRequest,
) -> AwsResult<t::GetPolicyResponse> {
    let arn = input.policy_arn.as_str();
    check_arn(arn)?;
    let out = match lookup(st, arn) {
        Some(Found::Aws(p)) => aws_out(st, p, true),
        Some(Found::Customer) => customer_out(st, &st.policies[arn], true),
        None => return Err(not_found(arn)),
    };
    Ok(t::GetPolicyResponse { policy: Some(out) })
}

pub fn list_policies(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListPoliciesRequest,
) -> AwsResult<t::ListPoliciesResponse> {
    let scope = input.scope.unwrap_or(t::PolicyScopeType::All);
    let only_attached = input.only_attached.unwrap_or(false);
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let (aws, local) = match scope {
        t::PolicyScopeType::All => (true, true),
        t::PolicyScopeType::Aws => (true, false),
        t::PolicyScopeType::Local => (false, true),
        t::PolicyScopeType::Unknown(_) => (false, false),
    };
    let mut rows: Vec<(String, t::Policy)> = Vec::new();
    if aws {
        for p in managed::AWS_MANAGED_POLICIES {
            rows.push((p.name.to_owned(), aws_out(st, p, false)));
        }
    }
    if local {
        for p in st.policies.values() {
            rows.push((p.name.clone(), customer_out(st, p, false)));
        }
    }
    rows.retain(|(_, p)| {
        p.path.as_deref().is_some_and(|path| path.starts_with(prefix))
            && (!only_attached || p.attachment_count.unwrap_or(0) > 0)
    });
    rows.sort_by_key(|(name, _)| name.to_lowercase());
    let policies: Vec<t::Policy> = rows.into_iter().map(|(_, p)| p).collect();
    let (policies, p) = page(&policies, input.max_items, input.marker.as_deref())?;
    Ok(t::ListPoliciesResponse {
        policies: Some(policies),
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

/// The customer managed policy for a modifying call; AWS managed ones are read-only.
fn customer_mut<'s>(st: &'s mut State, ctx: &Ctx, arn: &str, action: &str) -> AwsResult<&'s mut ManagedPolicy> {
    check_arn(arn)?;
    if managed::by_arn(arn).is_some() {
        return Err(aws_read_only(ctx, action, arn));
    }
    st.policies.get_mut(arn).ok_or_else(|| not_found(arn))
}

pub fn delete_policy(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: t::DeletePolicyRequest) -> AwsResult<()> {
    let arn = input.policy_arn.as_str();
    let versions = customer_mut(st, ctx, arn, "DeletePolicy")?.versions.len();
    if st.attachment_count(arn) > 0 || st.boundary_count(arn) > 0 {
        return Err(AwsError::new(
            "DeleteConflict",
            "Cannot delete a policy attached to entities.",
        ));
    }
    if versions > 1 {
        return Err(AwsError::new(
            "DeleteConflict",
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    st.policies.remove(arn);
    env.record(crate::timeline::Entry::resource(
        "iam",
        format!("policy {arn} deleted"),
        Value::Null,
    ));
    Ok(())
}

fn version_out(v: &PolicyVersion, default: &str, with_document: bool) -> t::PolicyVersion {
    t::PolicyVersion {
        document: with_document.then(|| documents::url_encode(&v.document)),
        version_id: Some(v.id.clone()),
        is_default_version: Some(v.id == default),
        create_date: Some(v.create_date),
    }
}

fn aws_version(p: &AwsManagedPolicy) -> PolicyVersion {
    PolicyVersion {
        id: p.default_version.to_owned(),
        document: p.document.to_owned(),
        create_date: p.update_date,
    }
}

pub fn create_policy_version(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreatePolicyVersionRequest,
) -> AwsResult<t::CreatePolicyVersionResponse> {
    let doc = input.policy_document.as_str();
    let set_default = input.set_as_default.unwrap_or(false);
    let now = env.now_secs();
    let p = customer_mut(st, ctx, &input.policy_arn, "CreatePolicyVersion")?;
    check_managed_document(doc)?;
    if p.versions.len() >= MAX_POLICY_VERSIONS {
        return Err(AwsError::new(
            "LimitExceeded",
            format!("A managed policy can have up to {MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version."),
        ));
    }
    let version = PolicyVersion {
        id: format!("v{}", p.next_version),
        document: doc.to_owned(),
        create_date: now,
    };
    p.next_version += 1;
    if set_default {
        p.default_version = version.id.clone();
        p.update_date = now;
    }
    let out = version_out(&version, &p.default_version, false);
    p.versions.push(version);
    Ok(t::CreatePolicyVersionResponse {
        policy_version: Some(out),
    })
}

pub fn get_policy_version(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetPolicyVersionRequest,
) -> AwsResult<t::GetPolicyVersionResponse> {
    let arn = input.policy_arn.as_str();
    let vid = input.version_id.as_str();
    check_arn(arn)?;
    let out = match lookup(st, arn) {
        Some(Found::Aws(p)) if p.default_version == vid => version_out(&aws_version(p), p.default_version, true),
        Some(Found::Customer) => {
            let p = &st.policies[arn];
            let v = p
                .versions
                .iter()
                .find(|v| v.id == vid)
                .ok_or_else(|| no_such_version(arn, vid))?;
            version_out(v, &p.default_version, true)
        }
        Some(Found::Aws(_)) => return Err(no_such_version(arn, vid)),
        None => return Err(not_found(arn)),
    };
    Ok(t::GetPolicyVersionResponse {
        policy_version: Some(out),
    })
}

pub fn list_policy_versions(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListPolicyVersionsRequest,
) -> AwsResult<t::ListPolicyVersionsResponse> {
    let arn = input.policy_arn.as_str();
    check_arn(arn)?;
    let versions: Vec<t::PolicyVersion> = match lookup(st, arn) {
        Some(Found::Aws(p)) => vec![version_out(&aws_version(p), p.default_version, false)],
        Some(Found::Customer) => {
            let p = &st.policies[arn];
            p.versions
                .iter()
                .rev()
                .map(|v| version_out(v, &p.default_version, false))
                .collect()
        }
        None => return Err(not_found(arn)),
    };
    let (versions, p) = page(&versions, input.max_items, input.marker.as_deref())?;
    Ok(t::ListPolicyVersionsResponse {
        versions: Some(versions),
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

pub fn delete_policy_version(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DeletePolicyVersionRequest,
) -> AwsResult<()> {
    let (arn, vid) = (input.policy_arn.as_str(), input.version_id.as_str());
    let p = customer_mut(st, ctx, arn, "DeletePolicyVersion")?;
    let idx = p
        .versions
        .iter()
        .position(|v| v.id == vid)
        .ok_or_else(|| no_such_version(arn, vid))?;
    if p.default_version == vid {
        return Err(AwsError::new(
            "DeleteConflict",
            "Cannot delete the default version of a policy.",
        ));
    }
    p.versions.remove(idx);
    Ok(())
}

pub fn set_default_policy_version(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::SetDefaultPolicyVersionRequest,
) -> AwsResult<()> {
    let (arn, vid) = (input.policy_arn.as_str(), input.version_id.as_str());
    let now = env.now_secs();
    let p = customer_mut(st, ctx, arn, "SetDefaultPolicyVersion")?;
    if !p.versions.iter().any(|v| v.id == vid) {
        return Err(no_such_version(arn, vid));
    }
    p.default_version = vid.to_owned();
    p.update_date = now;
    Ok(())
}

pub fn tag_policy(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: t::TagPolicyRequest) -> AwsResult<()> {
    let tags = read_tags(Some(input.tags))?;
    let p = customer_mut(st, ctx, &input.policy_arn, "TagPolicy")?;
    merge_tags(&mut p.tags, tags)?;
    Ok(())
}

pub fn untag_policy(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: t::UntagPolicyRequest) -> AwsResult<()> {
    let p = customer_mut(st, ctx, &input.policy_arn, "UntagPolicy")?;
    p.tags
        .retain(|(k, _)| !input.tag_keys.iter().any(|d| d.eq_ignore_ascii_case(k)));
    Ok(())
}

pub fn list_policy_tags(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListPolicyTagsRequest,
) -> AwsResult<t::ListPolicyTagsResponse> {
    let arn = input.policy_arn.as_str();
    check_arn(arn)?;
    let tags = match lookup(st, arn) {
        Some(Found::Aws(_)) => Vec::new(),
        Some(Found::Customer) => st.policies[arn].tags.clone(),
        None => return Err(not_found(arn)),
    };
    let (items, p) = page(&tags, input.max_items, input.marker.as_deref())?;
    Ok(t::ListPolicyTagsResponse {
        tags: tags_out(&items),
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

// ---- attachments ----

pub fn attach_role_policy(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::AttachRolePolicyRequest,
) -> AwsResult<()> {
    let name = input.role_name.as_str();
    let given = input.policy_arn.as_str();
    check_arn(given)?;
    let canonical = super::managed::canonical_arn(given);
    let arn = canonical.as_str();
    let role = find_role(st, name)?;
    if role.is_service_linked() {
        return Err(AwsError::new(
            "UnmodifiableEntity",
            format!(
                "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                role.name
            ),
        ));
    }
    require_policy(st, arn)?;
    let role = find_role(st, name)?;
    if role.attached.iter().any(|a| a == arn) {
        return Ok(());
    }
    if role.attached.len() >= MAX_POLICIES_PER_ROLE {
        return Err(AwsError::new(
            "LimitExceeded",
            format!("Cannot exceed quota for PoliciesPerRole: {MAX_POLICIES_PER_ROLE}"),
        ));
    }
    role.attached.push(arn.to_owned());
    let role_arn = role.arn.clone();
    env.record(crate::timeline::Entry::resource(
        "iam",
        format!("policy {arn} attached to {role_arn}"),
        Value::Null,
    ));
    Ok(())
}

pub fn detach_role_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DetachRolePolicyRequest,
) -> AwsResult<()> {
    let given = input.policy_arn.as_str();
    check_arn(given)?;
    let canonical = super::managed::canonical_arn(given);
    let arn = canonical.as_str();
    let role = find_role(st, &input.role_name)?;
    let idx = role
        .attached
        .iter()
        .position(|a| a == arn)
        .ok_or_else(|| not_found(arn))?;
    role.attached.remove(idx);
    Ok(())
}

fn policy_name_and_path(st: &State, arn: &str) -> (String, String) {
    match lookup(st, arn) {
        Some(Found::Aws(p)) => (p.name.to_owned(), p.path.to_owned()),
        Some(Found::Customer) => {
            let p = &st.policies[arn];
            (p.name.clone(), p.path.clone())
        }
        None => (arn.rsplit('/').next().unwrap_or(arn).to_owned(), "/".into()),
    }
}

pub fn list_attached_role_policies(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListAttachedRolePoliciesRequest,
) -> AwsResult<t::ListAttachedRolePoliciesResponse> {
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let attached = find_role(st, &input.role_name)?.attached.clone();
    let policies: Vec<t::AttachedPolicy> = attached
        .iter()
        .filter_map(|arn| {
            let (name, path) = policy_name_and_path(st, arn);
            path.starts_with(prefix).then(|| t::AttachedPolicy {
                policy_name: Some(name),
                policy_arn: Some(arn.clone()),
            })
        })
        .collect();
    let (policies, p) = page(&policies, input.max_items, input.marker.as_deref())?;
    Ok(t::ListAttachedRolePoliciesResponse {
        attached_policies: Some(policies),
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

pub fn list_entities_for_policy(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListEntitiesForPolicyRequest,
) -> AwsResult<t::ListEntitiesForPolicyResponse> {
    let arn = input.policy_arn.as_str();
    check_arn(arn)?;
    let prefix = input.path_prefix.as_deref().unwrap_or("/");
    let found = lookup(st, arn).ok_or_else(|| not_found(arn))?;
    let kind_ok = matches!(
        (&input.entity_filter, &found),
        (None | Some(t::EntityType::Role), _)
            | (Some(t::EntityType::LocalManagedPolicy), Found::Customer)
            | (Some(t::EntityType::AWSManagedPolicy), Found::Aws(_))
    );
    let mut roles: Vec<t::PolicyRole> = Vec::new();
    if kind_ok {
        // Roles are kept by lower-cased name, so this is name order.
        roles = st
            .roles
            .values()
            .filter(|r| r.path.starts_with(prefix) && r.attached.iter().any(|a| a == arn))
            .map(|r| t::PolicyRole {
                role_name: Some(r.name.clone()),
                role_id: Some(r.id.clone()),
            })
            .collect();
    }
    let (roles, p) = page(&roles, input.max_items, input.marker.as_deref())?;
    Ok(t::ListEntitiesForPolicyResponse {
        policy_groups: Some(Vec::new()),
        policy_users: Some(Vec::new()),
        policy_roles: Some(roles),
        is_truncated: Some(p.is_truncated),
        marker: p.marker,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::world::World;
    use serde_json::json;

    const BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
    const V2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

    fn setup() -> (World, Ctx) {
        let mut w = world();
        let c = ctx();
        direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "r", "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap();
        (w, c)
    }

    fn new_policy(w: &mut World, c: &Ctx, name: &str) -> String {
        let out = direct(
            "CreatePolicy",
            w,
            c,
            json!({"PolicyName": name, "PolicyDocument": S3_READ, "Description": "d"}),
        )
        .unwrap();
        out["Policy"]["Arn"].as_str().unwrap().to_owned()
    }

    #[test]
    fn create_get_delete_customer_policy() {
        let (mut w, c) = setup();
        let out = direct(
            "CreatePolicy",
            &mut w,
            &c,
            json!({"PolicyName": "p", "Path": "/team/", "PolicyDocument": S3_READ}),
        )
        .unwrap();
        let p = &out["Policy"];
        assert_eq!(p["Arn"], format!("arn:aws:iam::{ACCT}:policy/team/p"));
        assert_eq!(p["DefaultVersionId"], "v1");
        assert_eq!(p["AttachmentCount"], 0);
        assert_eq!(p["IsAttachable"], true);
        assert!(p["PolicyId"].as_str().unwrap().starts_with("ANPA"));
        let e = direct(
            "CreatePolicy",
            &mut w,
            &c,
            json!({"PolicyName": "p", "PolicyDocument": S3_READ}),
        )
        .unwrap_err();
        assert_eq!(e.code, "EntityAlreadyExists");
        assert_eq!(
            e.message,
            "A policy called p already exists. Duplicate names are not allowed."
        );
        let e = direct(
            "CreatePolicy",
            &mut w,
            &c,
            json!({"PolicyName": "q", "PolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocument");
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"s3:*","Resource":"*"}}]}}"#,
            "x".repeat(6200)
        );
        let e = direct(
            "CreatePolicy",
            &mut w,
            &c,
            json!({"PolicyName": "q", "PolicyDocument": big}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
        );

        let arn = p["Arn"].as_str().unwrap().to_owned();
        let got = direct("GetPolicy", &mut w, &c, json!({"PolicyArn": arn})).unwrap();
        assert_eq!(got["Policy"]["PolicyName"], "p");
        direct("DeletePolicy", &mut w, &c, json!({"PolicyArn": arn})).unwrap();
        let e = direct("GetPolicy", &mut w, &c, json!({"PolicyArn": arn})).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("NoSuchEntity", format!("Policy {arn} was not found.").as_str())
        );
        assert_eq!(
            direct("GetPolicy", &mut w, &c, json!({"PolicyArn": "nope"}))
                .unwrap_err()
                .code,
            "InvalidInput"
        );
    }

    #[test]
    fn aws_managed_policies_are_there_and_read_only() {
        let (mut w, c) = setup();
        let got = direct("GetPolicy", &mut w, &c, json!({"PolicyArn": BASIC})).unwrap();
        assert_eq!(got["Policy"]["Path"], "/service-role/");
        assert_eq!(got["Policy"]["DefaultVersionId"], "v1");
        let v = direct(
            "GetPolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": BASIC, "VersionId": "v1"}),
        )
        .unwrap();
        assert!(v["PolicyVersion"]["Document"]
            .as_str()
            .unwrap()
            .contains("logs%3ACreateLogGroup"));
        assert_eq!(v["PolicyVersion"]["IsDefaultVersion"], true);
        assert_eq!(
            direct(
                "GetPolicyVersion",
                &mut w,
                &c,
                json!({"PolicyArn": BASIC, "VersionId": "v9"})
            )
            .unwrap_err()
            .code,
            "NoSuchEntity"
        );
        let e = direct("DeletePolicy", &mut w, &c, json!({"PolicyArn": BASIC})).unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("AccessDenied", Some(403)));
        let ecs = direct(
            "GetPolicy",
            &mut w,
            &c,
            json!({"PolicyArn": "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"}),
        )
        .unwrap();
        assert_eq!(ecs["Policy"]["DefaultVersionId"], "v3");
    }

    #[test]
    fn attach_detach_and_counts() {
        let (mut w, c) = setup();
        let mine = new_policy(&mut w, &c, "mine");
        direct(
            "AttachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": BASIC}),
        )
        .unwrap();
        direct(
            "AttachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": mine}),
        )
        .unwrap();
        direct(
            "AttachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": mine}),
        )
        .unwrap();
        let l = direct("ListAttachedRolePolicies", &mut w, &c, json!({"RoleName": "r"})).unwrap();
        assert_eq!(
            l["AttachedPolicies"],
            json!([{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": BASIC}, {"PolicyName": "mine", "PolicyArn": mine}])
        );
        let l = direct(
            "ListAttachedRolePolicies",
            &mut w,
            &c,
            json!({"RoleName": "r", "PathPrefix": "/service-role/"}),
        )
        .unwrap();
        assert_eq!(l["AttachedPolicies"].as_array().unwrap().len(), 1);
        assert_eq!(
            direct("GetPolicy", &mut w, &c, json!({"PolicyArn": mine})).unwrap()["Policy"]["AttachmentCount"],
            1
        );
        assert_eq!(
            direct("GetPolicy", &mut w, &c, json!({"PolicyArn": BASIC})).unwrap()["Policy"]["AttachmentCount"],
            1
        );

        let e = direct("DeleteRole", &mut w, &c, json!({"RoleName": "r"})).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "DeleteConflict",
                "Cannot delete entity, must detach all policies first."
            )
        );
        let e = direct("DeletePolicy", &mut w, &c, json!({"PolicyArn": mine})).unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("DeleteConflict", "Cannot delete a policy attached to entities.")
        );

        let ent = direct("ListEntitiesForPolicy", &mut w, &c, json!({"PolicyArn": mine})).unwrap();
        assert_eq!(ent["PolicyRoles"][0]["RoleName"], "r");
        assert_eq!(ent["PolicyUsers"], json!([]));

        let missing = "arn:aws:iam::aws:policy/NoSuchPolicy";
        let e = direct(
            "AttachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": missing}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "NoSuchEntity",
                format!("Policy {missing} does not exist or is not attachable.").as_str()
            )
        );
        let e = direct(
            "AttachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "x", "PolicyArn": BASIC}),
        )
        .unwrap_err();
        assert_eq!(e.message, "The role with name x cannot be found.");

        direct(
            "DetachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": mine}),
        )
        .unwrap();
        let e = direct(
            "DetachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": mine}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("NoSuchEntity", format!("Policy {mine} was not found.").as_str())
        );
        assert_eq!(
            direct("GetPolicy", &mut w, &c, json!({"PolicyArn": mine})).unwrap()["Policy"]["AttachmentCount"],
            0
        );
        direct(
            "DetachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": BASIC}),
        )
        .unwrap();
        direct("DeleteRole", &mut w, &c, json!({"RoleName": "r"})).unwrap();
        direct("DeletePolicy", &mut w, &c, json!({"PolicyArn": mine})).unwrap();
    }

    #[test]
    fn attach_limit() {
        let (mut w, c) = setup();
        for i in 0..MAX_POLICIES_PER_ROLE {
            let arn = new_policy(&mut w, &c, &format!("p{i}"));
            direct(
                "AttachRolePolicy",
                &mut w,
                &c,
                json!({"RoleName": "r", "PolicyArn": arn}),
            )
            .unwrap();
        }
        let e = direct(
            "AttachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": BASIC}),
        )
        .unwrap_err();
        assert_eq!(e.code, "LimitExceeded");
    }

    #[test]
    fn versions() {
        let (mut w, c) = setup();
        let arn = new_policy(&mut w, &c, "p");
        let v2 = direct(
            "CreatePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "PolicyDocument": V2}),
        )
        .unwrap();
        assert_eq!(
            v2["PolicyVersion"],
            json!({"VersionId": "v2", "IsDefaultVersion": false, "CreateDate": T0 as f64 / 1000.0})
        );
        let v3 = direct(
            "CreatePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "PolicyDocument": V2, "SetAsDefault": true}),
        )
        .unwrap();
        assert_eq!(v3["PolicyVersion"]["IsDefaultVersion"], true);
        assert_eq!(
            direct("GetPolicy", &mut w, &c, json!({"PolicyArn": arn})).unwrap()["Policy"]["DefaultVersionId"],
            "v3"
        );
        direct(
            "CreatePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "PolicyDocument": V2}),
        )
        .unwrap();
        direct(
            "CreatePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "PolicyDocument": V2}),
        )
        .unwrap();
        let e = direct(
            "CreatePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "PolicyDocument": V2}),
        )
        .unwrap_err();
        assert_eq!(e.code, "LimitExceeded");
        assert!(e.message.starts_with("A managed policy can have up to 5 versions."));
        let l = direct("ListPolicyVersions", &mut w, &c, json!({"PolicyArn": arn})).unwrap();
        let ids: Vec<&str> = l["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["VersionId"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["v5", "v4", "v3", "v2", "v1"]);
        assert!(l["Versions"][0].get("Document").is_none());

        let e = direct(
            "DeletePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "VersionId": "v3"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("DeleteConflict", "Cannot delete the default version of a policy.")
        );
        direct(
            "DeletePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "VersionId": "v1"}),
        )
        .unwrap();
        assert_eq!(
            direct(
                "DeletePolicyVersion",
                &mut w,
                &c,
                json!({"PolicyArn": arn, "VersionId": "v1"})
            )
            .unwrap_err()
            .code,
            "NoSuchEntity"
        );
        let v6 = direct(
            "CreatePolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "PolicyDocument": V2}),
        )
        .unwrap();
        assert_eq!(v6["PolicyVersion"]["VersionId"], "v6");

        direct(
            "SetDefaultPolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "VersionId": "v2"}),
        )
        .unwrap();
        let got = direct(
            "GetPolicyVersion",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "VersionId": "v2"}),
        )
        .unwrap();
        assert_eq!(got["PolicyVersion"]["IsDefaultVersion"], true);
        assert!(got["PolicyVersion"]["Document"]
            .as_str()
            .unwrap()
            .starts_with("%7B%22Version%22"));
        assert_eq!(
            direct(
                "SetDefaultPolicyVersion",
                &mut w,
                &c,
                json!({"PolicyArn": arn, "VersionId": "v1"})
            )
            .unwrap_err()
            .code,
            "NoSuchEntity"
        );

        let e = direct("DeletePolicy", &mut w, &c, json!({"PolicyArn": arn})).unwrap_err();
        assert_eq!(e.code, "DeleteConflict");
        assert!(e.message.starts_with("This policy has more than one version."));
        for v in ["v3", "v4", "v5", "v6"] {
            direct(
                "DeletePolicyVersion",
                &mut w,
                &c,
                json!({"PolicyArn": arn, "VersionId": v}),
            )
            .unwrap();
        }
        direct("DeletePolicy", &mut w, &c, json!({"PolicyArn": arn})).unwrap();
    }

    #[test]
    fn list_policies_scopes_and_filters() {
        let (mut w, c) = setup();
        let mine = new_policy(&mut w, &c, "mine");
        let all = direct("ListPolicies", &mut w, &c, json!({})).unwrap();
        assert_eq!(
            all["Policies"].as_array().unwrap().len(),
            managed::AWS_MANAGED_POLICIES.len() + 1
        );
        assert!(all["Policies"][0].get("Description").is_none());
        let local = direct("ListPolicies", &mut w, &c, json!({"Scope": "Local"})).unwrap();
        assert_eq!(local["Policies"].as_array().unwrap().len(), 1);
        let aws = direct(
            "ListPolicies",
            &mut w,
            &c,
            json!({"Scope": "AWS", "PathPrefix": "/service-role/"}),
        )
        .unwrap();
        assert_eq!(aws["Policies"].as_array().unwrap().len(), 3);
        assert_eq!(
            direct("ListPolicies", &mut w, &c, json!({"OnlyAttached": true})).unwrap()["Policies"],
            json!([])
        );
        direct(
            "AttachRolePolicy",
            &mut w,
            &c,
            json!({"RoleName": "r", "PolicyArn": mine}),
        )
        .unwrap();
        let att = direct("ListPolicies", &mut w, &c, json!({"OnlyAttached": true})).unwrap();
        assert_eq!(att["Policies"][0]["PolicyName"], "mine");
        let p1 = direct("ListPolicies", &mut w, &c, json!({"MaxItems": 3})).unwrap();
        assert_eq!(p1["IsTruncated"], true);
        let p2 = direct(
            "ListPolicies",
            &mut w,
            &c,
            json!({"MaxItems": 100, "Marker": p1["Marker"]}),
        )
        .unwrap();
        assert_eq!(
            p2["Policies"].as_array().unwrap().len(),
            managed::AWS_MANAGED_POLICIES.len() + 1 - 3
        );
    }

    #[test]
    fn policy_tags() {
        let (mut w, c) = setup();
        let arn = new_policy(&mut w, &c, "p");
        direct(
            "TagPolicy",
            &mut w,
            &c,
            json!({"PolicyArn": arn, "Tags": [{"Key": "k", "Value": "v"}]}),
        )
        .unwrap();
        assert_eq!(
            direct("ListPolicyTags", &mut w, &c, json!({"PolicyArn": arn})).unwrap()["Tags"],
            json!([{"Key": "k", "Value": "v"}])
        );
        direct("UntagPolicy", &mut w, &c, json!({"PolicyArn": arn, "TagKeys": ["k"]})).unwrap();
        assert_eq!(
            direct("ListPolicyTags", &mut w, &c, json!({"PolicyArn": arn})).unwrap()["Tags"],
            json!([])
        );
    }
}
