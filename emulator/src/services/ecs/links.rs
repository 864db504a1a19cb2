//! ECS's typed calls into the other services: target registration and health in ELBv2, ENI
//! addresses in EC2. Kept in one place so that the cross-service contract is visible on one screen.

use crate::protocol::AwsResult;
use crate::services::{ec2, elbv2};
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
    elbv2::register_task_target(world, key, &reg.0, &reg.1, reg.2, task_definition_arn)
}

/// Starts deregistering a task's address (the target drains for the group's deregistration delay).
pub fn deregister_target(world: &mut World, key: &PartitionKey, reg: &Registration) {
    // A target group deleted in the meantime has nothing left to deregister.
    let _ = elbv2::deregister_task_target(world, key, &reg.0, &reg.1, reg.2);
}

/// The target's health state as ELBv2 reports it (`initial`, `healthy`, `unhealthy`, `draining`,
/// `unused`, `unavailable`), or `None` when the target group is gone.
pub fn target_state(world: &World, key: &PartitionKey, reg: &Registration) -> Option<String> {
    let st = &world.region(key)?.elbv2;
    elbv2::target_health(st, &reg.0, &reg.1, reg.2).map(|(s, _)| s.as_str().to_owned())
}

/// How long a deregistering target drains, in seconds: the group's deregistration delay while a
/// listener uses the group, else nothing (ELBv2 drops such targets at once).
pub fn deregistration_delay(world: &World, key: &PartitionKey, target_group_arn: &str) -> f64 {
    let Some(st) = world.region(key).map(|r| &r.elbv2) else {
        return 0.0;
    };
    if !elbv2::target_group_has_listener(st, target_group_arn) {
        return 0.0;
    }
    st.target_groups
        .get(target_group_arn)
        .and_then(|tg| tg.attributes.get("deregistration_delay.timeout_seconds"))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(300.0)
}

/// `None` when the target group does not exist, else whether a listener or rule of a load
/// balancer forwards to it.
pub fn target_group_behind_load_balancer(world: &World, key: &PartitionKey, target_group_arn: &str) -> Option<bool> {
    let st = &world.region(key)?.elbv2;
    st.target_groups.get(target_group_arn)?;
    Some(elbv2::target_group_has_listener(st, target_group_arn))
}

/// A private address in the subnet for a task's ENI, and the subnet's availability zone.
pub fn allocate_ip(world: &mut World, key: &PartitionKey, subnet_id: &str) -> Option<(String, String)> {
    let st = &mut world.region_mut(key).ec2;
    let az = ec2::subnet(st, subnet_id)?.availability_zone.clone();
    let ip = ec2::allocate_private_ip(st, subnet_id)?;
    Some((ip, az))
}

/// Gives a task's address back to its subnet.
pub fn release_ip(world: &mut World, key: &PartitionKey, subnet_id: &str, ip: &str) {
    ec2::release_private_ip(&mut world.region_mut(key).ec2, subnet_id, ip);
}

/// Whether a subnet exists (for awsvpc network configurations).
pub fn subnet_exists(world: &World, key: &PartitionKey, subnet_id: &str) -> bool {
    world
        .region(key)
        .is_some_and(|r| ec2::subnet(&r.ec2, subnet_id).is_some())
}

/// Whether a security group exists.
pub fn security_group_exists(world: &World, key: &PartitionKey, group_id: &str) -> bool {
    world
        .region(key)
        .is_some_and(|r| ec2::security_group(&r.ec2, group_id).is_some())
}
