//! The checks themselves, cluster by cluster, then link by link, export by export and split
//! by split — the order a person debugging the walkthrough would follow.

use super::snapshot::{ClusterObjects, LINKERD_NS, MULTICLUSTER_NS, SMI_NS, VIZ_NS};
use super::{CertificateJudge, CheckResult, Outcome, Snapshot, EXPIRY_WARNING_DAYS};
use crate::topology::units::AddressRange;
use crate::topology::{Cluster, Link, Topology};
use base64::Engine;
use serde_json::Value;
use std::net::IpAddr;

/// The port every mirrored Service's Endpoints point at: the remote gateway's.
const GATEWAY_PORT: i64 = 4143;
const GATEWAY_SERVICE: &str = "linkerd-gateway";
const CONTROL_PLANE: [&str; 3] = [
    "linkerd-identity",
    "linkerd-destination",
    "linkerd-proxy-injector",
];

/// Runs every check of `topology` against what was read. `anchor_pem` is the topology's
/// own trust anchor (from its state directory or files) when the caller has it; without it,
/// clusters are compared with each other only.
pub fn run(
    topology: &Topology,
    snapshot: &Snapshot,
    anchor_pem: Option<&str>,
    judge: &dyn CertificateJudge,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let linkerd = topology.spec.mesh.linkerd.is_some();
    for cluster in &topology.spec.clusters {
        let mut check = Checker::new(&mut out, &cluster.name);
        let objects = match snapshot.cluster(&cluster.name) {
            Ok(objects) => objects,
            Err(why) => {
                check.fail(
                    "cluster is reachable",
                    why,
                    format!(
                        "check that context {} exists in your kubeconfig and the cluster is running",
                        cluster.context()
                    ),
                );
                continue;
            }
        };
        check.pass(
            "cluster is reachable",
            format!("context {}", cluster.context()),
        );
        if linkerd {
            control_plane(&mut check, objects);
            extensions(&mut check, topology, objects);
            trust(&mut check, objects, anchor_pem, judge);
        }
        if topology.spec.mesh.multicluster_enabled() {
            gateway(&mut check, cluster, objects);
        }
    }
    if topology.spec.mesh.multicluster_enabled() {
        for link in &topology.spec.links {
            links(&mut out, topology, snapshot, link, judge);
        }
        mirrors(&mut out, topology, snapshot);
    }
    splits(&mut out, topology, snapshot);
    out
}

/// Collects results for one cluster (or none).
struct Checker<'a> {
    out: &'a mut Vec<CheckResult>,
    cluster: Option<String>,
}

impl<'a> Checker<'a> {
    fn new(out: &'a mut Vec<CheckResult>, cluster: &str) -> Self {
        Checker {
            out,
            cluster: Some(cluster.to_string()),
        }
    }

    fn push(&mut self, check: String, outcome: Outcome, detail: String, hint: Option<String>) {
        self.out.push(CheckResult {
            cluster: self.cluster.clone(),
            check,
            outcome,
            detail,
            hint,
        });
    }

    fn pass(&mut self, check: impl Into<String>, detail: impl Into<String>) {
        self.push(check.into(), Outcome::Pass, detail.into(), None);
    }

    fn warn(
        &mut self,
        check: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(
            check.into(),
            Outcome::Warn,
            detail.into(),
            Some(hint.into()),
        );
    }

    fn fail(
        &mut self,
        check: impl Into<String>,
        detail: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.push(
            check.into(),
            Outcome::Fail,
            detail.into(),
            Some(hint.into()),
        );
    }
}

const APPLY_HINT: &str = "run `meshctl apply` to create or repair it";

fn control_plane(check: &mut Checker, objects: &ClusterObjects) {
    let name = "linkerd control plane is available";
    let missing: Vec<String> = CONTROL_PLANE
        .iter()
        .filter_map(|d| deployment_problem(objects, LINKERD_NS, d))
        .collect();
    if missing.is_empty() {
        check.pass(name, CONTROL_PLANE.join(", "));
    } else {
        check.fail(name, missing.join("; "), APPLY_HINT);
    }
}

