//! AWS Lambda. The API and the process runtime are being written; this module already holds what
//! other services call: the function registry and asynchronous invocation.

use super::Handler;
use crate::world::{PartitionKey, World};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

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
}

#[derive(Debug, Default)]
pub struct State {
    /// Functions by name.
    pub functions: BTreeMap<String, Function>,
    /// Event (asynchronous) invocations not yet picked up by the runtime, oldest first.
    pub pending: VecDeque<Invocation>,
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
pub fn invoke_async(world: &mut World, key: &PartitionKey, function: &str, payload: Value) -> Result<String, String> {
    let id = world.ids.uuid();
    let state = &mut world.region_mut(key).lambda;
    let f = find(state, function).ok_or_else(|| format!("Function not found: {function}"))?;
    let arn = f.arn.clone();
    state.pending.push_back(Invocation {
        id: id.clone(),
        function_arn: arn.clone(),
        payload,
    });
    world.record(
        "lambda",
        format!("queued an Event invocation of {arn}"),
        serde_json::json!({"requestId": id}),
    );
    Ok(id)
}

pub fn handler(_op: &str) -> Option<Handler> {
    None
}
