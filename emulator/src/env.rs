//! What every handler and every simulation step may use besides its own service's state: the
//! simulated time, the id generator, the injected faults, the scheduler and the timeline, as one
//! borrowed [`Env`]. A handler over one service's state is called with that state and an `Env`
//! (`World::split`), so it can move time, hand out ids and write on the timeline without being able
//! to reach another service. This module names no service; `world.rs` owns the values.

use crate::sim::{PartitionKey, Scheduler, Signal, SimTime};
use crate::timeline::Entry;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashSet, VecDeque};

/// One entry of the simulation's timeline (`GET /_emulator/events`): a typed [`Entry`] at a time.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub seq: u64,
    pub time: SimTime,
    pub entry: Entry,
}

impl TimelineEntry {
    pub fn source(&self) -> &str {
        self.entry.source()
    }

    /// The human message, derived from the entry.
    pub fn message(&self) -> String {
        self.entry.message()
    }

    /// The entry as `GET /_emulator/events` answers it.
    pub fn event(&self) -> crate::timeline::Event {
        crate::timeline::Event {
            seq: self.seq,
            time: self.time.as_secs_f64(),
            entry: self.entry.clone(),
        }
    }
}

/// Faults injected through `POST /_emulator/faults`.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Task definitions (`family:revision` and full ARNs) whose tasks fail health checks.
    pub unhealthy_task_definitions: HashSet<String>,
}

/// Random identifiers, from a seeded generator so a run with the same calls hands out the same ids.
#[derive(Debug)]
pub struct Ids {
    rng: SmallRng,
}

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids {
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// Lower-case hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit(self.rng.gen_range(0..16), 16).unwrap_or('0'))
            .collect()
    }

    /// Characters from `alphabet`.
    pub fn from_alphabet(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.rng.gen_range(0..alphabet.len())] as char)
            .collect()
    }

    /// Upper-case letters and digits (deployment ids, access keys).
    pub fn upper_alnum(&mut self, len: usize) -> String {
        self.from_alphabet(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", len)
    }

    pub fn uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.gen()).into_uuid().to_string()
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.rng.gen_range(0..n.max(1))
    }
}

const TIMELINE_LIMIT: usize = 100_000;

/// The timeline's entries (the last [`TIMELINE_LIMIT`]) and the sequence number of the latest.
#[derive(Debug, Default)]
pub struct Timeline {
    entries: VecDeque<TimelineEntry>,
    seq: u64,
}

impl Timeline {
    /// Writes an entry at `time`.
    pub fn record(&mut self, time: SimTime, entry: Entry) {
        self.seq += 1;
        self.entries.push_back(TimelineEntry {
            seq: self.seq,
            time,
            entry,
        });
        if self.entries.len() > TIMELINE_LIMIT {
            self.entries.pop_front();
        }
    }

    /// Entries with a sequence number above `since`.
    pub fn since(&self, since: u64) -> impl Iterator<Item = &TimelineEntry> {
        let start = self.entries.partition_point(|e| e.seq <= since);
        self.entries.range(start..)
    }

    /// An empty timeline that goes on counting from this one's sequence number (a reset keeps
    /// sequence numbers rising, so readers polling `since` miss nothing).
    pub fn restarted(&self) -> Timeline {
        Timeline {
            entries: VecDeque::new(),
            seq: self.seq,
        }
    }
}

/// The world's shared means, borrowed for one call or one simulation step (`World::env`,
/// `World::split`).
pub struct Env<'w> {
    /// The simulated time of the call or signal being handled.
    pub now: SimTime,
    pub ids: &'w mut Ids,
    pub faults: &'w Faults,
    scheduler: &'w mut Scheduler,
    timeline: &'w mut Timeline,
}

impl<'w> Env<'w> {
    pub fn new(
        now: SimTime,
        ids: &'w mut Ids,
        faults: &'w Faults,
        scheduler: &'w mut Scheduler,
        timeline: &'w mut Timeline,
    ) -> Env<'w> {
        Env {
            now,
            ids,
            faults,
            scheduler,
            timeline,
        }
    }

    /// Writes an entry on the timeline at the current simulated time.
    pub fn record(&mut self, entry: Entry) {
        self.timeline.record(self.now, entry);
    }

    /// Queues `signal` to fire at `at` (never earlier than now); `lifecycle::drive` fires it.
    pub fn schedule(&mut self, at: SimTime, partition: &PartitionKey, signal: Signal) {
        self.scheduler.schedule(at.max(self.now), partition.clone(), signal);
    }

    /// The current simulated time as epoch seconds, for output values.
    pub fn now_secs(&self) -> f64 {
        self.now.as_secs_f64()
    }

    /// The simulated time `secs` from now.
    pub fn after_secs(&self, secs: f64) -> SimTime {
        self.now.plus_secs(secs)
    }
}
