//! Clusters: CreateCluster, DescribeClusters, ListClusters, UpdateCluster, UpdateClusterSettings,
//! DeleteCluster, PutClusterCapacityProviders. The `default` cluster appears when first used.

use super::status::{ClusterStatus, ServiceStatus};
use super::{arn, invalid_parameter, name_from_arn, tags, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::paginate;
use crate::services::Ctx;
use crate::sim::SimTime;
use cutover_types::ecs as t;
use t::ClusterField;

pub const KNOWN_CAPACITY_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// ACTIVE, or INACTIVE once deleted.
    pub status: ClusterStatus,
    pub settings: Vec<t::ClusterSetting>,
    pub configuration: Option<t::ClusterConfiguration>,
    pub capacity_providers: Vec<String>,
    pub default_capacity_provider_strategy: Vec<t::CapacityProviderStrategyItem>,
    pub service_connect_defaults: Option<t::ClusterServiceConnectDefaults>,
    pub created: SimTime,
}

/// What the other ECS families tell a cluster description: counts of services and tasks.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClusterCounts {
    pub active_services: i64,
    pub running_tasks: i64,
    pub pending_tasks: i64,
}

/// `ClusterNotFoundException` as ECS words it.
pub fn cluster_not_found() -> AwsError {
    AwsError::new("ClusterNotFoundException", "Cluster not found.")
}

fn new_cluster(ctx: &Ctx, name: &str, now: SimTime) -> Cluster {
    Cluster {
        name: name.to_owned(),
        arn: arn(&ctx.region, &ctx.account, &format!("cluster/{name}")),
        status: ClusterStatus::Active,
        settings: vec![t::ClusterSetting {
            name: Some(t::ClusterSettingName::ContainerInsights),
            value: Some("disabled".into()),
        }],
        configuration: None,
        capacity_providers: Vec::new(),
        default_capacity_provider_strategy: Vec::new(),
        service_connect_defaults: None,
        created: now,
    }
}

/// The ACTIVE cluster named by `name_or_arn` (the `default` cluster when `None`), creating the
/// `default` cluster on first use as ECS does.
pub fn resolve_active<'a>(
    state: &'a mut State,
    ctx: &Ctx,
    name_or_arn: Option<&str>,
    now: SimTime,
) -> AwsResult<&'a mut Cluster> {
    let name = name_from_arn(name_or_arn.unwrap_or("default")).to_owned();
    let usable = state
        .clusters
        .get(&name)
        .is_some_and(|c| c.status == ClusterStatus::Active);
    if !usable {
        if name == "default" {
            state.clusters.insert(name.clone(), new_cluster(ctx, &name, now));
        } else {
            return Err(cluster_not_found());
        }
    }
    state.clusters.get_mut(&name).ok_or_else(cluster_not_found)
}

fn check_capacity_providers(list: &[String]) -> AwsResult<()> {
    for cp in list {
        if !KNOWN_CAPACITY_PROVIDERS.contains(&cp.as_str()) {
            return Err(invalid_parameter(format!(
                "The specified capacity provider '{cp}' is not in an ACTIVE state. Specify a valid capacity provider and try again."
            )));
        }
    }
    Ok(())
}

fn check_strategy(strategy: &[t::CapacityProviderStrategyItem], providers: &[String]) -> AwsResult<()> {
    for item in strategy {
        if !providers.contains(&item.capacity_provider) {
            return Err(invalid_parameter(
                "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
                ));
        }
    }
    Ok(())
}

fn stat(name: &str, value: impl ToString) -> t::KeyValuePair {
    t::KeyValuePair {
        name: Some(name.into()),
        value: Some(value.to_string()),
    }
}

