//! The CodeDeploy ECS blue/green deployment on the clock (spec §1, §3, §4, §5.2). Every transition
//! of a deployment is written in this file; the records it moves are `codedeploy::record`.
//!
//! ```text
//! Created ──Start (+1 s)──► InProgress: checks (PRIMARY task set = blue, its target group one of the
//!   pair and behind the production listener; failures here end it Failed, nothing to roll back)
//!   BeforeInstall  hook?                         (a failure here has nothing to roll back)
//!   Install        green task set, scale 100, behind the other target group; Wake every 5 s until
//!                  STEADY_STATE; TIMEOUT after 60 min
//!   AfterInstall   hook?
//!   AllowTestTraffic       test listener forwards → green:100, blue:0   } only with a
//!   AfterAllowTestTraffic  hook?                                         } test listener
//!   [Ready wait]   STOP_DEPLOYMENT: status Ready until ContinueDeployment(READY_WAIT);
//!                  Stopped (TIMEOUT) when waitTimeInMinutes pass
//!   BeforeAllowTraffic hook?
//!   AllowTraffic   production forwards (default action and rules that reach blue) → green:g,
//!                  blue:100-g, g stepping per config on Wake; at 100 green becomes PRIMARY
//!   AfterAllowTraffic hook?   → target Succeeded
//!   termination wait (TERMINATE, terminationWaitTimeInMinutes; status stays InProgress;
//!                  ContinueDeployment(TERMINATION_WAIT) ends it) → blue task set deleted
//!   → Succeeded.  KEEP_ALIVE: Succeeded at once, blue stays ACTIVE at weight 0.
//! ```
//!
//! A hook event waits for PutLifecycleEventHookExecutionStatus; `Failed`, no answer within an hour
//! (HookTimeout) or a function that cannot be invoked fail it. Failures and stops end the
//! deployment `Failed` or `Stopped` with errorInformation, the running event `Failed`, the rest
//! `Skipped`; with auto-rollback for that event a rollback deployment (creator
//! `codeDeployRollback`) restores production and test traffic to blue, blue as PRIMARY, deletes
//! green and succeeds. Alarms are polled every [`ALARM_POLL_SECS`] while the deployment is active.
//! Each deployment has at most one live `Wake` (the `epoch` check drops stale ones).
//!
//! At the end: the API operations that move the machine (StopDeployment, ContinueDeployment,
//! PutLifecycleEventHookExecutionStatus: CodeDeploy checks the request over its own state, then the
//! transition runs here) and the deployment targets' view of ECS and ELBv2 ([`TargetFacts`]),
//! registered in `lifecycle::handler`.

use super::traffic;
use crate::protocol::AwsResult;
use crate::services::codedeploy::appspec::AppSpec;
use crate::services::codedeploy::configs::Routing;
use crate::services::codedeploy::deployments::Continue;
use crate::services::codedeploy::record::*;
use crate::services::codedeploy::{self, State};
use crate::services::ecs::status::TaskSetStatus;
use crate::services::ecs::{self, task_sets};
use crate::services::{cloudwatch, elbv2, Ctx};
use crate::sim::signal::DeploymentSignal;
use crate::sim::{Signal, SimTime};
use crate::timeline::{DeploymentStatus, Entry, HookStatus, LifecycleStatus, TaskSetRole, TaskSetState};
use crate::world::{PartitionKey, Region, World};
use cutover_types::cloudwatch::StateValue;
use cutover_types::codedeploy::{
    self as t, AutoRollbackEvent, DeploymentCreator, ErrorCodeShape as ErrorCode, LifecycleErrorCode,
};
use cutover_types::ecs::DeploymentControllerType;
use serde_json::json;

// ---- small helpers ------------------------------------------------------------------------------

fn dep<'a>(world: &'a mut World, key: &PartitionKey, id: &str) -> Option<&'a mut Deployment> {
    world.region_mut(key).codedeploy.deployments.get_mut(id)
}

fn snapshot(world: &mut World, key: &PartitionKey, id: &str) -> Option<Deployment> {
    dep(world, key, id).cloned()
}

/// Writes words about a deployment on the timeline and, when the service is known, as an ECS
/// service event.
fn note(world: &mut World, key: &PartitionKey, id: &str, message: String) {
    step(
        world,
        key,
        Entry::DeploymentNote {
            deployment_id: id.to_owned(),
            text: message,
        },
    );
}

/// Writes a deployment step (an entry with a deployment id) on the timeline and, when the
/// service is known, as an ECS service event with the same words.
fn step(world: &mut World, key: &PartitionKey, entry: Entry) {
    let id = entry.deployment_id().unwrap_or_default().to_owned();
    let text = entry.deployment_text().unwrap_or_default();
    let (svc_arn, svc_name) = match world.region(key).and_then(|r| r.codedeploy.deployments.get(&id)) {
        Some(d) => (d.ecs.service_arn.clone(), d.ecs.service.clone()),
        None => (String::new(), String::new()),
    };
    world.record(entry);
    if !svc_arn.is_empty() {
        let (r, mut env) = world.split(key);
        ecs::services::add_event(
            &mut r.ecs,
            &mut env,
            &svc_arn,
            format!("(service {svc_name}) CodeDeploy deployment {id}: {text}"),
        );
    }
}

/// Schedules the deployment's single timer `secs` from now (any earlier one goes stale).
fn wake_in(world: &mut World, key: &PartitionKey, id: &str, secs: f64) {
    let at = world.now.plus_secs(secs);
    let Some(d) = dep(world, key, id) else {
        return;
    };
    d.epoch += 1;
    d.wait_until = Some(at);
    let epoch = d.epoch;
    world.schedule(
        at,
        key,
        Signal::Deployment(DeploymentSignal::Wake {
            deployment_id: id.to_owned(),
            epoch,
        }),
    );
}

fn touch(d: &mut Deployment, now: SimTime) {
    d.ecs.last_updated = now;
}

fn set_event(world: &mut World, key: &PartitionKey, id: &str, i: usize, status: LifecycleStatus) {
    let now = world.now;
    if let Some(d) = dep(world, key, id) {
        if let Some(e) = d.events.get_mut(i) {
            match status {
                LifecycleStatus::InProgress => e.start = Some(now),
                _ => {
                    e.start.get_or_insert(now);
                    e.end = Some(now);
                }
            }
            e.status = status;
        }
        touch(d, now);
    }
}

