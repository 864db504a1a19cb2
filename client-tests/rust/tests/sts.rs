//! STS through aws-sdk-sts, in-process.

mod common;

use aws_sdk_sts::error::ProvideErrorMetadata;
use common::*;

#[tokio::test]
async fn caller_identity_is_the_default_account_root() {
    let em = emulator();
    let out = sts(&em).get_caller_identity().send().await.expect("GetCallerIdentity");
    assert_eq!(out.account(), Some("000000000000"));
    assert_eq!(out.arn(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(out.user_id(), Some("000000000000"));
}

#[tokio::test]
async fn twelve_digit_access_key_selects_the_account() {
    let em = emulator();
    let client = aws_sdk_sts::Client::new(&config_as(&em, "123456789012", "test", None));
    let out = client.get_caller_identity().send().await.expect("GetCallerIdentity");
    assert_eq!(out.account(), Some("123456789012"));
    assert_eq!(out.arn(), Some("arn:aws:iam::123456789012:root"));
    // Eleven or thirteen digits are just a key: the default account.
    for key in ["12345678901", "1234567890123"] {
        let client = aws_sdk_sts::Client::new(&config_as(&em, key, "test", None));
        let out = client.get_caller_identity().send().await.expect("GetCallerIdentity");
        assert_eq!(out.account(), Some("000000000000"), "{key}");
    }
}

#[tokio::test]
async fn assume_role_credentials_map_back_to_the_role() {
    let em = emulator();
    let role = iam(&em)
        .create_role()
        .role_name("deployer")
        .assume_role_policy_document(ACCOUNT_TRUST)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role");
    let out = sts(&em)
        .assume_role()
        .role_arn(role.arn())
        .role_session_name("ci-session")
        .send()
        .await
        .expect("AssumeRole");
    let creds = out.credentials().expect("credentials");
    assert!(creds.access_key_id().starts_with("ASIA"), "{}", creds.access_key_id());
    assert_eq!(creds.access_key_id().len(), 20);
    assert!(!creds.secret_access_key().is_empty());
    assert!(!creds.session_token().is_empty());
    let lifetime = creds.expiration().secs() as f64 - em.clock.now().as_secs_f64();
    assert!((lifetime - 3600.0).abs() <= 1.0, "one hour by default, got {lifetime}s");
    let user = out.assumed_role_user().expect("assumed role user");
    assert_eq!(user.arn(), "arn:aws:sts::000000000000:assumed-role/deployer/ci-session");
    assert_eq!(user.assumed_role_id(), format!("{}:ci-session", role.role_id()));

    let as_role = aws_sdk_sts::Client::new(&config_as(
        &em,
        creds.access_key_id(),
        creds.secret_access_key(),
        Some(creds.session_token()),
    ));
    let me = as_role
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity as the role");
    assert_eq!(me.account(), Some("000000000000"));
    assert_eq!(me.arn(), Some(user.arn()));
    assert_eq!(me.user_id(), Some(user.assumed_role_id()));
}

#[tokio::test]
async fn assume_role_rejects_bad_input_with_validation_error() {
    let em = emulator();
    let role = iam(&em)
        .create_role()
        .role_name("r")
        .assume_role_policy_document(ACCOUNT_TRUST)
        .send()
        .await
        .expect("CreateRole")
        .role
        .expect("role");
    let client = sts(&em);
    let cases = [
        (
            client.assume_role().role_arn(role.arn()).role_session_name("has space"),
            "roleSessionName",
        ),
        (
            client
                .assume_role()
                .role_arn(role.arn())
                .role_session_name("s")
                .duration_seconds(899),
            "durationSeconds",
        ),
        (
            client
                .assume_role()
                .role_arn(role.arn())
                .role_session_name("x".repeat(65)),
            "roleSessionName",
        ),
    ];
    for (call, member) in cases {
        let err = call.send().await.expect_err("invalid input must fail");
        let svc = err.into_service_error();
        assert_eq!(svc.code(), Some("ValidationError"), "{svc:?}");
        assert!(svc.message().unwrap_or("").contains(member), "{svc:?}");
    }
}
