//! Defaults that depend on other fields, computed in this one place.
//!
//! The model keeps what the user wrote (so the plan and the schema show it faithfully);
//! everything downstream asks these methods for the effective value.

use super::model::*;
use super::units::IpAddress;
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

/// Trust anchor validity when the topology does not say (10 years, as Linkerd's docs
/// suggest for a long-lived anchor).
pub const DEFAULT_ANCHOR_VALIDITY: Duration = Duration::from_secs(87_600 * 3600);
/// Issuer validity when the topology does not say (the walkthrough's `--not-after 8760h`).
pub const DEFAULT_ISSUER_VALIDITY: Duration = Duration::from_secs(8_760 * 3600);
/// The longest certificate validity a topology may ask for (100 years): longer ones are
/// typos, and past year 9999 an X.509 certificate cannot even say when it expires.
pub const MAX_CERTIFICATE_VALIDITY: Duration = Duration::from_secs(876_000 * 3600);
/// linkerd-smi version when the topology does not say (the walkthrough's).
pub const DEFAULT_SMI_VERSION: &str = "v0.2.1";

impl Cluster {
    /// kubeconfig context: as written, else `kind-<name>` (what kind itself names it).
    pub fn context(&self) -> String {
        match &self.context {
            Some(context) => context.clone(),
            None => format!("kind-{}", self.name),
        }
    }

    pub fn kubernetes_version<'a>(&'a self, defaults: &'a ClusterDefaults) -> Option<&'a str> {
        self.kubernetes_version
            .as_deref()
            .or(defaults.kubernetes_version.as_deref())
    }

    /// Node image: as written, else the default, else `kindest/node:<kubernetesVersion>`.
    pub fn node_image(&self, defaults: &ClusterDefaults) -> Option<String> {
        self.node_image
            .clone()
            .or_else(|| defaults.node_image.clone())
            .or_else(|| {
                self.kubernetes_version(defaults)
                    .map(|v| format!("kindest/node:{v}"))
            })
    }

    /// The API server address as written, here or in `spec.defaults` (parsed or not): kind
    /// binds on 127.0.0.1 when there is none.
    pub fn written_api_server_address<'a>(
        &'a self,
        defaults: &'a ClusterDefaults,
    ) -> Option<&'a IpAddress> {
        self.api_server_address
            .as_ref()
            .or(defaults.api_server_address.as_ref())
    }

    /// The API server address, and which YAML path it came from (for diagnostics).
    pub fn api_server_address(
        &self,
        index: usize,
        defaults: &ClusterDefaults,
    ) -> Option<(IpAddr, String)> {
        if let Some(addr) = &self.api_server_address {
            return addr
                .get()
                .map(|ip| (*ip, format!("spec.clusters[{index}].apiServerAddress")));
        }
        defaults
            .api_server_address
            .as_ref()
            .and_then(|addr| addr.get())
            .map(|ip| (*ip, "spec.defaults.apiServerAddress".to_string()))
    }

    /// The LoadBalancer Services this cluster needs addresses for: the multicluster
    /// gateway when another cluster links to it (the link needs the gateway's IP), and
    /// the ingress controller.
    pub fn load_balancer_demand(&self, topology: &Topology) -> Vec<&'static str> {
        LoadBalancerDemand::of(topology).of_cluster(self)
    }
}

/// `Cluster::load_balancer_demand` for many clusters, with the links read once.
pub struct LoadBalancerDemand<'a> {
    multicluster: bool,
    link_targets: HashSet<&'a str>,
}

impl<'a> LoadBalancerDemand<'a> {
    pub fn of(topology: &'a Topology) -> Self {
        LoadBalancerDemand {
            multicluster: topology.spec.mesh.multicluster_enabled(),
            link_targets: topology
                .spec
                .links
                .iter()
                .map(|link| link.target.as_str())
                .collect(),
        }
    }

    /// The LoadBalancer Services `cluster` will run.
    pub fn of_cluster(&self, cluster: &Cluster) -> Vec<&'static str> {
        let mut demand = Vec::new();
        if self.multicluster && self.link_targets.contains(cluster.name.as_str()) {
            demand.push("linkerd-multicluster/linkerd-gateway");
        }
        if cluster.ingress_controller.is_some() {
            demand.push("ingress-nginx/ingress-nginx-controller");
        }
        demand
    }
}

