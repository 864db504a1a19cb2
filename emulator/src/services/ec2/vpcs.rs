//! VPCs: DescribeVpcs, CreateVpc, DeleteVpc, ModifyVpcAttribute, DescribeVpcAttribute.

use super::filters::{self, b, s};
use super::security_groups::{self, SecurityGroup};
use super::{err, find_vpc, invalid, missing, req, tag_list, tags, Cidr, State, Vpc};
use crate::env::Ids;
use crate::protocol::AwsResult;
use crate::services::util::{obj, str_list};
use serde_json::{json, Value};

/// Adds a VPC and its default security group; returns the VPC id.
pub(super) fn insert_vpc(st: &mut State, ids: &mut Ids, cidr: Cidr, is_default: bool, tenancy: &str) -> String {
    let id = format!("vpc-{}", ids.hex(17));
    st.vpcs.push(Vpc {
        id: id.clone(),
        cidr,
        cidr_association_id: format!("vpc-cidr-assoc-{}", ids.hex(17)),
        is_default,
        instance_tenancy: tenancy.to_owned(),
        enable_dns_support: true,
        enable_dns_hostnames: is_default,
        enable_network_address_usage_metrics: false,
    });
    let group_id = format!("sg-{}", ids.hex(17));
    let mut group = SecurityGroup {
        id: group_id.clone(),
        name: "default".into(),
        description: "default VPC security group".into(),
        vpc_id: id.clone(),
        ingress: Vec::new(),
        egress: Vec::new(),
    };
    group.ingress.push(security_groups::Rule {
        id: format!("sgr-{}", ids.hex(17)),
        protocol: "-1".into(),
        from: None,
        to: None,
        peer: security_groups::Peer::Group {
            group_id,
            user_id: st.account.clone(),
        },
        description: None,
    });
    group.egress.push(security_groups::all_traffic_egress(ids));
    st.security_groups.push(group);
    id
}

fn vpc_value(st: &State, v: &Vpc, state: &str) -> Value {
    obj([
        ("OwnerId", json!(st.account)),
        ("InstanceTenancy", json!(v.instance_tenancy)),
        (
            "CidrBlockAssociationSet",
            json!([{
                "AssociationId": v.cidr_association_id,
                "CidrBlock": v.cidr.to_string(),
                "CidrBlockState": {"State": "associated"},
            }]),
        ),
        ("IsDefault", json!(v.is_default)),
        ("BlockPublicAccessStates", json!({"InternetGatewayBlockMode": "off"})),
        ("Tags", tag_list(st, &v.id)),
        ("VpcId", json!(v.id)),
        ("State", json!(state)),
        ("CidrBlock", json!(v.cidr.to_string())),
        ("DhcpOptionsId", json!(st.dhcp_options_id)),
    ])
}

/// Parses a VPC or subnet CIDR: `InvalidParameterValue` when malformed, `<range_code>` outside /16../28.
pub(super) fn parse_block(text: &str, range_code: &str) -> AwsResult<Cidr> {
    let cidr = Cidr::parse(text).ok_or_else(|| {
        invalid(format!(
            "Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block."
        ))
    })?;
    if !(16..=28).contains(&cidr.prefix) {
        return Err(err(range_code, format!("The CIDR '{text}' is invalid.")));
    }
    Ok(cidr)
}

pub fn describe_vpcs(st: &mut State, _ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let ids = str_list(input, "VpcIds");
    for id in &ids {
        find_vpc(st, id)?;
    }
    let filters = filters::parse(
        input,
        &[
            "vpc-id",
            "isDefault",
            "is-default",
            "cidr",
            "cidr-block",
            "cidr-block-association.cidr-block",
            "cidr-block-association.association-id",
            "cidr-block-association.state",
            "state",
            "dhcp-options-id",
            "owner-id",
            "instance-tenancy",
        ],
        true,
    )?;
    let vpcs: Vec<Value> = st
        .vpcs
        .iter()
        .filter(|v| ids.is_empty() || ids.contains(&v.id))
        .filter(|v| {
            filters::matches(&filters, st.tags_of(&v.id), |name| match name {
                "vpc-id" => s(&v.id),
                "isDefault" | "is-default" => b(v.is_default),
                "cidr" | "cidr-block" | "cidr-block-association.cidr-block" => s(&v.cidr.to_string()),
                "cidr-block-association.association-id" => s(&v.cidr_association_id),
                "cidr-block-association.state" => s("associated"),
                "state" => s("available"),
                "dhcp-options-id" => s(&st.dhcp_options_id),
                "owner-id" => s(&st.account),
                "instance-tenancy" => s(&v.instance_tenancy),
                _ => vec![],
            })
        })
        .map(|v| vpc_value(st, v, "available"))
        .collect();
    let (page, next) = super::page(vpcs, input, 5, 1000)?;
    Ok(obj([("Vpcs", Value::Array(page)), ("NextToken", next)]))
}

