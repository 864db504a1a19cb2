//! Clusters: CreateCluster, DescribeClusters, ListClusters, UpdateCluster, UpdateClusterSettings,
//! DeleteCluster, PutClusterCapacityProviders. The `default` cluster appears when first used.

use super::status::{ClusterStatus, ServiceStatus};
use super::{arn, invalid_parameter, name_from_arn, tags, State};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{obj, opt_str, paginate, str_list};
use crate::services::Ctx;
use crate::sim::SimTime;
use serde_json::{json, Value};

pub const KNOWN_CAPACITY_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

#[derive(Debug, Clone)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    /// ACTIVE, or INACTIVE once deleted.
    pub status: ClusterStatus,
    pub settings: Vec<Value>,
    pub configuration: Option<Value>,
    pub capacity_providers: Vec<String>,
    pub default_capacity_provider_strategy: Vec<Value>,
    pub service_connect_defaults: Option<Value>,
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
        settings: vec![json!({"name": "containerInsights", "value": "disabled"})],
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

fn check_strategy(strategy: &[Value], providers: &[String]) -> AwsResult<()> {
    for item in strategy {
        let cp = item.get("capacityProvider").and_then(Value::as_str).unwrap_or("");
        if !providers.iter().any(|p| p == cp) {
            return Err(invalid_parameter(
                "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
                ));
        }
    }
    Ok(())
}

/// The cluster as DescribeClusters returns it; `include` names the optional parts.
pub fn cluster_json(state: &State, c: &Cluster, counts: ClusterCounts, include: &[String]) -> Value {
    let has = |k: &str| include.iter().any(|i| i == k);
    let mut v = obj([
        ("clusterArn", json!(c.arn)),
        ("clusterName", json!(c.name)),
        ("status", json!(c.status)),
        ("registeredContainerInstancesCount", json!(0)),
        ("runningTasksCount", json!(counts.running_tasks)),
        ("pendingTasksCount", json!(counts.pending_tasks)),
        ("activeServicesCount", json!(counts.active_services)),
        ("statistics", json!([])),
        ("tags", json!([])),
        ("capacityProviders", json!(c.capacity_providers)),
        (
            "defaultCapacityProviderStrategy",
            json!(c.default_capacity_provider_strategy),
        ),
    ]);
    let m = v.as_object_mut().expect("obj builds an object");
    if has("SETTINGS") {
        m.insert("settings".into(), json!(c.settings));
    }
    if has("CONFIGURATIONS") {
        if let Some(conf) = &c.configuration {
            m.insert("configuration".into(), conf.clone());
        }
    }
    if has("TAGS") {
        m.insert("tags".into(), tags::tags_json(state, &c.arn));
    }
    if has("STATISTICS") {
        m.insert(
            "statistics".into(),
            json!([
                {"name": "runningFargateTasksCount", "value": counts.running_tasks.to_string()},
                {"name": "pendingFargateTasksCount", "value": counts.pending_tasks.to_string()},
                {"name": "activeFargateServiceCount", "value": counts.active_services.to_string()},
                {"name": "runningEC2TasksCount", "value": "0"},
                {"name": "pendingEC2TasksCount", "value": "0"},
                {"name": "activeEC2ServiceCount", "value": "0"},
                {"name": "drainingFargateServiceCount", "value": "0"},
                {"name": "drainingEC2ServiceCount", "value": "0"},
            ]),
        );
    }
    if has("ATTACHMENTS") {
        m.insert("attachments".into(), json!([]));
    }
    if let Some(scd) = &c.service_connect_defaults {
        m.insert("serviceConnectDefaults".into(), scd.clone());
    }
    v
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

fn describe_one(state: &State, c: &Cluster, include: &[String]) -> Value {
    cluster_json(state, c, counts(state, &c.arn), include)
}

pub fn create_cluster(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let now = env.now;
    let name = opt_str(&input, "clusterName").unwrap_or("default").to_owned();
    if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid_parameter(
            "Cluster name can only contain letters, numbers, hyphens and underscores, and be up to 255 characters long.",
        ));
    }
    let providers = str_list(&input, "capacityProviders");
    check_capacity_providers(&providers)?;
    let strategy = input
        .get("defaultCapacityProviderStrategy")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    check_strategy(&strategy, &providers)?;
    let state = &mut *st;
    // Creating a cluster that already exists (ACTIVE) returns it unchanged, as ECS does.
    if let Some(existing) = state.clusters.get(&name).filter(|c| c.status == ClusterStatus::Active) {
        return Ok(
            json!({"cluster": describe_one(state, existing, &["SETTINGS".into(), "CONFIGURATIONS".into(), "TAGS".into()])}),
        );
    }
    let mut c = new_cluster(ctx, &name, now);
    if let Some(settings) = input.get("settings").and_then(Value::as_array) {
        c.settings = settings.clone();
    }
    c.configuration = input.get("configuration").cloned();
    c.capacity_providers = providers;
    c.default_capacity_provider_strategy = strategy;
    c.service_connect_defaults = input.get("serviceConnectDefaults").cloned();
    let arn = c.arn.clone();
    state.tags.remove(&arn);
    tags::add_tags(state, &arn, input.get("tags"))?;
    state.clusters.insert(name.clone(), c);
    let out = describe_one(
        state,
        &state.clusters[&name],
        &["SETTINGS".into(), "CONFIGURATIONS".into(), "TAGS".into()],
    );
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("cluster {name} created"),
        Value::Null,
    ));
    Ok(json!({"cluster": out}))
}

