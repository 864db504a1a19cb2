//! What the runtimes (`runtime/alb`, `runtime/lambda`) ask of the simulation, as commands: the
//! runtimes call these inside `Emulator::with_world` and never read or change a service's maps
//! themselves. (The data plane's read-only copy is [`super::data_plane`].)

use crate::protocol::AwsResult;
use crate::services::lambda::{Invocation, Target};
use crate::services::{ecs, elbv2, lambda, logs};
use crate::world::{PartitionKey, World};

/// Event invocations queued in every partition and not yet taken by the Lambda runtime.
pub fn queued_invocations(world: &World) -> usize {
    world
        .accounts
        .values()
        .flat_map(|a| a.regions.values())
        .map(|r| r.lambda.pending.len())
        .sum()
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
pub fn invocation_target(world: &mut World, key: &PartitionKey, function_arn: &str) -> AwsResult<Target> {
    lambda::invoke::target_for_event(world, key, function_arn)
}

/// An Event invocation failed (`error`: its error type): retried on the simulated clock as AWS
/// retries, or discarded; whether a retry was scheduled.
pub fn invocation_failed(world: &mut World, key: &PartitionKey, inv: &Invocation, error: &str) -> bool {
    lambda::retry_or_discard(world, key, inv, error)
}

/// Credentials of a function instance's execution role: (role ARN, (key, secret, token)).
pub fn instance_credentials(world: &mut World, target: &Target) -> (String, (String, String, String)) {
    lambda::invoke::credentials_for(world, target)
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
    ecs::tasks::stop(world, key, task_arn, reason, code)
}
