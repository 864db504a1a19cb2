//! EC2 networking subset.
//!
//! TEMP: replaced by the real ec2 module at merge. This stand-in exists only so the ELBv2 work can
//! be built and tested on its own branch: a default VPC with three default subnets in different
//! Availability Zones and a default security group, the three lookup functions ELBv2 uses
//! (`subnet`, `security_group`, `default_vpc_id`), and DescribeSubnets/DescribeSecurityGroups
//! (ids only) so tests can discover the seeded ids through a handler.

use super::util::obj;
use super::{Ctx, Handler};
use crate::protocol::AwsResult;
use crate::world::{Ids, World};
use serde_json::{json, Value};

// TEMP: replaced by the real ec2 module at merge
#[derive(Debug, Clone)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub availability_zone: String,
    pub cidr_block: String,
}

// TEMP: replaced by the real ec2 module at merge
#[derive(Debug, Clone)]
pub struct SecurityGroup {
    pub id: String,
    pub vpc_id: String,
}

// TEMP: replaced by the real ec2 module at merge
#[derive(Debug, Default)]
pub struct State {
    default_vpc: String,
    subnets: Vec<Subnet>,
    security_groups: Vec<SecurityGroup>,
}

impl State {
    // TEMP: replaced by the real ec2 module at merge
    pub fn new(_account: &str, region: &str, ids: &mut Ids) -> State {
        let vpc = format!("vpc-{}", ids.hex(17));
        let subnets = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, az)| Subnet {
                id: format!("subnet-{}", ids.hex(17)),
                vpc_id: vpc.clone(),
                availability_zone: format!("{region}{az}"),
                cidr_block: format!("172.31.{}.0/20", i * 16),
            })
            .collect();
        let security_groups = vec![SecurityGroup { id: format!("sg-{}", ids.hex(17)), vpc_id: vpc.clone() }];
        State { default_vpc: vpc, subnets, security_groups }
    }
}

// TEMP: replaced by the real ec2 module at merge
pub fn subnet<'a>(state: &'a State, id: &str) -> Option<&'a Subnet> {
    state.subnets.iter().find(|s| s.id == id)
}

// TEMP: replaced by the real ec2 module at merge
pub fn security_group<'a>(state: &'a State, id: &str) -> Option<&'a SecurityGroup> {
    state.security_groups.iter().find(|s| s.id == id)
}

// TEMP: replaced by the real ec2 module at merge
pub fn default_vpc_id(state: &State) -> &str {
    &state.default_vpc
}

// TEMP: replaced by the real ec2 module at merge
pub fn handler(op: &str) -> Option<Handler> {
    match op {
        "DescribeSubnets" => Some(Handler::Sync(describe_subnets)),
        "DescribeSecurityGroups" => Some(Handler::Sync(describe_security_groups)),
        _ => None,
    }
}

fn describe_subnets(world: &mut World, ctx: &Ctx, _input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).ec2;
    let subnets: Vec<Value> = st
        .subnets
        .iter()
        .map(|s| {
            obj([
                ("SubnetId", json!(s.id)),
                ("VpcId", json!(s.vpc_id)),
                ("AvailabilityZone", json!(s.availability_zone)),
                ("CidrBlock", json!(s.cidr_block)),
                ("DefaultForAz", json!(true)),
            ])
        })
        .collect();
    Ok(json!({ "Subnets": subnets }))
}

fn describe_security_groups(world: &mut World, ctx: &Ctx, _input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).ec2;
    let groups: Vec<Value> = st
        .security_groups
        .iter()
        .map(|g| json!({ "GroupId": g.id, "VpcId": g.vpc_id, "GroupName": "default" }))
        .collect();
    Ok(json!({ "SecurityGroups": groups }))
}
