//! The client matrix's workflow through aws-sdk-rust (see client-tests/README.md): Lab 4 with a
//! hook, then a deployment whose hook fails and rolls back. The same steps run through boto3
//! (client-tests/python/test_lab4.py), the JS SDK v3 (client-tests/js/lab4.test.mjs) and the AWS
//! CLI's `aws ecs deploy` (client-tests/cli/test_ecs_deploy.py).
//!
//! The SDK clients call the emulator in-process ([`cutover::connector::InProcess`]) and the test
//! drives its manual clock through the handle ([`cutover::Emulator::advance`]). The hooks are real
//! processes (python3.12 functions running client-tests/hooks/hook.py), so the same emulator also
//! listens on a loopback port for their PutLifecycleEventHookExecutionStatus call.

mod common;

use aws_sdk_codedeploy::types::{
    AppSpecContent, AutoRollbackConfiguration, AutoRollbackEvent, BlueGreenDeploymentConfiguration,
    BlueInstanceTerminationOption, ComputePlatform, DeploymentCreator, DeploymentOption, DeploymentReadyAction,
    DeploymentReadyOption, DeploymentStatus, DeploymentStyle, DeploymentType, EcsService, ErrorCode, InstanceAction,
    LifecycleEventStatus, LoadBalancerInfo, RevisionLocation, RevisionLocationType, TargetGroupInfo,
    TargetGroupPairInfo, TargetStatus, TrafficRoute,
};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, DeploymentController,
    DeploymentControllerType, LaunchType, LoadBalancer, NetworkConfiguration, NetworkMode, PortMapping,
    SchedulingStrategy,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ProtocolEnum, RuleCondition, TargetTypeEnum,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime, State};
use common::*;
use cutover::server::{serve_with, ServeOptions};
use cutover::Emulator;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

const ACCOUNT: &str = "000000000000";
const CLUSTER: &str = "my_first_ecs_cluster";
const BLUE: &str = "threads-tg";
const GREEN: &str = "threads-tg-2";
const HOOK_OK: &str = "CodeDeployHook_after-test-traffic";
const HOOK_FAILING: &str = "CodeDeployHook_after-test-traffic-failing";
const HOOK_PY: &str = include_str!("../../hooks/hook.py");
const EVENTS: [&str; 8] = [
    "BeforeInstall",
    "Install",
    "AfterInstall",
    "AllowTestTraffic",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AllowTraffic",
    "AfterAllowTraffic",
];
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct Lab {
    em: Arc<Emulator>,
    ec2: aws_sdk_ec2::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    ecs: aws_sdk_ecs::Client,
    iam: aws_sdk_iam::Client,
    lambda: aws_sdk_lambda::Client,
    cd: aws_sdk_codedeploy::Client,
    subnets: Vec<String>,
    sg: String,
    prod: String,
    test: String,
    rule: String,
    /// target group name -> ARN
    tgs: BTreeMap<&'static str, String>,
}

fn task_definition(
    lab: &Lab,
    tag: &str,
) -> aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder {
    lab.ecs
        .register_task_definition()
        .family("threads-task-def")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .execution_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"))
        .container_definitions(
            ContainerDefinition::builder()
                .name("threads-cntr")
                .image(format!("{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/threads:{tag}"))
                .memory_reservation(128)
                .essential(true)
                .port_mappings(PortMapping::builder().container_port(3000).build())
                .build(),
        )
}

async fn register(lab: &Lab, tag: &str) -> String {
    let out = task_definition(lab, tag).send().await.expect("RegisterTaskDefinition");
    out.task_definition()
        .and_then(|t| t.task_definition_arn())
        .expect("taskDefinitionArn")
        .to_owned()
}

