//! Field sets as the real server's managedFields see them: each path element is written in
//! the `fieldsV1` notation (`f:spec`, `k:{"port":80,"protocol":"TCP"}`, `v:"x"`), a field set
//! is a sorted set of such paths, and `fieldsV1` trees convert to and from it. Also which
//! lists are associative (list-maps keyed by `name`, `port`+`protocol`, ...), sets or atomic.

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// One path from the object root, each element in `fieldsV1` notation.
pub type Path = Vec<String>;
/// The fields a manager owns.
pub type FieldSet = BTreeSet<Path>;

/// How a list merges: by key (list-map), as a set of scalars, or replaced whole (atomic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    /// Items identified by these key fields.
    Map(Vec<&'static str>),
    /// Scalars, identified by value.
    Set,
    /// Replaced as a whole; owned as one leaf.
    Atomic,
}

/// The list type of the field `field`, judged from its name and items, as the built-in
/// OpenAPI schemas declare them (`x-kubernetes-list-type`/`-map-keys`).
pub fn list_kind(field: &str, items: &[Value]) -> ListKind {
    let has = |key: &str| items.iter().all(|i| i.get(key).is_some());
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "webhooks"
        | "hostAliases"
        | "versions"
            if has("name") =>
        {
            ListKind::Map(vec!["name"])
        }
        "ports" if has("containerPort") => ListKind::Map(vec!["containerPort", "protocol"]),
        "ports" if has("port") => ListKind::Map(vec!["port", "protocol"]),
        "volumeMounts" if has("mountPath") => ListKind::Map(vec!["mountPath"]),
        "conditions" if has("type") => ListKind::Map(vec!["type"]),
        "ownerReferences" if has("uid") => ListKind::Map(vec!["uid"]),
        "finalizers" if items.iter().all(|i| !i.is_object() && !i.is_array()) => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

/// The `k:{...}` element naming `item` in a list-map with `keys`; `protocol` defaults to TCP
/// as the schemas' key defaults say. None when the item lacks a key field.
pub fn item_key(keys: &[&str], item: &Value) -> Option<String> {
    let mut key = Map::new();
    for k in keys {
        match item.get(*k) {
            Some(v) if !v.is_null() => {
                key.insert((*k).to_string(), v.clone());
            }
            _ if *k == "protocol" => {
                key.insert("protocol".into(), Value::String("TCP".into()));
            }
            _ => return None,
        }
    }
    // Keys are written sorted by field name, compactly.
    let sorted: std::collections::BTreeMap<_, _> = key.into_iter().collect();
    let text = serde_json::to_string(&sorted).ok()?;
    Some(format!("k:{text}"))
}

/// Whether `item` matches the parsed key of a `k:` element (with the protocol default).
fn item_matches(key: &Map<String, Value>, item: &Value) -> bool {
    key.iter().all(|(k, v)| match item.get(k) {
        Some(iv) if !iv.is_null() => iv == v,
        _ => k == "protocol" && v == "TCP",
    })
}

/// Top-level and metadata fields that never appear in managedFields.
const IGNORED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generateName",
];

/// Which part of an object a write may touch (the main resource resets status, the status
/// subresource resets everything but status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything but apiVersion/kind/server metadata.
    Whole,
    /// Everything but status (kinds with a status subresource, main endpoint).
    NoStatus,
    /// Only status (the /status subresource).
    StatusOnly,
}

/// Whether a top-level field is in the scope.
pub fn in_scope(scope: Scope, field: &str) -> bool {
    match field {
        "apiVersion" | "kind" => false,
        "status" => scope != Scope::NoStatus,
        "metadata" => scope != Scope::StatusOnly,
        _ => scope != Scope::StatusOnly,
    }
}

/// The field set of an object: every leaf, every list-map item (its "." member) and, with
/// `maps_as_members` (Update operations), every non-empty map too.
pub fn field_set(obj: &Value, scope: Scope, maps_as_members: bool) -> FieldSet {
    let mut out = FieldSet::new();
    let Some(map) = obj.as_object() else {
        return out;
    };
    for (k, v) in map {
        if !in_scope(scope, k) || v.is_null() {
            continue;
        }
        let mut prefix = vec![format!("f:{k}")];
        if k == "metadata" {
            if let Some(meta) = v.as_object() {
                for (mk, mv) in meta {
                    if IGNORED_METADATA.contains(&mk.as_str()) || mv.is_null() {
                        continue;
                    }
                    prefix.push(format!("f:{mk}"));
                    walk(mv, mk, &mut prefix, &mut out, maps_as_members);
                    prefix.pop();
                }
            }
            continue;
        }
        walk(v, k, &mut prefix, &mut out, maps_as_members);
    }
    out
}

