//! botocore's protocol test vectors for awsJson 1.0/1.1 (plain and query-compatible) and
//! restJson1, run in the server direction: each `input` case's serialized request is parsed by
//! cutover's codec and compared with the case's params; each `output` case's result (or error)
//! is written by cutover's codec and the response is compared with the vector's response.

mod support;

use base64::Engine;
use bytes::Bytes;
use cutover::model::{Kind, Location, Model, ShapeId};
use cutover::protocol::{timestamp, AwsError, HttpRequest, HttpResponse, Wire};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{json, Map, Value};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Cases that test client behaviour a server does not have, with the reason.
const SKIP: &[(&str, &str)] = &[
    // The client fills in an idempotency token the caller left out; the server just reads it.
    (
        "RestJsonQueryIdempotencyTokenAutoFill",
        "client-side idempotency token autofill (params lack the token the request carries)",
    ),
    // Endpoint host prefixes are resolved by the client; cutover serves every host the same.
    (
        "AwsJson11EndpointTraitWithHostLabel",
        "host-label endpoint prefix is a client concern",
    ),
    (
        "AwsJson10EndpointTraitWithHostLabel",
        "host-label endpoint prefix is a client concern",
    ),
    (
        "RestJsonEndpointTraitWithHostLabel",
        "host-label endpoint prefix is a client concern",
    ),
    // Request compression is applied by the client; cutover accepts uncompressed bodies only and
    // the vectors carry the uncompressed text, so the case says nothing about a server.
    (
        "SDKAppliedContentEncoding_awsJson1_1",
        "client-side request compression",
    ),
    (
        "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_1",
        "client-side request compression",
    ),
    (
        "SDKAppliedContentEncoding_awsJson1_0",
        "client-side request compression",
    ),
    (
        "SDKAppendsGzipAndIgnoresHttpProvidedEncoding_awsJson1_0",
        "client-side request compression",
    ),
    (
        "SDKAppliedContentEncoding_restJson1",
        "client-side request compression",
    ),
    (
        "SDKAppendedGzipAfterProvidedEncoding_restJson1",
        "client-side request compression",
    ),
    // The vector carries no X-Amz-Target (only a host prefix), or a client-side endpoint path.
    (
        "AwsJson10EndpointTrait",
        "host prefix is a client concern; the vector's request has no X-Amz-Target",
    ),
    (
        "AwsJson10HostWithPath",
        "the /custom/ path comes from the client's endpoint configuration",
    ),
    (
        "RestJsonHostWithPath",
        "the /custom/ path prefix comes from the client's endpoint configuration",
    ),
    (
        "RestJsonNullAndEmptyHeaders",
        "botocore ignore list: botocore sends empty list headers the vector omits",
    ),
    // Pairs of output vectors that accept either of two server answers; cutover answers `{}`
    // with application/json for a non-204 response without a payload (the other half passes).
    (
        "RestJsonEmptyInputAndEmptyOutputJsonObjectOutput",
        "alternative answer (empty body) to RestJsonEmptyInputAndEmptyOutput",
    ),
    (
        "RestJsonHttpResponseCodeWithNoPayload",
        "alternative answer (empty body) to RestJsonHttpResponseCode",
    ),
    (
        "RestJsonIgnoreQueryParamsInResponseNoPayload",
        "alternative answer (empty body) to RestJsonIgnoreQueryParamsInResponse",
    ),
    (
        "RestJsonNoInputAndOutputNoPayload",
        "alternative answer (empty body) to RestJsonNoInputAndOutputWithJson",
    ),
    (
        "RestJsonQueryParamsStringListMap",
        "client-side params: a server puts every query parameter in an httpQueryParams map, `corge` too (as RestJsonAllQueryStringTypes expects)",
    ),
    // botocore's own ignore list: its serializer does not produce what the vector says, so the
    // serialized side of the vector is not what botocore (the client we serve) sends.
    (
        "MediaTypeHeaderInputBase64",
        "botocore sends jsonvalue headers as base64 of json.dumps(value); the vector's params are not a JSON value",
    ),
    (
        "RestJsonQueryPrecedence",
        "botocore ignore list: client merges query maps differently",
    ),
    ("RestJsonHttpPayloadWithUnsetUnion", "botocore ignore list"),
    // Output cases that test how leniently a client parses odd server responses.
    (
        "AwsJson11FooErrorUsingXAmznErrorType",
        "client leniency: error code only in a header cutover never omits from the body",
    ),
    (
        "AwsJson11FooErrorUsingXAmznErrorTypeWithUri",
        "client leniency: URI-decorated error type",
    ),
    (
        "AwsJson11FooErrorUsingXAmznErrorTypeWithUriAndNamespace",
        "client leniency: URI-decorated error type",
    ),
    (
        "AwsJson11FooErrorUsingCode",
        "client leniency: error code in a `code` member",
    ),
    (
        "AwsJson11FooErrorUsingCodeAndNamespace",
        "client leniency: namespaced `code` member",
    ),
    (
        "AwsJson11FooErrorUsingCodeUriAndNamespace",
        "client leniency: namespaced `code` member",
    ),
    (
        "AwsJson10FooErrorUsingXAmznErrorType",
        "client leniency: error code only in a header cutover never omits from the body",
    ),
    (
        "AwsJson10FooErrorUsingXAmznErrorTypeWithUri",
        "client leniency: URI-decorated error type",
    ),
    (
        "AwsJson10FooErrorUsingXAmznErrorTypeWithUriAndNamespace",
        "client leniency: URI-decorated error type",
    ),
    (
        "AwsJson10FooErrorUsingCode",
        "client leniency: error code in a `code` member",
    ),
    (
        "AwsJson10FooErrorUsingCodeAndNamespace",
        "client leniency: namespaced `code` member",
    ),
    (
        "AwsJson10FooErrorUsingCodeUriAndNamespace",
        "client leniency: namespaced `code` member",
    ),
    (
        "RestJsonFooErrorUsingXAmznErrorType",
        "botocore ignore list (client leniency)",
    ),
    (
        "RestJsonFooErrorUsingXAmznErrorTypeWithUri",
        "botocore ignore list (client leniency)",
    ),
    (
        "RestJsonFooErrorUsingXAmznErrorTypeWithUriAndNamespace",
        "botocore ignore list (client leniency)",
    ),
    (
        "RestJsonHttpPayloadTraitsWithNoBlobBody",
        "botocore ignore list",
    ),
    (
        "RestJsonInputAndOutputWithTimestampHeaders",
        "botocore ignore list",
    ),
    (
        "RestJsonInputAndOutputWithQuotedStringHeaders",
        "botocore ignore list",
    ),
    (
        "RestJsonDeserializesDenseSetMapAndSkipsNull",
        "client leniency: nulls a server never sends",
    ),
    ("MediaTypeHeaderOutputBase64", "botocore ignore list"),
];

