//! Amazon ECS: clusters, task definitions, services (ECS, CODE_DEPLOY and EXTERNAL controllers),
//! task sets and tasks, simulated on the clock.

pub mod clusters;
pub mod tags;
pub mod task_definitions;

use super::Handler;
use crate::protocol::AwsError;
use std::collections::BTreeMap;

pub use clusters::Cluster;
pub use task_definitions::TaskDefinition;

/// One region's ECS state.
#[derive(Debug, Default)]
pub struct State {
    /// Clusters by name, including INACTIVE (deleted) ones, which stay describable.
    pub clusters: BTreeMap<String, Cluster>,
    /// Revisions of each family, in revision order (index = revision - 1).
    pub task_definitions: BTreeMap<String, Vec<TaskDefinition>>,
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

/// The name part of an ECS ARN (`arn:aws:ecs:r:a:cluster/name` → `name`), or the text itself.
pub fn name_from_arn(text: &str) -> &str {
    if text.starts_with("arn:") {
        text.rsplit('/').next().unwrap_or(text)
    } else {
        text
    }
}

/// Resource kinds other families own (services, tasks, task sets) answer here.
pub fn resource_exists_elsewhere(_state: &State, _arn: &str) -> bool {
    false
}

pub fn arn(region: &str, account: &str, resource: &str) -> String {
    format!("arn:aws:ecs:{region}:{account}:{resource}")
}
