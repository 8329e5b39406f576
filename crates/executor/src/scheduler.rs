//! A ready-queue over the graph: a node starts as soon as all of its dependencies are
//! done (not wave by wave, so one slow cluster does not hold back the others), at most
//! `parallelism` at a time in each lane (apply: a lane per cluster, since each cluster's
//! requests go to its own API server; external tool processes, which share this
//! machine, are capped for the whole run by the engine instead). A failed node stops only its dependents, which are skipped
//! naming it; independent branches finish. Transient failures are retried with
//! exponential backoff and jitter (honouring Retry-After) within a per-node budget.
//!
//! Interruption: once the run's [`CancellationToken`] is cancelled (Ctrl-C, SIGTERM, a
//! lost Lease), no node is launched and no retry started; nodes in flight run to their
//! end (or their budget), and every node that never started is reported as such. A
//! token rather than a `watch` channel: cloning is cheap, `cancelled()` is a plain
//! future for `select!`, and child tokens let a lost Lease stop the run without
//! looking like the user's interrupt.

use crate::error::ExecutorError;
use crate::progress::{ProgressEvent, ProgressSink};
use meshctl_core::graph::NodeId;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Runs of one node at most (1 = no retry).
    pub attempts: u32,
    /// Delay before the second run; doubled each time, with jitter.
    pub base_delay: Duration,
    /// The longest delay between two runs, before jitter (a server's Retry-After may
    /// ask for longer, and is honoured).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(15),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed run number `attempt` (1-based): `base · 2^(attempt-1)`,
    /// capped, scaled by a jitter factor in [0.5, 1.0), and never below Retry-After.
    pub fn delay(&self, attempt: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let backoff = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let jittered = backoff.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 0.999));
        match retry_after {
            Some(after) => jittered.max(after),
            None => jittered,
        }
    }
}

/// What a node run produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeReport {
    /// What was done, for humans (`2 created, 1 updated`); empty when nothing was written.
    pub detail: String,
    /// Whether the node changed anything.
    pub changed: bool,
}

/// The result of one node in a run.
#[derive(Debug, Clone)]
pub enum NodeOutcome {
    /// Succeeded.
    Done {
        /// What the successful run did.
        report: NodeReport,
        /// Runs it took, the successful one included.
        attempts: u32,
    },
    /// Failed for good: not transient, or out of attempts, budget, or (interrupted)
    /// permission to retry.
    Failed {
        /// The last run's error.
        error: ExecutorError,
        /// Runs made.
        attempts: u32,
    },
    /// Not run because a dependency failed.
    Skipped {
        /// The failed node it depends on, directly or not.
        failed_dependency: NodeId,
    },
    /// Never started: the run was interrupted first.
    NotStarted,
}

/// A future that runs one node.
pub type NodeFuture = Pin<Box<dyn Future<Output = Result<NodeReport, ExecutorError>> + Send>>;

/// Runs one node; `attempt` is 1 on the first run (later runs should re-observe rather
/// than trust the plan).
pub trait NodeRunner: Send + Sync + 'static {
    /// A future running node `id` once; the scheduler bounds it by the node's budget.
    fn run(&self, id: &NodeId, attempt: u32) -> NodeFuture;
}

/// The nodes to run and, for each, the nodes it waits for (restricted to those run).
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Every node to run, with the nodes it waits for; a dependency not listed as a
    /// node itself is not waited for.
    pub dependencies: BTreeMap<NodeId, BTreeSet<NodeId>>,
    /// The lane of each node (its cluster): `parallelism` is per lane. Nodes not listed
    /// share one lane.
    pub lanes: BTreeMap<NodeId, String>,
    /// At most this many nodes at once in all lanes together (at least `parallelism`);
    /// `None` is [`MAX_RUNNING`].
    pub max_running: Option<usize>,
}

/// The default ceiling on nodes running at once in all lanes: each running node holds
/// a connection to its cluster, and a fleet of hundreds of clusters × `parallelism`
/// would otherwise pass the usual open-file limit (1,024).
pub const MAX_RUNNING: usize = 256;

