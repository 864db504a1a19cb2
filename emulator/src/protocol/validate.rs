//! Input validation from the model (required members, types, enums, length, range, patterns),
//! answered with the error each service gives for it. PLACEHOLDER: being written.

use super::AwsResult;
use crate::model::{Model, Operation, Service};
use serde_json::Value;

pub fn validate_input(_service: Service, _model: &Model, _op: &Operation, _input: &Value) -> AwsResult<()> {
    Ok(())
}
