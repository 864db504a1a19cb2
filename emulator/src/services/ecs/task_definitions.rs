//! Task definitions: RegisterTaskDefinition (with ECS's validation), DescribeTaskDefinition,
//! ListTaskDefinitions, ListTaskDefinitionFamilies, DeregisterTaskDefinition, DeleteTaskDefinitions.

use super::{arn, client_error, invalid_parameter, tags, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::paginate;
use crate::services::Ctx;
use crate::sim::SimTime;
use cutover_types::ecs as t;
pub use cutover_types::ecs::TaskDefinitionStatus;
use t::{Compatibility, NetworkMode, TaskDefinitionFamilyStatus};

#[derive(Debug, Clone)]
pub struct TaskDefinition {
    pub family: String,
    pub revision: i64,
    pub arn: String,
    /// ACTIVE, INACTIVE or DELETE_IN_PROGRESS.
    pub status: TaskDefinitionStatus,
    /// The definition as DescribeTaskDefinition returns it (status and times are overlaid).
    pub body: t::TaskDefinition,
    pub registered_at: SimTime,
    pub deregistered_at: Option<SimTime>,
    pub delete_requested_at: Option<SimTime>,
}

impl TaskDefinition {
    /// Whether the definition's network mode is `awsvpc`.
    pub fn awsvpc(&self) -> bool {
        self.body.network_mode == Some(NetworkMode::Awsvpc)
    }

    /// Whether Fargate can run it.
    pub fn fargate_compatible(&self) -> bool {
        self.body
            .compatibilities
            .as_ref()
            .is_some_and(|c| c.contains(&Compatibility::Fargate))
    }

    pub fn containers(&self) -> &[t::ContainerDefinition] {
        self.body.container_definitions.as_deref().unwrap_or(&[])
    }

    pub fn container(&self, name: &str) -> Option<&t::ContainerDefinition> {
        self.containers().iter().find(|c| c.name.as_deref() == Some(name))
    }

    /// Whether container `name` maps `port` (as a containerPort).
    pub fn container_has_port(&self, name: &str, port: i64) -> bool {
        self.container(name)
            .and_then(|c| c.port_mappings.as_ref())
            .is_some_and(|pms| pms.iter().any(|pm| pm.container_port.map(i64::from) == Some(port)))
    }

    /// `family:revision`.
    pub fn family_revision(&self) -> String {
        format!("{}:{}", self.family, self.revision)
    }

    pub fn to_out(&self) -> t::TaskDefinition {
        let mut v = self.body.clone();
        v.status = Some(self.status.clone());
        v.deregistered_at = self.deregistered_at.map(|t| t.as_secs_f64());
        v.delete_requested_at = self.delete_requested_at.map(|t| t.as_secs_f64());
        v
    }
}

/// Finds a task definition by ARN, `family:revision`, or `family` (its latest ACTIVE revision).
pub fn find<'a>(state: &'a State, ident: &str) -> Option<&'a TaskDefinition> {
    let short = if ident.starts_with("arn:") {
        ident.split_once("task-definition/")?.1
    } else {
        ident
    };
    match short.rsplit_once(':') {
        Some((family, rev)) => {
            let rev: i64 = rev.parse().ok()?;
            let revs = state.task_definitions.get(family)?;
            revs.get(usize::try_from(rev - 1).ok()?)
                .filter(|t| t.status != TaskDefinitionStatus::DeleteInProgress)
        }
        None => state
            .task_definitions
            .get(short)?
            .iter()
            .rev()
            .find(|t| t.status == TaskDefinitionStatus::Active),
    }
}

/// The task definition a call names, or ECS's ClientException for it.
pub fn resolve<'a>(state: &'a State, ident: &str) -> AwsResult<&'a TaskDefinition> {
    find(state, ident).ok_or_else(|| client_error("Unable to describe task definition."))
}

