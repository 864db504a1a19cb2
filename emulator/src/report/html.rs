//! The timeline page: one self-contained HTML file (inline CSS, an inline SVG drawn here so it shows
//! with scripts off, a few lines of script for tooltips and live reloading, nothing fetched from
//! elsewhere) picturing the entries of `GET /_emulator/events`.
//!
//! What it draws, all against simulated time relative to the first entry:
//! - per listener or rule whose forward weights changed (elbv2 entries with `Arn` and
//!   `Weights[{TargetGroupArn, Weight}]`), the share of traffic per target group as stacked steps,
//!   the original target group of a CodeDeploy deployment in blue and the replacement in green;
//! - per CodeDeploy deployment, a bar for the deployment and one per lifecycle event (from
//!   `InProgress` to `Succeeded`/`Failed`), hook invocations and answers, and vertical markers for
//!   its start, its end (Succeeded, Failed, Stopped) and rollbacks;
//! - per ECS task set, a bar from creation to deletion with its steady state and PRIMARY marked;
//! - a table of every entry, which the marks link to.
//!
//! The picture is drawn from the typed entries (`timeline::Entry`, read back from their JSON form
//! with `timeline::Event::from_json`), never from the words of a message; entries of kinds this
//! version does not know are listed in the table only. Every string from the timeline is escaped.

use crate::protocol::timestamp::iso8601;
use crate::timeline::{self, DeploymentStatus, Event, HookStatus, LifecycleStatus, TaskSetChange, TaskSetState};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How the page behaves beyond the picture.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The events URL (`GET /_emulator/events`, relative to the page or absolute) the page polls
    /// with `?since=<last seq>` every two seconds, reloading itself when something new happened.
    /// Without scripts, a `<noscript>` refresh reloads it every ten seconds. `None`: a static page.
    pub poll_events: Option<String>,
}

/// The page for `events` (objects as `GET /_emulator/events` answers them: `seq`, `time` in epoch
/// seconds, `source`, `message` and data fields), titled `title`. A static page.
pub fn timeline_html(title: &str, events: &[Value]) -> String {
    timeline_html_with(title, events, &Options::default())
}

/// As [`timeline_html`], with [`Options`].
pub fn timeline_html_with(title: &str, events: &[Value], opts: &Options) -> String {
    let entries: Vec<Entry> = events.iter().filter_map(Entry::parse).collect();
    let model = Model::build(&entries);
    let mut out = String::with_capacity(16_384 + entries.len() * 400);
    head(&mut out, title, opts);
    let last_seq = entries.iter().map(|e| e.seq).max().unwrap_or(0);
    let poll = opts.poll_events.as_deref().map(esc).unwrap_or_default();
    out.push_str(&format!(
        "<body data-last-seq=\"{last_seq}\" data-poll=\"{poll}\">\n<header>\n<h1>{}</h1>\n",
        esc(title)
    ));
    summary(&mut out, &entries, &model);
    if opts.poll_events.is_some() {
        out.push_str(
            "<p class=\"live\"><label><input type=\"checkbox\" id=\"live\" checked> live: reload when the timeline \
             grows</label></p>\n",
        );
    }
    out.push_str("</header>\n");
    legend(&mut out, &model);
    out.push_str("<div class=\"chart-box\">\n");
    chart(&mut out, &model);
    out.push_str("</div>\n<div id=\"tip\" hidden></div>\n");
    table(&mut out, &entries, &model);
    out.push_str(SCRIPT);
    out.push_str("</body>\n</html>\n");
    out
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// `+H:MM:SS` (with milliseconds when there are any) for `secs` after the first entry.
pub fn relative(secs: f64) -> String {
    let sign = if secs < 0.0 { "-" } else { "+" };
    let ms_total = (secs.abs() * 1000.0).round() as i64;
    let (h, m, s, ms) = (
        ms_total / 3_600_000,
        (ms_total / 60_000) % 60,
        (ms_total / 1000) % 60,
        ms_total % 1000,
    );
    if ms == 0 {
        format!("{sign}{h}:{m:02}:{s:02}")
    } else {
        format!("{sign}{h}:{m:02}:{s:02}.{ms:03}")
    }
}

/// The name of a target group from its ARN (`...:targetgroup/NAME/ID`); anything else unchanged.
pub fn target_group_name(arn: &str) -> &str {
    match arn.split_once(":targetgroup/") {
        Some((_, rest)) => rest.split('/').next().unwrap_or(rest),
        None => arn,
    }
}

// ---- the entries ---------------------------------------------------------------------------------

/// One element of the events, as shown: the source and message as given, and the typed entry the
/// picture is drawn from.
struct Entry {
    seq: u64,
    time: Option<f64>,
    source: String,
    message: String,
    /// The fields besides seq, time, source, message and kind.
    data: Map<String, Value>,
    kind: timeline::Entry,
}

impl Entry {
    fn parse(v: &Value) -> Option<Entry> {
        let fields = v.as_object()?;
        let ev = Event::from_json(v)?;
        let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        Some(Entry {
            seq: ev.seq,
            time: Some(ev.time).filter(|t| t.is_finite()),
            source: text("source"),
            message: text("message"),
            data: fields
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "seq" | "time" | "source" | "message" | "kind"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            kind: ev.entry,
        })
    }

    /// The data fields, as compact JSON.
    fn data_json(&self) -> String {
        if self.data.is_empty() {
            String::new()
        } else {
            Value::Object(self.data.clone()).to_string()
        }
    }
}

// ---- what the entries say ----------------------------------------------------------------------

/// One step of a CodeDeploy deployment.
#[derive(Debug, PartialEq)]
enum Step {
    Created,
    Started {
        original_tg: Option<String>,
        replacement_tg: Option<String>,
        original_task_set: Option<String>,
        production: Vec<String>,
        test: Vec<String>,
    },
    RollingBack,
    Lifecycle {
        event: String,
        status: LifecycleStatus,
    },
    Hook {
        event: String,
        status: HookStatus,
    },
    TaskSet {
        id: Option<String>,
        state: TaskSetState,
        role: Option<String>,
    },
    End {
        status: DeploymentStatus,
    },
    RollbackCreated {
        rollback_id: String,
    },
    Other,
}

fn codedeploy_step(e: &timeline::Entry) -> Step {
    use timeline::Entry as T;
    match e {
        T::DeploymentCreated { .. } => Step::Created,
        T::DeploymentStarted {
            original_target_group,
            replacement_target_group,
            original_task_set,
            production_listeners,
            test_listeners,
            ..
        } => Step::Started {
            original_tg: Some(original_target_group.clone()),
            replacement_tg: Some(replacement_target_group.clone()),
            original_task_set: Some(original_task_set.clone()),
            production: production_listeners.clone(),
            test: test_listeners.clone(),
        },
        T::DeploymentRollingBack { .. } => Step::RollingBack,
        T::DeploymentEnded { status, .. } => Step::End { status: *status },
        T::LifecycleEvent { event, status, .. } => Step::Lifecycle {
            event: event.clone(),
            status: *status,
        },
        T::Hook { event, status, .. } => Step::Hook {
            event: event.clone(),
            status: *status,
        },
        T::DeploymentTaskSet {
            task_set, state, role, ..
        } => Step::TaskSet {
            id: task_set.clone(),
            state: *state,
            role: Some(role.as_str().to_owned()),
        },
        T::RollbackCreated { rollback_id, .. } => Step::RollbackCreated {
            rollback_id: rollback_id.clone(),
        },
        _ => Step::Other,
    }
}

// ---- the model -------------------------------------------------------------------------------------

const BLUE: &str = "#2f6fde";
const GREEN: &str = "#1e9e5a";
const PALETTE: [&str; 8] = [
    BLUE, GREEN, "#e8871e", "#8e5bd1", "#d6478f", "#16a2b8", "#8c6d3f", "#6b7280",
];
const OK_COLOR: &str = "#1e9e5a";
const FAIL_COLOR: &str = "#d64545";
const STOP_COLOR: &str = "#e8871e";
const RUN_COLOR: &str = "#7d93b8";
const ROLLBACK_COLOR: &str = "#8e5bd1";
const START_COLOR: &str = "#3b4656";

fn deployment_color(status: DeploymentStatus) -> &'static str {
    match status {
        DeploymentStatus::Succeeded => OK_COLOR,
        DeploymentStatus::Failed => FAIL_COLOR,
        DeploymentStatus::Stopped => STOP_COLOR,
        _ => RUN_COLOR,
    }
}

