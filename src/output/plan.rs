//! Plans for people (terminal), for pull requests (Markdown) — JSON is the plan's own
//! serde form.

use super::by_cluster;
use super::live::Paint;
use meshctl_core::graph::{
    pipeline, Desired, ExternalAction, ResolvedCertificate, ToolCommand, Unknown,
};
use meshctl_core::plan::{Action, FieldChange, Plan, PlanEntry, PlanMode};
use serde_json::Value;
use std::fmt::Write;

/// The action's symbol, coloured as Terraform does when `paint` says so.
fn painted(action: Action, paint: Paint) -> String {
    let code = match action {
        Action::Create => "32",
        Action::Change => "33",
        Action::Replace => "35",
        Action::Delete => "31",
        Action::Unchanged => return symbol(action).to_string(),
    };
    if paint.0 {
        format!("\x1b[{code}m{}\x1b[0m", symbol(action))
    } else {
        symbol(action).to_string()
    }
}

fn symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Change => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
        Action::Unchanged => " ",
    }
}

fn value_text(value: &Option<Value>) -> String {
    match value {
        None => "(absent)".to_string(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(v) => v.to_string(),
    }
}

fn group_title(cluster: &str) -> String {
    if cluster.is_empty() {
        "topology-wide".to_string()
    } else {
        format!("cluster {cluster}")
    }
}

/// What an external action will run or wait for, one line each. Command lines are the
/// entry's, spelled by `meshctl_core::graph::commands`, which the executor runs from.
fn action_lines(action: &ExternalAction, commands: &[ToolCommand]) -> Vec<String> {
    match action {
        ExternalAction::KindCluster { config, .. } => {
            vec![
                format!("runs: {}", pipeline(commands)),
                format!("with: {}", kind_config_line(config)),
            ]
        }
        ExternalAction::HelmRelease { .. } => {
            vec![format!("runs: {}", pipeline(commands))]
        }
        ExternalAction::LinkerdRender { .. } | ExternalAction::Manifests { .. } => {
            vec![format!("applies: {}", pipeline(commands))]
        }
        ExternalAction::UseExistingCluster { context } => {
            vec![format!("uses: existing context {context}")]
        }
        ExternalAction::Certificates {
            trust_anchor,
            issuer,
            ..
        } => [("trust anchor", trust_anchor), ("issuer", issuer)]
            .into_iter()
            .map(|(role, certificate)| match certificate {
                ResolvedCertificate::Generate {
                    common_name, cert, ..
                } => format!(
                    "keeps: {role} {common_name} in {} (generated once, then reused; keys never shown)",
                    cert.display()
                ),
                ResolvedCertificate::Files { cert, .. } => {
                    format!("uses: {role} from your file {}", cert.display())
                }
            })
            .collect(),
        ExternalAction::WaitForLoadBalancer {
            namespace, service, ..
        } => {
            vec![format!(
                "waits: {namespace}/{service} LoadBalancer address = {}",
                Unknown::TEXT
            )]
        }
        ExternalAction::LinkerdLink { expected, .. } => {
            let mut lines = vec![format!("applies: {}", pipeline(commands))];
            lines.extend(expected.to_yaml().lines().map(str::to_string));
            lines
        }
    }
}

/// `1 worker`, `2 workers`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The kind config's key fields on one line: nodes, networks, image, API server.
fn kind_config_line(config: &Value) -> String {
    let nodes = config["nodes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = |role: &str| nodes.iter().filter(|n| n["role"] == role).count();
    let networking = &config["networking"];
    let mut fields = vec![
        format!(
            "{} control plane, {}",
            count("control-plane"),
            plural(count("worker"), "worker")
        ),
        format!(
            "podSubnet {}, serviceSubnet {}",
            networking["podSubnet"].as_str().unwrap_or("?"),
            networking["serviceSubnet"].as_str().unwrap_or("?")
        ),
    ];
    if let Some(family) = networking["ipFamily"].as_str() {
        fields.push(format!("ipFamily {family}"));
    }
    if let Some(address) = networking["apiServerAddress"].as_str() {
        let port = networking["apiServerPort"]
            .as_u64()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        fields.push(format!("API server {address}{port}"));
    }
    if let Some(image) = nodes.first().and_then(|n| n["image"].as_str()) {
        fields.push(format!("image {image}"));
    }
    fields.join("; ")
}

fn change_lines(changes: &[FieldChange]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.path,
                value_text(&c.old),
                value_text(&c.new)
            )
        })
        .collect()
}

