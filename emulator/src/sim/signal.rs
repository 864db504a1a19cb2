//! What the simulation schedules: one typed [`Signal`] per piece of future work, addressed to one
//! resource by its id. The scheduler and the world carry signals without knowing which service
//! owns the resource; `lifecycle::drive` is the one place that matches on them and runs the step
//! they ask for.
//!
//! Payloads are ids and counters only (an `epoch` or `generation` makes a signal stale once its
//! resource has moved on), never a copy of service state: the state stays where it lives, and a
//! signal that finds its resource gone does nothing.

/// One piece of future work.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// Writes a line on the timeline; used by tests of the scheduler itself.
    Mark(String),
    /// A CodeDeploy deployment's lifecycle.
    Deployment(DeploymentSignal),
    /// An ECS service: its scheduler, and forgetting it after deletion.
    Service(ServiceSignal),
    /// An ECS task's lifecycle.
    Task(TaskSignal),
    /// An ELBv2 load balancer's provisioning.
    LoadBalancer(LoadBalancerSignal),
    /// A target in an ELBv2 target group: health checks and deregistration.
    Target(TargetSignal),
    /// A Lambda function: settling after create or update, retries of Event invocations.
    Function(FunctionSignal),
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeploymentSignal {
    /// The deployment leaves `Created` and starts its lifecycle.
    Start { deployment_id: String },
    /// The deployment's single pending timer (Install poll, traffic step, Ready wait or
    /// termination wait expiry); stale when the deployment's `epoch` has moved on.
    Wake { deployment_id: String, epoch: u64 },
    /// A lifecycle hook that has not answered within the hour.
    HookTimeout {
        deployment_id: String,
        execution_id: String,
    },
    /// A poll of the deployment's CloudWatch alarms.
    AlarmPoll { deployment_id: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum ServiceSignal {
    /// Bring every deployment or task set of the service to its desired count.
    Reconcile { service_arn: String },
    /// Drop a deleted (INACTIVE) service once its retention has passed.
    Forget { service_arn: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TaskSignal {
    /// The task's next lifecycle step; stale when its `generation` has moved on.
    Step { task_arn: String, generation: u64 },
    /// Drop a stopped task once its retention has passed.
    Forget { task_arn: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum LoadBalancerSignal {
    /// Provisioning is over: `provisioning` → `active`.
    Active { arn: String },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TargetSignal {
    /// One health check of one target; stale when the target's chain `epoch` has moved on.
    HealthCheck {
        target_group_arn: String,
        target: String,
        epoch: u64,
    },
    /// The end of a target's deregistration delay.
    DeregistrationDone {
        target_group_arn: String,
        target: String,
        epoch: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum FunctionSignal {
    /// `State` Pending → Active (and `LastUpdateStatus` InProgress → Successful) for the
    /// function's `$LATEST` if its revision is still `revision`.
    Settle { name: String, revision: String },
    /// The next attempt of a failed Event invocation (kept in the function's region until then):
    /// queued again.
    Retry { invocation_id: String },
}
