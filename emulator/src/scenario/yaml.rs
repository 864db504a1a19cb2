//! YAML for scenario files, with the line and column of every node, so that a mistake in a
//! scenario is reported at its place in the file (serde's YAML deserializers drop positions).
//! yaml-rust2's event parser gives a marker per event; this builds a small tree from them.

use serde_json::{Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Where a node starts in its file (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A scalar and whether it was written plain (unquoted): only plain scalars are numbers,
    /// booleans or null.
    Scalar(String, bool),
    Seq(Vec<Node>),
    /// Keys in file order, each with its own position.
    Map(Vec<(String, Pos, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub pos: Pos,
}

/// A parse error at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|(_, _, v)| v),
            _ => None,
        }
    }

    /// The entries of a mapping, or None.
    pub fn entries(&self) -> Option<&[(String, Pos, Node)]> {
        match &self.kind {
            Kind::Map(e) => Some(e),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(v) => Some(v),
            _ => None,
        }
    }

    /// A scalar's text (numbers and booleans too, as written).
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar(s, true) if is_null_word(s))
    }

    /// What kind of value this is, for error messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Map(_) => "a mapping".into(),
            Kind::Seq(_) => "a list".into(),
            Kind::Scalar(_, _) if self.is_null() => "nothing (null)".into(),
            Kind::Scalar(s, _) => format!("'{s}'"),
        }
    }

    /// The node as JSON: plain scalars become null, booleans and numbers where YAML 1.2's core
    /// schema says so; everything quoted stays a string.
    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Scalar(s, plain) => {
                if !plain {
                    return Value::String(s.clone());
                }
                plain_scalar(s)
            }
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, _, v) in entries {
                    m.insert(k.clone(), v.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

fn is_null_word(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn plain_scalar(s: &str) -> Value {
    if is_null_word(s) {
        return Value::Null;
    }
    match s {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let numeric = s
        .trim_start_matches(['-', '+'])
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_owned())
}

fn pos(m: &Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
    }
}

enum Frame {
    /// Start, items, anchor id (0: none).
    Seq(Pos, Vec<Node>, usize),
    /// Start, entries, the key waiting for its value, anchor id.
    Map(Pos, Vec<(String, Pos, Node)>, Option<(String, Pos)>, usize),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Anchored nodes, by anchor id, for aliases.
    anchors: Vec<(usize, Node)>,
    error: Option<YamlError>,
    /// Nodes copied in through aliases so far (bounded: nested aliases grow exponentially).
    aliased: usize,
}

/// Nodes a file may bring in through aliases in all.
const ALIAS_BUDGET: usize = 10_000;

fn node_count(n: &Node) -> usize {
    match &n.kind {
        Kind::Scalar(..) => 1,
        Kind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Kind::Map(entries) => 1 + entries.iter().map(|(_, _, v)| node_count(v)).sum::<usize>(),
    }
}

impl Builder {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.push((anchor, node.clone()));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(_, items, _)) => items.push(node),
            Some(Frame::Map(_, entries, pending, _)) => match pending.take() {
                None => match node.kind {
                    Kind::Scalar(k, _) => {
                        if entries.iter().any(|(e, _, _)| *e == k) && self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: format!("the key '{k}' appears twice in this mapping"),
                            });
                        }
                        *pending = Some((k, node.pos));
                    }
                    _ => {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: "a mapping key must be a plain value, not a list or a mapping".into(),
                            });
                        }
                        *pending = Some((String::new(), node.pos));
                    }
                },
                Some((k, kpos)) => {
                    // An empty value (`advance:`) is marked at the next token; its key is where it is.
                    let mut node = node;
                    if matches!(&node.kind, Kind::Scalar(v, true) if v.is_empty()) {
                        node.pos = kpos;
                    }
                    entries.push((k, kpos, node))
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(s, style, anchor, _) => {
                let plain = style == TScalarStyle::Plain;
                self.push_node(
                    Node {
                        kind: Kind::Scalar(s, plain),
                        pos: pos(&mark),
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(pos(&mark), Vec::new(), anchor)),
            Event::MappingStart(anchor, _) => self.stack.push(Frame::Map(pos(&mark), Vec::new(), None, anchor)),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq(p, items, a)) => (
                        Node {
                            kind: Kind::Seq(items),
                            pos: p,
                        },
                        a,
                    ),
                    Some(Frame::Map(p, entries, _, a)) => (
                        Node {
                            kind: Kind::Map(entries),
                            pos: p,
                        },
                        a,
                    ),
                    None => return,
                };
                self.push_node(node, anchor);
            }
            Event::Alias(id) => {
                let found = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == id)
                    .map(|(_, n)| n.clone());
                match found {
                    Some(n) if self.aliased + node_count(&n) > ALIAS_BUDGET => {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: pos(&mark),
                                message: format!(
                                    "aliases here would copy more than {ALIAS_BUDGET} values; write the values out"
                                ),
                            });
                        }
                    }
                    Some(mut n) => {
                        self.aliased += node_count(&n);
                        n.pos = pos(&mark);
                        self.push_node(n, 0);
                    }
                    None => {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: pos(&mark),
                                message: "an alias names no anchor defined before it".into(),
                            });
                        }
                    }
                }
            }
            Event::DocumentStart if self.root.is_some() && self.error.is_none() => {
                self.error = Some(YamlError {
                    pos: pos(&mark),
                    message: "a scenario file holds one YAML document; this is a second".into(),
                });
            }
            _ => {}
        }
    }
}

