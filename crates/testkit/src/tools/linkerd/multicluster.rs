//! `linkerd multicluster install` (the gateway, its LoadBalancer Service, the remote-access
//! account and token Secret, policies and the Link CRD) and `linkerd multicluster link`,
//! which reads the target cluster exactly as 2.13's `link.go` does and prints the
//! credentials Secret, the Link and the service-mirror chart.

use serde_json::{json, Value};

use super::super::args::{switch, value, FlagSpec};
use super::super::crds::{self, Version};
use super::super::{output, store, values};
use super::objects::{self, created_by, Workload};
use super::{error, linkerd_config_values, Call};
use crate::tools::Outcome;

pub(super) const INSTALL_FLAGS: [FlagSpec; 11] = [
    switch("gateway"),
    value("gateway-port"),
    value("gateway-probe-port"),
    value("gateway-probe-seconds"),
    value("gateway-service-type"),
    switch("service-mirror-credentials"),
    switch("ha"),
    value("wait"),
    switch("ignore-cluster"),
    value("namespace"),
    value("log-level"),
];

pub(super) const LINK_FLAGS: [FlagSpec; 15] = [
    value("cluster-name"),
    value("namespace"),
    value("api-server-address"),
    value("service-account-name"),
    value("gateway-name"),
    value("gateway-namespace"),
    value("gateway-addresses"),
    value("gateway-port"),
    value("selector").short('l'),
    value("service-mirror-retry-limit"),
    value("log-level"),
    value("registry"),
    value("control-plane-version"),
    switch("ha"),
    value("wait"),
];

const NAMESPACE: &str = "linkerd-multicluster";
const REMOTE_ACCESS: &str = "linkerd-service-mirror-remote-access-default";

fn flag_on(call: &Call, name: &str) -> bool {
    // Bool flags that default to true: absent means on.
    call.parsed.last(name).is_none_or(|v| v != "false")
}

fn number(call: &Call, flag: &str, default: u64) -> Result<u64, Outcome> {
    match call.parsed.last(flag) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| {
            error(&format!("invalid argument \"{raw}\" for \"--{flag}\" flag: strconv.ParseUint: parsing \"{raw}\": invalid syntax"))
        }),
    }
}

pub(super) fn install(call: &Call) -> Result<Outcome, Outcome> {
    let linkerd_namespace = call.linkerd_namespace();
    let mut trust_domain = "cluster.local".to_string();
    if !call.parsed.on("ignore-cluster") {
        let (_, cluster) = call.cluster()?;
        let Some(config) = linkerd_config_values(&cluster, &linkerd_namespace) else {
            return Err(error(
                "you need Linkerd to be installed in order to install multicluster addons",
            ));
        };
        if let Some(domain) =
            values::str_at(&config, "identityTrustDomain").filter(|d| !d.is_empty())
        {
            trust_domain = domain.to_string();
        }
    }
    let mut vals = json!({
        "gateway": {
            "enabled": flag_on(call, "gateway"),
            "name": "linkerd-gateway",
            "port": number(call, "gateway-port", 4143)?,
            "probe": {"path": "/ready", "port": number(call, "gateway-probe-port", 4191)?, "seconds": number(call, "gateway-probe-seconds", 3)?},
            "serviceType": call.parsed.last("gateway-service-type").unwrap_or("LoadBalancer"),
            "loadBalancerIP": "",
        },
        "identityTrustDomain": trust_domain,
        "linkerdNamespace": linkerd_namespace,
        "linkerdVersion": call.version(),
        "remoteMirrorServiceAccount": flag_on(call, "service-mirror-credentials"),
        "remoteMirrorServiceAccountName": REMOTE_ACCESS,
    });
    values::merge_into(&mut vals, call.user_values()?);
    Ok(Outcome::out(output::documents(&render_install(
        call, &vals,
    ))))
}

