//! `meshctl status`: each node in sync, drifted, missing or not ready, from one observe
//! pass; exit 0 only when everything is in sync.

use super::live::{
    json_text, prepare, print_report, runtime, ClusterArgs, ReportFormat, StateDirArg,
};
use super::CliError;
use crate::output::live::{status_human, Paint};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology to compare the clusters with.
    #[arg(value_name = "FILE")]
    file: String,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[command(flatten)]
    state: StateDirArg,
    #[arg(long, short, value_enum, default_value_t = ReportFormat::Human)]
    output: ReportFormat,
}

pub fn run(args: Args, paint: Paint) -> Result<ExitCode, CliError> {
    let live = prepare(&args.file, &args.cluster, args.state.state_dir.as_deref())?;
    let report = runtime()?.block_on(meshctl_executor::status(&live.graph, &live.options));
    let text = match args.output {
        ReportFormat::Human => status_human(&report, paint),
        ReportFormat::Json => json_text(&report, "status")?,
    };
    print_report(&text)?;
    Ok(if report.all_in_sync() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
