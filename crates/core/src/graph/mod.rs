//! The desired-state graph: a DAG (petgraph) with one node per thing that will exist,
//! edges from each dependency to its dependents, and the apply order as waves.

mod build;
mod node;

pub use build::{build, ids, GraphError, INGRESS_NGINX_REPO, METALLB_REPO};
pub use node::*;

use petgraph::algo::{kosaraju_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet};

/// The desired state of a whole topology.
#[derive(Debug, Clone)]
pub struct Graph {
    graph: DiGraph<Node, Dependency>,
    index: BTreeMap<NodeId, NodeIndex>,
    /// Apply order: each wave depends only on earlier waves; ids sorted within a wave.
    waves: Vec<Vec<NodeIndex>>,
}

impl Graph {
    pub(crate) fn assemble(
        nodes: Vec<Node>,
        edges: Vec<(NodeId, NodeId, String)>,
    ) -> Result<Graph, GraphError> {
        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        for node in nodes {
            let id = node.id.clone();
            let ix = graph.add_node(node);
            index.insert(id, ix);
        }
        let mut seen = BTreeSet::new();
        for (from, to, reason) in edges {
            let lookup = |id: &NodeId| index.get(id).copied();
            let (Some(a), Some(b)) = (lookup(&from), lookup(&to)) else {
                let missing = if lookup(&from).is_none() {
                    from
                } else {
                    to.clone()
                };
                return Err(GraphError::MissingNode {
                    from: to,
                    to: missing,
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
        let mut wave_of: BTreeMap<NodeIndex, usize> = BTreeMap::new();
        for ix in &order {
            let wave = graph
                .neighbors_directed(*ix, Direction::Incoming)
                .filter_map(|dep| wave_of.get(&dep))
                .map(|w| w + 1)
                .max()
                .unwrap_or(0);
            wave_of.insert(*ix, wave);
        }
        let count = wave_of.values().max().map_or(0, |w| w + 1);
        let mut waves = vec![Vec::new(); count];
        for (ix, wave) in wave_of {
            waves[wave].push(ix);
        }
        for wave in &mut waves {
            wave.sort_by(|a, b| graph[*a].id.cmp(&graph[*b].id));
        }
        Ok(Graph {
            graph,
            index,
            waves,
        })
    }

    /// The graph of a topology with nothing in it (the base of a brand-new file).
    pub fn empty() -> Graph {
        Graph {
            graph: DiGraph::new(),
            index: BTreeMap::new(),
            waves: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.index.get(id).map(|ix| &self.graph[*ix])
    }

    /// Nodes in apply order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.waves.iter().flatten().map(|ix| &self.graph[*ix])
    }

    /// Nodes grouped into waves (0-based): a wave's nodes can run in parallel.
    pub fn waves(&self) -> Vec<Vec<&Node>> {
        self.waves
            .iter()
            .map(|w| w.iter().map(|ix| &self.graph[*ix]).collect())
            .collect()
    }

    /// The wave of a node.
    pub fn wave_of(&self, id: &NodeId) -> Option<usize> {
        let ix = self.index.get(id)?;
        self.waves.iter().position(|w| w.contains(ix))
    }

    /// Direct dependencies of a node with the reason for each, sorted by id.
    pub fn dependencies(&self, id: &NodeId) -> Vec<(&Node, &Dependency)> {
        let Some(ix) = self.index.get(id) else {
            return Vec::new();
        };
        let mut deps: Vec<_> = self
            .graph
            .edges_directed(*ix, Direction::Incoming)
            .map(|e| (&self.graph[e.source()], e.weight()))
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
                    e.weight().reason.as_str(),
                )
            })
            .collect();
        edges.sort();
        edges
    }
}
