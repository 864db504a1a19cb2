//! Where ECS, ELBv2 and EC2 meet: a task's addresses and its targets. ECS asks through
//! `ecs::links::Peers` (register and deregister targets, read their health, take and give back
//! ENI addresses, check subnets and security groups), answered by [`EcsView`] over the region's
//! ELBv2 and EC2 states; the ECS operations and signals that need it run through [`with_ecs`]
//! ([`ecs_handler`]). ELBv2 asks through `elbv2::peers::Peers` (subnets and security groups of a
//! load balancer, answered by [`Elbv2Peers`], a view of the region's EC2 state, for
//! [`create_load_balancer`]). A target's health changing comes back from ELBv2's health check as
//! a value that `drive` hands to ECS ([`ecs_target_health_changed`]). This file answers both, so
//! the whole cross-service contract is on one screen.

use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::ecs::links::Registration;
use crate::services::{ec2, ecs, elbv2, typed_input, typed_output, Ctx};
use crate::timeline::TargetHealthState;
use crate::world::{PartitionKey, Region, World, WorldOp};
use cutover_types::elbv2 as elbv2_types;
use serde_json::Value;

/// What ECS sees of the other services: the ELBv2 and EC2 states of the call's region.
pub struct EcsView<'a> {
    pub key: &'a PartitionKey,
    pub elbv2: &'a mut elbv2::State,
    pub ec2: &'a mut ec2::State,
}

/// Runs `f` over the region's ECS state, the environment and the [`EcsView`] of the same region
/// (disjoint borrows of the region's states).
pub fn with_ecs<R>(
    world: &mut World,
    key: &PartitionKey,
    f: impl FnOnce(&mut ecs::State, &mut Env<'_>, &mut EcsView<'_>) -> R,
) -> R {
    let (region, mut env) = world.split(key);
    let Region { ecs, elbv2, ec2, .. } = region;
    let mut view = EcsView { key, elbv2, ec2 };
    f(ecs, &mut env, &mut view)
}

/// ELBv2 tells ECS that a target's health changed: the world-level entry point of
/// `ecs::tasks::target_health_changed`.
pub fn ecs_target_health_changed(world: &mut World, key: &PartitionKey, reg: &Registration, state: TargetHealthState) {
    with_ecs(world, key, |st, env, peers| {
        ecs::tasks::target_health_changed(st, env, peers, key, reg, state)
    })
}

/// An ECS operation that needs the peers view.
type EcsPeersOp<I, O> = fn(&mut ecs::State, &mut Env<'_>, &mut dyn ecs::links::Peers, &Ctx, I) -> AwsResult<O>;

/// Calls an ECS operation that needs ELBv2 or EC2 with the view of the caller's region.
fn call_ecs<I, O>(world: &mut World, ctx: &Ctx, input: Value, f: EcsPeersOp<I, O>) -> AwsResult<Value>
where
    I: serde::de::DeserializeOwned,
    O: serde::Serialize,
{
    let input = typed_input(ctx.service, &input)?;
    let key = ctx.partition();
    let out = with_ecs(world, &key, |st, env, peers| f(st, env, peers, ctx, input))?;
    typed_output(ctx, out)
}

/// The ECS operations answered here: those that reach ELBv2 or EC2 (see `ecs::handler`).
pub fn ecs_handler(operation: &str) -> Option<WorldOp> {
    macro_rules! ecs_op {
        ($f:path) => {{
            fn op(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
                call_ecs(world, ctx, input, $f)
            }
            op as WorldOp
        }};
    }
    Some(match operation {
        "CreateService" => ecs_op!(ecs::services::create_service),
        "UpdateService" => ecs_op!(ecs::services::update_service),
        "DeleteService" => ecs_op!(ecs::services::delete_service),
        "CreateTaskSet" => ecs_op!(ecs::task_sets::create_task_set),
        "RunTask" => ecs_op!(ecs::tasks::run_task),
        "StopTask" => ecs_op!(ecs::tasks::stop_task),
        _ => return None,
    })
}

impl ecs::links::Peers for EcsView<'_> {
    fn register_target(&mut self, env: &mut Env<'_>, reg: &Registration, task_definition_arn: &str) -> AwsResult<()> {
        elbv2::register_task_target(self.elbv2, env, self.key, &reg.0, &reg.1, reg.2, task_definition_arn)
    }

    fn deregister_target(&mut self, env: &mut Env<'_>, reg: &Registration) {
        // A target group deleted in the meantime has nothing left to deregister.
        let _ = elbv2::deregister_task_target(self.elbv2, env, self.key, &reg.0, &reg.1, reg.2);
    }

    fn target_state(&self, reg: &Registration) -> Option<TargetHealthState> {
        let (state, _) = elbv2::target_health(self.elbv2, &reg.0, &reg.1, reg.2)?;
        Some(state.health_state())
    }

    fn deregistration_delay(&self, target_group_arn: &str) -> f64 {
        let st = &*self.elbv2;
        if !elbv2::target_group_has_listener(st, target_group_arn) {
            return 0.0;
        }
        st.target_groups
            .get(target_group_arn)
            .and_then(|tg| tg.attributes.get("deregistration_delay.timeout_seconds"))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(300.0)
    }

    fn target_group_behind_load_balancer(&self, target_group_arn: &str) -> Option<bool> {
        let st = &*self.elbv2;
        st.target_groups.get(target_group_arn)?;
        Some(elbv2::target_group_has_listener(st, target_group_arn))
    }

    fn allocate_ip(&mut self, subnet_id: &str) -> Option<(String, String)> {
        let az = ec2::subnet(self.ec2, subnet_id)?.availability_zone.clone();
        let ip = ec2::allocate_private_ip(self.ec2, subnet_id)?;
        Some((ip, az))
    }

    fn release_ip(&mut self, subnet_id: &str, ip: &str) {
        ec2::release_private_ip(self.ec2, subnet_id, ip);
    }

    fn subnet_exists(&self, subnet_id: &str) -> bool {
        ec2::subnet(self.ec2, subnet_id).is_some()
    }

    fn security_group_exists(&self, group_id: &str) -> bool {
        ec2::security_group(self.ec2, group_id).is_some()
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
