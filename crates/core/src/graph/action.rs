//! External actions: work done by a tool (kind, helm, linkerd, kubectl), by meshctl's
//! certificate store, or a wait — described as intent (what, with which typed inputs),
//! never as a command line. [`commands`] is the one place each command line is spelled:
//! `plan` prints from it and the executor runs from it.

use super::paths::Paths;
use crate::render::{DesiredObject, Unknown};
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// External work, described as data so that plan can show it and apply can run it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type"
)]
pub enum ExternalAction {
    /// A kind cluster with this config (`kind create cluster`).
    KindCluster {
        /// The kind cluster name.
        name: String,
        /// The kind `Cluster` config, as data.
        config: serde_json::Value,
    },
    /// An existing cluster: only checked to be reachable.
    UseExistingCluster {
        /// Its kubeconfig context.
        context: String,
    },
    /// The shared trust anchor and issuer: generated once into the state directory, or
    /// the user's own files, read where they are. Only paths and public facts here: keys
    /// never enter the graph.
    Certificates {
        /// Linkerd's identity trust domain.
        trust_domain: String,
        /// Where generated material is kept.
        state_dir: PathBuf,
        /// The root every proxy trusts.
        trust_anchor: ResolvedCertificate,
        /// The intermediate CA that signs proxy certificates.
        issuer: ResolvedCertificate,
    },
    /// A helm release (`helm upgrade --install`); its rendered output goes through the
    /// same diff/apply path.
    HelmRelease {
        /// Release name.
        release: String,
        /// Namespace of the release (created when missing).
        namespace: String,
        /// Chart name in `repo`.
        chart: String,
        /// Chart repository URL.
        repo: String,
        /// Chart version; the repository's latest when absent.
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        /// `--set key=value` pairs, in order.
        values: Vec<(String, String)>,
        /// The kubeconfig context of the cluster.
        context: String,
    },
    /// A manifest rendered by the linkerd CLI and applied like any object.
    LinkerdRender {
        /// The Linkerd CLI version that renders it (an extension's own version for viz
        /// and multicluster).
        version: String,
        /// The kubeconfig context of the cluster it is applied to.
        context: String,
        /// What is rendered, with its inputs.
        what: LinkerdPiece,
    },
    /// Wait until a LoadBalancer Service has an address.
    WaitForLoadBalancer {
        /// The Service's namespace.
        namespace: String,
        /// The Service's name.
        service: String,
        /// The cluster's MetalLB pools: the address must lie in one of them. Empty when
        /// the cluster has no pools (any address is accepted then).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pools: Vec<PoolRanges>,
        /// Unknown until apply: the address MetalLB assigns.
        address: Unknown,
    },
    /// `linkerd multicluster link` run against the target, its output applied to the
    /// source (a Secret, the Link and the service mirror).
    LinkerdLink {
        /// Context of the cluster whose services are mirrored.
        target_context: String,
        /// Context of the cluster the mirrors (and the Link) appear in.
        source_context: String,
        /// `--cluster-name`: mirrors are named `<service>-<cluster_name>`.
        cluster_name: String,
        /// `--api-server-address`, when the target's kubeconfig address is not the one
        /// the source can reach.
        #[serde(skip_serializing_if = "Option::is_none")]
        api_server_address: Option<String>,
        /// The Link the command is expected to produce (its gateway address is unknown
        /// until apply); the executor checks the live Link against it.
        expected: DesiredObject,
    },
    /// A workload's kustomize directory or plain manifest files, applied into its
    /// namespace (objects without a namespace land there).
    Manifests {
        /// The workload's namespace.
        namespace: String,
        /// The kubeconfig context of the cluster.
        context: String,
        /// A kustomize directory, resolved against the topology file.
        #[serde(skip_serializing_if = "Option::is_none")]
        kustomize: Option<PathBuf>,
        /// Manifest files, resolved against the topology file.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        files: Vec<PathBuf>,
    },
}

/// One MetalLB address pool as a wait checks against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolRanges {
    /// The IPAddressPool's name.
    pub name: String,
    /// Its address blocks as inclusive ranges, e.g. `172.17.0.61-172.17.0.70`.
    pub ranges: Vec<String>,
}

