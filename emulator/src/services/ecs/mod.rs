//! Amazon ECS: clusters, task definitions, services (ECS, CODE_DEPLOY and EXTERNAL controllers),
//! task sets and tasks, simulated on the clock.

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

use super::Handler;
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

pub fn handler(op: &str) -> Option<Handler> {
    use Handler::Sync;
    Some(match op {
        "CreateCluster" => Sync(clusters::create_cluster),
        "DescribeClusters" => Sync(clusters::describe_clusters),
        "ListClusters" => Sync(clusters::list_clusters),
        "UpdateCluster" => Sync(clusters::update_cluster),
        "UpdateClusterSettings" => Sync(clusters::update_cluster_settings),
        "DeleteCluster" => Sync(clusters::delete_cluster),
        "PutClusterCapacityProviders" => Sync(clusters::put_cluster_capacity_providers),
        "RegisterTaskDefinition" => Sync(task_definitions::register_task_definition),
        "DescribeTaskDefinition" => Sync(task_definitions::describe_task_definition),
        "ListTaskDefinitions" => Sync(task_definitions::list_task_definitions),
        "ListTaskDefinitionFamilies" => Sync(task_definitions::list_task_definition_families),
        "DeregisterTaskDefinition" => Sync(task_definitions::deregister_task_definition),
        "DeleteTaskDefinitions" => Sync(task_definitions::delete_task_definitions),
        "CreateService" => Sync(services::create_service),
        "DescribeServices" => Sync(services::describe_services),
        "ListServices" => Sync(services::list_services),
        "UpdateService" => Sync(services::update_service),
        "DeleteService" => Sync(services::delete_service),
        "CreateTaskSet" => Sync(task_sets::create_task_set),
        "DescribeTaskSets" => Sync(task_sets::describe_task_sets),
        "UpdateTaskSet" => Sync(task_sets::update_task_set),
        "UpdateServicePrimaryTaskSet" => Sync(task_sets::update_service_primary_task_set),
        "DeleteTaskSet" => Sync(task_sets::delete_task_set),
        "RunTask" => Sync(tasks::run_task),
        "StopTask" => Sync(tasks::stop_task),
        "DescribeTasks" => Sync(tasks::describe_tasks),
        "ListTasks" => Sync(tasks::list_tasks),
        "TagResource" => Sync(tags::tag_resource),
        "UntagResource" => Sync(tags::untag_resource),
        "ListTagsForResource" => Sync(tags::list_tags_for_resource),
        _ => return None,
    })
}

/// `ClientException` (400): the caller asked for something ECS will not do.
pub fn client_error(message: impl Into<String>) -> AwsError {
    AwsError::new("ClientException", message)
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
pub fn platform_family(launch_type: &str) -> serde_json::Value {
    if launch_type == "FARGATE" {
        serde_json::json!("Linux")
    } else {
        serde_json::Value::Null
    }
}

pub fn arn(region: &str, account: &str, resource: &str) -> String {
    format!("arn:aws:ecs:{region}:{account}:{resource}")
}
