//! Security groups and their rules: DescribeSecurityGroups, CreateSecurityGroup,
//! DeleteSecurityGroup, Authorize/RevokeSecurityGroupIngress/Egress, DescribeSecurityGroupRules.
//!
//! Rules are stored one per peer (as AWS's `sgr-` rules are); `IpPermissions` in the output groups
//! them by protocol and port range, in the order the ranges first appear.

use super::filters::{self, s};
use super::{err, find_vpc, group_not_found, invalid, missing, non_empty, tags, tags_out, well_formed, Cidr, State};
use crate::env::{Env, Ids};
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::ec2 as t;

/// Where a rule's traffic comes from (ingress) or goes to (egress).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Cidr4(String),
    Cidr6(String),
    Group { group_id: String, user_id: String },
    PrefixList(String),
}

/// One security group rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `sgr-` + 17 hex.
    pub id: String,
    /// `-1` (all), `tcp`, `udp`, `icmp`, `icmpv6` or a protocol number.
    pub protocol: String,
    /// Absent for protocols without ports; ICMP type for ICMP.
    pub from: Option<i64>,
    /// Absent for protocols without ports; ICMP code for ICMP.
    pub to: Option<i64>,
    pub peer: Peer,
    pub description: Option<String>,
}

impl Rule {
    fn same(&self, w: &Wanted) -> bool {
        self.protocol == w.protocol && self.from == w.from && self.to == w.to && self.peer == w.peer
    }
}

#[derive(Debug, Clone)]
pub struct SecurityGroup {
    /// `sg-` + 17 hex.
    pub id: String,
    pub name: String,
    pub description: String,
    pub vpc_id: String,
    pub ingress: Vec<Rule>,
    pub egress: Vec<Rule>,
}

impl SecurityGroup {
    fn rules(&self, egress: bool) -> &[Rule] {
        if egress {
            &self.egress
        } else {
            &self.ingress
        }
    }
}

/// The egress rule every new group starts with: all traffic to 0.0.0.0/0.
pub(super) fn all_traffic_egress(ids: &mut Ids) -> Rule {
    Rule {
        id: format!("sgr-{}", ids.hex(17)),
        protocol: "-1".into(),
        from: None,
        to: None,
        peer: Peer::Cidr4("0.0.0.0/0".into()),
        description: None,
    }
}

/// A rule as a request asks for it.
#[derive(Debug, Clone)]
struct Wanted {
    protocol: String,
    from: Option<i64>,
    to: Option<i64>,
    peer: Peer,
    description: Option<String>,
}

// ---- parsing ----------------------------------------------------------------------------------

fn normalize_protocol(p: &str) -> AwsResult<String> {
    let lower = p.to_ascii_lowercase();
    Ok(match lower.as_str() {
        "-1" | "all" => "-1".into(),
        "tcp" | "6" => "tcp".into(),
        "udp" | "17" => "udp".into(),
        "icmp" | "1" => "icmp".into(),
        "icmpv6" | "58" => "icmpv6".into(),
        n => match n.parse::<u8>() {
            Ok(num) => num.to_string(),
            Err(_) => {
                return Err(invalid(format!(
                    "Invalid value '{p}' for IP protocol. Unknown protocol."
                )))
            }
        },
    })
}

fn ports(protocol: &str, from: Option<i64>, to: Option<i64>) -> AwsResult<(Option<i64>, Option<i64>)> {
    match protocol {
        "tcp" | "udp" => {
            let (Some(f), Some(t)) = (from, to) else {
                return Err(invalid(
                    "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange",
                ));
            };
            if !(0..=65535).contains(&f) || !(0..=65535).contains(&t) || f > t {
                return Err(invalid(format!(
                    "Invalid TCP/UDP port range: from port {f}, to port {t}"
                )));
            }
            Ok((Some(f), Some(t)))
        }
        "icmp" | "icmpv6" => {
            let (f, t) = (from.unwrap_or(-1), to.unwrap_or(-1));
            if !(-1..=255).contains(&f) || !(-1..=255).contains(&t) {
                return Err(invalid(format!("Invalid ICMP type/code: type {f}, code {t}")));
            }
            Ok((Some(f), Some(t)))
        }
        _ => Ok((None, None)),
    }
}