fn lifecycle_color(status: LifecycleStatus) -> &'static str {
    match status {
        LifecycleStatus::Succeeded => OK_COLOR,
        LifecycleStatus::Failed => FAIL_COLOR,
        _ => RUN_COLOR,
    }
}

#[derive(Debug, Clone, Copy)]
struct At {
    t: f64,
    seq: u64,
}

struct WeightStep {
    at: At,
    /// (target group name, weight)
    weights: Vec<(String, f64)>,
}

struct Series {
    arn: String,
    steps: Vec<WeightStep>,
}

struct Bar {
    name: String,
    start: At,
    end: Option<At>,
    status: LifecycleStatus,
}

struct HookMark {
    at: At,
    event: String,
    status: HookStatus,
    message: String,
}

#[derive(Default)]
struct Deployment {
    id: String,
    first: Option<At>,
    started: Option<At>,
    end: Option<(At, DeploymentStatus)>,
    /// What the entry that ended it said (the error code and message of a failure).
    end_message: String,
    rollback_of: Option<String>,
    events: Vec<Bar>,
    hooks: Vec<HookMark>,
    /// Other steps, drawn as ticks on the deployment's bar.
    notes: Vec<(At, String)>,
}

#[derive(Default)]
struct TaskSetRow {
    id: String,
    service: String,
    role: Option<String>,
    task_definition: Option<String>,
    created: Option<At>,
    steady: Vec<(At, String)>,
    primary: Vec<(At, String)>,
    deleted: Option<(At, String)>,
}

struct Marker {
    at: At,
    color: &'static str,
    label: String,
    message: String,
}

struct Model {
    t0: f64,
    span: f64,
    series: Vec<Series>,
    deployments: Vec<Deployment>,
    task_sets: Vec<TaskSetRow>,
    markers: Vec<Marker>,
    /// Target group name, color, role ("original"/"replacement") in legend order.
    groups: Vec<(String, &'static str, Option<&'static str>)>,
    /// Listener ARN to "production"/"test".
    listener_roles: HashMap<String, &'static str>,
}

impl Model {
    fn build(entries: &[Entry]) -> Model {
        let times: Vec<f64> = entries.iter().filter_map(|e| e.time).collect();
        let t0 = times.iter().copied().fold(f64::INFINITY, f64::min);
        let t1 = times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (t0, span) = if t0.is_finite() {
            (t0, (t1 - t0).max(1.0))
        } else {
            (0.0, 1.0)
        };
        let mut m = Model {
            t0,
            span,
            series: Vec::new(),
            deployments: Vec::new(),
            task_sets: Vec::new(),
            markers: Vec::new(),
            groups: Vec::new(),
            listener_roles: HashMap::new(),
        };
        let mut roles: Vec<(String, &'static str)> = Vec::new();
        for e in entries {
            let Some(t) = e.time else { continue };
            let at = At { t, seq: e.seq };
            if let timeline::Entry::TrafficWeights { arn, weights } = &e.kind {
                m.weights_entry(arn, weights, at);
            } else if let Some(id) = e.kind.deployment_id() {
                m.codedeploy_entry(e, id, at, &mut roles);
            } else {
                m.ecs_entry(e, at);
            }
        }
        // Colors: the original target group blue, the replacement green, the rest from the palette
        // in order of appearance.
        let mut names: Vec<String> = roles.iter().map(|(n, _)| n.clone()).collect();
        for s in &m.series {
            for st in &s.steps {
                for (n, _) in &st.weights {
                    if !names.contains(n) {
                        names.push(n.clone());
                    }
                }
            }
        }
        let rank = |arn: &str| match listener_label(arn, &m.listener_roles).0.split(' ').next() {
            Some("production") => 0,
            Some("test") => 1,
            _ => 2,
        };
        m.series.sort_by_key(|s| rank(&s.arn));
        let mut used: Vec<&'static str> = Vec::new();
        for n in names {
            let role = roles.iter().find(|(r, _)| *r == n).map(|(_, role)| *role);
            let preferred = match role {
                Some("original") => Some(BLUE),
                Some("replacement") => Some(GREEN),
                _ => None,
            };
            let color = preferred
                .filter(|c| !used.contains(c))
                .or_else(|| PALETTE.iter().copied().find(|c| !used.contains(c)))
                .unwrap_or("#6b7280");
            used.push(color);
            m.groups.push((n, color, role));
        }
        m
    }

    fn color_of(&self, tg: &str) -> &'static str {
        self.groups
            .iter()
            .find(|(n, _, _)| n == tg)
            .map(|(_, c, _)| *c)
            .unwrap_or("#6b7280")
    }

