//! PEM → DER certificate blocks, with errors that name the input.

use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;

use crate::error::CertError;

/// The DER of every `CERTIFICATE` block in `pem`, in order. Other blocks are ignored; an input
/// with no certificate block is an error.
pub(crate) fn certificate_ders(label: &str, pem: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let mut ders = Vec::new();
    let mut other = Vec::new();
    for block in Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| CertError::Pem {
            label: label.to_owned(),
            reason: format!("invalid PEM: {e}"),
        })?;
        if block.label == "CERTIFICATE" {
            ders.push(block.contents);
        } else {
            other.push(block.label);
        }
    }
    if ders.is_empty() {
        return Err(CertError::Pem {
            label: label.to_owned(),
            reason: if other.is_empty() {
                "no PEM CERTIFICATE block found".to_owned()
            } else {
                format!(
                    "no PEM CERTIFICATE block found (found: {})",
                    other.join(", ")
                )
            },
        });
    }
    Ok(ders)
}

/// Parses one DER certificate; `index` is 0-based and reported 1-based.
pub(crate) fn parse_certificate<'a>(
    label: &str,
    index: usize,
    der: &'a [u8],
) -> Result<X509Certificate<'a>, CertError> {
    let cert_error = |reason: String| CertError::Certificate {
        label: label.to_owned(),
        index: index + 1,
        reason,
    };
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| cert_error(e.to_string()))?;
    if !rest.is_empty() {
        return Err(cert_error(format!(
            "{} trailing bytes after the certificate",
            rest.len()
        )));
    }
    Ok(cert)
}

/// The DER of the single certificate in `pem`; more than one is an error.
pub(crate) fn single_certificate_der(label: &str, pem: &[u8]) -> Result<Vec<u8>, CertError> {
    let mut ders = certificate_ders(label, pem)?;
    if ders.len() != 1 {
        return Err(CertError::Pem {
            label: label.to_owned(),
            reason: format!("expected exactly one certificate, found {}", ders.len()),
        });
    }
    Ok(ders.remove(0))
}

/// Colon-separated uppercase hex, as openssl prints fingerprints and serials.
pub(crate) fn colon_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// SHA-256 of the DER, colon hex.
pub(crate) fn sha256_fingerprint(der: &[u8]) -> String {
    colon_hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// The first common name in the subject, if any is a readable string.
pub(crate) fn common_name(cert: &X509Certificate<'_>) -> Option<String> {
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
}

/// RFC 3339 text of a certificate time (falls back to the `time` crate's display format for
/// years RFC 3339 cannot express).
pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
