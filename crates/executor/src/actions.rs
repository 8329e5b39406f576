//! External-action nodes: what plan says of them and how apply carries them out, one
//! arm per [`ExternalAction`]. Command lines come from core (`graph::commands`), the one
//! place each is spelled, and run through [`crate::tools`] with the run's kubeconfig.
//!
//! - existing cluster: reachable;
//! - kind cluster: `kind get clusters` first, `kind create cluster` only when missing,
//!   then the kubeconfig is read again for its new context;
//! - helm release: `helm status -o json` first (chart version, values, state), upgrade
//!   only when one differs (helm-diff's rule);
//! - linkerd renders, links and workload manifests: the tool renders YAML, which goes
//!   through the same observe → diff → apply path as meshctl's own objects; the control
//!   plane and viz get meshctl's webhook certificates ([`crate::webhooks`]);
//! - LoadBalancer wait: polled until the Service has an address, which must lie in one
//!   of the cluster's pools;
//! - certificates: the mesh's trust anchor and issuer, generated once into the state
//!   directory (or the user's files, read in place) and verified (meshctl-certs).

use crate::api::ClusterApi;
use crate::discovery::Resolved;
use crate::engine::Engine;
use crate::error::ExecutorError;
use crate::scheduler::NodeReport;
use crate::tools::{self, ToolOutput};
use crate::wait;
use meshctl_core::graph::{
    commands, helm_status, helm_uninstall, kind_delete_cluster, kind_get_clusters,
    kustomize_render, preflight, ExternalAction, Node, Tool, ToolCommand,
};
use meshctl_core::live::{ActionPlan, LiveAction};
use meshctl_core::render::DesiredObject;
use serde_json::{Map, Value};

/// The command lines of an action, as shown in a plan.
pub fn command_lines(engine: &Engine, action: &ExternalAction) -> Vec<Vec<String>> {
    shown(&planned_commands(engine, action))
}

fn shown(commands: &[ToolCommand]) -> Vec<Vec<String>> {
    commands.iter().map(ToolCommand::argv).collect()
}

/// The commands the executor runs for an action: core's spelling, except that rendered
/// manifests are rendered (not `kubectl apply`-ed), since meshctl applies them itself.
fn planned_commands(engine: &Engine, action: &ExternalAction) -> Vec<ToolCommand> {
    match action {
        ExternalAction::LinkerdLink { .. } => commands(action, &engine.paths)
            .into_iter()
            .filter(|c| c.tool != Tool::Kubectl)
            .collect(),
        ExternalAction::Manifests {
            kustomize: Some(dir),
            context,
            ..
        } => vec![kustomize_render(dir, context)],
        ExternalAction::Manifests { .. } => Vec::new(),
        _ => commands(action, &engine.paths),
    }
}

/// Whether the action's result is a set of objects meshctl applies itself.
pub fn renders_objects(action: &ExternalAction) -> bool {
    matches!(
        action,
        ExternalAction::LinkerdRender { .. }
            | ExternalAction::LinkerdLink { .. }
            | ExternalAction::Manifests { .. }
    )
}

/// Runs one tool command with the run's kubeconfig and PATH, once one of the run's tool
/// slots is free (`--parallelism` processes at once, whatever their cluster).
async fn run_tool(engine: &Engine, argv: &[String]) -> Result<ToolOutput, ExecutorError> {
    // The semaphore is never closed; if it were, running unthrottled is still correct.
    let _slot = engine.tool_slots.acquire().await.ok();
    tools::run_with_env(argv, engine.opts.timeouts.tool, &[], &engine.tool_env()).await
}

fn argv(command: &ToolCommand) -> Vec<String> {
    std::iter::once(command.tool.program().to_string())
        .chain(command.args.iter().cloned())
        .collect()
}

