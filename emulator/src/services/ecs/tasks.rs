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
use crate::services::util::paginate;
use crate::services::Ctx;
pub use crate::sim::signal::TaskSignal as TaskEvent;
use crate::sim::PartitionKey;
use crate::sim::{Signal, SimTime};
use crate::timeline::TargetHealthState;
use cutover_types::ecs as t;
use t::{DesiredStatus, LaunchType, TaskStopCode};

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
    pub launch_type: LaunchType,
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
    pub stop_code: Option<TaskStopCode>,
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
    pub launch_type: LaunchType,
    pub platform_version: Option<String>,
    pub awsvpc: Option<t::AwsVpcConfiguration>,
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
            .map(|c| (c.name.clone().unwrap_or_default(), c.image.clone().unwrap_or_default()))
            .collect::<Vec<_>>();
        (containers, td.body.cpu.clone(), td.body.memory.clone())
    };
    let mut availability_zone = format!("{}a", key.region);
    let mut eni = None;
    if let Some(vpc) = &spec.awsvpc {
        let subnets = &vpc.subnets;
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
    code: TaskStopCode,
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
    task.stop_code = Some(code);
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
            stop(
                st,
                env,
                peers,
                key,
                &task_arn,
                &reason,
                TaskStopCode::ServiceSchedulerInitiated,
            );
            return;
        }
    }
    super::services::task_changed(st, env, key, &task);
}

fn secs(at: Option<SimTime>) -> Option<f64> {
    at.map(|t| t.as_secs_f64())
}

/// A task as DescribeTasks returns it.
pub fn to_out(task: &Task, include_tags: bool) -> t::Task {
    let c_status = match task.status {
        Status::Provisioning | Status::Pending | Status::Activating => DesiredStatus::Pending,
        Status::Running | Status::Deactivating => DesiredStatus::Running,
        _ => DesiredStatus::Stopped,
    };
    let containers: Vec<t::Container> = task
        .containers
        .iter()
        .map(|(name, image)| t::Container {
            container_arn: Some(format!("{}/{}", task.arn.replace(":task/", ":container/"), name)),
            task_arn: Some(task.arn.clone()),
            name: Some(name.clone()),
            image: Some(image.clone()),
            last_status: Some(c_status.to_string()),
            exit_code: (c_status == DesiredStatus::Stopped && task.started_at.is_some()).then_some(0),
            network_interfaces: Some(
                task.eni
                    .iter()
                    .map(|e| t::NetworkInterface {
                        attachment_id: Some(e.attachment_id.clone()),
                        private_ipv4_address: Some(e.ip.clone()),
                        ipv6_address: None,
                    })
                    .collect(),
            ),
            health_status: Some(t::HealthStatus::UnknownValue),
            ..Default::default()
        })
        .collect();
    let attachments: Vec<t::Attachment> = task
        .eni
        .iter()
        .map(|e| {
            let status = match task.status {
                Status::Provisioning => "PRECREATED",
                Status::Pending | Status::Activating | Status::Running | Status::Deactivating => "ATTACHED",
                Status::Stopping | Status::Deprovisioning | Status::Stopped => "DELETED",
            };
            let detail = |name: &str, value: String| t::KeyValuePair {
                name: Some(name.into()),
                value: Some(value),
            };
            t::Attachment {
                id: Some(e.attachment_id.clone()),
                r#type: Some("ElasticNetworkInterface".into()),
                status: Some(status.into()),
                details: Some(vec![
                    detail("subnetId", e.subnet_id.clone()),
                    detail(
                        "networkInterfaceId",
                        format!("eni-{}", &e.attachment_id.replace('-', "")[..17]),
                    ),
                    detail("macAddress", e.mac.clone()),
                    detail("privateIPv4Address", e.ip.clone()),
                ]),
            }
        })
        .collect();
    t::Task {
        task_arn: Some(task.arn.clone()),
        cluster_arn: Some(task.cluster_arn.clone()),
        task_definition_arn: Some(task.task_definition_arn.clone()),
        group: Some(task.group.clone()),
        started_by: task.started_by.clone(),
        last_status: Some(task.status.name().into()),
        desired_status: Some(
            if task.desired_running {
                DesiredStatus::Running
            } else {
                DesiredStatus::Stopped
            }
            .to_string(),
        ),
        launch_type: Some(task.launch_type.clone()),
        platform_version: task.platform_version.clone(),
        platform_family: super::platform_family(&task.launch_type),
        cpu: task.cpu.clone(),
        memory: task.memory.clone(),
        availability_zone: Some(task.availability_zone.clone()),
        containers: Some(containers),
        attachments: Some(attachments),
        connectivity: Some(if task.status >= Status::Pending {
            t::Connectivity::Connected
        } else {
            t::Connectivity::Disconnected
        }),
        connectivity_at: secs(task.pull_started_at),
        created_at: secs(Some(task.created_at)),
        pull_started_at: secs(task.pull_started_at),
        pull_stopped_at: secs(task.pull_stopped_at),
        started_at: secs(task.started_at),
        stopping_at: secs(task.stopping_at),
        stopped_at: secs(task.stopped_at),
        execution_stopped_at: if task.status >= Status::Stopping {
            secs(task.stopping_at)
        } else {
            None
        },
        stopped_reason: task.stopped_reason.clone(),
        stop_code: task.stop_code.clone(),
        health_status: Some(t::HealthStatus::UnknownValue),
        version: Some(task.generation as i64 + 1),
        overrides: Some(t::TaskOverride {
            container_overrides: Some(Vec::new()),
            inference_accelerator_overrides: Some(Vec::new()),
            ..Default::default()
        }),
        tags: include_tags.then(|| {
            task.tags
                .iter()
                .map(|(k, v)| t::Tag {
                    key: Some(k.clone()),
                    value: Some(v.clone()),
                })
                .collect()
        }),
        ..Default::default()
    }
}

