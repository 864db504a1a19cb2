//! Deployment scenarios: YAML files that set up the lab, call APIs, move the clock, inject faults,
//! wait for conditions and state expectations (`cutover scenario run FILE...`, `cutover lab`).
//!
//! This module reads a file into a [`Scenario`]; every mistake is reported as
//! `FILE:LINE:COL: FIELD: what is wrong`. [`run`] executes one, in-process or against an endpoint;
//! [`report`] prints timelines and writes JUnit XML. The format is documented in
//! `docs/scenarios.md`; the built-in scenarios are the files under `scenarios/` at the repo root,
//! compiled into the binary ([`builtin`]).

pub mod check;
pub mod lab;
pub mod report;
pub mod run;
pub mod yaml;

use crate::model::Service;
use serde_json::Value;
use std::fmt;
use yaml::{Kind, Node, Pos};

/// A mistake in a scenario file, at its place.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: String,
    pub pos: Pos,
    /// Where in the document, e.g. `steps[3].wait.timeout`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pos.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.pos.line, self.pos.col)?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Every mistake of a scenario file, in file order (at least one).
#[derive(Debug, Clone, PartialEq)]
pub struct Errors(pub Vec<ScenarioError>);

impl Errors {
    /// The first mistake.
    pub fn first(&self) -> &ScenarioError {
        &self.0[0]
    }
}

impl From<ScenarioError> for Errors {
    fn from(e: ScenarioError) -> Errors {
        Errors(vec![e])
    }
}

/// One mistake a line.
impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

/// One scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub file: String,
    pub name: String,
    pub description: String,
    pub lab: Option<LabSetup>,
    pub hooks: Vec<HookDef>,
    pub steps: Vec<Step>,
}

/// `setup.lab`: the Lab 4 topology, ready to deploy.
#[derive(Debug, Clone, PartialEq)]
pub struct LabSetup {
    pub deployment_config: String,
    pub termination_wait_minutes: i64,
    /// `deploymentReadyOption` with STOP_DEPLOYMENT and this many minutes; None: CONTINUE_DEPLOYMENT.
    pub ready_wait_minutes: Option<i64>,
    pub auto_rollback: Vec<String>,
    pub alarms: Vec<String>,
    /// Extra `CreateDeploymentConfig` inputs created before the group (custom canary/linear).
    pub deployment_configs: Vec<Value>,
}

/// `setup.hooks.NAME`: a Lambda function used as a lifecycle hook.
#[derive(Debug, Clone, PartialEq)]
pub struct HookDef {
    pub name: String,
    pub reports: HookReport,
    pub runtime: String,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookReport {
    Succeeded,
    Failed,
    /// Returns without reporting: the lifecycle event waits until its timeout.
    Never,
    /// GETs the test listener (as the lab's hook does) and reports Succeeded on a 200, else Failed.
    TestTraffic,
}

impl HookReport {
    pub fn name(self) -> &'static str {
        match self {
            HookReport::Succeeded => "Succeeded",
            HookReport::Failed => "Failed",
            HookReport::Never => "never",
            HookReport::TestTraffic => "testTraffic",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub pos: Pos,
    pub index: usize,
    pub kind: StepKind,
}

/// Something to look at: an API call's output, or a view the runner builds from several calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    Call {
        service: Service,
        operation: String,
        input: Value,
    },
    /// GetDeployment's `deploymentInfo`.
    Deployment(String),
    /// `{target group name: weight}` of the lab's production or test route.
    Traffic(String),
    /// `[{id, status, taskDefinition, stabilityStatus, scale, runningCount}]` of the lab service.
    TaskSets,
    /// `{lifecycle event name: status}` of a deployment's ECS target.
    Lifecycle(String),
    /// `{target group name: [target health states]}` for the lab's two target groups.
    Targets,
}

