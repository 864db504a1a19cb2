//! Services: CreateService, DescribeServices, ListServices, UpdateService, DeleteService, for the
//! ECS (rolling), CODE_DEPLOY and EXTERNAL deployment controllers, and the service scheduler that
//! keeps every deployment or task set at its computed desired count.
//!
//! A service runs its tasks in *units*: the deployments of an ECS-controller service, or the task
//! sets of a CODE_DEPLOY or EXTERNAL one. [`reconcile`] is the one place that starts and stops
//! tasks; it runs as a scheduled event whenever something about the service changes.

use super::links::Peers;
use super::status::{DeploymentStatus, ServiceStatus, TaskSetStatus};
use super::tasks::{self, Owner, Status, Task, TaskSpec};
use super::{arn, clusters, invalid_parameter, name_from_arn, tags, task_definitions, State};
use crate::env::{Env, Ids};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{obj, opt_json, opt_str, paginate, str_list};
use crate::services::Ctx;
pub use crate::sim::signal::ServiceSignal as ServiceEvent;
use crate::sim::PartitionKey;
use crate::sim::{Signal, SimTime};
use cutover_types::ecs::{DeploymentControllerType, DeploymentRolloutState, SchedulingStrategy, StabilityStatus};
use serde_json::{json, Value};
use std::collections::VecDeque;

pub const MAX_EVENTS: usize = 100;
pub const MAX_TASK_SETS: usize = 5;
/// How long a deleted (INACTIVE) service stays describable.
pub const INACTIVE_RETENTION_SECS: f64 = 3600.0;

/// What a deployment or task set runs: one task definition with one network and load balancer setup.
#[derive(Debug, Clone)]
pub struct Unit {
    /// `ecs-svc/<19 digits>`.
    pub id: String,
    pub task_definition: String,
    pub launch_type: String,
    pub platform_version: Option<String>,
    pub capacity_provider_strategy: Vec<Value>,
    pub network_configuration: Option<Value>,
    /// `[{targetGroupArn, containerName, containerPort}]` as the API carries them.
    pub load_balancers: Vec<Value>,
    pub service_registries: Vec<Value>,
    pub created_at: SimTime,
    pub updated_at: SimTime,
}

impl Unit {
    fn lb_triples(&self) -> Vec<(String, String, i64)> {
        self.load_balancers
            .iter()
            .filter_map(|lb| {
                Some((
                    lb.get("targetGroupArn")?.as_str()?.to_owned(),
                    lb.get("containerName")?.as_str()?.to_owned(),
                    lb.get("containerPort")?.as_i64()?,
                ))
            })
            .collect()
    }
}

/// A deployment of an ECS-controller service (rolling update).
#[derive(Debug, Clone)]
pub struct Deployment {
    pub unit: Unit,
    pub status: DeploymentStatus,
    pub rollout_state: DeploymentRolloutState,
    pub rollout_state_reason: String,
    pub failed_tasks: i64,
}

/// A task set of a CODE_DEPLOY or EXTERNAL service.
#[derive(Debug, Clone)]
pub struct TaskSet {
    pub unit: Unit,
    pub arn: String,
    pub status: TaskSetStatus,
    /// Percent of the service's desired count.
    pub scale: f64,
    pub started_by: Option<String>,
    pub external_id: Option<String>,
    pub stability_status: StabilityStatus,
    pub stability_status_at: SimTime,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub arn: String,
    pub name: String,
    pub cluster_arn: String,
    pub status: ServiceStatus,
    /// ECS, CODE_DEPLOY or EXTERNAL.
    pub controller: DeploymentControllerType,
    pub task_definition: Option<String>,
    pub desired_count: i64,
    pub launch_type: Option<String>,
    pub capacity_provider_strategy: Vec<Value>,
    pub platform_version: Option<String>,
    pub load_balancers: Vec<Value>,
    pub network_configuration: Option<Value>,
    pub service_registries: Vec<Value>,
    pub deployment_configuration: Value,
    pub health_check_grace_period: Option<i64>,
    pub scheduling_strategy: SchedulingStrategy,
    pub role_arn: Option<String>,
    pub placement_constraints: Value,
    pub placement_strategy: Value,
    pub propagate_tags: Option<String>,
    pub enable_ecs_managed_tags: bool,
    pub enable_execute_command: bool,
    pub created_at: SimTime,
    pub created_by: String,
    /// Newest first.
    pub deployments: Vec<Deployment>,
    /// PRIMARY first.
    pub task_sets: Vec<TaskSet>,
    /// Newest first: (id, time, message).
    pub events: VecDeque<(String, SimTime, String)>,
    pub steady: bool,
    pub reconcile_pending: bool,
}

impl Service {
    fn units(&self) -> Vec<&Unit> {
        if self.controller == DeploymentControllerType::Ecs {
            self.deployments.iter().map(|d| &d.unit).collect()
        } else {
            self.task_sets.iter().map(|t| &t.unit).collect()
        }
    }

    fn short(&self) -> String {
        format!("(service {})", self.name)
    }
}

pub fn service_not_found() -> AwsError {
    AwsError::new("ServiceNotFoundException", "Service not found.")
}

fn not_active() -> AwsError {
    AwsError::new("ServiceNotActiveException", "Service was not ACTIVE.")
}

/// `ecs-svc/` and 19 digits: the id of a deployment or task set.
pub fn unit_id(ids: &mut Ids) -> String {
    let mut s = String::from("ecs-svc/");
    s.push(char::from(b'1' + ids.below(9) as u8));
    for _ in 0..18 {
        s.push(char::from(b'0' + ids.below(10) as u8));
    }
    s
}

/// Adds a service event (newest first), as ECS writes them.
pub fn add_event(st: &mut State, env: &mut Env<'_>, service_arn: &str, message: String) {
    add_event_of(st, env, service_arn, message, None);
}

