//! The typed topology: what a user writes in `topology.yaml`.
//!
//! These types are the source of `schema/topology.schema.json` (via schemars), so their
//! doc comments are the field descriptions editors show. Keys are camelCase and unknown
//! keys are rejected. Defaults that depend on other fields (a kind cluster's context, the
//! certificate common names) are computed in `defaults.rs`, not here.

use super::units::{AddressBlock, Cidr, DurationText, IpAddress};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The only `apiVersion` this meshctl reads.
pub const API_VERSION: &str = "meshctl.io/v1alpha1";
/// The only `kind` this meshctl reads.
pub const KIND: &str = "Topology";

/// A set of meshed Kubernetes clusters, declared once.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Topology {
    /// Must be `meshctl.io/v1alpha1`.
    #[schemars(extend("const" = "meshctl.io/v1alpha1"))]
    pub api_version: String,
    /// Must be `Topology`.
    #[schemars(extend("const" = "Topology"))]
    pub kind: String,
    pub metadata: Metadata,
    pub spec: TopologySpec,
    /// Clusters and links by name, built on first use; not part of the file.
    #[serde(skip)]
    #[schemars(skip)]
    pub(super) lookup: super::lookup::Lookup,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// Name of the topology; also names its state directory (`.meshctl/<name>/`).
    pub name: String,
    /// Free text for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopologySpec {
    /// The network the cluster nodes share (for kind: the docker network `kind`).
    /// LoadBalancer pools must lie inside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NodeNetwork>,
    /// Values every cluster inherits unless it sets its own.
    #[serde(default)]
    pub defaults: ClusterDefaults,
    /// The service mesh installed in every cluster.
    #[serde(default)]
    pub mesh: Mesh,
    /// The clusters, in no particular order.
    pub clusters: Vec<Cluster>,
    /// Multi-cluster links: which cluster's exported services are mirrored into which.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Namespaces to create that no workload brings (e.g. one that only holds mirrors).
    #[serde(default)]
    pub namespaces: Vec<NamespaceSpec>,
    /// Applications deployed from kustomize directories or manifest files.
    #[serde(default)]
    pub workloads: Vec<Workload>,
    /// Services labelled `mirror.linkerd.io/exported=true` so linked clusters mirror them.
    #[serde(default)]
    pub exports: Vec<Export>,
    /// SMI TrafficSplits, with backends local or in other clusters.
    #[serde(default)]
    pub splits: Vec<Split>,
    /// Ingress objects served by each cluster's ingress controller.
    #[serde(default)]
    pub ingresses: Vec<IngressSpec>,
    /// Rules a platform team imposes on every topology (checked by `meshctl validate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<Policy>,
}

/// The node network shared by all clusters.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeNetwork {
    /// Docker network name (kind uses `kind`).
    #[serde(default = "default_network_name")]
    pub name: String,
    /// Its subnet, as `docker network inspect kind` shows it.
    pub subnet: Cidr,
}

fn default_network_name() -> String {
    "kind".to_string()
}

/// Cluster settings inherited by every cluster.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterDefaults {
    /// Kubernetes version, e.g. `v1.24.7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// kind node image, e.g. `kindest/node:v1.24.7@sha256:…`. Its tag should match
    /// `kubernetesVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_image: Option<String>,
    /// Address on this machine the kind API servers listen on (kind's default: 127.0.0.1).
    /// Optional: links to a kind cluster without a routable address use its API server's
    /// address on the docker network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server_address: Option<IpAddress>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mesh {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkerd: Option<Linkerd>,
}