fn skipped(id: &str) -> bool {
    SKIP.iter().any(|(n, _)| *n == id)
}

fn model_for(group: &Value, case: &Value) -> Model {
    let name = case["given"]["name"].as_str().unwrap_or("OperationName");
    let mut ops = Map::new();
    ops.insert(name.to_owned(), case["given"].clone());
    let doc = json!({"metadata": group["metadata"], "shapes": group["shapes"], "operations": ops});
    Model::from_json(&doc).unwrap_or_else(|e| panic!("model for {}: {e}", case["id"]))
}

fn wire_for(model: &Model, file: &str) -> Wire {
    if file == "rest-json" {
        Wire::RestJson
    } else {
        let version = if model.metadata.json_version.as_deref() == Some("1.0") {
            "1.0"
        } else {
            "1.1"
        };
        Wire::Json {
            version,
            query_compatible: model.metadata.aws_query_compatible,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The vectors' values in the canonical form (timestamps epoch numbers, blobs base64)

/// Normalises a vector's params/result value: timestamps to epoch numbers, blobs (raw text in the
/// vectors) to base64, nulls dropped.
fn canonical_from_vector(model: &Model, id: ShapeId, v: &Value) -> Value {
    let shape = model.shape(id);
    if shape.document {
        return v.clone();
    }
    match (&shape.kind, v) {
        (Kind::Structure { members, .. }, Value::Object(o)) => Value::Object(
            members
                .iter()
                .filter_map(|m| {
                    let x = o.get(&m.name).filter(|x| !x.is_null())?;
                    Some((m.name.clone(), canonical_from_vector(model, m.shape, x)))
                })
                .collect(),
        ),
        (Kind::List { member, .. }, Value::Array(a)) => Value::Array(
            a.iter()
                .filter(|x| !x.is_null())
                .map(|x| canonical_from_vector(model, member.shape, x))
                .collect(),
        ),
        (Kind::Map { value, .. }, Value::Object(o)) => Value::Object(
            o.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), canonical_from_vector(model, value.shape, x)))
                .collect(),
        ),
        (Kind::Timestamp, Value::String(s)) => {
            json!(timestamp::parse(s).expect("vector timestamp"))
        }
        (Kind::Blob, Value::String(s)) => Value::String(B64.encode(s.as_bytes())),
        _ => v.clone(),
    }
}

