//! AWS CodeDeploy, per account and region: its API and its records. The handlers are typed over
//! `cutover_types::codedeploy` and over this service's [`State`] (see `services::typed!`). The ECS
//! blue/green machine that moves a deployment spans ECS, ELBv2, Lambda and CloudWatch, so it lives
//! in the lifecycle layer (`lifecycle/deployment.rs`, traffic in `lifecycle/traffic.rs`), and so do
//! the operations that need it or another service: StopDeployment, ContinueDeployment,
//! PutLifecycleEventHookExecutionStatus, Create/UpdateDeploymentGroup and
//! Get/BatchGetDeploymentTargets are registered in `lifecycle::handler`, which does the CodeDeploy
//! part through this module's functions and answers the [`peers`] traits they take.
//!
//! One file per family: `applications.rs`, `configs.rs` (predefined and custom deployment
//! configurations), `groups.rs`, `revisions.rs`, `appspec.rs` (parsing and validation of ECS AppSpec
//! files, JSON or YAML), `deployments.rs` (the deployment API), `record.rs` (a deployment as
//! CodeDeploy keeps it), `targets.rs` (deployment targets), `hooks.rs` (Lambda lifecycle hooks),
//! `peers.rs` (what the API needs from ECS, ELBv2 and IAM) and `tags.rs`.
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

use super::Op;
use crate::protocol::AwsError;
use crate::sim::PartitionKey;
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

pub fn handler(op: &str) -> Option<Op<State>> {
    Some(match op {
        "CreateApplication" => typed!(applications::create_application),
        "GetApplication" => typed!(applications::get_application),
        "BatchGetApplications" => typed!(applications::batch_get_applications),
        "ListApplications" => typed!(applications::list_applications),
        "UpdateApplication" => typed!(applications::update_application),
        "DeleteApplication" => typed!(applications::delete_application),
        "CreateDeploymentConfig" => typed!(configs::create_deployment_config),
        "GetDeploymentConfig" => typed!(configs::get_deployment_config),
        "ListDeploymentConfigs" => typed!(configs::list_deployment_configs),
        "DeleteDeploymentConfig" => typed!(configs::delete_deployment_config),
        "GetDeploymentGroup" => typed!(groups::get_deployment_group),
        "BatchGetDeploymentGroups" => typed!(groups::batch_get_deployment_groups),
        "ListDeploymentGroups" => typed!(groups::list_deployment_groups),
        "DeleteDeploymentGroup" => typed!(groups::delete_deployment_group),
        "RegisterApplicationRevision" => typed!(revisions::register_application_revision),
        "GetApplicationRevision" => typed!(revisions::get_application_revision),
        "BatchGetApplicationRevisions" => typed!(revisions::batch_get_application_revisions),
        "ListApplicationRevisions" => typed!(revisions::list_application_revisions),
        "CreateDeployment" => typed!(deployments::create_deployment),
        "GetDeployment" => typed!(deployments::get_deployment),
        "BatchGetDeployments" => typed!(deployments::batch_get_deployments),
        "ListDeployments" => typed!(deployments::list_deployments),
        "ListDeploymentTargets" => typed!(targets::list_deployment_targets),
        "TagResource" => typed!(tags::tag_resource),
        "UntagResource" => typed!(tags::untag_resource),
        "ListTagsForResource" => typed!(tags::list_tags_for_resource),
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

/// Checks an application name (1..=100 characters).
pub(crate) fn app_name(name: &str) -> Result<String, AwsError> {
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
