//! Load balancers: CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer and attributes.

use super::peers::Peers;
use super::LoadBalancerStateEnum;
use super::{
    arn_prefix, attribute_pairs, is_bool_text, lb_not_found_one, lbs_not_found, page, parse_tags, range_error,
    validation, LoadBalancer, State, Zone, LB_PROVISIONING_SECS,
};
use crate::env::{Env, Ids};
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::elbv2 as t;
use serde_json::json;
use std::collections::BTreeMap;

/// AWS's naming rule for load balancers (and, with another noun, target groups).
pub(super) fn check_name(kind: &str, name: &str) -> AwsResult<()> {
    if name.is_empty() {
        return Err(validation(format!("{kind} name cannot be empty")));
    }
    if name.len() > 32 {
        return Err(validation(format!(
            "{kind} name '{name}' cannot be longer than '32' characters"
        )));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(validation(format!(
            "{kind} name '{name}' can only contain characters that are alphanumeric characters or hyphens(-)"
        )));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(validation(format!(
            "{kind} name '{name}' cannot begin or end with '-' character"
        )));
    }
    Ok(())
}

/// The DNS name AWS gives a new load balancer: `<name>-<digits>.<region>.elb.amazonaws.com` for an
/// application load balancer (`internal-` in front when internal), and
/// `<name>-<hex>.elb.<region>.amazonaws.com` for a network load balancer. The only place DNS names
/// are made.
pub fn dns_name(ids: &mut Ids, name: &str, lb_type: &str, scheme: &str, region: &str) -> String {
    // AWS's shapes (`<name>-<digits>.<region>.elb.amazonaws.com`, NLB `<name>-<hex>.elb.<region>.amazonaws.com`)
    // with the `localhost` special-use domain (RFC 6761) in place of `amazonaws.com`, so that the
    // name reaches the local data plane with no DNS set-up (see `runtime::alb::names`).
    let prefix = if scheme == "internal" { "internal-" } else { "" };
    if lb_type == "network" {
        format!("{prefix}{name}-{}.elb.{region}.localhost", ids.hex(16))
    } else {
        let digits = 1_000_000_000 + ids.below(1_000_000_000);
        format!("{prefix}{name}-{digits}.{region}.elb.localhost")
    }
}

/// Route 53 hosted zone of the load balancer DNS names, per type and region.
fn canonical_hosted_zone_id(lb_type: &str, region: &str) -> &'static str {
    let alb = match region {
        "us-east-2" => "Z3AADJGX6KTTL2",
        "us-west-1" => "Z368ELLRRE2KJ0",
        "us-west-2" => "Z1H1FL5HABSF5",
        "eu-west-1" => "Z32O12XQLNTSW2",
        "eu-central-1" => "Z215JYRZR1TBD5",
        "ap-northeast-1" => "Z14GRHDCWA56QT",
        "ap-southeast-1" => "Z1LMS91P8CMLE5",
        "ap-southeast-2" => "Z1GM3OXH4ZPM65",
        _ => "Z35SXDOTRQ7X7K",
    };
    let nlb = match region {
        "us-east-2" => "ZLMOA37VPKANP",
        "us-west-1" => "Z24FKFUX50B4VW",
        "us-west-2" => "Z18D5FSROUN65G",
        "eu-west-1" => "Z2IFOLAFXWLO4F",
        "eu-central-1" => "Z3F0SRJ5LGBH90",
        "ap-northeast-1" => "Z31USIVHYNEOWT",
        "ap-southeast-1" => "ZKVM4W9LS7TM",
        "ap-southeast-2" => "ZCT6FZBF4DROD",
        _ => "Z26RNL4JYFTOTI",
    };
    if lb_type == "network" {
        nlb
    } else {
        alb
    }
}

