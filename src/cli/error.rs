//! Failures of a command that are not diagnostics about a topology (those are printed as
//! diagnostics and end in [`CliError::Invalid`]).

use super::load::InvalidTopology;
use meshctl_certs::topology::MissingUserFiles;
use meshctl_certs::CertError;
use meshctl_core::graph::GraphError;
use std::path::PathBuf;

/// Why a command failed. `main` prints it after `error: ` and exits 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Writing to stdout or stderr failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A FILE argument that names more (or less) than one topology where one is needed.
    #[error("`{0}` must name one topology file")]
    NotOneFile(String),
    /// An input could not be read.
    #[error("{0}")]
    Unreadable(String),
    /// The topology has errors; its diagnostics are already printed.
    #[error(transparent)]
    Invalid(#[from] InvalidTopology),
    /// The graph could not be built (an invalid topology got through, or a bug).
    #[error("{0}")]
    Graph(#[from] GraphError),
    /// A certificate could not be read, verified, generated or stored.
    #[error("{0}")]
    Cert(#[from] CertError),
    /// The topology names certificate files that do not exist.
    #[error(transparent)]
    MissingCertificateFiles(#[from] MissingUserFiles),
    /// `certs show` found the certificates unusable; it has printed what it could.
    #[error("{0}")]
    Certificates(String),
    /// A `certs` command on a topology without a mesh.
    #[error("{file} declares no mesh (spec.mesh.linkerd), so it has no certificates; add spec.mesh.linkerd first")]
    NoMesh {
        /// The topology file.
        file: String,
    },
    /// `certs init` would start a new mesh beside the state of this topology's old name.
    #[error(
        "{} holds no trust anchor, but {} holds one for this topology file: a new anchor would split the mesh. If the topology was renamed, set `stateKey: {}` under spec.mesh.linkerd (or pass --state-dir {}); to start a new mesh on purpose, pass --new-trust-anchor",
        state_dir.display(),
        earlier.display(),
        earlier.file_name().map(|k| k.to_string_lossy()).unwrap_or_default(),
        earlier.display()
    )]
    EarlierState {
        /// The state directory the topology names now.
        state_dir: PathBuf,
        /// The one that holds the mesh's anchor.
        earlier: PathBuf,
    },
    /// A command that talks to clusters could not start or finish (lock held, no
    /// terminal to confirm on, unknown --target, runtime).
    #[error("{0}")]
    Live(String),
    /// `render` could not write its output.
    #[error("cannot {action} {}: {source}; check that the output directory is writable", path.display())]
    Write {
        /// What was being done (`create`, `write`, `remove stale`).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl CliError {
    /// A stable camelCase name of the failure, for the `-o json` error document.
    pub fn kind(&self) -> &'static str {
        match self {
            CliError::Io(_) => "io",
            CliError::NotOneFile(_) => "notOneFile",
            CliError::Unreadable(_) => "unreadable",
            CliError::Invalid(_) => "invalidTopology",
            CliError::Graph(_) => "graph",
            CliError::Cert(_) => "certificate",
            CliError::MissingCertificateFiles(_) => "missingCertificateFiles",
            CliError::Certificates(_) => "certificates",
            CliError::NoMesh { .. } => "noMesh",
            CliError::EarlierState { .. } => "earlierState",
            CliError::Live(_) => "live",
            CliError::Write { .. } => "write",
        }
    }

    /// Whether the command printed its report before failing (`certs show` prints what
    /// it could read, then fails): no error document then, stdout holds one document.
    pub fn report_printed(&self) -> bool {
        matches!(self, CliError::Certificates(_))
    }
}
