//! `meshctl plan`: what apply would do. Offline (no cluster), or between two revisions of
//! a topology with `--base`.

use super::certs;
use super::load::load_valid;
use super::CliError;
use crate::output::plan as render_plan;
use clap::ValueEnum;
use meshctl_core::graph::{self, Graph};
use meshctl_core::plan::{self, Plan};
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    /// The plan document (docs/plan.md describes it).
    Json,
    /// Only the changes, for a pull-request comment.
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The topology to plan.
    #[arg(value_name = "FILE")]
    file: String,
    /// Compare with this earlier revision of the topology instead of live clusters (an
    /// empty file means "nothing existed before").
    #[arg(long, value_name = "OLD")]
    base: Option<String>,
    /// Do not contact any cluster: every node is shown as created.
    #[arg(long)]
    offline: bool,
    #[arg(long, short, value_enum, default_value_t = Format::Human)]
    output: Format,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error (Terraform's
    /// convention).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Where the mesh certificates are kept (default `.meshctl/<topology name>/`).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// Warn when a mesh certificate expires within this long.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = humantime::parse_duration)]
    cert_warn: std::time::Duration,
}

/// The graph of a base revision; an empty file is the empty topology.
fn base_graph(file: &str) -> Result<Option<Graph>, CliError> {
    if file != "-" {
        let bytes = std::fs::read(file)
            .map_err(|e| CliError::Usage(format!("cannot read base {file}: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
    }
    let base = load_valid(file)?;
    Ok(Some(graph::build(&base.loaded.topology)?))
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let topology = load_valid(&args.file)?;
    let t = &topology.loaded.topology;
    let graph = graph::build(t)?;
    let plan: Plan = match &args.base {
        Some(base) => {
            let old = match base_graph(base)? {
                Some(g) => g,
                None => Graph::empty(),
            };
            let limit = t.spec.policy.as_ref().and_then(|p| p.max_weight_change);
            plan::compare(&t.metadata.name, &old, &graph, limit)
        }
        None => {
            if !args.offline {
                eprintln!("note: planning against live clusters is not available yet; showing the offline plan (pass --offline to silence this note)");
            }
            plan::offline(&t.metadata.name, &graph)
        }
    };
    let mut plan = plan;
    for warning in certs::plan_warnings(
        &args.file,
        &topology,
        args.state_dir.as_deref(),
        args.cert_warn,
    ) {
        // The human plan lists its warnings itself; machine formats get them on stderr too.
        if args.output != Format::Human {
            eprintln!("warning[W074]: {warning}");
        }
        plan.warnings.push(
            meshctl_core::Diagnostic::warning("W074", "spec.mesh.linkerd", warning)
                .with_hint("run `meshctl certs rotate-issuer` and apply"),
        );
    }
    let mut stdout = std::io::stdout().lock();
    match args.output {
        Format::Human => stdout.write_all(render_plan::human(&plan, &topology.name).as_bytes())?,
        Format::Markdown => {
            stdout.write_all(render_plan::markdown(&plan, &topology.name).as_bytes())?
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut stdout, &plan).map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
