//! TLS certificates of Linkerd's admission webhooks and of viz's tap APIService, generated once
//! by meshctl and kept in the state directory, so that rendering Linkerd twice gives the same
//! bytes.
//!
//! # Why
//!
//! Linkerd's charts call Helm's `genSelfSignedCert` on every render for five TLS endpoints the
//! Kubernetes API server calls (stable-2.13.3, `charts/linkerd-control-plane/templates/
//! proxy-injector-rbac.yaml`, `destination-rbac.yaml`, `viz/charts/linkerd-viz/templates/
//! tap-rbac.yaml`, `tap-injector-rbac.yaml`). A naive re-render is drift every time, and
//! re-applying a new injector Secret breaks injection until the injector restarts
//! (linkerd/linkerd2#5341). The multicluster chart has no such certificate at that tag (linkerd-smi
//! lives in its own repository and is not covered here).
//!
//! # How the certificates reach the charts
//!
//! At stable-2.13.3 (and up to 2.18; `charts/partials/templates/_validate.tpl`) the chart *fails*
//! when `caBundle` is set without `externalSecret: true`, and with only `crtPEM`/`keyPEM` set it
//! still puts a freshly generated certificate into the webhook's `caBundle` — the API server would
//! then reject our certificate. The one deterministic combination is therefore, per webhook:
//!
//! * chart values `<key>.externalSecret: true` and `<key>.caBundle: <certificate PEM>` — public
//!   data only, from [`control_plane_values`] / [`viz_values`], written with [`write_values_file`]
//!   and passed to `linkerd install` / `linkerd viz install` with `--values <file>` (`-f`);
//! * the Secret the chart no longer renders (`linkerd-proxy-injector-k8s-tls`, …, type
//!   `kubernetes.io/tls`, keys `tls.crt` / `tls.key`) applied by meshctl itself from
//!   [`WebhookCert::secret_name`] / [`WebhookCert::cert_pem`] / [`WebhookCert::key_pem`].
//!
//! No private key is ever put into chart values or on a command line.
//!
//! # The certificates
//!
//! Like the chart's `genSelfSignedCert`, each certificate is self-signed and is its own CA
//! bundle; unlike it, the key is ECDSA P-256 (PKCS#8 `PRIVATE KEY`, which both the Go webhooks'
//! `pkg/tls.DecodePEMKey` and the Rust policy controller's kubert 0.16 loader accept; kubert
//! would refuse a SEC1 `EC PRIVATE KEY`). Subject CN and the only DNS SAN are
//! `<service>.<namespace>.svc`, the name the API server dials and `linkerd check` verifies.
//! Extended key usage serverAuth (Go's verifier requires it by default), key usage
//! digitalSignature, no CA flag (Go accepts a leaf that is itself in the root pool).
//!
//! Validity is [`WEBHOOK_CERT_VALIDITY`] (ten years, the chart uses one): a webhook certificate
//! that expires while nobody runs meshctl silently stops injection (the injector's failure policy
//! is `Ignore`), and it protects only API-server→webhook traffic inside the cluster. A stored
//! certificate is renewed only when it expires within [`WEBHOOK_RENEW_BEFORE`] (60 days, so
//! `linkerd check`'s "cert is valid for at least 60 days" never warns), or when it no longer fits
//! (other namespace, key that does not match, not P-256, bad signature, unreadable).
//!
//! # Layout
//!
//! ```text
//! <state>/webhooks/<cluster>/proxy-injector.crt    0644   proxy-injector.key    0600
//!                            sp-validator.*               policy-validator.*
//!                            tap.*                        tap-injector.*
//! ```
//!
//! The state directory's `.gitignore` is created before any key is written. Each write is atomic
//! (temp file, fsync, rename, fsync of the directory); the key is written before its certificate,
//! so a crash leaves at worst a key that does not match the old certificate, which the next run
//! detects and replaces. Concurrent runs must be kept apart by the state lock ([`crate::lock`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use ring::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY};

use crate::error::CertError;
use crate::fsutil::{self, CERT_MODE, KEY_MODE};
use crate::keys::{load_p256_key_pair, SecretPem};
use crate::parse::{common_name, parse_certificate, rfc3339, single_certificate_der};
use crate::profile::CLOCK_SKEW_ALLOWANCE;
use crate::store::CertStore;

/// How long a generated webhook certificate is valid (3650 days).
pub const WEBHOOK_CERT_VALIDITY: Duration = Duration::from_secs(3650 * 24 * 3600);

/// A stored webhook certificate is renewed when it expires within this (60 days, the threshold
/// of `linkerd check`).
pub const WEBHOOK_RENEW_BEFORE: Duration = crate::verify::LINKERD_CHECK_EXPIRY_WARNING;

/// Directory under the state directory that holds the webhook certificates, one subdirectory per
/// cluster.
pub const WEBHOOKS_DIR: &str = "webhooks";

/// Kubernetes Secret type of the webhook Secrets (keys `tls.crt`, `tls.key`).
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";

/// Which chart renders a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkerdChart {
    /// `linkerd install` (chart `linkerd-control-plane`), in the control-plane namespace.
    ControlPlane,
    /// `linkerd viz install` (chart `linkerd-viz`), in the viz namespace.
    Viz,
}

