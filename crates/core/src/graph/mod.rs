//! The desired-state graph: a DAG (petgraph) with one node per thing that will exist,
//! edges from each dependency to its dependents, and the apply order as waves.

mod action;
mod build;
mod error;
pub mod ids;
mod node;
mod paths;
pub mod preflight;

pub use crate::render::Unknown;
pub use action::version_command;
pub use action::{
    commands, describe_pools, helm_status, helm_uninstall, kind_delete_cluster, kind_get_clusters,
    kustomize_render, pipeline, ExternalAction, LinkerdPiece, PoolRanges, ResolvedCertificate,
    Tool, ToolCommand,
};
pub use build::{build, INGRESS_NGINX_REPO, METALLB_REPO};
pub use error::GraphError;
pub use node::{Dependency, Desired, Node, NodeId, NodeKind, SharedDesired};
pub use paths::{
    default_state_dir, state_key, Expected, FileReference, Paths, ANCHOR_CERT_FILE,
    ANCHOR_KEY_FILE, CONTROL_PLANE_VALUES_FILE, ISSUER_CERT_FILE, ISSUER_KEY_FILE, STATE_ROOT,
    VIZ_VALUES_FILE, WEBHOOKS_DIR,
};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use petgraph::algo::{kosaraju_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The desired state of a whole topology.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Nodes are shared with the plan entries made from them (see [`SharedDesired`]).
    graph: DiGraph<Arc<Node>, Dependency>,
    /// Node by id (hashed, seeded per process: tens of thousands of ids sharing long
    /// prefixes, from a file that may come from anyone's pull request).
    index: HashMap<NodeId, NodeIndex>,
    /// Apply order: each wave depends only on earlier waves; ids sorted within a wave.
    waves: Vec<Vec<NodeIndex>>,
    /// The wave of each node, by node index (so `wave_of` is a lookup, not a scan).
    wave_by_node: Vec<usize>,
    /// What the graph's paths were resolved against (its command lines need it too).
    paths: Paths,
    /// What the topology's kind clusters need of the machine (checked before apply).
    pub(crate) machine: preflight::MachineRequirements,
}

impl Graph {
    pub(crate) fn assemble(
        nodes: Vec<Node>,
        edges: Vec<(NodeId, NodeId, Cow<'static, str>)>,
    ) -> Result<Graph, GraphError> {
        let mut graph = DiGraph::with_capacity(nodes.len(), edges.len());
        let mut index = HashMap::with_capacity(nodes.len());
        for node in nodes {
            let slot = match index.entry(node.id.clone()) {
                Entry::Occupied(_) => return Err(GraphError::DuplicateNode(node.id)),
                Entry::Vacant(slot) => slot,
            };
            slot.insert(graph.add_node(Arc::new(node)));
        }
        let mut seen = HashSet::with_capacity(edges.len());
        for (dependency, dependent, reason) in edges {
            let (Some(a), Some(b)) = (
                index.get(&dependency).copied(),
                index.get(&dependent).copied(),
            ) else {
                let missing = if index.contains_key(&dependency) {
                    dependent.clone()
                } else {
                    dependency.clone()
                };
                return Err(GraphError::MissingNode {
                    dependent,
                    dependency,
                    missing,
                });
            };
            if seen.insert((a, b)) {
                graph.add_edge(a, b, Dependency { reason });
            }
        }
        let order = toposort(&graph, None).map_err(|_| {
            let cycle = kosaraju_scc(&graph)
                .into_iter()
                .find(|scc| scc.len() > 1)
                .unwrap_or_default();
            let mut ids: Vec<NodeId> = cycle.iter().map(|ix| graph[*ix].id.clone()).collect();
            ids.sort();
            GraphError::Cycle(ids)
        })?;
        // In topological order every dependency's wave is known before its dependents'.
        let mut wave_by_node = vec![0usize; graph.node_count()];
        for ix in &order {
            wave_by_node[ix.index()] = graph
                .neighbors_directed(*ix, Direction::Incoming)
                .map(|dep| wave_by_node[dep.index()] + 1)
                .max()
                .unwrap_or(0);
        }
        let count = wave_by_node.iter().max().map_or(0, |w| w + 1);
        let mut waves = vec![Vec::new(); count];
        for ix in graph.node_indices() {
            waves[wave_by_node[ix.index()]].push(ix);
        }
        for wave in &mut waves {
            wave.sort_by(|a, b| graph[*a].id.cmp(&graph[*b].id));
        }
        Ok(Graph {
            graph,
            index,
            waves,
            wave_by_node,
            paths: Paths::default(),
            machine: preflight::MachineRequirements::default(),
        })
    }

    /// The graph of a topology with nothing in it (the base of a brand-new file).
    pub fn empty() -> Graph {
        Graph {
            graph: DiGraph::new(),
            index: HashMap::new(),
            waves: Vec::new(),
            wave_by_node: Vec::new(),
            paths: Paths::default(),
            machine: preflight::MachineRequirements::default(),
        }
    }

    /// What the topology's kind clusters need of the machine.
    pub fn machine(&self) -> &preflight::MachineRequirements {
        &self.machine
    }

    /// The directories the graph's paths were resolved against.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The command lines that carry out `node` (none for objects meshctl applies itself).
    pub fn commands(&self, node: &Node) -> Vec<ToolCommand> {
        match &node.desired {
            Desired::Action(action) => commands(action, &self.paths),
            Desired::Objects(_) => Vec::new(),
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// True when the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The node with this id.
    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.index.get(id).map(|ix| &*self.graph[*ix])
    }

    /// Nodes in apply order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.waves.iter().flatten().map(|ix| &*self.graph[*ix])
    }

    /// Nodes in apply order with their wave (0-based), as the graph holds them.
    pub(crate) fn nodes_by_wave(&self) -> impl Iterator<Item = (usize, NodeIndex)> + '_ {
        self.waves
            .iter()
            .enumerate()
            .flat_map(|(wave, nodes)| nodes.iter().map(move |ix| (wave, *ix)))
    }

