//! awsQuery (IAM, STS, ELBv2, CloudWatch for older clients) and its EC2 dialect: form-encoded
//! requests, XML responses.
//!
//! Parsing inverts botocore's `QuerySerializer` / `EC2Serializer`: the dotted parameter names
//! (`Tags.member.1.Key`, `Filter.1.Value.2`) are gathered into a trie, which is then walked along
//! the operation's input shape. Where the Smithy-generated SDKs and botocore spell a name
//! differently (EC2 members without `locationName`, flattened lists whose member is renamed), both
//! spellings are accepted.
//!
//! Serializing walks the output shape (never the value alone), so only modelled members reach the
//! wire, under their `locationName`, in the XML shape botocore's `QueryParser` / `EC2QueryParser`
//! read.

use super::{timestamp, AwsError, AwsResult, HttpRequest, HttpResponse};
use crate::model::{Kind, Member, Model, Operation, ShapeId};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;

/// The form parameters of a query request: the URL query, then the body when there is one
/// (a parameter given in both places takes the body's value).
pub fn params(req: &HttpRequest) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes()).into_owned().collect();
    if !req.body.is_empty() {
        out.extend(form_urlencoded::parse(&req.body).into_owned());
    }
    out
}

/// The `Action` parameter (the last one given); an empty `Action` is none (`MissingAction`).
pub fn operation_name(req: &HttpRequest) -> Option<String> {
    params(req)
        .into_iter()
        .rev()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// One segment of the dotted parameter names.
#[derive(Debug, Default)]
struct Node {
    value: Option<String>,
    children: BTreeMap<String, Node>,
}

/// Far deeper than any modelled parameter name (`DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight`
/// has 8 parts); longer names are ignored like any unknown parameter, which keeps the trie shallow.
const MAX_KEY_PARTS: usize = 64;

impl Node {
    fn build(pairs: Vec<(String, String)>) -> Node {
        let mut root = Node::default();
        for (key, value) in pairs {
            if key == "Action" || key == "Version" || key.is_empty() || key.split('.').count() > MAX_KEY_PARTS {
                continue;
            }
            let mut node = &mut root;
            for part in key.split('.') {
                node = node.children.entry(part.to_owned()).or_default();
            }
            node.value = Some(value);
        }
        root
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.get(name)
    }

    /// The children named by indexes, in numeric order. The indexes must be exactly 1..N: an
    /// index 0, one with a leading zero, or a gap (`member.2` without `member.1`) is refused with
    /// the index named, as AWS refuses it (`Err` carries the offending index text).
    fn indexed(&self) -> Result<Vec<(&str, &Node)>, (String, u64)> {
        let mut items: Vec<(u64, &str, &Node)> = Vec::new();
        for (k, n) in &self.children {
            if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            match k.parse::<u64>() {
                Ok(i) if i >= 1 && !k.starts_with('0') => items.push((i, k.as_str(), n)),
                _ => return Err((k.clone(), 0)),
            }
        }
        items.sort_by_key(|(i, _, _)| *i);
        for (want, (i, k, _)) in (1u64..).zip(&items) {
            if *i != want {
                return Err(((*k).to_owned(), want));
            }
        }
        Ok(items.into_iter().map(|(_, k, n)| (k, n)).collect())
    }
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The serialized name of a member: its own `locationName`, else the `locationName` of the shape
/// it targets, else `default` (botocore merges the shape's traits under the member's).
fn wire_name<'a>(model: &'a Model, m: &'a Member, default: &'a str) -> &'a str {
    if m.location_name != m.name {
        return &m.location_name;
    }
    model.shape(m.shape).location_name.as_deref().unwrap_or(default)
}

fn push_unique(names: &mut Vec<String>, name: String) {
    if !name.is_empty() && !names.contains(&name) {
        names.push(name);
    }
}

struct Reader<'a> {
    model: &'a Model,
    ec2: bool,
}

