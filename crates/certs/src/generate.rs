//! Making new certificates with rcgen: a self-signed trust anchor, and an issuer signed by an
//! existing anchor (one meshctl generated earlier, or one the user supplied).

use std::time::{Duration, SystemTime};

use rcgen::{Issuer, KeyPair};
use ring::rand::{SecureRandom, SystemRandom};
use time::OffsetDateTime;

use crate::error::{CertError, CertRole};
use crate::keys::{load_p256_key_pair, SecretPem};
use crate::parse::{certificate_ders, parse_certificate};
use crate::profile::{anchor_params, issuer_params, CLOCK_SKEW_ALLOWANCE};
use crate::verify::{check_p256_key, LabeledPem};

/// A freshly generated certificate and its private key.
#[derive(Debug, Clone)]
pub struct GeneratedCert {
    /// PEM certificate.
    pub cert_pem: String,
    /// PEM private key (PKCS#8), redacted in `Debug`.
    pub key_pem: SecretPem,
    /// True when the requested validity would have outlived the signing anchor and notAfter was
    /// cut to the anchor's notAfter instead.
    pub clamped_to_anchor: bool,
}

/// Generates a self-signed ECDSA P-256 trust anchor valid from `now` (backdated by
/// [`CLOCK_SKEW_ALLOWANCE`]) until `now + validity`, with the root-ca profile
/// (see [`crate::profile`]).
pub fn generate_anchor(
    common_name: &str,
    validity: Duration,
    now: SystemTime,
) -> Result<GeneratedCert, CertError> {
    let role = CertRole::TrustAnchor;
    let (not_before, not_after) = window(role, now, validity)?;
    let key = new_key(role)?;
    let params = anchor_params(common_name, not_before, not_after, random_serial(role)?);
    let cert = params
        .self_signed(&key)
        .map_err(|e| generate_error(role, e))?;
    Ok(GeneratedCert {
        cert_pem: cert.pem(),
        key_pem: SecretPem::new(key.serialize_pem()),
        clamped_to_anchor: false,
    })
}

/// Generates an ECDSA P-256 issuer with the intermediate-ca profile, signed by the anchor in
/// `anchor_cert` whose key is `anchor_key`. If `anchor_cert` is a bundle, the certificate that
/// matches the key signs. notAfter is `now + validity`, cut to the anchor's notAfter if that is
/// earlier (an issuer that outlives its anchor fails verification; the caller sees the cut in
/// [`GeneratedCert::clamped_to_anchor`]).
pub fn generate_issuer(
    common_name: &str,
    validity: Duration,
    anchor_cert: LabeledPem<'_>,
    anchor_key: LabeledPem<'_>,
    now: SystemTime,
) -> Result<GeneratedCert, CertError> {
    let role = CertRole::Issuer;
    let anchor_key_pair = load_p256_key_pair(anchor_key.label, anchor_key.pem)?;

    // Find the anchor certificate this key belongs to.
    let ders = certificate_ders(anchor_cert.label, anchor_cert.pem)?;
    let mut signing = None;
    for (i, der) in ders.iter().enumerate() {
        let cert = parse_certificate(anchor_cert.label, i, der)?;
        if cert.public_key().subject_public_key.data.as_ref() == anchor_key_pair.public_key_raw() {
            check_p256_key(CertRole::TrustAnchor, anchor_cert.label, &cert)?;
            // rcgen re-encodes the anchor's subject and supports one attribute per RDN only.
            if cert.subject().iter().any(|rdn| rdn.iter().count() != 1) {
                return Err(CertError::Generate {
                    role,
                    reason: format!(
                        "the subject of trust anchor {} has a multi-valued or empty RDN, which meshctl cannot sign under",
                        anchor_cert.label
                    ),
                });
            }
            signing = Some((der, cert.validity().not_after.to_datetime()));
            break;
        }
    }
    let Some((anchor_der, anchor_not_after)) = signing else {
        return Err(CertError::KeyMismatch {
            key: anchor_key.label.to_owned(),
            cert: anchor_cert.label.to_owned(),
        });
    };

    let (not_before, requested_not_after) = window(role, now, validity)?;
    let clamped_to_anchor = requested_not_after > anchor_not_after;
    let not_after = requested_not_after.min(anchor_not_after);
    if not_after <= not_before {
        return Err(CertError::Expired {
            role: CertRole::TrustAnchor,
            label: anchor_cert.label.to_owned(),
            not_after: crate::parse::rfc3339(anchor_not_after),
        });
    }

    let issuer =
        Issuer::from_ca_cert_der(&anchor_der.as_slice().into(), anchor_key_pair).map_err(|e| {
            CertError::Generate {
                role,
                reason: format!(
                    "cannot use trust anchor {} as signer: {e}",
                    anchor_cert.label
                ),
            }
        })?;
    let key = new_key(role)?;
    let params = issuer_params(common_name, not_before, not_after, random_serial(role)?);
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| generate_error(role, e))?;
    Ok(GeneratedCert {
        cert_pem: cert.pem(),
        key_pem: SecretPem::new(key.serialize_pem()),
        clamped_to_anchor,
    })
}

/// notBefore = now − skew allowance, notAfter = now + validity, both whole seconds (X.509 has no
/// sub-second precision).
fn window(
    role: CertRole,
    now: SystemTime,
    validity: Duration,
) -> Result<(OffsetDateTime, OffsetDateTime), CertError> {
    if validity.is_zero() {
        return Err(CertError::Settings(format!(
            "the {role}'s validity must be positive"
        )));
    }
    let now = OffsetDateTime::from(now)
        .replace_nanosecond(0)
        .map_err(|e| CertError::Settings(e.to_string()))?;
    let out_of_range = || CertError::Settings(format!("the {role}'s validity is out of range"));
    let validity = time::Duration::try_from(validity).map_err(|_| out_of_range())?;
    let skew = time::Duration::try_from(CLOCK_SKEW_ALLOWANCE).map_err(|_| out_of_range())?;
    let not_before = now.checked_sub(skew).ok_or_else(out_of_range)?;
    let not_after = now.checked_add(validity).ok_or_else(out_of_range)?;
    if not_after.year() > 9999 {
        return Err(out_of_range());
    }
    Ok((not_before, not_after))
}

fn new_key(role: CertRole) -> Result<KeyPair, CertError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| generate_error(role, e))
}

/// 128-bit positive serial (as step uses); the top bits are fixed so the DER is always 16 bytes.
fn random_serial(role: CertRole) -> Result<[u8; 16], CertError> {
    let mut serial = [0u8; 16];
    SystemRandom::new()
        .fill(&mut serial)
        .map_err(|_| CertError::Generate {
            role,
            reason: "the system random number generator failed".to_owned(),
        })?;
    serial[0] = (serial[0] & 0x7f) | 0x40;
    Ok(serial)
}

fn generate_error(role: CertRole, e: rcgen::Error) -> CertError {
    CertError::Generate {
        role,
        reason: e.to_string(),
    }
}
