//! Elastic Load Balancing v2 (application and network load balancers), per account and region.
//!
//! One file per resource family: `load_balancers.rs`, `target_groups.rs`, `listeners.rs` (and the
//! actions they share with rules), `rules.rs`, `targets.rs` (registration and the health state
//! machine), `tags.rs`, `account.rs` (account limits, SSL policies).
//!
//! Everything delayed runs on the simulation clock as a `LoadBalancerSignal` or `TargetSignal`:
//! * a new load balancer is `provisioning` for [`LB_PROVISIONING_SECS`] then `active`;
//! * each registered target of a target group that a listener or rule forwards to has its own chain
//!   of health checks, one event per target per `HealthCheckIntervalSeconds` (no scan of all targets
//!   on a tick). A check fails when the target was registered by ECS for a task definition listed in
//!   `world.faults.unhealthy_task_definitions`, and passes otherwise, so healthy targets turn
//!   unhealthy when a fault is injected later, and back when it is cleared;
//! * a deregistered target drains for `deregistration_delay.timeout_seconds`, then is gone.
//!
//! Cross-service callers (ECS, CodeDeploy) use the typed functions re-exported here
//! ([`register_task_target`], [`deregister_task_target`], [`target_group_has_listener`],
//! [`load_balancer_for_target_group`], [`set_forward_weights`], [`forwards_to_target_group`],
//! [`forward_weights`], [`target_health`]) rather than the handlers.

mod account;
mod listeners;
mod load_balancers;
pub mod peers;
mod rules;
mod tags;
mod target_groups;
mod targets;

#[cfg(test)]
mod tests;

pub use listeners::{forward_weights, forwards_to_target_group, set_forward_weights, ForwardRef};
pub use targets::{deregister_task_target, record_health_probe, register_task_target, target_health, TargetState};

use super::util::{opt_i64, opt_str};
use crate::protocol::{AwsError, AwsResult};
use crate::sim::signal::{LoadBalancerSignal, TargetSignal};
use crate::world::WorldOp;
use crate::world::{PartitionKey, World};
pub use cutover_types::elbv2::LoadBalancerStateEnum;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Seconds a new load balancer stays `provisioning` before it turns `active`. Real ALBs take a few
/// minutes; 30 s keeps the `LoadBalancerAvailable` waiter (15 s polls) meaningful without slowing
/// tests down.
pub const LB_PROVISIONING_SECS: f64 = 30.0;

/// Tags in the order they were added.
pub type Tags = Vec<(String, String)>;

#[derive(Debug, Default)]
pub struct State {
    pub load_balancers: BTreeMap<String, LoadBalancer>,
    pub target_groups: BTreeMap<String, TargetGroup>,
    pub listeners: BTreeMap<String, Listener>,
    pub rules: BTreeMap<String, Rule>,
    /// Creation order of resources and ids of health-check chains.
    next_seq: u64,
}

impl State {
    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub subnet_id: String,
    pub zone_name: String,
}

#[derive(Debug, Clone)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    /// `application` or `network`.
    pub lb_type: String,
    pub scheme: String,
    pub ip_address_type: String,
    pub vpc_id: String,
    pub zones: Vec<Zone>,
    pub security_groups: Vec<String>,
    pub dns_name: String,
    pub canonical_hosted_zone_id: String,
    pub created: f64,
    /// `provisioning`, then `active`.
    pub state: LoadBalancerStateEnum,
    pub attributes: BTreeMap<String, String>,
    pub tags: Tags,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub enabled: bool,
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub path: Option<String>,
    pub interval: i64,
    pub timeout: i64,
    pub healthy_threshold: i64,
    pub unhealthy_threshold: i64,
    /// `{"HttpCode": ..}` or `{"GrpcCode": ..}`.
    pub matcher: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub target_type: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<i64>,
    pub vpc_id: Option<String>,
    pub ip_address_type: Option<String>,
    pub health_check: HealthCheck,
    pub attributes: BTreeMap<String, String>,
    /// Keyed by `id:port`.
    pub targets: BTreeMap<String, targets::Target>,
    pub tags: Tags,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub arn: String,
    pub load_balancer_arn: String,
    pub port: i64,
    pub protocol: String,
    pub ssl_policy: Option<String>,
    pub certificates: Vec<Value>,
    pub alpn_policy: Option<Value>,
    /// Canonical actions (see `listeners::canonical_actions`).
    pub default_actions: Vec<Value>,
    pub default_rule_arn: String,
    pub tags: Tags,
    pub seq: u64,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub arn: String,
    pub listener_arn: String,
    /// `None` for the listener's default rule (whose actions are the listener's default actions).
    pub priority: Option<i64>,
    pub conditions: Vec<Value>,
    pub actions: Vec<Value>,
    pub tags: Tags,
    pub seq: u64,
}

