//! Server-side apply and field ownership, as pure functions over JSON values: merging an
//! applied configuration into the live object (list-maps by key, sets by value, atomic lists
//! replaced), the per-manager field sets of `managedFields`, conflicts with other managers,
//! `force` taking fields over, removal of fields a manager stopped applying, ownership moves
//! on Update operations (PUT, merge patch), and RFC 7386 JSON merge patch.

use crate::fieldpath::{self, field_set, get_at, is_leaf, FieldSet, ListKind, Path, Scope};
use serde_json::{Map, Value};

/// `managedFields[].operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Create, PUT, merge patch.
    Update,
}

impl Operation {
    /// As written in managedFields.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedEntry {
    /// Field manager name.
    pub manager: String,
    /// Apply or Update.
    pub operation: Operation,
    /// apiVersion the manager wrote with.
    pub api_version: String,
    /// When the manager's fields last changed.
    pub time: String,
    /// `status` for writes through the status subresource.
    pub subresource: Option<String>,
    /// The fields it owns.
    pub fields: FieldSet,
}

impl ManagedEntry {
    fn same_identity(&self, manager: &str, op: Operation, sub: Option<&str>) -> bool {
        self.manager == manager && self.operation == op && self.subresource.as_deref() == sub
    }

    /// The entry as it appears in `metadata.managedFields`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
        m.insert("fieldsV1".into(), fieldpath::to_fields_v1(&self.fields));
        m.insert("manager".into(), Value::String(self.manager.clone()));
        m.insert(
            "operation".into(),
            Value::String(self.operation.as_str().into()),
        );
        if let Some(sub) = &self.subresource {
            m.insert("subresource".into(), Value::String(sub.clone()));
        }
        m.insert("time".into(), Value::String(self.time.clone()));
        Value::Object(m)
    }
}

/// A field another manager owns with a different value.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The other manager.
    pub manager: String,
    /// Its operation (Update conflicts name apiVersion and time in the message).
    pub operation: Operation,
    /// Its apiVersion.
    pub api_version: String,
    /// Its time.
    pub time: String,
    /// The field.
    pub path: Path,
}

/// Who writes what: the inputs of one server-side apply (or Update operation).
#[derive(Debug, Clone)]
pub struct ApplyRequest<'a> {
    /// The field manager.
    pub manager: &'a str,
    /// The apiVersion of the request.
    pub api_version: &'a str,
    /// Which part of the object this endpoint may write.
    pub scope: Scope,
    /// `force=true`.
    pub force: bool,
    /// Timestamp for changed managedFields entries.
    pub now: &'a str,
    /// `status` when applied through the status subresource.
    pub subresource: Option<&'a str>,
}

/// Server-side apply of `applied` onto `live` (None = create). Returns the merged object
/// (without server defaults) and the new managedFields, or the conflicts when not forced.
pub fn server_side_apply(
    live: Option<&Value>,
    managed: &[ManagedEntry],
    applied: &Value,
    req: &ApplyRequest<'_>,
) -> Result<(Value, Vec<ManagedEntry>), Vec<Conflict>> {
    let applied = strip_nulls(applied);
    let applied_set = field_set(&applied, req.scope, false);
    let empty = Value::Object(Map::new());
    let live_value = live.unwrap_or(&empty);

    // Conflicts: a leaf whose value would change and which someone else owns.
    let changed: FieldSet = applied_set
        .iter()
        .filter(|p| is_leaf(&applied, p) && get_at(live_value, p) != get_at(&applied, p))
        .cloned()
        .collect();
    let mut conflicts = Vec::new();
    for path in &changed {
        if get_at(live_value, path).is_none() {
            continue;
        }
        for e in managed {
            if e.same_identity(req.manager, Operation::Apply, req.subresource) {
                continue;
            }
            if e.fields.contains(path) {
                conflicts.push(Conflict {
                    manager: e.manager.clone(),
                    operation: e.operation,
                    api_version: e.api_version.clone(),
                    time: e.time.clone(),
                    path: path.clone(),
                });
            }
        }
    }
    if !conflicts.is_empty() && !req.force {
        return Err(conflicts);
    }

    let mut merged = live_value.clone();
    merge_scoped(&mut merged, &applied, req.scope);
    for key in ["apiVersion", "kind"] {
        if let Some(v) = applied.get(key) {
            merged[key] = v.clone();
        }
    }

    // Others lose the fields whose value this apply changes (only possible when forced).
    let mut entries: Vec<ManagedEntry> = managed.to_vec();
    for e in entries.iter_mut() {
        if !e.same_identity(req.manager, Operation::Apply, req.subresource) {
            e.fields.retain(|p| !changed.contains(p));
        }
    }

    // Fields this manager applied before and no longer applies go, unless someone else owns them.
    let previous: FieldSet = managed
        .iter()
        .find(|e| e.same_identity(req.manager, Operation::Apply, req.subresource))
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    let others: Vec<&Path> = entries
        .iter()
        .filter(|e| !e.same_identity(req.manager, Operation::Apply, req.subresource))
        .flat_map(|e| e.fields.iter())
        .collect();
    // Shortest first: removing a list item or map takes its fields along.
    let mut dropped: Vec<&Path> = previous.difference(&applied_set).collect();
    dropped.sort_by_key(|p| p.len());
    let mut removed: Vec<&Path> = Vec::new();
    for path in dropped {
        if removed.iter().any(|r| path.starts_with(r)) {
            continue;
        }
        let owned_elsewhere = others.iter().any(|o| o.starts_with(path));
        let still_applied = get_at(&applied, path).is_some()
            || applied_set
                .iter()
                .any(|a| path.starts_with(a) && a.len() < path.len());
        if !owned_elsewhere && !still_applied {
            fieldpath::remove_at(&mut merged, path);
            removed.push(path);
        }
    }

    let time = if previous == applied_set {
        managed
            .iter()
            .find(|e| e.same_identity(req.manager, Operation::Apply, req.subresource))
            .map(|e| e.time.clone())
            .unwrap_or_else(|| req.now.to_string())
    } else {
        req.now.to_string()
    };
    let mine = ManagedEntry {
        manager: req.manager.to_string(),
        operation: Operation::Apply,
        api_version: req.api_version.to_string(),
        time,
        subresource: req.subresource.map(str::to_string),
        fields: applied_set,
    };
    upsert(&mut entries, mine);
    entries.retain(|e| !e.fields.is_empty());
    Ok((merged, entries))
}

