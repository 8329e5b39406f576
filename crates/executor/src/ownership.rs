//! Ownership in kubectl's ApplySet convention (KEP-3659), so `kubectl` users see and
//! can prune the same set: per cluster, a parent Secret `kube-system/meshctl-<topology>`
//! labelled `applyset.kubernetes.io/id`, annotated with the tooling and the member
//! group-kinds; every member labelled `applyset.kubernetes.io/part-of: <id>` (and
//! `app.kubernetes.io/managed-by: meshctl`).

use base64::Engine;
use meshctl_core::live::ownership::{
    APPLYSET_GROUP_KINDS_ANNOTATION, APPLYSET_ID_LABEL, APPLYSET_TOOLING_ANNOTATION,
};
use meshctl_core::live::{split_api_version, ObjectRef, MANAGED_BY_LABEL};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Namespace of the ApplySet parent (exists in every cluster).
pub const PARENT_NAMESPACE: &str = "kube-system";

/// One topology's ApplySet in one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplySet {
    /// The ApplySet id (`applyset-<base64url(sha256)>-v1`): the value of every member's
    /// `applyset.kubernetes.io/part-of` label.
    pub id: String,
    /// The parent Secret.
    pub parent: ObjectRef,
}

impl ApplySet {
    /// The ApplySet of a topology: parent `Secret kube-system/meshctl-<topology>`.
    pub fn for_topology(topology: &str) -> ApplySet {
        let parent = ObjectRef {
            api_version: "v1".into(),
            kind: "Secret".into(),
            namespace: Some(PARENT_NAMESPACE.into()),
            name: format!("meshctl-{topology}"),
        };
        ApplySet {
            id: applyset_id(&parent),
            parent,
        }
    }

    /// The parent object listing `group_kinds` as members.
    pub fn parent_body(&self, group_kinds: &BTreeSet<String>) -> Value {
        let kinds: Vec<&str> = group_kinds.iter().map(String::as_str).collect();
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": self.parent.name,
                "namespace": self.parent.namespace,
                "labels": {
                    APPLYSET_ID_LABEL: self.id,
                    MANAGED_BY_LABEL: "meshctl",
                },
                "annotations": {
                    APPLYSET_TOOLING_ANNOTATION: format!("meshctl/{}", env!("CARGO_PKG_VERSION")),
                    APPLYSET_GROUP_KINDS_ANNOTATION: kinds.join(","),
                },
            },
            "type": "Opaque",
        })
    }
}

/// KEP-3659's id: `applyset-<base64url-no-pad(sha256("<name>.<namespace>.<Kind>.<group>"))>-v1`.
pub fn applyset_id(parent: &ObjectRef) -> String {
    let key = format!(
        "{}.{}.{}.{}",
        parent.name,
        parent.namespace.as_deref().unwrap_or_default(),
        parent.kind,
        parent.group()
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    format!(
        "applyset-{}-v1",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
    )
}

/// `Kind.group` (`Kind` for the core group), as in `contains-group-kinds`.
pub fn group_kind(api_version: &str, kind: &str) -> String {
    match split_api_version(api_version).0 {
        "" => kind.to_string(),
        group => format!("{kind}.{group}"),
    }
}

/// The group-kinds a parent currently lists.
pub fn listed_group_kinds(parent: &Value) -> BTreeSet<String> {
    parent
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(APPLYSET_GROUP_KINDS_ANNOTATION))
        .and_then(Value::as_str)
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_follows_kep_3659() {
        // python3: base64.urlsafe_b64encode(sha256(b"meshctl-demo.kube-system.Secret.")) without padding
        assert_eq!(
            ApplySet::for_topology("demo").id,
            "applyset-KNUgqFR9KwXSN6WrTqmBSqgTBjlaKdZ9Ouj8azvNhYM-v1"
        );
    }

    #[test]
    fn the_parent_lists_its_members_kinds() {
        let set = ApplySet::for_topology("demo");
        let kinds: BTreeSet<String> = [
            group_kind("v1", "Namespace"),
            group_kind("split.smi-spec.io/v1alpha1", "TrafficSplit"),
        ]
        .into();
        let parent = set.parent_body(&kinds);
        assert_eq!(
            parent["metadata"]["annotations"][APPLYSET_GROUP_KINDS_ANNOTATION],
            "Namespace,TrafficSplit.split.smi-spec.io"
        );
        assert_eq!(parent["metadata"]["labels"][APPLYSET_ID_LABEL], set.id);
        assert_eq!(listed_group_kinds(&parent), kinds);
    }
}
