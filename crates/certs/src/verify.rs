//! Checks that an anchor, an issuer certificate and an issuer key form trust material Linkerd
//! accepts. Pure functions over PEM bytes: the same check runs on files on disk and on what a
//! live cluster holds (ConfigMap `linkerd-identity-trust-roots` key `ca-bundle.crt`; Secret
//! `linkerd-identity-issuer` keys `crt.pem` / `key.pem`).

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ECDSA_WITH_SHA256,
};

use crate::error::{CertError, CertRole};
use crate::keys::load_key_pair;
use crate::parse::{
    certificate_ders, common_name, parse_certificate, rfc3339, sha256_fingerprint,
    single_certificate_der,
};
use crate::profile::issuer_common_name;

/// Linkerd's `linkerd check` warns when an anchor or the issuer expires within 60 days.
pub const LINKERD_CHECK_EXPIRY_WARNING: Duration = Duration::from_secs(60 * 24 * 3600);

/// PEM bytes together with a label (usually the file path, or e.g.
/// `ConfigMap linkerd/linkerd-identity-trust-roots`) that error messages use to name the input.
/// `Debug` shows the label and the length, never the bytes (they may be a private key).
#[derive(Clone, Copy)]
pub struct LabeledPem<'a> {
    /// How messages name this input.
    pub label: &'a str,
    /// The PEM text.
    pub pem: &'a [u8],
}

impl<'a> LabeledPem<'a> {
    /// Labels `pem`.
    pub fn new(label: &'a str, pem: &'a [u8]) -> Self {
        LabeledPem { label, pem }
    }
}

impl std::fmt::Debug for LabeledPem<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabeledPem")
            .field("label", &self.label)
            .field("len", &self.pem.len())
            .finish()
    }
}

/// Expiry facts about one verified certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryInfo {
    /// Which certificate.
    pub role: CertRole,
    /// The label (file) it was read from.
    pub label: String,
    /// Subject DN, e.g. `CN=identity.linkerd.cluster.local`.
    pub subject: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// Seconds from the verification time until notAfter (never negative: an expired
    /// certificate fails verification).
    pub seconds_until_expiry: u64,
    /// Whole days from the verification time until notAfter.
    pub days_until_expiry: u64,
    /// SHA-256 fingerprint of the DER, colon hex.
    pub sha256_fingerprint: String,
}

/// What [`verify_trust`] found; used for expiry warnings and status output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedTrust {
    /// The anchor that signed the issuer (the first matching one if the bundle holds several).
    pub anchor: ExpiryInfo,
    /// The issuer.
    pub issuer: ExpiryInfo,
    /// How many anchors the anchor PEM holds (Linkerd accepts a bundle).
    pub anchors_in_bundle: usize,
}

impl VerifiedTrust {
    /// Whole days until the issuer expires.
    pub fn days_until_issuer_expiry(&self) -> u64 {
        self.issuer.days_until_expiry
    }

    /// Whole days until the anchor that signed the issuer expires.
    pub fn days_until_anchor_expiry(&self) -> u64 {
        self.anchor.days_until_expiry
    }
}

/// One message per certificate that expires within `threshold` of the verification time (use
/// [`LINKERD_CHECK_EXPIRY_WARNING`] to warn when `linkerd check` would). Empty if none.
pub fn expiry_warnings(verified: &VerifiedTrust, threshold: Duration) -> Vec<String> {
    [&verified.anchor, &verified.issuer]
        .into_iter()
        .filter(|info| info.seconds_until_expiry < threshold.as_secs())
        .map(|info| {
            let hint = match info.role {
                CertRole::Issuer => "rotate the issuer before then",
                CertRole::TrustAnchor => {
                    "plan an anchor rotation: every cluster and every proxy must get the new anchor"
                }
            };
            format!(
                "{} {} ({}) expires on {} (in {} days); {hint}",
                info.role, info.label, info.subject, info.not_after, info.days_until_expiry
            )
        })
        .collect()
}

