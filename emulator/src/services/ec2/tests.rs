use super::*;
use crate::model::{Kind, Model, Service, ShapeId};
use crate::services::Ctx;
use crate::sim::SimTime;
use crate::world::World;
use serde_json::{json, Value};

const ACCT: &str = "000000000000";

fn world() -> World {
    crate::lifecycle::new_world(SimTime(1_700_000_000_000))
}

/// Calls `op` in us-east-1 and checks the output against the model's output shape.
fn call(w: &mut World, op: &str, input: Value) -> AwsResult<Value> {
    call_in(w, "us-east-1", op, input)
}

/// A call validated against the model first, as the API makes it: a missing required member is
/// the model's `MissingParameter` (the typed handler never sees such an input).
fn validated(w: &mut World, op: &str, input: Value) -> AwsResult<Value> {
    crate::dispatch::call(w, Service::Ec2, ACCT, "us-east-1", op, input)
}

fn call_in(w: &mut World, region: &str, op: &str, input: Value) -> AwsResult<Value> {
    let ctx = Ctx::internal(Service::Ec2, ACCT, region);
    let Some(h) = crate::dispatch::handler(Service::Ec2, op) else {
        panic!("{op} not registered")
    };
    let out = h.call(w, &ctx, input)?;
    let model = Service::Ec2.model();
    let operation = model.operation(op).expect("operation in model");
    match operation.output {
        Some(shape) => conforms(&model, shape, &out, op).unwrap_or_else(|e| panic!("{op} output: {e}\n{out:#}")),
        None => assert_eq!(out, json!({}), "{op} has no output shape"),
    }
    Ok(out)
}

