//! How commands fail: the message a user reads on stderr, the JSON error document a
//! script reads on stdout with `-o json`, and that nothing was written when a command
//! refuses to start.

use crate::common::{meshctl, write};
use meshctl_testkit::tools::{FakeToolOptions, FakeTools};
use meshctl_testkit::{kubeconfig, FakeCluster};
use serde_json::Value;
use std::process::Output;

/// One `provider: existing` cluster `prod` and a workload in namespace `shop`: nothing for
/// kind or helm to do, so the plan only needs the API server.
const EXISTING: &str = "apiVersion: meshctl.io/v1alpha1
kind: Topology
metadata: {name: solo}
spec:
  clusters:
    - name: prod
      provider: existing
      context: prod
      podSubnet: 10.246.0.0/16
      serviceSubnet: 10.98.0.0/16
  workloads:
    - name: shop
      namespace: shop
      clusters: [prod]
      manifests: [app.yaml]
";

/// A directory with [`EXISTING`] as topology.yaml, a kubeconfig whose context `prod`
/// points at a fake API server, and the fake tools first on PATH.
struct Existing {
    dir: tempfile::TempDir,
    cluster: FakeCluster,
    tools: FakeTools,
}

impl Existing {
    fn new() -> Existing {
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), "topology.yaml", EXISTING);
        let cluster = FakeCluster::start("prod").expect("fake API server");
        kubeconfig::write(&dir.path().join("kubeconfig"), &[("prod", &cluster.url())])
            .expect("kubeconfig");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        let tools = FakeTools::install(&bin, FakeToolOptions::default()).expect("fake tools");
        Existing {
            dir,
            cluster,
            tools,
        }
    }

    fn meshctl(&self, args: &[&str]) -> Output {
        meshctl()
            .current_dir(self.dir.path())
            .env("PATH", self.tools.path_env())
            .env("KUBECONFIG", self.dir.path().join("kubeconfig"))
            .env("HOME", self.dir.path())
            .args(args)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("meshctl runs")
    }
}