/// Verifies that `issuer_cert` and `issuer_key` form an issuer that chains to `anchors` and that
/// Linkerd (stable-2.13) will accept for `trust_domain` at time `now`.
///
/// Checks, in order, each failing with its own [`CertError`] variant naming the input(s):
/// 1. the PEM inputs parse (`anchors` may hold several certificates, `issuer_cert` exactly one);
/// 2. every anchor and the issuer have an ECDSA P-256 key, and the issuer is signed with
///    ecdsa-with-SHA256;
/// 3. every anchor is a CA (`basicConstraints CA:TRUE`) allowed to sign certificates;
/// 4. the issuer is a CA allowed to sign certificates;
/// 5. the issuer's issuer DN equals an anchor's subject, and that anchor's public key verifies
///    the issuer's signature;
/// 6. the issuer's CN is `identity.linkerd.<trust_domain>`;
/// 7. every anchor and the issuer are within their validity window at `now`;
/// 8. the issuer's notAfter is not after the signing anchor's;
/// 9. the private key belongs to the issuer certificate (and so is ECDSA P-256 too).
///
/// "Allowed to sign certificates" means a keyUsage extension with keyCertSign, or no keyUsage
/// extension at all (RFC 5280 §4.2.1.3: no extension, no restriction; Go's x509, which Linkerd
/// uses, agrees). What meshctl generates always carries keyCertSign + cRLSign.
///
/// Note on the CN: Linkerd's identity controller only prints `identity.<ns>.<domain>` in its
/// error text; meshctl enforces it because it is the documented convention and a mismatch is
/// almost always a wrong trust domain.
pub fn verify_trust(
    anchors: LabeledPem<'_>,
    issuer_cert: LabeledPem<'_>,
    issuer_key: LabeledPem<'_>,
    trust_domain: &str,
    now: SystemTime,
) -> Result<VerifiedTrust, CertError> {
    let now = OffsetDateTime::from(now);

    // 1. Parse.
    let anchor_ders = certificate_ders(anchors.label, anchors.pem)?;
    let anchor_certs = anchor_ders
        .iter()
        .enumerate()
        .map(|(i, der)| parse_certificate(anchors.label, i, der))
        .collect::<Result<Vec<_>, _>>()?;
    let issuer_der = single_certificate_der(issuer_cert.label, issuer_cert.pem)?;
    let issuer = parse_certificate(issuer_cert.label, 0, &issuer_der)?;
    let key_pair = load_key_pair(issuer_key.label, issuer_key.pem)?;

    // 2. Algorithms.
    for anchor in &anchor_certs {
        check_p256_key(CertRole::TrustAnchor, anchors.label, anchor)?;
    }
    check_p256_key(CertRole::Issuer, issuer_cert.label, &issuer)?;
    if issuer.signature_algorithm.algorithm != OID_SIG_ECDSA_WITH_SHA256 {
        return Err(CertError::Algorithm {
            role: CertRole::Issuer,
            label: issuer_cert.label.to_owned(),
            found: format!(
                "signature algorithm {}",
                issuer.signature_algorithm.algorithm
            ),
        });
    }

    // 3 + 4. CA and key usage.
    for anchor in &anchor_certs {
        check_signing_ca(CertRole::TrustAnchor, anchors.label, anchor)?;
    }
    check_signing_ca(CertRole::Issuer, issuer_cert.label, &issuer)?;

    // 5. Chain.
    let anchor_index =
        find_signing_anchor(&anchor_certs, anchors.label, &issuer, issuer_cert.label)?;
    let anchor = &anchor_certs[anchor_index];

    // 6. Issuer CN.
    let expected_cn = issuer_common_name(trust_domain);
    let found_cn = common_name(&issuer).unwrap_or_default();
    if found_cn != expected_cn {
        return Err(CertError::IssuerCommonName {
            label: issuer_cert.label.to_owned(),
            expected: expected_cn,
            found: found_cn,
            trust_domain: trust_domain.to_owned(),
        });
    }

    // 7. Validity windows.
    for a in &anchor_certs {
        check_validity(CertRole::TrustAnchor, anchors.label, a, now)?;
    }
    check_validity(CertRole::Issuer, issuer_cert.label, &issuer, now)?;

    // 8. The issuer must not outlive its anchor.
    let issuer_not_after = issuer.validity().not_after.to_datetime();
    let anchor_not_after = anchor.validity().not_after.to_datetime();
    if issuer_not_after > anchor_not_after {
        return Err(CertError::IssuerOutlivesAnchor {
            issuer: issuer_cert.label.to_owned(),
            anchor: anchors.label.to_owned(),
            issuer_not_after: rfc3339(issuer_not_after),
            anchor_not_after: rfc3339(anchor_not_after),
        });
    }

    // 9. Key matches certificate.
    if key_pair.public_key_raw() != issuer.public_key().subject_public_key.data.as_ref() {
        return Err(CertError::KeyMismatch {
            key: issuer_key.label.to_owned(),
            cert: issuer_cert.label.to_owned(),
        });
    }

    Ok(VerifiedTrust {
        anchor: expiry_info(
            CertRole::TrustAnchor,
            anchors.label,
            anchor,
            &anchor_ders[anchor_index],
            now,
        ),
        issuer: expiry_info(
            CertRole::Issuer,
            issuer_cert.label,
            &issuer,
            &issuer_der,
            now,
        ),
        anchors_in_bundle: anchor_certs.len(),
    })
}

