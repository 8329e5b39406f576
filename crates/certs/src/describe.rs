//! Human/JSON summaries of certificates. Never prints or returns key material.

use crate::error::CertError;
use crate::parse::{certificate_ders, colon_hex, parse_certificate, rfc3339, sha256_fingerprint};
use crate::verify::LabeledPem;

/// What `meshctl` shows about one certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertSummary {
    /// Subject DN, e.g. `CN=root.linkerd.cluster.local`.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, colon hex.
    pub serial: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// basicConstraints CA:TRUE.
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint, if any.
    pub path_len: Option<u32>,
    /// keyUsage bits set, in RFC 5280 names (`keyCertSign`, `cRLSign`, …); empty if the extension
    /// is absent.
    pub key_usages: Vec<String>,
    /// Public key algorithm, e.g. `ECDSA P-256`.
    pub key_algorithm: String,
    /// SHA-256 fingerprint of the DER, colon hex (as `openssl x509 -fingerprint -sha256`).
    pub sha256_fingerprint: String,
}

/// Summarises every certificate in `input` (other PEM blocks, such as keys, are skipped and never
/// echoed).
pub fn describe(input: LabeledPem<'_>) -> Result<Vec<CertSummary>, CertError> {
    let ders = certificate_ders(input.label, input.pem)?;
    let mut out = Vec::with_capacity(ders.len());
    for (i, der) in ders.iter().enumerate() {
        let cert = parse_certificate(input.label, i, der)?;
        let bad_extension = |e: x509_parser::error::X509Error| CertError::Certificate {
            label: input.label.to_owned(),
            index: i + 1,
            reason: format!("invalid extension: {e}"),
        };
        let basic = cert.basic_constraints().map_err(bad_extension)?;
        let key_usage = cert.key_usage().map_err(bad_extension)?;
        let key_usages = key_usage
            .map(|ku| {
                let ku = ku.value;
                [
                    (ku.digital_signature(), "digitalSignature"),
                    (ku.non_repudiation(), "nonRepudiation"),
                    (ku.key_encipherment(), "keyEncipherment"),
                    (ku.data_encipherment(), "dataEncipherment"),
                    (ku.key_agreement(), "keyAgreement"),
                    (ku.key_cert_sign(), "keyCertSign"),
                    (ku.crl_sign(), "cRLSign"),
                    (ku.encipher_only(), "encipherOnly"),
                    (ku.decipher_only(), "decipherOnly"),
                ]
                .into_iter()
                .filter(|(set, _)| *set)
                .map(|(_, name)| name.to_owned())
                .collect()
            })
            .unwrap_or_default();
        let validity = cert.validity();
        out.push(CertSummary {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: colon_hex(cert.raw_serial()),
            not_before: rfc3339(validity.not_before.to_datetime()),
            not_after: rfc3339(validity.not_after.to_datetime()),
            is_ca: basic.as_ref().is_some_and(|b| b.value.ca),
            path_len: basic.and_then(|b| b.value.path_len_constraint),
            key_usages,
            key_algorithm: key_algorithm(&cert),
            sha256_fingerprint: sha256_fingerprint(der),
        });
    }
    Ok(out)
}

fn key_algorithm(cert: &x509_parser::certificate::X509Certificate<'_>) -> String {
    use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384};
    use x509_parser::public_key::PublicKey;
    let spki = cert.public_key();
    if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(oid) if oid == OID_EC_P256 => "ECDSA P-256".to_owned(),
            Some(oid) if oid == OID_NIST_EC_P384 => "ECDSA P-384".to_owned(),
            Some(oid) => format!("ECDSA ({oid})"),
            None => "ECDSA (no named curve)".to_owned(),
        };
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA-{}", rsa.key_size()),
        _ => spki.algorithm.algorithm.to_id_string(),
    }
}
