//! Address checks: CIDR and range syntax, pod/service subnet overlaps within and across
//! clusters, and MetalLB pools (inside the node network, disjoint from each other and
//! from every subnet, large enough for the LoadBalancer Services the topology needs).

use crate::diagnostics::Diagnostic;
use crate::topology::units::{nets_overlap, AddressRange, Parsed, Unit};
use crate::topology::{Cluster, LoadBalancerDemand, Provider, Topology};
use foldhash::{HashMap, HashMapExt};
use ipnet::IpNet;

/// A cluster subnet with where it is written.
pub(super) struct Subnet<'a> {
    pub cluster: &'a str,
    pub text: &'a str,
    pub field: &'static str,
    pub path: String,
    pub net: IpNet,
}

impl Subnet<'_> {
    /// `10.97.0.0/12 (10.96.0.0-10.111.255.255)`: the text and the addresses it spans.
    pub fn describe(&self) -> String {
        format!(
            "{} {} ({})",
            self.field,
            self.text,
            AddressRange::from_net(&self.net)
        )
    }
}

/// A pool address block with where it is written.
pub(super) struct Block<'a> {
    pub cluster: &'a str,
    pub pool: &'a str,
    pub path: String,
    pub range: AddressRange,
    pub text: &'a str,
}

/// Reports a malformed unit; returns the value when it parsed.
pub(super) fn parsed<'a, T: Unit>(
    out: &mut Vec<Diagnostic>,
    path: &str,
    value: &'a Parsed<T>,
) -> Option<&'a T> {
    if let Some(error) = value.error() {
        out.push(
            Diagnostic::error("E020", path, error.to_string()).with_hint(format!(
                "write {} such as `{}`",
                T::NAME,
                T::EXAMPLE
            )),
        );
    }
    value.get()
}

/// Every well-formed subnet and pool block of a topology, with where it is written.
pub(super) struct Addresses<'a> {
    pub subnets: Vec<Subnet<'a>>,
    pub blocks: Vec<Block<'a>>,
}

/// Any address range a topology claims (a subnet or a pool block), for comparisons
/// across topologies.
pub(super) struct Claim {
    pub path: String,
    pub range: AddressRange,
    /// e.g. "serviceSubnet 10.96.0.0/16 of cluster `demo`".
    pub what: String,
}

impl Addresses<'_> {
    pub fn claims(&self) -> Vec<Claim> {
        let subnets = self.subnets.iter().map(|s| Claim {
            path: s.path.clone(),
            range: AddressRange::from_net(&s.net),
            what: format!("{} {} of cluster `{}`", s.field, s.text, s.cluster),
        });
        let blocks = self.blocks.iter().map(|b| Claim {
            path: b.path.clone(),
            range: b.range,
            what: format!("pool `{}` ({}) of cluster `{}`", b.pool, b.text, b.cluster),
        });
        subnets.chain(blocks).collect()
    }
}

pub(super) fn addresses(t: &Topology) -> Addresses<'_> {
    let mut subnets = Vec::new();
    let mut blocks = Vec::new();
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        let path = format!("spec.clusters[{i}]");
        for (field, value) in [
            ("podSubnet", &cluster.pod_subnet),
            ("serviceSubnet", &cluster.service_subnet),
        ] {
            if let Some(net) = value.get() {
                subnets.push(Subnet {
                    cluster: &cluster.name,
                    text: value.raw(),
                    field,
                    path: format!("{path}.{field}"),
                    net: net.trunc(),
                });
            }
        }
        for (p, pool) in cluster
            .load_balancer
            .iter()
            .flat_map(|lb| lb.pools.iter().enumerate())
        {
            for (a, block) in pool.addresses.iter().enumerate() {
                if let Some(range) = block.get() {
                    blocks.push(Block {
                        cluster: &cluster.name,
                        pool: &pool.name,
                        path: format!("{path}.loadBalancer.pools[{p}].addresses[{a}]"),
                        range: *range,
                        text: block.raw(),
                    });
                }
            }
        }
    }
    Addresses { subnets, blocks }
}

