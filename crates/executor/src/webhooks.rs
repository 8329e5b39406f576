//! Linkerd's webhook certificates, made deterministic: before `linkerd install` or
//! `linkerd viz install` renders for a cluster, the certificates are ensured in
//! `<state>/webhooks/<cluster>/` (meshctl-certs: generated once, then reused), the chart
//! values naming them (`externalSecret: true` + `caBundle`, no key) are written to the
//! file the command's `--values` reads, and the `kubernetes.io/tls` Secrets the chart no
//! longer renders are added to the rendered objects. Keys stay out of the graph and of
//! every command line; in plans, Secret data is redacted like any Secret's.

use crate::error::ExecutorError;
use base64::Engine as _;
use meshctl_certs::{LinkerdChart, WebhookNamespaces, WebhookSet, TLS_SECRET_TYPE};
use meshctl_core::graph::{ExternalAction, LinkerdPiece};
use serde_json::{json, Value};
use std::path::Path;

/// Pod-template annotation on each Deployment serving a webhook: the fingerprints of the
/// certificates it mounts. A renewed certificate changes it, so the Deployment rolls out
/// and its pods load the new certificate (they read it only at start,
/// linkerd/linkerd2#5341); an unchanged one leaves the render byte-identical.
pub const CERTIFICATES_ANNOTATION: &str = "meshctl.io/webhook-certificates";

/// What meshctl adds to a control-plane or viz render: the webhook Secrets, and the
/// certificates' fingerprints for the Deployments that mount them.
#[derive(Debug, Default)]
pub struct WebhookObjects {
    secrets: Vec<Value>,
    /// (namespace, Deployment, fingerprints joined by `,`).
    rollouts: Vec<(String, String, String)>,
}

impl WebhookObjects {
    /// Adds the Secrets to a render, after its Namespaces and before anything that could
    /// mount them (a pod started before its Secret is updated would keep the old
    /// certificate), and annotates the Deployments that serve the webhooks.
    pub fn merge_into(self, rendered: &mut Vec<Value>) {
        for object in rendered.iter_mut() {
            if object.get("kind").and_then(Value::as_str) != Some("Deployment") {
                continue;
            }
            let name = object.pointer("/metadata/name").and_then(Value::as_str);
            let namespace = object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str);
            let Some((_, _, fingerprints)) = self.rollouts.iter().find(|(ns, deployment, _)| {
                Some(ns.as_str()) == namespace && Some(deployment.as_str()) == name
            }) else {
                continue;
            };
            let fingerprints = fingerprints.clone();
            if let Some(template) = object.pointer_mut("/spec/template") {
                set_annotation(template, CERTIFICATES_ANNOTATION, fingerprints);
            }
        }
        let at = rendered
            .iter()
            .rposition(|o| o.get("kind").and_then(Value::as_str) == Some("Namespace"))
            .map_or(0, |i| i + 1);
        rendered.splice(at..at, self.secrets);
    }
}

fn set_annotation(object: &mut Value, key: &str, value: String) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    let metadata = map.entry("metadata").or_insert_with(|| json!({}));
    if let Some(metadata) = metadata.as_object_mut() {
        let annotations = metadata.entry("annotations").or_insert_with(|| json!({}));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(key.to_string(), Value::String(value));
        }
    }
}