pub fn create_vpc(st: &mut State, ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let text = match input.get("CidrBlock").and_then(Value::as_str) {
        Some(t) => t,
        None if input.get("Ipv4IpamPoolId").is_some() => {
            return Err(invalid("IPAM pools are not supported by cutover; give a CidrBlock"))
        }
        None => return Err(missing("cidrBlock")),
    };
    let cidr = parse_block(text, "InvalidVpc.Range")?;
    let tenancy = input
        .get("InstanceTenancy")
        .and_then(Value::as_str)
        .unwrap_or("default");
    if !["default", "dedicated"].contains(&tenancy) {
        return Err(invalid(format!(
            "Value ({tenancy}) for parameter instanceTenancy is invalid."
        )));
    }
    let new_tags = tags::from_specifications(input, "vpc")?;
    let id = insert_vpc(st, ids, cidr, false, tenancy);
    tags::set_tags(st, &id, &new_tags)?;
    let vpc = st.vpc(&id).map(|v| vpc_value(st, v, "pending")).unwrap_or_default();
    Ok(json!({ "Vpc": vpc }))
}

pub fn delete_vpc(st: &mut State, _ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let id = req(input, "VpcId", "vpcId")?;
    find_vpc(st, id)?;
    let has_subnets = st.subnets.iter().any(|s| s.vpc_id == id);
    let has_groups = st.security_groups.iter().any(|g| g.vpc_id == id && g.name != "default");
    if has_subnets || has_groups {
        return Err(err(
            "DependencyViolation",
            format!("The vpc '{id}' has dependencies and cannot be deleted."),
        ));
    }
    let doomed: Vec<String> = st
        .security_groups
        .iter()
        .filter(|g| g.vpc_id == id)
        .map(|g| g.id.clone())
        .collect();
    st.security_groups.retain(|g| g.vpc_id != id);
    for g in &doomed {
        st.tags.remove(g);
    }
    st.vpcs.retain(|v| v.id != id);
    st.tags.remove(id);
    if st.default_vpc_id == id {
        st.default_vpc_id.clear();
    }
    Ok(json!({}))
}

const ATTRIBUTES: [&str; 3] = [
    "EnableDnsSupport",
    "EnableDnsHostnames",
    "EnableNetworkAddressUsageMetrics",
];

pub fn modify_vpc_attribute(st: &mut State, _ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let id = req(input, "VpcId", "vpcId")?.to_owned();
    find_vpc(st, &id)?;
    let given: Vec<(&str, bool)> = ATTRIBUTES
        .iter()
        .filter_map(|a| {
            input
                .get(*a)
                .map(|v| (*a, v.get("Value").and_then(Value::as_bool).unwrap_or(false)))
        })
        .collect();
    match given.as_slice() {
        [] => Err(missing("attribute")),
        [(attr, value)] => {
            let vpc = st
                .vpcs
                .iter_mut()
                .find(|v| v.id == id)
                .ok_or_else(|| super::vpc_not_found(&id))?;
            match *attr {
                "EnableDnsSupport" => vpc.enable_dns_support = *value,
                "EnableDnsHostnames" => vpc.enable_dns_hostnames = *value,
                _ => vpc.enable_network_address_usage_metrics = *value,
            }
            Ok(json!({}))
        }
        _ => Err(err(
            "InvalidParameterCombination",
            "Fields for multiple attribute types specified",
        )),
    }
}

pub fn describe_vpc_attribute(st: &mut State, _ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let id = req(input, "VpcId", "vpcId")?;
    let attr = req(input, "Attribute", "attribute")?;
    let vpc = find_vpc(st, id)?;
    let (member, value) = match attr {
        "enableDnsSupport" => ("EnableDnsSupport", vpc.enable_dns_support),
        "enableDnsHostnames" => ("EnableDnsHostnames", vpc.enable_dns_hostnames),
        "enableNetworkAddressUsageMetrics" => (
            "EnableNetworkAddressUsageMetrics",
            vpc.enable_network_address_usage_metrics,
        ),
        other => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    };
    let mut out = json!({ "VpcId": id });
    out[member] = json!({ "Value": value });
    Ok(out)
}
