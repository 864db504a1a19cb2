//! Versions (PublishVersion, ListVersionsByFunction) and aliases (CreateAlias, GetAlias,
//! UpdateAlias, DeleteAlias, ListAliases).

use super::functions::{configuration, not_found_fn, qualifier, record, record_mut, Alias, Config, Record};
use super::State;
use super::{conflict, invalid, not_found, user_err};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::{obj, opt_i64, opt_str, paginate};
use crate::services::Ctx;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Publishes `$LATEST` as a new version, unless the newest version already has the same code and
/// configuration (then that version is returned, as Lambda does).
pub fn publish(env: &mut Env<'_>, r: &mut Record, description: &str) -> Config {
    if let Some(last) = r.versions.values().next_back() {
        if same(last, &r.latest) && (description.is_empty() || description == last.description) {
            return last.clone();
        }
    }
    let mut c = r.latest.clone();
    c.version = r.next_version.to_string();
    if !description.is_empty() {
        c.description = description.to_owned();
    }
    c.revision_id = env.ids.uuid();
    c.state = if r.latest.state == super::functions::FunctionState::Pending {
        super::functions::FunctionState::Pending
    } else {
        super::functions::FunctionState::Active
    };
    c.last_update_status = Some(super::functions::LastUpdateStatus::Successful);
    r.versions.insert(r.next_version, c.clone());
    r.next_version += 1;
    c
}

fn same(a: &Config, b: &Config) -> bool {
    a.code.sha256 == b.code.sha256
        && a.runtime == b.runtime
        && a.handler == b.handler
        && a.role == b.role
        && a.timeout == b.timeout
        && a.memory == b.memory
        && a.environment == b.environment
        && a.ephemeral_storage == b.ephemeral_storage
}

pub fn publish_version(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name_in = opt_str(&input, "FunctionName").unwrap_or_default().to_owned();
    let mut r = record_mut(st, ctx, &name_in)?.clone();
    if let Some(sha) = opt_str(&input, "CodeSha256") {
        if sha != r.latest.code.sha256 {
            return Err(invalid(format!(
                "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again.",
                r.latest.code.sha256
            )));
        }
    }
    if let Some(rev) = opt_str(&input, "RevisionId") {
        if rev != r.latest.revision_id {
            return Err(user_err(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
            ));
        }
    }
    if r.latest.last_update_status == Some(super::functions::LastUpdateStatus::InProgress) {
        return Err(conflict(format!(
            "The operation cannot be performed at this time. An update is in progress for resource: {}",
            r.arn
        )));
    }
    let c = publish(env, &mut r, opt_str(&input, "Description").unwrap_or(""));
    let out = configuration(&r, &c, &ctx.region);
    st.records.insert(r.name.clone(), r);
    Ok(out)
}

pub fn list_versions_by_function(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name_in = opt_str(&input, "FunctionName").unwrap_or_default();
    let max = opt_i64(&input, "MaxItems").unwrap_or(50).clamp(1, 50) as usize;
    let (r, _) = record(st, ctx, name_in)?;
    let mut items = vec![configuration(r, &r.latest, &ctx.region)];
    items.extend(r.versions.values().map(|c| configuration(r, c, &ctx.region)));
    let (page, next) = paginate(&items, opt_str(&input, "Marker"), max, "InvalidParameterValueException")?;
    Ok(obj([("Versions", json!(page)), ("NextMarker", json!(next))]))
}

fn alias_json(r: &Record, a: &Alias) -> Value {
    let routing = (!a.weights.is_empty()).then(|| json!({"AdditionalVersionWeights": a.weights}));
    obj([
        ("AliasArn", json!(format!("{}:{}", r.arn, a.name))),
        ("Name", json!(a.name)),
        ("FunctionVersion", json!(a.function_version)),
        ("Description", json!(a.description)),
        ("RevisionId", json!(a.revision_id)),
        ("RoutingConfig", routing.unwrap_or(Value::Null)),
    ])
}

fn check_version(ctx: &Ctx, r: &Record, version: &str) -> AwsResult<()> {
    if version == "$LATEST" {
        return Ok(());
    }
    let exists = version.parse::<u64>().is_ok_and(|n| r.versions.contains_key(&n));
    if exists {
        Ok(())
    } else {
        Err(not_found_fn(ctx, &r.name, Some(version)))
    }
}

