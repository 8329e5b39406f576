//! Output of the commands that talk to clusters: the live plan (human, Markdown — JSON
//! is its serde form), the apply/destroy summary, status and check lines.
//!
//! Secret values never reach here: core's live plan redacts them before a diff exists.

use meshctl_core::check::{CheckResult, CheckSummary, Outcome};
use meshctl_core::live::{LiveAction, LivePlan, NodePlan, ObjectPlan};
use meshctl_core::plan::FieldChange;
use meshctl_executor::{ApplySummary, NodeResult, NodeStatus, StatusReport};
use serde_json::Value;
use std::fmt::Write;

/// ANSI colours, or none (off a terminal, with NO_COLOR, with --no-color).
#[derive(Debug, Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn action(self, action: LiveAction) -> String {
        let sign = action.sign().to_string();
        match action {
            LiveAction::Create => self.wrap("32", &sign),
            LiveAction::Update => self.wrap("33", &sign),
            LiveAction::Delete => self.wrap("31", &sign),
            LiveAction::Unchanged | LiveAction::Unknown => sign,
        }
    }

    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
}

fn value_text(value: &Option<Value>) -> String {
    match value {
        None => "(absent)".to_string(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(v) => v.to_string(),
    }
}

fn change_lines(out: &mut String, indent: &str, changes: &[FieldChange], paint: Paint) {
    for change in changes {
        let _ = writeln!(
            out,
            "{indent}{}: {} → {}",
            change.path,
            paint.wrap("31", &value_text(&change.old)),
            paint.wrap("32", &value_text(&change.new))
        );
    }
}

fn object_lines(out: &mut String, object: &ObjectPlan, paint: Paint) {
    let _ = write!(out, "    {} {}", paint.action(object.action), object.object);
    if let Some(note) = &object.note {
        let _ = write!(out, "  ({note})");
    }
    out.push('\n');
    change_lines(out, "        ", &object.changes, paint);
    if !object.overrides.is_empty() {
        let _ = writeln!(
            out,
            "        takes back changes made by {}",
            object.overrides.join(", ")
        );
    }
    if let Some(conflict) = &object.conflict {
        let _ = writeln!(
            out,
            "        {}: {} owned by {} — apply refuses unless --force-conflicts",
            paint.wrap("31", "conflict"),
            conflict.fields.join(", "),
            conflict.managers.join(", ")
        );
    }
}

fn node_lines(out: &mut String, node: &NodePlan, verbose: bool, paint: Paint) {
    let action = node.action();
    if action == LiveAction::Unchanged && !verbose {
        return;
    }
    let _ = writeln!(
        out,
        "  {} {}  {}",
        paint.action(action),
        paint.bold(&node.id.0),
        node.summary
    );
    if let Some(error) = &node.error {
        let _ = writeln!(out, "    {}: {error}", paint.wrap("31", "error"));
    }
    if let Some(external) = &node.external {
        for command in &external.commands {
            let _ = writeln!(out, "    runs: {}", command.join(" "));
        }
        if let Some(note) = &external.note {
            let _ = writeln!(out, "    {note}");
        }
    }
    for command in &node.rendered_by {
        let _ = writeln!(out, "    rendered by: {}", command.join(" "));
    }
    for object in &node.objects {
        if object.action != LiveAction::Unchanged || verbose {
            object_lines(out, object, paint);
        }
    }
}

/// The plan as a terminal shows it: per cluster, each node that changes (all with
/// `verbose`), its objects with field diffs, then the counts.
pub fn plan_human(plan: &LivePlan, verbose: bool, paint: Paint) -> String {
    let mut out = String::new();
    for problem in &plan.preflight {
        let _ = writeln!(out, "{} {problem}", paint.wrap("31", "preflight:"));
    }
    if !plan.preflight.is_empty() {
        out.push('\n');
    }
    let topology_wide: Vec<&NodePlan> = plan.nodes.iter().filter(|n| n.cluster.is_none()).collect();
    if topology_wide
        .iter()
        .any(|n| verbose || n.action() != LiveAction::Unchanged)
    {
        out.push_str("topology-wide\n");
        for node in topology_wide {
            node_lines(&mut out, node, verbose, paint);
        }
        out.push('\n');
    }
    for cluster in &plan.clusters {
        let _ = writeln!(
            out,
            "{} (context {}): {}",
            paint.bold(&format!("cluster {}", cluster.name)),
            cluster.context,
            cluster.summary
        );
        if let Some(error) = &cluster.error {
            let _ = writeln!(out, "  {}: {error}", paint.wrap("31", "cannot read"));
        }
        for node in plan
            .nodes
            .iter()
            .filter(|n| n.cluster.as_deref() == Some(cluster.name.as_str()))
        {
            node_lines(&mut out, node, verbose, paint);
        }
        for object in &cluster.prune {
            object_lines(&mut out, object, paint);
            if object.action == LiveAction::Delete {
                out.push_str("        owned by meshctl, no longer in the topology\n");
            }
        }
        if let Some(inventory) = &cluster.inventory {
            if inventory.action != LiveAction::Unchanged {
                let _ = writeln!(
                    out,
                    "  {} {}  meshctl's inventory of what it owns here (ApplySet parent)",
                    paint.action(inventory.action),
                    paint.bold(&inventory.object.to_string())
                );
            }
        }
        out.push('\n');
    }
    if plan.has_changes() {
        let _ = writeln!(out, "{} {}.", paint.bold("Plan:"), plan.summary);
    } else {
        let _ = writeln!(
            out,
            "{} The clusters match the topology ({}).",
            paint.bold("No changes."),
            plan.summary
        );
    }
    out
}

/// Escapes what Markdown would read as markup (`<service>` would vanish as HTML).
fn md(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// The changes only, for a pull-request comment.
pub fn plan_markdown(plan: &LivePlan, file: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### meshctl plan: `{}` (live)\n", md(file));
    let _ = writeln!(out, "**{}**\n", plan.summary);
    for cluster in &plan.clusters {
        let changed: Vec<&NodePlan> = plan
            .nodes
            .iter()
            .filter(|n| n.cluster.as_deref() == Some(cluster.name.as_str()))
            .filter(|n| n.action() != LiveAction::Unchanged)
            .collect();
        if changed.is_empty() && cluster.prune.is_empty() && cluster.error.is_none() {
            continue;
        }
        let _ = writeln!(
            out,
            "#### cluster {} — {}\n",
            md(&cluster.name),
            cluster.summary
        );
        if let Some(error) = &cluster.error {
            let _ = writeln!(out, "> cannot read: {}\n", md(error));
        }
        out.push_str("```diff\n");
        for node in changed {
            let _ = writeln!(out, "{} {}", node.action().sign(), node.id);
            for object in node
                .objects
                .iter()
                .filter(|o| o.action != LiveAction::Unchanged)
            {
                let _ = writeln!(out, "{}   {}", object.action.sign(), object.object);
                for change in &object.changes {
                    let _ = writeln!(out, "-     {}: {}", change.path, value_text(&change.old));
                    let _ = writeln!(out, "+     {}: {}", change.path, value_text(&change.new));
                }
            }
        }
        for object in &cluster.prune {
            let _ = writeln!(out, "{}   {}", object.action.sign(), object.object);
        }
        out.push_str("```\n\n");
    }
    out
}

/// The end of an apply or destroy: failures and skips in full, then the counts.
pub fn summary_human(summary: &ApplySummary, verb: &str, paint: Paint) -> String {
    let mut out = String::new();
    for node in &summary.nodes {
        match node {
            NodeResult::Failed { id, error } => {
                let _ = writeln!(out, "{} {id}: {error}", paint.wrap("31", "failed"));
            }
            NodeResult::Skipped {
                id,
                failed_dependency,
            } => {
                let _ = writeln!(
                    out,
                    "skipped {id}: waits for {failed_dependency}, which failed"
                );
            }
            NodeResult::NotStarted { id } => {
                let _ = writeln!(out, "not started {id}: the run was interrupted first");
            }
            NodeResult::Applied { .. } | NodeResult::Unchanged { .. } => {}
        }
    }
    for deleted in &summary.deleted {
        let _ = writeln!(
            out,
            "deleted {} in cluster {}",
            deleted.object, deleted.cluster
        );
    }
    for error in &summary.errors {
        let _ = writeln!(out, "{} {error}", paint.wrap("31", "error"));
    }
    let word = if summary.is_success() {
        paint.wrap("32", &format!("{verb} complete:"))
    } else {
        paint.wrap("31", &format!("{verb} incomplete:"))
    };
    let _ = writeln!(out, "{word} {}.", summary.counts());
    if !summary.is_success() {
        out.push_str("Nothing that succeeded is undone; fix the failures above and run the same command again: it picks up where this run stopped.\n");
    }
    out
}

/// One line per node: ✓ in sync, ✗ otherwise, with why.
pub fn status_human(report: &StatusReport, paint: Paint) -> String {
    let mut out = String::new();
    for (cluster, why) in &report.unreachable {
        let _ = writeln!(out, "{} cluster {cluster}: {why}", paint.wrap("31", "✗"));
    }
    for node in &report.nodes {
        let (mark, word) = match node.status {
            NodeStatus::InSync => (paint.wrap("32", "✓"), "in sync"),
            NodeStatus::Drifted => (paint.wrap("33", "~"), "drifted"),
            NodeStatus::Missing => (paint.wrap("31", "+"), "missing"),
            NodeStatus::NotReady => (paint.wrap("33", "…"), "not ready"),
            NodeStatus::Unknown => ("?".to_string(), "unknown"),
        };
        let _ = write!(out, "{mark} {}  {word}", node.id);
        if !node.detail.is_empty() {
            let _ = write!(out, ": {}", node.detail);
        }
        out.push('\n');
    }
    let in_sync = report
        .nodes
        .iter()
        .filter(|n| n.status == NodeStatus::InSync)
        .count();
    let _ = writeln!(out, "{in_sync} of {} nodes in sync.", report.nodes.len());
    out
}

/// One line per check, failures with what to do.
pub fn check_human(results: &[CheckResult], paint: Paint) -> String {
    let mut out = String::new();
    let mut current: Option<Option<&str>> = None;
    for result in results {
        let cluster = result.cluster.as_deref();
        if current != Some(cluster) {
            let _ = writeln!(
                out,
                "{}",
                paint.bold(&cluster.map_or("topology".to_string(), |c| format!("cluster {c}")))
            );
            current = Some(cluster);
        }
        let mark = match result.outcome {
            Outcome::Pass => paint.wrap("32", "✓"),
            Outcome::Warn => paint.wrap("33", "‼"),
            Outcome::Fail => paint.wrap("31", "✗"),
        };
        let _ = write!(out, "  {mark} {}", result.check);
        if !result.detail.is_empty() {
            let _ = write!(out, ": {}", result.detail);
        }
        out.push('\n');
        if let Some(hint) = result
            .hint
            .as_ref()
            .filter(|_| result.outcome != Outcome::Pass)
        {
            let _ = writeln!(out, "      → {hint}");
        }
    }
    let summary = CheckSummary::of(results);
    let _ = writeln!(
        out,
        "{} passed, {} warnings, {} failed.",
        summary.passed, summary.warnings, summary.failed
    );
    out
}
