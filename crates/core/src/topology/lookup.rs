//! Clusters by name and links by their two ends, so that `Topology::cluster` and
//! `Topology::link` are map lookups instead of scans (validation and the graph ask them
//! for every node, link and split: a scan made those passes quadratic in the fleet size).
//!
//! The tables are built on the first lookup and are not part of the topology's value
//! (not read, written, compared or in the schema). Every answer is checked against the
//! lists themselves, and a name the tables do not hold is looked for by a scan, so a
//! topology changed after its first lookup still gets the answer a scan would give.

use super::model::{Cluster, Link, TopologySpec};
use foldhash::{HashMap, HashMapExt};
use std::sync::OnceLock;

/// The lazily built tables of one topology.
#[derive(Clone, Default)]
pub struct Lookup {
    tables: OnceLock<Tables>,
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup")
    }
}

#[derive(Clone)]
struct Tables {
    /// Cluster name → index of the first cluster with that name.
    clusters: HashMap<String, usize>,
    /// Source → target → index of the first link between them.
    links: HashMap<String, HashMap<String, usize>>,
}

impl Tables {
    fn of(spec: &TopologySpec) -> Tables {
        let mut clusters = HashMap::with_capacity(spec.clusters.len());
        for (i, cluster) in spec.clusters.iter().enumerate() {
            clusters.entry(cluster.name.clone()).or_insert(i);
        }
        let mut links: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (i, link) in spec.links.iter().enumerate() {
            links
                .entry(link.source.clone())
                .or_default()
                .entry(link.target.clone())
                .or_insert(i);
        }
        Tables { clusters, links }
    }
}

impl Lookup {
    fn tables(&self, spec: &TopologySpec) -> &Tables {
        self.tables.get_or_init(|| Tables::of(spec))
    }

    /// The first cluster named `name`.
    pub(super) fn cluster<'t>(&self, spec: &'t TopologySpec, name: &str) -> Option<&'t Cluster> {
        let found = self
            .tables(spec)
            .clusters
            .get(name)
            .and_then(|i| spec.clusters.get(*i))
            .filter(|c| c.name == name);
        found.or_else(|| spec.clusters.iter().find(|c| c.name == name))
    }

    /// The first link from `source` to `target`.
    pub(super) fn link<'t>(
        &self,
        spec: &'t TopologySpec,
        source: &str,
        target: &str,
    ) -> Option<&'t Link> {
        let found = self
            .tables(spec)
            .links
            .get(source)
            .and_then(|targets| targets.get(target))
            .and_then(|i| spec.links.get(*i))
            .filter(|l| l.source == source && l.target == target);
        found.or_else(|| {
            spec.links
                .iter()
                .find(|l| l.source == source && l.target == target)
        })
    }
}
