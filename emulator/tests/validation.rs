//! Input validation against the embedded models, from outside the crate: every operation of every
//! model, hostile and random inputs, and the answers a client would see.

#![allow(clippy::result_large_err)]

use cutover::model::{Kind, Model, Service, ShapeId};
use cutover::protocol::validate::validate_input;
use cutover::protocol::{error_status, AwsError};
use proptest::prelude::*;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

fn ops(service: Service) -> (std::sync::Arc<Model>, Vec<String>) {
    let model = service.model();
    let mut names: Vec<String> = model.operations.keys().cloned().collect();
    names.sort();
    (model, names)
}

fn sane(model: &Model, e: &AwsError) {
    assert!(!e.code.is_empty() && !e.message.is_empty(), "{e:?}");
    let status = error_status(model, e);
    assert!(
        (400..500).contains(&status),
        "validation answers are client errors: {status} {e:?}"
    );
}

#[test]
fn empty_input_fails_exactly_when_something_is_required() {
    for service in Service::ALL {
        let (model, names) = ops(service);
        for name in names {
            let op = model.operation(&name).unwrap();
            let required = op
                .input
                .map(|id| match &model.shape(id).kind {
                    Kind::Structure { required, .. } => !required.is_empty(),
                    _ => false,
                })
                .unwrap_or(false);
            match validate_input(service, &model, op, &json!({})) {
                Ok(()) => assert!(
                    !required,
                    "{} {name}: missing required members accepted",
                    service.name()
                ),
                Err(e) => {
                    assert!(required, "{} {name}: empty input rejected: {e}", service.name());
                    sane(&model, &e);
                }
            }
        }
    }
}

#[test]
fn every_service_answers_a_missing_member_with_its_own_code() {
    let cases = [
        (Service::Ecs, "CreateService", "InvalidParameterException"),
        (Service::Elbv2, "CreateTargetGroup", "ValidationError"),
        (
            Service::CodeDeploy,
            "CreateApplication",
            "ApplicationNameRequiredException",
        ),
        (Service::Iam, "CreateRole", "ValidationError"),
        (Service::Sts, "AssumeRole", "ValidationError"),
        (Service::Lambda, "CreateFunction", "ValidationException"),
        (Service::CloudWatch, "PutMetricAlarm", "ValidationError"),
        (Service::Logs, "CreateLogGroup", "InvalidParameterException"),
        (Service::Ec2, "CreateSubnet", "MissingParameter"),
    ];
    for (service, op, code) in cases {
        let model = service.model();
        let e = validate_input(service, &model, model.operation(op).unwrap(), &json!({})).unwrap_err();
        assert_eq!(e.code, code, "{} {op}: {e}", service.name());
        assert_eq!(error_status(&model, &e), 400);
    }
}

#[test]
fn huge_and_deep_inputs_are_handled() {
    let model = Service::Iam.model();
    let op = model.operation("CreateRole").unwrap();
    // 100k tags: the list limit (50) is reported once, with the value cut short in the message.
    let tags: Vec<Value> = (0..100_000)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let e = validate_input(
        Service::Iam,
        &model,
        op,
        &json!({"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Tags": tags}),
    )
    .unwrap_err();
    assert!(
        e.message.starts_with("1 validation error detected: Value '[{"),
        "{}",
        &e.message[..80]
    );
    assert!(e
        .message
        .ends_with("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"));
    assert!(e.message.len() < 2000);

    // A deeply nested value where a string is expected: a type error, no stack trouble.
    let mut deep = json!("x");
    for _ in 0..500 {
        deep = json!([deep]);
    }
    let e = validate_input(
        Service::Iam,
        &model,
        op,
        &json!({"RoleName": deep, "AssumeRolePolicyDocument": "{}"}),
    )
    .unwrap_err();
    sane(&model, &e);

    // A huge string against a pattern and a length limit.
    let long = "a".repeat(1_000_000);
    let e = validate_input(
        Service::Iam,
        &model,
        op,
        &json!({"RoleName": long, "AssumeRolePolicyDocument": "{}"}),
    )
    .unwrap_err();
    assert!(e.message.contains("Member must have length less than or equal to 64"));
    assert!(e.message.len() < 4000, "the echoed value is cut short");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<u64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,12}", inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// A value for shape `id`, mostly of the right form, sometimes wrong in type, size or content.
fn guided(model: &Model, id: ShapeId, rng: &mut SmallRng, depth: usize) -> Value {
    let wild = rng.gen_bool(0.05);
    if wild || depth > 12 {
        return match rng.gen_range(0..6) {
            0 => Value::Null,
            1 => json!(rng.gen::<i64>()),
            2 => json!(rng.gen::<f64>() * 1e12),
            3 => json!("\u{1F600}-x_y/z"),
            4 => json!([]),
            _ => json!({}),
        };
    }
    let shape = model.shape(id);
    match &shape.kind {
        Kind::Structure { members, .. } => {
            let mut m = Map::new();
            for mem in members {
                if rng.gen_bool(0.6) {
                    m.insert(mem.name.clone(), guided(model, mem.shape, rng, depth + 1));
                }
            }
            Value::Object(m)
        }
        Kind::List { member, .. } => {
            let n = rng.gen_range(0..4);
            Value::Array((0..n).map(|_| guided(model, member.shape, rng, depth + 1)).collect())
        }
        Kind::Map { value, .. } => {
            let n = rng.gen_range(0..3);
            let keys = ["a", "Key_1", "bad key!", ""];
            Value::Object(
                (0..n)
                    .map(|i| {
                        (
                            keys[(i + rng.gen_range(0..4)) % 4].to_owned(),
                            guided(model, value.shape, rng, depth + 1),
                        )
                    })
                    .collect(),
            )
        }
        Kind::String {
            enum_values: Some(v), ..
        } if !v.is_empty() && rng.gen_bool(0.8) => {
            json!(v[rng.gen_range(0..v.len())])
        }
        Kind::String { .. } | Kind::Blob => {
            let len = rng.gen_range(0..80);
            json!((0..len).map(|_| rng.gen_range(b'!'..=b'~') as char).collect::<String>())
        }
        Kind::Integer | Kind::Long => json!(rng.gen_range(-5i64..100_000)),
        Kind::Float | Kind::Double | Kind::Timestamp => json!(rng.gen::<f64>() * 1e6),
        Kind::Boolean => json!(rng.gen_bool(0.5)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_json_never_panics(svc in 0usize..Service::ALL.len(), pick in any::<usize>(), input in arb_json()) {
        let service = Service::ALL[svc];
        let (model, names) = ops(service);
        let op = model.operation(&names[pick % names.len()]).unwrap();
        if let Err(e) = validate_input(service, &model, op, &input) {
            sane(&model, &e);
        }
    }

    #[test]
    fn model_shaped_inputs_never_panic(svc in 0usize..Service::ALL.len(), pick in any::<usize>(), seed in any::<u64>()) {
        let service = Service::ALL[svc];
        let (model, names) = ops(service);
        let op = model.operation(&names[pick % names.len()]).unwrap();
        let mut rng = SmallRng::seed_from_u64(seed);
        let input = match op.input {
            Some(id) => guided(&model, id, &mut rng, 0),
            None => json!({}),
        };
        if let Err(e) = validate_input(service, &model, op, &input) {
            sane(&model, &e);
        }
    }
}
