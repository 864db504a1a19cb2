//! Unit tests of the Lambda API (no processes run here; see tests/lambda_runtime.rs).

use super::functions::{self, SETTLE_SECS};
use crate::lifecycle::edges;
use crate::model::Service;
use crate::protocol::AwsResult;
use crate::services::{iam, Ctx};
use crate::sim::SimTime;
use crate::world::{PartitionKey, World};
use base64::Engine as _;
use serde_json::{json, Value};
use std::io::Write;

const ACCT: &str = "123456789012";
const ROLE: &str = "arn:aws:iam::123456789012:role/fn";
const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

fn zip_b64() -> String {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("app.py", o).unwrap();
        z.write_all(b"def handler(e, c):\n    return 1\n").unwrap();
        z.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}

/// The handler of `op` called directly (no model validation): through the table, or the
/// lifecycle layer's synchronous half of the runtime's operations.
fn direct(op: &str, w: &mut World, c: &Ctx, input: Value) -> AwsResult<Value> {
    match op {
        "UpdateFunctionCode" => edges::update_function_code(w, c, input),
        "UpdateFunctionConfiguration" => edges::update_function_configuration(w, c, input),
        "DeleteFunction" => edges::delete_function(w, c, input),
        _ => crate::dispatch::testing::call(w, c, op, input),
    }
}

fn ctx() -> Ctx {
    Ctx::internal(Service::Lambda, ACCT, "us-east-1")
}

fn world() -> World {
    let mut w = crate::lifecycle::new_world(SimTime(1_700_000_000_000));
    let c = Ctx::internal(Service::Iam, ACCT, "us-east-1");
    iam::test_support::direct(
        "CreateRole",
        &mut w,
        &c,
        json!({"RoleName": "fn", "AssumeRolePolicyDocument": iam::test_support::LAMBDA_TRUST}),
    )
    .unwrap();
    w
}

fn create(w: &mut World, name: &str, extra: Value) -> crate::protocol::AwsResult<Value> {
    let mut input = json!({"FunctionName": name, "Runtime": "python3.12", "Handler": "app.handler", "Role": ROLE,
                           "Code": {"ZipFile": zip_b64()}});
    if let (Some(o), Value::Object(e)) = (input.as_object_mut(), extra) {
        o.extend(e);
    }
    direct("CreateFunction", w, &ctx(), input)
}

fn settle(w: &mut World) {
    let t = w.now.plus_secs(SETTLE_SECS);
    crate::lifecycle::run_until(w, t);
}

