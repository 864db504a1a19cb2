//! Input validation from the model, run on the canonical input value before any handler: required
//! members (at every depth), types, enum values, string/blob length, list/map size, numeric range,
//! patterns and unions. Failures are answered the way each service's server framework answers
//! them: `1 validation error detected: Value 'x' at 'role.path' failed to satisfy constraint:
//! Member must have length less than or equal to 64`, with the error code the service uses.
//!
//! Paths are printed as AWS prints them: member names with a lower-case first letter, joined by
//! dots; a list element is `<list>.<1-based index>.member` (`tags.1.member.key`), a map entry is
//! `<map>.<key>`. Values of sensitive shapes are never printed (`Value at 'password' ...`).
//!
//! The happy path allocates nothing: the path is a linked list on the stack and is only rendered
//! into a string when a violation is found. Compiled patterns are cached for the process.

use super::{AwsError, AwsResult};
use crate::model::{Kind, Member, Model, Operation, Protocol, Service, Shape, ShapeId};
use regex::Regex;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{OnceLock, RwLock};

/// How a service's servers answer input that breaks the model's constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The AWS server framework: every violation under one error code, message
    /// `N validation error(s) detected: <violation>; <violation>`.
    Framework { code: &'static str },
    /// CodeDeploy: a missing member with a dedicated `<Member>RequiredException` in the model, or a
    /// bad top-level member with a dedicated `Invalid<Member>Exception`, gets that error; anything
    /// else the framework answer under `code`.
    CodeDeploy { code: &'static str },
    /// EC2: the first violation only, `MissingParameter` (`The request must contain the parameter
    /// X`) for a missing member, `InvalidParameterValue` for a bad value.
    Ec2,
}

/// The error each service answers validation failures with. One row per service; the comment
/// says where the row comes from.
pub const ERROR_TABLE: [(Service, Style); 9] = [
    // ECS: the model's `InvalidParameterException` (a 400 ClientException-like error) is what ECS
    // answers bad parameters with (e.g. `Cluster must match ^[a-zA-Z0-9\-_]{1,255}$`). The exact
    // code ECS uses for a framework-level "must not be null" could not be confirmed from public
    // material; chosen per the project brief.
    (
        Service::Ecs,
        Style::Framework {
            code: "InvalidParameterException",
        },
    ),
    // ELBv2 (awsQuery): the query framework's `ValidationError` (not modelled; 400), as IAM/STS.
    (
        Service::Elbv2,
        Style::Framework {
            code: "ValidationError",
        },
    ),
    // CodeDeploy: the model has `<Member>RequiredException` / `Invalid<Member>Exception` shapes for
    // most members; the fallback is the awsJson framework default `ValidationException` (not
    // modelled, as it is not in Lambda's model either, yet Lambda answers with it).
    (
        Service::CodeDeploy,
        Style::CodeDeploy {
            code: "ValidationException",
        },
    ),
    // IAM (awsQuery): observed `ValidationError` with `... at 'tags.6.member.value' failed to
    // satisfy constraint: Member must satisfy regular expression pattern: ...` (public issue
    // reports of iam:CreateUser / iam:TagRole).
    (
        Service::Iam,
        Style::Framework {
            code: "ValidationError",
        },
    ),
    // STS (awsQuery): the same query framework, `ValidationError` (e.g. a too-short
    // roleSessionName).
    (
        Service::Sts,
        Style::Framework {
            code: "ValidationError",
        },
    ),
    // Lambda: observed `ValidationException` from the AWS CLI for model constraints
    // (`Value '...' at 'functionName' failed to satisfy constraint: Member must satisfy regular
    // expression pattern`, `at 'role'`, `at 'kMSKeyArn'`). Lambda's own checks (memory above the
    // account's limit, unknown runtime) use `InvalidParameterValueException`; the runtime enum is
    // special-cased below. This deliberately differs from the brief's first guess.
    (
        Service::Lambda,
        Style::Framework {
            code: "ValidationException",
        },
    ),
    // CloudWatch: observed `ValidationError` for request validation (`MetricName must not be
    // null`, Error Code: ValidationError, in public CloudFormation reports). The modelled
    // `InvalidParameterValue` / `MissingParameter` are CloudWatch's own semantic checks.
    (
        Service::CloudWatch,
        Style::Framework {
            code: "ValidationError",
        },
    ),
    // Logs: `InvalidParameterException` (modelled) carries the framework message, e.g. `Value '..'
    // at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression
    // pattern: [\.\-_/#A-Za-z0-9]+`.
    (
        Service::Logs,
        Style::Framework {
            code: "InvalidParameterException",
        },
    ),
    // EC2: `MissingParameter` / `InvalidParameterValue` (EC2 API error-code reference).
    (Service::Ec2, Style::Ec2),
];

/// The style of `service` (from [`ERROR_TABLE`]).
pub fn style(service: Service) -> Style {
    ERROR_TABLE
        .iter()
        .find(|(s, _)| *s == service)
        .map(|(_, st)| *st)
        .unwrap_or(Style::Framework {
            code: "ValidationException",
        })
}

/// At most this many violations are reported in one message.
const MAX_REPORTED: usize = 10;
/// Values nested deeper than this are not looked into (recursive shapes, hostile input).
const MAX_DEPTH: usize = 64;
/// At most this many characters of an offending value are echoed back.
const MAX_ECHO: usize = 1024;

pub fn validate_input(service: Service, model: &Model, op: &Operation, input: &Value) -> AwsResult<()> {
    let Some(root) = op.input else { return Ok(()) };
    if root >= model.shapes.len() {
        return Ok(());
    }
    let mut v = Validator {
        model,
        problems: Vec::new(),
        count: 0,
        type_error: None,
        findings: None,
    };
    let empty = Value::Object(serde_json::Map::new());
    let input = if input.is_null() { &empty } else { input };
    v.value(root, input, None, false, 0);
    if let Some(te) = v.type_error {
        return Err(type_error(service, model, te));
    }
    if v.count == 0 {
        return Ok(());
    }
    Err(answer(service, model, &v.problems, v.count))
}

/// One step of the path to a problem found by [`check_input`], as the model spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Member(String),
    /// A list element, 0-based.
    Index(usize),
    Key(String),
}

