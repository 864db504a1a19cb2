//! IAM through aws-sdk-iam, in-process: the role and policy calls the lab makes.

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::operation::attach_role_policy::AttachRolePolicyError;
use aws_sdk_iam::operation::create_role::CreateRoleError;
use aws_sdk_iam::operation::delete_role::DeleteRoleError;
use aws_sdk_iam::operation::get_role::GetRoleError;
use aws_sdk_iam::operation::get_role_policy::GetRolePolicyError;
use aws_sdk_iam::types::PolicyScopeType;
use common::*;

/// How the lab spells it; the policy's real ARN ([`ECS_CODEDEPLOY`]) has no `service-role/` path.
const ECS_CODEDEPLOY_LAB: &str = "arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForECS";
const ECS_CODEDEPLOY: &str = "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS";
const LAMBDA_BASIC: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const HOOK_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Action":["codedeploy:PutLifecycleEventHookExecutionStatus"],"Resource":"arn:aws:codedeploy:us-east-1:000000000000:deploymentgroup:*","Effect":"Allow"}]}"#;

async fn create(client: &aws_sdk_iam::Client, name: &str) -> aws_sdk_iam::types::Role {
    client
        .create_role()
        .role_name(name)
        .assume_role_policy_document(CODEDEPLOY_TRUST)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role")
}

#[tokio::test]
async fn create_get_and_list_roles() {
    let em = emulator();
    let iam = iam(&em);
    let created = create(&iam, "ecsCodeDeployServiceRole").await;
    assert_eq!(created.role_name(), "ecsCodeDeployServiceRole");
    assert_eq!(created.path(), "/");
    assert_eq!(created.arn(), "arn:aws:iam::000000000000:role/ecsCodeDeployServiceRole");
    assert!(
        created.role_id().starts_with("AROA") && created.role_id().len() == 21,
        "{}",
        created.role_id()
    );
    let doc = created.assume_role_policy_document().expect("trust policy");
    assert_eq!(
        policy_json(doc),
        serde_json::from_str::<serde_json::Value>(CODEDEPLOY_TRUST).unwrap()
    );

    let got = iam
        .get_role()
        .role_name("ecsCodeDeployServiceRole")
        .send()
        .await
        .expect("GetRole")
        .role
        .expect("role");
    assert_eq!(got.role_id(), created.role_id());
    assert_eq!(got.arn(), created.arn());
    assert_eq!(got.create_date(), created.create_date());
    assert_eq!(got.max_session_duration(), Some(3600));

    iam.create_role()
        .role_name("svc")
        .path("/service-role/")
        .assume_role_policy_document(CODEDEPLOY_TRUST)
        .send()
        .await
        .expect("CreateRole with a path");
    let all: Vec<String> = iam
        .list_roles()
        .send()
        .await
        .expect("ListRoles")
        .roles()
        .iter()
        .map(|r| r.role_name().to_owned())
        .collect();
    assert!(
        all.contains(&"ecsCodeDeployServiceRole".to_owned()) && all.contains(&"svc".to_owned()),
        "{all:?}"
    );
    let scoped = iam
        .list_roles()
        .path_prefix("/service-role/")
        .send()
        .await
        .expect("ListRoles");
    let scoped: Vec<&str> = scoped.roles().iter().map(|r| r.arn()).collect();
    assert_eq!(scoped, ["arn:aws:iam::000000000000:role/service-role/svc"]);
}

#[tokio::test]
async fn duplicate_and_missing_roles_are_typed_errors() {
    let em = emulator();
    let iam = iam(&em);
    create(&iam, "Dup").await;
    let err = iam
        .create_role()
        .role_name("dup")
        .assume_role_policy_document(CODEDEPLOY_TRUST)
        .send()
        .await
        .expect_err("role names are unique ignoring case");
    let raw_status = err.raw_response().map(|r| r.status().as_u16());
    assert!(matches!(
        err.into_service_error(),
        CreateRoleError::EntityAlreadyExistsException(_)
    ));
    assert_eq!(raw_status, Some(409));

    let err = iam
        .get_role()
        .role_name("ghost")
        .send()
        .await
        .expect_err("no such role");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    match err.into_service_error() {
        GetRoleError::NoSuchEntityException(e) => {
            assert!(e.message().unwrap_or("").contains("ghost"), "{e:?}")
        }
        other => panic!("expected NoSuchEntity, got {other:?}"),
    }
    let err = iam
        .delete_role()
        .role_name("ghost")
        .send()
        .await
        .expect_err("no such role");
    assert!(matches!(
        err.into_service_error(),
        DeleteRoleError::NoSuchEntityException(_)
    ));
}

