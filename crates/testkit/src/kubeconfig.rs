//! Kubeconfig files for fake clusters, written the way kind writes them: per context one
//! cluster, one user (a dummy token) and one context, all three named like the context.

use serde_yaml::{Mapping, Value};
use std::path::Path;

fn entry(name: &str, field: &str, body: Value) -> Value {
    let mut m = Mapping::new();
    m.insert(Value::from(field), body);
    m.insert(Value::from("name"), Value::from(name));
    Value::Mapping(m)
}

fn mapping(pairs: &[(&str, Value)]) -> Value {
    let mut m = Mapping::new();
    for (k, v) in pairs {
        m.insert(Value::from(*k), v.clone());
    }
    Value::Mapping(m)
}

fn render(existing: Option<Value>, entries: &[(&str, &str)]) -> Value {
    let mut doc = match existing {
        Some(Value::Mapping(m)) => m,
        _ => Mapping::new(),
    };
    doc.insert(Value::from("apiVersion"), Value::from("v1"));
    doc.insert(Value::from("kind"), Value::from("Config"));
    for (section, field) in [
        ("clusters", "cluster"),
        ("users", "user"),
        ("contexts", "context"),
    ] {
        let mut list: Vec<Value> = match doc.get(section) {
            Some(Value::Sequence(s)) => s.clone(),
            _ => Vec::new(),
        };
        for (context, url) in entries {
            let body = match field {
                "cluster" => mapping(&[("server", Value::from(*url))]),
                "user" => mapping(&[("token", Value::from(format!("fake-token-{context}")))]),
                _ => mapping(&[
                    ("cluster", Value::from(*context)),
                    ("user", Value::from(*context)),
                ]),
            };
            list.retain(|e| e.get("name").and_then(Value::as_str) != Some(context));
            list.push(entry(context, field, body));
        }
        doc.insert(Value::from(section), Value::Sequence(list));
    }
    if let Some((first, _)) = entries.first() {
        doc.insert(Value::from("current-context"), Value::from(*first));
    }
    if !doc.contains_key("preferences") {
        doc.insert(Value::from("preferences"), Value::Mapping(Mapping::new()));
    }
    Value::Mapping(doc)
}

fn save(path: &Path, doc: &Value) -> std::io::Result<()> {
    let text = serde_yaml::to_string(doc).map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

/// Writes a kubeconfig at `path` with exactly these (context, server url) entries;
/// current-context is the first.
pub fn write(path: &Path, entries: &[(&str, &str)]) -> std::io::Result<()> {
    save(path, &render(None, entries))
}

/// Merges the entries into the kubeconfig at `path` (created when missing), replacing
/// same-named entries and keeping the others; current-context becomes the first entry.
pub fn merge(path: &Path, entries: &[(&str, &str)]) -> std::io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(serde_yaml::from_str::<Value>(&text).map_err(std::io::Error::other)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    save(path, &render(existing, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_other_entries_and_replaces_same_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        write(
            &path,
            &[
                ("kind-a", "http://127.0.0.1:1"),
                ("kind-b", "http://127.0.0.1:2"),
            ],
        )
        .unwrap();
        merge(&path, &[("kind-b", "http://127.0.0.1:3")]).unwrap();
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["current-context"], Value::from("kind-b"));
        let clusters = doc["clusters"].as_sequence().unwrap();
        let servers: Vec<(&str, &str)> = clusters
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap(),
                    c["cluster"]["server"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            servers,
            vec![
                ("kind-a", "http://127.0.0.1:1"),
                ("kind-b", "http://127.0.0.1:3")
            ]
        );
        assert_eq!(doc["contexts"][1]["context"]["user"], Value::from("kind-b"));
        assert_eq!(doc["users"].as_sequence().unwrap().len(), 2);
    }
}