impl Lab {
    /// Lab 4's topology through the Rust SDK: network, ALB with the port-80 listener and the
    /// `/api/threads*` rule, threads-tg and threads-tg-2 with the port-8080 test listener, the
    /// CODE_DEPLOY service threads on revision 1, the CodeDeploy role, threadsApp and threadsDG;
    /// then the clock runs until threads is steady and its target healthy.
    async fn build(em: Arc<Emulator>) -> Lab {
        let conf = config(&em);
        let mut lab = Lab {
            em: em.clone(),
            ec2: aws_sdk_ec2::Client::new(&conf),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&conf),
            ecs: aws_sdk_ecs::Client::new(&conf),
            iam: aws_sdk_iam::Client::new(&conf),
            lambda: aws_sdk_lambda::Client::new(&conf),
            cd: aws_sdk_codedeploy::Client::new(&conf),
            subnets: vec![],
            sg: String::new(),
            prod: String::new(),
            test: String::new(),
            rule: String::new(),
            tgs: BTreeMap::new(),
        };
        let vpc = lab
            .ec2
            .create_vpc()
            .cidr_block("10.0.0.0/16")
            .send()
            .await
            .expect("CreateVpc")
            .vpc()
            .and_then(|v| v.vpc_id())
            .expect("VpcId")
            .to_owned();
        let zones = lab
            .ec2
            .describe_availability_zones()
            .send()
            .await
            .expect("DescribeAvailabilityZones");
        for (i, z) in zones.availability_zones().iter().take(2).enumerate() {
            let s = lab
                .ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.0.{i}.0/24"))
                .set_availability_zone(z.zone_name().map(str::to_owned))
                .send()
                .await
                .expect("CreateSubnet");
            lab.subnets
                .push(s.subnet().and_then(|s| s.subnet_id()).expect("SubnetId").to_owned());
        }
        lab.sg = lab
            .ec2
            .create_security_group()
            .group_name("container-labs")
            .description("labs")
            .vpc_id(&vpc)
            .send()
            .await
            .expect("CreateSecurityGroup")
            .group_id()
            .expect("GroupId")
            .to_owned();
        let lb = lab
            .elb
            .create_load_balancer()
            .name("alb-container-labs")
            .set_subnets(Some(lab.subnets.clone()))
            .security_groups(&lab.sg)
            .send()
            .await
            .expect("CreateLoadBalancer")
            .load_balancers()[0]
            .load_balancer_arn()
            .expect("LoadBalancerArn")
            .to_owned();
        lab.prod = lab
            .elb
            .create_listener()
            .load_balancer_arn(&lb)
            .protocol(ProtocolEnum::Http)
            .port(80)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::FixedResponse)
                    .fixed_response_config(
                        FixedResponseActionConfig::builder()
                            .status_code("404")
                            .content_type("text/plain")
                            .message_body("not found")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("CreateListener 80")
            .listeners()[0]
            .listener_arn()
            .expect("ListenerArn")
            .to_owned();
        for name in [BLUE, GREEN] {
            let tg = lab
                .elb
                .create_target_group()
                .name(name)
                .vpc_id(&vpc)
                .port(3000)
                .protocol(ProtocolEnum::Http)
                .target_type(TargetTypeEnum::Ip)
                .health_check_path("/")
                .health_check_interval_seconds(6)
                .health_check_timeout_seconds(5)
                .healthy_threshold_count(2)
                .unhealthy_threshold_count(2)
                .send()
                .await
                .expect("CreateTargetGroup");
            let arn = tg.target_groups()[0].target_group_arn().expect("TargetGroupArn");
            lab.tgs.insert(name, arn.to_owned());
        }
        lab.rule = lab
            .elb
            .create_rule()
            .listener_arn(&lab.prod)
            .priority(2)
            .conditions(
                RuleCondition::builder()
                    .field("path-pattern")
                    .values("/api/threads*")
                    .build(),
            )
            .actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&lab.tgs[BLUE])
                    .build(),
            )
            .send()
            .await
            .expect("CreateRule")
            .rules()[0]
            .rule_arn()
            .expect("RuleArn")
            .to_owned();
        lab.test = lab
            .elb
            .create_listener()
            .load_balancer_arn(&lb)
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::Forward)
                    .target_group_arn(&lab.tgs[GREEN])
                    .build(),
            )
            .send()
            .await
            .expect("CreateListener 8080")
            .listeners()[0]
            .listener_arn()
            .expect("ListenerArn")
            .to_owned();

        lab.ecs
            .create_cluster()
            .cluster_name(CLUSTER)
            .send()
            .await
            .expect("CreateCluster");
        assert!(register(&lab, "latest")
            .await
            .ends_with(":task-definition/threads-task-def:1"));
        lab.ecs
            .create_service()
            .cluster(CLUSTER)
            .service_name("threads")
            .task_definition("threads-task-def:1")
            .desired_count(1)
            .launch_type(LaunchType::Fargate)
            .scheduling_strategy(SchedulingStrategy::Replica)
            .load_balancers(
                LoadBalancer::builder()
                    .target_group_arn(&lab.tgs[BLUE])
                    .container_name("threads-cntr")
                    .container_port(3000)
                    .build(),
            )
            .network_configuration(network(&lab))
            .deployment_controller(
                DeploymentController::builder()
                    .r#type(DeploymentControllerType::CodeDeploy)
                    .build()
                    .expect("deploymentController"),
            )
            .send()
            .await
            .expect("CreateService");

        let role = lab
            .iam
            .create_role()
            .role_name("ecsCodeDeployServiceRole")
            .assume_role_policy_document(CODEDEPLOY_TRUST)
            .send()
            .await
            .expect("CreateRole")
            .role()
            .map(|r| r.arn().to_owned())
            .expect("role");
        lab.iam
            .attach_role_policy()
            .role_name("ecsCodeDeployServiceRole")
            .policy_arn("arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS")
            .send()
            .await
            .expect("AttachRolePolicy");
        lab.cd
            .create_application()
            .application_name("threadsApp")
            .compute_platform(ComputePlatform::Ecs)
            .send()
            .await
            .expect("CreateApplication");
        lab.cd
            .create_deployment_group()
            .application_name("threadsApp")
            .deployment_group_name("threadsDG")
            .deployment_config_name("CodeDeployDefault.ECSAllAtOnce")
            .service_role_arn(role)
            .ecs_services(
                EcsService::builder()
                    .service_name("threads")
                    .cluster_name(CLUSTER)
                    .build(),
            )
            .auto_rollback_configuration(
                AutoRollbackConfiguration::builder()
                    .enabled(true)
                    .events(AutoRollbackEvent::DeploymentFailure)
                    .build(),
            )
            .deployment_style(
                DeploymentStyle::builder()
                    .deployment_type(DeploymentType::BlueGreen)
                    .deployment_option(DeploymentOption::WithTrafficControl)
                    .build(),
            )
            .blue_green_deployment_configuration(
                BlueGreenDeploymentConfiguration::builder()
                    .terminate_blue_instances_on_deployment_success(
                        BlueInstanceTerminationOption::builder()
                            .action(InstanceAction::Terminate)
                            .termination_wait_time_in_minutes(5)
                            .build(),
                    )
                    .deployment_ready_option(
                        DeploymentReadyOption::builder()
                            .action_on_timeout(DeploymentReadyAction::ContinueDeployment)
                            .wait_time_in_minutes(0)
                            .build(),
                    )
                    .build(),
            )
            .load_balancer_info(
                LoadBalancerInfo::builder()
                    .target_group_pair_info_list(
                        TargetGroupPairInfo::builder()
                            .target_groups(TargetGroupInfo::builder().name(BLUE).build())
                            .target_groups(TargetGroupInfo::builder().name(GREEN).build())
                            .prod_traffic_route(TrafficRoute::builder().listener_arns(&lab.prod).build())
                            .test_traffic_route(TrafficRoute::builder().listener_arns(&lab.test).build())
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("CreateDeploymentGroup");

        let mut spent = 0;
        while !lab.threads_ready().await {
            assert!(
                spent < 600,
                "threads not steady and healthy within 600 simulated seconds"
            );
            em.advance(10.0);
            spent += 10;
        }
        lab
    }

    async fn threads_ready(&self) -> bool {
        let sets = self.task_sets().await;
        let health = self
            .elb
            .describe_target_health()
            .target_group_arn(&self.tgs[BLUE])
            .send()
            .await
            .expect("DescribeTargetHealth");
        let states: Vec<&str> = health
            .target_health_descriptions()
            .iter()
            .filter_map(|t| t.target_health().and_then(|h| h.state()).map(|s| s.as_str()))
            .collect();
        sets.len() == 1
            && sets[0].stability_status().map(|s| s.as_str()) == Some("STEADY_STATE")
            && states == ["healthy"]
    }

    /// The hook's role as Lab 4 sets it up, and the two functions (one reports Succeeded, one Failed).
    async fn create_hooks(&self) {
        let role = self
            .iam
            .create_role()
            .role_name("CodeDeployHookRole")
            .assume_role_policy_document(LAMBDA_TRUST)
            .send()
            .await
            .expect("CreateRole")
            .role()
            .map(|r| r.arn().to_owned())
            .expect("role");
        self.iam
            .attach_role_policy()
            .role_name("CodeDeployHookRole")
            .policy_arn("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            .send()
            .await
            .expect("AttachRolePolicy");
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Action":["codedeploy:PutLifecycleEventHookExecutionStatus"],"Resource":"arn:aws:codedeploy:us-east-1:{ACCOUNT}:deploymentgroup:*","Effect":"Allow"}}]}}"#
        );
        self.iam
            .put_role_policy()
            .role_name("CodeDeployHookRole")
            .policy_name("PutLifecycleEventHookExecutionStatus")
            .policy_document(policy)
            .send()
            .await
            .expect("PutRolePolicy");
        let mut zipped = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut zipped);
        z.start_file("hook.py", zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        z.write_all(HOOK_PY.as_bytes()).expect("zip write");
        z.finish().expect("zip finish");
        let zipped = zipped.into_inner();
        for (name, status) in [(HOOK_OK, "Succeeded"), (HOOK_FAILING, "Failed")] {
            self.lambda
                .create_function()
                .function_name(name)
                .runtime(Runtime::Python312)
                .role(&role)
                .handler("hook.handler")
                .code(FunctionCode::builder().zip_file(Blob::new(zipped.clone())).build())
                .environment(Environment::builder().variables("HOOK_STATUS", status).build())
                .send()
                .await
                .expect("CreateFunction");
        }
        self.em.advance(5.0);
        for name in [HOOK_OK, HOOK_FAILING] {
            let f = self
                .lambda
                .get_function()
                .function_name(name)
                .send()
                .await
                .expect("GetFunction");
            assert_eq!(f.configuration().and_then(|c| c.state()), Some(&State::Active));
        }
    }

    async fn task_sets(&self) -> Vec<aws_sdk_ecs::types::TaskSet> {
        let out = self
            .ecs
            .describe_services()
            .cluster(CLUSTER)
            .services("threads")
            .send()
            .await
            .expect("DescribeServices");
        out.services()[0].task_sets().to_vec()
    }

    /// (status, "family:revision", target group name) of each task set, sorted.
    async fn task_set_summary(&self) -> Vec<(String, String, String)> {
        let mut v: Vec<_> = self
            .task_sets()
            .await
            .iter()
            .map(|ts| {
                let tg = ts.load_balancers()[0].target_group_arn().unwrap_or_default();
                let name = self.tgs.iter().find(|(_, a)| a.as_str() == tg).map(|(n, _)| *n);
                (
                    ts.status().unwrap_or_default().to_owned(),
                    ts.task_definition()
                        .unwrap_or_default()
                        .rsplit('/')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    name.unwrap_or("?").to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    }

    /// The percentage of a forward action's traffic that goes to `tg`.
    fn share(&self, actions: &[Action], tg: &str) -> f64 {
        let fwd = actions
            .iter()
            .find(|a| a.r#type() == Some(&ActionTypeEnum::Forward))
            .expect("a forward action");
        let groups: Vec<(String, i32)> = match fwd.forward_config().map(|f| f.target_groups()) {
            Some(groups) if !groups.is_empty() => groups
                .iter()
                .map(|g| {
                    (
                        g.target_group_arn().unwrap_or_default().to_owned(),
                        g.weight().unwrap_or(1),
                    )
                })
                .collect(),
            _ => vec![(fwd.target_group_arn().unwrap_or_default().to_owned(), 1)],
        };
        let total: i32 = groups.iter().map(|(_, w)| w).sum();
        let mine: i32 = groups.iter().filter(|(a, _)| *a == self.tgs[tg]).map(|(_, w)| w).sum();
        100.0 * f64::from(mine) / f64::from(total)
    }

    async fn prod_share(&self, tg: &str) -> f64 {
        let out = self
            .elb
            .describe_rules()
            .rule_arns(&self.rule)
            .send()
            .await
            .expect("DescribeRules");
        self.share(out.rules()[0].actions(), tg)
    }

    async fn test_share(&self, tg: &str) -> f64 {
        let out = self
            .elb
            .describe_listeners()
            .listener_arns(&self.test)
            .send()
            .await
            .expect("DescribeListeners");
        self.share(out.listeners()[0].default_actions(), tg)
    }

    async fn deployment(&self, id: &str) -> aws_sdk_codedeploy::types::DeploymentInfo {
        self.cd
            .get_deployment()
            .deployment_id(id)
            .send()
            .await
            .expect("GetDeployment")
            .deployment_info()
            .cloned()
            .expect("deploymentInfo")
    }

    async fn status(&self, id: &str) -> DeploymentStatus {
        self.deployment(id).await.status().cloned().expect("status")
    }

    /// The ECS target; None before the deployment starts (DeploymentNotStartedException).
    async fn ecs_target(&self, id: &str) -> Option<aws_sdk_codedeploy::types::EcsTarget> {
        match self
            .cd
            .get_deployment_target()
            .deployment_id(id)
            .target_id(format!("{CLUSTER}:threads"))
            .send()
            .await
        {
            Ok(out) => out.deployment_target().and_then(|t| t.ecs_target()).cloned(),
            Err(e) => {
                let e = e.into_service_error();
                assert!(e.is_deployment_not_started_exception(), "GetDeploymentTarget: {e:?}");
                None
            }
        }
    }

    async fn events(&self, id: &str) -> BTreeMap<String, LifecycleEventStatus> {
        let target = self.ecs_target(id).await;
        target
            .iter()
            .flat_map(|t| t.lifecycle_events())
            .filter_map(|e| Some((e.lifecycle_event_name()?.to_owned(), e.status()?.clone())))
            .collect()
    }

    async fn deploy(&self, task_definition_arn: &str, hook: &str) -> String {
        let content = serde_json::json!({
            "version": 0.0,
            "Resources": [{"TargetService": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "TaskDefinition": task_definition_arn,
                    "LoadBalancerInfo": {"ContainerName": "threads-cntr", "ContainerPort": 3000},
                    "PlatformVersion": "LATEST",
                    "NetworkConfiguration": {"awsvpcConfiguration": {
                        "subnets": self.subnets, "securityGroups": [self.sg], "assignPublicIp": "DISABLED"
                    }}
                }
            }}],
            "Hooks": [{"AfterAllowTestTraffic": hook}]
        });
        self.cd
            .create_deployment()
            .application_name("threadsApp")
            .deployment_group_name("threadsDG")
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::AppSpecContent)
                    .app_spec_content(AppSpecContent::builder().content(content.to_string()).build())
                    .build(),
            )
            .send()
            .await
            .expect("CreateDeployment")
            .deployment_id()
            .expect("deploymentId")
            .to_owned()
    }

    /// Advances the clock 5 s at a time until the AfterAllowTestTraffic hook is invoked.
    async fn until_hook_invoked(&self, id: &str) {
        let mut spent = 0;
        while self.events(id).await.get("AfterAllowTestTraffic") != Some(&LifecycleEventStatus::InProgress) {
            assert!(
                spent < 900,
                "AfterAllowTestTraffic not invoked within 900 simulated seconds"
            );
            self.em.advance(5.0);
            spent += 5;
        }
    }

    /// Waits on the wall clock (the hook is a real process) for its answer; returns the event's
    /// status then.
    async fn hook_answer(&self, id: &str) -> LifecycleEventStatus {
        for _ in 0..300 {
            match self.events(id).await.get("AfterAllowTestTraffic") {
                Some(LifecycleEventStatus::InProgress) | None => {}
                Some(s) => return s.clone(),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the hook did not answer within 30 s of wall time")
    }

    /// Advances 15 s at a time until the deployment is over.
    async fn settle(&self, id: &str) -> DeploymentStatus {
        let mut spent = 0;
        loop {
            let s = self.status(id).await;
            if matches!(
                s,
                DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Stopped
            ) {
                return s;
            }
            assert!(spent < 7200, "{id} not over within 7200 simulated seconds");
            self.em.advance(15.0);
            spent += 15;
        }
    }

    /// Advances until no task set is DRAINING (a deleted task set stays DRAINING until its targets
    /// deregister and its tasks stop).
    async fn drained(&self) {
        let mut spent = 0;
        while self.task_sets().await.iter().any(|ts| ts.status() == Some("DRAINING")) {
            assert!(spent < 900, "draining task sets not gone within 900 simulated seconds");
            self.em.advance(30.0);
            spent += 30;
        }
    }
}

fn network(lab: &Lab) -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(lab.subnets.clone()))
                .security_groups(&lab.sg)
                .assign_public_ip(AssignPublicIp::Disabled)
                .build()
                .expect("awsvpcConfiguration"),
        )
        .build()
}

