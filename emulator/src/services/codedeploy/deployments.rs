//! Deployments: CreateDeployment, GetDeployment, BatchGetDeployments, ListDeployments (newest
//! first), and the checks of StopDeployment and ContinueDeployment, whose transitions the
//! lifecycle layer makes (`lifecycle::handler`). The lifecycle itself runs in
//! `lifecycle/deployment.rs`.
//!
//! Only ECS applications deploy; CreateDeployment on a Server or Lambda application answers
//! `InvalidRevisionException` saying so. Revisions must carry their AppSpec inline
//! (`AppSpecContent` or `String`); S3 and GitHub revisions answer `InvalidRevisionException`.

use super::record::{self, Deployment, EcsRun, Phase, RollbackInfo, Status, TargetStatus};
use super::{app_name, application, appspec, configs, err, groups, revisions, State};
use crate::env::{Env, Ids};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::codedeploy::{self as t, ComputePlatform, DeploymentCreator, DeploymentWaitType};

/// `d-` and nine upper-case letters and digits.
pub fn new_deployment_id(ids: &mut Ids) -> String {
    format!("d-{}", ids.upper_alnum(9))
}

fn valid_id(id: &str) -> bool {
    id.len() == 11 && id.starts_with("d-") && id[2..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A `deploymentId` member, checked for presence and format.
pub fn deployment_id(id: &str) -> AwsResult<String> {
    check_id(id)?;
    Ok(id.to_owned())
}

fn check_id(id: &str) -> AwsResult<()> {
    if id.is_empty() {
        return Err(err(
            "DeploymentIdRequiredException",
            "At least one deployment ID must be specified.",
        ));
    }
    if !valid_id(id) {
        return Err(err(
            "InvalidDeploymentIdException",
            format!("Specified DeploymentId is not in the valid format: {id}"),
        ));
    }
    Ok(())
}

pub fn find_deployment<'a>(st: &'a State, id: &str) -> AwsResult<&'a Deployment> {
    st.deployments.get(id).ok_or_else(|| no_deployment(id))
}

pub fn no_deployment(id: &str) -> AwsError {
    err(
        "DeploymentDoesNotExistException",
        format!("The deployment {id} could not be found."),
    )
}

fn overview(d: &Deployment) -> t::DeploymentOverview {
    let mut o = t::DeploymentOverview {
        pending: Some(0),
        in_progress: Some(0),
        succeeded: Some(0),
        failed: Some(0),
        skipped: Some(0),
        ready: Some(0),
    };
    let count = match (d.status, d.ecs.target_status) {
        (Status::Created, _) | (_, TargetStatus::Pending) => &mut o.pending,
        (_, TargetStatus::InProgress) => &mut o.in_progress,
        (_, TargetStatus::Ready) => &mut o.ready,
        (_, TargetStatus::Succeeded) => &mut o.succeeded,
        (_, TargetStatus::Failed) => &mut o.failed,
        (_, TargetStatus::Skipped) => &mut o.skipped,
    };
    *count = Some(1);
    o
}

