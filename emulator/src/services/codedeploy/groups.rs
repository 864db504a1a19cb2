//! Deployment groups: CreateDeploymentGroup, GetDeploymentGroup, BatchGetDeploymentGroups,
//! ListDeploymentGroups, UpdateDeploymentGroup, DeleteDeploymentGroup, with every ECS check of
//! spec §4.7: one group per ECS service, a service with the CODE_DEPLOY controller whose PRIMARY
//! task set's target group is one of the pair, exactly two existing target groups (by name), one
//! existing production listener, an optional test listener on the same load balancer, target
//! groups not attached to another load balancer, deploymentStyle BLUE_GREEN WITH_TRAFFIC_CONTROL,
//! wait times within 0..=2880 minutes, a service role CodeDeploy may assume.
//!
//! GetDeploymentGroup always returns both wait times of an ECS group (0 when not given), as
//! `aws ecs deploy` indexes them without a fallback (spec §0.2).

use super::{app_name, application, configs, err, group_arn, tags, State};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::world::World;
use cutover_types::codedeploy::ComputePlatform;
use serde_json::{json, Map, Value};

/// The most minutes a Ready or termination wait can last (two days).
pub const MAX_WAIT_MINUTES: i64 = 2880;

#[derive(Debug, Clone)]
pub struct DeploymentGroup {
    pub id: String,
    pub application_name: String,
    pub name: String,
    pub compute_platform: ComputePlatform,
    pub deployment_config_name: String,
    pub service_role_arn: String,
    pub deployment_style: Value,
    pub blue_green: Value,
    pub load_balancer_info: Value,
    pub ecs_services: Vec<Value>,
    pub alarm_configuration: Value,
    pub auto_rollback: Value,
    pub triggers: Value,
    /// Members of other platforms, kept as given (ec2TagFilters, autoScalingGroups, ...).
    pub other: Map<String, Value>,
    pub last_successful: Option<Value>,
    pub last_attempted: Option<Value>,
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
        let pair = self.load_balancer_info.pointer("/targetGroupPairInfoList/0")?;
        Some(EcsPair {
            cluster: opt_str(svc, "clusterName")?.to_owned(),
            service: opt_str(svc, "serviceName")?.to_owned(),
            target_groups: pair
                .get("targetGroups")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|t| opt_str(t, "name").map(str::to_owned)).collect())
                .unwrap_or_default(),
            prod_listeners: pair
                .get("prodTrafficRoute")
                .map(|r| str_list(r, "listenerArns"))
                .unwrap_or_default(),
            test_listeners: pair
                .get("testTrafficRoute")
                .map(|r| str_list(r, "listenerArns"))
                .unwrap_or_default(),
        })
    }

    pub fn to_json(&self) -> Value {
        let mut v = Map::new();
        for (k, x) in &self.other {
            v.insert(k.clone(), x.clone());
        }
        let mut put = |k: &str, x: Value| {
            if !x.is_null() {
                v.insert(k.to_owned(), x);
            }
        };
        put("applicationName", json!(self.application_name));
        put("deploymentGroupId", json!(self.id));
        put("deploymentGroupName", json!(self.name));
        put("deploymentConfigName", json!(self.deployment_config_name));
        put("serviceRoleArn", json!(self.service_role_arn));
        put("triggerConfigurations", self.triggers.clone());
        put("alarmConfiguration", self.alarm_configuration.clone());
        put("autoRollbackConfiguration", self.auto_rollback.clone());
        put("deploymentStyle", self.deployment_style.clone());
        put("blueGreenDeploymentConfiguration", self.blue_green.clone());
        put("loadBalancerInfo", self.load_balancer_info.clone());
        put(
            "lastSuccessfulDeployment",
            self.last_successful.clone().unwrap_or(Value::Null),
        );
        put(
            "lastAttemptedDeployment",
            self.last_attempted.clone().unwrap_or(Value::Null),
        );
        put("computePlatform", json!(self.compute_platform));
        if self.compute_platform == ComputePlatform::Ecs {
            put("ecsServices", Value::Array(self.ecs_services.clone()));
        }
        Value::Object(v)
    }
}

