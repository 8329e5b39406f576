//! Apply benchmark: the executor against in-memory API servers (meshctl-testkit) with a
//! fixed latency injected into every request, for N = 2, 10 and 50 `provider: existing`
//! clusters (no external tools). Measures a full apply from empty, a no-op apply, and the
//! full apply one node at a time; counts requests by verb; and computes the critical-path
//! lower bound from the graph and the requests each node made. Full applies are repeated
//! (median of `REPEAT`, fresh servers each time): the machine is shared. Prints a Markdown report
//! on stdout (scripts/bench-apply.sh writes it to docs/benchmarks-apply.md).
//!
//! Critical-path model: a node's requests are issued one after another (the executor has
//! no concurrency inside a node), so a node costs at least `requests × latency`. Requests
//! are attributed to nodes in the run at parallelism 1 (one node at a time in each
//! cluster: the cap is per cluster), between the node's Started and Finished events, on
//! the node's own cluster. The lower bound is the longest
//! path through `graph.dependencies`, weighted by those counts, plus the requests apply
//! makes before the first node (the Lease, per cluster, in parallel: the largest count)
//! and after the last (pruning and the Lease release, likewise), times the latency. A second bound weights the chain by each
//! node's measured duration in that run (waits and CPU included).

use meshctl_core::graph::{self, Graph, NodeId, Paths};
use meshctl_core::topology;
use meshctl_executor::{
    apply_with, plan_with, CancellationToken, ExecutorOptions, NoProgress, ProgressEvent,
    ProgressSink, RetryPolicy, Session,
};
use meshctl_testkit::{FakeCluster, FaultEffect, FaultRule, Faults, ServerOptions};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The meshctl binary's allocator, so the CPU measured is the product's (glibc malloc
/// was a large share of the no-latency run's samples).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Injected into every request.
const LATENCY: Duration = Duration::from_millis(5);
const SIZES: [usize; 3] = [2, 10, 50];
const PARALLELISM: usize = 8;

/// Requests a run made, by kind.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    discovery: usize,
    gets: usize,
    lists: usize,
    watches: usize,
    /// Object writes (not the Lease).
    writes: usize,
    dry_runs: usize,
    /// Requests for the per-cluster Lease (read, acquire, renew, release).
    leases: usize,
}

impl Counts {
    fn total(&self) -> usize {
        self.discovery
            + self.gets
            + self.lists
            + self.watches
            + self.writes
            + self.dry_runs
            + self.leases
    }

    fn add(&mut self, other: Counts) {
        self.discovery += other.discovery;
        self.gets += other.gets;
        self.lists += other.lists;
        self.watches += other.watches;
        self.writes += other.writes;
        self.dry_runs += other.dry_runs;
        self.leases += other.leases;
    }
}