/// The objects a rendering action produces now (running its tool, or reading its files),
/// with namespaces filled in as `kubectl apply --namespace` would.
pub async fn render(
    engine: &Engine,
    api: &ClusterApi,
    action: &ExternalAction,
) -> Result<Vec<DesiredObject>, ExecutorError> {
    let mut values = Vec::new();
    let default_namespace = match action {
        ExternalAction::Manifests {
            namespace,
            kustomize: None,
            files,
            ..
        } => {
            for file in files {
                let text = std::fs::read_to_string(file).map_err(|e| {
                    ExecutorError::Tool(format!("cannot read manifest {}: {e}", file.display()))
                })?;
                values.extend(tools::parse_manifests(&text)?);
            }
            Some(namespace.clone())
        }
        _ => {
            // Before the command: it reads the webhook values file this writes.
            let webhooks = {
                let _one_at_a_time = engine
                    .webhook_certificates
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                crate::webhooks::prepare(&engine.paths.state_dir, &api.cluster, action)?
            };
            for command in planned_commands(engine, action) {
                let output = run_tool(engine, &argv(&command)).await?;
                values.extend(tools::parse_manifests(&output.stdout)?);
            }
            webhooks.merge_into(&mut values);
            match action {
                ExternalAction::Manifests { namespace, .. } => Some(namespace.clone()),
                _ => None,
            }
        }
    };
    let mut objects = Vec::new();
    for value in values {
        objects.push(normalize(engine, api, value, default_namespace.as_deref()).await?);
    }
    // CRDs and Namespaces first: what follows may need them.
    objects.sort_by_key(|o| match o.kind.as_str() {
        "CustomResourceDefinition" => 0,
        "Namespace" => 1,
        _ => 2,
    });
    Ok(objects)
}

/// A rendered object as a desired object: namespaced kinds without a namespace get the
/// default one; cluster-scoped kinds lose any namespace.
async fn normalize(
    engine: &Engine,
    api: &ClusterApi,
    mut body: Value,
    default_namespace: Option<&str>,
) -> Result<DesiredObject, ExecutorError> {
    let text = |body: &Value, pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let api_version = text(&body, "/apiVersion").unwrap_or_default();
    let kind = text(&body, "/kind").unwrap_or_default();
    let name = text(&body, "/metadata/name")
        .ok_or_else(|| ExecutorError::Tool(format!("a rendered {kind} has no metadata.name")))?;
    let mut namespace = text(&body, "/metadata/namespace");
    if let Resolved::Served { namespaced, .. } = engine
        .discovery
        .resolve(api, &api_version, &kind, false)
        .await?
    {
        namespace = if namespaced {
            Some(namespace.unwrap_or_else(|| default_namespace.unwrap_or("default").to_string()))
        } else {
            None
        };
    } else if namespace.is_none() {
        // A kind whose CRD is not installed yet: custom resources rendered next to
        // their CRD are namespaced far more often than not.
        namespace = default_namespace.map(str::to_string);
    }
    if let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        match &namespace {
            Some(ns) => {
                metadata.insert("namespace".into(), ns.clone().into());
            }
            None => {
                metadata.remove("namespace");
            }
        }
    }
    Ok(DesiredObject {
        api_version,
        kind,
        namespace,
        name,
        body,
    })
}

