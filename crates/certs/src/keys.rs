//! Private keys: a redacting wrapper for key PEM, and loading a PEM key into a signing key pair.

use rcgen::KeyPair;
use x509_parser::pem::Pem;

use crate::error::CertError;

/// A private key in PEM form. `Debug` and `Display` print `[redacted]`; the PEM is only reachable
/// through [`SecretPem::expose_pem`], so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretPem(String);

impl SecretPem {
    /// Wraps key PEM text.
    pub fn new(pem: String) -> Self {
        SecretPem(pem)
    }

    /// The PEM text, for writing it to a file or a Kubernetes Secret.
    pub fn expose_pem(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for SecretPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// DER of the AlgorithmIdentifier { id-ecPublicKey, prime256v1 }.
const EC_P256_ALGORITHM_ID: &[u8] = &[
    0x30, 0x13, // SEQUENCE, 19 bytes
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, // 1.2.840.10045.2.1
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, // 1.2.840.10045.3.1.7
];

/// Like [`load_key_pair`], and requires the key to be ECDSA P-256.
pub(crate) fn load_p256_key_pair(label: &str, pem: &[u8]) -> Result<KeyPair, CertError> {
    let key_pair = load_key_pair(label, pem)?;
    if key_pair.algorithm() != &rcgen::PKCS_ECDSA_P256_SHA256 {
        return Err(CertError::PrivateKey {
            label: label.to_owned(),
            reason: "Linkerd requires an ECDSA P-256 key, this is a different algorithm".to_owned(),
        });
    }
    Ok(key_pair)
}

/// Parses the first private key in `pem`: PKCS#8 `PRIVATE KEY` (any algorithm ring supports), or
/// SEC1 `EC PRIVATE KEY` on P-256 as written by `step` and `openssl ecparam`.
pub(crate) fn load_key_pair(label: &str, pem: &[u8]) -> Result<KeyPair, CertError> {
    let key_error = |reason: String| CertError::PrivateKey {
        label: label.to_owned(),
        reason,
    };
    let mut labels_seen = Vec::new();
    for block in Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| key_error(format!("invalid PEM: {e}")))?;
        let pkcs8 = match block.label.as_str() {
            "PRIVATE KEY" => block.contents,
            "EC PRIVATE KEY" => sec1_to_pkcs8_p256(&block.contents),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(key_error(
                    "the key is encrypted; supply it unencrypted (e.g. `step crypto change-pass --no-password --insecure`)"
                        .to_owned(),
                ))
            }
            other => {
                labels_seen.push(other.to_owned());
                continue;
            }
        };
        return KeyPair::try_from(pkcs8.as_slice())
            .map_err(|e| key_error(format!("cannot decode the key: {e}")));
    }
    Err(key_error(if labels_seen.is_empty() {
        "no PEM private key block found".to_owned()
    } else {
        format!(
            "no PRIVATE KEY or EC PRIVATE KEY block found (found: {})",
            labels_seen.join(", ")
        )
    }))
}

/// Wraps a SEC1 `ECPrivateKey` in a PKCS#8 `PrivateKeyInfo` claiming P-256. If the key is in fact
/// on another curve, ring rejects it when it compares the curve parameters inside.
fn sec1_to_pkcs8_p256(sec1: &[u8]) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x00]; // version 0
    body.extend_from_slice(EC_P256_ALGORITHM_ID);
    push_tlv(&mut body, 0x04, sec1); // privateKey OCTET STRING
    let mut out = Vec::with_capacity(body.len() + 4);
    push_tlv(&mut out, 0x30, &body);
    out
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Extracts the SEC1 ECPrivateKey from a PKCS#8 P-256 key as rcgen/ring write it (the inverse
    /// of `sec1_to_pkcs8_p256`), so the SEC1 path is tested without external tools.
    fn pkcs8_to_sec1(pkcs8: &[u8]) -> Vec<u8> {
        let prefix_len = 2 + 3 + EC_P256_ALGORITHM_ID.len();
        // outer SEQUENCE (short or 0x81 form) + version + algorithm id, then OCTET STRING.
        let offset = if pkcs8[1] == 0x81 {
            prefix_len + 1
        } else {
            prefix_len
        };
        assert_eq!(pkcs8[offset], 0x04);
        let (len, header) = if pkcs8[offset + 1] == 0x81 {
            (pkcs8[offset + 2] as usize, 3)
        } else {
            (pkcs8[offset + 1] as usize, 2)
        };
        pkcs8[offset + header..offset + header + len].to_vec()
    }

    #[test]
    fn secret_pem_is_redacted() {
        let secret = SecretPem::new("-----BEGIN PRIVATE KEY-----\nabc\n".to_owned());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert!(secret.expose_pem().contains("PRIVATE KEY"));
    }

    #[test]
    fn der_lengths() {
        let mut out = Vec::new();
        push_tlv(&mut out, 0x04, &[7; 5]);
        assert_eq!(&out[..2], &[0x04, 5]);
        let mut out = Vec::new();
        push_tlv(&mut out, 0x04, &[7; 200]);
        assert_eq!(&out[..3], &[0x04, 0x81, 200]);
        let mut out = Vec::new();
        push_tlv(&mut out, 0x30, &[7; 300]);
        assert_eq!(&out[..4], &[0x30, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn loads_pkcs8_and_sec1_p256() {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let pkcs8_pem = key.serialize_pem();
        let loaded = load_p256_key_pair("k.pem", pkcs8_pem.as_bytes()).unwrap();
        assert_eq!(loaded.public_key_raw(), key.public_key_raw());

        let sec1 = pkcs8_to_sec1(key.serialized_der());
        let sec1_pem = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            pem_encode("EC PRIVATE KEY", &sec1)
        );
        let loaded = load_p256_key_pair("k.pem", sec1_pem.as_bytes()).unwrap();
        assert_eq!(loaded.public_key_raw(), key.public_key_raw());
    }

    #[test]
    fn rejects_other_curves_and_garbage() {
        let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
        let err = load_p256_key_pair("p384.key", p384.serialize_pem().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("p384.key"), "{err}");
        assert!(err.to_string().contains("P-256"), "{err}");

        let err = load_p256_key_pair("none.key", b"hello").unwrap_err();
        assert!(err.to_string().contains("no PEM private key"), "{err}");

        let err = load_p256_key_pair(
            "cert.pem",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("found: CERTIFICATE"), "{err}");
    }

    fn pem_encode(label: &str, der: &[u8]) -> String {
        // Minimal base64 for the test (rcgen's pem dependency is not a direct dependency here).
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut b64 = String::new();
        for chunk in der.chunks(3) {
            let n = chunk.len();
            let v = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= n {
                    b64.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    b64.push('=');
                }
            }
        }
        let mut out = format!("-----BEGIN {label}-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap());
            out.push('\n');
        }
        out.push_str(&format!("-----END {label}-----\n"));
        out
    }
}
