//! Policy documents: validation as IAM does it (answered with IAM's `MalformedPolicyDocument`
//! messages), the size rule (non-whitespace characters), the URL encoding IAM applies to documents
//! in its outputs, and the evaluation of a trust policy for `sts:AssumeRole`-style checks.

use crate::protocol::{AwsError, AwsResult};
use serde_json::{Map, Value};

/// What a document is used for: the rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// An inline identity policy (PutRolePolicy): Action and Resource, no Principal.
    Inline,
    /// A customer managed policy version: as `Inline`, and Version must be 2012-10-17.
    Managed,
    /// A role's trust policy: Principal and Action, no Resource.
    Trust,
}

pub use crate::services::identity::{policy_size as size, POLICY_SYNTAX as SYNTAX};

fn malformed(message: impl Into<String>) -> AwsError {
    AwsError::new("MalformedPolicyDocument", message)
}

/// Percent-encodes a document the way IAM returns it (RFC 3986; botocore and the CLI decode it).
pub fn url_encode(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len() * 2);
    for b in doc.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A string or a list of strings (as Action, Resource and principal values are written).
fn strings(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) => a.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// The statements of a parsed document (an object or an array of objects).
pub fn statements(doc: &Value) -> Vec<&Map<String, Value>> {
    match doc.get("Statement") {
        Some(Value::Object(o)) => vec![o],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
];

/// Parses and checks a policy document; returns it parsed.
pub fn validate(doc: &str, kind: DocKind) -> AwsResult<Value> {
    let parsed: Value = serde_json::from_str(doc).map_err(|_| malformed(SYNTAX))?;
    let top = parsed.as_object().ok_or_else(|| malformed(SYNTAX))?;
    if top
        .keys()
        .any(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
    {
        return Err(malformed(SYNTAX));
    }
    match top.get("Version") {
        None => {}
        Some(Value::String(v)) if v == "2012-10-17" || v == "2008-10-17" => {}
        Some(_) => return Err(malformed(SYNTAX)),
    }
    if top.get("Id").is_some_and(|v| !v.is_string()) {
        return Err(malformed(SYNTAX));
    }
    let raw: Vec<&Value> = match top.get("Statement") {
        Some(s @ Value::Object(_)) => vec![s],
        Some(Value::Array(a)) if !a.is_empty() => a.iter().collect(),
        _ => return Err(malformed(SYNTAX)),
    };
    let mut stmts = Vec::with_capacity(raw.len());
    for s in raw {
        let s = s.as_object().ok_or_else(|| malformed(SYNTAX))?;
        if s.keys().any(|k| !STATEMENT_KEYS.contains(&k.as_str())) {
            return Err(malformed(SYNTAX));
        }
        if (s.contains_key("Action") && s.contains_key("NotAction"))
            || (s.contains_key("Resource") && s.contains_key("NotResource"))
            || (s.contains_key("Principal") && s.contains_key("NotPrincipal"))
        {
            return Err(malformed(SYNTAX));
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some("Allow" | "Deny") => {}
            _ => return Err(malformed(SYNTAX)),
        }
        for key in ["Action", "NotAction", "Resource", "NotResource"] {
            if s.get(key).is_some_and(|v| strings(v).is_none()) {
                return Err(malformed(SYNTAX));
            }
        }
        if s.get("Sid").is_some_and(|v| !v.is_string()) {
            return Err(malformed(SYNTAX));
        }
        if let Some(c) = s.get("Condition") {
            let ok = c.as_object().is_some_and(|ops| ops.values().all(Value::is_object));
            if !ok {
                return Err(malformed(SYNTAX));
            }
        }
        for key in ["Principal", "NotPrincipal"] {
            if let Some(p) = s.get(key) {
                if !principal_well_formed(p) {
                    return Err(malformed(SYNTAX));
                }
            }
        }
        stmts.push(s);
    }
    if kind == DocKind::Managed && top.get("Version").and_then(Value::as_str) != Some("2012-10-17") {
        return Err(malformed("Policy document must be version 2012-10-17 or greater."));
    }
    let mut sids = std::collections::HashSet::new();
    for s in &stmts {
        if let Some(sid) = s.get("Sid").and_then(Value::as_str) {
            if !sid.is_empty() && !sids.insert(sid) {
                return Err(malformed("Statement IDs (SID) in a single policy must be unique."));
            }
        }
    }
    for s in &stmts {
        let has_principal = s.contains_key("Principal") || s.contains_key("NotPrincipal");
        let has_action = s.contains_key("Action") || s.contains_key("NotAction");
        let has_resource = s.contains_key("Resource") || s.contains_key("NotResource");
        match kind {
            DocKind::Trust => {
                if has_resource {
                    let which = if s.contains_key("Resource") {
                        "Resource"
                    } else {
                        "NotResource"
                    };
                    return Err(malformed(format!("Has prohibited field {which}")));
                }
                if !has_principal {
                    return Err(malformed("Missing required field Principal"));
                }
                if !has_action {
                    return Err(malformed("Missing required field Action"));
                }
            }
            DocKind::Inline | DocKind::Managed => {
                if has_principal {
                    return Err(malformed("Policy document should not specify a principal."));
                }
                if !has_action || list_empty(s, "Action") || list_empty(s, "NotAction") {
                    return Err(malformed("Policy statement must contain actions."));
                }
                if !has_resource || list_empty(s, "Resource") || list_empty(s, "NotResource") {
                    return Err(malformed("Policy statement must contain resources."));
                }
            }
        }
    }
    for s in &stmts {
        for key in ["Action", "NotAction"] {
            for action in s.get(key).and_then(strings).unwrap_or_default() {
                check_action(action)?;
            }
        }
        if kind != DocKind::Trust {
            for key in ["Resource", "NotResource"] {
                for r in s.get(key).and_then(strings).unwrap_or_default() {
                    if r != "*" && !r.contains(':') {
                        return Err(malformed(format!("Resource {r} must be in ARN format or \"*\".")));
                    }
                }
            }
        }
    }
    Ok(parsed)
}

fn list_empty(s: &Map<String, Value>, key: &str) -> bool {
    s.get(key).and_then(Value::as_array).is_some_and(Vec::is_empty)
}

fn principal_well_formed(p: &Value) -> bool {
    match p {
        Value::String(s) => s == "*",
        Value::Object(m) => {
            !m.is_empty()
                && m.iter().all(|(k, v)| {
                    matches!(k.as_str(), "AWS" | "Service" | "Federated" | "CanonicalUser")
                        && strings(v).is_some_and(|l| !l.is_empty())
                })
        }
        _ => false,
    }
}

fn check_action(action: &str) -> AwsResult<()> {
    if action == "*" {
        return Ok(());
    }
    let parts: Vec<&str> = action.split(':').collect();
    if parts.len() == 1 {
        return Err(malformed(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ));
    }
    if parts.len() > 2 {
        return Err(malformed("Actions/Condition can contain only one colon."));
    }
    let vendor = parts[0];
    if vendor.is_empty()
        || !vendor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(malformed(format!("Vendor {vendor} is not valid")));
    }
    Ok(())
}

/// The `"AWS"` principal values of a trust policy (to check they name something real).
pub fn aws_principals(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in statements(doc) {
        for key in ["Principal", "NotPrincipal"] {
            if let Some(v) = s.get(key).and_then(|p| p.get("AWS")).and_then(strings) {
                out.extend(v.into_iter().map(str::to_owned));
            }
        }
    }
    out
}

/// `*` and `?` wildcard match, case-insensitive (as IAM matches actions).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    crate::services::util::glob(&pattern.to_lowercase(), &text.to_lowercase())
}

