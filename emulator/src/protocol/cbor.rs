//! Smithy RPC v2 CBOR (`POST /service/<Service>/operation/<Op>`, `smithy-protocol: rpc-v2-cbor`),
//! which CloudWatch's model lists first and some SDKs speak.
//!
//! A small CBOR (RFC 8949) reader and writer live here. Requests are read into a JSON value
//! (byte strings as base64, tag-1 epoch times as numbers, non-finite floats as the `"NaN"` /
//! `"Infinity"` / `"-Infinity"` strings) and then walked against the model by the awsJson codec's
//! walker, since the two protocols agree on everything else. Responses are written from the
//! canonical value by a model-driven walker: blobs as byte strings, timestamps as tag 1 around
//! epoch seconds. Errors carry `__type` and `message`; query-compatible services also get
//! `x-amzn-query-error`, as in awsJson.

use super::{json, AwsError, AwsResult, HttpRequest, HttpResponse};
use crate::model::{Kind, Model, Operation, ShapeId};
use base64::Engine;
use serde_json::{Map, Number, Value};

/// A decoded CBOR data item.
#[derive(Debug, Clone, PartialEq)]
pub enum Cbor {
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Tag(u64, Box<Cbor>),
    Bool(bool),
    Null,
    Undefined,
    Float(f64),
}

// ---------------------------------------------------------------------------------------------
// Reader

const MAX_DEPTH: usize = 128;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.buf.get(self.pos).ok_or("unexpected end of CBOR input")?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], String> {
        let n = usize::try_from(n).map_err(|_| "CBOR length too large")?;
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or("unexpected end of CBOR input")?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// The argument of a head with additional info `info`; `None` for indefinite length.
    fn arg(&mut self, info: u8) -> Result<Option<u64>, String> {
        let be = |s: &[u8]| s.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
        Ok(Some(match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => be(self.take(2)?),
            26 => be(self.take(4)?),
            27 => be(self.take(8)?),
            31 => return Ok(None),
            _ => return Err(format!("invalid CBOR additional information {info}")),
        }))
    }

    fn is_break(&self) -> bool {
        self.buf.get(self.pos) == Some(&0xff)
    }

    fn item(&mut self, depth: usize) -> Result<Cbor, String> {
        if depth > MAX_DEPTH {
            return Err("CBOR nesting too deep".into());
        }
        let head = self.byte()?;
        let (major, info) = (head >> 5, head & 0x1f);
        if major == 7 {
            return match info {
                20 => Ok(Cbor::Bool(false)),
                21 => Ok(Cbor::Bool(true)),
                22 => Ok(Cbor::Null),
                23 => Ok(Cbor::Undefined),
                25 => {
                    let b = self.take(2)?;
                    Ok(Cbor::Float(half_to_f64(u16::from_be_bytes([b[0], b[1]]))))
                }
                26 => {
                    let b = self.take(4)?;
                    Ok(Cbor::Float(f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]]))))
                }
                27 => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    Ok(Cbor::Float(f64::from_be_bytes(a)))
                }
                _ => Err(format!("unsupported CBOR simple value {info}")),
            };
        }
        let arg = self.arg(info)?;
        match (major, arg) {
            (0, Some(n)) => Ok(Cbor::Int(i128::from(n))),
            (1, Some(n)) => Ok(Cbor::Int(-1 - i128::from(n))),
            (2 | 3, Some(n)) => {
                let bytes = self.take(n)?.to_vec();
                if major == 2 {
                    Ok(Cbor::Bytes(bytes))
                } else {
                    String::from_utf8(bytes)
                        .map(Cbor::Text)
                        .map_err(|_| "invalid UTF-8 in a CBOR text string".into())
                }
            }
            (2 | 3, None) => {
                let mut bytes = Vec::new();
                while !self.is_break() {
                    let h = self.byte()?;
                    if h >> 5 != major {
                        return Err("mixed chunk types in an indefinite-length CBOR string".into());
                    }
                    let n = self.arg(h & 0x1f)?.ok_or("nested indefinite-length CBOR string")?;
                    bytes.extend_from_slice(self.take(n)?);
                }
                self.pos += 1;
                if major == 2 {
                    Ok(Cbor::Bytes(bytes))
                } else {
                    String::from_utf8(bytes)
                        .map(Cbor::Text)
                        .map_err(|_| "invalid UTF-8 in a CBOR text string".into())
                }
            }
            (4, len) => {
                let mut items = Vec::new();
                match len {
                    Some(n) => {
                        for _ in 0..n {
                            items.push(self.item(depth + 1)?);
                        }
                    }
                    None => {
                        while !self.is_break() {
                            items.push(self.item(depth + 1)?);
                        }
                        self.pos += 1;
                    }
                }
                Ok(Cbor::Array(items))
            }
            (5, len) => {
                let mut entries = Vec::new();
                match len {
                    Some(n) => {
                        for _ in 0..n {
                            let k = self.item(depth + 1)?;
                            entries.push((k, self.item(depth + 1)?));
                        }
                    }
                    None => {
                        while !self.is_break() {
                            let k = self.item(depth + 1)?;
                            entries.push((k, self.item(depth + 1)?));
                        }
                        self.pos += 1;
                    }
                }
                Ok(Cbor::Map(entries))
            }
            (6, Some(tag)) => Ok(Cbor::Tag(tag, Box::new(self.item(depth + 1)?))),
            _ => Err(format!("invalid CBOR item head 0x{head:02x}")),
        }
    }
}

