//! One AWS API call from HTTP request to HTTP response: detect the service and protocol, find the
//! operation, parse and validate the input from the model, resolve the caller, run the handler,
//! and serialize the output or error. Nothing a client sends may panic the emulator.
//!
//! Every error is written in the protocol the request was detected as, so the caller's SDK
//! parses it, including the ones before any operation is known:
//!
//! * a request no service can be told from: awsQuery's `MissingAction` / `InvalidAction` when it
//!   is form-encoded or has `Action` in its query string, else awsJson's
//!   `UnrecognizedClientException`;
//! * awsQuery or EC2 without `Action`: `MissingAction` ("The request must contain the parameter
//!   Action"), AWS's common error;
//! * a SigV4 credential scope naming a region AWS does not have (`xx-fake-1`): 403 with AWS's
//!   message "Credential should be scoped to a valid region, not 'xx-fake-1'." and the code AWS
//!   answers for a bad signature in that protocol (`SignatureDoesNotMatch` for awsQuery,
//!   `AuthFailure` for EC2, `InvalidSignatureException` for the JSON protocols). Against AWS
//!   such a region usually fails at the client (no endpoint resolves), but an endpoint URL set
//!   by hand reaches the service, which answers this; cutover answers it too rather than keep
//!   resources in a region no real account has. Regions are recognised by the partitions'
//!   pattern ([`detect::is_known_region`]).

use crate::model::Service;
use crate::protocol::AwsResult;
use crate::protocol::{detect, query, validate, AwsError, HttpRequest, HttpResponse, Wire};
use crate::services::{self, Caller, Ctx, Op};
use crate::world::{World, WorldOp, DEFAULT_ACCOUNT, DEFAULT_REGION};
use crate::Emulator;
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

pub use crate::runtime::lambda::invoke::{AsyncHandler, BoxFuture};

/// A synchronous operation, with what it runs over: the whole world (the lifecycle layer's
/// operations that span services, and services not yet over their own state) or one service's
/// state: STS's (one for the emulator), or the caller's account's (IAM) or account and region's
/// (the others).
#[derive(Clone, Copy)]
pub enum Handler {
    World(WorldOp),
    Sts(Op<services::sts::State>),
    Ec2(Op<services::ec2::State>),
    Elbv2(Op<services::elbv2::State>),
    Ecs(Op<services::ecs::State>),
    Lambda(Op<services::lambda::State>),
    CloudWatch(Op<services::cloudwatch::State>),
    Logs(Op<services::logs::State>),
    CodeDeploy(Op<services::codedeploy::State>),
    Iam(Op<services::iam::State>),
}

impl Handler {
    /// Runs the operation for the caller of `ctx` (its account and region).
    pub fn call(self, world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
        let key = ctx.partition();
        // A regional service's handler over its state in the caller's region.
        macro_rules! regional {
            ($f:expr, $svc:ident) => {{
                let (region, mut env) = world.split(&key);
                $f(&mut region.$svc, &mut env, ctx, input)
            }};
        }
        match self {
            Handler::World(f) => f(world, ctx, input),
            Handler::Sts(f) => {
                let (sts, _, mut env) = world.split_sts();
                f(sts, &mut env, ctx, input)
            }
            Handler::Iam(f) => {
                let (account, mut env) = world.split_account(&ctx.account);
                f(&mut account.iam, &mut env, ctx, input)
            }
            Handler::Ec2(f) => regional!(f, ec2),
            Handler::Elbv2(f) => regional!(f, elbv2),
            Handler::Ecs(f) => regional!(f, ecs),
            Handler::Lambda(f) => regional!(f, lambda),
            Handler::CloudWatch(f) => regional!(f, cloudwatch),
            Handler::Logs(f) => regional!(f, logs),
            Handler::CodeDeploy(f) => regional!(f, codedeploy),
        }
    }
}

/// The synchronous handler for `operation` of `service`, if cutover implements it: the lifecycle
/// layer's when the operation spans services, else the service's own.
pub fn handler(service: Service, operation: &str) -> Option<Handler> {
    if let Some(f) = crate::lifecycle::handler(service, operation) {
        return Some(Handler::World(f));
    }
    match service {
        Service::Sts => services::sts::handler(operation).map(Handler::Sts),
        Service::Iam => services::iam::handler(operation).map(Handler::Iam),
        Service::Ec2 => services::ec2::handler(operation).map(Handler::Ec2),
        Service::Elbv2 => services::elbv2::handler(operation).map(Handler::Elbv2),
        Service::Ecs => services::ecs::handler(operation).map(Handler::Ecs),
        Service::Lambda => services::lambda::handler(operation).map(Handler::Lambda),
        Service::CloudWatch => services::cloudwatch::handler(operation).map(Handler::CloudWatch),
        Service::Logs => services::logs::handler(operation).map(Handler::Logs),
        Service::CodeDeploy => services::codedeploy::handler(operation).map(Handler::CodeDeploy),
    }
}

