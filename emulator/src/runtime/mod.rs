//! The data plane: what answers real network traffic for the simulated resources.

pub mod alb;
