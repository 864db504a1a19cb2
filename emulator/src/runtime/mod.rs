//! What the emulator runs for real, outside the simulated world: Lambda functions as processes,
//! and the ALB data plane that answers real HTTP for the simulated load balancers and tasks.

pub mod alb;
pub mod lambda;
