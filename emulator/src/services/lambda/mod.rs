//! AWS Lambda: functions with zip code, versions, aliases, resource policies, tags and Invoke.
//! Functions really run: the Lambda runtime (`runtime/lambda`) serves the Lambda Runtime API and starts
//! `python3`, `node` or the function's own `bootstrap` as local processes (no containers).
//!
//! Files: `functions.rs` (create/get/list/update/delete, validation, code packages), `versions.rs`
//! (versions and aliases), `permissions.rs` (resource policies and tags), `invoke.rs` (Invoke).
//!
//! The handlers are over Lambda's own [`State`] (one per account and region). CreateFunction and
//! UpdateFunctionConfiguration also need to know whether IAM lets Lambda assume the execution
//! role: the lifecycle layer works that out and passes it in (`lifecycle::identity`), and
//! registers CreateFunction; the runtime's asynchronous operations reach the rest through
//! `lifecycle::edges`.
//!
//! Other services see the registry (`State::functions`, [`find`]) and queue hook invocations with
//! [`queue_event`] (`lifecycle::edges::invoke_async` for the world-level callers: CodeDeploy's
//! deployment machine and the runtime's Invoke);
//! the runtime drains `State::pending` outside the state lock.

pub mod functions;
pub mod invoke;
pub mod permissions;
pub mod versions;

use crate::env::Env;
use crate::protocol::AwsError;
use crate::services::Op;
use crate::sim::{PartitionKey, Signal};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

pub use functions::{Code, Config, Record};

/// A function as other services see it.
#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub arn: String,
}

/// An invocation waiting for the runtime (which runs it outside the state lock).
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub id: String,
    pub function_arn: String,
    pub payload: Value,
    /// Retries already made after function errors (0 for the first attempt).
    pub retries: u32,
}

/// The function version an invocation runs, snapshotted from the world.
#[derive(Debug, Clone)]
pub struct Target {
    pub key: PartitionKey,
    pub name: String,
    /// Unqualified function ARN.
    pub arn: String,
    /// The ARN as invoked (qualified when the caller gave a qualifier).
    pub invoked_arn: String,
    pub config: Config,
}

/// Retries of an Event invocation whose function failed, by default (AWS: "two more times").
/// `MaximumRetryAttempts` of an event-invoke config, once cutover has them, takes its place.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// The simulated wait before retry `n` (1-based) of a failed Event invocation: one minute before
/// the first, two minutes before the second (as AWS documents it).
pub fn retry_delay_secs(n: u32) -> f64 {
    if n <= 1 {
        60.0
    } else {
        120.0
    }
}

/// The retries allowed for Event invocations of `function_arn`.
pub fn max_retries(_st: &State, _function_arn: &str) -> u32 {
    DEFAULT_MAX_RETRIES
}

/// Schedules the next attempt of a failed Event invocation, or records that it is discarded.
/// Returns whether a retry was scheduled.
pub fn retry_or_discard(st: &mut State, env: &mut Env<'_>, key: &PartitionKey, inv: &Invocation, error: &str) -> bool {
    let max = max_retries(st, &inv.function_arn);
    let attempt = inv.retries + 1;
    if inv.retries >= max {
        env.record(crate::timeline::Entry::InvocationDiscarded {
            request_id: inv.id.clone(),
            function_arn: inv.function_arn.clone(),
            attempts: attempt,
            status: error.to_owned(),
        });
        return false;
    }
    let next = Invocation {
        retries: inv.retries + 1,
        ..inv.clone()
    };
    let delay = retry_delay_secs(next.retries);
    let at = env.after_secs(delay);
    env.record(crate::timeline::Entry::InvocationRetryScheduled {
        request_id: inv.id.clone(),
        function_arn: inv.function_arn.clone(),
        attempts: attempt,
        status: error.to_owned(),
        retry_in_seconds: delay,
    });
    let invocation_id = next.id.clone();
    st.retrying.insert(invocation_id.clone(), next);
    env.schedule(at, key, Signal::Function(Event::Retry { invocation_id }));
    true
}

#[derive(Debug, Default)]
pub struct State {
    /// Functions by name.
    pub functions: BTreeMap<String, Function>,
    /// Event (asynchronous) invocations not yet picked up by the runtime, oldest first.
    pub pending: VecDeque<Invocation>,
    /// Failed Event invocations waiting for their next attempt, by request id.
    pub retrying: BTreeMap<String, Invocation>,
    /// Everything else about each function (configuration, code, versions, aliases, policy,
    /// tags), by name. Kept beside `functions`, which other services read.
    pub records: BTreeMap<String, Record>,
    /// Event invocations ever queued here (first attempts and retries), so the emulator can tell
    /// that some were and wake the runtime that drains them (`lifecycle::edges::invocations_queued`).
    pub queued: u64,
}

