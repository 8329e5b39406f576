//! What one run shares: clients and the discovery cache (its [`Session`]'s), the
//! topology's ApplySet, the options, the desired objects of every cluster in the graph,
//! and the slots for external tool processes.

use crate::clients::Clients;
use crate::discovery::Discovery;
use crate::ownership::{group_kind, ApplySet};
use crate::session::Session;
use crate::ExecutorOptions;
use meshctl_core::graph::{Desired, Graph, Node, NodeId, NodeKind, Paths};
use meshctl_core::live::compare::without_server_fields;
use meshctl_core::live::ownership::with_ownership_labels;
use meshctl_core::live::{LivePlan, ObjectRef};
use meshctl_core::render::DesiredObject;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// A cluster of the graph.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterRef {
    /// The topology's name for it.
    pub name: String,
    /// Its kubeconfig context.
    pub context: String,
}

/// Shared state of one plan, apply, status or destroy.
pub struct Engine {
    /// One client per context (the session's).
    pub clients: Arc<Clients>,
    /// Which resource serves each kind, per cluster (the session's).
    pub discovery: Arc<Discovery>,
    /// External tool processes (kind, helm, linkerd, kubectl) running at once in the
    /// whole run: `--parallelism` of them. They use this machine's CPU, unlike API
    /// requests, which each cluster's server answers (those are capped per cluster, by
    /// the scheduler).
    pub tool_slots: Semaphore,
    /// Held while a render prepares its cluster's webhook certificates: renders of one
    /// cluster (Linkerd's control plane, viz) run at once and share them, so one must
    /// make them and the other find them.
    pub(crate) webhook_certificates: std::sync::Mutex<()>,
    /// What the topology's kind clusters need of the machine: the docker network they go
    /// on (`spec.network.name`; None without kind clusters), which apply makes on its
    /// subnet before the first kind cluster when it does not exist yet.
    pub(crate) machine: meshctl_core::graph::preflight::MachineRequirements,
    /// Held while a kind cluster checks for (and makes) the docker network, so that two
    /// clusters created at once do not both create it.
    pub(crate) network_lock: tokio::sync::Mutex<()>,
    /// The topology's ApplySet: its parent and the id its members are labelled with.
    pub applyset: ApplySet,
    /// The options of the run.
    pub opts: ExecutorOptions,
    /// Clusters by name.
    pub clusters: BTreeMap<String, ClusterRef>,
    /// Every object the graph wants, per cluster (all nodes, not only targets).
    pub desired: BTreeMap<String, Vec<DesiredObject>>,
    /// Nodes to run: the targets and what they depend on, or every node.
    pub selected: BTreeSet<NodeId>,
    /// Where the graph's files are (kind configs, manifests, certificates).
    pub paths: Paths,
    /// Field managers of nodes that add to an object an earlier node applies.
    managers: HashMap<NodeId, String>,
    /// Clusters where the plan found no ApplySet parent: apply creates it (one request,
    /// which fails if someone created it since) instead of reading it first.
    pub planned_without_parent: BTreeSet<String>,
    /// Per cluster, the objects a plan found that the graph does not declare (what tools
    /// and manifest files render at apply time), for [`Engine::desired_group_kinds`].
    planned: BTreeMap<String, Vec<ObjectRef>>,
}

impl Engine {
    /// An engine with a session of its own (nothing reused from an earlier run).
    pub fn new(graph: &Graph, opts: &ExecutorOptions) -> Engine {
        Engine::in_session(graph, opts, &Session::new(opts))
    }

    /// An engine that uses (and adds to) `session`'s clients and discovery.
    pub fn in_session(graph: &Graph, opts: &ExecutorOptions, session: &Session) -> Engine {
        let mut clusters = BTreeMap::new();
        let mut first_applier: HashMap<(String, ObjectRef), NodeId> = HashMap::new();
        let mut managers = HashMap::new();
        let mut desired: BTreeMap<String, Vec<DesiredObject>> = BTreeMap::new();
        for node in graph.nodes() {
            let Some(cluster) = &node.cluster else {
                continue;
            };
            let context = node
                .context
                .clone()
                .unwrap_or_else(|| format!("kind-{cluster}"));
            clusters
                .entry(cluster.clone())
                .or_insert_with(|| ClusterRef {
                    name: cluster.clone(),
                    context,
                });
            if let Desired::Objects(objects) = &node.desired {
                // An export label is added to a Service a workload's manifests apply
                // (rendered at apply time, so not seen here): always its own manager.
                if node.kind == NodeKind::ExportLabel {
                    managers.insert(node.id.clone(), node_manager(node));
                }
                for object in objects {
                    let first = first_applier
                        .entry((cluster.clone(), ObjectRef::of(object)))
                        .or_insert_with(|| node.id.clone());
                    if *first != node.id {
                        managers.insert(node.id.clone(), node_manager(node));
                    }
                }
                desired
                    .entry(cluster.clone())
                    .or_default()
                    .extend(objects.iter().cloned());
            }
        }
        Engine {
            clients: Arc::clone(&session.clients),
            discovery: Arc::clone(&session.discovery),
            tool_slots: Semaphore::new(opts.parallelism.max(1)),
            webhook_certificates: std::sync::Mutex::new(()),
            machine: graph.machine().clone(),
            network_lock: tokio::sync::Mutex::new(()),
            applyset: ApplySet::for_topology(&opts.topology_name),
            opts: opts.clone(),
            clusters,
            desired,
            selected: selected_nodes(graph, &opts.targets),
            paths: graph.paths().clone(),
            managers,
            planned_without_parent: BTreeSet::new(),
            planned: BTreeMap::new(),
        }
    }

