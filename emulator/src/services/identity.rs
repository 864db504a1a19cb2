//! What services need from IAM and STS — whether a role exists and whom it trusts, temporary
//! credentials for a role session — as one trait, [`Identity`], that the lifecycle layer
//! implements (`lifecycle::identity`) and the world carries (`World::ports`). STS, Lambda and
//! CodeDeploy ask through it, so none of them names IAM or STS. (Not a service: a port.)

use crate::world::{PartitionKey, World};
use serde_json::Value;

/// A role as the services that assume it need to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleFacts {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub max_session_duration: i64,
}

pub trait Identity: Sync {
    /// The role `name` of `account`.
    fn role(&self, world: &World, account: &str, name: &str) -> Option<RoleFacts>;
    /// Whether the role (an ARN, or a name in `account`) exists and its trust policy lets
    /// `principal` perform `action`; the error says why not, in plain words.
    fn role_trusts(
        &self,
        world: &World,
        account: &str,
        role: &str,
        principal: &str,
        action: &str,
    ) -> Result<(), String>;
    /// Records that the role was just assumed (IAM's `RoleLastUsed`).
    fn role_used(&self, world: &mut World, key: &PartitionKey, name: &str);
    /// Issues and records temporary credentials for `arn` (`AccessKeyId`, `SecretAccessKey`,
    /// `SessionToken`, `Expiration`).
    fn issue_credentials(
        &self,
        world: &mut World,
        account: &str,
        arn: &str,
        user_id: &str,
        duration_secs: i64,
    ) -> Value;
}

pub fn identity(world: &World) -> &'static dyn Identity {
    world.ports.identity
}

/// `arn:aws:iam::<acct>:role/<path><name>` → (account, name).
pub fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (acct, resource) = rest.split_once(':')?;
    let path_name = resource.strip_prefix("role/")?;
    let name = path_name.rsplit('/').next()?;
    if acct.is_empty() || name.is_empty() {
        return None;
    }
    Some((acct.to_owned(), name.to_owned()))
}

/// IAM's message for a policy document that is not JSON.
pub const POLICY_SYNTAX: &str = "Syntax errors in policy.";

/// The size IAM counts against its quotas: characters other than whitespace.
pub fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}
