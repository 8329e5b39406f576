//! Server-side printing: `kubectl get` asks for `as=Table` and prints the columns the server
//! chooses. The columns here follow the real printers for the common kinds (Service,
//! Deployment, DaemonSet, Secret, ConfigMap, Namespace, ServiceAccount, CRD) and a CRD
//! version's `additionalPrinterColumns` (simple `.a.b` JSON paths) for custom resources.

use crate::discovery::ResourceType;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};

/// kubectl's short age: `45s`, `3m12s`, `25m`, `5h10m`, `30h`, `12d`.
pub(crate) fn human_age(secs: u64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86_400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        format!("{m}m{}s", secs % 60)
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        format!("{h}h{}m", m % 60)
    } else if h < 48 {
        format!("{h}h")
    } else {
        format!("{d}d")
    }
}

/// Seconds since the epoch of an RFC 3339 `YYYY-MM-DDTHH:MM:SSZ` timestamp.
fn parse_time(ts: &str) -> Option<u64> {
    let n = |r: std::ops::Range<usize>| ts.get(r).and_then(|s| s.parse::<i64>().ok());
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    // Days from civil (Howard Hinnant).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

fn age(obj: &Value) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    obj.pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .map(|t| human_age(now.saturating_sub(t)))
        .unwrap_or_else(|| "<unknown>".into())
}

fn s(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(x)) => x.clone(),
        Some(Value::Null) | None => "<none>".into(),
        Some(other) => other.to_string(),
    }
}

fn count(v: Option<&Value>) -> usize {
    v.and_then(Value::as_object).map_or(0, |m| m.len())
}

fn int(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn service_ports(obj: &Value) -> String {
    let ports: Vec<String> = obj
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            match p.get("nodePort").and_then(Value::as_u64) {
                Some(np) => format!("{}:{np}/{proto}", p["port"]),
                None => format!("{}/{proto}", p["port"]),
            }
        })
        .collect();
    if ports.is_empty() {
        "<none>".into()
    } else {
        ports.join(",")
    }
}

fn external_ip(obj: &Value) -> String {
    let ips: Vec<String> = obj
        .pointer("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            i.get("ip")
                .or_else(|| i.get("hostname"))
                .and_then(Value::as_str)
        })
        .map(str::to_string)
        .collect();
    match obj.pointer("/spec/type").and_then(Value::as_str) {
        _ if !ips.is_empty() => ips.join(","),
        Some("LoadBalancer") => "<pending>".into(),
        _ => "<none>".into(),
    }
}

/// (column name, type, cells of one object) for the kind.
fn columns(rt: &ResourceType) -> Vec<(String, &'static str)> {
    let named = |cols: &[(&str, &'static str)]| -> Vec<(String, &'static str)> {
        cols.iter().map(|(n, t)| (n.to_string(), *t)).collect()
    };
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Service") => named(&[
            ("Name", "string"),
            ("Type", "string"),
            ("Cluster-IP", "string"),
            ("External-IP", "string"),
            ("Port(s)", "string"),
            ("Age", "string"),
        ]),
        ("apps", "Deployment") => named(&[
            ("Name", "string"),
            ("Ready", "string"),
            ("Up-to-date", "integer"),
            ("Available", "integer"),
            ("Age", "string"),
        ]),
        ("apps", "DaemonSet") => named(&[
            ("Name", "string"),
            ("Desired", "integer"),
            ("Current", "integer"),
            ("Ready", "integer"),
            ("Up-to-date", "integer"),
            ("Available", "integer"),
            ("Node Selector", "string"),
            ("Age", "string"),
        ]),
        ("", "Secret") => named(&[
            ("Name", "string"),
            ("Type", "string"),
            ("Data", "string"),
            ("Age", "string"),
        ]),
        ("", "ConfigMap") => named(&[("Name", "string"), ("Data", "string"), ("Age", "string")]),
        ("", "Namespace") => named(&[("Name", "string"), ("Status", "string"), ("Age", "string")]),
        ("", "ServiceAccount") => {
            named(&[("Name", "string"), ("Secrets", "string"), ("Age", "string")])
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            named(&[("Name", "string"), ("Created At", "date")])
        }
        _ => {
            let mut cols = named(&[("Name", "string")]);
            for c in &rt.printer_columns {
                if c.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0 {
                    cols.push((c["name"].as_str().unwrap_or("").to_string(), "string"));
                }
            }
            cols.push(("Age".into(), "string"));
            cols
        }
    }
}

