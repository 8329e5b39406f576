//! Checks of what a topology names on disk, which core cannot make (it does no I/O):
//! the workloads' kustomize directories and manifest files (`E082` missing, `E085` outside
//! the topology's directory; every command), and
//! the user's certificate files (`E083`, or `W084` when they cannot be reached; `validate`).
//! Paths are relative to the topology file.

use meshctl_certs::topology::{Assessment, MeshCertificates, ANCHOR_FILES, ISSUER_FILES};
use meshctl_core::graph::{Expected, Paths};
use meshctl_core::topology::{CertificateSource, LoadedTopology};
use meshctl_core::Diagnostic;
use std::path::Path;
use std::time::SystemTime;

/// Where a topology read from `name` lives; `None` for stdin, whose paths cannot be
/// resolved.
fn topology_file(name: &str) -> Option<&Path> {
    (name != "<stdin>").then_some(Path::new(name))
}

/// `E082` for each kustomize directory or manifest file that is not there.
pub fn missing_workload_files(name: &str, loaded: &LoadedTopology) -> Vec<Diagnostic> {
    let Some(file) = topology_file(name) else {
        return Vec::new();
    };
    let paths = Paths::for_file(file, &loaded.topology, None);
    let mut found = Vec::new();
    let root = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for reference in paths.referenced_files(&loaded.topology) {
        let path = &reference.path;
        if let Some(way_out) = leaves(root, &reference.written, path) {
            found.push(
                Diagnostic::error(
                    "E085",
                    reference.yaml_path.clone(),
                    format!(
                        "`{}` (for cluster `{}`) {way_out}: workload paths must stay inside the directory of {name}",
                        reference.written, reference.cluster
                    ),
                )
                .with_hint(
                    "keep workloads beside or below the topology file (or move the topology up to the directory that holds them); meshctl never reads files outside it",
                )
                .with_location(loaded.index.locate(&reference.yaml_path)),
            );
            continue;
        }
        let problem = match reference.expected {
            _ if !path.exists() => "does not exist",
            Expected::KustomizeDir if !path.is_dir() => "is not a directory",
            Expected::KustomizeDir
                if !["kustomization.yaml", "kustomization.yml", "Kustomization"]
                    .iter()
                    .any(|k| path.join(k).is_file()) =>
            {
                "holds no kustomization.yaml"
            }
            Expected::ManifestFile if !path.is_file() => "is not a file",
            _ => continue,
        };
        found.push(
            Diagnostic::error(
                "E082",
                reference.yaml_path.clone(),
                format!(
                    "`{}` (for cluster `{}`) {problem}: looked for at {}",
                    reference.written,
                    reference.cluster,
                    path.display()
                ),
            )
            .with_hint(format!(
                "paths are relative to the directory of {name}; create it there or correct the path"
            ))
            .with_location(loaded.index.locate(&reference.yaml_path)),
        );
    }
    found
}

/// How a workload path leaves the topology's directory `root`, if it does: written as an
/// absolute path, climbing above it with `..`, or through a symbolic link.
fn leaves(root: &Path, written: &str, resolved: &Path) -> Option<String> {
    use std::path::Component;
    let written = Path::new(written);
    if written.has_root() {
        return Some("is an absolute path".to_string());
    }
    let mut depth = 0usize;
    for component in written.components() {
        match component {
            Component::ParentDir if depth == 0 => {
                return Some("climbs above the topology's directory".to_string())
            }
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    match (root.canonicalize(), resolved.canonicalize()) {
        (Ok(root), Ok(real)) if !real.starts_with(&root) => Some(format!(
            "leads out of the topology's directory through a symbolic link (to {})",
            real.display()
        )),
        _ => None,
    }
}

/// `E083` when certificate files the topology names are missing or do not verify (as
/// `meshctl certs init` would find them); `W084` when they cannot be checked.
pub fn certificate_files(name: &str, loaded: &LoadedTopology) -> Vec<Diagnostic> {
    let Some(linkerd) = &loaded.topology.spec.mesh.linkerd else {
        return Vec::new();
    };
    let files_path = |source: &Option<CertificateSource>, path: &str| {
        matches!(source, Some(CertificateSource::Files(_))).then(|| path.to_string())
    };
    let named: Vec<String> = [
        files_path(&linkerd.trust_anchor, ANCHOR_FILES),
        files_path(&linkerd.issuer, ISSUER_FILES),
    ]
    .into_iter()
    .flatten()
    .collect();
    let Some(first) = named.first() else {
        return Vec::new();
    };
    let locate = |path: &str| loaded.index.locate(path);
    let Some(file) = topology_file(name) else {
        return vec![Diagnostic::warning(
            "W084",
            first.clone(),
            "the certificate files named in the topology were not checked: a topology read from stdin has no directory to resolve them against".to_string(),
        )
        .with_hint("validate the file itself (`meshctl validate FILE`) to check them")
        .with_location(locate(first))];
    };
    let paths = Paths::for_file(file, &loaded.topology, None);
    // A malformed section is already an error of its own.
    let Ok(certificates) = MeshCertificates::new(linkerd, &paths) else {
        return Vec::new();
    };
    match certificates.assess(SystemTime::now()) {
        Assessment::Ok(_) => Vec::new(),
        Assessment::MissingUserFiles(missing) => missing
            .0
            .iter()
            .map(|m| {
                Diagnostic::error(
                    "E083",
                    m.yaml_path.clone(),
                    format!("{} does not exist", m.path.display()),
                )
                .with_hint(format!(
                    "paths are relative to the directory of {name}; meshctl only creates certificates declared with `generate:`"
                ))
                .with_location(locate(&m.yaml_path))
            })
            .collect(),
        Assessment::Failed(error) => vec![Diagnostic::error(
            "E083",
            first.clone(),
            format!("the mesh certificates do not verify: {error}"),
        )
        .with_hint("Linkerd needs ECDSA P-256 certificates, the issuer signed by the trust anchor with CN identity.linkerd.<trustDomain>, and each key matching its certificate")
        .with_location(locate(first))],
    }
}
