//! Tests of the ELBv2 service: handlers called directly with canonical inputs on a `World`.

use super::*;
use crate::dispatch::testing;
use crate::model::Service;
use crate::services::Ctx;
use crate::sim::SimTime;
use crate::world::World;
use serde_json::{json, Value};

const T0: i64 = 1_700_000_000_000;

fn ctx() -> Ctx {
    Ctx::internal(Service::Elbv2, "000000000000", "us-east-1")
}

fn key() -> PartitionKey {
    ctx().partition()
}

fn world() -> World {
    crate::lifecycle::new_world(SimTime(T0))
}

fn ok(w: &mut World, op: &str, input: Value) -> Value {
    testing::ok(w, &ctx(), op, input)
}

fn fails(w: &mut World, op: &str, input: Value) -> AwsError {
    testing::fails(w, &ctx(), op, input)
}

/// The seeded default subnets `(id, az)` and default security group, found through EC2's handlers.
fn network(w: &mut World) -> (Vec<(String, String)>, String) {
    let ec2 = |w: &mut World, op: &str| match crate::dispatch::handler(Service::Ec2, op) {
        Some(h) => h
            .call(w, &Ctx::internal(Service::Ec2, "000000000000", "us-east-1"), json!({}))
            .unwrap(),
        _ => panic!("ec2 {op} missing"),
    };
    let vpc = crate::services::ec2::default_vpc_id(&w.region_mut(&key()).ec2).to_owned();
    let subnets = ec2(w, "DescribeSubnets")["Subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["VpcId"] == json!(vpc))
        .map(|s| {
            (
                s["SubnetId"].as_str().unwrap().to_owned(),
                s["AvailabilityZone"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let sg = ec2(w, "DescribeSecurityGroups")["SecurityGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["VpcId"] == json!(vpc))
        .map(|g| g["GroupId"].as_str().unwrap().to_owned())
        .unwrap();
    (subnets, sg)
}

fn vpc(w: &mut World) -> String {
    crate::services::ec2::default_vpc_id(&w.region_mut(&key()).ec2).to_owned()
}

fn create_alb(w: &mut World, name: &str) -> String {
    let (subnets, sg) = network(w);
    let out = ok(
        w,
        "CreateLoadBalancer",
        json!({"Name": name, "Subnets": [subnets[0].0, subnets[1].0], "SecurityGroups": [sg]}),
    );
    out["LoadBalancers"][0]["LoadBalancerArn"].as_str().unwrap().to_owned()
}

/// A target group like the lab's: HTTP 3000, ip, checks every 6 s, 2 to turn either way.
fn create_lab_tg(w: &mut World, name: &str) -> String {
    let vpc = vpc(w);
    let out = ok(
        w,
        "CreateTargetGroup",
        json!({
            "Name": name, "Protocol": "HTTP", "Port": 3000, "VpcId": vpc, "TargetType": "ip",
            "HealthCheckProtocol": "HTTP", "HealthCheckPath": "/", "HealthCheckIntervalSeconds": 6,
            "HealthCheckTimeoutSeconds": 5, "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2
        }),
    );
    out["TargetGroups"][0]["TargetGroupArn"].as_str().unwrap().to_owned()
}

struct Lab {
    lb: String,
    tg1: String,
    tg2: String,
    prod: String,
    test: String,
    rule: String,
}

/// The lab topology: an ALB in two subnets, `threads-tg` and `threads-tg-2`, a port-80 listener with
/// a fixed-response default and a `/api/threads*` rule to `threads-tg`, a port-8080 test listener
/// forwarding to `threads-tg-2`.
fn lab(w: &mut World) -> Lab {
    let lb = create_alb(w, "alb-container-labs");
    let tg1 = create_lab_tg(w, "threads-tg");
    let tg2 = create_lab_tg(w, "threads-tg-2");
    let prod = ok(
        w,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 80, "DefaultActions": [
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "not found"}}
        ]}),
    )["Listeners"][0]["ListenerArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let rule = ok(
        w,
        "CreateRule",
        json!({"ListenerArn": prod, "Priority": 1,
               "Conditions": [{"Field": "path-pattern", "Values": ["/api/threads*"]}],
               "Actions": [{"Type": "forward", "TargetGroupArn": tg1}]}),
    )["Rules"][0]["RuleArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let test = ok(
        w,
        "CreateListener",
        json!({"LoadBalancerArn": lb, "Protocol": "HTTP", "Port": 8080,
               "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg2}]}),
    )["Listeners"][0]["ListenerArn"]
        .as_str()
        .unwrap()
        .to_owned();
    Lab {
        lb,
        tg1,
        tg2,
        prod,
        test,
        rule,
    }
}

fn health(w: &mut World, tg: &str) -> Vec<(String, String, Option<String>)> {
    ok(w, "DescribeTargetHealth", json!({"TargetGroupArn": tg}))["TargetHealthDescriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["Target"]["Id"].as_str().unwrap().to_owned(),
                d["TargetHealth"]["State"].as_str().unwrap().to_owned(),
                d["TargetHealth"]["Reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn state_of(w: &mut World, tg: &str, ip: &str) -> (String, Option<String>) {
    health(w, tg)
        .into_iter()
        .find(|(id, _, _)| id == ip)
        .map(|(_, s, r)| (s, r))
        .expect("target listed")
}

fn advance(w: &mut World, secs: f64) {
    let until = w.now.plus_secs(secs);
    crate::lifecycle::run_until(w, until);
}

/// ECS's registration of a task's target, over the region's ELBv2 state.
fn register_task(w: &mut World, k: &PartitionKey, tg: &str, ip: &str, port: i64, td: &str) -> AwsResult<()> {
    let (r, mut env) = w.split(k);
    register_task_target(&mut r.elbv2, &mut env, k, tg, ip, port, td)
}

fn deregister_task(w: &mut World, k: &PartitionKey, tg: &str, ip: &str, port: i64) -> AwsResult<()> {
    let (r, mut env) = w.split(k);
    deregister_task_target(&mut r.elbv2, &mut env, k, tg, ip, port)
}

/// CodeDeploy's traffic shift, over the region's ELBv2 state.
fn set_weights(w: &mut World, k: &PartitionKey, arn: &str, weights: &[(String, i64)]) -> AwsResult<()> {
    let (r, mut env) = w.split(k);
    set_forward_weights(&mut r.elbv2, &mut env, k, arn, weights)
}

const TD1: &str = "arn:aws:ecs:us-east-1:000000000000:task-definition/threads:1";
const TD2: &str = "arn:aws:ecs:us-east-1:000000000000:task-definition/threads:2";

// ---- load balancers ----------------------------------------------------------------------------

#[test]
fn load_balancer_is_provisioning_then_active_with_aws_names() {
    let mut w = world();
    let (subnets, sg) = network(&mut w);
    let out = ok(
        &mut w,
        "CreateLoadBalancer",
        json!({"Name": "alb-container-labs", "Subnets": [subnets[1].0, subnets[0].0], "SecurityGroups": [sg]}),
    );
    let lb = &out["LoadBalancers"][0];
    let arn = lb["LoadBalancerArn"].as_str().unwrap();
    assert!(
        arn.starts_with("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/alb-container-labs/"),
        "{arn}"
    );
    assert_eq!(arn.rsplit('/').next().unwrap().len(), 16);
    let dns = lb["DNSName"].as_str().unwrap();
    let digits = dns
        .strip_prefix("alb-container-labs-")
        .and_then(|d| d.strip_suffix(".us-east-1.elb.localhost"))
        .unwrap();
    assert!(
        digits.len() == 10 && digits.chars().all(|c| c.is_ascii_digit()),
        "{dns}"
    );
    assert_eq!(lb["CanonicalHostedZoneId"], "Z35SXDOTRQ7X7K");
    assert_eq!(lb["State"]["Code"], "provisioning");
    assert_eq!(lb["Scheme"], "internet-facing");
    assert_eq!(lb["Type"], "application");
    assert_eq!(lb["IpAddressType"], "ipv4");
    assert_eq!(lb["CreatedTime"], json!(T0 as f64 / 1000.0));
    assert_eq!(lb["SecurityGroups"], json!([sg]));
    let zones: Vec<&str> = lb["AvailabilityZones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["ZoneName"].as_str().unwrap())
        .collect();
    assert_eq!(zones, vec!["us-east-1a", "us-east-1b"]);

    advance(&mut w, LB_PROVISIONING_SECS - 1.0);
    let d = ok(
        &mut w,
        "DescribeLoadBalancers",
        json!({"Names": ["alb-container-labs"]}),
    );
    assert_eq!(d["LoadBalancers"][0]["State"]["Code"], "provisioning");
    advance(&mut w, 1.0);
    let d = ok(&mut w, "DescribeLoadBalancers", json!({"LoadBalancerArns": [arn]}));
    assert_eq!(d["LoadBalancers"][0]["State"]["Code"], "active");

    // An identical request returns the same load balancer; a different one is a duplicate.
    let again = ok(
        &mut w,
        "CreateLoadBalancer",
        json!({"Name": "alb-container-labs", "Subnets": [subnets[0].0, subnets[1].0], "SecurityGroups": [sg]}),
    );
    assert_eq!(again["LoadBalancers"][0]["LoadBalancerArn"], json!(arn));
    let e = fails(
        &mut w,
        "CreateLoadBalancer",
        json!({"Name": "alb-container-labs", "Subnets": [subnets[0].0, subnets[2].0], "SecurityGroups": [sg]}),
    );
    assert_eq!(e.code, "DuplicateLoadBalancerName");
    assert_eq!(
        e.message,
        "A load balancer with the same name 'alb-container-labs' exists, but with different settings"
    );
}

#[test]
fn load_balancer_inputs_are_checked() {
    let mut w = world();
    let (subnets, sg) = network(&mut w);
    let e = fails(
        &mut w,
        "CreateLoadBalancer",
        json!({"Name": "one", "Subnets": [subnets[0].0]}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ValidationError",
            "At least two subnets in two different Availability Zones must be specified"
        )
    );
    let e = fails(
        &mut w,
        "CreateLoadBalancer",
        json!({"Name": "x", "Subnets": [subnets[0].0, "subnet-0000000000000dead"]}),
    );
    assert_eq!(e.code, "SubnetNotFound");
    let e = fails(
        &mut w,
        "CreateLoadBalancer",
        json!({"Name": "x", "Subnets": [subnets[0].0, subnets[1].0], "SecurityGroups": ["sg-0000000000000dead"]}),
    );
    assert_eq!(e.code, "InvalidSecurityGroup");
    for bad in ["-x", "x-", "a_b", "internal-x", "abcdefghijabcdefghijabcdefghijabc"] {
        let e = fails(
            &mut w,
            "CreateLoadBalancer",
            json!({"Name": bad, "Subnets": [subnets[0].0, subnets[1].0]}),
        );
        assert_eq!(e.code, "ValidationError", "{bad}");
    }
    // A network load balancer may use one subnet; an internal one gets the internal- prefix.
    let nlb = ok(
        &mut w,
        "CreateLoadBalancer",
        json!({"Name": "nlb", "Type": "network", "Scheme": "internal", "SubnetMappings": [{"SubnetId": subnets[0].0}]}),
    );
    let nlb = &nlb["LoadBalancers"][0];
    assert!(nlb["LoadBalancerArn"]
        .as_str()
        .unwrap()
        .contains(":loadbalancer/net/nlb/"));
    let dns = nlb["DNSName"].as_str().unwrap();
    assert!(
        dns.starts_with("internal-nlb-") && dns.ends_with(".elb.us-east-1.localhost"),
        "{dns}"
    );
    assert_eq!(nlb["CanonicalHostedZoneId"], "Z26RNL4JYFTOTI");
    let _ = sg;

    let e = fails(&mut w, "DescribeLoadBalancers", json!({"Names": ["nope"]}));
    assert_eq!(e.code, "LoadBalancerNotFound");
}

#[test]
fn describe_load_balancers_pages_with_marker() {
    let mut w = world();
    for n in ["a1", "a2", "a3"] {
        create_alb(&mut w, n);
    }
    let p1 = ok(&mut w, "DescribeLoadBalancers", json!({"PageSize": 2}));
    let names: Vec<&str> = p1["LoadBalancers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["LoadBalancerName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a1", "a2"]);
    let marker = p1["NextMarker"].as_str().unwrap().to_owned();
    let p2 = ok(
        &mut w,
        "DescribeLoadBalancers",
        json!({"PageSize": 2, "Marker": marker}),
    );
    assert_eq!(p2["LoadBalancers"][0]["LoadBalancerName"], "a3");
    assert!(p2.get("NextMarker").is_none());
}

#[test]
fn load_balancer_attributes_and_deletion_protection() {
    let mut w = world();
    let lb = create_alb(&mut w, "attrs");
    let attrs = ok(&mut w, "DescribeLoadBalancerAttributes", json!({"LoadBalancerArn": lb}));
    let get = |a: &Value, k: &str| {
        a["Attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["Key"] == k)
            .map(|x| x["Value"].clone())
    };
    assert_eq!(get(&attrs, "idle_timeout.timeout_seconds"), Some(json!("60")));
    assert_eq!(get(&attrs, "deletion_protection.enabled"), Some(json!("false")));
    assert_eq!(get(&attrs, "routing.http2.enabled"), Some(json!("true")));
    let e = fails(
        &mut w,
        "ModifyLoadBalancerAttributes",
        json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "nope", "Value": "1"}]}),
    );
    assert_eq!(e.code, "ValidationError");
    let out = ok(
        &mut w,
        "ModifyLoadBalancerAttributes",
        json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]}),
    );
    assert_eq!(get(&out, "deletion_protection.enabled"), Some(json!("true")));
    assert_eq!(
        fails(&mut w, "DeleteLoadBalancer", json!({"LoadBalancerArn": lb})).code,
        "OperationNotPermitted"
    );
    ok(
        &mut w,
        "ModifyLoadBalancerAttributes",
        json!({"LoadBalancerArn": lb, "Attributes": [{"Key": "deletion_protection.enabled", "Value": "false"}]}),
    );
    ok(&mut w, "DeleteLoadBalancer", json!({"LoadBalancerArn": lb}));
    assert_eq!(
        fails(&mut w, "DescribeLoadBalancers", json!({"LoadBalancerArns": [lb]})).code,
        "LoadBalancerNotFound"
    );
}

#[test]
fn deleting_a_load_balancer_deletes_its_listeners_and_rules() {
    let mut w = world();
    let l = lab(&mut w);
    register_task(&mut w, &key(), &l.tg1, "10.0.1.10", 3000, TD1).unwrap();
    ok(&mut w, "DeleteLoadBalancer", json!({"LoadBalancerArn": l.lb}));
    assert_eq!(
        fails(&mut w, "DescribeListeners", json!({"ListenerArns": [l.prod]})).code,
        "ListenerNotFound"
    );
    assert_eq!(
        fails(&mut w, "DescribeRules", json!({"RuleArns": [l.rule]})).code,
        "RuleNotFound"
    );
    assert_eq!(
        state_of(&mut w, &l.tg1, "10.0.1.10"),
        ("unused".into(), Some("Target.NotInUse".into()))
    );
    let tg = ok(&mut w, "DescribeTargetGroups", json!({"TargetGroupArns": [l.tg1]}));
    assert_eq!(tg["TargetGroups"][0]["LoadBalancerArns"], json!([]));
    // Now unused, the target groups can be deleted.
    ok(&mut w, "DeleteTargetGroup", json!({"TargetGroupArn": l.tg1}));
    let _ = l.test;
}

// ---- target groups -----------------------------------------------------------------------------

#[test]
fn target_group_defaults_per_protocol_and_type() {
    let mut w = world();
    let vpc = vpc(&mut w);
    let http = ok(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "web", "Protocol": "HTTP", "Port": 80, "VpcId": vpc}),
    );
    let tg = &http["TargetGroups"][0];
    assert_eq!(tg["HealthCheckProtocol"], "HTTP");
    assert_eq!(tg["HealthCheckPort"], "traffic-port");
    assert_eq!(tg["HealthCheckEnabled"], true);
    assert_eq!(tg["HealthCheckIntervalSeconds"], 30);
    assert_eq!(tg["HealthCheckTimeoutSeconds"], 5);
    assert_eq!(tg["HealthyThresholdCount"], 5);
    assert_eq!(tg["UnhealthyThresholdCount"], 2);
    assert_eq!(tg["HealthCheckPath"], "/");
    assert_eq!(tg["Matcher"], json!({"HttpCode": "200"}));
    assert_eq!(tg["TargetType"], "instance");
    assert_eq!(tg["ProtocolVersion"], "HTTP1");
    assert_eq!(tg["LoadBalancerArns"], json!([]));
    assert!(tg["TargetGroupArn"].as_str().unwrap().contains(":targetgroup/web/"));

    let tcp = ok(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "tcp", "Protocol": "TCP", "Port": 80, "VpcId": vpc, "TargetType": "ip"}),
    );
    let tg = &tcp["TargetGroups"][0];
    assert_eq!(tg["HealthCheckProtocol"], "TCP");
    assert_eq!(tg["HealthCheckTimeoutSeconds"], 10);
    assert!(tg.get("HealthCheckPath").is_none() && tg.get("Matcher").is_none());

    let tcp_http = ok(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "tcp-http", "Protocol": "TCP", "Port": 80, "VpcId": vpc, "HealthCheckProtocol": "HTTP"}),
    );
    assert_eq!(tcp_http["TargetGroups"][0]["HealthCheckTimeoutSeconds"], 6);
    assert_eq!(tcp_http["TargetGroups"][0]["Matcher"], json!({"HttpCode": "200-399"}));

    let lambda = ok(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "fn", "TargetType": "lambda"}),
    );
    let tg = &lambda["TargetGroups"][0];
    assert_eq!(tg["HealthCheckEnabled"], false);
    assert_eq!(tg["HealthCheckIntervalSeconds"], 35);
    assert_eq!(tg["HealthCheckTimeoutSeconds"], 30);
    assert_eq!(tg["UnhealthyThresholdCount"], 5);
    assert!(tg.get("Protocol").is_none() && tg.get("VpcId").is_none());

    // Errors.
    let e = fails(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "x", "Protocol": "HTTP", "Port": 80, "VpcId": vpc, "HealthCheckTimeoutSeconds": 30}),
    );
    assert_eq!(e.code, "ValidationError");
    let e = fails(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "x", "Protocol": "HTTP", "Port": 80, "VpcId": vpc, "HealthyThresholdCount": 11}),
    );
    assert_eq!(e.code, "ValidationError");
    let e = fails(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "x", "Protocol": "HTTP", "Port": 80}),
    );
    assert_eq!(e.code, "ValidationError");
}

