//! Typed reads from the node tree, each reporting a diagnostic with the field path and span when the
//! value has the wrong type, so that callers can simply skip what they could not read.

use std::collections::BTreeMap;

use super::yaml::{Node, Value};
use crate::diagnostic::{Diagnostic, Severity};

pub struct Reader<'d> {
    diags: &'d mut Vec<Diagnostic>,
    errors: usize,
}

/// How Kubernetes' YAML 1.1 reader resolves an unquoted scalar that YAML 1.2 (and moat) reads as a
/// string: `on` and `y` are booleans there, `1.0` a number.
pub fn yaml11_reading(text: &str) -> Option<String> {
    const TRUE: [&str; 11] = ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"];
    const FALSE: [&str; 11] = ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"];
    if TRUE.contains(&text) {
        return Some("the boolean `true`".into());
    }
    if FALSE.contains(&text) {
        return Some("the boolean `false`".into());
    }
    let numeric = text.trim_start_matches(['-', '+']);
    let looks_numeric = !numeric.is_empty()
        && numeric.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && numeric
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b'_' | b'x' | b'o' | b'e' | b'E' | b'+' | b'-'))
        && (text.parse::<f64>().is_ok() || text.parse::<i64>().is_ok() || numeric.starts_with("0x"));
    looks_numeric.then(|| format!("the number `{text}`"))
}

impl<'d> Reader<'d> {
    pub fn new(diags: &'d mut Vec<Diagnostic>) -> Self {
        Reader { diags, errors: 0 }
    }

    /// Errors reported so far; an object is rejected when this grew while reading it.
    pub fn errors(&self) -> usize {
        self.errors
    }

    /// The sink, for reading nested documents (each judged on its own).
    pub fn diagnostics(&mut self) -> &mut Vec<Diagnostic> {
        self.diags
    }

    pub fn push(&mut self, diag: Diagnostic) {
        if diag.severity == Severity::Error {
            self.errors += 1;
        }
        self.diags.push(diag);
    }

    pub fn type_error(&mut self, node: &Node, path: &str, expected: &str) {
        self.push(
            Diagnostic::error("invalid-type", format!("`{path}` must be {expected}, found {}", node.type_name()))
                .at(node.span)
                .label(format!("expected {expected}")),
        );
    }

    /// The entries of a mapping; `null` reads as an empty mapping (`podSelector:` left empty).
    pub fn mapping<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [(Node, Node)]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            Value::Null => Some(&[]),
            _ => {
                self.type_error(node, path, "a mapping");
                None
            }
        }
    }

    /// A mapping whose keys must all be `known`; other keys get an `unknown-field` warning (the API
    /// server drops them; `kubectl apply --validate=strict` refuses them).
    pub fn strict_mapping<'n>(&mut self, node: &'n Node, path: &str, known: &[&str]) -> Option<&'n [(Node, Node)]> {
        let entries = self.mapping(node, path)?;
        for (key, _) in entries {
            let name = key.as_str().unwrap_or("");
            if !known.contains(&name) {
                let hint = known
                    .iter()
                    .find(|k| similar(k, name))
                    .map_or_else(|| format!("known fields: {}", known.join(", ")), |k| format!("did you mean `{k}`?"));
                self.push(
                    Diagnostic::warning("unknown-field", format!("unknown field `{path}.{name}` is ignored"))
                        .at(key.span)
                        .label("not a field of this object")
                        .help(format!("{hint}; `kubectl apply` with strict validation would reject the object")),
                );
            }
        }
        Some(entries)
    }

    /// The items of a list; `null` reads as an empty list.
    pub fn seq<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            _ => {
                self.type_error(node, path, "a list");
                None
            }
        }
    }

    /// A string field. Unquoted scalars that Kubernetes would read as booleans or numbers are taken as
    /// the string they spell, with a `yaml-bool` warning.
    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match &node.value {
            Value::Scalar(s) => {
                if s.plain
                    && let Some(reading) = yaml11_reading(&s.text)
                {
                    self.push(
                        Diagnostic::warning(
                            "yaml-bool",
                            format!("unquoted `{}` at `{path}` is {reading} to Kubernetes, not a string", s.text),
                        )
                        .at(node.span)
                        .label("moat reads this as a string")
                        .help(format!("quote it: \"{}\"; kubectl would reject the object as written", s.text)),
                    );
                }
                Some(s.text.clone())
            }
            _ => {
                self.type_error(node, path, "a string");
                None
            }
        }
    }

    /// An integer field (must be an unquoted number).
    pub fn int(&mut self, node: &Node, path: &str) -> Option<i64> {
        match &node.value {
            Value::Scalar(s) if s.plain => match s.text.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    self.type_error(node, path, "an integer");
                    None
                }
            },
            _ => {
                self.type_error(node, path, "an integer");
                None
            }
        }
    }

    /// A boolean field (YAML 1.1 spellings accepted, as Kubernetes does).
    pub fn bool(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.value {
            Value::Scalar(s) if s.plain => match yaml11_reading(&s.text).as_deref() {
                Some("the boolean `true`") => Some(true),
                Some("the boolean `false`") => Some(false),
                _ => {
                    self.type_error(node, path, "a boolean");
                    None
                }
            },
            _ => {
                self.type_error(node, path, "a boolean");
                None
            }
        }
    }

    /// A string-to-string map (labels, annotations, matchLabels).
    pub fn string_map(&mut self, node: &Node, path: &str) -> Option<BTreeMap<String, String>> {
        let entries = self.mapping(node, path)?;
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let key = k.as_str().unwrap_or("").to_string();
            let field = format!("{path}.{key}");
            let value = if v.is_null() { Some(String::new()) } else { self.string(v, &field) };
            if let Some(value) = value {
                out.insert(key, value);
            }
        }
        Some(out)
    }
}

/// Typos worth suggesting a fix for: same letters but one, or a case difference.
fn similar(known: &str, typed: &str) -> bool {
    if known.eq_ignore_ascii_case(typed) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (known.chars().collect(), typed.chars().collect());
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    if short.len() == long.len() {
        return short.iter().zip(long.iter()).filter(|(x, y)| x != y).count() <= 1;
    }
    // One character inserted: skipping it in the longer name must give the shorter one.
    let prefix = short.iter().zip(long.iter()).take_while(|(x, y)| x == y).count();
    short[prefix..] == long[prefix + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_scalars() {
        assert!(yaml11_reading("on").is_some());
        assert!(yaml11_reading("y").is_some());
        assert!(yaml11_reading("1.0").is_some());
        assert!(yaml11_reading("80").is_some());
        assert!(yaml11_reading("web").is_none());
        assert!(yaml11_reading("v1").is_none());
        assert!(yaml11_reading("1.2.3").is_none());
        assert!(yaml11_reading("e5").is_none());
        assert!(similar("ingress", "ingres"));
        assert!(similar("podSelector", "podselector"));
        assert!(!similar("egress", "ingress"));
    }
}