impl Schedule {
    fn lane(&self, id: &NodeId) -> &str {
        self.lanes.get(id).map(String::as_str).unwrap_or_default()
    }
}

/// Runs every node of `schedule`, at most `parallelism` at once per lane, and returns
/// each one's outcome; after `cancel`, only the nodes already running (see the module
/// doc).
pub async fn run(
    schedule: &Schedule,
    parallelism: usize,
    retry: RetryPolicy,
    node_budget: Duration,
    runner: Arc<dyn NodeRunner>,
    sink: &dyn ProgressSink,
    cancel: &CancellationToken,
) -> BTreeMap<NodeId, NodeOutcome> {
    let parallelism = parallelism.max(1);
    let max_running = schedule.max_running.unwrap_or(MAX_RUNNING).max(parallelism);
    let mut waiting: BTreeMap<NodeId, usize> = schedule
        .dependencies
        .iter()
        .map(|(id, deps)| {
            let known = deps
                .iter()
                .filter(|d| schedule.dependencies.contains_key(*d))
                .count();
            (id.clone(), known)
        })
        .collect();
    let mut dependents: BTreeMap<NodeId, Vec<NodeId>> = BTreeMap::new();
    for (id, deps) in &schedule.dependencies {
        for dep in deps {
            dependents.entry(dep.clone()).or_default().push(id.clone());
        }
    }
    let mut ready: Vec<NodeId> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| id.clone())
        .collect();
    ready.reverse(); // pop() takes them in id order
    let mut outcomes: BTreeMap<NodeId, NodeOutcome> = BTreeMap::new();
    let mut started: BTreeMap<NodeId, Instant> = BTreeMap::new();
    let mut jobs: JoinSet<(NodeId, u32, Result<NodeReport, ExecutorError>)> = JoinSet::new();
    let mut rng = Jitter::seeded();

    // Nodes running (or waiting to retry) per lane.
    let mut running: BTreeMap<&str, usize> = BTreeMap::new();
    let mut told = false;
    loop {
        while !cancel.is_cancelled() && jobs.len() < max_running {
            // The longest-ready node whose lane has room (`ready` pops from the end).
            let Some(at) = ready
                .iter()
                .rposition(|id| running.get(schedule.lane(id)).copied().unwrap_or(0) < parallelism)
            else {
                break;
            };
            let id = ready.remove(at);
            *running.entry(schedule.lane(&id)).or_default() += 1;
            sink.event(&ProgressEvent::Started { id: id.clone() });
            started.insert(id.clone(), Instant::now());
            let lane = schedule.lane(&id).to_string();
            spawn(
                &mut jobs,
                &runner,
                (id, lane),
                1,
                Duration::ZERO,
                node_budget,
                cancel,
            );
        }
        let joined = tokio::select! {
            joined = jobs.join_next() => joined,
            // Wakes the loop once to say so; the jobs are then waited for.
            _ = cancel.cancelled(), if !told => {
                told = true;
                sink.event(&ProgressEvent::Notice {
                    message: format!(
                        "interrupted: starting no new nodes; waiting for the {} running",
                        jobs.len()
                    ),
                });
                continue;
            }
        };
        let Some(joined) = joined else {
            break;
        };
        let (id, attempt, result) = match joined {
            Ok(done) => done,
            // A panicking node run is a bug; the node cannot be named from here, so
            // the run goes on and the node stays without an outcome (reported below).
            Err(_) => continue,
        };
        if let Err(error) = &result {
            let elapsed = started.get(&id).map(Instant::elapsed).unwrap_or_default();
            let delay = retry.delay(attempt, rng.next(), error.retry_after());
            if error.is_transient()
                && attempt < retry.attempts
                && elapsed + delay < node_budget
                && !cancel.is_cancelled()
            {
                // A node waiting for its retry keeps its place in its lane.
                sink.event(&ProgressEvent::Retrying {
                    id: id.clone(),
                    attempt,
                    delay,
                    error: error.to_string(),
                });
                let left = node_budget.saturating_sub(elapsed + delay);
                let lane = schedule.lane(&id).to_string();
                spawn(
                    &mut jobs,
                    &runner,
                    (id, lane),
                    attempt + 1,
                    delay,
                    left,
                    cancel,
                );
                continue;
            }
        }
        if let Some(n) = running.get_mut(schedule.lane(&id)) {
            *n = n.saturating_sub(1);
        }
        match result {
            Ok(report) => {
                let detail = if report.detail.is_empty() {
                    "unchanged".to_string()
                } else {
                    report.detail.clone()
                };
                sink.event(&ProgressEvent::Finished {
                    id: id.clone(),
                    detail,
                });
                outcomes.insert(
                    id.clone(),
                    NodeOutcome::Done {
                        report,
                        attempts: attempt,
                    },
                );
                for next in dependents.get(&id).into_iter().flatten() {
                    if let Some(n) = waiting.get_mut(next) {
                        *n = n.saturating_sub(1);
                        if *n == 0 && !outcomes.contains_key(next) {
                            ready.insert(0, next.clone());
                        }
                    }
                }
            }
            Err(error) => {
                sink.event(&ProgressEvent::Failed {
                    id: id.clone(),
                    error: error.to_string(),
                });
                outcomes.insert(
                    id.clone(),
                    NodeOutcome::Failed {
                        error,
                        attempts: attempt,
                    },
                );
                skip_dependents(&id, &dependents, &mut outcomes, sink);
            }
        }
    }
    // Interrupted: what never started says so (in id order, for a stable report).
    for id in schedule.dependencies.keys() {
        if !outcomes.contains_key(id) && !started.contains_key(id) {
            sink.event(&ProgressEvent::NotStarted { id: id.clone() });
            outcomes.insert(id.clone(), NodeOutcome::NotStarted);
        }
    }
    outcomes
}

