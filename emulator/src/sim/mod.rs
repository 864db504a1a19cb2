//! Simulated time and the work scheduled on it.

pub mod clock;
pub mod scheduler;

pub use clock::{Clock, ClockMode, SimTime};
pub use scheduler::{Event, Scheduler};
