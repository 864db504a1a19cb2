//! Task definitions: RegisterTaskDefinition (with ECS's validation), DescribeTaskDefinition,
//! ListTaskDefinitions, ListTaskDefinitionFamilies, DeregisterTaskDefinition, DeleteTaskDefinitions.

use super::{arn, client_error, invalid_parameter, tags, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::{obj, opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::sim::SimTime;
use cutover_types::ecs::TaskDefinitionFamilyStatus;
pub use cutover_types::ecs::TaskDefinitionStatus;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone)]
pub struct TaskDefinition {
    pub family: String,
    pub revision: i64,
    pub arn: String,
    /// ACTIVE, INACTIVE or DELETE_IN_PROGRESS.
    pub status: TaskDefinitionStatus,
    /// The definition as DescribeTaskDefinition returns it (status and times are overlaid).
    pub body: Value,
    pub registered_at: SimTime,
    pub deregistered_at: Option<SimTime>,
    pub delete_requested_at: Option<SimTime>,
}

impl TaskDefinition {
    pub fn network_mode(&self) -> &str {
        self.body.get("networkMode").and_then(Value::as_str).unwrap_or("bridge")
    }

    pub fn containers(&self) -> &[Value] {
        self.body
            .get("containerDefinitions")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn container(&self, name: &str) -> Option<&Value> {
        self.containers()
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
    }

    /// Whether container `name` maps `port` (as a containerPort).
    pub fn container_has_port(&self, name: &str, port: i64) -> bool {
        self.container(name)
            .and_then(|c| c.get("portMappings"))
            .and_then(Value::as_array)
            .is_some_and(|pms| {
                pms.iter()
                    .any(|pm| pm.get("containerPort").and_then(Value::as_i64) == Some(port))
            })
    }

    /// The first image of the definition's essential containers (for the data plane's stand-in).
    pub fn family_revision(&self) -> String {
        format!("{}:{}", self.family, self.revision)
    }

    pub fn to_json(&self) -> Value {
        let mut v = self.body.clone();
        if let Some(m) = v.as_object_mut() {
            m.insert("status".into(), json!(self.status));
            if let Some(t) = self.deregistered_at {
                m.insert("deregisteredAt".into(), json!(t.as_secs_f64()));
            }
            if let Some(t) = self.delete_requested_at {
                m.insert("deleteRequestedAt".into(), json!(t.as_secs_f64()));
            }
        }
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
fn container(c: &Value, network_mode: &str, task_memory: Option<i64>, fargate: bool) -> AwsResult<Value> {
    let mut m: Map<String, Value> = c.as_object().cloned().unwrap_or_default();
    let name = m.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
    if name.is_empty() {
        return Err(client_error("Container.name should not be null or empty."));
    }
    if name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(client_error(format!(
            "Container.name contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed: '{name}'"
        )));
    }
    if m.get("image").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(client_error("Container.image should not be null or empty."));
    }
    let has_mem = m.get("memory").is_some() || m.get("memoryReservation").is_some();
    if task_memory.is_none() && !has_mem && !fargate {
        return Err(client_error(format!(
            "Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified."
        )));
    }
    if let (Some(hard), Some(soft)) = (
        m.get("memory").and_then(Value::as_i64),
        m.get("memoryReservation").and_then(Value::as_i64),
    ) {
        if soft > hard {
            return Err(client_error(format!(
                "Invalid setting for container '{name}'. The 'memoryReservation' must be less than or equal to 'memory'."
            )));
        }
    }
    let mut mappings = Vec::new();
    for pm in m
        .get("portMappings")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let mut pm: Map<String, Value> = pm.as_object().cloned().unwrap_or_default();
        let cp = pm.get("containerPort").and_then(Value::as_i64);
        if let Some(cp) = cp {
            if !(1..=65535).contains(&cp) {
                return Err(client_error(format!(
                    "Invalid container port {cp}: ports must be between 1 and 65535."
                )));
            }
        }
        let hp = pm.get("hostPort").and_then(Value::as_i64);
        match (network_mode, cp, hp) {
            ("awsvpc" | "host", Some(cp), Some(hp)) if hp != cp => {
                return Err(client_error(format!(
                    "When networkMode={network_mode}, the host ports and container ports in port mappings must match."
                )));
            }
            ("awsvpc" | "host", Some(cp), None) => {
                pm.insert("hostPort".into(), json!(cp));
            }
            _ => {}
        }
        pm.entry("protocol").or_insert(json!("tcp"));
        mappings.push(Value::Object(pm));
    }
    m.insert("portMappings".into(), Value::Array(mappings));
    m.entry("cpu").or_insert(json!(0));
    m.entry("essential").or_insert(json!(true));
    for list in ["environment", "mountPoints", "volumesFrom"] {
        m.entry(list).or_insert(json!([]));
    }
    Ok(Value::Object(m))
}

