//! Reference checks: every cluster and service a link, export, split, ingress or
//! workload names exists; links are not self-links or duplicates; a remote split backend
//! is reachable (a link in the right direction and an export); mirrored namespaces exist
//! where the mirrors land; the extensions each feature needs are enabled; weights make
//! sense.

use super::mirrors;
use super::names::is_dns_subdomain;
use crate::diagnostics::Diagnostic;
use crate::topology::{expand_template, Inventory, Topology};
use foldhash::{HashMap, HashMapExt, HashSet};

pub(super) fn check(t: &Topology, out: &mut Vec<Diagnostic>) {
    let declared = Inventory::of(t);
    // The declared names, sorted, written once however many references are unknown.
    let known = std::cell::OnceCell::new();
    // Names checked by hash: the inventory's ordered set costs a string comparison per
    // level for each of the thousands of references of a large fleet.
    let clusters: HashSet<&str> = t.spec.clusters.iter().map(|c| c.name.as_str()).collect();
    // Paths are written only for the references that are wrong.
    let cluster_ref = |out: &mut Vec<Diagnostic>, path: &dyn Fn() -> String, name: &str| -> bool {
        if clusters.contains(name) {
            return true;
        }
        let known: &String = known.get_or_init(|| {
            let known: std::collections::BTreeSet<&str> =
                t.spec.clusters.iter().map(|c| c.name.as_str()).collect();
            known.into_iter().collect::<Vec<&str>>().join(", ")
        });
        out.push(
            Diagnostic::error("E040", path(), format!("unknown cluster `{name}`")).with_hint(
                format!("use one of the clusters declared in spec.clusters: {known}"),
            ),
        );
        false
    };
    let service_ref = |out: &mut Vec<Diagnostic>,
                       path: &dyn Fn() -> String,
                       cluster: &str,
                       namespace: &str,
                       service: &str| {
        if !declared.provides(cluster, namespace, service) {
            out.push(
                Diagnostic::error(
                    "E043",
                    path(),
                    format!("no workload provides service `{namespace}/{service}` in cluster `{cluster}`"),
                )
                .with_hint(format!(
                    "add `{service}` to the `services:` of the workload deployed to namespace `{namespace}` of cluster `{cluster}`"
                )),
            );
        }
    };
    let multicluster = t.spec.mesh.multicluster_enabled();

    check_links(t, out, &cluster_ref, multicluster);

    for (i, ns) in t.spec.namespaces.iter().enumerate() {
        for (c, cluster) in ns.clusters.iter().enumerate() {
            cluster_ref(
                out,
                &|| format!("spec.namespaces[{i}].clusters[{c}]"),
                cluster,
            );
        }
    }

    check_workloads(t, out, &cluster_ref);

    // The links into each cluster, in file order.
    let mut links_into: HashMap<&str, Vec<&crate::topology::Link>> = HashMap::new();
    for link in &t.spec.links {
        links_into
            .entry(link.target.as_str())
            .or_default()
            .push(link);
    }
    for (i, export) in t.spec.exports.iter().enumerate() {
        let path = format!("spec.exports[{i}]");
        if !multicluster {
            out.push(needs_multicluster(&path, "an export"));
        }
        for (c, cluster) in export.clusters.iter().enumerate() {
            let cpath = || format!("{path}.clusters[{c}]");
            if !cluster_ref(out, &cpath, cluster) {
                continue;
            }
            service_ref(
                out,
                &|| format!("{path}.service"),
                cluster,
                &export.namespace,
                &export.service,
            );
            let consumers: Vec<_> = links_into
                .get(cluster.as_str())
                .into_iter()
                .flatten()
                .copied()
                .collect();
            if consumers.is_empty() {
                out.push(
                    Diagnostic::warning(
                        "W058",
                        cpath(),
                        format!(
                            "`{}/{}` is exported from `{cluster}` but no link has `{cluster}` as its target, so nothing mirrors it",
                            export.namespace, export.service
                        ),
                    )
                    .with_hint(format!("add a link with `target: {cluster}`, or drop the export")),
                );
            }
            for link in consumers {
                if clusters.contains(link.source.as_str())
                    && !declared.has_namespace(link.source.as_str(), export.namespace.as_str())
                {
                    out.push(
                        Diagnostic::error(
                            "E046",
                            format!("{path}.namespace"),
                            format!(
                                "`{}/{}` exported from `{cluster}` is mirrored into `{}`, which has no namespace `{}`: Linkerd silently skips the mirror",
                                export.namespace, export.service, link.source, export.namespace
                            ),
                        )
                        .with_hint(format!(
                            "deploy a workload to `{}` in `{}`, or add it under spec.namespaces",
                            export.namespace, link.source
                        )),
                    );
                }
            }
        }
    }

    check_splits(t, out, &declared, &clusters, &cluster_ref, &service_ref);
    check_ingresses(t, out, &cluster_ref, &service_ref);
}