pub(super) fn check(t: &Topology, out: &mut Vec<Diagnostic>) {
    let node_network = t
        .spec
        .network
        .as_ref()
        .and_then(|n| parsed(out, "spec.network.subnet", &n.subnet))
        .map(IpNet::trunc);
    if let Some(addr) = &t.spec.defaults.api_server_address {
        parsed(out, "spec.defaults.apiServerAddress", addr);
    }
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        let path = format!("spec.clusters[{i}]");
        if let Some(addr) = &cluster.api_server_address {
            parsed(out, &format!("{path}.apiServerAddress"), addr);
        }
        if let Some(subnet) = &cluster.node_subnet {
            parsed(out, &format!("{path}.nodeSubnet"), subnet);
        }
        for (field, value) in [
            ("podSubnet", &cluster.pod_subnet),
            ("serviceSubnet", &cluster.service_subnet),
        ] {
            let field_path = format!("{path}.{field}");
            if let Some(net) = parsed(out, &field_path, value) {
                if net.trunc() != *net {
                    out.push(
                        Diagnostic::warning(
                            "W021",
                            &field_path,
                            format!("`{net}` has host bits set; it means `{}`", net.trunc()),
                        )
                        .with_hint(format!(
                            "write `{}` so the range is what it looks like",
                            net.trunc()
                        )),
                    );
                }
            }
        }
        for (p, pool) in cluster
            .load_balancer
            .iter()
            .flat_map(|lb| lb.pools.iter().enumerate())
        {
            for (a, block) in pool.addresses.iter().enumerate() {
                parsed(
                    out,
                    &format!("{path}.loadBalancer.pools[{p}].addresses[{a}]"),
                    block,
                );
            }
        }
    }

    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        kubernetes_limits(cluster, &format!("spec.clusters[{i}]"), out);
    }
    api_server_clashes(t, out);
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        if let (Some(pod), Some(service)) = (cluster.pod_subnet.get(), cluster.service_subnet.get())
        {
            if matches!(pod, IpNet::V4(_)) != matches!(service, IpNet::V4(_)) {
                out.push(
                    Diagnostic::error(
                        "E029",
                        format!("spec.clusters[{i}].serviceSubnet"),
                        format!(
                            "cluster `{}` mixes an IPv{} pod subnet with an IPv{} service subnet",
                            cluster.name,
                            if matches!(pod, IpNet::V4(_)) { 4 } else { 6 },
                            if matches!(service, IpNet::V4(_)) {
                                4
                            } else {
                                6
                            },
                        ),
                    )
                    .with_related(format!("spec.clusters[{i}].podSubnet"), "the pod subnet")
                    .with_hint(
                        "use one family for both (dual-stack clusters are not supported yet)",
                    ),
                );
            }
        }
    }
    let Addresses { subnets, blocks } = addresses(t);
    subnet_overlaps(&subnets, node_network.as_ref(), out);
    pool_checks(t, &blocks, &subnets, node_network.as_ref(), out);
}

/// Service ranges Kubernetes accepts hold at most 2^20 addresses: kube-apiserver refuses a
/// `--service-cluster-ip-range` wider than /12 (IPv4) or /108 (IPv6).
const MAX_SERVICE_BITS: u8 = 20;

/// The block kube-controller-manager gives each node out of the pod subnet
/// (`--node-cidr-mask-size`, as kind and kubeadm leave it): /24 for IPv4, /64 for IPv6.
fn per_node_prefix(net: &IpNet) -> u8 {
    match net {
        IpNet::V4(_) => 24,
        IpNet::V6(_) => 64,
    }
}