fn half_to_f64(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 {
        -v
    } else {
        v
    }
}

/// Decodes one CBOR data item that must fill `buf`.
pub fn decode(buf: &[u8]) -> Result<Cbor, String> {
    let mut r = Reader { buf, pos: 0 };
    let item = r.item(0)?;
    if r.pos != buf.len() {
        return Err("trailing bytes after the CBOR item".into());
    }
    Ok(item)
}

// ---------------------------------------------------------------------------------------------
// Writer

fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    if n < 24 {
        out.push(m | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[m | 24, n as u8]);
    } else if n <= 0xffff {
        out.push(m | 25);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(m | 26);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(m | 27);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Encodes an item with definite lengths and the shortest integer heads.
pub fn encode(item: &Cbor, out: &mut Vec<u8>) {
    match item {
        Cbor::Int(i) if *i >= 0 => head(out, 0, u64::try_from(*i).unwrap_or(u64::MAX)),
        Cbor::Int(i) => head(out, 1, u64::try_from(-1 - *i).unwrap_or(u64::MAX)),
        Cbor::Bytes(b) => {
            head(out, 2, b.len() as u64);
            out.extend_from_slice(b);
        }
        Cbor::Text(s) => {
            head(out, 3, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Cbor::Array(a) => {
            head(out, 4, a.len() as u64);
            for x in a {
                encode(x, out);
            }
        }
        Cbor::Map(m) => {
            head(out, 5, m.len() as u64);
            for (k, v) in m {
                encode(k, out);
                encode(v, out);
            }
        }
        Cbor::Tag(t, x) => {
            head(out, 6, *t);
            encode(x, out);
        }
        Cbor::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Cbor::Null => out.push(0xf6),
        Cbor::Undefined => out.push(0xf7),
        Cbor::Float(f) => {
            out.push(0xfb);
            out.extend_from_slice(&f.to_be_bytes());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CBOR -> JSON-like value (for the awsJson walker)

fn float_value(f: f64) -> Value {
    if f.is_nan() {
        Value::String("NaN".into())
    } else if f.is_infinite() {
        Value::String(if f > 0.0 { "Infinity" } else { "-Infinity" }.into())
    } else {
        Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
    }
}

fn to_json(item: &Cbor) -> Result<Value, String> {
    Ok(match item {
        Cbor::Int(i) => match i64::try_from(*i) {
            Ok(i) => Value::from(i),
            Err(_) => return Err(format!("integer {i} out of range")),
        },
        Cbor::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Cbor::Text(s) => Value::String(s.clone()),
        Cbor::Array(a) => Value::Array(a.iter().map(to_json).collect::<Result<_, _>>()?),
        Cbor::Map(m) => {
            let mut o = Map::new();
            for (k, v) in m {
                let Cbor::Text(k) = k else {
                    return Err("CBOR map keys must be text strings".into());
                };
                o.insert(k.clone(), to_json(v)?);
            }
            Value::Object(o)
        }
        // Tag 1 (epoch time) and any other tag: the content.
        Cbor::Tag(_, x) => to_json(x)?,
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Null | Cbor::Undefined => Value::Null,
        Cbor::Float(f) => float_value(*f),
    })
}

// ---------------------------------------------------------------------------------------------
// Canonical value -> CBOR, driven by the model

fn canonical_to_cbor(model: &Model, id: ShapeId, v: &Value) -> Cbor {
    let shape = model.shape(id);
    match (&shape.kind, v) {
        (Kind::Structure { members, .. }, Value::Object(o)) => Cbor::Map(
            members
                .iter()
                .filter_map(|m| {
                    let x = o.get(&m.name).filter(|x| !x.is_null())?;
                    Some((Cbor::Text(m.name.clone()), canonical_to_cbor(model, m.shape, x)))
                })
                .collect(),
        ),
        (Kind::List { member, .. }, Value::Array(a)) => {
            Cbor::Array(a.iter().map(|x| canonical_to_cbor(model, member.shape, x)).collect())
        }
        (Kind::Map { value, .. }, Value::Object(o)) => Cbor::Map(
            o.iter()
                .map(|(k, x)| (Cbor::Text(k.clone()), canonical_to_cbor(model, value.shape, x)))
                .collect(),
        ),
        (Kind::Timestamp, Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(0.0);
            let inner = if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Cbor::Int(f as i128)
            } else {
                Cbor::Float(f)
            };
            Cbor::Tag(1, Box::new(inner))
        }
        (Kind::Blob, Value::String(s)) => Cbor::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .unwrap_or_else(|_| s.as_bytes().to_vec()),
        ),
        (Kind::Float | Kind::Double, Value::Number(n)) => Cbor::Float(n.as_f64().unwrap_or(0.0)),
        (Kind::Float | Kind::Double, Value::String(s)) => Cbor::Float(match s.as_str() {
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            _ => f64::NAN,
        }),
        _ => json_to_cbor(v),
    }
}

/// Schema-less conversion (documents, and values of an unexpected type).
fn json_to_cbor(v: &Value) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cbor::Int(i128::from(i)),
            None => Cbor::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Array(a) => Cbor::Array(a.iter().map(json_to_cbor).collect()),
        Value::Object(o) => Cbor::Map(
            o.iter()
                .map(|(k, x)| (Cbor::Text(k.clone()), json_to_cbor(x)))
                .collect(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The codec

/// `POST /service/<Service>/operation/<Operation>`: the operation named by the path.
pub fn operation_name(req: &HttpRequest) -> Option<String> {
    let rest = req.path.strip_prefix("/service/")?;
    let (_, op) = rest.split_once("/operation/")?;
    (!op.is_empty() && !op.contains('/')).then(|| op.to_owned())
}

/// Whether a request is Smithy RPC v2 CBOR.
pub fn is_rpc_v2_cbor(req: &HttpRequest) -> bool {
    req.header("smithy-protocol") == Some("rpc-v2-cbor") && req.path.starts_with("/service/")
}

/// The service segment of the path (`GraniteServiceVersion20100801`).
pub fn service_segment(req: &HttpRequest) -> Option<&str> {
    req.path.strip_prefix("/service/")?.split('/').next()
}

pub fn parse_input(model: &Model, op: &Operation, req: &HttpRequest) -> AwsResult<Value> {
    let Some(input) = op.input else {
        return Ok(Value::Object(Map::new()));
    };
    if req.body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let item = decode(&req.body).map_err(json::serialization_error)?;
    let v = to_json(&item).map_err(json::serialization_error)?;
    if !v.is_object() {
        return Err(json::serialization_error(format!(
            "The request body must be a CBOR map for {}",
            op.name
        )));
    }
    json::body_to_canonical(model, input, &v, "").map_err(json::serialization_error)
}

fn response(status: u16, body: &Cbor, request_id: &str) -> HttpResponse {
    let mut bytes = Vec::new();
    encode(body, &mut bytes);
    HttpResponse::new(status, "application/cbor", bytes)
        .header("smithy-protocol", "rpc-v2-cbor")
        .header("x-amzn-RequestId", request_id)
}

pub fn write_output(model: &Model, op: &Operation, output: &Value, request_id: &str) -> HttpResponse {
    let body = match op.output {
        Some(id) => canonical_to_cbor(model, id, output),
        None => Cbor::Map(Vec::new()),
    };
    response(200, &body, request_id)
}

pub fn write_error(model: &Model, err: &AwsError, request_id: &str, query_compatible: bool) -> HttpResponse {
    let status = super::error_status(model, err);
    let shape = super::error_shape(model, &err.code);
    let name = shape.map(|s| s.name.clone()).unwrap_or_else(|| err.code.clone());
    let mut members = Map::new();
    json::error_members(model, shape, err, &mut members);
    let mut entries = vec![(Cbor::Text("__type".into()), Cbor::Text(name.clone()))];
    entries.extend(members.iter().map(|(k, v)| (Cbor::Text(k.clone()), json_to_cbor(v))));
    let mut resp = response(status, &Cbor::Map(entries), request_id);
    if query_compatible {
        let code = shape
            .and_then(|s| s.error.as_ref())
            .and_then(|e| e.code.clone())
            .unwrap_or(name);
        let receiver = status >= 500 || !err.sender_fault || shape.is_some_and(|s| s.fault);
        resp = resp.header(
            "x-amzn-query-error",
            format!("{code};{}", if receiver { "Receiver" } else { "Sender" }),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc8949_examples() {
        let cases: &[(&str, Cbor)] = &[
            ("00", Cbor::Int(0)),
            ("1818", Cbor::Int(24)),
            ("1903e8", Cbor::Int(1000)),
            ("1bffffffffffffffff", Cbor::Int(18_446_744_073_709_551_615)),
            ("3863", Cbor::Int(-100)),
            ("f93c00", Cbor::Float(1.0)),
            ("f97bff", Cbor::Float(65504.0)),
            ("fa47c35000", Cbor::Float(100000.0)),
            ("fb3ff199999999999a", Cbor::Float(1.1)),
            ("f97c00", Cbor::Float(f64::INFINITY)),
            ("f4", Cbor::Bool(false)),
            ("f6", Cbor::Null),
            ("c11a514b67b0", Cbor::Tag(1, Box::new(Cbor::Int(1_363_896_240)))),
            ("4401020304", Cbor::Bytes(vec![1, 2, 3, 4])),
            ("6449455446", Cbor::Text("IETF".into())),
            ("5f42010243030405ff", Cbor::Bytes(vec![1, 2, 3, 4, 5])),
            ("7f657374726561646d696e67ff", Cbor::Text("streaming".into())),
            (
                "9f018202039f0405ffff",
                Cbor::Array(vec![
                    Cbor::Int(1),
                    Cbor::Array(vec![Cbor::Int(2), Cbor::Int(3)]),
                    Cbor::Array(vec![Cbor::Int(4), Cbor::Int(5)]),
                ]),
            ),
            (
                "bf61610161629f0203ffff",
                Cbor::Map(vec![
                    (Cbor::Text("a".into()), Cbor::Int(1)),
                    (Cbor::Text("b".into()), Cbor::Array(vec![Cbor::Int(2), Cbor::Int(3)])),
                ]),
            ),
        ];
        for (h, want) in cases {
            assert_eq!(&decode(&hex(h)).unwrap(), want, "{h}");
        }
        assert!(decode(&hex("f97e00"))
            .map(|c| matches!(c, Cbor::Float(f) if f.is_nan()))
            .unwrap());
    }

    #[test]
    fn encodes_shortest_heads_and_round_trips() {
        let item = Cbor::Map(vec![
            (Cbor::Text("n".into()), Cbor::Int(-500)),
            (Cbor::Text("big".into()), Cbor::Int(70_000)),
            (Cbor::Text("b".into()), Cbor::Bytes(vec![0; 300])),
            (Cbor::Text("t".into()), Cbor::Tag(1, Box::new(Cbor::Float(1.5)))),
        ]);
        let mut out = Vec::new();
        encode(&item, &mut out);
        assert_eq!(decode(&out).unwrap(), item);
        let mut small = Vec::new();
        encode(&Cbor::Int(23), &mut small);
        assert_eq!(small, [0x17]);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for h in ["", "1b00", "5f4101", "a1", "ff", "9f", "7f4101ff", "62ff"] {
            assert!(decode(&hex(h)).is_err(), "{h}");
        }
        // Deep nesting stops at the limit.
        let deep = vec![0x81u8; 1000];
        assert!(decode(&deep).is_err());
    }
}
