//! What keeps a Namespace from being deleted by `meshctl destroy`: deleting a Namespace
//! deletes everything in it, so a Namespace meshctl made is deleted only when nothing in
//! it is someone else's. The executor lists [`USER_KINDS`] in the namespace; this
//! decides which of the listed objects are someone else's.

use super::object::ObjectRef;
use super::ownership::is_owned;
use serde_json::Value;

/// The kinds people create by hand in a namespace (apiVersion, kind). Objects controllers
/// make (Pods, ReplicaSets, Endpoints, Events) carry ownerReferences or go with these.
pub const USER_KINDS: [(&str, &str); 11] = [
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("networking.k8s.io/v1", "Ingress"),
];

/// Of the objects listed in a namespace, the ones that are someone else's: not owned by
/// this topology's ApplySet, not made by a controller (ownerReferences), and not made by
/// Kubernetes itself for every namespace (the `default` ServiceAccount, the
/// `kube-root-ca.crt` ConfigMap, service-account token Secrets). Sorted.
pub fn foreign_objects(listed: &[Value], applyset_id: &str) -> Vec<ObjectRef> {
    let mut out: Vec<ObjectRef> = listed
        .iter()
        .filter(|o| !is_owned(o, applyset_id))
        .filter(|o| {
            o.pointer("/metadata/ownerReferences")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        })
        .filter(|o| !made_by_kubernetes(o))
        .filter_map(ObjectRef::from_value)
        .collect();
    out.sort();
    out
}

fn made_by_kubernetes(object: &Value) -> bool {
    let kind = object.get("kind").and_then(Value::as_str);
    let name = object.pointer("/metadata/name").and_then(Value::as_str);
    match (kind, name) {
        (Some("ServiceAccount"), Some("default")) => true,
        (Some("ConfigMap"), Some("kube-root-ca.crt")) => true,
        (Some("Secret"), _) => {
            object.get("type").and_then(Value::as_str)
                == Some("kubernetes.io/service-account-token")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ownership::with_ownership_labels;
    use serde_json::json;

    #[test]
    fn only_someone_elses_objects_keep_a_namespace() {
        let id = "applyset-x-v1";
        let object = |kind: &str, name: &str| {
            json!({"apiVersion": "v1", "kind": kind,
                   "metadata": {"name": name, "namespace": "test"}})
        };
        let mut pod_child = object("ConfigMap", "generated");
        pod_child["metadata"]["ownerReferences"] = json!([{"kind": "Deployment", "name": "x"}]);
        let mut token = object("Secret", "default-token-abc");
        token["type"] = json!("kubernetes.io/service-account-token");
        let listed = vec![
            with_ownership_labels(&object("Service", "podinfo"), id),
            object("Service", "keep-me"),
            object("ServiceAccount", "default"),
            object("ConfigMap", "kube-root-ca.crt"),
            pod_child,
            token,
            object("Secret", "app-credentials"),
        ];
        let foreign: Vec<String> = foreign_objects(&listed, id)
            .iter()
            .map(|r| format!("{} {}", r.kind, r.name))
            .collect();
        assert_eq!(foreign, ["Secret app-credentials", "Service keep-me"]);
    }
}
