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
use crate::world::{Ports, World, WorldOp};

/// The operations that span services, answered here over the whole world rather than by one
/// service over its own state (`dispatch::handler` asks here first).
pub fn handler(service: Service, operation: &str) -> Option<WorldOp> {
    match (service, operation) {
        (Service::Elbv2, "CreateLoadBalancer") => Some(crate::world_typed!(links::create_load_balancer)),
        _ => None,
    }
}

/// How the services reach each other: the peers traits this layer answers through the world
/// (ELBv2's is answered by a view, `links::Elbv2Peers`).
pub static PORTS: Ports = Ports {
    ecs: &links::Links,
    codedeploy: &deployment::Machine,
    identity: &identity::Roles,
};

/// An empty world wired to this layer: what the emulator, scenarios and tests start from.
pub fn new_world(now: SimTime) -> World {
    World::new(now, &PORTS)
}
