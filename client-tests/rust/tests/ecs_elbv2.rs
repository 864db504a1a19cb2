//! ECS and ELBv2 through aws-sdk-rust in-process: the lab's topology, a CODE_DEPLOY service that
//! starts with a PRIMARY task set and reaches steady state on the manual clock, target health, and
//! the typed errors a user's Rust code matches on.

mod common;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, DeploymentController,
    DeploymentControllerType, LaunchType, LoadBalancer, NetworkConfiguration, NetworkMode, PortMapping,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, ProtocolEnum, RuleCondition, TargetTypeEnum,
};
use common::*;

#[tokio::test]
async fn lab_topology_and_a_code_deploy_service_through_the_rust_sdk() {
    let em = emulator();
    let conf = config(&em);
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    let ecs = aws_sdk_ecs::Client::new(&conf);

    let subnets: Vec<String> = ec2
        .describe_subnets()
        .send()
        .await
        .expect("DescribeSubnets")
        .subnets()
        .iter()
        .take(2)
        .filter_map(|s| s.subnet_id().map(str::to_owned))
        .collect();
    let vpc = ec2.describe_vpcs().send().await.expect("DescribeVpcs").vpcs()[0]
        .vpc_id()
        .unwrap_or_default()
        .to_owned();
    let lb = elb
        .create_load_balancer()
        .name("alb-container-labs")
        .set_subnets(Some(subnets.clone()))
        .send()
        .await
        .expect("CreateLoadBalancer");
    let lb = &lb.load_balancers()[0];
    assert!(lb.dns_name().unwrap_or_default().starts_with("alb-container-labs-"));
    let lb_arn = lb.load_balancer_arn().unwrap_or_default().to_owned();
    let tg = elb
        .create_target_group()
        .name("threads-tg")
        .protocol(ProtocolEnum::Http)
        .port(3000)
        .vpc_id(&vpc)
        .target_type(TargetTypeEnum::Ip)
        .health_check_interval_seconds(6)
        .healthy_threshold_count(2)
        .send()
        .await
        .expect("CreateTargetGroup");
    let tg_arn = tg.target_groups()[0].target_group_arn().unwrap_or_default().to_owned();
    assert_eq!(tg.target_groups()[0].health_check_path(), Some("/"));
    let listener = elb
        .create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::FixedResponse)
                .fixed_response_config(FixedResponseActionConfig::builder().status_code("404").build())
                .build(),
        )
        .send()
        .await
        .expect("CreateListener");
    let listener_arn = listener.listeners()[0].listener_arn().unwrap_or_default().to_owned();
    elb.create_rule()
        .listener_arn(&listener_arn)
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
                .target_group_arn(&tg_arn)
                .build(),
        )
        .send()
        .await
        .expect("CreateRule");

    ecs.create_cluster()
        .cluster_name("my_first_ecs_cluster")
        .send()
        .await
        .expect("CreateCluster");
    let td = ecs
        .register_task_definition()
        .family("threads-task-def")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("threads-cntr")
                .image("threads:0.1")
                .port_mappings(PortMapping::builder().container_port(3000).build())
                .build(),
        )
        .send()
        .await
        .expect("RegisterTaskDefinition");
    assert_eq!(td.task_definition().map(|t| t.revision()), Some(1));

    let service = ecs
        .create_service()
        .cluster("my_first_ecs_cluster")
        .service_name("threads")
        .task_definition("threads-task-def:1")
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(&tg_arn)
                .container_name("threads-cntr")
                .container_port(3000)
                .build(),
        )
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .set_subnets(Some(subnets.clone()))
                        .assign_public_ip(AssignPublicIp::Disabled)
                        .build()
                        .expect("awsvpc"),
                )
                .build(),
        )
        .deployment_controller(
            DeploymentController::builder()
                .r#type(DeploymentControllerType::CodeDeploy)
                .build()
                .expect("dc"),
        )
        .send()
        .await
        .expect("CreateService");
    let svc = service.service().expect("service");
    assert!(svc.deployments().is_empty());
    assert_eq!(svc.task_sets()[0].status(), Some("PRIMARY"));

    em.advance(60.0);
    let d = ecs
        .describe_services()
        .cluster("my_first_ecs_cluster")
        .services("threads")
        .send()
        .await
        .expect("DescribeServices");
    let ts = &d.services()[0].task_sets()[0];
    assert_eq!(ts.running_count(), 1);
    assert_eq!(ts.stability_status().map(|s| s.as_str()), Some("STEADY_STATE"));
    let health = elb
        .describe_target_health()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .expect("DescribeTargetHealth");
    let states: Vec<&str> = health
        .target_health_descriptions()
        .iter()
        .filter_map(|t| t.target_health().and_then(|h| h.state()).map(|s| s.as_str()))
        .collect();
    assert_eq!(states, ["healthy"]);

    // What CodeDeploy owns cannot be changed with UpdateService.
    let err = ecs
        .update_service()
        .cluster("my_first_ecs_cluster")
        .service("threads")
        .task_definition("threads-task-def:1")
        .force_new_deployment(true)
        .send()
        .await
        .expect_err("forceNewDeployment on a CODE_DEPLOY service");
    assert!(err.into_service_error().is_invalid_parameter_exception());
    // A missing target group is ELBv2's TargetGroupNotFound.
    let err = elb
        .describe_target_health()
        .target_group_arn(format!("{tg_arn}0"))
        .send()
        .await
        .expect_err("missing target group");
    assert!(err.into_service_error().is_target_group_not_found_exception());
    // A target group in use by a rule cannot be deleted.
    let err = elb
        .delete_target_group()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .expect_err("in use");
    assert!(err.into_service_error().is_resource_in_use_exception());
}
