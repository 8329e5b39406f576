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

/// The example's generated trust anchor and issuer, as they appear in it.
const GENERATED: &str = "      trustAnchor:\n        generate:\n          commonName: root.linkerd.cluster.local\n          validity: 87600h\n      issuer:\n        generate:\n          commonName: identity.linkerd.cluster.local\n          validity: 8760h\n";

/// The example with its anchor and issuer taken from `ca.crt`/`ca.key` and
/// `issuer.crt`/`issuer.key` beside the topology.
fn byo_text() -> String {
    let text = example_text();
    assert!(text.contains(GENERATED));
    text.replace(
        GENERATED,
        "      trustAnchor:\n        files: {cert: ca.crt, key: ca.key}\n      issuer:\n        files: {cert: issuer.crt, key: issuer.key}\n",
    )
}

/// The example moved to trust domain `example.org` (names included), as after a rename.
fn example_org_text() -> String {
    let text = example_text();
    assert!(text.contains("trustDomain: cluster.local"));
    text.replace("trustDomain: cluster.local", "trustDomain: example.org")
        .replace("linkerd.cluster.local", "linkerd.example.org")
}

/// Runs meshctl and returns (exit code, stdout, stderr).
fn run(args: &[&str], topo: &Path) -> (i32, String, String) {
    let out = meshctl()
        .args(args)
        .arg(topo)
        .output()
        .expect("meshctl runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// Fails if `text` shows any part of a private key: the PEM marker, or the base64 body of
/// one of the keys in `keys`.
fn assert_no_key_material(text: &str, keys: &[PathBuf]) {
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    for key in keys {
        let pem = std::fs::read_to_string(key).expect("key");
        for line in pem
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        {
            assert!(!text.contains(line), "{} leaked: {text}", key.display());
        }
    }
}

fn state_keys(dir: &Path) -> Vec<PathBuf> {
    let st = state(dir);
    vec![st.join("trust-anchor.key"), st.join("issuer.key")]
}

/// The `warnings` of `meshctl plan --offline --output json`, and its stderr.
fn plan_warnings(topo: &Path, extra: &[&str]) -> (Vec<serde_json::Value>, String) {
    let out = meshctl()
        .args(["plan", "--offline", "--output", "json"])
        .args(extra)
        .arg(topo)
        .output()
        .expect("meshctl runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan json");
    let warnings = doc["warnings"].as_array().cloned().unwrap_or_default();
    (warnings, String::from_utf8(out.stderr).expect("utf-8"))
}

fn with_code<'a>(warnings: &'a [serde_json::Value], code: &str) -> Vec<&'a serde_json::Value> {
    warnings.iter().filter(|w| w["code"] == code).collect()
}

