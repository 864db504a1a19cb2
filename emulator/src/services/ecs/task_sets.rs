//! Task sets: CreateTaskSet, DescribeTaskSets, UpdateTaskSet, DeleteTaskSet and
//! UpdateServicePrimaryTaskSet. Users may call them only on EXTERNAL services (as on AWS); the
//! CodeDeploy deployment machine (`lifecycle/deployment.rs`) uses the same operations on CODE_DEPLOY
//! services through the typed functions here.

use super::links::Peers;
use super::services::{self, computed_desired, poke, service_not_found, task_set_out, TaskSet, Unit};
use super::status::{ServiceStatus, TaskSetStatus};
use super::{invalid_parameter, name_from_arn, tags, task_definitions, tasks, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use crate::sim::PartitionKey;
use cutover_types::ecs as t;
use t::{DeploymentControllerType, LaunchType, StabilityStatus};

/// What a new task set is to run.
#[derive(Debug, Clone, Default)]
pub struct TaskSetSpec {
    pub task_definition: String,
    pub external_id: Option<String>,
    pub started_by: Option<String>,
    pub load_balancers: Vec<t::LoadBalancer>,
    /// The service's when `None`.
    pub network_configuration: Option<t::NetworkConfiguration>,
    pub launch_type: Option<LaunchType>,
    pub capacity_provider_strategy: Vec<t::CapacityProviderStrategyItem>,
    pub platform_version: Option<String>,
    pub scale: f64,
}

/// A snapshot of a task set for the deployment machine.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSetView {
    pub id: String,
    pub arn: String,
    pub status: TaskSetStatus,
    pub task_definition: String,
    pub target_groups: Vec<String>,
    pub computed_desired_count: i64,
    pub running_count: i64,
    pub pending_count: i64,
    pub steady: bool,
}

/// The service a task set call names, for changing it.
fn service_mut<'a>(st: &'a mut State, service_arn: &str) -> AwsResult<&'a mut services::Service> {
    st.services.get_mut(service_arn).ok_or_else(service_not_found)
}

fn external_only(controller: &DeploymentControllerType) -> AwsResult<()> {
    if *controller == DeploymentControllerType::External {
        Ok(())
    } else {
        Err(invalid_parameter(
            "Amazon ECS only supports task set management on services configured to use external deployment controllers.",
        ))
    }
}

fn task_set_not_found() -> AwsError {
    AwsError::new("TaskSetNotFoundException", "The specified task set does not exist.")
}

fn matches(ts: &TaskSet, ident: &str) -> bool {
    ts.arn == ident || ts.unit.id == ident
}

pub fn view(state: &State, service_arn: &str, ident: &str) -> Option<TaskSetView> {
    let svc = state.services.get(service_arn)?;
    let ts = svc.task_sets.iter().find(|t| matches(t, ident))?;
    let v = task_set_out(state, svc, ts, false);
    Some(TaskSetView {
        id: ts.unit.id.clone(),
        arn: ts.arn.clone(),
        status: ts.status,
        task_definition: ts.unit.task_definition.clone(),
        target_groups: ts
            .unit
            .load_balancers
            .iter()
            .filter_map(|l| l.target_group_arn.clone())
            .collect(),
        computed_desired_count: computed_desired(svc.desired_count, ts.scale),
        running_count: v.running_count.map_or(0, i64::from),
        pending_count: v.pending_count.map_or(0, i64::from),
        steady: ts.stability_status == StabilityStatus::SteadyState,
    })
}

/// All task sets of a service, PRIMARY first.
pub fn views(state: &State, service_arn: &str) -> Vec<TaskSetView> {
    let Some(svc) = state.services.get(service_arn) else {
        return Vec::new();
    };
    svc.task_sets
        .iter()
        .filter_map(|t| view(state, service_arn, &t.unit.id))
        .collect()
}