/// `n` and the noun, singular or plural: "1 worker", "2 workers".
pub(crate) fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// E031 and E032: subnets kube-apiserver or kube-controller-manager would refuse.
fn kubernetes_limits(cluster: &Cluster, path: &str, out: &mut Vec<Diagnostic>) {
    if let Some(service) = cluster.service_subnet.get() {
        let host_bits = service.max_prefix_len() - service.prefix_len();
        if host_bits > MAX_SERVICE_BITS {
            let limit = service.max_prefix_len() - MAX_SERVICE_BITS;
            out.push(
                Diagnostic::error(
                    "E031",
                    format!("{path}.serviceSubnet"),
                    format!(
                        "serviceSubnet {service} of cluster `{}` is a /{}; kube-apiserver refuses service ranges larger than /{limit} (2^{MAX_SERVICE_BITS} = 1048576 addresses)",
                        cluster.name,
                        service.prefix_len()
                    ),
                )
                .with_hint(format!("use a /{limit} or smaller, e.g. {}", example_of(service, limit))),
            );
        }
    }
    // Node counts are known only for clusters meshctl creates.
    if cluster.provider != Provider::Kind {
        return;
    }
    let Some(pod) = cluster.pod_subnet.get() else {
        return;
    };
    let nodes = u64::from(cluster.nodes.control_planes) + u64::from(cluster.nodes.workers);
    let per_node = per_node_prefix(pod);
    let blocks: u64 = match per_node.checked_sub(pod.prefix_len()) {
        Some(bits) if bits >= 63 => u64::MAX,
        Some(bits) => 1 << bits,
        None => 0,
    };
    if nodes == 0 || blocks >= nodes {
        return;
    }
    // The smallest subnet with a block for every node.
    let needed_bits = u64::BITS - (nodes - 1).leading_zeros();
    let needed = per_node.saturating_sub(needed_bits as u8);
    let message = if blocks == 0 {
        format!(
            "podSubnet {pod} of cluster `{}` is smaller than the /{per_node} block each node gets",
            cluster.name
        )
    } else {
        format!(
            "podSubnet {pod} of cluster `{}` has room for {} but the cluster has {} ({}, {})",
            cluster.name,
            count(blocks, &format!("/{per_node} block")),
            count(nodes, "node"),
            count(cluster.nodes.control_planes.into(), "control plane"),
            count(cluster.nodes.workers.into(), "worker"),
        )
    };
    out.push(
        Diagnostic::error("E032", format!("{path}.podSubnet"), message).with_hint(format!(
            "kube-controller-manager gives every node a /{per_node} of the pod subnet: use a /{needed} or larger (kind's default is {})",
            match pod {
                IpNet::V4(_) => "10.244.0.0/16",
                IpNet::V6(_) => "fd00:10:244::/56",
            }
        )),
    );
}

/// `net` widened or narrowed to `prefix`, as an example in a hint.
fn example_of(net: &IpNet, prefix: u8) -> String {
    IpNet::new(net.network(), prefix)
        .map(|n| n.trunc().to_string())
        .unwrap_or_default()
}

/// Two kind clusters on one machine cannot both listen on the same address and port.
fn api_server_clashes(t: &Topology, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<(std::net::IpAddr, u16), usize> = HashMap::new();
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        let (Provider::Kind, Some(port)) = (cluster.provider, cluster.api_server_port) else {
            continue;
        };
        let address = match cluster.written_api_server_address(&t.spec.defaults) {
            // Unset: kind listens on 127.0.0.1.
            None => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            Some(written) => match written.get() {
                Some(ip) => *ip,
                // Malformed: E020 says so at the value.
                None => continue,
            },
        };
        if let Some(first) = seen.insert((address, port), i) {
            out.push(
                Diagnostic::error(
                    "E018",
                    format!("spec.clusters[{i}].apiServerPort"),
                    format!(
                        "kind clusters `{}` and `{}` would both listen on {address}:{port}",
                        t.spec.clusters[first].name, cluster.name
                    ),
                )
                .with_related(format!("spec.clusters[{first}].apiServerPort"), "the other cluster's port")
                .with_hint("give each kind cluster its own apiServerPort, or leave it unset so kind picks a free one"),
            );
        }
    }
}

