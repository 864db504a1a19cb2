"""EC2 networking through boto3: the default VPC a new account has, and VPCs, subnets and
security groups you create."""

import ipaddress
import re

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

ID = {
    "vpc": re.compile(r"^vpc-[0-9a-f]{17}$"),
    "subnet": re.compile(r"^subnet-[0-9a-f]{17}$"),
    "sg": re.compile(r"^sg-[0-9a-f]{17}$"),
}


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def default_vpc(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1
    return vpcs[0]


def test_default_vpc(ec2):
    vpc = default_vpc(ec2)
    assert vpc["CidrBlock"] == "172.31.0.0/16"
    assert vpc["IsDefault"] is True
    assert vpc["State"] == "available"
    assert ID["vpc"].match(vpc["VpcId"]), vpc["VpcId"]
    assert vpc["OwnerId"] == "000000000000"
    assert vpc["InstanceTenancy"] == "default"
    assocs = vpc["CidrBlockAssociationSet"]
    assert [a["CidrBlock"] for a in assocs] == ["172.31.0.0/16"]
    assert assocs[0]["CidrBlockState"]["State"] == "associated"
    # Unfiltered, the default VPC is the only one a new account has.
    assert [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]] == [vpc["VpcId"]]
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["VpcId"] == vpc["VpcId"]


def test_default_vpc_is_per_region_and_per_account(ec2):
    here = default_vpc(ec2)
    west = default_vpc(make_client("ec2", region_name="us-west-2"))
    assert west["CidrBlock"] == "172.31.0.0/16"
    assert west["VpcId"] != here["VpcId"]
    other = default_vpc(make_client("ec2", aws_access_key_id="123456789012", aws_secret_access_key="test"))
    assert other["OwnerId"] == "123456789012"
    assert other["VpcId"] != here["VpcId"]


def test_default_subnets_one_per_zone(ec2):
    vpc = default_vpc(ec2)
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    assert len(subnets) >= 2
    zones = [s["AvailabilityZone"] for s in subnets]
    assert len(set(zones)) == len(zones), "one default subnet per availability zone"
    block = ipaddress.ip_network("172.31.0.0/16")
    nets = []
    for s in subnets:
        assert s["VpcId"] == vpc["VpcId"]
        assert s["AvailabilityZone"].startswith("us-east-1")
        assert s["DefaultForAz"] is True
        assert s["MapPublicIpOnLaunch"] is True
        assert s["State"] == "available"
        assert ID["subnet"].match(s["SubnetId"])
        net = ipaddress.ip_network(s["CidrBlock"])
        assert net.prefixlen == 20 and net.subnet_of(block)
        assert s["AvailableIpAddressCount"] == 4091
        nets.append(net)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    in_vpc = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert {s["SubnetId"] for s in in_vpc} == {s["SubnetId"] for s in subnets}
    one_zone = ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}, {"Name": "availability-zone", "Values": [zones[0]]}]
    )["Subnets"]
    assert [s["AvailabilityZone"] for s in one_zone] == [zones[0]]


def test_default_security_group(ec2):
    vpc = default_vpc(ec2)
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(groups) == 1
    sg = groups[0]
    assert sg["GroupName"] == "default"
    assert sg["Description"] == "default VPC security group"
    assert sg["VpcId"] == vpc["VpcId"]
    assert sg["OwnerId"] == "000000000000"
    assert ID["sg"].match(sg["GroupId"])
    # Ingress from members of the group itself; egress anywhere.
    assert any(
        pair["GroupId"] == sg["GroupId"] for perm in sg["IpPermissions"] for pair in perm.get("UserIdGroupPairs", [])
    )
    assert any(
        perm["IpProtocol"] == "-1" and {"CidrIp": "0.0.0.0/0"} in perm.get("IpRanges", [])
        for perm in sg["IpPermissionsEgress"]
    )


def test_create_vpc_subnet_and_security_group(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]
    vpc_id = vpc["VpcId"]
    assert ID["vpc"].match(vpc_id)
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert vpc["IsDefault"] is False
    described = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert [v["CidrBlock"] for v in described] == ["10.0.0.0/16"]
    # A new VPC comes with its own default security group.
    own_default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert len(own_default) == 1

    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    assert ID["subnet"].match(subnet["SubnetId"])
    assert subnet["VpcId"] == vpc_id
    assert subnet["AvailabilityZone"] == "us-east-1a"
    assert subnet["AvailableIpAddressCount"] == 251
    assert subnet["DefaultForAz"] is False
    assert subnet["MapPublicIpOnLaunch"] is False
    listed = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert [s["SubnetId"] for s in listed] == [subnet["SubnetId"]]

    sg_id = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc_id)["GroupId"]
    assert ID["sg"].match(sg_id)
    out = ec2.authorize_security_group_ingress(
        GroupId=sg_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    assert out["Return"] is True
    sg = ec2.describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
    assert sg["GroupName"] == "web"
    assert sg["Description"] == "web tier"
    assert sg["VpcId"] == vpc_id
    assert sg["IpPermissions"] == [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
         "PrefixListIds": [], "UserIdGroupPairs": []}
    ]
    assert any(p["IpProtocol"] == "-1" and {"CidrIp": "0.0.0.0/0"} in p["IpRanges"] for p in sg["IpPermissionsEgress"])
    by_name = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["web"]}]
    )["SecurityGroups"]
    assert [g["GroupId"] for g in by_name] == [sg_id]


def test_ec2_errors(ec2, unchecked):
    vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.0/24", AvailabilityZone="us-east-1a")
    sg_id = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc_id)["GroupId"]
    rule = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
    ec2.authorize_security_group_ingress(GroupId=sg_id, IpPermissions=rule)

    cases = [
        (lambda: ec2.describe_vpcs(VpcIds=["vpc-0123456789abcdef0"]), "InvalidVpcID.NotFound"),
        (lambda: ec2.create_subnet(VpcId="vpc-0123456789abcdef0", CidrBlock="10.9.0.0/24"), "InvalidVpcID.NotFound"),
        (lambda: ec2.describe_security_groups(GroupIds=["sg-0123456789abcdef0"]), "InvalidGroup.NotFound"),
        (lambda: ec2.create_vpc(CidrBlock="10.0.0.0/8"), "InvalidVpc.Range"),
        (lambda: ec2.create_subnet(VpcId=vpc_id, CidrBlock="192.168.0.0/24"), "InvalidSubnet.Range"),
        (lambda: ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.0.128/25"), "InvalidSubnet.Conflict"),
        (
            lambda: ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.9.0/24", AvailabilityZone="us-east-1z"),
            "InvalidParameterValue",
        ),
        (lambda: ec2.create_security_group(GroupName="app", Description="again", VpcId=vpc_id), "InvalidGroup.Duplicate"),
        (lambda: ec2.authorize_security_group_ingress(GroupId=sg_id, IpPermissions=rule), "InvalidPermission.Duplicate"),
        (lambda: ec2.delete_vpc(VpcId=vpc_id), "DependencyViolation"),
        (lambda: unchecked("ec2").create_security_group(GroupName="nodesc", VpcId=vpc_id), "MissingParameter"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == (code, 400), code
    names = [g["GroupName"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]]
    assert sorted(names) == ["app", "default"], "the rejected calls created nothing"
