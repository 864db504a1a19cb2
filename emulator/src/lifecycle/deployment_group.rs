//! Where a CodeDeploy deployment group meets ECS and ELBv2: the ECS checks of spec §4.7 that
//! CreateDeploymentGroup and UpdateDeploymentGroup make (one group per ECS service, a CODE_DEPLOY
//! service whose PRIMARY task set's target group is one of the pair, the listeners and target
//! groups on one load balancer) and the service role's trust, answered on [`GroupChecks`] (the
//! view `codedeploy::peers::Groups` is asked on), and the two operations that make them.

use crate::protocol::AwsResult;
use crate::services::codedeploy::groups::EcsPair;
use crate::services::codedeploy::{self, err, DeploymentGroup};
use crate::services::ecs::status::TaskSetStatus;
use crate::services::{ecs, elbv2, Ctx};
use crate::world::{PartitionKey, Region, World};
use cutover_types::codedeploy as t;
use cutover_types::ecs::DeploymentControllerType;

/// What a deployment group is checked against: the region's ECS and ELBv2 states, and whether
/// CodeDeploy may assume the group's role (`role`, the one `codedeploy::groups::role_to_check`
/// names, read from IAM before the region is borrowed).
pub struct GroupChecks<'a> {
    pub key: &'a PartitionKey,
    pub ecs: &'a ecs::State,
    pub elbv2: &'a elbv2::State,
    pub role: String,
    pub role_trust: Result<(), String>,
}

impl codedeploy::peers::Groups for GroupChecks<'_> {
    fn role_trusts(&self, role: &str) -> Result<(), String> {
        if role == self.role {
            self.role_trust.clone()
        } else {
            Err(format!("cutover read the trust of {} only", self.role))
        }
    }

    fn check_ecs_group(&self, g: &DeploymentGroup, others: &[(String, String, EcsPair)]) -> AwsResult<()> {
        check_ecs(self, g, others)
    }
}

/// Whether CodeDeploy may assume `role` (nothing to ask for a role the group checks refuse
/// before: empty, or not an ARN).
fn role_trust(world: &World, account: &str, role: &str) -> Result<(), String> {
    if !role.starts_with("arn:") {
        return Ok(());
    }
    super::identity::trusts(
        &world.accounts,
        account,
        role,
        "codedeploy.amazonaws.com",
        "sts:AssumeRole",
    )
}

/// Runs `f` over the region's CodeDeploy state, an `Env` and the [`GroupChecks`] of the same
/// region, for the group `current` (or a new one) of `application` with the role `role_arn`.
fn with_group_checks<R>(
    world: &mut World,
    key: &PartitionKey,
    application: &str,
    current: Option<&str>,
    role_arn: Option<&str>,
    f: impl FnOnce(&mut codedeploy::State, &mut crate::env::Env<'_>, &GroupChecks<'_>) -> R,
) -> R {
    let role = codedeploy::groups::role_to_check(&world.region_mut(key).codedeploy, application, current, role_arn);
    let role_trust = role_trust(world, &key.account, &role);
    let (region, mut env) = world.split(key);
    let Region {
        codedeploy, ecs, elbv2, ..
    } = region;
    let view = GroupChecks {
        key,
        ecs,
        elbv2,
        role,
        role_trust,
    };
    f(codedeploy, &mut env, &view)
}

/// CreateDeploymentGroup: CodeDeploy's own function, over the checks of [`GroupChecks`].
pub fn create_deployment_group(
    world: &mut World,
    ctx: &Ctx,
    input: t::CreateDeploymentGroupInput,
) -> AwsResult<t::CreateDeploymentGroupOutput> {
    let key = ctx.partition();
    let (app, role) = (input.application_name.clone(), input.service_role_arn.clone());
    with_group_checks(world, &key, &app, None, Some(&role), |cd, env, view| {
        codedeploy::groups::create_deployment_group(cd, env, view, ctx, input)
    })
}

/// UpdateDeploymentGroup: CodeDeploy's own function, over the checks of [`GroupChecks`].
pub fn update_deployment_group(
    world: &mut World,
    ctx: &Ctx,
    input: t::UpdateDeploymentGroupInput,
) -> AwsResult<t::UpdateDeploymentGroupOutput> {
    let key = ctx.partition();
    let app = input.application_name.clone();
    let current = input.current_deployment_group_name.clone();
    let role = input.service_role_arn.clone();
    with_group_checks(world, &key, &app, Some(&current), role.as_deref(), |cd, env, view| {
        codedeploy::groups::update_deployment_group(cd, env, view, ctx, input)
    })
}

fn tg_arn_by_name(st: &elbv2::State, name: &str) -> Option<String> {
    st.target_groups
        .values()
        .find(|t| t.name == name)
        .map(|t| t.arn.clone())
}

