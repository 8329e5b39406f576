//! `meshctl certs init|show|rotate-issuer`: the mesh's shared trust anchor and issuer.
//!
//! Material lives in the state directory (default `.meshctl/<topology name>/` next to the
//! topology) and is created once; every later run reuses it. The directory carries a
//! `.gitignore` (`*`) so that the keys never end up in the GitOps repository the topology
//! usually lives in. Keys are never printed.

use super::load::{load_valid, ValidTopology};
use super::CliError;
use meshctl_certs::topology::{certs_command, not_created, Assessment, MeshCertificates};
use meshctl_certs::{describe, CertStore, LabeledPem, Origin};
use meshctl_core::graph::{state_key, Paths};
use meshctl_core::topology::load;
use meshctl_core::topology::Linkerd;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

/// How `certs show` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    Human,
    /// One JSON document.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: CertsCommand,
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// The topology whose mesh the certificates belong to.
    #[arg(value_name = "FILE")]
    file: String,
    /// Where generated certificates are kept (default: `.meshctl/<topology name>/` beside
    /// the topology file).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum CertsCommand {
    /// Create the trust anchor and issuer if they are missing (idempotent).
    Init {
        #[command(flatten)]
        common: Common,
        /// Generate a new trust anchor even though another state directory beside this one
        /// holds one for this topology file (as after renaming `metadata.name`): a new
        /// anchor starts a new mesh.
        #[arg(long)]
        new_trust_anchor: bool,
        /// Kubeconfig for the check that no cluster already trusts another anchor (default:
        /// `KUBECONFIG`, else `~/.kube/config`).
        #[arg(long, value_name = "PATH")]
        kubeconfig: Option<PathBuf>,
        /// Do not read the clusters before generating a new trust anchor.
        #[arg(long)]
        offline: bool,
    },
    /// Show subjects, issuers, validity and fingerprints (never keys), and whether the
    /// anchor and issuer verify; exits 1 when they do not.
    Show {
        #[command(flatten)]
        common: Common,
        /// Output format; JSON keys are camelCase like every other meshctl document.
        #[arg(long, short, value_enum, default_value_t = Format::Human)]
        output: Format,
        /// The same as `--output json` (deprecated).
        #[arg(long, hide = true)]
        json: bool,
    },
    /// Make a new issuer under the same trust anchor (the old one is kept as a backup).
    RotateIssuer(Common),
}

impl Args {
    /// The topology file when `certs show` prints JSON (see `cli::run`'s error document).
    pub fn json_file(&self) -> Option<&str> {
        match &self.command {
            CertsCommand::Show {
                common,
                output,
                json,
            } if *json || *output == Format::Json => Some(&common.file),
            _ => None,
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        CertsCommand::Init {
            common,
            new_trust_anchor,
            kubeconfig,
            offline,
        } => init(&common, new_trust_anchor, (!offline).then_some(kubeconfig)),
        CertsCommand::Show {
            common,
            output,
            json,
        } => show(&common, json || output == Format::Json),
        CertsCommand::RotateIssuer(common) => rotate(&common),
    }
}

/// The certificates of the topology in `common.file`.
fn open(common: &Common) -> Result<MeshCertificates, CliError> {
    open_loaded(common, &load_valid(&common.file)?)
}

/// [`open`] for a topology already loaded from `common.file`.
fn open_loaded(common: &Common, topology: &ValidTopology) -> Result<MeshCertificates, CliError> {
    let linkerd = linkerd_of(topology)?;
    let paths = Paths::for_file(
        Path::new(&common.file),
        &topology.loaded.topology,
        common.state_dir.as_deref(),
    );
    Ok(MeshCertificates::new(linkerd, &paths)?)
}

fn linkerd_of(topology: &ValidTopology) -> Result<&Linkerd, CliError> {
    topology
        .loaded
        .topology
        .spec
        .mesh
        .linkerd
        .as_ref()
        .ok_or_else(|| CliError::NoMesh {
            file: topology.name.clone(),
        })
}

fn origin_word(origin: Origin) -> &'static str {
    match origin {
        Origin::Created => "created",
        Origin::Reused => "reused",
        Origin::UserFiles => "your file",
    }
}

/// Writes the note about a `.gitignore` this run created.
fn note_gitignore(out: &mut impl Write, store: &CertStore, existed: bool) -> std::io::Result<()> {
    if !existed && store.gitignore_path().exists() {
        writeln!(
            out,
            "note: created {} (`*`) so that git never picks up the private keys in {}",
            store.gitignore_path().display(),
            store.dir().display()
        )?;
    }
    Ok(())
}

