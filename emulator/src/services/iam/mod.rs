//! IAM (per account). PLACEHOLDER: being written.

use super::Handler;

#[derive(Debug, Default)]
pub struct State {}

pub fn handler(_op: &str) -> Option<Handler> {
    None
}