/// `path: matcher` pairs checked against a probe's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub path: String,
    pub matcher: Matcher,
    pub pos: Pos,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Matcher {
    Equals(Value),
    In(Vec<Value>),
    Contains(Value),
    Matches(String),
    Exists(bool),
    Length(usize),
    AtLeast(f64),
    AtMost(f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Call {
        probe: Probe,
        expect: Vec<Expectation>,
        save: Vec<(String, String)>,
        error: Option<String>,
    },
    Expect {
        probe: Probe,
        expect: Vec<Expectation>,
    },
    Wait {
        probe: Probe,
        expect: Vec<Expectation>,
        every: f64,
        timeout: f64,
    },
    Advance(f64),
    Deploy(DeploySpec),
    Fault(Value),
    ClearFaults,
    Note(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploySpec {
    /// A new revision of the lab's task definition with this image…
    pub image: Option<String>,
    /// …or an existing task definition (family:revision or ARN).
    pub task_definition: Option<String>,
    pub hooks: Vec<(String, String)>,
    pub deployment_config: Option<String>,
    pub description: Option<String>,
    pub save: String,
    pub error: Option<String>,
}

/// The scenarios compiled into the binary: `(name, file text)`.
pub fn builtin() -> &'static [(&'static str, &'static str)] {
    &[
        ("lab-happy-path", include_str!("../../../scenarios/lab-happy-path.yaml")),
        (
            "hook-failure-rollback",
            include_str!("../../../scenarios/hook-failure-rollback.yaml"),
        ),
        (
            "hook-timeout-rollback",
            include_str!("../../../scenarios/hook-timeout-rollback.yaml"),
        ),
        (
            "unhealthy-green-rollback",
            include_str!("../../../scenarios/unhealthy-green-rollback.yaml"),
        ),
        ("alarm-rollback", include_str!("../../../scenarios/alarm-rollback.yaml")),
        (
            "stop-with-rollback",
            include_str!("../../../scenarios/stop-with-rollback.yaml"),
        ),
        ("canary", include_str!("../../../scenarios/canary.yaml")),
        ("linear", include_str!("../../../scenarios/linear.yaml")),
        (
            "ready-wait-continue",
            include_str!("../../../scenarios/ready-wait-continue.yaml"),
        ),
        (
            "termination-wait-continue",
            include_str!("../../../scenarios/termination-wait-continue.yaml"),
        ),
        (
            "second-deployment-swaps",
            include_str!("../../../scenarios/second-deployment-swaps.yaml"),
        ),
    ]
}

/// Reads a scenario: `builtin:NAME` for a built-in one, else a file path.
pub fn load(arg: &str) -> Result<Scenario, Errors> {
    if let Some(name) = arg.strip_prefix("builtin:") {
        return match builtin().iter().find(|(n, _)| *n == name) {
            Some((n, text)) => parse(&format!("builtin:{n}"), text),
            None => Err(ScenarioError {
                file: arg.to_owned(),
                pos: Pos { line: 0, col: 0 },
                field: String::new(),
                message: format!(
                    "no built-in scenario of that name; there are: {}",
                    builtin().iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            }
            .into()),
        };
    }
    match std::fs::read_to_string(arg) {
        Ok(text) => parse(arg, &text),
        Err(e) => Err(ScenarioError {
            file: arg.to_owned(),
            pos: Pos { line: 0, col: 0 },
            field: String::new(),
            message: format!("cannot read the file: {e}"),
        }
        .into()),
    }
}

struct Ctx<'a> {
    file: &'a str,
    /// Mistakes found alongside the one a parse function returns (every bad member of an
    /// input, every bad matcher of an expectation).
    extra: std::cell::RefCell<Vec<ScenarioError>>,
}

impl Ctx<'_> {
    fn err(&self, pos: Pos, field: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_owned(),
            pos,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    fn map<'n>(&self, node: &'n Node, field: &str) -> Result<&'n [(String, Pos, Node)], ScenarioError> {
        node.entries().ok_or_else(|| {
            self.err(
                node.pos,
                field,
                format!("expected a mapping, found {}", node.describe()),
            )
        })
    }

    fn only_keys(&self, node: &Node, field: &str, allowed: &[&str]) -> Result<(), ScenarioError> {
        for (k, p, _) in self.map(node, field)? {
            if !allowed.contains(&k.as_str()) {
                return Err(self.err(
                    *p,
                    &join(field, k),
                    format!("unknown field; expected one of: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    fn string(&self, node: &Node, field: &str) -> Result<String, ScenarioError> {
        match &node.kind {
            Kind::Scalar(s, _) if !node.is_null() => Ok(s.clone()),
            _ => Err(self.err(node.pos, field, format!("expected text, found {}", node.describe()))),
        }
    }

    fn strings(&self, node: &Node, field: &str) -> Result<Vec<String>, ScenarioError> {
        match node.items() {
            Some(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| self.string(n, &format!("{field}[{i}]")))
                .collect(),
            None => Ok(vec![self.string(node, field)?]),
        }
    }

    fn int(&self, node: &Node, field: &str, min: i64, max: i64) -> Result<i64, ScenarioError> {
        let v = node.text().and_then(|s| s.parse::<i64>().ok());
        match v {
            Some(v) if (min..=max).contains(&v) => Ok(v),
            Some(v) => Err(self.err(node.pos, field, format!("{v} is out of range; expected {min} to {max}"))),
            None => Err(self.err(
                node.pos,
                field,
                format!("expected a whole number, found {}", node.describe()),
            )),
        }
    }

    /// Seconds: a number, or a duration such as `90s`, `5m`, `1h30m`.
    fn duration(&self, node: &Node, field: &str) -> Result<f64, ScenarioError> {
        let bad = || {
            self.err(
                node.pos,
                field,
                format!(
                    "expected a duration (seconds, or e.g. 90s, 5m, 1h30m), found {}",
                    node.describe()
                ),
            )
        };
        let text = node.text().ok_or_else(bad)?;
        let secs = parse_duration(text).ok_or_else(bad)?;
        if secs <= 0.0 || secs > MAX_DURATION {
            return Err(self.err(node.pos, field, "a duration must be above 0 and at most 7 days"));
        }
        Ok(secs)
    }
}

/// The longest `advance`, `wait` timeout or `every` (7 days); a whole scenario may move the clock
/// at most [`MAX_SCENARIO_SECS`].
pub const MAX_DURATION: f64 = 7.0 * 86400.0;
/// 30 days of simulated time per scenario: beyond that a run would take minutes of wall time.
pub const MAX_SCENARIO_SECS: f64 = 30.0 * 86400.0;

fn join(field: &str, key: &str) -> String {
    if field.is_empty() {
        key.to_owned()
    } else {
        format!("{field}.{key}")
    }
}

/// `30`, `2.5`, `90s`, `5m`, `1h30m`, `1h 30m 10s` → seconds.
pub fn parse_duration(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        return v.is_finite().then_some(v);
    }
    let mut total = 0.0;
    let mut num = String::new();
    let mut any = false;
    for c in t.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
        } else if c == ' ' {
            continue;
        } else {
            let unit = match c {
                's' => 1.0,
                'm' => 60.0,
                'h' => 3600.0,
                'd' => 86400.0,
                _ => return None,
            };
            let v: f64 = num.parse().ok()?;
            total += v * unit;
            num.clear();
            any = true;
        }
    }
    (any && num.is_empty()).then_some(total)
}

const HOOK_RUNTIMES: [&str; 8] = [
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
];

const LIFECYCLE_EVENTS: [&str; 5] = [
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

/// Parses a scenario file's text; `file` names it in errors. The file is checked as a whole:
/// every mistake of it comes back, in file order, not the first only.
pub fn parse(file: &str, text: &str) -> Result<Scenario, Errors> {
    let c = Ctx {
        file,
        extra: Default::default(),
    };
    let root =
        yaml::parse(text).map_err(|e| Errors(vec![c.err(e.pos, "", format!("not valid YAML: {}", e.message))]))?;
    let mut errs: Vec<ScenarioError> = Vec::new();
    keep(
        &mut errs,
        c.only_keys(&root, "", &["name", "description", "setup", "steps"]),
    );
    let name = match root.get("name") {
        Some(n) => keep(&mut errs, c.string(n, "name")).unwrap_or_default(),
        None => {
            errs.push(c.err(root.pos, "name", "a scenario needs a name"));
            String::new()
        }
    };
    let description = match root.get("description") {
        Some(n) => keep(&mut errs, c.string(n, "description")).unwrap_or_default(),
        None => String::new(),
    };
    let mut lab = None;
    let mut hooks = Vec::new();
    // Hook names as written, for the steps' checks even when a hook's definition is wrong.
    let mut hook_names = Vec::new();
    let mut lab_written = false;
    if let Some(setup) = root.get("setup") {
        keep(&mut errs, c.only_keys(setup, "setup", &["lab", "hooks"]));
        if let Some(l) = setup.get("lab") {
            lab_written = true;
            lab = keep(&mut errs, parse_lab(&c, l));
        }
        if let Some(h) = setup.get("hooks") {
            if let Some(entries) = keep(&mut errs, c.map(h, "setup.hooks")) {
                for (name, p, def) in entries {
                    hook_names.push(name.clone());
                    if let Some(hook) = keep(&mut errs, parse_hook(&c, name, *p, def)) {
                        hooks.push(hook);
                    }
                }
            }
            if !lab_written {
                errs.push(c.err(
                    h.pos,
                    "setup.hooks",
                    "hooks need setup.lab (they report to its deployments)",
                ));
            }
        }
    }
    let mut steps = Vec::new();
    match root.get("steps") {
        None => errs.push(c.err(root.pos, "steps", "a scenario needs steps")),
        Some(steps_node) => match steps_node.items() {
            None => errs.push(c.err(
                steps_node.pos,
                "steps",
                format!("expected a list of steps, found {}", steps_node.describe()),
            )),
            Some([]) => errs.push(c.err(steps_node.pos, "steps", "a scenario needs at least one step")),
            Some(items) => {
                for (i, n) in items.iter().enumerate() {
                    let field = format!("steps[{}]", i + 1);
                    if let Some(kind) = keep(&mut errs, parse_step(&c, n, &field, lab_written, &hook_names)) {
                        steps.push(Step {
                            // A block mapping's own marker can sit past its first key; the first
                            // key is where the step is written.
                            pos: n.entries().and_then(|e| e.first()).map_or(n.pos, |(_, p, _)| *p),
                            index: i + 1,
                            kind,
                        });
                    }
                }
                errs.extend(check::variables(file, items, lab_written, &hook_names));
            }
        },
    }
    errs.extend(c.extra.into_inner());
    if !errs.is_empty() {
        // File order; one mistake found twice (by two checks) is said once.
        errs.sort_by_key(|e| (e.pos.line, e.pos.col));
        errs.dedup();
        return Err(Errors(errs));
    }
    Ok(Scenario {
        file: file.to_owned(),
        name,
        description,
        lab,
        hooks,
        steps,
    })
}

/// A result's value, its error kept in `errs`.
fn keep<T>(errs: &mut Vec<ScenarioError>, r: Result<T, ScenarioError>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errs.push(e);
            None
        }
    }
}

fn parse_hook(c: &Ctx, name: &str, p: Pos, def: &Node) -> Result<HookDef, ScenarioError> {
    let field = format!("setup.hooks.{name}");
    if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_".contains(ch)) {
        return Err(c.err(
            p,
            &field,
            "a hook's name is a Lambda function name: letters, digits, - and _",
        ));
    }
    c.only_keys(def, &field, &["reports", "runtime"])?;
    let reports = match def.get("reports") {
        None => HookReport::Succeeded,
        Some(n) => match c.string(n, &format!("{field}.reports"))?.as_str() {
            "Succeeded" => HookReport::Succeeded,
            "Failed" => HookReport::Failed,
            "never" => HookReport::Never,
            "testTraffic" => HookReport::TestTraffic,
            other => {
                return Err(c.err(
                    n.pos,
                    &format!("{field}.reports"),
                    format!("'{other}' is not one of: Succeeded, Failed, never, testTraffic"),
                ))
            }
        },
    };
    let runtime = match def.get("runtime") {
        None => "nodejs20.x".to_owned(),
        Some(n) => {
            let r = c.string(n, &format!("{field}.runtime"))?;
            if !HOOK_RUNTIMES.contains(&r.as_str()) {
                return Err(c.err(
                    n.pos,
                    &format!("{field}.runtime"),
                    format!("'{r}': hooks run on one of {}", HOOK_RUNTIMES.join(", ")),
                ));
            }
            r
        }
    };
    Ok(HookDef {
        name: name.to_owned(),
        reports,
        runtime,
        pos: p,
    })
}

