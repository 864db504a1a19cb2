//! Listeners (CreateListener, ModifyListener, DescribeListeners, DeleteListener), the actions that
//! listeners and rules share, and the typed forward-weight functions CodeDeploy uses.

use super::{
    arn_prefix, forward_tuples, lb_not_found_one, listeners_not_found, page, parse_tags, range_error, rules_not_found,
    tg_not_found_one, validation, Listener, LoadBalancer, Rule, State,
};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use crate::sim::PartitionKey;
use cutover_types::elbv2 as t;
use t::ActionTypeEnum as Ty;

const ALB_PROTOCOLS: &[&str] = &["HTTP", "HTTPS"];
const NLB_PROTOCOLS: &[&str] = &["TCP", "TLS", "UDP", "TCP_UDP"];
pub(super) const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-2016-08";

/// An action of `ty` with nothing else set.
fn bare_action(ty: Ty) -> t::Action {
    t::Action {
        authenticate_cognito_config: None,
        authenticate_oidc_config: None,
        fixed_response_config: None,
        forward_config: None,
        jwt_validation_config: None,
        order: None,
        redirect_config: None,
        target_group_arn: None,
        r#type: ty,
    }
}

/// Whether an action ends the chain (forward, fixed-response, redirect).
fn is_terminal(a: &t::Action) -> bool {
    matches!(a.r#type, Ty::Forward | Ty::FixedResponse | Ty::Redirect)
}

/// Validates `actions` for a listener of `lb` speaking `protocol`, and returns them in the form AWS
/// returns them: a forward to one target group carries both `TargetGroupArn` and a `ForwardConfig`
/// with weight 1 and stickiness off; a weighted forward only `ForwardConfig`; a redirect has every
/// `#{...}` default filled in.
pub(super) fn canonical_actions(
    st: &State,
    lb: &LoadBalancer,
    protocol: &str,
    actions: &[t::Action],
) -> AwsResult<Vec<t::Action>> {
    if actions.is_empty() {
        return Err(validation("At least one action must be specified"));
    }
    if actions.len() > 1 && actions.iter().any(|a| a.order.is_none()) {
        return Err(validation(
            "An action order must be specified when there are multiple actions",
        ));
    }
    let mut out = Vec::new();
    for a in actions {
        let ty = a.r#type.as_str();
        if lb.lb_type == "network" && a.r#type != Ty::Forward {
            return Err(AwsError::new(
                "InvalidLoadBalancerAction",
                format!("Action type '{ty}' is not supported for Network Load Balancers"),
            ));
        }
        let mut v = bare_action(a.r#type.clone());
        match &a.r#type {
            Ty::Forward => forward_action(st, lb, protocol, a, &mut v)?,
            Ty::FixedResponse => {
                let c = a.fixed_response_config.as_ref().ok_or_else(|| validation("A fixed response config must be specified for fixed-response actions"))?;
                let code = c.status_code.as_str();
                let ok = code.len() == 3 && code.chars().all(|ch| ch.is_ascii_digit()) && matches!(code.as_bytes()[0], b'2' | b'4' | b'5');
                if !ok {
                    return Err(validation(format!("Fixed response status code '{code}' must be 2XX, 4XX or 5XX")));
                }
                if let Some(t) = c.content_type.as_deref() {
                    if !["text/plain", "text/css", "text/html", "application/javascript", "application/json"].contains(&t) {
                        return Err(validation(format!("Fixed response content type '{t}' is not valid")));
                    }
                }
                if c.message_body.as_ref().is_some_and(|b| b.len() > 1024) {
                    return Err(validation("Fixed response message body cannot be longer than 1024 characters"));
                }
                v.fixed_response_config = Some(c.clone());
            }
            Ty::Redirect => {
                let c = a.redirect_config.as_ref().ok_or_else(|| validation("A redirect config must be specified for redirect actions"))?;
                let code = c.status_code.as_str();
                if code != "HTTP_301" && code != "HTTP_302" {
                    return Err(validation(format!("Redirect status code '{code}' must be HTTP_301 or HTTP_302")));
                }
                let get = |x: &Option<String>, d: &str| Some(x.as_deref().unwrap_or(d).to_owned());
                v.redirect_config = Some(t::RedirectActionConfig {
                    protocol: get(&c.protocol, "#{protocol}"),
                    port: get(&c.port, "#{port}"),
                    host: get(&c.host, "#{host}"),
                    path: get(&c.path, "/#{path}"),
                    query: get(&c.query, "#{query}"),
                    status_code: c.status_code.clone(),
                });
            }
            Ty::AuthenticateOidc | Ty::AuthenticateCognito | Ty::JwtValidation => {
                if protocol != "HTTPS" {
                    return Err(AwsError::new(
                        "InvalidLoadBalancerAction",
                        format!("Action type '{ty}' is supported only on HTTPS listeners"),
                    ));
                }
                v.authenticate_oidc_config = a.authenticate_oidc_config.clone();
                v.authenticate_cognito_config = a.authenticate_cognito_config.clone();
                v.jwt_validation_config = a.jwt_validation_config.clone();
            }
            Ty::Unknown(other) => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{other}' at 'actions.member.type' failed to satisfy constraint: Member must satisfy enum value set: [forward, authenticate-oidc, authenticate-cognito, redirect, fixed-response, jwt-validation]"
                )))
            }
        }
        if let Some(o) = a.order {
            if let Some(e) = range_error(i64::from(o), "order", 1, 50000) {
                return Err(e);
            }
            v.order = Some(o);
        }
        out.push(v);
    }
    out.sort_by_key(|a| a.order.unwrap_or(0));
    if out.iter().filter(|a| is_terminal(a)).count() != 1 || !out.last().is_some_and(is_terminal) {
        return Err(AwsError::new(
            "InvalidLoadBalancerAction",
            "The last action must be exactly one of forward, redirect, or fixed-response",
        ));
    }
    Ok(out)
}

