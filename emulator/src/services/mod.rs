//! The emulated services. Each has a `handler(operation)` table; an operation the model has but
//! no table (nor the lifecycle layer, for operations that span services) has is answered with 501.
//!
//! A handler is typed over the generated types of `cutover_types` (emulator/types/, `python3
//! tools/gen-types.py`) and over its own service's state:
//! `fn(&mut State, &mut Env, &Ctx, XRequest) -> AwsResult<XResponse>`, where [`Env`] is the time,
//! ids, scheduler and timeline the call may use. It is put in the table as `typed!(module::handler)`
//! (an [`Op`] over the table's `State`): the adapter deserialises the input value (already
//! validated against the model) and serialises the output back into the canonical form.
//! `dispatch::Handler` calls it with the state of the caller's account and region.
//!
//! Services not yet over their own state have world-level handlers,
//! `fn(&mut World, &Ctx, Value) -> AwsResult<Value>` (`world::WorldOp`).
//!
//! This module names no service and not the `World`: the tables are read by `dispatch.rs`.

/// A typed handler over the invoking module's `State` as an [`Op`]: `typed!(groups::create_log_group)`.
/// See [`call_typed`]. Defined before the service modules, so it is in scope in each of them.
macro_rules! typed {
    ($f:path) => {{
        fn typed_handler(
            state: &mut State,
            env: &mut $crate::env::Env<'_>,
            ctx: &$crate::services::Ctx,
            input: ::serde_json::Value,
        ) -> $crate::protocol::AwsResult<::serde_json::Value> {
            $crate::services::call_typed(state, env, ctx, input, $f)
        }
        typed_handler as $crate::services::Op<State>
    }};
}

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

use crate::env::Env;
use crate::model::Service;
use crate::protocol::{AwsError, AwsResult};
use crate::sim::PartitionKey;
use serde_json::Value;

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

    /// A context for calls the emulator makes itself (tests, the lifecycle layer, scenarios).
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

/// An operation of a service over its own state `S` (see the module doc), on canonical values.
pub type Op<S> = fn(&mut S, &mut Env<'_>, &Ctx, Value) -> AwsResult<Value>;

/// Runs a typed handler on a canonical input value: what `typed!` wraps. Validation has run
/// before (through the API and [`call`]); the input still failing to deserialise is a bug, answered
/// with the service's validation error rather than a panic. An output of no members (a handler
/// returning `()`) is the empty object.
pub fn call_typed<S, I, O>(
    state: &mut S,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: Value,
    f: fn(&mut S, &mut Env<'_>, &Ctx, I) -> AwsResult<O>,
) -> AwsResult<Value>
where
    I: serde::de::DeserializeOwned,
    O: serde::Serialize,
{
    let input = typed_input(ctx.service, &input)?;
    typed_output(ctx, f(state, env, ctx, input)?)
}

/// A typed output as the canonical value; no members (a handler returning `()`) is the empty
/// object.
pub fn typed_output<O: serde::Serialize>(ctx: &Ctx, output: O) -> AwsResult<Value> {
    match serde_json::to_value(output) {
        Ok(Value::Null) => Ok(Value::Object(serde_json::Map::new())),
        Ok(v) => Ok(v),
        Err(e) => Err(AwsError::internal(format!("{} output: {e}", ctx.operation))),
    }
}

/// The input value as the generated type `I`; an absent input (`null`) is the empty structure.
pub fn typed_input<I: serde::de::DeserializeOwned>(service: Service, input: &Value) -> AwsResult<I> {
    let empty = Value::Object(serde_json::Map::new());
    let input = if input.is_null() { &empty } else { input };
    match I::deserialize(input) {
        Ok(v) => Ok(v),
        Err(e) => {
            // Validation lets an integral float stand for an integer (`5.0`); serde does not.
            let mut fixed = input.clone();
            if integral_floats_to_ints(&mut fixed) {
                if let Ok(v) = I::deserialize(&fixed) {
                    return Ok(v);
                }
            }
            use crate::protocol::validate::{style, Style};
            let message = format!("1 validation error detected: {e}");
            Err(match style(service) {
                Style::Framework { code } | Style::CodeDeploy { code } => AwsError::new(code, message),
                Style::Ec2 => AwsError::new("InvalidParameterValue", message),
            })
        }
    }
}

/// Rewrites every float with no fractional part (within `i64`) as an integer; whether any was.
fn integral_floats_to_ints(v: &mut Value) -> bool {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                *v = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => {
            let mut any = false;
            for x in items {
                any |= integral_floats_to_ints(x);
            }
            any
        }
        Value::Object(map) => {
            let mut any = false;
            for x in map.values_mut() {
                any |= integral_floats_to_ints(x);
            }
            any
        }
        _ => false,
    }
}

/// Shorthand for an error in handlers.
pub fn err(code: &str, message: impl Into<String>) -> AwsError {
    AwsError::new(code, message)
}

/// Checks `input` against the model: the context of a call the emulator makes itself, before its
/// handler is looked up. An operation the model does not have is `UnknownOperationException`.
pub fn validated_ctx(service: Service, account: &str, region: &str, op: &str, input: &Value) -> AwsResult<Ctx> {
    let model = service.model();
    let operation = model
        .operation(op)
        .ok_or_else(|| AwsError::new("UnknownOperationException", format!("Unknown operation {op}")))?;
    crate::protocol::validate::validate_input(service, &model, operation, input)?;
    let mut ctx = Ctx::internal(service, account, region);
    ctx.operation = op.to_owned();
    Ok(ctx)
}
