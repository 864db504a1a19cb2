//! The AppSpec of an ECS deployment (spec §1.2): JSON or YAML, keys matched case-insensitively
//! (the lab writes `awsvpcConfiguration`/`subnets`, the docs `AwsvpcConfiguration`/`Subnets`).
//!
//! Where each check fails (a design choice; AWS documents none of it):
//! * **At CreateDeployment, `InvalidRevisionException`**: content that is neither JSON nor YAML, no
//!   `Resources` list, not exactly one resource, a resource whose `Type` is not
//!   `AWS::ECS::Service`, a missing `TaskDefinition`, `LoadBalancerInfo.ContainerName` or
//!   `ContainerPort` (or a port that is not a number), a `NetworkConfiguration` without its
//!   `AwsvpcConfiguration`, `Hooks` that are not a list of single-key maps, a hook on an event
//!   that takes none (`Install`, `AllowTestTraffic`, `AllowTraffic`) or on an unknown event, the
//!   same event hooked twice, and an `appSpecContent.sha256` that does not match the content.
//!   These are facts of the file itself, so the caller hears about them at once.
//! * **As a deployment failure during `Install`, errorInformation `ECS_UPDATE_ERROR`**: a task
//!   definition that does not exist (or is INACTIVE), a container that is not in it, a container
//!   port it does not map. That is where AWS meets them: CodeDeploy's CreateTaskSet call fails, and
//!   the task definition may legitimately be registered between CreateDeployment and Install.
//! * **As a failure of the hook's lifecycle event, errorInformation `HOOK_EXECUTION_FAILURE`**: a hook
//!   naming a Lambda function that does not exist when its event starts (a function may be
//!   created after the deployment). The event's diagnostics carry `UnknownError` and the reason.

use super::record::LifecycleEventName;
use serde::Serialize;
use serde_json::Value;

/// The five events that take a Lambda hook.
pub const HOOKABLE: [LifecycleEventName; 5] = [
    LifecycleEventName::BeforeInstall,
    LifecycleEventName::AfterInstall,
    LifecycleEventName::AfterAllowTestTraffic,
    LifecycleEventName::BeforeAllowTraffic,
    LifecycleEventName::AfterAllowTraffic,
];
const NOT_HOOKABLE: [LifecycleEventName; 3] = [
    LifecycleEventName::Install,
    LifecycleEventName::AllowTestTraffic,
    LifecycleEventName::AllowTraffic,
];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppSpec {
    pub task_definition: String,
    pub container_name: String,
    pub container_port: i64,
    pub platform_version: Option<String>,
    pub network_configuration: Option<NetworkConfiguration>,
    pub capacity_provider_strategy: Vec<CapacityProvider>,
    /// Each hooked lifecycle event with its function's name or ARN.
    pub hooks: Vec<(LifecycleEventName, String)>,
}

impl AppSpec {
    /// The function hooked on `event`.
    pub fn hook(&self, event: LifecycleEventName) -> Option<&str> {
        self.hooks.iter().find(|(e, _)| *e == event).map(|(_, f)| f.as_str())
    }
}

/// `NetworkConfiguration` of the AppSpec, serialized as ECS names it
/// (`{"awsvpcConfiguration": {"subnets", "securityGroups", "assignPublicIp"}}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct NetworkConfiguration {
    #[serde(rename = "awsvpcConfiguration")]
    pub awsvpc_configuration: AwsvpcConfiguration,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct AwsvpcConfiguration {
    pub subnets: Vec<String>,
    #[serde(rename = "securityGroups", skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    #[serde(rename = "assignPublicIp", skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<String>,
}

/// One entry of the AppSpec's `CapacityProviderStrategy`, serialized as ECS names it
/// (`{"capacityProvider", "base", "weight"}`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CapacityProvider {
    #[serde(rename = "capacityProvider", skip_serializing_if = "Option::is_none")]
    pub capacity_provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

