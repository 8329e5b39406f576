//! The kind `Cluster` config (kind.x-k8s.io/v1alpha4) for a kind cluster.

use super::RenderError;
use crate::topology::{Cluster, ClusterDefaults};
use serde::Serialize;

/// The kind `Cluster` config, as `kind create cluster --config` reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindConfig {
    /// `Cluster`.
    pub kind: &'static str,
    /// `kind.x-k8s.io/v1alpha4`.
    pub api_version: &'static str,
    /// The kind cluster name.
    pub name: String,
    /// Pod and service networks, API server address.
    pub networking: KindNetworking,
    /// One entry per node.
    pub nodes: Vec<KindNode>,
}

/// The `networking` section of a kind config.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindNetworking {
    /// `ipv6` for an IPv6 cluster; absent (kind's default, ipv4) otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_family: Option<&'static str>,
    /// Where the API server listens on the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_server_address: Option<String>,
    /// The API server's host port; kind picks one when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_server_port: Option<u16>,
    /// Pod network CIDR.
    pub pod_subnet: String,
    /// Service network CIDR.
    pub service_subnet: String,
}

/// One node of a kind cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindNode {
    /// `control-plane` or `worker`.
    pub role: &'static str,
    /// The node image; kind's default when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// The config `kind create cluster --config` takes for `cluster`.
pub fn kind_config(
    cluster: &Cluster,
    defaults: &ClusterDefaults,
) -> Result<KindConfig, RenderError> {
    let pod = cluster
        .pod_subnet
        .get()
        .ok_or_else(|| RenderError::Invalid(format!("podSubnet of cluster `{}`", cluster.name)))?;
    let service = cluster.service_subnet.get().ok_or_else(|| {
        RenderError::Invalid(format!("serviceSubnet of cluster `{}`", cluster.name))
    })?;
    let address = cluster.written_api_server_address(defaults);
    let image = cluster.node_image(defaults);
    let node = |role| KindNode {
        role,
        image: image.clone(),
    };
    let nodes = std::iter::repeat_n("control-plane", cluster.nodes.control_planes as usize)
        .chain(std::iter::repeat_n(
            "worker",
            cluster.nodes.workers as usize,
        ))
        .map(node)
        .collect();
    Ok(KindConfig {
        kind: "Cluster",
        api_version: "kind.x-k8s.io/v1alpha4",
        name: cluster.name.clone(),
        networking: KindNetworking {
            ip_family: matches!(pod, ipnet::IpNet::V6(_)).then_some("ipv6"),
            api_server_address: address.and_then(|a| a.get()).map(ToString::to_string),
            api_server_port: cluster.api_server_port,
            pod_subnet: pod.to_string(),
            service_subnet: service.to_string(),
        },
        nodes,
    })
}

/// Where a kind cluster's API server answers inside the docker network its nodes are on: what
/// `kind get kubeconfig --internal` writes, the control-plane container on port 6443, or the
/// load balancer kind puts in front of several control planes. Every kind cluster of a
/// topology is on that network, so a pod of one reaches another's API server there, whatever
/// address (by default 127.0.0.1) kind binds on the host.
pub fn internal_api_server(cluster: &Cluster) -> String {
    let host = if cluster.nodes.control_planes > 1 {
        "external-load-balancer"
    } else {
        "control-plane"
    };
    format!("https://{}-{host}:6443", cluster.name)
}