pub fn handler(op: &str) -> Option<WorldOp> {
    Some(match op {
        "CreateLoadBalancer" => load_balancers::create_load_balancer,
        "DescribeLoadBalancers" => load_balancers::describe_load_balancers,
        "DeleteLoadBalancer" => load_balancers::delete_load_balancer,
        "DescribeLoadBalancerAttributes" => load_balancers::describe_load_balancer_attributes,
        "ModifyLoadBalancerAttributes" => load_balancers::modify_load_balancer_attributes,
        "CreateTargetGroup" => target_groups::create_target_group,
        "ModifyTargetGroup" => target_groups::modify_target_group,
        "DescribeTargetGroups" => target_groups::describe_target_groups,
        "DeleteTargetGroup" => target_groups::delete_target_group,
        "DescribeTargetGroupAttributes" => target_groups::describe_target_group_attributes,
        "ModifyTargetGroupAttributes" => target_groups::modify_target_group_attributes,
        "CreateListener" => listeners::create_listener,
        "ModifyListener" => listeners::modify_listener,
        "DescribeListeners" => listeners::describe_listeners,
        "DeleteListener" => listeners::delete_listener,
        "CreateRule" => rules::create_rule,
        "ModifyRule" => rules::modify_rule,
        "DescribeRules" => rules::describe_rules,
        "DeleteRule" => rules::delete_rule,
        "SetRulePriorities" => rules::set_rule_priorities,
        "RegisterTargets" => targets::register_targets,
        "DeregisterTargets" => targets::deregister_targets,
        "DescribeTargetHealth" => targets::describe_target_health,
        "AddTags" => tags::add_tags,
        "RemoveTags" => tags::remove_tags,
        "DescribeTags" => tags::describe_tags,
        "DescribeAccountLimits" => account::describe_account_limits,
        "DescribeSSLPolicies" => account::describe_ssl_policies,
        _ => return None,
    })
}

/// Runs a load balancer's scheduled step.
pub fn fire_load_balancer(world: &mut World, key: &PartitionKey, signal: LoadBalancerSignal) {
    match signal {
        LoadBalancerSignal::Active { arn } => load_balancers::activate(world, key, &arn),
    }
}

/// Runs a target's scheduled step.
pub fn fire_target(world: &mut World, key: &PartitionKey, signal: TargetSignal) {
    match signal {
        TargetSignal::HealthCheck {
            target_group_arn,
            target,
            epoch,
        } => targets::health_check(world, key, &target_group_arn, &target, epoch),
        TargetSignal::DeregistrationDone {
            target_group_arn,
            target,
            epoch,
        } => targets::deregistration_done(world, key, &target_group_arn, &target, epoch),
    }
}

// ---- queries other services use -------------------------------------------------------------

/// Whether a listener's default action or a rule forwards to the target group (at any weight,
/// including 0): only then are its targets health-checked.
pub fn target_group_has_listener(state: &State, target_group_arn: &str) -> bool {
    state
        .listeners
        .values()
        .any(|l| actions_forward_to(&l.default_actions, target_group_arn))
        || state
            .rules
            .values()
            .any(|r| r.priority.is_some() && actions_forward_to(&r.actions, target_group_arn))
}

/// The load balancer whose listeners or rules forward to the target group (a target group of an
/// application load balancer belongs to at most one).
pub fn load_balancer_for_target_group(state: &State, target_group_arn: &str) -> Option<String> {
    load_balancers_of_target_group(state, target_group_arn)
        .into_iter()
        .next()
}

/// Every load balancer forwarding to the target group, in load balancer creation order.
pub fn load_balancers_of_target_group(state: &State, target_group_arn: &str) -> Vec<String> {
    let mut lbs: Vec<&LoadBalancer> = Vec::new();
    let mut add = |lb_arn: &str| {
        if let Some(lb) = state.load_balancers.get(lb_arn) {
            if !lbs.iter().any(|l| l.arn == lb.arn) {
                lbs.push(lb);
            }
        }
    };
    for l in state.listeners.values() {
        let rules_forward = state.rules.values().any(|r| {
            r.listener_arn == l.arn && r.priority.is_some() && actions_forward_to(&r.actions, target_group_arn)
        });
        if rules_forward || actions_forward_to(&l.default_actions, target_group_arn) {
            add(&l.load_balancer_arn);
        }
    }
    lbs.sort_by_key(|l| l.seq);
    lbs.into_iter().map(|l| l.arn.clone()).collect()
}

