//! The lifecycle layer: where services meet, and the one place where time moves the simulation.
//! Here: the CodeDeploy deployment machine (`deployment`, with traffic shifting, alarm polls and
//! hook invocation), the deployment group's checks against ECS and ELBv2, the links between ECS
//! tasks and ELBv2 targets and EC2 addresses (`links`), identity (`identity`), what the runtimes
//! see and ask (`data_plane`, `edges`) and the drive loop over signals (`drive`).
//!
//! It sits above `services/` (it may use every service's state and facades) and below the
//! emulator and its runtimes (`lib.rs`, `runtime/`), which move time only through [`drive`].
//! Nothing below it (`sim/`, `world.rs`, `protocol/`, `model/`) names it.
//!
//! The ECS service scheduler and task lifecycle and the ELBv2 health-check chain still live in
//! their services (ECS reaches others through its peers trait; ELBv2's health check returns a
//! target's health change, which `drive` hands to ECS); they are to move here next
//! (see `docs/architecture.md`).

pub mod data_plane;
pub mod deployment;
pub mod deployment_group;
pub mod drive;
pub mod edges;
pub mod identity;
pub mod links;
pub mod traffic;

pub use drive::{fire, run_until, run_until_invocation};

use crate::model::Service;
use crate::sim::SimTime;
use crate::world::{world_typed, World, WorldOp};

/// The operations that span services, answered here over the whole world rather than by one
/// service over its own state (`dispatch::handler` asks here first). Each does its service's part
/// through that service's own functions: CodeDeploy's transitions go to the deployment machine,
/// its group checks and deployment targets read ECS and ELBv2 (and IAM for the service role).
pub fn handler(service: Service, operation: &str) -> Option<WorldOp> {
    Some(match (service, operation) {
        (Service::CodeDeploy, "StopDeployment") => world_typed!(deployment::stop_deployment),
        (Service::CodeDeploy, "ContinueDeployment") => world_typed!(deployment::continue_deployment),
        (Service::CodeDeploy, "PutLifecycleEventHookExecutionStatus") => {
            world_typed!(deployment::put_lifecycle_event_hook_execution_status)
        }
        (Service::CodeDeploy, "GetDeploymentTarget") => world_typed!(deployment::get_deployment_target),
        (Service::CodeDeploy, "BatchGetDeploymentTargets") => {
            world_typed!(deployment::batch_get_deployment_targets)
        }
        (Service::CodeDeploy, "CreateDeploymentGroup") => {
            world_typed!(deployment_group::create_deployment_group)
        }
        (Service::CodeDeploy, "UpdateDeploymentGroup") => {
            world_typed!(deployment_group::update_deployment_group)
        }
        (Service::Sts, "AssumeRole") => world_typed!(identity::assume_role),
        (Service::Lambda, "CreateFunction") => world_typed!(identity::create_function),
        (Service::Elbv2, "CreateLoadBalancer") => world_typed!(links::create_load_balancer),
        (Service::Ecs, op) => return links::ecs_handler(op),
        _ => return None,
    })
}

/// An empty world wired to this layer: what the emulator, scenarios and tests start from.
pub fn new_world(now: SimTime) -> World {
    World::new(now)
}
