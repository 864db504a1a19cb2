//! The lifecycle layer: the machines that span services — the CodeDeploy deployment, the ECS
//! service scheduler and task lifecycle, target registration and health, traffic shifting, alarm
//! evaluation, hook invocation — and the one place where time moves them.
//!
//! It sits above `services/` (it may use every service's state and facades) and below the
//! emulator and its runtimes (`lib.rs`, `runtime/`), which move time only through [`drive`].
//! Nothing below it (`sim/`, `world.rs`, `protocol/`, `model/`) names it.
//!
//! Today [`drive`] is here; the machines themselves are moving in from `services/` step by step
//! (see `docs/architecture.md` for what lives where now).

pub mod data_plane;
pub mod deployment;
pub mod deployment_group;
pub mod drive;
pub mod edges;
pub mod identity;
pub mod links;
pub mod traffic;

pub use drive::{fire, run_until, run_until_invocation};

use crate::sim::SimTime;
use crate::world::{Ports, World};

/// How the services reach each other: every peers trait answered by this layer.
pub static PORTS: Ports = Ports {
    ecs: &links::Links,
    elbv2: &links::Links,
    codedeploy: &deployment::Machine,
    identity: &identity::Roles,
};

/// An empty world wired to this layer: what the emulator, scenarios and tests start from.
pub fn new_world(now: SimTime) -> World {
    World::new(now, &PORTS)
}
