//! Deployment groups: CreateDeploymentGroup, GetDeploymentGroup, BatchGetDeploymentGroups,
//! ListDeploymentGroups, UpdateDeploymentGroup, DeleteDeploymentGroup, with every ECS check of
//! spec §4.7: one group per ECS service, a service with the CODE_DEPLOY controller whose PRIMARY
//! task set's target group is one of the pair, exactly two existing target groups (by name), one
//! existing production listener, an optional test listener on the same load balancer, target
//! groups not attached to another load balancer, deploymentStyle BLUE_GREEN WITH_TRAFFIC_CONTROL,
//! wait times within 0..=2880 minutes, a service role CodeDeploy may assume. The checks against
//! IAM, ECS and ELBv2 are asked through [`Groups`] (answered in `lifecycle/deployment_group.rs`,
//! where Create and UpdateDeploymentGroup are registered); the rest are here.
//!
//! GetDeploymentGroup always returns both wait times of an ECS group (0 when not given), as
//! `aws ecs deploy` indexes them without a fallback (spec §0.2).

use super::peers::Groups;
use super::{app_name, application, configs, err, group_arn, tags, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::codedeploy::{
    self as t, ComputePlatform, DeploymentOption, DeploymentReadyAction, DeploymentType, InstanceAction,
};
use serde_json::{json, Value};

/// The most minutes a Ready or termination wait can last (two days).
pub const MAX_WAIT_MINUTES: i32 = 2880;

#[derive(Debug, Clone)]
pub struct DeploymentGroup {
    pub id: String,
    pub application_name: String,
    pub name: String,
    pub compute_platform: ComputePlatform,
    pub deployment_config_name: String,
    pub service_role_arn: String,
    pub deployment_style: t::DeploymentStyle,
    /// Normalized for ECS (both options with their defaults); as given for other platforms.
    pub blue_green: Option<t::BlueGreenDeploymentConfiguration>,
    pub load_balancer_info: Option<t::LoadBalancerInfo>,
    pub ecs_services: Vec<t::ECSService>,
    pub alarm_configuration: t::AlarmConfiguration,
    pub auto_rollback: t::AutoRollbackConfiguration,
    pub triggers: Vec<t::TriggerConfig>,
    /// Members of other platforms, kept as given.
    pub other: OtherPlatforms,
    pub last_successful: Option<t::LastDeploymentInfo>,
    pub last_attempted: Option<t::LastDeploymentInfo>,
}

/// The members of a group of the Server platform (EC2 and on-premises instances, Auto Scaling),
/// kept as given and answered back.
#[derive(Debug, Clone, Default)]
pub struct OtherPlatforms {
    pub ec2_tag_filters: Option<Vec<t::EC2TagFilter>>,
    pub on_premises_instance_tag_filters: Option<Vec<t::TagFilter>>,
    pub auto_scaling_groups: Option<Vec<String>>,
    pub ec2_tag_set: Option<t::EC2TagSet>,
    pub on_premises_tag_set: Option<t::OnPremisesTagSet>,
    pub outdated_instances_strategy: Option<t::OutdatedInstancesStrategy>,
    pub termination_hook_enabled: Option<bool>,
}

/// What an ECS group deploys to.
#[derive(Debug, Clone, PartialEq)]
pub struct EcsPair {
    pub cluster: String,
    pub service: String,
    pub target_groups: Vec<String>,
    pub prod_listeners: Vec<String>,
    pub test_listeners: Vec<String>,
}

impl DeploymentGroup {
    pub fn ecs_pair(&self) -> Option<EcsPair> {
        let svc = self.ecs_services.first()?;
        let pair = self
            .load_balancer_info
            .as_ref()?
            .target_group_pair_info_list
            .as_ref()?
            .first()?;
        let listeners =
            |r: &Option<t::TrafficRoute>| r.as_ref().and_then(|r| r.listener_arns.clone()).unwrap_or_default();
        Some(EcsPair {
            cluster: svc.cluster_name.clone()?,
            service: svc.service_name.clone()?,
            target_groups: pair
                .target_groups
                .iter()
                .flatten()
                .filter_map(|t| t.name.clone())
                .collect(),
            prod_listeners: listeners(&pair.prod_traffic_route),
            test_listeners: listeners(&pair.test_traffic_route),
        })
    }

    pub fn info(&self) -> t::DeploymentGroupInfo {
        let o = &self.other;
        t::DeploymentGroupInfo {
            application_name: Some(self.application_name.clone()),
            deployment_group_id: Some(self.id.clone()),
            deployment_group_name: Some(self.name.clone()),
            deployment_config_name: Some(self.deployment_config_name.clone()),
            service_role_arn: Some(self.service_role_arn.clone()),
            trigger_configurations: Some(self.triggers.clone()),
            alarm_configuration: Some(self.alarm_configuration.clone()),
            auto_rollback_configuration: Some(self.auto_rollback.clone()),
            deployment_style: Some(self.deployment_style.clone()),
            blue_green_deployment_configuration: self.blue_green.clone(),
            load_balancer_info: self.load_balancer_info.clone(),
            last_successful_deployment: self.last_successful.clone(),
            last_attempted_deployment: self.last_attempted.clone(),
            compute_platform: Some(self.compute_platform.clone()),
            ecs_services: (self.compute_platform == ComputePlatform::Ecs).then(|| self.ecs_services.clone()),
            ec2_tag_filters: o.ec2_tag_filters.clone(),
            on_premises_instance_tag_filters: o.on_premises_instance_tag_filters.clone(),
            auto_scaling_groups: o.auto_scaling_groups.as_ref().map(|names| {
                names
                    .iter()
                    .map(|n| t::AutoScalingGroup {
                        name: Some(n.clone()),
                        ..Default::default()
                    })
                    .collect()
            }),
            ec2_tag_set: o.ec2_tag_set.clone(),
            on_premises_tag_set: o.on_premises_tag_set.clone(),
            outdated_instances_strategy: o.outdated_instances_strategy.clone(),
            termination_hook_enabled: o.termination_hook_enabled,
            target_revision: None,
        }
    }
}

fn group_name(name: &str) -> AwsResult<String> {
    if name.is_empty() {
        return Err(err(
            "DeploymentGroupNameRequiredException",
            "The deployment group name must be specified.",
        ));
    }
    if name.chars().count() > 100 {
        return Err(err(
            "InvalidDeploymentGroupNameException",
            "The deployment group name must be 1 to 100 characters long.",
        ));
    }
    Ok(name.to_owned())
}

pub fn no_group(app: &str, name: &str) -> AwsError {
    err(
        "DeploymentGroupDoesNotExistException",
        format!("No Deployment Group found for name: {name} in application {app}"),
    )
}

/// The group, or the error for it.
pub fn find<'a>(st: &'a State, app: &str, name: &str) -> AwsResult<&'a DeploymentGroup> {
    application(st, app)?;
    st.groups
        .get(&(app.to_owned(), name.to_owned()))
        .ok_or_else(|| no_group(app, name))
}