/// The cluster as DescribeClusters returns it; `include` names the optional parts.
pub fn cluster_out(state: &State, c: &Cluster, counts: ClusterCounts, include: &[ClusterField]) -> t::Cluster {
    let has = |k: ClusterField| include.contains(&k);
    let count = |n: i64| Some(n as i32);
    let mut out = t::Cluster {
        cluster_arn: Some(c.arn.clone()),
        cluster_name: Some(c.name.clone()),
        status: Some(c.status.to_string()),
        registered_container_instances_count: Some(0),
        running_tasks_count: count(counts.running_tasks),
        pending_tasks_count: count(counts.pending_tasks),
        active_services_count: count(counts.active_services),
        statistics: Some(Vec::new()),
        tags: Some(Vec::new()),
        capacity_providers: Some(c.capacity_providers.clone()),
        default_capacity_provider_strategy: Some(c.default_capacity_provider_strategy.clone()),
        service_connect_defaults: c.service_connect_defaults.clone(),
        ..Default::default()
    };
    if has(ClusterField::Settings) {
        out.settings = Some(c.settings.clone());
    }
    if has(ClusterField::Configurations) {
        out.configuration = c.configuration.clone();
    }
    if has(ClusterField::Tags) {
        out.tags = Some(tags::tags_of(state, &c.arn));
    }
    if has(ClusterField::Statistics) {
        out.statistics = Some(vec![
            stat("runningFargateTasksCount", counts.running_tasks),
            stat("pendingFargateTasksCount", counts.pending_tasks),
            stat("activeFargateServiceCount", counts.active_services),
            stat("runningEC2TasksCount", 0),
            stat("pendingEC2TasksCount", 0),
            stat("activeEC2ServiceCount", 0),
            stat("drainingFargateServiceCount", 0),
            stat("drainingEC2ServiceCount", 0),
        ]);
    }
    if has(ClusterField::Attachments) {
        out.attachments = Some(Vec::new());
    }
    out
}

/// Counts for a cluster; the services and tasks families fill this in.
pub fn counts(state: &State, cluster_arn: &str) -> ClusterCounts {
    let active_services = state
        .services
        .values()
        .filter(|s| s.cluster_arn == cluster_arn && s.status == ServiceStatus::Active)
        .count() as i64;
    let mut c = ClusterCounts {
        active_services,
        ..Default::default()
    };
    for t in state
        .tasks
        .values()
        .filter(|t| t.cluster_arn == cluster_arn && t.desired_running)
    {
        if t.status == super::tasks::Status::Running {
            c.running_tasks += 1;
        } else if t.status.is_pending() {
            c.pending_tasks += 1;
        }
    }
    c
}

fn describe_one(state: &State, c: &Cluster, include: &[ClusterField]) -> t::Cluster {
    cluster_out(state, c, counts(state, &c.arn), include)
}

const CREATED: [ClusterField; 3] = [ClusterField::Settings, ClusterField::Configurations, ClusterField::Tags];
const UPDATED: [ClusterField; 2] = [ClusterField::Settings, ClusterField::Configurations];

fn connect_defaults(r: t::ClusterServiceConnectDefaultsRequest) -> t::ClusterServiceConnectDefaults {
    t::ClusterServiceConnectDefaults {
        namespace: Some(r.namespace),
    }
}

pub fn create_cluster(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateClusterRequest,
) -> AwsResult<t::CreateClusterResponse> {
    let now = env.now;
    let name = input.cluster_name.clone().unwrap_or_else(|| "default".into());
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid_parameter(
            "Cluster name can only contain letters, numbers, hyphens and underscores, and be up to 255 characters long.",
        ));
    }
    let providers = input.capacity_providers.unwrap_or_default();
    check_capacity_providers(&providers)?;
    let strategy = input.default_capacity_provider_strategy.unwrap_or_default();
    check_strategy(&strategy, &providers)?;
    // Creating a cluster that already exists (ACTIVE) returns it unchanged, as ECS does.
    if let Some(existing) = st.clusters.get(&name).filter(|c| c.status == ClusterStatus::Active) {
        return Ok(t::CreateClusterResponse {
            cluster: Some(describe_one(st, existing, &CREATED)),
        });
    }
    let mut c = new_cluster(ctx, &name, now);
    if let Some(settings) = input.settings {
        c.settings = settings;
    }
    c.configuration = input.configuration;
    c.capacity_providers = providers;
    c.default_capacity_provider_strategy = strategy;
    c.service_connect_defaults = input.service_connect_defaults.map(connect_defaults);
    let arn = c.arn.clone();
    st.tags.remove(&arn);
    tags::add_tags(st, &arn, input.tags.as_deref())?;
    st.clusters.insert(name.clone(), c);
    let out = describe_one(st, &st.clusters[&name], &CREATED);
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("cluster {name} created"),
        serde_json::Value::Null,
    ));
    Ok(t::CreateClusterResponse { cluster: Some(out) })
}

