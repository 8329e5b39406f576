//! Desired against live, without false drift.
//!
//! First a local check — does every field meshctl declares already hold in the live
//! object? — that costs no request. Only objects failing it get a server-side apply dry
//! run, and then the diff shown is live against the dry-run result with server
//! bookkeeping stripped, so values the server fills in (defaults, status, managedFields)
//! appear on both sides and never as drift.

use crate::plan::FieldChange;
use serde_json::{Map, Value};
use std::fmt;

/// Metadata the server maintains on every write; never part of a diff.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
];

/// Whether every field declared in `desired` is present with an equal value in `live`.
///
/// Objects: each declared key must hold recursively; keys only the server set are
/// ignored. Arrays: same length and every element holds (the whole list is declared).
/// Scalars: equal (numbers compared by value, so `8080` and `8080.0` agree). A declared
/// `null` holds when the field is absent or null.
pub fn declared_fields_hold(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(want), Value::Object(have)) => {
            want.iter().all(|(key, value)| match have.get(key) {
                Some(live_value) => declared_fields_hold(value, live_value),
                None => value.is_null(),
            })
        }
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len()
                && want
                    .iter()
                    .zip(have)
                    .all(|(w, h)| declared_fields_hold(w, h))
        }
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        (Value::Null, Value::Null) => true,
        (want, have) => want == have,
    }
}

/// The object without what the server maintains: metadata bookkeeping
/// (managedFields, resourceVersion, generation, uid, creationTimestamp) and `status`.
pub fn strip_server_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for key in SERVER_METADATA {
                metadata.remove(*key);
            }
            // Drop maps left empty so `{}` against absent is not a change.
            for key in ["annotations", "labels"] {
                if metadata
                    .get(key)
                    .and_then(Value::as_object)
                    .is_some_and(Map::is_empty)
                {
                    metadata.remove(key);
                }
            }
        }
    }
    object
}

/// A desired body without what only the server sets: `status`, and the metadata
/// bookkeeping tools print empty (`creationTimestamp: null` in every Go-rendered
/// manifest). Sent as it is, such a field never holds against the live object.
pub fn without_server_fields(desired: &Value) -> Value {
    strip_server_fields(desired)
}

/// One step of a path into an object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// A path into an object, shown as `spec.backends[1].weight` (the offline plan's form).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    fn child(&self, segment: Segment) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(segment);
        FieldPath(segments)
    }

    /// The first key, if the path starts with one (`data` for `data.token`).
    pub fn first_key(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One changed leaf between two values of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    /// Where the values differ.
    pub path: FieldPath,
    /// `None`: the field is added.
    pub before: Option<Value>,
    /// `None`: the field is removed.
    pub after: Option<Value>,
}

impl FieldDiff {
    /// The plan's form of this change.
    pub fn to_field_change(&self) -> FieldChange {
        FieldChange {
            path: self.path.to_string(),
            old: self.before.clone(),
            new: self.after.clone(),
        }
    }
}

/// Every leaf that differs between `before` and `after`, in path order. Lists of equal
/// length are compared element by element; otherwise the elements past the shorter one
/// are added or removed.
pub fn field_diff(before: &Value, after: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    diff_into(&FieldPath::default(), Some(before), Some(after), &mut out);
    out
}

/// [`field_diff`] of the two objects with server bookkeeping stripped from both: the
/// diff between a live object and its server-side apply dry-run result.
pub fn live_diff(live: &Value, dry_run: &Value) -> Vec<FieldDiff> {
    field_diff(&strip_server_fields(live), &strip_server_fields(dry_run))
}