fn cidr4(text: &str) -> AwsResult<String> {
    Cidr::parse(text)
        .map(|c| c.to_string())
        .ok_or_else(|| invalid(format!("CIDR block {text} is malformed")))
}

fn cidr6(text: &str) -> AwsResult<String> {
    let ok = text.split_once('/').is_some_and(|(a, p)| {
        a.parse::<std::net::Ipv6Addr>().is_ok()
            && !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u8>().is_ok_and(|n| n <= 128)
    });
    if ok {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(invalid(format!("CIDR block {text} is malformed")))
    }
}

/// A group referenced by a rule: by id anywhere in the region, by name in `vpc_id`.
fn referenced_group(st: &State, vpc_id: &str, id: Option<&str>, name: Option<&str>) -> AwsResult<String> {
    if let Some(id) = id {
        return super::security_group(st, id)
            .map(|g| g.id.clone())
            .ok_or_else(|| group_not_found(id));
    }
    let name = name.unwrap_or_default();
    st.security_groups
        .iter()
        .find(|g| g.vpc_id == vpc_id && g.name == name)
        .map(|g| g.id.clone())
        .ok_or_else(|| group_not_found(name))
}

/// A string member, `None` when absent or empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// What Authorize/Revoke Ingress/Egress say about the rules and the group they are about.
struct RuleRequest<'a> {
    group_id: Option<&'a str>,
    group_name: Option<&'a str>,
    ip_permissions: &'a [t::IpPermission],
    /// The old top-level members (`CidrIp`, `SourceSecurityGroupName`, ...).
    ip_protocol: Option<&'a str>,
    from_port: Option<i64>,
    to_port: Option<i64>,
    cidr_ip: Option<&'a str>,
    source_security_group_name: Option<&'a str>,
    source_security_group_owner_id: Option<&'a str>,
    security_group_rule_ids: &'a [String],
}

/// A [`RuleRequest`] from the members every one of the four requests has.
macro_rules! rule_request {
    ($input:expr, $group_id:expr, $group_name:expr, $rule_ids:expr) => {
        RuleRequest {
            group_id: $group_id,
            group_name: $group_name,
            ip_permissions: $input.ip_permissions.as_deref().unwrap_or_default(),
            ip_protocol: given(&$input.ip_protocol),
            from_port: $input.from_port.map(i64::from),
            to_port: $input.to_port.map(i64::from),
            cidr_ip: given(&$input.cidr_ip),
            source_security_group_name: given(&$input.source_security_group_name),
            source_security_group_owner_id: given(&$input.source_security_group_owner_id),
            security_group_rule_ids: $rule_ids,
        }
    };
}