/// The public key is id-ecPublicKey on prime256v1.
pub(crate) fn check_p256_key(
    role: CertRole,
    label: &str,
    cert: &X509Certificate<'_>,
) -> Result<(), CertError> {
    let spki = cert.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    let is_ec = spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY;
    if is_ec && curve.as_ref() == Some(&OID_EC_P256) {
        return Ok(());
    }
    let found = if is_ec {
        match curve {
            Some(oid) => format!("an EC key on curve {oid}"),
            None => "an EC key without a named curve".to_owned(),
        }
    } else {
        match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
                format!("an RSA-{} key", rsa.key_size())
            }
            _ => format!("a key of algorithm {}", spki.algorithm.algorithm),
        }
    };
    Err(CertError::Algorithm {
        role,
        label: label.to_owned(),
        found,
    })
}

fn check_signing_ca(
    role: CertRole,
    label: &str,
    cert: &X509Certificate<'_>,
) -> Result<(), CertError> {
    let bad_extension = |e: x509_parser::error::X509Error| CertError::Certificate {
        label: label.to_owned(),
        index: 1,
        reason: format!("invalid extension: {e}"),
    };
    let is_ca = cert
        .basic_constraints()
        .map_err(bad_extension)?
        .is_some_and(|bc| bc.value.ca);
    if !is_ca {
        return Err(CertError::NotCa {
            role,
            label: label.to_owned(),
        });
    }
    let may_sign = cert
        .key_usage()
        .map_err(bad_extension)?
        .is_none_or(|ku| ku.value.key_cert_sign());
    if !may_sign {
        return Err(CertError::MissingKeyCertSign {
            role,
            label: label.to_owned(),
        });
    }
    Ok(())
}

fn find_signing_anchor(
    anchors: &[X509Certificate<'_>],
    anchors_label: &str,
    issuer: &X509Certificate<'_>,
    issuer_label: &str,
) -> Result<usize, CertError> {
    let candidates: Vec<usize> = anchors
        .iter()
        .enumerate()
        .filter(|(_, a)| a.subject().as_raw() == issuer.issuer().as_raw())
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() {
        return Err(CertError::IssuerNameMismatch {
            issuer: issuer_label.to_owned(),
            anchor: anchors_label.to_owned(),
            issuer_dn: issuer.issuer().to_string(),
            anchor_subject: anchors
                .iter()
                .map(|a| a.subject().to_string())
                .collect::<Vec<_>>()
                .join("\", \""),
        });
    }
    let mut last_error = String::new();
    for i in candidates {
        match issuer.verify_signature(Some(anchors[i].public_key())) {
            Ok(()) => return Ok(i),
            Err(e) => last_error = e.to_string(),
        }
    }
    Err(CertError::NotSignedByAnchor {
        issuer: issuer_label.to_owned(),
        anchor: anchors_label.to_owned(),
        reason: format!(
            "the signature does not verify with the anchor's public key ({last_error})"
        ),
    })
}

fn check_validity(
    role: CertRole,
    label: &str,
    cert: &X509Certificate<'_>,
    now: OffsetDateTime,
) -> Result<(), CertError> {
    let validity = cert.validity();
    let not_before = validity.not_before.to_datetime();
    let not_after = validity.not_after.to_datetime();
    if now < not_before {
        return Err(CertError::NotYetValid {
            role,
            label: label.to_owned(),
            not_before: rfc3339(not_before),
        });
    }
    if now > not_after {
        return Err(CertError::Expired {
            role,
            label: label.to_owned(),
            not_after: rfc3339(not_after),
        });
    }
    Ok(())
}

fn expiry_info(
    role: CertRole,
    label: &str,
    cert: &X509Certificate<'_>,
    der: &[u8],
    now: OffsetDateTime,
) -> ExpiryInfo {
    let not_after = cert.validity().not_after.to_datetime();
    let seconds = u64::try_from((not_after - now).whole_seconds()).unwrap_or(0);
    ExpiryInfo {
        role,
        label: label.to_owned(),
        subject: cert.subject().to_string(),
        not_after: rfc3339(not_after),
        seconds_until_expiry: seconds,
        days_until_expiry: seconds / 86_400,
        sha256_fingerprint: sha256_fingerprint(der),
    }
}