pub fn describe_clusters(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::DescribeClustersRequest,
) -> AwsResult<t::DescribeClustersResponse> {
    let include = input.include.unwrap_or_default();
    let mut wanted = input.clusters.unwrap_or_default();
    if wanted.is_empty() {
        wanted.push("default".into());
    }
    if wanted.len() > 100 {
        return Err(invalid_parameter("Cluster names must be 100 or fewer."));
    }
    let mut clusters = Vec::new();
    let mut failures = Vec::new();
    for w in &wanted {
        match st.clusters.get(name_from_arn(w)) {
            Some(c) => clusters.push(describe_one(st, c, &include)),
            None => {
                let a = if w.starts_with("arn:") {
                    w.clone()
                } else {
                    arn(&ctx.region, &ctx.account, &format!("cluster/{w}"))
                };
                failures.push(super::missing(a));
            }
        }
    }
    Ok(t::DescribeClustersResponse {
        clusters: Some(clusters),
        failures: Some(failures),
    })
}

pub fn list_clusters(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ListClustersRequest,
) -> AwsResult<t::ListClustersResponse> {
    let arns: Vec<String> = st
        .clusters
        .values()
        .filter(|c| c.status == ClusterStatus::Active)
        .map(|c| c.arn.clone())
        .collect();
    let max = input.max_results.unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let (page, next) = paginate(
        &arns,
        input.next_token.as_deref(),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(t::ListClustersResponse {
        cluster_arns: Some(page),
        next_token: next,
    })
}

fn active_mut<'a>(state: &'a mut State, name_or_arn: &str) -> AwsResult<&'a mut Cluster> {
    state
        .clusters
        .get_mut(name_from_arn(name_or_arn))
        .filter(|c| c.status == ClusterStatus::Active)
        .ok_or_else(cluster_not_found)
}

pub fn update_cluster(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::UpdateClusterRequest,
) -> AwsResult<t::UpdateClusterResponse> {
    let c = active_mut(st, &input.cluster)?;
    if let Some(s) = &input.settings {
        merge_settings(&mut c.settings, s);
    }
    if let Some(conf) = input.configuration {
        c.configuration = Some(conf);
    }
    if let Some(scd) = input.service_connect_defaults {
        c.service_connect_defaults = Some(connect_defaults(scd));
    }
    let c = c.clone();
    Ok(t::UpdateClusterResponse {
        cluster: Some(describe_one(st, &c, &UPDATED)),
    })
}

fn merge_settings(current: &mut Vec<t::ClusterSetting>, updates: &[t::ClusterSetting]) {
    for u in updates {
        match current.iter_mut().find(|s| s.name == u.name) {
            Some(s) => *s = u.clone(),
            None => current.push(u.clone()),
        }
    }
}

pub fn update_cluster_settings(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::UpdateClusterSettingsRequest,
) -> AwsResult<t::UpdateClusterSettingsResponse> {
    let c = active_mut(st, &input.cluster)?;
    merge_settings(&mut c.settings, &input.settings);
    let c = c.clone();
    Ok(t::UpdateClusterSettingsResponse {
        cluster: Some(describe_one(st, &c, &[ClusterField::Settings])),
    })
}

