//! Behaviour of meshctl-certs as the CLI uses it: generation, the state directory, rotation and
//! verification, checked by parsing the output back with x509-parser and, where available, by
//! `openssl verify`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use meshctl_certs::{
    describe, expiry_warnings, generate_anchor, generate_issuer, verify_trust, CertError, CertRole,
    CertSource, CertStore, LabeledPem, Origin, TrustSettings, ANCHOR_CERT_FILE, ANCHOR_KEY_FILE,
    GITIGNORE_CONTENTS, GITIGNORE_FILE, ISSUER_CERT_FILE, ISSUER_CERT_PENDING, ISSUER_KEY_FILE,
    ISSUER_KEY_PENDING,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ECDSA_WITH_SHA256,
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_KEY_USAGE,
    OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::{FromDer, ParsedExtension};

const DAY: Duration = Duration::from_secs(86_400);
const ANCHOR_CN: &str = "root.linkerd.cluster.local";
const ISSUER_CN: &str = "identity.linkerd.cluster.local";
const TRUST_DOMAIN: &str = "cluster.local";

fn generated_settings() -> TrustSettings {
    TrustSettings {
        trust_domain: TRUST_DOMAIN.to_owned(),
        anchor: CertSource::Generate {
            common_name: ANCHOR_CN.to_owned(),
            validity: 3650 * DAY,
        },
        issuer: CertSource::Generate {
            common_name: ISSUER_CN.to_owned(),
            validity: Duration::from_secs(8760 * 3600),
        },
    }
}

fn file_settings(anchor: (&Path, &Path), issuer: (&Path, &Path)) -> TrustSettings {
    TrustSettings {
        trust_domain: TRUST_DOMAIN.to_owned(),
        anchor: CertSource::Files {
            cert: anchor.0.to_path_buf(),
            key: anchor.1.to_path_buf(),
        },
        issuer: CertSource::Files {
            cert: issuer.0.to_path_buf(),
            key: issuer.1.to_path_buf(),
        },
    }
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

fn der_of(pem: &str) -> Vec<u8> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    assert_eq!(pem.label, "CERTIFICATE");
    pem.contents
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = X509Certificate::from_der(der).unwrap();
    assert!(rest.is_empty());
    cert
}

fn mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0o600
    }
}

fn dir_listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn openssl_available() -> bool {
    let available = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("note: openssl is not on PATH; skipping the openssl cross-check");
    }
    available
}

fn verify_files(anchor: &str, issuer: &str, key: &str, now: SystemTime) -> Result<(), CertError> {
    verify_trust(
        LabeledPem::new("anchor.crt", anchor.as_bytes()),
        LabeledPem::new("issuer.crt", issuer.as_bytes()),
        LabeledPem::new("issuer.key", key.as_bytes()),
        TRUST_DOMAIN,
        now,
    )
    .map(|_| ())
}

