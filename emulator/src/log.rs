//! A small leveled logger to standard error: `CUTOVER_LOG=error|info|debug` (default `info`).
//! At `debug` every API call writes one line: service, operation, status and duration.

use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(1);

pub const ERROR: u8 = 0;
pub const INFO: u8 = 1;
pub const DEBUG: u8 = 2;

pub fn set_level(name: &str) -> Result<(), String> {
    let l = match name {
        "error" => ERROR,
        "info" => INFO,
        "debug" | "trace" => DEBUG,
        other => return Err(format!("invalid log level '{other}': expected error, info or debug")),
    };
    LEVEL.store(l, Ordering::Relaxed);
    Ok(())
}

pub fn enabled(level: u8) -> bool {
    LEVEL.load(Ordering::Relaxed) >= level
}

#[macro_export]
macro_rules! log_at {
    ($lvl:expr, $tag:expr, $($arg:tt)*) => {
        if $crate::log::enabled($lvl) {
            eprintln!("cutover {} {}", $tag, format_args!($($arg)*));
        }
    };
}

#[macro_export]
macro_rules! debug { ($($arg:tt)*) => { $crate::log_at!($crate::log::DEBUG, "DEBUG", $($arg)*) }; }
#[macro_export]
macro_rules! info { ($($arg:tt)*) => { $crate::log_at!($crate::log::INFO, "INFO", $($arg)*) }; }
#[macro_export]
macro_rules! error { ($($arg:tt)*) => { $crate::log_at!($crate::log::ERROR, "ERROR", $($arg)*) }; }