fn extensions(check: &mut Checker, topology: &Topology, objects: &ClusterObjects) {
    let Some(linkerd) = &topology.spec.mesh.linkerd else {
        return;
    };
    let wanted = [
        ("viz", VIZ_NS, linkerd.extensions.viz.is_some()),
        (
            "multicluster",
            MULTICLUSTER_NS,
            topology.spec.mesh.multicluster_enabled(),
        ),
        ("smi", SMI_NS, linkerd.extensions.smi.is_some()),
    ];
    for (extension, namespace, enabled) in wanted {
        if !enabled {
            continue;
        }
        let name = format!("linkerd {extension} extension is available");
        if let Some(why) = objects.failure("Deployment", namespace) {
            check.fail(
                name,
                format!("could not list Deployments in {namespace}: {why}"),
                APPLY_HINT,
            );
            continue;
        }
        let deployments: Vec<&Value> = objects.all("Deployment", namespace).collect();
        if deployments.is_empty() {
            check.fail(
                name,
                format!("no Deployments in namespace {namespace}"),
                APPLY_HINT,
            );
            continue;
        }
        let problems: Vec<String> = deployments
            .iter()
            .filter_map(|d| {
                let name = d["metadata"]["name"].as_str().unwrap_or_default();
                deployment_problem(objects, namespace, name)
            })
            .collect();
        if problems.is_empty() {
            check.pass(
                name,
                format!("{} Deployments in {namespace}", deployments.len()),
            );
        } else {
            check.fail(
                name,
                problems.join("; "),
                "wait for the rollout, or look at `kubectl describe` of the Deployment",
            );
        }
    }
}

/// `None` when the Deployment exists and has an available replica.
fn deployment_problem(objects: &ClusterObjects, namespace: &str, name: &str) -> Option<String> {
    let Some(deployment) = objects.get("Deployment", namespace, name) else {
        return Some(format!("Deployment {namespace}/{name} not found"));
    };
    let available = deployment["status"]["availableReplicas"]
        .as_i64()
        .unwrap_or(0);
    (available < 1).then(|| format!("Deployment {namespace}/{name} has no available replica"))
}

/// The trust anchors a cluster's proxies use (`linkerd-identity-trust-roots`) and the ones
/// `linkerd multicluster check` compares (`linkerd-config`), which can differ (#11668).
fn cluster_anchors(objects: &ClusterObjects) -> Result<String, String> {
    let roots = objects
        .get("ConfigMap", LINKERD_NS, "linkerd-identity-trust-roots")
        .and_then(|c| c["data"]["ca-bundle.crt"].as_str())
        .ok_or("ConfigMap linkerd/linkerd-identity-trust-roots has no ca-bundle.crt")?;
    Ok(roots.to_string())
}

fn config_anchors(objects: &ClusterObjects) -> Option<String> {
    let values = objects
        .get("ConfigMap", LINKERD_NS, "linkerd-config")?
        .get("data")?
        .get("values")?
        .as_str()?;
    let values: serde_yaml::Value = serde_yaml::from_str(values).ok()?;
    values
        .get("identityTrustAnchorsPEM")?
        .as_str()
        .map(str::to_string)
}

fn trust(
    check: &mut Checker,
    objects: &ClusterObjects,
    anchor_pem: Option<&str>,
    judge: &dyn CertificateJudge,
) {
    let name = "trust anchor is the topology's";
    let anchors = match cluster_anchors(objects) {
        Ok(anchors) => anchors,
        Err(why) => {
            check.fail(name, why, APPLY_HINT);
            return;
        }
    };
    if let Some(expected) = anchor_pem {
        match judge.same_certificates(&anchors, expected) {
            Ok(true) => check.pass(name, "linkerd-identity-trust-roots holds the topology's anchor"),
            Ok(false) => check.fail(
                name,
                "linkerd-identity-trust-roots holds a different trust anchor than the topology's",
                "this cluster's proxies will not trust the others: reinstall its control plane with the topology's anchor (`meshctl apply`), then restart meshed pods",
            ),
            Err(why) => check.fail(name, format!("linkerd-identity-trust-roots: {why}"), APPLY_HINT),
        }
        // linkerd-config is what `linkerd multicluster check` reads; a stale copy there
        // fails Linkerd's own check even when proxies are fine.
        if let Some(config) = config_anchors(objects) {
            if judge.same_certificates(&config, expected) != Ok(true) {
                check.warn(
                    "linkerd-config lists the topology's trust anchor",
                    "identityTrustAnchorsPEM in linkerd-config differs from the topology's anchor",
                    "`linkerd multicluster check` will report this cluster; re-render the control plane with `meshctl apply`",
                );
            }
        }
    }
    let issuer_name = "issuer certificate chains to the trust anchor";
    let issuer = objects
        .get("Secret", LINKERD_NS, "linkerd-identity-issuer")
        .and_then(|s| s["data"]["crt.pem"].as_str())
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some(issuer) = issuer else {
        check.fail(
            issuer_name,
            "Secret linkerd/linkerd-identity-issuer has no readable crt.pem",
            APPLY_HINT,
        );
        return;
    };
    match judge.issuer_days_left(&issuer, &anchors) {
        Ok(days) if days < EXPIRY_WARNING_DAYS => check.warn(
            issuer_name,
            format!("the issuer expires in {days} days"),
            "rotate it with `meshctl certs rotate-issuer` and `meshctl apply`",
        ),
        Ok(days) => check.pass(issuer_name, format!("valid for {days} more days")),
        Err(why) => check.fail(
            issuer_name,
            why,
            "the control plane cannot issue identities: re-apply the topology's issuer with `meshctl apply`",
        ),
    }
}

