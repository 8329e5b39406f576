//! The fake tools' only door into a [`FakeCluster`]: reading, listing, applying and deleting
//! objects through its in-process API, as the field manager the real tool would use.

use serde_json::Value;

use crate::FakeCluster;

/// The cluster's API server URL (what a kubeconfig's `server` holds).
pub(crate) fn url(cluster: &FakeCluster) -> String {
    cluster.url().to_string()
}

/// One object, if it exists.
pub(crate) fn get(
    cluster: &FakeCluster,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> Option<Value> {
    cluster.object(api_version, kind, namespace, name)
}

/// Every object of a kind, in all namespaces.
pub(crate) fn list(cluster: &FakeCluster, api_version: &str, kind: &str) -> Vec<Value> {
    cluster.objects(api_version, kind)
}

/// Every object of a kind in one namespace.
pub(crate) fn list_in(
    cluster: &FakeCluster,
    api_version: &str,
    kind: &str,
    namespace: &str,
) -> Vec<Value> {
    list(cluster, api_version, kind)
        .into_iter()
        .filter(|o| o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(namespace))
        .collect()
}

/// Server-side apply of `object` as `manager`.
pub(crate) fn apply(cluster: &FakeCluster, manager: &str, object: &Value) -> Result<(), String> {
    cluster
        .apply_as(manager, object.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Deletes an object; true when it existed.
pub(crate) fn delete(
    cluster: &FakeCluster,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) -> bool {
    cluster.delete(api_version, kind, namespace, name)
}

/// Whether a namespace exists.
pub(crate) fn namespace_exists(cluster: &FakeCluster, name: &str) -> bool {
    get(cluster, "v1", "Namespace", None, name).is_some()
}
