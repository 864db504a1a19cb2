//! The checks a scenario file gets as a whole, before anything runs: every `call` input against
//! its operation's model (through `protocol::validate::check_input`, the validator the endpoint
//! uses), and every `${variable}` against the variables set before it.
//!
//! Choices where AWS says nothing (a file is not an API request):
//! - A member the model does not have is an error here, though AWS ignores unknown JSON members:
//!   in a file it is a typo (`alarmName` for `AlarmName`), and the call would go out without it.
//! - A call that expects an error (`error: Code`) may send values AWS rejects (that is what it
//!   tests): its values are not checked, its member names are.
//! - A string holding `${` is a value filled in when the step runs; it is not checked.

use super::yaml::{Kind, Node, Pos};
use super::{Scenario, ScenarioError};
use crate::model::Service;
use crate::protocol::validate::{check_input, Finding, FindingKind, PathSeg};
use serde_json::Value;

/// The closest of `names` to `word`: the same name in another case, else one at most two edits
/// away (one for words of three to five letters, none for shorter ones).
pub fn suggest<'a>(word: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let names: Vec<&str> = names.into_iter().collect();
    if let Some(n) = names.iter().find(|n| n.eq_ignore_ascii_case(word)) {
        return Some(n);
    }
    let limit = match word.chars().count() {
        0..=2 => 0,
        3..=5 => 1,
        _ => 2,
    };
    names
        .iter()
        .map(|n| (distance(&word.to_lowercase(), &n.to_lowercase()), *n))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The field text of a path under `field`: members and map keys after a dot, list elements
/// 1-based in brackets (as `steps[N]`).
fn field_of(field: &str, path: &[PathSeg]) -> String {
    let mut out = field.to_owned();
    for seg in path {
        match seg {
            PathSeg::Member(m) | PathSeg::Key(m) => {
                out.push('.');
                out.push_str(m);
            }
            PathSeg::Index(i) => out.push_str(&format!("[{}]", i + 1)),
        }
    }
    out
}

/// Where a path is written: the node there (None when it is not there) and the position of its
/// key (for a member or a map entry) or of the element itself; `at` when the path is empty.
fn locate<'n>(node: Option<&'n Node>, path: &[PathSeg], at: Pos) -> (Option<&'n Node>, Pos, Pos) {
    let mut cur = node;
    let mut key_pos = node.map_or(at, |n| n.pos);
    // The innermost node that is there (for a member that is missing: its structure).
    let mut parent_pos = key_pos;
    for seg in path {
        let Some(n) = cur else { break };
        // A block mapping's own marker can sit past its first key: the first key is where it is.
        parent_pos = n.entries().and_then(|e| e.first()).map_or(n.pos, |(_, p, _)| *p);
        cur = match seg {
            PathSeg::Member(k) | PathSeg::Key(k) => n
                .entries()
                .and_then(|e| e.iter().find(|(name, _, _)| name == k))
                .map(|(_, p, v)| {
                    key_pos = *p;
                    v
                }),
            PathSeg::Index(i) => n.items().and_then(|items| items.get(*i)).inspect(|v| key_pos = v.pos),
        };
    }
    (cur, key_pos, parent_pos)
}

fn expected_words(t: &str) -> &'static str {
    match t {
        "String" => "text",
        "ByteBuffer" => "base64 text",
        "Boolean" => "true or false",
        "Integer" | "Long" => "a whole number",
        "Float" | "Double" => "a number",
        "Date" => "a timestamp (seconds since 1970)",
        "Structure" | "Map" => "a mapping",
        "List" => "a list",
        _ => "another type",
    }
}

