//! A cluster and the platform pieces meshctl installs into it before and beside the
//! mesh: the cluster itself (kind or existing), MetalLB with its pools, and ingress-nginx.

use super::{Builder, INGRESS_NGINX_REPO, METALLB_REPO};
use crate::graph::node::{Desired, NodeId, NodeKind};
use crate::graph::{ids, ExternalAction, GraphError};
use crate::render::{self, RenderError};
use crate::topology::{Cluster, Provider};

/// MetalLB's chart when the topology pins none: a real release (MetalLB v0.13.7, the
/// CRD-configured generation the walkthrough uses) that supports Kubernetes 1.24. Pinned so
/// that a re-run never upgrades on its own when upstream publishes a new chart.
pub const METALLB_CHART_VERSION: &str = "0.13.7";
/// ingress-nginx's chart when the topology pins none: 4.4.2 ships controller v1.5.1,
/// supported on Kubernetes 1.23–1.26 (the example runs v1.24.7).
pub const INGRESS_NGINX_CHART_VERSION: &str = "4.4.2";

/// What later parts of a cluster depend on.
pub(super) struct Platform {
    /// The cluster node.
    pub cluster: NodeId,
    /// The L2 advertisement: once it exists, LoadBalancer Services get addresses.
    pub load_balancer_ready: Option<NodeId>,
}

/// The cluster node, then MetalLB and its pools when the cluster has a load balancer.
pub(super) fn add_cluster(b: &mut Builder, cluster: &Cluster) -> Result<Platform, GraphError> {
    let name = cluster.name.as_str();
    let defaults = &b.topology.spec.defaults;
    let cluster_id = ids::cluster(name);
    let (action, summary) = match cluster.provider {
        Provider::Kind => {
            let config = render::kind::kind_config(cluster, defaults)?;
            let config =
                serde_json::to_value(&config).map_err(|source| RenderError::Serialize {
                    what: format!("kind config of `{name}`"),
                    source,
                })?;
            let count = |n: u32, noun: &str| {
                if n == 1 {
                    format!("1 {noun}")
                } else {
                    format!("{n} {noun}s")
                }
            };
            let summary = format!(
                "kind cluster {name} ({}, {}, {})",
                count(cluster.nodes.control_planes, "control plane"),
                count(cluster.nodes.workers, "worker"),
                cluster
                    .kubernetes_version(defaults)
                    .unwrap_or("kind's default Kubernetes")
            );
            let action = ExternalAction::KindCluster {
                name: name.to_string(),
                config,
            };
            (action, summary)
        }
        Provider::Existing => (
            ExternalAction::UseExistingCluster {
                context: cluster.context(),
            },
            format!("existing cluster {name} (context {})", cluster.context()),
        ),
    };
    b.node(
        cluster_id.clone(),
        NodeKind::Cluster,
        Some(name),
        summary,
        Desired::Action(action),
    );
    let load_balancer_ready = add_load_balancer(b, cluster, &cluster_id)?;
    Ok(Platform {
        cluster: cluster_id,
        load_balancer_ready,
    })
}