/// The rules `IpPermissions` (and, when `flat`, the old top-level members) ask for.
fn wanted_rules(st: &State, group: &SecurityGroup, input: &RuleRequest<'_>, flat: bool) -> AwsResult<Vec<Wanted>> {
    let mut out = Vec::new();
    for p in input.ip_permissions {
        let protocol = normalize_protocol(p.ip_protocol.as_deref().unwrap_or("-1"))?;
        let (from, to) = ports(&protocol, p.from_port.map(i64::from), p.to_port.map(i64::from))?;
        let mut push = |peer: Peer, description: Option<&str>| {
            out.push(Wanted {
                protocol: protocol.clone(),
                from,
                to,
                peer,
                description: description.map(str::to_owned),
            })
        };
        for r in p.ip_ranges.iter().flatten() {
            let c = given(&r.cidr_ip).ok_or_else(|| missing("cidrIp"))?;
            push(Peer::Cidr4(cidr4(c)?), given(&r.description));
        }
        for r in p.ipv6_ranges.iter().flatten() {
            let c = given(&r.cidr_ipv6).ok_or_else(|| missing("cidrIpv6"))?;
            push(Peer::Cidr6(cidr6(c)?), given(&r.description));
        }
        for r in p.user_id_group_pairs.iter().flatten() {
            let id = given(&r.group_id);
            let name = given(&r.group_name);
            if id.is_none() && name.is_none() {
                return Err(missing("groupId"));
            }
            let group_id = referenced_group(st, &group.vpc_id, id, name)?;
            let user_id = given(&r.user_id).map_or_else(|| st.account.clone(), str::to_owned);
            push(Peer::Group { group_id, user_id }, given(&r.description));
        }
        for r in p.prefix_list_ids.iter().flatten() {
            let id = given(&r.prefix_list_id).ok_or_else(|| missing("prefixListId"))?;
            if !id.starts_with("pl-") {
                return Err(err("InvalidPrefixListId.Malformed", format!("Invalid id: \"{id}\"")));
            }
            push(Peer::PrefixList(id.to_owned()), given(&r.description));
        }
    }
    if flat {
        let proto = input.ip_protocol;
        let (from, to) = (input.from_port, input.to_port);
        if let Some(c) = input.cidr_ip {
            let protocol = normalize_protocol(proto.ok_or_else(|| missing("ipProtocol"))?)?;
            let (from, to) = ports(&protocol, from, to)?;
            out.push(Wanted {
                protocol,
                from,
                to,
                peer: Peer::Cidr4(cidr4(c)?),
                description: None,
            });
        }
        if let Some(name) = input.source_security_group_name {
            let group_id = referenced_group(st, &group.vpc_id, None, Some(name))?;
            let user_id = input
                .source_security_group_owner_id
                .map_or_else(|| st.account.clone(), str::to_owned);
            let peer = Peer::Group { group_id, user_id };
            // Without a protocol, the old form grants full TCP, UDP and ICMP access.
            let specs = match proto {
                Some(p) => {
                    let protocol = normalize_protocol(p)?;
                    let (f, t) = ports(&protocol, from, to)?;
                    vec![(protocol, f, t)]
                }
                None => vec![
                    ("tcp".to_owned(), Some(0), Some(65535)),
                    ("udp".to_owned(), Some(0), Some(65535)),
                    ("icmp".to_owned(), Some(-1), Some(-1)),
                ],
            };
            for (protocol, from, to) in specs {
                out.push(Wanted {
                    protocol,
                    from,
                    to,
                    peer: peer.clone(),
                    description: None,
                });
            }
        }
    }
    Ok(out)
}

// ---- output -----------------------------------------------------------------------------------

fn peer_text(p: &Peer) -> &str {
    match p {
        Peer::Cidr4(c) | Peer::Cidr6(c) | Peer::PrefixList(c) => c,
        Peer::Group { group_id, .. } => group_id,
    }
}

/// `peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW` as InvalidPermission.Duplicate words it.
fn rule_text(w: &Wanted) -> String {
    let proto = match w.protocol.as_str() {
        "-1" => "ALL".to_owned(),
        p => p.to_ascii_uppercase(),
    };
    let ports = match (w.protocol.as_str(), w.from, w.to) {
        ("tcp" | "udp", Some(f), Some(t)) => format!(", from port: {f}, to port: {t}"),
        ("icmp" | "icmpv6", Some(f), Some(t)) => format!(", type: {f}, code: {t}"),
        _ => String::new(),
    };
    format!("peer: {}, {proto}{ports}, ALLOW", peer_text(&w.peer))
}

/// A port (or ICMP type/code) on the wire: `-1` when the protocol has none.
fn port_out(p: Option<i64>) -> i32 {
    p.map_or(-1, |p| i32::try_from(p).unwrap_or(-1))
}

