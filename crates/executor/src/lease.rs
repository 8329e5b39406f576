//! The per-cluster `coordination.k8s.io/v1` Lease apply and destroy hold while they
//! write (`kube-system/meshctl-<topology>`), so two runs of one topology never
//! interleave in a cluster, even from two machines (the state-directory lock only sees
//! this one).
//!
//! - Taken by apply for each cluster its plan writes to (a converged cluster is not
//!   leased: a no-op apply writes nothing), by destroy for each existing cluster.
//! - Taken before the first node runs, for every such cluster that answers then; a cluster
//!   that does not answer yet (a kind cluster a node is about to create) is leased by
//!   the first node that writes to it (`LeasedRunner`).
//! - Another holder's live Lease (renewed less than `leaseDurationSeconds` ago, by this
//!   machine's clock) is waited for up to `--lock-timeout`, then the run refuses naming
//!   the holder. An expired one is taken over, and the run says so. `--force-unlock`
//!   takes over a live one.
//! - Renewed every third of its duration while the run lasts; if another run took it
//!   (someone forced it), the run stops launching nodes, as on Ctrl-C.
//! - Released at the end (holder cleared, by an update guarded by resourceVersion, so
//!   a Lease someone else took is never cleared). A run killed outright leaves it to
//!   expire.
//!
//! Every acquire, renewal and release is one optimistic-concurrency write (409 on a
//! stale resourceVersion means someone else wrote in between: read again and decide
//! again). A no-op apply takes no Lease at all.
//!
//! Acquiring costs a read and a write, except where the plan says the Lease cannot have
//! been taken yet (no ApplySet parent: meshctl never wrote there; or a kind cluster this
//! run creates): there the create is sent first, one request, and only its 409
//! (AlreadyExists) falls back to the read. The create is atomic, so the guess being
//! wrong costs a request, never safety.

use crate::api::ClusterApi;
use crate::discovery::api_error;
use crate::engine::{ClusterRef, Engine};
use crate::error::ExecutorError;
use crate::progress::{ProgressEvent, ProgressSink, QueuedProgress};
use crate::scheduler::{NodeFuture, NodeRunner};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use meshctl_core::graph::{Graph, NodeId, NodeKind};
use meshctl_core::live::{LiveAction, LivePlan};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long the Leases taken before the run wait for a cluster to answer at all.
const UPFRONT_PROBE: Duration = Duration::from_secs(3);

/// Where the Lease lives (the ApplySet parent's namespace: it exists in every cluster).
pub const LEASE_NAMESPACE: &str = "kube-system";

/// How a run takes its Leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseOptions {
    /// `leaseDurationSeconds`: how long the Lease stays live without a renewal (so how
    /// long a killed run blocks others).
    pub duration: Duration,
    /// `--lock-timeout`: how long to wait for another holder.
    pub wait: Duration,
    /// `--force-unlock`: take over a live Lease.
    pub force: bool,
    /// Who is asking, as other runs will see it (`meshctl apply by alice@laptop pid
    /// 4242`); each run adds its own token, so two runs in one process differ.
    pub holder: String,
}

impl Default for LeaseOptions {
    fn default() -> Self {
        LeaseOptions {
            duration: Duration::from_secs(60),
            wait: Duration::ZERO,
            force: false,
            holder: default_holder("meshctl"),
        }
    }
}

/// `<what> by <user>@<host> pid <pid>`.
pub fn default_holder(what: &str) -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    format!(
        "{what} by {user}@{} pid {}",
        meshctl_certs::lock::host_name(),
        std::process::id()
    )
}

/// The Lease's name for a topology.
pub fn lease_name(topology: &str) -> String {
    format!("meshctl-{topology}")
}

/// A Lease this run holds: the client it was taken with and its last resourceVersion.
struct Held {
    api: ClusterApi,
    lease: Lease,
}

type Slot = Arc<tokio::sync::Mutex<Option<Held>>>;

