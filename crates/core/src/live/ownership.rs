//! Who owns a live object and its fields: meshctl's ownership marker (kubectl's ApplySet
//! convention, KEP-3659), the field managers recorded in `managedFields`, and the
//! managers named by a server-side apply conflict.

use super::compare::{FieldPath, Segment};
use serde::Serialize;
use serde_json::Value;

/// The field manager meshctl applies as.
pub const FIELD_MANAGER: &str = "meshctl";

/// Whether a field manager is meshctl's: `meshctl`, or `meshctl-<part>` for a node that
/// adds fields to an object another node applies (an export label on a workload's
/// Service). Each applier needs its own manager: server-side apply removes the fields a
/// manager stops sending, so two partial intents under one manager would undo each other.
pub fn is_meshctl_manager(manager: &str) -> bool {
    manager == FIELD_MANAGER || manager.starts_with("meshctl-")
}
/// Label every object meshctl applies carries, with value [`MANAGED_BY_VALUE`].
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// The value of [`MANAGED_BY_LABEL`] on meshctl's objects.
pub const MANAGED_BY_VALUE: &str = "meshctl";
/// ApplySet membership label: its value is the id of the topology's ApplySet parent.
pub const PART_OF_LABEL: &str = "applyset.kubernetes.io/part-of";
/// Label on the ApplySet parent carrying its id.
pub const APPLYSET_ID_LABEL: &str = "applyset.kubernetes.io/id";
/// Annotation on the parent naming the tool that manages the set (`meshctl/<version>`).
pub const APPLYSET_TOOLING_ANNOTATION: &str = "applyset.kubernetes.io/tooling";
/// Annotation on the parent listing the member group-kinds (`Kind.group`, sorted, comma-separated).
pub const APPLYSET_GROUP_KINDS_ANNOTATION: &str = "applyset.kubernetes.io/contains-group-kinds";

/// Whether meshctl owns a live object for this topology: it carries the membership label
/// of the ApplySet `applyset_id` and meshctl is one of its field managers. Labels alone
/// are not enough: controllers copy them (Linkerd's service mirror copies an exported
/// Service's labels onto its mirror), and a copy is not meshctl's to change or delete.
/// An object without `managedFields` (a server that does not keep them) is taken at the
/// label's word.
pub fn is_owned(live: &Value, applyset_id: &str) -> bool {
    if label(live, PART_OF_LABEL) != Some(applyset_id) {
        return false;
    }
    let managers = managed_fields(live);
    managers.is_empty()
        || managers
            .iter()
            .any(|(manager, _)| is_meshctl_manager(manager))
}

/// A label's value on an object.
pub fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .pointer("/metadata/labels")
        .and_then(|labels| labels.get(key))
        .and_then(Value::as_str)
}

/// Returns `body` with meshctl's ownership labels added to `metadata.labels`.
pub fn with_ownership_labels(body: &Value, applyset_id: &str) -> Value {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        let metadata = map
            .entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(metadata) = metadata.as_object_mut() {
            let labels = metadata
                .entry("labels")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Some(labels) = labels.as_object_mut() {
                labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY_VALUE.into());
                labels.insert(PART_OF_LABEL.into(), applyset_id.into());
            }
        }
    }
    body
}