fn normalize_alarms(given: Option<&t::AlarmConfiguration>) -> AwsResult<t::AlarmConfiguration> {
    let g = given.cloned().unwrap_or_default();
    let alarms = g.alarms.clone().unwrap_or_default();
    if alarms.len() > 10 {
        return Err(err(
            "AlarmsLimitExceededException",
            "The maximum number of alarms for a deployment group (10) was exceeded.",
        ));
    }
    let enabled = g.enabled.unwrap_or(false);
    if alarms.iter().any(|a| a.name.as_deref().is_none_or(str::is_empty)) {
        return Err(err("InvalidAlarmConfigException", "Each alarm must have a name."));
    }
    if enabled && alarms.is_empty() {
        return Err(err(
            "InvalidAlarmConfigException",
            "The alarm configuration is enabled but names no alarm.",
        ));
    }
    Ok(t::AlarmConfiguration {
        enabled: Some(enabled),
        ignore_poll_alarm_failure: Some(g.ignore_poll_alarm_failure.unwrap_or(false)),
        alarms: Some(alarms),
    })
}

pub(super) fn normalize_auto_rollback(
    given: Option<&t::AutoRollbackConfiguration>,
) -> AwsResult<t::AutoRollbackConfiguration> {
    let g = given.cloned().unwrap_or_default();
    let enabled = g.enabled.unwrap_or(false);
    let events = g.events.unwrap_or_default();
    if enabled && events.is_empty() {
        return Err(err(
            "InvalidAutoRollbackConfigException",
            "Automatic rollback is enabled but no rollback event is specified.",
        ));
    }
    Ok(t::AutoRollbackConfiguration {
        enabled: Some(enabled),
        events: Some(events),
    })
}

