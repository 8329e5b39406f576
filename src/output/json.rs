//! `--output json`: one document, stable shape (docs/topology.md, "Machine output").
//!
//! `{"version": 1, "diagnostics": [{file, code, severity, path, line, column, message,
//! hint, related}], "summary": {files, errors, warnings}}`

use super::{totals, FileReport};
use serde_json::{json, Value};

pub fn document(reports: &[FileReport]) -> Value {
    let diagnostics: Vec<Value> = reports
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
        .collect();
    let (errors, warnings) = totals(reports);
    json!({
        "version": 1,
        "diagnostics": diagnostics,
        "summary": {"files": reports.len(), "errors": errors, "warnings": warnings},
    })
}

/// What `-o json` prints on stdout when a command fails before its report (file missing,
/// invalid topology, cluster unreachable): `{"version": 1, "error": {kind, message, file,
/// exitCode}}`. The human message is on stderr as well.
pub fn error_document(kind: &str, message: &str, file: Option<&str>) -> Value {
    json!({
        "version": 1,
        "error": {
            "kind": kind,
            "message": message,
            "file": file,
            "exitCode": 1,
        },
    })
}
