//! `meshctl graph FILE --format dot|mermaid`: the dependency graph, one box per cluster.

use super::load::load_valid;
use super::CliError;
use clap::ValueEnum;
use meshctl_core::graph::{self, Graph, Node};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_name = "FILE")]
    file: String,
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    format: Format,
}

fn by_cluster(graph: &Graph) -> BTreeMap<String, Vec<&Node>> {
    let mut groups: BTreeMap<String, Vec<&Node>> = BTreeMap::new();
    for node in graph.nodes() {
        groups
            .entry(node.cluster.clone().unwrap_or_default())
            .or_default()
            .push(node);
    }
    groups
}

fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(graph: &Graph) -> String {
    let mut out =
        String::from("digraph meshctl {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
    for (cluster, nodes) in by_cluster(graph) {
        let indent = if cluster.is_empty() {
            "  "
        } else {
            let _ = writeln!(
                out,
                "  subgraph \"cluster_{}\" {{\n    label=\"{}\";",
                quoted(&cluster),
                quoted(&cluster)
            );
            "    "
        };
        for node in nodes {
            let _ = writeln!(out, "{indent}\"{}\";", quoted(&node.id.0));
        }
        if !cluster.is_empty() {
            out.push_str("  }\n");
        }
    }
    for (from, to, reason) in graph.edges() {
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [tooltip=\"{}\"];",
            quoted(&from.0),
            quoted(&to.0),
            quoted(reason)
        );
    }
    out.push_str("}\n");
    out
}

pub fn mermaid(graph: &Graph) -> String {
    // Mermaid ids must be simple; number the nodes in apply order.
    let ids: BTreeMap<&str, String> = graph
        .nodes()
        .enumerate()
        .map(|(i, n)| (n.id.0.as_str(), format!("n{i}")))
        .collect();
    let mut out = String::from("flowchart LR\n");
    for (cluster, nodes) in by_cluster(graph) {
        let title = if cluster.is_empty() {
            "topology-wide".to_string()
        } else {
            cluster.clone()
        };
        let _ = writeln!(
            out,
            "  subgraph {}[\"{}\"]",
            if cluster.is_empty() {
                "global".to_string()
            } else {
                format!("c_{}", cluster.replace('-', "_"))
            },
            title
        );
        for node in nodes {
            let _ = writeln!(
                out,
                "    {}[\"{}\"]",
                ids[node.id.0.as_str()],
                node.id.0.replace('"', "'")
            );
        }
        out.push_str("  end\n");
    }
    for (from, to, _) in graph.edges() {
        if let (Some(a), Some(b)) = (ids.get(from.0.as_str()), ids.get(to.0.as_str())) {
            let _ = writeln!(out, "  {a} --> {b}");
        }
    }
    out
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