/// Ownership after an Update operation (create, PUT, merge patch) by `manager`: it takes the
/// fields it changed, and everyone loses the fields it changed or removed. No conflicts.
/// `req.force` plays no part.
pub fn update_ownership(
    old: Option<&Value>,
    new: &Value,
    managed: &[ManagedEntry],
    req: &ApplyRequest<'_>,
) -> Vec<ManagedEntry> {
    let (manager, api_version, scope, subresource, now) = (
        req.manager,
        req.api_version,
        req.scope,
        req.subresource,
        req.now,
    );
    let empty = Value::Object(Map::new());
    let old_value = old.unwrap_or(&empty);
    let new_set = field_set(new, scope, true);
    let old_set = field_set(old_value, scope, true);
    let changed: FieldSet = new_set
        .iter()
        .filter(|p| {
            if is_leaf(new, p) {
                get_at(old_value, p) != get_at(new, p)
            } else {
                get_at(old_value, p).is_none()
            }
        })
        .cloned()
        .collect();
    let removed: FieldSet = old_set.difference(&new_set).cloned().collect();
    let mut entries: Vec<ManagedEntry> = managed.to_vec();
    let mut previous = FieldSet::new();
    let mut previous_time = None;
    for e in entries.iter_mut() {
        if e.same_identity(manager, Operation::Update, subresource) {
            previous = e.fields.clone();
            previous_time = Some(e.time.clone());
        } else {
            e.fields
                .retain(|p| !changed.contains(p) && !removed.contains(p));
        }
    }
    let mut fields: FieldSet = previous.difference(&removed).cloned().collect();
    fields.extend(changed);
    let time = match previous_time {
        Some(t) if fields == previous => t,
        _ => now.to_string(),
    };
    upsert(
        &mut entries,
        ManagedEntry {
            manager: manager.to_string(),
            operation: Operation::Update,
            api_version: api_version.to_string(),
            time,
            subresource: subresource.map(str::to_string),
            fields,
        },
    );
    entries.retain(|e| !e.fields.is_empty());
    entries
}

fn upsert(entries: &mut Vec<ManagedEntry>, entry: ManagedEntry) {
    match entries.iter_mut().find(|e| {
        e.same_identity(
            &entry.manager,
            entry.operation,
            entry.subresource.as_deref(),
        )
    }) {
        Some(existing) => *existing = entry,
        None => entries.push(entry),
    }
}