pub fn describe_clusters(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let include = str_list(&input, "include");
    let mut wanted = str_list(&input, "clusters");
    if wanted.is_empty() {
        wanted.push("default".into());
    }
    if wanted.len() > 100 {
        return Err(invalid_parameter("Cluster names must be 100 or fewer."));
    }
    let state = &*st;
    let mut clusters = Vec::new();
    let mut failures = Vec::new();
    for w in &wanted {
        match state.clusters.get(name_from_arn(w)) {
            Some(c) => clusters.push(describe_one(state, c, &include)),
            None => {
                let a = if w.starts_with("arn:") {
                    w.clone()
                } else {
                    arn(&ctx.region, &ctx.account, &format!("cluster/{w}"))
                };
                failures.push(json!({"arn": a, "reason": "MISSING"}));
            }
        }
    }
    Ok(json!({"clusters": clusters, "failures": failures}))
}

pub fn list_clusters(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let state = &*st;
    let arns: Vec<String> = state
        .clusters
        .values()
        .filter(|c| c.status == ClusterStatus::Active)
        .map(|c| c.arn.clone())
        .collect();
    let max = input.get("maxResults").and_then(Value::as_i64).unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(invalid_parameter("maxResults must be between 1 and 100."));
    }
    let (page, next) = paginate(
        &arns,
        opt_str(&input, "nextToken"),
        max as usize,
        "InvalidParameterException",
    )?;
    Ok(obj([("clusterArns", json!(page)), ("nextToken", json!(next))]))
}

fn active_mut<'a>(state: &'a mut State, name_or_arn: &str) -> AwsResult<&'a mut Cluster> {
    state
        .clusters
        .get_mut(name_from_arn(name_or_arn))
        .filter(|c| c.status == ClusterStatus::Active)
        .ok_or_else(cluster_not_found)
}

pub fn update_cluster(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = opt_str(&input, "cluster").unwrap_or_default().to_owned();
    let state = &mut *st;
    let c = active_mut(state, &name)?;
    if let Some(s) = input.get("settings").and_then(Value::as_array) {
        merge_settings(&mut c.settings, s);
    }
    if let Some(conf) = input.get("configuration") {
        c.configuration = Some(conf.clone());
    }
    if let Some(scd) = input.get("serviceConnectDefaults") {
        c.service_connect_defaults = Some(scd.clone());
    }
    let c = c.clone();
    Ok(json!({"cluster": describe_one(state, &c, &["SETTINGS".into(), "CONFIGURATIONS".into()])}))
}

fn merge_settings(current: &mut Vec<Value>, updates: &[Value]) {
    for u in updates {
        let name = u.get("name").cloned();
        match current.iter_mut().find(|s| s.get("name") == name.as_ref()) {
            Some(s) => *s = u.clone(),
            None => current.push(u.clone()),
        }
    }
}

pub fn update_cluster_settings(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = opt_str(&input, "cluster").unwrap_or_default().to_owned();
    let state = &mut *st;
    let c = active_mut(state, &name)?;
    if let Some(s) = input.get("settings").and_then(Value::as_array) {
        merge_settings(&mut c.settings, s);
    }
    let c = c.clone();
    Ok(json!({"cluster": describe_one(state, &c, &["SETTINGS".into()])}))
}

pub fn delete_cluster(st: &mut State, env: &mut Env<'_>, _ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name = opt_str(&input, "cluster").unwrap_or_default().to_owned();
    let state = &mut *st;
    let arn = active_mut(state, &name)?.arn.clone();
    let n = counts(state, &arn);
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
    let c = active_mut(state, &name)?;
    c.status = ClusterStatus::Inactive;
    let c = c.clone();
    let out = describe_one(state, &c, &["SETTINGS".into(), "CONFIGURATIONS".into()]);
    env.record(crate::timeline::Entry::resource(
        "ecs",
        format!("cluster {} deleted", c.name),
        Value::Null,
    ));
    Ok(json!({"cluster": out}))
}

pub fn put_cluster_capacity_providers(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: Value,
) -> AwsResult<Value> {
    let name = opt_str(&input, "cluster").unwrap_or_default().to_owned();
    let providers = str_list(&input, "capacityProviders");
    check_capacity_providers(&providers)?;
    let strategy = input
        .get("defaultCapacityProviderStrategy")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    check_strategy(&strategy, &providers)?;
    let state = &mut *st;
    let c = active_mut(state, &name)?;
    c.capacity_providers = providers;
    c.default_capacity_provider_strategy = strategy;
    let c = c.clone();
    Ok(json!({"cluster": describe_one(state, &c, &["SETTINGS".into(), "CONFIGURATIONS".into()])}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::testing::call;
    use crate::model::Service;

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