#[test]
fn init_creates_once_and_reuses_forever() {
    let (dir, topo) = project();
    let (code, out, _) = run(&["certs", "init"], &topo);
    assert_eq!(code, 0);
    assert!(out.contains("trust anchor: created "), "{out}");
    assert!(out.contains("issuer: created "), "{out}");
    assert!(!out.contains("Created"), "no Debug names: {out}");
    let st = state(dir.path());
    let first = snapshot(&st);
    assert_eq!(
        first.len(),
        5,
        "anchor and issuer, cert and key each, and .gitignore"
    );
    for key in ["trust-anchor.key", "issuer.key"] {
        let mode = std::fs::metadata(st.join(key))
            .expect("key")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{key} is private");
    }
    let (code, out, _) = run(&["certs", "init"], &topo);
    assert_eq!(code, 0);
    assert!(out.contains("trust anchor: reused "), "{out}");
    assert!(out.contains("issuer: reused "), "{out}");
    assert!(!out.contains("Reused") && !out.contains("note:"), "{out}");
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

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

#[test]
fn keys_stay_out_of_the_gitops_repository() {
    let (dir, topo) = project();
    if git(dir.path(), &["init", "-q"]).is_none() {
        eprintln!("note: git is not on PATH; skipping");
        return;
    }
    let (code, out, _) = run(&["certs", "init"], &topo);
    assert_eq!(code, 0);
    assert!(out.contains(".gitignore"), "init says so: {out}");
    let ignore = std::fs::read_to_string(state(dir.path()).join(".gitignore")).expect("ignore");
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");

    git(dir.path(), &["add", "-A"]).expect("git");
    let staged = git(dir.path(), &["diff", "--cached", "--name-only"]).expect("git");
    assert!(staged.lines().any(|f| f == "topology.yaml"), "{staged}");
    assert!(
        !staged.contains(".meshctl") && !staged.contains(".key"),
        "nothing of the state directory is staged: {staged}"
    );

    // A rotation leaves backups of the old key: ignored too.
    let (code, _, _) = run(&["certs", "rotate-issuer"], &topo);
    assert_eq!(code, 0);
    git(dir.path(), &["add", "-A"]).expect("git");
    let staged = git(dir.path(), &["diff", "--cached", "--name-only"]).expect("git");
    assert!(!staged.contains(".meshctl"), "{staged}");
}

#[test]
fn a_gitignore_is_created_when_missing_and_never_overwritten() {
    let (dir, topo) = project();
    let st = state(dir.path());
    run(&["certs", "init"], &topo);
    // A state directory from an older meshctl, without .gitignore: init adds it.
    std::fs::remove_file(st.join(".gitignore")).expect("remove");
    let (code, out, _) = run(&["certs", "init"], &topo);
    assert_eq!(code, 0);
    assert!(
        out.contains("note: created") && out.contains(".gitignore"),
        "{out}"
    );
    assert!(st.join(".gitignore").exists());
    // So does rotate-issuer.
    std::fs::remove_file(st.join(".gitignore")).expect("remove");
    let (code, _, _) = run(&["certs", "rotate-issuer"], &topo);
    assert_eq!(code, 0);
    assert!(st.join(".gitignore").exists());
    // One the user wrote is theirs.
    std::fs::write(st.join(".gitignore"), "# mine\n*\n").expect("write");
    run(&["certs", "init"], &topo);
    run(&["certs", "rotate-issuer"], &topo);
    assert_eq!(
        std::fs::read_to_string(st.join(".gitignore")).expect("read"),
        "# mine\n*\n"
    );
}

/// Object keys anywhere in `value` that contain `_` (snake_case).
fn underscored_keys(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                if key.contains('_') {
                    found.push(key.clone());
                }
                underscored_keys(inner, found);
            }
        }
        serde_json::Value::Array(items) => {
            for inner in items {
                underscored_keys(inner, found);
            }
        }
        _ => {}
    }
}

#[test]
fn show_prints_profiles_but_never_keys() {
    let (dir, topo) = project();
    // Nothing generated yet: say which files are missing and how to create them.
    let (code, out, err) = run(&["certs", "show"], &topo);
    assert_eq!(code, 1);
    assert!(out.contains("does not exist"), "{out}");
    assert!(
        err.contains("trust-anchor.crt") && err.contains("issuer.key"),
        "{err}"
    );
    assert!(
        err.contains(&format!("meshctl certs init {}", topo.display())),
        "{err}"
    );

    run(&["certs", "init"], &topo);
    let (code, text, _) = run(&["certs", "show"], &topo);
    assert_eq!(code, 0);
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
    assert!(
        text.contains("verified: issuer chains to the anchor"),
        "{text}"
    );
    let keys = state_keys(dir.path());
    assert_no_key_material(&text, &keys);
    let (code, json, _) = run(&["certs", "show", "--output", "json"], &topo);
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["certificates"][1]["certificates"][0]["pathLen"], 0);
    assert!(doc["problem"].is_null(), "{doc}");
    // camelCase keys, like every other meshctl document (issue 10 item 15).
    let mut keys_with_underscores = Vec::new();
    underscored_keys(&doc, &mut keys_with_underscores);
    assert!(
        keys_with_underscores.is_empty(),
        "{keys_with_underscores:?}"
    );
    assert!(
        doc["verified"].as_object().is_some_and(|v| !v.is_empty()),
        "{doc}"
    );
    assert_no_key_material(&json, &keys);
    // Plans mention the certificates but never their keys, and fresh ones warn of nothing.
    let (warnings, err) = plan_warnings(&topo, &[]);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_no_key_material(&err, &keys);
}