/// For a control-plane or viz render of `cluster`: ensures the certificates, writes the
/// values file the command reads, and returns what to add to the render. Nothing (and no
/// file touched) for any other action.
pub fn prepare(
    state_dir: &Path,
    cluster: &str,
    action: &ExternalAction,
) -> Result<WebhookObjects, ExecutorError> {
    let ExternalAction::LinkerdRender { what, .. } = action else {
        return Ok(WebhookObjects::default());
    };
    let (chart, values_file) = match what {
        LinkerdPiece::ControlPlane { webhook_values, .. } => {
            (LinkerdChart::ControlPlane, webhook_values)
        }
        LinkerdPiece::Viz { webhook_values } => (LinkerdChart::Viz, webhook_values),
        _ => return Ok(WebhookObjects::default()),
    };
    let failed = |e: &dyn std::fmt::Display| {
        ExecutorError::Tool(format!("webhook certificates of cluster {cluster}: {e}"))
    };
    let set = meshctl_certs::ensure_webhook_certificates(
        state_dir,
        cluster,
        &WebhookNamespaces::default(),
        std::time::SystemTime::now(),
    )
    .map_err(|e| failed(&e))?;
    // The graph names the file; it must be the one beside the certificates.
    let (Some(dir), Some(name)) = (
        values_file.parent(),
        values_file.file_name().and_then(|n| n.to_str()),
    ) else {
        return Err(failed(&format!(
            "bad values path {}",
            values_file.display()
        )));
    };
    if dir != set.dir() {
        return Err(failed(&format!(
            "the values file {} is not in {}",
            values_file.display(),
            set.dir().display()
        )));
    }
    let values = match chart {
        LinkerdChart::ControlPlane => meshctl_certs::control_plane_values(&set),
        LinkerdChart::Viz => meshctl_certs::viz_values(&set),
    };
    meshctl_certs::write_values_file(dir, name, &values).map_err(|e| failed(&e))?;
    let mut rollouts: Vec<(String, String, String)> = Vec::new();
    for cert in set.for_chart(chart) {
        let deployment = cert.webhook().deployment();
        match rollouts
            .iter_mut()
            .find(|(ns, d, _)| ns == cert.namespace() && d == deployment)
        {
            Some((_, _, fingerprints)) => {
                fingerprints.push(',');
                fingerprints.push_str(&cert.fingerprint());
            }
            None => rollouts.push((
                cert.namespace().to_string(),
                deployment.to_string(),
                cert.fingerprint(),
            )),
        }
    }
    Ok(WebhookObjects {
        secrets: secrets(&set, chart),
        rollouts,
    })
}

