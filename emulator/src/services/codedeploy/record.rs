//! A CodeDeploy deployment as CodeDeploy keeps it: its status, its lifecycle events, its ECS run
//! (task sets, target groups, listeners, weights) and its rollback. The machine that moves it is
//! `lifecycle::deployment`; the API handlers (`deployments.rs`, `hooks.rs`, `targets.rs`) read
//! these records, and the lifecycle layer hands the transitions they check to that machine.

use super::appspec::AppSpec;
use super::configs::Routing;
use crate::env::Env;
use crate::sim::signal::DeploymentSignal;
use crate::sim::{PartitionKey, Signal, SimTime};
use crate::timeline::{wire_enum, LifecycleStatus};
use cutover_types::codedeploy::{
    self as t, AutoRollbackEvent, ComputePlatform, DeploymentCreator, DeploymentReadyAction, InstanceAction,
};
use serde::{Deserialize, Serialize};

wire_enum!(
    /// The lifecycle events of an ECS deployment.
    LifecycleEventName {
        BeforeInstall = "BeforeInstall",
        Install = "Install",
        AfterInstall = "AfterInstall",
        AllowTestTraffic = "AllowTestTraffic",
        AfterAllowTestTraffic = "AfterAllowTestTraffic",
        BeforeAllowTraffic = "BeforeAllowTraffic",
        AllowTraffic = "AllowTraffic",
        AfterAllowTraffic = "AfterAllowTraffic",
    }
);

// `wire_enum!` cannot mark a `#[default]` variant, so the impl is written out.
#[allow(clippy::derivable_impls)]
impl Default for TargetStatus {
    fn default() -> Self {
        TargetStatus::Pending
    }
}

impl LifecycleEventName {
    /// Whether the event runs only with a test listener.
    pub fn needs_test_listener(self) -> bool {
        matches!(self, Self::AllowTestTraffic | Self::AfterAllowTestTraffic)
    }
}

/// The lifecycle events of an ECS deployment, in order.
pub const LIFECYCLE: [LifecycleEventName; 8] = [
    LifecycleEventName::BeforeInstall,
    LifecycleEventName::Install,
    LifecycleEventName::AfterInstall,
    LifecycleEventName::AllowTestTraffic,
    LifecycleEventName::AfterAllowTestTraffic,
    LifecycleEventName::BeforeAllowTraffic,
    LifecycleEventName::AllowTraffic,
    LifecycleEventName::AfterAllowTraffic,
];

wire_enum!(
    /// The status of a deployment target (`ECSTarget.status`).
    TargetStatus {
        Pending = "Pending",
        InProgress = "InProgress",
        Ready = "Ready",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Skipped = "Skipped",
    }
);
/// Seconds from CreateDeployment to the start of the lifecycle (status `Created` meanwhile).
pub const START_DELAY_SECS: f64 = 1.0;
/// How often Install checks whether the green task set is steady.
pub const INSTALL_POLL_SECS: f64 = 5.0;
/// How long Install waits for a steady green task set before the deployment fails (TIMEOUT).
pub const INSTALL_TIMEOUT_SECS: f64 = 3600.0;
/// How long a lifecycle hook has to call PutLifecycleEventHookExecutionStatus.
pub const HOOK_TIMEOUT_SECS: f64 = 3600.0;
/// How often the group's CloudWatch alarms are read while a deployment is active (AWS does not
/// document its interval; 30 s is well inside a one-minute alarm period).
pub const ALARM_POLL_SECS: f64 = 30.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    InProgress,
    Ready,
    Succeeded,
    Failed,
    Stopped,
}

impl Status {
    pub fn is_active(self) -> bool {
        matches!(self, Status::Created | Status::InProgress | Status::Ready)
    }

