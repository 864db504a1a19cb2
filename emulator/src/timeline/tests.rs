use super::*;
use serde_json::json;

/// One entry of every kind, with the message today's call sites wrote for it.
fn one_of_each() -> Vec<(Entry, &'static str)> {
    let tg = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-blue/73e2d6bc24d8a067";
    let id = || "d-ABC".to_owned();
    vec![
        (
            Entry::DeploymentCreated {
                deployment_id: id(),
                group: "web".into(),
                application: "shop".into(),
            },
            "deployment d-ABC: created for deployment group web of application shop",
        ),
        (
            Entry::DeploymentStarted {
                deployment_id: id(),
                original_target_group: tg.into(),
                replacement_target_group: "green".into(),
                original_task_set: "ecs-svc/1".into(),
                production_listeners: vec!["p".into()],
                test_listeners: vec![],
            },
            "deployment d-ABC: started",
        ),
        (
            Entry::DeploymentRollingBack { deployment_id: id() },
            "deployment d-ABC: rolling back: rerouting traffic to the original task set",
        ),
        (
            Entry::DeploymentEnded {
                deployment_id: id(),
                status: DeploymentStatus::Succeeded,
                error_code: None,
                error_message: None,
                failed_lifecycle_events: None,
            },
            "deployment d-ABC: Succeeded",
        ),
        (
            Entry::DeploymentEnded {
                deployment_id: id(),
                status: DeploymentStatus::Stopped,
                error_code: Some("MANUAL_STOP".into()),
                error_message: Some("The deployment was stopped by a StopDeployment request.".into()),
                failed_lifecycle_events: Some(vec!["Install".into()]),
            },
            "deployment d-ABC: Stopped (MANUAL_STOP): The deployment was stopped by a StopDeployment request.",
        ),
        (
            Entry::LifecycleEvent {
                deployment_id: id(),
                event: "Install".into(),
                status: LifecycleStatus::InProgress,
            },
            "deployment d-ABC: Install started",
        ),
        (
            Entry::LifecycleEvent {
                deployment_id: id(),
                event: "Install".into(),
                status: LifecycleStatus::Succeeded,
            },
            "deployment d-ABC: Install succeeded",
        ),
        (
            Entry::Hook {
                deployment_id: id(),
                event: "AfterInstall".into(),
                function: Some("check".into()),
                status: HookStatus::Invoked,
            },
            "deployment d-ABC: AfterInstall hook check invoked",
        ),
        (
            Entry::Hook {
                deployment_id: id(),
                event: "AfterInstall".into(),
                function: None,
                status: HookStatus::Failed,
            },
            "deployment d-ABC: AfterInstall hook reported Failed",
        ),
        (
            Entry::DeploymentTaskSet {
                deployment_id: id(),
                task_set: Some("ecs-svc/2".into()),
                state: TaskSetState::Created,
                role: TaskSetRole::Replacement,
            },
            "deployment d-ABC: replacement task set ecs-svc/2 created",
        ),
        (
            Entry::DeploymentTaskSet {
                deployment_id: id(),
                task_set: Some("ecs-svc/2".into()),
                state: TaskSetState::Steady,
                role: TaskSetRole::Replacement,
            },
            "deployment d-ABC: replacement task set is steady",
        ),
        (
            Entry::DeploymentTaskSet {
                deployment_id: id(),
                task_set: Some("ecs-svc/2".into()),
                state: TaskSetState::Primary,
                role: TaskSetRole::Replacement,
            },
            "deployment d-ABC: task set ecs-svc/2 is now PRIMARY",
        ),
        (
            Entry::DeploymentTaskSet {
                deployment_id: id(),
                task_set: Some("ecs-svc/1".into()),
                state: TaskSetState::Primary,
                role: TaskSetRole::Original,
            },
            "deployment d-ABC: task set ecs-svc/1 is PRIMARY again",
        ),
        (
            Entry::DeploymentTaskSet {
                deployment_id: id(),
                task_set: Some("ecs-svc/1".into()),
                state: TaskSetState::Deleted,
                role: TaskSetRole::Original,
            },
            "deployment d-ABC: original task set ecs-svc/1 deleted",
        ),
        (
            Entry::DeploymentTraffic {
                deployment_id: id(),
                replacement_percent: 10,
            },
            "deployment d-ABC: production traffic: 10% to replacement, 90% to original",
        ),
        (
            Entry::RollbackCreated {
                deployment_id: id(),
                rollback_id: "d-RB".into(),
            },
            "deployment d-ABC: rollback deployment d-RB created",
        ),
        (
            Entry::DeploymentNote {
                deployment_id: id(),
                text: "continued: rerouting traffic".into(),
            },
            "deployment d-ABC: continued: rerouting traffic",
        ),
        (
            Entry::TrafficWeights {
                arn: "L".into(),
                weights: vec![Weight {
                    target_group_arn: tg.into(),
                    weight: 100,
                }],
            },
            "forward weights of L set to web-blue:100",
        ),
        (
            Entry::TargetHealth {
                target_group_arn: tg.into(),
                target_group_name: "web-blue".into(),
                target: "10.0.0.1:80".into(),
                id: "10.0.0.1".into(),
                state: TargetHealthState::Healthy,
            },
            "target 10.0.0.1:80 of web-blue healthy",
        ),
        (
            Entry::TargetRegistered {
                target_group_arn: tg.into(),
                target_group_name: "web-blue".into(),
                target: "10.0.0.1:80".into(),
                id: "10.0.0.1".into(),
                port: 80,
            },
            "target 10.0.0.1:80 registered in web-blue",
        ),
        (
            Entry::TargetDeregistered {
                target_group_arn: tg.into(),
                target_group_name: "web-blue".into(),
                target: "10.0.0.1:80".into(),
            },
            "target 10.0.0.1:80 of web-blue deregistered",
        ),
        (
            Entry::TargetDraining {
                target_group_arn: tg.into(),
                target_group_name: "web-blue".into(),
                target: "10.0.0.1:80".into(),
                delay_seconds: 300,
            },
            "target 10.0.0.1:80 of web-blue draining",
        ),
        (
            Entry::TaskSet {
                service: "arn:svc".into(),
                service_name: "web".into(),
                task_set: "ecs-svc/2".into(),
                change: TaskSetChange::Created,
                task_definition: Some("web:2".into()),
            },
            "(service web) task set ecs-svc/2 created with web:2",
        ),
        (
            Entry::TaskSet {
                service: "arn:svc".into(),
                service_name: "web".into(),
                task_set: "ecs-svc/2".into(),
                change: TaskSetChange::Primary,
                task_definition: None,
            },
            "(service web) task set ecs-svc/2 is now PRIMARY",
        ),
        (
            Entry::TaskSet {
                service: "arn:svc".into(),
                service_name: "web".into(),
                task_set: "ecs-svc/1".into(),
                change: TaskSetChange::Deleted,
                task_definition: None,
            },
            "(service web) task set ecs-svc/1 deleted (DRAINING)",
        ),
        (
            Entry::ServiceEvent {
                service: "arn:svc".into(),
                service_name: "web".into(),
                text: "(service web, taskSet ecs-svc/2) updated state to STEADY_STATE.".into(),
                steady_task_set: Some("ecs-svc/2".into()),
            },
            "(service web, taskSet ecs-svc/2) updated state to STEADY_STATE.",
        ),
        (
            Entry::InvocationQueued {
                request_id: "r1".into(),
                function_arn: "arn:fn".into(),
            },
            "queued an Event invocation of arn:fn",
        ),
        (
            Entry::InvocationDropped {
                request_id: "r1".into(),
                function_arn: "arn:fn".into(),
                reason: "gone".into(),
            },
            "Event invocation r1 of arn:fn dropped: gone",
        ),
        (
            Entry::InvocationFinished {
                request_id: "r1".into(),
                function_arn: "arn:fn".into(),
                status: "200".into(),
                attempt: 1,
            },
            "Event invocation r1 of arn:fn finished: 200 (attempt 1)",
        ),
        (
            Entry::InvocationRetryScheduled {
                request_id: "r1".into(),
                function_arn: "arn:fn".into(),
                attempts: 1,
                status: "Runtime.ExitError".into(),
                retry_in_seconds: 60.0,
            },
            "Event invocation r1 of arn:fn failed on attempt 1 (Runtime.ExitError); retry in 60 s",
        ),
        (
            Entry::InvocationRequeued {
                request_id: "r1".into(),
                function_arn: "arn:fn".into(),
                attempt: 2,
            },
            "queued attempt 2 of Event invocation r1 of arn:fn",
        ),
        (
            Entry::InvocationDiscarded {
                request_id: "r1".into(),
                function_arn: "arn:fn".into(),
                attempts: 3,
                status: "Runtime.ExitError".into(),
            },
            "Event invocation r1 of arn:fn discarded after 3 attempt(s): Runtime.ExitError",
        ),
        (
            Entry::OutputTruncated {
                request_id: "r1".into(),
                function_arn: "arn:fn".into(),
                cut_lines: 1,
                cut_bytes: 10,
                dropped_lines: 2,
                dropped_bytes: 20,
            },
            "output of invocation r1 of arn:fn truncated",
        ),
        (
            Entry::AlarmState {
                alarm: "errors".into(),
                from: AlarmStateValue::Ok,
                to: AlarmStateValue::Alarm,
                reason: "r".into(),
            },
            "alarm errors: OK -> ALARM",
        ),
        (
            Entry::FaultInjected {
                task_definition: "web:2".into(),
            },
            "targetHealth unhealthy for task definition web:2",
        ),
        (Entry::FaultsCleared {}, "every fault cleared"),
        (
            Entry::resource("ecs", "cluster c created", json!({"cluster": "c"})),
            "cluster c created",
        ),
        (Entry::note("scheduler", "a mark"), "a mark"),
    ]
}

