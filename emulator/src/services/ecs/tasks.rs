//! Tasks: the task lifecycle on the clock, RunTask, StopTask, DescribeTasks, ListTasks.
//!
//! The whole lifecycle is in [`Task::step`]: PROVISIONING → PENDING → ACTIVATING (targets registered)
//! → RUNNING, and on stop DEACTIVATING (targets drain for the deregistration delay) → STOPPING →
//! DEPROVISIONING → STOPPED. Each move is one scheduled event per task, so a clock advance that
//! fires nothing touches no task.

use super::links::{Peers, Registration};
use super::status::ServiceStatus;
use super::{arn, client_error, clusters, invalid_parameter, name_from_arn, task_definitions, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::{obj, opt_json, opt_str, paginate, str_list};
use crate::services::Ctx;
pub use crate::sim::signal::TaskSignal as TaskEvent;
use crate::sim::PartitionKey;
use crate::sim::{Signal, SimTime};
use crate::timeline::TargetHealthState;
use cutover_types::ecs::DesiredStatus;
use serde_json::{json, Value};

/// Seconds each step of the lifecycle takes (Fargate-like; chosen, not measured on AWS).
pub mod timing {
    pub const PROVISIONING: f64 = 5.0;
    /// PENDING covers the image pull.
    pub const PENDING: f64 = 15.0;
    pub const ACTIVATING: f64 = 3.0;
    pub const STOPPING: f64 = 2.0;
    pub const DEPROVISIONING: f64 = 5.0;
    /// How long a STOPPED task stays describable.
    pub const FORGET_AFTER: f64 = 3600.0;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Provisioning,
    Pending,
    Activating,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Provisioning => "PROVISIONING",
            Status::Pending => "PENDING",
            Status::Activating => "ACTIVATING",
            Status::Running => "RUNNING",
            Status::Deactivating => "DEACTIVATING",
            Status::Stopping => "STOPPING",
            Status::Deprovisioning => "DEPROVISIONING",
            Status::Stopped => "STOPPED",
        }
    }

    /// Counted as pending by services and clusters.
    pub fn is_pending(self) -> bool {
        matches!(self, Status::Provisioning | Status::Pending | Status::Activating)
    }
}

/// Who started a task, so that its state changes reach the owner.
#[derive(Debug, Clone, PartialEq)]
pub enum Owner {
    Standalone,
    /// A service's deployment (ECS controller) or task set (CODE_DEPLOY, EXTERNAL), by id.
    Service {
        service_arn: String,
        unit_id: String,
    },
}

#[derive(Debug, Clone)]
pub struct Eni {
    pub attachment_id: String,
    pub subnet_id: String,
    pub ip: String,
    pub mac: String,
}

#[derive(Debug, Clone)]
pub struct Task {
    pub arn: String,
    pub cluster_arn: String,
    pub task_definition_arn: String,
    pub group: String,
    pub started_by: Option<String>,
    pub owner: Owner,
    pub launch_type: String,
    pub platform_version: Option<String>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub availability_zone: String,
    pub containers: Vec<(String, String)>,
    pub eni: Option<Eni>,
    pub registrations: Vec<Registration>,
    pub status: Status,
    pub desired_running: bool,
    pub created_at: SimTime,
    pub pull_started_at: Option<SimTime>,
    pub pull_stopped_at: Option<SimTime>,
    pub started_at: Option<SimTime>,
    pub stopping_at: Option<SimTime>,
    pub stopped_at: Option<SimTime>,
    pub stopped_reason: Option<String>,
    pub stop_code: Option<String>,
    pub health_check_grace_secs: f64,
    pub tags: Vec<(String, String)>,
    /// Bumped on every transition; a scheduled step for an older generation is stale.
    pub generation: u64,
}

/// What a new task is to be.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub cluster_arn: String,
    pub task_definition_arn: String,
    pub group: String,
    pub started_by: Option<String>,
    pub owner: Owner,
    pub launch_type: String,
    pub platform_version: Option<String>,
    /// `awsvpcConfiguration` (subnets, securityGroups, assignPublicIp).
    pub awsvpc: Option<Value>,
    /// (target group ARN, container name, container port).
    pub load_balancers: Vec<(String, String, i64)>,
    pub health_check_grace_secs: f64,
    pub tags: Vec<(String, String)>,
}

