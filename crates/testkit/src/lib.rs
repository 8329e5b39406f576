//! meshctl-testkit: an in-memory Kubernetes API server for tests, and a kubeconfig writer.
//!
//! [`FakeCluster`] serves the API surface a reconciler and `kubectl` use — discovery, GET,
//! LIST with selectors, create/update/delete, server-side apply with managedFields and
//! conflicts, JSON merge patch, `dryRun=All`, the status subresource, CRDs with schema
//! validation, server defaults — over plain HTTP on 127.0.0.1, on its own thread, so sync
//! tests, async tests and subprocesses (the meshctl binary, kubectl) can all talk to it.
//! Tests control it through a request log, fault injection and opt-in simulated controllers.
//! Its fidelity is checked against the real `kubectl` in `tests/fidelity`.
//!
//! This crate is only a dev-dependency: the shipped `meshctl` binary never links it.
//!
//! Known differences from a real server: watches have no history (they start from the
//! current state and report changes found by polling every 50 ms), no authentication,
//! deletion is immediate (finalizers and graceful deletion are ignored, a Namespace takes its
//! objects with it at once), strategic merge patch is treated as JSON merge patch, JSON patch
//! is refused (415), protobuf bodies are accepted only for the Secret/ConfigMap/Namespace/
//! ServiceAccount that `kubectl create` sends, built-in kinds have no schema (so
//! `fieldValidation=Strict` is enforced for custom resources only), OpenAPI documents are
//! minimal (enough for kubectl's checks), and no `kubernetes` Service, default
//! ServiceAccounts or `kube-root-ca.crt` ConfigMaps exist.

#![deny(missing_docs)]

pub mod apply;
mod controllers;
mod defaults;
pub mod discovery;
mod error;
mod faults;
pub mod fieldpath;
pub mod kubeconfig;
mod protobuf;
mod schema;
pub mod selectors;
mod server;
mod store;
mod table;
pub mod tools;
mod util;
mod watch;

pub use error::{ApiError, Cause};
pub use faults::{FaultEffect, FaultRule, Faults};

use serde_json::Value;
use server::{lock, Shared};
use std::sync::{Arc, Mutex};
use store::{Endpoint, State, WriteOptions};

/// How a fake cluster behaves.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Service CIDR Services get their clusterIP from (default `10.96.0.0/12`).
    pub service_subnet: String,
    /// Run the simulated controllers (LoadBalancer IPs, ready workloads, token Secrets).
    pub controllers: bool,
    /// `gitVersion` served at `/version` (default `v1.24.7`).
    pub version: String,
    /// Seed for uids and generated names.
    pub seed: u64,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            service_subnet: "10.96.0.0/12".into(),
            controllers: false,
            version: "v1.24.7".into(),
            seed: 1,
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Raw query string (not decoded).
    pub query: String,
    /// Request body, if any.
    pub body: Option<String>,
    /// The field manager of a mutating request (`fieldManager`, else the User-Agent's first token).
    pub field_manager: Option<String>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// Response status (0 when the connection was dropped).
    pub status: u16,
    /// Whether stored state changed.
    pub changed: bool,
}

impl RecordedRequest {
    /// A mutating verb (POST/PUT/PATCH/DELETE) that was not a dry run.
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") && !self.dry_run
    }
}