/// Valid Fargate task sizes: cpu units → allowed memory MiB.
fn fargate_memory_ok(cpu: i64, mem: i64) -> bool {
    let range = |lo: i64, hi: i64, step: i64| mem >= lo && mem <= hi && (mem - lo) % step == 0;
    match cpu {
        256 => [512, 1024, 2048].contains(&mem),
        512 => range(1024, 4096, 1024),
        1024 => range(2048, 8192, 1024),
        2048 => range(4096, 16384, 1024),
        4096 => range(8192, 30720, 1024),
        8192 => range(16384, 61440, 4096),
        16384 => range(32768, 122880, 8192),
        _ => false,
    }
}

/// Parses ECS cpu text ("1024", "1 vCPU", "0.25 vcpu") into cpu units.
fn parse_cpu(text: &str) -> Option<i64> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(n) = t.strip_suffix("vcpu") {
        let v: f64 = n.trim().parse().ok()?;
        return Some((v * 1024.0).round() as i64);
    }
    t.parse().ok()
}

/// Parses ECS memory text ("2048", "2 GB", "2gb") into MiB.
fn parse_memory(text: &str) -> Option<i64> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(n) = t.strip_suffix("gb") {
        let v: f64 = n.trim().parse().ok()?;
        return Some((v * 1024.0).round() as i64);
    }
    if let Some(n) = t.strip_suffix("mb").or_else(|| t.strip_suffix("mib")) {
        return n.trim().parse().ok();
    }
    t.parse().ok()
}

fn valid_family(f: &str) -> bool {
    !f.is_empty() && f.len() <= 255 && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Normalises one container definition as ECS returns it, checking what ECS checks.
fn container(
    mut c: t::ContainerDefinition,
    network_mode: Option<&NetworkMode>,
    task_memory: Option<i64>,
    fargate: bool,
) -> AwsResult<t::ContainerDefinition> {
    let name = c.name.clone().unwrap_or_default();
    if name.is_empty() {
        return Err(client_error("Container.name should not be null or empty."));
    }
    if name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(client_error(format!(
            "Container.name contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed: '{name}'"
        )));
    }
    if c.image.as_deref().is_none_or(str::is_empty) {
        return Err(client_error("Container.image should not be null or empty."));
    }
    let has_mem = c.memory.is_some() || c.memory_reservation.is_some();
    if task_memory.is_none() && !has_mem && !fargate {
        return Err(client_error(format!(
            "Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified."
        )));
    }
    if let (Some(hard), Some(soft)) = (c.memory, c.memory_reservation) {
        if soft > hard {
            return Err(client_error(format!(
                "Invalid setting for container '{name}'. The 'memoryReservation' must be less than or equal to 'memory'."
            )));
        }
    }
    let same_ports = matches!(network_mode, Some(NetworkMode::Awsvpc | NetworkMode::Host));
    let mut mappings = Vec::new();
    for mut pm in c.port_mappings.take().unwrap_or_default() {
        if let Some(cp) = pm.container_port {
            if !(1..=65535).contains(&cp) {
                return Err(client_error(format!(
                    "Invalid container port {cp}: ports must be between 1 and 65535."
                )));
            }
        }
        match (pm.container_port, pm.host_port) {
            (Some(cp), Some(hp)) if same_ports && hp != cp => {
                let mode = network_mode.map(NetworkMode::as_str).unwrap_or_default();
                return Err(client_error(format!(
                    "When networkMode={mode}, the host ports and container ports in port mappings must match."
                )));
            }
            (Some(cp), None) if same_ports => pm.host_port = Some(cp),
            _ => {}
        }
        pm.protocol.get_or_insert(t::TransportProtocol::Tcp);
        mappings.push(pm);
    }
    c.port_mappings = Some(mappings);
    c.cpu.get_or_insert(0);
    c.essential.get_or_insert(true);
    c.environment.get_or_insert_with(Vec::new);
    c.mount_points.get_or_insert_with(Vec::new);
    c.volumes_from.get_or_insert_with(Vec::new);
    Ok(c)
}

