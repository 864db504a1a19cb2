//! aws-sdk-rust clients wired to an emulator in this process through
//! [`cutover::connector::InProcess`]: no socket, no retries, static test credentials.

#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use cutover::connector::InProcess;
use cutover::sim::ClockMode;
use cutover::Emulator;
use std::sync::Arc;

pub const ENDPOINT: &str = "http://cutover.local";

/// A new emulator on the manual clock.
pub fn emulator() -> Arc<Emulator> {
    Emulator::new(ClockMode::Manual)
}

/// SDK config for `em` as the caller with this access key (a 12-digit key selects the account).
pub fn config_as(em: &Arc<Emulator>, access_key: &str, secret: &str, session_token: Option<&str>) -> SdkConfig {
    let creds = Credentials::new(
        access_key,
        secret,
        session_token.map(str::to_owned),
        None,
        "cutover-client-tests",
    );
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(ENDPOINT)
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .retry_config(RetryConfig::disabled())
        .http_client(InProcess::new(em.clone()))
        .build()
}

/// SDK config for `em` with the usual `test`/`test` credentials (account 000000000000).
pub fn config(em: &Arc<Emulator>) -> SdkConfig {
    config_as(em, "test", "test", None)
}

/// The same config in another region.
pub fn config_in(em: &Arc<Emulator>, region: &'static str) -> SdkConfig {
    config(em).into_builder().region(Region::new(region)).build()
}

pub fn sts(em: &Arc<Emulator>) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&config(em))
}

pub fn iam(em: &Arc<Emulator>) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&config(em))
}

pub fn ec2(em: &Arc<Emulator>) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&config(em))
}

pub const CODEDEPLOY_TRUST: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": {"Service": ["codedeploy.amazonaws.com"]},
            "Action": "sts:AssumeRole"
        }
    ]
}"#;

/// A trust policy that lets the default account's own principals assume the role.
#[allow(dead_code)]
pub const ACCOUNT_TRUST: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}
    ]
}"#;

/// IAM returns policy documents URL-encoded; this decodes one (percent escapes and `+`).
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii escape");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("utf8 document")
}

/// Parses a policy document as IAM returns it (URL-encoded JSON).
pub fn policy_json(encoded: &str) -> serde_json::Value {
    serde_json::from_str(&url_decode(encoded)).expect("policy document is JSON")
}
