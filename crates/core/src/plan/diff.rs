//! Field-level diff of two desired states: every changed leaf, keyed by object and path.

use super::FieldChange;
use crate::graph::Desired;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Desired state as flat `path → leaf` pairs, keyed by object so changes read well.
pub(super) fn flatten_desired(desired: &Desired) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    match desired {
        Desired::Objects(objects) => {
            for object in objects {
                flatten(&format!("{}:", object.reference()), &object.body, &mut out);
            }
        }
        Desired::Action(action) => {
            if let Ok(value) = serde_json::to_value(action) {
                flatten("", &value, &mut out);
            }
        }
    }
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else if prefix.ends_with(':') {
            format!("{prefix} {key}")
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

/// The leaves that differ between `old` and `new`, in path order.
pub(super) fn field_changes(old: &Desired, new: &Desired) -> Vec<FieldChange> {
    let before = flatten_desired(old);
    let after = flatten_desired(new);
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| FieldChange {
            path: k.clone(),
            old: before.get(k).cloned(),
            new: after.get(k).cloned(),
        })
        .collect()
}
