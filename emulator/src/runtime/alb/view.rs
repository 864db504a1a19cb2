//! The data plane's view of the world: [`View`] is the compiled form (rules with their matchers)
//! of the plain copy the lifecycle layer gives the runtime (`lifecycle::data_plane::Raw`, taken
//! under the world lock in one short call); it is rebuilt only when the raw copy changes.

use super::routing::{compile_rule, CompiledRule};
use super::standin::Backend;
pub use crate::lifecycle::data_plane::{Raw, RawGroup, RawListener, RawTarget, RawTask, RawTaskPort};
use crate::services::elbv2::TargetState;
use std::collections::HashMap;
use std::sync::Arc;

/// A listener ready to serve: its raw copy and its rules compiled, default action last.
#[derive(Debug)]
pub struct ListenerView {
    pub raw: RawListener,
    pub rules: Vec<CompiledRule>,
}

/// A target a forward can pick, with where it answers.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: String,
    pub port: u16,
    /// What really answers for it on this machine (`None`: nothing does).
    pub backend: Option<Backend>,
}

/// A target group as forwards use it: the targets a request may go to, computed once per view.
#[derive(Debug, Default)]
pub struct Pick {
    /// The healthy targets (or those with checks off); when none is, every non-draining one
    /// (the ALB fails open). Empty: no target to send to.
    pub candidates: Vec<Candidate>,
    /// Target stickiness (`lb_cookie`) is on; then its duration in seconds.
    pub lb_cookie: Option<String>,
}

/// The compiled view the data plane serves from.
#[derive(Debug, Default)]
pub struct View {
    pub raw: Raw,
    pub listeners: HashMap<String, Arc<ListenerView>>,
    pub groups: HashMap<String, RawGroup>,
    pub tasks: HashMap<String, RawTask>,
    /// Lower-case DNS name → (listener port, listener ARN).
    pub by_dns: HashMap<String, Vec<(u16, String)>>,
    /// Target address (ENI ip, port) → what really answers for it on this machine.
    pub backends: HashMap<(String, u16), Backend>,
    /// Target group ARN → the targets its forwards pick from.
    pub picks: HashMap<String, Pick>,
}

impl View {
    pub fn build(raw: Raw, backends: HashMap<(String, u16), Backend>) -> View {
        let mut v = View {
            backends,
            ..View::default()
        };
        for l in &raw.listeners {
            let mut rules: Vec<CompiledRule> = l
                .rules
                .iter()
                .map(|(arn, _, conditions, actions)| compile_rule(arn, conditions, actions))
                .collect();
            rules.push(compile_rule(&l.arn, &[], &l.default_actions));
            v.by_dns
                .entry(l.dns_name.to_ascii_lowercase())
                .or_default()
                .push((l.port, l.arn.clone()));
            v.listeners
                .insert(l.arn.clone(), Arc::new(ListenerView { raw: l.clone(), rules }));
        }
        for g in &raw.groups {
            let candidate = |t: &&RawTarget| Candidate {
                id: t.id.clone(),
                port: t.port,
                backend: v.backends.get(&(t.id.clone(), t.port)).cloned(),
            };
            let live: Vec<&RawTarget> = g.targets.iter().filter(|t| t.state != TargetState::Draining).collect();
            let healthy: Vec<Candidate> = live
                .iter()
                .filter(|t| matches!(t.state, TargetState::Healthy | TargetState::Unavailable))
                .map(candidate)
                .collect();
            let candidates = if healthy.is_empty() {
                live.iter().map(candidate).collect()
            } else {
                healthy
            };
            let attr = |k: &str| g.attributes.get(k).map(String::as_str);
            let lb_cookie = (attr("stickiness.enabled") == Some("true")
                && attr("stickiness.type").unwrap_or("lb_cookie") == "lb_cookie")
                .then(|| {
                    attr("stickiness.lb_cookie.duration_seconds")
                        .unwrap_or("86400")
                        .to_owned()
                });
            v.picks.insert(g.arn.clone(), Pick { candidates, lb_cookie });
            v.groups.insert(g.arn.clone(), g.clone());
        }
        for t in &raw.tasks {
            v.tasks.insert(t.arn.clone(), t.clone());
        }
        v.raw = raw;
        v
    }

    /// The listener a request for `host` (`DNSName[:port]`) reaches: the given port, else 80.
    pub fn listener_for_host(&self, host: &str) -> Option<Arc<ListenerView>> {
        let (name, port) = split_host(host);
        let port = port.unwrap_or(80);
        let (_, arn) = self
            .by_dns
            .get(&name.to_ascii_lowercase())?
            .iter()
            .find(|(p, _)| *p == port)?;
        self.listeners.get(arn).cloned()
    }
}

/// `host[:port]` (IPv6 literals in brackets are left whole).
pub fn split_host(host: &str) -> (&str, Option<u16>) {
    if host.starts_with('[') {
        return match host.rsplit_once("]:") {
            Some((h, p)) => (&host[..h.len() + 1], p.parse().ok()),
            None => (host, None),
        };
    }
    match host.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()),
        None => (host, None),
    }
}