/// The Leases of one run, per cluster.
pub struct Leases {
    opts: LeaseOptions,
    name: String,
    /// `holder` plus this run's token: what `holderIdentity` says.
    identity: String,
    /// Per cluster; the async mutex makes concurrent first uses take the Lease once.
    slots: Mutex<BTreeMap<String, Slot>>,
    /// Cancelled when a Lease was lost: the run stops launching nodes.
    lost: CancellationToken,
    /// Why (for the summary).
    problems: Mutex<Vec<String>>,
    /// Clusters whose Lease most likely does not exist yet: created without a read
    /// first (see the module doc).
    likely_absent: HashSet<String>,
}

/// What the Lease as read says about taking it.
enum Verdict {
    /// Absent: create it.
    Create,
    /// Free, ours, expired or forced: update it to us. `note`: what to tell the user.
    Take { note: Option<String> },
    /// Another holder's, live for `left`.
    Wait { holder: String, left: Duration },
}

impl Leases {
    /// Leases for a run; `lost` is cancelled if one is taken from it.
    pub fn new(engine: &Engine, opts: &LeaseOptions, lost: CancellationToken) -> Leases {
        Leases {
            identity: format!("{} run {}", opts.holder, run_token()),
            opts: opts.clone(),
            name: lease_name(&engine.opts.topology_name),
            slots: Mutex::new(BTreeMap::new()),
            lost,
            problems: Mutex::new(Vec::new()),
            likely_absent: HashSet::new(),
        }
    }

    /// Marks the clusters where the Lease most likely does not exist yet, so taking it
    /// starts with the create (see the module doc).
    pub fn likely_absent_in(mut self, clusters: impl IntoIterator<Item = String>) -> Leases {
        self.likely_absent.extend(clusters);
        self
    }