/// What apply will do for an action node that is not rendered into objects; `api` is
/// the node's cluster when it answered.
pub async fn plan_action(
    engine: &Engine,
    api: Option<&ClusterApi>,
    action: &ExternalAction,
) -> ActionPlan {
    let lines = command_lines(engine, action);
    let plan = |action: LiveAction, note: Option<String>| ActionPlan {
        action,
        commands: lines.clone(),
        note,
    };
    match action {
        ExternalAction::UseExistingCluster { .. } => match api {
            Some(_) => plan(LiveAction::Unchanged, None),
            None => plan(
                LiveAction::Unknown,
                Some("the cluster could not be read".into()),
            ),
        },
        ExternalAction::KindCluster { name, .. } => match kind_cluster_exists(engine, name).await {
            Ok(true) => plan(LiveAction::Unchanged, None),
            Ok(false) => kind_cluster_creation(engine, action).await,
            Err(e) => plan(LiveAction::Unknown, Some(e.to_string())),
        },
        ExternalAction::HelmRelease { .. } => match helm_decision(engine, action).await {
            Ok((action, note)) => plan(action, note),
            Err(e) => plan(LiveAction::Unknown, Some(e.to_string())),
        },
        ExternalAction::WaitForLoadBalancer {
            namespace,
            service,
            pools,
            ..
        } => {
            let address = match api {
                Some(api) => lb_address(engine, api, namespace, service).await,
                None => None,
            };
            match address {
                Some(address) => match wait::address_in_pools(&address, pools) {
                    Ok(()) => plan(LiveAction::Unchanged, Some(format!("address {address}"))),
                    Err(problem) => plan(LiveAction::Unknown, Some(problem)),
                },
                None => plan(
                    LiveAction::Unknown,
                    Some(format!(
                        "waits for {namespace}/{service} to get a LoadBalancer address (known after apply)"
                    )),
                ),
            }
        }
        ExternalAction::Certificates { .. } => match certificates(action, false) {
            Ok((true, note)) => plan(LiveAction::Create, Some(note)),
            Ok((false, note)) => plan(LiveAction::Unchanged, Some(note)),
            Err(e) => plan(LiveAction::Unknown, Some(e.to_string())),
        },
        // Rendering actions are planned as objects by the planner.
        _ => plan(LiveAction::Unknown, None),
    }
}

/// Carries out an action node that is not rendered into objects.
pub async fn run_action(
    engine: &Engine,
    node: &Node,
    action: &ExternalAction,
) -> Result<NodeReport, ExecutorError> {
    let cluster = || {
        engine
            .cluster_of(node)
            .ok_or_else(|| ExecutorError::Invalid(format!("node {} names no cluster", node.id)))
    };
    match action {
        ExternalAction::UseExistingCluster { .. } => {
            let c = cluster()?;
            engine.clients.reachable(&c.name, &c.context).await?;
            Ok(NodeReport::default())
        }
        ExternalAction::KindCluster { name, config } => {
            let c = cluster()?;
            if kind_cluster_exists(engine, name).await? {
                return Ok(NodeReport::default());
            }
            {
                // kind uses a network that exists as it is; made here, it is on the subnet the
                // topology's pools are in. One cluster at a time checks and makes it.
                let _network = engine.network_lock.lock().await;
                if let Some((_, create)) = network_to_create(engine).await? {
                    run_tool(engine, &create.argv()).await?;
                }
            }
            let file = engine.paths.kind_config_file(name);
            write_kind_config(&file, config)?;
            for command in commands(action, &engine.paths) {
                run_tool(engine, &argv(&command)).await?;
            }
            // Its context is in the kubeconfig only now.
            engine.clients.forget(&c.context).await;
            engine.clients.reachable(&c.name, &c.context).await?;
            Ok(NodeReport {
                detail: format!("kind cluster {name} created"),
                changed: true,
            })
        }
        ExternalAction::HelmRelease { release, .. } => {
            let (decision, _) = helm_decision(engine, action).await?;
            if decision == LiveAction::Unchanged {
                return Ok(NodeReport::default());
            }
            for command in commands(action, &engine.paths) {
                run_tool(engine, &argv(&command)).await?;
            }
            Ok(NodeReport {
                detail: format!(
                    "helm release {release} {}",
                    if decision == LiveAction::Create {
                        "installed"
                    } else {
                        "upgraded"
                    }
                ),
                changed: true,
            })
        }
        ExternalAction::WaitForLoadBalancer {
            namespace,
            service,
            pools,
            ..
        } => {
            let c = cluster()?;
            let api = engine.clients.reachable(&c.name, &c.context).await?;
            let resource = service_resource(engine, &api).await?;
            let address = wait::until(
                &api,
                &resource,
                Some(namespace),
                service,
                &format!("Service {namespace}/{service} LoadBalancer address"),
                engine.opts.timeouts.wait,
                wait::load_balancer_address,
            )
            .await?;
            wait::address_in_pools(&address, pools).map_err(|problem| {
                ExecutorError::Invalid(format!(
                    "cluster {}: Service {namespace}/{service}: {problem}",
                    c.name
                ))
            })?;
            Ok(NodeReport {
                detail: format!("address {address}"),
                changed: false,
            })
        }
        ExternalAction::Certificates { .. } => {
            let (created, note) = certificates(action, true)?;
            Ok(NodeReport {
                detail: if created { note } else { String::new() },
                changed: created,
            })
        }
        _ => Err(ExecutorError::Invalid(format!(
            "{}: a rendering action reached the action runner",
            node.id
        ))),
    }
}