/// As [`add_event`]; `steady_task_set` names the task set whose reaching STEADY_STATE it tells.
fn add_event_of(
    st: &mut State,
    env: &mut Env<'_>,
    service_arn: &str,
    message: String,
    steady_task_set: Option<String>,
) {
    let now = env.now;
    let id = env.ids.uuid();
    let Some(svc) = st.services.get_mut(service_arn) else {
        return;
    };
    svc.events.push_front((id, now, message.clone()));
    svc.events.truncate(MAX_EVENTS);
    let service_name = svc.name.clone();
    env.record(crate::timeline::Entry::ServiceEvent {
        service: service_arn.to_owned(),
        service_name,
        text: message,
        steady_task_set,
    });
}

/// Schedules a reconcile of the service now (coalesced: one pending at a time).
pub fn poke(st: &mut State, env: &mut Env<'_>, key: &PartitionKey, service_arn: &str) {
    let now = env.now;
    let Some(svc) = st.services.get_mut(service_arn) else {
        return;
    };
    if svc.reconcile_pending {
        return;
    }
    svc.reconcile_pending = true;
    env.schedule(
        now,
        key,
        Signal::Service(ServiceEvent::Reconcile {
            service_arn: service_arn.to_owned(),
        }),
    );
}

/// A task of a service changed state: tell the service (and write the events ECS writes).
pub fn task_changed(st: &mut State, env: &mut Env<'_>, key: &PartitionKey, task: &Task) {
    let Owner::Service { service_arn, .. } = &task.owner else {
        return;
    };
    let service_arn = service_arn.clone();
    let short = st.services.get(&service_arn).map(Service::short);
    if let Some(short) = short {
        match task.status {
            Status::Activating => {
                for (tg, _, _) in &task.registrations {
                    add_event(
                        st,
                        env,
                        &service_arn,
                        format!("{short} registered 1 targets in (target-group {tg})"),
                    );
                }
            }
            Status::Deactivating if !task.registrations.is_empty() => {
                add_event(
                    st,
                    env,
                    &service_arn,
                    format!("{short} has begun draining connections on 1 tasks."),
                );
                for (tg, _, _) in &task.registrations {
                    add_event(
                        st,
                        env,
                        &service_arn,
                        format!("{short} deregistered 1 targets in (target-group {tg})"),
                    );
                }
            }
            _ => {}
        }
    }
    poke(st, env, key, &service_arn);
}

/// Counts of one unit's tasks: (pending, running, healthy running, live = not stopping).
fn unit_counts(state: &State, unit_id: &str) -> (i64, i64, i64, i64) {
    let mut c = (0, 0, 0, 0);
    for arn in state.unit_tasks.get(unit_id).into_iter().flatten() {
        if let Some(t) = state.tasks.get(arn) {
            if t.desired_running {
                c.3 += 1;
                if t.status.is_pending() {
                    c.0 += 1;
                }
            }
            if t.status == Status::Running {
                c.1 += 1;
            }
        }
    }
    c
}

fn task_healthy(peers: &dyn Peers, t: &Task) -> bool {
    t.status == Status::Running
        && t.desired_running
        && t.registrations
            .iter()
            .all(|r| peers.target_state(r) == Some(crate::timeline::TargetHealthState::Healthy))
}

fn healthy_count(state: &State, peers: &dyn Peers, unit_id: &str) -> i64 {
    state
        .unit_tasks
        .get(unit_id)
        .into_iter()
        .flatten()
        .filter_map(|a| state.tasks.get(a))
        .filter(|t| task_healthy(peers, t))
        .count() as i64
}

/// The tasks of a unit that are still meant to run, least advanced first (pending before running).
fn live_tasks(state: &State, unit_id: &str) -> Vec<(Status, String)> {
    let mut v: Vec<(Status, String)> = state
        .unit_tasks
        .get(unit_id)
        .into_iter()
        .flatten()
        .filter_map(|a| state.tasks.get(a))
        .filter(|t| t.desired_running)
        .map(|t| (t.status, t.arn.clone()))
        .collect();
    v.sort();
    v
}

/// The desired count of a task set: ceil(desiredCount × scale%).
pub fn computed_desired(desired: i64, scale: f64) -> i64 {
    ((desired as f64) * scale / 100.0 - 1e-9).ceil().max(0.0) as i64
}

/// The scheduler's means: this region's ECS state, the environment, the peers and the partition.
struct Sched<'a, 'e> {
    st: &'a mut State,
    env: &'a mut Env<'e>,
    peers: &'a mut dyn Peers,
    key: &'a PartitionKey,
}

fn start_unit_tasks(s: &mut Sched<'_, '_>, svc: &Service, unit: &Unit, n: i64) -> Vec<String> {
    let mut started = Vec::new();
    for _ in 0..n {
        let spec = TaskSpec {
            cluster_arn: svc.cluster_arn.clone(),
            task_definition_arn: unit.task_definition.clone(),
            group: format!("service:{}", svc.name),
            started_by: Some(unit.id.clone()),
            owner: Owner::Service {
                service_arn: svc.arn.clone(),
                unit_id: unit.id.clone(),
            },
            launch_type: unit.launch_type.clone(),
            platform_version: unit.platform_version.clone(),
            awsvpc: unit
                .network_configuration
                .as_ref()
                .and_then(|n| n.get("awsvpcConfiguration"))
                .cloned(),
            load_balancers: unit.lb_triples(),
            health_check_grace_secs: svc.health_check_grace_period.unwrap_or(0) as f64,
            tags: Vec::new(),
        };
        match tasks::start(s.st, s.env, s.peers, s.key, spec) {
            Ok(arn) => {
                s.st.unit_tasks.entry(unit.id.clone()).or_default().insert(arn.clone());
                started.push(arn);
            }
            Err(e) => {
                add_event(
                    s.st,
                    s.env,
                    &svc.arn,
                    format!("{} was unable to place a task. Reason: {}.", svc.short(), e.message),
                );
                break;
            }
        }
    }
    started
}

