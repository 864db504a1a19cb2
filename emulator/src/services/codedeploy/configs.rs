//! Deployment configurations: the predefined ones of the three compute platforms and custom ones
//! (CreateDeploymentConfig, GetDeploymentConfig, ListDeploymentConfigs, DeleteDeploymentConfig).
//!
//! The predefined ECS configs carry the `trafficRoutingConfig` their names describe (spec §3.1) and
//! no `minimumHealthyHosts` (unconfirmed for ECS, so left out); the Server ones carry
//! `minimumHealthyHosts`; the Lambda ones their canary or linear routing.

use super::{config_arn, err, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::codedeploy::{self as t, ComputePlatform, MinimumHealthyHostsType, TrafficRoutingType};
use serde_json::json;

/// The time the predefined configs report as their `createTime` (CodeDeploy's launch, 2014-11-12).
const PREDEFINED_CREATE_TIME: f64 = 1_415_750_400.0;

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentConfig {
    pub id: String,
    pub name: String,
    pub compute_platform: ComputePlatform,
    pub create_time: f64,
    pub minimum_healthy_hosts: Option<t::MinimumHealthyHosts>,
    pub traffic_routing_config: Option<t::TrafficRoutingConfig>,
    pub zonal_config: Option<t::ZonalConfig>,
}

impl DeploymentConfig {
    pub fn info(&self) -> t::DeploymentConfigInfo {
        t::DeploymentConfigInfo {
            deployment_config_id: Some(self.id.clone()),
            deployment_config_name: Some(self.name.clone()),
            create_time: Some(self.create_time),
            compute_platform: Some(self.compute_platform.clone()),
            minimum_healthy_hosts: self.minimum_healthy_hosts.clone(),
            traffic_routing_config: self.traffic_routing_config.clone(),
            zonal_config: self.zonal_config.clone(),
        }
    }

    pub fn is_predefined(&self) -> bool {
        self.name.starts_with("CodeDeployDefault.")
    }
}

/// How traffic moves to the replacement during AllowTraffic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Routing {
    AllAtOnce,
    /// `percent` first, the rest `minutes` later.
    Canary {
        percent: i64,
        minutes: i64,
    },
    /// `percent` more every `minutes` until all of it.
    Linear {
        percent: i64,
        minutes: i64,
    },
}

impl Routing {
    pub fn of(config: &DeploymentConfig) -> Routing {
        let Some(t) = &config.traffic_routing_config else {
            return Routing::AllAtOnce;
        };
        let int = |v: Option<i32>| v.map(i64::from).unwrap_or(0);
        let canary = t.time_based_canary.clone().unwrap_or_default();
        let linear = t.time_based_linear.clone().unwrap_or_default();
        match t.r#type {
            Some(TrafficRoutingType::TimeBasedCanary) => Routing::Canary {
                percent: int(canary.canary_percentage),
                minutes: int(canary.canary_interval),
            },
            Some(TrafficRoutingType::TimeBasedLinear) => Routing::Linear {
                percent: int(linear.linear_percentage),
                minutes: int(linear.linear_interval),
            },
            _ => Routing::AllAtOnce,
        }
    }
}

