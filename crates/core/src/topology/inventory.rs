//! What a topology declares where: the clusters, the namespaces each cluster will hold
//! (and whether they are meshed), and which workloads provide which service in each
//! namespace. Computed once from the model; validation checks references against it and
//! the graph builder draws its edges from it, so both read the same answer.

use super::Topology;
use std::collections::{BTreeMap, BTreeSet};

/// The declared inventory of a topology, borrowing its names.
#[derive(Debug, Clone, Default)]
pub struct Inventory<'t> {
    /// Names of the declared clusters.
    pub clusters: BTreeSet<&'t str>,
    /// (cluster, namespace) → meshed: every namespace a workload or a `namespaces` entry
    /// puts in a cluster; meshed when any of them asks for injection.
    pub namespaces: BTreeMap<(&'t str, &'t str), bool>,
    /// (cluster, namespace, service) → names of the workloads that provide the service.
    pub providers: BTreeMap<(&'t str, &'t str, &'t str), BTreeSet<&'t str>>,
}

impl<'t> Inventory<'t> {
    /// The inventory of `topology`.
    pub fn of(topology: &'t Topology) -> Self {
        let mut inventory = Inventory {
            clusters: topology
                .spec
                .clusters
                .iter()
                .map(|c| c.name.as_str())
                .collect(),
            ..Inventory::default()
        };
        for workload in &topology.spec.workloads {
            for cluster in &workload.clusters {
                let key = (cluster.as_str(), workload.namespace.as_str());
                *inventory.namespaces.entry(key).or_default() |= workload.inject;
                for service in &workload.services {
                    inventory
                        .providers
                        .entry((key.0, key.1, service.as_str()))
                        .or_default()
                        .insert(workload.name.as_str());
                }
            }
        }
        for namespace in &topology.spec.namespaces {
            for cluster in &namespace.clusters {
                *inventory
                    .namespaces
                    .entry((cluster.as_str(), namespace.name.as_str()))
                    .or_default() |= namespace.inject;
            }
        }
        inventory
    }

    /// Whether some workload provides `namespace/service` in `cluster`.
    pub fn provides(&self, cluster: &str, namespace: &str, service: &str) -> bool {
        self.providers.contains_key(&(cluster, namespace, service))
    }

    /// The workloads that provide `namespace/service` in `cluster` (none when no one does).
    pub fn providers_of(
        &self,
        cluster: &'t str,
        namespace: &'t str,
        service: &'t str,
    ) -> impl Iterator<Item = &'t str> + '_ {
        self.providers
            .get(&(cluster, namespace, service))
            .into_iter()
            .flatten()
            .copied()
    }

    /// Whether `namespace` will exist in `cluster`.
    pub fn has_namespace(&self, cluster: &str, namespace: &str) -> bool {
        self.namespaces.contains_key(&(cluster, namespace))
    }
}
