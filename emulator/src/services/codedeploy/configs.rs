//! Deployment configurations: the predefined ones of the three compute platforms and custom ones
//! (CreateDeploymentConfig, GetDeploymentConfig, ListDeploymentConfigs, DeleteDeploymentConfig).
//!
//! The predefined ECS configs carry the `trafficRoutingConfig` their names describe (spec §3.1) and
//! no `minimumHealthyHosts` (unconfirmed for ECS, so left out); the Server ones carry
//! `minimumHealthyHosts`; the Lambda ones their canary or linear routing.

use super::{config_arn, err, State};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, paginate};
use crate::services::Ctx;
use crate::world::World;
use cutover_types::codedeploy::ComputePlatform;
use serde_json::{json, Value};

/// The time the predefined configs report as their `createTime` (CodeDeploy's launch, 2014-11-12).
const PREDEFINED_CREATE_TIME: f64 = 1_415_750_400.0;

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentConfig {
    pub id: String,
    pub name: String,
    pub compute_platform: ComputePlatform,
    pub create_time: f64,
    pub minimum_healthy_hosts: Option<Value>,
    pub traffic_routing_config: Option<Value>,
    pub zonal_config: Option<Value>,
}

impl DeploymentConfig {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "deploymentConfigId": self.id,
            "deploymentConfigName": self.name,
            "createTime": self.create_time,
            "computePlatform": self.compute_platform,
        });
        if let Some(m) = &self.minimum_healthy_hosts {
            v["minimumHealthyHosts"] = m.clone();
        }
        if let Some(t) = &self.traffic_routing_config {
            v["trafficRoutingConfig"] = t.clone();
        }
        if let Some(z) = &self.zonal_config {
            v["zonalConfig"] = z.clone();
        }
        v
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
        let int = |p: &str| t.pointer(p).and_then(Value::as_i64).unwrap_or(0);
        match opt_str(t, "type") {
            Some("TimeBasedCanary") => Routing::Canary {
                percent: int("/timeBasedCanary/canaryPercentage"),
                minutes: int("/timeBasedCanary/canaryInterval"),
            },
            Some("TimeBasedLinear") => Routing::Linear {
                percent: int("/timeBasedLinear/linearPercentage"),
                minutes: int("/timeBasedLinear/linearInterval"),
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

fn canary(percent: i64, minutes: i64) -> Value {
    json!({"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": percent, "canaryInterval": minutes}})
}

fn linear(percent: i64, minutes: i64) -> Value {
    json!({"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": percent, "linearInterval": minutes}})
}

