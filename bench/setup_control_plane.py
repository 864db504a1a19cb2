#!/usr/bin/env python3
"""Creates the same small ECS/ELBv2 topology on a server (cutover or moto_server) with boto3 and
prints the target group ARN: a cluster and a 2-task Fargate service `bench`, an ALB with a
listener forwarding to target group `bench`, which has two registered ip targets. Used by load.py
before it measures DescribeServices and DescribeTargetHealth.

Usage: setup_control_plane.py URL
"""
import sys

import boto3

url = sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
ec2 = boto3.client("ec2", **kw)
ecs = boto3.client("ecs", **kw)
elb = boto3.client("elbv2", **kw)
vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])[
    "SecurityGroups"
][0]["GroupId"]
tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": "172.31.0.10", "Port": 3000}, {"Id": "172.31.0.11", "Port": 3000}])
ecs.create_cluster(clusterName="bench")
ecs.register_task_definition(
    family="bench", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
    containerDefinitions=[{"name": "app", "image": "app:1", "portMappings": [{"containerPort": 3000}]}],
)
ecs.create_service(
    cluster="bench", serviceName="bench", taskDefinition="bench:1", desiredCount=2, launchType="FARGATE",
    networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}},
)
print(tg)
