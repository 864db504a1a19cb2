//! What an invocation runs: the function version a name, qualifier or alias resolves to, and the
//! credentials of its execution role. The asynchronous operations that reach the processes
//! (Invoke, and the updates and delete that stop running instances) are the runtime's:
//! `runtime/lambda/invoke.rs`.

use super::functions::split_qualifier;
use super::Target;
use crate::protocol::AwsResult;
use crate::services::identity::{identity, parse_role_arn};
use crate::world::{PartitionKey, World};
use serde_json::Value;

/// Largest payload of a synchronous invocation.
pub const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;
/// Largest payload of an asynchronous (Event) invocation.
pub const MAX_ASYNC_PAYLOAD: usize = 1024 * 1024;

/// The version a qualifier runs: for an alias with routing weights, one of its versions at
/// random by weight.
pub fn resolve(
    world: &mut World,
    key: &PartitionKey,
    ctx_region: &str,
    name: &str,
    q: Option<&str>,
) -> AwsResult<Target> {
    let roll = world.ids.below(1_000_000) as f64 / 1_000_000.0;
    let account = key.account.clone();
    let state = &world.region_mut(key).lambda;
    let arn_of = |n: &str| format!("arn:aws:lambda:{ctx_region}:{account}:function:{n}");
    let missing = |q: Option<&str>| match q {
        Some(q) => super::not_found(format!("Function not found: {}:{q}", arn_of(name))),
        None => super::not_found(format!("Function not found: {}", arn_of(name))),
    };
    let r = state.records.get(name).ok_or_else(|| missing(None))?;
    let mut config = r.config(q).ok_or_else(|| missing(q))?.clone();
    if let Some(a) = q.and_then(|q| r.aliases.get(q)) {
        let mut acc = 0.0;
        for (v, w) in &a.weights {
            acc += w;
            if roll < acc {
                if let Some(c) = r.config(Some(v)) {
                    config = c.clone();
                }
                break;
            }
        }
    }
    let invoked_arn = match q {
        Some(q) => format!("{}:{q}", r.arn),
        None => r.arn.clone(),
    };
    Ok(Target {
        key: key.clone(),
        name: r.name.clone(),
        arn: r.arn.clone(),
        invoked_arn,
        config,
    })
}

/// The target of a queued Event invocation (`function_arn` may carry a qualifier).
pub fn target_for_event(world: &mut World, key: &PartitionKey, function_arn: &str) -> AwsResult<Target> {
    let (name, q) = split_qualifier(function_arn);
    let (name, q) = (name.to_owned(), q.map(str::to_owned));
    let region = key.region.clone();
    resolve(world, key, &region, &name, q.as_deref())
}

/// Credentials of the execution role for one instance: an STS session of the role named after
/// the function, so calls made with them resolve to `assumed-role/<role>/<function>`.
/// Returns (role ARN, (access key, secret, token)).
pub fn credentials_for(world: &mut World, target: &Target) -> (String, (String, String, String)) {
    let role_arn = target.config.role.clone();
    let (account, role_name) =
        parse_role_arn(&role_arn).unwrap_or_else(|| (target.key.account.clone(), role_arn.clone()));
    let role_id = identity(world)
        .role(world, &account, &role_name)
        .map(|r| r.id)
        .unwrap_or_else(|| "AROACUTOVERLAMBDA".into());
    let session = &target.name;
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}");
    let user_id = format!("{role_id}:{session}");
    let c = identity(world).issue_credentials(world, &account, &arn, &user_id, 12 * 3600);
    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    (role_arn, (s("AccessKeyId"), s("SecretAccessKey"), s("SessionToken")))
}
