//! The fake `kubectl`: only `version --client` and `kustomize DIR`. Everything else exits 1
//! ("fake kubectl: unsupported"), because meshctl talks to clusters through its own client.
//!
//! `kustomize` covers what meshctl's renders and examples use: `resources` (files and
//! directories, recursively; legacy `bases`), `namespace`, `commonLabels`,
//! `commonAnnotations`, `labels` (with `includeSelectors`/`includeTemplates`) and `patches`
//! (strategic-merge by path or inline, JSON 6902 with a target). Other fields are refused
//! by name rather than ignored. Output is kustomize's legacy resource order.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{output, Invocation, Outcome};

const CLIENT_VERSION: &str = "v1.27.3";
const KUSTOMIZE_VERSION: &str = "v5.0.1";

pub(crate) fn run(invocation: &Invocation) -> Outcome {
    let args: Vec<&str> = invocation.args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["version", rest @ ..] if rest.contains(&"--client") || rest.contains(&"--client=true") => {
            if rest.iter().any(|a| *a == "-ojson" || *a == "--output=json")
                || rest
                    .windows(2)
                    .any(|w| matches!(w, ["-o" | "--output", "json"]))
            {
                let info = json!({
                    "clientVersion": {"major": "1", "minor": "27", "gitVersion": CLIENT_VERSION, "platform": "linux/amd64"},
                    "kustomizeVersion": KUSTOMIZE_VERSION,
                });
                return Outcome::out(format!(
                    "{}\n",
                    serde_json::to_string_pretty(&info).unwrap_or_default()
                ));
            }
            Outcome::out(format!(
                "Client Version: {CLIENT_VERSION}\nKustomize Version: {KUSTOMIZE_VERSION}\n"
            ))
        }
        ["kustomize", dir] => {
            let dir = invocation.path(dir);
            match build(&dir, &mut Vec::new()) {
                Ok(objects) => {
                    let docs: Vec<String> = sort_legacy(objects).iter().map(output::yaml).collect();
                    Outcome::out(docs.join("---\n"))
                }
                Err(e) => Outcome::fail(1, format!("error: {e}\n")),
            }
        }
        _ => Outcome::fail(
            1,
            format!(
                "fake kubectl: unsupported: kubectl {}\n",
                invocation.args.join(" ")
            ),
        ),
    }
}

const FIELDS_SUPPORTED: [&str; 10] = [
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "namespace",
    "commonLabels",
    "commonAnnotations",
    "labels",
    "patches",
];

/// Builds one kustomization directory: its resources (recursively), then its transformations.
fn build(dir: &Path, stack: &mut Vec<PathBuf>) -> Result<Vec<Value>, String> {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if stack.contains(&canonical) {
        return Err(format!(
            "cycle detected: {} includes itself",
            canonical.display()
        ));
    }
    let file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            format!(
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                canonical.display()
            )
        })?;
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let kustomization: Value =
        serde_yaml::from_str(&text).map_err(|e| format!("invalid Kustomization: {e}"))?;
    let fields = kustomization.as_object().cloned().unwrap_or_default();
    if let Some(unsupported) = fields
        .keys()
        .find(|k| !FIELDS_SUPPORTED.contains(&k.as_str()))
    {
        return Err(format!(
            "fake kubectl kustomize: field '{unsupported}' is not supported"
        ));
    }
    stack.push(canonical);
    let mut objects = Vec::new();
    let entries = ["bases", "resources"].iter().flat_map(|key| {
        fields
            .get(*key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    });
    for entry in entries {
        let Some(entry) = entry.as_str() else {
            continue;
        };
        let path = dir.join(entry);
        if path.is_dir() {
            objects.extend(build(&path, stack)?);
        } else if path.is_file() {
            objects.extend(read_objects(&path)?);
        } else {
            return Err(format!(
                "accumulating resources: accumulation err='accumulating resources from '{entry}': open {}: no such file or directory'",
                path.display()
            ));
        }
    }
    stack.pop();
    for patch in fields
        .get("patches")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        apply_patch(dir, patch, &mut objects)?;
    }
    if let Some(namespace) = fields.get("namespace").and_then(Value::as_str) {
        for object in objects.iter_mut().filter(|o| namespaced(o)) {
            object["metadata"]["namespace"] = json!(namespace);
        }
    }
    if let Some(labels) = fields.get("commonLabels").and_then(Value::as_object) {
        for object in &mut objects {
            add_labels(object, labels, true, true);
        }
    }
    for set in fields
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pairs = set
            .get("pairs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let selectors = set.get("includeSelectors").and_then(Value::as_bool) == Some(true);
        let templates =
            selectors || set.get("includeTemplates").and_then(Value::as_bool) == Some(true);
        for object in &mut objects {
            add_labels(object, &pairs, selectors, templates);
        }
    }
    if let Some(annotations) = fields.get("commonAnnotations").and_then(Value::as_object) {
        for object in &mut objects {
            merge_map(object, "/metadata", "annotations", annotations);
            if let Some(template) = template_path(object) {
                merge_map(
                    object,
                    &format!("{template}/metadata"),
                    "annotations",
                    annotations,
                );
            }
        }
    }
    Ok(objects)
}

