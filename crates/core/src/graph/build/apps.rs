//! The applications: namespaces, workloads, exports, TrafficSplits and Ingresses, each
//! depending on the workloads that provide the services it names.

use super::Builder;
use crate::graph::node::{Desired, NodeId, NodeKind};
use crate::graph::{ids, ExternalAction, GraphError};
use crate::render;
use crate::topology::{expand_template, Cluster, Export, IngressSpec, Split, Workload};
use foldhash::{HashMap, HashMapExt};

/// Every application node of the topology, cluster by cluster.
pub(super) fn add_applications(b: &mut Builder, clusters: &[&Cluster]) -> Result<(), GraphError> {
    add_namespaces(b)?;
    // Each cluster's workloads in topology order, each once (a name listed twice in a
    // workload's clusters counts once), gathered in one pass over the workloads.
    let mut workloads_in: HashMap<&str, Vec<&Workload>> = HashMap::new();
    for workload in &b.topology.spec.workloads {
        for name in &workload.clusters {
            let list = workloads_in.entry(name.as_str()).or_default();
            if !list
                .last()
                .is_some_and(|last| std::ptr::eq(*last, workload))
            {
                list.push(workload);
            }
        }
    }
    for cluster in clusters {
        for workload in workloads_in
            .remove(cluster.name.as_str())
            .unwrap_or_default()
        {
            add_workload(b, cluster, workload);
        }
    }
    for export in &b.topology.spec.exports {
        add_export(b, export)?;
    }
    for split in &b.topology.spec.splits {
        add_split(b, split)?;
    }
    for ingress in &b.topology.spec.ingresses {
        add_ingress(b, ingress)?;
    }
    Ok(())
}

/// Namespaces from workloads and explicit entries; meshed when any entry asks.
fn add_namespaces(b: &mut Builder) -> Result<(), GraphError> {
    let namespaces: Vec<((String, String), bool)> = b
        .inventory
        .namespaces
        .iter()
        .map(|(&(c, ns), &inject)| ((c.to_string(), ns.to_string()), inject))
        .collect();
    for ((cluster, namespace), inject) in namespaces {
        let id = ids::namespace(&cluster, &namespace);
        let object = render::namespaces::namespace(&namespace, inject)?;
        b.objects(
            id.clone(),
            NodeKind::Namespace,
            &cluster,
            [
                "namespace ",
                &namespace,
                if inject { " (meshed)" } else { "" },
            ]
            .concat(),
            vec![object],
        );
        b.edge(&id, ids::cluster(&cluster), "created in the cluster");
    }
    Ok(())
}

fn add_workload(b: &mut Builder, cluster: &Cluster, workload: &Workload) {
    let name = cluster.name.as_str();
    let id = ids::workload(name, &workload.namespace, &workload.name);
    let kustomize = workload
        .kustomize
        .as_ref()
        .map(|dir| expand_template(dir, cluster));
    let files: Vec<String> = workload
        .manifests
        .iter()
        .map(|file| expand_template(file, cluster))
        .collect();
    let source = kustomize.clone().unwrap_or_else(|| files.join(", "));
    b.node(
        id.clone(),
        NodeKind::Workload,
        Some(name),
        ["workload ", &workload.name, " from ", &source].concat(),
        Desired::Action(ExternalAction::Manifests {
            namespace: workload.namespace.clone(),
            context: cluster.context(),
            kustomize: kustomize.map(|dir| b.paths.user_file(&dir)),
            files: files.iter().map(|file| b.paths.user_file(file)).collect(),
        }),
    );
    b.edge(
        &id,
        ids::namespace(name, &workload.namespace),
        "deployed into the namespace",
    );
    if workload.inject && b.topology.spec.mesh.linkerd.is_some() {
        b.edge(
            &id,
            ids::control_plane(name),
            "the proxy injector must run before the pods start",
        );
    }
}