/// How an implemented operation runs: synchronously under the world lock, or asynchronously in a
/// runtime (Lambda's Invoke and the calls that stop its processes).
#[derive(Clone, Copy)]
pub enum Operation {
    Sync(Handler),
    Async(AsyncHandler),
}

/// The implementation of `operation` of `service`, if cutover has one.
pub fn operation(service: Service, operation: &str) -> Option<Operation> {
    if service == Service::Lambda {
        if let Some(f) = crate::runtime::lambda::invoke::handler(operation) {
            return Some(Operation::Async(f));
        }
    }
    handler(service, operation).map(Operation::Sync)
}

/// Calls a synchronous operation the way the API does (validated against the model, then the
/// handler), for the emulator's own callers: tests, scenarios and the lab walkthrough. The Lambda
/// runtime's asynchronous operations are not callable this way ([`call_any`] calls them).
pub fn call(
    world: &mut World,
    service: Service,
    account: &str,
    region: &str,
    op: &str,
    input: Value,
) -> AwsResult<Value> {
    let ctx = services::validated_ctx(service, account, region, op, &input)?;
    match handler(service, op) {
        Some(h) => h.call(world, &ctx, input),
        None => Err(AwsError::not_implemented(&service.model().metadata.service_id, op)),
    }
}

/// Calls any implemented operation the way the API does (validated against the model, then run),
/// asynchronous ones included: what the control API's `POST /_emulator/call` and the scenario
/// runner use.
pub async fn call_any(
    em: &Arc<Emulator>,
    service: Service,
    account: &str,
    region: &str,
    op: &str,
    input: Value,
) -> AwsResult<Value> {
    let ctx = services::validated_ctx(service, account, region, op, &input)?;
    match operation(service, op) {
        Some(Operation::Sync(h)) => em.with_world(|w| h.call(w, &ctx, input)),
        Some(Operation::Async(f)) => f(em.clone(), ctx, input).await,
        None => Err(AwsError::not_implemented(&service.model().metadata.service_id, op)),
    }
}

/// Resolves who is calling from the access key: STS-issued keys map back to their identity, a
/// 12-digit key names the account, anything else is the root of the default account.
pub fn resolve_caller(world: &World, access_key: Option<&str>) -> (String, Caller) {
    let key = access_key.unwrap_or("").to_owned();
    if let Some(c) = world.sts.issued.get(&key) {
        return (
            c.account.clone(),
            Caller {
                access_key: key,
                arn: c.arn.clone(),
                user_id: c.user_id.clone(),
            },
        );
    }
    let account = if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) {
        key.clone()
    } else {
        DEFAULT_ACCOUNT.to_owned()
    };
    let arn = format!("arn:aws:iam::{account}:root");
    (
        account.clone(),
        Caller {
            access_key: key,
            arn,
            user_id: account,
        },
    )
}

/// AWS's common error for an awsQuery request without `Action`.
fn missing_action() -> AwsError {
    AwsError::new("MissingAction", "The request must contain the parameter Action").with_status(400)
}

/// The 403 for a credential scope naming a region AWS does not have (see the module docs).
fn unknown_region(wire: Wire, region: &str) -> AwsError {
    let code = match wire {
        Wire::Query => "SignatureDoesNotMatch",
        Wire::Ec2 => "AuthFailure",
        Wire::Json { .. } | Wire::RestJson | Wire::Cbor { .. } => "InvalidSignatureException",
    };
    AwsError::new(
        code,
        format!("Credential should be scoped to a valid region, not '{region}'."),
    )
    .with_status(403)
}

fn plain_error(status: u16, code: &str, message: &str, request_id: &str) -> HttpResponse {
    let body = serde_json::json!({"__type": code, "message": message});
    HttpResponse::new(status, "application/x-amz-json-1.1", body.to_string())
        .header("x-amzn-RequestId", request_id)
        .header("X-Amzn-ErrorType", code)
}

