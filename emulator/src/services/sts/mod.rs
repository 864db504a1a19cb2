//! STS: GetCallerIdentity, AssumeRole, GetSessionToken, over its own [`State`] (one for the whole
//! emulator, `World::sts`): the credentials it issues, so later calls signed with them resolve to
//! the identity they were issued for (`dispatch::resolve_caller`). The handlers are typed over the
//! generated `cutover_types::sts` structures (see `services::typed!`). AssumeRole also needs IAM's
//! roles: it takes them as an [`Identity`] view, and the lifecycle layer registers it
//! (`lifecycle::identity::assume_role`).

use super::identity::{parse_role_arn, policy_size, Identity, POLICY_SYNTAX};
use super::{Ctx, Op};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use cutover_types::sts::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials, GetCallerIdentityRequest,
    GetCallerIdentityResponse, GetSessionTokenRequest, GetSessionTokenResponse,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

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

impl IssuedCredentials {
    pub fn is_expired(&self, now_secs: f64) -> bool {
        now_secs >= self.expiration
    }
}

/// STS's state: every credential issued, by access key id.
#[derive(Debug, Default)]
pub struct State {
    pub issued: BTreeMap<String, IssuedCredentials>,
}

/// Sessions of roles assumed by a role session (role chaining) last at most an hour.
pub const ROLE_CHAINING_MAX: i64 = 3600;

/// STS's own operations (AssumeRole, which also reads IAM, is the lifecycle layer's).
pub fn handler(op: &str) -> Option<Op<State>> {
    match op {
        "GetCallerIdentity" => Some(typed!(get_caller_identity)),
        "GetSessionToken" => Some(typed!(get_session_token)),
        _ => None,
    }
}

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new("ValidationError", message)
}

fn access_denied(message: impl Into<String>) -> AwsError {
    AwsError::new("AccessDenied", message).with_status(403)
}

pub fn get_caller_identity(
    _st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    _input: GetCallerIdentityRequest,
) -> AwsResult<GetCallerIdentityResponse> {
    Ok(GetCallerIdentityResponse {
        user_id: Some(ctx.caller.user_id.clone()),
        account: Some(ctx.account.clone()),
        arn: Some(ctx.caller.arn.clone()),
    })
}

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Issues a new set of temporary credentials for an identity and records them.
pub fn issue(
    st: &mut State,
    env: &mut Env<'_>,
    account: &str,
    arn: &str,
    user_id: &str,
    duration_secs: i64,
) -> Credentials {
    let access_key = format!("ASIA{}", env.ids.upper_alnum(16));
    let secret = env.ids.from_alphabet(SECRET_ALPHABET, 40);
    let token = format!("IQoJb3JpZ2luX2VjE{}", env.ids.from_alphabet(SECRET_ALPHABET, 340));
    // Whole seconds, as STS answers.
    let expiration = env.now_secs().floor() + duration_secs as f64;
    st.issued.insert(
        access_key.clone(),
        IssuedCredentials {
            account: account.to_owned(),
            arn: arn.to_owned(),
            user_id: user_id.to_owned(),
            secret_access_key: secret.clone(),
            session_token: token.clone(),
            expiration,
        },
    );
    Credentials {
        access_key_id: access_key,
        secret_access_key: secret,
        session_token: token,
        expiration,
    }
}

fn check_pattern(value: &str, member: &str, min: usize, max: usize, extra: &str, pattern: &str) -> AwsResult<()> {
    let len = value.chars().count();
    if len < min {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
        )));
    }
    if len > max {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )));
    }
    if !value
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || extra.contains(c))
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
        )));
    }
    Ok(())
}

fn check_duration(value: i64, min: i64, max: i64) -> AwsResult<()> {
    if value < min {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        )));
    }
    if value > max {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(())
}

