//! `--output json`: one document, stable shape (docs/topology.md, "Machine output").
//!
//! `{"version": 1, "diagnostics": [{file, code, severity, path, line, column, message,
//! hint, related}], "summary": {files, errors, warnings}}`

use super::{totals, FileReport};
use serde_json::{json, Value};

pub fn document(reports: &[FileReport]) -> Value {
    let (errors, warnings) = totals(reports);
    json!({
        "version": 1,
        "diagnostics": diagnostics(reports),
        "summary": {"files": reports.len(), "errors": errors, "warnings": warnings},
    })
}

/// The diagnostics of `reports`, each as an object of the shape above.
pub fn diagnostics(reports: &[FileReport]) -> Vec<Value> {
    reports
        .iter()
        .flat_map(|r| {
            r.diagnostics.iter().map(move |d| {
                let mut value = serde_json::to_value(d).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut value {
                    map.insert("file".to_string(), Value::String(r.name.clone()));
                    map.entry("line").or_insert(Value::Null);
                    map.entry("column").or_insert(Value::Null);
                    map.entry("hint").or_insert(Value::Null);
                }
                value
            })
        })
        .collect()
}

/// What `-o json` prints on stdout when a command fails before its report (file missing,
/// invalid topology, unknown `--target`): `{"version": 1, "error": {kind, message, file,
/// exitCode}, "diagnostics": [...]}`, the diagnostics (validate's shape) when the topology
/// was invalid. The human message is on stderr as well.
pub fn error_document(kind: &str, message: &str, file: &str, diagnostics: Vec<Value>) -> Value {
    json!({
        "version": 1,
        "error": {
            "kind": kind,
            "message": message,
            "file": file,
            "exitCode": 1,
        },
        "diagnostics": diagnostics,
    })
}