    /// `holderIdentity` this run writes.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    fn slot(&self, cluster: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(cluster.to_string()).or_default().clone()
    }

    /// Takes the Lease of every cluster that answers now. Clusters that do not answer
    /// are left to [`Leases::ensure`] (their nodes report them). Fails only when
    /// another run holds one past the wait, or on `cancel`.
    pub async fn acquire_reachable(
        &self,
        engine: &Engine,
        clusters: &[ClusterRef],
        sink: &dyn ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<(), ExecutorError> {
        let deadline = Instant::now() + self.opts.wait;
        let mut jobs = Vec::new();
        for cluster in clusters {
            jobs.push(async move {
                // A cluster that is down must not hold back the others' start for its
                // whole connect timeout: past a short probe it is left to its nodes.
                let probe = engine.clients.reachable(&cluster.name, &cluster.context);
                let Ok(Ok(api)) = tokio::time::timeout(UPFRONT_PROBE, probe).await else {
                    return Ok(());
                };
                match self.ensure_with(&api, deadline, sink, cancel).await {
                    Err(e @ (ExecutorError::LeaseHeld { .. } | ExecutorError::Interrupted(_))) => {
                        Err(e)
                    }
                    // Anything else (a flaky read): the cluster's first node tries again.
                    _ => Ok(()),
                }
            });
        }
        // Clusters concurrently: each may wait up to the same deadline.
        let results = futures_util::future::join_all(jobs).await;
        results
            .into_iter()
            .collect::<Result<Vec<()>, _>>()
            .map(drop)
    }

    /// Makes sure this run holds `cluster`'s Lease (taking it if not yet), waiting up
    /// to the lock timeout for another holder.
    pub async fn ensure(
        &self,
        api: &ClusterApi,
        sink: &dyn ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<(), ExecutorError> {
        self.ensure_with(api, Instant::now() + self.opts.wait, sink, cancel)
            .await
    }

    async fn ensure_with(
        &self,
        api: &ClusterApi,
        deadline: Instant,
        sink: &dyn ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<(), ExecutorError> {
        let slot = self.slot(&api.cluster);
        let mut held = slot.lock().await;
        if held.is_some() {
            return Ok(());
        }
        let lease = self.acquire(api, deadline, sink, cancel).await?;
        *held = Some(Held {
            api: api.clone(),
            lease,
        });
        Ok(())
    }

    fn leases(&self, api: &ClusterApi) -> Api<Lease> {
        Api::namespaced(api.client().clone(), LEASE_NAMESPACE)
    }

    fn params() -> PostParams {
        PostParams {
            dry_run: false,
            field_manager: Some(meshctl_core::live::FIELD_MANAGER.to_string()),
        }
    }

    fn lease_ref(&self) -> String {
        format!("{LEASE_NAMESPACE}/{}", self.name)
    }

    fn api_error(&self, api: &ClusterApi, what: &str, e: kube::Error) -> ExecutorError {
        ExecutorError::Api {
            cluster: api.cluster.clone(),
            what: format!("{what} Lease {}", self.lease_ref()),
            source: api_error(e),
        }
    }

    /// Reads the Lease; `None` when absent.
    async fn read(&self, api: &ClusterApi) -> Result<Option<Lease>, ExecutorError> {
        match self.leases(api).get(&self.name).await {
            Ok(lease) => Ok(Some(lease)),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
            Err(e) => Err(self.api_error(api, "read", e)),
        }
    }

    fn judge(&self, lease: Option<&Lease>, now: Timestamp) -> Verdict {
        let Some(lease) = lease else {
            return Verdict::Create;
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.unwrap_or_default();
        if holder.is_empty() || holder == self.identity {
            return Verdict::Take { note: None };
        }
        let duration = Duration::from_secs(spec.lease_duration_seconds.unwrap_or(0).max(0) as u64);
        let renewed = spec
            .renew_time
            .or(spec.acquire_time)
            .map(|t| t.0)
            .unwrap_or(now);
        let age_ms = (now.as_millisecond() - renewed.as_millisecond()).max(0) as u64;
        let age = Duration::from_millis(age_ms);
        if age >= duration {
            return Verdict::Take {
                note: Some(format!(
                    "took over the expired Lease {} (held by {holder:?}, last renewed {}s ago, lease {}s)",
                    self.lease_ref(),
                    age.as_secs(),
                    duration.as_secs()
                )),
            };
        }
        if self.opts.force {
            return Verdict::Take {
                note: Some(format!(
                    "--force-unlock: broke the live Lease {} held by {holder:?} (renewed {}s ago)",
                    self.lease_ref(),
                    age.as_secs()
                )),
            };
        }
        Verdict::Wait {
            holder,
            left: duration - age,
        }
    }

    fn spec_for_us(&self, now: Timestamp, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(
                self.opts.duration.as_secs().clamp(1, i32::MAX as u64) as i32
            ),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    async fn acquire(
        &self,
        api: &ClusterApi,
        deadline: Instant,
        sink: &dyn ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<Lease, ExecutorError> {
        let started = Instant::now();
        let mut told_waiting = false;
        let mut transient_failures = 0u32;
        // Guess "absent" once: a 409 from the create sends the next turn to the read.
        let mut guess_absent = self.likely_absent.contains(&api.cluster);
        loop {
            if cancel.is_cancelled() {
                return Err(ExecutorError::Interrupted(format!(
                    "cluster {}: gave up waiting for Lease {}",
                    api.cluster,
                    self.lease_ref()
                )));
            }
            let now = Timestamp::now();
            let current = if std::mem::take(&mut guess_absent) {
                Ok(None)
            } else {
                self.read(api).await
            };
            let attempt = match current {
                Ok(current) => match self.judge(current.as_ref(), now) {
                    Verdict::Create => {
                        let lease = Lease {
                            metadata: ObjectMeta {
                                name: Some(self.name.clone()),
                                namespace: Some(LEASE_NAMESPACE.to_string()),
                                ..ObjectMeta::default()
                            },
                            spec: Some(self.spec_for_us(now, 0)),
                        };
                        self.leases(api)
                            .create(&Self::params(), &lease)
                            .await
                            .map_err(|e| self.api_error(api, "create", e))
                    }
                    Verdict::Take { note } => {
                        let mut lease = current.unwrap_or_default();
                        let old = lease.spec.clone().unwrap_or_default();
                        let changes_hands = old
                            .holder_identity
                            .as_deref()
                            .is_some_and(|h| !h.is_empty() && h != self.identity);
                        let transitions =
                            old.lease_transitions.unwrap_or(0) + i32::from(changes_hands);
                        lease.spec = Some(self.spec_for_us(now, transitions));
                        let result = self
                            .leases(api)
                            .replace(&self.name, &Self::params(), &lease)
                            .await
                            .map_err(|e| self.api_error(api, "update", e));
                        if let (Ok(_), Some(note)) = (&result, note) {
                            sink.event(&ProgressEvent::Notice {
                                message: format!("cluster {}: {note}", api.cluster),
                            });
                        }
                        result
                    }
                    Verdict::Wait { holder, left } => {
                        let now_i = Instant::now();
                        if now_i >= deadline {
                            return Err(ExecutorError::LeaseHeld {
                                cluster: api.cluster.clone(),
                                lease: self.lease_ref(),
                                holder,
                                expires_in: left,
                                waited: started.elapsed(),
                            });
                        }
                        if !told_waiting {
                            told_waiting = true;
                            sink.event(&ProgressEvent::Notice {
                                message: format!(
                                    "cluster {}: waiting up to {}s for Lease {} held by {holder:?}",
                                    api.cluster,
                                    deadline.saturating_duration_since(now_i).as_secs(),
                                    self.lease_ref()
                                ),
                            });
                        }
                        let pause = left
                            .min(Duration::from_millis(500))
                            .min(deadline - now_i)
                            .max(Duration::from_millis(20));
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {}
                            _ = cancel.cancelled() => {}
                        }
                        continue;
                    }
                },
                Err(e) => Err(e),
            };
            match attempt {
                Ok(lease) => return Ok(lease),
                // Someone wrote it between our read and write: read again and decide again.
                Err(ExecutorError::Api { ref source, .. }) if source.is_conflict() => continue,
                Err(e) if e.is_transient() && transient_failures < 4 => {
                    transient_failures += 1;
                    let pause = Duration::from_millis(50 << transient_failures);
                    tokio::time::sleep(pause).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Renews every held Lease once. A Lease another run took is dropped from the set,
    /// noted, and `lost` is cancelled.
    pub async fn renew(&self) {
        let slots: Vec<(String, Slot)> = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (cluster, slot) in slots {
            let mut guard = slot.lock().await;
            let Some(held) = guard.as_mut() else { continue };
            match self.write_holder(held, true).await {
                Ok(()) => {}
                Err(Some(holder)) => {
                    *guard = None;
                    self.problem(format!(
                        "cluster {cluster}: Lease {} was taken over by {holder:?} during the run; no new nodes were started after that",
                        self.lease_ref()
                    ));
                    self.lost.cancel();
                }
                // Not reachable right now: try again next time (it stays live for
                // the rest of its duration).
                Err(None) => {}
            }
        }
    }

    /// Renews in the background every third of the duration, until the returned guard
    /// is dropped.
    pub fn keep_renewed(self: &Arc<Self>) -> RenewalGuard {
        let leases = Arc::clone(self);
        let every = (self.opts.duration / 3).max(Duration::from_millis(100));
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                leases.renew().await;
            }
        });
        RenewalGuard(task)
    }

    /// Releases every held Lease (clears the holder). Returns what could not be
    /// released, for the summary.
    pub async fn release_all(&self) -> Vec<String> {
        let slots: Vec<(String, Slot)> = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // All clusters at once: the releases are the run's last requests.
        let releases = slots.into_iter().map(|(cluster, slot)| async move {
            let mut guard = slot.lock().await;
            let Some(mut held) = guard.take() else {
                return;
            };
            match self.write_holder(&mut held, false).await {
                Ok(()) | Err(Some(_)) => {}
                Err(None) => self.problem(format!(
                    "cluster {cluster}: could not release Lease {}; it expires by itself within {}s",
                    self.lease_ref(),
                    self.opts.duration.as_secs()
                )),
            }
        });
        futures_util::future::join_all(releases).await;
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .collect()
    }

    fn problem(&self, message: String) {
        self.problems
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
    }

    /// Renews (`keep`) or releases a held Lease. `Err(Some(holder))`: someone else holds
    /// it now; `Err(None)`: the cluster did not answer.
    async fn write_holder(&self, held: &mut Held, keep: bool) -> Result<(), Option<String>> {
        for _ in 0..3 {
            let mut lease = held.lease.clone();
            let mut spec = lease.spec.clone().unwrap_or_default();
            if keep {
                spec.renew_time = Some(MicroTime(Timestamp::now()));
            } else {
                spec.holder_identity = None;
                spec.acquire_time = None;
                spec.renew_time = None;
            }
            lease.spec = Some(spec);
            match self
                .leases(&held.api)
                .replace(&self.name, &Self::params(), &lease)
                .await
            {
                Ok(stored) => {
                    held.lease = stored;
                    return Ok(());
                }
                Err(kube::Error::Api(status)) if status.code == 409 || status.code == 404 => {
                    // Changed or deleted since we wrote it: still ours?
                    match self.read(&held.api).await {
                        Ok(Some(now))
                            if now.spec.as_ref().and_then(|s| s.holder_identity.as_deref())
                                == Some(self.identity.as_str()) =>
                        {
                            held.lease = now;
                        }
                        Ok(Some(now)) => {
                            return Err(Some(
                                now.spec.and_then(|s| s.holder_identity).unwrap_or_default(),
                            ))
                        }
                        // Deleted: nothing to release; for a renewal, nobody holds it.
                        Ok(None) if !keep => return Ok(()),
                        Ok(None) => return Err(Some(String::new())),
                        Err(_) => return Err(None),
                    }
                }
                Err(_) => return Err(None),
            }
        }
        Err(None)
    }
}

/// Stops the renewal task when dropped.
pub struct RenewalGuard(tokio::task::JoinHandle<()>);

impl Drop for RenewalGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs nodes after making sure the run holds their cluster's Lease (for clusters
/// that did not answer when the run began). The node that creates a cluster runs
/// without: there is nothing to lease before it ran.
pub(crate) struct LeasedRunner {
    /// What runs the node once the Lease is held.
    pub inner: Arc<dyn NodeRunner>,
    /// The run's Leases.
    pub leases: Arc<Leases>,
    /// For the clients of the clusters to lease.
    pub engine: Arc<Engine>,
    /// The cluster each node writes to, for nodes that need the Lease.
    pub clusters: HashMap<NodeId, ClusterRef>,
    /// The run's interrupt: stops waiting for another holder's Lease.
    pub cancel: CancellationToken,
    /// Where taking a Lease tells the user something (waiting for a holder, taking
    /// over an expired Lease): the run forwards it to its sink.
    pub(crate) progress: QueuedProgress,
}

impl LeasedRunner {
    /// The cluster of each node that may write to one: all but the cluster nodes and
    /// the nodes `plan` found unchanged (they send no write).
    pub fn clusters_of(
        graph: &Graph,
        plan: &LivePlan,
        engine: &Engine,
    ) -> HashMap<NodeId, ClusterRef> {
        let unchanged: HashSet<&NodeId> = plan
            .nodes
            .iter()
            .filter(|n| n.action() == LiveAction::Unchanged)
            .map(|n| &n.id)
            .collect();
        graph
            .nodes()
            .filter(|n| n.kind != NodeKind::Cluster && !unchanged.contains(&n.id))
            .filter_map(|n| engine.cluster_of(n).map(|c| (n.id.clone(), c.clone())))
            .collect()
    }
}

/// The clusters where the Lease most likely does not exist yet: the plan found no
/// ApplySet parent there (meshctl never wrote to it), or the run creates the cluster.
pub fn likely_unleased(graph: &Graph, plan: &LivePlan) -> Vec<String> {
    let created: HashSet<&str> = plan
        .nodes
        .iter()
        .filter(|n| n.action() == LiveAction::Create)
        .filter_map(|n| graph.node(&n.id))
        .filter(|n| n.kind == NodeKind::Cluster)
        .filter_map(|n| n.cluster.as_deref())
        .collect();
    plan.clusters
        .iter()
        .filter(|c| {
            created.contains(c.name.as_str())
                || c.inventory
                    .as_ref()
                    .is_some_and(|i| i.action == LiveAction::Create)
        })
        .map(|c| c.name.clone())
        .collect()
}

/// The clusters an apply of `plan` writes to: where a selected node is not unchanged,
/// or something is to be pruned. A converged cluster is not leased, so a no-op apply
/// writes nothing at all.
pub fn written_clusters(graph: &Graph, plan: &LivePlan, engine: &Engine) -> Vec<ClusterRef> {
    let writers = LeasedRunner::clusters_of(graph, plan, engine);
    engine
        .clusters
        .values()
        .filter(|c| {
            writers
                .iter()
                .any(|(id, w)| w.name == c.name && engine.selected.contains(id))
                || (engine.whole_topology()
                    && plan
                        .clusters
                        .iter()
                        .any(|p| p.name == c.name && !p.prune.is_empty()))
        })
        .cloned()
        .collect()
}

impl NodeRunner for LeasedRunner {
    fn run(&self, id: &NodeId, attempt: u32) -> NodeFuture {
        let inner = self.inner.run(id, attempt);
        let Some(cluster) = self.clusters.get(id).cloned() else {
            return inner;
        };
        let leases = Arc::clone(&self.leases);
        let engine = Arc::clone(&self.engine);
        let cancel = self.cancel.clone();
        let progress = self.progress.clone();
        Box::pin(async move {
            let api = engine
                .clients
                .reachable(&cluster.name, &cluster.context)
                .await?;
            leases.ensure(&api, &progress, &cancel).await?;
            inner.await
        })
    }
}

/// A token that tells this run's Leases from another run's of the same holder.
fn run_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:x}", (nanos << 8) ^ n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leases(force: bool) -> Leases {
        Leases {
            opts: LeaseOptions {
                force,
                ..LeaseOptions::default()
            },
            name: "meshctl-demo".into(),
            identity: "me run 1".into(),
            slots: Mutex::new(BTreeMap::new()),
            lost: CancellationToken::new(),
            problems: Mutex::new(Vec::new()),
            likely_absent: HashSet::new(),
        }
    }

    fn held_by(holder: &str, renewed: Timestamp, seconds: i32) -> Lease {
        Lease {
            metadata: ObjectMeta::default(),
            spec: Some(LeaseSpec {
                holder_identity: Some(holder.into()),
                lease_duration_seconds: Some(seconds),
                renew_time: Some(MicroTime(renewed)),
                ..LeaseSpec::default()
            }),
        }
    }

    #[test]
    fn a_live_lease_is_waited_for_an_expired_or_free_one_taken() {
        let now = Timestamp::now();
        let ten_s_ago = Timestamp::from_second(now.as_second() - 10).unwrap();
        let l = leases(false);
        assert!(matches!(l.judge(None, now), Verdict::Create));
        match l.judge(Some(&held_by("other", ten_s_ago, 60)), now) {
            Verdict::Wait { holder, left } => {
                assert_eq!(holder, "other");
                assert!((49..=50).contains(&left.as_secs()), "{left:?}");
            }
            _ => panic!("a live lease must be waited for"),
        }
        match l.judge(Some(&held_by("other", ten_s_ago, 5)), now) {
            Verdict::Take { note: Some(note) } => {
                assert!(
                    note.contains("expired") && note.contains("\"other\""),
                    "{note}"
                )
            }
            _ => panic!("an expired lease is taken over, saying so"),
        }
        assert!(matches!(
            l.judge(Some(&held_by("", ten_s_ago, 60)), now),
            Verdict::Take { note: None }
        ));
        match leases(true).judge(Some(&held_by("other", ten_s_ago, 60)), now) {
            Verdict::Take { note: Some(note) } => assert!(note.contains("--force-unlock")),
            _ => panic!("--force-unlock takes a live lease"),
        }
    }

    #[test]
    fn two_runs_of_one_process_have_different_identities() {
        assert_ne!(run_token(), run_token());
    }
}
