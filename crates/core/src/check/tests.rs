//! The checks against hand-built snapshots of the walkthrough: healthy, then broken one
//! way at a time.

use super::*;
use crate::topology::{load_str, Topology};
use base64::Engine;
use serde_json::{json, Value};

const ANCHOR: &str = "-----BEGIN CERTIFICATE-----\nQU5DSE9S\n-----END CERTIFICATE-----\n";
const OTHER_ANCHOR: &str = "-----BEGIN CERTIFICATE-----\nT1RIRVI=\n-----END CERTIFICATE-----\n";
const ISSUER: &str = "-----BEGIN CERTIFICATE-----\nSVNTVUVS\n-----END CERTIFICATE-----\n";

/// Compares PEM text without whitespace; the issuer "chains" when the anchors are ANCHOR.
struct TextJudge;

impl CertificateJudge for TextJudge {
    fn same_certificates(&self, a: &str, b: &str) -> Result<bool, String> {
        let norm = |s: &str| s.split_whitespace().collect::<String>();
        Ok(norm(a) == norm(b))
    }
    fn issuer_days_left(&self, issuer: &str, anchors: &str) -> Result<i64, String> {
        if issuer != ISSUER {
            return Err("not an issuer".into());
        }
        if self.same_certificates(anchors, ANCHOR)? {
            Ok(300)
        } else {
            Err("x509: certificate signed by unknown authority".into())
        }
    }
}

fn topology() -> Topology {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../topology.example.yaml"
    ))
    .expect("example topology");
    load_str(&text).expect("loads").topology
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn deployment(ns: &str, name: &str, available: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"namespace": ns, "name": name},
        "spec": {"template": {"metadata": {"annotations": {"linkerd.io/inject": "enabled"}}}},
        "status": {"availableReplicas": available}})
}

/// A cluster as `meshctl apply` leaves it, with gateway `ip`, linked to `peer`
/// (gateway `peer_ip`, link name `kind-<peer>`).
fn healthy(ip: &str, peer: &str, peer_ip: &str, anchor: &str) -> Vec<Value> {
    let link = format!("kind-{peer}");
    let kubeconfig =
        format!("clusters:\n- cluster:\n    server: https://192.168.1.61:6443\n  name: {link}\n");
    let mut objects = vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "linkerd", "name": "linkerd-identity-trust-roots"}, "data": {"ca-bundle.crt": anchor}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "linkerd", "name": "linkerd-config"}, "data": {"values": format!("identityTrustAnchorsPEM: |\n  {}\n", anchor.trim().replace('\n', "\n  "))}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"namespace": "linkerd", "name": "linkerd-identity-issuer"}, "data": {"crt.pem": b64(ISSUER), "key.pem": b64("KEY")}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "linkerd-multicluster", "name": "linkerd-gateway"}, "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}}),
        json!({"apiVersion": "multicluster.linkerd.io/v1alpha1", "kind": "Link", "metadata": {"namespace": "linkerd-multicluster", "name": link}, "spec": {"gatewayAddress": peer_ip, "gatewayPort": "4143"}}),
        json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"namespace": "linkerd-multicluster", "name": format!("probe-gateway-{link}")}, "subsets": [{"addresses": [{"ip": peer_ip}], "ports": [{"port": 4191}]}]}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"namespace": "linkerd-multicluster", "name": format!("cluster-credentials-{link}")}, "data": {"kubeconfig": b64(&kubeconfig)}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "test", "name": "podinfo"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "test", "name": format!("podinfo-{link}")}}),
        json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"namespace": "test", "name": format!("podinfo-{link}")}, "subsets": [{"addresses": [{"ip": peer_ip}], "ports": [{"name": "http", "port": 4143}]}]}),
        json!({"apiVersion": "split.smi-spec.io/v1alpha1", "kind": "TrafficSplit", "metadata": {"namespace": "test", "name": "podinfo"}}),
        deployment(
            "linkerd-multicluster",
            &format!("linkerd-service-mirror-{link}"),
            1,
        ),
        deployment("linkerd-multicluster", "linkerd-gateway", 1),
        deployment("linkerd-viz", "web", 1),
        deployment("linkerd-smi", "smi-adaptor", 1),
    ];
    for name in [
        "linkerd-identity",
        "linkerd-destination",
        "linkerd-proxy-injector",
    ] {
        objects.push(deployment("linkerd", name, 1));
    }
    objects
}

fn snapshot(demo: Vec<Value>, demo3: Vec<Value>) -> Snapshot {
    let mut snapshot = Snapshot::default();
    snapshot.insert("demo", ClusterObjects::new(demo));
    snapshot.insert("demo3", ClusterObjects::new(demo3));
    snapshot
}

fn failures(results: &[CheckResult]) -> Vec<(String, String)> {
    results
        .iter()
        .filter(|r| r.outcome != Outcome::Pass)
        .map(|r| (r.cluster.clone().unwrap_or_default(), r.check.clone()))
        .collect()
}