/// One TLS endpoint of Linkerd that the Kubernetes API server calls and whose certificate the
/// charts would otherwise generate on every render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkerdWebhook {
    /// MutatingWebhookConfiguration `linkerd-proxy-injector-webhook-config`.
    ProxyInjector,
    /// ValidatingWebhookConfiguration `linkerd-sp-validator-webhook-config`.
    ProfileValidator,
    /// ValidatingWebhookConfiguration `linkerd-policy-validator-webhook-config`.
    PolicyValidator,
    /// viz APIService `v1alpha1.tap.linkerd.io`.
    Tap,
    /// viz MutatingWebhookConfiguration `linkerd-tap-injector-webhook-config`.
    TapInjector,
}

impl LinkerdWebhook {
    /// All of them, control plane first.
    pub const ALL: [LinkerdWebhook; 5] = [
        LinkerdWebhook::ProxyInjector,
        LinkerdWebhook::ProfileValidator,
        LinkerdWebhook::PolicyValidator,
        LinkerdWebhook::Tap,
        LinkerdWebhook::TapInjector,
    ];

    /// The chart that renders it.
    pub fn chart(self) -> LinkerdChart {
        match self {
            LinkerdWebhook::ProxyInjector
            | LinkerdWebhook::ProfileValidator
            | LinkerdWebhook::PolicyValidator => LinkerdChart::ControlPlane,
            LinkerdWebhook::Tap | LinkerdWebhook::TapInjector => LinkerdChart::Viz,
        }
    }

    /// Top-level key of its settings in the chart's values (`proxyInjector`, …).
    pub fn values_key(self) -> &'static str {
        match self {
            LinkerdWebhook::ProxyInjector => "proxyInjector",
            LinkerdWebhook::ProfileValidator => "profileValidator",
            LinkerdWebhook::PolicyValidator => "policyValidator",
            LinkerdWebhook::Tap => "tap",
            LinkerdWebhook::TapInjector => "tapInjector",
        }
    }

    /// The Service the API server dials; the certificate's name is `<service>.<namespace>.svc`.
    pub fn service(self) -> &'static str {
        match self {
            LinkerdWebhook::ProxyInjector => "linkerd-proxy-injector",
            LinkerdWebhook::ProfileValidator => "linkerd-sp-validator",
            LinkerdWebhook::PolicyValidator => "linkerd-policy-validator",
            LinkerdWebhook::Tap => "tap",
            LinkerdWebhook::TapInjector => "tap-injector",
        }
    }

    /// The `kubernetes.io/tls` Secret the component mounts (the chart renders it unless
    /// `externalSecret` is true).
    pub fn secret_name(self) -> &'static str {
        match self {
            LinkerdWebhook::ProxyInjector => "linkerd-proxy-injector-k8s-tls",
            LinkerdWebhook::ProfileValidator => "linkerd-sp-validator-k8s-tls",
            LinkerdWebhook::PolicyValidator => "linkerd-policy-validator-k8s-tls",
            LinkerdWebhook::Tap => "tap-k8s-tls",
            LinkerdWebhook::TapInjector => "tap-injector-k8s-tls",
        }
    }

    /// The Deployment whose pods mount the Secret and serve the endpoint (the destination
    /// pod holds both validators). Its pods read the certificate when they start, so a new
    /// certificate needs a new rollout.
    pub fn deployment(self) -> &'static str {
        match self {
            LinkerdWebhook::ProxyInjector => "linkerd-proxy-injector",
            LinkerdWebhook::ProfileValidator | LinkerdWebhook::PolicyValidator => {
                "linkerd-destination"
            }
            LinkerdWebhook::Tap => "tap",
            LinkerdWebhook::TapInjector => "tap-injector",
        }
    }

    /// File name stem in the state directory.
    fn file_stem(self) -> &'static str {
        match self {
            LinkerdWebhook::ProxyInjector => "proxy-injector",
            LinkerdWebhook::ProfileValidator => "sp-validator",
            LinkerdWebhook::PolicyValidator => "policy-validator",
            LinkerdWebhook::Tap => "tap",
            LinkerdWebhook::TapInjector => "tap-injector",
        }
    }
}

impl std::fmt::Display for LinkerdWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.file_stem())
    }
}

/// The namespaces Linkerd is installed into; they are part of every certificate's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookNamespaces {
    /// Control plane (`linkerd install`), default `linkerd`.
    pub control_plane: String,
    /// viz extension (`linkerd viz install`), default `linkerd-viz`.
    pub viz: String,
}

impl Default for WebhookNamespaces {
    fn default() -> Self {
        WebhookNamespaces {
            control_plane: "linkerd".to_owned(),
            viz: "linkerd-viz".to_owned(),
        }
    }
}

impl WebhookNamespaces {
    /// The namespace `webhook` lives in.
    pub fn of(&self, webhook: LinkerdWebhook) -> &str {
        match webhook.chart() {
            LinkerdChart::ControlPlane => &self.control_plane,
            LinkerdChart::Viz => &self.viz,
        }
    }
}