// ---- shared helpers -------------------------------------------------------------------------

pub(crate) fn forward_tuples(action: &Value) -> Vec<(String, i64)> {
    if opt_str(action, "Type") != Some("forward") {
        return Vec::new();
    }
    if let Some(groups) = action.pointer("/ForwardConfig/TargetGroups").and_then(Value::as_array) {
        return groups
            .iter()
            .filter_map(|g| {
                Some((
                    opt_str(g, "TargetGroupArn")?.to_owned(),
                    opt_i64(g, "Weight").unwrap_or(1),
                ))
            })
            .collect();
    }
    opt_str(action, "TargetGroupArn")
        .map(|a| vec![(a.to_owned(), 1)])
        .unwrap_or_default()
}

fn actions_forward_to(actions: &[Value], tg: &str) -> bool {
    actions
        .iter()
        .any(|a| forward_tuples(a).iter().any(|(arn, _)| arn == tg))
}

fn arn_prefix(key: &PartitionKey) -> String {
    format!("arn:aws:elasticloadbalancing:{}:{}:", key.region, key.account)
}

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationError", message)
}

fn lb_not_found_one(arn: &str) -> AwsError {
    AwsError::new("LoadBalancerNotFound", format!("Load balancer '{arn}' not found"))
}

fn lbs_not_found() -> AwsError {
    AwsError::new("LoadBalancerNotFound", "One or more load balancers not found")
}

fn tgs_not_found() -> AwsError {
    AwsError::new("TargetGroupNotFound", "One or more target groups not found")
}

fn tg_not_found_one(arn: &str) -> AwsError {
    AwsError::new("TargetGroupNotFound", format!("Target groups '{arn}' not found"))
}

fn listeners_not_found() -> AwsError {
    AwsError::new("ListenerNotFound", "One or more listeners not found")
}

fn rules_not_found() -> AwsError {
    AwsError::new("RuleNotFound", "One or more rules not found")
}

/// The `n validation error detected` message AWS gives a member outside its range.
fn range_error(value: i64, member: &str, min: i64, max: i64) -> Option<AwsError> {
    if value < min {
        Some(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        )))
    } else if value > max {
        Some(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )))
    } else {
        None
    }
}

/// Reads `Tags` (`[{Key, Value}]`) of a create call: keys unique, at most 50.
fn parse_tags(input: &Value) -> AwsResult<Tags> {
    let mut tags: Tags = Vec::new();
    for t in input.get("Tags").and_then(Value::as_array).into_iter().flatten() {
        let k = opt_str(t, "Key").ok_or_else(|| validation("A tag key must be specified"))?;
        if k.is_empty() || k.len() > 128 {
            return Err(validation(format!(
                "Tag key '{k}' must be between 1 and 128 characters long"
            )));
        }
        if tags.iter().any(|(x, _)| x == k) {
            return Err(AwsError::new(
                "DuplicateTagKeys",
                format!("Tag key was specified more than once: {k}"),
            ));
        }
        tags.push((k.to_owned(), opt_str(t, "Value").unwrap_or("").to_owned()));
    }
    if tags.len() > 50 {
        return Err(AwsError::new(
            "TooManyTags",
            "The quota for the number of tags that can be assigned to a resource has been reached",
        ));
    }
    Ok(tags)
}

fn tags_value(tags: &Tags) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
}

/// One page of `items` for `Marker`/`PageSize` (1–400), as `{<list>: [...], NextMarker?}`.
fn page(items: Vec<Value>, input: &Value, list: &str) -> AwsResult<Value> {
    let size = match opt_i64(input, "PageSize") {
        Some(n) => {
            if let Some(e) = range_error(n, "pageSize", 1, 400) {
                return Err(e);
            }
            n as usize
        }
        None => 400,
    };
    let (items, next) = super::util::paginate(&items, opt_str(input, "Marker"), size, "ValidationError")?;
    let mut out = serde_json::Map::new();
    out.insert(list.to_owned(), Value::Array(items));
    if let Some(n) = next {
        out.insert("NextMarker".into(), json!(n));
    }
    Ok(Value::Object(out))
}

/// Attribute list `[{Key, Value}]` from a map.
fn attributes_value(attrs: &BTreeMap<String, String>) -> Value {
    Value::Array(attrs.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect())
}

fn is_bool_text(v: &str) -> bool {
    v == "true" || v == "false"
}
