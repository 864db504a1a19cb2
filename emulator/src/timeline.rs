//! The simulation's timeline as typed entries: what services record (`World::record`), what
//! `GET /_emulator/events` answers, what the timeline page (`report::html`) and the scenario runner
//! read. This module names no service, so services, report and scenario all depend on it and not on
//! each other.
//!
//! Each [`Entry`] is one kind of happening, with its human message derived from it
//! ([`Entry::message`]: the text users see on the timeline):
//! - CodeDeploy deployment steps (source `codedeploy`): [`Entry::DeploymentCreated`],
//!   [`Entry::DeploymentStarted`], [`Entry::DeploymentRollingBack`], [`Entry::DeploymentEnded`],
//!   [`Entry::LifecycleEvent`], [`Entry::Hook`] (invoked / reported), [`Entry::DeploymentTaskSet`],
//!   [`Entry::DeploymentTraffic`], [`Entry::RollbackCreated`], [`Entry::DeploymentNote`] (other
//!   words about a deployment: waits, continues);
//! - forward weight changes of a listener or rule (`elbv2`): [`Entry::TrafficWeights`]; target
//!   health changes and registrations: [`Entry::TargetHealth`], [`Entry::TargetRegistered`],
//!   [`Entry::TargetDeregistered`], [`Entry::TargetDraining`];
//! - ECS task set changes (`ecs`): [`Entry::TaskSet`]; ECS service events: [`Entry::ServiceEvent`];
//! - Lambda Event invocations (`lambda`): [`Entry::InvocationQueued`], [`Entry::InvocationDropped`],
//!   [`Entry::InvocationFinished`], the retries of failed ones ([`Entry::InvocationRetryScheduled`],
//!   [`Entry::InvocationRequeued`], [`Entry::InvocationDiscarded`]) and capped output
//!   ([`Entry::OutputTruncated`]);
//! - alarm state changes (`cloudwatch`): [`Entry::AlarmState`];
//! - injected faults (`faults`): [`Entry::FaultInjected`], [`Entry::FaultsCleared`];
//! - resources created, changed or deleted, told in words with their ids: [`Entry::Resource`];
//! - anything else (scheduler marks, reset): [`Entry::Note`].
//!
//! The JSON form (one element of `GET /_emulator/events`) is an object with `seq`, `time` (epoch
//! seconds), `source`, `message`, `kind` (the entry's kind in camelCase, e.g. `"lifecycleEvent"`)
//! and the kind's fields, named as they were before entries were typed (`deploymentId`, `step`,
//! `lifecycleEvent`, `status`, `Arn`, `Weights`, `TargetGroupArn`, ...), so readers of the old
//! fields keep working. [`Event::from_json`] reads it back; an object of a kind it does not know
//! (another version's emulator) becomes a [`Entry::Note`] with its source, message and fields, shown
//! as a plain line.
//!
//! Statuses are enums with their wire strings in one place each ([`DeploymentStatus`],
//! [`LifecycleStatus`], [`HookStatus`], [`TargetHealthState`], [`AlarmStateValue`],
//! [`TaskSetState`], [`TaskSetRole`], [`TaskSetChange`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Declares a status enum whose JSON form is its wire string, with `as_str` and `parse`.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $s)] $v),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }

            /// The value whose wire string is `s`.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($s => Some($name::$v),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum!(
    /// A CodeDeploy deployment's status.
    DeploymentStatus {
        Created = "Created",
        InProgress = "InProgress",
        Ready = "Ready",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Stopped = "Stopped",
    }
);

wire_enum!(
    /// A deployment lifecycle event's status.
    LifecycleStatus {
        Pending = "Pending",
        InProgress = "InProgress",
        Succeeded = "Succeeded",
        Failed = "Failed",
        Skipped = "Skipped",
    }
);

wire_enum!(
    /// A lifecycle hook: invoked, or what it reported.
    HookStatus {
        Invoked = "Invoked",
        Succeeded = "Succeeded",
        Failed = "Failed",
    }
);

