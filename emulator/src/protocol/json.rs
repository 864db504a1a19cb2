//! awsJson 1.0 and 1.1 (ECS, CodeDeploy, CloudWatch Logs, CloudWatch), including the
//! query-compatible error header CloudWatch sends.
//!
//! The body walkers here ([`body_to_canonical`], [`canonical_to_body`]) are shared with restJson1,
//! whose body members and structure payloads use the same JSON encoding.

// `AwsError` is the crate-wide error type; its size is a crate-wide decision, not this codec's.
use super::{timestamp, AwsError, AwsResult, HttpRequest, HttpResponse};
use crate::model::{Kind, Member, Model, Operation, Shape, ShapeId};
use base64::Engine;
use serde_json::{Map, Value};

pub fn operation_name(req: &HttpRequest) -> Option<String> {
    let target = req.header("x-amz-target")?;
    target.rsplit_once('.').map(|(_, op)| op.to_owned())
}

/// The error AWS JSON services answer for a body that does not match the operation's shapes.
pub fn serialization_error(message: impl Into<String>) -> AwsError {
    AwsError::new("SerializationException", message)
}

pub fn parse_input(model: &Model, op: &Operation, req: &HttpRequest) -> AwsResult<Value> {
    let body = parse_body(&req.body).map_err(serialization_error)?;
    let Some(input) = op.input else {
        return Ok(Value::Object(Map::new()));
    };
    if !body.is_object() {
        return Err(serialization_error(format!(
            "The request body must be a JSON object for {}, found {}",
            op.name,
            json_type(&body)
        )));
    }
    body_to_canonical(model, input, &body, "").map_err(serialization_error)
}

/// Parses a JSON request body; an empty (or all-whitespace) body is `{}`.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| format!("The request body is not valid JSON: {e}"))
}

pub fn write_output(model: &Model, op: &Operation, output: &Value, request_id: &str, version: &str) -> HttpResponse {
    let body = match op.output {
        Some(id) => canonical_to_body(model, id, output),
        None => Value::Object(Map::new()),
    };
    HttpResponse::new(200, &format!("application/x-amz-json-{version}"), body.to_string())
        .header("x-amzn-RequestId", request_id)
}

pub fn write_error(
    model: &Model,
    err: &AwsError,
    request_id: &str,
    version: &str,
    query_compatible: bool,
) -> HttpResponse {
    let status = super::error_status(model, err);
    let shape = super::error_shape(model, &err.code);
    let type_name = shape.map(|s| s.name.clone()).unwrap_or_else(|| err.code.clone());
    let mut body = Map::new();
    body.insert("__type".into(), Value::String(type_name.clone()));
    error_members(model, shape, err, &mut body);
    let mut resp = HttpResponse::new(
        status,
        &format!("application/x-amz-json-{version}"),
        Value::Object(body).to_string(),
    )
    .header("x-amzn-RequestId", request_id)
    .header("X-Amzn-ErrorType", type_name);
    if query_compatible {
        let code = shape
            .and_then(|s| s.error.as_ref())
            .and_then(|e| e.code.clone())
            .unwrap_or_else(|| shape.map(|s| s.name.clone()).unwrap_or_else(|| err.code.clone()));
        let receiver = status >= 500 || !err.sender_fault || shape.is_some_and(|s| s.fault);
        resp = resp.header(
            "x-amzn-query-error",
            format!("{code};{}", if receiver { "Receiver" } else { "Sender" }),
        );
    }
    resp
}

