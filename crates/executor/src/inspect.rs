//! Reads for `meshctl check`: the LISTs core's checks name (`meshctl_core::check::reads`),
//! one per kind and namespace and cluster, into a [`Snapshot`] core decides on. Clusters
//! are read concurrently, and each cluster's LISTs several at once; a kind the cluster
//! does not serve yet reads as empty.

use crate::api::ClusterApi;
use crate::clients::Clients;
use crate::discovery::{Discovery, Resolved};
use crate::observe::CONCURRENT_READS;
use crate::ExecutorOptions;
use futures_util::stream::{self, StreamExt};
use meshctl_core::check::{ClusterObjects, Read, Snapshot};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Reads everything `reads` names, and probes each of `clusters` (name, context) even
/// when nothing is read there. Never fails as a whole: an unreachable cluster is
/// recorded as such, a failed LIST as that read's failure.
pub async fn snapshot(
    reads: &[Read],
    clusters: &[(String, String)],
    opts: &ExecutorOptions,
) -> Snapshot {
    let clients = Arc::new(Clients::new(
        opts.kubeconfig.as_deref(),
        opts.timeouts.connection,
    ));
    let discovery = Arc::new(Discovery::new());
    // Every cluster is probed, with or without reads.
    let mut by_cluster: BTreeMap<(String, String), Vec<Read>> = clusters
        .iter()
        .map(|(cluster, context)| ((cluster.clone(), context.clone()), Vec::new()))
        .collect();
    for read in reads {
        by_cluster
            .entry((read.cluster.clone(), read.context.clone()))
            .or_default()
            .push(read.clone());
    }
    let mut jobs = tokio::task::JoinSet::new();
    for ((cluster, context), reads) in by_cluster {
        let clients = Arc::clone(&clients);
        let discovery = Arc::clone(&discovery);
        jobs.spawn(async move {
            let api = match clients.reachable(&cluster, &context).await {
                Ok(api) => api,
                Err(e) => return (cluster, Err(e.to_string())),
            };
            // Several LISTs of the cluster at once; recorded in the reads' order.
            let results: Vec<Result<Vec<Value>, String>> = stream::iter(0..reads.len())
                .map(|at| list_one(&api, &discovery, &reads[at]))
                .buffered(CONCURRENT_READS)
                .collect()
                .await;
            let mut objects = ClusterObjects::default();
            for (read, result) in reads.iter().zip(results) {
                objects.add_read(read, result);
            }
            (cluster, Ok(objects))
        });
    }
    let mut snapshot = Snapshot::default();
    while let Some(joined) = jobs.join_next().await {
        match joined {
            Ok((cluster, Ok(objects))) => snapshot.insert(&cluster, objects),
            Ok((cluster, Err(why))) => snapshot.unreachable(&cluster, why),
            // A panicked read task: its cluster stays "not read", which fails its checks.
            Err(_) => {}
        }
    }
    snapshot
}

/// One read: a LIST in its namespace, empty where the kind is not served yet.
async fn list_one(
    api: &ClusterApi,
    discovery: &Discovery,
    read: &Read,
) -> Result<Vec<Value>, String> {
    match discovery
        .resolve(api, read.api_version, read.kind, false)
        .await
    {
        Ok(Resolved::NotServed) => Ok(Vec::new()),
        Ok(Resolved::Served { resource, .. }) => api
            .list(&resource, Some(&read.namespace), None)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}