fn walk(v: &Value, field: &str, prefix: &mut Path, out: &mut FieldSet, maps: bool) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            if maps {
                out.insert(prefix.clone());
            }
            for (k, child) in m {
                if child.is_null() {
                    continue;
                }
                prefix.push(format!("f:{k}"));
                walk(child, k, prefix, out, maps);
                prefix.pop();
            }
        }
        Value::Array(items) if !items.is_empty() => match list_kind(field, items) {
            ListKind::Map(keys) => {
                for item in items {
                    let Some(key) = item_key(&keys, item) else {
                        continue;
                    };
                    prefix.push(key);
                    out.insert(prefix.clone());
                    if let Some(fields) = item.as_object() {
                        for (k, child) in fields {
                            if child.is_null() {
                                continue;
                            }
                            prefix.push(format!("f:{k}"));
                            walk(child, k, prefix, out, maps);
                            prefix.pop();
                        }
                    }
                    prefix.pop();
                }
            }
            ListKind::Set => {
                for item in items {
                    prefix.push(format!("v:{}", item));
                    out.insert(prefix.clone());
                    prefix.pop();
                }
            }
            ListKind::Atomic => {
                out.insert(prefix.clone());
            }
        },
        _ => {
            out.insert(prefix.clone());
        }
    }
}

/// The value at `path`, if present.
pub fn get_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for elem in path {
        cur = step(cur, elem)?;
    }
    Some(cur)
}

fn step<'a>(cur: &'a Value, elem: &str) -> Option<&'a Value> {
    if let Some(name) = elem.strip_prefix("f:") {
        return cur.as_object()?.get(name).filter(|v| !v.is_null());
    }
    if let Some(key) = elem.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(key).ok()?;
        return cur.as_array()?.iter().find(|i| item_matches(&key, i));
    }
    if let Some(value) = elem.strip_prefix("v:") {
        let value: Value = serde_json::from_str(value).ok()?;
        return cur.as_array()?.iter().find(|i| **i == value);
    }
    None
}

/// Removes the field, item or set value at `path`; then drops maps the removal emptied.
/// Returns whether something was removed.
pub fn remove_at(obj: &mut Value, path: &[String]) -> bool {
    let Some((last, parent_path)) = path.split_last() else {
        return false;
    };
    let removed = {
        let mut cur = &mut *obj;
        for elem in parent_path {
            match step_mut(cur, elem) {
                Some(next) => cur = next,
                None => return false,
            }
        }
        remove_child(cur, last)
    };
    if removed && parent_path.len() > 1 {
        // Typed objects omit empty maps; drop one the removal left empty.
        let empty = get_at(obj, parent_path)
            .map(|p| p.as_object().is_some_and(|m| m.is_empty()))
            .unwrap_or(false);
        if empty {
            remove_at(obj, parent_path);
        }
    }
    removed
}

fn step_mut<'a>(cur: &'a mut Value, elem: &str) -> Option<&'a mut Value> {
    if let Some(name) = elem.strip_prefix("f:") {
        return cur.as_object_mut()?.get_mut(name);
    }
    if let Some(key) = elem.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(key).ok()?;
        return cur
            .as_array_mut()?
            .iter_mut()
            .find(|i| item_matches(&key, i));
    }
    None
}

fn remove_child(cur: &mut Value, elem: &str) -> bool {
    if let Some(name) = elem.strip_prefix("f:") {
        return cur
            .as_object_mut()
            .map(|m| m.remove(name).is_some())
            .unwrap_or(false);
    }
    let Some(items) = cur.as_array_mut() else {
        return false;
    };
    let before = items.len();
    if let Some(key) = elem.strip_prefix("k:") {
        if let Ok(key) = serde_json::from_str::<Map<String, Value>>(key) {
            items.retain(|i| !item_matches(&key, i));
        }
    } else if let Some(value) = elem.strip_prefix("v:") {
        if let Ok(value) = serde_json::from_str::<Value>(value) {
            items.retain(|i| *i != value);
        }
    }
    items.len() != before
}

/// The `fieldsV1` tree of a set: `{"f:spec":{"f:replicas":{}}}`, with `".": {}` marking a
/// member that also has children.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for elem in path {
            let entry = node
                .entry(elem.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(child) = entry else {
                break;
            };
            node = child;
        }
    }
    let mut value = Value::Object(root);
    mark_members(&mut value, set, &mut Vec::new());
    value
}

/// Adds `"."` to every node that is itself a member and has children.
fn mark_members(node: &mut Value, set: &FieldSet, prefix: &mut Path) {
    let Value::Object(map) = node else {
        return;
    };
    let has_children = map.keys().any(|k| k != ".");
    if has_children && !prefix.is_empty() && set.contains(prefix) {
        map.insert(".".into(), Value::Object(Map::new()));
    }
    let keys: Vec<String> = map.keys().filter(|k| *k != ".").cloned().collect();
    for k in keys {
        prefix.push(k.clone());
        if let Some(child) = map.get_mut(&k) {
            mark_members(child, set, prefix);
        }
        prefix.pop();
    }
    // Keep "." first as the real server prints it.
    if let Some(dot) = map.remove(".") {
        let rest = std::mem::take(map);
        map.insert(".".into(), dot);
        map.extend(rest);
    }
}