/// What [`check_input`] found wrong at a place.
#[derive(Debug, Clone, PartialEq)]
pub enum FindingKind {
    /// A required member is absent (or null).
    Missing,
    /// The value's JSON type does not fit: what the shape wants (`String`, `Integer`, `List`...).
    WrongType { expected: &'static str },
    /// A model constraint, in the framework's words (`Member must satisfy enum value set: [..]`),
    /// with the value as echoed (None when sensitive).
    Constraint { text: String, value: Option<String> },
    /// A member the structure does not have; `members` are the ones it has.
    Unknown { members: Vec<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub path: Vec<PathSeg>,
    pub kind: FindingKind,
}

/// Every problem of `input` for `op`, for tools that check inputs ahead of sending them (the
/// scenario reader): the same walk as [`validate_input`], which does not stop at the first wrong
/// type, also names members the structure does not have (AWS ignores those, a file's author
/// wants to hear of them), and leaves alone strings holding `${` (a value filled in later).
/// With `values: false` only unknown members are reported.
pub fn check_input(model: &Model, op: &Operation, input: &Value, values: bool) -> Vec<Finding> {
    let Some(root) = op.input else { return Vec::new() };
    if root >= model.shapes.len() {
        return Vec::new();
    }
    let mut v = Validator {
        model,
        problems: Vec::new(),
        count: 0,
        type_error: None,
        findings: Some((Vec::new(), values)),
    };
    let empty = Value::Object(serde_json::Map::new());
    let input = if input.is_null() { &empty } else { input };
    v.value(root, input, None, false, 0);
    v.findings.map(|(f, _)| f).unwrap_or_default()
}

fn path_segs(path: Option<&Path<'_>>) -> Vec<PathSeg> {
    let mut segs = Vec::new();
    let mut p = path;
    while let Some(node) = p {
        segs.push(match node.seg {
            Seg::Member(m) => PathSeg::Member(m.to_owned()),
            Seg::Index(i) => PathSeg::Index(i),
            Seg::Key(k) => PathSeg::Key(k.to_owned()),
        });
        p = node.parent;
    }
    segs.reverse();
    segs
}

// ---------------------------------------------------------------------------------------------
// The walk

/// One step of the path to a value, linked to its parent on the stack.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Member(&'a str),
    /// A list element: 0-based index, printed 1-based followed by `.member`.
    Index(usize),
    Key(&'a str),
}

fn render_path(path: Option<&Path<'_>>) -> String {
    let mut segs = Vec::new();
    let mut p = path;
    while let Some(node) = p {
        segs.push(node.seg);
        p = node.parent;
    }
    let mut out = String::new();
    for seg in segs.iter().rev() {
        if !out.is_empty() {
            out.push('.');
        }
        match seg {
            Seg::Member(name) => push_lower_camel(&mut out, name),
            Seg::Index(i) => {
                let _ = write!(out, "{}.member", i + 1);
            }
            Seg::Key(k) => out.push_str(k),
        }
    }
    out
}

fn push_lower_camel(out: &mut String, name: &str) {
    let mut chars = name.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_lowercase());
        out.push_str(chars.as_str());
    }
}

/// The top-level member a path starts at.
fn top_member<'a>(path: Option<&Path<'a>>) -> Option<&'a str> {
    let mut p = path?;
    while let Some(parent) = p.parent {
        p = parent;
    }
    match p.seg {
        Seg::Member(m) => Some(m),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProblemKind {
    Missing,
    Invalid,
}

#[derive(Debug, Clone)]
struct Problem {
    kind: ProblemKind,
    /// The path as AWS prints it (`tags.1.member.key`).
    path: String,
    /// The model name of the top-level member the problem is under.
    top: Option<String>,
    /// The member's own name (last member segment), as the model spells it.
    member: Option<String>,
    /// The whole violation text (`Value 'x' at 'p' failed to satisfy constraint: ...`).
    text: String,
    /// The offending value as echoed (None when sensitive or null).
    echoed: Option<String>,
}

/// A value whose JSON type does not fit its shape (the first one found).
#[derive(Debug)]
struct TypeError {
    path: String,
    /// What the shape wants (`Integer`, `String`, ...).
    expected: &'static str,
    /// The JSON token found (`STRING_VALUE`, `NUMBER_VALUE`, `START_ARRAY`, ...).
    found: &'static str,
    echoed: Option<String>,
}

struct Validator<'m> {
    model: &'m Model,
    problems: Vec<Problem>,
    count: usize,
    type_error: Option<TypeError>,
    /// [`check_input`]'s mode: every finding, and whether values are checked (else only unknown
    /// members).
    findings: Option<(Vec<Finding>, bool)>,
}