/// `clusters`: `None` with `--offline`, else the kubeconfig to read the clusters with.
fn init(
    common: &Common,
    new_trust_anchor: bool,
    clusters: Option<Option<PathBuf>>,
) -> Result<ExitCode, CliError> {
    let topology = load_valid(&common.file)?;
    let certificates = open_loaded(common, &topology)?;
    let missing = certificates.missing_user_files();
    if !missing.is_empty() {
        return Err(missing.into());
    }
    if !new_trust_anchor {
        if let Some(earlier) = certificates.earlier_state(&claimed_state_keys(&common.file)) {
            return Err(CliError::EarlierState {
                state_dir: certificates.store.dir().to_path_buf(),
                earlier,
            });
        }
    }
    let store = &certificates.store;
    if let Some(kubeconfig) = clusters {
        let conflicts = live_anchor_conflicts(common, &topology, kubeconfig)?;
        if !conflicts.is_empty() {
            return Err(CliError::Live(conflicts.join("\n")));
        }
    }
    let had_gitignore = store.gitignore_path().exists();
    let material = store.ensure(&certificates.settings, SystemTime::now())?;
    let mut out = std::io::stdout().lock();
    for (what, source) in [
        ("trust anchor", &material.anchor_source),
        ("issuer", &material.issuer_source),
    ] {
        writeln!(
            out,
            "{what}: {} {}",
            origin_word(source.origin),
            source.cert.display()
        )?;
    }
    note_gitignore(&mut out, store, had_gitignore)?;
    for note in &material.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Before a new trust anchor is generated: the clusters of the topology that already trust
/// one (the executor's guard, the same one `plan` and `apply` run). Clusters that do not
/// exist yet or cannot be reached are not in the way.
fn live_anchor_conflicts(
    common: &Common,
    topology: &ValidTopology,
    kubeconfig: Option<PathBuf>,
) -> Result<Vec<String>, CliError> {
    let loaded = &topology.loaded.topology;
    let paths = Paths::for_file(Path::new(&common.file), loaded, common.state_dir.as_deref());
    let graph = meshctl_core::graph::build(loaded, &paths)?;
    let mut options = meshctl_executor::ExecutorOptions::new(loaded.metadata.name.clone());
    options.kubeconfig = kubeconfig;
    let runtime = super::live::runtime()?;
    Ok(runtime.block_on(async {
        let engine = meshctl_executor::engine::Engine::new(&graph, &options);
        meshctl_executor::trust::new_anchor_conflicts(&graph, &engine).await
    }))
}

/// The state keys of the other topologies beside `file`: their state directories are
/// theirs, not an earlier name of this one.
fn claimed_state_keys(file: &str) -> BTreeSet<String> {
    let path = Path::new(file);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|other| {
            other.file_name() != path.file_name()
                && other.extension().is_some_and(|e| e == "yaml" || e == "yml")
        })
        .filter_map(|other| std::fs::read(other).ok())
        .filter_map(|bytes| load(&bytes).ok())
        .map(|loaded| state_key(&loaded.topology).to_string())
        .collect()
}

/// What `show` found in one certificate file.
enum Shown {
    Certificates(Vec<meshctl_certs::CertSummary>),
    Missing,
    Unreadable(String),
}

fn read_for_show(path: &Path) -> Shown {
    if !path.exists() {
        return Shown::Missing;
    }
    let label = path.display().to_string();
    match std::fs::read(path) {
        Err(e) => Shown::Unreadable(format!("cannot read {label}: {e}")),
        Ok(pem) => match describe(LabeledPem::new(&label, &pem)) {
            Ok(summaries) => Shown::Certificates(summaries),
            Err(e) => Shown::Unreadable(e.to_string()),
        },
    }
}

