//! Listener rules: CreateRule, ModifyRule, DescribeRules (with the default rule), DeleteRule,
//! SetRulePriorities, and the canonical form of rule conditions.

use super::listeners::canonical_actions;
use super::{
    arn_prefix, lb_not_found_one, listeners_not_found, page, parse_tags, range_error, rules_not_found, validation,
    Rule, State,
};
use crate::protocol::{AwsError, AwsResult};
use crate::services::util::{opt_i64, opt_str, str_list};
use crate::services::Ctx;
use crate::world::World;
use serde_json::{json, Value};

const FIELDS: &str = "[http-header, http-request-method, host-header, path-pattern, query-string, source-ip]";

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
}

/// Validates rule conditions and returns them as AWS returns them: `host-header` and `path-pattern`
/// carry both the old `Values` and their `*Config`, whichever form was sent; the other fields only
/// their `*Config`.
pub(super) fn canonical_conditions(conditions: &[Value]) -> AwsResult<Vec<Value>> {
    if conditions.is_empty() {
        return Err(validation("A rule must have at least one condition"));
    }
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut total_values = 0;
    for c in conditions {
        let field = opt_str(c, "Field").ok_or_else(|| validation("A condition field must be specified"))?;
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
        let config = c.get(config_key);
        let old_values = strings(c.get("Values"));
        match field {
            "path-pattern" | "host-header" => {
                let cfg_values = strings(config.and_then(|x| x.get("Values")));
                let regex =
                    strings(config.and_then(|x| x.get("RegexValues"))).or_else(|| strings(c.get("RegexValues")));
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
                let mut cfg = json!({"Values": values});
                if let Some(r) = &regex {
                    cfg["RegexValues"] = json!(r);
                }
                let mut cond = json!({"Field": field, config_key: cfg});
                if !values.is_empty() {
                    cond["Values"] = json!(values);
                }
                out.push(cond);
            }
            _ => {
                if old_values.is_some() {
                    return Err(validation(format!(
                        "Condition values for field '{field}' must be specified in '{config_key}'"
                    )));
                }
                let cfg = config.ok_or_else(|| {
                    validation(format!("A '{config_key}' must be specified for a '{field}' condition"))
                })?;
                let values = cfg.get("Values").and_then(Value::as_array).cloned().unwrap_or_default();
                if values.is_empty() {
                    return Err(validation(format!(
                        "A '{field}' condition must have at least one value"
                    )));
                }
                total_values += values.len();
                let cfg = match field {
                    "http-header" => {
                        let name = opt_str(cfg, "HttpHeaderName").ok_or_else(|| {
                            validation("An HTTP header name must be specified for an 'http-header' condition")
                        })?;
                        json!({"HttpHeaderName": name, "Values": values})
                    }
                    "http-request-method" => {
                        for m in &values {
                            let m = m.as_str().unwrap_or("");
                            if m.is_empty() || !m.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_' || ch == '-') {
                                return Err(validation(format!("HTTP request method '{m}' is not valid")));
                            }
                        }
                        json!({"Values": values})
                    }
                    "query-string" => {
                        for kv in &values {
                            if opt_str(kv, "Value").is_none() {
                                return Err(validation("A query string condition value must have a 'Value'"));
                            }
                        }
                        json!({"Values": values})
                    }
                    _ => {
                        for ip in &values {
                            let ip = ip.as_str().unwrap_or("");
                            if !ip.contains('/') {
                                return Err(validation(format!("Source IP '{ip}' must be in CIDR notation")));
                            }
                        }
                        json!({"Values": values})
                    }
                };
                out.push(json!({"Field": field, config_key: cfg}));
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

pub(super) fn rule_value(st: &State, r: &Rule) -> Value {
    let actions = match r.priority {
        Some(_) => r.actions.clone(),
        None => st
            .listeners
            .get(&r.listener_arn)
            .map(|l| l.default_actions.clone())
            .unwrap_or_default(),
    };
    json!({
        "RuleArn": r.arn,
        "Priority": r.priority.map(|p| p.to_string()).unwrap_or_else(|| "default".to_owned()),
        "Conditions": r.conditions,
        "Actions": actions,
        "IsDefault": r.priority.is_none(),
    })
}

/// Rules in the order DescribeRules lists them: by priority, the default rule last.
fn ordered(mut rules: Vec<&Rule>) -> Vec<&Rule> {
    rules.sort_by_key(|r| (r.priority.is_none(), r.priority, r.seq));
    rules
}

pub(super) fn create_rule(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let listener_arn = opt_str(&input, "ListenerArn").unwrap_or("");
    let tags = parse_tags(&input)?;
    let st = &world.region_mut(&key).elbv2;
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
    let priority = opt_i64(&input, "Priority").ok_or_else(|| validation("A rule priority must be specified"))?;
    check_priority(priority)?;
    if st
        .rules
        .values()
        .any(|r| r.listener_arn == listener_arn && r.priority == Some(priority))
    {
        return Err(priority_in_use(priority));
    }
    let conditions = canonical_conditions(
        input
            .get("Conditions")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    )?;
    let actions = canonical_actions(
        st,
        lb,
        &l.protocol,
        input
            .get("Actions")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    )?;
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
    let arn = format!("{}listener-rule/{tail}/{}", arn_prefix(&key), world.ids.hex(16));
    let st = &mut world.region_mut(&key).elbv2;
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
    let out = json!({"Rules": [rule_value(st, &rule)]});
    st.rules.insert(arn, rule);
    super::targets::start_idle_checks(world, &key);
    Ok(out)
}

pub(super) fn modify_rule(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let key = ctx.partition();
    let arn = opt_str(&input, "RuleArn").unwrap_or("");
    let st = &world.region_mut(&key).elbv2;
    let r = st.rules.get(arn).ok_or_else(rules_not_found)?;
    let l = st.listeners.get(&r.listener_arn).ok_or_else(listeners_not_found)?;
    let lb = st
        .load_balancers
        .get(&l.load_balancer_arn)
        .ok_or_else(|| lb_not_found_one(&l.load_balancer_arn))?;
    let conditions = match input.get("Conditions").and_then(Value::as_array) {
        Some(_) if r.priority.is_none() => {
            return Err(AwsError::new(
                "OperationNotPermitted",
                "The conditions of the default rule cannot be modified",
            ))
        }
        Some(c) => Some(canonical_conditions(c)?),
        None => None,
    };
    let actions = match input.get("Actions").and_then(Value::as_array) {
        Some(a) => Some(canonical_actions(st, lb, &l.protocol, a)?),
        None => None,
    };
    let is_default = r.priority.is_none();
    let listener_arn = l.arn.clone();
    let st = &mut world.region_mut(&key).elbv2;
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
    let out = json!({"Rules": [rule_value(st, r)]});
    super::targets::start_idle_checks(world, &key);
    Ok(out)
}

pub(super) fn describe_rules(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let st = &world.region_mut(&ctx.partition()).elbv2;
    let listener = opt_str(&input, "ListenerArn");
    let arns = str_list(&input, "RuleArns");
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
    page(chosen.into_iter().map(|r| rule_value(st, r)).collect(), &input, "Rules")
}

pub(super) fn delete_rule(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let arn = opt_str(&input, "RuleArn").unwrap_or("");
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
    let r = st.rules.get(arn).ok_or_else(rules_not_found)?;
    if r.priority.is_none() {
        return Err(AwsError::new(
            "OperationNotPermitted",
            format!("Default rule '{arn}' cannot be deleted"),
        ));
    }
    st.rules.remove(arn);
    Ok(json!({}))
}

pub(super) fn set_rule_priorities(world: &mut World, ctx: &Ctx, input: Value) -> AwsResult<Value> {
    let st = &mut world.region_mut(&ctx.partition()).elbv2;
    let mut pairs: Vec<(String, i64)> = Vec::new();
    for p in input
        .get("RulePriorities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let arn = opt_str(p, "RuleArn").ok_or_else(|| validation("A rule ARN must be specified"))?;
        let prio = opt_i64(p, "Priority").ok_or_else(|| validation("A rule priority must be specified"))?;
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
    let rules: Vec<Value> = pairs
        .iter()
        .filter_map(|(a, _)| st.rules.get(a))
        .map(|r| rule_value(st, r))
        .collect();
    Ok(json!({"Rules": rules}))
}