/// AssumeRole, with IAM's roles of every account as `roles`.
pub fn assume_role(
    st: &mut State,
    env: &mut Env<'_>,
    roles: &mut dyn Identity,
    ctx: &Ctx,
    input: AssumeRoleRequest,
) -> AwsResult<AssumeRoleResponse> {
    let role_arn = input.role_arn.as_str();
    let session = input.role_session_name.as_str();
    check_pattern(session, "roleSessionName", 2, 64, "+=,.@-", "[\\w+=,.@-]*")?;
    if let Some(si) = input.source_identity.as_deref() {
        check_pattern(si, "sourceIdentity", 2, 64, "+=,.@-", "[\\w+=,.@-]*")?;
    }
    let duration = input.duration_seconds.map_or(3600, i64::from);
    check_duration(duration, 900, 43200)?;
    if role_arn.chars().count() < 20 {
        return Err(validation(format!(
            "1 validation error detected: Value '{role_arn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
        )));
    }
    let denied = || {
        access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            ctx.caller.arn
        ))
    };
    let (role_account, role_name) = parse_role_arn(role_arn).ok_or_else(denied)?;
    let role = roles.role(&role_account, &role_name).ok_or_else(denied)?;
    if role.arn != role_arn {
        // The ARN must name the role with its path.
        return Err(denied());
    }
    roles
        .role_trusts(&role_account, role_arn, &ctx.caller.arn, "sts:AssumeRole")
        .map_err(|_| denied())?;
    let chained = ctx.caller.arn.contains(":assumed-role/");
    if chained && duration > ROLE_CHAINING_MAX {
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    if duration > role.max_session_duration {
        return Err(validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let mut packed = None;
    if let Some(policy) = input.policy.as_deref() {
        let parsed: Value =
            serde_json::from_str(policy).map_err(|_| AwsError::new("MalformedPolicyDocument", POLICY_SYNTAX))?;
        if !parsed.is_object() {
            return Err(AwsError::new("MalformedPolicyDocument", POLICY_SYNTAX));
        }
        let size = policy_size(policy);
        if size > 2048 {
            return Err(AwsError::new(
                "PackedPolicyTooLarge",
                format!(
                    "Packed policy consumes {}% of allotted space, please use smaller policy.",
                    size * 100 / 2048
                ),
            ));
        }
        // At most 100 (the size is at most 2048).
        packed = Some(i32::try_from(size * 100 / 2048).unwrap_or(100));
    }
    if input.policy_arns.as_ref().is_some_and(|a| !a.is_empty()) && packed.is_none() {
        packed = Some(1);
    }
    let assumed_arn = format!("arn:aws:sts::{role_account}:assumed-role/{}/{session}", role.name);
    let assumed_id = format!("{}:{session}", role.id);
    let credentials = issue(st, env, &role_account, &assumed_arn, &assumed_id, duration);
    roles.role_used(&role_account, &ctx.region, &role_name, env.now_secs());
    env.record(crate::timeline::Entry::resource(
        "sts",
        format!("{} assumed {} as session {session}", ctx.caller.arn, role.arn),
        json!({"accessKeyId": credentials.access_key_id}),
    ));
    Ok(AssumeRoleResponse {
        credentials: Some(credentials),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: assumed_id,
            arn: assumed_arn,
        }),
        packed_policy_size: packed,
        source_identity: input.source_identity.clone(),
    })
}

