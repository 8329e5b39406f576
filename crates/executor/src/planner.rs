//! The live plan: observe each cluster once (one LIST per kind and namespace), decide
//! locally what holds, dry-run only what does not, and list what meshctl owns that left
//! the topology. Clusters are planned concurrently, and within a cluster the tool renders,
//! the LISTs and the nodes' dry runs go several at once; an unreachable cluster is
//! reported by name while the others still show.

use crate::actions;
use crate::api::{ApplyMode, ClusterApi};
use crate::engine::{ClusterRef, Engine};
use crate::error::ExecutorError;
use crate::observe::{list_by_name, observe, owned_objects, CONCURRENT_READS};
use crate::ownership::{group_kind, listed_group_kinds};
use futures_util::stream::{self, StreamExt};
use meshctl_core::graph::{Desired, ExternalAction, Graph, Node, NodeId};
use meshctl_core::live::mirrors;
use meshctl_core::live::redact::{redact_text, secret_values};
use meshctl_core::live::{
    after_dry_run, assess, conflicted, ActionPlan, Assessment, ClusterPlan, Conflict, LiveAction,
    LivePlan, NodePlan, ObjectPlan, ObjectRef, Observed,
};
use meshctl_core::render::DesiredObject;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What planning a cluster saw, kept for status (readiness from the same read).
struct ClusterObservation {
    /// The cluster's part of the plan (its error, inventory, what to prune).
    plan: ClusterPlan,
    /// The plans of its nodes.
    nodes: Vec<NodePlan>,
    /// Every object read, as found.
    observed: HashMap<ObjectRef, Observed>,
}

/// Plans every selected node of the graph.
pub async fn plan(
    engine: Arc<Engine>,
    graph: &Graph,
    topology: &str,
) -> (LivePlan, HashMap<ObjectRef, Observed>) {
    let mut jobs = JoinSet::new();
    for cluster in engine.clusters.values().cloned() {
        let nodes: Vec<Node> = graph
            .nodes()
            .filter(|n| n.cluster.as_deref() == Some(cluster.name.as_str()))
            .filter(|n| engine.selected.contains(&n.id))
            .cloned()
            .collect();
        let engine = Arc::clone(&engine);
        jobs.spawn(async move { plan_cluster(&engine, &cluster, &nodes).await });
    }
    let mut clusters = Vec::new();
    let mut by_id: HashMap<_, NodePlan> = HashMap::new();
    let mut observed = HashMap::new();
    while let Some(joined) = jobs.join_next().await {
        if let Ok(result) = joined {
            clusters.push(result.plan);
            observed.extend(result.observed);
            for node in result.nodes {
                by_id.insert(node.id.clone(), node);
            }
        }
    }
    clusters.sort_by(|a, b| a.name.cmp(&b.name));
    // Apply order, and nodes outside any cluster (certificates) as external actions.
    let mut nodes = Vec::new();
    for node in graph.nodes().filter(|n| engine.selected.contains(&n.id)) {
        nodes.push(match (by_id.remove(&node.id), &node.desired) {
            (Some(plan), _) => plan,
            (None, Desired::Action(action)) => NodePlan {
                external: Some(actions::plan_action(&engine, None, action).await),
                ..action_node_plan(&engine, node)
            },
            (None, Desired::Objects(_)) => action_node_plan(&engine, node),
        });
    }
    (
        LivePlan::new(topology.to_string(), nodes, clusters),
        observed,
    )
}

