//! EC2 networking subset. PLACEHOLDER: being written.

use super::Handler;
use crate::world::Ids;

#[derive(Debug, Default)]
pub struct State {}

impl State {
    pub fn new(_account: &str, _region: &str, _ids: &mut Ids) -> State {
        State {}
    }
}

pub fn handler(_op: &str) -> Option<Handler> {
    None
}
