//! EC2 networking through aws-sdk-ec2, in-process: the default VPC, subnets and security group a
//! new account has, and the ones you create.

mod common;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use common::*;

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|h| h.len() == 17 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// An ingress rule as (protocol, from port, to port, CIDR ranges).
type Rule<'a> = (Option<&'a str>, Option<i32>, Option<i32>, Vec<Option<&'a str>>);

async fn default_vpc_id(ec2: &aws_sdk_ec2::Client) -> String {
    let out = ec2
        .describe_vpcs()
        .filters(filter("isDefault", "true"))
        .send()
        .await
        .expect("DescribeVpcs");
    assert_eq!(out.vpcs().len(), 1, "{:?}", out.vpcs());
    out.vpcs()[0].vpc_id().expect("vpc id").to_owned()
}

#[tokio::test]
async fn default_vpc() {
    let em = emulator();
    let ec2 = ec2(&em);
    let out = ec2.describe_vpcs().send().await.expect("DescribeVpcs");
    assert_eq!(out.vpcs().len(), 1, "a new account has exactly its default VPC");
    let vpc = &out.vpcs()[0];
    assert_eq!(vpc.cidr_block(), Some("172.31.0.0/16"));
    assert_eq!(vpc.is_default(), Some(true));
    assert_eq!(vpc.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(vpc.owner_id(), Some("000000000000"));
    assert!(is_id(vpc.vpc_id().unwrap_or(""), "vpc-"), "{:?}", vpc.vpc_id());
    assert_eq!(default_vpc_id(&ec2).await, vpc.vpc_id().unwrap_or(""));

    // Another region has its own default VPC with the same block.
    let west = aws_sdk_ec2::Client::new(&config_in(&em, "us-west-2"));
    let west_id = default_vpc_id(&west).await;
    assert_ne!(Some(west_id.as_str()), vpc.vpc_id());
}

#[tokio::test]
async fn default_subnets_and_security_group() {
    let em = emulator();
    let ec2 = ec2(&em);
    let vpc_id = default_vpc_id(&ec2).await;
    let out = ec2
        .describe_subnets()
        .filters(filter("default-for-az", "true"))
        .send()
        .await
        .expect("DescribeSubnets");
    let subnets = out.subnets();
    assert!(subnets.len() >= 2, "{subnets:?}");
    let mut zones: Vec<&str> = subnets.iter().filter_map(|s| s.availability_zone()).collect();
    zones.sort_unstable();
    zones.dedup();
    assert_eq!(zones.len(), subnets.len(), "one default subnet per zone");
    for s in subnets {
        assert_eq!(s.vpc_id(), Some(vpc_id.as_str()));
        assert_eq!(s.default_for_az(), Some(true));
        assert_eq!(s.map_public_ip_on_launch(), Some(true));
        assert!(s.availability_zone().unwrap_or("").starts_with("us-east-1"));
        let cidr = s.cidr_block().unwrap_or("");
        assert!(cidr.starts_with("172.31.") && cidr.ends_with("/20"), "{cidr}");
        assert_eq!(s.available_ip_address_count(), Some(4091));
        assert!(is_id(s.subnet_id().unwrap_or(""), "subnet-"));
    }

    let out = ec2
        .describe_security_groups()
        .filters(filter("group-name", "default"))
        .send()
        .await
        .expect("DescribeSecurityGroups");
    let groups = out.security_groups();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].group_name(), Some("default"));
    assert_eq!(groups[0].description(), Some("default VPC security group"));
    assert_eq!(groups[0].vpc_id(), Some(vpc_id.as_str()));
    assert!(is_id(groups[0].group_id().unwrap_or(""), "sg-"));
}

#[tokio::test]
async fn create_vpc_subnet_security_group_and_ingress() {
    let em = emulator();
    let ec2 = ec2(&em);
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc
        .expect("vpc");
    let vpc_id = vpc.vpc_id().expect("vpc id").to_owned();
    assert!(is_id(&vpc_id, "vpc-"));
    assert_eq!(vpc.cidr_block(), Some("10.0.0.0/16"));
    assert_eq!(vpc.is_default(), Some(false));

    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-east-1a")
        .send()
        .await
        .expect("CreateSubnet")
        .subnet
        .expect("subnet");
    assert_eq!(subnet.vpc_id(), Some(vpc_id.as_str()));
    assert_eq!(subnet.availability_zone(), Some("us-east-1a"));
    assert_eq!(subnet.available_ip_address_count(), Some(251));
    assert_eq!(subnet.default_for_az(), Some(false));

    let sg_id = ec2
        .create_security_group()
        .group_name("web")
        .description("web tier")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id
        .expect("group id");
    assert!(is_id(&sg_id, "sg-"));
    let http = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    let out = ec2
        .authorize_security_group_ingress()
        .group_id(&sg_id)
        .ip_permissions(http.clone())
        .send()
        .await
        .expect("AuthorizeSecurityGroupIngress");
    assert_eq!(out.r#return(), Some(true));

    let out = ec2
        .describe_security_groups()
        .group_ids(&sg_id)
        .send()
        .await
        .expect("DescribeSecurityGroups");
    let sg = &out.security_groups()[0];
    assert_eq!(sg.group_name(), Some("web"));
    assert_eq!(sg.vpc_id(), Some(vpc_id.as_str()));
    let ingress: Vec<Rule> = sg
        .ip_permissions()
        .iter()
        .map(|p| {
            (
                p.ip_protocol(),
                p.from_port(),
                p.to_port(),
                p.ip_ranges().iter().map(|r| r.cidr_ip()).collect(),
            )
        })
        .collect();
    assert_eq!(ingress, [(Some("tcp"), Some(80), Some(80), vec![Some("0.0.0.0/0")])]);
    assert!(sg
        .ip_permissions_egress()
        .iter()
        .any(|p| p.ip_protocol() == Some("-1") && p.ip_ranges().iter().any(|r| r.cidr_ip() == Some("0.0.0.0/0"))));

    // The same rule again is a duplicate.
    let err = ec2
        .authorize_security_group_ingress()
        .group_id(&sg_id)
        .ip_permissions(http)
        .send()
        .await
        .expect_err("duplicate rule");
    assert_eq!(err.code(), Some("InvalidPermission.Duplicate"), "{err:?}");
}

#[tokio::test]
async fn ec2_error_codes() {
    let em = emulator();
    let ec2 = ec2(&em);
    let err = ec2
        .describe_vpcs()
        .vpc_ids("vpc-0123456789abcdef0")
        .send()
        .await
        .expect_err("unknown VPC");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert_eq!(err.code(), Some("InvalidVpcID.NotFound"), "{err:?}");
    let err = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/8")
        .send()
        .await
        .expect_err("block too large");
    assert_eq!(err.code(), Some("InvalidVpc.Range"), "{err:?}");
    let vpc_id = default_vpc_id(&ec2).await;
    let err = ec2
        .create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.5.0.0/24")
        .send()
        .await
        .expect_err("outside the VPC");
    assert_eq!(err.code(), Some("InvalidSubnet.Range"), "{err:?}");
    let err = ec2
        .create_security_group()
        .group_name("default")
        .description("again")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect_err("the VPC already has a group named default");
    assert_eq!(err.code(), Some("InvalidGroup.Duplicate"), "{err:?}");
    let err = ec2
        .describe_security_groups()
        .group_ids("sg-0123456789abcdef0")
        .send()
        .await
        .expect_err("unknown group");
    assert_eq!(err.code(), Some("InvalidGroup.NotFound"), "{err:?}");
}
