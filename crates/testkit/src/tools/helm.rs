//! The fake `helm` (v3.12): `version`, `repo add|update|list`, `status`, `get values`,
//! `list`, `upgrade [--install]`, `install` and `uninstall`. Releases are stored as helm
//! stores them (Secret `sh.helm.release.v1.<rel>.v<n>`, type `helm.sh/release.v1`, data
//! `release` = base64(gzip(JSON))), every upgrade makes a new revision and supersedes the
//! last, and the MetalLB and ingress-nginx charts create their main objects, as manager
//! `helm`.

use std::io::{Read, Write};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::args::{self, switch, value, FlagSpec, Parsed};
use super::crds::{self, Version};
use super::{kubeconfig, lock, output, store, values, Invocation, Outcome, Shared};
use crate::FakeCluster;

const MANAGER: &str = "helm";

const GLOBAL: [FlagSpec; 6] = [
    value("kube-context"),
    value("kubeconfig"),
    value("namespace").short('n'),
    switch("debug"),
    value("kube-apiserver"),
    value("kube-token"),
];

const UPGRADE: [FlagSpec; 20] = [
    switch("install").short('i'),
    value("repo"),
    value("version"),
    switch("create-namespace"),
    switch("wait"),
    switch("wait-for-jobs"),
    value("timeout"),
    switch("atomic"),
    switch("reset-values"),
    switch("reuse-values"),
    switch("force"),
    switch("dry-run"),
    switch("devel"),
    value("description"),
    value("history-max"),
    switch("skip-crds"),
    value("output").short('o'),
    values::VALUE_FLAGS[0],
    values::VALUE_FLAGS[1],
    values::VALUE_FLAGS[2],
];

const STATUS: [FlagSpec; 2] = [value("output").short('o'), value("revision")];
const GET_VALUES: [FlagSpec; 3] = [
    value("output").short('o'),
    switch("all").short('a'),
    value("revision"),
];
const LIST: [FlagSpec; 3] = [
    value("output").short('o'),
    switch("all-namespaces").short('A'),
    switch("all").short('a'),
];
const REPO_ADD: [FlagSpec; 2] = [switch("force-update"), value("username")];
const VERSION: [FlagSpec; 2] = [switch("short"), value("template")];
const UNINSTALL: [FlagSpec; 3] = [switch("wait"), value("timeout"), switch("keep-history")];

const COMMANDS: [&[&str]; 12] = [
    &["version"],
    &["repo", "add"],
    &["repo", "update"],
    &["repo", "list"],
    &["status"],
    &["get", "values"],
    &["list"],
    &["ls"],
    &["upgrade"],
    &["install"],
    &["uninstall"],
    &["delete"],
];

pub(crate) fn run(shared: &Shared, invocation: &Invocation) -> Outcome {
    let mut all: Vec<FlagSpec> = GLOBAL
        .iter()
        .chain(&UPGRADE)
        .chain(&GET_VALUES)
        .chain(&LIST)
        .copied()
        .collect();
    all.push(values::VALUE_FLAGS[3]);
    let words = match args::parse(&invocation.args, &all, true) {
        Ok(parsed) => parsed.positionals,
        Err(e) => return error(&e),
    };
    let Some((command, rest)) = args::command_path(&words, &COMMANDS) else {
        return match words.first() {
            Some(word) => error(&format!("unknown command \"{word}\" for \"helm\"")),
            None => Outcome::out("The Kubernetes package manager\n"),
        };
    };
    let mut own: Vec<FlagSpec> = match command {
        ["upgrade"] | ["install"] => UPGRADE.to_vec(),
        ["status"] => STATUS.to_vec(),
        ["get", "values"] => GET_VALUES.to_vec(),
        ["list"] | ["ls"] => LIST.to_vec(),
        ["repo", "add"] => REPO_ADD.to_vec(),
        ["version"] => VERSION.to_vec(),
        ["uninstall"] | ["delete"] => UNINSTALL.to_vec(),
        _ => Vec::new(),
    };
    if matches!(command, ["upgrade"] | ["install"]) {
        own.push(values::VALUE_FLAGS[3]);
    }
    let specs: Vec<FlagSpec> = GLOBAL.iter().chain(&own).copied().collect();
    let parsed = match args::parse(&invocation.args, &specs, false) {
        Ok(parsed) => parsed,
        Err(e) => return error(&e),
    };
    match command {
        ["version"] => version(shared, &parsed),
        ["repo", "add"] => match rest.as_slice() {
            [name, url] => {
                lock(&shared.helm_repos).insert(name.clone(), url.clone());
                Outcome::out(format!("\"{name}\" has been added to your repositories\n"))
            }
            _ => error("\"helm repo add\" requires 2 arguments\n\nUsage:  helm repo add [NAME] [URL] [flags]"),
        },
        ["repo", "update"] => {
            let repos = lock(&shared.helm_repos).clone();
            let mut out = String::from("Hang tight while we grab the latest from your chart repositories...\n");
            for name in repos.keys() {
                out.push_str(&format!("...Successfully got an update from the \"{name}\" chart repository\n"));
            }
            out.push_str("Update Complete. ⎈Happy Helming!⎈\n");
            Outcome::out(out)
        }
        ["repo", "list"] => {
            let repos = lock(&shared.helm_repos).clone();
            if repos.is_empty() {
                return error("no repositories to show");
            }
            let mut out = String::from("NAME\tURL\n");
            for (name, url) in repos {
                out.push_str(&format!("{name}\t{url}\n"));
            }
            Outcome::out(out)
        }
        _ => with_cluster(shared, invocation, command, &rest, &parsed),
    }
}