fn needs_multicluster(path: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "E048",
        path,
        format!("{what} needs the Linkerd multicluster extension, which is not enabled"),
    )
    .with_hint("add `multicluster: {}` under spec.mesh.linkerd.extensions")
}

type ClusterRef<'c> = dyn Fn(&mut Vec<Diagnostic>, &dyn Fn() -> String, &str) -> bool + 'c;
type ServiceRef<'c> = dyn Fn(&mut Vec<Diagnostic>, &dyn Fn() -> String, &str, &str, &str) + 'c;

fn check_links(
    t: &Topology,
    out: &mut Vec<Diagnostic>,
    cluster_ref: &ClusterRef,
    multicluster: bool,
) {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, link) in t.spec.links.iter().enumerate() {
        let path = || format!("spec.links[{i}]");
        if !multicluster {
            out.push(needs_multicluster(&path(), "a link"));
        }
        cluster_ref(out, &|| format!("{}.source", path()), &link.source);
        cluster_ref(out, &|| format!("{}.target", path()), &link.target);
        if link.source == link.target {
            out.push(
                Diagnostic::error("E041", format!("{}.target", path()), format!("cluster `{}` is linked to itself", link.source))
                    .with_hint("a link joins two different clusters: source (gets the mirrors) and target (is mirrored)"),
            );
            continue;
        }
        if let Some(first) = seen.insert((&link.source, &link.target), i) {
            out.push(
                Diagnostic::error(
                    "E042",
                    path(),
                    format!("`{}` is linked to `{}` twice", link.source, link.target),
                )
                .with_related(format!("spec.links[{first}]"), "first link")
                .with_hint("remove the duplicate; a link in the other direction needs source and target swapped"),
            );
        }
    }
}

/// An Ingress rule's host as networking.k8s.io/v1 accepts it: a DNS-1123 subdomain, or a
/// wildcard `*.` in front of one (`*.example.com`; `*` covers exactly one label), never
/// an IP address.
fn is_ingress_host(host: &str) -> bool {
    let name = host.strip_prefix("*.").unwrap_or(host);
    is_dns_subdomain(name) && host.parse::<std::net::IpAddr>().is_err()
}

/// Checks `{placeholder}`s of a per-cluster template.
fn check_template(out: &mut Vec<Diagnostic>, path: &str, template: &str) {
    // One diagnostic per template, naming the first few unknown placeholders: a template
    // of a million `{x}` must not make a million diagnostics that each quote it.
    const NAMED: usize = 3;
    let mut unknown: Vec<&str> = Vec::new();
    let mut count = 0usize;
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            break;
        };
        let name = &after[..end];
        if name != "cluster" && name != "context" {
            count += 1;
            if unknown.len() < NAMED && !unknown.contains(&name) {
                unknown.push(name);
            }
        }
        rest = &after[end + 1..];
    }
    if count == 0 {
        return;
    }
    let names: Vec<String> = unknown.iter().map(|n| format!("`{{{n}}}`")).collect();
    let more = count - unknown.len();
    let message = if count == 1 {
        format!("unknown placeholder {} in `{template}`", names.join(", "))
    } else if more == 0 {
        format!("unknown placeholders {} in `{template}`", names.join(", "))
    } else {
        format!(
            "unknown placeholders {} and {more} more in `{template}`",
            names.join(", ")
        )
    };
    out.push(
        Diagnostic::error("E055", path, message)
            .with_hint("the placeholders are {cluster} and {context}"),
    );
}