fn normalize_blue_green(
    given: Option<&t::BlueGreenDeploymentConfiguration>,
    platform: &ComputePlatform,
) -> AwsResult<Option<t::BlueGreenDeploymentConfiguration>> {
    let bad = |m: &str| err("InvalidBlueGreenDeploymentConfigurationException", m);
    if *platform != ComputePlatform::Ecs {
        return Ok(given.cloned());
    }
    let g = given.cloned().unwrap_or_default();
    if g.green_fleet_provisioning_option.is_some() {
        return Err(bad(
            "greenFleetProvisioningOption cannot be specified for an Amazon ECS deployment group.",
        ));
    }
    let term = g.terminate_blue_instances_on_deployment_success.unwrap_or_default();
    let action = term.action.unwrap_or(InstanceAction::Terminate);
    let term_wait = term.termination_wait_time_in_minutes.unwrap_or(0);
    if !(0..=MAX_WAIT_MINUTES).contains(&term_wait) {
        return Err(bad("terminationWaitTimeInMinutes must be between 0 and 2880."));
    }
    let ready = g.deployment_ready_option.unwrap_or_default();
    let on_timeout = ready
        .action_on_timeout
        .unwrap_or(DeploymentReadyAction::ContinueDeployment);
    let ready_wait = ready.wait_time_in_minutes.unwrap_or(0);
    if !(0..=MAX_WAIT_MINUTES).contains(&ready_wait) {
        return Err(bad("waitTimeInMinutes must be between 0 and 2880."));
    }
    Ok(Some(t::BlueGreenDeploymentConfiguration {
        terminate_blue_instances_on_deployment_success: Some(t::BlueInstanceTerminationOption {
            action: Some(action),
            termination_wait_time_in_minutes: Some(term_wait),
        }),
        deployment_ready_option: Some(t::DeploymentReadyOption {
            action_on_timeout: Some(on_timeout),
            wait_time_in_minutes: Some(ready_wait),
        }),
        green_fleet_provisioning_option: None,
    }))
}

fn style(kind: DeploymentType, option: DeploymentOption) -> t::DeploymentStyle {
    t::DeploymentStyle {
        deployment_type: Some(kind),
        deployment_option: Some(option),
    }
}

fn check_style(given: Option<&t::DeploymentStyle>, platform: &ComputePlatform) -> AwsResult<t::DeploymentStyle> {
    let blue_green = || style(DeploymentType::BlueGreen, DeploymentOption::WithTrafficControl);
    match platform {
        ComputePlatform::Ecs => {
            if given != Some(&blue_green()) {
                return Err(err(
                    "InvalidDeploymentStyleException",
                    "An Amazon ECS deployment group must have deploymentStyle deploymentType BLUE_GREEN and deploymentOption WITH_TRAFFIC_CONTROL.",
                ));
            }
            Ok(blue_green())
        }
        ComputePlatform::Lambda => Ok(blue_green()),
        _ => Ok(given
            .cloned()
            .unwrap_or_else(|| style(DeploymentType::InPlace, DeploymentOption::WithoutTrafficControl))),
    }
}

fn check_role(peers: &dyn Groups, role: &str) -> AwsResult<()> {
    if role.is_empty() {
        return Err(err("RoleRequiredException", "The service role ARN must be specified."));
    }
    if !role.starts_with("arn:") {
        return Err(err(
            "InvalidRoleException",
            format!("The service role ARN {role} is not valid."),
        ));
    }
    peers.role_trusts(role).map_err(|why| {
        err(
            "InvalidRoleException",
            format!("AWS CodeDeploy does not have the permissions required to assume the role {role} ({why})."),
        )
    })
}

/// The members of a Create or Update input that make a group (an update's absent ones keep the
/// group's).
#[derive(Debug, Clone, Default)]
pub struct GroupInput {
    pub deployment_config_name: Option<String>,
    pub service_role_arn: Option<String>,
    pub deployment_style: Option<t::DeploymentStyle>,
    pub blue_green: Option<t::BlueGreenDeploymentConfiguration>,
    pub load_balancer_info: Option<t::LoadBalancerInfo>,
    pub ecs_services: Option<Vec<t::ECSService>>,
    pub alarm_configuration: Option<t::AlarmConfiguration>,
    pub auto_rollback: Option<t::AutoRollbackConfiguration>,
    pub triggers: Option<Vec<t::TriggerConfig>>,
    pub other: OtherPlatforms,
}

