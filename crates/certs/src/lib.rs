//! Linkerd trust material for meshctl: the trust anchor (root CA) and the identity issuer
//! (intermediate CA) that every cluster of a multi-cluster mesh must share.
//!
//! This crate owns
//! * the X.509 profiles, matching `step certificate create --profile root-ca` / `intermediate-ca`
//!   ([`profile`]);
//! * generating ECDSA P-256 anchors and issuers with rcgen ([`generate_anchor`],
//!   [`generate_issuer`]);
//! * the state directory that keeps generated material across runs — created atomically, keys
//!   0600, never regenerated ([`CertStore`]), and issuer rotation;
//! * verifying an anchor / issuer / key triple the way Linkerd would accept it, as pure functions
//!   over PEM so the same check applies to files and to what a live cluster holds
//!   ([`verify_trust`], [`expiry_warnings`]);
//! * summaries for display ([`describe`]);
//! * the TLS certificates of Linkerd's webhooks and viz's tap, generated once and kept beside the
//!   trust material so renders are deterministic, and the chart values that pass them
//!   ([`ensure_webhook_certificates`], [`control_plane_values`], [`viz_values`]);
//! * the state lock that keeps two runs off one state directory ([`lock`]).
//!
//! It does no network or Kubernetes I/O and needs no async runtime. Private keys are only ever
//! held in [`SecretPem`], whose `Debug`/`Display` print `[redacted]`.

#![deny(missing_docs)]

mod describe;
mod error;
mod fsutil;
mod generate;
pub mod judge;
mod keys;
pub mod lock;
mod parse;
pub mod profile;
mod settings;
mod store;
pub mod topology;
mod verify;
mod webhook;

pub use describe::{describe, CertSummary};
pub use error::{CertError, CertRole};
pub use generate::{generate_anchor, generate_issuer, GeneratedCert};
pub use keys::SecretPem;
pub use lock::{LockError, LockInfo, StateLock};
pub use profile::issuer_common_name;
pub use settings::{validate_trust_domain, CertSource, TrustSettings};
pub use store::{
    CertStore, MaterialSource, Origin, RotatedIssuer, TrustMaterial, ANCHOR_CERT_FILE,
    ANCHOR_KEY_FILE, GITIGNORE_CONTENTS, GITIGNORE_FILE, ISSUER_CERT_FILE, ISSUER_CERT_PENDING,
    ISSUER_KEY_FILE, ISSUER_KEY_PENDING,
};
pub use verify::{
    expiry_warnings, verify_trust, ExpiryInfo, LabeledPem, VerifiedTrust,
    LINKERD_CHECK_EXPIRY_WARNING,
};
pub use webhook::{
    control_plane_values, ensure_webhook_certificates, viz_values, write_values_file, LinkerdChart,
    LinkerdWebhook, WebhookCert, WebhookError, WebhookNamespaces, WebhookOrigin, WebhookSet,
    TLS_SECRET_TYPE, WEBHOOKS_DIR, WEBHOOK_CERT_VALIDITY, WEBHOOK_RENEW_BEFORE,
};
