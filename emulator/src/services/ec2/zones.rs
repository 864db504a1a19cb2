//! Availability zones and regions: DescribeAvailabilityZones, DescribeRegions.
//!
//! Zone names and ids are real ones; which name maps to which id differs per AWS account, so the
//! mapping here is one fixed, plausible mapping.

use super::filters::{self, s};
use super::{invalid, State};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::Ctx;
use cutover_types::ec2 as t;

#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: String,
    pub id: String,
}

/// (region, [(zone letter, zone id)]).
const ZONES: &[(&str, &[(&str, &str)])] = &[
    (
        "us-east-1",
        &[
            ("a", "use1-az6"),
            ("b", "use1-az1"),
            ("c", "use1-az2"),
            ("d", "use1-az4"),
            ("e", "use1-az3"),
            ("f", "use1-az5"),
        ],
    ),
    ("us-east-2", &[("a", "use2-az1"), ("b", "use2-az2"), ("c", "use2-az3")]),
    ("us-west-1", &[("a", "usw1-az3"), ("c", "usw1-az1")]),
    (
        "us-west-2",
        &[
            ("a", "usw2-az2"),
            ("b", "usw2-az1"),
            ("c", "usw2-az3"),
            ("d", "usw2-az4"),
        ],
    ),
    (
        "ca-central-1",
        &[("a", "cac1-az1"), ("b", "cac1-az2"), ("d", "cac1-az4")],
    ),
    ("sa-east-1", &[("a", "sae1-az1"), ("b", "sae1-az2"), ("c", "sae1-az3")]),
    ("eu-west-1", &[("a", "euw1-az3"), ("b", "euw1-az1"), ("c", "euw1-az2")]),
    ("eu-west-2", &[("a", "euw2-az2"), ("b", "euw2-az3"), ("c", "euw2-az1")]),
    ("eu-west-3", &[("a", "euw3-az1"), ("b", "euw3-az2"), ("c", "euw3-az3")]),
    (
        "eu-central-1",
        &[("a", "euc1-az2"), ("b", "euc1-az3"), ("c", "euc1-az1")],
    ),
    ("eu-north-1", &[("a", "eun1-az1"), ("b", "eun1-az2"), ("c", "eun1-az3")]),
    ("ap-south-1", &[("a", "aps1-az1"), ("b", "aps1-az3"), ("c", "aps1-az2")]),
    (
        "ap-northeast-1",
        &[("a", "apne1-az4"), ("c", "apne1-az1"), ("d", "apne1-az2")],
    ),
    (
        "ap-northeast-2",
        &[
            ("a", "apne2-az1"),
            ("b", "apne2-az2"),
            ("c", "apne2-az3"),
            ("d", "apne2-az4"),
        ],
    ),
    (
        "ap-northeast-3",
        &[("a", "apne3-az3"), ("b", "apne3-az1"), ("c", "apne3-az2")],
    ),
    (
        "ap-southeast-1",
        &[("a", "apse1-az1"), ("b", "apse1-az2"), ("c", "apse1-az3")],
    ),
    (
        "ap-southeast-2",
        &[("a", "apse2-az3"), ("b", "apse2-az1"), ("c", "apse2-az2")],
    ),
];

/// The regions DescribeRegions lists (those enabled by default in a new account).
pub const REGIONS: &[&str] = &[
    "ap-south-1",
    "eu-north-1",
    "eu-west-3",
    "eu-west-2",
    "eu-west-1",
    "ap-northeast-3",
    "ap-northeast-2",
    "ap-northeast-1",
    "ca-central-1",
    "sa-east-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "eu-central-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The zones of `region`; `<region>a/b/c` (ids `<region>-az1..3`) for regions not in the table.
pub fn zones_for(region: &str) -> Vec<Zone> {
    match ZONES.iter().find(|(r, _)| *r == region) {
        Some((_, zones)) => zones
            .iter()
            .map(|(letter, id)| Zone {
                name: format!("{region}{letter}"),
                id: (*id).to_owned(),
            })
            .collect(),
        None => ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, letter)| Zone {
                name: format!("{region}{letter}"),
                id: format!("{region}-az{}", i + 1),
            })
            .collect(),
    }
}

