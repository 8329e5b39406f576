//! The live plan: per object, what apply will do and why; per node, cluster and in
//! total, how many objects are created, changed, deleted and left alone. The decision
//! functions here are pure: the executor feeds them what it read and what a dry run
//! returned.

use super::compare::{declared_fields_hold, live_diff, FieldPath};
use super::object::{ObjectRef, Observed};
use super::ownership::{is_owned, managers_of, other_writers, owns_undeclared_fields, Conflict};
use super::redact::redact_diff;
use crate::graph::{NodeId, NodeKind};
use crate::plan::FieldChange;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// What apply does to one object (or one external action).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LiveAction {
    /// Absent: apply creates it.
    Create,
    /// Present and different: apply changes it.
    Update,
    /// meshctl's and no longer wanted: apply deletes it.
    Delete,
    /// Already as declared: no request.
    Unchanged,
    /// Could not be decided from here (the cluster did not answer, or the node's state
    /// exists only once a dependency has run); apply observes again when it gets there.
    Unknown,
}

impl LiveAction {
    /// Terraform's sign: `+`, `~`, `-`, `=`, `?`.
    pub fn sign(self) -> char {
        match self {
            LiveAction::Create => '+',
            LiveAction::Update => '~',
            LiveAction::Delete => '-',
            LiveAction::Unchanged => '=',
            LiveAction::Unknown => '?',
        }
    }
}

/// The plan for one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectPlan {
    /// Which object.
    pub object: ObjectRef,
    /// What apply does to it.
    pub action: LiveAction,
    /// For an update: each field, live → what apply will leave (the dry-run result).
    /// Secret values are redacted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Field managers whose changes to an object meshctl owns apply takes back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// An object meshctl does not own whose fields another manager holds: apply fails
    /// on it unless conflicts are forced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
    /// Apply forces ownership of conflicting fields (drift on an owned object, or
    /// `force_conflicts`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
    /// Why, when the action needs a word (not served yet, unreachable, adopted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ObjectPlan {
    /// A plan entry with only an action and an optional note.
    pub fn simple(object: ObjectRef, action: LiveAction, note: Option<String>) -> ObjectPlan {
        ObjectPlan {
            object,
            action,
            changes: Vec::new(),
            overrides: Vec::new(),
            conflict: None,
            force: false,
            note,
        }
    }
}

/// The first, free, look at one desired object.
#[derive(Debug, Clone, PartialEq)]
pub enum Assessment {
    /// Decided without any further request.
    Decided(Box<ObjectPlan>),
    /// The object exists and some declared field does not hold: a server-side apply dry
    /// run decides.
    NeedsDryRun {
        /// meshctl owns it, so the dry run (and apply) force.
        owned: bool,
    },
}

/// Decides what can be decided locally: absent or not served → create; every declared
/// field holds and meshctl holds no field it stopped declaring → unchanged; otherwise a
/// dry run decides. `desired` is the body apply would send (with
/// meshctl's ownership labels), `applyset_id` the topology's ApplySet in that cluster.
pub fn assess(
    object: &ObjectRef,
    desired: &Value,
    observed: &Observed,
    applyset_id: &str,
    manager: &str,
) -> Assessment {
    let decided = |action, note: Option<&str>| {
        Assessment::Decided(Box::new(ObjectPlan::simple(
            object.clone(),
            action,
            note.map(str::to_string),
        )))
    };
    match observed {
        Observed::Absent => decided(LiveAction::Create, None),
        Observed::KindNotServed => decided(
            LiveAction::Create,
            Some("its kind is not served yet; a dependency installs it"),
        ),
        Observed::Unknown(why) => decided(LiveAction::Unknown, Some(why)),
        Observed::Present(live)
            if declared_fields_hold(desired, live)
                && !owns_undeclared_fields(live, desired, manager) =>
        {
            decided(LiveAction::Unchanged, None)
        }
        Observed::Present(live) => Assessment::NeedsDryRun {
            owned: is_owned(live, applyset_id),
        },
    }
}

