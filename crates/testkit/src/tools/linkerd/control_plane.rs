//! `linkerd install --crds` (the seven CRDs of chart linkerd-crds-1.6.1) and `linkerd
//! install` (the control plane): identity flags and their rules, values, the refusals when
//! the CRDs are missing or `linkerd-config` exists, and the objects the chart renders —
//! with webhook certificates generated anew on every render unless the values supply them.

use serde_json::{json, Map, Value};

use super::super::args::{switch, value, FlagSpec};
use super::super::crds::{self, Version};
use super::super::{certs, output, store, values};
use super::objects::{self, created_by, Workload};
use super::{error, Call};
use crate::tools::Outcome;

pub(super) const FLAGS: [FlagSpec; 36] = [
    switch("crds"),
    switch("ignore-cluster"),
    switch("skip-checks"),
    switch("ha"),
    switch("identity-external-issuer"),
    switch("identity-external-ca"),
    switch("disable-heartbeat"),
    switch("linkerd-cni-enabled"),
    switch("enable-endpoint-slices"),
    switch("disable-h2-upgrade"),
    value("identity-trust-anchors-file"),
    value("identity-issuer-certificate-file"),
    value("identity-issuer-key-file"),
    value("identity-trust-domain"),
    value("identity-issuance-lifetime"),
    value("identity-clock-skew-allowance"),
    value("controller-replicas"),
    value("controller-log-level"),
    value("controller-uid"),
    value("controller-gid"),
    value("proxy-version").short('v'),
    value("proxy-image"),
    value("init-image"),
    value("init-image-version"),
    value("registry"),
    value("image-pull-policy"),
    value("proxy-log-level"),
    value("proxy-cpu-request"),
    value("proxy-memory-request"),
    value("proxy-cpu-limit"),
    value("proxy-memory-limit"),
    value("default-inbound-policy"),
    value("cluster-networks"),
    value("skip-inbound-ports"),
    value("skip-outbound-ports"),
    value("output").short('o'),
];

/// The seven CRDs `install --crds` prints, in order, with the version `install` checks.
const CRDS: [(&str, &str, &str, &[&str]); 7] = [
    (
        "policy.linkerd.io",
        "AuthorizationPolicy",
        "authorizationpolicies",
        &["v1alpha1"],
    ),
    (
        "policy.linkerd.io",
        "HTTPRoute",
        "httproutes",
        &["v1alpha1", "v1beta1", "v1beta2"],
    ),
    (
        "policy.linkerd.io",
        "MeshTLSAuthentication",
        "meshtlsauthentications",
        &["v1alpha1"],
    ),
    (
        "policy.linkerd.io",
        "NetworkAuthentication",
        "networkauthentications",
        &["v1alpha1"],
    ),
    (
        "policy.linkerd.io",
        "ServerAuthorization",
        "serverauthorizations",
        &["v1alpha1", "v1beta1"],
    ),
    (
        "policy.linkerd.io",
        "Server",
        "servers",
        &["v1alpha1", "v1beta1"],
    ),
    (
        "linkerd.io",
        "ServiceProfile",
        "serviceprofiles",
        &["v1alpha1", "v1alpha2"],
    ),
];

pub(super) fn install(call: &Call) -> Result<Outcome, Outcome> {
    let namespace = call.linkerd_namespace();
    let render_crds = call.parsed.on("crds");
    if !call.parsed.on("ignore-cluster") {
        let (_, cluster) = call.cluster()?;
        if store::get(
            &cluster,
            "v1",
            "ConfigMap",
            Some(&namespace),
            "linkerd-config",
        )
        .is_some()
        {
            return Err(Outcome::fail(
                1,
                format!(
                    "Can't install the Linkerd control plane in the '{namespace}' namespace. Reason: ConfigMap/linkerd-config already exists.\nRun the command `linkerd upgrade`, if you are looking to upgrade Linkerd.\n"
                ),
            ));
        }
        if !render_crds && !crds_present(&cluster) {
            return Err(Outcome::fail(
                1,
                "Linkerd CRDs must be installed first. Run linkerd install with the --crds flag.\n",
            ));
        }
    }
    if render_crds {
        return Ok(Outcome::out(output::documents(&crd_objects(call.version(), &namespace))).with_stderr(
            "Rendering Linkerd CRDs...\nNext, run `linkerd install | kubectl apply -f -` to install the control plane.\n\n",
        ));
    }
    let values = control_plane_values(call, &namespace)?;
    let objects = render(call, &values, &namespace).map_err(|e| error(&e))?;
    Ok(Outcome::out(output::documents(&objects)))
}