/// Who is asking to assume a role, as a trust policy sees them.
#[derive(Debug, Clone)]
pub enum Principal {
    /// An AWS service (`lambda.amazonaws.com`).
    Service(String),
    /// AWS principal identifiers that all name the caller: its ARN, the role ARN behind an
    /// assumed-role session, the account root ARN and the account id.
    Aws(Vec<String>),
}

fn statement_matches_principal(s: &Map<String, Value>, who: &Principal) -> bool {
    let (value, negated) = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(p), _) => (p, false),
        (None, Some(p)) => (p, true),
        (None, None) => return false,
    };
    let matched = match value {
        Value::String(star) => star == "*",
        Value::Object(m) => match who {
            Principal::Service(svc) => m
                .get("Service")
                .and_then(strings)
                .is_some_and(|l| l.iter().any(|v| *v == "*" || v.eq_ignore_ascii_case(svc))),
            Principal::Aws(ids) => m
                .get("AWS")
                .and_then(strings)
                .is_some_and(|l| l.iter().any(|v| *v == "*" || ids.iter().any(|id| id == v))),
        },
        _ => false,
    };
    matched != negated
}

fn statement_matches_action(s: &Map<String, Value>, action: &str) -> bool {
    if let Some(l) = s.get("Action").and_then(strings) {
        return l.iter().any(|p| glob_match(p, action));
    }
    if let Some(l) = s.get("NotAction").and_then(strings) {
        return !l.iter().any(|p| glob_match(p, action));
    }
    false
}