#[test]
fn every_kind_round_trips_through_its_json_form_with_the_same_message() {
    for (i, (entry, message)) in one_of_each().into_iter().enumerate() {
        assert_eq!(entry.message(), message);
        let ev = Event {
            seq: i as u64 + 1,
            time: 1_700_000_000.5,
            entry,
        };
        let v = ev.to_json();
        assert_eq!(v["message"], message);
        assert_eq!(v["source"], ev.source());
        assert!(v["kind"].is_string(), "{v}");
        assert_eq!(Event::from_json(&v).as_ref(), Some(&ev), "{v}");
    }
}

#[test]
fn the_json_form_keeps_the_fields_entries_carried_before_they_were_typed() {
    let all = one_of_each();
    let json_of = |i: usize| {
        Event {
            seq: 1,
            time: 0.0,
            entry: all[i].0.clone(),
        }
        .to_json()
    };
    // (index in one_of_each, the fields the old call site wrote, with their values where fixed)
    let want: Vec<(usize, Value)> = vec![
        (0, json!({"deploymentId": "d-ABC"})),
        (
            1,
            json!({"deploymentId": "d-ABC", "step": "status", "status": "InProgress", "originalTaskSet": "ecs-svc/1",
                   "replacementTargetGroup": "green", "productionListeners": ["p"], "testListeners": []}),
        ),
        (
            2,
            json!({"deploymentId": "d-ABC", "step": "status", "status": "InProgress", "rollback": true}),
        ),
        (
            3,
            json!({"deploymentId": "d-ABC", "step": "status", "status": "Succeeded"}),
        ),
        (
            4,
            json!({"deploymentId": "d-ABC", "step": "status", "status": "Stopped", "errorCode": "MANUAL_STOP",
                   "failedLifecycleEvents": ["Install"]}),
        ),
        (
            5,
            json!({"deploymentId": "d-ABC", "step": "lifecycle", "lifecycleEvent": "Install", "status": "InProgress"}),
        ),
        (
            7,
            json!({"deploymentId": "d-ABC", "step": "hook", "lifecycleEvent": "AfterInstall", "function": "check",
                   "status": "Invoked"}),
        ),
        (
            8,
            json!({"deploymentId": "d-ABC", "step": "hook", "lifecycleEvent": "AfterInstall", "status": "Failed"}),
        ),
        (
            9,
            json!({"deploymentId": "d-ABC", "step": "taskSet", "taskSet": "ecs-svc/2", "state": "created",
                   "role": "replacement"}),
        ),
        (
            11,
            json!({"deploymentId": "d-ABC", "step": "taskSet", "taskSet": "ecs-svc/2", "state": "PRIMARY",
                   "role": "replacement"}),
        ),
        (
            14,
            json!({"deploymentId": "d-ABC", "step": "traffic", "replacementPercent": 10}),
        ),
        (
            15,
            json!({"deploymentId": "d-ABC", "step": "rollback", "rollbackDeploymentId": "d-RB"}),
        ),
        (16, json!({"deploymentId": "d-ABC"})),
        (
            17,
            json!({"Arn": "L", "Weights": [{"TargetGroupArn": all_tg(), "Weight": 100}]}),
        ),
        (
            18,
            json!({"TargetGroupArn": all_tg(), "Id": "10.0.0.1", "State": "healthy"}),
        ),
        (19, json!({"TargetGroupArn": all_tg(), "Id": "10.0.0.1", "Port": 80})),
        (20, json!({"TargetGroupArn": all_tg()})),
        (21, json!({"TargetGroupArn": all_tg(), "DelaySeconds": 300})),
        (22, json!({"service": "arn:svc", "taskSet": "ecs-svc/2"})),
        (25, json!({"service": "arn:svc"})),
        (26, json!({"requestId": "r1"})),
        (27, json!({"requestId": "r1"})),
        (28, json!({"requestId": "r1", "status": "200", "attempt": 1})),
        (
            29,
            json!({"requestId": "r1", "attempts": 1, "status": "Runtime.ExitError", "retryInSeconds": 60.0}),
        ),
        (30, json!({"requestId": "r1", "attempt": 2})),
        (
            31,
            json!({"requestId": "r1", "attempts": 3, "status": "Runtime.ExitError"}),
        ),
        (
            32,
            json!({"requestId": "r1", "cutLines": 1, "cutBytes": 10, "droppedLines": 2, "droppedBytes": 20}),
        ),
        (
            33,
            json!({"alarm": "errors", "from": "OK", "to": "ALARM", "reason": "r"}),
        ),
        (36, json!({"cluster": "c"})),
    ];
    for (i, fields) in want {
        let got = json_of(i);
        for (k, v) in fields.as_object().into_iter().flatten() {
            assert_eq!(&got[k], v, "field {k} of {got}");
        }
        for k in ["seq", "time", "source", "message"] {
            assert!(got.get(k).is_some(), "{k} of {got}");
        }
    }
}

