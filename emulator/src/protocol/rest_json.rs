//! restJson1 (Lambda): operations matched by method and URI template; members bound to the
//! path, query string, headers and body.

// `AwsError` is the crate-wide error type; its size is a crate-wide decision, not this codec's.
use super::json::{
    body_to_canonical, canonical_epoch, canonical_to_body, epoch_value, error_members, member_to_body, parse_body,
    timestamp_format,
};
use super::{timestamp, AwsError, AwsResult, HttpRequest, HttpResponse};
use crate::model::{Kind, Location, Member, Model, Operation, Shape};
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

// ---------------------------------------------------------------------------------------------
// URI templates

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Literal(String),
    Label(String),
    Greedy(String),
}

#[derive(Debug)]
struct Template {
    op: String,
    method: String,
    segs: Vec<Seg>,
    /// The literal query part: `?versions` (key present) or `?find=LayerVersion` (key = value).
    query: Vec<(String, Option<String>)>,
}

impl Template {
    fn parse(op: &Operation) -> Template {
        let (path, query) = op.request_uri.split_once('?').unwrap_or((&op.request_uri, ""));
        let segs = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(l) => match l.strip_suffix('+') {
                    Some(g) => Seg::Greedy(g.to_owned()),
                    None => Seg::Label(l.to_owned()),
                },
                None => Seg::Literal(s.to_owned()),
            })
            .collect();
        let query = query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (kv.to_owned(), None),
            })
            .collect();
        Template {
            op: op.name.clone(),
            method: op.http_method.clone(),
            segs,
            query,
        }
    }

    /// How specific the template is: literal segments weigh most, then literal query keys;
    /// a greedy label weighs least.
    fn score(&self) -> i64 {
        let lit = self.segs.iter().filter(|s| matches!(s, Seg::Literal(_))).count() as i64;
        let labels = self.segs.iter().filter(|s| matches!(s, Seg::Label(_))).count() as i64;
        let greedy = self.segs.iter().any(|s| matches!(s, Seg::Greedy(_)));
        lit * 1000 + labels * 10 + self.query.len() as i64 * 100 - if greedy { 5 } else { 0 }
    }

    /// Matches the path segments (still percent-encoded) and query; returns decoded labels.
    fn matches(&self, path: &[&str], query: &[(String, String)]) -> Option<Vec<(String, String)>> {
        for (k, v) in &self.query {
            let ok = match v {
                None => query.iter().any(|(qk, _)| qk == k),
                Some(v) => query.iter().any(|(qk, qv)| qk == k && qv == v),
            };
            if !ok {
                return None;
            }
        }
        let mut labels = Vec::new();
        let greedy_at = self.segs.iter().position(|s| matches!(s, Seg::Greedy(_)));
        let (head, tail) = match greedy_at {
            Some(g) => (&self.segs[..g], &self.segs[g + 1..]),
            None => (&self.segs[..], &[][..]),
        };
        if greedy_at.is_none() && path.len() != head.len() {
            return None;
        }
        if greedy_at.is_some() && path.len() < head.len() + tail.len() + 1 {
            return None;
        }
        let seg_ok = |seg: &Seg, raw: &str, labels: &mut Vec<(String, String)>| -> bool {
            let decoded = percent_decode(raw);
            match seg {
                Seg::Literal(l) => *l == decoded || l == raw,
                Seg::Label(n) => {
                    if decoded.is_empty() {
                        return false;
                    }
                    labels.push((n.clone(), decoded));
                    true
                }
                Seg::Greedy(_) => false,
            }
        };
        for (seg, raw) in head.iter().zip(path) {
            if !seg_ok(seg, raw, &mut labels) {
                return None;
            }
        }
        if let Some(g) = greedy_at {
            let rest = &path[head.len()..path.len() - tail.len()];
            for (seg, raw) in tail.iter().zip(&path[path.len() - tail.len()..]) {
                if !seg_ok(seg, raw, &mut labels) {
                    return None;
                }
            }
            if let Seg::Greedy(n) = &self.segs[g] {
                let value = rest.iter().map(|s| percent_decode(s)).collect::<Vec<_>>().join("/");
                labels.push((n.clone(), value));
            }
        }
        Some(labels)
    }
}

