//! `meshctl graph FILE -o dot|mermaid`: the dependency graph.

use super::load::load_valid;
use super::CliError;
use crate::output::graph::{dot, mermaid};
use clap::ValueEnum;
use meshctl_core::graph;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology whose graph to print.
    #[arg(value_name = "FILE")]
    file: String,
    /// Output format (`--format` is the older spelling).
    #[arg(long = "output", short = 'o', visible_alias = "format", value_enum, default_value_t = Format::Dot)]
    format: Format,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let topology = load_valid(&args.file)?;
    let t = &topology.loaded.topology;
    let paths = graph::Paths::for_file(std::path::Path::new(&args.file), t, None);
    let graph = graph::build(t, &paths)?;
    let text = match args.format {
        Format::Dot => dot(&graph),
        Format::Mermaid => mermaid(&graph),
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
