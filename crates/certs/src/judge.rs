//! Certificate questions `meshctl check` asks of live clusters (core's
//! [`CertificateJudge`]): is this the same anchor set, and does this issuer chain to it.
//! Only public certificates pass through here; no key is read.

use crate::parse::{certificate_ders, parse_certificate};
use meshctl_core::check::CertificateJudge;
use std::collections::BTreeSet;
use std::time::SystemTime;
use x509_parser::time::ASN1Time;

/// Answers with X.509 parsing and signature checks (ring via x509-parser).
pub struct X509Judge {
    now: SystemTime,
}

impl X509Judge {
    /// A judge that takes `now` as the time validity is checked at.
    pub fn at(now: SystemTime) -> X509Judge {
        X509Judge { now }
    }
}

impl CertificateJudge for X509Judge {
    fn same_certificates(&self, a: &str, b: &str) -> Result<bool, String> {
        let set = |label: &str, pem: &str| -> Result<BTreeSet<Vec<u8>>, String> {
            certificate_ders(label, pem.as_bytes())
                .map(|ders| ders.into_iter().collect())
                .map_err(|e| e.to_string())
        };
        Ok(set("first bundle", a)? == set("second bundle", b)?)
    }

    fn issuer_days_left(&self, issuer_pem: &str, anchors_pem: &str) -> Result<i64, String> {
        let issuer_ders =
            certificate_ders("issuer", issuer_pem.as_bytes()).map_err(|e| e.to_string())?;
        let issuer_der = issuer_ders
            .first()
            .ok_or("the issuer PEM holds no certificate")?;
        let issuer = parse_certificate("issuer", 0, issuer_der).map_err(|e| e.to_string())?;
        let anchor_ders =
            certificate_ders("trust anchors", anchors_pem.as_bytes()).map_err(|e| e.to_string())?;
        let signed = anchor_ders.iter().enumerate().any(|(i, der)| {
            parse_certificate("trust anchors", i, der).is_ok_and(|anchor| {
                anchor.subject().as_raw() == issuer.issuer().as_raw()
                    && issuer.verify_signature(Some(anchor.public_key())).is_ok()
            })
        });
        if !signed {
            return Err(format!(
                "the issuer ({}) is not signed by any of the cluster's trust anchors",
                issuer.subject()
            ));
        }
        let now = ASN1Time::from_timestamp(
            self.now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        )
        .map_err(|e| e.to_string())?;
        let validity = issuer.validity();
        if now < validity.not_before {
            return Err(format!(
                "the issuer is not valid before {}",
                validity.not_before
            ));
        }
        if now > validity.not_after {
            return Err(format!("the issuer expired on {}", validity.not_after));
        }
        Ok((validity.not_after.timestamp() - now.timestamp()) / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate_anchor, generate_issuer, LabeledPem};
    use std::time::Duration;

    #[test]
    fn an_issuer_chains_only_to_its_own_anchor() {
        let now = SystemTime::now();
        let anchor = generate_anchor(
            "root.linkerd.cluster.local",
            Duration::from_secs(86_400 * 3650),
            now,
        )
        .expect("anchor");
        let other = generate_anchor(
            "root.linkerd.cluster.local",
            Duration::from_secs(86_400 * 3650),
            now,
        )
        .expect("anchor");
        let issuer = generate_issuer(
            "identity.linkerd.cluster.local",
            Duration::from_secs(86_400 * 365),
            LabeledPem::new("anchor", anchor.cert_pem.as_bytes()),
            LabeledPem::new("anchor key", anchor.key_pem.expose_pem().as_bytes()),
            now,
        )
        .expect("issuer");
        let judge = X509Judge::at(now);
        let days = judge
            .issuer_days_left(&issuer.cert_pem, &anchor.cert_pem)
            .expect("chains");
        assert!((363..=365).contains(&days), "{days}");
        let err = judge
            .issuer_days_left(&issuer.cert_pem, &other.cert_pem)
            .expect_err("wrong anchor");
        assert!(
            err.contains("not signed by any of the cluster's trust anchors"),
            "{err}"
        );
        assert_eq!(
            judge.same_certificates(&anchor.cert_pem, &anchor.cert_pem.replace('\n', "\r\n")),
            Ok(true)
        );
        assert_eq!(
            judge.same_certificates(&anchor.cert_pem, &other.cert_pem),
            Ok(false)
        );
        let bundle = format!("{}{}", anchor.cert_pem, other.cert_pem);
        let reversed = format!("{}{}", other.cert_pem, anchor.cert_pem);
        assert_eq!(judge.same_certificates(&bundle, &reversed), Ok(true));
    }
}
