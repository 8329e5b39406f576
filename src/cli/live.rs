//! What the commands that talk to clusters share (plan, apply, status, destroy, check):
//! their cluster flags, the topology → graph → executor options step, the async runtime
//! and the state-directory lock.

use super::load::load_valid;
use super::CliError;
use meshctl_certs::lock::{self, LockError, StateLock};
use meshctl_core::graph::{self, Graph, NodeId, Paths};
use meshctl_core::topology::LoadedTopology;
use meshctl_executor::{ConnectTimeouts, ExecutorOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Flags of every command that reads or writes clusters.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Kubeconfig to read contexts from (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// How many nodes run at once in each cluster (each cluster's API server answers its
    /// own requests, so clusters do not share the cap), and how many external tool
    /// processes (kind, helm, linkerd, kubectl) run at once in all (they share this
    /// machine's CPU). At most 256 nodes run at once in all clusters together.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// Time limit of one request to a cluster (connect and read).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,
    /// Time limit of one wait (CRD established, rollout, LoadBalancer address).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration)]
    pub wait_timeout: Duration,
    /// Only this node and what it depends on (repeatable; ids as `meshctl plan` shows
    /// them, e.g. `demo/test/TrafficSplit/podinfo`). Nothing is pruned then.
    #[arg(long = "target", value_name = "NODE")]
    pub targets: Vec<String>,
}

/// A valid topology with its graph and the options to run it with.
pub struct LiveTopology {
    pub loaded: LoadedTopology,
    pub paths: Paths,
    pub graph: Graph,
    pub options: ExecutorOptions,
}

impl LiveTopology {
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.loaded.topology.metadata.name
    }
}

/// Loads and validates `file` (its problems printed as `validate` prints them), builds
/// the graph and the executor options.
pub fn prepare(
    file: &str,
    args: &ClusterArgs,
    state_dir: Option<&Path>,
) -> Result<LiveTopology, CliError> {
    let valid = load_valid(file)?;
    let loaded = valid.loaded;
    let paths = Paths::for_file(Path::new(file), &loaded.topology, state_dir);
    let graph = graph::build(&loaded.topology, &paths)?;
    let mut options = ExecutorOptions::new(loaded.topology.metadata.name.clone());
    options.kubeconfig = args.kubeconfig.clone();
    options.parallelism = usize::from(args.parallelism);
    options.timeouts.connection = ConnectTimeouts {
        connect: args.request_timeout,
        read: args.request_timeout,
        write: args.request_timeout,
    };
    options.timeouts.wait = args.wait_timeout;
    options.targets = targets(&graph, &args.targets)?;
    Ok(LiveTopology {
        loaded,
        paths,
        graph,
        options,
    })
}

/// `--target` ids, each checked to be a node of the graph.
fn targets(graph: &Graph, wanted: &[String]) -> Result<Vec<NodeId>, CliError> {
    wanted
        .iter()
        .map(|id| {
            let id = NodeId(id.clone());
            if graph.node(&id).is_some() {
                return Ok(id);
            }
            let close: Vec<String> = graph
                .nodes()
                .map(|n| n.id.0.clone())
                .filter(|n| strsim::jaro_winkler(n, &id.0) > 0.85)
                .take(3)
                .collect();
            let hint = if close.is_empty() {
                "`meshctl plan --offline FILE` lists every node id".to_string()
            } else {
                format!("did you mean {}?", close.join(", "))
            };
            Err(CliError::Live(format!(
                "--target {id}: no such node; {hint}"
            )))
        })
        .collect()
}

/// The runtime the executor runs on (the CLI itself stays synchronous).
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Live(format!("cannot start the async runtime: {e}")))
}

/// Output of the commands that report on clusters (status, check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One line per node or check, for people.
    Human,
    /// One JSON document, for machines.
    Json,
}

