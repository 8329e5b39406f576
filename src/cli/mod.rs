//! Command-line interface: one module per subcommand.

mod inputs;
mod schema;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use inputs::read_inputs;

#[derive(Debug, Parser)]
#[command(name = "meshctl", version, about = "Declarative reconciler for multi-cluster Kubernetes service meshes")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check topology files and report every problem with its line and column.
    Validate(validate::Args),
    /// Print the JSON Schema of the topology format.
    Schema,
}

/// A failure that is not a diagnostic about a topology (I/O on output, bad flags that
/// clap cannot see).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Schema => schema::run(),
    }
}