/// How a webhook certificate in a [`WebhookSet`] came to be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "origin", content = "reason")]
pub enum WebhookOrigin {
    /// There was none; generated and stored by this call.
    Created,
    /// Found in the state directory, valid, reused byte for byte.
    Reused,
    /// The stored one was replaced by this call, for the reason given (expiring, other
    /// namespace, unreadable, …).
    Replaced(String),
}

/// Everything that can go wrong while providing webhook certificates.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// A file operation failed (the path is in the message).
    #[error(transparent)]
    Cert(#[from] CertError),

    /// A cluster or namespace name cannot be used.
    #[error("{what} \"{value}\" {why}")]
    InvalidName {
        /// What the name is ("cluster name", "namespace", "values file name").
        what: &'static str,
        /// The name.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },

    /// rcgen refused to build the certificate or the key.
    #[error("generating the {webhook} certificate: {reason}")]
    Generate {
        /// Which webhook.
        webhook: LinkerdWebhook,
        /// What failed.
        reason: String,
    },

    /// The chart values could not be serialized.
    #[error("writing chart values {path}: {reason}")]
    Values {
        /// The values file.
        path: PathBuf,
        /// serde_yaml's message.
        reason: String,
    },
}

/// One webhook's certificate and key. `Debug` shows neither PEM.
#[derive(Clone)]
pub struct WebhookCert {
    webhook: LinkerdWebhook,
    namespace: String,
    cert_pem: String,
    key_pem: SecretPem,
    not_after: OffsetDateTime,
    origin: WebhookOrigin,
    cert_path: PathBuf,
    key_path: PathBuf,
}

impl WebhookCert {
    /// Which webhook.
    pub fn webhook(&self) -> LinkerdWebhook {
        self.webhook
    }

    /// The namespace it is for.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `<service>.<namespace>.svc`: its CN and only DNS SAN.
    pub fn dns_name(&self) -> String {
        dns_name(self.webhook, &self.namespace)
    }

    /// The first 16 hex digits of the SHA-256 of the certificate PEM: public, stable while
    /// the certificate is kept, different once it is renewed.
    pub fn fingerprint(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.cert_pem.as_bytes());
        digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The Secret to apply in [`WebhookCert::namespace`] (type [`TLS_SECRET_TYPE`]).
    pub fn secret_name(&self) -> &'static str {
        self.webhook.secret_name()
    }

    /// Certificate PEM: the Secret's `tls.crt`, and the chart's `caBundle`.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Private key PEM (PKCS#8): the Secret's `tls.key`.
    pub fn key_pem(&self) -> &SecretPem {
        &self.key_pem
    }

    /// notAfter, RFC 3339.
    pub fn not_after(&self) -> String {
        rfc3339(self.not_after)
    }

    /// Whether it was created, reused or replaced by the call that returned it.
    pub fn origin(&self) -> &WebhookOrigin {
        &self.origin
    }

    /// Where the certificate is stored.
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// Where the key is stored (0600).
    pub fn key_path(&self) -> &Path {
        &self.key_path
    }
}

impl std::fmt::Debug for WebhookCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookCert")
            .field("webhook", &self.webhook)
            .field("dns_name", &self.dns_name())
            .field("not_after", &self.not_after())
            .field("origin", &self.origin)
            .field("cert_path", &self.cert_path)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The five webhook certificates of one cluster. `Debug` shows no PEM.
#[derive(Clone)]
pub struct WebhookSet {
    dir: PathBuf,
    certs: Vec<WebhookCert>,
}

impl WebhookSet {
    /// `<state>/webhooks/<cluster>`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// All certificates, in [`LinkerdWebhook::ALL`] order.
    pub fn certs(&self) -> &[WebhookCert] {
        &self.certs
    }

    /// The certificate of `webhook`.
    pub fn get(&self, webhook: LinkerdWebhook) -> &WebhookCert {
        // `ensure_webhook_certificates` builds exactly one per webhook, in ALL order.
        &self.certs[LinkerdWebhook::ALL
            .iter()
            .position(|w| *w == webhook)
            .unwrap_or_default()]
    }

    /// The certificates a chart needs (and whose Secrets go with that chart's install).
    pub fn for_chart(&self, chart: LinkerdChart) -> impl Iterator<Item = &WebhookCert> {
        self.certs
            .iter()
            .filter(move |c| c.webhook.chart() == chart)
    }

    /// One line per certificate that was created or replaced (nothing if all were reused).
    pub fn notes(&self) -> Vec<String> {
        self.certs
            .iter()
            .filter_map(|c| match &c.origin {
                WebhookOrigin::Reused => None,
                WebhookOrigin::Created => Some(format!(
                    "generated webhook certificate {} for {} (valid until {})",
                    c.cert_path.display(),
                    c.dns_name(),
                    c.not_after()
                )),
                WebhookOrigin::Replaced(reason) => Some(format!(
                    "replaced webhook certificate {} for {}: {reason}",
                    c.cert_path.display(),
                    c.dns_name()
                )),
            })
            .collect()
    }
}