fn render_install(call: &Call, vals: &Value) -> Vec<Value> {
    let version = call.version();
    let extension = json!({"linkerd.io/extension": "multicluster"});
    let s = |path: &str| values::str_at(vals, path).unwrap_or_default().to_string();
    let n = |pointer: &str, default: u64| {
        vals.pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or(default)
    };
    let mut out = vec![objects::namespace(
        NAMESPACE,
        json!({"linkerd.io/extension": "multicluster", "pod-security.kubernetes.io/enforce": "privileged"}),
        json!({}),
    )];
    if vals.pointer("/gateway/enabled").and_then(Value::as_bool) != Some(false) {
        let gateway = s("gateway.name");
        let port = n("/gateway/port", 4143);
        let probe_port = n("/gateway/probe/port", 4191);
        out.push(objects::deployment(Workload {
            name: &gateway,
            namespace: NAMESPACE,
            labels: json!({"app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": "Linkerd", "app.kubernetes.io/version": version, "component": "gateway", "app": &gateway, "linkerd.io/extension": "multicluster"}),
            annotations: created_by(version),
            selector: json!({"app": &gateway}),
            pod_annotations: json!({
                "linkerd.io/created-by": format!("linkerd/cli {version}"),
                "linkerd.io/inject": "enabled",
                "config.linkerd.io/proxy-require-identity-inbound-ports": port.to_string(),
                "config.linkerd.io/enable-gateway": "true",
                "config.linkerd.io/default-inbound-policy": "all-authenticated",
            }),
            service_account: &gateway,
            containers: json!([{"name": "pause", "image": "gcr.io/google_containers/pause:3.2", "securityContext": {"runAsUser": 2103}}]),
            replicas: 1,
        }));
        let mut spec = json!({
            "ports": [{"name": "mc-gateway", "port": port, "protocol": "TCP"}, {"name": "mc-probe", "port": probe_port, "protocol": "TCP"}],
            "selector": {"app": &gateway},
            "type": s("gateway.serviceType"),
        });
        if !s("gateway.loadBalancerIP").is_empty() {
            spec["loadBalancerIP"] = json!(s("gateway.loadBalancerIP"));
        }
        out.push(objects::service(
            &gateway,
            NAMESPACE,
            extension.clone(),
            json!({
                "mirror.linkerd.io/gateway-identity": format!("{gateway}.{NAMESPACE}.serviceaccount.identity.{}.{}", s("linkerdNamespace"), s("identityTrustDomain")),
                "mirror.linkerd.io/probe-period": n("/gateway/probe/seconds", 3).to_string(),
                "mirror.linkerd.io/probe-path": s("gateway.probe.path"),
                "mirror.linkerd.io/multicluster-gateway": "true",
                "component": "gateway",
                "linkerd.io/created-by": format!("linkerd/cli {version}"),
            }),
            spec,
        ));
        out.push(objects::service_account(
            &gateway,
            NAMESPACE,
            extension.clone(),
        ));
        out.push(objects::object(
            "policy.linkerd.io/v1beta1",
            "Server",
            &gateway,
            Some(NAMESPACE),
            extension.clone(),
            json!({"spec": {"podSelector": {"matchLabels": {"app": &gateway}}, "port": "linkerd-proxy"}}),
        ));
        out.push(objects::object(
            "policy.linkerd.io/v1alpha1",
            "AuthorizationPolicy",
            &gateway,
            Some(NAMESPACE),
            extension.clone(),
            json!({"spec": {
                "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": &gateway},
                "requiredAuthenticationRefs": [
                    {"group": "policy.linkerd.io", "kind": "MeshTLSAuthentication", "name": "any-meshed", "namespace": NAMESPACE},
                    {"group": "policy.linkerd.io", "kind": "NetworkAuthentication", "name": "source-cluster", "namespace": NAMESPACE},
                ],
            }}),
        ));
        out.push(objects::object(
            "policy.linkerd.io/v1alpha1",
            "MeshTLSAuthentication",
            "any-meshed",
            Some(NAMESPACE),
            extension.clone(),
            json!({"spec": {"identities": ["*"]}}),
        ));
        out.push(objects::object(
            "policy.linkerd.io/v1alpha1",
            "NetworkAuthentication",
            "source-cluster",
            Some(NAMESPACE),
            extension.clone(),
            json!({"spec": {"networks": [{"cidr": "0.0.0.0/0"}, {"cidr": "::/0"}]}}),
        ));
    }
    if vals
        .get("remoteMirrorServiceAccount")
        .and_then(Value::as_bool)
        != Some(false)
    {
        let account = s("remoteMirrorServiceAccountName");
        out.push(objects::object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            &account,
            None,
            extension.clone(),
            json!({"rules": [
                {"apiGroups": [""], "resources": ["services", "endpoints"], "verbs": ["list", "get", "watch"]},
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["linkerd-config"]},
                {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
            ]}),
        ));
        out.push(objects::service_account(
            &account,
            NAMESPACE,
            extension.clone(),
        ));
        out.push(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": objects::metadata(&format!("{account}-token"), Some(NAMESPACE), extension.clone(), json!({"kubernetes.io/service-account.name": &account})),
            "type": "kubernetes.io/service-account-token",
        }));
        out.push(objects::object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            &account,
            None,
            extension.clone(),
            json!({
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": &account},
                "subjects": [{"kind": "ServiceAccount", "name": &account, "namespace": NAMESPACE}],
            }),
        ));
    }
    let mut link_crd = crds::minimal(
        "multicluster.linkerd.io",
        "Link",
        "links",
        "Namespaced",
        &[Version("v1alpha1", true)],
    );
    link_crd["metadata"]["labels"] = extension.clone();
    link_crd["metadata"]["annotations"] =
        json!({"linkerd.io/created-by": format!("linkerd/helm {version}")});
    out.push(crds::shared_or(
        call.invocation.shared_crds().as_deref(),
        "linkerd-multicluster-links.yaml",
        link_crd,
    ));
    out.push(objects::object(
        "policy.linkerd.io/v1beta1",
        "Server",
        "service-mirror",
        Some(NAMESPACE),
        extension.clone(),
        json!({"spec": {"podSelector": {"matchLabels": {"component": "linkerd-service-mirror"}}, "port": "admin-http", "proxyProtocol": "HTTP/1"}}),
    ));
    out.push(objects::object(
        "policy.linkerd.io/v1alpha1",
        "AuthorizationPolicy",
        "service-mirror",
        Some(NAMESPACE),
        extension,
        json!({"spec": {
            "targetRef": {"group": "policy.linkerd.io", "kind": "Server", "name": "service-mirror"},
            "requiredAuthenticationRefs": [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "linkerd-viz"}],
        }}),
    ));
    out
}

