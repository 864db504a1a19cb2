//! Which service and wire protocol a request speaks. All of them share `POST /`, so this runs before
//! any operation routing: `X-Amz-Target`, then the form's `Action` + `Version`, then the SigV4
//! credential scope's service, then the path.

use super::{query, HttpRequest, Wire};
use crate::model::{Protocol, Service};

/// The region and signing service of the SigV4 credential scope, and the access key id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub access_key: Option<String>,
    pub region: Option<String>,
    pub service: Option<String>,
}

/// Reads `Credential=AKID/DATE/REGION/SERVICE/aws4_request` from the Authorization header
/// (or `X-Amz-Credential` of a presigned URL).
pub fn scope(req: &HttpRequest) -> Scope {
    let cred = req
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|c| c.split([',', ' ']).next().unwrap_or("").to_owned())
        .or_else(|| {
            form_urlencoded::parse(req.query.as_bytes())
                .find(|(k, _)| k == "X-Amz-Credential")
                .map(|(_, v)| v.into_owned())
        });
    let Some(cred) = cred else { return Scope::default() };
    let parts: Vec<&str> = cred.split('/').collect();
    let get = |i: usize| parts.get(i).filter(|s| !s.is_empty()).map(|s| s.to_string());
    Scope {
        access_key: get(0),
        region: get(2),
        service: get(3),
    }
}

fn json_wire(service: Service, req: &HttpRequest) -> Wire {
    let meta = &service.model().metadata;
    let version = match req.header("content-type") {
        Some(ct) if ct.contains("1.0") => "1.0",
        Some(ct) if ct.contains("1.1") => "1.1",
        _ if meta.json_version.as_deref() == Some("1.0") => "1.0",
        _ => "1.1",
    };
    Wire::Json {
        version,
        query_compatible: meta.aws_query_compatible,
    }
}

fn by_target_prefix(prefix: &str) -> Option<Service> {
    match prefix {
        "AmazonEC2ContainerServiceV20141113" => Some(Service::Ecs),
        "CodeDeploy_20141006" => Some(Service::CodeDeploy),
        "Logs_20140328" => Some(Service::Logs),
        "GraniteServiceVersion20100801" => Some(Service::CloudWatch),
        _ => None,
    }
}

fn by_query_version(version: &str) -> Option<Service> {
    match version {
        "2015-12-01" => Some(Service::Elbv2),
        "2010-05-08" => Some(Service::Iam),
        "2011-06-15" => Some(Service::Sts),
        "2016-11-15" => Some(Service::Ec2),
        "2010-08-01" => Some(Service::CloudWatch),
        _ => None,
    }
}

fn by_signing_name(name: &str) -> Option<Service> {
    match name {
        "ecs" => Some(Service::Ecs),
        "elasticloadbalancing" => Some(Service::Elbv2),
        "codedeploy" => Some(Service::CodeDeploy),
        "iam" => Some(Service::Iam),
        "sts" => Some(Service::Sts),
        "lambda" => Some(Service::Lambda),
        "monitoring" => Some(Service::CloudWatch),
        "logs" => Some(Service::Logs),
        "ec2" => Some(Service::Ec2),
        _ => None,
    }
}

fn wire_for(service: Service, req: &HttpRequest, is_query: bool) -> Wire {
    match service.model().metadata.protocol {
        Protocol::Ec2 => Wire::Ec2,
        Protocol::Query => Wire::Query,
        Protocol::RestJson => Wire::RestJson,
        Protocol::Json if is_query => Wire::Query,
        Protocol::Json => json_wire(service, req),
    }
}

/// Lambda's REST paths all start with a dated API version segment.
fn is_lambda_path(path: &str) -> bool {
    let seg = path.trim_start_matches('/').split('/').next().unwrap_or("");
    seg.len() == 10
        && seg.as_bytes()[4] == b'-'
        && seg.as_bytes()[7] == b'-'
        && seg.starts_with("20")
        && path.len() > 11
}

