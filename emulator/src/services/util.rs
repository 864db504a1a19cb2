//! Small helpers shared by the service handlers: reading members of the canonical input value,
//! tags, and pagination.

use crate::protocol::{AwsError, AwsResult};
use serde_json::{Map, Value};

/// A string member, if present.
pub fn opt_str<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

/// A string member the model marks required (validation has already checked presence, but
/// internal callers may not have gone through it).
pub fn req_str<'a>(input: &'a Value, name: &str, code: &str) -> AwsResult<&'a str> {
    opt_str(input, name).ok_or_else(|| AwsError::new(code, format!("{name} is required")))
}

pub fn opt_i64(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

pub fn opt_bool(input: &Value, name: &str) -> Option<bool> {
    input.get(name).and_then(Value::as_bool)
}

/// A list of strings member (empty when absent).
pub fn str_list(input: &Value, name: &str) -> Vec<String> {
    input
        .get(name)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// An optional member as a value: absent (`Null`, dropped by [`obj`]) when `None`.
pub fn opt_json<T: serde::Serialize>(v: &Option<T>) -> Value {
    v.as_ref()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(Value::Null)
}

/// Builds an object from pairs, leaving out `Value::Null`s (absent members stay absent).
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if !v.is_null() {
            m.insert(k.to_owned(), v);
        }
    }
    Value::Object(m)
}

/// `*` matches any run of characters, `?` any one; everything else literally (case-sensitive).
/// EC2 filter values and IAM action patterns use this.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// One page of `items` after the opaque `token` (an index), at most `max` long, and the next token.
pub fn paginate<T: Clone>(
    items: &[T],
    token: Option<&str>,
    max: usize,
    code: &str,
) -> AwsResult<(Vec<T>, Option<String>)> {
    let start = match token {
        None | Some("") => 0,
        Some(t) => decode_token(t).ok_or_else(|| AwsError::new(code, "Invalid pagination token"))?,
    };
    let start = start.min(items.len());
    let end = start.saturating_add(max.max(1)).min(items.len());
    let next = (end < items.len()).then(|| encode_token(end));
    Ok((items[start..end].to_vec(), next))
}

fn encode_token(index: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("cutover:{index}"))
}

fn decode_token(token: &str) -> Option<usize> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    String::from_utf8(raw).ok()?.strip_prefix("cutover:")?.parse().ok()
}

/// The name at the end of an ARN (`…/name`), or the text itself when it is no ARN.
pub fn name_from_arn(text: &str) -> &str {
    if text.starts_with("arn:") {
        text.rsplit('/').next().unwrap_or(text)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_stable_and_tokens_checked() {
        let items: Vec<u32> = (0..5).collect();
        let (p1, t1) = paginate(&items, None, 2, "X").unwrap();
        assert_eq!(p1, vec![0, 1]);
        let (p2, t2) = paginate(&items, t1.as_deref(), 2, "X").unwrap();
        assert_eq!(p2, vec![2, 3]);
        let (p3, t3) = paginate(&items, t2.as_deref(), 2, "X").unwrap();
        assert_eq!((p3, t3), (vec![4], None));
        assert_eq!(paginate(&items, Some("garbage"), 2, "X").unwrap_err().code, "X");
    }
}