/// The gateway's LoadBalancer addresses, or why there are none.
fn gateway_addresses(objects: &ClusterObjects) -> Result<Vec<IpAddr>, String> {
    let service = objects
        .get("Service", MULTICLUSTER_NS, GATEWAY_SERVICE)
        .ok_or("Service linkerd-multicluster/linkerd-gateway not found")?;
    let addresses: Vec<IpAddr> = service["status"]["loadBalancer"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["ip"].as_str())
        .filter_map(|ip| ip.parse().ok())
        .collect();
    if addresses.is_empty() {
        return Err("linkerd-gateway has no LoadBalancer address yet".into());
    }
    Ok(addresses)
}

fn gateway(check: &mut Checker, cluster: &Cluster, objects: &ClusterObjects) {
    let name = "gateway has an address from this cluster's pool";
    let addresses = match gateway_addresses(objects) {
        Ok(addresses) => addresses,
        Err(why) => {
            check.fail(name, why, "check that MetalLB runs and its pool has free addresses (`kubectl -n metallb-system get ipaddresspools`)");
            return;
        }
    };
    let pools: Vec<(&str, AddressRange)> = cluster
        .load_balancer
        .iter()
        .flat_map(|lb| &lb.pools)
        .flat_map(|p| {
            p.addresses
                .iter()
                .filter_map(|a| a.get())
                .map(|r| (p.name.as_str(), *r))
        })
        .collect();
    for address in addresses {
        let single = AddressRange {
            first: address,
            last: address,
        };
        match pools.iter().find(|(_, range)| range.overlaps(&single)) {
            Some((pool, _)) => check.pass(name, format!("{address} (pool {pool})")),
            None if pools.is_empty() => check.pass(name, address.to_string()),
            None => check.fail(
                name,
                format!("{address} is in none of this cluster's pools"),
                "another load balancer or an overlapping pool handed it out; fix the pools so each cluster's are its own",
            ),
        }
    }
}

