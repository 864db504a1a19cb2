//! Managed policies: customer managed policies with their versions, the AWS managed policies
//! (read-only), attaching them to roles, and the lists over them.

use super::documents::{self, DocKind};
use super::managed::{self, AwsManagedPolicy};
use super::roles::{check_path, find as find_role};
use super::{
    merge_tags, page, read_tags, tags_value, with_meta, ManagedPolicy, PolicyVersion, State, MANAGED_POLICY_MAX,
    MAX_POLICIES_PER_ROLE, MAX_POLICY_VERSIONS,
};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{obj, opt_bool, opt_str, req_str, str_list};
use crate::services::Ctx;
use serde_json::{json, Value};

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

fn customer_value(st: &State, p: &ManagedPolicy, full: bool) -> Value {
    let mut v = obj([
        ("PolicyName", json!(p.name)),
        ("PolicyId", json!(p.id)),
        ("Arn", json!(p.arn)),
        ("Path", json!(p.path)),
        ("DefaultVersionId", json!(p.default_version)),
        ("AttachmentCount", json!(st.attachment_count(&p.arn))),
        ("PermissionsBoundaryUsageCount", json!(st.boundary_count(&p.arn))),
        ("IsAttachable", json!(true)),
        ("CreateDate", json!(p.create_date)),
        ("UpdateDate", json!(p.update_date)),
    ]);
    if let Some(o) = v.as_object_mut() {
        if full {
            if let Some(d) = &p.description {
                o.insert("Description".into(), json!(d));
            }
        }
        if full && !p.tags.is_empty() {
            o.insert("Tags".into(), tags_value(&p.tags));
        }
    }
    v
}

fn aws_value(st: &State, p: &AwsManagedPolicy, full: bool) -> Value {
    let arn = p.arn();
    let mut v = obj([
        ("PolicyName", json!(p.name)),
        ("PolicyId", json!(p.policy_id())),
        ("Arn", json!(arn)),
        ("Path", json!(p.path)),
        ("DefaultVersionId", json!(p.default_version)),
        ("AttachmentCount", json!(st.attachment_count(&arn))),
        ("PermissionsBoundaryUsageCount", json!(st.boundary_count(&arn))),
        ("IsAttachable", json!(true)),
        ("CreateDate", json!(p.create_date)),
        ("UpdateDate", json!(p.update_date)),
    ]);
    if full {
        if let Some(o) = v.as_object_mut() {
            o.insert("Description".into(), json!(p.description));
        }
    }
    v
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

pub fn create_policy(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = req_str(&input, "PolicyName", "ValidationError")?;
    let doc = req_str(&input, "PolicyDocument", "ValidationError")?;
    let path = opt_str(&input, "Path").unwrap_or("/");
    check_path(path, "path")?;
    let tags = read_tags(&input)?;
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
        description: opt_str(&input, "Description").map(str::to_owned),
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
    let mut v = customer_value(st, &policy, false);
    if !policy.tags.is_empty() {
        if let Some(o) = v.as_object_mut() {
            o.insert("Tags".into(), tags_value(&policy.tags));
        }
    }
    st.policies.insert(arn.clone(), policy);
    env.record(crate::timeline::Entry::resource(
        "iam",
        format!("policy {arn} created"),
        Value::Null,
    ));
    Ok(json!({ "Policy": v }))
}

pub fn get_policy(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    check_arn(arn)?;
    let v = match lookup(st, arn) {
        Some(Found::Aws(p)) => aws_value(st, p, true),
        Some(Found::Customer) => customer_value(st, &st.policies[arn], true),
        None => return Err(not_found(arn)),
    };
    Ok(json!({ "Policy": v }))
}

pub fn list_policies(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let scope = opt_str(&input, "Scope").unwrap_or("All");
    let only_attached = opt_bool(&input, "OnlyAttached").unwrap_or(false);
    let prefix = opt_str(&input, "PathPrefix").unwrap_or("/");
    let mut rows: Vec<(String, Value)> = Vec::new();
    if scope == "All" || scope == "AWS" {
        for p in managed::AWS_MANAGED_POLICIES {
            rows.push((p.name.to_owned(), aws_value(st, p, false)));
        }
    }
    if scope == "All" || scope == "Local" {
        for p in st.policies.values() {
            rows.push((p.name.clone(), customer_value(st, p, false)));
        }
    }
    rows.retain(|(_, v)| {
        v["Path"].as_str().is_some_and(|p| p.starts_with(prefix))
            && (!only_attached || v["AttachmentCount"].as_u64().unwrap_or(0) > 0)
    });
    rows.sort_by_key(|(name, _)| name.to_lowercase());
    let values: Vec<Value> = rows.into_iter().map(|(_, v)| v).collect();
    let (items, meta) = page(&values, &input)?;
    Ok(with_meta(json!({ "Policies": items }), meta))
}

/// The customer managed policy for a modifying call; AWS managed ones are read-only.
fn customer_mut<'s>(st: &'s mut State, ctx: &Ctx, arn: &str, action: &str) -> AwsResult<&'s mut ManagedPolicy> {
    check_arn(arn)?;
    if managed::by_arn(arn).is_some() {
        return Err(aws_read_only(ctx, action, arn));
    }
    st.policies.get_mut(arn).ok_or_else(|| not_found(arn))
}

