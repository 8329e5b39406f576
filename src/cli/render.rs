//! `meshctl render FILE -o DIR`: the objects meshctl owns, one file per node, per
//! cluster, in apply order, with a `kustomization.yaml` listing them — for an Argo CD /
//! Flux repository or `kubectl apply -k DIR/<cluster>`.

use super::load::load_valid;
use super::CliError;
use meshctl_core::graph::{self, Desired, ExternalAction, NodeKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(value_name = "FILE")]
    file: String,
    /// Output directory; `<DIR>/<cluster>/` is created for each cluster.
    #[arg(long, short, value_name = "DIR")]
    output: PathBuf,
}

/// First line of every rendered file; render only removes stale files that carry it.
const HEADER: &str = "# Rendered by meshctl";

/// `demo/metallb-system/IPAddressPool/first-pool` → `metallb-system-ipaddresspool-first-pool`.
fn slug(id: &str, cluster: &str) -> String {
    id.strip_prefix(cluster)
        .unwrap_or(id)
        .trim_start_matches('/')
        .replace('/', "-")
        .to_lowercase()
}

/// An I/O failure on `path`, saying which path and what to check.
fn io_error(what: &str, path: &Path, e: std::io::Error) -> CliError {
    CliError::Usage(format!(
        "cannot {what} {}: {e}; check that the output directory is writable",
        path.display()
    ))
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;
    }
    // Unchanged files are not rewritten, so mtimes (and GitOps diffs) stay quiet.
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| io_error("write", path, e))
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let topology = load_valid(&args.file)?;
    let t = &topology.loaded.topology;
    let graph = graph::build(t, &graph::Paths::for_file(Path::new(&args.file), t, None))?;
    // The header names the topology, not the file path, so the bytes do not depend on
    // where render was run from.
    let header = format!(
        "{HEADER} from topology {}; edit the topology, not this file.\n",
        t.metadata.name
    );
    let mut written: BTreeSet<PathBuf> = BTreeSet::new();
    // Per cluster, the object files in apply order, and the export labels, for its
    // kustomization.yaml. Every cluster gets one, even with no objects yet.
    let mut resources: BTreeMap<&str, (Vec<String>, Vec<String>)> = t
        .spec
        .clusters
        .iter()
        .map(|c| (c.name.as_str(), Default::default()))
        .collect();
    let mut external = 0usize;
    for (wave, nodes) in graph.waves().iter().enumerate() {
        for node in nodes {
            let Some(cluster) = &node.cluster else {
                continue;
            };
            let dir = args.output.join(cluster);
            match &node.desired {
                Desired::Objects(objects) => {
                    let mut text = header.clone();
                    for object in objects {
                        text.push_str("---\n");
                        text.push_str(&object.to_yaml());
                    }
                    let file = format!("{:02}-{}.yaml", wave + 1, slug(&node.id.0, cluster));
                    let path = dir.join(&file);
                    write(&path, &text)?;
                    written.insert(path);
                    let (listed, labels) = resources.entry(cluster).or_default();
                    if node.kind == NodeKind::ExportLabel {
                        labels.push(file);
                    } else {
                        listed.push(file);
                    }
                }
                Desired::Action(ExternalAction::KindCluster { config, .. }) => {
                    let yaml = serde_yaml::to_string(config)
                        .map_err(|e| CliError::Usage(e.to_string()))?;
                    let path = dir.join("kind-config.yaml");
                    write(&path, &format!("{header}{yaml}"))?;
                    written.insert(path);
                }
                Desired::Action(_) => external += 1,
            }
        }
    }
    for (cluster, (listed, labels)) in &resources {
        let path = args.output.join(cluster).join("kustomization.yaml");
        write(&path, &kustomization(&header, listed, labels))?;
        written.insert(path);
    }
    let removed = remove_stale(&args.output, &written)?;
    eprintln!(
        "wrote {} file(s) to {}{}; {external} node(s) are applied by external tools (helm, linkerd, kustomize) and are not rendered",
        written.len(),
        args.output.display(),
        if removed > 0 { format!(", removed {removed} stale file(s)") } else { String::new() }
    );
    Ok(ExitCode::SUCCESS)
}

/// The cluster's kustomization: only the objects, so `kubectl apply -k DIR/<cluster>`,
/// Argo CD and Flux apply them and leave kind-config.yaml (not a Kubernetes object) alone.
/// Export labels are not listed: each is a label on a Service the workload owns, which a
/// client-side apply would try to create without its ports, or take over.
fn kustomization(header: &str, listed: &[String], labels: &[String]) -> String {
    let mut text =
        format!("{header}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    if listed.is_empty() {
        text.push_str("resources: []\n");
    } else {
        text.push_str("resources:\n");
        for file in listed {
            text.push_str(&format!("  - {file}\n"));
        }
    }
    if !labels.is_empty() {
        text.push_str(
            "# Not listed: these label Services the workloads own. Put the label in the\n",
        );
        text.push_str("# workload's own manifest, or apply them after it with\n");
        text.push_str("# `kubectl apply --server-side --field-manager=meshctl -f FILE`:\n");
        for file in labels {
            text.push_str(&format!("#   {file}\n"));
        }
    }
    text
}

/// Removes files render wrote earlier (they carry its header) that it did not write now,
/// in any cluster directory, including clusters no longer in the topology.
fn remove_stale(output: &Path, written: &BTreeSet<PathBuf>) -> Result<usize, CliError> {
    let mut removed = 0;
    let Ok(dirs) = std::fs::read_dir(output) else {
        return Ok(0);
    };
    for dir in dirs
        .flatten()
        .filter(|d| d.file_type().is_ok_and(|t| t.is_dir()))
    {
        let Ok(entries) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        let mut left = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            let ours = entry.file_type().is_ok_and(|t| t.is_file())
                && std::fs::read_to_string(&path).is_ok_and(|text| text.starts_with(HEADER));
            if ours && !written.contains(&path) {
                std::fs::remove_file(&path).map_err(|e| io_error("remove stale", &path, e))?;
                removed += 1;
            } else {
                left += 1;
            }
        }
        // A cluster directory render emptied goes too; one with other files stays.
        if left == 0 {
            let _ = std::fs::remove_dir(dir.path());
        }
    }
    Ok(removed)
}
