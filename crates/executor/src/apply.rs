//! Carrying out a plan: server-side apply as field manager `meshctl` of what is missing
//! or drifted (forcing ownership back on objects meshctl owns, or on any object with
//! `force_conflicts`), nothing at all for what holds, deletes for pruning, and the
//! waits the next node needs. Each node is one [`NodeRunner`] run.

use crate::api::{ApplyMode, ClusterApi};
use crate::discovery::Resolved;
use crate::engine::Engine;
use crate::error::ExecutorError;
use crate::observe::observe;
use crate::ownership::listed_group_kinds;
use crate::scheduler::{NodeFuture, NodeReport, NodeRunner};
use crate::wait;
use kube::core::ApiResource;
use meshctl_core::graph::{Desired, Node, NodeId};
use meshctl_core::live::redact::{redact_text, secret_values};
use meshctl_core::live::{
    assess, Assessment, Conflict, LiveAction, NodePlan, ObjectPlan, ObjectRef,
};
use meshctl_core::render::DesiredObject;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Runs graph nodes against their clusters.
pub(crate) struct GraphRunner {
    /// The run's clients, options and desired objects.
    pub engine: Arc<Engine>,
    /// The selected nodes, by id.
    pub nodes: HashMap<NodeId, Node>,
    /// What the plan decided per node; trusted on a node's first attempt only.
    pub plans: HashMap<NodeId, NodePlan>,
    /// The ApplySet parents' member kinds, shared by the run's nodes.
    pub inventory: Arc<Inventory>,
}

impl NodeRunner for GraphRunner {
    fn run(&self, id: &NodeId, attempt: u32) -> NodeFuture {
        let engine = Arc::clone(&self.engine);
        let inventory = Arc::clone(&self.inventory);
        let node = self.nodes.get(id).cloned();
        // A retry re-observes instead of trusting the plan (part may have been applied).
        let plan = (attempt == 1)
            .then(|| self.plans.get(id).cloned())
            .flatten();
        let id = id.clone();
        Box::pin(async move {
            let Some(node) = node else {
                return Err(ExecutorError::Invalid(format!(
                    "node {id} is not in the graph"
                )));
            };
            match &node.desired {
                Desired::Objects(objects) => {
                    run_objects(&engine, &inventory, &node, objects, plan.as_ref()).await
                }
                Desired::Action(action) if crate::actions::renders_objects(action) => {
                    let cluster = engine.cluster_of(&node).ok_or_else(|| {
                        ExecutorError::Invalid(format!("node {id} names no cluster"))
                    })?;
                    let api = engine
                        .clients
                        .reachable(&cluster.name, &cluster.context)
                        .await?;
                    let objects = crate::actions::render(&engine, &api, action).await?;
                    run_objects(&engine, &inventory, &node, &objects, plan.as_ref()).await
                }
                Desired::Action(action) => crate::actions::run_action(&engine, &node, action).await,
            }
        })
    }
}

#[derive(Default)]
struct Tally {
    created: usize,
    updated: usize,
    unchanged: usize,
}

impl Tally {
    fn report(&self) -> NodeReport {
        let mut parts = Vec::new();
        if self.created > 0 {
            parts.push(format!("{} created", self.created));
        }
        if self.updated > 0 {
            parts.push(format!("{} updated", self.updated));
        }
        let changed = !parts.is_empty();
        if changed && self.unchanged > 0 {
            parts.push(format!("{} unchanged", self.unchanged));
        }
        NodeReport {
            detail: parts.join(", "),
            changed,
        }
    }
}

