//! Where services meet IAM and STS: the lifecycle layer's answer to `services::identity::Identity`
//! ([`Iam`], a view of every account's IAM state), the operations that need it (STS's AssumeRole,
//! Lambda's execution-role checks, a function instance's credentials), and [`trusts`], which
//! Lambda's and CodeDeploy's role checks read.

use crate::protocol::AwsResult;
use crate::services::identity::{parse_role_arn, Identity, RoleFacts, RoleTrust};
use crate::services::{iam, lambda, sts, typed_input, typed_output, Ctx};
use crate::world::{Account, World};
use cutover_types::lambda as lt;
use cutover_types::sts::{AssumeRoleRequest, AssumeRoleResponse};
use serde_json::Value;
use std::collections::BTreeMap;

/// IAM as the other services see it: the accounts' IAM states, borrowed beside the state of the
/// service being called.
pub struct Iam<'a> {
    pub accounts: &'a mut BTreeMap<String, Account>,
}

/// The IAM state of `account`, if it has one yet.
fn iam_of<'a>(accounts: &'a BTreeMap<String, Account>, account: &str) -> Option<&'a iam::State> {
    accounts.get(account).map(|a| &a.iam)
}

/// Whether `role` (an ARN, or a name in `account`) trusts `principal` for `action`, over the
/// accounts' IAM states.
pub fn trusts(
    accounts: &BTreeMap<String, Account>,
    account: &str,
    role: &str,
    principal: &str,
    action: &str,
) -> RoleTrust {
    iam::role_trusts(|a| iam_of(accounts, a), account, role, principal, action)
}

impl Identity for Iam<'_> {
    fn role(&self, account: &str, name: &str) -> Option<RoleFacts> {
        let r = iam_of(self.accounts, account)?.role(name)?;
        Some(RoleFacts {
            name: r.name.clone(),
            id: r.id.clone(),
            arn: r.arn.clone(),
            max_session_duration: r.max_session_duration,
        })
    }

    fn role_trusts(&self, account: &str, role: &str, principal: &str, action: &str) -> Result<(), String> {
        trusts(self.accounts, account, role, principal, action)
    }

    fn role_used(&mut self, account: &str, region: &str, name: &str, at: f64) {
        if let Some(r) = self.accounts.get_mut(account).and_then(|a| a.iam.role_mut(name)) {
            r.last_used = Some((at, region.to_owned()));
        }
    }
}

/// STS's AssumeRole: STS's state, with IAM's roles of every account as the view.
pub fn assume_role(world: &mut World, ctx: &Ctx, input: AssumeRoleRequest) -> AwsResult<AssumeRoleResponse> {
    let (st, accounts, mut env) = world.split_sts();
    sts::assume_role(st, &mut env, &mut Iam { accounts }, ctx, input)
}

/// Whether `role`, the execution role a Lambda request names, lets Lambda assume it (`Ok` when
/// the request names none).
fn lambda_role(world: &World, ctx: &Ctx, role: Option<&str>) -> RoleTrust {
    match role {
        Some(role) => trusts(
            &world.accounts,
            &ctx.account,
            role,
            "lambda.amazonaws.com",
            "sts:AssumeRole",
        ),
        None => Ok(()),
    }
}

/// Lambda's CreateFunction: Lambda's state, told whether IAM lets Lambda assume the role.
pub fn create_function(
    world: &mut World,
    ctx: &Ctx,
    input: lt::CreateFunctionRequest,
) -> AwsResult<lt::FunctionConfiguration> {
    let trust = lambda_role(world, ctx, Some(&input.role));
    let (region, mut env) = world.split(&ctx.partition());
    lambda::functions::create_function(&mut region.lambda, &mut env, trust, ctx, input)
}

/// The change half of Lambda's UpdateFunctionConfiguration (the runtime stops the instances), as
/// [`create_function`].
pub fn update_function_configuration(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let input: lt::UpdateFunctionConfigurationRequest = typed_input(ctx.service, &input)?;
    let trust = lambda_role(world, ctx, input.role.as_deref());
    let (region, mut env) = world.split(&ctx.partition());
    let out = lambda::functions::update_function_configuration(&mut region.lambda, &mut env, trust, ctx, input)?;
    typed_output(ctx, out)
}

/// Credentials of a function instance's execution role: an STS session of the role named after
/// the function (`session`), so calls made with them resolve to `assumed-role/<role>/<session>`.
/// `account` is the function's, for a role given by name. Returns (access key, secret, token).
pub fn function_credentials(world: &mut World, account: &str, role: &str, session: &str) -> (String, String, String) {
    let (account, role_name) = parse_role_arn(role).unwrap_or_else(|| (account.to_owned(), role.to_owned()));
    let (st, accounts, mut env) = world.split_sts();
    let role_id = Iam { accounts }
        .role(&account, &role_name)
        .map(|r| r.id)
        .unwrap_or_else(|| "AROACUTOVERLAMBDA".into());
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}");
    let user_id = format!("{role_id}:{session}");
    let c = sts::issue(st, &mut env, &account, &arn, &user_id, 12 * 3600);
    (c.access_key_id, c.secret_access_key, c.session_token)
}
