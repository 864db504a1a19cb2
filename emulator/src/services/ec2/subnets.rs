//! Subnets: DescribeSubnets, CreateSubnet, DeleteSubnet, ModifySubnetAttribute.

use super::filters::{self, b, s};
use super::vpcs::parse_block;
use super::{err, find_vpc, invalid, missing, req, subnet_not_found, tag_list, tags, well_formed, State, Subnet};
use crate::env::Ids;
use crate::protocol::AwsResult;
use crate::services::util::{obj, str_list};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn subnet_value(st: &State, sn: &Subnet) -> Value {
    obj([
        ("AvailabilityZoneId", json!(sn.availability_zone_id)),
        ("MapCustomerOwnedIpOnLaunch", json!(false)),
        ("OwnerId", json!(st.account)),
        ("AssignIpv6AddressOnCreation", json!(false)),
        ("Ipv6CidrBlockAssociationSet", json!([])),
        ("Tags", tag_list(st, &sn.id)),
        ("SubnetArn", json!(st.arn("subnet", &sn.id))),
        ("EnableDns64", json!(false)),
        ("Ipv6Native", json!(false)),
        (
            "PrivateDnsNameOptionsOnLaunch",
            json!({
                "HostnameType": "ip-name",
                "EnableResourceNameDnsARecord": false,
                "EnableResourceNameDnsAAAARecord": false,
            }),
        ),
        ("BlockPublicAccessStates", json!({"InternetGatewayBlockMode": "off"})),
        ("SubnetId", json!(sn.id)),
        ("State", json!("available")),
        ("VpcId", json!(sn.vpc_id)),
        ("CidrBlock", json!(sn.cidr_block())),
        ("AvailableIpAddressCount", json!(sn.available_ip_address_count())),
        ("AvailabilityZone", json!(sn.availability_zone)),
        ("DefaultForAz", json!(sn.default_for_az)),
        ("MapPublicIpOnLaunch", json!(sn.map_public_ip_on_launch)),
    ])
}

/// The subnet `id`, checking its form first.
fn find_subnet<'a>(st: &'a State, id: &str) -> AwsResult<&'a Subnet> {
    if !well_formed(id, "subnet-") {
        return Err(err("InvalidSubnetID.Malformed", format!("Invalid id: \"{id}\"")));
    }
    super::subnet(st, id).ok_or_else(|| subnet_not_found(id))
}

pub fn describe_subnets(st: &mut State, _ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let ids = str_list(input, "SubnetIds");
    for id in &ids {
        find_subnet(st, id)?;
    }
    let filters = filters::parse(
        input,
        &[
            "subnet-id",
            "vpc-id",
            "vpcId",
            "default-for-az",
            "defaultForAz",
            "availability-zone",
            "availabilityZone",
            "availability-zone-id",
            "availabilityZoneId",
            "cidr",
            "cidr-block",
            "cidrBlock",
            "state",
            "owner-id",
            "subnet-arn",
            "map-public-ip-on-launch",
            "available-ip-address-count",
        ],
        true,
    )?;
    let subnets: Vec<Value> = st
        .subnets
        .iter()
        .filter(|sn| ids.is_empty() || ids.contains(&sn.id))
        .filter(|sn| {
            filters::matches(&filters, st.tags_of(&sn.id), |name| match name {
                "subnet-id" => s(&sn.id),
                "vpc-id" | "vpcId" => s(&sn.vpc_id),
                "default-for-az" | "defaultForAz" => b(sn.default_for_az),
                "availability-zone" | "availabilityZone" => s(&sn.availability_zone),
                "availability-zone-id" | "availabilityZoneId" => s(&sn.availability_zone_id),
                "cidr" | "cidr-block" | "cidrBlock" => s(&sn.cidr_block()),
                "state" => s("available"),
                "owner-id" => s(&st.account),
                "subnet-arn" => s(&st.arn("subnet", &sn.id)),
                "map-public-ip-on-launch" => b(sn.map_public_ip_on_launch),
                "available-ip-address-count" => s(&sn.available_ip_address_count().to_string()),
                _ => vec![],
            })
        })
        .map(|sn| subnet_value(st, sn))
        .collect();
    let (page, next) = super::page(subnets, input, 5, 1000)?;
    Ok(obj([("Subnets", Value::Array(page)), ("NextToken", next)]))
}

