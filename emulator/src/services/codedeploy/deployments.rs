//! Deployments: CreateDeployment, GetDeployment, BatchGetDeployments, ListDeployments (newest
//! first), StopDeployment, ContinueDeployment. The lifecycle itself runs in
//! `lifecycle/deployment.rs`.
//!
//! Only ECS applications deploy; CreateDeployment on a Server or Lambda application answers
//! `InvalidRevisionException` saying so. Revisions must carry their AppSpec inline
//! (`AppSpecContent` or `String`); S3 and GitHub revisions answer `InvalidRevisionException`.

use super::peers::peers;
use super::record::{self, Deployment, EcsRun, Phase, RollbackInfo, Status, TargetStatus};
use super::{app_name, application, appspec, configs, err, groups, revisions, State};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::world::World;
use cutover_types::codedeploy::ComputePlatform;
use serde_json::{json, Value};

/// `d-` and nine upper-case letters and digits.
pub fn new_deployment_id(world: &mut World) -> String {
    format!("d-{}", world.ids.upper_alnum(9))
}

fn valid_id(id: &str) -> bool {
    id.len() == 11 && id.starts_with("d-") && id[2..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The `deploymentId` member, checked for presence and format.
pub fn deployment_id(input: &Value) -> AwsResult<String> {
    let id = opt_str(input, "deploymentId").unwrap_or("");
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

fn overview(d: &Deployment) -> Value {
    let mut o = json!({"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0});
    let s = if d.status == Status::Created {
        "Pending"
    } else {
        d.ecs.target_status.as_str()
    };
    if let Some(c) = o.get_mut(s) {
        *c = json!(1);
    }
    o
}

pub fn deployment_json(d: &Deployment) -> Value {
    let mut v = json!({
        "applicationName": d.application_name,
        "deploymentGroupName": d.deployment_group_name,
        "deploymentConfigName": d.deployment_config_name,
        "deploymentId": d.id,
        "revision": revisions::without_content(&d.revision),
        "status": d.status.as_str(),
        "createTime": d.create_time.as_secs_f64(),
        "deploymentOverview": overview(d),
        "creator": d.creator,
        "ignoreApplicationStopFailures": false,
        "autoRollbackConfiguration": d.auto_rollback,
        "updateOutdatedInstancesOnly": false,
        "deploymentStyle": d.deployment_style,
        "instanceTerminationWaitTimeStarted": d.termination_wait_started,
        "blueGreenDeploymentConfiguration": d.blue_green,
        "loadBalancerInfo": d.load_balancer_info,
        "deploymentStatusMessages": d.status_messages,
        "computePlatform": d.compute_platform,
    });
    if let Some(p) = &d.previous_revision {
        v["previousRevision"] = revisions::without_content(p);
    }
    if let Some((code, message)) = &d.error {
        v["errorInformation"] = json!({"code": code, "message": message});
    }
    if let Some(t) = d.start_time {
        v["startTime"] = json!(t.as_secs_f64());
    }
    if let Some(t) = d.complete_time {
        v["completeTime"] = json!(t.as_secs_f64());
    }
    if let Some(desc) = &d.description {
        v["description"] = json!(desc);
    }
    if let Some(o) = &d.override_alarm {
        v["overrideAlarmConfiguration"] = o.clone();
    }
    let r = &d.rollback;
    if *r != RollbackInfo::default() {
        let mut ri = json!({});
        if let Some(x) = &r.deployment_id {
            ri["rollbackDeploymentId"] = json!(x);
        }
        if let Some(x) = &r.triggering_id {
            ri["rollbackTriggeringDeploymentId"] = json!(x);
        }
        if let Some(x) = &r.message {
            ri["rollbackMessage"] = json!(x);
        }
        v["rollbackInfo"] = ri;
    }
    v
}

pub fn create_deployment(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let app = app_name(&input, "applicationName")?;
    let group_name = opt_str(&input, "deploymentGroupName").unwrap_or("").to_owned();
    if group_name.is_empty() {
        return Err(err(
            "DeploymentGroupNameRequiredException",
            "The deployment group name must be specified.",
        ));
    }
    if input.get("fileExistsBehavior").is_some() {
        return Err(err(
            "InvalidFileExistsBehaviorException",
            "For Lambda and ECS deployment, fileExistsBehavior can not be specified",
        ));
    }
    if input.get("targetInstances").is_some() {
        return Err(err(
            "InvalidTargetInstancesException",
            "targetInstances can only be specified for EC2/On-premises blue/green deployments.",
        ));
    }
    let description = opt_str(&input, "description").map(str::to_owned);
    let st = &world.region_mut(&key).codedeploy;
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
    let config_name = opt_str(&input, "deploymentConfigName")
        .map(str::to_owned)
        .unwrap_or_else(|| group.deployment_config_name.clone());
    let config = configs::find(st, &config_name).ok_or_else(|| configs::no_config(&config_name))?;
    if config.compute_platform != platform {
        return Err(err(
            "InvalidDeploymentConfigNameException",
            format!("The deployment configuration {config_name} is not for the {platform} compute platform."),
        ));
    }
    let revision = revisions::normalize(input.get("revision"))?;
    let content = revisions::content(&revision).ok_or_else(|| {
        err(
            "InvalidRevisionException",
            "cutover reads ECS AppSpec files only from AppSpecContent or String revisions, not from S3 or GitHub.",
        )
    })?;
    let spec = appspec::parse(content).map_err(|m| err("InvalidRevisionException", m))?;
    let auto_rollback = match input.get("autoRollbackConfiguration") {
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
        .and_then(|l| opt_str(l, "deploymentId"))
        .and_then(|pid| st.deployments.get(pid))
        .map(|p| p.revision.clone());
    let id = new_deployment_id(world);
    let now = world.now;
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
        creator: "user".into(),
        auto_rollback,
        alarm_configuration: group.alarm_configuration.clone(),
        override_alarm: input.get("overrideAlarmConfiguration").cloned(),
        blue_green: group.blue_green.clone(),
        load_balancer_info: group.load_balancer_info.clone(),
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
    let st = &mut world.region_mut(&key).codedeploy;
    revisions::record_use(st, &app, &revision, Some(&group_name), now.as_secs_f64());
    st.deployments.insert(id.clone(), d);
    st.deployment_order.push(id.clone());
    world.record(crate::timeline::Entry::DeploymentCreated {
        deployment_id: id.clone(),
        group: group_name.to_string(),
        application: app.to_string(),
    });
    record::schedule_start(world, &key, &id);
    Ok(json!({"deploymentId": id}))
}

pub fn get_deployment(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let id = deployment_id(&input)?;
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    Ok(json!({"deploymentInfo": deployment_json(find_deployment(st, &id)?)}))
}

pub fn batch_get_deployments(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let ids = str_list(&input, "deploymentIds");
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
    let st = &world.region_mut(&ctx.partition()).codedeploy;
    let out: Vec<Value> = ids
        .iter()
        .filter_map(|id| st.deployments.get(id))
        .map(deployment_json)
        .collect();
    Ok(json!({"deploymentsInfo": out}))
}

pub fn list_deployments(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let app = opt_str(&input, "applicationName").filter(|s| !s.is_empty());
    let group = opt_str(&input, "deploymentGroupName").filter(|s| !s.is_empty());
    let st = &world.region_mut(&ctx.partition()).codedeploy;
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
    let statuses = str_list(&input, "includeOnlyStatuses");
    let start = input.pointer("/createTimeRange/start").and_then(Value::as_f64);
    let end = input.pointer("/createTimeRange/end").and_then(Value::as_f64);
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(err(
                "InvalidTimeRangeException",
                "The start time of the time range is after its end.",
            ));
        }
    }
    let external = opt_str(&input, "externalId");
    let ids: Vec<String> = st
        .deployment_order
        .iter()
        .rev()
        .filter_map(|id| st.deployments.get(id))
        .filter(|d| app.is_none_or(|a| d.application_name == a) && group.is_none_or(|g| d.deployment_group_name == g))
        .filter(|d| statuses.is_empty() || statuses.iter().any(|s| s == d.status.as_str()))
        .filter(|d| {
            let t = d.create_time.as_secs_f64();
            start.is_none_or(|s| t >= s) && end.is_none_or(|e| t <= e)
        })
        .filter(|_| external.is_none())
        .map(|d| d.id.clone())
        .collect();
    let (page, next) = paginate(&ids, opt_str(&input, "nextToken"), 100, "InvalidNextTokenException")?;
    let mut out = json!({"deployments": page});
    if let Some(n) = next {
        out["nextToken"] = json!(n);
    }
    Ok(out)
}

fn already_complete(id: &str) -> AwsError {
    err(
        "DeploymentAlreadyCompletedException",
        format!("The deployment {id} is already complete."),
    )
}

pub fn stop_deployment(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let id = deployment_id(&input)?;
    let d = find_deployment(&world.region_mut(&key).codedeploy, &id)?;
    if !d.status.is_active() {
        return Err(already_complete(&id));
    }
    let auto = input.get("autoRollbackEnabled").and_then(Value::as_bool);
    peers(world).stop(world, &key, &id, auto);
    let d = find_deployment(&world.region_mut(&key).codedeploy, &id)?;
    let message = match &d.rollback.deployment_id {
        Some(r) => format!("Deployment {id} stopped; rollback deployment {r} created"),
        None => format!("Deployment {id} stopped"),
    };
    Ok(json!({"status": "Succeeded", "statusMessage": message}))
}

pub fn continue_deployment(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let id = deployment_id(&input)?;
    let wait_type = opt_str(&input, "deploymentWaitType").unwrap_or("READY_WAIT").to_owned();
    let d = find_deployment(&world.region_mut(&key).codedeploy, &id)?;
    if !d.status.is_active() {
        return Err(already_complete(&id));
    }
    match wait_type.as_str() {
        "READY_WAIT" => {
            if d.phase != Phase::ReadyWait {
                return Err(err(
                    "DeploymentIsNotInReadyStateException",
                    "The deployment does not have a status of Ready and can't continue yet.",
                ));
            }
            peers(world).continue_ready(world, &key, &id);
        }
        "TERMINATION_WAIT" => {
            if d.phase != Phase::TerminationWait {
                return Err(err(
                    "InvalidDeploymentStatusException",
                    format!("The deployment {id} is not waiting to terminate its original task set."),
                ));
            }
            peers(world).end_termination_wait(world, &key, &id);
        }
        other => {
            return Err(err(
                "InvalidDeploymentWaitTypeException",
                format!("The wait type {other} is not valid: use READY_WAIT or TERMINATION_WAIT."),
            ))
        }
    }
    Ok(json!({}))
}