    fn x(&self, t: f64) -> f64 {
        LEFT + (t - self.t0) / self.span * PLOT_W
    }

    fn weights_entry(&mut self, arn: &str, ws: &[timeline::Weight], at: At) {
        let weights: Vec<(String, f64)> = ws
            .iter()
            .map(|w| {
                (
                    target_group_name(&w.target_group_arn).to_owned(),
                    (w.weight as f64).max(0.0),
                )
            })
            .collect();
        let step = WeightStep { at, weights };
        match self.series.iter_mut().find(|s| s.arn == arn) {
            Some(s) => s.steps.push(step),
            None => self.series.push(Series {
                arn: arn.to_owned(),
                steps: vec![step],
            }),
        }
    }

    fn deployment(&mut self, id: &str, at: At) -> &mut Deployment {
        let i = match self.deployments.iter().position(|d| d.id == id) {
            Some(i) => i,
            None => {
                self.deployments.push(Deployment {
                    id: id.to_owned(),
                    first: Some(at),
                    ..Default::default()
                });
                self.deployments.len() - 1
            }
        };
        &mut self.deployments[i]
    }

    fn task_set(&mut self, id: &str) -> &mut TaskSetRow {
        let i = match self.task_sets.iter().position(|t| t.id == id) {
            Some(i) => i,
            None => {
                self.task_sets.push(TaskSetRow {
                    id: id.to_owned(),
                    ..Default::default()
                });
                self.task_sets.len() - 1
            }
        };
        &mut self.task_sets[i]
    }

    fn codedeploy_entry(&mut self, e: &Entry, id: &str, at: At, roles: &mut Vec<(String, &'static str)>) {
        let message = e.message.clone();
        let short = id;
        match codedeploy_step(&e.kind) {
            Step::Created => {
                self.deployment(id, at);
            }
            Step::Started {
                original_tg,
                replacement_tg,
                original_task_set,
                production,
                test,
            } => {
                for (tg, role) in [(original_tg, "original"), (replacement_tg, "replacement")] {
                    if let Some(tg) = tg {
                        let name = target_group_name(&tg).to_owned();
                        if !roles.iter().any(|(n, _)| *n == name) {
                            roles.push((name, role));
                        }
                    }
                }
                if let Some(ts) = original_task_set {
                    let row = self.task_set(&ts);
                    row.role.get_or_insert_with(|| "original".into());
                }
                for l in production {
                    self.listener_roles.entry(l).or_insert("production");
                }
                for l in test {
                    self.listener_roles.entry(l).or_insert("test");
                }
                self.deployment(id, at).started = Some(at);
                self.markers.push(Marker {
                    at,
                    color: START_COLOR,
                    label: format!("▶ {short} started"),
                    message,
                });
            }
            Step::RollingBack => {
                let d = self.deployment(id, at);
                d.started = Some(at);
                d.notes.push((at, message.clone()));
                self.markers.push(Marker {
                    at,
                    color: ROLLBACK_COLOR,
                    label: format!("↺ {short} rolling back"),
                    message,
                });
            }
            Step::Lifecycle { event, status } => {
                let d = self.deployment(id, at);
                if status == LifecycleStatus::InProgress {
                    d.events.push(Bar {
                        name: event,
                        start: at,
                        end: None,
                        status,
                    });
                } else if let Some(b) = d.events.iter_mut().rev().find(|b| b.name == event && b.end.is_none()) {
                    b.end = Some(at);
                    b.status = status;
                } else {
                    d.events.push(Bar {
                        name: event,
                        start: at,
                        end: Some(at),
                        status,
                    });
                }
            }
            Step::Hook { event, status } => {
                self.deployment(id, at).hooks.push(HookMark {
                    at,
                    event,
                    status,
                    message,
                });
            }
            Step::TaskSet { id: ts, state, role } => {
                let ts = ts.or_else(|| {
                    // "replacement task set is steady": the replacement created last.
                    self.task_sets
                        .iter()
                        .rev()
                        .find(|t| t.role.as_deref() == Some("replacement"))
                        .map(|t| t.id.clone())
                });
                if let Some(ts) = ts {
                    let row = self.task_set(&ts);
                    if let Some(r) = role {
                        row.role.get_or_insert(r);
                    }
                    // ECS writes its own entries for created, PRIMARY and deleted; steady is
                    // CodeDeploy's word only when ECS said nothing.
                    if state == TaskSetState::Steady && row.steady.is_empty() {
                        row.steady.push((at, message.clone()));
                    }
                }
                self.deployment(id, at).notes.push((at, message));
            }
            Step::End { status } => {
                let d = self.deployment(id, at);
                for b in d.events.iter_mut().filter(|b| b.end.is_none()) {
                    b.end = Some(at);
                    b.status = if status == DeploymentStatus::Succeeded {
                        LifecycleStatus::Succeeded
                    } else {
                        LifecycleStatus::Failed
                    };
                }
                d.end = Some((at, status));
                d.end_message = e.kind.deployment_text().unwrap_or_default();
                let mark = match status {
                    DeploymentStatus::Succeeded => "✔",
                    DeploymentStatus::Failed => "✖",
                    _ => "■",
                };
                self.markers.push(Marker {
                    at,
                    color: deployment_color(status),
                    label: format!("{mark} {short} {status}"),
                    message,
                });
            }
            Step::RollbackCreated { rollback_id } => {
                self.deployment(id, at).notes.push((at, message.clone()));
                self.deployment(&rollback_id, at).rollback_of = Some(id.to_owned());
                self.markers.push(Marker {
                    at,
                    color: ROLLBACK_COLOR,
                    label: format!("↺ rollback {}", rollback_id),
                    message,
                });
            }
            Step::Other => {
                let d = self.deployment(id, at);
                if d.first.is_some_and(|f| f.seq != at.seq) {
                    d.notes.push((at, message));
                }
            }
        }
    }

    fn ecs_entry(&mut self, e: &Entry, at: At) {
        let message = e.message.clone();
        match &e.kind {
            timeline::Entry::TaskSet {
                service_name,
                task_set,
                change,
                task_definition,
                ..
            } => {
                let row = self.task_set(task_set);
                if row.service.is_empty() {
                    row.service = service_name.clone();
                }
                match change {
                    TaskSetChange::Created => {
                        row.created = Some(at);
                        row.task_definition = task_definition.clone();
                    }
                    TaskSetChange::Primary => row.primary.push((at, message)),
                    TaskSetChange::Deleted => row.deleted = Some((at, message)),
                }
            }
            timeline::Entry::ServiceEvent {
                service_name,
                steady_task_set: Some(id),
                ..
            } => {
                let row = self.task_set(id);
                if row.service.is_empty() {
                    row.service = service_name.clone();
                }
                row.steady.push((at, message));
            }
            _ => {}
        }
    }
}

/// The last `n` characters of `s`, after an ellipsis when cut.
fn tail(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        s.to_owned()
    } else {
        format!("…{}", s.chars().skip(count - n).collect::<String>())
    }
}