/// The service and wire protocol of a request, or `None` when nothing identifies one.
pub fn detect(req: &HttpRequest) -> Option<(Service, Wire)> {
    if super::cbor::is_rpc_v2_cbor(req) {
        if let Some(s) = super::cbor::service_segment(req).and_then(by_target_prefix) {
            let query_compatible = s.model().metadata.aws_query_compatible;
            return Some((s, Wire::Cbor { query_compatible }));
        }
    }
    if let Some(target) = req.header("x-amz-target") {
        let prefix = target.split('.').next().unwrap_or("");
        if let Some(s) = by_target_prefix(prefix) {
            return Some((s, json_wire(s, req)));
        }
    }
    let form = req
        .header("content-type")
        .map(|ct| ct.starts_with("application/x-www-form-urlencoded"))
        .unwrap_or(false);
    let scope = scope(req);
    if form || (req.body.is_empty() && req.query.contains("Action=")) {
        let params = query::params(req);
        let has_action = params.iter().any(|(k, _)| k == "Action");
        if has_action {
            let version = params.iter().find(|(k, _)| k == "Version").map(|(_, v)| v.as_str());
            let svc = version
                .and_then(by_query_version)
                .or_else(|| scope.service.as_deref().and_then(by_signing_name));
            if let Some(s) = svc {
                return Some((s, wire_for(s, req, true)));
            }
        }
    }
    if let Some(s) = scope.service.as_deref().and_then(by_signing_name) {
        // A form body (without `Action`) to a service that also speaks awsQuery is awsQuery.
        let query = form && s.model().metadata.also_query;
        return Some((s, wire_for(s, req, query)));
    }
    if is_lambda_path(&req.path) {
        return Some((Service::Lambda, Wire::RestJson));
    }
    None
}

/// Whether `region` names an AWS region as the SDKs' partitions define them (`us-east-1`,
/// `eu-central-2`, `cn-north-1`, `us-gov-west-1`, `us-iso-east-1`, ...): a partition prefix, a
/// word, a number. A pattern rather than a list, so a region AWS opens tomorrow works today.
pub fn is_known_region(region: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "us-gov", "us-iso", "us-isob", "us-isof", "eu-isoe", "eusc-de", "us", "eu", "ap", "sa", "ca", "me", "af", "il",
        "mx", "cn",
    ];
    PREFIXES.iter().any(|p| {
        region
            .strip_prefix(p)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|rest| rest.rsplit_once('-'))
            .is_some_and(|(word, num)| {
                !word.is_empty()
                    && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !num.is_empty()
                    && num.bytes().all(|b| b.is_ascii_digit())
            })
    })
}

