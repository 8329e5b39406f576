//! Two revisions of a topology compared (`plan --base`): nodes are added, removed or
//! changed, with a field-level diff of their desired state and the dependents a change
//! reaches.

use super::diff::field_changes;
use super::policy::{must_replace, recreated_with, weight_warnings};
use super::{entry_at, Action, Plan, PlanEntry, PlanMode};
use crate::graph::{Graph, NodeId, NodeKind};
use foldhash::HashMap;
use std::collections::{BTreeMap, BTreeSet};

/// What changes from `old` to `new`. `max_weight_change` (percentage points) comes from
/// the new topology's policy.
pub fn compare(topology: &str, old: &Graph, new: &Graph, max_weight_change: Option<u32>) -> Plan {
    let mut entries = Vec::new();
    let mut changed: BTreeSet<NodeId> = BTreeSet::new();
    let mut warnings = Vec::new();
    for (wave, ix) in new.nodes_by_wave() {
        let node = new.shared(ix);
        match old.node(&node.id) {
            None => {
                changed.insert(node.id.clone());
                entries.push(entry_at(new, ix, wave, Action::Create));
            }
            Some(before) => {
                // Most nodes of a revision are unchanged: a structural comparison finds
                // that without flattening both sides into path → leaf maps.
                let changes = if before.desired == node.desired {
                    Vec::new()
                } else {
                    field_changes(&before.desired, &node.desired)
                };
                if changes.is_empty() {
                    entries.push(entry_at(new, ix, wave, Action::Unchanged));
                } else {
                    if let (Some(limit), NodeKind::TrafficSplit) = (max_weight_change, node.kind) {
                        warnings.extend(weight_warnings(
                            &node.id,
                            &before.desired,
                            &node.desired,
                            limit,
                        ));
                    }
                    changed.insert(node.id.clone());
                    let action = if must_replace(node) {
                        Action::Replace
                    } else {
                        Action::Change
                    };
                    let mut e = entry_at(new, ix, wave, action);
                    e.changes = changes;
                    entries.push(e);
                }
            }
        }
    }
    // What lives in a replaced cluster, and the links into it, are recreated with it.
    let replaced: Vec<NodeId> = entries
        .iter()
        .filter(|e| e.action == Action::Replace)
        .map(|e| e.id.clone())
        .collect();
    // By id: a fleet whose clusters are all replaced would otherwise scan every entry
    // once per cluster.
    let position: HashMap<NodeId, usize> = entries
        .iter()
        .enumerate()
        .map(|(at, e)| (e.id.clone(), at))
        .collect();
    for cluster in replaced {
        for id in recreated_with(new, &cluster) {
            let Some(e) = position.get(&id).and_then(|&at| entries.get_mut(at)) else {
                continue;
            };
            // A node two replaced clusters recreate names the first.
            if matches!(e.action, Action::Unchanged | Action::Change) {
                e.action = Action::Replace;
                e.replaced_with = Some(cluster.clone());
                changed.insert(id);
            }
        }
    }
    let mut deletions: Vec<PlanEntry> = old
        .nodes_by_wave()
        .filter(|(_, ix)| new.node(&old.shared(*ix).id).is_none())
        .map(|(wave, ix)| entry_at(old, ix, wave, Action::Delete))
        .collect();
    // Delete dependents before what they depend on.
    deletions.reverse();
    for d in &deletions {
        changed.insert(d.id.clone());
    }
    // Reach: an unchanged node whose dependency changed (in either revision).
    let mut reached: BTreeMap<NodeId, BTreeSet<NodeId>> = BTreeMap::new();
    for id in &changed {
        for graph in [new, old] {
            for dependent in graph.dependents(id) {
                reached.entry(dependent).or_default().insert(id.clone());
            }
        }
    }
    for e in &mut entries {
        if e.action == Action::Unchanged {
            if let Some(by) = reached.get(&e.id) {
                e.affected_by = by.iter().cloned().collect();
            }
        }
    }
    entries.extend(deletions);
    Plan::finish(topology.to_string(), PlanMode::Base, entries, warnings)
}
