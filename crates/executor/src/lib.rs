//! meshctl-executor: the live half of meshctl. It reads clusters and changes them; every
//! decision made with what it reads is core's (`meshctl_core::live`).
//!
//! - [`plan`]: observe each cluster once (one LIST per kind and namespace, discovery
//!   cached per group-version), decide locally which objects already hold, dry-run
//!   (server-side apply, `dryRun=All`, field manager `meshctl`) only the others, and
//!   list what meshctl owns that left the topology;
//! - [`apply()`]: carry the plan out over a ready-queue scheduler (a node starts when its
//!   dependencies are done), writing only what is missing or drifted; a second apply
//!   writes nothing;
//! - [`status`]: per node in sync / drifted / missing / not ready;
//! - [`destroy`]: delete what meshctl owns for the topology, in reverse order.
//!
//! Ownership follows kubectl's ApplySet convention ([`ownership`]), so pruning only ever
//! touches meshctl's own objects. Secret values never appear in plans, diffs or errors.
//!
//! External actions ([`actions`]) run their tools behind one runner ([`tools`]) after a
//! preflight ([`preflight`]): kind clusters, helm releases and the trust material are
//! observed first and changed only when they differ; what linkerd and kubectl render
//! goes through the same observe → diff → apply path as meshctl's own objects. The one
//! content Linkerd's charts would regenerate on every render, the webhook certificates,
//! is meshctl's own ([`webhooks`]), so those renders are deterministic and a renewed
//! certificate is an ordinary change. Before a new trust anchor is generated, [`trust`]
//! makes sure no cluster already trusts another one.

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod apply;
pub mod clients;
pub mod discovery;
pub mod engine;
pub mod error;
pub mod inspect;
pub mod lease;
pub mod observe;
pub mod ownership;
pub mod planner;
pub mod preflight;
pub mod progress;
pub mod scheduler;
pub mod session;
pub mod tools;
pub mod trust;
pub mod wait;
pub mod webhooks;

pub use clients::ConnectTimeouts;
pub use error::{ApiError, ExecutorError};
pub use lease::LeaseOptions;
pub use meshctl_core::live::LivePlan;
pub use progress::{NoProgress, PlainProgress, ProgressEvent, ProgressSink, TerminalProgress};
pub use scheduler::RetryPolicy;
pub use session::Session;
/// The interrupt of an apply or destroy ([`apply_until`], [`destroy_until`]).
pub use tokio_util::sync::CancellationToken;

use engine::Engine;
use meshctl_core::graph::{Desired, ExternalAction, Graph, NodeId};
use meshctl_core::live::{LiveAction, ObjectRef, Observed};
use scheduler::{NodeOutcome, Schedule};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Time limits of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Per connection and request.
    pub connection: ConnectTimeouts,
    /// One node, retries included.
    pub node: Duration,
    /// One wait (CRD established, rollout, LoadBalancer address).
    pub wait: Duration,
    /// One external tool call.
    pub tool: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connection: ConnectTimeouts::default(),
            node: Duration::from_secs(600),
            wait: Duration::from_secs(300),
            tool: Duration::from_secs(600),
        }
    }
}

/// How a plan, apply, status or destroy runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorOptions {
    /// `--kubeconfig`; else `KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--parallelism`, default 8: nodes running at once in each cluster, and external
    /// tool processes running at once in the whole run.
    pub parallelism: usize,
    /// Take over fields other managers own on objects meshctl does not own yet.
    pub force_conflicts: bool,
    /// `metadata.name` of the topology: names its ApplySet (`kube-system/meshctl-<name>`).
    pub topology_name: String,
    /// Time limits (`--request-timeout`, `--wait-timeout`).
    pub timeouts: Timeouts,
    /// How transient failures of a node are retried.
    pub retry: RetryPolicy,
    /// Wait for Deployments and DaemonSets meshctl writes to roll out.
    pub wait_for_rollouts: bool,
    /// `--target`: only these nodes and what they depend on (no pruning then).
    pub targets: Vec<NodeId>,
    /// `PATH` for the external tools (kind, helm, linkerd, kubectl); the process's own
    /// when `None`.
    pub tool_path: Option<std::ffi::OsString>,
    /// The per-cluster Lease apply and destroy hold ([`lease`]).
    pub lease: LeaseOptions,
}