/// One in-memory API server on `127.0.0.1:<random port>`. Runs on its own thread with its own tokio
/// runtime, so sync tests, `#[tokio::test]`s and subprocesses (the meshctl binary, kubectl) can
/// all use it. Stops when dropped.
pub struct FakeCluster {
    name: String,
    url: String,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeCluster {
    /// Starts a server with default options.
    pub fn start(name: &str) -> std::io::Result<FakeCluster> {
        FakeCluster::start_with(name, ServerOptions::default())
    }

    /// Starts a server with these options.
    pub fn start_with(name: &str, options: ServerOptions) -> std::io::Result<FakeCluster> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(name, options)),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(faults::FaultState::new(Faults::default())),
            in_flight: server::InFlight::default(),
        });
        let (tx, rx) = tokio::sync::watch::channel(false);
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fake-apiserver-{name}"))
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => server::serve(listener, thread_shared, rx).await,
                        Err(e) => eprintln!("fake-apiserver: cannot listen: {e}"),
                    }
                });
            })?;
        Ok(FakeCluster {
            name: name.to_string(),
            url: format!("http://127.0.0.1:{port}"),
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The name it was started with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the recorded requests (and the high-water mark of [`FakeCluster::most_in_flight`]).
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
        self.shared
            .in_flight
            .most
            .store(0, std::sync::atomic::Ordering::SeqCst);
    }

    /// The most requests this server was answering at once since the log was last
    /// cleared: a client that sends one request at a time shows 1. A watch counts until
    /// its stream starts.
    pub fn most_in_flight(&self) -> usize {
        self.shared
            .in_flight
            .most
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Requests that changed stored state (a no-op server-side apply is NOT counted).
    pub fn writes(&self) -> usize {
        lock(&self.shared.log).iter().filter(|r| r.changed).count()
    }

    /// Mutating requests that were not dry runs (POST/PUT/PATCH/DELETE), changed or not.
    pub fn write_requests(&self) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.is_write())
            .count()
    }

    /// Requests with `dryRun=All`.
    pub fn dry_runs(&self) -> usize {
        lock(&self.shared.log).iter().filter(|r| r.dry_run).count()
    }

    /// The current global resourceVersion counter.
    pub fn resource_version(&self) -> u64 {
        lock(&self.shared.state).resource_version
    }

    /// The stored object, as the server would return it on GET (with managedFields etc.).
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let state = lock(&self.shared.state);
        let rt = state.find_kind(api_version, kind)?;
        state.get(&rt, namespace, name).ok()
    }

    /// Every stored object of a kind (all namespaces).
    pub fn objects(&self, api_version: &str, kind: &str) -> Vec<Value> {
        let state = lock(&self.shared.state);
        let Some(rt) = state.find_kind(api_version, kind) else {
            return Vec::new();
        };
        let list = state.list(&rt, None, &Default::default(), &Default::default());
        list["items"].as_array().cloned().unwrap_or_default()
    }

    fn resolve(
        state: &State,
        object: &Value,
    ) -> Result<(discovery::ResourceType, Option<String>, String), ApiError> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let rt = state.find_kind(api_version, kind).ok_or_else(|| {
            ApiError::new(
                404,
                "NotFound",
                format!("the server doesn't have a resource type for {api_version}/{kind}"),
            )
        })?;
        let ns = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_string);
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Ok((rt, ns, name))
    }

    fn apply_with(&self, manager: &str, object: Value, force: bool) -> Result<Value, ApiError> {
        let mut state = lock(&self.shared.state);
        let (rt, ns, name) = FakeCluster::resolve(&state, &object)?;
        let opts = WriteOptions {
            dry_run: false,
            manager: manager.to_string(),
            explicit_manager: true,
            force,
            strict: false,
        };
        Ok(state
            .server_side_apply(&rt, ns.as_deref(), &name, object, Endpoint::Main, &opts)?
            .body)
    }

    /// Stores an object as if field manager `manager` had applied it with server-side apply
    /// (without `force`, so it can conflict). The namespace must exist, as on a real server.
    /// Not recorded in the request log.
    pub fn apply_as(&self, manager: &str, object: Value) -> Result<Value, ApiError> {
        self.apply_with(manager, object, false)
    }

    /// Like [`FakeCluster::apply_as`] with `force=true`: takes conflicting fields over.
    pub fn force_apply_as(&self, manager: &str, object: Value) -> Result<Value, ApiError> {
        self.apply_with(manager, object, true)
    }

    /// An Update operation by `manager` (PUT-like: the object replaces the stored one, or is
    /// created): simulates hand edits, e.g. `kubectl edit` is manager `kubectl-edit`.
    /// Not recorded in the request log.
    pub fn update_as(&self, manager: &str, object: Value) -> Result<Value, ApiError> {
        let mut state = lock(&self.shared.state);
        let (rt, ns, name) = FakeCluster::resolve(&state, &object)?;
        let opts = WriteOptions {
            dry_run: false,
            manager: manager.to_string(),
            explicit_manager: true,
            force: false,
            strict: false,
        };
        let exists = state.get(&rt, ns.as_deref(), &name).is_ok();
        let outcome = if exists {
            state.replace(&rt, ns.as_deref(), &name, object, Endpoint::Main, &opts)?
        } else {
            state.create(&rt, ns.as_deref(), object, &opts)?
        };
        Ok(outcome.body)
    }

    /// Deletes an object; false when it did not exist. Not recorded in the request log.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let mut state = lock(&self.shared.state);
        let Some(rt) = state.find_kind(api_version, kind) else {
            return false;
        };
        state.delete(&rt, namespace, name, false).is_ok()
    }

    /// Replaces the fault rules.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults::FaultState::new(faults);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.set_faults(Faults::default());
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for FakeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCluster")
            .field("name", &self.name)
            .field("url", &self.url)
            .finish()
    }
}
