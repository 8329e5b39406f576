//! `meshctl check`: does the running mesh do what the topology says? Reads each cluster
//! once (core's `check::reads`), lets core decide, prints one line per check.

use super::live::{json_text, prepare, print_report, runtime, ReportArgs, ReportFormat};
use super::CliError;
use crate::output::live::{check_human, Paint};
use meshctl_certs::judge::X509Judge;
use meshctl_core::check::{self, CheckSummary};
use meshctl_core::graph::{Desired, ExternalAction};
use std::process::ExitCode;
use std::time::SystemTime;

/// Shared with the other report command (`live::ReportArgs`).
pub type Args = ReportArgs;

pub fn run(args: Args, paint: Paint) -> Result<ExitCode, CliError> {
    let live = prepare(&args.file, &args.cluster, args.state.state_dir.as_deref())?;
    let topology = &live.loaded.topology;
    let reads = check::reads(topology);
    let snapshot = runtime()?.block_on(meshctl_executor::inspect::snapshot(
        &reads,
        &check::clusters(topology),
        &live.options,
    ));
    // The topology's own anchor (generated into the state directory, or the user's
    // file): every cluster must run exactly that one.
    let anchor = live.graph.nodes().find_map(|node| match &node.desired {
        Desired::Action(ExternalAction::Certificates { trust_anchor, .. }) => {
            std::fs::read_to_string(trust_anchor.cert()).ok()
        }
        _ => None,
    });
    if anchor.is_none() && topology.spec.mesh.linkerd.is_some() {
        eprintln!("note: the topology's trust anchor is not on this machine (run `meshctl certs init {}`); clusters are only compared with each other", args.file);
    }
    let results = check::run(
        topology,
        &snapshot,
        anchor.as_deref(),
        &X509Judge::at(SystemTime::now()),
    );
    let text = match args.output {
        ReportFormat::Human => check_human(&results, paint),
        ReportFormat::Json => {
            let document = serde_json::json!({
                "topology": topology.metadata.name,
                "success": CheckSummary::of(&results).failed == 0,
                "summary": CheckSummary::of(&results),
                "checks": results,
            });
            json_text(&document, "checks")?
        }
    };
    print_report(&text)?;
    Ok(if CheckSummary::of(&results).failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