wire_enum!(
    /// A load balancer target's health state.
    TargetHealthState {
        Initial = "initial",
        Healthy = "healthy",
        Unhealthy = "unhealthy",
        Draining = "draining",
        Unused = "unused",
        Unavailable = "unavailable",
    }
);

wire_enum!(
    /// A CloudWatch alarm's state value.
    AlarmStateValue {
        Ok = "OK",
        Alarm = "ALARM",
        InsufficientData = "INSUFFICIENT_DATA",
    }
);

wire_enum!(
    /// What a deployment did to a task set.
    TaskSetState {
        Created = "created",
        Steady = "steady",
        Primary = "PRIMARY",
        Deleted = "deleted",
    }
);

wire_enum!(
    /// A task set's part in a deployment.
    TaskSetRole {
        Original = "original",
        Replacement = "replacement",
    }
);

wire_enum!(
    /// What ECS did to a task set.
    TaskSetChange {
        Created = "created",
        Primary = "PRIMARY",
        Deleted = "deleted",
    }
);

/// One forward weight of a listener or rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weight {
    #[serde(rename = "TargetGroupArn")]
    pub target_group_arn: String,
    #[serde(rename = "Weight")]
    pub weight: i64,
}

/// What happened, one kind per variant (see the module comment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Entry {
    DeploymentCreated {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "deploymentGroupName")]
        group: String,
        #[serde(rename = "applicationName")]
        application: String,
    },
    /// The deployment started (status InProgress), with what it works on.
    DeploymentStarted {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "originalTargetGroup")]
        original_target_group: String,
        #[serde(rename = "replacementTargetGroup")]
        replacement_target_group: String,
        #[serde(rename = "originalTaskSet")]
        original_task_set: String,
        #[serde(rename = "productionListeners")]
        production_listeners: Vec<String>,
        #[serde(rename = "testListeners")]
        test_listeners: Vec<String>,
    },
    /// A rollback deployment started rerouting traffic to the original task set.
    DeploymentRollingBack {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
    },
    /// The deployment ended: Succeeded, Failed or Stopped.
    DeploymentEnded {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        status: DeploymentStatus,
        #[serde(rename = "errorCode", default, skip_serializing_if = "Option::is_none")]
        error_code: Option<String>,
        #[serde(rename = "errorMessage", default, skip_serializing_if = "Option::is_none")]
        error_message: Option<String>,
        #[serde(rename = "failedLifecycleEvents", default, skip_serializing_if = "Option::is_none")]
        failed_lifecycle_events: Option<Vec<String>>,
    },
    LifecycleEvent {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "lifecycleEvent")]
        event: String,
        status: LifecycleStatus,
    },
    /// A lifecycle hook invoked (`function` set) or reporting its status.
    Hook {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "lifecycleEvent")]
        event: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function: Option<String>,
        status: HookStatus,
    },
    /// A deployment's task set created, steady, made PRIMARY or deleted.
    DeploymentTaskSet {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "taskSet")]
        task_set: Option<String>,
        state: TaskSetState,
        role: TaskSetRole,
    },
    /// Production traffic shifted by a deployment.
    DeploymentTraffic {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "replacementPercent")]
        replacement_percent: i64,
    },
    RollbackCreated {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        #[serde(rename = "rollbackDeploymentId")]
        rollback_id: String,
    },
    /// Other words about a deployment (waits, continues, leftovers).
    DeploymentNote {
        #[serde(rename = "deploymentId")]
        deployment_id: String,
        text: String,
    },
    /// The forward weights of a listener or rule changed.
    TrafficWeights {
        #[serde(rename = "Arn")]
        arn: String,
        #[serde(rename = "Weights")]
        weights: Vec<Weight>,
    },
    TargetHealth {
        #[serde(rename = "TargetGroupArn")]
        target_group_arn: String,
        #[serde(rename = "targetGroupName")]
        target_group_name: String,
        /// The target as `id:port`.
        target: String,
        #[serde(rename = "Id")]
        id: String,
        #[serde(rename = "State")]
        state: TargetHealthState,
    },
    TargetRegistered {
        #[serde(rename = "TargetGroupArn")]
        target_group_arn: String,
        #[serde(rename = "targetGroupName")]
        target_group_name: String,
        target: String,
        #[serde(rename = "Id")]
        id: String,
        #[serde(rename = "Port")]
        port: i64,
    },
    TargetDeregistered {
        #[serde(rename = "TargetGroupArn")]
        target_group_arn: String,
        #[serde(rename = "targetGroupName")]
        target_group_name: String,
        target: String,
    },
    TargetDraining {
        #[serde(rename = "TargetGroupArn")]
        target_group_arn: String,
        #[serde(rename = "targetGroupName")]
        target_group_name: String,
        target: String,
        #[serde(rename = "DelaySeconds")]
        delay_seconds: i64,
    },
    /// An ECS task set created, made PRIMARY or deleted.
    TaskSet {
        /// The service ARN.
        service: String,
        #[serde(rename = "serviceName")]
        service_name: String,
        #[serde(rename = "taskSet")]
        task_set: String,
        change: TaskSetChange,
        /// `family:revision`, for `created`.
        #[serde(rename = "taskDefinition", default, skip_serializing_if = "Option::is_none")]
        task_definition: Option<String>,
    },
    /// An ECS service event (as DescribeServices lists them).
    ServiceEvent {
        /// The service ARN.
        service: String,
        #[serde(rename = "serviceName")]
        service_name: String,
        #[serde(rename = "message")]
        text: String,
        /// The task set that reached STEADY_STATE, when that is what the event says.
        #[serde(rename = "steadyTaskSet", default, skip_serializing_if = "Option::is_none")]
        steady_task_set: Option<String>,
    },
    InvocationQueued {
        #[serde(rename = "requestId")]
        request_id: String,
        #[serde(rename = "functionArn")]
        function_arn: String,
    },
    InvocationDropped {
        #[serde(rename = "requestId")]
        request_id: String,
        #[serde(rename = "functionArn")]
        function_arn: String,
        reason: String,
    },
    InvocationFinished {
        #[serde(rename = "requestId")]
        request_id: String,
        #[serde(rename = "functionArn")]
        function_arn: String,
        status: String,
        /// 1 for the first try, 2 and 3 for AWS's retries.
        #[serde(default = "first_attempt")]
        attempt: u32,
    },
    /// A failed Event invocation is tried again after `retry_in_seconds` (simulated).
    InvocationRetryScheduled {
        #[serde(rename = "requestId")]
        request_id: String,
        #[serde(rename = "functionArn")]
        function_arn: String,
        /// The attempt that failed.
        attempts: u32,
        status: String,
        #[serde(rename = "retryInSeconds")]
        retry_in_seconds: f64,
    },
    /// A retry's attempt is queued for the runtime.
    InvocationRequeued {
        #[serde(rename = "requestId")]
        request_id: String,
        #[serde(rename = "functionArn")]
        function_arn: String,
        attempt: u32,
    },
    /// A failed Event invocation out of retries.
    InvocationDiscarded {
        #[serde(rename = "requestId")]
        request_id: String,
        #[serde(rename = "functionArn")]
        function_arn: String,
        attempts: u32,
        status: String,
    },
    /// An invocation's output went past the log caps (what was cut and dropped).
    OutputTruncated {
        #[serde(rename = "requestId")]
        request_id: String,
        #[serde(rename = "functionArn")]
        function_arn: String,
        #[serde(rename = "cutLines")]
        cut_lines: u64,
        #[serde(rename = "cutBytes")]
        cut_bytes: u64,
        #[serde(rename = "droppedLines")]
        dropped_lines: u64,
        #[serde(rename = "droppedBytes")]
        dropped_bytes: u64,
    },
    AlarmState {
        alarm: String,
        from: AlarmStateValue,
        to: AlarmStateValue,
        reason: String,
    },
    /// Every task of a task definition fails its health checks from now on.
    FaultInjected {
        #[serde(rename = "taskDefinition")]
        task_definition: String,
    },
    FaultsCleared {},
    /// A resource created, changed or deleted, in words, with the ids it carries.
    Resource {
        source: String,
        #[serde(rename = "message")]
        text: String,
        #[serde(flatten)]
        ids: Map<String, Value>,
    },
    /// Anything else, and entries of kinds this version does not know.
    Note {
        source: String,
        #[serde(rename = "message")]
        text: String,
        #[serde(flatten)]
        fields: Map<String, Value>,
    },
}