/// Every member of `v` exists in the model shape with a matching type.
fn conforms(model: &Model, id: ShapeId, v: &Value, path: &str) -> Result<(), String> {
    let shape = model.shape(id);
    match (&shape.kind, v) {
        (Kind::Structure { members, .. }, Value::Object(m)) => {
            for (k, val) in m {
                let member = members
                    .iter()
                    .find(|mm| mm.name == *k)
                    .ok_or(format!("{path}.{k} not in {}", shape.name))?;
                conforms(model, member.shape, val, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Kind::List { member, .. }, Value::Array(a)) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| conforms(model, member.shape, x, &format!("{path}[{i}]"))),
        (Kind::String { .. }, Value::String(_))
        | (Kind::Boolean, Value::Bool(_))
        | (Kind::Integer | Kind::Long, Value::Number(_)) => Ok(()),
        (k, v) => Err(format!("{path}: {v} does not fit {k:?}")),
    }
}

fn code(r: AwsResult<Value>) -> String {
    r.expect_err("expected an error").code
}

fn err_of(r: AwsResult<Value>) -> AwsError {
    r.expect_err("expected an error")
}

fn vpcs(w: &mut World, input: Value) -> Vec<Value> {
    call(w, "DescribeVpcs", input).unwrap()["Vpcs"]
        .as_array()
        .cloned()
        .unwrap()
}

fn subnets(w: &mut World, input: Value) -> Vec<Value> {
    call(w, "DescribeSubnets", input).unwrap()["Subnets"]
        .as_array()
        .cloned()
        .unwrap()
}

fn groups(w: &mut World, input: Value) -> Vec<Value> {
    call(w, "DescribeSecurityGroups", input).unwrap()["SecurityGroups"]
        .as_array()
        .cloned()
        .unwrap()
}

fn create_vpc(w: &mut World, cidr: &str) -> String {
    call(w, "CreateVpc", json!({"CidrBlock": cidr})).unwrap()["Vpc"]["VpcId"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn create_subnet(w: &mut World, vpc: &str, cidr: &str) -> AwsResult<Value> {
    call(w, "CreateSubnet", json!({"VpcId": vpc, "CidrBlock": cidr}))
}

fn create_group(w: &mut World, name: &str, vpc: Option<&str>) -> String {
    let mut input = json!({"GroupName": name, "Description": format!("{name} group")});
    if let Some(v) = vpc {
        input["VpcId"] = json!(v);
    }
    call(w, "CreateSecurityGroup", input).unwrap()["GroupId"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn state(w: &World) -> &State {
    &w.region(&crate::world::PartitionKey::new(ACCT, "us-east-1"))
        .expect("region")
        .ec2
}

fn state_mut(w: &mut World) -> &mut State {
    &mut w.region_mut(&crate::world::PartitionKey::new(ACCT, "us-east-1")).ec2
}

fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|h| h.len() == 17 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

// ---- registration -----------------------------------------------------------------------------

#[test]
fn every_registered_operation_is_in_the_model_and_others_are_not_handled() {
    let model = Service::Ec2.model();
    for op in OPERATIONS {
        assert!(model.operation(op).is_some(), "{op}");
        assert!(handler(op).is_some());
    }
    assert!(handler("RunInstances").is_none());
    assert!(handler("CreateInternetGateway").is_none());
}

// ---- default topology -------------------------------------------------------------------------

#[test]
fn a_new_region_has_the_default_vpc_subnets_and_group() {
    let mut w = world();
    let v = vpcs(&mut w, json!({}));
    assert_eq!(v.len(), 1);
    let vpc = &v[0];
    let vpc_id = vpc["VpcId"].as_str().unwrap().to_owned();
    assert!(is_id(&vpc_id, "vpc-"), "{vpc_id}");
    assert_eq!(vpc["CidrBlock"], "172.31.0.0/16");
    assert_eq!(vpc["IsDefault"], true);
    assert_eq!(vpc["State"], "available");
    assert_eq!(vpc["InstanceTenancy"], "default");
    assert_eq!(vpc["OwnerId"], ACCT);
    assert!(vpc["DhcpOptionsId"].as_str().unwrap().starts_with("dopt-"));
    assert_eq!(vpc["CidrBlockAssociationSet"][0]["CidrBlock"], "172.31.0.0/16");
    assert_eq!(
        vpc["CidrBlockAssociationSet"][0]["CidrBlockState"]["State"],
        "associated"
    );
    assert!(vpc.get("Tags").is_none());

    let sn = subnets(&mut w, json!({}));
    assert_eq!(sn.len(), 6);
    let cidrs: Vec<&str> = sn.iter().map(|s| s["CidrBlock"].as_str().unwrap()).collect();
    assert_eq!(
        cidrs,
        [
            "172.31.0.0/20",
            "172.31.16.0/20",
            "172.31.32.0/20",
            "172.31.48.0/20",
            "172.31.64.0/20",
            "172.31.80.0/20"
        ]
    );
    let zones: Vec<&str> = sn.iter().map(|s| s["AvailabilityZone"].as_str().unwrap()).collect();
    assert_eq!(
        zones,
        [
            "us-east-1a",
            "us-east-1b",
            "us-east-1c",
            "us-east-1d",
            "us-east-1e",
            "us-east-1f"
        ]
    );
    for s in &sn {
        assert_eq!(s["VpcId"], vpc_id.as_str());
        assert_eq!(s["DefaultForAz"], true);
        assert_eq!(s["MapPublicIpOnLaunch"], true);
        assert_eq!(s["AvailableIpAddressCount"], 4091);
        assert_eq!(s["State"], "available");
        assert!(s["AvailabilityZoneId"].as_str().unwrap().starts_with("use1-az"));
        assert!(is_id(s["SubnetId"].as_str().unwrap(), "subnet-"));
        assert_eq!(
            s["SubnetArn"],
            format!(
                "arn:aws:ec2:us-east-1:{ACCT}:subnet/{}",
                s["SubnetId"].as_str().unwrap()
            )
        );
    }

    let g = groups(&mut w, json!({}));
    assert_eq!(g.len(), 1);
    let sg = &g[0];
    let sg_id = sg["GroupId"].as_str().unwrap();
    assert!(is_id(sg_id, "sg-"));
    assert_eq!(sg["GroupName"], "default");
    assert_eq!(sg["Description"], "default VPC security group");
    assert_eq!(sg["VpcId"], vpc_id.as_str());
    assert_eq!(
        sg["IpPermissions"],
        json!([{"IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
                "UserIdGroupPairs": [{"GroupId": sg_id, "UserId": ACCT}]}])
    );
    assert_eq!(
        sg["IpPermissionsEgress"],
        json!([{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [], "PrefixListIds": [],
                "UserIdGroupPairs": []}])
    );
    assert_eq!(default_vpc_id(state(&w)), vpc_id);
    assert_eq!(default_subnet_ids(state(&w)).len(), 6);
    assert_eq!(default_security_group_id(state(&w), &vpc_id), Some(sg_id));
}

#[test]
fn other_regions_use_their_own_zones_and_unknown_regions_get_abc() {
    let mut w = world();
    let eu = call_in(&mut w, "eu-west-1", "DescribeSubnets", json!({})).unwrap();
    let zones: Vec<&str> = eu["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["AvailabilityZone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
    let xx = call_in(&mut w, "xx-test-9", "DescribeAvailabilityZones", json!({})).unwrap();
    let names: Vec<&str> = xx["AvailabilityZones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["ZoneName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["xx-test-9a", "xx-test-9b", "xx-test-9c"]);
    // Regions are separate: a VPC made in one is not seen in another.
    let id = create_vpc(&mut w, "10.0.0.0/16");
    let eu_vpcs = call_in(&mut w, "eu-west-1", "DescribeVpcs", json!({})).unwrap();
    assert!(eu_vpcs["Vpcs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["VpcId"] != id.as_str()));
}

#[test]
fn the_default_topology_is_deterministic() {
    let mut a = world();
    let mut b = world();
    assert_eq!(vpcs(&mut a, json!({})), vpcs(&mut b, json!({})));
    assert_eq!(subnets(&mut a, json!({})), subnets(&mut b, json!({})));
    assert_eq!(groups(&mut a, json!({})), groups(&mut b, json!({})));
}

// ---- zones and regions ------------------------------------------------------------------------

#[test]
fn describe_availability_zones_with_names_ids_and_filters() {
    let mut w = world();
    let all = call(&mut w, "DescribeAvailabilityZones", json!({})).unwrap();
    let all = all["AvailabilityZones"].as_array().unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0]["State"], "available");
    assert_eq!(all[0]["RegionName"], "us-east-1");
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|z| z["ZoneId"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 6);
    assert!(ids.iter().all(|i| i.starts_with("use1-az")));

    let one = call(
        &mut w,
        "DescribeAvailabilityZones",
        json!({"ZoneNames": ["us-east-1c"]}),
    )
    .unwrap();
    assert_eq!(one["AvailabilityZones"].as_array().unwrap().len(), 1);
    let zid = one["AvailabilityZones"][0]["ZoneId"].as_str().unwrap().to_owned();
    let by_id = call(&mut w, "DescribeAvailabilityZones", json!({"ZoneIds": [zid]})).unwrap();
    assert_eq!(by_id["AvailabilityZones"][0]["ZoneName"], "us-east-1c");

    let f = |name: &str, v: &str| json!({"Filters": [{"Name": name, "Values": [v]}]});
    let n = |w: &mut World, input| {
        call(w, "DescribeAvailabilityZones", input).unwrap()["AvailabilityZones"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(n(&mut w, f("zone-name", "us-east-1a")), 1);
    assert_eq!(n(&mut w, f("zone-name", "us-east-1*")), 6);
    assert_eq!(n(&mut w, f("state", "available")), 6);
    assert_eq!(n(&mut w, f("state", "impaired")), 0);
    assert_eq!(n(&mut w, f("region-name", "us-east-1")), 6);
    assert_eq!(n(&mut w, f("region-name", "eu-west-1")), 0);

    let e = err_of(call(
        &mut w,
        "DescribeAvailabilityZones",
        json!({"ZoneNames": ["us-east-1z"]}),
    ));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("InvalidParameterValue", "Invalid availability zone: [us-east-1z]")
    );
    assert_eq!(
        code(call(
            &mut w,
            "DescribeAvailabilityZones",
            json!({"ZoneIds": ["use1-az99"]})
        )),
        "InvalidParameterValue"
    );
    let e = err_of(call(&mut w, "DescribeAvailabilityZones", f("bogus", "x")));
    assert_eq!(e.message, "The filter 'bogus' is invalid");
}

#[test]
fn describe_regions_lists_a_fixed_set() {
    let mut w = world();
    let all = call(&mut w, "DescribeRegions", json!({})).unwrap();
    let names: Vec<&str> = all["Regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RegionName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"us-east-1") && names.contains(&"eu-west-1"));
    let one = call(&mut w, "DescribeRegions", json!({"RegionNames": ["eu-west-1"]})).unwrap();
    assert_eq!(
        one["Regions"],
        json!([{"RegionName": "eu-west-1", "Endpoint": "ec2.eu-west-1.amazonaws.com", "OptInStatus": "opt-in-not-required"}])
    );
    let f = call(
        &mut w,
        "DescribeRegions",
        json!({"Filters": [{"Name": "region-name", "Values": ["us-*"]}]}),
    )
    .unwrap();
    assert_eq!(f["Regions"].as_array().unwrap().len(), 4);
}

// ---- VPCs -------------------------------------------------------------------------------------

#[test]
fn create_vpc_checks_the_cidr() {
    let mut w = world();
    let e = err_of(call(&mut w, "CreateVpc", json!({"CidrBlock": "10.0.0.0/8"})));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("InvalidVpc.Range", "The CIDR '10.0.0.0/8' is invalid.")
    );
    assert_eq!(
        code(call(&mut w, "CreateVpc", json!({"CidrBlock": "10.0.0.0/29"}))),
        "InvalidVpc.Range"
    );
    for bad in [
        "10.0.0.0",
        "10.0.0/16",
        "10.0.0.300/16",
        "banana",
        "10.0.0.1/16",
        "10.0.0.0/33",
    ] {
        let e = err_of(call(&mut w, "CreateVpc", json!({"CidrBlock": bad})));
        assert_eq!(e.code, "InvalidParameterValue", "{bad}");
        assert_eq!(
            e.message,
            format!("Value ({bad}) for parameter cidrBlock is invalid. This is not a valid CIDR block.")
        );
    }
    assert_eq!(code(call(&mut w, "CreateVpc", json!({}))), "MissingParameter");
    // Nothing was created by the failures.
    assert_eq!(vpcs(&mut w, json!({})).len(), 1);
    for ok in ["10.0.0.0/16", "192.168.0.0/28"] {
        call(&mut w, "CreateVpc", json!({"CidrBlock": ok})).unwrap();
    }
    assert_eq!(vpcs(&mut w, json!({})).len(), 3);
}

#[test]
fn create_vpc_returns_a_pending_vpc_with_tags_and_a_default_group() {
    let mut w = world();
    let out = call(
        &mut w,
        "CreateVpc",
        json!({"CidrBlock": "10.1.0.0/16", "TagSpecifications": [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "app"}]}]}),
    )
    .unwrap();
    let vpc = &out["Vpc"];
    let id = vpc["VpcId"].as_str().unwrap().to_owned();
    assert!(is_id(&id, "vpc-"));
    assert_eq!(vpc["State"], "pending");
    assert_eq!(vpc["IsDefault"], false);
    assert_eq!(vpc["CidrBlock"], "10.1.0.0/16");
    assert_eq!(vpc["Tags"], json!([{"Key": "Name", "Value": "app"}]));
    let described = vpcs(&mut w, json!({"VpcIds": [id]}));
    assert_eq!(described.len(), 1);
    assert_eq!(described[0]["State"], "available");
    assert_eq!(described[0]["Tags"], json!([{"Key": "Name", "Value": "app"}]));
    let g = groups(&mut w, json!({"Filters": [{"Name": "vpc-id", "Values": [id]}]}));
    assert_eq!(g.len(), 1);
    assert_eq!(g[0]["GroupName"], "default");
    // A VPC made by CreateVpc has no subnets.
    assert!(subnets(&mut w, json!({"Filters": [{"Name": "vpc-id", "Values": [id]}]})).is_empty());
    // The tag specification's resource type must fit.
    let e = err_of(call(
        &mut w,
        "CreateVpc",
        json!({"CidrBlock": "10.2.0.0/16", "TagSpecifications": [{"ResourceType": "subnet", "Tags": []}]}),
    ));
    assert_eq!(e.code, "InvalidParameterValue");
}

#[test]
fn describe_vpcs_ids_and_filters() {
    let mut w = world();
    let a = create_vpc(&mut w, "10.0.0.0/16");
    let b = create_vpc(&mut w, "10.1.0.0/16");
    call(
        &mut w,
        "CreateTags",
        json!({"Resources": [a.as_str()], "Tags": [{"Key": "env", "Value": "prod"}]}),
    )
    .unwrap();
    call(
        &mut w,
        "CreateTags",
        json!({"Resources": [b.as_str()], "Tags": [{"Key": "team", "Value": "x"}]}),
    )
    .unwrap();
    let ids = |v: Vec<Value>| {
        v.iter()
            .map(|x| x["VpcId"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let f = |name: &str, vals: &[&str]| json!({"Filters": [{"Name": name, "Values": vals}]});
    // Creation order: the default VPC, then a, then b.
    let all = ids(vpcs(&mut w, json!({})));
    assert_eq!(all[1..], [a.as_str(), b.as_str()]);
    let default = all[0].clone();
    assert_eq!(
        ids(vpcs(&mut w, json!({"VpcIds": [b.as_str(), a.as_str()]}))),
        [a.as_str(), b.as_str()]
    );
    assert_eq!(ids(vpcs(&mut w, f("vpc-id", &[&a]))), [a.as_str()]);
    assert_eq!(ids(vpcs(&mut w, f("isDefault", &["true"]))), [default.as_str()]);
    assert_eq!(ids(vpcs(&mut w, f("is-default", &["false"]))), [a.as_str(), b.as_str()]);
    assert_eq!(ids(vpcs(&mut w, f("cidr", &["10.1.0.0/16"]))), [b.as_str()]);
    assert_eq!(ids(vpcs(&mut w, f("cidr-block", &["10.*"]))), [a.as_str(), b.as_str()]);
    assert_eq!(ids(vpcs(&mut w, f("state", &["available"]))).len(), 3);
    assert_eq!(ids(vpcs(&mut w, f("tag:env", &["prod"]))), [a.as_str()]);
    assert!(ids(vpcs(&mut w, f("tag:env", &["dev"]))).is_empty());
    assert_eq!(ids(vpcs(&mut w, f("tag-key", &["team"]))), [b.as_str()]);
    assert_eq!(ids(vpcs(&mut w, f("tag-value", &["pr?d"]))), [a.as_str()]);
    // Several values are OR'ed, several filters AND'ed.
    assert_eq!(ids(vpcs(&mut w, f("vpc-id", &[&a, &b]))).len(), 2);
    let both =
        json!({"Filters": [{"Name": "is-default", "Values": ["false"]}, {"Name": "cidr", "Values": ["10.0.0.0/16"]}]});
    assert_eq!(ids(vpcs(&mut w, both)), [a.as_str()]);

    let e = err_of(call(
        &mut w,
        "DescribeVpcs",
        json!({"VpcIds": ["vpc-0123456789abcdef0"]}),
    ));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "InvalidVpcID.NotFound",
            "The vpc ID 'vpc-0123456789abcdef0' does not exist"
        )
    );
    assert_eq!(e.status, None, "400 from the codec default");
    assert_eq!(
        code(call(&mut w, "DescribeVpcs", json!({"VpcIds": ["vpc-zz"]}))),
        "InvalidVpcID.Malformed"
    );
    assert_eq!(
        code(call(&mut w, "DescribeVpcs", f("nope", &["x"]))),
        "InvalidParameterValue"
    );
}

#[test]
fn describe_vpcs_pages() {
    let mut w = world();
    for i in 0..6 {
        create_vpc(&mut w, &format!("10.{i}.0.0/16"));
    }
    let p1 = call(&mut w, "DescribeVpcs", json!({"MaxResults": 5})).unwrap();
    assert_eq!(p1["Vpcs"].as_array().unwrap().len(), 5);
    let token = p1["NextToken"].as_str().unwrap().to_owned();
    let p2 = call(&mut w, "DescribeVpcs", json!({"MaxResults": 5, "NextToken": token})).unwrap();
    assert_eq!(p2["Vpcs"].as_array().unwrap().len(), 2);
    assert!(p2.get("NextToken").is_none());
    assert_eq!(
        code(call(&mut w, "DescribeVpcs", json!({"MaxResults": 2}))),
        "InvalidParameterValue"
    );
}

#[test]
fn delete_vpc_refuses_while_dependencies_exist_and_takes_the_default_group_along() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let subnet = create_subnet(&mut w, &vpc, "10.0.1.0/24").unwrap()["Subnet"]["SubnetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sg = create_group(&mut w, "web", Some(&vpc));
    let e = err_of(call(&mut w, "DeleteVpc", json!({"VpcId": vpc})));
    assert_eq!(e.code, "DependencyViolation");
    assert_eq!(
        e.message,
        format!("The vpc '{vpc}' has dependencies and cannot be deleted.")
    );
    call(&mut w, "DeleteSubnet", json!({"SubnetId": subnet})).unwrap();
    assert_eq!(
        code(call(&mut w, "DeleteVpc", json!({"VpcId": vpc}))),
        "DependencyViolation",
        "the web group remains"
    );
    call(&mut w, "DeleteSecurityGroup", json!({"GroupId": sg})).unwrap();
    let default_sg = default_security_group_id(state(&w), &vpc).unwrap().to_owned();
    call(&mut w, "DeleteVpc", json!({"VpcId": vpc})).unwrap();
    assert_eq!(
        code(call(&mut w, "DescribeVpcs", json!({"VpcIds": [vpc]}))),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(
        code(call(
            &mut w,
            "DescribeSecurityGroups",
            json!({"GroupIds": [default_sg]})
        )),
        "InvalidGroup.NotFound"
    );
    assert_eq!(
        code(call(&mut w, "DeleteVpc", json!({"VpcId": vpc}))),
        "InvalidVpcID.NotFound"
    );
    assert_eq!(code(validated(&mut w, "DeleteVpc", json!({}))), "MissingParameter");
}

#[test]
fn deleting_the_default_vpc_leaves_no_default() {
    let mut w = world();
    let default = default_vpc_id(state_mut(&mut w)).to_owned();
    assert!(is_id(&default, "vpc-"));
    for sn in subnets(&mut w, json!({})) {
        call(&mut w, "DeleteSubnet", json!({"SubnetId": sn["SubnetId"]})).unwrap();
    }
    call(&mut w, "DeleteVpc", json!({"VpcId": default})).unwrap();
    assert_eq!(default_vpc_id(state(&w)), "");
    let e = err_of(call(
        &mut w,
        "CreateSecurityGroup",
        json!({"GroupName": "x", "Description": "y"}),
    ));
    assert_eq!(e.code, "VPCIdNotSpecified");
}

#[test]
fn vpc_attributes_round_trip() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let get =
        |w: &mut World, attr: &str| call(w, "DescribeVpcAttribute", json!({"VpcId": vpc, "Attribute": attr})).unwrap();
    assert_eq!(
        get(&mut w, "enableDnsHostnames"),
        json!({"VpcId": vpc, "EnableDnsHostnames": {"Value": false}})
    );
    assert_eq!(get(&mut w, "enableDnsSupport")["EnableDnsSupport"]["Value"], true);
    call(
        &mut w,
        "ModifyVpcAttribute",
        json!({"VpcId": vpc, "EnableDnsHostnames": {"Value": true}}),
    )
    .unwrap();
    assert_eq!(get(&mut w, "enableDnsHostnames")["EnableDnsHostnames"]["Value"], true);
    let both = json!({"VpcId": vpc, "EnableDnsHostnames": {"Value": true}, "EnableDnsSupport": {"Value": true}});
    assert_eq!(
        code(call(&mut w, "ModifyVpcAttribute", both)),
        "InvalidParameterCombination"
    );
    assert_eq!(
        code(call(
            &mut w,
            "DescribeVpcAttribute",
            json!({"VpcId": vpc, "Attribute": "bogus"})
        )),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(call(
            &mut w,
            "DescribeVpcAttribute",
            json!({"VpcId": "vpc-0000000000000000a", "Attribute": "enableDnsSupport"})
        )),
        "InvalidVpcID.NotFound"
    );
}

// ---- subnets ----------------------------------------------------------------------------------

#[test]
fn create_subnet_checks_vpc_range_overlap_and_size() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let e = err_of(create_subnet(&mut w, "vpc-0123456789abcdef0", "10.0.0.0/24"));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "InvalidVpcID.NotFound",
            "The vpc ID 'vpc-0123456789abcdef0' does not exist"
        )
    );
    let e = err_of(create_subnet(&mut w, &vpc, "10.1.0.0/24"));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("InvalidSubnet.Range", "The CIDR '10.1.0.0/24' is invalid.")
    );
    assert_eq!(code(create_subnet(&mut w, &vpc, "10.0.0.0/29")), "InvalidSubnet.Range");
    assert_eq!(code(create_subnet(&mut w, &vpc, "10.0.0.0/15")), "InvalidSubnet.Range");
    assert_eq!(
        code(create_subnet(&mut w, &vpc, "10.0.0.1/24")),
        "InvalidParameterValue"
    );
    assert_eq!(
        code(call(&mut w, "CreateSubnet", json!({"VpcId": vpc}))),
        "MissingParameter"
    );

    let out = create_subnet(&mut w, &vpc, "10.0.0.0/24").unwrap();
    let sn = &out["Subnet"];
    assert!(is_id(sn["SubnetId"].as_str().unwrap(), "subnet-"));
    assert_eq!(sn["VpcId"], vpc.as_str());
    assert_eq!(sn["AvailableIpAddressCount"], 251);
    assert_eq!(sn["AvailabilityZone"], "us-east-1a", "defaults to the first zone");
    assert_eq!(sn["DefaultForAz"], false);
    assert_eq!(sn["MapPublicIpOnLaunch"], false);

    let e = err_of(create_subnet(&mut w, &vpc, "10.0.0.128/25"));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "InvalidSubnet.Conflict",
            "The CIDR '10.0.0.128/25' conflicts with another subnet"
        )
    );
    assert_eq!(
        code(create_subnet(&mut w, &vpc, "10.0.0.0/23")),
        "InvalidSubnet.Conflict"
    );
    // The same CIDR in another VPC is fine.
    let other = create_vpc(&mut w, "10.0.0.0/16");
    create_subnet(&mut w, &other, "10.0.0.0/24").unwrap();
    // A /16 subnet fills its VPC; a /28 has 11 usable addresses.
    let whole = create_vpc(&mut w, "10.9.0.0/16");
    assert_eq!(
        create_subnet(&mut w, &whole, "10.9.0.0/16").unwrap()["Subnet"]["AvailableIpAddressCount"],
        65531
    );
    assert_eq!(
        create_subnet(&mut w, &vpc, "10.0.1.0/28").unwrap()["Subnet"]["AvailableIpAddressCount"],
        11
    );
}

