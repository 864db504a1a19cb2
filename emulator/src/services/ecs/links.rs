//! What ECS needs from the other services — target registration and health in ELBv2, ENI
//! addresses, subnets and security groups in EC2 — as one trait, [`Peers`], that the lifecycle
//! layer implements on a view of the same region's ELBv2 and EC2 states (`lifecycle::links`).
//! ECS never names another service, and no method takes the world: effects get the [`Env`].

use crate::env::Env;
use crate::protocol::AwsResult;
use crate::timeline::TargetHealthState;

/// Where a task's container is registered: (target group ARN, ip, port).
pub type Registration = (String, String, i64);

/// The facts and effects ECS needs from ELBv2 and EC2, in the region of the call.
pub trait Peers {
    /// Registers a task's address in a target group.
    fn register_target(&mut self, env: &mut Env<'_>, reg: &Registration, task_definition_arn: &str) -> AwsResult<()>;
    /// Starts deregistering a task's address (a target group deleted meanwhile has nothing to do).
    fn deregister_target(&mut self, env: &mut Env<'_>, reg: &Registration);
    /// The target's health state as ELBv2 reports it, or `None` when the target group is gone.
    fn target_state(&self, reg: &Registration) -> Option<TargetHealthState>;
    /// How long a deregistering target drains, in seconds: the group's deregistration delay
    /// while a listener uses the group, else nothing (ELBv2 drops such targets at once).
    fn deregistration_delay(&self, target_group_arn: &str) -> f64;
    /// `None` when the target group does not exist, else whether a listener or rule of a load
    /// balancer forwards to it.
    fn target_group_behind_load_balancer(&self, target_group_arn: &str) -> Option<bool>;
    /// A private address in the subnet for a task's ENI, and the subnet's availability zone.
    fn allocate_ip(&mut self, subnet_id: &str) -> Option<(String, String)>;
    /// Gives a task's address back to its subnet.
    fn release_ip(&mut self, subnet_id: &str, ip: &str);
    /// Whether a subnet exists (for awsvpc network configurations).
    fn subnet_exists(&self, subnet_id: &str) -> bool;
    /// Whether a security group exists.
    fn security_group_exists(&self, group_id: &str) -> bool;
}