pub(super) fn link(call: &Call) -> Result<Outcome, Outcome> {
    let p = &call.parsed;
    let name = p.last("cluster-name").unwrap_or_default().to_string();
    if name.is_empty() {
        return Err(error("You need to specify cluster name"));
    }
    let namespace = p.last("namespace").unwrap_or(NAMESPACE).to_string();
    let account = p
        .last("service-account-name")
        .unwrap_or(REMOTE_ACCESS)
        .to_string();
    let gateway_name = p
        .last("gateway-name")
        .unwrap_or("linkerd-gateway")
        .to_string();
    let gateway_namespace = p.last("gateway-namespace").unwrap_or(NAMESPACE).to_string();
    let linkerd_namespace = call.linkerd_namespace();
    let (target, cluster) = call.cluster()?;

    // 1. linkerd-config → clusterDomain.
    let Some(config) = linkerd_config_values(&cluster, &linkerd_namespace) else {
        return Err(error(
            "you need Linkerd to be installed on a cluster in order to get its credentials",
        ));
    };
    let cluster_domain = values::str_at(&config, "clusterDomain")
        .filter(|d| !d.is_empty())
        .unwrap_or("cluster.local")
        .to_string();
    // 2. The remote-access ServiceAccount.
    if store::get(&cluster, "v1", "ServiceAccount", Some(&namespace), &account).is_none() {
        return Err(error(&format!("serviceaccounts \"{account}\" not found")));
    }
    // 3. Its token Secret, found with fieldSelector type=kubernetes.io/service-account-token.
    let token_secret = store::list_in(&cluster, "v1", "Secret", &namespace)
        .into_iter()
        .find(|s| {
            s.get("type").and_then(Value::as_str) == Some("kubernetes.io/service-account-token")
                && s.pointer("/metadata/annotations/kubernetes.io~1service-account.name")
                    .and_then(Value::as_str)
                    == Some(account.as_str())
        });
    let Some(token_secret) = token_secret else {
        return Err(error(&format!(
            "could not find service account token secret for {account}"
        )));
    };
    let secret_name = token_secret
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let token = token_secret
        .pointer("/data/token")
        .and_then(Value::as_str)
        .and_then(output::unb64)
        .and_then(|t| String::from_utf8(t).ok())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            error(&format!(
                "could not find the token data in service account secret {secret_name}"
            ))
        })?;
    // 4. The CLI's own kubeconfig context, with the SA token and an optional server override.
    let mut remote_cluster = target.cluster.clone();
    if let Some(address) = p.last("api-server-address").filter(|a| !a.is_empty()) {
        remote_cluster["server"] = json!(address);
    }
    let kubeconfig = output::sorted(json!({
        "apiVersion": "v1",
        "clusters": [{"cluster": remote_cluster, "name": target.cluster_name}],
        "contexts": [{"context": {"cluster": target.cluster_name, "user": account}, "name": target.context}],
        "current-context": target.context,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": account, "user": {"token": token}}],
    }));
    let credentials = output::sorted(json!({
        "apiVersion": "v1",
        "data": {"kubeconfig": output::b64(output::yaml(&kubeconfig))},
        "kind": "Secret",
        "metadata": {"creationTimestamp": null, "name": format!("cluster-credentials-{name}"), "namespace": namespace},
        "type": "mirror.linkerd.io/remote-kubeconfig",
    }));
    // 5. The gateway Service.
    let Some(gateway) = store::get(
        &cluster,
        "v1",
        "Service",
        Some(&gateway_namespace),
        &gateway_name,
    ) else {
        return Err(error(&format!("services \"{gateway_name}\" not found")));
    };
    let addresses: Vec<String> = gateway
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|ingress| {
            let ip = ingress
                .get("ip")
                .and_then(Value::as_str)
                .filter(|ip| !ip.is_empty());
            ip.or_else(|| ingress.get("hostname").and_then(Value::as_str))
                .filter(|a| !a.is_empty())
                .map(str::to_string)
        })
        .collect();
    // 2.13: LoadBalancer addresses win; --gateway-addresses only when there are none.
    let gateway_address = match (
        addresses.is_empty(),
        p.last("gateway-addresses").filter(|a| !a.is_empty()),
    ) {
        (false, _) => addresses.join(","),
        (true, Some(flag)) => flag.to_string(),
        (true, None) => {
            return Err(error(&format!(
                "Gateway {gateway_name}.{gateway_namespace} has no ingress addresses"
            )))
        }
    };
    let annotation = |key: &str| {
        gateway
            .pointer(&format!("/metadata/annotations/{}", key.replace('/', "~1")))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let identity = annotation("mirror.linkerd.io/gateway-identity")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| error(&format!("Gateway {gateway_name}.{gateway_namespace} has no mirror.linkerd.io/gateway-identity annotation")))?;
    let probe_path = annotation("mirror.linkerd.io/probe-path").ok_or_else(|| {
        error(&format!(
            "probe path annotation not present on gateway {gateway_name}.{gateway_namespace}"
        ))
    })?;
    let period_raw = annotation("mirror.linkerd.io/probe-period").ok_or_else(|| {
        error(&format!(
            "probe period annotation not present on gateway {gateway_name}.{gateway_namespace}"
        ))
    })?;
    let period: u64 = period_raw
        .parse()
        .map_err(|_| error(&format!("could not parse probe period annotation on gateway {gateway_name}.{gateway_namespace}: strconv.ParseUint: parsing \"{period_raw}\": invalid syntax")))?;
    let node_port = gateway.pointer("/spec/type").and_then(Value::as_str) == Some("NodePort");
    let port_named = |wanted: &str| {
        gateway
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|port| port.get("name").and_then(Value::as_str) == Some(wanted))
            .and_then(|port| {
                let field = if node_port { "nodePort" } else { "port" };
                port.get(field).and_then(Value::as_u64)
            })
    };
    let probe_port = port_named("mc-probe").ok_or_else(|| {
        error(&format!(
            "could not find probe port on gateway {gateway_name}.{gateway_namespace}"
        ))
    })?;
    let mut gateway_port = port_named("mc-gateway").ok_or_else(|| {
        error(&format!(
            "gateway {gateway_name}.{gateway_namespace} has no mc-gateway port"
        ))
    })?;
    if let Some(flag) = p.last("gateway-port") {
        let flag: u64 = flag.parse().map_err(|_| error(&format!("invalid argument \"{flag}\" for \"--gateway-port\" flag: strconv.ParseUint: parsing \"{flag}\": invalid syntax")))?;
        if flag != 0 {
            gateway_port = flag;
        }
    }
    let selector = parse_selector(
        p.last("selector")
            .unwrap_or("mirror.linkerd.io/exported=true"),
    )
    .map_err(|e| error(&e))?;
    let link = output::sorted(json!({
        "apiVersion": "multicluster.linkerd.io/v1alpha1",
        "kind": "Link",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "clusterCredentialsSecret": format!("cluster-credentials-{name}"),
            "gatewayAddress": gateway_address,
            "gatewayIdentity": identity,
            "gatewayPort": gateway_port.to_string(),
            "probeSpec": {"path": probe_path, "period": format!("{period}s"), "port": probe_port.to_string()},
            "selector": selector,
            "targetClusterDomain": cluster_domain,
            "targetClusterLinkerdNamespace": linkerd_namespace,
            "targetClusterName": name,
        },
    }));
    // 6. The linkerd-multicluster-link chart.
    let registry = p
        .last("registry")
        .map(str::to_string)
        .or_else(|| {
            call.invocation
                .env("LINKERD_DOCKER_REGISTRY")
                .map(str::to_string)
        })
        .unwrap_or_else(|| "cr.l5d.io/linkerd".to_string());
    let mut chart_values = json!({
        "controllerImage": format!("{registry}/controller"),
        "controllerImageVersion": p.last("control-plane-version").unwrap_or(call.version()),
        "enableHeadlessServices": false,
        "enablePSP": false,
        "gateway": {"probe": {"port": 4191}},
        "logLevel": p.last("log-level").unwrap_or("info"),
        "namespace": namespace,
        "serviceMirrorRetryLimit": number(call, "service-mirror-retry-limit", 3)?,
        "targetClusterName": name,
    });
    values::merge_into(&mut chart_values, call.user_values()?);
    let chart = service_mirror_chart(&chart_values);
    let mut stdout = output::yaml(&credentials);
    stdout.push_str("---\n");
    stdout.push_str(&output::yaml(&link));
    stdout.push_str("---\n");
    for (template, object) in chart {
        stdout.push_str(&format!(
            "---\n# Source: linkerd-multicluster-link/templates/{template}\n"
        ));
        stdout.push_str(&output::yaml(&object));
    }
    stdout.push_str("---\n");
    Ok(Outcome::out(stdout))
}

