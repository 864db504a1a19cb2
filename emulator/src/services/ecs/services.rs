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
use crate::services::util::paginate;
use crate::services::Ctx;
pub use crate::sim::signal::ServiceSignal as ServiceEvent;
use crate::sim::PartitionKey;
use crate::sim::{Signal, SimTime};
use cutover_types::ecs as t;
use std::collections::VecDeque;
use t::{DeploymentControllerType, DeploymentRolloutState, LaunchType, SchedulingStrategy, StabilityStatus};

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
    pub launch_type: LaunchType,
    pub platform_version: Option<String>,
    pub capacity_provider_strategy: Vec<t::CapacityProviderStrategyItem>,
    pub network_configuration: Option<t::NetworkConfiguration>,
    pub load_balancers: Vec<t::LoadBalancer>,
    pub service_registries: Vec<t::ServiceRegistry>,
    pub created_at: SimTime,
    pub updated_at: SimTime,
}

impl Unit {
    fn lb_triples(&self) -> Vec<(String, String, i64)> {
        self.load_balancers
            .iter()
            .filter_map(|lb| {
                Some((
                    lb.target_group_arn.clone()?,
                    lb.container_name.clone()?,
                    i64::from(lb.container_port?),
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
    pub launch_type: Option<LaunchType>,
    pub capacity_provider_strategy: Vec<t::CapacityProviderStrategyItem>,
    pub platform_version: Option<String>,
    pub load_balancers: Vec<t::LoadBalancer>,
    pub network_configuration: Option<t::NetworkConfiguration>,
    pub service_registries: Vec<t::ServiceRegistry>,
    pub deployment_configuration: t::DeploymentConfiguration,
    pub health_check_grace_period: Option<i64>,
    pub scheduling_strategy: SchedulingStrategy,
    pub role_arn: Option<String>,
    pub placement_constraints: Vec<t::PlacementConstraint>,
    pub placement_strategy: Vec<t::PlacementStrategy>,
    pub propagate_tags: Option<t::PropagateTags>,
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
                .and_then(|n| n.awsvpc_configuration.clone()),
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
        if tasks::stop(
            s.st,
            s.env,
            s.peers,
            s.key,
            a,
            &reason,
            t::TaskStopCode::ServiceSchedulerInitiated,
        ) {
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
    let dc = &svc.deployment_configuration;
    let max_pct = dc.maximum_percent.map_or(200, i64::from);
    let min_pct = dc.minimum_healthy_percent.map_or(100, i64::from);
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

/// The members a deployment and a task set share, from their unit.
struct UnitOut {
    id: Option<String>,
    task_definition: Option<String>,
    pending_count: Option<i32>,
    running_count: Option<i32>,
    created_at: Option<f64>,
    updated_at: Option<f64>,
    launch_type: Option<LaunchType>,
    platform_version: Option<String>,
    platform_family: Option<String>,
    network_configuration: Option<t::NetworkConfiguration>,
}

fn unit_out(state: &State, u: &Unit) -> UnitOut {
    let (pending, running, _, _) = unit_counts(state, &u.id);
    UnitOut {
        id: Some(u.id.clone()),
        task_definition: Some(u.task_definition.clone()),
        pending_count: Some(pending as i32),
        running_count: Some(running as i32),
        created_at: Some(u.created_at.as_secs_f64()),
        updated_at: Some(u.updated_at.as_secs_f64()),
        launch_type: Some(u.launch_type.clone()),
        platform_version: u.platform_version.clone(),
        platform_family: super::platform_family(&u.launch_type),
        network_configuration: u.network_configuration.clone(),
    }
}

pub fn task_set_out(state: &State, svc: &Service, ts: &TaskSet, include_tags: bool) -> t::TaskSet {
    let u = unit_out(state, &ts.unit);
    t::TaskSet {
        id: u.id,
        task_definition: u.task_definition,
        pending_count: u.pending_count,
        running_count: u.running_count,
        created_at: u.created_at,
        updated_at: u.updated_at,
        launch_type: u.launch_type,
        platform_version: u.platform_version,
        platform_family: u.platform_family,
        network_configuration: u.network_configuration,
        task_set_arn: Some(ts.arn.clone()),
        service_arn: Some(svc.arn.clone()),
        cluster_arn: Some(svc.cluster_arn.clone()),
        status: Some(ts.status.to_string()),
        computed_desired_count: Some(computed_desired(svc.desired_count, ts.scale) as i32),
        load_balancers: Some(ts.unit.load_balancers.clone()),
        service_registries: Some(ts.unit.service_registries.clone()),
        scale: Some(t::Scale {
            value: Some(ts.scale),
            unit: Some(t::ScaleUnit::Percent),
        }),
        stability_status: Some(ts.stability_status.clone()),
        stability_status_at: Some(ts.stability_status_at.as_secs_f64()),
        started_by: ts.started_by.clone(),
        external_id: ts.external_id.clone(),
        capacity_provider_strategy: (!ts.unit.capacity_provider_strategy.is_empty())
            .then(|| ts.unit.capacity_provider_strategy.clone()),
        tags: include_tags.then(|| tags::tags_of(state, &ts.arn)),
        ..Default::default()
    }
}

pub fn service_out(state: &State, svc: &Service, include_tags: bool) -> t::Service {
    let (pending, running) = service_counts(state, svc);
    let deployments: Vec<t::Deployment> = svc
        .deployments
        .iter()
        .map(|d| {
            let u = unit_out(state, &d.unit);
            t::Deployment {
                id: u.id,
                task_definition: u.task_definition,
                pending_count: u.pending_count,
                running_count: u.running_count,
                created_at: u.created_at,
                updated_at: u.updated_at,
                launch_type: u.launch_type,
                platform_version: u.platform_version,
                platform_family: u.platform_family,
                network_configuration: u.network_configuration,
                status: Some(d.status.to_string()),
                desired_count: Some(if d.status == DeploymentStatus::Primary {
                    svc.desired_count as i32
                } else {
                    0
                }),
                failed_tasks: Some(d.failed_tasks as i32),
                rollout_state: Some(d.rollout_state.clone()),
                rollout_state_reason: Some(d.rollout_state_reason.clone()),
                ..Default::default()
            }
        })
        .collect();
    let events: Vec<t::ServiceEvent> = svc
        .events
        .iter()
        .map(|(id, at, m)| t::ServiceEvent {
            id: Some(id.clone()),
            created_at: Some(at.as_secs_f64()),
            message: Some(m.clone()),
        })
        .collect();
    t::Service {
        service_arn: Some(svc.arn.clone()),
        service_name: Some(svc.name.clone()),
        cluster_arn: Some(svc.cluster_arn.clone()),
        load_balancers: Some(svc.load_balancers.clone()),
        service_registries: Some(svc.service_registries.clone()),
        status: Some(svc.status.to_string()),
        desired_count: Some(svc.desired_count as i32),
        running_count: Some(running as i32),
        pending_count: Some(pending as i32),
        launch_type: svc.launch_type.clone(),
        capacity_provider_strategy: (!svc.capacity_provider_strategy.is_empty())
            .then(|| svc.capacity_provider_strategy.clone()),
        platform_version: svc.platform_version.clone(),
        platform_family: svc.launch_type.as_ref().and_then(super::platform_family),
        task_definition: svc.task_definition.clone(),
        deployment_configuration: Some(svc.deployment_configuration.clone()),
        deployments: Some(deployments),
        role_arn: svc.role_arn.clone(),
        events: Some(events),
        created_at: Some(svc.created_at.as_secs_f64()),
        placement_constraints: Some(svc.placement_constraints.clone()),
        placement_strategy: Some(svc.placement_strategy.clone()),
        network_configuration: svc.network_configuration.clone(),
        health_check_grace_period_seconds: svc.health_check_grace_period.map(|g| g as i32),
        scheduling_strategy: Some(svc.scheduling_strategy.clone()),
        deployment_controller: Some(t::DeploymentController {
            r#type: svc.controller.clone(),
        }),
        created_by: Some(svc.created_by.clone()),
        enable_ecs_managed_tags: Some(svc.enable_ecs_managed_tags),
        propagate_tags: Some(svc.propagate_tags.clone().unwrap_or(t::PropagateTags::None)),
        enable_execute_command: Some(svc.enable_execute_command),
        availability_zone_rebalancing: Some(t::AvailabilityZoneRebalancing::Disabled),
        task_sets: (svc.controller != DeploymentControllerType::Ecs).then(|| {
            svc.task_sets
                .iter()
                .map(|ts| task_set_out(state, svc, ts, false))
                .collect()
        }),
        tags: include_tags.then(|| tags::tags_of(state, &svc.arn)),
        ..Default::default()
    }
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
pub fn check_load_balancers(
    peers: &dyn Peers,
    lbs: &[t::LoadBalancer],
    td: &task_definitions::TaskDefinition,
) -> AwsResult<()> {
    for lb in lbs {
        let (Some(tg), Some(name), Some(port)) = (&lb.target_group_arn, &lb.container_name, lb.container_port) else {
            if lb.load_balancer_name.is_some() {
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
        if !td.container_has_port(name, i64::from(port)) {
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

fn default_deployment_configuration(
    controller: &DeploymentControllerType,
    given: Option<t::DeploymentConfiguration>,
) -> t::DeploymentConfiguration {
    let mut c = given.unwrap_or_default();
    c.maximum_percent.get_or_insert(200);
    c.minimum_healthy_percent.get_or_insert(100);
    if *controller == DeploymentControllerType::Ecs {
        c.deployment_circuit_breaker.get_or_insert(t::DeploymentCircuitBreaker {
            enable: false,
            rollback: false,
        });
    }
    c
}

pub fn create_service(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: t::CreateServiceRequest,
) -> AwsResult<t::CreateServiceResponse> {
    let key = ctx.partition();
    let now = env.now;
    let name = input.service_name.clone();
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid_parameter(
            "Service name can only contain letters, numbers, hyphens and underscores, and be up to 255 characters long.",
        ));
    }
    let cluster_arn = cluster_arn(st, env, ctx, input.cluster.as_deref())?;
    let controller = input
        .deployment_controller
        .as_ref()
        .map_or(DeploymentControllerType::Ecs, |c| c.r#type.clone());
    let scheduling = input.scheduling_strategy.clone().unwrap_or(SchedulingStrategy::Replica);
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
    let desired = i64::from(input.desired_count.unwrap_or(0));
    if desired < 0 {
        return Err(invalid_parameter("desiredCount must be 0 or more."));
    }
    let lbs = input.load_balancers.clone().unwrap_or_default();
    if controller == DeploymentControllerType::CodeDeploy {
        if lbs.is_empty() {
            return Err(invalid_parameter(
                "A load balancer (targetGroupArn, containerName and containerPort) is required for a service with the CODE_DEPLOY deployment controller.",
            ));
        }
        if input
            .deployment_configuration
            .as_ref()
            .is_some_and(|d| d.alarms.is_some())
        {
            return Err(invalid_parameter(
                "Alarm based rollback feature is only supported with ECS deployment controller.",
            ));
        }
    }
    if input.health_check_grace_period_seconds.is_some() && lbs.is_empty() {
        return Err(invalid_parameter(
            "Health check grace period is only valid for services configured to use load balancers",
        ));
    }
    if let Some(existing) = find(st, &cluster_arn, &name) {
        match existing.status {
            ServiceStatus::Draining => {
                return Err(invalid_parameter("Unable to Start a service that is still Draining."))
            }
            ServiceStatus::Active => return Err(invalid_parameter("Creation of service was not idempotent.")),
            _ => {}
        }
    }
    if input.task_definition.is_none() && controller != DeploymentControllerType::External {
        return Err(invalid_parameter("TaskDefinition must be specified."));
    }
    let cps = input.capacity_provider_strategy.clone().unwrap_or_default();
    let launch_type = input
        .launch_type
        .clone()
        .or_else(|| cps.is_empty().then_some(LaunchType::Ec2));
    let effective_lt = launch_type.clone().unwrap_or(LaunchType::Fargate);
    let mut td_arn = None;
    let mut network = None;
    if let Some(ident) = &input.task_definition {
        let td = task_definitions::find(st, ident)
            .filter(|t| t.status == super::task_definitions::TaskDefinitionStatus::Active)
            .ok_or_else(|| super::client_error("TaskDefinition not found."))?
            .clone();
        if effective_lt == LaunchType::Fargate && !td.fargate_compatible() {
            return Err(invalid_parameter(
                "Task definition does not support launch_type FARGATE.",
            ));
        }
        if effective_lt == LaunchType::Ec2 {
            return Err(invalid_parameter("No Container Instances were found in your cluster."));
        }
        check_load_balancers(peers, &lbs, &td)?;
        let vpc = tasks::check_network(peers, input.network_configuration.as_ref(), td.awsvpc())?;
        network = vpc.map(|mut v| {
            v.assign_public_ip.get_or_insert(t::AssignPublicIp::Disabled);
            v.security_groups.get_or_insert_with(Vec::new);
            t::NetworkConfiguration {
                awsvpc_configuration: Some(v),
            }
        });
        td_arn = Some(td.arn.clone());
    }
    let platform_version = (effective_lt == LaunchType::Fargate)
        .then(|| input.platform_version.clone().unwrap_or_else(|| "LATEST".into()));
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
        service_registries: input.service_registries.clone().unwrap_or_default(),
        deployment_configuration: default_deployment_configuration(&controller, input.deployment_configuration.clone()),
        health_check_grace_period: input
            .health_check_grace_period_seconds
            .map(i64::from)
            .or(if lbs.is_empty() { None } else { Some(0) }),
        scheduling_strategy: scheduling,
        role_arn: input.role.clone(),
        placement_constraints: input.placement_constraints.clone().unwrap_or_default(),
        placement_strategy: input.placement_strategy.clone().unwrap_or_default(),
        propagate_tags: input.propagate_tags.clone(),
        enable_ecs_managed_tags: input.enable_ecs_managed_tags.unwrap_or(false),
        enable_execute_command: input.enable_execute_command.unwrap_or(false),
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
    tags::add_tags(st, &svc_arn, input.tags.as_deref())?;
    st.services.insert(svc_arn.clone(), svc);
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("service {name} created with the {controller} deployment controller"),
        serde_json::json!({"service": svc_arn}),
    ));
    poke(st, env, &key, &svc_arn);
    Ok(t::CreateServiceResponse {
        service: Some(service_out(st, &st.services[&svc_arn], false)),
    })
}

pub fn task_set_arn(key: &PartitionKey, cluster_arn: &str, service: &str, unit_id: &str) -> String {
    arn(
        &key.region,
        &key.account,
        &format!("task-set/{}/{service}/{unit_id}", name_from_arn(cluster_arn)),
    )
}

pub fn describe_services(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DescribeServicesRequest,
) -> AwsResult<t::DescribeServicesResponse> {
    let key = ctx.partition();
    if input.services.len() > 10 {
        return Err(invalid_parameter("services can have at most 10 items."));
    }
    let include_tags = input.include.is_some_and(|i| i.contains(&t::ServiceField::Tags));
    let c = cluster_arn(st, env, ctx, input.cluster.as_deref())?;
    let mut services = Vec::new();
    let mut failures = Vec::new();
    for n in input.services {
        match find(st, &c, &n) {
            Some(s) => services.push(service_out(st, s, include_tags)),
            None => {
                let a = if n.starts_with("arn:") {
                    n.clone()
                } else {
                    arn(&key.region, &key.account, &format!("service/{}/{n}", name_from_arn(&c)))
                };
                failures.push(super::missing(a));
            }
        }
    }
    Ok(t::DescribeServicesResponse {
        services: Some(services),
        failures: Some(failures),
    })
}

pub fn list_services(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListServicesRequest,
) -> AwsResult<t::ListServicesResponse> {
    let c = cluster_arn(st, env, ctx, input.cluster.as_deref())?;
    let max = input.max_results.unwrap_or(10);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let mut list: Vec<&Service> = st
        .services
        .values()
        .filter(|s| s.cluster_arn == c && s.status != ServiceStatus::Inactive)
        .filter(|s| input.launch_type.is_none() || s.launch_type == input.launch_type)
        .filter(|s| {
            input
                .scheduling_strategy
                .as_ref()
                .is_none_or(|st| s.scheduling_strategy == *st)
        })
        .collect();
    list.sort_by_key(|s| s.created_at);
    let arns: Vec<String> = list.iter().map(|s| s.arn.clone()).collect();
    let (page, next) = paginate(
        &arns,
        input.next_token.as_deref(),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(t::ListServicesResponse {
        service_arns: Some(page),
        next_token: next,
    })
}

pub fn update_service(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: t::UpdateServiceRequest,
) -> AwsResult<t::UpdateServiceResponse> {
    let key = ctx.partition();
    let now = env.now;
    let svc_arn = active_service_arn(st, env, ctx, input.cluster.as_deref(), &input.service)?;
    let svc = st.services[&svc_arn].clone();
    let controller = svc.controller.clone();
    let force_new = input.force_new_deployment == Some(true);
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
        if let Some(td) = &input.task_definition {
            let same = task_definitions::find(st, td).map(|t| t.arn.clone()) == svc.task_definition;
            if !same {
                return Err(refuse("task definition"));
            }
        }
        if input.load_balancers.is_some() {
            return Err(refuse("load balancers"));
        }
        if input.network_configuration.is_some() {
            return Err(refuse("network parameters"));
        }
        if input.platform_version.is_some() {
            return Err(refuse("platform version"));
        }
        if input.capacity_provider_strategy.is_some() {
            return Err(refuse("capacity provider strategy"));
        }
        if force_new {
            return Err(refuse("the deployment (forceNewDeployment)"));
        }
    }
    if let Some(dc) = &input.deployment_controller {
        if dc.r#type != controller {
            return Err(invalid_parameter(format!(
                "Updating the deployment controller from {controller} to {} is not supported by cutover; delete and recreate the service.",
                dc.r#type
            )));
        }
    }
    if input.desired_count.is_some_and(|d| d < 0) {
        return Err(invalid_parameter("desiredCount must be 0 or more."));
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
        let mut changed = force_new;
        let ident = input
            .task_definition
            .clone()
            .or_else(|| svc.task_definition.clone())
            .unwrap_or_default();
        let Some(td) = task_definitions::find(st, &ident).cloned() else {
            return Err(super::client_error("TaskDefinition not found."));
        };
        if let Some(u) = unit.as_mut() {
            if td.arn != u.task_definition {
                u.task_definition = td.arn.clone();
                changed = true;
            }
            if let Some(lbs) = &input.load_balancers {
                check_load_balancers(peers, lbs, &td)?;
                u.load_balancers = lbs.clone();
                changed = true;
            }
            if input.network_configuration.is_some() {
                let vpc = tasks::check_network(peers, input.network_configuration.as_ref(), td.awsvpc())?;
                u.network_configuration = vpc.map(|v| t::NetworkConfiguration {
                    awsvpc_configuration: Some(v),
                });
                changed = true;
            }
            if let Some(p) = &input.platform_version {
                u.platform_version = Some(p.clone());
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
    if let Some(d) = input.desired_count {
        s.desired_count = i64::from(d);
    }
    if let Some(dc) = input.deployment_configuration {
        s.deployment_configuration = default_deployment_configuration(&controller, Some(dc));
    }
    if let Some(g) = input.health_check_grace_period_seconds {
        s.health_check_grace_period = Some(i64::from(g));
    }
    if let Some(v) = input.placement_constraints {
        s.placement_constraints = v;
    }
    if let Some(v) = input.placement_strategy {
        s.placement_strategy = v;
    }
    if let Some(p) = input.propagate_tags {
        s.propagate_tags = Some(p);
    }
    if let Some(b) = input.enable_ecs_managed_tags {
        s.enable_ecs_managed_tags = b;
    }
    if let Some(b) = input.enable_execute_command {
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
    s.steady = s.steady && input.desired_count.is_none();
    poke(st, env, &key, &svc_arn);
    Ok(t::UpdateServiceResponse {
        service: Some(service_out(st, &st.services[&svc_arn], false)),
    })
}

pub fn delete_service(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: t::DeleteServiceRequest,
) -> AwsResult<t::DeleteServiceResponse> {
    let key = ctx.partition();
    let c = cluster_arn(st, env, ctx, input.cluster.as_deref())?;
    let force = input.force.unwrap_or(false);
    let svc = find(st, &c, &input.service).ok_or_else(service_not_found)?;
    if svc.status != ServiceStatus::Active {
        return Err(AwsError::new("ServiceNotActiveException", "Service was not ACTIVE."));
    }
    let arn = svc.arn.clone();
    let (pending, running) = service_counts(st, svc);
    if svc.desired_count > 0 && !force && svc.scheduling_strategy == SchedulingStrategy::Replica {
        return Err(invalid_parameter(
            "The service cannot be stopped while it is scaled above 0.",
        ));
    }
    let s = st.services.get_mut(&arn).ok_or_else(service_not_found)?;
    s.desired_count = 0;
    s.status = ServiceStatus::Draining;
    s.steady = false;
    let name = s.name.clone();
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("service {name} deleted ({} tasks to stop)", pending + running),
        serde_json::json!({"service": arn}),
    ));
    // Reconcile now so that a service with no tasks becomes INACTIVE at once.
    reconcile(st, env, peers, &key, &arn);
    Ok(t::DeleteServiceResponse {
        service: Some(service_out(st, &st.services[&arn], false)),
    })
}
