use super::html::{esc, relative, target_group_name, timeline_html, timeline_html_with, Options};
use crate::timeline::{
    DeploymentStatus, Entry, Event, HookStatus, LifecycleStatus, TaskSetChange, TaskSetRole, TaskSetState, Weight,
};
use serde_json::{json, Value};

const T0: f64 = 1_700_000_000.0;
const PROD: &str =
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2";
const TEST: &str =
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/shop-alb/50dc6c495c0c9188/0467ef3c8400ae65";
const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-blue/73e2d6bc24d8a067";
const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-green/2453ed029918f21f";

fn ev(seq: u64, at: f64, source: &str, message: &str, data: Value) -> Value {
    let mut o = json!({"seq": seq, "time": T0 + at, "source": source, "message": message});
    if let (Some(o), Value::Object(d)) = (o.as_object_mut(), data) {
        o.extend(d);
    }
    o
}

/// A typed entry in its JSON form, as `GET /_emulator/events` answers it.
fn typed(seq: u64, at: f64, entry: Entry) -> Value {
    Event {
        seq,
        time: T0 + at,
        entry,
    }
    .to_json()
}

fn weights(seq: u64, at: f64, arn: &str, ws: &[(&str, i64)]) -> Value {
    typed(
        seq,
        at,
        Entry::TrafficWeights {
            arn: arn.into(),
            weights: ws
                .iter()
                .map(|(a, w)| Weight {
                    target_group_arn: (*a).into(),
                    weight: *w,
                })
                .collect(),
        },
    )
}

fn lifecycle(seq: u64, at: f64, id: &str, event: &str, status: LifecycleStatus) -> Value {
    let entry = Entry::LifecycleEvent {
        deployment_id: id.into(),
        event: event.into(),
        status,
    };
    typed(seq, at, entry)
}

fn hook(seq: u64, at: f64, id: &str, event: &str, function: Option<&str>, status: HookStatus) -> Value {
    let entry = Entry::Hook {
        deployment_id: id.into(),
        event: event.into(),
        function: function.map(str::to_owned),
        status,
    };
    typed(seq, at, entry)
}

fn ended(seq: u64, at: f64, id: &str, status: DeploymentStatus, error: Option<(&str, &str)>) -> Value {
    let entry = Entry::DeploymentEnded {
        deployment_id: id.into(),
        status,
        error_code: error.map(|e| e.0.to_owned()),
        error_message: error.map(|e| e.1.to_owned()),
        failed_lifecycle_events: error.map(|_| Vec::new()),
    };
    typed(seq, at, entry)
}

fn started(seq: u64, at: f64, id: &str, original_tg: &str) -> Value {
    let entry = Entry::DeploymentStarted {
        deployment_id: id.into(),
        original_target_group: original_tg.into(),
        replacement_target_group: GREEN.into(),
        original_task_set: "ecs-svc/111".into(),
        production_listeners: vec![PROD.into()],
        test_listeners: vec![TEST.into()],
    };
    typed(seq, at, entry)
}

fn ecs_task_set(seq: u64, at: f64, id: &str, change: TaskSetChange, td: Option<&str>) -> Value {
    let entry = Entry::TaskSet {
        service: "svc".into(),
        service_name: "web".into(),
        task_set: id.into(),
        change,
        task_definition: td.map(str::to_owned),
    };
    typed(seq, at, entry)
}

fn steady(seq: u64, at: f64, id: &str) -> Value {
    let entry = Entry::ServiceEvent {
        service: "svc".into(),
        service_name: "web".into(),
        text: format!("(service web, taskSet {id}) updated state to STEADY_STATE."),
        steady_task_set: Some(id.into()),
    };
    typed(seq, at, entry)
}

/// Every start tag `<NAME ...>` whose class attribute is `class`, as (attribute, value) lists.
fn tags(html: &str, name: &str, class: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let open = format!("<{name} ");
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        let mut attrs = Vec::new();
        let mut t = tag;
        while let Some(eq) = t.find("=\"") {
            let key = t[..eq].trim().rsplit(' ').next().unwrap_or("").to_owned();
            let after = &t[eq + 2..];
            let close = after.find('"').unwrap_or(after.len());
            attrs.push((key, after[..close].to_owned()));
            t = &after[(close + 1).min(after.len())..];
        }
        if attrs.iter().any(|(k, v)| k == "class" && v == class) {
            out.push(attrs);
        }
    }
    out
}

/// "A B" for the attributes `a` and `b` of every tag `tags` finds.
fn pairs(html: &str, name: &str, class: &str, a: &str, b: &str) -> Vec<String> {
    tags(html, name, class)
        .iter()
        .map(|t| format!("{} {}", attr(t, a), attr(t, b)))
        .collect()
}