pub fn register_task_definition(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let now = env.now;
    let family = opt_str(&input, "family").unwrap_or_default().to_owned();
    if !valid_family(&family) {
        return Err(client_error(
            "Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.",
        ));
    }
    let requires = str_list(&input, "requiresCompatibilities");
    let fargate = requires.iter().any(|r| r == "FARGATE");
    let network_mode = opt_str(&input, "networkMode")
        .unwrap_or(if fargate { "" } else { "bridge" })
        .to_owned();
    if fargate && network_mode != "awsvpc" {
        return Err(client_error(
            "Fargate only supports network mode \u{2018}awsvpc\u{2019}.",
        ));
    }
    let cpu = match opt_str(&input, "cpu") {
        Some(t) => Some(parse_cpu(t).ok_or_else(|| client_error(format!("Invalid 'cpu' setting for task: {t}")))?),
        None => None,
    };
    let memory = match opt_str(&input, "memory") {
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
    let defs = input
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if defs.is_empty() {
        return Err(client_error("Container list cannot be empty."));
    }
    let mut containers = Vec::with_capacity(defs.len());
    for c in &defs {
        let c = container(c, &network_mode, memory, fargate)?;
        let name = c.get("name").cloned();
        if containers.iter().any(|o: &Value| o.get("name") == name.as_ref()) {
            return Err(client_error(format!(
                "Duplicate container name: {}",
                name.and_then(|n| n.as_str().map(str::to_owned)).unwrap_or_default()
            )));
        }
        containers.push(c);
    }
    if !containers
        .iter()
        .any(|c| c.get("essential").and_then(Value::as_bool) == Some(true))
    {
        return Err(client_error(
            "A task definition must have at least one essential container.",
        ));
    }
    if let Some(awslogs) = containers.iter().find(|c| {
        c.get("logConfiguration")
            .and_then(|l| l.get("logDriver"))
            .and_then(Value::as_str)
            == Some("awslogs")
    }) {
        if fargate && input.get("executionRoleArn").is_none() {
            let _ = awslogs;
            return Err(client_error(
                "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
            ));
        }
    }
    let state = &mut *st;
    let revision = state.task_definitions.get(&family).map_or(0, Vec::len) as i64 + 1;
    let td_arn = arn(
        &ctx.region,
        &ctx.account,
        &format!("task-definition/{family}:{revision}"),
    );
    let mut compat = vec!["EC2"];
    if network_mode == "awsvpc" {
        compat.push("FARGATE");
    }
    let mut requires_attributes = vec![json!({"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"})];
    if network_mode == "awsvpc" {
        requires_attributes.push(json!({"name": "ecs.capability.task-eni"}));
    }
    let body = obj([
        ("taskDefinitionArn", json!(td_arn)),
        ("containerDefinitions", json!(containers)),
        ("family", json!(family)),
        ("taskRoleArn", input.get("taskRoleArn").cloned().unwrap_or(Value::Null)),
        (
            "executionRoleArn",
            input.get("executionRoleArn").cloned().unwrap_or(Value::Null),
        ),
        (
            "networkMode",
            if network_mode.is_empty() {
                Value::Null
            } else {
                json!(network_mode)
            },
        ),
        ("revision", json!(revision)),
        ("volumes", input.get("volumes").cloned().unwrap_or(json!([]))),
        ("requiresAttributes", json!(requires_attributes)),
        (
            "placementConstraints",
            input.get("placementConstraints").cloned().unwrap_or(json!([])),
        ),
        ("compatibilities", json!(compat)),
        (
            "runtimePlatform",
            input.get("runtimePlatform").cloned().unwrap_or(Value::Null),
        ),
        (
            "requiresCompatibilities",
            if requires.is_empty() {
                Value::Null
            } else {
                json!(requires)
            },
        ),
        ("cpu", cpu.map(|c| json!(c.to_string())).unwrap_or(Value::Null)),
        ("memory", memory.map(|m| json!(m.to_string())).unwrap_or(Value::Null)),
        ("pidMode", input.get("pidMode").cloned().unwrap_or(Value::Null)),
        ("ipcMode", input.get("ipcMode").cloned().unwrap_or(Value::Null)),
        (
            "proxyConfiguration",
            input.get("proxyConfiguration").cloned().unwrap_or(Value::Null),
        ),
        (
            "ephemeralStorage",
            input.get("ephemeralStorage").cloned().unwrap_or(Value::Null),
        ),
        (
            "enableFaultInjection",
            input.get("enableFaultInjection").cloned().unwrap_or(Value::Null),
        ),
        ("registeredAt", json!(now.as_secs_f64())),
        ("registeredBy", json!(ctx.caller.arn)),
    ]);
    tags::add_tags(state, &td_arn, input.get("tags"))?;
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
    let out = td.to_json();
    state.task_definitions.entry(family.clone()).or_default().push(td);
    let tags_out = tags::tags_json(state, &td_arn);
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("task definition {family}:{revision} registered"),
        Value::Null,
    ));
    Ok(json!({"taskDefinition": out, "tags": tags_out}))
}

