//! Field-level diff of two desired states: every changed leaf, keyed by object and path.

use super::FieldChange;
use crate::graph::Desired;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

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

/// The paths of the leaves of `desired` that are the string `text`, as `flatten_desired`
/// names them and in its order (sorted; a path written twice keeps its last leaf). Walks
/// with one path buffer instead of building every leaf's path and value: a plan entry
/// asks this of every node, and almost no leaf matches.
pub(super) fn leaves_equal_to(desired: &Desired, text: &str) -> Vec<String> {
    let mut found = LeafSearch {
        text,
        path: String::new(),
        matches: Vec::new(),
    };
    match desired {
        Desired::Objects(objects) => {
            for object in objects {
                found.path.clear();
                found.path.push_str(&object.reference());
                found.path.push(':');
                found.walk(&object.body);
            }
        }
        Desired::Action(action) => {
            // Most actions hold no such string: written out as JSON text (no tree of
            // values to build and drop) they are seen not to, and only the others are
            // walked as values.
            let holds_text = match (serde_json::to_string(action), serde_json::to_string(text)) {
                (Ok(json), Ok(needle)) => json.contains(&needle),
                _ => true,
            };
            if holds_text {
                if let Ok(value) = serde_json::to_value(action) {
                    found.walk(&value);
                }
            }
        }
    }
    let mut paths: Vec<String> = found
        .matches
        .into_iter()
        .filter_map(|(path, matches)| matches.then_some(path))
        .collect();
    paths.sort();
    paths
}

/// The state of `leaves_equal_to`'s walk.
struct LeafSearch<'a> {
    text: &'a str,
    /// The path of the value being walked, spelled as `flatten` spells it.
    path: String,
    /// Each path a matching leaf was seen at, and whether the last leaf seen there matched.
    matches: Vec<(String, bool)>,
}

impl LeafSearch<'_> {
    fn walk(&mut self, value: &Value) {
        let len = self.path.len();
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (k, v) in map {
                    if !self.path.is_empty() {
                        let separator = if self.path.ends_with(':') { ' ' } else { '.' };
                        self.path.push(separator);
                    }
                    self.path.push_str(k);
                    self.walk(v);
                    self.path.truncate(len);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (i, v) in items.iter().enumerate() {
                    let _ = write!(self.path, "[{i}]");
                    self.walk(v);
                    self.path.truncate(len);
                }
            }
            leaf => {
                let matches = leaf.as_str() == Some(self.text);
                // Another leaf at a path already seen replaces it, as in `flatten`'s map.
                if let Some(seen) = self.matches.iter_mut().find(|(p, _)| *p == self.path) {
                    seen.1 = matches;
                } else if matches {
                    self.matches.push((self.path.clone(), true));
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::{flatten_desired, leaves_equal_to};
    use crate::graph::Desired;
    use crate::render::DesiredObject;
    use serde_json::json;

    fn object(name: &str, body: serde_json::Value) -> DesiredObject {
        DesiredObject {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("ns".into()),
            name: name.into(),
            body,
        }
    }

    /// What `leaves_equal_to` replaces: every leaf flattened, then filtered.
    fn by_flattening(desired: &Desired, text: &str) -> Vec<String> {
        flatten_desired(desired)
            .into_iter()
            .filter(|(_, v)| v.as_str() == Some(text))
            .map(|(path, _)| path)
            .collect()
    }

    #[test]
    fn finds_the_leaves_flatten_finds_in_the_same_order() {
        let u = "(known after apply)";
        let desired = Desired::Objects(vec![
            object(
                "b",
                json!({"data": {"z": u, "a": "x", "list": [u, {"k": u}, []], "empty": {}}}),
            ),
            object(
                "a",
                json!({"status": {"ip": u}, "a.b": u, "a": {"b": "known"}}),
            ),
            // The same reference twice: the later object's leaves win, as in the map.
            object("a", json!({"status": {"ip": "10.0.0.1"}})),
        ]);
        let found = leaves_equal_to(&desired, u);
        assert_eq!(found, by_flattening(&desired, u));
        assert_eq!(
            found,
            [
                "ConfigMap/ns/b: data.list[0]",
                "ConfigMap/ns/b: data.list[1].k",
                "ConfigMap/ns/b: data.z",
            ]
        );
    }
}