async fn plan_cluster(engine: &Engine, cluster: &ClusterRef, nodes: &[Node]) -> ClusterObservation {
    let mut plan = ClusterPlan {
        name: cluster.name.clone(),
        context: cluster.context.clone(),
        inventory: None,
        prune: Vec::new(),
        summary: Default::default(),
        error: None,
    };
    let api = match engine
        .clients
        .reachable(&cluster.name, &cluster.context)
        .await
    {
        Ok(api) => api,
        Err(error) => {
            if let Some(nodes) = in_cluster_to_create(engine, nodes).await {
                return ClusterObservation {
                    plan,
                    nodes,
                    observed: HashMap::new(),
                };
            }
            plan.error = Some(error.to_string());
            let nodes = nodes
                .iter()
                .map(|n| {
                    unknown_node(
                        engine,
                        n,
                        &format!("cluster {} could not be read", cluster.name),
                    )
                })
                .collect();
            return ClusterObservation {
                plan,
                nodes,
                observed: HashMap::new(),
            };
        }
    };
    // Tool renders first: their objects are observed with the rest. At once (the run's
    // tool slots bound the processes): each `linkerd … install` takes a while.
    let renders: Vec<(&NodeId, &ExternalAction)> = nodes
        .iter()
        .filter_map(|node| match &node.desired {
            Desired::Action(action) if actions::renders_objects(action) => Some((&node.id, action)),
            _ => None,
        })
        .collect();
    let rendered: HashMap<NodeId, Result<Vec<DesiredObject>, String>> =
        stream::iter(0..renders.len())
            .map(|at| render_action(engine, &api, renders[at].0, renders[at].1))
            .buffer_unordered(CONCURRENT_READS)
            .collect()
            .await;
    let all_rendered = rendered.values().all(Result::is_ok);
    let refs: Vec<ObjectRef> = nodes
        .iter()
        .flat_map(|n| objects_of(n).iter().map(ObjectRef::of))
        .chain(
            rendered
                .values()
                .flat_map(|r| r.iter().flatten().map(ObjectRef::of)),
        )
        .collect();
    let observed = match observe(&api, &engine.discovery, &refs, false).await {
        Ok(observed) => observed,
        Err(error) => {
            plan.error = Some(error.to_string());
            let nodes = nodes
                .iter()
                .map(|n| unknown_node(engine, n, &error.to_string()))
                .collect();
            return ClusterObservation {
                plan,
                nodes,
                observed: HashMap::new(),
            };
        }
    };
    // Each node's dry runs and tool checks (`helm status`, `kind get clusters`), several
    // at once, in the nodes' order.
    let node_plans: Vec<NodePlan> = stream::iter(0..nodes.len())
        .map(|at| {
            plan_node(
                engine,
                &api,
                &nodes[at],
                rendered.get(&nodes[at].id),
                &observed,
            )
        })
        .buffered(CONCURRENT_READS)
        .collect()
        .await;
    let wanted: BTreeSet<ObjectRef> = engine
        .desired_refs(&cluster.name)
        .into_iter()
        .chain(refs.iter().cloned())
        .collect();
    match plan_inventory(engine, &api, &cluster.name, &wanted, all_rendered).await {
        Ok((inventory, prune)) => {
            plan.inventory = inventory;
            plan.prune = prune;
        }
        Err(error) => plan.error = Some(format!("listing what meshctl owns: {error}")),
    }
    ClusterObservation {
        plan,
        nodes: node_plans,
        observed,
    }
}

/// What the rendering action of node `id` produces now (its tool's output, or its
/// manifest files); the error as text.
async fn render_action(
    engine: &Engine,
    api: &ClusterApi,
    id: &NodeId,
    action: &ExternalAction,
) -> (NodeId, Result<Vec<DesiredObject>, String>) {
    let result = actions::render(engine, api, action)
        .await
        .map_err(|e| e.to_string());
    (id.clone(), result)
}

/// The plan of one node of a cluster that answers, from what was observed there.
async fn plan_node(
    engine: &Engine,
    api: &ClusterApi,
    node: &Node,
    rendered: Option<&Result<Vec<DesiredObject>, String>>,
    observed: &HashMap<ObjectRef, Observed>,
) -> NodePlan {
    match (&node.desired, rendered) {
        (Desired::Objects(objects), _) => plan_objects(engine, api, node, objects, observed).await,
        (Desired::Action(action), Some(Ok(objects))) => NodePlan {
            rendered_by: actions::command_lines(engine, action),
            ..plan_objects(engine, api, node, objects, observed).await
        },
        (Desired::Action(action), Some(Err(error))) => NodePlan {
            rendered_by: actions::command_lines(engine, action),
            error: Some(format!("not rendered yet: {error}")),
            ..action_node_plan(engine, node)
        },
        (Desired::Action(action), None) => NodePlan {
            external: Some(actions::plan_action(engine, Some(api), action).await),
            ..action_node_plan(engine, node)
        },
    }
}

