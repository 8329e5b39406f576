//! `meshctl certs init|show|rotate-issuer`: the mesh's shared trust anchor and issuer.
//!
//! Material lives in the state directory (default `.meshctl/<topology name>/` next to the
//! topology) and is created once; every later run reuses it. Keys are never printed.

use super::load::{load_valid, ValidTopology};
use super::CliError;
use meshctl_certs::{
    describe, expiry_warnings, verify_trust, CertError, CertSource, CertStore, LabeledPem,
    TrustSettings, VerifiedTrust,
};
use meshctl_core::topology::{CertificateSource, Linkerd};
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
    /// Show subjects, issuers, validity and fingerprints (never keys).
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

/// Where a topology's generated certificates live.
pub fn state_dir(file: &str, topology_name: &str, explicit: Option<&Path>) -> PathBuf {
    if let Some(dir) = explicit {
        return dir.to_path_buf();
    }
    let base = Path::new(file)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
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

/// The cert/key files the topology's mesh uses (stored or user-provided).
fn material_paths(settings: &TrustSettings, store: &CertStore) -> (PathBuf, PathBuf, PathBuf) {
    let anchor = match &settings.anchor {
        CertSource::Files { cert, .. } => cert.clone(),
        CertSource::Generate { .. } => store.anchor_cert_path(),
    };
    let (issuer, key) = match &settings.issuer {
        CertSource::Files { cert, key } => (cert.clone(), key.clone()),
        CertSource::Generate { .. } => (store.issuer_cert_path(), store.issuer_key_path()),
    };
    (anchor, issuer, key)
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| {
        CliError::Usage(format!(
            "cannot read {}: {e}; run `meshctl certs init` to create the certificates",
            path.display()
        ))
    })
}

/// Verifies the material that exists now (without creating anything).
pub fn verify_existing(
    settings: &TrustSettings,
    store: &CertStore,
) -> Result<Option<VerifiedTrust>, CliError> {
    let (anchor, issuer, key) = material_paths(settings, store);
    if !(anchor.exists() && issuer.exists() && key.exists()) {
        return Ok(None);
    }
    let (a, i, k) = (read(&anchor)?, read(&issuer)?, read(&key)?);
    let (al, il, kl) = (
        anchor.display().to_string(),
        issuer.display().to_string(),
        key.display().to_string(),
    );
    verify_trust(
        LabeledPem::new(&al, &a),
        LabeledPem::new(&il, &i),
        LabeledPem::new(&kl, &k),
        &settings.trust_domain,
        SystemTime::now(),
    )
    .map(Some)
    .map_err(cert_error)
}

fn cert_error(e: CertError) -> CliError {
    CliError::Usage(e.to_string())
}

/// Expiry warnings for `plan`: certificates that expire within `threshold`.
pub fn plan_warnings(
    file: &str,
    topology: &ValidTopology,
    explicit: Option<&Path>,
    threshold: Duration,
) -> Vec<String> {
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
    match verify_existing(&settings, &store) {
        Ok(Some(verified)) => expiry_warnings(&verified, threshold),
        Ok(None) => Vec::new(),
        Err(e) => vec![format!("the mesh certificates do not verify: {e}")],
    }
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        CertsCommand::Init(common) => init(&common),
        CertsCommand::Show { common, json } => show(&common, json),
        CertsCommand::RotateIssuer(common) => rotate(&common),
    }
}

fn open(common: &Common) -> Result<(ValidTopology, TrustSettings, CertStore), CliError> {
    let topology = load_valid(&common.file)?;
    let settings = trust_settings(&common.file, linkerd_of(&topology)?)?;
    let store = CertStore::new(state_dir(
        &common.file,
        &topology.loaded.topology.metadata.name,
        common.state_dir.as_deref(),
    ));
    Ok((topology, settings, store))
}

fn init(common: &Common) -> Result<ExitCode, CliError> {
    let (_, settings, store) = open(common)?;
    let mut out = std::io::stdout().lock();
    let material = store
        .ensure(&settings, SystemTime::now())
        .map_err(cert_error)?;
    for (what, source) in [
        ("trust anchor", &material.anchor_source),
        ("issuer", &material.issuer_source),
    ] {
        writeln!(out, "{what}: {:?} {}", source.origin, source.cert.display())?;
    }
    for note in &material.notes {
        writeln!(out, "note: {note}")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(common: &Common, json: bool) -> Result<ExitCode, CliError> {
    let (_, settings, store) = open(common)?;
    let mut out = std::io::stdout().lock();
    let (anchor, issuer, _) = material_paths(&settings, &store);
    let mut shown = Vec::new();
    for (role, path) in [("trust anchor", &anchor), ("issuer", &issuer)] {
        let pem = read(path)?;
        let label = path.display().to_string();
        let summaries = describe(LabeledPem::new(&label, &pem)).map_err(cert_error)?;
        shown.push((role, label, summaries));
    }
    let verified = verify_existing(&settings, &store)?;
    if json {
        let doc = serde_json::json!({
            "certificates": shown.iter().map(|(role, file, summaries)| serde_json::json!({"role": role, "file": file, "certificates": summaries})).collect::<Vec<_>>(),
            "verified": verified,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).map_err(std::io::Error::from)?
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for (role, file, summaries) in &shown {
        writeln!(out, "{role}: {file}")?;
        for s in summaries {
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
            writeln!(out, "  sha256:      {}", s.sha256_fingerprint)?;
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
    Ok(ExitCode::SUCCESS)
}

fn rotate(common: &Common) -> Result<ExitCode, CliError> {
    let (_, settings, store) = open(common)?;
    let mut out = std::io::stdout().lock();
    let rotated = store
        .rotate_issuer(&settings, SystemTime::now())
        .map_err(cert_error)?;
    writeln!(
        out,
        "issuer: new {}",
        rotated.material.issuer_source.cert.display()
    )?;
    if let Some((cert, key)) = &rotated.backup {
        writeln!(
            out,
            "previous issuer kept as {} and {}",
            cert.display(),
            key.display()
        )?;
    }
    writeln!(
        out,
        "the trust anchor is unchanged; apply the topology to roll the new issuer out"
    )?;
    Ok(ExitCode::SUCCESS)
}