/// Checks (`write` false) or makes sure of (`write` true) the mesh's trust material:
/// whether anything is (to be) generated, and what, for the plan.
fn certificates(action: &ExternalAction, write: bool) -> Result<(bool, String), ExecutorError> {
    use meshctl_certs::Origin;
    let ExternalAction::Certificates { state_dir, .. } = action else {
        return Err(ExecutorError::Invalid("not a certificates action".into()));
    };
    let material = trust_material(action, write)?;
    let created: Vec<&str> = [
        (&material.anchor_source, "trust anchor"),
        (&material.issuer_source, "issuer"),
    ]
    .into_iter()
    .filter(|(s, _)| s.origin == Origin::Created)
    .map(|(_, what)| what)
    .collect();
    let note = if created.is_empty() {
        format!("trust material in {} verified", state_dir.display())
    } else {
        format!(
            "{} generated into {}",
            created.join(" and "),
            state_dir.display()
        )
    };
    Ok((!created.is_empty(), note))
}

/// The trust material of a certificates action: read and verified, with what is missing
/// generated in memory (`write` false) or also stored (`write` true).
pub fn trust_material(
    action: &ExternalAction,
    write: bool,
) -> Result<meshctl_certs::TrustMaterial, ExecutorError> {
    use meshctl_certs::{CertSource, CertStore, TrustSettings};
    use meshctl_core::graph::ResolvedCertificate;
    let ExternalAction::Certificates {
        trust_domain,
        state_dir,
        trust_anchor,
        issuer,
    } = action
    else {
        return Err(ExecutorError::Invalid("not a certificates action".into()));
    };
    let source = |resolved: &ResolvedCertificate| -> Result<CertSource, ExecutorError> {
        Ok(match resolved {
            ResolvedCertificate::Generate {
                common_name,
                validity,
                ..
            } => CertSource::Generate {
                common_name: common_name.clone(),
                validity: humantime::parse_duration(validity).map_err(|e| {
                    ExecutorError::Invalid(format!("certificate validity {validity:?}: {e}"))
                })?,
            },
            ResolvedCertificate::Files { cert, key } => CertSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
        })
    };
    let settings = TrustSettings {
        trust_domain: trust_domain.clone(),
        anchor: source(trust_anchor)?,
        issuer: source(issuer)?,
    };
    let store = CertStore::new(state_dir.clone());
    let now = std::time::SystemTime::now();
    if write {
        store.ensure(&settings, now)
    } else {
        store.check(&settings, now)
    }
    .map_err(|e| ExecutorError::Tool(format!("trust material: {e}")))
}

/// `kind delete cluster --name <name>` when it exists; whether it did.
pub async fn delete_kind_cluster(engine: &Engine, name: &str) -> Result<bool, ExecutorError> {
    if !kind_cluster_exists(engine, name).await? {
        return Ok(false);
    }
    run_tool(engine, &kind_delete_cluster(name).argv()).await?;
    Ok(true)
}

