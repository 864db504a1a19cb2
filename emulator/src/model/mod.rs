//! The official service models (botocore `service-2.json`, stripped by `tools/gen-models.py`),
//! embedded in the binary and parsed lazily, one service at a time, into a compact form that the
//! protocol codecs walk. Nothing in `emulator/models/` is edited by hand.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// Index of a shape inside [`Model::shapes`].
pub type ShapeId = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsJson 1.0 / 1.1 (ECS, CodeDeploy, Logs, CloudWatch's JSON flavour).
    Json,
    /// awsQuery (IAM, STS, ELBv2, CloudWatch's older flavour).
    Query,
    /// The EC2 dialect of the query protocol.
    Ec2,
    /// restJson1 (Lambda).
    RestJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Body,
    Header,
    /// `headers` with a prefix (a map of header values).
    Headers,
    Uri,
    QueryString,
    StatusCode,
}

#[derive(Debug)]
pub struct Member {
    pub name: String,
    pub shape: ShapeId,
    pub location: Location,
    /// The wire name: `locationName` when the model gives one, else the member name.
    pub location_name: String,
    /// EC2's `queryName`.
    pub query_name: Option<String>,
    pub xml_attribute: bool,
    pub flattened: bool,
    pub timestamp_format: Option<String>,
    pub idempotency_token: bool,
    pub json_value: bool,
    pub host_label: bool,
}

#[derive(Debug)]
pub enum Kind {
    Structure {
        members: Vec<Member>,
        required: Vec<String>,
        payload: Option<String>,
        union: bool,
    },
    List {
        member: Box<Member>,
        flattened: bool,
    },
    Map {
        key: Box<Member>,
        value: Box<Member>,
        flattened: bool,
    },
    String {
        enum_values: Option<Vec<String>>,
        pattern: Option<String>,
    },
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
}

#[derive(Debug)]
pub struct ErrorInfo {
    /// `error.code` (awsQueryError code), when it differs from the shape name.
    pub code: Option<String>,
    pub status: u16,
    pub sender_fault: bool,
}

#[derive(Debug)]
pub struct Shape {
    pub name: String,
    pub kind: Kind,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub timestamp_format: Option<String>,
    pub error: Option<ErrorInfo>,
    pub exception: bool,
    pub sensitive: bool,
    pub streaming: bool,
    /// A document type (`"document": true`): free-form JSON, passed through as is.
    pub document: bool,
    /// `"fault": true`: a server-side error (500 unless `error.httpStatusCode` says otherwise).
    pub fault: bool,
    pub location_name: Option<String>,
    pub xml_namespace: Option<String>,
}

#[derive(Debug)]
pub struct Operation {
    pub name: String,
    pub http_method: String,
    pub request_uri: String,
    pub response_code: u16,
    pub input: Option<ShapeId>,
    pub output: Option<ShapeId>,
    /// awsQuery `resultWrapper` (`GetRoleResult`).
    pub result_wrapper: Option<String>,
    pub errors: Vec<ShapeId>,
    /// True for operations the generator kept only by name (pruned EC2 operations).
    pub stub: bool,
}

#[derive(Debug)]
pub struct Metadata {
    pub protocol: Protocol,
    pub api_version: String,
    pub target_prefix: Option<String>,
    pub json_version: Option<String>,
    pub xml_namespace: Option<String>,
    pub signing_name: String,
    pub endpoint_prefix: String,
    pub service_id: String,
    /// CloudWatch: awsJson 1.0 that answers errors with `x-amzn-query-error` too.
    pub aws_query_compatible: bool,
    /// The service also accepts awsQuery requests (CloudWatch's older clients).
    pub also_query: bool,
}

#[derive(Debug)]
pub struct Model {
    pub metadata: Metadata,
    pub operations: HashMap<String, Operation>,
    pub shapes: Vec<Shape>,
    pub shape_index: HashMap<String, ShapeId>,
}

impl Model {
    pub fn shape(&self, id: ShapeId) -> &Shape {
        &self.shapes[id]
    }

