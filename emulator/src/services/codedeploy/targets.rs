//! Deployment targets of ECS deployments: ListDeploymentTargets, BatchGetDeploymentTargets,
//! GetDeploymentTarget. An ECS deployment has one target, `<cluster>:<service>`, of type
//! `ECSTarget`, whose `taskSetsInfo` spell the id member `identifer` (the wire name).

use super::deployments::{deployment_id, find_deployment};
use super::err;
use super::record::{Deployment, Status};
use crate::protocol::AwsResult;
use crate::services::util::{name_from_arn, opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::world::{PartitionKey, World};
use serde_json::{json, Value};

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

pub fn target_json(world: &mut World, key: &PartitionKey, d: &Deployment) -> Value {
    let events: Vec<Value> = d
        .events
        .iter()
        .map(|e| {
            let mut v = json!({"lifecycleEventName": e.name, "status": e.status});
            if let Some(t) = e.start {
                v["startTime"] = json!(t.as_secs_f64());
            }
            if let Some(t) = e.end {
                v["endTime"] = json!(t.as_secs_f64());
            }
            if let Some(x) = &e.diagnostics {
                v["diagnostics"] = x.clone();
            }
            v
        })
        .collect();
    let sets = super::peers::peers(world).task_sets_info(world, key, d);
    let mut ecs = json!({
        "deploymentId": d.id,
        "targetId": target_id(d),
        "lastUpdatedAt": d.ecs.last_updated.as_secs_f64(),
        "lifecycleEvents": events,
        "status": d.ecs.target_status,
        "taskSetsInfo": sets,
    });
    if !d.ecs.service_arn.is_empty() {
        ecs["targetArn"] = json!(d.ecs.service_arn);
    }
    json!({"deploymentTargetType": "ECSTarget", "ecsTarget": ecs})
}

fn deployment(world: &mut World, ctx: &Ctx, input: &Value) -> AwsResult<Deployment> {
    let id = deployment_id(input)?;
    let d = find_deployment(&world.region_mut(&ctx.partition()).codedeploy, &id)?.clone();
    started(&d)?;
    Ok(d)
}

pub fn list_deployment_targets(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let d = deployment(world, ctx, &input)?;
    let filters = input.get("targetFilters").cloned().unwrap_or(json!({}));
    if let Some(m) = filters.as_object() {
        if let Some(bad) = m.keys().find(|k| *k != "TargetStatus" && *k != "ServerInstanceLabel") {
            return Err(err(
                "InvalidTargetFilterNameException",
                format!("The target filter name {bad} is not valid."),
            ));
        }
    }
    let statuses = str_list(&filters, "TargetStatus");
    let labels = str_list(&filters, "ServerInstanceLabel");
    let mut ids = Vec::new();
    if (statuses.is_empty() || statuses.iter().any(|s| s == d.ecs.target_status.as_str())) && labels.is_empty() {
        ids.push(target_id(&d));
    }
    let (page, next) = paginate(&ids, opt_str(&input, "nextToken"), 100, "InvalidNextTokenException")?;
    let mut out = json!({"targetIds": page});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn no_target() -> crate::protocol::AwsError {
    err(
        "DeploymentTargetDoesNotExistException",
        "The provided target ID does not belong to the attempted deployment",
    )
}

pub fn batch_get_deployment_targets(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let d = deployment(world, ctx, &input)?;
    let ids = str_list(&input, "targetIds");
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
    let key = ctx.partition();
    let mut out = Vec::new();
    for id in ids {
        if id != target_id(&d) {
            return Err(no_target());
        }
        out.push(target_json(world, &key, &d));
    }
    Ok(json!({"deploymentTargets": out}))
}

pub fn get_deployment_target(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let d = deployment(world, ctx, &input)?;
    let id = opt_str(&input, "targetId").unwrap_or("");
    if id.is_empty() {
        return Err(err(
            "DeploymentTargetIdRequiredException",
            "A deployment target ID was not provided.",
        ));
    }
    if id != target_id(&d) {
        return Err(no_target());
    }
    Ok(json!({"deploymentTarget": target_json(world, &ctx.partition(), &d)}))
}