/// The plan for an existing object after its dry run: the diff between live and the
/// dry-run result, server bookkeeping stripped; unchanged when they agree. For an
/// owned object, the other managers whose changes apply overrides are named.
pub fn after_dry_run(
    object: &ObjectRef,
    live: &Value,
    dry_run: &Value,
    owned: bool,
    manager: &str,
) -> ObjectPlan {
    let mut diff = live_diff(live, dry_run);
    if diff.is_empty() {
        return ObjectPlan::simple(object.clone(), LiveAction::Unchanged, None);
    }
    let overrides = if owned {
        overridden_managers(live, diff.iter().map(|d| &d.path), manager)
    } else {
        Vec::new()
    };
    redact_diff(object, &mut diff);
    ObjectPlan {
        object: object.clone(),
        action: LiveAction::Update,
        changes: diff.iter().map(|d| d.to_field_change()).collect(),
        note: (!owned).then(|| "not managed by meshctl yet: apply adopts it".to_string()),
        overrides,
        conflict: None,
        force: owned,
    }
}

/// An existing object meshctl does not own, whose dry run was refused with a conflict.
pub fn conflicted(object: &ObjectRef, conflict: Conflict) -> ObjectPlan {
    ObjectPlan {
        note: Some(format!(
            "{conflict}; apply with force_conflicts (--force-conflicts) to take them over"
        )),
        conflict: Some(conflict),
        ..ObjectPlan::simple(object.clone(), LiveAction::Update, None)
    }
}

/// Who changed the fields that differ: the other managers owning them, or — when
/// meshctl owns none of them (someone removed a value it set) — every other writer.
fn overridden_managers<'a>(
    live: &Value,
    paths: impl Iterator<Item = &'a FieldPath>,
    manager: &str,
) -> Vec<String> {
    let mut named = Vec::new();
    let mut meshctl_owns_some = false;
    for path in paths {
        for owner in managers_of(live, path) {
            if owner == manager {
                meshctl_owns_some = true;
            } else {
                named.push(owner);
            }
        }
    }
    if named.is_empty() && !meshctl_owns_some {
        named = other_writers(live);
    }
    named.sort();
    named.dedup();
    named
}

/// The plan for one external action (kind cluster, helm release, a wait).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionPlan {
    /// What apply does.
    pub action: LiveAction,
    /// The command lines apply runs, as shown to the user.
    pub commands: Vec<Vec<String>>,
    /// Why, when it needs a word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The plan for one graph node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePlan {
    /// The graph node.
    pub id: NodeId,
    /// Its cluster (`None` for the trust material).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// What sort of node.
    pub kind: NodeKind,
    /// One line saying what the node is.
    pub summary: String,
    /// Objects the node applies (its own, or those a tool rendered).
    pub objects: Vec<ObjectPlan>,
    /// The command lines that rendered `objects`, for objects a tool renders.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rendered_by: Vec<Vec<String>>,
    /// The external action, for action nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<ActionPlan>,
    /// Why the node could not be planned, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl NodePlan {
    /// The node's overall action: unknown if anything is, unchanged if everything is,
    /// create if everything is created, update otherwise.
    pub fn action(&self) -> LiveAction {
        let actions: Vec<LiveAction> = self
            .objects
            .iter()
            .map(|o| o.action)
            .chain(self.external.iter().map(|e| e.action))
            .collect();
        if self.error.is_some() || actions.contains(&LiveAction::Unknown) {
            LiveAction::Unknown
        } else if actions.iter().all(|a| *a == LiveAction::Unchanged) {
            LiveAction::Unchanged
        } else if actions.iter().all(|a| *a == LiveAction::Create) {
            LiveAction::Create
        } else if actions.iter().all(|a| *a == LiveAction::Delete) {
            LiveAction::Delete
        } else {
            LiveAction::Update
        }
    }

    /// Counts of the node's objects and action.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for action in self
            .objects
            .iter()
            .map(|o| o.action)
            .chain(self.external.iter().map(|e| e.action))
        {
            counts.add(action);
        }
        if self.error.is_some() && self.objects.is_empty() && self.external.is_none() {
            counts.unknown += 1;
        }
        counts
    }
}