fn rule_value(st: &State, g: &SecurityGroup, r: &Rule, egress: bool) -> t::SecurityGroupRule {
    let mut out = t::SecurityGroupRule {
        security_group_rule_id: Some(r.id.clone()),
        group_id: Some(g.id.clone()),
        group_owner_id: Some(st.account.clone()),
        is_egress: Some(egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(port_out(r.from)),
        to_port: Some(port_out(r.to)),
        description: r.description.clone(),
        tags: Some(Vec::new()),
        security_group_rule_arn: Some(st.arn("security-group-rule", &r.id)),
        ..Default::default()
    };
    match &r.peer {
        Peer::Cidr4(c) => out.cidr_ipv4 = Some(c.clone()),
        Peer::Cidr6(c) => out.cidr_ipv6 = Some(c.clone()),
        Peer::PrefixList(p) => out.prefix_list_id = Some(p.clone()),
        Peer::Group { group_id, user_id } => {
            out.referenced_group_info = Some(t::ReferencedSecurityGroup {
                group_id: Some(group_id.clone()),
                user_id: Some(user_id.clone()),
                ..Default::default()
            })
        }
    }
    out
}

fn revoked_value(g: &SecurityGroup, r: &Rule, egress: bool) -> t::RevokedSecurityGroupRule {
    let mut out = t::RevokedSecurityGroupRule {
        security_group_rule_id: Some(r.id.clone()),
        group_id: Some(g.id.clone()),
        is_egress: Some(egress),
        ip_protocol: Some(r.protocol.clone()),
        from_port: Some(port_out(r.from)),
        to_port: Some(port_out(r.to)),
        description: r.description.clone(),
        ..Default::default()
    };
    let text = Some(peer_text(&r.peer).to_owned());
    match &r.peer {
        Peer::Cidr4(_) => out.cidr_ipv4 = text,
        Peer::Cidr6(_) => out.cidr_ipv6 = text,
        Peer::PrefixList(_) => out.prefix_list_id = text,
        Peer::Group { .. } => out.referenced_group_id = text,
    }
    out
}

/// (protocol, from port, to port): what one `IpPermission` groups by.
type PortKey = (String, Option<i64>, Option<i64>);

/// One `IpPermission` per (protocol, ports), holding every peer of those rules.
fn permissions<'a>(
    rules: impl Iterator<Item = (&'a str, Option<i64>, Option<i64>, &'a Peer, Option<&'a str>)>,
) -> Vec<t::IpPermission> {
    let mut out: Vec<(PortKey, t::IpPermission)> = Vec::new();
    for (protocol, from, to, peer, description) in rules {
        let key = (protocol.to_owned(), from, to);
        let idx = match out.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let perm = t::IpPermission {
                    ip_protocol: Some(protocol.to_owned()),
                    from_port: from.map(|f| port_out(Some(f))),
                    to_port: to.map(|t| port_out(Some(t))),
                    ip_ranges: Some(Vec::new()),
                    ipv6_ranges: Some(Vec::new()),
                    prefix_list_ids: Some(Vec::new()),
                    user_id_group_pairs: Some(Vec::new()),
                };
                out.push((key, perm));
                out.len() - 1
            }
        };
        let description = description.map(str::to_owned);
        let perm = &mut out[idx].1;
        match peer {
            Peer::Cidr4(c) => perm.ip_ranges.get_or_insert_with(Vec::new).push(t::IpRange {
                cidr_ip: Some(c.clone()),
                description,
            }),
            Peer::Cidr6(c) => perm.ipv6_ranges.get_or_insert_with(Vec::new).push(t::Ipv6Range {
                cidr_ipv6: Some(c.clone()),
                description,
            }),
            Peer::PrefixList(p) => perm.prefix_list_ids.get_or_insert_with(Vec::new).push(t::PrefixListId {
                prefix_list_id: Some(p.clone()),
                description,
            }),
            Peer::Group { group_id, user_id } => {
                perm.user_id_group_pairs
                    .get_or_insert_with(Vec::new)
                    .push(t::UserIdGroupPair {
                        group_id: Some(group_id.clone()),
                        user_id: Some(user_id.clone()),
                        description,
                        ..Default::default()
                    })
            }
        }
    }
    out.into_iter().map(|(_, v)| v).collect()
}

fn stored_permissions(rules: &[Rule]) -> Vec<t::IpPermission> {
    permissions(
        rules
            .iter()
            .map(|r| (r.protocol.as_str(), r.from, r.to, &r.peer, r.description.as_deref())),
    )
}

