//! Checks on the services links create: each link mirrors every service its target
//! exports into its source as `<service>-<clusterName>`. A workload's own service must not
//! take a mirror's name, a split backend written under its mirror's name is explained,
//! and a split whose remote backend is itself split onward through a gateway (the
//! walkthrough's 508 "gateway loop detected") is warned about.

use crate::diagnostics::Diagnostic;
use crate::topology::{Backend, Inventory, Link, Split, Topology};
use foldhash::{HashMap, HashMapExt, HashSet};

/// A mirror a link will create: `namespace/name` in the link's source cluster.
struct Mirror<'t> {
    link: usize,
    export: usize,
    source: &'t str,
    target: &'t str,
    namespace: &'t str,
    service: &'t str,
    name: String,
}

fn mirrors(t: &Topology) -> Vec<Mirror<'_>> {
    let mut out = Vec::new();
    // The clusters of each export as a set: a link per cluster pair and an export from
    // every cluster would otherwise compare names quadratically often.
    let exported_from: Vec<HashSet<&str>> = t
        .spec
        .exports
        .iter()
        .map(|export| export.clusters.iter().map(String::as_str).collect())
        .collect();
    for (l, link) in t.spec.links.iter().enumerate() {
        let cluster_name = link.cluster_name(t);
        for (e, export) in t.spec.exports.iter().enumerate() {
            if exported_from[e].contains(link.target.as_str()) {
                out.push(Mirror {
                    link: l,
                    export: e,
                    source: &link.source,
                    target: &link.target,
                    namespace: &export.namespace,
                    service: &export.service,
                    name: format!("{}-{cluster_name}", export.service),
                });
            }
        }
    }
    out
}

pub(super) fn check(t: &Topology, out: &mut Vec<Diagnostic>) {
    local_services_named_like_mirrors(t, out);
    gateway_loops(t, out);
}

/// E036: Linkerd's service mirror would overwrite (or fail to create) a mirror whose name
/// a workload's Service already has.
fn local_services_named_like_mirrors(t: &Topology, out: &mut Vec<Diagnostic>) {
    let mirrors = mirrors(t);
    for (w, workload) in t.spec.workloads.iter().enumerate() {
        for (s, service) in workload.services.iter().enumerate() {
            let Some(mirror) = mirrors.iter().find(|m| {
                m.name == *service
                    && m.namespace == workload.namespace
                    && workload.clusters.iter().any(|c| c == m.source)
            }) else {
                continue;
            };
            out.push(
                Diagnostic::error(
                    "E036",
                    format!("spec.workloads[{w}].services[{s}]"),
                    format!(
                        "service `{}/{service}` of workload `{}` in cluster `{}` has the name of the mirror of `{}/{}` that the link from `{}` creates there",
                        workload.namespace, workload.name, mirror.source, mirror.namespace, mirror.service, mirror.target
                    ),
                )
                .with_related(format!("spec.links[{}]", mirror.link), "the link")
                .with_related(format!("spec.exports[{}].service", mirror.export), "the export")
                .with_hint("rename the service, or set another `clusterName:` on the link so its mirrors are named differently"),
            );
        }
    }
}

/// For a local backend no workload provides: when its name is the mirror of a service a
/// link brings into the split's cluster, the backend the author meant, as
/// `(service, cluster)`.
pub(super) fn backend_meant(
    t: &Topology,
    declared: &Inventory,
    split: &Split,
    backend: &Backend,
) -> Option<(String, String)> {
    if backend.cluster(split) != split.cluster {
        return None;
    }
    t.spec
        .links
        .iter()
        .filter(|link| link.source == split.cluster)
        .find_map(|link: &Link| {
            let service = backend
                .service
                .strip_suffix(&format!("-{}", link.cluster_name(t)))?;
            declared
                .provides(&link.target, &split.namespace, service)
                .then(|| (service.to_string(), link.target.clone()))
        })
}

