//! The scheduler of future work: every delayed effect in the simulation is a [`Signal`] queued at a
//! simulated time. Signals fire in (time, insertion order), so a run is deterministic. The
//! scheduler names no service: what a signal means is `lifecycle::drive`'s business.

use super::clock::SimTime;
use super::signal::Signal;
use super::PartitionKey;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug)]
pub struct Scheduled {
    pub at: SimTime,
    pub seq: u64,
    pub partition: PartitionKey,
    pub signal: Signal,
}

impl PartialEq for Scheduled {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

#[derive(Debug, Default)]
pub struct Scheduler {
    queue: BinaryHeap<Reverse<Scheduled>>,
    next_seq: u64,
}

impl Scheduler {
    pub fn schedule(&mut self, at: SimTime, partition: PartitionKey, signal: Signal) {
        self.next_seq += 1;
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.next_seq,
            partition,
            signal,
        }));
    }

    /// The time of the earliest pending signal.
    pub fn next_due(&self) -> Option<SimTime> {
        self.queue.peek().map(|Reverse(s)| s.at)
    }

    /// Removes and returns the earliest signal if it is due at or before `now`.
    pub fn pop_due(&mut self, now: SimTime) -> Option<Scheduled> {
        if self.next_due()? <= now {
            self.queue.pop().map(|Reverse(s)| s)
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }
}