/// The plan of a cluster that does not exist yet and that apply creates (a kind cluster
/// `kind get clusters` does not list): everything in it is created. `None` when the
/// cluster is not such a one.
async fn in_cluster_to_create(engine: &Engine, nodes: &[Node]) -> Option<Vec<NodePlan>> {
    let (name, kind_action) = nodes.iter().find_map(|n| match &n.desired {
        Desired::Action(action @ ExternalAction::KindCluster { name, .. }) => {
            Some((name.clone(), action))
        }
        _ => None,
    })?;
    if actions::kind_cluster_exists(engine, &name).await.ok()? {
        return None;
    }
    let creation = actions::kind_cluster_creation(engine, kind_action).await;
    let note = format!("kind cluster {name} is created by apply");
    Some(
        nodes
            .iter()
            .map(|node| {
                let mut plan = action_node_plan(engine, node);
                plan.objects = objects_of(node)
                    .iter()
                    .map(|o| {
                        ObjectPlan::simple(ObjectRef::of(o), LiveAction::Create, Some(note.clone()))
                    })
                    .collect();
                if let (Some(external), Desired::Action(action)) =
                    (&mut plan.external, &node.desired)
                {
                    match action {
                        ExternalAction::KindCluster { .. } => *external = creation.clone(),
                        ExternalAction::HelmRelease { .. } => external.action = LiveAction::Create,
                        _ if actions::renders_objects(action) => {
                            plan.rendered_by = std::mem::take(&mut external.commands);
                            plan.external = None;
                            plan.error = Some(format!("rendered once the cluster exists ({note})"));
                        }
                        _ => external.note = Some(format!("(known after apply) {note}")),
                    }
                }
                plan
            })
            .collect(),
    )
}

fn objects_of(node: &Node) -> &[meshctl_core::render::DesiredObject] {
    match &node.desired {
        Desired::Objects(objects) => objects,
        Desired::Action(_) => &[],
    }
}

/// Plans one node's objects: local decisions first, then the dry runs, concurrently
/// up to the run's parallelism.
async fn plan_objects(
    engine: &Engine,
    api: &ClusterApi,
    node: &Node,
    objects: &[meshctl_core::render::DesiredObject],
    observed: &HashMap<ObjectRef, Observed>,
) -> NodePlan {
    let permits = Arc::new(Semaphore::new(engine.opts.parallelism.max(1)));
    let manager = engine.manager(&node.id).to_string();
    let mut dry_runs = JoinSet::new();
    let mut planned: Vec<Option<ObjectPlan>> = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        let reference = ObjectRef::of(object);
        let seen = observed
            .get(&reference)
            .cloned()
            .unwrap_or(Observed::Unknown("not observed".into()));
        let body = engine.body(object);
        match assess(&reference, &body, &seen, &engine.applyset.id, &manager) {
            Assessment::Decided(plan) => planned.push(Some(*plan)),
            Assessment::NeedsDryRun { owned } => {
                planned.push(None);
                let Observed::Present(live) = seen else {
                    continue;
                };
                let resolved = engine
                    .discovery
                    .resolve(api, &reference.api_version, &reference.kind, false)
                    .await;
                let api = api.clone();
                let permits = Arc::clone(&permits);
                let force = owned || engine.opts.force_conflicts;
                let manager = manager.clone();
                dry_runs.spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    let plan = dry_run(
                        &api,
                        resolved,
                        &reference,
                        &body,
                        &live,
                        owned,
                        ApplyMode {
                            manager: &manager,
                            force,
                            dry_run: true,
                        },
                    )
                    .await;
                    (index, plan)
                });
            }
        }
    }
    while let Some(joined) = dry_runs.join_next().await {
        if let Ok((index, plan)) = joined {
            planned[index] = Some(plan);
        }
    }
    NodePlan {
        id: node.id.clone(),
        cluster: node.cluster.clone(),
        kind: node.kind,
        summary: node.summary.clone(),
        objects: planned
            .into_iter()
            .zip(objects)
            .map(|(plan, object)| {
                plan.unwrap_or_else(|| {
                    ObjectPlan::simple(
                        ObjectRef::of(object),
                        LiveAction::Unknown,
                        Some("the dry run did not finish".into()),
                    )
                })
            })
            .collect(),
        rendered_by: Vec::new(),
        external: None,
        error: None,
    }
}