/// W039: a request for a split's remote backend crosses into the backend's cluster
/// through its gateway; when that service is itself the apex of a split there with a
/// remote backend, part of the traffic is sent out through a gateway again, and Linkerd's
/// gateway refuses it with 508 "gateway loop detected" (linkerd/linkerd2#6569; the
/// "daisy chain" `linkerd multicluster check` warns about, #4483). Two splits that send
/// traffic to each other (the walkthrough) are one loop, reported once.
fn gateway_loops(t: &Topology, out: &mut Vec<Diagnostic>) {
    let splits = &t.spec.splits;
    // (cluster, namespace, service) → the splits of that apex, in file order.
    let mut by_apex: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (j, split) in splits.iter().enumerate() {
        by_apex
            .entry((&split.cluster, &split.namespace, &split.service))
            .or_default()
            .push(j);
    }
    // The split `backend` of `split` crosses a gateway into, when that split itself
    // sends traffic through a gateway.
    let onward = |split: &Split, backend: &Backend| -> Option<usize> {
        let remote = backend.cluster(split);
        // Without a link into the split's cluster there is no gateway to cross (E044).
        if remote == split.cluster
            || backend.weight <= 0
            || t.link(&split.cluster, remote).is_none()
        {
            return None;
        }
        let apex = (remote, split.namespace.as_str(), backend.service.as_str());
        by_apex.get(&apex)?.iter().copied().find(|&j| {
            let other = &splits[j];
            other.backends.iter().any(|ob| {
                let next = ob.cluster(other);
                next != other.cluster && ob.weight > 0 && t.link(&other.cluster, next).is_some()
            })
        })
    };
    for (i, split) in splits.iter().enumerate() {
        for (b, backend) in split.backends.iter().enumerate() {
            let Some(j) = onward(split, backend) else {
                continue;
            };
            let other = &splits[j];
            let mutual = other.backends.iter().any(|ob| onward(other, ob) == Some(i));
            if mutual && j < i {
                continue; // reported at the other split
            }
            let service = &backend.service;
            let remote = &other.cluster;
            let message = if mutual {
                format!(
                    "split `{}` in `{}` and split `{}` in `{remote}` send part of their traffic to each other's `{service}`, which splits it again: requests that cross two gateways fail with 508 \"gateway loop detected\"",
                    split.name(), split.cluster, other.name()
                )
            } else {
                format!(
                    "split `{}` in `{}` sends traffic to `{}/{service}` in `{remote}`, which split `{}` there sends on to another cluster: requests that cross two gateways fail with 508 \"gateway loop detected\"",
                    split.name(), split.cluster, split.namespace, other.name()
                )
            };
            out.push(
                Diagnostic::warning("W039", format!("spec.splits[{i}].backends[{b}]"), message)
                    .with_related(format!("spec.splits[{j}]"), format!("the split of `{service}` in `{remote}`"))
                    .with_hint(format!(
                        "export a separate service that no split routes through (e.g. `{service}-local`, selecting the same pods) and use its mirror as the remote backend: `{{service: {service}-local, cluster: {remote}}}` (see linkerd/linkerd2#6569)"
                    )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::topology::load_str;

    const EXAMPLE: &str = include_str!("../../../../topology.example.yaml");

    fn codes(text: &str) -> Vec<(&'static str, String)> {
        let loaded = load_str(text).expect("loads");
        crate::validate::validate(&loaded)
            .into_iter()
            .map(|d| (d.code, d.path))
            .collect()
    }

    #[test]
    fn the_walkthrough_loops_through_both_gateways() {
        // Two splits sending traffic to each other: one loop, one warning.
        assert_eq!(
            codes(EXAMPLE),
            [("W039", "spec.splits[0].backends[1]".to_string())]
        );
        // One split alone does not loop: demo3's podinfo is a plain service.
        let one_split = EXAMPLE.replace(
            "    - name: podinfo\n      namespace: test\n      cluster: demo3\n      service: podinfo\n      backends:\n        - service: podinfo\n          weight: 50\n        - service: podinfo\n          cluster: demo\n          weight: 50\n",
            "",
        );
        assert_ne!(one_split, EXAMPLE);
        assert_eq!(codes(&one_split), []);
        // A chain one way (demo → demo3, which splits on to demo4) is reported too.
        let loaded = load_str(EXAMPLE).expect("loads");
        let mut t = loaded.topology.clone();
        t.spec.splits[1].backends[1].cluster = Some("demo4".to_string());
        t.spec.links.push(crate::topology::Link {
            source: "demo3".to_string(),
            target: "demo4".to_string(),
            cluster_name: None,
        });
        let mut out = Vec::new();
        super::gateway_loops(&t, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].path, "spec.splits[0].backends[1]");
        assert!(out[0].message.contains("sends on to another cluster"));
        // Without the link into demo3 there is no second gateway to cross.
        t.spec.links.pop();
        let mut out = Vec::new();
        super::gateway_loops(&t, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