fn attr<'a>(tag: &'a [(String, String)], key: &str) -> &'a str {
    tag.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// A blue/green deployment as the emulator's timeline has it (structured CodeDeploy fields).
fn deployment() -> Vec<Value> {
    let id = "d-ABCDEF123";
    use LifecycleStatus::{InProgress, Succeeded};
    vec![
        typed(
            1,
            0.0,
            Entry::resource(
                "ecs",
                "service web created with the CODE_DEPLOY deployment controller",
                json!({"service": "svc"}),
            ),
        ),
        ecs_task_set(2, 0.0, "ecs-svc/111", TaskSetChange::Created, Some("web:1")),
        steady(3, 30.0, "ecs-svc/111"),
        typed(
            4,
            60.0,
            Entry::DeploymentCreated {
                deployment_id: id.into(),
                group: "web".into(),
                application: "shop".into(),
            },
        ),
        started(5, 61.0, id, BLUE),
        lifecycle(6, 61.0, id, "BeforeInstall", InProgress),
        lifecycle(7, 61.0, id, "BeforeInstall", Succeeded),
        lifecycle(8, 61.0, id, "Install", InProgress),
        ecs_task_set(9, 61.0, "ecs-svc/222", TaskSetChange::Created, Some("web:2")),
        typed(
            10,
            61.0,
            Entry::DeploymentTaskSet {
                deployment_id: id.into(),
                task_set: Some("ecs-svc/222".into()),
                state: TaskSetState::Created,
                role: TaskSetRole::Replacement,
            },
        ),
        steady(11, 95.0, "ecs-svc/222"),
        lifecycle(12, 96.0, id, "Install", Succeeded),
        weights(13, 96.0, TEST, &[(GREEN, 100), (BLUE, 0)]),
        lifecycle(14, 96.0, id, "BeforeAllowTraffic", InProgress),
        hook(15, 96.0, id, "BeforeAllowTraffic", Some("check"), HookStatus::Invoked),
        hook(16, 100.0, id, "BeforeAllowTraffic", None, HookStatus::Succeeded),
        lifecycle(17, 100.0, id, "BeforeAllowTraffic", Succeeded),
        lifecycle(18, 100.0, id, "AllowTraffic", InProgress),
        weights(19, 100.0, PROD, &[(GREEN, 10), (BLUE, 90)]),
        weights(20, 400.0, PROD, &[(GREEN, 100), (BLUE, 0)]),
        ecs_task_set(21, 400.0, "ecs-svc/222", TaskSetChange::Primary, None),
        lifecycle(22, 400.0, id, "AllowTraffic", Succeeded),
        ecs_task_set(23, 700.0, "ecs-svc/111", TaskSetChange::Deleted, None),
        ended(24, 700.0, id, DeploymentStatus::Succeeded, None),
    ]
}

#[test]
fn the_page_is_self_contained_html_with_the_chart_drawn_server_side() {
    let html = timeline_html("shop deploy", &deployment());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>shop deploy</title>"));
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 1);
    // Nothing loaded from elsewhere: no external scripts, styles, images or fonts.
    for needle in [
        "<script src",
        "<link",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(http",
    ] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
    // A static page does not poll.
    assert!(html.contains("data-poll=\"\""));
    assert!(!html.contains("http-equiv=\"refresh\""));
    // One table row per entry, linked by seq.
    assert_eq!(html.matches("<tr id=\"ev-").count(), deployment().len());
    assert!(html.contains("<tr id=\"ev-24\""));
}

