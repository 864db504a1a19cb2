//! EC2 networking subset: VPCs, subnets, security groups (and their rules), tags, availability
//! zones and regions.
//!
//! Every region starts as a new AWS account has it: a default VPC `172.31.0.0/16`, one default
//! `/20` subnet per availability zone and the VPC's default security group (see [`State::new`]).
//!
//! Described resources come out in creation order (the default resources first); tags on a resource
//! in the order their keys were first set; `DescribeTags` sorted by resource id, then key order.
//!
//! Every handler is typed (`cutover_types::ec2`) and over the region's [`State`].
//!
//! Other services use the typed lookups: [`subnet`], [`security_group`], [`vpc`],
//! [`default_vpc_id`], [`allocate_private_ip`] and [`release_private_ip`].

// `AwsError` is the project-wide error type (128 bytes); every handler returns it by value.
mod filters;
mod security_groups;
mod subnets;
mod tags;
mod vpcs;
mod zones;

#[cfg(test)]
mod tests;

use super::{err, Op};
use crate::env::Ids;
use crate::protocol::{AwsError, AwsResult};
use cutover_types::ec2 as t;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use security_groups::{Peer, Rule, SecurityGroup};
pub use zones::Zone;

/// An IPv4 CIDR block whose host bits are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: u32,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`; `None` when malformed or when host bits are set.
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = text.split_once('/')?;
        let addr: std::net::Ipv4Addr = addr.parse().ok()?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = prefix.parse().ok()?;
        if prefix > 32 {
            return None;
        }
        let cidr = Cidr {
            addr: u32::from(addr),
            prefix,
        };
        (cidr.addr & !cidr.mask() == 0).then_some(cidr)
    }

    pub fn mask(self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    /// Number of addresses in the block.
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    pub fn last(self) -> u32 {
        self.addr | !self.mask()
    }

    pub fn contains(self, other: Cidr) -> bool {
        other.prefix >= self.prefix && other.addr & self.mask() == self.addr
    }

    pub fn overlaps(self, other: Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", std::net::Ipv4Addr::from(self.addr), self.prefix)
    }
}

/// One VPC.
#[derive(Debug, Clone)]
pub struct Vpc {
    pub id: String,
    pub cidr: Cidr,
    pub cidr_association_id: String,
    pub is_default: bool,
    pub instance_tenancy: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
    pub enable_network_address_usage_metrics: bool,
}

/// One subnet. `allocated` holds the private addresses handed out by [`allocate_private_ip`].
#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr: Cidr,
    pub availability_zone: String,
    pub availability_zone_id: String,
    pub default_for_az: bool,
    pub map_public_ip_on_launch: bool,
    pub allocated: BTreeSet<u32>,
}

impl Subnet {
    /// AWS reserves the first four addresses and the last one of every subnet.
    pub fn available_ip_address_count(&self) -> u64 {
        self.cidr
            .size()
            .saturating_sub(5)
            .saturating_sub(self.allocated.len() as u64)
    }

    pub fn cidr_block(&self) -> String {
        self.cidr.to_string()
    }
}

/// The EC2 state of one account and region.
#[derive(Debug, Default)]
pub struct State {
    pub account: String,
    pub region: String,
    pub zones: Vec<Zone>,
    pub dhcp_options_id: String,
    /// Empty once the default VPC has been deleted.
    pub default_vpc_id: String,
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub security_groups: Vec<SecurityGroup>,
    /// Tags by resource id, each list in the order its keys were first set.
    pub tags: BTreeMap<String, Vec<(String, String)>>,
}

impl State {
    /// The region as a new AWS account has it: a default VPC `172.31.0.0/16` with its default
    /// security group, and one default `/20` subnet per availability zone.
    pub fn new(account: &str, region: &str, ids: &mut Ids) -> State {
        let mut st = State {
            account: account.to_owned(),
            region: region.to_owned(),
            zones: zones::zones_for(region),
            dhcp_options_id: format!("dopt-{}", ids.hex(17)),
            ..State::default()
        };
        let cidr = Cidr {
            addr: u32::from(std::net::Ipv4Addr::new(172, 31, 0, 0)),
            prefix: 16,
        };
        let vpc_id = vpcs::insert_vpc(&mut st, ids, cidr, true, "default");
        st.default_vpc_id = vpc_id.clone();
        for (i, zone) in st.zones.clone().into_iter().enumerate() {
            // 172.31.0.0/20, 172.31.16.0/20, ... (a /16 holds sixteen of them).
            let Ok(i) = u32::try_from(i) else { break };
            if i >= 16 {
                break;
            }
            let cidr = Cidr {
                addr: cidr.addr + (i << 12),
                prefix: 20,
            };
            st.subnets.push(Subnet {
                id: format!("subnet-{}", ids.hex(17)),
                vpc_id: vpc_id.clone(),
                cidr,
                availability_zone: zone.name,
                availability_zone_id: zone.id,
                default_for_az: true,
                map_public_ip_on_launch: true,
                allocated: BTreeSet::new(),
            });
        }
        st
    }

