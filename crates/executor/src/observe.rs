//! Reading live state: one LIST per (kind, namespace) — never one GET per object — into
//! core's [`Observed`] values. A kind not served yet, or a namespace that does not exist
//! yet, means nothing is there: not an error. A cluster's LISTs (and the discovery they
//! need) go out [`CONCURRENT_READS`] at a time, not one after another: a plan's reads cost
//! a few round trips per cluster, however many kinds and namespaces it declares.

use crate::api::ClusterApi;
use crate::discovery::{Discovery, Resolved};
use crate::error::ExecutorError;
use futures_util::stream::{self, StreamExt};
use kube::core::ApiResource;
use meshctl_core::live::{ObjectRef, Observed};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Observes every object in `objects` (all in the cluster of `api`). One LIST per
/// distinct (apiVersion, kind, namespace); `recheck_unserved` asks discovery again for
/// kinds that were not served (apply, once dependencies ran).
pub async fn observe(
    api: &ClusterApi,
    discovery: &Discovery,
    objects: &[ObjectRef],
    recheck_unserved: bool,
) -> Result<HashMap<ObjectRef, Observed>, ExecutorError> {
    let mut groups: BTreeMap<(String, String, Option<String>), Vec<ObjectRef>> = BTreeMap::new();
    for object in objects {
        groups
            .entry((
                object.api_version.clone(),
                object.kind.clone(),
                object.namespace.clone(),
            ))
            .or_default()
            .push(object.clone());
    }
    let reads = groups.into_iter().map(|(group, members)| Group {
        api_version: group.0,
        kind: group.1,
        namespace: group.2,
        members,
    });
    // In the groups' order, so the error reported is the same whatever answered first.
    let results: Vec<Result<Vec<(ObjectRef, Observed)>, ExecutorError>> = stream::iter(reads)
        .map(|group| group.read(api, discovery, recheck_unserved))
        .buffered(CONCURRENT_READS)
        .collect()
        .await;
    let mut out = HashMap::new();
    for result in results {
        out.extend(result?);
    }
    Ok(out)
}

/// The objects of one kind in one namespace: one LIST.
struct Group {
    api_version: String,
    kind: String,
    namespace: Option<String>,
    members: Vec<ObjectRef>,
}

impl Group {
    async fn read(
        self,
        api: &ClusterApi,
        discovery: &Discovery,
        recheck_unserved: bool,
    ) -> Result<Vec<(ObjectRef, Observed)>, ExecutorError> {
        let resolved = discovery
            .resolve(api, &self.api_version, &self.kind, recheck_unserved)
            .await?;
        let (resource, namespaced) = match resolved {
            Resolved::NotServed => {
                return Ok(self
                    .members
                    .into_iter()
                    .map(|object| (object, Observed::KindNotServed))
                    .collect());
            }
            Resolved::Served {
                resource,
                namespaced,
            } => (resource, namespaced),
        };
        let scope = if namespaced {
            Some(self.namespace.as_deref().unwrap_or("default"))
        } else {
            None
        };
        let live = list_by_name(api, &resource, scope, None).await?;
        Ok(self
            .members
            .into_iter()
            .map(|object| {
                // Cloned: two nodes may declare the same object.
                let observed = match live.get(&object.name) {
                    Some(value) => Observed::Present(value.clone()),
                    None => Observed::Absent,
                };
                (object, observed)
            })
            .collect())
    }
}

/// How many LISTs (or discovery requests) one read of a cluster has in flight at once:
/// as many as `--parallelism`'s default, well under what an API server's priority and
/// fairness lets one client have.
pub const CONCURRENT_READS: usize = 8;

/// A LIST as a map by name; a namespace that does not exist is an empty list.
pub async fn list_by_name(
    api: &ClusterApi,
    resource: &ApiResource,
    namespace: Option<&str>,
    labels: Option<&str>,
) -> Result<HashMap<String, Value>, ExecutorError> {
    let items = match api.list(resource, namespace, labels).await {
        Ok(items) => items,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(source) => {
            return Err(ExecutorError::Api {
                cluster: api.cluster.clone(),
                what: format!(
                    "list {}{}",
                    resource.plural,
                    namespace.map(|n| format!(" in {n}")).unwrap_or_default()
                ),
                source,
            })
        }
    };
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let name = item.pointer("/metadata/name")?.as_str()?.to_string();
            Some((name, item))
        })
        .collect())
}