async fn run_objects(
    engine: &Engine,
    inventory: &Inventory,
    node: &Node,
    objects: &[DesiredObject],
    plan: Option<&NodePlan>,
) -> Result<NodeReport, ExecutorError> {
    let cluster = engine
        .cluster_of(node)
        .ok_or_else(|| ExecutorError::Invalid(format!("node {} names no cluster", node.id)))?;
    let mut tally = Tally::default();
    let manager = engine.manager(&node.id);
    let planned: HashMap<ObjectRef, &ObjectPlan> = plan
        .map(|p| p.objects.iter().map(|o| (o.object.clone(), o)).collect())
        .unwrap_or_default();
    // Everything the plan settled is known; the rest is looked at again now.
    let unsettled: Vec<ObjectRef> = objects
        .iter()
        .map(ObjectRef::of)
        .filter(|r| {
            planned
                .get(r)
                .is_none_or(|p| p.action == LiveAction::Unknown)
        })
        .collect();
    if unsettled.is_empty() && planned.values().all(|p| p.action == LiveAction::Unchanged) {
        // Nothing to write: no request at all.
        tally.unchanged = objects.len();
        return Ok(tally.report());
    }
    let api = engine
        .clients
        .reachable(&cluster.name, &cluster.context)
        .await?;
    let fresh = if unsettled.is_empty() {
        HashMap::new()
    } else {
        observe(&api, &engine.discovery, &unsettled, true).await?
    };
    // Deployments and DaemonSets to see rolled out once every object of the node is written.
    let mut rollouts: Vec<(ApiResource, ObjectRef)> = Vec::new();
    for object in objects {
        let reference = ObjectRef::of(object);
        let observed = fresh.get(&reference);
        let body = engine.body(object);
        let decision = match planned.get(&reference) {
            Some(p) if !unsettled.contains(&reference) => (*p).clone(),
            _ => decide_now(engine, manager, &reference, &body, observed),
        };
        match decision.action {
            LiveAction::Unchanged | LiveAction::Delete | LiveAction::Unknown => {
                tally.unchanged += 1;
                // Not known unchanged before the run: an earlier attempt of this node may
                // have written it and then timed out waiting, so what dependents need of
                // it (a rollout, an Established CRD) is checked again, not assumed.
                let known_unchanged = planned
                    .get(&reference)
                    .is_some_and(|p| p.action == LiveAction::Unchanged);
                if decision.action == LiveAction::Unchanged && !known_unchanged {
                    let (resource, namespaced) = served(engine, &api, &reference).await?;
                    let reference = in_namespace(reference, namespaced);
                    wait_now_or_at_end(engine, &api, resource, reference, &mut rollouts).await?;
                }
                continue;
            }
            LiveAction::Create | LiveAction::Update => {}
        }
        if let (Some(conflict), false) = (&decision.conflict, engine.opts.force_conflicts) {
            return Err(ExecutorError::Conflict {
                cluster: cluster.name.clone(),
                object: reference.to_string(),
                conflict: conflict.clone(),
            });
        }
        let group_kind = crate::ownership::group_kind(&reference.api_version, &reference.kind);
        inventory
            .ensure(engine, &api, &cluster.name, &group_kind)
            .await?;
        let force = decision.force || engine.opts.force_conflicts;
        let (resource, namespaced) = served(engine, &api, &reference).await?;
        let reference = in_namespace(reference, namespaced);
        wait_before(engine, &api, &reference, &body).await?;
        apply_one(&api, &resource, &reference, &body, force, manager).await?;
        if decision.action == LiveAction::Create {
            tally.created += 1;
        } else {
            tally.updated += 1;
        }
        wait_now_or_at_end(engine, &api, resource, reference, &mut rollouts).await?;
    }
    // Together, as `helm --wait` does: one Deployment's pods may need another's to start
    // (Linkerd's need its identity service), and waiting for each before writing the next
    // would add their rollout times up.
    futures_util::future::try_join_all(
        rollouts
            .iter()
            .map(|(resource, reference)| wait_for(engine, &api, resource, reference)),
    )
    .await?;
    Ok(tally.report())
}

/// Waits for what the node's next objects may need of `reference` (a CRD Established:
/// they may be its custom resources) now; leaves a rollout to the end of the node.
async fn wait_now_or_at_end(
    engine: &Engine,
    api: &ClusterApi,
    resource: ApiResource,
    reference: ObjectRef,
    rollouts: &mut Vec<(ApiResource, ObjectRef)>,
) -> Result<(), ExecutorError> {
    if matches!(reference.kind.as_str(), "Deployment" | "DaemonSet") {
        rollouts.push((resource, reference));
        Ok(())
    } else {
        wait_for(engine, api, &resource, &reference).await
    }
}

