//! Target registration and the health state machine.
//!
//! A registered target of a target group that some listener or rule forwards to (at any weight) has
//! one chain of `TargetSignal::HealthCheck`s, one per `HealthCheckIntervalSeconds`, the first one interval
//! after registration (or after the group starts being used). The target is `initial`
//! (`Elb.RegistrationInProgress`, then `Elb.InitialHealthChecking` once a check ran) until
//! `HealthyThresholdCount` consecutive checks pass (`healthy`) or `UnhealthyThresholdCount` fail
//! (`unhealthy`, `Target.FailedHealthChecks`); the same thresholds move it between `healthy` and
//! `unhealthy` later (a change is returned as a [`HealthChange`], which the lifecycle layer passes
//! on to ECS). A check fails when the target was registered for a task definition listed in
//! `env.faults.unhealthy_task_definitions` (as `family:revision` or the full ARN). Targets of a
//! group no listener or rule uses are `unused` (`Target.NotInUse`) and not checked: their chain stops
//! at its next check and restarts when the group is used again. Deregistration puts a target in
//! `draining` (`Target.DeregistrationInProgress`) for `deregistration_delay.timeout_seconds`, then it
//! is gone; in a group nothing uses, or with a delay of 0, it is gone at once.

use super::{target_group_has_listener, tg_not_found_one, validation, State, TargetGroup};
use crate::env::{Env, Faults};
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use crate::sim::PartitionKey;
use crate::timeline::TargetHealthState;
use cutover_types::elbv2 as t;
use std::net::Ipv4Addr;

/// The health state of a registered target as the simulation keeps it. DescribeTargetHealth shows
/// `unused` instead for targets of a group nothing forwards to (unless draining), and
/// `unavailable` when health checks are disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Initial,
    Healthy,
    Unhealthy,
    Draining,
    Unused,
    Unavailable,
}

