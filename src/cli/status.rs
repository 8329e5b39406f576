//! `meshctl status`: each node in sync, drifted, missing or not ready, from one observe
//! pass; exit 0 only when everything is in sync.

use super::live::{prepare, runtime, ClusterArgs, StateDirArg};
use super::CliError;
use crate::output::ignore_broken_pipe;
use crate::output::live::{status_human, Paint};
use clap::ValueEnum;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology to compare the clusters with.
    #[arg(value_name = "FILE")]
    file: String,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[command(flatten)]
    state: StateDirArg,
    #[arg(long, short, value_enum, default_value_t = Format::Human)]
    output: Format,
}

pub fn run(args: Args, paint: Paint) -> Result<ExitCode, CliError> {
    let live = prepare(&args.file, &args.cluster, args.state.state_dir.as_deref())?;
    let report = runtime()?.block_on(meshctl_executor::status(&live.graph, &live.options));
    let text = match args.output {
        Format::Human => status_human(&report, paint),
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::Live(format!("cannot print the status: {e}")))?;
            json.push('\n');
            json
        }
    };
    ignore_broken_pipe(std::io::stdout().lock().write_all(text.as_bytes()))?;
    Ok(if report.all_in_sync() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
