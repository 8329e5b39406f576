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

/// For a control-plane or viz render of `cluster`: ensures the certificates, writes the
/// values file the command reads, and returns the Secrets to apply with the render.
/// Nothing (and no file touched) for any other action.
pub fn prepare(
    state_dir: &Path,
    cluster: &str,
    action: &ExternalAction,
) -> Result<Vec<Value>, ExecutorError> {
    let ExternalAction::LinkerdRender { what, .. } = action else {
        return Ok(Vec::new());
    };
    let (chart, values_file) = match what {
        LinkerdPiece::ControlPlane { webhook_values, .. } => {
            (LinkerdChart::ControlPlane, webhook_values)
        }
        LinkerdPiece::Viz { webhook_values } => (LinkerdChart::Viz, webhook_values),
        _ => return Ok(Vec::new()),
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
    Ok(secrets(&set, chart))
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
        let secrets = prepare(dir.path(), "demo", &viz).unwrap();
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
        assert_eq!(prepare(dir.path(), "demo", &viz).unwrap(), secrets);
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
        assert!(prepare(dir.path(), "demo", &render(LinkerdPiece::Crds))
            .unwrap()
            .is_empty());
    }
}