impl ExecutorOptions {
    /// Defaults for a topology: parallelism 8, no forcing, every node.
    pub fn new(topology_name: impl Into<String>) -> ExecutorOptions {
        let name: String = topology_name.into();
        ExecutorOptions {
            kubeconfig: None,
            parallelism: 8,
            force_conflicts: false,
            timeouts: Timeouts::default(),
            retry: RetryPolicy::default(),
            wait_for_rollouts: true,
            targets: Vec::new(),
            tool_path: None,
            lease: LeaseOptions::default(),
            topology_name: name,
        }
    }
}

/// Plans the graph against the live clusters. Never fails as a whole: a cluster that
/// cannot be read is named in its [`meshctl_core::live::ClusterPlan`]`::error` and its
/// nodes are unknown, while the other clusters are planned; missing or mismatched tools
/// are listed in `preflight`.
pub async fn plan(graph: &Graph, opts: &ExecutorOptions) -> LivePlan {
    plan_with(&Session::new(opts), graph, opts).await
}

/// [`plan`] with `session`'s clients and discovery (built and learned here, kept there
/// for the [`apply_with`] that follows).
pub async fn plan_with(session: &Session, graph: &Graph, opts: &ExecutorOptions) -> LivePlan {
    let engine = Arc::new(Engine::in_session(graph, opts, session));
    let requirements = preflight::requirements(graph, &engine);
    let mut problems = preflight::check(&requirements, &engine).await;
    problems.extend(preflight::check_machine(graph, &engine).await);
    problems.extend(trust::new_anchor_conflicts(graph, &engine).await);
    let mut plan = planner::plan(engine, graph, &opts.topology_name).await.0;
    plan.preflight = problems;
    plan
}

/// What happened to one node in an apply or destroy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "result")]
pub enum NodeResult {
    /// Something was written or deleted.
    Applied {
        /// The node.
        id: NodeId,
        /// What (`1 created, 2 unchanged`; destroy: `3 deleted`).
        detail: String,
    },
    /// Already as declared (destroy: nothing of it was left).
    Unchanged {
        /// The node.
        id: NodeId,
    },
    /// Failed for good (retries included).
    Failed {
        /// The node.
        id: NodeId,
        /// The last attempt's error (it names the cluster and object where it has one).
        error: String,
    },
    /// Not run because `failed_dependency` failed.
    Skipped {
        /// The node.
        id: NodeId,
        /// The failed node it depends on, directly or not.
        failed_dependency: NodeId,
    },
    /// Never started: the run was interrupted first.
    NotStarted {
        /// The node.
        id: NodeId,
    },
}

impl NodeResult {
    /// The node this is the result of.
    pub fn id(&self) -> &NodeId {
        match self {
            NodeResult::Applied { id, .. }
            | NodeResult::Unchanged { id }
            | NodeResult::Failed { id, .. }
            | NodeResult::Skipped { id, .. }
            | NodeResult::NotStarted { id } => id,
        }
    }
}

/// An object deleted by pruning or destroy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletedObject {
    /// The topology's name for the cluster it was in.
    pub cluster: String,
    /// The object.
    pub object: ObjectRef,
}

/// The end of an apply or destroy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplySummary {
    /// Every selected node, in apply order (destroy: reverse order).
    pub nodes: Vec<NodeResult>,
    /// Objects deleted by pruning (apply) or destroy, in deletion order per cluster.
    pub deleted: Vec<DeletedObject>,
    /// Failures outside any node (pruning, a cluster that could not be destroyed).
    pub errors: Vec<String>,
}

