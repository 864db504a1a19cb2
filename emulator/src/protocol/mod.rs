//! The protocol layer: each AWS wire protocol implemented once, driven by the service models.
//!
//! Service handlers never see HTTP, XML or form encoding. Between the codecs and the handlers,
//! input and output travel as a `serde_json::Value` in one canonical form, whatever the wire:
//!
//! * a structure is an object keyed by the model's **member names** (not the wire `locationName`);
//! * a list is an array, a map an object;
//! * a timestamp is a number of epoch seconds (fractional allowed);
//! * a blob is a base64 string;
//! * integers and longs are integers, floats and doubles numbers, booleans booleans;
//! * an absent member is left out (never `null`).
//!
//! Parsing turns the wire into that form, validation checks it against the model, and serializing
//! turns a handler's output back into the wire form the client expects.

pub mod cbor;
pub mod detect;
pub mod error;
pub mod json;
pub mod query;
pub mod rest_json;
pub mod timestamp;
pub mod validate;

use bytes::Bytes;
use http::{HeaderMap, Method};

pub use error::{AwsError, AwsResult};

/// An HTTP request as the protocol layer sees it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    /// The path, percent-encoded as received (`/2015-03-31/functions/my%20fn`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An HTTP response produced by a codec.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpResponse {
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// The wire protocol of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// awsJson; `version` is "1.0" or "1.1"; `query_compatible` adds `x-amzn-query-error`.
    Json {
        version: &'static str,
        query_compatible: bool,
    },
    Query,
    Ec2,
    RestJson,
    /// Smithy RPC v2 CBOR; `query_compatible` adds `x-amzn-query-error`.
    Cbor {
        query_compatible: bool,
    },
}

impl Wire {
    /// The operation a request names, when the protocol carries it outside the body's shape
    /// (`X-Amz-Target`, `Action`); restJson operations are matched by method and URI instead.
    pub fn operation_name(self, model: &crate::model::Model, req: &HttpRequest) -> Option<String> {
        match self {
            Wire::Json { .. } => json::operation_name(req),
            Wire::Query | Wire::Ec2 => query::operation_name(req),
            Wire::RestJson => rest_json::match_operation(model, req).map(|(op, _)| op),
            Wire::Cbor { .. } => cbor::operation_name(req),
        }
    }

    /// Parses the request into the canonical input value of `op` (see the module docs).
    pub fn parse_input(
        self,
        model: &crate::model::Model,
        op: &crate::model::Operation,
        req: &HttpRequest,
    ) -> AwsResult<serde_json::Value> {
        match self {
            Wire::Json { .. } => json::parse_input(model, op, req),
            Wire::Query => query::parse_input(model, op, req, false),
            Wire::Ec2 => query::parse_input(model, op, req, true),
            Wire::RestJson => rest_json::parse_input(model, op, req),
            Wire::Cbor { .. } => cbor::parse_input(model, op, req),
        }
    }

    /// Serializes a handler's output value into the response the client expects.
    pub fn write_output(
        self,
        model: &crate::model::Model,
        op: &crate::model::Operation,
        output: &serde_json::Value,
        request_id: &str,
    ) -> HttpResponse {
        match self {
            Wire::Json { version, .. } => json::write_output(model, op, output, request_id, version),
            Wire::Query => query::write_output(model, op, output, request_id, false),
            Wire::Ec2 => query::write_output(model, op, output, request_id, true),
            Wire::RestJson => rest_json::write_output(model, op, output, request_id),
            Wire::Cbor { .. } => cbor::write_output(model, op, output, request_id),
        }
    }

    /// Serializes an error in this protocol's wire shape, with the status the model gives it.
    pub fn write_error(self, model: &crate::model::Model, err: &AwsError, request_id: &str) -> HttpResponse {
        match self {
            Wire::Json {
                version,
                query_compatible,
            } => json::write_error(model, err, request_id, version, query_compatible),
            Wire::Query => query::write_error(model, err, request_id, false),
            Wire::Ec2 => query::write_error(model, err, request_id, true),
            Wire::RestJson => rest_json::write_error(model, err, request_id),
            Wire::Cbor { query_compatible } => cbor::write_error(model, err, request_id, query_compatible),
        }
    }