/// Handles one AWS API request.
pub async fn handle(em: Arc<Emulator>, req: HttpRequest) -> HttpResponse {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let Some((service, wire)) = detect::detect(&req) else {
        let unknown = "cutover could not tell which AWS service this request is for (no X-Amz-Target, Action, SigV4 scope or known path)";
        let resp = match detect::error_wire(&req.headers, &req.path, &req.query).1 {
            Wire::Query | Wire::Ec2 => {
                let err = match query::operation_name(&req) {
                    None => missing_action(),
                    Some(action) => {
                        AwsError::new("InvalidAction", format!("Could not find operation {action}: {unknown}"))
                    }
                };
                crate::protocol::early_error(&req.headers, &req.path, &req.query, &err, &request_id)
            }
            _ => plain_error(400, "UnrecognizedClientException", unknown, &request_id),
        };
        crate::debug!("- - status={} {:?}", resp.status, started.elapsed());
        return resp;
    };
    let (op_name, resp) = answer(em, service, wire, &req, &request_id).await;
    crate::debug!(
        "{} {} status={} {:.3}ms",
        service.name(),
        op_name,
        resp.status,
        started.elapsed().as_secs_f64() * 1000.0
    );
    resp
}

async fn answer(
    em: Arc<Emulator>,
    service: Service,
    wire: Wire,
    req: &HttpRequest,
    request_id: &str,
) -> (String, HttpResponse) {
    let model = service.model();
    if let Some(region) = detect::scope(req).region.filter(|r| !detect::is_known_region(r)) {
        let e = unknown_region(wire, &region);
        return ("-".into(), wire.write_error(&model, &e, request_id));
    }
    let Some(op_name) = wire.operation_name(&model, req) else {
        let e = match wire {
            Wire::Query | Wire::Ec2 => missing_action(),
            _ => wire.unknown_operation(&model, "(none)"),
        };
        return ("-".into(), wire.write_error(&model, &e, request_id));
    };
    let Some(op) = model.operation(&op_name) else {
        let e = wire.unknown_operation(&model, &op_name);
        return (op_name, wire.write_error(&model, &e, request_id));
    };
    let handler = if op.stub { None } else { operation(service, &op_name) };
    let Some(handler) = handler else {
        let e = AwsError::not_implemented(&model.metadata.service_id, &op_name);
        return (op_name, wire.write_error(&model, &e, request_id));
    };
    let input = match wire.parse_input(&model, op, req) {
        Ok(v) => v,
        Err(e) => return (op_name, wire.write_error(&model, &e, request_id)),
    };
    if let Err(e) = validate::validate_input(service, &model, op, &input) {
        return (op_name, wire.write_error(&model, &e, request_id));
    }
    let scope = detect::scope(req);
    let region = scope.region.clone().unwrap_or_else(|| DEFAULT_REGION.to_owned());
    let result = match handler {
        Operation::Sync(h) => {
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
                em.with_world(|w| {
                    let (account, caller) = resolve_caller(w, scope.access_key.as_deref());
                    let ctx = Ctx {
                        service,
                        operation: op_name.clone(),
                        account,
                        region,
                        request_id: request_id.to_owned(),
                        caller,
                    };
                    h.call(w, &ctx, input)
                })
            }));
            r.unwrap_or_else(|_| {
                Err(AwsError::internal(
                    "cutover hit an internal error handling this request",
                ))
            })
        }
        Operation::Async(f) => {
            let (account, caller) = em.with_world(|w| resolve_caller(w, scope.access_key.as_deref()));
            let ctx = Ctx {
                service,
                operation: op_name.clone(),
                account,
                region,
                request_id: request_id.to_owned(),
                caller,
            };
            let fut = AssertUnwindSafe(f(em.clone(), ctx, input));
            match futures_catch(fut).await {
                Some(r) => r,
                None => Err(AwsError::internal(
                    "cutover hit an internal error handling this request",
                )),
            }
        }
    };
    let resp = match result {
        Ok(out) => {
            let written =
                std::panic::catch_unwind(AssertUnwindSafe(|| wire.write_output(&model, op, &out, request_id)));
            written.unwrap_or_else(|_| {
                wire.write_error(
                    &model,
                    &AwsError::internal("cutover could not serialize the response"),
                    request_id,
                )
            })
        }
        Err(e) => wire.write_error(&model, &e, request_id),
    };
    (op_name, resp)
}

/// Polls a future, turning a panic inside it into `None`.
async fn futures_catch<F: std::future::Future>(fut: AssertUnwindSafe<F>) -> Option<F::Output> {
    let mut fut = Box::pin(fut.0);
    std::future::poll_fn(
        move |cx| match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Some(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(None),
        },
    )
    .await
}

/// What the services' unit tests share: handlers called directly (no model validation) on a
/// `World`, panicking with the operation's name when a call goes the other way than expected.
#[cfg(test)]
pub(crate) mod testing {
    use super::handler;
    use crate::protocol::{AwsError, AwsResult};
    use crate::services::Ctx;
    use crate::world::World;
    use serde_json::Value;

    pub fn call(w: &mut World, ctx: &Ctx, op: &str, input: Value) -> AwsResult<Value> {
        match handler(ctx.service, op) {
            Some(h) => h.call(w, ctx, input),
            None => panic!("no handler for {op}"),
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