fn links(
    out: &mut Vec<CheckResult>,
    topology: &Topology,
    snapshot: &Snapshot,
    link: &Link,
    judge: &dyn CertificateJudge,
) {
    let name = link.cluster_name(topology);
    let mut check = Checker::new(out, &link.source);
    let (Ok(source), target) = (
        snapshot.cluster(&link.source),
        snapshot.cluster(&link.target),
    ) else {
        return; // reported as unreachable above
    };
    let target_gateway = target.as_ref().ok().map(|t| gateway_addresses(t));
    // The Link.
    let link_check = format!("Link {name} points at {}'s gateway", link.target);
    match source.get("Link", MULTICLUSTER_NS, &name) {
        None => check.fail(
            link_check,
            format!("Link linkerd-multicluster/{name} not found"),
            APPLY_HINT,
        ),
        Some(found) => {
            let address = found["spec"]["gatewayAddress"].as_str().unwrap_or_default();
            let port = found["spec"]["gatewayPort"].as_str().unwrap_or_default();
            match &target_gateway {
                Some(Ok(ips)) => {
                    let wanted: Vec<String> = ips.iter().map(IpAddr::to_string).collect();
                    let got: Vec<&str> = address.split(',').map(str::trim).collect();
                    if wanted.iter().all(|w| got.contains(&w.as_str()))
                        && port == GATEWAY_PORT.to_string()
                    {
                        check.pass(link_check, format!("{address}:{port}"));
                    } else {
                        check.fail(
                            link_check,
                            format!("Link says {address}:{port}, {}'s gateway is {}:{GATEWAY_PORT}", link.target, wanted.join(",")),
                            "the gateway address changed since the link was made: `meshctl apply` re-links",
                        );
                    }
                }
                _ => check.warn(
                    link_check,
                    format!(
                        "Link says {address}:{port}; {}'s gateway could not be read",
                        link.target
                    ),
                    "check the target cluster first",
                ),
            }
        }
    }
    // The service mirror, with a proxy (#10751).
    let mirror = format!("linkerd-service-mirror-{name}");
    let mirror_check = format!("service mirror for {name} is running with a proxy");
    match deployment_problem(source, MULTICLUSTER_NS, &mirror) {
        Some(problem) => check.fail(mirror_check, problem, APPLY_HINT),
        None => {
            let injected = source
                .get("Deployment", MULTICLUSTER_NS, &mirror)
                .map(|d| &d["spec"]["template"]["metadata"]["annotations"]["linkerd.io/inject"])
                .is_some_and(|v| v == "enabled");
            if injected {
                check.pass(mirror_check, mirror);
            } else {
                check.fail(mirror_check, format!("{mirror} is not annotated linkerd.io/inject: enabled"), "without a proxy it cannot reach the remote gateway; re-link with `meshctl apply`");
            }
        }
    }
    // The probe endpoints, written by the service mirror.
    let probe = format!("probe-gateway-{name}");
    let probe_check = format!("probe endpoints for {name} are present");
    let probe_addresses = source
        .get("Endpoints", MULTICLUSTER_NS, &probe)
        .map(endpoint_addresses)
        .unwrap_or_default();
    if probe_addresses.is_empty() {
        check.fail(
            probe_check,
            format!("Endpoints linkerd-multicluster/{probe} missing or empty"),
            "the service mirror has not reached the remote gateway yet; look at its logs",
        );
    } else {
        check.pass(probe_check, probe_addresses.join(","));
    }
    // The credentials: the server must be reachable from the other cluster (#5373).
    let credentials_check = format!("credentials for {name} do not point at a loopback address");
    match credentials_server(source, &name) {
        Ok(server) if is_loopback_server(&server) => check.fail(
            credentials_check,
            format!("the remote kubeconfig's server is {server}"),
            match topology.cluster(&link.target).map(|c| c.provider) {
                // meshctl's own links to kind clusters carry the docker-network address.
                Some(crate::topology::Provider::Kind) => "`meshctl apply` renders the link again with the cluster's API server address on the docker network".to_string(),
                _ => format!("the kubeconfig context of cluster {} points at a loopback address: give it one the other cluster can reach, then `meshctl apply`", link.target),
            },
        ),
        Ok(server) => check.pass(credentials_check, server),
        Err(why) => check.fail(credentials_check, why, APPLY_HINT),
    }
    // Shared trust anchors between the two ends.
    if let Ok(target) = target {
        let shared_check = format!("{} and {} share trust anchors", link.source, link.target);
        match (cluster_anchors(source), cluster_anchors(target)) {
            (Ok(a), Ok(b)) => match judge.same_certificates(&a, &b) {
                Ok(true) => check.pass(shared_check, ""),
                Ok(false) => check.fail(shared_check, format!("{} runs a different trust anchor", link.target), "mTLS between the clusters fails: install both control planes from the topology's anchor"),
                Err(why) => check.fail(shared_check, why, APPLY_HINT),
            },
            (Err(why), _) | (_, Err(why)) => check.fail(shared_check, why, APPLY_HINT),
        }
    }
}

fn endpoint_addresses(endpoints: &Value) -> Vec<String> {
    endpoints["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| {
            ["addresses", "notReadyAddresses"]
                .into_iter()
                .flat_map(move |key| s[key].as_array().into_iter().flatten())
        })
        .filter_map(|a| a["ip"].as_str().map(str::to_string))
        .collect()
}

fn endpoint_ports(endpoints: &Value) -> Vec<i64> {
    endpoints["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["ports"].as_array().into_iter().flatten())
        .filter_map(|p| p["port"].as_i64())
        .collect()
}

fn credentials_server(objects: &ClusterObjects, name: &str) -> Result<String, String> {
    let secret_name = format!("cluster-credentials-{name}");
    let secret = objects
        .get("Secret", MULTICLUSTER_NS, &secret_name)
        .ok_or_else(|| format!("Secret linkerd-multicluster/{secret_name} not found"))?;
    let kubeconfig = secret["data"]["kubeconfig"]
        .as_str()
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| format!("Secret {secret_name} has no readable kubeconfig"))?;
    let parsed: serde_yaml::Value = serde_yaml::from_str(&kubeconfig)
        .map_err(|_| format!("Secret {secret_name} holds a kubeconfig that does not parse"))?;
    parsed["clusters"][0]["cluster"]["server"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("the kubeconfig in Secret {secret_name} names no server"))
}

