//! Plans: what apply would do, node by node, in apply order.
//!
//! Offline, every node is a create and values only a cluster can know are shown as
//! "(known after apply)". Between two revisions of a topology (`plan --base`), nodes are
//! added, removed or changed, with a field-level diff of their desired state and the
//! dependents a change reaches.

use crate::diagnostics::Diagnostic;
use crate::graph::{Desired, ExternalAction, Graph, Node, NodeId, NodeKind};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Change,
    /// Cannot change in place (a kind cluster's config): destroyed and created again,
    /// with everything in it.
    Replace,
    Delete,
    Unchanged,
}

/// One changed leaf of a node's desired state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// e.g. `TrafficSplit/test/podinfo: spec.backends[1].weight`.
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// One node of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanEntry {
    pub id: NodeId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The cluster's kubeconfig context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub kind: NodeKind,
    /// Apply wave (1-based) in the graph the entry comes from.
    pub wave: usize,
    pub action: Action,
    pub summary: String,
    /// What the node depends on, with reasons.
    pub depends_on: Vec<PlanDependency>,
    /// Field-level changes (`change` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// For an unchanged node: the changed nodes it depends on (directly or not).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affected_by: Vec<NodeId>,
    /// The node's desired state (objects or external action).
    pub desired: Desired,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDependency {
    pub id: NodeId,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    pub create: usize,
    pub change: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanMode {
    /// No cluster contacted: everything is a create.
    Offline,
    /// Two revisions of a topology compared.
    Base,
}

/// A whole plan. Its JSON form is documented in docs/plan.md and stable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub version: u32,
    pub topology: String,
    pub mode: PlanMode,
    /// Entries in apply order (deletions last, in reverse apply order).
    pub entries: Vec<PlanEntry>,
    pub summary: PlanSummary,
    /// Warnings about the change itself (e.g. a weight moved more than policy allows).
    pub warnings: Vec<Diagnostic>,
    /// Things the reader should know about how the plan was made (e.g. the base revision
    /// was not valid and was compared as declared).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.summary.create + self.summary.change + self.summary.replace + self.summary.delete > 0
    }

    fn finish(
        topology: String,
        mode: PlanMode,
        entries: Vec<PlanEntry>,
        warnings: Vec<Diagnostic>,
    ) -> Plan {
        let mut summary = PlanSummary::default();
        for e in &entries {
            match e.action {
                Action::Create => summary.create += 1,
                Action::Change => summary.change += 1,
                Action::Replace => summary.replace += 1,
                Action::Delete => summary.delete += 1,
                Action::Unchanged => summary.unchanged += 1,
            }
        }
        Plan {
            version: 1,
            topology,
            mode,
            entries,
            summary,
            warnings,
            notes: Vec::new(),
        }
    }
}

fn entry(graph: &Graph, node: &Node, action: Action) -> PlanEntry {
    PlanEntry {
        id: node.id.clone(),
        cluster: node.cluster.clone(),
        context: node.context.clone(),
        kind: node.kind,
        wave: graph.wave_of(&node.id).map_or(0, |w| w + 1),
        action,
        summary: node.summary.clone(),
        depends_on: graph
            .dependencies(&node.id)
            .into_iter()
            .map(|(dep, why)| PlanDependency {
                id: dep.id.clone(),
                reason: why.reason.clone(),
            })
            .collect(),
        changes: Vec::new(),
        affected_by: Vec::new(),
        desired: node.desired.clone(),
    }
}

/// The plan with no cluster at hand: every node is created.
pub fn offline(topology: &str, graph: &Graph) -> Plan {
    let entries = graph
        .nodes()
        .map(|n| entry(graph, n, Action::Create))
        .collect();
    Plan::finish(topology.to_string(), PlanMode::Offline, entries, Vec::new())
}

/// What changes from `old` to `new`. `max_weight_change` (percentage points) comes from
/// the new topology's policy.
pub fn compare(topology: &str, old: &Graph, new: &Graph, max_weight_change: Option<u32>) -> Plan {
    let mut entries = Vec::new();
    let mut changed: BTreeSet<NodeId> = BTreeSet::new();
    let mut warnings = Vec::new();
    for node in new.nodes() {
        match old.node(&node.id) {
            None => {
                changed.insert(node.id.clone());
                entries.push(entry(new, node, Action::Create));
            }
            Some(before) => {
                let changes = field_changes(&before.desired, &node.desired);
                if changes.is_empty() {
                    entries.push(entry(new, node, Action::Unchanged));
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
                    // kind cannot reconfigure a running cluster.
                    let kind_cluster = matches!(
                        node.desired,
                        Desired::Action(ExternalAction::KindCluster { .. })
                    );
                    let action = if kind_cluster {
                        Action::Replace
                    } else {
                        Action::Change
                    };
                    let mut e = entry(new, node, action);
                    e.changes = changes;
                    entries.push(e);
                }
            }
        }
    }
    let mut deletions: Vec<PlanEntry> = old
        .nodes()
        .filter(|n| new.node(&n.id).is_none())
        .map(|n| entry(old, n, Action::Delete))
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

/// Desired state as flat `path → leaf` pairs, keyed by object so changes read well.
fn flatten_desired(desired: &Desired) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    match desired {
        Desired::Objects(objects) => {
            for object in objects {
                flatten(&format!("{}:", object.reference()), &object.body, &mut out);
            }
        }
        Desired::Action(action) => {
            if let Ok(value) = serde_json::to_value(action) {
                flatten("", &value, &mut out);
            }
        }
    }
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else if prefix.ends_with(':') {
            format!("{prefix} {key}")
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

fn field_changes(old: &Desired, new: &Desired) -> Vec<FieldChange> {
    let before = flatten_desired(old);
    let after = flatten_desired(new);
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| FieldChange {
            path: k.clone(),
            old: before.get(k).cloned(),
            new: after.get(k).cloned(),
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

fn weight_warnings(id: &NodeId, old: &Desired, new: &Desired, limit: u32) -> Vec<Diagnostic> {
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