/// Decodes a JSON wire value as a client would (independently of cutover's codec): wire names
/// to member names, timestamps in any format to epoch numbers, nulls dropped.
fn decode_wire(model: &Model, id: ShapeId, v: &Value) -> Value {
    let shape = model.shape(id);
    if shape.document {
        return v.clone();
    }
    match (&shape.kind, v) {
        (Kind::Structure { members, .. }, Value::Object(o)) => Value::Object(
            members
                .iter()
                .filter(|m| m.location == Location::Body)
                .filter_map(|m| {
                    let x = o.get(&m.location_name).filter(|x| !x.is_null())?;
                    Some((m.name.clone(), decode_wire(model, m.shape, x)))
                })
                .collect(),
        ),
        (Kind::List { member, .. }, Value::Array(a)) => Value::Array(
            a.iter()
                .filter(|x| !x.is_null())
                .map(|x| decode_wire(model, member.shape, x))
                .collect(),
        ),
        (Kind::Map { value, .. }, Value::Object(o)) => Value::Object(
            o.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), decode_wire(model, value.shape, x)))
                .collect(),
        ),
        (Kind::Timestamp, Value::String(s)) => json!(timestamp::parse(s).expect("wire timestamp")),
        _ => v.clone(),
    }
}

/// Equality with numbers compared by value (1 == 1.0) and blobs by decoded bytes.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= 1e-6 * x.abs().max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

// ---------------------------------------------------------------------------------------------
// Input: request -> canonical value

fn request_from(serialized: &Value) -> HttpRequest {
    let uri = serialized["uri"].as_str().unwrap_or("/");
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut headers = HeaderMap::new();
    if let Some(h) = serialized["headers"].as_object() {
        for (k, v) in h {
            headers.append(
                HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                HeaderValue::from_str(v.as_str().unwrap_or("")).expect("header value"),
            );
        }
    }
    HttpRequest {
        method: Method::from_bytes(serialized["method"].as_str().unwrap_or("POST").as_bytes()).expect("method"),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: Bytes::from(serialized["body"].as_str().unwrap_or("").to_owned()),
    }
}