/// The field managers recorded in the live object's `managedFields` with their field
/// sets.
fn managed_fields(live: &Value) -> Vec<(&str, &Value)> {
    live.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| {
                    let manager = e.get("manager").and_then(Value::as_str)?;
                    Some((manager, e.get("fieldsV1").unwrap_or(&Value::Null)))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The field managers that own `path` in the live object, from its `managedFields`
/// (sorted, deduplicated; meshctl included when it is one).
pub fn managers_of(live: &Value, path: &FieldPath) -> Vec<String> {
    let mut owners: Vec<String> = managed_fields(live)
        .into_iter()
        .filter(|(_, fields)| owns(fields, &path.0))
        .map(|(manager, _)| manager.to_string())
        .collect();
    owners.sort();
    owners.dedup();
    owners
}

/// The managers other than meshctl's that have written the object at all (sorted).
pub fn other_writers(live: &Value) -> Vec<String> {
    let mut writers: Vec<String> = managed_fields(live)
        .into_iter()
        .map(|(manager, _)| manager.to_string())
        .filter(|m| !is_meshctl_manager(m))
        .collect();
    writers.sort();
    writers.dedup();
    writers
}

/// Whether a `fieldsV1` set covers `path`: each key is `f:<name>`; list items are `k:…`,
/// `v:…` or `i:…` entries, any of which may hold the rest; reaching a leaf (`{}`) before
/// the path ends means the manager owns the whole subtree (an atomic field or list).
fn owns(fields: &Value, path: &[Segment]) -> bool {
    let Some(map) = fields.as_object() else {
        return false;
    };
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    if map.is_empty() || (map.len() == 1 && map.contains_key(".")) {
        return true;
    }
    match first {
        Segment::Key(key) => map
            .get(&format!("f:{key}"))
            .is_some_and(|sub| owns(sub, rest)),
        Segment::Index(_) => map
            .iter()
            .filter(|(k, _)| k.starts_with("k:") || k.starts_with("v:") || k.starts_with("i:"))
            .any(|(_, sub)| owns(sub, rest)),
    }
}

/// Whether `manager`'s entry in `managedFields` holds a field the desired body no
/// longer declares: server-side apply will remove it, so the object is not unchanged
/// even though every declared field holds. Walks `f:` keys while the desired value is an
/// object; lists are compared whole by the subset check, so the walk stops there.
pub fn owns_undeclared_fields(live: &Value, desired: &Value, manager: &str) -> bool {
    managed_fields(live)
        .into_iter()
        .filter(|(m, _)| *m == manager)
        .any(|(_, fields)| undeclared(fields, desired))
}

fn undeclared(fields: &Value, desired: &Value) -> bool {
    let (Some(fields), Some(desired)) = (fields.as_object(), desired.as_object()) else {
        return false;
    };
    fields
        .iter()
        .any(|(key, sub)| match key.strip_prefix("f:") {
            Some(name) => match desired.get(name) {
                None => true,
                Some(child) => undeclared(sub, child),
            },
            // `.` (the field itself) and list item keys: nothing to check at this level.
            None => false,
        })
}

/// A server-side apply conflict (HTTP 409): who else owns which fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// The other field managers, as the server named them.
    pub managers: Vec<String>,
    /// The conflicting fields (`.spec.replicas`).
    pub fields: Vec<String>,
}

impl Conflict {
    /// Reads a conflict from the Status of a 409: its `details.causes`
    /// (`{"type":"FieldManagerConflict","message":"conflict with \"kubectl\"","field":".data.key"}`),
    /// or from the message when the server gave no causes.
    pub fn from_status(status: &Value) -> Conflict {
        let mut managers = Vec::new();
        let mut fields = Vec::new();
        let causes = status
            .pointer("/details/causes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for cause in &causes {
            if let Some(message) = cause.get("message").and_then(Value::as_str) {
                managers.extend(quoted_names(message));
            }
            if let Some(field) = cause.get("field").and_then(Value::as_str) {
                fields.push(field.to_string());
            }
        }
        if managers.is_empty() {
            if let Some(message) = status.get("message").and_then(Value::as_str) {
                managers.extend(quoted_names(message));
                fields.extend(
                    message
                        .split(['\n', ' '])
                        .map(|w| w.trim_start_matches('-').trim())
                        .filter(|w| w.starts_with('.') && w.len() > 1)
                        .map(str::to_string),
                );
            }
        }
        managers.sort();
        managers.dedup();
        fields.sort();
        fields.dedup();
        Conflict { managers, fields }
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let managers: Vec<String> = self.managers.iter().map(|m| format!("\"{m}\"")).collect();
        write!(
            f,
            "conflict with {} over {}",
            if managers.is_empty() {
                "another field manager".to_string()
            } else {
                managers.join(", ")
            },
            if self.fields.is_empty() {
                "some fields".to_string()
            } else {
                self.fields.join(", ")
            }
        )
    }
}

/// Every `"quoted"` name in a conflict message.
fn quoted_names(message: &str) -> Vec<String> {
    message
        .split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, name)| name.to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(keys: &[&str]) -> FieldPath {
        FieldPath(keys.iter().map(|k| Segment::Key(k.to_string())).collect())
    }

    #[test]
    fn ownership_is_the_applyset_membership_label() {
        let body = with_ownership_labels(&json!({"metadata": {"name": "x"}}), "applyset-abc-v1");
        assert!(is_owned(&body, "applyset-abc-v1"));
        assert!(!is_owned(&body, "applyset-other-v1"));
        assert_eq!(label(&body, MANAGED_BY_LABEL), Some("meshctl"));
    }

    #[test]
    fn a_copied_label_does_not_make_an_object_meshctls() {
        let mut mirror = with_ownership_labels(
            &json!({"metadata": {"name": "podinfo-east"}}),
            "applyset-abc-v1",
        );
        mirror["metadata"]["managedFields"] =
            json!([{"manager": "service-mirror", "operation": "Update"}]);
        assert!(!is_owned(&mirror, "applyset-abc-v1"));
        mirror["metadata"]["managedFields"] = json!([{"manager": "meshctl", "operation": "Apply"}]);
        assert!(is_owned(&mirror, "applyset-abc-v1"));
    }

    #[test]
    fn the_manager_owning_a_changed_field_is_named() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "meshctl", "operation": "Apply",
             "fieldsV1": {"f:spec": {"f:backends": {}}}},
            {"manager": "kubectl-edit", "operation": "Update",
             "fieldsV1": {"f:spec": {"f:service": {}}}},
            {"manager": "kube-controller", "operation": "Update",
             "fieldsV1": {"f:status": {}}}
        ]}});
        assert_eq!(
            managers_of(&live, &path(&["spec", "service"])),
            ["kubectl-edit"]
        );
        assert_eq!(
            managers_of(&live, &path(&["spec", "backends"])),
            ["meshctl"]
        );
        // A list item owned by key.
        let live = json!({"metadata": {"managedFields": [
            {"manager": "hand", "fieldsV1": {"f:spec": {"f:ports": {"k:{\"port\":80}": {"f:name": {}}}}}}
        ]}});
        let item = FieldPath(vec![
            Segment::Key("spec".into()),
            Segment::Key("ports".into()),
            Segment::Index(0),
            Segment::Key("name".into()),
        ]);
        assert_eq!(managers_of(&live, &item), ["hand"]);
        assert!(managers_of(&live, &path(&["spec", "selector"])).is_empty());
        assert_eq!(other_writers(&live), ["hand"]);
    }

    #[test]
    fn a_field_meshctl_applied_and_no_longer_declares_is_found() {
        let live = json!({"metadata": {"managedFields": [
            {"manager": "meshctl", "operation": "Apply", "fieldsV1": {
                "f:metadata": {"f:annotations": {"f:linkerd.io/inject": {}}, "f:labels": {"f:a": {}}},
                "f:spec": {"f:ports": {"k:{\"port\":80}": {".": {}, "f:port": {}}}}}},
            {"manager": "other", "fieldsV1": {"f:metadata": {"f:labels": {"f:b": {}}}}}
        ]}});
        let declared = json!({"metadata": {"annotations": {"linkerd.io/inject": "enabled"}, "labels": {"a": "1"}},
                              "spec": {"ports": [{"port": 80}]}});
        assert!(!owns_undeclared_fields(&live, &declared, FIELD_MANAGER));
        let dropped =
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"ports": [{"port": 80}]}});
        assert!(
            owns_undeclared_fields(&live, &dropped, FIELD_MANAGER),
            "the annotation is no longer declared"
        );
        assert!(!owns_undeclared_fields(
            &live,
            &dropped,
            "meshctl-exportlabel"
        ));
    }

    #[test]
    fn a_conflict_names_the_manager_and_fields() {
        let status = json!({"kind":"Status","code":409,"reason":"Conflict",
            "message":"Apply failed with 1 conflict: conflict with \"kubectl\": .data.key",
            "details":{"causes":[{"type":"FieldManagerConflict",
                "message":"conflict with \"kubectl\"","field":".data.key"}]}});
        let conflict = Conflict::from_status(&status);
        assert_eq!(conflict.managers, ["kubectl"]);
        assert_eq!(conflict.fields, [".data.key"]);
        assert_eq!(
            conflict.to_string(),
            "conflict with \"kubectl\" over .data.key"
        );
    }

    #[test]
    fn a_conflict_without_causes_is_read_from_the_message() {
        let status = json!({"code":409,
            "message":"Apply failed with 2 conflicts: conflicts with \"bar\":\n- .spec.a\n- .spec.b"});
        let conflict = Conflict::from_status(&status);
        assert_eq!(conflict.managers, ["bar"]);
        assert_eq!(conflict.fields, [".spec.a", ".spec.b"]);
    }
}
