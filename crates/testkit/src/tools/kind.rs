//! The fake `kind` (v0.20): `version`, `get clusters`, `create cluster`, `delete cluster`,
//! `get kubeconfig` and `export kubeconfig`. A cluster is a [`FakeCluster`] with its
//! controllers on and the service subnet of the kind config; its `kind-<name>` context is
//! merged into the kubeconfig the way kind merges it.

use std::sync::Arc;

use serde_json::Value;

use super::args::{self, switch, value, FlagSpec};
use super::{kubeconfig, lock, output, store, Invocation, Outcome, Shared};
use crate::{FakeCluster, ServerOptions};

/// kind v0.20.0's default node image.
const DEFAULT_NODE_VERSION: &str = "v1.27.3";

const GLOBAL: [FlagSpec; 3] = [
    value("verbosity").short('v'),
    switch("quiet").short('q'),
    value("loglevel"),
];
const CREATE: [FlagSpec; 6] = [
    value("name").short('n'),
    value("config"),
    value("image"),
    value("kubeconfig"),
    value("wait"),
    switch("retain"),
];
const DELETE: [FlagSpec; 2] = [value("name").short('n'), value("kubeconfig")];
const GET_KUBECONFIG: [FlagSpec; 2] = [value("name").short('n'), switch("internal")];
const EXPORT_KUBECONFIG: [FlagSpec; 3] = [
    value("name").short('n'),
    value("kubeconfig"),
    switch("internal"),
];

const COMMANDS: [&[&str]; 7] = [
    &["version"],
    &["get", "clusters"],
    &["get", "kubeconfig"],
    &["create", "cluster"],
    &["delete", "cluster"],
    &["export", "kubeconfig"],
    &["get", "nodes"],
];

pub(crate) fn run(shared: &Shared, invocation: &Invocation) -> Outcome {
    let all: Vec<FlagSpec> = GLOBAL
        .iter()
        .chain(&CREATE)
        .chain(&EXPORT_KUBECONFIG)
        .copied()
        .collect();
    let words = match args::parse(&invocation.args, &all, true) {
        Ok(parsed) => parsed.positionals,
        Err(e) => return error(&e),
    };
    let Some((command, _)) = args::command_path(&words, &COMMANDS) else {
        return match words.first() {
            Some(word) => error(&format!("unknown command \"{word}\" for \"kind\"")),
            None => Outcome::out(USAGE),
        };
    };
    let own: &[FlagSpec] = match command {
        ["create", "cluster"] => &CREATE,
        ["delete", "cluster"] => &DELETE,
        ["get", "kubeconfig"] => &GET_KUBECONFIG,
        ["export", "kubeconfig"] => &EXPORT_KUBECONFIG,
        ["get", "nodes"] => &DELETE[..1],
        _ => &[],
    };
    let specs: Vec<FlagSpec> = GLOBAL.iter().chain(own).copied().collect();
    let parsed = match args::parse(&invocation.args, &specs, false) {
        Ok(parsed) => parsed,
        Err(e) => return error(&e),
    };
    let name_flag = parsed.last("name");
    match command {
        ["version"] => Outcome::out(format!(
            "kind {} go1.20.4 linux/amd64\n",
            shared.options.kind_version
        )),
        ["get", "clusters"] => {
            let names = shared.cluster_names_sorted();
            if names.is_empty() {
                Outcome::fail(0, "No kind clusters found.\n")
            } else {
                Outcome::out(names.iter().map(|n| format!("{n}\n")).collect::<String>())
            }
        }
        ["get", "nodes"] => {
            let name = name_flag.unwrap_or("kind");
            match lock(&shared.clusters).contains_key(name) {
                true => Outcome::out(format!("{name}-control-plane\n")),
                false => Outcome::fail(0, format!("No kind nodes found for cluster \"{name}\".\n")),
            }
        }
        ["create", "cluster"] => create(shared, invocation, &parsed),
        ["delete", "cluster"] => delete(
            shared,
            invocation,
            name_flag.unwrap_or("kind"),
            parsed.last("kubeconfig"),
        ),
        ["get", "kubeconfig"] => {
            let name = name_flag.unwrap_or("kind");
            match shared.cluster_named(name) {
                Some(cluster) => Outcome::out(output::yaml(&kubeconfig::kind_config(
                    name,
                    &store::url(&cluster),
                ))),
                None => no_nodes(name),
            }
        }
        ["export", "kubeconfig"] => {
            let name = name_flag.unwrap_or("kind");
            let Some(cluster) = shared.cluster_named(name) else {
                return no_nodes(name);
            };
            let Some(file) = kubeconfig::write_path(invocation, parsed.last("kubeconfig")) else {
                return error("failed to export kubeconfig: no kubeconfig path (HOME is not set)");
            };
            let _edit = lock(&shared.kubeconfig_edit);
            match kubeconfig::kind_merge(&file, name, &store::url(&cluster)) {
                Ok(()) => Outcome::fail(0, format!("Set kubectl context to \"kind-{name}\"\n")),
                Err(e) => error(&format!("failed to export kubeconfig: {e}")),
            }
        }
        _ => Outcome::out(USAGE),
    }
}

