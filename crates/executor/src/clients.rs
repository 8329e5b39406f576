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
    pub connect: Duration,
    /// How long one response may take to arrive.
    pub read: Duration,
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
