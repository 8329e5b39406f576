//! `meshctl destroy`: delete what meshctl owns for the topology — kind clusters it created
//! whole, elsewhere its objects (dependents first) and helm releases. Objects meshctl does
//! not own are never touched; the state directory (the trust anchor) is kept.

use super::live::{confirm, lock_state, prepare, runtime, ClusterArgs, StateDirArg, WriteArgs};
use super::CliError;
use crate::output::live::{summary_human, Paint};
use meshctl_executor::PlainProgress;
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology whose objects to delete.
    #[arg(value_name = "FILE")]
    file: String,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[command(flatten)]
    state: StateDirArg,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(args: Args, paint: Paint) -> Result<ExitCode, CliError> {
    let mut live = prepare(&args.file, &args.cluster, args.state.state_dir.as_deref())?;
    live.options.lease = super::apply::lease_options("meshctl destroy", &args.write);
    let _lock = lock_state(&live.paths.state_dir, "destroy", &args.write)?;
    let clusters: Vec<String> = live
        .loaded
        .topology
        .spec
        .clusters
        .iter()
        .map(|c| format!("{} (context {})", c.name, c.context()))
        .collect();
    eprintln!(
        "meshctl will delete what it owns for topology {} in: {}.\nkind clusters it created are deleted whole (`kind delete cluster`); in existing clusters, the objects it applied and the helm releases it installed are removed. Objects it does not own are left alone. The state directory {} (the trust anchor) is kept.",
        live.name(),
        clusters.join(", "),
        live.paths.state_dir.display()
    );
    if !args.write.auto_approve && !confirm("Destroy?")? {
        eprintln!("Destroy cancelled; nothing was deleted.");
        return Ok(ExitCode::FAILURE);
    }
    let progress = PlainProgress::new(std::io::stderr());
    let (graph, options) = (&live.graph, &live.options);
    let (summary, interrupted) =
        runtime()?.block_on(super::apply::until_interrupted(|cancel| async move {
            meshctl_executor::destroy_until(graph, options, &progress, &cancel).await
        }))?;
    let Some(summary) = summary else {
        eprintln!("interrupted twice: deletions in flight were abandoned and the clusters' Leases are left to expire; run `meshctl destroy {}` again to finish", args.file);
        return Ok(ExitCode::from(130));
    };
    if super::apply::refused(&summary) && !interrupted {
        return Err(CliError::Live(format!(
            "cannot destroy: {}; nothing was deleted",
            summary.errors.join("; ")
        )));
    }
    let paint_err = Paint(paint.0 && std::io::stderr().is_terminal());
    eprint!("{}", summary_human(&summary, "Destroy", paint_err));
    if interrupted {
        return Ok(ExitCode::from(130));
    }
    Ok(if summary.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
