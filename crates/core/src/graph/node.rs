//! Nodes of the desired-state graph: one per thing that will exist in a cluster or on
//! disk, with its desired state as data.

use crate::render::{DesiredObject, Unknown};
use serde::Serialize;
use std::fmt;

/// Stable node id, e.g. `demo/linkerd/control-plane` or `demo/test/TrafficSplit/podinfo`.
/// Ids are what plans, diffs and `--target` style filters speak in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NodeId(pub String);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum NodeKind {
    TrustCertificates,
    /// A kind cluster meshctl creates, or an existing one it only uses.
    Cluster,
    MetalLbRelease,
    IpAddressPool,
    L2Advertisement,
    LinkerdCrds,
    LinkerdControlPlane,
    LinkerdExtension,
    GatewayReady,
    Link,
    Namespace,
    Workload,
    ExportLabel,
    TrafficSplit,
    IngressNginxRelease,
    Ingress,
}

/// How a node reaches its desired state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Desired {
    /// Objects meshctl renders itself and server-side applies.
    Objects(Vec<DesiredObject>),
    /// Work done by an external tool or a wait, with an observable result.
    Action(ExternalAction),
}

/// External work, described as data so that plan can show it and apply can run it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type"
)]
pub enum ExternalAction {
    /// `kind create cluster --config <kindConfig>`.
    KindCreateCluster {
        name: String,
        /// The kind `Cluster` config, as data.
        config: serde_json::Value,
    },
    /// An existing cluster: only checked to be reachable.
    UseExistingCluster { context: String },
    /// Generate (or reuse) the shared trust anchor and issuer in the state directory.
    /// Only public facts here: keys never enter the graph.
    Certificates {
        trust_domain: String,
        anchor: String,
        issuer: String,
    },
    /// A helm release (`helm upgrade --install`); its rendered output goes through the
    /// same diff/apply path.
    HelmRelease {
        release: String,
        namespace: String,
        chart: String,
        repo: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        values: Vec<(String, String)>,
    },
    /// A manifest rendered by the linkerd CLI (`linkerd install --crds`, `linkerd viz
    /// install`, …) and applied like any object.
    LinkerdRender { args: Vec<String> },
    /// Wait until a LoadBalancer Service has an address.
    WaitForLoadBalancer {
        namespace: String,
        service: String,
        /// Unknown until apply: the address MetalLB assigns.
        address: Unknown,
    },
    /// `linkerd --context=<target> multicluster link --cluster-name <name>` applied to
    /// the source cluster (a Secret, the Link and the service mirror).
    LinkerdLink {
        target_context: String,
        cluster_name: String,
        /// The Link the command is expected to produce (its gateway address is unknown
        /// until apply); the executor checks the live Link against it.
        expected: DesiredObject,
    },
    /// `kubectl kustomize <dir>` or plain manifest files, applied to the namespace.
    Manifests {
        #[serde(skip_serializing_if = "Option::is_none")]
        kustomize: Option<String>,
        files: Vec<String>,
    },
}

/// One thing that will exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    pub id: NodeId,
    pub kind: NodeKind,
    /// The cluster it lives in; `None` for topology-wide nodes (certificates).
    pub cluster: Option<String>,
    /// That cluster's kubeconfig context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// One line for humans: what this node is.
    pub summary: String,
    pub desired: Desired,
}

/// Why one node depends on another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub reason: String,
}