/// One server-side apply dry run and what it says.
async fn dry_run(
    api: &ClusterApi,
    resolved: Result<crate::discovery::Resolved, ExecutorError>,
    reference: &ObjectRef,
    body: &Value,
    live: &Value,
    owned: bool,
    mode: ApplyMode<'_>,
) -> ObjectPlan {
    let secrets = secret_values(reference, body);
    let unknown = |why: String| {
        ObjectPlan::simple(
            reference.clone(),
            LiveAction::Unknown,
            Some(redact_text(&why, &secrets)),
        )
    };
    let resource = match resolved {
        Ok(crate::discovery::Resolved::Served { resource, .. }) => resource,
        Ok(crate::discovery::Resolved::NotServed) => {
            return unknown("its kind is no longer served".into())
        }
        Err(e) => return unknown(e.to_string()),
    };
    let namespace = reference.namespace.as_deref();
    match api
        .apply(&resource, namespace, &reference.name, body, mode)
        .await
    {
        Ok(result) => {
            let mut plan = after_dry_run(reference, live, &result, owned, mode.manager);
            plan.force = mode.force && plan.action == LiveAction::Update;
            plan
        }
        Err(e) if e.is_conflict() => {
            let conflict = e
                .status
                .as_ref()
                .map(|s| Conflict::from_status(s))
                .unwrap_or(Conflict {
                    managers: Vec::new(),
                    fields: Vec::new(),
                });
            conflicted(reference, conflict)
        }
        Err(e) => unknown(format!("dry run failed: {e}")),
    }
}

/// The ApplySet parent (created, or updated when the member kinds it lists change) and
/// the objects it holds that the graph no longer wants (deleted by apply; only for a
/// run over the whole topology). One GET of the parent and one LIST per group-kind.
async fn plan_inventory(
    engine: &Engine,
    api: &ClusterApi,
    cluster: &str,
    wanted: &BTreeSet<ObjectRef>,
    may_prune: bool,
) -> Result<(Option<ObjectPlan>, Vec<ObjectPlan>), ExecutorError> {
    let (desired_kinds, versions) = engine.desired_group_kinds(cluster);
    let mut kinds = desired_kinds.clone();
    let parent = &engine.applyset.parent;
    let mut inventory = Some(ObjectPlan::simple(
        parent.clone(),
        LiveAction::Create,
        Some("the inventory of what meshctl owns (kubectl ApplySet parent)".into()),
    ));
    if let crate::discovery::Resolved::Served { resource, .. } = engine
        .discovery
        .resolve(api, &parent.api_version, &parent.kind, false)
        .await?
    {
        let live_parent = api
            .get(&resource, parent.namespace.as_deref(), &parent.name)
            .await
            .map_err(|source| ExecutorError::Api {
                cluster: cluster.to_string(),
                what: format!("read the ApplySet parent {parent}"),
                source,
            })?;
        if let Some(live_parent) = live_parent {
            let listed = listed_group_kinds(&live_parent);
            // Every kind applied this run, rendered ones included; a superset is fine.
            let needed: BTreeSet<String> = desired_kinds
                .iter()
                .cloned()
                .chain(wanted.iter().map(|r| group_kind(&r.api_version, &r.kind)))
                .collect();
            let labelled = meshctl_core::live::ownership::label(
                &live_parent,
                meshctl_core::live::ownership::APPLYSET_ID_LABEL,
            ) == Some(engine.applyset.id.as_str());
            inventory = if labelled && needed.is_subset(&listed) {
                None
            } else {
                let after: BTreeSet<String> = listed.union(&needed).cloned().collect();
                Some(ObjectPlan {
                    changes: vec![meshctl_core::plan::FieldChange {
                        path: format!(
                            "metadata.annotations.{}",
                            meshctl_core::live::ownership::APPLYSET_GROUP_KINDS_ANNOTATION
                        ),
                        old: Some(join(&listed).into()),
                        new: Some(join(&after).into()),
                    }],
                    ..ObjectPlan::simple(parent.clone(), LiveAction::Update, None)
                })
            };
            kinds.extend(listed);
        }
    }
    if desired_kinds.is_empty()
        && wanted.is_empty()
        && inventory
            .as_ref()
            .is_some_and(|i| i.action == LiveAction::Create)
    {
        inventory = None;
    }
    // With targets, or when a render failed, what is wanted is not fully known: no
    // pruning then.
    if !engine.whole_topology() || !may_prune {
        return Ok((inventory, Vec::new()));
    }
    let owned = owned_objects(
        api,
        &engine.discovery,
        &kinds,
        &versions,
        &engine.applyset.id,
    )
    .await?;
    let mut prune: Vec<ObjectPlan> = owned
        .iter()
        .filter(|o| meshctl_core::live::ownership::is_owned(o, &engine.applyset.id))
        .filter_map(ObjectRef::from_value)
        .filter(|r| !wanted.contains(r))
        .map(|r| {
            ObjectPlan::simple(
                r,
                LiveAction::Delete,
                Some("owned by meshctl and no longer in the topology".into()),
            )
        })
        .collect();
    let removed: Vec<ObjectRef> = prune.iter().map(|p| p.object.clone()).collect();
    prune.extend(mirrors_of_links(engine, api, &removed).await?);
    // A Namespace holding someone else's objects is kept (deleting it would delete them).
    for entry in &mut prune {
        if let Some(kept) = crate::apply::namespace_kept(engine, api, &entry.object).await? {
            entry.action = LiveAction::Unchanged;
            entry.note = Some(kept);
        }
    }
    Ok((inventory, prune))
}