fn schedule_step(env: &mut Env<'_>, key: &PartitionKey, task: &Task, after: f64) {
    let at = env.after_secs(after);
    env.schedule(
        at,
        key,
        Signal::Task(TaskEvent::Step {
            task_arn: task.arn.clone(),
            generation: task.generation,
        }),
    );
}

fn short_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Creates a task in PROVISIONING and schedules its lifecycle. Returns its ARN.
pub fn start(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    key: &PartitionKey,
    spec: TaskSpec,
) -> AwsResult<String> {
    let now = env.now;
    let id = env.ids.hex(32);
    let cluster_name = name_from_arn(&spec.cluster_arn).to_owned();
    let task_arn = arn(&key.region, &key.account, &format!("task/{cluster_name}/{id}"));
    let (containers, cpu, memory) = {
        let td = task_definitions::resolve(st, &spec.task_definition_arn)?;
        let containers = td
            .containers()
            .iter()
            .map(|c| {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
                let image = c.get("image").and_then(Value::as_str).unwrap_or("").to_owned();
                (name, image)
            })
            .collect::<Vec<_>>();
        let cpu = td.body.get("cpu").and_then(Value::as_str).map(str::to_owned);
        let memory = td.body.get("memory").and_then(Value::as_str).map(str::to_owned);
        (containers, cpu, memory)
    };
    let mut availability_zone = format!("{}a", key.region);
    let mut eni = None;
    if let Some(vpc) = &spec.awsvpc {
        let subnets = str_list(vpc, "subnets");
        if !subnets.is_empty() {
            let subnet = subnets[env.ids.below(subnets.len() as u64) as usize].clone();
            let Some((ip, az)) = peers.allocate_ip(&subnet) else {
                return Err(invalid_parameter(format!(
                    "No free IP addresses are available in subnet {subnet}."
                )));
            };
            availability_zone = az;
            let mac = format!(
                "0a:{}:{}:{}:{}:{}",
                env.ids.hex(2),
                env.ids.hex(2),
                env.ids.hex(2),
                env.ids.hex(2),
                env.ids.hex(2)
            );
            eni = Some(Eni {
                attachment_id: env.ids.uuid(),
                subnet_id: subnet,
                ip,
                mac,
            });
        }
    }
    let ip = eni.as_ref().map(|e| e.ip.clone()).unwrap_or_else(|| "10.0.0.1".into());
    let registrations = spec
        .load_balancers
        .iter()
        .map(|(tg, _, port)| (tg.clone(), ip.clone(), *port))
        .collect();
    let task = Task {
        arn: task_arn.clone(),
        cluster_arn: spec.cluster_arn,
        task_definition_arn: spec.task_definition_arn,
        group: spec.group,
        started_by: spec.started_by,
        owner: spec.owner,
        launch_type: spec.launch_type,
        platform_version: spec.platform_version,
        cpu,
        memory,
        availability_zone,
        containers,
        eni,
        registrations,
        status: Status::Provisioning,
        desired_running: true,
        created_at: now,
        pull_started_at: None,
        pull_stopped_at: None,
        started_at: None,
        stopping_at: None,
        stopped_at: None,
        stopped_reason: None,
        stop_code: None,
        health_check_grace_secs: spec.health_check_grace_secs,
        tags: spec.tags,
        generation: 0,
    };
    schedule_step(env, key, &task, timing::PROVISIONING);
    for reg in &task.registrations {
        st.targets.insert(reg.clone(), task_arn.clone());
    }
    st.tasks.insert(task_arn.clone(), task);
    Ok(task_arn)
}

/// Asks a task to stop. Returns false when it was already stopping.
pub fn stop(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    key: &PartitionKey,
    task_arn: &str,
    reason: &str,
    code: &str,
) -> bool {
    let now = env.now;
    let Some(task) = st.tasks.get_mut(task_arn) else {
        return false;
    };
    if !task.desired_running {
        return false;
    }
    task.desired_running = false;
    task.stopped_reason = Some(reason.to_owned());
    task.stop_code = Some(code.to_owned());
    task.stopping_at = Some(now);
    task.generation += 1;
    match task.status {
        Status::Provisioning | Status::Pending => enter(st, env, peers, key, task_arn, Status::Stopping),
        Status::Activating | Status::Running => enter(st, env, peers, key, task_arn, Status::Deactivating),
        _ => {}
    }
    true
}

