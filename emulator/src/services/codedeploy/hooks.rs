//! Lambda lifecycle hooks: execution ids, and PutLifecycleEventHookExecutionStatus.
//!
//! How a hook's answer reaches its deployment, hop by hop:
//! 1. the deployment machine (`lifecycle/deployment.rs`, `start_hook`) queues an Event invocation
//!    of the hook's function (`lambda::invoke_async`) with `{"DeploymentId",
//!    "LifecycleEventHookExecutionId"}` and schedules a `HookTimeout` signal an hour later;
//! 2. the Lambda runtime (`runtime/lambda`) takes the invocation and runs the function as a real
//!    process, with credentials of its execution role;
//! 3. the function calls PutLifecycleEventHookExecutionStatus over HTTP, which arrives here
//!    ([`put_lifecycle_event_hook_execution_status`]) like any API call;
//! 4. this handler checks the execution id and status and asks the machine to go on
//!    (`codedeploy::peers::Peers::hook_answered`): `Succeeded` runs the next lifecycle event,
//!    `Failed` ends the deployment (and rolls back if configured). No answer within the hour
//!    fails the event when the `HookTimeout` signal fires.
//!
//! Execution ids are opaque base64 of a JSON object, shaped like the real ones
//! (`{"encryptedData", "ivParameterSpec", "materialSetSerial"}`).

use super::deployments::{deployment_id, find_deployment};
use super::err;
use crate::protocol::AwsResult;
use crate::services::util::opt_str;
use crate::services::Ctx;
use crate::world::World;
use base64::Engine as _;
use cutover_types::codedeploy::ComputePlatform;
use cutover_types::codedeploy::LifecycleEventStatus;
use serde_json::{json, Value};

/// A new opaque execution id for a hook of `event` in deployment `id`.
pub fn new_execution_id(world: &mut World, id: &str, event: &str) -> String {
    let nonce = world.ids.hex(32);
    let iv = world.ids.upper_alnum(16);
    let data = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{event}:{nonce}"));
    let doc = json!({"encryptedData": data, "ivParameterSpec": iv, "materialSetSerial": 1});
    base64::engine::general_purpose::STANDARD.encode(doc.to_string())
}

pub fn put_lifecycle_event_hook_execution_status(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let id = deployment_id(&input)?;
    let exec = opt_str(&input, "lifecycleEventHookExecutionId")
        .unwrap_or("")
        .to_owned();
    let status = opt_str(&input, "status").unwrap_or("");
    let d = find_deployment(&world.region_mut(&key).codedeploy, &id)?;
    if d.compute_platform != ComputePlatform::Ecs {
        return Err(err(
            "UnsupportedActionForDeploymentTypeException",
            "This operation is supported only for ECS and Lambda deployments.",
        ));
    }
    let Some(h) = d.hooks.iter().find(|h| h.id == exec) else {
        return Err(err(
            "InvalidLifecycleEventHookExecutionIdException",
            format!("The lifecycle event hook execution id {exec} is not valid for deployment {id}."),
        ));
    };
    let reported = LifecycleEventStatus::from(status);
    if !matches!(reported, LifecycleEventStatus::Succeeded | LifecycleEventStatus::Failed) {
        return Err(err(
            "InvalidLifecycleEventHookExecutionStatusException",
            format!("The status {status} is not valid. It should return Succeeded or Failed."),
        ));
    }
    if h.done || !d.status.is_active() {
        return Err(err(
            "LifecycleEventAlreadyCompletedException",
            format!(
                "The {} lifecycle event of deployment {id} has already completed.",
                h.event
            ),
        ));
    }
    super::peers::peers(world).hook_answered(world, &key, &id, &exec, reported == LifecycleEventStatus::Succeeded);
    Ok(json!({"lifecycleEventHookExecutionId": exec}))
}