/// Drops empty lists and maps bound to headers or the query string: on the wire they are no
/// different from absent members, so a server cannot tell them apart.
fn without_unsendable(model: &Model, id: ShapeId, mut v: Value) -> Value {
    if let (Kind::Structure { members, .. }, Value::Object(o)) = (&model.shape(id).kind, &mut v) {
        for m in members.iter().filter(|m| m.location != Location::Body) {
            let empty = match o.get(&m.name) {
                Some(Value::Array(a)) => a.is_empty(),
                Some(Value::Object(x)) => x.is_empty(),
                _ => false,
            };
            if empty {
                o.remove(&m.name);
            }
        }
    }
    v
}

fn run_input(file: &str) -> (usize, Vec<String>) {
    let groups = support::protocol_vectors("input", file);
    let mut passed = 0;
    let mut failures = Vec::new();
    for group in groups.as_array().expect("groups") {
        for case in group["cases"].as_array().expect("cases") {
            let id = case["id"].as_str().unwrap_or("?");
            if skipped(id) {
                continue;
            }
            let model = model_for(group, case);
            let wire = wire_for(&model, file);
            let req = request_from(&case["serialized"]);
            let name = case["given"]["name"].as_str().unwrap_or("");
            match wire.operation_name(&model, &req) {
                Some(n) if n == name => {}
                other => {
                    failures.push(format!("{file}/{id}: operation {other:?}, want {name}"));
                    continue;
                }
            }
            let op = model.operation(name).expect("operation");
            let want = match op.input {
                Some(id) => without_unsendable(&model, id, canonical_from_vector(&model, id, &case["params"])),
                None => json!({}),
            };
            match wire.parse_input(&model, op, &req) {
                Ok(got) if same(&got, &want) => passed += 1,
                Ok(got) => failures.push(format!("{file}/{id}: parsed {got}\n    want {want}")),
                Err(e) => failures.push(format!("{file}/{id}: error {e}")),
            }
        }
    }
    (passed, failures)
}

// ---------------------------------------------------------------------------------------------
// Output: canonical value -> response

fn header<'a>(resp: &'a HttpResponse, name: &str) -> Option<&'a str> {
    resp.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn body_json(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return json!({});
    }
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// Compares the response headers the vector names (but the framing ones) with ours.
fn check_headers(resp: &HttpResponse, vector: &Value, errs: &mut Vec<String>) {
    for (k, v) in vector["headers"].as_object().into_iter().flatten() {
        let want = v.as_str().unwrap_or("");
        // X-Amz-Target is a request header one vector lists in its response.
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("x-amz-target") {
            continue;
        }
        let got = header(resp, k);
        let ok = match got {
            Some(g) if k.eq_ignore_ascii_case("content-type") => g.split(';').next() == want.split(';').next(),
            Some(g) => g == want || timestamp::parse(g).is_some() && timestamp::parse(g) == timestamp::parse(want),
            None => false,
        };
        if !ok {
            errs.push(format!("header {k}: got {got:?}, want {want:?}"));
        }
    }
}

fn check_output(model: &Model, file: &str, case: &Value, resp: &HttpResponse) -> Vec<String> {
    let mut errs = Vec::new();
    let vector = &case["response"];
    let name = case["given"]["name"].as_str().unwrap_or("");
    let op = model.operation(name).expect("operation");
    let want_status = vector["status_code"].as_u64().unwrap_or(200) as u16;
    if resp.status != want_status {
        errs.push(format!("status {} want {want_status}", resp.status));
    }
    check_headers(resp, vector, &mut errs);
    let want_body = vector["body"].as_str().unwrap_or("");
    let Some(out) = op.output else {
        if !resp.body.is_empty() && body_json(&resp.body) != json!({}) {
            errs.push(format!(
                "body {:?} for an operation without output",
                String::from_utf8_lossy(&resp.body)
            ));
        }
        return errs;
    };
    let Kind::Structure { members, payload, .. } = &model.shape(out).kind else {
        unreachable!()
    };
    let payload = payload.as_ref().and_then(|p| members.iter().find(|m| &m.name == p));
    match payload.map(|m| (&model.shape(m.shape).kind, m)) {
        Some((Kind::Blob | Kind::String { .. }, _)) => {
            if resp.body != want_body.as_bytes() {
                errs.push(format!(
                    "body {:?} want {want_body:?}",
                    String::from_utf8_lossy(&resp.body)
                ));
            }
        }
        Some((_, m)) => {
            let got = body_json(&resp.body);
            let want = body_json(want_body.as_bytes());
            if !same(&decode_wire(model, m.shape, &got), &decode_wire(model, m.shape, &want)) {
                errs.push(format!("payload {got} want {want}"));
            }
        }
        None => {
            let got = body_json(&resp.body);
            let want = body_json(want_body.as_bytes());
            if file == "rest-json"
                && want_body.trim().is_empty()
                && !members.iter().any(|m| m.location == Location::Body)
            {
                if !resp.body.is_empty() {
                    errs.push(format!("body {got} where the vector has none"));
                }
            } else if !same(&decode_wire(model, out, &got), &decode_wire(model, out, &want)) {
                errs.push(format!("body {got} want {want}"));
            }
        }
    }
    errs
}