fn predefined_id(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(name.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn canary(percent: i32, minutes: i32) -> t::TrafficRoutingConfig {
    t::TrafficRoutingConfig {
        r#type: Some(TrafficRoutingType::TimeBasedCanary),
        time_based_canary: Some(t::TimeBasedCanary {
            canary_percentage: Some(percent),
            canary_interval: Some(minutes),
        }),
        time_based_linear: None,
    }
}

fn linear(percent: i32, minutes: i32) -> t::TrafficRoutingConfig {
    t::TrafficRoutingConfig {
        r#type: Some(TrafficRoutingType::TimeBasedLinear),
        time_based_linear: Some(t::TimeBasedLinear {
            linear_percentage: Some(percent),
            linear_interval: Some(minutes),
        }),
        time_based_canary: None,
    }
}

fn all_at_once() -> t::TrafficRoutingConfig {
    t::TrafficRoutingConfig {
        r#type: Some(TrafficRoutingType::AllAtOnce),
        ..Default::default()
    }
}

fn hosts(kind: MinimumHealthyHostsType, value: i32) -> Option<t::MinimumHealthyHosts> {
    Some(t::MinimumHealthyHosts {
        r#type: Some(kind),
        value: Some(value),
    })
}

/// Every predefined deployment configuration.
pub fn predefined() -> Vec<DeploymentConfig> {
    let mk = |name: &str, platform: &str, mhh: Option<t::MinimumHealthyHosts>, trc: Option<t::TrafficRoutingConfig>| {
        DeploymentConfig {
            id: predefined_id(name),
            name: name.to_owned(),
            compute_platform: ComputePlatform::from(platform),
            create_time: PREDEFINED_CREATE_TIME,
            minimum_healthy_hosts: mhh,
            traffic_routing_config: trc,
            zonal_config: None,
        }
    };
    vec![
        mk(
            "CodeDeployDefault.OneAtATime",
            "Server",
            hosts(MinimumHealthyHostsType::HostCount, 1),
            None,
        ),
        mk(
            "CodeDeployDefault.HalfAtATime",
            "Server",
            hosts(MinimumHealthyHostsType::FleetPercent, 50),
            None,
        ),
        mk(
            "CodeDeployDefault.AllAtOnce",
            "Server",
            hosts(MinimumHealthyHostsType::HostCount, 0),
            None,
        ),
        mk("CodeDeployDefault.LambdaAllAtOnce", "Lambda", None, Some(all_at_once())),
        mk(
            "CodeDeployDefault.LambdaCanary10Percent5Minutes",
            "Lambda",
            None,
            Some(canary(10, 5)),
        ),
        mk(
            "CodeDeployDefault.LambdaCanary10Percent10Minutes",
            "Lambda",
            None,
            Some(canary(10, 10)),
        ),
        mk(
            "CodeDeployDefault.LambdaCanary10Percent15Minutes",
            "Lambda",
            None,
            Some(canary(10, 15)),
        ),
        mk(
            "CodeDeployDefault.LambdaCanary10Percent30Minutes",
            "Lambda",
            None,
            Some(canary(10, 30)),
        ),
        mk(
            "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
            "Lambda",
            None,
            Some(linear(10, 1)),
        ),
        mk(
            "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
            "Lambda",
            None,
            Some(linear(10, 2)),
        ),
        mk(
            "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
            "Lambda",
            None,
            Some(linear(10, 3)),
        ),
        mk(
            "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
            "Lambda",
            None,
            Some(linear(10, 10)),
        ),
        mk("CodeDeployDefault.ECSAllAtOnce", "ECS", None, Some(all_at_once())),
        mk(
            "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
            "ECS",
            None,
            Some(linear(10, 1)),
        ),
        mk(
            "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
            "ECS",
            None,
            Some(linear(10, 3)),
        ),
        mk(
            "CodeDeployDefault.ECSCanary10Percent5Minutes",
            "ECS",
            None,
            Some(canary(10, 5)),
        ),
        mk(
            "CodeDeployDefault.ECSCanary10Percent15Minutes",
            "ECS",
            None,
            Some(canary(10, 15)),
        ),
    ]
}

/// A predefined or custom config by name.
pub fn find(st: &State, name: &str) -> Option<DeploymentConfig> {
    if name.starts_with("CodeDeployDefault.") {
        predefined().into_iter().find(|c| c.name == name)
    } else {
        st.configs.get(name).cloned()
    }
}

pub fn no_config(name: &str) -> AwsError {
    err(
        "DeploymentConfigDoesNotExistException",
        format!("No deployment configuration found for name: {name}"),
    )
}

/// The default config of a compute platform (what a group without `deploymentConfigName` uses).
pub fn default_for(platform: &ComputePlatform) -> &'static str {
    match platform {
        ComputePlatform::Ecs => "CodeDeployDefault.ECSAllAtOnce",
        ComputePlatform::Lambda => "CodeDeployDefault.LambdaAllAtOnce",
        _ => "CodeDeployDefault.OneAtATime",
    }
}

fn config_name(name: &str) -> AwsResult<String> {
    if name.is_empty() {
        return Err(err(
            "DeploymentConfigNameRequiredException",
            "The deployment configuration name was not specified.",
        ));
    }
    if name.chars().count() > 100 {
        return Err(err(
            "InvalidDeploymentConfigNameException",
            "The deployment configuration name must be 1 to 100 characters long.",
        ));
    }
    Ok(name.to_owned())
}

fn invalid_routing(message: &str) -> AwsError {
    err("InvalidTrafficRoutingConfigurationException", message)
}

/// Checks a `trafficRoutingConfig` for the ECS or Lambda platform.
fn check_routing(t: &t::TrafficRoutingConfig) -> AwsResult<()> {
    match t.r#type.clone().unwrap_or(TrafficRoutingType::AllAtOnce) {
        TrafficRoutingType::AllAtOnce => {
            if t.time_based_canary.is_some() || t.time_based_linear.is_some() {
                return Err(invalid_routing(
                    "An AllAtOnce traffic routing config cannot have a timeBasedCanary or timeBasedLinear setting.",
                ));
            }
        }
        TrafficRoutingType::TimeBasedCanary => {
            let c = t.time_based_canary.clone().unwrap_or_default();
            let (Some(p), Some(i)) = (c.canary_percentage, c.canary_interval) else {
                return Err(invalid_routing(
                    "A TimeBasedCanary traffic routing config needs timeBasedCanary with canaryPercentage and canaryInterval.",
                ));
            };
            if !(1..=99).contains(&p) || i < 1 {
                return Err(invalid_routing(
                    "canaryPercentage must be between 1 and 99 and canaryInterval at least 1 minute.",
                ));
            }
        }
        TrafficRoutingType::TimeBasedLinear => {
            let l = t.time_based_linear.clone().unwrap_or_default();
            let (Some(p), Some(i)) = (l.linear_percentage, l.linear_interval) else {
                return Err(invalid_routing(
                    "A TimeBasedLinear traffic routing config needs timeBasedLinear with linearPercentage and linearInterval.",
                ));
            };
            if !(1..=99).contains(&p) || i < 1 {
                return Err(invalid_routing(
                    "linearPercentage must be between 1 and 99 and linearInterval at least 1 minute.",
                ));
            }
        }
        TrafficRoutingType::Unknown(other) => {
            return Err(invalid_routing(&format!("Unknown traffic routing type: {other}")))
        }
    }
    Ok(())
}

