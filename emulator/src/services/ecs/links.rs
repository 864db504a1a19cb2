//! What ECS needs from the other services — target registration and health in ELBv2, ENI
//! addresses, subnets and security groups in EC2 — as one trait, [`Peers`], that the lifecycle
//! layer implements (`lifecycle::links`) and the world carries (`World::ports`). ECS never names
//! another service; the functions below are the calls the rest of ECS makes.

use crate::protocol::AwsResult;
use crate::timeline::TargetHealthState;
use crate::world::{PartitionKey, World};

/// Where a task's container is registered: (target group ARN, ip, port).
pub type Registration = (String, String, i64);

/// The facts and effects ECS needs from ELBv2 and EC2.
pub trait Peers: Sync {
    /// Registers a task's address in a target group.
    fn register_target(
        &self,
        world: &mut World,
        key: &PartitionKey,
        reg: &Registration,
        task_definition_arn: &str,
    ) -> AwsResult<()>;
    /// Starts deregistering a task's address (a target group deleted meanwhile has nothing to do).
    fn deregister_target(&self, world: &mut World, key: &PartitionKey, reg: &Registration);
    /// The target's health state as ELBv2 reports it, or `None` when the target group is gone.
    fn target_state(&self, world: &World, key: &PartitionKey, reg: &Registration) -> Option<TargetHealthState>;
    /// How long a deregistering target drains, in seconds: the group's deregistration delay
    /// while a listener uses the group, else nothing (ELBv2 drops such targets at once).
    fn deregistration_delay(&self, world: &World, key: &PartitionKey, target_group_arn: &str) -> f64;
    /// `None` when the target group does not exist, else whether a listener or rule of a load
    /// balancer forwards to it.
    fn target_group_behind_load_balancer(
        &self,
        world: &World,
        key: &PartitionKey,
        target_group_arn: &str,
    ) -> Option<bool>;
    /// A private address in the subnet for a task's ENI, and the subnet's availability zone.
    fn allocate_ip(&self, world: &mut World, key: &PartitionKey, subnet_id: &str) -> Option<(String, String)>;
    /// Gives a task's address back to its subnet.
    fn release_ip(&self, world: &mut World, key: &PartitionKey, subnet_id: &str, ip: &str);
    /// Whether a subnet exists (for awsvpc network configurations).
    fn subnet_exists(&self, world: &World, key: &PartitionKey, subnet_id: &str) -> bool;
    /// Whether a security group exists.
    fn security_group_exists(&self, world: &World, key: &PartitionKey, group_id: &str) -> bool;
}

fn peers(world: &World) -> &'static dyn Peers {
    world.ports.ecs
}

pub fn register_target(
    world: &mut World,
    key: &PartitionKey,
    reg: &Registration,
    task_definition_arn: &str,
) -> AwsResult<()> {
    peers(world).register_target(world, key, reg, task_definition_arn)
}

pub fn deregister_target(world: &mut World, key: &PartitionKey, reg: &Registration) {
    peers(world).deregister_target(world, key, reg)
}

pub fn target_state(world: &World, key: &PartitionKey, reg: &Registration) -> Option<TargetHealthState> {
    peers(world).target_state(world, key, reg)
}

pub fn deregistration_delay(world: &World, key: &PartitionKey, target_group_arn: &str) -> f64 {
    peers(world).deregistration_delay(world, key, target_group_arn)
}

pub fn target_group_behind_load_balancer(world: &World, key: &PartitionKey, target_group_arn: &str) -> Option<bool> {
    peers(world).target_group_behind_load_balancer(world, key, target_group_arn)
}

pub fn allocate_ip(world: &mut World, key: &PartitionKey, subnet_id: &str) -> Option<(String, String)> {
    peers(world).allocate_ip(world, key, subnet_id)
}

pub fn release_ip(world: &mut World, key: &PartitionKey, subnet_id: &str, ip: &str) {
    peers(world).release_ip(world, key, subnet_id, ip)
}

pub fn subnet_exists(world: &World, key: &PartitionKey, subnet_id: &str) -> bool {
    peers(world).subnet_exists(world, key, subnet_id)
}

pub fn security_group_exists(world: &World, key: &PartitionKey, group_id: &str) -> bool {
    peers(world).security_group_exists(world, key, group_id)
}
