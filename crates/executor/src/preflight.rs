//! Before anything runs: every external tool the selected nodes need is present, at the
//! version the topology needs, or one message lists what is missing and how to get it;
//! and for kind clusters, the docker network kind uses holds the topology's node network
//! and every pool, and each `apiServerAddress` is an address of this machine (core's
//! `graph::preflight` judges what `docker network inspect` and `ip -json address show`
//! show).

use crate::engine::Engine;
use crate::error::ExecutorError;
use crate::tools;
use meshctl_core::graph::{self, preflight, Desired, ExternalAction, Graph, LinkerdPiece, Tool};
use std::collections::BTreeMap;
use std::time::Duration;

/// One tool the run needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The tool (`linkerd`).
    pub tool: Tool,
    /// The version it must print (trimmed), when one is required.
    pub exact: Option<String>,
    /// A prefix its version must start with (`v3` for helm 3).
    pub prefix: Option<&'static str>,
    /// How to get it.
    pub hint: String,
}

impl Requirement {
    fn new(tool: Tool, hint: impl Into<String>) -> Requirement {
        Requirement {
            tool,
            exact: None,
            prefix: None,
            hint: hint.into(),
        }
    }
}

/// The tools the selected nodes of the graph run, each once.
pub fn requirements(graph: &Graph, engine: &Engine) -> Vec<Requirement> {
    let mut needed: BTreeMap<&'static str, Requirement> = BTreeMap::new();
    for node in graph.nodes().filter(|n| engine.selected.contains(&n.id)) {
        let Desired::Action(action) = &node.desired else {
            continue;
        };
        match action {
            ExternalAction::KindCluster { .. } => {
                needed.entry("kind").or_insert(Requirement::new(
                    Tool::Kind,
                    "install kind (go install sigs.k8s.io/kind@v0.20.0, or a release binary) and docker",
                ));
            }
            ExternalAction::HelmRelease { .. } => {
                needed.entry("helm").or_insert(Requirement {
                    prefix: Some("v3"),
                    ..Requirement::new(Tool::Helm, "install helm 3")
                });
            }
            ExternalAction::LinkerdRender { version, what, .. } => {
                if let LinkerdPiece::Smi { version } = what {
                    needed.entry("linkerd-smi").or_insert(Requirement {
                        exact: Some(version.clone()),
                        ..Requirement::new(
                            Tool::LinkerdSmi,
                            format!("install the linkerd-smi {version} CLI plugin (linkerd-smi on PATH)"),
                        )
                    });
                }
                if matches!(what, LinkerdPiece::Crds | LinkerdPiece::ControlPlane { .. }) {
                    needed.insert("linkerd", linkerd(Some(version)));
                } else {
                    needed.entry("linkerd").or_insert(linkerd(None));
                }
            }
            ExternalAction::LinkerdLink { .. } => {
                needed.entry("linkerd").or_insert(linkerd(None));
            }
            ExternalAction::Manifests {
                kustomize: Some(_), ..
            } => {
                needed.entry("kubectl").or_insert(Requirement::new(
                    Tool::Kubectl,
                    "install kubectl (its `kustomize` renders workload directories)",
                ));
            }
            _ => {}
        }
    }
    needed.into_values().collect()
}

fn linkerd(version: Option<&String>) -> Requirement {
    Requirement {
        tool: Tool::Linkerd,
        exact: version.cloned(),
        prefix: None,
        hint: match version {
            Some(v) => format!("install the linkerd CLI {v} (curl -sL https://run.linkerd.io/install | LINKERD2_VERSION={v} sh)"),
            None => "install the linkerd CLI".into(),
        },
    }
}

/// The machine checks of the selected kind clusters: `docker network inspect` of the
/// topology's network must contain its subnet and pools, and each kind cluster's
/// `apiServerAddress` must be one of this machine's addresses (`ip -json address show`).
/// One line per problem.
pub async fn check_machine(graph: &Graph, engine: &Engine) -> Vec<String> {
    let requirements = graph.machine();
    let Some(network) = &requirements.network else {
        return Vec::new();
    };
    let selected_kind = graph.nodes().any(|n| {
        engine.selected.contains(&n.id)
            && matches!(
                n.desired,
                Desired::Action(ExternalAction::KindCluster { .. })
            )
    });
    if !selected_kind {
        return Vec::new();
    }
    let mut problems = check_docker_network(requirements, network, engine).await;
    problems.extend(check_api_server_addresses(requirements, engine).await);
    problems
}