/// Starts `attempt` of the node `id` in its lane (its cluster, named in a timeout).
fn spawn(
    jobs: &mut JoinSet<(NodeId, u32, Result<NodeReport, ExecutorError>)>,
    runner: &Arc<dyn NodeRunner>,
    (id, lane): (NodeId, String),
    attempt: u32,
    delay: Duration,
    budget: Duration,
    cancel: &CancellationToken,
) {
    let runner = Arc::clone(runner);
    let cancel = cancel.clone();
    jobs.spawn(async move {
        if !delay.is_zero() {
            // A retry waiting for its turn is not in flight: an interrupt ends it.
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = cancel.cancelled() => {
                    let error = ExecutorError::Interrupted(format!(
                        "attempt {attempt} of node {id} was not started"
                    ));
                    return (id, attempt, Err(error));
                }
            }
        }
        let result = match tokio::time::timeout(budget, runner.run(&id, attempt)).await {
            Ok(result) => result,
            Err(_) => Err(ExecutorError::Timeout {
                cluster: lane,
                what: format!("node {id} (retries included)"),
                after: budget,
            }),
        };
        (id, attempt, result)
    });
}

/// Marks every transitive dependent of a failed node as skipped, naming it.
fn skip_dependents(
    failed: &NodeId,
    dependents: &BTreeMap<NodeId, Vec<NodeId>>,
    outcomes: &mut BTreeMap<NodeId, NodeOutcome>,
    sink: &dyn ProgressSink,
) {
    let mut stack: Vec<NodeId> = dependents.get(failed).cloned().unwrap_or_default();
    while let Some(id) = stack.pop() {
        if outcomes.contains_key(&id) {
            continue;
        }
        sink.event(&ProgressEvent::Skipped {
            id: id.clone(),
            failed_dependency: failed.clone(),
        });
        outcomes.insert(
            id.clone(),
            NodeOutcome::Skipped {
                failed_dependency: failed.clone(),
            },
        );
        stack.extend(dependents.get(&id).cloned().unwrap_or_default());
    }
}