/// Parses a `fieldsV1` tree back into a set.
pub fn from_fields_v1(tree: &Value) -> FieldSet {
    fn go(node: &Value, prefix: &mut Path, out: &mut FieldSet) {
        let Some(map) = node.as_object() else {
            return;
        };
        if (map.is_empty() || map.contains_key(".")) && !prefix.is_empty() {
            out.insert(prefix.clone());
        }
        for (k, child) in map {
            if k == "." {
                continue;
            }
            prefix.push(k.clone());
            go(child, prefix, out);
            prefix.pop();
        }
    }
    let mut out = FieldSet::new();
    go(tree, &mut Vec::new(), &mut out);
    out
}

/// The path as the real conflict messages print it: `.spec.ports[port=80,protocol="TCP"].name`.
pub fn display(path: &[String]) -> String {
    let mut out = String::new();
    for elem in path {
        if let Some(name) = elem.strip_prefix("f:") {
            out.push('.');
            out.push_str(name);
        } else if let Some(key) = elem.strip_prefix("k:") {
            let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(key)
                .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            out.push_str(&format!("[{}]", parts.join(",")));
        } else if let Some(value) = elem.strip_prefix("v:") {
            out.push_str(&format!("[={value}]"));
        }
    }
    out
}

/// Whether `path` is a leaf of `obj` (not a non-empty map and not a list-map item).
pub fn is_leaf(obj: &Value, path: &[String]) -> bool {
    if path.last().is_some_and(|e| e.starts_with("k:")) {
        return false;
    }
    !matches!(get_at(obj, path), Some(Value::Object(m)) if !m.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(elems: &[&str]) -> Path {
        elems.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn service_ports_are_keyed_by_port_and_defaulted_protocol() {
        let svc = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"ports": [{"port": 80, "targetPort": 8080}]}});
        let set = field_set(&svc, Scope::NoStatus, false);
        let key = r#"k:{"port":80,"protocol":"TCP"}"#;
        assert!(set.contains(&p(&["f:spec", "f:ports", key])));
        assert!(set.contains(&p(&["f:spec", "f:ports", key, "f:targetPort"])));
        assert!(set.contains(&p(&["f:metadata", "f:labels", "f:app"])));
        // name, apiVersion and kind are never owned.
        assert!(!set.iter().any(|p| p.contains(&"f:name".to_string())));
        assert!(!set.iter().any(|p| p[0] == "f:apiVersion"));
        assert_eq!(
            display(&p(&["f:spec", "f:ports", key, "f:targetPort"])),
            r#".spec.ports[port=80,protocol="TCP"].targetPort"#
        );
    }

    #[test]
    fn fields_v1_marks_members_with_children_by_a_dot() {
        let obj = json!({"spec": {"containers": [{"name": "app", "image": "nginx"}]}});
        let set = field_set(&obj, Scope::Whole, false);
        let tree = to_fields_v1(&set);
        assert_eq!(
            tree,
            json!({"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {
                ".": {}, "f:image": {}, "f:name": {}}}}})
        );
        assert_eq!(from_fields_v1(&tree), set);
    }

    #[test]
    fn update_sets_count_maps_as_members() {
        let obj = json!({"data": {"key": "v"}});
        let set = field_set(&obj, Scope::Whole, true);
        assert_eq!(
            to_fields_v1(&set),
            json!({"f:data": {".": {}, "f:key": {}}})
        );
    }

    #[test]
    fn finalizers_are_sets_and_args_atomic() {
        let obj = json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"args": ["x"]}});
        let set = field_set(&obj, Scope::Whole, false);
        assert!(set.contains(&p(&["f:metadata", "f:finalizers", "v:\"a\""])));
        assert!(set.contains(&p(&["f:spec", "f:args"])));
    }

    #[test]
    fn removal_drops_items_and_emptied_maps() {
        let mut obj = json!({"metadata": {"labels": {"a": "1"}},
            "spec": {"ports": [{"port": 80}, {"port": 81, "protocol": "UDP"}]}});
        assert!(remove_at(&mut obj, &p(&["f:metadata", "f:labels", "f:a"])));
        assert!(remove_at(
            &mut obj,
            &p(&["f:spec", "f:ports", r#"k:{"port":80,"protocol":"TCP"}"#])
        ));
        assert_eq!(
            obj,
            json!({"metadata": {}, "spec": {"ports": [{"port": 81, "protocol": "UDP"}]}})
        );
        assert!(!remove_at(&mut obj, &p(&["f:spec", "f:missing"])));
    }
}