/// How many objects (and external actions) each action applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Objects or actions to create.
    pub create: usize,
    /// To change.
    pub change: usize,
    /// To delete.
    pub delete: usize,
    /// Already as declared.
    pub unchanged: usize,
    /// Not decidable yet (the cluster was not read, or exists only after apply).
    pub unknown: usize,
}

impl Counts {
    /// Counts one entry.
    pub fn add(&mut self, action: LiveAction) {
        match action {
            LiveAction::Create => self.create += 1,
            LiveAction::Update => self.change += 1,
            LiveAction::Delete => self.delete += 1,
            LiveAction::Unchanged => self.unchanged += 1,
            LiveAction::Unknown => self.unknown += 1,
        }
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: Counts) {
        self.create += other.create;
        self.change += other.change;
        self.delete += other.delete;
        self.unchanged += other.unchanged;
        self.unknown += other.unknown;
    }

    /// Whether apply would write anything (or might: unknowns count).
    pub fn has_changes(&self) -> bool {
        self.create + self.change + self.delete + self.unknown > 0
    }
}

impl fmt::Display for Counts {
    /// `2 to create, 1 to change, 0 to delete, 14 unchanged` (`, 3 unknown` when any).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} to create, {} to change, {} to delete, {} unchanged",
            self.create, self.change, self.delete, self.unchanged
        )?;
        if self.unknown > 0 {
            write!(f, ", {} unknown", self.unknown)?;
        }
        Ok(())
    }
}

/// One cluster's part of a live plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPlan {
    /// The topology's cluster name.
    pub name: String,
    /// Its kubeconfig context.
    pub context: String,
    /// The topology's ApplySet parent in this cluster (the inventory of what meshctl
    /// owns), when apply creates or updates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<ObjectPlan>,
    /// Objects meshctl owns in this cluster that left the topology: deleted by apply.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prune: Vec<ObjectPlan>,
    /// What apply would do in this cluster, counted.
    pub summary: Counts,
    /// Why the cluster could not be read (unreachable, unknown context), when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A plan against live clusters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LivePlan {
    /// `metadata.name` of the topology.
    pub topology: String,
    /// Nodes in apply order.
    pub nodes: Vec<NodePlan>,
    /// Per cluster: inventory, pruning, counts, read errors.
    pub clusters: Vec<ClusterPlan>,
    /// Over every cluster.
    pub summary: Counts,
    /// External tools that are missing or at the wrong version, with how to get them:
    /// apply refuses to start while there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preflight: Vec<String>,
}

impl LivePlan {
    /// Assembles a plan and its per-cluster and total counts.
    pub fn new(topology: String, nodes: Vec<NodePlan>, mut clusters: Vec<ClusterPlan>) -> LivePlan {
        let mut summary = Counts::default();
        for cluster in &mut clusters {
            let mut counts = Counts::default();
            for node in nodes
                .iter()
                .filter(|n| n.cluster.as_deref() == Some(cluster.name.as_str()))
            {
                counts.merge(node.counts());
            }
            for entry in cluster.prune.iter().chain(&cluster.inventory) {
                counts.add(entry.action);
            }
            cluster.summary = counts;
            summary.merge(counts);
        }
        for node in nodes.iter().filter(|n| {
            n.cluster
                .as_ref()
                .is_none_or(|c| !clusters.iter().any(|k| &k.name == c))
        }) {
            summary.merge(node.counts());
        }
        LivePlan {
            topology,
            nodes,
            clusters,
            summary,
            preflight: Vec::new(),
        }
    }

    /// Whether apply would change anything.
    pub fn has_changes(&self) -> bool {
        self.summary.has_changes()
    }

