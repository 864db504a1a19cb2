//! cutover: a local AWS emulator and test harness for ECS blue/green deployments through CodeDeploy.
//!
//! The library runs the same emulator as `cutover serve`: [`server::start`] binds a port inside a
//! test process, and (with the `sdk-connector` feature) [`connector::InProcess`] lets aws-sdk-rust
//! clients call the router with no socket at all.

pub mod control;
pub mod dispatch;
pub mod env;
pub mod lifecycle;
pub mod log;
pub mod model;
pub mod net;
pub mod protocol;
pub mod report;
pub mod runtime;
pub mod scenario;
pub mod server;
pub mod services;
pub mod sim;
pub mod timeline;
pub mod world;

#[cfg(feature = "sdk-connector")]
pub mod connector;

use sim::{Clock, ClockMode, SimTime};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use world::World;

/// One emulator: the world behind one lock, the clock, and the wake-up for the real-time driver.
pub struct Emulator {
    world: Mutex<World>,
    pub clock: Clock,
    /// Woken when the next due event may have moved (something scheduled, the clock switched).
    pub wake: Notify,
    /// Lambda functions as local processes, and the Event invocation drainer.
    pub lambda: runtime::lambda::Runtime,
    /// The ALB data plane serving this emulator, while one runs (`server::serve_with` starts it).
    alb: std::sync::RwLock<std::sync::Weak<runtime::alb::Runtime>>,
}

impl Emulator {
    pub fn new(mode: ClockMode) -> Arc<Emulator> {
        let clock = Clock::new(mode);
        let now = clock.now();
        Arc::new(Emulator {
            world: Mutex::new(crate::lifecycle::new_world(now)),
            clock,
            wake: Notify::new(),
            lambda: runtime::lambda::Runtime::new(),
            alb: std::sync::RwLock::default(),
        })
    }

    /// Starts with simulated time at `start` (tests that want fixed timestamps).
    pub fn starting_at(mode: ClockMode, start: SimTime) -> Arc<Emulator> {
        Arc::new(Emulator {
            world: Mutex::new(crate::lifecycle::new_world(start)),
            clock: Clock::starting_at(mode, start),
            wake: Notify::new(),
            lambda: runtime::lambda::Runtime::new(),
            alb: std::sync::RwLock::default(),
        })
    }

    /// The ALB data plane serving this emulator, if one runs.
    pub fn alb(&self) -> Option<Arc<runtime::alb::Runtime>> {
        self.alb.read().unwrap_or_else(|p| p.into_inner()).upgrade()
    }

    /// Records the data plane serving this emulator (it holds the emulator; this is the way back).
    pub(crate) fn attach_alb(&self, rt: &Arc<runtime::alb::Runtime>) {
        *self.alb.write().unwrap_or_else(|p| p.into_inner()) = Arc::downgrade(rt);
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A handler that panicked is answered with a 500; its partial changes stay, as they would
        // after any other failed step. Never let one bad request poison the emulator.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the world after firing every event due by the clock's now. Never hold the
    /// returned value across an `.await` that needs the world.
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        let mut w = self.lock();
        let before = w.scheduler.next_due();
        let queued = lifecycle::edges::invocations_queued(&w);
        lifecycle::run_until(&mut w, self.clock.now());
        let r = f(&mut w);
        if w.scheduler.next_due() != before {
            self.wake.notify_one();
        }
        if lifecycle::edges::invocations_queued(&w) != queued {
            self.lambda.wake.notify_one();
        }
        r
    }

    /// Moves simulated time forward `secs`, firing every event due in between in time order.
    pub fn advance(&self, secs: f64) -> SimTime {
        let mut w = self.lock();
        let queued = lifecycle::edges::invocations_queued(&w);
        lifecycle::run_until(&mut w, self.clock.now());
        let target = self.clock.advance_ms((secs * 1000.0).round() as i64);
        lifecycle::run_until(&mut w, target);
        // Events fired on the way may have queued Event invocations (CodeDeploy hooks): hand them
        // to the Lambda runtime now, as `with_world` does after a request.
        let invoked = lifecycle::edges::invocations_queued(&w) != queued;
        drop(w);
        self.wake.notify_one();
        if invoked {
            self.lambda.wake.notify_one();
        }
        target
    }

    /// Moves simulated time forward `secs` as [`Emulator::advance`] does, but a Lambda function
    /// is never outrun: whenever an event queues an Event invocation (a CodeDeploy hook), time
    /// stops at that event until the runtime has run it (up to `cap` of wall time), then goes on.
    /// So a hook's answer lands when the hook ran, not after the whole jump; this is what
    /// `POST /_emulator/clock {"advance": S}` and scenarios use.
    pub async fn advance_settled(self: &Arc<Self>, secs: f64, cap: std::time::Duration) -> SimTime {
        self.settle(cap).await;
        let target = self.clock.now().plus_ms((secs * 1000.0).round() as i64);
        loop {
            let stopped = {
                let mut w = self.lock();
                lifecycle::run_until(&mut w, self.clock.now());
                lifecycle::run_until_invocation(&mut w, target)
            };
            match stopped {
                Some(at) => {
                    let ms = at.0 - self.clock.now().0;
                    if ms > 0 {
                        self.clock.advance_ms(ms);
                    }
                    self.wake.notify_one();
                    self.lambda.wake.notify_one();
                    self.settle(cap).await;
                }
                None => {
                    let ms = target.0 - self.clock.now().0;
                    if ms > 0 {
                        self.clock.advance_ms(ms);
                    }
                    self.wake.notify_one();
                    break;
                }
            }
        }
        self.settle(cap).await;
        target
    }

    /// Waits (wall clock, at most `cap`) until no Lambda Event invocation is queued or running.
    /// Returns whether it got there.
    pub async fn settle(self: &Arc<Self>, cap: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + cap;
        loop {
            if runtime::lambda::Runtime::pending_events(self) == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    pub fn set_clock_mode(&self, mode: ClockMode) {
        self.with_world(|_| ());
        self.clock.set_mode(mode);
        self.wake.notify_one();
    }

    /// Fires due events as simulated time passes, in the real and scaled modes. Runs until the task
    /// is aborted (the server aborts it on shutdown).
    pub async fn drive(self: Arc<Self>) {
        let cap = std::time::Duration::from_secs(1);
        loop {
            let wake = self.wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            // A bug in one event's handler must not stop time for everything else.
            let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.with_world(|w| w.scheduler.next_due())
            }))
            .unwrap_or_else(|_| {
                crate::error!("a simulation event panicked; the emulator goes on");
                None
            });
            let delay = next
                .and_then(|at| self.clock.wall_delay_until(at))
                .unwrap_or(cap)
                .min(cap);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = &mut wake => {}
            }
        }
    }
}