/// Sorts one request: discovery, GET of one object, LIST, watch, write or dry run.
fn classify(counts: &mut Counts, method: &str, path: &str, query: &str, dry_run: bool) {
    if path.starts_with("/apis/coordination.k8s.io/") {
        counts.leases += 1;
        return;
    }
    if method != "GET" {
        if dry_run {
            counts.dry_runs += 1;
        } else {
            counts.writes += 1;
        }
        return;
    }
    if query
        .split('&')
        .any(|q| q == "watch=true" || q == "watch=1")
    {
        counts.watches += 1;
        return;
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // What follows the group-version: `[namespaces/<ns>/]<plural>[/<name>[/<sub>]]`.
    let rest = match segments.as_slice() {
        ["api", _version, rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => &[][..],
    };
    if rest.is_empty() {
        counts.discovery += 1;
        return;
    }
    let object_part = if rest[0] == "namespaces" && rest.len() >= 3 {
        &rest[2..]
    } else {
        rest
    };
    if object_part.len() == 1 {
        counts.lists += 1;
    } else {
        counts.gets += 1;
    }
}

fn count(clusters: &[FakeCluster]) -> Counts {
    let mut counts = Counts::default();
    for c in clusters {
        for r in c.requests() {
            classify(&mut counts, &r.method, &r.path, &r.query, r.dry_run);
        }
    }
    counts
}

/// N clusters, two namespaces in each, and per cluster two workloads of `objects`
/// Services each (plain manifest files). No exports: they depend on Linkerd's
/// multicluster extension, which needs the external tools.
fn topology_text(n: usize, objects: usize) -> String {
    let mut t = String::from(
        "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata:\n  name: bench\nspec:\n  clusters:\n",
    );
    for i in 0..n {
        let _ = write!(
            t,
            "    - name: c{i}\n      context: ctx-c{i}\n      provider: existing\n      podSubnet: 10.{a}.{b}.0/24\n      serviceSubnet: 10.{c}.{b}.0/24\n",
            a = 1 + i / 250,
            b = i % 250,
            c = 101 + i / 250,
        );
    }
    let all: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let all = all.join(", ");
    let _ = write!(
        t,
        "  namespaces:\n    - name: tools\n      clusters: [{all}]\n  workloads:\n"
    );
    for (name, ns) in [("app", "shop"), ("tool", "tools")] {
        let services: Vec<String> = (0..objects)
            .map(|k| service_name(name, k))
            .collect::<Vec<_>>();
        let _ = write!(
            t,
            "    - name: {name}\n      namespace: {ns}\n      clusters: [{all}]\n      manifests: [{name}.yaml]\n      services: [{}]\n",
            services.join(", ")
        );
    }
    t
}

fn service_name(workload: &str, k: usize) -> String {
    if k == 0 {
        workload.to_string()
    } else {
        format!("{workload}-{k}")
    }
}

/// The manifest file of one workload: `objects` Services (and a Deployment).
fn manifest(workload: &str, objects: usize, deployment: bool) -> String {
    let mut m = String::new();
    for k in 0..objects {
        let _ = write!(
            m,
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {}\nspec:\n  selector:\n    app: {workload}\n  ports:\n    - port: 80\n      targetPort: 8080\n",
            service_name(workload, k)
        );
    }
    if deployment {
        let _ = write!(
            m,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {workload}\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {workload}\n  template:\n    metadata:\n      labels:\n        app: {workload}\n    spec:\n      containers:\n        - name: {workload}\n          image: example.invalid/{workload}:1\n"
        );
    }
    m
}

struct Setup {
    _dir: tempfile::TempDir,
    clusters: Vec<FakeCluster>,
    graph: Graph,
    opts: ExecutorOptions,
}

fn setup(n: usize, objects: usize, deployment: bool) -> Setup {
    setup_with_latency(n, objects, deployment, LATENCY)
}

fn setup_with_latency(n: usize, objects: usize, deployment: bool, latency: Duration) -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let clusters: Vec<FakeCluster> = (0..n)
        .map(|i| {
            let c = FakeCluster::start_with(
                &format!("c{i}"),
                ServerOptions {
                    controllers: true,
                    ..Default::default()
                },
            )
            .expect("fake cluster");
            if latency.is_zero() {
                // No rule at all: a zero Delay is still a timer, which fires at the
                // runtime's next millisecond tick (about 1 ms a request).
                return c;
            }
            c.set_faults(Faults {
                seed: 1,
                rules: vec![FaultRule {
                    method: None,
                    path_contains: None,
                    query_contains: None,
                    share: 1.0,
                    effect: FaultEffect::Delay(latency),
                    remaining: None,
                }],
            });
            c
        })
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
    meshctl_testkit::kubeconfig::write(&kubeconfig, &entries).expect("kubeconfig");
    for w in ["app", "tool"] {
        std::fs::write(
            dir.path().join(format!("{w}.yaml")),
            manifest(w, objects, deployment),
        )
        .expect("manifest");
    }
    let text = topology_text(n, objects);
    let file = dir.path().join("topology.yaml");
    let graph = build_graph(&text, &file);
    let mut opts = ExecutorOptions::new("bench");
    opts.kubeconfig = Some(kubeconfig);
    opts.parallelism = PARALLELISM;
    opts.retry = RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
    };
    opts.timeouts.wait = Duration::from_secs(30);
    Setup {
        _dir: dir,
        clusters,
        graph,
        opts,
    }
}