pub fn describe_task_definition(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let ident = opt_str(&input, "taskDefinition").unwrap_or_default();
    let include = str_list(&input, "include");
    let state = &*st;
    let td = resolve(state, ident)?;
    let mut out = json!({"taskDefinition": td.to_json()});
    if include.iter().any(|i| i == "TAGS") {
        out["tags"] = tags::tags_json(state, &td.arn);
    }
    Ok(out)
}

pub fn list_task_definitions(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let family = opt_str(&input, "familyPrefix");
    let status = TaskDefinitionStatus::from(opt_str(&input, "status").unwrap_or("ACTIVE"));
    let desc = opt_str(&input, "sort") == Some("DESC");
    let max = input.get("maxResults").and_then(Value::as_i64).unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let state = &*st;
    let mut arns: Vec<String> = state
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
        opt_str(&input, "nextToken"),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(obj([("taskDefinitionArns", json!(page)), ("nextToken", json!(next))]))
}

pub fn list_task_definition_families(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let prefix = opt_str(&input, "familyPrefix").unwrap_or("");
    let status = TaskDefinitionFamilyStatus::from(opt_str(&input, "status").unwrap_or("ACTIVE"));
    let max = input.get("maxResults").and_then(Value::as_i64).unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let state = &*st;
    let families: Vec<String> = state
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
        opt_str(&input, "nextToken"),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(obj([("families", json!(page)), ("nextToken", json!(next))]))
}

fn revision_mut<'a>(state: &'a mut State, ident: &str) -> Option<&'a mut TaskDefinition> {
    let arn = find(state, ident).filter(|_| ident.contains(':'))?.arn.clone();
    state
        .task_definitions
        .values_mut()
        .flat_map(|v| v.iter_mut())
        .find(|t| t.arn == arn)
}

pub fn deregister_task_definition(st: &mut State, env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let now = env.now;
    let ident = opt_str(&input, "taskDefinition").unwrap_or_default().to_owned();
    let state = &mut *st;
    if !ident.contains(':') {
        return Err(client_error(
            "Revision must be specified for task definition deregistration.",
        ));
    }
    let td =
        revision_mut(state, &ident).ok_or_else(|| client_error("The specified task definition does not exist."))?;
    if td.status == TaskDefinitionStatus::Active {
        td.status = TaskDefinitionStatus::Inactive;
        td.deregistered_at = Some(now);
    }
    let out = td.to_json();
    let name = td.family_revision();
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("task definition {name} deregistered"),
        Value::Null,
    ));
    Ok(json!({"taskDefinition": out}))
}

pub fn delete_task_definitions(st: &mut State, env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let now = env.now;
    let idents = str_list(&input, "taskDefinitions");
    if idents.is_empty() || idents.len() > 10 {
        return Err(invalid_parameter(
            "taskDefinitions must contain between 1 and 10 task definitions.",
        ));
    }
    let state = &mut *st;
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for ident in idents {
        match revision_mut(state, &ident) {
            None => failures.push(json!({"arn": ident, "reason": "The specified task definition does not exist."})),
            Some(td) if td.status == TaskDefinitionStatus::Active => failures.push(json!({
                "arn": td.arn,
                "reason": "The specified task definition is still in ACTIVE status. Please deregister the target and try again."
            })),
            Some(td) => {
                td.status = TaskDefinitionStatus::DeleteInProgress;
                td.delete_requested_at = Some(now);
                deleted.push(td.to_json());
            }
        }
    }
    Ok(json!({"taskDefinitions": deleted, "failures": failures}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::testing::call;
    use crate::model::Service;
    use crate::sim::SimTime;
    use crate::world::World;

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