fn parse_lab(c: &Ctx, l: &Node) -> Result<LabSetup, ScenarioError> {
    let mut setup = LabSetup {
        deployment_config: "CodeDeployDefault.ECSAllAtOnce".into(),
        termination_wait_minutes: 5,
        ready_wait_minutes: None,
        auto_rollback: vec!["DEPLOYMENT_FAILURE".into()],
        alarms: Vec::new(),
        deployment_configs: Vec::new(),
    };
    if l.is_null() {
        return Ok(setup);
    }
    c.only_keys(
        l,
        "setup.lab",
        &[
            "deploymentConfig",
            "terminationWaitMinutes",
            "readyWaitMinutes",
            "autoRollback",
            "alarms",
            "deploymentConfigs",
        ],
    )?;
    if let Some(n) = l.get("deploymentConfig") {
        setup.deployment_config = c.string(n, "setup.lab.deploymentConfig")?;
    }
    if let Some(n) = l.get("terminationWaitMinutes") {
        setup.termination_wait_minutes = c.int(n, "setup.lab.terminationWaitMinutes", 0, 2880)?;
    }
    if let Some(n) = l.get("readyWaitMinutes") {
        setup.ready_wait_minutes = Some(c.int(n, "setup.lab.readyWaitMinutes", 0, 2880)?);
    }
    if let Some(n) = l.get("autoRollback") {
        setup.auto_rollback = if n.is_null() {
            Vec::new()
        } else {
            c.strings(n, "setup.lab.autoRollback")?
        };
        for (i, e) in setup.auto_rollback.iter().enumerate() {
            if ![
                "DEPLOYMENT_FAILURE",
                "DEPLOYMENT_STOP_ON_ALARM",
                "DEPLOYMENT_STOP_ON_REQUEST",
            ]
            .contains(&e.as_str())
            {
                let pos = n.items().and_then(|v| v.get(i)).map_or(n.pos, |x| x.pos);
                return Err(c.err(
                    pos,
                    "setup.lab.autoRollback",
                    format!(
                        "'{e}' is not one of DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST"
                    ),
                ));
            }
        }
    }
    if let Some(n) = l.get("alarms") {
        setup.alarms = c.strings(n, "setup.lab.alarms")?;
    }
    if let Some(n) = l.get("deploymentConfigs") {
        let items = n.items().ok_or_else(|| {
            c.err(
                n.pos,
                "setup.lab.deploymentConfigs",
                "expected a list of CreateDeploymentConfig inputs",
            )
        })?;
        for (i, item) in items.iter().enumerate() {
            let f = format!("setup.lab.deploymentConfigs[{}]", i + 1);
            c.map(item, &f)?;
            c.extra.borrow_mut().extend(check::call_input(
                c.file,
                Service::CodeDeploy,
                "CreateDeploymentConfig",
                Some(item),
                &f,
                item.pos,
                true,
            ));
            setup.deployment_configs.push(item.to_json());
        }
    }
    Ok(setup)
}

