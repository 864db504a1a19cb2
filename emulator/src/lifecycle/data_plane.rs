//! What the ALB data plane needs of the simulation, as a plain typed copy: the listeners of active
//! load balancers (with their rules, by priority), the target groups some listener uses (with each
//! target's reported health state), the ECS tasks whose containers are up (ACTIVATING to
//! DEACTIVATING: registered targets get health-checked from ACTIVATING on, and a draining task
//! still answers) and the injected faults. The runtime (`runtime/alb`) takes it with
//! [`Raw::take`] under the world lock and then serves from it with no lock at all; it never reads
//! the services' maps itself.

use crate::services::ecs::tasks::Status;
use crate::services::elbv2::{self, HealthCheck, TargetState};
use crate::world::{PartitionKey, World};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct RawListener {
    pub arn: String,
    pub partition: PartitionKey,
    pub lb_arn: String,
    pub lb_name: String,
    pub dns_name: String,
    pub port: u16,
    pub protocol: String,
    pub idle_timeout_secs: u64,
    pub default_actions: Vec<Value>,
    /// `(rule ARN, priority, conditions, actions)` by priority.
    pub rules: Vec<(String, i64, Vec<Value>, Vec<Value>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawTarget {
    pub id: String,
    pub port: u16,
    /// As DescribeTargetHealth reports it.
    pub state: TargetState,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawGroup {
    pub arn: String,
    pub name: String,
    pub partition: PartitionKey,
    pub health_check: HealthCheck,
    pub attributes: BTreeMap<String, String>,
    pub targets: Vec<RawTarget>,
}

/// One container port of a task that a target group points at.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTaskPort {
    pub ip: String,
    pub port: u16,
    pub container: String,
    pub image: String,
    pub target_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawTask {
    pub arn: String,
    pub partition: PartitionKey,
    pub task_definition_arn: String,
    pub ports: Vec<RawTaskPort>,
    /// Listed in `world.faults.unhealthy_task_definitions`: the stand-in fails its health checks.
    pub faulted: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Raw {
    pub listeners: Vec<RawListener>,
    pub groups: Vec<RawGroup>,
    pub tasks: Vec<RawTask>,
}

/// ELBv2's typed actions or conditions in their wire form, which the router compiles.
fn wire<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items.iter().filter_map(|x| serde_json::to_value(x).ok()).collect()
}

fn faulted(world: &World, td: &str) -> bool {
    let f = &world.faults.unhealthy_task_definitions;
    let short = td.rsplit_once("task-definition/").map(|(_, s)| s).unwrap_or(td);
    f.contains(td) || f.contains(short)
}

impl Raw {
    /// Copies what the data plane needs out of the world (call inside `Emulator::with_world`).
    pub fn take(world: &World) -> Raw {
        let mut raw = Raw::default();
        for (acct, account) in &world.accounts {
            for (rname, region) in &account.regions {
                let key = PartitionKey::new(acct, rname);
                let st = &region.elbv2;
                let mut used_groups: Vec<String> = Vec::new();
                for l in st.listeners.values() {
                    let Some(lb) = st.load_balancers.get(&l.load_balancer_arn) else {
                        continue;
                    };
                    if lb.state != crate::services::elbv2::LoadBalancerStateEnum::Active || lb.lb_type != "application"
                    {
                        continue;
                    }
                    let Ok(port) = u16::try_from(l.port) else {
                        continue;
                    };
                    let mut typed_rules: Vec<&elbv2::Rule> = st
                        .rules
                        .values()
                        .filter(|r| r.listener_arn == l.arn && r.priority.is_some())
                        .collect();
                    typed_rules.sort_by_key(|r| r.priority);
                    for actions in typed_rules
                        .iter()
                        .map(|r| &r.actions)
                        .chain(std::iter::once(&l.default_actions))
                    {
                        for a in actions {
                            for (tg, _) in elbv2::forward_tuples(a) {
                                if !used_groups.contains(&tg) {
                                    used_groups.push(tg);
                                }
                            }
                        }
                    }
                    raw.listeners.push(RawListener {
                        arn: l.arn.clone(),
                        partition: key.clone(),
                        lb_arn: lb.arn.clone(),
                        lb_name: lb.name.clone(),
                        dns_name: lb.dns_name.clone(),
                        port,
                        protocol: l.protocol.clone(),
                        idle_timeout_secs: lb
                            .attributes
                            .get("idle_timeout.timeout_seconds")
                            .and_then(|v| v.parse().ok())
                            .unwrap_or(60),
                        default_actions: wire(&l.default_actions),
                        rules: typed_rules
                            .iter()
                            .filter_map(|r| Some((r.arn.clone(), r.priority?, wire(&r.conditions), wire(&r.actions))))
                            .collect(),
                    });
                }
                for tg_arn in used_groups {
                    let Some(tg) = st.target_groups.get(&tg_arn) else {
                        continue;
                    };
                    let mut targets: Vec<(u64, RawTarget)> = tg
                        .targets
                        .values()
                        .filter_map(|t| {
                            let (state, _) = elbv2::target_health(st, &tg.arn, &t.id, t.port)?;
                            Some((
                                t.seq,
                                RawTarget {
                                    id: t.id.clone(),
                                    port: u16::try_from(t.port).ok()?,
                                    state,
                                },
                            ))
                        })
                        .collect();
                    targets.sort_by_key(|t| t.0);
                    raw.groups.push(RawGroup {
                        arn: tg.arn.clone(),
                        name: tg.name.clone(),
                        partition: key.clone(),
                        health_check: tg.health_check.clone(),
                        attributes: tg.attributes.clone(),
                        targets: targets.into_iter().map(|t| t.1).collect(),
                    });
                }
                let ecs = &region.ecs;
                for task in ecs.tasks.values() {
                    if task.status < Status::Activating || task.status > Status::Deactivating {
                        continue;
                    }
                    let defs = crate::services::ecs::task_definitions::resolve(ecs, &task.task_definition_arn)
                        .map(|td| td.containers().to_vec())
                        .unwrap_or_default();
                    let mut ports: Vec<RawTaskPort> = Vec::new();
                    for (tg, ip, port) in &task.registrations {
                        let Ok(p) = u16::try_from(*port) else {
                            continue;
                        };
                        if let Some(existing) = ports.iter_mut().find(|x| x.ip == *ip && x.port == p) {
                            existing.target_groups.push(tg.clone());
                            continue;
                        }
                        let container = container_for_port(&defs, *port)
                            .or_else(|| task.containers.first().map(|c| c.0.clone()))
                            .unwrap_or_default();
                        let image = task
                            .containers
                            .iter()
                            .find(|c| c.0 == container)
                            .map(|c| c.1.clone())
                            .unwrap_or_default();
                        ports.push(RawTaskPort {
                            ip: ip.clone(),
                            port: p,
                            container,
                            image,
                            target_groups: vec![tg.clone()],
                        });
                    }
                    if ports.is_empty() {
                        continue;
                    }
                    raw.tasks.push(RawTask {
                        arn: task.arn.clone(),
                        partition: key.clone(),
                        task_definition_arn: task.task_definition_arn.clone(),
                        ports,
                        faulted: faulted(world, &task.task_definition_arn),
                    });
                }
            }
        }
        raw
    }
}

/// The container of a task definition that maps `port` (`portMappings[].containerPort`).
fn container_for_port(containers: &[cutover_types::ecs::ContainerDefinition], port: i64) -> Option<String> {
    containers
        .iter()
        .find(|c| {
            c.port_mappings
                .as_ref()
                .is_some_and(|pm| pm.iter().any(|m| m.container_port.map(i64::from) == Some(port)))
        })
        .and_then(|c| c.name.clone())
}