impl PoolRanges {
    /// Whether `address` lies inside one of the pool's ranges (text that does not parse
    /// as a range holds nothing).
    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        self.ranges.iter().any(|range| {
            let Some((first, last)) = range.split_once('-') else {
                return false;
            };
            let (Ok(first), Ok(last)) = (
                first.trim().parse::<std::net::IpAddr>(),
                last.trim().parse::<std::net::IpAddr>(),
            ) else {
                return false;
            };
            match (first, last, address) {
                (IpAddr::V4(a), IpAddr::V4(b), IpAddr::V4(x)) => a <= x && x <= b,
                (IpAddr::V6(a), IpAddr::V6(b), IpAddr::V6(x)) => a <= x && x <= b,
                _ => false,
            }
        })
    }
}

/// `first-pool (172.17.0.61-172.17.0.70)`, pools joined by `, `: for messages.
pub fn describe_pools(pools: &[PoolRanges]) -> String {
    pools
        .iter()
        .map(|p| format!("{} ({})", p.name, p.ranges.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where one certificate of the mesh comes from, with its resolved paths.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "source"
)]
pub enum ResolvedCertificate {
    /// Generated by `meshctl certs init` into the state directory, then reused.
    Generate {
        /// Subject common name.
        common_name: String,
        /// Validity from generation, e.g. `8760h`.
        validity: String,
        /// The certificate file (in the state directory).
        cert: PathBuf,
        /// The key file (in the state directory).
        key: PathBuf,
    },
    /// The user's own PEM files, read where they are.
    Files {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
}

impl ResolvedCertificate {
    /// The certificate file, wherever it comes from.
    pub fn cert(&self) -> &PathBuf {
        match self {
            ResolvedCertificate::Generate { cert, .. }
            | ResolvedCertificate::Files { cert, .. } => cert,
        }
    }

    /// The key file, wherever it comes from.
    pub fn key(&self) -> &PathBuf {
        match self {
            ResolvedCertificate::Generate { key, .. } | ResolvedCertificate::Files { key, .. } => {
                key
            }
        }
    }
}

/// What a [`ExternalAction::LinkerdRender`] renders.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "piece"
)]
pub enum LinkerdPiece {
    /// `linkerd install --crds`.
    Crds,
    /// `linkerd install` with the mesh's trust material.
    ControlPlane {
        /// `--identity-trust-domain`.
        trust_domain: String,
        /// `--identity-trust-anchors-file`.
        trust_anchor: PathBuf,
        /// `--identity-issuer-certificate-file`.
        issuer_certificate: PathBuf,
        /// `--identity-issuer-key-file`.
        issuer_key: PathBuf,
        /// `--values`: the webhooks' `externalSecret: true` and `caBundle`s, written by
        /// the executor from the certificates it keeps in the state directory (the keys go
        /// into Secrets meshctl applies itself, never into values or the graph).
        webhook_values: PathBuf,
        /// `--set heartbeatSchedule=`: fixed per cluster, since `linkerd install` derives
        /// it from the time of the render otherwise.
        heartbeat_schedule: String,
    },
    /// `linkerd viz install`.
    Viz {
        /// `--values`: tap's and tap-injector's `externalSecret: true` and `caBundle`s.
        webhook_values: PathBuf,
    },
    /// `linkerd multicluster install`.
    Multicluster,
    /// `linkerd smi install` (the linkerd-smi plugin).
    Smi {
        /// The linkerd-smi version.
        version: String,
    },
}

/// A command-line tool meshctl runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    /// `kind`.
    Kind,
    /// `helm`.
    Helm,
    /// `linkerd`.
    Linkerd,
    /// `kubectl`.
    Kubectl,
    /// `docker` (the machine preflight of kind topologies).
    Docker,
    /// `ip` (iproute2: the machine's addresses, for kind's `apiServerAddress`).
    Ip,
    /// `linkerd-smi`, the plugin `linkerd smi` runs (probed directly for its version).
    LinkerdSmi,
}

impl Tool {
    /// The program name.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Kind => "kind",
            Tool::Helm => "helm",
            Tool::Linkerd => "linkerd",
            Tool::Kubectl => "kubectl",
            Tool::Docker => "docker",
            Tool::Ip => "ip",
            Tool::LinkerdSmi => "linkerd-smi",
        }
    }
}

/// One command line: the program and its complete argv (context flags included), and
/// the kubeconfig context it acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolCommand {
    /// The program.
    pub tool: Tool,
    /// Its arguments, exactly as passed (no shell).
    pub args: Vec<String>,
    /// The kubeconfig context the command acts on, when it acts on a cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

