//! What a Link brings into its source cluster that meshctl does not write itself: the
//! Services Linkerd's service mirror creates (`<service>-<link name>`, labelled
//! `mirror.linkerd.io/mirrored-service=true` and `mirror.linkerd.io/cluster-name=<link
//! name>`). When meshctl prunes a Link it owns, it deletes that Link's mirrors in the same
//! step, as `linkerd multicluster unlink` does: the service mirror is pruned with the
//! Link, so nothing else would remove them, and a TrafficSplit could keep sending
//! traffic to a gateway that no longer answers.

use super::object::{split_api_version, ObjectRef};
use super::plan::{LiveAction, ObjectPlan};
use serde_json::Value;

/// Linkerd's Link CRD group.
pub const LINK_GROUP: &str = "multicluster.linkerd.io";
/// Set to `"true"` on every mirrored Service.
pub const MIRRORED_SERVICE_LABEL: &str = "mirror.linkerd.io/mirrored-service";
/// The Link (target cluster name) a mirror belongs to.
pub const CLUSTER_NAME_LABEL: &str = "mirror.linkerd.io/cluster-name";

/// The Link's name when `object` is a Linkerd Link (its `--cluster-name`).
pub fn link_name(object: &ObjectRef) -> Option<&str> {
    let (group, _) = split_api_version(&object.api_version);
    (group == LINK_GROUP && object.kind == "Link").then_some(object.name.as_str())
}

/// The label selector of the Services mirrored through the Link named `link`.
pub fn selector(link: &str) -> String {
    format!("{MIRRORED_SERVICE_LABEL}=true,{CLUSTER_NAME_LABEL}={link}")
}

/// The prune entries for the mirrors listed with [`selector`]: each listed Service that
/// really carries both labels (a server that ignored the selector cannot widen what
/// meshctl deletes), sorted.
pub fn prune_entries(link: &str, listed: &[Value]) -> Vec<ObjectPlan> {
    let label = |value: &Value, key: &str| {
        value
            .pointer("/metadata/labels")
            .and_then(|labels| labels.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut refs: Vec<ObjectRef> = listed
        .iter()
        .filter(|s| {
            label(s, MIRRORED_SERVICE_LABEL).as_deref() == Some("true")
                && label(s, CLUSTER_NAME_LABEL).as_deref() == Some(link)
        })
        .filter_map(ObjectRef::from_value)
        .filter(|r| r.kind == "Service")
        .collect();
    refs.sort();
    refs.into_iter()
        .map(|r| {
            ObjectPlan::simple(
                r,
                LiveAction::Delete,
                Some(format!(
                    "mirrored through Link {link}, which is removed (as `linkerd multicluster unlink` does)"
                )),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(name: &str, labels: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": "test", "labels": labels}})
    }

    #[test]
    fn only_services_carrying_both_labels_of_that_link_are_pruned() {
        let link = ObjectRef {
            api_version: "multicluster.linkerd.io/v1alpha1".into(),
            kind: "Link".into(),
            namespace: Some("linkerd-multicluster".into()),
            name: "kind-demo3".into(),
        };
        assert_eq!(link_name(&link), Some("kind-demo3"));
        assert_eq!(
            selector("kind-demo3"),
            "mirror.linkerd.io/mirrored-service=true,mirror.linkerd.io/cluster-name=kind-demo3"
        );
        let listed = [
            service(
                "podinfo-kind-demo3",
                json!({"mirror.linkerd.io/mirrored-service": "true",
                       "mirror.linkerd.io/cluster-name": "kind-demo3"}),
            ),
            service(
                "podinfo-kind-other",
                json!({"mirror.linkerd.io/mirrored-service": "true",
                       "mirror.linkerd.io/cluster-name": "kind-other"}),
            ),
            service("podinfo", json!({"app": "podinfo"})),
        ];
        let entries = prune_entries("kind-demo3", &listed);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].object.name, "podinfo-kind-demo3");
        assert_eq!(entries[0].action, LiveAction::Delete);
        let not_a_link = ObjectRef {
            kind: "Service".into(),
            api_version: "v1".into(),
            ..link
        };
        assert_eq!(link_name(&not_a_link), None);
    }
}