/// At most `n` characters of `s`, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(n.saturating_sub(1)).collect::<String>())
    }
}

/// Two lines naming a listener or rule: its role and kind, then its load balancer and id.
fn listener_label(arn: &str, roles: &HashMap<String, &'static str>) -> (String, String) {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    let parts: Vec<&str> = resource.split('/').collect();
    let listener_arn = |parts: &[&str]| -> String {
        let prefix = arn.rsplit_once(resource).map(|(p, _)| p).unwrap_or("");
        format!("{prefix}listener/{}", parts.join("/"))
    };
    match parts.as_slice() {
        ["listener", kind, lb, lb_id, l_id] => {
            let role = roles.get(&listener_arn(&[kind, lb, lb_id, l_id])).copied();
            (
                format!("{} listener", role.unwrap_or("")).trim().to_owned(),
                format!("{lb} {}", tail(l_id, 6)),
            )
        }
        ["listener-rule", kind, lb, lb_id, l_id, r_id] => {
            let role = roles.get(&listener_arn(&[kind, lb, lb_id, l_id])).copied();
            (
                format!("{} listener rule", role.unwrap_or("")).trim().to_owned(),
                format!("{lb} {} rule {}", tail(l_id, 6), tail(r_id, 6)),
            )
        }
        _ => ("forward".into(), tail(arn, 28)),
    }
}

// ---- layout --------------------------------------------------------------------------------------

const WIDTH: f64 = 1240.0;
const LEFT: f64 = 230.0;
const RIGHT: f64 = 28.0;
const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PANEL_H: f64 = 120.0;
const ROW_H: f64 = 18.0;

fn n(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn when(m: &Model, at: At) -> String {
    format!("{} ({})", relative(at.t - m.t0), iso8601(at.t))
}

/// A tooltip: `<title>` (scripts turn it into the page's own tooltip).
fn title(text: &str) -> String {
    format!("<title>{}</title>", esc(text))
}

fn ticks(span: f64) -> Vec<f64> {
    const STEPS: [f64; 20] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0,
        43200.0, 86400.0, 172800.0, 604800.0,
    ];
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 12.0)
        .unwrap_or((span / 12.0).ceil());
    let mut out = Vec::new();
    let mut t = 0.0;
    while t <= span + 1e-9 && out.len() < 64 {
        out.push(t);
        t += step;
    }
    out
}

// ---- output --------------------------------------------------------------------------------------

fn head(out: &mut String, title: &str, opts: &Options) {
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    if opts.poll_events.is_some() {
        out.push_str("<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>\n");
    }
    out.push_str(&format!("<title>{}</title>\n", esc(title)));
    out.push_str(STYLE);
    out.push_str("</head>\n");
}

fn summary(out: &mut String, entries: &[Entry], m: &Model) {
    let timed: Vec<&Entry> = entries.iter().filter(|e| e.time.is_some()).collect();
    let (Some(first), Some(last)) = (timed.first(), timed.last()) else {
        out.push_str("<p class=\"summary\">The timeline is empty: nothing has happened yet.</p>\n");
        return;
    };
    let t1 = timed.iter().filter_map(|e| e.time).fold(m.t0, f64::max);
    out.push_str(&format!(
        "<p class=\"summary\">{} entries (seq {} to {}) over {} of simulated time, from <time>{}</time> to \
         <time>{}</time>. Times on the chart are relative to the first entry.</p>\n",
        entries.len(),
        first.seq,
        last.seq,
        esc(relative(t1 - m.t0).trim_start_matches('+')),
        esc(&iso8601(m.t0)),
        esc(&iso8601(t1)),
    ));
    if !m.deployments.is_empty() {
        out.push_str("<ul class=\"deployments\">\n");
        for d in &m.deployments {
            let (status, color) = match &d.end {
                Some((at, s)) if d.end_message != s.as_str() && !d.end_message.is_empty() => (
                    format!("{s} at {}: {}", relative(at.t - m.t0), d.end_message),
                    deployment_color(*s),
                ),
                Some((at, s)) => (format!("{s} at {}", relative(at.t - m.t0)), deployment_color(*s)),
                None if d.started.is_some() => ("in progress".to_owned(), RUN_COLOR),
                None => ("created".to_owned(), RUN_COLOR),
            };
            let rollback = d
                .rollback_of
                .as_deref()
                .map(|o| format!(" (rollback of {})", esc(o)))
                .unwrap_or_default();
            out.push_str(&format!(
                "<li><span class=\"dot\" style=\"background:{color}\"></span>deployment <b>{}</b>{rollback}: \
                 {}</li>\n",
                esc(&d.id),
                esc(&status)
            ));
        }
        out.push_str("</ul>\n");
    }
}

fn legend(out: &mut String, m: &Model) {
    out.push_str("<div class=\"legend\">\n");
    for (name, color, role) in &m.groups {
        let role = role.map(|r| format!(" <i>{r}</i>")).unwrap_or_default();
        out.push_str(&format!(
            "<span class=\"key tg\" data-tg=\"{}\"><span class=\"sw\" style=\"background:{color}\"></span>{}{role}</span>\n",
            esc(name),
            esc(name)
        ));
    }
    let keys = [
        (START_COLOR, "▶", "deployment started"),
        (OK_COLOR, "✔", "Succeeded"),
        (FAIL_COLOR, "✖", "Failed"),
        (STOP_COLOR, "■", "Stopped"),
        (ROLLBACK_COLOR, "↺", "rollback"),
        ("#5b3fa0", "○", "hook invoked"),
        (OK_COLOR, "●", "hook reported"),
        ("#1f2937", "◆", "task set steady"),
        ("#b7791f", "★", "PRIMARY"),
        (FAIL_COLOR, "✕", "task set deleted"),
    ];
    for (color, sym, text) in keys {
        out.push_str(&format!(
            "<span class=\"key\"><span class=\"sym\" style=\"color:{color}\">{sym}</span>{text}</span>\n"
        ));
    }
    out.push_str("</div>\n");
}