    pub fn shape_named(&self, name: &str) -> Option<ShapeId> {
        self.shape_index.get(name).copied()
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// Parses a botocore-format model (`service-2.json`, or the model of a protocol test case).
    pub fn from_json(doc: &Value) -> Result<Model, String> {
        let meta = doc.get("metadata").ok_or("model has no metadata")?;
        let s = |k: &str| meta.get(k).and_then(Value::as_str).map(str::to_owned);
        let protocols: Vec<String> = meta
            .get("protocols")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let proto_name = s("protocol").unwrap_or_default();
        // Prefer a protocol this server speaks: CloudWatch's model lists rpc-v2-cbor first.
        let protocol = match (proto_name.as_str(), protocols.iter().any(|p| p == "json")) {
            ("json", _) => Protocol::Json,
            (_, true) => Protocol::Json,
            ("query", _) => Protocol::Query,
            ("ec2", _) => Protocol::Ec2,
            ("rest-json", _) => Protocol::RestJson,
            (other, _) => return Err(format!("unsupported protocol {other}")),
        };
        let endpoint_prefix = s("endpointPrefix").unwrap_or_default();
        let metadata = Metadata {
            protocol,
            api_version: s("apiVersion").unwrap_or_default(),
            target_prefix: s("targetPrefix"),
            json_version: s("jsonVersion"),
            xml_namespace: s("xmlNamespace"),
            signing_name: s("signingName").unwrap_or_else(|| endpoint_prefix.clone()),
            endpoint_prefix,
            service_id: s("serviceId").unwrap_or_default(),
            aws_query_compatible: meta.get("awsQueryCompatible").is_some(),
            also_query: protocols.iter().any(|p| p == "query") && protocol != Protocol::Query,
        };

        let empty = serde_json::Map::new();
        let shapes_doc = doc.get("shapes").and_then(Value::as_object).unwrap_or(&empty);
        let mut shape_index = HashMap::with_capacity(shapes_doc.len());
        for (i, name) in shapes_doc.keys().enumerate() {
            shape_index.insert(name.clone(), i);
        }
        let lookup = |name: &str| -> Result<ShapeId, String> {
            shape_index
                .get(name)
                .copied()
                .ok_or_else(|| format!("unknown shape {name}"))
        };
        let member = |name: &str, m: &Value| -> Result<Member, String> {
            let shape = lookup(m.get("shape").and_then(Value::as_str).unwrap_or(""))?;
            let ms = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
            let mb = |k: &str| m.get(k).and_then(Value::as_bool).unwrap_or(false);
            let location = match ms("location").as_deref() {
                Some("header") => Location::Header,
                Some("headers") => Location::Headers,
                Some("uri") => Location::Uri,
                Some("querystring") => Location::QueryString,
                Some("statusCode") => Location::StatusCode,
                _ => Location::Body,
            };
            Ok(Member {
                name: name.to_owned(),
                shape,
                location,
                location_name: ms("locationName").unwrap_or_else(|| name.to_owned()),
                query_name: ms("queryName"),
                xml_attribute: mb("xmlAttribute"),
                flattened: mb("flattened"),
                timestamp_format: ms("timestampFormat"),
                idempotency_token: mb("idempotencyToken"),
                json_value: mb("jsonvalue"),
                host_label: mb("hostLabel"),
            })
        };
        let mut shapes = Vec::with_capacity(shapes_doc.len());
        for (name, sd) in shapes_doc {
            let ty = sd.get("type").and_then(Value::as_str).unwrap_or("structure");
            let flattened = sd.get("flattened").and_then(Value::as_bool).unwrap_or(false);
            let kind = match ty {
                "structure" => {
                    let mut members = Vec::new();
                    if let Some(ms) = sd.get("members").and_then(Value::as_object) {
                        for (mn, mv) in ms {
                            members.push(member(mn, mv)?);
                        }
                    }
                    let required = sd
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                        .unwrap_or_default();
                    Kind::Structure {
                        members,
                        required,
                        payload: sd.get("payload").and_then(Value::as_str).map(str::to_owned),
                        union: sd.get("union").and_then(Value::as_bool).unwrap_or(false),
                    }
                }
                "list" => Kind::List {
                    member: Box::new(member("member", sd.get("member").unwrap_or(&Value::Null))?),
                    flattened,
                },
                "map" => Kind::Map {
                    key: Box::new(member("key", sd.get("key").unwrap_or(&Value::Null))?),
                    value: Box::new(member("value", sd.get("value").unwrap_or(&Value::Null))?),
                    flattened,
                },
                "string" => Kind::String {
                    enum_values: sd
                        .get("enum")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()),
                    pattern: sd.get("pattern").and_then(Value::as_str).map(str::to_owned),
                },
                "integer" => Kind::Integer,
                "long" => Kind::Long,
                "float" => Kind::Float,
                "double" => Kind::Double,
                "boolean" => Kind::Boolean,
                "timestamp" => Kind::Timestamp,
                "blob" => Kind::Blob,
                other => return Err(format!("shape {name}: unsupported type {other}")),
            };
            let err = sd.get("error");
            shapes.push(Shape {
                name: name.clone(),
                kind,
                min: sd.get("min").and_then(Value::as_f64),
                max: sd.get("max").and_then(Value::as_f64),
                timestamp_format: sd.get("timestampFormat").and_then(Value::as_str).map(str::to_owned),
                error: err.map(|e| ErrorInfo {
                    code: e.get("code").and_then(Value::as_str).map(str::to_owned),
                    status: e.get("httpStatusCode").and_then(Value::as_u64).unwrap_or(400) as u16,
                    sender_fault: e.get("senderFault").and_then(Value::as_bool).unwrap_or(true),
                }),
                exception: sd.get("exception").and_then(Value::as_bool).unwrap_or(false),
                sensitive: sd.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
                streaming: sd.get("streaming").and_then(Value::as_bool).unwrap_or(false),
                document: sd.get("document").and_then(Value::as_bool).unwrap_or(false),
                fault: sd.get("fault").and_then(Value::as_bool).unwrap_or(false),
                location_name: sd.get("locationName").and_then(Value::as_str).map(str::to_owned),
                xml_namespace: sd
                    .get("xmlNamespace")
                    .and_then(|n| n.get("uri"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }

        let mut operations = HashMap::new();
        if let Some(ops) = doc.get("operations").and_then(Value::as_object) {
            for (name, od) in ops {
                let http = od.get("http");
                let hs = |k: &str| http.and_then(|h| h.get(k)).and_then(Value::as_str).map(str::to_owned);
                let input = match od.get("input").and_then(|i| i.get("shape")).and_then(Value::as_str) {
                    Some(n) => Some(lookup(n)?),
                    None => None,
                };
                let output_doc = od.get("output");
                let output = match output_doc.and_then(|i| i.get("shape")).and_then(Value::as_str) {
                    Some(n) => Some(lookup(n)?),
                    None => None,
                };
                let mut errors = Vec::new();
                for e in od.get("errors").and_then(Value::as_array).into_iter().flatten() {
                    if let Some(n) = e.get("shape").and_then(Value::as_str) {
                        errors.push(lookup(n)?);
                    }
                }
                let stub = od.get("input").is_none() && od.get("output").is_none() && od.get("errors").is_none();
                operations.insert(
                    name.clone(),
                    Operation {
                        name: name.clone(),
                        http_method: hs("method").unwrap_or_else(|| "POST".into()),
                        request_uri: hs("requestUri").unwrap_or_else(|| "/".into()),
                        response_code: http
                            .and_then(|h| h.get("responseCode"))
                            .and_then(Value::as_u64)
                            .unwrap_or(200) as u16,
                        input,
                        output,
                        result_wrapper: output_doc
                            .and_then(|o| o.get("resultWrapper"))
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        errors,
                        stub: stub && metadata.protocol == Protocol::Ec2,
                    },
                );
            }
        }
        Ok(Model {
            metadata,
            operations,
            shapes,
            shape_index,
        })
    }
}

/// The services cutover serves, by botocore name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Ecs,
    Elbv2,
    CodeDeploy,
    Iam,
    Sts,
    Lambda,
    CloudWatch,
    Logs,
    Ec2,
}

impl Service {
    pub const ALL: [Service; 9] = [
        Service::Ecs,
        Service::Elbv2,
        Service::CodeDeploy,
        Service::Iam,
        Service::Sts,
        Service::Lambda,
        Service::CloudWatch,
        Service::Logs,
        Service::Ec2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Service::Ecs => "ecs",
            Service::Elbv2 => "elbv2",
            Service::CodeDeploy => "codedeploy",
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::Lambda => "lambda",
            Service::CloudWatch => "cloudwatch",
            Service::Logs => "logs",
            Service::Ec2 => "ec2",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Service::Ecs => include_str!("../../models/ecs.json"),
            Service::Elbv2 => include_str!("../../models/elbv2.json"),
            Service::CodeDeploy => include_str!("../../models/codedeploy.json"),
            Service::Iam => include_str!("../../models/iam.json"),
            Service::Sts => include_str!("../../models/sts.json"),
            Service::Lambda => include_str!("../../models/lambda.json"),
            Service::CloudWatch => include_str!("../../models/cloudwatch.json"),
            Service::Logs => include_str!("../../models/logs.json"),
            Service::Ec2 => include_str!("../../models/ec2.json"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The parsed model, parsed on first use.
    pub fn model(self) -> Arc<Model> {
        static MODELS: [OnceLock<Arc<Model>>; 9] = [const { OnceLock::new() }; 9];
        MODELS[self.index()]
            .get_or_init(|| {
                let doc: Value = serde_json::from_str(self.source()).expect("embedded model is valid JSON");
                Arc::new(Model::from_json(&doc).expect("embedded model is well formed"))
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_model_parses() {
        for s in Service::ALL {
            let m = s.model();
            assert!(!m.operations.is_empty(), "{} has operations", s.name());
        }
        let ecs = Service::Ecs.model();
        assert_eq!(ecs.metadata.protocol, Protocol::Json);
        assert_eq!(
            ecs.metadata.target_prefix.as_deref(),
            Some("AmazonEC2ContainerServiceV20141113")
        );
        let cw = Service::CloudWatch.model();
        assert_eq!(cw.metadata.protocol, Protocol::Json);
        assert!(cw.metadata.aws_query_compatible && cw.metadata.also_query);
        let ec2 = Service::Ec2.model();
        assert!(ec2.operation("RunInstances").unwrap().stub);
        assert!(!ec2.operation("DescribeVpcs").unwrap().stub);
    }
}