impl std::fmt::Debug for WebhookSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSet")
            .field("dir", &self.dir)
            .field("certs", &self.certs)
            .finish()
    }
}

/// `<service>.<namespace>.svc`
fn dns_name(webhook: LinkerdWebhook, namespace: &str) -> String {
    format!("{}.{namespace}.svc", webhook.service())
}

/// Makes sure `<state_dir>/webhooks/<cluster>/` holds a valid certificate for each of the five
/// webhooks and returns them: a stored certificate that is valid at `now` for more than
/// [`WEBHOOK_RENEW_BEFORE`], names `<service>.<namespace>.svc` and matches its key is reused byte
/// for byte (a second call writes nothing); any other is generated (or replaced) and stored.
pub fn ensure_webhook_certificates(
    state_dir: &Path,
    cluster: &str,
    namespaces: &WebhookNamespaces,
    now: SystemTime,
) -> Result<WebhookSet, WebhookError> {
    check_path_component("cluster name", cluster)?;
    check_dns_label("namespace", &namespaces.control_plane)?;
    check_dns_label("namespace", &namespaces.viz)?;
    let dir = state_dir.join(WEBHOOKS_DIR).join(cluster);
    let now = OffsetDateTime::from(now);

    let mut certs = Vec::with_capacity(LinkerdWebhook::ALL.len());
    let mut dir_ready = false;
    for webhook in LinkerdWebhook::ALL {
        let namespace = namespaces.of(webhook).to_owned();
        let cert_path = dir.join(format!("{}.crt", webhook.file_stem()));
        let key_path = dir.join(format!("{}.key", webhook.file_stem()));
        let stored = read_stored(webhook, &namespace, &cert_path, &key_path, now)?;
        let (cert_pem, key_pem, not_after, origin) = match stored {
            Stored::Valid {
                cert_pem,
                key_pem,
                not_after,
            } => (cert_pem, key_pem, not_after, WebhookOrigin::Reused),
            Stored::Missing | Stored::Unusable(_) => {
                let origin = match stored {
                    Stored::Unusable(reason) => WebhookOrigin::Replaced(reason),
                    _ => WebhookOrigin::Created,
                };
                if !dir_ready {
                    prepare_dir(state_dir, &dir)?;
                    dir_ready = true;
                }
                let (cert_pem, key_pem, not_after) = generate(webhook, &namespace, now)?;
                // Key first: a crash in between leaves a mismatch the next run replaces, never a
                // certificate whose key is gone.
                fsutil::replace(&key_path, key_pem.expose_pem().as_bytes(), KEY_MODE)?;
                fsutil::replace(&cert_path, cert_pem.as_bytes(), CERT_MODE)?;
                (cert_pem, key_pem, not_after, origin)
            }
        };
        certs.push(WebhookCert {
            webhook,
            namespace,
            cert_pem,
            key_pem,
            not_after,
            origin,
            cert_path,
            key_path,
        });
    }
    Ok(WebhookSet { dir, certs })
}

/// Values for `linkerd install` (chart `linkerd-control-plane`): for `proxyInjector`,
/// `profileValidator` and `policyValidator`, `externalSecret: true` and `caBundle: <cert PEM>`.
/// Holds no private key. The Secrets must be applied alongside (see the module docs).
pub fn control_plane_values(set: &WebhookSet) -> serde_yaml::Value {
    chart_values(set, LinkerdChart::ControlPlane)
}

/// Values for `linkerd viz install` (chart `linkerd-viz`): `tap` and `tapInjector`, as
/// [`control_plane_values`].
pub fn viz_values(set: &WebhookSet) -> serde_yaml::Value {
    chart_values(set, LinkerdChart::Viz)
}

fn chart_values(set: &WebhookSet, chart: LinkerdChart) -> serde_yaml::Value {
    let mut root = serde_yaml::Mapping::new();
    for cert in set.for_chart(chart) {
        let mut entry = serde_yaml::Mapping::new();
        entry.insert("externalSecret".into(), true.into());
        entry.insert("caBundle".into(), cert.cert_pem.clone().into());
        root.insert(cert.webhook.values_key().into(), entry.into());
    }
    serde_yaml::Value::Mapping(root)
}

