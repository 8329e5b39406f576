//! The one error type of this crate. Every variant that concerns a certificate or key names the
//! file (or label) it came from, so a message can be printed as-is to the user.

use std::path::PathBuf;

/// Which of the two certificates a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertRole {
    /// The root CA whose certificate every proxy trusts (`ca-bundle.crt`).
    TrustAnchor,
    /// The intermediate CA that Linkerd's identity controller signs workload certificates with.
    Issuer,
}

impl std::fmt::Display for CertRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CertRole::TrustAnchor => "trust anchor",
            CertRole::Issuer => "issuer",
        })
    }
}

/// Everything that can go wrong while generating, storing or verifying trust material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("read", "create", …).
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The input is not PEM, or holds no block of the expected kind.
    #[error("{label}: {reason}")]
    Pem {
        /// The file or label of the input.
        label: String,
        /// What is wrong.
        reason: String,
    },

    /// A PEM block decoded but its content is not a valid X.509 certificate.
    #[error("{label}: certificate #{index} is not a valid X.509 certificate: {reason}")]
    Certificate {
        /// The file or label of the input.
        label: String,
        /// 1-based position of the block in the file.
        index: usize,
        /// Parser message.
        reason: String,
    },

    /// A private key could not be parsed (unsupported encoding, encrypted, corrupt).
    #[error("{label}: not a usable private key: {reason}")]
    PrivateKey {
        /// The file or label of the key.
        label: String,
        /// What is wrong.
        reason: String,
    },

    /// The certificate's public key is not ECDSA P-256, or it is not signed with ECDSA-SHA256.
    #[error("{role} {label}: Linkerd requires ECDSA P-256 keys and ecdsa-with-SHA256 signatures, found {found}")]
    Algorithm {
        /// Which certificate.
        role: CertRole,
        /// The file or label.
        label: String,
        /// What was found instead.
        found: String,
    },

    /// basicConstraints CA:TRUE is missing.
    #[error("{role} {label} is not a CA certificate (basicConstraints CA:TRUE is missing)")]
    NotCa {
        /// Which certificate.
        role: CertRole,
        /// The file or label.
        label: String,
    },

    /// keyUsage lacks keyCertSign.
    #[error("{role} {label} may not sign certificates (keyUsage lacks keyCertSign)")]
    MissingKeyCertSign {
        /// Which certificate.
        role: CertRole,
        /// The file or label.
        label: String,
    },

    /// The issuer certificate names an issuer DN that is not the anchor's subject.
    #[error(
        "issuer {issuer} was issued by \"{issuer_dn}\", but trust anchor {anchor} is \"{anchor_subject}\""
    )]
    IssuerNameMismatch {
        /// The issuer file or label.
        issuer: String,
        /// The anchor file or label.
        anchor: String,
        /// The issuer certificate's issuer DN.
        issuer_dn: String,
        /// The anchor subject(s).
        anchor_subject: String,
    },

    /// The issuer's signature does not verify with the anchor's public key.
    #[error("issuer {issuer} is not signed by trust anchor {anchor}: {reason}")]
    NotSignedByAnchor {
        /// The issuer file or label.
        issuer: String,
        /// The anchor file or label.
        anchor: String,
        /// Verifier message.
        reason: String,
    },

    /// The issuer's common name is not `identity.linkerd.<trust domain>`.
    #[error("issuer {label} has common name \"{found}\", expected \"{expected}\" for trust domain {trust_domain}")]
    IssuerCommonName {
        /// The issuer file or label.
        label: String,
        /// The CN that is required.
        expected: String,
        /// The CN found (empty if none).
        found: String,
        /// The trust domain the expectation derives from.
        trust_domain: String,
    },

    /// `now` is after notAfter.
    #[error("{role} {label} expired on {not_after}")]
    Expired {
        /// Which certificate.
        role: CertRole,
        /// The file or label.
        label: String,
        /// notAfter, RFC 3339.
        not_after: String,
    },

    /// `now` is before notBefore.
    #[error("{role} {label} is not valid before {not_before}")]
    NotYetValid {
        /// Which certificate.
        role: CertRole,
        /// The file or label.
        label: String,
        /// notBefore, RFC 3339.
        not_before: String,
    },

    /// The issuer would stay valid after the anchor that vouches for it has expired.
    #[error("issuer {issuer} is valid until {issuer_not_after}, after trust anchor {anchor} expires ({anchor_not_after})")]
    IssuerOutlivesAnchor {
        /// The issuer file or label.
        issuer: String,
        /// The anchor file or label.
        anchor: String,
        /// Issuer notAfter, RFC 3339.
        issuer_not_after: String,
        /// Anchor notAfter, RFC 3339.
        anchor_not_after: String,
    },

    /// The private key does not belong to the certificate.
    #[error("private key {key} does not match the public key of certificate {cert}")]
    KeyMismatch {
        /// The key file or label.
        key: String,
        /// The certificate file or label.
        cert: String,
    },

    /// Only one half of a certificate/key pair exists in the state directory.
    #[error("{present} exists but {missing} does not; refusing to guess (restore {missing}, or remove {present} if nothing depends on it)")]
    PartialPair {
        /// The file that exists.
        present: PathBuf,
        /// The file that is missing.
        missing: PathBuf,
    },

    /// An issuer exists but the anchor it chains to is gone; generating a new anchor would
    /// silently break the chain.
    #[error("issuer {issuer} exists but trust anchor {anchor} does not; refusing to generate a new anchor the existing issuer cannot chain to (restore the anchor, or remove the issuer files to start over)")]
    AnchorMissing {
        /// The existing issuer certificate.
        issuer: PathBuf,
        /// The missing anchor certificate.
        anchor: PathBuf,
    },

    /// A new issuer must be signed but the anchor's private key is not available.
    #[error("cannot sign a new issuer: trust anchor key {key} is missing")]
    AnchorKeyMissing {
        /// The missing key.
        key: PathBuf,
    },

    /// `rotate_issuer` was asked to replace an issuer that the user supplies as files.
    #[error("the issuer comes from user-supplied files ({cert}, {key}); meshctl does not rotate it — replace those files yourself")]
    RotateUserIssuer {
        /// User certificate file.
        cert: PathBuf,
        /// User key file.
        key: PathBuf,
    },

    /// The combination of settings cannot work.
    #[error("invalid trust settings: {0}")]
    Settings(String),

    /// rcgen refused to build a certificate or key.
    #[error("generating the {role}: {reason}")]
    Generate {
        /// Which certificate.
        role: CertRole,
        /// rcgen's message.
        reason: String,
    },
}

impl CertError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        CertError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
