//! Building blocks of the objects Linkerd's charts render: metadata, workloads, services
//! and the webhook TLS material that the charts generate anew on every render unless the
//! values supply it (`<component>.crtPEM/keyPEM/caBundle`, `externalSecret`,
//! `injectCaFrom[Secret]`).

use serde_json::{json, Map, Value};

use super::super::{certs, output, values::str_at};

/// `linkerd.io/created-by: linkerd/cli <version>`.
pub(crate) fn created_by(version: &str) -> Value {
    json!({"linkerd.io/created-by": format!("linkerd/cli {version}")})
}

pub(crate) fn metadata(
    name: &str,
    namespace: Option<&str>,
    labels: Value,
    annotations: Value,
) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(namespace) = namespace {
        meta.insert("namespace".into(), json!(namespace));
    }
    if labels.as_object().is_some_and(|l| !l.is_empty()) {
        meta.insert("labels".into(), labels);
    }
    if annotations.as_object().is_some_and(|a| !a.is_empty()) {
        meta.insert("annotations".into(), annotations);
    }
    Value::Object(meta)
}

pub(crate) fn namespace(name: &str, labels: Value, annotations: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata(name, None, labels, annotations)})
}

pub(crate) fn service_account(name: &str, namespace: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata(name, Some(namespace), labels, json!({}))})
}

pub(crate) fn service(
    name: &str,
    namespace: &str,
    labels: Value,
    annotations: Value,
    spec: Value,
) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata(name, Some(namespace), labels, annotations), "spec": spec})
}

/// A Deployment whose pod template carries `selector` as labels.
pub(crate) struct Workload<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub labels: Value,
    pub annotations: Value,
    pub selector: Value,
    pub pod_annotations: Value,
    pub service_account: &'a str,
    pub containers: Value,
    pub replicas: u64,
}

pub(crate) fn deployment(w: Workload<'_>) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(w.name, Some(w.namespace), w.labels, w.annotations),
        "spec": {
            "replicas": w.replicas,
            "selector": {"matchLabels": w.selector.clone()},
            "template": {
                "metadata": {"annotations": w.pod_annotations, "labels": w.selector},
                "spec": {"serviceAccountName": w.service_account, "containers": w.containers},
            },
        },
    })
}

/// A cluster-wide object of any kind with just metadata and a body.
pub(crate) fn object(
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    labels: Value,
    body: Value,
) -> Value {
    let mut object = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata(name, namespace, labels, json!({}))});
    if let (Some(target), Some(body)) = (object.as_object_mut(), body.as_object()) {
        for (k, v) in body {
            target.insert(k.clone(), v.clone());
        }
    }
    object
}

/// What a webhook's TLS renders to: its Secret (none with `externalSecret`), the
/// `caBundle` for its webhook configuration (none when cert-manager injects it), and the
/// configuration's annotations.
pub(crate) struct WebhookTls {
    pub secret: Option<Value>,
    pub ca_bundle: Option<String>,
    pub annotations: Value,
}

/// The chart's `genSelfSignedCert $host` (fresh every render) unless `values.<key>` supplies
/// the material; mirrors the `ternary … (empty …)` logic of Linkerd's templates.
pub(crate) fn webhook_tls(
    values: &Value,
    key: &str,
    secret_name: &str,
    namespace: &str,
    host: &str,
    labels: Value,
    version: &str,
) -> Result<WebhookTls, String> {
    let get = |field: &str| {
        str_at(values, &format!("{key}.{field}"))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let external = values
        .pointer(&format!("/{key}/externalSecret"))
        .and_then(Value::as_bool)
        == Some(true);
    let mut annotations = Map::new();
    if let Some(from) = get("injectCaFrom") {
        annotations.insert("cert-manager.io/inject-ca-from".into(), json!(from));
    }
    if let Some(from) = get("injectCaFromSecret") {
        annotations.insert("cert-manager.io/inject-ca-from-secret".into(), json!(from));
    }
    if external && get("caBundle").is_none() && annotations.is_empty() {
        return Err(format!(
            "execution error at (linkerd-control-plane/templates/_validate.tpl): You must provide either injectCaFrom, injectCaFromSecret, or caBundle for {key}"
        ));
    }
    let generated = certs::self_signed(host, false)?;
    let secret = (!external).then(|| {
        let crt = get("crtPEM").unwrap_or(generated.cert_pem.trim());
        let key_pem = get("keyPEM").unwrap_or(generated.key_pem.trim());
        json!({
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": metadata(secret_name, Some(namespace), labels, super::objects::created_by(version)),
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": output::b64(crt), "tls.key": output::b64(key_pem)},
        })
    });
    let ca_bundle = annotations
        .is_empty()
        .then(|| output::b64(get("caBundle").unwrap_or(generated.cert_pem.trim())));
    Ok(WebhookTls {
        secret,
        ca_bundle,
        annotations: Value::Object(annotations),
    })
}

/// A webhook configuration (mutating or validating) pointing at `service` in `namespace`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn webhook_configuration(
    kind: &str,
    name: &str,
    webhook: &str,
    service: &str,
    namespace: &str,
    labels: Value,
    tls: &WebhookTls,
    rules: Value,
    extra: Value,
) -> Value {
    let mut client_config =
        json!({"service": {"name": service, "namespace": namespace, "path": "/"}});
    if let Some(ca) = &tls.ca_bundle {
        client_config["caBundle"] = json!(ca);
    }
    let mut hook = json!({
        "name": webhook,
        "clientConfig": client_config,
        "failurePolicy": "Ignore",
        "admissionReviewVersions": ["v1", "v1beta1"],
        "rules": rules,
        "sideEffects": "None",
    });
    if let (Some(hook), Some(extra)) = (hook.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            hook.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": metadata(name, None, labels, tls.annotations.clone()),
        "webhooks": [hook],
    })
}

/// The proxy sidecar the CLI-rendered control plane carries (simplified).
pub(crate) fn proxy_container(version: &str, registry: &str) -> Value {
    json!({
        "name": "linkerd-proxy",
        "image": format!("{registry}/proxy:{version}"),
        "ports": [{"name": "linkerd-proxy", "containerPort": 4143}, {"name": "linkerd-admin", "containerPort": 4191}],
    })
}