impl ApplySummary {
    /// Whether everything succeeded.
    pub fn is_success(&self) -> bool {
        self.errors.is_empty()
            && self
                .nodes
                .iter()
                .all(|n| matches!(n, NodeResult::Applied { .. } | NodeResult::Unchanged { .. }))
    }

    /// `3 applied, 10 unchanged, 1 failed, 2 skipped, 1 deleted` (and `, 4 not
    /// started` after an interruption).
    pub fn counts(&self) -> String {
        let count = |f: fn(&NodeResult) -> bool| self.nodes.iter().filter(|n| f(n)).count();
        let mut text = format!(
            "{} applied, {} unchanged, {} failed, {} skipped, {} deleted",
            count(|n| matches!(n, NodeResult::Applied { .. })),
            count(|n| matches!(n, NodeResult::Unchanged { .. })),
            count(|n| matches!(n, NodeResult::Failed { .. })),
            count(|n| matches!(n, NodeResult::Skipped { .. })),
            self.deleted.len()
        );
        let not_started = count(|n| matches!(n, NodeResult::NotStarted { .. }));
        if not_started > 0 {
            text.push_str(&format!(", {not_started} not started"));
        }
        text
    }
}

/// Carries out `plan` (made by [`plan`] for the same graph and options), after checking
/// the external tools it needs (nothing runs when one is missing): writes what it
/// announced, retries transient failures, skips the dependents of a failed node and
/// finishes independent branches; then prunes, per cluster where every node succeeded.
///
/// Holds each written cluster's Lease for the run ([`lease`]): refuses (nothing
/// written) when another run holds one past `opts.lease.wait`.
pub async fn apply(
    graph: &Graph,
    plan: &LivePlan,
    opts: &ExecutorOptions,
    sink: &dyn ProgressSink,
) -> ApplySummary {
    apply_until(graph, plan, opts, sink, &CancellationToken::new()).await
}

