//! awsJson 1.0 and 1.1 (ECS, CodeDeploy, CloudWatch Logs, CloudWatch), including the
//! query-compatible error header CloudWatch sends. PLACEHOLDER: being written.

use super::{AwsError, AwsResult, HttpRequest, HttpResponse};
use crate::model::{Model, Operation};
use serde_json::Value;

pub fn operation_name(req: &HttpRequest) -> Option<String> {
    let target = req.header("x-amz-target")?;
    target.rsplit_once('.').map(|(_, op)| op.to_owned())
}

pub fn parse_input(_model: &Model, _op: &Operation, req: &HttpRequest) -> AwsResult<Value> {
    if req.body.is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(&req.body).map_err(|e| AwsError::new("SerializationException", e.to_string()))
}

pub fn write_output(_model: &Model, _op: &Operation, output: &Value, request_id: &str, version: &str) -> HttpResponse {
    HttpResponse::new(200, &format!("application/x-amz-json-{version}"), output.to_string())
        .header("x-amzn-RequestId", request_id)
}

pub fn write_error(model: &Model, err: &AwsError, request_id: &str, version: &str, _query_compatible: bool) -> HttpResponse {
    let status = super::error_status(model, err);
    let body = serde_json::json!({"__type": err.code, "message": err.message});
    HttpResponse::new(status, &format!("application/x-amz-json-{version}"), body.to_string())
        .header("x-amzn-RequestId", request_id)
        .header("X-Amzn-ErrorType", err.code.clone())
}