/// Writes `values` as YAML to `<dir>/<file_name>` (0600, atomically) and returns the path, for
/// `--values <path>`. An identical existing file with the right mode is left untouched, so
/// repeated runs change nothing. `dir` is created (0700) if missing.
pub fn write_values_file(
    dir: &Path,
    file_name: &str,
    values: &serde_yaml::Value,
) -> Result<PathBuf, WebhookError> {
    check_path_component("values file name", file_name)?;
    let path = dir.join(file_name);
    let text = serde_yaml::to_string(values).map_err(|e| WebhookError::Values {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if fsutil::exists(&path)? && fsutil::read(&path)? == text.as_bytes() && mode_is(&path, KEY_MODE)
    {
        return Ok(path);
    }
    fsutil::ensure_dir(dir)?;
    fsutil::replace(&path, text.as_bytes(), KEY_MODE)?;
    Ok(path)
}

#[cfg(unix)]
fn mode_is(path: &Path, mode: u32) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777 == mode)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn mode_is(_path: &Path, _mode: u32) -> bool {
    true
}

/// Creates the state directory with its `.gitignore` first, then the cluster's directory.
fn prepare_dir(state_dir: &Path, dir: &Path) -> Result<(), CertError> {
    fsutil::ensure_dir(state_dir)?;
    CertStore::new(state_dir).ensure_gitignore()?;
    fsutil::ensure_dir(dir)
}

enum Stored {
    Missing,
    Valid {
        cert_pem: String,
        key_pem: SecretPem,
        not_after: OffsetDateTime,
    },
    /// Present but not reusable, with the reason.
    Unusable(String),
}

fn read_stored(
    webhook: LinkerdWebhook,
    namespace: &str,
    cert_path: &Path,
    key_path: &Path,
    now: OffsetDateTime,
) -> Result<Stored, CertError> {
    match (fsutil::exists(cert_path)?, fsutil::exists(key_path)?) {
        (false, false) => return Ok(Stored::Missing),
        (true, false) => {
            return Ok(Stored::Unusable(format!(
                "its key {} is missing",
                key_path.display()
            )))
        }
        (false, true) => {
            return Ok(Stored::Unusable(format!(
                "{} exists without its certificate",
                key_path.display()
            )))
        }
        (true, true) => {}
    }
    let cert_pem = match fsutil::read_string(cert_path) {
        Ok(pem) => pem,
        Err(CertError::Pem { reason, .. }) => return Ok(Stored::Unusable(reason)),
        Err(e) => return Err(e),
    };
    let key_pem = match fsutil::read_string(key_path) {
        Ok(pem) => SecretPem::new(pem),
        Err(CertError::Pem { reason, .. }) => return Ok(Stored::Unusable(reason)),
        Err(e) => return Err(e),
    };
    Ok(
        match check_stored(
            webhook, namespace, cert_path, &cert_pem, key_path, &key_pem, now,
        ) {
            Ok(not_after) => Stored::Valid {
                cert_pem,
                key_pem,
                not_after,
            },
            Err(reason) => Stored::Unusable(reason),
        },
    )
}

/// Everything that makes a stored pair reusable; `Err` is the reason it is not.
fn check_stored(
    webhook: LinkerdWebhook,
    namespace: &str,
    cert_path: &Path,
    cert_pem: &str,
    key_path: &Path,
    key_pem: &SecretPem,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, String> {
    let cert_label = cert_path.display().to_string();
    let key_label = key_path.display().to_string();
    let der =
        single_certificate_der(&cert_label, cert_pem.as_bytes()).map_err(|e| e.to_string())?;
    let cert = parse_certificate(&cert_label, 0, &der).map_err(|e| e.to_string())?;

    let wanted = dns_name(webhook, namespace);
    let names = dns_names(&cert);
    if names != [wanted.as_str()] || common_name(&cert).as_deref() != Some(wanted.as_str()) {
        return Err(format!(
            "it is for {}, {wanted} is needed",
            if names.is_empty() {
                "no DNS name".to_owned()
            } else {
                names.join(", ")
            }
        ));
    }
    let spki = cert.public_key();
    let on_p256 = spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY
        && spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .is_some_and(|oid| oid == OID_EC_P256);
    if !on_p256 {
        return Err("its key is not ECDSA P-256".to_owned());
    }
    let key = load_p256_key_pair(&key_label, key_pem.expose_pem().as_bytes())
        .map_err(|e| e.to_string())?;
    if key.public_key_raw() != spki.subject_public_key.data.as_ref() {
        return Err(format!("{key_label} is not the key of the certificate"));
    }
    cert.verify_signature(None)
        .map_err(|e| format!("its self-signature does not verify: {e}"))?;

    let validity = cert.validity();
    let not_before = validity.not_before.to_datetime();
    let not_after = validity.not_after.to_datetime();
    if now < not_before {
        return Err(format!("it is not valid before {}", rfc3339(not_before)));
    }
    let renew_at = not_after - time::Duration::try_from(WEBHOOK_RENEW_BEFORE).unwrap_or_default();
    if now >= renew_at {
        return Err(format!(
            "it expires on {}, within {} days",
            rfc3339(not_after),
            WEBHOOK_RENEW_BEFORE.as_secs() / 86_400
        ));
    }
    Ok(not_after)
}

fn dns_names<'a>(cert: &'a X509Certificate<'_>) -> Vec<&'a str> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(*dns),
            _ => None,
        })
        .collect()
}

