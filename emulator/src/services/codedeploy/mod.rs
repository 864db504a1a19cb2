//! AWS CodeDeploy, per account and region: its API and its records. The ECS blue/green machine
//! that moves a deployment spans ECS, ELBv2, Lambda and CloudWatch, so it lives in the lifecycle
//! layer (`lifecycle/deployment.rs`, traffic in `lifecycle/traffic.rs`); this module reaches it
//! through [`peers::Peers`].
//!
//! One file per family: `applications.rs`, `configs.rs` (predefined and custom deployment
//! configurations), `groups.rs`, `revisions.rs`, `appspec.rs` (parsing and validation of ECS AppSpec
//! files, JSON or YAML), `deployments.rs` (the deployment API), `record.rs` (a deployment as
//! CodeDeploy keeps it), `targets.rs` (deployment targets), `hooks.rs` (Lambda lifecycle hooks),
//! `peers.rs` (what the API needs from the machine) and `tags.rs`.
//!
//! Only the ECS compute platform deploys: applications, groups and configs of the Server and Lambda
//! platforms can be created and read, but CreateDeployment on them answers
//! `InvalidRevisionException` (see `deployments.rs`).

pub mod applications;
pub mod appspec;
pub mod configs;
pub mod deployments;
pub mod groups;
pub mod hooks;
pub mod peers;
pub mod record;
pub mod revisions;
pub mod tags;
pub mod targets;

#[cfg(test)]
mod tests;

use crate::protocol::AwsError;
use crate::world::PartitionKey;
use crate::world::WorldOp;
use std::collections::BTreeMap;

pub use applications::Application;
pub use configs::DeploymentConfig;
pub use groups::DeploymentGroup;
pub use record::Deployment;
pub use revisions::Revision;

/// One region's CodeDeploy state.
#[derive(Debug, Default)]
pub struct State {
    /// Applications by name.
    pub applications: BTreeMap<String, Application>,
    /// Custom deployment configurations by name (the predefined ones live in `configs.rs`).
    pub configs: BTreeMap<String, DeploymentConfig>,
    /// Deployment groups by (application name, group name).
    pub groups: BTreeMap<(String, String), DeploymentGroup>,
    /// Registered revisions of each application, in registration order.
    pub revisions: BTreeMap<String, Vec<Revision>>,
    /// Deployments by id.
    pub deployments: BTreeMap<String, Deployment>,
    /// Deployment ids in creation order (ListDeployments answers newest first).
    pub deployment_order: Vec<String>,
    /// Tags by resource ARN, in the order they were added.
    pub tags: BTreeMap<String, Vec<(String, String)>>,
}

pub fn handler(op: &str) -> Option<WorldOp> {
    Some(match op {
        "CreateApplication" => applications::create_application,
        "GetApplication" => applications::get_application,
        "BatchGetApplications" => applications::batch_get_applications,
        "ListApplications" => applications::list_applications,
        "UpdateApplication" => applications::update_application,
        "DeleteApplication" => applications::delete_application,
        "CreateDeploymentConfig" => configs::create_deployment_config,
        "GetDeploymentConfig" => configs::get_deployment_config,
        "ListDeploymentConfigs" => configs::list_deployment_configs,
        "DeleteDeploymentConfig" => configs::delete_deployment_config,
        "CreateDeploymentGroup" => groups::create_deployment_group,
        "GetDeploymentGroup" => groups::get_deployment_group,
        "BatchGetDeploymentGroups" => groups::batch_get_deployment_groups,
        "ListDeploymentGroups" => groups::list_deployment_groups,
        "UpdateDeploymentGroup" => groups::update_deployment_group,
        "DeleteDeploymentGroup" => groups::delete_deployment_group,
        "RegisterApplicationRevision" => revisions::register_application_revision,
        "GetApplicationRevision" => revisions::get_application_revision,
        "BatchGetApplicationRevisions" => revisions::batch_get_application_revisions,
        "ListApplicationRevisions" => revisions::list_application_revisions,
        "CreateDeployment" => deployments::create_deployment,
        "GetDeployment" => deployments::get_deployment,
        "BatchGetDeployments" => deployments::batch_get_deployments,
        "ListDeployments" => deployments::list_deployments,
        "StopDeployment" => deployments::stop_deployment,
        "ContinueDeployment" => deployments::continue_deployment,
        "PutLifecycleEventHookExecutionStatus" => hooks::put_lifecycle_event_hook_execution_status,
        "ListDeploymentTargets" => targets::list_deployment_targets,
        "BatchGetDeploymentTargets" => targets::batch_get_deployment_targets,
        "GetDeploymentTarget" => targets::get_deployment_target,
        "TagResource" => tags::tag_resource,
        "UntagResource" => tags::untag_resource,
        "ListTagsForResource" => tags::list_tags_for_resource,
        _ => return None,
    })
}

/// `arn:aws:codedeploy:<region>:<account>:<resource>`.
pub fn arn(key: &PartitionKey, resource: &str) -> String {
    format!("arn:aws:codedeploy:{}:{}:{resource}", key.region, key.account)
}

pub fn application_arn(key: &PartitionKey, name: &str) -> String {
    arn(key, &format!("application:{name}"))
}

pub fn group_arn(key: &PartitionKey, app: &str, group: &str) -> String {
    arn(key, &format!("deploymentgroup:{app}/{group}"))
}

pub fn config_arn(key: &PartitionKey, name: &str) -> String {
    arn(key, &format!("deploymentconfig:{name}"))
}

pub(crate) fn err(code: &str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, message)
}

/// Checks an application name (1..=100 characters) given in `member`.
pub(crate) fn app_name(input: &serde_json::Value, member: &str) -> Result<String, AwsError> {
    let name = input.get(member).and_then(serde_json::Value::as_str).unwrap_or("");
    if name.is_empty() {
        return Err(err(
            "ApplicationNameRequiredException",
            "The application name must be specified.",
        ));
    }
    if name.chars().count() > 100 {
        return Err(err(
            "InvalidApplicationNameException",
            "The application name was specified in an invalid format: it must be 1 to 100 characters long.",
        ));
    }
    Ok(name.to_owned())
}

pub(crate) fn no_application(name: &str) -> AwsError {
    err(
        "ApplicationDoesNotExistException",
        format!("No application found for name: {name}"),
    )
}

/// The application, or `ApplicationDoesNotExistException`.
pub(crate) fn application<'a>(state: &'a State, name: &str) -> Result<&'a Application, AwsError> {
    state.applications.get(name).ok_or_else(|| no_application(name))
}