/// Greedy rows for marker labels so they do not overlap; returns (row, x, anchor) per marker.
fn place_labels(m: &Model) -> (Vec<(usize, f64, &'static str)>, usize) {
    let mut rows: Vec<f64> = Vec::new();
    let mut order: Vec<usize> = (0..m.markers.len()).collect();
    order.sort_by(|a, b| m.markers[*a].at.t.total_cmp(&m.markers[*b].at.t));
    let mut by_index = vec![(0usize, 0.0f64, "start"); m.markers.len()];
    for i in order {
        let mk = &m.markers[i];
        let x = m.x(mk.at.t);
        let w = mk.label.chars().count() as f64 * 6.4 + 6.0;
        let (left, anchor, tx) = if x + 3.0 + w > WIDTH - 2.0 {
            (x - 3.0 - w, "end", x - 3.0)
        } else {
            (x + 3.0, "start", x + 3.0)
        };
        let row = match rows.iter().position(|r| *r + 4.0 < left) {
            Some(r) => r,
            None => {
                rows.push(f64::NEG_INFINITY);
                rows.len() - 1
            }
        };
        rows[row] = left + w;
        by_index[i] = (row, tx, anchor);
    }
    (by_index, rows.len())
}

fn chart(out: &mut String, m: &Model) {
    let (labels, label_rows) = place_labels(m);
    let strip = 8.0 + label_rows as f64 * 15.0;
    let axis_y = strip + 16.0;
    let mut y = axis_y + 10.0;
    let mut body = String::new();

    // Weights, one panel per listener or rule.
    if m.series.is_empty() {
        body.push_str(&format!(
            "<text class=\"empty\" x=\"{}\" y=\"{}\">no forward weights were set on any listener or rule</text>\n",
            n(LEFT + 8.0),
            n(y + 20.0)
        ));
        y += 34.0;
    }
    for (si, s) in m.series.iter().enumerate() {
        let (l1, l2) = listener_label(&s.arn, &m.listener_roles);
        let top = y;
        let bottom = y + PANEL_H;
        let yv = |pct: f64| bottom - pct / 100.0 * PANEL_H;
        body.push_str(&format!(
            "<g class=\"weights\" data-arn=\"{}\" data-label=\"{}\">\n",
            esc(&s.arn),
            esc(&format!("{l1} {l2}"))
        ));
        body.push_str(&format!(
            "<rect class=\"panel\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
            n(LEFT),
            n(top),
            n(PLOT_W),
            n(PANEL_H)
        ));
        body.push_str(&format!(
            "<text class=\"lane\" x=\"{}\" y=\"{}\">{}{}</text>\n<text class=\"lane sub\" x=\"{}\" y=\"{}\">{}</text>\n\
             <text class=\"lane sub\" x=\"{}\" y=\"{}\">share of traffic</text>\n",
            n(12.0),
            n(top + 16.0),
            esc(&clip(&l1, 30)),
            title(&s.arn),
            n(12.0),
            n(top + 31.0),
            esc(&clip(&l2, 34)),
            n(12.0),
            n(top + 46.0),
        ));
        for pct in [0.0, 50.0, 100.0] {
            body.push_str(&format!(
                "<line class=\"hgrid\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/><text class=\"ytick\" x=\"{}\" y=\"{}\">{}%</text>\n",
                n(LEFT),
                n(LEFT + PLOT_W),
                n(yv(pct)),
                n(yv(pct)),
                n(LEFT - 6.0),
                n(yv(pct) + 4.0),
                num(pct)
            ));
        }
        let end_t = m.t0 + m.span;
        let mut edges: HashMap<String, String> = HashMap::new();
        for (i, st) in s.steps.iter().enumerate() {
            let t_next = s.steps.get(i + 1).map(|n| n.at.t).unwrap_or(end_t);
            let (x1, x2) = (m.x(st.at.t), m.x(t_next));
            let total: f64 = st.weights.iter().map(|(_, w)| *w).sum();
            let mut ordered: Vec<&(String, f64)> = st.weights.iter().collect();
            ordered.sort_by_key(|(name, _)| m.groups.iter().position(|(g, _, _)| g == name).unwrap_or(usize::MAX));
            let text = st
                .weights
                .iter()
                .map(|(g, w)| {
                    let pct = if total > 0.0 { w / total * 100.0 } else { 0.0 };
                    format!("{g}: weight {} ({}%)", num(*w), n(pct))
                })
                .collect::<Vec<_>>()
                .join(", ");
            let tip = format!("{}\nforward weights: {text}", when(m, st.at));
            let mut below = 0.0;
            for (g, w) in ordered {
                let pct = if total > 0.0 { w / total * 100.0 } else { 0.0 };
                let (ya, yb) = (yv(below + pct), yv(below));
                body.push_str(&format!(
                    "<a href=\"#ev-{seq}\"><rect class=\"w-seg\" data-series=\"{si}\" data-tg=\"{tg}\" data-weight=\"{w}\" \
                     data-percent=\"{p}\" data-t=\"{t}\" x=\"{x}\" y=\"{y}\" width=\"{wd}\" height=\"{h}\" fill=\"{c}\">{tip}</rect></a>\n",
                    seq = st.at.seq,
                    tg = esc(g),
                    w = num(*w),
                    p = n(pct),
                    t = n(st.at.t - m.t0),
                    x = n(x1),
                    y = n(ya),
                    wd = n((x2 - x1).max(0.0)),
                    h = n(yb - ya),
                    c = m.color_of(g),
                    tip = title(&tip),
                ));
                if pct > 0.0 && x2 - x1 >= 34.0 && yb - ya >= 14.0 {
                    body.push_str(&format!(
                        "<text class=\"w-label\" x=\"{}\" y=\"{}\">{}%</text>\n",
                        n((x1 + x2) / 2.0),
                        n((ya + yb) / 2.0 + 4.0),
                        n(pct)
                    ));
                }
                let edge = edges.entry(g.clone()).or_default();
                let cmd = if edge.is_empty() { "M" } else { "L" };
                edge.push_str(&format!("{cmd}{} {}H{}", n(x1), n(ya), n(x2)));
                below += pct;
            }
        }
        for (g, d) in &edges {
            body.push_str(&format!(
                "<path class=\"w-edge\" data-tg=\"{}\" d=\"{}\"/>\n",
                esc(g),
                esc(d)
            ));
        }
        body.push_str("</g>\n");
        y = bottom + 16.0;
    }

    // Deployments.
    for d in &m.deployments {
        let rows = 1 + lifecycle_names(d).len();
        let top = y;
        body.push_str(&format!("<g class=\"deployment\" data-id=\"{}\">\n", esc(&d.id)));
        body.push_str(&format!(
            "<rect class=\"band\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n",
            n(top - 3.0),
            n(WIDTH),
            n(rows as f64 * ROW_H + 6.0)
        ));
        let kind = if d.rollback_of.is_some() {
            "rollback"
        } else {
            "deployment"
        };
        body.push_str(&format!(
            "<text class=\"lane\" x=\"12\" y=\"{}\">{kind} {}{}</text>\n",
            n(top + 13.0),
            esc(&clip(&d.id, 20)),
            title(&d.id)
        ));
        let start = d.started.or(d.first);
        if let Some(s) = start {
            let end = d.end.as_ref().map(|(a, _)| a.t).unwrap_or(m.t0 + m.span);
            let status = d.end.as_ref().map(|(_, s)| *s).unwrap_or(DeploymentStatus::InProgress);
            let tip = format!(
                "deployment {}: {} from {}{}",
                d.id,
                status,
                when(m, s),
                d.end
                    .as_ref()
                    .map(|(a, _)| format!(" to {}", when(m, *a)))
                    .unwrap_or_default()
            );
            body.push_str(&format!(
                "<rect class=\"dep-bar\" data-status=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\">{}</rect>\n",
                esc(status.as_str()),
                n(m.x(s.t)),
                n(top + 3.0),
                n((m.x(end) - m.x(s.t)).max(3.0)),
                n(ROW_H - 6.0),
                deployment_color(status),
                title(&tip)
            ));
        }
        for (at, msg) in &d.notes {
            body.push_str(&format!(
                "<a href=\"#ev-{}\"><rect class=\"note\" x=\"{}\" y=\"{}\" width=\"3\" height=\"{}\">{}</rect></a>\n",
                at.seq,
                n(m.x(at.t) - 1.5),
                n(top + 1.0),
                n(ROW_H - 2.0),
                title(&format!("{}\n{msg}", when(m, *at)))
            ));
        }
        for (ri, name) in lifecycle_names(d).iter().enumerate() {
            let ry = top + (ri + 1) as f64 * ROW_H;
            body.push_str(&format!(
                "<text class=\"event-name\" x=\"24\" y=\"{}\">{}</text>\n",
                n(ry + 12.5),
                esc(&clip(name, 28))
            ));
            for b in d.events.iter().filter(|b| b.name == **name) {
                let end = b.end.map(|a| a.t).unwrap_or(m.t0 + m.span);
                let x1 = m.x(b.start.t);
                let w = (m.x(end) - x1).max(4.0);
                let tip = format!(
                    "{name}: {}\nstarted {}{}",
                    b.status,
                    when(m, b.start),
                    b.end
                        .map(|a| format!("\nended {} after {}", when(m, a), relative(a.t - b.start.t)))
                        .unwrap_or_default()
                );
                body.push_str(&format!(
                    "<a href=\"#ev-{}\"><rect class=\"lifecycle\" data-event=\"{}\" data-status=\"{}\" x=\"{}\" y=\"{}\" \
                     width=\"{}\" height=\"{}\" rx=\"2\" fill=\"{}\">{}</rect></a>\n",
                    b.start.seq,
                    esc(name),
                    esc(b.status.as_str()),
                    n(x1),
                    n(ry + 3.0),
                    n(w),
                    n(ROW_H - 6.0),
                    lifecycle_color(b.status),
                    title(&tip)
                ));
                if let Some(e) = b.end.filter(|e| e.t - b.start.t >= 1.0) {
                    let x2 = x1 + w;
                    if x2 + 64.0 < WIDTH {
                        body.push_str(&format!(
                            "<text class=\"duration\" x=\"{}\" y=\"{}\">{}</text>\n",
                            n(x2 + 5.0),
                            n(ry + 12.5),
                            esc(relative(e.t - b.start.t).trim_start_matches('+'))
                        ));
                    }
                }
            }
            for h in d.hooks.iter().filter(|h| h.event == **name) {
                let (fill, stroke) = match h.status {
                    HookStatus::Invoked => ("#ffffff", "#5b3fa0"),
                    HookStatus::Succeeded => (OK_COLOR, "#0f5132"),
                    HookStatus::Failed => (FAIL_COLOR, "#7f1d1d"),
                };
                body.push_str(&format!(
                    "<a href=\"#ev-{}\"><circle class=\"hook\" data-event=\"{}\" data-status=\"{}\" cx=\"{}\" cy=\"{}\" r=\"5\" \
                     fill=\"{fill}\" stroke=\"{stroke}\">{}</circle></a>\n",
                    h.at.seq,
                    esc(&h.event),
                    esc(h.status.as_str()),
                    n(m.x(h.at.t)),
                    n(ry + ROW_H / 2.0),
                    title(&format!("{}\n{}", when(m, h.at), h.message))
                ));
            }
        }
        body.push_str("</g>\n");
        y = top + rows as f64 * ROW_H + 14.0;
    }

    // Task sets.
    if !m.task_sets.is_empty() {
        body.push_str(&format!(
            "<text class=\"lane\" x=\"12\" y=\"{}\">ECS task sets</text>\n",
            n(y + 12.0)
        ));
        y += ROW_H;
        for ts in &m.task_sets {
            let color = match ts.role.as_deref() {
                Some("original") => BLUE,
                Some("replacement") => GREEN,
                _ => "#6b7280",
            };
            let start = ts.created.map(|a| a.t).unwrap_or(m.t0);
            let end = ts.deleted.as_ref().map(|(a, _)| a.t).unwrap_or(m.t0 + m.span);
            let steady = ts.steady.first().map(|(a, _)| a.t);
            let label = format!(
                "{}{}",
                if ts.service.is_empty() {
                    String::new()
                } else {
                    format!("{} ", ts.service)
                },
                tail(&ts.id, 12)
            );
            body.push_str(&format!(
                "<g class=\"task-set\" data-id=\"{}\" data-role=\"{}\">\n<text class=\"event-name\" x=\"24\" y=\"{}\">{}{}</text>\n",
                esc(&ts.id),
                esc(ts.role.as_deref().unwrap_or("")),
                n(y + 12.5),
                esc(&clip(&label, 30)),
                title(&format!(
                    "task set {}{}{}",
                    ts.id,
                    ts.task_definition.as_deref().map(|t| format!(" ({t})")).unwrap_or_default(),
                    ts.role.as_deref().map(|r| format!(", {r}")).unwrap_or_default()
                ))
            ));
            let stabilizing_end = steady.unwrap_or(end).min(end);
            let x1 = m.x(start);
            body.push_str(&format!(
                "<rect class=\"ts-bar stabilizing\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\">{}</rect>\n",
                n(x1),
                n(y + 4.0),
                n((m.x(stabilizing_end) - x1).max(2.0)),
                n(ROW_H - 8.0),
                title(&format!(
                    "task set {}: created {}{}",
                    ts.id,
                    ts.created.map(|a| when(m, a)).unwrap_or_else(|| "before the first entry".into()),
                    ts.task_definition.as_deref().map(|t| format!(" with {t}")).unwrap_or_default()
                ))
            ));
            if let Some(s) = steady.filter(|s| *s < end) {
                body.push_str(&format!(
                    "<rect class=\"ts-bar steady\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{color}\">{}</rect>\n",
                    n(m.x(s)),
                    n(y + 4.0),
                    n((m.x(end) - m.x(s)).max(2.0)),
                    n(ROW_H - 8.0),
                    title(&format!("task set {}: steady", ts.id))
                ));
            }
            let mut marks: Vec<(At, &str, &str, &str, &str)> = Vec::new();
            for (a, msg) in &ts.steady {
                marks.push((*a, "steady", "◆", "#1f2937", msg));
            }
            for (a, msg) in &ts.primary {
                marks.push((*a, "PRIMARY", "★", "#b7791f", msg));
            }
            if let Some((a, msg)) = &ts.deleted {
                marks.push((*a, "deleted", "✕", FAIL_COLOR, msg));
            }
            for (a, kind, sym, c, msg) in marks {
                body.push_str(&format!(
                    "<a href=\"#ev-{}\"><text class=\"ts-mark\" data-kind=\"{kind}\" x=\"{}\" y=\"{}\" fill=\"{c}\">{sym}{}</text></a>\n",
                    a.seq,
                    n(m.x(a.t)),
                    n(y + 13.5),
                    title(&format!("{}\n{msg}", when(m, a)))
                ));
            }
            body.push_str("</g>\n");
            y += ROW_H;
        }
        y += 8.0;
    }
    let plot_bottom = y;
    let height = plot_bottom + 44.0;

    out.push_str(&format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
         data-t0=\"{t0}\" data-span=\"{span}\" data-left=\"{left}\" data-plot-width=\"{pw}\" role=\"img\" \
         aria-label=\"forward weights, lifecycle events and task sets over simulated time\">\n",
        w = n(WIDTH),
        h = n(height),
        t0 = m.t0,
        span = m.span,
        left = n(LEFT),
        pw = n(PLOT_W),
    ));
    out.push_str(&format!(
        "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"{}\" height=\"{}\"/>\n",
        n(WIDTH),
        n(height)
    ));
    // Time grid and axes (top and bottom).
    out.push_str("<g class=\"axis\">\n");
    for t in ticks(m.span) {
        let x = m.x(m.t0 + t);
        out.push_str(&format!(
            "<line class=\"vgrid\" x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\"/>\n<text class=\"xtick\" x=\"{x}\" y=\"{}\">{}</text>\n\
             <text class=\"xtick\" x=\"{x}\" y=\"{}\">{}</text>\n",
            n(axis_y + 4.0),
            n(plot_bottom),
            n(axis_y),
            esc(&relative(t)),
            n(plot_bottom + 16.0),
            esc(&relative(t)),
            x = n(x),
        ));
    }
    out.push_str(&format!(
        "<text class=\"axis-title\" x=\"{}\" y=\"{}\">simulated time since the first entry (h:mm:ss); +0:00:00 = {}</text>\n</g>\n",
        n(LEFT + PLOT_W / 2.0),
        n(plot_bottom + 36.0),
        esc(&iso8601(m.t0))
    ));
    out.push_str(&body);
    // Markers over everything.
    for (i, mk) in m.markers.iter().enumerate() {
        let x = m.x(mk.at.t);
        let (row, tx, anchor) = labels[i];
        let ly = 8.0 + row as f64 * 15.0 + 11.0;
        out.push_str(&format!(
            "<g class=\"marker\" data-t=\"{}\"><line x1=\"{x}\" x2=\"{x}\" y1=\"{}\" y2=\"{}\" stroke=\"{c}\"/>\
             <a href=\"#ev-{seq}\"><text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\" fill=\"{c}\">{}{}</text></a></g>\n",
            n(mk.at.t - m.t0),
            n(ly + 3.0),
            n(plot_bottom),
            n(tx),
            n(ly),
            esc(&mk.label),
            title(&format!("{}\n{}", when(m, mk.at), mk.message)),
            x = n(x),
            c = mk.color,
            seq = mk.at.seq,
        ));
    }
    out.push_str(&format!(
        "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"{}\" y2=\"{}\" visibility=\"hidden\"/>\n",
        n(axis_y + 4.0),
        n(plot_bottom)
    ));
    out.push_str("</svg>\n");
}