/// A P-256 CA certificate built directly with rcgen, for shapes meshctl itself never generates.
fn custom_issuer(
    customize: impl FnOnce(&mut rcgen::CertificateParams),
    alg: &'static rcgen::SignatureAlgorithm,
    anchor_pem: &str,
    anchor_key_pem: &str,
) -> (String, String) {
    let anchor_key = rcgen::KeyPair::from_pem(anchor_key_pem).unwrap();
    let signer = rcgen::Issuer::from_ca_cert_pem(anchor_pem, anchor_key).unwrap();
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, ISSUER_CN);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(30);
    customize(&mut params);
    let cert = params.signed_by(&key, &signer).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn ensure_generates_a_verifying_pair_with_the_step_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join(".meshctl").join("demo");
    let store = CertStore::new(&state);
    let now = SystemTime::now();
    let material = store.ensure(&generated_settings(), now).unwrap();

    assert_eq!(material.anchor_source.origin, Origin::Created);
    assert_eq!(material.issuer_source.origin, Origin::Created);
    assert_eq!(material.anchor_source.cert, state.join(ANCHOR_CERT_FILE));
    assert_eq!(material.issuer_source.key, state.join(ISSUER_KEY_FILE));
    assert!(material.notes.is_empty(), "{:?}", material.notes);
    assert_eq!(material.verified.anchor.subject, format!("CN={ANCHOR_CN}"));
    assert_eq!(material.verified.issuer.subject, format!("CN={ISSUER_CN}"));
    assert_eq!(material.verified.days_until_issuer_expiry(), 364);
    assert_eq!(material.verified.days_until_anchor_expiry(), 3649);

    // What was returned is what was written.
    assert_eq!(
        fs::read_to_string(state.join(ANCHOR_CERT_FILE)).unwrap(),
        material.anchor_pem
    );
    assert_eq!(
        fs::read_to_string(state.join(ISSUER_CERT_FILE)).unwrap(),
        material.issuer_cert_pem
    );
    assert_eq!(
        fs::read_to_string(state.join(ISSUER_KEY_FILE)).unwrap(),
        material.issuer_key.expose_pem()
    );

    // Parse both back and check every extension.
    let anchor_der = der_of(&material.anchor_pem);
    let issuer_der = der_of(&material.issuer_cert_pem);
    let anchor = parse(&anchor_der);
    let issuer = parse(&issuer_der);

    for (cert, path_len) in [(&anchor, 1), (&issuer, 0)] {
        let spki = cert.public_key();
        assert_eq!(spki.algorithm.algorithm, OID_KEY_TYPE_EC_PUBLIC_KEY);
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .unwrap()
            .as_oid()
            .unwrap();
        assert_eq!(curve, OID_EC_P256);
        assert_eq!(
            cert.signature_algorithm.algorithm,
            OID_SIG_ECDSA_WITH_SHA256
        );
        assert_eq!(cert.version().0, 2, "X.509 v3");

        let bc = cert.basic_constraints().unwrap().unwrap();
        assert!(bc.critical);
        assert!(bc.value.ca);
        assert_eq!(bc.value.path_len_constraint, Some(path_len));

        let ku = cert.key_usage().unwrap().unwrap();
        assert!(ku.critical);
        assert!(ku.value.key_cert_sign() && ku.value.crl_sign());
        assert_eq!(
            ku.value.flags,
            (1 << 5) | (1 << 6),
            "only keyCertSign + cRLSign"
        );

        assert!(cert.extended_key_usage().unwrap().is_none());
        assert!(cert.subject_alternative_name().unwrap().is_none());
        // 128-bit random serial, positive.
        assert_eq!(cert.raw_serial().len(), 16);
        assert!(cert.raw_serial()[0] < 0x80);
    }

    let oids = |c: &X509Certificate<'_>| -> BTreeSet<String> {
        c.extensions()
            .iter()
            .map(|e| e.oid.to_id_string())
            .collect()
    };
    let ski = OID_X509_EXT_SUBJECT_KEY_IDENTIFIER.to_id_string();
    let aki = OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER.to_id_string();
    let bc = OID_X509_EXT_BASIC_CONSTRAINTS.to_id_string();
    let ku = OID_X509_EXT_KEY_USAGE.to_id_string();
    assert_eq!(
        oids(&anchor),
        BTreeSet::from([ski.clone(), bc.clone(), ku.clone()])
    );
    assert_eq!(oids(&issuer), BTreeSet::from([ski, aki, bc, ku]));

    // Names and key identifiers chain.
    assert_eq!(anchor.subject().to_string(), format!("CN={ANCHOR_CN}"));
    assert_eq!(anchor.issuer().as_raw(), anchor.subject().as_raw());
    assert_eq!(issuer.subject().to_string(), format!("CN={ISSUER_CN}"));
    assert_eq!(issuer.issuer().as_raw(), anchor.subject().as_raw());
    let anchor_ski = anchor
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
        .unwrap();
    let issuer_aki = issuer
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(issuer_aki, anchor_ski);

    // Real signatures.
    anchor.verify_signature(None).unwrap();
    issuer.verify_signature(Some(anchor.public_key())).unwrap();
    assert!(issuer.verify_signature(None).is_err());

    // Validity: notBefore is backdated by the skew allowance, notAfter = now + validity.
    let now_s = time::OffsetDateTime::from(now).unix_timestamp();
    let issuer_validity = issuer.validity();
    assert_eq!(issuer_validity.not_after.timestamp() - now_s, 8760 * 3600);
    assert_eq!(
        now_s - issuer_validity.not_before.timestamp(),
        meshctl_certs::profile::CLOCK_SKEW_ALLOWANCE.as_secs() as i64
    );
    assert_eq!(
        anchor.validity().not_after.timestamp() - now_s,
        3650 * 86_400
    );
}