#[test]
fn show_after_a_trust_domain_change_shows_what_it_can_and_says_why_it_fails() {
    let (dir, topo) = project();
    run(&["certs", "init"], &topo);
    write(dir.path(), "topology.yaml", &example_org_text());
    meshctl().arg("validate").arg(&topo).assert().success();

    let (code, out, err) = run(&["certs", "show"], &topo);
    assert_eq!(code, 1, "{out}{err}");
    // Both certificates are shown, with fingerprints…
    assert!(
        out.contains("subject:     CN=root.linkerd.cluster.local"),
        "{out}"
    );
    assert!(
        out.contains("subject:     CN=identity.linkerd.cluster.local"),
        "{out}"
    );
    assert_eq!(out.matches("sha256:").count(), 2, "{out}");
    assert!(!out.contains("verified:"), "{out}");
    // …then why they do not verify, naming the file.
    assert!(err.contains("verification failed: "), "{err}");
    assert!(
        err.contains("issuer.crt") && err.contains("example.org"),
        "{err}"
    );
    let keys = state_keys(dir.path());
    assert_no_key_material(&out, &keys);
    assert_no_key_material(&err, &keys);

    let (code, json, _) = run(&["certs", "show", "--json"], &topo);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        doc["certificates"][1]["certificates"][0]["subject"],
        "CN=identity.linkerd.cluster.local"
    );
    assert!(doc["verified"].is_null());
    assert!(
        doc["problem"]
            .as_str()
            .is_some_and(|p| p.starts_with("verification failed: ")),
        "{doc}"
    );

    // plan: W075, not "expires soon", pointing at `certs show`.
    let (warnings, err) = plan_warnings(&topo, &[]);
    let w075 = with_code(&warnings, "W075");
    assert_eq!(w075.len(), 1, "{warnings:?}");
    assert_eq!(w075[0]["path"], "spec.mesh.linkerd");
    let message = w075[0]["message"].as_str().expect("message");
    assert!(message.contains("do not verify"), "{message}");
    assert!(message.contains("issuer.crt"), "{message}");
    assert!(
        w075[0]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("meshctl certs show")),
        "{warnings:?}"
    );
    assert!(with_code(&warnings, "W074").is_empty(), "{warnings:?}");
    assert!(err.contains("warning[W075]"), "{err}");
    assert_no_key_material(&err, &keys);
}

