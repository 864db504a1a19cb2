//! Load balancers: CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer and attributes.

use super::peers;
use super::LoadBalancerStateEnum;
use super::{
    arn_prefix, attributes_value, is_bool_text, lb_not_found_one, lbs_not_found, page, parse_tags, range_error,
    validation, LoadBalancer, State, Zone, LB_PROVISIONING_SECS,
};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_str, str_list};
use crate::services::Ctx;
use crate::world::{Ids, PartitionKey, World};
use serde_json::{json, Value};
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

pub(super) fn lb_value(lb: &LoadBalancer) -> Value {
    let zones: Vec<Value> = lb
        .zones
        .iter()
        .map(|z| json!({"ZoneName": z.zone_name, "SubnetId": z.subnet_id, "LoadBalancerAddresses": []}))
        .collect();
    let mut v = json!({
        "LoadBalancerArn": lb.arn,
        "DNSName": lb.dns_name,
        "CanonicalHostedZoneId": lb.canonical_hosted_zone_id,
        "CreatedTime": lb.created,
        "LoadBalancerName": lb.name,
        "Scheme": lb.scheme,
        "VpcId": lb.vpc_id,
        "State": {"Code": lb.state},
        "Type": lb.lb_type,
        "AvailabilityZones": zones,
        "IpAddressType": lb.ip_address_type,
    });
    if lb.lb_type == "application" || !lb.security_groups.is_empty() {
        v["SecurityGroups"] = json!(lb.security_groups);
    }
    v
}

pub(super) fn create_load_balancer(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let name = opt_str(&input, "Name").ok_or_else(|| validation("A load balancer name must be specified"))?;
    check_name("Load balancer", name)?;
    if name.starts_with("internal-") {
        return Err(validation(format!(
            "Load balancer name '{name}' cannot begin with 'internal-'"
        )));
    }
    let lb_type = opt_str(&input, "Type").unwrap_or("application");
    if lb_type != "application" && lb_type != "network" {
        return Err(AwsError::new(
            "ValidationError",
            format!("Load balancer type '{lb_type}' is not supported by cutover (application and network are)"),
        ));
    }
    let scheme = opt_str(&input, "Scheme").unwrap_or("internet-facing");
    if scheme != "internet-facing" && scheme != "internal" {
        return Err(AwsError::new(
            "InvalidScheme",
            format!("Scheme '{scheme}' is not valid"),
        ));
    }
    let ip_type = opt_str(&input, "IpAddressType").unwrap_or("ipv4");
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

    let subnets = str_list(&input, "Subnets");
    let mappings: Vec<String> = input
        .get("SubnetMappings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| opt_str(m, "SubnetId").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if !subnets.is_empty() && input.get("SubnetMappings").is_some() {
        return Err(validation("You can specify subnets or subnet mappings, but not both"));
    }
    let subnet_ids = if subnets.is_empty() { mappings } else { subnets };
    let security_groups = str_list(&input, "SecurityGroups");
    let tags = parse_tags(&input)?;

    world.region_mut(&key);
    let mut zones: Vec<Zone> = Vec::new();
    let mut vpc_id: Option<String> = None;
    for id in &subnet_ids {
        let s = peers::subnet(world, &key, id)
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
        let g_vpc = peers::security_group_vpc(world, &key, sg)
            .ok_or_else(|| AwsError::new("InvalidSecurityGroup", format!("Security group '{sg}' does not exist")))?;
        if g_vpc != vpc_id {
            return Err(AwsError::new(
                "InvalidConfigurationRequest",
                format!("Security group '{sg}' does not belong to VPC '{vpc_id}'"),
            ));
        }
    }

    // An identical request returns the existing load balancer; a different one with the same name fails.
    let region = world.region_mut(&key);
    if let Some(existing) = region.elbv2.load_balancers.values().find(|l| l.name == name) {
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
            return Ok(json!({"LoadBalancers": [lb_value(existing)]}));
        }
        return Err(AwsError::new(
            "DuplicateLoadBalancerName",
            format!("A load balancer with the same name '{name}' exists, but with different settings"),
        ));
    }

    let kind = if lb_type == "network" { "net" } else { "app" };
    let id = world.ids.hex(16);
    let arn = format!("{}loadbalancer/{kind}/{name}/{id}", arn_prefix(&key));
    let dns = dns_name(&mut world.ids, name, lb_type, scheme, &key.region);
    let now = world.now.as_secs_f64();
    let st = &mut world.region_mut(&key).elbv2;
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
        created: now,
        state: LoadBalancerStateEnum::Provisioning,
        attributes: default_attributes(lb_type),
        tags,
        seq,
    };
    let out = json!({"LoadBalancers": [lb_value(&lb)]});
    st.load_balancers.insert(arn.clone(), lb);
    let at = world.now.plus_secs(LB_PROVISIONING_SECS);
    world.schedule(
        at,
        &key,
        crate::sim::Signal::LoadBalancer(crate::sim::signal::LoadBalancerSignal::Active { arn: arn.clone() }),
    );
    world.record(crate::timeline::Entry::resource(
        "elbv2",
        format!("load balancer {name} provisioning"),
        json!({"LoadBalancerArn": arn}),
    ));
    Ok(out)
}

pub(super) fn activate(world: &mut World, key: &PartitionKey, arn: &str) {
    let Some(lb) = world.region_mut(key).elbv2.load_balancers.get_mut(arn) else {
        return;
    };
    if lb.state != LoadBalancerStateEnum::Provisioning {
        return;
    }
    lb.state = LoadBalancerStateEnum::Active;
    let name = lb.name.clone();
    world.record(crate::timeline::Entry::resource(
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

pub(super) fn describe_load_balancers(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).elbv2;
    let names = str_list(&input, "Names");
    let arns = str_list(&input, "LoadBalancerArns");
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
    page(chosen.into_iter().map(lb_value).collect(), &input, "LoadBalancers")
}

pub(super) fn delete_load_balancer(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "LoadBalancerArn").ok_or_else(|| validation("A load balancer ARN must be specified"))?;
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
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
    world.record(crate::timeline::Entry::resource(
        "elbv2",
        format!("load balancer {name} deleted"),
        json!({"LoadBalancerArn": arn}),
    ));
    Ok(json!({}))
}

pub(super) fn describe_load_balancer_attributes(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "LoadBalancerArn").unwrap_or("");
    let st = &world.region_mut(&ctx.partition()).elbv2;
    let lb = st.load_balancers.get(arn).ok_or_else(|| lb_not_found_one(arn))?;
    Ok(json!({"Attributes": attributes_value(&lb.attributes)}))
}

pub(super) fn modify_load_balancer_attributes(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "LoadBalancerArn").unwrap_or("");
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
    let lb = st.load_balancers.get_mut(arn).ok_or_else(|| lb_not_found_one(arn))?;
    let mut changes = Vec::new();
    for a in input.get("Attributes").and_then(Value::as_array).into_iter().flatten() {
        let k = opt_str(a, "Key").unwrap_or("");
        let v = opt_str(a, "Value").unwrap_or("");
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
            let bucket_given = input.get("Attributes").and_then(Value::as_array).is_some_and(|all| {
                all.iter().any(|b| {
                    opt_str(b, "Key") == Some("access_logs.s3.bucket")
                        && opt_str(b, "Value").is_some_and(|x| !x.is_empty())
                })
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
    Ok(json!({"Attributes": attributes_value(&lb.attributes)}))
}
