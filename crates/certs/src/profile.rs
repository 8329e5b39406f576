//! The X.509 profiles, matching `step certificate create --profile root-ca` (trust anchor) and
//! `--profile intermediate-ca` (issuer), which is what the Linkerd docs use.
//!
//! | | trust anchor | issuer |
//! |---|---|---|
//! | key | ECDSA P-256 | ECDSA P-256 |
//! | signature | ecdsa-with-SHA256, self-signed | ecdsa-with-SHA256, by the anchor |
//! | basicConstraints (critical) | CA:TRUE, pathLen 1 | CA:TRUE, pathLen 0 |
//! | keyUsage (critical) | keyCertSign, cRLSign | keyCertSign, cRLSign |
//! | subjectKeyIdentifier | yes | yes |
//! | authorityKeyIdentifier | no (self-signed, as Go's x509 does) | the anchor's subject key id |
//! | serial | 128 random bits | 128 random bits |

use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyUsagePurpose,
    SerialNumber,
};
use time::OffsetDateTime;

/// Common name of the trust anchor in the Linkerd docs (`step certificate create root.linkerd.cluster.local …`).
pub const DEFAULT_ANCHOR_COMMON_NAME: &str = "root.linkerd.cluster.local";

/// Validity the Linkerd docs give the issuer (`--not-after 8760h`).
pub const DEFAULT_ISSUER_VALIDITY: Duration = Duration::from_secs(8760 * 3600);

/// Linkerd's control-plane namespace; it is part of the issuer's expected name.
pub const LINKERD_NAMESPACE: &str = "linkerd";

/// Path length constraint of the trust anchor (step's root-ca profile: `maxPathLen: 1`).
pub const ANCHOR_PATH_LEN: u8 = 1;

/// Path length constraint of the issuer (step's intermediate-ca profile: `maxPathLen: 0`).
pub const ISSUER_PATH_LEN: u8 = 0;

/// notBefore is set this far before "now", so that a node whose clock is slightly behind the
/// machine that generated the certificate still accepts it. Linkerd's own identity clock-skew
/// allowance is 20s; a minute covers that with room to spare and is what step-ca backdates by.
pub const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(60);

/// The common name Linkerd's identity controller expects of the issuer:
/// `identity.linkerd.<trust_domain>`.
pub fn issuer_common_name(trust_domain: &str) -> String {
    format!("identity.{LINKERD_NAMESPACE}.{trust_domain}")
}

/// Parameters of a trust anchor (root CA).
pub(crate) fn anchor_params(
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    serial: [u8; 16],
) -> CertificateParams {
    ca_params(
        common_name,
        not_before,
        not_after,
        serial,
        ANCHOR_PATH_LEN,
        false,
    )
}

/// Parameters of an issuer (intermediate CA) to be signed by the anchor.
pub(crate) fn issuer_params(
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    serial: [u8; 16],
) -> CertificateParams {
    ca_params(
        common_name,
        not_before,
        not_after,
        serial,
        ISSUER_PATH_LEN,
        true,
    )
}

fn ca_params(
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    serial: [u8; 16],
    path_len: u8,
    with_authority_key_id: bool,
) -> CertificateParams {
    let mut distinguished_name = DistinguishedName::new();
    distinguished_name.push(DnType::CommonName, common_name);
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name;
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(path_len));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = with_authority_key_id;
    params
}
