//! `meshctl status`: each node in sync, drifted, missing or not ready, from one observe
//! pass; exit 0 only when everything is in sync.

use super::live::{json_text, prepare, print_report, runtime, ReportArgs, ReportFormat};
use super::CliError;
use crate::output::live::{status_human, Paint};
use std::process::ExitCode;

/// Shared with the other report command (`live::ReportArgs`).
pub type Args = ReportArgs;

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
