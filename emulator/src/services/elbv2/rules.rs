//! Listener rules: CreateRule, ModifyRule, DescribeRules (with the default rule), DeleteRule,
//! SetRulePriorities, and the canonical form of rule conditions.

use super::listeners::canonical_actions;
use super::{
    arn_prefix, lb_not_found_one, listeners_not_found, page, parse_tags, range_error, rules_not_found, validation,
    Rule, State,
};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::elbv2 as t;

const FIELDS: &str = "[http-header, http-request-method, host-header, path-pattern, query-string, source-ip]";

/// A condition of `field` with nothing else set.
fn bare_condition(field: &str) -> t::RuleCondition {
    t::RuleCondition {
        field: Some(field.to_owned()),
        ..Default::default()
    }
}

/// Validates rule conditions and returns them as AWS returns them: `host-header` and `path-pattern`
/// carry both the old `Values` and their `*Config`, whichever form was sent; the other fields only
/// their `*Config`.
pub(super) fn canonical_conditions(conditions: &[t::RuleCondition]) -> AwsResult<Vec<t::RuleCondition>> {
    if conditions.is_empty() {
        return Err(validation("A rule must have at least one condition"));
    }
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut total_values = 0;
    for c in conditions {
        let field = c
            .field
            .as_deref()
            .ok_or_else(|| validation("A condition field must be specified"))?;
        let (config_key, repeatable) = match field {
            "path-pattern" => ("PathPatternConfig", false),
            "host-header" => ("HostHeaderConfig", false),
            "http-header" => ("HttpHeaderConfig", true),
            "http-request-method" => ("HttpRequestMethodConfig", false),
            "query-string" => ("QueryStringConfig", true),
            "source-ip" => ("SourceIpConfig", false),
            other => {
                return Err(validation(format!(
                    "Condition field '{other}' must be one of '{FIELDS}'"
                )))
            }
        };
        if !repeatable && seen.iter().any(|s| s == field) {
            return Err(validation(format!("A rule can contain only one '{field}' condition")));
        }
        seen.push(field.to_owned());
        let old_values = c.values.clone();
        match field {
            "path-pattern" | "host-header" => {
                // The config's `Values` and `RegexValues`.
                let (cfg_values, cfg_regex) = if field == "path-pattern" {
                    let cfg = c.path_pattern_config.as_ref();
                    (
                        cfg.and_then(|x| x.values.clone()),
                        cfg.and_then(|x| x.regex_values.clone()),
                    )
                } else {
                    let cfg = c.host_header_config.as_ref();
                    (
                        cfg.and_then(|x| x.values.clone()),
                        cfg.and_then(|x| x.regex_values.clone()),
                    )
                };
                let regex = cfg_regex.or_else(|| c.regex_values.clone());
                let values = match (old_values, cfg_values) {
                    (Some(_), Some(_)) => {
                        return Err(validation(format!(
                            "You cannot specify both 'Values' and '{config_key}' for a '{field}' condition"
                        )))
                    }
                    (Some(v), None) => {
                        if v.len() > 1 {
                            return Err(validation(format!(
                                "A '{field}' condition can have only one value in 'Values'; use '{config_key}' for more"
                            )));
                        }
                        v
                    }
                    (None, Some(v)) => v,
                    (None, None) if regex.is_some() => Vec::new(),
                    (None, None) => {
                        return Err(validation(format!(
                            "A '{field}' condition must have at least one value"
                        )))
                    }
                };
                for v in &values {
                    if v.is_empty() || v.len() > 128 {
                        return Err(validation(format!(
                            "Condition value '{v}' must be between 1 and 128 characters"
                        )));
                    }
                }
                total_values += values.len();
                let mut cond = bare_condition(field);
                if field == "path-pattern" {
                    cond.path_pattern_config = Some(t::PathPatternConditionConfig {
                        values: Some(values.clone()),
                        regex_values: regex,
                    });
                } else {
                    cond.host_header_config = Some(t::HostHeaderConditionConfig {
                        values: Some(values.clone()),
                        regex_values: regex,
                    });
                }
                if !values.is_empty() {
                    cond.values = Some(values);
                }
                out.push(cond);
            }
            _ => {
                if old_values.is_some() {
                    return Err(validation(format!(
                        "Condition values for field '{field}' must be specified in '{config_key}'"
                    )));
                }
                let missing = || validation(format!("A '{config_key}' must be specified for a '{field}' condition"));
                let empty = || validation(format!("A '{field}' condition must have at least one value"));
                let mut cond = bare_condition(field);
                match field {
                    "http-header" => {
                        let cfg = c.http_header_config.as_ref().ok_or_else(missing)?;
                        let values = cfg.values.clone().unwrap_or_default();
                        if values.is_empty() {
                            return Err(empty());
                        }
                        total_values += values.len();
                        let name = cfg.http_header_name.clone().ok_or_else(|| {
                            validation("An HTTP header name must be specified for an 'http-header' condition")
                        })?;
                        cond.http_header_config = Some(t::HttpHeaderConditionConfig {
                            http_header_name: Some(name),
                            values: Some(values),
                            regex_values: None,
                        });
                    }
                    "http-request-method" => {
                        let cfg = c.http_request_method_config.as_ref().ok_or_else(missing)?;
                        let values = cfg.values.clone().unwrap_or_default();
                        if values.is_empty() {
                            return Err(empty());
                        }
                        total_values += values.len();
                        for m in &values {
                            if m.is_empty() || !m.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch == '-') {
                                return Err(validation(format!("HTTP request method '{m}' is not valid")));
                            }
                        }
                        cond.http_request_method_config =
                            Some(t::HttpRequestMethodConditionConfig { values: Some(values) });
                    }
                    "query-string" => {
                        let cfg = c.query_string_config.as_ref().ok_or_else(missing)?;
                        let values = cfg.values.clone().unwrap_or_default();
                        if values.is_empty() {
                            return Err(empty());
                        }
                        total_values += values.len();
                        if values.iter().any(|kv| kv.value.is_none()) {
                            return Err(validation("A query string condition value must have a 'Value'"));
                        }
                        cond.query_string_config = Some(t::QueryStringConditionConfig { values: Some(values) });
                    }
                    _ => {
                        let cfg = c.source_ip_config.as_ref().ok_or_else(missing)?;
                        let values = cfg.values.clone().unwrap_or_default();
                        if values.is_empty() {
                            return Err(empty());
                        }
                        total_values += values.len();
                        if let Some(ip) = values.iter().find(|ip| !ip.contains('/')) {
                            return Err(validation(format!("Source IP '{ip}' must be in CIDR notation")));
                        }
                        cond.source_ip_config = Some(t::SourceIpConditionConfig { values: Some(values) });
                    }
                }
                out.push(cond);
            }
        }
    }
    if total_values > 5 {
        return Err(validation("A rule can have at most '5' condition values"));
    }
    Ok(out)
}

