//! The emulated services. Each has a `handler(operation) -> Option<Handler>` table; an operation the
//! model has but the table lacks is answered with 501. Handlers take the canonical input value
//! (see `protocol`) and return the canonical output value or an [`AwsError`].
//!
//! A handler may instead be typed, `fn(&mut World, &Ctx, XRequest) -> AwsResult<XResponse>` over
//! the generated types of `cutover_types` (emulator/types/, `python3 tools/gen-types.py`), and be
//! put in the table as `typed!(module::handler)`: the adapter deserialises the input value (already
//! validated against the model) and serialises the output back into the canonical form.

/// A typed handler as a [`SyncHandler`]: `typed!(assume_role)`. See [`call_typed`]. Defined
/// before the service modules, so it is in scope in each of them.
macro_rules! typed {
    ($f:path) => {{
        fn typed_handler(
            world: &mut $crate::world::World,
            ctx: &$crate::services::Ctx,
            input: ::serde_json::Value,
        ) -> $crate::protocol::AwsResult<::serde_json::Value> {
            $crate::services::call_typed(world, ctx, input, $f)
        }
        typed_handler as $crate::services::SyncHandler
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

use crate::model::Service;
use crate::protocol::{AwsError, AwsResult};
use crate::sim::SimTime;
use crate::world::{PartitionKey, World};
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

pub type SyncHandler = fn(&mut World, &Ctx, Value) -> AwsResult<Value>;

/// A service's handler: a synchronous function over the world. (Operations that wait on
/// something outside the state lock — Lambda's Invoke and the calls that stop running instances —
/// are the Lambda runtime's; `dispatch::operation` finds both kinds.)
#[derive(Clone, Copy)]
pub enum Handler {
    Sync(SyncHandler),
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

/// Runs a typed handler on a canonical input value: what `typed!` wraps. Validation has run
/// before (through the API and [`call`]); the input still failing to deserialise is a bug, answered
/// with the service's validation error rather than a panic. An output of no members (a handler
/// returning `()`) is the empty object.
pub fn call_typed<I, O>(
    world: &mut World,
    ctx: &Ctx,
    input: Value,
    f: fn(&mut World, &Ctx, I) -> AwsResult<O>,
) -> AwsResult<Value>
where
    I: serde::de::DeserializeOwned,
    O: serde::Serialize,
{
    let input = typed_input(ctx.service, &input)?;
    let output = f(world, ctx, input)?;
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

/// Calls an operation the way the API does (validated against the model, then the handler), for
/// the emulator's own callers: tests, scenarios and the lab walkthrough. The Lambda runtime's
/// asynchronous operations are not callable this way (`dispatch::call_any` calls them).
pub fn call(
    world: &mut World,
    service: Service,
    account: &str,
    region: &str,
    op: &str,
    input: Value,
) -> AwsResult<Value> {
    let ctx = validated_ctx(service, account, region, op, &input)?;
    match handler(service, op) {
        Some(Handler::Sync(f)) => f(world, &ctx, input),
        None => Err(AwsError::not_implemented(&service.model().metadata.service_id, op)),
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
