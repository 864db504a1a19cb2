//! Listeners (CreateListener, ModifyListener, DescribeListeners, DeleteListener), the actions that
//! listeners and rules share, and the typed forward-weight functions CodeDeploy uses.

use super::{
    arn_prefix, forward_tuples, lb_not_found_one, listeners_not_found, page, parse_tags, range_error, rules_not_found,
    tg_not_found_one, validation, Listener, LoadBalancer, Rule, State,
};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_bool, opt_i64, opt_str, str_list};
use crate::services::Ctx;
use crate::world::{PartitionKey, World};
use serde_json::{json, Value};

const ALB_PROTOCOLS: &[&str] = &["HTTP", "HTTPS"];
const NLB_PROTOCOLS: &[&str] = &["TCP", "TLS", "UDP", "TCP_UDP"];
pub(super) const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-2016-08";

/// Validates `actions` for a listener of `lb` speaking `protocol`, and returns them in the form AWS
/// returns them: a forward to one target group carries both `TargetGroupArn` and a `ForwardConfig`
/// with weight 1 and stickiness off; a weighted forward only `ForwardConfig`; a redirect has every
/// `#{...}` default filled in.
pub(super) fn canonical_actions(
    st: &State,
    lb: &LoadBalancer,
    protocol: &str,
    actions: &[Value],
) -> AwsResult<Vec<Value>> {
    if actions.is_empty() {
        return Err(validation("At least one action must be specified"));
    }
    if actions.len() > 1 && actions.iter().any(|a| a.get("Order").is_none()) {
        return Err(validation(
            "An action order must be specified when there are multiple actions",
        ));
    }
    let mut out = Vec::new();
    for a in actions {
        let ty = opt_str(a, "Type").ok_or_else(|| validation("An action type must be specified"))?;
        if lb.lb_type == "network" && ty != "forward" {
            return Err(AwsError::new(
                "InvalidLoadBalancerAction",
                format!("Action type '{ty}' is not supported for Network Load Balancers"),
            ));
        }
        let mut v = serde_json::Map::new();
        v.insert("Type".into(), json!(ty));
        match ty {
            "forward" => forward_action(st, lb, protocol, a, &mut v)?,
            "fixed-response" => {
                let c = a.get("FixedResponseConfig").ok_or_else(|| validation("A fixed response config must be specified for fixed-response actions"))?;
                let code = opt_str(c, "StatusCode").unwrap_or("");
                let ok = code.len() == 3 && code.chars().all(|ch| ch.is_ascii_digit()) && matches!(code.as_bytes()[0], b'2' | b'4' | b'5');
                if !ok {
                    return Err(validation(format!("Fixed response status code '{code}' must be 2XX, 4XX or 5XX")));
                }
                if let Some(t) = opt_str(c, "ContentType") {
                    if !["text/plain", "text/css", "text/html", "application/javascript", "application/json"].contains(&t) {
                        return Err(validation(format!("Fixed response content type '{t}' is not valid")));
                    }
                }
                if opt_str(c, "MessageBody").is_some_and(|b| b.len() > 1024) {
                    return Err(validation("Fixed response message body cannot be longer than 1024 characters"));
                }
                v.insert("FixedResponseConfig".into(), c.clone());
            }
            "redirect" => {
                let c = a.get("RedirectConfig").ok_or_else(|| validation("A redirect config must be specified for redirect actions"))?;
                let code = opt_str(c, "StatusCode").unwrap_or("");
                if code != "HTTP_301" && code != "HTTP_302" {
                    return Err(validation(format!("Redirect status code '{code}' must be HTTP_301 or HTTP_302")));
                }
                let get = |k: &str, d: &str| opt_str(c, k).unwrap_or(d).to_owned();
                v.insert(
                    "RedirectConfig".into(),
                    json!({
                        "Protocol": get("Protocol", "#{protocol}"),
                        "Port": get("Port", "#{port}"),
                        "Host": get("Host", "#{host}"),
                        "Path": get("Path", "/#{path}"),
                        "Query": get("Query", "#{query}"),
                        "StatusCode": code,
                    }),
                );
            }
            "authenticate-oidc" | "authenticate-cognito" | "jwt-validation" => {
                if protocol != "HTTPS" {
                    return Err(AwsError::new(
                        "InvalidLoadBalancerAction",
                        format!("Action type '{ty}' is supported only on HTTPS listeners"),
                    ));
                }
                for k in ["AuthenticateOidcConfig", "AuthenticateCognitoConfig", "JwtValidationConfig"] {
                    if let Some(c) = a.get(k) {
                        v.insert(k.into(), c.clone());
                    }
                }
            }
            other => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{other}' at 'actions.member.type' failed to satisfy constraint: Member must satisfy enum value set: [forward, authenticate-oidc, authenticate-cognito, redirect, fixed-response, jwt-validation]"
                )))
            }
        }
        if let Some(o) = opt_i64(a, "Order") {
            if let Some(e) = range_error(o, "order", 1, 50000) {
                return Err(e);
            }
            v.insert("Order".into(), json!(o));
        }
        out.push(Value::Object(v));
    }
    out.sort_by_key(|a| opt_i64(a, "Order").unwrap_or(0));
    let terminal = |a: &Value| matches!(opt_str(a, "Type"), Some("forward" | "fixed-response" | "redirect"));
    if out.iter().filter(|a| terminal(a)).count() != 1 || !out.last().is_some_and(terminal) {
        return Err(AwsError::new(
            "InvalidLoadBalancerAction",
            "The last action must be exactly one of forward, redirect, or fixed-response",
        ));
    }
    Ok(out)
}