/// An entry of `spec.workloads` or `spec.namespaces`: the list and the index.
type Entry = (&'static str, usize);

fn check_workloads(t: &Topology, out: &mut Vec<Diagnostic>, cluster_ref: &ClusterRef) {
    // (cluster, namespace) → what the first entry there asks, and that entry (its list
    // and index: the path is written only for a conflict).
    let mut inject: HashMap<(&str, &str), (bool, Entry)> = HashMap::new();
    let entries = t
        .spec
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| (("workloads", i), &w.namespace, &w.clusters, w.inject))
        .chain(
            t.spec
                .namespaces
                .iter()
                .enumerate()
                .map(|(i, n)| (("namespaces", i), &n.name, &n.clusters, n.inject)),
        );
    let path = |(list, i): Entry| format!("spec.{list}[{i}]");
    for (entry, namespace, clusters, wants) in entries {
        for cluster in clusters {
            if let Some((other, other_entry)) = inject.get(&(cluster.as_str(), namespace.as_str()))
            {
                if *other != wants {
                    out.push(
                        Diagnostic::warning(
                            "W056",
                            format!("{}.inject", path(entry)),
                            format!("namespace `{namespace}` in cluster `{cluster}` is marked inject: {wants} here and inject: {other} elsewhere; meshctl injects it"),
                        )
                        .with_related(path(*other_entry), "the other entry")
                        .with_hint("set `inject` the same way on every entry of the namespace"),
                    );
                }
            } else {
                inject.insert((cluster.as_str(), namespace.as_str()), (wants, entry));
            }
        }
    }

    for (i, w) in t.spec.workloads.iter().enumerate() {
        let path = format!("spec.workloads[{i}]");
        for (c, cluster) in w.clusters.iter().enumerate() {
            cluster_ref(out, &|| format!("{path}.clusters[{c}]"), cluster);
        }
        if w.kustomize.is_none() && w.manifests.is_empty() {
            out.push(
                Diagnostic::error(
                    "E057",
                    path.clone(),
                    format!(
                        "workload `{}` has neither `kustomize` nor `manifests`",
                        w.name
                    ),
                )
                .with_hint(
                    "point `kustomize:` at a kustomize directory or list files under `manifests:`",
                ),
            );
        }
        if let Some(dir) = &w.kustomize {
            check_template(out, &format!("{path}.kustomize"), dir);
        }
        for (m, file) in w.manifests.iter().enumerate() {
            check_template(out, &format!("{path}.manifests[{m}]"), file);
        }
    }
}

fn check_splits(
    t: &Topology,
    out: &mut Vec<Diagnostic>,
    declared: &Inventory,
    clusters: &HashSet<&str>,
    cluster_ref: &ClusterRef,
    service_ref: &ServiceRef,
) {
    let smi = t.spec.mesh.smi_enabled();
    // (service, namespace, cluster) of every export.
    let exports: HashSet<(&str, &str, &str)> = t
        .spec
        .exports
        .iter()
        .flat_map(|e| {
            e.clusters
                .iter()
                .map(move |c| (e.service.as_str(), e.namespace.as_str(), c.as_str()))
        })
        .collect();
    for (i, split) in t.spec.splits.iter().enumerate() {
        let path = format!("spec.splits[{i}]");
        if !smi {
            out.push(
                Diagnostic::error("E049", path.clone(), "a TrafficSplit does nothing without the linkerd-smi extension, which is not enabled")
                    .with_hint("add `smi: {version: v0.2.1}` under spec.mesh.linkerd.extensions"),
            );
        }
        if !cluster_ref(out, &|| format!("{path}.cluster"), &split.cluster) {
            continue;
        }
        service_ref(
            out,
            &|| format!("{path}.service"),
            &split.cluster,
            &split.namespace,
            &split.service,
        );

        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for (b, backend) in split.backends.iter().enumerate() {
            let bpath = format!("{path}.backends[{b}]");
            if backend.weight < 0 {
                out.push(
                    Diagnostic::error(
                        "E050",
                        format!("{bpath}.weight"),
                        format!("weight {} is negative", backend.weight),
                    )
                    .with_hint("weights are relative shares: use 0 or more"),
                );
            }
            let cluster = backend.cluster(split);
            if let Some(first) = seen.insert((backend.service.as_str(), cluster), b) {
                out.push(
                    Diagnostic::error(
                        "E052",
                        bpath.clone(),
                        format!(
                            "backend `{}` in cluster `{cluster}` is listed twice",
                            backend.service
                        ),
                    )
                    .with_related(format!("{path}.backends[{first}]"), "first listed here")
                    .with_hint("merge the two entries and add their weights"),
                );
            }
            let cluster_field = || {
                if backend.cluster.is_some() {
                    format!("{bpath}.cluster")
                } else {
                    format!("{path}.cluster")
                }
            };
            if !cluster_ref(out, &cluster_field, cluster) {
                continue;
            }
            let before = out.len();
            service_ref(
                out,
                &|| format!("{bpath}.service"),
                cluster,
                &split.namespace,
                &backend.service,
            );
            if out.len() > before {
                if let Some((service, remote)) = mirrors::backend_meant(t, declared, split, backend)
                {
                    if let Some(missing) = out.last_mut() {
                        missing.hint = Some(format!(
                            "`{}` is the mirror of `{service}` from `{remote}`: write the backend as it is named in its own cluster, `{{service: {service}, cluster: {remote}}}`, and meshctl uses the mirror",
                            backend.service
                        ));
                    }
                }
            }
            if cluster == split.cluster {
                continue;
            }
            match t.link(&split.cluster, cluster) {
                None => out.push(
                    Diagnostic::error(
                        "E044",
                        format!("{bpath}.cluster"),
                        format!(
                            "backend `{}` runs in `{cluster}`, but no link mirrors `{cluster}` into `{}`",
                            backend.service, split.cluster
                        ),
                    )
                    .with_hint(format!("add a link `{{source: {}, target: {cluster}}}`", split.cluster)),
                ),
                Some(link) => {
                    let mirror = format!("{}-{}", backend.service, link.cluster_name(t));
                    if mirror.len() > 63 {
                        out.push(
                            Diagnostic::error("E059", format!("{bpath}.service"), format!("the mirrored service name `{mirror}` is longer than 63 characters"))
                                .with_hint("shorten the service name or set a shorter `clusterName` on the link"),
                        );
                    }
                }
            }
            let exported =
                exports.contains(&(backend.service.as_str(), split.namespace.as_str(), cluster));
            if !exported && clusters.contains(cluster) {
                out.push(
                    Diagnostic::error(
                        "E045",
                        format!("{bpath}.service"),
                        format!(
                            "backend `{}/{}` in `{cluster}` is not exported, so `{}` never gets its mirror",
                            split.namespace, backend.service, split.cluster
                        ),
                    )
                    .with_hint(format!(
                        "add an export `{{service: {}, namespace: {}, clusters: [{cluster}]}}`",
                        backend.service, split.namespace
                    )),
                );
            }
        }
        if !split.backends.is_empty() && split.backends.iter().all(|b| b.weight == 0) {
            out.push(
                Diagnostic::error(
                    "E051",
                    format!("{path}.backends"),
                    format!(
                        "every backend of split `{}` has weight 0, so no traffic can flow",
                        split.name()
                    ),
                )
                .with_hint("give at least one backend a positive weight"),
            );
        }
        if split.backends.is_empty() {
            out.push(
                Diagnostic::error(
                    "E051",
                    format!("{path}.backends"),
                    format!("split `{}` has no backends", split.name()),
                )
                .with_hint("list at least one backend with a positive weight"),
            );
        }
    }
}

