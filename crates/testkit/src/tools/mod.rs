//! Fake `kind`, `helm`, `linkerd`, `linkerd-smi` and `kubectl` executables for black-box
//! tests of code that shells out to the real tools.
//!
//! [`FakeTools::install`] writes tiny Python 3 scripts into a directory meant to go first on
//! `PATH`, and starts a control server in the test process. Each script forwards its
//! arguments (and stdin, when it reads it) to that server, which answers with stdout, stderr
//! and an exit code. All behaviour is Rust, here:
//!
//! - `kind` starts a [`FakeCluster`] per cluster and merges its `kind-<name>` context into
//!   the kubeconfig, as kind does (module `kind`);
//! - `helm` stores releases as helm's Secrets and creates what the MetalLB and ingress-nginx
//!   charts create (module `helm`);
//! - `linkerd` (with `linkerd-smi`) renders what Linkerd stable-2.13 renders, refuses what
//!   it refuses, and reads a target cluster for `multicluster link` (module `linkerd`);
//! - `docker` knows `network inspect|ls|create` over a table of networks (`kind` with
//!   [`FakeToolOptions::docker_subnet`], or none until created; docker's `bridge`), refusing
//!   overlapping subnets as docker does (module `docker`);
//! - `ip` lists [`FakeToolOptions::local_addresses`] for `ip -json address show` (module `ip`);
//! - `kubectl` only knows `version --client` and `kustomize DIR` (module `kubectl`);
//! - a simulated service mirror copies exported Services between linked fake clusters
//!   (module `mirror`), since no real controller runs.
//!
//! Behaviour follows `shared/reference/linkerd-multicluster-facts.md`; where that is silent,
//! the real CLIs' flags and messages.

mod args;
mod certs;
mod control;
mod crds;
mod docker;
mod helm;
mod ip;
mod kind;
mod kubeconfig;
mod kubectl;
mod linkerd;
mod mirror;
mod output;
mod scripts;
mod store;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::FakeCluster;

/// What the fake tools report about themselves and which of them fail on purpose.
#[derive(Debug, Clone)]
pub struct FakeToolOptions {
    /// `linkerd version --client --short` (and image tags): `stable-2.13.3`.
    pub linkerd_version: String,
    /// `kind version`: `v0.20.0`.
    pub kind_version: String,
    /// `helm version --short`: `v3.12.3+g3a31588`.
    pub helm_version: String,
    /// `linkerd-smi version --short` (and the adaptor image tag): `v0.2.1`.
    pub smi_version: String,
    /// The IPv4 subnet `docker network inspect kind` shows: `172.18.0.0/16`, where kind's
    /// network usually is (the example's).
    pub docker_subnet: String,
    /// Whether the `kind` network exists from the start (true); without it, `docker
    /// network create` makes networks as docker does.
    pub kind_network: bool,
    /// The subnet of docker's default `bridge` network: `172.17.0.0/16`, docker's default.
    pub docker_bridge_subnet: String,
    /// The MTU option docker's default `bridge` network shows: `Some(1500)`, as docker
    /// shows it; hosts with smaller links set less.
    pub docker_bridge_mtu: Option<u32>,
    /// This machine's addresses as `ip -json address show` lists them: loopback and the
    /// walkthrough's host address `192.168.1.61` (the example's `apiServerAddress`).
    pub local_addresses: Vec<String>,
    /// Faults every cluster the fake kind creates serves with from its start (the
    /// cluster's [`FakeCluster::set_faults`]; clear them through [`FakeTools::cluster`]).
    pub cluster_faults: Option<crate::Faults>,
    /// Tools not written at all (to test preflight checks), e.g. `"linkerd-smi"`.
    pub missing: Vec<String>,
    /// Calls that fail on purpose, checked before any behaviour runs.
    pub fail: Vec<ToolFailure>,
}

impl Default for FakeToolOptions {
    fn default() -> Self {
        FakeToolOptions {
            linkerd_version: "stable-2.13.3".into(),
            kind_version: "v0.20.0".into(),
            helm_version: "v3.12.3+g3a31588".into(),
            smi_version: "v0.2.1".into(),
            docker_subnet: "172.18.0.0/16".into(),
            kind_network: true,
            docker_bridge_subnet: "172.17.0.0/16".into(),
            docker_bridge_mtu: Some(1500),
            local_addresses: vec!["127.0.0.1".into(), "::1".into(), "192.168.1.61".into()],
            cluster_faults: None,
            missing: Vec::new(),
            fail: Vec::new(),
        }
    }
}

