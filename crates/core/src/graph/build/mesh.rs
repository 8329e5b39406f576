//! The mesh: the shared trust material, Linkerd and its extensions in every cluster, the
//! gateways links wait for, and the links themselves.

use super::cluster::Platform;
use super::Builder;
use crate::graph::action::{LinkerdPiece, PoolRanges, ResolvedCertificate};
use crate::graph::node::{Desired, NodeKind};
use crate::graph::paths::{
    Paths, ANCHOR_CERT_FILE, ANCHOR_KEY_FILE, CONTROL_PLANE_VALUES_FILE, ISSUER_CERT_FILE,
    ISSUER_KEY_FILE, VIZ_VALUES_FILE,
};
use crate::graph::{ids, ExternalAction, GraphError};
use crate::render::{self, RenderError, Unknown};
use crate::topology::{CertificateSource, Cluster, Linkerd, Provider, Topology};
use std::time::Duration;

/// Validity as written in topologies: whole hours when it is, else seconds.
fn validity_text(validity: Duration) -> String {
    let seconds = validity.as_secs();
    if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else {
        format!("{seconds}s")
    }
}

/// Where one certificate comes from: the user's files (relative to the topology file),
/// or generated into the state directory.
fn resolve_certificate(
    source: &Option<CertificateSource>,
    common_name: String,
    validity: Option<Duration>,
    (cert_file, key_file): (&str, &str),
    paths: &Paths,
    what: &str,
) -> Result<ResolvedCertificate, RenderError> {
    Ok(match source {
        Some(CertificateSource::Files(files)) => ResolvedCertificate::Files {
            cert: paths.user_file(&files.cert),
            key: paths.user_file(&files.key),
        },
        _ => ResolvedCertificate::Generate {
            common_name,
            validity: validity_text(
                validity.ok_or_else(|| RenderError::Invalid(format!("{what} validity")))?,
            ),
            cert: paths.state_file(cert_file),
            key: paths.state_file(key_file),
        },
    })
}