/// The error code and message botocore reads from a JSON / restJson error response.
fn botocore_error(file: &str, resp: &HttpResponse) -> (String, String) {
    let body = body_json(&resp.body);
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let clean = |c: &str| {
        c.split(':')
            .next()
            .unwrap_or("")
            .rsplit('#')
            .next()
            .unwrap_or("")
            .to_owned()
    };
    let mut code = clean(body.get("__type").and_then(Value::as_str).unwrap_or(""));
    if file == "rest-json" {
        if let Some(h) = header(resp, "x-amzn-errortype") {
            code = clean(h);
        }
    } else if let Some(q) = header(resp, "x-amzn-query-error") {
        if let Some((c, _)) = q.split_once(';').filter(|(c, _)| !c.is_empty()) {
            code = c.to_owned();
        }
    }
    (code, message)
}

fn check_error(model: &Model, file: &str, case: &Value, resp: &HttpResponse) -> Vec<String> {
    let mut errs = Vec::new();
    let vector = &case["response"];
    let shape_name = case["given"]["errors"][0]["shape"].as_str().unwrap_or("");
    let shape = model.shape(model.shape_named(shape_name).expect("error shape"));
    // The vector's status, unless the model gives the error another one (the query-compatible
    // custom-code vector answers 400 for a shape modelled as 402: a server follows its model).
    let want_status = shape
        .error
        .as_ref()
        .map(|e| e.status)
        .unwrap_or(vector["status_code"].as_u64().unwrap_or(400) as u16);
    if resp.status != want_status {
        errs.push(format!("status {} want {want_status}", resp.status));
    }
    for (k, v) in vector["headers"].as_object().into_iter().flatten() {
        if k.eq_ignore_ascii_case("x-amzn-query-error") && header(resp, k) != v.as_str() {
            errs.push(format!("header {k}: got {:?}, want {v}", header(resp, k)));
        }
        if k.eq_ignore_ascii_case("content-type") && header(resp, k) != v.as_str() {
            errs.push(format!("header {k}: got {:?}, want {v}", header(resp, k)));
        }
    }
    let (code, message) = botocore_error(file, resp);
    let want_code = case["errorCode"].as_str().unwrap_or("");
    let want_message = case["errorMessage"].as_str().unwrap_or("");
    if code != want_code {
        errs.push(format!("code {code:?} want {want_code:?}"));
    }
    if message != want_message {
        errs.push(format!("message {message:?} want {want_message:?}"));
    }
    let id = model.shape_named(shape_name).expect("error shape");
    let mut got = decode_wire(model, id, &body_json(&resp.body));
    if let (Kind::Structure { members, .. }, Value::Object(o)) = (&shape.kind, &mut got) {
        for m in members.iter().filter(|m| m.location == Location::Header) {
            if let Some(h) = header(resp, &m.location_name) {
                o.insert(m.name.clone(), Value::String(h.to_owned()));
            }
        }
    }
    let want = canonical_from_vector(model, id, &case["error"]);
    if !same(&got, &want) {
        errs.push(format!("error members {got} want {want}"));
    }
    errs
}

