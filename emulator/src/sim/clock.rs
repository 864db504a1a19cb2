//! The simulated clock: real, scaled ×N, or manual. The only module allowed to read wall time.
//!
//! Simulated time is kept in integer milliseconds since the Unix epoch ([`SimTime`]). It starts at
//! the wall time when the emulator starts; in `real` mode it runs with the wall clock, in `scaled`
//! mode N times faster, and in `manual` mode it moves only when [`Clock::advance_ms`] is called.
//!
//! Simulated time never passes [`SimTime::MAX`], 9999-12-31T23:59:59.999Z: every SDK parses
//! timestamps up to year 9999 and no further (Python's `datetime`, Java's ISO parser), so the
//! control API refuses an advance beyond it and the clock saturates there in any mode.
//!
//! [`Clock::reset`] (what `POST /_emulator/reset` does to time): in `real` and `scaled` mode the
//! clock goes back to the wall clock, as if the emulator had just started; in `manual` mode it goes
//! back to the time it started at (the wall time at start, or the start a test gave it), so a test
//! that resets gets the same timestamps on every run.

#![allow(clippy::disallowed_methods)]

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, in simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub i64);

impl SimTime {
    /// 9999-12-31T23:59:59.999Z, the last moment every SDK can parse.
    pub const MAX: SimTime = SimTime(253_402_300_799_999);