fn is_loopback_server(server: &str) -> bool {
    let authority = server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host == "localhost"
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// Every exported Service mirrored by every link into its source, with Endpoints on the
/// remote gateway's address and port 4143.
fn mirrors(out: &mut Vec<CheckResult>, topology: &Topology, snapshot: &Snapshot) {
    for link in &topology.spec.links {
        let name = link.cluster_name(topology);
        let (Ok(source), Ok(target)) = (
            snapshot.cluster(&link.source),
            snapshot.cluster(&link.target),
        ) else {
            continue;
        };
        let gateway: Vec<String> = gateway_addresses(target)
            .map(|ips| ips.iter().map(IpAddr::to_string).collect())
            .unwrap_or_default();
        let mut check = Checker::new(out, &link.source);
        for export in topology
            .spec
            .exports
            .iter()
            .filter(|e| e.clusters.contains(&link.target))
        {
            let mirror = format!("{}-{name}", export.service);
            let what = format!(
                "mirror {}/{mirror} points at {}'s gateway",
                export.namespace, link.target
            );
            if source.get("Service", &export.namespace, &mirror).is_none() {
                check.fail(what, format!("Service {}/{mirror} not found", export.namespace), format!("check that {} exports {} (label mirror.linkerd.io/exported=true) and namespace {} exists in {}", link.target, export.service, export.namespace, link.source));
                continue;
            }
            let endpoints = source.get("Endpoints", &export.namespace, &mirror);
            let addresses = endpoints.map(endpoint_addresses).unwrap_or_default();
            let ports = endpoints.map(endpoint_ports).unwrap_or_default();
            if addresses.is_empty() {
                check.fail(
                    what,
                    "no endpoints",
                    format!(
                        "the remote {} has no ready pods, or the service mirror is not running",
                        export.service
                    ),
                );
            } else if !gateway.is_empty() && addresses.iter().any(|a| !gateway.contains(a)) {
                check.fail(
                    what,
                    format!(
                        "endpoints {} but the gateway is {}",
                        addresses.join(","),
                        gateway.join(",")
                    ),
                    "the Link is stale: `meshctl apply` re-links",
                );
            } else if ports.iter().any(|p| *p != GATEWAY_PORT) {
                check.fail(
                    what,
                    format!("endpoint ports {ports:?}, expected {GATEWAY_PORT}"),
                    "the Link's gatewayPort is wrong: `meshctl apply` re-links",
                );
            } else {
                check.pass(what, format!("{}:{GATEWAY_PORT}", addresses.join(",")));
            }
        }
    }
}

/// Each TrafficSplit exists with the topology's weights, and every backend Service exists.
fn splits(out: &mut Vec<CheckResult>, topology: &Topology, snapshot: &Snapshot) {
    for split in &topology.spec.splits {
        let Ok(objects) = snapshot.cluster(&split.cluster) else {
            continue;
        };
        let mut check = Checker::new(out, &split.cluster);
        let what = format!(
            "TrafficSplit {}/{} backends exist",
            split.namespace,
            split.name()
        );
        if objects
            .get("TrafficSplit", &split.namespace, split.name())
            .is_none()
        {
            check.fail(what, "TrafficSplit not found", APPLY_HINT);
            continue;
        }
        let missing: Vec<String> = split
            .backends
            .iter()
            .filter_map(|b| topology.backend_service_name(split, b))
            .filter(|service| objects.get("Service", &split.namespace, service).is_none())
            .collect();
        if missing.is_empty() {
            check.pass(what, "");
        } else {
            check.fail(what, format!("missing Service {}", missing.join(", ")), "a missing mirror means the link or the export is not working; see the checks above");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_are_recognised() {
        assert!(is_loopback_server("https://127.0.0.1:6443"));
        assert!(is_loopback_server("https://localhost:6443"));
        assert!(is_loopback_server("https://0.0.0.0:6443"));
        assert!(is_loopback_server("https://[::1]:6443"));
        assert!(!is_loopback_server("https://192.168.1.61:6443"));
        assert!(!is_loopback_server("https://kind-demo-control-plane:6443"));
    }
}