pub fn delete_cluster(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteClusterRequest,
) -> AwsResult<t::DeleteClusterResponse> {
    let name = input.cluster;
    let arn = active_mut(st, &name)?.arn.clone();
    let n = counts(st, &arn);
    if n.active_services > 0 {
        return Err(AwsError::new(
            "ClusterContainsServicesException",
            "The Cluster cannot be deleted while Services are active.",
        ));
    }
    if n.running_tasks + n.pending_tasks > 0 {
        return Err(AwsError::new(
            "ClusterContainsTasksException",
            "The Cluster cannot be deleted while Tasks are active.",
        ));
    }
    let c = active_mut(st, &name)?;
    c.status = ClusterStatus::Inactive;
    let c = c.clone();
    let out = describe_one(st, &c, &UPDATED);
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("cluster {} deleted", c.name),
        serde_json::Value::Null,
    ));
    Ok(t::DeleteClusterResponse { cluster: Some(out) })
}

pub fn put_cluster_capacity_providers(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::PutClusterCapacityProvidersRequest,
) -> AwsResult<t::PutClusterCapacityProvidersResponse> {
    let providers = input.capacity_providers;
    check_capacity_providers(&providers)?;
    let strategy = input.default_capacity_provider_strategy;
    check_strategy(&strategy, &providers)?;
    let c = active_mut(st, &input.cluster)?;
    c.capacity_providers = providers;
    c.default_capacity_provider_strategy = strategy;
    let c = c.clone();
    Ok(t::PutClusterCapacityProvidersResponse {
        cluster: Some(describe_one(st, &c, &UPDATED)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::testing::call;
    use crate::model::Service;
    use serde_json::json;

    #[test]
    fn cluster_lifecycle() {
        let mut w = crate::lifecycle::new_world(SimTime(0));
        let ctx = Ctx::internal(Service::Ecs, "000000000000", "us-east-1");
        let c = call(
            &mut w,
            &ctx,
            "CreateCluster",
            json!({"clusterName": "my_first_ecs_cluster", "tags": [{"key": "k", "value": "v"}]}),
        )
        .unwrap();
        assert_eq!(
            c["cluster"]["clusterArn"],
            "arn:aws:ecs:us-east-1:000000000000:cluster/my_first_ecs_cluster"
        );
        assert_eq!(c["cluster"]["status"], "ACTIVE");
        let d = call(
            &mut w,
            &ctx,
            "DescribeClusters",
            json!({"clusters": ["my_first_ecs_cluster", "nope"], "include": ["TAGS"]}),
        )
        .unwrap();
        assert_eq!(d["clusters"][0]["tags"], json!([{"key": "k", "value": "v"}]));
        assert_eq!(d["failures"][0]["reason"], "MISSING");
        let e = call(&mut w, &ctx, "CreateCluster", json!({"capacityProviders": ["NOPE"]})).unwrap_err();
        assert_eq!(e.code, "InvalidParameterException");
        call(&mut w, &ctx, "PutClusterCapacityProviders", json!({"cluster": "my_first_ecs_cluster", "capacityProviders": ["FARGATE", "FARGATE_SPOT"], "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]})).unwrap();
        call(
            &mut w,
            &ctx,
            "DeleteCluster",
            json!({"cluster": "my_first_ecs_cluster"}),
        )
        .unwrap();
        let d = call(
            &mut w,
            &ctx,
            "DescribeClusters",
            json!({"clusters": ["my_first_ecs_cluster"]}),
        )
        .unwrap();
        assert_eq!(d["clusters"][0]["status"], "INACTIVE");
        assert_eq!(
            call(&mut w, &ctx, "ListClusters", json!({})).unwrap()["clusterArns"],
            json!([])
        );
        assert_eq!(
            call(
                &mut w,
                &ctx,
                "UpdateCluster",
                json!({"cluster": "my_first_ecs_cluster"})
            )
            .unwrap_err()
            .code,
            "ClusterNotFoundException"
        );
        // The default cluster appears on first use.
        let p = ctx.partition();
        let now = w.now;
        let state = &mut w.region_mut(&p).ecs;
        assert_eq!(resolve_active(state, &ctx, None, now).unwrap().name, "default");
    }
}