pub fn create_deployment_config(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::CreateDeploymentConfigInput,
) -> AwsResult<t::CreateDeploymentConfigOutput> {
    let name = config_name(&input.deployment_config_name)?;
    if name.starts_with("CodeDeployDefault.") {
        return Err(err(
            "InvalidDeploymentConfigNameException",
            "The deployment configuration name cannot start with CodeDeployDefault.",
        ));
    }
    let platform = input.compute_platform.unwrap_or(ComputePlatform::Server);
    let mhh = input.minimum_healthy_hosts;
    let trc = input.traffic_routing_config;
    match &platform {
        ComputePlatform::Server => {
            let Some(m) = &mhh else {
                return Err(err(
                    "InvalidMinimumHealthyHostValueException",
                    "The minimum healthy hosts must be specified for the Server compute platform.",
                ));
            };
            let v = m.value.unwrap_or(-1);
            let ok = match m.r#type {
                Some(MinimumHealthyHostsType::HostCount) => v >= 0,
                Some(MinimumHealthyHostsType::FleetPercent) => (0..=99).contains(&v),
                _ => false,
            };
            if !ok {
                return Err(err(
                    "InvalidMinimumHealthyHostValueException",
                    "The minimum healthy instance value was specified in an invalid format.",
                ));
            }
            if trc
                .as_ref()
                .is_some_and(|t| t.r#type.as_ref().is_some_and(|x| *x != TrafficRoutingType::AllAtOnce))
            {
                return Err(invalid_routing(
                    "Traffic routing for the Server compute platform must be AllAtOnce.",
                ));
            }
        }
        ComputePlatform::Ecs | ComputePlatform::Lambda => {
            if mhh.is_some() {
                return Err(err(
                    "InvalidMinimumHealthyHostValueException",
                    format!("minimumHealthyHosts cannot be specified for the {platform} compute platform."),
                ));
            }
            if let Some(t) = &trc {
                check_routing(t)?;
            }
        }
        ComputePlatform::Unknown(other) => {
            return Err(err(
                "InvalidComputePlatformException",
                format!("The computePlatform is invalid: {other}"),
            ))
        }
    }
    let now = env.now_secs();
    let id = env.ids.uuid();
    if st.configs.contains_key(&name) {
        return Err(err(
            "DeploymentConfigAlreadyExistsException",
            format!("A deployment configuration with the name {name} already exists."),
        ));
    }
    let trc = match (&platform, trc) {
        (ComputePlatform::Server, None) => None,
        (_, None) => Some(all_at_once()),
        (_, Some(t)) => Some(t),
    };
    st.configs.insert(
        name.clone(),
        DeploymentConfig {
            id: id.clone(),
            name: name.clone(),
            compute_platform: platform,
            create_time: now,
            minimum_healthy_hosts: mhh,
            traffic_routing_config: trc,
            zonal_config: input.zonal_config,
        },
    );
    env.record(crate::timeline::Entry::resource(
        "codedeploy",
        format!("deployment config {name} created"),
        json!({"deploymentConfigId": id}),
    ));
    Ok(t::CreateDeploymentConfigOutput {
        deployment_config_id: Some(id),
    })
}

pub fn get_deployment_config(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetDeploymentConfigInput,
) -> AwsResult<t::GetDeploymentConfigOutput> {
    let name = config_name(&input.deployment_config_name)?;
    let c = find(st, &name).ok_or_else(|| no_config(&name))?;
    Ok(t::GetDeploymentConfigOutput {
        deployment_config_info: Some(c.info()),
    })
}

pub fn list_deployment_configs(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListDeploymentConfigsInput,
) -> AwsResult<t::ListDeploymentConfigsOutput> {
    let mut names: Vec<String> = predefined().into_iter().map(|c| c.name).collect();
    names.extend(st.configs.keys().cloned());
    names.sort();
    let (page, next) = paginate(&names, input.next_token.as_deref(), 100, "InvalidNextTokenException")?;
    Ok(t::ListDeploymentConfigsOutput {
        deployment_configs_list: Some(page),
        next_token: next,
    })
}

pub fn delete_deployment_config(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DeleteDeploymentConfigInput,
) -> AwsResult<()> {
    let key = ctx.partition();
    let name = config_name(&input.deployment_config_name)?;
    if name.starts_with("CodeDeployDefault.") {
        return Err(err(
            "InvalidOperationException",
            "The default deployment configurations cannot be deleted.",
        ));
    }
    if st.groups.values().any(|g| g.deployment_config_name == name) {
        return Err(err(
            "DeploymentConfigInUseException",
            format!("The deployment configuration {name} is in use by a deployment group."),
        ));
    }
    if st.configs.remove(&name).is_some() {
        st.tags.remove(&config_arn(&key, &name));
    }
    Ok(())
}
