//! All emulated state, in one place: accounts (IAM is per account), each with its regions (every
//! other service is per account and region), the scheduler of future events, the timeline and the
//! injected faults. Handlers and simulation steps are plain synchronous functions over a `&mut World`.

use crate::services;
use crate::sim::{Scheduler, Signal, SimTime};
use crate::timeline::Entry;
use std::collections::BTreeMap;

pub use crate::env::{Env, Faults, Ids, Timeline, TimelineEntry};
pub use crate::sim::PartitionKey;

use crate::protocol::AwsResult;
use crate::services::Ctx;
use serde_json::Value;

/// An operation over the whole world, on canonical values: the lifecycle layer's operations that
/// span services, and the handlers of services not yet over their own state.
pub type WorldOp = fn(&mut World, &Ctx, Value) -> AwsResult<Value>;

/// A typed handler over the whole world as a [`WorldOp`]: `world_typed!(identity::assume_role)`,
/// for `fn(&mut World, &Ctx, XRequest) -> AwsResult<XResponse>` (the lifecycle layer's
/// operations). See [`call_typed`].
macro_rules! world_typed {
    ($f:path) => {{
        fn typed_handler(
            world: &mut $crate::world::World,
            ctx: &$crate::services::Ctx,
            input: ::serde_json::Value,
        ) -> $crate::protocol::AwsResult<::serde_json::Value> {
            $crate::world::call_typed(world, ctx, input, $f)
        }
        typed_handler as $crate::world::WorldOp
    }};
}
pub(crate) use world_typed;

/// Runs a typed world-level handler on a canonical input value: what `world_typed!` wraps (the
/// same adapter as `services::call_typed`, over the world).
pub fn call_typed<I, O>(
    world: &mut World,
    ctx: &Ctx,
    input: Value,
    f: fn(&mut World, &Ctx, I) -> AwsResult<O>,
) -> AwsResult<Value>
where
    I: serde::de::DeserializeOwned,
    O: serde::Serialize,
{
    let input = services::typed_input(ctx.service, &input)?;
    services::typed_output(ctx, f(world, ctx, input)?)
}

pub const DEFAULT_ACCOUNT: &str = "000000000000";
pub const DEFAULT_REGION: &str = "us-east-1";

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

pub struct World {
    pub accounts: BTreeMap<String, Account>,
    pub scheduler: Scheduler,
    /// The simulated time of the call or event being handled. Never goes backwards, except on
    /// `POST /_emulator/reset`, which starts a new world where the clock is put back.
    pub now: SimTime,
    pub ids: Ids,
    pub faults: Faults,
    /// STS's state (global, not per account): the credentials it issued, and those handed to
    /// Lambda functions.
    pub sts: services::sts::State,
    timeline: Timeline,
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
    /// An empty world (`lifecycle::new_world` is where the emulator, scenarios and tests get one).
    pub fn new(now: SimTime) -> World {
        World {
            accounts: BTreeMap::new(),
            scheduler: Scheduler::default(),
            now,
            ids: Ids::new(0x0063_7574_6f76_6572),
            faults: Faults::default(),
            sts: services::sts::State::default(),
            timeline: Timeline::default(),
        }
    }

    /// Drops every resource in every account and region, and all pending events.
    pub fn reset(&mut self) {
        let now = self.now;
        let timeline = self.timeline.restarted();
        *self = World::new(now);
        self.timeline = timeline;
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

    /// What every handler and simulation step may use besides its own service's state: the
    /// time, ids, faults, scheduler and timeline.
    pub fn env(&mut self) -> Env<'_> {
        self.split_sts().2
    }

    /// A region's state (created on first use, as [`World::region_mut`]) and the [`Env`] beside
    /// it: what a handler over one regional service's state is called with.
    pub fn split(&mut self, key: &PartitionKey) -> (&mut Region, Env<'_>) {
        self.region_mut(key);
        let (_, accounts, env) = self.split_sts();
        let region = accounts
            .get_mut(&key.account)
            .and_then(|a| a.regions.get_mut(&key.region))
            .expect("region created above");
        (region, env)
    }

    /// An account's state (created on first use) and the [`Env`] beside it: what IAM's handlers
    /// are called with.
    pub fn split_account(&mut self, account: &str) -> (&mut Account, Env<'_>) {
        self.account_mut(account);
        let (_, accounts, env) = self.split_sts();
        (accounts.get_mut(account).expect("account created above"), env)
    }

    /// STS's state, every account beside it (the IAM roles STS assumes) and the [`Env`]: what
    /// STS's handlers are called with, and the lifecycle layer's identity operations. The one
    /// place the world lends its parts side by side; the other splits narrow it.
    pub fn split_sts(&mut self) -> (&mut services::sts::State, &mut BTreeMap<String, Account>, Env<'_>) {
        let World {
            accounts,
            scheduler,
            now,
            ids,
            faults,
            sts,
            timeline,
        } = self;
        (sts, accounts, Env::new(*now, ids, faults, scheduler, timeline))
    }

    /// Queues `signal` to fire at `at` (never earlier than now); `lifecycle::drive` fires it.
    pub fn schedule(&mut self, at: SimTime, partition: &PartitionKey, signal: Signal) {
        self.env().schedule(at, partition, signal);
    }

    /// Writes a line on the timeline at the current simulated time.
    pub fn record(&mut self, entry: Entry) {
        self.timeline.record(self.now, entry);
    }

    /// Timeline entries with a sequence number above `since`.
    pub fn timeline_since(&self, since: u64) -> impl Iterator<Item = &TimelineEntry> {
        self.timeline.since(since)
    }
}