/// [`apply()`], interruptible: once `cancel` is cancelled no new node starts, the nodes
/// in flight finish (or time out), the others are [`NodeResult::NotStarted`], nothing
/// is pruned, and the Leases are released.
pub async fn apply_until(
    graph: &Graph,
    plan: &LivePlan,
    opts: &ExecutorOptions,
    sink: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> ApplySummary {
    apply_with(&Session::new(opts), graph, plan, opts, sink, cancel).await
}

/// [`apply_until`] reusing what `session` holds from the [`plan_with`] that made `plan`:
/// no client is built again, no discovery asked again, and a cluster that answered the
/// plan moments ago is not probed again (see [`session`]).
pub async fn apply_with(
    session: &Session,
    graph: &Graph,
    plan: &LivePlan,
    opts: &ExecutorOptions,
    sink: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> ApplySummary {
    session.refresh_for_run().await;
    let engine = Arc::new(Engine::for_apply(graph, opts, plan, session));
    let mut problems = preflight::check(&preflight::requirements(graph, &engine), &engine).await;
    problems.extend(preflight::check_machine(graph, &engine).await);
    problems.extend(trust::new_anchor_conflicts(graph, &engine).await);
    if !problems.is_empty() {
        return ApplySummary {
            errors: problems,
            ..Default::default()
        };
    }
    let schedule = Schedule {
        dependencies: engine
            .selected
            .iter()
            .map(|id| {
                let deps = graph
                    .dependencies(id)
                    .into_iter()
                    .map(|(n, _)| n.id.clone())
                    .filter(|d| engine.selected.contains(d))
                    .collect();
                (id.clone(), deps)
            })
            .collect(),
        // `--parallelism` is per cluster: each answers its own requests.
        lanes: graph
            .nodes()
            .filter(|n| engine.selected.contains(&n.id))
            .filter_map(|n| n.cluster.clone().map(|c| (n.id.clone(), c)))
            .collect(),
        max_running: None,
    };
    // A lost Lease stops the run like an interrupt, without cancelling the caller's token.
    let run_cancel = cancel.child_token();
    let leases = Arc::new(
        lease::Leases::new(&engine, &opts.lease, run_cancel.clone())
            .likely_absent_in(lease::likely_unleased(graph, plan)),
    );
    let written = lease::written_clusters(graph, plan, &engine);
    if let Err(e) = leases
        .acquire_reachable(&engine, &written, sink, &run_cancel)
        .await
    {
        let mut errors = vec![e.to_string()];
        errors.extend(leases.release_all().await);
        // Interrupted while waiting: every node is reported as never started.
        let nodes = match e {
            ExecutorError::Interrupted(_) => graph
                .nodes()
                .filter(|n| engine.selected.contains(&n.id))
                .map(|n| NodeResult::NotStarted { id: n.id.clone() })
                .collect(),
            _ => Vec::new(),
        };
        return ApplySummary {
            nodes,
            errors,
            ..Default::default()
        };
    }
    let renewal = leases.keep_renewed();
    let inventory = Arc::new(apply::Inventory::default());
    let runner = apply::GraphRunner {
        engine: Arc::clone(&engine),
        nodes: graph
            .nodes()
            .filter(|n| engine.selected.contains(&n.id))
            .map(|n| (n.id.clone(), n.clone()))
            .collect(),
        plans: plan
            .nodes
            .iter()
            .map(|n| (n.id.clone(), n.clone()))
            .collect(),
        inventory: Arc::clone(&inventory),
    };
    // Nodes that take their cluster's Lease queue what they have to say; it reaches
    // `sink` from here, while the run goes on.
    let (lease_progress, mut lease_notices) = progress::QueuedProgress::new();
    let runner = lease::LeasedRunner {
        clusters: lease::LeasedRunner::clusters_of(graph, plan, &engine),
        inner: Arc::new(runner),
        leases: Arc::clone(&leases),
        engine: Arc::clone(&engine),
        cancel: run_cancel.clone(),
        progress: lease_progress,
    };
    let run = scheduler::run(
        &schedule,
        opts.parallelism,
        opts.retry,
        opts.timeouts.node,
        Arc::new(runner),
        sink,
        &run_cancel,
    );
    let outcomes = progress::forward_while(run, &mut lease_notices, sink).await;
    let mut summary = ApplySummary {
        nodes: results_in_order(graph, &engine, &outcomes),
        ..Default::default()
    };
    let pruning = plan.clusters.iter().any(|c| !c.prune.is_empty());
    if run_cancel.is_cancelled() && pruning && engine.whole_topology() {
        summary
            .errors
            .push("interrupted: nothing was pruned; the next apply prunes".to_string());
    }
    if engine.whole_topology() && !run_cancel.is_cancelled() {
        for cluster in &plan.clusters {
            if cluster.prune.is_empty() {
                continue;
            }
            let healthy = graph
                .nodes()
                .filter(|n| n.cluster.as_deref() == Some(cluster.name.as_str()))
                .all(|n| matches!(outcomes.get(&n.id), Some(NodeOutcome::Done { .. })));
            if !healthy {
                summary.errors.push(format!(
                    "cluster {}: not pruned ({} objects) because a node failed or was skipped",
                    cluster.name,
                    cluster.prune.len()
                ));
                continue;
            }
            if let Some(context) = engine
                .clusters
                .get(&cluster.name)
                .map(|c| c.context.clone())
            {
                let leased = match engine.clients.reachable(&cluster.name, &context).await {
                    Ok(api) => leases.ensure(&api, sink, &run_cancel).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = leased {
                    summary
                        .errors
                        .push(format!("cluster {}: not pruned: {e}", cluster.name));
                    continue;
                }
            }
            match apply::prune(&engine, &cluster.name, &cluster.prune).await {
                Ok(pruned) => {
                    summary
                        .deleted
                        .extend(pruned.deleted.into_iter().map(|object| DeletedObject {
                            cluster: cluster.name.clone(),
                            object,
                        }));
                    summary.errors.extend(
                        pruned
                            .kept
                            .into_iter()
                            .map(|kept| format!("cluster {}: {kept}", cluster.name)),
                    );
                }
                Err(e) => summary.errors.push(e.to_string()),
            }
        }
    }
    drop(renewal);
    summary.errors.extend(leases.release_all().await);
    summary
}

fn results_in_order(
    graph: &Graph,
    engine: &Engine,
    outcomes: &BTreeMap<NodeId, NodeOutcome>,
) -> Vec<NodeResult> {
    graph
        .nodes()
        .filter(|n| engine.selected.contains(&n.id))
        .map(|n| {
            let id = n.id.clone();
            match outcomes.get(&n.id) {
                Some(NodeOutcome::Done { report, .. }) if report.changed => NodeResult::Applied {
                    id,
                    detail: report.detail.clone(),
                },
                Some(NodeOutcome::Done { .. }) => NodeResult::Unchanged { id },
                Some(NodeOutcome::Failed { error, .. }) => NodeResult::Failed {
                    id,
                    error: error.to_string(),
                },
                Some(NodeOutcome::Skipped { failed_dependency }) => NodeResult::Skipped {
                    id,
                    failed_dependency: failed_dependency.clone(),
                },
                Some(NodeOutcome::NotStarted) => NodeResult::NotStarted { id },
                None => NodeResult::Failed {
                    id,
                    error: "the node's run ended without a result".into(),
                },
            }
        })
        .collect()
}

/// A node's state in the live clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeStatus {
    /// Every object exists as declared (and is ready).
    InSync,
    /// Exists, but a field meshctl declares differs.
    Drifted,
    /// Some object does not exist.
    Missing,
    /// In sync, but not ready yet (CRD not established, rollout not finished).
    NotReady,
    /// Could not be told (cluster unreadable, external action).
    Unknown,
}

/// One node's status with a word on why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeState {
    /// The node.
    pub id: NodeId,
    /// Its state.
    pub status: NodeStatus,
    /// Why, for humans: the missing objects, the drifted fields per object, what is
    /// not ready, or why it is unknown; empty when in sync.
    pub detail: String,
}

/// The status of every selected node, from one observe pass (plus dry runs of objects
/// that look different, so server defaults are not drift).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// Every selected node, in the plan's order.
    pub nodes: Vec<NodeState>,
    /// Clusters that could not be read, with why.
    pub unreachable: Vec<(String, String)>,
}

