//! SARIF 2.1.0 output, for code-scanning UIs (GitHub code scanning, GitLab, IDEs).
//!
//! One run; one rule per diagnostic code that occurs (id = the code, e.g. `E023`); one
//! result per diagnostic, located at its file, line and column, with the diagnostic's
//! `related` places as related locations. docs/gitops.md shows how to upload it.

use super::FileReport;
use meshctl_core::diagnostics::Related;
use meshctl_core::validate::codes;
use meshctl_core::{Diagnostic, Location, Severity};
use serde_json::{json, Map, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");

pub fn document(reports: &[FileReport]) -> Value {
    let diagnostics: Vec<(&FileReport, &Diagnostic)> = reports
        .iter()
        .flat_map(|r| r.diagnostics.iter().map(move |d| (r, d)))
        .collect();

    // One rule per code, in code order; the first diagnostic of a code describes it.
    let mut rule_codes: Vec<&'static str> = diagnostics.iter().map(|(_, d)| d.code).collect();
    rule_codes.sort_unstable();
    rule_codes.dedup();
    let rules: Vec<Value> = rule_codes
        .iter()
        .map(|&code| {
            let of_code = || {
                diagnostics
                    .iter()
                    .map(|(_, d)| d)
                    .filter(move |d| d.code == code)
            };
            let severity = of_code()
                .map(|d| d.severity)
                .max()
                .unwrap_or(Severity::Error);
            rule(code, severity, of_code().find_map(|d| d.hint.as_deref()))
        })
        .collect();

    let results: Vec<Value> = diagnostics
        .iter()
        .map(|(report, d)| {
            let rule_index = rule_codes
                .iter()
                .position(|c| *c == d.code)
                .unwrap_or_default();
            result(&report.name, d, rule_index)
        })
        .collect();

    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "meshctl",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule(code: &str, severity: Severity, hint: Option<&str>) -> Value {
    let summary = codes::summary(code).unwrap_or("meshctl diagnostic");
    let help = hint.map_or_else(
        || format!("See docs/topology.md, code {code}."),
        str::to_string,
    );
    json!({
        "id": code,
        "name": rule_name(summary),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": format!("{code}: {summary}. docs/topology.md has a bad and a fixed example.")},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(severity)},
    })
}

fn result(file: &str, d: &Diagnostic, rule_index: usize) -> Value {
    let mut text = if d.path.is_empty() {
        d.message.clone()
    } else {
        format!("{}: {}", d.path, d.message)
    };
    if let Some(hint) = &d.hint {
        text.push_str("\nhelp: ");
        text.push_str(hint);
    }
    let mut value = json!({
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": {"text": text},
        "locations": [physical(file, d.location)],
    });
    if !d.related.is_empty() {
        let related: Vec<Value> = d
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| related_location(file, i, r))
            .collect();
        value["relatedLocations"] = Value::Array(related);
    }
    value
}

fn related_location(file: &str, id: usize, r: &Related) -> Value {
    let mut value = physical(r.file.as_deref().unwrap_or(file), r.location);
    value["id"] = json!(id);
    value["message"] = json!({"text": format!("{}: {}", r.path, r.message)});
    value
}

/// `{"physicalLocation": {artifactLocation, region?}}`; no region without a position.
fn physical(file: &str, location: Option<Location>) -> Value {
    let mut physical = Map::new();
    physical.insert("artifactLocation".into(), json!({"uri": uri(file)}));
    if let Some(loc) = location {
        physical.insert(
            "region".into(),
            json!({"startLine": loc.line, "startColumn": loc.column}),
        );
    }
    json!({"physicalLocation": physical})
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The file name as given, as a relative URI reference: `/` separators, no leading
/// `./`, anything but unreserved characters and `/` percent-encoded; `<stdin>` → `stdin`.
fn uri(name: &str) -> String {
    if name == "<stdin>" {
        return "stdin".to_string();
    }
    let name = name.replace('\\', "/");
    let name = name.strip_prefix("./").unwrap_or(&name);
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A rule name from its summary: "subnets of two clusters overlap" →
/// `SubnetsOfTwoClustersOverlap`.
fn rule_name(summary: &str) -> String {
    summary
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_names() {
        assert_eq!(uri("<stdin>"), "stdin");
        assert_eq!(
            uri("./clusters/prod topology.yaml"),
            "clusters/prod%20topology.yaml"
        );
        assert_eq!(uri("a\\b.yaml"), "a/b.yaml");
        assert_eq!(
            rule_name("subnets of two clusters overlap"),
            "SubnetsOfTwoClustersOverlap"
        );
        assert_eq!(rule_name("CIDR with host bits set"), "CIDRWithHostBitsSet");
    }
}
