//! The glue between a topology and its trust material: the topology's `mesh.linkerd`
//! section as [`TrustSettings`] (user files resolved against the topology file), its
//! [`CertStore`] in the state directory, and the assessment `plan` and `validate` report
//! as diagnostics (W074 expiry, W075 unreadable or unverifiable). The only file of this
//! crate that knows the topology model.

use crate::{
    CertError, CertRole, CertSource, CertStore, ExpiryInfo, Origin, TrustMaterial, TrustSettings,
};
use meshctl_core::graph::{ids, Desired, ExternalAction, Graph, Paths, ResolvedCertificate};
use meshctl_core::plan::policy::StoredTrust;
use meshctl_core::topology::{CertificateSource, Linkerd, SourceIndex};
use meshctl_core::Diagnostic;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// YAML path of the user's trust anchor files, for messages and diagnostics.
pub const ANCHOR_FILES: &str = "spec.mesh.linkerd.trustAnchor.files";
/// YAML path of the user's issuer files, for messages and diagnostics.
pub const ISSUER_FILES: &str = "spec.mesh.linkerd.issuer.files";

/// The topology's trust settings. Paths of user files are relative to the topology file.
pub fn trust_settings(linkerd: &Linkerd, paths: &Paths) -> Result<TrustSettings, CertError> {
    let source = |spec: &Option<CertificateSource>,
                  common_name: String,
                  validity: Option<Duration>|
     -> Result<CertSource, CertError> {
        match spec {
            Some(CertificateSource::Files(files)) => Ok(CertSource::Files {
                cert: paths.user_file(&files.cert),
                key: paths.user_file(&files.key),
            }),
            _ => Ok(CertSource::Generate {
                common_name,
                validity: validity.ok_or_else(|| {
                    CertError::Settings(
                        "certificate validity is malformed; run `meshctl validate`".into(),
                    )
                })?,
            }),
        }
    };
    Ok(TrustSettings {
        trust_domain: linkerd.trust_domain.clone(),
        anchor: source(
            &linkerd.trust_anchor,
            linkerd.anchor_common_name(),
            linkerd.anchor_validity(),
        )?,
        issuer: source(
            &linkerd.issuer,
            linkerd.issuer_common_name(),
            linkerd.issuer_validity(),
        )?,
    })
}

/// A topology's trust settings and the store that keeps its generated material.
#[derive(Debug, Clone)]
pub struct MeshCertificates {
    /// Where each certificate comes from.
    pub settings: TrustSettings,
    /// The state directory.
    pub store: CertStore,
}

impl MeshCertificates {
    /// The certificates of the mesh `linkerd`, with paths resolved by `paths`.
    pub fn new(linkerd: &Linkerd, paths: &Paths) -> Result<MeshCertificates, CertError> {
        Ok(MeshCertificates {
            settings: trust_settings(linkerd, paths)?,
            store: CertStore::new(paths.state_dir.clone()),
        })
    }

    /// The certificate files the mesh uses (stored or user-provided): (anchor, issuer).
    pub fn certificate_paths(&self) -> (PathBuf, PathBuf) {
        let anchor = match &self.settings.anchor {
            CertSource::Files { cert, .. } => cert.clone(),
            CertSource::Generate { .. } => self.store.anchor_cert_path(),
        };
        let issuer = match &self.settings.issuer {
            CertSource::Files { cert, .. } => cert.clone(),
            CertSource::Generate { .. } => self.store.issuer_cert_path(),
        };
        (anchor, issuer)
    }

    /// The user-provided files `init` needs that do not exist: the anchor certificate, the
    /// issuer certificate and key, and the anchor key when a generated issuer still has to
    /// be signed.
    pub fn missing_user_files(&self) -> MissingUserFiles {
        let (settings, store) = (&self.settings, &self.store);
        let mut needed = Vec::new();
        if let CertSource::Files { cert, key } = &settings.anchor {
            needed.push((cert, format!("{ANCHOR_FILES}.cert")));
            let issuer_to_sign = !settings.issuer.is_files()
                && !store.issuer_cert_path().exists()
                && !store.issuer_key_path().exists();
            if issuer_to_sign {
                needed.push((key, format!("{ANCHOR_FILES}.key")));
            }
        }
        if let CertSource::Files { cert, key } = &settings.issuer {
            needed.push((cert, format!("{ISSUER_FILES}.cert")));
            needed.push((key, format!("{ISSUER_FILES}.key")));
        }
        MissingUserFiles(
            needed
                .into_iter()
                .filter(|(path, _)| !path.exists())
                .map(|(path, yaml_path)| MissingUserFile {
                    path: path.clone(),
                    yaml_path,
                })
                .collect(),
        )
    }