#[test]
fn openssl_accepts_the_generated_chain() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path());
    store
        .ensure(&generated_settings(), SystemTime::now())
        .unwrap();
    let out = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(store.anchor_cert_path())
        .arg(store.issuer_cert_path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "openssl verify failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.trim_end().ends_with(": OK"), "{stdout}");

    // openssl also reads the keys and agrees they belong to the certificates.
    for (cert, key) in [
        (store.anchor_cert_path(), store.anchor_key_path()),
        (store.issuer_cert_path(), store.issuer_key_path()),
    ] {
        let pubkey = |args: &[&str], path: &Path| {
            let out = Command::new("openssl")
                .args(args)
                .arg(path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        assert_eq!(
            pubkey(&["x509", "-noout", "-pubkey", "-in"], &cert),
            pubkey(&["pkey", "-pubout", "-in"], &key)
        );
    }
}

#[test]
fn an_openssl_made_anchor_with_a_sec1_key_can_sign_the_issuer() {
    if !openssl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let byo = dir.path().join("byo");
    fs::create_dir(&byo).unwrap();
    let ca_key = byo.join("ca.key");
    let ca_crt = byo.join("ca.crt");
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // SEC1 "EC PRIVATE KEY", as step and `openssl ecparam` write it.
    run(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        ca_key.to_str().unwrap(),
    ]);
    assert!(fs::read_to_string(&ca_key)
        .unwrap()
        .contains("BEGIN EC PRIVATE KEY"));
    run(&[
        "req",
        "-x509",
        "-new",
        "-key",
        ca_key.to_str().unwrap(),
        "-out",
        ca_crt.to_str().unwrap(),
        "-days",
        "100",
        "-subj",
        "/CN=root.linkerd.cluster.local",
        "-addext",
        "basicConstraints=critical,CA:TRUE,pathlen:1",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);

    let state = dir.path().join("state");
    let store = CertStore::new(&state);
    let settings = TrustSettings {
        anchor: CertSource::Files {
            cert: ca_crt.clone(),
            key: ca_key.clone(),
        },
        ..generated_settings()
    };
    let material = store.ensure(&settings, SystemTime::now()).unwrap();
    assert_eq!(material.anchor_source.origin, Origin::UserFiles);
    assert_eq!(material.issuer_source.origin, Origin::Created);
    // The anchor is used in place, not copied into the state directory.
    assert_eq!(
        dir_listing(&state),
        BTreeSet::from([
            GITIGNORE_FILE.to_owned(),
            ISSUER_CERT_FILE.to_owned(),
            ISSUER_KEY_FILE.to_owned()
        ])
    );
    // The 8760h issuer would outlive the 100-day anchor: it is cut to the anchor's expiry.
    assert_eq!(material.notes.len(), 1, "{:?}", material.notes);
    assert!(
        material.notes[0].contains("cut short"),
        "{:?}",
        material.notes
    );

    let out = Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(&ca_crt)
        .arg(store.issuer_cert_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn ensure_twice_changes_nothing_and_keys_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path().join("state"));
    let settings = generated_settings();
    let first = store.ensure(&settings, SystemTime::now()).unwrap();

    let files = [
        store.anchor_cert_path(),
        store.anchor_key_path(),
        store.issuer_cert_path(),
        store.issuer_key_path(),
    ];
    assert_eq!(
        dir_listing(store.dir()),
        BTreeSet::from(
            [
                ANCHOR_CERT_FILE,
                ANCHOR_KEY_FILE,
                GITIGNORE_FILE,
                ISSUER_CERT_FILE,
                ISSUER_KEY_FILE
            ]
            .map(str::to_owned)
        ),
        "no temp files left behind"
    );
    assert_eq!(mode(&store.anchor_key_path()), 0o600);
    assert_eq!(mode(&store.issuer_key_path()), 0o600);
    assert_eq!(mode(&store.anchor_cert_path()), 0o644);
    assert_eq!(mode(&store.issuer_cert_path()), 0o644);

    let snapshot = |files: &[PathBuf]| -> Vec<(Vec<u8>, SystemTime)> {
        files
            .iter()
            .map(|p| {
                (
                    fs::read(p).unwrap(),
                    fs::metadata(p).unwrap().modified().unwrap(),
                )
            })
            .collect()
    };
    let before = snapshot(&files);
    std::thread::sleep(Duration::from_millis(20));
    let second = store.ensure(&settings, SystemTime::now()).unwrap();
    assert_eq!(snapshot(&files), before);
    assert_eq!(second.anchor_source.origin, Origin::Reused);
    assert_eq!(second.issuer_source.origin, Origin::Reused);
    assert_eq!(second.anchor_pem, first.anchor_pem);
    assert_eq!(second.issuer_cert_pem, first.issuer_cert_pem);
    assert_eq!(second.issuer_key, first.issuer_key);
}

#[test]
fn a_missing_issuer_is_made_under_the_existing_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path());
    let settings = generated_settings();
    let first = store.ensure(&settings, SystemTime::now()).unwrap();
    fs::remove_file(store.issuer_cert_path()).unwrap();
    fs::remove_file(store.issuer_key_path()).unwrap();

    let second = store.ensure(&settings, SystemTime::now()).unwrap();
    assert_eq!(second.anchor_source.origin, Origin::Reused);
    assert_eq!(second.issuer_source.origin, Origin::Created);
    assert_eq!(second.anchor_pem, first.anchor_pem);
    assert_ne!(second.issuer_cert_pem, first.issuer_cert_pem);
    assert_eq!(mode(&store.issuer_key_path()), 0o600);
}