fn run_output(file: &str) -> (usize, Vec<String>) {
    let groups = support::protocol_vectors("output", file);
    let mut passed = 0;
    let mut failures = Vec::new();
    for group in groups.as_array().expect("groups") {
        for case in group["cases"].as_array().expect("cases") {
            let id = case["id"].as_str().unwrap_or("?");
            if skipped(id) {
                continue;
            }
            let model = model_for(group, case);
            let wire = wire_for(&model, file);
            let name = case["given"]["name"].as_str().unwrap_or("");
            let op = model.operation(name).expect("operation");
            let errs = if case.get("error").is_some() {
                let shape_name = case["given"]["errors"][0]["shape"].as_str().unwrap_or("");
                let sid = model.shape_named(shape_name).expect("error shape");
                let mut extra = canonical_from_vector(&model, sid, &case["error"])
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                extra.retain(|k, _| !k.eq_ignore_ascii_case("message"));
                let err = AwsError {
                    code: shape_name.to_owned(),
                    message: case["errorMessage"].as_str().unwrap_or("").to_owned(),
                    status: None,
                    sender_fault: true,
                    extra,
                };
                let resp = wire.write_error(&model, &err, "req-1");
                check_error(&model, file, case, &resp)
            } else {
                let result = match op.output {
                    Some(o) => canonical_from_vector(&model, o, &case["result"]),
                    None => json!({}),
                };
                let rid = case["response"]["headers"]
                    .as_object()
                    .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-requestid")))
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or("req-1");
                let resp = wire.write_output(&model, op, &result, rid);
                check_output(&model, file, case, &resp)
            };
            if errs.is_empty() {
                passed += 1;
            } else {
                failures.push(format!("{file}/{id}: {}", errs.join("; ")));
            }
        }
    }
    (passed, failures)
}

fn assert_all(kind: &str, file: &str, (passed, failures): (usize, Vec<String>)) {
    eprintln!("{kind}/{file}: {passed} passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{kind}/{file}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed > 0, "{kind}/{file}: no case ran");
}

#[test]
fn json_1_1_input() {
    assert_all("input", "json", run_input("json"));
}

#[test]
fn json_1_0_input() {
    assert_all("input", "json_1_0", run_input("json_1_0"));
}

#[test]
fn json_1_0_query_compatible_input() {
    assert_all(
        "input",
        "json_1_0-query-compatible",
        run_input("json_1_0-query-compatible"),
    );
}

#[test]
fn rest_json_input() {
    assert_all("input", "rest-json", run_input("rest-json"));
}

#[test]
fn json_1_1_output() {
    assert_all("output", "json", run_output("json"));
}

#[test]
fn json_1_0_output() {
    assert_all("output", "json_1_0", run_output("json_1_0"));
}

#[test]
fn json_1_0_query_compatible_output() {
    assert_all(
        "output",
        "json_1_0-query-compatible",
        run_output("json_1_0-query-compatible"),
    );
}

#[test]
fn rest_json_output() {
    assert_all("output", "rest-json", run_output("rest-json"));
}

#[test]
fn skip_list_names_real_cases() {
    let mut ids = Vec::new();
    for kind in ["input", "output"] {
        for file in ["json", "json_1_0", "json_1_0-query-compatible", "rest-json"] {
            for g in support::protocol_vectors(kind, file).as_array().expect("groups") {
                for c in g["cases"].as_array().expect("cases") {
                    ids.push(c["id"].as_str().unwrap_or("").to_owned());
                }
            }
        }
    }
    for (name, _) in SKIP {
        assert!(ids.iter().any(|i| i == name), "skip list names unknown case {name}");
    }
}
