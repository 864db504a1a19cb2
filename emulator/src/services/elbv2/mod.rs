//! Elastic Load Balancing v2 (application and network load balancers), per account and region.
//!
//! One file per resource family: `load_balancers.rs`, `target_groups.rs`, `listeners.rs` (and the
//! actions they share with rules), `rules.rs`, `targets.rs` (registration and the health state
//! machine), `tags.rs`, `account.rs` (account limits, SSL policies). Every handler is typed
//! (`cutover_types::elbv2`) and over this service's own [`State`]; CreateLoadBalancer, which needs
//! EC2's subnets and security groups, takes a [`peers::Peers`] view and is registered by the
//! lifecycle layer (`lifecycle::links`).
//!
//! Everything delayed runs on the simulation clock as a `LoadBalancerSignal` or `TargetSignal`:
//! * a new load balancer is `provisioning` for [`LB_PROVISIONING_SECS`] then `active`;
//! * each registered target of a target group that a listener or rule forwards to has its own chain
//!   of health checks, one event per target per `HealthCheckIntervalSeconds` (no scan of all targets
//!   on a tick). A check fails when the target was registered by ECS for a task definition listed in
//!   `env.faults.unhealthy_task_definitions`, and passes otherwise, so healthy targets turn
//!   unhealthy when a fault is injected later, and back when it is cleared. A change of a target's
//!   health is returned ([`HealthChange`]) for the lifecycle layer to tell ECS;
//! * a deregistered target drains for `deregistration_delay.timeout_seconds`, then is gone.
//!
//! Cross-service callers (the lifecycle layer, for ECS and CodeDeploy) use the typed functions
//! re-exported here ([`register_task_target`], [`deregister_task_target`],
//! [`target_group_has_listener`], [`load_balancer_for_target_group`], [`set_forward_weights`],
//! [`forwards_to_target_group`], [`forward_weights`], [`target_health`], [`record_health_probe`])
//! over this state rather than the handlers.

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
pub use load_balancers::create_load_balancer;
pub use targets::{
    deregister_task_target, record_health_probe, register_task_target, target_health, HealthChange, TargetState,
};

use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Op;
use crate::sim::signal::{LoadBalancerSignal, TargetSignal};
use crate::sim::PartitionKey;
use cutover_types::elbv2 as t;
pub use cutover_types::elbv2::LoadBalancerStateEnum;
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
    /// `HttpCode` or `GrpcCode`.
    pub matcher: Option<t::Matcher>,
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
    pub certificates: Vec<t::Certificate>,
    pub alpn_policy: Option<Vec<String>>,
    /// Canonical actions (see `listeners::canonical_actions`).
    pub default_actions: Vec<t::Action>,
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
    /// Canonical conditions (see `rules::canonical_conditions`).
    pub conditions: Vec<t::RuleCondition>,
    pub actions: Vec<t::Action>,
    pub tags: Tags,
    pub seq: u64,
}

/// The handlers over this state; CreateLoadBalancer is the lifecycle layer's (it needs EC2).
pub fn handler(op: &str) -> Option<Op<State>> {
    let f: Op<State> = match op {
        "DescribeLoadBalancers" => typed!(load_balancers::describe_load_balancers),
        "DeleteLoadBalancer" => typed!(load_balancers::delete_load_balancer),
        "DescribeLoadBalancerAttributes" => typed!(load_balancers::describe_load_balancer_attributes),
        "ModifyLoadBalancerAttributes" => typed!(load_balancers::modify_load_balancer_attributes),
        "CreateTargetGroup" => typed!(target_groups::create_target_group),
        "ModifyTargetGroup" => typed!(target_groups::modify_target_group),
        "DescribeTargetGroups" => typed!(target_groups::describe_target_groups),
        "DeleteTargetGroup" => typed!(target_groups::delete_target_group),
        "DescribeTargetGroupAttributes" => typed!(target_groups::describe_target_group_attributes),
        "ModifyTargetGroupAttributes" => typed!(target_groups::modify_target_group_attributes),
        "CreateListener" => typed!(listeners::create_listener),
        "ModifyListener" => typed!(listeners::modify_listener),
        "DescribeListeners" => typed!(listeners::describe_listeners),
        "DeleteListener" => typed!(listeners::delete_listener),
        "CreateRule" => typed!(rules::create_rule),
        "ModifyRule" => typed!(rules::modify_rule),
        "DescribeRules" => typed!(rules::describe_rules),
        "DeleteRule" => typed!(rules::delete_rule),
        "SetRulePriorities" => typed!(rules::set_rule_priorities),
        "RegisterTargets" => typed!(targets::register_targets),
        "DeregisterTargets" => typed!(targets::deregister_targets),
        "DescribeTargetHealth" => typed!(targets::describe_target_health),
        "AddTags" => typed!(tags::add_tags),
        "RemoveTags" => typed!(tags::remove_tags),
        "DescribeTags" => typed!(tags::describe_tags),
        "DescribeAccountLimits" => typed!(account::describe_account_limits),
        "DescribeSSLPolicies" => typed!(account::describe_ssl_policies),
        _ => return None,
    };
    Some(f)
}