fn weights(ctx: &Ctx, r: &Record, input: &Value, primary: &str) -> AwsResult<Option<BTreeMap<String, f64>>> {
    let Some(rc) = input.get("RoutingConfig") else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    if let Some(m) = rc.get("AdditionalVersionWeights").and_then(Value::as_object) {
        if m.len() > 1 {
            return Err(invalid(
                "Number of items in AdditionalVersionWeights cannot be greater than 1",
            ));
        }
        for (v, w) in m {
            check_version(ctx, r, v)?;
            if v == primary {
                return Err(invalid(format!(
                    "Invalid function version {v}. Function version {v} is already included in routing configuration."
                )));
            }
            out.insert(v.clone(), w.as_f64().unwrap_or(0.0));
        }
    }
    Ok(Some(out))
}

pub fn create_alias(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name_in = opt_str(&input, "FunctionName").unwrap_or_default().to_owned();
    let alias = opt_str(&input, "Name").unwrap_or_default().to_owned();
    let version = opt_str(&input, "FunctionVersion").unwrap_or_default().to_owned();
    let revision = env.ids.uuid();
    let r = record_mut(st, ctx, &name_in)?;
    if r.aliases.contains_key(&alias) {
        return Err(conflict(format!("Alias already exists: {}:{alias}", r.arn)));
    }
    check_version(ctx, r, &version)?;
    let weights = weights(ctx, r, &input, &version)?.unwrap_or_default();
    let a = Alias {
        name: alias.clone(),
        function_version: version,
        description: opt_str(&input, "Description").unwrap_or_default().to_owned(),
        weights,
        revision_id: revision,
    };
    let out = alias_json(r, &a);
    r.aliases.insert(alias, a);
    Ok(out)
}

fn alias_not_found(r: &Record, alias: &str) -> crate::protocol::AwsError {
    not_found(format!("Alias not found: {}:{alias}", r.arn))
}

pub fn get_alias(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name_in = opt_str(&input, "FunctionName").unwrap_or_default();
    let alias = opt_str(&input, "Name").unwrap_or_default();
    let (r, _) = record(st, ctx, name_in)?;
    let a = r.aliases.get(alias).ok_or_else(|| alias_not_found(r, alias))?;
    Ok(alias_json(r, a))
}

pub fn update_alias(st: &mut State, env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name_in = opt_str(&input, "FunctionName").unwrap_or_default().to_owned();
    let alias = opt_str(&input, "Name").unwrap_or_default().to_owned();
    let revision = env.ids.uuid();
    let r = record_mut(st, ctx, &name_in)?;
    let mut a = r
        .aliases
        .get(&alias)
        .cloned()
        .ok_or_else(|| alias_not_found(r, &alias))?;
    if let Some(rev) = opt_str(&input, "RevisionId") {
        if rev != a.revision_id {
            return Err(user_err(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
            ));
        }
    }
    if let Some(v) = opt_str(&input, "FunctionVersion") {
        check_version(ctx, r, v)?;
        a.function_version = v.to_owned();
    }
    if let Some(d) = opt_str(&input, "Description") {
        a.description = d.to_owned();
    }
    if let Some(w) = weights(ctx, r, &input, &a.function_version)? {
        a.weights = w;
    }
    a.revision_id = revision;
    let out = alias_json(r, &a);
    r.aliases.insert(alias, a);
    Ok(out)
}

pub fn delete_alias(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name_in = opt_str(&input, "FunctionName").unwrap_or_default().to_owned();
    let alias = opt_str(&input, "Name").unwrap_or_default();
    let r = record_mut(st, ctx, &name_in)?;
    // Deleting an alias that does not exist succeeds, as Lambda's does.
    r.aliases.remove(alias);
    r.policies.remove(alias);
    Ok(json!({}))
}

pub fn list_aliases(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let name_in = opt_str(&input, "FunctionName").unwrap_or_default();
    let max = opt_i64(&input, "MaxItems").unwrap_or(50).clamp(1, 50) as usize;
    let version = opt_str(&input, "FunctionVersion");
    let (r, q) = record(st, ctx, name_in)?;
    let _ = qualifier(&json!({}), q)?;
    let items: Vec<Value> = r
        .aliases
        .values()
        .filter(|a| version.is_none_or(|v| a.function_version == v))
        .map(|a| alias_json(r, a))
        .collect();
    let (page, next) = paginate(&items, opt_str(&input, "Marker"), max, "InvalidParameterValueException")?;
    Ok(obj([("Aliases", json!(page)), ("NextMarker", json!(next))]))
}
