//! Subnets: DescribeSubnets, CreateSubnet, DeleteSubnet, ModifySubnetAttribute.

use super::filters::{self, b, s};
use super::vpcs::parse_block;
use super::{err, find_vpc, invalid, missing, non_empty, subnet_not_found, tags, tags_out, well_formed, State, Subnet};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::Ctx;
use cutover_types::ec2 as t;
use std::collections::BTreeSet;

fn subnet_value(st: &State, sn: &Subnet) -> t::Subnet {
    t::Subnet {
        availability_zone_id: Some(sn.availability_zone_id.clone()),
        map_customer_owned_ip_on_launch: Some(false),
        owner_id: Some(st.account.clone()),
        assign_ipv6_address_on_creation: Some(false),
        ipv6_cidr_block_association_set: Some(Vec::new()),
        tags: tags_out(st, &sn.id),
        subnet_arn: Some(st.arn("subnet", &sn.id)),
        enable_dns64: Some(false),
        ipv6_native: Some(false),
        private_dns_name_options_on_launch: Some(t::PrivateDnsNameOptionsOnLaunch {
            hostname_type: Some(t::HostnameType::IpName),
            enable_resource_name_dns_a_record: Some(false),
            enable_resource_name_dns_aaaa_record: Some(false),
        }),
        block_public_access_states: Some(t::BlockPublicAccessStates {
            internet_gateway_block_mode: Some(t::BlockPublicAccessMode::Off),
        }),
        subnet_id: Some(sn.id.clone()),
        state: Some(t::SubnetState::Available),
        vpc_id: Some(sn.vpc_id.clone()),
        cidr_block: Some(sn.cidr_block()),
        available_ip_address_count: Some(i32::try_from(sn.available_ip_address_count()).unwrap_or(i32::MAX)),
        availability_zone: Some(sn.availability_zone.clone()),
        default_for_az: Some(sn.default_for_az),
        map_public_ip_on_launch: Some(sn.map_public_ip_on_launch),
        ..Default::default()
    }
}

/// The subnet `id`, checking its form first.
fn find_subnet<'a>(st: &'a State, id: &str) -> AwsResult<&'a Subnet> {
    if !well_formed(id, "subnet-") {
        return Err(err("InvalidSubnetID.Malformed", format!("Invalid id: \"{id}\"")));
    }
    super::subnet(st, id).ok_or_else(|| subnet_not_found(id))
}

pub fn describe_subnets(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeSubnetsRequest,
) -> AwsResult<t::DescribeSubnetsResult> {
    let ids = input.subnet_ids.clone().unwrap_or_default();
    for id in &ids {
        find_subnet(st, id)?;
    }
    let filters = filters::parse(
        input.filters.as_deref(),
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
    let subnets = st
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
    let (page, next) = super::page(
        subnets,
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        5,
        1000,
    )?;
    Ok(t::DescribeSubnetsResult {
        subnets: Some(page),
        next_token: next,
    })
}

pub fn create_subnet(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::CreateSubnetRequest,
) -> AwsResult<t::CreateSubnetResult> {
    let vpc_id = non_empty(&input.vpc_id, "vpcId")?;
    let vpc = find_vpc(st, vpc_id)?.clone();
    let Some(text) = input.cidr_block.as_deref() else {
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
    let zone = match (input.availability_zone.as_deref(), input.availability_zone_id.as_deref()) {
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
    let new_tags = tags::from_specifications(input.tag_specifications.as_deref(), "subnet")?;
    let subnet = Subnet {
        id: format!("subnet-{}", env.ids.hex(17)),
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
    let subnet = super::subnet(st, &id).map(|sn| subnet_value(st, sn));
    Ok(t::CreateSubnetResult { subnet })
}

pub fn delete_subnet(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: t::DeleteSubnetRequest) -> AwsResult<()> {
    let id = non_empty(&input.subnet_id, "subnetId")?;
    let subnet = find_subnet(st, id)?;
    if !subnet.allocated.is_empty() {
        return Err(err(
            "DependencyViolation",
            format!("The subnet '{id}' has dependencies and cannot be deleted."),
        ));
    }
    st.subnets.retain(|sn| sn.id != id);
    st.tags.remove(id);
    Ok(())
}

pub fn modify_subnet_attribute(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ModifySubnetAttributeRequest,
) -> AwsResult<()> {
    let id = non_empty(&input.subnet_id, "subnetId")?.to_owned();
    find_subnet(st, &id)?;
    let Some(value) = &input.map_public_ip_on_launch else {
        // Other attributes (IPv6, DNS64, customer-owned pools) are accepted and have no effect here.
        return Ok(());
    };
    let value = value.value.unwrap_or(false);
    if let Some(sn) = st.subnet_mut(&id) {
        sn.map_public_ip_on_launch = value;
    }
    Ok(())
}