pub fn get_session_token(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: GetSessionTokenRequest,
) -> AwsResult<GetSessionTokenResponse> {
    if ctx.caller.arn.contains(":assumed-role/") {
        return Err(access_denied("Cannot call GetSessionToken with session credentials"));
    }
    let requested = input.duration_seconds.map(i64::from);
    if let Some(d) = requested {
        check_duration(d, 900, 129_600)?;
    }
    let is_root = ctx.caller.arn.ends_with(":root");
    let mut duration = requested.unwrap_or(43_200);
    if is_root {
        // Sessions of the account root last at most an hour.
        duration = duration.min(3600);
    }
    let credentials = issue(st, env, &ctx.account, &ctx.caller.arn, &ctx.caller.user_id, duration);
    Ok(GetSessionTokenResponse {
        credentials: Some(credentials),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::resolve_caller;
    use crate::model::Service;
    use crate::services::iam::test_support::direct;
    use crate::sim::SimTime;
    use crate::world::World;

    const ACCT: &str = "123456789012";
    const T0: i64 = 1_700_000_000_000;
    const ACCOUNT_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    // The handlers through the table (the typed adapter), on input values as the API passes them.
    fn assume_role(w: &mut World, c: &Ctx, input: Value) -> AwsResult<Value> {
        crate::dispatch::testing::call(w, c, "AssumeRole", input)
    }

    fn get_caller_identity(w: &mut World, c: &Ctx, input: Value) -> AwsResult<Value> {
        crate::dispatch::testing::call(w, c, "GetCallerIdentity", input)
    }

    fn get_session_token(w: &mut World, c: &Ctx, input: Value) -> AwsResult<Value> {
        crate::dispatch::testing::call(w, c, "GetSessionToken", input)
    }

    fn setup() -> (World, Ctx) {
        let mut w = crate::lifecycle::new_world(SimTime(T0));
        let iam_ctx = Ctx::internal(Service::Iam, ACCT, "us-east-1");
        direct("CreateRole", 
            &mut w,
            &iam_ctx,
            json!({"RoleName": "deployer", "Path": "/ci/", "AssumeRolePolicyDocument": ACCOUNT_TRUST, "MaxSessionDuration": 7200}),
        )
        .unwrap();
        direct(
            "CreateRole",
            &mut w,
            &iam_ctx,
            json!({"RoleName": "fn", "AssumeRolePolicyDocument": LAMBDA_TRUST}),
        )
        .unwrap();
        (w, Ctx::internal(Service::Sts, ACCT, "eu-west-1"))
    }

    /// The context of a call signed with `access_key`, resolved as dispatch does.
    fn ctx_for(w: &World, access_key: &str) -> Ctx {
        let (account, caller) = resolve_caller(w, Some(access_key));
        let mut c = Ctx::internal(Service::Sts, &account, "eu-west-1");
        c.caller = caller;
        c
    }

    #[test]
    fn caller_identity_of_root() {
        let (mut w, c) = setup();
        let out = get_caller_identity(&mut w, &c, json!({})).unwrap();
        assert_eq!(
            out,
            json!({"UserId": ACCT, "Account": ACCT, "Arn": format!("arn:aws:iam::{ACCT}:root")})
        );
    }

    #[test]
    fn assume_role_issues_credentials_that_resolve_to_the_session() {
        let (mut w, c) = setup();
        let role_arn = format!("arn:aws:iam::{ACCT}:role/ci/deployer");
        let out = assume_role(
            &mut w,
            &c,
            json!({"RoleArn": role_arn, "RoleSessionName": "build-1", "DurationSeconds": 1800}),
        )
        .unwrap();
        let creds = &out["Credentials"];
        let akid = creds["AccessKeyId"].as_str().unwrap();
        assert!(akid.starts_with("ASIA") && akid.len() == 20);
        assert_eq!(creds["SecretAccessKey"].as_str().unwrap().len(), 40);
        assert!(!creds["SessionToken"].as_str().unwrap().is_empty());
        assert_eq!(creds["Expiration"], json!(T0 as f64 / 1000.0 + 1800.0));
        let session_arn = format!("arn:aws:sts::{ACCT}:assumed-role/deployer/build-1");
        assert_eq!(out["AssumedRoleUser"]["Arn"], session_arn);
        let role_id = w.account(ACCT).unwrap().iam.role("deployer").unwrap().id.clone();
        assert_eq!(out["AssumedRoleUser"]["AssumedRoleId"], format!("{role_id}:build-1"));
        assert!(out.get("PackedPolicySize").is_none());

        let sc = ctx_for(&w, akid);
        let who = get_caller_identity(&mut w, &sc, json!({})).unwrap();
        assert_eq!(
            who,
            json!({"UserId": format!("{role_id}:build-1"), "Account": ACCT, "Arn": session_arn})
        );

        let got = direct(
            "GetRole",
            &mut w,
            &Ctx::internal(Service::Iam, ACCT, "us-east-1"),
            json!({"RoleName": "deployer"}),
        )
        .unwrap();
        assert_eq!(got["Role"]["RoleLastUsed"]["Region"], "eu-west-1");

        // Role chaining: the account-trusting role may be assumed again from the session, for an hour at most.
        let e = assume_role(
            &mut w,
            &sc,
            json!({"RoleArn": role_arn, "RoleSessionName": "again", "DurationSeconds": 3601}),
        )
        .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(e.message.contains("role chaining"), "{}", e.message);
        assume_role(&mut w, &sc, json!({"RoleArn": role_arn, "RoleSessionName": "again"})).unwrap();
    }

    #[test]
    fn assume_role_errors() {
        let (mut w, c) = setup();
        let missing = format!("arn:aws:iam::{ACCT}:role/nope");
        let e = assume_role(&mut w, &c, json!({"RoleArn": missing, "RoleSessionName": "s1"})).unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("AccessDenied", Some(403)));
        assert_eq!(
            e.message,
            format!(
                "User: arn:aws:iam::{ACCT}:root is not authorized to perform: sts:AssumeRole on resource: {missing}"
            )
        );
        // The trust policy only lets Lambda in.
        let fn_arn = format!("arn:aws:iam::{ACCT}:role/fn");
        assert_eq!(
            assume_role(&mut w, &c, json!({"RoleArn": fn_arn, "RoleSessionName": "s1"}))
                .unwrap_err()
                .code,
            "AccessDenied"
        );
        // Another account is not trusted.
        let other = Ctx::internal(Service::Sts, "999999999999", "us-east-1");
        let deployer = format!("arn:aws:iam::{ACCT}:role/ci/deployer");
        assert_eq!(
            assume_role(&mut w, &other, json!({"RoleArn": deployer, "RoleSessionName": "s1"}))
                .unwrap_err()
                .code,
            "AccessDenied"
        );
        // Durations.
        let e = assume_role(
            &mut w,
            &c,
            json!({"RoleArn": deployer, "RoleSessionName": "s1", "DurationSeconds": 7201}),
        )
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        );
        let e = assume_role(
            &mut w,
            &c,
            json!({"RoleArn": deployer, "RoleSessionName": "s1", "DurationSeconds": 60}),
        )
        .unwrap_err();
        assert!(e.message.contains("greater than or equal to 900"), "{}", e.message);
        assume_role(
            &mut w,
            &c,
            json!({"RoleArn": deployer, "RoleSessionName": "s1", "DurationSeconds": 7200}),
        )
        .unwrap();
        // Session names.
        let e = assume_role(&mut w, &c, json!({"RoleArn": deployer, "RoleSessionName": "has space"})).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(e.message.contains("roleSessionName"));
        assert_eq!(
            assume_role(&mut w, &c, json!({"RoleArn": deployer, "RoleSessionName": "x"}))
                .unwrap_err()
                .code,
            "ValidationError"
        );
        // Session policies.
        let e = assume_role(
            &mut w,
            &c,
            json!({"RoleArn": deployer, "RoleSessionName": "s1", "Policy": "{"}),
        )
        .unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocument");
        let out = assume_role(
            &mut w,
            &c,
            json!({"RoleArn": deployer, "RoleSessionName": "s1", "Policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#}),
        )
        .unwrap();
        assert!(out["PackedPolicySize"].as_u64().is_some());
        assert!(w.sts.issued.len() >= 2);
    }

    #[test]
    fn session_tokens_map_back_to_the_caller() {
        let (mut w, c) = setup();
        let out = get_session_token(&mut w, &c, json!({"DurationSeconds": 7200})).unwrap();
        let creds = &out["Credentials"];
        // The account root gets an hour at most.
        assert_eq!(creds["Expiration"], json!(T0 as f64 / 1000.0 + 3600.0));
        let akid = creds["AccessKeyId"].as_str().unwrap();
        let sc = ctx_for(&w, akid);
        assert_eq!(sc.caller.arn, format!("arn:aws:iam::{ACCT}:root"));
        assert_eq!(sc.account, ACCT);
        let e = get_session_token(&mut w, &c, json!({"DurationSeconds": 100})).unwrap_err();
        assert_eq!(e.code, "ValidationError");

        let deployer = format!("arn:aws:iam::{ACCT}:role/ci/deployer");
        let assumed = assume_role(&mut w, &c, json!({"RoleArn": deployer, "RoleSessionName": "s1"})).unwrap();
        let sc = ctx_for(&w, assumed["Credentials"]["AccessKeyId"].as_str().unwrap());
        assert_eq!(
            get_session_token(&mut w, &sc, json!({})).unwrap_err().code,
            "AccessDenied"
        );
        assert!(w.sts.issued.values().all(|c| !c.is_expired(T0 as f64 / 1000.0)));
    }

    #[test]
    fn the_typed_adapter_answers_undeserialisable_input_with_the_validation_error() {
        let (mut w, c) = setup();
        // Only internal callers skip validation; a missing required member is STS's ValidationError.
        let e = assume_role(&mut w, &c, json!({"RoleSessionName": "s1"})).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(e.message.contains("RoleArn"), "{}", e.message);
        // Validation lets an integral float stand for an integer; so does the adapter.
        let out = get_session_token(&mut w, &c, json!({"DurationSeconds": 900.0})).unwrap();
        assert_eq!(out["Credentials"]["Expiration"], json!(T0 as f64 / 1000.0 + 900.0));
        let e = get_session_token(&mut w, &c, json!({"DurationSeconds": 900.5})).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        // No input at all is the empty structure.
        assert_eq!(get_caller_identity(&mut w, &c, Value::Null).unwrap()["Account"], ACCT);
    }

    #[test]
    fn only_the_three_operations_are_registered() {
        let registered = |op| crate::dispatch::handler(Service::Sts, op).is_some();
        assert!(registered("AssumeRole"));
        assert!(registered("GetCallerIdentity"));
        assert!(registered("GetSessionToken"));
        assert!(!registered("AssumeRoleWithWebIdentity"));
    }
}
