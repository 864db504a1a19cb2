//! VPCs: DescribeVpcs, CreateVpc, DeleteVpc, ModifyVpcAttribute, DescribeVpcAttribute.

use super::filters::{self, b, s};
use super::security_groups::{self, SecurityGroup};
use super::{err, find_vpc, invalid, missing, non_empty, tags, tags_out, Cidr, State, Vpc};
use crate::env::{Env, Ids};
use crate::protocol::AwsResult;
use crate::services::Ctx;
use cutover_types::ec2 as t;

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

fn vpc_value(st: &State, v: &Vpc, state: t::VpcState) -> t::Vpc {
    t::Vpc {
        owner_id: Some(st.account.clone()),
        instance_tenancy: Some(v.instance_tenancy.as_str().into()),
        cidr_block_association_set: Some(vec![t::VpcCidrBlockAssociation {
            association_id: Some(v.cidr_association_id.clone()),
            cidr_block: Some(v.cidr.to_string()),
            cidr_block_state: Some(t::VpcCidrBlockState {
                state: Some(t::VpcCidrBlockStateCode::Associated),
                status_message: None,
            }),
        }]),
        is_default: Some(v.is_default),
        block_public_access_states: Some(t::BlockPublicAccessStates {
            internet_gateway_block_mode: Some(t::BlockPublicAccessMode::Off),
        }),
        tags: tags_out(st, &v.id),
        vpc_id: Some(v.id.clone()),
        state: Some(state),
        cidr_block: Some(v.cidr.to_string()),
        dhcp_options_id: Some(st.dhcp_options_id.clone()),
        ..Default::default()
    }
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

pub fn describe_vpcs(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeVpcsRequest,
) -> AwsResult<t::DescribeVpcsResult> {
    let ids = input.vpc_ids.clone().unwrap_or_default();
    for id in &ids {
        find_vpc(st, id)?;
    }
    let filters = filters::parse(
        input.filters.as_deref(),
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
    let vpcs = st
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
        .map(|v| vpc_value(st, v, t::VpcState::Available))
        .collect();
    let (page, next) = super::page(
        vpcs,
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        5,
        1000,
    )?;
    Ok(t::DescribeVpcsResult {
        vpcs: Some(page),
        next_token: next,
    })
}

pub fn create_vpc(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::CreateVpcRequest,
) -> AwsResult<t::CreateVpcResult> {
    let text = match input.cidr_block.as_deref() {
        Some(t) => t,
        None if input.ipv4_ipam_pool_id.is_some() => {
            return Err(invalid("IPAM pools are not supported by cutover; give a CidrBlock"))
        }
        None => return Err(missing("cidrBlock")),
    };
    let cidr = parse_block(text, "InvalidVpc.Range")?;
    let tenancy = input.instance_tenancy.as_ref().map_or("default", |t| t.as_str());
    if !["default", "dedicated"].contains(&tenancy) {
        return Err(invalid(format!(
            "Value ({tenancy}) for parameter instanceTenancy is invalid."
        )));
    }
    let new_tags = tags::from_specifications(input.tag_specifications.as_deref(), "vpc")?;
    let id = insert_vpc(st, env.ids, cidr, false, tenancy);
    tags::set_tags(st, &id, &new_tags)?;
    let vpc = st.vpc(&id).map(|v| vpc_value(st, v, t::VpcState::Pending));
    Ok(t::CreateVpcResult { vpc })
}

pub fn delete_vpc(st: &mut State, _env: &mut Env<'_>, _ctx: &Ctx, input: t::DeleteVpcRequest) -> AwsResult<()> {
    let id = non_empty(&input.vpc_id, "vpcId")?;
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
    Ok(())
}

/// Which attribute ModifyVpcAttribute sets.
#[derive(Clone, Copy)]
enum VpcAttribute {
    DnsSupport,
    DnsHostnames,
    NetworkAddressUsageMetrics,
}

pub fn modify_vpc_attribute(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::ModifyVpcAttributeRequest,
) -> AwsResult<()> {
    let id = non_empty(&input.vpc_id, "vpcId")?.to_owned();
    find_vpc(st, &id)?;
    let given: Vec<(VpcAttribute, bool)> = [
        (VpcAttribute::DnsSupport, &input.enable_dns_support),
        (VpcAttribute::DnsHostnames, &input.enable_dns_hostnames),
        (
            VpcAttribute::NetworkAddressUsageMetrics,
            &input.enable_network_address_usage_metrics,
        ),
    ]
    .into_iter()
    .filter_map(|(a, v)| v.as_ref().map(|v| (a, v.value.unwrap_or(false))))
    .collect();
    match given.as_slice() {
        [] => Err(missing("attribute")),
        [(attr, value)] => {
            let vpc = st
                .vpcs
                .iter_mut()
                .find(|v| v.id == id)
                .ok_or_else(|| super::vpc_not_found(&id))?;
            match attr {
                VpcAttribute::DnsSupport => vpc.enable_dns_support = *value,
                VpcAttribute::DnsHostnames => vpc.enable_dns_hostnames = *value,
                VpcAttribute::NetworkAddressUsageMetrics => vpc.enable_network_address_usage_metrics = *value,
            }
            Ok(())
        }
        _ => Err(err(
            "InvalidParameterCombination",
            "Fields for multiple attribute types specified",
        )),
    }
}

pub fn describe_vpc_attribute(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeVpcAttributeRequest,
) -> AwsResult<t::DescribeVpcAttributeResult> {
    let id = non_empty(&input.vpc_id, "vpcId")?;
    non_empty(input.attribute.as_str(), "attribute")?;
    let vpc = find_vpc(st, id)?;
    let on = |v: bool| Some(t::AttributeBooleanValue { value: Some(v) });
    let mut out = t::DescribeVpcAttributeResult {
        vpc_id: Some(id.to_owned()),
        ..Default::default()
    };
    match &input.attribute {
        t::VpcAttributeName::EnableDnsSupport => out.enable_dns_support = on(vpc.enable_dns_support),
        t::VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames = on(vpc.enable_dns_hostnames),
        t::VpcAttributeName::EnableNetworkAddressUsageMetrics => {
            out.enable_network_address_usage_metrics = on(vpc.enable_network_address_usage_metrics)
        }
        t::VpcAttributeName::Unknown(other) => {
            return Err(invalid(format!(
                "Value ({other}) for parameter attribute is invalid. Unknown attribute."
            )))
        }
    }
    Ok(out)
}