/// Validates an awsvpc network configuration against the EC2 state.
pub fn check_network(
    peers: &dyn Peers,
    network: Option<&t::NetworkConfiguration>,
    needs_awsvpc: bool,
) -> AwsResult<Option<t::AwsVpcConfiguration>> {
    let vpc = network.and_then(|n| n.awsvpc_configuration.clone());
    match &vpc {
        None if needs_awsvpc => {
            return Err(invalid_parameter(
                "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
            ))
        }
        None => return Ok(None),
        Some(v) => {
            if v.subnets.is_empty() {
                return Err(invalid_parameter("subnets can not be empty."));
            }
            if v.subnets.len() > 16 {
                return Err(invalid_parameter("subnets can have at most 16 items."));
            }
            for s in &v.subnets {
                if !peers.subnet_exists(s) {
                    return Err(invalid_parameter(format!(
                        "Error retrieving subnet information for [{s}]: The subnet ID '{s}' does not exist (ECS Error)"
                    )));
                }
            }
            for g in v.security_groups.iter().flatten() {
                if !peers.security_group_exists(g) {
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

pub fn run_task(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: t::RunTaskRequest,
) -> AwsResult<t::RunTaskResponse> {
    let key = ctx.partition();
    let now = env.now;
    let count = input.count.unwrap_or(1);
    if !(1..=10).contains(&count) {
        return Err(invalid_parameter("count must be between 1 and 10."));
    }
    let td_ident = input.task_definition.clone();
    let cluster_arn = clusters::resolve_active(st, ctx, input.cluster.as_deref(), now)?
        .arn
        .clone();
    let (td_arn, family, needs_awsvpc, fargate_ok) = {
        let td = task_definitions::resolve(st, &td_ident)?;
        if td.status != task_definitions::TaskDefinitionStatus::Active && !td_ident.contains(':') {
            return Err(client_error("TaskDefinition is inactive"));
        }
        (td.arn.clone(), td.family.clone(), td.awsvpc(), td.fargate_compatible())
    };
    let launch_type = input
        .launch_type
        .clone()
        .unwrap_or(if input.capacity_provider_strategy.is_some() {
            LaunchType::Fargate
        } else {
            LaunchType::Ec2
        });
    if launch_type == LaunchType::Fargate && !fargate_ok {
        return Err(invalid_parameter(
            "Task definition does not support launch_type FARGATE.",
        ));
    }
    if launch_type == LaunchType::Ec2 {
        return Err(invalid_parameter("No Container Instances were found in your cluster."));
    }
    let awsvpc = check_network(peers, input.network_configuration.as_ref(), needs_awsvpc)?;
    let tags: Vec<(String, String)> = input
        .tags
        .iter()
        .flatten()
        .map(|t| (t.key.clone().unwrap_or_default(), t.value.clone().unwrap_or_default()))
        .collect();
    let mut arns = Vec::new();
    for _ in 0..count {
        let spec = TaskSpec {
            cluster_arn: cluster_arn.clone(),
            task_definition_arn: td_arn.clone(),
            group: input.group.clone().unwrap_or_else(|| format!("family:{family}")),
            started_by: input.started_by.clone(),
            owner: Owner::Standalone,
            launch_type: launch_type.clone(),
            platform_version: Some(
                input
                    .platform_version
                    .as_deref()
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
    let tasks: Vec<t::Task> = arns
        .iter()
        .filter_map(|a| st.tasks.get(a))
        .map(|t| to_out(t, false))
        .collect();
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("RunTask started {} task(s) of {td_arn}", arns.len()),
        serde_json::Value::Null,
    ));
    Ok(t::RunTaskResponse {
        tasks: Some(tasks),
        failures: Some(Vec::new()),
    })
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
    input: t::StopTaskRequest,
) -> AwsResult<t::StopTaskResponse> {
    let key = ctx.partition();
    let cluster_arn = super::services::cluster_arn(st, env, ctx, input.cluster.as_deref())?;
    let reason = input.reason.unwrap_or_else(|| "Task stopped by user".into());
    let arn = find_task(st, &cluster_arn, &input.task)
        .map(|t| t.arn.clone())
        .ok_or_else(|| invalid_parameter("The referenced task was not found."))?;
    stop(st, env, peers, &key, &arn, &reason, TaskStopCode::UserInitiated);
    Ok(t::StopTaskResponse {
        task: st.tasks.get(&arn).map(|t| to_out(t, false)),
    })
}

pub fn describe_tasks(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DescribeTasksRequest,
) -> AwsResult<t::DescribeTasksResponse> {
    let key = ctx.partition();
    if input.tasks.len() > 100 {
        return Err(invalid_parameter("Tasks cannot be longer than 100."));
    }
    let include_tags = input.include.is_some_and(|i| i.contains(&t::TaskField::Tags));
    let cluster_arn = super::services::cluster_arn(st, env, ctx, input.cluster.as_deref())?;
    let mut tasks = Vec::new();
    let mut failures = Vec::new();
    for i in input.tasks {
        match find_task(st, &cluster_arn, &i) {
            Some(t) => tasks.push(to_out(t, include_tags)),
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
                failures.push(super::missing(a));
            }
        }
    }
    Ok(t::DescribeTasksResponse {
        tasks: Some(tasks),
        failures: Some(failures),
    })
}

pub fn list_tasks(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListTasksRequest,
) -> AwsResult<t::ListTasksResponse> {
    let cluster_arn = super::services::cluster_arn(st, env, ctx, input.cluster.as_deref())?;
    let desired = input.desired_status.clone().unwrap_or(DesiredStatus::Running);
    let family = input.family.as_deref();
    let service = input.service_name.as_deref().map(|s| name_from_arn(s).to_owned());
    let started_by = input.started_by.as_deref();
    let launch_type = input.launch_type.as_ref();
    let max = input.max_results.unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    if let Some(s) = &service {
        let exists = st
            .services
            .values()
            .any(|sv| sv.cluster_arn == cluster_arn && &sv.name == s && sv.status != ServiceStatus::Inactive);
        if !exists {
            return Err(super::services::service_not_found());
        }
    }
    let mut arns: Vec<(SimTime, String)> = st
        .tasks
        .values()
        .filter(|t| t.cluster_arn == cluster_arn)
        .filter(|t| (desired == DesiredStatus::Running) == t.desired_running)
        .filter(|t| family.is_none_or(|f| t.task_definition_arn.contains(&format!("task-definition/{f}:"))))
        .filter(|t| service.as_ref().is_none_or(|s| t.group == format!("service:{s}")))
        .filter(|t| started_by.is_none_or(|s| t.started_by.as_deref() == Some(s)))
        .filter(|t| launch_type.is_none_or(|l| t.launch_type == *l))
        .map(|t| (t.created_at, t.arn.clone()))
        .collect();
    arns.sort();
    let arns: Vec<String> = arns.into_iter().map(|(_, a)| a).collect();
    let (page, next) = paginate(
        &arns,
        input.next_token.as_deref(),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(t::ListTasksResponse {
        task_arns: Some(page),
        next_token: next,
    })
}
