//! Fixtures: fake clusters, a kubeconfig naming them, a topology built into a graph.

use meshctl_core::graph::{self, Graph, Paths};
use meshctl_core::topology;
use meshctl_executor::{ExecutorOptions, RetryPolicy};
use meshctl_testkit::FakeCluster;
use std::path::PathBuf;
use std::time::Duration;

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub clusters: Vec<FakeCluster>,
}

impl Fixture {
    /// One fake server per name; contexts are `ctx-<name>`.
    pub fn start(names: &[&str]) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clusters: Vec<FakeCluster> = names
            .iter()
            .map(|n| FakeCluster::start(n).unwrap())
            .collect();
        let kubeconfig = dir.path().join("kubeconfig");
        let contexts: Vec<(String, String)> = clusters
            .iter()
            .map(|c| (format!("ctx-{}", c.name()), c.url()))
            .collect();
        let entries: Vec<(&str, &str)> = contexts
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        meshctl_testkit::kubeconfig::write(&kubeconfig, &entries).unwrap();
        Fixture {
            dir,
            kubeconfig,
            clusters,
        }
    }

    pub fn cluster(&self, name: &str) -> &FakeCluster {
        self.clusters.iter().find(|c| c.name() == name).unwrap()
    }

    pub fn clear_requests(&self) {
        for c in &self.clusters {
            c.clear_requests();
        }
    }

    pub fn graph(&self, text: &str) -> Graph {
        let loaded = topology::load_str(text).unwrap_or_else(|d| panic!("{d:?}"));
        let file = self.dir.path().join("topology.yaml");
        let paths = Paths::for_file(&file, &loaded.topology, None);
        graph::build(&loaded.topology, &paths).unwrap()
    }

    /// Options for these servers: quick retries, short timeouts.
    pub fn options(&self) -> ExecutorOptions {
        let mut opts = ExecutorOptions::new("exec-test");
        opts.kubeconfig = Some(self.kubeconfig.clone());
        opts.retry = RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        };
        opts.timeouts.connection.connect = Duration::from_secs(2);
        opts.timeouts.connection.read = Duration::from_secs(2);
        opts.timeouts.node = Duration::from_secs(20);
        opts.timeouts.wait = Duration::from_secs(5);
        opts
    }
}

/// Two existing clusters, `east` and `west`, with the given namespaces in both
/// (`inject` on the first one).
pub fn topology(namespaces: &[&str], inject_first: bool) -> String {
    let mut text = String::from(
        "apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata:
  name: exec-test
spec:
  clusters:
    - name: east
      context: ctx-east
      provider: existing
      podSubnet: 10.244.0.0/16
      serviceSubnet: 10.96.0.0/16
    - name: west
      context: ctx-west
      provider: existing
      podSubnet: 10.245.0.0/16
      serviceSubnet: 10.97.0.0/16
  namespaces:
",
    );
    for (i, ns) in namespaces.iter().enumerate() {
        text.push_str(&format!(
            "    - name: {ns}\n      clusters: [east, west]\n      inject: {}\n",
            i == 0 && inject_first
        ));
    }
    text
}

/// GET requests (reads) a server saw.
pub fn reads(cluster: &FakeCluster) -> usize {
    cluster
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count()
}