/// Moves a task into `status` and schedules what comes after it.
fn enter(st: &mut State, env: &mut Env<'_>, peers: &mut dyn Peers, key: &PartitionKey, task_arn: &str, status: Status) {
    let now = env.now;
    let Some(task) = st.tasks.get_mut(task_arn) else {
        return;
    };
    task.status = status;
    task.generation += 1;
    match status {
        Status::Pending => task.pull_started_at = Some(now),
        Status::Activating => task.pull_stopped_at = Some(now),
        Status::Running => task.started_at = Some(now),
        Status::Stopped => task.stopped_at = Some(now),
        _ => {}
    }
    let task = task.clone();
    let after = match status {
        Status::Provisioning => Some(timing::PROVISIONING),
        Status::Pending => Some(timing::PENDING),
        Status::Activating => {
            for reg in &task.registrations {
                let _ = peers.register_target(env, reg, &task.task_definition_arn);
            }
            Some(timing::ACTIVATING)
        }
        Status::Running => None,
        Status::Deactivating => {
            let mut drain: f64 = 0.0;
            for reg in &task.registrations {
                peers.deregister_target(env, reg);
                drain = drain.max(peers.deregistration_delay(&reg.0));
            }
            Some(drain)
        }
        Status::Stopping => Some(timing::STOPPING),
        Status::Deprovisioning => Some(timing::DEPROVISIONING),
        Status::Stopped => {
            if let Some(eni) = &task.eni {
                peers.release_ip(&eni.subnet_id, &eni.ip);
            }
            for reg in &task.registrations {
                if st.targets.get(reg).map(String::as_str) == Some(task_arn) {
                    st.targets.remove(reg);
                }
            }
            let at = now.plus_secs(timing::FORGET_AFTER);
            env.schedule(
                at,
                key,
                Signal::Task(TaskEvent::Forget {
                    task_arn: task_arn.to_owned(),
                }),
            );
            None
        }
    };
    if let Some(after) = after {
        schedule_step(env, key, &task, after);
    }
    super::services::task_changed(st, env, key, &task);
}

/// Fires a task event (`lifecycle::drive`).
pub fn fire(st: &mut State, env: &mut Env<'_>, peers: &mut dyn Peers, key: &PartitionKey, event: TaskEvent) {
    match event {
        TaskEvent::Forget { task_arn } => {
            st.tasks.remove(&task_arn);
        }
        TaskEvent::Step { task_arn, generation } => {
            let Some(task) = st.tasks.get(&task_arn) else {
                return;
            };
            if task.generation != generation {
                return;
            }
            let next = match (task.status, task.desired_running) {
                (Status::Provisioning, true) => Status::Pending,
                (Status::Pending, true) => Status::Activating,
                (Status::Activating, true) => Status::Running,
                (Status::Deactivating, _) => Status::Stopping,
                (Status::Stopping, _) => Status::Deprovisioning,
                (Status::Deprovisioning, _) => Status::Stopped,
                _ => return,
            };
            enter(st, env, peers, key, &task_arn, next);
        }
    }
}

/// ELBv2 reports a target's new health state: ECS stops a RUNNING service task whose target
/// turned unhealthy (after the health check grace period) and lets its service replace it.
pub fn target_health_changed(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    key: &PartitionKey,
    reg: &Registration,
    state: TargetHealthState,
) {
    let now = env.now;
    let Some(task_arn) = st.targets.get(reg).cloned() else {
        return;
    };
    let Some(task) = st.tasks.get(&task_arn).cloned() else {
        return;
    };
    if state == TargetHealthState::Unhealthy && task.status == Status::Running && task.desired_running {
        let grace_over = task
            .started_at
            .is_none_or(|s| now >= s.plus_secs(task.health_check_grace_secs));
        if grace_over && matches!(task.owner, Owner::Service { .. }) {
            let reason = format!("Task failed ELB health checks in (target-group {})", reg.0);
            stop(st, env, peers, key, &task_arn, &reason, "ServiceSchedulerInitiated");
            return;
        }
    }
    super::services::task_changed(st, env, key, &task);
}

