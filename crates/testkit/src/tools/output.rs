//! Printing objects the way the real CLIs do: multi-document YAML streams, Go's
//! `sigs.k8s.io/yaml` key order (alphabetical) where a CLI marshals Go structs itself, and
//! base64 for Secret data.

use base64::Engine;
use serde_json::{Map, Value};

/// One YAML document per object, each introduced by `---` (as `linkerd install` prints).
pub(crate) fn documents(objects: &[Value]) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        out.push_str(&yaml(object));
    }
    out
}

/// One value as YAML.
pub(crate) fn yaml(value: &Value) -> String {
    // Serialising a serde_json::Value to YAML cannot fail (no non-string keys exist).
    serde_yaml::to_string(value).unwrap_or_default()
}

/// The value with every map's keys sorted, as Go's YAML marshalling of structs/maps prints.
pub(crate) fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// Standard base64, as Secret `data` and webhook `caBundle` carry it.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64 (Secret `data`).
pub(crate) fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}
