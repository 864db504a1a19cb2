//! awsQuery (IAM, STS, ELBv2, CloudWatch for older clients) and its EC2 dialect: form-encoded
//! requests, XML responses. PLACEHOLDER: being written.

use super::{AwsError, AwsResult, HttpRequest, HttpResponse};
use crate::model::{Model, Operation};
use serde_json::Value;

/// The form parameters of a query request: the body when it is form-encoded, else the URL query.
pub fn params(req: &HttpRequest) -> Vec<(String, String)> {
    let src: &[u8] = if req.body.is_empty() { req.query.as_bytes() } else { &req.body };
    form_urlencoded::parse(src).into_owned().collect()
}

pub fn operation_name(req: &HttpRequest) -> Option<String> {
    params(req).into_iter().find(|(k, _)| k == "Action").map(|(_, v)| v)
}

pub fn parse_input(_model: &Model, _op: &Operation, _req: &HttpRequest, _ec2: bool) -> AwsResult<Value> {
    Ok(Value::Object(Default::default()))
}

pub fn write_output(_model: &Model, op: &Operation, _output: &Value, request_id: &str, _ec2: bool) -> HttpResponse {
    let body = format!(
        "<{0}Response><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{0}Response>",
        op.name
    );
    HttpResponse::new(200, "text/xml", body).header("x-amzn-RequestId", request_id)
}

pub fn write_error(model: &Model, err: &AwsError, request_id: &str, _ec2: bool) -> HttpResponse {
    let status = super::error_status(model, err);
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        err.code, err.message
    );
    HttpResponse::new(status, "text/xml", body).header("x-amzn-RequestId", request_id)
}