#[test]
fn the_walkthrough_as_apply_leaves_it_passes_every_check() {
    let topology = topology();
    let snap = snapshot(
        healthy("172.18.0.61", "demo3", "172.18.0.71", ANCHOR),
        healthy("172.18.0.71", "demo", "172.18.0.61", ANCHOR),
    );
    let results = run(&topology, &snap, Some(ANCHOR), &TextJudge);
    assert_eq!(failures(&results), Vec::<(String, String)>::new());
    // Per cluster: reachable, control plane, 3 extensions, anchor, issuer, gateway; per
    // link: Link, mirror, probe, credentials, shared anchors; per export mirror: 1; per
    // split: 1.
    assert_eq!(CheckSummary::of(&results).passed, 2 * 8 + 2 * 5 + 2 + 2);
}

#[test]
fn a_different_trust_anchor_in_demo3_is_reported_naming_demo3() {
    let topology = topology();
    let snap = snapshot(
        healthy("172.18.0.61", "demo3", "172.18.0.71", ANCHOR),
        healthy("172.18.0.71", "demo", "172.18.0.61", OTHER_ANCHOR),
    );
    let results = run(&topology, &snap, Some(ANCHOR), &TextJudge);
    let failed = failures(&results);
    assert_eq!(
        failed,
        vec![
            (
                "demo3".to_string(),
                "trust anchor is the topology's".to_string()
            ),
            (
                "demo3".to_string(),
                "linkerd-config lists the topology's trust anchor".to_string()
            ),
            (
                "demo3".to_string(),
                "issuer certificate chains to the trust anchor".to_string()
            ),
            (
                "demo".to_string(),
                "demo and demo3 share trust anchors".to_string()
            ),
            (
                "demo3".to_string(),
                "demo3 and demo share trust anchors".to_string()
            ),
        ]
    );
    let shared = results
        .iter()
        .find(|r| r.check == "demo and demo3 share trust anchors")
        .expect("shared check");
    assert_eq!(shared.detail, "demo3 runs a different trust anchor");
}

#[test]
fn a_mirror_pointing_at_a_stale_gateway_address_fails_with_both_addresses() {
    let topology = topology();
    let mut demo = healthy("172.18.0.61", "demo3", "172.18.0.71", ANCHOR);
    for object in &mut demo {
        if object["kind"] == "Endpoints" && object["metadata"]["name"] == "podinfo-kind-demo3" {
            object["subsets"][0]["addresses"][0]["ip"] = json!("172.18.0.99");
        }
    }
    let snap = snapshot(demo, healthy("172.18.0.71", "demo", "172.18.0.61", ANCHOR));
    let results = run(&topology, &snap, Some(ANCHOR), &TextJudge);
    let failed: Vec<&CheckResult> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Fail)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(
        failed[0].check,
        "mirror test/podinfo-kind-demo3 points at demo3's gateway"
    );
    assert_eq!(
        failed[0].detail,
        "endpoints 172.18.0.99 but the gateway is 172.18.0.71"
    );
}

#[test]
fn a_gateway_outside_its_pool_and_loopback_credentials_fail() {
    let topology = topology();
    let mut demo = healthy("172.18.0.75", "demo3", "172.18.0.71", ANCHOR);
    for object in &mut demo {
        if object["kind"] == "Secret" && object["metadata"]["namespace"] == "linkerd-multicluster" {
            object["data"]["kubeconfig"] = json!(b64(
                "clusters:\n- cluster:\n    server: https://127.0.0.1:40443\n"
            ));
        }
    }
    let snap = snapshot(demo, healthy("172.18.0.71", "demo", "172.18.0.75", ANCHOR));
    let results = run(&topology, &snap, Some(ANCHOR), &TextJudge);
    let failed: Vec<(&str, &str)> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Fail)
        .map(|r| (r.check.as_str(), r.detail.as_str()))
        .collect();
    assert_eq!(
        failed,
        vec![
            (
                "gateway has an address from this cluster's pool",
                "172.18.0.75 is in none of this cluster's pools"
            ),
            (
                "credentials for kind-demo3 do not point at a loopback address",
                "the remote kubeconfig's server is https://127.0.0.1:40443"
            ),
        ]
    );
    // demo3 is a kind cluster: re-applying puts its docker-network address in.
    let credentials = results
        .iter()
        .find(|r| r.check.starts_with("credentials for kind-demo3"))
        .expect("the credentials check");
    assert!(
        credentials
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("`meshctl apply`") && h.contains("docker network")),
        "{credentials:?}"
    );
}