impl<'m> Validator<'m> {
    fn shape(&self, id: ShapeId) -> Option<&'m Shape> {
        self.model.shapes.get(id)
    }

    fn report(
        &mut self,
        kind: ProblemKind,
        path: Option<&Path<'_>>,
        value: Option<&Value>,
        sensitive: bool,
        constraint: &str,
    ) {
        if let Some((findings, values)) = &mut self.findings {
            if *values {
                let kind = match kind {
                    ProblemKind::Missing if value.is_none() => FindingKind::Missing,
                    _ => FindingKind::Constraint {
                        text: constraint.to_owned(),
                        value: value.filter(|_| !sensitive).map(echo),
                    },
                };
                findings.push(Finding {
                    path: path_segs(path),
                    kind,
                });
            }
            return;
        }
        self.count += 1;
        if self.problems.len() >= MAX_REPORTED {
            return;
        }
        let p = render_path(path);
        let echoed = match value {
            Some(v) if !sensitive => Some(echo(v)),
            _ => None,
        };
        let text = match (&echoed, value) {
            (Some(e), _) => {
                format!("Value '{e}' at '{p}' failed to satisfy constraint: {constraint}")
            }
            (None, Some(_)) => format!("Value at '{p}' failed to satisfy constraint: {constraint}"),
            (None, None) => {
                format!("Value null at '{p}' failed to satisfy constraint: {constraint}")
            }
        };
        let member = {
            let mut q = path;
            let mut found = None;
            while let Some(node) = q {
                if let Seg::Member(m) = node.seg {
                    found = Some(m.to_owned());
                    break;
                }
                q = node.parent;
            }
            found
        };
        self.problems.push(Problem {
            kind,
            path: p,
            top: top_member(path).map(str::to_owned),
            member,
            text,
            echoed,
        });
    }

    fn wrong_type(&mut self, path: Option<&Path<'_>>, expected: &'static str, found: &Value, sensitive: bool) {
        if let Some((findings, values)) = &mut self.findings {
            if *values {
                findings.push(Finding {
                    path: path_segs(path),
                    kind: FindingKind::WrongType { expected },
                });
            }
            return;
        }
        if self.type_error.is_some() {
            return;
        }
        let found_tok = match found {
            Value::Null => "NULL_VALUE",
            Value::Bool(true) => "TRUE_VALUE",
            Value::Bool(false) => "FALSE_VALUE",
            Value::Number(_) => "NUMBER_VALUE",
            Value::String(_) => "STRING_VALUE",
            Value::Array(_) => "START_ARRAY",
            Value::Object(_) => "START_OBJECT",
        };
        let echoed = match found {
            Value::Array(_) | Value::Object(_) => None,
            _ if sensitive => None,
            v => Some(echo(v)),
        };
        self.type_error = Some(TypeError {
            path: render_path(path),
            expected,
            found: found_tok,
            echoed,
        });
    }

    fn done(&self) -> bool {
        self.type_error.is_some()
    }

    /// Validates `value` against shape `id`; `path` is where it sits.
    fn value(&mut self, id: ShapeId, value: &Value, path: Option<&Path<'_>>, sensitive: bool, depth: usize) {
        if depth > MAX_DEPTH || self.done() {
            return;
        }
        let Some(shape) = self.shape(id) else { return };
        if self.findings.is_some() && (shape.document || matches!(value, Value::String(s) if s.contains("${"))) {
            return;
        }
        let sensitive = sensitive || shape.sensitive;
        match &shape.kind {
            Kind::Structure {
                members,
                required,
                union,
                ..
            } => {
                let Value::Object(obj) = value else {
                    return self.wrong_type(path, "Structure", value, sensitive);
                };
                if let Some((findings, _)) = &mut self.findings {
                    for k in obj.keys() {
                        if !members.iter().any(|m| &m.name == k) {
                            let here = Path {
                                parent: path,
                                seg: Seg::Member(k),
                            };
                            findings.push(Finding {
                                path: path_segs(Some(&here)),
                                kind: FindingKind::Unknown {
                                    members: members.iter().map(|m| m.name.clone()).collect(),
                                },
                            });
                        }
                    }
                }
                let mut set = 0usize;
                for m in members {
                    let here = Path {
                        parent: path,
                        seg: Seg::Member(&m.name),
                    };
                    match obj.get(&m.name) {
                        None | Some(Value::Null) => {
                            if required.iter().any(|r| r == &m.name) {
                                self.report(
                                    ProblemKind::Missing,
                                    Some(&here),
                                    None,
                                    false,
                                    "Member must not be null",
                                );
                            }
                        }
                        Some(v) => {
                            set += 1;
                            self.member(m, v, &here, sensitive, depth + 1);
                        }
                    }
                    if self.done() {
                        return;
                    }
                }
                if *union && set != 1 && path.is_some() {
                    // A union as a member value: exactly one of its members must be set.
                    let c = if set == 0 {
                        "Member must have exactly one member set, but none were set"
                    } else {
                        "Member must have exactly one member set, but more than one were set"
                    };
                    self.report(ProblemKind::Invalid, path, Some(value), true, c);
                }
            }
            Kind::List { member, .. } => {
                let Value::Array(items) = value else {
                    return self.wrong_type(path, "List", value, sensitive);
                };
                if let Some(c) = size_violation(shape, items.len()) {
                    self.report(ProblemKind::Invalid, path, Some(value), sensitive, &c);
                }
                for (i, item) in items.iter().enumerate() {
                    let here = Path {
                        parent: path,
                        seg: Seg::Index(i),
                    };
                    if item.is_null() {
                        // Null list elements: the framework reports them as null members.
                        self.report(
                            ProblemKind::Invalid,
                            Some(&here),
                            None,
                            false,
                            "Member must not be null",
                        );
                        continue;
                    }
                    self.member(member, item, &here, sensitive, depth + 1);
                    if self.done() {
                        return;
                    }
                }
            }
            Kind::Map {
                key, value: vmember, ..
            } => {
                let Value::Object(entries) = value else {
                    return self.wrong_type(path, "Map", value, sensitive);
                };
                if let Some(c) = size_violation(shape, entries.len()) {
                    self.report(ProblemKind::Invalid, path, Some(value), sensitive, &c);
                }
                let key_shape = self.shape(key.shape);
                let val_shape = self.shape(vmember.shape);
                let key_sensitive = sensitive || key_shape.is_some_and(|s| s.sensitive);
                let val_sensitive = sensitive || val_shape.is_some_and(|s| s.sensitive);
                let mut key_faults: Vec<String> = Vec::new();
                let mut val_faults: Vec<String> = Vec::new();
                for (k, v) in entries {
                    if let Some(ks) = key_shape {
                        if matches!(ks.kind, Kind::String { .. }) {
                            scalar_string_faults(ks, k, &mut key_faults);
                        }
                    }
                    let here = Path {
                        parent: path,
                        seg: Seg::Key(k),
                    };
                    match val_shape {
                        _ if v.is_null() => {
                            self.report(
                                ProblemKind::Invalid,
                                Some(&here),
                                None,
                                false,
                                "Member must not be null",
                            );
                        }
                        Some(vs) if is_scalar(vs) => {
                            if let Some(expected) = scalar_type_mismatch(vs, v) {
                                self.wrong_type(Some(&here), expected, v, val_sensitive);
                                return;
                            }
                            scalar_faults(vs, v, &mut val_faults);
                        }
                        _ => self.member(vmember, v, &here, sensitive, depth + 1),
                    }
                    if self.done() {
                        return;
                    }
                }
                if !key_faults.is_empty() {
                    let c = format!("Map keys must satisfy constraint: [{}]", key_faults.join(", "));
                    self.report(
                        ProblemKind::Invalid,
                        path,
                        Some(value),
                        key_sensitive || val_sensitive,
                        &c,
                    );
                }
                if !val_faults.is_empty() {
                    let c = format!("Map value must satisfy constraint: [{}]", val_faults.join(", "));
                    self.report(
                        ProblemKind::Invalid,
                        path,
                        Some(value),
                        key_sensitive || val_sensitive,
                        &c,
                    );
                }
            }
            _ => {
                if let Some(expected) = scalar_type_mismatch(shape, value) {
                    return self.wrong_type(path, expected, value, sensitive);
                }
                let mut faults: Vec<String> = Vec::new();
                scalar_faults(shape, value, &mut faults);
                for f in &faults {
                    self.report(ProblemKind::Invalid, path, Some(value), sensitive, f);
                }
            }
        }
    }

    fn member(&mut self, m: &Member, v: &Value, here: &Path<'_>, sensitive: bool, depth: usize) {
        self.value(m.shape, v, Some(here), sensitive, depth);
    }
}