fn version(shared: &Shared, parsed: &Parsed) -> Outcome {
    let short = &shared.options.helm_version;
    if parsed.on("short") {
        return Outcome::out(format!("{short}\n"));
    }
    let (semver, commit) = short
        .split_once("+g")
        .unwrap_or((short.as_str(), "3a31588ad33fe3b89af5a2a54ee1d25bfe6eaa5e"));
    Outcome::out(format!(
        "version.BuildInfo{{Version:\"{semver}\", GitCommit:\"{commit}\", GitTreeState:\"clean\", GoVersion:\"go1.20.7\"}}\n"
    ))
}

fn with_cluster(
    shared: &Shared,
    invocation: &Invocation,
    command: &[&str],
    rest: &[String],
    parsed: &Parsed,
) -> Outcome {
    let target = match kubeconfig::resolve(
        invocation,
        parsed.last("kubeconfig"),
        parsed.last("kube-context"),
    ) {
        Ok(target) => target,
        Err(e) => return error(&format!("Kubernetes cluster unreachable: {e}")),
    };
    let Some((_, cluster)) = shared.cluster_at(&target.server) else {
        return error(&format!(
            "Kubernetes cluster unreachable: {}",
            unreachable(&target.server)
        ));
    };
    let namespace = parsed.last("namespace").unwrap_or("default").to_string();
    let release = rest.first().cloned();
    match (command, release) {
        (["list"] | ["ls"], _) => list(&cluster, &namespace, parsed),
        (["status"], Some(release)) => match latest(&cluster, &namespace, &release) {
            Some(stored) if parsed.last("output") == Some("json") => Outcome::out(format!("{}\n", stored.release)),
            Some(stored) => Outcome::out(summary(&stored.release)),
            None => error("release: not found"),
        },
        (["get", "values"], Some(release)) => match latest(&cluster, &namespace, &release) {
            Some(stored) => {
                let config = stored.release.get("config").cloned().unwrap_or(Value::Null);
                match parsed.last("output") {
                    Some("json") => Outcome::out(format!("{config}\n")),
                    _ => Outcome::out(format!("USER-SUPPLIED VALUES:\n{}", output::yaml(&config))),
                }
            }
            None => error("release: not found"),
        },
        (["upgrade"], Some(release)) => match rest.get(1) {
            Some(chart) => upgrade(shared, invocation, &cluster, &namespace, &release, chart, parsed, !parsed.on("install")),
            None => error("\"helm upgrade\" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]"),
        },
        (["install"], Some(release)) => match rest.get(1) {
            Some(chart) => {
                if latest(&cluster, &namespace, &release).is_some() {
                    return error("INSTALLATION FAILED: cannot re-use a name that is still in use");
                }
                upgrade(shared, invocation, &cluster, &namespace, &release, chart, parsed, false)
            }
            None => error("INSTALLATION FAILED: must either provide a name or specify --generate-name"),
        },
        (["uninstall"] | ["delete"], Some(release)) => uninstall(&cluster, &namespace, &release),
        (_, None) => error(&format!("\"helm {}\" requires 1 argument", command.join(" "))),
        _ => error("unsupported command"),
    }
}