#[test]
fn an_unreachable_cluster_fails_once_and_its_links_are_not_guessed() {
    let topology = topology();
    let mut snap = Snapshot::default();
    snap.insert(
        "demo",
        ClusterObjects::new(healthy("172.18.0.61", "demo3", "172.18.0.71", ANCHOR)),
    );
    snap.unreachable("demo3", "connection refused (context kind-demo3)".into());
    let results = run(&topology, &snap, Some(ANCHOR), &TextJudge);
    let demo3: Vec<&CheckResult> = results
        .iter()
        .filter(|r| r.cluster.as_deref() == Some("demo3"))
        .collect();
    assert_eq!(demo3.len(), 1);
    assert_eq!(demo3[0].check, "cluster is reachable");
    assert_eq!(demo3[0].detail, "connection refused (context kind-demo3)");
    // demo's Link cannot be compared with an unread gateway: a warning, not a pass.
    let link = results
        .iter()
        .find(|r| r.check == "Link kind-demo3 points at demo3's gateway")
        .expect("link check");
    assert_eq!(link.outcome, Outcome::Warn);
}

#[test]
fn reads_are_one_list_per_kind_and_namespace() {
    let reads = reads(&topology());
    let demo: Vec<(&str, &str)> = reads
        .iter()
        .filter(|r| r.cluster == "demo")
        .map(|r| (r.kind, r.namespace.as_str()))
        .collect();
    assert_eq!(
        demo,
        vec![
            ("Deployment", "linkerd"),
            ("Deployment", "linkerd-multicluster"),
            ("Deployment", "linkerd-smi"),
            ("Deployment", "linkerd-viz"),
            ("Link", "linkerd-multicluster"),
            ("TrafficSplit", "test"),
            ("ConfigMap", "linkerd"),
            ("Endpoints", "linkerd-multicluster"),
            ("Endpoints", "test"),
            ("Secret", "linkerd"),
            ("Secret", "linkerd-multicluster"),
            ("Service", "linkerd-multicluster"),
            ("Service", "test"),
        ]
    );
}

/// Each broken state the walkthrough can end in, one at a time in demo: exactly the checks
/// that describe it fail, all in demo, and every other check still passes.
#[test]
fn each_broken_state_fails_exactly_its_checks() {
    type Breakage = fn(&mut Vec<Value>);
    let cases: Vec<(&str, Breakage, Vec<&str>)> = vec![
        (
            "destination not available",
            |objects| {
                for o in objects.iter_mut() {
                    if o["kind"] == "Deployment" && o["metadata"]["name"] == "linkerd-destination" {
                        o["status"]["availableReplicas"] = json!(0);
                    }
                }
            },
            vec!["linkerd control plane is available"],
        ),
        (
            "viz missing",
            |objects| objects.retain(|o| o["metadata"]["namespace"] != "linkerd-viz"),
            vec!["linkerd viz extension is available"],
        ),
        (
            "service mirror without a proxy",
            |objects| {
                for o in objects.iter_mut() {
                    if o["metadata"]["name"] == "linkerd-service-mirror-kind-demo3" {
                        o["spec"]["template"]["metadata"]["annotations"] = json!({});
                    }
                }
            },
            vec!["service mirror for kind-demo3 is running with a proxy"],
        ),
        (
            "probe endpoints missing",
            |objects| objects.retain(|o| o["metadata"]["name"] != "probe-gateway-kind-demo3"),
            vec!["probe endpoints for kind-demo3 are present"],
        ),
        (
            "mirror missing",
            |objects| {
                objects.retain(|o| o["metadata"]["name"] != "podinfo-kind-demo3");
            },
            vec![
                "mirror test/podinfo-kind-demo3 points at demo3's gateway",
                "TrafficSplit test/podinfo backends exist",
            ],
        ),
        (
            "Link at a stale gateway address",
            |objects| {
                for o in objects.iter_mut() {
                    if o["kind"] == "Link" {
                        o["spec"]["gatewayAddress"] = json!("172.18.0.79");
                    }
                }
            },
            vec!["Link kind-demo3 points at demo3's gateway"],
        ),
        (
            "split deleted",
            |objects| objects.retain(|o| o["kind"] != "TrafficSplit"),
            vec!["TrafficSplit test/podinfo backends exist"],
        ),
    ];
    let topology = topology();
    let healthy_demo3 = healthy("172.18.0.71", "demo", "172.18.0.61", ANCHOR);
    let all = run(
        &topology,
        &snapshot(
            healthy("172.18.0.61", "demo3", "172.18.0.71", ANCHOR),
            healthy_demo3.clone(),
        ),
        Some(ANCHOR),
        &TextJudge,
    )
    .len();
    for (name, breakage, expected) in cases {
        let mut demo = healthy("172.18.0.61", "demo3", "172.18.0.71", ANCHOR);
        breakage(&mut demo);
        let results = run(
            &topology,
            &snapshot(demo, healthy_demo3.clone()),
            Some(ANCHOR),
            &TextJudge,
        );
        assert_eq!(results.len(), all, "{name}: the same checks run");
        let failed: Vec<(String, String)> = failures(&results);
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|c| ("demo".to_string(), c.to_string()))
            .collect();
        assert_eq!(failed, expected, "{name}");
        // Every failure says what to do.
        for r in results.iter().filter(|r| r.outcome == Outcome::Fail) {
            assert!(
                r.hint.as_deref().is_some_and(|h| !h.is_empty()),
                "{name}: {r:?}"
            );
        }
    }
}
