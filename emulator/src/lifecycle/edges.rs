//! What the runtimes (`runtime/alb`, `runtime/lambda`) ask of the simulation, as commands: the
//! runtimes call these inside `Emulator::with_world` and never read or change a service's maps
//! themselves. (The data plane's read-only copy is [`super::data_plane`].)

use crate::protocol::AwsResult;
use crate::services::lambda::{Invocation, Target};
use crate::services::{call_typed, ecs, elbv2, lambda, logs, Ctx};
use crate::world::{PartitionKey, World};
use serde_json::Value;

/// Event invocations queued in every partition and not yet taken by the Lambda runtime.
pub fn queued_invocations(world: &World) -> usize {
    world
        .accounts
        .values()
        .flat_map(|a| a.regions.values())
        .map(|r| r.lambda.pending.len())
        .sum()
}

/// Event invocations ever queued in every partition (first attempts and retries): when it moves,
/// the emulator wakes the Lambda runtime.
pub fn invocations_queued(world: &World) -> u64 {
    world
        .accounts
        .values()
        .flat_map(|a| a.regions.values())
        .fold(0, |n, r| n.wrapping_add(r.lambda.queued))
}

/// Takes every queued Event invocation, oldest first in each partition.
pub fn take_queued_invocations(world: &mut World) -> Vec<(PartitionKey, Invocation)> {
    let mut out = Vec::new();
    for (acct, a) in world.accounts.iter_mut() {
        for (region, r) in a.regions.iter_mut() {
            while let Some(inv) = r.lambda.pending.pop_front() {
                out.push((PartitionKey::new(acct, region), inv));
            }
        }
    }
    out
}

/// What an Event invocation runs: the function version its ARN names.
/// Queues an Event invocation of `function` (a name, ARN or qualified name) with `payload` in the
/// partition `key`: Lambda's `queue_event` over the region's state. The id of the invocation, or
/// why the function cannot be invoked.
pub fn invoke_async(world: &mut World, key: &PartitionKey, function: &str, payload: Value) -> Result<String, String> {
    let (region, mut env) = world.split(key);
    lambda::queue_event(&mut region.lambda, &mut env, function, payload)
}

pub fn invocation_target(world: &mut World, key: &PartitionKey, function_arn: &str) -> AwsResult<Target> {
    let (region, mut env) = world.split(key);
    lambda::invoke::target_for_event(&region.lambda, &mut env, key, function_arn)
}

/// What an Invoke runs: the function version `name` and the qualifier `q` name (as the caller in
/// `region` sees them).
pub fn invoke_target(
    world: &mut World,
    key: &PartitionKey,
    region: &str,
    name: &str,
    q: Option<&str>,
) -> AwsResult<Target> {
    let (r, mut env) = world.split(key);
    lambda::invoke::resolve(&r.lambda, &mut env, key, region, name, q)
}

/// The change half of Lambda's UpdateFunctionCode (the runtime stops the instances).
pub fn update_function_code(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let (r, mut env) = world.split(&ctx.partition());
    call_typed(
        &mut r.lambda,
        &mut env,
        ctx,
        input,
        lambda::functions::update_function_code,
    )
}

/// The change half of Lambda's UpdateFunctionConfiguration, which also asks IAM about the role.
pub fn update_function_configuration(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    super::identity::update_function_configuration(world, ctx, input)
}

/// The change half of Lambda's DeleteFunction (the runtime stops or forgets the instances).
pub fn delete_function(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let (r, mut env) = world.split(&ctx.partition());
    call_typed(&mut r.lambda, &mut env, ctx, input, lambda::functions::delete_function)
}

/// An Event invocation failed (`error`: its error type): retried on the simulated clock as AWS
/// retries, or discarded; whether a retry was scheduled.
pub fn invocation_failed(world: &mut World, key: &PartitionKey, inv: &Invocation, error: &str) -> bool {
    let (r, mut env) = world.split(key);
    lambda::retry_or_discard(&mut r.lambda, &mut env, key, inv, error)
}

/// Credentials of a function instance's execution role: (role ARN, (key, secret, token)).
pub fn instance_credentials(world: &mut World, target: &Target) -> (String, (String, String, String)) {
    let role = target.config.role.clone();
    let creds = super::identity::function_credentials(world, &target.key.account, &role, &target.name);
    (role, creds)
}

/// Appends a function's output to its CloudWatch Logs stream.
pub fn append_logs(world: &mut World, key: &PartitionKey, group: &str, stream: &str, events: &[(i64, String)]) {
    let now = world.now;
    logs::append(&mut world.region_mut(key).logs, now, group, stream, events)
}

/// A real HTTP health check of a target by the data plane passed or failed.
pub fn record_health_probe(
    world: &mut World,
    key: &PartitionKey,
    target_group_arn: &str,
    id: &str,
    port: i64,
    pass: bool,
) {
    if let Some(r) = world
        .accounts
        .get_mut(&key.account)
        .and_then(|a| a.regions.get_mut(&key.region))
    {
        elbv2::record_health_probe(&mut r.elbv2, target_group_arn, id, port, pass)
    }
}

/// A task's process exited or could not start: the task stops with `reason` and `code`.
pub fn stop_task(world: &mut World, key: &PartitionKey, task_arn: &str, reason: &str, code: &str) -> bool {
    super::links::with_ecs(world, key, |st, env, p| {
        ecs::tasks::stop(st, env, p, key, task_arn, reason, code.into())
    })
}