#[test]
fn weights_are_steps_per_listener_with_target_group_names_and_shares() {
    let html = timeline_html("t", &deployment());
    let panels = tags(&html, "g", "weights");
    // Production first, then test, labelled by role and load balancer, not by ARN.
    assert_eq!(
        panels.iter().map(|p| attr(p, "data-arn")).collect::<Vec<_>>(),
        vec![PROD, TEST]
    );
    assert_eq!(attr(&panels[0], "data-label"), "production listener shop-alb …522ab2");
    assert_eq!(attr(&panels[1], "data-label"), "test listener shop-alb …00ae65");
    let segs = tags(&html, "rect", "w-seg");
    let prod: Vec<(&str, &str, &str)> = segs
        .iter()
        .filter(|s| attr(s, "data-series") == "0")
        .map(|s| (attr(s, "data-tg"), attr(s, "data-percent"), attr(s, "data-t")))
        .collect();
    // Original (blue) stacked first, replacement (green) on top; times relative to the first entry.
    assert_eq!(
        prod,
        vec![
            ("web-blue", "90", "100"),
            ("web-green", "10", "100"),
            ("web-blue", "0", "400"),
            ("web-green", "100", "400"),
        ]
    );
    // The last step runs to the end of the timeline; each step is as wide as its time.
    let width = |i: usize| attr(&segs[i], "width").parse::<f64>().unwrap_or(0.0);
    assert!(
        width(0) > 100.0 && (width(0) - width(2)).abs() < 0.2,
        "{} {}",
        width(0),
        width(2)
    );
    // The original target group is blue, the replacement green, whatever order the weights list them.
    assert!(segs
        .iter()
        .filter(|s| attr(s, "data-tg") == "web-blue")
        .all(|s| attr(s, "fill") == "#2f6fde"));
    assert!(segs
        .iter()
        .filter(|s| attr(s, "data-tg") == "web-green")
        .all(|s| attr(s, "fill") == "#1e9e5a"));
    // The legend names the target groups and their roles.
    assert!(html.contains(
        "data-tg=\"web-blue\"><span class=\"sw\" style=\"background:#2f6fde\"></span>web-blue <i>original</i>"
    ));
    assert!(html.contains("web-green <i>replacement</i>"));
    // Labels are short (whole ARNs stay in data attributes and tooltips).
    assert!(html.contains(">production listener<title>"));
    assert!(html.contains(">shop-alb …522ab2</text>"));
}

#[test]
fn weights_are_shares_of_their_total() {
    let events = vec![
        weights(1, 0.0, PROD, &[(BLUE, 1), (GREEN, 3)]),
        weights(2, 10.0, PROD, &[(BLUE, 0), (GREEN, 0)]),
    ];
    let html = timeline_html("t", &events);
    let segs: Vec<(String, String, String)> = tags(&html, "rect", "w-seg")
        .iter()
        .map(|s| {
            (
                attr(s, "data-tg").to_owned(),
                attr(s, "data-weight").to_owned(),
                attr(s, "data-percent").to_owned(),
            )
        })
        .collect();
    let want = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        segs,
        vec![
            want("web-blue", "1", "25"),
            want("web-green", "3", "75"),
            want("web-blue", "0", "0"),
            want("web-green", "0", "0"),
        ]
    );
    // With no CodeDeploy roles, colors follow first appearance.
    assert!(html.contains("data-tg=\"web-blue\"><span class=\"sw\" style=\"background:#2f6fde\">"));
    assert!(html.contains("data-tg=\"web-green\"><span class=\"sw\" style=\"background:#1e9e5a\">"));
}

#[test]
fn lifecycle_events_hooks_markers_and_task_sets_are_drawn() {
    let html = timeline_html("t", &deployment());
    let lifecycle = tags(&html, "rect", "lifecycle");
    let got: Vec<(&str, &str)> = lifecycle
        .iter()
        .map(|b| (attr(b, "data-event"), attr(b, "data-status")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("BeforeInstall", "Succeeded"),
            ("Install", "Succeeded"),
            ("BeforeAllowTraffic", "Succeeded"),
            ("AllowTraffic", "Succeeded"),
        ]
    );
    // Install ran 35 s: its duration is written next to it.
    assert!(html.contains(">0:00:35</text>"));
    assert_eq!(
        pairs(&html, "circle", "hook", "data-event", "data-status"),
        vec!["BeforeAllowTraffic Invoked", "BeforeAllowTraffic Succeeded"]
    );
    let dep = tags(&html, "rect", "dep-bar");
    assert_eq!(attr(&dep[0], "data-status"), "Succeeded");
    assert!(html.contains("▶ d-ABCDEF123 started<title>"));
    assert!(html.contains("✔ d-ABCDEF123 Succeeded<title>"));
    // Task sets: the original (blue) steady then deleted, the replacement steady then PRIMARY.
    assert_eq!(
        pairs(&html, "g", "task-set", "data-id", "data-role"),
        vec!["ecs-svc/111 original", "ecs-svc/222 replacement"]
    );
    let marks: Vec<String> = tags(&html, "text", "ts-mark")
        .iter()
        .map(|m| attr(m, "data-kind").to_owned())
        .collect();
    assert_eq!(marks, vec!["steady", "deleted", "steady", "PRIMARY"]);
}