/// The arguments of the commands that report on clusters without changing them (status,
/// check): one struct, so the two cannot drift apart.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The topology whose clusters to read.
    #[arg(value_name = "FILE")]
    pub file: String,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub state: StateDirArg,
    /// Output format (stdout). With `json`, a failure before the report prints an error
    /// document instead.
    #[arg(long, short, value_enum, default_value_t = ReportFormat::Human)]
    pub output: ReportFormat,
}

impl ReportArgs {
    /// The topology file when the report is JSON (see `cli::run`'s error document).
    pub fn json_file(&self) -> Option<&str> {
        (self.output == ReportFormat::Json).then_some(self.file.as_str())
    }
}

/// Pretty JSON of a report, newline-terminated.
pub fn json_text<T: serde::Serialize>(report: &T, what: &str) -> Result<String, CliError> {
    let mut json = serde_json::to_string_pretty(report)
        .map_err(|e| CliError::Live(format!("cannot print the {what}: {e}")))?;
    json.push('\n');
    Ok(json)
}

/// Writes a finished report to stdout in one piece (a closed pipe is not an error).
pub fn print_report(text: &str) -> Result<(), CliError> {
    crate::output::ignore_broken_pipe(std::io::stdout().lock().write_all(text.as_bytes()))?;
    Ok(())
}

/// `--state-dir`, for the commands that have no other use for it.
#[derive(Debug, Clone, clap::Args)]
pub struct StateDirArg {
    /// Where meshctl keeps the mesh's certificates and its lock (default
    /// `.meshctl/<topology name>/` beside the topology).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Flags of the commands that write (apply, destroy).
#[derive(Debug, Clone, clap::Args)]
pub struct WriteArgs {
    /// Do not ask for confirmation (for CI). Without it, apply and destroy show the plan
    /// and ask, and refuse when stdin is not a terminal.
    #[arg(long)]
    pub auto_approve: bool,
    /// Wait this long for another meshctl run on the same topology to finish, then
    /// refuse naming it.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = humantime::parse_duration)]
    pub lock_timeout: Duration,
    /// Remove a lock left by a run that no longer exists (meshctl never breaks one by
    /// itself). Only when you are sure no other run is going on.
    #[arg(long)]
    pub force_unlock: bool,
}

/// Takes the state directory's lock for the length of a write, so two runs on the same
/// topology from this machine never interleave.
pub fn lock_state(
    state_dir: &Path,
    command: &str,
    args: &WriteArgs,
) -> Result<StateLock, CliError> {
    if args.force_unlock {
        match lock::force_unlock(state_dir) {
            Ok(Some(Ok(holder))) => eprintln!("note: removed the lock held by {holder}"),
            Ok(Some(Err(unreadable))) => {
                eprintln!("note: removed an unreadable lock ({unreadable})")
            }
            Ok(None) => {}
            Err(e) => return Err(lock_error(e)),
        }
    }
    if let Err(e) = std::fs::create_dir_all(state_dir) {
        return Err(CliError::Live(format!(
            "cannot create the state directory {}: {e}",
            state_dir.display()
        )));
    }
    lock::acquire(state_dir, &format!("meshctl {command}"), args.lock_timeout).map_err(lock_error)
}

fn lock_error(e: LockError) -> CliError {
    let hint = match &e {
        LockError::Held { .. } => "; wait for it to finish, or pass --lock-timeout to wait longer",
        LockError::Stale { .. } => {
            "; if no meshctl run is going on, pass --force-unlock to remove the lock"
        }
        _ => "",
    };
    CliError::Live(format!("{e}{hint}"))
}

/// Asks "yes?" on the terminal. `Ok(false)` when the user said anything else; an error
/// when there is no terminal to ask on.
pub fn confirm(question: &str) -> Result<bool, CliError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CliError::Live(
            "confirmation needed but stdin is not a terminal; re-run with --auto-approve to proceed without asking".into(),
        ));
    }
    let mut stderr = std::io::stderr().lock();
    write!(stderr, "{question}\n  Only 'yes' will be accepted: ")?;
    stderr.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
