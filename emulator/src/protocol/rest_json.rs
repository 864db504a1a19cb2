//! restJson1 (Lambda): operations matched by method and URI template; members bound to the
//! path, query string, headers and body. PLACEHOLDER: being written.

use super::{AwsError, AwsResult, HttpRequest, HttpResponse};
use crate::model::{Model, Operation};
use serde_json::Value;

/// The operation whose method and URI template match the request, with its path labels.
pub fn match_operation(_model: &Model, _req: &HttpRequest) -> Option<(String, Vec<(String, String)>)> {
    None
}

pub fn parse_input(_model: &Model, _op: &Operation, _req: &HttpRequest) -> AwsResult<Value> {
    Ok(Value::Object(Default::default()))
}

pub fn write_output(_model: &Model, op: &Operation, output: &Value, request_id: &str) -> HttpResponse {
    HttpResponse::new(op.response_code, "application/json", output.to_string()).header("x-amzn-RequestId", request_id)
}

pub fn write_error(model: &Model, err: &AwsError, request_id: &str) -> HttpResponse {
    let status = super::error_status(model, err);
    let body = serde_json::json!({"Type": "User", "message": err.message});
    HttpResponse::new(status, "application/json", body.to_string())
        .header("x-amzn-RequestId", request_id)
        .header("X-Amzn-ErrorType", err.code.clone())
}
