//! `meshctl certs`: the shared trust anchor and issuer, as a user drives them.

use crate::common::{example_text, meshctl, write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A temp dir holding a copy of the example as `topology.yaml`.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let topo = write(dir.path(), "topology.yaml", &example_text());
    (dir, topo)
}

fn state(dir: &Path) -> PathBuf {
    dir.join(".meshctl/linkerd-multicluster-demo")
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("state dir")
        .map(|e| {
            let path = e.expect("entry").path();
            let meta = std::fs::metadata(&path).expect("metadata");
            (
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
                meta.modified().expect("mtime"),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn init_creates_once_and_reuses_forever() {
    let (dir, topo) = project();
    meshctl()
        .args(["certs", "init"])
        .arg(&topo)
        .assert()
        .success()
        .stdout(predicates::str::contains("Created"));
    let st = state(dir.path());
    let first = snapshot(&st);
    assert_eq!(first.len(), 4, "anchor and issuer, cert and key each");
    for key in ["trust-anchor.key", "issuer.key"] {
        let mode = std::fs::metadata(st.join(key))
            .expect("key")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key} is private");
    }
    meshctl()
        .args(["certs", "init"])
        .arg(&topo)
        .assert()
        .success()
        .stdout(predicates::str::contains("Reused"));
    assert_eq!(first, snapshot(&st), "second run: same bytes, same mtimes");

    // openssl agrees the issuer chains to the anchor.
    if let Ok(out) = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(st.join("trust-anchor.crt"))
        .arg(st.join("issuer.crt"))
        .output()
    {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn show_prints_profiles_but_never_keys() {
    let (dir, topo) = project();
    meshctl()
        .args(["certs", "show"])
        .arg(&topo)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("meshctl certs init"));
    meshctl()
        .args(["certs", "init"])
        .arg(&topo)
        .assert()
        .success();
    let out = meshctl()
        .args(["certs", "show"])
        .arg(&topo)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("subject:     CN=root.linkerd.cluster.local"),
        "{text}"
    );
    assert!(
        text.contains("subject:     CN=identity.linkerd.cluster.local"),
        "{text}"
    );
    assert!(text.contains("CA:          true (pathLen 0)"), "{text}");
    assert!(text.contains("key usage:   keyCertSign, cRLSign"), "{text}");
    assert!(!text.contains("PRIVATE KEY"));
    let json = meshctl()
        .args(["certs", "show", "--json"])
        .arg(&topo)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(doc["certificates"][1]["certificates"][0]["path_len"], 0);
    assert!(!String::from_utf8_lossy(&json).contains("PRIVATE KEY"));
    // Plans mention the certificates but never their keys.
    let plan = meshctl()
        .args(["plan", "--offline", "--output", "json"])
        .arg(&topo)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8_lossy(&plan).contains("PRIVATE KEY"));
    drop(dir);
}

#[test]
fn rotate_issuer_keeps_the_anchor() {
    let (dir, topo) = project();
    meshctl()
        .args(["certs", "init"])
        .arg(&topo)
        .assert()
        .success();
    let st = state(dir.path());
    let anchor = std::fs::read(st.join("trust-anchor.crt")).expect("anchor");
    let issuer = std::fs::read(st.join("issuer.crt")).expect("issuer");
    meshctl()
        .args(["certs", "rotate-issuer"])
        .arg(&topo)
        .assert()
        .success()
        .stdout(predicates::str::contains("previous issuer kept"));
    assert_eq!(
        anchor,
        std::fs::read(st.join("trust-anchor.crt")).expect("anchor"),
        "anchor untouched"
    );
    assert_ne!(
        issuer,
        std::fs::read(st.join("issuer.crt")).expect("issuer"),
        "new issuer"
    );
    meshctl()
        .args(["certs", "show"])
        .arg(&topo)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "verified: issuer chains to the anchor",
        ));
}

#[test]
fn byo_issuer_not_signed_by_byo_anchor_is_refused_naming_both_files() {
    // Two independent meshes' material: the anchor of one, the issuer of the other.
    let (a, topo_a) = project();
    let (b, topo_b) = project();
    meshctl()
        .args(["certs", "init"])
        .arg(&topo_a)
        .assert()
        .success();
    meshctl()
        .args(["certs", "init"])
        .arg(&topo_b)
        .assert()
        .success();
    let dir = tempfile::tempdir().expect("tempdir");
    for (from, file, to) in [
        (&a, "trust-anchor.crt", "ca.crt"),
        (&a, "trust-anchor.key", "ca.key"),
        (&b, "issuer.crt", "issuer.crt"),
        (&b, "issuer.key", "issuer.key"),
    ] {
        std::fs::copy(state(from.path()).join(file), dir.path().join(to)).expect("copy");
    }
    let from = "      trustAnchor:\n        generate:\n          commonName: root.linkerd.cluster.local\n          validity: 87600h\n      issuer:\n        generate:\n          commonName: identity.linkerd.cluster.local\n          validity: 8760h\n";
    assert!(example_text().contains(from));
    let byo = example_text().replace(
        from,
        "      trustAnchor:\n        files: {cert: ca.crt, key: ca.key}\n      issuer:\n        files: {cert: issuer.crt, key: issuer.key}\n",
    );
    let topo = write(dir.path(), "topology.yaml", &byo);
    meshctl().arg("validate").arg(&topo).assert().success();
    let out = meshctl()
        .args(["certs", "init"])
        .arg(&topo)
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).expect("utf-8");
    assert!(
        err.contains("issuer.crt") && err.contains("ca.crt"),
        "names both files: {err}"
    );
    assert!(err.contains("not signed by"), "{err}");
    drop((a, b));
}
