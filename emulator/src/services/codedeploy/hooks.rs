//! Lambda lifecycle hooks: execution ids, and PutLifecycleEventHookExecutionStatus.
//!
//! How a hook's answer reaches its deployment, hop by hop:
//! 1. the deployment machine (`lifecycle/deployment.rs`, `start_hook`) queues an Event invocation
//!    of the hook's function (`lifecycle::edges::invoke_async`) with `{"DeploymentId",
//!    "LifecycleEventHookExecutionId"}` and schedules a `HookTimeout` signal an hour later;
//! 2. the Lambda runtime (`runtime/lambda`) takes the invocation and runs the function as a real
//!    process, with credentials of its execution role;
//! 3. the function calls PutLifecycleEventHookExecutionStatus over HTTP, which arrives like any
//!    API call at the lifecycle layer's handler (`lifecycle::handler`);
//! 4. that handler checks the execution id and status here ([`hook_answer`]) and tells the
//!    machine (`lifecycle::deployment::hook_answered`): `Succeeded` runs the next lifecycle event,
//!    `Failed` ends the deployment (and rolls back if configured). No answer within the hour
//!    fails the event when the `HookTimeout` signal fires.
//!
//! Execution ids are opaque base64 of a JSON object, shaped like the real ones
//! (`{"encryptedData", "ivParameterSpec", "materialSetSerial"}`).

use super::deployments::{deployment_id, find_deployment};
use super::{err, State};
use crate::env::Ids;
use crate::protocol::AwsResult;
use base64::Engine as _;
use cutover_types::codedeploy::{self as t, ComputePlatform, LifecycleEventStatus};
use serde_json::json;

/// A new opaque execution id for a hook of `event` in deployment `id`.
pub fn new_execution_id(ids: &mut Ids, id: &str, event: &str) -> String {
    let nonce = ids.hex(32);
    let iv = ids.upper_alnum(16);
    let data = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{event}:{nonce}"));
    let doc = json!({"encryptedData": data, "ivParameterSpec": iv, "materialSetSerial": 1});
    base64::engine::general_purpose::STANDARD.encode(doc.to_string())
}

/// A hook's answer, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct HookAnswer {
    pub deployment_id: String,
    pub execution_id: String,
    pub succeeded: bool,
}

/// PutLifecycleEventHookExecutionStatus's checks: the answer of a hook the deployment waits on.
pub fn hook_answer(st: &State, input: &t::PutLifecycleEventHookExecutionStatusInput) -> AwsResult<HookAnswer> {
    let id = deployment_id(input.deployment_id.as_deref().unwrap_or(""))?;
    let exec = input.lifecycle_event_hook_execution_id.clone().unwrap_or_default();
    let d = find_deployment(st, &id)?;
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
    let reported = input
        .status
        .clone()
        .unwrap_or_else(|| LifecycleEventStatus::Unknown(String::new()));
    if !matches!(reported, LifecycleEventStatus::Succeeded | LifecycleEventStatus::Failed) {
        return Err(err(
            "InvalidLifecycleEventHookExecutionStatusException",
            format!("The status {reported} is not valid. It should return Succeeded or Failed."),
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
    Ok(HookAnswer {
        deployment_id: id,
        execution_id: exec,
        succeeded: reported == LifecycleEventStatus::Succeeded,
    })
}