pub fn to_json(t: &Task, include_tags: bool) -> Value {
    let ts = |t: Option<SimTime>| t.map(|t| json!(t.as_secs_f64())).unwrap_or(Value::Null);
    let last = t.status.name();
    let containers: Vec<Value> = t
        .containers
        .iter()
        .map(|(name, image)| {
            let c_status = match t.status {
                Status::Provisioning | Status::Pending | Status::Activating => DesiredStatus::Pending,
                Status::Running | Status::Deactivating => DesiredStatus::Running,
                _ => DesiredStatus::Stopped,
            };
            obj([
                (
                    "containerArn",
                    json!(format!("{}/{}", t.arn.replace(":task/", ":container/"), name)),
                ),
                ("taskArn", json!(t.arn)),
                ("name", json!(name)),
                ("image", json!(image)),
                ("lastStatus", json!(c_status)),
                (
                    "exitCode",
                    if c_status == DesiredStatus::Stopped && t.started_at.is_some() {
                        json!(0)
                    } else {
                        Value::Null
                    },
                ),
                (
                    "networkInterfaces",
                    t.eni
                        .as_ref()
                        .map(|e| json!([{"attachmentId": e.attachment_id, "privateIpv4Address": e.ip}]))
                        .unwrap_or(json!([])),
                ),
                ("healthStatus", json!("UNKNOWN")),
            ])
        })
        .collect();
    let attachments: Vec<Value> = t
        .eni
        .as_ref()
        .map(|e| {
            let status = match t.status {
                Status::Provisioning => "PRECREATED",
                Status::Pending | Status::Activating | Status::Running | Status::Deactivating => "ATTACHED",
                Status::Stopping | Status::Deprovisioning => "DELETED",
                Status::Stopped => "DELETED",
            };
            vec![json!({
                "id": e.attachment_id,
                "type": "ElasticNetworkInterface",
                "status": status,
                "details": [
                    {"name": "subnetId", "value": e.subnet_id},
                    {"name": "networkInterfaceId", "value": format!("eni-{}", &e.attachment_id.replace('-', "")[..17])},
                    {"name": "macAddress", "value": e.mac},
                    {"name": "privateIPv4Address", "value": e.ip},
                ]
            })]
        })
        .unwrap_or_default();
    let mut v = obj([
        ("taskArn", json!(t.arn)),
        ("clusterArn", json!(t.cluster_arn)),
        ("taskDefinitionArn", json!(t.task_definition_arn)),
        ("group", json!(t.group)),
        ("startedBy", opt_json(&t.started_by)),
        ("lastStatus", json!(last)),
        (
            "desiredStatus",
            json!(if t.desired_running { "RUNNING" } else { "STOPPED" }),
        ),
        ("launchType", json!(t.launch_type)),
        ("platformVersion", opt_json(&t.platform_version)),
        ("platformFamily", super::platform_family(&t.launch_type)),
        ("cpu", opt_json(&t.cpu)),
        ("memory", opt_json(&t.memory)),
        ("availabilityZone", json!(t.availability_zone)),
        ("containers", json!(containers)),
        ("attachments", json!(attachments)),
        (
            "connectivity",
            json!(if t.status >= Status::Pending {
                "CONNECTED"
            } else {
                "DISCONNECTED"
            }),
        ),
        ("connectivityAt", ts(t.pull_started_at)),
        ("createdAt", ts(Some(t.created_at))),
        ("pullStartedAt", ts(t.pull_started_at)),
        ("pullStoppedAt", ts(t.pull_stopped_at)),
        ("startedAt", ts(t.started_at)),
        ("stoppingAt", ts(t.stopping_at)),
        ("stoppedAt", ts(t.stopped_at)),
        (
            "executionStoppedAt",
            if t.status >= Status::Stopping {
                ts(t.stopping_at)
            } else {
                Value::Null
            },
        ),
        ("stoppedReason", opt_json(&t.stopped_reason)),
        ("stopCode", opt_json(&t.stop_code)),
        ("healthStatus", json!("UNKNOWN")),
        ("version", json!(t.generation as i64 + 1)),
        (
            "overrides",
            json!({"containerOverrides": [], "inferenceAcceleratorOverrides": []}),
        ),
    ]);
    if include_tags {
        v["tags"] = Value::Array(t.tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect());
    }
    v
}

