//! Ids of the graph's nodes, one function each so that every id is spelled in one place.
//! An id starts with the cluster the node lives in (`trust/` for topology-wide nodes).
//! Ids are concatenated, not `format!`ted: a large topology makes tens of thousands.

use super::NodeId;

/// `trust/certificates`: the shared trust anchor and issuer.
pub fn certificates() -> NodeId {
    NodeId("trust/certificates".into())
}
/// `<cluster>/cluster`.
pub fn cluster(cluster: &str) -> NodeId {
    NodeId([cluster, "/cluster"].concat())
}
/// MetalLB's helm release.
pub fn metallb(cluster: &str) -> NodeId {
    NodeId([cluster, "/metallb-system/HelmRelease/metallb"].concat())
}
/// A MetalLB address pool.
pub fn pool(cluster: &str, pool: &str) -> NodeId {
    NodeId([cluster, "/metallb-system/IPAddressPool/", pool].concat())
}
/// MetalLB's L2 advertisement.
pub fn l2(cluster: &str, name: &str) -> NodeId {
    NodeId([cluster, "/metallb-system/L2Advertisement/", name].concat())
}
/// Linkerd's CRDs.
pub fn crds(cluster: &str) -> NodeId {
    NodeId([cluster, "/linkerd/crds"].concat())
}
/// Linkerd's control plane.
pub fn control_plane(cluster: &str) -> NodeId {
    NodeId([cluster, "/linkerd/control-plane"].concat())
}
/// A Linkerd extension (`viz`, `multicluster`, `smi`).
pub fn extension(cluster: &str, extension: &str) -> NodeId {
    NodeId([cluster, "/linkerd/", extension].concat())
}
/// The wait for the multicluster gateway's address.
pub fn gateway(cluster: &str) -> NodeId {
    NodeId([cluster, "/linkerd-multicluster/gateway-ready"].concat())
}
/// A link, in its source cluster, named by its cluster name.
pub fn link(source: &str, cluster_name: &str) -> NodeId {
    NodeId([source, "/linkerd-multicluster/Link/", cluster_name].concat())
}
/// A namespace.
pub fn namespace(cluster: &str, namespace: &str) -> NodeId {
    NodeId([cluster, "/Namespace/", namespace].concat())
}
/// A workload.
pub fn workload(cluster: &str, namespace: &str, name: &str) -> NodeId {
    NodeId([cluster, "/", namespace, "/Workload/", name].concat())
}
/// The export label of a Service.
pub fn export(cluster: &str, namespace: &str, service: &str) -> NodeId {
    NodeId([cluster, "/", namespace, "/Export/", service].concat())
}
/// A TrafficSplit.
pub fn split(cluster: &str, namespace: &str, name: &str) -> NodeId {
    NodeId([cluster, "/", namespace, "/TrafficSplit/", name].concat())
}
/// ingress-nginx's helm release.
pub fn ingress_nginx(cluster: &str) -> NodeId {
    NodeId([cluster, "/ingress-nginx/HelmRelease/ingress-nginx"].concat())
}
/// An Ingress.
pub fn ingress(cluster: &str, namespace: &str, name: &str) -> NodeId {
    NodeId([cluster, "/", namespace, "/Ingress/", name].concat())
}
