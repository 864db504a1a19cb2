//! What CodeDeploy's API needs from other services, as traits whose implementations live in the
//! lifecycle layer (`lifecycle/deployment_group.rs`, `lifecycle/deployment.rs`), on views that
//! borrow the other services' states of the same region. The transitions a call asks of the
//! deployment machine (stop, continue, a hook's answer) are not here: those operations are
//! world-level (`lifecycle::handler`), checked by this service's functions and then handed to the
//! machine.

use super::groups::{DeploymentGroup, EcsPair};
use super::record::Deployment;
use crate::protocol::AwsResult;
use cutover_types::codedeploy as t;

/// What CreateDeploymentGroup and UpdateDeploymentGroup check against IAM, ECS and ELBv2.
pub trait Groups {
    /// Whether the role exists and CodeDeploy may assume it; the error says why not.
    fn role_trusts(&self, role: &str) -> Result<(), String>;
    /// The ECS and ELBv2 checks of spec §4.7 for an ECS deployment group; `others` are the other
    /// ECS groups of the region (application, group, what it deploys to), for the
    /// one-group-per-service check.
    fn check_ecs_group(&self, g: &DeploymentGroup, others: &[(String, String, EcsPair)]) -> AwsResult<()>;
}

/// What a deployment target reports of ECS and ELBv2.
pub trait Targets {
    /// The blue and green task sets of an ECS deployment target (`taskSetsInfo`): counts,
    /// status, production traffic weight and target group of each.
    fn task_sets_info(&self, d: &Deployment) -> Vec<t::ECSTaskSet>;
}