/// Creates a task set (status ACTIVE) on a service; the deployment machine's and the API's common path.
pub fn create(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &dyn Peers,
    key: &PartitionKey,
    service_arn: &str,
    spec: TaskSetSpec,
) -> AwsResult<TaskSetView> {
    let now = env.now;
    let svc = st.services.get(service_arn).cloned().ok_or_else(service_not_found)?;
    if svc.status != ServiceStatus::Active {
        return Err(AwsError::new("ServiceNotActiveException", "Service was not ACTIVE."));
    }
    if svc
        .task_sets
        .iter()
        .filter(|t| t.status != TaskSetStatus::Draining)
        .count()
        >= super::services::MAX_TASK_SETS
    {
        return Err(invalid_parameter(
            "5 deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.",
        ));
    }
    if !(0.0..=100.0).contains(&spec.scale) {
        return Err(invalid_parameter("scale value must be between 0 and 100."));
    }
    let td = task_definitions::find(st, &spec.task_definition)
        .filter(|t| t.status == super::task_definitions::TaskDefinitionStatus::Active)
        .cloned()
        .ok_or_else(|| super::client_error("TaskDefinition not found."))?;
    services::check_load_balancers(peers, &spec.load_balancers, &td)?;
    let network = match &spec.network_configuration {
        Some(n) => tasks::check_network(peers, Some(n), td.awsvpc())?.map(|v| t::NetworkConfiguration {
            awsvpc_configuration: Some(v),
        }),
        None => svc.network_configuration.clone(),
    };
    let id = services::unit_id(env.ids);
    let unit = Unit {
        id: id.clone(),
        task_definition: td.arn.clone(),
        launch_type: spec
            .launch_type
            .or(svc.launch_type.clone())
            .unwrap_or(LaunchType::Fargate),
        platform_version: spec.platform_version.or(svc.platform_version.clone()),
        capacity_provider_strategy: spec.capacity_provider_strategy,
        network_configuration: network,
        load_balancers: spec.load_balancers,
        service_registries: Vec::new(),
        created_at: now,
        updated_at: now,
    };
    let arn = services::task_set_arn(key, &svc.cluster_arn, &svc.name, &id);
    let ts = TaskSet {
        unit,
        arn,
        status: TaskSetStatus::Active,
        scale: spec.scale,
        started_by: spec.started_by,
        external_id: spec.external_id,
        stability_status: StabilityStatus::Stabilizing,
        stability_status_at: now,
    };
    let s = service_mut(st, service_arn)?;
    s.task_sets.push(ts);
    s.steady = false;
    env.record(crate::timeline::Entry::TaskSet {
        service: service_arn.to_string(),
        service_name: svc.name.clone(),
        task_set: id.to_string(),
        change: crate::timeline::TaskSetChange::Created,
        task_definition: Some(td.family_revision()),
    });
    poke(st, env, key, service_arn);
    view(st, service_arn, &id).ok_or_else(task_set_not_found)
}

/// Changes a task set's scale (percent of the service's desired count).
pub fn set_scale(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    service_arn: &str,
    ident: &str,
    scale: f64,
) -> AwsResult<()> {
    if !(0.0..=100.0).contains(&scale) {
        return Err(invalid_parameter("scale value must be between 0 and 100."));
    }
    let now = env.now;
    let s = service_mut(st, service_arn)?;
    let ts = s
        .task_sets
        .iter_mut()
        .find(|t| matches(t, ident))
        .ok_or_else(task_set_not_found)?;
    ts.scale = scale;
    ts.unit.updated_at = now;
    s.steady = false;
    poke(st, env, key, service_arn);
    Ok(())
}

