//! `meshctl render FILE -o DIR`: the objects meshctl owns, one file per node, per
//! cluster, in apply order, with a `kustomization.yaml` listing them — for an Argo CD /
//! Flux repository or `kubectl apply -k DIR/<cluster>`.

use super::load::load_valid;
use super::CliError;
use meshctl_core::graph::{self, Desired, ExternalAction};
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
    let graph = graph::build(t)?;
    // The header names the topology, not the file path, so the bytes do not depend on
    // where render was run from.
    let header = format!(
        "{HEADER} from topology {}; edit the topology, not this file.\n",
        t.metadata.name
    );
    let mut written: BTreeSet<PathBuf> = BTreeSet::new();
    // Per cluster, the object files in apply order, for its kustomization.yaml.
    let mut resources: BTreeMap<&str, Vec<String>> = BTreeMap::new();
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
                    resources.entry(cluster).or_default().push(file);
                }
                Desired::Action(ExternalAction::KindCreateCluster { config, .. }) => {
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
    // A kustomization per cluster lists only the objects, so `kubectl apply -k DIR/<cluster>`,
    // Argo CD and Flux apply them and leave kind-config.yaml (not a Kubernetes object) alone.
    for (cluster, files) in &resources {
        let mut text = format!("{header}apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n");
        for file in files {
            text.push_str(&format!("  - {file}\n"));
        }
        let path = args.output.join(cluster).join("kustomization.yaml");
        write(&path, &text)?;
        written.insert(path);
    }
    let mut removed = 0usize;
    for cluster in &t.spec.clusters {
        let Ok(entries) = std::fs::read_dir(args.output.join(&cluster.name)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let ours = std::fs::read_to_string(&path).is_ok_and(|text| text.starts_with(HEADER));
            if ours && !written.contains(&path) {
                std::fs::remove_file(&path).map_err(|e| io_error("remove stale", &path, e))?;
                removed += 1;
            }
        }
    }
    eprintln!(
        "wrote {} file(s) to {}{}; {external} node(s) are applied by external tools (helm, linkerd, kustomize) and are not rendered",
        written.len(),
        args.output.display(),
        if removed > 0 { format!(", removed {removed} stale file(s)") } else { String::new() }
    );
    Ok(ExitCode::SUCCESS)
}