/// The Services Linkerd mirrored through the Links among `removed`, as delete entries: one
/// LIST per Link, all namespaces, selected by the mirror labels (`live::mirrors`).
pub async fn mirrors_of_links(
    engine: &Engine,
    api: &ClusterApi,
    removed: &[ObjectRef],
) -> Result<Vec<ObjectPlan>, ExecutorError> {
    let links: Vec<&str> = removed.iter().filter_map(mirrors::link_name).collect();
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let services = engine
        .discovery
        .resolve(api, "v1", "Service", false)
        .await?;
    let crate::discovery::Resolved::Served { resource, .. } = services else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for link in links {
        let listed = list_by_name(api, &resource, None, Some(&mirrors::selector(link)))
            .await?
            .into_values()
            .collect::<Vec<_>>();
        out.extend(mirrors::prune_entries(link, &listed));
    }
    Ok(out)
}

fn join(kinds: &std::collections::BTreeSet<String>) -> String {
    kinds
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(",")
}

fn unknown_node(engine: &Engine, node: &Node, why: &str) -> NodePlan {
    let mut plan = action_node_plan(engine, node);
    plan.objects = objects_of(node)
        .iter()
        .map(|o| ObjectPlan::simple(ObjectRef::of(o), LiveAction::Unknown, Some(why.to_string())))
        .collect();
    if let Some(external) = &mut plan.external {
        external.action = LiveAction::Unknown;
        external.note = Some(why.to_string());
    }
    // A node whose objects a tool or its files render would otherwise show (and count)
    // nothing: it is unknown, with the command lines that would render it.
    if let Desired::Action(action) = &node.desired {
        if actions::renders_objects(action) {
            plan.rendered_by = actions::command_lines(engine, action);
            plan.error = Some(format!("not rendered: {why}"));
        }
    }
    plan
}

/// The plan of a node as far as it is known without its cluster: objects nodes have
/// none yet; action nodes show their command lines, as unknown.
fn action_node_plan(engine: &Engine, node: &Node) -> NodePlan {
    NodePlan {
        id: node.id.clone(),
        cluster: node.cluster.clone(),
        kind: node.kind,
        summary: node.summary.clone(),
        objects: Vec::new(),
        rendered_by: Vec::new(),
        external: match &node.desired {
            Desired::Action(action) if actions::renders_objects(action) => None,
            Desired::Action(action) => Some(ActionPlan {
                action: LiveAction::Unknown,
                commands: actions::command_lines(engine, action),
                note: None,
            }),
            Desired::Objects(_) => None,
        },
        error: None,
    }
}
