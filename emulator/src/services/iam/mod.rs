//! IAM (per account): roles with their trust policies, inline and attached policies, customer
//! managed policies with versions, and the AWS managed policies (global, read-only).
//!
//! Files: `roles.rs` (roles, tags, inline role policies, service-linked roles), `policies.rs`
//! (managed policies, versions, attachments), `managed.rs` (the AWS managed policies table),
//! `documents.rs` (policy document validation and trust evaluation).
//!
//! The handlers are over one account's [`State`] (`dispatch::Handler::Iam`). Other services see
//! roles through the lifecycle layer's view (`lifecycle::identity`), which calls [`role_trusts`]
//! with the accounts' states.

pub mod documents;
pub mod managed;
pub mod policies;
pub mod roles;

use crate::protocol::{AwsError, AwsResult};
use crate::services::Op;
use cutover_types::iam as t;
use serde_json::Value;
use std::collections::BTreeMap;

/// Default quota of managed policies attached to one role.
pub const MAX_POLICIES_PER_ROLE: usize = 10;
/// Versions one managed policy may have.
pub const MAX_POLICY_VERSIONS: usize = 5;
/// Size quotas, in non-whitespace characters.
pub const TRUST_POLICY_MAX: usize = 2048;
pub const INLINE_ROLE_POLICIES_MAX: usize = 10240;
pub const MANAGED_POLICY_MAX: usize = 6144;
pub const MAX_TAGS: usize = 50;

/// A role.
#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    /// The trust policy as given.
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<(String, String)>,
    pub create_date: f64,
    /// When and in which region the role was last assumed.
    pub last_used: Option<(f64, String)>,
    /// Inline policies: name → document as given.
    pub inline_policies: BTreeMap<String, String>,
    /// ARNs of attached managed policies, in attach order.
    pub attached: Vec<String>,
}

impl Role {
    pub fn is_service_linked(&self) -> bool {
        self.path.starts_with("/aws-service-role/")
    }
}

/// One version of a customer managed policy.
#[derive(Debug, Clone)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub create_date: f64,
}

/// A customer managed policy.
#[derive(Debug, Clone)]
pub struct ManagedPolicy {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub path: String,
    pub description: Option<String>,
    pub create_date: f64,
    pub update_date: f64,
    pub default_version: String,
    /// Oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets (`v<n>`); never reused.
    pub next_version: u32,
    pub tags: Vec<(String, String)>,
}

/// One account's IAM.
#[derive(Debug, Default)]
pub struct State {
    /// Roles by lower-cased name (IAM names are unique regardless of case).
    pub roles: BTreeMap<String, Role>,
    /// Customer managed policies by ARN.
    pub policies: BTreeMap<String, ManagedPolicy>,
}

impl State {
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(&name.to_lowercase())
    }

    pub fn role_mut(&mut self, name: &str) -> Option<&mut Role> {
        self.roles.get_mut(&name.to_lowercase())
    }

    /// How many roles of this account have the policy attached.
    pub fn attachment_count(&self, policy_arn: &str) -> usize {
        self.roles
            .values()
            .filter(|r| r.attached.iter().any(|a| a == policy_arn))
            .count()
    }

    /// How many roles of this account use the policy as permissions boundary.
    pub fn boundary_count(&self, policy_arn: &str) -> usize {
        self.roles
            .values()
            .filter(|r| r.permissions_boundary.as_deref() == Some(policy_arn))
            .count()
    }
}

pub(crate) fn no_such_role(name: &str) -> AwsError {
    AwsError::new("NoSuchEntity", format!("The role with name {name} cannot be found."))
}

pub(crate) fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationError", message)
}

