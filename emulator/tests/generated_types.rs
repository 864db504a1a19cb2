//! The generated types of `cutover-types` (emulator/types/, `python3 tools/gen-types.py`): fresh,
//! covering exactly the operations the handler tables implement, their error codes agreeing with
//! the protocol layer, and faithful to the canonical Value form in both directions (valid inputs
//! from the models round-trip through the input structures; real handler outputs deserialise into
//! the output structures).

#[path = "support/valid_values.rs"]
mod valid_values;

use cutover::model::Service;
use cutover::protocol::{error_shape, error_status, validate, AwsError};
use cutover::sim::SimTime;
use cutover::world::World;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use valid_values::ValidValues;

type RoundTrip = fn(&str, &Value) -> Option<serde_json::Result<Value>>;

/// What one generated module offers, by service.
struct Generated {
    operations: &'static [&'static str],
    input: RoundTrip,
    output: RoundTrip,
    /// (shape name, code, HTTP status) of each `ErrorCode`.
    errors: Vec<(&'static str, &'static str, u16)>,
}

macro_rules! generated {
    ($service:expr, $($variant:ident => $module:ident),* $(,)?) => {
        match $service {
            $(Service::$variant => {
                use cutover_types::$module as m;
                Generated {
                    operations: m::OPERATIONS,
                    input: m::round_trip_input,
                    output: m::round_trip_output,
                    errors: m::ErrorCode::ALL
                        .iter()
                        .map(|e| (e.shape_name(), e.code(), e.http_status()))
                        .collect(),
                }
            })*
        }
    };
}

fn generated(service: Service) -> Generated {
    generated!(service,
        Sts => sts,
        Iam => iam,
        Ec2 => ec2,
        Elbv2 => elbv2,
        Ecs => ecs,
        Lambda => lambda,
        CloudWatch => cloudwatch,
        Logs => logs,
        CodeDeploy => codedeploy,
    )
}

#[test]
fn generated_files_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repo root");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(python)
        .arg("tools/gen-types.py")
        .arg("--check")
        .current_dir(root)
        .output()
        .expect("run python3 tools/gen-types.py --check");
    assert!(
        out.status.success(),
        "emulator/types/src is stale:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn operations_are_exactly_the_implemented_ones() {
    for service in Service::ALL {
        let model = service.model();
        let mut implemented: Vec<&str> = model
            .operations
            .keys()
            .map(String::as_str)
            .filter(|op| cutover::dispatch::operation(service, op).is_some())
            .collect();
        implemented.sort_unstable();
        let g = generated(service);
        assert_eq!(
            g.operations,
            implemented.as_slice(),
            "{}: cutover_types::{}::OPERATIONS against the handler table (update tools/implemented.json \
             and run python3 tools/gen-types.py)",
            service.name(),
            service.name()
        );
    }
}

#[test]
fn error_codes_are_the_models_and_the_codecs_find_them() {
    let mut total = 0;
    for service in Service::ALL {
        let model = service.model();
        let g = generated(service);
        let mut expected: Vec<&str> = g
            .operations
            .iter()
            .flat_map(|op| model.operation(op).expect("in the model").errors.iter())
            .map(|&id| model.shape(id).name.as_str())
            .collect();
        expected.sort_unstable();
        expected.dedup();
        let names: Vec<&str> = g.errors.iter().map(|e| e.0).collect();
        assert_eq!(names, expected, "{}: ErrorCode variants", service.name());
        for (shape, code, status) in &g.errors {
            let found = error_shape(&model, code).map(|s| s.name.as_str());
            assert_eq!(found, Some(*shape), "{}: the codecs map code {code}", service.name());
            let err = AwsError::new(*code, "x");
            assert_eq!(
                error_status(&model, &err),
                *status,
                "{}: status of {code}",
                service.name()
            );
            total += 1;
        }
    }
    assert!(total > 100, "only {total} error codes");
}

/// Valid inputs from the model pass validation and come back the same through the input struct.
#[test]
fn valid_inputs_round_trip_through_the_input_structures() {
    let mut gen = ValidValues::new(0x7479_7065_735f_7274);
    let mut checked = 0;
    for service in Service::ALL {
        let model = service.model();
        let g = generated(service);
        for op_name in g.operations {
            let op = model.operation(op_name).expect("in the model");
            let Some(input_shape) = op.input else {
                assert!((g.input)(op_name, &json!({})).is_none(), "{op_name} has no input shape");
                continue;
            };
            for i in 0..12 {
                let input = gen.value(&model, input_shape, 0);
                let label = format!("{} {op_name} #{i}: {input}", service.name());
                if let Err(e) = validate::validate_input(service, &model, op, &input) {
                    panic!("{label}: the generated input is not valid: {e}");
                }
                let back = match (g.input)(op_name, &input) {
                    Some(Ok(v)) => v,
                    Some(Err(e)) => panic!("{label}: does not deserialise: {e}"),
                    None => panic!("{label}: no input structure"),
                };
                assert_eq!(back, input, "{label}: round trip");
                checked += 1;
            }
        }
    }
    assert!(checked > 2000, "only {checked} inputs");
}

