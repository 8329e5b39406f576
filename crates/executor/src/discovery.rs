//! Which resource serves an (apiVersion, kind) in a cluster, asked once per
//! group-version per run (one request each, not full discovery) and cached.
//!
//! A group-version the cluster does not serve (its CRD comes from a node that has not
//! run yet) is "not served": the plan says create, not error. Such answers are asked
//! again on request, once the CRD may exist.

use crate::api::ClusterApi;
use crate::error::{ApiError, ExecutorError};
use kube::core::{ApiResource, GroupVersion};
use kube::discovery::Scope;
use meshctl_core::live::split_api_version;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How a kind is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The cluster serves the kind.
    Served {
        /// Its resource (plural name, group, version) for request paths.
        resource: ApiResource,
        /// Whether its objects live in a namespace.
        namespaced: bool,
    },
    /// The cluster does not serve it (its CRD is not installed yet, say).
    NotServed,
}

type Kinds = HashMap<String, (ApiResource, bool)>;
type Slot = Arc<tokio::sync::Mutex<Option<Kinds>>>;

/// The discovery cache of one run, for every cluster.
#[derive(Default)]
pub struct Discovery {
    /// (cluster, apiVersion) → kinds served there (empty: group-version not served).
    slots: Mutex<HashMap<(String, String), Slot>>,
}

impl Discovery {
    /// An empty cache.
    pub fn new() -> Discovery {
        Discovery::default()
    }

    /// Resolves a kind. `recheck_unserved`: ask the cluster again if the cached answer
    /// was "not served" (apply, after dependencies have run).
    pub async fn resolve(
        &self,
        api: &ClusterApi,
        api_version: &str,
        kind: &str,
        recheck_unserved: bool,
    ) -> Result<Resolved, ExecutorError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots
                .entry((api.cluster.clone(), api_version.to_string()))
                .or_default()
                .clone()
        };
        let mut kinds = slot.lock().await;
        let stale = match kinds.as_ref() {
            None => true,
            Some(served) => recheck_unserved && !served.contains_key(kind),
        };
        if stale {
            *kinds = Some(fetch(api, api_version).await?);
        }
        Ok(match kinds.as_ref().and_then(|k| k.get(kind)) {
            Some((resource, namespaced)) => Resolved::Served {
                resource: resource.clone(),
                namespaced: *namespaced,
            },
            None => Resolved::NotServed,
        })
    }
}

async fn fetch(api: &ClusterApi, api_version: &str) -> Result<Kinds, ExecutorError> {
    let (group, version) = split_api_version(api_version);
    let gv = GroupVersion::gv(group, version);
    match kube::discovery::pinned_group(api.client(), &gv).await {
        Ok(group) => Ok(group
            .versioned_resources(version)
            .into_iter()
            .map(|(resource, caps)| {
                let namespaced = caps.scope == Scope::Namespaced;
                (resource.kind.clone(), (resource, namespaced))
            })
            .collect()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(Kinds::new()),
        Err(e) => Err(ExecutorError::Api {
            cluster: api.cluster.clone(),
            what: format!("discover {api_version}"),
            source: api_error(e),
        }),
    }
}

/// A kube error as an [`ApiError`], classified by status code.
pub(crate) fn api_error(error: kube::Error) -> ApiError {
    match error {
        kube::Error::Api(status) => ApiError {
            code: Some(status.code),
            message: status.message.clone(),
            status: serde_json::to_value(&*status).ok().map(Box::new),
            retry_after: None,
        },
        other => ApiError {
            code: None,
            message: other.to_string(),
            status: None,
            retry_after: None,
        },
    }
}