impl StatusReport {
    /// Exit 0 only when every node is in sync.
    pub fn all_in_sync(&self) -> bool {
        self.unreachable.is_empty() && self.nodes.iter().all(|n| n.status == NodeStatus::InSync)
    }
}

/// Per node: in sync, drifted, missing, not ready or unknown.
pub async fn status(graph: &Graph, opts: &ExecutorOptions) -> StatusReport {
    let engine = Arc::new(Engine::new(graph, opts));
    let (plan, observed) = planner::plan(engine, graph, &opts.topology_name).await;
    let nodes = plan
        .nodes
        .iter()
        .map(|node| {
            let action = node.action();
            let (status, detail) = match action {
                LiveAction::Unknown => (
                    NodeStatus::Unknown,
                    node.objects
                        .iter()
                        .filter_map(|o| o.note.clone())
                        .chain(node.external.iter().filter_map(|e| e.note.clone()))
                        .next()
                        .unwrap_or_default(),
                ),
                LiveAction::Create => (NodeStatus::Missing, missing(node)),
                LiveAction::Update
                    if node.objects.iter().any(|o| o.action == LiveAction::Create) =>
                {
                    (NodeStatus::Missing, missing(node))
                }
                LiveAction::Update | LiveAction::Delete => (
                    NodeStatus::Drifted,
                    node.objects
                        .iter()
                        .filter(|o| o.action == LiveAction::Update)
                        .map(|o| {
                            let fields: Vec<&str> =
                                o.changes.iter().map(|c| c.path.as_str()).collect();
                            format!("{}: {}", o.object, fields.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                LiveAction::Unchanged => match not_ready(node, &observed) {
                    Some(what) => (NodeStatus::NotReady, what),
                    None => (NodeStatus::InSync, String::new()),
                },
            };
            NodeState {
                id: node.id.clone(),
                status,
                detail,
            }
        })
        .collect();
    StatusReport {
        nodes,
        unreachable: plan
            .clusters
            .iter()
            .filter_map(|c| c.error.clone().map(|e| (c.name.clone(), e)))
            .collect(),
    }
}

fn missing(node: &meshctl_core::live::NodePlan) -> String {
    node.objects
        .iter()
        .filter(|o| o.action == LiveAction::Create)
        .map(|o| o.object.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_ready(
    node: &meshctl_core::live::NodePlan,
    observed: &HashMap<ObjectRef, Observed>,
) -> Option<String> {
    node.objects.iter().find_map(|o| {
        let Some(Observed::Present(live)) = observed.get(&o.object) else {
            return None;
        };
        let ready = match o.object.kind.as_str() {
            "CustomResourceDefinition" => wait::crd_established(live),
            _ => wait::rolled_out(live).unwrap_or(true),
        };
        (!ready).then(|| format!("{} is not ready", o.object))
    })
}

/// Deletes everything meshctl owns for the topology, cluster by cluster concurrently:
/// a kind cluster meshctl creates is deleted whole (`kind delete cluster`); in other
/// clusters its ApplySet members are deleted in reverse dependency order, its helm
/// releases uninstalled, then the ApplySet parent. Objects meshctl does not own are
/// never touched. Holds the Lease of every existing cluster it deletes in (not of kind
/// clusters deleted whole), as [`apply()`] does.
pub async fn destroy(
    graph: &Graph,
    opts: &ExecutorOptions,
    sink: &dyn ProgressSink,
) -> ApplySummary {
    destroy_until(graph, opts, sink, &CancellationToken::new()).await
}

/// [`destroy`], interruptible: once `cancel` is cancelled each cluster finishes the
/// deletion in flight and starts no other node; those are [`NodeResult::NotStarted`].
pub async fn destroy_until(
    graph: &Graph,
    opts: &ExecutorOptions,
    sink: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> ApplySummary {
    let engine = Arc::new(Engine::new(graph, opts));
    let mut summary = ApplySummary::default();
    let leases = Arc::new(lease::Leases::new(
        &engine,
        &opts.lease,
        cancel.child_token(),
    ));
    let deleted_whole = |c: &engine::ClusterRef| {
        graph.nodes().any(|n| {
            n.cluster.as_deref() == Some(c.name.as_str())
                && matches!(
                    &n.desired,
                    Desired::Action(ExternalAction::KindCluster { .. })
                )
        })
    };
    let leased: Vec<engine::ClusterRef> = engine
        .clusters
        .values()
        .filter(|c| !deleted_whole(c))
        .cloned()
        .collect();
    if let Err(e) = leases
        .acquire_reachable(&engine, &leased, sink, cancel)
        .await
    {
        summary.errors.push(e.to_string());
        summary.errors.extend(leases.release_all().await);
        return summary;
    }
    // Reverse apply order: dependents before what they depend on.
    let order: Vec<DestroyNode> = graph
        .nodes()
        .filter(|n| engine.selected.contains(&n.id))
        .map(|n| {
            let (objects, action) = match &n.desired {
                Desired::Objects(objects) => (objects.iter().map(ObjectRef::of).collect(), None),
                Desired::Action(action) => (Vec::new(), Some(action.clone())),
            };
            DestroyNode {
                id: n.id.clone(),
                cluster: n.cluster.clone(),
                objects,
                action,
            }
        })
        .collect();
    // A cluster that missed the probe above takes its Lease before its first deletion;
    // what that says (a wait, a take-over) reaches `sink` while the run goes on.
    let (lease_progress, mut lease_notices) = progress::QueuedProgress::new();
    let mut jobs = tokio::task::JoinSet::new();
    for cluster in engine.clusters.values().cloned() {
        let engine = Arc::clone(&engine);
        let nodes: Vec<DestroyNode> = order
            .iter()
            .rev()
            .filter(|n| n.cluster.as_deref() == Some(cluster.name.as_str()))
            .cloned()
            .collect();
        let lease = ClusterLease {
            leases: Arc::clone(&leases),
            progress: lease_progress.clone(),
        };
        let cancel = cancel.clone();
        jobs.spawn(async move { destroy_cluster(&engine, &cluster, nodes, &lease, &cancel).await });
    }
    drop(lease_progress);
    let mut results: HashMap<NodeId, NodeResult> = HashMap::new();
    let joining = async {
        while let Some(joined) = jobs.join_next().await {
            let Ok(done) = joined else { continue };
            for event in &done.events {
                sink.event(event);
            }
            summary.deleted.extend(done.deleted);
            summary.errors.extend(done.errors);
            results.extend(done.results.into_iter().map(|r| (r.id().clone(), r)));
        }
    };
    progress::forward_while(joining, &mut lease_notices, sink).await;
    summary.nodes = order
        .iter()
        .rev()
        .filter_map(|n| results.remove(&n.id))
        .collect();
    summary.errors.extend(leases.release_all().await);
    summary
}

/// What a cluster's destroy needs to take its Lease itself.
struct ClusterLease {
    leases: Arc<lease::Leases>,
    progress: progress::QueuedProgress,
}

struct DestroyedCluster {
    results: Vec<NodeResult>,
    deleted: Vec<DeletedObject>,
    errors: Vec<String>,
    events: Vec<ProgressEvent>,
}

/// One node being destroyed.
#[derive(Clone)]
struct DestroyNode {
    id: NodeId,
    cluster: Option<String>,
    objects: Vec<ObjectRef>,
    action: Option<ExternalAction>,
}

async fn destroy_cluster(
    engine: &Engine,
    cluster: &engine::ClusterRef,
    nodes: Vec<DestroyNode>,
    lease: &ClusterLease,
    cancel: &CancellationToken,
) -> DestroyedCluster {
    let mut out = DestroyedCluster {
        results: Vec::new(),
        deleted: Vec::new(),
        errors: Vec::new(),
        events: Vec::new(),
    };
    // A kind cluster meshctl made goes as a whole, with everything in it.
    let kind_name = nodes.iter().find_map(|n| match &n.action {
        Some(ExternalAction::KindCluster { name, .. }) => Some(name.clone()),
        _ => None,
    });
    if let Some(name) = kind_name {
        let detail = match actions::delete_kind_cluster(engine, &name).await {
            Ok(true) => format!("deleted with kind cluster {name}"),
            Ok(false) => {
                for node in &nodes {
                    out.results.push(NodeResult::Unchanged {
                        id: node.id.clone(),
                    });
                }
                return out;
            }
            Err(e) => {
                out.errors.push(e.to_string());
                return out;
            }
        };
        for node in &nodes {
            out.events.push(ProgressEvent::Finished {
                id: node.id.clone(),
                detail: detail.clone(),
            });
            out.results.push(NodeResult::Applied {
                id: node.id.clone(),
                detail: detail.clone(),
            });
        }
        return out;
    }
    let api = match engine
        .clients
        .reachable(&cluster.name, &cluster.context)
        .await
    {
        Ok(api) => api,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    // Held already when the cluster answered before the run; else taken now, so no
    // deletion runs beside another run on this cluster.
    if let Err(e) = lease.leases.ensure(&api, &lease.progress, cancel).await {
        out.errors.push(e.to_string());
        return out;
    }
    let (mut kinds, versions) = engine.desired_group_kinds(&cluster.name);
    let parent = engine.applyset.parent.clone();
    if let Ok(discovery::Resolved::Served { resource, .. }) = engine
        .discovery
        .resolve(&api, &parent.api_version, &parent.kind, false)
        .await
    {
        if let Ok(Some(live)) = api
            .get(&resource, parent.namespace.as_deref(), &parent.name)
            .await
        {
            kinds.extend(ownership::listed_group_kinds(&live));
        }
    }
    let owned: Vec<ObjectRef> = match observe::owned_objects(
        &api,
        &engine.discovery,
        &kinds,
        &versions,
        &engine.applyset.id,
    )
    .await
    {
        Ok(items) => items
            .iter()
            .filter(|o| meshctl_core::live::ownership::is_owned(o, &engine.applyset.id))
            .filter_map(ObjectRef::from_value)
            .collect(),
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    let mut remaining: Vec<ObjectRef> = owned;
    // The Services Linkerd mirrored through a Link go with it, as `unlink` does.
    match planner::mirrors_of_links(engine, &api, &remaining).await {
        Ok(mirrors) => remaining.extend(mirrors.into_iter().map(|m| m.object)),
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    }
    // Owned objects no node declares any more go first (nothing depends on them).
    let declared: std::collections::BTreeSet<&ObjectRef> =
        nodes.iter().flat_map(|n| &n.objects).collect();
    let strays: Vec<ObjectRef> = remaining
        .iter()
        .filter(|o| !declared.contains(o))
        .cloned()
        .collect();
    // Objects no node declares statically (strays, and what tools rendered) go first.
    let mut groups: Vec<(Option<NodeId>, Vec<ObjectRef>, Option<ExternalAction>)> =
        vec![(None, strays, None)];
    groups.extend(nodes.into_iter().map(|n| (Some(n.id), n.objects, n.action)));
    let mut failed = false;
    for (id, objects, action) in groups {
        if cancel.is_cancelled() {
            // Interrupted: what is left stays, the ApplySet parent too (it lists it).
            failed = true;
            if let Some(id) = id {
                out.events
                    .push(ProgressEvent::NotStarted { id: id.clone() });
                out.results.push(NodeResult::NotStarted { id });
            }
            continue;
        }
        let mine: Vec<ObjectRef> = objects
            .into_iter()
            .filter(|o| remaining.contains(o))
            .collect();
        remaining.retain(|o| !mine.contains(o));
        let mut error = None;
        let mut count = 0;
        for object in &mine {
            // Deleting a Namespace deletes everything in it: only when nothing there is
            // someone else's.
            match apply::namespace_kept(engine, &api, object).await {
                Ok(None) => {}
                Ok(Some(kept)) => {
                    error = Some(kept);
                    break;
                }
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
            match apply::delete_one(engine, &api, object).await {
                Ok(()) => {
                    count += 1;
                    out.deleted.push(DeletedObject {
                        cluster: cluster.name.clone(),
                        object: object.clone(),
                    });
                }
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
        if let (None, Some(release @ ExternalAction::HelmRelease { .. })) = (&error, &action) {
            match actions::uninstall_helm(engine, release).await {
                Ok(true) => count += 1,
                Ok(false) => {}
                Err(e) => error = Some(e.to_string()),
            }
        }
        let Some(id) = id else {
            if let Some(e) = error {
                out.errors.push(e);
                failed = true;
            }
            continue;
        };
        let result = match error {
            Some(error) => {
                failed = true;
                out.events.push(ProgressEvent::Failed {
                    id: id.clone(),
                    error: error.clone(),
                });
                NodeResult::Failed { id, error }
            }
            None if count > 0 => {
                let detail = format!("{count} deleted");
                out.events.push(ProgressEvent::Finished {
                    id: id.clone(),
                    detail: detail.clone(),
                });
                NodeResult::Applied { id, detail }
            }
            None => NodeResult::Unchanged { id },
        };
        out.results.push(result);
    }
    if !failed {
        if let Err(e) = apply::delete_one(engine, &api, &parent).await {
            out.errors.push(e.to_string());
        }
    }
    out
}