/// Runs a load balancer's scheduled step.
pub fn fire_load_balancer(st: &mut State, env: &mut Env<'_>, signal: LoadBalancerSignal) {
    match signal {
        LoadBalancerSignal::Active { arn } => load_balancers::activate(st, env, &arn),
    }
}

/// Runs a target's scheduled step; a health check that changed the target's health returns the
/// change, for the lifecycle layer to tell ECS (after the timeline entry of the change).
pub fn fire_target(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    signal: TargetSignal,
) -> Option<HealthChange> {
    match signal {
        TargetSignal::HealthCheck {
            target_group_arn,
            target,
            epoch,
        } => targets::health_check(st, env, key, &target_group_arn, &target, epoch),
        TargetSignal::DeregistrationDone {
            target_group_arn,
            target,
            epoch,
        } => {
            targets::deregistration_done(st, env, &target_group_arn, &target, epoch);
            None
        }
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

/// The `(target group, weight)` pairs of a forward action (a weight left out is 1); nothing for
/// other actions. The ALB router reads forward actions with it too.
pub fn forward_tuples(action: &t::Action) -> Vec<(String, i64)> {
    if action.r#type != t::ActionTypeEnum::Forward {
        return Vec::new();
    }
    if let Some(groups) = action.forward_config.as_ref().and_then(|c| c.target_groups.as_ref()) {
        return groups
            .iter()
            .filter_map(|g| Some((g.target_group_arn.clone()?, g.weight.map_or(1, i64::from))))
            .collect();
    }
    action
        .target_group_arn
        .as_ref()
        .map(|a| vec![(a.clone(), 1)])
        .unwrap_or_default()
}

fn actions_forward_to(actions: &[t::Action], tg: &str) -> bool {
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

/// Reads `Tags` of a create call: keys unique, at most 50.
fn parse_tags(input: Option<&[t::Tag]>) -> AwsResult<Tags> {
    let mut tags: Tags = Vec::new();
    for tag in input.unwrap_or_default() {
        let k = tag.key.as_str();
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
        tags.push((k.to_owned(), tag.value.clone().unwrap_or_default()));
    }
    if tags.len() > 50 {
        return Err(AwsError::new(
            "TooManyTags",
            "The quota for the number of tags that can be assigned to a resource has been reached",
        ));
    }
    Ok(tags)
}

fn tags_value(tags: &Tags) -> Vec<t::Tag> {
    tags.iter()
        .map(|(k, v)| t::Tag {
            key: k.clone(),
            value: Some(v.clone()),
        })
        .collect()
}

/// One page of `items` for `Marker`/`PageSize` (1–400), and the next marker.
fn page<T: Clone>(items: Vec<T>, marker: Option<&str>, page_size: Option<i32>) -> AwsResult<(Vec<T>, Option<String>)> {
    let size = match page_size.map(i64::from) {
        Some(n) => {
            if let Some(e) = range_error(n, "pageSize", 1, 400) {
                return Err(e);
            }
            n as usize
        }
        None => 400,
    };
    super::util::paginate(&items, marker, size, "ValidationError")
}

/// Attribute pairs `(Key, Value)` from a map, for either attribute list.
fn attribute_pairs(attrs: &BTreeMap<String, String>) -> impl Iterator<Item = (Option<String>, Option<String>)> + '_ {
    attrs.iter().map(|(k, v)| (Some(k.clone()), Some(v.clone())))
}

fn is_bool_text(v: &str) -> bool {
    v == "true" || v == "false"
}