pub fn deployment_info(d: &Deployment) -> t::DeploymentInfo {
    let r = &d.rollback;
    t::DeploymentInfo {
        application_name: Some(d.application_name.clone()),
        deployment_group_name: Some(d.deployment_group_name.clone()),
        deployment_config_name: Some(d.deployment_config_name.clone()),
        deployment_id: Some(d.id.clone()),
        revision: Some(revisions::without_content(&d.revision)),
        status: Some(d.status.wire()),
        create_time: Some(d.create_time.as_secs_f64()),
        deployment_overview: Some(overview(d)),
        creator: Some(d.creator.clone()),
        ignore_application_stop_failures: Some(false),
        auto_rollback_configuration: Some(d.auto_rollback.clone()),
        update_outdated_instances_only: Some(false),
        deployment_style: Some(d.deployment_style.clone()),
        instance_termination_wait_time_started: Some(d.termination_wait_started),
        blue_green_deployment_configuration: Some(d.blue_green.clone()),
        load_balancer_info: Some(d.load_balancer_info.clone()),
        deployment_status_messages: Some(d.status_messages.clone()),
        compute_platform: Some(d.compute_platform.clone()),
        previous_revision: d.previous_revision.as_ref().map(revisions::without_content),
        error_information: d.error.as_ref().map(|(code, message)| t::ErrorInformation {
            code: Some(code.clone()),
            message: Some(message.clone()),
        }),
        start_time: d.start_time.map(|t| t.as_secs_f64()),
        complete_time: d.complete_time.map(|t| t.as_secs_f64()),
        description: d.description.clone(),
        override_alarm_configuration: d.override_alarm.clone(),
        rollback_info: (*r != RollbackInfo::default()).then(|| t::RollbackInfo {
            rollback_deployment_id: r.deployment_id.clone(),
            rollback_triggering_deployment_id: r.triggering_id.clone(),
            rollback_message: r.message.clone(),
        }),
        ..Default::default()
    }
}

pub fn create_deployment(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateDeploymentInput,
) -> AwsResult<t::CreateDeploymentOutput> {
    let key = ctx.partition();
    let app = app_name(&input.application_name)?;
    let group_name = input.deployment_group_name.clone().unwrap_or_default();
    if group_name.is_empty() {
        return Err(err(
            "DeploymentGroupNameRequiredException",
            "The deployment group name must be specified.",
        ));
    }
    if input.file_exists_behavior.is_some() {
        return Err(err(
            "InvalidFileExistsBehaviorException",
            "For Lambda and ECS deployment, fileExistsBehavior can not be specified",
        ));
    }
    if input.target_instances.is_some() {
        return Err(err(
            "InvalidTargetInstancesException",
            "targetInstances can only be specified for EC2/On-premises blue/green deployments.",
        ));
    }
    let description = input.description.clone();
    let platform = application(st, &app)?.compute_platform.clone();
    let group = groups::find(st, &app, &group_name)?.clone();
    if platform != ComputePlatform::Ecs {
        return Err(err(
            "InvalidRevisionException",
            format!(
                "cutover simulates deployments of the ECS compute platform only; application {app} uses {platform}."
            ),
        ));
    }
    let config_name = input
        .deployment_config_name
        .clone()
        .unwrap_or_else(|| group.deployment_config_name.clone());
    let config = configs::find(st, &config_name).ok_or_else(|| configs::no_config(&config_name))?;
    if config.compute_platform != platform {
        return Err(err(
            "InvalidDeploymentConfigNameException",
            format!("The deployment configuration {config_name} is not for the {platform} compute platform."),
        ));
    }
    let revision = revisions::normalize(input.revision.as_ref())?;
    let content = revisions::content(&revision).ok_or_else(|| {
        err(
            "InvalidRevisionException",
            "cutover reads ECS AppSpec files only from AppSpecContent or String revisions, not from S3 or GitHub.",
        )
    })?;
    let spec = appspec::parse(content).map_err(|m| err("InvalidRevisionException", m))?;
    let auto_rollback = match &input.auto_rollback_configuration {
        Some(a) => groups::normalize_auto_rollback(Some(a))?,
        None => group.auto_rollback.clone(),
    };
    if let Some(active) = st
        .deployments
        .values()
        .find(|d| d.application_name == app && d.deployment_group_name == group_name && d.status.is_active())
    {
        return Err(err(
            "DeploymentLimitExceededException",
            format!(
                "The Deployment Group '{group_name}' already has an active Deployment '{}'",
                active.id
            ),
        ));
    }
    let pair = group.ecs_pair().ok_or_else(|| {
        err(
            "InvalidLoadBalancerInfoException",
            "The deployment group has no ECS service and target group pair.",
        )
    })?;
    let previous_revision = group
        .last_successful
        .as_ref()
        .and_then(|l| l.deployment_id.as_deref())
        .and_then(|pid| st.deployments.get(pid))
        .map(|p| p.revision.clone());
    let id = new_deployment_id(env.ids);
    let now = env.now;
    let d = Deployment {
        id: id.clone(),
        application_name: app.clone(),
        deployment_group_name: group_name.clone(),
        deployment_config_name: config_name,
        compute_platform: platform,
        routing: configs::Routing::of(&config),
        revision: revision.clone(),
        previous_revision,
        status: Status::Created,
        error: None,
        create_time: now,
        start_time: None,
        complete_time: None,
        description,
        creator: DeploymentCreator::User,
        auto_rollback,
        alarm_configuration: group.alarm_configuration.clone(),
        override_alarm: input.override_alarm_configuration.clone(),
        blue_green: group.blue_green.clone().unwrap_or_default(),
        load_balancer_info: group.load_balancer_info.clone().unwrap_or_default(),
        deployment_style: group.deployment_style.clone(),
        rollback: RollbackInfo::default(),
        status_messages: Vec::new(),
        events: record::event_list(!pair.test_listeners.is_empty()),
        hooks: Vec::new(),
        ecs: EcsRun {
            cluster: pair.cluster,
            service: pair.service,
            appspec: spec,
            target_group_names: pair.target_groups,
            prod_listeners: pair.prod_listeners,
            test_listeners: pair.test_listeners,
            target_status: TargetStatus::Pending,
            last_updated: now,
            ..EcsRun::default()
        },
        phase: Phase::Created,
        epoch: 0,
        ready_continued: false,
        termination_wait_started: false,
        wait_until: None,
    };
    revisions::record_use(st, &app, &revision, Some(&group_name), now.as_secs_f64());
    st.deployments.insert(id.clone(), d);
    st.deployment_order.push(id.clone());
    env.record(crate::timeline::Entry::DeploymentCreated {
        deployment_id: id.clone(),
        group: group_name.to_string(),
        application: app.to_string(),
    });
    record::schedule_start(env, &key, &id);
    Ok(t::CreateDeploymentOutput {
        deployment_id: Some(id),
    })
}