#[test]
fn duplicate_target_group_names() {
    let mut w = world();
    let a = create_lab_tg(&mut w, "threads-tg");
    // Same settings: the existing group comes back.
    assert_eq!(create_lab_tg(&mut w, "threads-tg"), a);
    let vpc = vpc(&mut w);
    let e = fails(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "threads-tg", "Protocol": "HTTP", "Port": 80, "VpcId": vpc}),
    );
    assert_eq!(e.code, "DuplicateTargetGroupName");
    assert_eq!(
        e.message,
        "A target group with the same name 'threads-tg' exists, but with different settings"
    );
}

#[test]
fn target_group_modify_describe_delete_and_attributes() {
    let mut w = world();
    let l = lab(&mut w);
    let m = ok(
        &mut w,
        "ModifyTargetGroup",
        json!({"TargetGroupArn": l.tg1, "HealthCheckPath": "/health", "Matcher": {"HttpCode": "200-299"}}),
    );
    assert_eq!(m["TargetGroups"][0]["HealthCheckPath"], "/health");
    assert_eq!(m["TargetGroups"][0]["Matcher"], json!({"HttpCode": "200-299"}));
    assert_eq!(
        fails(
            &mut w,
            "ModifyTargetGroup",
            json!({"TargetGroupArn": l.tg1, "HealthCheckIntervalSeconds": 4})
        )
        .code,
        "ValidationError"
    );

    let d = ok(&mut w, "DescribeTargetGroups", json!({"LoadBalancerArn": l.lb}));
    let names: Vec<&str> = d["TargetGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["TargetGroupName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["threads-tg", "threads-tg-2"]);
    assert_eq!(d["TargetGroups"][0]["LoadBalancerArns"], json!([l.lb]));
    assert_eq!(
        fails(&mut w, "DescribeTargetGroups", json!({"Names": ["nope"]})).code,
        "TargetGroupNotFound"
    );

    let e = fails(&mut w, "DeleteTargetGroup", json!({"TargetGroupArn": l.tg1}));
    assert_eq!(e.code, "ResourceInUse");
    assert_eq!(
        e.message,
        format!("Target group '{}' is currently in use by a listener or a rule", l.tg1)
    );

    let a = ok(
        &mut w,
        "DescribeTargetGroupAttributes",
        json!({"TargetGroupArn": l.tg1}),
    );
    let get = |a: &Value, k: &str| {
        a["Attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["Key"] == k)
            .map(|x| x["Value"].clone())
    };
    assert_eq!(get(&a, "deregistration_delay.timeout_seconds"), Some(json!("300")));
    assert_eq!(get(&a, "stickiness.enabled"), Some(json!("false")));
    assert_eq!(get(&a, "stickiness.type"), Some(json!("lb_cookie")));
    assert_eq!(get(&a, "stickiness.lb_cookie.duration_seconds"), Some(json!("86400")));
    assert_eq!(get(&a, "load_balancing.algorithm.type"), Some(json!("round_robin")));
    assert_eq!(get(&a, "slow_start.duration_seconds"), Some(json!("0")));
    let m = ok(
        &mut w,
        "ModifyTargetGroupAttributes",
        json!({"TargetGroupArn": l.tg1, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]}),
    );
    assert_eq!(get(&m, "deregistration_delay.timeout_seconds"), Some(json!("30")));
    let e = fails(
        &mut w,
        "ModifyTargetGroupAttributes",
        json!({"TargetGroupArn": l.tg1, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "3601"}]}),
    );
    assert_eq!(e.code, "ValidationError");
    let e = fails(
        &mut w,
        "ModifyTargetGroupAttributes",
        json!({"TargetGroupArn": l.tg1, "Attributes": [{"Key": "bogus", "Value": "1"}]}),
    );
    assert_eq!(e.code, "ValidationError");
}

