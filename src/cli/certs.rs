//! `meshctl certs init|show|rotate-issuer`: the mesh's shared trust anchor and issuer.
//!
//! Material lives in the state directory (default `.meshctl/<topology name>/` next to the
//! topology) and is created once; every later run reuses it. The directory carries a
//! `.gitignore` (`*`) so that the keys never end up in the GitOps repository the topology
//! usually lives in. Keys are never printed.

use super::load::{load_valid, ValidTopology};
use super::CliError;
use meshctl_certs::{
    describe, CertError, CertRole, CertSource, CertStore, ExpiryInfo, LabeledPem, Origin,
    TrustMaterial, TrustSettings,
};
use meshctl_core::topology::{CertificateSource, Linkerd};
use meshctl_core::Diagnostic;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

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
    Init(Common),
    /// Show subjects, issuers, validity and fingerprints (never keys), and whether the
    /// anchor and issuer verify; exits 1 when they do not.
    Show {
        #[command(flatten)]
        common: Common,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a new issuer under the same trust anchor (the old one is kept as a backup).
    RotateIssuer(Common),
}

/// YAML paths of the user-provided files, for messages and diagnostics.
const ANCHOR_FILES: &str = "spec.mesh.linkerd.trustAnchor.files";
const ISSUER_FILES: &str = "spec.mesh.linkerd.issuer.files";

/// Where a topology's generated certificates live.
pub fn state_dir(file: &str, topology_name: &str, explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    // A bare file name has the empty parent: the state directory is then `.meshctl/…`.
    let base = Path::new(file).parent().unwrap_or(Path::new(""));
    base.join(".meshctl").join(topology_name)
}

fn linkerd_of(topology: &ValidTopology) -> Result<&Linkerd, CliError> {
    topology.loaded.topology.spec.mesh.linkerd.as_ref().ok_or_else(|| {
        CliError::Usage(format!(
            "{} declares no mesh (spec.mesh.linkerd), so it has no certificates; add spec.mesh.linkerd first",
            topology.name
        ))
    })
}

