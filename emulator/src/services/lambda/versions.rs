//! Versions (PublishVersion, ListVersionsByFunction) and aliases (CreateAlias, GetAlias,
//! UpdateAlias, DeleteAlias, ListAliases). Typed over `cutover_types::lambda`.

use super::functions::{configuration, not_found_fn, record, record_mut, Alias, Config, Record};
use super::State;
use super::{conflict, invalid, not_found, user_err};
use crate::env::Env;
use crate::protocol::AwsResult;
use crate::services::util::paginate;
use crate::services::Ctx;
use cutover_types::lambda as t;
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

pub fn publish_version(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::PublishVersionRequest,
) -> AwsResult<t::FunctionConfiguration> {
    let mut r = record_mut(st, ctx, &input.function_name)?.clone();
    if let Some(sha) = &input.code_sha256 {
        if *sha != r.latest.code.sha256 {
            return Err(invalid(format!(
                "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again.",
                r.latest.code.sha256
            )));
        }
    }
    if let Some(rev) = &input.revision_id {
        if *rev != r.latest.revision_id {
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
    let c = publish(env, &mut r, input.description.as_deref().unwrap_or(""));
    let out = configuration(&r, &c, &ctx.region);
    st.records.insert(r.name.clone(), r);
    Ok(out)
}

pub fn list_versions_by_function(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListVersionsByFunctionRequest,
) -> AwsResult<t::ListVersionsByFunctionResponse> {
    let max = input.max_items.map_or(50, i64::from).clamp(1, 50) as usize;
    let (r, _) = record(st, ctx, &input.function_name)?;
    let mut items = vec![configuration(r, &r.latest, &ctx.region)];
    items.extend(r.versions.values().map(|c| configuration(r, c, &ctx.region)));
    let (page, next) = paginate(&items, input.marker.as_deref(), max, "InvalidParameterValueException")?;
    Ok(t::ListVersionsByFunctionResponse {
        versions: Some(page),
        next_marker: next,
    })
}

fn alias_out(r: &Record, a: &Alias) -> t::AliasConfiguration {
    t::AliasConfiguration {
        alias_arn: Some(format!("{}:{}", r.arn, a.name)),
        name: Some(a.name.clone()),
        function_version: Some(a.function_version.clone()),
        description: Some(a.description.clone()),
        revision_id: Some(a.revision_id.clone()),
        routing_config: (!a.weights.is_empty()).then(|| t::AliasRoutingConfiguration {
            additional_version_weights: Some(a.weights.clone()),
        }),
    }
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

fn weights(
    ctx: &Ctx,
    r: &Record,
    routing: Option<&t::AliasRoutingConfiguration>,
    primary: &str,
) -> AwsResult<Option<BTreeMap<String, f64>>> {
    let Some(rc) = routing else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    if let Some(m) = &rc.additional_version_weights {
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
            out.insert(v.clone(), *w);
        }
    }
    Ok(Some(out))
}

pub fn create_alias(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateAliasRequest,
) -> AwsResult<t::AliasConfiguration> {
    let alias = input.name;
    let version = input.function_version;
    let revision = env.ids.uuid();
    let r = record_mut(st, ctx, &input.function_name)?;
    if r.aliases.contains_key(&alias) {
        return Err(conflict(format!("Alias already exists: {}:{alias}", r.arn)));
    }
    check_version(ctx, r, &version)?;
    let weights = weights(ctx, r, input.routing_config.as_ref(), &version)?.unwrap_or_default();
    let a = Alias {
        name: alias.clone(),
        function_version: version,
        description: input.description.unwrap_or_default(),
        weights,
        revision_id: revision,
    };
    let out = alias_out(r, &a);
    r.aliases.insert(alias, a);
    Ok(out)
}

fn alias_not_found(r: &Record, alias: &str) -> crate::protocol::AwsError {
    not_found(format!("Alias not found: {}:{alias}", r.arn))
}

pub fn get_alias(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::GetAliasRequest,
) -> AwsResult<t::AliasConfiguration> {
    let (r, _) = record(st, ctx, &input.function_name)?;
    let a = r
        .aliases
        .get(&input.name)
        .ok_or_else(|| alias_not_found(r, &input.name))?;
    Ok(alias_out(r, a))
}

pub fn update_alias(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::UpdateAliasRequest,
) -> AwsResult<t::AliasConfiguration> {
    let alias = input.name;
    let revision = env.ids.uuid();
    let r = record_mut(st, ctx, &input.function_name)?;
    let mut a = r
        .aliases
        .get(&alias)
        .cloned()
        .ok_or_else(|| alias_not_found(r, &alias))?;
    if let Some(rev) = &input.revision_id {
        if *rev != a.revision_id {
            return Err(user_err(
                "PreconditionFailedException",
                "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
            ));
        }
    }
    if let Some(v) = input.function_version {
        check_version(ctx, r, &v)?;
        a.function_version = v;
    }
    if let Some(d) = input.description {
        a.description = d;
    }
    if let Some(w) = weights(ctx, r, input.routing_config.as_ref(), &a.function_version)? {
        a.weights = w;
    }
    a.revision_id = revision;
    let out = alias_out(r, &a);
    r.aliases.insert(alias, a);
    Ok(out)
}

pub fn delete_alias(st: &mut State, _env: &mut Env<'_>, ctx: &Ctx, input: t::DeleteAliasRequest) -> AwsResult<()> {
    let r = record_mut(st, ctx, &input.function_name)?;
    // Deleting an alias that does not exist succeeds, as Lambda's does.
    r.aliases.remove(&input.name);
    r.policies.remove(&input.name);
    Ok(())
}

pub fn list_aliases(
    st: &mut State,
    _env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ListAliasesRequest,
) -> AwsResult<t::ListAliasesResponse> {
    let max = input.max_items.map_or(50, i64::from).clamp(1, 50) as usize;
    let version = input.function_version.as_deref();
    let (r, _) = record(st, ctx, &input.function_name)?;
    let items: Vec<t::AliasConfiguration> = r
        .aliases
        .values()
        .filter(|a| version.is_none_or(|v| a.function_version == v))
        .map(|a| alias_out(r, a))
        .collect();
    let (page, next) = paginate(&items, input.marker.as_deref(), max, "InvalidParameterValueException")?;
    Ok(t::ListAliasesResponse {
        aliases: Some(page),
        next_marker: next,
    })
}
