//! Rule matching and action selection, as an Application Load Balancer does it.
//!
//! Rules are tried by priority, the default action last. A rule matches when all its conditions
//! match; a condition matches when any of its values does:
//! * `path-pattern`: the path (no query), case-sensitive, `*` (any run) and `?` (one character);
//! * `host-header`: the `Host` header without its port, case-insensitive, with wildcards;
//! * `http-header`: any value of the named header, case-insensitive, with wildcards;
//! * `http-request-method`: the method, exactly;
//! * `query-string`: any `key=value` pair of the query (an absent `Key` matches any key),
//!   case-insensitive, with wildcards, after percent-decoding;
//! * `source-ip`: the client's address (the socket peer, not `X-Forwarded-For`) in a CIDR block.
//!
//! `RegexValues` of `path-pattern`/`host-header` are regular expressions matched anywhere.
//!
//! Weighted forwards pick a target group by smooth weighted round robin (nginx's algorithm) per rule:
//! deterministic, and over any window of `sum(weights)` requests each group gets exactly its weight;
//! weight 0 gets nothing. When the group-level stickiness of the forward is enabled, an `AWSALBTG`
//! cookie pins a client to its group for `DurationSeconds`.

use crate::services::util::{opt_i64, opt_str};
use regex::Regex;
use serde_json::Value;
use std::collections::HashMap;
use std::net::IpAddr;

#[derive(Debug, Clone)]
pub enum Cond {
    Path(Vec<Regex>),
    Host(Vec<Regex>),
    Header(String, Vec<Regex>),
    Method(Vec<String>),
    Query(Vec<(Option<Regex>, Regex)>),
    SourceIp(Vec<(IpAddr, u8)>),
    /// A condition this data plane cannot evaluate: never matches.
    Never,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Forward {
        groups: Vec<(String, u32)>,
        /// Group stickiness duration in seconds, when enabled.
        stickiness: Option<u64>,
    },
    Fixed {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    Redirect {
        protocol: String,
        port: String,
        host: String,
        path: String,
        query: String,
        status: u16,
    },
    /// No terminal action (should not happen: the control plane validates actions).
    None,
}

#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// The rule ARN (the listener ARN for the default action): the key of its balancing state.
    pub key: String,
    pub conditions: Vec<Cond>,
    pub action: Act,
}