#[test]
fn the_state_directory_ignores_itself_in_git_and_a_users_gitignore_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path().join("state"));
    let settings = generated_settings();
    store.ensure(&settings, SystemTime::now()).unwrap();
    assert_eq!(
        fs::read_to_string(store.gitignore_path()).unwrap(),
        GITIGNORE_CONTENTS
    );
    assert!(GITIGNORE_CONTENTS.lines().any(|l| l == "*"));

    // A state directory from before (no .gitignore) gets one on the next run.
    fs::remove_file(store.gitignore_path()).unwrap();
    store.ensure(&settings, SystemTime::now()).unwrap();
    assert_eq!(
        fs::read_to_string(store.gitignore_path()).unwrap(),
        GITIGNORE_CONTENTS
    );

    // One the user edited is never overwritten, by ensure or by rotation.
    fs::remove_file(store.gitignore_path()).unwrap();
    fs::write(store.gitignore_path(), "*\n!README\n").unwrap();
    store.ensure(&settings, SystemTime::now()).unwrap();
    store.rotate_issuer(&settings, SystemTime::now()).unwrap();
    assert_eq!(
        fs::read_to_string(store.gitignore_path()).unwrap(),
        "*\n!README\n"
    );
    assert!(!store.ensure_gitignore().unwrap());

    // Rotation into a directory without one creates it.
    fs::remove_file(store.gitignore_path()).unwrap();
    store.rotate_issuer(&settings, SystemTime::now()).unwrap();
    assert_eq!(
        fs::read_to_string(store.gitignore_path()).unwrap(),
        GITIGNORE_CONTENTS
    );

    // User-supplied material only: the state directory is not even created.
    let byo = tempfile::tempdir().unwrap();
    let generated = CertStore::new(byo.path().join("gen"));
    generated.ensure(&settings, SystemTime::now()).unwrap();
    let settings = file_settings(
        (&generated.anchor_cert_path(), &generated.anchor_key_path()),
        (&generated.issuer_cert_path(), &generated.issuer_key_path()),
    );
    let unused = CertStore::new(byo.path().join("state"));
    unused.ensure(&settings, SystemTime::now()).unwrap();
    assert!(!unused.dir().exists());
}

#[test]
fn check_says_what_ensure_would_do_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path().join("state"));
    let settings = generated_settings();

    let fresh = store.check(&settings, SystemTime::now()).unwrap();
    assert_eq!(fresh.anchor_source.origin, Origin::Created);
    assert_eq!(fresh.issuer_source.origin, Origin::Created);
    assert!(!store.dir().exists(), "check writes nothing");

    let made = store.ensure(&settings, SystemTime::now()).unwrap();
    let checked = store.check(&settings, SystemTime::now()).unwrap();
    assert_eq!(checked.anchor_source.origin, Origin::Reused);
    assert_eq!(checked.issuer_source.origin, Origin::Reused);
    assert_eq!(checked.issuer_cert_pem, made.issuer_cert_pem);

    // A half pair fails check exactly as it fails ensure, and check leaves it as it is.
    fs::remove_file(store.issuer_key_path()).unwrap();
    let before = dir_listing(store.dir());
    let err = store.check(&settings, SystemTime::now()).unwrap_err();
    assert!(matches!(err, CertError::PartialPair { .. }), "{err}");
    assert_eq!(dir_listing(store.dir()), before);

    // A missing issuer pair is something ensure would create under the existing anchor.
    fs::remove_file(store.issuer_cert_path()).unwrap();
    let partial = store.check(&settings, SystemTime::now()).unwrap();
    assert_eq!(partial.anchor_source.origin, Origin::Reused);
    assert_eq!(partial.issuer_source.origin, Origin::Created);
    assert!(!store.issuer_cert_path().exists());
}

#[test]
fn an_issuer_without_its_anchor_is_an_error_not_a_new_anchor() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path());
    let settings = generated_settings();
    store.ensure(&settings, SystemTime::now()).unwrap();
    fs::remove_file(store.anchor_cert_path()).unwrap();
    fs::remove_file(store.anchor_key_path()).unwrap();
    let before = dir_listing(store.dir());

    let err = store.ensure(&settings, SystemTime::now()).unwrap_err();
    assert!(matches!(err, CertError::AnchorMissing { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&store.anchor_cert_path().display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("issuer"), "{msg}");
    assert_eq!(dir_listing(store.dir()), before, "nothing was created");

    // Rotation refuses just the same.
    let err = store
        .rotate_issuer(&settings, SystemTime::now())
        .unwrap_err();
    assert!(matches!(err, CertError::AnchorMissing { .. }), "{err}");
}

#[test]
fn half_a_pair_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path());
    let settings = generated_settings();
    store.ensure(&settings, SystemTime::now()).unwrap();
    fs::remove_file(store.issuer_key_path()).unwrap();
    let err = store.ensure(&settings, SystemTime::now()).unwrap_err();
    assert!(matches!(err, CertError::PartialPair { .. }), "{err}");
    assert!(err.to_string().contains(ISSUER_KEY_FILE), "{err}");
}

#[test]
fn an_offline_anchor_key_is_fine_until_a_new_issuer_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path());
    let settings = generated_settings();
    store.ensure(&settings, SystemTime::now()).unwrap();
    fs::remove_file(store.anchor_key_path()).unwrap();
    store.ensure(&settings, SystemTime::now()).unwrap();
    let err = store
        .rotate_issuer(&settings, SystemTime::now())
        .unwrap_err();
    assert!(matches!(err, CertError::AnchorKeyMissing { .. }), "{err}");
    assert!(err.to_string().contains(ANCHOR_KEY_FILE), "{err}");
}