fn forward_action(
    st: &State,
    lb: &LoadBalancer,
    protocol: &str,
    a: &Value,
    v: &mut serde_json::Map<String, Value>,
) -> AwsResult<()> {
    let single = opt_str(a, "TargetGroupArn");
    let config = a.get("ForwardConfig");
    let mut tuples: Vec<(String, i64)> = Vec::new();
    if let Some(groups) = config.and_then(|c| c.get("TargetGroups")).and_then(Value::as_array) {
        for g in groups {
            let arn = opt_str(g, "TargetGroupArn").ok_or_else(|| validation("A target group ARN must be specified"))?;
            let w = opt_i64(g, "Weight").unwrap_or(1);
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
    let sticky = config.and_then(|c| c.get("TargetGroupStickinessConfig"));
    let enabled = sticky.and_then(|s| opt_bool(s, "Enabled")).unwrap_or(false);
    let stickiness = if enabled {
        let d = sticky
            .and_then(|s| opt_i64(s, "DurationSeconds"))
            .ok_or_else(|| validation("A duration must be specified when target group stickiness is enabled"))?;
        if !(1..=604_800).contains(&d) {
            return Err(validation(format!(
                "Target group stickiness duration '{d}' must be between 1 and 604800 seconds"
            )));
        }
        json!({"Enabled": true, "DurationSeconds": d})
    } else {
        json!({"Enabled": false})
    };
    if tuples.len() == 1 {
        v.insert("TargetGroupArn".into(), json!(tuples[0].0));
    }
    let groups: Vec<Value> = tuples
        .iter()
        .map(|(arn, w)| json!({"TargetGroupArn": arn, "Weight": w}))
        .collect();
    v.insert(
        "ForwardConfig".into(),
        json!({"TargetGroups": groups, "TargetGroupStickinessConfig": stickiness}),
    );
    Ok(())
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

pub(super) fn listener_value(l: &Listener) -> Value {
    let mut v = json!({
        "ListenerArn": l.arn,
        "LoadBalancerArn": l.load_balancer_arn,
        "Port": l.port,
        "Protocol": l.protocol,
        "DefaultActions": l.default_actions,
    });
    if !l.certificates.is_empty() {
        v["Certificates"] = json!(l.certificates);
    }
    if let Some(p) = &l.ssl_policy {
        v["SslPolicy"] = json!(p);
    }
    if let Some(a) = &l.alpn_policy {
        v["AlpnPolicy"] = a.clone();
    }
    v
}

/// Certificates and SSL policy for a secure protocol (HTTPS, TLS): exactly one certificate, a known policy.
fn security_settings(
    protocol: &str,
    certs: Option<&Value>,
    policy: Option<&str>,
    old: Option<(&Vec<Value>, Option<&String>)>,
) -> AwsResult<(Vec<Value>, Option<String>)> {
    if protocol != "HTTPS" && protocol != "TLS" {
        return Ok((Vec::new(), None));
    }
    let certs: Vec<Value> = match certs.and_then(Value::as_array) {
        Some(c) => c
            .iter()
            .filter_map(|c| opt_str(c, "CertificateArn").map(|a| json!({"CertificateArn": a})))
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

pub(super) fn create_listener(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let lb_arn = opt_str(&input, "LoadBalancerArn").unwrap_or("");
    let tags = parse_tags(&input)?;
    let st = &world.region_mut(&key).elbv2;
    let lb = st.load_balancers.get(lb_arn).ok_or_else(|| lb_not_found_one(lb_arn))?;
    let protocol = opt_str(&input, "Protocol").ok_or_else(|| validation("A listener protocol must be specified"))?;
    check_protocol(lb, protocol)?;
    let port = opt_i64(&input, "Port").ok_or_else(|| validation("A listener port must be specified"))?;
    if let Some(e) = range_error(port, "port", 1, 65535) {
        return Err(e);
    }
    let (certificates, ssl_policy) =
        security_settings(protocol, input.get("Certificates"), opt_str(&input, "SslPolicy"), None)?;
    let actions = input
        .get("DefaultActions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let default_actions = canonical_actions(st, lb, protocol, &actions)?;
    if let Some(existing) = st
        .listeners
        .values()
        .find(|l| l.load_balancer_arn == lb_arn && l.port == port)
    {
        if existing.protocol == protocol && existing.default_actions == default_actions {
            return Ok(json!({"Listeners": [listener_value(existing)]}));
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
        input.get("AlpnPolicy").cloned()
    } else {
        None
    };
    let id = world.ids.hex(16);
    let rule_id = world.ids.hex(16);
    let prefix = arn_prefix(&key);
    let arn = format!("{prefix}listener/{kind}/{lb_path}/{id}");
    let default_rule_arn = format!("{prefix}listener-rule/{kind}/{lb_path}/{id}/{rule_id}");
    let st = &mut world.region_mut(&key).elbv2;
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
    let out = json!({"Listeners": [listener_value(&listener)]});
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
    super::targets::start_idle_checks(world, &key);
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

pub(super) fn modify_listener(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let arn = opt_str(&input, "ListenerArn").unwrap_or("");
    let st = &world.region_mut(&key).elbv2;
    let l = st.listeners.get(arn).ok_or_else(listeners_not_found)?;
    let lb = st
        .load_balancers
        .get(&l.load_balancer_arn)
        .ok_or_else(|| lb_not_found_one(&l.load_balancer_arn))?;
    let protocol = opt_str(&input, "Protocol").unwrap_or(&l.protocol).to_owned();
    check_protocol(lb, &protocol)?;
    let port = opt_i64(&input, "Port").unwrap_or(l.port);
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
        input.get("Certificates"),
        opt_str(&input, "SslPolicy"),
        Some((&l.certificates, l.ssl_policy.as_ref())),
    )?;
    let default_actions = match input.get("DefaultActions").and_then(Value::as_array) {
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
        input.get("AlpnPolicy").cloned().or_else(|| l.alpn_policy.clone())
    } else {
        None
    };
    let st = &mut world.region_mut(&key).elbv2;
    let l = st.listeners.get_mut(arn).ok_or_else(listeners_not_found)?;
    l.protocol = protocol;
    l.port = port;
    l.certificates = certificates;
    l.ssl_policy = ssl_policy;
    l.default_actions = default_actions;
    l.alpn_policy = alpn;
    let out = json!({"Listeners": [listener_value(l)]});
    super::targets::start_idle_checks(world, &key);
    Ok(out)
}

pub(super) fn describe_listeners(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).elbv2;
    let arns = str_list(&input, "ListenerArns");
    let lb = opt_str(&input, "LoadBalancerArn");
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
    page(chosen.into_iter().map(listener_value).collect(), &input, "Listeners")
}

pub(super) fn delete_listener(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "ListenerArn").unwrap_or("");
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
    if st.listeners.remove(arn).is_none() {
        return Err(listeners_not_found());
    }
    st.rules.retain(|_, r| r.listener_arn != arn);
    Ok(json!({}))
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
    let includes = |actions: &[Value]| -> Option<Vec<(String, i64)>> {
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
    world: &mut World,
    key: &PartitionKey,
    listener_or_rule_arn: &str,
    weights: &[(String, i64)],
) -> AwsResult<()> {
    let st = &world.region_mut(key).elbv2;
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
    let groups: Vec<Value> = weights
        .iter()
        .map(|(arn, w)| json!({"TargetGroupArn": arn, "Weight": w}))
        .collect();
    let mut replaced = false;
    let mut next: Vec<Value> = Vec::new();
    for a in &current {
        if opt_str(a, "Type") == Some("forward") && !replaced {
            replaced = true;
            let mut fc = json!({"TargetGroups": groups});
            if let Some(s) = a.pointer("/ForwardConfig/TargetGroupStickinessConfig") {
                fc["TargetGroupStickinessConfig"] = s.clone();
            }
            let mut n = json!({"Type": "forward", "ForwardConfig": fc});
            if let Some(o) = a.get("Order") {
                n["Order"] = o.clone();
            }
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
    let st = &mut world.region_mut(key).elbv2;
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
    world.record(crate::timeline::Entry::TrafficWeights {
        arn: listener_or_rule_arn.to_owned(),
        weights: weights
            .iter()
            .map(|(a, w)| crate::timeline::Weight {
                target_group_arn: a.clone(),
                weight: *w,
            })
            .collect(),
    });
    super::targets::start_idle_checks(world, key);
    Ok(())
}