/// `helm uninstall` of a release when it exists; whether it did.
pub async fn uninstall_helm(
    engine: &Engine,
    action: &ExternalAction,
) -> Result<bool, ExecutorError> {
    let ExternalAction::HelmRelease {
        release,
        namespace,
        context,
        ..
    } = action
    else {
        return Ok(false);
    };
    if helm_decision(engine, action).await?.0 == LiveAction::Create {
        return Ok(false);
    }
    run_tool(engine, &helm_uninstall(release, namespace, context).argv()).await?;
    Ok(true)
}

/// The plan of creating a kind cluster: its command lines, after the one that makes the
/// docker network when apply makes that first (when docker cannot be asked, the preflight
/// says why).
pub(crate) async fn kind_cluster_creation(engine: &Engine, action: &ExternalAction) -> ActionPlan {
    let mut commands = command_lines(engine, action);
    let mut note = None;
    if let Ok(Some((network, create))) = network_to_create(engine).await {
        commands.insert(0, create.argv());
        note = Some(format!(
            "docker network {network} is created first, on spec.network.subnet"
        ));
    }
    ActionPlan {
        action: LiveAction::Create,
        commands,
        note,
    }
}

/// The topology's docker network and the command that makes it, when meshctl makes it
/// and it does not exist yet; with the MTU of docker's default bridge, as kind takes it.
async fn network_to_create(engine: &Engine) -> Result<Option<(&str, ToolCommand)>, ExecutorError> {
    let Some(network) = &engine.machine.network else {
        return Ok(None);
    };
    if preflight::docker_network_create(&engine.machine, None).is_none() {
        return Ok(None);
    }
    let inspect = preflight::docker_network_inspect(network).argv();
    match run_tool(engine, &inspect).await {
        Ok(_) => return Ok(None),
        Err(e) if preflight::network_not_found(&e.to_string(), network) => {}
        Err(e) => return Err(e),
    }
    let mtu = match run_tool(engine, &preflight::docker_network_inspect("bridge").argv()).await {
        Ok(output) => preflight::bridge_mtu(&output.stdout),
        // No default bridge (a daemon run with --bridge=none): docker's default MTU.
        Err(_) => None,
    };
    Ok(preflight::docker_network_create(&engine.machine, mtu)
        .map(|create| (network.as_str(), create)))
}

/// `kind get clusters` lists `name`.
pub async fn kind_cluster_exists(engine: &Engine, name: &str) -> Result<bool, ExecutorError> {
    let output = run_tool(engine, &kind_get_clusters().argv()).await?;
    Ok(output.stdout.lines().any(|line| line.trim() == name))
}