/// The real conflict message: `Apply failed with 1 conflict: conflict with "kubectl": .data.key`,
/// or for several managers/fields the multi-line form.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    let who = |c: &Conflict| match c.operation {
        Operation::Apply => format!("\"{}\"", c.manager),
        Operation::Update => format!("\"{}\" using {} at {}", c.manager, c.api_version, c.time),
    };
    if conflicts.len() == 1 {
        let c = &conflicts[0];
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            who(c),
            fieldpath::display(&c.path)
        );
    }
    // Grouped by manager, in first-seen order.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for c in conflicts {
        let w = who(c);
        let field = fieldpath::display(&c.path);
        match groups.iter_mut().find(|(m, _)| *m == w) {
            Some((_, fields)) => fields.push(field),
            None => groups.push((w, vec![field])),
        }
    }
    let mut out = format!("Apply failed with {} conflicts: ", conflicts.len());
    let parts: Vec<String> = groups
        .iter()
        .map(|(w, fields)| {
            if fields.len() == 1 {
                format!("conflict with {w}: {}", fields[0])
            } else {
                let lines: Vec<String> = fields.iter().map(|f| format!("- {f}")).collect();
                format!("conflicts with {w}:\n{}", lines.join("\n"))
            }
        })
        .collect();
    out.push_str(&parts.join("\n"));
    out
}

/// The message of one conflict cause: `conflict with "kubectl"`.
pub fn cause_message(c: &Conflict) -> String {
    match c.operation {
        Operation::Apply => format!("conflict with \"{}\"", c.manager),
        Operation::Update => format!(
            "conflict with \"{}\" using {} at {}",
            c.manager, c.api_version, c.time
        ),
    }
}