pub fn get_deployment(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::GetDeploymentInput,
) -> AwsResult<t::GetDeploymentOutput> {
    let id = deployment_id(&input.deployment_id)?;
    Ok(t::GetDeploymentOutput {
        deployment_info: Some(deployment_info(find_deployment(st, &id)?)),
    })
}

pub fn batch_get_deployments(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::BatchGetDeploymentsInput,
) -> AwsResult<t::BatchGetDeploymentsOutput> {
    let ids = input.deployment_ids;
    if ids.is_empty() {
        return Err(err(
            "DeploymentIdRequiredException",
            "At least one deployment ID must be specified.",
        ));
    }
    if ids.len() > 25 {
        return Err(err(
            "BatchLimitExceededException",
            "The maximum number of names or IDs allowed for this request (25) was exceeded.",
        ));
    }
    for id in &ids {
        check_id(id)?;
    }
    let out: Vec<t::DeploymentInfo> = ids
        .iter()
        .filter_map(|id| st.deployments.get(id))
        .map(deployment_info)
        .collect();
    Ok(t::BatchGetDeploymentsOutput {
        deployments_info: Some(out),
    })
}

pub fn list_deployments(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListDeploymentsInput,
) -> AwsResult<t::ListDeploymentsOutput> {
    let app = input.application_name.as_deref().filter(|s| !s.is_empty());
    let group = input.deployment_group_name.as_deref().filter(|s| !s.is_empty());
    match (app, group) {
        (Some(a), Some(g)) => {
            groups::find(st, a, g)?;
        }
        (Some(a), None) => {
            application(st, a)?;
            return Err(err(
                "DeploymentGroupNameRequiredException",
                "If applicationName is specified, deploymentGroupName must be specified too.",
            ));
        }
        (None, Some(_)) => {
            return Err(err(
                "ApplicationNameRequiredException",
                "If deploymentGroupName is specified, applicationName must be specified too.",
            ))
        }
        (None, None) => {}
    }
    let statuses = input.include_only_statuses.clone().unwrap_or_default();
    let range = input.create_time_range.clone().unwrap_or_default();
    let (start, end) = (range.start, range.end);
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(err(
                "InvalidTimeRangeException",
                "The start time of the time range is after its end.",
            ));
        }
    }
    let external = input.external_id.as_deref();
    let ids: Vec<String> = st
        .deployment_order
        .iter()
        .rev()
        .filter_map(|id| st.deployments.get(id))
        .filter(|d| app.is_none_or(|a| d.application_name == a) && group.is_none_or(|g| d.deployment_group_name == g))
        .filter(|d| statuses.is_empty() || statuses.contains(&d.status.wire()))
        .filter(|d| {
            let t = d.create_time.as_secs_f64();
            start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
        })
        .filter(|_| external.is_none())
        .map(|d| d.id.clone())
        .collect();
    let (page, next) = paginate(&ids, input.next_token.as_deref(), 100, "InvalidNextTokenException")?;
    Ok(t::ListDeploymentsOutput {
        deployments: Some(page),
        next_token: next,
    })
}