/// Builds and checks a group from a Create or Update input (`base` is the group being updated).
fn build(
    st: &State,
    peers: &dyn Groups,
    input: GroupInput,
    app: &str,
    name: &str,
    base: Option<&DeploymentGroup>,
) -> AwsResult<DeploymentGroup> {
    let platform = application(st, app)?.compute_platform.clone();
    let config_name = input
        .deployment_config_name
        .or_else(|| base.map(|b| b.deployment_config_name.clone()))
        .unwrap_or_else(|| configs::default_for(&platform).to_owned());
    let config = configs::find(st, &config_name).ok_or_else(|| configs::no_config(&config_name))?;
    if config.compute_platform != platform {
        return Err(err(
            "InvalidDeploymentConfigNameException",
            format!(
                "The deployment configuration {config_name} is for the {} compute platform, not {platform}.",
                config.compute_platform
            ),
        ));
    }
    let role = input
        .service_role_arn
        .or_else(|| base.map(|b| b.service_role_arn.clone()))
        .unwrap_or_default();
    check_role(peers, &role)?;
    let style_in = input
        .deployment_style
        .or_else(|| base.map(|b| b.deployment_style.clone()));
    let blue_green_in = input.blue_green.or_else(|| base.and_then(|b| b.blue_green.clone()));
    let alarm_in = input
        .alarm_configuration
        .or_else(|| base.map(|b| b.alarm_configuration.clone()));
    let rollback_in = input.auto_rollback.or_else(|| base.map(|b| b.auto_rollback.clone()));
    let given = input.other;
    let kept = base.map(|b| b.other.clone()).unwrap_or_default();
    let mut other = OtherPlatforms {
        ec2_tag_filters: given.ec2_tag_filters.or(kept.ec2_tag_filters),
        on_premises_instance_tag_filters: given
            .on_premises_instance_tag_filters
            .or(kept.on_premises_instance_tag_filters),
        auto_scaling_groups: given.auto_scaling_groups.or(kept.auto_scaling_groups),
        ec2_tag_set: given.ec2_tag_set.or(kept.ec2_tag_set),
        on_premises_tag_set: given.on_premises_tag_set.or(kept.on_premises_tag_set),
        outdated_instances_strategy: given.outdated_instances_strategy.or(kept.outdated_instances_strategy),
        termination_hook_enabled: given.termination_hook_enabled.or(kept.termination_hook_enabled),
    };
    if platform == ComputePlatform::Server {
        other
            .outdated_instances_strategy
            .get_or_insert(t::OutdatedInstancesStrategy::Update);
        other.termination_hook_enabled.get_or_insert(false);
    }
    let g = DeploymentGroup {
        id: base.map(|b| b.id.clone()).unwrap_or_default(),
        application_name: app.to_owned(),
        name: name.to_owned(),
        compute_platform: platform.clone(),
        deployment_config_name: config_name,
        service_role_arn: role,
        deployment_style: check_style(style_in.as_ref(), &platform)?,
        blue_green: normalize_blue_green(blue_green_in.as_ref(), &platform)?,
        load_balancer_info: input
            .load_balancer_info
            .or_else(|| base.and_then(|b| b.load_balancer_info.clone())),
        ecs_services: input
            .ecs_services
            .or_else(|| base.map(|b| b.ecs_services.clone()))
            .unwrap_or_default(),
        alarm_configuration: normalize_alarms(alarm_in.as_ref())?,
        auto_rollback: normalize_auto_rollback(rollback_in.as_ref())?,
        triggers: input
            .triggers
            .or_else(|| base.map(|b| b.triggers.clone()))
            .unwrap_or_default(),
        other,
        last_successful: base.and_then(|b| b.last_successful.clone()),
        last_attempted: base.and_then(|b| b.last_attempted.clone()),
    };
    if platform == ComputePlatform::Ecs {
        if g.load_balancer_info.is_none() {
            return Err(err(
                "InvalidLoadBalancerInfoException",
                "A deployment group associated with an application that uses the ECS compute platform must contain a valid pair of target groups that identify a load balancer.",
            ));
        }
        // The other ECS groups, for the one-group-per-service check.
        let others: Vec<(String, String, EcsPair)> = st
            .groups
            .iter()
            .filter(|((a, n), other)| {
                !base.is_some_and(|b| b.application_name == *a && b.name == *n)
                    && other.compute_platform == ComputePlatform::Ecs
            })
            .filter_map(|((a, n), other)| Some((a.clone(), n.clone(), other.ecs_pair()?)))
            .collect();
        peers.check_ecs_group(&g, &others)?;
    }
    Ok(g)
}