/// `dependent` needs the workloads that provide `namespace/service` in `cluster`.
fn depend_on_providers(
    b: &mut Builder,
    dependent: &NodeId,
    cluster: &str,
    namespace: &str,
    service: &str,
) {
    let providers: Vec<NodeId> = b
        .inventory
        .providers
        .get(&(cluster, namespace, service))
        .into_iter()
        .flatten()
        .map(|workload| ids::workload(cluster, namespace, workload))
        .collect();
    for provider in providers {
        b.edge(
            dependent,
            provider,
            [
                "service ",
                namespace,
                "/",
                service,
                " comes from this workload",
            ]
            .concat(),
        );
    }
}

fn add_export(b: &mut Builder, export: &Export) -> Result<(), GraphError> {
    for cluster in &export.clusters {
        let id = ids::export(cluster, &export.namespace, &export.service);
        let object = render::namespaces::export_label(&export.namespace, &export.service)?;
        b.objects(
            id.clone(),
            NodeKind::ExportLabel,
            cluster,
            [
                "export ",
                &export.namespace,
                "/",
                &export.service,
                " (mirror.linkerd.io/exported=true)",
            ]
            .concat(),
            vec![object],
        );
        b.edge(
            &id,
            ids::extension(cluster, "multicluster"),
            "exports are mirrored by the multicluster extension",
        );
        depend_on_providers(b, &id, cluster, &export.namespace, &export.service);
    }
    Ok(())
}

fn add_split(b: &mut Builder, split: &Split) -> Result<(), GraphError> {
    let topology = b.topology;
    let cluster = split.cluster.as_str();
    let id = ids::split(cluster, &split.namespace, split.name());
    let object = render::smi::traffic_split(topology, split)?;
    let weights: Vec<String> = split
        .backends
        .iter()
        .map(|backend| {
            let name = topology
                .backend_service_name(split, backend)
                .unwrap_or_else(|| backend.service.clone());
            format!("{name} {}", backend.weight)
        })
        .collect();
    b.objects(
        id.clone(),
        NodeKind::TrafficSplit,
        cluster,
        format!("TrafficSplit {}: {}", split.service, weights.join(" / ")),
        vec![object],
    );
    b.edge(
        &id,
        ids::extension(cluster, "smi"),
        "the TrafficSplit CRD and adaptor come with linkerd-smi",
    );
    b.edge(
        &id,
        ids::namespace(cluster, &split.namespace),
        "lives in the namespace",
    );
    depend_on_providers(b, &id, cluster, &split.namespace, &split.service);
    for backend in &split.backends {
        let backend_cluster = backend.cluster(split);
        if backend_cluster == cluster {
            depend_on_providers(b, &id, cluster, &split.namespace, &backend.service);
            continue;
        }
        if let Some(link) = topology.link(cluster, backend_cluster) {
            let name = link.cluster_name(topology);
            b.edge(
                &id,
                ids::link(cluster, &name),
                [
                    "the mirror ",
                    &backend.service,
                    "-",
                    &name,
                    " comes from this link",
                ]
                .concat(),
            );
        }
        b.edge(
            &id,
            ids::export(backend_cluster, &split.namespace, &backend.service),
            "only exported services are mirrored",
        );
    }
    Ok(())
}

fn add_ingress(b: &mut Builder, ingress: &IngressSpec) -> Result<(), GraphError> {
    for name in &ingress.clusters {
        let Some(cluster) = b.topology.cluster(name) else {
            continue;
        };
        let id = ids::ingress(name, &ingress.namespace, &ingress.name);
        let object = render::ingress::ingress(ingress, cluster)?;
        b.objects(
            id.clone(),
            NodeKind::Ingress,
            name,
            format!(
                "Ingress {} → {}:{}",
                expand_template(&ingress.host, cluster),
                ingress.service,
                ingress.port
            ),
            vec![object],
        );
        b.edge(
            &id,
            ids::ingress_nginx(name),
            "the nginx IngressClass comes with ingress-nginx",
        );
        b.edge(
            &id,
            ids::namespace(name, &ingress.namespace),
            "lives in the namespace",
        );
        depend_on_providers(b, &id, name, &ingress.namespace, &ingress.service);
    }
    Ok(())
}