fn is_scalar(shape: &Shape) -> bool {
    !matches!(
        shape.kind,
        Kind::Structure { .. } | Kind::List { .. } | Kind::Map { .. }
    )
}

/// The Java type name a scalar shape wants, when `value` is not of its JSON type.
fn scalar_type_mismatch(shape: &Shape, value: &Value) -> Option<&'static str> {
    match (&shape.kind, value) {
        (Kind::String { .. }, Value::String(_)) => None,
        (Kind::String { .. }, _) => Some("String"),
        (Kind::Blob, Value::String(_)) => None,
        (Kind::Blob, _) => Some("ByteBuffer"),
        (Kind::Boolean, Value::Bool(_)) => None,
        (Kind::Boolean, _) => Some("Boolean"),
        (Kind::Integer, Value::Number(n)) if integral_in(n, i32::MIN as f64, i32::MAX as f64) => None,
        (Kind::Integer, _) => Some("Integer"),
        (Kind::Long, Value::Number(n)) if n.is_i64() || integral_in(n, i64::MIN as f64, i64::MAX as f64) => None,
        (Kind::Long, _) => Some("Long"),
        (Kind::Float | Kind::Double | Kind::Timestamp, Value::Number(_)) => None,
        (Kind::Float, _) => Some("Float"),
        (Kind::Double, _) => Some("Double"),
        (Kind::Timestamp, _) => Some("Date"),
        _ => None,
    }
}

