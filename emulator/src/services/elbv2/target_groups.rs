//! Target groups: create (with AWS's per-protocol health check defaults), modify, describe,
//! delete, attributes.

use super::load_balancers::check_name;
use super::{
    arn_prefix, attributes_value, is_bool_text, lb_not_found_one, load_balancers_of_target_group, page, parse_tags,
    range_error, target_group_has_listener, tg_not_found_one, tgs_not_found, validation, HealthCheck, State,
    TargetGroup,
};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_bool, opt_i64, opt_str, str_list};
use crate::services::Ctx;
use crate::world::World;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const APP_PROTOCOLS: &[&str] = &["HTTP", "HTTPS"];
const NET_PROTOCOLS: &[&str] = &["TCP", "TLS", "UDP", "TCP_UDP"];

/// Whether a target group protocol belongs to application load balancers (HTTP, HTTPS).
pub(super) fn is_app_protocol(p: &str) -> bool {
    APP_PROTOCOLS.contains(&p)
}

/// The health check a new target group gets, from what was asked and AWS's defaults for its
/// protocol and target type (HTTP: `/`, 30 s, 5 s, 5, 2, `200`; TCP family: TCP checks, 30 s,
/// 10 s (6 s for HTTP checks), 5, 2, `200-399` for HTTP checks; lambda: disabled, 35 s, 30 s, 5, 5).
fn health_check_from(
    input: &Value,
    target_type: &str,
    protocol: Option<&str>,
    version: Option<&str>,
) -> AwsResult<HealthCheck> {
    let lambda = target_type == "lambda";
    let app = protocol.is_some_and(is_app_protocol);
    let geneve = protocol == Some("GENEVE");
    let hc_protocol: Option<String> = match (opt_str(input, "HealthCheckProtocol"), protocol) {
        (Some(p), _) => Some(p.to_owned()),
        (None, _) if lambda => None,
        (None, Some(p)) if app => Some(p.to_owned()),
        (None, _) => Some("TCP".to_owned()),
    };
    if let Some(p) = hc_protocol.as_deref() {
        if !["HTTP", "HTTPS", "TCP"].contains(&p) {
            return Err(validation(format!("Health check protocol '{p}' is not supported")));
        }
        if app && p == "TCP" {
            return Err(validation(format!(
                "Health check protocol 'TCP' is not supported for target groups with the '{}' protocol",
                protocol.unwrap_or("")
            )));
        }
    }
    let http_check = lambda || matches!(hc_protocol.as_deref(), Some("HTTP" | "HTTPS"));
    let grpc = version == Some("GRPC");
    let enabled = opt_bool(input, "HealthCheckEnabled").unwrap_or(!lambda);
    if !enabled && !lambda {
        return Err(validation(format!(
            "Health checks cannot be disabled for target groups with target type '{target_type}'"
        )));
    }
    let interval = opt_i64(input, "HealthCheckIntervalSeconds").unwrap_or(if lambda {
        35
    } else if geneve {
        10
    } else {
        30
    });
    let timeout = opt_i64(input, "HealthCheckTimeoutSeconds").unwrap_or(if lambda {
        30
    } else if app || geneve {
        5
    } else if hc_protocol.as_deref() == Some("HTTP") {
        6
    } else {
        10
    });
    let healthy = opt_i64(input, "HealthyThresholdCount").unwrap_or(5);
    let unhealthy = opt_i64(input, "UnhealthyThresholdCount").unwrap_or(if lambda { 5 } else { 2 });
    let port = if lambda {
        None
    } else {
        Some(
            opt_str(input, "HealthCheckPort")
                .unwrap_or(if geneve { "80" } else { "traffic-port" })
                .to_owned(),
        )
    };
    let path = match opt_str(input, "HealthCheckPath") {
        Some(p) if !http_check => {
            return Err(validation(format!(
                "A health check path '{p}' cannot be specified for TCP health checks"
            )))
        }
        Some(p) => Some(p.to_owned()),
        None if http_check && grpc => Some("/AWS.ALB/healthcheck".to_owned()),
        None if http_check => Some("/".to_owned()),
        None => None,
    };
    let matcher = match input.get("Matcher") {
        Some(m) if !http_check => {
            let _ = m;
            return Err(validation("A matcher cannot be specified for TCP health checks"));
        }
        Some(m) => Some(m.clone()),
        None if http_check && grpc => Some(json!({"GrpcCode": "12"})),
        None if http_check && (app || lambda) => Some(json!({"HttpCode": "200"})),
        None if http_check => Some(json!({"HttpCode": "200-399"})),
        None => None,
    };
    let hc = HealthCheck {
        enabled,
        protocol: hc_protocol,
        port,
        path,
        interval,
        timeout,
        healthy_threshold: healthy,
        unhealthy_threshold: unhealthy,
        matcher,
    };
    check_health(&hc)?;
    Ok(hc)
}

