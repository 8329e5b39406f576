//! Topology → desired-state graph.
//!
//! Nodes are added cluster by cluster in name order, so the graph (and every plan made
//! from it) does not depend on the order of lists in the topology file. Edges point from
//! a dependency to its dependent and carry the reason. One file per part of the
//! topology: the clusters and what runs in them for the platform ([`cluster`]), the
//! mesh (certificates, Linkerd, links: [`mesh`]) and the applications ([`apps`]).

mod apps;
mod cluster;
mod mesh;

pub(crate) use mesh::pool_ranges;

use super::node::{Desired, Node, NodeId, NodeKind};
use super::paths::Paths;
use super::{Graph, GraphError};
use crate::render::DesiredObject;
use crate::topology::{Cluster, Inventory, Topology};
use foldhash::HashSet;
use std::borrow::Cow;
use std::path::PathBuf;

/// The MetalLB chart repository.
pub const METALLB_REPO: &str = "https://metallb.github.io/metallb";
/// The ingress-nginx chart repository.
pub const INGRESS_NGINX_REPO: &str = "https://kubernetes.github.io/ingress-nginx";

/// The nodes and edges collected so far, and what they are built from.
struct Builder<'t> {
    topology: &'t Topology,
    paths: &'t Paths,
    inventory: Inventory<'t>,
    /// Clusters some link targets (they get a gateway wait).
    link_targets: HashSet<&'t str>,
    /// Each cluster's kubeconfig context by name (every node of a cluster carries it).
    contexts: foldhash::HashMap<&'t str, String>,
    /// The trust anchor's certificate, the issuer's certificate and key, once resolved
    /// (every control plane names them).
    trust_files: Option<(PathBuf, PathBuf, PathBuf)>,
    nodes: Vec<Node>,
    edges: Vec<(NodeId, NodeId, Cow<'static, str>)>,
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
        let context = cluster.and_then(|c| self.contexts.get(c)).cloned();
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
    fn edge(
        &mut self,
        dependent: &NodeId,
        dependency: NodeId,
        reason: impl Into<Cow<'static, str>>,
    ) {
        self.edges
            .push((dependency, dependent.clone(), reason.into()));
    }
}

/// About how many nodes `topology` makes (a dozen per cluster for the platform and the
/// mesh, then the rest), so that the node list is not copied as it grows.
fn expected_nodes(topology: &Topology) -> usize {
    let spec = &topology.spec;
    1 + 12 * spec.clusters.len()
        + spec.links.len()
        + spec.workloads.len()
        + spec.exports.len()
        + spec.splits.len()
        + spec.ingresses.len()
}

/// Builds the graph of a validated topology. Paths the topology names are resolved
/// against `paths` (the topology file's directory, the state directory).
pub fn build(topology: &Topology, paths: &Paths) -> Result<Graph, GraphError> {
    let mut builder = Builder {
        topology,
        paths,
        inventory: Inventory::of(topology),
        link_targets: topology
            .spec
            .links
            .iter()
            .map(|l| l.target.as_str())
            .collect(),
        contexts: foldhash::HashMap::default(),
        trust_files: None,
        nodes: Vec::with_capacity(expected_nodes(topology)),
        edges: Vec::with_capacity(2 * expected_nodes(topology)),
    };
    for cluster in &topology.spec.clusters {
        // The first cluster of a name, as `Topology::cluster` finds it.
        builder
            .contexts
            .entry(cluster.name.as_str())
            .or_insert_with(|| cluster.context());
    }
    let mut clusters: Vec<&Cluster> = topology.spec.clusters.iter().collect();
    clusters.sort_by(|a, b| a.name.cmp(&b.name));

    mesh::add_certificates(&mut builder)?;
    for cluster in &clusters {
        let platform = cluster::add_cluster(&mut builder, cluster)?;
        mesh::add_linkerd(&mut builder, cluster, &platform)?;
        cluster::add_ingress_controller(&mut builder, cluster, &platform);
    }
    mesh::add_links(&mut builder)?;
    apps::add_applications(&mut builder, &clusters)?;
    let mut graph = Graph::assemble(builder.nodes, builder.edges)?;
    graph.paths = paths.clone();
    graph.machine = super::preflight::MachineRequirements::of(topology);
    Ok(graph)
}