fn forward_action(st: &State, lb: &LoadBalancer, protocol: &str, a: &t::Action, v: &mut t::Action) -> AwsResult<()> {
    let single = a.target_group_arn.as_deref();
    let config = a.forward_config.as_ref();
    let mut tuples: Vec<(String, i64)> = Vec::new();
    if let Some(groups) = config.and_then(|c| c.target_groups.as_ref()) {
        for g in groups {
            let arn = g
                .target_group_arn
                .as_deref()
                .ok_or_else(|| validation("A target group ARN must be specified"))?;
            let w = g.weight.map_or(1, i64::from);
            if !(0..=999).contains(&w) {
                return Err(validation(format!(
                    "Target group weight '{w}' must be between 0 and 999"
                )));
            }
            if tuples.iter().any(|(x, _)| x == arn) {
                return Err(validation(format!(
                    "Target group '{arn}' is specified more than once in the forward action"
                )));
            }
            tuples.push((arn.to_owned(), w));
        }
    }
    match (single, tuples.is_empty()) {
        (None, true) => return Err(validation("A target group ARN must be specified")),
        (Some(s), true) => tuples.push((s.to_owned(), 1)),
        (Some(s), false) => {
            if tuples.len() != 1 || tuples[0].0 != s {
                return Err(validation(
                    "You can specify only one target group using ForwardConfig and it must be the same target group specified in TargetGroupArn",
                ));
            }
        }
        (None, false) => {}
    }
    if tuples.len() > 5 {
        return Err(AwsError::new(
            "TooManyTargetGroups",
            "A forward action can have at most 5 target groups",
        ));
    }
    if lb.lb_type == "network" && tuples.len() > 1 {
        return Err(validation(
            "Network Load Balancers support only one target group per forward action",
        ));
    }
    for (arn, _) in &tuples {
        check_target_group_for(st, lb, protocol, arn)?;
    }
    let sticky = config.and_then(|c| c.target_group_stickiness_config.as_ref());
    let enabled = sticky.and_then(|s| s.enabled).unwrap_or(false);
    let stickiness = if enabled {
        let d = sticky
            .and_then(|s| s.duration_seconds)
            .ok_or_else(|| validation("A duration must be specified when target group stickiness is enabled"))?;
        if !(1..=604_800).contains(&d) {
            return Err(validation(format!(
                "Target group stickiness duration '{d}' must be between 1 and 604800 seconds"
            )));
        }
        t::TargetGroupStickinessConfig {
            enabled: Some(true),
            duration_seconds: Some(d),
        }
    } else {
        t::TargetGroupStickinessConfig {
            enabled: Some(false),
            duration_seconds: None,
        }
    };
    if tuples.len() == 1 {
        v.target_group_arn = Some(tuples[0].0.clone());
    }
    v.forward_config = Some(t::ForwardActionConfig {
        target_groups: Some(weighted(&tuples)),
        target_group_stickiness_config: Some(stickiness),
    });
    Ok(())
}