fn check_health(hc: &HealthCheck) -> AwsResult<()> {
    for (v, m, lo, hi) in [
        (hc.interval, "healthCheckIntervalSeconds", 5, 300),
        (hc.timeout, "healthCheckTimeoutSeconds", 2, 120),
        (hc.healthy_threshold, "healthyThresholdCount", 2, 10),
        (hc.unhealthy_threshold, "unhealthyThresholdCount", 2, 10),
    ] {
        if let Some(e) = range_error(v, m, lo, hi) {
            return Err(e);
        }
    }
    if hc.timeout >= hc.interval {
        return Err(validation(format!(
            "Health check interval '{}' must be greater than the timeout '{}'",
            hc.interval, hc.timeout
        )));
    }
    if let Some(p) = hc.path.as_deref() {
        if !p.starts_with('/') || p.len() > 1024 {
            return Err(validation(format!(
                "Health check path '{p}' must begin with a '/' and be at most 1024 characters"
            )));
        }
    }
    if let Some(port) = hc.port.as_deref() {
        if port != "traffic-port" && !port.parse::<i64>().is_ok_and(|n| (1..=65535).contains(&n)) {
            return Err(validation(format!(
                "Health check port '{port}' must be 'traffic-port' or a port between 1 and 65535"
            )));
        }
    }
    if let Some(code) = hc.matcher.as_ref().and_then(|m| opt_str(m, "HttpCode")) {
        let ok = code.split(',').all(|part| {
            let mut it = part.splitn(2, '-');
            let nums: Vec<Option<i64>> = it.by_ref().map(|n| n.trim().parse().ok()).collect();
            !nums.is_empty() && nums.iter().all(|n| n.is_some_and(|n| (200..=599).contains(&n)))
        });
        if !ok {
            return Err(validation(format!(
                "Health check matcher HTTP code '{code}' must be within '200-499'"
            )));
        }
    }
    Ok(())
}