fn stop_tasks(s: &mut Sched<'_, '_>, svc: &Service, arns: &[String]) {
    let mut stopped = Vec::new();
    for a in arns {
        let reason = format!(
            "Scaling activity initiated by (deployment {})",
            svc.units().first().map(|u| u.id.as_str()).unwrap_or("")
        );
        if tasks::stop(s.st, s.env, s.peers, s.key, a, &reason, "ServiceSchedulerInitiated") {
            stopped.push(a.rsplit('/').next().unwrap_or("").to_owned());
        }
    }
    if !stopped.is_empty() {
        let list: Vec<String> = stopped.iter().map(|t| format!("(task {t})")).collect();
        add_event(
            s.st,
            s.env,
            &svc.arn,
            format!(
                "{} has stopped {} running tasks: {}.",
                svc.short(),
                stopped.len(),
                list.join(" ")
            ),
        );
    }
}

/// The service scheduler: brings every unit to its target count within the deployment
/// configuration's limits, then updates stability, rollout state and the steady-state event.
pub fn reconcile(st: &mut State, env: &mut Env<'_>, peers: &mut dyn Peers, key: &PartitionKey, service_arn: &str) {
    let Some(svc) = st.services.get_mut(service_arn) else {
        return;
    };
    svc.reconcile_pending = false;
    let svc = svc.clone();
    if svc.status == ServiceStatus::Inactive {
        return;
    }
    let draining = svc.status == ServiceStatus::Draining;
    // Targets per unit.
    let targets: Vec<(Unit, i64, bool)> = if svc.controller == DeploymentControllerType::Ecs {
        svc.deployments
            .iter()
            .map(|d| {
                (
                    d.unit.clone(),
                    if d.status == DeploymentStatus::Primary && !draining {
                        svc.desired_count
                    } else {
                        0
                    },
                    d.status == DeploymentStatus::Primary,
                )
            })
            .collect()
    } else {
        svc.task_sets
            .iter()
            .map(|t| {
                let n = if t.status == TaskSetStatus::Draining || draining {
                    0
                } else {
                    computed_desired(svc.desired_count, t.scale)
                };
                (t.unit.clone(), n, t.status == TaskSetStatus::Primary)
            })
            .collect()
    };
    let pct = |k: &str, d: i64| svc.deployment_configuration.get(k).and_then(Value::as_i64).unwrap_or(d);
    let (max_pct, min_pct) = (pct("maximumPercent", 200), pct("minimumHealthyPercent", 100));
    let rolling = svc.controller == DeploymentControllerType::Ecs && !draining;
    let max_total = if rolling {
        (svc.desired_count * max_pct / 100).max(svc.desired_count.min(1))
    } else {
        i64::MAX
    };
    let min_healthy = if rolling {
        (svc.desired_count * min_pct + 99) / 100
    } else {
        0
    };

    let mut started_all = Vec::new();
    let mut to_stop = Vec::new();
    let mut total_live: i64 = targets.iter().map(|(u, _, _)| unit_counts(st, &u.id).3).sum();
    let healthy_total: i64 = targets.iter().map(|(u, _, _)| healthy_count(st, peers, &u.id)).sum();
    let mut can_stop_healthy = (healthy_total - min_healthy).max(0);
    let mut plan_start: Vec<(Unit, i64)> = Vec::new();
    for (unit, target, _) in &targets {
        let live = live_tasks(st, &unit.id);
        let n_live = live.len() as i64;
        if n_live < *target {
            let room = (max_total - total_live).max(0);
            let n = (*target - n_live).min(room);
            if n > 0 {
                plan_start.push((unit.clone(), n));
                total_live += n;
            }
        } else if n_live > *target {
            let excess = (n_live - target) as usize;
            // Least advanced first; a task that is not yet healthy never counts toward the
            // minimum healthy percent, so it can always go.
            for (_, a) in live.into_iter().take(excess) {
                let is_healthy = st.tasks.get(&a).is_some_and(|t| task_healthy(peers, t));
                if is_healthy && rolling {
                    if can_stop_healthy == 0 {
                        continue;
                    }
                    can_stop_healthy -= 1;
                }
                to_stop.push(a);
            }
        }
    }
    let mut s = Sched { st, env, peers, key };
    for (unit, n) in plan_start {
        let started = start_unit_tasks(&mut s, &svc, &unit, n);
        started_all.extend(started);
    }
    if !started_all.is_empty() {
        let list: Vec<String> = started_all
            .iter()
            .map(|a| format!("(task {})", a.rsplit('/').next().unwrap_or("")))
            .collect();
        add_event(
            s.st,
            s.env,
            &svc.arn,
            format!(
                "{} has started {} tasks: {}.",
                svc.short(),
                started_all.len(),
                list.join(" ")
            ),
        );
    }
    stop_tasks(&mut s, &svc, &to_stop);
    update_stability(&mut s, service_arn, &targets);
}