    /// The plan of one node.
    pub fn node(&self, id: &NodeId) -> Option<&NodePlan> {
        self.nodes.iter().find(|n| &n.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::ownership::with_ownership_labels;
    use serde_json::json;

    const ID: &str = "applyset-x-v1";
    const M: &str = crate::live::FIELD_MANAGER;

    fn split() -> ObjectRef {
        ObjectRef {
            api_version: "split.smi-spec.io/v1alpha1".into(),
            kind: "TrafficSplit".into(),
            namespace: Some("test".into()),
            name: "podinfo".into(),
        }
    }

    fn desired(weight: u32) -> Value {
        with_ownership_labels(
            &json!({"apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit",
                    "metadata": {"name": "podinfo", "namespace": "test"},
                    "spec": {"service": "podinfo", "backends": [{"service": "podinfo", "weight": weight}]}}),
            ID,
        )
    }

    fn live(weight: u32, managers: Value) -> Value {
        let mut live = desired(weight);
        live["metadata"]["resourceVersion"] = json!("7");
        live["metadata"]["managedFields"] = managers;
        live
    }

    #[test]
    fn missing_and_not_served_are_creates_without_requests() {
        let Assessment::Decided(plan) = assess(&split(), &desired(50), &Observed::Absent, ID, M)
        else {
            panic!("absent is decided locally");
        };
        assert_eq!(plan.action, LiveAction::Create);
        let Assessment::Decided(plan) =
            assess(&split(), &desired(50), &Observed::KindNotServed, ID, M)
        else {
            panic!("not served is decided locally");
        };
        assert_eq!(plan.action, LiveAction::Create);
        assert!(plan.note.unwrap().contains("not served"));
    }

    #[test]
    fn holding_fields_are_unchanged_without_a_dry_run() {
        let observed = Observed::Present(live(50, json!([])));
        assert_eq!(
            assess(&split(), &desired(50), &observed, ID, M),
            Assessment::Decided(Box::new(ObjectPlan::simple(
                split(),
                LiveAction::Unchanged,
                None
            )))
        );
    }

    #[test]
    fn a_changed_owned_field_needs_a_forced_dry_run() {
        let observed = Observed::Present(live(10, json!([])));
        assert_eq!(
            assess(&split(), &desired(50), &observed, ID, M),
            Assessment::NeedsDryRun { owned: true }
        );
    }

    #[test]
    fn hand_drift_names_the_manager_apply_overrides() {
        let managers = json!([
            {"manager": "meshctl", "operation": "Apply",
             "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {"f:service": {}}}},
            {"manager": "kubectl-edit", "operation": "Update",
             "fieldsV1": {"f:spec": {"f:backends": {}}}}
        ]);
        let live = live(10, managers);
        let dry_run = {
            let mut d = desired(50);
            d["metadata"]["resourceVersion"] = json!("8");
            d
        };
        let plan = after_dry_run(&split(), &live, &dry_run, true, M);
        assert_eq!(plan.action, LiveAction::Update);
        assert_eq!(plan.overrides, ["kubectl-edit"]);
        assert!(plan.force);
        assert_eq!(
            plan.changes,
            [FieldChange {
                path: "spec.backends[0].weight".into(),
                old: Some(json!(10)),
                new: Some(json!(50)),
            }]
        );
    }

    #[test]
    fn a_dry_run_equal_to_live_is_unchanged() {
        let live = live(50, json!([]));
        let plan = after_dry_run(&split(), &live, &live, true, M);
        assert_eq!(plan.action, LiveAction::Unchanged);
    }

    #[test]
    fn counts_read_like_terraform() {
        let node = |actions: &[LiveAction]| NodePlan {
            id: NodeId("c/n".into()),
            cluster: Some("c".into()),
            kind: NodeKind::TrafficSplit,
            summary: String::new(),
            objects: actions
                .iter()
                .map(|a| ObjectPlan::simple(split(), *a, None))
                .collect(),
            rendered_by: Vec::new(),
            external: None,
            error: None,
        };
        let plan = LivePlan::new(
            "t".into(),
            vec![
                node(&[LiveAction::Create, LiveAction::Unchanged]),
                node(&[LiveAction::Update]),
            ],
            vec![ClusterPlan {
                name: "c".into(),
                context: "kind-c".into(),
                inventory: None,
                prune: vec![ObjectPlan::simple(split(), LiveAction::Delete, None)],
                summary: Counts::default(),
                error: None,
            }],
        );
        assert_eq!(
            plan.summary.to_string(),
            "1 to create, 1 to change, 1 to delete, 1 unchanged"
        );
        assert_eq!(plan.clusters[0].summary, plan.summary);
        assert_eq!(plan.nodes[0].action(), LiveAction::Update);
        assert_eq!(plan.nodes[1].action(), LiveAction::Update);
    }
}
