//! Server-side defaulting and the small conversions the real server does on write, so that
//! defaults are visible to clients exactly where a real cluster shows them: Service
//! (clusterIP from the service subnet, type, sessionAffinity, port protocol/targetPort, IP
//! families), Deployment/DaemonSet (strategy, history, deadlines, pod template), Namespace
//! (name label, finalizers, phase), Secret (type Opaque, stringData folded into data).

use crate::util::base64_encode;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// What defaulting needs from the cluster: the service subnet and the addresses in use.
pub struct DefaultingContext<'a> {
    /// e.g. `10.96.0.0/12`.
    pub service_subnet: &'a str,
    /// Cluster IPs already assigned.
    pub used_cluster_ips: &'a BTreeSet<String>,
    /// Node ports already assigned.
    pub used_node_ports: &'a BTreeSet<u64>,
}

/// Parses `a.b.c.d/n` into (base address, prefix length).
pub fn parse_cidr(cidr: &str) -> Option<(u32, u32)> {
    let (addr, len) = cidr.split_once('/')?;
    let ip: std::net::Ipv4Addr = addr.trim().parse().ok()?;
    let len: u32 = len.trim().parse().ok()?;
    if len > 32 {
        return None;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((u32::from(ip) & mask, len))
}

fn next_cluster_ip(ctx: &DefaultingContext<'_>) -> Option<String> {
    let (base, len) = parse_cidr(ctx.service_subnet)?;
    let size = 1u64 << (32 - len);
    // .1 is the `kubernetes` Service and .10 kube-dns on a real cluster; start after them.
    (11..size.saturating_sub(1))
        .map(|i| std::net::Ipv4Addr::from(base.wrapping_add(i as u32)).to_string())
        .find(|ip| !ctx.used_cluster_ips.contains(ip))
}

fn set_default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.to_string(), value);
    }
}

fn object_at<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let map = v.as_object_mut()?;
    let entry = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if entry.is_null() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut()
}

/// Applies the defaults of `kind` (group-qualified by `api_version`) to `obj`; `old` is the
/// stored object on update (immutable allocations like clusterIP carry over).
pub fn apply_defaults(
    api_version: &str,
    kind: &str,
    obj: &mut Value,
    old: Option<&Value>,
    ctx: &DefaultingContext<'_>,
) {
    match (api_version, kind) {
        ("v1", "Service") => service(obj, old, ctx),
        ("v1", "Namespace") => namespace(obj),
        ("v1", "Secret") => secret(obj),
        ("apps/v1", "Deployment") => deployment(obj),
        ("apps/v1", "DaemonSet") => daemonset(obj),
        _ => {}
    }
}