#[test]
fn create_get_list_delete() {
    let mut w = world();
    let out = create(&mut w, "f", json!({"Tags": {"team": "a"}})).unwrap();
    assert_eq!(out["FunctionArn"], ARN);
    assert_eq!(out["State"], "Pending");
    assert_eq!(out["StateReasonCode"], "Creating");
    assert_eq!(out["Timeout"], 3);
    assert_eq!(out["MemorySize"], 128);
    assert_eq!(out["PackageType"], "Zip");
    assert!(out["LastModified"].as_str().unwrap().ends_with("+0000"));
    assert!(out.get("LastUpdateStatus").is_none());
    settle(&mut w);
    let got = direct("GetFunction", &mut w, &ctx(), json!({"FunctionName": ARN})).unwrap();
    assert_eq!(got["Configuration"]["State"], "Active");
    assert_eq!(got["Configuration"]["LastUpdateStatus"], "Successful");
    assert_eq!(got["Tags"], json!({"team": "a"}));
    assert_eq!(got["Code"]["RepositoryType"], "S3");
    let e = create(&mut w, "f", json!({})).unwrap_err();
    assert_eq!(e.code, "ResourceConflictException");
    assert_eq!(e.message, "Function already exist: f");
    for n in ["g", "h"] {
        create(&mut w, n, json!({})).unwrap();
    }
    let p1 = direct("ListFunctions", &mut w, &ctx(), json!({"MaxItems": 2})).unwrap();
    assert_eq!(p1["Functions"].as_array().unwrap().len(), 2);
    let marker = p1["NextMarker"].as_str().unwrap().to_owned();
    let p2 = direct(
        "ListFunctions",
        &mut w,
        &ctx(),
        json!({"MaxItems": 2, "Marker": marker}),
    )
    .unwrap();
    assert_eq!(p2["Functions"].as_array().unwrap().len(), 1);
    assert!(p2.get("NextMarker").is_none());
    direct("DeleteFunction", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap();
    let e = direct("GetFunctionConfiguration", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.message, format!("Function not found: {ARN}"));
    let key = PartitionKey::new(ACCT, "us-east-1");
    assert!(super::find(&w.region_mut(&key).lambda, "f").is_none());
    assert!(super::find(&w.region_mut(&key).lambda, "g").is_some());
}

#[test]
fn validation_as_lambda_does() {
    let mut w = world();
    let e = create(&mut w, "f", json!({"MemorySize": 20000})).unwrap_err();
    assert_eq!(e.code, "InvalidParameterValueException");
    let e = create(&mut w, "f", json!({"Timeout": 901})).unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.contains("less than or equal to 900"));
    let big = "x".repeat(5000);
    let e = create(&mut w, "f", json!({"Environment": {"Variables": {"BIG": big}}})).unwrap_err();
    assert!(e.message.contains("exceeded the 4KB limit"), "{}", e.message);
    let e = create(&mut w, "f", json!({"Environment": {"Variables": {"AWS_REGION": "x"}}})).unwrap_err();
    assert!(
        e.message.ends_with("Reserved keys used in this request: AWS_REGION"),
        "{}",
        e.message
    );
    let e = create(&mut w, "f", json!({"Handler": "nodot"})).unwrap_err();
    assert_eq!(e.code, "InvalidParameterValueException");
    let e = create(&mut w, "f", json!({"Runtime": "python2.7"})).unwrap_err();
    assert!(e.message.contains("(python3.13)"), "{}", e.message);
    let e = direct(
        "CreateFunction",
        &mut w,
        &ctx(),
        json!({"FunctionName": "i", "Role": ROLE, "PackageType": "Image", "Code": {"ImageUri": "x"}}),
    )
    .unwrap_err();
    assert!(e.message.contains("container image"), "{}", e.message);
}

#[test]
fn updates_settle_on_the_clock_and_conflict_meanwhile() {
    let mut w = world();
    create(&mut w, "f", json!({})).unwrap();
    settle(&mut w);
    let out = direct(
        "UpdateFunctionConfiguration",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Timeout": 10}),
    )
    .unwrap();
    assert_eq!(out["LastUpdateStatus"], "InProgress");
    assert_eq!(out["Timeout"], 10);
    let e = direct(
        "UpdateFunctionCode",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "ZipFile": zip_b64()}),
    )
    .unwrap_err();
    assert_eq!(e.code, "ResourceConflictException");
    assert!(e.message.contains("An update is in progress for resource: "));
    settle(&mut w);
    let c = direct("GetFunctionConfiguration", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap();
    assert_eq!(c["LastUpdateStatus"], "Successful");
    let e = direct(
        "UpdateFunctionCode",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "ZipFile": zip_b64(), "RevisionId": "stale"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "PreconditionFailedException");
}

#[test]
fn versions_and_aliases() {
    let mut w = world();
    create(&mut w, "f", json!({})).unwrap();
    settle(&mut w);
    let v1 = direct("PublishVersion", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap();
    assert_eq!(v1["Version"], "1");
    assert_eq!(v1["FunctionArn"], format!("{ARN}:1"));
    // Nothing changed: the same version again.
    let again = direct("PublishVersion", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap();
    assert_eq!(again["Version"], "1");
    let e = direct(
        "PublishVersion",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "CodeSha256": "x"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "InvalidParameterValueException");
    let list = direct("ListVersionsByFunction", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap();
    let vs: Vec<&str> = list["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Version"].as_str().unwrap())
        .collect();
    assert_eq!(vs, ["$LATEST", "1"]);
    let a = direct(
        "CreateAlias",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Name": "live", "FunctionVersion": "1"}),
    )
    .unwrap();
    assert_eq!(a["AliasArn"], format!("{ARN}:live"));
    let e = direct(
        "CreateAlias",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Name": "live", "FunctionVersion": "1"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "ResourceConflictException");
    let e = direct(
        "CreateAlias",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Name": "next", "FunctionVersion": "9"}),
    )
    .unwrap_err();
    assert_eq!(e.message, format!("Function not found: {ARN}:9"));
    let u = direct("UpdateAlias", 
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Name": "live", "FunctionVersion": "$LATEST", "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}}}),
    )
    .unwrap();
    assert_eq!(u["RoutingConfig"]["AdditionalVersionWeights"]["1"], 0.5);
    let got = direct(
        "GetFunctionConfiguration",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f:live"}),
    )
    .unwrap();
    assert_eq!(got["Version"], "$LATEST");
    let l = direct("ListAliases", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap();
    assert_eq!(l["Aliases"].as_array().unwrap().len(), 1);
    let e = direct(
        "DeleteFunction",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Qualifier": "1"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "ResourceConflictException");
    direct(
        "DeleteAlias",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Name": "live"}),
    )
    .unwrap();
    let e = direct("GetAlias", &mut w, &ctx(), json!({"FunctionName": "f", "Name": "live"})).unwrap_err();
    assert_eq!(e.message, format!("Alias not found: {ARN}:live"));
    direct(
        "DeleteFunction",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "Qualifier": "1"}),
    )
    .unwrap();
}