fn already_complete(id: &str) -> AwsError {
    err(
        "DeploymentAlreadyCompletedException",
        format!("The deployment {id} is already complete."),
    )
}

/// StopDeployment's checks (the lifecycle layer then stops it): the active deployment's id.
pub fn stop_request(st: &State, input: &t::StopDeploymentInput) -> AwsResult<String> {
    let id = deployment_id(&input.deployment_id)?;
    let d = find_deployment(st, &id)?;
    if !d.status.is_active() {
        return Err(already_complete(&id));
    }
    Ok(id)
}

/// StopDeployment's answer once the deployment has stopped.
pub fn stopped(st: &State, id: &str) -> AwsResult<t::StopDeploymentOutput> {
    let d = find_deployment(st, id)?;
    let message = match &d.rollback.deployment_id {
        Some(r) => format!("Deployment {id} stopped; rollback deployment {r} created"),
        None => format!("Deployment {id} stopped"),
    };
    Ok(t::StopDeploymentOutput {
        status: Some(t::StopStatus::Succeeded),
        status_message: Some(message),
    })
}

/// The wait a ContinueDeployment ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continue {
    /// READY_WAIT: reroute traffic now.
    Ready,
    /// TERMINATION_WAIT: terminate the original task set now.
    Termination,
}

/// ContinueDeployment's checks (the lifecycle layer then moves the deployment): the deployment's
/// id and the wait it ends.
pub fn continue_request(st: &State, input: &t::ContinueDeploymentInput) -> AwsResult<(String, Continue)> {
    let id = deployment_id(input.deployment_id.as_deref().unwrap_or(""))?;
    let wait_type = input
        .deployment_wait_type
        .clone()
        .unwrap_or(DeploymentWaitType::ReadyWait);
    let d = find_deployment(st, &id)?;
    if !d.status.is_active() {
        return Err(already_complete(&id));
    }
    match wait_type {
        DeploymentWaitType::ReadyWait => {
            if d.phase != Phase::ReadyWait {
                return Err(err(
                    "DeploymentIsNotInReadyStateException",
                    "The deployment does not have a status of Ready and can't continue yet.",
                ));
            }
            Ok((id, Continue::Ready))
        }
        DeploymentWaitType::TerminationWait => {
            if d.phase != Phase::TerminationWait {
                return Err(err(
                    "InvalidDeploymentStatusException",
                    format!("The deployment {id} is not waiting to terminate its original task set."),
                ));
            }
            Ok((id, Continue::Termination))
        }
        DeploymentWaitType::Unknown(other) => Err(err(
            "InvalidDeploymentWaitTypeException",
            format!("The wait type {other} is not valid: use READY_WAIT or TERMINATION_WAIT."),
        )),
    }
}