// ---- the scheduler's entry point ------------------------------------------------------------------

pub fn fire(world: &mut World, key: &PartitionKey, event: DeploymentSignal) {
    match event {
        DeploymentSignal::Start { deployment_id } => start(world, key, &deployment_id),
        DeploymentSignal::Wake { deployment_id, epoch } => {
            let live = world
                .region(key)
                .and_then(|r| r.codedeploy.deployments.get(&deployment_id))
                .is_some_and(|d| d.epoch == epoch && d.status.is_active());
            if live {
                wake(world, key, &deployment_id);
            }
        }
        DeploymentSignal::HookTimeout {
            deployment_id,
            execution_id,
        } => hook_timeout(world, key, &deployment_id, &execution_id),
        DeploymentSignal::AlarmPoll { deployment_id } => poll_alarms(world, key, &deployment_id),
    }
}

// ---- start --------------------------------------------------------------------------------------

/// What the start checks find: (service ARN, blue task set id, blue TG ARN, green TG ARN).
fn resolve(
    world: &mut World,
    key: &PartitionKey,
    d: &Deployment,
) -> Result<(String, String, String, String), (ErrorCode, String)> {
    let r = world.region_mut(key);
    let svc_arn = task_sets::service_arn_for(&r.ecs, &key.region, &key.account, &d.ecs.cluster, &d.ecs.service)
        .ok_or_else(|| {
            (
                ErrorCode::InvalidEcsService,
                format!(
                    "The ECS service {} in cluster {} does not exist or is not ACTIVE.",
                    d.ecs.service, d.ecs.cluster
                ),
            )
        })?;
    let svc = &r.ecs.services[&svc_arn];
    if svc.controller != DeploymentControllerType::CodeDeploy {
        return Err((
            ErrorCode::InvalidEcsService,
            format!(
                "The ECS service {} does not use the CODE_DEPLOY deployment controller.",
                svc.name
            ),
        ));
    }
    let primary = task_sets::views(&r.ecs, &svc_arn)
        .into_iter()
        .find(|t| t.status == TaskSetStatus::Primary)
        .ok_or_else(|| {
            (
                ErrorCode::EcsUpdateError,
                format!("The ECS service {} has no PRIMARY task set.", svc.name),
            )
        })?;
    let tg_arn = |name: &str| {
        r.elbv2
            .target_groups
            .values()
            .find(|t| t.name == name)
            .map(|t| t.arn.clone())
            .ok_or_else(|| {
                (
                    ErrorCode::ElasticLoadBalancingInvalid,
                    format!("The target group {name} does not exist."),
                )
            })
    };
    let names = &d.ecs.target_group_names;
    if names.len() != 2 {
        return Err((
            ErrorCode::MissingElbInformation,
            "The deployment group has no target group pair.".into(),
        ));
    }
    let (a, b) = (tg_arn(&names[0])?, tg_arn(&names[1])?);
    let blue = primary.target_groups.first().cloned().unwrap_or_default();
    let green = if blue == a {
        b
    } else if blue == b {
        a
    } else {
        return Err((
            ErrorCode::ElasticLoadBalancingInvalid,
            format!(
                "The ELB could not be updated due to the following error: the target group of the PRIMARY task set is not one of {} / {}.",
                names[0], names[1]
            ),
        ));
    };
    for l in d.ecs.prod_listeners.iter().chain(&d.ecs.test_listeners) {
        if !r.elbv2.listeners.contains_key(l) {
            return Err((
                ErrorCode::ElasticLoadBalancingInvalid,
                format!("The listener {l} does not exist."),
            ));
        }
    }
    let behind = d
        .ecs
        .prod_listeners
        .iter()
        .any(|l| !elbv2::forwards_to_target_group(&r.elbv2, l, &blue).is_empty());
    if !behind {
        return Err((
            ErrorCode::ElasticLoadBalancingInvalid,
            format!(
                "The ELB could not be updated due to the following error: Primary taskset target group must be behind listener {}",
                d.ecs.prod_listeners.first().cloned().unwrap_or_default()
            ),
        ));
    }
    Ok((svc_arn, primary.id, blue, green))
}

fn start(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    if d.status != Status::Created {
        return;
    }
    let now = world.now;
    if let Some(d) = dep(world, key, id) {
        d.status = Status::InProgress;
        d.start_time = Some(now);
        d.ecs.target_status = TargetStatus::InProgress;
        touch(d, now);
    }
    if d.is_rollback() {
        run_rollback(world, key, id);
        return;
    }
    match resolve(world, key, &d) {
        Ok((svc_arn, blue_ts, blue_tg, green_tg)) => {
            let started = Entry::DeploymentStarted {
                deployment_id: id.to_owned(),
                original_target_group: blue_tg.clone(),
                replacement_target_group: green_tg.clone(),
                original_task_set: blue_ts.clone(),
                production_listeners: d.ecs.prod_listeners.clone(),
                test_listeners: d.ecs.test_listeners.clone(),
            };
            if let Some(d) = dep(world, key, id) {
                d.ecs.service_arn = svc_arn;
                d.ecs.blue_task_set = Some(blue_ts);
                d.ecs.blue_tg = blue_tg;
                d.ecs.green_tg = green_tg;
            }
            step(world, key, started);
            let alarms = d.alarms().clone();
            if alarms.enabled == Some(true) {
                schedule_alarm_poll(world, key, id);
            }
            run_from(world, key, id, 0);
        }
        Err((code, message)) => end(
            world,
            key,
            id,
            Ending::Failed,
            code,
            message,
            AutoRollbackEvent::DeploymentFailure,
            None,
            None,
        ),
    }
}

// ---- running events ------------------------------------------------------------------------------

/// A failed lifecycle event's diagnostics.
fn diagnostics(code: LifecycleErrorCode, script: Option<String>, message: String) -> t::Diagnostics {
    t::Diagnostics {
        error_code: Some(code),
        script_name: script,
        message: Some(message),
        log_tail: Some(String::new()),
    }
}

/// What starting an event led to.
enum Outcome {
    Done,
    Wait,
    Failed(ErrorCode, String, Option<t::Diagnostics>),
}

