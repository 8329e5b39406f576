//! One kube client per kubeconfig context, built lazily and cached for the run (and, in
//! a [`crate::Session`], for the runs after it: `meshctl apply`'s plan and apply).
//!
//! The kubeconfig is `--kubeconfig`, else `KUBECONFIG` (a list, merged as kubectl
//! does), else `~/.kube/config`. It is re-read when a context is missing: a kind
//! cluster's context appears only after the node that creates the cluster ran.

use crate::api::ClusterApi;
use crate::error::ExecutorError;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Connection timeouts put on every client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectTimeouts {
    /// How long opening a connection (TCP and TLS) may take.
    pub connect: Duration,
    /// How long one response may take to arrive.
    pub read: Duration,
    /// How long sending one request may take.
    pub write: Duration,
}

impl Default for ConnectTimeouts {
    fn default() -> Self {
        ConnectTimeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            write: Duration::from_secs(30),
        }
    }
}

/// The kubeconfig files to read: the explicit path, else `KUBECONFIG`'s list, else
/// `~/.kube/config`.
pub fn kubeconfig_paths(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_path_buf()];
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return paths;
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    vec![home.join(".kube").join("config")]
}

/// How long a kubeconfig's writer lock (`<file>.lock`) is waited for before the file is
/// read anyway: kind and client-go hold it for milliseconds, and one left behind by a
/// writer that crashed must not stop meshctl.
const KUBECONFIG_LOCK_WAIT: Duration = Duration::from_secs(1);