/// client-go's message for a server nobody answers at.
pub(crate) fn unreachable(server: &str) -> String {
    let host = server
        .split("://")
        .nth(1)
        .unwrap_or(server)
        .trim_end_matches('/');
    format!("Get \"{server}/version\": dial tcp {host}: connect: connection refused")
}

fn error(message: &str) -> Outcome {
    Outcome::fail(1, format!("Error: {message}\n"))
}

/// A chart the fake knows: its default version, app version, notes and objects.
struct Chart {
    name: String,
    version: String,
    app_version: String,
    notes: &'static str,
}

fn chart_for(name: &str, version: Option<&str>) -> Chart {
    let (default_version, app_version, notes) = match name {
        "metallb" => ("0.13.10", "v0.13.10", "MetalLB is now running in the cluster.\n\nNow you can configure it via its CRs. Please refer to the metallb official docs\non how to use the CRs.\n"),
        "ingress-nginx" => ("4.7.1", "1.8.1", "The ingress-nginx controller has been installed.\n"),
        _ => ("0.1.0", "1.0.0", ""),
    };
    let version = version
        .unwrap_or(default_version)
        .trim_start_matches('v')
        .to_string();
    let app_version = if version == default_version {
        app_version.to_string()
    } else {
        format!("v{version}")
    };
    Chart {
        name: name.to_string(),
        version,
        app_version,
        notes,
    }
}