/// Parses one YAML document. An empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(i) = text.find('\0') {
        let line = text[..i].matches('\n').count() + 1;
        return Err(YamlError {
            pos: Pos { line, col: 1 },
            message: "the file holds a NUL byte; is it a text file?".into(),
        });
    }
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, true).map_err(|e| YamlError {
        pos: pos(e.marker()),
        message: e.info().to_owned(),
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    // An empty document (or one that is only `---` or `~`) is an empty mapping.
    Ok(b.root.filter(|r| !r.is_null()).unwrap_or(Node {
        kind: Kind::Map(Vec::new()),
        pos: Pos { line: 1, col: 1 },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn positions_and_values() {
        let text = "name: x\nsteps:\n  - advance: 30\n  - call: ecs.ListClusters\n    input: {a: 'b', n: 1.5, t: true, z: ~}\n";
        let n = parse(text).unwrap();
        let steps = n.get("steps").unwrap().items().unwrap();
        assert_eq!(steps[0].pos.line, 3);
        assert_eq!(steps[1].get("input").unwrap().pos.line, 5);
        let (_, kpos, _) = &steps[1].entries().unwrap()[1];
        assert_eq!((kpos.line, kpos.col), (5, 5));
        assert_eq!(
            n.to_json(),
            json!({"name": "x", "steps": [{"advance": 30}, {"call": "ecs.ListClusters", "input": {"a": "b", "n": 1.5, "t": true, "z": null}}]})
        );
    }

    #[test]
    fn quoted_numbers_stay_strings_and_aliases_resolve() {
        let n = parse("a: '5'\nb: &x {k: [1, 2]}\nc: *x\n").unwrap();
        assert_eq!(n.to_json(), json!({"a": "5", "b": {"k": [1, 2]}, "c": {"k": [1, 2]}}));
    }

    #[test]
    fn errors_carry_the_line() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(e.pos.line, 3, "{e:?}");
        let n = parse("a:\nb: 2\n").unwrap();
        assert_eq!(n.get("a").unwrap().pos.line, 1, "an empty value sits at its key");
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
        let e = parse(laughs).unwrap_err();
        assert!(e.message.contains("aliases"), "{e:?}");
        assert_eq!(parse("\u{feff}a: 1\n").unwrap().to_json(), json!({"a": 1}));
        assert_eq!(parse("---\n").unwrap().to_json(), json!({}));
        assert!(parse("a: 1\n\0").unwrap_err().message.contains("NUL"));
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.contains("second"), "{e:?}");
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.pos.line, 3);
        assert!(e.message.contains("twice"), "{e:?}");
    }
}