fn first_attempt() -> u32 {
    1
}

impl Entry {
    /// A note from `source` without fields.
    pub fn note(source: &str, text: impl Into<String>) -> Entry {
        Entry::Note {
            source: source.to_owned(),
            text: text.into(),
            fields: Map::new(),
        }
    }

    /// A resource note from `source` with the fields of `ids` (an object; anything else: none).
    pub fn resource(source: &str, text: impl Into<String>, ids: Value) -> Entry {
        Entry::Resource {
            source: source.to_owned(),
            text: text.into(),
            ids: match ids {
                Value::Object(m) => m,
                _ => Map::new(),
            },
        }
    }

    /// The service (or part of the emulator) the entry comes from.
    pub fn source(&self) -> &str {
        match self {
            Entry::DeploymentCreated { .. }
            | Entry::DeploymentStarted { .. }
            | Entry::DeploymentRollingBack { .. }
            | Entry::DeploymentEnded { .. }
            | Entry::LifecycleEvent { .. }
            | Entry::Hook { .. }
            | Entry::DeploymentTaskSet { .. }
            | Entry::DeploymentTraffic { .. }
            | Entry::RollbackCreated { .. }
            | Entry::DeploymentNote { .. } => "codedeploy",
            Entry::TrafficWeights { .. }
            | Entry::TargetHealth { .. }
            | Entry::TargetRegistered { .. }
            | Entry::TargetDeregistered { .. }
            | Entry::TargetDraining { .. } => "elbv2",
            Entry::TaskSet { .. } | Entry::ServiceEvent { .. } => "ecs",
            Entry::InvocationQueued { .. }
            | Entry::InvocationDropped { .. }
            | Entry::InvocationFinished { .. }
            | Entry::InvocationRetryScheduled { .. }
            | Entry::InvocationRequeued { .. }
            | Entry::InvocationDiscarded { .. }
            | Entry::OutputTruncated { .. } => "lambda",
            Entry::AlarmState { .. } => "cloudwatch",
            Entry::FaultInjected { .. } | Entry::FaultsCleared {} => "faults",
            Entry::Resource { source, .. } | Entry::Note { source, .. } => source,
        }
    }