/// The attributes a new load balancer has, per type.
fn default_attributes(lb_type: &str) -> BTreeMap<String, String> {
    let common: &[(&str, &str)] = &[
        ("access_logs.s3.enabled", "false"),
        ("access_logs.s3.bucket", ""),
        ("access_logs.s3.prefix", ""),
        ("deletion_protection.enabled", "false"),
        ("zonal_shift.config.enabled", "false"),
    ];
    let alb: &[(&str, &str)] = &[
        ("idle_timeout.timeout_seconds", "60"),
        ("client_keep_alive.seconds", "3600"),
        ("connection_logs.s3.enabled", "false"),
        ("connection_logs.s3.bucket", ""),
        ("connection_logs.s3.prefix", ""),
        ("routing.http2.enabled", "true"),
        ("routing.http.drop_invalid_header_fields.enabled", "false"),
        ("routing.http.preserve_host_header.enabled", "false"),
        ("routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false"),
        ("routing.http.xff_client_port.enabled", "false"),
        ("routing.http.xff_header_processing.mode", "append"),
        ("routing.http.desync_mitigation_mode", "defensive"),
        ("waf.fail_open.enabled", "false"),
        ("load_balancing.cross_zone.enabled", "true"),
    ];
    let nlb: &[(&str, &str)] = &[
        ("load_balancing.cross_zone.enabled", "false"),
        ("dns_record.client_routing_policy", "any_availability_zone"),
    ];
    let specific = if lb_type == "network" { nlb } else { alb };
    common
        .iter()
        .chain(specific)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(super) fn lb_value(lb: &LoadBalancer) -> t::LoadBalancer {
    let zones = lb
        .zones
        .iter()
        .map(|z| t::AvailabilityZone {
            zone_name: Some(z.zone_name.clone()),
            subnet_id: Some(z.subnet_id.clone()),
            load_balancer_addresses: Some(Vec::new()),
            ..Default::default()
        })
        .collect();
    let security_groups =
        (lb.lb_type == "application" || !lb.security_groups.is_empty()).then(|| lb.security_groups.clone());
    t::LoadBalancer {
        load_balancer_arn: Some(lb.arn.clone()),
        dns_name: Some(lb.dns_name.clone()),
        canonical_hosted_zone_id: Some(lb.canonical_hosted_zone_id.clone()),
        created_time: Some(lb.created),
        load_balancer_name: Some(lb.name.clone()),
        scheme: Some(lb.scheme.as_str().into()),
        vpc_id: Some(lb.vpc_id.clone()),
        state: Some(t::LoadBalancerState {
            code: Some(lb.state.clone()),
            reason: None,
        }),
        r#type: Some(lb.lb_type.as_str().into()),
        availability_zones: Some(zones),
        ip_address_type: Some(lb.ip_address_type.as_str().into()),
        security_groups,
        ..Default::default()
    }
}

/// CreateLoadBalancer: the subnets and security groups are EC2's, read through `peers`.
pub fn create_load_balancer(
    st: &mut State,
    env: &mut Env<'_>,
    peers: &dyn Peers,
    ctx: &Ctx,
    input: t::CreateLoadBalancerInput,
) -> AwsResult<t::CreateLoadBalancerOutput> {
    let key = ctx.partition();
    let name = input.name.as_str();
    check_name("Load balancer", name)?;
    if name.starts_with("internal-") {
        return Err(validation(format!(
            "Load balancer name '{name}' cannot begin with 'internal-'"
        )));
    }
    let lb_type = input.r#type.as_ref().map_or("application", |t| t.as_str());
    if lb_type != "application" && lb_type != "network" {
        return Err(AwsError::new(
            "ValidationError",
            format!("Load balancer type '{lb_type}' is not supported by cutover (application and network are)"),
        ));
    }
    let scheme = input.scheme.as_ref().map_or("internet-facing", |s| s.as_str());
    if scheme != "internet-facing" && scheme != "internal" {
        return Err(AwsError::new(
            "InvalidScheme",
            format!("Scheme '{scheme}' is not valid"),
        ));
    }
    let ip_type = input.ip_address_type.as_ref().map_or("ipv4", |t| t.as_str());
    let allowed_ip: &[&str] = if lb_type == "network" {
        &["ipv4", "dualstack"]
    } else {
        &["ipv4", "dualstack", "dualstack-without-public-ipv4"]
    };
    if !allowed_ip.contains(&ip_type) {
        return Err(validation(format!(
            "IP address type '{ip_type}' is not valid for a {lb_type} load balancer"
        )));
    }

    let subnets = input.subnets.clone().unwrap_or_default();
    let mappings: Vec<String> = input
        .subnet_mappings
        .iter()
        .flatten()
        .filter_map(|m| m.subnet_id.clone())
        .collect();
    if !subnets.is_empty() && input.subnet_mappings.is_some() {
        return Err(validation("You can specify subnets or subnet mappings, but not both"));
    }
    let subnet_ids = if subnets.is_empty() { mappings } else { subnets };
    let security_groups = input.security_groups.clone().unwrap_or_default();
    let tags = parse_tags(input.tags.as_deref())?;

    let mut zones: Vec<Zone> = Vec::new();
    let mut vpc_id: Option<String> = None;
    for id in &subnet_ids {
        let s = peers
            .subnet(id)
            .ok_or_else(|| AwsError::new("SubnetNotFound", format!("The subnet ID '{id}' is not valid")))?;
        match &vpc_id {
            None => vpc_id = Some(s.vpc_id.clone()),
            Some(v) if *v != s.vpc_id => {
                return Err(AwsError::new(
                    "InvalidSubnet",
                    "The specified subnets must all be in the same VPC",
                ))
            }
            Some(_) => {}
        }
        if zones.iter().any(|z| z.subnet_id == s.id) {
            continue;
        }
        if zones.iter().any(|z| z.zone_name == s.availability_zone) {
            return Err(AwsError::new(
                "InvalidConfigurationRequest",
                "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
            ));
        }
        zones.push(Zone {
            subnet_id: s.id.clone(),
            zone_name: s.availability_zone.clone(),
        });
    }
    if lb_type == "application" && zones.len() < 2 {
        return Err(validation(
            "At least two subnets in two different Availability Zones must be specified",
        ));
    }
    if zones.is_empty() {
        return Err(validation("At least one subnet must be specified"));
    }
    zones.sort_by(|a, b| a.zone_name.cmp(&b.zone_name));
    let vpc_id = vpc_id.unwrap_or_default();
    for sg in &security_groups {
        let g_vpc = peers
            .security_group_vpc(sg)
            .ok_or_else(|| AwsError::new("InvalidSecurityGroup", format!("Security group '{sg}' does not exist")))?;
        if g_vpc != vpc_id {
            return Err(AwsError::new(
                "InvalidConfigurationRequest",
                format!("Security group '{sg}' does not belong to VPC '{vpc_id}'"),
            ));
        }
    }

    // An identical request returns the existing load balancer; a different one with the same name fails.
    if let Some(existing) = st.load_balancers.values().find(|l| l.name == name) {
        let mut a: Vec<&String> = existing.security_groups.iter().collect();
        let mut b: Vec<&String> = security_groups.iter().collect();
        a.sort();
        b.sort();
        let same = existing.lb_type == lb_type
            && existing.scheme == scheme
            && existing.ip_address_type == ip_type
            && existing.zones == zones
            && a == b;
        if same {
            return Ok(t::CreateLoadBalancerOutput {
                load_balancers: Some(vec![lb_value(existing)]),
            });
        }
        return Err(AwsError::new(
            "DuplicateLoadBalancerName",
            format!("A load balancer with the same name '{name}' exists, but with different settings"),
        ));
    }

    let kind = if lb_type == "network" { "net" } else { "app" };
    let id = env.ids.hex(16);
    let arn = format!("{}loadbalancer/{kind}/{name}/{id}", arn_prefix(&key));
    let dns = dns_name(env.ids, name, lb_type, scheme, &key.region);
    let seq = st.seq();
    let lb = LoadBalancer {
        arn: arn.clone(),
        name: name.to_owned(),
        lb_type: lb_type.to_owned(),
        scheme: scheme.to_owned(),
        ip_address_type: ip_type.to_owned(),
        vpc_id,
        zones,
        security_groups,
        dns_name: dns,
        canonical_hosted_zone_id: canonical_hosted_zone_id(lb_type, &key.region).to_owned(),
        created: env.now_secs(),
        state: LoadBalancerStateEnum::Provisioning,
        attributes: default_attributes(lb_type),
        tags,
        seq,
    };
    let out = t::CreateLoadBalancerOutput {
        load_balancers: Some(vec![lb_value(&lb)]),
    };
    st.load_balancers.insert(arn.clone(), lb);
    let at = env.after_secs(LB_PROVISIONING_SECS);
    env.schedule(
        at,
        &key,
        crate::sim::Signal::LoadBalancer(crate::sim::signal::LoadBalancerSignal::Active { arn: arn.clone() }),
    );
    env.record(crate::timeline::Entry::resource(
        "elbv2",
        format!("load balancer {name} provisioning"),
        json!({"LoadBalancerArn": arn}),
    ));
    Ok(out)
}

pub(super) fn activate(st: &mut State, env: &mut Env<'_>, arn: &str) {
    let Some(lb) = st.load_balancers.get_mut(arn) else {
        return;
    };
    if lb.state != LoadBalancerStateEnum::Provisioning {
        return;
    }
    lb.state = LoadBalancerStateEnum::Active;
    let name = lb.name.clone();
    env.record(crate::timeline::Entry::resource(
        "elbv2",
        format!("load balancer {name} active"),
        json!({"LoadBalancerArn": arn}),
    ));
}

fn sorted_lbs(st: &State) -> Vec<&LoadBalancer> {
    let mut v: Vec<&LoadBalancer> = st.load_balancers.values().collect();
    v.sort_by_key(|l| l.seq);
    v
}

pub(super) fn describe_load_balancers(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeLoadBalancersInput,
) -> AwsResult<t::DescribeLoadBalancersOutput> {
    let names = input.names.unwrap_or_default();
    let arns = input.load_balancer_arns.unwrap_or_default();
    if !names.is_empty() && !arns.is_empty() {
        return Err(validation(
            "Load balancer names and load balancer ARNs cannot be specified at the same time",
        ));
    }
    let all = sorted_lbs(st);
    let chosen: Vec<&LoadBalancer> = if !names.is_empty() {
        if names.iter().any(|n| !all.iter().any(|l| &l.name == n)) {
            return Err(lbs_not_found());
        }
        all.into_iter().filter(|l| names.contains(&l.name)).collect()
    } else if !arns.is_empty() {
        if arns.iter().any(|a| !st.load_balancers.contains_key(a)) {
            return Err(lbs_not_found());
        }
        all.into_iter().filter(|l| arns.contains(&l.arn)).collect()
    } else {
        all
    };
    let (items, next) = page(
        chosen.into_iter().map(lb_value).collect(),
        input.marker.as_deref(),
        input.page_size,
    )?;
    Ok(t::DescribeLoadBalancersOutput {
        load_balancers: Some(items),
        next_marker: next,
    })
}

pub(super) fn delete_load_balancer(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteLoadBalancerInput,
) -> AwsResult<t::DeleteLoadBalancerOutput> {
    let arn = input.load_balancer_arn.as_str();
    let lb = st.load_balancers.get(arn).ok_or_else(|| lb_not_found_one(arn))?;
    if lb.attributes.get("deletion_protection.enabled").map(String::as_str) == Some("true") {
        return Err(AwsError::new(
            "OperationNotPermitted",
            format!("Load balancer '{arn}' cannot be deleted because deletion protection is enabled"),
        ));
    }
    let name = lb.name.clone();
    let listeners: Vec<String> = st
        .listeners
        .values()
        .filter(|l| l.load_balancer_arn == arn)
        .map(|l| l.arn.clone())
        .collect();
    st.rules.retain(|_, r| !listeners.contains(&r.listener_arn));
    st.listeners.retain(|_, l| l.load_balancer_arn != arn);
    st.load_balancers.remove(arn);
    env.record(crate::timeline::Entry::resource(
        "elbv2",
        format!("load balancer {name} deleted"),
        json!({"LoadBalancerArn": arn}),
    ));
    Ok(t::DeleteLoadBalancerOutput {})
}

fn attributes_value(attrs: &BTreeMap<String, String>) -> Vec<t::LoadBalancerAttribute> {
    attribute_pairs(attrs)
        .map(|(key, value)| t::LoadBalancerAttribute { key, value })
        .collect()
}

pub(super) fn describe_load_balancer_attributes(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeLoadBalancerAttributesInput,
) -> AwsResult<t::DescribeLoadBalancerAttributesOutput> {
    let arn = input.load_balancer_arn.as_str();
    let lb = st.load_balancers.get(arn).ok_or_else(|| lb_not_found_one(arn))?;
    Ok(t::DescribeLoadBalancerAttributesOutput {
        attributes: Some(attributes_value(&lb.attributes)),
    })
}

pub(super) fn modify_load_balancer_attributes(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ModifyLoadBalancerAttributesInput,
) -> AwsResult<t::ModifyLoadBalancerAttributesOutput> {
    let arn = input.load_balancer_arn.as_str();
    let lb = st.load_balancers.get_mut(arn).ok_or_else(|| lb_not_found_one(arn))?;
    let mut changes = Vec::new();
    for a in &input.attributes {
        let k = a.key.as_deref().unwrap_or("");
        let v = a.value.as_deref().unwrap_or("");
        if !lb.attributes.contains_key(k) {
            return Err(validation(format!(
                "Load balancer attribute key '{k}' is not recognized"
            )));
        }
        if k.ends_with(".enabled") && !is_bool_text(v) {
            return Err(validation(format!(
                "Load balancer attribute value '{v}' is not valid for key '{k}'"
            )));
        }
        if k == "idle_timeout.timeout_seconds" {
            let n: i64 = v.parse().map_err(|_| {
                validation(format!(
                    "Load balancer attribute value '{v}' is not valid for key '{k}'"
                ))
            })?;
            if let Some(e) = range_error(n, k, 1, 4000) {
                return Err(e);
            }
        }
        if k == "access_logs.s3.enabled" && v == "true" {
            let bucket_given = input.attributes.iter().any(|b| {
                b.key.as_deref() == Some("access_logs.s3.bucket") && b.value.as_deref().is_some_and(|x| !x.is_empty())
            });
            if !bucket_given && lb.attributes.get("access_logs.s3.bucket").is_none_or(String::is_empty) {
                return Err(AwsError::new(
                    "InvalidConfigurationRequest",
                    "The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled",
                ));
            }
        }
        changes.push((k.to_owned(), v.to_owned()));
    }
    lb.attributes.extend(changes);
    Ok(t::ModifyLoadBalancerAttributesOutput {
        attributes: Some(attributes_value(&lb.attributes)),
    })
}