fn diff_into(path: &FieldPath, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldDiff>) {
    // A map added or removed whole is shown leaf by leaf, like any other change.
    let empty = Value::Object(Default::default());
    let (a, b) = match (a, b) {
        (None, Some(Value::Object(m))) if !m.is_empty() => (Some(&empty), b),
        (Some(Value::Object(m)), None) if !m.is_empty() => (a, Some(&empty)),
        other => other,
    };
    match (a, b) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                diff_into(
                    &path.child(Segment::Key(key.clone())),
                    a.get(key),
                    b.get(key),
                    out,
                );
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                diff_into(&path.child(Segment::Index(i)), a.get(i), b.get(i), out);
            }
        }
        (Some(Value::Number(x)), Some(Value::Number(y))) if x.as_f64() == y.as_f64() => {}
        (a, b) if a == b => {}
        (a, b) => out.push(FieldDiff {
            path: path.clone(),
            before: a.cloned(),
            after: b.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_added_fields_do_not_break_the_subset() {
        let desired = json!({"metadata": {"name": "p", "labels": {"a": "1"}},
                             "spec": {"ports": [{"port": 80}]}});
        let live = json!({"metadata": {"name": "p", "uid": "u", "labels": {"a": "1", "b": "2"}},
                          "spec": {"ports": [{"port": 80, "protocol": "TCP"}], "clusterIP": "10.0.0.1"},
                          "status": {}});
        assert!(declared_fields_hold(&desired, &live));
    }

    #[test]
    fn a_changed_or_missing_declared_field_fails_the_subset() {
        let desired = json!({"spec": {"backends": [{"service": "a", "weight": 50}]}});
        let changed = json!({"spec": {"backends": [{"service": "a", "weight": 10}]}});
        let missing = json!({"spec": {}});
        assert!(!declared_fields_hold(&desired, &changed));
        assert!(!declared_fields_hold(&desired, &missing));
    }

    #[test]
    fn a_list_must_have_the_same_length() {
        let desired = json!({"addresses": ["10.0.0.1-10.0.0.9"]});
        let longer = json!({"addresses": ["10.0.0.1-10.0.0.9", "10.1.0.0/24"]});
        assert!(!declared_fields_hold(&desired, &longer));
    }

    #[test]
    fn integers_and_floats_of_equal_value_hold() {
        assert!(declared_fields_hold(&json!({"w": 50}), &json!({"w": 50.0})));
        assert!(field_diff(&json!({"w": 50}), &json!({"w": 50.0})).is_empty());
    }

    #[test]
    fn a_declared_null_holds_when_absent() {
        assert!(declared_fields_hold(&json!({"x": null}), &json!({})));
    }

    #[test]
    fn diff_names_each_changed_leaf_by_path() {
        let before = json!({"spec": {"backends": [{"service": "a", "weight": 50},
                                                  {"service": "b", "weight": 50}]}});
        let after = json!({"spec": {"backends": [{"service": "a", "weight": 50},
                                                 {"service": "b", "weight": 80}],
                                    "extra": true}});
        let diff = field_diff(&before, &after);
        let shown: Vec<(String, Option<Value>, Option<Value>)> = diff
            .iter()
            .map(|d| (d.path.to_string(), d.before.clone(), d.after.clone()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "spec.backends[1].weight".to_string(),
                    Some(json!(50)),
                    Some(json!(80))
                ),
                ("spec.extra".to_string(), None, Some(json!(true))),
            ]
        );
    }

    #[test]
    fn a_map_removed_whole_is_shown_by_its_leaves() {
        let before = json!({"metadata": {"annotations": {"a/b": "x"}}});
        let after = json!({"metadata": {}});
        let diff = field_diff(&before, &after);
        assert_eq!(diff.len(), 1);
        assert_eq!(diff[0].path.to_string(), "metadata.annotations.a/b");
        assert_eq!(
            (diff[0].before.clone(), diff[0].after.clone()),
            (Some(json!("x")), None)
        );
    }

    #[test]
    fn a_rendered_null_creation_timestamp_is_not_declared() {
        let rendered = json!({"metadata": {"name": "x", "creationTimestamp": null}, "status": {}});
        let live = json!({"metadata": {"name": "x", "creationTimestamp": "2026-01-01T00:00:00Z"}});
        assert!(!declared_fields_hold(&rendered, &live));
        assert!(declared_fields_hold(
            &without_server_fields(&rendered),
            &live
        ));
    }

    #[test]
    fn server_bookkeeping_is_not_drift() {
        let live = json!({"metadata": {"name": "x", "resourceVersion": "1", "generation": 1,
                                       "managedFields": [{"manager": "kubectl"}]},
                          "spec": {"a": 1}, "status": {"ready": true}});
        let dry_run = json!({"metadata": {"name": "x", "resourceVersion": "2", "generation": 2,
                                          "managedFields": [{"manager": "meshctl"}]},
                             "spec": {"a": 1}, "status": {"ready": false}});
        assert!(live_diff(&live, &dry_run).is_empty());
    }
}