    pub fn vpc(&self, id: &str) -> Option<&Vpc> {
        self.vpcs.iter().find(|v| v.id == id)
    }

    pub fn tags_of(&self, id: &str) -> &[(String, String)] {
        self.tags.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    pub(crate) fn subnet_mut(&mut self, id: &str) -> Option<&mut Subnet> {
        self.subnets.iter_mut().find(|s| s.id == id)
    }

    pub(crate) fn group_mut(&mut self, id: &str) -> Option<&mut SecurityGroup> {
        self.security_groups.iter_mut().find(|g| g.id == id)
    }

    pub(crate) fn arn(&self, kind: &str, id: &str) -> String {
        format!("arn:aws:ec2:{}:{}:{kind}/{id}", self.region, self.account)
    }
}

// ---- typed lookups for other services -------------------------------------------------------

/// A subnet by id (`vpc_id`, `availability_zone`, `cidr` for ELBv2, ECS and Lambda).
pub fn subnet<'a>(st: &'a State, id: &str) -> Option<&'a Subnet> {
    st.subnets.iter().find(|s| s.id == id)
}

/// A security group by id.
pub fn security_group<'a>(st: &'a State, id: &str) -> Option<&'a SecurityGroup> {
    st.security_groups.iter().find(|g| g.id == id)
}

/// A VPC by id.
pub fn vpc<'a>(st: &'a State, id: &str) -> Option<&'a Vpc> {
    st.vpc(id)
}

/// The id of the region's default VPC; empty if the default VPC has been deleted.
pub fn default_vpc_id(st: &State) -> &str {
    &st.default_vpc_id
}

/// The default subnets (one per availability zone) of the default VPC, in zone order.
pub fn default_subnet_ids(st: &State) -> Vec<String> {
    st.subnets
        .iter()
        .filter(|s| s.default_for_az && s.vpc_id == st.default_vpc_id)
        .map(|s| s.id.clone())
        .collect()
}

/// The id of a VPC's security group named `default`.
pub fn default_security_group_id<'a>(st: &'a State, vpc_id: &str) -> Option<&'a str> {
    st.security_groups
        .iter()
        .find(|g| g.vpc_id == vpc_id && g.name == "default")
        .map(|g| g.id.as_str())
}

/// Hands out the lowest free private address of the subnet, skipping the four first addresses
/// and the last one (AWS reserves them). `None` when the subnet is unknown or full.
pub fn allocate_private_ip(st: &mut State, subnet_id: &str) -> Option<String> {
    let subnet = st.subnet_mut(subnet_id)?;
    let first = subnet.cidr.addr.checked_add(4)?;
    let last = subnet.cidr.last().checked_sub(1)?;
    let free = (first..=last).find(|a| !subnet.allocated.contains(a))?;
    subnet.allocated.insert(free);
    Some(std::net::Ipv4Addr::from(free).to_string())
}

/// Gives an address back to its subnet. Returns whether it was allocated.
pub fn release_private_ip(st: &mut State, subnet_id: &str, ip: &str) -> bool {
    let Ok(addr) = ip.parse::<std::net::Ipv4Addr>() else {
        return false;
    };
    st.subnet_mut(subnet_id)
        .is_some_and(|s| s.allocated.remove(&u32::from(addr)))
}

// ---- handler plumbing -------------------------------------------------------------------------

macro_rules! operations {
    ($($name:literal => $f:path),* $(,)?) => {
        /// The operations this module implements.
        pub const OPERATIONS: &[&str] = &[$($name),*];

        pub fn handler(op: &str) -> Option<Op<State>> {
            $(
                if op == $name {
                    return Some(typed!($f));
                }
            )*
            None
        }
    };
}