fn read_objects(path: &Path) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut objects = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let value = Value::deserialize(doc).map_err(|e| format!("{}: {e}", path.display()))?;
        if value.is_null() {
            continue;
        }
        if value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.ends_with("List"))
        {
            objects.extend(
                value
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
        } else {
            objects.push(value);
        }
    }
    Ok(objects)
}

/// Cluster-scoped kinds (the rest are namespaced).
const CLUSTER_SCOPED: [&str; 14] = [
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "PriorityClass",
    "IngressClass",
    "Node",
    "ClusterIssuer",
    "RuntimeClass",
];

fn namespaced(object: &Value) -> bool {
    object
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| !CLUSTER_SCOPED.contains(&k))
}

/// Where a workload keeps its pod template, if it has one.
fn template_path(object: &Value) -> Option<&'static str> {
    match object.get("kind").and_then(Value::as_str)? {
        "Deployment"
        | "ReplicaSet"
        | "DaemonSet"
        | "StatefulSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template"),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        _ => None,
    }
}

fn add_labels(object: &mut Value, labels: &Map<String, Value>, selectors: bool, templates: bool) {
    merge_map(object, "/metadata", "labels", labels);
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if templates {
        if let Some(template) = template_path(object) {
            merge_map(object, &format!("{template}/metadata"), "labels", labels);
        }
    }
    if selectors {
        match kind.as_str() {
            "Service" => merge_map(object, "/spec", "selector", labels),
            "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => {
                merge_map(object, "/spec/selector", "matchLabels", labels)
            }
            _ => {}
        }
    }
}

/// Merges `entries` into the map at `<parent>/<key>`, creating it (and `parent`) if needed.
fn merge_map(object: &mut Value, parent: &str, key: &str, entries: &Map<String, Value>) {
    let mut cursor = object;
    for segment in parent.split('/').filter(|s| !s.is_empty()) {
        let Some(map) = cursor.as_object_mut() else {
            return;
        };
        cursor = map.entry(segment).or_insert_with(|| json!({}));
    }
    let Some(parent) = cursor.as_object_mut() else {
        return;
    };
    let target = parent.entry(key).or_insert_with(|| json!({}));
    if !target.is_object() {
        *target = json!({});
    }
    if let Some(target) = target.as_object_mut() {
        for (k, v) in entries {
            target.insert(
                k.clone(),
                json!(v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())),
            );
        }
    }
}

fn apply_patch(dir: &Path, patch: &Value, objects: &mut [Value]) -> Result<(), String> {
    let text = match (
        patch.get("path").and_then(Value::as_str),
        patch.get("patch").and_then(Value::as_str),
    ) {
        (Some(path), _) => {
            std::fs::read_to_string(dir.join(path)).map_err(|e| format!("patch {path}: {e}"))?
        }
        (None, Some(inline)) => inline.to_string(),
        _ => return Err("patch has neither path nor patch".into()),
    };
    let body: Value = serde_yaml::from_str(&text).map_err(|e| format!("invalid patch: {e}"))?;
    let target = patch.get("target");
    let selected = |object: &Value| -> bool {
        match target {
            Some(target) => ["kind", "name", "namespace"].iter().all(|field| {
                let wanted = target.get(*field).and_then(Value::as_str);
                let actual = if *field == "kind" {
                    object.get("kind")
                } else {
                    object.pointer(&format!("/metadata/{field}"))
                };
                wanted.is_none_or(|w| actual.and_then(Value::as_str) == Some(w))
            }),
            None => {
                object.get("kind") == body.get("kind")
                    && object.pointer("/metadata/name") == body.pointer("/metadata/name")
            }
        }
    };
    let mut matched = false;
    for object in objects.iter_mut().filter(|o| selected(o)) {
        matched = true;
        match &body {
            Value::Array(ops) => json6902(object, ops)?,
            smp => strategic_merge(object, smp),
        }
    }
    if !matched {
        return Err(format!(
            "no resource matches strategic merge patch \"{}\"",
            body.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("patch")
        ));
    }
    Ok(())
}