/// The lifecycle events of a deployment, in the order they started.
fn lifecycle_names(d: &Deployment) -> Vec<&String> {
    let mut names: Vec<&String> = Vec::new();
    for b in &d.events {
        if !names.contains(&&b.name) {
            names.push(&b.name);
        }
    }
    for h in &d.hooks {
        if !names.contains(&&h.event) {
            names.push(&h.event);
        }
    }
    names
}

fn table(out: &mut String, entries: &[Entry], m: &Model) {
    out.push_str(
        "<h2>Every entry</h2>\n<table id=\"events\">\n<thead><tr><th>seq</th><th>sim time</th><th>time (UTC)</th>\
         <th>source</th><th>message</th><th>data</th></tr></thead>\n<tbody>\n",
    );
    for e in entries {
        let (rel, abs) = match e.time {
            Some(t) => (relative(t - m.t0), iso8601(t)),
            None => (String::new(), String::new()),
        };
        out.push_str(&format!(
            "<tr id=\"ev-{seq}\" class=\"src-{cls}\"><td class=\"num\">{seq}</td><td class=\"num\">{}</td><td class=\"when\">{}</td>\
             <td>{}</td><td>{}</td><td class=\"data\"><code>{}</code></td></tr>\n",
            esc(&rel),
            esc(&abs),
            esc(&e.source),
            esc(&e.message),
            esc(&e.data_json()),
            seq = e.seq,
            cls = esc(&e.source.chars().filter(char::is_ascii_alphanumeric).collect::<String>()),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
}

const STYLE: &str = r#"<style>
:root { color-scheme: light; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 16px 20px; color: #1f2937; background: #f6f7f9; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 22px 0 8px; }
.summary { margin: 2px 0; color: #4b5563; }
.deployments { margin: 4px 0; padding-left: 0; list-style: none; }
.deployments li { margin: 2px 0; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; }
.live { margin: 4px 0; color: #4b5563; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 10px 0; align-items: center; }
.key { display: inline-flex; align-items: center; gap: 5px; font-size: 13px; }
.key i { color: #6b7280; }
.sw { display: inline-block; width: 22px; height: 12px; border-radius: 2px; }
.sym { font-size: 14px; width: 14px; text-align: center; }
.chart-box { overflow-x: auto; background: #fff; border: 1px solid #d8dde5; border-radius: 6px; }
svg.chart { display: block; font-family: system-ui, "DejaVu Sans", sans-serif; }
svg .bg { fill: #fff; }
svg .panel { fill: #fbfcfd; stroke: #cfd6e0; }
svg .band { fill: #f3f5f8; }
svg .vgrid { stroke: #e3e7ed; stroke-width: 1; }
svg .hgrid { stroke: #e3e7ed; }
svg .xtick { font-size: 11px; fill: #4b5563; text-anchor: middle; }
svg .ytick { font-size: 10px; fill: #6b7280; text-anchor: end; }
svg .axis-title { font-size: 12px; fill: #374151; text-anchor: middle; }
svg .lane { font-size: 13px; font-weight: 600; fill: #1f2937; }
svg .lane.sub { font-size: 11px; font-weight: 400; fill: #4b5563; }
svg .event-name { font-size: 11.5px; fill: #374151; }
svg .duration { font-size: 10.5px; fill: #6b7280; }
svg .empty { font-size: 13px; fill: #6b7280; }
svg .w-seg { fill-opacity: 0.82; }
svg .w-seg:hover { fill-opacity: 1; }
svg .w-label { font-size: 11px; font-weight: 600; fill: #fff; text-anchor: middle; pointer-events: none; }
svg .w-edge { fill: none; stroke: #1f2937; stroke-width: 1.2; stroke-opacity: 0.55; pointer-events: none; }
svg .dep-bar { fill-opacity: 0.22; stroke-opacity: 0.6; }
svg .note { fill: #6b7280; fill-opacity: 0.7; }
svg .lifecycle { fill-opacity: 0.85; }
svg .ts-bar.stabilizing { fill-opacity: 0.22; }
svg .ts-bar.steady { fill-opacity: 0.6; }
svg .ts-mark { font-size: 13px; text-anchor: middle; }
svg .marker line { stroke-width: 1.3; stroke-dasharray: 5 3; }
svg .marker text { font-size: 11px; font-weight: 600; }
svg .cursor { stroke: #111827; stroke-width: 1; stroke-opacity: 0.45; pointer-events: none; }
svg a { cursor: pointer; }
#tip { position: absolute; max-width: 460px; white-space: pre-wrap; background: #111827; color: #f9fafb; font-size: 12px; padding: 6px 8px; border-radius: 4px; pointer-events: none; z-index: 10; }
#tip[hidden] { display: none; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 12.5px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f5; position: sticky; top: 0; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.when { white-space: nowrap; font-variant-numeric: tabular-nums; color: #4b5563; }
td.data { max-width: 460px; }
td code { font-size: 11px; color: #4b5563; word-break: break-all; }
tr:target { background: #fff3c4; }
tr.src-codedeploy td:nth-child(4) { color: #5b3fa0; }
tr.src-elbv2 td:nth-child(4) { color: #1d4ed8; }
tr.src-ecs td:nth-child(4) { color: #b45309; }
</style>
"#;

/// Tooltips from the `<title>`s, a time cursor, and the live reload. No strings from the timeline
/// are written here; the script reads them from the DOM as text.
const SCRIPT: &str = r#"<script>
(function () {
  var tip = document.getElementById("tip");
  var svg = document.querySelector("svg.chart");
  if (svg) {
    svg.querySelectorAll("title").forEach(function (t) {
      var p = t.parentNode;
      if (p && p !== svg) { p.setAttribute("data-tip", t.textContent); t.remove(); }
    });
    var cursor = svg.querySelector(".cursor");
    var t0 = +svg.getAttribute("data-t0"), span = +svg.getAttribute("data-span");
    var left = +svg.getAttribute("data-left"), pw = +svg.getAttribute("data-plot-width");
    var fmt = function (s) {
      var ms = Math.round(s * 1000), h = Math.floor(ms / 3600000), m = Math.floor(ms / 60000) % 60, sec = Math.floor(ms / 1000) % 60;
      return "+" + h + ":" + String(m).padStart(2, "0") + ":" + String(sec).padStart(2, "0");
    };
    svg.addEventListener("mousemove", function (ev) {
      var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      var el = ev.target.closest ? ev.target.closest("[data-tip]") : null;
      var inPlot = p.x >= left && p.x <= left + pw;
      if (cursor) {
        cursor.setAttribute("x1", p.x); cursor.setAttribute("x2", p.x);
        cursor.setAttribute("visibility", inPlot ? "visible" : "hidden");
      }
      var text = el ? el.getAttribute("data-tip") : (inPlot ? fmt((p.x - left) / pw * span) + " (" + new Date((t0 + (p.x - left) / pw * span) * 1000).toISOString() + ")" : "");
      if (!text) { tip.hidden = true; return; }
      tip.textContent = text;
      tip.hidden = false;
      tip.style.left = (ev.pageX + 14) + "px";
      tip.style.top = (ev.pageY + 14) + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; if (cursor) cursor.setAttribute("visibility", "hidden"); });
  }
  var poll = document.body.getAttribute("data-poll");
  var live = document.getElementById("live");
  if (poll) {
    var last = document.body.getAttribute("data-last-seq");
    setInterval(function () {
      if (live && !live.checked) return;
      fetch(poll + (poll.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(last))
        .then(function (r) { return r.json(); })
        .then(function (j) { if (j && j.events && j.events.length) location.reload(); })
        .catch(function () {});
    }, 2000);
  }
})();
</script>
"#;