#[test]
fn byo_issuer_not_signed_by_byo_anchor_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemTime::now();
    let real_anchor = generate_anchor(ANCHOR_CN, 365 * DAY, now).unwrap();
    let other_anchor = generate_anchor(ANCHOR_CN, 365 * DAY, now).unwrap();
    let issuer = generate_issuer(
        ISSUER_CN,
        30 * DAY,
        LabeledPem::new("real", real_anchor.cert_pem.as_bytes()),
        LabeledPem::new("real.key", real_anchor.key_pem.expose_pem().as_bytes()),
        now,
    )
    .unwrap();
    let ca_crt = write(dir.path(), "ca.crt", &other_anchor.cert_pem);
    let ca_key = write(dir.path(), "ca.key", other_anchor.key_pem.expose_pem());
    let issuer_crt = write(dir.path(), "issuer.crt", &issuer.cert_pem);
    let issuer_key = write(dir.path(), "issuer.key", issuer.key_pem.expose_pem());

    let state = dir.path().join("state");
    let store = CertStore::new(&state);
    let settings = file_settings((&ca_crt, &ca_key), (&issuer_crt, &issuer_key));
    let err = store.ensure(&settings, now).unwrap_err();
    assert!(matches!(err, CertError::NotSignedByAnchor { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "issuer {} is not signed by trust anchor {}",
            issuer_crt.display(),
            ca_crt.display()
        )),
        "{msg}"
    );
    assert!(
        !state.exists(),
        "BYO material is never copied into the store"
    );

    // An anchor with another name: the DN check fires first, naming both files too.
    let renamed = generate_anchor("root.example.org", 365 * DAY, now).unwrap();
    let renamed_crt = write(dir.path(), "renamed.crt", &renamed.cert_pem);
    let settings = file_settings((&renamed_crt, &ca_key), (&issuer_crt, &issuer_key));
    let err = store.ensure(&settings, now).unwrap_err();
    assert!(matches!(err, CertError::IssuerNameMismatch { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&issuer_crt.display().to_string()), "{msg}");
    assert!(msg.contains(&renamed_crt.display().to_string()), "{msg}");

    // With the right anchor it verifies, read in place.
    let real_crt = write(dir.path(), "real.crt", &real_anchor.cert_pem);
    let settings = file_settings((&real_crt, &ca_key), (&issuer_crt, &issuer_key));
    let material = store.ensure(&settings, now).unwrap();
    assert_eq!(material.anchor_source.origin, Origin::UserFiles);
    assert_eq!(material.issuer_source.origin, Origin::UserFiles);
    assert_eq!(material.issuer_source.cert, issuer_crt);
    assert!(!state.exists());

    // A bundle holding both anchors also works (Linkerd accepts a bundle).
    let bundle = format!("{}{}", other_anchor.cert_pem, real_anchor.cert_pem);
    let verified = verify_trust(
        LabeledPem::new("bundle", bundle.as_bytes()),
        LabeledPem::new("issuer", issuer.cert_pem.as_bytes()),
        LabeledPem::new("key", issuer.key_pem.expose_pem().as_bytes()),
        TRUST_DOMAIN,
        now,
    )
    .unwrap();
    assert_eq!(verified.anchors_in_bundle, 2);
}