/// `(target group, weight)` pairs as a forward action's target groups.
fn weighted(weights: &[(String, i64)]) -> Vec<t::TargetGroupTuple> {
    weights
        .iter()
        .map(|(arn, w)| t::TargetGroupTuple {
            target_group_arn: Some(arn.clone()),
            weight: Some(i32::try_from(*w).unwrap_or(i32::MAX)),
        })
        .collect()
}

/// A target group a listener of `lb` may forward to: it exists, its protocol and VPC fit the load
/// balancer, and (application load balancers) no other load balancer uses it.
fn check_target_group_for(st: &State, lb: &LoadBalancer, protocol: &str, arn: &str) -> AwsResult<()> {
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let tg_protocol = tg.protocol.as_deref();
    let fits = match lb.lb_type.as_str() {
        "network" => tg.target_type != "lambda" && tg_protocol.is_some_and(|p| NLB_PROTOCOLS.contains(&p)),
        _ => tg.target_type == "lambda" || tg_protocol.is_some_and(|p| ALB_PROTOCOLS.contains(&p)),
    };
    if !fits {
        return Err(AwsError::new(
            "IncompatibleProtocols",
            format!(
                "Listener protocol '{protocol}' is not supported with a target group with the protocol '{}'",
                tg_protocol.unwrap_or("lambda")
            ),
        ));
    }
    if let Some(vpc) = tg.vpc_id.as_deref() {
        if vpc != lb.vpc_id {
            return Err(validation(format!(
                "The target group '{arn}' is in VPC '{vpc}', but the load balancer is in VPC '{}'",
                lb.vpc_id
            )));
        }
    }
    if lb.lb_type == "application" {
        if let Some(other) = super::load_balancers_of_target_group(st, arn)
            .into_iter()
            .find(|a| *a != lb.arn)
        {
            let _ = other;
            return Err(AwsError::new(
                "TargetGroupAssociationLimit",
                format!("The following target groups cannot be associated with more than one load balancer: {arn}"),
            ));
        }
    }
    Ok(())
}

fn check_protocol(lb: &LoadBalancer, protocol: &str) -> AwsResult<()> {
    let (allowed, text) = if lb.lb_type == "network" {
        (NLB_PROTOCOLS, "TCP_UDP, UDP, TLS, TCP")
    } else {
        (ALB_PROTOCOLS, "HTTPS, HTTP")
    };
    if !allowed.contains(&protocol) {
        return Err(validation(format!(
            "Listener protocol '{protocol}' must be one of '{text}'"
        )));
    }
    Ok(())
}

pub(super) fn listener_value(l: &Listener) -> t::Listener {
    t::Listener {
        listener_arn: Some(l.arn.clone()),
        load_balancer_arn: Some(l.load_balancer_arn.clone()),
        port: Some(l.port as i32),
        protocol: Some(l.protocol.as_str().into()),
        default_actions: Some(l.default_actions.clone()),
        certificates: (!l.certificates.is_empty()).then(|| l.certificates.clone()),
        ssl_policy: l.ssl_policy.clone(),
        alpn_policy: l.alpn_policy.clone(),
        mutual_authentication: None,
    }
}

/// Certificates and SSL policy for a secure protocol (HTTPS, TLS): exactly one certificate, a known policy.
fn security_settings(
    protocol: &str,
    certs: Option<&[t::Certificate]>,
    policy: Option<&str>,
    old: Option<(&Vec<t::Certificate>, Option<&String>)>,
) -> AwsResult<(Vec<t::Certificate>, Option<String>)> {
    if protocol != "HTTPS" && protocol != "TLS" {
        return Ok((Vec::new(), None));
    }
    let certs: Vec<t::Certificate> = match certs {
        Some(c) => c
            .iter()
            .filter_map(|c| {
                c.certificate_arn.as_ref().map(|a| t::Certificate {
                    certificate_arn: Some(a.clone()),
                    is_default: None,
                })
            })
            .collect(),
        None => old.map(|(c, _)| c.clone()).unwrap_or_default(),
    };
    if certs.is_empty() {
        return Err(validation(format!(
            "A certificate must be specified for {protocol} listeners"
        )));
    }
    if certs.len() > 1 {
        return Err(AwsError::new(
            "TooManyCertificates",
            "You can specify only one default certificate for a listener",
        ));
    }
    let policy = policy
        .map(str::to_owned)
        .or_else(|| old.and_then(|(_, p)| p.cloned()))
        .unwrap_or_else(|| DEFAULT_SSL_POLICY.to_owned());
    if !super::account::ssl_policy_exists(&policy) {
        return Err(AwsError::new(
            "SSLPolicyNotFound",
            format!("SSL policy '{policy}' not found"),
        ));
    }
    Ok((certs, Some(policy)))
}