fn summary_line(plan: &Plan) -> String {
    let s = plan.summary;
    let replace = if s.replace > 0 {
        format!("{} to replace, ", s.replace)
    } else {
        String::new()
    };
    format!(
        "Plan: {} to create, {} to change, {replace}{} to delete, {} unchanged.",
        s.create, s.change, s.delete, s.unchanged
    )
}

/// Terminal form.
pub fn human(plan: &Plan, file: &str, paint: Paint) -> String {
    let mut out = String::new();
    match plan.mode {
        PlanMode::Offline => {
            let _ = writeln!(out, "meshctl plan {file} (topology {}): offline, no cluster contacted; every node is shown as created.\n", plan.topology);
        }
        PlanMode::Base => {
            let _ = writeln!(
                out,
                "meshctl plan --base: changes to {file} (topology {})\n",
                plan.topology
            );
        }
    }
    for note in &plan.notes {
        let _ = writeln!(out, "note: {note}\n");
    }
    let shown: Vec<PlanEntry> = plan
        .entries
        .iter()
        .filter(|e| e.action != Action::Unchanged || !e.affected_by.is_empty())
        .cloned()
        .collect();
    for (cluster, entries) in by_cluster(&shown, |e| e.cluster.as_deref()) {
        let _ = writeln!(out, "{}", group_title(&cluster));
        for e in entries {
            if e.action == Action::Unchanged {
                let affected: Vec<&str> = e.affected_by.iter().map(|i| i.0.as_str()).collect();
                let _ = writeln!(
                    out,
                    "  ! {}  (unchanged; depends on changed {})",
                    e.id,
                    affected.join(", ")
                );
                continue;
            }
            let _ = writeln!(
                out,
                "  {} {}  [wave {}]",
                painted(e.action, paint),
                e.id,
                e.wave
            );
            let _ = writeln!(out, "      {}", e.summary);
            if matches!(e.action, Action::Change | Action::Replace) {
                match (&e.replaced_with, e.action) {
                    (Some(cluster), _) => {
                        let _ = writeln!(
                            out,
                            "      replaced with its cluster: {cluster} is recreated"
                        );
                    }
                    (None, Action::Replace) => {
                        let _ = writeln!(out, "      must be replaced: kind cannot change a running cluster; everything in it is recreated");
                    }
                    _ => {}
                }
                for line in change_lines(&e.changes) {
                    let _ = writeln!(out, "      ~ {line}");
                }
                continue;
            }
            if e.action == Action::Delete {
                continue;
            }
            match &*e.desired {
                Desired::Objects(objects) => {
                    for o in objects {
                        for line in o.to_yaml().lines() {
                            let _ = writeln!(out, "      {line}");
                        }
                    }
                }
                Desired::Action(action) => {
                    for line in action_lines(action, &e.commands) {
                        let _ = writeln!(out, "      {line}");
                    }
                }
            }
        }
        out.push('\n');
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "warning[{}]: {}", w.code, w.message);
        if let Some(hint) = &w.hint {
            let _ = writeln!(out, "  = help: {hint}");
        }
    }
    let _ = writeln!(out, "{}", summary_line(plan));
    out
}