pub fn delete_policy(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
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
    Ok(json!({}))
}

fn version_value(v: &PolicyVersion, default: &str, with_document: bool) -> Value {
    obj([
        (
            "Document",
            if with_document {
                json!(documents::url_encode(&v.document))
            } else {
                Value::Null
            },
        ),
        ("VersionId", json!(v.id)),
        ("IsDefaultVersion", json!(v.id == default)),
        ("CreateDate", json!(v.create_date)),
    ])
}

fn aws_version(p: &AwsManagedPolicy) -> PolicyVersion {
    PolicyVersion {
        id: p.default_version.to_owned(),
        document: p.document.to_owned(),
        create_date: p.update_date,
    }
}

pub fn create_policy_version(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    let doc = req_str(&input, "PolicyDocument", "ValidationError")?;
    let set_default = opt_bool(&input, "SetAsDefault").unwrap_or(false);
    let now = env.now_secs();
    let p = customer_mut(st, ctx, arn, "CreatePolicyVersion")?;
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
    let out = version_value(&version, &p.default_version, false);
    p.versions.push(version);
    Ok(json!({ "PolicyVersion": out }))
}

pub fn get_policy_version(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    let vid = req_str(&input, "VersionId", "ValidationError")?;
    check_arn(arn)?;
    let out = match lookup(st, arn) {
        Some(Found::Aws(p)) if p.default_version == vid => version_value(&aws_version(p), p.default_version, true),
        Some(Found::Customer) => {
            let p = &st.policies[arn];
            let v = p
                .versions
                .iter()
                .find(|v| v.id == vid)
                .ok_or_else(|| no_such_version(arn, vid))?;
            version_value(v, &p.default_version, true)
        }
        Some(Found::Aws(_)) => return Err(no_such_version(arn, vid)),
        None => return Err(not_found(arn)),
    };
    Ok(json!({ "PolicyVersion": out }))
}

pub fn list_policy_versions(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    check_arn(arn)?;
    let values: Vec<Value> = match lookup(st, arn) {
        Some(Found::Aws(p)) => vec![version_value(&aws_version(p), p.default_version, false)],
        Some(Found::Customer) => {
            let p = &st.policies[arn];
            p.versions
                .iter()
                .rev()
                .map(|v| version_value(v, &p.default_version, false))
                .collect()
        }
        None => return Err(not_found(arn)),
    };
    let (items, meta) = page(&values, &input)?;
    Ok(with_meta(json!({ "Versions": items }), meta))
}

pub fn delete_policy_version(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    let vid = req_str(&input, "VersionId", "ValidationError")?;
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
    Ok(json!({}))
}