impl TargetState {
    /// The same state as the timeline and the other services see it (exhaustive: a new state
    /// here must be named there too).
    pub fn health_state(self) -> crate::timeline::TargetHealthState {
        use crate::timeline::TargetHealthState as H;
        match self {
            TargetState::Initial => H::Initial,
            TargetState::Healthy => H::Healthy,
            TargetState::Unhealthy => H::Unhealthy,
            TargetState::Draining => H::Draining,
            TargetState::Unused => H::Unused,
            TargetState::Unavailable => H::Unavailable,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Initial => "initial",
            TargetState::Healthy => "healthy",
            TargetState::Unhealthy => "unhealthy",
            TargetState::Draining => "draining",
            TargetState::Unused => "unused",
            TargetState::Unavailable => "unavailable",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub port: i64,
    pub availability_zone: Option<String>,
    /// Task definition ARN of the ECS task behind this target, when ECS registered it.
    pub task_definition: Option<String>,
    /// `Initial`, `Healthy`, `Unhealthy` or `Draining`.
    pub state: TargetState,
    /// Whether a health check ran since the current chain started.
    pub checked: bool,
    pub passes: i64,
    pub failures: i64,
    /// The id of the current check chain (or drain); events of older chains are ignored.
    pub epoch: u64,
    /// Whether a check chain is scheduled.
    pub checking: bool,
    pub seq: u64,
    /// The latest real HTTP health check of this target by the data plane runtime (pass/fail), when
    /// one runs; `None` with no runtime (or before its first check).
    pub probe: Option<bool>,
}

/// A registered target's health moved to `state` in a health check: what ECS is told (it replaces
/// service tasks whose targets fail and tracks steady state).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthChange {
    pub target_group_arn: String,
    pub id: String,
    pub port: i64,
    pub state: TargetHealthState,
}

fn target_key(id: &str, port: i64) -> String {
    format!("{id}:{port}")
}

/// Whether a target registered for `task_definition` fails its health checks.
fn faulted(faults: &Faults, task_definition: Option<&str>) -> bool {
    let Some(td) = task_definition else {
        return false;
    };
    if faults.unhealthy_task_definitions.contains(td) {
        return true;
    }
    let short = td.rsplit_once("task-definition/").map(|(_, s)| s).unwrap_or(td);
    faults.unhealthy_task_definitions.contains(short)
}

/// Starts (or restarts) the check chain of one target: `initial`, first check one interval from now.
fn start_chain(st: &mut State, env: &mut Env<'_>, key: &PartitionKey, tg_arn: &str, tkey: &str) {
    let epoch = st.seq();
    let Some(tg) = st.target_groups.get_mut(tg_arn) else {
        return;
    };
    let interval = tg.health_check.interval;
    let Some(t) = tg.targets.get_mut(tkey) else {
        return;
    };
    t.state = TargetState::Initial;
    t.checked = false;
    t.passes = 0;
    t.failures = 0;
    t.epoch = epoch;
    t.checking = true;
    let at = env.after_secs(interval as f64);
    env.schedule(
        at,
        key,
        crate::sim::Signal::Target(crate::sim::signal::TargetSignal::HealthCheck {
            target_group_arn: tg_arn.to_owned(),
            target: tkey.to_owned(),
            epoch,
        }),
    );
}

/// Starts check chains for the idle targets of every target group that is now in use (called after
/// listeners and rules change; it walks target groups, not the clock).
pub(super) fn start_idle_checks(st: &mut State, env: &mut Env<'_>, key: &PartitionKey) {
    let mut todo: Vec<(String, String)> = Vec::new();
    for tg in st.target_groups.values() {
        if !tg.health_check.enabled || !target_group_has_listener(st, &tg.arn) {
            continue;
        }
        for (k, t) in &tg.targets {
            if !t.checking && t.state != TargetState::Draining {
                todo.push((tg.arn.clone(), k.clone()));
            }
        }
    }
    for (tg, k) in todo {
        start_chain(st, env, key, &tg, &k);
    }
}

/// One health check of one target (a scheduler event); the change of the target's health, if any.
pub(super) fn health_check(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    tg_arn: &str,
    tkey: &str,
    epoch: u64,
) -> Option<HealthChange> {
    let in_use = target_group_has_listener(st, tg_arn);
    let tg = st.target_groups.get_mut(tg_arn)?;
    let hc = tg.health_check.clone();
    let tg_name = tg.name.clone();
    let t = tg.targets.get_mut(tkey)?;
    if t.epoch != epoch || t.state == TargetState::Draining {
        return None;
    }
    // An injected fault fails the check; otherwise the data plane's latest real HTTP check decides
    // (it sees the same fault through the stand-in), and with no data plane the check passes.
    let pass = !faulted(env.faults, t.task_definition.as_deref()) && t.probe.unwrap_or(true);
    if !in_use || !hc.enabled {
        // Nothing routes here any more: stop checking; the chain restarts when the group is used.
        t.checking = false;
        t.state = TargetState::Initial;
        return None;
    }
    t.checked = true;
    if pass {
        t.passes += 1;
        t.failures = 0;
    } else {
        t.failures += 1;
        t.passes = 0;
    }
    let before = t.state;
    t.state = match t.state {
        TargetState::Initial | TargetState::Unhealthy if t.passes >= hc.healthy_threshold => TargetState::Healthy,
        TargetState::Initial | TargetState::Healthy if t.failures >= hc.unhealthy_threshold => TargetState::Unhealthy,
        s => s,
    };
    let after = t.state;
    let id = t.id.clone();
    let port = t.port;
    let at = env.after_secs(hc.interval as f64);
    env.schedule(
        at,
        key,
        crate::sim::Signal::Target(crate::sim::signal::TargetSignal::HealthCheck {
            target_group_arn: tg_arn.to_owned(),
            target: tkey.to_owned(),
            epoch,
        }),
    );
    if before == after {
        return None;
    }
    let state = after.health_state();
    env.record(crate::timeline::Entry::TargetHealth {
        target_group_arn: tg_arn.to_owned(),
        target_group_name: tg_name,
        target: tkey.to_owned(),
        id: id.clone(),
        state,
    });
    Some(HealthChange {
        target_group_arn: tg_arn.to_owned(),
        id,
        port,
        state,
    })
}

/// The end of a target's deregistration delay (a scheduler event).
pub(super) fn deregistration_done(st: &mut State, env: &mut Env<'_>, tg_arn: &str, tkey: &str, epoch: u64) {
    let Some(tg) = st.target_groups.get_mut(tg_arn) else {
        return;
    };
    let current = tg
        .targets
        .get(tkey)
        .is_some_and(|t| t.epoch == epoch && t.state == TargetState::Draining);
    if current {
        tg.targets.remove(tkey);
        env.record(crate::timeline::Entry::TargetDeregistered {
            target_group_arn: tg_arn.to_owned(),
            target_group_name: tg.name.clone(),
            target: tkey.to_string(),
        });
    }
}

/// Registers one target (new, or again after draining); a target already registered is left as is
/// apart from its task definition.
fn register(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    tg_arn: &str,
    (id, port): (&str, i64),
    az: Option<String>,
    task_definition: Option<&str>,
) -> AwsResult<()> {
    let tkey = target_key(id, port);
    let seq = st.seq();
    let in_use = target_group_has_listener(st, tg_arn);
    let tg = st
        .target_groups
        .get_mut(tg_arn)
        .ok_or_else(|| tg_not_found_one(tg_arn))?;
    let enabled = tg.health_check.enabled;
    if let Some(t) = tg.targets.get_mut(&tkey) {
        if let Some(td) = task_definition {
            t.task_definition = Some(td.to_owned());
        }
        if t.state != TargetState::Draining {
            return Ok(());
        }
        t.checking = false;
        t.probe = None;
    } else {
        tg.targets.insert(
            tkey.clone(),
            Target {
                id: id.to_owned(),
                port,
                availability_zone: az,
                task_definition: task_definition.map(str::to_owned),
                state: TargetState::Initial,
                checked: false,
                passes: 0,
                failures: 0,
                epoch: 0,
                checking: false,
                seq,
                probe: None,
            },
        );
    }
    let name = tg.name.clone();
    if let Some(t) = tg.targets.get_mut(&tkey) {
        t.state = TargetState::Initial;
        t.epoch = seq;
    }
    env.record(crate::timeline::Entry::TargetRegistered {
        target_group_arn: tg_arn.to_owned(),
        target_group_name: name,
        target: tkey.to_string(),
        id: id.to_string(),
        port,
    });
    if in_use && enabled {
        start_chain(st, env, key, tg_arn, &tkey);
    }
    Ok(())
}

/// Deregisters one target: `draining` for the group's deregistration delay, then gone. A target
/// that is not registered (or already draining) is left alone.
fn deregister(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    tg_arn: &str,
    id: &str,
    port: i64,
) -> AwsResult<()> {
    let tkey = target_key(id, port);
    let epoch = st.seq();
    let in_use = target_group_has_listener(st, tg_arn);
    let tg = st
        .target_groups
        .get_mut(tg_arn)
        .ok_or_else(|| tg_not_found_one(tg_arn))?;
    let delay: i64 = tg
        .attributes
        .get("deregistration_delay.timeout_seconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let name = tg.name.clone();
    let Some(t) = tg.targets.get_mut(&tkey) else {
        return Ok(());
    };
    if t.state == TargetState::Draining {
        return Ok(());
    }
    if !in_use || delay == 0 {
        tg.targets.remove(&tkey);
        env.record(crate::timeline::Entry::TargetDeregistered {
            target_group_arn: tg_arn.to_owned(),
            target_group_name: name,
            target: tkey.to_string(),
        });
        return Ok(());
    }
    t.state = TargetState::Draining;
    t.checking = false;
    t.epoch = epoch;
    let at = env.after_secs(delay as f64);
    env.schedule(
        at,
        key,
        crate::sim::Signal::Target(crate::sim::signal::TargetSignal::DeregistrationDone {
            target_group_arn: tg_arn.to_owned(),
            target: tkey.clone(),
            epoch,
        }),
    );
    env.record(crate::timeline::Entry::TargetDraining {
        target_group_arn: tg_arn.to_owned(),
        target_group_name: name,
        target: tkey.to_string(),
        delay_seconds: delay,
    });
    Ok(())
}

/// `(state, reason, description)` of a registered target as DescribeTargetHealth reports it.
fn reported(in_use: bool, tg: &TargetGroup, t: &Target) -> (TargetState, Option<&'static str>, Option<&'static str>) {
    match t.state {
        TargetState::Draining => (
            TargetState::Draining,
            Some("Target.DeregistrationInProgress"),
            Some("Target deregistration is in progress"),
        ),
        _ if !in_use => (
            TargetState::Unused,
            Some("Target.NotInUse"),
            Some("Target group is not configured to receive traffic from the load balancer"),
        ),
        _ if !tg.health_check.enabled => (
            TargetState::Unavailable,
            Some("Target.HealthCheckDisabled"),
            Some("Health checks are disabled"),
        ),
        TargetState::Initial if t.checked => (
            TargetState::Initial,
            Some("Elb.InitialHealthChecking"),
            Some("Initial health checks in progress"),
        ),
        TargetState::Initial => (
            TargetState::Initial,
            Some("Elb.RegistrationInProgress"),
            Some("Target registration is in progress"),
        ),
        TargetState::Unhealthy => (
            TargetState::Unhealthy,
            Some("Target.FailedHealthChecks"),
            Some("Health checks failed"),
        ),
        s => (s, None, None),
    }
}

fn description_value(
    tg: &TargetGroup,
    id: &str,
    port: Option<i64>,
    az: Option<&str>,
    health: t::TargetHealth,
) -> t::TargetHealthDescription {
    let hc_port = match tg.health_check.port.as_deref() {
        Some("traffic-port") => port.map(|p| p.to_string()),
        Some(p) => Some(p.to_owned()),
        None => None,
    };
    t::TargetHealthDescription {
        target: Some(t::TargetDescription {
            id: id.to_owned(),
            port: port.map(|p| p as i32),
            availability_zone: az.map(str::to_owned),
            quic_server_id: None,
        }),
        target_health: Some(health),
        health_check_port: hc_port,
        ..Default::default()
    }
}

fn health_value(state: TargetState, reason: Option<&str>, description: Option<&str>) -> t::TargetHealth {
    t::TargetHealth {
        state: Some(state.as_str().into()),
        reason: reason.map(Into::into),
        description: description.map(str::to_owned),
    }
}

/// Reads `Targets` of a Register/Deregister call: `(id, port, availability zone)`.
fn read_targets(tg: &TargetGroup, list: &[t::TargetDescription]) -> AwsResult<Vec<(String, i64, Option<String>)>> {
    if list.is_empty() {
        return Err(validation("At least one target must be specified"));
    }
    let mut out = Vec::new();
    for t in list {
        let id = t.id.as_str();
        let port = match (t.port.map(i64::from), tg.port) {
            (Some(p), _) => p,
            (None, Some(p)) => p,
            (None, None) => 0,
        };
        if tg.target_type != "lambda" && !(1..=65535).contains(&port) {
            return Err(validation(format!(
                "Port '{port}' of target '{id}' must be between 1 and 65535"
            )));
        }
        check_target_id(tg, id)?;
        out.push((id.to_owned(), port, t.availability_zone.clone()));
    }
    Ok(out)
}
fn check_target_id(tg: &TargetGroup, id: &str) -> AwsResult<()> {
    let invalid = |m: String| AwsError::new("InvalidTarget", m);
    match tg.target_type.as_str() {
        "ip" => {
            let ip: Ipv4Addr = id
                .parse()
                .map_err(|_| invalid(format!("The IP address '{id}' is not a valid IPv4 address")))?;
            let o = ip.octets();
            let private = ip.is_private() || (o[0] == 100 && (64..128).contains(&o[1]));
            if !private {
                return Err(invalid(format!(
                    "The IP address '{id}' is not within the VPC's subnets or a private (RFC 1918, RFC 6598) range"
                )));
            }
        }
        "instance" if !id.starts_with("i-") => {
            return Err(invalid(format!(
                "The following targets are not valid instance IDs: '{id}'"
            )))
        }
        "lambda" if !id.starts_with("arn:aws:lambda:") => {
            return Err(invalid(format!("The target '{id}' is not a Lambda function ARN")))
        }
        "alb" if !id.contains(":loadbalancer/app/") => {
            return Err(invalid(format!(
                "The target '{id}' is not an Application Load Balancer ARN"
            )))
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn register_targets(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::RegisterTargetsInput,
) -> AwsResult<t::RegisterTargetsOutput> {
    let key = ctx.partition();
    let arn = input.target_group_arn.as_str();
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let targets = read_targets(tg, &input.targets)?;
    if tg.target_type == "lambda" && (targets.len() > 1 || !tg.targets.is_empty()) {
        let same = targets.len() == 1 && tg.targets.values().all(|t| t.id == targets[0].0);
        if !same {
            return Err(AwsError::new(
                "TooManyTargets",
                "You can register only one Lambda function with a target group",
            ));
        }
    }
    if tg.targets.len() + targets.len() > 1000 {
        return Err(AwsError::new(
            "TooManyTargets",
            "You've reached the limit on the number of targets per target group",
        ));
    }
    for (id, port, az) in targets {
        register(st, env, &key, arn, (&id, port), az, None)?;
    }
    Ok(t::RegisterTargetsOutput {})
}

pub(super) fn deregister_targets(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DeregisterTargetsInput,
) -> AwsResult<t::DeregisterTargetsOutput> {
    let key = ctx.partition();
    let arn = input.target_group_arn.as_str();
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let targets = read_targets(tg, &input.targets)?;
    for (id, port, _) in targets {
        deregister(st, env, &key, arn, &id, port)?;
    }
    Ok(t::DeregisterTargetsOutput {})
}

pub(super) fn describe_target_health(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeTargetHealthInput,
) -> AwsResult<t::DescribeTargetHealthOutput> {
    let arn = input.target_group_arn.as_str();
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let in_use = target_group_has_listener(st, arn);
    let mut out = Vec::new();
    match input.targets.as_deref() {
        Some(wanted) if !wanted.is_empty() => {
            for w in wanted {
                let id = w.id.as_str();
                let port = w.port.map(i64::from);
                let found = tg
                    .targets
                    .values()
                    .filter(|t| t.id == id && port.is_none_or(|p| p == t.port));
                let mut any = false;
                for t in found {
                    any = true;
                    let (s, r, d) = reported(in_use, tg, t);
                    out.push(description_value(
                        tg,
                        &t.id,
                        Some(t.port),
                        t.availability_zone.as_deref(),
                        health_value(s, r, d),
                    ));
                }
                if !any {
                    check_target_id(tg, id)?;
                    let health = health_value(
                        TargetState::Unused,
                        Some("Target.NotRegistered"),
                        Some("Target is not registered to the target group"),
                    );
                    out.push(description_value(
                        tg,
                        id,
                        port.or(tg.port),
                        w.availability_zone.as_deref(),
                        health,
                    ));
                }
            }
        }
        _ => {
            let mut all: Vec<&Target> = tg.targets.values().collect();
            all.sort_by_key(|t| t.seq);
            for t in all {
                let (s, r, d) = reported(in_use, tg, t);
                out.push(description_value(
                    tg,
                    &t.id,
                    Some(t.port),
                    t.availability_zone.as_deref(),
                    health_value(s, r, d),
                ));
            }
        }
    }
    Ok(t::DescribeTargetHealthOutput {
        target_health_descriptions: Some(out),
    })
}

// ---- typed functions for ECS -------------------------------------------------------------------

/// Registers an ECS task's IP in an `ip` target group, remembering its task definition (whose
/// listing in `env.faults.unhealthy_task_definitions` makes its health checks fail).
pub fn register_task_target(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    target_group_arn: &str,
    ip: &str,
    port: i64,
    task_definition_arn: &str,
) -> AwsResult<()> {
    let tg = st
        .target_groups
        .get(target_group_arn)
        .ok_or_else(|| tg_not_found_one(target_group_arn))?;
    if tg.target_type != "ip" {
        return Err(AwsError::new(
            "InvalidTarget",
            format!(
                "Target group '{target_group_arn}' has target type '{}', not 'ip'",
                tg.target_type
            ),
        ));
    }
    check_target_id(tg, ip)?;
    if !(1..=65535).contains(&port) {
        return Err(validation(format!(
            "Port '{port}' of target '{ip}' must be between 1 and 65535"
        )));
    }
    register(
        st,
        env,
        key,
        target_group_arn,
        (ip, port),
        None,
        Some(task_definition_arn),
    )
}

/// Records the outcome of a real HTTP health check of one target (the data plane runtime calls it);
/// the next scheduled health-check event of the target uses it. Unknown targets are ignored.
pub fn record_health_probe(st: &mut State, target_group_arn: &str, id: &str, port: i64, pass: bool) {
    if let Some(t) = st
        .target_groups
        .get_mut(target_group_arn)
        .and_then(|tg| tg.targets.get_mut(&target_key(id, port)))
    {
        t.probe = Some(pass);
    }
}

/// Deregisters an ECS task's IP: `draining` for the group's deregistration delay, then gone.
pub fn deregister_task_target(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    target_group_arn: &str,
    ip: &str,
    port: i64,
) -> AwsResult<()> {
    deregister(st, env, key, target_group_arn, ip, port)
}

/// The state DescribeTargetHealth would report for one target (`unused` when not registered), and
/// its reason code.
pub fn target_health(
    state: &State,
    target_group_arn: &str,
    id: &str,
    port: i64,
) -> Option<(TargetState, Option<&'static str>)> {
    let tg = state.target_groups.get(target_group_arn)?;
    let in_use = target_group_has_listener(state, target_group_arn);
    match tg.targets.get(&target_key(id, port)) {
        Some(t) => {
            let (s, r, _) = reported(in_use, tg, t);
            Some((s, r))
        }
        None => Some((TargetState::Unused, Some("Target.NotRegistered"))),
    }
}