pub(super) fn create_listener(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateListenerInput,
) -> AwsResult<t::CreateListenerOutput> {
    let key = ctx.partition();
    let lb_arn = input.load_balancer_arn.as_str();
    let tags = parse_tags(input.tags.as_deref())?;
    let lb = st.load_balancers.get(lb_arn).ok_or_else(|| lb_not_found_one(lb_arn))?;
    let protocol = input
        .protocol
        .as_ref()
        .map(|p| p.as_str())
        .ok_or_else(|| validation("A listener protocol must be specified"))?;
    check_protocol(lb, protocol)?;
    let port = input
        .port
        .map(i64::from)
        .ok_or_else(|| validation("A listener port must be specified"))?;
    if let Some(e) = range_error(port, "port", 1, 65535) {
        return Err(e);
    }
    let (certificates, ssl_policy) = security_settings(
        protocol,
        input.certificates.as_deref(),
        input.ssl_policy.as_deref(),
        None,
    )?;
    let default_actions = canonical_actions(st, lb, protocol, &input.default_actions)?;
    if let Some(existing) = st
        .listeners
        .values()
        .find(|l| l.load_balancer_arn == lb_arn && l.port == port)
    {
        if existing.protocol == protocol && existing.default_actions == default_actions {
            return Ok(t::CreateListenerOutput {
                listeners: Some(vec![listener_value(existing)]),
            });
        }
        return Err(AwsError::new(
            "DuplicateListener",
            format!("A listener already exists on this port for this load balancer '{lb_arn}'"),
        ));
    }
    if st.listeners.values().filter(|l| l.load_balancer_arn == lb_arn).count() >= 50 {
        return Err(AwsError::new(
            "TooManyListeners",
            "You've reached the limit on the number of listeners per load balancer",
        ));
    }
    let (kind, lb_path) = lb_path(lb);
    let alpn = if protocol == "TLS" {
        input.alpn_policy.clone()
    } else {
        None
    };
    let id = env.ids.hex(16);
    let rule_id = env.ids.hex(16);
    let prefix = arn_prefix(&key);
    let arn = format!("{prefix}listener/{kind}/{lb_path}/{id}");
    let default_rule_arn = format!("{prefix}listener-rule/{kind}/{lb_path}/{id}/{rule_id}");
    let seq = st.seq();
    let listener = Listener {
        arn: arn.clone(),
        load_balancer_arn: lb_arn.to_owned(),
        port,
        protocol: protocol.to_owned(),
        ssl_policy,
        certificates,
        alpn_policy: alpn,
        default_actions,
        default_rule_arn: default_rule_arn.clone(),
        tags,
        seq,
    };
    let out = t::CreateListenerOutput {
        listeners: Some(vec![listener_value(&listener)]),
    };
    st.listeners.insert(arn.clone(), listener);
    let rule_seq = st.seq();
    st.rules.insert(
        default_rule_arn.clone(),
        Rule {
            arn: default_rule_arn,
            listener_arn: arn,
            priority: None,
            conditions: Vec::new(),
            actions: Vec::new(),
            tags: Vec::new(),
            seq: rule_seq,
        },
    );
    super::targets::start_idle_checks(st, env, &key);
    Ok(out)
}

/// `app`/`net` and `<name>/<id>` of a load balancer ARN, for listener and rule ARNs.
fn lb_path(lb: &LoadBalancer) -> (&'static str, String) {
    let kind = if lb.lb_type == "network" { "net" } else { "app" };
    let tail = lb
        .arn
        .rsplit_once(&format!("/{kind}/"))
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| lb.name.clone());
    (kind, tail)
}

