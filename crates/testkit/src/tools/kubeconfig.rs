//! Kubeconfigs as the real tools see them: which files (`--kubeconfig`, else every path in
//! `KUBECONFIG`, else `$HOME/.kube/config`), merged the way client-go merges them (the
//! first file naming an entry wins), which context (`--context`, else `current-context`),
//! and kind's edits (add or replace `kind-<name>`, switch to it, remove it).

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::Invocation;

/// The kubeconfig files a call reads, most important first.
pub(crate) fn paths(invocation: &Invocation, flag: Option<&str>) -> Vec<PathBuf> {
    if let Some(flag) = flag.filter(|f| !f.is_empty()) {
        return vec![invocation.path(flag)];
    }
    if let Some(list) = invocation.env("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(list)
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| invocation.cwd.join(p))
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    match invocation.env("HOME") {
        Some(home) => vec![Path::new(home).join(".kube").join("config")],
        None => Vec::new(),
    }
}

/// The file kind writes to: `--kubeconfig`, else the first `KUBECONFIG` path, else
/// `$HOME/.kube/config`.
pub(crate) fn write_path(invocation: &Invocation, flag: Option<&str>) -> Option<PathBuf> {
    paths(invocation, flag).into_iter().next()
}

/// The context a call talks to.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) context: String,
    pub(crate) cluster_name: String,
    /// The cluster entry's `cluster` map (server, CA data, …).
    pub(crate) cluster: Value,
    pub(crate) server: String,
}

/// Reads the kubeconfig(s) and picks the context, with client-go's messages.
pub(crate) fn resolve(
    invocation: &Invocation,
    kubeconfig_flag: Option<&str>,
    context_flag: Option<&str>,
) -> Result<Resolved, String> {
    let files = paths(invocation, kubeconfig_flag);
    if let (Some(flag), Some(file)) = (kubeconfig_flag.filter(|f| !f.is_empty()), files.first()) {
        if !file.exists() {
            return Err(format!("stat {flag}: no such file or directory"));
        }
    }
    let merged = load_merged(&files)?;
    let context = match context_flag.filter(|c| !c.is_empty()) {
        Some(context) => context.to_string(),
        None => match merged.get("current-context").and_then(Value::as_str).filter(|c| !c.is_empty()) {
            Some(current) => current.to_string(),
            None => {
                return Err(
                    "invalid configuration: no configuration has been provided, try setting KUBERNETES_MASTER environment variable"
                        .into(),
                )
            }
        },
    };
    let entry = named(&merged, "contexts", &context)
        .ok_or_else(|| format!("context was not found for specified context: {context}"))?;
    let cluster_name = entry
        .pointer("/context/cluster")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let cluster = named(&merged, "clusters", &cluster_name)
        .and_then(|c| c.get("cluster").cloned())
        .ok_or_else(|| format!("invalid configuration: cluster \"{cluster_name}\" not found for context \"{context}\""))?;
    let server = cluster
        .get("server")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Ok(Resolved {
        context,
        cluster_name,
        cluster,
        server,
    })
}

/// The merged view of several kubeconfig files (missing files are skipped, as client-go does).
pub(crate) fn load_merged(files: &[PathBuf]) -> Result<Value, String> {
    let mut merged = json!({"clusters": [], "contexts": [], "users": []});
    let mut current: Option<String> = None;
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let doc = parse(&text)
            .map_err(|e| format!("error loading config file \"{}\": {e}", file.display()))?;
        if current.is_none() {
            current = doc
                .get("current-context")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
        }
        for section in ["clusters", "contexts", "users"] {
            for entry in doc
                .get(section)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if named(&merged, section, name).is_none() {
                    if let Some(list) = merged.get_mut(section).and_then(Value::as_array_mut) {
                        list.push(entry.clone());
                    }
                }
            }
        }
    }
    if let Some(current) = current {
        merged["current-context"] = Value::String(current);
    }
    Ok(merged)
}

fn parse(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_yaml::from_str::<Value>(text).map_err(|e| e.to_string())
}