pub fn create_subnet(st: &mut State, ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let vpc_id = req(input, "VpcId", "vpcId")?;
    let vpc = find_vpc(st, vpc_id)?.clone();
    let Some(text) = input.get("CidrBlock").and_then(Value::as_str) else {
        return Err(missing("cidrBlock"));
    };
    let cidr = parse_block(text, "InvalidSubnet.Range")?;
    if !vpc.cidr.contains(cidr) {
        return Err(err("InvalidSubnet.Range", format!("The CIDR '{text}' is invalid.")));
    }
    if st
        .subnets
        .iter()
        .any(|sn| sn.vpc_id == vpc.id && sn.cidr.overlaps(cidr))
    {
        return Err(err(
            "InvalidSubnet.Conflict",
            format!("The CIDR '{text}' conflicts with another subnet"),
        ));
    }
    let names = || st.zones.iter().map(|z| z.name.as_str()).collect::<Vec<_>>().join(", ");
    let zone = match (
        input.get("AvailabilityZone").and_then(Value::as_str),
        input.get("AvailabilityZoneId").and_then(Value::as_str),
    ) {
        (Some(_), Some(_)) => {
            return Err(err(
                "InvalidParameterCombination",
                "Only one of availabilityZone or availabilityZoneId may be specified",
            ))
        }
        (Some(name), None) => st.zones.iter().find(|z| z.name == name).ok_or_else(|| {
            invalid(format!(
                "Value ({name}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: {}.",
                names()
            ))
        })?,
        (None, Some(zid)) => st.zones.iter().find(|z| z.id == zid).ok_or_else(|| {
            invalid(format!(
                "Value ({zid}) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: {}.",
                names()
            ))
        })?,
        (None, None) => st.zones.first().ok_or_else(|| invalid("The region has no availability zones"))?,
    }
    .clone();
    let new_tags = tags::from_specifications(input, "subnet")?;
    let subnet = Subnet {
        id: format!("subnet-{}", ids.hex(17)),
        vpc_id: vpc.id.clone(),
        cidr,
        availability_zone: zone.name,
        availability_zone_id: zone.id,
        default_for_az: false,
        map_public_ip_on_launch: false,
        allocated: BTreeSet::new(),
    };
    let id = subnet.id.clone();
    st.subnets.push(subnet);
    tags::set_tags(st, &id, &new_tags)?;
    let value = super::subnet(st, &id)
        .map(|sn| subnet_value(st, sn))
        .unwrap_or_default();
    Ok(json!({ "Subnet": value }))
}

pub fn delete_subnet(st: &mut State, _ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let id = req(input, "SubnetId", "subnetId")?;
    let subnet = find_subnet(st, id)?;
    if !subnet.allocated.is_empty() {
        return Err(err(
            "DependencyViolation",
            format!("The subnet '{id}' has dependencies and cannot be deleted."),
        ));
    }
    st.subnets.retain(|sn| sn.id != id);
    st.tags.remove(id);
    Ok(json!({}))
}

pub fn modify_subnet_attribute(st: &mut State, _ids: &mut Ids, input: &Value) -> AwsResult<Value> {
    let id = req(input, "SubnetId", "subnetId")?.to_owned();
    find_subnet(st, &id)?;
    let Some(value) = input.get("MapPublicIpOnLaunch") else {
        // Other attributes (IPv6, DNS64, customer-owned pools) are accepted and have no effect here.
        return Ok(json!({}));
    };
    let value = value.get("Value").and_then(Value::as_bool).unwrap_or(false);
    if let Some(sn) = st.subnet_mut(&id) {
        sn.map_public_ip_on_launch = value;
    }
    Ok(json!({}))
}