/// The service (when known) and wire protocol a request's errors are written in, from its
/// headers, path and query string alone: what the server answers before it has read the body
/// (a body too large, a gzip body that does not inflate). Same order as [`detect`]: an RPC v2
/// CBOR path, `X-Amz-Target` (awsJson), a form content type or `Action` in the query string
/// (awsQuery, EC2's dialect for EC2), an awsJson content type, the SigV4 scope's service, a
/// Lambda REST path; anything else is answered in awsJson 1.1, the shape most SDKs read.
pub fn error_wire(headers: &http::HeaderMap, path: &str, query: &str) -> (Option<Service>, Wire) {
    let head = HttpRequest {
        method: http::Method::POST,
        path: path.to_owned(),
        query: query.to_owned(),
        headers: headers.clone(),
        body: bytes::Bytes::new(),
    };
    let json_default = Wire::Json {
        version: "1.1",
        query_compatible: false,
    };
    if super::cbor::is_rpc_v2_cbor(&head) {
        let s = super::cbor::service_segment(&head).and_then(by_target_prefix);
        let query_compatible = s.is_some_and(|s| s.model().metadata.aws_query_compatible);
        return (s, Wire::Cbor { query_compatible });
    }
    let scope = scope(&head);
    let signed = scope.service.as_deref().and_then(by_signing_name);
    if let Some(target) = head.header("x-amz-target") {
        let s = by_target_prefix(target.split('.').next().unwrap_or("")).or(signed);
        return match s {
            Some(s) if s.model().metadata.protocol == Protocol::Json || s == Service::CloudWatch => {
                (Some(s), json_wire(s, &head))
            }
            _ => (None, json_default),
        };
    }
    let content_type = head.header("content-type").unwrap_or("");
    let query_action = form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "Action");
    if content_type.starts_with("application/x-www-form-urlencoded") || query_action {
        let version = form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "Version")
            .and_then(|(_, v)| by_query_version(&v));
        return match version.or(signed) {
            Some(Service::Ec2) => (Some(Service::Ec2), Wire::Ec2),
            Some(s) if matches!(wire_for(s, &head, true), Wire::Query) => (Some(s), Wire::Query),
            _ => (None, Wire::Query),
        };
    }
    if content_type.starts_with("application/x-amz-json-") {
        return match signed {
            Some(s) if s.model().metadata.protocol == Protocol::Json => (Some(s), json_wire(s, &head)),
            _ => (
                None,
                Wire::Json {
                    version: if content_type.contains("1.0") { "1.0" } else { "1.1" },
                    query_compatible: false,
                },
            ),
        };
    }
    if let Some(s) = signed {
        return (Some(s), wire_for(s, &head, false));
    }
    if is_lambda_path(path) {
        return (Some(Service::Lambda), Wire::RestJson);
    }
    (None, json_default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};

    fn req(headers: &[(&'static str, &str)], path: &str, body: &str) -> HttpRequest {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        HttpRequest {
            method: Method::POST,
            path: path.into(),
            query: String::new(),
            headers: h,
            body: Bytes::from(body.to_owned()),
        }
    }

    const AUTH: &str =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-1/iam/aws4_request, SignedHeaders=host, Signature=x";

    #[test]
    fn table() {
        let form = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        let cases: Vec<(HttpRequest, Option<(Service, Wire)>)> = vec![
            (
                req(
                    &[
                        ("x-amz-target", "AmazonEC2ContainerServiceV20141113.ListClusters"),
                        ("content-type", "application/x-amz-json-1.1"),
                    ],
                    "/",
                    "{}",
                ),
                Some((
                    Service::Ecs,
                    Wire::Json {
                        version: "1.1",
                        query_compatible: false,
                    },
                )),
            ),
            (
                req(
                    &[
                        ("x-amz-target", "GraniteServiceVersion20100801.DescribeAlarms"),
                        ("content-type", "application/x-amz-json-1.0"),
                    ],
                    "/",
                    "{}",
                ),
                Some((
                    Service::CloudWatch,
                    Wire::Json {
                        version: "1.0",
                        query_compatible: true,
                    },
                )),
            ),
            (
                req(&[form], "/", "Action=ListRoles&Version=2010-05-08"),
                Some((Service::Iam, Wire::Query)),
            ),
            (
                req(&[form], "/", "Action=DescribeLoadBalancers&Version=2015-12-01"),
                Some((Service::Elbv2, Wire::Query)),
            ),
            (
                req(&[form], "/", "Action=DescribeVpcs&Version=2016-11-15"),
                Some((Service::Ec2, Wire::Ec2)),
            ),
            (
                req(&[form], "/", "Action=DescribeAlarms&Version=2010-08-01"),
                Some((Service::CloudWatch, Wire::Query)),
            ),
            (
                req(&[form, ("authorization", AUTH)], "/", "Action=ListRoles"),
                Some((Service::Iam, Wire::Query)),
            ),
            (
                req(&[], "/2015-03-31/functions/f/invocations", ""),
                Some((Service::Lambda, Wire::RestJson)),
            ),
            (
                req(
                    &[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor")],
                    "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
                    "",
                ),
                Some((Service::CloudWatch, Wire::Cbor { query_compatible: true })),
            ),
            (req(&[], "/", ""), None),
        ];
        for (r, want) in cases {
            assert_eq!(detect(&r), want, "{:?}", r);
        }
    }

    #[test]
    fn picks_the_error_wire_from_the_headers_alone() {
        let h = |pairs: &[(&'static str, &str)]| req(pairs, "/", "").headers;
        let form = ("content-type", "application/x-www-form-urlencoded; charset=utf-8");
        let json11 = Wire::Json {
            version: "1.1",
            query_compatible: false,
        };
        let ecs = ("x-amz-target", "AmazonEC2ContainerServiceV20141113.ListClusters");
        type Case<'a> = (http::HeaderMap, &'a str, &'a str, (Option<Service>, Wire));
        let cases: Vec<Case> = vec![
            (h(&[ecs]), "/", "", (Some(Service::Ecs), json11)),
            (h(&[("x-amz-target", "Nobody.Knows")]), "/", "", (None, json11)),
            (h(&[form]), "/", "", (None, Wire::Query)),
            (
                h(&[form, ("authorization", AUTH)]),
                "/",
                "",
                (Some(Service::Iam), Wire::Query),
            ),
            (
                h(&[]),
                "/",
                "Action=DescribeVpcs&Version=2016-11-15",
                (Some(Service::Ec2), Wire::Ec2),
            ),
            (
                h(&[form]),
                "/",
                "Action=DescribeAlarms&Version=2010-08-01",
                (Some(Service::CloudWatch), Wire::Query),
            ),
            (
                h(&[]),
                "/2015-03-31/functions/f/invocations",
                "",
                (Some(Service::Lambda), Wire::RestJson),
            ),
            (h(&[]), "/", "", (None, json11)),
        ];
        for (headers, path, query, want) in cases {
            assert_eq!(error_wire(&headers, path, query), want, "{headers:?} {path} {query}");
        }
    }

    #[test]
    fn knows_regions_by_their_partitions_pattern() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-5",
            "cn-north-1",
            "us-gov-west-1",
            "us-iso-east-1",
            "il-central-1",
        ] {
            assert!(is_known_region(r), "{r}");
        }
        for r in [
            "xx-fake-1",
            "aws-global",
            "local",
            "us-east",
            "us--1",
            "us-east-1a",
            "",
            "US-EAST-1",
        ] {
            assert!(!is_known_region(r), "{r}");
        }
    }

    #[test]
    fn reads_the_credential_scope() {
        let s = scope(&req(&[("authorization", AUTH)], "/", ""));
        assert_eq!(s.access_key.as_deref(), Some("AKIDEXAMPLE"));
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.service.as_deref(), Some("iam"));
    }
}