fn build_graph(text: &str, file: &Path) -> Graph {
    let loaded = match topology::load_str(text) {
        Ok(l) => l,
        Err(d) => panic!("generated topology does not load: {d:?}"),
    };
    let paths = Paths::for_file(file, &loaded.topology, None);
    match graph::build(&loaded.topology, &paths) {
        Ok(g) => g,
        Err(e) => panic!("generated topology does not build: {e:?}"),
    }
}

/// Per node (one at a time): requests on its cluster between Started and Finished,
/// and its duration.
#[derive(Default)]
struct Attribution {
    started: HashMap<NodeId, (usize, Instant)>,
    nodes: BTreeMap<NodeId, (usize, Duration)>,
    /// Requests per cluster before the first node started.
    before_first: Option<Vec<usize>>,
    /// Requests per cluster when the last node finished.
    at_last_finish: Vec<usize>,
}

struct RecordingSink<'a> {
    clusters: &'a [FakeCluster],
    index: HashMap<String, usize>,
    graph: &'a Graph,
    state: Mutex<Attribution>,
}

impl RecordingSink<'_> {
    fn requests_of(&self, id: &NodeId) -> usize {
        let cluster = self
            .graph
            .nodes()
            .find(|n| &n.id == id)
            .and_then(|n| n.cluster.clone());
        match cluster.and_then(|c| self.index.get(&c).copied()) {
            Some(i) => self.clusters[i].requests().len(),
            None => self.clusters.iter().map(|c| c.requests().len()).sum(),
        }
    }
}

impl ProgressSink for RecordingSink<'_> {
    fn event(&self, event: &ProgressEvent) {
        let mut state = self.state.lock().expect("sink lock");
        match event {
            ProgressEvent::Started { id } => {
                if state.before_first.is_none() {
                    state.before_first =
                        Some(self.clusters.iter().map(|c| c.requests().len()).collect());
                }
                let at = self.requests_of(id);
                state.started.insert(id.clone(), (at, Instant::now()));
            }
            ProgressEvent::Finished { id, .. } | ProgressEvent::Failed { id, .. } => {
                let at = self.requests_of(id);
                if let Some((from, t0)) = state.started.remove(id) {
                    state
                        .nodes
                        .insert(id.clone(), (at.saturating_sub(from), t0.elapsed()));
                }
                state.at_last_finish = self.clusters.iter().map(|c| c.requests().len()).collect();
            }
            _ => {}
        }
    }
}

/// Longest path through the dependency graph, each node weighted by `weight`.
fn longest_chain<W: Copy + Default + PartialOrd + std::ops::Add<Output = W>>(
    graph: &Graph,
    weight: impl Fn(&NodeId) -> W,
) -> (W, usize) {
    fn visit<W: Copy + Default + PartialOrd + std::ops::Add<Output = W>>(
        graph: &Graph,
        id: &NodeId,
        weight: &dyn Fn(&NodeId) -> W,
        memo: &mut HashMap<NodeId, (W, usize)>,
    ) -> (W, usize) {
        if let Some(v) = memo.get(id) {
            return *v;
        }
        let mut best = (W::default(), 0);
        for (dep, _) in graph.dependencies(id) {
            let v = visit(graph, &dep.id, weight, memo);
            if v.0 > best.0 {
                best = v;
            }
        }
        let result = (best.0 + weight(id), best.1 + 1);
        memo.insert(id.clone(), result);
        result
    }
    let mut memo = HashMap::new();
    let mut best = (W::default(), 0);
    let ids: Vec<NodeId> = graph.nodes().map(|n| n.id.clone()).collect();
    for id in &ids {
        let v = visit(graph, id, &weight, &mut memo);
        if v.0 > best.0 {
            best = v;
        }
    }
    best
}