#[test]
fn create_subnet_picks_the_zone_by_name_or_id() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let out = call(
        &mut w,
        "CreateSubnet",
        json!({"VpcId": vpc, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1d"}),
    )
    .unwrap();
    assert_eq!(out["Subnet"]["AvailabilityZone"], "us-east-1d");
    let zid = out["Subnet"]["AvailabilityZoneId"].as_str().unwrap().to_owned();
    let zones = call(
        &mut w,
        "DescribeAvailabilityZones",
        json!({"ZoneNames": ["us-east-1d"]}),
    )
    .unwrap();
    assert_eq!(zones["AvailabilityZones"][0]["ZoneId"], zid.as_str());
    let out = call(
        &mut w,
        "CreateSubnet",
        json!({"VpcId": vpc, "CidrBlock": "10.0.2.0/24", "AvailabilityZoneId": zid}),
    )
    .unwrap();
    assert_eq!(out["Subnet"]["AvailabilityZone"], "us-east-1d");
    let e = err_of(call(
        &mut w,
        "CreateSubnet",
        json!({"VpcId": vpc, "CidrBlock": "10.0.3.0/24", "AvailabilityZone": "us-east-1z"}),
    ));
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e.message.contains("us-east-1a, us-east-1b"), "{}", e.message);
}

