//! The rules a change is judged by: how far a split's weights may move in one change
//! (and which limit applies when a change edits the limit itself), and which changes
//! cannot be made in place. Pure functions over desired state, so a live plan applies
//! the same rules.

use crate::diagnostics::Diagnostic;
use crate::graph::{Desired, ExternalAction, Graph, Node, NodeId, NodeKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The weight limit a change is checked against: a change may not loosen the policy it
/// is checked against, so the stricter of the old and new limits applies.
pub fn weight_limit(old: Option<u32>, new: Option<u32>) -> Option<u32> {
    match (old, new) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Whether a change that turns a node into `after` needs it destroyed and created again:
/// kind cannot reconfigure a running cluster. An existing cluster is only re-pointed.
pub fn must_replace(after: &Node) -> bool {
    matches!(
        after.desired,
        Desired::Action(ExternalAction::KindCluster { .. })
    )
}

/// The nodes recreated when the node `replaced` is: everything in its cluster that
/// depends on it, and the links into that cluster (their credentials and gateway address
/// come from the new cluster). Other dependents only depend on something that changed.
pub fn recreated_with(graph: &Graph, replaced: &NodeId) -> BTreeSet<NodeId> {
    let Some(cluster) = graph.node(replaced).and_then(|n| n.cluster.as_deref()) else {
        return BTreeSet::new();
    };
    graph
        .dependents(replaced)
        .into_iter()
        .filter(|id| {
            graph.node(id).is_some_and(|node| {
                node.cluster.as_deref() == Some(cluster) || node.kind == NodeKind::Link
            })
        })
        .collect()
}

/// Backend share (percent of total weight) by backend service name.
fn shares(desired: &Desired) -> BTreeMap<String, f64> {
    let Desired::Objects(objects) = desired else {
        return BTreeMap::new();
    };
    let backends: Vec<(String, f64)> = objects
        .iter()
        .filter_map(|o| o.body.pointer("/spec/backends").and_then(Value::as_array))
        .flatten()
        .filter_map(|b| {
            Some((
                b.get("service")?.as_str()?.to_string(),
                b.get("weight")?.as_f64()?,
            ))
        })
        .collect();
    let total: f64 = backends.iter().map(|(_, w)| w).sum();
    backends
        .into_iter()
        .map(|(s, w)| (s, if total > 0.0 { w * 100.0 / total } else { 0.0 }))
        .collect()
}

/// W073 for each backend whose share of traffic moves by more than `limit` points.
pub fn weight_warnings(id: &NodeId, old: &Desired, new: &Desired, limit: u32) -> Vec<Diagnostic> {
    let before = shares(old);
    let after = shares(new);
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let from = before.get(name).copied().unwrap_or(0.0);
            let to = after.get(name).copied().unwrap_or(0.0);
            ((to - from).abs() > f64::from(limit)).then(|| {
                Diagnostic::warning(
                    "W073",
                    "spec.splits",
                    format!(
                        "{id}: backend {name} moves from {from:.0}% to {to:.0}% of traffic, more than the {limit} points policy allows in one change"
                    ),
                )
                .with_hint("shift traffic in smaller steps, or have the change approved as an exception")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::weight_limit;

    #[test]
    fn a_change_cannot_loosen_the_limit_it_is_checked_against() {
        assert_eq!(weight_limit(Some(10), Some(50)), Some(10));
        assert_eq!(weight_limit(Some(50), Some(10)), Some(10));
        assert_eq!(weight_limit(Some(10), None), Some(10), "removing the limit");
        assert_eq!(weight_limit(None, Some(20)), Some(20));
        assert_eq!(weight_limit(None, None), None);
    }
}