/// Templates per model, built once per service (keyed by service id and api version).
fn templates(model: &Model) -> Arc<Vec<Template>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<Template>>>>> = OnceLock::new();
    let build = || {
        let mut t: Vec<Template> = model
            .operations
            .values()
            .filter(|o| !o.stub)
            .map(Template::parse)
            .collect();
        t.sort_by(|a, b| b.score().cmp(&a.score()).then_with(|| a.op.cmp(&b.op)));
        Arc::new(t)
    };
    // Protocol test models share a service id across different operations: only cache models
    // that carry a real service id and enough operations to be a service.
    if model.metadata.service_id.is_empty() || model.operations.len() < 2 {
        return build();
    }
    let key = format!(
        "{}/{}/{}",
        model.metadata.service_id,
        model.metadata.api_version,
        model.operations.len()
    );
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = cache.lock().unwrap_or_else(|p| p.into_inner());
    guard.entry(key).or_insert_with(build).clone()
}

fn path_segments(path: &str) -> Vec<&str> {
    path.split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

fn query_pairs(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// Decodes `%XX` escapes (not `+`), keeping invalid escapes as they are.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The operation whose method and URI template match the request, with its path labels.
pub fn match_operation(model: &Model, req: &HttpRequest) -> Option<(String, Vec<(String, String)>)> {
    let path = path_segments(&req.path);
    let query = query_pairs(&req.query);
    templates(model)
        .iter()
        .filter(|t| t.method.eq_ignore_ascii_case(req.method.as_str()))
        .find_map(|t| t.matches(&path, &query).map(|labels| (t.op.clone(), labels)))
}

// ---------------------------------------------------------------------------------------------
// Input

/// The error for input that does not fit the model: the service's own when it has one
/// (Lambda's `InvalidRequestContentException`), else `SerializationException`.
fn bad_input(model: &Model, message: impl Into<String>) -> AwsError {
    if model.shape_named("InvalidRequestContentException").is_some() {
        AwsError::new("InvalidRequestContentException", message)
    } else {
        AwsError::new("SerializationException", message)
    }
}

pub fn parse_input(model: &Model, op: &Operation, req: &HttpRequest) -> AwsResult<Value> {
    let mut out = Map::new();
    let Some(input) = op.input else {
        return Ok(Value::Object(out));
    };
    let shape = model.shape(input);
    let Kind::Structure { members, payload, .. } = &shape.kind else {
        return Ok(Value::Object(out));
    };
    let labels = Template::parse(op)
        .matches(&path_segments(&req.path), &query_pairs(&req.query))
        .unwrap_or_default();
    let query = query_pairs(&req.query);
    let template_query: Vec<String> = Template::parse(op).query.into_iter().map(|(k, _)| k).collect();

    for m in members {
        let ms = model.shape(m.shape);
        let v = match m.location {
            Location::Uri => match labels.iter().find(|(n, _)| *n == m.location_name) {
                Some((_, text)) => Some(scalar_from_text(model, m, ms, text, "label")?),
                None => None,
            },
            Location::QueryString => match &ms.kind {
                Kind::Map { value, .. } => {
                    let vs = model.shape(value.shape);
                    let mut map = Map::new();
                    for (k, v) in &query {
                        // Like Smithy's httpQueryParams: every parameter but the template's own,
                        // including those a named member binds too.
                        if template_query.contains(k) {
                            continue;
                        }
                        if let Kind::List { member: lm, .. } = &vs.kind {
                            let item = scalar_from_text(model, lm, model.shape(lm.shape), v, "query parameter")?;
                            let e = map.entry(k.clone()).or_insert_with(|| Value::Array(Vec::new()));
                            if let Value::Array(a) = e {
                                a.push(item);
                            }
                        } else if !map.contains_key(k) {
                            map.insert(k.clone(), scalar_from_text(model, value, vs, v, "query parameter")?);
                        }
                    }
                    (!map.is_empty()).then_some(Value::Object(map))
                }
                Kind::List { member: lm, .. } => {
                    let items: Vec<&String> = query
                        .iter()
                        .filter(|(k, _)| *k == m.location_name)
                        .map(|(_, v)| v)
                        .collect();
                    if items.is_empty() {
                        None
                    } else {
                        let mut a = Vec::new();
                        for v in items {
                            a.push(scalar_from_text(
                                model,
                                lm,
                                model.shape(lm.shape),
                                v,
                                "query parameter",
                            )?);
                        }
                        Some(Value::Array(a))
                    }
                }
                _ => match query.iter().find(|(k, _)| *k == m.location_name) {
                    Some((_, v)) => Some(scalar_from_text(model, m, ms, v, "query parameter")?),
                    None => None,
                },
            },
            Location::Header => {
                let values: Vec<&str> = req
                    .headers
                    .get_all(m.location_name.as_str())
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                if values.is_empty() {
                    None
                } else {
                    let text = values.join(", ");
                    Some(header_value(model, m, ms, &text)?)
                }
            }
            Location::Headers => {
                let prefix = m.location_name.to_ascii_lowercase();
                let mut map = Map::new();
                if let Kind::Map { value, .. } = &ms.kind {
                    for (name, v) in &req.headers {
                        let n = name.as_str();
                        if let (Some(rest), Ok(text)) = (n.strip_prefix(prefix.as_str()), v.to_str()) {
                            map.insert(
                                rest.to_owned(),
                                header_value(model, value, model.shape(value.shape), text)?,
                            );
                        }
                    }
                }
                (!map.is_empty()).then_some(Value::Object(map))
            }
            Location::StatusCode => None,
            Location::Body => None,
        };
        if let Some(v) = v {
            out.insert(m.name.clone(), v);
        }
    }

    if let Some(p) = payload {
        if let Some(m) = members.iter().find(|m| &m.name == p) {
            let ms = model.shape(m.shape);
            match &ms.kind {
                Kind::Blob => {
                    if !req.body.is_empty() {
                        out.insert(m.name.clone(), Value::String(B64.encode(&req.body)));
                    }
                }
                Kind::String { .. } => {
                    if !req.body.is_empty() {
                        let s = std::str::from_utf8(&req.body)
                            .map_err(|_| bad_input(model, "The request body is not valid UTF-8"))?;
                        out.insert(m.name.clone(), Value::String(s.to_owned()));
                    }
                }
                _ => {
                    if !req.body.iter().all(u8::is_ascii_whitespace) {
                        let body = parse_body(&req.body).map_err(|e| bad_input(model, e))?;
                        // `{}` is what clients send for an unset structure payload.
                        if !body.is_null() && body != Value::Object(Map::new()) {
                            let v = body_to_canonical(model, m.shape, &body, &m.location_name)
                                .map_err(|e| bad_input(model, e))?;
                            out.insert(m.name.clone(), v);
                        }
                    }
                }
            }
        }
    } else if members.iter().any(|m| m.location == Location::Body) {
        let body = parse_body(&req.body).map_err(|e| bad_input(model, e))?;
        let Value::Object(obj) = &body else {
            return Err(bad_input(model, "The request body must be a JSON object"));
        };
        for m in members.iter().filter(|m| m.location == Location::Body) {
            if let Some(x) = obj.get(&m.location_name).filter(|x| !x.is_null()) {
                let v = body_to_canonical(model, m.shape, x, &m.location_name).map_err(|e| bad_input(model, e))?;
                out.insert(m.name.clone(), v);
            }
        }
    }
    Ok(Value::Object(out))
}

/// A scalar from a label, query parameter or header text.
fn scalar_from_text(model: &Model, m: &Member, shape: &Shape, text: &str, place: &str) -> AwsResult<Value> {
    let bad = |want: &str| {
        bad_input(
            model,
            format!("Expected {want} for the {place} {}, found {text:?}", m.location_name),
        )
    };
    Ok(match &shape.kind {
        Kind::String { .. } => Value::String(text.to_owned()),
        Kind::Integer | Kind::Long => Value::from(text.trim().parse::<i64>().map_err(|_| bad("an integer"))?),
        Kind::Float | Kind::Double => match text.trim() {
            t @ ("NaN" | "Infinity" | "-Infinity") => Value::String(t.to_owned()),
            t => {
                let f: f64 = t.parse().map_err(|_| bad("a number"))?;
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| bad("a number"))?
            }
        },
        Kind::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("true or false")),
        },
        Kind::Timestamp => {
            let f = timestamp::parse(text).ok_or_else(|| bad("a timestamp"))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| bad("a timestamp"))?
        }
        Kind::Blob => Value::String(text.to_owned()),
        _ => return Err(bad("a scalar value")),
    })
}