fn create(shared: &Shared, invocation: &Invocation, parsed: &args::Parsed) -> Outcome {
    let config = match parsed.last("config") {
        None => Value::Null,
        Some(path) => {
            let text = if path == "-" {
                invocation.stdin.clone().unwrap_or_default()
            } else {
                match std::fs::read_to_string(invocation.path(path)) {
                    Ok(text) => text,
                    Err(e) => {
                        return error(&format!(
                            "failed to create cluster: error reading file: open {path}: {}",
                            super::values::io_reason(&e)
                        ))
                    }
                }
            };
            match serde_yaml::from_str::<Value>(&text) {
                Ok(config) => config,
                Err(e) => {
                    return error(&format!(
                        "failed to create cluster: error converting YAML to JSON: {e}"
                    ))
                }
            }
        }
    };
    if !config.is_null() {
        let kind = config
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let api_version = config
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind != "Cluster" {
            return error(&format!("failed to create cluster: unknown kind: {kind}"));
        }
        if api_version != "kind.x-k8s.io/v1alpha4" {
            return error(&format!(
                "failed to create cluster: unknown apiVersion: {api_version}"
            ));
        }
    }
    let name = parsed
        .last("name")
        .map(str::to_string)
        .or_else(|| {
            config
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "kind".to_string());
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return error(&format!(
            "failed to create cluster: '{name}' is not a valid cluster name, cluster names must match `^[a-z0-9.-]+$`"
        ));
    }
    let ipv6 = config
        .pointer("/networking/ipFamily")
        .and_then(Value::as_str)
        == Some("ipv6");
    let service_subnet = config
        .pointer("/networking/serviceSubnet")
        .and_then(Value::as_str)
        .unwrap_or(if ipv6 {
            "fd00:10:96::/112"
        } else {
            "10.96.0.0/16"
        })
        .to_string();
    let image = parsed
        .last("image")
        .map(str::to_string)
        .or_else(|| {
            config
                .pointer("/nodes/0/image")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| format!("kindest/node:{DEFAULT_NODE_VERSION}"));
    let version = image_version(&image);

    let kubeconfig_file = kubeconfig::write_path(invocation, parsed.last("kubeconfig"));
    let mut clusters = lock(&shared.clusters);
    if clusters.contains_key(&name) {
        return Outcome::fail(
            1,
            format!(
                "Creating cluster \"{name}\" ...\nERROR: failed to create cluster: node(s) already exist for a cluster with the name \"{name}\"\n"
            ),
        );
    }
    let options = ServerOptions {
        service_subnet: service_subnet.clone(),
        controllers: true,
        version: version.clone(),
        seed: seed(&name),
    };
    let cluster = match FakeCluster::start_with(&name, options) {
        Ok(cluster) => Arc::new(cluster),
        Err(e) => return error(&format!("failed to create cluster: {e}")),
    };
    if let Some(faults) = &shared.options.cluster_faults {
        cluster.set_faults(faults.clone());
    }
    let server = store::url(&cluster);
    clusters.insert(name.clone(), cluster);
    drop(clusters);

    let mut stderr = format!(
        "Creating cluster \"{name}\" ...\n ✓ Ensuring node image ({}) 🖼\n ✓ Preparing nodes 📦  \n ✓ Writing configuration 📜 \n ✓ Starting control-plane 🕹️ \n",
        image.split('@').next().unwrap_or(&image)
    );
    if config
        .pointer("/networking/disableDefaultCNI")
        .and_then(Value::as_bool)
        != Some(true)
    {
        stderr.push_str(" ✓ Installing CNI 🔌 \n");
    }
    stderr.push_str(" ✓ Installing StorageClass 💾 \n");
    if config
        .get("nodes")
        .and_then(Value::as_array)
        .is_some_and(|n| n.len() > 1)
    {
        stderr.push_str(" ✓ Joining worker nodes 🚜 \n");
    }
    let Some(file) = kubeconfig_file else {
        return Outcome::fail(
            1,
            stderr
                + "ERROR: failed to create cluster: failed to lock config file: HOME is not set\n",
        );
    };
    let merged = {
        let _edit = lock(&shared.kubeconfig_edit);
        kubeconfig::kind_merge(&file, &name, &server)
    };
    if let Err(e) = merged {
        return Outcome::fail(
            1,
            stderr + &format!("ERROR: failed to create cluster: {e}\n"),
        );
    }
    stderr.push_str(&format!(
        "Set kubectl context to \"kind-{name}\"\nYou can now use your cluster with:\n\nkubectl cluster-info --context kind-{name}\n\nHave a nice day! 👋\n"
    ));
    Outcome::fail(0, stderr)
}

fn delete(
    shared: &Shared,
    invocation: &Invocation,
    name: &str,
    kubeconfig_flag: Option<&str>,
) -> Outcome {
    let removed = lock(&shared.clusters).remove(name);
    let mut stderr = format!("Deleting cluster \"{name}\" ...\n");
    if removed.is_some() {
        stderr.push_str(&format!("Deleted nodes: [\"{name}-control-plane\"]\n"));
    }
    // The server stops when the last handle goes (the mirror may hold one for a moment).
    drop(removed);
    if let Some(file) = kubeconfig::write_path(invocation, kubeconfig_flag) {
        let _edit = lock(&shared.kubeconfig_edit);
        if let Err(e) = kubeconfig::kind_remove(&file, name) {
            return Outcome::fail(
                1,
                stderr + &format!("ERROR: failed to delete cluster \"{name}\": {e}\n"),
            );
        }
    }
    Outcome::fail(0, stderr)
}

fn no_nodes(name: &str) -> Outcome {
    error(&format!(
        "could not locate any control plane nodes for cluster named '{name}'. Use the --name option to select a different cluster"
    ))
}

fn error(message: &str) -> Outcome {
    Outcome::fail(1, format!("ERROR: {message}\n"))
}

/// `kindest/node:v1.24.7@sha256:…` → `v1.24.7`.
fn image_version(image: &str) -> String {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((_, tag)) if tag.starts_with('v') => tag.to_string(),
        _ => DEFAULT_NODE_VERSION.to_string(),
    }
}

/// A stable seed per cluster name (FNV-1a), so a re-created cluster behaves the same.
fn seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

const USAGE: &str = "kind creates and manages local Kubernetes clusters using Docker container 'nodes'\n\nUsage:\n  kind [command]\n";

impl Shared {
    pub(crate) fn cluster_named(&self, name: &str) -> Option<Arc<FakeCluster>> {
        lock(&self.clusters).get(name).cloned()
    }

    fn cluster_names_sorted(&self) -> Vec<String> {
        super::sorted_names(lock(&self.clusters).keys().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_image_versions() {
        assert_eq!(image_version("kindest/node:v1.24.7@sha256:abc"), "v1.24.7");
        assert_eq!(image_version("kindest/node"), DEFAULT_NODE_VERSION);
    }
}
