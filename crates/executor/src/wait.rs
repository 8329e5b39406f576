//! Waiting for what the next node needs: a CRD Established, a Deployment or DaemonSet
//! rolled out, a LoadBalancer Service with an address. Each reads the object, then follows
//! it with a watch (so a rollout is seen when it happens, as `kubectl rollout status` sees
//! it, not at the next poll), polling with backoff where there is nothing to watch yet or
//! no watch to be had; the readiness checks themselves are pure functions of the live
//! object.

use crate::api::ClusterApi;
use crate::error::ExecutorError;
use futures_util::StreamExt;
use kube::core::{ApiResource, WatchEvent};
use meshctl_core::graph::{describe_pools, PoolRanges};
use serde_json::Value;
use std::time::{Duration, Instant};

/// First and largest pause between two polls.
const FIRST_POLL: Duration = Duration::from_millis(100);
const MAX_POLL: Duration = Duration::from_secs(5);

/// Whether a CRD's `Established` condition is `True`.
pub fn crd_established(crd: &Value) -> bool {
    condition_true(crd, "Established")
}

/// Whether a Deployment or DaemonSet has rolled out: the controller saw the current
/// generation and every replica is updated and available. `None` for other kinds.
pub fn rolled_out(object: &Value) -> Option<bool> {
    let kind = object.get("kind").and_then(Value::as_str)?;
    let status = object.get("status");
    let int = |pointer: &str| {
        status
            .and_then(|s| s.pointer(pointer))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let generation = object
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let observed = int("/observedGeneration") >= generation;
    match kind {
        "Deployment" => {
            let wanted = object
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            Some(
                observed
                    && int("/updatedReplicas") >= wanted
                    && int("/availableReplicas") >= wanted
                    && int("/replicas") == wanted,
            )
        }
        "DaemonSet" => {
            let wanted = int("/desiredNumberScheduled");
            Some(
                observed
                    && int("/updatedNumberScheduled") >= wanted
                    && int("/numberAvailable") >= wanted,
            )
        }
        _ => None,
    }
}

/// A LoadBalancer Service's first ingress address (IP or hostname).
pub fn load_balancer_address(service: &Value) -> Option<String> {
    let ingress = service
        .pointer("/status/loadBalancer/ingress")?
        .as_array()?
        .first()?;
    ingress
        .get("ip")
        .or_else(|| ingress.get("hostname"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Whether a LoadBalancer address lies in one of the cluster's pools; `Err` says which
/// pools and which address when it does not. No pools: any address holds.
pub fn address_in_pools(address: &str, pools: &[PoolRanges]) -> Result<(), String> {
    if pools.is_empty() {
        return Ok(());
    }
    let inside = address
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| pools.iter().any(|pool| pool.contains(ip)));
    if inside {
        Ok(())
    } else {
        Err(format!(
            "LoadBalancer address {address} is outside the cluster's pool{} {}: another \
             load balancer (or a pool edited outside meshctl) assigned it",
            if pools.len() == 1 { "" } else { "s" },
            describe_pools(pools)
        ))
    }
}

fn condition_true(object: &Value, kind: &str) -> bool {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// Waits until `ready` returns a value for the object, or the timeout passes: reads it,
/// then follows its changes with a watch. Where it does not exist yet (a mirror Service
/// the service mirror has still to make) or the watch is refused (no `watch` permission),
/// it reads again after a pause that grows from 0.1 s to 5 s.
pub async fn until<T>(
    api: &ClusterApi,
    resource: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    what: &str,
    timeout: Duration,
    ready: impl Fn(&Value) -> Option<T>,
) -> Result<T, ExecutorError> {
    let deadline = Instant::now() + timeout;
    let watch = Watch {
        api,
        resource,
        namespace,
        name,
    };
    let mut pause = FIRST_POLL;
    loop {
        // Read errors while waiting are treated like "not yet": the object or the
        // cluster may be settling; the timeout bounds it.
        let version = match api.get(resource, namespace, name).await {
            Ok(Some(object)) => {
                if let Some(value) = ready(&object) {
                    return Ok(value);
                }
                object
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            }
            _ => None,
        };
        if let Some(version) = version {
            let watched = Instant::now();
            match watch.follow(&version, deadline, &ready).await {
                Followed::Ready(value) => return Ok(value),
                // The server ended a watch that ran a while (its own timeout, or a
                // version it no longer keeps): read again and watch again.
                Followed::Ended if watched.elapsed() >= MIN_WATCH => {
                    pause = FIRST_POLL;
                    if Instant::now() < deadline {
                        continue;
                    }
                }
                // Refused, or ended at once (a proxy that closes it): poll.
                Followed::Ended | Followed::Refused => {}
            }
        }
        if Instant::now() + pause > deadline {
            return Err(ExecutorError::Timeout {
                cluster: api.cluster.clone(),
                what: what.to_string(),
                after: timeout,
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_POLL);
    }
}

/// A watch shorter than this is not trusted to be one (it is polled instead), so a
/// server or proxy that ends every watch at once cannot make the wait spin.
const MIN_WATCH: Duration = Duration::from_secs(1);

/// The object a wait follows.
struct Watch<'a> {
    api: &'a ClusterApi,
    resource: &'a ApiResource,
    namespace: Option<&'a str>,
    name: &'a str,
}

/// How following an object ended.
enum Followed<T> {
    Ready(T),
    /// The stream ended, broke off or reported an error, or the deadline came.
    Ended,
    /// No watch could be started.
    Refused,
}

impl Watch<'_> {
    /// Follows the object's changes after `version` until `ready` holds or `deadline`.
    async fn follow<T>(
        &self,
        version: &str,
        deadline: Instant,
        ready: &impl Fn(&Value) -> Option<T>,
    ) -> Followed<T> {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(mut events) = self
            .api
            .watch_one(self.resource, self.namespace, self.name, version, left)
            .await
        else {
            return Followed::Refused;
        };
        let following = async {
            while let Some(event) = events.next().await {
                match event {
                    Ok(WatchEvent::Added(object) | WatchEvent::Modified(object)) => {
                        if let Some(value) = ready(&object) {
                            return Followed::Ready(value);
                        }
                    }
                    Ok(WatchEvent::Deleted(_) | WatchEvent::Bookmark(_)) => {}
                    // A 410 Gone for a version the server no longer keeps, or the stream
                    // broke: the caller reads again.
                    Ok(WatchEvent::Error(_)) | Err(_) => return Followed::Ended,
                }
            }
            Followed::Ended
        };
        tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), following)
            .await
            .unwrap_or(Followed::Ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_crd_is_established_by_its_condition() {
        let crd = json!({"status": {"conditions": [
            {"type": "NamesAccepted", "status": "True"},
            {"type": "Established", "status": "True"}]}});
        assert!(crd_established(&crd));
        let pending =
            json!({"status": {"conditions": [{"type": "Established", "status": "False"}]}});
        assert!(!crd_established(&pending));
        assert!(!crd_established(&json!({})));
    }

    #[test]
    fn a_deployment_is_rolled_out_when_current_and_available() {
        let mut d = json!({"kind": "Deployment", "metadata": {"generation": 2},
            "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
        assert_eq!(rolled_out(&d), Some(true));
        d["status"]["observedGeneration"] = json!(1);
        assert_eq!(rolled_out(&d), Some(false), "old generation");
        d["status"]["observedGeneration"] = json!(2);
        d["status"]["availableReplicas"] = json!(1);
        assert_eq!(rolled_out(&d), Some(false), "one not available");
        assert_eq!(rolled_out(&json!({"kind": "Service"})), None);
    }

    #[test]
    fn a_daemonset_is_rolled_out_when_every_node_runs_it() {
        let ds = json!({"kind": "DaemonSet", "metadata": {"generation": 1},
            "status": {"observedGeneration": 1, "desiredNumberScheduled": 3,
                       "updatedNumberScheduled": 3, "numberAvailable": 2}});
        assert_eq!(rolled_out(&ds), Some(false));
    }

    #[test]
    fn an_address_outside_every_pool_names_them_and_itself() {
        let pools = [PoolRanges {
            name: "first-pool".into(),
            ranges: vec!["172.17.0.61-172.17.0.70".into()],
        }];
        assert_eq!(address_in_pools("172.17.0.65", &pools), Ok(()));
        let error = address_in_pools("172.18.0.5", &pools).unwrap_err();
        assert!(
            error.contains("172.18.0.5") && error.contains("first-pool (172.17.0.61-172.17.0.70)"),
            "{error}"
        );
        assert!(address_in_pools("gw.example.com", &pools).is_err());
        assert_eq!(address_in_pools("1.2.3.4", &[]), Ok(()));
    }

    #[test]
    fn the_load_balancer_address_is_the_first_ingress() {
        let svc = json!({"status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.61"}]}}});
        assert_eq!(load_balancer_address(&svc).as_deref(), Some("172.18.0.61"));
        assert_eq!(load_balancer_address(&json!({"status": {}})), None);
    }
}