/// The attributes a new target group has, per load balancer family and target type.
fn default_attributes(target_type: &str, protocol: Option<&str>) -> BTreeMap<String, String> {
    let pairs: Vec<(&str, &str)> = if target_type == "lambda" {
        vec![("lambda.multi_value_headers.enabled", "false")]
    } else if protocol.is_some_and(is_app_protocol) {
        vec![
            ("deregistration_delay.timeout_seconds", "300"),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "lb_cookie"),
            ("stickiness.lb_cookie.duration_seconds", "86400"),
            ("stickiness.app_cookie.cookie_name", ""),
            ("stickiness.app_cookie.duration_seconds", "86400"),
            ("slow_start.duration_seconds", "0"),
            ("load_balancing.algorithm.type", "round_robin"),
            ("load_balancing.algorithm.anomaly_mitigation", "off"),
            ("load_balancing.cross_zone.enabled", "use_load_balancer_configuration"),
            ("target_group_health.dns_failover.minimum_healthy_targets.count", "1"),
            (
                "target_group_health.dns_failover.minimum_healthy_targets.percentage",
                "off",
            ),
            (
                "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
                "1",
            ),
            (
                "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
                "off",
            ),
        ]
    } else {
        vec![
            ("deregistration_delay.timeout_seconds", "300"),
            ("deregistration_delay.connection_termination.enabled", "false"),
            ("stickiness.enabled", "false"),
            ("stickiness.type", "source_ip"),
            ("proxy_protocol_v2.enabled", "false"),
            (
                "preserve_client_ip.enabled",
                if target_type == "instance" { "true" } else { "false" },
            ),
            ("load_balancing.cross_zone.enabled", "use_load_balancer_configuration"),
            ("target_health_state.unhealthy.connection_termination.enabled", "true"),
            ("target_health_state.unhealthy.draining_interval_seconds", "0"),
            ("target_group_health.dns_failover.minimum_healthy_targets.count", "1"),
            (
                "target_group_health.dns_failover.minimum_healthy_targets.percentage",
                "off",
            ),
            (
                "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
                "1",
            ),
            (
                "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
                "off",
            ),
        ]
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The settings of a target group as DescribeTargetGroups shows them, without ARN and load balancers.
fn settings_value(tg: &TargetGroup) -> Value {
    let hc = &tg.health_check;
    let mut v = serde_json::Map::new();
    let mut put = |k: &str, x: Value| {
        if !x.is_null() {
            v.insert(k.to_owned(), x);
        }
    };
    put("TargetGroupName", json!(tg.name));
    put("Protocol", json!(tg.protocol));
    put("Port", json!(tg.port));
    put("VpcId", json!(tg.vpc_id));
    put("HealthCheckProtocol", json!(hc.protocol));
    put("HealthCheckPort", json!(hc.port));
    put("HealthCheckEnabled", json!(hc.enabled));
    put("HealthCheckIntervalSeconds", json!(hc.interval));
    put("HealthCheckTimeoutSeconds", json!(hc.timeout));
    put("HealthyThresholdCount", json!(hc.healthy_threshold));
    put("UnhealthyThresholdCount", json!(hc.unhealthy_threshold));
    put("HealthCheckPath", json!(hc.path));
    put("Matcher", hc.matcher.clone().unwrap_or(Value::Null));
    put("TargetType", json!(tg.target_type));
    put("ProtocolVersion", json!(tg.protocol_version));
    put("IpAddressType", json!(tg.ip_address_type));
    Value::Object(v)
}

pub(super) fn tg_value(st: &State, tg: &TargetGroup) -> Value {
    let mut v = settings_value(tg);
    if let Value::Object(m) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert("TargetGroupArn".into(), json!(tg.arn));
        out.extend(std::mem::take(m));
        out.insert(
            "LoadBalancerArns".into(),
            json!(load_balancers_of_target_group(st, &tg.arn)),
        );
        return Value::Object(out);
    }
    v
}

pub(super) fn create_target_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "Name").ok_or_else(|| validation("A target group name must be specified"))?;
    check_name("Target group", name)?;
    let target_type = opt_str(&input, "TargetType").unwrap_or("instance");
    if !["instance", "ip", "lambda", "alb"].contains(&target_type) {
        return Err(validation(format!("Target type '{target_type}' is not valid")));
    }
    let lambda = target_type == "lambda";
    let protocol = if lambda { None } else { opt_str(&input, "Protocol") };
    let port = if lambda { None } else { opt_i64(&input, "Port") };
    let vpc_id = if lambda { None } else { opt_str(&input, "VpcId") };
    if !lambda {
        let p = protocol.ok_or_else(|| validation("A protocol must be specified"))?;
        if !APP_PROTOCOLS.contains(&p) && !NET_PROTOCOLS.contains(&p) && p != "GENEVE" {
            return Err(validation(format!("Protocol '{p}' is not valid")));
        }
        let n = port.ok_or_else(|| validation("A port must be specified"))?;
        if let Some(e) = range_error(n, "port", 1, 65535) {
            return Err(e);
        }
        if vpc_id.is_none() {
            return Err(validation("A VPC ID must be specified"));
        }
        if target_type == "alb" && p != "TCP" {
            return Err(validation(
                "Target groups with target type 'alb' must use the TCP protocol",
            ));
        }
    } else if input.get("Protocol").is_some() || input.get("Port").is_some() || input.get("VpcId").is_some() {
        return Err(validation(
            "A protocol, port or VPC ID cannot be specified for target groups with target type 'lambda'",
        ));
    }
    let version = match opt_str(&input, "ProtocolVersion") {
        Some(v) if !protocol.is_some_and(is_app_protocol) => {
            return Err(validation(format!(
                "Protocol version '{v}' is only supported for HTTP and HTTPS target groups"
            )))
        }
        Some(v) if !["HTTP1", "HTTP2", "GRPC"].contains(&v) => {
            return Err(validation(format!("Protocol version '{v}' is not valid")))
        }
        Some(v) => Some(v.to_owned()),
        None if protocol.is_some_and(is_app_protocol) => Some("HTTP1".to_owned()),
        None => None,
    };
    let health_check = health_check_from(&input, target_type, protocol, version.as_deref())?;
    let ip_type = if lambda {
        None
    } else {
        Some(opt_str(&input, "IpAddressType").unwrap_or("ipv4").to_owned())
    };
    let tags = parse_tags(&input)?;

    let id = world.ids.hex(16);
    let st = &mut world.region_mut(&key).elbv2;
    let mut tg = TargetGroup {
        arn: format!("{}targetgroup/{name}/{id}", arn_prefix(&key)),
        name: name.to_owned(),
        target_type: target_type.to_owned(),
        protocol: protocol.map(str::to_owned),
        protocol_version: version,
        port,
        vpc_id: vpc_id.map(str::to_owned),
        ip_address_type: ip_type,
        health_check,
        attributes: default_attributes(target_type, protocol),
        targets: BTreeMap::new(),
        tags,
        seq: 0,
    };
    if let Some(existing) = st.target_groups.values().find(|t| t.name == name) {
        if settings_value(existing) == settings_value(&tg) {
            return Ok(json!({"TargetGroups": [tg_value(st, existing)]}));
        }
        return Err(AwsError::new(
            "DuplicateTargetGroupName",
            format!("A target group with the same name '{name}' exists, but with different settings"),
        ));
    }
    tg.seq = st.seq();
    let out = json!({"TargetGroups": [tg_value(st, &tg)]});
    st.target_groups.insert(tg.arn.clone(), tg);
    Ok(out)
}