/// Validates an awsvpc network configuration against the EC2 state.
pub fn check_network(peers: &dyn Peers, network: Option<&Value>, needs_awsvpc: bool) -> AwsResult<Option<Value>> {
    let vpc = network.and_then(|n| n.get("awsvpcConfiguration")).cloned();
    match &vpc {
        None if needs_awsvpc => {
            return Err(invalid_parameter(
                "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
            ))
        }
        None => return Ok(None),
        Some(v) => {
            let subnets = str_list(v, "subnets");
            if subnets.is_empty() {
                return Err(invalid_parameter("subnets can not be empty."));
            }
            if subnets.len() > 16 {
                return Err(invalid_parameter("subnets can have at most 16 items."));
            }
            for s in &subnets {
                if !peers.subnet_exists(s) {
                    return Err(invalid_parameter(format!(
                        "Error retrieving subnet information for [{s}]: The subnet ID '{s}' does not exist (ECS Error)"
                    )));
                }
            }
            for g in str_list(v, "securityGroups") {
                if !peers.security_group_exists(&g) {
                    return Err(invalid_parameter(format!("Error retrieving security group information for [{g}]: The security group '{g}' does not exist (ECS Error)")));
                }
            }
        }
    }
    if !needs_awsvpc {
        return Err(invalid_parameter(
            "Network Configuration is not valid for the given networkMode of this task definition.",
        ));
    }
    Ok(vpc)
}

pub fn run_task(st: &mut State, env: &mut Env<'_>, peers: &mut dyn Peers, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let now = env.now;
    let count = input.get("count").and_then(Value::as_i64).unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(invalid_parameter("count must be between 1 and 10."));
    }
    let td_ident = opt_str(&input, "taskDefinition").unwrap_or_default().to_owned();
    let cluster_arn = clusters::resolve_active(st, ctx, opt_str(&input, "cluster"), now)?
        .arn
        .clone();
    let (td_arn, family, needs_awsvpc, fargate_ok) = {
        let td = task_definitions::resolve(st, &td_ident)?;
        if td.status != task_definitions::TaskDefinitionStatus::Active && !td_ident.contains(':') {
            return Err(client_error("TaskDefinition is inactive"));
        }
        let fargate_ok = td
            .body
            .get("compatibilities")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|c| c == "FARGATE"));
        (
            td.arn.clone(),
            td.family.clone(),
            td.network_mode() == "awsvpc",
            fargate_ok,
        )
    };
    let launch_type = opt_str(&input, "launchType")
        .unwrap_or(if input.get("capacityProviderStrategy").is_some() {
            "FARGATE"
        } else {
            "EC2"
        })
        .to_owned();
    if launch_type == "FARGATE" && !fargate_ok {
        return Err(invalid_parameter(
            "Task definition does not support launch_type FARGATE.",
        ));
    }
    if launch_type == "EC2" {
        return Err(invalid_parameter("No Container Instances were found in your cluster."));
    }
    let awsvpc = check_network(peers, input.get("networkConfiguration"), needs_awsvpc)?;
    let tags: Vec<(String, String)> = input
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| {
                    (
                        t["key"].as_str().unwrap_or("").to_owned(),
                        t["value"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut arns = Vec::new();
    for _ in 0..count {
        let spec = TaskSpec {
            cluster_arn: cluster_arn.clone(),
            task_definition_arn: td_arn.clone(),
            group: opt_str(&input, "group")
                .map(str::to_owned)
                .unwrap_or_else(|| format!("family:{family}")),
            started_by: opt_str(&input, "startedBy").map(str::to_owned),
            owner: Owner::Standalone,
            launch_type: launch_type.clone(),
            platform_version: Some(
                opt_str(&input, "platformVersion")
                    .unwrap_or("1.4.0")
                    .replace("LATEST", "1.4.0"),
            ),
            awsvpc: awsvpc.clone(),
            load_balancers: Vec::new(),
            health_check_grace_secs: 0.0,
            tags: tags.clone(),
        };
        arns.push(start(st, env, peers, &key, spec)?);
    }
    let tasks: Vec<Value> = arns
        .iter()
        .filter_map(|a| st.tasks.get(a))
        .map(|t| to_json(t, false))
        .collect();
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("RunTask started {} task(s) of {td_arn}", arns.len()),
        Value::Null,
    ));
    Ok(json!({"tasks": tasks, "failures": []}))
}