#[test]
fn describe_subnets_ids_and_filters() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let mine = call(
        &mut w,
        "CreateSubnet",
        json!({"VpcId": vpc, "CidrBlock": "10.0.5.0/24", "AvailabilityZone": "us-east-1b",
               "TagSpecifications": [{"ResourceType": "subnet", "Tags": [{"Key": "tier", "Value": "private"}]}]}),
    )
    .unwrap()["Subnet"]["SubnetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = |v: Vec<Value>| {
        v.iter()
            .map(|x| x["SubnetId"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let f = |name: &str, vals: &[&str]| json!({"Filters": [{"Name": name, "Values": vals}]});
    assert_eq!(ids(subnets(&mut w, json!({"SubnetIds": [mine]}))), [mine.as_str()]);
    assert_eq!(ids(subnets(&mut w, f("subnet-id", &[&mine]))), [mine.as_str()]);
    assert_eq!(ids(subnets(&mut w, f("vpc-id", &[&vpc]))), [mine.as_str()]);
    assert_eq!(ids(subnets(&mut w, f("default-for-az", &["true"]))).len(), 6);
    assert_eq!(ids(subnets(&mut w, f("defaultForAz", &["false"]))), [mine.as_str()]);
    assert_eq!(ids(subnets(&mut w, f("availability-zone", &["us-east-1b"]))).len(), 2);
    assert_eq!(ids(subnets(&mut w, f("availabilityZone", &["us-east-1a"]))).len(), 1);
    assert_eq!(ids(subnets(&mut w, f("cidr-block", &["10.0.5.0/24"]))), [mine.as_str()]);
    assert_eq!(ids(subnets(&mut w, f("cidrBlock", &["172.31.*"]))).len(), 6);
    assert_eq!(ids(subnets(&mut w, f("state", &["available"]))).len(), 7);
    assert_eq!(ids(subnets(&mut w, f("tag:tier", &["private"]))), [mine.as_str()]);
    let tagged = subnets(&mut w, json!({"SubnetIds": [mine]}));
    assert_eq!(tagged[0]["Tags"], json!([{"Key": "tier", "Value": "private"}]));
    let e = err_of(call(
        &mut w,
        "DescribeSubnets",
        json!({"SubnetIds": ["subnet-0123456789abcdef0"]}),
    ));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "InvalidSubnetID.NotFound",
            "The subnet ID 'subnet-0123456789abcdef0' does not exist"
        )
    );
}