pub(super) fn modify_target_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "TargetGroupArn").unwrap_or("");
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let mut hc = tg.health_check.clone();
    let lambda = tg.target_type == "lambda";
    if let Some(p) = opt_str(&input, "HealthCheckProtocol") {
        if tg.protocol.as_deref().is_some_and(is_app_protocol) && p == "TCP" {
            return Err(validation(format!(
                "Health check protocol 'TCP' is not supported for target groups with the '{}' protocol",
                tg.protocol.as_deref().unwrap_or("")
            )));
        }
        hc.protocol = Some(p.to_owned());
    }
    if let Some(p) = opt_str(&input, "HealthCheckPort") {
        hc.port = Some(p.to_owned());
    }
    if let Some(p) = opt_str(&input, "HealthCheckPath") {
        hc.path = Some(p.to_owned());
    }
    if let Some(e) = opt_bool(&input, "HealthCheckEnabled") {
        if !e && !lambda {
            return Err(validation(format!(
                "Health checks cannot be disabled for target groups with target type '{}'",
                tg.target_type
            )));
        }
        hc.enabled = e;
    }
    if let Some(n) = opt_i64(&input, "HealthCheckIntervalSeconds") {
        hc.interval = n;
    }
    if let Some(n) = opt_i64(&input, "HealthCheckTimeoutSeconds") {
        hc.timeout = n;
    }
    if let Some(n) = opt_i64(&input, "HealthyThresholdCount") {
        hc.healthy_threshold = n;
    }
    if let Some(n) = opt_i64(&input, "UnhealthyThresholdCount") {
        hc.unhealthy_threshold = n;
    }
    if let Some(m) = input.get("Matcher") {
        hc.matcher = Some(m.clone());
    }
    check_health(&hc)?;
    let was_enabled = tg.health_check.enabled;
    if let Some(tg) = st.target_groups.get_mut(arn) {
        tg.health_check = hc;
    }
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let out = json!({"TargetGroups": [tg_value(st, tg)]});
    let now_enabled = tg.health_check.enabled;
    if !was_enabled && now_enabled {
        super::targets::start_idle_checks(world, &ctx.partition());
    }
    Ok(out)
}