/// Makes a task set PRIMARY (the previous PRIMARY becomes ACTIVE); the service's task definition,
/// load balancers and network configuration follow the new PRIMARY.
pub fn set_primary(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    service_arn: &str,
    ident: &str,
) -> AwsResult<()> {
    let now = env.now;
    let s = service_mut(st, service_arn)?;
    let idx = s
        .task_sets
        .iter()
        .position(|t| matches(t, ident))
        .ok_or_else(task_set_not_found)?;
    if s.task_sets[idx].status == TaskSetStatus::Draining {
        return Err(invalid_parameter(
            "The specified task set is DRAINING and cannot become the primary task set.",
        ));
    }
    for t in s.task_sets.iter_mut() {
        if t.status == TaskSetStatus::Primary {
            t.status = TaskSetStatus::Active;
            t.unit.updated_at = now;
        }
    }
    let mut ts = s.task_sets.remove(idx);
    ts.status = TaskSetStatus::Primary;
    ts.unit.updated_at = now;
    s.task_definition = Some(ts.unit.task_definition.clone());
    s.load_balancers = ts.unit.load_balancers.clone();
    s.network_configuration = ts.unit.network_configuration.clone();
    s.platform_version = ts.unit.platform_version.clone();
    let id = ts.unit.id.clone();
    let name = s.name.clone();
    s.task_sets.insert(0, ts);
    env.record(crate::timeline::Entry::TaskSet {
        service: service_arn.to_string(),
        service_name: name.to_string(),
        task_set: id.to_string(),
        change: crate::timeline::TaskSetChange::Primary,
        task_definition: None,
    });
    poke(st, env, key, service_arn);
    Ok(())
}

/// Deletes a task set: it turns DRAINING, its tasks stop and its targets deregister, then it is gone.
pub fn delete(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    service_arn: &str,
    ident: &str,
    force: bool,
) -> AwsResult<TaskSetView> {
    let now = env.now;
    let s = service_mut(st, service_arn)?;
    let desired = s.desired_count;
    let others = s.task_sets.len() > 1;
    let ts = s
        .task_sets
        .iter_mut()
        .find(|t| matches(t, ident))
        .ok_or_else(task_set_not_found)?;
    if ts.status == TaskSetStatus::Primary && others {
        return Err(invalid_parameter(
            "The primary task set of a service cannot be deleted while other task sets exist.",
        ));
    }
    if ts.scale > 0.0 && !force && desired > 0 {
        return Err(invalid_parameter(
            "The specified task set has a scale greater than 0. Scale it to 0 or use force to delete it.",
        ));
    }
    ts.status = TaskSetStatus::Draining;
    ts.unit.updated_at = now;
    let id = ts.unit.id.clone();
    let name = s.name.clone();
    env.record(crate::timeline::Entry::TaskSet {
        service: service_arn.to_string(),
        service_name: name.to_string(),
        task_set: id.to_string(),
        change: crate::timeline::TaskSetChange::Deleted,
        task_definition: None,
    });
    let out = view(st, service_arn, &id).ok_or_else(task_set_not_found)?;
    poke(st, env, key, service_arn);
    Ok(out)
}

fn resolve_service(st: &mut State, env: &Env<'_>, ctx: &Ctx, cluster: &str, service: &str) -> AwsResult<String> {
    let svc_arn = services::active_service_arn(st, env, ctx, Some(cluster), service)?;
    let controller = st.services[&svc_arn].controller.clone();
    external_only(&controller)?;
    Ok(svc_arn)
}

fn out_of(state: &State, service_arn: &str, ident: &str, include_tags: bool) -> Option<t::TaskSet> {
    let svc = state.services.get(service_arn)?;
    svc.task_sets
        .iter()
        .find(|t| matches(t, ident))
        .map(|t| task_set_out(state, svc, t, include_tags))
}

fn scale_of(scale: Option<&t::Scale>) -> f64 {
    scale.and_then(|s| s.value).unwrap_or(100.0)
}

