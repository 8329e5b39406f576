//! Topology → desired-state graph.
//!
//! Nodes are added cluster by cluster in name order, so the graph (and every plan made
//! from it) does not depend on the order of lists in the topology file. Edges point from
//! a dependency to its dependent and carry the reason.

use super::ids;
use super::node::*;
use super::{Graph, GraphError};
use crate::render::{self, DesiredObject, RenderError, Unknown};
use crate::topology::{expand_template, Cluster, Linkerd, Provider, Topology};
use std::collections::{BTreeMap, BTreeSet};

pub const METALLB_REPO: &str = "https://metallb.github.io/metallb";
pub const INGRESS_NGINX_REPO: &str = "https://kubernetes.github.io/ingress-nginx";

struct Builder<'t> {
    topology: &'t Topology,
    nodes: Vec<Node>,
    edges: Vec<(NodeId, NodeId, String)>,
}

impl Builder<'_> {
    fn node(
        &mut self,
        id: NodeId,
        kind: NodeKind,
        cluster: Option<&str>,
        summary: String,
        desired: Desired,
    ) {
        let context = cluster
            .and_then(|c| self.topology.cluster(c))
            .map(Cluster::context);
        self.nodes.push(Node {
            id,
            kind,
            cluster: cluster.map(str::to_string),
            context,
            summary,
            desired,
        });
    }

    fn objects(
        &mut self,
        id: NodeId,
        kind: NodeKind,
        cluster: &str,
        summary: String,
        objects: Vec<DesiredObject>,
    ) {
        self.node(id, kind, Some(cluster), summary, Desired::Objects(objects));
    }

    /// `dependent` needs `dependency` first.
    fn edge(&mut self, dependent: &NodeId, dependency: &NodeId, reason: impl Into<String>) {
        self.edges
            .push((dependency.clone(), dependent.clone(), reason.into()));
    }
}