fn group_name(input: &Value, member: &str) -> AwsResult<String> {
    let name = opt_str(input, member).unwrap_or("");
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

const OTHER_MEMBERS: [&str; 8] = [
    "ec2TagFilters",
    "onPremisesInstanceTagFilters",
    "autoScalingGroups",
    "ec2TagSet",
    "onPremisesTagSet",
    "outdatedInstancesStrategy",
    "terminationHookEnabled",
    "targetRevision",
];

fn normalize_alarms(given: Option<&Value>) -> AwsResult<Value> {
    let g = given.cloned().unwrap_or(json!({}));
    let alarms = g.get("alarms").and_then(Value::as_array).cloned().unwrap_or_default();
    if alarms.len() > 10 {
        return Err(err(
            "AlarmsLimitExceededException",
            "The maximum number of alarms for a deployment group (10) was exceeded.",
        ));
    }
    let enabled = g.get("enabled").and_then(Value::as_bool).unwrap_or(false);
    if alarms.iter().any(|a| opt_str(a, "name").is_none_or(str::is_empty)) {
        return Err(err("InvalidAlarmConfigException", "Each alarm must have a name."));
    }
    if enabled && alarms.is_empty() {
        return Err(err(
            "InvalidAlarmConfigException",
            "The alarm configuration is enabled but names no alarm.",
        ));
    }
    Ok(json!({
        "enabled": enabled,
        "ignorePollAlarmFailure": g.get("ignorePollAlarmFailure").and_then(Value::as_bool).unwrap_or(false),
        "alarms": alarms,
    }))
}

pub(super) fn normalize_auto_rollback(given: Option<&Value>) -> AwsResult<Value> {
    let g = given.cloned().unwrap_or(json!({}));
    let enabled = g.get("enabled").and_then(Value::as_bool).unwrap_or(false);
    let events = str_list(&g, "events");
    if enabled && events.is_empty() {
        return Err(err(
            "InvalidAutoRollbackConfigException",
            "Automatic rollback is enabled but no rollback event is specified.",
        ));
    }
    Ok(json!({"enabled": enabled, "events": events}))
}

fn normalize_blue_green(given: Option<&Value>, platform: &ComputePlatform) -> AwsResult<Value> {
    let bad = |m: &str| err("InvalidBlueGreenDeploymentConfigurationException", m);
    let g = given.cloned().unwrap_or(json!({}));
    if *platform != ComputePlatform::Ecs {
        return Ok(given.cloned().unwrap_or(Value::Null));
    }
    if g.get("greenFleetProvisioningOption").is_some() {
        return Err(bad(
            "greenFleetProvisioningOption cannot be specified for an Amazon ECS deployment group.",
        ));
    }
    let term = g
        .get("terminateBlueInstancesOnDeploymentSuccess")
        .cloned()
        .unwrap_or(json!({}));
    let action = opt_str(&term, "action").unwrap_or("TERMINATE");
    let term_wait = term
        .get("terminationWaitTimeInMinutes")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if !(0..=MAX_WAIT_MINUTES).contains(&term_wait) {
        return Err(bad("terminationWaitTimeInMinutes must be between 0 and 2880."));
    }
    let ready = g.get("deploymentReadyOption").cloned().unwrap_or(json!({}));
    let on_timeout = opt_str(&ready, "actionOnTimeout").unwrap_or("CONTINUE_DEPLOYMENT");
    let ready_wait = ready.get("waitTimeInMinutes").and_then(Value::as_i64).unwrap_or(0);
    if !(0..=MAX_WAIT_MINUTES).contains(&ready_wait) {
        return Err(bad("waitTimeInMinutes must be between 0 and 2880."));
    }
    Ok(json!({
        "terminateBlueInstancesOnDeploymentSuccess": {"action": action, "terminationWaitTimeInMinutes": term_wait},
        "deploymentReadyOption": {"actionOnTimeout": on_timeout, "waitTimeInMinutes": ready_wait},
    }))
}

fn check_style(style: Option<&Value>, platform: &ComputePlatform) -> AwsResult<Value> {
    match platform {
        ComputePlatform::Ecs => {
            let ok = style.is_some_and(|s| {
                opt_str(s, "deploymentType") == Some("BLUE_GREEN")
                    && opt_str(s, "deploymentOption") == Some("WITH_TRAFFIC_CONTROL")
            });
            if !ok {
                return Err(err(
                    "InvalidDeploymentStyleException",
                    "An Amazon ECS deployment group must have deploymentStyle deploymentType BLUE_GREEN and deploymentOption WITH_TRAFFIC_CONTROL.",
                ));
            }
            Ok(json!({"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}))
        }
        ComputePlatform::Lambda => {
            Ok(json!({"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}))
        }
        _ => Ok(style
            .cloned()
            .unwrap_or(json!({"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}))),
    }
}

fn check_role(world: &World, account: &str, role: &str) -> AwsResult<()> {
    if role.is_empty() {
        return Err(err("RoleRequiredException", "The service role ARN must be specified."));
    }
    if !role.starts_with("arn:") {
        return Err(err(
            "InvalidRoleException",
            format!("The service role ARN {role} is not valid."),
        ));
    }
    crate::services::identity::identity(world)
        .role_trusts(world, account, role, "codedeploy.amazonaws.com", "sts:AssumeRole")
        .map_err(|why| {
            err(
                "InvalidRoleException",
                format!("AWS CodeDeploy does not have the permissions required to assume the role {role} ({why})."),
            )
        })
}

/// Builds and checks a group from a Create or Update input (`base` is the group being updated).
fn build(
    world: &mut World,
    ctx: &Ctx,
    input: &Value,
    app: &str,
    name: &str,
    base: Option<&DeploymentGroup>,
) -> AwsResult<DeploymentGroup> {
    let key = ctx.partition();
    let st = &world.region_mut(&key).codedeploy;
    let platform = application(st, app)?.compute_platform.clone();
    let pick = |m: &str| input.get(m).cloned();
    let config_name = opt_str(input, "deploymentConfigName")
        .map(str::to_owned)
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
    let role = opt_str(input, "serviceRoleArn")
        .map(str::to_owned)
        .or_else(|| base.map(|b| b.service_role_arn.clone()))
        .unwrap_or_default();
    check_role(world, &key.account, &role)?;
    let style_in = pick("deploymentStyle").or_else(|| base.map(|b| b.deployment_style.clone()));
    let blue_green_in = pick("blueGreenDeploymentConfiguration").or_else(|| base.map(|b| b.blue_green.clone()));
    let alarm_in = pick("alarmConfiguration").or_else(|| base.map(|b| b.alarm_configuration.clone()));
    let rollback_in = pick("autoRollbackConfiguration").or_else(|| base.map(|b| b.auto_rollback.clone()));
    let mut other = base.map(|b| b.other.clone()).unwrap_or_default();
    for m in OTHER_MEMBERS {
        if let Some(v) = input.get(m) {
            other.insert(m.to_owned(), v.clone());
        }
    }
    if platform == ComputePlatform::Server {
        other.entry("outdatedInstancesStrategy").or_insert(json!("UPDATE"));
        other.entry("terminationHookEnabled").or_insert(json!(false));
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
        load_balancer_info: pick("loadBalancerInfo")
            .or_else(|| base.map(|b| b.load_balancer_info.clone()))
            .unwrap_or(Value::Null),
        ecs_services: input
            .get("ecsServices")
            .and_then(Value::as_array)
            .cloned()
            .or_else(|| base.map(|b| b.ecs_services.clone()))
            .unwrap_or_default(),
        alarm_configuration: normalize_alarms(alarm_in.as_ref())?,
        auto_rollback: normalize_auto_rollback(rollback_in.as_ref())?,
        triggers: pick("triggerConfigurations")
            .or_else(|| base.map(|b| b.triggers.clone()))
            .unwrap_or(json!([])),
        other,
        last_successful: base.and_then(|b| b.last_successful.clone()),
        last_attempted: base.and_then(|b| b.last_attempted.clone()),
    };
    if platform == ComputePlatform::Ecs {
        if g.load_balancer_info.is_null() {
            return Err(err(
                "InvalidLoadBalancerInfoException",
                "A deployment group associated with an application that uses the ECS compute platform must contain a valid pair of target groups that identify a load balancer.",
            ));
        }
        super::peers::peers(world).check_ecs_group(
            world,
            &key,
            &g,
            base.map(|b| (b.application_name.as_str(), b.name.as_str())),
        )?;
    }
    Ok(g)
}

pub fn create_deployment_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let app = app_name(&input, "applicationName")?;
    let name = group_name(&input, "deploymentGroupName")?;
    application(&world.region_mut(&key).codedeploy, &app)?;
    if world
        .region_mut(&key)
        .codedeploy
        .groups
        .contains_key(&(app.clone(), name.clone()))
    {
        return Err(err(
            "DeploymentGroupAlreadyExistsException",
            format!("A deployment group named {name} already exists for application {app}."),
        ));
    }
    let mut g = build(world, ctx, &input, &app, &name, None)?;
    g.id = world.ids.uuid();
    let id = g.id.clone();
    let st = &mut world.region_mut(&key).codedeploy;
    tags::add(st, &group_arn(&key, &app, &name), input.get("tags"))?;
    st.groups.insert((app.clone(), name.clone()), g);
    world.record(crate::timeline::Entry::resource(
        "codedeploy",
        format!("deployment group {name} of application {app} created"),
        json!({"deploymentGroupId": id}),
    ));
    Ok(json!({"deploymentGroupId": id}))
}

pub fn get_deployment_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = app_name(&input, "applicationName")?;
    let name = group_name(&input, "deploymentGroupName")?;
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    let g = find(st, &app, &name)?;
    Ok(json!({"deploymentGroupInfo": g.to_json()}))
}

pub fn batch_get_deployment_groups(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = app_name(&input, "applicationName")?;
    let names = str_list(&input, "deploymentGroupNames");
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
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    application(st, &app)?;
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match st.groups.get(&(app.clone(), n.clone())) {
            Some(g) => out.push(g.to_json()),
            None => missing.push(n),
        }
    }
    let mut v = json!({"deploymentGroupsInfo": out});
    if !missing.is_empty() {
        v["errorMessage"] = json!(format!("Deployment groups not found: {}", missing.join(", ")));
    }
    Ok(v)
}

pub fn list_deployment_groups(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = app_name(&input, "applicationName")?;
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    application(st, &app)?;
    let names: Vec<String> = st
        .groups
        .keys()
        .filter(|(a, _)| *a == app)
        .map(|(_, n)| n.clone())
        .collect();
    let (page, next) = paginate(&names, opt_str(&input, "nextToken"), 100, "InvalidNextTokenException")?;
    let mut out = json!({"applicationName": app, "deploymentGroups": page});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

pub fn update_deployment_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let app = app_name(&input, "applicationName")?;
    let current = group_name(&input, "currentDeploymentGroupName")?;
    let base = find(&world.region_mut(&key).codedeploy, &app, &current)?.clone();
    let new_name = match opt_str(&input, "newDeploymentGroupName") {
        Some(_) => group_name(&input, "newDeploymentGroupName")?,
        None => current.clone(),
    };
    if new_name != current
        && world
            .region_mut(&key)
            .codedeploy
            .groups
            .contains_key(&(app.clone(), new_name.clone()))
    {
        return Err(err(
            "DeploymentGroupAlreadyExistsException",
            format!("A deployment group named {new_name} already exists for application {app}."),
        ));
    }
    let g = build(world, ctx, &input, &app, &new_name, Some(&base))?;
    let st = &mut world.region_mut(&key).codedeploy;
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
    Ok(json!({"hooksNotCleanedUp": []}))
}

pub fn delete_deployment_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let app = app_name(&input, "applicationName")?;
    let name = group_name(&input, "deploymentGroupName")?;
    let st = &mut world.region_mut(&key).codedeploy;
    application(st, &app)?;
    if st.groups.remove(&(app.clone(), name.clone())).is_some() {
        st.tags.remove(&group_arn(&key, &app, &name));
        world.record(crate::timeline::Entry::resource(
            "codedeploy",
            format!("deployment group {name} of application {app} deleted"),
            Value::Null,
        ));
    }
    Ok(json!({"hooksNotCleanedUp": []}))
}