#[test]
fn delete_subnet_and_its_errors() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let id = create_subnet(&mut w, &vpc, "10.0.0.0/24").unwrap()["Subnet"]["SubnetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let ip = allocate_private_ip(state_mut(&mut w), &id).unwrap();
    let e = err_of(call(&mut w, "DeleteSubnet", json!({"SubnetId": id})));
    assert_eq!(e.code, "DependencyViolation", "an address is in use");
    assert!(release_private_ip(state_mut(&mut w), &id, &ip));
    call(&mut w, "DeleteSubnet", json!({"SubnetId": id})).unwrap();
    let e = err_of(call(&mut w, "DeleteSubnet", json!({"SubnetId": id})));
    assert_eq!(e.code, "InvalidSubnetID.NotFound");
    assert_eq!(
        code(call(&mut w, "DeleteSubnet", json!({"SubnetId": "subnet-nope"}))),
        "InvalidSubnetID.Malformed"
    );
    // The CIDR is free again.
    create_subnet(&mut w, &vpc, "10.0.0.0/24").unwrap();
}

#[test]
fn modify_subnet_attribute_map_public_ip() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let id = create_subnet(&mut w, &vpc, "10.0.0.0/24").unwrap()["Subnet"]["SubnetId"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        &mut w,
        "ModifySubnetAttribute",
        json!({"SubnetId": id, "MapPublicIpOnLaunch": {"Value": true}}),
    )
    .unwrap();
    assert_eq!(
        subnets(&mut w, json!({"SubnetIds": [id]}))[0]["MapPublicIpOnLaunch"],
        true
    );
}

// ---- private addresses ------------------------------------------------------------------------

#[test]
fn a_slash_28_hands_out_eleven_addresses_then_none() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let id = create_subnet(&mut w, &vpc, "10.0.0.16/28").unwrap()["Subnet"]["SubnetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let st = state_mut(&mut w);
    let got: Vec<String> = (0..11)
        .map(|_| allocate_private_ip(st, &id).expect("free address"))
        .collect();
    let want: Vec<String> = (20..=30).map(|i| format!("10.0.0.{i}")).collect();
    assert_eq!(got, want, "skips .16-.19 and .31");
    assert_eq!(allocate_private_ip(st, &id), None, "exhausted");
    assert_eq!(subnet(st, &id).unwrap().available_ip_address_count(), 0);
    assert!(release_private_ip(st, &id, "10.0.0.25"));
    assert!(!release_private_ip(st, &id, "10.0.0.25"), "already free");
    assert_eq!(allocate_private_ip(st, &id).as_deref(), Some("10.0.0.25"));
    assert_eq!(allocate_private_ip(st, "subnet-0123456789abcdef0"), None);
    let described = subnets(&mut w, json!({"SubnetIds": [id]}));
    assert_eq!(described[0]["AvailableIpAddressCount"], 0);
}

#[test]
fn typed_lookups_for_other_services() {
    let mut w = world();
    let st = state_mut(&mut w);
    let default = default_vpc_id(st).to_owned();
    let first = default_subnet_ids(st)[0].clone();
    let sn = subnet(st, &first).unwrap();
    assert_eq!(
        (sn.vpc_id.as_str(), sn.availability_zone.as_str(), sn.cidr_block()),
        (default.as_str(), "us-east-1a", "172.31.0.0/20".to_owned())
    );
    let sg = default_security_group_id(st, &default).unwrap().to_owned();
    assert_eq!(security_group(st, &sg).unwrap().vpc_id, default);
    assert!(vpc(st, &default).unwrap().is_default);
    assert!(subnet(st, "subnet-x").is_none() && security_group(st, "sg-x").is_none());
}

// ---- security groups --------------------------------------------------------------------------

#[test]
fn create_security_group_defaults_to_the_default_vpc_and_refuses_duplicates() {
    let mut w = world();
    let default = vpcs(&mut w, json!({}))[0]["VpcId"].as_str().unwrap().to_owned();
    let out = call(
        &mut w,
        "CreateSecurityGroup",
        json!({"GroupName": "web", "Description": "web tier",
               "TagSpecifications": [{"ResourceType": "security-group", "Tags": [{"Key": "a", "Value": "b"}]}]}),
    )
    .unwrap();
    let id = out["GroupId"].as_str().unwrap().to_owned();
    assert!(is_id(&id, "sg-"));
    assert_eq!(
        out["SecurityGroupArn"],
        format!("arn:aws:ec2:us-east-1:{ACCT}:security-group/{id}")
    );
    assert_eq!(out["Tags"], json!([{"Key": "a", "Value": "b"}]));
    let g = groups(&mut w, json!({"GroupIds": [id]}));
    assert_eq!(g[0]["VpcId"], default.as_str());
    assert_eq!(g[0]["Description"], "web tier");
    assert_eq!(g[0]["IpPermissions"], json!([]));
    assert_eq!(
        g[0]["IpPermissionsEgress"][0]["IpRanges"],
        json!([{"CidrIp": "0.0.0.0/0"}])
    );

    let e = err_of(call(
        &mut w,
        "CreateSecurityGroup",
        json!({"GroupName": "web", "Description": "again"}),
    ));
    assert_eq!(e.code, "InvalidGroup.Duplicate");
    assert_eq!(
        e.message,
        format!("The security group 'web' already exists for VPC '{default}'")
    );
    assert_eq!(
        code(call(
            &mut w,
            "CreateSecurityGroup",
            json!({"GroupName": "default", "Description": "d"})
        )),
        "InvalidGroup.Duplicate"
    );
    let e = err_of(call(
        &mut w,
        "CreateSecurityGroup",
        json!({"GroupName": "sg-web", "Description": "d"}),
    ));
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e.message.contains("Group names may not be in the format sg-*"));
    assert_eq!(
        code(validated(&mut w, "CreateSecurityGroup", json!({"GroupName": "x"}))),
        "MissingParameter"
    );
    assert_eq!(
        code(validated(&mut w, "CreateSecurityGroup", json!({"Description": "x"}))),
        "MissingParameter"
    );
    assert_eq!(
        code(call(
            &mut w,
            "CreateSecurityGroup",
            json!({"GroupName": "x", "Description": "y", "VpcId": "vpc-0123456789abcdef0"})
        )),
        "InvalidVpcID.NotFound"
    );
    // The same name in another VPC is fine.
    let other = create_vpc(&mut w, "10.0.0.0/16");
    create_group(&mut w, "web", Some(&other));
}

