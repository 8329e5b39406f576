//! Identity checks: apiVersion/kind, names that Kubernetes and kind accept, and names or
//! contexts used twice.

use crate::diagnostics::Diagnostic;
use crate::topology::{Provider, SourceIndex, Topology, API_VERSION, KIND};
use foldhash::{HashMap, HashMapExt};
use std::fmt::Arguments;

/// RFC 1123 label: what Kubernetes requires of namespace and Service names.
pub(super) fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// RFC 1123 subdomain: what Kubernetes requires of most object names.
pub(super) fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

pub(super) fn check(t: &Topology, out: &mut Vec<Diagnostic>) {
    if t.api_version != API_VERSION {
        out.push(
            Diagnostic::error(
                "E010",
                "apiVersion",
                format!(
                    "apiVersion is `{}`, this meshctl reads `{API_VERSION}`",
                    t.api_version
                ),
            )
            .with_hint(format!("set `apiVersion: {API_VERSION}`")),
        );
    }
    if t.kind != KIND {
        out.push(
            Diagnostic::error(
                "E011",
                "kind",
                format!("kind is `{}`, expected `{KIND}`", t.kind),
            )
            .with_hint(format!("set `kind: {KIND}`")),
        );
    }
    label(
        out,
        format_args!("metadata.name"),
        &t.metadata.name,
        "topology name",
    );
    if t.spec.clusters.is_empty() {
        out.push(
            Diagnostic::error("E016", "spec.clusters", "the topology declares no clusters")
                .with_hint("add at least one entry under spec.clusters"),
        );
    }

    // Sized up front: at thousands of clusters, growing is most of these maps' cost.
    let mut names: HashMap<&str, usize> = HashMap::with_capacity(t.spec.clusters.len());
    let mut contexts: HashMap<String, usize> = HashMap::with_capacity(t.spec.clusters.len());
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        let path = format!("spec.clusters[{i}]");
        label(
            out,
            format_args!("{path}.name"),
            &cluster.name,
            "cluster name",
        );
        if let Some(first) = names.insert(&cluster.name, i) {
            out.push(
                Diagnostic::error(
                    "E013",
                    format!("{path}.name"),
                    format!("cluster name `{}` is used twice", cluster.name),
                )
                .with_related(format!("spec.clusters[{first}].name"), "first used here")
                .with_hint("give every cluster its own name"),
            );
        }
        if cluster.provider == Provider::Kind && cluster.nodes.control_planes == 0 {
            out.push(
                Diagnostic::error(
                    "E019",
                    format!("{path}.nodes.controlPlanes"),
                    format!("kind cluster `{}` has no control-plane node", cluster.name),
                )
                .with_hint(
                    "kind needs at least one control plane: set `controlPlanes: 1` (or 3 for HA)",
                ),
            );
        }
        if cluster.provider == Provider::Existing && cluster.context.is_none() {
            out.push(
                Diagnostic::error(
                    "E017",
                    path.clone(),
                    format!("existing cluster `{}` has no context", cluster.name),
                )
                .with_hint("set `context:` to its kubeconfig context (kind clusters default to kind-<name>)"),
            );
        }
        let context = cluster.context();
        if let Some(first) = contexts.insert(context.clone(), i) {
            let at = if cluster.context.is_some() {
                format!("{path}.context")
            } else {
                format!("{path}.name")
            };
            out.push(
                Diagnostic::error(
                    "E014",
                    at,
                    format!(
                        "clusters `{}` and `{}` use the same kubeconfig context `{context}`",
                        t.spec.clusters[first].name, cluster.name
                    ),
                )
                .with_related(format!("spec.clusters[{first}]"), "the other cluster")
                .with_hint("each cluster needs its own context"),
            );
        }
        if let Some(lb) = &cluster.load_balancer {
            let mut pools: HashMap<&str, usize> = HashMap::new();
            for (p, pool) in lb.pools.iter().enumerate() {
                subdomain(
                    out,
                    format_args!("{path}.loadBalancer.pools[{p}].name"),
                    &pool.name,
                    "pool name",
                );
                if let Some(first) = pools.insert(&pool.name, p) {
                    duplicate(
                        out,
                        &format!("{path}.loadBalancer.pools[{p}].name"),
                        &format!("pool `{}`", pool.name),
                        &format!("{path}.loadBalancer.pools[{first}].name"),
                    );
                }
            }
            subdomain(
                out,
                format_args!("{path}.loadBalancer.l2Advertisement.name"),
                &lb.l2_advertisement.name,
                "L2Advertisement name",
            );
        }
    }

    for (i, link) in t.spec.links.iter().enumerate() {
        match &link.cluster_name {
            Some(name) => label(
                out,
                format_args!("spec.links[{i}].clusterName"),
                name,
                "link cluster name",
            ),
            // The default is the target's context, which need not be a valid name
            // (`prod-admin@prod`); it names the Link and every mirrored service.
            None => {
                let name = link.cluster_name(t);
                if t.cluster(&link.target).is_some() && !is_dns_label(&name) {
                    out.push(
                        Diagnostic::error(
                            "E012",
                            format!("spec.links[{i}].target"),
                            format!("the link's cluster name defaults to the target's context `{name}`, which is not a valid Kubernetes name"),
                        )
                        .with_hint("set `clusterName:` on the link (lowercase letters, digits and '-'); mirrors are named <service>-<clusterName>"),
                    );
                }
            }
        }
    }
    link_cluster_names(t, out);
    for (i, ns) in t.spec.namespaces.iter().enumerate() {
        label(
            out,
            format_args!("spec.namespaces[{i}].name"),
            &ns.name,
            "namespace",
        );
    }
    let mut workloads: HashMap<&str, usize> = HashMap::with_capacity(t.spec.workloads.len());
    for (i, w) in t.spec.workloads.iter().enumerate() {
        let path = format!("spec.workloads[{i}]");
        label(out, format_args!("{path}.name"), &w.name, "workload name");
        label(
            out,
            format_args!("{path}.namespace"),
            &w.namespace,
            "namespace",
        );
        for (s, service) in w.services.iter().enumerate() {
            label(
                out,
                format_args!("{path}.services[{s}]"),
                service,
                "service name",
            );
        }
        if let Some(first) = workloads.insert(&w.name, i) {
            duplicate(
                out,
                &format!("{path}.name"),
                &format!("workload `{}`", w.name),
                &format!("spec.workloads[{first}].name"),
            );
        }
    }
    for (i, e) in t.spec.exports.iter().enumerate() {
        label(
            out,
            format_args!("spec.exports[{i}].namespace"),
            &e.namespace,
            "namespace",
        );
        label(
            out,
            format_args!("spec.exports[{i}].service"),
            &e.service,
            "service name",
        );
    }
    let mut splits: HashMap<(&str, &str, &str), usize> =
        HashMap::with_capacity(t.spec.splits.len());
    let mut apexes: HashMap<(&str, &str, &str), usize> =
        HashMap::with_capacity(t.spec.splits.len());
    for (i, s) in t.spec.splits.iter().enumerate() {
        let path = format!("spec.splits[{i}]");
        label(
            out,
            format_args!("{path}.namespace"),
            &s.namespace,
            "namespace",
        );
        label(
            out,
            format_args!("{path}.service"),
            &s.service,
            "service name",
        );
        subdomain(
            out,
            format_args!("{path}.name"),
            s.name(),
            "TrafficSplit name",
        );
        if let Some(first) = splits.insert((&s.cluster, &s.namespace, s.name()), i) {
            duplicate(
                out,
                &path,
                &format!(
                    "TrafficSplit `{}/{}` in cluster `{}`",
                    s.namespace,
                    s.name(),
                    s.cluster
                ),
                &format!("spec.splits[{first}]"),
            );
        } else if let Some(first) = apexes.insert((&s.cluster, &s.namespace, &s.service), i) {
            // linkerd-smi turns each TrafficSplit into the apex service's ServiceProfile:
            // two splits of one apex would overwrite each other's.
            out.push(
                Diagnostic::error(
                    "E037",
                    format!("{path}.service"),
                    format!(
                        "TrafficSplits `{}` and `{}` both split service `{}/{}` in cluster `{}`",
                        t.spec.splits[first].name(),
                        s.name(),
                        s.namespace,
                        s.service,
                        s.cluster
                    ),
                )
                .with_related(format!("spec.splits[{first}].service"), "the other split")
                .with_hint("linkerd-smi keeps one ServiceProfile per apex service, so the two would fight over it: merge their backends into one split"),
            );
        }
    }
    let mut ingresses: HashMap<(&str, &str), usize> =
        HashMap::with_capacity(t.spec.ingresses.len());
    for (i, ing) in t.spec.ingresses.iter().enumerate() {
        let path = format!("spec.ingresses[{i}]");
        subdomain(out, format_args!("{path}.name"), &ing.name, "Ingress name");
        label(
            out,
            format_args!("{path}.namespace"),
            &ing.namespace,
            "namespace",
        );
        label(
            out,
            format_args!("{path}.service"),
            &ing.service,
            "service name",
        );
        if let Some(first) = ingresses.insert((&ing.namespace, &ing.name), i) {
            duplicate(
                out,
                &format!("{path}.name"),
                &format!("Ingress `{}/{}`", ing.namespace, ing.name),
                &format!("spec.ingresses[{first}].name"),
            );
        }
    }
}