fn group_value(st: &State, g: &SecurityGroup) -> t::SecurityGroup {
    t::SecurityGroup {
        group_id: Some(g.id.clone()),
        ip_permissions_egress: Some(stored_permissions(&g.egress)),
        tags: tags_out(st, &g.id),
        vpc_id: Some(g.vpc_id.clone()),
        security_group_arn: Some(st.arn("security-group", &g.id)),
        owner_id: Some(st.account.clone()),
        group_name: Some(g.name.clone()),
        description: Some(g.description.clone()),
        ip_permissions: Some(stored_permissions(&g.ingress)),
    }
}

// ---- lookups ----------------------------------------------------------------------------------

fn find_group_by_id<'a>(st: &'a State, id: &str) -> AwsResult<&'a SecurityGroup> {
    if !well_formed(id, "sg-") {
        return Err(err(
            "InvalidGroupId.Malformed",
            format!("Invalid id: \"{id}\" (expecting \"sg-...\")"),
        ));
    }
    super::security_group(st, id).ok_or_else(|| group_not_found(id))
}

fn find_group_by_name<'a>(st: &'a State, name: &str) -> AwsResult<&'a SecurityGroup> {
    if st.default_vpc_id.is_empty() {
        return Err(err("VPCIdNotSpecified", "No default VPC for this user"));
    }
    st.security_groups
        .iter()
        .find(|g| g.vpc_id == st.default_vpc_id && g.name == name)
        .ok_or_else(|| {
            err(
                "InvalidGroup.NotFound",
                format!(
                    "The security group '{name}' does not exist in default VPC '{}'",
                    st.default_vpc_id
                ),
            )
        })
}

/// The group a call names by `GroupId`, or by `GroupName` in the default VPC.
fn target_group(
    st: &State,
    group_id: Option<&str>,
    group_name: Option<&str>,
    name_allowed: bool,
) -> AwsResult<SecurityGroup> {
    if let Some(id) = group_id {
        return find_group_by_id(st, id).cloned();
    }
    match group_name {
        Some(name) if name_allowed => find_group_by_name(st, name).cloned(),
        _ if name_allowed => Err(missing("groupName or groupId")),
        _ => Err(missing("groupId")),
    }
}

// ---- handlers ---------------------------------------------------------------------------------

const GROUP_FILTERS: &[&str] = &[
    "group-id",
    "group-name",
    "vpc-id",
    "description",
    "owner-id",
    "ip-permission.cidr",
    "ip-permission.ipv6-cidr",
    "ip-permission.from-port",
    "ip-permission.to-port",
    "ip-permission.protocol",
    "ip-permission.group-id",
    "ip-permission.group-name",
    "ip-permission.prefix-list-id",
    "ip-permission.user-id",
    "egress.ip-permission.cidr",
    "egress.ip-permission.ipv6-cidr",
    "egress.ip-permission.from-port",
    "egress.ip-permission.to-port",
    "egress.ip-permission.protocol",
    "egress.ip-permission.group-id",
    "egress.ip-permission.group-name",
    "egress.ip-permission.prefix-list-id",
    "egress.ip-permission.user-id",
];

fn group_field(st: &State, g: &SecurityGroup, name: &str) -> Vec<String> {
    let (rules, field) = match name.strip_prefix("egress.ip-permission.") {
        Some(f) => (&g.egress, f),
        None => match name.strip_prefix("ip-permission.") {
            Some(f) => (&g.ingress, f),
            None => {
                return match name {
                    "group-id" => s(&g.id),
                    "group-name" => s(&g.name),
                    "vpc-id" => s(&g.vpc_id),
                    "description" => s(&g.description),
                    "owner-id" => s(&st.account),
                    _ => vec![],
                }
            }
        },
    };
    rules
        .iter()
        .filter_map(|r| match (field, &r.peer) {
            ("cidr", Peer::Cidr4(c)) | ("ipv6-cidr", Peer::Cidr6(c)) | ("prefix-list-id", Peer::PrefixList(c)) => {
                Some(c.clone())
            }
            ("group-id", Peer::Group { group_id, .. }) => Some(group_id.clone()),
            ("group-name", Peer::Group { group_id, .. }) => super::security_group(st, group_id).map(|g| g.name.clone()),
            ("user-id", Peer::Group { user_id, .. }) => Some(user_id.clone()),
            ("from-port", _) => Some(r.from.unwrap_or(-1).to_string()),
            ("to-port", _) => Some(r.to.unwrap_or(-1).to_string()),
            ("protocol", _) => Some(r.protocol.clone()),
            _ => None,
        })
        .collect()
}