pub(super) fn modify_listener(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ModifyListenerInput,
) -> AwsResult<t::ModifyListenerOutput> {
    let key = ctx.partition();
    let arn = input.listener_arn.as_str();
    let l = st.listeners.get(arn).ok_or_else(listeners_not_found)?;
    let lb = st
        .load_balancers
        .get(&l.load_balancer_arn)
        .ok_or_else(|| lb_not_found_one(&l.load_balancer_arn))?;
    let protocol = input
        .protocol
        .as_ref()
        .map_or(l.protocol.as_str(), |p| p.as_str())
        .to_owned();
    check_protocol(lb, &protocol)?;
    let port = input.port.map_or(l.port, i64::from);
    if let Some(e) = range_error(port, "port", 1, 65535) {
        return Err(e);
    }
    if port != l.port
        && st
            .listeners
            .values()
            .any(|o| o.load_balancer_arn == l.load_balancer_arn && o.port == port)
    {
        return Err(AwsError::new(
            "DuplicateListener",
            format!(
                "A listener already exists on this port for this load balancer '{}'",
                l.load_balancer_arn
            ),
        ));
    }
    let (certificates, ssl_policy) = security_settings(
        &protocol,
        input.certificates.as_deref(),
        input.ssl_policy.as_deref(),
        Some((&l.certificates, l.ssl_policy.as_ref())),
    )?;
    let default_actions = match &input.default_actions {
        Some(a) => canonical_actions(st, lb, &protocol, a)?,
        None => {
            // Re-check the kept actions against a changed protocol.
            let kept = l.default_actions.clone();
            if protocol != l.protocol {
                canonical_actions(st, lb, &protocol, &kept)?
            } else {
                kept
            }
        }
    };
    let alpn = if protocol == "TLS" {
        input.alpn_policy.clone().or_else(|| l.alpn_policy.clone())
    } else {
        None
    };
    let l = st.listeners.get_mut(arn).ok_or_else(listeners_not_found)?;
    l.protocol = protocol;
    l.port = port;
    l.certificates = certificates;
    l.ssl_policy = ssl_policy;
    l.default_actions = default_actions;
    l.alpn_policy = alpn;
    let out = t::ModifyListenerOutput {
        listeners: Some(vec![listener_value(l)]),
    };
    super::targets::start_idle_checks(st, env, &key);
    Ok(out)
}

pub(super) fn describe_listeners(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeListenersInput,
) -> AwsResult<t::DescribeListenersOutput> {
    let arns = input.listener_arns.clone().unwrap_or_default();
    let lb = input.load_balancer_arn.as_deref();
    let mut all: Vec<&Listener> = st.listeners.values().collect();
    all.sort_by_key(|l| l.seq);
    let chosen: Vec<&Listener> = match (lb, arns.is_empty()) {
        (Some(_), false) => {
            return Err(validation(
                "Listener ARNs and a load balancer ARN cannot be specified at the same time",
            ))
        }
        (Some(lb), true) => {
            if !st.load_balancers.contains_key(lb) {
                return Err(lb_not_found_one(lb));
            }
            all.into_iter().filter(|l| l.load_balancer_arn == lb).collect()
        }
        (None, false) => {
            if arns.iter().any(|a| !st.listeners.contains_key(a)) {
                return Err(listeners_not_found());
            }
            all.into_iter().filter(|l| arns.contains(&l.arn)).collect()
        }
        (None, true) => {
            return Err(validation(
                "You must specify either listener ARNs or a load balancer ARN",
            ))
        }
    };
    let (items, next) = page(
        chosen.into_iter().map(listener_value).collect(),
        input.marker.as_deref(),
        input.page_size,
    )?;
    Ok(t::DescribeListenersOutput {
        listeners: Some(items),
        next_marker: next,
    })
}

pub(super) fn delete_listener(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteListenerInput,
) -> AwsResult<t::DeleteListenerOutput> {
    let arn = input.listener_arn.as_str();
    if st.listeners.remove(arn).is_none() {
        return Err(listeners_not_found());
    }
    st.rules.retain(|_, r| r.listener_arn != arn);
    Ok(t::DeleteListenerOutput {})
}

// ---- typed functions for CodeDeploy -----------------------------------------------------------

/// A forward action that routes to a target group: on a listener's default action or on a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardRef {
    /// The listener ARN (its default action) or the rule ARN.
    pub arn: String,
    pub is_rule: bool,
    /// The rule's priority (`None` for the default action).
    pub priority: Option<i64>,
    /// `(target group ARN, weight)` of the forward action.
    pub weights: Vec<(String, i64)>,
}