fn subnet_overlaps(subnets: &[Subnet], node_network: Option<&IpNet>, out: &mut Vec<Diagnostic>) {
    let ranges: Vec<AddressRange> = subnets
        .iter()
        .map(|s| AddressRange::from_net(&s.net))
        .collect();
    let shared = Spans::new(ranges.iter().copied());
    let earlier = shared.earlier_overlaps();
    let mut suggestions = Suggestions::default();
    for (b, overlap) in subnets.iter().zip(&earlier) {
        // One diagnostic per subnet, against the first it overlaps: a shared range among
        // many clusters must not bury the report under n² lines.
        if let Some(overlap) = overlap {
            let a = &subnets[overlap.first];
            let diagnostic = if a.cluster == b.cluster {
                Diagnostic::error(
                    "E022",
                    &b.path,
                    format!(
                        "{} of cluster `{}` overlaps its {}",
                        b.describe(),
                        b.cluster,
                        a.describe()
                    ),
                )
                .with_hint("pods and services of a cluster need disjoint ranges")
            } else {
                Diagnostic::error(
                    "E023",
                    &b.path,
                    format!(
                        "{} of cluster `{}` overlaps {} of cluster `{}`",
                        b.describe(), b.cluster, a.describe(), a.cluster
                    ),
                )
                .with_hint(format!(
                    "meshed clusters must not share pod or service addresses; move `{}` to a range no other cluster uses{}",
                    b.cluster,
                    suggestions.free_like(b.net, &shared)
                ))
            };
            out.push(
                also(diagnostic, overlap)
                    .with_related(&a.path, format!("{} of cluster `{}`", a.field, a.cluster)),
            );
        }
        if let Some(network) = node_network {
            if nets_overlap(network, &b.net) {
                out.push(
                    Diagnostic::error(
                        "E024",
                        &b.path,
                        format!(
                            "{} {} of cluster `{}` overlaps the node network {network}",
                            b.field, b.net, b.cluster
                        ),
                    )
                    .with_related("spec.network.subnet", "the node network")
                    .with_hint(
                        "cluster subnets must be disjoint from the network the nodes sit on",
                    ),
                );
            }
        }
    }
}

/// Adds "and N more" to a diagnostic reported once for several overlaps.
fn also(mut diagnostic: Diagnostic, overlap: &EarlierOverlap) -> Diagnostic {
    if overlap.counted_all {
        if overlap.more > 0 {
            diagnostic
                .message
                .push_str(&format!(" (and {} more)", overlap.more));
        }
    } else {
        diagnostic
            .message
            .push_str(&format!(" (and at least {} more)", overlap.more));
    }
    diagnostic
}

/// Candidate networks looked at for one suggestion, at most (a hint is not worth more).
const MAX_SUGGESTION_CANDIDATES: usize = 65_536;

/// Free networks suggested in hints, remembered: the answer depends only on the /8 and
/// the prefix length, and thousands of clusters on one range ask the same question.
#[derive(Default)]
struct Suggestions {
    known: HashMap<(u8, u8), String>,
}

impl Suggestions {
    /// A free network of the same size in the same /8 as `net`, as a hint (`taken`: every
    /// subnet of the topology).
    fn free_like(&mut self, net: IpNet, taken: &Spans) -> String {
        let IpNet::V4(v4) = net else {
            return String::new();
        };
        let key = (v4.network().octets()[0], v4.prefix_len());
        self.known
            .entry(key)
            .or_insert_with(|| {
                let Ok(space) = ipnet::Ipv4Net::new(v4.network(), 8) else {
                    return String::new();
                };
                let Ok(candidates) = space.trunc().subnets(v4.prefix_len().max(8)) else {
                    return String::new();
                };
                candidates
                    .take(MAX_SUGGESTION_CANDIDATES)
                    .map(IpNet::V4)
                    .find(|c| !taken.hits(&AddressRange::from_net(c)))
                    .map(|c| format!(", e.g. {c}"))
                    .unwrap_or_default()
            })
            .clone()
    }
}