/// The reference as the server sees it: a namespaced object without a namespace lands in
/// `default` (as kubectl puts it), a cluster-scoped one has none.
fn in_namespace(reference: ObjectRef, namespaced: bool) -> ObjectRef {
    ObjectRef {
        namespace: if namespaced {
            Some(reference.namespace.unwrap_or_else(|| "default".into()))
        } else {
            None
        },
        ..reference
    }
}

/// The decision for an object the plan did not settle, from what was just observed
/// (no dry run: apply itself is the next request).
fn decide_now(
    engine: &Engine,
    manager: &str,
    reference: &ObjectRef,
    body: &Value,
    observed: Option<&meshctl_core::live::Observed>,
) -> ObjectPlan {
    let observed = observed
        .cloned()
        .unwrap_or(meshctl_core::live::Observed::Absent);
    match assess(reference, body, &observed, &engine.applyset.id, manager) {
        Assessment::Decided(plan) => *plan,
        Assessment::NeedsDryRun { owned } => ObjectPlan {
            force: owned,
            ..ObjectPlan::simple(reference.clone(), LiveAction::Update, None)
        },
    }
}

/// The resource serving an object's kind, and whether it is namespaced.
async fn served(
    engine: &Engine,
    api: &ClusterApi,
    reference: &ObjectRef,
) -> Result<(ApiResource, bool), ExecutorError> {
    match engine
        .discovery
        .resolve(api, &reference.api_version, &reference.kind, true)
        .await?
    {
        Resolved::Served {
            resource,
            namespaced,
        } => Ok((resource, namespaced)),
        Resolved::NotServed => Err(ExecutorError::Api {
            cluster: api.cluster.clone(),
            what: format!("apply {reference}"),
            source: crate::error::ApiError {
                // Discovery can lag a CRD that was just established: worth a retry.
                code: Some(503),
                message: format!("{} is not served by the cluster", reference.api_version),
                status: None,
                retry_after: None,
            },
        }),
    }
}

async fn apply_one(
    api: &ClusterApi,
    resource: &ApiResource,
    reference: &ObjectRef,
    body: &Value,
    force: bool,
    manager: &str,
) -> Result<Value, ExecutorError> {
    let secrets = secret_values(reference, body);
    api.apply(
        resource,
        reference.namespace.as_deref(),
        &reference.name,
        body,
        ApplyMode {
            manager,
            force,
            dry_run: false,
        },
    )
    .await
    .map_err(|mut source| {
        if source.is_conflict() {
            let conflict = source
                .status
                .as_ref()
                .map(|s| Conflict::from_status(s))
                .unwrap_or(Conflict {
                    managers: Vec::new(),
                    fields: Vec::new(),
                });
            return ExecutorError::Conflict {
                cluster: api.cluster.clone(),
                object: reference.to_string(),
                conflict,
            };
        }
        source.message = redact_text(&source.message, &secrets);
        source.status = None;
        ExecutorError::Api {
            cluster: api.cluster.clone(),
            what: format!("apply {reference}"),
            source,
        }
    })
}

/// Waits until what others create and `body` needs exists (a split's mirrored backend
/// Services: the service mirror makes them after the Link, on its own schedule).
async fn wait_before(
    engine: &Engine,
    api: &ClusterApi,
    reference: &ObjectRef,
    body: &Value,
) -> Result<(), ExecutorError> {
    for needed in meshctl_core::live::prerequisites::before_write(body) {
        let (resource, _) = served(engine, api, &needed).await?;
        wait::until(
            api,
            &resource,
            needed.namespace.as_deref(),
            &needed.name,
            &format!("{needed} (needed by {reference}) to exist"),
            engine.opts.timeouts.wait,
            |_| Some(()),
        )
        .await?;
    }
    Ok(())
}

