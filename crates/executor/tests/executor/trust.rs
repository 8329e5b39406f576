//! The trust anchor is never silently replaced: with no anchor in the state directory,
//! a cluster that already runs Linkerd stops plan and apply before anything is
//! generated.

use crate::common::Fixture;
use meshctl_executor::{apply, plan, NoProgress};
use serde_json::json;

fn topology() -> String {
    "apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata:
  name: exec-test
spec:
  mesh:
    linkerd:
      version: stable-2.13.3
  clusters:
    - name: east
      context: ctx-east
      provider: existing
      podSubnet: 10.244.0.0/16
      serviceSubnet: 10.96.0.0/16
    - name: west
      context: ctx-west
      provider: existing
      podSubnet: 10.245.0.0/16
      serviceSubnet: 10.97.0.0/16
"
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_running_another_anchor_stops_generating_a_new_one() {
    let fixture = Fixture::start(&["east", "west"]);
    // A real anchor, so the message can say which one (made like `certs init` would).
    let elsewhere = tempfile::tempdir().unwrap();
    let settings = meshctl_certs::TrustSettings {
        trust_domain: "cluster.local".into(),
        anchor: meshctl_certs::CertSource::Generate {
            common_name: "root.linkerd.cluster.local".into(),
            validity: std::time::Duration::from_secs(3600 * 24 * 365),
        },
        issuer: meshctl_certs::CertSource::Generate {
            common_name: "identity.linkerd.cluster.local".into(),
            validity: std::time::Duration::from_secs(3600 * 24 * 30),
        },
    };
    let material = meshctl_certs::CertStore::new(elsewhere.path().to_path_buf())
        .ensure(&settings, std::time::SystemTime::now())
        .unwrap();
    let anchor = std::fs::read_to_string(&material.anchor_source.cert).unwrap();
    fixture
        .cluster("east")
        .apply_as(
            "linkerd",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "linkerd"}}),
        )
        .unwrap();
    fixture
        .cluster("east")
        .apply_as(
            "linkerd",
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "linkerd-identity-trust-roots", "namespace": "linkerd"},
                   "data": {"ca-bundle.crt": anchor}}),
        )
        .unwrap();

    let graph = fixture.graph(&topology());
    let opts = fixture.options();
    let planned = plan(&graph, &opts).await;
    let trust: Vec<&String> = planned
        .preflight
        .iter()
        .filter(|p| p.contains("linkerd-identity-trust-roots"))
        .collect();
    assert_eq!(trust.len(), 1, "{:#?}", planned.preflight);
    let line = trust[0];
    assert!(
        line.starts_with(
            "cluster east: Linkerd already trusts the trust anchor CN=root.linkerd.cluster.local"
        ),
        "{line}"
    );
    assert!(
        line.contains("split the mesh") && line.contains("trustAnchor.files"),
        "{line}"
    );
    assert!(!line.contains("PRIVATE"), "{line}");

    let summary = apply(&graph, &planned, &opts, &NoProgress).await;
    assert!(
        summary.errors.iter().any(|e| e == line),
        "{:#?}",
        summary.errors
    );
    assert!(summary.nodes.is_empty());
    // No anchor generated into the state directory.
    let state = fixture.dir.path().join(".meshctl/exec-test");
    assert!(!state.join(meshctl_certs::ANCHOR_CERT_FILE).exists());
    assert!(!state.join(meshctl_certs::ANCHOR_KEY_FILE).exists());

    // Once the anchor's files are named in the topology, nothing is in the way.
    let key = &material.anchor_source.key;
    let with_files = topology().replace(
        "      version: stable-2.13.3\n",
        &format!(
            "      version: stable-2.13.3\n      trustAnchor:\n        files:\n          cert: {}\n          key: {}\n",
            material.anchor_source.cert.display(),
            key.display()
        ),
    );
    let graph = fixture.graph(&with_files);
    let planned = plan(&graph, &opts).await;
    assert!(
        !planned
            .preflight
            .iter()
            .any(|p| p.contains("linkerd-identity-trust-roots")),
        "{:#?}",
        planned.preflight
    );
}
