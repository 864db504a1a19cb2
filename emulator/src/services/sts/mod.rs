//! STS: GetCallerIdentity, AssumeRole, GetSessionToken. PLACEHOLDER: being written.

use super::Handler;

/// Credentials handed out by STS or to a Lambda function: they map back to this identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedCredentials {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: f64,
}

pub fn handler(_op: &str) -> Option<Handler> {
    None
}