const STEP_KINDS: [&str; 8] = [
    "call",
    "expect",
    "wait",
    "advance",
    "deploy",
    "fault",
    "clearFaults",
    "note",
];

fn parse_step(c: &Ctx, n: &Node, field: &str, has_lab: bool, hooks: &[String]) -> Result<StepKind, ScenarioError> {
    let entries = c.map(n, field)?;
    let kind = entries
        .iter()
        .find(|(k, _, _)| STEP_KINDS.contains(&k.as_str()))
        .map(|(k, p, v)| (k.as_str(), *p, v));
    let Some((kind, kpos, v)) = kind else {
        let (k, p) = entries
            .first()
            .map_or((String::new(), n.pos), |(k, p, _)| (k.clone(), *p));
        return Err(c.err(
            p,
            &join(field, &k),
            format!(
                "a step starts with one of: {} (found {})",
                STEP_KINDS.join(", "),
                if k.is_empty() {
                    "nothing".into()
                } else {
                    format!("'{k}'")
                }
            ),
        ));
    };
    let f = join(field, kind);
    let need_lab = |what: &str| -> Result<(), ScenarioError> {
        if has_lab {
            Ok(())
        } else {
            Err(c.err(kpos, &f, format!("{what} needs setup.lab")))
        }
    };
    match kind {
        "call" => {
            c.only_keys(n, field, &["call", "input", "expect", "save", "error"])?;
            let probe = parse_call(c, v, n.get("input"), &f, &join(&f, "input"), n.get("error").is_none())?;
            let expect = match n.get("expect") {
                Some(e) => parse_expectations(c, e, &join(field, "expect"))?,
                None => Vec::new(),
            };
            let save = match n.get("save") {
                Some(s) => parse_save(c, s, &join(field, "save"))?,
                None => Vec::new(),
            };
            let error = match n.get("error") {
                Some(e) => Some(c.string(e, &join(field, "error"))?),
                None => None,
            };
            if error.is_some() && (!expect.is_empty() || !save.is_empty()) {
                return Err(c.err(
                    kpos,
                    field,
                    "a call that expects an error has no output to expect or save",
                ));
            }
            Ok(StepKind::Call {
                probe,
                expect,
                save,
                error,
            })
        }
        "expect" | "wait" => {
            c.only_keys(n, field, &[kind])?;
            let allowed: &[&str] = if kind == "wait" {
                &[
                    "call",
                    "input",
                    "deployment",
                    "traffic",
                    "taskSets",
                    "lifecycle",
                    "targets",
                    "that",
                    "every",
                    "timeout",
                ]
            } else {
                &[
                    "call",
                    "input",
                    "deployment",
                    "traffic",
                    "taskSets",
                    "lifecycle",
                    "targets",
                    "that",
                ]
            };
            c.only_keys(v, &f, allowed)?;
            let probe = parse_probe(c, v, &f, has_lab)?;
            let that = v
                .get("that")
                .ok_or_else(|| c.err(v.pos, &join(&f, "that"), "say what to expect: that: {path: value, ...}"))?;
            let expect = parse_expectations(c, that, &join(&f, "that"))?;
            if kind == "expect" {
                return Ok(StepKind::Expect { probe, expect });
            }
            let every = match v.get("every") {
                Some(e) => c.duration(e, &join(&f, "every"))?,
                None => 5.0,
            };
            let timeout = match v.get("timeout") {
                Some(e) => c.duration(e, &join(&f, "timeout"))?,
                None => 3600.0,
            };
            if timeout / every > 100_000.0 {
                let pos = v.get("every").map_or(v.pos, |n| n.pos);
                return Err(c.err(
                    pos,
                    &join(&f, "every"),
                    format!(
                        "looking every {} for up to {} is more than 100000 looks; look less often",
                        report::duration_text(every),
                        report::duration_text(timeout)
                    ),
                ));
            }
            Ok(StepKind::Wait {
                probe,
                expect,
                every,
                timeout,
            })
        }
        "advance" => {
            c.only_keys(n, field, &["advance"])?;
            Ok(StepKind::Advance(c.duration(v, &f)?))
        }
        "deploy" => {
            need_lab("deploy")?;
            c.only_keys(n, field, &["deploy", "save", "error"])?;
            let mut d = DeploySpec {
                image: None,
                task_definition: None,
                hooks: Vec::new(),
                deployment_config: None,
                description: None,
                save: "deployment".into(),
                error: None,
            };
            if !v.is_null() {
                c.only_keys(
                    v,
                    &f,
                    &["image", "taskDefinition", "hooks", "deploymentConfig", "description"],
                )?;
                if let Some(x) = v.get("image") {
                    d.image = Some(c.string(x, &join(&f, "image"))?);
                }
                if let Some(x) = v.get("taskDefinition") {
                    d.task_definition = Some(c.string(x, &join(&f, "taskDefinition"))?);
                    if d.image.is_some() {
                        return Err(c.err(
                            x.pos,
                            &join(&f, "taskDefinition"),
                            "give image or taskDefinition, not both",
                        ));
                    }
                }
                if let Some(x) = v.get("deploymentConfig") {
                    d.deployment_config = Some(c.string(x, &join(&f, "deploymentConfig"))?);
                }
                if let Some(x) = v.get("description") {
                    d.description = Some(c.string(x, &join(&f, "description"))?);
                }
                if let Some(h) = v.get("hooks") {
                    let hf = join(&f, "hooks");
                    for (event, p, fun) in c.map(h, &hf)? {
                        if !LIFECYCLE_EVENTS.contains(&event.as_str()) {
                            return Err(c.err(
                                *p,
                                &join(&hf, event),
                                format!(
                                    "not an ECS lifecycle hook; expected one of: {}",
                                    LIFECYCLE_EVENTS.join(", ")
                                ),
                            ));
                        }
                        let fun_name = c.string(fun, &join(&hf, event))?;
                        if !hooks.contains(&fun_name) {
                            return Err(c.err(
                                fun.pos,
                                &join(&hf, event),
                                format!("no hook '{fun_name}' in setup.hooks"),
                            ));
                        }
                        d.hooks.push((event.clone(), fun_name));
                    }
                }
            }
            if let Some(s) = n.get("save") {
                d.save = c.string(s, &join(field, "save"))?;
                check_var_name(c, s, &join(field, "save"), &d.save)?;
            }
            if let Some(e) = n.get("error") {
                d.error = Some(c.string(e, &join(field, "error"))?);
            }
            Ok(StepKind::Deploy(d))
        }
        "fault" => {
            c.only_keys(n, field, &["fault"])?;
            c.only_keys(v, &f, &["targetHealth", "taskDefinition"])?;
            match v.get("targetHealth").map(|x| (x, x.text())) {
                Some((_, Some("unhealthy"))) => {}
                Some((x, _)) => {
                    return Err(c.err(
                        x.pos,
                        &join(&f, "targetHealth"),
                        "the one fault is targetHealth: unhealthy",
                    ))
                }
                None => return Err(c.err(v.pos, &join(&f, "targetHealth"), "targetHealth: unhealthy is required")),
            }
            match v.get("taskDefinition") {
                Some(x) => {
                    c.string(x, &join(&f, "taskDefinition"))?;
                }
                None => {
                    return Err(c.err(
                        v.pos,
                        &join(&f, "taskDefinition"),
                        "taskDefinition (family:revision or ARN) is required",
                    ))
                }
            }
            Ok(StepKind::Fault(v.to_json()))
        }
        "clearFaults" => {
            c.only_keys(n, field, &["clearFaults"])?;
            if v.to_json() != Value::Bool(true) {
                return Err(c.err(v.pos, &f, "write clearFaults: true"));
            }
            Ok(StepKind::ClearFaults)
        }
        "note" => {
            c.only_keys(n, field, &["note"])?;
            Ok(StepKind::Note(c.string(v, &f)?))
        }
        _ => Err(c.err(kpos, &f, "unknown step")),
    }
}