fn show(common: &Common, json: bool) -> Result<ExitCode, CliError> {
    let certificates = open(common)?;
    let (anchor, issuer) = certificates.certificate_paths();
    let shown: Vec<(&str, String, Shown)> = [("trust anchor", &anchor), ("issuer", &issuer)]
        .into_iter()
        .map(|(role, path)| (role, path.display().to_string(), read_for_show(path)))
        .collect();

    let (verified, problem) = match certificates.assess(SystemTime::now()) {
        Assessment::MissingUserFiles(missing) => (None, Some(missing.to_string())),
        Assessment::Failed(e) => (None, Some(format!("verification failed: {e}"))),
        Assessment::Ok(material) => {
            let to_create = not_created(&material);
            if to_create.is_empty() {
                (Some(material.verified.clone()), None)
            } else {
                let paths: Vec<String> =
                    to_create.iter().map(|p| p.display().to_string()).collect();
                (
                    None,
                    Some(format!(
                        "not created yet: {}; `{}` creates the generated certificates",
                        paths.join(", "),
                        certs_command("init", &common.file, common.state_dir.as_deref())
                    )),
                )
            }
        }
    };

    let mut out = std::io::stdout().lock();
    if json {
        let certificates: Vec<_> = shown
            .iter()
            .map(|(role, file, found)| match found {
                Shown::Certificates(summaries) => {
                    serde_json::json!({"role": role, "file": file, "certificates": summaries})
                }
                Shown::Missing => {
                    serde_json::json!({"role": role, "file": file, "certificates": [], "missing": true})
                }
                Shown::Unreadable(reason) => {
                    serde_json::json!({"role": role, "file": file, "certificates": [], "error": reason})
                }
            })
            .collect();
        let doc = serde_json::json!({
            "certificates": certificates,
            "verified": verified,
            "problem": problem,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).map_err(std::io::Error::from)?
        )?;
    } else {
        for (role, file, found) in &shown {
            writeln!(out, "{role}: {file}")?;
            match found {
                Shown::Missing => writeln!(out, "  does not exist")?,
                Shown::Unreadable(reason) => writeln!(out, "  cannot be shown: {reason}")?,
                Shown::Certificates(summaries) => {
                    for s in summaries {
                        write_summary(&mut out, s)?;
                    }
                }
            }
        }
        if let Some(v) = &verified {
            writeln!(
                out,
                "verified: issuer chains to the anchor; issuer expires in {} days, anchor in {} days",
                v.days_until_issuer_expiry(),
                v.days_until_anchor_expiry()
            )?;
        }
    }
    out.flush()?;
    match problem {
        Some(problem) => Err(CliError::Certificates(problem)),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn write_summary(out: &mut impl Write, s: &meshctl_certs::CertSummary) -> std::io::Result<()> {
    writeln!(out, "  subject:     {}", s.subject)?;
    writeln!(out, "  issuer:      {}", s.issuer)?;
    writeln!(out, "  serial:      {}", s.serial)?;
    writeln!(out, "  valid:       {} → {}", s.not_before, s.not_after)?;
    writeln!(
        out,
        "  CA:          {}{}",
        s.is_ca,
        s.path_len
            .map(|p| format!(" (pathLen {p})"))
            .unwrap_or_default()
    )?;
    writeln!(out, "  key usage:   {}", s.key_usages.join(", "))?;
    writeln!(out, "  key:         {}", s.key_algorithm)?;
    writeln!(out, "  sha256:      {}", s.sha256_fingerprint)
}

fn rotate(common: &Common) -> Result<ExitCode, CliError> {
    let MeshCertificates { settings, store } = open(common)?;
    let had_gitignore = store.gitignore_path().exists();
    let rotated = store.rotate_issuer(&settings, SystemTime::now())?;
    let mut out = std::io::stdout().lock();
    let issuer = &rotated.material.issuer_source;
    writeln!(
        out,
        "issuer: new {} (key {})",
        issuer.cert.display(),
        issuer.key.display()
    )?;
    if let Some((cert, key)) = &rotated.backup {
        writeln!(
            out,
            "previous issuer kept as {} and {}",
            cert.display(),
            key.display()
        )?;
    }
    note_gitignore(&mut out, &store, had_gitignore)?;
    for note in &rotated.material.notes {
        writeln!(out, "note: {note}")?;
    }
    writeln!(
        out,
        "the trust anchor {} is unchanged, so existing proxies keep trusting it and the new issuer alike",
        rotated.material.anchor_source.cert.display()
    )?;
    writeln!(
        out,
        "next: roll the new issuer out to every cluster of the mesh; the clusters keep using the old one until then. For example, for each cluster:"
    )?;
    writeln!(
        out,
        "  linkerd --context <context> upgrade --identity-issuer-certificate-file {} --identity-issuer-key-file {} | kubectl --context <context> apply -f -",
        issuer.cert.display(),
        issuer.key.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