#[test]
fn describe_security_groups_ids_names_and_filters() {
    let mut w = world();
    let other = create_vpc(&mut w, "10.0.0.0/16");
    let web = create_group(&mut w, "web", None);
    let db = create_group(&mut w, "db", Some(&other));
    call(
        &mut w,
        "CreateTags",
        json!({"Resources": [db.as_str()], "Tags": [{"Key": "tier", "Value": "data"}]}),
    )
    .unwrap();
    let ids = |v: Vec<Value>| {
        v.iter()
            .map(|x| x["GroupId"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let f = |name: &str, vals: &[&str]| json!({"Filters": [{"Name": name, "Values": vals}]});
    assert_eq!(ids(groups(&mut w, json!({}))).len(), 4);
    assert_eq!(ids(groups(&mut w, json!({"GroupIds": [db.as_str()]}))), [db.as_str()]);
    assert_eq!(ids(groups(&mut w, json!({"GroupNames": ["web"]}))), [web.as_str()]);
    let e = err_of(call(&mut w, "DescribeSecurityGroups", json!({"GroupNames": ["db"]})));
    assert_eq!(e.code, "InvalidGroup.NotFound", "names only resolve in the default VPC");
    assert!(e
        .message
        .starts_with("The security group 'db' does not exist in default VPC 'vpc-"));
    assert_eq!(ids(groups(&mut w, f("group-id", &[&web]))), [web.as_str()]);
    assert_eq!(ids(groups(&mut w, f("group-name", &["default"]))).len(), 2);
    assert_eq!(ids(groups(&mut w, f("vpc-id", &[&other]))).len(), 2);
    assert_eq!(ids(groups(&mut w, f("description", &["db group"]))), [db.as_str()]);
    assert_eq!(ids(groups(&mut w, f("tag:tier", &["data"]))), [db.as_str()]);
    let e = err_of(call(
        &mut w,
        "DescribeSecurityGroups",
        json!({"GroupIds": ["sg-0123456789abcdef0"]}),
    ));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "InvalidGroup.NotFound",
            "The security group 'sg-0123456789abcdef0' does not exist"
        )
    );
    assert_eq!(
        code(call(&mut w, "DescribeSecurityGroups", json!({"GroupIds": ["sg-1"]}))),
        "InvalidGroupId.Malformed"
    );
}

#[test]
fn authorize_ingress_adds_rules_and_refuses_duplicates() {
    let mut w = world();
    let web = create_group(&mut w, "web", None);
    let out = call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": web, "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "http"}, {"CidrIp": "10.0.0.0/8"}]},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
        ]}),
    )
    .unwrap();
    assert_eq!(out["Return"], true);
    let rules = out["SecurityGroupRules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert!(rules
        .iter()
        .all(|r| is_id(r["SecurityGroupRuleId"].as_str().unwrap(), "sgr-")));
    assert_eq!(rules[0]["CidrIpv4"], "0.0.0.0/0");
    assert_eq!(rules[0]["Description"], "http");
    assert_eq!(rules[0]["IsEgress"], false);
    assert_eq!(rules[0]["FromPort"], 80);
    assert_eq!(rules[2]["CidrIpv6"], "::/0");

    let g = &groups(&mut w, json!({"GroupIds": [web]}))[0];
    assert_eq!(
        g["IpPermissions"],
        json!([
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "http"}, {"CidrIp": "10.0.0.0/8"}], "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []},
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [], "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "PrefixListIds": [], "UserIdGroupPairs": []}
        ])
    );

    let e = err_of(call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": web, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}),
    ));
    assert_eq!(e.code, "InvalidPermission.Duplicate");
    assert_eq!(
        e.message,
        "the specified rule \"peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW\" already exists"
    );
    // A failed call adds nothing, even the rules of it that were new.
    let mixed = json!({"GroupId": web, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "1.2.3.4/32"}, {"CidrIp": "10.0.0.0/8"}]}, {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]});
    assert_eq!(
        code(call(&mut w, "AuthorizeSecurityGroupIngress", mixed)),
        "InvalidPermission.Duplicate"
    );
    let rules = call(
        &mut w,
        "DescribeSecurityGroupRules",
        json!({"Filters": [{"Name": "group-id", "Values": [web]}]}),
    )
    .unwrap();
    assert_eq!(
        rules["SecurityGroupRules"].as_array().unwrap().len(),
        4,
        "three ingress + the default egress"
    );
}

#[test]
fn authorize_ingress_validates_protocols_ports_cidrs_and_groups() {
    let mut w = world();
    let web = create_group(&mut w, "web", None);
    let perm = |p: Value| json!({"GroupId": web, "IpPermissions": [p]});
    let cases = [
        json!({"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        json!({"IpProtocol": "tcp", "FromPort": 90, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        json!({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 70000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        json!({"IpProtocol": "bogus", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}),
        json!({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "IpRanges": [{"CidrIp": "10.0.0.0/33"}]}),
        json!({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "Ipv6Ranges": [{"CidrIpv6": "zz::/0"}]}),
    ];
    for c in cases {
        assert_eq!(
            code(call(&mut w, "AuthorizeSecurityGroupIngress", perm(c.clone()))),
            "InvalidParameterValue",
            "{c}"
        );
    }
    let unknown_ref = json!({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]});
    assert_eq!(
        code(call(&mut w, "AuthorizeSecurityGroupIngress", perm(unknown_ref))),
        "InvalidGroup.NotFound"
    );
    assert_eq!(
        code(call(&mut w, "AuthorizeSecurityGroupIngress", json!({"GroupId": web}))),
        "MissingParameter"
    );
    let e = err_of(call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": "sg-0123456789abcdef0", "IpPermissions": []}),
    ));
    assert_eq!(e.code, "InvalidGroup.NotFound");

    // Protocol numbers and "all" are normalized; -1 carries no ports in IpPermissions.
    let out = call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        perm(json!({"IpProtocol": "6", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]})),
    )
    .unwrap();
    assert_eq!(out["SecurityGroupRules"][0]["IpProtocol"], "tcp");
    call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        perm(json!({"IpProtocol": "all", "IpRanges": [{"CidrIp": "10.2.0.0/16"}]})),
    )
    .unwrap();
    let out = call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        perm(json!({"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": [{"CidrIp": "10.3.0.0/16"}]})),
    )
    .unwrap();
    assert_eq!(
        (
            out["SecurityGroupRules"][0]["FromPort"].clone(),
            out["SecurityGroupRules"][0]["ToPort"].clone()
        ),
        (json!(8), json!(-1))
    );
    let g = &groups(&mut w, json!({"GroupIds": [web]}))[0];
    let all = g["IpPermissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["IpProtocol"] == "-1")
        .unwrap();
    assert!(all.get("FromPort").is_none() && all.get("ToPort").is_none());
}

