//! The one error type every handler returns. The protocol codecs turn it into each
//! protocol's wire shape (awsJson `__type`, awsQuery `<ErrorResponse>`, EC2 `<Response><Errors>`,
//! restJson `X-Amzn-ErrorType`), taking the HTTP status from the model's error shape.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// The error shape name as the model spells it (`ServiceNotFoundException`), or the awsQuery
    /// code (`NoSuchEntity`); the codec maps one to the other.
    pub code: String,
    pub message: String,
    /// Overrides the status the model gives the error shape (400 when the model has no such shape).
    pub status: Option<u16>,
    /// Whether the caller is at fault (`Sender`) or the service (`Receiver`).
    pub sender_fault: bool,
    /// Further members of the error shape (Lambda's `Type`, ECS's `resourceIds`, ...).
    pub extra: Map<String, Value>,
}

impl AwsError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            code: code.into(),
            message: message.into(),
            status: None,
            sender_fault: true,
            extra: Map::new(),
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        if status >= 500 {
            self.sender_fault = false;
        }
        self
    }

    pub fn with_extra(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// An operation the model has but cutover does not implement yet: HTTP 501 naming it.
    pub fn not_implemented(service: &str, operation: &str) -> Self {
        AwsError::new(
            "NotImplemented",
            format!("The operation {operation} of service {service} is not implemented by cutover yet"),
        )
        .with_status(501)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AwsError::new("InternalFailure", message).with_status(500)
    }
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AwsError {}

pub type AwsResult<T> = Result<T, AwsError>;
