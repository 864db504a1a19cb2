//! What a scenario run prints (a timeline in simulated time) and writes (JUnit XML).

use super::run::{Failure, Outcome};
use super::{Scenario, Step, StepKind};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

/// `3600` → `1h`, `90` → `1m30s`, `2.5` → `2.5s`.
pub fn duration_text(secs: f64) -> String {
    if secs.fract() != 0.0 || secs < 1.0 {
        return format!("{secs}s");
    }
    let s = secs as u64;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if s > 0 || out.is_empty() {
        let _ = write!(out, "{s}s");
    }
    out
}

/// `+H:MM:SS` of simulated time since the origin.
pub fn clock_text(secs: f64) -> String {
    let sign = if secs < 0.0 { "-" } else { "+" };
    let t = secs.abs().round() as u64;
    format!("{sign}{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60)
}

/// The printed timeline of one run.
pub struct Timeline {
    pub text: String,
    echo: bool,
    verbose: bool,
    /// Simulated time (epoch seconds) that `+0:00:00` stands for.
    pub origin: f64,
    /// Friendly names for ARNs.
    names: BTreeMap<String, String>,
}

impl Timeline {
    pub fn new(echo: bool, verbose: bool) -> Timeline {
        Timeline {
            text: String::new(),
            echo,
            verbose,
            origin: 0.0,
            names: BTreeMap::new(),
        }
    }

    fn put(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        if self.echo {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }

    pub fn header(&mut self, s: &Scenario) {
        self.put(&format!("=== {} ({})", s.name, s.file));
        for l in s.description.lines().filter(|l| !l.trim().is_empty()) {
            self.put(&format!("    {}", l.trim()));
        }
    }

    pub fn names_from_lab(&mut self, vars: &BTreeMap<String, Value>) {
        for (var, name) in [
            ("lab.productionListener", "the production listener"),
            ("lab.productionRule", "the production rule"),
            ("lab.testListener", "the test listener"),
        ] {
            if let Some(Value::String(a)) = vars.get(var) {
                self.names.insert(a.clone(), name.to_owned());
            }
        }
    }

    pub fn line(&mut self, time: f64, source: &str, message: &str) {
        let l = format!("{}  {:<10}  {}", clock_text(time - self.origin), source, message);
        self.put(&l);
    }

    pub fn step(&mut self, step: &Step) {
        let what = match &step.kind {
            StepKind::Call { probe, .. } => format!("call {}", probe_text(probe)),
            StepKind::Expect { probe, .. } => format!("expect {}", probe_text(probe)),
            StepKind::Wait { probe, timeout, .. } => {
                format!("wait for {} (at most {})", probe_text(probe), duration_text(*timeout))
            }
            StepKind::Advance(s) => format!("advance the clock {}", duration_text(*s)),
            StepKind::Deploy(d) => {
                let what = d
                    .image
                    .clone()
                    .or(d.task_definition.clone())
                    .unwrap_or_else(|| "threads:latest".into());
                let hooks: Vec<String> = d.hooks.iter().map(|(e, f)| format!("{e}={f}")).collect();
                if hooks.is_empty() {
                    format!("deploy {what}")
                } else {
                    format!("deploy {what} with hooks {}", hooks.join(", "))
                }
            }
            StepKind::Fault(v) => format!("inject fault {v}"),
            StepKind::ClearFaults => "clear faults".into(),
            StepKind::Note(_) => "note".into(),
        };
        self.put(&format!("--- step {} (line {}): {what}", step.index, step.pos.line));
    }

    /// One entry of the emulator's timeline, if it tells the deployment's story (all of them
    /// with `--verbose`). Which entries tell it is read from their kind (`timeline::Entry`); an
    /// entry of a kind this version does not know is a plain line, shown by its source.
    pub fn event(&mut self, e: &Value) {
        use crate::timeline::{AlarmStateValue, Entry};
        let Some(ev) = crate::timeline::Event::from_json(e) else {
            return;
        };
        let source = e["source"].as_str().unwrap_or("");
        let message = e["message"].as_str().unwrap_or("");
        let shown = self.verbose
            || match &ev.entry {
                Entry::TrafficWeights { .. }
                | Entry::TaskSet { .. }
                | Entry::InvocationFinished { .. }
                | Entry::TargetHealth { .. }
                | Entry::FaultInjected { .. }
                | Entry::FaultsCleared {} => true,
                // Every change but an alarm's first evaluation (out of INSUFFICIENT_DATA to OK).
                Entry::AlarmState { from, to, .. } => {
                    !(*from == AlarmStateValue::InsufficientData && *to == AlarmStateValue::Ok)
                }
                // ECS repeats CodeDeploy's steps as service events, which are shown once (as
                // CodeDeploy's); the tasks a service starts and stops (replacing an unhealthy
                // one) are its own.
                Entry::ServiceEvent { text, .. } => text.contains(" has started ") || text.contains(" has stopped "),
                // Every CodeDeploy step and note, fault and scheduler mark.
                entry => matches!(entry.source(), "codedeploy" | "faults" | "scheduler"),
            };
        if !shown {
            return;
        }
        let msg = self.shorten(message);
        self.line(e["time"].as_f64().unwrap_or(self.origin), source, &msg);
    }

    /// ARNs in a message replaced by names a reader knows.
    fn shorten(&self, message: &str) -> String {
        let mut out = String::new();
        for (i, word) in message.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let (core, tail) = match word.find(|c: char| ",;)".contains(c)) {
                Some(j) => (&word[..j], &word[j..]),
                None => (word, ""),
            };
            if !core.starts_with("arn:aws:") {
                out.push_str(word);
                continue;
            }
            // `arn:...:targetgroup/name/id:weight` (weights) keep their suffix after the ARN.
            let (arn, suffix) = match core.rfind(':') {
                Some(j) if core[j + 1..].chars().all(|c| c.is_ascii_digit()) && core.contains('/') => {
                    (&core[..j], &core[j..])
                }
                _ => (core, ""),
            };
            out.push_str(&self.arn_name(arn));
            out.push_str(suffix);
            out.push_str(tail);
        }
        out
    }

    fn arn_name(&self, arn: &str) -> String {
        if let Some(n) = self.names.get(arn) {
            return n.clone();
        }
        let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
        let parts: Vec<&str> = resource.split('/').collect();
        match parts.first().copied() {
            Some("targetgroup") if parts.len() > 1 => parts[1].to_owned(),
            Some("task-definition") if parts.len() > 1 => parts[1].to_owned(),
            Some("service") => parts.last().copied().unwrap_or(resource).to_owned(),
            Some("task-set") => parts.last().copied().unwrap_or(resource).to_owned(),
            Some("task") => format!("task {}", parts.last().copied().unwrap_or(resource)),
            _ => {
                if let Some(f) = resource.strip_prefix("function:") {
                    return f.to_owned();
                }
                resource.to_owned()
            }
        }
    }

    pub fn failure(&mut self, f: &Failure) {
        self.put(&format!("FAILED: {}", f.message));
    }

    pub fn failure_in(&mut self, f: &Failure, file: &str) {
        match f.step {
            Some((i, pos)) => self.put(&format!(
                "FAILED at step {i} ({file}:{}:{}): {}",
                pos.line, pos.col, f.message
            )),
            None => self.put(&format!("FAILED before the steps: {}", f.message)),
        }
    }

    pub fn passed(&mut self, s: &Scenario, wall: Duration, simulated: f64) {
        self.put(&format!(
            "PASSED: {} ({} steps, {} simulated in {:.2} s of wall time)",
            s.name,
            s.steps.len(),
            duration_text(simulated.round()),
            wall.as_secs_f64()
        ));
    }
}

fn probe_text(p: &super::Probe) -> String {
    use super::Probe;
    match p {
        Probe::Call { service, operation, .. } => format!("{}.{operation}", service.name()),
        Probe::Deployment(id) => format!("deployment {id}"),
        Probe::Traffic(w) => format!("{w} traffic"),
        Probe::TaskSets => "the task sets".into(),
        Probe::Lifecycle(id) => format!("the lifecycle events of {id}"),
        Probe::Targets => "the target health".into(),
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::protocol::query::escape_into(&mut out, s);
    out
}

/// JUnit XML for CI systems: one `<testsuite>`, a `<testcase>` per scenario with its timeline as
/// `<system-out>` and a `<failure>` when it failed.
pub fn junit(outcomes: &[Outcome]) -> String {
    let failures = outcomes.iter().filter(|o| !o.passed()).count();
    let total: f64 = outcomes.iter().map(|o| o.wall.as_secs_f64()).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"cutover scenarios\" tests=\"{}\" failures=\"{failures}\" time=\"{total:.3}\">",
        outcomes.len()
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"cutover scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{total:.3}\">",
        outcomes.len()
    );
    for o in outcomes {
        let _ = write!(
            x,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            xml_escape(&o.file),
            xml_escape(&o.name),
            o.wall.as_secs_f64()
        );
        if let Some(f) = &o.failure {
            let at = match f.step {
                Some((i, pos)) => format!("step {i} ({}:{})", o.file, pos.line),
                None => "setup".into(),
            };
            let _ = write!(
                x,
                "\n      <failure message=\"{}\" type=\"ScenarioFailure\">{}</failure>",
                xml_escape(&format!("{at}: {}", f.message)),
                xml_escape(&f.message)
            );
        }
        let _ = writeln!(
            x,
            "\n      <system-out>{}</system-out>\n    </testcase>",
            xml_escape(&o.timeline)
        );
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_and_clock() {
        assert_eq!(duration_text(3600.0), "1h");
        assert_eq!(duration_text(90.0), "1m30s");
        assert_eq!(duration_text(0.0), "0s");
        assert_eq!(duration_text(2.5), "2.5s");
        assert_eq!(clock_text(3725.0), "+1:02:05");
    }

    #[test]
    fn arns_become_names() {
        let mut t = Timeline::new(false, false);
        t.names.insert(
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/alb/1/2/3".into(),
            "the production rule".into(),
        );
        let m = t.shorten("forward weights of arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/alb/1/2/3 set to arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/threads-tg/abc:90, arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/threads-tg-2/def:10");
        assert_eq!(
            m,
            "forward weights of the production rule set to threads-tg:90, threads-tg-2:10"
        );
        t.event(&json!({"source": "iam", "message": "role x created", "time": 0.0}));
        assert!(t.text.is_empty(), "noise is not shown");
    }

    #[test]
    fn what_is_shown_is_read_from_the_kind_of_an_entry() {
        use crate::timeline::{AlarmStateValue, Entry, Event, TaskSetChange};
        let json = |entry: Entry| {
            Event {
                seq: 1,
                time: 0.0,
                entry,
            }
            .to_json()
        };
        let mut t = Timeline::new(false, false);
        let shown = [
            Entry::TaskSet {
                service: "s".into(),
                service_name: "web".into(),
                task_set: "ecs-svc/1".into(),
                change: TaskSetChange::Primary,
                task_definition: None,
            },
            Entry::AlarmState {
                alarm: "errors".into(),
                from: AlarmStateValue::Ok,
                to: AlarmStateValue::Alarm,
                reason: "r".into(),
            },
            Entry::InvocationFinished {
                request_id: "r".into(),
                function_arn: "f".into(),
                status: "200".into(),
                attempt: 1,
            },
            Entry::FaultsCleared {},
            Entry::TargetHealth {
                target_group_arn: "arn".into(),
                target_group_name: "threads-tg-2".into(),
                target: "10.0.1.4:3000".into(),
                id: "10.0.1.4".into(),
                state: crate::timeline::TargetHealthState::Unhealthy,
            },
            Entry::AlarmState {
                alarm: "errors".into(),
                from: AlarmStateValue::Ok,
                to: AlarmStateValue::InsufficientData,
                reason: "r".into(),
            },
        ];
        for e in shown {
            // Whatever its words say.
            let mut v = json(e);
            v["message"] = json!("words");
            let before = t.text.len();
            t.event(&v);
            assert!(t.text.len() > before, "{v} not shown");
        }
        let hidden = [
            Entry::ServiceEvent {
                service: "s".into(),
                service_name: "web".into(),
                text: "(service web) CodeDeploy deployment d: replacement task set x created".into(),
                steady_task_set: None,
            },
            Entry::AlarmState {
                alarm: "state ALARM".into(),
                from: AlarmStateValue::InsufficientData,
                to: AlarmStateValue::Ok,
                reason: "r".into(),
            },
            Entry::resource("cloudwatch", "alarm ALARM put", json!({})),
        ];
        // A task replaced: the service's own event (read from its words, the one entry that is).
        let before = t.text.len();
        t.event(&json(Entry::ServiceEvent {
            service: "s".into(),
            service_name: "web".into(),
            text: "(service web) has started 1 tasks: (task x).".into(),
            steady_task_set: None,
        }));
        assert!(t.text.len() > before, "a started task not shown");
        let before = t.text.len();
        for e in hidden {
            t.event(&json(e));
        }
        assert_eq!(t.text.len(), before, "{}", t.text);
        // An entry of a kind this version does not know is a plain line, shown by its source.
        t.event(&json!({"seq": 9, "time": 0.0, "source": "faults", "message": "a new fault", "kind": "newFault"}));
        assert!(t.text.ends_with("a new fault\n"), "{}", t.text);
    }

    #[test]
    fn junit_escapes_and_counts() {
        let o = Outcome {
            file: "a<b>.yaml".into(),
            name: "n \"q\"".into(),
            failure: Some(Failure {
                message: "expected 1 & got 2".into(),
                step: Some((3, super::super::yaml::Pos { line: 7, col: 5 })),
                from_api: false,
            }),
            timeline: "x\u{1}y".into(),
            events: vec![],
            wall: Duration::from_millis(1500),
            simulated: 0.0,
        };
        let x = junit(&[o]);
        assert!(x.contains("tests=\"1\" failures=\"1\""), "{x}");
        assert!(
            x.contains("classname=\"a&lt;b&gt;.yaml\" name=\"n &quot;q&quot;\""),
            "{x}"
        );
        assert!(
            x.contains("message=\"step 3 (a&lt;b&gt;.yaml:7): expected 1 &amp; got 2\""),
            "{x}"
        );
        assert!(x.contains("x\u{fffd}y"), "{x}");
    }
}
