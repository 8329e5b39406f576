//! Synthetic topologies for benchmarks and tests: `clusters` kind clusters linked
//! hub-and-spoke or as a full mesh, `services` exported services per cluster (one
//! workload brings them all), a 50/50 TrafficSplit per service in each cluster with a
//! cluster it links to, and one ingress served by every cluster. Shared by the benches
//! (`mod synthetic;`) and `examples/generate.rs` (`#[path]`), never by the library.
//!
//! Address plan (valid up to 4,096 clusters): pods from 10.0.0.0/8 in /20s, services
//! from 172.16.0.0/12 in /24s, MetalLB pools of 8 addresses from the node network
//! 100.64.0.0/10.

use std::fmt::Write;

/// How the clusters are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Cluster 0 is the hub: it links to every spoke and every spoke links to it
    /// (2·(N−1) links).
    Hub,
    /// Every cluster links to every other (N·(N−1) links).
    Mesh,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Hub => "hub",
            Shape::Mesh => "mesh",
        }
    }
}

/// The most clusters the address plan has room for.
pub const MAX_CLUSTERS: usize = 4096;

/// The YAML text of a valid topology of `clusters` clusters (2 ≤ clusters ≤ 4,096).
pub fn topology(clusters: usize, shape: Shape, services: usize) -> String {
    let n = clusters.clamp(2, MAX_CLUSTERS);
    let mut t = String::with_capacity(n * (600 + services * 250));
    t.push_str(
        "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata:\n  name: synthetic\nspec:\n  network:\n    name: kind\n    subnet: 100.64.0.0/10\n  defaults:\n    kubernetesVersion: v1.24.7\n    apiServerAddress: 192.168.1.61\n  mesh:\n    linkerd:\n      version: stable-2.13.3\n      extensions:\n        viz: {}\n        multicluster: {}\n        smi: {}\n  clusters:\n",
    );
    for i in 0..n {
        let pool = 100u32 << 24 | 64 << 16 | (i as u32 * 8);
        let _ = write!(
            t,
            "    - name: c{i}\n      nodes:\n        controlPlanes: 1\n        workers: 2\n      podSubnet: 10.{}.{}.0/20\n      serviceSubnet: 172.{}.{}.0/24\n      loadBalancer:\n        pools:\n          - name: pool\n            addresses:\n              - {}-{}\n      ingressController:\n        inject: true\n",
            i / 16,
            (i % 16) * 16,
            16 + i / 256,
            i % 256,
            ip(pool),
            ip(pool + 7),
        );
    }
    t.push_str("  links:\n");
    for (source, target) in links(n, shape) {
        let _ = writeln!(t, "    - source: c{source}\n      target: c{target}");
    }
    let all = (0..n)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let names: Vec<String> = (0..services).map(|s| format!("svc{s}")).collect();
    let _ = write!(
        t,
        "  workloads:\n    - name: apps\n      namespace: apps\n      clusters: [{all}]\n      kustomize: overlays/{{context}}\n      inject: true\n      services: [{}]\n  exports:\n",
        names
            .iter()
            .map(String::as_str)
            .chain(["frontend"])
            .collect::<Vec<_>>()
            .join(", ")
    );
    for name in &names {
        let _ = writeln!(
            t,
            "    - service: {name}\n      namespace: apps\n      clusters: [{all}]"
        );
    }
    t.push_str("  splits:\n");
    for i in 0..n {
        let remote = partner(i, n, shape);
        for name in &names {
            let _ = writeln!(
                t,
                "    - name: {name}\n      namespace: apps\n      cluster: c{i}\n      service: {name}\n      backends:\n        - service: {name}\n          weight: 50\n        - service: {name}\n          cluster: c{remote}\n          weight: 50"
            );
        }
    }
    let _ = writeln!(
        t,
        "  ingresses:\n    - name: frontend\n      namespace: apps\n      clusters: [{all}]\n      host: frontend-{{context}}.example.com\n      service: frontend\n      port: 8080"
    );
    t
}

/// (source, target) of every link: `source` mirrors what `target` exports.
fn links(n: usize, shape: Shape) -> Vec<(usize, usize)> {
    match shape {
        Shape::Hub => (1..n).flat_map(|s| [(0, s), (s, 0)]).collect(),
        Shape::Mesh => (0..n)
            .flat_map(|s| (0..n).filter(move |t| *t != s).map(move |t| (s, t)))
            .collect(),
    }
}

/// The linked cluster a split in cluster `i` sends half its traffic to.
fn partner(i: usize, n: usize, shape: Shape) -> usize {
    match shape {
        Shape::Hub if i == 0 => 1,
        Shape::Hub => 0,
        Shape::Mesh => (i + 1) % n,
    }
}

fn ip(address: u32) -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::from(address)
}