impl From<&t::CreateDeploymentGroupInput> for GroupInput {
    fn from(i: &t::CreateDeploymentGroupInput) -> GroupInput {
        GroupInput {
            deployment_config_name: i.deployment_config_name.clone(),
            service_role_arn: Some(i.service_role_arn.clone()),
            deployment_style: i.deployment_style.clone(),
            blue_green: i.blue_green_deployment_configuration.clone(),
            load_balancer_info: i.load_balancer_info.clone(),
            ecs_services: i.ecs_services.clone(),
            alarm_configuration: i.alarm_configuration.clone(),
            auto_rollback: i.auto_rollback_configuration.clone(),
            triggers: i.trigger_configurations.clone(),
            other: OtherPlatforms {
                ec2_tag_filters: i.ec2_tag_filters.clone(),
                on_premises_instance_tag_filters: i.on_premises_instance_tag_filters.clone(),
                auto_scaling_groups: i.auto_scaling_groups.clone(),
                ec2_tag_set: i.ec2_tag_set.clone(),
                on_premises_tag_set: i.on_premises_tag_set.clone(),
                outdated_instances_strategy: i.outdated_instances_strategy.clone(),
                termination_hook_enabled: i.termination_hook_enabled,
            },
        }
    }
}

impl From<&t::UpdateDeploymentGroupInput> for GroupInput {
    fn from(i: &t::UpdateDeploymentGroupInput) -> GroupInput {
        GroupInput {
            deployment_config_name: i.deployment_config_name.clone(),
            service_role_arn: i.service_role_arn.clone(),
            deployment_style: i.deployment_style.clone(),
            blue_green: i.blue_green_deployment_configuration.clone(),
            load_balancer_info: i.load_balancer_info.clone(),
            ecs_services: i.ecs_services.clone(),
            alarm_configuration: i.alarm_configuration.clone(),
            auto_rollback: i.auto_rollback_configuration.clone(),
            triggers: i.trigger_configurations.clone(),
            other: OtherPlatforms {
                ec2_tag_filters: i.ec2_tag_filters.clone(),
                on_premises_instance_tag_filters: i.on_premises_instance_tag_filters.clone(),
                auto_scaling_groups: i.auto_scaling_groups.clone(),
                ec2_tag_set: i.ec2_tag_set.clone(),
                on_premises_tag_set: i.on_premises_tag_set.clone(),
                outdated_instances_strategy: i.outdated_instances_strategy.clone(),
                termination_hook_enabled: i.termination_hook_enabled,
            },
        }
    }
}

/// The role CreateDeploymentGroup or UpdateDeploymentGroup will check: the one given, else the
/// group's (what [`Groups::role_trusts`] is asked about).
pub fn role_to_check(st: &State, app: &str, current: Option<&str>, given: Option<&str>) -> String {
    given
        .map(str::to_owned)
        .or_else(|| {
            let current = current?;
            st.groups
                .get(&(app.to_owned(), current.to_owned()))
                .map(|g| g.service_role_arn.clone())
        })
        .unwrap_or_default()
}

/// CreateDeploymentGroup; the ECS and role checks through `peers`.
pub fn create_deployment_group(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &dyn Groups,
    ctx: &Ctx,
    input: t::CreateDeploymentGroupInput,
) -> AwsResult<t::CreateDeploymentGroupOutput> {
    let key = ctx.partition();
    let app = app_name(&input.application_name)?;
    let name = group_name(&input.deployment_group_name)?;
    application(st, &app)?;
    if st.groups.contains_key(&(app.clone(), name.clone())) {
        return Err(err(
            "DeploymentGroupAlreadyExistsException",
            format!("A deployment group named {name} already exists for application {app}."),
        ));
    }
    let mut g = build(st, peers, GroupInput::from(&input), &app, &name, None)?;
    g.id = env.ids.uuid();
    let id = g.id.clone();
    tags::add(st, &group_arn(&key, &app, &name), input.tags.as_deref())?;
    st.groups.insert((app.clone(), name.clone()), g);
    env.record(crate::timeline::Entry::resource(
        "codedeploy",
        format!("deployment group {name} of application {app} created"),
        json!({"deploymentGroupId": id}),
    ));
    Ok(t::CreateDeploymentGroupOutput {
        deployment_group_id: Some(id),
    })
}