fn service(obj: &mut Value, old: Option<&Value>, ctx: &DefaultingContext<'_>) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_default(spec, "type", json!("ClusterIP"));
    let svc_type = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
    if svc_type != "ExternalName" {
        set_default(spec, "sessionAffinity", json!("None"));
        let carried = old
            .and_then(|o| o.pointer("/spec/clusterIP"))
            .filter(|v| v.is_string())
            .cloned();
        if spec.get("clusterIP").is_none_or(|v| v.is_null() || v == "") {
            let ip = carried
                .or_else(|| next_cluster_ip(ctx).map(Value::String))
                .unwrap_or(json!("None"));
            spec.insert("clusterIP".into(), ip);
        }
        if let Some(ip) = spec.get("clusterIP").cloned() {
            set_default(spec, "clusterIPs", json!([ip]));
        }
        set_default(spec, "ipFamilies", json!(["IPv4"]));
        set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
        set_default(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    let external = svc_type == "NodePort" || svc_type == "LoadBalancer";
    if external {
        set_default(spec, "externalTrafficPolicy", json!("Cluster"));
    }
    if svc_type == "LoadBalancer" {
        set_default(spec, "allocateLoadBalancerNodePorts", json!(true));
    }
    let old_ports: Vec<Value> = old
        .and_then(|o| o.pointer("/spec/ports"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut used_ports = ctx.used_node_ports.clone();
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            set_default(port, "protocol", json!("TCP"));
            if let Some(p) = port.get("port").cloned() {
                set_default(port, "targetPort", p);
            }
            if external && port.get("nodePort").is_none_or(Value::is_null) {
                let carried = old_ports
                    .iter()
                    .find(|o| {
                        o.get("port") == port.get("port")
                            && o.get("protocol") == port.get("protocol")
                    })
                    .and_then(|o| o.get("nodePort"))
                    .cloned();
                let node_port = carried.or_else(|| {
                    let free = (30000u64..32768).find(|p| !used_ports.contains(p))?;
                    used_ports.insert(free);
                    Some(json!(free))
                });
                if let Some(np) = node_port {
                    port.insert("nodePort".into(), np);
                }
            }
        }
    }
    if let Some(o) = obj.as_object_mut() {
        set_default(o, "status", json!({"loadBalancer": {}}));
    }
}

fn namespace(obj: &mut Value) {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if let Some(meta) = object_at(obj, "metadata") {
        if let Some(labels) = object_at_map(meta, "labels") {
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        }
    }
    if let Some(spec) = object_at(obj, "spec") {
        if spec.get("finalizers").is_some_and(|f| f == &json!([])) {
            spec.remove("finalizers");
        }
        set_default(spec, "finalizers", json!(["kubernetes"]));
    }
    if let Some(status) = object_at(obj, "status") {
        set_default(status, "phase", json!("Active"));
    }
}

fn object_at_map<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    let entry = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if entry.is_null() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut()
}

fn secret(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    if map.get("type").is_some_and(|t| t == "") {
        map.remove("type");
    }
    set_default(map, "type", json!("Opaque"));
    // The real server folds stringData into data (base64) and never stores stringData.
    if let Some(Value::Object(string_data)) = map.remove("stringData") {
        let data = object_at_map(map, "data");
        if let Some(data) = data {
            for (k, v) in string_data {
                if let Some(s) = v.as_str() {
                    data.insert(k, json!(base64_encode(s.as_bytes())));
                }
            }
        }
    }
}

fn pod_template(spec: &mut Map<String, Value>) {
    let Some(template) = object_at_map(spec, "template") else {
        return;
    };
    let Some(pod) = object_at_map(template, "spec") else {
        return;
    };
    set_default(pod, "restartPolicy", json!("Always"));
    set_default(pod, "terminationGracePeriodSeconds", json!(30));
    set_default(pod, "dnsPolicy", json!("ClusterFirst"));
    set_default(pod, "securityContext", json!({}));
    set_default(pod, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        if let Some(containers) = pod.get_mut(list).and_then(Value::as_array_mut) {
            for c in containers.iter_mut().filter_map(Value::as_object_mut) {
                set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_default(c, "terminationMessagePolicy", json!("File"));
                set_default(c, "resources", json!({}));
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                let last = image.rsplit('/').next().unwrap_or("");
                let latest = !last.contains(':') || last.ends_with(":latest");
                let policy = if latest && !image.contains('@') {
                    "Always"
                } else {
                    "IfNotPresent"
                };
                set_default(c, "imagePullPolicy", json!(policy));
                if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_default(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

fn deployment(obj: &mut Value) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_default(spec, "replicas", json!(1));
    set_default(
        spec,
        "strategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
    );
    set_default(spec, "revisionHistoryLimit", json!(10));
    set_default(spec, "progressDeadlineSeconds", json!(600));
    pod_template(spec);
}

fn daemonset(obj: &mut Value) {
    let Some(spec) = object_at(obj, "spec") else {
        return;
    };
    set_default(
        spec,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
    );
    set_default(spec, "revisionHistoryLimit", json!(10));
    pod_template(spec);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_get_a_cluster_ip_from_the_subnet_and_port_defaults() {
        let used = BTreeSet::from(["10.96.0.11".to_string()]);
        let ports = BTreeSet::new();
        let ctx = DefaultingContext {
            service_subnet: "10.96.0.0/12",
            used_cluster_ips: &used,
            used_node_ports: &ports,
        };
        let mut svc = json!({"spec": {"ports": [{"port": 80}]}});
        apply_defaults("v1", "Service", &mut svc, None, &ctx);
        assert_eq!(svc["spec"]["clusterIP"], "10.96.0.12");
        assert_eq!(svc["spec"]["type"], "ClusterIP");
        assert_eq!(svc["spec"]["sessionAffinity"], "None");
        assert_eq!(
            svc["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
    }

    #[test]
    fn secrets_default_to_opaque_and_fold_string_data() {
        let used = BTreeSet::new();
        let ports = BTreeSet::new();
        let ctx = DefaultingContext {
            service_subnet: "10.96.0.0/12",
            used_cluster_ips: &used,
            used_node_ports: &ports,
        };
        let mut s = json!({"stringData": {"k": "hello"}});
        apply_defaults("v1", "Secret", &mut s, None, &ctx);
        assert_eq!(s, json!({"type": "Opaque", "data": {"k": "aGVsbG8="}}));
    }
}