fn check_priority(p: i64) -> AwsResult<()> {
    match range_error(p, "priority", 1, 50000) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn priority_in_use(p: i64) -> AwsError {
    AwsError::new("PriorityInUse", format!("Priority '{p}' is currently in use"))
}

pub(super) fn rule_value(st: &State, r: &Rule) -> t::Rule {
    let actions = match r.priority {
        Some(_) => r.actions.clone(),
        None => st
            .listeners
            .get(&r.listener_arn)
            .map(|l| l.default_actions.clone())
            .unwrap_or_default(),
    };
    t::Rule {
        rule_arn: Some(r.arn.clone()),
        priority: Some(
            r.priority
                .map(|p| p.to_string())
                .unwrap_or_else(|| "default".to_owned()),
        ),
        conditions: Some(r.conditions.clone()),
        actions: Some(actions),
        is_default: Some(r.priority.is_none()),
        transforms: None,
    }
}

/// Rules in the order DescribeRules lists them: by priority, the default rule last.
fn ordered(mut rules: Vec<&Rule>) -> Vec<&Rule> {
    rules.sort_by_key(|r| (r.priority.is_none(), r.priority, r.seq));
    rules
}

pub(super) fn create_rule(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::CreateRuleInput,
) -> AwsResult<t::CreateRuleOutput> {
    let key = ctx.partition();
    let listener_arn = input.listener_arn.as_str();
    let tags = parse_tags(input.tags.as_deref())?;
    let l = st.listeners.get(listener_arn).ok_or_else(listeners_not_found)?;
    let lb = st
        .load_balancers
        .get(&l.load_balancer_arn)
        .ok_or_else(|| lb_not_found_one(&l.load_balancer_arn))?;
    if lb.lb_type != "application" {
        return Err(validation(
            "Rules can be created only on listeners of Application Load Balancers",
        ));
    }
    let priority = i64::from(input.priority);
    check_priority(priority)?;
    if st
        .rules
        .values()
        .any(|r| r.listener_arn == listener_arn && r.priority == Some(priority))
    {
        return Err(priority_in_use(priority));
    }
    let conditions = canonical_conditions(&input.conditions)?;
    let actions = canonical_actions(st, lb, &l.protocol, &input.actions)?;
    if st
        .rules
        .values()
        .filter(|r| r.listener_arn == listener_arn && r.priority.is_some())
        .count()
        >= 100
    {
        return Err(AwsError::new(
            "TooManyRules",
            "You've reached the limit on the number of rules per load balancer",
        ));
    }
    let tail = listener_arn
        .split_once(":listener/")
        .map(|(_, t)| t.to_owned())
        .unwrap_or_default();
    let arn = format!("{}listener-rule/{tail}/{}", arn_prefix(&key), env.ids.hex(16));
    let seq = st.seq();
    let rule = Rule {
        arn: arn.clone(),
        listener_arn: listener_arn.to_owned(),
        priority: Some(priority),
        conditions,
        actions,
        tags,
        seq,
    };
    let out = t::CreateRuleOutput {
        rules: Some(vec![rule_value(st, &rule)]),
    };
    st.rules.insert(arn, rule);
    super::targets::start_idle_checks(st, env, &key);
    Ok(out)
}

pub(super) fn modify_rule(
    st: &mut State,
    env: &mut Env<'_>,
    ctx: &Ctx,
    input: t::ModifyRuleInput,
) -> AwsResult<t::ModifyRuleOutput> {
    let key = ctx.partition();
    let arn = input.rule_arn.as_str();
    let r = st.rules.get(arn).ok_or_else(rules_not_found)?;
    let l = st.listeners.get(&r.listener_arn).ok_or_else(listeners_not_found)?;
    let lb = st
        .load_balancers
        .get(&l.load_balancer_arn)
        .ok_or_else(|| lb_not_found_one(&l.load_balancer_arn))?;
    let conditions = match &input.conditions {
        Some(_) if r.priority.is_none() => {
            return Err(AwsError::new(
                "OperationNotPermitted",
                "The conditions of the default rule cannot be modified",
            ))
        }
        Some(c) => Some(canonical_conditions(c)?),
        None => None,
    };
    let actions = match &input.actions {
        Some(a) => Some(canonical_actions(st, lb, &l.protocol, a)?),
        None => None,
    };
    let is_default = r.priority.is_none();
    let listener_arn = l.arn.clone();
    if is_default {
        if let (Some(a), Some(l)) = (actions, st.listeners.get_mut(&listener_arn)) {
            l.default_actions = a;
        }
    } else if let Some(r) = st.rules.get_mut(arn) {
        if let Some(c) = conditions {
            r.conditions = c;
        }
        if let Some(a) = actions {
            r.actions = a;
        }
    }
    let r = st.rules.get(arn).ok_or_else(rules_not_found)?;
    let out = t::ModifyRuleOutput {
        rules: Some(vec![rule_value(st, r)]),
    };
    super::targets::start_idle_checks(st, env, &key);
    Ok(out)
}

pub(super) fn describe_rules(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeRulesInput,
) -> AwsResult<t::DescribeRulesOutput> {
    let listener = input.listener_arn.as_deref();
    let arns = input.rule_arns.clone().unwrap_or_default();
    let chosen: Vec<&Rule> = match (listener, arns.is_empty()) {
        (Some(_), false) => {
            return Err(validation(
                "Listener ARN and rule ARNs cannot be specified at the same time",
            ))
        }
        (Some(l), true) => {
            if !st.listeners.contains_key(l) {
                return Err(listeners_not_found());
            }
            ordered(st.rules.values().filter(|r| r.listener_arn == l).collect())
        }
        (None, false) => {
            if arns.iter().any(|a| !st.rules.contains_key(a)) {
                return Err(rules_not_found());
            }
            ordered(st.rules.values().filter(|r| arns.contains(&r.arn)).collect())
        }
        (None, true) => return Err(validation("You must specify either listener ARN or rule ARNs")),
    };
    let (items, next) = page(
        chosen.into_iter().map(|r| rule_value(st, r)).collect(),
        input.marker.as_deref(),
        input.page_size,
    )?;
    Ok(t::DescribeRulesOutput {
        rules: Some(items),
        next_marker: next,
    })
}

pub(super) fn delete_rule(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DeleteRuleInput,
) -> AwsResult<t::DeleteRuleOutput> {
    let arn = input.rule_arn.as_str();
    let r = st.rules.get(arn).ok_or_else(rules_not_found)?;
    if r.priority.is_none() {
        return Err(AwsError::new(
            "OperationNotPermitted",
            format!("Default rule '{arn}' cannot be deleted"),
        ));
    }
    st.rules.remove(arn);
    Ok(t::DeleteRuleOutput {})
}

pub(super) fn set_rule_priorities(
    st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::SetRulePrioritiesInput,
) -> AwsResult<t::SetRulePrioritiesOutput> {
    let mut pairs: Vec<(String, i64)> = Vec::new();
    for p in &input.rule_priorities {
        let arn = p
            .rule_arn
            .as_deref()
            .ok_or_else(|| validation("A rule ARN must be specified"))?;
        let prio = p
            .priority
            .map(i64::from)
            .ok_or_else(|| validation("A rule priority must be specified"))?;
        check_priority(prio)?;
        let r = st.rules.get(arn).ok_or_else(rules_not_found)?;
        if r.priority.is_none() {
            return Err(AwsError::new(
                "OperationNotPermitted",
                format!("The priority of default rule '{arn}' cannot be changed"),
            ));
        }
        if pairs.iter().any(|(_, q)| *q == prio) {
            return Err(validation(format!("Priority '{prio}' was provided multiple times")));
        }
        if pairs.iter().any(|(a, _)| a == arn) {
            return Err(validation(format!("Rule '{arn}' was provided multiple times")));
        }
        pairs.push((arn.to_owned(), prio));
    }
    for (arn, prio) in &pairs {
        let listener = st.rules.get(arn).map(|r| r.listener_arn.clone()).unwrap_or_default();
        let clash = st.rules.values().any(|o| {
            o.listener_arn == listener && o.priority == Some(*prio) && !pairs.iter().any(|(a, _)| *a == o.arn)
        });
        if clash {
            return Err(priority_in_use(*prio));
        }
    }
    for (arn, prio) in &pairs {
        if let Some(r) = st.rules.get_mut(arn) {
            r.priority = Some(*prio);
        }
    }
    let rules = pairs
        .iter()
        .filter_map(|(a, _)| st.rules.get(a))
        .map(|r| rule_value(st, r))
        .collect();
    Ok(t::SetRulePrioritiesOutput { rules: Some(rules) })
}