    /// The state of the mesh's trust material, as `init` would find it — without writing.
    pub fn assess(&self, now: SystemTime) -> Assessment {
        let missing = self.missing_user_files();
        if !missing.0.is_empty() {
            return Assessment::MissingUserFiles(missing);
        }
        match self.store.check(&self.settings, now) {
            Ok(material) => Assessment::Ok(Box::new(material)),
            Err(e) => Assessment::Failed(e),
        }
    }
}

impl MeshCertificates {
    /// When `init` would generate a new trust anchor: another state directory beside this
    /// one that holds a trust anchor and is not `claimed` by another topology in the same
    /// directory (`claimed`: their state keys) — as after a rename of `metadata.name`.
    /// Starting over there would split the mesh.
    pub fn earlier_state(&self, claimed: &BTreeSet<String>) -> Option<PathBuf> {
        if !matches!(self.settings.anchor, CertSource::Generate { .. })
            || self.store.anchor_cert_path().exists()
        {
            return None;
        }
        let dir = self.store.dir();
        let root = dir.parent()?;
        let mut candidates: Vec<PathBuf> = std::fs::read_dir(root)
            .ok()?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path != dir && path.join(crate::ANCHOR_CERT_FILE).is_file())
            .filter(|path| {
                path.file_name()
                    .is_some_and(|key| !claimed.contains(key.to_string_lossy().as_ref()))
            })
            .collect();
        candidates.sort();
        candidates.into_iter().next()
    }
}

/// Whether the generated trust anchor and issuer of `graph`'s certificates exist.
pub fn stored_trust(graph: &Graph) -> StoredTrust {
    let Some(node) = graph.node(&ids::certificates()) else {
        return StoredTrust::default();
    };
    let Desired::Action(ExternalAction::Certificates {
        trust_anchor,
        issuer,
        ..
    }) = &node.desired
    else {
        return StoredTrust::default();
    };
    let generated_exists = |certificate: &ResolvedCertificate| {
        matches!(certificate, ResolvedCertificate::Generate { .. }) && certificate.cert().is_file()
    };
    StoredTrust {
        anchor: generated_exists(trust_anchor),
        issuer: generated_exists(issuer),
    }
}

/// A file named in the topology that does not exist, and the YAML path that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingUserFile {
    /// The resolved path.
    pub path: PathBuf,
    /// Where the topology names it.
    pub yaml_path: String,
}

impl fmt::Display for MissingUserFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.yaml_path)
    }
}

/// The files named in the topology that do not exist (possibly none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MissingUserFiles(pub Vec<MissingUserFile>);

impl MissingUserFiles {
    /// True when every named file exists.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for MissingUserFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(
            f,
            "the topology names certificate files that do not exist: {}; the files named in the topology must exist (meshctl only creates certificates declared with `generate:`)",
            files.join(", ")
        )
    }
}

/// The state of the mesh's trust material, as `init` would find it.
#[derive(Debug)]
pub enum Assessment {
    /// Files named in the topology do not exist.
    MissingUserFiles(MissingUserFiles),
    /// Everything exists and verifies (`Origin::Created` marks what `init` would still
    /// generate; those files do not exist).
    Ok(Box<TrustMaterial>),
    /// Something exists but cannot be read, does not verify, or is half a pair.
    Failed(CertError),
}

/// The generated files `init` would still create.
pub fn not_created(material: &TrustMaterial) -> Vec<PathBuf> {
    [&material.anchor_source, &material.issuer_source]
        .into_iter()
        .filter(|s| s.origin == Origin::Created)
        .flat_map(|s| [s.cert.clone(), s.key.clone()])
        .collect()
}

/// `meshctl certs <sub> FILE [--state-dir DIR]`, as the user should type it.
pub fn certs_command(sub: &str, file: &str, explicit_state_dir: Option<&Path>) -> String {
    match explicit_state_dir {
        Some(dir) => format!("meshctl certs {sub} {file} --state-dir {}", dir.display()),
        None => format!("meshctl certs {sub} {file}"),
    }
}

/// How a command that reports on certificates was invoked, for the advice it gives.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// The topology file as the user named it.
    pub file: &'a str,
    /// `--state-dir`, when given.
    pub explicit_state_dir: Option<&'a Path>,
}