fn write_kind_config(file: &std::path::Path, config: &Value) -> Result<(), ExecutorError> {
    let text = serde_yaml::to_string(config)
        .map_err(|e| ExecutorError::Invalid(format!("kind config: {e}")))?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| ExecutorError::Tool(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(file, text)
        .map_err(|e| ExecutorError::Tool(format!("cannot write {}: {e}", file.display())))
}

/// Installed, upgraded or left alone: reads the release (`helm status -o json`) and
/// compares its chart version, user values and state with the desired ones.
async fn helm_decision(
    engine: &Engine,
    action: &ExternalAction,
) -> Result<(LiveAction, Option<String>), ExecutorError> {
    let ExternalAction::HelmRelease {
        release,
        namespace,
        version,
        values,
        context,
        ..
    } = action
    else {
        return Err(ExecutorError::Invalid("not a helm release".into()));
    };
    let status = helm_status(release, namespace, context).argv();
    let output = match run_tool(engine, &status).await {
        Ok(output) => output,
        Err(ExecutorError::Tool(message)) if message.contains("not found") => {
            return Ok((LiveAction::Create, None))
        }
        Err(e) => return Err(e),
    };
    let live: Value = serde_json::from_str(&output.stdout)
        .map_err(|e| ExecutorError::Tool(format!("helm status -o json is not JSON: {e}")))?;
    let mut differences = Vec::new();
    let state = live
        .pointer("/info/status")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    if state != "deployed" {
        differences.push(format!("release is {state}"));
    }
    let live_version = live
        .pointer("/chart/metadata/version")
        .and_then(Value::as_str);
    if let Some(wanted) = version {
        if live_version != Some(wanted.trim_start_matches('v'))
            && live_version != Some(wanted.as_str())
        {
            differences.push(format!(
                "chart version {} → {wanted}",
                live_version.unwrap_or("?")
            ));
        }
    }
    let live_values = live.get("config").cloned().unwrap_or(Value::Null);
    let wanted_values = set_values(values);
    let live_values = if live_values.is_null() {
        Value::Object(Map::new())
    } else {
        live_values
    };
    if live_values != wanted_values {
        let changed: Vec<String> = meshctl_core::live::field_diff(&live_values, &wanted_values)
            .iter()
            .map(|d| d.path.to_string())
            .collect();
        differences.push(format!("values {}", changed.join(", ")));
    }
    Ok(if differences.is_empty() {
        (LiveAction::Unchanged, None)
    } else {
        (LiveAction::Update, Some(differences.join("; ")))
    })
}

/// The values `--set key=value` pairs produce, typed as helm types them (`true`/`false`,
/// integers, `null`; the rest strings), dotted keys nested.
pub fn set_values(pairs: &[(String, String)]) -> Value {
    let mut root = Map::new();
    for (key, value) in pairs {
        let path = split_key(key);
        let typed = match value.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            v => match v.parse::<i64>() {
                Ok(n) if !(v.starts_with('0') && v.len() > 1) => Value::from(n),
                _ => Value::String(v.to_string()),
            },
        };
        insert(&mut root, &path, typed);
    }
    Value::Object(root)
}

/// `a.b\.c` → [`a`, `b.c`].
fn split_key(key: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                if let (Some(last), Some(next)) = (parts.last_mut(), chars.next()) {
                    last.push(next);
                }
            }
            '.' => parts.push(String::new()),
            c => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}

fn insert(map: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        map.insert(first.clone(), value);
        return;
    }
    let child = map
        .entry(first.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    if let Some(child) = child.as_object_mut() {
        insert(child, rest, value);
    }
}

async fn service_resource(
    engine: &Engine,
    api: &ClusterApi,
) -> Result<kube::core::ApiResource, ExecutorError> {
    match engine
        .discovery
        .resolve(api, "v1", "Service", false)
        .await?
    {
        Resolved::Served { resource, .. } => Ok(resource),
        Resolved::NotServed => Err(ExecutorError::Invalid(format!(
            "cluster {} does not serve v1 Services",
            api.cluster
        ))),
    }
}

async fn lb_address(
    engine: &Engine,
    api: &ClusterApi,
    namespace: &str,
    service: &str,
) -> Option<String> {
    let resource = service_resource(engine, api).await.ok()?;
    let live = api.get(&resource, Some(namespace), service).await.ok()??;
    wait::load_balancer_address(&live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_values_nest_and_type_like_helm() {
        let pairs = vec![
            (
                "controller.service.type".to_string(),
                "LoadBalancer".to_string(),
            ),
            ("controller.replicaCount".to_string(), "2".to_string()),
            ("speaker.enabled".to_string(), "false".to_string()),
            (
                "podAnnotations.linkerd\\.io/inject".to_string(),
                "enabled".to_string(),
            ),
            ("zip".to_string(), "0123".to_string()),
        ];
        assert_eq!(
            set_values(&pairs),
            json!({"controller": {"service": {"type": "LoadBalancer"}, "replicaCount": 2},
                   "speaker": {"enabled": false},
                   "podAnnotations": {"linkerd.io/inject": "enabled"},
                   "zip": "0123"})
        );
    }
}
