//! The GitOps layout `meshctl render` writes, as a pure function of the graph: per
//! cluster, one file per node that renders objects (`<wave>-<slug>.yaml`, in apply
//! order), the kind config, and a `kustomization.yaml` listing the objects — for an
//! Argo CD / Flux repository or `kubectl apply -k DIR/<cluster>`. Every file starts with
//! [`HEADER`], which is how a later render knows which files it may remove. The CLI only
//! writes the files and removes the stale ones.

use crate::graph::{Desired, ExternalAction, Graph, NodeKind};
use crate::render::RenderError;
use crate::topology::Topology;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// First line of every rendered file; render only removes stale files that carry it.
pub const HEADER: &str = "# Rendered by meshctl";

/// The files of one render, by path relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// `<cluster>/<file>` → its text.
    pub files: BTreeMap<PathBuf, String>,
    /// Nodes applied by external tools (helm, linkerd, kustomize), not rendered.
    pub external: usize,
}

impl Layout {
    /// Whether a file found at `relative` (under the output directory) with `text` is one
    /// an earlier render wrote and this one no longer does.
    pub fn is_stale(&self, relative: &Path, text: &str) -> bool {
        is_rendered(text) && !self.files.contains_key(relative)
    }
}

/// Whether `text` is a file meshctl rendered.
pub fn is_rendered(text: &str) -> bool {
    text.starts_with(HEADER)
}

/// `demo/metallb-system/IPAddressPool/first-pool` → `metallb-system-ipaddresspool-first-pool`.
fn slug(id: &str, cluster: &str) -> String {
    id.strip_prefix(cluster)
        .unwrap_or(id)
        .trim_start_matches('/')
        .replace('/', "-")
        .to_lowercase()
}

/// The layout of `graph`, built from `topology`.
pub fn layout(topology: &Topology, graph: &Graph) -> Result<Layout, RenderError> {
    // The header names the topology, not the file path, so the bytes do not depend on
    // where render was run from.
    let header = format!(
        "{HEADER} from topology {}; edit the topology, not this file.\n",
        topology.metadata.name
    );
    let mut files = BTreeMap::new();
    // Per cluster, the object files in apply order, and the export labels, for its
    // kustomization.yaml. Every cluster gets one, even with no objects yet.
    let mut resources: BTreeMap<&str, (Vec<String>, Vec<String>)> = topology
        .spec
        .clusters
        .iter()
        .map(|c| (c.name.as_str(), Default::default()))
        .collect();
    let mut external = 0usize;
    for (wave, nodes) in graph.waves().iter().enumerate() {
        for node in nodes {
            let Some(cluster) = node.cluster.as_deref() else {
                continue;
            };
            let dir = Path::new(cluster);
            match &node.desired {
                Desired::Objects(objects) => {
                    let mut text = header.clone();
                    for object in objects {
                        text.push_str("---\n");
                        text.push_str(&object.to_yaml());
                    }
                    let file = format!("{:02}-{}.yaml", wave + 1, slug(&node.id.0, cluster));
                    files.insert(dir.join(&file), text);
                    let (listed, labels) = resources.entry(cluster).or_default();
                    if node.kind == NodeKind::ExportLabel {
                        labels.push(file);
                    } else {
                        listed.push(file);
                    }
                }
                Desired::Action(ExternalAction::KindCluster { config, .. }) => {
                    let yaml =
                        serde_yaml::to_string(config).map_err(|source| RenderError::Yaml {
                            what: format!("kind config of `{cluster}`"),
                            source,
                        })?;
                    files.insert(dir.join("kind-config.yaml"), format!("{header}{yaml}"));
                }
                Desired::Action(_) => external += 1,
            }
        }
    }
    for (cluster, (listed, labels)) in &resources {
        files.insert(
            Path::new(cluster).join("kustomization.yaml"),
            kustomization(&header, listed, labels),
        );
    }
    Ok(Layout { files, external })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{self, Paths};
    use crate::topology::load_str;

    const TOPOLOGY: &str = "apiVersion: meshctl.io/v1alpha1\nkind: Topology\nmetadata: {name: t}\nspec:\n  mesh:\n    linkerd:\n      version: stable-2.13.3\n      extensions: {multicluster: {}}\n  clusters:\n  - {name: a, podSubnet: 10.0.0.0/16, serviceSubnet: 10.1.0.0/16}\n  - {name: b, podSubnet: 10.2.0.0/16, serviceSubnet: 10.3.0.0/16}\n  workloads:\n  - {name: app, namespace: web, clusters: [a], manifests: [app.yaml], services: [api]}\n  exports:\n  - {service: api, namespace: web, clusters: [a]}\n";

    fn layout_of(text: &str) -> Layout {
        let topology = load_str(text).expect("loads").topology;
        let paths = Paths {
            topology_dir: "repo".into(),
            state_dir: "repo/.meshctl/t".into(),
        };
        let graph = graph::build(&topology, &paths).expect("graph");
        layout(&topology, &graph).expect("layout")
    }

    #[test]
    fn each_cluster_gets_its_objects_a_kind_config_and_a_kustomization() {
        let layout = layout_of(TOPOLOGY);
        let names: Vec<String> = layout
            .files
            .keys()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "a/02-namespace-web.yaml",
                "a/05-web-export-api.yaml",
                "a/kind-config.yaml",
                "a/kustomization.yaml",
                "b/kind-config.yaml",
                "b/kustomization.yaml",
            ]
        );
        let kustomization = &layout.files[Path::new("a/kustomization.yaml")];
        assert!(
            kustomization.contains("resources:\n  - 02-namespace-web.yaml\n")
                && kustomization.contains("#   05-web-export-api.yaml"),
            "export labels are named but not listed: {kustomization}"
        );
        assert!(layout.files[Path::new("b/kustomization.yaml")].contains("resources: []"));
        assert!(layout.files.values().all(|text| is_rendered(text)));
    }

    #[test]
    fn only_rendered_files_that_left_the_layout_are_stale() {
        let layout = layout_of(TOPOLOGY);
        let ours = format!("{HEADER} from topology t\n");
        assert!(layout.is_stale(Path::new("gone/kustomization.yaml"), &ours));
        assert!(!layout.is_stale(Path::new("a/kustomization.yaml"), &ours));
        assert!(!layout.is_stale(Path::new("a/notes.yaml"), "# mine\n"));
    }
}