pub fn describe_security_groups(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeSecurityGroupsRequest,
) -> AwsResult<t::DescribeSecurityGroupsResult> {
    let ids = input.group_ids.clone().unwrap_or_default();
    let names = input.group_names.clone().unwrap_or_default();
    let mut selected: Vec<String> = Vec::new();
    for id in &ids {
        selected.push(find_group_by_id(st, id)?.id.clone());
    }
    for name in &names {
        selected.push(find_group_by_name(st, name)?.id.clone());
    }
    let filters = filters::parse(input.filters.as_deref(), GROUP_FILTERS, true)?;
    let groups = st
        .security_groups
        .iter()
        .filter(|g| (ids.is_empty() && names.is_empty()) || selected.contains(&g.id))
        .filter(|g| filters::matches(&filters, st.tags_of(&g.id), |name| group_field(st, g, name)))
        .map(|g| group_value(st, g))
        .collect();
    let (page, next) = super::page(
        groups,
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        5,
        1000,
    )?;
    Ok(t::DescribeSecurityGroupsResult {
        security_groups: Some(page),
        next_token: next,
    })
}

pub fn create_security_group(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::CreateSecurityGroupRequest,
) -> AwsResult<t::CreateSecurityGroupResult> {
    let name = non_empty(&input.group_name, "groupName")?;
    let description = non_empty(&input.description, "GroupDescription")?;
    if name.len() > 255 {
        return Err(invalid(format!(
            "Value ({name}) for parameter GroupName is invalid. Group names may be at most 255 characters long."
        )));
    }
    if description.len() > 255 {
        return Err(invalid(format!(
            "Value ({description}) for parameter GroupDescription is invalid. Descriptions may be at most 255 characters long."
        )));
    }
    if name.to_ascii_lowercase().starts_with("sg-") {
        return Err(invalid(format!(
            "Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*."
        )));
    }
    let vpc_id = match given(&input.vpc_id) {
        Some(id) => find_vpc(st, id)?.id.clone(),
        None if st.default_vpc_id.is_empty() => return Err(err("VPCIdNotSpecified", "No default VPC for this user")),
        None => st.default_vpc_id.clone(),
    };
    if st.security_groups.iter().any(|g| g.vpc_id == vpc_id && g.name == name) {
        return Err(err(
            "InvalidGroup.Duplicate",
            format!("The security group '{name}' already exists for VPC '{vpc_id}'"),
        ));
    }
    let new_tags = tags::from_specifications(input.tag_specifications.as_deref(), "security-group")?;
    let group = SecurityGroup {
        id: format!("sg-{}", env.ids.hex(17)),
        name: name.to_owned(),
        description: description.to_owned(),
        vpc_id,
        ingress: Vec::new(),
        egress: vec![all_traffic_egress(env.ids)],
    };
    let id = group.id.clone();
    st.security_groups.push(group);
    tags::set_tags(st, &id, &new_tags)?;
    Ok(t::CreateSecurityGroupResult {
        security_group_arn: Some(st.arn("security-group", &id)),
        tags: tags_out(st, &id),
        group_id: Some(id),
    })
}

