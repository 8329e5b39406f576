//! What the checks read, and the objects read, per cluster.
//!
//! One LIST per (kind, namespace) and cluster, whatever the number of objects: the same
//! economy as the executor's observe step.

use crate::topology::{Cluster, Topology};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub(super) const LINKERD_NS: &str = "linkerd";
pub(super) const MULTICLUSTER_NS: &str = "linkerd-multicluster";
pub(super) const VIZ_NS: &str = "linkerd-viz";
pub(super) const SMI_NS: &str = "linkerd-smi";

/// One LIST the checks need: every object of a kind in a namespace of a cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Read {
    /// The topology's cluster name.
    pub cluster: String,
    /// The cluster's kubeconfig context.
    pub context: String,
    /// What to list: apiVersion…
    pub api_version: &'static str,
    /// …and kind.
    pub kind: &'static str,
    /// The namespace listed.
    pub namespace: String,
}

/// Every LIST the checks of `topology` need, sorted, without repeats.
/// Every cluster of the topology with its context: each is probed even when no check
/// needs its objects (a topology without a mesh still learns whether its clusters answer).
pub fn clusters(topology: &Topology) -> Vec<(String, String)> {
    topology
        .spec
        .clusters
        .iter()
        .map(|c| (c.name.clone(), c.context()))
        .collect()
}

/// The LISTs the checks of `topology` need: one per kind and namespace and cluster.
pub fn reads(topology: &Topology) -> Vec<Read> {
    let mesh = &topology.spec.mesh;
    let mut out = BTreeSet::new();
    for cluster in &topology.spec.clusters {
        let mut add = |api_version: &'static str, kind: &'static str, namespace: &str| {
            out.insert(Read {
                cluster: cluster.name.clone(),
                context: cluster.context(),
                api_version,
                kind,
                namespace: namespace.to_string(),
            });
        };
        if mesh.linkerd.is_some() {
            add("apps/v1", "Deployment", LINKERD_NS);
            add("v1", "ConfigMap", LINKERD_NS);
            // Only `crt.pem` is used; the key in the same Secret is never read into output.
            add("v1", "Secret", LINKERD_NS);
        }
        let extensions = mesh.linkerd.as_ref().map(|l| &l.extensions);
        if extensions.is_some_and(|e| e.viz.is_some()) {
            add("apps/v1", "Deployment", VIZ_NS);
        }
        if extensions.is_some_and(|e| e.smi.is_some()) {
            add("apps/v1", "Deployment", SMI_NS);
        }
        if mesh.multicluster_enabled() {
            add("apps/v1", "Deployment", MULTICLUSTER_NS);
            add("v1", "Service", MULTICLUSTER_NS);
            add("v1", "Endpoints", MULTICLUSTER_NS);
            add("v1", "Secret", MULTICLUSTER_NS);
            add("multicluster.linkerd.io/v1alpha1", "Link", MULTICLUSTER_NS);
        }
        for namespace in app_namespaces(topology, cluster) {
            add("v1", "Service", &namespace);
            add("v1", "Endpoints", &namespace);
            add("split.smi-spec.io/v1alpha1", "TrafficSplit", &namespace);
        }
    }
    out.into_iter().collect()
}

/// Namespaces of a cluster where mirrors or splits are expected.
fn app_namespaces(topology: &Topology, cluster: &Cluster) -> BTreeSet<String> {
    let spec = &topology.spec;
    let mut namespaces = BTreeSet::new();
    for split in spec.splits.iter().filter(|s| s.cluster == cluster.name) {
        namespaces.insert(split.namespace.clone());
    }
    for export in &spec.exports {
        let mirrored_here = spec
            .links
            .iter()
            .any(|l| l.source == cluster.name && export.clusters.contains(&l.target));
        if mirrored_here {
            namespaces.insert(export.namespace.clone());
        }
    }
    namespaces
}

/// The objects of one cluster, or why they could not be read.
#[derive(Debug, Clone, Default)]
pub struct ClusterObjects {
    objects: Vec<Value>,
    /// Reads that failed: (what, why). A failed read makes the checks that need it fail
    /// with the reason instead of "not found".
    failures: Vec<(String, String)>,
}

impl ClusterObjects {
    /// Objects from successful reads.
    pub fn new(objects: Vec<Value>) -> Self {
        ClusterObjects {
            objects,
            failures: Vec::new(),
        }
    }

    /// Adds the result of one read.
    pub fn add_read(&mut self, read: &Read, result: Result<Vec<Value>, String>) {
        match result {
            Ok(mut objects) => {
                // A LIST's items carry no apiVersion/kind; stamp them so lookups work.
                for object in &mut objects {
                    if let Some(map) = object.as_object_mut() {
                        map.entry("apiVersion")
                            .or_insert_with(|| Value::from(read.api_version));
                        map.entry("kind").or_insert_with(|| Value::from(read.kind));
                    }
                }
                self.objects.extend(objects);
            }
            Err(why) => self
                .failures
                .push((format!("{} in {}", read.kind, read.namespace), why)),
        }
    }

    /// The object of this kind, namespace and name.
    pub fn get(&self, kind: &str, namespace: &str, name: &str) -> Option<&Value> {
        self.objects.iter().find(|o| {
            o["kind"] == kind
                && o["metadata"]["namespace"] == namespace
                && o["metadata"]["name"] == name
        })
    }

    /// Every object of this kind in this namespace.
    pub fn all<'a>(&'a self, kind: &'a str, namespace: &'a str) -> impl Iterator<Item = &'a Value> {
        self.objects
            .iter()
            .filter(move |o| o["kind"] == kind && o["metadata"]["namespace"] == namespace)
    }

    /// Why reads of this kind in this namespace failed, if they did.
    pub fn failure(&self, kind: &str, namespace: &str) -> Option<&str> {
        let what = format!("{kind} in {namespace}");
        self.failures
            .iter()
            .find(|(w, _)| *w == what)
            .map(|(_, why)| why.as_str())
    }
}

/// What was read from every cluster.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    clusters: BTreeMap<String, Result<ClusterObjects, String>>,
}

impl Snapshot {
    /// Records a cluster's objects.
    pub fn insert(&mut self, cluster: &str, objects: ClusterObjects) {
        self.clusters.insert(cluster.to_string(), Ok(objects));
    }

    /// Records that a cluster could not be reached at all (every check on it fails with
    /// this reason).
    pub fn unreachable(&mut self, cluster: &str, why: String) {
        self.clusters.insert(cluster.to_string(), Err(why));
    }

    /// A cluster's objects, or why there are none.
    pub fn cluster(&self, name: &str) -> Result<&ClusterObjects, String> {
        match self.clusters.get(name) {
            Some(Ok(objects)) => Ok(objects),
            Some(Err(why)) => Err(why.clone()),
            None => Err("not read".to_string()),
        }
    }
}