fn find_task<'a>(state: &'a State, cluster_arn: &str, ident: &str) -> Option<&'a Task> {
    if ident.starts_with("arn:") {
        state.tasks.get(ident).filter(|t| t.cluster_arn == cluster_arn)
    } else {
        state
            .tasks
            .values()
            .find(|t| t.cluster_arn == cluster_arn && short_id(&t.arn) == ident)
    }
}

pub fn stop_task(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: Value,
) -> AwsResult<Value> {
    let key = ctx.partition();
    let cluster_arn = super::services::cluster_arn(st, env, ctx, opt_str(&input, "cluster"))?;
    let ident = opt_str(&input, "task").unwrap_or_default();
    let reason = opt_str(&input, "reason").unwrap_or("Task stopped by user").to_owned();
    let arn = find_task(st, &cluster_arn, ident)
        .map(|t| t.arn.clone())
        .ok_or_else(|| invalid_parameter("The referenced task was not found."))?;
    stop(st, env, peers, &key, &arn, &reason, "UserInitiated");
    let t = st.tasks.get(&arn).map(|t| to_json(t, false)).unwrap_or(Value::Null);
    Ok(json!({"task": t}))
}

pub fn describe_tasks(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let idents = str_list(&input, "tasks");
    if idents.len() > 100 {
        return Err(invalid_parameter("Tasks cannot be longer than 100."));
    }
    let include_tags = str_list(&input, "include").iter().any(|i| i == "TAGS");
    let cluster_arn = super::services::cluster_arn(st, env, ctx, opt_str(&input, "cluster"))?;
    let state = &*st;
    let mut tasks = Vec::new();
    let mut failures = Vec::new();
    for i in idents {
        match find_task(state, &cluster_arn, &i) {
            Some(t) => tasks.push(to_json(t, include_tags)),
            None => {
                let a = if i.starts_with("arn:") {
                    i.clone()
                } else {
                    arn(
                        &key.region,
                        &key.account,
                        &format!("task/{}/{i}", name_from_arn(&cluster_arn)),
                    )
                };
                failures.push(json!({"arn": a, "reason": "MISSING"}));
            }
        }
    }
    Ok(json!({"tasks": tasks, "failures": failures}))
}

pub fn list_tasks(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let _key = ctx.partition();
    let cluster_arn = super::services::cluster_arn(st, env, ctx, opt_str(&input, "cluster"))?;
    let desired = DesiredStatus::from(opt_str(&input, "desiredStatus").unwrap_or("RUNNING"));
    let family = opt_str(&input, "family");
    let service = opt_str(&input, "serviceName").map(|s| name_from_arn(s).to_owned());
    let started_by = opt_str(&input, "startedBy");
    let launch_type = opt_str(&input, "launchType");
    let max = input.get("maxResults").and_then(Value::as_i64).unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let state = &*st;
    if let Some(s) = &service {
        let exists = state
            .services
            .values()
            .any(|sv| sv.cluster_arn == cluster_arn && &sv.name == s && sv.status != ServiceStatus::Inactive);
        if !exists {
            return Err(AwsErrorExt::service_not_found());
        }
    }
    let mut arns: Vec<(SimTime, String)> = state
        .tasks
        .values()
        .filter(|t| t.cluster_arn == cluster_arn)
        .filter(|t| (desired == DesiredStatus::Running) == t.desired_running)
        .filter(|t| family.is_none_or(|f| t.task_definition_arn.contains(&format!("task-definition/{f}:"))))
        .filter(|t| service.as_ref().is_none_or(|s| t.group == format!("service:{s}")))
        .filter(|t| started_by.is_none_or(|s| t.started_by.as_deref() == Some(s)))
        .filter(|t| launch_type.is_none_or(|l| t.launch_type == l))
        .map(|t| (t.created_at, t.arn.clone()))
        .collect();
    arns.sort();
    let arns: Vec<String> = arns.into_iter().map(|(_, a)| a).collect();
    let (page, next) = paginate(
        &arns,
        opt_str(&input, "nextToken"),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(obj([("taskArns", json!(page)), ("nextToken", json!(next))]))
}

/// Errors shared with the services family.
pub struct AwsErrorExt;

impl AwsErrorExt {
    pub fn service_not_found() -> crate::protocol::AwsError {
        crate::protocol::AwsError::new("ServiceNotFoundException", "Service not found.")
    }
}