fn cells(rt: &ResourceType, obj: &Value) -> Vec<Value> {
    let name = json!(s(obj.pointer("/metadata/name")));
    let age = json!(age(obj));
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Service") => vec![
            name,
            json!(s(obj.pointer("/spec/type"))),
            json!(s(obj.pointer("/spec/clusterIP"))),
            json!(external_ip(obj)),
            json!(service_ports(obj)),
            age,
        ],
        ("apps", "Deployment") => vec![
            name,
            json!(format!(
                "{}/{}",
                int(obj, "/status/readyReplicas"),
                int(obj, "/spec/replicas")
            )),
            json!(int(obj, "/status/updatedReplicas")),
            json!(int(obj, "/status/availableReplicas")),
            age,
        ],
        ("apps", "DaemonSet") => vec![
            name,
            json!(int(obj, "/status/desiredNumberScheduled")),
            json!(int(obj, "/status/currentNumberScheduled")),
            json!(int(obj, "/status/numberReady")),
            json!(int(obj, "/status/updatedNumberScheduled")),
            json!(int(obj, "/status/numberAvailable")),
            json!("<none>"),
            age,
        ],
        ("", "Secret") => vec![
            name,
            json!(s(obj.get("type"))),
            json!(count(obj.get("data")).to_string()),
            age,
        ],
        ("", "ConfigMap") => vec![
            name,
            json!((count(obj.get("data")) + count(obj.get("binaryData"))).to_string()),
            age,
        ],
        ("", "Namespace") => vec![name, json!(s(obj.pointer("/status/phase"))), age],
        ("", "ServiceAccount") => vec![name, json!("0"), age],
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            vec![name, json!(s(obj.pointer("/metadata/creationTimestamp")))]
        }
        _ => {
            let mut out = vec![name];
            for c in &rt.printer_columns {
                if c.get("priority").and_then(Value::as_i64).unwrap_or(0) != 0 {
                    continue;
                }
                let path = c["jsonPath"].as_str().unwrap_or("");
                let pointer = path.replace('.', "/");
                let value = obj.pointer(&pointer);
                out.push(match value {
                    Some(Value::String(x)) => json!(x),
                    Some(Value::Null) | None => Value::Null,
                    Some(other) => json!(other.to_string()),
                });
            }
            out.push(age);
            out
        }
    }
}

/// A `meta.k8s.io/v1` Table of the items of `list`.
pub(crate) fn table(rt: &ResourceType, list: &Value, include_object: bool) -> Value {
    let definitions: Vec<Value> = columns(rt)
        .into_iter()
        .enumerate()
        .map(|(i, (name, kind))| {
            json!({"name": name, "type": kind, "format": if i == 0 { "name" } else { "" },
                "description": "", "priority": 0})
        })
        .collect();
    let rows: Vec<Value> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            let object = if include_object {
                item.clone()
            } else {
                json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": item["metadata"]})
            };
            json!({"cells": cells(rt, item), "object": object})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": list["metadata"]["resourceVersion"]},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::rfc3339;

    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_age(5), "5s");
        assert_eq!(human_age(192), "3m12s");
        assert_eq!(human_age(1500), "25m");
        assert_eq!(human_age(5 * 3600 + 600), "5h10m");
        assert_eq!(human_age(30 * 3600), "30h");
        assert_eq!(human_age(12 * 86_400), "12d");
        assert_eq!(parse_time(&rfc3339(1_700_000_000)), Some(1_700_000_000));
    }
}
