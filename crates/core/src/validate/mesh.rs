//! Mesh and version checks: Linkerd version and trust domain, certificate validity and
//! names, extension versions, Kubernetes versions against node images and across
//! clusters, and the version ranges a policy allows.

use super::names::is_dns_subdomain;
use super::network::parsed;
use crate::diagnostics::Diagnostic;
use crate::topology::{CertificateSource, Linkerd, Provider, Topology, MAX_CERTIFICATE_VALIDITY};
use semver::{Version, VersionReq};
use std::collections::BTreeMap;

/// The oldest Linkerd stable release meshctl drives (the walkthrough's generation).
const MIN_LINKERD: Version = Version::new(2, 12, 0);

/// `stable-2.13.3` → 2.13.3. Edge releases (`edge-23.5.1`) have no comparable version.
pub fn linkerd_stable_version(version: &str) -> Option<Version> {
    version
        .strip_prefix("stable-")
        .and_then(|v| Version::parse(v).ok())
}

fn is_linkerd_version(version: &str) -> bool {
    linkerd_stable_version(version).is_some()
        || version.strip_prefix("edge-").is_some_and(|v| {
            v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u32>().is_ok())
        })
}

/// `v1.24.7` → 1.24.7.
pub fn kubernetes_version(version: &str) -> Option<Version> {
    version
        .strip_prefix('v')
        .and_then(|v| Version::parse(v).ok())
}

pub(super) fn check(t: &Topology, out: &mut Vec<Diagnostic>) {
    if let Some(linkerd) = &t.spec.mesh.linkerd {
        check_linkerd(linkerd, out);
    }
    check_kubernetes(t, out);
    check_policy(t, out);
}

fn check_linkerd(l: &Linkerd, out: &mut Vec<Diagnostic>) {
    let base = "spec.mesh.linkerd";
    if !is_linkerd_version(&l.version) {
        out.push(
            Diagnostic::error(
                "E060",
                format!("{base}.version"),
                format!("`{}` is not a Linkerd release name", l.version),
            )
            .with_hint(
                "write it as Linkerd names its releases, e.g. `stable-2.13.3` or `edge-23.5.1`",
            ),
        );
    } else if linkerd_stable_version(&l.version).is_some_and(|v| v < MIN_LINKERD) {
        out.push(
            Diagnostic::error(
                "E068",
                format!("{base}.version"),
                format!(
                    "Linkerd `{}` is older than {MIN_LINKERD}, the oldest release meshctl drives",
                    l.version
                ),
            )
            .with_hint("use stable-2.12.0 or later"),
        );
    }
    if !is_dns_subdomain(&l.trust_domain) {
        out.push(
            Diagnostic::error(
                "E061",
                format!("{base}.trustDomain"),
                format!("trust domain `{}` is not a DNS name", l.trust_domain),
            )
            .with_hint("Linkerd requires a DNS-1123 subdomain, e.g. `cluster.local`"),
        );
    }
    let mut absurd = false;
    for (field, source) in [("trustAnchor", &l.trust_anchor), ("issuer", &l.issuer)] {
        if let Some(CertificateSource::Generate(g)) = source {
            if let Some(validity) = &g.validity {
                let path = format!("{base}.{field}.generate.validity");
                match parsed(out, &path, validity) {
                    Some(duration) if *duration > MAX_CERTIFICATE_VALIDITY => {
                        absurd = true;
                        out.push(too_long(&path, validity.raw(), *duration));
                    }
                    _ => {}
                }
            }
        }
    }
    if let (false, Some(anchor), Some(issuer)) = (absurd, l.anchor_validity(), l.issuer_validity())
    {
        if issuer > anchor {
            let path = match &l.issuer {
                Some(CertificateSource::Generate(g)) if g.validity.is_some() => {
                    format!("{base}.issuer.generate.validity")
                }
                _ => format!("{base}.issuer"),
            };
            out.push(
                Diagnostic::error(
                    "E062",
                    path,
                    format!(
                        "the issuer would be valid for {}h, longer than its trust anchor ({}h)",
                        issuer.as_secs() / 3600,
                        anchor.as_secs() / 3600
                    ),
                )
                .with_related(format!("{base}.trustAnchor"), "the trust anchor")
                .with_hint("an issuer cannot outlive the anchor that signs it: shorten the issuer's validity or lengthen the anchor's"),
            );
        }
    }
    let required = l.required_issuer_common_name();
    // With a malformed trust domain (E061) the required name is malformed too.
    let domain_ok = is_dns_subdomain(&l.trust_domain);
    if let (true, Some(CertificateSource::Generate(g))) = (domain_ok, &l.issuer) {
        if let Some(cn) = &g.common_name {
            if *cn != required {
                out.push(
                    Diagnostic::error("E063", format!("{base}.issuer.generate.commonName"), format!("issuer common name `{cn}` is not `{required}`; Linkerd's identity service refuses it"))
                        .with_hint(format!("use `{required}` (identity.linkerd.<trustDomain>)")),
                );
            }
        }
    }
    let exts = [
        ("viz", &l.extensions.viz),
        ("multicluster", &l.extensions.multicluster),
    ];
    for (name, ext) in exts {
        if let Some(version) = ext.as_ref().and_then(|e| e.version.as_ref()) {
            if *version != l.version {
                out.push(
                    Diagnostic::warning("W064", format!("{base}.extensions.{name}.version"), format!("{name} `{version}` differs from Linkerd `{}`", l.version))
                        .with_hint("Linkerd's built-in extensions are released with the control plane: drop `version` to use the same one"),
                );
            }
        }
    }
}

