//! Filter patterns for unstructured log events: terms (`ERROR`), quoted phrases
//! (`"Connection refused"`), alternatives (`?ERROR ?WARN`, any one must match) and exclusions
//! (`ERROR -Retry`). Matching is case-sensitive, as in CloudWatch Logs. JSON (`{ $.x = 1 }`),
//! space-delimited (`[ip, user, ...]`) and regular-expression (`%...%`) patterns are not
//! supported and are refused rather than silently matching nothing.

use super::invalid;
use crate::protocol::AwsResult;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Pattern {
    required: Vec<String>,
    any_of: Vec<String>,
    excluded: Vec<String>,
}

impl Pattern {
    pub fn parse(text: &str) -> AwsResult<Pattern> {
        let t = text.trim();
        if t.starts_with('{') || t.starts_with('[') || t.starts_with('%') {
            return Err(invalid(
                "cutover supports only term, quoted-phrase, ?alternative and -exclusion filter patterns; JSON, space-delimited and regular-expression patterns are not implemented",
            ));
        }
        let mut p = Pattern::default();
        let mut chars = t.chars().peekable();
        loop {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            let Some(&first) = chars.peek() else { break };
            let mut kind = ' ';
            if first == '?' || first == '-' {
                kind = first;
                chars.next();
            }
            let mut term = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                term.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => term.push(c),
                    }
                }
                if !closed {
                    return Err(invalid(format!("Invalid character(s) in term '{text}'")));
                }
            } else {
                while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                    term.push(c);
                }
            }
            if term.is_empty() {
                continue;
            }
            match kind {
                '?' => p.any_of.push(term),
                '-' => p.excluded.push(term),
                _ => p.required.push(term),
            }
        }
        Ok(p)
    }

    pub fn matches(&self, message: &str) -> bool {
        self.required.iter().all(|t| message.contains(t.as_str()))
            && !self.excluded.iter().any(|t| message.contains(t.as_str()))
            && (self.any_of.is_empty() || self.any_of.iter().any(|t| message.contains(t.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, msg: &str) -> bool {
        Pattern::parse(p).unwrap().matches(msg)
    }

    #[test]
    fn terms_phrases_alternatives_and_exclusions() {
        assert!(m("", "anything"));
        assert!(m("ERROR", "an ERROR happened"));
        assert!(!m("ERROR", "an error happened"));
        assert!(m("ERROR db", "ERROR in db"));
        assert!(!m("ERROR db", "ERROR in cache"));
        assert!(m("\"connection refused\"", "got connection refused today"));
        assert!(!m("\"connection refused\"", "connection was refused"));
        assert!(m("?ERROR ?WARN", "WARN low disk"));
        assert!(!m("?ERROR ?WARN", "INFO ok"));
        assert!(m("ERROR -retry", "ERROR fatal"));
        assert!(!m("ERROR -retry", "ERROR will retry"));
        assert!(m("-\"health check\" GET", "GET /index"));
        assert!(!m("-\"health check\" GET", "GET health check"));
    }

    #[test]
    fn unsupported_and_broken_patterns_are_refused() {
        for p in ["{ $.level = \"error\" }", "[ip, user]", "%ERR.*%", "\"unclosed"] {
            assert_eq!(Pattern::parse(p).unwrap_err().code, "InvalidParameterException", "{p}");
        }
    }
}