/// The message (under the casing the error shape uses) and the error's further members, written
/// into `body` as the error shape's JSON encoding.
pub(crate) fn error_members(model: &Model, shape: Option<&Shape>, err: &AwsError, body: &mut Map<String, Value>) {
    let members = match shape.map(|s| &s.kind) {
        Some(Kind::Structure { members, .. }) => members.as_slice(),
        _ => &[],
    };
    let message_member = members.iter().find(|m| m.name.eq_ignore_ascii_case("message"));
    let message_key = message_member.map(|m| m.location_name.as_str()).unwrap_or("message");
    if !err.message.is_empty() {
        body.insert(message_key.to_owned(), Value::String(err.message.clone()));
    }
    for (k, v) in &err.extra {
        match members.iter().find(|m| &m.name == k) {
            Some(m) if m.location == crate::model::Location::Body => {
                body.insert(m.location_name.clone(), member_to_body(model, m, v));
            }
            Some(_) => {}
            None => {
                body.insert(k.clone(), v.clone());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON body <-> canonical value

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        "the request body".to_owned()
    } else {
        format!("member {path}")
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The timestamp format in force for a value: the member's, else the shape's.
pub(crate) fn timestamp_format<'a>(member: Option<&'a Member>, shape: &'a Shape) -> Option<&'a str> {
    member
        .and_then(|m| m.timestamp_format.as_deref())
        .or(shape.timestamp_format.as_deref())
}

/// An epoch-seconds number: an integer when whole.
pub(crate) fn epoch_value(epoch: f64) -> Value {
    if epoch.fract() == 0.0 && epoch.abs() < 9.0e15 {
        Value::from(epoch as i64)
    } else {
        serde_json::Number::from_f64(epoch)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// A timestamp in the wire format `format` (`iso8601`, `rfc822`, else epoch seconds).
pub(crate) fn format_timestamp(epoch: f64, format: Option<&str>) -> Value {
    match format {
        Some("iso8601") => Value::String(timestamp::iso8601(epoch)),
        Some("rfc822") => Value::String(timestamp::http_date(epoch)),
        _ => epoch_value(epoch),
    }
}

/// The canonical epoch number of a canonical timestamp value (a number, or text a handler left).
pub(crate) fn canonical_epoch(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => timestamp::parse(s),
        _ => None,
    }
}

const SPECIAL_FLOATS: [&str; 3] = ["NaN", "Infinity", "-Infinity"];

/// Walks a JSON value against `shape` into the canonical value. Errors name the member path.
pub fn body_to_canonical(model: &Model, shape: ShapeId, v: &Value, path: &str) -> Result<Value, String> {
    value_to_canonical(model, shape, v, path)
}

fn value_to_canonical(model: &Model, id: ShapeId, v: &Value, path: &str) -> Result<Value, String> {
    let shape = model.shape(id);
    let wrong = |want: &str| format!("Expected {want} for {}, found {}", at(path), json_type(v));
    if shape.document {
        return Ok(v.clone());
    }
    match &shape.kind {
        Kind::Structure { members, .. } => {
            let Value::Object(obj) = v else {
                return Err(wrong("an object"));
            };
            let mut out = Map::new();
            for m in members {
                match obj.get(&m.location_name) {
                    None | Some(Value::Null) => {}
                    Some(x) => {
                        out.insert(
                            m.name.clone(),
                            value_to_canonical(model, m.shape, x, &join(path, &m.location_name))?,
                        );
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Kind::List { member: lm, .. } => {
            let Value::Array(items) = v else {
                return Err(wrong("an array"));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                if !x.is_null() {
                    out.push(value_to_canonical(
                        model,
                        lm.shape,
                        x,
                        &format!("{}[{i}]", if path.is_empty() { "$" } else { path }),
                    )?);
                }
            }
            Ok(Value::Array(out))
        }
        Kind::Map { value: vm, .. } => {
            let Value::Object(obj) = v else {
                return Err(wrong("an object (map)"));
            };
            let mut out = Map::new();
            for (k, x) in obj {
                if !x.is_null() {
                    out.insert(k.clone(), value_to_canonical(model, vm.shape, x, &join(path, k))?);
                }
            }
            Ok(Value::Object(out))
        }
        Kind::String { .. } => match v {
            Value::String(_) => Ok(v.clone()),
            _ => Err(wrong("a string")),
        },
        Kind::Integer | Kind::Long => {
            let (lo, hi) = if matches!(shape.kind, Kind::Integer) {
                (i32::MIN as i64, i32::MAX as i64)
            } else {
                (i64::MIN, i64::MAX)
            };
            let want = if matches!(shape.kind, Kind::Integer) {
                "an integer"
            } else {
                "a long integer"
            };
            let Value::Number(n) = v else {
                return Err(wrong(want));
            };
            let i = n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            });
            match i {
                Some(i) if (lo..=hi).contains(&i) => Ok(Value::from(i)),
                _ => Err(format!("Expected {want} for {}, found {n}", at(path))),
            }
        }
        Kind::Float | Kind::Double => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) if SPECIAL_FLOATS.contains(&s.as_str()) => Ok(v.clone()),
            _ => Err(wrong("a number")),
        },
        Kind::Boolean => match v {
            Value::Bool(_) => Ok(v.clone()),
            _ => Err(wrong("a boolean")),
        },
        Kind::Timestamp => match v {
            Value::Number(n) => n.as_f64().map(epoch_value_f64).ok_or_else(|| wrong("a timestamp")),
            Value::String(s) => timestamp::parse(s)
                .map(epoch_value_f64)
                .ok_or_else(|| format!("Expected a timestamp for {}, found the string {s:?}", at(path))),
            _ => Err(wrong("a timestamp (epoch seconds or ISO 8601)")),
        },
        Kind::Blob => match v {
            Value::String(s) => {
                if base64::engine::general_purpose::STANDARD.decode(s.trim()).is_ok() {
                    Ok(Value::String(s.trim().to_owned()))
                } else {
                    Err(format!("Expected base64-encoded binary data for {}", at(path)))
                }
            }
            _ => Err(wrong("a base64 string")),
        },
    }
}

/// Canonical timestamps are f64 epoch seconds.
fn epoch_value_f64(f: f64) -> Value {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Walks a canonical value against `shape` into its JSON wire encoding. Members the shape does
/// not have are left out; values of an unexpected type are passed through unchanged.
pub fn canonical_to_body(model: &Model, shape: ShapeId, v: &Value) -> Value {
    value_to_body(model, None, shape, v)
}

pub(crate) fn member_to_body(model: &Model, m: &Member, v: &Value) -> Value {
    value_to_body(model, Some(m), m.shape, v)
}

fn value_to_body(model: &Model, member: Option<&Member>, id: ShapeId, v: &Value) -> Value {
    let shape = model.shape(id);
    if shape.document {
        return v.clone();
    }
    match (&shape.kind, v) {
        (Kind::Structure { members, .. }, Value::Object(obj)) => {
            let mut out = Map::new();
            for m in members {
                if let Some(x) = obj.get(&m.name).filter(|x| !x.is_null()) {
                    out.insert(m.location_name.clone(), value_to_body(model, Some(m), m.shape, x));
                }
            }
            Value::Object(out)
        }
        (Kind::List { member: lm, .. }, Value::Array(items)) => Value::Array(
            items
                .iter()
                .filter(|x| !x.is_null())
                .map(|x| value_to_body(model, Some(lm), lm.shape, x))
                .collect(),
        ),
        (Kind::Map { value: vm, .. }, Value::Object(obj)) => Value::Object(
            obj.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), value_to_body(model, Some(vm), vm.shape, x)))
                .collect(),
        ),
        (Kind::Timestamp, _) => match canonical_epoch(v) {
            Some(epoch) => format_timestamp(epoch, timestamp_format(member, shape)),
            None => v.clone(),
        },
        _ => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;
    use bytes::Bytes;
    use http::{HeaderMap, Method};

    fn req(target: &str, body: &str) -> HttpRequest {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", target.parse().unwrap());
        HttpRequest {
            method: Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn ecs_output_golden_bytes() {
        let model = Service::Ecs.model();
        let op = model.operation("DescribeClusters").unwrap();
        let out = serde_json::json!({
            "clusters": [{"clusterName": "c1", "clusterArn": "arn:aws:ecs:us-east-1:000000000000:cluster/c1",
                          "status": "ACTIVE", "runningTasksCount": 2, "tags": [], "internalOnly": "dropped"}],
            "failures": []
        });
        let resp = write_output(&model, op, &out, "rid-1", "1.1");
        assert_eq!(resp.status, 200);
        assert_eq!(header(&resp, "content-type"), Some("application/x-amz-json-1.1"));
        assert_eq!(header(&resp, "x-amzn-RequestId"), Some("rid-1"));
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"clusters":[{"clusterArn":"arn:aws:ecs:us-east-1:000000000000:cluster/c1","clusterName":"c1","runningTasksCount":2,"status":"ACTIVE","tags":[]}],"failures":[]}"#
        );
    }

    #[test]
    fn ecs_timestamps_are_epoch_numbers() {
        let model = Service::Ecs.model();
        let op = model.operation("DescribeServices").unwrap();
        let out = serde_json::json!({"services": [{"serviceName": "s", "createdAt": 1714567890.5}, {"serviceName": "t", "createdAt": 1714567890.0}]});
        let resp = write_output(&model, op, &out, "r", "1.1");
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"services":[{"createdAt":1714567890.5,"serviceName":"s"},{"createdAt":1714567890,"serviceName":"t"}]}"#
        );
    }

    #[test]
    fn ecs_error_golden_bytes() {
        let model = Service::Ecs.model();
        let err = AwsError::new("ServiceNotFoundException", "Service not found.");
        let resp = write_error(&model, &err, "rid-2", "1.1", false);
        assert_eq!(resp.status, 400);
        assert_eq!(header(&resp, "X-Amzn-ErrorType"), Some("ServiceNotFoundException"));
        assert_eq!(header(&resp, "x-amzn-query-error"), None);
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"__type":"ServiceNotFoundException","message":"Service not found."}"#
        );
        // ServerException is a fault with no modelled status: 500.
        let resp = write_error(&model, &AwsError::new("ServerException", "boom"), "r", "1.1", false);
        assert_eq!(resp.status, 500);
    }

    #[test]
    fn cloudwatch_query_compatible_error_golden_bytes() {
        let model = Service::CloudWatch.model();
        // By shape name or by the awsQuery code, the same wire error.
        for code in ["ResourceNotFound", "DashboardNotFoundError"] {
            let err = AwsError::new(code, "Dashboard d does not exist");
            let resp = write_error(&model, &err, "rid-3", "1.0", true);
            let shape = if code == "ResourceNotFound" {
                "ResourceNotFound"
            } else {
                "DashboardNotFoundError"
            };
            assert_eq!(resp.status, 404);
            assert_eq!(header(&resp, "content-type"), Some("application/x-amz-json-1.0"));
            assert_eq!(header(&resp, "x-amzn-query-error"), Some("ResourceNotFound;Sender"));
            assert_eq!(
                std::str::from_utf8(&resp.body).unwrap(),
                format!(r#"{{"__type":"{shape}","message":"Dashboard d does not exist"}}"#)
            );
        }
        let resp = write_error(&model, &AwsError::new("InvalidParameterValue", "bad"), "r", "1.0", true);
        assert_eq!(
            header(&resp, "x-amzn-query-error"),
            Some("InvalidParameterValue;Sender")
        );
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"__type":"InvalidParameterValueException","message":"bad"}"#
        );
        let resp = write_error(&model, &AwsError::new("InternalServiceFault", "oops"), "r", "1.0", true);
        assert_eq!(resp.status, 500);
        assert_eq!(
            header(&resp, "x-amzn-query-error"),
            Some("InternalServiceError;Receiver")
        );
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"__type":"InternalServiceFault","Message":"oops"}"#
        );
    }

    #[test]
    fn wrong_types_are_serialization_exceptions() {
        let model = Service::Ecs.model();
        let op = model.operation("CreateService").unwrap();
        let e = parse_input(
            &model,
            op,
            &req("x.CreateService", r#"{"serviceName":"s","desiredCount":"two"}"#),
        )
        .unwrap_err();
        assert_eq!(e.code, "SerializationException");
        assert!(e.message.contains("desiredCount"), "{}", e.message);
        let e = parse_input(&model, op, &req("x.CreateService", "{not json")).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let e = parse_input(&model, op, &req("x.CreateService", "[1]")).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let e = parse_input(&model, op, &req("x.CreateService", r#"{"desiredCount":1.5}"#)).unwrap_err();
        assert_eq!(e.code, "SerializationException");
        let ok = parse_input(
            &model,
            op,
            &req(
                "x.CreateService",
                r#"{"serviceName":"s","desiredCount":2,"bogus":1,"cluster":null}"#,
            ),
        )
        .unwrap();
        assert_eq!(ok, serde_json::json!({"serviceName": "s", "desiredCount": 2}));
        let empty = parse_input(&model, op, &req("x.CreateService", "")).unwrap();
        assert_eq!(empty, serde_json::json!({}));
    }

    #[test]
    fn input_timestamps_become_epoch_numbers() {
        let model = Service::Logs.model();
        let op = model.operation("PutLogEvents").unwrap();
        let v = parse_input(
            &model,
            op,
            &req(
                "Logs_20140328.PutLogEvents",
                r#"{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1714567890123,"message":"m"}]}"#,
            ),
        )
        .unwrap();
        assert_eq!(v["logEvents"][0]["timestamp"], 1714567890123i64);
        let model = Service::CloudWatch.model();
        let op = model.operation("GetMetricStatistics").unwrap();
        let v = parse_input(
            &model,
            op,
            &req(
                "x.GetMetricStatistics",
                r#"{"StartTime":"2024-05-01T12:00:00Z","EndTime":1714565400.5}"#,
            ),
        )
        .unwrap();
        assert_eq!(v["StartTime"].as_f64(), Some(1_714_564_800.0));
        assert_eq!(v["EndTime"].as_f64(), Some(1_714_565_400.5));
    }
}
