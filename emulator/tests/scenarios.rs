//! Scenarios end to end: every built-in scenario in-process (with its hooks as real Lambda
//! processes), a scenario that fails and says why, and the `cutover scenario run` / `cutover lab`
//! commands as a user runs them (exit codes, file:line errors, JUnit XML, --endpoint).

use cutover::scenario::{self, run};
use std::process::{Command, Stdio};
use std::time::Duration;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cutover")
}

async fn run_builtin(name: &str) -> run::Outcome {
    run_scenario(&scenario::load(&format!("builtin:{name}")).expect("built-in scenarios parse")).await
}

/// Runs a scenario in-process, quietly.
async fn run_scenario(s: &scenario::Scenario) -> run::Outcome {
    let options = run::Options {
        endpoint: None,
        echo: false,
        verbose: false,
    };
    run::run(s, &options).await
}

macro_rules! builtin_passes {
    ($($test:ident => $name:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let o = run_builtin($name).await;
            assert!(o.passed(), "{}\n{:?}", o.timeline, o.failure);
            assert!(o.simulated > 0.0, "{}", o.timeline);
        }
    )*};
}

builtin_passes! {
    builtin_lab_happy_path => "lab-happy-path",
    builtin_hook_failure_rollback => "hook-failure-rollback",
    builtin_hook_timeout_rollback => "hook-timeout-rollback",
    builtin_unhealthy_green_rollback => "unhealthy-green-rollback",
    builtin_alarm_rollback => "alarm-rollback",
    builtin_stop_with_rollback => "stop-with-rollback",
    builtin_canary => "canary",
    builtin_linear => "linear",
    builtin_ready_wait_continue => "ready-wait-continue",
    builtin_termination_wait_continue => "termination-wait-continue",
    builtin_second_deployment_swaps => "second-deployment-swaps",
}