fn generate(
    webhook: LinkerdWebhook,
    namespace: &str,
    now: OffsetDateTime,
) -> Result<(String, SecretPem, OffsetDateTime), WebhookError> {
    let fail = |reason: String| WebhookError::Generate { webhook, reason };
    let name = dns_name(webhook, namespace);
    let now = now.replace_nanosecond(0).map_err(|e| fail(e.to_string()))?;
    let out_of_range = || fail("validity out of range".to_owned());
    let skew = time::Duration::try_from(CLOCK_SKEW_ALLOWANCE).map_err(|_| out_of_range())?;
    let validity = time::Duration::try_from(WEBHOOK_CERT_VALIDITY).map_err(|_| out_of_range())?;

    let mut params = CertificateParams::new(vec![name.clone()]).map_err(|e| fail(e.to_string()))?;
    let mut distinguished_name = DistinguishedName::new();
    distinguished_name.push(DnType::CommonName, name);
    params.distinguished_name = distinguished_name;
    params.not_before = now.checked_sub(skew).ok_or_else(out_of_range)?;
    params.not_after = now.checked_add(validity).ok_or_else(out_of_range)?;
    params.serial_number = Some(SerialNumber::from_slice(&random_serial().map_err(fail)?));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];

    let key =
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| fail(e.to_string()))?;
    let cert = params.self_signed(&key).map_err(|e| fail(e.to_string()))?;
    Ok((
        cert.pem(),
        SecretPem::new(key.serialize_pem()),
        params.not_after,
    ))
}

/// 128-bit positive serial with a fixed top bit, as the trust material uses.
fn random_serial() -> Result<[u8; 16], String> {
    let mut serial = [0u8; 16];
    SystemRandom::new()
        .fill(&mut serial)
        .map_err(|_| "the system random number generator failed".to_owned())?;
    serial[0] = (serial[0] & 0x7f) | 0x40;
    Ok(serial)
}