/// Whether a trust policy lets `who` perform `action`: some Allow statement matches and no Deny
/// does. Conditions are not evaluated (a statement with a Condition counts as matching).
pub fn trust_allows(doc: &Value, who: &Principal, action: &str) -> bool {
    let mut allowed = false;
    for s in statements(doc) {
        if !(statement_matches_principal(s, who) && statement_matches_action(s, action)) {
            continue;
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return false,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(doc: &str, kind: DocKind) -> String {
        validate(doc, kind).map(|_| String::new()).unwrap_or_else(|e| {
            assert_eq!(e.code, "MalformedPolicyDocument");
            e.message
        })
    }

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const IDENTITY: &str =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}}"#;

    #[test]
    fn accepts_good_documents() {
        assert_eq!(msg(TRUST, DocKind::Trust), "");
        assert_eq!(msg(IDENTITY, DocKind::Inline), "");
        assert_eq!(msg(IDENTITY, DocKind::Managed), "");
        let old = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::x"}]}"#;
        assert_eq!(msg(old, DocKind::Inline), "");
    }

    #[test]
    fn rejects_as_iam_does() {
        assert_eq!(msg("{not json", DocKind::Inline), SYNTAX);
        assert_eq!(msg("[]", DocKind::Inline), SYNTAX);
        assert_eq!(msg(r#"{"Version":"2012-10-17"}"#, DocKind::Inline), SYNTAX);
        assert_eq!(
            msg(r#"{"Version":"2013-01-01","Statement":[]}"#, DocKind::Inline),
            SYNTAX
        );
        let bad_effect = r#"{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}"#;
        assert_eq!(msg(bad_effect, DocKind::Inline), SYNTAX);
        let extra = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":1}}"#;
        assert_eq!(msg(extra, DocKind::Inline), SYNTAX);
        let with_principal = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#;
        assert_eq!(
            msg(with_principal, DocKind::Inline),
            "Policy document should not specify a principal."
        );
        let no_resource = r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#;
        assert_eq!(
            msg(no_resource, DocKind::Inline),
            "Policy statement must contain resources."
        );
        let no_action = r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#;
        assert_eq!(
            msg(no_action, DocKind::Inline),
            "Policy statement must contain actions."
        );
        let no_vendor = r#"{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}"#;
        assert!(msg(no_vendor, DocKind::Inline).starts_with("Actions/Conditions must be prefaced by a vendor"));
        let bad_resource = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}}"#;
        assert_eq!(
            msg(bad_resource, DocKind::Inline),
            "Resource bucket must be in ARN format or \"*\"."
        );
        let no_version = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        assert_eq!(
            msg(no_version, DocKind::Managed),
            "Policy document must be version 2012-10-17 or greater."
        );
        let dup_sid = r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            msg(dup_sid, DocKind::Inline),
            "Statement IDs (SID) in a single policy must be unique."
        );
    }

    #[test]
    fn trust_policy_rules() {
        let with_resource = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#;
        assert_eq!(msg(with_resource, DocKind::Trust), "Has prohibited field Resource");
        let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
        assert_eq!(msg(no_principal, DocKind::Trust), "Missing required field Principal");
        let bad_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(msg(bad_principal, DocKind::Trust), SYNTAX);
    }

    #[test]
    fn trust_evaluation() {
        let doc: Value = serde_json::from_str(TRUST).unwrap();
        let lambda = Principal::Service("lambda.amazonaws.com".into());
        assert!(trust_allows(&doc, &lambda, "sts:AssumeRole"));
        assert!(!trust_allows(&doc, &lambda, "sts:TagSession"));
        assert!(!trust_allows(
            &doc,
            &Principal::Service("ecs-tasks.amazonaws.com".into()),
            "sts:AssumeRole"
        ));
        let root = Principal::Aws(vec!["arn:aws:iam::111111111111:root".into(), "111111111111".into()]);
        assert!(!trust_allows(&doc, &root, "sts:AssumeRole"));
        let acct: Value = serde_json::from_str(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:*"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:TagSession"}]}"#,
        )
        .unwrap();
        assert!(trust_allows(&acct, &root, "sts:AssumeRole"));
        assert!(!trust_allows(&acct, &root, "sts:TagSession"));
    }

    #[test]
    fn encoding_and_size() {
        assert_eq!(url_encode(r#"{"a": "b c/"}"#), "%7B%22a%22%3A%20%22b%20c%2F%22%7D");
        assert_eq!(size("{ \"a\" :\n 1 }"), 7);
        assert!(glob_match("sts:Assume*", "STS:AssumeRole"));
        assert!(glob_match("*", "x"));
        assert!(!glob_match("sts:Get?", "sts:GetXY"));
    }
}