fn pool_checks(
    t: &Topology,
    blocks: &[Block],
    subnets: &[Subnet],
    node_network: Option<&IpNet>,
    out: &mut Vec<Diagnostic>,
) {
    // An existing cluster is not on kind's docker network: its pools are checked against
    // its own `nodeSubnet` when it has one, and not at all otherwise.
    // The first cluster of each name, as a linear search would find it.
    let mut by_name: HashMap<&str, (usize, &Cluster)> = HashMap::new();
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        by_name.entry(cluster.name.as_str()).or_insert((i, cluster));
    }
    let network_of = |block: &Block| -> Option<(IpNet, String)> {
        let (i, cluster) = *by_name.get(block.cluster)?;
        match cluster.provider {
            Provider::Kind => node_network.map(|n| (*n, "spec.network.subnet".to_string())),
            Provider::Existing => cluster
                .node_subnet
                .as_ref()
                .and_then(Parsed::get)
                .map(|n| (n.trunc(), format!("spec.clusters[{i}].nodeSubnet"))),
        }
    };
    let kind_blocks = blocks.iter().any(|b| {
        by_name
            .get(b.cluster)
            .is_some_and(|(_, c)| c.provider == Provider::Kind)
    });
    for block in blocks {
        if let Some((network, network_path)) = network_of(block) {
            if !block.range.within(&network) {
                out.push(
                    Diagnostic::error(
                        "E025",
                        &block.path,
                        format!(
                            "pool `{}` of cluster `{}`: {} is not inside the node network {network}",
                            block.pool, block.cluster, block.text
                        ),
                    )
                    .with_related(network_path, "the node network")
                    .with_hint("MetalLB in L2 mode can only announce addresses of the nodes' own network (see `docker network inspect kind`)"),
                );
            }
        }
    }
    if node_network.is_none() && kind_blocks {
        out.push(
            Diagnostic::warning(
                "W030",
                "spec",
                "LoadBalancer pools of kind clusters are declared but spec.network is not, so they cannot be checked against the node network",
            )
            .with_hint("add `network: {name: kind, subnet: <subnet of docker network kind>}`"),
        );
    }

    // Sorted by address, the blocks that overlap anything are found in O(n log n), and
    // each one's first overlap in file order without comparing all pairs.
    let block_spans = Spans::new(blocks.iter().map(|b| b.range));
    let subnet_spans = Spans::new(subnets.iter().map(|s| AddressRange::from_net(&s.net)));
    let earlier = block_spans.earlier_overlaps();
    let subnets_in_pools: Vec<&Subnet> = subnets
        .iter()
        .filter(|s| block_spans.hits(&AddressRange::from_net(&s.net)))
        .collect();
    for (b, overlap) in blocks.iter().zip(&earlier) {
        if let Some(overlap) = overlap {
            let a = &blocks[overlap.first];
            let diagnostic = Diagnostic::error(
                "E026",
                &b.path,
                format!(
                    "pool `{}` of cluster `{}` ({}) overlaps pool `{}` of cluster `{}` ({})",
                    b.pool, b.cluster, b.text, a.pool, a.cluster, a.text
                ),
            );
            out.push(
                also(diagnostic, overlap)
                    .with_related(
                        &a.path,
                        format!("pool `{}` of cluster `{}`", a.pool, a.cluster),
                    )
                    .with_hint(
                        "each cluster needs its own addresses, or two Services get the same IP",
                    ),
            );
        }
        if !subnet_spans.hits(&b.range) {
            continue;
        }
        let mut nets = subnets_in_pools
            .iter()
            .filter(|s| b.range.overlaps(&AddressRange::from_net(&s.net)));
        if let Some(s) = nets.next() {
            let diagnostic = Diagnostic::error(
                "E027",
                &b.path,
                format!(
                    "pool `{}` of cluster `{}` ({}) overlaps {} {} of cluster `{}`",
                    b.pool, b.cluster, b.text, s.field, s.net, s.cluster
                ),
            );
            let more = nets.count();
            out.push(
                also(diagnostic, &EarlierOverlap { first: 0, more, counted_all: true })
                    .with_related(&s.path, format!("{} of cluster `{}`", s.field, s.cluster))
                    .with_hint("LoadBalancer addresses must come from the node network, not from pod or service ranges"),
            );
        }
    }

    let mut capacity_of: HashMap<&str, u128> = HashMap::new();
    for block in blocks {
        *capacity_of.entry(block.cluster).or_default() += block.range.size();
    }
    let demands = LoadBalancerDemand::of(t);
    for (i, cluster) in t.spec.clusters.iter().enumerate() {
        let demand = demands.of_cluster(cluster);
        if demand.is_empty() {
            continue;
        }
        let capacity = capacity_of.get(cluster.name.as_str()).copied().unwrap_or(0);
        // A malformed block (E020) holds no countable addresses: "pools hold 0" would
        // send the user after the wrong problem.
        let malformed = cluster
            .load_balancer
            .iter()
            .flat_map(|lb| &lb.pools)
            .flat_map(|pool| &pool.addresses)
            .any(|block| block.get().is_none());
        if malformed {
            continue;
        }
        let has_pools = cluster.load_balancer.is_some();
        // An existing cluster may have a cloud load balancer; only pools it declares count.
        if !has_pools && cluster.provider == Provider::Existing {
            continue;
        }
        if capacity < demand.len() as u128 {
            let path = if has_pools {
                format!("spec.clusters[{i}].loadBalancer.pools")
            } else {
                format!("spec.clusters[{i}]")
            };
            out.push(
                Diagnostic::error(
                    "E028",
                    path,
                    format!(
                        "cluster `{}` needs {} LoadBalancer address(es) ({}) but its pools hold {capacity}",
                        cluster.name,
                        demand.len(),
                        demand.join(", ")
                    ),
                )
                .with_hint("add addresses to `loadBalancer.pools` (a Service without one stays <pending> and the link waits forever)"),
            );
        }
    }
}

