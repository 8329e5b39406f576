//! A simulated Linkerd service mirror (2.13), since no real controller runs: every ~50 ms,
//! for every Link in every known cluster (the source), Services of the target cluster that
//! match the Link's selector become `<svc>-<targetClusterName>` Services and Endpoints in
//! the source (same namespace, only when it exists there), pointing at the Link's gateway
//! address and port; `probe-gateway-<target>` Endpoints are written too. Mirrors whose
//! export or Link went away are deleted. Objects are written only when they change, so a
//! settled mirror adds no writes.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, ToSocketAddrs};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::{output, store, Shared};
use crate::FakeCluster;

const MANAGER: &str = "service-mirror";
const PERIOD: Duration = Duration::from_millis(50);

/// The background thread; stops when dropped.
pub(crate) struct MirrorLoop {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MirrorLoop {
    pub(crate) fn start(shared: Arc<Shared>) -> io::Result<MirrorLoop> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-service-mirror".into())
            .spawn(move || {
                // Any message, or the sender dropping, stops the loop.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PERIOD) {
                    sync(&shared);
                }
            })?;
        Ok(MirrorLoop {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for MirrorLoop {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One pass over every cluster.
pub(crate) fn sync(shared: &Shared) {
    let clusters = shared.all_clusters();
    for (_, source) in &clusters {
        sync_source(shared, &clusters, source);
    }
}

/// A Link's fields, all required strings (as `pkg/multicluster/link.go` insists).
struct Link {
    namespace: String,
    target_name: String,
    target_domain: String,
    credentials: String,
    gateway_addresses: Vec<String>,
    gateway_port: u64,
    gateway_identity: String,
    probe_port: u64,
    selector: Map<String, Value>,
}

fn parse_link(link: &Value) -> Option<Link> {
    let field = |name: &str| {
        link.pointer(&format!("/spec/{name}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let addresses = field("gatewayAddress")?;
    Some(Link {
        namespace: link
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)?
            .to_string(),
        target_name: field("targetClusterName")?,
        target_domain: field("targetClusterDomain")?,
        credentials: field("clusterCredentialsSecret")?,
        gateway_addresses: addresses
            .split(',')
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect(),
        gateway_port: field("gatewayPort")?.parse().ok()?,
        gateway_identity: field("gatewayIdentity")?,
        probe_port: link
            .pointer("/spec/probeSpec/port")
            .and_then(Value::as_str)?
            .parse()
            .ok()?,
        selector: link
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    })
}

/// The target of a Link: the server in its credentials Secret, else the kind cluster
/// named by `targetClusterName` (`kind-<x>` or `<x>`).
fn target_of(
    shared: &Shared,
    clusters: &[(String, Arc<FakeCluster>)],
    source: &FakeCluster,
    link: &Link,
) -> Option<Arc<FakeCluster>> {
    let from_secret = store::get(
        source,
        "v1",
        "Secret",
        Some(&link.namespace),
        &link.credentials,
    )
    .and_then(|secret| {
        secret
            .pointer("/data/kubeconfig")
            .and_then(Value::as_str)
            .and_then(output::unb64)
    })
    .and_then(|bytes| serde_yaml::from_slice::<Value>(&bytes).ok())
    .and_then(|config| {
        let current = config.get("current-context")?.as_str()?.to_string();
        let context = config
            .get("contexts")?
            .as_array()?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(current.as_str()))?;
        let cluster_name = context.pointer("/context/cluster")?.as_str()?;
        let cluster = config
            .get("clusters")?
            .as_array()?
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(cluster_name))?;
        cluster
            .pointer("/cluster/server")?
            .as_str()
            .map(str::to_string)
    })
    .and_then(|server| shared.cluster_at(&server).map(|(_, c)| c));
    from_secret.or_else(|| {
        let short = link
            .target_name
            .strip_prefix("kind-")
            .unwrap_or(&link.target_name);
        clusters
            .iter()
            .find(|(name, _)| name == short || *name == link.target_name)
            .map(|(_, c)| c.clone())
    })
}

fn sync_source(shared: &Shared, clusters: &[(String, Arc<FakeCluster>)], source: &FakeCluster) {
    let links: Vec<Link> = store::list(source, "multicluster.linkerd.io/v1alpha1", "Link")
        .iter()
        .filter_map(parse_link)
        .collect();
    // (namespace, name) of every mirror Service/Endpoints and probe Endpoints that should exist.
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut unreachable_targets: BTreeSet<String> = BTreeSet::new();
    for link in &links {
        let addresses = resolve(&link.gateway_addresses);
        let probe = (
            link.namespace.clone(),
            format!("probe-gateway-{}", link.target_name),
        );
        write_if_changed(
            source,
            json!({
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {
                    "name": probe.1,
                    "namespace": probe.0,
                    "labels": {"mirror.linkerd.io/cluster-name": link.target_name},
                    "annotations": {"mirror.linkerd.io/remote-gateway-identity": link.gateway_identity},
                },
                "subsets": subsets(&addresses, vec![json!({"name": "mc-probe", "port": link.probe_port, "protocol": "TCP"})]),
            }),
        );
        wanted.insert(probe);
        let Some(target) = target_of(shared, clusters, source, link) else {
            // Like the real controller, keep existing mirrors while the target is unreachable.
            unreachable_targets.insert(link.target_name.clone());
            continue;
        };
        for remote in store::list(&target, "v1", "Service") {
            if !matches(&remote, &link.selector) {
                continue;
            }
            let (Some(namespace), Some(name)) = (
                remote
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str),
                remote.pointer("/metadata/name").and_then(Value::as_str),
            ) else {
                continue;
            };
            if !store::namespace_exists(source, namespace) {
                continue; // "Skipped mirroring service: namespace does not exist"
            }
            let mirror = format!("{name}-{}", link.target_name);
            let fq_name = format!("{name}.{namespace}.svc.{}", link.target_domain);
            let mut labels: Map<String, Value> = remote
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|l| {
                    l.iter()
                        .filter(|(k, _)| !k.starts_with("mirror.linkerd.io"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            labels.insert("mirror.linkerd.io/mirrored-service".into(), json!("true"));
            labels.insert(
                "mirror.linkerd.io/cluster-name".into(),
                json!(link.target_name),
            );
            let mut annotations: Map<String, Value> = remote
                .pointer("/metadata/annotations")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            annotations.insert(
                "mirror.linkerd.io/remote-resource-version".into(),
                remote
                    .pointer("/metadata/resourceVersion")
                    .cloned()
                    .unwrap_or(json!("")),
            );
            annotations.insert(
                "mirror.linkerd.io/remote-svc-fq-name".into(),
                json!(fq_name),
            );
            let remote_ports: Vec<Value> = remote
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let ports: Vec<Value> = remote_ports.iter().map(service_port).collect();
            write_if_changed(
                source,
                json!({
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": mirror, "namespace": namespace, "labels": labels, "annotations": annotations},
                    "spec": {"ports": ports},
                }),
            );
            let endpoint_ports: Vec<Value> = remote_ports
                .iter()
                .map(|p| {
                    let mut port = json!({"port": link.gateway_port, "protocol": p.get("protocol").cloned().unwrap_or(json!("TCP"))});
                    if let Some(name) = p.get("name") {
                        port["name"] = name.clone();
                    }
                    port
                })
                .collect();
            // No ready endpoints behind the remote Service → no subsets in the mirror.
            let remote_ready = store::get(&target, "v1", "Endpoints", Some(namespace), name)
                .is_none_or(|eps| has_addresses(&eps));
            write_if_changed(
                source,
                json!({
                    "apiVersion": "v1",
                    "kind": "Endpoints",
                    "metadata": {
                        "name": mirror,
                        "namespace": namespace,
                        "labels": {"mirror.linkerd.io/mirrored-service": "true", "mirror.linkerd.io/cluster-name": link.target_name},
                        "annotations": {"mirror.linkerd.io/remote-svc-fq-name": fq_name, "mirror.linkerd.io/remote-gateway-identity": link.gateway_identity},
                    },
                    "subsets": if remote_ready { subsets(&addresses, endpoint_ports) } else { json!([]) },
                }),
            );
            wanted.insert((namespace.to_string(), mirror));
        }
    }
    // Remove mirrors nobody wants any more.
    for kind in ["Service", "Endpoints"] {
        for object in store::list(source, "v1", kind) {
            let label = |key: &str| {
                object
                    .pointer(&format!("/metadata/labels/{}", key.replace('/', "~1")))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            let Some(cluster_name) = label("mirror.linkerd.io/cluster-name") else {
                continue;
            };
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let namespace = object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let is_mirror = label("mirror.linkerd.io/mirrored-service").as_deref() == Some("true");
            let is_probe = kind == "Endpoints" && name.starts_with("probe-gateway-");
            if !(is_mirror || is_probe) || unreachable_targets.contains(&cluster_name) {
                continue;
            }
            if !wanted.contains(&(namespace.clone(), name.clone())) {
                store::delete(source, "v1", kind, Some(&namespace), &name);
            }
        }
    }
}

fn matches(service: &Value, selector: &Map<String, Value>) -> bool {
    !selector.is_empty()
        && selector.iter().all(|(key, value)| {
            service.pointer(&format!(
                "/metadata/labels/{}",
                key.replace('~', "~0").replace('/', "~1")
            )) == Some(value)
        })
}

fn has_addresses(endpoints: &Value) -> bool {
    endpoints
        .get("subsets")
        .and_then(Value::as_array)
        .is_some_and(|subsets| {
            subsets.iter().any(|s| {
                s.get("addresses")
                    .and_then(Value::as_array)
                    .is_some_and(|a| !a.is_empty())
            })
        })
}

/// The remote port as the API server stores it: protocol and targetPort defaulted.
fn service_port(port: &Value) -> Value {
    let mut out = json!({
        "port": port.get("port").cloned().unwrap_or(json!(0)),
        "protocol": port.get("protocol").cloned().unwrap_or(json!("TCP")),
        "targetPort": port.get("targetPort").or_else(|| port.get("port")).cloned().unwrap_or(json!(0)),
    });
    if let Some(name) = port.get("name") {
        out["name"] = name.clone();
    }
    out
}

fn subsets(addresses: &[IpAddr], ports: Vec<Value>) -> Value {
    if addresses.is_empty() {
        return json!([]);
    }
    json!([{"addresses": addresses.iter().map(|ip| json!({"ip": ip.to_string()})).collect::<Vec<_>>(), "ports": ports}])
}

/// Gateway addresses as IPs: literal IPs as they are, hostnames through DNS.
fn resolve(addresses: &[String]) -> Vec<IpAddr> {
    let mut ips = Vec::new();
    for address in addresses {
        match address.parse::<IpAddr>() {
            Ok(ip) => ips.push(ip),
            Err(_) => {
                if let Ok(resolved) = (address.as_str(), 0).to_socket_addrs() {
                    ips.extend(resolved.map(|a| a.ip()).take(1));
                }
            }
        }
    }
    ips
}

/// Applies `desired` unless the stored object already carries the same labels,
/// annotations and body.
fn write_if_changed(cluster: &FakeCluster, desired: Value) {
    let field = |p: &str| {
        desired
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (kind, namespace, name) = (
        field("/kind"),
        field("/metadata/namespace"),
        field("/metadata/name"),
    );
    if let Some(existing) = store::get(cluster, "v1", &kind, Some(&namespace), &name) {
        let same = |pointer: &str| {
            existing.pointer(pointer).cloned().unwrap_or(Value::Null)
                == desired.pointer(pointer).cloned().unwrap_or(Value::Null)
        };
        let annotations_same = desired
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .is_none_or(|wanted| {
                wanted.iter().all(|(k, v)| {
                    existing
                        .pointer("/metadata/annotations")
                        .and_then(|a| a.get(k))
                        == Some(v)
                })
            });
        let body_same = match kind.as_str() {
            "Service" => {
                let projected: Vec<Value> = existing
                    .pointer("/spec/ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(service_port)
                    .collect();
                Some(&Value::Array(projected)) == desired.pointer("/spec/ports")
            }
            _ => {
                let empty = |v: Option<&Value>| {
                    v.is_none_or(|v| v.as_array().is_some_and(Vec::is_empty) || v.is_null())
                };
                same("/subsets")
                    || (empty(existing.get("subsets")) && empty(desired.get("subsets")))
            }
        };
        if same("/metadata/labels") && annotations_same && body_same {
            return;
        }
    }
    let _ = store::apply(cluster, MANAGER, &desired);
}
