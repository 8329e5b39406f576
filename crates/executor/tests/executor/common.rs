//! Fixtures: fake clusters, a kubeconfig naming them, a topology built into a graph.

use meshctl_core::graph::{self, Graph, Paths};
use meshctl_core::topology;
use meshctl_executor::{ExecutorOptions, RetryPolicy};
use meshctl_testkit::{FakeCluster, RecordedRequest};
use serde_json::Value;
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
    let mut text = east_only(
        "    - name: west
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

/// A topology of the one cluster `east` (existing, context `ctx-east`), then `rest`
/// (e.g. a `  workloads:` list).
pub fn east_only(rest: &str) -> String {
    format!(
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
{rest}"
    )
}

/// From now on `cluster` holds every `method` request whose path contains `path` for
/// `delay` before answering it (a run that lasts a while, reads that overlap).
pub fn delay_requests(cluster: &FakeCluster, method: &str, path: &str, delay: Duration) {
    cluster.set_faults(meshctl_testkit::Faults {
        seed: 1,
        rules: vec![meshctl_testkit::FaultRule::always(
            Some(method),
            Some(path),
            meshctl_testkit::FaultEffect::Delay(delay),
        )],
    });
}

/// GET requests (reads) a server saw.
pub fn reads(cluster: &FakeCluster) -> usize {
    cluster
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count()
}

/// Whether a request was for meshctl's per-cluster Lease (coordination.k8s.io), not for
/// an object of the topology.
pub fn is_lease(request: &RecordedRequest) -> bool {
    request.path.starts_with("/apis/coordination.k8s.io/")
}

/// Writes of the topology's objects (not dry runs, not the Lease): what "a converged
/// apply writes nothing" is about.
pub fn object_writes(cluster: &FakeCluster) -> usize {
    cluster
        .requests()
        .iter()
        .filter(|r| r.is_write() && !is_lease(r))
        .count()
}

/// Every request for the Lease, as `METHOD path`.
pub fn lease_requests(cluster: &FakeCluster) -> Vec<String> {
    cluster
        .requests()
        .iter()
        .filter(|r| is_lease(r))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The Lease writes that succeeded, one after another, each named by what it did:
/// `acquire` (it names a holder and was the first), `renew` (later, still naming one),
/// `release` (clears the holder). A refused write (the create's 409 where the Lease
/// exists) did nothing and is not listed.
pub fn lease_writes(cluster: &FakeCluster) -> Vec<&'static str> {
    let mut out = Vec::new();
    for r in cluster
        .requests()
        .iter()
        .filter(|r| is_lease(r) && r.is_write() && (200..300).contains(&r.status))
    {
        let body: Value = r
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        let holder = body
            .pointer("/spec/holderIdentity")
            .and_then(Value::as_str)
            .is_some_and(|h| !h.is_empty());
        out.push(match (holder, out.last()) {
            (false, _) => "release",
            (true, None | Some(&"release")) => "acquire",
            (true, Some(_)) => "renew",
        });
    }
    out
}

/// The Lease `kube-system/meshctl-exec-test` as stored.
pub fn lease(cluster: &FakeCluster) -> Option<Value> {
    cluster.object(
        "coordination.k8s.io/v1",
        "Lease",
        Some("kube-system"),
        "meshctl-exec-test",
    )
}

/// Keeps every progress event, for assertions on what a run told the user.
#[derive(Default)]
pub struct Recorder {
    pub events: std::sync::Mutex<Vec<meshctl_executor::ProgressEvent>>,
}

impl Recorder {
    /// The `Notice` messages, in order.
    pub fn notices(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                meshctl_executor::ProgressEvent::Notice { message } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }
}

impl meshctl_executor::ProgressSink for Recorder {
    fn event(&self, event: &meshctl_executor::ProgressEvent) {
        self.events.lock().unwrap().push(event.clone());
    }
}

/// The bundled example on a fake machine: the fake tools (kind, helm, linkerd, kubectl,
/// docker, ip) in `bin/` of a temp dir, the example's graph with its state in `state/`,
/// and options pointing at that kubeconfig and PATH, with quick retries.
pub struct Example {
    /// Holds the fake tools and the state: bind it (`dir: _dir`) for as long as they are
    /// used, since dropping it deletes them.
    pub dir: tempfile::TempDir,
    pub tools: meshctl_testkit::tools::FakeTools,
    pub text: String,
    pub graph: Graph,
    pub opts: ExecutorOptions,
}

impl Example {
    pub fn install(options: meshctl_testkit::tools::FakeToolOptions) -> Example {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let tools = meshctl_testkit::tools::FakeTools::install(&bin, options).unwrap();
        let text = std::fs::read_to_string(example_file()).unwrap();
        let state = dir.path().join("state");
        let (graph, name) = example_graph(&text, &state);
        let mut opts = ExecutorOptions::new(name);
        opts.kubeconfig = Some(dir.path().join("kubeconfig"));
        opts.tool_path = Some(tools.path_env());
        opts.retry = RetryPolicy {
            attempts: 2,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
        };
        opts.timeouts.wait = Duration::from_secs(20);
        opts.timeouts.node = Duration::from_secs(120);
        Example {
            dir,
            tools,
            text,
            graph,
            opts,
        }
    }

    /// The state directory the graph's certificates and webhook certificates live in.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// The graph of another version of the example's text, with the same state.
    pub fn graph_of(&self, text: &str) -> Graph {
        example_graph(text, &self.state()).0
    }
}

/// `topology.example.yaml` of the repository (its workload paths are relative to it).
pub fn example_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../topology.example.yaml")
}

/// The graph of `text` as if written at [`example_file`], and the topology's name.
pub fn example_graph(text: &str, state: &std::path::Path) -> (Graph, String) {
    let loaded = topology::load_str(text).unwrap();
    let paths = Paths::for_file(&example_file(), &loaded.topology, Some(state));
    (
        graph::build(&loaded.topology, &paths).unwrap(),
        loaded.topology.metadata.name.clone(),
    )
}