/// Merges the in-scope top-level fields of `applied` into `target`.
fn merge_scoped(target: &mut Value, applied: &Value, scope: Scope) {
    let (Some(t), Some(a)) = (target.as_object_mut(), applied.as_object()) else {
        return;
    };
    for (k, v) in a {
        if k == "metadata" {
            // name/namespace come along so a create has them.
            let mut merged = t.get(k).cloned().unwrap_or(Value::Object(Map::new()));
            merge_value(&mut merged, v, k);
            t.insert(k.clone(), merged);
            continue;
        }
        if !fieldpath::in_scope(scope, k) {
            continue;
        }
        match t.get_mut(k) {
            Some(existing) => merge_value(existing, v, k),
            None => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Structural merge of an applied value into a live one.
pub fn merge_value(live: &mut Value, applied: &Value, field: &str) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, av) in a {
                match l.get_mut(k) {
                    Some(lv) => merge_value(lv, av, k),
                    None => {
                        l.insert(k.clone(), av.clone());
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(a)) => match fieldpath::list_kind(field, a) {
            ListKind::Map(keys) if matches!(fieldpath::list_kind(field, l), ListKind::Map(_)) => {
                for item in a {
                    let key = fieldpath::item_key(&keys, item);
                    let pos = l
                        .iter()
                        .position(|li| key.is_some() && fieldpath::item_key(&keys, li) == key);
                    match pos {
                        Some(i) => merge_value(&mut l[i], item, ""),
                        None => l.push(item.clone()),
                    }
                }
            }
            ListKind::Set => {
                for item in a {
                    if !l.contains(item) {
                        l.push(item.clone());
                    }
                }
            }
            _ => *l = a.clone(),
        },
        (l, a) => *l = a.clone(),
    }
}

/// The applied configuration without explicit nulls (they set nothing).
pub fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                let entry = t.entry(k.clone()).or_insert(Value::Null);
                merge_patch(entry, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req<'a>(manager: &'a str, force: bool) -> ApplyRequest<'a> {
        ApplyRequest {
            manager,
            api_version: "v1",
            scope: Scope::Whole,
            force,
            now: "2026-01-01T00:00:00Z",
            subresource: None,
        }
    }

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "d"}, "data": data})
    }

    #[test]
    fn a_second_manager_changing_a_field_conflicts_and_force_takes_it() {
        let (live, managed) =
            server_side_apply(None, &[], &cm(json!({"key": "a"})), &req("kubectl", false)).unwrap();
        let conflicts = server_side_apply(
            Some(&live),
            &managed,
            &cm(json!({"key": "b"})),
            &req("other", false),
        )
        .unwrap_err();
        assert_eq!(
            conflict_message(&conflicts),
            r#"Apply failed with 1 conflict: conflict with "kubectl": .data.key"#
        );
        let (forced, owners) = server_side_apply(
            Some(&live),
            &managed,
            &cm(json!({"key": "b"})),
            &req("other", true),
        )
        .unwrap();
        assert_eq!(forced["data"]["key"], "b");
        // kubectl owned only .data.key, so its entry is gone.
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].manager, "other");
    }

    #[test]
    fn equal_values_are_shared_not_conflicting() {
        let (live, managed) =
            server_side_apply(None, &[], &cm(json!({"key": "a"})), &req("kubectl", false)).unwrap();
        let (same, owners) = server_side_apply(
            Some(&live),
            &managed,
            &cm(json!({"key": "a"})),
            &req("other", false),
        )
        .unwrap();
        assert_eq!(same, live);
        assert_eq!(owners.len(), 2);
        assert!(owners.iter().all(|o| o
            .fields
            .contains(&vec!["f:data".to_string(), "f:key".to_string()])));
    }

    #[test]
    fn fields_no_longer_applied_are_removed_unless_owned_elsewhere() {
        let (live, managed) = server_side_apply(
            None,
            &[],
            &cm(json!({"a": "1", "b": "2"})),
            &req("kubectl", false),
        )
        .unwrap();
        let (live2, managed2) = server_side_apply(
            Some(&live),
            &managed,
            &cm(json!({"b": "2"})),
            &req("other", false),
        )
        .unwrap();
        let (after, _) = server_side_apply(
            Some(&live2),
            &managed2,
            &cm(json!({"c": "3"})),
            &req("kubectl", false),
        )
        .unwrap();
        // a: only kubectl owned it -> removed; b: "other" co-owns it -> kept.
        assert_eq!(after["data"], json!({"b": "2", "c": "3"}));
    }

    #[test]
    fn reapplying_the_same_config_changes_nothing() {
        let obj = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "namespace": "d"},
            "spec": {"ports": [{"port": 80, "name": "http"}], "selector": {"app": "x"}}});
        let (live, managed) = server_side_apply(None, &[], &obj, &req("m", false)).unwrap();
        let mut later = req("m", false);
        later.now = "2030-01-01T00:00:00Z";
        let (again, managed2) = server_side_apply(Some(&live), &managed, &obj, &later).unwrap();
        assert_eq!(again, live);
        assert_eq!(
            managed2, managed,
            "time is kept when the field set is unchanged"
        );
    }

    #[test]
    fn a_container_no_longer_applied_is_removed_and_others_keep_theirs() {
        let deploy = |containers: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
                "spec": {"template": {"spec": {"containers": containers}}}})
        };
        let two = deploy(json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]));
        let (live, managed) = server_side_apply(None, &[], &two, &req("m", false)).unwrap();
        // Another manager adds a sidecar through its own apply.
        let sidecar = deploy(json!([{"name": "c", "image": "z"}]));
        let (live, managed) =
            server_side_apply(Some(&live), &managed, &sidecar, &req("injector", false)).unwrap();
        let one = deploy(json!([{"name": "a", "image": "x"}]));
        let (after, _) = server_side_apply(Some(&live), &managed, &one, &req("m", false)).unwrap();
        let names: Vec<&str> = after["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn list_map_items_merge_by_key() {
        let mut live =
            json!({"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80, "name": "a"}]});
        merge_value(
            &mut live,
            &json!({"ports": [{"port": 80, "name": "b"}, {"port": 443}]}),
            "",
        );
        assert_eq!(
            live,
            json!({"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80, "name": "b"}, {"port": 443}]})
        );
    }

    #[test]
    fn update_takes_changed_fields_from_appliers() {
        let (live, managed) = server_side_apply(
            None,
            &[],
            &cm(json!({"key": "a", "k2": "x"})),
            &req("kubectl", false),
        )
        .unwrap();
        let mut edited = live.clone();
        edited["data"]["key"] = json!("edited");
        let mut edit = req("kubectl-edit", false);
        edit.now = "t";
        let owners = update_ownership(Some(&live), &edited, &managed, &edit);
        let kubectl = owners.iter().find(|o| o.manager == "kubectl").unwrap();
        let edit = owners.iter().find(|o| o.manager == "kubectl-edit").unwrap();
        let key: Path = vec!["f:data".into(), "f:key".into()];
        assert!(!kubectl.fields.contains(&key));
        assert!(edit.fields.contains(&key));
        assert_eq!(edit.operation, Operation::Update);
        // Applying the old value again now conflicts with the Update manager.
        let conflicts = server_side_apply(
            Some(&edited),
            &owners,
            &cm(json!({"key": "a"})),
            &req("kubectl", false),
        )
        .unwrap_err();
        assert_eq!(
            conflict_message(&conflicts),
            r#"Apply failed with 1 conflict: conflict with "kubectl-edit" using v1 at t: .data.key"#
        );
    }

    #[test]
    fn several_conflicts_use_the_multi_line_form() {
        let c = |m: &str, f: &str| Conflict {
            manager: m.into(),
            operation: Operation::Apply,
            api_version: "v1".into(),
            time: "t".into(),
            path: vec!["f:data".into(), format!("f:{f}")],
        };
        assert_eq!(
            conflict_message(&[c("bar", "a"), c("bar", "b")]),
            "Apply failed with 2 conflicts: conflicts with \"bar\":\n- .data.a\n- .data.b"
        );
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch(&mut t, &json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(t, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }
}
