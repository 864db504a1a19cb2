//! Simulated time and the work scheduled on it.

pub mod clock;
pub mod scheduler;
pub mod signal;

pub use clock::{Clock, ClockMode, SimTime};
pub use scheduler::Scheduler;
pub use signal::Signal;

/// The (account, region) a resource lives in, and a signal is addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    pub account: String,
    pub region: String,
}

impl PartitionKey {
    pub fn new(account: &str, region: &str) -> Self {
        PartitionKey {
            account: account.to_owned(),
            region: region.to_owned(),
        }
    }
}
