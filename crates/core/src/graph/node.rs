//! Nodes of the desired-state graph: one per thing that will exist in a cluster or on
//! disk, with its desired state as data.

use super::ExternalAction;
use crate::render::DesiredObject;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

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
    /// The shared trust anchor and issuer (topology-wide).
    TrustCertificates,
    /// A kind cluster meshctl creates, or an existing one it only uses.
    Cluster,
    /// MetalLB, from its helm chart.
    MetalLbRelease,
    /// A MetalLB address pool.
    IpAddressPool,
    /// MetalLB's L2 advertisement of the pools.
    L2Advertisement,
    /// Linkerd's CRDs.
    LinkerdCrds,
    /// Linkerd's control plane.
    LinkerdControlPlane,
    /// A Linkerd extension (viz, multicluster, smi).
    LinkerdExtension,
    /// The wait for the multicluster gateway's LoadBalancer address.
    GatewayReady,
    /// A multicluster link (in its source cluster).
    Link,
    /// A namespace.
    Namespace,
    /// A workload's manifests.
    Workload,
    /// The export label on a Service.
    ExportLabel,
    /// An SMI TrafficSplit.
    TrafficSplit,
    /// ingress-nginx, from its helm chart.
    IngressNginxRelease,
    /// An Ingress.
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
    /// Its stable id.
    pub id: NodeId,
    /// What it is.
    pub kind: NodeKind,
    /// The cluster it lives in; `None` for topology-wide nodes (certificates).
    pub cluster: Option<String>,
    /// That cluster's kubeconfig context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// One line for humans: what this node is.
    pub summary: String,
    /// How it reaches its desired state.
    pub desired: Desired,
}

/// Why one node depends on another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    /// Why, in a few words (shown in plans and graphs); most reasons are fixed text.
    pub reason: Cow<'static, str>,
}

/// A node's desired state as a plan entry holds it: shared with the graph's node instead
/// of copied (a plan of a large topology would otherwise hold every object twice).
/// Derefs to [`Desired`], and compares, prints and serializes as it.
#[derive(Clone)]
pub struct SharedDesired(Arc<Node>);

impl SharedDesired {
    /// The desired state of `node`.
    pub fn of(node: &Arc<Node>) -> SharedDesired {
        SharedDesired(Arc::clone(node))
    }
}

impl Deref for SharedDesired {
    type Target = Desired;

    fn deref(&self) -> &Desired {
        &self.0.desired
    }
}

impl AsRef<Desired> for SharedDesired {
    fn as_ref(&self) -> &Desired {
        self
    }
}

impl PartialEq for SharedDesired {
    fn eq(&self, other: &SharedDesired) -> bool {
        **self == **other
    }
}

impl fmt::Debug for SharedDesired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl Serialize for SharedDesired {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}