/// Every predefined deployment configuration.
pub fn predefined() -> Vec<DeploymentConfig> {
    let mk = |name: &str, platform: &str, mhh: Option<Value>, trc: Option<Value>| DeploymentConfig {
        id: predefined_id(name),
        name: name.to_owned(),
        compute_platform: ComputePlatform::from(platform),
        create_time: PREDEFINED_CREATE_TIME,
        minimum_healthy_hosts: mhh,
        traffic_routing_config: trc,
        zonal_config: None,
    };
    let all_at_once = || Some(json!({"type": "AllAtOnce"}));
    vec![
        mk(
            "CodeDeployDefault.OneAtATime",
            "Server",
            Some(json!({"type": "HOST_COUNT", "value": 1})),
            None,
        ),
        mk(
            "CodeDeployDefault.HalfAtATime",
            "Server",
            Some(json!({"type": "FLEET_PERCENT", "value": 50})),
            None,
        ),
        mk(
            "CodeDeployDefault.AllAtOnce",
            "Server",
            Some(json!({"type": "HOST_COUNT", "value": 0})),
            None,
        ),
        mk("CodeDeployDefault.LambdaAllAtOnce", "Lambda", None, all_at_once()),
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
        mk("CodeDeployDefault.ECSAllAtOnce", "ECS", None, all_at_once()),
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

fn config_name(input: &Value) -> AwsResult<String> {
    let name = opt_str(input, "deploymentConfigName").unwrap_or("");
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
fn check_routing(t: &Value) -> AwsResult<()> {
    let pos = |p: &str| t.pointer(p).and_then(Value::as_i64);
    match opt_str(t, "type").unwrap_or("AllAtOnce") {
        "AllAtOnce" => {
            if t.get("timeBasedCanary").is_some() || t.get("timeBasedLinear").is_some() {
                return Err(invalid_routing(
                    "An AllAtOnce traffic routing config cannot have a timeBasedCanary or timeBasedLinear setting.",
                ));
            }
        }
        "TimeBasedCanary" => {
            let (Some(p), Some(i)) = (
                pos("/timeBasedCanary/canaryPercentage"),
                pos("/timeBasedCanary/canaryInterval"),
            ) else {
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
        "TimeBasedLinear" => {
            let (Some(p), Some(i)) = (
                pos("/timeBasedLinear/linearPercentage"),
                pos("/timeBasedLinear/linearInterval"),
            ) else {
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
        other => return Err(invalid_routing(&format!("Unknown traffic routing type: {other}"))),
    }
    Ok(())
}

pub fn create_deployment_config(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = config_name(&input)?;
    if name.starts_with("CodeDeployDefault.") {
        return Err(err(
            "InvalidDeploymentConfigNameException",
            "The deployment configuration name cannot start with CodeDeployDefault.",
        ));
    }
    let platform = ComputePlatform::from(opt_str(&input, "computePlatform").unwrap_or("Server"));
    let mhh = input.get("minimumHealthyHosts").cloned();
    let trc = input.get("trafficRoutingConfig").cloned();
    match &platform {
        ComputePlatform::Server => {
            let Some(m) = &mhh else {
                return Err(err(
                    "InvalidMinimumHealthyHostValueException",
                    "The minimum healthy hosts must be specified for the Server compute platform.",
                ));
            };
            let v = m.get("value").and_then(Value::as_i64).unwrap_or(-1);
            let ok = match opt_str(m, "type") {
                Some("HOST_COUNT") => v >= 0,
                Some("FLEET_PERCENT") => (0..=99).contains(&v),
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
                .is_some_and(|t| opt_str(t, "type").unwrap_or("AllAtOnce") != "AllAtOnce")
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
    let now = world.now.as_secs_f64();
    let id = world.ids.uuid();
    let st = &mut world.region_mut(&key).codedeploy;
    if st.configs.contains_key(&name) {
        return Err(err(
            "DeploymentConfigAlreadyExistsException",
            format!("A deployment configuration with the name {name} already exists."),
        ));
    }
    let trc = match (&platform, trc) {
        (ComputePlatform::Server, None) => None,
        (_, None) => Some(json!({"type": "AllAtOnce"})),
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
            zonal_config: input.get("zonalConfig").cloned(),
        },
    );
    world.record(crate::timeline::Entry::resource(
        "codedeploy",
        format!("deployment config {name} created"),
        json!({"deploymentConfigId": id}),
    ));
    Ok(json!({"deploymentConfigId": id}))
}

pub fn get_deployment_config(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = config_name(&input)?;
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    let c = find(st, &name).ok_or_else(|| no_config(&name))?;
    Ok(json!({"deploymentConfigInfo": c.to_json()}))
}

pub fn list_deployment_configs(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    let mut names: Vec<String> = predefined().into_iter().map(|c| c.name).collect();
    names.extend(st.configs.keys().cloned());
    names.sort();
    let (page, next) = paginate(&names, opt_str(&input, "nextToken"), 100, "InvalidNextTokenException")?;
    let mut out = json!({"deploymentConfigsList": page});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

pub fn delete_deployment_config(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = config_name(&input)?;
    if name.starts_with("CodeDeployDefault.") {
        return Err(err(
            "InvalidOperationException",
            "The default deployment configurations cannot be deleted.",
        ));
    }
    let st = &mut world.region_mut(&key).codedeploy;
    if st.groups.values().any(|g| g.deployment_config_name == name) {
        return Err(err(
            "DeploymentConfigInUseException",
            format!("The deployment configuration {name} is in use by a deployment group."),
        ));
    }
    if st.configs.remove(&name).is_some() {
        st.tags.remove(&config_arn(&key, &name));
    }
    Ok(json!({}))
}