/// Splits a list header on commas, honouring double quotes; http-dates (which contain a comma)
/// are rejoined in pairs when `dates` is set.
fn split_header_list(text: &str, dates: bool) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ',' && !quoted {
            items.push(std::mem::take(&mut cur).trim().to_owned());
        } else {
            cur.push(c);
        }
    }
    items.push(cur.trim().to_owned());
    if dates && items.len() % 2 == 0 && items.iter().step_by(2).all(|s| s.len() == 3) {
        return items.chunks(2).map(|p| format!("{}, {}", p[0], p[1])).collect();
    }
    items
}

fn header_value(model: &Model, m: &Member, shape: &Shape, text: &str) -> AwsResult<Value> {
    match &shape.kind {
        Kind::List { member: lm, .. } => {
            let ls = model.shape(lm.shape);
            let dates = matches!(ls.kind, Kind::Timestamp);
            let mut a = Vec::new();
            for item in split_header_list(text, dates) {
                a.push(scalar_from_text(model, lm, ls, &item, "header")?);
            }
            Ok(Value::Array(a))
        }
        Kind::String { .. } if m.json_value => {
            let raw = B64.decode(text.trim()).map_err(|_| {
                bad_input(
                    model,
                    format!("The header {} must be base64-encoded JSON", m.location_name),
                )
            })?;
            Ok(serde_json::from_slice(&raw)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&raw).into_owned())))
        }
        _ => scalar_from_text(model, m, shape, text, "header"),
    }
}