/// A single path component: no separators, not `.`/`..`, not hidden, printable ASCII.
fn check_path_component(what: &'static str, value: &str) -> Result<(), WebhookError> {
    let invalid = |why| {
        Err(WebhookError::InvalidName {
            what,
            value: value.to_owned(),
            why,
        })
    };
    if value.is_empty() {
        return invalid("is empty");
    }
    if value.starts_with('.') {
        return invalid("must not start with '.'");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return invalid("may only contain letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

/// A DNS-1123 label, as Kubernetes requires of namespace names.
fn check_dns_label(what: &'static str, value: &str) -> Result<(), WebhookError> {
    let invalid = |why| {
        Err(WebhookError::InvalidName {
            what,
            value: value.to_owned(),
            why,
        })
    };
    let bytes = value.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return invalid("is empty");
    };
    if bytes.len() > 63 {
        return invalid("is longer than 63 characters");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        || !first.is_ascii_alphanumeric()
        || !last.is_ascii_alphanumeric()
    {
        return invalid("is not a DNS-1123 label (lowercase letters, digits and '-')");
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use x509_parser::prelude::FromDer;

    const DAY: Duration = Duration::from_secs(86_400);

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn ensure(state: &Path, now: SystemTime) -> WebhookSet {
        ensure_webhook_certificates(state, "demo", &WebhookNamespaces::default(), now).unwrap()
    }

    #[test]
    fn second_run_reuses_everything_and_values_are_byte_identical() {
        let state = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = ensure(state.path(), now);
        assert!(first
            .certs()
            .iter()
            .all(|c| *c.origin() == WebhookOrigin::Created));
        assert_eq!(first.notes().len(), 5);
        let out = state.path().join("out");
        let cp1 = write_values_file(&out, "cp.yaml", &control_plane_values(&first)).unwrap();
        let cp1_bytes = fs::read(&cp1).unwrap();
        let cp1_inode = fs::metadata(&cp1).unwrap().ino();
        let viz1 =
            fs::read(write_values_file(&out, "viz.yaml", &viz_values(&first)).unwrap()).unwrap();

        let second = ensure(state.path(), now + DAY);
        assert!(second
            .certs()
            .iter()
            .all(|c| *c.origin() == WebhookOrigin::Reused));
        assert!(second.notes().is_empty());
        let cp2 = write_values_file(&out, "cp.yaml", &control_plane_values(&second)).unwrap();
        assert_eq!(fs::read(&cp2).unwrap(), cp1_bytes);
        // Identical content: the file was not even rewritten.
        assert_eq!(fs::metadata(&cp2).unwrap().ino(), cp1_inode);
        let viz2 =
            fs::read(write_values_file(&out, "viz.yaml", &viz_values(&second)).unwrap()).unwrap();
        assert_eq!(viz2, viz1);
        for (a, b) in first.certs().iter().zip(second.certs()) {
            assert_eq!(a.cert_pem(), b.cert_pem());
            assert_eq!(a.key_pem(), b.key_pem());
        }
    }

    #[test]
    fn modes_layout_and_gitignore() {
        let state = tempfile::tempdir().unwrap();
        let set = ensure(state.path(), SystemTime::now());
        assert_eq!(set.dir(), state.path().join("webhooks").join("demo"));
        assert_eq!(mode(set.dir()), 0o700);
        for cert in set.certs() {
            assert_eq!(
                mode(cert.key_path()),
                0o600,
                "{}",
                cert.key_path().display()
            );
            assert_eq!(
                mode(cert.cert_path()),
                0o644,
                "{}",
                cert.cert_path().display()
            );
            assert_eq!(
                fs::read_to_string(cert.key_path()).unwrap(),
                cert.key_pem().expose_pem()
            );
            assert!(cert
                .key_pem()
                .expose_pem()
                .starts_with("-----BEGIN PRIVATE KEY-----"));
        }
        assert_eq!(
            fs::read_to_string(state.path().join(crate::GITIGNORE_FILE)).unwrap(),
            crate::GITIGNORE_CONTENTS
        );
        let values = write_values_file(set.dir(), "viz.yaml", &viz_values(&set)).unwrap();
        assert_eq!(mode(&values), 0o600);
        // A values file that somehow became world-readable is rewritten 0600.
        fs::set_permissions(&values, fs::Permissions::from_mode(0o644)).unwrap();
        write_values_file(set.dir(), "viz.yaml", &viz_values(&set)).unwrap();
        assert_eq!(mode(&values), 0o600);
    }

    #[test]
    fn certificates_name_the_service_and_verify_as_their_own_ca() {
        let state = tempfile::tempdir().unwrap();
        let namespaces = WebhookNamespaces {
            control_plane: "mesh".to_owned(),
            viz: "mesh-viz".to_owned(),
        };
        let now = SystemTime::now();
        let set = ensure_webhook_certificates(state.path(), "demo3", &namespaces, now).unwrap();
        let expected = [
            (
                LinkerdWebhook::ProxyInjector,
                "linkerd-proxy-injector.mesh.svc",
            ),
            (
                LinkerdWebhook::ProfileValidator,
                "linkerd-sp-validator.mesh.svc",
            ),
            (
                LinkerdWebhook::PolicyValidator,
                "linkerd-policy-validator.mesh.svc",
            ),
            (LinkerdWebhook::Tap, "tap.mesh-viz.svc"),
            (LinkerdWebhook::TapInjector, "tap-injector.mesh-viz.svc"),
        ];
        for (webhook, name) in expected {
            let cert = set.get(webhook);
            assert_eq!(cert.webhook(), webhook);
            assert_eq!(cert.dns_name(), name);
            let der = single_certificate_der("t", cert.cert_pem().as_bytes()).unwrap();
            let (_, x509) = X509Certificate::from_der(&der).unwrap();
            assert_eq!(dns_names(&x509), vec![name]);
            assert_eq!(common_name(&x509).as_deref(), Some(name));
            assert_eq!(x509.issuer(), x509.subject());
            x509.verify_signature(None).unwrap();
            assert!(!x509.is_ca());
            let eku = x509.extended_key_usage().unwrap().unwrap().value;
            assert!(eku.server_auth);
            let key = load_p256_key_pair("k", cert.key_pem().expose_pem().as_bytes()).unwrap();
            assert_eq!(
                key.public_key_raw(),
                x509.public_key().subject_public_key.data.as_ref()
            );
            let not_after = x509.validity().not_after.timestamp();
            let expected_not_after =
                OffsetDateTime::from(now).unix_timestamp() + WEBHOOK_CERT_VALIDITY.as_secs() as i64;
            assert!((not_after - expected_not_after).abs() <= 1, "{name}");
        }
    }

    /// What the API server does: trust the certificate as its own CA bundle and dial the
    /// service name. Skipped (visibly) without openssl.
    #[test]
    fn openssl_accepts_each_certificate_for_its_service_name() {
        let available = std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !available {
            eprintln!("note: openssl is not on PATH; skipping the openssl cross-check");
            return;
        }
        let state = tempfile::tempdir().unwrap();
        let set = ensure(state.path(), SystemTime::now());
        for cert in set.certs() {
            let check = |host: &str| {
                std::process::Command::new("openssl")
                    .args(["verify", "-purpose", "sslserver", "-verify_hostname", host])
                    .arg("-CAfile")
                    .arg(cert.cert_path())
                    .arg(cert.cert_path())
                    .output()
                    .unwrap()
            };
            let out = check(&cert.dns_name());
            assert!(
                out.status.success(),
                "{}: {}{}",
                cert.dns_name(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!check("linkerd-identity.linkerd.svc").status.success());
        }
    }

    #[test]
    fn values_carry_the_ca_bundle_and_no_key() {
        let state = tempfile::tempdir().unwrap();
        let set = ensure(state.path(), SystemTime::now());
        let cp = control_plane_values(&set);
        let keys: Vec<_> = cp
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            ["proxyInjector", "profileValidator", "policyValidator"]
        );
        assert_eq!(cp["proxyInjector"]["externalSecret"].as_bool(), Some(true));
        assert_eq!(
            cp["policyValidator"]["caBundle"].as_str(),
            Some(set.get(LinkerdWebhook::PolicyValidator).cert_pem())
        );
        let viz = viz_values(&set);
        let keys: Vec<_> = viz
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(keys, ["tap", "tapInjector"]);
        assert_eq!(
            viz["tapInjector"]["caBundle"].as_str(),
            Some(set.get(LinkerdWebhook::TapInjector).cert_pem())
        );
        for values in [cp, viz] {
            let text = serde_yaml::to_string(&values).unwrap();
            assert!(!text.contains("PRIVATE KEY"), "{text}");
            // The PEM survives the YAML round trip exactly.
            let back: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            assert_eq!(back, values);
        }
    }

    #[test]
    fn debug_output_shows_no_pem() {
        let state = tempfile::tempdir().unwrap();
        let set = ensure(state.path(), SystemTime::now());
        let debug = format!("{set:?} {:?}", set.certs()[0]);
        assert!(!debug.contains("PRIVATE KEY"), "{debug}");
        assert!(!debug.contains("BEGIN"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
        assert!(
            debug.contains("linkerd-proxy-injector.linkerd.svc"),
            "{debug}"
        );
    }

    #[test]
    fn renewed_only_when_expiring_or_unfit() {
        let state = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = ensure(state.path(), now);
        let injector = first.get(LinkerdWebhook::ProxyInjector).clone();

        // 61 days before the end: still reused.
        let late = now + WEBHOOK_CERT_VALIDITY - 61 * DAY;
        assert_eq!(
            *ensure(state.path(), late)
                .get(LinkerdWebhook::ProxyInjector)
                .origin(),
            WebhookOrigin::Reused
        );
        // 59 days before the end: replaced, and the new one is reused afterwards.
        let later = now + WEBHOOK_CERT_VALIDITY - 59 * DAY;
        let renewed = ensure(state.path(), later);
        let cert = renewed.get(LinkerdWebhook::ProxyInjector);
        assert!(
            matches!(cert.origin(), WebhookOrigin::Replaced(reason) if reason.contains("within 60 days")),
            "{:?}",
            cert.origin()
        );
        assert_ne!(cert.cert_pem(), injector.cert_pem());
        assert_eq!(
            *ensure(state.path(), later)
                .get(LinkerdWebhook::ProxyInjector)
                .origin(),
            WebhookOrigin::Reused
        );
    }

    #[test]
    fn unfit_stored_files_are_replaced_with_the_reason() {
        let state = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let first = ensure(state.path(), now);

        // Another namespace: every certificate of that chart is replaced.
        let namespaces = WebhookNamespaces {
            control_plane: "linkerd".to_owned(),
            viz: "viz".to_owned(),
        };
        let moved = ensure_webhook_certificates(state.path(), "demo", &namespaces, now).unwrap();
        assert!(
            matches!(moved.get(LinkerdWebhook::Tap).origin(),
                WebhookOrigin::Replaced(r) if r.contains("tap.linkerd-viz.svc") && r.contains("tap.viz.svc")),
            "{:?}",
            moved.get(LinkerdWebhook::Tap).origin()
        );
        assert_eq!(
            *moved.get(LinkerdWebhook::ProxyInjector).origin(),
            WebhookOrigin::Reused
        );

        // A key that belongs to another certificate.
        let injector = first.get(LinkerdWebhook::ProxyInjector);
        let other_key = first.get(LinkerdWebhook::ProfileValidator).key_path();
        fs::copy(other_key, injector.key_path()).unwrap();
        // A missing key.
        fs::remove_file(first.get(LinkerdWebhook::PolicyValidator).key_path()).unwrap();
        // A certificate that is not PEM at all.
        fs::write(
            first.get(LinkerdWebhook::TapInjector).cert_path(),
            b"garbage",
        )
        .unwrap();

        let repaired = ensure_webhook_certificates(state.path(), "demo", &namespaces, now).unwrap();
        let reason = |w| match repaired.get(w).origin() {
            WebhookOrigin::Replaced(r) => r.clone(),
            other => panic!("{w}: {other:?}"),
        };
        assert!(reason(LinkerdWebhook::ProxyInjector).contains("is not the key"));
        assert!(reason(LinkerdWebhook::PolicyValidator).contains("is missing"));
        assert!(reason(LinkerdWebhook::TapInjector).contains("CERTIFICATE"));
        assert_eq!(
            *repaired.get(LinkerdWebhook::ProfileValidator).origin(),
            WebhookOrigin::Reused
        );
        // And now all of them are fine again.
        let again = ensure_webhook_certificates(state.path(), "demo", &namespaces, now).unwrap();
        assert!(again.notes().is_empty(), "{:?}", again.notes());
    }

    #[test]
    fn names_that_would_escape_or_break_are_refused() {
        let state = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        for cluster in ["", "..", "../x", "a/b", ".hidden"] {
            let err = ensure_webhook_certificates(
                state.path(),
                cluster,
                &WebhookNamespaces::default(),
                now,
            )
            .unwrap_err();
            assert!(
                matches!(
                    err,
                    WebhookError::InvalidName {
                        what: "cluster name",
                        ..
                    }
                ),
                "{cluster}: {err}"
            );
        }
        let namespaces = WebhookNamespaces {
            control_plane: "Linkerd".to_owned(),
            ..WebhookNamespaces::default()
        };
        let err = ensure_webhook_certificates(state.path(), "demo", &namespaces, now).unwrap_err();
        assert_eq!(
            err.to_string(),
            "namespace \"Linkerd\" is not a DNS-1123 label (lowercase letters, digits and '-')"
        );
        // Nothing was created for refused input.
        assert_eq!(fs::read_dir(state.path()).unwrap().count(), 0);
        let err =
            write_values_file(state.path(), "../v.yaml", &serde_yaml::Value::Null).unwrap_err();
        assert!(matches!(err, WebhookError::InvalidName { .. }), "{err}");
    }
}