#[test]
fn every_builtin_has_a_test_here() {
    let src = include_str!("scenarios.rs");
    for (name, _) in scenario::builtin() {
        assert!(
            src.contains(&format!("=> \"{name}\"")),
            "built-in scenario {name} has no test"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_happy_path_timeline_tells_the_story() {
    let o = run_builtin("lab-happy-path").await;
    assert!(o.passed(), "{}", o.timeline);
    let t = &o.timeline;
    let order = [
        "Install started",
        "forward weights of the test listener set to threads-tg-2:100, threads-tg:0",
        "AfterAllowTestTraffic hook CodeDeployHook_pre-traffic-hook invoked",
        "AfterAllowTestTraffic hook reported Succeeded",
        "forward weights of the production rule set to threads-tg-2:100, threads-tg:0",
        "original task set",
        ": Succeeded\n",
    ];
    let mut at = 0;
    for want in order {
        match t[at..].find(want) {
            Some(i) => at += i + want.len(),
            None => panic!("'{want}' missing or out of order in:\n{t}"),
        }
    }
    assert!(t.contains("PASSED: Lab 4 happy path"), "{t}");
    // The emulator's own timeline comes back for the picture, weights included.
    assert!(
        o.events
            .iter()
            .any(|e| e["source"] == "elbv2" && e.get("Weights").is_some()),
        "{:?}",
        o.events
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_expectation_says_what_was_expected_and_what_was_found() {
    let text = "name: wrong weights\nsetup: {lab: {}}\nsteps:\n  - deploy: {image: 'threads:v2'}\n  - wait:\n      deployment: ${deployment}\n      that: {status: Succeeded}\n  - expect:\n      traffic: production\n      that: {threads-tg: 100}\n";
    let o = run_text("wrong.yaml", text).await;
    let f = o.failure.expect("the scenario must fail");
    assert_eq!(f.step.map(|(i, p)| (i, p.line)), Some((3, 8)), "{f:?}");
    assert_eq!(
        f.message, "threads-tg (line 10): expected 100, actual 0",
        "{}",
        o.timeline
    );
    assert!(
        o.timeline.contains("FAILED at step 3 (wrong.yaml:8:5)"),
        "{}",
        o.timeline
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_save_and_interpolate_and_expected_errors_pass() {
    let text = r#"name: calls
steps:
  - call: ecs.CreateCluster
    input: {clusterName: c1}
    save: {arn: cluster.clusterArn}
  - call: ecs.DescribeClusters
    input: {clusters: ["${arn}"]}
    expect:
      clusters[0].clusterName: c1
      clusters[0].clusterArn: {matches: "^arn:aws:ecs:us-east-1:000000000000:cluster/c1$"}
      failures: {length: 0}
  - call: ecs.DeleteCluster
    input: {cluster: nope}
    error: ClusterNotFoundException
  - call: codedeploy.GetDeployment
    input: {deploymentId: d-NOPE12345}
    error: DeploymentDoesNotExistException
"#;
    let o = run_text("calls.yaml", text).await;
    assert!(o.passed(), "{}\n{:?}", o.timeline, o.failure);

    // A wrong expected error is a failure naming both codes.
    let o = run_text(
        "calls.yaml",
        "name: x\nsteps:\n  - call: ecs.DeleteCluster\n    input: {cluster: nope}\n    error: AccessDeniedException\n",
    )
    .await;
    let f = o.failure.expect("must fail");
    assert!(
        f.message.contains("AccessDeniedException") && f.message.contains("ClusterNotFoundException"),
        "{f:?}"
    );
    // An unknown variable names the ones there are, before anything runs.
    let e = scenario::parse(
        "vars.yaml",
        "name: x\nsteps:\n  - call: ecs.CreateCluster\n    save: {arn: cluster.clusterArn}\n  - call: ecs.DescribeClusters\n    input: {clusters: ['${nope}']}\n",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("${nope} is never set; set before here: arn"),
        "{e}"
    );
}

fn cutover(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run cutover")
}

#[test]
fn cli_bad_files_exit_2_naming_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("cutover-scn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "typo.yaml",
            "name: x\nsteps:\n  - advance: 5\n  - wiat: {deployment: x}\n",
            "typo.yaml:4:5: steps[2].wiat: a step starts with one of",
        ),
        (
            "op.yaml",
            "name: x\nsteps:\n  - call: ecs.DescribeServises\n",
            "op.yaml:3:11: steps[1].call: ecs has no operation 'DescribeServises'",
        ),
        (
            "dur.yaml",
            "name: x\nsteps:\n  - wait: {call: ecs.ListClusters, that: {clusterArns: []}, timeout: soon}\n",
            "dur.yaml:3:70: steps[1].wait.timeout: expected a duration",
        ),
        ("yaml.yaml", "name: x\nsteps: [\n", "yaml.yaml:3:1: not valid YAML"),
        // Every mistake of a file, one a line: a wrong-case member, an unknown matcher, a
        // variable never set.
        (
            "all.yaml",
            "name: x\nsteps:\n  - call: cloudwatch.SetAlarmState\n    input: {alarmName: a, StateValue: ALARMED, StateReason: r}\n  - expect: {call: ecs.ListClusters, that: {clusterArns: {containz: x}}}\n  - note: '${never}'\n",
            "all.yaml:4:13: steps[1].call.input.alarmName: unknown member; did you mean AlarmName?\n\
             cutover: all.yaml:4:39: steps[1].call.input.StateValue: 'ALARMED' is not one of: OK, ALARM, INSUFFICIENT_DATA\n\
             cutover: all.yaml:5:59: steps[2].expect.that.clusterArns.containz: unknown matcher 'containz'; did you mean contains? the matchers are: equals, in, contains, matches, exists, length, atLeast, atMost (to expect a mapping, write {equals: {...}})\n\
             cutover: all.yaml:6:11: steps[3].note: ${never} is never set; set before here: none\n",
        ),
    ];
    for (file, text, want) in cases {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        let out = cutover(&["scenario", "run", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        let shown = err.replace(&format!("{}/", dir.display()), "");
        assert!(shown.contains(want), "{file}: wanted '{want}' in: {shown}");
    }
    let out = cutover(&["scenario", "run", "builtin:nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lab-happy-path"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_failure_exits_1_and_junit_records_it() {
    let dir = std::env::temp_dir().join(format!("cutover-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "name: no such cluster\nsteps:\n  - call: ecs.DescribeClusters\n    input: {clusters: [ghost]}\n    expect: {failures: {length: 0}}\n",
    )
    .unwrap();
    let junit = dir.join("out.xml");
    let out = cutover(&[
        "scenario",
        "run",
        "--quiet",
        "builtin:canary",
        bad.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("ok    Canary"), "{stdout}");
    assert!(
        stdout.contains("FAIL  no such cluster") && stdout.contains("at step 1, line 3"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains("expected length 0, actual [{"), "{xml}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cutover_lab_prints_the_walkthrough() {
    let out = cutover(&["lab"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for want in [
        "=== Lab 4 happy path",
        "Lab 4 topology ready",
        "AfterAllowTestTraffic hook reported Succeeded",
        "forward weights of the production rule set to threads-tg-2:100, threads-tg:0",
        "PASSED: Lab 4 happy path",
    ] {
        assert!(stdout.contains(want), "'{want}' missing:\n{stdout}");
    }
}

#[test]
fn cli_runs_against_a_running_emulator() {
    let mut server = Command::new(bin())
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--clock",
            "scaled:10",
            "--log-level",
            "error",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start cutover serve");
    let mut line = String::new();
    {
        use std::io::BufRead;
        let stdout = server.stdout.take().unwrap();
        std::io::BufReader::new(stdout).read_line(&mut line).unwrap();
    }
    let url = line.trim().strip_prefix("ready ").expect("ready line").to_owned();
    // Something left in the emulator from before: the run resets it first.
    let leftover = http_post(
        &format!("{url}/_emulator/call"),
        r#"{"service": "ecs", "operation": "CreateCluster", "input": {"clusterName": "leftover"}}"#,
    );
    assert!(leftover.starts_with("HTTP/1.1 200"), "{leftover}");
    let out = Command::new(bin())
        .args(["scenario", "run", "builtin:hook-failure-rollback", "--endpoint", &url])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The server's timeline has the deployment too: the run really happened there.
    let events = ureq_get(&format!("{url}/_emulator/events"));
    // The run held the clock on manual and gave the scaled clock back.
    let clock = ureq_get(&format!("{url}/_emulator/clock"));
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Failed (HOOK_EXECUTION_FAILURE): The deployment failed because the AfterAllowTestTraffic lifecycle hook reported Failed."),
        "{stdout}"
    );
    assert!(events.contains("rollback deployment"), "{events}");
    assert!(
        !events.contains("cluster leftover created"),
        "the run did not reset the emulator: {events}"
    );
    assert!(clock.contains(r#""mode":"scaled","scale":10.0"#), "{clock}");
}

/// A plain HTTP/1.1 request with std only (the test has no client crate); the whole answer.
fn http(method: &str, url: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn http_post(url: &str, body: &str) -> String {
    http("POST", url, body)
}

fn ureq_get(url: &str) -> String {
    http("GET", url, "")
}

#[test]
fn cli_html_draws_each_scenario() {
    let dir = std::env::temp_dir().join(format!("cutover-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let one = dir.join("canary.html");
    // A path ending in / is a directory even for one scenario.
    let single_dir = format!("{}/single/", dir.display());
    let out = cutover(&["scenario", "run", "--quiet", "builtin:canary", "--html", &single_dir]);
    assert_eq!(out.status.code(), Some(0));
    assert!(std::path::Path::new(&single_dir).join("canary.html").is_file());
    let out = cutover(&[
        "scenario",
        "run",
        "--quiet",
        "builtin:canary",
        "--html",
        one.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let page = std::fs::read_to_string(&one).unwrap();
    assert!(
        page.contains("<svg") && page.contains("Canary, 10 percent for five minutes"),
        "{page}"
    );
    // The canary's two steps are on the chart: 10% then 100% to the replacement.
    assert!(page.contains("10%") && page.contains("100%"), "{page}");

    let many = dir.join("pages");
    let out = cutover(&[
        "scenario",
        "run",
        "--quiet",
        "builtin:canary",
        "builtin:stop-with-rollback",
        "--html",
        many.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    for f in ["canary.html", "stop-with-rollback.html"] {
        let page = std::fs::read_to_string(many.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(page.contains("<svg"), "{f}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

async fn run_text(file: &str, text: &str) -> run::Outcome {
    run_scenario(&scenario::parse(file, text).unwrap_or_else(|e| panic!("{e}"))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_advance_never_outruns_a_hook() {
    // Three hours in one step: the hook is invoked 36 s in, and its answer lands then, not at the
    // end of the jump (which would be past its one-hour timeout).
    let o = run_text(
        "bigadv.yaml",
        "name: x\nsetup:\n  lab: {}\n  hooks: {H: {reports: Succeeded}}\nsteps:\n  - deploy: {image: 'threads:v2', hooks: {AfterAllowTestTraffic: H}}\n  - advance: 3h\n  - expect: {deployment: '${deployment}', that: {status: Succeeded}}\n  - expect: {lifecycle: '${deployment}', that: {AfterAllowTestTraffic: Succeeded}}\n",
    )
    .await;
    assert!(o.passed(), "{}\n{:?}", o.timeline, o.failure);
    // Without the stop at the hook the answer would land after the jump, past the hook's
    // one-hour timeout, and the deployment would have failed.
    assert!(!o.timeline.contains("Failed"), "{}", o.timeline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_looks_last_at_its_timeout_and_fails_with_what_it_saw() {
    // Install takes about 35 s. Looking every 10 minutes with a 20 s timeout must look at 0 and at
    // 20 s and fail, not jump 10 minutes and find it done.
    let o = run_text(
        "wait.yaml",
        "name: x\nsetup: {lab: {}}\nsteps:\n  - deploy: {image: 'threads:v2'}\n  - wait: {lifecycle: '${deployment}', that: {Install: Succeeded}, every: 10m, timeout: 20s}\n",
    )
    .await;
    let f = o.failure.expect("must time out");
    assert!(
        f.message.starts_with(
            "not reached within 20s simulated: Install (line 5): expected \"Succeeded\", actual \"InProgress\""
        ),
        "{f:?}"
    );
    // A variable never set is a mistake of the file, found before anything runs (not an hour of
    // polling).
    let e = scenario::parse(
        "wait.yaml",
        "name: x\nsteps:\n  - wait: {call: ecs.DescribeClusters, input: {clusters: ['${nope}']}, that: {failures: []}}\n",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "wait.yaml:3:59: steps[1].wait.input.clusters[1]: ${nope} is never set; set before here: none"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_error_and_images_as_written() {
    let o = run_text(
        "deploy.yaml",
        "name: x\nsetup: {lab: {}}\nsteps:\n  - deploy: {image: 'nginx:1.27'}\n  - call: ecs.DescribeTaskDefinition\n    input: {taskDefinition: 'threads-task-def:2'}\n    expect: {'taskDefinition.containerDefinitions[0].image': 'nginx:1.27'}\n  - deploy: {image: v3}\n    error: DeploymentLimitExceededException\n",
    )
    .await;
    assert!(o.passed(), "{}\n{:?}", o.timeline, o.failure);
    // Several matchers on one path must all hold.
    let o = run_text(
        "m.yaml",
        "name: x\nsteps:\n  - call: ecs.CreateCluster\n    input: {clusterName: c}\n    expect: {cluster.registeredContainerInstancesCount: {atLeast: 1, atMost: 5}}\n",
    )
    .await;
    let f = o.failure.expect("0 is not at least 1");
    assert!(f.message.contains("expected at least 1, actual 0"), "{f:?}");
    assert!(!f.message.contains("at most"), "{f:?}");
}

/// The fields every entry of a kind carried on `GET /_emulator/events` before entries were typed.
fn fields_before_typing(kind: &str, step_status: Option<&str>) -> &'static [&'static str] {
    match (kind, step_status) {
        ("deploymentCreated", _) | ("deploymentNote", _) => &["deploymentId"],
        ("deploymentStarted", _) => &[
            "deploymentId",
            "step",
            "status",
            "originalTargetGroup",
            "replacementTargetGroup",
            "originalTaskSet",
            "productionListeners",
            "testListeners",
        ],
        ("deploymentRollingBack", _) => &["deploymentId", "step", "status", "rollback"],
        ("deploymentEnded", Some("Succeeded")) => &["deploymentId", "step", "status"],
        ("deploymentEnded", _) => &["deploymentId", "step", "status", "errorCode", "failedLifecycleEvents"],
        ("lifecycleEvent", _) => &["deploymentId", "step", "lifecycleEvent", "status"],
        ("hook", Some("Invoked")) => &["deploymentId", "step", "lifecycleEvent", "function", "status"],
        ("hook", _) => &["deploymentId", "step", "lifecycleEvent", "status"],
        ("deploymentTaskSet", _) => &["deploymentId", "step", "taskSet", "state", "role"],
        ("deploymentTraffic", _) => &["deploymentId", "step", "replacementPercent"],
        ("rollbackCreated", _) => &["deploymentId", "step", "rollbackDeploymentId"],
        ("trafficWeights", _) => &["Arn", "Weights"],
        ("targetHealth", _) => &["TargetGroupArn", "Id", "State"],
        ("targetRegistered", _) => &["TargetGroupArn", "Id", "Port"],
        ("targetDeregistered", _) => &["TargetGroupArn"],
        ("targetDraining", _) => &["TargetGroupArn", "DelaySeconds"],
        ("taskSet", _) => &["service", "taskSet"],
        ("serviceEvent", _) => &["service"],
        ("invocationQueued", _) | ("invocationDropped", _) => &["requestId"],
        ("invocationFinished", _) => &["requestId", "status"],
        ("alarmState", _) => &["alarm", "from", "to", "reason"],
        _ => &[],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_of_a_run_is_typed_and_keeps_the_fields_it_had() {
    use cutover::timeline::{Entry, Event};
    for name in ["lab-happy-path", "hook-failure-rollback", "alarm-rollback"] {
        let o = run_builtin(name).await;
        assert!(o.passed(), "{}", o.timeline);
        let mut kinds = std::collections::BTreeSet::new();
        for v in &o.events {
            for k in ["seq", "time", "source", "message", "kind"] {
                assert!(v.get(k).is_some(), "{name}: no {k} in {v}");
            }
            let e = Event::from_json(v).expect("an object");
            // Read back as the kind it says, with the same words.
            assert_eq!(Some(e.message().as_str()), v["message"].as_str(), "{v}");
            assert_eq!(Some(e.source()), v["source"].as_str(), "{v}");
            let kind = v["kind"].as_str().unwrap_or("");
            if let Entry::Note { .. } = e.entry {
                assert_eq!(kind, "note", "{name}: {v} not read as its kind");
            }
            for k in fields_before_typing(kind, v["status"].as_str()) {
                assert!(v.get(*k).is_some(), "{name}: no {k} in {v}");
            }
            kinds.insert(kind.to_owned());
        }
        let hooks: &[&str] = if name == "alarm-rollback" { &[] } else { &["hook"] };
        for k in [
            "deploymentStarted",
            "lifecycleEvent",
            "trafficWeights",
            "taskSet",
            "deploymentEnded",
        ]
        .iter()
        .chain(hooks)
        {
            assert!(kinds.contains(*k), "{name}: no {k} entry in {kinds:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_on_a_deployment_stops_when_it_ends_otherwise() {
    // A happy path waited on for Failed: the wait ends when the deployment succeeds, not after
    // five hours of looking, and says when it ended.
    let started = std::time::Instant::now();
    let o = run_text(
        "ended.yaml",
        "name: x\nsetup: {lab: {}}\nsteps:\n  - deploy: {image: 'threads:v2'}\n  - wait: {deployment: '${deployment}', that: {status: Failed}, every: 1m, timeout: 5h}\n",
    )
    .await;
    let f = o.failure.expect("a deployment that succeeds is not Failed");
    let re =
        regex::Regex::new(r"^deployment (d-[A-Z0-9]+) ended Succeeded at (\+\d:\d\d:\d\d); wanted Failed$").unwrap();
    let caps = re
        .captures(&f.message)
        .unwrap_or_else(|| panic!("{f:?}\n{}", o.timeline));
    // The time is on the printed timeline's clock: its line saying the deployment succeeded.
    let at = &caps[2];
    assert!(
        o.timeline
            .lines()
            .any(|l| l.starts_with(at) && l.contains(&caps[1]) && l.contains("Succeeded")),
        "{at} not on the timeline:\n{}",
        o.timeline
    );
    // It stopped at the first look after the end: well before the 5 h timeout.
    let looks = o.timeline.matches("advance").count();
    assert!(!o.timeline.contains("not reached within"), "{}", o.timeline);
    assert!(started.elapsed() < Duration::from_secs(60), "{looks}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_sees_a_target_state_held_between_its_looks() {
    // Green targets fail their checks: each turns unhealthy, is drained and replaced. Looking only
    // at 0 s and at 10 min, neither look need find one unhealthy; the timeline of the time between
    // says one was.
    let o = run_text(
        "transient.yaml",
        "name: x\nsetup: {lab: {}}\nsteps:\n  - fault: {targetHealth: unhealthy, taskDefinition: 'threads-task-def:2'}\n  - deploy: {image: 'threads:broken'}\n  - wait: {targets: threads, that: {threads-tg-2: {contains: unhealthy}}, every: 10m, timeout: 10m}\n",
    )
    .await;
    assert!(o.passed(), "{}\n{:?}", o.timeline, o.failure);
    assert!(
        o.timeline.contains("the target health held at +0:"),
        "the wait did not match between its looks:\n{}",
        o.timeline
    );
}
