//! What an invocation runs: the function version a name, qualifier or alias resolves to (the
//! credentials of its execution role are the lifecycle layer's, `lifecycle::identity`). The asynchronous operations that reach the processes
//! (Invoke, and the updates and delete that stop running instances) are the runtime's:
//! `runtime/lambda/invoke.rs`.

use super::functions::split_qualifier;
use super::{State, Target};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::sim::PartitionKey;

/// Largest payload of a synchronous invocation.
pub const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;
/// Largest payload of an asynchronous (Event) invocation.
pub const MAX_ASYNC_PAYLOAD: usize = 1024 * 1024;

/// The version a qualifier runs: for an alias with routing weights, one of its versions at
/// random by weight.
pub fn resolve(
    st: &State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    ctx_region: &str,
    name: &str,
    q: Option<&str>,
) -> AwsResult<Target> {
    let roll = env.ids.below(1_000_000) as f64 / 1_000_000.0;
    let account = key.account.clone();
    let state = st;
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
pub fn target_for_event(st: &State, env: &mut Env<'_>, key: &PartitionKey, function_arn: &str) -> AwsResult<Target> {
    let (name, q) = split_qualifier(function_arn);
    let (name, q) = (name.to_owned(), q.map(str::to_owned));
    let region = key.region.clone();
    resolve(st, env, key, &region, &name, q.as_deref())
}