pub fn delete_security_group(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteSecurityGroupRequest,
) -> AwsResult<t::DeleteSecurityGroupResult> {
    let group = target_group(st, given(&input.group_id), given(&input.group_name), true)?;
    if group.name == "default" {
        return Err(err(
            "CannotDelete",
            format!(
                "the specified group: \"{}\" name: \"default\" cannot be deleted by a user",
                group.id
            ),
        ));
    }
    let referenced = st.security_groups.iter().filter(|g| g.id != group.id).any(|g| {
        g.ingress
            .iter()
            .chain(&g.egress)
            .any(|r| matches!(&r.peer, Peer::Group { group_id, .. } if *group_id == group.id))
    });
    if referenced {
        return Err(err(
            "DependencyViolation",
            format!("resource {} has a dependent object", group.id),
        ));
    }
    st.security_groups.retain(|g| g.id != group.id);
    st.tags.remove(&group.id);
    Ok(t::DeleteSecurityGroupResult {
        r#return: Some(true),
        group_id: Some(group.id),
    })
}

fn authorize(
    st: &mut State,
    ids: &mut Ids,
    input: &RuleRequest<'_>,
    egress: bool,
) -> AwsResult<Vec<t::SecurityGroupRule>> {
    let group = target_group(st, input.group_id, input.group_name, !egress)?;
    let wanted = wanted_rules(st, &group, input, !egress)?;
    if wanted.is_empty() {
        return Err(missing("ipPermissions"));
    }
    let existing = group.rules(egress);
    for (i, w) in wanted.iter().enumerate() {
        let in_request = wanted[..i]
            .iter()
            .any(|o| o.protocol == w.protocol && o.from == w.from && o.to == w.to && o.peer == w.peer);
        if in_request || existing.iter().any(|r| r.same(w)) {
            return Err(err(
                "InvalidPermission.Duplicate",
                format!("the specified rule \"{}\" already exists", rule_text(w)),
            ));
        }
    }
    let new_rules: Vec<Rule> = wanted
        .into_iter()
        .map(|w| Rule {
            id: format!("sgr-{}", ids.hex(17)),
            protocol: w.protocol,
            from: w.from,
            to: w.to,
            peer: w.peer,
            description: w.description,
        })
        .collect();
    let g = st.group_mut(&group.id).ok_or_else(|| group_not_found(&group.id))?;
    if egress {
        g.egress.extend(new_rules.iter().cloned());
    } else {
        g.ingress.extend(new_rules.iter().cloned());
    }
    Ok(new_rules.iter().map(|r| rule_value(st, &group, r, egress)).collect())
}

pub fn authorize_ingress(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::AuthorizeSecurityGroupIngressRequest,
) -> AwsResult<t::AuthorizeSecurityGroupIngressResult> {
    let request = rule_request!(input, given(&input.group_id), given(&input.group_name), &[]);
    let rules = authorize(st, env.ids, &request, false)?;
    Ok(t::AuthorizeSecurityGroupIngressResult {
        r#return: Some(true),
        security_group_rules: Some(rules),
    })
}

pub fn authorize_egress(
    st: &mut State,
    env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::AuthorizeSecurityGroupEgressRequest,
) -> AwsResult<t::AuthorizeSecurityGroupEgressResult> {
    let group_id = Some(input.group_id.as_str()).filter(|s| !s.is_empty());
    let request = rule_request!(input, group_id, None, &[]);
    let rules = authorize(st, env.ids, &request, true)?;
    Ok(t::AuthorizeSecurityGroupEgressResult {
        r#return: Some(true),
        security_group_rules: Some(rules),
    })
}

/// What a revoke did: the rules it removed, and the asked-for rules that did not exist (allowed
/// in the default VPC).
type Revoked = (Vec<t::RevokedSecurityGroupRule>, Option<Vec<t::IpPermission>>);