fn integral_in(n: &serde_json::Number, lo: f64, hi: f64) -> bool {
    if let Some(i) = n.as_i64() {
        return (lo..=hi).contains(&(i as f64));
    }
    if n.is_u64() {
        return false;
    }
    n.as_f64()
        .is_some_and(|f| f.is_finite() && f.fract() == 0.0 && f >= lo && f <= hi)
}

/// Constraint violations of a scalar value already known to be of the right JSON type.
fn scalar_faults(shape: &Shape, value: &Value, out: &mut Vec<String>) {
    match (&shape.kind, value) {
        (Kind::String { .. }, Value::String(s)) => scalar_string_faults(shape, s, out),
        (Kind::Blob, Value::String(s)) => {
            if let Some(c) = length_violation(shape, base64_decoded_len(s)) {
                out.push(c);
            }
        }
        (Kind::Integer | Kind::Long | Kind::Float | Kind::Double, Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(0.0);
            if let Some(min) = shape.min {
                if x < min {
                    out.push(format!("Member must have value greater than or equal to {}", num(min)));
                }
            }
            if let Some(max) = shape.max {
                if x > max {
                    out.push(format!("Member must have value less than or equal to {}", num(max)));
                }
            }
        }
        _ => {}
    }
}

fn scalar_string_faults(shape: &Shape, s: &str, out: &mut Vec<String>) {
    let Kind::String { enum_values, pattern } = &shape.kind else {
        return;
    };
    if shape.min.is_some() || shape.max.is_some() {
        if let Some(c) = length_violation(shape, s.chars().count()) {
            out.push(c);
        }
    }
    if let Some(p) = pattern {
        if !pattern_matches(p, s) {
            out.push(format!("Member must satisfy regular expression pattern: {p}"));
        }
    }
    if let Some(values) = enum_values {
        if !values.iter().any(|v| v == s) {
            out.push(format!("Member must satisfy enum value set: [{}]", values.join(", ")));
        }
    }
}

fn length_violation(shape: &Shape, len: usize) -> Option<String> {
    let len = len as f64;
    if let Some(min) = shape.min {
        if len < min {
            return Some(format!("Member must have length greater than or equal to {}", num(min)));
        }
    }
    if let Some(max) = shape.max {
        if len > max {
            return Some(format!("Member must have length less than or equal to {}", num(max)));
        }
    }
    None
}

/// Lists and maps: the framework words their size limits as lengths too.
fn size_violation(shape: &Shape, len: usize) -> Option<String> {
    length_violation(shape, len)
}

fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The number of bytes a base64 string decodes to (without decoding it).
fn base64_decoded_len(s: &str) -> usize {
    let t = s.trim_end_matches('=');
    let n = t.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    n / 4 * 3
        + match n % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

/// How a value is echoed in a message: strings and numbers as they are, lists as `[a, b]`, maps
/// and structures as `{k=v, ...}` (the Java `toString` forms the framework prints).
fn echo(v: &Value) -> String {
    let mut out = String::new();
    echo_into(&mut out, v, 0);
    if out.chars().count() > MAX_ECHO {
        let cut: String = out.chars().take(MAX_ECHO).collect();
        return format!("{cut}...");
    }
    out
}

fn echo_into(out: &mut String, v: &Value, depth: usize) {
    if out.len() > MAX_ECHO * 4 || depth > 8 {
        out.push_str("...");
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                echo_into(out, x, depth + 1);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                echo_into(out, x, depth + 1);
            }
            out.push('}');
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Patterns

/// Whether `s` matches the model's `pattern` as a whole (Java `String.matches`). Patterns the
/// `regex` crate cannot compile (look-around, back-references, Java-only classes) are skipped.
pub fn pattern_matches(pattern: &str, s: &str) -> bool {
    static CACHE: OnceLock<RwLock<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(HashMap::new()));
    {
        let read = cache.read().unwrap_or_else(|e| e.into_inner());
        if let Some(compiled) = read.get(pattern) {
            return compiled.as_ref().is_none_or(|re| re.is_match(s));
        }
    }
    let compiled = compile(pattern);
    let ok = compiled.as_ref().is_none_or(|re| re.is_match(s));
    let mut write = cache.write().unwrap_or_else(|e| e.into_inner());
    write.entry(pattern.to_owned()).or_insert(compiled);
    ok
}

fn compile(pattern: &str) -> Option<Regex> {
    let build = |p: &str| {
        regex::RegexBuilder::new(&format!(r"\A(?:{p})\z"))
            .size_limit(1 << 22)
            .build()
            .ok()
    };
    build(pattern).or_else(|| {
        // Java reads a `-` right after a class escape inside brackets (`[\w-_]`) as a literal.
        let mut fixed = pattern.to_owned();
        for esc in [r"\w-", r"\d-", r"\s-", r"\W-", r"\D-", r"\S-"] {
            fixed = fixed.replace(esc, &format!("{}\\-", &esc[..2]));
        }
        if fixed == pattern {
            None
        } else {
            build(&fixed)
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Answers

fn detected(problems: &[Problem], count: usize) -> String {
    let texts: Vec<&str> = problems.iter().map(|p| p.text.as_str()).collect();
    let noun = if count == 1 { "error" } else { "errors" };
    format!("{count} validation {noun} detected: {}", texts.join("; "))
}

fn answer(service: Service, model: &Model, problems: &[Problem], count: usize) -> AwsError {
    // Lambda checks `Runtime` itself, after the framework (its enum is open to new runtimes): an
    // unknown runtime alone gets Lambda's own error; alongside other violations it is left out.
    if service == Service::Lambda {
        let is_runtime = |p: &Problem| p.path == "runtime" && p.text.contains("enum value set");
        if let Some(p) = problems.iter().find(|p| is_runtime(p)) {
            if count == 1 {
                let (_, rest) = p.text.split_once("enum value set: ").unwrap_or(("", ""));
                let value = p.echoed.as_deref().unwrap_or_default();
                return AwsError::new(
                    "InvalidParameterValueException",
                    format!(
                        "Value {value} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: {rest} or be a valid ARN"
                    ),
                )
                .with_extra("Type", "User");
            }
            let others: Vec<Problem> = problems.iter().filter(|p| !is_runtime(p)).cloned().collect();
            return answer(service, model, &others, count - 1);
        }
    }
    match style(service) {
        Style::Framework { code } => AwsError::new(code, detected(problems, count)),
        Style::CodeDeploy { code } => codedeploy(model, problems, count, code),
        Style::Ec2 => ec2(problems),
    }
}

fn upper_first(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
        out.push_str(chars.as_str());
    }
    out
}

/// `applicationName` → `application name`.
fn words(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && chars[i - 1].is_lowercase();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || next_lower) {
                out.push(' ');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn has_exception(model: &Model, name: &str) -> bool {
    model
        .shape_named(name)
        .is_some_and(|id| model.shape(id).exception || model.shape(id).error.is_some())
}

/// CodeDeploy's dedicated "required" exception for a member, if the model has one.
fn codedeploy_required(model: &Model, member: &str) -> Option<String> {
    let aliases: &[(&str, &str)] = &[
        ("serviceRoleArn", "RoleRequiredException"),
        ("targetId", "DeploymentTargetIdRequiredException"),
        ("targetIds", "DeploymentTargetIdRequiredException"),
    ];
    if let Some((_, e)) = aliases.iter().find(|(m, _)| *m == member) {
        if has_exception(model, e) {
            return Some((*e).to_owned());
        }
    }
    let up = upper_first(member);
    let mut candidates = vec![format!("{up}RequiredException")];
    if let Some(singular) = up.strip_suffix('s') {
        candidates.push(format!("{singular}RequiredException"));
    }
    candidates.into_iter().find(|c| has_exception(model, c))
}

fn codedeploy(model: &Model, problems: &[Problem], count: usize, fallback: &str) -> AwsError {
    for p in problems.iter().filter(|p| p.kind == ProblemKind::Missing) {
        let Some(member) = p.member.as_deref() else {
            continue;
        };
        if let Some(code) = codedeploy_required(model, member) {
            let what = words(member.trim_end_matches('s'));
            return AwsError::new(code, format!("The {what} must be specified"));
        }
    }
    if let Some(p) = problems.first() {
        if p.kind == ProblemKind::Invalid {
            if let Some(top) = p.top.as_deref() {
                let code = format!("Invalid{}Exception", upper_first(top));
                if has_exception(model, &code) {
                    return AwsError::new(code, detected(std::slice::from_ref(p), 1));
                }
            }
        }
    }
    AwsError::new(fallback, detected(problems, count))
}

/// EC2 names parameters as the query wire does: `Tag.1.Key` for `tags.1.member.key`.
fn ec2_param(path: &str) -> String {
    path.split('.')
        .filter(|s| *s != "member")
        .map(upper_first)
        .collect::<Vec<_>>()
        .join(".")
}

fn ec2(problems: &[Problem]) -> AwsError {
    let Some(p) = problems.first() else {
        return AwsError::new("InvalidParameterValue", "The request is invalid.");
    };
    let param = ec2_param(&p.path);
    match p.kind {
        ProblemKind::Missing => AwsError::new(
            "MissingParameter",
            format!("The request must contain the parameter {param}"),
        ),
        ProblemKind::Invalid => {
            let shown = p.echoed.as_deref().unwrap_or("");
            AwsError::new(
                "InvalidParameterValue",
                format!("Value ({shown}) for parameter {param} is invalid."),
            )
        }
    }
}

/// A value of the wrong JSON type: the deserializer's answer, which comes before validation.
fn type_error(service: Service, model: &Model, te: TypeError) -> AwsError {
    let article = if te.expected.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    let detail = match te.found {
        "START_ARRAY" => "Start of list found where not expected".to_owned(),
        "START_OBJECT" => "Start of structure or map found where not expected.".to_owned(),
        tok => format!("{tok} can not be converted to {article} {}", te.expected),
    };
    match (model.metadata.protocol, style(service)) {
        // awsJson: the body's JSON could not be read into the input structure.
        (Protocol::Json, _) => AwsError::new("SerializationException", detail),
        // restJson (Lambda): the request body is not the JSON the operation takes.
        (Protocol::RestJson, _) => AwsError::new(
            "InvalidRequestContentException",
            format!("Could not parse request body into json: {detail} (at '{}')", te.path),
        )
        .with_extra("Type", "User"),
        (Protocol::Ec2, _) | (_, Style::Ec2) => AwsError::new(
            "InvalidParameterValue",
            format!(
                "Value ({}) for parameter {} is invalid.",
                te.echoed.unwrap_or_default(),
                ec2_param(&te.path)
            ),
        ),
        (Protocol::Query, st) => {
            let code = match st {
                Style::Framework { code } | Style::CodeDeploy { code } => code,
                Style::Ec2 => "InvalidParameterValue",
            };
            let shown = te
                .echoed
                .map(|e| format!("Value '{e}'"))
                .unwrap_or_else(|| "Value".to_owned());
            AwsError::new(
                code,
                format!(
                    "1 validation error detected: {shown} at '{}' failed to satisfy constraint: Member must be {article} {}",
                    te.path,
                    te.expected.to_lowercase()
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(service: Service, op: &str, input: Value) -> AwsResult<()> {
        let model = service.model();
        let op = model.operation(op).unwrap_or_else(|| panic!("{op} in model"));
        validate_input(service, &model, op, &input)
    }

    fn err(service: Service, op: &str, input: Value) -> AwsError {
        match check(service, op, input) {
            Ok(()) => panic!("expected a validation error"),
            Err(e) => e,
        }
    }

    #[test]
    fn valid_inputs_pass() {
        check(
            Service::Ecs,
            "CreateService",
            json!({"serviceName": "web", "desiredCount": 2}),
        )
        .unwrap();
        check(
            Service::Iam,
            "CreateRole",
            json!({"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Path": "/a/b/"}),
        )
        .unwrap();
        check(
            Service::Elbv2,
            "CreateTargetGroup",
            json!({"Name": "tg", "Protocol": "HTTP", "Port": 80}),
        )
        .unwrap();
        check(
            Service::Lambda,
            "CreateFunction",
            json!({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {}, "MemorySize": 128}),
        )
        .unwrap();
        check(Service::Ec2, "CreateSubnet", json!({"VpcId": "vpc-1"})).unwrap();
        check(
            Service::CodeDeploy,
            "CreateApplication",
            json!({"applicationName": "app"}),
        )
        .unwrap();
        check(Service::Sts, "GetCallerIdentity", json!({})).unwrap();
    }

    #[test]
    fn ecs_missing_required_member() {
        let e = err(Service::Ecs, "CreateService", json!({"cluster": "c"}));
        assert_eq!(e.code, "InvalidParameterException");
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'serviceName' failed to satisfy constraint: Member must not be null"
        );
        let model = Service::Ecs.model();
        assert_eq!(crate::protocol::error_status(&model, &e), 400);
    }

    #[test]
    fn iam_length_and_pattern() {
        let name = "r".repeat(65);
        let e = err(
            Service::Iam,
            "CreateRole",
            json!({"RoleName": name, "AssumeRolePolicyDocument": "{}", "Path": "no-slashes"}),
        );
        assert_eq!(e.code, "ValidationError");
        assert_eq!(
            e.message,
            format!(
                "2 validation errors detected: Value 'no-slashes' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); Value '{name}' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"
            )
        );
    }

    #[test]
    fn iam_nested_list_paths() {
        let e = err(
            Service::Iam,
            "CreateRole",
            json!({"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": [{"Key": "a", "Value": "b"}, {"Value": "c"}]}),
        );
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn elbv2_bad_enum() {
        let e = err(
            Service::Elbv2,
            "CreateTargetGroup",
            json!({"Name": "tg", "Protocol": "FTP"}),
        );
        assert_eq!(e.code, "ValidationError");
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'FTP' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE, QUIC, TCP_QUIC]"
        );
    }

    #[test]
    fn lambda_range() {
        let e = err(
            Service::Lambda,
            "CreateFunction",
            json!({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {}, "MemorySize": 1}),
        );
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message,
            "1 validation error detected: Value '1' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"
        );
        let model = Service::Lambda.model();
        assert_eq!(crate::protocol::error_status(&model, &e), 400);
    }

    #[test]
    fn lambda_unknown_runtime_is_lambdas_own_error() {
        let e = err(
            Service::Lambda,
            "CreateFunction",
            json!({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {}, "Runtime": "cobol"}),
        );
        assert_eq!(e.code, "InvalidParameterValueException");
        assert!(e.message.starts_with(
            "Value cobol at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["
        ));
        assert!(e.message.ends_with("] or be a valid ARN"));
        // With another violation, the framework answers first, without the runtime.
        let e = err(
            Service::Lambda,
            "CreateFunction",
            json!({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {}, "Runtime": "cobol", "Timeout": 0}),
        );
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message,
            "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1"
        );
    }

    #[test]
    fn lambda_sensitive_map_keys_are_not_echoed() {
        let e = err(
            Service::Lambda,
            "CreateFunction",
            json!({"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {},
                   "Environment": {"Variables": {"1bad-key": "s3cr3t"}}}),
        );
        assert_eq!(e.code, "ValidationException");
        assert!(!e.message.contains("s3cr3t"), "{}", e.message);
        assert!(!e.message.contains("1bad-key"), "{}", e.message);
        assert!(e.message.contains("Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "), "{}", e.message);
    }

    #[test]
    fn sts_sensitive_value_is_not_echoed() {
        let e = err(
            Service::Sts,
            "AssumeRoleWithWebIdentity",
            json!({"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1", "WebIdentityToken": "abc"}),
        );
        assert_eq!(e.code, "ValidationError");
        assert_eq!(
            e.message,
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"
        );
    }

    #[test]
    fn ec2_missing_parameter() {
        let e = err(Service::Ec2, "CreateSubnet", json!({"CidrBlock": "10.0.0.0/24"}));
        assert_eq!(e.code, "MissingParameter");
        assert_eq!(e.message, "The request must contain the parameter VpcId");
        let e = err(
            Service::Ec2,
            "DescribeVpcAttribute",
            json!({"VpcId": "vpc-1", "Attribute": "colour"}),
        );
        assert_eq!(e.code, "InvalidParameterValue");
        assert_eq!(e.message, "Value (colour) for parameter Attribute is invalid.");
    }

    #[test]
    fn codedeploy_dedicated_required_exception() {
        let e = err(
            Service::CodeDeploy,
            "CreateApplication",
            json!({"computePlatform": "ECS"}),
        );
        assert_eq!(e.code, "ApplicationNameRequiredException");
        assert_eq!(e.message, "The application name must be specified");
        let e = err(
            Service::CodeDeploy,
            "CreateApplication",
            json!({"applicationName": "a".repeat(101)}),
        );
        assert_eq!(e.code, "InvalidApplicationNameException");
        assert!(e.message.contains("Member must have length less than or equal to 100"));
        let e = err(
            Service::CodeDeploy,
            "CreateApplication",
            json!({"applicationName": "a", "computePlatform": "Mainframe"}),
        );
        assert_eq!(e.code, "InvalidComputePlatformException");
    }

    #[test]
    fn wrong_json_types_are_serialization_errors() {
        let e = err(
            Service::Ecs,
            "CreateService",
            json!({"serviceName": "s", "desiredCount": "two"}),
        );
        assert_eq!(e.code, "SerializationException");
        assert_eq!(e.message, "STRING_VALUE can not be converted to an Integer");
        let e = err(Service::Ecs, "CreateService", json!({"serviceName": ["s"]}));
        assert_eq!(e.message, "Start of list found where not expected");
        let e = err(
            Service::Ecs,
            "CreateService",
            json!({"serviceName": "s", "desiredCount": 1.5}),
        );
        assert_eq!(e.code, "SerializationException");
        let e = err(
            Service::Ecs,
            "CreateService",
            json!({"serviceName": "s", "desiredCount": 4294967296_i64}),
        );
        assert_eq!(e.code, "SerializationException");
        check(
            Service::Ecs,
            "CreateService",
            json!({"serviceName": "s", "desiredCount": 2.0}),
        )
        .unwrap();
    }

    #[test]
    fn logs_pattern_error_code() {
        let e = err(Service::Logs, "CreateLogGroup", json!({"logGroupName": "bad name!"}));
        assert_eq!(e.code, "InvalidParameterException");
        assert!(e.message.starts_with(
            "1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        ));
    }

    #[test]
    fn union_must_have_exactly_one_member() {
        let doc = json!({
            "metadata": {"protocol": "json", "apiVersion": "2020-01-01", "targetPrefix": "T", "jsonVersion": "1.1"},
            "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
            "shapes": {
                "In": {"type": "structure", "members": {"choice": {"shape": "U"}}},
                "U": {"type": "structure", "union": true, "members": {"a": {"shape": "S"}, "b": {"shape": "S"}}},
                "S": {"type": "string"}
            }
        });
        let model = Model::from_json(&doc).unwrap();
        let op = model.operation("Op").unwrap();
        validate_input(Service::Logs, &model, op, &json!({"choice": {"a": "x"}})).unwrap();
        let e = validate_input(Service::Logs, &model, op, &json!({"choice": {"a": "x", "b": "y"}})).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value at 'choice' failed to satisfy constraint: Member must have exactly one member set, but more than one were set"
        );
        let e = validate_input(Service::Logs, &model, op, &json!({"choice": {}})).unwrap_err();
        assert!(e.message.contains("but none were set"));
    }

    #[test]
    fn many_errors_are_capped() {
        let tags: Vec<Value> = (0..30).map(|_| json!({})).collect();
        let e = err(
            Service::Iam,
            "CreateRole",
            json!({"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": tags}),
        );
        assert!(
            e.message.starts_with("60 validation errors detected: "),
            "{}",
            e.message
        );
        assert_eq!(e.message.matches("failed to satisfy constraint").count(), MAX_REPORTED);
    }

    #[test]
    fn patterns_are_anchored_and_cached() {
        assert!(pattern_matches("[a-z]+", "abc"));
        assert!(!pattern_matches("[a-z]+", "abc1"));
        assert!(!pattern_matches("[a-z]+", "1abc"));
        assert!(pattern_matches("a|b", "b"));
        assert!(!pattern_matches("a|b", "ab"));
        // Look-around is not supported by the regex crate: skipped, never a false rejection.
        assert!(pattern_matches("(?!x)[a-z]+", "x1"));
        // Java character-class readings the models rely on.
        assert!(pattern_matches("[a-zA-Z0-9-_]+", "a-b_c9"));
        assert!(!pattern_matches("[a-zA-Z0-9-_]+", "a.b"));
        assert!(pattern_matches(r"[\w-_]*", "a-b_c"));
        assert!(!pattern_matches(r"[\w-_]*", "a b"));
        assert!(pattern_matches(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", "/a/"));
        assert!(pattern_matches(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*", "Grüße 1"));
    }
}
