//! All emulated state, in one place: accounts (IAM is per account), each with its regions (every
//! other service is per account and region), the scheduler of future events, the timeline and the
//! injected faults. Handlers and simulation steps are plain synchronous functions over a `&mut World`.

use crate::services;
use crate::sim::{Scheduler, Signal, SimTime};
use crate::timeline::Entry;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashSet, VecDeque};

pub const DEFAULT_ACCOUNT: &str = "000000000000";
pub const DEFAULT_REGION: &str = "us-east-1";

/// The (account, region) a resource lives in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    pub account: String,
    pub region: String,
}

impl PartitionKey {
    pub fn new(account: &str, region: &str) -> Self {
        PartitionKey {
            account: account.to_owned(),
            region: region.to_owned(),
        }
    }
}

/// One account: its IAM state and its regions.
#[derive(Debug)]
pub struct Account {
    pub id: String,
    pub iam: services::iam::State,
    pub regions: BTreeMap<String, Region>,
}

/// One region of one account: every regional service's state.
#[derive(Debug)]
pub struct Region {
    pub account: String,
    pub name: String,
    pub ec2: services::ec2::State,
    pub elbv2: services::elbv2::State,
    pub ecs: services::ecs::State,
    pub lambda: services::lambda::State,
    pub cloudwatch: services::cloudwatch::State,
    pub logs: services::logs::State,
    pub codedeploy: services::codedeploy::State,
}

impl Region {
    fn new(account: &str, name: &str, ids: &mut Ids) -> Region {
        Region {
            account: account.to_owned(),
            name: name.to_owned(),
            ec2: services::ec2::State::new(account, name, ids),
            elbv2: services::elbv2::State::default(),
            ecs: services::ecs::State::default(),
            lambda: services::lambda::State::default(),
            cloudwatch: services::cloudwatch::State::default(),
            logs: services::logs::State::default(),
            codedeploy: services::codedeploy::State::default(),
        }
    }
}

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

/// What each service needs from the others, as the trait it declares (`ecs::links::Peers`,
/// `elbv2::peers::Peers`, `codedeploy::peers::Peers`, `services::identity::Identity`); the
/// lifecycle layer implements them (`lifecycle::PORTS`). A service reaches another only through
/// these, so no service names another.
pub struct Ports {
    pub ecs: &'static dyn services::ecs::links::Peers,
    pub elbv2: &'static dyn services::elbv2::peers::Peers,
    pub codedeploy: &'static dyn services::codedeploy::peers::Peers,
    pub identity: &'static dyn services::identity::Identity,
}

pub struct World {
    pub accounts: BTreeMap<String, Account>,
    /// The services' view of each other (see [`Ports`]).
    pub ports: &'static Ports,
    pub scheduler: Scheduler,
    /// The simulated time of the call or event being handled. Never goes backwards, except on
    /// `POST /_emulator/reset`, which starts a new world where the clock is put back.
    pub now: SimTime,
    pub ids: Ids,
    pub faults: Faults,
    /// Credentials issued by STS (and to Lambda functions): access key id to identity.
    pub issued_credentials: BTreeMap<String, services::sts::IssuedCredentials>,
    /// Counts Lambda Event invocations queued (`lambda::invoke_async`), so the emulator can wake
    /// the runtime that drains them.
    pub lambda_queued: u64,
    timeline: VecDeque<TimelineEntry>,
    timeline_seq: u64,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("accounts", &self.accounts.len())
            .field("now", &self.now)
            .finish()
    }
}

impl World {
    /// An empty world whose services reach each other through `ports` (`lifecycle::new_world`
    /// passes the lifecycle layer's).
    pub fn new(now: SimTime, ports: &'static Ports) -> World {
        World {
            accounts: BTreeMap::new(),
            ports,
            scheduler: Scheduler::default(),
            now,
            ids: Ids::new(0x0063_7574_6f76_6572),
            faults: Faults::default(),
            issued_credentials: BTreeMap::new(),
            lambda_queued: 0,
            timeline: VecDeque::new(),
            timeline_seq: 0,
        }
    }

    /// Drops every resource in every account and region, and all pending events.
    pub fn reset(&mut self) {
        let now = self.now;
        let seq = self.timeline_seq;
        *self = World::new(now, self.ports);
        self.timeline_seq = seq;
        self.record(Entry::note("emulator", "reset: every resource dropped"));
    }

    pub fn account_mut(&mut self, account: &str) -> &mut Account {
        self.accounts.entry(account.to_owned()).or_insert_with(|| Account {
            id: account.to_owned(),
            iam: services::iam::State::default(),
            regions: BTreeMap::new(),
        })
    }

    pub fn account(&self, account: &str) -> Option<&Account> {
        self.accounts.get(account)
    }

    /// The region's state, created as a new AWS account has it (default VPC and so on) on first use.
    pub fn region_mut(&mut self, key: &PartitionKey) -> &mut Region {
        let exists = self
            .accounts
            .get(&key.account)
            .is_some_and(|a| a.regions.contains_key(&key.region));
        if !exists {
            let region = Region::new(&key.account, &key.region, &mut self.ids);
            self.account_mut(&key.account)
                .regions
                .insert(key.region.clone(), region);
        }
        self.account_mut(&key.account)
            .regions
            .get_mut(&key.region)
            .expect("region inserted above")
    }

    pub fn region(&self, key: &PartitionKey) -> Option<&Region> {
        self.accounts.get(&key.account)?.regions.get(&key.region)
    }

    /// Queues `signal` to fire at `at` (never earlier than now); `lifecycle::drive` fires it.
    pub fn schedule(&mut self, at: SimTime, partition: &PartitionKey, signal: Signal) {
        let at = at.max(self.now);
        self.scheduler.schedule(at, partition.clone(), signal);
    }

    /// Writes a line on the timeline at the current simulated time.
    pub fn record(&mut self, entry: Entry) {
        self.timeline_seq += 1;
        self.timeline.push_back(TimelineEntry {
            seq: self.timeline_seq,
            time: self.now,
            entry,
        });
        if self.timeline.len() > TIMELINE_LIMIT {
            self.timeline.pop_front();
        }
    }

    /// Timeline entries with a sequence number above `since`.
    pub fn timeline_since(&self, since: u64) -> impl Iterator<Item = &TimelineEntry> {
        let start = self.timeline.partition_point(|e| e.seq <= since);
        self.timeline.range(start..)
    }
}