/// The `kubernetes.io/tls` Secrets of one chart's webhooks (`tls.crt`, `tls.key`).
fn secrets(set: &WebhookSet, chart: LinkerdChart) -> Vec<Value> {
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    set.for_chart(chart)
        .map(|cert| {
            json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": cert.secret_name(), "namespace": cert.namespace()},
                "type": TLS_SECRET_TYPE,
                "data": {
                    "tls.crt": b64(cert.cert_pem()),
                    "tls.key": b64(cert.key_pem().expose_pem()),
                },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshctl_core::graph::{Paths, CONTROL_PLANE_VALUES_FILE, VIZ_VALUES_FILE};

    fn render(what: LinkerdPiece) -> ExternalAction {
        ExternalAction::LinkerdRender {
            version: "stable-2.13.3".into(),
            context: "kind-demo".into(),
            what,
        }
    }

    #[test]
    fn values_hold_no_key_and_the_secrets_match_them() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            topology_dir: "".into(),
            state_dir: dir.path().to_path_buf(),
        };
        let viz = render(LinkerdPiece::Viz {
            webhook_values: paths.webhook_values_file("demo", VIZ_VALUES_FILE),
        });
        let secrets = prepare(dir.path(), "demo", &viz).unwrap().secrets;
        let names: Vec<&str> = secrets
            .iter()
            .map(|s| s["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["tap-k8s-tls", "tap-injector-k8s-tls"]);
        assert!(secrets.iter().all(
            |s| s["metadata"]["namespace"] == "linkerd-viz" && s["type"] == "kubernetes.io/tls"
        ));
        let text =
            std::fs::read_to_string(paths.webhook_values_file("demo", VIZ_VALUES_FILE)).unwrap();
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        let values: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(
            values["tap"]["externalSecret"],
            serde_yaml::Value::Bool(true)
        );
        let crt = base64::engine::general_purpose::STANDARD
            .decode(secrets[0]["data"]["tls.crt"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            values["tap"]["caBundle"].as_str().unwrap().as_bytes(),
            &crt[..]
        );

        // A second run reuses the certificates: the same Secrets, byte for byte.
        assert_eq!(prepare(dir.path(), "demo", &viz).unwrap().secrets, secrets);
    }

    #[test]
    fn a_values_path_elsewhere_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let control_plane = render(LinkerdPiece::ControlPlane {
            trust_domain: "cluster.local".into(),
            trust_anchor: "a".into(),
            issuer_certificate: "b".into(),
            issuer_key: "c".into(),
            webhook_values: dir.path().join("elsewhere").join(CONTROL_PLANE_VALUES_FILE),
            heartbeat_schedule: "1 2 * * *".into(),
        });
        let error = prepare(dir.path(), "demo", &control_plane)
            .unwrap_err()
            .to_string();
        assert!(error.contains("is not in"), "{error}");
        let nothing = prepare(dir.path(), "demo", &render(LinkerdPiece::Crds)).unwrap();
        assert!(nothing.secrets.is_empty() && nothing.rollouts.is_empty());
    }

    #[test]
    fn secrets_go_after_the_namespaces_and_a_renewal_rolls_the_deployments() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            topology_dir: "".into(),
            state_dir: dir.path().to_path_buf(),
        };
        let control_plane = render(LinkerdPiece::ControlPlane {
            trust_domain: "cluster.local".into(),
            trust_anchor: "a".into(),
            issuer_certificate: "b".into(),
            issuer_key: "c".into(),
            webhook_values: paths.webhook_values_file("demo", CONTROL_PLANE_VALUES_FILE),
            heartbeat_schedule: "1 2 * * *".into(),
        });
        let rendered = || {
            vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "linkerd"}}),
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "linkerd-destination", "namespace": "linkerd"},
                       "spec": {"template": {"spec": {}}}}),
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "linkerd-proxy-injector", "namespace": "linkerd"},
                       "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {}}}}),
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "linkerd-identity", "namespace": "linkerd"},
                       "spec": {"template": {"spec": {}}}}),
            ]
        };
        let annotation = |objects: &[Value], name: &str| {
            objects
                .iter()
                .find(|o| o["metadata"]["name"] == name)
                .and_then(|o| {
                    o["spec"]["template"]["metadata"]["annotations"][CERTIFICATES_ANNOTATION]
                        .as_str()
                })
                .map(str::to_string)
        };
        let mut first = rendered();
        prepare(dir.path(), "demo", &control_plane)
            .unwrap()
            .merge_into(&mut first);
        let kinds: Vec<&str> = first.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "Secret",
                "Secret",
                "Secret",
                "Deployment",
                "Deployment",
                "Deployment"
            ]
        );
        let destination = annotation(&first, "linkerd-destination").unwrap();
        assert_eq!(
            destination.split(',').count(),
            2,
            "both validators: {destination}"
        );
        let injector = annotation(&first, "linkerd-proxy-injector").unwrap();
        assert_eq!(injector.len(), 16);
        assert_eq!(annotation(&first, "linkerd-identity"), None);
        assert_eq!(first[5]["spec"]["template"]["metadata"]["labels"]["a"], "b");

        // Same certificates: the same bytes. A renewed injector certificate: only the
        // injector's annotation changes.
        let mut again = rendered();
        prepare(dir.path(), "demo", &control_plane)
            .unwrap()
            .merge_into(&mut again);
        assert_eq!(again, first);
        for file in ["proxy-injector.crt", "proxy-injector.key"] {
            std::fs::remove_file(dir.path().join("webhooks/demo").join(file)).unwrap();
        }
        let mut renewed = rendered();
        prepare(dir.path(), "demo", &control_plane)
            .unwrap()
            .merge_into(&mut renewed);
        assert_ne!(
            annotation(&renewed, "linkerd-proxy-injector").unwrap(),
            injector
        );
        assert_eq!(
            annotation(&renewed, "linkerd-destination").unwrap(),
            destination
        );
    }
}