/// Runs events from `i` on until one has to wait (or the lifecycle ends).
fn run_from(world: &mut World, key: &PartitionKey, id: &str, mut i: usize) {
    loop {
        let Some(d) = snapshot(world, key, id) else {
            return;
        };
        if !d.status.is_active() {
            return;
        }
        let Some(ev) = d.events.get(i) else {
            after_events(world, key, id);
            return;
        };
        let name = ev.name;
        if name == LifecycleEventName::BeforeAllowTraffic && !d.ready_continued {
            let (stop, wait) = d.ready_option();
            if stop {
                enter_ready_wait(world, key, id, wait);
                return;
            }
        }
        if let Some(d) = dep(world, key, id) {
            d.phase = Phase::Event(i);
        }
        set_event(world, key, id, i, LifecycleStatus::InProgress);
        step(
            world,
            key,
            Entry::LifecycleEvent {
                deployment_id: id.to_owned(),
                event: name.to_string(),
                status: LifecycleStatus::InProgress,
            },
        );
        match begin(world, key, id, name) {
            Outcome::Done => {
                set_event(world, key, id, i, LifecycleStatus::Succeeded);
                step(
                    world,
                    key,
                    Entry::LifecycleEvent {
                        deployment_id: id.to_owned(),
                        event: name.to_string(),
                        status: LifecycleStatus::Succeeded,
                    },
                );
                i += 1;
            }
            Outcome::Wait => return,
            Outcome::Failed(code, message, diagnostics) => {
                end(
                    world,
                    key,
                    id,
                    Ending::Failed,
                    code,
                    message,
                    AutoRollbackEvent::DeploymentFailure,
                    None,
                    diagnostics,
                );
                return;
            }
        }
    }
}

/// The running event finished well: go on with the next.
pub(super) fn event_done(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    let Phase::Event(i) = d.phase else {
        return;
    };
    set_event(world, key, id, i, LifecycleStatus::Succeeded);
    let name = &d.events[i].name;
    step(
        world,
        key,
        Entry::LifecycleEvent {
            deployment_id: id.to_owned(),
            event: name.to_string(),
            status: LifecycleStatus::Succeeded,
        },
    );
    run_from(world, key, id, i + 1);
}

fn begin(world: &mut World, key: &PartitionKey, id: &str, name: LifecycleEventName) -> Outcome {
    match name {
        LifecycleEventName::Install => install(world, key, id),
        LifecycleEventName::AllowTestTraffic => allow_test_traffic(world, key, id),
        LifecycleEventName::AllowTraffic => {
            let Some(d) = snapshot(world, key, id) else {
                return Outcome::Done;
            };
            let refs = traffic::refs_for(
                &world.region_mut(key).elbv2,
                &d.ecs.prod_listeners,
                &[&d.ecs.blue_tg, &d.ecs.green_tg],
            );
            if let Some(d) = dep(world, key, id) {
                d.ecs.prod_refs = refs;
                d.ecs.traffic_step = 0;
            }
            traffic_step(world, key, id)
        }
        hook => start_hook(world, key, id, hook),
    }
}

fn start_hook(world: &mut World, key: &PartitionKey, id: &str, event: LifecycleEventName) -> Outcome {
    let Some(d) = snapshot(world, key, id) else {
        return Outcome::Done;
    };
    let Some(function) = d.ecs.appspec.hook(event).map(str::to_owned) else {
        return Outcome::Done;
    };
    let exec_id = codedeploy::hooks::new_execution_id(&mut world.ids, id, event.as_str());
    let payload = json!({"DeploymentId": id, "LifecycleEventHookExecutionId": exec_id});
    match super::edges::invoke_async(world, key, &function, payload) {
        Ok(_) => {
            if let Some(d) = dep(world, key, id) {
                d.hooks.push(HookExecution {
                    id: exec_id.clone(),
                    event,
                    done: false,
                });
            }
            step(
                world,
                key,
                Entry::Hook {
                    deployment_id: id.to_owned(),
                    event: event.to_string(),
                    function: Some(function.to_string()),
                    status: HookStatus::Invoked,
                },
            );
            let at = world.now.plus_secs(HOOK_TIMEOUT_SECS);
            world.schedule(
                at,
                key,
                Signal::Deployment(DeploymentSignal::HookTimeout {
                    deployment_id: id.to_owned(),
                    execution_id: exec_id,
                }),
            );
            Outcome::Wait
        }
        Err(why) => Outcome::Failed(
            ErrorCode::HookExecutionFailure,
            format!("The {event} lifecycle hook could not invoke Lambda function {function}: {why}"),
            Some(diagnostics(LifecycleErrorCode::UnknownError, Some(function), why)),
        ),
    }
}

