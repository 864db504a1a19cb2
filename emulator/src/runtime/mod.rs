//! What the emulator runs for real, outside the simulated world: Lambda functions as processes.

pub mod lambda;