#[test]
fn permissions_and_tags() {
    let mut w = world();
    create(&mut w, "f", json!({})).unwrap();
    let e = direct("GetPolicy", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    let add = json!({"FunctionName": "f", "StatementId": "cd", "Action": "lambda:InvokeFunction",
                     "Principal": "codedeploy.amazonaws.com", "SourceAccount": ACCT});
    let out = direct("AddPermission", &mut w, &ctx(), add.clone()).unwrap();
    let st: Value = serde_json::from_str(out["Statement"].as_str().unwrap()).unwrap();
    assert_eq!(st["Principal"], json!({"Service": "codedeploy.amazonaws.com"}));
    assert_eq!(st["Resource"], ARN);
    assert_eq!(st["Condition"]["StringEquals"]["AWS:SourceAccount"], ACCT);
    let e = direct("AddPermission", &mut w, &ctx(), add).unwrap_err();
    assert_eq!(e.code, "ResourceConflictException");
    let p = direct("GetPolicy", &mut w, &ctx(), json!({"FunctionName": "f"})).unwrap();
    let doc: Value = serde_json::from_str(p["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Statement"].as_array().unwrap().len(), 1);
    direct(
        "RemovePermission",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "StatementId": "cd"}),
    )
    .unwrap();
    let e = direct(
        "RemovePermission",
        &mut w,
        &ctx(),
        json!({"FunctionName": "f", "StatementId": "cd"}),
    )
    .unwrap_err();
    assert_eq!(e.message, "Statement cd is not found in resource policy.");

    direct(
        "TagResource",
        &mut w,
        &ctx(),
        json!({"Resource": ARN, "Tags": {"a": "1", "b": "2"}}),
    )
    .unwrap();
    direct(
        "UntagResource",
        &mut w,
        &ctx(),
        json!({"Resource": ARN, "TagKeys": ["a"]}),
    )
    .unwrap();
    let t = direct("ListTags", &mut w, &ctx(), json!({"Resource": ARN})).unwrap();
    assert_eq!(t, json!({"Tags": {"b": "2"}}));
    let e = direct(
        "ListTags",
        &mut w,
        &ctx(),
        json!({"Resource": "arn:aws:lambda:us-east-1:123456789012:function:nope"}),
    )
    .unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[test]
fn entry_paths_that_escape_are_refused() {
    assert!(functions::safe_entry_path("a/b.py").is_some());
    assert!(functions::safe_entry_path("./a.py").is_some());
    assert!(functions::safe_entry_path("../a.py").is_none());
    assert!(functions::safe_entry_path("a/../../b").is_none());
    assert!(functions::safe_entry_path("/etc/passwd").is_none());
    assert!(functions::safe_entry_path("a\\..\\b").is_none());
}

#[test]
fn invoke_async_keeps_the_qualifier_and_counts() {
    let mut w = world();
    create(&mut w, "f", json!({})).unwrap();
    let key = PartitionKey::new(ACCT, "us-east-1");
    crate::lifecycle::edges::invoke_async(&mut w, &key, "f:live", json!({})).unwrap();
    assert_eq!(edges::invocations_queued(&w), 1);
    assert_eq!(w.region_mut(&key).lambda.pending[0].function_arn, format!("{ARN}:live"));
    assert!(crate::lifecycle::edges::invoke_async(&mut w, &key, "nope", json!({})).is_err());
}