// ---- listeners ---------------------------------------------------------------------------------

#[test]
fn listener_forward_is_returned_in_both_forms() {
    let mut w = world();
    let l = lab(&mut w);
    let d = ok(&mut w, "DescribeListeners", json!({"ListenerArns": [l.test]}));
    let listener = &d["Listeners"][0];
    assert_eq!(listener["Port"], 8080);
    assert_eq!(listener["Protocol"], "HTTP");
    assert_eq!(listener["LoadBalancerArn"], json!(l.lb));
    assert_eq!(
        listener["DefaultActions"],
        json!([{"Type": "forward", "TargetGroupArn": l.tg2, "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": l.tg2, "Weight": 1}],
            "TargetGroupStickinessConfig": {"Enabled": false}}}])
    );
    assert!(l.test.contains(":listener/app/alb-container-labs/"), "{}", l.test);
    let all = ok(&mut w, "DescribeListeners", json!({"LoadBalancerArn": l.lb}));
    let ports: Vec<i64> = all["Listeners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["Port"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, vec![80, 8080]);

    // A weighted forward comes back as ForwardConfig only.
    let m = ok(
        &mut w,
        "ModifyListener",
        json!({"ListenerArn": l.test, "DefaultActions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": l.tg1, "Weight": 90}, {"TargetGroupArn": l.tg2, "Weight": 10}],
            "TargetGroupStickinessConfig": {"Enabled": true, "DurationSeconds": 300}}}]}),
    );
    let a = &m["Listeners"][0]["DefaultActions"][0];
    assert!(a.get("TargetGroupArn").is_none());
    assert_eq!(
        a["ForwardConfig"]["TargetGroups"][0],
        json!({"TargetGroupArn": l.tg1, "Weight": 90})
    );
    assert_eq!(
        a["ForwardConfig"]["TargetGroupStickinessConfig"],
        json!({"Enabled": true, "DurationSeconds": 300})
    );
}