fn install(world: &mut World, key: &PartitionKey, id: &str) -> Outcome {
    let Some(d) = snapshot(world, key, id) else {
        return Outcome::Done;
    };
    if let Some(dm) = dep(world, key, id) {
        dm.ecs.touched = true;
    }
    let td_arn = match check_against_ecs(world, key, &d.ecs.appspec) {
        Ok(a) => a,
        Err(m) => return Outcome::Failed(ErrorCode::EcsUpdateError, m, None),
    };
    let svc_arn = d.ecs.service_arn.clone();
    // Task sets a stopped or KEEP_ALIVE deployment left behind the green target group go first.
    let leftovers: Vec<String> = task_sets::views(&world.region_mut(key).ecs, &svc_arn)
        .into_iter()
        .filter(|t| t.status == TaskSetStatus::Active && t.target_groups.contains(&d.ecs.green_tg))
        .map(|t| t.id)
        .collect();
    for t in leftovers {
        if super::links::with_ecs(world, key, |st, env, _| {
            task_sets::delete(st, env, key, &svc_arn, &t, true)
        })
        .is_ok()
        {
            note(
                world,
                key,
                id,
                format!("deleted leftover task set {t} behind the replacement target group"),
            );
        }
    }
    // A target group no listener reaches is not health-checked: put green behind the production
    // forwards at weight 0 (what CodeDeploy leaves in place since 2022).
    let reached = world
        .region(key)
        .is_some_and(|r| elbv2::target_group_has_listener(&r.elbv2, &d.ecs.green_tg));
    if !reached {
        let refs = traffic::refs_for(&world.region_mut(key).elbv2, &d.ecs.prod_listeners, &[&d.ecs.blue_tg]);
        if let Err(m) = traffic::set_weights(world, key, &refs, &d.ecs.blue_tg, &d.ecs.green_tg, 0) {
            return Outcome::Failed(ErrorCode::ElasticLoadBalancingInvalid, m, None);
        }
    }
    let a = &d.ecs.appspec;
    let spec = task_sets::TaskSetSpec {
        task_definition: td_arn,
        external_id: Some(id.to_owned()),
        started_by: Some("CODE_DEPLOY".into()),
        load_balancers: vec![cutover_types::ecs::LoadBalancer {
            target_group_arn: Some(d.ecs.green_tg.clone()),
            container_name: Some(a.container_name.clone()),
            container_port: i32::try_from(a.container_port).ok(),
            ..Default::default()
        }],
        network_configuration: a
            .network_configuration
            .as_ref()
            .and_then(|n| serde_json::to_value(n).ok())
            .and_then(|n| serde_json::from_value(n).ok()),
        launch_type: None,
        capacity_provider_strategy: a
            .capacity_provider_strategy
            .iter()
            .map(|c| cutover_types::ecs::CapacityProviderStrategyItem {
                capacity_provider: c.capacity_provider.clone().unwrap_or_default(),
                base: c.base.and_then(|n| i32::try_from(n).ok()),
                weight: c.weight.and_then(|n| i32::try_from(n).ok()),
            })
            .collect(),
        platform_version: a.platform_version.clone(),
        scale: 100.0,
    };
    match super::links::with_ecs(world, key, |st, env, p| {
        task_sets::create(st, env, p, key, &svc_arn, spec)
    }) {
        Ok(v) => {
            let deadline = world.now.plus_secs(INSTALL_TIMEOUT_SECS);
            if let Some(dm) = dep(world, key, id) {
                dm.ecs.green_task_set = Some(v.id.clone());
                dm.ecs.install_deadline = Some(deadline);
            }
            step(
                world,
                key,
                Entry::DeploymentTaskSet {
                    deployment_id: id.to_owned(),
                    task_set: Some(v.id.clone()),
                    state: TaskSetState::Created,
                    role: TaskSetRole::Replacement,
                },
            );
            wake_in(world, key, id, INSTALL_POLL_SECS);
            Outcome::Wait
        }
        Err(e) => Outcome::Failed(
            ErrorCode::EcsUpdateError,
            format!("The ECS service cannot be updated due to an error: {}", e.message),
            None,
        ),
    }
}

fn install_poll(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    let steady =
        d.ecs.green_task_set.as_ref().is_some_and(|g| {
            task_sets::view(&world.region_mut(key).ecs, &d.ecs.service_arn, g).is_some_and(|v| v.steady)
        });
    if steady {
        step(
            world,
            key,
            Entry::DeploymentTaskSet {
                deployment_id: id.to_owned(),
                task_set: d.ecs.green_task_set.clone(),
                state: TaskSetState::Steady,
                role: TaskSetRole::Replacement,
            },
        );
        event_done(world, key, id);
    } else if d.ecs.install_deadline.is_some_and(|t| world.now >= t) {
        end(
            world,
            key,
            id,
            Ending::Failed,
            ErrorCode::Timeout,
            "The deployment timed out while waiting for the replacement task set to become healthy. This time out period is 60 minutes.".into(),
            AutoRollbackEvent::DeploymentFailure,
            None,
            None,
        );
    } else {
        wake_in(world, key, id, INSTALL_POLL_SECS);
    }
}

fn allow_test_traffic(world: &mut World, key: &PartitionKey, id: &str) -> Outcome {
    let Some(d) = snapshot(world, key, id) else {
        return Outcome::Done;
    };
    let refs = traffic::refs_for(
        &world.region_mut(key).elbv2,
        &d.ecs.test_listeners,
        &[&d.ecs.blue_tg, &d.ecs.green_tg],
    );
    match traffic::set_weights(world, key, &refs, &d.ecs.blue_tg, &d.ecs.green_tg, 100) {
        Ok(()) => Outcome::Done,
        Err(m) => Outcome::Failed(ErrorCode::ElasticLoadBalancingInvalid, m, None),
    }
}

/// Applies the current production traffic step.
fn traffic_step(world: &mut World, key: &PartitionKey, id: &str) -> Outcome {
    let Some(d) = snapshot(world, key, id) else {
        return Outcome::Done;
    };
    let steps = traffic::schedule(d.routing);
    let g = steps.get(d.ecs.traffic_step).copied().unwrap_or(100);
    if let Err(m) = traffic::set_weights(world, key, &d.ecs.prod_refs, &d.ecs.blue_tg, &d.ecs.green_tg, g) {
        return Outcome::Failed(ErrorCode::ElasticLoadBalancingInvalid, m, None);
    }
    let now = world.now;
    if let Some(dm) = dep(world, key, id) {
        dm.ecs.green_weight = g;
        dm.ecs.traffic_step += 1;
        touch(dm, now);
    }
    step(
        world,
        key,
        Entry::DeploymentTraffic {
            deployment_id: id.to_owned(),
            replacement_percent: g,
        },
    );
    if g >= 100 {
        let green = d.ecs.green_task_set.clone().unwrap_or_default();
        if let Err(e) = super::links::with_ecs(world, key, |st, env, _| {
            task_sets::set_primary(st, env, key, &d.ecs.service_arn, &green)
        }) {
            return Outcome::Failed(
                ErrorCode::EcsUpdateError,
                format!("The ECS service cannot be updated due to an error: {}", e.message),
                None,
            );
        }
        step(
            world,
            key,
            Entry::DeploymentTaskSet {
                deployment_id: id.to_owned(),
                task_set: Some(green.clone()),
                state: TaskSetState::Primary,
                role: TaskSetRole::Replacement,
            },
        );
        Outcome::Done
    } else {
        wake_in(world, key, id, traffic::interval_secs(d.routing));
        Outcome::Wait
    }
}

fn enter_ready_wait(world: &mut World, key: &PartitionKey, id: &str, minutes: i64) {
    let now = world.now;
    if let Some(d) = dep(world, key, id) {
        d.phase = Phase::ReadyWait;
        d.status = Status::Ready;
        d.ecs.target_status = TargetStatus::Ready;
        touch(d, now);
    }
    note(
        world,
        key,
        id,
        format!("ready; waiting up to {minutes} minutes for ContinueDeployment to reroute traffic"),
    );
    wake_in(world, key, id, minutes as f64 * 60.0);
}