    /// The node at `ix`, shared.
    pub(crate) fn shared(&self, ix: NodeIndex) -> &Arc<Node> {
        &self.graph[ix]
    }

    /// Nodes grouped into waves (0-based): a wave's nodes can run in parallel.
    pub fn waves(&self) -> Vec<Vec<&Node>> {
        self.waves
            .iter()
            .map(|w| w.iter().map(|ix| &*self.graph[*ix]).collect())
            .collect()
    }

    /// The wave of a node.
    pub fn wave_of(&self, id: &NodeId) -> Option<usize> {
        let ix = self.index.get(id)?;
        self.wave_by_node.get(ix.index()).copied()
    }

    /// Direct dependencies of a node with the reason for each, sorted by id.
    pub fn dependencies(&self, id: &NodeId) -> Vec<(&Node, &Dependency)> {
        match self.index.get(id) {
            Some(ix) => self.dependencies_at(*ix),
            None => Vec::new(),
        }
    }

    /// Direct dependencies of the node at `ix` with the reason for each, sorted by id.
    pub(crate) fn dependencies_at(&self, ix: NodeIndex) -> Vec<(&Node, &Dependency)> {
        let mut deps: Vec<_> = self
            .graph
            .edges_directed(ix, Direction::Incoming)
            .map(|e| (&*self.graph[e.source()], e.weight()))
            .collect();
        deps.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        deps
    }

    /// Every node that depends on `id`, directly or not.
    pub fn dependents(&self, id: &NodeId) -> BTreeSet<NodeId> {
        let mut out = BTreeSet::new();
        let Some(start) = self.index.get(id) else {
            return out;
        };
        let mut stack = vec![*start];
        while let Some(ix) = stack.pop() {
            for next in self.graph.neighbors_directed(ix, Direction::Outgoing) {
                if out.insert(self.graph[next].id.clone()) {
                    stack.push(next);
                }
            }
        }
        out
    }

    /// All edges as (dependency, dependent, reason), sorted.
    pub fn edges(&self) -> Vec<(&NodeId, &NodeId, &str)> {
        let mut edges: Vec<_> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    &self.graph[e.source()].id,
                    &self.graph[e.target()].id,
                    &*e.weight().reason,
                )
            })
            .collect();
        edges.sort();
        edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> Node {
        Node {
            id: NodeId(id.to_string()),
            kind: NodeKind::Namespace,
            cluster: Some("c".to_string()),
            context: None,
            summary: id.to_string(),
            desired: Desired::Objects(Vec::new()),
        }
    }

    fn edge(from: &str, to: &str) -> (NodeId, NodeId, Cow<'static, str>) {
        (NodeId(from.into()), NodeId(to.into()), "test".into())
    }

    #[test]
    fn a_cycle_is_an_error_naming_its_nodes() {
        let nodes = ["a", "b", "c", "d"].map(node).to_vec();
        let edges = vec![
            edge("d", "a"),
            edge("a", "b"),
            edge("b", "c"),
            edge("c", "a"),
        ];
        let err = Graph::assemble(nodes, edges).expect_err("cycle");
        assert_eq!(err.to_string(), "dependency cycle: a → b → c");
    }

    #[test]
    fn waves_follow_dependencies() {
        let nodes = ["a", "b", "c", "d"].map(node).to_vec();
        let edges = vec![edge("a", "b"), edge("b", "c"), edge("a", "d")];
        let graph = Graph::assemble(nodes, edges).expect("acyclic");
        let waves: Vec<Vec<&str>> = graph
            .waves()
            .iter()
            .map(|w| w.iter().map(|n| n.id.0.as_str()).collect())
            .collect();
        assert_eq!(waves, [vec!["a"], vec!["b", "d"], vec!["c"]]);
        assert_eq!(
            graph.dependents(&NodeId("a".into())).len(),
            3,
            "b, c and d all wait for a"
        );
    }

    #[test]
    fn a_duplicate_id_is_an_error() {
        let err = Graph::assemble(vec![node("a"), node("b"), node("a")], Vec::new())
            .expect_err("duplicate");
        assert_eq!(
            err.to_string(),
            "two nodes have the id a; run `meshctl validate`"
        );
    }

    #[test]
    fn an_edge_to_an_undeclared_node_is_an_error() {
        let err = Graph::assemble(vec![node("a")], vec![edge("a", "ghost")]).expect_err("missing");
        assert!(err.to_string().contains("ghost"), "{err}");
    }
}