/// True when every CRD exists and serves the last version listed for it.
fn crds_present(cluster: &crate::FakeCluster) -> bool {
    CRDS.iter().all(|(group, _, plural, versions)| {
        let Some(crd) = store::get(
            cluster,
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            None,
            &format!("{plural}.{group}"),
        ) else {
            return false;
        };
        let wanted = versions.last().copied().unwrap_or_default();
        crd.pointer("/spec/versions")
            .and_then(Value::as_array)
            .is_some_and(|vs| {
                vs.iter()
                    .any(|v| v.get("name").and_then(Value::as_str) == Some(wanted))
            })
    })
}

fn crd_objects(version: &str, namespace: &str) -> Vec<Value> {
    CRDS.iter()
        .map(|(group, kind, plural, versions)| {
            let versions: Vec<Version> = versions.iter().enumerate().map(|(i, v)| Version(v, i + 1 == versions.len())).collect();
            let mut crd = crds::minimal(group, kind, plural, "Namespaced", &versions);
            crd["metadata"]["annotations"] = created_by(version);
            crd["metadata"]["labels"] = json!({"helm.sh/chart": "linkerd-crds-1.6.1", "linkerd.io/control-plane-ns": namespace});
            crd
        })
        .collect()
}

/// The chart defaults the fake uses (a subset of linkerd-control-plane's values.yaml).
fn defaults(call: &Call, namespace: &str) -> Value {
    let registry = call
        .invocation
        .env("LINKERD_DOCKER_REGISTRY")
        .unwrap_or("cr.l5d.io/linkerd");
    json!({
        "clusterDomain": "cluster.local",
        "clusterNetworks": "10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16",
        "cniEnabled": false,
        "controllerImage": format!("{registry}/controller"),
        "controllerLogLevel": "info",
        "controllerReplicas": 1,
        "controlPlaneTracing": false,
        "disableHeartBeat": false,
        "enableH2Upgrade": true,
        "enablePodAntiAffinity": false,
        "identity": {
            "externalCA": false,
            "issuer": {
                "clockSkewAllowance": "20s",
                "issuanceLifetime": "24h0m0s",
                "scheme": "linkerd.io/tls",
                "tls": {"crtPEM": "", "keyPEM": ""},
            },
        },
        "identityTrustAnchorsPEM": "",
        "identityTrustDomain": "cluster.local",
        "linkerdVersion": call.version(),
        "namespace": namespace,
        "policyController": {"defaultAllowPolicy": "all-unauthenticated", "logLevel": "info"},
        "policyValidator": {"externalSecret": false, "crtPEM": "", "keyPEM": "", "caBundle": "", "injectCaFrom": "", "injectCaFromSecret": ""},
        "profileValidator": {"externalSecret": false, "crtPEM": "", "keyPEM": "", "caBundle": "", "injectCaFrom": "", "injectCaFromSecret": ""},
        "proxy": {"image": {"name": format!("{registry}/proxy"), "version": ""}, "logLevel": "warn,linkerd=info,trust_dns=error"},
        "proxyInjector": {"externalSecret": false, "crtPEM": "", "keyPEM": "", "caBundle": "", "injectCaFrom": "", "injectCaFromSecret": ""},
    })
}