/// The daily schedule of the control plane's heartbeat CronJob (`minute hour * * *`),
/// fixed per cluster name: `linkerd install` would put "ten minutes after the render"
/// there, a change on every render. FNV-1a, so it never changes between builds.
pub(crate) fn heartbeat_schedule(cluster: &str) -> String {
    let hash = cluster.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, byte| {
        (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{} {} * * *", hash % 60, (hash / 60) % 24)
}

/// The trust anchor and the issuer as the mesh uses them.
fn trust_material(
    linkerd: &Linkerd,
    paths: &Paths,
) -> Result<(ResolvedCertificate, ResolvedCertificate), RenderError> {
    let anchor = resolve_certificate(
        &linkerd.trust_anchor,
        linkerd.anchor_common_name(),
        linkerd.anchor_validity(),
        (ANCHOR_CERT_FILE, ANCHOR_KEY_FILE),
        paths,
        "trust anchor",
    )?;
    let issuer = resolve_certificate(
        &linkerd.issuer,
        linkerd.issuer_common_name(),
        linkerd.issuer_validity(),
        (ISSUER_CERT_FILE, ISSUER_KEY_FILE),
        paths,
        "issuer",
    )?;
    Ok((anchor, issuer))
}

/// The topology-wide certificates node, when the topology has a mesh.
pub(super) fn add_certificates(b: &mut Builder) -> Result<(), GraphError> {
    let Some(linkerd) = &b.topology.spec.mesh.linkerd else {
        return Ok(());
    };
    let (trust_anchor, issuer) = trust_material(linkerd, b.paths)?;
    b.node(
        ids::certificates(),
        NodeKind::TrustCertificates,
        None,
        format!(
            "shared trust anchor {} and issuer {} (ECDSA P-256)",
            linkerd.anchor_common_name(),
            linkerd.issuer_common_name()
        ),
        Desired::Action(ExternalAction::Certificates {
            trust_domain: linkerd.trust_domain.clone(),
            state_dir: b.paths.state_dir.clone(),
            trust_anchor,
            issuer,
        }),
    );
    Ok(())
}

/// Linkerd's CRDs, control plane and extensions in `cluster`, and the wait for its
/// multicluster gateway when another cluster links to it.
pub(super) fn add_linkerd(
    b: &mut Builder,
    cluster: &Cluster,
    platform: &Platform,
) -> Result<(), GraphError> {
    let topology = b.topology;
    let Some(linkerd) = &topology.spec.mesh.linkerd else {
        return Ok(());
    };
    let name = cluster.name.as_str();
    let context = cluster.context();
    let render = |version: &str, what: LinkerdPiece| {
        Desired::Action(ExternalAction::LinkerdRender {
            version: version.to_string(),
            context: context.clone(),
            what,
        })
    };

    let crds = ids::crds(name);
    b.node(
        crds.clone(),
        NodeKind::LinkerdCrds,
        Some(name),
        ["Linkerd ", &linkerd.version, " CRDs"].concat(),
        render(&linkerd.version, LinkerdPiece::Crds),
    );
    b.edge(
        &crds,
        platform.cluster.clone(),
        "installed into the cluster",
    );

    let control_plane = ids::control_plane(name);
    // The same files for every cluster: resolved once.
    let (trust_anchor, issuer_certificate, issuer_key) = match &b.trust_files {
        Some(files) => files.clone(),
        None => {
            let (anchor, issuer) = trust_material(linkerd, b.paths)?;
            let files = (
                anchor.cert().clone(),
                issuer.cert().clone(),
                issuer.key().clone(),
            );
            b.trust_files = Some(files.clone());
            files
        }
    };
    b.node(
        control_plane.clone(),
        NodeKind::LinkerdControlPlane,
        Some(name),
        [
            "Linkerd ",
            &linkerd.version,
            " control plane (trust domain ",
            &linkerd.trust_domain,
            ")",
        ]
        .concat(),
        render(
            &linkerd.version,
            LinkerdPiece::ControlPlane {
                trust_domain: linkerd.trust_domain.clone(),
                trust_anchor,
                issuer_certificate,
                issuer_key,
                webhook_values: b.paths.webhook_values_file(name, CONTROL_PLANE_VALUES_FILE),
                heartbeat_schedule: heartbeat_schedule(name),
            },
        ),
    );
    b.edge(
        &control_plane,
        crds.clone(),
        "linkerd install refuses to run before its CRDs exist",
    );
    b.edge(
        &control_plane,
        ids::certificates(),
        "every cluster must trust the same anchor",
    );

    for extension in ["viz", "multicluster", "smi"] {
        let Some(version) = linkerd.extension_version(extension) else {
            continue;
        };
        let desired = match extension {
            "viz" => render(
                &version,
                LinkerdPiece::Viz {
                    webhook_values: b.paths.webhook_values_file(name, VIZ_VALUES_FILE),
                },
            ),
            "multicluster" => render(&version, LinkerdPiece::Multicluster),
            _ => render(
                &linkerd.version,
                LinkerdPiece::Smi {
                    version: version.clone(),
                },
            ),
        };
        let id = ids::extension(name, extension);
        b.node(
            id.clone(),
            NodeKind::LinkerdExtension,
            Some(name),
            ["Linkerd ", extension, " extension ", &version].concat(),
            desired,
        );
        b.edge(
            &id,
            control_plane.clone(),
            "extensions need the control plane",
        );
    }

    let is_target = b.link_targets.contains(name);
    if linkerd.extensions.multicluster.is_some() && is_target {
        let gateway = ids::gateway(name);
        b.node(
            gateway.clone(),
            NodeKind::GatewayReady,
            Some(name),
            "wait for linkerd-multicluster/linkerd-gateway to get a LoadBalancer address".into(),
            Desired::Action(ExternalAction::WaitForLoadBalancer {
                namespace: render::link::MULTICLUSTER_NAMESPACE.into(),
                service: "linkerd-gateway".into(),
                pools: pool_ranges(cluster),
                address: Unknown,
            }),
        );
        b.edge(
            &gateway,
            ids::extension(name, "multicluster"),
            "the gateway comes with the multicluster extension",
        );
        if let Some(advertisement) = &platform.load_balancer_ready {
            b.edge(
                &gateway,
                advertisement.clone(),
                "MetalLB assigns the gateway its address",
            );
        }
    }
    Ok(())
}

/// The cluster's MetalLB pools as ranges (`first-last`); a block that did not parse
/// (validation reports it) keeps its text and holds no address.
pub(crate) fn pool_ranges(cluster: &Cluster) -> Vec<PoolRanges> {
    let Some(load_balancer) = &cluster.load_balancer else {
        return Vec::new();
    };
    load_balancer
        .pools
        .iter()
        .map(|pool| PoolRanges {
            name: pool.name.clone(),
            ranges: pool
                .addresses
                .iter()
                .map(|block| match block.get() {
                    Some(range) => range.to_string(),
                    None => block.raw().to_string(),
                })
                .collect(),
        })
        .collect()
}

/// The API server address a link's credentials carry instead of the one in the target's
/// kubeconfig. A kind cluster without a routable `apiServerAddress` is bound on the host's
/// 127.0.0.1, which the source's service mirror (a pod in another cluster) cannot reach; its
/// address on the docker network can be reached. Where the topology gives a routable address
/// (the walkthrough's LAN IP), kind wrote it into the kubeconfig and the link keeps it.
fn link_api_server(topology: &Topology, target: &Cluster) -> Option<String> {
    if target.provider != Provider::Kind {
        return None;
    }
    let routable = target
        .written_api_server_address(&topology.spec.defaults)
        .and_then(|address| address.get())
        .is_some_and(|ip| !(ip.is_loopback() || ip.is_unspecified()));
    (!routable).then(|| render::kind::internal_api_server(target))
}

/// One node per link, in the source cluster, after both ends' multicluster extension
/// and the target's gateway.
pub(super) fn add_links(b: &mut Builder) -> Result<(), GraphError> {
    let topology = b.topology;
    let mut links: Vec<_> = topology.spec.links.iter().collect();
    links.sort_by(|a, x| (&a.source, &a.target).cmp(&(&x.source, &x.target)));
    for link in links {
        let Some(target) = topology.cluster(&link.target) else {
            continue;
        };
        // An undeclared source fails below, as a link to a node that does not exist.
        let source_context = topology
            .cluster(&link.source)
            .map_or_else(String::new, Cluster::context);
        let cluster_name = link.cluster_name(topology);
        let id = ids::link(&link.source, &cluster_name);
        b.node(
            id.clone(),
            NodeKind::Link,
            Some(&link.source),
            [
                "link: mirror ",
                &link.target,
                "'s exported services into ",
                &link.source,
                " as <service>-",
                &cluster_name,
            ]
            .concat(),
            Desired::Action(ExternalAction::LinkerdLink {
                target_context: target.context(),
                source_context,
                cluster_name,
                api_server_address: link_api_server(topology, target),
                expected: render::link::expected_link(topology, link)?,
            }),
        );
        b.edge(
            &id,
            ids::extension(&link.source, "multicluster"),
            "the service mirror runs in the source cluster",
        );
        b.edge(
            &id,
            ids::extension(&link.target, "multicluster"),
            "the link's credentials come from the target's multicluster install",
        );
        b.edge(
            &id,
            ids::gateway(&link.target),
            "the Link records the target gateway's address",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::heartbeat_schedule;

    #[test]
    fn the_heartbeat_schedule_is_fixed_per_cluster() {
        assert_eq!(heartbeat_schedule("demo"), heartbeat_schedule("demo"));
        assert_ne!(heartbeat_schedule("demo"), heartbeat_schedule("demo3"));
        let schedule = heartbeat_schedule("demo");
        let fields: Vec<&str> = schedule.split(' ').collect();
        assert_eq!(fields[2..], ["*", "*", "*"]);
        assert!(fields[0].parse::<u8>().unwrap() < 60 && fields[1].parse::<u8>().unwrap() < 24);
    }
}