    pub fn from_secs_f64(s: f64) -> SimTime {
        SimTime((s * 1000.0).round() as i64)
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    pub fn plus_ms(self, ms: i64) -> SimTime {
        SimTime(self.0.saturating_add(ms))
    }
    pub fn plus_secs(self, s: f64) -> SimTime {
        self.plus_ms((s * 1000.0).round() as i64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    Real,
    Manual,
    Scaled(f64),
}

impl ClockMode {
    /// `real`, `manual` or `scaled:N`.
    pub fn parse(text: &str) -> Result<ClockMode, String> {
        match text {
            "real" => Ok(ClockMode::Real),
            "manual" => Ok(ClockMode::Manual),
            _ => match text.strip_prefix("scaled:").map(str::parse::<f64>) {
                Some(Ok(n)) if n.is_finite() && n > 0.0 => Ok(ClockMode::Scaled(n)),
                _ => Err(format!(
                    "invalid clock '{text}': expected real, manual or scaled:N with N > 0"
                )),
            },
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ClockMode::Real => "real",
            ClockMode::Manual => "manual",
            ClockMode::Scaled(_) => "scaled",
        }
    }

    pub fn scale(self) -> f64 {
        match self {
            ClockMode::Real => 1.0,
            ClockMode::Manual => 0.0,
            ClockMode::Scaled(n) => n,
        }
    }
}

#[derive(Debug)]
struct State {
    mode: ClockMode,
    /// Simulated time at `anchor`.
    base: SimTime,
    anchor: Instant,
    /// Where the clock started (what a manual clock's reset goes back to).
    start: SimTime,
}

#[derive(Debug)]
pub struct Clock {
    state: Mutex<State>,
}

/// The wall time now, in milliseconds since the epoch. Public for the Lambda runtime, whose
/// deadlines are wall-clock (the function compares them with its own clock).
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    pub fn new(mode: ClockMode) -> Clock {
        Clock::starting_at(mode, SimTime(wall_ms()))
    }

    pub fn starting_at(mode: ClockMode, start: SimTime) -> Clock {
        Clock {
            state: Mutex::new(State {
                mode,
                base: start.min(SimTime::MAX),
                anchor: Instant::now(),
                start: start.min(SimTime::MAX),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_locked(s: &State) -> SimTime {
        let elapsed = s.anchor.elapsed().as_secs_f64();
        match s.mode {
            ClockMode::Manual => s.base,
            mode => s.base.plus_secs(elapsed * mode.scale()).min(SimTime::MAX),
        }
    }

    pub fn now(&self) -> SimTime {
        Self::now_locked(&self.lock())
    }

    pub fn mode(&self) -> ClockMode {
        self.lock().mode
    }

    /// Switches mode from now on, keeping the simulated time continuous.
    pub fn set_mode(&self, mode: ClockMode) {
        let mut s = self.lock();
        s.base = Self::now_locked(&s);
        s.anchor = Instant::now();
        s.mode = mode;
    }

    /// Moves simulated time forward by `ms` (in any mode, at most up to [`SimTime::MAX`]) and
    /// returns the new time.
    pub fn advance_ms(&self, ms: i64) -> SimTime {
        let mut s = self.lock();
        s.base = Self::now_locked(&s).plus_ms(ms.max(0)).min(SimTime::MAX);
        s.anchor = Instant::now();
        s.base
    }

    /// Whether advancing by `secs` keeps the clock within [`SimTime::MAX`]: a finite,
    /// non-negative number of seconds that does not pass year 9999.
    pub fn can_advance(&self, secs: f64) -> bool {
        let now = self.now();
        secs.is_finite() && secs >= 0.0 && (now.0 as f64) + (secs * 1000.0).round() <= SimTime::MAX.0 as f64
    }

    /// Puts the clock back (see the module docs): to the wall clock in `real` and `scaled` mode,
    /// to where it started in `manual` mode. The mode stays. Returns the new time.
    pub fn reset(&self) -> SimTime {
        let mut s = self.lock();
        s.base = match s.mode {
            ClockMode::Manual => s.start,
            ClockMode::Real | ClockMode::Scaled(_) => SimTime(wall_ms()).min(SimTime::MAX),
        };
        s.anchor = Instant::now();
        s.base
    }

    /// How long to sleep on the wall clock until simulated time reaches `at`; `None` in manual mode.
    pub fn wall_delay_until(&self, at: SimTime) -> Option<Duration> {
        let s = self.lock();
        let now = Self::now_locked(&s);
        match s.mode {
            ClockMode::Manual => None,
            mode => {
                let sim_ms = (at.0 - now.0).max(0) as f64;
                Some(Duration::from_secs_f64(sim_ms / 1000.0 / mode.scale()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_on_advance() {
        let c = Clock::starting_at(ClockMode::Manual, SimTime(1_000));
        assert_eq!(c.now(), SimTime(1_000));
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(c.now(), SimTime(1_000));
        assert_eq!(c.advance_ms(60_000), SimTime(61_000));
        assert_eq!(c.wall_delay_until(SimTime(70_000)), None);
    }

    #[test]
    fn scaled_clock_runs_faster() {
        let c = Clock::starting_at(ClockMode::Scaled(1000.0), SimTime(0));
        std::thread::sleep(Duration::from_millis(20));
        assert!(c.now().0 >= 20_000, "{:?}", c.now());
        let d = c.wall_delay_until(c.now().plus_ms(60_000)).unwrap();
        assert!(d <= Duration::from_millis(61), "{d:?}");
    }

    #[test]
    fn never_passes_year_9999() {
        let c = Clock::starting_at(ClockMode::Manual, SimTime(1_000));
        assert!(c.can_advance(0.0));
        assert!(!c.can_advance(1e300) && !c.can_advance(f64::NAN) && !c.can_advance(-1.0));
        let to_max = (SimTime::MAX.0 - 1_000) as f64 / 1000.0;
        assert!(c.can_advance(to_max) && !c.can_advance(to_max + 0.001));
        assert_eq!(c.advance_ms(i64::MAX), SimTime::MAX);
        let fast = Clock::starting_at(ClockMode::Scaled(1e300), SimTime(0));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(fast.now(), SimTime::MAX);
    }

    #[test]
    fn reset_goes_back_to_the_start_in_manual_mode_and_to_the_wall_clock_otherwise() {
        let c = Clock::starting_at(ClockMode::Manual, SimTime(5_000));
        c.advance_ms(3_600_000);
        assert_eq!(c.reset(), SimTime(5_000));
        assert_eq!(c.now(), SimTime(5_000));
        assert_eq!(c.mode(), ClockMode::Manual);
        let r = Clock::starting_at(ClockMode::Real, SimTime(5_000));
        r.advance_ms(86_400_000);
        let before = wall_ms();
        let back = r.reset();
        assert!(back.0 >= before && back.0 <= wall_ms(), "{back:?}");
    }

    #[test]
    fn parses_modes() {
        assert_eq!(ClockMode::parse("scaled:60"), Ok(ClockMode::Scaled(60.0)));
        assert!(ClockMode::parse("scaled:0").is_err());
        assert!(ClockMode::parse("fast").is_err());
    }
}