impl Reader<'_> {
    fn invalid(&self, path: &str, text: &str, expected: &str) -> AwsError {
        if self.ec2 {
            AwsError::new(
                "InvalidParameterValue",
                format!("Value ({text}) for parameter {path} is invalid. Expected {expected}."),
            )
            .with_status(400)
        } else {
            AwsError::new(
                "ValidationError",
                format!(
                    "1 validation error detected: Value '{text}' at '{path}' failed to satisfy constraint: \
                     Member must be {expected}"
                ),
            )
            .with_status(400)
        }
    }

    /// The error for list or map indexes other than 1..N under `path`. awsQuery services answer
    /// `MalformedInput` (SQS's "0 is not a valid index"); EC2 has no such code and answers
    /// `InvalidParameterValue` naming the parameter.
    fn bad_index(&self, path: &str, (index, missing): (String, u64)) -> AwsError {
        let detail = if missing == 0 {
            format!("{index} is not a valid index")
        } else {
            format!("{path}.{index} is given without {path}.{missing}: list members are numbered 1 to N")
        };
        if self.ec2 {
            AwsError::new(
                "InvalidParameterValue",
                format!("Value ({index}) for parameter {path}.{index} is invalid. {detail}."),
            )
            .with_status(400)
        } else {
            AwsError::new("MalformedInput", detail).with_status(400)
        }
    }

    /// The parameter names a structure member may arrive under, preferred first.
    fn member_keys(&self, m: &Member) -> Vec<String> {
        let mut keys = Vec::new();
        let located = wire_name(self.model, m, &m.name);
        if self.ec2 {
            if let Some(q) = &m.query_name {
                push_unique(&mut keys, q.clone());
            }
            push_unique(&mut keys, capitalize(located));
            push_unique(&mut keys, located.to_owned());
            push_unique(&mut keys, capitalize(&m.name));
            push_unique(&mut keys, m.name.clone());
        } else {
            push_unique(&mut keys, located.to_owned());
            push_unique(&mut keys, m.name.clone());
            // botocore names a flattened list after its renamed member (`item.1`).
            if let Kind::List { member, flattened } = &self.model.shape(m.shape).kind {
                if *flattened || m.flattened {
                    let item = wire_name(self.model, member, "");
                    push_unique(&mut keys, item.to_owned());
                }
            }
        }
        keys
    }

    fn structure(&self, id: ShapeId, node: &Node, path: &str) -> AwsResult<Value> {
        let mut out = Map::new();
        if let Kind::Structure { members, .. } = &self.model.shape(id).kind {
            for m in members {
                let found = self
                    .member_keys(m)
                    .into_iter()
                    .find_map(|k| node.child(&k).map(|n| (k, n)));
                if let Some((key, child)) = found {
                    let child_path = if path.is_empty() { key } else { format!("{path}.{key}") };
                    if let Some(v) = self.value(m.shape, m.flattened, child, &child_path)? {
                        out.insert(m.name.clone(), v);
                    }
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn value(&self, id: ShapeId, member_flattened: bool, node: &Node, path: &str) -> AwsResult<Option<Value>> {
        let shape = self.model.shape(id);
        match &shape.kind {
            Kind::Structure { .. } => {
                if node.children.is_empty() && node.value.is_none() {
                    return Ok(None);
                }
                self.structure(id, node, path).map(Some)
            }
            Kind::List { member, flattened } => {
                let items_node = if self.ec2 || *flattened || member_flattened {
                    Some((node, path.to_owned()))
                } else {
                    let name = wire_name(self.model, member, "member");
                    node.child(name).map(|n| (n, format!("{path}.{name}")))
                };
                // Lenient: a non-flattened list sent as `Name.N`.
                let (items_node, items_path) = match items_node {
                    Some(found) => found,
                    None => (node, path.to_owned()),
                };
                let mut out = Vec::new();
                let items = items_node.indexed().map_err(|e| self.bad_index(&items_path, e))?;
                for (idx, item) in items {
                    if let Some(v) = self.value(member.shape, false, item, &format!("{items_path}.{idx}"))? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Kind::Map { key, value, flattened } => {
                let (entries_node, entries_path) = if *flattened || member_flattened {
                    (node, path.to_owned())
                } else {
                    match node.child("entry") {
                        Some(n) => (n, format!("{path}.entry")),
                        None => (node, path.to_owned()),
                    }
                };
                let names = |m: &Member, default: &str| {
                    let mut names = Vec::new();
                    let located = wire_name(self.model, m, default);
                    if self.ec2 {
                        if let Some(q) = &m.query_name {
                            push_unique(&mut names, q.clone());
                        }
                        push_unique(&mut names, capitalize(located));
                    }
                    push_unique(&mut names, located.to_owned());
                    push_unique(&mut names, default.to_owned());
                    push_unique(&mut names, capitalize(default));
                    names
                };
                let key_names = names(key, "key");
                let value_names = names(value, "value");
                let mut out = Map::new();
                let entries = entries_node.indexed().map_err(|e| self.bad_index(&entries_path, e))?;
                for (idx, entry) in entries {
                    let entry_path = format!("{entries_path}.{idx}");
                    let Some(k) = key_names
                        .iter()
                        .find_map(|n| entry.child(n))
                        .and_then(|n| n.value.clone())
                    else {
                        continue;
                    };
                    let found = value_names.iter().find_map(|n| entry.child(n).map(|c| (n, c)));
                    if let Some((vname, vnode)) = found {
                        if let Some(v) = self.value(value.shape, false, vnode, &format!("{entry_path}.{vname}"))? {
                            out.insert(k, v);
                        }
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            _ => {
                let Some(text) = node.value.as_deref() else {
                    return Ok(None);
                };
                self.scalar(id, text, path).map(Some)
            }
        }
    }

    fn scalar(&self, id: ShapeId, text: &str, path: &str) -> AwsResult<Value> {
        let shape = self.model.shape(id);
        Ok(match &shape.kind {
            Kind::Boolean => {
                if text.eq_ignore_ascii_case("true") {
                    Value::Bool(true)
                } else if text.eq_ignore_ascii_case("false") {
                    Value::Bool(false)
                } else {
                    return Err(self.invalid(path, text, "a boolean (true or false)"));
                }
            }
            Kind::Integer => match text.trim().parse::<i32>() {
                Ok(n) => Value::from(n),
                Err(_) => return Err(self.invalid(path, text, "an integer")),
            },
            Kind::Long => match text.trim().parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Err(self.invalid(path, text, "an integer")),
            },
            Kind::Float | Kind::Double => match text.trim() {
                // JSON has no non-finite numbers: these travel as the strings botocore sends.
                "NaN" | "Infinity" | "-Infinity" => Value::String(text.trim().to_owned()),
                t => match t.parse::<f64>().ok().and_then(Number::from_f64) {
                    Some(n) => Value::Number(n),
                    None => return Err(self.invalid(path, text, "a number")),
                },
            },
            Kind::Timestamp => match timestamp::parse(text).and_then(Number::from_f64) {
                Some(n) => Value::Number(n),
                None => return Err(self.invalid(path, text, "a timestamp (ISO 8601)")),
            },
            // Strings, enums and blobs (base64 text) travel as given.
            _ => Value::String(text.to_owned()),
        })
    }
}

/// Parses the form parameters into the canonical input value of `op`.
pub fn parse_input(model: &Model, op: &Operation, req: &HttpRequest, ec2: bool) -> AwsResult<Value> {
    let Some(input) = op.input else {
        return Ok(Value::Object(Map::new()));
    };
    let root = Node::build(params(req));
    Reader { model, ec2 }.structure(input, &root, "")
}

// ---------------------------------------------------------------------------------------------
// Serializing

/// Escapes text for element content and attribute values. Characters XML 1.0 cannot carry at all
/// become U+FFFD; a carriage return is kept as a character reference so parsers do not fold it.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// ISO 8601 with milliseconds, as ELBv2 and EC2 write it: `2015-01-25T08:00:00.000Z`.
fn iso8601_millis(epoch: f64) -> String {
    let text = timestamp::iso8601(epoch);
    if text.contains('.') {
        text
    } else {
        format!("{}.000Z", text.trim_end_matches('Z'))
    }
}

fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

struct Writer<'a> {
    model: &'a Model,
    ec2: bool,
    out: String,
}

impl Writer<'_> {
    fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn text_element(&mut self, name: &str, text: &str) {
        self.open(name);
        escape_into(&mut self.out, text);
        self.close(name);
    }

    /// The element name of a structure member: its `locationName`. A flattened list is named
    /// after the structure member too (the Smithy rule, which the protocol vectors follow; botocore
    /// reads a flattened list with a renamed member by the member's name instead, but none of the
    /// models cutover serves has a flattened list).
    fn member_element(&self, m: &Member) -> String {
        wire_name(self.model, m, &m.name).to_owned()
    }

    /// Writes the members of structure `id` present in `value`, in model order.
    fn members(&mut self, id: ShapeId, value: &Value, skip: &[&str]) {
        let model = self.model;
        let (Kind::Structure { members, .. }, Some(obj)) = (&model.shape(id).kind, value.as_object()) else {
            return;
        };
        for m in members {
            if skip.iter().any(|s| s.eq_ignore_ascii_case(&m.name)) {
                continue;
            }
            match obj.get(&m.name) {
                None | Some(Value::Null) => {}
                Some(v) => {
                    let name = self.member_element(m);
                    self.value(&name, m, v);
                }
            }
        }
    }

    /// Writes `value` as element(s) named `name`, shaped by the member `m` that holds it.
    fn value(&mut self, name: &str, m: &Member, value: &Value) {
        let model = self.model;
        let shape = model.shape(m.shape);
        match &shape.kind {
            Kind::Structure { .. } => {
                self.open(name);
                self.members(m.shape, value, &[]);
                self.close(name);
            }
            Kind::List { member, flattened } => {
                let Some(items) = value.as_array() else {
                    return;
                };
                if *flattened || m.flattened {
                    for item in items.iter().filter(|v| !v.is_null()) {
                        self.value(name, member, item);
                    }
                } else {
                    let item_name = wire_name(model, member, if self.ec2 { "item" } else { "member" });
                    self.open(name);
                    for item in items.iter().filter(|v| !v.is_null()) {
                        self.value(item_name, member, item);
                    }
                    self.close(name);
                }
            }
            Kind::Map {
                key,
                value: value_member,
                flattened,
            } => {
                let Some(entries) = value.as_object() else {
                    return;
                };
                let key_name = wire_name(model, key, "key");
                let value_name = wire_name(model, value_member, "value");
                let flat = *flattened || m.flattened;
                if !flat {
                    self.open(name);
                }
                for (k, v) in entries {
                    if v.is_null() {
                        continue;
                    }
                    self.open(if flat { name } else { "entry" });
                    self.text_element(key_name, k);
                    self.value(value_name, value_member, v);
                    self.close(if flat { name } else { "entry" });
                }
                if !flat {
                    self.close(name);
                }
            }
            Kind::Boolean => {
                let text = match value {
                    Value::Bool(b) => b.to_string(),
                    other => number_text(other).unwrap_or_default(),
                };
                self.text_element(name, &text);
            }
            Kind::Integer | Kind::Long => {
                let text = match value {
                    Value::Number(n) if n.is_f64() => {
                        format!("{}", n.as_f64().unwrap_or(0.0).trunc() as i64)
                    }
                    other => number_text(other).unwrap_or_default(),
                };
                self.text_element(name, &text);
            }
            Kind::Float | Kind::Double => {
                if let Some(text) = number_text(value) {
                    self.text_element(name, &text);
                }
            }
            Kind::Timestamp => {
                let format = m.timestamp_format.as_deref().or(shape.timestamp_format.as_deref());
                let text = match value {
                    Value::Number(n) => {
                        let epoch = n.as_f64().unwrap_or(0.0);
                        match format.map(str::to_ascii_lowercase).as_deref() {
                            Some("unixtimestamp") => n.to_string(),
                            Some("rfc822") => timestamp::http_date(epoch),
                            _ => iso8601_millis(epoch),
                        }
                    }
                    Value::String(s) => s.clone(),
                    _ => return,
                };
                self.text_element(name, &text);
            }
            _ => {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => number_text(other).unwrap_or_else(|| other.to_string()),
                };
                self.text_element(name, &text);
            }
        }
    }
}

fn query_namespace(model: &Model) -> String {
    match &model.metadata.xml_namespace {
        Some(ns) => ns.clone(),
        None => format!(
            "https://{}.amazonaws.com/doc/{}/",
            model.metadata.endpoint_prefix, model.metadata.api_version
        ),
    }
}

fn ec2_namespace(model: &Model) -> String {
    let ns = model
        .metadata
        .xml_namespace
        .clone()
        .unwrap_or_else(|| format!("http://ec2.amazonaws.com/doc/{}", model.metadata.api_version));
    if ns.ends_with('/') {
        ns
    } else {
        format!("{ns}/")
    }
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Serializes a handler's output value into the operation's XML response.
pub fn write_output(model: &Model, op: &Operation, output: &Value, request_id: &str, ec2: bool) -> HttpResponse {
    let mut w = Writer {
        model,
        ec2,
        out: String::new(),
    };
    let root = format!("{}Response", op.name);
    let rid = escape(request_id);
    if ec2 {
        w.out.push_str(XML_DECLARATION);
        w.out
            .push_str(&format!("<{root} xmlns=\"{}\">", escape(&ec2_namespace(model))));
        w.text_element("requestId", request_id);
        if let Some(id) = op.output {
            w.members(id, output, &[]);
        }
        w.close(&root);
    } else {
        w.out
            .push_str(&format!("<{root} xmlns=\"{}\">", escape(&query_namespace(model))));
        if let Some(id) = op.output {
            let wrapper = op
                .result_wrapper
                .clone()
                .unwrap_or_else(|| format!("{}Result", op.name));
            w.open(&wrapper);
            w.members(id, output, &[]);
            w.close(&wrapper);
        }
        w.out.push_str(&format!(
            "<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
        ));
        w.close(&root);
    }
    HttpResponse::new(200, "text/xml", w.out).header("x-amzn-RequestId", request_id)
}

/// Serializes an error: awsQuery `<ErrorResponse>`, EC2 `<Response><Errors>`. The code is the
/// error shape's awsQuery code when the model gives one; modelled members in `err.extra` follow
/// the message inside `<Error>`.
pub fn write_error(model: &Model, err: &AwsError, request_id: &str, ec2: bool) -> HttpResponse {
    let status = super::error_status(model, err);
    let shape = super::error_shape(model, &err.code);
    let code = shape
        .and_then(|s| s.error.as_ref())
        .and_then(|e| e.code.clone())
        .unwrap_or_else(|| err.code.clone());
    let receiver =
        status >= 500 || !err.sender_fault || shape.and_then(|s| s.error.as_ref()).is_some_and(|e| !e.sender_fault);
    let mut w = Writer {
        model,
        ec2,
        out: String::new(),
    };
    let extra = Value::Object(err.extra.clone());
    let shape_id = shape.and_then(|s| model.shape_named(&s.name));
    let error_body = |w: &mut Writer| {
        w.text_element("Code", &code);
        w.text_element("Message", &err.message);
        if let Some(id) = shape_id {
            if !err.extra.is_empty() {
                w.members(id, &extra, &["message"]);
            }
        }
    };
    if ec2 {
        w.out.push_str(XML_DECLARATION);
        w.out.push_str("<Response><Errors><Error>");
        error_body(&mut w);
        w.out.push_str("</Error></Errors>");
        w.text_element("RequestID", request_id);
        w.out.push_str("</Response>");
    } else {
        w.out.push_str(&format!(
            "<ErrorResponse xmlns=\"{}\"><Error>",
            escape(&query_namespace(model))
        ));
        w.text_element("Type", if receiver { "Receiver" } else { "Sender" });
        error_body(&mut w);
        w.out.push_str("</Error>");
        w.text_element("RequestId", request_id);
        w.out.push_str("</ErrorResponse>");
    }
    HttpResponse::new(status, "text/xml", w.out).header("x-amzn-RequestId", request_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Service;
    use serde_json::json;

    fn form(body: &str) -> HttpRequest {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "content-type",
            http::HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        HttpRequest {
            method: http::Method::POST,
            path: "/".into(),
            query: String::new(),
            headers,
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    fn parse(service: Service, op: &str, body: &str) -> AwsResult<Value> {
        let model = service.model();
        let operation = model.operation(op).expect("operation in model");
        parse_input(&model, operation, &form(body), service == Service::Ec2)
    }

    fn body_text(resp: &HttpResponse) -> &str {
        std::str::from_utf8(&resp.body).expect("utf-8 body")
    }

    fn header<'r>(resp: &'r HttpResponse, name: &str) -> Option<&'r str> {
        resp.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn parses_elbv2_nested_lists_of_structures() {
        let body = "Action=CreateListener&Version=2015-12-01&LoadBalancerArn=arn%3Alb&Port=80&Protocol=HTTP\
            &DefaultActions.member.1.Type=forward\
            &DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn=arn%3Agreen\
            &DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight=0\
            &DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=arn%3Ablue\
            &DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=100\
            &DefaultActions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled=false\
            &Unknown.Param=ignored";
        let v = parse(Service::Elbv2, "CreateListener", body).expect("parses");
        assert_eq!(
            v,
            json!({
                "DefaultActions": [{
                    "ForwardConfig": {
                        "TargetGroupStickinessConfig": {"Enabled": false},
                        "TargetGroups": [
                            {"TargetGroupArn": "arn:blue", "Weight": 100},
                            {"TargetGroupArn": "arn:green", "Weight": 0}
                        ]
                    },
                    "Type": "forward"
                }],
                "LoadBalancerArn": "arn:lb",
                "Port": 80,
                "Protocol": "HTTP"
            })
        );
    }

    #[test]
    fn list_indices_sort_numerically_and_empty_lists_are_empty() {
        let mut body = String::from("Action=CreateRole&RoleName=r&AssumeRolePolicyDocument=%7B%7D");
        for i in 1..=11 {
            body.push_str(&format!("&Tags.member.{i}.Key=k{i}&Tags.member.{i}.Value=v{i}"));
        }
        let v = parse(Service::Iam, "CreateRole", &body).expect("parses");
        let keys: Vec<&str> = v["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["Key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11"]
        );
        assert_eq!(v["AssumeRolePolicyDocument"], "{}");

        let v = parse(Service::Iam, "CreateRole", "Action=CreateRole&RoleName=r&Tags=").expect("parses");
        assert_eq!(v, json!({"RoleName": "r", "Tags": []}));

        // A parameter name nested absurdly deep is ignored, not followed.
        let deep = format!("RoleName=r&{}=x", vec!["Tags"; 100_000].join("."));
        let v = parse(Service::Iam, "CreateRole", &deep).expect("parses");
        assert_eq!(v, json!({"RoleName": "r"}));
    }

    #[test]
    fn list_indexes_other_than_1_to_n_are_refused() {
        let base = "Action=UntagRole&RoleName=r";
        for (bad, index) in [
            ("&TagKeys.member.2=b", "2"),
            ("&TagKeys.member.0=a", "0"),
            ("&TagKeys.member.1=a&TagKeys.member.3=c", "3"),
            ("&TagKeys.member.01=a", "01"),
        ] {
            let e = parse(Service::Iam, "UntagRole", &format!("{base}{bad}")).expect_err(bad);
            assert_eq!((e.code.as_str(), e.status), ("MalformedInput", Some(400)), "{bad}");
            assert!(e.message.contains(index), "{bad}: {}", e.message);
        }
        let e = parse(Service::Ec2, "DescribeVpcs", "VpcId.2=vpc-2").expect_err("gap");
        assert_eq!(e.code, "InvalidParameterValue");
        assert!(e.message.contains("VpcId.2"), "{}", e.message);
        let e = parse(Service::Ec2, "DescribeVpcs", "Filter.0.Name=a").expect_err("zero");
        assert_eq!(e.code, "InvalidParameterValue");
        let v = parse(
            Service::Iam,
            "UntagRole",
            &format!("{base}&TagKeys.member.2=b&TagKeys.member.1=a"),
        )
        .expect("1..N");
        assert_eq!(v["TagKeys"], json!(["a", "b"]));
    }

    #[test]
    fn parses_ec2_filters_and_id_lists() {
        let body =
            "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName&Filter.1.Value.1=a&Filter.1.Value.2=b\
            &Filter.2.Name=is-default&Filter.2.Value.1=false&VpcId.1=vpc-1&VpcId.2=vpc-2&DryRun=false&MaxResults=10";
        let v = parse(Service::Ec2, "DescribeVpcs", body).expect("parses");
        assert_eq!(
            v,
            json!({
                "DryRun": false,
                "Filters": [
                    {"Name": "tag:Name", "Values": ["a", "b"]},
                    {"Name": "is-default", "Values": ["false"]}
                ],
                "MaxResults": 10,
                "VpcIds": ["vpc-1", "vpc-2"]
            })
        );
    }

    #[test]
    fn parses_timestamps_and_maps_and_get_requests() {
        // CloudWatch over awsQuery: timestamps in ISO 8601, a list of structures.
        let body = "Action=GetMetricStatistics&Namespace=AWS%2FECS&MetricName=CPUUtilization\
            &StartTime=2015-01-25T08%3A00%3A00Z&EndTime=2015-01-25T09%3A00%3A00.500Z&Period=60\
            &Statistics.member.1=Average&Dimensions.member.1.Name=ServiceName&Dimensions.member.1.Value=web";
        let v = parse(Service::CloudWatch, "GetMetricStatistics", body).expect("parses");
        assert_eq!(v["StartTime"].as_f64(), Some(1_422_172_800.0));
        assert_eq!(v["EndTime"].as_f64(), Some(1_422_176_400.5));
        assert_eq!(v["Statistics"], json!(["Average"]));
        assert_eq!(v["Dimensions"], json!([{"Name": "ServiceName", "Value": "web"}]));

        // The served query models take no maps on input that matter here: a small model does,
        // with default and renamed key/value names, sent as a GET with the URL query.
        let model = Model::from_json(&json!({
            "metadata": {"protocol": "query", "apiVersion": "2020-01-01"},
            "operations": {"Op": {"name": "Op", "input": {"shape": "In"}}},
            "shapes": {
                "In": {"type": "structure", "members": {
                    "Attrs": {"shape": "M"},
                    "Named": {"shape": "N", "locationName": "Renamed"}
                }},
                "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "I"}},
                "N": {"type": "map", "key": {"shape": "S", "locationName": "K"}, "value": {"shape": "S", "locationName": "V"}},
                "S": {"type": "string"},
                "I": {"type": "integer"}
            }
        }))
        .expect("model");
        let op = model.operation("Op").expect("op");
        let mut req = form("");
        req.method = http::Method::GET;
        req.query = "Action=Op&Attrs.entry.2.key=b&Attrs.entry.2.value=2&Attrs.entry.1.key=a&Attrs.entry.1.value=1\
            &Renamed.entry.1.K=x&Renamed.entry.1.V=y"
            .into();
        assert_eq!(operation_name(&req).as_deref(), Some("Op"));
        let v = parse_input(&model, op, &req, false).expect("parses");
        assert_eq!(v, json!({"Attrs": {"a": 1, "b": 2}, "Named": {"x": "y"}}));
    }

    #[test]
    fn malformed_scalars_are_the_protocols_validation_error() {
        let err = parse(Service::Iam, "ListRoles", "Action=ListRoles&MaxItems=ten").expect_err("rejects");
        assert_eq!(err.code, "ValidationError");
        assert_eq!(err.status, Some(400));
        assert!(
            err.message.contains("MaxItems") && err.message.contains("ten"),
            "{}",
            err.message
        );

        let err = parse(
            Service::Elbv2,
            "CreateListener",
            "DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=x",
        )
        .expect_err("rejects");
        assert_eq!(err.code, "ValidationError");
        assert!(
            err.message
                .contains("DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight"),
            "{}",
            err.message
        );

        let err = parse(Service::Ec2, "DescribeVpcs", "DryRun=maybe").expect_err("rejects");
        assert_eq!(err.code, "InvalidParameterValue");
        assert!(
            err.message.contains("DryRun") && err.message.contains("maybe"),
            "{}",
            err.message
        );

        let err = parse(Service::CloudWatch, "GetMetricStatistics", "StartTime=yesterday").expect_err("rejects");
        assert_eq!(err.code, "ValidationError");
        assert!(err.message.contains("StartTime"), "{}", err.message);
    }

    #[test]
    fn iam_output_golden() {
        let model = Service::Iam.model();
        let op = model.operation("GetRole").expect("op");
        let out = json!({"Role": {
            "Path": "/",
            "RoleName": "app",
            "RoleId": "AROAEXAMPLE",
            "Arn": "arn:aws:iam::123456789012:role/app",
            "CreateDate": 1_422_172_800.0,
            "AssumeRolePolicyDocument": "{\"a\":\"<b>&'c'\"}",
            "MaxSessionDuration": 3600,
            "Tags": [{"Key": "team", "Value": "blue"}],
            "NotInTheModel": "dropped"
        }});
        let resp = write_output(&model, op, &out, "req-1", false);
        assert_eq!(resp.status, 200);
        assert_eq!(header(&resp, "content-type"), Some("text/xml"));
        assert_eq!(header(&resp, "x-amzn-RequestId"), Some("req-1"));
        assert_eq!(
            body_text(&resp),
            "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role>\
             <Arn>arn:aws:iam::123456789012:role/app</Arn>\
             <AssumeRolePolicyDocument>{&quot;a&quot;:&quot;&lt;b&gt;&amp;&apos;c&apos;&quot;}</AssumeRolePolicyDocument>\
             <CreateDate>2015-01-25T08:00:00.000Z</CreateDate><MaxSessionDuration>3600</MaxSessionDuration>\
             <Path>/</Path><RoleId>AROAEXAMPLE</RoleId><RoleName>app</RoleName>\
             <Tags><member><Key>team</Key><Value>blue</Value></member></Tags>\
             </Role></GetRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetRoleResponse>"
        );

        // An operation without output still answers with the response element and request id.
        let op = model.operation("DeleteRole").expect("op");
        let resp = write_output(&model, op, &json!({}), "req-2", false);
        assert_eq!(
            body_text(&resp),
            "<DeleteRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
             <ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></DeleteRoleResponse>"
        );
    }

    #[test]
    fn elbv2_output_golden() {
        let model = Service::Elbv2.model();
        let op = model.operation("DescribeTargetHealth").expect("op");
        let out = json!({"TargetHealthDescriptions": [
            {"Target": {"Id": "10.0.0.1", "Port": 80}, "HealthCheckPort": "80", "TargetHealth": {"State": "healthy"}},
            {"Target": {"Id": "10.0.0.2", "Port": 80}, "TargetHealth": {"State": "draining", "Reason": "Target.DeregistrationInProgress"}}
        ]});
        let resp = write_output(&model, op, &out, "rid", false);
        assert_eq!(
            body_text(&resp),
            "<DescribeTargetHealthResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/\">\
             <DescribeTargetHealthResult><TargetHealthDescriptions>\
             <member><HealthCheckPort>80</HealthCheckPort><Target><Id>10.0.0.1</Id><Port>80</Port></Target>\
             <TargetHealth><State>healthy</State></TargetHealth></member>\
             <member><Target><Id>10.0.0.2</Id><Port>80</Port></Target>\
             <TargetHealth><Reason>Target.DeregistrationInProgress</Reason><State>draining</State></TargetHealth></member>\
             </TargetHealthDescriptions></DescribeTargetHealthResult>\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DescribeTargetHealthResponse>"
        );
    }

    #[test]
    fn ec2_output_golden() {
        let model = Service::Ec2.model();
        let op = model.operation("DescribeVpcs").expect("op");
        let out = json!({"Vpcs": [{
            "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "IsDefault": true, "State": "available",
            "Tags": [{"Key": "Name", "Value": "main"}]
        }]});
        let resp = write_output(&model, op, &out, "rid", true);
        assert_eq!(header(&resp, "content-type"), Some("text/xml"));
        assert_eq!(
            body_text(&resp),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>rid</requestId>\
             <vpcSet><item><cidrBlock>10.0.0.0/16</cidrBlock><isDefault>true</isDefault><state>available</state>\
             <tagSet><item><key>Name</key><value>main</value></item></tagSet><vpcId>vpc-1</vpcId></item></vpcSet>\
             </DescribeVpcsResponse>"
        );
    }

    #[test]
    fn query_errors_use_the_models_code_and_status() {
        let model = Service::Iam.model();
        let err = AwsError::new("NoSuchEntityException", "The role with name x<y> cannot be found.");
        let resp = write_error(&model, &err, "rid", false);
        assert_eq!(resp.status, 404);
        assert_eq!(header(&resp, "content-type"), Some("text/xml"));
        assert_eq!(header(&resp, "x-amzn-RequestId"), Some("rid"));
        assert_eq!(
            body_text(&resp),
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>NoSuchEntity</Code><Message>The role with name x&lt;y&gt; cannot be found.</Message></Error>\
             <RequestId>rid</RequestId></ErrorResponse>"
        );

        // The awsQuery code given directly finds the same shape.
        let resp = write_error(&model, &AwsError::new("NoSuchEntity", "m"), "rid", false);
        assert_eq!(resp.status, 404);
        assert!(body_text(&resp).contains("<Code>NoSuchEntity</Code>"));

        let model = Service::Elbv2.model();
        let resp = write_error(
            &model,
            &AwsError::new("TargetGroupNotFoundException", "One or more target groups not found"),
            "r",
            false,
        );
        assert_eq!(resp.status, 400);
        assert!(
            body_text(&resp).contains("<Code>TargetGroupNotFound</Code>"),
            "{}",
            body_text(&resp)
        );

        // A code the model does not know stays as given; a server fault is the Receiver's.
        let resp = write_error(&model, &AwsError::internal("boom"), "r", false);
        assert_eq!(resp.status, 500);
        assert!(
            body_text(&resp).contains("<Type>Receiver</Type><Code>InternalFailure</Code>"),
            "{}",
            body_text(&resp)
        );
    }

    #[test]
    fn ec2_errors_golden() {
        let model = Service::Ec2.model();
        let err = AwsError::new("InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist");
        let resp = write_error(&model, &err, "rid", true);
        assert_eq!(resp.status, 400);
        assert_eq!(
            body_text(&resp),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code>\
             <Message>The vpc ID &apos;vpc-1&apos; does not exist</Message></Error></Errors>\
             <RequestID>rid</RequestID></Response>"
        );
    }

    #[test]
    fn served_query_models_have_no_flattened_collections() {
        // Flattened lists with a renamed member are where botocore and the Smithy SDKs read XML
        // differently (see `Writer::member_element`); none of the served models has one.
        for service in [
            Service::Iam,
            Service::Sts,
            Service::Elbv2,
            Service::CloudWatch,
            Service::Ec2,
        ] {
            let model = service.model();
            for shape in &model.shapes {
                match &shape.kind {
                    Kind::List { flattened, .. } | Kind::Map { flattened, .. } => {
                        assert!(!flattened, "{} {}", service.name(), shape.name)
                    }
                    Kind::Structure { members, .. } => {
                        assert!(
                            members.iter().all(|m| !m.flattened),
                            "{} {}",
                            service.name(),
                            shape.name
                        )
                    }
                    _ => {}
                }
            }
        }
    }
}