    /// The status as the API names it.
    pub fn wire(self) -> t::DeploymentStatus {
        match self {
            Status::Created => t::DeploymentStatus::Created,
            Status::InProgress => t::DeploymentStatus::InProgress,
            Status::Ready => t::DeploymentStatus::Ready,
            Status::Succeeded => t::DeploymentStatus::Succeeded,
            Status::Failed => t::DeploymentStatus::Failed,
            Status::Stopped => t::DeploymentStatus::Stopped,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleEvent {
    pub name: LifecycleEventName,
    pub status: LifecycleStatus,
    pub start: Option<SimTime>,
    pub end: Option<SimTime>,
    pub diagnostics: Option<t::Diagnostics>,
}

/// Where a deployment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Created,
    /// Running `events[i]`.
    Event(usize),
    ReadyWait,
    TerminationWait,
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HookExecution {
    pub id: String,
    pub event: LifecycleEventName,
    pub done: bool,
}

/// The ECS side of a deployment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EcsRun {
    pub cluster: String,
    pub service: String,
    pub service_arn: String,
    pub appspec: AppSpec,
    pub target_group_names: Vec<String>,
    pub prod_listeners: Vec<String>,
    pub test_listeners: Vec<String>,
    pub blue_tg: String,
    pub green_tg: String,
    pub blue_task_set: Option<String>,
    pub green_task_set: Option<String>,
    pub target_status: TargetStatus,
    pub last_updated: SimTime,
    /// Green's share of production traffic, percent.
    pub green_weight: i64,
    pub traffic_step: usize,
    pub prod_refs: Vec<String>,
    pub install_deadline: Option<SimTime>,
    /// Whether anything was changed that a rollback would undo (Install started).
    pub touched: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackInfo {
    pub deployment_id: Option<String>,
    pub triggering_id: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: String,
    pub application_name: String,
    pub deployment_group_name: String,
    pub deployment_config_name: String,
    pub compute_platform: ComputePlatform,
    pub routing: Routing,
    pub revision: t::RevisionLocation,
    pub previous_revision: Option<t::RevisionLocation>,
    pub status: Status,
    /// errorInformation: its code and message.
    pub error: Option<(t::ErrorCodeShape, String)>,
    pub create_time: SimTime,
    pub start_time: Option<SimTime>,
    pub complete_time: Option<SimTime>,
    pub description: Option<String>,
    /// `user` or `codeDeployRollback`.
    pub creator: DeploymentCreator,
    pub auto_rollback: t::AutoRollbackConfiguration,
    pub alarm_configuration: t::AlarmConfiguration,
    pub override_alarm: Option<t::AlarmConfiguration>,
    pub blue_green: t::BlueGreenDeploymentConfiguration,
    pub load_balancer_info: t::LoadBalancerInfo,
    pub deployment_style: t::DeploymentStyle,
    pub rollback: RollbackInfo,
    pub status_messages: Vec<String>,
    pub events: Vec<LifecycleEvent>,
    pub hooks: Vec<HookExecution>,
    pub ecs: EcsRun,
    pub phase: Phase,
    pub epoch: u64,
    pub ready_continued: bool,
    pub termination_wait_started: bool,
    pub wait_until: Option<SimTime>,
}

impl Deployment {
    pub fn is_rollback(&self) -> bool {
        self.creator == DeploymentCreator::CodeDeployRollback
    }

    /// Whether the deployment waits in Ready for ContinueDeployment, and for how many minutes.
    pub fn ready_option(&self) -> (bool, i64) {
        let r = self.blue_green.deployment_ready_option.clone().unwrap_or_default();
        let stop = r.action_on_timeout == Some(DeploymentReadyAction::StopDeployment);
        (stop, r.wait_time_in_minutes.map(i64::from).unwrap_or(0))
    }

    /// Whether the original task set is terminated on success, and after how many minutes.
    pub fn termination(&self) -> (bool, i64) {
        let t = self
            .blue_green
            .terminate_blue_instances_on_deployment_success
            .clone()
            .unwrap_or_default();
        let keep = t.action == Some(InstanceAction::KeepAlive);
        (!keep, t.termination_wait_time_in_minutes.map(i64::from).unwrap_or(0))
    }

    /// The alarm configuration in force: the deployment's override, else the group's.
    pub fn alarms(&self) -> &t::AlarmConfiguration {
        self.override_alarm.as_ref().unwrap_or(&self.alarm_configuration)
    }

    pub fn rollback_on(&self, event: &AutoRollbackEvent) -> bool {
        self.auto_rollback.enabled.unwrap_or(false)
            && self.auto_rollback.events.as_ref().is_some_and(|a| a.contains(event))
    }
}

/// The lifecycle event names of a deployment with or without a test listener.
pub fn event_list(has_test_listener: bool) -> Vec<LifecycleEvent> {
    LIFECYCLE
        .iter()
        .filter(|n| has_test_listener || !n.needs_test_listener())
        .map(|&name| LifecycleEvent {
            name,
            status: LifecycleStatus::Pending,
            start: None,
            end: None,
            diagnostics: None,
        })
        .collect()
}

/// Schedules the start of a new deployment.
pub fn schedule_start(env: &mut Env<'_>, key: &PartitionKey, id: &str) {
    let at = env.after_secs(START_DELAY_SECS);
    env.schedule(
        at,
        key,
        Signal::Deployment(DeploymentSignal::Start {
            deployment_id: id.to_owned(),
        }),
    );
}
