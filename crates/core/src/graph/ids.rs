//! Ids of the graph's nodes, one function each so that every id is spelled in one place.

use super::NodeId;

pub fn certificates() -> NodeId {
    NodeId("trust/certificates".into())
}
pub fn cluster(c: &str) -> NodeId {
    NodeId(format!("{c}/cluster"))
}
pub fn metallb(c: &str) -> NodeId {
    NodeId(format!("{c}/metallb-system/HelmRelease/metallb"))
}
pub fn pool(c: &str, pool: &str) -> NodeId {
    NodeId(format!("{c}/metallb-system/IPAddressPool/{pool}"))
}
pub fn l2(c: &str, name: &str) -> NodeId {
    NodeId(format!("{c}/metallb-system/L2Advertisement/{name}"))
}
pub fn crds(c: &str) -> NodeId {
    NodeId(format!("{c}/linkerd/crds"))
}
pub fn control_plane(c: &str) -> NodeId {
    NodeId(format!("{c}/linkerd/control-plane"))
}
pub fn extension(c: &str, ext: &str) -> NodeId {
    NodeId(format!("{c}/linkerd/{ext}"))
}
pub fn gateway(c: &str) -> NodeId {
    NodeId(format!("{c}/linkerd-multicluster/gateway-ready"))
}
pub fn link(source: &str, cluster_name: &str) -> NodeId {
    NodeId(format!("{source}/linkerd-multicluster/Link/{cluster_name}"))
}
pub fn namespace(c: &str, ns: &str) -> NodeId {
    NodeId(format!("{c}/Namespace/{ns}"))
}
pub fn workload(c: &str, ns: &str, name: &str) -> NodeId {
    NodeId(format!("{c}/{ns}/Workload/{name}"))
}
pub fn export(c: &str, ns: &str, service: &str) -> NodeId {
    NodeId(format!("{c}/{ns}/Export/{service}"))
}
pub fn split(c: &str, ns: &str, name: &str) -> NodeId {
    NodeId(format!("{c}/{ns}/TrafficSplit/{name}"))
}
pub fn ingress_nginx(c: &str) -> NodeId {
    NodeId(format!("{c}/ingress-nginx/HelmRelease/ingress-nginx"))
}
pub fn ingress(c: &str, ns: &str, name: &str) -> NodeId {
    NodeId(format!("{c}/{ns}/Ingress/{name}"))
}