/// `repo/chart`, `--repo URL chart`, or a local chart directory → the chart's name.
fn chart_name(
    invocation: &Invocation,
    reference: &str,
    repo_flag: Option<&str>,
    repos: &std::collections::BTreeMap<String, String>,
) -> Result<String, String> {
    if repo_flag.is_some() {
        return Ok(reference.to_string());
    }
    let local = invocation.path(reference);
    if local.join("Chart.yaml").is_file() {
        let text = std::fs::read_to_string(local.join("Chart.yaml")).map_err(|e| e.to_string())?;
        let meta: Value = serde_yaml::from_str(&text).map_err(|e| format!("Chart.yaml: {e}"))?;
        return meta
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| "validation: chart.metadata.name is required".to_string());
    }
    match reference.split_once('/') {
        Some((repo, chart)) if !reference.starts_with('.') && !reference.starts_with('/') => {
            if repos.contains_key(repo) {
                Ok(chart.to_string())
            } else {
                Err(format!("repo {repo} not found"))
            }
        }
        _ => Err(format!(
            "non-absolute URLs should be in form of repo_name/path_to_chart, got: {reference}"
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn upgrade(
    shared: &Shared,
    invocation: &Invocation,
    cluster: &Arc<FakeCluster>,
    namespace: &str,
    release: &str,
    chart_ref: &str,
    parsed: &Parsed,
    must_exist: bool,
) -> Outcome {
    let repos = lock(&shared.helm_repos).clone();
    let name = match chart_name(invocation, chart_ref, parsed.last("repo"), &repos) {
        Ok(name) => name,
        Err(e) => return error(&e),
    };
    let chart = chart_for(&name, parsed.last("version"));
    let previous = latest(cluster, namespace, release);
    if previous.is_none() && must_exist {
        return error(&format!(
            "UPGRADE FAILED: \"{release}\" has no deployed releases"
        ));
    }
    let mut config = match values::user_values(parsed, &invocation.cwd, invocation.stdin.as_deref())
    {
        Ok(config) => config,
        Err(e) => return error(&e),
    };
    if parsed.on("reuse-values") {
        if let Some(old) = previous
            .as_ref()
            .and_then(|p| p.release.get("config"))
            .filter(|c| c.is_object())
        {
            let mut base = old.clone();
            values::merge_into(&mut base, config);
            config = base;
        }
    }
    if previous.is_none() && !store::namespace_exists(cluster, namespace) {
        if !parsed.on("create-namespace") {
            return error(&format!(
                "create: failed to create: namespaces \"{namespace}\" not found"
            ));
        }
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": {"kubernetes.io/metadata.name": namespace}}});
        if let Err(e) = store::apply(cluster, MANAGER, &ns) {
            return error(&format!("create: failed to create: {e}"));
        }
    }
    let objects = chart_objects(invocation, &chart, release, namespace);
    for object in &objects {
        if let Err(e) = store::apply(cluster, MANAGER, object) {
            let verb = if previous.is_some() {
                "UPGRADE FAILED"
            } else {
                "INSTALLATION FAILED"
            };
            return error(&format!("{verb}: {e}"));
        }
    }
    let revision = previous.as_ref().map_or(1, |p| p.revision + 1);
    let now = now();
    let first_deployed = previous
        .as_ref()
        .and_then(|p| p.release.pointer("/info/first_deployed").cloned())
        .unwrap_or_else(|| Value::String(now.rfc3339.clone()));
    let manifest: String = objects
        .iter()
        .map(|o| {
            format!(
                "---\n# Source: {}/templates/{}.yaml\n{}",
                chart.name,
                o["kind"].as_str().unwrap_or("object").to_lowercase(),
                output::yaml(o)
            )
        })
        .collect();
    let config = if config.as_object().is_some_and(Map::is_empty) {
        Value::Null
    } else {
        config
    };
    let record = json!({
        "name": release,
        "info": {
            "first_deployed": first_deployed,
            "last_deployed": now.rfc3339,
            "deleted": "",
            "description": if previous.is_some() { "Upgrade complete" } else { "Install complete" },
            "status": "deployed",
            "notes": chart.notes,
        },
        "chart": {
            "metadata": {"name": chart.name, "version": chart.version, "appVersion": chart.app_version, "apiVersion": "v2", "type": "application"},
            "lock": null,
            "templates": [],
            "values": {},
            "schema": null,
            "files": [],
        },
        "config": config,
        "manifest": manifest,
        "version": revision,
        "namespace": namespace,
    });
    if let Some(previous) = &previous {
        let mut superseded = previous.release.clone();
        superseded["info"]["status"] = json!("superseded");
        if let Err(e) = store_release(cluster, &superseded, previous.revision, "superseded") {
            return error(&format!("UPGRADE FAILED: {e}"));
        }
    }
    if let Err(e) = store_release(cluster, &record, revision, "deployed") {
        return error(&format!("create: failed to create: {e}"));
    }
    let mut out = String::new();
    match &previous {
        Some(_) => out.push_str(&format!(
            "Release \"{release}\" has been upgraded. Happy Helming!\n"
        )),
        None if must_exist || parsed.on("install") => out.push_str(&format!(
            "Release \"{release}\" does not exist. Installing it now.\n"
        )),
        None => {}
    }
    out.push_str(&summary(&record));
    Outcome::out(out)
}

fn summary(release: &Value) -> String {
    let deployed = release
        .pointer("/info/last_deployed")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out =
        format!(
        "NAME: {}\nLAST DEPLOYED: {}\nNAMESPACE: {}\nSTATUS: {}\nREVISION: {}\nTEST SUITE: None\n",
        release["name"].as_str().unwrap_or_default(),
        ansic(deployed),
        release["namespace"].as_str().unwrap_or_default(),
        release.pointer("/info/status").and_then(Value::as_str).unwrap_or_default(),
        release["version"],
    );
    if let Some(notes) = release
        .pointer("/info/notes")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        out.push_str(&format!("NOTES:\n{notes}"));
    }
    out
}

fn list(cluster: &FakeCluster, namespace: &str, parsed: &Parsed) -> Outcome {
    let mut rows = Vec::new();
    for secret in store::list(cluster, "v1", "Secret") {
        if secret
            .pointer("/metadata/labels/owner")
            .and_then(Value::as_str)
            != Some("helm")
            || secret
                .pointer("/metadata/labels/status")
                .and_then(Value::as_str)
                != Some("deployed")
        {
            continue;
        }
        if !parsed.on("all-namespaces")
            && secret
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                != Some(namespace)
        {
            continue;
        }
        let Some(release) = decode(&secret) else {
            continue;
        };
        rows.push(json!({
            "name": release["name"],
            "namespace": release["namespace"],
            "revision": release["version"].to_string(),
            "updated": release.pointer("/info/last_deployed"),
            "status": "deployed",
            "chart": format!("{}-{}", release.pointer("/chart/metadata/name").and_then(Value::as_str).unwrap_or_default(), release.pointer("/chart/metadata/version").and_then(Value::as_str).unwrap_or_default()),
            "app_version": release.pointer("/chart/metadata/appVersion"),
        }));
    }
    if parsed.last("output") == Some("json") {
        return Outcome::out(format!("{}\n", Value::Array(rows)));
    }
    let mut out = String::from("NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\n");
    for row in rows {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\tdeployed\t{}\t{}\n",
            row["name"].as_str().unwrap_or_default(),
            row["namespace"].as_str().unwrap_or_default(),
            row["revision"].as_str().unwrap_or_default(),
            row["updated"].as_str().unwrap_or_default(),
            row["chart"].as_str().unwrap_or_default(),
            row["app_version"].as_str().unwrap_or_default(),
        ));
    }
    Outcome::out(out)
}

