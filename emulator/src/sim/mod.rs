//! Simulated time and the work scheduled on it.

pub mod clock;
pub mod scheduler;
pub mod signal;

pub use clock::{Clock, ClockMode, SimTime};
pub use scheduler::Scheduler;
pub use signal::Signal;
