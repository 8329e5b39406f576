//! Plans: what apply would do, node by node, in apply order.
//!
//! The document types live here; how a plan is made lives beside them: [`offline`]
//! (no cluster: every node is a create), [`compare`] (two revisions of a topology,
//! `plan --base`), with the field diff in `diff` and the rules a change is judged by
//! (weight moves, what must be replaced) in [`policy`]. A live plan will be one more
//! file over what the executor observes.

mod base;
mod diff;
mod json;
mod leaves;
mod offline;
pub mod policy;

pub use base::compare;
pub use offline::offline;

use crate::diagnostics::Diagnostic;
use crate::graph::{Graph, NodeId, NodeKind, SharedDesired, ToolCommand, Unknown};
use petgraph::graph::NodeIndex;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

/// What apply does to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// It does not exist yet.
    Create,
    /// It exists and changes in place.
    Change,
    /// Cannot change in place (a kind cluster's config): destroyed and created again,
    /// with everything in it.
    Replace,
    /// It leaves the topology.
    Delete,
    /// Nothing to do.
    Unchanged,
}

/// One changed leaf of a node's desired state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// e.g. `TrafficSplit/test/podinfo: spec.backends[1].weight`.
    pub path: String,
    /// The value before (absent: the field is new).
    pub old: Option<Value>,
    /// The value after (absent: the field goes).
    pub new: Option<Value>,
}

/// One node of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanEntry {
    /// The node.
    pub id: NodeId,
    /// Its cluster; absent for topology-wide nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The cluster's kubeconfig context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// What the node is.
    pub kind: NodeKind,
    /// Apply wave (1-based) in the graph the entry comes from.
    pub wave: usize,
    /// What apply does to it.
    pub action: Action,
    /// One line for humans: what the node is.
    pub summary: String,
    /// What the node depends on, with reasons.
    pub depends_on: Vec<PlanDependency>,
    /// Field-level changes (`change` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// For an unchanged node: the changed nodes it depends on (directly or not).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub affected_by: Vec<NodeId>,
    /// For a node recreated because the cluster it lives in (or links into) is replaced:
    /// that cluster's node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_with: Option<NodeId>,
    /// The fields of `desired` that only apply can know (shown as "(known after apply)"),
    /// as the change paths name them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// The command lines that carry out an external action, in order (a link: the
    /// render against the target, then the apply to the source).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<ToolCommand>,
    /// The node's desired state (objects or external action), shared with the graph's
    /// node; derefs to [`Desired`](crate::graph::Desired).
    pub desired: SharedDesired,
}

/// One dependency of a plan entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDependency {
    /// The node depended on.
    pub id: NodeId,
    /// Why.
    pub reason: Cow<'static, str>,
}

/// How many entries have each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    /// Nodes created.
    pub create: usize,
    /// Nodes changed in place.
    pub change: usize,
    /// Nodes replaced.
    pub replace: usize,
    /// Nodes deleted.
    pub delete: usize,
    /// Nodes left as they are.
    pub unchanged: usize,
}

/// How the plan was made.
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
    /// Version of the document format (1).
    pub version: u32,
    /// The topology's name.
    pub topology: String,
    /// How the plan was made.
    pub mode: PlanMode,
    /// Entries in apply order (deletions last, in reverse apply order).
    pub entries: Vec<PlanEntry>,
    /// Counts by action.
    pub summary: PlanSummary,
    /// Warnings about the change itself (e.g. a weight moved more than policy allows).
    pub warnings: Vec<Diagnostic>,
    /// Things the reader should know about how the plan was made (e.g. the base revision
    /// was not valid and was compared as declared).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Plan {
    /// Whether apply would do anything.
    pub fn has_changes(&self) -> bool {
        self.summary.create + self.summary.change + self.summary.replace + self.summary.delete > 0
    }

    /// The plan as pretty JSON (`plan -o json`): byte for byte what
    /// `serde_json::to_writer_pretty` writes, with far fewer writes into `writer`.
    pub fn write_json<W: std::io::Write>(&self, writer: W) -> std::io::Result<()> {
        json::write_pretty(writer, self)
    }

    pub(crate) fn finish(
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

/// The plan entry of the node at `ix` in `graph`, in wave `wave` (0-based).
pub(crate) fn entry_at(graph: &Graph, ix: NodeIndex, wave: usize, action: Action) -> PlanEntry {
    let node = graph.shared(ix);
    PlanEntry {
        id: node.id.clone(),
        cluster: node.cluster.clone(),
        context: node.context.clone(),
        kind: node.kind,
        wave: wave + 1,
        action,
        summary: node.summary.clone(),
        depends_on: graph
            .dependencies_at(ix)
            .into_iter()
            .map(|(dep, why)| PlanDependency {
                id: dep.id.clone(),
                reason: why.reason.clone(),
            })
            .collect(),
        changes: Vec::new(),
        affected_by: Vec::new(),
        replaced_with: None,
        unknown: leaves::leaves_equal_to(&node.desired, Unknown::TEXT),
        commands: graph.commands(node),
        desired: SharedDesired::of(node),
    }
}
