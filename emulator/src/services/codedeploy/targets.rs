//! Deployment targets of ECS deployments: ListDeploymentTargets, BatchGetDeploymentTargets,
//! GetDeploymentTarget. An ECS deployment has one target, `<cluster>:<service>`, of type
//! `ECSTarget`, whose `taskSetsInfo` spell the id member `identifer` (the wire name).

use super::deployments::{deployment_id, find_deployment};
use super::peers::Targets;
use super::record::{Deployment, Status, TargetStatus};
use super::{err, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::{name_from_arn, paginate};
use crate::services::Ctx;
use crate::timeline::LifecycleStatus;
use cutover_types::codedeploy::{self as t, DeploymentTargetType, LifecycleEventStatus, TargetFilterName};

fn target_id(d: &Deployment) -> String {
    format!("{}:{}", name_from_arn(&d.ecs.cluster), name_from_arn(&d.ecs.service))
}

fn started(d: &Deployment) -> AwsResult<()> {
    if d.status == Status::Created {
        return Err(err(
            "DeploymentNotStartedException",
            "The specified deployment has not started",
        ));
    }
    Ok(())
}

fn target_status(s: TargetStatus) -> t::TargetStatus {
    match s {
        TargetStatus::Pending => t::TargetStatus::Pending,
        TargetStatus::InProgress => t::TargetStatus::InProgress,
        TargetStatus::Ready => t::TargetStatus::Ready,
        TargetStatus::Succeeded => t::TargetStatus::Succeeded,
        TargetStatus::Failed => t::TargetStatus::Failed,
        TargetStatus::Skipped => t::TargetStatus::Skipped,
    }
}

fn event_status(s: LifecycleStatus) -> LifecycleEventStatus {
    match s {
        LifecycleStatus::Pending => LifecycleEventStatus::Pending,
        LifecycleStatus::InProgress => LifecycleEventStatus::InProgress,
        LifecycleStatus::Succeeded => LifecycleEventStatus::Succeeded,
        LifecycleStatus::Failed => LifecycleEventStatus::Failed,
        LifecycleStatus::Skipped => LifecycleEventStatus::Skipped,
    }
}

pub fn target(peers: &dyn Targets, d: &Deployment) -> t::DeploymentTarget {
    let events: Vec<t::LifecycleEvent> = d
        .events
        .iter()
        .map(|e| t::LifecycleEvent {
            lifecycle_event_name: Some(e.name.to_string()),
            status: Some(event_status(e.status)),
            start_time: e.start.map(|t| t.as_secs_f64()),
            end_time: e.end.map(|t| t.as_secs_f64()),
            diagnostics: e.diagnostics.clone(),
        })
        .collect();
    t::DeploymentTarget {
        deployment_target_type: Some(DeploymentTargetType::ECSTarget),
        ecs_target: Some(t::ECSTarget {
            deployment_id: Some(d.id.clone()),
            target_id: Some(target_id(d)),
            last_updated_at: Some(d.ecs.last_updated.as_secs_f64()),
            lifecycle_events: Some(events),
            status: Some(target_status(d.ecs.target_status)),
            task_sets_info: Some(peers.task_sets_info(d)),
            target_arn: (!d.ecs.service_arn.is_empty()).then(|| d.ecs.service_arn.clone()),
        }),
        ..Default::default()
    }
}

fn deployment<'a>(st: &'a State, id: &str) -> AwsResult<&'a Deployment> {
    let id = deployment_id(id)?;
    let d = find_deployment(st, &id)?;
    started(d)?;
    Ok(d)
}

pub fn list_deployment_targets(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListDeploymentTargetsInput,
) -> AwsResult<t::ListDeploymentTargetsOutput> {
    let d = deployment(st, &input.deployment_id)?;
    let mut statuses = Vec::new();
    let mut labels = Vec::new();
    for (name, values) in input.target_filters.clone().unwrap_or_default() {
        match TargetFilterName::from(name.as_str()) {
            TargetFilterName::TargetStatus => statuses = values,
            TargetFilterName::ServerInstanceLabel => labels = values,
            TargetFilterName::Unknown(bad) => {
                return Err(err(
                    "InvalidTargetFilterNameException",
                    format!("The target filter name {bad} is not valid."),
                ))
            }
        }
    }
    let mut ids = Vec::new();
    let status_matches = statuses
        .iter()
        .any(|s| TargetStatus::parse(s) == Some(d.ecs.target_status));
    if (statuses.is_empty() || status_matches) && labels.is_empty() {
        ids.push(target_id(d));
    }
    let (page, next) = paginate(&ids, input.next_token.as_deref(), 100, "InvalidNextTokenException")?;
    Ok(t::ListDeploymentTargetsOutput {
        target_ids: Some(page),
        next_token: next,
    })
}

fn no_target() -> crate::protocol::AwsError {
    err(
        "DeploymentTargetDoesNotExistException",
        "The provided target ID does not belong to the attempted deployment",
    )
}

/// BatchGetDeploymentTargets; the task sets through `peers`.
pub fn batch_get_deployment_targets(
    st: &State,
    peers: &dyn Targets,
    input: t::BatchGetDeploymentTargetsInput,
) -> AwsResult<t::BatchGetDeploymentTargetsOutput> {
    let d = deployment(st, &input.deployment_id)?;
    let ids = input.target_ids;
    if ids.is_empty() {
        return Err(err(
            "DeploymentTargetIdRequiredException",
            "A deployment target ID was not provided.",
        ));
    }
    if ids.len() > 25 {
        return Err(err(
            "DeploymentTargetListSizeExceededException",
            "The maximum number of targets that can be associated with an Amazon ECS or AWS Lambda deployment (25) was exceeded.",
        ));
    }
    let mut out = Vec::new();
    for id in ids {
        if id != target_id(d) {
            return Err(no_target());
        }
        out.push(target(peers, d));
    }
    Ok(t::BatchGetDeploymentTargetsOutput {
        deployment_targets: Some(out),
    })
}

/// GetDeploymentTarget; the task sets through `peers`.
pub fn get_deployment_target(
    st: &State,
    peers: &dyn Targets,
    input: t::GetDeploymentTargetInput,
) -> AwsResult<t::GetDeploymentTargetOutput> {
    let d = deployment(st, &input.deployment_id)?;
    let id = input.target_id;
    if id.is_empty() {
        return Err(err(
            "DeploymentTargetIdRequiredException",
            "A deployment target ID was not provided.",
        ));
    }
    if id != target_id(d) {
        return Err(no_target());
    }
    Ok(t::GetDeploymentTargetOutput {
        deployment_target: Some(target(peers, d)),
    })
}