/// A call that fails on purpose: `tool` invoked with arguments whose space-joined text
/// contains `args_contains` exits with `exit_code`, printing `stderr`.
#[derive(Debug, Clone)]
pub struct ToolFailure {
    /// The tool's name (`"helm"`).
    pub tool: String,
    /// A substring of the space-joined arguments (`"upgrade --install"`); empty matches all.
    pub args_contains: String,
    /// The exit code to return.
    pub exit_code: i32,
    /// What to print on stderr.
    pub stderr: String,
}

impl ToolFailure {
    /// A failure rule; see the fields.
    pub fn new(tool: &str, args_contains: &str, exit_code: i32, stderr: &str) -> ToolFailure {
        ToolFailure {
            tool: tool.into(),
            args_contains: args_contains.into(),
            exit_code,
            stderr: stderr.into(),
        }
    }
}

/// One recorded invocation of a fake tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The tool's name (`"linkerd"`, `"linkerd-smi"`, …).
    pub tool: String,
    /// Its arguments, without the program name.
    pub args: Vec<String>,
}

/// The installed fake tools. Dropping it stops the control server, the simulated service
/// mirror and every cluster the fake kind created.
pub struct FakeTools {
    // Field order is drop order: stop the mirror and the server before the clusters go.
    // The mirror is held only for its Drop, which stops the thread.
    _mirror: mirror::MirrorLoop,
    control: control::ControlServer,
    shared: Arc<Shared>,
    bin_dir: PathBuf,
}

impl FakeTools {
    /// Starts the control server and writes the executables (all but `options.missing`)
    /// into `bin_dir`, which must exist.
    pub fn install(bin_dir: &Path, options: FakeToolOptions) -> io::Result<FakeTools> {
        let shared = Arc::new(Shared {
            options,
            calls: Mutex::new(Vec::new()),
            clusters: Mutex::new(BTreeMap::new()),
            helm_repos: Mutex::new(BTreeMap::new()),
            kubeconfig_edit: Mutex::new(()),
            docker_networks: Mutex::new(BTreeMap::new()),
        });
        docker::start(&shared);
        let control = control::ControlServer::start(shared.clone())?;
        for tool in scripts::TOOLS {
            if !shared.options.missing.iter().any(|m| m == tool) {
                scripts::write(bin_dir, tool, control.url())?;
            }
        }
        let mirror = mirror::MirrorLoop::start(shared.clone())?;
        Ok(FakeTools {
            _mirror: mirror,
            control,
            shared,
            bin_dir: bin_dir.to_path_buf(),
        })
    }

    /// The directory holding the executables.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// `PATH` with the bin directory first, for `Command::env("PATH", …)`.
    pub fn path_env(&self) -> OsString {
        let mut dirs = vec![self.bin_dir.clone()];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).unwrap_or_else(|_| self.bin_dir.clone().into_os_string())
    }

    /// The URL the scripts post to.
    pub fn control_url(&self) -> &str {
        self.control.url()
    }

    /// Every call so far, in the order the control server received them.
    pub fn calls(&self) -> Vec<ToolCall> {
        lock(&self.shared.calls).clone()
    }

    /// The calls of one tool.
    pub fn calls_of(&self, tool: &str) -> Vec<ToolCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.tool == tool)
            .collect()
    }

    /// A cluster the fake kind created (by kind name, e.g. `"demo"`), or one added with
    /// [`FakeTools::add_cluster`].
    pub fn cluster(&self, name: &str) -> Option<Arc<FakeCluster>> {
        lock(&self.shared.clusters).get(name).cloned()
    }

    /// The names of the clusters that exist now.
    pub fn cluster_names(&self) -> Vec<String> {
        lock(&self.shared.clusters).keys().cloned().collect()
    }

    /// Makes a cluster started by the test known to the fake tools, as if kind had created
    /// it under `name`: helm and linkerd reach it through any kubeconfig context whose
    /// server is its URL, and the service mirror serves its Links.
    pub fn add_cluster(&self, name: &str, cluster: FakeCluster) -> Arc<FakeCluster> {
        let cluster = Arc::new(cluster);
        lock(&self.shared.clusters).insert(name.to_string(), cluster.clone());
        cluster
    }
}