pub fn set_default_policy_version(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    let vid = req_str(&input, "VersionId", "ValidationError")?;
    let now = env.now_secs();
    let p = customer_mut(st, ctx, arn, "SetDefaultPolicyVersion")?;
    if !p.versions.iter().any(|v| v.id == vid) {
        return Err(no_such_version(arn, vid));
    }
    p.default_version = vid.to_owned();
    p.update_date = now;
    Ok(json!({}))
}

pub fn tag_policy(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    let tags = read_tags(&input)?;
    let p = customer_mut(st, ctx, arn, "TagPolicy")?;
    merge_tags(&mut p.tags, tags)?;
    Ok(json!({}))
}

pub fn untag_policy(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    let keys = str_list(&input, "TagKeys");
    let p = customer_mut(st, ctx, arn, "UntagPolicy")?;
    p.tags.retain(|(k, _)| !keys.iter().any(|d| d.eq_ignore_ascii_case(k)));
    Ok(json!({}))
}

pub fn list_policy_tags(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    check_arn(arn)?;
    let tags = match lookup(st, arn) {
        Some(Found::Aws(_)) => Vec::new(),
        Some(Found::Customer) => st.policies[arn].tags.clone(),
        None => return Err(not_found(arn)),
    };
    let (items, meta) = page(&tags, &input)?;
    Ok(with_meta(json!({ "Tags": tags_value(&items) }), meta))
}

// ---- attachments ----

pub fn attach_role_policy(st: &mut State, env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = req_str(&input, "RoleName", "ValidationError")?;
    let given = req_str(&input, "PolicyArn", "ValidationError")?;
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
        return Ok(json!({}));
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
    Ok(json!({}))
}

pub fn detach_role_policy(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = req_str(&input, "RoleName", "ValidationError")?;
    let given = req_str(&input, "PolicyArn", "ValidationError")?;
    check_arn(given)?;
    let canonical = super::managed::canonical_arn(given);
    let arn = canonical.as_str();
    let role = find_role(st, name)?;
    let idx = role
        .attached
        .iter()
        .position(|a| a == arn)
        .ok_or_else(|| not_found(arn))?;
    role.attached.remove(idx);
    Ok(json!({}))
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

pub fn list_attached_role_policies(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = req_str(&input, "RoleName", "ValidationError")?;
    let prefix = opt_str(&input, "PathPrefix").unwrap_or("/").to_owned();
    let attached = find_role(st, name)?.attached.clone();
    let values: Vec<Value> = attached
        .iter()
        .filter_map(|arn| {
            let (pname, path) = policy_name_and_path(st, arn);
            path.starts_with(&prefix)
                .then(|| json!({"PolicyName": pname, "PolicyArn": arn}))
        })
        .collect();
    let (items, meta) = page(&values, &input)?;
    Ok(with_meta(json!({ "AttachedPolicies": items }), meta))
}

pub fn list_entities_for_policy(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = req_str(&input, "PolicyArn", "ValidationError")?;
    check_arn(arn)?;
    let filter = opt_str(&input, "EntityFilter");
    let prefix = opt_str(&input, "PathPrefix").unwrap_or("/");
    let found = lookup(st, arn).ok_or_else(|| not_found(arn))?;
    let kind_ok = matches!(
        (filter, &found),
        (None | Some("Role"), _)
            | (Some("LocalManagedPolicy"), Found::Customer)
            | (Some("AWSManagedPolicy"), Found::Aws(_))
    );
    let mut roles: Vec<Value> = Vec::new();
    if kind_ok {
        // Roles are kept by lower-cased name, so this is name order.
        roles = st
            .roles
            .values()
            .filter(|r| r.path.starts_with(prefix) && r.attached.iter().any(|a| a == arn))
            .map(|r| json!({"RoleName": r.name, "RoleId": r.id}))
            .collect();
    }
    let (items, meta) = page(&roles, &input)?;
    Ok(with_meta(
        json!({ "PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": items }),
        meta,
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::world::World;

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