fn after_events(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    let now = world.now;
    if let Some(dm) = dep(world, key, id) {
        dm.ecs.target_status = TargetStatus::Succeeded;
        touch(dm, now);
    }
    let (terminate, minutes) = d.termination();
    if !terminate {
        note(world, key, id, "original task set kept (KEEP_ALIVE)".into());
        succeed(world, key, id);
    } else if minutes <= 0 {
        terminate_blue(world, key, id);
    } else {
        if let Some(dm) = dep(world, key, id) {
            dm.phase = Phase::TerminationWait;
            dm.termination_wait_started = true;
        }
        note(
            world,
            key,
            id,
            format!("waiting {minutes} minutes before terminating the original task set"),
        );
        wake_in(world, key, id, minutes as f64 * 60.0);
    }
}

fn terminate_blue(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    if let Some(blue) = &d.ecs.blue_task_set {
        match super::links::with_ecs(world, key, |st, env, _| {
            task_sets::delete(st, env, key, &d.ecs.service_arn, blue, true)
        }) {
            Ok(_) => step(
                world,
                key,
                Entry::DeploymentTaskSet {
                    deployment_id: id.to_owned(),
                    task_set: Some(blue.clone()),
                    state: TaskSetState::Deleted,
                    role: TaskSetRole::Original,
                },
            ),
            Err(e) => note(
                world,
                key,
                id,
                format!("original task set {blue} not deleted: {}", e.message),
            ),
        }
    }
    succeed(world, key, id);
}

fn succeed(world: &mut World, key: &PartitionKey, id: &str) {
    let now = world.now;
    let Some(d) = dep(world, key, id) else {
        return;
    };
    d.status = Status::Succeeded;
    d.phase = Phase::Done;
    d.complete_time = Some(now);
    d.epoch += 1;
    d.ecs.target_status = TargetStatus::Succeeded;
    touch(d, now);
    let d = d.clone();
    record_on_group(world, key, &d, true);
    step(
        world,
        key,
        Entry::DeploymentEnded {
            deployment_id: id.to_owned(),
            status: DeploymentStatus::Succeeded,
            error_code: None,
            error_message: None,
            failed_lifecycle_events: None,
        },
    );
}

fn record_on_group(world: &mut World, key: &PartitionKey, d: &Deployment, success: bool) {
    let info = t::LastDeploymentInfo {
        deployment_id: Some(d.id.clone()),
        status: Some(d.status.wire()),
        end_time: d.complete_time.map(|t| t.as_secs_f64()),
        create_time: Some(d.create_time.as_secs_f64()),
    };
    let st = &mut world.region_mut(key).codedeploy;
    if let Some(g) = st
        .groups
        .get_mut(&(d.application_name.clone(), d.deployment_group_name.clone()))
    {
        g.last_attempted = Some(info.clone());
        if success {
            g.last_successful = Some(info);
        }
    }
}

// ---- wakes --------------------------------------------------------------------------------------

fn wake(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    match d.phase {
        Phase::Event(i) => match d.events.get(i).map(|e| e.name) {
            Some(LifecycleEventName::Install) => install_poll(world, key, id),
            Some(LifecycleEventName::AllowTraffic) => match traffic_step(world, key, id) {
                Outcome::Done => event_done(world, key, id),
                Outcome::Wait => {}
                Outcome::Failed(code, m, diag) => end(
                    world,
                    key,
                    id,
                    Ending::Failed,
                    code,
                    m,
                    AutoRollbackEvent::DeploymentFailure,
                    None,
                    diag,
                ),
            },
            _ => {}
        },
        Phase::ReadyWait => end(
            world,
            key,
            id,
            Ending::Stopped,
            ErrorCode::Timeout,
            "The deployment was stopped because traffic was not rerouted before the end of the wait time.".into(),
            AutoRollbackEvent::DeploymentStopOnRequest,
            None,
            None,
        ),
        Phase::TerminationWait => terminate_blue(world, key, id),
        Phase::Created | Phase::Done => {}
    }
}

// ---- what the API asks of the machine -------------------------------------------------------------

/// ContinueDeployment(READY_WAIT): leave the Ready wait and reroute traffic.
pub fn continue_ready(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    let Some(i) = d
        .events
        .iter()
        .position(|e| e.name == LifecycleEventName::BeforeAllowTraffic)
    else {
        return;
    };
    let now = world.now;
    if let Some(dm) = dep(world, key, id) {
        dm.ready_continued = true;
        dm.status = Status::InProgress;
        dm.ecs.target_status = TargetStatus::InProgress;
        dm.epoch += 1;
        dm.wait_until = None;
        touch(dm, now);
    }
    note(world, key, id, "continued: rerouting traffic".into());
    run_from(world, key, id, i);
}

/// ContinueDeployment(TERMINATION_WAIT): end the termination wait now.
pub fn end_termination_wait(world: &mut World, key: &PartitionKey, id: &str) {
    if let Some(dm) = dep(world, key, id) {
        dm.epoch += 1;
        dm.wait_until = None;
    }
    note(world, key, id, "termination wait ended by ContinueDeployment".into());
    terminate_blue(world, key, id);
}

/// StopDeployment.
pub fn stop(world: &mut World, key: &PartitionKey, id: &str, auto_rollback: Option<bool>) {
    end(
        world,
        key,
        id,
        Ending::Stopped,
        ErrorCode::ManualStop,
        "The deployment was stopped by a StopDeployment request.".into(),
        AutoRollbackEvent::DeploymentStopOnRequest,
        auto_rollback,
        None,
    );
}

