//! Lambda's asynchronous operations: Invoke (RequestResponse, Event, DryRun) and the calls that
//! must also stop running instances (UpdateFunctionCode, UpdateFunctionConfiguration,
//! DeleteFunction). They reach the processes outside the state lock, so they live here with the
//! runtime; `dispatch::operation` finds them before the service's synchronous handlers.

use crate::lifecycle::edges;
use crate::protocol::AwsResult;
use crate::services::lambda::functions::{self, qualifier, split_qualifier};
use crate::services::lambda::{self as svc, conflict, user_err};
use crate::services::util::opt_str;
use crate::services::{typed_input, typed_output, Ctx};
use crate::Emulator;
use base64::Engine as _;
use cutover_types::lambda as t;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
/// An operation that waits on something outside the state lock (a Lambda process).
pub type AsyncHandler = fn(Arc<Emulator>, Ctx, Value) -> BoxFuture<AwsResult<Value>>;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The asynchronous operations of Lambda, by name.
pub fn handler(op: &str) -> Option<AsyncHandler> {
    Some(match op {
        "Invoke" => invoke,
        "UpdateFunctionCode" => update_function_code,
        "UpdateFunctionConfiguration" => update_function_configuration,
        "DeleteFunction" => delete_function,
        _ => return None,
    })
}

pub fn invoke(em: Arc<Emulator>, ctx: Ctx, input: Value) -> BoxFuture<AwsResult<Value>> {
    Box::pin(async move {
        let input: t::InvocationRequest = typed_input(ctx.service, &input)?;
        let name_in = input.function_name.as_str();
        functions::check_function_name(name_in)?;
        let (name, q_name) = split_qualifier(name_in);
        let q = qualifier(input.qualifier.as_deref(), q_name)?.map(str::to_owned);
        let name = name.to_owned();
        let kind = input
            .invocation_type
            .clone()
            .unwrap_or(t::InvocationType::RequestResponse);
        let payload = match input.payload.as_deref() {
            Some(b) => B64.decode(b).map_err(|_| {
                user_err(
                    "InvalidRequestContentException",
                    "Could not parse request body into json",
                )
            })?,
            None => b"{}".to_vec(),
        };
        let limit = if kind == t::InvocationType::Event {
            svc::invoke::MAX_ASYNC_PAYLOAD
        } else {
            svc::invoke::MAX_SYNC_PAYLOAD
        };
        if payload.len() > limit {
            return Err(user_err(
                "RequestTooLargeException",
                format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
            )
            .with_status(413));
        }
        let event: Value = if payload.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&payload).map_err(|e| {
                user_err(
                    "InvalidRequestContentException",
                    format!("Could not parse request body into json: Could not parse payload into json: {e}"),
                )
            })?
        };
        let key = ctx.partition();
        let target = em.with_world(|w| {
            let t = edges::invoke_target(w, &key, &ctx.region, &name, q.as_deref())?;
            if t.config.state == functions::FunctionState::Pending {
                return Err(conflict(
                    "The operation cannot be performed at this time. The function is currently in the following state: Pending",
                ));
            }
            Ok(t)
        })?;
        let status = |code| t::InvocationResponse {
            status_code: Some(code),
            ..Default::default()
        };
        match kind {
            t::InvocationType::DryRun => typed_output(&ctx, status(204)),
            t::InvocationType::Event => {
                let function = target.invoked_arn.clone();
                em.with_world(|w| edges::invoke_async(w, &key, &function, event))
                    .map_err(svc::not_found)?;
                super::Runtime::ensure_started(&em);
                typed_output(&ctx, status(202))
            }
            _ => {
                let version = target.config.version.clone();
                let o = super::invoke(&em, target, payload, ctx.request_id.clone(), true).await?;
                let tail = input.log_type == Some(t::LogType::Tail);
                let out = t::InvocationResponse {
                    status_code: Some(200),
                    payload: Some(B64.encode(&o.payload)),
                    executed_version: Some(version),
                    function_error: o.function_error.clone(),
                    log_result: tail.then(|| o.log_result()),
                    ..Default::default()
                };
                typed_output(&ctx, out)
            }
        }
    })
}

/// The function name a request's `FunctionName` refers to (for stopping its instances).
fn function_name(input: &Value) -> String {
    split_qualifier(opt_str(input, "FunctionName").unwrap_or_default())
        .0
        .to_owned()
}

pub fn update_function_code(em: Arc<Emulator>, ctx: Ctx, input: Value) -> BoxFuture<AwsResult<Value>> {
    Box::pin(async move {
        let name = function_name(&input);
        let dry = input.get("DryRun").and_then(Value::as_bool).unwrap_or(false);
        let out = em.with_world(|w| edges::update_function_code(w, &ctx, input))?;
        if !dry {
            em.lambda.retire(&ctx.partition(), &name);
        }
        Ok(out)
    })
}

pub fn update_function_configuration(em: Arc<Emulator>, ctx: Ctx, input: Value) -> BoxFuture<AwsResult<Value>> {
    Box::pin(async move {
        let name = function_name(&input);
        let out = em.with_world(|w| edges::update_function_configuration(w, &ctx, input))?;
        em.lambda.retire(&ctx.partition(), &name);
        Ok(out)
    })
}

pub fn delete_function(em: Arc<Emulator>, ctx: Ctx, input: Value) -> BoxFuture<AwsResult<Value>> {
    Box::pin(async move {
        let name = function_name(&input);
        let whole = input.get("Qualifier").is_none_or(Value::is_null);
        let out = em.with_world(|w| edges::delete_function(w, &ctx, input))?;
        if whole {
            em.lambda.remove(&ctx.partition(), &name);
        } else {
            em.lambda.retire(&ctx.partition(), &name);
        }
        Ok(out)
    })
}
