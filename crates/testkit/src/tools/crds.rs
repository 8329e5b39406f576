//! CustomResourceDefinitions the fake tools install or print. A chart's real CRD is read
//! from the directory named by `MESHCTL_SHARED_CRDS` when the caller sets it (the upstream
//! files in `shared/crds`); otherwise a minimal CRD with the exact names, group, kind and
//! versions and a schema that keeps every field.

use serde::Deserialize;
use serde_json::{json, Value};

/// A served version of a CRD, and whether it is the storage version.
pub(crate) struct Version(pub &'static str, pub bool);

/// A minimal `apiextensions.k8s.io/v1` CRD: names exact, schema open.
pub(crate) fn minimal(
    group: &str,
    kind: &str,
    plural: &str,
    scope: &str,
    versions: &[Version],
) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|Version(name, storage)| {
            json!({
                "name": name,
                "served": true,
                "storage": storage,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
            })
        })
        .collect();
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "names": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural, "singular": kind.to_lowercase()},
            "scope": scope,
            "versions": versions,
        },
    })
}

/// The CRD in `<dir>/<file>` when `dir` (the caller's `MESHCTL_SHARED_CRDS`) holds it.
pub(crate) fn shared(dir: Option<&str>, file: &str) -> Option<Value> {
    let dir = dir.filter(|d| !d.is_empty())?;
    let text = std::fs::read_to_string(std::path::Path::new(dir).join(file)).ok()?;
    let found = serde_yaml::Deserializer::from_str(&text)
        .filter_map(|doc| Value::deserialize(doc).ok())
        .find(|doc| doc.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition"));
    found
}

/// The shared CRD if available, else `fallback`.
pub(crate) fn shared_or(dir: Option<&str>, file: &str, fallback: Value) -> Value {
    shared(dir, file).unwrap_or(fallback)
}