/// The answer of a hook (PutLifecycleEventHookExecutionStatus), already checked.
pub fn hook_answered(world: &mut World, key: &PartitionKey, id: &str, execution_id: &str, succeeded: bool) {
    let Some(d) = dep(world, key, id) else {
        return;
    };
    let Some(h) = d.hooks.iter_mut().find(|h| h.id == execution_id) else {
        return;
    };
    h.done = true;
    let event = h.event;
    if succeeded {
        step(
            world,
            key,
            Entry::Hook {
                deployment_id: id.to_owned(),
                event: event.to_string(),
                function: None,
                status: HookStatus::Succeeded,
            },
        );
        event_done(world, key, id);
    } else {
        step(
            world,
            key,
            Entry::Hook {
                deployment_id: id.to_owned(),
                event: event.to_string(),
                function: None,
                status: HookStatus::Failed,
            },
        );
        end(
            world,
            key,
            id,
            Ending::Failed,
            ErrorCode::HookExecutionFailure,
            format!("The deployment failed because the {event} lifecycle hook reported Failed."),
            AutoRollbackEvent::DeploymentFailure,
            None,
            Some(diagnostics(
                LifecycleErrorCode::UnknownError,
                None,
                "The lifecycle hook reported Failed.".into(),
            )),
        );
    }
}

fn hook_timeout(world: &mut World, key: &PartitionKey, id: &str, execution_id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    let Some(h) = d.hooks.iter().find(|h| h.id == execution_id) else {
        return;
    };
    if h.done || !d.status.is_active() {
        return;
    }
    let event = h.event;
    if let Some(dm) = dep(world, key, id) {
        for h in dm.hooks.iter_mut().filter(|h| h.id == execution_id) {
            h.done = true;
        }
    }
    end(
        world,
        key,
        id,
        Ending::Failed,
        ErrorCode::Timeout,
        format!("The {event} lifecycle hook did not report a status within one hour."),
        AutoRollbackEvent::DeploymentFailure,
        None,
        Some(diagnostics(
            LifecycleErrorCode::ScriptTimedOut,
            None,
            "The Lambda function did not call PutLifecycleEventHookExecutionStatus within one hour.".into(),
        )),
    );
}

// ---- alarms -------------------------------------------------------------------------------------

fn schedule_alarm_poll(world: &mut World, key: &PartitionKey, id: &str) {
    let at = world.now.plus_secs(ALARM_POLL_SECS);
    world.schedule(
        at,
        key,
        Signal::Deployment(DeploymentSignal::AlarmPoll {
            deployment_id: id.to_owned(),
        }),
    );
}

fn poll_alarms(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    if !d.status.is_active() {
        return;
    }
    let cfg = d.alarms().clone();
    if cfg.enabled != Some(true) {
        return;
    }
    let ignore_failure = cfg.ignore_poll_alarm_failure.unwrap_or(false);
    let names: Vec<String> = cfg.alarms.iter().flatten().filter_map(|a| a.name.clone()).collect();
    for n in names {
        let state = world
            .region(key)
            .and_then(|r| cloudwatch::alarm_state(&r.cloudwatch, &n))
            .map(StateValue::from);
        let message = match state {
            Some(StateValue::Alarm) => Some(format!(
                "The deployment was stopped because alarm {n} is in the ALARM state."
            )),
            None if !ignore_failure => Some(format!(
                "The deployment was stopped because the state of alarm {n} could not be read."
            )),
            _ => None,
        };
        if let Some(m) = message {
            end(
                world,
                key,
                id,
                Ending::Stopped,
                ErrorCode::AlarmActive,
                m,
                AutoRollbackEvent::DeploymentStopOnAlarm,
                None,
                None,
            );
            return;
        }
    }
    schedule_alarm_poll(world, key, id);
}

// ---- the end: failure, stop, rollback ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Failed,
    Stopped,
}

/// Ends an active deployment Failed or Stopped, and starts a rollback when configured.
#[allow(clippy::too_many_arguments)]
fn end(
    world: &mut World,
    key: &PartitionKey,
    id: &str,
    how: Ending,
    code: ErrorCode,
    message: String,
    rollback_event: AutoRollbackEvent,
    rollback_override: Option<bool>,
    diagnostics: Option<t::Diagnostics>,
) {
    let now = world.now;
    let Some(d) = dep(world, key, id) else {
        return;
    };
    if !d.status.is_active() {
        return;
    }
    for e in d.events.iter_mut() {
        match e.status {
            LifecycleStatus::InProgress => {
                e.status = LifecycleStatus::Failed;
                e.end = Some(now);
                e.diagnostics = diagnostics.clone();
            }
            LifecycleStatus::Pending => e.status = LifecycleStatus::Skipped,
            _ => {}
        }
    }
    for h in d.hooks.iter_mut() {
        h.done = true;
    }
    d.status = match how {
        Ending::Failed => Status::Failed,
        Ending::Stopped => Status::Stopped,
    };
    d.error = Some((code.clone(), message.clone()));
    d.complete_time = Some(now);
    d.phase = Phase::Done;
    d.epoch += 1;
    d.wait_until = None;
    d.ecs.target_status = TargetStatus::Failed;
    touch(d, now);
    let wants = rollback_override.unwrap_or_else(|| d.rollback_on(&rollback_event)) && !d.is_rollback();
    let touched = d.ecs.touched;
    if wants && !touched {
        d.rollback.message =
            Some("Automatic rollback was not performed: nothing had been changed before the deployment ended.".into());
    }
    let snapshot = d.clone();
    record_on_group(world, key, &snapshot, false);
    let failed: Vec<&str> = snapshot
        .events
        .iter()
        .filter(|e| e.status == LifecycleStatus::Failed && e.end == Some(now))
        .map(|e| e.name.as_str())
        .collect();
    step(
        world,
        key,
        Entry::DeploymentEnded {
            deployment_id: id.to_owned(),
            status: match how {
                Ending::Failed => DeploymentStatus::Failed,
                Ending::Stopped => DeploymentStatus::Stopped,
            },
            error_code: Some(code.to_string()),
            error_message: Some(message.to_string()),
            failed_lifecycle_events: Some(failed.iter().map(|e| e.to_string()).collect()),
        },
    );
    if wants && touched {
        create_rollback(world, key, &snapshot);
    }
}