/// E069 for a validity past [`MAX_CERTIFICATE_VALIDITY`], which `certs init` could not
/// honour (X.509 dates end in year 9999) and no one means.
fn too_long(path: &str, text: &str, duration: std::time::Duration) -> Diagnostic {
    let hours = |d: std::time::Duration| d.as_secs() / 3600;
    let years = hours(duration) / 8760;
    Diagnostic::error(
        "E069",
        path,
        format!(
            "validity `{text}` is about {years} years; meshctl allows at most {}h ({} years)",
            hours(MAX_CERTIFICATE_VALIDITY),
            hours(MAX_CERTIFICATE_VALIDITY) / 8760
        ),
    )
    .with_hint("Linkerd's docs suggest 87600h (10 years) for a trust anchor and 8760h (1 year) for an issuer")
}

fn check_kubernetes(t: &Topology, out: &mut Vec<Diagnostic>) {
    if let Some(v) = &t.spec.defaults.kubernetes_version {
        kube_version(out, "spec.defaults.kubernetesVersion", v);
    }
    let mut versions: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        let path = format!("spec.clusters[{i}]");
        if let Some(v) = &cluster.kubernetes_version {
            kube_version(out, &format!("{path}.kubernetesVersion"), v);
        }
        let Some(version) = cluster.kubernetes_version(&t.spec.defaults) else {
            continue;
        };
        versions
            .entry(version.to_string())
            .or_default()
            .push(&cluster.name);
        if cluster.provider != Provider::Kind {
            continue;
        }
        let Some(image) = cluster.node_image(&t.spec.defaults) else {
            continue;
        };
        let tag = image_tag(&image);
        if tag.is_some_and(|tag| tag != version) {
            let image_path = if cluster.node_image.is_some() {
                format!("{path}.nodeImage")
            } else {
                "spec.defaults.nodeImage".to_string()
            };
            out.push(
                Diagnostic::warning(
                    "W065",
                    image_path,
                    format!("cluster `{}` runs node image `{image}` but declares Kubernetes `{version}`", cluster.name),
                )
                .with_hint(format!("use a kindest/node image tagged `{version}`, or change kubernetesVersion")),
            );
        }
    }
    if versions.len() > 1 {
        let summary: Vec<String> = versions
            .iter()
            .map(|(v, clusters)| format!("{v} ({})", clusters.join(", ")))
            .collect();
        out.push(
            Diagnostic::warning(
                "W067",
                "spec.clusters",
                format!(
                    "clusters run different Kubernetes versions: {}",
                    summary.join(", ")
                ),
            )
            .with_hint("keep meshed clusters on one version unless you are mid-upgrade"),
        );
    }
}