pub fn get_deployment_group(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetDeploymentGroupInput,
) -> AwsResult<t::GetDeploymentGroupOutput> {
    let app = app_name(&input.application_name)?;
    let name = group_name(&input.deployment_group_name)?;
    let g = find(st, &app, &name)?;
    Ok(t::GetDeploymentGroupOutput {
        deployment_group_info: Some(g.info()),
    })
}

pub fn batch_get_deployment_groups(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::BatchGetDeploymentGroupsInput,
) -> AwsResult<t::BatchGetDeploymentGroupsOutput> {
    let app = app_name(&input.application_name)?;
    let names = input.deployment_group_names;
    if names.is_empty() {
        return Err(err(
            "DeploymentGroupNameRequiredException",
            "The deployment group names must be specified.",
        ));
    }
    if names.len() > 100 {
        return Err(err(
            "BatchLimitExceededException",
            "The maximum number of names or IDs allowed for this request (100) was exceeded.",
        ));
    }
    application(st, &app)?;
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match st.groups.get(&(app.clone(), n.clone())) {
            Some(g) => out.push(g.info()),
            None => missing.push(n),
        }
    }
    Ok(t::BatchGetDeploymentGroupsOutput {
        deployment_groups_info: Some(out),
        error_message: (!missing.is_empty()).then(|| format!("Deployment groups not found: {}", missing.join(", "))),
    })
}

pub fn list_deployment_groups(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListDeploymentGroupsInput,
) -> AwsResult<t::ListDeploymentGroupsOutput> {
    let app = app_name(&input.application_name)?;
    application(st, &app)?;
    let names: Vec<String> = st
        .groups
        .keys()
        .filter(|(a, _)| *a == app)
        .map(|(_, n)| n.clone())
        .collect();
    let (page, next) = paginate(&names, input.next_token.as_deref(), 100, "InvalidNextTokenException")?;
    Ok(t::ListDeploymentGroupsOutput {
        application_name: Some(app),
        deployment_groups: Some(page),
        next_token: next,
    })
}

/// UpdateDeploymentGroup; the ECS and role checks through `peers`.
pub fn update_deployment_group(
    st: &mut State,
    _env: &mut Env<'_>,
    peers: &dyn Groups,
    ctx: &Ctx,
    input: t::UpdateDeploymentGroupInput,
) -> AwsResult<t::UpdateDeploymentGroupOutput> {
    let key = ctx.partition();
    let app = app_name(&input.application_name)?;
    let current = group_name(&input.current_deployment_group_name)?;
    let base = find(st, &app, &current)?.clone();
    let new_name = match &input.new_deployment_group_name {
        Some(n) => group_name(n)?,
        None => current.clone(),
    };
    if new_name != current && st.groups.contains_key(&(app.clone(), new_name.clone())) {
        return Err(err(
            "DeploymentGroupAlreadyExistsException",
            format!("A deployment group named {new_name} already exists for application {app}."),
        ));
    }
    let g = build(st, peers, GroupInput::from(&input), &app, &new_name, Some(&base))?;
    st.groups.remove(&(app.clone(), current.clone()));
    if new_name != current {
        if let Some(t) = st.tags.remove(&group_arn(&key, &app, &current)) {
            st.tags.insert(group_arn(&key, &app, &new_name), t);
        }
        for d in st.deployments.values_mut() {
            if d.application_name == app && d.deployment_group_name == current {
                d.deployment_group_name = new_name.clone();
            }
        }
    }
    st.groups.insert((app, new_name), g);
    Ok(t::UpdateDeploymentGroupOutput {
        hooks_not_cleaned_up: Some(Vec::new()),
    })
}

pub fn delete_deployment_group(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DeleteDeploymentGroupInput,
) -> AwsResult<t::DeleteDeploymentGroupOutput> {
    let key = ctx.partition();
    let app = app_name(&input.application_name)?;
    let name = group_name(&input.deployment_group_name)?;
    application(st, &app)?;
    if st.groups.remove(&(app.clone(), name.clone())).is_some() {
        st.tags.remove(&group_arn(&key, &app, &name));
        env.record(crate::timeline::Entry::resource(
            "codedeploy",
            format!("deployment group {name} of application {app} deleted"),
            Value::Null,
        ));
    }
    Ok(t::DeleteDeploymentGroupOutput {
        hooks_not_cleaned_up: Some(Vec::new()),
    })
}