#[test]
fn rotate_issuer_keeps_the_anchor() {
    let (dir, topo) = project();
    run(&["certs", "init"], &topo);
    let st = state(dir.path());
    let anchor = std::fs::read(st.join("trust-anchor.crt")).expect("anchor");
    let issuer = std::fs::read(st.join("issuer.crt")).expect("issuer");
    let (code, out, _) = run(&["certs", "rotate-issuer"], &topo);
    assert_eq!(code, 0);
    assert!(out.contains("previous issuer kept"), "{out}");
    // What to do next: roll the new files out (there is no `meshctl apply` yet).
    assert!(!out.contains("apply the topology"), "{out}");
    assert!(out.contains("every cluster"), "{out}");
    let new_cert = st.join("issuer.crt").display().to_string();
    let new_key = st.join("issuer.key").display().to_string();
    assert!(
        out.contains(&format!("--identity-issuer-certificate-file {new_cert}"))
            && out.contains(&format!("--identity-issuer-key-file {new_key}")),
        "{out}"
    );
    assert!(
        out.contains("unchanged") && out.contains("keep trusting"),
        "{out}"
    );
    assert_no_key_material(&out, &state_keys(dir.path()));
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
fn an_issuer_expiring_within_cert_warn_is_w074_with_rotate_issuer_as_the_fix() {
    let (_dir, topo) = project();
    run(&["certs", "init"], &topo);
    // The issuer is valid 8760h (365 days), the anchor ten years.
    let (warnings, err) = plan_warnings(&topo, &["--cert-warn", "400days"]);
    let w074 = with_code(&warnings, "W074");
    assert_eq!(w074.len(), 1, "only the issuer: {warnings:?}");
    assert_eq!(w074[0]["path"], "spec.mesh.linkerd");
    let message = w074[0]["message"].as_str().expect("message");
    assert!(
        message.contains("issuer") && message.contains("expires soon"),
        "{message}"
    );
    assert!(
        w074[0]["hint"].as_str().is_some_and(|h| h.contains(&format!(
            "meshctl certs rotate-issuer {}",
            topo.display()
        ))),
        "{warnings:?}"
    );
    assert!(with_code(&warnings, "W075").is_empty(), "{warnings:?}");
    assert!(err.contains("warning[W074]"), "{err}");
}

#[test]
fn byo_issuer_not_signed_by_byo_anchor_is_refused_naming_both_files() {
    // Two independent meshes' material: the anchor of one, the issuer of the other.
    let (a, topo_a) = project();
    let (b, topo_b) = project();
    run(&["certs", "init"], &topo_a);
    run(&["certs", "init"], &topo_b);
    let dir = tempfile::tempdir().expect("tempdir");
    for (from, file, to) in [
        (&a, "trust-anchor.crt", "ca.crt"),
        (&a, "trust-anchor.key", "ca.key"),
        (&b, "issuer.crt", "issuer.crt"),
        (&b, "issuer.key", "issuer.key"),
    ] {
        std::fs::copy(state(from.path()).join(file), dir.path().join(to)).expect("copy");
    }
    let topo = write(dir.path(), "topology.yaml", &byo_text());
    // The CI gate (validate) sees it too, as an error at the files (E083).
    let (code, _, stderr) = run(&["validate"], &topo);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error[E083]") && stderr.contains("not signed by"),
        "{stderr}"
    );
    let (code, _, err) = run(&["certs", "init"], &topo);
    assert_eq!(code, 1);
    assert!(
        err.contains("issuer.crt") && err.contains("ca.crt"),
        "names both files: {err}"
    );
    assert!(err.contains("not signed by"), "{err}");
    assert!(!state(dir.path()).exists(), "nothing written");

    // show: both certificates, then why they do not belong together.
    let (code, out, err) = run(&["certs", "show"], &topo);
    assert_eq!(code, 1);
    assert_eq!(out.matches("sha256:").count(), 2, "{out}");
    assert!(
        out.contains("ca.crt") && out.contains("issuer.crt"),
        "{out}"
    );
    assert!(
        err.contains("verification failed: ") && err.contains("not signed by"),
        "{err}"
    );
    let keys = [dir.path().join("ca.key"), dir.path().join("issuer.key")];
    assert_no_key_material(&out, &keys);
    assert_no_key_material(&err, &keys);

    let (warnings, _) = plan_warnings(&topo, &[]);
    let w075 = with_code(&warnings, "W075");
    assert_eq!(w075.len(), 1, "{warnings:?}");
    assert!(
        w075[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not signed by") && m.contains("ca.crt")),
        "{warnings:?}"
    );
    drop((a, b));
}

#[test]
fn byo_files_that_do_not_exist_are_named_and_never_generated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topo = write(dir.path(), "topology.yaml", &byo_text());
    // validate names each missing file at its line (E083).
    let (code, stdout, _) = run(&["validate", "-o", "json"], &topo);
    assert_eq!(code, 1, "{stdout}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("validate JSON");
    let missing: Vec<(&str, &str)> = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "E083")
        .map(|d| {
            (
                d["path"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(missing.len(), 3, "{doc:#}");
    assert!(
        missing[0].0 == "spec.mesh.linkerd.trustAnchor.files.cert"
            && missing[0].1.ends_with("ca.crt does not exist"),
        "{missing:?}"
    );
    // From stdin there is nothing to resolve the paths against: said, not skipped silently.
    let out = meshctl()
        .args(["validate", "-o", "json", "-"])
        .write_stdin(byo_text())
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("validate JSON");
    let unchecked = doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "W084")
        .count();
    assert_eq!(unchecked, 1, "{doc:#}");

    let (code, _, err) = run(&["certs", "init"], &topo);
    assert_eq!(code, 1);
    for file in ["ca.crt", "issuer.crt", "issuer.key"] {
        assert!(err.contains(file), "names {file}: {err}");
    }
    assert!(err.contains("do not exist"), "{err}");
    assert!(
        !err.contains("run `meshctl certs init"),
        "init cannot create them: {err}"
    );
    assert!(!state(dir.path()).exists());

    let (code, _, err) = run(&["certs", "show"], &topo);
    assert_eq!(code, 1);
    assert!(
        err.contains("ca.crt") && err.contains("must exist"),
        "{err}"
    );

    let (warnings, err) = plan_warnings(&topo, &[]);
    let w075 = with_code(&warnings, "W075");
    let paths: Vec<_> = w075.iter().map(|w| w["path"].clone()).collect();
    assert_eq!(
        paths,
        [
            "spec.mesh.linkerd.trustAnchor.files.cert",
            "spec.mesh.linkerd.issuer.files.cert",
            "spec.mesh.linkerd.issuer.files.key",
        ],
        "{warnings:?}"
    );
    assert!(
        w075.iter().all(|w| w["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not exist"))),
        "{warnings:?}"
    );
    assert!(err.contains("warning[W075]"), "{err}");

    // Only the issuer's files missing, and the issuer from files: the same, for those.
    let (from, from_topo) = project();
    run(&["certs", "init"], &from_topo);
    for (file, to) in [
        ("trust-anchor.crt", "ca.crt"),
        ("trust-anchor.key", "ca.key"),
    ] {
        std::fs::copy(state(from.path()).join(file), dir.path().join(to)).expect("copy");
    }
    let (code, _, err) = run(&["certs", "init"], &topo);
    assert_eq!(code, 1);
    assert!(
        err.contains("issuer.crt") && !err.contains("ca.crt"),
        "{err}"
    );
}

#[test]
fn generated_material_not_created_yet_is_no_plan_warning() {
    let (dir, topo) = project();
    let (warnings, _) = plan_warnings(&topo, &["--cert-warn", "4000days"]);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(!state(dir.path()).exists(), "plan creates nothing");

    // Half a pair is not "not created yet": init would refuse it, so plan says so.
    run(&["certs", "init"], &topo);
    std::fs::remove_file(state(dir.path()).join("issuer.key")).expect("remove");
    let (warnings, _) = plan_warnings(&topo, &[]);
    let w075 = with_code(&warnings, "W075");
    assert_eq!(w075.len(), 1, "{warnings:?}");
    assert!(
        w075[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("issuer.key")),
        "{warnings:?}"
    );
}

#[test]
fn a_byo_issuer_expiring_soon_is_w074_telling_to_replace_the_files() {
    let (from, from_topo) = project();
    run(&["certs", "init"], &from_topo);
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, to) in [
        ("trust-anchor.crt", "ca.crt"),
        ("trust-anchor.key", "ca.key"),
        ("issuer.crt", "issuer.crt"),
        ("issuer.key", "issuer.key"),
    ] {
        std::fs::copy(state(from.path()).join(file), dir.path().join(to)).expect("copy");
    }
    let topo = write(dir.path(), "topology.yaml", &byo_text());
    let (code, out, _) = run(&["certs", "init"], &topo);
    assert_eq!(code, 0);
    assert!(out.contains("issuer: your file "), "{out}");
    assert!(!out.contains("UserFiles"), "{out}");
    assert!(
        !state(dir.path()).exists(),
        "nothing to keep for your files"
    );

    let (warnings, _) = plan_warnings(&topo, &["--cert-warn", "400days"]);
    let w074 = with_code(&warnings, "W074");
    assert_eq!(w074.len(), 1, "{warnings:?}");
    let hint = w074[0]["hint"].as_str().expect("hint");
    assert!(
        hint.contains("replace") && hint.contains("issuer.crt") && hint.contains("issuer.key"),
        "{hint}"
    );
    assert!(
        !hint.contains("rotate-issuer"),
        "refused for your files: {hint}"
    );
    let (code, _, err) = run(&["certs", "rotate-issuer"], &topo);
    assert_eq!(code, 1);
    assert!(err.contains("replace those files yourself"), "{err}");
}

/// The `linkerd install` command line of `demo`'s control plane in the JSON plan.
fn control_plane_command(topo: &Path) -> String {
    let (code, stdout, stderr) = run(&["plan", "--offline", "-o", "json"], topo);
    assert_eq!(code, 0, "{stderr}");
    let plan: serde_json::Value = serde_json::from_str(&stdout).expect("plan JSON");
    let entry = plan["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["id"] == "demo/linkerd/control-plane")
        .expect("the control plane is planned");
    let args: Vec<&str> = entry["commands"][0]["args"]
        .as_array()
        .expect("one command")
        .iter()
        .map(|a| a.as_str().expect("text"))
        .collect();
    args.join(" ")
}

#[test]
fn linkerd_gets_the_users_certificate_files_and_the_state_directory_for_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let topo = write(dir.path(), "topology.yaml", &byo_text());
    let at = |name: &str| dir.path().join(name).display().to_string();
    let command = control_plane_command(&topo);
    assert!(
        command.contains(&format!("--identity-trust-anchors-file={}", at("ca.crt")))
            && command.contains(&format!(
                "--identity-issuer-certificate-file={}",
                at("issuer.crt")
            ))
            && command.contains(&format!("--identity-issuer-key-file={}", at("issuer.key"))),
        "{command}"
    );

    // Anchor from the user's files, issuer generated (and signed) by meshctl.
    let mixed = byo_text().replace(
        "      issuer:\n        files: {cert: issuer.crt, key: issuer.key}\n",
        "      issuer:\n        generate: {}\n",
    );
    let topo = write(dir.path(), "topology.yaml", &mixed);
    let command = control_plane_command(&topo);
    let state = state(dir.path());
    assert!(
        command.contains(&format!("--identity-trust-anchors-file={}", at("ca.crt")))
            && command.contains(&format!(
                "--identity-issuer-certificate-file={}",
                state.join("issuer.crt").display()
            )),
        "{command}"
    );
}

/// `plan --base OLD NEW -o json` run in the project directory: the plan document.
fn base_plan(old: &Path, new: &Path) -> serde_json::Value {
    let out = meshctl()
        .args(["plan", "--output", "json", "--base"])
        .arg(old)
        .arg(new)
        .output()
        .expect("meshctl runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("plan json")
}

fn warnings_of(plan: &serde_json::Value) -> Vec<serde_json::Value> {
    plan["warnings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn changed_certificate_settings_say_the_stored_ones_are_kept() {
    let (dir, old) = project();
    let new = write(
        dir.path(),
        "new.yaml",
        &example_text()
            .replace(
                "commonName: root.linkerd.cluster.local",
                "commonName: root.linkerd.cluster.local.v2",
            )
            .replace("validity: 8760h", "validity: 4380h"),
    );
    // Nothing generated yet: the new settings are simply what init will use.
    assert!(with_code(&warnings_of(&base_plan(&old, &new)), "W076").is_empty());

    let (code, _, stderr) = run(&["certs", "init"], &old);
    assert_eq!(code, 0, "{stderr}");
    let warnings = warnings_of(&base_plan(&old, &new));
    let w076 = with_code(&warnings, "W076");
    assert_eq!(w076.len(), 2, "{warnings:?}");
    let anchor = w076[0]["message"].as_str().expect("message");
    assert!(
        anchor.contains("commonName root.linkerd.cluster.local → root.linkerd.cluster.local.v2")
            && anchor.contains("keeps the stored anchor")
            && w076[0]["hint"]
                .as_str()
                .is_some_and(|h| h.contains("split the mesh")),
        "{anchor}"
    );
    let issuer = w076[1]["message"].as_str().expect("message");
    assert!(
        issuer.contains("validity 8760h → 4380h")
            && w076[1]["hint"]
                .as_str()
                .is_some_and(|h| h.contains("certs rotate-issuer")),
        "{issuer}"
    );
}

#[test]
fn renaming_a_topology_does_not_silently_start_a_new_mesh() {
    let (dir, old) = project();
    let (code, _, stderr) = run(&["certs", "init"], &old);
    assert_eq!(code, 0, "{stderr}");
    let renamed = example_text().replace("name: linkerd-multicluster-demo", "name: shop-mesh");
    let new = write(dir.path(), "renamed.yaml", &renamed);

    // The plan shows the move, with a warning.
    let plan = base_plan(&old, &new);
    let certificates = plan["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["id"] == "trust/certificates")
        .expect("certificates entry");
    assert_eq!(certificates["action"], "change", "{certificates}");
    let w077 = with_code(&warnings_of(&plan), "W077").len();
    assert_eq!(w077, 1, "{plan}");

    // The renamed file itself (same file name, new metadata.name) is refused.
    let topo = write(dir.path(), "topology.yaml", &renamed);
    let (code, _, stderr) = run(&["certs", "init"], &topo);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("stateKey: linkerd-multicluster-demo")
            && stderr.contains("--new-trust-anchor"),
        "{stderr}"
    );
    assert!(!dir
        .path()
        .join(".meshctl/shop-mesh/trust-anchor.crt")
        .exists());

    // Pinned to the old state: the same anchor, and nothing moves.
    let pinned = renamed.replace(
        "      version: stable-2.13.3\n",
        "      version: stable-2.13.3\n      stateKey: linkerd-multicluster-demo\n",
    );
    let topo = write(dir.path(), "topology.yaml", &pinned);
    let (code, stdout, stderr) = run(&["certs", "init"], &topo);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("trust anchor: reused"), "{stdout}");
    assert!(with_code(&warnings_of(&base_plan(&old, &topo)), "W077").is_empty());

    // A second topology beside the first is its own mesh: not refused.
    let second = write(
        dir.path(),
        "second.yaml",
        &renamed.replace("shop-mesh", "second-mesh"),
    );
    let (code, stdout, stderr) = run(&["certs", "init"], &second);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("trust anchor: created"), "{stdout}");

    // A new mesh on purpose.
    let topo = write(dir.path(), "topology.yaml", &renamed);
    let (code, stdout, stderr) = run(&["certs", "init", "--new-trust-anchor"], &topo);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("trust anchor: created"), "{stdout}");
}