    /// The deployment a CodeDeploy step belongs to.
    pub fn deployment_id(&self) -> Option<&str> {
        match self {
            Entry::DeploymentCreated { deployment_id, .. }
            | Entry::DeploymentStarted { deployment_id, .. }
            | Entry::DeploymentRollingBack { deployment_id }
            | Entry::DeploymentEnded { deployment_id, .. }
            | Entry::LifecycleEvent { deployment_id, .. }
            | Entry::Hook { deployment_id, .. }
            | Entry::DeploymentTaskSet { deployment_id, .. }
            | Entry::DeploymentTraffic { deployment_id, .. }
            | Entry::RollbackCreated { deployment_id, .. }
            | Entry::DeploymentNote { deployment_id, .. } => Some(deployment_id),
            _ => None,
        }
    }

    /// The `step` field deployment steps carry on the wire (`status`, `lifecycle`, `hook`,
    /// `traffic`, `taskSet`, `rollback`), as before entries were typed.
    fn step(&self) -> Option<&'static str> {
        match self {
            Entry::DeploymentStarted { .. } | Entry::DeploymentRollingBack { .. } | Entry::DeploymentEnded { .. } => {
                Some("status")
            }
            Entry::LifecycleEvent { .. } => Some("lifecycle"),
            Entry::Hook { .. } => Some("hook"),
            Entry::DeploymentTaskSet { .. } => Some("taskSet"),
            Entry::DeploymentTraffic { .. } => Some("traffic"),
            Entry::RollbackCreated { .. } => Some("rollback"),
            _ => None,
        }
    }

    /// What a deployment step says after `deployment ID: ` (also the ECS service event's text).
    pub fn deployment_text(&self) -> Option<String> {
        Some(match self {
            Entry::DeploymentCreated { group, application, .. } => {
                format!("created for deployment group {group} of application {application}")
            }
            Entry::DeploymentStarted { .. } => "started".into(),
            Entry::DeploymentRollingBack { .. } => "rolling back: rerouting traffic to the original task set".into(),
            Entry::DeploymentEnded {
                status,
                error_code: Some(code),
                error_message,
                ..
            } => format!("{status} ({code}): {}", error_message.as_deref().unwrap_or("")),
            Entry::DeploymentEnded { status, .. } => status.as_str().into(),
            Entry::LifecycleEvent { event, status, .. } => match status {
                LifecycleStatus::InProgress => format!("{event} started"),
                s => format!("{event} {}", s.as_str().to_lowercase()),
            },
            Entry::Hook {
                event,
                function: Some(function),
                status: HookStatus::Invoked,
                ..
            } => format!("{event} hook {function} invoked"),
            Entry::Hook { event, status, .. } => format!("{event} hook reported {status}"),
            Entry::DeploymentTaskSet {
                task_set, state, role, ..
            } => {
                let ts = task_set.as_deref().unwrap_or("");
                match (state, role) {
                    (TaskSetState::Steady, r) => format!("{r} task set is steady"),
                    (TaskSetState::Primary, TaskSetRole::Replacement) => format!("task set {ts} is now PRIMARY"),
                    (TaskSetState::Primary, TaskSetRole::Original) => format!("task set {ts} is PRIMARY again"),
                    (s, r) => format!("{r} task set {ts} {s}"),
                }
            }
            Entry::DeploymentTraffic {
                replacement_percent: g, ..
            } => format!("production traffic: {g}% to replacement, {}% to original", 100 - g),
            Entry::RollbackCreated { rollback_id, .. } => format!("rollback deployment {rollback_id} created"),
            Entry::DeploymentNote { text, .. } => text.clone(),
            _ => return None,
        })
    }

    /// The human message, as the timeline shows it.
    pub fn message(&self) -> String {
        if let (Some(id), Some(text)) = (self.deployment_id(), self.deployment_text()) {
            return format!("deployment {id}: {text}");
        }
        match self {
            Entry::TrafficWeights { arn, weights } => {
                let text: Vec<String> = weights
                    .iter()
                    .map(|w| {
                        let a = &w.target_group_arn;
                        format!("{}:{}", a.rsplit('/').nth(1).unwrap_or(a), w.weight)
                    })
                    .collect();
                format!("forward weights of {arn} set to {}", text.join(", "))
            }
            Entry::TargetHealth {
                target_group_name,
                target,
                state,
                ..
            } => format!("target {target} of {target_group_name} {state}"),
            Entry::TargetRegistered {
                target_group_name,
                target,
                ..
            } => format!("target {target} registered in {target_group_name}"),
            Entry::TargetDeregistered {
                target_group_name,
                target,
                ..
            } => format!("target {target} of {target_group_name} deregistered"),
            Entry::TargetDraining {
                target_group_name,
                target,
                ..
            } => format!("target {target} of {target_group_name} draining"),
            Entry::TaskSet {
                service_name,
                task_set,
                change,
                task_definition,
                ..
            } => match change {
                TaskSetChange::Created => format!(
                    "(service {service_name}) task set {task_set} created with {}",
                    task_definition.as_deref().unwrap_or("")
                ),
                TaskSetChange::Primary => format!("(service {service_name}) task set {task_set} is now PRIMARY"),
                TaskSetChange::Deleted => format!("(service {service_name}) task set {task_set} deleted (DRAINING)"),
            },
            Entry::ServiceEvent { text, .. } => text.clone(),
            Entry::InvocationQueued { function_arn, .. } => format!("queued an Event invocation of {function_arn}"),
            Entry::InvocationDropped {
                request_id,
                function_arn,
                reason,
            } => format!("Event invocation {request_id} of {function_arn} dropped: {reason}"),
            Entry::InvocationFinished {
                request_id,
                function_arn,
                status,
                attempt,
            } => format!("Event invocation {request_id} of {function_arn} finished: {status} (attempt {attempt})"),
            Entry::InvocationRetryScheduled {
                request_id,
                function_arn,
                attempts,
                status,
                retry_in_seconds,
            } => format!(
                "Event invocation {request_id} of {function_arn} failed on attempt {attempts} ({status}); retry in {retry_in_seconds} s"
            ),
            Entry::InvocationRequeued {
                request_id,
                function_arn,
                attempt,
            } => format!("queued attempt {attempt} of Event invocation {request_id} of {function_arn}"),
            Entry::InvocationDiscarded {
                request_id,
                function_arn,
                attempts,
                status,
            } => format!("Event invocation {request_id} of {function_arn} discarded after {attempts} attempt(s): {status}"),
            Entry::OutputTruncated {
                request_id,
                function_arn,
                ..
            } => format!("output of invocation {request_id} of {function_arn} truncated"),
            Entry::AlarmState { alarm, from, to, .. } => format!("alarm {alarm}: {from} -> {to}"),
            Entry::FaultInjected { task_definition } => {
                format!("targetHealth unhealthy for task definition {task_definition}")
            }
            Entry::FaultsCleared {} => "every fault cleared".into(),
            Entry::Resource { text, .. } | Entry::Note { text, .. } => text.clone(),
            // Deployment steps are told above.
            _ => String::new(),
        }
    }
}

