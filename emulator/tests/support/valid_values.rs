//! Seeded, model-driven canonical input values that pass validation: every required member, some
//! optional ones, list and map sizes, lengths, numeric ranges, enum values and (by trying
//! candidates against `protocol::validate::pattern_matches`) patterns as the model asks. Unlike
//! the fuzzer's generator (`fuzz_models.rs`), which aims at the edges, every value here is meant
//! to be valid; a shape it cannot satisfy panics naming the shape.
//!
//! Numbers keep their JSON kind the way the generated types write them back: integers and longs
//! are integers, floats, doubles and timestamps are floats (with a fractional part).

#![allow(dead_code)]

use base64::Engine;
use cutover::model::{Kind, Model, ShapeId};
use cutover::protocol::validate::pattern_matches;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

/// Strings some patterns of the implemented operations need (ARNs, paths, ids, versions);
/// random words cover the rest.
const CANDIDATES: &[&str] = &[
    "/",
    "/app/team/",
    "arn:aws:iam::123456789012:role/service-role",
    "arn:aws:lambda:us-east-1:123456789012:function:my-function",
    "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0",
    "arn:aws:lambda:us-east-1:123456789012:layer:my-layer:3",
    "arn:aws:lambda:us-east-1:123456789012:capacity-provider:cp-1",
    "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0",
    "arn:aws:logs:us-east-1:123456789012:log-group:my-group",
    "123456789012",
    "123456",
    "1",
    "$LATEST",
    "v1",
    "200",
    "HTTPS",
    "ipam-pool-0abc",
    "ipv4pool-coip-0abc",
    "/mnt/efs",
    "lambda:InvokeFunction",
    "*",
    "us-east-1",
    "o-abcdefghij",
    "Name_1",
    "my-bucket",
];

pub struct ValidValues {
    rng: SmallRng,
}

impl ValidValues {
    pub fn new(seed: u64) -> Self {
        ValidValues {
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    fn word(&mut self, len: usize) -> String {
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        (0..len)
            .map(|_| ALNUM[self.rng.gen_range(0..ALNUM.len())] as char)
            .collect()
    }

    fn string(&mut self, model: &Model, id: ShapeId) -> String {
        let shape = model.shape(id);
        let Kind::String { enum_values, pattern } = &shape.kind else {
            unreachable!()
        };
        if let Some(values) = enum_values.as_ref().filter(|v| !v.is_empty()) {
            return values[self.rng.gen_range(0..values.len())].clone();
        }
        let min = shape.min.unwrap_or(0.0) as usize;
        let max = shape.max.map_or(usize::MAX, |m| m as usize).max(min);
        let fits = |s: &str| {
            let n = s.chars().count();
            n >= min && n <= max && pattern.as_deref().is_none_or(|p| pattern_matches(p, s))
        };
        for _ in 0..4 {
            let len = self.rng.gen_range(min.max(1)..=max.min(min.max(1) + 12)).min(max);
            if len == 0 {
                break;
            }
            let w = self.word(len);
            if fits(&w) {
                return w;
            }
        }
        let digits: String = (0..min.max(1)).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
        if fits(&digits) {
            return digits;
        }
        let start = self.rng.gen_range(0..CANDIDATES.len());
        for i in 0..CANDIDATES.len() {
            let c = CANDIDATES[(start + i) % CANDIDATES.len()];
            if fits(c) {
                return c.to_owned();
            }
        }
        if fits("") {
            return String::new();
        }
        panic!(
            "no valid string for shape {} (length {min}..={max}, pattern {pattern:?}): add a candidate",
            shape.name
        );
    }

    /// A valid value of shape `id`; `depth` bounds optional members and list sizes.
    pub fn value(&mut self, model: &Model, id: ShapeId, depth: usize) -> Value {
        let shape = model.shape(id);
        if shape.document {
            return json!({"doc": [1, "two", {"three": true}]});
        }
        match &shape.kind {
            Kind::Structure {
                members,
                required,
                union,
                ..
            } => {
                let mut out = Map::new();
                if *union {
                    if !members.is_empty() {
                        let m = &members[self.rng.gen_range(0..members.len())];
                        out.insert(m.name.clone(), self.value(model, m.shape, depth + 1));
                    }
                    return Value::Object(out);
                }
                for m in members {
                    let include = required.contains(&m.name) || (depth < 4 && self.rng.gen_range(0..2) == 0);
                    if include {
                        out.insert(m.name.clone(), self.value(model, m.shape, depth + 1));
                    }
                }
                Value::Object(out)
            }
            Kind::List { member, .. } => {
                let min = shape.min.unwrap_or(0.0) as usize;
                let max = shape.max.map_or(min + 2, |m| m as usize).min(min + 2);
                let n = if depth > 5 { min } else { self.rng.gen_range(min..=max) };
                Value::Array((0..n).map(|_| self.value(model, member.shape, depth + 1)).collect())
            }
            Kind::Map { key, value, .. } => {
                let min = shape.min.unwrap_or(0.0) as usize;
                let max = shape.max.map_or(min + 2, |m| m as usize).min(min + 2);
                let n = if depth > 5 { min } else { self.rng.gen_range(min..=max) };
                let mut out = Map::new();
                let mut tries = 0;
                while out.len() < n && tries < 50 {
                    tries += 1;
                    let k = self.string(model, key.shape);
                    let v = self.value(model, value.shape, depth + 1);
                    out.insert(k, v);
                }
                Value::Object(out)
            }
            Kind::String { .. } => Value::String(self.string(model, id)),
            Kind::Integer | Kind::Long => {
                let (lo, hi) = if matches!(shape.kind, Kind::Integer) {
                    (i32::MIN as f64, i32::MAX as f64)
                } else {
                    (-1e15, 1e15)
                };
                let min = shape.min.unwrap_or(0.0).max(lo) as i64;
                let max = shape.max.unwrap_or(min as f64 + 1000.0).min(hi) as i64;
                json!(self.rng.gen_range(min..=max.max(min)))
            }
            Kind::Float | Kind::Double => {
                let min = shape.min.unwrap_or(0.0);
                let max = shape.max.unwrap_or(min + 1000.0);
                let x: f64 = self.rng.gen_range(min..=max);
                // A float in the JSON sense, as f64 writes it back.
                json!(if x.fract() == 0.0 && x + 0.5 <= max { x + 0.5 } else { x })
            }
            Kind::Boolean => json!(self.rng.gen::<bool>()),
            Kind::Timestamp => json!(1_700_000_000.25 + f64::from(self.rng.gen_range(0..10_000_000))),
            Kind::Blob => {
                let min = shape.min.unwrap_or(0.0) as usize;
                let max = shape.max.map_or(min + 40, |m| m as usize).min(min + 40);
                let bytes: Vec<u8> = (0..self.rng.gen_range(min..=max)).map(|_| self.rng.gen()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        }
    }
}