struct Run {
    wall: Duration,
    plan_wall: Duration,
    counts: Counts,
    plan_counts: Counts,
    /// The apply's requests to its busiest cluster.
    busiest_cluster: usize,
    ok: bool,
}

/// `meshctl apply`'s two phases, as the CLI runs them: plan, then apply in the same
/// session (the apply reuses the plan's clients and discovery).
async fn timed_apply(s: &Setup, opts: &ExecutorOptions, sink: &dyn ProgressSink) -> Run {
    for c in &s.clusters {
        c.clear_requests();
    }
    let session = Session::new(opts);
    let t0 = Instant::now();
    let p = plan_with(&session, &s.graph, opts).await;
    let plan_wall = t0.elapsed();
    let plan_counts = count(&s.clusters);
    for c in &s.clusters {
        c.clear_requests();
    }
    let t1 = Instant::now();
    let summary = apply_with(
        &session,
        &s.graph,
        &p,
        opts,
        sink,
        &CancellationToken::new(),
    )
    .await;
    let wall = t1.elapsed();
    if !summary.is_success() {
        eprintln!("apply failed: {summary:#?}");
    }
    Run {
        wall,
        plan_wall,
        counts: count(&s.clusters),
        plan_counts,
        busiest_cluster: s
            .clusters
            .iter()
            .map(|c| c.requests().len())
            .max()
            .unwrap_or(0),
        ok: summary.is_success(),
    }
}

struct SizeResult {
    n: usize,
    nodes: usize,
    /// The median of REPEAT full applies.
    full: Run,
    /// The fastest and slowest of those.
    full_range: (Duration, Duration),
    noop: Run,
    /// The full apply with parallelism = the node count (no cap).
    unbounded: Run,
    /// The full apply (parallelism as `full`) with no injected latency: the overhead.
    no_latency: Run,
    serial: Run,
    chain_requests: usize,
    chain_nodes: usize,
    prefix: usize,
    suffix: usize,
    chain_measured: Duration,
    per_node_max: usize,
}

impl SizeResult {
    fn lower_bound(&self) -> Duration {
        LATENCY * (self.chain_requests + self.prefix + self.suffix) as u32
    }

    /// The same chain of requests at the round trip the fake servers deliver.
    fn delivered_bound(&self, round_trip: Duration) -> Duration {
        round_trip * (self.chain_requests + self.prefix + self.suffix) as u32
    }

    /// With at most `PARALLELISM` nodes at once per cluster, a cluster's requests take
    /// at least their number / `PARALLELISM` request times (nor less than the critical
    /// path).
    fn work_bound(&self) -> Duration {
        let spread = LATENCY * self.full.busiest_cluster as u32 / PARALLELISM as u32;
        spread.max(self.lower_bound())
    }
}

/// Full applies repeated to take the median: the machine is shared, one run is noise.
const REPEAT: usize = 5;

/// The run with the median apply wall of [`REPEAT`] full applies, each on fresh
/// servers, and the fastest and slowest walls. `unbounded`: parallelism = node count.
async fn median_full(n: usize, latency: Duration, unbounded: bool) -> (Run, Duration, Duration) {
    let mut runs = Vec::new();
    for _ in 0..REPEAT {
        let s = setup_with_latency(n, 1, true, latency);
        let mut opts = s.opts.clone();
        if unbounded {
            opts.parallelism = s.graph.nodes().count().max(1);
        }
        runs.push(timed_apply(&s, &opts, &NoProgress).await);
    }
    runs.sort_by_key(|r| r.wall);
    let (fastest, slowest) = (runs[0].wall, runs[runs.len() - 1].wall);
    (runs.swap_remove(runs.len() / 2), fastest, slowest)
}