pub fn register_task_definition(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::RegisterTaskDefinitionRequest,
) -> AwsResult<t::RegisterTaskDefinitionResponse> {
    let now = env.now;
    let family = input.family.clone();
    if !valid_family(&family) {
        return Err(client_error(
            "Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.",
        ));
    }
    let requires = input.requires_compatibilities.clone().unwrap_or_default();
    let fargate = requires.contains(&Compatibility::Fargate);
    let network_mode = input.network_mode.clone().or((!fargate).then_some(NetworkMode::Bridge));
    if fargate && network_mode != Some(NetworkMode::Awsvpc) {
        return Err(client_error(
            "Fargate only supports network mode \u{2018}awsvpc\u{2019}.",
        ));
    }
    let cpu = match &input.cpu {
        Some(t) => Some(parse_cpu(t).ok_or_else(|| client_error(format!("Invalid 'cpu' setting for task: {t}")))?),
        None => None,
    };
    let memory = match &input.memory {
        Some(t) => {
            Some(parse_memory(t).ok_or_else(|| client_error(format!("Invalid 'memory' setting for task: {t}")))?)
        }
        None => None,
    };
    if fargate {
        let Some(cpu) = cpu else {
            return Err(client_error(
                "Fargate requires that 'cpu' be defined at the task level.",
            ));
        };
        let Some(mem) = memory else {
            return Err(client_error(
                "Fargate requires that 'memory' be defined at the task level.",
            ));
        };
        if !fargate_memory_ok(cpu, mem) {
            return Err(client_error(format!(
                "No Fargate configuration exists for given values: {cpu} CPU, {mem} memory."
            )));
        }
    }
    if input.container_definitions.is_empty() {
        return Err(client_error("Container list cannot be empty."));
    }
    let mut containers: Vec<t::ContainerDefinition> = Vec::with_capacity(input.container_definitions.len());
    for c in input.container_definitions {
        let c = container(c, network_mode.as_ref(), memory, fargate)?;
        if containers.iter().any(|o| o.name == c.name) {
            return Err(client_error(format!(
                "Duplicate container name: {}",
                c.name.unwrap_or_default()
            )));
        }
        containers.push(c);
    }
    if !containers.iter().any(|c| c.essential == Some(true)) {
        return Err(client_error(
            "A task definition must have at least one essential container.",
        ));
    }
    let awslogs = containers.iter().any(|c| {
        c.log_configuration
            .as_ref()
            .is_some_and(|l| l.log_driver == t::LogDriver::Awslogs)
    });
    if awslogs && fargate && input.execution_role_arn.is_none() {
        return Err(client_error(
            "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
        ));
    }
    let revision = st.task_definitions.get(&family).map_or(0, Vec::len) as i64 + 1;
    let td_arn = arn(
        &ctx.region,
        &ctx.account,
        &format!("task-definition/{family}:{revision}"),
    );
    let awsvpc = network_mode == Some(NetworkMode::Awsvpc);
    let mut compat = vec![Compatibility::Ec2];
    if awsvpc {
        compat.push(Compatibility::Fargate);
    }
    let attribute = |name: &str| t::Attribute {
        name: name.into(),
        ..Default::default()
    };
    let mut requires_attributes = vec![attribute("com.amazonaws.ecs.capability.docker-remote-api.1.18")];
    if awsvpc {
        requires_attributes.push(attribute("ecs.capability.task-eni"));
    }
    let body = t::TaskDefinition {
        task_definition_arn: Some(td_arn.clone()),
        container_definitions: Some(containers),
        family: Some(family.clone()),
        task_role_arn: input.task_role_arn,
        execution_role_arn: input.execution_role_arn,
        network_mode,
        revision: Some(revision as i32),
        volumes: Some(input.volumes.unwrap_or_default()),
        requires_attributes: Some(requires_attributes),
        placement_constraints: Some(input.placement_constraints.unwrap_or_default()),
        compatibilities: Some(compat),
        runtime_platform: input.runtime_platform,
        requires_compatibilities: (!requires.is_empty()).then_some(requires),
        cpu: cpu.map(|c| c.to_string()),
        memory: memory.map(|m| m.to_string()),
        pid_mode: input.pid_mode,
        ipc_mode: input.ipc_mode,
        proxy_configuration: input.proxy_configuration,
        ephemeral_storage: input.ephemeral_storage,
        enable_fault_injection: input.enable_fault_injection,
        registered_at: Some(now.as_secs_f64()),
        registered_by: Some(ctx.caller.arn.clone()),
        ..Default::default()
    };
    tags::add_tags(st, &td_arn, input.tags.as_deref())?;
    let td = TaskDefinition {
        family: family.clone(),
        revision,
        arn: td_arn.clone(),
        status: TaskDefinitionStatus::Active,
        body,
        registered_at: now,
        deregistered_at: None,
        delete_requested_at: None,
    };
    let out = td.to_out();
    st.task_definitions.entry(family.clone()).or_default().push(td);
    let tags_out = tags::tags_of(st, &td_arn);
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("task definition {family}:{revision} registered"),
        serde_json::Value::Null,
    ));
    Ok(t::RegisterTaskDefinitionResponse {
        task_definition: Some(out),
        tags: Some(tags_out),
    })
}

