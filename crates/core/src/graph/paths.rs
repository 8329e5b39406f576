//! Where the files a graph refers to live: the topology file's directory (paths the user
//! wrote are relative to it) and the state directory (generated certificates, kind
//! configs). Core only joins paths here; it never reads or writes them.

use crate::topology::Topology;
use std::path::{Path, PathBuf};

/// The generated trust anchor certificate, in the state directory.
pub const ANCHOR_CERT_FILE: &str = "trust-anchor.crt";
/// The generated trust anchor key, in the state directory.
pub const ANCHOR_KEY_FILE: &str = "trust-anchor.key";
/// The generated issuer certificate, in the state directory.
pub const ISSUER_CERT_FILE: &str = "issuer.crt";
/// The generated issuer key, in the state directory.
pub const ISSUER_KEY_FILE: &str = "issuer.key";
/// The directory under the state directory that holds each cluster's webhook
/// certificates and the chart values made from them (`webhooks/<cluster>/`).
pub const WEBHOOKS_DIR: &str = "webhooks";
/// The values file (webhook `caBundle`s, no keys) `linkerd install` reads.
pub const CONTROL_PLANE_VALUES_FILE: &str = "control-plane.values.yaml";
/// The values file (tap and tap-injector `caBundle`s, no keys) `linkerd viz install` reads.
pub const VIZ_VALUES_FILE: &str = "viz.values.yaml";
/// The directory beside a topology file that holds one state directory per topology.
pub const STATE_ROOT: &str = ".meshctl";

/// The directories a graph's paths are resolved against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paths {
    /// The directory of the topology file (empty for a bare file name: the current
    /// directory, and paths stay relative as the user typed them).
    pub topology_dir: PathBuf,
    /// Where generated certificates and kind configs are kept.
    pub state_dir: PathBuf,
}

impl Paths {
    /// The paths of the topology in `file`: its directory, and the state directory —
    /// `explicit` when given (`--state-dir`), else `.meshctl/<state key>/` beside the file.
    pub fn for_file(file: &Path, topology: &Topology, explicit: Option<&Path>) -> Paths {
        let topology_dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
        let state_dir = match explicit {
            Some(dir) => dir.to_path_buf(),
            None => default_state_dir(&topology_dir, topology),
        };
        Paths {
            topology_dir,
            state_dir,
        }
    }

    /// A path the user wrote in the topology, relative to the topology file.
    pub fn user_file(&self, relative: &str) -> PathBuf {
        self.topology_dir.join(relative)
    }

    /// The file `kind create cluster --config` reads for `cluster`.
    pub fn kind_config_file(&self, cluster: &str) -> PathBuf {
        self.state_dir.join(format!("kind-{cluster}.yaml"))
    }

    /// A chart values file (one of the `*_VALUES_FILE` constants) of `cluster`, in
    /// `<state>/webhooks/<cluster>/`: written by the executor before the render runs.
    pub fn webhook_values_file(&self, cluster: &str, name: &str) -> PathBuf {
        self.state_dir.join(WEBHOOKS_DIR).join(cluster).join(name)
    }

    /// A generated certificate file (one of the `*_FILE` constants) in the state directory.
    pub fn state_file(&self, name: &str) -> PathBuf {
        self.state_dir.join(name)
    }
}

/// `.meshctl/<state key>` beside the topology file. The key is `spec.mesh.linkerd.stateKey`,
/// else the topology's name, so that two topologies in one directory keep their trust
/// material apart, and a renamed topology can keep its own.
pub fn default_state_dir(topology_dir: &Path, topology: &Topology) -> PathBuf {
    topology_dir.join(STATE_ROOT).join(state_key(topology))
}

/// The name of a topology's state directory under [`STATE_ROOT`].
pub fn state_key(topology: &Topology) -> &str {
    topology
        .spec
        .mesh
        .linkerd
        .as_ref()
        .and_then(|l| l.state_key.as_deref())
        .unwrap_or(&topology.metadata.name)
}

/// What a topology expects to find at a path it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A kustomize directory (holding a kustomization file).
    KustomizeDir,
    /// A manifest file.
    ManifestFile,
}

/// A file or directory a topology names, resolved for one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReference {
    /// Where the topology names it, e.g. `spec.workloads[0].kustomize`.
    pub yaml_path: String,
    /// The cluster it is resolved for (`{cluster}` and `{context}` filled in).
    pub cluster: String,
    /// The path as written, placeholders filled in.
    pub written: String,
    /// The path resolved against the topology file's directory.
    pub path: PathBuf,
    /// What should be there.
    pub expected: Expected,
}

impl Paths {
    /// Every kustomize directory and manifest file the workloads name, per cluster, each
    /// path once per place that names it. Nothing is read: the caller checks them.
    pub fn referenced_files(&self, topology: &Topology) -> Vec<FileReference> {
        let mut references: Vec<FileReference> = Vec::new();
        // What is already listed: a set, since one workload on 1,000 clusters names 1,000
        // paths and a scan of the list per path was quadratic (a third of `plan`'s time).
        let mut listed: foldhash::HashSet<(String, PathBuf)> = foldhash::HashSet::default();
        for (w, workload) in topology.spec.workloads.iter().enumerate() {
            for name in &workload.clusters {
                let Some(cluster) = topology.cluster(name) else {
                    continue;
                };
                let named = workload
                    .kustomize
                    .iter()
                    .map(|dir| {
                        (
                            format!("spec.workloads[{w}].kustomize"),
                            dir,
                            Expected::KustomizeDir,
                        )
                    })
                    .chain(workload.manifests.iter().enumerate().map(|(m, file)| {
                        (
                            format!("spec.workloads[{w}].manifests[{m}]"),
                            file,
                            Expected::ManifestFile,
                        )
                    }));
                for (yaml_path, template, expected) in named {
                    let written = crate::topology::expand_template(template, cluster);
                    let path = self.user_file(&written);
                    if !listed.insert((yaml_path.clone(), path.clone())) {
                        continue;
                    }
                    references.push(FileReference {
                        yaml_path,
                        cluster: name.clone(),
                        written,
                        path,
                        expected,
                    });
                }
            }
        }
        references
    }
}
