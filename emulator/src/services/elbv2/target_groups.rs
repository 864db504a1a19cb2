//! Target groups: create (with AWS's per-protocol health check defaults), modify, describe,
//! delete, attributes.

use super::load_balancers::check_name;
use super::{
    arn_prefix, attribute_pairs, is_bool_text, lb_not_found_one, load_balancers_of_target_group, page, parse_tags,
    range_error, target_group_has_listener, tg_not_found_one, tgs_not_found, validation, HealthCheck, State,
    TargetGroup,
};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::elbv2 as t;
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
    input: &t::CreateTargetGroupInput,
    target_type: &str,
    protocol: Option<&str>,
    version: Option<&str>,
) -> AwsResult<HealthCheck> {
    let lambda = target_type == "lambda";
    let app = protocol.is_some_and(is_app_protocol);
    let geneve = protocol == Some("GENEVE");
    let hc_protocol: Option<String> = match (input.health_check_protocol.as_ref().map(|p| p.as_str()), protocol) {
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
    let enabled = input.health_check_enabled.unwrap_or(!lambda);
    if !enabled && !lambda {
        return Err(validation(format!(
            "Health checks cannot be disabled for target groups with target type '{target_type}'"
        )));
    }
    let interval = input.health_check_interval_seconds.map(i64::from).unwrap_or(if lambda {
        35
    } else if geneve {
        10
    } else {
        30
    });
    let timeout = input.health_check_timeout_seconds.map(i64::from).unwrap_or(if lambda {
        30
    } else if app || geneve {
        5
    } else if hc_protocol.as_deref() == Some("HTTP") {
        6
    } else {
        10
    });
    let healthy = input.healthy_threshold_count.map_or(5, i64::from);
    let unhealthy = input
        .unhealthy_threshold_count
        .map_or(if lambda { 5 } else { 2 }, i64::from);
    let port = if lambda {
        None
    } else {
        Some(
            input
                .health_check_port
                .as_deref()
                .unwrap_or(if geneve { "80" } else { "traffic-port" })
                .to_owned(),
        )
    };
    let path = match input.health_check_path.as_deref() {
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
    let http_code = |code: &str| t::Matcher {
        http_code: Some(code.to_owned()),
        grpc_code: None,
    };
    let matcher = match &input.matcher {
        Some(_) if !http_check => {
            return Err(validation("A matcher cannot be specified for TCP health checks"));
        }
        Some(m) => Some(m.clone()),
        None if http_check && grpc => Some(t::Matcher {
            http_code: None,
            grpc_code: Some("12".to_owned()),
        }),
        None if http_check && (app || lambda) => Some(http_code("200")),
        None if http_check => Some(http_code("200-399")),
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
    if let Some(code) = hc.matcher.as_ref().and_then(|m| m.http_code.as_deref()) {
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
fn settings_value(tg: &TargetGroup) -> t::TargetGroup {
    let hc = &tg.health_check;
    t::TargetGroup {
        target_group_name: Some(tg.name.clone()),
        protocol: tg.protocol.as_deref().map(Into::into),
        port: tg.port.map(|p| p as i32),
        vpc_id: tg.vpc_id.clone(),
        health_check_protocol: hc.protocol.as_deref().map(Into::into),
        health_check_port: hc.port.clone(),
        health_check_enabled: Some(hc.enabled),
        health_check_interval_seconds: Some(hc.interval as i32),
        health_check_timeout_seconds: Some(hc.timeout as i32),
        healthy_threshold_count: Some(hc.healthy_threshold as i32),
        unhealthy_threshold_count: Some(hc.unhealthy_threshold as i32),
        health_check_path: hc.path.clone(),
        matcher: hc.matcher.clone(),
        target_type: Some(tg.target_type.as_str().into()),
        protocol_version: tg.protocol_version.clone(),
        ip_address_type: tg.ip_address_type.as_deref().map(Into::into),
        ..Default::default()
    }
}

pub(super) fn tg_value(st: &State, tg: &TargetGroup) -> t::TargetGroup {
    t::TargetGroup {
        target_group_arn: Some(tg.arn.clone()),
        load_balancer_arns: Some(load_balancers_of_target_group(st, &tg.arn)),
        ..settings_value(tg)
    }
}

fn attributes_value(attrs: &BTreeMap<String, String>) -> Vec<t::TargetGroupAttribute> {
    attribute_pairs(attrs)
        .map(|(key, value)| t::TargetGroupAttribute { key, value })
        .collect()
}

pub(super) fn create_target_group(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateTargetGroupInput,
) -> AwsResult<t::CreateTargetGroupOutput> {
    let key = ctx.partition();
    let name = input.name.as_str();
    check_name("Target group", name)?;
    let target_type = input.target_type.as_ref().map_or("instance", |t| t.as_str());
    if !["instance", "ip", "lambda", "alb"].contains(&target_type) {
        return Err(validation(format!("Target type '{target_type}' is not valid")));
    }
    let lambda = target_type == "lambda";
    let protocol = if lambda {
        None
    } else {
        input.protocol.as_ref().map(|p| p.as_str())
    };
    let port = if lambda { None } else { input.port.map(i64::from) };
    let vpc_id = if lambda { None } else { input.vpc_id.as_deref() };
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
    } else if input.protocol.is_some() || input.port.is_some() || input.vpc_id.is_some() {
        return Err(validation(
            "A protocol, port or VPC ID cannot be specified for target groups with target type 'lambda'",
        ));
    }
    let version = match input.protocol_version.as_deref() {
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
        Some(input.ip_address_type.as_ref().map_or("ipv4", |t| t.as_str()).to_owned())
    };
    let tags = parse_tags(input.tags.as_deref())?;

    let id = env.ids.hex(16);
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
            return Ok(t::CreateTargetGroupOutput {
                target_groups: Some(vec![tg_value(st, existing)]),
            });
        }
        return Err(AwsError::new(
            "DuplicateTargetGroupName",
            format!("A target group with the same name '{name}' exists, but with different settings"),
        ));
    }
    tg.seq = st.seq();
    let out = t::CreateTargetGroupOutput {
        target_groups: Some(vec![tg_value(st, &tg)]),
    };
    st.target_groups.insert(tg.arn.clone(), tg);
    Ok(out)
}

pub(super) fn modify_target_group(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ModifyTargetGroupInput,
) -> AwsResult<t::ModifyTargetGroupOutput> {
    let arn = input.target_group_arn.as_str();
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let mut hc = tg.health_check.clone();
    let lambda = tg.target_type == "lambda";
    if let Some(p) = input.health_check_protocol.as_ref().map(|p| p.as_str()) {
        if tg.protocol.as_deref().is_some_and(is_app_protocol) && p == "TCP" {
            return Err(validation(format!(
                "Health check protocol 'TCP' is not supported for target groups with the '{}' protocol",
                tg.protocol.as_deref().unwrap_or("")
            )));
        }
        hc.protocol = Some(p.to_owned());
    }
    if let Some(p) = &input.health_check_port {
        hc.port = Some(p.clone());
    }
    if let Some(p) = &input.health_check_path {
        hc.path = Some(p.clone());
    }
    if let Some(e) = input.health_check_enabled {
        if !e && !lambda {
            return Err(validation(format!(
                "Health checks cannot be disabled for target groups with target type '{}'",
                tg.target_type
            )));
        }
        hc.enabled = e;
    }
    if let Some(n) = input.health_check_interval_seconds {
        hc.interval = i64::from(n);
    }
    if let Some(n) = input.health_check_timeout_seconds {
        hc.timeout = i64::from(n);
    }
    if let Some(n) = input.healthy_threshold_count {
        hc.healthy_threshold = i64::from(n);
    }
    if let Some(n) = input.unhealthy_threshold_count {
        hc.unhealthy_threshold = i64::from(n);
    }
    if let Some(m) = &input.matcher {
        hc.matcher = Some(m.clone());
    }
    check_health(&hc)?;
    let was_enabled = tg.health_check.enabled;
    if let Some(tg) = st.target_groups.get_mut(arn) {
        tg.health_check = hc;
    }
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let out = t::ModifyTargetGroupOutput {
        target_groups: Some(vec![tg_value(st, tg)]),
    };
    let now_enabled = tg.health_check.enabled;
    if !was_enabled && now_enabled {
        super::targets::start_idle_checks(st, env, &ctx.partition());
    }
    Ok(out)
}

pub(super) fn describe_target_groups(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeTargetGroupsInput,
) -> AwsResult<t::DescribeTargetGroupsOutput> {
    let names = input.names.clone().unwrap_or_default();
    let arns = input.target_group_arns.clone().unwrap_or_default();
    let lb = input.load_balancer_arn.as_deref();
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
    let (items, next) = page(
        chosen.into_iter().map(|t| tg_value(st, t)).collect(),
        input.marker.as_deref(),
        input.page_size,
    )?;
    Ok(t::DescribeTargetGroupsOutput {
        target_groups: Some(items),
        next_marker: next,
    })
}

pub(super) fn delete_target_group(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteTargetGroupInput,
) -> AwsResult<t::DeleteTargetGroupOutput> {
    let arn = input.target_group_arn.as_str();
    if target_group_has_listener(st, arn) {
        return Err(AwsError::new(
            "ResourceInUse",
            format!("Target group '{arn}' is currently in use by a listener or a rule"),
        ));
    }
    // Deleting a target group that does not exist succeeds, as in AWS.
    st.target_groups.remove(arn);
    Ok(t::DeleteTargetGroupOutput {})
}

pub(super) fn describe_target_group_attributes(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeTargetGroupAttributesInput,
) -> AwsResult<t::DescribeTargetGroupAttributesOutput> {
    let arn = input.target_group_arn.as_str();
    let tg = st.target_groups.get(arn).ok_or_else(|| tg_not_found_one(arn))?;
    Ok(t::DescribeTargetGroupAttributesOutput {
        attributes: Some(attributes_value(&tg.attributes)),
    })
}

pub(super) fn modify_target_group_attributes(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ModifyTargetGroupAttributesInput,
) -> AwsResult<t::ModifyTargetGroupAttributesOutput> {
    let arn = input.target_group_arn.as_str();
    let tg = st.target_groups.get_mut(arn).ok_or_else(|| tg_not_found_one(arn))?;
    let app = tg.protocol.as_deref().is_some_and(is_app_protocol);
    let mut changes = Vec::new();
    for a in &input.attributes {
        let k = a.key.as_deref().unwrap_or("");
        let v = a.value.as_deref().unwrap_or("");
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
    Ok(t::ModifyTargetGroupAttributesOutput {
        attributes: Some(attributes_value(&tg.attributes)),
    })
}