/// State shared by the control server, the tools and the mirror.
pub(crate) struct Shared {
    pub(crate) options: FakeToolOptions,
    calls: Mutex<Vec<ToolCall>>,
    /// Clusters by kind name.
    pub(crate) clusters: Mutex<BTreeMap<String, Arc<FakeCluster>>>,
    /// `helm repo add` entries: name → URL.
    pub(crate) helm_repos: Mutex<BTreeMap<String, String>>,
    /// Serialises kubeconfig edits (kind takes a file lock for the same reason).
    pub(crate) kubeconfig_edit: Mutex<()>,
    /// Docker networks by name.
    pub(crate) docker_networks: Mutex<BTreeMap<String, docker::Network>>,
}

impl Shared {
    /// The cluster serving `server` (a kubeconfig cluster's URL), with its kind name.
    pub(crate) fn cluster_at(&self, server: &str) -> Option<(String, Arc<FakeCluster>)> {
        let wanted = server.trim_end_matches('/');
        lock(&self.clusters)
            .iter()
            .find(|(_, c)| store::url(c).trim_end_matches('/') == wanted)
            .map(|(name, c)| (name.clone(), c.clone()))
    }

    pub(crate) fn all_clusters(&self) -> Vec<(String, Arc<FakeCluster>)> {
        lock(&self.clusters)
            .iter()
            .map(|(n, c)| (n.clone(), c.clone()))
            .collect()
    }
}

/// Locks a mutex, carrying on after a panic elsewhere (the data stays usable for a fake).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a script sends.
#[derive(Debug, Deserialize)]
pub(crate) struct Invocation {
    pub(crate) tool: String,
    pub(crate) args: Vec<String>,
    #[serde(default)]
    pub(crate) stdin: Option<String>,
    #[serde(default)]
    pub(crate) cwd: PathBuf,
    #[serde(default)]
    pub(crate) env: BTreeMap<String, String>,
}

impl Invocation {
    pub(crate) fn env(&self, key: &str) -> Option<&str> {
        self.env
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A path argument, relative to the caller's working directory.
    pub(crate) fn path(&self, path: &str) -> PathBuf {
        self.cwd.join(path)
    }

    /// The caller's `MESHCTL_SHARED_CRDS`, or the test process's own.
    pub(crate) fn shared_crds(&self) -> Option<String> {
        self.env("MESHCTL_SHARED_CRDS")
            .map(str::to_string)
            .or_else(|| std::env::var("MESHCTL_SHARED_CRDS").ok())
    }

    /// The first executable `name` on the caller's PATH.
    pub(crate) fn which(&self, name: &str) -> Option<PathBuf> {
        let path = self.env("PATH")?;
        std::env::split_paths(path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// What a script replays: output, exit code, or a program to exec instead.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Outcome {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) code: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) exec: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) exec_args: Vec<String>,
}

impl Outcome {
    pub(crate) fn out(stdout: impl Into<String>) -> Outcome {
        Outcome {
            stdout: stdout.into(),
            ..Outcome::default()
        }
    }

    pub(crate) fn fail(code: i32, stderr: impl Into<String>) -> Outcome {
        Outcome {
            stderr: stderr.into(),
            code,
            ..Outcome::default()
        }
    }

    pub(crate) fn with_stderr(mut self, stderr: impl Into<String>) -> Outcome {
        self.stderr = stderr.into();
        self
    }
}

/// Records the call, applies the failure rules, then runs the tool.
fn answer(shared: &Shared, invocation: Invocation) -> Outcome {
    lock(&shared.calls).push(ToolCall {
        tool: invocation.tool.clone(),
        args: invocation.args.clone(),
    });
    let joined = invocation.args.join(" ");
    if let Some(rule) = shared
        .options
        .fail
        .iter()
        .find(|rule| rule.tool == invocation.tool && joined.contains(&rule.args_contains))
    {
        return Outcome::fail(rule.exit_code, rule.stderr.clone());
    }
    match invocation.tool.as_str() {
        "kind" => kind::run(shared, &invocation),
        "helm" => helm::run(shared, &invocation),
        "linkerd" => linkerd::run(shared, &invocation),
        "linkerd-smi" => linkerd::smi::run(shared, &invocation),
        "kubectl" => kubectl::run(&invocation),
        "docker" => docker::run(shared, &invocation),
        "ip" => ip::run(shared, &invocation),
        other => Outcome::fail(127, format!("fake tools: no tool named {other}\n")),
    }
}

/// Names of kind clusters, sorted (as `kind get clusters` prints them).
pub(crate) fn sorted_names(names: impl IntoIterator<Item = String>) -> Vec<String> {
    names
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