/// Address ranges sorted by (family, first address), for overlap questions in
/// O(n log n) instead of comparing all pairs.
struct Spans {
    /// (family, first, last, position in the input), sorted.
    sorted: Vec<(bool, u128, u128, usize)>,
    /// The greatest (family, last) among `sorted[..=k]`.
    reach: Vec<(bool, u128)>,
}

impl Spans {
    fn new(ranges: impl Iterator<Item = AddressRange>) -> Spans {
        let mut sorted: Vec<_> = ranges
            .enumerate()
            .map(|(i, r)| {
                let (v6, first, last) = span(&r);
                (v6, first, last, i)
            })
            .collect();
        sorted.sort_unstable();
        let mut reach = Vec::with_capacity(sorted.len());
        let mut furthest = None;
        for &(v6, _, last, _) in &sorted {
            let end = (v6, last);
            furthest = Some(furthest.map_or(end, |f: (bool, u128)| f.max(end)));
            reach.extend(furthest);
        }
        Spans { sorted, reach }
    }

    /// Whether `range` overlaps any of the ranges.
    fn hits(&self, range: &AddressRange) -> bool {
        let (v6, first, last) = span(range);
        // Ranges starting at or before `last`; one of them overlaps iff it reaches `first`.
        let starting = self.sorted.partition_point(|s| (s.0, s.1) <= (v6, last));
        starting > 0 && self.reach[starting - 1] >= (v6, first)
    }
}

/// What a range overlaps among the ranges before it in file order.
struct EarlierOverlap {
    /// The first of them, by position in the input.
    first: usize,
    /// How many more there are (a lower bound when `counted_all` is false).
    more: usize,
    /// Whether every earlier range was compared (see `MAX_COMPARISONS_PER_RANGE`).
    counted_all: bool,
}

/// Comparisons made for one range inside a large group of overlapping, unequal ranges.
/// Only hostile input gets there (thousands of different ranges all overlapping each
/// other); the budget keeps it linear, and the message then says "at least".
const MAX_COMPARISONS_PER_RANGE: usize = 256;
/// Largest group of overlapping ranges compared all pairs with each other.
const MAX_GROUP_COMPARED_PAIRWISE: usize = 512;