impl ToolCommand {
    fn new(tool: Tool, context: Option<&str>, args: Vec<String>) -> ToolCommand {
        ToolCommand {
            tool,
            args,
            context: context.map(str::to_string),
        }
    }
}

/// The command as a user would type it, each argument shell-quoted where needed.
impl fmt::Display for ToolCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tool.program())?;
        for arg in &self.args {
            write!(f, " {}", shell_quoted(arg))?;
        }
        Ok(())
    }
}

/// `arg` as a POSIX shell reads it back: bare when it holds only characters no shell
/// treats specially, else in single quotes (as Python's `shlex.quote`).
fn shell_quoted(arg: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        std::borrow::Cow::Borrowed(arg)
    } else {
        std::borrow::Cow::Owned(format!("'{}'", arg.replace('\'', r"'\''")))
    }
}

impl ToolCommand {
    /// The program followed by its arguments, as a tool runner executes it.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.tool.program().to_string())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

/// The command that prints `tool`'s version (what the executor's preflight runs); `None`
/// for tools meshctl does not version-check (`docker`, `ip`).
pub fn version_command(tool: Tool) -> Option<ToolCommand> {
    let args: &[&str] = match tool {
        Tool::Kind => &["version"],
        Tool::Helm => &["version", "--short"],
        Tool::Linkerd => &["version", "--client", "--short"],
        Tool::LinkerdSmi => &["version", "--short"],
        Tool::Kubectl => &["version", "--client"],
        Tool::Docker | Tool::Ip => return None,
    };
    Some(ToolCommand::new(
        tool,
        None,
        args.iter().map(|a| a.to_string()).collect(),
    ))
}

/// `kind get clusters`: which kind clusters exist (read before creating or deleting one).
pub fn kind_get_clusters() -> ToolCommand {
    ToolCommand::new(Tool::Kind, None, vec!["get".into(), "clusters".into()])
}

/// `kind delete cluster --name <name>`: what `meshctl destroy` runs for a kind cluster.
pub fn kind_delete_cluster(name: &str) -> ToolCommand {
    ToolCommand::new(
        Tool::Kind,
        None,
        vec![
            "delete".into(),
            "cluster".into(),
            "--name".into(),
            name.to_string(),
        ],
    )
}

/// `helm status <release> -o json`: the release as it is (chart version, values, state),
/// read before deciding to upgrade.
pub fn helm_status(release: &str, namespace: &str, context: &str) -> ToolCommand {
    ToolCommand::new(
        Tool::Helm,
        Some(context),
        vec![
            format!("--kube-context={context}"),
            "status".into(),
            release.to_string(),
            "--namespace".into(),
            namespace.to_string(),
            "-o".into(),
            "json".into(),
        ],
    )
}

/// `helm uninstall <release>`: what `meshctl destroy` runs for a helm release.
pub fn helm_uninstall(release: &str, namespace: &str, context: &str) -> ToolCommand {
    ToolCommand::new(
        Tool::Helm,
        Some(context),
        vec![
            format!("--kube-context={context}"),
            "uninstall".into(),
            release.to_string(),
            "--namespace".into(),
            namespace.to_string(),
        ],
    )
}

/// `kubectl kustomize <dir>`: a workload's objects, rendered for meshctl to apply itself.
pub fn kustomize_render(dir: &std::path::Path, context: &str) -> ToolCommand {
    ToolCommand::new(
        Tool::Kubectl,
        Some(context),
        vec!["kustomize".into(), path(dir)],
    )
}

/// Commands joined as a shell pipeline (`a | b`): a link's two halves.
pub fn pipeline(commands: &[ToolCommand]) -> String {
    commands
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

fn path(p: &std::path::Path) -> String {
    // What `display()` prints, without the formatting machinery.
    p.to_string_lossy().into_owned()
}

/// The command lines that carry out `action`, in order; a pipeline's stages in order
/// (a link: the render against the target, then the apply to the source). Empty for
/// what meshctl does itself (certificates) or waits for.
pub fn commands(action: &ExternalAction, paths: &Paths) -> Vec<ToolCommand> {
    match action {
        ExternalAction::KindCluster { name, .. } => vec![ToolCommand::new(
            Tool::Kind,
            None,
            vec![
                "create".into(),
                "cluster".into(),
                "--name".into(),
                name.clone(),
                "--config".into(),
                path(&paths.kind_config_file(name)),
            ],
        )],
        ExternalAction::UseExistingCluster { .. }
        | ExternalAction::Certificates { .. }
        | ExternalAction::WaitForLoadBalancer { .. } => Vec::new(),
        ExternalAction::HelmRelease {
            release,
            namespace,
            chart,
            repo,
            version,
            values,
            context,
        } => {
            let mut args = vec![
                ["--kube-context=", context].concat(),
                "upgrade".into(),
                "--install".into(),
                release.clone(),
                chart.clone(),
                "--repo".into(),
                repo.clone(),
                "--namespace".into(),
                namespace.clone(),
                "--create-namespace".into(),
            ];
            if let Some(version) = version {
                args.extend(["--version".into(), version.clone()]);
            }
            for (key, value) in values {
                args.extend(["--set".into(), [key, "=", value].concat()]);
            }
            vec![ToolCommand::new(Tool::Helm, Some(context), args)]
        }
        ExternalAction::LinkerdRender { context, what, .. } => {
            let flag = ["--context=", context].concat();
            let args: Vec<String> = match what {
                // `install` refuses to run where Linkerd is installed; rendering without
                // looking at the cluster lets the executor diff and apply the output.
                LinkerdPiece::Crds => {
                    vec![
                        flag,
                        "install".into(),
                        "--crds".into(),
                        "--ignore-cluster".into(),
                    ]
                }
                LinkerdPiece::ControlPlane {
                    trust_domain,
                    trust_anchor,
                    issuer_certificate,
                    issuer_key,
                    webhook_values,
                    heartbeat_schedule,
                } => vec![
                    flag,
                    "install".into(),
                    "--ignore-cluster".into(),
                    ["--identity-trust-domain=", trust_domain].concat(),
                    ["--identity-trust-anchors-file=", &path(trust_anchor)].concat(),
                    [
                        "--identity-issuer-certificate-file=",
                        &path(issuer_certificate),
                    ]
                    .concat(),
                    ["--identity-issuer-key-file=", &path(issuer_key)].concat(),
                    "--set".into(),
                    ["heartbeatSchedule=", heartbeat_schedule].concat(),
                    "--values".into(),
                    path(webhook_values),
                ],
                LinkerdPiece::Viz { webhook_values } => vec![
                    flag,
                    "viz".into(),
                    "install".into(),
                    "--values".into(),
                    path(webhook_values),
                ],
                LinkerdPiece::Multicluster => vec![flag, "multicluster".into(), "install".into()],
                // linkerd-smi is a CLI plugin: flags may not come before its name.
                LinkerdPiece::Smi { .. } => vec!["smi".into(), "install".into(), flag],
            };
            vec![ToolCommand::new(Tool::Linkerd, Some(context), args)]
        }
        ExternalAction::LinkerdLink {
            target_context,
            source_context,
            cluster_name,
            api_server_address,
            ..
        } => {
            let mut link = vec![
                ["--context=", target_context].concat(),
                "multicluster".into(),
                "link".into(),
                "--cluster-name".into(),
                cluster_name.clone(),
            ];
            if let Some(address) = api_server_address {
                link.extend(["--api-server-address".into(), address.clone()]);
            }
            vec![
                ToolCommand::new(Tool::Linkerd, Some(target_context), link),
                ToolCommand::new(
                    Tool::Kubectl,
                    Some(source_context),
                    vec![
                        ["--context=", source_context].concat(),
                        "apply".into(),
                        "-f".into(),
                        "-".into(),
                    ],
                ),
            ]
        }
        ExternalAction::Manifests {
            namespace,
            context,
            kustomize,
            files,
        } => {
            let mut args = vec![
                ["--context=", context].concat(),
                "apply".into(),
                "--namespace".into(),
                namespace.clone(),
            ];
            match kustomize {
                Some(dir) => args.extend(["-k".into(), path(dir)]),
                None => {
                    for file in files {
                        args.extend(["-f".into(), path(file)]);
                    }
                }
            }
            vec![ToolCommand::new(Tool::Kubectl, Some(context), args)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        Paths {
            topology_dir: PathBuf::from("repo"),
            state_dir: PathBuf::from("repo/.meshctl/demo"),
        }
    }

    fn lines(action: &ExternalAction) -> String {
        pipeline(&commands(action, &paths()))
    }

    #[test]
    fn helm_lines_carry_the_context_and_create_the_namespace() {
        let action = ExternalAction::HelmRelease {
            release: "metallb".into(),
            namespace: "metallb-system".into(),
            chart: "metallb".into(),
            repo: "https://metallb.github.io/metallb".into(),
            version: Some("0.13.7".into()),
            values: vec![("a.b".into(), "x y".into())],
            context: "kind-demo".into(),
        };
        assert_eq!(
            lines(&action),
            "helm --kube-context=kind-demo upgrade --install metallb metallb --repo https://metallb.github.io/metallb --namespace metallb-system --create-namespace --version 0.13.7 --set 'a.b=x y'"
        );
    }

    #[test]
    fn linkerd_renders_read_the_webhook_values_and_a_fixed_heartbeat() {
        let control_plane = ExternalAction::LinkerdRender {
            version: "stable-2.13.3".into(),
            context: "kind-demo".into(),
            what: LinkerdPiece::ControlPlane {
                trust_domain: "cluster.local".into(),
                trust_anchor: "s/ca.crt".into(),
                issuer_certificate: "s/issuer.crt".into(),
                issuer_key: "s/issuer.key".into(),
                webhook_values: "s/webhooks/demo/control-plane.values.yaml".into(),
                heartbeat_schedule: "7 3 * * *".into(),
            },
        };
        assert_eq!(
            lines(&control_plane),
            "linkerd --context=kind-demo install --ignore-cluster --identity-trust-domain=cluster.local --identity-trust-anchors-file=s/ca.crt --identity-issuer-certificate-file=s/issuer.crt --identity-issuer-key-file=s/issuer.key --set 'heartbeatSchedule=7 3 * * *' --values s/webhooks/demo/control-plane.values.yaml"
        );
        let viz = ExternalAction::LinkerdRender {
            version: "stable-2.13.3".into(),
            context: "kind-demo".into(),
            what: LinkerdPiece::Viz {
                webhook_values: "s/webhooks/demo/viz.values.yaml".into(),
            },
        };
        assert_eq!(
            lines(&viz),
            "linkerd --context=kind-demo viz install --values s/webhooks/demo/viz.values.yaml"
        );
    }

    #[test]
    fn a_link_shows_both_halves() {
        let action = ExternalAction::LinkerdLink {
            target_context: "kind-demo3".into(),
            source_context: "kind-demo".into(),
            cluster_name: "kind-demo3".into(),
            api_server_address: None,
            expected: DesiredObject {
                api_version: "multicluster.linkerd.io/v1alpha1".into(),
                kind: "Link".into(),
                namespace: Some("linkerd-multicluster".into()),
                name: "kind-demo3".into(),
                body: serde_json::Value::Null,
            },
        };
        let commands = commands(&action, &paths());
        assert_eq!(commands.len(), 2);
        assert_eq!(commands[1].context.as_deref(), Some("kind-demo"));
        assert_eq!(
            pipeline(&commands),
            "linkerd --context=kind-demo3 multicluster link --cluster-name kind-demo3 | kubectl --context=kind-demo apply -f -"
        );
    }

    #[test]
    fn a_pool_holds_the_addresses_of_its_ranges_only() {
        let pool = PoolRanges {
            name: "first-pool".into(),
            ranges: vec!["172.17.0.61-172.17.0.70".into(), "10.0.0.8-10.0.0.9".into()],
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(pool.contains(ip("172.17.0.61")));
        assert!(pool.contains(ip("172.17.0.70")));
        assert!(pool.contains(ip("10.0.0.9")));
        assert!(!pool.contains(ip("172.17.0.71")));
        assert!(!pool.contains(ip("172.17.0.60")));
        assert!(!pool.contains(ip("::1")));
        assert_eq!(
            describe_pools(&[pool]),
            "first-pool (172.17.0.61-172.17.0.70, 10.0.0.8-10.0.0.9)"
        );
    }

    #[test]
    fn kind_reads_its_config_from_the_state_directory() {
        let action = ExternalAction::KindCluster {
            name: "demo".into(),
            config: serde_json::Value::Null,
        };
        assert_eq!(
            lines(&action),
            "kind create cluster --name demo --config repo/.meshctl/demo/kind-demo.yaml"
        );
    }

    #[test]
    fn manifests_are_applied_into_the_workload_namespace() {
        let action = ExternalAction::Manifests {
            namespace: "shop".into(),
            context: "kind-demo".into(),
            kustomize: None,
            files: vec![PathBuf::from("repo/app.yaml")],
        };
        assert_eq!(
            lines(&action),
            "kubectl --context=kind-demo apply --namespace shop -f repo/app.yaml"
        );
    }
}