/// A strategic merge patch, for the lists whose merge keys kustomize knows by name.
fn strategic_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) => match (existing, value, merge_key(key)) {
                        (Value::Array(items), Value::Array(patches), Some(merge_key)) => {
                            for patch_item in patches {
                                let wanted = patch_item.get(merge_key);
                                match items
                                    .iter_mut()
                                    .find(|i| wanted.is_some() && i.get(merge_key) == wanted)
                                {
                                    Some(item) => strategic_merge(item, patch_item),
                                    None => items.push(patch_item.clone()),
                                }
                            }
                        }
                        (existing, value, _) if existing.is_object() && value.is_object() => {
                            strategic_merge(existing, value)
                        }
                        (existing, value, _) => *existing = value.clone(),
                    },
                    None => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

fn merge_key(list: &str) -> Option<&'static str> {
    match list {
        "containers" | "initContainers" | "env" | "volumes" | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "ports" => Some("containerPort"),
        _ => None,
    }
}

/// JSON 6902 `add`, `replace` and `remove`.
fn json6902(target: &mut Value, ops: &[Value]) -> Result<(), String> {
    for op in ops {
        let kind = op.get("op").and_then(Value::as_str).unwrap_or_default();
        let path = op.get("path").and_then(Value::as_str).unwrap_or_default();
        let (parent, last) = path
            .rsplit_once('/')
            .ok_or_else(|| format!("invalid patch path {path}"))?;
        let last = last.replace("~1", "/").replace("~0", "~");
        let container = target
            .pointer_mut(parent)
            .ok_or_else(|| format!("patch path {parent} does not exist"))?;
        match (kind, container) {
            ("add" | "replace", Value::Object(map)) => {
                map.insert(last, op.get("value").cloned().unwrap_or(Value::Null));
            }
            ("remove", Value::Object(map)) => {
                map.remove(&last);
            }
            ("add", Value::Array(list)) if last == "-" => {
                list.push(op.get("value").cloned().unwrap_or(Value::Null))
            }
            (op_kind, Value::Array(list)) => {
                let index: usize = last
                    .parse()
                    .map_err(|_| format!("invalid index in {path}"))?;
                match op_kind {
                    "add" if index <= list.len() => {
                        list.insert(index, op.get("value").cloned().unwrap_or(Value::Null))
                    }
                    "replace" if index < list.len() => {
                        list[index] = op.get("value").cloned().unwrap_or(Value::Null)
                    }
                    "remove" if index < list.len() => {
                        list.remove(index);
                    }
                    _ => return Err(format!("cannot {op_kind} {path}")),
                }
            }
            (other, _) => {
                return Err(format!(
                    "fake kubectl kustomize: unsupported patch op {other} at {path}"
                ))
            }
        }
    }
    Ok(())
}

/// kustomize's legacy order: by kind precedence, then by id.
fn sort_legacy(mut objects: Vec<Value>) -> Vec<Value> {
    const FIRST: [&str; 22] = [
        "Namespace",
        "ResourceQuota",
        "StorageClass",
        "CustomResourceDefinition",
        "ServiceAccount",
        "PodSecurityPolicy",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ConfigMap",
        "Secret",
        "Endpoints",
        "Service",
        "LimitRange",
        "PriorityClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Deployment",
        "StatefulSet",
        "CronJob",
        "PodDisruptionBudget",
    ];
    const LAST: [&str; 2] = [
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    let rank = |object: &Value| {
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(i) = FIRST.iter().position(|k| *k == kind) {
            (0, i, String::new())
        } else if let Some(i) = LAST.iter().position(|k| *k == kind) {
            (2, i, String::new())
        } else {
            (1, 0, kind.to_string())
        }
    };
    let id = |object: &Value| {
        let s = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        (
            s("/apiVersion"),
            s("/metadata/namespace"),
            s("/metadata/name"),
        )
    };
    objects.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| id(a).cmp(&id(b))));
    objects
}