/// Mirrors are named `<service>-<clusterName>` in the link's source cluster, so two links
/// into one cluster with the same cluster name would make the same mirrors (and the same
/// `Link` object) twice.
fn link_cluster_names(t: &Topology, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(&str, String), usize> = HashMap::with_capacity(t.spec.links.len());
    for (i, link) in t.spec.links.iter().enumerate() {
        let name = link.cluster_name(t);
        let Some(first) = seen.insert((link.source.as_str(), name.clone()), i) else {
            continue;
        };
        let other = &t.spec.links[first];
        if other.target == link.target {
            continue; // the same link twice: E042
        }
        let at = |index: usize, written: bool| {
            if written {
                format!("spec.links[{index}].clusterName")
            } else {
                format!("spec.links[{index}].target")
            }
        };
        out.push(
            Diagnostic::error(
                "E035",
                at(i, link.cluster_name.is_some()),
                format!(
                    "links from `{}` and `{}` into `{}` both use the cluster name `{name}`, so their mirrors (`<service>-{name}`) and Link objects would collide",
                    other.target, link.target, link.source
                ),
            )
            .with_related(at(first, other.cluster_name.is_some()), "the other link")
            .with_hint("give each link into a cluster its own `clusterName:`"),
        );
    }
}

/// W033: fields written on a cluster that its provider does not use. kind settings on an
/// `existing` cluster would be silently ignored; `nodeSubnet` on a kind cluster too (kind
/// clusters sit on `spec.network`). Whether a field was written is read from the file, so
/// `nodes` written with its default values still warns.
pub(super) fn provider_fields(t: &Topology, index: &SourceIndex, out: &mut Vec<Diagnostic>) {
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        let (ignored, why): (&[&str], &str) = match cluster.provider {
            Provider::Existing => (
                &["nodes", "nodeImage", "apiServerAddress", "apiServerPort"],
                "meshctl does not create an existing cluster, so it ignores kind's settings",
            ),
            Provider::Kind => (
                &["nodeSubnet"],
                "kind clusters sit on spec.network; nodeSubnet is for existing clusters",
            ),
        };
        for field in ignored {
            let path = format!("spec.clusters[{i}].{field}");
            if index.has(&path) {
                out.push(
                    Diagnostic::warning(
                        "W033",
                        &path,
                        format!(
                            "`{field}` does not apply to {} cluster `{}` and is ignored",
                            match cluster.provider {
                                Provider::Existing => "existing",
                                Provider::Kind => "kind",
                            },
                            cluster.name
                        ),
                    )
                    .with_hint(format!("{why}: remove `{field}`")),
                );
            }
        }
    }
}