/// Certificate warnings for `plan`:
/// * `W074` for each existing certificate that expires within `threshold`, with what to do
///   about it (for a generated issuer, `meshctl certs rotate-issuer FILE`; for user files,
///   replacing them);
/// * `W075` when the certificates cannot be read or do not verify, or when files the
///   topology names do not exist.
///
/// Generated material that does not exist yet is not a problem (`meshctl certs init`
/// creates it): no warning.
pub fn plan_warnings(
    certificates: &MeshCertificates,
    index: &SourceIndex,
    invocation: Invocation<'_>,
    threshold: Duration,
) -> Vec<Diagnostic> {
    let show = certs_command("show", invocation.file, invocation.explicit_state_dir);
    match certificates.assess(SystemTime::now()) {
        Assessment::MissingUserFiles(missing) => missing
            .0
            .iter()
            .map(|m| {
                Diagnostic::warning(
                    "W075",
                    m.yaml_path.clone(),
                    format!(
                        "the mesh certificates cannot be read: {} (named at {}) does not exist",
                        m.path.display(),
                        m.yaml_path
                    ),
                )
                .with_hint(
                    "put the file there or correct the path (relative to the topology file); meshctl only creates certificates declared with `generate:`",
                )
                .with_location(index.locate(&m.yaml_path))
            })
            .collect(),
        Assessment::Failed(e) => vec![Diagnostic::warning(
            "W075",
            "spec.mesh.linkerd",
            format!("the mesh certificates cannot be read or do not verify: {e}"),
        )
        .with_hint(format!("`{show}` says what is wrong"))
        .with_location(index.locate("spec.mesh.linkerd"))],
        Assessment::Ok(material) => {
            let settings = &certificates.settings;
            let mut warnings = Vec::new();
            for (info, source, role_settings) in [
                (
                    &material.verified.anchor,
                    &material.anchor_source,
                    &settings.anchor,
                ),
                (
                    &material.verified.issuer,
                    &material.issuer_source,
                    &settings.issuer,
                ),
            ] {
                // What init would create does not exist yet: nothing expires.
                if source.origin == Origin::Created
                    || info.seconds_until_expiry >= threshold.as_secs()
                {
                    continue;
                }
                warnings.push(
                    Diagnostic::warning("W074", "spec.mesh.linkerd", expiry_message(info))
                        .with_hint(expiry_hint(info, role_settings, invocation))
                        .with_location(index.locate("spec.mesh.linkerd")),
                );
            }
            warnings
        }
    }
}

fn expiry_message(info: &ExpiryInfo) -> String {
    format!(
        "{} {} ({}) expires soon: on {} (in {} days)",
        info.role, info.label, info.subject, info.not_after, info.days_until_expiry
    )
}

fn expiry_hint(info: &ExpiryInfo, source: &CertSource, invocation: Invocation<'_>) -> String {
    match (info.role, source) {
        (CertRole::Issuer, CertSource::Generate { .. }) => format!(
            "run `{}`, then roll the new issuer out to every cluster",
            certs_command("rotate-issuer", invocation.file, invocation.explicit_state_dir)
        ),
        (CertRole::Issuer, CertSource::Files { cert, key }) => format!(
            "replace {} and {} (your files) with a new issuer signed by the same trust anchor, then roll it out to every cluster",
            cert.display(),
            key.display()
        ),
        (CertRole::TrustAnchor, CertSource::Generate { .. }) => "a new trust anchor must reach every cluster and proxy before this one expires: follow Linkerd's trust anchor rotation procedure (`meshctl certs rotate-issuer` replaces only the issuer)".to_owned(),
        (CertRole::TrustAnchor, CertSource::Files { cert, .. }) => format!(
            "replace {} (your file) following Linkerd's trust anchor rotation procedure: every cluster and proxy must get the new anchor before this one expires",
            cert.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use meshctl_core::graph;

    #[test]
    fn core_and_the_store_name_the_generated_files_alike() {
        // The graph points `linkerd install` at these files; the store writes them.
        assert_eq!(graph::ANCHOR_CERT_FILE, crate::ANCHOR_CERT_FILE);
        assert_eq!(graph::ANCHOR_KEY_FILE, crate::ANCHOR_KEY_FILE);
        assert_eq!(graph::ISSUER_CERT_FILE, crate::ISSUER_CERT_FILE);
        assert_eq!(graph::ISSUER_KEY_FILE, crate::ISSUER_KEY_FILE);
    }
}