fn update_stability(s: &mut Sched<'_, '_>, service_arn: &str, targets: &[(Unit, i64, bool)]) {
    let now = s.env.now;
    let mut steady_units = Vec::new();
    for (unit, target, _) in targets {
        let state = &*s.st;
        let (pending, running, _, live) = unit_counts(state, &unit.id);
        let healthy = healthy_count(state, s.peers, &unit.id);
        let all_stopped = state
            .unit_tasks
            .get(&unit.id)
            .into_iter()
            .flatten()
            .filter_map(|a| state.tasks.get(a))
            .all(|t| t.status == Status::Stopped);
        let steady = pending == 0 && running == *target && live == *target && healthy == *target;
        steady_units.push((unit.id.clone(), steady, all_stopped && *target == 0));
    }
    let Some(svc) = s.st.services.get_mut(service_arn) else {
        return;
    };
    let mut messages = Vec::new();
    let short = svc.short();
    for (id, steady, _) in &steady_units {
        if let Some(ts) = svc.task_sets.iter_mut().find(|t| &t.unit.id == id) {
            let new = if *steady {
                StabilityStatus::SteadyState
            } else {
                StabilityStatus::Stabilizing
            };
            if ts.stability_status != new {
                ts.stability_status = new;
                ts.stability_status_at = now;
                if *steady {
                    messages.push((
                        format!("(service {}, taskSet {id}) updated state to STEADY_STATE.", svc.name),
                        id.clone(),
                    ));
                }
            }
        }
    }
    // Units that have finished: DRAINING task sets with no tasks, old deployments with no tasks.
    let gone: Vec<String> = steady_units
        .iter()
        .filter(|(_, _, done)| *done)
        .map(|(id, _, _)| id.clone())
        .collect();
    svc.task_sets
        .retain(|t| !(t.status == TaskSetStatus::Draining && gone.contains(&t.unit.id)));
    svc.deployments
        .retain(|d| !(d.status != DeploymentStatus::Primary && gone.contains(&d.unit.id)));
    let all_steady = steady_units.iter().all(|(id, s, _)| *s || gone.contains(id));
    let only_primary = svc.controller != DeploymentControllerType::Ecs || svc.deployments.len() == 1;
    if let Some(d) = svc
        .deployments
        .iter_mut()
        .find(|d| d.status == DeploymentStatus::Primary)
    {
        if all_steady && only_primary && d.rollout_state == DeploymentRolloutState::InProgress {
            d.rollout_state = DeploymentRolloutState::Completed;
            d.rollout_state_reason = "ECS deployment ecs-svc completed.".replace("ecs-svc", &d.unit.id);
            d.unit.updated_at = now;
        }
    }
    let drained = svc.status == ServiceStatus::Draining && steady_units.iter().all(|(_, _, done)| *done);
    if drained {
        svc.status = ServiceStatus::Inactive;
    }
    let steady_now = all_steady && only_primary && svc.status == ServiceStatus::Active;
    let became_steady = steady_now && !svc.steady;
    svc.steady = steady_now;
    let arn = svc.arn.clone();
    for (m, id) in messages {
        add_event_of(s.st, s.env, &arn, m, Some(id));
    }
    if became_steady {
        add_event(s.st, s.env, &arn, format!("{short} has reached a steady state."));
    }
    if drained {
        let at = now.plus_secs(INACTIVE_RETENTION_SECS);
        s.env
            .schedule(at, s.key, Signal::Service(ServiceEvent::Forget { service_arn: arn }));
    }
}

/// Fires a service event (`lifecycle::drive`).
pub fn fire(st: &mut State, env: &mut Env<'_>, peers: &mut dyn Peers, key: &PartitionKey, event: ServiceEvent) {
    match event {
        ServiceEvent::Reconcile { service_arn } => reconcile(st, env, peers, key, &service_arn),
        ServiceEvent::Forget { service_arn } => {
            if st
                .services
                .get(&service_arn)
                .is_some_and(|s| s.status == ServiceStatus::Inactive)
            {
                st.services.remove(&service_arn);
            }
        }
    }
}

/// Service counts for its cluster's description.
pub fn service_counts(state: &State, svc: &Service) -> (i64, i64) {
    svc.units()
        .iter()
        .map(|u| unit_counts(state, &u.id))
        .fold((0, 0), |(p, r), c| (p + c.0, r + c.1))
}