impl Spans {
    /// For each range in input order: the earlier ranges (in input order) it overlaps.
    /// Overlapping ranges lie in one group of consecutive ranges in sorted order, so only
    /// ranges of the same group are compared; a group of equal ranges (one service
    /// subnet shared by every cluster) is answered by position alone, in linear time.
    fn earlier_overlaps(&self) -> Vec<Option<EarlierOverlap>> {
        let mut out: Vec<Option<EarlierOverlap>> = Vec::new();
        out.resize_with(self.sorted.len(), || None);
        let mut start = 0;
        while start < self.sorted.len() {
            let mut end = start + 1;
            while end < self.sorted.len() {
                let (v6, first, _, _) = self.sorted[end];
                if self.reach[end - 1] < (v6, first) {
                    break;
                }
                end += 1;
            }
            let group = &self.sorted[start..end];
            start = end;
            if group.len() < 2 {
                continue;
            }
            // Members in input order.
            let mut members: Vec<(bool, u128, u128, usize)> = group.to_vec();
            members.sort_unstable_by_key(|m| m.3);
            let same = |a: &(bool, u128, u128, usize), b: &(bool, u128, u128, usize)| {
                (a.0, a.1, a.2) == (b.0, b.1, b.2)
            };
            if members.iter().all(|m| same(m, &members[0])) {
                for (rank, m) in members.iter().enumerate().skip(1) {
                    out[m.3] = Some(EarlierOverlap {
                        first: members[0].3,
                        more: rank - 1,
                        counted_all: true,
                    });
                }
                continue;
            }
            let budget = if members.len() <= MAX_GROUP_COMPARED_PAIRWISE {
                usize::MAX
            } else {
                MAX_COMPARISONS_PER_RANGE
            };
            for (k, b) in members.iter().enumerate() {
                let compared = k.min(budget);
                let mut overlapping = members[..compared]
                    .iter()
                    .filter(|a| a.0 == b.0 && a.1 <= b.2 && b.1 <= a.2);
                if let Some(a) = overlapping.next() {
                    out[b.3] = Some(EarlierOverlap {
                        first: a.3,
                        more: overlapping.count(),
                        counted_all: compared == k,
                    });
                }
            }
        }
        out
    }
}

/// (is IPv6, first, last) as numbers, so ranges of one family order by address.
fn span(range: &AddressRange) -> (bool, u128, u128) {
    let number = |ip: std::net::IpAddr| match ip {
        std::net::IpAddr::V4(v4) => u128::from(u32::from(v4)),
        std::net::IpAddr::V6(v6) => u128::from(v6),
    };
    (
        range.first.is_ipv6(),
        number(range.first),
        number(range.last),
    )
}

#[cfg(test)]
mod tests {
    use super::{AddressRange, Spans, MAX_GROUP_COMPARED_PAIRWISE};
    use std::net::{IpAddr, Ipv4Addr};

    fn range(first: u32, last: u32) -> AddressRange {
        AddressRange {
            first: IpAddr::V4(Ipv4Addr::from(first)),
            last: IpAddr::V4(Ipv4Addr::from(last)),
        }
    }

    /// (first earlier overlap, how many more) by comparing every pair.
    fn brute_force(ranges: &[AddressRange]) -> Vec<Option<(usize, usize)>> {
        ranges
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mut earlier = ranges[..i]
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| a.overlaps(b));
                earlier.next().map(|(first, _)| (first, earlier.count()))
            })
            .collect()
    }

    fn answered(ranges: &[AddressRange]) -> Vec<Option<(usize, usize)>> {
        Spans::new(ranges.iter().copied())
            .earlier_overlaps()
            .into_iter()
            .map(|o| {
                o.map(|o| {
                    assert!(o.counted_all);
                    (o.first, o.more)
                })
            })
            .collect()
    }

    #[test]
    fn earlier_overlaps_match_comparing_every_pair() {
        // A pseudo-random mix of disjoint, nested, chained and equal ranges.
        let mut seed = 7u32;
        let mut next = |modulo: u32| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) % modulo
        };
        for _ in 0..50 {
            let ranges: Vec<AddressRange> = (0..60)
                .map(|_| {
                    let first = next(400);
                    range(first, first + next(30))
                })
                .collect();
            assert_eq!(answered(&ranges), brute_force(&ranges));
        }
        // Equal ranges: answered by position.
        let shared = vec![range(10, 20); 1_000];
        assert_eq!(answered(&shared), brute_force(&shared));
    }

    #[test]
    fn a_huge_group_of_unequal_ranges_is_compared_within_a_budget() {
        let n = MAX_GROUP_COMPARED_PAIRWISE + 100;
        let ranges: Vec<AddressRange> = (0..n as u32).map(|i| range(0, 1_000 + i)).collect();
        let found = Spans::new(ranges.iter().copied()).earlier_overlaps();
        let last = found[n - 1].as_ref().expect("the last overlaps the first");
        assert_eq!(last.first, 0);
        assert!(!last.counted_all && last.more > 0);
        assert!(found[0].is_none());
    }
}