impl Mesh {
    pub fn multicluster_enabled(&self) -> bool {
        self.linkerd
            .as_ref()
            .is_some_and(|l| l.extensions.multicluster.is_some())
    }

    pub fn smi_enabled(&self) -> bool {
        self.linkerd
            .as_ref()
            .is_some_and(|l| l.extensions.smi.is_some())
    }
}

impl Linkerd {
    pub fn anchor_common_name(&self) -> String {
        generated_cn(&self.trust_anchor)
            .unwrap_or_else(|| format!("root.linkerd.{}", self.trust_domain))
    }

    pub fn issuer_common_name(&self) -> String {
        generated_cn(&self.issuer)
            .unwrap_or_else(|| format!("identity.linkerd.{}", self.trust_domain))
    }

    /// The common name Linkerd requires of the issuer.
    pub fn required_issuer_common_name(&self) -> String {
        format!("identity.linkerd.{}", self.trust_domain)
    }

    pub fn anchor_validity(&self) -> Option<Duration> {
        generated_validity(&self.trust_anchor, DEFAULT_ANCHOR_VALIDITY)
    }

    pub fn issuer_validity(&self) -> Option<Duration> {
        generated_validity(&self.issuer, DEFAULT_ISSUER_VALIDITY)
    }

    pub fn extension_version(&self, name: &str) -> Option<String> {
        let ext = match name {
            "viz" => self.extensions.viz.as_ref(),
            "multicluster" => self.extensions.multicluster.as_ref(),
            "smi" => self.extensions.smi.as_ref(),
            _ => None,
        }?;
        Some(ext.version.clone().unwrap_or_else(|| {
            if name == "smi" {
                DEFAULT_SMI_VERSION.to_string()
            } else {
                self.version.clone()
            }
        }))
    }
}

fn generated_cn(source: &Option<CertificateSource>) -> Option<String> {
    match source {
        Some(CertificateSource::Generate(g)) => g.common_name.clone(),
        _ => None,
    }
}

/// `None` for certificates read from files (their validity is in the file).
fn generated_validity(source: &Option<CertificateSource>, default: Duration) -> Option<Duration> {
    match source {
        None => Some(default),
        Some(CertificateSource::Generate(g)) => match &g.validity {
            None => Some(default),
            Some(text) => text.get().copied(),
        },
        Some(CertificateSource::Files(_)) => None,
    }
}

impl Link {
    /// The `--cluster-name` of the link: as written, else the target's context.
    pub fn cluster_name(&self, topology: &Topology) -> String {
        if let Some(name) = &self.cluster_name {
            return name.clone();
        }
        topology
            .cluster(&self.target)
            .map(Cluster::context)
            .unwrap_or_else(|| self.target.clone())
    }
}

impl Split {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.service)
    }
}

impl Backend {
    pub fn cluster<'a>(&'a self, split: &'a Split) -> &'a str {
        self.cluster.as_deref().unwrap_or(&split.cluster)
    }
}

impl Topology {
    /// The first cluster named `name` (a map lookup: see `lookup`).
    pub fn cluster(&self, name: &str) -> Option<&Cluster> {
        self.lookup.cluster(&self.spec, name)
    }

    /// The first link from `source` to `target` (a map lookup: see `lookup`).
    pub fn link(&self, source: &str, target: &str) -> Option<&Link> {
        self.lookup.link(&self.spec, source, target)
    }

    /// The name a backend has in the split's cluster: itself when local, else the mirror
    /// `<service>-<link clusterName>` made by the link that brings it in. `None` when no
    /// link brings the backend's cluster into the split's cluster.
    pub fn backend_service_name(&self, split: &Split, backend: &Backend) -> Option<String> {
        let cluster = backend.cluster(split);
        if cluster == split.cluster {
            return Some(backend.service.clone());
        }
        self.link(&split.cluster, cluster)
            .map(|link| format!("{}-{}", backend.service, link.cluster_name(self)))
    }
}

/// Replaces `{cluster}` and `{context}` in a per-cluster template.
pub fn expand_template(template: &str, cluster: &Cluster) -> String {
    template
        .replace("{cluster}", &cluster.name)
        .replace("{context}", &cluster.context())
}