fn check_ingresses(
    t: &Topology,
    out: &mut Vec<Diagnostic>,
    cluster_ref: &ClusterRef,
    service_ref: &ServiceRef,
) {
    // (cluster, host, path) → the first ingress that claims it.
    let mut hosts: HashMap<(&str, String, &str), usize> = HashMap::new();
    for (i, ing) in t.spec.ingresses.iter().enumerate() {
        let path = format!("spec.ingresses[{i}]");
        check_template(out, &format!("{path}.host"), &ing.host);
        if !ing.path.starts_with('/') {
            out.push(
                Diagnostic::error(
                    "E038",
                    format!("{path}.path"),
                    format!("Ingress path `{}` does not start with `/`", ing.path),
                )
                .with_hint(format!(
                    "the API server accepts only absolute paths for pathType Prefix: write `/{}`",
                    ing.path
                )),
            );
        }
        for (c, name) in ing.clusters.iter().enumerate() {
            let cpath = || format!("{path}.clusters[{c}]");
            if !cluster_ref(out, &cpath, name) {
                continue;
            }
            let Some(cluster) = t.cluster(name) else {
                continue;
            };
            if cluster.ingress_controller.is_none() {
                out.push(
                    Diagnostic::error(
                        "E053",
                        cpath(),
                        format!(
                            "cluster `{name}` has no ingress controller to serve Ingress `{}`",
                            ing.name
                        ),
                    )
                    .with_hint(format!(
                        "add `ingressController: {{inject: true}}` to cluster `{name}`"
                    )),
                );
            }
            service_ref(
                out,
                &|| format!("{path}.service"),
                name,
                &ing.namespace,
                &ing.service,
            );
            let host = expand_template(&ing.host, cluster);
            if !host.contains('{') && !is_ingress_host(&host) {
                out.push(
                    Diagnostic::error(
                        "E012",
                        format!("{path}.host"),
                        format!("host `{host}` (for cluster `{name}`) is not a valid DNS name or wildcard"),
                    )
                    .with_hint(if ing.host.contains("{context}") {
                            "use lowercase letters, digits, '-' and '.'; contexts are often not DNS names, so `{cluster}` may be the placeholder you want"
                        } else {
                            "use lowercase letters, digits, '-' and '.'; a wildcard is `*.` before a name, e.g. `*.example.com`"
                        }),
                );
            }
            let key = (name.as_str(), host.clone(), ing.path.as_str());
            if let Some(first) = hosts.insert(key, i) {
                out.push(
                    Diagnostic::error("E054", format!("{path}.host"), format!("host `{host}` path `{}` in cluster `{name}` is claimed by two ingresses", ing.path))
                        .with_related(format!("spec.ingresses[{first}].host"), "the other ingress")
                        .with_hint("use {cluster} or {context} in the host, or different paths"),
                );
            }
        }
    }
}
