//! The plan with no cluster at hand: every node of the graph is created.

use super::{entry_at, Action, Plan, PlanMode};
use crate::graph::Graph;

/// The plan with no cluster at hand: every node is created.
pub fn offline(topology: &str, graph: &Graph) -> Plan {
    let entries = graph
        .nodes_by_wave()
        .map(|(wave, ix)| entry_at(graph, ix, wave, Action::Create))
        .collect();
    Plan::finish(topology.to_string(), PlanMode::Offline, entries, Vec::new())
}
