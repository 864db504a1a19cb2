//! The emulated services. Each has a `handler(operation) -> Option<Handler>` table; an operation the
//! model has but the table lacks is answered with 501. Handlers take the canonical input value
//! (see `protocol`) and return the canonical output value or an [`AwsError`].

pub mod cloudwatch;
pub mod codedeploy;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod iam;
pub mod identity;
pub mod lambda;
pub mod logs;
pub mod sts;
pub mod util;

use crate::model::Service;
use crate::protocol::{AwsError, AwsResult};
use crate::sim::SimTime;
use crate::world::{PartitionKey, World};
use crate::Emulator;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Who is calling: resolved from the SigV4 access key.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub access_key: String,
    /// `arn:aws:iam::<acct>:root`, or `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
    pub arn: String,
    /// `UserId` as GetCallerIdentity reports it.
    pub user_id: String,
}

/// The context of one API call.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub service: Service,
    pub operation: String,
    pub account: String,
    pub region: String,
    pub request_id: String,
    pub caller: Caller,
}

impl Ctx {
    pub fn partition(&self) -> PartitionKey {
        PartitionKey::new(&self.account, &self.region)
    }

    /// A context for calls the emulator makes itself (tests, the engine, scenarios).
    pub fn internal(service: Service, account: &str, region: &str) -> Ctx {
        Ctx {
            service,
            operation: String::new(),
            account: account.to_owned(),
            region: region.to_owned(),
            request_id: String::new(),
            caller: Caller {
                access_key: "internal".into(),
                arn: format!("arn:aws:iam::{account}:root"),
                user_id: account.to_owned(),
            },
        }
    }
}

pub type SyncHandler = fn(&mut World, &Ctx, Value) -> AwsResult<Value>;
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
/// For operations that wait on something outside the state lock (a Lambda process, say).
pub type AsyncHandler = fn(Arc<Emulator>, Ctx, Value) -> BoxFuture<AwsResult<Value>>;

#[derive(Clone, Copy)]
pub enum Handler {
    Sync(SyncHandler),
    Async(AsyncHandler),
}

/// The handler for `operation` of `service`, if cutover implements it.
pub fn handler(service: Service, operation: &str) -> Option<Handler> {
    match service {
        Service::Sts => sts::handler(operation),
        Service::Iam => iam::handler(operation),
        Service::Ec2 => ec2::handler(operation),
        Service::Elbv2 => elbv2::handler(operation),
        Service::Ecs => ecs::handler(operation),
        Service::Lambda => lambda::handler(operation),
        Service::CloudWatch => cloudwatch::handler(operation),
        Service::Logs => logs::handler(operation),
        Service::CodeDeploy => codedeploy::handler(operation),
    }
}

/// The current simulated time of a world, as epoch seconds for output values.
pub fn now_secs(world: &World) -> f64 {
    world.now.as_secs_f64()
}

/// `SimTime` helper for services.
pub fn after_secs(world: &World, secs: f64) -> SimTime {
    world.now.plus_secs(secs)
}

/// Shorthand for an error in handlers.
pub fn err(code: &str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, message)
}

/// Checks `input` against the model and finds the handler: the part of a call that is the same
/// however it is made.
fn prepare(service: Service, account: &str, region: &str, op: &str, input: &Value) -> AwsResult<(Ctx, Handler)> {
    let model = service.model();
    let operation = model
        .operation(op)
        .ok_or_else(|| AwsError::new("UnknownOperationException", format!("Unknown operation {op}")))?;
    crate::protocol::validate::validate_input(service, &model, operation, input)?;
    let mut ctx = Ctx::internal(service, account, region);
    ctx.operation = op.to_owned();
    let h = handler(service, op).ok_or_else(|| AwsError::not_implemented(&model.metadata.service_id, op))?;
    Ok((ctx, h))
}

/// Calls an operation the way the API does (validated against the model, then the handler), for
/// the emulator's own callers: tests, scenarios and the lab walkthrough. Async handlers are not
/// callable this way.
pub fn call(
    world: &mut World,
    service: Service,
    account: &str,
    region: &str,
    op: &str,
    input: Value,
) -> AwsResult<Value> {
    match prepare(service, account, region, op, &input)? {
        (ctx, Handler::Sync(f)) => f(world, &ctx, input),
        (_, Handler::Async(_)) => Err(AwsError::not_implemented(&service.model().metadata.service_id, op)),
    }
}

/// Like [`call`], for every implemented operation, async ones (Lambda Invoke) included: what the
/// control API's `POST /_emulator/call` and the scenario runner use.
pub async fn call_any(
    em: &Arc<Emulator>,
    service: Service,
    account: &str,
    region: &str,
    op: &str,
    input: Value,
) -> AwsResult<Value> {
    match prepare(service, account, region, op, &input)? {
        (ctx, Handler::Sync(f)) => em.with_world(|w| f(w, &ctx, input)),
        (ctx, Handler::Async(f)) => f(em.clone(), ctx, input).await,
    }
}

/// What the services' unit tests share: handlers called directly (no model validation) on a
/// `World`, panicking with the operation's name when a call goes the other way than expected.
#[cfg(test)]
pub(crate) mod testing {
    use super::{handler, Ctx, Handler};
    use crate::protocol::{AwsError, AwsResult};
    use crate::world::World;
    use serde_json::Value;

    pub fn call(w: &mut World, ctx: &Ctx, op: &str, input: Value) -> AwsResult<Value> {
        match handler(ctx.service, op) {
            Some(Handler::Sync(f)) => f(w, ctx, input),
            _ => panic!("no handler for {op}"),
        }
    }

    pub fn ok(w: &mut World, ctx: &Ctx, op: &str, input: Value) -> Value {
        call(w, ctx, op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    pub fn fails(w: &mut World, ctx: &Ctx, op: &str, input: Value) -> AwsError {
        match call(w, ctx, op, input) {
            Ok(v) => panic!("{op} succeeded: {v}"),
            Err(e) => e,
        }
    }
}