pub fn describe_task_definition(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeTaskDefinitionRequest,
) -> AwsResult<t::DescribeTaskDefinitionResponse> {
    let td = resolve(st, &input.task_definition)?;
    let with_tags = input.include.is_some_and(|i| i.contains(&t::TaskDefinitionField::Tags));
    Ok(t::DescribeTaskDefinitionResponse {
        task_definition: Some(td.to_out()),
        tags: with_tags.then(|| tags::tags_of(st, &td.arn)),
    })
}

pub fn list_task_definitions(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListTaskDefinitionsRequest,
) -> AwsResult<t::ListTaskDefinitionsResponse> {
    let family = input.family_prefix.as_deref();
    let status = input.status.unwrap_or(TaskDefinitionStatus::Active);
    let desc = input.sort == Some(t::SortOrder::Desc);
    let max = input.max_results.unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let mut arns: Vec<String> = st
        .task_definitions
        .iter()
        .filter(|(f, _)| family.is_none_or(|want| *f == want))
        .flat_map(|(_, revs)| revs.iter())
        .filter(|t| t.status == status)
        .map(|t| t.arn.clone())
        .collect();
    if desc {
        arns.reverse();
    }
    let (page, next) = paginate(
        &arns,
        input.next_token.as_deref(),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(t::ListTaskDefinitionsResponse {
        task_definition_arns: Some(page),
        next_token: next,
    })
}

pub fn list_task_definition_families(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListTaskDefinitionFamiliesRequest,
) -> AwsResult<t::ListTaskDefinitionFamiliesResponse> {
    let prefix = input.family_prefix.as_deref().unwrap_or("");
    let status = input.status.unwrap_or(TaskDefinitionFamilyStatus::Active);
    let max = input.max_results.unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let families: Vec<String> = st
        .task_definitions
        .iter()
        .filter(|(f, _)| f.starts_with(prefix))
        .filter(|(_, revs)| {
            let any_active = revs.iter().any(|t| t.status == TaskDefinitionStatus::Active);
            match status {
                TaskDefinitionFamilyStatus::Active => any_active,
                TaskDefinitionFamilyStatus::Inactive => {
                    !any_active && revs.iter().any(|t| t.status == TaskDefinitionStatus::Inactive)
                }
                _ => true,
            }
        })
        .map(|(f, _)| f.clone())
        .collect();
    let (page, next) = paginate(
        &families,
        input.next_token.as_deref(),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(t::ListTaskDefinitionFamiliesResponse {
        families: Some(page),
        next_token: next,
    })
}

fn revision_mut<'a>(state: &'a mut State, ident: &str) -> Option<&'a mut TaskDefinition> {
    let arn = find(state, ident).filter(|_| ident.contains(':'))?.arn.clone();
    state
        .task_definitions
        .values_mut()
        .flat_map(|v| v.iter_mut())
        .find(|t| t.arn == arn)
}