/// Tags as outputs carry them.
pub(crate) fn tags_out(tags: &[(String, String)]) -> Vec<t::Tag> {
    tags.iter()
        .map(|(k, v)| t::Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Reads a `Tags` member; duplicate keys (case-insensitive) are InvalidInput as IAM says.
pub(crate) fn read_tags(tags: Option<Vec<t::Tag>>) -> AwsResult<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags.into_iter().flatten() {
        if out.iter().any(|(k, _)| k.eq_ignore_ascii_case(&t.key)) {
            return Err(AwsError::new(
                "InvalidInput",
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
        out.push((t.key, t.value));
    }
    if out.len() > MAX_TAGS {
        return Err(AwsError::new(
            "LimitExceeded",
            "The number of tags has reached the maximum limit.",
        ));
    }
    Ok(out)
}

/// Merges new tags into existing ones (same key, case-insensitive, replaces the value).
pub(crate) fn merge_tags(existing: &mut Vec<(String, String)>, new: Vec<(String, String)>) -> AwsResult<()> {
    let mut merged = existing.clone();
    for (k, v) in new {
        match merged.iter_mut().find(|(ek, _)| ek.eq_ignore_ascii_case(&k)) {
            Some(slot) => *slot = (k, v),
            None => merged.push((k, v)),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(AwsError::new(
            "LimitExceeded",
            "The number of tags has reached the maximum limit.",
        ));
    }
    *existing = merged;
    Ok(())
}

/// Where a page of an IAM list ends: its outputs' `IsTruncated` and `Marker` members.
pub(crate) struct Page {
    pub is_truncated: bool,
    pub marker: Option<String>,
}

/// One page of an IAM list: `MaxItems` (default 100) items from `Marker`.
pub(crate) fn page<T: Clone>(items: &[T], max_items: Option<i32>, marker: Option<&str>) -> AwsResult<(Vec<T>, Page)> {
    let max = max_items.map_or(100, i64::from);
    if !(1..=1000).contains(&max) {
        return Err(validation(format!(
            "1 validation error detected: Value '{max}' at 'maxItems' failed to satisfy constraint: Member must have value {}",
            if max < 1 { "greater than or equal to 1" } else { "less than or equal to 1000" }
        )));
    }
    let (items, next) = super::util::paginate(items, marker, max as usize, "InvalidInput")?;
    let page = Page {
        is_truncated: next.is_some(),
        marker: next,
    };
    Ok((items, page))
}

/// Whether the role (a name in `account`, or a role ARN in any account) trusts `principal` for
/// `action`. `principal` is a service (`lambda.amazonaws.com`), an ARN (`arn:aws:iam::…:root`,
/// `arn:aws:sts::…:assumed-role/R/s`, a role or user ARN) or an account id. Used by STS
/// (AssumeRole) and by services that assume roles (Lambda checks `lambda.amazonaws.com`), over
/// `iam`, the IAM state of an account (the lifecycle layer's view of every account).
/// The error says why not, in plain words; callers wrap it in their own AWS error.
pub fn role_trusts<'a>(
    iam: impl Fn(&str) -> Option<&'a State>,
    account: &str,
    role_arn_or_name: &str,
    principal: &str,
    action: &str,
) -> Result<(), String> {
    let (role_account, role_name) = match parse_role_arn(role_arn_or_name) {
        Some((acct, name)) => (acct, name),
        None if role_arn_or_name.starts_with("arn:") => {
            return Err(format!("{role_arn_or_name} is not a role ARN"));
        }
        None => (account.to_owned(), role_arn_or_name.to_owned()),
    };
    let role = iam(&role_account)
        .and_then(|st| st.role(&role_name))
        .ok_or_else(|| format!("role {role_name} does not exist in account {role_account}"))?;
    let doc: Value = serde_json::from_str(&role.assume_role_policy)
        .map_err(|_| format!("the trust policy of role {role_name} is not valid JSON"))?;
    let mut who = principal_of(principal);
    // A session of a role with a path is also that role's full ARN (the session ARN has no path).
    if let (documents::Principal::Aws(ids), Some((acct, session_role))) = (&mut who, session_role(principal)) {
        if let Some(r) = iam(&acct).and_then(|st| st.role(&session_role)) {
            ids.push(r.arn.clone());
        }
    }
    if documents::trust_allows(&doc, &who, action) {
        Ok(())
    } else {
        Err(format!(
            "the trust policy of role {} does not allow {principal} to perform {action}",
            role.arn
        ))
    }
}

/// `arn:aws:sts::<acct>:assumed-role/<role>/<session>` → (account, role name).
fn session_role(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:aws:sts::")?;
    let (acct, resource) = rest.split_once(':')?;
    let (role, _session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    Some((acct.to_owned(), role.to_owned()))
}

/// The identifiers a trust policy may use for a caller.
pub fn principal_of(principal: &str) -> documents::Principal {
    if !principal.starts_with("arn:") && principal.contains('.') {
        return documents::Principal::Service(principal.to_owned());
    }
    let mut ids = vec![principal.to_owned()];
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        ids.push(format!("arn:aws:iam::{principal}:root"));
        return documents::Principal::Aws(ids);
    }
    let parts: Vec<&str> = principal.splitn(6, ':').collect();
    if parts.len() == 6 {
        let acct = parts[4];
        // An assumed-role session is also its role.
        if let Some(rest) = parts[5].strip_prefix("assumed-role/") {
            if let Some((role, _session)) = rest.split_once('/') {
                ids.push(format!("arn:aws:iam::{acct}:role/{role}"));
            }
        }
        // The account's principals are trusted through the account root or id.
        if !acct.is_empty() {
            ids.push(format!("arn:aws:iam::{acct}:root"));
            ids.push(acct.to_owned());
        }
    }
    documents::Principal::Aws(ids)
}

pub use crate::services::identity::parse_role_arn;

pub fn handler(op: &str) -> Option<Op<State>> {
    Some(match op {
        "CreateRole" => typed!(roles::create_role),
        "GetRole" => typed!(roles::get_role),
        "ListRoles" => typed!(roles::list_roles),
        "UpdateRole" => typed!(roles::update_role),
        "UpdateRoleDescription" => typed!(roles::update_role_description),
        "UpdateAssumeRolePolicy" => typed!(roles::update_assume_role_policy),
        "DeleteRole" => typed!(roles::delete_role),
        "TagRole" => typed!(roles::tag_role),
        "UntagRole" => typed!(roles::untag_role),
        "ListRoleTags" => typed!(roles::list_role_tags),
        "CreateServiceLinkedRole" => typed!(roles::create_service_linked_role),
        "PutRolePermissionsBoundary" => typed!(roles::put_role_permissions_boundary),
        "DeleteRolePermissionsBoundary" => typed!(roles::delete_role_permissions_boundary),
        "PutRolePolicy" => typed!(roles::put_role_policy),
        "GetRolePolicy" => typed!(roles::get_role_policy),
        "ListRolePolicies" => typed!(roles::list_role_policies),
        "DeleteRolePolicy" => typed!(roles::delete_role_policy),
        "CreatePolicy" => typed!(policies::create_policy),
        "GetPolicy" => typed!(policies::get_policy),
        "ListPolicies" => typed!(policies::list_policies),
        "DeletePolicy" => typed!(policies::delete_policy),
        "CreatePolicyVersion" => typed!(policies::create_policy_version),
        "GetPolicyVersion" => typed!(policies::get_policy_version),
        "ListPolicyVersions" => typed!(policies::list_policy_versions),
        "DeletePolicyVersion" => typed!(policies::delete_policy_version),
        "SetDefaultPolicyVersion" => typed!(policies::set_default_policy_version),
        "TagPolicy" => typed!(policies::tag_policy),
        "UntagPolicy" => typed!(policies::untag_policy),
        "ListPolicyTags" => typed!(policies::list_policy_tags),
        "AttachRolePolicy" => typed!(policies::attach_role_policy),
        "DetachRolePolicy" => typed!(policies::detach_role_policy),
        "ListAttachedRolePolicies" => typed!(policies::list_attached_role_policies),
        "ListEntitiesForPolicy" => typed!(policies::list_entities_for_policy),
        _ => return None,
    })
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::model::Service;
    use crate::protocol::AwsResult;
    use crate::services::Ctx;
    use crate::sim::SimTime;
    use crate::world::World;
    use serde_json::Value;

    /// The handler of `op` called directly (no model validation), through the table.
    pub fn direct(op: &str, w: &mut World, c: &Ctx, input: Value) -> AwsResult<Value> {
        crate::dispatch::testing::call(w, c, op, input)
    }

    pub const ACCT: &str = "123456789012";
    pub const T0: i64 = 1_700_000_000_000;

    pub fn world() -> World {
        crate::lifecycle::new_world(SimTime(T0))
    }

    pub fn ctx() -> Ctx {
        Ctx::internal(Service::Iam, ACCT, "us-east-1")
    }

    pub const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    pub const ACCOUNT_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    pub const S3_READ: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::world::World;
    use serde_json::json;

    /// [`role_trusts`] over the world's accounts.
    fn trusts(w: &World, account: &str, role: &str, principal: &str, action: &str) -> Result<(), String> {
        role_trusts(|a| w.account(a).map(|x| &x.iam), account, role, principal, action)
    }

    #[test]
    fn role_trusts_checks_the_trust_policy() {
        let mut w = world();
        let c = ctx();
        direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "fn", "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap();
        direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "admin", "AssumeRolePolicyDocument": ACCOUNT_TRUST}),
        )
        .unwrap();
        assert_eq!(trusts(&w, ACCT, "fn", "lambda.amazonaws.com", "sts:AssumeRole"), Ok(()));
        let arn = format!("arn:aws:iam::{ACCT}:role/fn");
        assert_eq!(
            trusts(&w, "999999999999", &arn, "lambda.amazonaws.com", "sts:AssumeRole"),
            Ok(())
        );
        assert!(trusts(&w, ACCT, "fn", "ecs-tasks.amazonaws.com", "sts:AssumeRole").is_err());
        assert!(trusts(&w, ACCT, "fn", &format!("arn:aws:iam::{ACCT}:root"), "sts:AssumeRole").is_err());
        assert!(trusts(&w, ACCT, "missing", "lambda.amazonaws.com", "sts:AssumeRole")
            .unwrap_err()
            .contains("does not exist"));
        // The account root is trusted, and with it every principal of the account.
        assert_eq!(trusts(&w, ACCT, "admin", ACCT, "sts:AssumeRole"), Ok(()));
        assert_eq!(
            trusts(
                &w,
                ACCT,
                "admin",
                &format!("arn:aws:iam::{ACCT}:root"),
                "sts:AssumeRole"
            ),
            Ok(())
        );
        let session = format!("arn:aws:sts::{ACCT}:assumed-role/fn/s1");
        assert_eq!(trusts(&w, ACCT, "admin", &session, "sts:AssumeRole"), Ok(()));
        assert!(trusts(&w, ACCT, "admin", "arn:aws:iam::999999999999:root", "sts:AssumeRole").is_err());
        assert!(trusts(&w, ACCT, "admin", ACCT, "sts:TagSession").is_err());

        // A trust policy naming a role (with its path) trusts that role's sessions.
        direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "ci", "Path": "/build/", "AssumeRolePolicyDocument": ACCOUNT_TRUST}),
        )
        .unwrap();
        let by_role = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:role/build/ci"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        direct(
            "CreateRole",
            &mut w,
            &c,
            json!({"RoleName": "target", "AssumeRolePolicyDocument": by_role}),
        )
        .unwrap();
        let ci_session = format!("arn:aws:sts::{ACCT}:assumed-role/ci/s1");
        assert_eq!(trusts(&w, ACCT, "target", &ci_session, "sts:AssumeRole"), Ok(()));
        assert!(trusts(&w, ACCT, "target", &session, "sts:AssumeRole").is_err());
        assert!(trusts(&w, ACCT, "target", ACCT, "sts:AssumeRole").is_err());
    }

    #[test]
    fn parses_role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/service-role/x"),
            Some(("123456789012".into(), "x".into()))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:user/x"), None);
        assert_eq!(parse_role_arn("x"), None);
    }

    #[test]
    fn unimplemented_operations_stay_out_of_the_table() {
        assert!(handler("CreateUser").is_none());
        assert!(handler("CreateRole").is_some());
    }
}