/// The function a name, partial ARN or ARN (optionally qualified) refers to.
pub fn find<'a>(state: &'a State, name_or_arn: &str) -> Option<&'a Function> {
    let name = if name_or_arn.starts_with("arn:") {
        name_or_arn.split(':').nth(6).unwrap_or("")
    } else {
        name_or_arn.split(':').next().unwrap_or("")
    };
    state.functions.get(name)
}

/// Queues an asynchronous (`Event`) invocation, as CodeDeploy does for lifecycle hooks. Fails
/// when the function does not exist, so that a hook that cannot be invoked fails its event.
/// A qualified ARN or `name:qualifier` keeps its qualifier (the runtime runs that version).
pub fn queue_event(st: &mut State, env: &mut Env<'_>, function: &str, payload: Value) -> Result<String, String> {
    let id = env.ids.uuid();
    let f = find(st, function).ok_or_else(|| format!("Function not found: {function}"))?;
    let qualifier = functions::split_qualifier(function).1;
    let arn = match qualifier {
        Some(q) => format!("{}:{q}", f.arn),
        None => f.arn.clone(),
    };
    st.pending.push_back(Invocation {
        id: id.clone(),
        function_arn: arn.clone(),
        payload,
        retries: 0,
    });
    st.queued = st.queued.wrapping_add(1);
    env.record(crate::timeline::Entry::InvocationQueued {
        request_id: id.clone(),
        function_arn: arn.to_string(),
    });
    Ok(id)
}

/// What Lambda schedules on the clock: functions becoming Active, updates completing, retries.
pub use crate::sim::signal::FunctionSignal as Event;

pub fn fire(st: &mut State, env: &mut Env<'_>, event: Event) {
    match event {
        Event::Settle { name, revision } => functions::settle(st, env, &name, &revision),
        Event::Retry { invocation_id } => requeue(st, env, &invocation_id),
    }
}

/// Queues a failed Event invocation again for its next attempt.
fn requeue(st: &mut State, env: &mut Env<'_>, invocation_id: &str) {
    let Some(inv) = st.retrying.remove(invocation_id) else {
        return;
    };
    let (id, arn, attempt) = (inv.id.clone(), inv.function_arn.clone(), inv.retries + 1);
    st.pending.push_back(inv);
    st.queued = st.queued.wrapping_add(1);
    env.record(crate::timeline::Entry::InvocationRequeued {
        request_id: id,
        function_arn: arn,
        attempt,
    });
}

/// Lambda's own synchronous operations (CreateFunction, which also asks IAM, is the lifecycle
/// layer's; Invoke and the calls that stop instances are the runtime's).
pub fn handler(op: &str) -> Option<Op<State>> {
    Some(match op {
        "GetFunction" => typed!(functions::get_function),
        "GetFunctionConfiguration" => typed!(functions::get_function_configuration),
        "ListFunctions" => typed!(functions::list_functions),
        "PublishVersion" => typed!(versions::publish_version),
        "ListVersionsByFunction" => typed!(versions::list_versions_by_function),
        "CreateAlias" => typed!(versions::create_alias),
        "GetAlias" => typed!(versions::get_alias),
        "UpdateAlias" => typed!(versions::update_alias),
        "DeleteAlias" => typed!(versions::delete_alias),
        "ListAliases" => typed!(versions::list_aliases),
        "AddPermission" => typed!(permissions::add_permission),
        "RemovePermission" => typed!(permissions::remove_permission),
        "GetPolicy" => typed!(permissions::get_policy),
        "TagResource" => typed!(permissions::tag_resource),
        "UntagResource" => typed!(permissions::untag_resource),
        "ListTags" => typed!(permissions::list_tags),
        _ => return None,
    })
}

/// A Lambda error (the codec adds the `Type` member the service's errors carry).
pub(crate) fn user_err(code: &str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, message)
}

pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    user_err("InvalidParameterValueException", message)
}

pub(crate) fn not_found(message: impl Into<String>) -> AwsError {
    user_err("ResourceNotFoundException", message)
}

pub(crate) fn conflict(message: impl Into<String>) -> AwsError {
    user_err("ResourceConflictException", message)
}

#[cfg(test)]
mod tests;