/// Linkerd, installed identically in every cluster with one shared trust anchor.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Linkerd {
    /// Linkerd release, e.g. `stable-2.13.3`.
    pub version: String,
    /// Identity trust domain. Default `cluster.local`.
    #[serde(default = "default_trust_domain")]
    pub trust_domain: String,
    /// The root every cluster trusts. Default: generated, CN `root.linkerd.<trustDomain>`,
    /// valid 87600h.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "serde_yaml::with::singleton_map"
    )]
    #[schemars(with = "Option<CertificateSource>")]
    pub trust_anchor: Option<CertificateSource>,
    /// The intermediate CA that signs proxy certificates. Default: generated under the
    /// anchor, CN `identity.linkerd.<trustDomain>`, valid 8760h.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "serde_yaml::with::singleton_map"
    )]
    #[schemars(with = "Option<CertificateSource>")]
    pub issuer: Option<CertificateSource>,
    #[serde(default)]
    pub extensions: Extensions,
    /// Names the state directory (`.meshctl/<stateKey>/` beside the topology file) that
    /// keeps the generated trust anchor and issuer. Default: `metadata.name`. Pin it (to
    /// the old name) before renaming a topology, so the mesh keeps its trust anchor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$"), length(max = 253))]
    pub state_key: Option<String>,
}

fn default_trust_domain() -> String {
    "cluster.local".to_string()
}

/// Where a certificate comes from: generated by meshctl (kept in the state directory)
/// or existing PEM files.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum CertificateSource {
    Generate(GeneratedCertificate),
    Files(CertificateFiles),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeneratedCertificate {
    /// Subject common name. Default depends on the role (see `trustAnchor`, `issuer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// How long it is valid, e.g. `8760h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<DurationText>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateFiles {
    /// PEM certificate, relative to the topology file.
    pub cert: String,
    /// PEM private key, relative to the topology file.
    pub key: String,
}

/// Linkerd extensions; an extension is installed when its key is present.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Extensions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viz: Option<Extension>,
    /// Required by links and exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multicluster: Option<Extension>,
    /// linkerd-smi; required by splits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smi: Option<Extension>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Extension {
    /// Version; default: Linkerd's own version (viz, multicluster) or `v0.2.1` (smi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// How a cluster comes to exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Provider {
    /// meshctl creates it with `kind create cluster`.
    #[default]
    Kind,
    /// It exists already; meshctl only uses its context.
    Existing,
}

/// One Kubernetes cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// Cluster name (a DNS-1123 label), e.g. `demo`.
    pub name: String,
    /// kubeconfig context. Default for kind clusters: `kind-<name>`. Required for
    /// `existing` clusters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Default `kind`.
    #[serde(default)]
    pub provider: Provider,
    /// Node counts (kind only; ignored with a warning on `existing` clusters).
    #[serde(default)]
    pub nodes: Nodes,
    /// Overrides `defaults.kubernetesVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Overrides `defaults.nodeImage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_image: Option<String>,
    /// Overrides `defaults.apiServerAddress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server_address: Option<IpAddress>,
    /// API server port (kind picks a random one when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server_port: Option<u16>,
    /// Pod network; must not overlap any other cluster's subnets.
    pub pod_subnet: Cidr,
    /// Service network; must not overlap any other cluster's subnets.
    pub service_subnet: Cidr,
    /// For an `existing` cluster that is not on `spec.network` (kind clusters always
    /// are): the subnet its nodes sit on. Its LoadBalancer pools are checked against it;
    /// without it they are not checked against any node network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_subnet: Option<Cidr>,
    /// MetalLB address pools for `LoadBalancer` Services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancer>,
    /// The ingress controller installed in this cluster, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress_controller: Option<IngressController>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Nodes {
    /// Default 1.
    #[serde(default = "one")]
    pub control_planes: u32,
    /// Default 0.
    #[serde(default)]
    pub workers: u32,
}

impl Default for Nodes {
    fn default() -> Self {
        Nodes {
            control_planes: 1,
            workers: 0,
        }
    }
}

fn one() -> u32 {
    1
}

