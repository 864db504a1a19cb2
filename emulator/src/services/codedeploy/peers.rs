//! What CodeDeploy's API needs from the deployment machine (`lifecycle::deployment`), which spans
//! ECS, ELBv2, Lambda and CloudWatch: the transitions a call asks for, and the traffic share a
//! deployment target reports. The lifecycle layer implements [`Peers`]; the world carries it
//! (`World::ports`).

use super::record::Deployment;
use crate::world::{PartitionKey, World};

pub trait Peers: Sync {
    /// StopDeployment: ends the deployment Stopped (rolling back when asked or configured).
    fn stop(&self, world: &mut World, key: &PartitionKey, id: &str, auto_rollback: Option<bool>);
    /// ContinueDeployment(READY_WAIT).
    fn continue_ready(&self, world: &mut World, key: &PartitionKey, id: &str);
    /// ContinueDeployment(TERMINATION_WAIT).
    fn end_termination_wait(&self, world: &mut World, key: &PartitionKey, id: &str);
    /// PutLifecycleEventHookExecutionStatus for a hook the deployment waits on.
    fn hook_answered(&self, world: &mut World, key: &PartitionKey, id: &str, execution_id: &str, succeeded: bool);
    /// The share of production traffic (percent) target group `tg` gets through the deployment's
    /// production forwards, averaged over them.
    fn traffic_weight(&self, world: &World, key: &PartitionKey, d: &Deployment, tg: &str) -> f64;
}

pub fn peers(world: &World) -> &'static dyn Peers {
    world.ports.codedeploy
}
