//! A cluster and the platform pieces meshctl installs into it before and beside the
//! mesh: the cluster itself (kind or existing), MetalLB with its pools, and ingress-nginx.

use super::{Builder, INGRESS_NGINX_REPO, METALLB_REPO};
use crate::graph::node::{Desired, NodeId, NodeKind};
use crate::graph::{ids, ExternalAction, GraphError};
use crate::render::{self, RenderError};
use crate::topology::{Cluster, Provider};

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
            let summary = format!(
                "kind cluster {name} ({} control plane, {} workers, {})",
                cluster.nodes.control_planes,
                cluster.nodes.workers,
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
            version: load_balancer.version.clone(),
            values: Vec::new(),
            context: cluster.context(),
        }),
    );
    b.edge(&release, cluster_id, "installed into the cluster");
    let advertisement = ids::l2(name, &load_balancer.l2_advertisement.name);
    for pool in &load_balancer.pools {
        let id = ids::pool(name, &pool.name);
        let object = render::metallb::ip_address_pool(pool)?;
        let addresses: Vec<&str> = pool.addresses.iter().map(|a| a.raw()).collect();
        b.objects(
            id.clone(),
            NodeKind::IpAddressPool,
            name,
            format!("pool {} ({})", pool.name, addresses.join(", ")),
            vec![object],
        );
        b.edge(
            &id,
            &release,
            "the IPAddressPool CRD and webhook come with MetalLB",
        );
        b.edge(&advertisement, &id, "announces the pool's addresses");
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
        &release,
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
        format!(
            "ingress-nginx (helm chart ingress-nginx/ingress-nginx{})",
            if controller.inject { ", meshed" } else { "" }
        ),
        Desired::Action(ExternalAction::HelmRelease {
            release: "ingress-nginx".into(),
            namespace: "ingress-nginx".into(),
            chart: "ingress-nginx".into(),
            repo: INGRESS_NGINX_REPO.into(),
            version: controller.version.clone(),
            values,
            context: cluster.context(),
        }),
    );
    b.edge(&id, &platform.cluster, "installed into the cluster");
    if controller.inject && b.topology.spec.mesh.linkerd.is_some() {
        b.edge(
            &id,
            &ids::control_plane(name),
            "the controller pods are meshed",
        );
    }
    if let Some(advertisement) = &platform.load_balancer_ready {
        b.edge(
            &id,
            advertisement,
            "the controller's LoadBalancer Service needs an address",
        );
    }
}
