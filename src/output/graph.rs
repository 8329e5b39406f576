//! The dependency graph for people: Graphviz dot and Mermaid, one box per cluster.

use super::by_cluster;
use meshctl_core::graph::Graph;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(graph: &Graph) -> String {
    let mut out =
        String::from("digraph meshctl {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
    for (cluster, nodes) in by_cluster(graph.nodes().collect::<Vec<_>>(), |n| n.cluster.as_deref())
    {
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
    for (cluster, nodes) in by_cluster(graph.nodes().collect::<Vec<_>>(), |n| n.cluster.as_deref())
    {
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