/// One timeline entry with its place in time: what `GET /_emulator/events` answers one of.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: u64,
    /// Simulated time, epoch seconds.
    pub time: f64,
    pub entry: Entry,
}

impl Event {
    pub fn source(&self) -> &str {
        self.entry.source()
    }

    pub fn message(&self) -> String {
        self.entry.message()
    }

    /// The JSON form: `seq`, `time`, `source`, `message`, `kind` and the kind's fields.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("seq".into(), Value::from(self.seq));
        o.insert("time".into(), Value::from(self.time));
        o.insert("source".into(), Value::from(self.entry.source()));
        o.insert("message".into(), Value::from(self.entry.message()));
        if let Some(step) = self.entry.step() {
            o.insert("step".into(), Value::from(step));
        }
        // Fields the deployment's start and rollback carried before entries were typed.
        match &self.entry {
            Entry::DeploymentStarted { .. } => {
                o.insert("status".into(), Value::from(DeploymentStatus::InProgress.as_str()));
            }
            Entry::DeploymentRollingBack { .. } => {
                o.insert("status".into(), Value::from(DeploymentStatus::InProgress.as_str()));
                o.insert("rollback".into(), Value::Bool(true));
            }
            _ => {}
        }
        if let Ok(Value::Object(fields)) = serde_json::to_value(&self.entry) {
            for (k, v) in fields {
                o.entry(k).or_insert(v);
            }
        }
        Value::Object(o)
    }

    /// Reads the JSON form back; `None` for something that is not an object. An object of an
    /// unknown kind (or without one) is a [`Entry::Note`] with its source, message and fields.
    pub fn from_json(v: &Value) -> Option<Event> {
        let o = v.as_object()?;
        let seq = o.get("seq").and_then(Value::as_u64).unwrap_or(0);
        let time = o.get("time").and_then(Value::as_f64).unwrap_or(f64::NAN);
        let mut rest = o.clone();
        rest.remove("seq");
        rest.remove("time");
        let entry = match serde_json::from_value::<Entry>(Value::Object(rest.clone())) {
            Ok(e) => e,
            Err(_) => {
                let text = |k: &str| rest.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                let (source, text) = (text("source"), text("message"));
                for k in ["source", "message", "kind", "step"] {
                    rest.remove(k);
                }
                Entry::Note {
                    source,
                    text,
                    fields: rest,
                }
            }
        };
        Some(Event { seq, time, entry })
    }

    /// The fields besides `seq`, `time`, `source`, `message`, `kind` and `step`, as the JSON form has
    /// them (for showing an entry's data).
    pub fn data(&self) -> Map<String, Value> {
        let mut o = match self.to_json() {
            Value::Object(o) => o,
            _ => Map::new(),
        };
        for k in ["seq", "time", "source", "message", "kind"] {
            o.remove(k);
        }
        o
    }
}

#[cfg(test)]
mod tests;
