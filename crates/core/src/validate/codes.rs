//! The stable diagnostic codes. A code keeps its meaning forever; retired codes are not
//! reused. docs/topology.md has a bad and a fixed example for each.
//!
//! Retired: E047 (a linked kind cluster without a reachable `apiServerAddress`; links reach
//! kind clusters on the docker network instead).

/// `(code, one-line summary)` for every diagnostic meshctl can emit.
pub const CODES: &[(&str, &str)] = &[
    ("E001", "the file cannot be read"),
    ("E002", "the file is not UTF-8"),
    ("E003", "the file is empty"),
    ("E004", "YAML syntax error"),
    ("E005", "more than one YAML document"),
    ("E006", "duplicate key in a mapping"),
    (
        "E007",
        "a value has the wrong type, a field is unknown or missing",
    ),
    ("E010", "wrong apiVersion"),
    ("E011", "wrong kind"),
    ("E012", "invalid name"),
    ("E013", "duplicate cluster name"),
    ("E014", "duplicate kubeconfig context"),
    ("E015", "duplicate object"),
    ("E016", "no clusters"),
    ("E017", "existing cluster without a context"),
    (
        "E018",
        "two kind clusters would listen on the same API server address and port",
    ),
    ("E019", "kind cluster without a control plane"),
    (
        "E020",
        "malformed CIDR, address range, IP address or duration",
    ),
    ("W021", "CIDR with host bits set"),
    ("E022", "pod and service subnets of one cluster overlap"),
    ("E023", "subnets of two clusters overlap"),
    ("E024", "a cluster subnet overlaps the node network"),
    ("E025", "a LoadBalancer pool lies outside the node network"),
    ("E026", "LoadBalancer pools overlap"),
    (
        "E027",
        "a LoadBalancer pool overlaps a pod or service subnet",
    ),
    (
        "E028",
        "LoadBalancer pools too small for the LoadBalancer Services needed",
    ),
    ("E029", "pod and service subnets of different IP families"),
    (
        "W030",
        "pools cannot be checked against the node network: spec.network is missing",
    ),
    (
        "E031",
        "service subnet larger than Kubernetes allows (/12 IPv4, /108 IPv6)",
    ),
    (
        "E032",
        "pod subnet too small for a per-node block on every node",
    ),
    (
        "W033",
        "a field that does not apply to the cluster's provider is ignored",
    ),
    ("E035", "two links into one cluster share a cluster name"),
    (
        "E036",
        "a workload's service has the name of a mirror a link creates",
    ),
    ("E037", "two TrafficSplits split the same service"),
    ("E038", "Ingress path does not start with `/`"),
    (
        "W039",
        "split backend routed through two gateways (gateway loop)",
    ),
    ("E040", "reference to an unknown cluster"),
    ("E041", "a cluster linked to itself"),
    ("E042", "duplicate link"),
    ("E043", "reference to a service no workload provides"),
    (
        "E044",
        "remote split backend without a link bringing its cluster in",
    ),
    ("E045", "remote split backend whose service is not exported"),
    (
        "E046",
        "exported service's namespace missing in a cluster that mirrors it",
    ),
    (
        "E048",
        "links or exports without the multicluster extension",
    ),
    ("E049", "split without the smi extension"),
    ("E050", "negative split weight"),
    ("E051", "all split weights are zero"),
    ("E052", "duplicate split backend"),
    ("E053", "ingress in a cluster without an ingress controller"),
    (
        "E054",
        "two ingresses claim the same host and path in one cluster",
    ),
    ("E055", "unknown placeholder in a template"),
    ("W056", "namespace injection set differently by two entries"),
    ("E057", "workload with nothing to deploy"),
    ("W058", "export that no link mirrors"),
    ("E059", "computed name longer than 63 characters"),
    ("E060", "malformed Linkerd version"),
    ("E061", "invalid trust domain"),
    ("E062", "issuer valid longer than the trust anchor"),
    ("E063", "issuer common name Linkerd would reject"),
    ("W064", "extension version differs from Linkerd's"),
    ("W065", "node image tag differs from the Kubernetes version"),
    ("E066", "malformed Kubernetes version"),
    ("W067", "clusters run different Kubernetes versions"),
    ("E068", "Linkerd version outside the supported range"),
    ("E069", "certificate validity longer than 100 years"),
    ("E070", "Kubernetes version not allowed by policy"),
    ("E071", "Linkerd version not allowed by policy"),
    ("E072", "malformed policy version range"),
    ("W073", "split weight changed more than policy allows"),
    ("W074", "a mesh certificate expires soon"),
    (
        "W075",
        "the mesh certificates cannot be read or do not verify",
    ),
    (
        "W076",
        "certificate settings changed, but the stored certificates are kept",
    ),
    ("W077", "the certificate state directory moves"),
    ("E080", "subnets or pools of two topologies overlap"),
    ("E081", "a cluster managed by two topologies"),
    (
        "E082",
        "a kustomize directory or manifest file does not exist",
    ),
    (
        "E083",
        "the certificate files named in the topology are missing or do not verify",
    ),
    (
        "W084",
        "the certificate files named in the topology were not checked",
    ),
    (
        "E085",
        "a workload path leads out of the topology's directory",
    ),
];

/// The summary of a code, for SARIF rules and `--explain`.
pub fn summary(code: &str) -> Option<&'static str> {
    CODES.iter().find(|(c, _)| *c == code).map(|(_, s)| *s)
}
