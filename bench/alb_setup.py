"""Sets up one ALB (listener :80 → a target group) and an ECS service with one task behind it on a
running cutover (manual clock), waits until the target is healthy, and prints
`<listener address> <target address>` (where the listener and what answers for the task really
answer: the built-in stand-in, or the process cutover's --app-config runs for the task's image).

    alb_setup.py URL [NAME IMAGE]    # defaults: bench bench:1; resources are named NAME, NAME-alb, NAME-tg"""
import json, sys, time, urllib.request
import boto3

url = sys.argv[1]
name, image = (sys.argv[2], sys.argv[3]) if len(sys.argv) > 3 else ("bench", "bench:1")
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
ec2, elb, ecs = (boto3.client(s, **kw) for s in ("ec2", "elbv2", "ecs"))

def control(method, path, body=None):
    req = urllib.request.Request(url + "/_emulator/" + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    return json.load(urllib.request.urlopen(req))

vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] == vpc][:2]
lb = elb.create_load_balancer(Name=f"{name}-alb", Subnets=subnets)["LoadBalancers"][0]
tg = elb.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip",
                             HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                             HealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
control("POST", "clock", {"advance": 31})
listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                               DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
ecs.create_cluster(clusterName=name)
ecs.register_task_definition(family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                             memory="512", containerDefinitions=[{"name": "app", "image": image,
                                                                   "portMappings": [{"containerPort": 3000}]}])
ecs.create_service(cluster=name, serviceName=name, taskDefinition=name, desiredCount=1, launchType="FARGATE",
                   loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 3000}],
                   networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}})
for _ in range(200):
    control("POST", "clock", {"advance": 1})
    time.sleep(0.15)
    states = [t["TargetHealth"]["State"] for t in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
    if states == ["healthy"]:
        break
else:
    sys.exit(f"target never turned healthy: {states}")
time.sleep(0.2)
lst = [l for l in control("GET", "listeners") if l["listenerArn"] == listener][0]
tgt = [t for t in control("GET", "targets") if t["targetGroupArn"] == tg][0]
print(lst["address"], tgt["address"])