async fn bench_size(n: usize) -> SizeResult {
    // Full apply, parallel: the median of REPEAT.
    let (full, fastest, slowest) = median_full(n, LATENCY, false).await;
    // A no-op apply after a full one.
    let s = setup(n, 1, true);
    timed_apply(&s, &s.opts, &NoProgress).await;
    let noop = timed_apply(&s, &s.opts, &NoProgress).await;
    drop(s);

    // The full apply with no cap on parallelism.
    let (unbounded, _, _) = median_full(n, LATENCY, true).await;

    // The full apply without injected latency: what the client, servers and CPU cost.
    let (no_latency, _, _) = median_full(n, Duration::ZERO, false).await;

    // The same full apply one node at a time, on fresh servers, recording per node.
    let s = setup(n, 1, true);
    let mut serial_opts = s.opts.clone();
    serial_opts.parallelism = 1;
    let sink = RecordingSink {
        clusters: &s.clusters,
        index: s
            .clusters
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name().to_string(), i))
            .collect(),
        graph: &s.graph,
        state: Mutex::new(Attribution::default()),
    };
    let serial = timed_apply(&s, &serial_opts, &sink).await;
    let state = sink.state.into_inner().expect("sink lock");
    let per_node = &state.nodes;
    let (chain_requests, chain_nodes) =
        longest_chain(&s.graph, |id| per_node.get(id).map(|v| v.0).unwrap_or(0));
    let (chain_measured, _) = longest_chain(&s.graph, |id| {
        per_node.get(id).map(|v| v.1).unwrap_or(Duration::ZERO)
    });
    let prefix = state
        .before_first
        .as_ref()
        .and_then(|v| v.iter().max().copied())
        .unwrap_or(0);
    // After the last node (pruning, Lease release): per cluster, clusters in parallel.
    let suffix = s
        .clusters
        .iter()
        .zip(&state.at_last_finish)
        .map(|(c, at)| c.requests().len().saturating_sub(*at))
        .max()
        .unwrap_or(0);
    SizeResult {
        n,
        nodes: s.graph.nodes().count(),
        full,
        full_range: (fastest, slowest),
        noop,
        unbounded,
        no_latency,
        serial,
        chain_requests,
        chain_nodes,
        prefix,
        suffix,
        chain_measured,
        per_node_max: per_node.values().map(|v| v.0).max().unwrap_or(0),
    }
}

/// No-op plan + apply of N clusters whose workloads hold `objects` Services each:
/// (lists, gets, writes, dry runs).
async fn noop_reads(n: usize, objects: usize) -> (Counts, Counts) {
    let s = setup(n, objects, false);
    let first = timed_apply(&s, &s.opts, &NoProgress).await;
    assert!(first.ok, "setup apply failed");
    let noop = timed_apply(&s, &s.opts, &NoProgress).await;
    (noop.plan_counts, noop.counts)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn verbs(c: &Counts) -> String {
    format!(
        "{} | {} | {} | {} | {} | {} | {}",
        c.discovery, c.gets, c.lists, c.watches, c.writes, c.dry_runs, c.leases
    )
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{model}, {cpus} CPUs available; load average at the start: {}",
        load.join(" ")
    )
}

/// Prints node starts and ends with their time since the apply began (to stderr).
struct Timeline {
    t0: Instant,
}

impl ProgressSink for Timeline {
    fn event(&self, event: &ProgressEvent) {
        let at = self.t0.elapsed().as_secs_f64() * 1000.0;
        match event {
            ProgressEvent::Started { id } => eprintln!("{at:8.1} ms  start  {id}"),
            ProgressEvent::Finished { id, .. } => eprintln!("{at:8.1} ms  end    {id}"),
            other => eprintln!("{at:8.1} ms  {other:?}"),
        }
    }
}

/// `APPLY_BENCH_TIMELINE=N`: one full apply of N clusters, node by node on stderr (for
/// finding where the run waits), instead of the report.
async fn timeline(n: usize) {
    let s = setup(n, 1, true);
    let session = Session::new(&s.opts);
    let p = plan_with(&session, &s.graph, &s.opts).await;
    for c in &s.clusters {
        c.clear_requests();
    }
    let sink = Timeline { t0: Instant::now() };
    let summary = apply_with(
        &session,
        &s.graph,
        &p,
        &s.opts,
        &sink,
        &CancellationToken::new(),
    )
    .await;
    eprintln!(
        "{:8.1} ms  apply returned: {}; {} requests",
        sink.t0.elapsed().as_secs_f64() * 1000.0,
        summary.counts(),
        count(&s.clusters).total()
    );
    for r in s.clusters[0].requests() {
        eprintln!("c0: {} {}", r.method, r.path);
    }
}