fn unit_json(state: &State, u: &Unit) -> serde_json::Map<String, Value> {
    let (pending, running, _, _) = unit_counts(state, &u.id);
    let v = obj([
        ("id", json!(u.id)),
        ("taskDefinition", json!(u.task_definition)),
        ("pendingCount", json!(pending)),
        ("runningCount", json!(running)),
        ("createdAt", json!(u.created_at.as_secs_f64())),
        ("updatedAt", json!(u.updated_at.as_secs_f64())),
        ("launchType", json!(u.launch_type)),
        ("platformVersion", opt_json(&u.platform_version)),
        ("platformFamily", super::platform_family(&u.launch_type)),
        (
            "networkConfiguration",
            u.network_configuration.clone().unwrap_or(Value::Null),
        ),
    ]);
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

pub fn task_set_json(state: &State, svc: &Service, ts: &TaskSet, include_tags: bool) -> Value {
    let mut m = unit_json(state, &ts.unit);
    m.insert("taskSetArn".into(), json!(ts.arn));
    m.insert("serviceArn".into(), json!(svc.arn));
    m.insert("clusterArn".into(), json!(svc.cluster_arn));
    m.insert("status".into(), json!(ts.status));
    m.insert(
        "computedDesiredCount".into(),
        json!(computed_desired(svc.desired_count, ts.scale)),
    );
    m.insert("loadBalancers".into(), json!(ts.unit.load_balancers));
    m.insert("serviceRegistries".into(), json!(ts.unit.service_registries));
    m.insert("scale".into(), json!({"value": ts.scale, "unit": "PERCENT"}));
    m.insert("stabilityStatus".into(), json!(ts.stability_status));
    m.insert("stabilityStatusAt".into(), json!(ts.stability_status_at.as_secs_f64()));
    if let Some(s) = &ts.started_by {
        m.insert("startedBy".into(), json!(s));
    }
    if let Some(s) = &ts.external_id {
        m.insert("externalId".into(), json!(s));
    }
    if !ts.unit.capacity_provider_strategy.is_empty() {
        m.insert(
            "capacityProviderStrategy".into(),
            json!(ts.unit.capacity_provider_strategy),
        );
    }
    if include_tags {
        m.insert("tags".into(), tags::tags_json(state, &ts.arn));
    }
    Value::Object(m)
}

pub fn service_json(state: &State, svc: &Service, include_tags: bool) -> Value {
    let (pending, running) = service_counts(state, svc);
    let deployments: Vec<Value> = svc
        .deployments
        .iter()
        .map(|d| {
            let mut m = unit_json(state, &d.unit);
            m.insert("status".into(), json!(d.status));
            m.insert(
                "desiredCount".into(),
                json!(if d.status == DeploymentStatus::Primary {
                    svc.desired_count
                } else {
                    0
                }),
            );
            m.insert("failedTasks".into(), json!(d.failed_tasks));
            m.insert("rolloutState".into(), json!(d.rollout_state));
            m.insert("rolloutStateReason".into(), json!(d.rollout_state_reason));
            Value::Object(m)
        })
        .collect();
    let events: Vec<Value> = svc
        .events
        .iter()
        .map(|(id, t, m)| json!({"id": id, "createdAt": t.as_secs_f64(), "message": m}))
        .collect();
    let mut v = obj([
        ("serviceArn", json!(svc.arn)),
        ("serviceName", json!(svc.name)),
        ("clusterArn", json!(svc.cluster_arn)),
        ("loadBalancers", json!(svc.load_balancers)),
        ("serviceRegistries", json!(svc.service_registries)),
        ("status", json!(svc.status)),
        ("desiredCount", json!(svc.desired_count)),
        ("runningCount", json!(running)),
        ("pendingCount", json!(pending)),
        ("launchType", opt_json(&svc.launch_type)),
        (
            "capacityProviderStrategy",
            if svc.capacity_provider_strategy.is_empty() {
                Value::Null
            } else {
                json!(svc.capacity_provider_strategy)
            },
        ),
        ("platformVersion", opt_json(&svc.platform_version)),
        (
            "platformFamily",
            if svc.launch_type.as_deref() == Some("FARGATE") {
                json!("Linux")
            } else {
                Value::Null
            },
        ),
        ("taskDefinition", opt_json(&svc.task_definition)),
        ("deploymentConfiguration", svc.deployment_configuration.clone()),
        ("deployments", json!(deployments)),
        ("roleArn", opt_json(&svc.role_arn)),
        ("events", json!(events)),
        ("createdAt", json!(svc.created_at.as_secs_f64())),
        ("placementConstraints", svc.placement_constraints.clone()),
        ("placementStrategy", svc.placement_strategy.clone()),
        (
            "networkConfiguration",
            svc.network_configuration.clone().unwrap_or(Value::Null),
        ),
        (
            "healthCheckGracePeriodSeconds",
            svc.health_check_grace_period.map(|g| json!(g)).unwrap_or(Value::Null),
        ),
        ("schedulingStrategy", json!(svc.scheduling_strategy)),
        ("deploymentController", json!({"type": svc.controller})),
        ("createdBy", json!(svc.created_by)),
        ("enableECSManagedTags", json!(svc.enable_ecs_managed_tags)),
        (
            "propagateTags",
            json!(svc.propagate_tags.clone().unwrap_or_else(|| "NONE".into())),
        ),
        ("enableExecuteCommand", json!(svc.enable_execute_command)),
        ("availabilityZoneRebalancing", json!("DISABLED")),
    ]);
    if svc.controller != DeploymentControllerType::Ecs {
        v["taskSets"] = Value::Array(
            svc.task_sets
                .iter()
                .map(|t| task_set_json(state, svc, t, false))
                .collect(),
        );
    }
    if include_tags {
        v["tags"] = tags::tags_json(state, &svc.arn);
    }
    v
}

/// Finds a service of a cluster by name or ARN (any status).
pub fn find<'a>(state: &'a State, cluster_arn: &str, ident: &str) -> Option<&'a Service> {
    let name = name_from_arn(ident);
    // The newest service with that name wins (an INACTIVE one may linger next to a new one).
    state
        .services
        .values()
        .filter(|s| s.cluster_arn == cluster_arn && s.name == name)
        .max_by_key(|s| (s.status != ServiceStatus::Inactive, s.created_at))
}

/// The ARN of the ACTIVE cluster a call names (`default`, created on first use, when none).
pub fn cluster_arn(st: &mut State, env: &Env<'_>, ctx: &Ctx, cluster: Option<&str>) -> AwsResult<String> {
    clusters::resolve_active(st, ctx, cluster, env.now).map(|c| c.arn.clone())
}

/// Resolves the ACTIVE service a call names, returning its ARN.
pub fn active_service_arn(
    st: &mut State,
    env: &Env<'_>,
    ctx: &Ctx,
    cluster: Option<&str>,
    service: &str,
) -> AwsResult<String> {
    let c = cluster_arn(st, env, ctx, cluster)?;
    let svc = find(st, &c, service).ok_or_else(service_not_found)?;
    if svc.status != ServiceStatus::Active {
        return Err(not_active());
    }
    Ok(svc.arn.clone())
}

/// Checks a service's (or task set's) load balancers against the task definition and ELBv2.
pub fn check_load_balancers(peers: &dyn Peers, lbs: &[Value], td: &task_definitions::TaskDefinition) -> AwsResult<()> {
    for lb in lbs {
        let tg = lb.get("targetGroupArn").and_then(Value::as_str);
        let name = lb.get("containerName").and_then(Value::as_str);
        let port = lb.get("containerPort").and_then(Value::as_i64);
        let (Some(tg), Some(name), Some(port)) = (tg, name, port) else {
            if lb.get("loadBalancerName").is_some() {
                return Err(invalid_parameter(
                    "Classic Load Balancers are not supported by cutover; use a target group.",
                ));
            }
            return Err(invalid_parameter(
                "targetGroupArn, containerName and containerPort must be specified for each load balancer.",
            ));
        };
        if td.container(name).is_none() {
            return Err(invalid_parameter(format!(
                "The container {name} does not exist in the task definition."
            )));
        }
        if !td.container_has_port(name, port) {
            return Err(invalid_parameter(format!(
                "The container {name} did not have a container port {port} defined."
            )));
        }
        match peers.target_group_behind_load_balancer(tg) {
            None => return Err(invalid_parameter(format!("Unable to find target group: {tg}"))),
            Some(false) => {
                return Err(invalid_parameter(format!(
                    "The target group with targetGroupArn {tg} does not have an associated load balancer."
                )))
            }
            Some(true) => {}
        }
    }
    Ok(())
}

fn launch_type_of(input: &Value) -> (Option<String>, Vec<Value>) {
    let cps = input
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let lt = opt_str(input, "launchType")
        .map(str::to_owned)
        .or_else(|| cps.is_empty().then(|| "EC2".to_owned()));
    (lt, cps)
}

