//! The plan with no cluster at hand: every node of the graph is created.

use super::{entry, Action, Plan, PlanMode};
use crate::graph::Graph;

/// The plan with no cluster at hand: every node is created.
pub fn offline(topology: &str, graph: &Graph) -> Plan {
    let entries = graph
        .nodes()
        .map(|n| entry(graph, n, Action::Create))
        .collect();
    Plan::finish(topology.to_string(), PlanMode::Offline, entries, Vec::new())
}
