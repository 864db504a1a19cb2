//! Invoke (RequestResponse, Event, DryRun), and the operations that must also stop running
//! instances (UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction): the async
//! handlers of Lambda, which reach the runtime outside the state lock.

use super::functions::{self, qualifier, split_qualifier};
use super::Target;
use super::{conflict, user_err};
use crate::protocol::AwsResult;
use crate::runtime::lambda as rt;
use crate::services::identity::{identity, parse_role_arn};
use crate::services::util::opt_str;
use crate::services::{BoxFuture, Ctx};
use crate::world::{PartitionKey, World};
use crate::Emulator;
use base64::Engine as _;
use serde_json::{json, Value};
use std::sync::Arc;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Largest payload of a synchronous invocation.
pub const MAX_SYNC_PAYLOAD: usize = 6 * 1024 * 1024;
/// Largest payload of an asynchronous (Event) invocation.
pub const MAX_ASYNC_PAYLOAD: usize = 1024 * 1024;

/// The version a qualifier runs: for an alias with routing weights, one of its versions at
/// random by weight.
fn resolve(world: &mut World, key: &PartitionKey, ctx_region: &str, name: &str, q: Option<&str>) -> AwsResult<Target> {
    let roll = world.ids.below(1_000_000) as f64 / 1_000_000.0;
    let account = key.account.clone();
    let state = &world.region_mut(key).lambda;
    let arn_of = |n: &str| format!("arn:aws:lambda:{ctx_region}:{account}:function:{n}");
    let missing = |q: Option<&str>| match q {
        Some(q) => super::not_found(format!("Function not found: {}:{q}", arn_of(name))),
        None => super::not_found(format!("Function not found: {}", arn_of(name))),
    };
    let r = state.records.get(name).ok_or_else(|| missing(None))?;
    let mut config = r.config(q).ok_or_else(|| missing(q))?.clone();
    if let Some(a) = q.and_then(|q| r.aliases.get(q)) {
        let mut acc = 0.0;
        for (v, w) in &a.weights {
            acc += w;
            if roll < acc {
                if let Some(c) = r.config(Some(v)) {
                    config = c.clone();
                }
                break;
            }
        }
    }
    let invoked_arn = match q {
        Some(q) => format!("{}:{q}", r.arn),
        None => r.arn.clone(),
    };
    Ok(Target {
        key: key.clone(),
        name: r.name.clone(),
        arn: r.arn.clone(),
        invoked_arn,
        config,
    })
}

/// The target of a queued Event invocation (`function_arn` may carry a qualifier).
pub fn target_for_event(world: &mut World, key: &PartitionKey, function_arn: &str) -> AwsResult<Target> {
    let (name, q) = split_qualifier(function_arn);
    let (name, q) = (name.to_owned(), q.map(str::to_owned));
    let region = key.region.clone();
    resolve(world, key, &region, &name, q.as_deref())
}

/// Credentials of the execution role for one instance: an STS session of the role named after
/// the function, so calls made with them resolve to `assumed-role/<role>/<function>`.
/// Returns (role ARN, (access key, secret, token)).
pub fn credentials_for(world: &mut World, target: &Target) -> (String, (String, String, String)) {
    let role_arn = target.config.role.clone();
    let (account, role_name) =
        parse_role_arn(&role_arn).unwrap_or_else(|| (target.key.account.clone(), role_arn.clone()));
    let role_id = identity(world)
        .role(world, &account, &role_name)
        .map(|r| r.id)
        .unwrap_or_else(|| "AROACUTOVERLAMBDA".into());
    let session = &target.name;
    let arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session}");
    let user_id = format!("{role_id}:{session}");
    let c = identity(world).issue_credentials(world, &account, &arn, &user_id, 12 * 3600);
    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    (role_arn, (s("AccessKeyId"), s("SecretAccessKey"), s("SessionToken")))
}

pub fn invoke(em: Arc<Emulator>, ctx: Ctx, input: Value) -> BoxFuture<AwsResult<Value>> {
    Box::pin(async move {
        let name_in = opt_str(&input, "FunctionName").unwrap_or_default().to_owned();
        functions::check_function_name(&name_in)?;
        let (name, q_name) = split_qualifier(&name_in);
        let q = qualifier(&input, q_name)?.map(str::to_owned);
        let name = name.to_owned();
        let kind = opt_str(&input, "InvocationType")
            .unwrap_or("RequestResponse")
            .to_owned();
        let payload = match opt_str(&input, "Payload") {
            Some(b) => B64.decode(b).map_err(|_| {
                user_err(
                    "InvalidRequestContentException",
                    "Could not parse request body into json",
                )
            })?,
            None => b"{}".to_vec(),
        };
        let limit = if kind == "Event" {
            MAX_ASYNC_PAYLOAD
        } else {
            MAX_SYNC_PAYLOAD
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
            let t = resolve(w, &key, &ctx.region, &name, q.as_deref())?;
            if t.config.state == super::functions::FunctionState::Pending {
                return Err(conflict(
                    "The operation cannot be performed at this time. The function is currently in the following state: Pending",
                ));
            }
            Ok(t)
        })?;
        match kind.as_str() {
            "DryRun" => Ok(json!({"StatusCode": 204})),
            "Event" => {
                let function = target.invoked_arn.clone();
                em.with_world(|w| super::invoke_async(w, &key, &function, event))
                    .map_err(super::not_found)?;
                rt::Runtime::ensure_started(&em);
                Ok(json!({"StatusCode": 202}))
            }
            _ => {
                let version = target.config.version.clone();
                let o = rt::invoke(&em, target, payload, ctx.request_id.clone(), true).await?;
                let mut out = json!({
                    "StatusCode": 200,
                    "Payload": B64.encode(&o.payload),
                    "ExecutedVersion": version,
                });
                if let Some(fe) = &o.function_error {
                    out["FunctionError"] = json!(fe);
                }
                if opt_str(&input, "LogType") == Some("Tail") {
                    out["LogResult"] = json!(o.log_result());
                }
                Ok(out)
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
        let out = em.with_world(|w| functions::update_function_code(w, &ctx, input))?;
        if !dry {
            em.lambda.retire(&ctx.partition(), &name);
        }
        Ok(out)
    })
}

pub fn update_function_configuration(em: Arc<Emulator>, ctx: Ctx, input: Value) -> BoxFuture<AwsResult<Value>> {
    Box::pin(async move {
        let name = function_name(&input);
        let out = em.with_world(|w| functions::update_function_configuration(w, &ctx, input))?;
        em.lambda.retire(&ctx.partition(), &name);
        Ok(out)
    })
}

pub fn delete_function(em: Arc<Emulator>, ctx: Ctx, input: Value) -> BoxFuture<AwsResult<Value>> {
    Box::pin(async move {
        let name = function_name(&input);
        let whole = input.get("Qualifier").is_none_or(Value::is_null);
        let out = em.with_world(|w| functions::delete_function(w, &ctx, input))?;
        if whole {
            em.lambda.remove(&ctx.partition(), &name);
        } else {
            em.lambda.retire(&ctx.partition(), &name);
        }
        Ok(out)
    })
}