/// Every mistake of `input` (the node as written, None when the step has no `input`) for
/// `service.op`, as errors at their places. `field` names the input (`steps[3].call.input`);
/// `at` is where the call is written (for a member missing from an input that is not there).
pub fn call_input(
    file: &str,
    service: Service,
    op: &str,
    input: Option<&Node>,
    field: &str,
    at: Pos,
    values: bool,
) -> Vec<ScenarioError> {
    let model = service.model();
    let Some(operation) = model.operation(op) else {
        return Vec::new();
    };
    let json = input.map_or(Value::Object(Default::default()), Node::to_json);
    let findings = check_input(&model, operation, &json, values);
    // A required member written in the wrong case (`alarmName`) is said once: as unknown, with
    // the name it should have.
    let meant: Vec<Vec<PathSeg>> = findings
        .iter()
        .filter_map(|f| match (&f.kind, f.path.split_last()) {
            (FindingKind::Unknown { members }, Some((PathSeg::Member(m), parent))) => {
                suggest(m, members.iter().map(String::as_str)).map(|s| {
                    let mut p = parent.to_vec();
                    p.push(PathSeg::Member(s.to_owned()));
                    p
                })
            }
            _ => None,
        })
        .collect();
    findings
        .into_iter()
        .filter(|f| !(f.kind == FindingKind::Missing && meant.contains(&f.path)))
        .map(|f| finding_error(file, input, field, at, &format!("{}.{op}", service.name()), f))
        .collect()
}

fn finding_error(file: &str, input: Option<&Node>, field: &str, at: Pos, call: &str, f: Finding) -> ScenarioError {
    let (node, key_pos, parent_pos) = locate(input, &f.path, at);
    let last = match f.path.last() {
        Some(PathSeg::Member(m)) => m.as_str(),
        _ => "",
    };
    let (pos, message) = match f.kind {
        FindingKind::Unknown { members } => {
            let message = match suggest(last, members.iter().map(String::as_str)) {
                Some(s) => format!("unknown member; did you mean {s}?"),
                None if members.is_empty() => "unknown member; this takes no members".to_owned(),
                None => {
                    let mut names = members.clone();
                    names.sort();
                    let shown: Vec<&str> = names.iter().take(25).map(String::as_str).collect();
                    let more = if names.len() > 25 { ", ..." } else { "" };
                    format!("unknown member; the members are: {}{more}", shown.join(", "))
                }
            };
            (key_pos, message)
        }
        FindingKind::Missing => {
            let what = if f.path.len() <= 1 {
                format!("{call} requires it")
            } else {
                "required here".to_owned()
            };
            (parent_pos, format!("missing; {what}"))
        }
        FindingKind::WrongType { expected } => {
            let found = node.map_or("nothing".to_owned(), Node::describe);
            (
                node.map_or(key_pos, |n| n.pos),
                format!("expected {}, found {found}", expected_words(expected)),
            )
        }
        FindingKind::Constraint { text, value } => {
            let v = value.map_or("the value".to_owned(), |v| format!("'{v}'"));
            let message = match text.strip_prefix("Member must satisfy enum value set: [") {
                Some(rest) => format!("{v} is not one of: {}", rest.trim_end_matches(']')),
                None => format!("{v} fails AWS's constraint: {text}"),
            };
            (node.map_or(key_pos, |n| n.pos), message)
        }
    };
    ScenarioError {
        file: file.to_owned(),
        pos,
        field: field_of(field, &f.path),
        message,
    }
}

/// The lab's variables (`lab.rs::build`), besides `lab.hook.NAME`.
pub const LAB_VARS: [&str; 14] = [
    "lab.cluster",
    "lab.service",
    "lab.loadBalancer",
    "lab.dnsName",
    "lab.productionListener",
    "lab.productionRule",
    "lab.testListener",
    "lab.blueTargetGroup",
    "lab.greenTargetGroup",
    "lab.subnets",
    "lab.securityGroup",
    "lab.taskDefinition",
    "lab.application",
    "lab.deploymentGroup",
];

/// `${name}` uses in a step's node, with where each is: (name, field, position); a `${` without
/// its `}` is an error.
fn uses(
    node: &Node,
    field: &str,
    skip_top: &[&str],
    out: &mut Vec<(String, String, Pos)>,
    errs: &mut Vec<(String, Pos)>,
) {
    match &node.kind {
        Kind::Scalar(s, _) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                let after = &rest[i + 2..];
                match after.find('}') {
                    Some(j) => {
                        out.push((after[..j].to_owned(), field.to_owned(), node.pos));
                        rest = &after[j + 1..];
                    }
                    None => {
                        errs.push((format!("'{s}': a ${{ without its closing }}"), node.pos));
                        break;
                    }
                }
            }
        }
        Kind::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                uses(n, &format!("{field}[{}]", i + 1), &[], out, errs);
            }
        }
        Kind::Map(entries) => {
            for (k, _, v) in entries {
                if skip_top.contains(&k.as_str()) {
                    continue;
                }
                uses(v, &super::join(field, k), &[], out, errs);
            }
        }
    }
}