fn named<'a>(config: &'a Value, section: &str, name: &str) -> Option<&'a Value> {
    config
        .get(section)?
        .as_array()?
        .iter()
        .find(|entry| entry.get("name").and_then(Value::as_str) == Some(name))
}

/// A kubeconfig holding only kind's entries for one cluster (`kind get kubeconfig`).
pub(crate) fn kind_config(cluster: &str, server: &str) -> Value {
    let context = format!("kind-{cluster}");
    json!({
        "apiVersion": "v1",
        "clusters": [{"cluster": {"server": server}, "name": context}],
        "contexts": [{"context": {"cluster": context, "user": context}, "name": context}],
        "current-context": context,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": context, "user": {}}],
    })
}

/// kind's writer lock on a kubeconfig (`<file>.lock`, client-go's name), held while it
/// reads, merges and rewrites the file in place; removed when dropped.
struct WriterLock(PathBuf);

impl WriterLock {
    fn take(file: &Path) -> Result<WriterLock, String> {
        let mut lock = file.to_path_buf().into_os_string();
        lock.push(".lock");
        let lock = PathBuf::from(lock);
        if let Some(dir) = lock.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
        }
        std::fs::write(&lock, "")
            .map_err(|e| format!("failed to lock kubeconfig {}: {e}", file.display()))?;
        Ok(WriterLock(lock))
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Adds (or replaces) `kind-<cluster>` in `file` and makes it the current context.
pub(crate) fn kind_merge(file: &Path, cluster: &str, server: &str) -> Result<(), String> {
    let _lock = WriterLock::take(file)?;
    let mut config = read_for_edit(file)?;
    let fresh = kind_config(cluster, server);
    for section in ["clusters", "contexts", "users"] {
        let entry = fresh[section][0].clone();
        let name = format!("kind-{cluster}");
        let list = section_mut(&mut config, section);
        match list
            .iter_mut()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(name.as_str()))
        {
            Some(existing) => *existing = entry,
            None => list.push(entry),
        }
    }
    config["current-context"] = Value::String(format!("kind-{cluster}"));
    write(file, &config)
}

/// Removes `kind-<cluster>` from `file`; unsets the current context if it was that one.
pub(crate) fn kind_remove(file: &Path, cluster: &str) -> Result<(), String> {
    if !file.exists() {
        return Ok(());
    }
    let _lock = WriterLock::take(file)?;
    let mut config = read_for_edit(file)?;
    let name = format!("kind-{cluster}");
    for section in ["clusters", "contexts", "users"] {
        section_mut(&mut config, section)
            .retain(|e| e.get("name").and_then(Value::as_str) != Some(name.as_str()));
    }
    if config.get("current-context").and_then(Value::as_str) == Some(name.as_str()) {
        config["current-context"] = Value::String(String::new());
    }
    write(file, &config)
}

fn read_for_edit(file: &Path) -> Result<Value, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("failed to read kubeconfig {}: {e}", file.display())),
    };
    let mut config =
        parse(&text).map_err(|e| format!("failed to load kubeconfig {}: {e}", file.display()))?;
    if !config.is_object() {
        config = Value::Object(Map::new());
    }
    for (key, default) in [
        ("apiVersion", json!("v1")),
        ("kind", json!("Config")),
        ("preferences", json!({})),
    ] {
        if config.get(key).is_none() {
            config[key] = default;
        }
    }
    Ok(config)
}

fn section_mut<'a>(config: &'a mut Value, section: &str) -> &'a mut Vec<Value> {
    if !config.get(section).is_some_and(Value::is_array) {
        config[section] = Value::Array(Vec::new());
    }
    match config.get_mut(section) {
        Some(Value::Array(list)) => list,
        _ => unreachable!("made an array above"),
    }
}

fn write(file: &Path, config: &Value) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
    }
    let text = serde_yaml::to_string(config).map_err(|e| e.to_string())?;
    std::fs::write(file, text)
        .map_err(|e| format!("failed to write kubeconfig {}: {e}", file.display()))
}