pub fn create_task_set(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &mut dyn Peers,
    ctx: &Ctx,
    input: t::CreateTaskSetRequest,
) -> AwsResult<t::CreateTaskSetResponse> {
    let key = ctx.partition();
    let svc_arn = resolve_service(st, env, ctx, &input.cluster, &input.service)?;
    let spec = TaskSetSpec {
        task_definition: input.task_definition,
        external_id: input.external_id,
        started_by: None,
        load_balancers: input.load_balancers.unwrap_or_default(),
        network_configuration: input.network_configuration,
        launch_type: input.launch_type,
        capacity_provider_strategy: input.capacity_provider_strategy.unwrap_or_default(),
        platform_version: input.platform_version,
        scale: scale_of(input.scale.as_ref()),
    };
    let v = create(st, env, peers, &key, &svc_arn, spec)?;
    tags::add_tags(st, &v.arn, input.tags.as_deref())?;
    Ok(t::CreateTaskSetResponse {
        task_set: out_of(st, &svc_arn, &v.id, false),
    })
}

pub fn describe_task_sets(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DescribeTaskSetsRequest,
) -> AwsResult<t::DescribeTaskSetsResponse> {
    let svc_arn = resolve_service(st, env, ctx, &input.cluster, &input.service)?;
    let include_tags = input.include.is_some_and(|i| i.contains(&t::TaskSetField::Tags));
    let wanted = input.task_sets.unwrap_or_default();
    let svc = &st.services[&svc_arn];
    let mut sets = Vec::new();
    let mut failures = Vec::new();
    if wanted.is_empty() {
        sets = svc
            .task_sets
            .iter()
            .map(|t| task_set_out(st, svc, t, include_tags))
            .collect();
    } else {
        for w in wanted {
            match svc.task_sets.iter().find(|t| matches(t, &w)) {
                Some(t) => sets.push(task_set_out(st, svc, t, include_tags)),
                None => failures.push(super::missing(w)),
            }
        }
    }
    Ok(t::DescribeTaskSetsResponse {
        task_sets: Some(sets),
        failures: Some(failures),
    })
}

pub fn update_task_set(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UpdateTaskSetRequest,
) -> AwsResult<t::UpdateTaskSetResponse> {
    let key = ctx.partition();
    let svc_arn = resolve_service(st, env, ctx, &input.cluster, &input.service)?;
    set_scale(st, env, &key, &svc_arn, &input.task_set, scale_of(Some(&input.scale)))?;
    Ok(t::UpdateTaskSetResponse {
        task_set: out_of(st, &svc_arn, &input.task_set, false),
    })
}

pub fn update_service_primary_task_set(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UpdateServicePrimaryTaskSetRequest,
) -> AwsResult<t::UpdateServicePrimaryTaskSetResponse> {
    let key = ctx.partition();
    let svc_arn = resolve_service(st, env, ctx, &input.cluster, &input.service)?;
    set_primary(st, env, &key, &svc_arn, &input.primary_task_set)?;
    Ok(t::UpdateServicePrimaryTaskSetResponse {
        task_set: out_of(st, &svc_arn, &input.primary_task_set, false),
    })
}

pub fn delete_task_set(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DeleteTaskSetRequest,
) -> AwsResult<t::DeleteTaskSetResponse> {
    let key = ctx.partition();
    let svc_arn = resolve_service(st, env, ctx, &input.cluster, &input.service)?;
    let force = input.force.unwrap_or(false);
    delete(st, env, &key, &svc_arn, &input.task_set, force)?;
    Ok(t::DeleteTaskSetResponse {
        task_set: out_of(st, &svc_arn, &input.task_set, false),
    })
}

/// The service ARN for (cluster, service) names as CodeDeploy holds them, any controller.
pub fn service_arn_for(state: &State, region: &str, account: &str, cluster: &str, service: &str) -> Option<String> {
    let cluster_arn = super::arn(region, account, &format!("cluster/{}", name_from_arn(cluster)));
    services::find(state, &cluster_arn, service)
        .filter(|s| s.status == ServiceStatus::Active)
        .map(|s| s.arn.clone())
}