/// MetalLB, installed with helm, with its pools and L2 advertisement.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    /// MetalLB chart version; default: the chart's latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// IPAddressPools, in the cluster's `metallb-system` namespace.
    pub pools: Vec<Pool>,
    /// The L2Advertisement announcing the pools. Default name `default`.
    #[serde(default)]
    pub l2_advertisement: L2AdvertisementSpec,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pool {
    /// IPAddressPool name, e.g. `first-pool`.
    pub name: String,
    /// Address blocks: `172.17.0.61-172.17.0.70` or `172.17.0.64/28`.
    pub addresses: Vec<AddressBlock>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct L2AdvertisementSpec {
    #[serde(default = "default_l2_name")]
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Default for L2AdvertisementSpec {
    fn default() -> Self {
        L2AdvertisementSpec {
            name: default_l2_name(),
            labels: BTreeMap::new(),
        }
    }
}

fn default_l2_name() -> String {
    "default".to_string()
}

/// ingress-nginx, installed with helm.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressController {
    /// Chart version; default: the chart's latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Mesh the controller pods (`linkerd.io/inject: enabled`). Default true.
    #[serde(default = "yes")]
    pub inject: bool,
}

fn yes() -> bool {
    true
}

/// A Linkerd multicluster link. In Linkerd's words the *target* is the cluster whose
/// exported services are mirrored; the *source* is where the mirrors (and the Link
/// object) appear and where client traffic starts.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Link {
    /// The cluster that gets the mirrored services.
    pub source: String,
    /// The cluster whose exported services are mirrored.
    pub target: String,
    /// `--cluster-name` given to `linkerd multicluster link`; mirrors are named
    /// `<service>-<clusterName>`. Default: the target's context (as in the walkthrough).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
}

/// A namespace created in some clusters.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceSpec {
    pub name: String,
    /// Clusters to create it in.
    pub clusters: Vec<String>,
    /// Annotate it `linkerd.io/inject: enabled`.
    #[serde(default)]
    pub inject: bool,
}

/// An application deployed into one namespace of some clusters.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    pub namespace: String,
    pub clusters: Vec<String>,
    /// A kustomize directory, relative to the topology file. `{cluster}` and `{context}`
    /// are replaced per cluster, e.g. `examples/workloads/overlays/{context}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<String>,
    /// Plain manifest files, relative to the topology file (same placeholders).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manifests: Vec<String>,
    /// Mesh the namespace (`linkerd.io/inject: enabled`).
    #[serde(default)]
    pub inject: bool,
    /// The Services this workload provides. Exports, splits and ingresses may only name
    /// services some workload provides in that cluster and namespace.
    #[serde(default)]
    pub services: Vec<String>,
}

/// A service to export (label `mirror.linkerd.io/exported=true`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Export {
    pub service: String,
    pub namespace: String,
    /// The clusters whose copy of the service is exported.
    pub clusters: Vec<String>,
}

/// An SMI TrafficSplit in one cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Split {
    /// TrafficSplit name; default: the service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub namespace: String,
    /// The cluster the TrafficSplit lives in.
    pub cluster: String,
    /// The apex service clients call.
    pub service: String,
    pub backends: Vec<Backend>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Backend {
    /// Service name as it is in its own cluster.
    pub service: String,
    /// The cluster the service runs in; default: the split's cluster. A remote backend
    /// is reached through its mirror, `<service>-<link clusterName>`, which meshctl names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Relative weight; non-negative.
    pub weight: i64,
}

/// An Ingress per cluster.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressSpec {
    pub name: String,
    pub namespace: String,
    pub clusters: Vec<String>,
    /// Host name; `{cluster}` and `{context}` are replaced per cluster, e.g.
    /// `frontend-{context}.127-0-0-1.sslip.io`.
    pub host: String,
    /// Default `/`.
    #[serde(default = "default_path")]
    pub path: String,
    pub service: String,
    pub port: u16,
    /// IngressClass. Default `nginx`.
    #[serde(default = "default_class")]
    pub class_name: String,
    /// Set `nginx.ingress.kubernetes.io/service-upstream: "true"` so the meshed
    /// controller sends traffic to the Service, letting Linkerd balance it. Default true.
    #[serde(default = "yes")]
    pub service_upstream: bool,
}

fn default_path() -> String {
    "/".to_string()
}

fn default_class() -> String {
    "nginx".to_string()
}

/// Organisation-wide rules.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Allowed Kubernetes versions, e.g. `>=1.24, <1.30`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_versions: Option<String>,
    /// Allowed Linkerd stable versions, e.g. `>=2.13, <2.15`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkerd_versions: Option<String>,
    /// `plan --base` warns when a split backend's weight moves by more than this many
    /// percentage points in one change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_weight_change: Option<u32>,
}
