//! Command-line interface: one module per subcommand.

mod certs;
mod graph;
mod inputs;
mod load;
mod plan;
mod render;
mod schema;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use inputs::read_inputs;

#[derive(Debug, Parser)]
#[command(
    name = "meshctl",
    version,
    about = "Declarative reconciler for multi-cluster Kubernetes service meshes"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check topology files and report every problem with its line and column.
    Validate(validate::Args),
    /// Show what apply would do, node by node, in apply order.
    Plan(plan::Args),
    /// Write the objects meshctl owns, per cluster, for GitOps repos or kubectl apply.
    Render(render::Args),
    /// Print the dependency graph (Graphviz dot or Mermaid).
    Graph(graph::Args),
    /// The mesh's shared trust anchor and issuer.
    Certs(certs::Args),
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
    #[error(transparent)]
    Invalid(#[from] load::InvalidTopology),
    #[error("{0}")]
    Graph(#[from] meshctl_core::graph::GraphError),
}

pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Render(args) => render::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Certs(args) => certs::run(args),
        Command::Schema => schema::run(),
    }
}
