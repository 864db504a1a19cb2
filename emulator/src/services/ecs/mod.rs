//! Amazon ECS: clusters, task definitions, services (ECS, CODE_DEPLOY and EXTERNAL controllers),
//! task sets and tasks, simulated on the clock.
//!
//! Handlers are typed over `cutover_types::ecs` and over this region's [`State`] and the
//! [`Env`](crate::env::Env) (see `services::typed!`); those that need ELBv2 or EC2 also take the
//! [`links::Peers`] view the lifecycle layer builds, and so do the service scheduler
//! (`services::fire`) and the task machine (`tasks::fire`). The state holds the generated
//! structures (load balancers, network and deployment configurations, container definitions…)
//! and the statuses of `status.rs`, never a `serde_json::Value`.

pub mod clusters;
pub mod links;
pub mod services;
pub mod status;
pub mod tags;
pub mod task_definitions;
pub mod task_sets;
pub mod tasks;
#[cfg(test)]
mod tests;

use super::Op;
use crate::protocol::AwsError;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use clusters::Cluster;
pub use services::Service;
pub use task_definitions::TaskDefinition;
pub use tasks::Task;

/// One region's ECS state.
#[derive(Debug, Default)]
pub struct State {
    /// Clusters by name, including INACTIVE (deleted) ones, which stay describable.
    pub clusters: BTreeMap<String, Cluster>,
    /// Revisions of each family, in revision order (index = revision - 1).
    pub task_definitions: BTreeMap<String, Vec<TaskDefinition>>,
    /// Services by ARN.
    pub services: BTreeMap<String, Service>,
    /// Tasks by ARN (STOPPED ones are forgotten an hour after they stop).
    pub tasks: BTreeMap<String, Task>,
    /// Tasks of each deployment or task set, by unit id.
    pub unit_tasks: HashMap<String, BTreeSet<String>>,
    /// Which task a load balancer target belongs to: (target group, ip, port) → task ARN.
    pub targets: HashMap<links::Registration, String>,
    /// Tags by resource ARN, in the order they were added.
    pub tags: BTreeMap<String, Vec<(String, String)>>,
}

/// The operations over this region's ECS state alone. Those that reach ELBv2 or EC2 through
/// [`links::Peers`] (CreateService, UpdateService, DeleteService, CreateTaskSet, RunTask,
/// StopTask) are answered by `lifecycle::handler`, which builds the peers view.
pub fn handler(op: &str) -> Option<Op<State>> {
    let f: Op<State> = match op {
        "CreateCluster" => typed!(clusters::create_cluster),
        "DescribeClusters" => typed!(clusters::describe_clusters),
        "ListClusters" => typed!(clusters::list_clusters),
        "UpdateCluster" => typed!(clusters::update_cluster),
        "UpdateClusterSettings" => typed!(clusters::update_cluster_settings),
        "DeleteCluster" => typed!(clusters::delete_cluster),
        "PutClusterCapacityProviders" => typed!(clusters::put_cluster_capacity_providers),
        "RegisterTaskDefinition" => typed!(task_definitions::register_task_definition),
        "DescribeTaskDefinition" => typed!(task_definitions::describe_task_definition),
        "ListTaskDefinitions" => typed!(task_definitions::list_task_definitions),
        "ListTaskDefinitionFamilies" => typed!(task_definitions::list_task_definition_families),
        "DeregisterTaskDefinition" => typed!(task_definitions::deregister_task_definition),
        "DeleteTaskDefinitions" => typed!(task_definitions::delete_task_definitions),
        "DescribeServices" => typed!(services::describe_services),
        "ListServices" => typed!(services::list_services),
        "DescribeTaskSets" => typed!(task_sets::describe_task_sets),
        "UpdateTaskSet" => typed!(task_sets::update_task_set),
        "UpdateServicePrimaryTaskSet" => typed!(task_sets::update_service_primary_task_set),
        "DeleteTaskSet" => typed!(task_sets::delete_task_set),
        "DescribeTasks" => typed!(tasks::describe_tasks),
        "ListTasks" => typed!(tasks::list_tasks),
        "TagResource" => typed!(tags::tag_resource),
        "UntagResource" => typed!(tags::untag_resource),
        "ListTagsForResource" => typed!(tags::list_tags_for_resource),
        _ => return None,
    };
    Some(f)
}

/// `ClientException` (400): the caller asked for something ECS will not do.
pub fn client_error(message: impl Into<String>) -> AwsError {
    AwsError::new("ClientException", message)
}

/// A `failures` item for a resource a describe call names that does not exist.
pub fn missing(arn: String) -> cutover_types::ecs::Failure {
    cutover_types::ecs::Failure {
        arn: Some(arn),
        reason: Some("MISSING".into()),
        detail: None,
    }
}

/// `InvalidParameterException` (400).
pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    AwsError::new("InvalidParameterException", message)
}

pub use crate::services::util::name_from_arn;

/// Services, tasks and task sets exist for tagging when they are in the state.
pub fn resource_exists_elsewhere(state: &State, arn: &str) -> bool {
    state.services.contains_key(arn)
        || state.tasks.contains_key(arn)
        || state
            .services
            .values()
            .any(|s| s.task_sets.iter().any(|t| t.arn == arn))
}

/// `platformFamily` as ECS reports it: `Linux` for Fargate, absent otherwise.
pub fn platform_family(launch_type: &cutover_types::ecs::LaunchType) -> Option<String> {
    (*launch_type == cutover_types::ecs::LaunchType::Fargate).then(|| "Linux".into())
}

pub fn arn(region: &str, account: &str, resource: &str) -> String {
    format!("arn:aws:ecs:{region}:{account}:{resource}")
}