// ---------------------------------------------------------------------------------------------
// Output

fn header_text(model: &Model, m: &Member, shape: &Shape, v: &Value) -> Option<String> {
    Some(match (&shape.kind, v) {
        (Kind::List { member: lm, .. }, Value::Array(items)) => {
            let ls = model.shape(lm.shape);
            let parts: Vec<String> = items
                .iter()
                .filter_map(|x| {
                    let t = header_text(model, lm, ls, x)?;
                    Some(
                        if matches!(ls.kind, Kind::String { .. }) && (t.contains(',') || t.contains('"')) {
                            format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
                        } else {
                            t
                        },
                    )
                })
                .collect();
            parts.join(", ")
        }
        (Kind::Timestamp, _) => {
            let epoch = canonical_epoch(v)?;
            match timestamp_format(Some(m), shape).unwrap_or("rfc822") {
                "iso8601" => timestamp::iso8601(epoch),
                "unixTimestamp" => epoch_value(epoch).to_string(),
                _ => timestamp::http_date(epoch),
            }
        }
        (Kind::String { .. }, _) if m.json_value => B64.encode(v.to_string()),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Null) => return None,
        (_, other) => other.to_string(),
    })
}

/// Writes the header-bound members of `value` (a structure of `members`) into `resp`.
fn write_headers(model: &Model, members: &[Member], value: &Value, mut resp: HttpResponse) -> HttpResponse {
    for m in members {
        let Some(v) = value.get(&m.name).filter(|v| !v.is_null()) else {
            continue;
        };
        let ms = model.shape(m.shape);
        match m.location {
            Location::Header => {
                if let Some(text) = header_text(model, m, ms, v) {
                    if m.location_name.eq_ignore_ascii_case("content-type") {
                        resp.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
                    }
                    resp.headers.push((m.location_name.clone(), text));
                }
            }
            Location::Headers => {
                if let (Kind::Map { value: vm, .. }, Value::Object(obj)) = (&ms.kind, v) {
                    for (k, x) in obj {
                        if let Some(text) = header_text(model, vm, model.shape(vm.shape), x) {
                            resp.headers.push((format!("{}{k}", m.location_name), text));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    resp
}

pub fn write_output(model: &Model, op: &Operation, output: &Value, request_id: &str) -> HttpResponse {
    let Some(out_id) = op.output else {
        return HttpResponse {
            status: op.response_code,
            headers: vec![],
            body: Default::default(),
        }
        .header("x-amzn-RequestId", request_id);
    };
    let Kind::Structure { members, payload, .. } = &model.shape(out_id).kind else {
        return HttpResponse::new(
            op.response_code,
            "application/json",
            canonical_to_body(model, out_id, output).to_string(),
        )
        .header("x-amzn-RequestId", request_id);
    };
    let status = members
        .iter()
        .find(|m| m.location == Location::StatusCode)
        .and_then(|m| output.get(&m.name))
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .filter(|s| (100..600).contains(s))
        .unwrap_or(op.response_code);

    let mut resp = if let Some(m) = payload.as_ref().and_then(|p| members.iter().find(|m| &m.name == p)) {
        let ms = model.shape(m.shape);
        let v = output.get(&m.name).filter(|v| !v.is_null());
        match (&ms.kind, v) {
            (Kind::Blob, v) => {
                let bytes = v
                    .and_then(Value::as_str)
                    .map(|s| B64.decode(s).unwrap_or_else(|_| s.as_bytes().to_vec()));
                HttpResponse::new(status, "application/octet-stream", bytes.unwrap_or_default())
            }
            (Kind::String { .. }, v) => {
                HttpResponse::new(status, "text/plain", v.and_then(Value::as_str).unwrap_or("").to_owned())
            }
            (_, Some(v)) => HttpResponse::new(status, "application/json", member_to_body(model, m, v).to_string()),
            (_, None) => HttpResponse {
                status,
                headers: vec![],
                body: Default::default(),
            },
        }
    } else if status != 204
        && (members.iter().any(|m| m.location == Location::Body)
            || !members
                .iter()
                .any(|m| matches!(m.location, Location::Header | Location::Headers)))
    {
        // A JSON object when some member is in the body, and for an output with no member at
        // all; an output carried entirely in headers has an empty body.
        let mut obj = Map::new();
        for m in members.iter().filter(|m| m.location == Location::Body) {
            if let Some(v) = output.get(&m.name).filter(|v| !v.is_null()) {
                obj.insert(m.location_name.clone(), member_to_body(model, m, v));
            }
        }
        HttpResponse::new(status, "application/json", Value::Object(obj).to_string())
    } else {
        HttpResponse {
            status,
            headers: vec![],
            body: Default::default(),
        }
    };
    resp = write_headers(model, members, output, resp);
    resp.header("x-amzn-RequestId", request_id)
}

pub fn write_error(model: &Model, err: &AwsError, request_id: &str) -> HttpResponse {
    let status = super::error_status(model, err);
    let shape = super::error_shape(model, &err.code);
    let code = shape.map(|s| s.name.clone()).unwrap_or_else(|| err.code.clone());
    let members: &[Member] = match shape.map(|s| &s.kind) {
        Some(Kind::Structure { members, .. }) => members,
        _ => &[],
    };
    let mut body = Map::new();
    let has_type = shape.is_none() || members.iter().any(|m| m.name == "Type");
    if has_type {
        let fault = status >= 500 || !err.sender_fault || shape.is_some_and(|s| s.fault);
        body.insert(
            "Type".into(),
            Value::String(if fault { "Service" } else { "User" }.into()),
        );
    }
    error_members(model, shape, err, &mut body);
    let resp = HttpResponse::new(status, "application/json", Value::Object(body).to_string())
        .header("x-amzn-RequestId", request_id)
        .header("X-Amzn-ErrorType", code);
    let extra = Value::Object(err.extra.clone());
    write_headers(model, members, &extra, resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;
    use bytes::Bytes;
    use http::{HeaderMap, Method};

    fn req(method: Method, uri: &str, headers: &[(&'static str, &str)], body: &[u8]) -> HttpRequest {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(*k, v.parse().unwrap());
        }
        HttpRequest {
            method,
            path: path.into(),
            query: query.into(),
            headers: h,
            body: Bytes::copy_from_slice(body),
        }
    }

    fn header<'a>(r: &'a HttpResponse, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn lambda_routes() {
        let model = Service::Lambda.model();
        type Route<'a> = (Method, &'a str, &'a str, &'a [(&'a str, &'a str)]);
        let cases: &[Route] = &[
            (Method::GET, "/2015-03-31/functions/", "ListFunctions", &[]),
            (
                Method::GET,
                "/2015-03-31/functions/my%20fn",
                "GetFunction",
                &[("FunctionName", "my fn")],
            ),
            (
                Method::POST,
                "/2015-03-31/functions/f/invocations",
                "Invoke",
                &[("FunctionName", "f")],
            ),
            (
                Method::GET,
                "/2015-03-31/functions/f/policy?Qualifier=1",
                "GetPolicy",
                &[("FunctionName", "f")],
            ),
            (
                Method::GET,
                "/2018-10-31/layers?find=LayerVersion&Arn=x",
                "GetLayerVersionByArn",
                &[],
            ),
            (Method::GET, "/2018-10-31/layers", "ListLayers", &[]),
            (
                Method::GET,
                "/2019-09-30/functions/f/provisioned-concurrency?List=ALL",
                "ListProvisionedConcurrencyConfigs",
                &[("FunctionName", "f")],
            ),
            (
                Method::GET,
                "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=live",
                "GetProvisionedConcurrencyConfig",
                &[("FunctionName", "f")],
            ),
            (
                Method::DELETE,
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/aliases/live",
                "DeleteAlias",
                &[
                    ("FunctionName", "arn:aws:lambda:us-east-1:000000000000:function:f"),
                    ("Name", "live"),
                ],
            ),
        ];
        for (m, uri, op, labels) in cases {
            let (name, got) =
                match_operation(&model, &req(m.clone(), uri, &[], b"")).unwrap_or_else(|| panic!("{uri}"));
            assert_eq!(&name, op, "{uri}");
            let want: Vec<(String, String)> = labels.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
            assert_eq!(got, want, "{uri}");
        }
        assert!(match_operation(&model, &req(Method::PATCH, "/2015-03-31/functions/f", &[], b"")).is_none());
        assert!(match_operation(&model, &req(Method::GET, "/2015-03-31/nothing/here", &[], b"")).is_none());
    }

    #[test]
    fn lambda_invoke_input_binds_headers_query_and_raw_payload() {
        let model = Service::Lambda.model();
        let op = model.operation("Invoke").unwrap();
        let r = req(
            Method::POST,
            "/2015-03-31/functions/f/invocations?Qualifier=live",
            &[("x-amz-invocation-type", "RequestResponse"), ("x-amz-log-type", "Tail")],
            b"{\"k\": 1}",
        );
        let v = parse_input(&model, op, &r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"FunctionName": "f", "InvocationType": "RequestResponse", "LogType": "Tail",
                               "Qualifier": "live", "Payload": B64.encode(b"{\"k\": 1}")})
        );
    }

    #[test]
    fn lambda_bad_body_is_invalid_request_content() {
        let model = Service::Lambda.model();
        let op = model.operation("CreateFunction").unwrap();
        let e = parse_input(&model, op, &req(Method::POST, "/2015-03-31/functions", &[], b"{nope")).unwrap_err();
        assert_eq!(e.code, "InvalidRequestContentException");
        let e = parse_input(
            &model,
            op,
            &req(Method::POST, "/2015-03-31/functions", &[], br#"{"Timeout":"x"}"#),
        )
        .unwrap_err();
        assert!(e.message.contains("Timeout"), "{}", e.message);
    }

    #[test]
    fn lambda_invoke_response_golden_bytes() {
        let model = Service::Lambda.model();
        let op = model.operation("Invoke").unwrap();
        let out = serde_json::json!({
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "LogResult": B64.encode("START\nEND\n"),
            "ExecutedVersion": "$LATEST",
            "Payload": B64.encode(br#"{"errorMessage":"boom"}"#),
        });
        let resp = write_output(&model, op, &out, "rid-4");
        assert_eq!(resp.status, 200);
        assert_eq!(&resp.body[..], br#"{"errorMessage":"boom"}"#);
        assert_eq!(
            resp.headers,
            vec![
                ("content-type".to_owned(), "application/octet-stream".to_owned()),
                ("X-Amz-Executed-Version".to_owned(), "$LATEST".to_owned()),
                ("X-Amz-Function-Error".to_owned(), "Unhandled".to_owned()),
                ("X-Amz-Log-Result".to_owned(), "U1RBUlQKRU5ECg==".to_owned()),
                ("x-amzn-RequestId".to_owned(), "rid-4".to_owned()),
            ]
        );
        // An async invocation: 202 from the StatusCode member, empty payload.
        let resp = write_output(&model, op, &serde_json::json!({"StatusCode": 202}), "r");
        assert_eq!(resp.status, 202);
        assert!(resp.body.is_empty());
    }

    #[test]
    fn lambda_outputs() {
        let model = Service::Lambda.model();
        let op = model.operation("DeleteFunction").unwrap();
        let resp = write_output(&model, op, &serde_json::json!({"StatusCode": 204}), "r");
        assert_eq!(resp.status, 204);
        assert!(resp.body.is_empty());
        let op = model.operation("DeleteAlias").unwrap();
        let resp = write_output(&model, op, &serde_json::json!({}), "r");
        assert_eq!(resp.status, 204);
        assert!(resp.body.is_empty());
        let op = model.operation("GetFunctionConfiguration").unwrap();
        let resp = write_output(
            &model,
            op,
            &serde_json::json!({"FunctionName": "f", "Timeout": 3, "Bogus": 1}),
            "r",
        );
        assert_eq!(header(&resp, "content-type"), Some("application/json"));
        assert_eq!(&resp.body[..], br#"{"FunctionName":"f","Timeout":3}"#);
    }

    #[test]
    fn lambda_error_golden_bytes() {
        let model = Service::Lambda.model();
        let err = AwsError::new(
            "ResourceNotFoundException",
            "Function not found: arn:aws:lambda:us-east-1:000000000000:function:f",
        );
        let resp = write_error(&model, &err, "rid-5");
        assert_eq!(resp.status, 404);
        assert_eq!(header(&resp, "X-Amzn-ErrorType"), Some("ResourceNotFoundException"));
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:f"}"#
        );
        let err = AwsError::new("InvalidParameterValueException", "bad").with_extra("Type", "User");
        let resp = write_error(&model, &err, "r");
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"Type":"User","message":"bad"}"#
        );
        let err = AwsError::new("TooManyRequestsException", "slow down")
            .with_extra("retryAfterSeconds", "3")
            .with_extra("Reason", "CallerRateLimitExceeded");
        let resp = write_error(&model, &err, "r");
        assert_eq!(resp.status, 429);
        assert_eq!(header(&resp, "Retry-After"), Some("3"));
        assert_eq!(
            std::str::from_utf8(&resp.body).unwrap(),
            r#"{"Type":"User","message":"slow down","Reason":"CallerRateLimitExceeded"}"#
        );
    }
}