fn uninstall(cluster: &FakeCluster, namespace: &str, release: &str) -> Outcome {
    let Some(stored) = latest(cluster, namespace, release) else {
        return error(&format!(
            "uninstall: Release not loaded: {release}: release: not found"
        ));
    };
    let manifest = stored.release["manifest"].as_str().unwrap_or_default();
    for doc in serde_yaml::Deserializer::from_str(manifest) {
        let Ok(object) = <Value as serde::Deserialize>::deserialize(doc) else {
            continue;
        };
        let field = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        if field("/kind") == "CustomResourceDefinition" {
            continue; // helm never deletes CRDs
        }
        let ns = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str);
        store::delete(
            cluster,
            &field("/apiVersion"),
            &field("/kind"),
            ns,
            &field("/metadata/name"),
        );
    }
    for secret in release_secrets(cluster, namespace, release) {
        if let Some(name) = secret.pointer("/metadata/name").and_then(Value::as_str) {
            store::delete(cluster, "v1", "Secret", Some(namespace), name);
        }
    }
    Outcome::out(format!("release \"{release}\" uninstalled\n"))
}

/// A stored release and its revision.
struct Stored {
    revision: u64,
    release: Value,
}

fn release_secrets(cluster: &FakeCluster, namespace: &str, release: &str) -> Vec<Value> {
    store::list_in(cluster, "v1", "Secret", namespace)
        .into_iter()
        .filter(|s| {
            s.pointer("/metadata/labels/owner").and_then(Value::as_str) == Some("helm")
                && s.pointer("/metadata/labels/name").and_then(Value::as_str) == Some(release)
        })
        .collect()
}

/// The newest revision of a release, decoded.
fn latest(cluster: &FakeCluster, namespace: &str, release: &str) -> Option<Stored> {
    release_secrets(cluster, namespace, release)
        .iter()
        .filter_map(|secret| {
            let revision = secret
                .pointer("/metadata/labels/version")?
                .as_str()?
                .parse()
                .ok()?;
            Some(Stored {
                revision,
                release: decode(secret)?,
            })
        })
        .max_by_key(|s| s.revision)
}

/// Secret data `release` → base64 → gzip → JSON, as helm's storage driver writes it.
fn decode(secret: &Value) -> Option<Value> {
    let wire = secret.pointer("/data/release")?.as_str()?;
    let helm_b64 = output::unb64(wire)?;
    let gz = output::unb64(std::str::from_utf8(&helm_b64).ok()?)?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut json)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

fn store_release(
    cluster: &FakeCluster,
    release: &Value,
    revision: u64,
    status: &str,
) -> Result<(), String> {
    let name = release["name"].as_str().unwrap_or_default();
    let namespace = release["namespace"].as_str().unwrap_or_default();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.to_string().as_bytes())
        .map_err(|e| e.to_string())?;
    let compressed = gz.finish().map_err(|e| e.to_string())?;
    let secret = json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": format!("sh.helm.release.v1.{name}.v{revision}"),
            "namespace": namespace,
            "labels": {
                "modifiedAt": now().unix.to_string(),
                "name": name,
                "owner": "helm",
                "status": status,
                "version": revision.to_string(),
            },
        },
        "type": "helm.sh/release.v1",
        "data": {"release": output::b64(output::b64(compressed))},
    });
    store::apply(cluster, MANAGER, &secret)
}

