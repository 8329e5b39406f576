//! Command-line interface: one module per subcommand.

mod apply;
mod certs;
mod check;
mod destroy;
mod error;
mod files;
mod graph;
mod inputs;
mod live;
mod load;
mod plan;
mod render;
mod schema;
mod status;
mod validate;

use clap::{Parser, Subcommand};
use codespan_reporting::term::termcolor::ColorChoice;
use std::io::{IsTerminal, Write};
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
    /// No colours (also: the NO_COLOR environment variable, or output that is not a
    /// terminal).
    #[arg(long, global = true)]
    no_color: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check topology files and report every problem with its line and column.
    Validate(validate::Args),
    /// Show what apply would do, node by node, in apply order.
    Plan(plan::Args),
    /// Create or converge everything the topology declares, in dependency order.
    Apply(apply::Args),
    /// Per node: in sync, drifted, missing or not ready (exit 0 only when all in sync).
    Status(status::Args),
    /// Prove the mesh works: control plane, gateways, links, mirrors, splits, trust.
    Check(check::Args),
    /// Delete what meshctl owns for the topology.
    Destroy(destroy::Args),
    /// Write the objects meshctl owns, per cluster, for GitOps repos or kubectl apply.
    Render(render::Args),
    /// Print the dependency graph (Graphviz dot or Mermaid).
    Graph(graph::Args),
    /// The mesh's shared trust anchor and issuer.
    Certs(certs::Args),
    /// Print the JSON Schema of the topology format.
    Schema,
}

impl Command {
    /// The FILE of a command asked for `-o json`, whose failures print an error document.
    fn json_file(&self) -> Option<&str> {
        match self {
            Command::Plan(args) => args.json_file(),
            Command::Status(args) | Command::Check(args) => args.json_file(),
            Command::Certs(args) => args.json_file(),
            // validate reports unreadable and invalid files in its own document.
            _ => None,
        }
    }
}

/// Runs the command. With `-o json`, a failure before the report (file missing, invalid
/// topology, cluster unreachable) still leaves one JSON document on stdout, so a script
/// piping into `jq` reads an error instead of nothing; people read the message on stderr.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let json_file = cli.command.json_file().map(str::to_string);
    let result = dispatch(cli);
    if let (Some(file), Err(error)) = (json_file, &result) {
        let stdout_closed =
            matches!(error, CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe);
        if !error.report_printed() && !stdout_closed {
            let diagnostics = match error {
                CliError::Invalid(invalid) => {
                    crate::output::json::diagnostics(&[crate::output::FileReport {
                        name: invalid.file.clone(),
                        source: None,
                        diagnostics: invalid.diagnostics.clone(),
                        omitted_errors: 0,
                        omitted_warnings: 0,
                    }])
                }
                _ => Vec::new(),
            };
            let document = crate::output::json::error_document(
                error.kind(),
                &error.to_string(),
                &file,
                diagnostics,
            );
            let _ = writeln!(std::io::stdout(), "{document:#}");
        }
    }
    result
}

fn dispatch(cli: Cli) -> Result<ExitCode, CliError> {
    if cli.no_color {
        crate::output::disable_color();
    }
    let paint = crate::output::live::Paint(
        !cli.no_color
            && crate::output::color_choice(std::io::stdout().is_terminal()) != ColorChoice::Never,
    );
    match cli.command {
        Command::Apply(args) => apply::run(args, paint),
        Command::Status(args) => status::run(args, paint),
        Command::Check(args) => check::run(args, paint),
        Command::Destroy(args) => destroy::run(args, paint),
        Command::Validate(args) => validate::run(args),
        Command::Plan(args) => plan::run(args, paint),
        Command::Render(args) => render::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Certs(args) => certs::run(args),
        Command::Schema => schema::run(),
    }
}
