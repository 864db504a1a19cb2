//! How time moves the simulation: [`run_until`] fires every scheduled [`Signal`] that falls due,
//! in (time, insertion) order, each seeing `world.now` at its own time, and [`fire`] is the one
//! `match` over signals, handing each to the machine it is addressed to.

use crate::services::{ecs, elbv2, lambda};
use crate::sim::{Signal, SimTime};
use crate::timeline::Entry;
use crate::world::{PartitionKey, World};

/// Runs one due signal. `world.now` is already the signal's time.
pub fn fire(world: &mut World, partition: PartitionKey, signal: Signal) {
    let key = &partition;
    match signal {
        Signal::Mark(message) => world.record(Entry::note("scheduler", message)),
        Signal::Deployment(s) => super::deployment::fire(world, key, s),
        Signal::Service(s) => super::links::with_ecs(world, key, |st, env, p| ecs::services::fire(st, env, p, key, s)),
        Signal::Task(s) => super::links::with_ecs(world, key, |st, env, p| ecs::tasks::fire(st, env, p, key, s)),
        Signal::LoadBalancer(s) => {
            let (r, mut env) = world.split(key);
            elbv2::fire_load_balancer(&mut r.elbv2, &mut env, s)
        }
        Signal::Target(s) => {
            let (r, mut env) = world.split(key);
            // A health change reaches ECS after the check's own timeline entry.
            if let Some(c) = elbv2::fire_target(&mut r.elbv2, &mut env, key, s) {
                let reg = (c.target_group_arn, c.id, c.port);
                super::links::ecs_target_health_changed(world, key, &reg, c.state);
            }
        }
        Signal::Function(s) => {
            let (region, mut env) = world.split(key);
            lambda::fire(&mut region.lambda, &mut env, s)
        }
    }
}

/// Fires every signal due at or before `until`, in time order, each seeing `now` at its own
/// time; signals those signals schedule fire too if they fall due. Then `now = until`. Returns
/// how many fired.
pub fn run_until(world: &mut World, until: SimTime) -> usize {
    let mut fired = 0;
    while let Some(s) = world.scheduler.pop_due(until) {
        world.now = world.now.max(s.at);
        fire(world, s.partition, s.signal);
        fired += 1;
    }
    world.now = world.now.max(until);
    fired
}

/// Like [`run_until`], but stops right after a signal that queued a Lambda Event invocation (a
/// CodeDeploy hook), returning that signal's time; `None` when it reached `until`.
pub fn run_until_invocation(world: &mut World, until: SimTime) -> Option<SimTime> {
    let queued = super::edges::invocations_queued(world);
    while let Some(s) = world.scheduler.pop_due(until) {
        world.now = world.now.max(s.at);
        fire(world, s.partition, s.signal);
        if super::edges::invocations_queued(world) != queued {
            return Some(world.now);
        }
    }
    world.now = world.now.max(until);
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{DEFAULT_ACCOUNT, DEFAULT_REGION};

    #[test]
    fn signals_fire_in_time_order_and_see_their_own_time() {
        let mut w = crate::lifecycle::new_world(SimTime(0));
        let p = PartitionKey::new(DEFAULT_ACCOUNT, DEFAULT_REGION);
        w.schedule(SimTime(3_000), &p, Signal::Mark("c".into()));
        w.schedule(SimTime(1_000), &p, Signal::Mark("a".into()));
        w.schedule(SimTime(1_000), &p, Signal::Mark("b".into()));
        assert_eq!(run_until(&mut w, SimTime(2_000)), 2);
        let seen: Vec<_> = w.timeline_since(0).map(|e| (e.message(), e.time)).collect();
        assert_eq!(
            seen,
            vec![("a".to_string(), SimTime(1_000)), ("b".to_string(), SimTime(1_000))]
        );
        assert_eq!(w.now, SimTime(2_000));
        assert_eq!(run_until(&mut w, SimTime(10_000)), 1);
        assert_eq!(w.timeline_since(2).next().map(|e| e.time), Some(SimTime(3_000)));
    }
}