/// Waits for what dependents need of an object written (or found) as declared.
async fn wait_for(
    engine: &Engine,
    api: &ClusterApi,
    resource: &ApiResource,
    reference: &ObjectRef,
) -> Result<(), ExecutorError> {
    let timeout = engine.opts.timeouts.wait;
    let ns = reference.namespace.as_deref();
    match reference.kind.as_str() {
        "CustomResourceDefinition" => {
            wait::until(
                api,
                resource,
                ns,
                &reference.name,
                &format!("{reference} Established"),
                timeout,
                |crd| wait::crd_established(crd).then_some(()),
            )
            .await
        }
        "Deployment" | "DaemonSet" if engine.opts.wait_for_rollouts => {
            wait::until(
                api,
                resource,
                ns,
                &reference.name,
                &format!("{reference} rolled out"),
                timeout,
                |o| wait::rolled_out(o).filter(|ready| *ready).map(|_| ()),
            )
            .await
        }
        _ => Ok(()),
    }
}

/// What one cluster's ApplySet parent lists, once read or written this run (`None`
/// before), behind that cluster's own lock.
type ListedKinds = Mutex<Option<BTreeSet<String>>>;

/// The ApplySet parent of each cluster, brought up to date before a write of a kind it
/// does not list yet (its member kinds must be a superset of what is applied, as kubectl
/// requires). It costs one read per cluster, and a write only when the kinds change;
/// where the plan found no parent, one create instead (a read and a write if that
/// create finds one after all).
#[derive(Default)]
pub struct Inventory {
    /// What each cluster's parent lists, once read or written this run: one lock per
    /// cluster, so clusters do not wait for each other's parent writes.
    listed: std::sync::Mutex<HashMap<String, Arc<ListedKinds>>>,
}

impl Inventory {
    /// Makes the parent list `group_kind` (and every kind the graph declares there).
    pub async fn ensure(
        &self,
        engine: &Engine,
        api: &ClusterApi,
        cluster: &str,
        group_kind: &str,
    ) -> Result<(), ExecutorError> {
        let slot = {
            let mut slots = self.listed.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(slots.entry(cluster.to_string()).or_default())
        };
        let mut listed = slot.lock().await;
        if listed
            .as_ref()
            .is_some_and(|kinds| kinds.contains(group_kind))
        {
            return Ok(());
        }
        let (mut kinds, _) = engine.desired_group_kinds(cluster);
        kinds.insert(group_kind.to_string());
        if let Some(known) = listed.as_ref() {
            kinds.extend(known.iter().cloned());
        } else if engine.planned_without_parent.contains(cluster)
            && self.create(engine, api, cluster, &kinds).await?
        {
            *listed = Some(kinds);
            return Ok(());
        }
        let now = self.write(engine, api, cluster, kinds, true).await?;
        *listed = Some(now);
        Ok(())
    }

    /// Creates the parent listing `kinds`, where the plan found none: `false` when it
    /// exists after all (someone wrote it since the plan; the caller reads it then, and
    /// keeps what it lists). One request instead of a read and a write; a create never
    /// overwrites, so nothing another run listed can be lost.
    async fn create(
        &self,
        engine: &Engine,
        api: &ClusterApi,
        cluster: &str,
        kinds: &BTreeSet<String>,
    ) -> Result<bool, ExecutorError> {
        let parent = &engine.applyset.parent;
        let (resource, _) = served(engine, api, parent).await?;
        let body = engine.applyset.parent_body(kinds);
        match api
            .create(
                &resource,
                parent.namespace.as_deref(),
                &body,
                meshctl_core::live::FIELD_MANAGER,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_conflict() => Ok(false),
            Err(source) => Err(ExecutorError::Api {
                cluster: cluster.to_string(),
                what: format!("create the ApplySet parent {parent}"),
                source,
            }),
        }
    }

