//! Nodes of the desired-state graph: one per thing that will exist in a cluster or on
//! disk, with its desired state as data.

use super::ExternalAction;
use crate::render::DesiredObject;
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
// Matching on `Desired::Action(ExternalAction::…)` matters more than the size of a few
// dozen nodes; a Box would forbid those patterns.
#[allow(clippy::large_enum_variant)]
pub enum Desired {
    /// Objects meshctl renders itself and server-side applies.
    Objects(Vec<DesiredObject>),
    /// Work done by an external tool or a wait, with an observable result.
    Action(ExternalAction),
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