fn create_rollback(world: &mut World, key: &PartitionKey, a: &Deployment) {
    let rid = codedeploy::deployments::new_deployment_id(&mut world.ids);
    let now = world.now;
    let mut events = event_list(!a.ecs.test_listeners.is_empty());
    for e in events.iter_mut() {
        e.status = LifecycleStatus::Pending;
    }
    let b = Deployment {
        id: rid.clone(),
        application_name: a.application_name.clone(),
        deployment_group_name: a.deployment_group_name.clone(),
        deployment_config_name: a.deployment_config_name.clone(),
        compute_platform: a.compute_platform.clone(),
        routing: Routing::AllAtOnce,
        revision: a.previous_revision.clone().unwrap_or_else(|| a.revision.clone()),
        previous_revision: Some(a.revision.clone()),
        status: Status::Created,
        error: None,
        create_time: now,
        start_time: None,
        complete_time: None,
        description: Some(format!("Rollback of deployment {}", a.id)),
        creator: DeploymentCreator::CodeDeployRollback,
        auto_rollback: a.auto_rollback.clone(),
        alarm_configuration: a.alarm_configuration.clone(),
        override_alarm: a.override_alarm.clone(),
        blue_green: a.blue_green.clone(),
        load_balancer_info: a.load_balancer_info.clone(),
        deployment_style: a.deployment_style.clone(),
        rollback: RollbackInfo {
            deployment_id: None,
            triggering_id: Some(a.id.clone()),
            message: Some(format!("Rollback of deployment {}", a.id)),
        },
        status_messages: Vec::new(),
        events,
        hooks: Vec::new(),
        ecs: EcsRun {
            target_status: TargetStatus::Pending,
            last_updated: now,
            traffic_step: 0,
            touched: false,
            ..a.ecs.clone()
        },
        phase: Phase::Created,
        epoch: 0,
        ready_continued: false,
        termination_wait_started: false,
        wait_until: None,
    };
    let st: &mut State = &mut world.region_mut(key).codedeploy;
    if let Some(orig) = st.deployments.get_mut(&a.id) {
        orig.rollback.deployment_id = Some(rid.clone());
        orig.rollback.message = Some(format!("Rolled back by deployment {rid}"));
    }
    st.deployments.insert(rid.clone(), b);
    st.deployment_order.push(rid.clone());
    step(
        world,
        key,
        Entry::RollbackCreated {
            deployment_id: a.id.clone(),
            rollback_id: rid.clone(),
        },
    );
    schedule_start(&mut world.env(), key, &rid);
}

/// A rollback deployment: production and test traffic back to blue, blue PRIMARY, green deleted.
fn run_rollback(world: &mut World, key: &PartitionKey, id: &str) {
    let Some(d) = snapshot(world, key, id) else {
        return;
    };
    step(
        world,
        key,
        Entry::DeploymentRollingBack {
            deployment_id: id.to_owned(),
        },
    );
    let (blue, green) = (d.ecs.blue_tg.clone(), d.ecs.green_tg.clone());
    let result = (|| -> Result<(), (ErrorCode, String)> {
        if !blue.is_empty() && !green.is_empty() {
            let prod = traffic::refs_for(&world.region_mut(key).elbv2, &d.ecs.prod_listeners, &[&blue, &green]);
            traffic::set_weights(world, key, &prod, &blue, &green, 0)
                .map_err(|m| (ErrorCode::ElasticLoadBalancingInvalid, m))?;
            let test = traffic::refs_for(&world.region_mut(key).elbv2, &d.ecs.test_listeners, &[&blue, &green]);
            traffic::set_weights(world, key, &test, &blue, &green, 0)
                .map_err(|m| (ErrorCode::ElasticLoadBalancingInvalid, m))?;
        }
        if let Some(dm) = dep(world, key, id) {
            dm.ecs.green_weight = 0;
        }
        let svc = d.ecs.service_arn.clone();
        if let Some(b) = &d.ecs.blue_task_set {
            let primary = task_sets::view(&world.region_mut(key).ecs, &svc, b).map(|v| v.status);
            match primary {
                Some(TaskSetStatus::Primary) => {}
                Some(_) => {
                    super::links::with_ecs(world, key, |st, env, _| task_sets::set_primary(st, env, key, &svc, b))
                        .map_err(|e| (ErrorCode::EcsUpdateError, e.message))?;
                    step(
                        world,
                        key,
                        Entry::DeploymentTaskSet {
                            deployment_id: id.to_owned(),
                            task_set: Some(b.clone()),
                            state: TaskSetState::Primary,
                            role: TaskSetRole::Original,
                        },
                    );
                }
                None => {
                    return Err((
                        ErrorCode::EcsUpdateError,
                        format!("The original task set {b} no longer exists."),
                    ))
                }
            }
        }
        if let Some(g) = &d.ecs.green_task_set {
            let exists = task_sets::view(&world.region_mut(key).ecs, &svc, g)
                .is_some_and(|v| v.status != TaskSetStatus::Draining);
            if exists {
                super::links::with_ecs(world, key, |st, env, _| task_sets::delete(st, env, key, &svc, g, true))
                    .map_err(|e| (ErrorCode::EcsUpdateError, e.message))?;
                step(
                    world,
                    key,
                    Entry::DeploymentTaskSet {
                        deployment_id: id.to_owned(),
                        task_set: Some(g.clone()),
                        state: TaskSetState::Deleted,
                        role: TaskSetRole::Replacement,
                    },
                );
            }
        }
        Ok(())
    })();
    let now = world.now;
    if let Some(dm) = dep(world, key, id) {
        for e in dm.events.iter_mut() {
            if e.name == LifecycleEventName::AllowTraffic || e.name == LifecycleEventName::AllowTestTraffic {
                e.status = LifecycleStatus::Succeeded;
                e.start = Some(now);
                e.end = Some(now);
            } else {
                e.status = LifecycleStatus::Skipped;
            }
        }
    }
    match result {
        Ok(()) => succeed(world, key, id),
        Err((code, m)) => end(
            world,
            key,
            id,
            Ending::Failed,
            code,
            m,
            AutoRollbackEvent::DeploymentFailure,
            Some(false),
            None,
        ),
    }
}

// ---- checks against ECS -------------------------------------------------------------------------