/// Text as Markdown shows it literally: `<service>` would otherwise be taken for an HTML
/// tag and vanish, and `|` would end a table cell.
fn md_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// Markdown for a pull-request comment or job summary: only what changes.
pub fn markdown(plan: &Plan, file: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### meshctl plan: `{file}`\n");
    for note in &plan.notes {
        let _ = writeln!(out, "> [!NOTE]\n> {}\n", md_text(note));
    }
    let s = plan.summary;
    if !plan.has_changes() {
        let _ = writeln!(out, "No changes. {} node(s) unchanged.", s.unchanged);
        return out;
    }
    let replace = if s.replace > 0 {
        format!("{} to replace, ", s.replace)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "**{} to create, {} to change, {replace}{} to delete**, {} unchanged.\n",
        s.create, s.change, s.delete, s.unchanged
    );
    for w in &plan.warnings {
        let _ = writeln!(out, "> [!WARNING]\n> {}: {}\n", w.code, md_text(&w.message));
    }
    let _ = writeln!(out, "| | node | wave | what |\n|---|---|---|---|");
    for e in plan
        .entries
        .iter()
        .filter(|e| e.action != Action::Unchanged)
    {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} |",
            symbol(e.action),
            e.id,
            e.wave,
            match &e.replaced_with {
                Some(cluster) => format!(
                    "{} (replaced with its cluster `{cluster}`)",
                    md_text(&e.summary)
                ),
                None => md_text(&e.summary),
            }
        );
    }
    out.push('\n');
    for e in plan
        .entries
        .iter()
        .filter(|e| matches!(e.action, Action::Change | Action::Replace))
    {
        let _ = writeln!(
            out,
            "<details><summary><code>{} {}</code></summary>\n\n```diff",
            symbol(e.action),
            e.id
        );
        for c in &e.changes {
            let _ = writeln!(out, "  {}", c.path);
            if c.old.is_some() {
                let _ = writeln!(out, "- {}", value_text(&c.old));
            }
            if c.new.is_some() {
                let _ = writeln!(out, "+ {}", value_text(&c.new));
            }
        }
        let _ = writeln!(out, "```\n</details>\n");
    }
    let affected: Vec<&PlanEntry> = plan
        .entries
        .iter()
        .filter(|e| !e.affected_by.is_empty())
        .collect();
    if !affected.is_empty() {
        let _ = writeln!(out, "Unchanged nodes that depend on a change:\n");
        for e in affected {
            let by: Vec<String> = e.affected_by.iter().map(|i| format!("`{i}`")).collect();
            let _ = writeln!(out, "- `{}` (depends on {})", e.id, by.join(", "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use meshctl_core::graph::{self, Paths};
    use meshctl_core::plan;

    fn small_plan() -> Plan {
        plan_of("")
    }

    /// The offline plan of one kind cluster `a` with these extra fields.
    fn plan_of(extra: &str) -> Plan {
        let text = format!("apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata: {{name: t}}\nspec:\n  clusters:\n  - {{name: a, podSubnet: 10.0.0.0/16, serviceSubnet: 10.1.0.0/16{extra}}}\n");
        let topology = meshctl_core::topology::load_str(&text)
            .expect("loads")
            .topology;
        let graph = graph::build(&topology, &Paths::default()).expect("graph");
        plan::offline("t", &graph)
    }

    #[test]
    fn symbols_are_coloured_only_when_painting() {
        let plan = small_plan();
        let coloured = human(&plan, "t.yaml", Paint(true));
        assert!(
            coloured.contains("  \x1b[32m+\x1b[0m a/cluster"),
            "{coloured}"
        );
        let plain = human(&plan, "t.yaml", Paint(false));
        assert!(
            plain.contains("  + a/cluster") && !plain.contains('\x1b'),
            "{plain}"
        );
    }

    #[test]
    fn the_kind_config_is_shown_by_its_key_fields() {
        let plain = human(&small_plan(), "t.yaml", Paint(false));
        assert!(
            plain.contains(
                "with: 1 control plane, 0 workers; podSubnet 10.0.0.0/16, serviceSubnet 10.1.0.0/16"
            ),
            "{plain}"
        );
    }

    #[test]
    fn one_worker_is_not_one_workers() {
        let plain = human(
            &plan_of(", nodes: {controlPlanes: 1, workers: 1}"),
            "t.yaml",
            Paint(false),
        );
        assert!(
            plain.contains("with: 1 control plane, 1 worker; podSubnet"),
            "{plain}"
        );
    }
}