pub fn deregister_task_definition(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeregisterTaskDefinitionRequest,
) -> AwsResult<t::DeregisterTaskDefinitionResponse> {
    let now = env.now;
    let ident = input.task_definition;
    if !ident.contains(':') {
        return Err(client_error(
            "Revision must be specified for task definition deregistration.",
        ));
    }
    let td = revision_mut(st, &ident).ok_or_else(|| client_error("The specified task definition does not exist."))?;
    if td.status == TaskDefinitionStatus::Active {
        td.status = TaskDefinitionStatus::Inactive;
        td.deregistered_at = Some(now);
    }
    let out = td.to_out();
    let name = td.family_revision();
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("task definition {name} deregistered"),
        serde_json::Value::Null,
    ));
    Ok(t::DeregisterTaskDefinitionResponse {
        task_definition: Some(out),
    })
}

pub fn delete_task_definitions(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteTaskDefinitionsRequest,
) -> AwsResult<t::DeleteTaskDefinitionsResponse> {
    let now = env.now;
    let idents = input.task_definitions;
    if idents.is_empty() || idents.len() > 10 {
        return Err(invalid_parameter(
            "taskDefinitions must contain between 1 and 10 task definitions.",
        ));
    }
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    let failure = |arn: String, reason: &str| t::Failure {
        arn: Some(arn),
        reason: Some(reason.into()),
        detail: None,
    };
    for ident in idents {
        match revision_mut(st, &ident) {
            None => failures.push(failure(ident, "The specified task definition does not exist.")),
            Some(td) if td.status == TaskDefinitionStatus::Active => failures.push(failure(
                td.arn.clone(),
                "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
            )),
            Some(td) => {
                td.status = TaskDefinitionStatus::DeleteInProgress;
                td.delete_requested_at = Some(now);
                deleted.push(td.to_out());
            }
        }
    }
    Ok(t::DeleteTaskDefinitionsResponse {
        task_definitions: Some(deleted),
        failures: Some(failures),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::testing::call;
    use crate::model::Service;
    use crate::world::World;
    use serde_json::{json, Value};

    fn setup() -> (World, Ctx) {
        (
            crate::lifecycle::new_world(SimTime(1_700_000_000_000)),
            Ctx::internal(Service::Ecs, "000000000000", "us-east-1"),
        )
    }

    fn lab_def() -> Value {
        json!({
            "family": "threads-task-def",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "threads-cntr", "image": "threads:0.1", "portMappings": [{"containerPort": 3000}]}]
        })
    }

    #[test]
    fn registers_revisions_with_defaults() {
        let (mut w, ctx) = setup();
        let out = call(&mut w, &ctx, "RegisterTaskDefinition", lab_def()).unwrap();
        let td = &out["taskDefinition"];
        assert_eq!(
            td["taskDefinitionArn"],
            "arn:aws:ecs:us-east-1:000000000000:task-definition/threads-task-def:1"
        );
        assert_eq!(td["revision"], 1);
        assert_eq!(td["status"], "ACTIVE");
        assert_eq!(
            td["containerDefinitions"][0]["portMappings"][0],
            json!({"containerPort": 3000, "hostPort": 3000, "protocol": "tcp"})
        );
        assert_eq!(td["containerDefinitions"][0]["essential"], true);
        assert_eq!(td["compatibilities"], json!(["EC2", "FARGATE"]));
        let out = call(&mut w, &ctx, "RegisterTaskDefinition", lab_def()).unwrap();
        assert_eq!(out["taskDefinition"]["revision"], 2);
        let d = call(
            &mut w,
            &ctx,
            "DescribeTaskDefinition",
            json!({"taskDefinition": "threads-task-def"}),
        )
        .unwrap();
        assert_eq!(d["taskDefinition"]["revision"], 2);
        let d = call(
            &mut w,
            &ctx,
            "DescribeTaskDefinition",
            json!({"taskDefinition": "threads-task-def:1"}),
        )
        .unwrap();
        assert_eq!(d["taskDefinition"]["revision"], 1);
        let e = call(
            &mut w,
            &ctx,
            "DescribeTaskDefinition",
            json!({"taskDefinition": "nope:1"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("ClientException", "Unable to describe task definition.")
        );
    }

    #[test]
    fn fargate_rules() {
        let (mut w, ctx) = setup();
        let mut d = lab_def();
        d["networkMode"] = json!("bridge");
        assert!(call(&mut w, &ctx, "RegisterTaskDefinition", d)
            .unwrap_err()
            .message
            .contains("awsvpc"));
        let mut d = lab_def();
        d["memory"] = json!("4096");
        assert_eq!(
            call(&mut w, &ctx, "RegisterTaskDefinition", d).unwrap_err().message,
            "No Fargate configuration exists for given values: 256 CPU, 4096 memory."
        );
        let mut d = lab_def();
        d["cpu"] = json!("1 vCPU");
        d["memory"] = json!("2 GB");
        let out = call(&mut w, &ctx, "RegisterTaskDefinition", d).unwrap();
        assert_eq!(
            (
                out["taskDefinition"]["cpu"].clone(),
                out["taskDefinition"]["memory"].clone()
            ),
            (json!("1024"), json!("2048"))
        );
        let mut d = lab_def();
        d["containerDefinitions"][0]["portMappings"][0]["hostPort"] = json!(80);
        assert!(call(&mut w, &ctx, "RegisterTaskDefinition", d)
            .unwrap_err()
            .message
            .contains("must match"));
        let mut d = lab_def();
        d["containerDefinitions"][0]["essential"] = json!(false);
        assert!(call(&mut w, &ctx, "RegisterTaskDefinition", d)
            .unwrap_err()
            .message
            .contains("essential"));
    }

    #[test]
    fn deregister_list_and_delete() {
        let (mut w, ctx) = setup();
        call(&mut w, &ctx, "RegisterTaskDefinition", lab_def()).unwrap();
        call(&mut w, &ctx, "RegisterTaskDefinition", lab_def()).unwrap();
        call(
            &mut w,
            &ctx,
            "DeregisterTaskDefinition",
            json!({"taskDefinition": "threads-task-def:1"}),
        )
        .unwrap();
        let l = call(&mut w, &ctx, "ListTaskDefinitions", json!({})).unwrap();
        assert_eq!(l["taskDefinitionArns"].as_array().unwrap().len(), 1);
        let l = call(&mut w, &ctx, "ListTaskDefinitions", json!({"status": "INACTIVE"})).unwrap();
        assert!(l["taskDefinitionArns"][0].as_str().unwrap().ends_with(":1"));
        let f = call(
            &mut w,
            &ctx,
            "ListTaskDefinitionFamilies",
            json!({"familyPrefix": "threads"}),
        )
        .unwrap();
        assert_eq!(f["families"], json!(["threads-task-def"]));
        let d = call(
            &mut w,
            &ctx,
            "DeleteTaskDefinitions",
            json!({"taskDefinitions": ["threads-task-def:1", "threads-task-def:2"]}),
        )
        .unwrap();
        assert_eq!(d["taskDefinitions"].as_array().unwrap().len(), 1);
        assert_eq!(d["taskDefinitions"][0]["status"], "DELETE_IN_PROGRESS");
        assert!(d["failures"][0]["reason"].as_str().unwrap().contains("ACTIVE"));
    }
}