fn streams(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The `-o json` error document on stdout, checked for its fixed fields.
fn error_document(out: &Output, file: &str, kind: &str) -> Value {
    let (stdout, stderr) = streams(out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let doc: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("one JSON document on stdout ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(doc["version"], 1, "{doc:#}");
    assert_eq!(doc["error"]["kind"], kind, "{doc:#}");
    assert_eq!(doc["error"]["file"], file, "{doc:#}");
    assert_eq!(doc["error"]["exitCode"], 1, "{doc:#}");
    // People read the same message on stderr.
    let message = doc["error"]["message"].as_str().expect("a message");
    assert!(
        stderr.contains(&format!("error: {message}")),
        "{message}\n{stderr}"
    );
    doc
}

#[test]
fn json_output_is_an_error_document_when_the_file_is_missing() {
    for command in [
        &["status"][..],
        &["check"],
        &["plan"],
        &["plan", "--offline"],
        &["certs", "show"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--output", "json", "no/such/topology.yaml"]);
        let out = meshctl().args(&args).output().expect("meshctl runs");
        let doc = error_document(&out, "no/such/topology.yaml", "invalidTopology");
        assert!(
            doc["error"]["message"].as_str().is_some_and(|m| m
                .contains("no/such/topology.yaml is not a valid topology: 1 error(s) to fix")
                && !m.contains("above")),
            "{args:?}: {doc:#}"
        );
        // The diagnostics behind it, in validate's shape; for people, on stderr.
        assert_eq!(doc["diagnostics"][0]["code"], "E001", "{args:?}: {doc:#}");
        assert_eq!(
            doc["diagnostics"][0]["file"], "no/such/topology.yaml",
            "{args:?}: {doc:#}"
        );
        let (_, stderr) = streams(&out);
        assert!(stderr.contains("error[E001]"), "{args:?}: {stderr}");
    }
}

#[test]
fn json_output_is_an_error_document_on_a_yaml_syntax_error_and_without_a_mesh() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken = write(
        dir.path(),
        "broken.yaml",
        "apiVersion: [meshctl.io/v1alpha1\n",
    );
    let broken = broken.to_str().expect("utf-8");
    let out = meshctl()
        .args(["status", "-o", "json", broken])
        .output()
        .expect("meshctl runs");
    error_document(&out, broken, "invalidTopology");

    // certs show on a topology that has no mesh: no report to print, an error document.
    let solo = write(dir.path(), "solo.yaml", EXISTING);
    let solo = solo.to_str().expect("utf-8");
    let out = meshctl()
        .args(["certs", "show", "-o", "json", solo])
        .output()
        .expect("meshctl runs");
    let doc = error_document(&out, solo, "noMesh");
    assert_eq!(doc["diagnostics"], serde_json::json!([]), "{doc:#}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("declares no mesh")),
        "{doc:#}"
    );
}

#[test]
fn graph_takes_its_format_as_dash_o_like_every_command() {
    let out = meshctl()
        .args(["graph", "-o", "mermaid", "topology.example.yaml"])
        .output()
        .expect("meshctl runs");
    let (stdout, stderr) = streams(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("flowchart"), "{stdout}");
    let out = meshctl()
        .args(["graph", "--format", "dot", "topology.example.yaml"])
        .output()
        .expect("meshctl runs");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("digraph"));
}

#[test]
fn the_human_format_prints_nothing_on_stdout_when_it_fails() {
    let out = meshctl()
        .args(["status", "no/such/topology.yaml"])
        .output()
        .expect("meshctl runs");
    let (stdout, stderr) = streams(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout, "", "{stderr}");
    assert!(stderr.contains("error[E001]"), "{stderr}");
}

#[test]
fn an_unknown_target_is_refused_with_close_node_ids_before_any_connection() {
    let existing = Existing::new();
    for command in ["plan", "apply"] {
        let out = existing.meshctl(&[command, "--target", "prod/Namespace/shpo", "topology.yaml"]);
        let (stdout, stderr) = streams(&out);
        assert_eq!(out.status.code(), Some(1), "{command}: {stdout}\n{stderr}");
        assert!(
            stderr.contains(
                "error: --target prod/Namespace/shpo: no such node; did you mean prod/Namespace/shop?"
            ),
            "{command}: {stderr}"
        );
    }
    // Nothing close: the message says where the ids are listed.
    let out = existing.meshctl(&["plan", "--target", "nothing-like-it", "topology.yaml"]);
    let (_, stderr) = streams(&out);
    assert!(
        stderr.contains("--target nothing-like-it: no such node; `meshctl plan --offline FILE` lists every node id"),
        "{stderr}"
    );
    // With -o json, the same as a document.
    let out = existing.meshctl(&[
        "plan",
        "-o",
        "json",
        "--target",
        "prod/Namespace/shpo",
        "topology.yaml",
    ]);
    error_document(&out, "topology.yaml", "live");
    assert!(
        existing.cluster.requests().is_empty(),
        "refused before any request: {:?}",
        existing.cluster.requests()
    );
    assert!(
        existing.tools.calls().is_empty(),
        "{:?}",
        existing.tools.calls()
    );
}

#[test]
fn apply_without_auto_approve_and_no_terminal_says_so_and_writes_nothing() {
    let existing = Existing::new();
    // `output()` gives meshctl a closed stdin, as in CI.
    let out = existing.meshctl(&["apply", "topology.yaml"]);
    let (stdout, stderr) = streams(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    // The plan it would have asked about is shown first.
    assert!(stdout.contains("prod/Namespace/shop"), "{stdout}");
    assert!(
        stderr.contains("stdin is not a terminal; re-run with --auto-approve"),
        "{stderr}"
    );
    assert_eq!(existing.cluster.write_requests(), 0, "nothing written");
    assert!(existing
        .cluster
        .object("v1", "Namespace", None, "shop")
        .is_none());
    let applied: Vec<_> = existing
        .tools
        .calls_of("kubectl")
        .into_iter()
        .filter(|c| c.args.iter().any(|a| a == "apply"))
        .collect();
    assert!(applied.is_empty(), "no kubectl apply: {applied:?}");
}

/// `check` on a topology without a mesh still probes every cluster: a reachable one
/// passes, an unreachable one fails naming its context, and the exit code says so.
#[test]
fn check_without_a_mesh_reports_each_clusters_reachability() {
    let existing = Existing::new();
    let two = EXISTING.replace(
        "  workloads:",
        "    - name: gone\n      provider: existing\n      context: gone\n      podSubnet: 10.247.0.0/16\n      serviceSubnet: 10.99.0.0/16\n  workloads:",
    );
    write(existing.dir.path(), "topology.yaml", &two);
    let out = existing.meshctl(&["check", "topology.yaml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("cluster prod\n  ✓ cluster is reachable: context prod"),
        "{stdout}"
    );
    assert!(
        stdout.contains("cluster gone\n  ✗ cluster is reachable"),
        "{stdout}"
    );
    assert!(stdout.contains("context gone"), "{stdout}");
    assert!(
        stdout.contains("1 passed, 0 warnings, 1 failed."),
        "{stdout}"
    );
}