/// The ECS checks of spec §4.7; `others` are the region's other ECS groups.
fn check_ecs(view: &GroupChecks<'_>, g: &DeploymentGroup, others: &[(String, String, EcsPair)]) -> AwsResult<()> {
    let key = view.key;
    let bad_service = |m: String| err("InvalidECSServiceException", m);
    if g.ecs_services.len() != 1 {
        return Err(bad_service(
            "An Amazon ECS deployment group must specify exactly one ECS service in ecsServices.".into(),
        ));
    }
    let pair = g
        .ecs_pair()
        .ok_or_else(|| bad_service("ecsServices must give serviceName and clusterName.".into()))?;
    let pairs = g
        .load_balancer_info
        .as_ref()
        .and_then(|l| l.target_group_pair_info_list.as_ref())
        .map_or(0, Vec::len);
    if pairs != 1 {
        return Err(err(
            "InvalidLoadBalancerInfoException",
            "A deployment group associated with an application that uses the ECS compute platform must contain a valid pair of target groups that identify a load balancer: loadBalancerInfo.targetGroupPairInfoList must have exactly one element.",
        ));
    }
    let svc_arn = ecs::task_sets::service_arn_for(view.ecs, &key.region, &key.account, &pair.cluster, &pair.service)
        .ok_or_else(|| {
            bad_service(format!(
                "The ECS service {} does not exist in cluster {}.",
                pair.service, pair.cluster
            ))
        })?;
    let svc = &view.ecs.services[&svc_arn];
    if svc.controller != DeploymentControllerType::CodeDeploy {
        return Err(bad_service(format!(
            "The ECS service {} must use the CODE_DEPLOY deployment controller.",
            pair.service
        )));
    }
    let cluster_name = ecs::name_from_arn(&svc.cluster_arn).to_owned();
    for (app, name, p) in others {
        if ecs::name_from_arn(&p.cluster) == cluster_name && ecs::name_from_arn(&p.service) == svc.name {
            return Err(err(
                "ECSServiceMappingLimitExceededException",
                format!(
                    "An Amazon ECS service can be associated with only one deployment group: {cluster_name}:{} belongs to deployment group {name} of application {app}.",
                    svc.name
                ),
            ));
        }
    }
    let bad_pair = |m: String| err("InvalidTargetGroupPairException", m);
    if pair.target_groups.len() != 2 {
        return Err(bad_pair(
            "A target group pair must name exactly two target groups.".into(),
        ));
    }
    if pair.target_groups[0] == pair.target_groups[1] {
        return Err(bad_pair("The two target groups of the pair must be different.".into()));
    }
    let mut tg_arns = Vec::new();
    for n in &pair.target_groups {
        tg_arns.push(
            tg_arn_by_name(view.elbv2, n).ok_or_else(|| bad_pair(format!("The target group {n} does not exist.")))?,
        );
    }
    let bad_lb = |m: String| err("InvalidLoadBalancerInfoException", m);
    if pair.prod_listeners.len() != 1 {
        return Err(bad_lb("prodTrafficRoute must name exactly one listener.".into()));
    }
    if pair.test_listeners.len() > 1 {
        return Err(bad_lb("testTrafficRoute can name at most one listener.".into()));
    }
    let lb_of = |arn: &str| -> AwsResult<String> {
        view.elbv2
            .listeners
            .get(arn)
            .map(|l| l.load_balancer_arn.clone())
            .ok_or_else(|| bad_lb(format!("The listener {arn} does not exist.")))
    };
    let prod_lb = lb_of(&pair.prod_listeners[0])?;
    for t in &pair.test_listeners {
        if *t == pair.prod_listeners[0] {
            return Err(bad_lb(
                "The test listener must differ from the production listener.".into(),
            ));
        }
        if lb_of(t)? != prod_lb {
            return Err(bad_lb(
                "The production and test listeners must belong to the same load balancer.".into(),
            ));
        }
    }
    for (name, arn) in pair.target_groups.iter().zip(&tg_arns) {
        let lbs = elbv2::load_balancers_of_target_group(view.elbv2, arn);
        if lbs.iter().any(|l| *l != prod_lb) {
            return Err(bad_pair(format!(
                "The target group {name} is associated with a different load balancer than the listeners."
            )));
        }
    }
    let primary_tg = svc
        .task_sets
        .iter()
        .find(|t| t.status == TaskSetStatus::Primary)
        .and_then(|t| t.unit.load_balancers.first())
        .and_then(|l| l.target_group_arn.clone());
    if let Some(tg) = primary_tg {
        if !tg_arns.contains(&tg) {
            return Err(bad_pair(format!(
                "The target group of the PRIMARY task set of service {} is not one of the pair {} / {}.",
                svc.name, pair.target_groups[0], pair.target_groups[1]
            )));
        }
    }
    Ok(())
}