fn revoke(st: &mut State, input: &RuleRequest<'_>, egress: bool) -> AwsResult<Revoked> {
    let group = target_group(st, input.group_id, input.group_name, !egress)?;
    let rules = group.rules(egress);
    let mut doomed: Vec<String> = Vec::new();
    for id in input.security_group_rule_ids {
        if !rules.iter().any(|r| &r.id == id) {
            return Err(err(
                "InvalidSecurityGroupRuleId.NotFound",
                format!("The security group rule ID '{id}' does not exist"),
            ));
        }
        doomed.push(id.clone());
    }
    let wanted = wanted_rules(st, &group, input, !egress)?;
    if wanted.is_empty() && doomed.is_empty() {
        return Err(missing("ipPermissions"));
    }
    let mut unknown: Vec<&Wanted> = Vec::new();
    for w in &wanted {
        match rules.iter().find(|r| r.same(w)) {
            Some(r) => doomed.push(r.id.clone()),
            None => unknown.push(w),
        }
    }
    let in_default_vpc = group.vpc_id == st.default_vpc_id;
    if !unknown.is_empty() && !in_default_vpc {
        return Err(err(
            "InvalidPermission.NotFound",
            "The specified rule does not exist in this security group.",
        ));
    }
    let revoked = rules
        .iter()
        .filter(|r| doomed.contains(&r.id))
        .map(|r| revoked_value(&group, r, egress))
        .collect();
    if let Some(g) = st.group_mut(&group.id) {
        if egress {
            g.egress.retain(|r| !doomed.contains(&r.id));
        } else {
            g.ingress.retain(|r| !doomed.contains(&r.id));
        }
    }
    let unknown = (!unknown.is_empty()).then(|| {
        permissions(
            unknown
                .iter()
                .map(|w| (w.protocol.as_str(), w.from, w.to, &w.peer, w.description.as_deref())),
        )
    });
    Ok((revoked, unknown))
}

pub fn revoke_ingress(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::RevokeSecurityGroupIngressRequest,
) -> AwsResult<t::RevokeSecurityGroupIngressResult> {
    let rule_ids = input.security_group_rule_ids.as_deref().unwrap_or_default();
    let request = rule_request!(input, given(&input.group_id), given(&input.group_name), rule_ids);
    let (revoked, unknown) = revoke(st, &request, false)?;
    Ok(t::RevokeSecurityGroupIngressResult {
        r#return: Some(true),
        unknown_ip_permissions: unknown,
        revoked_security_group_rules: Some(revoked),
    })
}

pub fn revoke_egress(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::RevokeSecurityGroupEgressRequest,
) -> AwsResult<t::RevokeSecurityGroupEgressResult> {
    let rule_ids = input.security_group_rule_ids.as_deref().unwrap_or_default();
    let group_id = Some(input.group_id.as_str()).filter(|s| !s.is_empty());
    let request = rule_request!(input, group_id, None, rule_ids);
    let (revoked, unknown) = revoke(st, &request, true)?;
    Ok(t::RevokeSecurityGroupEgressResult {
        r#return: Some(true),
        unknown_ip_permissions: unknown,
        revoked_security_group_rules: Some(revoked),
    })
}

pub fn describe_security_group_rules(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeSecurityGroupRulesRequest,
) -> AwsResult<t::DescribeSecurityGroupRulesResult> {
    let ids = input.security_group_rule_ids.clone().unwrap_or_default();
    let all = || {
        st.security_groups
            .iter()
            .flat_map(|g| g.ingress.iter().chain(&g.egress))
    };
    if let Some(bad) = ids.iter().find(|id| !all().any(|r| &r.id == *id)) {
        return Err(AwsError::new(
            "InvalidSecurityGroupRuleId.NotFound",
            format!("The security group rule ID '{bad}' does not exist"),
        ));
    }
    let filters = filters::parse(input.filters.as_deref(), &["group-id", "security-group-rule-id"], true)?;
    let mut out = Vec::new();
    for g in &st.security_groups {
        for (egress, r) in g
            .ingress
            .iter()
            .map(|r| (false, r))
            .chain(g.egress.iter().map(|r| (true, r)))
        {
            if !ids.is_empty() && !ids.contains(&r.id) {
                continue;
            }
            let pass = filters::matches(&filters, &[], |name| match name {
                "group-id" => s(&g.id),
                "security-group-rule-id" => s(&r.id),
                _ => vec![],
            });
            if pass {
                out.push(rule_value(st, g, r, egress));
            }
        }
    }
    let (page, next) = super::page(
        out,
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        5,
        1000,
    )?;
    Ok(t::DescribeSecurityGroupRulesResult {
        security_group_rules: Some(page),
        next_token: next,
    })
}