/// A wildcard pattern (`*`, `?`) as an anchored regular expression.
pub fn glob(pattern: &str, case_insensitive: bool) -> Option<Regex> {
    let mut re = String::from(if case_insensitive { "(?is)^" } else { "(?s)^" });
    for ch in pattern.chars() {
        match ch {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).ok()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn patterns(c: &Value, config: &str, ci: bool) -> Vec<Regex> {
    let cfg = c.get(config);
    let mut values = strings(cfg.and_then(|x| x.get("Values")));
    if values.is_empty() {
        values = strings(c.get("Values"));
    }
    let mut out: Vec<Regex> = values.iter().filter_map(|v| glob(v, ci)).collect();
    for r in strings(cfg.and_then(|x| x.get("RegexValues"))) {
        let r = if ci { format!("(?i){r}") } else { r };
        if let Ok(re) = Regex::new(&r) {
            out.push(re);
        }
    }
    out
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = text.split_once('/')?;
    Some((ip.parse().ok()?, bits.parse().ok()?))
}

fn in_cidr(ip: IpAddr, (net, bits): (IpAddr, u8)) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = u32::from(bits.min(32));
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = u32::from(bits.min(128));
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn compile_condition(c: &Value) -> Cond {
    match opt_str(c, "Field").unwrap_or("") {
        "path-pattern" => Cond::Path(patterns(c, "PathPatternConfig", false)),
        "host-header" => Cond::Host(patterns(c, "HostHeaderConfig", true)),
        "http-header" => {
            let cfg = c.get("HttpHeaderConfig");
            let name = cfg.and_then(|x| opt_str(x, "HttpHeaderName")).unwrap_or("").to_owned();
            let values = strings(cfg.and_then(|x| x.get("Values")));
            Cond::Header(name, values.iter().filter_map(|v| glob(v, true)).collect())
        }
        "http-request-method" => Cond::Method(strings(c.pointer("/HttpRequestMethodConfig/Values"))),
        "query-string" => {
            let values = c
                .pointer("/QueryStringConfig/Values")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            Cond::Query(
                values
                    .iter()
                    .filter_map(|kv| {
                        let k = match opt_str(kv, "Key") {
                            Some(k) => Some(glob(k, true)?),
                            None => None,
                        };
                        Some((k, glob(opt_str(kv, "Value")?, true)?))
                    })
                    .collect(),
            )
        }
        "source-ip" => Cond::SourceIp(
            strings(c.pointer("/SourceIpConfig/Values"))
                .iter()
                .filter_map(|s| parse_cidr(s))
                .collect(),
        ),
        _ => Cond::Never,
    }
}

fn status_of(code: &str) -> u16 {
    code.trim_start_matches("HTTP_").parse().unwrap_or(302)
}

fn compile_action(actions: &[Value]) -> Act {
    let Some(a) = actions
        .iter()
        .rev()
        .find(|a| matches!(opt_str(a, "Type"), Some("forward" | "fixed-response" | "redirect")))
    else {
        return Act::None;
    };
    match opt_str(a, "Type").unwrap_or("") {
        "forward" => {
            let typed = serde_json::from_value::<cutover_types::elbv2::Action>(a.clone()).ok();
            let groups = typed
                .map(|a| crate::services::elbv2::forward_tuples(&a))
                .unwrap_or_default()
                .into_iter()
                .map(|(g, w)| (g, u32::try_from(w).unwrap_or(0)))
                .collect();
            let sticky = a.pointer("/ForwardConfig/TargetGroupStickinessConfig");
            let stickiness = match sticky {
                Some(s) if s.get("Enabled").and_then(Value::as_bool) == Some(true) => {
                    Some(opt_i64(s, "DurationSeconds").unwrap_or(3600).max(1) as u64)
                }
                _ => None,
            };
            Act::Forward { groups, stickiness }
        }
        "fixed-response" => {
            let c = a.get("FixedResponseConfig").cloned().unwrap_or(Value::Null);
            Act::Fixed {
                status: opt_str(&c, "StatusCode").and_then(|s| s.parse().ok()).unwrap_or(200),
                content_type: opt_str(&c, "ContentType").map(str::to_owned),
                body: opt_str(&c, "MessageBody").unwrap_or("").to_owned(),
            }
        }
        _ => {
            let c = a.get("RedirectConfig").cloned().unwrap_or(Value::Null);
            let get = |k: &str, d: &str| opt_str(&c, k).unwrap_or(d).to_owned();
            Act::Redirect {
                protocol: get("Protocol", "#{protocol}"),
                port: get("Port", "#{port}"),
                host: get("Host", "#{host}"),
                path: get("Path", "/#{path}"),
                query: get("Query", "#{query}"),
                status: status_of(&get("StatusCode", "HTTP_302")),
            }
        }
    }
}

pub fn compile_rule(key: &str, conditions: &[Value], actions: &[Value]) -> CompiledRule {
    CompiledRule {
        key: key.to_owned(),
        conditions: conditions.iter().map(compile_condition).collect(),
        action: compile_action(actions),
    }
}

/// What a rule's conditions look at.
pub struct RequestFacts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    /// The `Host` header without its port.
    pub host: &'a str,
    pub headers: &'a http::HeaderMap,
    pub client: IpAddr,
}

fn cond_matches(c: &Cond, f: &RequestFacts<'_>) -> bool {
    let any = |res: &[Regex], s: &str| res.iter().any(|r| r.is_match(s));
    match c {
        Cond::Path(res) => any(res, f.path),
        Cond::Host(res) => any(res, f.host),
        Cond::Header(name, res) => f
            .headers
            .get_all(name.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| any(res, v)),
        Cond::Method(ms) => ms.iter().any(|m| m == f.method),
        Cond::Query(kvs) => form_urlencoded::parse(f.query.as_bytes()).any(|(k, v)| {
            kvs.iter()
                .any(|(kr, vr)| kr.as_ref().is_none_or(|kr| kr.is_match(&k)) && vr.is_match(&v))
        }),
        Cond::SourceIp(nets) => nets.iter().any(|n| in_cidr(f.client, *n)),
        Cond::Never => false,
    }
}

/// The first rule whose conditions all match (the default rule, last, has none).
pub fn select<'a>(rules: &'a [CompiledRule], facts: &RequestFacts<'_>) -> Option<&'a CompiledRule> {
    rules
        .iter()
        .find(|r| r.conditions.iter().all(|c| cond_matches(c, facts)))
}

/// Fills the `#{...}` placeholders of a redirect and returns the `Location`.
#[allow(clippy::too_many_arguments)]
pub fn redirect_location(act: &Act, protocol: &str, host: &str, port: u16, path: &str, query: &str) -> Option<String> {
    let Act::Redirect {
        protocol: p,
        port: po,
        host: h,
        path: pa,
        query: q,
        ..
    } = act
    else {
        return None;
    };
    let sub = |s: &str| {
        s.replace("#{protocol}", &protocol.to_ascii_lowercase())
            .replace("#{host}", host)
            .replace("#{port}", &port.to_string())
            .replace("#{path}", path.trim_start_matches('/'))
            .replace("#{query}", query)
    };
    let proto = sub(p).to_ascii_lowercase();
    let host = sub(h);
    let port = sub(po);
    let mut path = sub(pa);
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let query = sub(q);
    let default_port = (proto == "http" && port == "80") || (proto == "https" && port == "443");
    let mut loc = format!("{proto}://{host}");
    if !default_port {
        loc.push(':');
        loc.push_str(&port);
    }
    loc.push_str(&path);
    if !query.is_empty() {
        loc.push('?');
        loc.push_str(&query);
    }
    Some(loc)
}

/// Smooth weighted round robin state of each weighted forward, keyed by rule.
/// The weights a rule's state was built for, and each group's current value.
type Swrr = (Vec<(String, u32)>, Vec<i64>);

#[derive(Debug, Default)]
pub struct Balancer {
    swrr: HashMap<String, Swrr>,
    round_robin: HashMap<String, usize>,
}

impl Balancer {
    /// The index of the next target group of a forward (`None` when every weight is 0).
    pub fn pick_group(&mut self, key: &str, groups: &[(String, u32)]) -> Option<usize> {
        if groups.len() == 1 {
            return Some(0);
        }
        let total: i64 = groups.iter().map(|g| i64::from(g.1)).sum();
        if total == 0 {
            return None;
        }
        if !self.swrr.contains_key(key) {
            self.swrr
                .insert(key.to_owned(), (groups.to_vec(), vec![0; groups.len()]));
        }
        let entry = self.swrr.get_mut(key)?;
        if entry.0 != groups {
            *entry = (groups.to_vec(), vec![0; groups.len()]);
        }
        let mut best = 0;
        for (i, (_, w)) in groups.iter().enumerate() {
            entry.1[i] += i64::from(*w);
            if entry.1[i] > entry.1[best] {
                best = i;
            }
        }
        entry.1[best] -= total;
        Some(best)
    }

    /// Round robin over `n` candidates of a target group.
    pub fn next_index(&mut self, group: &str, n: usize) -> usize {
        let c = match self.round_robin.get_mut(group) {
            Some(c) => c,
            None => self.round_robin.entry(group.to_owned()).or_insert(0),
        };
        *c = c.wrapping_add(1);
        *c % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts<'a>(
        method: &'a str,
        path: &'a str,
        query: &'a str,
        host: &'a str,
        h: &'a http::HeaderMap,
    ) -> RequestFacts<'a> {
        RequestFacts {
            method,
            path,
            query,
            host,
            headers: h,
            client: "10.1.2.3".parse().unwrap(),
        }
    }

    #[test]
    fn every_condition_type_matches_as_an_alb_does() {
        let mut h = http::HeaderMap::new();
        h.insert("x-env", "Canary-7".parse().unwrap());
        let f = facts("POST", "/api/threads/42", "v=2&Flag=On", "api.example.com", &h);
        let yes = |c: Value| cond_matches(&compile_condition(&c), &f);
        assert!(yes(json!({"Field": "path-pattern", "Values": ["/api/threads*"]})));
        assert!(yes(
            json!({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/x", "/api/threads/4?"]}})
        ));
        assert!(!yes(json!({"Field": "path-pattern", "Values": ["/API/threads*"]})));
        assert!(!yes(json!({"Field": "path-pattern", "Values": ["/api/threads/4"]})));
        assert!(yes(json!({"Field": "host-header", "Values": ["*.EXAMPLE.com"]})));
        assert!(!yes(json!({"Field": "host-header", "Values": ["example.com"]})));
        assert!(yes(
            json!({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["canary-*"]}})
        ));
        assert!(!yes(
            json!({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Other", "Values": ["*"]}})
        ));
        assert!(yes(
            json!({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET", "POST"]}})
        ));
        assert!(!yes(
            json!({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}})
        ));
        assert!(yes(
            json!({"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "flag", "Value": "on"}]}})
        ));
        assert!(yes(
            json!({"Field": "query-string", "QueryStringConfig": {"Values": [{"Value": "2"}]}})
        ));
        assert!(!yes(
            json!({"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "3"}]}})
        ));
        assert!(yes(
            json!({"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}})
        ));
        assert!(!yes(
            json!({"Field": "source-ip", "SourceIpConfig": {"Values": ["192.168.0.0/16", "10.1.2.4/32"]}})
        ));
    }

    #[test]
    fn rules_go_by_priority_and_fall_back_to_the_default() {
        let h = http::HeaderMap::new();
        let rules = vec![
            compile_rule(
                "r1",
                &[json!({"Field": "path-pattern", "Values": ["/a*"]})],
                &[json!({"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "201"}})],
            ),
            compile_rule(
                "r2",
                &[
                    json!({"Field": "path-pattern", "Values": ["/*"]}),
                    json!({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["PUT"]}}),
                ],
                &[json!({"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "202"}})],
            ),
            compile_rule(
                "l",
                &[],
                &[json!({"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}})],
            ),
        ];
        let key = |m: &str, p: &str| select(&rules, &facts(m, p, "", "h", &h)).map(|r| r.key.clone());
        assert_eq!(key("GET", "/abc").as_deref(), Some("r1"));
        assert_eq!(key("PUT", "/b").as_deref(), Some("r2"));
        assert_eq!(key("GET", "/b").as_deref(), Some("l"));
    }

    #[test]
    fn weighted_round_robin_follows_the_weights_exactly() {
        let mut b = Balancer::default();
        let groups = vec![("blue".to_owned(), 90), ("green".to_owned(), 10)];
        let picks: Vec<usize> = (0..1000).filter_map(|_| b.pick_group("r", &groups)).collect();
        assert_eq!(picks.iter().filter(|g| **g == 1).count(), 100);
        let zero = vec![("blue".to_owned(), 0), ("green".to_owned(), 5)];
        assert!((0..50).all(|_| b.pick_group("r", &zero) == Some(1)));
        let none = vec![("blue".to_owned(), 0), ("green".to_owned(), 0)];
        assert_eq!(b.pick_group("r", &none), None);
    }

    #[test]
    fn redirects_substitute_every_placeholder() {
        let act = compile_action(&[
            json!({"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/new/#{path}", "Query": "#{query}&x=1", "StatusCode": "HTTP_301"}}),
        ]);
        assert_eq!(
            redirect_location(&act, "HTTP", "a.example", 80, "/old", "q=1").as_deref(),
            Some("https://a.example/new/old?q=1&x=1")
        );
        let keep = compile_action(&[json!({"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_302"}})]);
        assert_eq!(
            redirect_location(&keep, "HTTP", "h", 8080, "/p", "").as_deref(),
            Some("http://h:8080/p")
        );
    }
}
