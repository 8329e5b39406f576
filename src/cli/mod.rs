//! Command-line interface: one module per subcommand.

mod certs;
mod error;
mod graph;
mod inputs;
mod load;
mod plan;
mod render;
mod schema;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use error::CliError;

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