#[test]
fn authorize_ingress_from_another_group_and_the_old_flat_form() {
    let mut w = world();
    let web = create_group(&mut w, "web", None);
    let db = create_group(&mut w, "db", None);
    let out = call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": db, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web, "Description": "from web"}]}]}),
    )
    .unwrap();
    assert_eq!(
        out["SecurityGroupRules"][0]["ReferencedGroupInfo"],
        json!({"GroupId": web, "UserId": ACCT})
    );
    let g = &groups(&mut w, json!({"GroupIds": [db]}))[0];
    assert_eq!(
        g["IpPermissions"][0]["UserIdGroupPairs"],
        json!([{"GroupId": web, "UserId": ACCT, "Description": "from web"}])
    );
    let by_ref = groups(
        &mut w,
        json!({"Filters": [{"Name": "ip-permission.group-id", "Values": [web]}]}),
    );
    assert_eq!(by_ref.len(), 1);
    assert_eq!(by_ref[0]["GroupId"], db.as_str());

    // Flat form, by group name in the default VPC.
    let out = call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupName": "web", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "203.0.113.0/24"}),
    )
    .unwrap();
    assert_eq!(out["SecurityGroupRules"][0]["GroupId"], web.as_str());
    assert_eq!(out["SecurityGroupRules"][0]["CidrIpv4"], "203.0.113.0/24");
    // Flat SourceSecurityGroupName without a protocol: full TCP, UDP and ICMP.
    let out = call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": web, "SourceSecurityGroupName": "db"}),
    )
    .unwrap();
    let protos: Vec<&str> = out["SecurityGroupRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["IpProtocol"].as_str().unwrap())
        .collect();
    assert_eq!(protos, ["tcp", "udp", "icmp"]);
    let e = err_of(call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupName": "nope", "IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "CidrIp": "1.1.1.1/32"}),
    ));
    assert_eq!(e.code, "InvalidGroup.NotFound");
}

#[test]
fn authorize_and_revoke_egress() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let g = create_group(&mut w, "app", Some(&vpc));
    let https = json!({"GroupId": g, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]});
    let out = call(&mut w, "AuthorizeSecurityGroupEgress", https.clone()).unwrap();
    assert_eq!(out["SecurityGroupRules"][0]["IsEgress"], true);
    assert_eq!(
        code(call(&mut w, "AuthorizeSecurityGroupEgress", https.clone())),
        "InvalidPermission.Duplicate"
    );
    let all = json!({"GroupId": g, "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]});
    let e = err_of(call(&mut w, "AuthorizeSecurityGroupEgress", all.clone()));
    assert_eq!(
        e.message,
        "the specified rule \"peer: 0.0.0.0/0, ALL, ALLOW\" already exists"
    );
    let out = call(&mut w, "RevokeSecurityGroupEgress", all.clone()).unwrap();
    assert_eq!(out["Return"], true);
    assert_eq!(out["RevokedSecurityGroupRules"][0]["CidrIpv4"], "0.0.0.0/0");
    assert!(out.get("UnknownIpPermissions").is_none());
    let described = &groups(&mut w, json!({"GroupIds": [g]}))[0];
    assert_eq!(described["IpPermissionsEgress"].as_array().unwrap().len(), 1);
    assert_eq!(described["IpPermissionsEgress"][0]["FromPort"], 443);
    // Egress takes no group names.
    assert_eq!(
        code(validated(
            &mut w,
            "AuthorizeSecurityGroupEgress",
            json!({"GroupName": "app", "IpPermissions": []})
        )),
        "MissingParameter"
    );
}

#[test]
fn revoke_ingress_not_found_in_a_non_default_vpc_but_reported_in_the_default_vpc() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let g = create_group(&mut w, "app", Some(&vpc));
    let rule = |cidr: &str| json!({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": cidr}]});
    call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": g, "IpPermissions": [rule("10.0.0.0/8")]}),
    )
    .unwrap();
    let e = err_of(call(
        &mut w,
        "RevokeSecurityGroupIngress",
        json!({"GroupId": g, "IpPermissions": [rule("10.0.0.0/8"), rule("1.1.1.1/32")]}),
    ));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "InvalidPermission.NotFound",
            "The specified rule does not exist in this security group."
        )
    );
    assert_eq!(
        groups(&mut w, json!({"GroupIds": [g]}))[0]["IpPermissions"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing revoked"
    );
    let out = call(
        &mut w,
        "RevokeSecurityGroupIngress",
        json!({"GroupId": g, "IpPermissions": [rule("10.0.0.0/8")]}),
    )
    .unwrap();
    assert_eq!(out["RevokedSecurityGroupRules"].as_array().unwrap().len(), 1);
    assert_eq!(groups(&mut w, json!({"GroupIds": [g]}))[0]["IpPermissions"], json!([]));

    // Default VPC: unknown rules come back, the known ones go.
    let web = create_group(&mut w, "web", None);
    call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": web, "IpPermissions": [rule("10.0.0.0/8")]}),
    )
    .unwrap();
    let out = call(
        &mut w,
        "RevokeSecurityGroupIngress",
        json!({"GroupName": "web", "IpPermissions": [rule("10.0.0.0/8"), rule("1.1.1.1/32")]}),
    )
    .unwrap();
    assert_eq!(out["Return"], true);
    assert_eq!(
        out["UnknownIpPermissions"][0]["IpRanges"],
        json!([{"CidrIp": "1.1.1.1/32"}])
    );
    assert_eq!(out["RevokedSecurityGroupRules"][0]["CidrIpv4"], "10.0.0.0/8");
    assert_eq!(
        groups(&mut w, json!({"GroupIds": [web]}))[0]["IpPermissions"],
        json!([])
    );
}

#[test]
fn revoke_by_rule_id_and_describe_security_group_rules() {
    let mut w = world();
    let web = create_group(&mut w, "web", None);
    let out = call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": web, "IpPermissions": [{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]}),
    )
    .unwrap();
    let rule_id = out["SecurityGroupRules"][0]["SecurityGroupRuleId"]
        .as_str()
        .unwrap()
        .to_owned();
    let described = call(
        &mut w,
        "DescribeSecurityGroupRules",
        json!({"SecurityGroupRuleIds": [rule_id]}),
    )
    .unwrap();
    assert_eq!(described["SecurityGroupRules"][0]["IpProtocol"], "udp");
    assert_eq!(described["SecurityGroupRules"][0]["GroupId"], web.as_str());
    let by_filter = call(
        &mut w,
        "DescribeSecurityGroupRules",
        json!({"Filters": [{"Name": "security-group-rule-id", "Values": [rule_id]}]}),
    )
    .unwrap();
    assert_eq!(by_filter["SecurityGroupRules"].as_array().unwrap().len(), 1);
    let e = err_of(call(
        &mut w,
        "RevokeSecurityGroupIngress",
        json!({"GroupId": web, "SecurityGroupRuleIds": ["sgr-0123456789abcdef0"]}),
    ));
    assert_eq!(e.code, "InvalidSecurityGroupRuleId.NotFound");
    let out = call(
        &mut w,
        "RevokeSecurityGroupIngress",
        json!({"GroupId": web, "SecurityGroupRuleIds": [rule_id]}),
    )
    .unwrap();
    assert_eq!(
        out["RevokedSecurityGroupRules"][0]["SecurityGroupRuleId"],
        rule_id.as_str()
    );
    assert_eq!(
        code(call(
            &mut w,
            "DescribeSecurityGroupRules",
            json!({"SecurityGroupRuleIds": [rule_id]})
        )),
        "InvalidSecurityGroupRuleId.NotFound"
    );
}

