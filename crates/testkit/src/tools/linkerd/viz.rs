//! `linkerd viz install`: the linkerd-viz namespace, its workloads, and the tap and
//! tap-injector TLS (fresh on every render unless `tap.*` / `tapInjector.*` values supply it).

use serde_json::{json, Value};

use super::super::args::{switch, value, FlagSpec};
use super::super::{output, values};
use super::objects::{self, created_by, Workload};
use super::{error, linkerd_config_values, Call};
use crate::tools::Outcome;

pub(super) const FLAGS: [FlagSpec; 5] = [
    switch("ignore-cluster"),
    switch("ha"),
    value("wait"),
    value("output").short('o'),
    switch("skip-checks"),
];

const NAMESPACE: &str = "linkerd-viz";

pub(super) fn install(call: &Call) -> Result<Outcome, Outcome> {
    let linkerd_namespace = call.linkerd_namespace();
    if !call.parsed.on("ignore-cluster") {
        let (_, cluster) = call.cluster()?;
        if linkerd_config_values(&cluster, &linkerd_namespace).is_none() {
            return Err(Outcome::fail(1, "Could not find a Linkerd installation\n"));
        }
    }
    let mut values = json!({
        "linkerdNamespace": linkerd_namespace,
        "tap": {"externalSecret": false, "crtPEM": "", "keyPEM": "", "caBundle": "", "injectCaFrom": "", "injectCaFromSecret": ""},
        "tapInjector": {"externalSecret": false, "crtPEM": "", "keyPEM": "", "caBundle": "", "injectCaFrom": "", "injectCaFromSecret": ""},
    });
    values::merge_into(&mut values, call.user_values()?);
    let objects = render(call.version(), &values).map_err(|e| error(&e))?;
    Ok(Outcome::out(output::documents(&objects)))
}

fn render(version: &str, values: &Value) -> Result<Vec<Value>, String> {
    let labels = |component: &str| json!({"linkerd.io/extension": "viz", "component": component});
    let mut objects = vec![objects::namespace(
        NAMESPACE,
        json!({"linkerd.io/extension": "viz", "pod-security.kubernetes.io/enforce": "privileged"}),
        json!({"linkerd.io/inject": "enabled"}),
    )];
    let components = ["metrics-api", "prometheus", "tap", "tap-injector", "web"];
    for component in components {
        objects.push(objects::service_account(
            component,
            NAMESPACE,
            labels(component),
        ));
    }
    let tap = objects::webhook_tls(
        values,
        "tap",
        "tap-k8s-tls",
        NAMESPACE,
        "tap.linkerd-viz.svc",
        labels("tap"),
        version,
    )?;
    objects.extend(tap.secret.clone());
    let mut api_service = objects::object(
        "apiregistration.k8s.io/v1",
        "APIService",
        "v1alpha1.tap.linkerd.io",
        None,
        labels("tap"),
        json!({"spec": {"group": "tap.linkerd.io", "version": "v1alpha1", "groupPriorityMinimum": 1000, "versionPriority": 100, "service": {"name": "tap", "namespace": NAMESPACE}}}),
    );
    match &tap.ca_bundle {
        Some(ca) => api_service["spec"]["caBundle"] = json!(ca),
        None => api_service["metadata"]["annotations"] = tap.annotations.clone(),
    }
    objects.push(api_service);
    let injector = objects::webhook_tls(
        values,
        "tapInjector",
        "tap-injector-k8s-tls",
        NAMESPACE,
        "tap-injector.linkerd-viz.svc",
        labels("tap-injector"),
        version,
    )?;
    objects.extend(injector.secret.clone());
    objects.push(objects::webhook_configuration(
        "MutatingWebhookConfiguration",
        "linkerd-tap-injector-webhook-config",
        "tap-injector.linkerd.io",
        "tap-injector",
        NAMESPACE,
        labels("tap-injector"),
        &injector,
        json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}]),
        json!({"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]}}),
    ));
    for (component, port) in [
        ("metrics-api", 8085),
        ("prometheus", 9090),
        ("tap", 8089),
        ("tap-injector", 8443),
        ("web", 8084),
    ] {
        objects.push(objects::service(
            component,
            NAMESPACE,
            labels(component),
            created_by(version),
            json!({"type": "ClusterIP", "selector": {"linkerd.io/extension": "viz", "component": component}, "ports": [{"name": "http", "port": port, "targetPort": port}]}),
        ));
    }
    for component in components {
        let image = if component == "prometheus" {
            "prom/prometheus:v2.30.3".to_string()
        } else {
            format!("cr.l5d.io/linkerd/{component}:{version}")
        };
        objects.push(objects::deployment(Workload {
            name: component,
            namespace: NAMESPACE,
            labels: labels(component),
            annotations: created_by(version),
            selector: json!({"linkerd.io/extension": "viz", "component": component}),
            pod_annotations: json!({"linkerd.io/created-by": format!("linkerd/cli {version}"), "linkerd.io/inject": "enabled"}),
            service_account: component,
            containers: json!([{"name": component, "image": image}]),
            replicas: 1,
        }));
    }
    Ok(objects)
}
