//! Diagnostics as a SARIF 2.1.0 log, the format code hosts read to annotate pull requests: one run
//! of the tool `moat`, one rule per code that occurs (described from [`crate::query::lint::RULES`]
//! where it is a lint check), one result per diagnostic with its file and region. Columns count
//! characters, as moat's locations do (`columnKind: unicodeCodePoints`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Severity};
use crate::query::lint;
use crate::render::diagnostics::in_source_order;
use crate::source::Sources;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The SARIF log of `diagnostics`, pretty-printed, for moat of version `version`.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, version: &str) -> String {
    let sorted = in_source_order(diagnostics);
    let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
    for diagnostic in &sorted {
        rules.entry(diagnostic.code).or_insert_with(|| {
            let (summary, severity) = match lint::rule(diagnostic.code) {
                Some(rule) => (rule.summary.to_string(), rule.severity),
                None => (format!("a problem in the manifests ({})", diagnostic.code), diagnostic.severity),
            };
            json!({
                "id": diagnostic.code,
                "shortDescription": {"text": summary},
                "defaultConfiguration": {"level": level(severity)},
            })
        });
    }
    let results: Vec<Value> = sorted
        .iter()
        .map(|diagnostic| {
            let text = match &diagnostic.help {
                Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
                None => diagnostic.message.clone(),
            };
            let mut result = json!({
                "ruleId": diagnostic.code,
                "level": level(diagnostic.severity),
                "message": {"text": text},
            });
            if let Some(span) = diagnostic.span {
                // Regions end at their last character, not at the next line.
                let location = sources.location(sources.trim_end(span));
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&location.file)},
                        "region": {
                            "startLine": location.line,
                            "startColumn": location.column,
                            "endLine": location.end_line,
                            "endColumn": location.end_column,
                        },
                    },
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "moat", "version": version, "rules": rules.into_values().collect::<Vec<_>>()}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// A URI for a file name: a relative reference for a relative path (code hosts resolve it against
/// the repository), a `file:` URI for an absolute one; `/` separators, and the characters a URI
/// cannot hold percent-encoded.
fn uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    let absolute = path.starts_with('/') || path.as_bytes().get(1) == Some(&b':');
    let mut out = String::from(match (absolute, path.starts_with('/')) {
        (true, true) => "file://",
        (true, false) => "file:///",
        (false, _) => "",
    });
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(char::from(byte)),
            b':' if absolute => out.push(':'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    #[test]
    fn a_result_per_diagnostic_and_a_rule_per_code() -> Result<(), serde_json::Error> {
        let mut sources = Sources::default();
        sources.add("dir/my policy.yaml", "a: 1\nb: 2\n");
        let diagnostics = [
            Diagnostic::warning(lint::ALLOW_ALL_RULE, "allows all").at(Span::new(FileId(0), 5, 9)).help("narrow it"),
            Diagnostic::error("invalid-port", "bad port").at(Span::new(FileId(0), 0, 1)),
            Diagnostic::note(lint::NO_PODS, "no pods"),
        ];
        let log: Value = serde_json::from_str(&render(&diagnostics, &sources, "1.2.3"))?;
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["version"], "1.2.3");
        let rules: Vec<&str> =
            run["tool"]["driver"]["rules"].as_array().into_iter().flatten().filter_map(|r| r["id"].as_str()).collect();
        assert_eq!(rules, ["allow-all-rule", "invalid-port", "no-pods"]);
        let results = &run["results"];
        assert_eq!(results[0]["ruleId"], "no-pods");
        assert!(results[0].get("locations").is_none());
        assert_eq!(results[1]["level"], "error");
        let location = &results[2]["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "dir/my%20policy.yaml");
        assert_eq!(location["region"], json!({"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 5}));
        assert_eq!(results[2]["message"]["text"], "allows all\nhelp: narrow it");
        assert_eq!(uri("/srv/k8s/a b.yaml"), "file:///srv/k8s/a%20b.yaml");
        assert_eq!(uri("C:\\k8s\\p.yaml"), "file:///C:/k8s/p.yaml");
        Ok(())
    }
}
