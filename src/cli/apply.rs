//! `meshctl apply`: plan against the live clusters, show it, ask, then carry it out in
//! dependency order and print what happened.

use super::live::{confirm, lock_state, prepare, runtime, ClusterArgs, StateDirArg, WriteArgs};
use super::CliError;
use crate::output::ignore_broken_pipe;
use crate::output::live::{plan_human, summary_human, Paint};
use meshctl_executor::progress::TerminalProgress;
use meshctl_executor::{PlainProgress, ProgressSink};
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
    let _lock = lock_state(&live.paths.state_dir, "apply", &args.write)?;
    let runtime = runtime()?;
    let plan = runtime.block_on(meshctl_executor::plan(&live.graph, &live.options));
    let mut stdout = std::io::stdout().lock();
    ignore_broken_pipe(stdout.write_all(plan_human(&plan, args.verbose, paint).as_bytes()))?;
    drop(stdout);
    if !plan.preflight.is_empty() {
        // Nothing is created while a tool or the machine is not ready: say so before
        // asking anything.
        return Err(CliError::Live(format!(
            "cannot apply: {} problem(s) found before anything ran: {}",
            plan.preflight.len(),
            plan.preflight.join("; ")
        )));
    }
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
    let summary = runtime.block_on(async {
        tokio::select! {
            summary = meshctl_executor::apply(graph, &plan, options, progress.as_ref()) => Some(summary),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(summary) = summary else {
        // Every write meshctl makes is a whole-object server-side apply, so an interrupted
        // run leaves each object either as it was or as planned, and the next run
        // converges from whatever it finds.
        eprintln!("interrupted: requests in flight were abandoned; run `meshctl apply {}` again to converge", args.file);
        return Ok(ExitCode::from(130));
    };
    let paint_err = Paint(paint.0 && std::io::stderr().is_terminal());
    eprint!("{}", summary_human(&summary, "Apply", paint_err));
    Ok(if summary.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