fn summary(v: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    v.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

fn all_events(statuses: impl Fn(usize) -> LifecycleEventStatus) -> BTreeMap<String, LifecycleEventStatus> {
    EVENTS
        .iter()
        .enumerate()
        .map(|(i, e)| (e.to_string(), statuses(i)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab4_hook_then_rollback() {
    let em = emulator();
    // The hooks call back over HTTP: the same emulator listens on loopback (no ALB data plane).
    let server = serve_with(
        "127.0.0.1:0",
        em.clone(),
        ServeOptions {
            alb: None,
            ..Default::default()
        },
    )
    .await
    .expect("server starts");
    let lab = Lab::build(em).await;
    lab.create_hooks().await;
    assert_eq!(
        lab.task_set_summary().await,
        summary(&[("PRIMARY", "threads-task-def:1", BLUE)])
    );

    // Revision 2 with an AfterAllowTestTraffic hook that reports Succeeded.
    let rev2 = register(&lab, "0.1").await;
    assert!(rev2.ends_with(":task-definition/threads-task-def:2"), "{rev2}");
    let d = lab.deploy(&rev2, HOOK_OK).await;
    lab.until_hook_invoked(&d).await;
    // While the hook runs, production is on blue and the test listener reaches green.
    assert_eq!(lab.prod_share(BLUE).await, 100.0);
    assert_eq!(lab.test_share(GREEN).await, 100.0);
    assert_eq!(lab.hook_answer(&d).await, LifecycleEventStatus::Succeeded);
    let mut spent = 0;
    while lab.ecs_target(&d).await.and_then(|t| t.status().cloned()) != Some(TargetStatus::Succeeded) {
        assert!(spent < 600, "target not done within 600 simulated seconds");
        lab.em.advance(5.0);
        spent += 5;
    }
    // Traffic on green; the deployment waits out the 5-minute termination wait with blue still there.
    assert_eq!(lab.prod_share(GREEN).await, 100.0);
    assert_eq!(lab.status(&d).await, DeploymentStatus::InProgress);
    assert_eq!(
        lab.task_set_summary().await,
        summary(&[
            ("ACTIVE", "threads-task-def:1", BLUE),
            ("PRIMARY", "threads-task-def:2", GREEN)
        ])
    );
    assert_eq!(lab.settle(&d).await, DeploymentStatus::Succeeded);
    assert!(lab.deployment(&d).await.error_information().is_none());
    assert_eq!(lab.events(&d).await, all_events(|_| LifecycleEventStatus::Succeeded));
    lab.drained().await;
    assert_eq!(
        lab.task_set_summary().await,
        summary(&[("PRIMARY", "threads-task-def:2", GREEN)])
    );
    assert_eq!(lab.prod_share(GREEN).await, 100.0);

    // Revision 3 with a hook that reports Failed: the deployment fails and rolls back to green.
    let rev3 = register(&lab, "0.2").await;
    let d3 = lab.deploy(&rev3, HOOK_FAILING).await;
    lab.until_hook_invoked(&d3).await;
    assert_eq!(lab.test_share(BLUE).await, 100.0);
    assert_eq!(lab.hook_answer(&d3).await, LifecycleEventStatus::Failed);
    let failed = lab.deployment(&d3).await;
    assert_eq!(failed.status(), Some(&DeploymentStatus::Failed));
    let error = failed.error_information().expect("errorInformation");
    assert_eq!(error.code(), Some(&ErrorCode::HookExecutionFailure));
    assert_eq!(
        error.message(),
        Some("The deployment failed because the AfterAllowTestTraffic lifecycle hook reported Failed.")
    );
    assert_eq!(
        lab.events(&d3).await,
        all_events(|i| match i {
            0..=3 => LifecycleEventStatus::Succeeded,
            4 => LifecycleEventStatus::Failed,
            _ => LifecycleEventStatus::Skipped,
        })
    );
    let rollback_id = failed
        .rollback_info()
        .and_then(|r| r.rollback_deployment_id())
        .expect("rollbackDeploymentId")
        .to_owned();
    assert_eq!(lab.settle(&rollback_id).await, DeploymentStatus::Succeeded);
    let rollback = lab.deployment(&rollback_id).await;
    assert_eq!(rollback.creator(), Some(&DeploymentCreator::CodeDeployRollback));
    assert_eq!(
        rollback
            .rollback_info()
            .and_then(|r| r.rollback_triggering_deployment_id()),
        Some(d3.as_str())
    );
    assert_eq!(lab.prod_share(GREEN).await, 100.0);
    assert_eq!(lab.test_share(GREEN).await, 100.0);
    lab.drained().await;
    assert_eq!(
        lab.task_set_summary().await,
        summary(&[("PRIMARY", "threads-task-def:2", GREEN)])
    );

    server.shutdown().await;
}