    /// The engine of an apply of `plan`: its desired kinds also count what the plan saw
    /// rendered, so each cluster's ApplySet parent is written once, listing every kind,
    /// instead of once more for each kind a rendered node brings (each write a read and
    /// a patch on that node's path).
    pub fn for_apply(
        graph: &Graph,
        opts: &ExecutorOptions,
        plan: &LivePlan,
        session: &Session,
    ) -> Engine {
        let mut engine = Engine::in_session(graph, opts, session);
        engine.planned_without_parent = plan
            .clusters
            .iter()
            .filter(|c| {
                c.inventory
                    .as_ref()
                    .is_some_and(|i| i.action == meshctl_core::live::LiveAction::Create)
            })
            .map(|c| c.name.clone())
            .collect();
        for node in &plan.nodes {
            let Some(cluster) = &node.cluster else {
                continue;
            };
            engine
                .planned
                .entry(cluster.clone())
                .or_default()
                .extend(node.objects.iter().map(|o| o.object.clone()));
        }
        engine
    }

    /// The field manager a node applies as: `meshctl`, or `meshctl-<node kind>` for a
    /// node adding fields to an object an earlier node applies (each partial intent needs
    /// its own manager, or one apply would remove the other's fields).
    pub fn manager(&self, node: &NodeId) -> &str {
        self.managers
            .get(node)
            .map(String::as_str)
            .unwrap_or(meshctl_core::live::FIELD_MANAGER)
    }

    /// The body apply sends for a desired object: its body without server-only fields
    /// (`status`, `creationTimestamp: null`), with meshctl's ownership labels.
    pub fn body(&self, object: &DesiredObject) -> Value {
        with_ownership_labels(&without_server_fields(&object.body), &self.applyset.id)
    }

    /// The environment external tools run with: the run's kubeconfig and tool PATH.
    pub fn tool_env(&self) -> Vec<(String, std::ffi::OsString)> {
        let mut env = Vec::new();
        if let Some(path) = &self.opts.kubeconfig {
            env.push(("KUBECONFIG".to_string(), path.clone().into_os_string()));
        }
        if let Some(path) = &self.opts.tool_path {
            env.push(("PATH".to_string(), path.clone()));
        }
        // kind puts its nodes on the `kind` network unless told otherwise: a topology
        // naming another network (spec.network.name) must get its clusters there.
        if let Some(network) = self.machine.network.as_ref().filter(|n| *n != "kind") {
            env.push((
                "KIND_EXPERIMENTAL_DOCKER_NETWORK".to_string(),
                network.into(),
            ));
        }
        env
    }

    /// The cluster a node runs against.
    pub fn cluster_of(&self, node: &Node) -> Option<&ClusterRef> {
        node.cluster.as_ref().and_then(|c| self.clusters.get(c))
    }

    /// Group-kinds of everything desired in a cluster, with an apiVersion for each.
    pub fn desired_group_kinds(
        &self,
        cluster: &str,
    ) -> (BTreeSet<String>, HashMap<String, String>) {
        let mut kinds = BTreeSet::new();
        let mut versions = HashMap::new();
        for object in self.desired.get(cluster).into_iter().flatten() {
            let gk = group_kind(&object.api_version, &object.kind);
            versions.insert(gk.clone(), object.api_version.clone());
            kinds.insert(gk);
        }
        for object in self.planned.get(cluster).into_iter().flatten() {
            let gk = group_kind(&object.api_version, &object.kind);
            versions
                .entry(gk.clone())
                .or_insert_with(|| object.api_version.clone());
            kinds.insert(gk);
        }
        (kinds, versions)
    }

    /// References of everything desired in a cluster.
    pub fn desired_refs(&self, cluster: &str) -> BTreeSet<ObjectRef> {
        self.desired
            .get(cluster)
            .into_iter()
            .flatten()
            .map(ObjectRef::of)
            .collect()
    }

    /// Whether the run covers the whole topology (pruning only then: with targets,
    /// objects of other nodes are not ours to judge).
    pub fn whole_topology(&self) -> bool {
        self.opts.targets.is_empty()
    }
}

fn node_manager(node: &Node) -> String {
    format!("meshctl-{}", format!("{:?}", node.kind).to_lowercase())
}

/// The targets and everything they depend on, or every node without targets.
pub fn selected_nodes(graph: &Graph, targets: &[NodeId]) -> BTreeSet<NodeId> {
    if targets.is_empty() {
        return graph.nodes().map(|n| n.id.clone()).collect();
    }
    let mut out = BTreeSet::new();
    let mut stack: Vec<NodeId> = targets.to_vec();
    while let Some(id) = stack.pop() {
        if graph.node(&id).is_none() || !out.insert(id.clone()) {
            continue;
        }
        stack.extend(
            graph
                .dependencies(&id)
                .into_iter()
                .map(|(n, _)| n.id.clone()),
        );
    }
    out
}