/// A small xorshift generator for backoff jitter (no need for a crypto RNG here).
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Jitter {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Jitter(nanos | 1)
    }

    /// A number in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::progress::NoProgress;
    use std::sync::Mutex;

    fn id(s: &str) -> NodeId {
        NodeId(s.to_string())
    }

    fn schedule(edges: &[(&str, &[&str])]) -> Schedule {
        Schedule {
            dependencies: edges
                .iter()
                .map(|(n, deps)| (id(n), deps.iter().map(|d| id(d)).collect()))
                .collect(),
            lanes: BTreeMap::new(),
            max_running: None,
        }
    }

    /// Runs nodes by a script: a node named in `fail` fails (transiently `times` times
    /// when given), others succeed after `delay_ms`; records start and end order.
    struct Script {
        fail: BTreeMap<String, (bool, u32)>,
        delay_ms: BTreeMap<String, u64>,
        log: Mutex<Vec<String>>,
        runs: Mutex<BTreeMap<String, u32>>,
    }

    impl Script {
        fn new() -> Script {
            Script {
                fail: BTreeMap::new(),
                delay_ms: BTreeMap::new(),
                log: Mutex::new(Vec::new()),
                runs: Mutex::new(BTreeMap::new()),
            }
        }
    }

    fn server_error() -> ExecutorError {
        ExecutorError::Api {
            cluster: "c".into(),
            what: "apply".into(),
            source: ApiError {
                code: Some(500),
                message: "boom".into(),
                status: None,
                retry_after: None,
            },
        }
    }

    fn forbidden() -> ExecutorError {
        ExecutorError::Api {
            cluster: "c".into(),
            what: "apply".into(),
            source: ApiError {
                code: Some(403),
                message: "no".into(),
                status: None,
                retry_after: None,
            },
        }
    }

    impl NodeRunner for Arc<Script> {
        fn run(&self, node: &NodeId, _attempt: u32) -> NodeFuture {
            let script = Arc::clone(self);
            let name = node.0.clone();
            Box::pin(async move {
                let run = {
                    let mut runs = script.runs.lock().unwrap();
                    let n = runs.entry(name.clone()).or_default();
                    *n += 1;
                    *n
                };
                script.log.lock().unwrap().push(format!("start {name}"));
                let delay = script.delay_ms.get(&name).copied().unwrap_or(1);
                tokio::time::sleep(Duration::from_millis(delay)).await;
                script.log.lock().unwrap().push(format!("end {name}"));
                match script.fail.get(&name) {
                    Some((true, times)) if run <= *times => Err(server_error()),
                    Some((false, _)) => Err(forbidden()),
                    _ => Ok(NodeReport {
                        detail: format!("ran {name}"),
                        changed: true,
                    }),
                }
            })
        }
    }

    fn quick() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        }
    }

    async fn go(
        schedule: &Schedule,
        script: Arc<Script>,
        parallelism: usize,
    ) -> BTreeMap<NodeId, NodeOutcome> {
        run(
            schedule,
            parallelism,
            quick(),
            Duration::from_secs(10),
            Arc::new(script),
            &NoProgress,
            &CancellationToken::new(),
        )
        .await
    }

    #[tokio::test]
    async fn a_node_starts_when_its_own_dependencies_are_done() {
        // a (slow) → b; c → d. d must not wait for a.
        let sched = schedule(&[("a", &[]), ("b", &["a"]), ("c", &[]), ("d", &["c"])]);
        let mut script = Script::new();
        script.delay_ms.insert("a".into(), 200);
        let script = Arc::new(script);
        let outcomes = go(&sched, Arc::clone(&script), 8).await;
        assert!(outcomes
            .values()
            .all(|o| matches!(o, NodeOutcome::Done { .. })));
        let log = script.log.lock().unwrap().clone();
        let pos = |s: &str| log.iter().position(|l| l == s).unwrap();
        assert!(
            pos("end d") < pos("end a"),
            "d ran before slow a finished: {log:?}"
        );
        assert!(pos("end a") < pos("start b"), "b waited for a: {log:?}");
    }

    #[tokio::test]
    async fn a_failure_skips_only_its_dependents() {
        let sched = schedule(&[
            ("a", &[]),
            ("b", &["a"]),
            ("c", &["b"]),
            ("x", &[]),
            ("y", &["x"]),
        ]);
        let mut script = Script::new();
        script.fail.insert("a".into(), (false, 0));
        let outcomes = go(&sched, Arc::new(script), 2).await;
        assert!(matches!(
            outcomes[&id("a")],
            NodeOutcome::Failed { attempts: 1, .. }
        ));
        for skipped in ["b", "c"] {
            match &outcomes[&id(skipped)] {
                NodeOutcome::Skipped { failed_dependency } => {
                    assert_eq!(failed_dependency, &id("a"))
                }
                other => panic!("{skipped}: {other:?}"),
            }
        }
        assert!(matches!(outcomes[&id("y")], NodeOutcome::Done { .. }));
    }

    #[tokio::test]
    async fn transient_failures_are_retried_permanent_ones_are_not() {
        let sched = schedule(&[("flaky", &[]), ("dead", &[])]);
        let mut script = Script::new();
        script.fail.insert("flaky".into(), (true, 2));
        script.fail.insert("dead".into(), (true, 99));
        let script = Arc::new(script);
        let outcomes = go(&sched, Arc::clone(&script), 8).await;
        assert!(matches!(
            outcomes[&id("flaky")],
            NodeOutcome::Done { attempts: 3, .. }
        ));
        assert!(matches!(
            outcomes[&id("dead")],
            NodeOutcome::Failed { attempts: 3, .. }
        ));
        let sched = schedule(&[("forbidden", &[])]);
        let mut script = Script::new();
        script.fail.insert("forbidden".into(), (false, 0));
        let outcomes = go(&sched, Arc::new(script), 8).await;
        assert!(matches!(
            outcomes[&id("forbidden")],
            NodeOutcome::Failed { attempts: 1, .. }
        ));
    }

    #[tokio::test]
    async fn a_node_past_its_budget_fails_naming_its_cluster() {
        let mut sched = schedule(&[("east/slow", &[])]);
        sched.lanes.insert(id("east/slow"), "east".into());
        let mut script = Script::new();
        script.delay_ms.insert("east/slow".into(), 5_000);
        let outcomes = run(
            &sched,
            8,
            quick(),
            Duration::from_millis(50),
            Arc::new(Arc::new(script)),
            &NoProgress,
            &CancellationToken::new(),
        )
        .await;
        let NodeOutcome::Failed { error, .. } = &outcomes[&id("east/slow")] else {
            panic!("the node must fail: {:?}", outcomes[&id("east/slow")]);
        };
        assert_eq!(
            error.to_string(),
            "cluster east: node east/slow (retries included) did not happen within 0s"
        );
    }

    #[tokio::test]
    async fn parallelism_bounds_running_nodes() {
        let names: Vec<String> = (0..6).map(|i| format!("n{i}")).collect();
        let sched = Schedule {
            dependencies: names.iter().map(|n| (id(n), BTreeSet::new())).collect(),
            lanes: BTreeMap::new(),
            max_running: None,
        };
        let mut script = Script::new();
        for n in &names {
            script.delay_ms.insert(n.clone(), 20);
        }
        let script = Arc::new(script);
        go(&sched, Arc::clone(&script), 2).await;
        let log = script.log.lock().unwrap().clone();
        assert_eq!(peak_running(&log, |_| true), 2, "{log:?}");
    }

    /// The most nodes whose name `matches` that ran at once, by the start/end log.
    fn peak_running(log: &[String], matches: impl Fn(&str) -> bool) -> i32 {
        let mut running = 0i32;
        let mut peak = 0;
        for line in log {
            let (event, name) = line.split_once(' ').unwrap();
            if matches(name) {
                running += if event == "start" { 1 } else { -1 };
                peak = peak.max(running);
            }
        }
        peak
    }

    #[tokio::test]
    async fn parallelism_is_per_lane() {
        // Three clusters of four nodes each, parallelism 2: two per cluster at a time,
        // six in all.
        let mut sched = Schedule::default();
        for cluster in ["a", "b", "c"] {
            for i in 0..4 {
                let name = id(&format!("{cluster}{i}"));
                sched.dependencies.insert(name.clone(), BTreeSet::new());
                sched.lanes.insert(name, cluster.to_string());
            }
        }
        let mut script = Script::new();
        for name in sched.dependencies.keys() {
            script.delay_ms.insert(name.0.clone(), 40);
        }
        let script = Arc::new(script);
        let outcomes = go(&sched, Arc::clone(&script), 2).await;
        assert!(outcomes
            .values()
            .all(|o| matches!(o, NodeOutcome::Done { .. })));
        let log = script.log.lock().unwrap().clone();
        for cluster in ["a", "b", "c"] {
            assert_eq!(
                peak_running(&log, |n| n.starts_with(cluster)),
                2,
                "cluster {cluster}: {log:?}"
            );
        }
        assert_eq!(peak_running(&log, |_| true), 6, "{log:?}");
    }

    #[tokio::test]
    async fn lanes_together_stay_under_the_ceiling() {
        // Six clusters of two nodes, parallelism 2, but at most 3 nodes in all.
        let mut sched = Schedule {
            max_running: Some(3),
            ..Schedule::default()
        };
        for cluster in ["a", "b", "c", "d", "e", "f"] {
            for i in 0..2 {
                let name = id(&format!("{cluster}{i}"));
                sched.dependencies.insert(name.clone(), BTreeSet::new());
                sched.lanes.insert(name, cluster.to_string());
            }
        }
        let mut script = Script::new();
        for name in sched.dependencies.keys() {
            script.delay_ms.insert(name.0.clone(), 30);
        }
        let script = Arc::new(script);
        let outcomes = go(&sched, Arc::clone(&script), 2).await;
        assert_eq!(outcomes.len(), 12);
        assert!(outcomes
            .values()
            .all(|o| matches!(o, NodeOutcome::Done { .. })));
        let log = script.log.lock().unwrap().clone();
        assert_eq!(peak_running(&log, |_| true), 3, "{log:?}");
    }

    #[test]
    fn backoff_doubles_is_capped_and_honours_retry_after() {
        let policy = RetryPolicy {
            attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        assert_eq!(
            policy.delay(1, 0.999, None),
            Duration::from_millis(100).mul_f64(0.5 + 0.5 * 0.999)
        );
        assert_eq!(policy.delay(2, 0.0, None), Duration::from_millis(100));
        assert_eq!(policy.delay(5, 0.0, None), Duration::from_millis(150));
        assert_eq!(
            policy.delay(1, 0.0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[tokio::test]
    async fn after_cancel_running_nodes_finish_and_no_other_starts() {
        // a (slow) and x run first (parallelism 2); b waits for a, y for x.
        let sched = schedule(&[("a", &[]), ("b", &["a"]), ("x", &[]), ("y", &["x"])]);
        let mut script = Script::new();
        script.delay_ms.insert("a".into(), 300);
        script.delay_ms.insert("x".into(), 300);
        let script = Arc::new(script);
        let cancel = CancellationToken::new();
        let trigger = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            trigger.cancel();
        });
        let outcomes = run(
            &sched,
            2,
            quick(),
            Duration::from_secs(10),
            Arc::new(Arc::clone(&script)),
            &NoProgress,
            &cancel,
        )
        .await;
        assert!(matches!(outcomes[&id("a")], NodeOutcome::Done { .. }));
        assert!(matches!(outcomes[&id("x")], NodeOutcome::Done { .. }));
        assert!(matches!(outcomes[&id("b")], NodeOutcome::NotStarted));
        assert!(matches!(outcomes[&id("y")], NodeOutcome::NotStarted));
        let log = script.log.lock().unwrap().clone();
        assert_eq!(log.len(), 4, "only a and x ran: {log:?}");
    }
}