    /// Writes the parent listing `kinds` (with `keep_listed`, also what it lists now)
    /// when that differs from what it lists; returns what it lists afterwards.
    pub async fn write(
        &self,
        engine: &Engine,
        api: &ClusterApi,
        cluster: &str,
        mut kinds: BTreeSet<String>,
        keep_listed: bool,
    ) -> Result<BTreeSet<String>, ExecutorError> {
        let parent = &engine.applyset.parent;
        let (resource, _) = served(engine, api, parent).await?;
        let ns = parent.namespace.as_deref();
        let error = |what: &str, source| ExecutorError::Api {
            cluster: cluster.to_string(),
            what: format!("{what} the ApplySet parent {parent}"),
            source,
        };
        let live = api
            .get(&resource, ns, &parent.name)
            .await
            .map_err(|e| error("read", e))?;
        let listed = live.as_ref().map(listed_group_kinds);
        if keep_listed {
            kinds.extend(listed.clone().unwrap_or_default());
        }
        let labelled = live.as_ref().is_some_and(|l| {
            meshctl_core::live::ownership::label(
                l,
                meshctl_core::live::ownership::APPLYSET_ID_LABEL,
            ) == Some(engine.applyset.id.as_str())
        });
        if labelled && listed.as_ref() == Some(&kinds) {
            return Ok(kinds);
        }
        let body = engine.applyset.parent_body(&kinds);
        api.apply(
            &resource,
            ns,
            &parent.name,
            &body,
            ApplyMode {
                manager: meshctl_core::live::FIELD_MANAGER,
                force: true,
                dry_run: false,
            },
        )
        .await
        .map_err(|e| error("write", e))?;
        Ok(kinds)
    }
}

/// What pruning a cluster did.
#[derive(Debug, Default)]
pub struct Pruned {
    /// The objects deleted, in deletion order.
    pub deleted: Vec<ObjectRef>,
    /// Why a Namespace the plan would delete was kept (someone else's objects appeared in
    /// it since the plan).
    pub kept: Vec<String>,
}

/// Deletes the objects a cluster's plan prunes. The parent keeps listing their kinds (a
/// superset is allowed, and other members may remain).
pub async fn prune(
    engine: &Engine,
    cluster: &str,
    entries: &[ObjectPlan],
) -> Result<Pruned, ExecutorError> {
    let mut out = Pruned::default();
    let Some(cluster_ref) = engine.clusters.get(cluster) else {
        return Ok(out);
    };
    let api = engine
        .clients
        .reachable(cluster, &cluster_ref.context)
        .await?;
    for entry in entries.iter().filter(|e| e.action == LiveAction::Delete) {
        if let Some(kept) = namespace_kept(engine, &api, &entry.object).await? {
            out.kept.push(kept);
            continue;
        }
        delete_one(engine, &api, &entry.object).await?;
        out.deleted.push(entry.object.clone());
    }
    Ok(out)
}

/// For a Namespace: why it must not be deleted (deleting it would delete someone else's
/// objects in it), or `None` when it may go. `None` for every other kind.
pub async fn namespace_kept(
    engine: &Engine,
    api: &ClusterApi,
    object: &ObjectRef,
) -> Result<Option<String>, ExecutorError> {
    if object.api_version != "v1" || object.kind != "Namespace" {
        return Ok(None);
    }
    let foreign = crate::observe::foreign_in_namespace(
        api,
        &engine.discovery,
        &object.name,
        &engine.applyset.id,
    )
    .await?;
    if foreign.is_empty() {
        return Ok(None);
    }
    const SHOWN: usize = 5;
    let mut names: Vec<String> = foreign
        .iter()
        .take(SHOWN)
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    if foreign.len() > SHOWN {
        names.push(format!("and {} more", foreign.len() - SHOWN));
    }
    Ok(Some(format!(
        "namespace {} kept: it holds objects meshctl does not own ({}); deleting it would delete them. Move or delete them, then run again (or delete the namespace yourself)",
        object.name,
        names.join(", ")
    )))
}

/// Deletes one object (gone already is fine).
pub async fn delete_one(
    engine: &Engine,
    api: &ClusterApi,
    object: &ObjectRef,
) -> Result<(), ExecutorError> {
    let resource = match engine
        .discovery
        .resolve(api, &object.api_version, &object.kind, true)
        .await?
    {
        Resolved::Served { resource, .. } => resource,
        Resolved::NotServed => return Ok(()),
    };
    api.delete(&resource, object.namespace.as_deref(), &object.name)
        .await
        .map_err(|source| ExecutorError::Api {
            cluster: api.cluster.clone(),
            what: format!("delete {object}"),
            source,
        })
}