/// With no anchor in the state directory, `certs init` reads the clusters first: one that
/// already trusts an anchor (made elsewhere) stops it, naming the cluster and what to do;
/// `--offline` skips the check.
#[test]
fn init_refuses_a_new_anchor_while_a_cluster_trusts_another() {
    let dir = tempfile::tempdir().unwrap();
    let text = "apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata:
  name: live-anchor
spec:
  mesh:
    linkerd:
      version: stable-2.13.3
  clusters:
    - name: east
      context: ctx-east
      provider: existing
      podSubnet: 10.244.0.0/16
      serviceSubnet: 10.96.0.0/16
";
    let topo = write(dir.path(), "topology.yaml", text);
    // The anchor the cluster runs was made in another state directory.
    let elsewhere = dir.path().join("elsewhere");
    let out = meshctl()
        .args(["certs", "init", "--offline", "--state-dir"])
        .arg(&elsewhere)
        .arg(&topo)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let anchor = std::fs::read_to_string(elsewhere.join("trust-anchor.crt")).unwrap();
    let east = meshctl_testkit::FakeCluster::start("east").unwrap();
    for object in [
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "linkerd"}}),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "linkerd-identity-trust-roots", "namespace": "linkerd"},
            "data": {"ca-bundle.crt": anchor}}),
    ] {
        east.apply_as("linkerd", object).unwrap();
    }
    let kubeconfig = dir.path().join("kubeconfig");
    meshctl_testkit::kubeconfig::write(&kubeconfig, &[("ctx-east", &east.url())]).unwrap();

    let out = meshctl()
        .args(["certs", "init", "--kubeconfig"])
        .arg(&kubeconfig)
        .arg(&topo)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "cluster east: Linkerd already trusts the trust anchor CN=root.linkerd.cluster.local"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("trustAnchor.files"), "{stderr}");
    let state = dir.path().join(".meshctl/live-anchor");
    assert!(!state.join("trust-anchor.crt").exists());
    assert!(!stderr.contains("PRIVATE KEY"));

    let out = meshctl()
        .args(["certs", "init", "--offline"])
        .arg(&topo)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(state.join("trust-anchor.crt").exists());
}