/// Defaults, then flags, then generated or supplied issuer credentials, then --set/--values.
fn control_plane_values(call: &Call, namespace: &str) -> Result<Value, Outcome> {
    let mut values = defaults(call, namespace);
    let parsed = &call.parsed;
    let read = |flag: &str| -> Result<Option<String>, Outcome> {
        match parsed.last(flag) {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(call.invocation.path(path))
                .map(Some)
                .map_err(|e| {
                    error(&format!(
                        "open {path}: {}",
                        super::super::values::io_reason(&e)
                    ))
                }),
        }
    };
    if let Some(domain) = parsed.last("identity-trust-domain") {
        let valid = !domain.is_empty()
            && domain.len() <= 253
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !valid {
            return Err(error(&format!(
                "invalid trust domain '{domain}': must be a DNS-1123 subdomain"
            )));
        }
        values["identityTrustDomain"] = json!(domain);
    }
    for (flag, path) in [
        (
            "identity-issuance-lifetime",
            "/identity/issuer/issuanceLifetime",
        ),
        (
            "identity-clock-skew-allowance",
            "/identity/issuer/clockSkewAllowance",
        ),
        ("controller-log-level", "/controllerLogLevel"),
        ("cluster-networks", "/clusterNetworks"),
        (
            "default-inbound-policy",
            "/policyController/defaultAllowPolicy",
        ),
        ("proxy-log-level", "/proxy/logLevel"),
        ("proxy-version", "/proxy/image/version"),
    ] {
        if let (Some(v), Some(slot)) = (parsed.last(flag), values.pointer_mut(path)) {
            *slot = json!(v);
        }
    }
    if let Some(replicas) = parsed.last("controller-replicas") {
        let replicas: u64 = replicas.parse().map_err(|_| error(&format!("invalid argument \"{replicas}\" for \"--controller-replicas\" flag: strconv.ParseUint: parsing \"{replicas}\": invalid syntax")))?;
        values["controllerReplicas"] = json!(replicas);
    }
    if parsed.on("ha") {
        values["controllerReplicas"] = json!(3);
        values["enablePodAntiAffinity"] = json!(true);
    }
    if parsed.on("identity-external-ca") {
        values["identity"]["externalCA"] = json!(true);
    }
    if let Some(anchors) = read("identity-trust-anchors-file")? {
        values["identityTrustAnchorsPEM"] = json!(anchors);
    }
    let crt = read("identity-issuer-certificate-file")?;
    let key = read("identity-issuer-key-file")?;
    if parsed.on("identity-external-issuer") {
        if crt.is_some() || key.is_some() {
            return Err(error("--identity-issuer-certificate-file and --identity-issuer-key-file must not be specified if --identity-external-issuer=true"));
        }
        values["identity"]["issuer"]["scheme"] = json!("kubernetes.io/tls");
    } else {
        if let Some(crt) = crt {
            values["identity"]["issuer"]["tls"]["crtPEM"] = json!(crt);
        }
        if let Some(key) = key {
            values["identity"]["issuer"]["tls"]["keyPEM"] = json!(key);
        }
        let anchors = values::str_at(&values, "identityTrustAnchorsPEM")
            .unwrap_or_default()
            .to_string();
        let crt = values::str_at(&values, "identity.issuer.tls.crtPEM")
            .unwrap_or_default()
            .to_string();
        let key = values::str_at(&values, "identity.issuer.tls.keyPEM")
            .unwrap_or_default()
            .to_string();
        if !anchors.is_empty() || !crt.is_empty() || !key.is_empty() {
            // cli/cmd/options.go: all three or none.
            if anchors.is_empty() {
                return Err(error(
                    "a trust anchors file must be specified if other credentials are provided",
                ));
            }
            if crt.is_empty() {
                return Err(error(
                    "a certificate file must be specified if other credentials are provided",
                ));
            }
            if key.is_empty() {
                return Err(error(
                    "a private key file must be specified if other credentials are provided",
                ));
            }
            if !crt.contains("-----BEGIN CERTIFICATE-----") {
                return Err(error("failed to validate issuer credentials: failed to read CA: tls: failed to find any PEM data in certificate input"));
            }
            if !key.contains("PRIVATE KEY-----") {
                return Err(error("failed to validate issuer credentials: failed to read CA: tls: failed to find any PEM data in key input"));
            }
        } else {
            // No credentials: a self-signed root that is both anchor and issuer.
            let domain = values::str_at(&values, "identityTrustDomain")
                .unwrap_or("cluster.local")
                .to_string();
            let root = certs::self_signed(&format!("identity.{namespace}.{domain}"), true)
                .map_err(|e| error(&e))?;
            values["identityTrustAnchorsPEM"] = json!(root.cert_pem);
            values["identity"]["issuer"]["tls"]["crtPEM"] = json!(root.cert_pem);
            values["identity"]["issuer"]["tls"]["keyPEM"] = json!(root.key_pem);
        }
    }
    values::merge_into(&mut values, call.user_values()?);
    Ok(values)
}