/// The variables a step sets, read from its node: a call's `save` names, a deploy's `save`
/// (`deployment` unless it says otherwise; none when the deploy expects an error).
fn sets(node: &Node) -> Vec<String> {
    if node.get("deploy").is_some() {
        if node.get("error").is_some() {
            return Vec::new();
        }
        return vec![node.get("save").and_then(Node::text).unwrap_or("deployment").to_owned()];
    }
    match node.get("save").and_then(Node::entries) {
        Some(e) if node.get("error").is_none() => e.iter().map(|(k, _, _)| k.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Every `${name}` of the steps against the variables set before it.
pub fn variables(file: &str, steps: &[Node], lab: bool, hooks: &[String]) -> Vec<ScenarioError> {
    let mut set: Vec<String> = Vec::new();
    if lab {
        set.extend(LAB_VARS.iter().map(|s| (*s).to_owned()));
        set.extend(hooks.iter().map(|h| format!("lab.hook.{h}")));
    }
    let later: Vec<Vec<String>> = steps.iter().map(sets).collect();
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let field = format!("steps[{}]", i + 1);
        let mut found = Vec::new();
        let mut bad = Vec::new();
        // `save` holds output paths, `error` a code: neither is interpolated.
        uses(step, &field, &["save", "error"], &mut found, &mut bad);
        for (message, pos) in bad {
            out.push(ScenarioError {
                file: file.to_owned(),
                pos,
                field: field.clone(),
                message,
            });
        }
        for (name, f, pos) in found {
            if set.contains(&name) {
                continue;
            }
            let message = if let Some(j) = later
                .iter()
                .enumerate()
                .skip(i + 1)
                .find(|(_, s)| s.contains(&name))
                .map(|(j, _)| j)
            {
                format!("${{{name}}} is used before it is set: steps[{}] sets it", j + 1)
            } else if later[i].contains(&name) {
                format!("${{{name}}} is set by this step, after it runs")
            } else if name.starts_with("lab.") && !lab {
                format!("${{{name}}} is a lab variable; it needs setup.lab")
            } else {
                let mine: Vec<&str> = set
                    .iter()
                    .map(String::as_str)
                    .filter(|s| !s.starts_with("lab."))
                    .collect();
                let hint = suggest(&name, set.iter().map(String::as_str))
                    .map(|s| format!("did you mean ${{{s}}}? "))
                    .unwrap_or_default();
                format!(
                    "${{{name}}} is never set; {hint}set before here: {}{}",
                    if mine.is_empty() {
                        "none".to_owned()
                    } else {
                        mine.join(", ")
                    },
                    if lab {
                        " and the lab.* variables (docs/scenarios/steps.md)"
                    } else {
                        ""
                    }
                )
            };
            out.push(ScenarioError {
                file: file.to_owned(),
                pos,
                field: f,
                message,
            });
        }
        for s in &later[i] {
            if !set.contains(s) {
                set.push(s.clone());
            }
        }
    }
    out
}

/// For tests: the scenario's errors, one line each.
pub fn lines(r: &Result<Scenario, super::Errors>) -> Vec<String> {
    match r {
        Ok(_) => Vec::new(),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("alarmName", ["AlarmName", "StateValue"]), Some("AlarmName"));
        assert_eq!(suggest("containz", ["contains", "equals"]), Some("contains"));
        assert_eq!(suggest("oneOf", ["contains", "equals", "in"]), None);
        assert_eq!(suggest("id", ["in"]), None, "short words are not guessed at");
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}

#[cfg(test)]
mod file_tests {
    /// A file with one mistake of each kind: all of them, in file order, one line each.
    const MISTAKES: &str = "name: mistakes
setup:
  lab: {}
steps:
  - call: cloudwatch.PutMetricAlarm
    input:
      alarmName: threads-5xx
      MetricName: HTTPCode_Target_5XX_Count
      Namespace: AWS/ApplicationELB
      Statistic: Summ
      Period: sixty
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
  - call: cloudwatch.SetAlarmState
    input: {AlarmName: threads-5xx, StateValue: ALARM}
  - deploy: {image: 'threads:v2'}
  - wait:
      deployment: ${deploymnet}
      that: {status: {oneOf: [Succeeded, Failed]}}
  - expect:
      call: ecs.DescribeServices
      input: {cluster: '${lab.cluster}', services: ['${svc}']}
      that: {services: {containz: threads}}
  - call: ecs.ListServices
    save: {svc: 'serviceArns[0]'}
";

    #[test]
    fn every_mistake_of_a_file_at_its_place() {
        let lines = super::lines(&super::super::parse("m.yaml", MISTAKES));
        let want = [
            "m.yaml:7:7: steps[1].call.input.alarmName: unknown member; did you mean AlarmName?",
            "m.yaml:10:18: steps[1].call.input.Statistic: 'Summ' is not one of: SampleCount, Average, Sum, Minimum, Maximum",
            "m.yaml:11:15: steps[1].call.input.Period: expected a whole number, found 'sixty'",
            "m.yaml:16:13: steps[2].call.input.StateReason: missing; cloudwatch.SetAlarmState requires it",
            "m.yaml:19:19: steps[4].wait.deployment: ${deploymnet} is never set; did you mean ${deployment}? set before here: deployment and the lab.* variables (docs/scenarios/steps.md)",
            "m.yaml:20:23: steps[4].wait.that.status.oneOf: unknown matcher 'oneOf'; the matchers are: equals, in, contains, matches, exists, length, atLeast, atMost (to expect a mapping, write {equals: {...}})",
            "m.yaml:23:53: steps[5].expect.input.services[1]: ${svc} is used before it is set: steps[6] sets it",
            "m.yaml:24:25: steps[5].expect.that.services.containz: unknown matcher 'containz'; did you mean contains? the matchers are: equals, in, contains, matches, exists, length, atLeast, atMost (to expect a mapping, write {equals: {...}})",
        ];
        assert_eq!(lines, want, "\n{}", lines.join("\n"));
    }
}

#[cfg(test)]
mod more_file_tests {
    fn lines(text: &str) -> Vec<String> {
        super::lines(&super::super::parse("f.yaml", text))
    }

    #[test]
    fn nested_members_lists_and_expected_errors() {
        let got = lines(
            "name: x\nsteps:\n  - call: cloudwatch.PutMetricAlarm\n    input:\n      AlarmName: a\n      EvaluationPeriods: 1\n      ComparisonOperator: GreaterThanThreshold\n      Dimensions: [{Nam: LoadBalancer, Value: x}, {Name: 5, Value: y}]\n      AlarmActions: arn:aws:sns:us-east-1:000000000000:t\n  - call: ecs.DeleteCluster\n    input: {clustr: x}\n    error: ClusterNotFoundException\n  - call: ecs.DeleteCluster\n    input: {}\n    error: InvalidParameterException\n",
        );
        assert_eq!(
            got,
            [
                "f.yaml:8:21: steps[1].call.input.Dimensions[1].Nam: unknown member; did you mean Name?",
                "f.yaml:8:58: steps[1].call.input.Dimensions[2].Name: expected text, found '5'",
                "f.yaml:9:21: steps[1].call.input.AlarmActions: expected a list, found 'arn:aws:sns:us-east-1:000000000000:t'",
                // A call that expects an error may send what AWS refuses, not members it ignores.
                "f.yaml:11:13: steps[2].call.input.clustr: unknown member; did you mean cluster?",
            ],
            "\n{}",
            got.join("\n")
        );
    }

    #[test]
    fn setup_and_step_mistakes_in_one_run() {
        let got = lines(
            "name: x\nsetup:\n  lab: {terminationWaitMinutes: -1}\n  hooks: {H: {reports: Maybe}}\nsteps:\n  - advance: soon\n  - deploy: {hooks: {AfterAllowTestTraffic: Nope}}\n  - note: '${deployment} ${unclosed'\n",
        );
        assert_eq!(got.len(), 5, "\n{}", got.join("\n"));
        for (line, want) in got.iter().zip([
            "f.yaml:3:33: setup.lab.terminationWaitMinutes:",
            "f.yaml:4:24: setup.hooks.H.reports:",
            "f.yaml:6:14: steps[1].advance:",
            "f.yaml:7:45: steps[2].deploy.hooks.AfterAllowTestTraffic: no hook 'Nope'",
            "f.yaml:8:11: steps[3]: '${deployment} ${unclosed': a ${ without its closing }",
        ]) {
            assert!(line.starts_with(want), "{line} is not {want}\n{}", got.join("\n"));
        }
    }
}