/// The topology's trust settings for the certificate store. Paths of user files are
/// relative to the topology file.
pub fn trust_settings(file: &str, linkerd: &Linkerd) -> Result<TrustSettings, CliError> {
    let base = Path::new(file).parent().unwrap_or(Path::new("."));
    let source = |spec: &Option<CertificateSource>,
                  cn: String,
                  validity: Option<Duration>|
     -> Result<CertSource, CliError> {
        match spec {
            Some(CertificateSource::Files(files)) => Ok(CertSource::Files {
                cert: base.join(&files.cert),
                key: base.join(&files.key),
            }),
            _ => Ok(CertSource::Generate {
                common_name: cn,
                validity: validity.ok_or_else(|| {
                    CliError::Usage(
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

/// The certificate files the topology's mesh uses (stored or user-provided).
fn certificate_paths(settings: &TrustSettings, store: &CertStore) -> (PathBuf, PathBuf) {
    let anchor = match &settings.anchor {
        CertSource::Files { cert, .. } => cert.clone(),
        CertSource::Generate { .. } => store.anchor_cert_path(),
    };
    let issuer = match &settings.issuer {
        CertSource::Files { cert, .. } => cert.clone(),
        CertSource::Generate { .. } => store.issuer_cert_path(),
    };
    (anchor, issuer)
}

/// A file named in the topology that does not exist, and the YAML path that names it.
struct MissingUserFile {
    path: PathBuf,
    yaml_path: String,
}

impl std::fmt::Display for MissingUserFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.yaml_path)
    }
}

/// The user-provided files `init` needs that do not exist: the anchor certificate, the issuer
/// certificate and key, and the anchor key when a generated issuer still has to be signed.
fn missing_user_files(settings: &TrustSettings, store: &CertStore) -> Vec<MissingUserFile> {
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
    needed
        .into_iter()
        .filter(|(path, _)| !path.exists())
        .map(|(path, yaml_path)| MissingUserFile {
            path: path.clone(),
            yaml_path,
        })
        .collect()
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn missing_user_files_message(missing: &[MissingUserFile]) -> String {
    format!(
        "the topology names certificate files that do not exist: {}; the files named in the topology must exist (meshctl only creates certificates declared with `generate:`)",
        join(missing)
    )
}

/// The state of the mesh's trust material, as `init` would find it — without writing.
enum Assessment {
    /// Files named in the topology do not exist.
    MissingUserFiles(Vec<MissingUserFile>),
    /// Everything exists and verifies (`Origin::Created` marks what `init` would still
    /// generate; those files do not exist).
    Ok(Box<TrustMaterial>),
    /// Something exists but cannot be read, does not verify, or is half a pair.
    Failed(CertError),
}

fn assess(settings: &TrustSettings, store: &CertStore) -> Assessment {
    let missing = missing_user_files(settings, store);
    if !missing.is_empty() {
        return Assessment::MissingUserFiles(missing);
    }
    match store.check(settings, SystemTime::now()) {
        Ok(material) => Assessment::Ok(Box::new(material)),
        Err(e) => Assessment::Failed(e),
    }
}

/// The generated files `init` would still create.
fn not_created(material: &TrustMaterial) -> Vec<PathBuf> {
    [&material.anchor_source, &material.issuer_source]
        .into_iter()
        .filter(|s| s.origin == Origin::Created)
        .flat_map(|s| [s.cert.clone(), s.key.clone()])
        .collect()
}

/// `meshctl certs <sub> FILE [--state-dir DIR]`, as the user should type it.
fn command(sub: &str, file: &str, explicit: Option<&Path>) -> String {
    match explicit {
        Some(dir) => format!("meshctl certs {sub} {file} --state-dir {}", dir.display()),
        None => format!("meshctl certs {sub} {file}"),
    }
}

/// Certificate warnings for `plan`:
/// * `W074` for each existing certificate that expires within `threshold`, with what to do
///   about it (for a generated issuer, `meshctl certs rotate-issuer FILE`; for user files,
///   replacing them);
/// * `W075` when the certificates cannot be read or do not verify, or when files the topology
///   names do not exist.
///
/// Generated material that does not exist yet is not a problem (`meshctl certs init` creates
/// it): no warning.
pub fn plan_warnings(
    file: &str,
    topology: &ValidTopology,
    explicit: Option<&Path>,
    threshold: Duration,
) -> Vec<Diagnostic> {
    let Some(linkerd) = topology.loaded.topology.spec.mesh.linkerd.as_ref() else {
        return Vec::new();
    };
    let Ok(settings) = trust_settings(file, linkerd) else {
        return Vec::new();
    };
    let store = CertStore::new(state_dir(
        file,
        &topology.loaded.topology.metadata.name,
        explicit,
    ));
    let index = &topology.loaded.index;
    let show = command("show", file, explicit);
    match assess(&settings, &store) {
        Assessment::MissingUserFiles(missing) => missing
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
                        .with_hint(expiry_hint(info, role_settings, file, explicit))
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

fn expiry_hint(
    info: &ExpiryInfo,
    source: &CertSource,
    file: &str,
    explicit: Option<&Path>,
) -> String {
    match (info.role, source) {
        (CertRole::Issuer, CertSource::Generate { .. }) => format!(
            "run `{}`, then roll the new issuer out to every cluster",
            command("rotate-issuer", file, explicit)
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

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        CertsCommand::Init(common) => init(&common),
        CertsCommand::Show { common, json } => show(&common, json),
        CertsCommand::RotateIssuer(common) => rotate(&common),
    }
}

fn open(common: &Common) -> Result<(TrustSettings, CertStore), CliError> {
    let topology = load_valid(&common.file)?;
    let settings = trust_settings(&common.file, linkerd_of(&topology)?)?;
    let store = CertStore::new(state_dir(
        &common.file,
        &topology.loaded.topology.metadata.name,
        common.state_dir.as_deref(),
    ));
    Ok((settings, store))
}

fn cert_error(e: CertError) -> CliError {
    CliError::Usage(e.to_string())
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

fn init(common: &Common) -> Result<ExitCode, CliError> {
    let (settings, store) = open(common)?;
    let missing = missing_user_files(&settings, &store);
    if !missing.is_empty() {
        return Err(CliError::Usage(missing_user_files_message(&missing)));
    }
    let had_gitignore = store.gitignore_path().exists();
    let material = store
        .ensure(&settings, SystemTime::now())
        .map_err(cert_error)?;
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
    note_gitignore(&mut out, &store, had_gitignore)?;
    for note in &material.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(ExitCode::SUCCESS)
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
    let (settings, store) = open(common)?;
    let (anchor, issuer) = certificate_paths(&settings, &store);
    let shown: Vec<(&str, String, Shown)> = [("trust anchor", &anchor), ("issuer", &issuer)]
        .into_iter()
        .map(|(role, path)| (role, path.display().to_string(), read_for_show(path)))
        .collect();

    let (verified, problem) = match assess(&settings, &store) {
        Assessment::MissingUserFiles(missing) => (None, Some(missing_user_files_message(&missing))),
        Assessment::Failed(e) => (None, Some(format!("verification failed: {e}"))),
        Assessment::Ok(material) => {
            let to_create = not_created(&material);
            if to_create.is_empty() {
                (Some(material.verified.clone()), None)
            } else {
                let paths: Vec<_> = to_create.iter().map(|p| p.display()).collect();
                (
                    None,
                    Some(format!(
                        "not created yet: {}; `{}` creates the generated certificates",
                        join(&paths),
                        command("init", &common.file, common.state_dir.as_deref())
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
        Some(problem) => Err(CliError::Usage(problem)),
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
    let (settings, store) = open(common)?;
    let had_gitignore = store.gitignore_path().exists();
    let rotated = store
        .rotate_issuer(&settings, SystemTime::now())
        .map_err(cert_error)?;
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
