//! The guard that keeps the mesh's trust anchor from being lost. When the state directory
//! holds no trust anchor, meshctl would generate one; if a cluster of the topology
//! already runs Linkerd, its proxies trust another anchor whose key lives elsewhere (a
//! state directory on another machine, a renamed topology, files the user forgot), and
//! a new anchor would split the mesh. So before generating, every reachable cluster's
//! `linkerd/linkerd-identity-trust-roots` is read; any anchor found stops the run with
//! what to do instead. Clusters that do not exist yet or run no Linkerd are fine.

use crate::engine::Engine;
use crate::error::ExecutorError;
use meshctl_core::graph::{Desired, ExternalAction, Graph};

/// Linkerd's namespace and the ConfigMap holding the anchors its proxies trust.
const NAMESPACE: &str = "linkerd";
const TRUST_ROOTS: &str = "linkerd-identity-trust-roots";
const TRUST_ROOTS_KEY: &str = "ca-bundle.crt";

/// One line per cluster that already trusts an anchor while meshctl is about to
/// generate a new one; empty when nothing would be generated or no cluster runs one.
pub async fn new_anchor_conflicts(graph: &Graph, engine: &Engine) -> Vec<String> {
    let Some(action) = graph.nodes().find_map(|n| match &n.desired {
        Desired::Action(a @ ExternalAction::Certificates { .. })
            if engine.selected.contains(&n.id) =>
        {
            Some(a)
        }
        _ => None,
    }) else {
        return Vec::new();
    };
    let ExternalAction::Certificates { state_dir, .. } = action else {
        return Vec::new();
    };
    // Only a generated anchor that does not exist yet is a risk; files and a stored
    // anchor are what the clusters were given.
    match crate::actions::trust_material(action, false) {
        Ok(m) if m.anchor_source.origin == meshctl_certs::Origin::Created => {}
        _ => return Vec::new(),
    }
    // All clusters at once: an unreachable one costs one connect timeout, not one each.
    let reads = futures_util::future::join_all(
        engine
            .clusters
            .values()
            .map(|c| async move { (c, live_anchors(engine, &c.name, &c.context).await) }),
    )
    .await;
    let mut problems = Vec::new();
    for (cluster, read) in reads {
        let anchors = match read {
            Ok(Some(pem)) => pem,
            // Not created yet, unreachable (the plan names it), or no Linkerd there.
            Ok(None) | Err(_) => continue,
        };
        let shown = describe(&anchors);
        problems.push(format!(
            "cluster {}: Linkerd already trusts {shown} ({NAMESPACE}/{TRUST_ROOTS}), but {} holds no trust anchor, so meshctl would generate a different one and split the mesh. Restore the state directory that holds this anchor's key (--state-dir, or spec.mesh.linkerd.stateKey after a rename), or give its certificate and key as spec.mesh.linkerd.trustAnchor.files; to replace the anchor on purpose, uninstall Linkerd from the cluster first (docs/safety.md).",
            cluster.name,
            state_dir.display()
        ));
    }
    problems
}

/// The PEM bundle in a cluster's trust roots ConfigMap, when the cluster answers and has it.
async fn live_anchors(
    engine: &Engine,
    cluster: &str,
    context: &str,
) -> Result<Option<String>, ExecutorError> {
    let api = engine.clients.reachable(cluster, context).await?;
    let resource = kube::core::ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&());
    let object = api
        .get(&resource, Some(NAMESPACE), TRUST_ROOTS)
        .await
        .map_err(|source| ExecutorError::Api {
            cluster: cluster.to_string(),
            what: format!("read {NAMESPACE}/{TRUST_ROOTS}"),
            source,
        })?;
    Ok(object.and_then(|o| {
        o.get("data")
            .and_then(|d| d.get(TRUST_ROOTS_KEY))
            .and_then(serde_json::Value::as_str)
            .filter(|pem| !pem.trim().is_empty())
            .map(str::to_string)
    }))
}

/// `CN=… (SHA-256 …, expires …)` of each certificate in the bundle; never key material.
fn describe(pem: &str) -> String {
    let input = meshctl_certs::LabeledPem {
        label: TRUST_ROOTS,
        pem: pem.as_bytes(),
    };
    match meshctl_certs::describe(input) {
        Ok(certs) if !certs.is_empty() => certs
            .iter()
            .map(|c| {
                format!(
                    "the trust anchor {} (SHA-256 {}, expires {})",
                    c.subject, c.sha256_fingerprint, c.not_after
                )
            })
            .collect::<Vec<_>>()
            .join(" and "),
        _ => "a trust anchor meshctl cannot read".to_string(),
    }
}