async fn check_docker_network(
    requirements: &preflight::MachineRequirements,
    network: &str,
    engine: &Engine,
) -> Vec<String> {
    let argv = preflight::docker_network_inspect(network).argv();
    let output = tools::run_with_env(&argv, Duration::from_secs(30), &[], &engine.tool_env()).await;
    let subnets = match output {
        Ok(output) => preflight::network_subnets(&output.stdout),
        Err(e) => Err(e.to_string()),
    };
    match subnets {
        Ok(subnets) => preflight::check_network(requirements, &subnets),
        // Apply makes the network on the topology's subnet before the first kind cluster;
        // docker refuses a subnet another network has.
        Err(e) if preflight::network_not_found(&e, network) => {
            check_new_network(requirements, network, engine).await
        }
        Err(e) => vec![format!(
            "docker network {network}: {e}; kind clusters need docker and its `{network}` network (apply makes it before the first cluster when it does not exist)"
        )],
    }
}

/// Whether docker can make `network` on the topology's subnet: no other network may
/// have an overlapping one.
async fn check_new_network(
    requirements: &preflight::MachineRequirements,
    network: &str,
    engine: &Engine,
) -> Vec<String> {
    let env = engine.tool_env();
    let run = |argv: Vec<String>| {
        let env = env.clone();
        async move { tools::run_with_env(&argv, Duration::from_secs(30), &[], &env).await }
    };
    let names = match run(preflight::docker_network_names().argv()).await {
        Ok(output) => output
            .stdout
            .lines()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>(),
        Err(e) => {
            return vec![format!(
                "docker network {network} does not exist yet, and the others could not be listed to check that its subnet is free: {e}"
            )]
        }
    };
    if names.is_empty() {
        return Vec::new();
    }
    match run(preflight::docker_networks_inspect(&names).argv()).await {
        Ok(output) => match preflight::named_network_subnets(&output.stdout) {
            Ok(existing) => preflight::check_new_network(requirements, &existing),
            Err(e) => vec![format!("docker network {network}: {e}")],
        },
        // A network removed between the two calls (rare): nothing to compare with here;
        // `docker network create` still refuses an overlap, failing the kind cluster.
        Err(e)
            if names
                .iter()
                .any(|name| preflight::network_not_found(&e.to_string(), name)) =>
        {
            Vec::new()
        }
        Err(e) => vec![format!("docker network {network}: {e}")],
    }
}

/// kind binds each API server on its `apiServerAddress`, so that address must be this
/// machine's. Where `ip` (iproute2) is not installed (macOS) the addresses cannot be
/// listed and this check is skipped; kind itself then fails on a foreign address.
async fn check_api_server_addresses(
    requirements: &preflight::MachineRequirements,
    engine: &Engine,
) -> Vec<String> {
    if requirements.api_server_addresses.is_empty() {
        return Vec::new();
    }
    let argv = preflight::local_addresses_command().argv();
    let output = tools::run_with_env(&argv, Duration::from_secs(30), &[], &engine.tool_env()).await;
    let output = match output {
        Ok(output) => output,
        // Not installed: nothing to compare with (see above).
        Err(ExecutorError::Tool(e)) if e.starts_with("cannot run") => return Vec::new(),
        Err(e) => {
            return vec![format!(
                "could not list this machine's addresses to check apiServerAddress: {e}"
            )]
        }
    };
    match preflight::addresses_from_ip_json(&output.stdout) {
        Ok(local) => preflight::check_api_server_addresses(requirements, &local),
        Err(e) => vec![format!(
            "could not list this machine's addresses to check apiServerAddress: {e}"
        )],
    }
}

/// Checks every requirement; returns one line per problem (empty: all good).
pub async fn check(requirements: &[Requirement], engine: &Engine) -> Vec<String> {
    let mut problems = Vec::new();
    for requirement in requirements {
        let program = requirement.tool.program();
        let Some(command) = graph::version_command(requirement.tool) else {
            continue;
        };
        let argv = command.argv();
        let output =
            tools::run_with_env(&argv, Duration::from_secs(30), &[], &engine.tool_env()).await;
        let version = match output {
            Ok(output) => output.stdout.trim().to_string(),
            Err(e) => {
                problems.push(format!("{program}: not usable ({e}); {}", requirement.hint));
                continue;
            }
        };
        if let Some(exact) = &requirement.exact {
            if version.lines().next().map(str::trim) != Some(exact.as_str()) {
                problems.push(format!(
                    "{program}: version {version:?}, the topology needs {exact}; {}",
                    requirement.hint
                ));
            }
        }
        if let Some(prefix) = requirement.prefix {
            if !version.starts_with(prefix) {
                problems.push(format!(
                    "{program}: version {version:?}, {prefix} needed; {}",
                    requirement.hint
                ));
            }
        }
    }
    problems
}