/// The default action of `listener_arn` and the rules of that listener whose forward action
/// includes `target_group_arn` (at any weight), default action first, then rules by priority.
pub fn forwards_to_target_group(state: &State, listener_arn: &str, target_group_arn: &str) -> Vec<ForwardRef> {
    let Some(l) = state.listeners.get(listener_arn) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let includes = |actions: &[t::Action]| -> Option<Vec<(String, i64)>> {
        actions
            .iter()
            .map(forward_tuples)
            .find(|t| t.iter().any(|(a, _)| a == target_group_arn))
    };
    if let Some(weights) = includes(&l.default_actions) {
        out.push(ForwardRef {
            arn: l.arn.clone(),
            is_rule: false,
            priority: None,
            weights,
        });
    }
    let mut rules: Vec<&Rule> = state
        .rules
        .values()
        .filter(|r| r.listener_arn == listener_arn && r.priority.is_some())
        .collect();
    rules.sort_by_key(|r| r.priority);
    for r in rules {
        if let Some(weights) = includes(&r.actions) {
            out.push(ForwardRef {
                arn: r.arn.clone(),
                is_rule: true,
                priority: r.priority,
                weights,
            });
        }
    }
    out
}

/// The `(target group, weight)` pairs of the forward action of a listener's default action or a rule.
pub fn forward_weights(state: &State, listener_or_rule_arn: &str) -> Option<Vec<(String, i64)>> {
    let actions = if let Some(l) = state.listeners.get(listener_or_rule_arn) {
        &l.default_actions
    } else {
        let r = state.rules.get(listener_or_rule_arn)?;
        match r.priority {
            Some(_) => &r.actions,
            None => &state.listeners.get(&r.listener_arn)?.default_actions,
        }
    };
    actions.iter().map(forward_tuples).find(|t| !t.is_empty())
}

/// Replaces the forward action of a listener's default action (listener ARN) or of a rule (rule
/// ARN) with a weighted forward to `weights`, keeping its stickiness settings and any other
/// actions. What CodeDeploy's ModifyListener/ModifyRule calls amount to.
pub fn set_forward_weights(
    st: &mut State,
    env: &mut Env<'_>,
    key: &PartitionKey,
    listener_or_rule_arn: &str,
    weights: &[(String, i64)],
) -> AwsResult<()> {
    let (listener_arn, rule_arn) = if st.listeners.contains_key(listener_or_rule_arn) {
        (listener_or_rule_arn.to_owned(), None)
    } else if let Some(r) = st.rules.get(listener_or_rule_arn) {
        match r.priority {
            Some(_) => (r.listener_arn.clone(), Some(r.arn.clone())),
            None => (r.listener_arn.clone(), None),
        }
    } else if listener_or_rule_arn.contains(":listener-rule/") {
        return Err(rules_not_found());
    } else {
        return Err(listeners_not_found());
    };
    let l = st.listeners.get(&listener_arn).ok_or_else(listeners_not_found)?;
    let lb = st
        .load_balancers
        .get(&l.load_balancer_arn)
        .ok_or_else(|| lb_not_found_one(&l.load_balancer_arn))?;
    let current = match &rule_arn {
        Some(r) => st.rules.get(r).map(|r| r.actions.clone()).unwrap_or_default(),
        None => l.default_actions.clone(),
    };
    let mut replaced = false;
    let mut next: Vec<t::Action> = Vec::new();
    for a in &current {
        if a.r#type == Ty::Forward && !replaced {
            replaced = true;
            let mut n = bare_action(Ty::Forward);
            n.forward_config = Some(t::ForwardActionConfig {
                target_groups: Some(weighted(weights)),
                target_group_stickiness_config: a
                    .forward_config
                    .as_ref()
                    .and_then(|c| c.target_group_stickiness_config.clone()),
            });
            n.order = a.order;
            next.push(n);
        } else {
            next.push(a.clone());
        }
    }
    if !replaced {
        return Err(AwsError::new(
            "InvalidLoadBalancerAction",
            format!("'{listener_or_rule_arn}' has no forward action to update"),
        ));
    }
    let canonical = canonical_actions(st, lb, &l.protocol, &next)?;
    match rule_arn {
        Some(r) => {
            if let Some(rule) = st.rules.get_mut(&r) {
                rule.actions = canonical;
            }
        }
        None => {
            if let Some(l) = st.listeners.get_mut(&listener_arn) {
                l.default_actions = canonical;
            }
        }
    }
    env.record(crate::timeline::Entry::TrafficWeights {
        arn: listener_or_rule_arn.to_owned(),
        weights: weights
            .iter()
            .map(|(a, w)| crate::timeline::Weight {
                target_group_arn: a.clone(),
                weight: *w,
            })
            .collect(),
    });
    super::targets::start_idle_checks(st, env, key);
    Ok(())
}
