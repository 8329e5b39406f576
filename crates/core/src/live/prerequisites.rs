//! Objects that must exist in the cluster before another object is written, when no
//! graph edge can say so because something other than meshctl creates them: a
//! TrafficSplit's backend Services include mirrors, which Linkerd's service mirror
//! creates on its own schedule after the Link is applied. Writing the split first would
//! make linkerd-smi route to a Service that does not exist yet.

use super::object::ObjectRef;
use serde_json::Value;

/// What must exist before `body` (an object about to be written) is applied: for a
/// TrafficSplit, each backend Service in its namespace (deduplicated, in order).
pub fn before_write(body: &Value) -> Vec<ObjectRef> {
    if body.get("kind").and_then(Value::as_str) != Some("TrafficSplit") {
        return Vec::new();
    }
    let namespace = body
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut out: Vec<ObjectRef> = Vec::new();
    let backends = body
        .pointer("/spec/backends")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for service in backends
        .iter()
        .filter_map(|b| b.get("service").and_then(Value::as_str))
    {
        let reference = ObjectRef {
            api_version: "v1".into(),
            kind: "Service".into(),
            namespace: namespace.clone(),
            name: service.to_string(),
        };
        if !out.contains(&reference) {
            out.push(reference);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_split_needs_each_backend_service_and_other_kinds_nothing() {
        let split = json!({"apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit",
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {"service": "podinfo", "backends": [
                {"service": "podinfo", "weight": 50},
                {"service": "podinfo-kind-demo3", "weight": 50},
                {"service": "podinfo", "weight": 1}]}});
        let names: Vec<String> = before_write(&split)
            .into_iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(
            names,
            [
                ObjectRef {
                    api_version: "v1".into(),
                    kind: "Service".into(),
                    namespace: Some("test".into()),
                    name: "podinfo".into()
                }
                .to_string(),
                ObjectRef {
                    api_version: "v1".into(),
                    kind: "Service".into(),
                    namespace: Some("test".into()),
                    name: "podinfo-kind-demo3".into()
                }
                .to_string()
            ]
        );
        assert!(before_write(&json!({"kind": "Service", "metadata": {"name": "x"}})).is_empty());
    }
}