#[test]
fn wrong_issuer_cn_names_the_expected_cn() {
    let now = SystemTime::now();
    let anchor = generate_anchor(ANCHOR_CN, 365 * DAY, now).unwrap();
    let issuer = generate_issuer(
        "identity.linkerd.example.org",
        30 * DAY,
        LabeledPem::new("a", anchor.cert_pem.as_bytes()),
        LabeledPem::new("k", anchor.key_pem.expose_pem().as_bytes()),
        now,
    )
    .unwrap();
    let err = verify_files(
        &anchor.cert_pem,
        &issuer.cert_pem,
        issuer.key_pem.expose_pem(),
        now,
    )
    .unwrap_err();
    assert!(matches!(err, CertError::IssuerCommonName { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("\"identity.linkerd.cluster.local\""), "{msg}");
    assert!(msg.contains("issuer.crt"), "{msg}");

    // Asking the store to generate a wrongly named issuer is refused up front.
    let dir = tempfile::tempdir().unwrap();
    let settings = TrustSettings {
        issuer: CertSource::Generate {
            common_name: "identity.linkerd.example.org".to_owned(),
            validity: 30 * DAY,
        },
        ..generated_settings()
    };
    let err = CertStore::new(dir.path())
        .ensure(&settings, now)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("\"identity.linkerd.cluster.local\""),
        "{err}"
    );
    assert_eq!(dir_listing(dir.path()).len(), 0);
}

#[test]
fn expired_and_not_yet_valid_issuers_are_errors() {
    let now = SystemTime::now();
    let long_ago = now - 400 * DAY;
    let anchor = generate_anchor(ANCHOR_CN, 3650 * DAY, long_ago).unwrap();
    let sign = |validity, at| {
        generate_issuer(
            ISSUER_CN,
            validity,
            LabeledPem::new("a", anchor.cert_pem.as_bytes()),
            LabeledPem::new("k", anchor.key_pem.expose_pem().as_bytes()),
            at,
        )
        .unwrap()
    };

    let expired = sign(30 * DAY, long_ago);
    let err = verify_files(
        &anchor.cert_pem,
        &expired.cert_pem,
        expired.key_pem.expose_pem(),
        now,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CertError::Expired {
                role: CertRole::Issuer,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("issuer issuer.crt expired on "),
        "{err}"
    );
    // It was fine back then.
    verify_files(
        &anchor.cert_pem,
        &expired.cert_pem,
        expired.key_pem.expose_pem(),
        long_ago + DAY,
    )
    .unwrap();

    let future = sign(30 * DAY, now + 10 * DAY);
    let err = verify_files(
        &anchor.cert_pem,
        &future.cert_pem,
        future.key_pem.expose_pem(),
        now,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CertError::NotYetValid {
                role: CertRole::Issuer,
                ..
            }
        ),
        "{err}"
    );

    // An expired anchor is reported as such.
    let old_anchor = generate_anchor(ANCHOR_CN, 10 * DAY, long_ago).unwrap();
    let old_issuer = generate_issuer(
        ISSUER_CN,
        5 * DAY,
        LabeledPem::new("a", old_anchor.cert_pem.as_bytes()),
        LabeledPem::new("k", old_anchor.key_pem.expose_pem().as_bytes()),
        long_ago,
    )
    .unwrap();
    let err = verify_files(
        &old_anchor.cert_pem,
        &old_issuer.cert_pem,
        old_issuer.key_pem.expose_pem(),
        now,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            CertError::Expired {
                role: CertRole::TrustAnchor,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_key_that_does_not_match_the_issuer_is_an_error() {
    let now = SystemTime::now();
    let anchor = generate_anchor(ANCHOR_CN, 365 * DAY, now).unwrap();
    let sign = || {
        generate_issuer(
            ISSUER_CN,
            30 * DAY,
            LabeledPem::new("a", anchor.cert_pem.as_bytes()),
            LabeledPem::new("k", anchor.key_pem.expose_pem().as_bytes()),
            now,
        )
        .unwrap()
    };
    let (one, two) = (sign(), sign());
    let err = verify_files(
        &anchor.cert_pem,
        &one.cert_pem,
        two.key_pem.expose_pem(),
        now,
    )
    .unwrap_err();
    assert!(matches!(err, CertError::KeyMismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "private key issuer.key does not match the public key of certificate issuer.crt"
    );

    // A certificate where the key should be.
    let err = verify_files(&anchor.cert_pem, &one.cert_pem, &one.cert_pem, now).unwrap_err();
    assert!(matches!(err, CertError::PrivateKey { .. }), "{err}");
    // Garbage where a certificate should be.
    let err = verify_files("not pem", &one.cert_pem, one.key_pem.expose_pem(), now).unwrap_err();
    assert!(matches!(err, CertError::Pem { .. }), "{err}");
    assert!(err.to_string().starts_with("anchor.crt: "), "{err}");
}

#[test]
fn profile_violations_each_have_their_own_error() {
    let now = SystemTime::now();
    let anchor = generate_anchor(ANCHOR_CN, 365 * DAY, now).unwrap();
    let anchor_key = anchor.key_pem.expose_pem();
    let p256 = &rcgen::PKCS_ECDSA_P256_SHA256;

    let (cert, key) = custom_issuer(|_| {}, p256, &anchor.cert_pem, anchor_key);
    verify_files(&anchor.cert_pem, &cert, &key, now).unwrap();

    let (cert, key) = custom_issuer(
        |p| p.is_ca = rcgen::IsCa::ExplicitNoCa,
        p256,
        &anchor.cert_pem,
        anchor_key,
    );
    let err = verify_files(&anchor.cert_pem, &cert, &key, now).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::NotCa {
                role: CertRole::Issuer,
                ..
            }
        ),
        "{err}"
    );

    let (cert, key) = custom_issuer(
        |p| p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature],
        p256,
        &anchor.cert_pem,
        anchor_key,
    );
    let err = verify_files(&anchor.cert_pem, &cert, &key, now).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::MissingKeyCertSign {
                role: CertRole::Issuer,
                ..
            }
        ),
        "{err}"
    );

    let (cert, key) = custom_issuer(
        |_| {},
        &rcgen::PKCS_ECDSA_P384_SHA384,
        &anchor.cert_pem,
        anchor_key,
    );
    let err = verify_files(&anchor.cert_pem, &cert, &key, now).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::Algorithm {
                role: CertRole::Issuer,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("P-256"), "{err}");

    let (cert, key) = custom_issuer(
        |p| p.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(400),
        p256,
        &anchor.cert_pem,
        anchor_key,
    );
    let err = verify_files(&anchor.cert_pem, &cert, &key, now).unwrap_err();
    assert!(
        matches!(err, CertError::IssuerOutlivesAnchor { .. }),
        "{err}"
    );

    // An anchor that is not a CA.
    let leaf_key = rcgen::KeyPair::generate_for(p256).unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec![]).unwrap();
    leaf.distinguished_name
        .push(rcgen::DnType::CommonName, ANCHOR_CN);
    let leaf = leaf.self_signed(&leaf_key).unwrap();
    let (cert, key) = custom_issuer(|_| {}, p256, &leaf.pem(), &leaf_key.serialize_pem());
    let err = verify_files(&leaf.pem(), &cert, &key, now).unwrap_err();
    assert!(
        matches!(
            err,
            CertError::NotCa {
                role: CertRole::TrustAnchor,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "trust anchor anchor.crt is not a CA certificate (basicConstraints CA:TRUE is missing)"
    );
}

#[test]
fn rotate_issuer_keeps_the_anchor_and_the_old_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path());
    let settings = generated_settings();
    let now = SystemTime::now();
    let before = store.ensure(&settings, now).unwrap();
    let anchor_bytes = fs::read(store.anchor_cert_path()).unwrap();
    let anchor_key_bytes = fs::read(store.anchor_key_path()).unwrap();
    let old_cert = fs::read(store.issuer_cert_path()).unwrap();
    let old_key = fs::read(store.issuer_key_path()).unwrap();

    let later = now + 100 * DAY;
    let rotated = store.rotate_issuer(&settings, later).unwrap();
    assert_eq!(fs::read(store.anchor_cert_path()).unwrap(), anchor_bytes);
    assert_eq!(fs::read(store.anchor_key_path()).unwrap(), anchor_key_bytes);
    assert_eq!(rotated.material.anchor_pem, before.anchor_pem);
    assert_ne!(rotated.material.issuer_cert_pem, before.issuer_cert_pem);
    assert_eq!(
        fs::read_to_string(store.issuer_cert_path()).unwrap(),
        rotated.material.issuer_cert_pem
    );
    assert_eq!(mode(&store.issuer_key_path()), 0o600);

    let (backup_cert, backup_key) = rotated.backup.clone().unwrap();
    assert_eq!(fs::read(&backup_cert).unwrap(), old_cert);
    assert_eq!(fs::read(&backup_key).unwrap(), old_key);
    assert_eq!(mode(&backup_key), 0o600);
    let backup_name = backup_cert
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        backup_name.starts_with("issuer.crt.") && backup_name.ends_with(".bak"),
        "{backup_name}"
    );

    // The new issuer verifies against the unchanged anchor, and ensure now reuses it.
    verify_files(
        &before.anchor_pem,
        &rotated.material.issuer_cert_pem,
        rotated.material.issuer_key.expose_pem(),
        later,
    )
    .unwrap();
    let after = store.ensure(&settings, later).unwrap();
    assert_eq!(after.issuer_source.origin, Origin::Reused);
    assert_eq!(after.issuer_cert_pem, rotated.material.issuer_cert_pem);

    // Rotating twice at the same instant keeps both backups.
    let again = store.rotate_issuer(&settings, later).unwrap();
    let (second_backup, _) = again.backup.unwrap();
    assert_ne!(second_backup, backup_cert);
    assert_eq!(
        fs::read_to_string(&second_backup).unwrap(),
        rotated.material.issuer_cert_pem
    );
}