fn all_tg() -> &'static str {
    "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-blue/73e2d6bc24d8a067"
}

#[test]
fn an_entry_of_an_unknown_kind_is_a_plain_note_with_its_fields() {
    for v in [
        json!({"seq": 7, "time": 1.5, "source": "newsvc", "message": "something new", "kind": "fromTheFuture", "x": 1}),
        json!({"seq": 7, "time": 1.5, "source": "newsvc", "message": "something new", "x": 1}),
        // A known kind whose fields do not fit is shown as words too.
        json!({"seq": 7, "time": 1.5, "source": "newsvc", "message": "something new", "kind": "lifecycleEvent", "x": 1}),
    ] {
        let ev = Event::from_json(&v).expect("an object");
        assert_eq!(ev.seq, 7);
        assert_eq!(ev.time, 1.5);
        assert_eq!(ev.source(), "newsvc");
        assert_eq!(ev.message(), "something new");
        match &ev.entry {
            Entry::Note { fields, .. } => assert_eq!(fields.get("x"), Some(&json!(1))),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(Event::from_json(&json!("text")), None);
}

#[test]
fn statuses_have_one_wire_string_each() {
    for s in ["Created", "InProgress", "Ready", "Succeeded", "Failed", "Stopped"] {
        assert_eq!(DeploymentStatus::parse(s).map(DeploymentStatus::as_str), Some(s));
    }
    for s in ["initial", "healthy", "unhealthy", "draining", "unused", "unavailable"] {
        assert_eq!(TargetHealthState::parse(s).map(TargetHealthState::as_str), Some(s));
    }
    for s in ["OK", "ALARM", "INSUFFICIENT_DATA"] {
        assert_eq!(AlarmStateValue::parse(s).map(AlarmStateValue::as_str), Some(s));
    }
    assert_eq!(LifecycleStatus::parse("Skipped"), Some(LifecycleStatus::Skipped));
    assert_eq!(DeploymentStatus::parse("succeeded"), None);
    assert_eq!(serde_json::to_value(HookStatus::Invoked).ok(), Some(json!("Invoked")));
}
