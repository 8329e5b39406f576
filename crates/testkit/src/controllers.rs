//! Simulated controllers (opt-in with `ServerOptions::controllers`), run synchronously after
//! every stored change so tests stay deterministic: MetalLB-style LoadBalancer addresses from
//! `IPAddressPool`s, Deployments/DaemonSets reported ready, and service-account token Secrets
//! filled in. Each writes through the status path as its own field manager.

use crate::defaults::parse_cidr;
use crate::store::{Key, State};
use crate::util::base64_encode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Runs every controller until nothing changes (bounded).
pub(crate) fn run(state: &mut State) {
    for _ in 0..8 {
        let mut changed = false;
        changed |= load_balancers(state);
        changed |= workloads(state);
        changed |= token_secrets(state);
        if !changed {
            break;
        }
    }
}

fn keys_of(state: &State, group: &str, plural: &str) -> Vec<Key> {
    state
        .objects
        .keys()
        .filter(|k| k.group == group && k.plural == plural)
        .cloned()
        .collect()
}

/// The addresses of a pool's `spec.addresses` entries (`a-b` ranges or IPv4 CIDRs), in order.
pub(crate) fn pool_addresses(pool: &Value) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    for entry in pool
        .pointer("/spec/addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(text) = entry.as_str() else {
            continue;
        };
        if let Some((a, b)) = text.split_once('-') {
            let (Ok(a), Ok(b)) = (a.trim().parse::<Ipv4Addr>(), b.trim().parse::<Ipv4Addr>())
            else {
                continue;
            };
            // Bounded: a pool wider than 65536 addresses is cut there.
            let (a, b) = (u32::from(a), u32::from(b));
            out.extend((a..=b).take(65_536).map(Ipv4Addr::from));
        } else if let Some((base, len)) = parse_cidr(text) {
            let size = 1u64 << (32 - len);
            out.extend((0..size.min(65_536)).map(|i| Ipv4Addr::from(base.wrapping_add(i as u32))));
        }
    }
    out
}

fn load_balancers(state: &mut State) -> bool {
    let pools: Vec<Value> = keys_of(state, "metallb.io", "ipaddresspools")
        .iter()
        .filter_map(|k| state.objects.get(k).map(|s| s.object.clone()))
        .collect();
    let services = keys_of(state, "", "services");
    let mut used: BTreeSet<String> = services
        .iter()
        .filter_map(|k| state.objects.get(k))
        .filter_map(|s| {
            s.object
                .pointer("/status/loadBalancer/ingress/0/ip")
                .and_then(Value::as_str)
        })
        .map(str::to_string)
        .collect();
    let mut changed = false;
    for key in services {
        let Some(svc) = state.objects.get(&key).map(|s| s.object.clone()) else {
            continue;
        };
        if svc.pointer("/spec/type").and_then(Value::as_str) != Some("LoadBalancer")
            || svc.pointer("/status/loadBalancer/ingress/0/ip").is_some()
        {
            continue;
        }
        let free = pools
            .iter()
            .flat_map(pool_addresses)
            .map(|ip| ip.to_string())
            .find(|ip| !used.contains(ip));
        let Some(ip) = free else {
            continue;
        };
        used.insert(ip.clone());
        changed |= state.controller_write(&key, "metallb-controller", Some("status"), |obj| {
            obj["status"] = json!({"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]}});
        });
    }
    changed
}

fn workloads(state: &mut State) -> bool {
    let mut changed = false;
    for key in keys_of(state, "apps", "deployments") {
        changed |= state.controller_write(&key, "kube-controller-manager", Some("status"), |obj| {
            let replicas = obj.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            let generation = obj.pointer("/metadata/generation").cloned().unwrap_or(json!(1));
            let conditions = obj
                .pointer("/status/conditions")
                .cloned()
                .filter(|c| c.as_array().is_some_and(|a| !a.is_empty()))
                .unwrap_or_else(|| {
                    let now = crate::util::now_rfc3339();
                    json!([{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                        "message": "Deployment has minimum availability.",
                        "lastUpdateTime": now, "lastTransitionTime": now}])
                });
            obj["status"] = json!({
                "observedGeneration": generation,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
                "conditions": conditions,
            });
        });
    }
    for key in keys_of(state, "apps", "daemonsets") {
        changed |= state.controller_write(&key, "kube-controller-manager", Some("status"), |obj| {
            let generation = obj
                .pointer("/metadata/generation")
                .cloned()
                .unwrap_or(json!(1));
            // One node, as a kind cluster without workers has.
            obj["status"] = json!({
                "observedGeneration": generation,
                "currentNumberScheduled": 1,
                "desiredNumberScheduled": 1,
                "numberMisscheduled": 0,
                "numberReady": 1,
                "numberAvailable": 1,
                "updatedNumberScheduled": 1,
            });
        });
    }
    changed
}

fn token_secrets(state: &mut State) -> bool {
    let mut changed = false;
    for key in keys_of(state, "", "secrets") {
        let Some(secret) = state.objects.get(&key).map(|s| s.object.clone()) else {
            continue;
        };
        if secret.get("type").and_then(Value::as_str) != Some("kubernetes.io/service-account-token")
            || secret.pointer("/data/token").is_some()
        {
            continue;
        }
        let sa = secret
            .pointer("/metadata/annotations/kubernetes.io~1service-account.name")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        let namespace = key.namespace.clone();
        let token = format!("fake-token.{namespace}.{sa}.{}", state.rng.next_u64());
        changed |= state.controller_write(&key, "kube-controller-manager", None, |obj| {
            let data = obj
                .as_object_mut()
                .map(|m| m.entry("data").or_insert_with(|| json!({})));
            if let Some(Value::Object(data)) = data {
                data.insert("token".into(), json!(base64_encode(token.as_bytes())));
                data.insert(
                    "ca.crt".into(),
                    json!(base64_encode(
                        b"-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n"
                    )),
                );
                data.insert(
                    "namespace".into(),
                    json!(base64_encode(namespace.as_bytes())),
                );
            }
        });
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_accept_ranges_and_cidrs() {
        let pool = json!({"spec": {"addresses": ["172.18.255.200-172.18.255.201", "10.0.0.8/31"]}});
        let ips: Vec<String> = pool_addresses(&pool)
            .iter()
            .map(|i| i.to_string())
            .collect();
        assert_eq!(
            ips,
            vec!["172.18.255.200", "172.18.255.201", "10.0.0.8", "10.0.0.9"]
        );
    }
}