#[test]
fn rotate_refuses_a_user_supplied_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let settings = file_settings(
        (Path::new("/x/ca.crt"), Path::new("/x/ca.key")),
        (Path::new("/x/issuer.crt"), Path::new("/x/issuer.key")),
    );
    let err = CertStore::new(dir.path())
        .rotate_issuer(&settings, SystemTime::now())
        .unwrap_err();
    assert!(matches!(err, CertError::RotateUserIssuer { .. }), "{err}");
    assert!(err.to_string().contains("/x/issuer.crt"), "{err}");
}

#[test]
fn invalid_settings_are_refused_before_touching_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path().join("state"));
    let mut settings = generated_settings();
    settings.trust_domain = "Cluster_Local".to_owned();
    let err = store.ensure(&settings, SystemTime::now()).unwrap_err();
    assert!(matches!(err, CertError::Settings(_)), "{err}");

    let mut settings = generated_settings();
    settings.issuer = CertSource::Files {
        cert: "/x/issuer.crt".into(),
        key: "/x/issuer.key".into(),
    };
    let err = store.ensure(&settings, SystemTime::now()).unwrap_err();
    assert!(matches!(err, CertError::Settings(_)), "{err}");
    assert!(!store.dir().exists());
}

#[test]
fn secrets_never_show_in_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let material = CertStore::new(dir.path())
        .ensure(&generated_settings(), SystemTime::now())
        .unwrap();
    let debug = format!("{material:?}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    assert!(debug.contains("[redacted]"));
    assert!(!format!("{}", material.issuer_key).contains("PRIVATE KEY"));
    assert!(material.issuer_key.expose_pem().contains("PRIVATE KEY"));
    let generated = generate_anchor(ANCHOR_CN, DAY, SystemTime::now()).unwrap();
    assert!(!format!("{generated:?}").contains("PRIVATE KEY"));
    let key = generated.key_pem.expose_pem();
    assert!(!format!("{:?}", LabeledPem::new("k", key.as_bytes())).contains("PRIVATE"));
}

