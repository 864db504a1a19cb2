//! Where ECS, ELBv2 and EC2 meet: a task's addresses and its targets. ECS asks through
//! `ecs::links::Peers` (register and deregister targets, read their health, take and give back
//! ENI addresses, check subnets and security groups); ELBv2 asks through `elbv2::peers::Peers`
//! (subnets and security groups of a load balancer, answered by [`Elbv2Peers`], a view of the
//! region's EC2 state, for [`create_load_balancer`]). A target's health changing comes back from
//! ELBv2's health check as a value that `drive` hands to ECS. This file answers both, so the whole
//! cross-service contract is on one screen.

use crate::protocol::AwsResult;
use crate::services::ecs::links::Registration;
use crate::services::{ec2, ecs, elbv2, Ctx};
use crate::timeline::TargetHealthState;
use crate::world::{PartitionKey, Region, World};
use cutover_types::elbv2 as elbv2_types;

/// The lifecycle layer's side of ECS's peers trait.
pub struct Links;

impl ecs::links::Peers for Links {
    fn register_target(
        &self,
        world: &mut World,
        key: &PartitionKey,
        reg: &Registration,
        task_definition_arn: &str,
    ) -> AwsResult<()> {
        let (r, mut env) = world.split(key);
        elbv2::register_task_target(&mut r.elbv2, &mut env, key, &reg.0, &reg.1, reg.2, task_definition_arn)
    }

    fn deregister_target(&self, world: &mut World, key: &PartitionKey, reg: &Registration) {
        // A target group deleted in the meantime has nothing left to deregister.
        let (r, mut env) = world.split(key);
        let _ = elbv2::deregister_task_target(&mut r.elbv2, &mut env, key, &reg.0, &reg.1, reg.2);
    }

    fn target_state(&self, world: &World, key: &PartitionKey, reg: &Registration) -> Option<TargetHealthState> {
        let st = &world.region(key)?.elbv2;
        let (state, _) = elbv2::target_health(st, &reg.0, &reg.1, reg.2)?;
        Some(state.health_state())
    }

    fn deregistration_delay(&self, world: &World, key: &PartitionKey, target_group_arn: &str) -> f64 {
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

    fn target_group_behind_load_balancer(
        &self,
        world: &World,
        key: &PartitionKey,
        target_group_arn: &str,
    ) -> Option<bool> {
        let st = &world.region(key)?.elbv2;
        st.target_groups.get(target_group_arn)?;
        Some(elbv2::target_group_has_listener(st, target_group_arn))
    }

    fn allocate_ip(&self, world: &mut World, key: &PartitionKey, subnet_id: &str) -> Option<(String, String)> {
        let st = &mut world.region_mut(key).ec2;
        let az = ec2::subnet(st, subnet_id)?.availability_zone.clone();
        let ip = ec2::allocate_private_ip(st, subnet_id)?;
        Some((ip, az))
    }

    fn release_ip(&self, world: &mut World, key: &PartitionKey, subnet_id: &str, ip: &str) {
        ec2::release_private_ip(&mut world.region_mut(key).ec2, subnet_id, ip);
    }

    fn subnet_exists(&self, world: &World, key: &PartitionKey, subnet_id: &str) -> bool {
        world
            .region(key)
            .is_some_and(|r| ec2::subnet(&r.ec2, subnet_id).is_some())
    }

    fn security_group_exists(&self, world: &World, key: &PartitionKey, group_id: &str) -> bool {
        world
            .region(key)
            .is_some_and(|r| ec2::security_group(&r.ec2, group_id).is_some())
    }
}

/// What ELBv2 sees of the other services in one region: EC2's subnets and security groups.
pub struct Elbv2Peers<'a> {
    pub ec2: &'a ec2::State,
}

impl elbv2::peers::Peers for Elbv2Peers<'_> {
    fn subnet(&self, subnet_id: &str) -> Option<elbv2::peers::SubnetFacts> {
        let s = ec2::subnet(self.ec2, subnet_id)?;
        Some(elbv2::peers::SubnetFacts {
            id: s.id.clone(),
            vpc_id: s.vpc_id.clone(),
            availability_zone: s.availability_zone.clone(),
        })
    }

    fn security_group_vpc(&self, group_id: &str) -> Option<String> {
        ec2::security_group(self.ec2, group_id).map(|g| g.vpc_id.clone())
    }
}

/// ELBv2's CreateLoadBalancer, over ELBv2's state with a view of EC2's in the same region.
pub fn create_load_balancer(
    world: &mut World,
    ctx: &Ctx,
    input: elbv2_types::CreateLoadBalancerInput,
) -> AwsResult<elbv2_types::CreateLoadBalancerOutput> {
    let (region, mut env) = world.split(&ctx.partition());
    let Region { elbv2, ec2, .. } = region;
    elbv2::create_load_balancer(elbv2, &mut env, &Elbv2Peers { ec2 }, ctx, input)
}