/// Builds the graph of a validated topology.
pub fn build(topology: &Topology) -> Result<Graph, GraphError> {
    let mut b = Builder {
        topology,
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    let mut clusters: Vec<&Cluster> = topology.spec.clusters.iter().collect();
    clusters.sort_by(|a, x| a.name.cmp(&x.name));
    let linkerd = topology.spec.mesh.linkerd.as_ref();

    if let Some(l) = linkerd {
        b.node(
            ids::certificates(),
            NodeKind::TrustCertificates,
            None,
            format!(
                "shared trust anchor {} and issuer {} (ECDSA P-256)",
                l.anchor_common_name(),
                l.issuer_common_name()
            ),
            Desired::Action(ExternalAction::Certificates {
                trust_domain: l.trust_domain.clone(),
                anchor: l.anchor_common_name(),
                issuer: l.issuer_common_name(),
            }),
        );
    }

    for cluster in &clusters {
        add_cluster(&mut b, cluster, linkerd)?;
    }
    add_links(&mut b)?;
    add_applications(&mut b, &clusters)?;
    Graph::assemble(b.nodes, b.edges)
}

fn add_cluster(
    b: &mut Builder,
    cluster: &Cluster,
    linkerd: Option<&Linkerd>,
) -> Result<(), GraphError> {
    let c = cluster.name.as_str();
    let t = b.topology;
    let cluster_id = ids::cluster(c);
    let action = match cluster.provider {
        Provider::Kind => {
            let config = render::kind::kind_config(cluster, &t.spec.defaults)?;
            ExternalAction::KindCreateCluster {
                name: c.to_string(),
                config: serde_json::to_value(&config).map_err(|source| RenderError::Serialize {
                    what: format!("kind config of `{c}`"),
                    source,
                })?,
            }
        }
        Provider::Existing => ExternalAction::UseExistingCluster {
            context: cluster.context(),
        },
    };
    let summary = match cluster.provider {
        Provider::Kind => format!(
            "kind cluster {c} ({} control plane, {} workers, {})",
            cluster.nodes.control_planes,
            cluster.nodes.workers,
            cluster
                .kubernetes_version(&t.spec.defaults)
                .unwrap_or("kind's default Kubernetes")
        ),
        Provider::Existing => format!("existing cluster {c} (context {})", cluster.context()),
    };
    b.node(
        cluster_id.clone(),
        NodeKind::Cluster,
        Some(c),
        summary,
        Desired::Action(action),
    );

    let mut load_balancer_ready = None;
    if let Some(lb) = &cluster.load_balancer {
        let release = ids::metallb(c);
        b.node(
            release.clone(),
            NodeKind::MetalLbRelease,
            Some(c),
            "MetalLB (helm chart metallb/metallb)".into(),
            Desired::Action(ExternalAction::HelmRelease {
                release: "metallb".into(),
                namespace: render::metallb::NAMESPACE.into(),
                chart: "metallb/metallb".into(),
                repo: METALLB_REPO.into(),
                version: lb.version.clone(),
                values: Vec::new(),
            }),
        );
        b.edge(&release, &cluster_id, "installed into the cluster");
        let l2 = ids::l2(c, &lb.l2_advertisement.name);
        for pool in &lb.pools {
            let id = ids::pool(c, &pool.name);
            let object = render::metallb::ip_address_pool(pool)?;
            let addresses: Vec<&str> = pool.addresses.iter().map(|a| a.raw()).collect();
            b.objects(
                id.clone(),
                NodeKind::IpAddressPool,
                c,
                format!("pool {} ({})", pool.name, addresses.join(", ")),
                vec![object],
            );
            b.edge(
                &id,
                &release,
                "the IPAddressPool CRD and webhook come with MetalLB",
            );
            b.edge(&l2, &id, "announces the pool's addresses");
        }
        let object = render::metallb::l2_advertisement(lb)?;
        b.objects(
            l2.clone(),
            NodeKind::L2Advertisement,
            c,
            "L2 advertisement of the pools".into(),
            vec![object],
        );
        b.edge(&l2, &release, "the L2Advertisement CRD comes with MetalLB");
        load_balancer_ready = Some(l2);
    }

    if let Some(l) = linkerd {
        let context = cluster.context();
        let crds = ids::crds(c);
        b.node(
            crds.clone(),
            NodeKind::LinkerdCrds,
            Some(c),
            format!("Linkerd {} CRDs", l.version),
            Desired::Action(ExternalAction::LinkerdRender {
                args: vec![
                    format!("--context={context}"),
                    "install".into(),
                    "--crds".into(),
                ],
            }),
        );
        b.edge(&crds, &cluster_id, "installed into the cluster");
        let cp = ids::control_plane(c);
        b.node(
            cp.clone(),
            NodeKind::LinkerdControlPlane,
            Some(c),
            format!(
                "Linkerd {} control plane (trust domain {})",
                l.version, l.trust_domain
            ),
            Desired::Action(ExternalAction::LinkerdRender {
                args: vec![
                    format!("--context={context}"),
                    "install".into(),
                    format!("--identity-trust-domain={}", l.trust_domain),
                    "--identity-trust-anchors-file=<state>/trust-anchor.crt".into(),
                    "--identity-issuer-certificate-file=<state>/issuer.crt".into(),
                    "--identity-issuer-key-file=<state>/issuer.key".into(),
                ],
            }),
        );
        b.edge(
            &cp,
            &crds,
            "linkerd install refuses to run before its CRDs exist",
        );
        b.edge(
            &cp,
            &ids::certificates(),
            "every cluster must trust the same anchor",
        );
        for ext in ["viz", "multicluster", "smi"] {
            let Some(version) = l.extension_version(ext) else {
                continue;
            };
            let id = ids::extension(c, ext);
            // linkerd-smi is a CLI plugin: flags may not come before its name.
            let args = if ext == "smi" {
                vec![
                    "smi".into(),
                    "install".into(),
                    format!("--context={context}"),
                ]
            } else {
                vec![format!("--context={context}"), ext.into(), "install".into()]
            };
            b.node(
                id.clone(),
                NodeKind::LinkerdExtension,
                Some(c),
                format!("Linkerd {ext} extension {version}"),
                Desired::Action(ExternalAction::LinkerdRender { args }),
            );
            b.edge(&id, &cp, "extensions need the control plane");
        }
        let is_target = t.spec.links.iter().any(|link| link.target == c);
        if l.extensions.multicluster.is_some() && is_target {
            let gateway = ids::gateway(c);
            b.node(
                gateway.clone(),
                NodeKind::GatewayReady,
                Some(c),
                "wait for linkerd-multicluster/linkerd-gateway to get a LoadBalancer address"
                    .into(),
                Desired::Action(ExternalAction::WaitForLoadBalancer {
                    namespace: "linkerd-multicluster".into(),
                    service: "linkerd-gateway".into(),
                    address: Unknown,
                }),
            );
            b.edge(
                &gateway,
                &ids::extension(c, "multicluster"),
                "the gateway comes with the multicluster extension",
            );
            if let Some(l2) = &load_balancer_ready {
                b.edge(&gateway, l2, "MetalLB assigns the gateway its address");
            }
        }
    }

    if let Some(ic) = &cluster.ingress_controller {
        let id = ids::ingress_nginx(c);
        let mut values = Vec::new();
        if ic.inject {
            values.push((
                "controller.podAnnotations.linkerd\\.io/inject".to_string(),
                "enabled".to_string(),
            ));
        }
        b.node(
            id.clone(),
            NodeKind::IngressNginxRelease,
            Some(c),
            format!(
                "ingress-nginx (helm chart ingress-nginx/ingress-nginx{})",
                if ic.inject { ", meshed" } else { "" }
            ),
            Desired::Action(ExternalAction::HelmRelease {
                release: "ingress-nginx".into(),
                namespace: "ingress-nginx".into(),
                chart: "ingress-nginx/ingress-nginx".into(),
                repo: INGRESS_NGINX_REPO.into(),
                version: ic.version.clone(),
                values,
            }),
        );
        b.edge(&id, &cluster_id, "installed into the cluster");
        if ic.inject && linkerd.is_some() {
            b.edge(
                &id,
                &ids::control_plane(c),
                "the controller pods are meshed",
            );
        }
        if let Some(l2) = &load_balancer_ready {
            b.edge(
                &id,
                l2,
                "the controller's LoadBalancer Service needs an address",
            );
        }
    }
    Ok(())
}

fn add_links(b: &mut Builder) -> Result<(), GraphError> {
    let t = b.topology;
    let mut links: Vec<_> = t.spec.links.iter().collect();
    links.sort_by(|a, x| (&a.source, &a.target).cmp(&(&x.source, &x.target)));
    for link in links {
        let Some(target) = t.cluster(&link.target) else {
            continue;
        };
        let name = link.cluster_name(t);
        let id = ids::link(&link.source, &name);
        b.node(
            id.clone(),
            NodeKind::Link,
            Some(&link.source),
            format!(
                "link: mirror {}'s exported services into {} as <service>-{name}",
                link.target, link.source
            ),
            Desired::Action(ExternalAction::LinkerdLink {
                target_context: target.context(),
                cluster_name: name,
                expected: render::link::expected_link(t, link)?,
            }),
        );
        b.edge(
            &id,
            &ids::extension(&link.source, "multicluster"),
            "the service mirror runs in the source cluster",
        );
        b.edge(
            &id,
            &ids::extension(&link.target, "multicluster"),
            "the link's credentials come from the target's multicluster install",
        );
        b.edge(
            &id,
            &ids::gateway(&link.target),
            "the Link records the target gateway's address",
        );
    }
    Ok(())
}

fn add_applications(b: &mut Builder, clusters: &[&Cluster]) -> Result<(), GraphError> {
    let t = b.topology;
    let linkerd = t.spec.mesh.linkerd.is_some();

    // Namespaces: from workloads and explicit entries; injected when any entry asks.
    let mut namespaces: BTreeMap<(&str, &str), bool> = BTreeMap::new();
    for w in &t.spec.workloads {
        for c in &w.clusters {
            *namespaces.entry((c, &w.namespace)).or_default() |= w.inject;
        }
    }
    for ns in &t.spec.namespaces {
        for c in &ns.clusters {
            *namespaces.entry((c, &ns.name)).or_default() |= ns.inject;
        }
    }
    for (&(c, ns), &inject) in &namespaces {
        let id = ids::namespace(c, ns);
        let object = render::namespaces::namespace(ns, inject)?;
        b.objects(
            id.clone(),
            NodeKind::Namespace,
            c,
            format!("namespace {ns}{}", if inject { " (meshed)" } else { "" }),
            vec![object],
        );
        b.edge(&id, &ids::cluster(c), "created in the cluster");
    }

    // Which workload provides which service, to depend on it.
    let mut providers: BTreeMap<(&str, &str, &str), BTreeSet<NodeId>> = BTreeMap::new();
    for cluster in clusters {
        let c = cluster.name.as_str();
        for w in t
            .spec
            .workloads
            .iter()
            .filter(|w| w.clusters.iter().any(|x| x == c))
        {
            let id = ids::workload(c, &w.namespace, &w.name);
            let kustomize = w.kustomize.as_ref().map(|k| expand_template(k, cluster));
            let files: Vec<String> = w
                .manifests
                .iter()
                .map(|f| expand_template(f, cluster))
                .collect();
            let source = kustomize.clone().unwrap_or_else(|| files.join(", "));
            b.node(
                id.clone(),
                NodeKind::Workload,
                Some(c),
                format!("workload {} from {source}", w.name),
                Desired::Action(ExternalAction::Manifests { kustomize, files }),
            );
            b.edge(
                &id,
                &ids::namespace(c, &w.namespace),
                "deployed into the namespace",
            );
            if w.inject && linkerd {
                b.edge(
                    &id,
                    &ids::control_plane(c),
                    "the proxy injector must run before the pods start",
                );
            }
            for s in &w.services {
                providers
                    .entry((c, &w.namespace, s))
                    .or_default()
                    .insert(id.clone());
            }
        }
    }
    let provided_by = |b: &mut Builder, dependent: &NodeId, c: &str, ns: &str, service: &str| {
        if let Some(workloads) = providers.get(&(c, ns, service)) {
            for w in workloads {
                b.edge(
                    dependent,
                    w,
                    format!("service {ns}/{service} comes from this workload"),
                );
            }
        }
    };

    for export in &t.spec.exports {
        for c in &export.clusters {
            let id = ids::export(c, &export.namespace, &export.service);
            let object = render::namespaces::export_label(&export.namespace, &export.service)?;
            b.objects(
                id.clone(),
                NodeKind::ExportLabel,
                c,
                format!(
                    "export {}/{} (mirror.linkerd.io/exported=true)",
                    export.namespace, export.service
                ),
                vec![object],
            );
            b.edge(
                &id,
                &ids::extension(c, "multicluster"),
                "exports are mirrored by the multicluster extension",
            );
            provided_by(b, &id, c, &export.namespace, &export.service);
        }
    }

    for split in &t.spec.splits {
        let c = split.cluster.as_str();
        let id = ids::split(c, &split.namespace, split.name());
        let object = render::smi::traffic_split(t, split)?;
        let weights: Vec<String> = split
            .backends
            .iter()
            .map(|backend| {
                let name = t
                    .backend_service_name(split, backend)
                    .unwrap_or_else(|| backend.service.clone());
                format!("{name} {}", backend.weight)
            })
            .collect();
        b.objects(
            id.clone(),
            NodeKind::TrafficSplit,
            c,
            format!("TrafficSplit {}: {}", split.service, weights.join(" / ")),
            vec![object],
        );
        b.edge(
            &id,
            &ids::extension(c, "smi"),
            "the TrafficSplit CRD and adaptor come with linkerd-smi",
        );
        b.edge(
            &id,
            &ids::namespace(c, &split.namespace),
            "lives in the namespace",
        );
        provided_by(b, &id, c, &split.namespace, &split.service);
        for backend in &split.backends {
            let bc = backend.cluster(split);
            if bc == c {
                provided_by(b, &id, c, &split.namespace, &backend.service);
                continue;
            }
            if let Some(link) = t.link(c, bc) {
                let name = link.cluster_name(t);
                b.edge(
                    &id,
                    &ids::link(c, &name),
                    format!("the mirror {}-{name} comes from this link", backend.service),
                );
            }
            b.edge(
                &id,
                &ids::export(bc, &split.namespace, &backend.service),
                "only exported services are mirrored",
            );
        }
    }

    for ing in &t.spec.ingresses {
        for c in &ing.clusters {
            let Some(cluster) = t.cluster(c) else {
                continue;
            };
            let id = ids::ingress(c, &ing.namespace, &ing.name);
            let object = render::ingress::ingress(ing, cluster)?;
            b.objects(
                id.clone(),
                NodeKind::Ingress,
                c,
                format!(
                    "Ingress {} → {}:{}",
                    expand_template(&ing.host, cluster),
                    ing.service,
                    ing.port
                ),
                vec![object],
            );
            b.edge(
                &id,
                &ids::ingress_nginx(c),
                "the nginx IngressClass comes with ingress-nginx",
            );
            b.edge(
                &id,
                &ids::namespace(c, &ing.namespace),
                "lives in the namespace",
            );
            provided_by(b, &id, c, &ing.namespace, &ing.service);
        }
    }
    Ok(())
}
