//! Ids of the graph's nodes, one function each so that every id is spelled in one place.
//! An id starts with the cluster the node lives in (`trust/` for topology-wide nodes).

use super::NodeId;

/// `trust/certificates`: the shared trust anchor and issuer.
pub fn certificates() -> NodeId {
    NodeId("trust/certificates".into())
}
/// `<cluster>/cluster`.
pub fn cluster(cluster: &str) -> NodeId {
    NodeId(format!("{cluster}/cluster"))
}
/// MetalLB's helm release.
pub fn metallb(cluster: &str) -> NodeId {
    NodeId(format!("{cluster}/metallb-system/HelmRelease/metallb"))
}
/// A MetalLB address pool.
pub fn pool(cluster: &str, pool: &str) -> NodeId {
    NodeId(format!("{cluster}/metallb-system/IPAddressPool/{pool}"))
}
/// MetalLB's L2 advertisement.
pub fn l2(cluster: &str, name: &str) -> NodeId {
    NodeId(format!("{cluster}/metallb-system/L2Advertisement/{name}"))
}
/// Linkerd's CRDs.
pub fn crds(cluster: &str) -> NodeId {
    NodeId(format!("{cluster}/linkerd/crds"))
}
/// Linkerd's control plane.
pub fn control_plane(cluster: &str) -> NodeId {
    NodeId(format!("{cluster}/linkerd/control-plane"))
}
/// A Linkerd extension (`viz`, `multicluster`, `smi`).
pub fn extension(cluster: &str, extension: &str) -> NodeId {
    NodeId(format!("{cluster}/linkerd/{extension}"))
}
/// The wait for the multicluster gateway's address.
pub fn gateway(cluster: &str) -> NodeId {
    NodeId(format!("{cluster}/linkerd-multicluster/gateway-ready"))
}
/// A link, in its source cluster, named by its cluster name.
pub fn link(source: &str, cluster_name: &str) -> NodeId {
    NodeId(format!("{source}/linkerd-multicluster/Link/{cluster_name}"))
}
/// A namespace.
pub fn namespace(cluster: &str, namespace: &str) -> NodeId {
    NodeId(format!("{cluster}/Namespace/{namespace}"))
}
/// A workload.
pub fn workload(cluster: &str, namespace: &str, name: &str) -> NodeId {
    NodeId(format!("{cluster}/{namespace}/Workload/{name}"))
}
/// The export label of a Service.
pub fn export(cluster: &str, namespace: &str, service: &str) -> NodeId {
    NodeId(format!("{cluster}/{namespace}/Export/{service}"))
}
/// A TrafficSplit.
pub fn split(cluster: &str, namespace: &str, name: &str) -> NodeId {
    NodeId(format!("{cluster}/{namespace}/TrafficSplit/{name}"))
}
/// ingress-nginx's helm release.
pub fn ingress_nginx(cluster: &str) -> NodeId {
    NodeId(format!("{cluster}/ingress-nginx/HelmRelease/ingress-nginx"))
}
/// An Ingress.
pub fn ingress(cluster: &str, namespace: &str, name: &str) -> NodeId {
    NodeId(format!("{cluster}/{namespace}/Ingress/{name}"))
}