fn kube_version(out: &mut Vec<Diagnostic>, path: &str, version: &str) {
    if kubernetes_version(version).is_none() {
        out.push(
            Diagnostic::error(
                "E066",
                path,
                format!("`{version}` is not a Kubernetes version"),
            )
            .with_hint("write it as `v1.24.7`"),
        );
    }
}

/// The tag of an image reference: `kindest/node:v1.24.7@sha256:…` → `v1.24.7`.
fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':').map(|(_, tag)| tag)
}

fn check_policy(t: &Topology, out: &mut Vec<Diagnostic>) {
    let Some(policy) = &t.spec.policy else {
        return;
    };
    if let Some(range) = &policy.kubernetes_versions {
        if let Some(req) = version_req(out, "spec.policy.kubernetesVersions", range) {
            for (i, cluster) in t.spec.clusters.iter().enumerate() {
                let Some(text) = cluster.kubernetes_version(&t.spec.defaults) else {
                    continue;
                };
                if kubernetes_version(text).is_some_and(|v| !req.matches(&v)) {
                    let path = if cluster.kubernetes_version.is_some() {
                        format!("spec.clusters[{i}].kubernetesVersion")
                    } else {
                        "spec.defaults.kubernetesVersion".to_string()
                    };
                    out.push(
                        Diagnostic::error("E070", path, format!("cluster `{}` runs Kubernetes {text}, outside the allowed `{range}`", cluster.name))
                            .with_related("spec.policy.kubernetesVersions", "the policy")
                            .with_hint("pick a version the policy allows, or change the policy in its own reviewed change"),
                    );
                }
            }
        }
    }
    if let (Some(range), Some(linkerd)) = (&policy.linkerd_versions, &t.spec.mesh.linkerd) {
        if let Some(req) = version_req(out, "spec.policy.linkerdVersions", range) {
            if linkerd_stable_version(&linkerd.version).is_none_or(|v| !req.matches(&v)) {
                out.push(
                    Diagnostic::error(
                        "E071",
                        "spec.mesh.linkerd.version",
                        format!(
                            "Linkerd `{}` is outside the allowed `{range}`",
                            linkerd.version
                        ),
                    )
                    .with_related("spec.policy.linkerdVersions", "the policy")
                    .with_hint("pick a stable release the policy allows"),
                );
            }
        }
    }
}

fn version_req(out: &mut Vec<Diagnostic>, path: &str, range: &str) -> Option<VersionReq> {
    match VersionReq::parse(range) {
        Ok(req) => Some(req),
        Err(e) => {
            out.push(
                Diagnostic::error(
                    "E072",
                    path,
                    format!("`{range}` is not a version range ({e})"),
                )
                .with_hint("write e.g. `>=1.24, <1.30`"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            linkerd_stable_version("stable-2.13.3"),
            Some(Version::new(2, 13, 3))
        );
        assert!(is_linkerd_version("edge-23.5.1"));
        assert!(!is_linkerd_version("2.13.3"));
        assert_eq!(kubernetes_version("v1.24.7"), Some(Version::new(1, 24, 7)));
        assert_eq!(
            image_tag("kindest/node:v1.24.7@sha256:abc"),
            Some("v1.24.7")
        );
        assert_eq!(image_tag("localhost:5000/node:v1.25.0"), Some("v1.25.0"));
        assert_eq!(image_tag("kindest/node"), None);
    }
}
