//! Fresh key material for what the real tools generate on every run: self-signed webhook
//! certificates (Helm's `genSelfSignedCert` in Linkerd's charts) and the identity root that
//! `linkerd install` makes when no certificates are supplied.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

/// A PEM certificate and its PEM private key.
pub(crate) struct Pair {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A new self-signed ECDSA P-256 certificate for `name` (a CA when `ca`).
pub(crate) fn self_signed(name: &str, ca: bool) -> Result<Pair, String> {
    let key = KeyPair::generate().map_err(|e| format!("failed to generate key: {e}"))?;
    let mut params = CertificateParams::new(vec![name.to_string()])
        .map_err(|e| format!("invalid name {name}: {e}"))?;
    params.distinguished_name.push(DnType::CommonName, name);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("failed to sign certificate: {e}"))?;
    Ok(Pair {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}
