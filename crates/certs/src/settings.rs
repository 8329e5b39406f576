//! What the caller asks for: where the trust anchor and the issuer come from. The CLI converts
//! the topology's `mesh.linkerd` section into these types; nothing here reads YAML.

use std::path::PathBuf;
use std::time::Duration;

/// The trust configuration of one mesh: its trust domain and the source of each CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustSettings {
    /// Linkerd's `--identity-trust-domain`, e.g. `cluster.local`. The issuer's common name must be
    /// `identity.linkerd.<trust_domain>`.
    pub trust_domain: String,
    /// The root CA every proxy trusts.
    pub anchor: CertSource,
    /// The intermediate CA the identity controller signs workload certificates with.
    pub issuer: CertSource,
}

/// Where one certificate and its key come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// meshctl generates it once and keeps it in its state directory.
    Generate {
        /// Subject common name, e.g. `root.linkerd.cluster.local`.
        common_name: String,
        /// How long the certificate is valid from the moment it is generated.
        validity: Duration,
    },
    /// The user supplies PEM files; they are read in place and never copied or modified.
    Files {
        /// PEM certificate (for the anchor, possibly a bundle of several anchors).
        cert: PathBuf,
        /// PEM private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`, unencrypted). For an
        /// anchor it is read only when meshctl has to sign a new issuer with it.
        key: PathBuf,
    },
}

impl CertSource {
    /// True for [`CertSource::Files`].
    pub fn is_files(&self) -> bool {
        matches!(self, CertSource::Files { .. })
    }
}

/// Checks that `trust_domain` is a DNS-1123 subdomain, as `linkerd install` requires of
/// `--identity-trust-domain`.
pub fn validate_trust_domain(trust_domain: &str) -> Result<(), crate::CertError> {
    let invalid = |why: &str| {
        Err(crate::CertError::Settings(format!(
            "trust domain \"{trust_domain}\" is not a DNS-1123 subdomain: {why}"
        )))
    };
    if trust_domain.is_empty() {
        return invalid("it is empty");
    }
    if trust_domain.len() > 253 {
        return invalid("it is longer than 253 characters");
    }
    for label in trust_domain.split('.') {
        let bytes = label.as_bytes();
        let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
            return invalid("it has an empty label");
        };
        if !bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return invalid("only lowercase letters, digits, '-' and '.' are allowed");
        }
        if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
            return invalid("each label must start and end with a letter or digit");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_trust_domain;

    #[test]
    fn trust_domains() {
        assert!(validate_trust_domain("cluster.local").is_ok());
        assert!(validate_trust_domain("a-1.example.org").is_ok());
        for bad in ["", "Cluster.local", "a..b", "-a.b", "a_b", "a.b."] {
            assert!(validate_trust_domain(bad).is_err(), "{bad}");
        }
    }
}