/// The checks CodeDeploy meets when it creates the replacement task set: the task definition, its
/// container and port. The error is the errorInformation message (`ECS_UPDATE_ERROR`).
fn check_against_ecs(world: &mut World, key: &PartitionKey, spec: &AppSpec) -> Result<String, String> {
    let ecs = &world.region_mut(key).ecs;
    let td = ecs::task_definitions::find(ecs, &spec.task_definition)
        .filter(|t| t.status == ecs::task_definitions::TaskDefinitionStatus::Active)
        .ok_or_else(|| {
            format!(
                "The ECS service cannot be updated due to an error: the task definition {} does not exist or is not ACTIVE.",
                spec.task_definition
            )
        })?;
    if td.container(&spec.container_name).is_none() {
        return Err(format!(
            "The ECS service cannot be updated due to an error: the container {} in the AppSpec file is not in task definition {}.",
            spec.container_name,
            td.family_revision()
        ));
    }
    if !td.container_has_port(&spec.container_name, spec.container_port) {
        return Err(format!(
            "The ECS service cannot be updated due to an error: the container {} of task definition {} does not map container port {}.",
            spec.container_name,
            td.family_revision(),
            spec.container_port
        ));
    }
    Ok(td.arn.clone())
}

// ---- what a deployment target reports ---------------------------------------------------------------

/// What a deployment target reads of ECS and ELBv2 (the view `codedeploy::peers::Targets` is
/// asked on).
pub struct TargetFacts<'a> {
    pub ecs: &'a ecs::State,
    pub elbv2: &'a elbv2::State,
}

impl TargetFacts<'_> {
    fn tg_name(&self, arn: &str) -> String {
        self.elbv2
            .target_groups
            .get(arn)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| arn.rsplit('/').nth(1).unwrap_or(arn).to_owned())
    }

    /// The production traffic share of `tg`, percent, rounded to two decimals.
    fn traffic_weight(&self, d: &Deployment, tg: &str) -> f64 {
        let refs = traffic::refs_for(self.elbv2, &d.ecs.prod_listeners, &[tg]);
        let all = traffic::refs_for(self.elbv2, &d.ecs.prod_listeners, &[&d.ecs.blue_tg, &d.ecs.green_tg]);
        if all.is_empty() {
            return 0.0;
        }
        let sum: f64 = refs.iter().map(|r| traffic::percent_to(self.elbv2, r, tg)).sum();
        (sum / all.len() as f64 * 100.0).round() / 100.0
    }
}

impl codedeploy::peers::Targets for TargetFacts<'_> {
    fn task_sets_info(&self, d: &Deployment) -> Vec<t::ECSTaskSet> {
        let mut sets = Vec::new();
        let labelled = [
            (
                d.ecs.blue_task_set.as_ref(),
                t::TargetLabel::Blue,
                d.ecs.blue_tg.as_str(),
            ),
            (
                d.ecs.green_task_set.as_ref(),
                t::TargetLabel::Green,
                d.ecs.green_tg.as_str(),
            ),
        ];
        for (ts, label, tg) in labelled {
            let Some(ts) = ts else { continue };
            let Some(v) = task_sets::view(self.ecs, &d.ecs.service_arn, ts) else {
                continue;
            };
            let weight = if v.status == TaskSetStatus::Draining {
                0.0
            } else {
                self.traffic_weight(d, tg)
            };
            sets.push(t::ECSTaskSet {
                identifer: Some(v.id),
                desired_count: Some(v.computed_desired_count),
                pending_count: Some(v.pending_count),
                running_count: Some(v.running_count),
                status: Some(v.status.to_string()),
                traffic_weight: Some(weight),
                target_group: Some(t::TargetGroupInfo {
                    name: Some(self.tg_name(tg)),
                }),
                task_set_label: Some(label),
            });
        }
        sets
    }
}

// ---- the API operations that move the machine or read other services ---------------------------------

/// StopDeployment: CodeDeploy's checks, then the stop (and rollback) here.
pub fn stop_deployment(
    world: &mut World,
    ctx: &Ctx,
    input: t::StopDeploymentInput,
) -> AwsResult<t::StopDeploymentOutput> {
    let key = ctx.partition();
    let id = codedeploy::deployments::stop_request(&world.region_mut(&key).codedeploy, &input)?;
    stop(world, &key, &id, input.auto_rollback_enabled);
    codedeploy::deployments::stopped(&world.region_mut(&key).codedeploy, &id)
}

/// ContinueDeployment: CodeDeploy's checks, then the end of the wait here.
pub fn continue_deployment(world: &mut World, ctx: &Ctx, input: t::ContinueDeploymentInput) -> AwsResult<()> {
    let key = ctx.partition();
    match codedeploy::deployments::continue_request(&world.region_mut(&key).codedeploy, &input)? {
        (id, Continue::Ready) => continue_ready(world, &key, &id),
        (id, Continue::Termination) => end_termination_wait(world, &key, &id),
    }
    Ok(())
}

/// PutLifecycleEventHookExecutionStatus: CodeDeploy's checks, then the hook's answer here.
pub fn put_lifecycle_event_hook_execution_status(
    world: &mut World,
    ctx: &Ctx,
    input: t::PutLifecycleEventHookExecutionStatusInput,
) -> AwsResult<t::PutLifecycleEventHookExecutionStatusOutput> {
    let key = ctx.partition();
    let a = codedeploy::hooks::hook_answer(&world.region_mut(&key).codedeploy, &input)?;
    hook_answered(world, &key, &a.deployment_id, &a.execution_id, a.succeeded);
    Ok(t::PutLifecycleEventHookExecutionStatusOutput {
        lifecycle_event_hook_execution_id: Some(a.execution_id),
    })
}

/// GetDeploymentTarget: CodeDeploy's function over [`TargetFacts`].
pub fn get_deployment_target(
    world: &mut World,
    ctx: &Ctx,
    input: t::GetDeploymentTargetInput,
) -> AwsResult<t::GetDeploymentTargetOutput> {
    let Region {
        codedeploy, ecs, elbv2, ..
    } = world.region_mut(&ctx.partition());
    codedeploy::targets::get_deployment_target(codedeploy, &TargetFacts { ecs, elbv2 }, input)
}

/// BatchGetDeploymentTargets: CodeDeploy's function over [`TargetFacts`].
pub fn batch_get_deployment_targets(
    world: &mut World,
    ctx: &Ctx,
    input: t::BatchGetDeploymentTargetsInput,
) -> AwsResult<t::BatchGetDeploymentTargetsOutput> {
    let Region {
        codedeploy, ecs, elbv2, ..
    } = world.region_mut(&ctx.partition());
    codedeploy::targets::batch_get_deployment_targets(codedeploy, &TargetFacts { ecs, elbv2 }, input)
}