fn check_var_name(c: &Ctx, n: &Node, field: &str, name: &str) -> Result<(), ScenarioError> {
    if name.is_empty()
        || name.starts_with("lab.")
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        return Err(c.err(
            n.pos,
            field,
            format!("'{name}' is not a variable name (letters, digits, _ and -; lab.* is reserved)"),
        ));
    }
    Ok(())
}

/// `service.Operation` at `v` and its `input` (checked against the operation's model; its
/// mistakes go to `c.extra`, all of them). `values: false` checks member names only.
fn parse_call(
    c: &Ctx,
    v: &Node,
    input: Option<&Node>,
    f: &str,
    input_field: &str,
    values: bool,
) -> Result<Probe, ScenarioError> {
    let text = c.string(v, f)?;
    let Some((svc, op)) = text.split_once('.') else {
        return Err(c.err(
            v.pos,
            f,
            format!("'{text}': write service.Operation, e.g. ecs.DescribeServices"),
        ));
    };
    let Some(service) = Service::ALL.iter().copied().find(|s| s.name() == svc) else {
        return Err(c.err(
            v.pos,
            f,
            format!(
                "'{svc}' is not a service cutover emulates; one of: {}",
                Service::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let model = service.model();
    if model.operation(op).is_none() {
        return Err(c.err(v.pos, f, format!("{svc} has no operation '{op}'")));
    }
    if crate::dispatch::operation(service, op).is_none() {
        return Err(c.err(
            v.pos,
            f,
            format!("{svc}.{op} is in the AWS model but cutover does not implement it"),
        ));
    }
    let written = input.filter(|n| !n.is_null());
    let input = match input {
        None => Value::Object(Default::default()),
        Some(n) if n.is_null() => Value::Object(Default::default()),
        Some(n) => {
            c.map(n, input_field)?;
            n.to_json()
        }
    };
    c.extra.borrow_mut().extend(check::call_input(
        c.file,
        service,
        op,
        written,
        input_field,
        v.pos,
        values,
    ));
    Ok(Probe::Call {
        service,
        operation: op.to_owned(),
        input,
    })
}

fn parse_probe(c: &Ctx, v: &Node, f: &str, has_lab: bool) -> Result<Probe, ScenarioError> {
    let kinds = ["call", "deployment", "traffic", "taskSets", "lifecycle", "targets"];
    let present: Vec<&str> = kinds.iter().copied().filter(|k| v.get(k).is_some()).collect();
    if present.len() != 1 {
        return Err(c.err(
            v.pos,
            f,
            format!(
                "say what to look at with exactly one of: {} (found {})",
                kinds.join(", "),
                if present.is_empty() {
                    "none".into()
                } else {
                    present.join(", ")
                }
            ),
        ));
    }
    let k = present[0];
    let n = v.get(k).unwrap_or(v);
    let kf = join(f, k);
    if k != "call" && !has_lab {
        return Err(c.err(
            n.pos,
            &kf,
            format!("{k} looks at the lab's resources and needs setup.lab"),
        ));
    }
    if k != "call" && v.get("input").is_some() {
        return Err(c.err(v.pos, &join(f, "input"), "input goes with call"));
    }
    Ok(match k {
        "call" => parse_call(c, n, v.get("input"), &kf, &join(f, "input"), true)?,
        "deployment" => Probe::Deployment(c.string(n, &kf)?),
        "lifecycle" => Probe::Lifecycle(c.string(n, &kf)?),
        "traffic" => {
            let which = c.string(n, &kf)?;
            if which != "production" && which != "test" {
                return Err(c.err(n.pos, &kf, format!("'{which}': traffic is production or test")));
            }
            Probe::Traffic(which)
        }
        _ => {
            if !n.is_null() && n.text() != Some("threads") {
                return Err(c.err(
                    n.pos,
                    &kf,
                    format!("{k} looks at the lab's service: write {k}: threads"),
                ));
            }
            if k == "taskSets" {
                Probe::TaskSets
            } else {
                Probe::Targets
            }
        }
    })
}

fn parse_save(c: &Ctx, n: &Node, field: &str) -> Result<Vec<(String, String)>, ScenarioError> {
    let mut out = Vec::new();
    for (name, p, path) in c.map(n, field)? {
        check_var_name(
            c,
            &Node {
                kind: Kind::Scalar(name.clone(), true),
                pos: *p,
            },
            &join(field, name),
            name,
        )?;
        out.push((name.clone(), c.string(path, &join(field, name))?));
    }
    Ok(out)
}

fn parse_expectations(c: &Ctx, n: &Node, field: &str) -> Result<Vec<Expectation>, ScenarioError> {
    let mut out = Vec::new();
    let mistakes_before = c.extra.borrow().len();
    for (path, p, m) in c.map(n, field)? {
        let mf = join(field, path);
        // `{atLeast: 10, atMost: 90}`: a mapping of matcher words only is several matchers, all
        // of which must hold. A mapping with a word that looks like a matcher (`containz`,
        // `oneOf`) is a mistake; any other mapping is a value to equal.
        let words: Vec<&(String, Pos, Node)> = match &m.kind {
            Kind::Map(entries) if !entries.is_empty() && entries.iter().all(|(w, _, _)| is_matcher_word(w)) => {
                entries.iter().collect()
            }
            Kind::Map(entries) if !entries.is_empty() && looks_like_matchers(entries) => {
                for (w, wp, _) in entries.iter().filter(|(w, _, _)| !is_matcher_word(w)) {
                    let hint = check::suggest(w, MATCHERS)
                        .map(|s| format!("did you mean {s}? "))
                        .unwrap_or_default();
                    c.extra.borrow_mut().push(c.err(
                        *wp,
                        &join(&mf, w),
                        format!(
                            "unknown matcher '{w}'; {hint}the matchers are: {} (to expect a mapping, write {{equals: {{...}}}})",
                            MATCHERS.join(", ")
                        ),
                    ));
                }
                continue;
            }
            _ => {
                out.push(Expectation {
                    path: path.clone(),
                    matcher: Matcher::Equals(m.to_json()),
                    pos: *p,
                });
                continue;
            }
        };
        for (word, wp, arg) in words {
            let af = join(&mf, word);
            let matcher = match word.as_str() {
                "equals" => Ok(Matcher::Equals(arg.to_json())),
                "in" => match arg.items() {
                    Some(items) => Ok(Matcher::In(items.iter().map(Node::to_json).collect())),
                    None => Err(c.err(arg.pos, &af, "expected a list of values")),
                },
                "contains" => Ok(Matcher::Contains(arg.to_json())),
                "matches" => c.string(arg, &af).and_then(|re| {
                    // A pattern with a variable in it is checked when it is used.
                    match (re.contains("${"), regex::Regex::new(&re)) {
                        (false, Err(e)) => Err(c.err(arg.pos, &af, format!("not a regular expression: {e}"))),
                        _ => Ok(Matcher::Matches(re)),
                    }
                }),
                "exists" => match arg.to_json() {
                    Value::Bool(b) => Ok(Matcher::Exists(b)),
                    _ => Err(c.err(arg.pos, &af, "expected true or false")),
                },
                "length" => c.int(arg, &af, 0, 1_000_000).map(|n| Matcher::Length(n as usize)),
                "atLeast" | "atMost" => match arg.to_json().as_f64() {
                    Some(x) if word == "atLeast" => Ok(Matcher::AtLeast(x)),
                    Some(x) => Ok(Matcher::AtMost(x)),
                    None => Err(c.err(*wp, &af, "expected a number")),
                },
                _ => Err(c.err(*wp, &af, "unknown matcher")),
            };
            match matcher {
                Ok(matcher) => out.push(Expectation {
                    path: path.clone(),
                    matcher,
                    pos: *p,
                }),
                Err(e) => c.extra.borrow_mut().push(e),
            }
        }
    }
    if out.is_empty() && c.extra.borrow().len() == mistakes_before {
        return Err(c.err(n.pos, field, "expect at least one thing"));
    }
    Ok(out)
}

/// The matcher words, as the errors name them.
const MATCHERS: [&str; 8] = [
    "equals", "in", "contains", "matches", "exists", "length", "atLeast", "atMost",
];

/// Whether a mapping under a path was meant as matchers: one of its words is a matcher, or
/// close to one (`containz`), or it is one lowerCamelCase word of the kind matchers are
/// (`oneOf`, `greaterThan`). A value to equal that looks like that is written `{equals: ...}`.
fn looks_like_matchers(entries: &[(String, Pos, Node)]) -> bool {
    entries
        .iter()
        .any(|(w, _, _)| is_matcher_word(w) || check::suggest(w, MATCHERS).is_some())
        || matches!(entries, [(w, _, _)] if w.chars().next().is_some_and(|ch| ch.is_ascii_lowercase())
            && w.chars().all(|ch| ch.is_ascii_alphanumeric())
            && w.chars().any(|ch| ch.is_ascii_uppercase()))
}

fn is_matcher_word(w: &str) -> bool {
    matches!(
        w,
        "equals" | "in" | "contains" | "matches" | "exists" | "length" | "atLeast" | "atMost"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ScenarioError {
        parse("f.yaml", text).unwrap_err().first().clone()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Some(90.0));
        assert_eq!(parse_duration("90s"), Some(90.0));
        assert_eq!(parse_duration("5m"), Some(300.0));
        assert_eq!(parse_duration("1h30m"), Some(5400.0));
        assert_eq!(parse_duration("1h 30m 10s"), Some(5410.0));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5m3"), None);
    }

    #[test]
    fn every_builtin_scenario_parses() {
        for (name, text) in builtin() {
            let s = parse(name, text).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.steps.is_empty(), "{name}");
        }
    }

    #[test]
    fn a_full_scenario() {
        let s = parse(
            "f.yaml",
            "name: x\nsetup:\n  lab: {deploymentConfig: CodeDeployDefault.ECSLinear10PercentEvery1Minutes}\n  hooks:\n    Check: {reports: Failed}\nsteps:\n  - deploy: {image: 'threads:v2', hooks: {AfterAllowTestTraffic: Check}}\n  - wait: {deployment: '${deployment}', that: {status: Failed}, timeout: 30m}\n  - expect: {traffic: production, that: {threads-tg: 100}}\n  - call: ecs.ListClusters\n    save: {arns: clusterArns}\n    expect: {clusterArns: {length: 1}}\n  - advance: 90s\n",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 5);
        assert_eq!(s.hooks[0].reports, HookReport::Failed);
        assert_eq!(s.steps[1].pos.line, 8);
        match &s.steps[1].kind {
            StepKind::Wait { timeout, every, .. } => assert_eq!((*timeout, *every), (1800.0, 5.0)),
            k => panic!("{k:?}"),
        }
        match &s.steps[4].kind {
            StepKind::Advance(x) => assert_eq!(*x, 90.0),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn mistakes_name_file_line_and_field() {
        let e = err("name: x\nsteps:\n  - advance: soon\n");
        assert_eq!(e.to_string().split(": ").next(), Some("f.yaml:3:14"), "{e}");
        assert_eq!(e.field, "steps[1].advance");
        assert!(e.message.contains("duration"), "{e}");

        let e = err("name: x\nsteps:\n  - call: ecs.DescribeServises\n");
        assert_eq!((e.pos.line, e.field.as_str()), (3, "steps[1].call"));
        assert!(e.message.contains("no operation 'DescribeServises'"), "{e}");

        let e = err("name: x\nsteps:\n  - advance: 5\n  - wiat: {deployment: x}\n");
        assert_eq!((e.pos.line, e.field.as_str()), (4, "steps[2].wiat"));

        let e = err("name: x\nsteps:\n  - expect: {call: ecs.ListClusters, that: {clusterArns: {length: many}}}\n");
        assert_eq!(e.field, "steps[1].expect.that.clusterArns.length");

        let e = err("name: x\nsetup:\n  lab: {}\n  hooks: {H: {reports: Maybe}}\nsteps: [{advance: 1}]\n");
        assert_eq!((e.pos.line, e.field.as_str()), (4, "setup.hooks.H.reports"));

        let e = err("name: x\nsetup: {lab: {}}\nsteps:\n  - deploy: {hooks: {AfterAllowTestTraffic: Nope}}\n");
        assert!(e.message.contains("no hook 'Nope'"), "{e}");

        let e = err("name: x\nsteps:\n  - deploy: {}\n");
        assert!(e.message.contains("needs setup.lab"), "{e}");

        let e = err("name: x\nsteps: [{advance: 1}]\nextra: 1\n");
        assert_eq!((e.pos.line, e.field.as_str()), (3, "extra"));

        let e = err("name: x\nsteps:\n  - advance: [1\n");
        assert!(e.message.starts_with("not valid YAML"), "{e}");
        assert!(e.pos.line >= 3, "{e}");

        let e = err("steps: []\n");
        assert_eq!(e.field, "name");
    }
}