/// Every object of the given group-kinds labelled as members of `applyset_id`, across
/// all namespaces: what meshctl owns for this topology in the cluster. `versions` maps
/// a group-kind (`Kind.group`) to an apiVersion known for it; group-kinds without one
/// are looked up through the group's preferred version.
pub async fn owned_objects(
    api: &ClusterApi,
    discovery: &Discovery,
    group_kinds: &BTreeSet<String>,
    versions: &HashMap<String, String>,
    applyset_id: &str,
) -> Result<Vec<Value>, ExecutorError> {
    let selector = format!("{}={applyset_id}", meshctl_core::live::PART_OF_LABEL);
    // In the kinds' order: the result, and the error reported, do not depend on which
    // LIST answered first.
    let results: Vec<Result<Vec<Value>, ExecutorError>> = stream::iter(group_kinds.iter().cloned())
        .map(|group_kind| owned_of_kind(api, discovery, group_kind, versions, &selector))
        .buffered(CONCURRENT_READS)
        .collect()
        .await;
    let mut out = Vec::new();
    for items in results {
        out.extend(items?);
    }
    Ok(out)
}

/// What [`owned_objects`] finds of one group-kind, sorted.
async fn owned_of_kind(
    api: &ClusterApi,
    discovery: &Discovery,
    group_kind: String,
    versions: &HashMap<String, String>,
    selector: &str,
) -> Result<Vec<Value>, ExecutorError> {
    let (kind, group) = group_kind
        .split_once('.')
        .unwrap_or((group_kind.as_str(), ""));
    let api_version = match versions.get(&group_kind) {
        Some(v) => v.clone(),
        None if group.is_empty() => "v1".to_string(),
        None => match preferred_version(api, group).await? {
            Some(v) => format!("{group}/{v}"),
            // The group is gone (CRD deleted): nothing of it can be left.
            None => return Ok(Vec::new()),
        },
    };
    let Resolved::Served { resource, .. } =
        discovery.resolve(api, &api_version, kind, false).await?
    else {
        return Ok(Vec::new());
    };
    let items = list_by_name(api, &resource, None, Some(selector)).await?;
    let mut items: Vec<Value> = items.into_values().collect();
    items.sort_by_key(ObjectRef::from_value);
    Ok(items)
}

async fn preferred_version(api: &ClusterApi, group: &str) -> Result<Option<String>, ExecutorError> {
    match kube::discovery::group(api.client(), group).await {
        Ok(g) => Ok(Some(g.preferred_version_or_latest().to_string())),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(kube::Error::Discovery(_)) => Ok(None),
        Err(e) => Err(ExecutorError::Api {
            cluster: api.cluster.clone(),
            what: format!("discover group {group}"),
            source: crate::discovery::api_error(e),
        }),
    }
}

/// The objects in `namespace` that are someone else's (`live::foreign`): one LIST per
/// kind people create by hand. What keeps `destroy` from deleting a Namespace it made.
pub async fn foreign_in_namespace(
    api: &ClusterApi,
    discovery: &Discovery,
    namespace: &str,
    applyset_id: &str,
) -> Result<Vec<ObjectRef>, ExecutorError> {
    let mut listed = Vec::new();
    for (api_version, kind) in meshctl_core::live::foreign::USER_KINDS {
        if let Resolved::Served { resource, .. } =
            discovery.resolve(api, api_version, kind, false).await?
        {
            listed.extend(
                list_by_name(api, &resource, Some(namespace), None)
                    .await?
                    .into_values(),
            );
        }
    }
    Ok(meshctl_core::live::foreign::foreign_objects(
        &listed,
        applyset_id,
    ))
}