fn zone_value(st: &State, z: &Zone) -> t::AvailabilityZone {
    t::AvailabilityZone {
        opt_in_status: Some(t::AvailabilityZoneOptInStatus::OptInNotRequired),
        messages: Some(Vec::new()),
        region_name: Some(st.region.clone()),
        zone_name: Some(z.name.clone()),
        zone_id: Some(z.id.clone()),
        group_name: Some(st.region.clone()),
        network_border_group: Some(st.region.clone()),
        zone_type: Some("availability-zone".to_owned()),
        state: Some(t::AvailabilityZoneState::Available),
        ..Default::default()
    }
}

pub fn describe_availability_zones(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeAvailabilityZonesRequest,
) -> AwsResult<t::DescribeAvailabilityZonesResult> {
    let names = input.zone_names.clone().unwrap_or_default();
    let zone_ids = input.zone_ids.clone().unwrap_or_default();
    if let Some(bad) = names.iter().find(|n| !st.zones.iter().any(|z| &z.name == *n)) {
        return Err(invalid(format!("Invalid availability zone: [{bad}]")));
    }
    if let Some(bad) = zone_ids.iter().find(|n| !st.zones.iter().any(|z| &z.id == *n)) {
        return Err(invalid(format!("Invalid availability zone-id: [{bad}]")));
    }
    let filters = filters::parse(
        input.filters.as_deref(),
        &[
            "zone-name",
            "zone-id",
            "state",
            "region-name",
            "zone-type",
            "group-name",
            "opt-in-status",
            "network-border-group",
            "message",
        ],
        false,
    )?;
    let zones = st
        .zones
        .iter()
        .filter(|z| names.is_empty() || names.contains(&z.name))
        .filter(|z| zone_ids.is_empty() || zone_ids.contains(&z.id))
        .filter(|z| {
            filters::matches(&filters, &[], |name| match name {
                "zone-name" => s(&z.name),
                "zone-id" => s(&z.id),
                "state" => s("available"),
                "region-name" | "group-name" | "network-border-group" => s(&st.region),
                "zone-type" => s("availability-zone"),
                "opt-in-status" => s("opt-in-not-required"),
                _ => vec![],
            })
        })
        .map(|z| zone_value(st, z))
        .collect();
    Ok(t::DescribeAvailabilityZonesResult {
        availability_zones: Some(zones),
    })
}

pub fn describe_regions(
    _st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeRegionsRequest,
) -> AwsResult<t::DescribeRegionsResult> {
    let names = input.region_names.clone().unwrap_or_default();
    if let Some(bad) = names.iter().find(|n| !REGIONS.contains(&n.as_str())) {
        return Err(invalid(format!("Invalid region: {bad}")));
    }
    let filters = filters::parse(
        input.filters.as_deref(),
        &["endpoint", "region-name", "opt-in-status"],
        false,
    )?;
    let regions = REGIONS
        .iter()
        .filter(|r| names.is_empty() || names.iter().any(|n| n == *r))
        .map(|r| (r, format!("ec2.{r}.amazonaws.com")))
        .filter(|(r, endpoint)| {
            filters::matches(&filters, &[], |name| match name {
                "endpoint" => s(endpoint),
                "region-name" => s(r),
                "opt-in-status" => s("opt-in-not-required"),
                _ => vec![],
            })
        })
        .map(|(r, endpoint)| t::Region {
            region_name: Some((*r).to_owned()),
            endpoint: Some(endpoint),
            opt_in_status: Some("opt-in-not-required".to_owned()),
            geography: None,
        })
        .collect();
    Ok(t::DescribeRegionsResult { regions: Some(regions) })
}