/// The member of an object whose key matches `name` ignoring case.
pub fn get_ci<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn str_ci(v: &Value, name: &str) -> Option<String> {
    match get_ci(v, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses the text as JSON, or else as YAML.
pub fn parse_document(content: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(content) {
        return Ok(v);
    }
    serde_yaml_ng::from_str::<Value>(content)
        .map_err(|e| format!("The AppSpec file is neither valid JSON nor valid YAML: {e}"))
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Parses and checks an ECS AppSpec. The error is the message of `InvalidRevisionException`.
pub fn parse(content: &str) -> Result<AppSpec, String> {
    let doc = parse_document(content)?;
    if !doc.is_object() {
        return Err("The AppSpec file must be a JSON or YAML object.".into());
    }
    let resources = get_ci(&doc, "Resources")
        .and_then(Value::as_array)
        .ok_or("The AppSpec file must have a Resources list.")?;
    if resources.len() != 1 {
        return Err(format!(
            "The AppSpec file of an Amazon ECS deployment must have exactly one resource; it has {}.",
            resources.len()
        ));
    }
    let resource = resources[0]
        .as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.values().next())
        .ok_or("Each resource in the AppSpec file must be a map with one named entry.")?;
    let ty = str_ci(resource, "Type").unwrap_or_default();
    if ty != "AWS::ECS::Service" {
        return Err(format!(
            "The resource type in the AppSpec file must be AWS::ECS::Service, not '{ty}'."
        ));
    }
    let props = get_ci(resource, "Properties")
        .filter(|p| p.is_object())
        .ok_or("The AppSpec resource has no Properties.")?;
    let task_definition = str_ci(props, "TaskDefinition")
        .filter(|s| !s.is_empty())
        .ok_or("The AppSpec file must specify Properties.TaskDefinition.")?;
    let lbi = get_ci(props, "LoadBalancerInfo")
        .filter(|p| p.is_object())
        .ok_or("The AppSpec file must specify Properties.LoadBalancerInfo.")?;
    let container_name = str_ci(lbi, "ContainerName")
        .filter(|s| !s.is_empty())
        .ok_or("The AppSpec file must specify LoadBalancerInfo.ContainerName.")?;
    let container_port = match get_ci(lbi, "ContainerPort") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|p| (1..=65535).contains(p))
    .ok_or("The AppSpec file must specify LoadBalancerInfo.ContainerPort as a port number.")?;
    let platform_version = str_ci(props, "PlatformVersion");
    let network_configuration = match get_ci(props, "NetworkConfiguration") {
        None | Some(Value::Null) => None,
        Some(nc) => {
            let av = get_ci(nc, "AwsvpcConfiguration")
                .filter(|v| v.is_object())
                .ok_or("NetworkConfiguration in the AppSpec file must have an AwsvpcConfiguration.")?;
            Some(NetworkConfiguration {
                awsvpc_configuration: AwsvpcConfiguration {
                    subnets: string_list(get_ci(av, "Subnets")),
                    security_groups: string_list(get_ci(av, "SecurityGroups")),
                    assign_public_ip: str_ci(av, "AssignPublicIp"),
                },
            })
        }
    };
    let capacity_provider_strategy = get_ci(props, "CapacityProviderStrategy")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|item| {
                    let int = |name: &str| {
                        get_ci(item, name).and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                    };
                    CapacityProvider {
                        capacity_provider: str_ci(item, "CapacityProvider"),
                        base: int("Base"),
                        weight: int("Weight"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mut hooks: Vec<(LifecycleEventName, String)> = Vec::new();
    match get_ci(&doc, "Hooks") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for h in list {
                let m = h
                    .as_object()
                    .filter(|m| m.len() == 1)
                    .ok_or("Each entry of Hooks must be a map of one lifecycle event to one function.")?;
                let (event, function) = m.iter().next().ok_or("empty hook")?;
                let canonical = HOOKABLE.into_iter().find(|e| e.as_str().eq_ignore_ascii_case(event));
                let Some(canonical) = canonical else {
                    if NOT_HOOKABLE.iter().any(|e| e.as_str().eq_ignore_ascii_case(event)) {
                        return Err(format!("The lifecycle event {event} cannot have a hook."));
                    }
                    return Err(format!(
                        "The lifecycle event {event} in Hooks is not a valid lifecycle event."
                    ));
                };
                let function = function
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| format!("The hook of {canonical} must name a Lambda function."))?;
                if hooks.iter().any(|(e, _)| *e == canonical) {
                    return Err(format!("The lifecycle event {canonical} has more than one hook."));
                }
                hooks.push((canonical, function.to_owned()));
            }
        }
        Some(_) => return Err("Hooks in the AppSpec file must be a list.".into()),
    }
    Ok(AppSpec {
        task_definition,
        container_name,
        container_port,
        platform_version,
        network_configuration,
        capacity_provider_strategy,
        hooks,
    })
}