fn default_deployment_configuration(controller: &DeploymentControllerType, given: Option<&Value>) -> Value {
    let mut m = given.and_then(Value::as_object).cloned().unwrap_or_default();
    m.entry("maximumPercent").or_insert(json!(200));
    m.entry("minimumHealthyPercent").or_insert(json!(100));
    if *controller == DeploymentControllerType::Ecs {
        m.entry("deploymentCircuitBreaker")
            .or_insert(json!({"enable": false, "rollback": false}));
    }
    Value::Object(m)
}

pub fn create_service(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: Value,
) -> AwsResult<Value> {
    let key = ctx.partition();
    let now = env.now;
    let name = opt_str(&input, "serviceName").unwrap_or_default().to_owned();
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid_parameter(
            "Service name can only contain letters, numbers, hyphens and underscores, and be up to 255 characters long.",
        ));
    }
    let cluster_arn = cluster_arn(st, env, ctx, opt_str(&input, "cluster"))?;
    let controller = DeploymentControllerType::from(
        input
            .pointer("/deploymentController/type")
            .and_then(Value::as_str)
            .unwrap_or("ECS"),
    );
    let scheduling = SchedulingStrategy::from(opt_str(&input, "schedulingStrategy").unwrap_or("REPLICA"));
    if scheduling == SchedulingStrategy::Daemon {
        if controller != DeploymentControllerType::Ecs {
            return Err(invalid_parameter(format!(
                "The DAEMON scheduling strategy is not supported with the {controller} deployment controller."
            )));
        }
        return Err(invalid_parameter(
            "The DAEMON scheduling strategy requires container instances, which cutover does not emulate; use REPLICA.",
        ));
    }
    let desired = input.get("desiredCount").and_then(Value::as_i64).unwrap_or(0);
    if desired < 0 {
        return Err(invalid_parameter("desiredCount must be 0 or more."));
    }
    let lbs = input
        .get("loadBalancers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if controller == DeploymentControllerType::CodeDeploy {
        if lbs.is_empty() {
            return Err(invalid_parameter(
                "A load balancer (targetGroupArn, containerName and containerPort) is required for a service with the CODE_DEPLOY deployment controller.",
            ));
        }
        if input.pointer("/deploymentConfiguration/alarms").is_some() {
            return Err(invalid_parameter(
                "Alarm based rollback feature is only supported with ECS deployment controller.",
            ));
        }
    }
    if input.get("healthCheckGracePeriodSeconds").is_some() && lbs.is_empty() {
        return Err(invalid_parameter(
            "Health check grace period is only valid for services configured to use load balancers",
        ));
    }
    {
        if let Some(existing) = find(st, &cluster_arn, &name) {
            match existing.status {
                ServiceStatus::Draining => {
                    return Err(invalid_parameter("Unable to Start a service that is still Draining."))
                }
                ServiceStatus::Active => return Err(invalid_parameter("Creation of service was not idempotent.")),
                _ => {}
            }
        }
    }
    let td_ident = opt_str(&input, "taskDefinition").map(str::to_owned);
    if td_ident.is_none() && controller != DeploymentControllerType::External {
        return Err(invalid_parameter("TaskDefinition must be specified."));
    }
    let (launch_type, cps) = launch_type_of(&input);
    let effective_lt = launch_type.clone().unwrap_or_else(|| "FARGATE".into());
    let mut td_arn = None;
    let mut network = None;
    if let Some(ident) = &td_ident {
        let td = task_definitions::find(st, ident)
            .filter(|t| t.status == super::task_definitions::TaskDefinitionStatus::Active)
            .ok_or_else(|| super::client_error("TaskDefinition not found."))?
            .clone();
        if effective_lt == "FARGATE"
            && !td.body["compatibilities"]
                .as_array()
                .is_some_and(|a| a.iter().any(|c| c == "FARGATE"))
        {
            return Err(invalid_parameter(
                "Task definition does not support launch_type FARGATE.",
            ));
        }
        if effective_lt == "EC2" {
            return Err(invalid_parameter("No Container Instances were found in your cluster."));
        }
        check_load_balancers(peers, &lbs, &td)?;
        let vpc = tasks::check_network(peers, input.get("networkConfiguration"), td.network_mode() == "awsvpc")?;
        network = vpc.map(|v| {
            let mut v = v;
            if v.get("assignPublicIp").is_none() {
                v["assignPublicIp"] = json!("DISABLED");
            }
            if v.get("securityGroups").is_none() {
                v["securityGroups"] = json!([]);
            }
            json!({"awsvpcConfiguration": v})
        });
        td_arn = Some(td.arn.clone());
    }
    let platform_version =
        (effective_lt == "FARGATE").then(|| opt_str(&input, "platformVersion").unwrap_or("LATEST").to_owned());
    let svc_arn = arn(
        &key.region,
        &key.account,
        &format!("service/{}/{name}", name_from_arn(&cluster_arn)),
    );
    let mut svc = Service {
        arn: svc_arn.clone(),
        name: name.clone(),
        cluster_arn: cluster_arn.clone(),
        status: ServiceStatus::Active,
        controller: controller.clone(),
        task_definition: td_arn.clone(),
        desired_count: desired,
        launch_type: launch_type.clone(),
        capacity_provider_strategy: cps.clone(),
        platform_version: platform_version.clone(),
        load_balancers: lbs.clone(),
        network_configuration: network.clone(),
        service_registries: input
            .get("serviceRegistries")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        deployment_configuration: default_deployment_configuration(&controller, input.get("deploymentConfiguration")),
        health_check_grace_period: input
            .get("healthCheckGracePeriodSeconds")
            .and_then(Value::as_i64)
            .or(if lbs.is_empty() { None } else { Some(0) }),
        scheduling_strategy: scheduling,
        role_arn: opt_str(&input, "role").map(str::to_owned),
        placement_constraints: input.get("placementConstraints").cloned().unwrap_or(json!([])),
        placement_strategy: input.get("placementStrategy").cloned().unwrap_or(json!([])),
        propagate_tags: opt_str(&input, "propagateTags").map(str::to_owned),
        enable_ecs_managed_tags: input
            .get("enableECSManagedTags")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        enable_execute_command: input
            .get("enableExecuteCommand")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        created_at: now,
        created_by: ctx.caller.arn.clone(),
        deployments: Vec::new(),
        task_sets: Vec::new(),
        events: VecDeque::new(),
        steady: false,
        reconcile_pending: false,
    };
    if let Some(td) = &td_arn {
        let unit = Unit {
            id: unit_id(env.ids),
            task_definition: td.clone(),
            launch_type: effective_lt.clone(),
            platform_version: platform_version.clone(),
            capacity_provider_strategy: cps.clone(),
            network_configuration: network.clone(),
            load_balancers: lbs.clone(),
            service_registries: svc.service_registries.clone(),
            created_at: now,
            updated_at: now,
        };
        match controller {
            DeploymentControllerType::Ecs => svc.deployments.push(Deployment {
                unit,
                status: DeploymentStatus::Primary,
                rollout_state: DeploymentRolloutState::InProgress,
                rollout_state_reason: String::new(),
                failed_tasks: 0,
            }),
            DeploymentControllerType::CodeDeploy => {
                let ts_arn = task_set_arn(&key, &cluster_arn, &name, &unit.id);
                svc.task_sets.push(TaskSet {
                    unit,
                    arn: ts_arn,
                    status: TaskSetStatus::Primary,
                    scale: 100.0,
                    started_by: None,
                    external_id: None,
                    stability_status: StabilityStatus::Stabilizing,
                    stability_status_at: now,
                })
            }
            _ => {}
        }
        if let Some(d) = svc.deployments.first_mut() {
            d.rollout_state_reason = format!("ECS deployment {} in progress.", d.unit.id);
        }
    }
    st.services
        .retain(|_, s| !(s.cluster_arn == cluster_arn && s.name == name && s.status == ServiceStatus::Inactive));
    tags::add_tags(st, &svc_arn, input.get("tags"))?;
    st.services.insert(svc_arn.clone(), svc);
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("service {name} created with the {controller} deployment controller"),
        json!({"service": svc_arn}),
    ));
    poke(st, env, &key, &svc_arn);
    Ok(json!({"service": service_json(st, &st.services[&svc_arn], false)}))
}