#[test]
fn describe_summarises_without_keys_and_serialises() {
    let dir = tempfile::tempdir().unwrap();
    let material = CertStore::new(dir.path())
        .ensure(&generated_settings(), SystemTime::now())
        .unwrap();
    // A file holding a key and the certificate: only the certificate is described.
    let mixed = format!(
        "{}{}",
        material.issuer_key.expose_pem(),
        material.issuer_cert_pem
    );
    let summaries = describe(LabeledPem::new("issuer", mixed.as_bytes())).unwrap();
    assert_eq!(summaries.len(), 1);
    let s = &summaries[0];
    assert_eq!(s.subject, format!("CN={ISSUER_CN}"));
    assert_eq!(s.issuer, format!("CN={ANCHOR_CN}"));
    assert!(s.is_ca);
    assert_eq!(s.path_len, Some(0));
    assert_eq!(s.key_usages, vec!["keyCertSign", "cRLSign"]);
    assert_eq!(s.key_algorithm, "ECDSA P-256");
    assert_eq!(s.serial.len(), 16 * 3 - 1);
    assert_eq!(s.sha256_fingerprint.len(), 32 * 3 - 1);
    assert_eq!(
        s.sha256_fingerprint,
        material.verified.issuer.sha256_fingerprint
    );
    assert!(s.not_after.ends_with('Z'), "{}", s.not_after);
    time::OffsetDateTime::parse(
        &s.not_before,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();

    let json = serde_json::to_value(&summaries).unwrap();
    assert_eq!(
        json[0]["pathLen"], 0,
        "camelCase, like every meshctl document"
    );
    assert!(!json.to_string().contains("PRIVATE"));

    let anchors = describe(LabeledPem::new("anchor", material.anchor_pem.as_bytes())).unwrap();
    assert_eq!(anchors[0].path_len, Some(1));
    assert_eq!(anchors[0].subject, anchors[0].issuer);

    // The fingerprint matches openssl's.
    if openssl_available() {
        let out = Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
            .arg(dir.path().join(ANCHOR_CERT_FILE))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.trim().ends_with(&anchors[0].sha256_fingerprint),
            "{stdout} vs {}",
            anchors[0].sha256_fingerprint
        );
    }
}

#[test]
fn expiry_warnings_use_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let material = CertStore::new(dir.path())
        .ensure(&generated_settings(), SystemTime::now())
        .unwrap();
    assert!(expiry_warnings(
        &material.verified,
        meshctl_certs::LINKERD_CHECK_EXPIRY_WARNING
    )
    .is_empty());
    let warnings = expiry_warnings(&material.verified, 400 * DAY);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("issuer "), "{warnings:?}");
    assert!(warnings[0].contains("in 364 days"), "{warnings:?}");
    assert_eq!(expiry_warnings(&material.verified, 4000 * DAY).len(), 2);
}

/// A rotation interrupted at each point of its journal: the next use of the store ends
/// with a pair that verifies, the old one or the new one, never a mix.
#[test]
fn an_interrupted_rotation_leaves_the_old_pair_or_the_new_one() {
    let settings = generated_settings();
    let now = SystemTime::now();
    // (pending files present, whether the key was already moved) → which pair survives.
    for (name, key_pending, cert_pending, key_moved, expect_new) in [
        (
            "crash while writing the new certificate",
            true,
            false,
            false,
            false,
        ),
        ("crash before moving the pair in", true, true, false, true),
        (
            "crash between the key and the certificate",
            false,
            true,
            true,
            true,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = CertStore::new(dir.path());
        let before = store.ensure(&settings, now).unwrap();
        // Make the new pair in another store signed by the same anchor.
        let other = tempfile::tempdir().unwrap();
        for file in [
            ANCHOR_CERT_FILE,
            ANCHOR_KEY_FILE,
            ISSUER_CERT_FILE,
            ISSUER_KEY_FILE,
        ] {
            fs::copy(dir.path().join(file), other.path().join(file)).unwrap();
        }
        let new = CertStore::new(other.path())
            .rotate_issuer(&settings, now + DAY)
            .unwrap()
            .material;
        if key_pending {
            fs::write(
                dir.path().join(ISSUER_KEY_PENDING),
                new.issuer_key.expose_pem(),
            )
            .unwrap();
        }
        if cert_pending {
            fs::write(dir.path().join(ISSUER_CERT_PENDING), &new.issuer_cert_pem).unwrap();
        }
        if key_moved {
            fs::write(store.issuer_key_path(), new.issuer_key.expose_pem()).unwrap();
        }
        // A read (what plan does) finds a verified pair.
        let after = store
            .check(&settings, now + DAY)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = if expect_new { &new } else { &before };
        assert_eq!(after.issuer_cert_pem, expected.issuer_cert_pem, "{name}");
        assert_eq!(
            fs::read_to_string(store.issuer_key_path()).unwrap(),
            expected.issuer_key.expose_pem(),
            "{name}"
        );
        assert!(!dir.path().join(ISSUER_KEY_PENDING).exists(), "{name}");
        assert!(!dir.path().join(ISSUER_CERT_PENDING).exists(), "{name}");
    }
}
