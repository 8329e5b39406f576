//! `meshctl apply`: plan against the live clusters, show it, ask, then carry it out in
//! dependency order and print what happened.

use super::live::{confirm, lock_state, prepare, runtime, ClusterArgs, StateDirArg, WriteArgs};
use super::CliError;
use crate::output::ignore_broken_pipe;
use crate::output::live::{plan_human, summary_human, Paint};
use meshctl_executor::progress::TerminalProgress;
use meshctl_executor::{CancellationToken, LeaseOptions, PlainProgress, ProgressSink, Session};
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology to apply.
    #[arg(value_name = "FILE")]
    file: String,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[command(flatten)]
    state: StateDirArg,
    #[command(flatten)]
    write: WriteArgs,
    /// Take over fields other field managers own on objects meshctl does not own yet
    /// (without it, such conflicts fail naming the manager).
    #[arg(long)]
    force_conflicts: bool,
    /// Show unchanged nodes in the plan too.
    #[arg(long, short)]
    verbose: bool,
}

pub fn run(args: Args, paint: Paint) -> Result<ExitCode, CliError> {
    let mut live = prepare(&args.file, &args.cluster, args.state.state_dir.as_deref())?;
    live.options.force_conflicts = args.force_conflicts;
    live.options.lease = lease_options("meshctl apply", &args.write);
    let _lock = lock_state(&live.paths.state_dir, "apply", &args.write)?;
    let runtime = runtime()?;
    // One session for the plan and the apply: the apply reuses the plan's clients and
    // discovery (and, right after it, its proof that each cluster answers).
    let session = Session::new(&live.options);
    let plan = runtime.block_on(meshctl_executor::plan_with(
        &session,
        &live.graph,
        &live.options,
    ));
    if !plan.preflight.is_empty() {
        // Nothing is created while a tool or the machine is not ready: say so once, before
        // asking anything, and without a plan whose every node would read "unknown" (the
        // missing tools are what tells). `meshctl plan` still shows it.
        let count = plan.preflight.len();
        return Err(CliError::Live(format!(
            "cannot apply: {count} problem{} found before anything ran (nothing was created):\n{}\n\
             Fix them and run the same command again (`meshctl plan {}` shows what it would do).",
            if count == 1 { "" } else { "s" },
            plan.preflight
                .iter()
                .map(|p| format!("  - {p}"))
                .collect::<Vec<_>>()
                .join("\n"),
            args.file
        )));
    }
    let mut stdout = std::io::stdout().lock();
    ignore_broken_pipe(stdout.write_all(plan_human(&plan, args.verbose, paint).as_bytes()))?;
    drop(stdout);
    if !plan.has_changes() {
        return Ok(ExitCode::SUCCESS);
    }
    if !args.write.auto_approve
        && !confirm(&format!(
            "Apply these changes to the clusters of {}?",
            live.name()
        ))?
    {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(ExitCode::FAILURE);
    }
    // A live view on a terminal; one plain line per event in CI logs.
    let progress: Box<dyn ProgressSink> = if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::new())
    } else {
        Box::new(PlainProgress::new(std::io::stderr()))
    };
    let graph = &live.graph;
    let options = &live.options;
    let session = &session;
    let (summary, interrupted) = runtime.block_on(until_interrupted(|cancel| async move {
        meshctl_executor::apply_with(session, graph, &plan, options, progress.as_ref(), &cancel)
            .await
    }))?;
    let Some(summary) = summary else {
        // Every write meshctl makes is a whole-object server-side apply, so an abandoned
        // run leaves each object either as it was or as planned, and the next run
        // converges from whatever it finds.
        eprintln!("interrupted twice: requests in flight were abandoned and the clusters' Leases are left to expire; run `meshctl apply {}` again to converge", args.file);
        return Ok(ExitCode::from(130));
    };
    if refused(&summary) && !interrupted {
        return Err(CliError::Live(format!(
            "cannot apply: {}; nothing was written",
            summary.errors.join("; ")
        )));
    }
    let paint_err = Paint(paint.0 && std::io::stderr().is_terminal());
    eprint!("{}", summary_human(&summary, "Apply", paint_err));
    if interrupted {
        eprintln!(
            "interrupted: the nodes that were running finished; run `meshctl apply {}` again to converge",
            args.file
        );
        return Ok(ExitCode::from(130));
    }
    Ok(if summary.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Whether a run stopped before any node ran (another run holds a cluster's Lease):
/// then there is no summary to show, only why.
pub(super) fn refused(summary: &meshctl_executor::ApplySummary) -> bool {
    summary.nodes.is_empty() && summary.deleted.is_empty() && !summary.errors.is_empty()
}

/// The Lease settings of a writing command: `--lock-timeout` and `--force-unlock` apply
/// to the clusters' Leases as to the state directory's lock.
pub(super) fn lease_options(command: &str, write: &WriteArgs) -> LeaseOptions {
    LeaseOptions {
        wait: write.lock_timeout,
        force: write.force_unlock,
        holder: meshctl_executor::lease::default_holder(command),
        ..LeaseOptions::default()
    }
}

/// Runs `work` with a token the first SIGINT or SIGTERM cancels (the run winds down:
/// no new node, the running ones finish, the Leases are released) and returns its
/// result with whether that happened. A second signal abandons `work`: `None`.
pub(super) async fn until_interrupted<T, F, Fut>(work: F) -> Result<(Option<T>, bool), CliError>
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: Future<Output = T>,
{
    let cancel = CancellationToken::new();
    let mut signals = Signals::new()?;
    let work = work(cancel.clone());
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Ok((Some(done), cancel.is_cancelled())),
            _ = signals.next() => {
                if cancel.is_cancelled() {
                    return Ok((None, true));
                }
                cancel.cancel();
                eprintln!("interrupted: starting nothing new, waiting for what is running (interrupt again to abandon it)");
            }
        }
    }
}

/// SIGINT and SIGTERM (Ctrl-C where there are no Unix signals).
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals, CliError> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listen = |kind: SignalKind| {
                signal(kind).map_err(|e| {
                    CliError::Live(format!("cannot listen for interrupt signals: {e}"))
                })
            };
            Ok(Signals {
                interrupt: listen(SignalKind::interrupt())?,
                terminate: listen(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