    /// The error for an operation name the model does not know.
    pub fn unknown_operation(self, model: &crate::model::Model, name: &str) -> AwsError {
        match self {
            Wire::Json { .. } | Wire::Cbor { .. } => {
                AwsError::new("UnknownOperationException", format!("Unknown operation {name}"))
            }
            Wire::Query => AwsError::new(
                "InvalidAction",
                format!(
                    "Could not find operation {name} for version {}",
                    model.metadata.api_version
                ),
            ),
            Wire::Ec2 => AwsError::new(
                "InvalidAction",
                format!("The action {name} is not valid for this web service."),
            ),
            Wire::RestJson => {
                AwsError::new("UnknownOperationException", format!("No operation matches {name}")).with_status(404)
            }
        }
    }
}

/// Finds the error shape for an error code: by shape name, then by the shape's awsQuery code.
pub fn error_shape<'m>(model: &'m crate::model::Model, code: &str) -> Option<&'m crate::model::Shape> {
    if let Some(id) = model.shape_named(code) {
        let s = model.shape(id);
        if s.exception || s.error.is_some() || s.fault {
            return Some(s);
        }
    }
    model
        .shapes
        .iter()
        .find(|s| s.error.as_ref().and_then(|e| e.code.as_deref()) == Some(code))
}

/// The HTTP status for an error: the override, else the model's, else 400.
pub fn error_status(model: &crate::model::Model, err: &AwsError) -> u16 {
    err.status
        .or_else(|| {
            error_shape(model, &err.code).and_then(|s| {
                s.error
                    .as_ref()
                    .map(|e| e.status)
                    .or(if s.fault { Some(500) } else { None })
            })
        })
        .unwrap_or(400)
}

/// The model an error is written with when the service is unknown: one of the protocol's own
/// services (the model only lends the XML namespace and error status lookups).
fn fallback_service(wire: Wire) -> crate::model::Service {
    use crate::model::Service;
    match wire {
        Wire::Query => Service::Sts,
        Wire::Ec2 => Service::Ec2,
        Wire::RestJson => Service::Lambda,
        Wire::Json { .. } => Service::Ecs,
        Wire::Cbor { .. } => Service::CloudWatch,
    }
}

/// Writes `err` in the protocol [`detect::error_wire`] reads from the request's headers, path
/// and query string (the body is not needed, or could not be read).
pub fn early_error(headers: &HeaderMap, path: &str, query: &str, err: &AwsError, request_id: &str) -> HttpResponse {
    let (service, wire) = detect::error_wire(headers, path, query);
    let model = service.unwrap_or_else(|| fallback_service(wire)).model();
    wire.write_error(&model, err, request_id)
}

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A body larger than `limit` bytes (as sent, or once inflated), answered 413 in the caller's
/// protocol. AWS documents no code for it outside Lambda: Lambda's modelled
/// `RequestTooLargeException`; `RequestEntityTooLarge` for awsQuery and EC2;
/// `RequestEntityTooLargeException` for the JSON protocols.
pub fn request_too_large(headers: &HeaderMap, path: &str, query: &str, limit: usize) -> HttpResponse {
    let (service, wire) = detect::error_wire(headers, path, query);
    let code = match (service, wire) {
        (Some(crate::model::Service::Lambda), _) => "RequestTooLargeException",
        (_, Wire::Query | Wire::Ec2) => "RequestEntityTooLarge",
        _ => "RequestEntityTooLargeException",
    };
    let err = AwsError::new(code, format!("Request must be smaller than {limit} bytes")).with_status(413);
    early_error(headers, path, query, &err, &new_request_id())
}

/// A body that says `Content-Encoding: gzip` but does not inflate, answered 400 in the caller's
/// protocol: `SerializationException` for the JSON protocols (Lambda's
/// `InvalidRequestContentException`), `MalformedInput` for awsQuery (the code AWS's query services
/// answer for input they cannot read), `InvalidParameterValue` for EC2.
pub fn undecodable_body(headers: &HeaderMap, path: &str, query: &str, detail: &str) -> HttpResponse {
    let (service, wire) = detect::error_wire(headers, path, query);
    let code = match (service, wire) {
        (Some(crate::model::Service::Lambda), _) => "InvalidRequestContentException",
        (_, Wire::Query) => "MalformedInput",
        (_, Wire::Ec2) => "InvalidParameterValue",
        _ => "SerializationException",
    };
    let err = AwsError::new(code, detail).with_status(400);
    early_error(headers, path, query, &err, &new_request_id())
}