operations! {
    "DescribeAvailabilityZones" => zones::describe_availability_zones,
    "DescribeRegions" => zones::describe_regions,
    "DescribeVpcs" => vpcs::describe_vpcs,
    "CreateVpc" => vpcs::create_vpc,
    "DeleteVpc" => vpcs::delete_vpc,
    "ModifyVpcAttribute" => vpcs::modify_vpc_attribute,
    "DescribeVpcAttribute" => vpcs::describe_vpc_attribute,
    "DescribeSubnets" => subnets::describe_subnets,
    "CreateSubnet" => subnets::create_subnet,
    "DeleteSubnet" => subnets::delete_subnet,
    "ModifySubnetAttribute" => subnets::modify_subnet_attribute,
    "DescribeSecurityGroups" => security_groups::describe_security_groups,
    "CreateSecurityGroup" => security_groups::create_security_group,
    "DeleteSecurityGroup" => security_groups::delete_security_group,
    "AuthorizeSecurityGroupIngress" => security_groups::authorize_ingress,
    "AuthorizeSecurityGroupEgress" => security_groups::authorize_egress,
    "RevokeSecurityGroupIngress" => security_groups::revoke_ingress,
    "RevokeSecurityGroupEgress" => security_groups::revoke_egress,
    "DescribeSecurityGroupRules" => security_groups::describe_security_group_rules,
    "CreateTags" => tags::create_tags,
    "DeleteTags" => tags::delete_tags,
    "DescribeTags" => tags::describe_tags,
}

// ---- shared helpers ---------------------------------------------------------------------------

/// `MissingParameter` as EC2 words it.
pub(crate) fn missing(param: &str) -> AwsError {
    err(
        "MissingParameter",
        format!("The request must contain the parameter {param}"),
    )
}

pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    err("InvalidParameterValue", message)
}

/// Whether `id` is `prefix` followed by 8 or 17 lower-case hex digits.
pub(crate) fn well_formed(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        (rest.len() == 8 || rest.len() == 17) && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

pub(crate) fn vpc_not_found(id: &str) -> AwsError {
    err("InvalidVpcID.NotFound", format!("The vpc ID '{id}' does not exist"))
}

pub(crate) fn subnet_not_found(id: &str) -> AwsError {
    err(
        "InvalidSubnetID.NotFound",
        format!("The subnet ID '{id}' does not exist"),
    )
}

pub(crate) fn group_not_found(id: &str) -> AwsError {
    err(
        "InvalidGroup.NotFound",
        format!("The security group '{id}' does not exist"),
    )
}

/// The VPC `id`, checking its form first (`InvalidVpcID.Malformed`, then `.NotFound`).
pub(crate) fn find_vpc<'a>(st: &'a State, id: &str) -> AwsResult<&'a Vpc> {
    if !well_formed(id, "vpc-") {
        return Err(err("InvalidVpcID.Malformed", format!("Invalid id: \"{id}\"")));
    }
    st.vpc(id).ok_or_else(|| vpc_not_found(id))
}

/// Tags as the `TagList` output shape; `None` (so the member is left out) when there are none.
pub(crate) fn tags_out(st: &State, id: &str) -> Option<Vec<t::Tag>> {
    let tags = st.tags_of(id);
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| t::Tag {
                key: Some(k.clone()),
                value: Some(v.clone()),
            })
            .collect()
    })
}

/// Pages `items` by `MaxResults` / `NextToken`, when `MaxResults` is given.
pub(crate) fn page<T: Clone>(
    items: Vec<T>,
    max_results: Option<i64>,
    token: Option<&str>,
    min: i64,
    max: i64,
) -> AwsResult<(Vec<T>, Option<String>)> {
    let Some(limit) = max_results else {
        if token.is_some_and(|t| !t.is_empty()) {
            return super::util::paginate(&items, token, usize::MAX, "InvalidParameterValue");
        }
        return Ok((items, None));
    };
    if limit < min || limit > max {
        return Err(invalid(format!(
            "Value ( {limit} ) for parameter maxResults is invalid. Expecting a value between {min} and {max}."
        )));
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    super::util::paginate(&items, token, limit, "InvalidParameterValue")
}

/// A required string member given empty: `MissingParameter` (naming it as the wire does).
pub(crate) fn non_empty<'a>(value: &'a str, wire_name: &str) -> AwsResult<&'a str> {
    if value.is_empty() {
        return Err(missing(wire_name));
    }
    Ok(value)
}
