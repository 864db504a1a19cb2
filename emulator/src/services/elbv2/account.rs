//! DescribeAccountLimits (AWS's default quotas) and DescribeSSLPolicies (a few real policies).

use super::State;
use super::{page, validation};
use crate::env::Env;
use crate::protocol::{AwsError, AwsResult};
use crate::services::Ctx;
use cutover_types::elbv2 as t;

/// AWS's default quotas per account and region.
const LIMITS: &[(&str, &str)] = &[
    ("application-load-balancers", "50"),
    ("target-groups", "3000"),
    ("targets-per-application-load-balancer", "1000"),
    ("listeners-per-application-load-balancer", "50"),
    ("rules-per-application-load-balancer", "100"),
    ("network-load-balancers", "50"),
    ("targets-per-network-load-balancer", "3000"),
    ("targets-per-availability-zone-per-network-load-balancer", "500"),
    ("listeners-per-network-load-balancer", "50"),
    ("condition-values-per-alb-rule", "5"),
    ("condition-wildcards-per-alb-rule", "5"),
    ("target-groups-per-application-load-balancer", "100"),
    ("target-groups-per-action-on-application-load-balancer", "5"),
    ("target-groups-per-action-on-network-load-balancer", "1"),
    ("certificates-per-application-load-balancer", "25"),
    ("certificates-per-network-load-balancer", "25"),
    ("targets-per-target-group", "1000"),
    ("target-id-registrations-per-application-load-balancer", "1000"),
    ("network-load-balancer-enis-per-vpc", "1200"),
    ("application-load-balancer-enis-per-vpc", "1200"),
    ("gateway-load-balancers", "100"),
    ("gateway-load-balancers-per-vpc", "100"),
    ("geneve-target-groups", "100"),
    ("targets-per-availability-zone-per-gateway-load-balancer", "300"),
];

pub(super) fn describe_account_limits(
    _st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeAccountLimitsInput,
) -> AwsResult<t::DescribeAccountLimitsOutput> {
    let items = LIMITS
        .iter()
        .map(|(n, m)| t::Limit {
            name: Some((*n).to_owned()),
            max: Some((*m).to_owned()),
        })
        .collect();
    let (limits, next) = page(items, input.marker.as_deref(), input.page_size)?;
    Ok(t::DescribeAccountLimitsOutput {
        limits: Some(limits),
        next_marker: next,
    })
}

const TLS12_ECDHE: &[&str] = &[
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
];
const TLS12_ECDHE_256: &[&str] = &[
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES256-SHA384",
];

struct Policy {
    name: &'static str,
    protocols: &'static [&'static str],
    ciphers: Vec<&'static str>,
}

fn policies() -> Vec<Policy> {
    let cbc_sha = ["ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA"];
    let cbc_sha256 = ["ECDHE-RSA-AES256-SHA", "ECDHE-ECDSA-AES256-SHA"];
    let rsa = [
        "AES128-GCM-SHA256",
        "AES128-SHA256",
        "AES128-SHA",
        "AES256-GCM-SHA384",
        "AES256-SHA256",
        "AES256-SHA",
    ];
    let rsa12 = [
        "AES128-GCM-SHA256",
        "AES128-SHA256",
        "AES256-GCM-SHA384",
        "AES256-SHA256",
    ];
    let tls13 = [
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
    ];

    let legacy: Vec<&str> = TLS12_ECDHE
        .iter()
        .chain(&cbc_sha)
        .chain(TLS12_ECDHE_256)
        .chain(&cbc_sha256)
        .chain(&rsa)
        .copied()
        .collect();
    let mut v2015 = legacy.clone();
    v2015.insert(6, "DHE-RSA-AES128-SHA");
    vec![
        Policy {
            name: "ELBSecurityPolicy-2016-08",
            protocols: &["TLSv1", "TLSv1.1", "TLSv1.2"],
            ciphers: legacy,
        },
        Policy {
            name: "ELBSecurityPolicy-2015-05",
            protocols: &["TLSv1", "TLSv1.1", "TLSv1.2"],
            ciphers: v2015,
        },
        Policy {
            name: "ELBSecurityPolicy-TLS-1-2-2017-01",
            protocols: &["TLSv1.2"],
            ciphers: TLS12_ECDHE
                .iter()
                .chain(TLS12_ECDHE_256)
                .chain(&rsa12)
                .copied()
                .collect(),
        },
        Policy {
            name: "ELBSecurityPolicy-TLS13-1-2-2021-06",
            protocols: &["TLSv1.2", "TLSv1.3"],
            ciphers: tls13
                .iter()
                .chain(TLS12_ECDHE)
                .chain(TLS12_ECDHE_256)
                .copied()
                .collect(),
        },
        Policy {
            name: "ELBSecurityPolicy-TLS13-1-3-2021-06",
            protocols: &["TLSv1.3"],
            ciphers: tls13.to_vec(),
        },
    ]
}

pub(super) fn ssl_policy_exists(name: &str) -> bool {
    policies().iter().any(|p| p.name == name)
}

fn policy_value(p: &Policy) -> t::SslPolicy {
    let ciphers = p
        .ciphers
        .iter()
        .enumerate()
        .map(|(i, c)| t::Cipher {
            name: Some((*c).to_owned()),
            priority: Some(i as i32 + 1),
        })
        .collect();
    t::SslPolicy {
        name: Some(p.name.to_owned()),
        ssl_protocols: Some(p.protocols.iter().map(|s| (*s).to_owned()).collect()),
        ciphers: Some(ciphers),
        supported_load_balancer_types: Some(vec!["application".to_owned(), "network".to_owned()]),
    }
}

pub(super) fn describe_ssl_policies(
    _st: &mut State,
    _env: &mut Env<'_>,
    _ctx: &Ctx,
    input: t::DescribeSSLPoliciesInput,
) -> AwsResult<t::DescribeSSLPoliciesOutput> {
    let names = input.names.clone().unwrap_or_default();
    if let Some(t) = input.load_balancer_type.as_ref().map(|t| t.as_str()) {
        if t != "application" && t != "network" && t != "gateway" {
            return Err(validation(format!("Load balancer type '{t}' is not valid")));
        }
    }
    let all = policies();
    if let Some(missing) = names.iter().find(|n| !all.iter().any(|p| p.name == n.as_str())) {
        return Err(AwsError::new(
            "SSLPolicyNotFound",
            format!("SSL policy '{missing}' not found"),
        ));
    }
    let items = all
        .iter()
        .filter(|p| names.is_empty() || names.iter().any(|n| n == p.name))
        .map(policy_value)
        .collect();
    let (policies, next) = page(items, input.marker.as_deref(), input.page_size)?;
    Ok(t::DescribeSSLPoliciesOutput {
        ssl_policies: Some(policies),
        next_marker: next,
    })
}
