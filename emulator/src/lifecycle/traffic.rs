//! Listener weights: which forward actions a deployment changes, and the schedule of production
//! traffic steps for AllAtOnce, canary and linear configurations (spec §3.2).
//!
//! Weights are percents: green `g`, blue `100 - g`, green listed first. The old target group is kept
//! in the forward action at weight 0, as CodeDeploy does since 2022 (spec §0.7).

use crate::services::codedeploy::configs::Routing;
use crate::services::elbv2;
use crate::world::{PartitionKey, World};

/// Green's percent after each production traffic step.
pub fn schedule(routing: Routing) -> Vec<i64> {
    match routing {
        Routing::AllAtOnce => vec![100],
        Routing::Canary { percent, .. } if (1..100).contains(&percent) => vec![percent, 100],
        Routing::Linear { percent, .. } if (1..100).contains(&percent) => {
            let mut v = Vec::new();
            let mut g = percent;
            while g < 100 {
                v.push(g);
                g += percent;
            }
            v.push(100);
            v
        }
        _ => vec![100],
    }
}

/// Seconds between two production traffic steps.
pub fn interval_secs(routing: Routing) -> f64 {
    match routing {
        Routing::AllAtOnce => 0.0,
        Routing::Canary { minutes, .. } | Routing::Linear { minutes, .. } => minutes.max(1) as f64 * 60.0,
    }
}

/// The listener default actions and rules of `listeners` whose forward action includes any of
/// `target_groups`, default actions first, each once.
pub fn refs_for(elbv2: &elbv2::State, listeners: &[String], target_groups: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in listeners {
        let mut found: Vec<elbv2::ForwardRef> = Vec::new();
        for tg in target_groups {
            for f in elbv2::forwards_to_target_group(elbv2, l, tg) {
                if !found.iter().any(|x| x.arn == f.arn) {
                    found.push(f);
                }
            }
        }
        found.sort_by_key(|f| (f.is_rule, f.priority));
        for f in found {
            if !out.contains(&f.arn) {
                out.push(f.arn);
            }
        }
    }
    out
}

/// Sets every forward in `refs` to green `green_percent`, blue the rest. The error is the
/// errorInformation message (`ELASTIC_LOAD_BALANCING_INVALID`).
pub fn set_weights(
    world: &mut World,
    key: &PartitionKey,
    refs: &[String],
    blue_tg: &str,
    green_tg: &str,
    green_percent: i64,
) -> Result<(), String> {
    let weights = vec![
        (green_tg.to_owned(), green_percent),
        (blue_tg.to_owned(), 100 - green_percent),
    ];
    for r in refs {
        let (region, mut env) = world.split(key);
        elbv2::set_forward_weights(&mut region.elbv2, &mut env, key, r, &weights)
            .map_err(|e| format!("The ELB could not be updated due to the following error: {}", e.message))?;
    }
    Ok(())
}

/// The percent of traffic a forward action sends to `tg` (0 when it does not include it).
pub fn percent_to(elbv2: &elbv2::State, listener_or_rule: &str, tg: &str) -> f64 {
    let Some(w) = elbv2::forward_weights(elbv2, listener_or_rule) else {
        return 0.0;
    };
    let total: i64 = w.iter().map(|(_, x)| *x).sum();
    let mine: i64 = w.iter().filter(|(a, _)| a == tg).map(|(_, x)| *x).sum();
    if total <= 0 {
        0.0
    } else {
        mine as f64 * 100.0 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_the_config() {
        assert_eq!(schedule(Routing::AllAtOnce), vec![100]);
        assert_eq!(
            schedule(Routing::Canary {
                percent: 10,
                minutes: 5
            }),
            vec![10, 100]
        );
        assert_eq!(
            schedule(Routing::Linear {
                percent: 10,
                minutes: 1
            }),
            vec![10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
        );
        assert_eq!(
            schedule(Routing::Linear {
                percent: 30,
                minutes: 1
            }),
            vec![30, 60, 90, 100]
        );
        assert_eq!(
            interval_secs(Routing::Canary {
                percent: 10,
                minutes: 15
            }),
            900.0
        );
    }
}