/// Waits while a kubeconfig file is being written. kind (like client-go) writes it in
/// place — truncate, then write — holding `<file>.lock` meanwhile; a node reading it in
/// between (another cluster's kind create runs at the same time) would see an empty file
/// and report its context missing.
async fn wait_for_kubeconfig_writers(paths: &[PathBuf]) {
    let started = Instant::now();
    for path in paths {
        let mut lock = path.clone().into_os_string();
        lock.push(".lock");
        let lock = PathBuf::from(lock);
        while lock.exists() && started.elapsed() < KUBECONFIG_LOCK_WAIT {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Clients for every context used in a run.
pub struct Clients {
    paths: Vec<PathBuf>,
    timeouts: ConnectTimeouts,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    kubeconfig: Option<Kubeconfig>,
    /// Clients by context.
    apis: HashMap<String, ClusterApi>,
    /// Clients built so far.
    built: usize,
    /// Contexts whose cluster answered, and when it was proved (`GET /version`).
    reachable: HashMap<String, Instant>,
}

impl Clients {
    /// No client built yet; the kubeconfig is `kubeconfig`, else `KUBECONFIG`'s files,
    /// else `~/.kube/config`, read on the first use.
    pub fn new(kubeconfig: Option<&Path>, timeouts: ConnectTimeouts) -> Clients {
        Clients {
            paths: kubeconfig_paths(kubeconfig),
            timeouts,
            state: Mutex::new(State::default()),
        }
    }

    /// The kubeconfig path(s), as shown in messages.
    pub fn kubeconfig_display(&self) -> PathBuf {
        let joined = std::env::join_paths(&self.paths)
            .map(PathBuf::from)
            .unwrap_or_else(|_| self.paths.first().cloned().unwrap_or_default());
        joined
    }

    /// The client for a cluster's context (not yet checked to answer).
    ///
    /// Building a client costs a few ms of CPU (kube sets up rustls with its root
    /// certificates), so it is built outside the lock and on the blocking pool: the
    /// clients of many clusters are built at once instead of one after another.
    pub async fn api(&self, cluster: &str, context: &str) -> Result<ClusterApi, ExecutorError> {
        let kubeconfig = {
            let mut state = self.state.lock().await;
            if let Some(api) = state.apis.get(context) {
                return Ok(api.clone());
            }
            let has_context = |kc: &Kubeconfig| kc.contexts.iter().any(|c| c.name == context);
            if !state.kubeconfig.as_ref().is_some_and(has_context) {
                // First use, or the context may have appeared since (kind create).
                wait_for_kubeconfig_writers(&self.paths).await;
                state.kubeconfig = Some(self.read_kubeconfig()?);
            }
            match state.kubeconfig.as_ref() {
                Some(kc) if has_context(kc) => kc.clone(),
                other => {
                    return Err(ExecutorError::ContextMissing {
                        cluster: cluster.to_string(),
                        context: context.to_string(),
                        kubeconfig: self.kubeconfig_display(),
                        known: other
                            .map(|kc| kc.contexts.iter().map(|c| c.name.clone()).collect())
                            .unwrap_or_default(),
                        file_missing: !self.paths.iter().any(|path| path.exists()),
                    })
                }
            }
        };
        let options = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        let unusable = |message: String| ExecutorError::Unreachable {
            cluster: cluster.to_string(),
            context: context.to_string(),
            kubeconfig: self.kubeconfig_display(),
            message,
        };
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| unusable(e.to_string()))?;
        config.connect_timeout = Some(self.timeouts.connect);
        config.read_timeout = Some(self.timeouts.read);
        config.write_timeout = Some(self.timeouts.write);
        // Retries are meshctl's (scheduler): one policy, with a per-node budget.
        config.default_retry = false;
        let client = tokio::task::spawn_blocking(move || kube::Client::try_from(config))
            .await
            .map_err(|e| unusable(format!("building the client failed: {e}")))?
            .map_err(|e| unusable(e.to_string()))?;
        let api = ClusterApi::new(cluster.to_string(), client);
        // Two first uses may race: the first one stored wins, so the run has one client
        // (one connection pool) per context.
        let mut state = self.state.lock().await;
        state.built += 1;
        Ok(state.apis.entry(context.to_string()).or_insert(api).clone())
    }

    /// The client for a cluster, after proving once per run that the cluster answers
    /// (`GET /version`). Unreachable clusters are re-probed on the next call.
    pub async fn reachable(
        &self,
        cluster: &str,
        context: &str,
    ) -> Result<ClusterApi, ExecutorError> {
        let api = self.api(cluster, context).await?;
        if self.state.lock().await.reachable.contains_key(context) {
            return Ok(api);
        }
        match api.version().await {
            Ok(_) => {
                self.state
                    .lock()
                    .await
                    .reachable
                    .insert(context.to_string(), Instant::now());
                Ok(api)
            }
            Err(e) => Err(ExecutorError::Unreachable {
                cluster: cluster.to_string(),
                context: context.to_string(),
                kubeconfig: self.kubeconfig_display(),
                message: e.to_string(),
            }),
        }
    }

    /// Forgets the proofs that clusters answer older than `age`, so those clusters are
    /// probed again on their next use (the clients themselves are kept).
    pub async fn forget_proofs_older_than(&self, age: Duration) {
        let mut state = self.state.lock().await;
        state.reachable.retain(|_, proved| proved.elapsed() < age);
    }

    /// How many clients were built so far (a cached one is not counted again): each
    /// costs a few ms of CPU.
    pub async fn built(&self) -> usize {
        self.state.lock().await.built
    }

    /// Forgets a context's client and the kubeconfig read, so the next use re-reads it
    /// (after a cluster was created or re-created).
    pub async fn forget(&self, context: &str) {
        let mut state = self.state.lock().await;
        state.apis.remove(context);
        state.reachable.remove(context);
        state.kubeconfig = None;
    }

    fn read_kubeconfig(&self) -> Result<Kubeconfig, ExecutorError> {
        let mut merged: Option<Kubeconfig> = None;
        for path in &self.paths {
            if !path.exists() {
                // Nothing there yet (kind writes it when it creates the first cluster):
                // every context is missing, which is reported per cluster.
                continue;
            }
            let config = Kubeconfig::read_from(path).map_err(|e| ExecutorError::Kubeconfig {
                path: path.clone(),
                message: e.to_string(),
            })?;
            merged = Some(match merged {
                None => config,
                Some(earlier) => earlier
                    .merge(config)
                    .map_err(|e| ExecutorError::Kubeconfig {
                        path: path.clone(),
                        message: e.to_string(),
                    })?,
            });
        }
        Ok(merged.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::{Clients, ConnectTimeouts};
    use crate::error::ExecutorError;

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: kind-demo
  cluster: {server: 'http://127.0.0.1:9'}
contexts:
- name: kind-demo
  context: {cluster: kind-demo, user: kind-demo}
users:
- name: kind-demo
  user: {token: not-a-secret}
current-context: kind-demo
";

    /// `<path>.lock`, as kind and client-go name their writer lock.
    fn lock_of(path: &std::path::Path) -> std::path::PathBuf {
        let mut lock = path.to_path_buf().into_os_string();
        lock.push(".lock");
        lock.into()
    }

    #[tokio::test]
    async fn a_kubeconfig_being_written_is_read_once_its_writer_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        // What a reader sees between kind's truncate and its write, under its lock.
        std::fs::write(lock_of(&path), "").unwrap();
        std::fs::write(&path, "").unwrap();
        let clients = Clients::new(Some(&path), ConnectTimeouts::default());
        let writer = {
            let path = path.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(80)).await;
                std::fs::write(&path, KUBECONFIG).unwrap();
                std::fs::remove_file(lock_of(&path)).unwrap();
            })
        };
        let api = clients.api("demo", "kind-demo").await;
        writer.await.unwrap();
        assert!(api.is_ok(), "the context written under the lock is found");
        assert_eq!(clients.built().await, 1);
    }

    #[tokio::test]
    async fn a_lock_left_behind_is_waited_for_only_a_moment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        std::fs::write(lock_of(&path), "").unwrap();
        std::fs::write(&path, KUBECONFIG).unwrap();
        let clients = Clients::new(Some(&path), ConnectTimeouts::default());
        let started = std::time::Instant::now();
        assert!(clients.api("demo", "kind-demo").await.is_ok());
        let waited = started.elapsed();
        assert!(
            waited >= super::KUBECONFIG_LOCK_WAIT && waited < 3 * super::KUBECONFIG_LOCK_WAIT,
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn a_context_that_never_appears_is_reported_with_the_ones_there_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, KUBECONFIG).unwrap();
        let clients = Clients::new(Some(&path), ConnectTimeouts::default());
        match clients.api("demo3", "kind-demo3").await {
            Err(ExecutorError::ContextMissing { context, known, .. }) => {
                assert_eq!(context, "kind-demo3");
                assert_eq!(known, vec!["kind-demo".to_string()]);
            }
            Err(other) => panic!("expected ContextMissing, got {other}"),
            Ok(_) => panic!("kind-demo3 is not in the kubeconfig"),
        }
    }
}
