//! Unit tests of the Lambda API (no processes).
