//! What ELBv2 needs from the other services — the subnets and security groups of EC2 that a new
//! load balancer is placed in — as one trait, [`Peers`], that the lifecycle layer implements on a
//! view of the region's other states (`lifecycle::links`). ELBv2 never names another service.
//! (A target's health changing is not asked of a peer: the health check returns the change, and
//! the lifecycle layer tells ECS.)

/// A subnet as a load balancer needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubnetFacts {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
}

pub trait Peers {
    fn subnet(&self, subnet_id: &str) -> Option<SubnetFacts>;
    /// The VPC of a security group, if it exists.
    fn security_group_vpc(&self, group_id: &str) -> Option<String>;
}
