//! What ELBv2 needs from the other services — subnets and security groups in EC2, and telling ECS
//! that a target's health changed — as one trait, [`Peers`], that the lifecycle layer implements
//! (`lifecycle::links`) and the world carries (`World::ports`). ELBv2 never names another service.

use crate::timeline::TargetHealthState;
use crate::world::{PartitionKey, World};

/// A subnet as a load balancer needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubnetFacts {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
}

pub trait Peers: Sync {
    fn subnet(&self, world: &World, key: &PartitionKey, subnet_id: &str) -> Option<SubnetFacts>;
    /// The VPC of a security group, if it exists.
    fn security_group_vpc(&self, world: &World, key: &PartitionKey, group_id: &str) -> Option<String>;
    /// A registered target's health moved to `state` (ECS replaces service tasks whose targets
    /// fail and tracks steady state).
    fn target_health_changed(
        &self,
        world: &mut World,
        key: &PartitionKey,
        target: (&str, &str, i64),
        state: TargetHealthState,
    );
}

pub fn subnet(world: &World, key: &PartitionKey, subnet_id: &str) -> Option<SubnetFacts> {
    world.ports.elbv2.subnet(world, key, subnet_id)
}

pub fn security_group_vpc(world: &World, key: &PartitionKey, group_id: &str) -> Option<String> {
    world.ports.elbv2.security_group_vpc(world, key, group_id)
}

pub fn target_health_changed(
    world: &mut World,
    key: &PartitionKey,
    target: (&str, &str, i64),
    state: TargetHealthState,
) {
    let p = world.ports.elbv2;
    p.target_health_changed(world, key, target, state)
}