/// The round trip of one request to a fake server injecting `LATENCY`, as the client
/// sees it with nothing else running (median of 40 sequential `GET /version`): the
/// injected sleep rounded up to the runtime's millisecond timer tick, plus the server's
/// and the client's work. Per-request latency as delivered, for the second bound.
async fn round_trip() -> Duration {
    let s = setup(1, 1, true);
    let clients = meshctl_executor::clients::Clients::new(
        s.opts.kubeconfig.as_deref(),
        meshctl_executor::ConnectTimeouts::default(),
    );
    let api = clients.api("c0", "ctx-c0").await.expect("client");
    let mut times = Vec::new();
    for _ in 0..40 {
        let t0 = Instant::now();
        api.version().await.expect("version");
        times.push(t0.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

/// `APPLY_BENCH_CPU=N`: full applies of N clusters with no injected latency, repeated
/// (fresh servers each time), for a profiler: what is left is CPU. Prints each run's
/// plan and apply walls.
async fn cpu_only(n: usize) {
    let runs: usize = std::env::var("APPLY_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for _ in 0..runs {
        let s = setup_with_latency(n, 1, true, Duration::ZERO);
        let run = timed_apply(&s, &s.opts, &NoProgress).await;
        eprintln!(
            "plan {} apply {} ({} requests){}",
            ms(run.plan_wall),
            ms(run.wall),
            run.counts.total(),
            if run.ok { "" } else { " FAILED" }
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is ignored.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Some(n) = std::env::var("APPLY_BENCH_TIMELINE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        runtime.block_on(timeline(n));
        return;
    }
    if let Some(n) = std::env::var("APPLY_BENCH_CPU")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        runtime.block_on(cpu_only(n));
        return;
    }
    let machine = machine();
    let round_trip = runtime.block_on(round_trip());
    let mut results = Vec::new();
    for n in SIZES {
        eprintln!("apply bench: N = {n}");
        results.push(runtime.block_on(bench_size(n)));
    }
    eprintln!("apply bench: no-op reads, 1 vs 20 objects per workload");
    let small = runtime.block_on(noop_reads(10, 1));
    let large = runtime.block_on(noop_reads(10, 20));

    let mut out = String::new();
    let _ = writeln!(out, "Machine: {machine}.\n");
    let _ = writeln!(
        out,
        "Injected latency: {} per request (every request, every fake server). Parallelism {PARALLELISM} (per cluster) unless noted; plan and apply share one session, as in `meshctl apply`. Full applies (parallelism {PARALLELISM}, = nodes, no injected latency): the median of {REPEAT} runs on fresh servers; the other rows: one run.\n",
        ms(LATENCY)
    );
    let _ = writeln!(
        out,
        "Round trip of one request as delivered (median of 40 sequential requests to one idle fake server, {} injected): {:.2} ms.\n",
        ms(LATENCY),
        round_trip.as_secs_f64() * 1000.0
    );
    let _ = writeln!(out, "### Headline\n");
    let _ = writeln!(
        out,
        "| N | nodes | full apply (parallelism {PARALLELISM}; median of {REPEAT}, fastest–slowest) | critical path (requests) | wall / critical path | bound at parallelism {PARALLELISM} (max of critical path, busiest cluster's requests / {PARALLELISM}) | wall / that bound | full apply, parallelism = nodes | its wall / critical path | parallelism 1 (one node per cluster at a time) | speed-up (parallelism {PARALLELISM} vs 1) | chain of measured node times | wall / that chain | critical path at the delivered round trip | wall / that |"
    );
    let _ = writeln!(
        out,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in &results {
        let lb = r.lower_bound();
        let _ = writeln!(
            out,
            "| {} | {} | {} ({}–{}) | {} ({} req) | {:.2}× | {} | {:.2}× | {} | {:.2}× | {} | {:.2}× | {} | {:.2}× | {} | {:.2}× |",
            r.n,
            r.nodes,
            ms(r.full.wall),
            ms(r.full_range.0),
            ms(r.full_range.1),
            ms(lb),
            r.chain_requests + r.prefix + r.suffix,
            r.full.wall.as_secs_f64() / lb.as_secs_f64().max(1e-9),
            ms(r.work_bound()),
            r.full.wall.as_secs_f64() / r.work_bound().as_secs_f64().max(1e-9),
            ms(r.unbounded.wall),
            r.unbounded.wall.as_secs_f64() / lb.as_secs_f64().max(1e-9),
            ms(r.serial.wall),
            r.serial.wall.as_secs_f64() / r.full.wall.as_secs_f64().max(1e-9),
            ms(r.chain_measured),
            r.full.wall.as_secs_f64() / r.chain_measured.as_secs_f64().max(1e-9),
            ms(r.delivered_bound(round_trip)),
            r.full.wall.as_secs_f64() / r.delivered_bound(round_trip).as_secs_f64().max(1e-9),
        );
    }
    let _ = writeln!(
        out,
        "\n### Requests by verb (apply phase; plan phase separately)\n"
    );
    let _ = writeln!(
        out,
        "| N | run | plan wall | apply wall | discovery | GET (one object) | LIST | watch | object writes (POST/PUT/PATCH/DELETE) | dry runs | Lease requests | plan: discovery \\| GET \\| LIST \\| watch \\| writes \\| dry runs \\| Lease | succeeded |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &results {
        for (name, run) in [
            ("full", &r.full),
            ("no-op", &r.noop),
            ("full, parallelism = nodes", &r.unbounded),
            ("full, no injected latency", &r.no_latency),
            ("full, parallelism 1", &r.serial),
        ] {
            let _ = writeln!(
                out,
                "| {} | {name} | {} | {} | {} | {} | {} |",
                r.n,
                ms(run.plan_wall),
                ms(run.wall),
                verbs(&run.counts),
                verbs(&run.plan_counts).replace('|', "\\|"),
                if run.ok { "yes" } else { "NO" }
            );
        }
    }
    let _ = writeln!(out, "\n### Critical-path model, per N\n");
    let _ = writeln!(
        out,
        "| N | before first node (max per cluster) | longest chain (nodes) | longest chain (requests) | after last node (pruning, Lease release; max per cluster) | most requests in one node |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for r in &results {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.n, r.prefix, r.chain_nodes, r.chain_requests, r.suffix, r.per_node_max
        );
    }
    let _ = writeln!(
        out,
        "\n### No-op reads: 10 clusters, 2 workloads each, 1 vs 20 Services per workload\n"
    );
    let _ = writeln!(
        out,
        "| objects per workload | phase | discovery | GET (one object) | LIST | watch | object writes | dry runs | Lease requests |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for (k, (p, a)) in [(1, &small), (20, &large)] {
        let _ = writeln!(out, "| {k} | plan | {} |", verbs(p));
        let _ = writeln!(out, "| {k} | apply | {} |", verbs(a));
    }
    let mut total_small = small.0;
    total_small.add(small.1);
    let mut total_large = large.0;
    total_large.add(large.1);
    let _ = writeln!(
        out,
        "\nNo-op check: writes {} / {}, dry runs {} / {}, LISTs {} / {} (1 / 20 objects per workload): {}.",
        total_small.writes,
        total_large.writes,
        total_small.dry_runs,
        total_large.dry_runs,
        total_small.lists,
        total_large.lists,
        if total_small.writes
            + total_large.writes
            + total_small.dry_runs
            + total_large.dry_runs
            + total_small.leases
            + total_large.leases
            == 0
            && total_small.lists == total_large.lists
            && total_small.gets == total_large.gets
        {
            "met (no writes, Lease included, no dry runs, reads independent of the object count)"
        } else {
            "NOT met"
        }
    );
    print!("{out}");
}