/// MetalLB, its address pools and their L2 advertisement; returns the advertisement.
fn add_load_balancer(
    b: &mut Builder,
    cluster: &Cluster,
    cluster_id: &NodeId,
) -> Result<Option<NodeId>, GraphError> {
    let Some(load_balancer) = &cluster.load_balancer else {
        return Ok(None);
    };
    let name = cluster.name.as_str();
    let release = ids::metallb(name);
    b.node(
        release.clone(),
        NodeKind::MetalLbRelease,
        Some(name),
        "MetalLB (helm chart metallb/metallb)".into(),
        Desired::Action(ExternalAction::HelmRelease {
            release: "metallb".into(),
            namespace: render::metallb::NAMESPACE.into(),
            chart: "metallb".into(),
            repo: METALLB_REPO.into(),
            version: Some(
                load_balancer
                    .version
                    .clone()
                    .unwrap_or_else(|| METALLB_CHART_VERSION.into()),
            ),
            values: Vec::new(),
            context: cluster.context(),
        }),
    );
    b.edge(&release, cluster_id.clone(), "installed into the cluster");
    let advertisement = ids::l2(name, &load_balancer.l2_advertisement.name);
    for pool in &load_balancer.pools {
        let id = ids::pool(name, &pool.name);
        let object = render::metallb::ip_address_pool(pool)?;
        let addresses: Vec<&str> = pool.addresses.iter().map(|a| a.raw()).collect();
        b.objects(
            id.clone(),
            NodeKind::IpAddressPool,
            name,
            ["pool ", &pool.name, " (", &addresses.join(", "), ")"].concat(),
            vec![object],
        );
        b.edge(
            &id,
            release.clone(),
            "the IPAddressPool CRD and webhook come with MetalLB",
        );
        b.edge(&advertisement, id.clone(), "announces the pool's addresses");
    }
    let object = render::metallb::l2_advertisement(load_balancer)?;
    b.objects(
        advertisement.clone(),
        NodeKind::L2Advertisement,
        name,
        "L2 advertisement of the pools".into(),
        vec![object],
    );
    b.edge(
        &advertisement,
        release.clone(),
        "the L2Advertisement CRD comes with MetalLB",
    );
    Ok(Some(advertisement))
}

/// ingress-nginx, meshed when asked, once the cluster (and its mesh) can run it.
pub(super) fn add_ingress_controller(b: &mut Builder, cluster: &Cluster, platform: &Platform) {
    let Some(controller) = &cluster.ingress_controller else {
        return;
    };
    let name = cluster.name.as_str();
    let id = ids::ingress_nginx(name);
    let mut values = Vec::new();
    if controller.inject {
        values.push((
            "controller.podAnnotations.linkerd\\.io/inject".to_string(),
            "enabled".to_string(),
        ));
    }
    b.node(
        id.clone(),
        NodeKind::IngressNginxRelease,
        Some(name),
        [
            "ingress-nginx (helm chart ingress-nginx/ingress-nginx",
            if controller.inject { ", meshed" } else { "" },
            ")",
        ]
        .concat(),
        Desired::Action(ExternalAction::HelmRelease {
            release: "ingress-nginx".into(),
            namespace: "ingress-nginx".into(),
            chart: "ingress-nginx".into(),
            repo: INGRESS_NGINX_REPO.into(),
            version: Some(
                controller
                    .version
                    .clone()
                    .unwrap_or_else(|| INGRESS_NGINX_CHART_VERSION.into()),
            ),
            values,
            context: cluster.context(),
        }),
    );
    b.edge(&id, platform.cluster.clone(), "installed into the cluster");
    if controller.inject && b.topology.spec.mesh.linkerd.is_some() {
        b.edge(
            &id,
            ids::control_plane(name),
            "the controller pods are meshed",
        );
    }
    if let Some(advertisement) = &platform.load_balancer_ready {
        b.edge(
            &id,
            advertisement.clone(),
            "the controller's LoadBalancer Service needs an address",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{build, Paths};
    use crate::topology::load_str;

    const EXAMPLE: &str = include_str!("../../../../../topology.example.yaml");

    #[test]
    fn node_counts_are_spelled_in_english() {
        let text = EXAMPLE.replacen(
            "controlPlanes: 1\n        workers: 2",
            "controlPlanes: 3\n        workers: 1",
            1,
        );
        let topology = load_str(&text).expect("loads").topology;
        let paths = Paths {
            topology_dir: "".into(),
            state_dir: ".meshctl/t".into(),
        };
        let graph = build(&topology, &paths).expect("builds");
        let summaries: Vec<&str> = graph
            .nodes()
            .filter(|n| n.summary.starts_with("kind cluster"))
            .map(|n| n.summary.as_str())
            .collect();
        assert_eq!(
            summaries,
            [
                "kind cluster demo (3 control planes, 1 worker, v1.24.7)",
                "kind cluster demo3 (1 control plane, 2 workers, v1.24.7)"
            ]
        );
    }
}