fn render(call: &Call, values: &Value, namespace: &str) -> Result<Vec<Value>, String> {
    let version = call.version();
    let s = |path: &str| values::str_at(values, path).unwrap_or_default().to_string();
    let component = |name: &str| json!({"linkerd.io/control-plane-component": name, "linkerd.io/control-plane-ns": namespace});
    let registry = s("controllerImage");
    let replicas = values["controllerReplicas"].as_u64().unwrap_or(1);
    let proxy_registry = s("proxy.image.name").trim_end_matches("/proxy").to_string();
    let mut objects = vec![objects::namespace(
        namespace,
        json!({"linkerd.io/is-control-plane": "true", "config.linkerd.io/admission-webhooks": "disabled", "linkerd.io/control-plane-ns": namespace, "pod-security.kubernetes.io/enforce": "privileged"}),
        json!({"linkerd.io/inject": "disabled"}),
    )];
    // identity-rbac.yaml, destination-rbac.yaml (with the two validator webhooks).
    objects.push(objects::service_account(
        "linkerd-identity",
        namespace,
        component("identity"),
    ));
    objects.push(objects::service_account(
        "linkerd-destination",
        namespace,
        component("destination"),
    ));
    for (key, secret, config, hook, service, rules) in [
        (
            "profileValidator",
            "linkerd-sp-validator-k8s-tls",
            "linkerd-sp-validator-webhook-config",
            "linkerd-sp-validator.linkerd.io",
            "linkerd-sp-validator",
            json!([{"operations": ["CREATE", "UPDATE"], "apiGroups": ["linkerd.io"], "apiVersions": ["v1alpha1", "v1alpha2"], "resources": ["serviceprofiles"]}]),
        ),
        (
            "policyValidator",
            "linkerd-policy-validator-k8s-tls",
            "linkerd-policy-validator-webhook-config",
            "linkerd-policy-validator.linkerd.io",
            "linkerd-policy-validator",
            json!([{"operations": ["CREATE", "UPDATE"], "apiGroups": ["policy.linkerd.io"], "apiVersions": ["*"], "resources": ["authorizationpolicies", "httproutes", "networkauthentications", "meshtlsauthentications", "serverauthorizations", "servers"]}]),
        ),
    ] {
        let tls = objects::webhook_tls(
            values,
            key,
            secret,
            namespace,
            &format!("{service}.{namespace}.svc"),
            component("destination"),
            version,
        )?;
        objects.extend(tls.secret.clone());
        objects.push(objects::webhook_configuration(
            "ValidatingWebhookConfiguration",
            config,
            hook,
            service,
            namespace,
            component("destination"),
            &tls,
            rules,
            json!({"namespaceSelector": {"matchExpressions": [{"key": "config.linkerd.io/admission-webhooks", "operator": "NotIn", "values": ["disabled"]}]}}),
        ));
    }
    // proxy-injector-rbac.yaml
    objects.push(objects::service_account(
        "linkerd-proxy-injector",
        namespace,
        component("proxy-injector"),
    ));
    let injector_tls = objects::webhook_tls(
        values,
        "proxyInjector",
        "linkerd-proxy-injector-k8s-tls",
        namespace,
        &format!("linkerd-proxy-injector.{namespace}.svc"),
        component("proxy-injector"),
        version,
    )?;
    objects.extend(injector_tls.secret.clone());
    objects.push(objects::webhook_configuration(
        "MutatingWebhookConfiguration",
        "linkerd-proxy-injector-webhook-config",
        "linkerd-proxy-injector.linkerd.io",
        "linkerd-proxy-injector",
        namespace,
        component("proxy-injector"),
        &injector_tls,
        json!([{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods", "services"], "scope": "Namespaced"}]),
        json!({
            "namespaceSelector": {"matchExpressions": [
                {"key": "config.linkerd.io/admission-webhooks", "operator": "NotIn", "values": ["disabled"]},
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system", "cert-manager"]},
            ]},
            "reinvocationPolicy": "IfNeeded",
        }),
    ));
    // config.yaml: the values minus private keys.
    let mut public = values.clone();
    for path in [
        "/identity/issuer/tls",
        "/proxyInjector",
        "/profileValidator",
        "/policyValidator",
    ] {
        if let Some(Value::Object(map)) = public.pointer_mut(path) {
            map.remove("keyPEM");
        }
    }
    objects.push(json!({
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": objects::metadata("linkerd-config", Some(namespace), component("controller"), created_by(version)),
        "data": {"values": output::yaml(&output::sorted(public))},
    }));
    // identity.yaml
    if values
        .pointer("/identity/externalCA")
        .and_then(Value::as_bool)
        != Some(true)
    {
        objects.push(json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": objects::metadata("linkerd-identity-trust-roots", Some(namespace), component("identity"), created_by(version)),
            "data": {"ca-bundle.crt": s("identityTrustAnchorsPEM").trim()},
        }));
    }
    if s("identity.issuer.scheme") == "linkerd.io/tls" {
        objects.push(json!({
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": objects::metadata("linkerd-identity-issuer", Some(namespace), component("identity"), json!({"linkerd.io/created-by": format!("linkerd/cli {version}"), "linkerd.io/identity-issuer-expiry": ""})),
            "data": {"crt.pem": output::b64(s("identity.issuer.tls.crtPEM")), "key.pem": output::b64(s("identity.issuer.tls.keyPEM"))},
        }));
    }
    let mut services = Vec::new();
    let mut deployments = Vec::new();
    for (name, component_name, args, ports) in [
        (
            "linkerd-identity",
            "identity",
            json!([
                "identity",
                format!("-log-level={}", s("controllerLogLevel"))
            ]),
            json!([{"name": "grpc", "port": 8080, "targetPort": 8080}]),
        ),
        (
            "linkerd-destination",
            "destination",
            json!([
                "destination",
                format!("-log-level={}", s("controllerLogLevel"))
            ]),
            json!([{"name": "grpc", "port": 8086, "targetPort": 8086}]),
        ),
        (
            "linkerd-proxy-injector",
            "proxy-injector",
            json!([
                "proxy-injector",
                format!("-log-level={}", s("controllerLogLevel"))
            ]),
            json!([{"name": "proxy-injector", "port": 443, "targetPort": "proxy-injector"}]),
        ),
    ] {
        let selector = json!({"linkerd.io/control-plane-component": component_name, "linkerd.io/control-plane-ns": namespace, "linkerd.io/proxy-deployment": name});
        let mut labels = component(component_name);
        labels["app.kubernetes.io/name"] = json!(component_name);
        labels["app.kubernetes.io/part-of"] = json!("Linkerd");
        labels["app.kubernetes.io/version"] = json!(version);
        deployments.push(objects::deployment(Workload {
            name,
            namespace,
            labels,
            annotations: created_by(version),
            selector: selector.clone(),
            pod_annotations: json!({"linkerd.io/created-by": format!("linkerd/cli {version}"), "linkerd.io/proxy-version": version, "linkerd.io/identity-mode": "default"}),
            service_account: name,
            containers: json!([
                {"name": component_name, "image": format!("{registry}:{version}"), "args": args},
                objects::proxy_container(version, &proxy_registry),
            ]),
            replicas,
        }));
        let service_name = match component_name {
            "destination" => "linkerd-dst",
            other => {
                if other == "identity" {
                    "linkerd-identity"
                } else {
                    "linkerd-proxy-injector"
                }
            }
        };
        services.push(objects::service(
            service_name,
            namespace,
            component(component_name),
            created_by(version),
            json!({"type": "ClusterIP", "selector": {"linkerd.io/control-plane-component": component_name}, "ports": ports}),
        ));
    }
    for (name, port) in [
        ("linkerd-sp-validator", 443),
        ("linkerd-policy", 8090),
        ("linkerd-policy-validator", 443),
    ] {
        services.push(objects::service(
            name,
            namespace,
            component("destination"),
            created_by(version),
            json!({"type": "ClusterIP", "selector": {"linkerd.io/control-plane-component": "destination"}, "ports": [{"name": name.trim_start_matches("linkerd-"), "port": port}]}),
        ));
    }
    objects.extend(services);
    objects.extend(deployments);
    // linkerd-config-overrides: what differs from the defaults (keys included), for upgrade.
    let overrides = diff(&defaults(call, namespace), values).unwrap_or_else(|| json!({}));
    objects.push(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "linkerd-config-overrides", "namespace": namespace, "labels": {"linkerd.io/control-plane-ns": namespace}},
        "data": {"linkerd-config-overrides": output::b64(output::yaml(&output::sorted(overrides)))},
    }));
    Ok(objects)
}

/// The parts of `values` that differ from `defaults` (maps compared key by key).
fn diff(defaults: &Value, values: &Value) -> Option<Value> {
    match (defaults, values) {
        (Value::Object(d), Value::Object(v)) => {
            let mut out = Map::new();
            for (key, value) in v {
                match d.get(key) {
                    Some(default) => {
                        if let Some(changed) = diff(default, value) {
                            out.insert(key.clone(), changed);
                        }
                    }
                    None => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (d, v) if d == v => None,
        (_, v) => Some(v.clone()),
    }
}