#[tokio::test]
async fn managed_and_inline_policies_and_delete_conflicts() {
    let em = emulator();
    let iam = iam(&em);
    create(&iam, "ecsCodeDeployServiceRole").await;
    iam.attach_role_policy()
        .role_name("ecsCodeDeployServiceRole")
        .policy_arn(ECS_CODEDEPLOY_LAB)
        .send()
        .await
        .expect("AttachRolePolicy with the seeded AWS managed policy");
    let attached = iam
        .list_attached_role_policies()
        .role_name("ecsCodeDeployServiceRole")
        .send()
        .await
        .expect("ListAttachedRolePolicies");
    let attached: Vec<(Option<&str>, Option<&str>)> = attached
        .attached_policies()
        .iter()
        .map(|p| (p.policy_name(), p.policy_arn()))
        .collect();
    assert_eq!(attached, [(Some("AWSCodeDeployRoleForECS"), Some(ECS_CODEDEPLOY))]);

    let aws_managed = iam
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .max_items(1000)
        .send()
        .await
        .expect("ListPolicies");
    let arns: Vec<&str> = aws_managed.policies().iter().filter_map(|p| p.arn()).collect();
    assert!(
        arns.contains(&ECS_CODEDEPLOY) && arns.contains(&LAMBDA_BASIC),
        "seeded AWS managed policies: {arns:?}"
    );
    let service_role = iam
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .path_prefix("/service-role/")
        .max_items(1000)
        .send()
        .await
        .expect("ListPolicies");
    let arns: Vec<&str> = service_role.policies().iter().filter_map(|p| p.arn()).collect();
    assert!(
        arns.contains(&LAMBDA_BASIC) && !arns.contains(&ECS_CODEDEPLOY),
        "{arns:?}"
    );

    iam.put_role_policy()
        .role_name("ecsCodeDeployServiceRole")
        .policy_name("hook-status")
        .policy_document(HOOK_POLICY)
        .send()
        .await
        .expect("PutRolePolicy");
    let inline = iam
        .get_role_policy()
        .role_name("ecsCodeDeployServiceRole")
        .policy_name("hook-status")
        .send()
        .await
        .expect("GetRolePolicy");
    assert_eq!(
        policy_json(inline.policy_document()),
        serde_json::from_str::<serde_json::Value>(HOOK_POLICY).unwrap()
    );
    let err = iam
        .get_role_policy()
        .role_name("ecsCodeDeployServiceRole")
        .policy_name("nope")
        .send()
        .await
        .expect_err("no such inline policy");
    assert!(matches!(
        err.into_service_error(),
        GetRolePolicyError::NoSuchEntityException(_)
    ));

    let err = iam
        .delete_role()
        .role_name("ecsCodeDeployServiceRole")
        .send()
        .await
        .expect_err("attached policy");
    assert!(matches!(
        err.into_service_error(),
        DeleteRoleError::DeleteConflictException(_)
    ));
    iam.detach_role_policy()
        .role_name("ecsCodeDeployServiceRole")
        .policy_arn(ECS_CODEDEPLOY)
        .send()
        .await
        .expect("DetachRolePolicy");
    let err = iam
        .delete_role()
        .role_name("ecsCodeDeployServiceRole")
        .send()
        .await
        .expect_err("inline policy");
    assert!(matches!(
        err.into_service_error(),
        DeleteRoleError::DeleteConflictException(_)
    ));
    iam.delete_role_policy()
        .role_name("ecsCodeDeployServiceRole")
        .policy_name("hook-status")
        .send()
        .await
        .expect("DeleteRolePolicy");
    iam.delete_role()
        .role_name("ecsCodeDeployServiceRole")
        .send()
        .await
        .expect("DeleteRole");
    let err = iam
        .get_role()
        .role_name("ecsCodeDeployServiceRole")
        .send()
        .await
        .expect_err("deleted");
    assert!(matches!(
        err.into_service_error(),
        GetRoleError::NoSuchEntityException(_)
    ));
}

#[tokio::test]
async fn attaching_an_unknown_policy_or_to_an_unknown_role() {
    let em = emulator();
    let iam = iam(&em);
    create(&iam, "r").await;
    let err = iam
        .attach_role_policy()
        .role_name("r")
        .policy_arn("arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")
        .send()
        .await
        .expect_err("unknown policy");
    assert!(matches!(
        err.into_service_error(),
        AttachRolePolicyError::NoSuchEntityException(_)
    ));
    let err = iam
        .attach_role_policy()
        .role_name("ghost")
        .policy_arn(ECS_CODEDEPLOY)
        .send()
        .await
        .expect_err("unknown role");
    assert!(matches!(
        err.into_service_error(),
        AttachRolePolicyError::NoSuchEntityException(_)
    ));
    let err = iam
        .attach_role_policy()
        .role_name("r")
        .policy_arn("this-is-not-a-valid-policy-arn")
        .send()
        .await
        .expect_err("not an ARN");
    assert!(matches!(
        err.into_service_error(),
        AttachRolePolicyError::InvalidInputException(_)
    ));
}

#[tokio::test]
async fn malformed_trust_policy() {
    let em = emulator();
    let err = iam(&em)
        .create_role()
        .role_name("r")
        .assume_role_policy_document("{not json")
        .send()
        .await
        .expect_err("malformed document");
    let svc = err.into_service_error();
    assert!(
        matches!(svc, CreateRoleError::MalformedPolicyDocumentException(_)),
        "{svc:?}"
    );
    assert_eq!(svc.code(), Some("MalformedPolicyDocument"));
}