#[test]
fn the_round_trip_can_fail() {
    // A wrong type, a missing required member and an enum of the wrong JSON type are caught.
    assert!(matches!(
        cutover_types::sts::round_trip_input("AssumeRole", &json!({"RoleArn": 5, "RoleSessionName": "s"})),
        Some(Err(_))
    ));
    assert!(matches!(
        cutover_types::sts::round_trip_input("AssumeRole", &json!({"RoleSessionName": "s"})),
        Some(Err(_))
    ));
    assert!(matches!(
        cutover_types::ecs::round_trip_input("CreateService", &json!({"serviceName": "s", "launchType": 3})),
        Some(Err(_))
    ));
    // An enum value the model does not list is kept, as `Unknown`.
    let v = json!({"serviceName": "s", "launchType": "QUANTUM"});
    assert_eq!(
        cutover_types::ecs::round_trip_input("CreateService", &v)
            .unwrap()
            .unwrap(),
        v
    );
    assert!(cutover_types::sts::round_trip_input("NoSuchOperation", &json!({})).is_none());
}

const ACCT: &str = "123456789012";
const REGION: &str = "us-east-1";

fn call(w: &mut World, service: Service, op: &str, input: Value) -> Value {
    cutover::dispatch::call(w, service, ACCT, REGION, op, input).unwrap_or_else(|e| panic!("{op}: {e}"))
}

/// Real handler outputs deserialise into the generated output structures; the typed STS and Logs
/// handlers' outputs are exactly what the structures write back.
#[test]
fn handler_outputs_deserialise_into_the_output_structures() {
    let mut w = cutover::lifecycle::new_world(SimTime(1_700_000_000_000));
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let calls: Vec<(Service, &str, Value)> = vec![
        (
            Service::Iam,
            "CreateRole",
            json!({"RoleName": "deployer", "AssumeRolePolicyDocument": trust, "Tags": [{"Key": "team", "Value": "a"}]}),
        ),
        (Service::Iam, "GetRole", json!({"RoleName": "deployer"})),
        (Service::Sts, "GetCallerIdentity", json!({})),
        (
            Service::Sts,
            "AssumeRole",
            json!({"RoleArn": format!("arn:aws:iam::{ACCT}:role/deployer"), "RoleSessionName": "s1", "Policy": r#"{"Version":"2012-10-17","Statement":[]}"#, "SourceIdentity": "me"}),
        ),
        (Service::Sts, "GetSessionToken", json!({"DurationSeconds": 900})),
        (Service::Logs, "CreateLogGroup", json!({"logGroupName": "/app/web"})),
        (Service::Logs, "DescribeLogGroups", json!({})),
        (
            Service::Logs,
            "CreateLogStream",
            json!({"logGroupName": "/app/web", "logStreamName": "s1"}),
        ),
        (
            Service::Logs,
            "PutLogEvents",
            json!({"logGroupName": "/app/web", "logStreamName": "s1",
                   "logEvents": [{"timestamp": 1_700_000_000_000_i64, "message": "hello"},
                                 {"timestamp": 1_700_010_800_000_i64, "message": "too new"}]}),
        ),
        (
            Service::Logs,
            "GetLogEvents",
            json!({"logGroupName": "/app/web", "logStreamName": "s1", "startFromHead": true}),
        ),
        (Service::Logs, "FilterLogEvents", json!({"logGroupName": "/app/web"})),
        (Service::Logs, "DescribeLogStreams", json!({"logGroupName": "/app/web"})),
        (
            Service::Logs,
            "TagResource",
            json!({"resourceArn": format!("arn:aws:logs:{REGION}:{ACCT}:log-group:/app/web"), "tags": {"b": "2", "a": "1"}}),
        ),
        (
            Service::Logs,
            "ListTagsForResource",
            json!({"resourceArn": format!("arn:aws:logs:{REGION}:{ACCT}:log-group:/app/web")}),
        ),
        (Service::Ecs, "CreateCluster", json!({"clusterName": "c1"})),
        (Service::Ecs, "DescribeClusters", json!({"clusters": ["c1"]})),
        (Service::Ec2, "DescribeVpcs", json!({})),
        (Service::Ec2, "DescribeSubnets", json!({})),
        (
            Service::CloudWatch,
            "PutMetricAlarm",
            json!({"AlarmName": "a1", "MetricName": "Errors", "Namespace": "App", "Statistic": "Sum",
                   "Period": 60, "EvaluationPeriods": 1, "Threshold": 1.5, "ComparisonOperator": "GreaterThanThreshold"}),
        ),
        (Service::CloudWatch, "DescribeAlarms", json!({})),
        (
            Service::Elbv2,
            "CreateTargetGroup",
            json!({"Name": "tg1", "Protocol": "HTTP", "Port": 80, "VpcId": "vpc-11111111", "TargetType": "ip"}),
        ),
        (Service::Elbv2, "DescribeTargetGroups", json!({})),
        (
            Service::CodeDeploy,
            "CreateApplication",
            json!({"applicationName": "app", "computePlatform": "ECS"}),
        ),
        (Service::CodeDeploy, "GetApplication", json!({"applicationName": "app"})),
    ];
    for (service, op, input) in calls {
        let out = call(&mut w, service, op, input);
        let back = match (generated(service).output)(op, &out) {
            Some(Ok(v)) => v,
            Some(Err(e)) => panic!("{} {op}: the output does not deserialise: {e}\n{out}", service.name()),
            None if service.model().operation(op).is_some_and(|o| o.output.is_none()) => continue,
            None => panic!("{} {op}: no output structure", service.name()),
        };
        if matches!(service, Service::Sts | Service::Logs) {
            // Typed handlers: their outputs are what the output structures write.
            assert_eq!(back, out, "{} {op}: typed output written back", service.name());
        }
    }
}
