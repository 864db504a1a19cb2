//! Where services meet IAM and STS: the lifecycle layer's answer to `services::identity::Identity`.

use crate::services::identity::{Identity, RoleFacts};
use crate::services::{iam, sts};
use crate::world::{PartitionKey, World};
use serde_json::Value;

pub struct Roles;

impl Identity for Roles {
    fn role(&self, world: &World, account: &str, name: &str) -> Option<RoleFacts> {
        let r = world.account(account)?.iam.role(name)?;
        Some(RoleFacts {
            name: r.name.clone(),
            id: r.id.clone(),
            arn: r.arn.clone(),
            max_session_duration: r.max_session_duration,
        })
    }

    fn role_trusts(
        &self,
        world: &World,
        account: &str,
        role: &str,
        principal: &str,
        action: &str,
    ) -> Result<(), String> {
        iam::role_trusts(world, account, role, principal, action)
    }

    fn role_used(&self, world: &mut World, key: &PartitionKey, name: &str) {
        let now = world.now.as_secs_f64();
        if let Some(r) = world.account_mut(&key.account).iam.role_mut(name) {
            r.last_used = Some((now, key.region.clone()));
        }
    }

    fn issue_credentials(
        &self,
        world: &mut World,
        account: &str,
        arn: &str,
        user_id: &str,
        duration_secs: i64,
    ) -> Value {
        sts::issue_credentials(world, account, arn, user_id, duration_secs)
    }
}