pub(super) fn describe_target_groups(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).elbv2;
    let names = str_list(&input, "Names");
    let arns = str_list(&input, "TargetGroupArns");
    let lb = opt_str(&input, "LoadBalancerArn");
    if [!names.is_empty(), !arns.is_empty(), lb.is_some()]
        .iter()
        .filter(|b| **b)
        .count()
        > 1
    {
        return Err(validation(
            "Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time",
        ));
    }
    let mut all: Vec<&TargetGroup> = st.target_groups.values().collect();
    all.sort_by_key(|t| t.seq);
    let chosen: Vec<&TargetGroup> = if !names.is_empty() {
        if names.iter().any(|n| !all.iter().any(|t| &t.name == n)) {
            return Err(tgs_not_found());
        }
        all.into_iter().filter(|t| names.contains(&t.name)).collect()
    } else if !arns.is_empty() {
        if arns.iter().any(|a| !st.target_groups.contains_key(a)) {
            return Err(tgs_not_found());
        }
        all.into_iter().filter(|t| arns.contains(&t.arn)).collect()
    } else if let Some(lb) = lb {
        if !st.load_balancers.contains_key(lb) {
            return Err(lb_not_found_one(lb));
        }
        all.into_iter()
            .filter(|t| load_balancers_of_target_group(st, &t.arn).iter().any(|a| a == lb))
            .collect()
    } else {
        all
    };
    page(
        chosen.into_iter().map(|t| tg_value(st, t)).collect(),
        &input,
        "TargetGroups",
    )
}

pub(super) fn delete_target_group(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "TargetGroupArn").ok_or_else(|| validation("A target group ARN must be specified"))?;
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
    if target_group_has_listener(st, arn) {
        return Err(AwsError::new(
            "ResourceInUse",
            format!("Target group '{arn}' is currently in use by a listener or a rule"),
        ));
    }
    // Deleting a target group that does not exist succeeds, as in AWS.
    st.target_groups.remove(arn);
    Ok(json!({}))
}

pub(super) fn describe_target_group_attributes(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "TargetGroupArn").unwrap_or("");
    let st = &world.region_mut(&ctx.partition()).elbv2;
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    Ok(json!({"Attributes": attributes_value(&tg.attributes)}))
}

pub(super) fn modify_target_group_attributes(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "TargetGroupArn").unwrap_or("");
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
    let tg = st.target_groups.get_mut(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let app = tg.protocol.as_deref().is_some_and(is_app_protocol);
    let mut changes = Vec::new();
    for a in input.get("Attributes").and_then(Value::as_array).into_iter().flatten() {
        let k = opt_str(a, "Key").unwrap_or("");
        let v = opt_str(a, "Value").unwrap_or("");
        if !tg.attributes.contains_key(k) {
            return Err(validation(format!(
                "Target group attribute key '{k}' is not recognized"
            )));
        }
        let bad = || validation(format!("Target group attribute value '{v}' is not valid for key '{k}'"));
        let number = |lo: i64, hi: i64| -> AwsResult<()> {
            let n: i64 = v.parse().map_err(|_| bad())?;
            match range_error(n, k, lo, hi) {
                Some(_) => Err(validation(format!("'{k}' must be between {lo} and {hi}"))),
                None => Ok(()),
            }
        };
        match k {
            k if k.ends_with(".enabled") && k != "load_balancing.cross_zone.enabled" && !is_bool_text(v) => {
                return Err(bad());
            }
            "deregistration_delay.timeout_seconds" => number(0, 3600)?,
            "stickiness.lb_cookie.duration_seconds" | "stickiness.app_cookie.duration_seconds" => number(1, 604_800)?,
            "slow_start.duration_seconds" => {
                let n: i64 = v.parse().map_err(|_| bad())?;
                if n != 0 && !(30..=900).contains(&n) {
                    return Err(validation(
                        "'slow_start.duration_seconds' must be 0 or between 30 and 900",
                    ));
                }
            }
            "stickiness.type" => {
                let ok: &[&str] = if app {
                    &["lb_cookie", "app_cookie"]
                } else {
                    &["source_ip"]
                };
                if !ok.contains(&v) {
                    return Err(bad());
                }
            }
            "load_balancing.algorithm.type"
                if !["round_robin", "least_outstanding_requests", "weighted_random"].contains(&v) =>
            {
                return Err(bad());
            }
            _ => {}
        }
        changes.push((k.to_owned(), v.to_owned()));
    }
    tg.attributes.extend(changes);
    Ok(json!({"Attributes": attributes_value(&tg.attributes)}))
}