/// What the known charts create (their main objects, not every template).
fn chart_objects(
    invocation: &Invocation,
    chart: &Chart,
    release: &str,
    namespace: &str,
) -> Vec<Value> {
    let labels = |component: &str| {
        json!({
            "app.kubernetes.io/name": chart.name,
            "app.kubernetes.io/instance": release,
            "app.kubernetes.io/version": chart.app_version,
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/component": component,
            "helm.sh/chart": format!("{}-{}", chart.name, chart.version),
        })
    };
    let selector = |component: &str| json!({"app.kubernetes.io/name": chart.name, "app.kubernetes.io/instance": release, "app.kubernetes.io/component": component});
    let meta = |name: &str, component: &str| {
        json!({
            "name": name,
            "namespace": namespace,
            "labels": labels(component),
            "annotations": {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace},
        })
    };
    let workload = |kind: &str, name: &str, component: &str, image: String, ports: Value| {
        let mut spec = json!({
            "selector": {"matchLabels": selector(component)},
            "template": {
                "metadata": {"labels": selector(component)},
                "spec": {"serviceAccountName": name, "containers": [{"name": component, "image": image, "ports": ports}]},
            },
        });
        if kind == "Deployment" {
            spec["replicas"] = json!(1);
        }
        json!({"apiVersion": "apps/v1", "kind": kind, "metadata": meta(name, component), "spec": spec})
    };
    let shared_crds = invocation.shared_crds();
    match chart.name.as_str() {
        "metallb" => vec![
            crds::shared_or(
                shared_crds.as_deref(),
                "metallb-ipaddresspools.yaml",
                crds::minimal(
                    "metallb.io",
                    "IPAddressPool",
                    "ipaddresspools",
                    "Namespaced",
                    &[Version("v1beta1", true)],
                ),
            ),
            crds::shared_or(
                shared_crds.as_deref(),
                "metallb-l2advertisements.yaml",
                crds::minimal(
                    "metallb.io",
                    "L2Advertisement",
                    "l2advertisements",
                    "Namespaced",
                    &[Version("v1beta1", true)],
                ),
            ),
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("metallb-controller", "controller")}),
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("metallb-speaker", "speaker")}),
            workload(
                "Deployment",
                "metallb-controller",
                "controller",
                format!("quay.io/metallb/controller:{}", chart.app_version),
                json!([{"name": "monitoring", "containerPort": 7472}, {"name": "webhook-server", "containerPort": 9443}]),
            ),
            workload(
                "DaemonSet",
                "metallb-speaker",
                "speaker",
                format!("quay.io/metallb/speaker:{}", chart.app_version),
                json!([{"name": "monitoring", "containerPort": 7472}]),
            ),
        ],
        "ingress-nginx" => vec![
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("ingress-nginx", "controller")}),
            {
                let mut deployment = workload(
                    "Deployment",
                    "ingress-nginx-controller",
                    "controller",
                    format!(
                        "registry.k8s.io/ingress-nginx/controller:v{}",
                        chart.app_version.trim_start_matches('v')
                    ),
                    json!([{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443}]),
                );
                deployment["spec"]["template"]["spec"]["serviceAccountName"] =
                    json!("ingress-nginx");
                deployment
            },
            json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": meta("ingress-nginx-controller", "controller"),
                "spec": {
                    "type": "LoadBalancer",
                    "ports": [
                        {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                        {"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"},
                    ],
                    "selector": selector("controller"),
                },
            }),
        ],
        _ => Vec::new(),
    }
}

struct Now {
    rfc3339: String,
    unix: i64,
}

fn now() -> Now {
    let now = time::OffsetDateTime::now_utc();
    Now {
        rfc3339: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        unix: now.unix_timestamp(),
    }
}

/// RFC 3339 → Go's `time.ANSIC` (`Mon Jan _2 15:04:05 2006`), as `LAST DEPLOYED:` prints.
fn ansic(rfc3339: &str) -> String {
    let Ok(at) =
        time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
    else {
        return rfc3339.to_string();
    };
    let format = time::macros::format_description!("[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]");
    at.format(&format).unwrap_or_else(|_| rfc3339.to_string())
}