#[test]
fn listener_errors() {
    let mut w = world();
    let l = lab(&mut w);
    let fwd = |tg: &str| json!([{"Type": "forward", "TargetGroupArn": tg}]);
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "HTTP", "Port": 80, "DefaultActions": fwd(&l.tg1)}),
    );
    assert_eq!(e.code, "DuplicateListener");
    assert_eq!(
        e.message,
        format!(
            "A listener already exists on this port for this load balancer '{}'",
            l.lb
        )
    );
    let missing = l.tg1.replace("threads-tg", "nope");
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": fwd(&missing)}),
    );
    assert_eq!(e.code, "TargetGroupNotFound");
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "TCP", "Port": 81, "DefaultActions": fwd(&l.tg1)}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        (
            "ValidationError",
            "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'"
        )
    );
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "HTTP", "Port": 0, "DefaultActions": fwd(&l.tg1)}),
    );
    assert_eq!(e.code, "ValidationError");
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "HTTPS", "Port": 443, "DefaultActions": fwd(&l.tg1)}),
    );
    assert_eq!(e.code, "ValidationError");
    let weighted =
        json!([{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": l.tg1, "Weight": 1000}]}}]);
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": weighted}),
    );
    assert_eq!(e.code, "ValidationError");
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "HTTP", "Port": 81, "DefaultActions": [{"Type": "forward"}]}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("ValidationError", "A target group ARN must be specified")
    );

    // HTTPS with a certificate gets the default policy.
    let https = ok(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": l.lb, "Protocol": "HTTPS", "Port": 443, "DefaultActions": fwd(&l.tg1),
               "Certificates": [{"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/abc"}]}),
    );
    assert_eq!(https["Listeners"][0]["SslPolicy"], "ELBSecurityPolicy-2016-08");

    // A target group already behind this load balancer cannot go behind another one.
    let other = create_alb(&mut w, "other");
    let e = fails(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": other, "Protocol": "HTTP", "Port": 80, "DefaultActions": fwd(&l.tg1)}),
    );
    assert_eq!(e.code, "TargetGroupAssociationLimit");

    // A redirect gets AWS's defaults.
    let r = ok(
        &mut w,
        "CreateListener",
        json!({"LoadBalancerArn": other, "Protocol": "HTTP", "Port": 80,
               "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}),
    );
    assert_eq!(
        r["Listeners"][0]["DefaultActions"][0]["RedirectConfig"],
        json!({"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_301"})
    );

    // Deleting the prod listener deletes its rules.
    ok(&mut w, "DeleteListener", json!({"ListenerArn": l.prod}));
    assert_eq!(
        fails(&mut w, "DescribeRules", json!({"RuleArns": [l.rule]})).code,
        "RuleNotFound"
    );
    assert_eq!(
        fails(&mut w, "DeleteListener", json!({"ListenerArn": l.prod})).code,
        "ListenerNotFound"
    );
}

// ---- rules -------------------------------------------------------------------------------------

#[test]
fn rules_conditions_priorities_and_the_default_rule() {
    let mut w = world();
    let l = lab(&mut w);
    let d = ok(&mut w, "DescribeRules", json!({"ListenerArn": l.prod}));
    let rules = d["Rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["Priority"], "1");
    assert_eq!(rules[0]["IsDefault"], false);
    assert_eq!(
        rules[0]["Conditions"],
        json!([{"Field": "path-pattern", "Values": ["/api/threads*"], "PathPatternConfig": {"Values": ["/api/threads*"]}}])
    );
    assert_eq!(
        rules[0]["Actions"][0]["ForwardConfig"]["TargetGroups"],
        json!([{"TargetGroupArn": l.tg1, "Weight": 1}])
    );
    assert_eq!(rules[1]["Priority"], "default");
    assert_eq!(rules[1]["IsDefault"], true);
    assert_eq!(rules[1]["Conditions"], json!([]));
    assert_eq!(rules[1]["Actions"][0]["Type"], "fixed-response");
    let default_rule = rules[1]["RuleArn"].as_str().unwrap().to_owned();
    assert!(l.rule.contains(":listener-rule/app/alb-container-labs/"), "{}", l.rule);

    let e = fails(&mut w, "DeleteRule", json!({"RuleArn": default_rule}));
    assert_eq!(e.code, "OperationNotPermitted");

    let fwd = json!([{"Type": "forward", "TargetGroupArn": l.tg1}]);
    let e = fails(
        &mut w,
        "CreateRule",
        json!({"ListenerArn": l.prod, "Priority": 1, "Conditions": [{"Field": "path-pattern", "Values": ["/x"]}], "Actions": fwd}),
    );
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("PriorityInUse", "Priority '1' is currently in use")
    );
    let e = fails(
        &mut w,
        "CreateRule",
        json!({"ListenerArn": l.prod, "Priority": 50001, "Conditions": [{"Field": "path-pattern", "Values": ["/x"]}], "Actions": fwd}),
    );
    assert_eq!(e.code, "ValidationError");
    let e = fails(
        &mut w,
        "CreateRule",
        json!({"ListenerArn": l.prod, "Priority": 5, "Conditions": [{"Field": "cookie", "Values": ["x"]}], "Actions": fwd}),
    );
    assert_eq!(e.code, "ValidationError");

    // The *Config forms.
    let r = ok(
        &mut w,
        "CreateRule",
        json!({"ListenerArn": l.prod, "Priority": 10, "Actions": fwd, "Conditions": [
            {"Field": "host-header", "HostHeaderConfig": {"Values": ["a.example.com", "b.example.com"]}},
            {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["green"]}},
            {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}},
            {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}
        ]}),
    );
    let c = &r["Rules"][0]["Conditions"];
    assert_eq!(
        c[0],
        json!({"Field": "host-header", "Values": ["a.example.com", "b.example.com"], "HostHeaderConfig": {"Values": ["a.example.com", "b.example.com"]}})
    );
    assert_eq!(
        c[1],
        json!({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["green"]}})
    );
    assert_eq!(
        c[3],
        json!({"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}})
    );
    let r10 = r["Rules"][0]["RuleArn"].as_str().unwrap().to_owned();
    let q = ok(
        &mut w,
        "CreateRule",
        json!({"ListenerArn": l.prod, "Priority": 20, "Actions": fwd, "Conditions": [
            {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}]}),
    );
    let r20 = q["Rules"][0]["RuleArn"].as_str().unwrap().to_owned();

    // Swapping priorities in one call is allowed; clashing with a rule outside the call is not.
    let s = ok(
        &mut w,
        "SetRulePriorities",
        json!({"RulePriorities": [{"RuleArn": r10, "Priority": 20}, {"RuleArn": r20, "Priority": 10}]}),
    );
    assert_eq!(s["Rules"][0]["Priority"], "20");
    let e = fails(
        &mut w,
        "SetRulePriorities",
        json!({"RulePriorities": [{"RuleArn": r10, "Priority": 1}]}),
    );
    assert_eq!(e.code, "PriorityInUse");
    let e = fails(
        &mut w,
        "SetRulePriorities",
        json!({"RulePriorities": [{"RuleArn": default_rule, "Priority": 3}]}),
    );
    assert_eq!(e.code, "OperationNotPermitted");
    let order: Vec<String> = ok(&mut w, "DescribeRules", json!({"ListenerArn": l.prod}))["Rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Priority"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, vec!["1", "10", "20", "default"]);

    // ModifyRule replaces actions; DeleteRule removes.
    let m = ok(
        &mut w,
        "ModifyRule",
        json!({"RuleArn": l.rule, "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}]}),
    );
    assert_eq!(m["Rules"][0]["Actions"][0]["Type"], "fixed-response");
    ok(&mut w, "DeleteRule", json!({"RuleArn": r20}));
    assert_eq!(
        fails(&mut w, "DeleteRule", json!({"RuleArn": r20})).code,
        "RuleNotFound"
    );
}

// ---- targets and health ------------------------------------------------------------------------

#[test]
fn health_progresses_on_the_clock_in_the_lab_topology() {
    let mut w = world();
    let l = lab(&mut w);
    let k = key();
    register_task(&mut w, &k, &l.tg1, "10.0.1.10", 3000, TD1).unwrap();
    register_task(&mut w, &k, &l.tg2, "10.0.2.20", 3000, TD1).unwrap();
    assert_eq!(
        state_of(&mut w, &l.tg1, "10.0.1.10"),
        ("initial".into(), Some("Elb.RegistrationInProgress".into()))
    );
    advance(&mut w, 6.0);
    assert_eq!(
        state_of(&mut w, &l.tg1, "10.0.1.10"),
        ("initial".into(), Some("Elb.InitialHealthChecking".into()))
    );
    advance(&mut w, 6.0);
    assert_eq!(state_of(&mut w, &l.tg1, "10.0.1.10"), ("healthy".into(), None));
    assert_eq!(state_of(&mut w, &l.tg2, "10.0.2.20"), ("healthy".into(), None));
    assert_eq!(
        target_health(&w.region_mut(&k).elbv2, &l.tg1, "10.0.1.10", 3000),
        Some((TargetState::Healthy, None))
    );

    let d = ok(&mut w, "DescribeTargetHealth", json!({"TargetGroupArn": l.tg1}));
    assert_eq!(
        d["TargetHealthDescriptions"][0],
        json!({"Target": {"Id": "10.0.1.10", "Port": 3000}, "HealthCheckPort": "3000", "TargetHealth": {"State": "healthy"}})
    );
    // A target asked for but not registered.
    let d = ok(
        &mut w,
        "DescribeTargetHealth",
        json!({"TargetGroupArn": l.tg1, "Targets": [{"Id": "10.0.9.9", "Port": 3000}]}),
    );
    assert_eq!(
        d["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"],
        "Target.NotRegistered"
    );
    assert_eq!(d["TargetHealthDescriptions"][0]["TargetHealth"]["State"], "unused");

    // A group nothing forwards to: unused, never checked.
    let tg3 = create_lab_tg(&mut w, "spare");
    ok(
        &mut w,
        "RegisterTargets",
        json!({"TargetGroupArn": tg3, "Targets": [{"Id": "10.0.3.30"}]}),
    );
    advance(&mut w, 60.0);
    assert_eq!(
        state_of(&mut w, &tg3, "10.0.3.30"),
        ("unused".into(), Some("Target.NotInUse".into()))
    );
    assert!(!w.region_mut(&k).elbv2.target_groups[&tg3]
        .targets
        .values()
        .any(|t| t.checking));
    // Registering through the API takes the group's port.
    let d = ok(&mut w, "DescribeTargetHealth", json!({"TargetGroupArn": tg3}));
    assert_eq!(d["TargetHealthDescriptions"][0]["Target"]["Port"], 3000);
    let e = fails(
        &mut w,
        "RegisterTargets",
        json!({"TargetGroupArn": tg3, "Targets": [{"Id": "8.8.8.8"}]}),
    );
    assert_eq!(e.code, "InvalidTarget");
    let e = fails(
        &mut w,
        "RegisterTargets",
        json!({"TargetGroupArn": l.tg1.replace("threads-tg", "gone"), "Targets": [{"Id": "10.0.0.1"}]}),
    );
    assert_eq!(e.code, "TargetGroupNotFound");

    // Once a listener forwards to it, checks start from `initial`.
    ok(
        &mut w,
        "ModifyListener",
        json!({"ListenerArn": l.test, "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg3}]}),
    );
    assert_eq!(
        state_of(&mut w, &tg3, "10.0.3.30"),
        ("initial".into(), Some("Elb.RegistrationInProgress".into()))
    );
    advance(&mut w, 12.0);
    assert_eq!(state_of(&mut w, &tg3, "10.0.3.30"), ("healthy".into(), None));
    // ... and tg2, no longer used, reports unused at once.
    assert_eq!(
        state_of(&mut w, &l.tg2, "10.0.2.20"),
        ("unused".into(), Some("Target.NotInUse".into()))
    );
}

#[test]
fn checks_are_scheduled_per_target_not_scanned() {
    let mut w = world();
    let l = lab(&mut w);
    let k = key();
    for i in 0..3 {
        register_task(&mut w, &k, &l.tg1, &format!("10.0.1.{i}"), 3000, TD1).unwrap();
    }
    let pending = w.scheduler.len();
    // One check per target per interval: 3 targets over 60 s at 6 s = 30 checks.
    let until = w.now.plus_secs(60.0);
    let fired = crate::lifecycle::run_until(&mut w, until);
    assert_eq!(fired, 30 + 1, "30 checks and the load balancer turning active");
    assert_eq!(w.scheduler.len(), pending - 1);
}

#[test]
fn injected_faults_make_healthy_targets_unhealthy_and_back() {
    let mut w = world();
    let l = lab(&mut w);
    let k = key();
    register_task(&mut w, &k, &l.tg1, "10.0.1.10", 3000, TD2).unwrap();
    advance(&mut w, 12.0);
    assert_eq!(state_of(&mut w, &l.tg1, "10.0.1.10").0, "healthy");

    w.faults.unhealthy_task_definitions.insert("threads:2".into());
    advance(&mut w, 6.0);
    assert_eq!(
        state_of(&mut w, &l.tg1, "10.0.1.10").0,
        "healthy",
        "one failure is below the threshold"
    );
    advance(&mut w, 6.0);
    assert_eq!(
        state_of(&mut w, &l.tg1, "10.0.1.10"),
        ("unhealthy".into(), Some("Target.FailedHealthChecks".into()))
    );

    w.faults.unhealthy_task_definitions.clear();
    advance(&mut w, 12.0);
    assert_eq!(state_of(&mut w, &l.tg1, "10.0.1.10").0, "healthy");

    // A new target of a faulty task definition (full ARN listed) never becomes healthy.
    w.faults.unhealthy_task_definitions.insert(TD1.into());
    register_task(&mut w, &k, &l.tg2, "10.0.2.20", 3000, TD1).unwrap();
    advance(&mut w, 6.0);
    assert_eq!(
        state_of(&mut w, &l.tg2, "10.0.2.20"),
        ("initial".into(), Some("Elb.InitialHealthChecking".into()))
    );
    advance(&mut w, 6.0);
    assert_eq!(
        state_of(&mut w, &l.tg2, "10.0.2.20"),
        ("unhealthy".into(), Some("Target.FailedHealthChecks".into()))
    );
    // Targets of other task definitions are unaffected.
    assert_eq!(state_of(&mut w, &l.tg1, "10.0.1.10").0, "healthy");
}

#[test]
fn deregistered_targets_drain_then_disappear() {
    let mut w = world();
    let l = lab(&mut w);
    let k = key();
    register_task(&mut w, &k, &l.tg1, "10.0.1.10", 3000, TD1).unwrap();
    advance(&mut w, 12.0);
    deregister_task(&mut w, &k, &l.tg1, "10.0.1.10", 3000).unwrap();
    assert_eq!(
        state_of(&mut w, &l.tg1, "10.0.1.10"),
        ("draining".into(), Some("Target.DeregistrationInProgress".into()))
    );
    advance(&mut w, 299.0);
    assert_eq!(state_of(&mut w, &l.tg1, "10.0.1.10").0, "draining");
    advance(&mut w, 1.0);
    assert!(health(&mut w, &l.tg1).is_empty());

    // Deregistration delay 0: gone at once. Deregistering an unknown target is a no-op.
    ok(
        &mut w,
        "ModifyTargetGroupAttributes",
        json!({"TargetGroupArn": l.tg1, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "0"}]}),
    );
    ok(
        &mut w,
        "RegisterTargets",
        json!({"TargetGroupArn": l.tg1, "Targets": [{"Id": "10.0.1.11", "Port": 3000}]}),
    );
    ok(
        &mut w,
        "DeregisterTargets",
        json!({"TargetGroupArn": l.tg1, "Targets": [{"Id": "10.0.1.11", "Port": 3000}]}),
    );
    assert!(health(&mut w, &l.tg1).is_empty());
    ok(
        &mut w,
        "DeregisterTargets",
        json!({"TargetGroupArn": l.tg1, "Targets": [{"Id": "10.0.1.12"}]}),
    );

    // Re-registering a draining target starts it over.
    ok(
        &mut w,
        "ModifyTargetGroupAttributes",
        json!({"TargetGroupArn": l.tg1, "Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]}),
    );
    register_task(&mut w, &k, &l.tg1, "10.0.1.13", 3000, TD1).unwrap();
    deregister_task(&mut w, &k, &l.tg1, "10.0.1.13", 3000).unwrap();
    register_task(&mut w, &k, &l.tg1, "10.0.1.13", 3000, TD1).unwrap();
    assert_eq!(state_of(&mut w, &l.tg1, "10.0.1.13").0, "initial");
    advance(&mut w, 40.0);
    assert_eq!(
        state_of(&mut w, &l.tg1, "10.0.1.13").0,
        "healthy",
        "the old drain must not remove it"
    );
}

// ---- CodeDeploy's weighted forward -------------------------------------------------------------

#[test]
fn set_forward_weights_updates_rules_and_keeps_weight_zero_groups_checked() {
    let mut w = world();
    let l = lab(&mut w);
    let k = key();
    register_task(&mut w, &k, &l.tg1, "10.0.1.10", 3000, TD1).unwrap();
    register_task(&mut w, &k, &l.tg2, "10.0.2.20", 3000, TD2).unwrap();
    advance(&mut w, 12.0);

    let st = &w.region_mut(&k).elbv2;
    let refs = forwards_to_target_group(st, &l.prod, &l.tg1);
    assert_eq!(refs.len(), 1);
    assert_eq!(
        (refs[0].arn.as_str(), refs[0].is_rule, refs[0].priority),
        (l.rule.as_str(), true, Some(1))
    );
    assert_eq!(refs[0].weights, vec![(l.tg1.clone(), 1)]);
    assert!(forwards_to_target_group(st, &l.prod, &l.tg2).is_empty());
    assert_eq!(load_balancer_for_target_group(st, &l.tg1), Some(l.lb.clone()));
    assert!(target_group_has_listener(st, &l.tg2));

    set_weights(&mut w, &k, &l.rule, &[(l.tg1.clone(), 90), (l.tg2.clone(), 10)]).unwrap();
    set_weights(&mut w, &k, &l.rule, &[(l.tg2.clone(), 100), (l.tg1.clone(), 0)]).unwrap();
    let d = ok(&mut w, "DescribeRules", json!({"RuleArns": [l.rule]}));
    assert_eq!(
        d["Rules"][0]["Actions"],
        json!([{"Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": l.tg2, "Weight": 100}, {"TargetGroupArn": l.tg1, "Weight": 0}],
            "TargetGroupStickinessConfig": {"Enabled": false}}}])
    );
    assert_eq!(
        forward_weights(&w.region_mut(&k).elbv2, &l.rule),
        Some(vec![(l.tg2.clone(), 100), (l.tg1.clone(), 0)])
    );
    // At weight 0 the old group is still in use: its targets stay checked and healthy.
    advance(&mut w, 60.0);
    assert_eq!(state_of(&mut w, &l.tg1, "10.0.1.10").0, "healthy");
    assert_eq!(
        forwards_to_target_group(&w.region_mut(&k).elbv2, &l.prod, &l.tg2).len(),
        1
    );

    // The test listener's default action, by listener ARN.
    set_weights(&mut w, &k, &l.test, &[(l.tg1.clone(), 1)]).unwrap();
    let d = ok(&mut w, "DescribeListeners", json!({"ListenerArns": [l.test]}));
    assert_eq!(d["Listeners"][0]["DefaultActions"][0]["TargetGroupArn"], json!(l.tg1));

    // Errors: unknown target group, a listener with no forward action, unknown ARNs.
    let gone = l.tg1.replace("threads-tg", "gone");
    assert_eq!(
        set_weights(&mut w, &k, &l.rule, &[(gone, 1)]).unwrap_err().code,
        "TargetGroupNotFound"
    );
    assert_eq!(
        set_weights(&mut w, &k, &l.prod, &[(l.tg1.clone(), 1)])
            .unwrap_err()
            .code,
        "InvalidLoadBalancerAction"
    );
    assert_eq!(
        set_weights(&mut w, &k, &format!("{}x", l.rule), &[]).unwrap_err().code,
        "RuleNotFound"
    );
}

#[test]
fn weights_bring_a_spare_group_into_use() {
    let mut w = world();
    let l = lab(&mut w);
    let k = key();
    let spare = create_lab_tg(&mut w, "spare");
    register_task(&mut w, &k, &spare, "10.0.3.30", 3000, TD1).unwrap();
    advance(&mut w, 30.0);
    assert_eq!(state_of(&mut w, &spare, "10.0.3.30").0, "unused");
    set_weights(&mut w, &k, &l.rule, &[(l.tg1.clone(), 100), (spare.clone(), 0)]).unwrap();
    advance(&mut w, 12.0);
    assert_eq!(state_of(&mut w, &spare, "10.0.3.30").0, "healthy");
    let d = ok(&mut w, "DescribeTargetGroups", json!({"TargetGroupArns": [spare]}));
    assert_eq!(d["TargetGroups"][0]["LoadBalancerArns"], json!([l.lb]));
}

// ---- tags, limits, policies --------------------------------------------------------------------

#[test]
fn tags_on_every_resource_kind() {
    let mut w = world();
    let l = lab(&mut w);
    let arns = [l.lb.clone(), l.tg1.clone(), l.prod.clone(), l.rule.clone()];
    ok(
        &mut w,
        "AddTags",
        json!({"ResourceArns": arns, "Tags": [{"Key": "env", "Value": "lab"}, {"Key": "team", "Value": "a"}]}),
    );
    ok(
        &mut w,
        "AddTags",
        json!({"ResourceArns": [l.lb], "Tags": [{"Key": "env", "Value": "prod"}]}),
    );
    ok(
        &mut w,
        "RemoveTags",
        json!({"ResourceArns": [l.tg1], "TagKeys": ["team"]}),
    );
    let d = ok(&mut w, "DescribeTags", json!({"ResourceArns": arns}));
    let t = d["TagDescriptions"].as_array().unwrap();
    assert_eq!(
        t[0],
        json!({"ResourceArn": l.lb, "Tags": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "a"}]})
    );
    assert_eq!(t[1]["Tags"], json!([{"Key": "env", "Value": "lab"}]));
    assert_eq!(t[3]["Tags"].as_array().unwrap().len(), 2);
    let e = fails(
        &mut w,
        "AddTags",
        json!({"ResourceArns": [l.lb], "Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}),
    );
    assert_eq!(e.code, "DuplicateTagKeys");
    let e = fails(&mut w, "DescribeTags", json!({"ResourceArns": [format!("{}0", l.tg1)]}));
    assert_eq!(e.code, "TargetGroupNotFound");
    let e = fails(
        &mut w,
        "DescribeTags",
        json!({"ResourceArns": [format!("{}0", l.rule)]}),
    );
    assert_eq!(e.code, "RuleNotFound");
    // Tags given at creation.
    let vpc = vpc(&mut w);
    let tg = ok(
        &mut w,
        "CreateTargetGroup",
        json!({"Name": "tagged", "Protocol": "HTTP", "Port": 80, "VpcId": vpc, "Tags": [{"Key": "k", "Value": "v"}]}),
    );
    let arn = tg["TargetGroups"][0]["TargetGroupArn"].clone();
    let d = ok(&mut w, "DescribeTags", json!({"ResourceArns": [arn]}));
    assert_eq!(d["TagDescriptions"][0]["Tags"], json!([{"Key": "k", "Value": "v"}]));
}

#[test]
fn account_limits_and_ssl_policies() {
    let mut w = world();
    let d = ok(&mut w, "DescribeAccountLimits", json!({}));
    let limits = d["Limits"].as_array().unwrap();
    assert!(limits.contains(&json!({"Name": "application-load-balancers", "Max": "50"})));
    assert!(limits.contains(&json!({"Name": "target-groups", "Max": "3000"})));
    let p = ok(
        &mut w,
        "DescribeSSLPolicies",
        json!({"Names": ["ELBSecurityPolicy-2016-08"]}),
    );
    let pol = &p["SslPolicies"][0];
    assert_eq!(pol["SslProtocols"], json!(["TLSv1", "TLSv1.1", "TLSv1.2"]));
    assert_eq!(
        pol["Ciphers"][0],
        json!({"Name": "ECDHE-ECDSA-AES128-GCM-SHA256", "Priority": 1})
    );
    assert_eq!(pol["Ciphers"].as_array().unwrap().len(), 18);
    assert_eq!(
        fails(&mut w, "DescribeSSLPolicies", json!({"Names": ["nope"]})).code,
        "SSLPolicyNotFound"
    );
    let all = ok(&mut w, "DescribeSSLPolicies", json!({}));
    assert!(all["SslPolicies"].as_array().unwrap().len() >= 4);
}

#[test]
fn every_handled_operation_is_in_the_model() {
    let model = Service::Elbv2.model();
    for op in [
        "CreateLoadBalancer",
        "DescribeLoadBalancers",
        "DeleteLoadBalancer",
        "DescribeLoadBalancerAttributes",
        "ModifyLoadBalancerAttributes",
        "CreateTargetGroup",
        "ModifyTargetGroup",
        "DescribeTargetGroups",
        "DeleteTargetGroup",
        "DescribeTargetGroupAttributes",
        "ModifyTargetGroupAttributes",
        "CreateListener",
        "ModifyListener",
        "DescribeListeners",
        "DeleteListener",
        "CreateRule",
        "ModifyRule",
        "DescribeRules",
        "DeleteRule",
        "SetRulePriorities",
        "RegisterTargets",
        "DeregisterTargets",
        "DescribeTargetHealth",
        "AddTags",
        "RemoveTags",
        "DescribeTags",
        "DescribeAccountLimits",
        "DescribeSSLPolicies",
    ] {
        assert!(crate::dispatch::handler(Service::Elbv2, op).is_some(), "{op}");
        assert!(model.operations.contains_key(op), "{op} not in the model");
    }
}
