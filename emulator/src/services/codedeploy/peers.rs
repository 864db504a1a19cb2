//! What CodeDeploy's API needs from the deployment machine (`lifecycle::deployment`), which spans
//! ECS, ELBv2, Lambda and CloudWatch: the transitions a call asks for, what a deployment target
//! reports of its task sets, and the checks a deployment group makes against ECS and ELBv2. The lifecycle layer implements [`Peers`]; the world carries it
//! (`World::ports`).

use super::groups::DeploymentGroup;
use super::record::Deployment;
use crate::protocol::AwsResult;
use crate::world::{PartitionKey, World};
use serde_json::Value;

pub trait Peers: Sync {
    /// StopDeployment: ends the deployment Stopped (rolling back when asked or configured).
    fn stop(&self, world: &mut World, key: &PartitionKey, id: &str, auto_rollback: Option<bool>);
    /// ContinueDeployment(READY_WAIT).
    fn continue_ready(&self, world: &mut World, key: &PartitionKey, id: &str);
    /// ContinueDeployment(TERMINATION_WAIT).
    fn end_termination_wait(&self, world: &mut World, key: &PartitionKey, id: &str);
    /// PutLifecycleEventHookExecutionStatus for a hook the deployment waits on.
    fn hook_answered(&self, world: &mut World, key: &PartitionKey, id: &str, execution_id: &str, succeeded: bool);
    /// The blue and green task sets of an ECS deployment target (`taskSetsInfo`): counts,
    /// status, production traffic weight and target group of each.
    fn task_sets_info(&self, world: &mut World, key: &PartitionKey, d: &Deployment) -> Vec<Value>;
    /// The ECS checks of spec §4.7 for a deployment group (`this`: the group being updated).
    fn check_ecs_group(
        &self,
        world: &mut World,
        key: &PartitionKey,
        g: &DeploymentGroup,
        this: Option<(&str, &str)>,
    ) -> AwsResult<()>;
}

pub fn peers(world: &World) -> &'static dyn Peers {
    world.ports.codedeploy
}