pub fn task_set_arn(key: &PartitionKey, cluster_arn: &str, service: &str, unit_id: &str) -> String {
    arn(
        &key.region,
        &key.account,
        &format!("task-set/{}/{service}/{unit_id}", name_from_arn(cluster_arn)),
    )
}

pub fn describe_services(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let names = str_list(&input, "services");
    if names.len() > 10 {
        return Err(invalid_parameter("services can have at most 10 items."));
    }
    let include_tags = str_list(&input, "include").iter().any(|i| i == "TAGS");
    let c = cluster_arn(st, env, ctx, opt_str(&input, "cluster"))?;
    let state = &*st;
    let mut services = Vec::new();
    let mut failures = Vec::new();
    for n in names {
        match find(state, &c, &n) {
            Some(s) => services.push(service_json(state, s, include_tags)),
            None => {
                let a = if n.starts_with("arn:") {
                    n.clone()
                } else {
                    arn(&key.region, &key.account, &format!("service/{}/{n}", name_from_arn(&c)))
                };
                failures.push(json!({"arn": a, "reason": "MISSING"}));
            }
        }
    }
    Ok(json!({"services": services, "failures": failures}))
}

pub fn list_services(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let c = cluster_arn(st, env, ctx, opt_str(&input, "cluster"))?;
    let lt = opt_str(&input, "launchType");
    let strategy = opt_str(&input, "schedulingStrategy");
    let max = input.get("maxResults").and_then(Value::as_i64).unwrap_or(10);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let mut list: Vec<&Service> = st
        .services
        .values()
        .filter(|s| s.cluster_arn == c && s.status != ServiceStatus::Inactive)
        .filter(|s| lt.is_none_or(|l| s.launch_type.as_deref() == Some(l)))
        .filter(|s| strategy.is_none_or(|st| s.scheduling_strategy.as_str() == st))
        .collect();
    list.sort_by_key(|s| s.created_at);
    let arns: Vec<String> = list.iter().map(|s| s.arn.clone()).collect();
    let (page, next) = paginate(
        &arns,
        opt_str(&input, "nextToken"),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(obj([("serviceArns", json!(page)), ("nextToken", json!(next))]))
}

pub fn update_service(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: Value,
) -> AwsResult<Value> {
    let key = ctx.partition();
    let now = env.now;
    let svc_arn = active_service_arn(
        st,
        env,
        ctx,
        opt_str(&input, "cluster"),
        opt_str(&input, "service").unwrap_or_default(),
    )?;
    let svc = st.services[&svc_arn].clone();
    let controller = svc.controller.clone();
    if controller != DeploymentControllerType::Ecs {
        let refuse = |what: &str| {
            invalid_parameter(format!(
                "Unable to update {what} on services with a {controller} deployment controller. Use AWS CodeDeploy to trigger a new deployment."
            ))
        };
        let refuse = |what: &str| {
            if controller == DeploymentControllerType::CodeDeploy {
                refuse(what)
            } else {
                invalid_parameter(format!("Unable to update {what} on services with a {controller} deployment controller. Use the task set APIs instead."))
            }
        };
        if let Some(td) = opt_str(&input, "taskDefinition") {
            let same = task_definitions::find(st, td).map(|t| t.arn.clone()) == svc.task_definition;
            if !same {
                return Err(refuse("task definition"));
            }
        }
        if input.get("loadBalancers").is_some() {
            return Err(refuse("load balancers"));
        }
        if input.get("networkConfiguration").is_some() {
            return Err(refuse("network parameters"));
        }
        if input.get("platformVersion").is_some() {
            return Err(refuse("platform version"));
        }
        if input.get("capacityProviderStrategy").is_some() {
            return Err(refuse("capacity provider strategy"));
        }
        if input.get("forceNewDeployment").and_then(Value::as_bool) == Some(true) {
            return Err(refuse("the deployment (forceNewDeployment)"));
        }
    }
    if let Some(dc) = input.pointer("/deploymentController/type").and_then(Value::as_str) {
        if DeploymentControllerType::from(dc) != controller {
            return Err(invalid_parameter(format!(
                "Updating the deployment controller from {controller} to {dc} is not supported by cutover; delete and recreate the service."
            )));
        }
    }
    if let Some(d) = input.get("desiredCount").and_then(Value::as_i64) {
        if d < 0 {
            return Err(invalid_parameter("desiredCount must be 0 or more."));
        }
    }
    // ECS controller: a change of task definition, network, platform or load balancers starts a deployment.
    let mut new_unit: Option<Unit> = None;
    if controller == DeploymentControllerType::Ecs {
        let base = svc
            .deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
            .map(|d| d.unit.clone());
        let mut unit = base.clone();
        let mut changed = input.get("forceNewDeployment").and_then(Value::as_bool) == Some(true);
        let td_ident = opt_str(&input, "taskDefinition").map(str::to_owned);
        let td = {
            let ident = td_ident
                .clone()
                .or_else(|| svc.task_definition.clone())
                .unwrap_or_default();
            task_definitions::find(st, &ident).cloned()
        };
        let Some(td) = td else {
            return Err(super::client_error("TaskDefinition not found."));
        };
        if let Some(u) = unit.as_mut() {
            if td.arn != u.task_definition {
                u.task_definition = td.arn.clone();
                changed = true;
            }
            if let Some(lbs) = input.get("loadBalancers").and_then(Value::as_array) {
                check_load_balancers(peers, lbs, &td)?;
                u.load_balancers = lbs.clone();
                changed = true;
            }
            if input.get("networkConfiguration").is_some() {
                let vpc =
                    tasks::check_network(peers, input.get("networkConfiguration"), td.network_mode() == "awsvpc")?;
                u.network_configuration = vpc.map(|v| json!({"awsvpcConfiguration": v}));
                changed = true;
            }
            if let Some(p) = opt_str(&input, "platformVersion") {
                u.platform_version = Some(p.to_owned());
                changed = true;
            }
        }
        if changed {
            if let Some(mut u) = unit {
                u.id = unit_id(env.ids);
                u.created_at = now;
                u.updated_at = now;
                new_unit = Some(u);
            }
        }
    }
    let s = st.services.get_mut(&svc_arn).ok_or_else(service_not_found)?;
    if let Some(d) = input.get("desiredCount").and_then(Value::as_i64) {
        s.desired_count = d;
    }
    if let Some(dc) = input.get("deploymentConfiguration") {
        s.deployment_configuration = default_deployment_configuration(&controller, Some(dc));
    }
    if let Some(g) = input.get("healthCheckGracePeriodSeconds").and_then(Value::as_i64) {
        s.health_check_grace_period = Some(g);
    }
    for (k, slot) in [
        ("placementConstraints", &mut s.placement_constraints),
        ("placementStrategy", &mut s.placement_strategy),
    ] {
        if let Some(v) = input.get(k) {
            *slot = v.clone();
        }
    }
    if let Some(p) = opt_str(&input, "propagateTags") {
        s.propagate_tags = Some(p.to_owned());
    }
    if let Some(b) = input.get("enableECSManagedTags").and_then(Value::as_bool) {
        s.enable_ecs_managed_tags = b;
    }
    if let Some(b) = input.get("enableExecuteCommand").and_then(Value::as_bool) {
        s.enable_execute_command = b;
    }
    if let Some(u) = new_unit {
        for d in s.deployments.iter_mut() {
            d.status = DeploymentStatus::Active;
        }
        s.task_definition = Some(u.task_definition.clone());
        s.load_balancers = u.load_balancers.clone();
        s.network_configuration = u.network_configuration.clone();
        s.platform_version = u.platform_version.clone();
        let reason = format!("ECS deployment {} in progress.", u.id);
        s.deployments.insert(
            0,
            Deployment {
                unit: u,
                status: DeploymentStatus::Primary,
                rollout_state: DeploymentRolloutState::InProgress,
                rollout_state_reason: reason,
                failed_tasks: 0,
            },
        );
        s.steady = false;
    }
    s.steady = s.steady && input.get("desiredCount").is_none();
    poke(st, env, &key, &svc_arn);
    Ok(json!({"service": service_json(st, &st.services[&svc_arn], false)}))
}

pub fn delete_service(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: Value,
) -> AwsResult<Value> {
    let key = ctx.partition();
    let c = cluster_arn(st, env, ctx, opt_str(&input, "cluster"))?;
    let ident = opt_str(&input, "service").unwrap_or_default();
    let force = input.get("force").and_then(Value::as_bool).unwrap_or(false);
    let state = &mut *st;
    let svc = find(state, &c, ident).ok_or_else(service_not_found)?;
    if svc.status != ServiceStatus::Active {
        return Err(AwsError::new("ServiceNotActiveException", "Service was not ACTIVE."));
    }
    let arn = svc.arn.clone();
    let (pending, running) = service_counts(state, svc);
    if svc.desired_count > 0 && !force && svc.scheduling_strategy == SchedulingStrategy::Replica {
        return Err(invalid_parameter(
            "The service cannot be stopped while it is scaled above 0.",
        ));
    }
    let s = state.services.get_mut(&arn).ok_or_else(service_not_found)?;
    s.desired_count = 0;
    s.status = ServiceStatus::Draining;
    s.steady = false;
    let name = s.name.clone();
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("service {name} deleted ({} tasks to stop)", pending + running),
        json!({"service": arn}),
    ));
    // Reconcile now so that a service with no tasks becomes INACTIVE at once.
    reconcile(st, env, peers, &key, &arn);
    Ok(json!({"service": service_json(st, &st.services[&arn], false)}))
}