#[test]
fn the_picture_is_drawn_from_the_kinds_of_the_entries_not_their_words() {
    let words = |events: Vec<Value>, f: &dyn Fn(&str) -> String| -> Vec<Value> {
        events
            .into_iter()
            .map(|mut e| {
                let m = f(e["message"].as_str().unwrap_or(""));
                e["message"] = json!(m);
                e
            })
            .collect()
    };
    let plain = timeline_html("t", &deployment());
    // Other words (another language, another version): the same picture.
    let other = timeline_html("t", &words(deployment(), &|_| "quelque chose".into()));
    for (class, a, b) in [
        ("lifecycle", "data-event", "data-status"),
        ("task-set", "data-id", "data-role"),
        ("ts-mark", "data-kind", "data-kind"),
        ("hook", "data-event", "data-status"),
        ("dep-bar", "data-status", "fill"),
        ("w-seg", "data-tg", "data-percent"),
    ] {
        for tag in ["rect", "g", "text", "circle"] {
            assert_eq!(
                pairs(&plain, tag, class, a, b),
                pairs(&other, tag, class, a, b),
                "{tag}.{class}"
            );
        }
    }
    assert_eq!(
        pairs(&other, "g", "task-set", "data-id", "data-role"),
        vec!["ecs-svc/111 original", "ecs-svc/222 replacement"]
    );
    let marks: Vec<String> = tags(&other, "text", "ts-mark")
        .iter()
        .map(|m| attr(m, "data-kind").to_owned())
        .collect();
    assert_eq!(marks, vec!["steady", "deleted", "steady", "PRIMARY"]);
    // Entries without a kind (old words only) are listed, not drawn.
    let untyped: Vec<Value> = deployment()
        .into_iter()
        .map(|mut e| {
            if let Some(o) = e.as_object_mut() {
                o.remove("kind");
            }
            e
        })
        .collect();
    let html = timeline_html("t", &untyped);
    assert_eq!(html.matches("<tr id=\"ev-").count(), untyped.len());
    assert!(tags(&html, "rect", "lifecycle").is_empty());
    assert!(tags(&html, "g", "task-set").is_empty());
}

#[test]
fn a_failure_and_its_rollback_are_drawn_from_the_typed_entries() {
    let id = "d-OLDSTYLE1";
    use LifecycleStatus::{InProgress, Succeeded};
    let events = vec![
        started(1, 0.0, id, BLUE),
        lifecycle(2, 0.0, id, "BeforeInstall", InProgress),
        lifecycle(3, 0.0, id, "BeforeInstall", Succeeded),
        lifecycle(4, 0.0, id, "Install", InProgress),
        lifecycle(5, 50.0, id, "Install", Succeeded),
        lifecycle(6, 50.0, id, "AfterInstall", InProgress),
        hook(7, 50.0, id, "AfterInstall", Some("check"), HookStatus::Invoked),
        ended(
            8,
            80.0,
            id,
            DeploymentStatus::Failed,
            Some((
                "HOOK_EXECUTION_FAILURE",
                "the AfterInstall lifecycle hook reported Failed.",
            )),
        ),
        typed(
            9,
            80.0,
            Entry::RollbackCreated {
                deployment_id: id.into(),
                rollback_id: "d-ROLLBACK1".into(),
            },
        ),
        typed(
            10,
            81.0,
            Entry::DeploymentRollingBack {
                deployment_id: "d-ROLLBACK1".into(),
            },
        ),
        ended(11, 82.0, "d-ROLLBACK1", DeploymentStatus::Succeeded, None),
    ];
    let html = timeline_html("t", &events);
    let got: Vec<(String, String)> = tags(&html, "rect", "lifecycle")
        .iter()
        .map(|b| (attr(b, "data-event").to_owned(), attr(b, "data-status").to_owned()))
        .collect();
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        got,
        vec![
            s("BeforeInstall", "Succeeded"),
            s("Install", "Succeeded"),
            s("AfterInstall", "Failed")
        ]
    );
    let hooks = tags(&html, "circle", "hook");
    assert_eq!(attr(&hooks[0], "data-status"), "Invoked");
    assert_eq!(
        pairs(&html, "rect", "dep-bar", "data-status", "fill"),
        vec!["Failed #d64545", "Succeeded #1e9e5a"]
    );
    assert!(html.contains("✖ d-OLDSTYLE1 Failed<title>"));
    assert!(html.contains("↺ rollback d-ROLLBACK1<title>"));
    assert!(html.contains("deployment <b>d-ROLLBACK1</b> (rollback of d-OLDSTYLE1): Succeeded at +0:01:22</li>"));
    // The summary says why a deployment failed.
    assert!(html.contains(
        "deployment <b>d-OLDSTYLE1</b>: Failed at +0:01:20: Failed (HOOK_EXECUTION_FAILURE): the AfterInstall \
         lifecycle hook reported Failed.</li>"
    ));
    assert!(html.contains(">rollback d-ROLLBACK1<title>"));
}