/// Checks a name that must be a DNS label; `path` is written only when it is not.
fn label(out: &mut Vec<Diagnostic>, path: Arguments<'_>, name: &str, what: &str) {
    if !is_dns_label(name) {
        out.push(
            Diagnostic::error("E012", path.to_string(), format!("{what} `{name}` is not a valid name"))
                .with_hint("use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"),
        );
    }
}

/// Checks a name that must be a DNS subdomain; `path` is written only when it is not.
fn subdomain(out: &mut Vec<Diagnostic>, path: Arguments<'_>, name: &str, what: &str) {
    if !is_dns_subdomain(name) {
        out.push(
            Diagnostic::error(
                "E012",
                path.to_string(),
                format!("{what} `{name}` is not a valid name"),
            )
            .with_hint("use lowercase letters, digits, '-' and '.', at most 253 characters"),
        );
    }
}

fn duplicate(out: &mut Vec<Diagnostic>, path: &str, what: &str, first: &str) {
    out.push(
        Diagnostic::error("E015", path, format!("{what} is declared twice"))
            .with_related(first, "first declared here")
            .with_hint("remove one of the two, or rename it"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        assert!(is_dns_label("kind-demo3"));
        assert!(!is_dns_label("Demo"));
        assert!(!is_dns_label("-a"));
        assert!(!is_dns_label(&"a".repeat(64)));
        assert!(is_dns_subdomain("first-pool.a"));
        assert!(!is_dns_subdomain("a..b"));
    }
}