#[test]
fn delete_security_group_rules() {
    let mut w = world();
    let default_sg = groups(&mut w, json!({}))[0]["GroupId"].as_str().unwrap().to_owned();
    let e = err_of(call(&mut w, "DeleteSecurityGroup", json!({"GroupId": default_sg})));
    assert_eq!(e.code, "CannotDelete");
    assert_eq!(
        e.message,
        format!("the specified group: \"{default_sg}\" name: \"default\" cannot be deleted by a user")
    );
    assert_eq!(
        code(call(&mut w, "DeleteSecurityGroup", json!({"GroupName": "default"}))),
        "CannotDelete"
    );

    let web = create_group(&mut w, "web", None);
    let db = create_group(&mut w, "db", None);
    call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": db, "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}]}),
    )
    .unwrap();
    let e = err_of(call(&mut w, "DeleteSecurityGroup", json!({"GroupId": web})));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "DependencyViolation",
            format!("resource {web} has a dependent object").as_str()
        )
    );
    // A group referencing itself can go; deleting db removes the reference to web.
    call(
        &mut w,
        "AuthorizeSecurityGroupIngress",
        json!({"GroupId": db, "IpPermissions": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": db}]}]}),
    )
    .unwrap();
    let out = call(&mut w, "DeleteSecurityGroup", json!({"GroupId": db})).unwrap();
    assert_eq!(out, json!({"Return": true, "GroupId": db}));
    call(&mut w, "DeleteSecurityGroup", json!({"GroupName": "web"})).unwrap();
    assert_eq!(
        code(call(&mut w, "DeleteSecurityGroup", json!({"GroupId": web}))),
        "InvalidGroup.NotFound"
    );
    assert_eq!(code(call(&mut w, "DeleteSecurityGroup", json!({}))), "MissingParameter");
}

// ---- tags -------------------------------------------------------------------------------------

#[test]
fn create_delete_and_describe_tags() {
    let mut w = world();
    let vpc = create_vpc(&mut w, "10.0.0.0/16");
    let sn = create_subnet(&mut w, &vpc, "10.0.0.0/24").unwrap()["Subnet"]["SubnetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let sg = create_group(&mut w, "web", Some(&vpc));
    call(
        &mut w,
        "CreateTags",
        json!({"Resources": [vpc, sn, sg], "Tags": [{"Key": "Name", "Value": "n"}, {"Key": "env", "Value": "dev"}]}),
    )
    .unwrap();
    // Overwrite keeps the key's place.
    call(
        &mut w,
        "CreateTags",
        json!({"Resources": [vpc], "Tags": [{"Key": "Name", "Value": "renamed"}]}),
    )
    .unwrap();
    assert_eq!(
        vpcs(&mut w, json!({"VpcIds": [vpc]}))[0]["Tags"],
        json!([{"Key": "Name", "Value": "renamed"}, {"Key": "env", "Value": "dev"}])
    );
    assert_eq!(
        subnets(&mut w, json!({"SubnetIds": [sn]}))[0]["Tags"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        groups(&mut w, json!({"GroupIds": [sg]}))[0]["Tags"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let all = call(&mut w, "DescribeTags", json!({})).unwrap();
    assert_eq!(all["Tags"].as_array().unwrap().len(), 6);
    let f = |name: &str, v: &str| json!({"Filters": [{"Name": name, "Values": [v]}]});
    let by_type = call(&mut w, "DescribeTags", f("resource-type", "subnet")).unwrap();
    assert_eq!(
        by_type["Tags"],
        json!([{"ResourceId": sn, "ResourceType": "subnet", "Key": "Name", "Value": "n"}, {"ResourceId": sn, "ResourceType": "subnet", "Key": "env", "Value": "dev"}])
    );
    let by_id = call(&mut w, "DescribeTags", f("resource-id", &sg)).unwrap();
    assert!(by_id["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["ResourceType"] == "security-group"));
    assert_eq!(
        call(&mut w, "DescribeTags", f("key", "env")).unwrap()["Tags"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        call(&mut w, "DescribeTags", f("value", "renamed")).unwrap()["Tags"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Delete by key, by key and value (only when the value matches), and all.
    call(
        &mut w,
        "DeleteTags",
        json!({"Resources": [vpc], "Tags": [{"Key": "env", "Value": "other"}]}),
    )
    .unwrap();
    assert_eq!(
        vpcs(&mut w, json!({"VpcIds": [vpc]}))[0]["Tags"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    call(
        &mut w,
        "DeleteTags",
        json!({"Resources": [vpc], "Tags": [{"Key": "env"}]}),
    )
    .unwrap();
    assert_eq!(
        vpcs(&mut w, json!({"VpcIds": [vpc]}))[0]["Tags"],
        json!([{"Key": "Name", "Value": "renamed"}])
    );
    call(&mut w, "DeleteTags", json!({"Resources": [vpc, sn]})).unwrap();
    assert!(vpcs(&mut w, json!({"VpcIds": [vpc]}))[0].get("Tags").is_none());

    let e = err_of(call(
        &mut w,
        "CreateTags",
        json!({"Resources": ["vpc-0123456789abcdef0"], "Tags": [{"Key": "a", "Value": "b"}]}),
    ));
    assert_eq!(e.code, "InvalidVpcID.NotFound");
    assert_eq!(
        code(call(
            &mut w,
            "CreateTags",
            json!({"Resources": ["subnet-0123456789abcdef0"], "Tags": []})
        )),
        "InvalidSubnetID.NotFound"
    );
    assert_eq!(
        code(call(
            &mut w,
            "CreateTags",
            json!({"Resources": ["sg-0123456789abcdef0"], "Tags": []})
        )),
        "InvalidGroup.NotFound"
    );
    let e = err_of(call(
        &mut w,
        "CreateTags",
        json!({"Resources": ["i-123"], "Tags": [{"Key": "a", "Value": "b"}]}),
    ));
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("InvalidID", "The ID 'i-123' is not valid")
    );
    assert_eq!(
        code(call(
            &mut w,
            "CreateTags",
            json!({"Resources": [sg], "Tags": [{"Key": "aws:x", "Value": "b"}]})
        )),
        "InvalidParameterValue"
    );
    // Deleting a resource drops its tags.
    call(&mut w, "DeleteSecurityGroup", json!({"GroupId": sg})).unwrap();
    assert!(call(&mut w, "DescribeTags", f("resource-id", &sg)).unwrap()["Tags"]
        .as_array()
        .unwrap()
        .is_empty());
}

// ---- helpers ----------------------------------------------------------------------------------

#[test]
fn cidr_parsing_and_containment() {
    let c = |s: &str| Cidr::parse(s).unwrap();
    assert_eq!(c("10.0.0.0/16").to_string(), "10.0.0.0/16");
    assert!(Cidr::parse("10.0.0.1/16").is_none());
    assert!(Cidr::parse("10.0.0.0/+8").is_none());
    assert!(Cidr::parse("10.0.0.0/").is_none());
    assert!(c("10.0.0.0/16").contains(c("10.0.255.0/24")));
    assert!(!c("10.0.0.0/16").contains(c("10.1.0.0/24")));
    assert!(c("10.0.0.0/24").overlaps(c("10.0.0.0/16")));
    assert!(!c("10.0.0.0/25").overlaps(c("10.0.0.128/25")));
    assert_eq!(c("0.0.0.0/0").size(), 1u64 << 32);
    assert!(filters::glob("us-*-1?", "us-east-1a"));
    assert!(!filters::glob("us-*-1?", "us-east-1"));
    assert!(filters::glob("*", ""));
}