#[test]
fn every_string_is_escaped() {
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";
    let evil_tg = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/<b>x\"y<b>/1";
    let evil_listener = "arn:aws:elasticloadbalancing:us-east-1:0:listener/app/<i>lb\"</i>/1/2";
    let events = vec![
        ev(1, 0.0, evil, evil, json!({evil: evil})),
        weights(2, 1.0, evil_listener, &[(evil_tg, 1)]),
        started(3, 2.0, evil, evil_tg),
        lifecycle(4, 3.0, evil, evil, LifecycleStatus::InProgress),
        hook(5, 3.0, evil, evil, Some(evil), HookStatus::Invoked),
        ended(6, 4.0, evil, DeploymentStatus::Failed, Some((evil, evil))),
        typed(
            7,
            5.0,
            Entry::ServiceEvent {
                service: evil.into(),
                service_name: evil.into(),
                text: evil.into(),
                steady_task_set: Some(evil.into()),
            },
        ),
        typed(
            8,
            5.0,
            Entry::TaskSet {
                service: evil.into(),
                service_name: evil.into(),
                task_set: evil.into(),
                change: TaskSetChange::Created,
                task_definition: Some(evil.into()),
            },
        ),
    ];
    let html = timeline_html(evil, &events);
    // The only tags are the page's own: no script but the page's one, no img, no b or i from data.
    assert_eq!(html.matches("<script").count(), 1);
    for t in ["<img", "<b>x", "<i>lb", "alert(1)</script>"] {
        assert!(!html.contains(t), "{t} unescaped in the page");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;"));
    // Attribute values cannot be closed early either.
    assert!(html.contains("data-tg=\"&lt;b&gt;x&quot;y&lt;b&gt;\""));
    assert!(!html.contains("\"y<b>"));
    assert_eq!(esc("<a href='x'>&\""), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;");
    // The live poll URL is escaped too.
    let live = timeline_html_with(
        "t",
        &[],
        &Options {
            poll_events: Some("events\"><script>x</script>".into()),
        },
    );
    assert_eq!(live.matches("<script").count(), 1);
}

#[test]
fn times_are_relative_to_the_first_entry_and_absolute() {
    assert_eq!(relative(0.0), "+0:00:00");
    assert_eq!(relative(330.0), "+0:05:30");
    assert_eq!(relative(3723.5), "+1:02:03.500");
    assert_eq!(relative(-2.0), "-0:00:02");
    let html = timeline_html("t", &deployment());
    // The axis is labelled in simulated time, and the table gives both times.
    assert!(html.contains(">+0:02:00</text>"));
    assert!(html.contains("simulated time since the first entry (h:mm:ss); +0:00:00 = 2023-11-14T22:13:20Z"));
    assert!(html.contains("<td class=\"num\">+0:11:40</td><td class=\"when\">2023-11-14T22:25:00Z</td>"));
    assert!(html.contains("over 0:11:40 of simulated time"));
}

#[test]
fn an_empty_or_odd_timeline_still_renders() {
    let html = timeline_html("nothing yet", &[]);
    assert!(html.contains("The timeline is empty"));
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.contains("no forward weights were set"));
    // Entries without times, not objects, or with data of the wrong types do not break the page.
    let odd = vec![
        json!("not an object"),
        json!({"seq": 1, "source": "x", "message": "no time"}),
        json!({"seq": 2, "time": T0, "source": "elbv2", "message": "w", "Arn": 5, "Weights": "no"}),
        json!({"seq": 3, "time": T0, "source": "elbv2", "message": "w", "Arn": PROD, "Weights": [{"Weight": 1}, 7]}),
        json!({"seq": 4, "time": T0, "source": "codedeploy", "message": "m", "deploymentId": "d", "step": "lifecycle"}),
        json!({"seq": 5, "time": T0, "source": "ecs", "message": "updated state to STEADY_STATE", "taskSet": 3}),
    ];
    let html = timeline_html("odd", &odd);
    assert_eq!(html.matches("<tr id=\"ev-").count(), 5);
    assert_eq!(target_group_name(BLUE), "web-blue");
    assert_eq!(target_group_name("plain"), "plain");
}

#[test]
fn a_live_page_polls_the_events_and_refreshes_without_scripts() {
    let html = timeline_html_with(
        "t",
        &deployment(),
        &Options {
            poll_events: Some("events".into()),
        },
    );
    assert!(html.contains("data-poll=\"events\""));
    assert!(html.contains("data-last-seq=\"24\""));
    assert!(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"));
    assert!(html.contains("id=\"live\" checked"));
}