/// `a=b,c=d` (and `a==b`) → `{matchLabels: …}`; set-based selectors are not supported here.
fn parse_selector(selector: &str) -> Result<Value, String> {
    let mut labels = serde_json::Map::new();
    for term in selector.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let (key, value) = term
            .split_once("==")
            .or_else(|| term.split_once('='))
            .ok_or_else(|| {
                format!("fake linkerd: unsupported selector term \"{term}\" (only key=value)")
            })?;
        labels.insert(key.trim().to_string(), json!(value.trim()));
    }
    Ok(json!({"matchLabels": labels}))
}

/// service-mirror.yaml then gateway-mirror.yaml (psp.yaml only with enablePSP).
fn service_mirror_chart(vals: &Value) -> Vec<(&'static str, Value)> {
    let s = |path: &str| values::str_at(vals, path).unwrap_or_default().to_string();
    let name = s("targetClusterName");
    let namespace = s("namespace");
    let labels = json!({"linkerd.io/extension": "multicluster", "component": "service-mirror", "mirror.linkerd.io/cluster-name": &name});
    let rbac = |kind: &str, object_name: &str, ns: Option<&str>, body: Value| {
        (
            "service-mirror.yaml",
            objects::object(
                "rbac.authorization.k8s.io/v1",
                kind,
                object_name,
                ns,
                labels.clone(),
                body,
            ),
        )
    };
    let local = format!("linkerd-service-mirror-access-local-resources-{name}");
    let remote = format!("linkerd-service-mirror-read-remote-creds-{name}");
    let account = format!("linkerd-service-mirror-{name}");
    let subjects = json!([{"kind": "ServiceAccount", "name": &account, "namespace": &namespace}]);
    let mut chart = vec![
        rbac(
            "ClusterRole",
            &local,
            None,
            json!({"rules": [
                {"apiGroups": [""], "resources": ["endpoints", "services"], "verbs": ["list", "get", "watch", "create", "delete", "update"]},
                {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list", "get", "watch"]},
            ]}),
        ),
        rbac(
            "ClusterRoleBinding",
            &local,
            None,
            json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": &local}, "subjects": subjects}),
        ),
        rbac(
            "Role",
            &remote,
            Some(&namespace),
            json!({"rules": [
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list", "get", "watch"], "resourceNames": [format!("cluster-credentials-{name}")]},
                {"apiGroups": ["multicluster.linkerd.io"], "resources": ["links"], "verbs": ["list", "get", "watch"]},
            ]}),
        ),
        rbac(
            "RoleBinding",
            &remote,
            Some(&namespace),
            json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": &remote}, "subjects": subjects}),
        ),
        (
            "service-mirror.yaml",
            objects::service_account(&account, &namespace, labels.clone()),
        ),
        (
            "service-mirror.yaml",
            objects::deployment(Workload {
                name: &account,
                namespace: &namespace,
                labels: labels.clone(),
                annotations: json!({}),
                selector: json!({"component": "linkerd-service-mirror", "mirror.linkerd.io/cluster-name": &name}),
                pod_annotations: json!({"linkerd.io/inject": "enabled"}),
                service_account: &account,
                containers: json!([{
                    "name": "service-mirror",
                    "image": format!("{}:{}", s("controllerImage"), s("controllerImageVersion")),
                    "args": [
                        "service-mirror",
                        format!("-log-level={}", s("logLevel")),
                        format!("-event-requeue-limit={}", vals["serviceMirrorRetryLimit"]),
                        format!("-namespace={namespace}"),
                        "-enable-pprof=false",
                        &name,
                    ],
                    "ports": [{"containerPort": 9999, "name": "admin-http"}],
                }]),
                replicas: 1,
            }),
        ),
    ];
    if vals.get("enablePSP").and_then(Value::as_bool) == Some(true) {
        chart.push((
            "psp.yaml",
            objects::object(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                &format!("linkerd-multicluster-link-psp-{name}"),
                Some(&namespace),
                json!({}),
                json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "linkerd-linkerd-control-plane-psp"}, "subjects": [{"kind": "ServiceAccount", "name": &account, "namespace": &namespace}]}),
            ),
        ));
    }
    let probe_port = vals
        .pointer("/gateway/probe/port")
        .and_then(Value::as_u64)
        .unwrap_or(4191);
    chart.push((
        "gateway-mirror.yaml",
        objects::service(
            &format!("probe-gateway-{name}"),
            &namespace,
            json!({"mirror.linkerd.io/mirrored-gateway": "true", "mirror.linkerd.io/cluster-name": &name}),
            json!({}),
            json!({"ports": [{"name": "mc-probe", "port": probe_port, "protocol": "TCP"}]}),
        ),
    ));
    chart
}
